//! A checker for the command lines a runbook prints: each gpbackup, gprestore,
//! gpdeletesystem, gpinitsystem, gpinitstandby, gpaddmirrors, gpcopy and whpg-copy call is
//! parsed from the bash line and checked against the tool's flag set, so a
//! runbook with a flag the real tool would reject, a missing required flag,
//! two flags that exclude each other or a compression level out of range is
//! caught before anyone runs it.
//!
//! gpbackup's and gprestore's flag sets are those of gpbackup 1.30
//! (`options/flag.go`); the utilities' are their reference pages. gpcopy's
//! and whpg-copy's are the subset the runbook uses plus the documented
//! common ones (their full sets are not public source).

/// One simple command of a bash line: its words, redirections removed.
pub type Words = Vec<String>;

/// What is wrong with a command line of the runbook: the real tool would
/// refuse it (or the shell could not even split it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// A quote or `$(` is not closed.
    #[error("{0} is not closed")]
    Unclosed(&'static str),
    /// The tool's subcommand (`gpcopy`-style tools) is missing or another.
    #[error("{tool}: expected the subcommand '{expected}', found {}", found.as_ref().map_or("nothing".into(), |f| format!("'{f}'")))]
    Subcommand {
        /// The tool.
        tool: &'static str,
        /// The subcommand it needs.
        expected: &'static str,
        /// What came instead.
        found: Option<String>,
    },
    /// A word that is not a flag where a flag is expected.
    #[error("{tool}: unexpected argument '{arg}'")]
    Unexpected {
        /// The tool.
        tool: &'static str,
        /// The word.
        arg: String,
    },
    /// A flag that takes a value has none.
    #[error("{tool}: {flag} needs a value{}", found.as_ref().map_or(String::new(), |f| format!(", found '{f}'")))]
    NeedsValue {
        /// The tool.
        tool: &'static str,
        /// The flag.
        flag: String,
        /// The next word, a flag, when there is one.
        found: Option<String>,
    },
    /// A switch given a value (`--flag=x`).
    #[error("{tool}: {flag} takes no value")]
    TakesNoValue {
        /// The tool.
        tool: &'static str,
        /// The flag.
        flag: String,
    },
    /// A flag the tool does not have (greenplum.md lists each tool's flags).
    #[error("{tool}: unknown flag {flag}")]
    UnknownFlag {
        /// The tool.
        tool: &'static str,
        /// The flag.
        flag: String,
    },
    /// A flag given twice.
    #[error("{tool}: {flag} is given twice")]
    Twice {
        /// The tool.
        tool: &'static str,
        /// The flag.
        flag: String,
    },
    /// A flag the tool cannot run without.
    #[error("{tool}: {flag} is required")]
    Required {
        /// The tool.
        tool: &'static str,
        /// The flag (the first of its alternatives).
        flag: &'static str,
    },
    /// Two flags the tool refuses together.
    #[error("{tool}: {flag} cannot be combined with {other}")]
    Exclusive {
        /// The tool.
        tool: &'static str,
        /// One flag.
        flag: &'static str,
        /// The other.
        other: &'static str,
    },
    /// A flag that works only with another.
    #[error("{tool}: {flag} needs {other}")]
    Needs {
        /// The tool.
        tool: &'static str,
        /// The flag given.
        flag: &'static str,
        /// The flag it needs.
        other: &'static str,
    },
    /// A value the tool refuses.
    #[error("{tool}: {flag} {value} {expected}")]
    BadValue {
        /// The tool.
        tool: &'static str,
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What it must be, as a phrase (`is not in 1..=9`).
        expected: String,
    },
}

/// Splits a bash line into simple commands (at `|`, `||`, `&&`, `;`) and
/// words, honouring single and double quotes, backslashes and `$(…)`.
/// Redirections (`> f`, `2>&1`, `< f`) are dropped. A quote left open is an error.
pub fn split_line(line: &str) -> Result<Vec<Words>, CommandError> {
    let mut commands: Vec<Words> = Vec::new();
    let mut words: Words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut skip_next_word = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let finish = |word: &mut String, in_word: &mut bool, words: &mut Words, skip: &mut bool| {
        if *in_word {
            if *skip {
                *skip = false;
            } else {
                words.push(std::mem::take(word));
            }
            word.clear();
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' => {
                in_word = true;
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '\'')
                    .ok_or(CommandError::Unclosed("a single quote"))?;
                word.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
                continue;
            }
            '"' => {
                in_word = true;
                i += 1;
                let mut depth = 0;
                loop {
                    let Some(&d) = chars.get(i) else {
                        return Err(CommandError::Unclosed("a double quote"));
                    };
                    match d {
                        '\\' if i + 1 < chars.len() => {
                            word.push(chars[i + 1]);
                            i += 2;
                            continue;
                        }
                        '$' if chars.get(i + 1) == Some(&'(') => {
                            depth += 1;
                            word.push_str("$(");
                            i += 2;
                            continue;
                        }
                        ')' if depth > 0 => depth -= 1,
                        '"' if depth == 0 => break,
                        _ => {}
                    }
                    word.push(d);
                    i += 1;
                }
                i += 1;
                continue;
            }
            '\\' if i + 1 < chars.len() => {
                in_word = true;
                word.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let mut depth = 0;
                while let Some(&d) = chars.get(i) {
                    word.push(d);
                    i += 1;
                    match d {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                if depth != 0 {
                    return Err(CommandError::Unclosed("a $("));
                }
                continue;
            }
            ' ' | '\t' => finish(&mut word, &mut in_word, &mut words, &mut skip_next_word),
            '|' | '&' | ';' => {
                finish(&mut word, &mut in_word, &mut words, &mut skip_next_word);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
                if chars.get(i + 1) == Some(&c) {
                    i += 1;
                }
            }
            '>' | '<' => {
                // `2>&1`, `> file`, `>> file`, `< file`: not words of the command.
                let fd_prefix = in_word && word.chars().all(|x| x.is_ascii_digit());
                if fd_prefix {
                    word.clear();
                    in_word = false;
                } else {
                    finish(&mut word, &mut in_word, &mut words, &mut skip_next_word);
                }
                if chars.get(i + 1) == Some(&'>') {
                    i += 1;
                }
                if chars.get(i + 1) == Some(&'&') {
                    i += 2;
                    while chars.get(i).is_some_and(|x| x.is_ascii_digit()) {
                        i += 1;
                    }
                    continue;
                }
                skip_next_word = true;
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
        i += 1;
    }
    finish(&mut word, &mut in_word, &mut words, &mut skip_next_word);
    if !words.is_empty() {
        commands.push(words);
    }
    Ok(commands)
}

/// How a tool's flags are spelled and related.
struct ToolSpec {
    /// Flags that take a value (`--name value` or `--name=value`).
    valued: &'static [&'static str],
    /// Flags that take none.
    switches: &'static [&'static str],
    /// Each inner list: at least one of these must be present.
    required: &'static [&'static [&'static str]],
    /// Pairs that cannot be combined.
    exclusive: &'static [(&'static str, &'static str)],
    /// Flags that need another flag.
    needs: &'static [(&'static str, &'static str)],
    /// A leading subcommand word, if the tool has one.
    subcommand: Option<&'static str>,
}

const GPBACKUP: ToolSpec = ToolSpec {
    valued: &[
        "--backup-dir",
        "--compression-type",
        "--compression-level",
        "--dbname",
        "--exclude-schema",
        "--exclude-schema-file",
        "--exclude-table",
        "--exclude-table-file",
        "--from-timestamp",
        "--include-schema",
        "--include-schema-file",
        "--include-table",
        "--include-table-file",
        "--jobs",
        "--plugin-config",
        "--copy-queue-size",
    ],
    switches: &[
        "--data-only",
        "--debug",
        "--incremental",
        "--leaf-partition-data",
        "--metadata-only",
        "--no-compression",
        "--no-history",
        "--quiet",
        "--single-data-file",
        "--verbose",
        "--with-stats",
        "--without-globals",
        "--version",
        "--help",
    ],
    required: &[&["--dbname", "--version", "--help"]],
    exclusive: &[
        ("--backup-dir", "--plugin-config"),
        ("--data-only", "--metadata-only"),
        ("--no-compression", "--compression-type"),
        ("--no-compression", "--compression-level"),
        ("--single-data-file", "--jobs"),
        // backup/validate.go:145
        ("--metadata-only", "--jobs"),
        ("--metadata-only", "--leaf-partition-data"),
        ("--with-globals", "--without-globals"),
        ("--include-table", "--exclude-table"),
        ("--include-schema", "--exclude-schema"),
    ],
    needs: &[("--from-timestamp", "--incremental")],
    subcommand: None,
};

const GPRESTORE: ToolSpec = ToolSpec {
    valued: &[
        "--backup-dir",
        "--exclude-schema",
        "--exclude-schema-file",
        "--exclude-table",
        "--exclude-table-file",
        "--include-schema",
        "--include-schema-file",
        "--include-table",
        "--include-table-file",
        "--jobs",
        "--plugin-config",
        "--redirect-db",
        "--redirect-schema",
        "--copy-queue-size",
        "--timestamp",
        "--report-dir",
    ],
    switches: &[
        "--create-db",
        "--data-only",
        "--debug",
        "--incremental",
        "--metadata-only",
        "--on-error-continue",
        "--quiet",
        "--with-globals",
        "--truncate-table",
        "--verbose",
        "--with-stats",
        "--run-analyze",
        "--resize-cluster",
        "--version",
        "--help",
    ],
    required: &[&["--timestamp", "--version", "--help"]],
    exclusive: &[
        ("--backup-dir", "--plugin-config"),
        ("--data-only", "--metadata-only"),
        // restore/validate.go:256-257
        ("--data-only", "--with-globals"),
        ("--data-only", "--create-db"),
        ("--with-globals", "--without-globals"),
        ("--with-stats", "--run-analyze"),
        ("--include-table", "--exclude-table"),
    ],
    needs: &[],
    subcommand: None,
};

const GPDELETESYSTEM: ToolSpec = ToolSpec {
    valued: &[
        "-d",
        "--master-data-directory",
        "--coordinator-data-directory",
        "-B",
        "-l",
    ],
    switches: &["-f", "-D", "-v", "--version", "-?", "--help"],
    required: &[&[
        "-d",
        "--master-data-directory",
        "--coordinator-data-directory",
        "--version",
        "-?",
        "--help",
    ]],
    exclusive: &[],
    needs: &[],
    subcommand: None,
};

const GPINITSYSTEM: ToolSpec = ToolSpec {
    valued: &[
        "-c",
        "-h",
        "-B",
        "-p",
        "-s",
        "-P",
        "-S",
        "--standby_datadir",
        "-m",
        "--max_connections",
        "-b",
        "--shared_buffers",
        "-n",
        "--locale",
        "--lc-collate",
        "--lc-ctype",
        "--lc-messages",
        "--lc-monetary",
        "--lc-numeric",
        "--lc-time",
        "-e",
        "--su_password",
        "--mirror-mode",
        "-l",
        "-I",
        "-O",
    ],
    switches: &["-a", "-q", "-D", "-v", "--version", "-?", "--help"],
    required: &[&["-c", "-I", "--version", "-v", "-?", "--help"]],
    exclusive: &[("-c", "-I"), ("-S", "--standby_datadir")],
    needs: &[
        ("-P", "-s"),
        ("-S", "-s"),
        ("--standby_datadir", "-s"),
        ("-h", "-c"),
    ],
    subcommand: None,
};

const GPADDMIRRORS: ToolSpec = ToolSpec {
    valued: &["-B", "-d", "-i", "-o", "-p", "-l", "-b"],
    switches: &[
        "-a",
        "-s",
        "-v",
        "-q",
        "--hba-hostnames",
        "--version",
        "-?",
        "--help",
    ],
    required: &[&["-i", "-o", "-p", "--version", "-?", "--help"]],
    exclusive: &[("-i", "-p"), ("-i", "-s")],
    needs: &[],
    subcommand: None,
};

const GPINITSTANDBY: ToolSpec = ToolSpec {
    valued: &["-s", "-P", "-S", "-l", "-B"],
    switches: &[
        "-a",
        "-n",
        "-r",
        "-q",
        "-D",
        "--hba-hostnames",
        "-v",
        "-?",
        "--help",
    ],
    required: &[&["-s", "-n", "-r", "-v", "-?", "--help"]],
    exclusive: &[("-s", "-r"), ("-s", "-n")],
    needs: &[("-P", "-s"), ("-S", "-s")],
    subcommand: None,
};

const GPCOPY: ToolSpec = ToolSpec {
    valued: &[
        "--source-host",
        "--source-port",
        "--source-user",
        "--dest-host",
        "--dest-port",
        "--dest-user",
        "--dbname",
        "--dest-dbname",
        "--include-table",
        "--include-table-file",
        "--exclude-table",
        "--exclude-table-file",
        "--validate",
        "--jobs",
    ],
    switches: &[
        "--full",
        "--truncate",
        "--drop",
        "--append",
        "--skip-existing",
        "--metadata-only",
        "--analyze",
        "--dry-run",
        "--debug",
        "--quiet",
        "--verbose",
        "--version",
        "--help",
    ],
    required: &[
        &["--source-host", "--version", "--help"],
        &[
            "--full",
            "--dbname",
            "--include-table",
            "--include-table-file",
            "--version",
            "--help",
        ],
    ],
    exclusive: &[
        ("--full", "--dbname"),
        ("--full", "--include-table"),
        ("--truncate", "--drop"),
        ("--truncate", "--append"),
    ],
    needs: &[],
    subcommand: None,
};

const WHPG_COPY: ToolSpec = ToolSpec {
    valued: &[
        "--src-url",
        "--dst-url",
        "--validate-method",
        "--include-table",
        "--exclude-table",
        "--jobs",
    ],
    switches: &["--truncate", "--dry-run", "--help"],
    required: &[&["--src-url", "--help"], &["--dst-url", "--help"]],
    exclusive: &[],
    needs: &[],
    subcommand: Some("copy"),
};

fn spec(program: &str) -> Option<(&'static str, &'static ToolSpec)> {
    let name = program.rsplit('/').next().unwrap_or(program);
    Some(match name {
        "gpbackup" => ("gpbackup", &GPBACKUP),
        "gprestore" => ("gprestore", &GPRESTORE),
        "gpdeletesystem" => ("gpdeletesystem", &GPDELETESYSTEM),
        "gpinitsystem" => ("gpinitsystem", &GPINITSYSTEM),
        "gpaddmirrors" => ("gpaddmirrors", &GPADDMIRRORS),
        "gpinitstandby" => ("gpinitstandby", &GPINITSTANDBY),
        "gpcopy" => ("gpcopy", &GPCOPY),
        "whpg-copy" => ("whpg-copy", &WHPG_COPY),
        _ => return None,
    })
}

/// A value that is a shell expansion the checker cannot see through
/// (`$(cat f)`, `$VAR`): accepted where a literal is expected.
fn is_expansion(v: &str) -> bool {
    v.starts_with('$')
}

/// Checks one simple command; `Ok(None)` when it is not one of the tools.
fn check_words(words: &[String]) -> Result<Option<&'static str>, CommandError> {
    let Some(program) = words.first() else {
        return Ok(None);
    };
    let Some((name, spec)) = spec(program) else {
        return Ok(None);
    };
    let mut args = &words[1..];
    if let Some(sub) = spec.subcommand {
        match args.first() {
            Some(a) if a == sub => args = &args[1..],
            Some(a) if a == "--help" => {}
            other => {
                return Err(CommandError::Subcommand {
                    tool: name,
                    expected: sub,
                    found: other.cloned(),
                });
            }
        }
    }
    let mut seen: Vec<(&str, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v.to_string())),
            _ => (a, None),
        };
        if !flag.starts_with('-') {
            return Err(CommandError::Unexpected {
                tool: name,
                arg: a.into(),
            });
        }
        let value = if let Some(f) = spec.valued.iter().find(|f| **f == flag) {
            match inline {
                Some(v) => Some(v),
                None => {
                    i += 1;
                    let needs_value = |found: Option<&String>| CommandError::NeedsValue {
                        tool: name,
                        flag: f.to_string(),
                        found: found.cloned(),
                    };
                    let v = args.get(i).ok_or_else(|| needs_value(None))?;
                    if v.starts_with('-') && !v.starts_with("-1") {
                        return Err(needs_value(Some(v)));
                    }
                    Some(v.clone())
                }
            }
        } else if spec.switches.contains(&flag) {
            if inline.is_some() {
                return Err(CommandError::TakesNoValue {
                    tool: name,
                    flag: flag.into(),
                });
            }
            None
        } else {
            return Err(CommandError::UnknownFlag {
                tool: name,
                flag: flag.into(),
            });
        };
        if seen.iter().any(|(f, _)| *f == flag) {
            return Err(CommandError::Twice {
                tool: name,
                flag: flag.into(),
            });
        }
        let flag: &'static str = spec
            .valued
            .iter()
            .chain(spec.switches)
            .find(|f| **f == flag)
            .copied()
            .expect("known flag");
        seen.push((flag, value));
        i += 1;
    }
    let has = |f: &str| seen.iter().any(|(x, _)| *x == f);
    let value = |f: &str| {
        seen.iter()
            .find(|(x, _)| *x == f)
            .and_then(|(_, v)| v.clone())
    };
    for group in spec.required {
        if !group.iter().any(|f| has(f)) {
            return Err(CommandError::Required {
                tool: name,
                flag: group[0],
            });
        }
    }
    for (a, b) in spec.exclusive {
        if has(a) && has(b) {
            return Err(CommandError::Exclusive {
                tool: name,
                flag: a,
                other: b,
            });
        }
    }
    for (a, b) in spec.needs {
        if has(a) && !has(b) {
            return Err(CommandError::Needs {
                tool: name,
                flag: a,
                other: b,
            });
        }
    }
    check_values(name, &value)?;
    Ok(Some(name))
}

/// Value rules: compression types and levels, timestamps, absolute paths, ports.
fn check_values(
    name: &'static str,
    value: &dyn Fn(&str) -> Option<String>,
) -> Result<(), CommandError> {
    let bad = |flag: &'static str, value: String, expected: String| CommandError::BadValue {
        tool: name,
        flag,
        value,
        expected,
    };
    let number = |f: &'static str, lo: u64, hi: u64| -> Result<(), CommandError> {
        match value(f) {
            Some(v) if !is_expansion(&v) => match v.parse::<u64>() {
                Ok(n) if (lo..=hi).contains(&n) => Ok(()),
                _ => Err(bad(f, v, format!("is not in {lo}..={hi}"))),
            },
            _ => Ok(()),
        }
    };
    let absolute = |f: &'static str| -> Result<(), CommandError> {
        match value(f) {
            Some(v) if !is_expansion(&v) && !v.starts_with('/') => {
                Err(bad(f, v, "must be an absolute path".into()))
            }
            _ => Ok(()),
        }
    };
    match name {
        "gpbackup" => {
            let codec = value("--compression-type").unwrap_or_else(|| "gzip".into());
            let hi = match codec.as_str() {
                "gzip" => 9,
                "zstd" => 19,
                _ => {
                    let expected = "is not gzip or zstd".into();
                    return Err(bad("--compression-type", codec, expected));
                }
            };
            number("--compression-level", 1, hi)?;
            number("--jobs", 1, 65535)?;
            absolute("--backup-dir")?;
            // utils/util.go:129-134, checked at backup/validate.go:170.
            absolute("--plugin-config")?;
        }
        "gprestore" => {
            if let Some(ts) = value("--timestamp")
                && !is_expansion(&ts)
                && !(ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(bad("--timestamp", ts, "is not YYYYMMDDHHMMSS".into()));
            }
            number("--jobs", 1, 65535)?;
            absolute("--backup-dir")?;
            // restore/restore.go:43.
            absolute("--plugin-config")?;
        }
        "gpinitsystem" => {
            number("-P", 1, 65535)?;
            absolute("-S")?;
            if let Some(m) = value("--mirror-mode")
                && m != "group"
                && m != "spread"
            {
                return Err(bad("--mirror-mode", m, "is not group or spread".into()));
            }
        }
        "gpdeletesystem" => absolute("-d")?,
        "gpinitstandby" => {
            number("-P", 1, 65535)?;
            absolute("-S")?;
        }
        "gpcopy" => {
            number("--source-port", 1, 65535)?;
            number("--dest-port", 1, 65535)?;
        }
        _ => {}
    }
    Ok(())
}

/// Checks every tool call in a bash line; returns the tools it found.
pub fn check_line(line: &str) -> Result<Vec<&'static str>, CommandError> {
    let mut found = Vec::new();
    for words in split_line(line)? {
        if let Some(name) = check_words(&words)? {
            found.push(name);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quotes_pipes_and_redirections() {
        let c = split_line(
            r#"gpbackup --dbname 'my db' --backup-dir "/d x" 2>&1 | tee g_1.log && test -s "$(cat t)" > /dev/null"#,
        )
        .unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            c[0],
            vec!["gpbackup", "--dbname", "my db", "--backup-dir", "/d x"]
        );
        assert_eq!(c[1], vec!["tee", "g_1.log"]);
        assert_eq!(c[2], vec!["test", "-s", "$(cat t)"]);
        assert!(split_line("echo 'open").is_err());
        assert!(split_line("echo \"open").is_err());
    }

    #[test]
    fn accepts_what_the_tools_accept() {
        for ok in [
            "gpbackup --dbname sales --backup-dir /b --compression-type zstd --compression-level 19",
            "gpbackup --dbname sales --no-compression --metadata-only",
            "gprestore --timestamp 20261130101500 --plugin-config /home/gpadmin/p.yaml --with-globals --create-db",
            "gprestore --timestamp \"$(cat gpbackup_1.timestamp)\" --backup-dir /b --with-globals --create-db --metadata-only --on-error-continue --verbose",
            "gprestore --timestamp \"$(cat gpbackup_1.timestamp)\" --backup-dir /b --data-only --jobs 4",
            "gpinitsystem -a -I gpinitsystem_input_7 --lc-collate=\"$collate\" --lc-ctype=\"$ctype\"",
            "gprestore --timestamp \"$(cat gpbackup_1.timestamp)\" --backup-dir /b --resize-cluster",
            "gpdeletesystem -d /data/master/gpseg-1 -f",
            "gpinitsystem -a -I gpinitsystem_input_7 -s scdw -P 5432 -S /data/c/gpseg-1",
            "gpinitsystem -c cfg -h hosts --mirror-mode=spread",
            "gpaddmirrors -a -i gpaddmirrors_input_7",
            "gpinitstandby -a -s scdw -P 15432 -S /data/c/gpseg-1",
            "gpcopy --source-host cdw --source-port 5432 --dest-host cdw --dest-port 15432 --full --validate count",
            "whpg-copy copy --src-url postgres://a --dst-url postgres://b --validate-method count",
        ] {
            assert!(check_line(ok).is_ok(), "{ok}: {:?}", check_line(ok));
        }
    }

    #[test]
    fn rejects_each_kind_of_mistake() {
        let cases = [
            // unknown flags
            ("gpbackup --dbname s --backup-directory /b", "unknown flag"),
            (
                "gprestore --timestamp 20261130101500 --without-globals",
                "unknown flag",
            ),
            ("gpinitsystem -c cfg --mirror_mode=spread", "unknown flag"),
            // missing required flags
            (
                "gprestore --backup-dir /b --create-db",
                "--timestamp is required",
            ),
            ("gpbackup --backup-dir /b", "--dbname is required"),
            ("gpdeletesystem -f", "-d is required"),
            ("gpinitsystem -a -h hosts", "-c is required"),
            // flags that exclude each other
            (
                "gpbackup --dbname s --backup-dir /b --plugin-config p.yaml",
                "cannot be combined",
            ),
            (
                "gprestore --timestamp 20261130101500 --backup-dir /b --plugin-config p",
                "cannot be combined",
            ),
            (
                "gpbackup --dbname s --data-only --metadata-only",
                "cannot be combined",
            ),
            (
                "gprestore --timestamp 20261130101500 --data-only --metadata-only",
                "cannot be combined",
            ),
            (
                "gpbackup --dbname s --with-globals --without-globals",
                "unknown flag",
            ),
            (
                "gpbackup --dbname s --no-compression --compression-level 3",
                "cannot be combined",
            ),
            // values out of range
            ("gpbackup --dbname s --compression-level 10", "not in 1..=9"),
            (
                "gpbackup --dbname s --compression-type zstd --compression-level 20",
                "not in 1..=19",
            ),
            (
                "gpbackup --dbname s --compression-type lz4",
                "not gzip or zstd",
            ),
            ("gprestore --timestamp 2026-11-30", "not YYYYMMDDHHMMSS"),
            (
                "gpbackup --dbname s --backup-dir relative/dir",
                "absolute path",
            ),
            ("gpinitsystem -I f -P 5432", "-P needs -s"),
            (
                "gpinitsystem -c cfg --mirror-mode=ring",
                "not group or spread",
            ),
            ("whpg-copy --src-url a --dst-url b", "subcommand"),
            (
                "gpcopy --source-host a --full --dbname x",
                "cannot be combined",
            ),
            // issue 16: what the real tools refuse that a runbook once printed
            (
                "gpbackup --dbname s --backup-dir /b --metadata-only --jobs 4",
                "cannot be combined",
            ),
            (
                "gprestore --timestamp 20261130101500 --backup-dir /b --data-only --with-globals",
                "cannot be combined",
            ),
            (
                "gprestore --timestamp 20261130101500 --backup-dir /b --data-only --create-db",
                "cannot be combined",
            ),
            (
                "gpbackup --dbname s --plugin-config plugin_config.yaml",
                "absolute path",
            ),
            (
                "gprestore --timestamp 20261130101500 --plugin-config ./p.yaml",
                "absolute path",
            ),
            ("gpbackup --dbname", "needs a value"),
            ("gpbackup --dbname a --dbname b", "given twice"),
        ];
        for (line, why) in cases {
            match check_line(line) {
                Ok(_) => panic!("accepted: {line}"),
                Err(e) => assert!(e.to_string().contains(why), "{line}: {e} (expected {why})"),
            }
        }
    }

    #[test]
    fn finds_tools_inside_pipelines_and_conditions() {
        assert_eq!(
            check_line("test -s f && gpssh -f h -e \"rm -rf /b/x\"").unwrap(),
            Vec::<&str>::new()
        );
        assert_eq!(
            check_line("gpbackup --dbname s 2>&1 | tee x.log").unwrap(),
            vec!["gpbackup"]
        );
        assert!(check_line("true && gprestore --create-db").is_err());
    }
}

//! What `watch` runs on a host every interval, and how its output is read.
//!
//! One short read-only script per host and sample: `df` on each of the
//! host's filesystems of the plan, and a presence test for the directories
//! that tell the phase (6 data directories, 7 data directories, the staged
//! backup). Nothing is written, nothing is walked: a sample costs a few
//! `stat` calls however large the data directories are.
//!
//! Output lines:
//! - `@df <i> ok <df line>` (the last line of [`df::command`], the command
//!   `collect` runs too, read by the same [`df::parse`]) or
//!   `@df <i> error <message>`
//! - `@old <n>` / `@new_primary <n>` / `@new_mirror <n>`: how many of the
//!   host's directories of that kind exist
//! - `@backup <0|1>`: the backup directory has entries
//! - `@end`

use super::plan::{PlannedFilesystem, WatchedHost};
use crate::remote::df;
use crate::shell::quote;

/// What one sample of one host found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostSample {
    /// Per filesystem of the host (same order as [`WatchedHost::filesystems`]):
    /// used bytes, or why it could not be read.
    pub used: Vec<Result<u64, String>>,
    /// How many 6 data directories exist (of how many the host has).
    pub old_dirs: (usize, usize),
    /// How many 7 coordinator/primary directories exist.
    pub new_primary_dirs: (usize, usize),
    /// How many 7 standby/mirror directories exist.
    pub new_mirror_dirs: (usize, usize),
    /// Whether the backup directory has entries (`None`: the plan stages none here).
    pub backup: Option<bool>,
}

fn count_dirs(s: &mut String, tag: &str, dirs: &[String]) {
    if dirs.is_empty() {
        return;
    }
    s.push_str("n=0; for d in");
    for d in dirs {
        s.push(' ');
        s.push_str(&quote(d));
    }
    s.push_str(&format!(
        "; do [ -d \"$d\" ] && n=$((n+1)); done; echo \"@{tag} $n\"\n"
    ));
}

/// The script for `host` (its filesystems looked up in `fs`). Its output is
/// gathered and printed at once, so it crosses SSH as one packet, not one per
/// line (half of a sample's CPU on the watching side was per-packet work).
pub fn script(host: &WatchedHost, fs: &[PlannedFilesystem]) -> String {
    format!(
        "whpg_out=$(\n{}\n) 2>&1; printf '%s\\n' \"$whpg_out\"\n",
        script_body(host, fs).trim_end()
    )
}

fn script_body(host: &WatchedHost, fs: &[PlannedFilesystem]) -> String {
    let mut s = String::new();
    for (i, &f) in host.filesystems.iter().enumerate() {
        s.push_str(&format!(
            "o=$({} 2>&1) && echo \"@df {i} ok $(printf '%s\\n' \"$o\" | tail -n 1)\" || echo \"@df {i} error $(printf '%s' \"$o\" | tr '\\n' ' ' | cut -c1-200)\"\n",
            df::command(&fs[f].mount)
        ));
    }
    count_dirs(&mut s, "old", &host.old_dirs);
    count_dirs(&mut s, "new_primary", &host.new_primary_dirs);
    count_dirs(&mut s, "new_mirror", &host.new_mirror_dirs);
    if let Some(b) = &host.backup_dir {
        s.push_str(&format!(
            "if [ -n \"$(ls -A -- {} 2>/dev/null | head -n 1)\" ]; then echo '@backup 1'; else echo '@backup 0'; fi\n",
            quote(b)
        ));
    }
    s.push_str("echo @end\n");
    s
}

/// Why a sample's output cannot be read (the host is then shown stale).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleParseError {
    /// A line the script does not print.
    #[error("bad line: {0}")]
    Line(String),
    /// No `@end`: the script was cut short.
    #[error("the sample script was cut short (no @end)")]
    CutShort,
}

/// Reads the script's output; an error when it is cut short or malformed.
pub fn parse(
    host: &WatchedHost,
    fs: &[PlannedFilesystem],
    out: &str,
) -> Result<HostSample, SampleParseError> {
    let mut sample = HostSample {
        used: vec![Err("no df line".to_string()); host.filesystems.len()],
        old_dirs: (0, host.old_dirs.len()),
        new_primary_dirs: (0, host.new_primary_dirs.len()),
        new_mirror_dirs: (0, host.new_mirror_dirs.len()),
        backup: None,
    };
    let mut ended = false;
    for line in out.lines() {
        let mut it = line.splitn(3, ' ');
        let tag = it.next().unwrap_or("");
        let a = it.next().unwrap_or("");
        let rest = it.next().unwrap_or("");
        match tag {
            "@df" => {
                let i: usize = a.parse().map_err(|_| SampleParseError::Line(line.into()))?;
                let Some(&f) = host.filesystems.get(i) else {
                    return Err(SampleParseError::Line(line.into()));
                };
                sample.used[i] = parse_df(rest, &fs[f].mount);
            }
            "@old" => {
                sample.old_dirs.0 = a.parse().map_err(|_| SampleParseError::Line(line.into()))?
            }
            "@new_primary" => {
                sample.new_primary_dirs.0 =
                    a.parse().map_err(|_| SampleParseError::Line(line.into()))?
            }
            "@new_mirror" => {
                sample.new_mirror_dirs.0 =
                    a.parse().map_err(|_| SampleParseError::Line(line.into()))?
            }
            "@backup" => sample.backup = Some(a == "1"),
            "@end" => ended = true,
            _ => {}
        }
    }
    if !ended {
        return Err(SampleParseError::CutShort);
    }
    Ok(sample)
}

/// One `@df` answer (`ok <df line>` or `error <message>`): the used bytes,
/// if the filesystem mounted at `mount` is the one df reports (a mount
/// point that is gone leaves its directory on the parent filesystem).
fn parse_df(rest: &str, mount: &str) -> Result<u64, String> {
    let (status, detail) = rest.split_once(' ').unwrap_or((rest, ""));
    match status {
        "ok" => {}
        "error" => return Err(format!("df failed: {}", detail.trim())),
        _ => return Err(format!("unreadable df output: {rest}")),
    }
    let l = df::parse(detail).map_err(|e| format!("unreadable df output: {e}"))?;
    if l.mount == mount {
        Ok(l.used_bytes)
    } else {
        Err(format!(
            "{mount} is not mounted: df reports it on {}",
            l.mount
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A filesystem of the plan with nothing planned (only its name matters here).
    fn planned(host: &str, mount: &str) -> PlannedFilesystem {
        PlannedFilesystem {
            host: host.into(),
            mount: mount.into(),
            measured_used_bytes: 0,
            limit_bytes: 0,
            peak_bytes: 0,
            peak_phase: String::new(),
            phase_bytes: vec![],
        }
    }

    fn host() -> (WatchedHost, Vec<PlannedFilesystem>) {
        let fs = |m: &str| planned("sdw1", m);
        (
            WatchedHost {
                name: "sdw1".into(),
                address: "sdw1".into(),
                filesystems: vec![0, 1],
                old_dirs: vec!["/data1/primary/gpseg0".into(), "/data1/o'dd dir".into()],
                new_primary_dirs: vec!["/data1/primary_gp7/gpseg0".into()],
                new_mirror_dirs: vec![],
                backup_dir: Some("/data2/whpg_backup".into()),
            },
            vec![fs("/data1"), fs("/data 2")],
        )
    }

    /// Runs the script under `sh` here and reads its output.
    fn run(h: &WatchedHost, fss: &[PlannedFilesystem]) -> HostSample {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script(h, fss))
            .output()
            .unwrap();
        parse(h, fss, &String::from_utf8_lossy(&out.stdout)).unwrap()
    }

    /// The script runs under sh against real directories and df, and its
    /// output reads back: counts, backup presence, and a mount that is not
    /// one (df answers for its parent) reported as such.
    #[test]
    fn script_runs_and_parses() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        let mut h = WatchedHost {
            name: "here".into(),
            address: "here".into(),
            filesystems: vec![0, 1],
            old_dirs: vec![
                format!("{root}/old1"),
                format!("{root}/o'ld 2"),
                format!("{root}/gone"),
            ],
            new_primary_dirs: vec![format!("{root}/new")],
            new_mirror_dirs: vec![format!("{root}/mirror")],
            backup_dir: Some(format!("{root}/backup")),
        };
        for d in ["old1", "o'ld 2", "new", "backup"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        let fs = |m: String| planned("here", &m);
        let fss = vec![fs("/".into()), fs(format!("{root}/new"))];
        let s = run(&h, &fss);
        assert!(matches!(s.used[0], Ok(u) if u > 0), "{:?}", s.used[0]);
        assert!(
            matches!(&s.used[1], Err(e) if e.contains("is not mounted")),
            "{:?}",
            s.used[1]
        );
        assert_eq!(s.old_dirs, (2, 3));
        assert_eq!(s.new_primary_dirs, (1, 1));
        assert_eq!(s.new_mirror_dirs, (0, 1));
        assert_eq!(
            s.backup,
            Some(false),
            "an empty backup directory is no backup"
        );
        std::fs::write(dir.path().join("backup/gpbackup_1.timestamp"), "x").unwrap();
        h.backup_dir = Some(format!("{root}/backup"));
        let s = run(&h, &fss);
        assert_eq!(s.backup, Some(true));
    }

    #[test]
    fn output_cut_short_or_garbled_is_an_error() {
        let (h, fs) = host();
        assert!(parse(&h, &fs, "@df 0 ok d tmpfs 100 50 50 50% /data1\n").is_err());
        assert!(parse(&h, &fs, "@df 7 ok d tmpfs 100 50 50 50% /data1\n@end\n").is_err());
        let s = parse(
            &h,
            &fs,
            "@df 0 ok d1  tmpfs  100  50 50 50% /data1\n@df 1 ok seg x tmpfs 100 60 40 60% /data 2\n@old 1\n@end\n",
        )
        .unwrap();
        assert_eq!(
            s.used,
            vec![Ok(50), Ok(60)],
            "a mount and a device with a space read"
        );
        let s = parse(&h, &fs, "@df 0 error df: /data1: No such file\n@end\n").unwrap();
        assert!(matches!(&s.used[0], Err(e) if e.contains("No such file")));
        assert!(matches!(&s.used[1], Err(e) if e.contains("no df line")));
        // The shared parser's checks: every number must be a byte count,
        // and the filesystem must be the planned one.
        let s = parse(
            &h,
            &fs,
            "@df 0 ok d tmpfs 1k 50 50 50% /data1\n@df 1 ok d tmpfs 100 60 40 60% /data\n@end\n",
        )
        .unwrap();
        assert!(
            matches!(&s.used[0], Err(e) if e.contains("unreadable df output") && e.contains("size '1k'")),
            "{:?}",
            s.used[0]
        );
        assert!(
            matches!(&s.used[1], Err(e) if e.contains("/data 2 is not mounted: df reports it on /data")),
            "{:?}",
            s.used[1]
        );
    }

    #[test]
    fn every_path_is_quoted() {
        let (h, fs) = host();
        let s = script(&h, &fs);
        assert!(s.contains("'/data1/o'\\''dd dir'"), "{s}");
        assert!(s.contains("-- '/data 2'"), "{s}");
    }
}

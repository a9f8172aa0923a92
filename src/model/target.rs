//! The 7 cluster's `gpinitsystem_config` (and its host file), read into the
//! parts that decide where the new instances go. Parsing only: placing them is
//! [`super::layout`]'s job.

use std::collections::HashMap;

/// The parts of a 7 `gpinitsystem_config` that decide placement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetConfig {
    /// Where the config came from, for messages.
    pub path: String,
    /// `SEG_PREFIX` (default `gpseg`).
    pub seg_prefix: String,
    /// `DATA_DIRECTORY`: one entry per primary per host.
    pub data_directories: Vec<String>,
    /// `MIRROR_DATA_DIRECTORY`: one entry per mirror per host; empty = no mirrors.
    pub mirror_data_directories: Vec<String>,
    /// `COORDINATOR_HOSTNAME` (or GP6's `MASTER_HOSTNAME`).
    pub coordinator_hostname: Option<String>,
    /// `COORDINATOR_DIRECTORY` (or `MASTER_DIRECTORY`).
    pub coordinator_directory: Option<String>,
    /// `MACHINE_LIST_FILE`, as written.
    pub machine_list_file: Option<String>,
    /// `PORT_BASE`: the first primary port on each host.
    pub port_base: Option<u16>,
    /// `MIRROR_PORT_BASE`: the first mirror port on each host.
    pub mirror_port_base: Option<u16>,
    /// `COORDINATOR_PORT` (or GP6's `MASTER_PORT`).
    pub coordinator_port: Option<u16>,
    /// The segment hosts, in order (from the machine list, or the inventory's).
    pub hosts: Vec<String>,
    /// Set when the host list was not found and the 6 segment hosts were assumed.
    pub hosts_note: Option<String>,
}

/// Parses the shell-syntax `gpinitsystem_config`: `NAME=value` lines and
/// `declare -a NAME=(a b c)` arrays (which may span lines). Errors give the
/// 1-based line.
pub fn parse_gpinitsystem_config(text: &str, path: &str) -> Result<TargetConfig, (usize, String)> {
    let mut vars: HashMap<String, (usize, Vec<String>)> = HashMap::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, raw)) = lines.next() {
        let line_no = n + 1;
        let line = strip_comment(raw).trim().to_string();
        if line.is_empty() {
            continue;
        }
        let assignment = line
            .strip_prefix("declare -a ")
            .map(str::trim)
            .unwrap_or(&line);
        let Some((name, value)) = assignment.split_once('=') else {
            return Err((
                line_no,
                format!("expected NAME=value, found '{}'", raw.trim()),
            ));
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err((line_no, format!("'{name}' is not a variable name")));
        }
        let value = value.trim();
        if let Some(rest) = value.strip_prefix('(') {
            let mut body = rest.to_string();
            while !body.contains(')') {
                match lines.next() {
                    Some((_, more)) => {
                        body.push(' ');
                        body.push_str(strip_comment(more));
                    }
                    None => return Err((line_no, format!("array {name} is not closed with ')'"))),
                }
            }
            let inside = &body[..body.find(')').unwrap()];
            let items = inside.split_whitespace().map(unquote).collect();
            vars.insert(name.to_string(), (line_no, items));
        } else {
            vars.insert(name.to_string(), (line_no, vec![unquote(value)]));
        }
    }
    let scalar = |k: &str| vars.get(k).and_then(|(_, v)| v.first().cloned());
    let data_directories = vars
        .get("DATA_DIRECTORY")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if data_directories.is_empty() {
        return Err((0, "DATA_DIRECTORY is missing or empty".into()));
    }
    let mirror_data_directories = vars
        .get("MIRROR_DATA_DIRECTORY")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if !mirror_data_directories.is_empty()
        && mirror_data_directories.len() != data_directories.len()
    {
        let line = vars["MIRROR_DATA_DIRECTORY"].0;
        return Err((
            line,
            format!(
                "MIRROR_DATA_DIRECTORY has {} entries but DATA_DIRECTORY has {}",
                mirror_data_directories.len(),
                data_directories.len()
            ),
        ));
    }
    for (k, (line, v)) in &vars {
        if k.ends_with("DIRECTORY") && v.iter().any(|d| !d.starts_with('/')) {
            return Err((*line, format!("{k} entries must be absolute paths")));
        }
    }
    let port = |names: &[&str]| -> Result<Option<u16>, (usize, String)> {
        for k in names {
            if let Some((line, v)) = vars.get(*k) {
                let text = v.first().map(String::as_str).unwrap_or("");
                return match text.parse::<u16>() {
                    Ok(p) if p > 0 => Ok(Some(p)),
                    _ => Err((*line, format!("{k}={text} is not a port (1-65535)"))),
                };
            }
        }
        Ok(None)
    };
    let port_base = port(&["PORT_BASE"])?;
    let mirror_port_base = port(&["MIRROR_PORT_BASE"])?;
    let coordinator_port = port(&["COORDINATOR_PORT", "MASTER_PORT"])?;
    Ok(TargetConfig {
        path: path.to_string(),
        port_base,
        mirror_port_base,
        coordinator_port,
        seg_prefix: scalar("SEG_PREFIX").unwrap_or_else(|| "gpseg".into()),
        data_directories,
        mirror_data_directories,
        coordinator_hostname: scalar("COORDINATOR_HOSTNAME").or_else(|| scalar("MASTER_HOSTNAME")),
        coordinator_directory: scalar("COORDINATOR_DIRECTORY")
            .or_else(|| scalar("MASTER_DIRECTORY")),
        machine_list_file: scalar("MACHINE_LIST_FILE"),
        hosts: Vec::new(),
        hosts_note: None,
    })
}

fn strip_comment(s: &str) -> &str {
    match s.find('#') {
        Some(i) => &s[..i],
        None => s,
    }
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').trim_matches('\'').to_string()
}

/// Parses a host file (gpinitsystem -h, gpssh -f): one host per line, `#` comments.
pub fn parse_host_file(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| strip_comment(l).trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
# a 7 layout
ARRAY_NAME="WarehousePG 7"
SEG_PREFIX=gpseg
PORT_BASE=6000
declare -a DATA_DIRECTORY=(/data1/primary /data2/primary)
COORDINATOR_HOSTNAME=cdw
COORDINATOR_DIRECTORY=/data/coordinator
declare -a MIRROR_DATA_DIRECTORY=(/data1/mirror
   /data2/mirror)   # continued
MACHINE_LIST_FILE=/home/gpadmin/hostfile
"#;

    #[test]
    fn parses_arrays_scalars_and_continuations() {
        let c = parse_gpinitsystem_config(CONFIG, "cfg").unwrap();
        assert_eq!(c.data_directories, vec!["/data1/primary", "/data2/primary"]);
        assert_eq!(
            c.mirror_data_directories,
            vec!["/data1/mirror", "/data2/mirror"]
        );
        assert_eq!(c.coordinator_hostname.as_deref(), Some("cdw"));
        assert_eq!(
            c.coordinator_directory.as_deref(),
            Some("/data/coordinator")
        );
        assert_eq!(
            c.machine_list_file.as_deref(),
            Some("/home/gpadmin/hostfile")
        );
        assert_eq!(c.seg_prefix, "gpseg");
    }

    #[test]
    fn gp6_names_are_accepted() {
        let c = parse_gpinitsystem_config(
            "declare -a DATA_DIRECTORY=(/d1)\nMASTER_HOSTNAME=mdw\nMASTER_DIRECTORY=/data/master\n",
            "cfg",
        )
        .unwrap();
        assert_eq!(c.coordinator_hostname.as_deref(), Some("mdw"));
        assert!(c.mirror_data_directories.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_gpinitsystem_config("SEG_PREFIX=gpseg\nthis is wrong\n", "cfg").unwrap_err();
        assert_eq!(e.0, 2);
        let e = parse_gpinitsystem_config(
            "declare -a DATA_DIRECTORY=(/a /b)\ndeclare -a MIRROR_DATA_DIRECTORY=(/m)\n",
            "cfg",
        )
        .unwrap_err();
        assert_eq!(e.0, 2);
        let e =
            parse_gpinitsystem_config("declare -a DATA_DIRECTORY=(relative)\n", "cfg").unwrap_err();
        assert_eq!(e.0, 1);
        assert!(parse_gpinitsystem_config("PORT_BASE=6000\n", "cfg").is_err());
    }

    #[test]
    fn host_file_skips_comments_and_blanks() {
        assert_eq!(
            parse_host_file("sdw1\n# x\n\n sdw2 \n"),
            vec!["sdw1", "sdw2"]
        );
    }
}

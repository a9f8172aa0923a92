//! Where the 7 cluster's instances go: the old layout by default, or the one a
//! 7 `gpinitsystem_config` describes (group or spread mirroring).

use super::error::ModelError;
use std::collections::HashMap;

use serde::Serialize;

use super::options::{MirrorMode, PlanOptions};
use crate::inventory::{InstanceKind, Inventory, mount_for_path};

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

/// One instance of the 7 cluster, placed on a host and filesystem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewInstance {
    /// Coordinator, standby, primary or mirror.
    pub kind: InstanceKind,
    /// Content id.
    pub content: i32,
    /// Host.
    pub host: String,
    /// Data directory.
    pub datadir: String,
    /// Port (distinct from every 6 port, since both clusters run at once).
    pub port: u16,
    /// dbid: coordinator 1, primaries `2 + content`, mirrors after them, standby last
    /// (the order gpinitsystem assigns them).
    pub dbid: u32,
    /// Filesystem (mount point) of the data directory.
    pub mount: String,
    /// Restored data bytes in the data directory.
    pub data_bytes: u64,
    /// Restored tablespace bytes: (mount, bytes).
    pub tablespace_bytes: Vec<(String, u64)>,
}

/// Restored bytes of one content: in the data directory, and per tablespace location.
#[derive(Debug, Clone, Default)]
struct ContentData {
    base: f64,
    tablespaces: Vec<(String, f64)>,
}

/// The inventory's hosts by name, to find the measured filesystem that holds a path.
struct HostMounts<'a>(std::collections::HashMap<&'a str, &'a crate::inventory::Host>);

impl HostMounts<'_> {
    /// The mount point on `host` that holds `path`.
    fn resolve(&self, host: &str, path: &str) -> Result<String, ModelError> {
        let h = self
            .0
            .get(host)
            .ok_or_else(|| ModelError::TargetHostNotMeasured(host.into()))?;
        mount_for_path(path, h.filesystems.iter().map(|f| f.mount.as_str()))
            .map(str::to_string)
            .ok_or_else(|| ModelError::PathNotMeasured {
                host: host.into(),
                path: path.into(),
            })
    }
}

/// The default 7 layout: same hosts, same contents, new directories beside
/// the old ones on the same filesystems, ports shifted by `shift`.
fn same_layout(
    inv: &Inventory,
    grow: f64,
    shift: u16,
    mounts: &HostMounts,
) -> Result<Vec<NewInstance>, ModelError> {
    let resolve = |host: &str, path: &str| mounts.resolve(host, path);
    let mut out = Vec::new();
    // Same hosts, same contents, new directories on the same filesystems.
    for i in &inv.instances {
        let mount = match &i.mount {
            Some(m) => m.clone(),
            None => resolve(&i.host, &i.datadir)?,
        };
        let mut tablespace_bytes = Vec::new();
        for t in &i.tablespaces {
            let m = match &t.mount {
                Some(m) => m.clone(),
                None => resolve(&i.host, &t.location)?,
            };
            tablespace_bytes.push((m, (t.bytes.unwrap_or(0) as f64 * grow).round() as u64));
        }
        out.push(NewInstance {
            kind: i.kind(),
            content: i.content,
            host: i.host.clone(),
            datadir: sibling_dir(&i.datadir),
            port: i.port.saturating_add(shift),
            dbid: 0,
            mount,
            data_bytes: (i.bytes.map(|b| b.data).unwrap_or(0) as f64 * grow).round() as u64,
            tablespace_bytes,
        });
    }
    assign_dbids(&mut out);
    Ok(out)
}

/// Each old primary's data (× growth), with its tablespaces by location, by content.
fn old_contents(inv: &Inventory, grow: f64) -> Vec<(i32, ContentData)> {
    let mut v: Vec<_> = inv
        .instances
        .iter()
        .filter(|i| i.kind() == InstanceKind::Primary)
        .map(|i| {
            let cd = ContentData {
                base: i.bytes.map(|b| b.data).unwrap_or(0) as f64 * grow,
                tablespaces: i
                    .tablespaces
                    .iter()
                    .map(|t| (t.location.clone(), t.bytes.unwrap_or(0) as f64 * grow))
                    .collect(),
            };
            (i.content, cd)
        })
        .collect();
    v.sort_by_key(|(c, _)| *c);
    v
}

/// The data new content `content` holds: the old content's when the count
/// is the same, else an even share (gprestore --resize-cluster spreads rows).
fn resized(old: &[(i32, ContentData)], new_contents: usize, content: usize) -> ContentData {
    if old.len() == new_contents {
        return old[content].1.clone();
    }
    // A different segment count: gprestore --resize-cluster spreads rows evenly.
    let n = new_contents as f64;
    let mut by_loc: Vec<(String, f64)> = Vec::new();
    let mut base = 0.0;
    for (_, cd) in old {
        base += cd.base;
        for (loc, b) in &cd.tablespaces {
            match by_loc.iter_mut().find(|(l, _)| l == loc) {
                Some(e) => e.1 += b,
                None => by_loc.push((loc.clone(), *b)),
            }
        }
    }
    ContentData {
        base: base / n,
        tablespaces: by_loc.into_iter().map(|(l, b)| (l, b / n)).collect(),
    }
}

/// Places every instance of the 7 cluster. Each new instance holds its
/// content's data as measured today (× growth): indexes are rebuilt by the
/// restore, so they count; bloat a restore would shed is not credited.
pub fn place_new_cluster(
    inv: &Inventory,
    opts: &PlanOptions,
) -> Result<Vec<NewInstance>, ModelError> {
    let grow = 1.0 + opts.growth;
    let mounts = HostMounts(inv.hosts.iter().map(|h| (h.name.as_str(), h)).collect());
    let resolve = |host: &str, path: &str| mounts.resolve(host, path);

    let mut out = Vec::new();
    let shift = port_shift(inv.instances.iter().map(|i| i.port));
    let Some(target) = &opts.target else {
        return same_layout(inv, grow, shift, &mounts);
    };

    let target_hosts = &target.hosts;
    if target_hosts.is_empty() {
        return Err(ModelError::TargetLayout {
            path: target.path.clone(),
            message: "the target layout names no segment host".into(),
        });
    }
    let per_host = target.data_directories.len();
    let mirrored = !target.mirror_data_directories.is_empty();
    if mirrored && target_hosts.len() < 2 {
        return Err(ModelError::TargetLayout {
            path: target.path.clone(),
            message: "mirrors need at least 2 segment hosts".into(),
        });
    }
    if mirrored && opts.mirror_mode == MirrorMode::Spread && target_hosts.len() <= per_host {
        return Err(ModelError::TargetLayout {
            path: target.path.clone(),
            message: format!(
                "spread mirroring needs more hosts ({}) than primaries per host ({per_host})",
                target_hosts.len()
            ),
        });
    }
    let new_contents = target_hosts.len() * per_host;

    let old = old_contents(inv, grow);
    let data_for = |content: usize| resized(&old, new_contents, content);

    let mut place =
        |kind, content: i32, host: &str, dir: &str, cd: &ContentData| -> Result<(), ModelError> {
            let datadir = format!(
                "{}/{}{}",
                dir.trim_end_matches('/'),
                target.seg_prefix,
                content
            );
            let mount = resolve(host, &datadir)?;
            let mut tablespace_bytes = Vec::new();
            for (loc, b) in &cd.tablespaces {
                tablespace_bytes.push((resolve(host, loc)?, b.round() as u64));
            }
            out.push(NewInstance {
                kind,
                content,
                host: host.to_string(),
                datadir,
                port: 0,
                dbid: 0,
                mount,
                data_bytes: cd.base.round() as u64,
                tablespace_bytes,
            });
            Ok(())
        };

    for (h, host) in target_hosts.iter().enumerate() {
        for (i, dir) in target.data_directories.iter().enumerate() {
            let content = h * per_host + i;
            let cd = data_for(content);
            place(InstanceKind::Primary, content as i32, host, dir, &cd)?;
            if mirrored {
                let mh = match opts.mirror_mode {
                    MirrorMode::Group => (h + 1) % target_hosts.len(),
                    MirrorMode::Spread => (h + 1 + i) % target_hosts.len(),
                };
                place(
                    InstanceKind::Mirror,
                    content as i32,
                    &target_hosts[mh],
                    &target.mirror_data_directories[i],
                    &cd,
                )?;
            }
        }
    }

    // Coordinator (and the old standby's host for a new standby).
    for i in inv.instances.iter().filter(|i| i.content < 0) {
        let cd = ContentData {
            base: i.bytes.map(|b| b.data).unwrap_or(0) as f64 * grow,
            tablespaces: Vec::new(),
        };
        let (host, dir) = match (
            i.kind(),
            &target.coordinator_hostname,
            &target.coordinator_directory,
        ) {
            (InstanceKind::Coordinator, Some(h), Some(d)) => (h.clone(), d.clone()),
            (InstanceKind::Coordinator, None, Some(d)) => (i.host.clone(), d.clone()),
            _ => (
                i.host.clone(),
                parent_dir(&sibling_dir(&i.datadir)).to_string(),
            ),
        };
        let datadir = format!("{}/{}-1", dir.trim_end_matches('/'), target.seg_prefix);
        let mount = resolve(&host, &datadir)?;
        out.push(NewInstance {
            kind: i.kind(),
            content: -1,
            host,
            datadir,
            port: target
                .coordinator_port
                .unwrap_or(i.port.saturating_add(shift)),
            dbid: 0,
            mount,
            data_bytes: cd.base.round() as u64,
            tablespace_bytes: Vec::new(),
        });
    }
    // Segment ports: PORT_BASE / MIRROR_PORT_BASE counted up per host, as gpinitsystem does.
    let old_min = |role: InstanceKind| {
        inv.instances
            .iter()
            .filter(|i| i.kind() == role)
            .map(|i| i.port)
            .min()
            .unwrap_or(6000)
            .saturating_add(shift)
    };
    let primary_base = target
        .port_base
        .unwrap_or_else(|| old_min(InstanceKind::Primary));
    let mirror_base = target
        .mirror_port_base
        .unwrap_or_else(|| old_min(InstanceKind::Mirror));
    let mut next: HashMap<(String, bool), u16> = HashMap::new();
    for n in out.iter_mut().filter(|n| n.content >= 0) {
        let primary = n.kind == InstanceKind::Primary;
        let k = next.entry((n.host.clone(), primary)).or_insert(0);
        let base = if primary { primary_base } else { mirror_base };
        n.port = base.saturating_add(*k);
        *k += 1;
    }
    assign_dbids(&mut out);
    Ok(out)
}

/// The smallest shift (from 10000 down to 1000) that moves every 6 port onto
/// one no 6 instance uses and that stays a valid port: the 7 cluster runs
/// beside the 6 one on the same hosts.
fn port_shift(old: impl Iterator<Item = u16>) -> u16 {
    let old: std::collections::HashSet<u16> = old.collect();
    let max = old.iter().copied().max().unwrap_or(0);
    [10000u16, 20000, 1000, 2000, 3000, 500]
        .into_iter()
        .find(|s| {
            u32::from(max) + u32::from(*s) <= 65535 && old.iter().all(|p| !old.contains(&(p + s)))
        })
        .unwrap_or(1)
}

/// dbids in gpinitsystem's order: coordinator 1, primaries by content,
/// mirrors by content, then the standby.
fn assign_dbids(out: &mut [NewInstance]) {
    let rank = |k: InstanceKind| match k {
        InstanceKind::Coordinator => 0,
        InstanceKind::Primary => 1,
        InstanceKind::Mirror => 2,
        InstanceKind::Standby => 3,
    };
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|&i| (rank(out[i].kind), out[i].content));
    for (dbid, i) in order.into_iter().enumerate() {
        out[i].dbid = dbid as u32 + 1;
    }
}

/// `/data1/primary/gpseg0` → `/data1/primary_gp7/gpseg0`: a new directory beside the old one.
fn sibling_dir(datadir: &str) -> String {
    let d = datadir.trim_end_matches('/');
    match d.rfind('/') {
        Some(0) | None => format!("{d}_gp7"),
        Some(i) => format!("{}_gp7{}", &d[..i], &d[i..]),
    }
}

fn parent_dir(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
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

    #[test]
    fn sibling_directory_names() {
        assert_eq!(
            sibling_dir("/data1/primary/gpseg0"),
            "/data1/primary_gp7/gpseg0"
        );
        assert_eq!(sibling_dir("/gpseg0"), "/gpseg0_gp7");
    }
}

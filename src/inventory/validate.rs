//! Semantic checks of an inventory that parsed: each problem names the host
//! or instance it is about, so a reader can find it in the file.

use std::collections::{HashMap, HashSet};

use super::schema::{FORMAT, HostStatus, Inventory, Role, path_is_under};

/// How far `used + available` may exceed `total` before it is an error: df
/// output rounded to 1 KiB blocks can be off by a block per figure.
pub const ROUNDING_TOLERANCE_BYTES: u64 = 1 << 20;

/// One thing wrong with an inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub String);

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The outcome of validating an inventory that has no errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validated {
    /// Things that are allowed but worth a reader's attention.
    pub warnings: Vec<String>,
}

/// Checks an inventory; returns its warnings, or every error found.
pub fn validate(inv: &Inventory) -> Result<Validated, Vec<Problem>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut err = |s: String| errors.push(Problem(s));

    if inv.format != FORMAT {
        err(format!("format is '{}', expected '{FORMAT}'", inv.format));
    }

    let mut host_mounts: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut host_status: HashMap<&str, HostStatus> = HashMap::new();
    for h in &inv.hosts {
        if host_status.insert(&h.name, h.status).is_some() {
            err(format!("host {}: listed twice", h.name));
        }
        if h.status == HostStatus::Failed && h.error.is_none() {
            err(format!("host {}: status failed without an error", h.name));
        }
        let mounts = host_mounts.entry(&h.name).or_default();
        for fs in &h.filesystems {
            if !mounts.insert(&fs.mount) {
                err(format!(
                    "host {}: filesystem {} listed twice",
                    h.name, fs.mount
                ));
            }
            let sum = fs.used_bytes as u128 + fs.available_bytes as u128;
            if sum > fs.total_bytes as u128 + ROUNDING_TOLERANCE_BYTES as u128 {
                err(format!(
                    "host {} filesystem {}: used_bytes + available_bytes ({sum}) exceeds total_bytes ({})",
                    h.name, fs.mount, fs.total_bytes
                ));
            }
            if !fs.mount.starts_with('/') {
                err(format!(
                    "host {} filesystem {}: mount point is not an absolute path",
                    h.name, fs.mount
                ));
            }
        }
    }

    let mut dbids = HashSet::new();
    let mut primaries: HashMap<i32, Vec<&str>> = HashMap::new();
    let mut contents = HashSet::new();
    for i in &inv.instances {
        let who = format!("instance dbid {} ({}:{})", i.dbid, i.host, i.datadir);
        if !dbids.insert(i.dbid) {
            err(format!("{who}: dbid {} is used twice", i.dbid));
        }
        if i.content < -1 {
            err(format!("{who}: content {} is below -1", i.content));
        }
        contents.insert(i.content);
        if i.role == Role::Primary {
            primaries.entry(i.content).or_default().push(&i.host);
        }
        let Some(status) = host_status.get(i.host.as_str()) else {
            err(format!("{who}: host {} is not in the hosts list", i.host));
            continue;
        };
        if *status == HostStatus::Failed {
            continue;
        }
        let mounts = &host_mounts[i.host.as_str()];
        match &i.mount {
            Some(m) if !mounts.contains(m.as_str()) => err(format!(
                "{who}: mount {m} is not a filesystem listed for host {}",
                i.host
            )),
            Some(m) if !path_is_under(&i.datadir, m) => {
                err(format!("{who}: data directory is not under its mount {m}"))
            }
            _ => {}
        }
        for t in &i.tablespaces {
            if let Some(m) = &t.mount
                && !mounts.contains(m.as_str())
            {
                err(format!(
                    "{who}: tablespace {} mount {m} is not a filesystem listed for host {}",
                    t.oid, i.host
                ));
            }
        }
    }

    let mut sorted: Vec<_> = contents.into_iter().collect();
    sorted.sort();
    for c in sorted {
        match primaries.get(&c).map(Vec::len).unwrap_or(0) {
            0 => err(format!("content {c}: has no primary")),
            1 => {}
            n => err(format!("content {c}: has {n} primaries")),
        }
    }
    if inv.instances.is_empty() {
        err("instances: the inventory lists no instance".to_string());
    }

    for m in inv
        .instances
        .iter()
        .filter(|i| i.role == Role::Mirror && i.content >= 0)
    {
        if let Some(hosts) = primaries.get(&m.content)
            && hosts.contains(&m.host.as_str())
        {
            warnings.push(format!(
                    "content {}: mirror (dbid {}) is on the same host as its primary ({}): losing that host loses the content",
                    m.content, m.dbid, m.host
                ));
        }
    }

    if errors.is_empty() {
        Ok(Validated { warnings })
    } else {
        Err(errors)
    }
}

//! Where the 7 cluster's instances go: the old layout by default, or the one a
//! 7 `gpinitsystem_config` describes (group or spread mirroring).

use super::error::ModelError;
use std::collections::HashMap;

use serde::Serialize;

use super::options::{MirrorMode, PlanOptions};
use crate::inventory::{InstanceKind, Inventory, mount_for_path};

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

    #[test]
    fn sibling_directory_names() {
        assert_eq!(
            sibling_dir("/data1/primary/gpseg0"),
            "/data1/primary_gp7/gpseg0"
        );
        assert_eq!(sibling_dir("/gpseg0"), "/gpseg0_gp7");
    }
}

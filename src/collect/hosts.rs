//! What to measure on each segment host, and measuring it: one SSH session and
//! one probe script per host. A host that cannot be measured is a
//! [`HostError`] stored in the inventory, never an abort.

use std::collections::BTreeMap;

use super::coordinator::CatalogSnapshot;
use super::io::{IoResult, IoTarget, io_script, parse_io_output};
use super::probe::{self, DuItem, host_script_with_reports, parse_probe_output};
use crate::remote::transport::{Target, Transport, TransportError};

/// Why one host could not be measured; recorded in the inventory as the host's
/// error, never an abort.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// `--local` measures only this machine.
    #[error("{host}: not measured (--local measures only this machine)")]
    NotLocal {
        /// The host.
        host: String,
    },
    /// SSH to the host or the probe command failed.
    #[error("{}: {source}", target_name(target))]
    Transport {
        /// The host.
        target: Target,
        /// Why.
        source: TransportError,
    },
    /// The probe ran but its output cannot be read.
    #[error(
        "{}: unreadable probe output: {source}{}",
        target_name(target),
        stderr_note(stderr)
    )]
    Probe {
        /// The host.
        target: Target,
        /// What is wrong with the output.
        source: probe::ProbeError,
        /// What the probe printed on stderr, trimmed.
        stderr: String,
    },
}

/// `name (address)`, or `name` when they are the same.
fn target_name(t: &Target) -> String {
    if t.name == t.address {
        t.name.clone()
    } else {
        format!("{} ({})", t.name, t.address)
    }
}

fn stderr_note(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!("; stderr: {stderr}")
    }
}

/// One host's work list: the paths to measure and what they belong to.
#[derive(Debug, Clone, Default)]
pub struct HostWork {
    /// Host name.
    pub name: String,
    /// Address to connect to.
    pub address: String,
    /// What to measure with du …
    pub items: Vec<DuItem>,
    /// … and the path of each answer, in index order.
    pub du: Vec<String>,
    /// Paths whose filesystem is recorded.
    pub df: Vec<String>,
    /// Directories searched for earlier gpbackup files.
    pub scan: Vec<String>,
    /// Directories searched for gpbackup report files (the coordinator's
    /// host only: gpbackup writes its report next to the coordinator's files).
    pub reports: Vec<String>,
}

/// Where gpbackup writes the coordinator's report for a backup whose
/// coordinator data directory is `datadir`, given the earlier `--backup-dir`s:
/// `<datadir>/backups`, and for each `D`, `D/gpseg-1/backups` and
/// `D/backups` (`--single-backup-dir`). Reports lie two levels below
/// (`<YYYYMMDD>/<timestamp>/`).
pub fn report_dirs(datadir: &str, backup_dirs: &[String]) -> Vec<String> {
    std::iter::once(format!("{}/backups", datadir.trim_end_matches('/')))
        .chain(backup_dirs.iter().flat_map(|d| {
            let d = d.trim_end_matches('/');
            [format!("{d}/gpseg-1/backups"), format!("{d}/backups")]
        }))
        .collect()
}

/// `<location>/<dbid>`: one instance's directory of a tablespace.
pub fn tablespace_dir(location: &str, dbid: u32) -> String {
    format!("{}/{dbid}", location.trim_end_matches('/'))
}

/// Each host's work list from the catalog: its instances, their tablespaces,
/// the extra paths and the backup directories to search.
pub fn plan_hosts(
    snap: &CatalogSnapshot,
    extra: &[String],
    backup_dirs: &[String],
) -> Vec<HostWork> {
    let mut hosts: BTreeMap<String, HostWork> = BTreeMap::new();
    for s in &snap.segments {
        let h = hosts.entry(s.hostname.clone()).or_insert_with(|| HostWork {
            name: s.hostname.clone(),
            address: s
                .address
                .clone()
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| s.hostname.clone()),
            ..Default::default()
        });
        let item = DuItem::Instance(s.datadir.clone());
        h.du.extend(item.paths());
        h.items.push(item);
        h.df.push(s.datadir.clone());
        if s.role == "p" && s.content < 0 {
            h.reports = report_dirs(&s.datadir, backup_dirs);
        }
        if s.role == "p" && s.content >= 0 {
            h.scan
                .push(format!("{}/backups", s.datadir.trim_end_matches('/')));
        }
        for t in snap.tablespaces.iter().filter(|t| t.content == s.content) {
            let dir = tablespace_dir(&t.location, s.dbid);
            h.du.push(dir.clone());
            h.items.push(DuItem::Path(dir.clone()));
            h.df.push(dir);
        }
    }
    for h in hosts.values_mut() {
        h.df.push("/".into());
        h.df.extend(extra.iter().cloned());
        h.scan.extend(backup_dirs.iter().cloned());
    }
    hosts.into_values().collect()
}

/// What one host's probe found, or why it could not be measured.
pub type HostOutcome = Result<probe::ProbeResult, HostError>;

/// `--measure-io`'s filesystems on one host, from its work list and what the
/// probe found: every filesystem holding a data directory, a tablespace
/// directory or an `extra` path (a candidate backup directory), each with
/// the directories the file may be created in (the data directory's parent,
/// the tablespace location, the candidate directory or its parent), in
/// first-seen order. A filesystem whose df failed is not measured.
pub fn io_targets(work: &HostWork, probe: &probe::ProbeResult, extra: &[String]) -> Vec<IoTarget> {
    let parent = |p: &str| -> Option<String> {
        let p = p.trim_end_matches('/');
        let (head, _) = p.rsplit_once('/')?;
        Some(if head.is_empty() {
            "/".into()
        } else {
            head.to_string()
        })
    };
    let mut candidates: Vec<(&str, Vec<String>)> = Vec::new();
    for item in &work.items {
        let p = match item {
            DuItem::Instance(d) => d,
            DuItem::Path(p) => p,
        };
        candidates.push((p, parent(p).into_iter().collect()));
    }
    for e in extra {
        candidates.push((e, std::iter::once(e.clone()).chain(parent(e)).collect()));
    }
    let mut out: Vec<IoTarget> = Vec::new();
    for (path, dirs) in candidates {
        let Some(Ok(d)) = work.df.iter().position(|p| p == path).map(|i| &probe.df[i]) else {
            continue;
        };
        match out.iter_mut().find(|t| t.device_id == d.device_id) {
            Some(t) => {
                for dir in dirs {
                    if !t.dirs.contains(&dir) {
                        t.dirs.push(dir);
                    }
                }
            }
            None => out.push(IoTarget {
                device_id: d.device_id,
                mount: d.mount.clone(),
                dirs,
            }),
        }
    }
    out
}

/// `--measure-io`: what to write where.
#[derive(Debug, Clone, Copy)]
pub struct MeasureIo<'a> {
    /// Bytes of the one temporary file per filesystem.
    pub bytes: u64,
    /// Candidate backup directories (`--extra-path`), measured with the data filesystems.
    pub extra: &'a [String],
}

/// Connects to one host and runs its probe (and, with `io`, the
/// `--measure-io` script after it, in the same session).
pub fn measure_host(
    transport: &dyn Transport,
    work: &HostWork,
    io: Option<MeasureIo<'_>>,
) -> HostOutcome {
    let target = Target {
        name: work.name.clone(),
        address: work.address.clone(),
    };
    let transport_error = |source| HostError::Transport {
        target: target.clone(),
        source,
    };
    let mut session = transport.connect(&target).map_err(transport_error)?;
    let script = host_script_with_reports(&work.items, &work.df, &work.scan, &work.reports);
    let out = session.exec(&script).map_err(transport_error)?;
    let mut result =
        parse_probe_output(&out.stdout, work.du.len(), work.df.len()).map_err(|source| {
            HostError::Probe {
                target: target.clone(),
                source,
                stderr: out.stderr.trim().into(),
            }
        })?;
    if let Some(io) = io {
        let targets = io_targets(work, &result, io.extra);
        if !targets.is_empty() {
            let results = match session.exec(&io_script(&targets, io.bytes)) {
                Ok(out) => parse_io_output(&out.stdout, targets.len()),
                Err(e) => vec![IoResult::Skipped(e.to_string()); targets.len()],
            };
            result.io = targets.into_iter().zip(results).collect();
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::probe::{DfLine, ProbeResult};

    fn df(device_id: u64, mount: &str) -> Result<DfLine, String> {
        Ok(DfLine {
            device_id,
            device: "/dev/x".into(),
            fs_type: "xfs".into(),
            total_bytes: 100,
            used_bytes: 10,
            available_bytes: 90,
            mount: mount.into(),
        })
    }

    /// One target per filesystem, in first-seen order, each with the data
    /// directories' parents, tablespace locations and candidate directories
    /// on it; `/` only when something the plan writes lies there; a
    /// filesystem whose df failed is left out.
    #[test]
    fn io_targets_are_one_per_filesystem_the_plan_writes_to() {
        let work = HostWork {
            name: "sdw1".into(),
            address: "sdw1".into(),
            items: vec![
                DuItem::Instance("/data1/primary/gpseg0".into()),
                DuItem::Instance("/data1/mirror/gpseg1/".into()),
                DuItem::Path("/data2/ts/5".into()),
                DuItem::Instance("/data3/primary/gpseg2".into()),
            ],
            df: [
                "/data1/primary/gpseg0",
                "/data1/mirror/gpseg1/",
                "/data2/ts/5",
                "/data3/primary/gpseg2",
                "/",
                "/backup/whpg",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        };
        let probe = ProbeResult {
            backups: Vec::new(),
            hostname: "sdw1".into(),
            du: Vec::new(),
            df: vec![
                df(41, "/data1"),
                df(41, "/data1"),
                df(42, "/data2"),
                Err("df: permission denied".into()),
                df(1, "/"),
                df(43, "/backup"),
            ],
            vanished: Vec::new(),
            cpus: None,
            reports: Vec::new(),
            io: Vec::new(),
        };
        let t = io_targets(&work, &probe, &["/backup/whpg".to_string()]);
        let got: Vec<(u64, &str, Vec<&str>)> = t
            .iter()
            .map(|t| {
                (
                    t.device_id,
                    t.mount.as_str(),
                    t.dirs.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (41, "/data1", vec!["/data1/primary", "/data1/mirror"]),
                (42, "/data2", vec!["/data2/ts"]),
                (43, "/backup", vec!["/backup/whpg", "/backup"]),
            ]
        );
    }

    /// gpbackup's report locations: the coordinator's `backups/`, and per
    /// `--backup-dir D` the coordinator's `D/gpseg-1/backups` or, with
    /// `--single-backup-dir`, `D/backups`.
    #[test]
    fn report_dirs_follow_gpbackup_layouts() {
        assert_eq!(
            report_dirs("/data/master/gpseg-1/", &["/bk/".to_string()]),
            vec![
                "/data/master/gpseg-1/backups",
                "/bk/gpseg-1/backups",
                "/bk/backups"
            ]
        );
    }
}

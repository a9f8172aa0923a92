//! The inventory from what the coordinator said and what each host's probe
//! found: hosts with their filesystems (or why they failed), instances with
//! their measured bytes (or why not), earlier backups, the composition.

use std::collections::HashMap;

use super::catalog::{SegmentRow, TablespaceRow};
use super::coordinator::CatalogSnapshot;
use super::hosts::{HostOutcome, HostWork, tablespace_dir};
use super::io::IoResult;
use super::options::CollectOptions;
use super::probe::{self, DfLine, DuResult, PARTS};
use crate::inventory::{
    FORMAT, Filesystem, Host, HostStatus, Instance, InstanceBytes, Inventory, PreviousBackup, Role,
    Source, TablespaceDir,
};

fn role(s: &str) -> Role {
    if s == "m" {
        Role::Mirror
    } else {
        Role::Primary
    }
}

/// One primary's earlier gpbackup files on its host, summed per timestamp and codec.
fn previous_backups(r: &probe::ProbeResult, content: i32) -> Vec<PreviousBackup> {
    let mut out: Vec<PreviousBackup> = Vec::new();
    for b in r.backups.iter().filter(|b| b.content == content) {
        match out
            .iter_mut()
            .find(|p| p.timestamp == b.timestamp && p.codec == b.codec)
        {
            Some(p) => {
                p.bytes += b.bytes;
                p.files += b.files;
            }
            None => out.push(PreviousBackup {
                timestamp: b.timestamp.clone(),
                codec: b.codec.clone(),
                bytes: b.bytes,
                files: b.files,
            }),
        }
    }
    out
}

/// Fills in an instance from its host's probe: mount, bytes by part, tablespaces;
/// whatever could not be read goes to `inst.error` (never zero).
fn measure_instance(
    inst: &mut Instance,
    s: &SegmentRow,
    ts_rows: &[&TablespaceRow],
    w: &HostWork,
    r: &probe::ProbeResult,
) {
    let du_at = |path: &str| w.du.iter().position(|p| p == path).map(|i| &r.du[i]);
    let df_at = |path: &str| w.df.iter().position(|p| p == path).map(|i| &r.df[i]);
    let base = s.datadir.trim_end_matches('/');
    let mut errors = Vec::new();
    match df_at(&s.datadir) {
        Some(Ok(d)) => inst.mount = Some(d.mount.clone()),
        Some(Err(e)) => errors.push(format!("df: {e}")),
        None => {}
    }
    let part = |name: &str| match du_at(&format!("{base}/{name}")) {
        Some(DuResult::Bytes(b)) => Ok(*b),
        Some(DuResult::Missing) | None => Ok(0),
        Some(DuResult::Error(e)) => Err(e.clone()),
    };
    match du_at(&s.datadir) {
        Some(DuResult::Bytes(total)) => {
            let parts: Result<Vec<u64>, String> = PARTS.iter().map(|p| part(p)).collect();
            match parts {
                Ok(p) => {
                    let (data, wal, logs, backups) = (p[0] + p[1], p[2] + p[3], p[4] + p[5], p[6]);
                    inst.bytes = Some(InstanceBytes {
                        data,
                        wal,
                        logs,
                        backups,
                        other: total.saturating_sub(data + wal + logs + backups),
                    });
                }
                Err(e) => errors.push(format!("du: {e}")),
            }
        }
        Some(DuResult::Missing) => {
            errors.push(format!("data directory {} does not exist", s.datadir))
        }
        Some(DuResult::Error(e)) => errors.push(format!("du: {e}")),
        None => errors.push("not probed".into()),
    }
    for t in ts_rows {
        let dir = tablespace_dir(&t.location, s.dbid);
        let bytes = match du_at(&dir) {
            Some(DuResult::Bytes(b)) => Some(*b),
            Some(DuResult::Missing) => {
                errors.push(format!(
                    "tablespace {} directory {dir} does not exist",
                    t.name
                ));
                None
            }
            Some(DuResult::Error(e)) => {
                errors.push(format!("tablespace {}: du: {e}", t.name));
                None
            }
            None => None,
        };
        let mount = match df_at(&dir) {
            Some(Ok(d)) => Some(d.mount.clone()),
            _ => None,
        };
        inst.tablespaces.push(TablespaceDir {
            oid: t.oid,
            name: Some(t.name.clone()),
            location: t.location.clone(),
            mount,
            bytes,
        });
    }
    // A tablespace that could not be measured keeps the data directory's
    // figures; its missing bytes mark the inventory incomplete.
    if !errors.is_empty() {
        inst.error = Some(errors.join("; "));
    }
}

/// The inventory from the catalog snapshot and every host's probe: hosts with
/// their filesystems (or why they failed), instances with their measured bytes.
pub fn assemble(
    opts: &CollectOptions,
    snap: &CatalogSnapshot,
    work: &[HostWork],
    outcomes: Vec<HostOutcome>,
) -> Inventory {
    let mut hosts = Vec::new();
    let mut results: HashMap<&str, (&HostWork, &probe::ProbeResult)> = HashMap::new();
    let mut io_warnings: Vec<String> = Vec::new();
    let mut io_measured = 0usize;
    for (w, o) in work.iter().zip(&outcomes) {
        match o {
            Ok(r) => {
                // One entry per filesystem (device id), in first-seen order.
                let mut seen: Vec<&DfLine> = Vec::new();
                for d in r.df.iter().flatten() {
                    if !seen.iter().any(|s| s.device_id == d.device_id) {
                        seen.push(d);
                    }
                }
                hosts.push(Host {
                    name: w.name.clone(),
                    address: (w.address != w.name).then(|| w.address.clone()),
                    status: HostStatus::Ok,
                    error: None,
                    filesystems: seen
                        .into_iter()
                        .map(|d| Filesystem {
                            mount: d.mount.clone(),
                            device: Some(d.device.clone()),
                            fs_type: Some(d.fs_type.clone()),
                            total_bytes: d.total_bytes,
                            used_bytes: d.used_bytes,
                            available_bytes: d.available_bytes,
                            io: r.io.iter().find_map(|(t, m)| match m {
                                IoResult::Measured(m) if t.device_id == d.device_id => {
                                    Some(m.clone())
                                }
                                _ => None,
                            }),
                        })
                        .collect(),
                    cpus: r.cpus,
                });
                for (t, m) in &r.io {
                    match m {
                        IoResult::Measured(_) => io_measured += 1,
                        IoResult::Skipped(why) => io_warnings.push(format!(
                            "--measure-io: host {} filesystem {} not measured: {why}",
                            w.name, t.mount
                        )),
                    }
                }
                results.insert(w.name.as_str(), (w, r));
            }
            Err(e) => hosts.push(Host {
                name: w.name.clone(),
                address: (w.address != w.name).then(|| w.address.clone()),
                status: HostStatus::Failed,
                error: Some(e.to_string()),
                filesystems: Vec::new(),
                cpus: None,
            }),
        }
    }

    let mut instances = Vec::new();
    let mut vanished: Vec<String> = Vec::new();
    for s in &snap.segments {
        let mut inst = Instance {
            dbid: s.dbid,
            content: s.content,
            role: role(&s.role),
            preferred_role: role(&s.preferred_role),
            host: s.hostname.clone(),
            port: s.port,
            datadir: s.datadir.clone(),
            mount: None,
            bytes: None,
            tablespaces: Vec::new(),
            error: None,
            previous_backups: Vec::new(),
        };
        if let (Some((_, r)), "p", true) = (
            results.get(s.hostname.as_str()),
            s.role.as_str(),
            s.content >= 0,
        ) {
            inst.previous_backups = previous_backups(r, s.content);
        }
        let ts_rows: Vec<&TablespaceRow> = snap
            .tablespaces
            .iter()
            .filter(|t| t.content == s.content)
            .collect();
        if let Some((w, r)) = results.get(s.hostname.as_str()) {
            measure_instance(&mut inst, s, &ts_rows, w, r);
            // Files dropped under du's walk: measured without them, and said.
            let at = w.du.iter().position(|p| p == &s.datadir);
            let gone: Vec<&str> = r
                .vanished
                .iter()
                .filter(|(i, _)| Some(*i) == at)
                .map(|(_, m)| m.as_str())
                .collect();
            if let Some(first) = gone.first() {
                vanished.push(format!(
                    "instance dbid {} ({}:{}): {} file(s) vanished while du measured it (a table dropped during collect); measured without them ({first})",
                    s.dbid,
                    s.hostname,
                    s.datadir,
                    gone.len()
                ));
            }
        } else {
            inst.error = Some("host not measured".into());
            for t in ts_rows {
                inst.tablespaces.push(TablespaceDir {
                    oid: t.oid,
                    name: Some(t.name.clone()),
                    location: t.location.clone(),
                    mount: None,
                    bytes: None,
                });
            }
        }
        instances.push(inst);
    }

    // The coordinator host's gpbackup reports, with each backup's data bytes
    // from the primaries' files of the same timestamp.
    let coordinator_host = snap
        .segments
        .iter()
        .find(|s| s.content < 0 && s.role == "p")
        .map(|s| s.hostname.as_str());
    let (mut backup_history, report_warnings) = coordinator_host
        .and_then(|h| results.get(h).map(|(_, r)| (h, r)))
        .map(|(h, r)| super::history::read_reports(h, &r.reports))
        .unwrap_or_default();
    super::history::fill_data_bytes(&mut backup_history, &instances);

    Inventory {
        format: FORMAT.into(),
        source: Source {
            product: snap.version.product,
            version: snap.version.version.clone(),
            collected_at: crate::units::now_rfc3339(),
            coordinator: opts.coordinator.name.clone(),
        },
        hosts,
        instances,
        composition: snap.composition.clone(),
        warnings: snap
            .warnings
            .iter()
            .cloned()
            .chain(vanished)
            .chain(report_warnings)
            .chain(opts.measure_io.map(|bytes| {
                format!(
                    "--measure-io wrote, read back and removed one temporary file of {} on each of {io_measured} filesystem(s) (the one measurement that writes); the read speed follows the write and is largely from the page cache",
                    crate::units::human(bytes.div_ceil(super::io::MIN_BYTES) * super::io::MIN_BYTES)
                )
            }))
            .chain(io_warnings)
            .collect(),
        compatibility: snap.compatibility.clone(),
        backup_history,
    }
}

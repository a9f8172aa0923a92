//! The collector: reads the topology from the coordinator's catalog, measures
//! every host in parallel over one session per host, and writes an
//! [`Inventory`]. It measures and records; it never decides (the model does).
//! A host that cannot be measured is a row with its reason, not an abort.

pub mod catalog;
pub mod databases;
pub mod local;
pub mod probe;
pub mod sample;
pub mod transport;

pub use sample::SampleOptions;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::inventory::{
    Composition, FORMAT, Filesystem, Host, HostStatus, Instance, InstanceBytes, Inventory,
    PreviousBackup, Role, Source, TablespaceDir,
};
use catalog::{CatalogError, Dialect, PgConnection, SegmentRow, ServerVersion, TablespaceRow};
use probe::{DfLine, DuItem, DuResult, PARTS, host_script, parse_probe_output};
use transport::{Session, Target, Transport, TransportError};

/// What to collect and how.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The coordinator to read the catalog on.
    pub coordinator: Target,
    /// How psql reaches the database there.
    pub pg: PgConnection,
    /// Hosts measured at once.
    pub jobs: usize,
    /// Extra paths whose filesystem is recorded on every host (e.g. a `--backup-dir`).
    pub extra_paths: Vec<String>,
    /// Show a progress bar (on a terminal only).
    pub progress: bool,
    /// Measure only hosts whose name is in this list (`--local`); others are recorded as not measured.
    pub only_hosts: Option<Vec<String>>,
    /// Sample tables to measure CSV bytes per row and compression ratios.
    pub sample: Option<SampleOptions>,
    /// Directories (given as `--backup-dir` to an earlier gpbackup) to search for its files.
    pub previous_backup_dirs: Vec<String>,
    /// Databases left out on purpose (`--exclude-database`).
    pub exclude_databases: Vec<String>,
}

/// A failure that stops collection: the coordinator's catalog could not be read.
/// (A segment host that cannot be measured does not stop it: see [`HostError`].)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    /// The coordinator could not be reached.
    #[error("coordinator {host}: {source}")]
    Connect {
        /// The coordinator.
        host: String,
        /// Why.
        source: TransportError,
    },
    /// A catalog query failed or `version()` names a server not measured.
    #[error("coordinator {host}: {source}")]
    Catalog {
        /// The coordinator.
        host: String,
        /// Why.
        source: CatalogError,
    },
    /// The worker threads could not be started.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

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

/// The topology and composition read from the coordinator.
#[derive(Debug, Clone)]
pub struct CatalogSnapshot {
    /// Product and dialect.
    pub version: ServerVersion,
    /// Every instance.
    pub segments: Vec<SegmentRow>,
    /// Tablespace locations per content.
    pub tablespaces: Vec<TablespaceRow>,
    /// Composition per database (absent when it could not be read).
    pub composition: Option<Composition>,
    /// Problems that did not stop collection.
    pub warnings: Vec<String>,
}

/// Reads everything the inventory needs from the coordinator's catalog.
pub fn read_catalog(
    session: &mut dyn Session,
    opts: &CollectOptions,
) -> Result<CatalogSnapshot, CatalogError> {
    let conn = &opts.pg;
    let db = conn.database.as_str();
    let v = catalog::run_sql(session, conn, db, catalog::VERSION_SQL, "version()")?;
    let version = catalog::parse_version(v.trim())?;
    // The topology and the list of databases: one psql run.
    let (segments, tablespaces, names) = if version.dialect == Dialect::Postgres {
        #[derive(serde::Deserialize)]
        struct Pg {
            datadir: String,
            port: u16,
        }
        let r = catalog::run_sql_batch(
            session,
            conn,
            db,
            &[
                ("data_directory", catalog::POSTGRES_INSTANCE_SQL.to_string()),
                ("tablespaces", catalog::POSTGRES_TABLESPACES_SQL.to_string()),
                ("pg_database", catalog::DATABASES_SQL.to_string()),
            ],
        )
        .map_err(|(_, e)| e)?;
        let pg: Pg = catalog::parse_json("data_directory", &r[0])?;
        let seg = SegmentRow {
            dbid: 1,
            content: -1,
            role: "p".into(),
            preferred_role: "p".into(),
            port: pg.port,
            hostname: opts.coordinator.name.clone(),
            address: Some(opts.coordinator.address.clone()),
            datadir: pg.datadir,
        };
        let names: Vec<String> = catalog::parse_json("pg_database", &r[2])?;
        (vec![seg], catalog::parse_json("tablespaces", &r[1])?, names)
    } else {
        let r = catalog::run_sql_batch(
            session,
            conn,
            db,
            &[
                (
                    "gp_segment_configuration",
                    catalog::SEGMENTS_SQL.to_string(),
                ),
                (
                    "gp_tablespace_location",
                    catalog::GP_TABLESPACES_SQL.to_string(),
                ),
                ("pg_database", catalog::DATABASES_SQL.to_string()),
            ],
        )
        .map_err(|(_, e)| e)?;
        let segs: Vec<SegmentRow> = catalog::parse_json("gp_segment_configuration", &r[0])?;
        if segs.is_empty() {
            return Err(CatalogError::NoSegments);
        }
        let names: Vec<String> = catalog::parse_json("pg_database", &r[2])?;
        (
            segs,
            catalog::parse_json("gp_tablespace_location", &r[1])?,
            names,
        )
    };

    let excluded: Vec<String> = opts
        .exclude_databases
        .iter()
        .filter(|d| names.contains(d))
        .cloned()
        .collect();
    if let Some(d) = opts.exclude_databases.iter().find(|d| !names.contains(d)) {
        return Err(CatalogError::NoSuchDatabase {
            name: d.clone(),
            known: names,
        });
    }
    let r = databases::read_databases(
        session,
        conn,
        version.dialect,
        &names,
        &excluded,
        opts.sample.as_ref(),
    );
    Ok(CatalogSnapshot {
        version,
        segments,
        tablespaces,
        composition: Some(Composition {
            databases: r.databases,
            compression_throughput: (!r.throughput.is_empty()).then(|| {
                r.throughput
                    .iter()
                    .map(|(k, (bytes, secs))| (k.clone(), bytes / secs))
                    .collect()
            }),
            not_measured: r.not_measured,
            excluded_databases: excluded,
            notes: r.notes,
        }),
        warnings: r.warnings,
    })
}

/// One host's work list: the paths to measure and what they belong to.
#[derive(Debug, Clone, Default)]
struct HostWork {
    name: String,
    address: String,
    /// What to measure with du …
    items: Vec<DuItem>,
    /// … and the path of each answer, in index order.
    du: Vec<String>,
    df: Vec<String>,
    scan: Vec<String>,
}

fn tablespace_dir(location: &str, dbid: u32) -> String {
    format!("{}/{dbid}", location.trim_end_matches('/'))
}

fn plan_hosts(snap: &CatalogSnapshot, extra: &[String], backup_dirs: &[String]) -> Vec<HostWork> {
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
type HostOutcome = Result<probe::ProbeResult, HostError>;

fn measure_host(transport: &dyn Transport, work: &HostWork) -> HostOutcome {
    let target = Target {
        name: work.name.clone(),
        address: work.address.clone(),
    };
    let transport_error = |source| HostError::Transport {
        target: target.clone(),
        source,
    };
    let mut session = transport.connect(&target).map_err(transport_error)?;
    let script = host_script(&work.items, &work.df, &work.scan);
    let out = session.exec(&script).map_err(transport_error)?;
    parse_probe_output(&out.stdout, work.du.len(), work.df.len()).map_err(|source| {
        HostError::Probe {
            target: target.clone(),
            source,
            stderr: out.stderr.trim().into(),
        }
    })
}

/// Runs the whole collection: catalog, then every host in parallel.
pub fn collect(
    opts: &CollectOptions,
    transport: &dyn Transport,
) -> Result<Inventory, CollectError> {
    let host = || opts.coordinator.name.clone();
    let mut session =
        transport
            .connect(&opts.coordinator)
            .map_err(|source| CollectError::Connect {
                host: host(),
                source,
            })?;
    let snap = read_catalog(session.as_mut(), opts).map_err(|source| CollectError::Catalog {
        host: host(),
        source,
    })?;
    drop(session);
    let work = plan_hosts(&snap, &opts.extra_paths, &opts.previous_backup_dirs);

    let bar = progress_bar(opts.progress, work.len());
    let in_flight = Mutex::new(Vec::<String>::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| CollectError::Threads(e.to_string()))?;
    let outcomes: Vec<HostOutcome> = pool.install(|| {
        work.par_iter()
            .map(|w| {
                if let Some(only) = &opts.only_hosts
                    && !only.contains(&w.name)
                {
                    return Err(HostError::NotLocal {
                        host: w.name.clone(),
                    });
                }
                if let Some(b) = &bar {
                    let mut f = in_flight.lock().unwrap();
                    f.push(w.name.clone());
                    b.set_message(f.join(" "));
                }
                let r = measure_host(transport, w);
                if let Some(b) = &bar {
                    let mut f = in_flight.lock().unwrap();
                    f.retain(|n| n != &w.name);
                    b.set_message(f.join(" "));
                    b.inc(1);
                }
                r
            })
            .collect()
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(assemble(opts, &snap, &work, outcomes))
}

fn progress_bar(enabled: bool, hosts: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(hosts as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} hosts  {elapsed}  in flight: {wide_msg}",
    ) {
        b.set_style(style);
    }
    Some(b)
}

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
fn assemble(
    opts: &CollectOptions,
    snap: &CatalogSnapshot,
    work: &[HostWork],
    outcomes: Vec<HostOutcome>,
) -> Inventory {
    let mut hosts = Vec::new();
    let mut results: HashMap<&str, (&HostWork, &probe::ProbeResult)> = HashMap::new();
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
                        })
                        .collect(),
                });
                results.insert(w.name.as_str(), (w, r));
            }
            Err(e) => hosts.push(Host {
                name: w.name.clone(),
                address: (w.address != w.name).then(|| w.address.clone()),
                status: HostStatus::Failed,
                error: Some(e.to_string()),
                filesystems: Vec::new(),
            }),
        }
    }

    let mut instances = Vec::new();
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
        warnings: snap.warnings.clone(),
    }
}

/// Every command collection would run, for `--dry-run`: the catalog queries
/// on the coordinator, and the probe script as it runs on each host (shown for
/// a placeholder instance, since the real paths come from the catalog).
pub fn dry_run_commands(opts: &CollectOptions) -> Vec<(String, String)> {
    let c = &opts.pg;
    let db = c.database.as_str();
    let coord = format!("{} (coordinator)", opts.coordinator.address);
    let mut out = vec![
        (
            coord.clone(),
            catalog::psql_command(c, db, catalog::VERSION_SQL),
        ),
        (
            coord.clone(),
            catalog::psql_command(c, db, catalog::SEGMENTS_SQL),
        ),
        (
            coord.clone(),
            catalog::psql_command(c, db, catalog::GP_TABLESPACES_SQL),
        ),
        (
            coord.clone(),
            catalog::psql_command(c, db, catalog::DATABASES_SQL),
        ),
        (
            coord.clone(),
            catalog::psql_batch_command(
                c,
                "<each database>",
                &[
                    catalog::stats_sql(Dialect::Gp6),
                    catalog::relations_sql(Dialect::Gp6, &catalog::OidFilter::default()),
                ],
            ),
        ),
    ];
    let example = HostWork {
        name: "<each host>".into(),
        address: String::new(),
        items: vec![
            DuItem::Instance("<datadir>".into()),
            DuItem::Path("<tablespace location>/<dbid>".into()),
        ],
        du: Vec::new(),
        df: ["<datadir>", "<tablespace location>/<dbid>", "/"]
            .iter()
            .map(|s| s.to_string())
            .chain(opts.extra_paths.iter().cloned())
            .collect(),
        scan: std::iter::once("<primary datadir>/backups".to_string())
            .chain(opts.previous_backup_dirs.iter().cloned())
            .collect(),
    };
    out.push((
        "<each host>".into(),
        host_script(&example.items, &example.df, &example.scan),
    ));
    out
}

#[cfg(test)]
mod tests;

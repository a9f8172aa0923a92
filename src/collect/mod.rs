//! The collector: reads the topology from the coordinator's catalog, measures
//! every host in parallel over one session per host, and writes an
//! [`Inventory`]. It measures and records; it never decides (the model does).
//! A host that cannot be measured is a row with its reason, not an abort.

mod assemble;
pub mod catalog;
pub mod coordinator;
pub mod databases;
pub mod history;
pub mod hosts;
pub mod io;
pub mod local;
pub mod options;
pub mod preflight;
pub mod probe;
pub mod sample;

/// Moved to [`crate::remote::transport`] (`watch` reaches hosts the same way);
/// re-exported so `collect::transport::…` paths still name it. New code
/// imports `crate::remote::transport`.
pub use crate::remote::transport;

pub use coordinator::{CatalogSnapshot, read_catalog};
pub use hosts::HostError;
pub use options::CollectOptions;
pub use sample::SampleOptions;

use std::sync::Mutex;

use rayon::prelude::*;

use crate::inventory::Inventory;
use crate::remote::transport::{Transport, TransportError};
use catalog::{CatalogError, Dialect};
use hosts::{HostOutcome, HostWork, measure_host, plan_hosts};
use probe::{DuItem, host_script_with_reports};

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
                let io = opts.measure_io.map(|bytes| hosts::MeasureIo {
                    bytes,
                    extra: &opts.extra_paths,
                });
                let r = measure_host(transport, w, io);
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
    Ok(assemble::assemble(opts, &snap, &work, outcomes))
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
        // The topology run, with the pre-flight's cluster-wide queries in front.
        (
            coord.clone(),
            catalog::psql_pass_command(
                c,
                db,
                &preflight::cluster_queries(Dialect::Gp6)
                    .into_iter()
                    .map(|(_, q)| q)
                    .collect::<Vec<_>>(),
                &[
                    catalog::SEGMENTS_SQL.to_string(),
                    catalog::GP_TABLESPACES_SQL.to_string(),
                    catalog::DATABASES_SQL.to_string(),
                ],
            ),
        ),
        (
            coord.clone(),
            catalog::psql_pass_command(
                c,
                "<each database>",
                &preflight::database_queries(Dialect::Gp6)
                    .into_iter()
                    .map(|(_, q)| q)
                    .collect::<Vec<_>>(),
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
        reports: hosts::report_dirs("<coordinator datadir>", &opts.previous_backup_dirs),
    };
    out.push((
        "<each host> (gpbackup reports: on the coordinator's host only)".into(),
        host_script_with_reports(&example.items, &example.df, &example.scan, &example.reports),
    ));
    if let Some(bytes) = opts.measure_io {
        let target = io::IoTarget {
            device_id: 0,
            mount: "<mount>".into(),
            dirs: vec!["<datadir parent or --extra-path>".into()],
        };
        out.push((
            "<each host> (--measure-io, after the probe; <st_dev> of each filesystem)".into(),
            io::io_script(&[target], bytes).replace("whpg_io 0 0 ", "whpg_io 0 <st_dev> "),
        ));
    }
    out
}

#[cfg(test)]
mod tests;

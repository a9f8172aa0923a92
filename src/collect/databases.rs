//! Reading each database's data composition from the catalog: one psql run per
//! database (statistics and sizes, both streamed one table per line), sizes
//! from one distributed query on Greenplum, and failures kept as data.
//!
//! Nothing unmeasured shrinks the estimate: a database that cannot be read is
//! recorded as not measured with the reason (the inventory is then incomplete,
//! exit 5); a table that cannot be locked in time is found by halving the
//! table list and recorded the same way; a table dropped while collecting is
//! noted and skipped (its data is gone, so is its backup).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::catalog::{self, CatalogError, Dialect, OidFilter, PgConnection, RelationRow, StatsRow};
use super::catalog::{run_sql, run_sql_pass};
use super::preflight;
use super::sample;
use super::sample::SampleOptions;
use crate::csv_size::{self, TableStats};
use crate::inventory::{
    ContentBytes, DatabaseComposition, EstimateSource, NotMeasured, StorageComposition,
    StorageKind, TableEstimate,
};
use crate::remote::transport::Session;

/// At most this many tables are sampled automatically because TOAST hides
/// their values' width from the statistics …
const TOAST_SAMPLE_TABLES: usize = 50;
/// … with this many rows each …
const TOAST_SAMPLE_ROWS: u64 = 1000;
/// … within this statement timeout each, and this much time in all.
const TOAST_SAMPLE_TIMEOUT: Duration = Duration::from_secs(10);
const TOAST_SAMPLE_BUDGET: Duration = Duration::from_secs(60);
/// A heap table whose TOAST holds at least this share of its bytes is sampled:
/// pg_stats sees TOASTed values at their stored (compressed) width and leaves
/// values over 1 kB out of its histograms.
const TOAST_SHARE: f64 = 0.10;
/// How many times a relations query is rerun after tables were dropped under it.
const DROPPED_RETRIES: usize = 50;

/// What reading the databases produced.
#[derive(Debug, Default)]
pub struct Reading {
    /// Databases read.
    pub databases: Vec<DatabaseComposition>,
    /// Databases and tables that could not be measured.
    pub not_measured: Vec<NotMeasured>,
    /// What the reader should know (dropped tables, automatic samples).
    pub notes: Vec<String>,
    /// Compression speed per codec: (CSV bytes, seconds) summed over samples.
    pub throughput: BTreeMap<String, (f64, f64)>,
    /// The samples' COPY streams: (CSV bytes, seconds from sending the
    /// command to having all its output, less [`Reading::psql_overhead`])
    /// summed over samples.
    pub copy: (f64, f64),
    /// Seconds one psql run takes that copies nothing (`SELECT 1`: start,
    /// connect, disconnect), timed once before the first sample; without
    /// it every 1 MB sample's COPY looked several times slower than the
    /// stream it measures (16 MB/s against 59 MB/s timed by the server on
    /// TPC-H lineitem, docs/time-accuracy.md).
    pub psql_overhead: Option<f64>,
    /// Problems that did not make anything unmeasured (a sample that failed).
    pub warnings: Vec<String>,
    /// psql runs made (for the benchmark).
    pub round_trips: usize,
    /// The pre-flight's answers from every database read.
    pub preflight: preflight::Accumulator,
}

/// How a relations query failed.
enum Failure {
    /// A table was dropped while the query ran.
    Dropped(u32),
    /// A lock could not be had within `lock_timeout`.
    Lock,
    /// Anything else: the database is not measured.
    Other(String),
}

/// The relations of this database on which another session holds (or waits
/// for nothing: `granted`) an ACCESS EXCLUSIVE lock, the only mode that
/// blocks the ACCESS SHARE a size query takes (TRUNCATE, ALTER, VACUUM FULL,
/// LOCK TABLE). PostgreSQL 9.4 SQL (GP6).
const LOCKED_SQL: &str = "SELECT coalesce(json_agg(DISTINCT l.relation::int8), '[]') FROM pg_locks l \
     WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock' \
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

/// The size rows of a database, one JSON object a line. A row whose size is
/// NULL is a table dropped between the listing and the size functions
/// (`pg_relation_size` of a vanished relation is NULL): it is noted in
/// `notes` and skipped, and the rest is measured (issue 17, case 12). Any
/// other unreadable row is an error.
fn relation_rows(
    what: &str,
    text: &str,
    db: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<RelationRow>, CatalogError> {
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match catalog::parse_json::<RelationRow>(what, line) {
            Ok(row) => rows.push(row),
            Err(e) => {
                let v: serde_json::Value =
                    serde_json::from_str(line.trim()).map_err(|_| e.clone())?;
                let null_size = ["on_disk_bytes", "index_bytes", "toast_bytes"]
                    .iter()
                    .any(|k| v.get(k).is_some_and(serde_json::Value::is_null));
                if !null_size {
                    return Err(e);
                }
                notes.push(format!(
                    "database {db}: table {}.{} (oid {}) vanished while its size was read (size NULL); skipped",
                    v["schema"].as_str().unwrap_or("?"),
                    v["name"].as_str().unwrap_or("?"),
                    v["oid"]
                ));
            }
        }
    }
    Ok(rows)
}

/// Tells a dropped table and a lock wait (psql's own messages) from any
/// other failure, whose reason is recorded.
fn classify(e: &CatalogError) -> Failure {
    let CatalogError::Psql {
        stderr: message, ..
    } = e
    else {
        return Failure::Other(e.reason());
    };
    if let Some(i) = message.find("could not open relation with OID ") {
        let oid: String = message[i + 33..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(oid) = oid.parse() {
            return Failure::Dropped(oid);
        }
    }
    if message.contains("lock timeout") {
        return Failure::Lock;
    }
    Failure::Other(e.reason())
}

/// Reads every database in `names` (except `excluded`).
pub fn read_databases(
    session: &mut dyn Session,
    conn: &PgConnection,
    dialect: Dialect,
    names: &[String],
    excluded: &[String],
    sample: Option<&SampleOptions>,
) -> Reading {
    let mut r = Reading::default();
    let started = Instant::now();
    for name in names.iter().filter(|n| !excluded.contains(n)) {
        match read_one(session, conn, dialect, name, sample, started, &mut r) {
            // A database without user tables has no data to back up.
            Ok(db) if db.storage.is_empty() => {}
            Ok(db) => r.databases.push(db),
            Err(reason) => r.not_measured.push(NotMeasured {
                database: name.clone(),
                table: None,
                reason,
            }),
        }
    }
    r
}

/// One database: statistics and sizes in one psql run; the retries and the
/// lock search only when something went wrong.
fn read_one(
    session: &mut dyn Session,
    conn: &PgConnection,
    dialect: Dialect,
    name: &str,
    sample: Option<&SampleOptions>,
    started: Instant,
    r: &mut Reading,
) -> Result<DatabaseComposition, String> {
    let stats_what = format!("table statistics of database {name}");
    let sizes_what = format!("table sizes of database {name}");
    r.round_trips += 1;
    // The pre-flight's queries ride in the same psql run, each allowed to fail alone.
    let checks = preflight::database_queries(dialect);
    let check_sql: Vec<String> = checks.iter().map(|(_, q)| q.clone()).collect();
    let pass = run_sql_pass(
        session,
        conn,
        name,
        &check_sql,
        &[
            (&stats_what, catalog::stats_sql(dialect)),
            (
                &sizes_what,
                catalog::relations_sql(dialect, &OidFilter::default()),
            ),
        ],
    );
    for ((id, _), result) in checks.iter().zip(&pass.checks) {
        r.preflight
            .record(id, Some(name), result.as_deref().map_err(Clone::clone));
    }
    let (stats_text, sizes) = match pass.strict {
        Ok(v) => (v[0].clone(), Ok(v[1].clone())),
        // The statistics (first) came back; the sizes failed.
        Err((partial, e)) if !partial.is_empty() => (partial[0].clone(), Err(e)),
        Err((_, e)) => return Err(e.reason()),
    };
    let stats: Vec<StatsRow> =
        catalog::parse_json_lines(&stats_what, &stats_text).map_err(|e| e.to_string())?;
    let relations = match sizes {
        Ok(text) => {
            relation_rows(&sizes_what, &text, name, &mut r.notes).map_err(|e| e.to_string())?
        }
        Err(e) => measure_after_failure(session, conn, dialect, name, e, r)?,
    };
    Ok(compose(
        session, conn, dialect, name, stats, relations, sample, started, r,
    ))
}

/// After the sizes query failed: drop the tables that vanished and retry;
/// on a lock wait, halve the table list until the locked tables are found.
/// The error is the reason the database is not measured.
fn measure_after_failure(
    session: &mut dyn Session,
    conn: &PgConnection,
    dialect: Dialect,
    name: &str,
    failure: CatalogError,
    r: &mut Reading,
) -> Result<Vec<RelationRow>, String> {
    let mut filter = OidFilter::default();
    let mut failure = failure;
    for _ in 0..DROPPED_RETRIES {
        match classify(&failure) {
            Failure::Other(why) => return Err(why),
            Failure::Dropped(oid) => {
                r.notes.push(format!(
                    "database {name}: the table with oid {oid} was dropped while collecting; skipped"
                ));
                filter.exclude.push(oid);
            }
            Failure::Lock => {
                r.round_trips += 1;
                let oids: Vec<u32> = run_sql(
                    session,
                    conn,
                    name,
                    &catalog::relation_oids_sql(dialect),
                    "leaf tables",
                )
                .and_then(|t| catalog::parse_json("leaf tables", &t))
                .map_err(|e| e.to_string())?;
                let oids: Vec<u32> = oids
                    .into_iter()
                    .filter(|o| !filter.exclude.contains(o))
                    .collect();
                // Ask who holds a conflicting lock before waiting again:
                // halving 306 tables with a lock wait per try took 104 s to
                // find one locked table. The rest is measured in one query
                // and the suspects after it: one or two waits in all.
                r.round_trips += 1;
                let held: Vec<u32> = run_sql(session, conn, name, LOCKED_SQL, "locked tables")
                    .and_then(|t| catalog::parse_json("locked tables", &t))
                    .unwrap_or_default();
                let (suspects, rest): (Vec<u32>, Vec<u32>) =
                    oids.into_iter().partition(|o| held.contains(o));
                let mut rows = halve(session, conn, dialect, name, rest, &filter.exclude, r);
                rows.extend(halve(
                    session,
                    conn,
                    dialect,
                    name,
                    suspects,
                    &filter.exclude,
                    r,
                ));
                return Ok(rows);
            }
        }
        r.round_trips += 1;
        match run_sql(
            session,
            conn,
            name,
            &catalog::relations_sql(dialect, &filter),
            "table sizes",
        ) {
            Ok(text) => {
                return relation_rows("table sizes", &text, name, &mut r.notes)
                    .map_err(|e| e.to_string());
            }
            Err(e) => failure = e,
        }
    }
    Err(format!(
        "tables kept disappearing while collecting ({DROPPED_RETRIES} retries)"
    ))
}

/// Measures `oids`; on a lock wait splits them in halves, so k locked tables
/// among n cost about 2k·log2(n) queries. A single table that cannot be locked
/// is recorded as not measured.
fn halve(
    session: &mut dyn Session,
    conn: &PgConnection,
    dialect: Dialect,
    name: &str,
    oids: Vec<u32>,
    exclude: &[u32],
    r: &mut Reading,
) -> Vec<RelationRow> {
    if oids.is_empty() {
        return Vec::new();
    }
    let filter = OidFilter {
        only: Some(oids.clone()),
        exclude: exclude.to_vec(),
    };
    r.round_trips += 1;
    let result = run_sql(
        session,
        conn,
        name,
        &catalog::relations_sql(dialect, &filter),
        "table sizes",
    )
    .and_then(|t| relation_rows("table sizes", &t, name, &mut r.notes));
    match result {
        Ok(rows) => rows,
        Err(e) => match classify(&e) {
            // Narrow down whatever failed to the tables it failed on: every
            // other table is measured, and each failing one is recorded.
            Failure::Lock | Failure::Other(_) if oids.len() > 1 => {
                let (a, b) = oids.split_at(oids.len() / 2);
                let mut rows = halve(session, conn, dialect, name, a.to_vec(), exclude, r);
                rows.extend(halve(session, conn, dialect, name, b.to_vec(), exclude, r));
                rows
            }
            Failure::Dropped(oid) => {
                r.notes.push(format!(
                    "database {name}: the table with oid {oid} was dropped while collecting; skipped"
                ));
                let rest: Vec<u32> = oids.into_iter().filter(|o| *o != oid).collect();
                let mut ex = exclude.to_vec();
                ex.push(oid);
                halve(session, conn, dialect, name, rest, &ex, r)
            }
            Failure::Lock => {
                r.not_measured.push(NotMeasured {
                    database: name.to_string(),
                    table: Some(table_name(session, conn, name, oids[0])),
                    reason: format!(
                        "could not be locked within lock_timeout ({} ms): another session holds a conflicting lock (TRUNCATE, ALTER, VACUUM FULL)",
                        conn.lock_timeout_ms
                    ),
                });
                Vec::new()
            }
            Failure::Other(why) => {
                r.not_measured.push(NotMeasured {
                    database: name.to_string(),
                    table: Some(table_name(session, conn, name, oids[0])),
                    reason: why,
                });
                Vec::new()
            }
        },
    }
}

/// `schema.table` of an oid, for messages (the oid itself if it cannot be read).
fn table_name(session: &mut dyn Session, conn: &PgConnection, db: &str, oid: u32) -> String {
    let sql = format!(
        "SELECT to_json(n.nspname || '.' || c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = {oid}"
    );
    run_sql(session, conn, db, &sql, "table name")
        .ok()
        .and_then(|t| serde_json::from_str::<String>(t.trim()).ok())
        .unwrap_or_else(|| format!("oid {oid}"))
}

/// Builds the database's composition from its tables' statistics and sizes:
/// per-table CSV estimates (sampled where asked, or where TOAST hides the
/// width), sums per storage kind, and bytes per content.
#[allow(clippy::too_many_arguments)]
fn compose(
    session: &mut dyn Session,
    conn: &PgConnection,
    dialect: Dialect,
    name: &str,
    stats: Vec<StatsRow>,
    relations: Vec<RelationRow>,
    sample: Option<&SampleOptions>,
    started: Instant,
    r: &mut Reading,
) -> DatabaseComposition {
    let mut columns: HashMap<u32, Vec<csv_size::ColumnStats>> =
        stats.into_iter().map(|s| (s.oid, s.columns)).collect();
    let mut tables: Vec<(TableStats, &RelationRow)> = relations
        .iter()
        .map(|rel| {
            (
                TableStats {
                    schema: rel.schema.clone(),
                    name: rel.name.clone(),
                    kind: rel.kind,
                    rows: rel.rows,
                    on_disk_bytes: rel.on_disk_bytes,
                    uncompressed_bytes: None,
                    columns: columns.remove(&rel.oid).unwrap_or_default(),
                },
                rel,
            )
        })
        .collect();
    ao_ratios_for_unanalyzed(session, conn, dialect, name, &mut tables, r);

    let mut estimates: Vec<TableEstimate> = tables.iter().map(|(t, _)| table_estimate(t)).collect();
    // Samples: the ones asked for, then the TOASTed tables statistics cannot see.
    if let Some(opts) = sample {
        for e in estimates.iter_mut() {
            if started.elapsed() >= opts.total_budget {
                r.warnings.push(format!(
                    "sampling stopped after {} s (--sample-budget): the remaining tables keep their statistics estimate",
                    opts.total_budget.as_secs()
                ));
                break;
            }
            if e.rows <= opts.rows || e.on_disk_bytes < (1 << 20) {
                continue; // small tables: statistics are enough
            }
            if let Err(err) = sample_table(session, conn, name, e, opts.rows, opts.table_timeout, r)
            {
                r.warnings.push(format!("database {name}: {err}"));
            }
        }
    }
    toast_samples(session, conn, name, &tables, &mut estimates, r);

    let mut storage = Vec::new();
    for kind in StorageKind::ALL {
        let of_kind: Vec<&RelationRow> = tables
            .iter()
            .filter(|(t, _)| t.kind == kind)
            .map(|(_, rel)| *rel)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let ests: Vec<&TableEstimate> = estimates.iter().filter(|e| e.kind == kind).collect();
        let mut per_content: BTreeMap<i32, u64> = BTreeMap::new();
        for rel in &of_kind {
            for (c, b) in &rel.per_content {
                *per_content.entry(*c).or_default() += b;
            }
        }
        // Heap has no "uncompressed" figure; AO's is known only where a ratio was read.
        let uncompressed: Option<u64> = if kind == StorageKind::Heap {
            None
        } else {
            tables
                .iter()
                .filter(|(t, _)| t.kind == kind)
                .map(|(t, _)| t.uncompressed_bytes)
                .sum()
        };
        let mut srcs: Vec<EstimateSource> = ests.iter().map(|t| t.estimated_from).collect();
        srcs.sort_by_key(|x| x.as_str());
        srcs.dedup();
        storage.push(StorageComposition {
            kind,
            per_content: if dialect == Dialect::Postgres {
                Vec::new()
            } else {
                per_content
                    .into_iter()
                    .map(|(content, bytes)| ContentBytes { content, bytes })
                    .collect()
            },
            tables: Some(of_kind.len() as u64),
            on_disk_bytes: of_kind.iter().map(|t| t.on_disk_bytes).sum(),
            index_bytes: of_kind.iter().map(|t| t.index_bytes).sum(),
            uncompressed_bytes: uncompressed,
            rows: Some(of_kind.iter().map(|t| t.rows.max(0.0).round() as u64).sum()),
            csv_bytes: Some(ests.iter().map(|t| t.csv_bytes).sum()),
            csv_estimated_from: Some(if srcs.len() == 1 {
                srcs[0]
            } else {
                EstimateSource::Mixed
            }),
            sampled_ratios: weighted_ratios(&ests),
        });
    }
    estimates.sort_by_key(|e| std::cmp::Reverse(e.csv_bytes));
    DatabaseComposition {
        name: name.to_string(),
        storage,
        tables: estimates,
    }
}

/// AO tables without statistics need their uncompressed size: one
/// `get_ao_compression_ratio` call each (a cluster-wide query), for those only.
fn ao_ratios_for_unanalyzed(
    session: &mut dyn Session,
    conn: &PgConnection,
    dialect: Dialect,
    name: &str,
    tables: &mut [(TableStats, &RelationRow)],
    r: &mut Reading,
) {
    if dialect == Dialect::Postgres {
        return;
    }
    let need: Vec<u32> = tables
        .iter()
        .filter(|(t, _)| {
            t.kind != StorageKind::Heap && csv_size::table_csv(t).1 == EstimateSource::Default
        })
        .map(|(_, rel)| rel.oid)
        .collect();
    if need.is_empty() {
        return;
    }
    r.round_trips += 1;
    let ratios: Result<Vec<(u32, f64)>, CatalogError> = run_sql(
        session,
        conn,
        name,
        &catalog::ao_ratio_sql(&need),
        "AO compression ratios",
    )
    .and_then(|t| catalog::parse_json("AO compression ratios", &t));
    match ratios {
        Ok(ratios) => {
            let by_oid: HashMap<u32, f64> = ratios.into_iter().collect();
            for (t, rel) in tables.iter_mut() {
                if let Some(ratio) = by_oid.get(&rel.oid).filter(|x| **x > 0.0) {
                    t.uncompressed_bytes = Some((t.on_disk_bytes as f64 * ratio).round() as u64);
                }
            }
        }
        Err(e) => r.warnings.push(format!(
            "database {name}: AO compression ratios of unanalyzed tables: {e}; their on-disk default factor applies"
        )),
    }
}

/// Tables whose TOAST holds a large share of their bytes, or with a column
/// whose values are too wide for pg_stats ([`csv_size::width_hidden`]): their
/// statistics see compressed, stored widths, so a small sample (bounded in
/// rows, time and tables) measures the text.
fn toast_samples(
    session: &mut dyn Session,
    conn: &PgConnection,
    name: &str,
    tables: &[(TableStats, &RelationRow)],
    estimates: &mut [TableEstimate],
    r: &mut Reading,
) {
    let started = Instant::now();
    let mut candidates: Vec<&RelationRow> = tables
        .iter()
        .filter(|(t, rel)| {
            let toasted = rel.toast_bytes > 0
                && rel.toast_bytes as f64 >= TOAST_SHARE * rel.on_disk_bytes as f64;
            toasted || t.columns.iter().any(csv_size::width_hidden)
        })
        .map(|(_, rel)| *rel)
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.toast_bytes));
    for rel in candidates.into_iter().take(TOAST_SAMPLE_TABLES) {
        if started.elapsed() >= TOAST_SAMPLE_BUDGET {
            r.warnings.push(format!(
                "database {name}: TOAST samples stopped after {} s; the remaining tables keep their statistics estimate",
                TOAST_SAMPLE_BUDGET.as_secs()
            ));
            break;
        }
        let Some(e) = estimates
            .iter_mut()
            .find(|e| e.schema == rel.schema && e.name == rel.name)
        else {
            continue;
        };
        if e.estimated_from == EstimateSource::Sample {
            continue; // --sample-rows measured it already
        }
        let before = e.csv_bytes;
        match sample_table(session, conn, name, e, TOAST_SAMPLE_ROWS, TOAST_SAMPLE_TIMEOUT, r) {
            Ok(()) => r.notes.push(format!(
                "{name}.{}.{}: its values are too wide for the statistics (TOAST: {} of {} bytes; values over 1 kB are left out of pg_stats); sampled {} rows: {} → {} CSV bytes",
                e.schema,
                e.name,
                rel.toast_bytes,
                rel.on_disk_bytes,
                e.sample_rows.unwrap_or(0),
                before,
                e.csv_bytes
            )),
            Err(err) => r.warnings.push(format!(
                "database {name}: {err} (TOAST sample); its statistics estimate stays"
            )),
        }
    }
}

/// The backup estimate of one table from its statistics.
pub fn table_estimate(t: &TableStats) -> TableEstimate {
    let (csv_bytes, estimated_from) = csv_size::table_csv(t);
    TableEstimate {
        schema: t.schema.clone(),
        name: t.name.clone(),
        kind: t.kind,
        rows: t.rows.max(0.0).round() as u64,
        on_disk_bytes: t.on_disk_bytes,
        csv_bytes,
        estimated_from,
        sample_rows: None,
        sample_csv_bytes: None,
        sampled_ratios: None,
        stats_hidden: estimated_from == EstimateSource::Default && csv_size::stats_hidden(t),
    }
}

/// Samples one table as gpbackup writes it: its CSV bytes per row scale the
/// row count, and the sample's compression ratios and speeds are recorded.
fn sample_table(
    session: &mut dyn Session,
    conn: &PgConnection,
    db: &str,
    t: &mut TableEstimate,
    rows: u64,
    timeout: Duration,
    r: &mut Reading,
) -> Result<(), CatalogError> {
    if r.psql_overhead.is_none() {
        // The fastest of three empty runs: what a run costs besides its query.
        let empty = catalog::psql_command_timeout(conn, db, "SELECT 1", timeout.as_millis() as u64);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let started = Instant::now();
            r.round_trips += 1;
            if session.exec(&empty).is_ok_and(|o| o.exit_status == 0) {
                best = best.min(started.elapsed().as_secs_f64());
            }
        }
        r.psql_overhead = Some(if best.is_finite() { best } else { 0.0 });
    }
    let sql = catalog::sample_sql(&t.schema, &t.name, rows);
    let cmd = catalog::psql_command_timeout(conn, db, &sql, timeout.as_millis() as u64);
    r.round_trips += 1;
    let what = || format!("sample of {}.{}", t.schema, t.name);
    let started = Instant::now();
    let out = session
        .exec(&cmd)
        .map_err(|source| CatalogError::Transport {
            what: what(),
            source,
        })?;
    if out.exit_status != 0 {
        return Err(CatalogError::Psql {
            what: what(),
            status: out.exit_status,
            stderr: out.stderr.trim().into(),
        });
    }
    let bytes = out.stdout.as_bytes();
    let records = sample::csv_records(bytes);
    if records == 0 {
        return Ok(());
    }
    r.copy.0 += bytes.len() as f64;
    let wall = started.elapsed().as_secs_f64();
    // Never less than a tenth of the wall time: an overhead measured high
    // must not make a stream look infinitely fast.
    r.copy.1 += (wall - r.psql_overhead.unwrap_or(0.0))
        .max(wall / 10.0)
        .max(1e-9);
    let per_row = bytes.len() as f64 / records as f64;
    t.csv_bytes = (t.rows as f64 * per_row).round() as u64;
    t.estimated_from = EstimateSource::Sample;
    t.sample_rows = Some(records);
    t.sample_csv_bytes = Some(bytes.len() as u64);
    let (ratios, seconds) = sample::measure(bytes);
    t.sampled_ratios = Some(ratios);
    for (k, secs) in seconds {
        let e = r.throughput.entry(k).or_insert((0.0, 0.0));
        e.0 += bytes.len() as f64;
        e.1 += secs;
    }
    Ok(())
}

/// Ratios of the sampled tables, weighted by their CSV bytes.
fn weighted_ratios(tables: &[&TableEstimate]) -> Option<BTreeMap<String, f64>> {
    let mut acc: BTreeMap<String, (f64, f64)> = Default::default();
    for t in tables {
        if let Some(m) = &t.sampled_ratios {
            for (k, r) in m {
                let e = acc.entry(k.clone()).or_insert((0.0, 0.0));
                e.0 += r * t.csv_bytes as f64;
                e.1 += t.csv_bytes as f64;
            }
        }
    }
    let out: BTreeMap<String, f64> = acc
        .into_iter()
        .filter(|(_, (_, w))| *w > 0.0)
        .map(|(k, (s, w))| (k, s / w))
        .collect();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_apart() {
        let psql = |stderr: &str| CatalogError::Psql {
            what: "table sizes of database x".into(),
            status: 1,
            stderr: stderr.into(),
        };
        assert!(matches!(
            classify(&psql("ERROR:  could not open relation with OID 16421")),
            Failure::Dropped(16421)
        ));
        assert!(matches!(
            classify(&psql("ERROR:  canceling statement due to lock timeout")),
            Failure::Lock
        ));
        match classify(&psql(
            "FATAL:  permission denied for database \"sales\"\nDETAIL: x",
        )) {
            Failure::Other(m) => assert_eq!(m, "FATAL:  permission denied for database \"sales\""),
            _ => panic!(),
        }
        // psql printed nothing: the reason still says something.
        match classify(&psql("")) {
            Failure::Other(m) => assert_eq!(m, "unknown error"),
            _ => panic!(),
        }
        // Not psql's failure: the whole message, query name included.
        let lost = CatalogError::Transport {
            what: "table sizes".into(),
            source: crate::remote::transport::TransportError::Timeout("60 s".into()),
        };
        match classify(&lost) {
            Failure::Other(m) => assert_eq!(m, "table sizes: timed out: 60 s"),
            _ => panic!(),
        }
    }
}

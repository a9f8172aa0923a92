//! Reading the coordinator: which product and version, every instance and
//! tablespace, and each database's composition (through [`super::databases`]).

use super::catalog::{self, CatalogError, Dialect, SegmentRow, ServerVersion, TablespaceRow};
use super::databases;
use super::options::CollectOptions;
use super::preflight;
use crate::inventory::Composition;
use crate::remote::transport::Session;

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
    /// The pre-flight's result (absent only when no catalog was read).
    pub compatibility: Option<crate::inventory::Compatibility>,
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
    // The topology and the list of databases: one psql run, which also
    // carries the pre-flight's cluster-wide queries (shared catalogs: once).
    let mut checks = preflight::Accumulator::default();
    let (segments, tablespaces, names) = if version.dialect == Dialect::Postgres {
        #[derive(serde::Deserialize)]
        struct Pg {
            datadir: String,
            port: u16,
        }
        let r = topology_pass(
            session,
            conn,
            db,
            version.dialect,
            &mut checks,
            &[
                ("data_directory", catalog::POSTGRES_INSTANCE_SQL.to_string()),
                ("tablespaces", catalog::POSTGRES_TABLESPACES_SQL.to_string()),
                ("pg_database", catalog::DATABASES_SQL.to_string()),
            ],
        )?;
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
        let r = topology_pass(
            session,
            conn,
            db,
            version.dialect,
            &mut checks,
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
        )?;
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
    let mut r = databases::read_databases(
        session,
        conn,
        version.dialect,
        &names,
        &excluded,
        opts.sample.as_ref(),
    );
    let dialect = version.dialect;
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
            copy_bytes_per_second: (r.copy.0 > 0.0).then(|| r.copy.0 / r.copy.1),
        }),
        warnings: r.warnings,
        compatibility: Some({
            checks.merge(std::mem::take(&mut r.preflight));
            checks.finish(dialect)
        }),
    })
}

/// The topology queries (`strict`, any failure stops collection) with the
/// pre-flight's cluster-wide queries in front, each allowed to fail alone.
fn topology_pass(
    session: &mut dyn Session,
    conn: &catalog::PgConnection,
    db: &str,
    dialect: Dialect,
    checks: &mut preflight::Accumulator,
    strict: &[(&str, String)],
) -> Result<Vec<String>, CatalogError> {
    let cluster = preflight::cluster_queries(dialect);
    let sql: Vec<String> = cluster.iter().map(|(_, q)| q.clone()).collect();
    let pass = catalog::run_sql_pass(session, conn, db, &sql, strict);
    for ((id, _), result) in cluster.iter().zip(&pass.checks) {
        checks.record(id, None, result.as_deref().map_err(Clone::clone));
    }
    pass.strict.map_err(|(_, e)| e)
}

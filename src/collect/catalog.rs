//! Every catalog query whpg-plan runs, in one place. Each returns one JSON
//! value (`row_to_json` / `json_agg`, present since PostgreSQL 9.4), so
//! nothing is parsed from psql's table text. Queries are written unqualified,
//! as they run on Greenplum; the GP6 ones use only what PostgreSQL 9.4 and
//! GP6's catalog have (`relstorage`, `pg_partition`, the 12-column
//! `pg_appendonly`), the GP7 ones `relam` → `pg_am`.

use serde::Deserialize;

use crate::inventory::{Product, StorageKind};
use crate::remote::transport::{Session, TransportError};
use crate::shell::quote;

/// Why a catalog query gave no answer, or `version()` names a server whpg-plan
/// does not measure. `what` names the query, as the messages show it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// psql could not be run on the coordinator.
    #[error("{what}: {source}")]
    Transport {
        /// The query.
        what: String,
        /// Why.
        source: TransportError,
    },
    /// psql ran and failed (a permission, a lock timeout, a dropped table …).
    #[error("{what}: psql exited {status}: {stderr}{}", password_hint(stderr))]
    Psql {
        /// The query.
        what: String,
        /// psql's exit status.
        status: i32,
        /// What psql printed on stderr, trimmed.
        stderr: String,
    },
    /// psql's output is not the JSON the query prints.
    #[error("{what}: unexpected psql output ({reason}): '{excerpt}'")]
    Output {
        /// The query.
        what: String,
        /// The JSON parser's complaint.
        reason: String,
        /// The first 200 characters of the output.
        excerpt: String,
    },
    /// `version()` names no product whpg-plan knows.
    #[error("version() does not name Greenplum, WarehousePG or PostgreSQL: '{banner}'")]
    UnknownProduct {
        /// The whole `version()` string.
        banner: String,
    },
    /// `version()` names a Greenplum fork or another product built on it.
    #[error(
        "version() names {named}, which is neither Greenplum, WarehousePG nor a plain PostgreSQL: '{banner}'"
    )]
    Fork {
        /// What the banner names.
        named: String,
        /// The whole `version()` string.
        banner: String,
    },
    /// `version()` names WarehousePG without a version number.
    #[error("version() names WarehousePG but no version: '{banner}'")]
    NoVersion {
        /// The whole `version()` string.
        banner: String,
    },
    /// A product version whpg-plan does not read.
    #[error("{product} {major} is not supported ({supported})")]
    Unsupported {
        /// Product name.
        product: &'static str,
        /// Its major version.
        major: u32,
        /// What is supported.
        supported: &'static str,
    },
    /// The coordinator's catalog lists no instance.
    #[error("gp_segment_configuration is empty")]
    NoSegments,
    /// `--exclude-database` names a database that does not exist.
    #[error("--exclude-database {name}: no such database (the databases are: {})", known.join(", "))]
    NoSuchDatabase {
        /// The name given.
        name: String,
        /// The databases there are.
        known: Vec<String>,
    },
}

impl CatalogError {
    /// The reason recorded for a database or table that could not be measured:
    /// the first line psql printed (its query is named elsewhere), or the
    /// first line of the whole message for any other failure.
    pub fn reason(&self) -> String {
        match self {
            CatalogError::Psql { stderr, .. } => first_line(stderr),
            other => first_line(&other.to_string()),
        }
    }
}

/// The first non-empty line of a message, trimmed.
fn first_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("unknown error")
        .to_string()
}

/// Which catalog dialect the coordinator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Greenplum / WarehousePG 6 (PostgreSQL 9.4 based).
    Gp6,
    /// Greenplum / WarehousePG 7 (PostgreSQL 12 based).
    Gp7,
    /// Plain PostgreSQL 12 or later: a single instance.
    Postgres,
}

/// What `version()` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// Product.
    pub product: Product,
    /// Product version, e.g. `6.26.1`.
    pub version: String,
    /// Catalog dialect.
    pub dialect: Dialect,
}

/// All versions: the server's version string.
pub const VERSION_SQL: &str = "SELECT version()";

/// Detects the product from `version()`, as the real banners put it:
/// Greenplum `PostgreSQL 9.4.26 (Greenplum Database 6.24.3 build …) on …`;
/// WarehousePG `PostgreSQL 9.4.26 (Greenplum Database 6.27.5-WHPG build dev) on
/// … WarehousePG` (the product name at the very end, the version inside the
/// Greenplum parenthesis with a `-WHPG` suffix); plain `PostgreSQL 15.8 (Debian …) on …`.
/// Forks such as Apache Cloudberry or Greengage are an error that names what
/// was found, never mistaken for a plain PostgreSQL.
pub fn parse_version(v: &str) -> Result<ServerVersion, CatalogError> {
    let v = v.trim();
    let number_after = |marker: &str| -> Option<String> {
        let i = v.find(marker)? + marker.len();
        let ver: String = v[i..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!ver.is_empty()).then_some(ver)
    };
    let whpg = v.ends_with("WarehousePG") || v.contains("-WHPG") || v.contains("(WarehousePG");
    let (product, version) = if whpg {
        let ver = number_after("(Greenplum Database")
            .or_else(|| number_after("WarehousePG"))
            .ok_or_else(|| CatalogError::NoVersion { banner: v.into() })?;
        (Product::Warehousepg, ver)
    } else if let Some(ver) = number_after("(Greenplum Database") {
        (Product::Greenplum, ver)
    } else if let Some(fork) = [
        "Cloudberry",
        "Greengage",
        "HashData",
        "MatrixDB",
        "Database",
    ]
    .iter()
    .find(|f| v.contains(*f))
    {
        return Err(CatalogError::Fork {
            named: match *fork {
                "Database" => "another database product",
                f => f,
            }
            .into(),
            banner: v.into(),
        });
    } else if v.starts_with("PostgreSQL") {
        (
            Product::Postgresql,
            number_after("PostgreSQL").unwrap_or_default(),
        )
    } else {
        return Err(CatalogError::UnknownProduct { banner: v.into() });
    };
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let dialect = match (product, major) {
        (Product::Postgresql, m) if m >= 12 => Dialect::Postgres,
        (Product::Postgresql, m) => {
            return Err(CatalogError::Unsupported {
                product: Product::Postgresql.display_name(),
                major: m,
                supported: "12 or later",
            });
        }
        (_, 6) => Dialect::Gp6,
        (_, 7) => Dialect::Gp7,
        (p, m) => {
            return Err(CatalogError::Unsupported {
                product: p.display_name(),
                major: m,
                supported: "6 or 7",
            });
        }
    };
    Ok(ServerVersion {
        product,
        version,
        dialect,
    })
}

/// GP6 and GP7: every instance of the cluster.
pub const SEGMENTS_SQL: &str = "SELECT coalesce(json_agg(row_to_json(s)), '[]') FROM (\
SELECT dbid, content, role, preferred_role, port, hostname, address, datadir \
FROM gp_segment_configuration ORDER BY dbid) s";

/// Plain PostgreSQL: its one data directory and port (needs superuser or pg_read_all_settings).
pub const POSTGRES_INSTANCE_SQL: &str = "SELECT row_to_json(s) FROM (\
SELECT current_setting('data_directory') AS datadir, current_setting('port')::int AS port) s";

/// GP6 and GP7: tablespace locations per content; each instance's files are
/// under `location/<dbid>`.
pub const GP_TABLESPACES_SQL: &str = "SELECT coalesce(json_agg(row_to_json(t)), '[]') FROM (\
SELECT s.oid::int8 AS oid, s.spcname AS name, l.gp_segment_id AS content, l.tblspc_loc AS location \
FROM pg_tablespace s, gp_tablespace_location(s.oid) l \
WHERE s.spcname NOT IN ('pg_default', 'pg_global')) t";

/// Plain PostgreSQL: tablespace locations (content −1).
pub const POSTGRES_TABLESPACES_SQL: &str = "SELECT coalesce(json_agg(row_to_json(t)), '[]') FROM (\
SELECT oid::int8 AS oid, spcname AS name, -1 AS content, pg_tablespace_location(oid) AS location \
FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')) t";

/// All versions: databases that hold user data (templates excluded).
pub const DATABASES_SQL: &str = "SELECT coalesce(json_agg(datname ORDER BY datname), '[]') \
FROM pg_database WHERE datallowconn AND NOT datistemplate";

pub(crate) const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'gp_toolkit', 'pg_aoseg', \
'pg_toast', 'pg_bitmapindex') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

/// The dialect's pieces of the table queries: the storage kind expression
/// (and what to group by for it), FROM, and the WHERE filter. Only leaf
/// tables hold data: a relation with children in `pg_inherits` (a partitioned
/// table, and in GP6 every intermediate partition level, which is an empty
/// `relkind 'r'` parent) is left out.
struct TableSql {
    kind: &'static str,
    kind_group: &'static str,
    from: &'static str,
    filter: &'static str,
}

const LEAF: &str = "NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid)";

fn table_sql(d: Dialect) -> TableSql {
    match d {
        // GP6: relstorage 'h' heap, 'a' AO row, 'c' AO column ('x' external excluded).
        Dialect::Gp6 => TableSql {
            kind: "CASE c.relstorage WHEN 'h' THEN 'heap' WHEN 'a' THEN 'ao_row' ELSE 'ao_column' END",
            kind_group: "c.relstorage",
            from: "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
            // A partition root without leaves (pg_partition names it, pg_inherits
            // has no child) is empty too.
            filter: "c.relkind = 'r' AND c.relstorage IN ('h', 'a', 'c') AND c.oid NOT IN (SELECT parrelid FROM pg_partition)",
        },
        // GP7: table access methods; partition parents are relkind 'p'.
        Dialect::Gp7 => TableSql {
            kind: "a.amname",
            kind_group: "a.amname",
            from: "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam",
            filter: "c.relkind = 'r' AND a.amname IN ('heap', 'ao_row', 'ao_column')",
        },
        // Plain PostgreSQL 12+: heap only.
        Dialect::Postgres => TableSql {
            kind: "a.amname",
            kind_group: "a.amname",
            from: "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam",
            filter: "c.relkind = 'r' AND a.amname = 'heap'",
        },
    }
}

/// Which tables a relations query covers: all leaf tables but `exclude`
/// (dropped during the run), or only `only` (narrowing down a lock wait).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidFilter {
    /// Measure only these (all when `None`).
    pub only: Option<Vec<u32>>,
    /// Leave these out.
    pub exclude: Vec<u32>,
}

impl OidFilter {
    fn sql(&self, col: &str) -> String {
        let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        let mut s = String::new();
        if let Some(only) = &self.only {
            s.push_str(&format!(" AND {col} IN ({})", list(only)));
        }
        if !self.exclude.is_empty() {
            s.push_str(&format!(" AND {col} NOT IN ({})", list(&self.exclude)));
        }
        s
    }
}

/// Every leaf table's sizes, one JSON object per line (so no single value
/// grows with the catalog). On Greenplum the size functions run inside one
/// `gp_dist_random('pg_class')` scan, where each segment answers for itself:
/// one distributed query sizes every table on every segment at once and
/// gives the bytes per content, instead of one cluster-wide dispatch per call
/// on the coordinator. Heap: `pg_table_size` (TOAST included; TOAST bytes
/// also alone); AO: `pg_relation_size` (the committed EOF); indexes apart.
pub fn relations_sql(d: Dialect, f: &OidFilter) -> String {
    let TableSql {
        kind,
        kind_group,
        from,
        filter,
    } = table_sql(d);
    let toast = |rel: &str| {
        format!(
            "CASE WHEN {rel}.reltoastrelid <> 0 THEN pg_relation_size({rel}.reltoastrelid) ELSE 0 END"
        )
    };
    if d == Dialect::Postgres {
        return format!(
            "SELECT row_to_json(t) FROM (\
SELECT oid, schema, name, kind, rows, bytes AS on_disk_bytes, idx AS index_bytes, toast AS toast_bytes, \
json_build_array(json_build_array(-1, bytes)) AS per_content FROM (\
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, {kind} AS kind, c.reltuples::float8 AS rows, \
pg_table_size(c.oid) AS bytes, pg_indexes_size(c.oid) AS idx, {} AS toast \
FROM {from} WHERE {filter} AND {USER_SCHEMAS} AND {LEAF}{}) r ORDER BY on_disk_bytes DESC) t",
            toast("c"),
            f.sql("c.oid")
        );
    }
    let seg_size = match d {
        Dialect::Gp6 => {
            "CASE WHEN d.relstorage = 'h' THEN pg_table_size(d.oid) ELSE pg_relation_size(d.oid) END"
        }
        // heap is access method 2 in every PostgreSQL 12+ catalog.
        _ => "CASE WHEN d.relam = 2 THEN pg_table_size(d.oid) ELSE pg_relation_size(d.oid) END",
    };
    let seg_filter = match d {
        Dialect::Gp6 => "d.relkind = 'r' AND d.relstorage IN ('h', 'a', 'c') AND d.oid >= 16384",
        _ => "d.relkind = 'r' AND d.oid >= 16384",
    };
    format!(
        "SELECT row_to_json(t) FROM (\
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, {kind} AS kind, c.reltuples::float8 AS rows, \
sum(s.bytes)::int8 AS on_disk_bytes, sum(s.idx)::int8 AS index_bytes, sum(s.toast)::int8 AS toast_bytes, \
json_agg(json_build_array(s.content, s.bytes) ORDER BY s.content) AS per_content FROM (\
SELECT d.gp_segment_id AS content, d.oid, {seg_size} AS bytes, pg_indexes_size(d.oid) AS idx, {} AS toast \
FROM gp_dist_random('pg_class') d WHERE {seg_filter}{}) s \
JOIN {from} ON c.oid = s.oid WHERE {filter} AND {USER_SCHEMAS} AND {LEAF} \
GROUP BY c.oid, n.nspname, c.relname, {kind_group}, c.reltuples ORDER BY 6 DESC) t",
        toast("d"),
        f.sql("d.oid")
    )
}

/// The oids of every leaf table (catalog only: no size function, no lock on
/// a table), to narrow down which table a lock wait is on.
pub fn relation_oids_sql(d: Dialect) -> String {
    let TableSql { from, filter, .. } = table_sql(d);
    format!(
        "SELECT coalesce(json_agg(c.oid::int8 ORDER BY c.oid), '[]') FROM {from} WHERE {filter} AND {USER_SCHEMAS} AND {LEAF}"
    )
}

/// `get_ao_compression_ratio` for the given AO tables only: each call is a
/// cluster-wide query, so it is made just for AO tables without statistics,
/// whose CSV estimate needs their uncompressed size.
pub fn ao_ratio_sql(oids: &[u32]) -> String {
    let list = oids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT coalesce(json_agg(json_build_array(r::int8, get_ao_compression_ratio(r))), '[]') FROM unnest(ARRAY[{list}]::oid[]) r"
    )
}

/// The statistics the CSV estimate needs, one JSON object per leaf table and
/// line (PostgreSQL 9.4 features only on the GP6 path: multi-argument
/// `unnest` in FROM, json_agg). Per column: `format_type`, pg_stats'
/// null_frac and avg_width (the table's own row: `inherited = false`), the
/// mean text length in bytes (`octet_length`: CSV size is bytes, not
/// characters) of the histogram bounds, Σ length × frequency of the most
/// common values, their total frequency, and the same two figures for the
/// characters CSV adds (2 quotes around a value holding a comma, quote, CR or
/// LF, or an empty string, plus each inner quote doubled). Array columns have
/// per-element statistics instead: the mean text length of
/// `most_common_elems` and the average element count (the last entry of
/// `elem_count_histogram`). The session's `extra_float_digits` decides how
/// floats print, as in gpbackup's COPY.
pub fn stats_sql(d: Dialect) -> String {
    let TableSql { from, filter, .. } = table_sql(d);
    let extra_of = |v: &str| {
        format!(
            "(CASE WHEN {v} = '' OR strpos({v}, ',') > 0 OR strpos({v}, '\"') > 0 OR strpos({v}, chr(10)) > 0 \
OR strpos({v}, chr(13)) > 0 THEN 2 ELSE 0 END + length({v}) - length(replace({v}, '\"', '')))"
        )
    };
    let (extra, extra_m) = (extra_of("v"), extra_of("m.v"));
    // pg_stats shows a column only to a role that may SELECT it (9.4, GP6)
    // and, from 9.5 on, not while row security applies to the role: the
    // view's own conditions, so a missing row can be told from "never analyzed".
    let hidden = match d {
        Dialect::Gp6 => "NOT has_column_privilege(c.oid, a.attnum, 'SELECT')",
        Dialect::Gp7 | Dialect::Postgres => {
            "(NOT has_column_privilege(c.oid, a.attnum, 'SELECT') OR (c.relrowsecurity AND row_security_active(c.oid)))"
        }
    };
    format!(
        "SELECT row_to_json(t) FROM (\
SELECT c.oid::int8 AS oid, \
(SELECT coalesce(json_agg(row_to_json(col)), '[]') FROM (\
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, s.attname IS NOT NULL AS analyzed, \
{hidden} AS hidden, \
s.null_frac::float8 AS null_frac, s.avg_width::float8 AS avg_width, \
CASE WHEN ty.typcategory <> 'A' THEN (SELECT avg(octet_length(v))::float8 FROM unnest(s.histogram_bounds::text::text[]) v) END AS hist_len, \
CASE WHEN ty.typcategory <> 'A' THEN (SELECT avg({extra})::float8 FROM unnest(s.histogram_bounds::text::text[]) v) END AS hist_extra, \
CASE WHEN ty.typcategory <> 'A' THEN (SELECT sum(octet_length(m.v) * m.f)::float8 \
FROM unnest(s.most_common_vals::text::text[], s.most_common_freqs) m(v, f)) END AS mcv_len, \
CASE WHEN ty.typcategory <> 'A' THEN (SELECT sum({extra_m} * m.f)::float8 \
FROM unnest(s.most_common_vals::text::text[], s.most_common_freqs) m(v, f)) END AS mcv_extra, \
(SELECT sum(f)::float8 FROM unnest(s.most_common_freqs) f) AS mcv_frac, \
CASE WHEN ty.typcategory = 'A' THEN (SELECT avg(octet_length(v))::float8 FROM unnest(s.most_common_elems::text::text[]) v) END AS elem_len, \
CASE WHEN ty.typcategory = 'A' THEN s.elem_count_histogram[array_upper(s.elem_count_histogram, 1)]::float8 END AS elem_count \
FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid \
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND NOT s.inherited \
WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) col) AS columns \
FROM {from} WHERE {filter} AND {USER_SCHEMAS} AND {LEAF}) t"
    )
}

/// `COPY (SELECT * FROM t LIMIT n) TO STDOUT WITH CSV DELIMITER ','`: the
/// same CSV gpbackup writes, for the first `rows` rows of one table.
pub fn sample_sql(schema: &str, table: &str, rows: u64) -> String {
    let ident = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!(
        "COPY (SELECT * FROM {}.{} LIMIT {rows}) TO STDOUT WITH CSV DELIMITER ','",
        ident(schema),
        ident(table)
    )
}

/// How to reach the database on the coordinator, and the session settings
/// every catalog query runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgConnection {
    /// `-h` (default: psql's own, the local socket).
    pub host: Option<String>,
    /// `-p`.
    pub port: Option<u16>,
    /// `-U`.
    pub user: Option<String>,
    /// `-d` for the topology queries.
    pub database: String,
    /// `statement_timeout` in ms (0 = none, as gpbackup sets it): a site-wide
    /// timeout must not kill the catalog queries.
    pub statement_timeout_ms: u64,
    /// `lock_timeout` in ms: a table that cannot be locked in time (behind a
    /// TRUNCATE or ALTER) is reported, not waited on.
    pub lock_timeout_ms: u64,
}

/// The default `lock_timeout`: 10 s.
pub const DEFAULT_LOCK_TIMEOUT_MS: u64 = 10_000;

impl Default for PgConnection {
    fn default() -> Self {
        PgConnection {
            host: None,
            port: None,
            user: None,
            database: "postgres".into(),
            statement_timeout_ms: 0,
            lock_timeout_ms: DEFAULT_LOCK_TIMEOUT_MS,
        }
    }
}

/// The session settings, as client options (they override database- and
/// role-level settings): the timeouts, `application_name`, and the text
/// settings gpbackup's session uses (`extra_float_digits` at its maximum,
/// ISO dates, postgres intervals), so values print as the backup writes them.
fn session_env(conn: &PgConnection, statement_timeout_ms: u64) -> String {
    format!(
        "PGAPPNAME=whpg-plan PGOPTIONS='-c statement_timeout={statement_timeout_ms} -c lock_timeout={} -c extra_float_digits=3 -c DateStyle=ISO -c IntervalStyle=postgres' ",
        conn.lock_timeout_ms
    )
}

fn psql_base(conn: &PgConnection, database: &str) -> String {
    psql_base_timeout(conn, database, conn.statement_timeout_ms)
}

fn psql_base_timeout(conn: &PgConnection, database: &str, statement_timeout_ms: u64) -> String {
    let mut s = session_env(conn, statement_timeout_ms);
    // -w: never prompt. On a terminal psql would ask for a password once per
    // run (dozens of prompts in one collect); the password comes from
    // ~/.pgpass or PGPASSFILE instead (see password_hint).
    s.push_str("psql -X -A -t -q -w -v ON_ERROR_STOP=1");
    if let Some(h) = &conn.host {
        s.push_str(&format!(" -h {}", quote(h)));
    }
    if let Some(p) = conn.port {
        s.push_str(&format!(" -p {p}"));
    }
    if let Some(u) = &conn.user {
        s.push_str(&format!(" -U {}", quote(u)));
    }
    s.push_str(&format!(" -d {}", quote(database)));
    s
}

/// The psql command line that runs `sql` against `database` and prints only the value.
pub fn psql_command(conn: &PgConnection, database: &str, sql: &str) -> String {
    format!("{} -c {}", psql_base(conn, database), quote(sql))
}

/// As [`psql_command`], with its own `statement_timeout` (a sample's bound).
pub fn psql_command_timeout(
    conn: &PgConnection,
    database: &str,
    sql: &str,
    statement_timeout_ms: u64,
) -> String {
    format!(
        "{} -c {}",
        psql_base_timeout(conn, database, statement_timeout_ms),
        quote(sql)
    )
}

/// The marker psql prints (`\echo`) before each query's result in a batch.
pub const BATCH_MARKER: &str = "@@whpg-query";

/// One psql run for several queries: a quoted here-document (nothing in it
/// is expanded by the shell) with `\echo` markers between the queries, so the
/// results can be told apart whatever they contain. One SSH exec and one psql
/// start instead of one per query.
pub fn psql_batch_command(conn: &PgConnection, database: &str, queries: &[String]) -> String {
    let mut s = format!("{} <<'WHPG_SQL_END'\n", psql_base(conn, database));
    for (i, q) in queries.iter().enumerate() {
        s.push_str(&format!(
            "\\echo {BATCH_MARKER} {i}\n{};\n",
            q.trim_end_matches(';')
        ));
    }
    s.push_str("WHPG_SQL_END\n");
    s
}

/// One psql run for a database: first the `checks` (the pre-flight's
/// queries) with `ON_ERROR_STOP` off, so a query this catalog cannot answer
/// fails alone and the rest still run, then the `strict` queries with it on,
/// as [`psql_batch_command`]. Every query is preceded by a marker; all in one
/// quoted here-document.
pub fn psql_pass_command(
    conn: &PgConnection,
    database: &str,
    checks: &[String],
    strict: &[String],
) -> String {
    let mut s = format!("{} <<'WHPG_SQL_END'\n", psql_base(conn, database));
    let mut i = 0;
    if !checks.is_empty() {
        s.push_str("\\set ON_ERROR_STOP off\n");
        for q in checks {
            s.push_str(&format!(
                "\\echo {BATCH_MARKER} {i}\n{};\n",
                q.trim_end_matches(';')
            ));
            i += 1;
        }
        s.push_str("\\set ON_ERROR_STOP on\n");
    }
    for q in strict {
        s.push_str(&format!(
            "\\echo {BATCH_MARKER} {i}\n{};\n",
            q.trim_end_matches(';')
        ));
        i += 1;
    }
    s.push_str("WHPG_SQL_END\n");
    s
}

/// What one [`run_sql_pass`] gave: each check's raw result or the first line
/// of its error, and the strict queries as [`run_sql_batch`] gives them.
#[derive(Debug)]
pub struct PassOutcome {
    /// One per check, in order.
    pub checks: Vec<Result<String, String>>,
    /// The strict queries' results, or those before the failing one and why.
    pub strict: Result<Vec<String>, (Vec<String>, CatalogError)>,
}

/// psql's stderr cut into one block per error (a line with `ERROR:`,
/// `FATAL:` or `PANIC:` starts a block; what precedes the first stays apart).
fn error_blocks(stderr: &str) -> (String, Vec<String>) {
    let mut lead = String::new();
    let mut blocks: Vec<String> = Vec::new();
    for line in stderr.lines() {
        if ["ERROR:", "FATAL:", "PANIC:"]
            .iter()
            .any(|m| line.contains(m))
        {
            blocks.push(String::new());
        }
        let target = blocks.last_mut().unwrap_or(&mut lead);
        target.push_str(line);
        target.push('\n');
    }
    (lead, blocks)
}

/// The error line of a block without psql's `psql:<stdin>:N: ` prefix.
fn error_line(block: &str) -> String {
    let line = first_line(block);
    match ["ERROR:", "FATAL:", "PANIC:"]
        .iter()
        .filter_map(|m| line.find(m))
        .min()
    {
        Some(i) => line[i..].to_string(),
        None => line,
    }
}

/// Runs a database's whole pass in one psql (one SSH exec): the checks, each
/// allowed to fail alone, then the strict queries. A check with no answer
/// gets the next error psql printed (errors come in statement order); the
/// strict part's error is what remains.
pub fn run_sql_pass(
    session: &mut dyn Session,
    conn: &PgConnection,
    db: &str,
    checks: &[String],
    strict: &[(&str, String)],
) -> PassOutcome {
    let sqls: Vec<String> = strict.iter().map(|(_, q)| q.clone()).collect();
    let cmd = psql_pass_command(conn, db, checks, &sqls);
    let first = strict.first().map(|(w, _)| *w).unwrap_or("catalog");
    let out = match session.exec(&cmd) {
        Ok(o) => o,
        Err(source) => {
            let e = CatalogError::Transport {
                what: first.into(),
                source,
            };
            return PassOutcome {
                checks: checks.iter().map(|_| Err(e.reason())).collect(),
                strict: Err((Vec::new(), e)),
            };
        }
    };
    let mut results = split_batch(&out.stdout);
    let (lead, mut blocks) = error_blocks(&out.stderr);
    let mut blocks_iter = blocks.drain(..);
    let whole = || {
        let t = out.stderr.trim();
        if t.is_empty() {
            format!("psql gave no answer (exit status {})", out.exit_status)
        } else {
            error_line(t)
        }
    };
    let mut check_results = Vec::with_capacity(checks.len());
    for i in 0..checks.len() {
        match results.get(i).filter(|r| !r.trim().is_empty()) {
            Some(r) => check_results.push(Ok(r.clone())),
            None => check_results.push(Err(blocks_iter
                .next()
                .map(|b| error_line(&b))
                .unwrap_or_else(whole))),
        }
    }
    let rest: String = lead + &blocks_iter.collect::<String>();
    let strict_results: Vec<String> = if results.len() > checks.len() {
        results.split_off(checks.len())
    } else {
        Vec::new()
    };
    let strict_outcome = if out.exit_status != 0 || strict_results.len() < strict.len() {
        let failed_at = strict_results.len().saturating_sub(1);
        let failed = strict.get(failed_at).map(|(w, _)| *w).unwrap_or(first);
        let mut partial = strict_results;
        partial.truncate(failed_at);
        let stderr = if rest.trim().is_empty() {
            out.stderr.trim().to_string()
        } else {
            rest.trim().to_string()
        };
        Err((
            partial,
            CatalogError::Psql {
                what: failed.into(),
                status: out.exit_status,
                stderr,
            },
        ))
    } else {
        Ok(strict_results)
    };
    PassOutcome {
        checks: check_results,
        strict: strict_outcome,
    }
}

/// Splits a batch's output into the results of its queries, in order; a
/// shorter list means the query after the last result failed.
pub fn split_batch(out: &str) -> Vec<String> {
    let mut results: Vec<String> = Vec::new();
    for line in out.lines() {
        if line.starts_with(BATCH_MARKER) {
            results.push(String::new());
        } else if let Some(last) = results.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    results
}

/// One row of `gp_segment_configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SegmentRow {
    /// dbid.
    pub dbid: u32,
    /// content.
    pub content: i32,
    /// 'p' or 'm'.
    pub role: String,
    /// 'p' or 'm'.
    pub preferred_role: String,
    /// Port.
    pub port: u16,
    /// Host name.
    pub hostname: String,
    /// Address to connect to.
    pub address: Option<String>,
    /// Data directory.
    pub datadir: String,
}

/// One tablespace location for one content.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TablespaceRow {
    /// Tablespace oid.
    pub oid: u32,
    /// Name.
    pub name: String,
    /// Content id (−1 for coordinator and standby).
    pub content: i32,
    /// Location given at CREATE TABLESPACE.
    pub location: String,
}

/// One leaf table's sizes from [`relations_sql`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RelationRow {
    /// oid.
    pub oid: u32,
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `heap`, `ao_row` or `ao_column`: any other name makes the row unreadable,
    /// so the database is not measured rather than a table left out.
    pub kind: StorageKind,
    /// `reltuples`.
    pub rows: f64,
    /// On-disk bytes over all segments (indexes excluded).
    pub on_disk_bytes: u64,
    /// Index bytes.
    pub index_bytes: u64,
    /// TOAST bytes (heap).
    pub toast_bytes: u64,
    /// (content, on-disk bytes) per segment (−1 for a single instance).
    pub per_content: Vec<(i32, u64)>,
}

/// One leaf table's column statistics from [`stats_sql`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StatsRow {
    /// oid.
    pub oid: u32,
    /// Columns in order.
    pub columns: Vec<crate::csv_size::ColumnStats>,
}

/// Parses one JSON object per line.
pub fn parse_json_lines<T: for<'de> Deserialize<'de>>(
    what: &str,
    out: &str,
) -> Result<Vec<T>, CatalogError> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse_json(what, l))
        .collect()
}

/// Parses psql's output of a JSON query into `T`, saying which query failed.
pub fn parse_json<T: for<'de> Deserialize<'de>>(what: &str, out: &str) -> Result<T, CatalogError> {
    serde_json::from_str(out.trim()).map_err(|e| CatalogError::Output {
        what: what.into(),
        reason: e.to_string(),
        excerpt: out.trim().chars().take(200).collect(),
    })
}

/// What to do when psql, which never prompts (`-w`), needed a password.
fn password_hint(stderr: &str) -> &'static str {
    if stderr.contains("no password supplied") || stderr.contains("password authentication failed")
    {
        " (whpg-plan runs psql with -w, so it never prompts: put the password in \
         ~/.pgpass of the user psql runs as on the coordinator, or in a file named by \
         PGPASSFILE, mode 0600, one line host:port:database:user:password)"
    } else {
        ""
    }
}

/// Runs one query in psql on the coordinator (one SSH exec); its raw output.
pub fn run_sql(
    session: &mut dyn Session,
    conn: &PgConnection,
    db: &str,
    sql: &str,
    what: &str,
) -> Result<String, CatalogError> {
    let cmd = psql_command(conn, db, sql);
    let out = session
        .exec(&cmd)
        .map_err(|source| CatalogError::Transport {
            what: what.into(),
            source,
        })?;
    if out.exit_status != 0 {
        return Err(CatalogError::Psql {
            what: what.into(),
            status: out.exit_status,
            stderr: out.stderr.trim().into(),
        });
    }
    Ok(out.stdout)
}

/// Runs several queries in one psql (one SSH exec); returns each raw result.
/// On failure: the results of the queries before the failing one, and a
/// message that names it.
pub fn run_sql_batch(
    session: &mut dyn Session,
    conn: &PgConnection,
    db: &str,
    queries: &[(&str, String)],
) -> Result<Vec<String>, (Vec<String>, CatalogError)> {
    let sqls: Vec<String> = queries.iter().map(|(_, q)| q.clone()).collect();
    let cmd = psql_batch_command(conn, db, &sqls);
    let first = queries.first().map(|(w, _)| *w).unwrap_or("catalog");
    let out = session.exec(&cmd).map_err(|source| {
        let what = first.into();
        (Vec::new(), CatalogError::Transport { what, source })
    })?;
    let mut results = split_batch(&out.stdout);
    if out.exit_status != 0 || results.len() < queries.len() {
        let failed_at = results.len().saturating_sub(1);
        let failed = queries.get(failed_at).map(|(w, _)| *w).unwrap_or(first);
        // The marker of the failing query was printed; its output is not a result.
        results.truncate(failed_at);
        return Err((
            results,
            CatalogError::Psql {
                what: failed.into(),
                status: out.exit_status,
                stderr: out.stderr.trim().into(),
            },
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_recognised() {
        let gp6 = parse_version("PostgreSQL 9.4.26 (Greenplum Database 6.26.1 build commit:abc) on x86_64-unknown-linux-gnu").unwrap();
        assert_eq!(
            (gp6.product, gp6.version.as_str(), gp6.dialect),
            (Product::Greenplum, "6.26.1", Dialect::Gp6)
        );
        let gp7 =
            parse_version("PostgreSQL 12.12 (Greenplum Database 7.1.0 build commit:x) on x86_64")
                .unwrap();
        assert_eq!(gp7.dialect, Dialect::Gp7);
        // The real WarehousePG banners (warehouse-pg version.c): the product at the very end,
        // the version inside the Greenplum parenthesis with a -WHPG suffix.
        let wh6 = parse_version("PostgreSQL 9.4.26 (Greenplum Database 6.27.5-WHPG build dev) on x86_64-pc-linux-gnu, compiled by gcc (GCC) 6.4.0, 64-bit compiled on Nov 15 2024 WarehousePG").unwrap();
        assert_eq!(
            (wh6.product, wh6.version.as_str(), wh6.dialect),
            (Product::Warehousepg, "6.27.5", Dialect::Gp6)
        );
        let wh7 = parse_version("PostgreSQL 12.12 (Greenplum Database 7.5.0-WHPG build dev) on x86_64-pc-linux-gnu, compiled by gcc (GCC) 9.4.0, 64-bit compiled on Jan 1 2025 Bhuvnesh C. WarehousePG").unwrap();
        assert_eq!(
            (wh7.product, wh7.version.as_str(), wh7.dialect),
            (Product::Warehousepg, "7.5.0", Dialect::Gp7)
        );
        // Forks are named, never taken for a plain PostgreSQL.
        let e = parse_version(
            "PostgreSQL 14.4 (Apache Cloudberry 1.6.0 build 1) on x86_64-pc-linux-gnu",
        )
        .unwrap_err();
        assert!(
            matches!(&e, CatalogError::Fork { named, .. } if named == "Cloudberry"),
            "{e}"
        );
        let e = parse_version("PostgreSQL 9.4.26 (Greengage Database 6.28.0 build 1) on x86_64")
            .unwrap_err();
        assert!(e.to_string().contains("Greengage"), "{e}");
        let pg = parse_version("PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu")
            .unwrap();
        assert_eq!(
            (pg.product, pg.version.as_str(), pg.dialect),
            (Product::Postgresql, "15.8", Dialect::Postgres)
        );
        assert!(matches!(
            parse_version("MySQL 8"),
            Err(CatalogError::UnknownProduct { .. })
        ));
        let e = parse_version("PostgreSQL 8.3.23 (Greenplum Database 5.29.1 build)").unwrap_err();
        assert_eq!(e.to_string(), "Greenplum 5 is not supported (6 or 7)");
    }

    #[test]
    fn gp6_sql_uses_only_gp6_catalog_names() {
        let f = OidFilter::default();
        for q in [
            relations_sql(Dialect::Gp6, &f),
            stats_sql(Dialect::Gp6),
            relation_oids_sql(Dialect::Gp6),
        ] {
            assert!(q.contains("relstorage"), "{q}");
            assert!(!q.contains("relam") && !q.contains("pg_am"));
            // No syntax newer than PostgreSQL 9.4.
            for newer in [
                "TABLESAMPLE",
                "ON CONFLICT",
                "FILTER (",
                "jsonb",
                "pg_catalog.",
            ] {
                assert!(!q.contains(newer), "{newer}");
                assert!(!SEGMENTS_SQL.contains(newer) && !GP_TABLESPACES_SQL.contains(newer));
            }
            // Leaf tables only: every partition level with children is left out.
            assert!(
                q.contains("NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid)")
            );
        }
        let q7 = relations_sql(Dialect::Gp7, &f);
        assert!(q7.contains("relam") && !q7.contains("relstorage"));
        // One distributed query sizes every table on every segment; no
        // per-table cluster-wide call (get_ao_compression_ratio) in it.
        for d in [Dialect::Gp6, Dialect::Gp7] {
            let q = relations_sql(d, &f);
            assert_eq!(q.matches("gp_dist_random('pg_class')").count(), 1);
            assert!(!q.contains("get_ao_compression_ratio"));
        }
        assert!(!relations_sql(Dialect::Postgres, &f).contains("gp_dist_random"));
        // The statistics are the table's own, not its inheritance tree's.
        assert!(stats_sql(Dialect::Gp6).contains("AND NOT s.inherited"));
        let only = OidFilter {
            only: Some(vec![1, 2]),
            exclude: vec![3],
        };
        assert!(
            relations_sql(Dialect::Gp6, &only)
                .contains(" AND d.oid IN (1, 2) AND d.oid NOT IN (3)")
        );
    }

    #[test]
    fn sample_sql_quotes_identifiers() {
        assert_eq!(
            sample_sql("public", "we\"ird", 10),
            "COPY (SELECT * FROM \"public\".\"we\"\"ird\" LIMIT 10) TO STDOUT WITH CSV DELIMITER ','"
        );
    }

    #[test]
    fn batches_split_back_into_results() {
        let c = PgConnection {
            database: "postgres".into(),
            ..Default::default()
        };
        let cmd = psql_batch_command(&c, "sales", &["SELECT 1".into(), "SELECT '$(x)'".into()]);
        assert!(cmd.starts_with("PGAPPNAME=whpg-plan PGOPTIONS='-c statement_timeout=0 -c lock_timeout=10000 -c extra_float_digits=3 -c DateStyle=ISO -c IntervalStyle=postgres' psql -X -A -t -q -w -v ON_ERROR_STOP=1 -d sales <<'WHPG_SQL_END'\n"), "{cmd}");
        assert!(cmd.contains("\\echo @@whpg-query 1\nSELECT '$(x)';\n"));
        assert!(cmd.ends_with("\nWHPG_SQL_END\n"));
        let parts = split_batch("@@whpg-query 0\n[1,\n 2]\n@@whpg-query 1\n\"x\"\n");
        assert_eq!(parts, vec!["[1,\n 2]\n".to_string(), "\"x\"\n".to_string()]);
    }

    /// A check that errors fails alone: the others and the strict queries
    /// still answer, and each error goes to the statement that raised it.
    #[test]
    fn a_pass_tells_each_failing_check_its_own_error() {
        use crate::remote::transport::{CommandOutput, Session, TransportError};
        struct Recorded(CommandOutput);
        impl Session for Recorded {
            fn exec(&mut self, _cmd: &str) -> Result<CommandOutput, TransportError> {
                Ok(self.0.clone())
            }
        }
        let c = PgConnection::default();
        let cmd = psql_pass_command(&c, "db", &["SELECT 1".into()], &["SELECT 2".into()]);
        assert!(cmd.contains("\\set ON_ERROR_STOP off\n\\echo @@whpg-query 0\nSELECT 1;\n\\set ON_ERROR_STOP on\n\\echo @@whpg-query 1\nSELECT 2;\n"), "{cmd}");
        let mut s = Recorded(CommandOutput {
            stdout: "@@whpg-query 0\n@@whpg-query 1\n{\"total\":0}\n@@whpg-query 2\n\n@@whpg-query 3\n[]\n".into(),
            stderr: "ERROR:  relation \"pg_partition_rule\" does not exist\nLINE 1: SELECT x\n        ^\npsql:<stdin>:9: ERROR:  permission denied for relation pg_authid\n".into(),
            exit_status: 0,
        });
        let o = run_sql_pass(
            &mut s,
            &c,
            "db",
            &["a".into(), "b".into(), "c".into()],
            &[("stats", "d".into())],
        );
        assert_eq!(
            o.checks,
            vec![
                Err("ERROR:  relation \"pg_partition_rule\" does not exist".to_string()),
                Ok("{\"total\":0}\n".to_string()),
                Err("ERROR:  permission denied for relation pg_authid".to_string()),
            ]
        );
        assert_eq!(o.strict.unwrap(), vec!["[]\n".to_string()]);
        // The strict part fails after a check failed: its own error is reported.
        let mut s = Recorded(CommandOutput {
            stdout: "@@whpg-query 0\n@@whpg-query 1\n".into(),
            stderr: "ERROR:  no pg_resgroup\nERROR:  canceling statement due to lock timeout\n"
                .into(),
            exit_status: 3,
        });
        let o = run_sql_pass(&mut s, &c, "db", &["a".into()], &[("sizes", "d".into())]);
        assert_eq!(o.checks, vec![Err("ERROR:  no pg_resgroup".to_string())]);
        match o.strict {
            Err((partial, CatalogError::Psql { what, stderr, .. })) => {
                assert!(partial.is_empty());
                assert_eq!(what, "sizes");
                assert_eq!(stderr, "ERROR:  canceling statement due to lock timeout");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn psql_never_prompts_and_a_password_failure_says_how_to_give_one() {
        let c = PgConnection::default();
        assert!(psql_command(&c, "d", "SELECT 1").contains(" psql -X -A -t -q -w "));
        let e = CatalogError::Psql {
            what: "segments".into(),
            status: 2,
            stderr: "psql: error: fe_sendauth: no password supplied".into(),
        };
        let m = e.to_string();
        assert!(
            m.contains("never prompts") && m.contains("PGPASSFILE"),
            "{m}"
        );
    }

    #[test]
    fn psql_command_quotes_everything() {
        let c = PgConnection {
            port: Some(5432),
            user: Some("gpadmin".into()),
            ..Default::default()
        };
        let cmd = psql_command(&c, "sales; rm -rf /", "SELECT 'x'");
        assert!(
            cmd.ends_with(
                r" psql -X -A -t -q -w -v ON_ERROR_STOP=1 -p 5432 -U gpadmin -d 'sales; rm -rf /' -c 'SELECT '\''x'\'''"
            ),
            "{cmd}"
        );
        // A sample's own statement timeout replaces the session's.
        assert!(
            psql_command_timeout(&c, "s", "SELECT 1", 5000).contains("-c statement_timeout=5000 ")
        );
    }

    /// A storage kind the backup model does not know is an unreadable row (the
    /// database is then not measured), never a table silently left out.
    #[test]
    fn relation_rows_carry_a_known_storage_kind() {
        let row = |kind: &str| {
            format!(
                r#"{{"oid":1,"schema":"s","name":"t","kind":"{kind}","rows":1,"on_disk_bytes":8192,"index_bytes":0,"toast_bytes":0,"per_content":[[0,8192]]}}"#
            )
        };
        let rows: Vec<RelationRow> = parse_json_lines("table sizes", &row("ao_column")).unwrap();
        assert_eq!(rows[0].kind, StorageKind::AoColumn);
        let e = parse_json_lines::<RelationRow>("table sizes", &row("foreign")).unwrap_err();
        assert!(
            matches!(&e, CatalogError::Output { reason, .. } if reason.contains("foreign")),
            "{e}"
        );
    }

    #[test]
    fn rows_parse_from_json() {
        let rows: Vec<SegmentRow> = parse_json(
            "segments",
            r#"[{"dbid":1,"content":-1,"role":"p","preferred_role":"p","port":5432,"hostname":"cdw","address":"cdw","datadir":"/data/master/gpseg-1"}]"#,
        )
        .unwrap();
        assert_eq!(rows[0].content, -1);
        assert!(
            parse_json::<Vec<SegmentRow>>("segments", "ERROR: relation does not exist")
                .unwrap_err()
                .to_string()
                .starts_with("segments: unexpected psql output")
        );
    }
}

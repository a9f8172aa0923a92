//! Every catalog query whpg-plan runs, in one place. Each returns one JSON
//! value (`row_to_json` / `json_agg`, present since PostgreSQL 9.4), so
//! nothing is parsed from psql's table text. Queries are written unqualified,
//! as they run on Greenplum; the GP6 ones use only what PostgreSQL 9.4 and
//! GP6's catalog have (`relstorage`, `pg_partition`, the 12-column
//! `pg_appendonly`), the GP7 ones `relam` → `pg_am`.

use serde::Deserialize;

use crate::inventory::{Product, StorageKind};
use crate::shell::quote;

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

/// Detects the product from `version()`: `PostgreSQL 9.4.26 (Greenplum Database 6.26.1 build …)`,
/// `… (WarehousePG 6.27.0 …)`, or a plain `PostgreSQL 15.8 on …`.
pub fn parse_version(v: &str) -> Result<ServerVersion, String> {
    let v = v.trim();
    let after = |marker: &str| -> Option<String> {
        let i = v.find(marker)? + marker.len();
        let ver: String = v[i..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!ver.is_empty()).then_some(ver)
    };
    let (product, version) = if let Some(ver) = after("WarehousePG") {
        (Product::Warehousepg, ver)
    } else if let Some(ver) = after("Greenplum Database") {
        (Product::Greenplum, ver)
    } else if let Some(ver) = after("PostgreSQL") {
        (Product::Postgresql, ver)
    } else {
        return Err(format!(
            "version() does not name Greenplum, WarehousePG or PostgreSQL: '{v}'"
        ));
    };
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let dialect = match (product, major) {
        (Product::Postgresql, m) if m >= 12 => Dialect::Postgres,
        (Product::Postgresql, m) => {
            return Err(format!("PostgreSQL {m} is not supported (12 or later)"));
        }
        (_, 6) => Dialect::Gp6,
        (_, 7) => Dialect::Gp7,
        (p, m) => {
            return Err(format!(
                "{} {m} is not supported (6 or 7)",
                p.display_name()
            ));
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

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'gp_toolkit', 'pg_aoseg', \
'pg_toast', 'pg_bitmapindex') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

/// The dialect's pieces of the table queries: storage kind expression, FROM,
/// WHERE filter, AO compression ratio, and on-disk size expression.
struct TableSql {
    kind: &'static str,
    from: &'static str,
    filter: &'static str,
    ratio: &'static str,
    size: &'static str,
}

fn table_sql(d: Dialect) -> TableSql {
    match d {
        // GP6: relstorage 'h' heap, 'a' AO row, 'c' AO column ('x' external excluded);
        // empty partition parents are left out through pg_partition.
        Dialect::Gp6 => TableSql {
            kind: "CASE c.relstorage WHEN 'h' THEN 'heap' WHEN 'a' THEN 'ao_row' ELSE 'ao_column' END",
            from: "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
            filter: "c.relkind = 'r' AND c.relstorage IN ('h', 'a', 'c') AND c.oid NOT IN (SELECT parrelid FROM pg_partition)",
            ratio: "CASE WHEN c.relstorage IN ('a', 'c') THEN coalesce(nullif(get_ao_compression_ratio(c.oid), -1), 1) ELSE 1 END",
            size: "CASE WHEN c.relstorage = 'h' THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END",
        },
        // GP7: table access methods; partition parents are relkind 'p'.
        Dialect::Gp7 => TableSql {
            kind: "a.amname",
            from: "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam",
            filter: "c.relkind = 'r' AND a.amname IN ('heap', 'ao_row', 'ao_column')",
            ratio: "CASE WHEN a.amname IN ('ao_row', 'ao_column') THEN coalesce(nullif(get_ao_compression_ratio(c.oid), -1), 1) ELSE 1 END",
            size: "CASE WHEN a.amname = 'heap' THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END",
        },
        // Plain PostgreSQL 12+: heap only.
        Dialect::Postgres => TableSql {
            kind: "a.amname",
            from: "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam",
            filter: "c.relkind = 'r' AND a.amname = 'heap'",
            ratio: "1",
            size: "pg_table_size(c.oid)",
        },
    }
}

/// The per-database composition query for a dialect: per storage kind, the
/// number of tables, on-disk bytes (heap: `pg_table_size`, TOAST included;
/// AO: `pg_relation_size`, the committed EOF), index bytes, the uncompressed
/// estimate (AO: size × `get_ao_compression_ratio`, called only on AO tables;
/// −1 = unknown counts as 1), and rows (`reltuples`). External and foreign
/// tables, views and empty GP6 partition parents are left out.
pub fn composition_sql(d: Dialect) -> String {
    let TableSql {
        kind,
        from,
        filter,
        ratio,
        size,
    } = table_sql(d);
    format!(
        "SELECT coalesce(json_agg(row_to_json(k)), '[]') FROM (\
SELECT kind, count(*)::int8 AS tables, sum(bytes)::int8 AS on_disk_bytes, sum(idx)::int8 AS index_bytes, \
sum(bytes * ratio)::int8 AS uncompressed_bytes, sum(greatest(reltuples, 0))::int8 AS rows FROM (\
SELECT {kind} AS kind, {size} AS bytes, pg_indexes_size(c.oid) AS idx, {ratio} AS ratio, c.reltuples \
FROM {from} WHERE {filter} AND {USER_SCHEMAS}) r GROUP BY kind ORDER BY kind) k"
    )
}

/// The per-table statistics the CSV estimate needs (all versions; GP6 path
/// uses only PostgreSQL 9.4 features: multi-argument `unnest` in FROM, json_agg).
/// Per column: `format_type`, pg_stats' null_frac and avg_width, the mean text
/// length in bytes (`octet_length`: CSV size is bytes, not characters) of the histogram bounds, Σ length × frequency of the most common
/// values, their total frequency, and the same two figures for the characters
/// CSV adds (2 quotes around a value holding a comma, quote, CR or LF, or an
/// empty string, plus each inner quote doubled). Array columns have per-element
/// statistics instead: the mean text length of `most_common_elems` and the
/// average element count (the last entry of `elem_count_histogram`).
pub fn table_stats_sql(d: Dialect) -> String {
    let TableSql {
        kind,
        from,
        filter,
        ratio,
        size,
    } = table_sql(d);
    // CSV extra characters of one value: 2 for the enclosing quotes when it needs
    // them (comma, quote, CR, LF, or empty), plus one per inner quote (doubled).
    let extra_of = |v: &str| {
        format!(
            "(CASE WHEN {v} = '' OR strpos({v}, ',') > 0 OR strpos({v}, '\"') > 0 OR strpos({v}, chr(10)) > 0 \
OR strpos({v}, chr(13)) > 0 THEN 2 ELSE 0 END + length({v}) - length(replace({v}, '\"', '')))"
        )
    };
    let (extra, extra_m) = (extra_of("v"), extra_of("m.v"));
    format!(
        "SELECT coalesce(json_agg(row_to_json(t)), '[]') FROM (\
SELECT n.nspname AS schema, c.relname AS name, {kind} AS kind, c.reltuples::float8 AS rows, \
({size})::int8 AS on_disk_bytes, (({size}) * ({ratio}))::int8 AS uncompressed_bytes, \
(SELECT coalesce(json_agg(row_to_json(col)), '[]') FROM (\
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, s.attname IS NOT NULL AS analyzed, \
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
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname \
WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) col) AS columns \
FROM {from} WHERE {filter} AND {USER_SCHEMAS} ORDER BY 5 DESC) t"
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

/// How to reach the database on the coordinator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgConnection {
    /// `-h` (default: psql's own, the local socket).
    pub host: Option<String>,
    /// `-p`.
    pub port: Option<u16>,
    /// `-U`.
    pub user: Option<String>,
    /// `-d` for the topology queries.
    pub database: String,
}

fn psql_base(conn: &PgConnection, database: &str) -> String {
    let mut s = String::from("psql -X -A -t -q -v ON_ERROR_STOP=1");
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

/// One storage kind's sums in one database.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CompositionRow {
    /// `heap`, `ao_row` or `ao_column`.
    pub kind: String,
    /// Tables.
    pub tables: u64,
    /// On-disk bytes.
    pub on_disk_bytes: u64,
    /// Index bytes.
    pub index_bytes: u64,
    /// Uncompressed estimate.
    pub uncompressed_bytes: u64,
    /// Rows.
    pub rows: u64,
}

impl CompositionRow {
    /// The storage kind, if it is one a backup writes.
    pub fn storage_kind(&self) -> Option<StorageKind> {
        match self.kind.as_str() {
            "heap" => Some(StorageKind::Heap),
            "ao_row" => Some(StorageKind::AoRow),
            "ao_column" => Some(StorageKind::AoColumn),
            _ => None,
        }
    }
}

/// Parses psql's output of a JSON query into `T`, saying which query failed.
pub fn parse_json<T: for<'de> Deserialize<'de>>(what: &str, out: &str) -> Result<T, String> {
    serde_json::from_str(out.trim()).map_err(|e| {
        format!(
            "{what}: unexpected psql output ({e}): '{}'",
            out.trim().chars().take(200).collect::<String>()
        )
    })
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
        let wh =
            parse_version("PostgreSQL 9.4.26 (WarehousePG 6.27.1 build dev) on x86_64").unwrap();
        assert_eq!(
            (wh.product, wh.dialect),
            (Product::Warehousepg, Dialect::Gp6)
        );
        let pg = parse_version("PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu")
            .unwrap();
        assert_eq!(
            (pg.product, pg.version.as_str(), pg.dialect),
            (Product::Postgresql, "15.8", Dialect::Postgres)
        );
        assert!(parse_version("MySQL 8").is_err());
        assert!(
            parse_version("PostgreSQL 8.3.23 (Greenplum Database 5.29.1 build)")
                .unwrap_err()
                .contains("5")
        );
    }

    #[test]
    fn gp6_sql_uses_only_gp6_catalog_names() {
        let q = composition_sql(Dialect::Gp6);
        assert!(q.contains("relstorage") && q.contains("pg_partition"));
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
        let q7 = composition_sql(Dialect::Gp7);
        assert!(q7.contains("relam") && !q7.contains("relstorage"));
    }

    #[test]
    fn sample_sql_quotes_identifiers() {
        assert_eq!(
            sample_sql("public", "we\"ird", 10),
            "COPY (SELECT * FROM \"public\".\"we\"\"ird\" LIMIT 10) TO STDOUT WITH CSV DELIMITER ','"
        );
        let q = table_stats_sql(Dialect::Gp6);
        assert!(q.contains("relstorage") && !q.contains("relam"));
        assert!(!q.contains("TABLESAMPLE") && !q.contains("pg_catalog."));
    }

    #[test]
    fn batches_split_back_into_results() {
        let c = PgConnection {
            database: "postgres".into(),
            ..Default::default()
        };
        let cmd = psql_batch_command(&c, "sales", &["SELECT 1".into(), "SELECT '$(x)'".into()]);
        assert!(cmd.starts_with("psql -X -A -t -q -v ON_ERROR_STOP=1 -d sales <<'WHPG_SQL_END'\n"));
        assert!(cmd.contains("\\echo @@whpg-query 1\nSELECT '$(x)';\n"));
        assert!(cmd.ends_with("\nWHPG_SQL_END\n"));
        let parts = split_batch("@@whpg-query 0\n[1,\n 2]\n@@whpg-query 1\n\"x\"\n");
        assert_eq!(parts, vec!["[1,\n 2]\n".to_string(), "\"x\"\n".to_string()]);
    }

    #[test]
    fn psql_command_quotes_everything() {
        let c = PgConnection {
            host: None,
            port: Some(5432),
            user: Some("gpadmin".into()),
            database: "postgres".into(),
        };
        let cmd = psql_command(&c, "sales; rm -rf /", "SELECT 'x'");
        assert_eq!(
            cmd,
            "psql -X -A -t -q -v ON_ERROR_STOP=1 -p 5432 -U gpadmin -d 'sales; rm -rf /' -c 'SELECT '\\''x'\\'''"
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
                .contains("segments")
        );
    }
}

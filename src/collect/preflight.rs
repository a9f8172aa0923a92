//! The pre-flight: read-only catalog queries that find what a 6 catalog holds
//! that gprestore on 7 refuses or restores differently (greenplum.md,
//! "Restoring a 6 backup on 7: what fails"). A delete-first plan would learn
//! these only after 6 is gone.
//!
//! Every query returns one JSON value, so it rides in the psql run each
//! database already gets ([`super::catalog::run_sql_pass`]): a constant number
//! of statements per database however many objects it holds, and no round
//! trip per object. The cluster-wide items (roles, role settings, resource
//! groups) run once, in the topology run. A query that errors (a catalog this
//! version does not have, a permission) makes its item "not checked" with the
//! error, never "none found".
//!
//! The GP6 queries use only what PostgreSQL 9.4 and GP6's catalog have
//! (`pg_partition`, `pg_partition_rule`, `gp_distribution_policy.distclass`,
//! `pg_appendonly.compresstype`, `pg_attribute_encoding`, `relhasoids`,
//! `pg_resgroupcapability`); on a 7 or a plain PostgreSQL only the items that
//! can exist there are checked, the others are "not checked: applies to a 6
//! catalog only".

use std::collections::BTreeMap;

use serde::Deserialize;

use super::catalog::{Dialect, USER_SCHEMAS};
use crate::inventory::{
    CheckStatus, Compatibility, CompatibilityItem, Finding, NotChecked, ResourceGroup, Severity,
};

/// How many objects one query lists per database (its `total` counts them all).
pub const LISTED_PER_QUERY: u32 = 200;

/// The server configuration parameters 7 removed, as `ALTER DATABASE/ROLE … SET`
/// would carry them into a backup's metadata. Sources: the Greenplum 7 docs
/// "Server Configuration Parameter Changes from Greenplum 6 to 7"
/// (`guc-changes-6to7.md`, "Removed Parameters": the first 20; "Changed":
/// `wal_keep_segments` replaced by `wal_keep_size`), and greenplum.md item 2
/// (`memory_spill_ratio`, `gp_safefswritesize`). WarehousePG's version of that
/// page lists 47; the other 24 names could not be sourced here and are not
/// guessed.
pub const REMOVED_GUCS: [&str; 23] = [
    "checkpoint_segments",
    "gp_hashagg_default_nbatches",
    "gp_hashagg_groups_per_bucket",
    "gp_resource_group_enable_recalculate_query_mem",
    "gp_resource_group_memory_limit",
    "gp_resource_group_cpu_ceiling_enforcement",
    "debug_latch",
    "gp_eager_dqa_pruning",
    "gp_eager_one_phase_agg",
    "gp_enable_exchange_default_partition",
    "gp_enable_gpperfmon",
    "gp_enable_sort_distinct",
    "gp_gpperfmon_send_interval",
    "gp_hashagg_streambottom",
    "gp_perfmon_print_packet_info",
    "gpperfmon_log_alert_level",
    "gpperfmon_port",
    "max_appendonly_tables",
    "optimizer_enable_dml_triggers",
    "password_hash_algorithm",
    "wal_keep_segments",
    "memory_spill_ratio",
    "gp_safefswritesize",
];

/// Types 7 removed (abstime, reltime, tinterval, smgr) or turned into a
/// pseudo-type (`unknown`), with their array types.
const REMOVED_TYPES: &str =
    "'abstime', 'reltime', 'tinterval', 'smgr', 'unknown', '_abstime', '_reltime', '_tinterval'";

/// Hash operator classes 6 distributes by that 7 does not have (G6
/// pg_opclass.h vs G7 pg_opclass.dat): by name, and every one over a removed type.
const OPCLASSES_7_LACKS: &str =
    "'cdbhash_varchar_ops', 'cdbhash_abstime_ops', 'cdbhash_reltime_ops', 'cdbhash_tinterval_ops'";

/// Words whose presence in a view's definition means it reads a catalog
/// column or function 7 removed (a text search: a heuristic).
pub const REMOVED_CATALOG_WORDS: [&str; 8] = [
    "relstorage",
    "relhasoids",
    "proisagg",
    "adsrc",
    "consrc",
    "pg_partition",
    "xlog",
    "gp_resgroup_",
];

/// Range partition key types whose START EXCLUSIVE / END INCLUSIVE 7 can
/// still turn into its own bounds (WD about-part-changes.md).
const INCLUSIVE_BOUND_TYPES: &str =
    "'int2', 'int4', 'int8', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval'";

/// Where a check's query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Once, in the topology run (shared catalogs: roles, settings, resource groups).
    Cluster,
    /// In every database's run.
    Database,
    /// Nowhere: a person reviews it.
    Manual,
}

/// One item of the pre-flight and how it is checked.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Stable id.
    pub id: &'static str,
    /// The row of greenplum.md's table.
    pub number: u8,
    /// What it does to the restore.
    pub severity: Severity,
    /// What is looked for.
    pub title: &'static str,
    /// The fact, with its source.
    pub source: &'static str,
    /// Where its query runs.
    pub scope: Scope,
}

/// Every item, in the table's order.
pub const CHECKS: [Check; 23] = [
    Check {
        id: "resource-groups",
        number: 1,
        severity: Severity::Fails,
        title: "resource groups (every full backup's globals alter them with 6-only attributes)",
        source: "7 knows only concurrency, cpu_max_percent, cpu_weight, cpuset, memory_quota, min_cost, io_limit: --with-globals aborts before any role exists (GB metadata_globals.go:116-120, 217-274; W7 resgroupcmds.c)",
        scope: Scope::Cluster,
    },
    Check {
        id: "removed-settings",
        number: 2,
        severity: Severity::Fails,
        title: "database and role settings of parameters 7 removed, gp_default_storage_options with appendonly, gp_use_legacy_hashops",
        source: "\"unrecognized configuration parameter\": the ALTER DATABASE/ROLE … SET fails (WD guc-changes-6to7.md:136-182; GB metadata_globals.go:380-394)",
        scope: Scope::Cluster,
    },
    Check {
        id: "pg-role-names",
        number: 3,
        severity: Severity::Fails,
        title: "roles named pg_*",
        source: "CREATE ROLE fails: the prefix is reserved (G7 check.c check_for_pg_role_prefix; GB queries_globals.go:368-372)",
        scope: Scope::Cluster,
    },
    Check {
        id: "sha256-passwords",
        number: 4,
        severity: Severity::Silent,
        title: "SHA-256 password hashes",
        source: "restored as a plaintext password: those logins break silently (WD CREATE_ROLE.md:130)",
        scope: Scope::Cluster,
    },
    Check {
        id: "removed-types",
        number: 5,
        severity: Severity::Fails,
        title: "columns, types and functions using abstime, reltime, tinterval, smgr or unknown",
        source: "CREATE fails: the types are removed (WD removed-features-objects.md:345-353; G7 check.c)",
        scope: Scope::Database,
    },
    Check {
        id: "views-on-removed-catalog",
        number: 6,
        severity: Severity::Fails,
        title: "views whose definition names a removed catalog column or function (a text search: a heuristic)",
        source: "CREATE VIEW fails, and whatever depends on the view (WD removed-features-objects.md; G7 check_gp.c)",
        scope: Scope::Database,
    },
    Check {
        id: "plpython2",
        number: 7,
        severity: Severity::Fails,
        title: "functions in plpythonu / plpython2u",
        source: "CREATE FUNCTION fails: Python 2 is removed (WD removed-features-objects.md:30)",
        scope: Scope::Database,
    },
    Check {
        id: "extensions",
        number: 7,
        severity: Severity::Manual,
        title: "extensions, with their versions",
        source: "CREATE EXTENSION fails unless the extension is installed on 7 first (GB predata_functions.go:290-350)",
        scope: Scope::Database,
    },
    Check {
        id: "c-functions",
        number: 7,
        severity: Severity::Manual,
        title: "C-language functions outside extensions, with their shared libraries",
        source: "CREATE FUNCTION … LANGUAGE c loads the library even with check_function_bodies off: it must be built for 7 and installed on every host first (GB predata_functions.go:290-350)",
        scope: Scope::Database,
    },
    Check {
        id: "arrow-operator",
        number: 8,
        severity: Severity::Fails,
        title: "user operators named =>",
        source: "CREATE OPERATOR => fails (G7 check_for_disallowed_pg_operator)",
        scope: Scope::Database,
    },
    Check {
        id: "multi-column-list-partitions",
        number: 9,
        severity: Severity::Fails,
        title: "LIST partitioning on more than one column",
        source: "CREATE TABLE fails (G7 check_multi_column_list_partition_keys; WD about-part-changes.md:71-82)",
        scope: Scope::Database,
    },
    Check {
        id: "exclusive-inclusive-bounds",
        number: 9,
        severity: Severity::Fails,
        title: "START EXCLUSIVE / END INCLUSIVE range partitions on key types other than int2/4/8, date, time(tz), timestamp(tz), interval",
        source: "CREATE TABLE fails (G7 parse_partition_gp.c; WD about-part-changes.md:71-82)",
        scope: Scope::Database,
    },
    Check {
        id: "unnamed-external-partitions",
        number: 9,
        severity: Severity::Fails,
        title: "external leaf partitions without a name (FOR (RANK(n)))",
        source: "the ALTER TABLE … EXCHANGE PARTITION gpbackup writes fails (WD about-part-changes.md:71-82)",
        scope: Scope::Database,
    },
    Check {
        id: "hash-opclasses",
        number: 10,
        severity: Severity::Fails,
        title: "tables distributed by hash operator classes 7 lacks",
        source: "CREATE TABLE fails (G6 pg_opclass.h vs G7 pg_opclass.dat)",
        scope: Scope::Database,
    },
    Check {
        id: "legacy-hashops",
        number: 11,
        severity: Severity::Fails,
        title: "gp_use_legacy_hashops on, and tables distributed by legacy (cdbhash_*) operator classes",
        source: "gpbackup's session writes the distribution clause without the opclass: load errors, or rows re-hashed on a resize (GB queries_table_defs.go:443-461; GB restore/wrappers.go:116-119)",
        scope: Scope::Database,
    },
    Check {
        id: "partial-numsegments",
        number: 12,
        severity: Severity::Fails,
        title: "tables on fewer segments than the cluster has (an unfinished gpexpand)",
        source: "the load fails (G7 check_online_expansion)",
        scope: Scope::Database,
    },
    Check {
        id: "new-keywords",
        number: 13,
        severity: Severity::Fails,
        title: "tables or columns named tablesample / ao_aux_only, types or functions named xmltable / xmlnamespaces",
        source: "CREATE fails: the names are keywords on 7 (G6 vs G7 kwlist)",
        scope: Scope::Database,
    },
    Check {
        id: "quicklz",
        number: 15,
        severity: Severity::Silent,
        title: "QuickLZ compression",
        source: "restored as zstd (GB wrappers.go:129-132)",
        scope: Scope::Database,
    },
    Check {
        id: "with-oids",
        number: 16,
        severity: Severity::Silent,
        title: "tables WITH OIDS",
        source: "the oid column is dropped (GB predata_relations.go:446)",
        scope: Scope::Database,
    },
    Check {
        id: "materialized-views",
        number: 17,
        severity: Severity::Silent,
        title: "materialized views",
        source: "restored WITH NO DATA (GB predata_relations.go)",
        scope: Scope::Database,
    },
    Check {
        id: "leaf-only-indexes",
        number: 18,
        severity: Severity::Silent,
        title: "indexes only on leaf partitions",
        source: "not carried to 7 (GB queries_postdata.go:140)",
        scope: Scope::Database,
    },
    Check {
        id: "extension-config-tables",
        number: 19,
        severity: Severity::Silent,
        title: "extension configuration tables",
        source: "their data is not carried (upstream gpbackup 1.30, GB queries_shared.go:326-333)",
        scope: Scope::Database,
    },
    Check {
        id: "outside-the-backup",
        number: 20,
        severity: Severity::Manual,
        title: "what no backup holds: postgresql.conf, pg_hba.conf, gp_toolkit and other excluded schemas, globals without --with-globals",
        source: "not carried (WD backup_restore/index.md)",
        scope: Scope::Manual,
    },
];

/// The check with id `id`.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// Wraps a query whose rows are `(schema, name, detail)` (and, for cluster
/// items, `database`) into one JSON value: `{"total": n, "objects": [...]}`,
/// the objects ordered and bounded, the total exact.
fn listed(select: &str) -> String {
    format!(
        "SELECT json_build_object('total', (SELECT count(*) FROM ({select}) a), \
'objects', (SELECT coalesce(json_agg(row_to_json(b)), '[]') FROM \
(SELECT * FROM ({select}) c ORDER BY 1, 2, 3 LIMIT {LISTED_PER_QUERY}) b))"
    )
}

/// `name(argument types)` of a function in `p`.
const FUNCTION_NAME: &str = "p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'";

/// The per-database query of item `id` in dialect `d`; `None` when the item
/// does not apply to that catalog (or is not a per-database item).
pub fn database_sql(id: &str, d: Dialect) -> Option<String> {
    let gp6 = d == Dialect::Gp6;
    let user = USER_SCHEMAS;
    let select = match id {
        "removed-types" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname || '.' || a.attname AS name, \
'column of type ' || t.typname AS detail \
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
JOIN pg_type t ON t.oid = a.atttypid \
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'c', 'f') \
AND t.typname IN ({REMOVED_TYPES}) AND {user} \
UNION ALL \
SELECT n.nspname, {FUNCTION_NAME}, 'function argument or result of type ' || t.typname \
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
JOIN pg_type t ON t.oid = p.prorettype OR t.oid = ANY (p.proargtypes::oid[]) \
WHERE t.typname IN ({REMOVED_TYPES}) AND {user} \
UNION ALL \
SELECT n.nspname, u.typname, 'type based on ' || t.typname \
FROM pg_type u JOIN pg_namespace n ON n.oid = u.typnamespace JOIN pg_type t ON t.oid = u.typbasetype \
WHERE t.typname IN ({REMOVED_TYPES}) AND {user}"
        ),
        "views-on-removed-catalog" if gp6 => {
            let words = REMOVED_CATALOG_WORDS
                .iter()
                .map(|w| format!("('{w}')"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT n.nspname AS schema, c.relname AS name, \
'definition names ' || string_agg(w.word, ', ' ORDER BY w.word) AS detail \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, (VALUES {words}) w(word) \
WHERE c.relkind IN ('v', 'm') AND {user} AND strpos(lower(pg_get_viewdef(c.oid)), w.word) > 0 \
GROUP BY n.nspname, c.relname"
            )
        }
        "plpython2" => format!(
            "SELECT n.nspname AS schema, {FUNCTION_NAME} AS name, 'language ' || l.lanname AS detail \
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
WHERE l.lanname IN ('plpythonu', 'plpython2u') AND {user}"
        ),
        "extensions" => {
            "SELECT n.nspname AS schema, e.extname AS name, 'version ' || e.extversion AS detail \
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'"
                .to_string()
        }
        "c-functions" => format!(
            "SELECT n.nspname AS schema, {FUNCTION_NAME} AS name, \
'library ' || coalesce(p.probin, '?') || ', symbol ' || p.prosrc AS detail \
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
WHERE l.lanname = 'c' AND {user} AND NOT EXISTS (SELECT 1 FROM pg_depend x \
WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid AND x.deptype = 'e')"
        ),
        "arrow-operator" => format!(
            "SELECT n.nspname AS schema, o.oprname || ' (' || format_type(o.oprleft, NULL) || ', ' \
|| format_type(o.oprright, NULL) || ')' AS name, 'operator => is reserved on 7' AS detail \
FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE o.oprname = '=>' AND {user}"
        ),
        "multi-column-list-partitions" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, \
'LIST partitioning on ' || p.parnatts || ' columns at level ' || p.parlevel AS detail \
FROM pg_partition p JOIN pg_class c ON c.oid = p.parrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE p.parkind = 'l' AND p.parnatts > 1 AND NOT p.paristemplate AND {user}"
        ),
        "exclusive-inclusive-bounds" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname || ' partition ' || coalesce(nullif(r.parname, ''), \
'rank ' || r.parruleord) AS name, \
concat_ws(' and ', CASE WHEN r.parrangestart IS NOT NULL AND NOT r.parrangestartincl THEN 'START EXCLUSIVE' END, \
CASE WHEN r.parrangeend IS NOT NULL AND r.parrangeendincl THEN 'END INCLUSIVE' END) \
|| ' on a ' || format_type(a.atttypid, a.atttypmod) || ' key' AS detail \
FROM pg_partition_rule r JOIN pg_partition p ON p.oid = r.paroid \
JOIN pg_class c ON c.oid = p.parrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
JOIN pg_attribute a ON a.attrelid = p.parrelid AND a.attnum = p.paratts[0] \
JOIN pg_type t ON t.oid = a.atttypid \
WHERE p.parkind = 'r' AND NOT p.paristemplate \
AND ((r.parrangestart IS NOT NULL AND NOT r.parrangestartincl) OR (r.parrangeend IS NOT NULL AND r.parrangeendincl)) \
AND t.typname NOT IN ({INCLUSIVE_BOUND_TYPES}) AND {user}"
        ),
        "unnamed-external-partitions" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, \
'external leaf partition without a name: rank ' || r.parruleord || ' of ' || root.relname AS detail \
FROM pg_partition_rule r JOIN pg_class c ON c.oid = r.parchildrelid \
JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_partition p ON p.oid = r.paroid \
JOIN pg_class root ON root.oid = p.parrelid \
WHERE c.relstorage = 'x' AND coalesce(r.parname, '') = '' AND {user}"
        ),
        "hash-opclasses" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, \
'distributed by operator class ' || oc.opcname || ' (' || format_type(oc.opcintype, NULL) || ')' AS detail \
FROM gp_distribution_policy d JOIN pg_class c ON c.oid = d.localoid \
JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(d.distclass::oid[]) k(opc) \
JOIN pg_opclass oc ON oc.oid = k.opc JOIN pg_type t ON t.oid = oc.opcintype \
WHERE (oc.opcname IN ({OPCLASSES_7_LACKS}) OR t.typname IN ('abstime', 'reltime', 'tinterval')) AND {user}"
        ),
        "legacy-hashops" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, \
'distributed by legacy operator class ' || oc.opcname AS detail \
FROM gp_distribution_policy d JOIN pg_class c ON c.oid = d.localoid \
JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(d.distclass::oid[]) k(opc) \
JOIN pg_opclass oc ON oc.oid = k.opc \
WHERE oc.opcname LIKE 'cdbhash\\_%\\_ops' AND oc.opcname NOT IN ({OPCLASSES_7_LACKS}) AND {user}"
        ),
        "partial-numsegments" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, \
'on ' || d.numsegments || ' of ' || s.primaries || ' segments' AS detail \
FROM gp_distribution_policy d JOIN pg_class c ON c.oid = d.localoid \
JOIN pg_namespace n ON n.oid = c.relnamespace, \
(SELECT count(*) AS primaries FROM gp_segment_configuration WHERE role = 'p' AND content >= 0) s \
WHERE d.numsegments < s.primaries AND {user}"
        ),
        "new-keywords" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, 'table name is a keyword on 7' AS detail \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE c.relkind IN ('r', 'v', 'm', 'f') AND lower(c.relname) IN ('tablesample', 'ao_aux_only') AND {user} \
UNION ALL \
SELECT n.nspname, c.relname || '.' || a.attname, 'column name is a keyword on 7' \
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'f') \
AND lower(a.attname) IN ('tablesample', 'ao_aux_only') AND {user} \
UNION ALL \
SELECT n.nspname, t.typname, 'type name is a keyword on 7' \
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
WHERE lower(t.typname) IN ('xmltable', 'xmlnamespaces') AND {user} \
UNION ALL \
SELECT n.nspname, {FUNCTION_NAME}, 'function name is a keyword on 7' \
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
WHERE lower(p.proname) IN ('xmltable', 'xmlnamespaces') AND {user}"
        ),
        "quicklz" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, 'table compresstype quicklz' AS detail \
FROM pg_appendonly ao JOIN pg_class c ON c.oid = ao.relid JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE lower(ao.compresstype) = 'quicklz' AND {user} \
UNION ALL \
SELECT n.nspname, c.relname || '.' || a.attname, 'column compresstype quicklz' \
FROM pg_attribute_encoding e JOIN pg_class c ON c.oid = e.attrelid \
JOIN pg_namespace n ON n.oid = c.relnamespace \
JOIN pg_attribute a ON a.attrelid = e.attrelid AND a.attnum = e.attnum \
WHERE lower(array_to_string(e.attoptions, ',')) LIKE '%compresstype=quicklz%' AND {user}"
        ),
        "with-oids" if gp6 => format!(
            "SELECT n.nspname AS schema, c.relname AS name, 'WITH OIDS' AS detail \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE c.relkind = 'r' AND c.relhasoids AND {user}"
        ),
        "materialized-views" => format!(
            "SELECT n.nspname AS schema, c.relname AS name, 'materialized view' AS detail \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND {user}"
        ),
        "leaf-only-indexes" if gp6 => format!(
            "SELECT n.nspname AS schema, ic.relname AS name, \
'index on leaf partition ' || c.relname || ' of ' || root.relname || ', which has no index' AS detail \
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_partition_rule r ON r.parchildrelid = c.oid \
JOIN pg_partition p ON p.oid = r.paroid JOIN pg_class root ON root.oid = p.parrelid \
WHERE NOT EXISTS (SELECT 1 FROM pg_index ri WHERE ri.indrelid = p.parrelid) AND {user}"
        ),
        "extension-config-tables" => "SELECT n.nspname AS schema, c.relname AS name, \
'configuration table of extension ' || e.extname AS detail \
FROM pg_extension e, unnest(e.extconfig) x(relid) JOIN pg_class c ON c.oid = x.relid \
JOIN pg_namespace n ON n.oid = c.relnamespace"
            .to_string(),
        _ => return None,
    };
    Some(listed(&select))
}

/// The once-per-cluster query of item `id` in dialect `d`, run in the
/// topology database (the catalogs are shared); `None` when it does not apply.
/// `resource-groups` returns the groups with their settings instead of objects.
pub fn cluster_sql(id: &str, d: Dialect) -> Option<String> {
    let gp6 = d == Dialect::Gp6;
    let select = match id {
        // GP6 reslimittype: 1 concurrency, 2 cpu_rate_limit, 3 memory_limit,
        // 4 memory_shared_quota, 5 memory_spill_ratio, 6 memory_auditor, 7 cpuset.
        "resource-groups" if gp6 => {
            let cap = |n: u8, name: &str| {
                format!("max(CASE WHEN c.reslimittype = {n} THEN c.value END) AS {name}")
            };
            return Some(format!(
                "SELECT coalesce(json_agg(row_to_json(g) ORDER BY g.name), '[]') FROM (\
SELECT r.rsgname AS name, {}, {}, {}, {}, {}, {}, {} \
FROM pg_resgroup r LEFT JOIN pg_resgroupcapability c ON c.resgroupid = r.oid GROUP BY r.rsgname) g",
                cap(1, "concurrency"),
                cap(2, "cpu_rate_limit"),
                cap(3, "memory_limit"),
                cap(4, "memory_shared_quota"),
                cap(5, "memory_spill_ratio"),
                cap(6, "memory_auditor"),
                cap(7, "cpuset"),
            ));
        }
        "removed-settings" if gp6 => {
            let names = REMOVED_GUCS
                .iter()
                .chain(&["gp_use_legacy_hashops"])
                .map(|g| format!("'{g}'"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT d.datname AS database, NULL::text AS schema, \
CASE WHEN s.setrole = 0 THEN 'ALTER DATABASE ' || d.datname \
WHEN s.setdatabase = 0 THEN 'ALTER ROLE ' || r.rolname \
ELSE 'ALTER ROLE ' || r.rolname || ' IN DATABASE ' || d.datname END AS name, \
'SET ' || x.setting AS detail \
FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase \
LEFT JOIN pg_authid r ON r.oid = s.setrole, unnest(s.setconfig) x(setting) \
WHERE lower(split_part(x.setting, '=', 1)) IN ({names}) \
OR (lower(split_part(x.setting, '=', 1)) = 'gp_default_storage_options' AND lower(x.setting) LIKE '%appendonly%')"
            )
        }
        "pg-role-names" => {
            "SELECT NULL::text AS database, NULL::text AS schema, rolname::text AS name, \
'role name starts with pg_' AS detail FROM pg_authid WHERE rolname LIKE 'pg\\_%' AND oid >= 16384"
                .to_string()
        }
        "sha256-passwords" if gp6 => {
            "SELECT NULL::text AS database, NULL::text AS schema, rolname::text AS name, \
'password stored as a SHA-256 hash' AS detail FROM pg_authid WHERE rolpassword LIKE 'sha256%'"
                .to_string()
        }
        "legacy-hashops" if gp6 => {
            "SELECT NULL::text AS database, NULL::text AS schema, name::text AS name, \
'set to ' || setting || ' (' || source || ')' AS detail FROM pg_settings \
WHERE name = 'gp_use_legacy_hashops' AND setting = 'on'"
                .to_string()
        }
        _ => return None,
    };
    Some(listed(&select))
}

/// The per-database queries of dialect `d`, as (item id, SQL), in table order.
pub fn database_queries(d: Dialect) -> Vec<(&'static str, String)> {
    CHECKS
        .iter()
        .filter(|c| c.scope == Scope::Database)
        .filter_map(|c| database_sql(c.id, d).map(|q| (c.id, q)))
        .collect()
}

/// The once-per-cluster queries of dialect `d`, as (item id, SQL).
pub fn cluster_queries(d: Dialect) -> Vec<(&'static str, String)> {
    CHECKS
        .iter()
        .filter_map(|c| cluster_sql(c.id, d).map(|q| (c.id, q)))
        .collect()
}

/// One query's answer.
#[derive(Debug, Deserialize)]
struct Answer {
    total: u64,
    objects: Vec<Object>,
}

/// One object as a query lists it.
#[derive(Debug, Deserialize)]
struct Object {
    #[serde(default)]
    database: Option<String>,
    schema: Option<String>,
    name: Option<String>,
    detail: Option<String>,
}

/// What an item has gathered so far.
#[derive(Debug, Default, Clone)]
struct Gathered {
    ran: bool,
    count: u64,
    findings: Vec<Finding>,
    not_checked: Vec<NotChecked>,
}

/// Collects the answers of every query, database by database, into the
/// inventory's [`Compatibility`].
#[derive(Debug, Default, Clone)]
pub struct Accumulator {
    items: BTreeMap<&'static str, Gathered>,
    resource_groups: Vec<ResourceGroup>,
}

impl Accumulator {
    /// Records one query's raw result (or why it failed) for item `id`, run
    /// in `database` (none: the cluster-wide run).
    pub fn record(
        &mut self,
        id: &'static str,
        database: Option<&str>,
        result: Result<&str, String>,
    ) {
        let g = self.items.entry(id).or_default();
        let fail = |g: &mut Gathered, reason: String| {
            g.not_checked.push(NotChecked {
                database: database.map(str::to_string),
                reason,
            })
        };
        let text = match result {
            Ok(t) => t.trim(),
            Err(reason) => return fail(g, reason),
        };
        if id == "resource-groups" {
            match serde_json::from_str::<Vec<ResourceGroup>>(text) {
                Ok(groups) => {
                    g.ran = true;
                    g.count += groups.len() as u64;
                    for r in &groups {
                        g.findings.push(Finding {
                            database: None,
                            schema: None,
                            name: r.name.clone(),
                            detail: r.settings_line(),
                        });
                    }
                    self.resource_groups.extend(groups);
                }
                Err(e) => fail(g, format!("unexpected answer ({e})")),
            }
            return;
        }
        match serde_json::from_str::<Answer>(text) {
            Ok(a) => {
                g.ran = true;
                g.count += a.total;
                g.findings.extend(a.objects.into_iter().map(|o| Finding {
                    database: o.database.or_else(|| database.map(str::to_string)),
                    schema: o.schema,
                    name: o.name.unwrap_or_default(),
                    detail: o.detail.unwrap_or_default(),
                }));
            }
            Err(e) => fail(g, format!("unexpected answer ({e})")),
        }
    }

    /// Adds what `other` gathered (the per-database answers to the cluster-wide ones).
    pub fn merge(&mut self, other: Accumulator) {
        for (id, g) in other.items {
            let mine = self.items.entry(id).or_default();
            mine.ran |= g.ran;
            mine.count += g.count;
            mine.findings.extend(g.findings);
            mine.not_checked.extend(g.not_checked);
        }
        self.resource_groups.extend(other.resource_groups);
    }

    /// Records that a database's run failed before its queries answered:
    /// every per-database item of the dialect is not checked there.
    pub fn database_failed(&mut self, d: Dialect, database: &str, reason: &str) {
        for (id, _) in database_queries(d) {
            self.record(id, Some(database), Err(reason.to_string()));
        }
    }

    /// Records that the cluster-wide run failed.
    pub fn cluster_failed(&mut self, d: Dialect, reason: &str) {
        for (id, _) in cluster_queries(d) {
            self.record(id, None, Err(reason.to_string()));
        }
    }

    /// The inventory's section: every item, checked or not (and why).
    pub fn finish(self, d: Dialect) -> Compatibility {
        let mut items = Vec::new();
        let mut gathered = self.items;
        for c in CHECKS.iter() {
            let g = gathered.remove(c.id).unwrap_or_default();
            let applies = match c.scope {
                Scope::Manual => true,
                Scope::Cluster => cluster_sql(c.id, d).is_some(),
                Scope::Database => {
                    database_sql(c.id, d).is_some() || cluster_sql(c.id, d).is_some()
                }
            };
            let mut not_checked = g.not_checked;
            if !applies {
                not_checked.push(NotChecked {
                    database: None,
                    reason: "applies to a Greenplum/WarehousePG 6 catalog only".into(),
                });
            }
            let status = if c.scope == Scope::Manual {
                CheckStatus::Manual
            } else if !applies {
                CheckStatus::NotApplicable
            } else if not_checked.is_empty() && g.ran {
                CheckStatus::Checked
            } else {
                if not_checked.is_empty() {
                    // Applies, but no database was read at all.
                    not_checked.push(NotChecked {
                        database: None,
                        reason: "no database was read".into(),
                    });
                }
                CheckStatus::NotChecked
            };
            items.push(CompatibilityItem {
                id: c.id.into(),
                number: c.number,
                severity: c.severity,
                title: c.title.into(),
                source: c.source.into(),
                status,
                not_checked,
                count: g.count,
                findings: g.findings,
            });
        }
        Compatibility {
            items,
            resource_groups: self.resource_groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No syntax or catalog name a GP6 (PostgreSQL 9.4) server lacks.
    #[test]
    fn gp6_queries_are_postgresql_9_4_sql() {
        let all: Vec<String> = database_queries(Dialect::Gp6)
            .into_iter()
            .chain(cluster_queries(Dialect::Gp6))
            .map(|(_, q)| q)
            .collect();
        // Every per-database item but the manual one, and the five cluster queries.
        assert_eq!(database_queries(Dialect::Gp6).len(), 18);
        assert_eq!(cluster_queries(Dialect::Gp6).len(), 5);
        for q in &all {
            for newer in [
                "TABLESAMPLE",
                "ON CONFLICT",
                "FILTER (",
                "jsonb",
                "pg_catalog.",
                "regnamespace",
                "prokind",
                "relam",
                "pg_am",
                "json_agg(DISTINCT",
            ] {
                assert!(!q.contains(newer), "{newer} in {q}");
            }
        }
        let joined = all.join("\n");
        for gp6_name in [
            "pg_partition_rule",
            "parrangestartincl",
            "gp_distribution_policy",
            "distclass",
            "numsegments",
            "pg_attribute_encoding",
            "relhasoids",
            "relstorage = 'x'",
            "pg_resgroupcapability",
            "pg_db_role_setting",
        ] {
            assert!(joined.contains(gp6_name), "{gp6_name}");
        }
    }

    /// On 7 and plain PostgreSQL only the items that can exist there are
    /// queried, with no GP6-only catalog name.
    #[test]
    fn gp7_and_postgres_query_only_what_exists_there() {
        for d in [Dialect::Gp7, Dialect::Postgres] {
            let ids: Vec<&str> = database_queries(d).into_iter().map(|(i, _)| i).collect();
            assert_eq!(
                ids,
                [
                    "plpython2",
                    "extensions",
                    "c-functions",
                    "arrow-operator",
                    "materialized-views",
                    "extension-config-tables"
                ]
            );
            let cluster: Vec<&str> = cluster_queries(d).into_iter().map(|(i, _)| i).collect();
            assert_eq!(cluster, ["pg-role-names"]);
            for (_, q) in database_queries(d).into_iter().chain(cluster_queries(d)) {
                for gp6_only in ["relstorage", "pg_partition", "relhasoids", "pg_resgroup"] {
                    assert!(!q.contains(gp6_only), "{gp6_only} in {q}");
                }
            }
        }
    }

    #[test]
    fn answers_become_findings_and_failures_not_checked() {
        let mut acc = Accumulator::default();
        acc.record(
            "materialized-views",
            Some("sales"),
            Ok(r#"{"total": 3, "objects": [{"schema": "public", "name": "mv", "detail": "materialized view"}]}"#),
        );
        acc.record(
            "materialized-views",
            Some("hr"),
            Ok(r#"{"total": 0, "objects": []}"#),
        );
        acc.record(
            "plpython2",
            Some("sales"),
            Err("ERROR:  permission denied for relation pg_proc".into()),
        );
        acc.record(
            "resource-groups",
            None,
            Ok(r#"[{"name": "admin_group", "concurrency": "10", "cpu_rate_limit": "10", "memory_limit": "10", "memory_shared_quota": "80", "memory_spill_ratio": "0", "memory_auditor": "0", "cpuset": "-1"}]"#),
        );
        let c = acc.finish(Dialect::Gp6);
        let item = |id: &str| c.items.iter().find(|i| i.id == id).unwrap();
        let mv = item("materialized-views");
        assert_eq!(mv.status, CheckStatus::Checked);
        // 3 in all, only the first listed (the query bounds the list).
        assert_eq!(mv.count, 3);
        assert_eq!(mv.findings[0].database.as_deref(), Some("sales"));
        let py = item("plpython2");
        assert_eq!(py.status, CheckStatus::NotChecked);
        assert_eq!(py.not_checked[0].database.as_deref(), Some("sales"));
        // Never answered at all: not checked, never "none found".
        assert_eq!(item("quicklz").status, CheckStatus::NotChecked);
        assert_eq!(item("outside-the-backup").status, CheckStatus::Manual);
        assert_eq!(
            c.resource_groups[0].memory_shared_quota.as_deref(),
            Some("80")
        );
        assert_eq!(
            item("resource-groups").findings[0].detail,
            "concurrency 10, cpu_rate_limit 10, memory_limit 10, memory_shared_quota 80, memory_spill_ratio 0, memory_auditor 0, cpuset -1"
        );
        assert_eq!(c.items.len(), CHECKS.len());
    }

    #[test]
    fn items_that_do_not_apply_say_so() {
        let mut acc = Accumulator::default();
        acc.record(
            "materialized-views",
            Some("db"),
            Ok(r#"{"total":0,"objects":[]}"#),
        );
        let c = acc.finish(Dialect::Postgres);
        let q = c.items.iter().find(|i| i.id == "quicklz").unwrap();
        assert_eq!(q.status, CheckStatus::NotApplicable);
        assert_eq!(
            q.not_checked[0].reason,
            "applies to a Greenplum/WarehousePG 6 catalog only"
        );
    }

    #[test]
    fn removed_settings_list_every_sourced_name_once() {
        let mut names = REMOVED_GUCS.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), REMOVED_GUCS.len());
        let q = cluster_sql("removed-settings", Dialect::Gp6).unwrap();
        for g in REMOVED_GUCS.iter().chain(&["gp_use_legacy_hashops"]) {
            assert!(q.contains(&format!("'{g}'")), "{g}");
        }
        assert!(q.contains("'gp_default_storage_options'") && q.contains("appendonly"));
    }
}

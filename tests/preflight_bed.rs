//! The pre-flight on the test bed: the GP6 stand-in catalog with one object of
//! every kind the pre-flight looks for (tests/bed/preflight.rs), collected
//! for real over SSH and psql; a clean catalog says "none found" per item; a
//! catalog without the GP6 tables says "not checked"; the statements each
//! database costs do not grow with its objects; and a plain PostgreSQL 15
//! finds what can exist there. Needs root, openssh-server and PostgreSQL 15.

mod bed;

use bed::{Bed, collect, standard_spec, text};
use whpg_plan::inventory::{CheckStatus, Compatibility, CompatibilityItem, Inventory};

const MIB: u64 = 1 << 20;

fn item<'a>(c: &'a Compatibility, id: &str) -> &'a CompatibilityItem {
    c.items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// `database:schema.name = detail` of every finding, sorted.
fn found(c: &Compatibility, id: &str) -> Vec<String> {
    let mut v: Vec<String> = item(c, id)
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}{} = {}",
                f.database.as_deref().unwrap_or("-"),
                f.schema
                    .as_deref()
                    .map(|s| format!("{s}."))
                    .unwrap_or_default(),
                f.name,
                f.detail
            )
        })
        .collect();
    v.sort();
    v
}

fn collected(bed: &Bed) -> Inventory {
    let (o, inv, _dir) = collect(bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    inv.expect("inventory written")
}

/// Every item, checked (item 20 is always manual).
fn all_checked(c: &Compatibility) {
    for i in &c.items {
        let want = if i.id == "outside-the-backup" {
            CheckStatus::Manual
        } else {
            CheckStatus::Checked
        };
        assert_eq!(i.status, want, "{}: {:?}", i.id, i.not_checked);
    }
}

#[test]
fn every_item_is_found_by_name_on_the_gp6_stand_in() {
    let bed = Bed::start(standard_spec(2, 48 * MIB));
    bed.add_preflight_catalog(true);
    let inv = collected(&bed);
    let c = inv.compatibility.as_ref().expect("pre-flight ran");
    all_checked(c);
    // Cluster-wide: GP6's two groups at their defaults and the one staged.
    assert_eq!(
        found(c, "resource-groups"),
        [
            "-:admin_group = concurrency 10, cpu_rate_limit 10, memory_limit 10, memory_shared_quota 80, memory_spill_ratio 0, memory_auditor 0, cpuset -1",
            "-:default_group = concurrency 20, cpu_rate_limit 30, memory_limit 0, memory_shared_quota 80, memory_spill_ratio 0, memory_auditor 0, cpuset -1",
            "-:rg_etl = concurrency 5, cpu_rate_limit -1, memory_limit 20, memory_shared_quota 50, memory_spill_ratio 30, memory_auditor 1, cpuset 1-3",
        ]
    );
    assert_eq!(c.resource_groups.len(), 3);
    // A role's statement_mem and the databases' search_path are not flagged.
    assert_eq!(
        found(c, "removed-settings"),
        [
            "-:ALTER ROLE etl_user = SET memory_spill_ratio=20",
            "legacy:ALTER DATABASE legacy = SET gp_default_storage_options=appendonly=true, orientation=column",
            "legacy:ALTER ROLE etl_user IN DATABASE legacy = SET gp_use_legacy_hashops=on",
        ]
    );
    assert_eq!(
        found(c, "pg-role-names"),
        ["-:pg_monitor_gp = role name starts with pg_"]
    );
    assert_eq!(
        found(c, "sha256-passwords"),
        ["-:app_sha = password stored as a SHA-256 hash"]
    );
    // Per database: only `legacy` holds anything.
    let expected: [(&str, &[&str]); 18] = [
        (
            "removed-types",
            &[
                "legacy:public.age_of(reltime) = function argument or result of type reltime",
                "legacy:public.old_times.stamp = column of type abstime",
            ],
        ),
        (
            "views-on-removed-catalog",
            &["legacy:public.storage_report = definition names relstorage"],
        ),
        (
            "plpython2",
            &["legacy:public.py_clean(t text) = language plpythonu"],
        ),
        ("extensions", &["legacy:public.citext = version 1.6"]),
        (
            "c-functions",
            &[
                "legacy:public.cube_dist(cube_a internal, cube_b internal) = library $libdir/cube, symbol cube_distance",
            ],
        ),
        (
            "arrow-operator",
            &["legacy:public.=> (text, text) = operator => is reserved on 7"],
        ),
        (
            "multi-column-list-partitions",
            &["legacy:public.by_region_kind = LIST partitioning on 2 columns at level 0"],
        ),
        // START EXCLUSIVE on numeric is flagged; END INCLUSIVE on int4 (days) is not.
        (
            "exclusive-inclusive-bounds",
            &["legacy:public.readings partition low = START EXCLUSIVE on a numeric key"],
        ),
        (
            "unnamed-external-partitions",
            &[
                "legacy:public.feeds_1_prt_2 = external leaf partition without a name: rank 2 of feeds",
            ],
        ),
        (
            "hash-opclasses",
            &[
                "legacy:public.codes = distributed by operator class cdbhash_varchar_ops (character varying)",
            ],
        ),
        (
            "legacy-hashops",
            &["legacy:public.legacy_keys = distributed by legacy operator class cdbhash_int4_ops"],
        ),
        (
            "partial-numsegments",
            &["legacy:public.half_expanded = on 1 of 4 segments"],
        ),
        (
            "new-keywords",
            &[
                "legacy:public.aux.ao_aux_only = column name is a keyword on 7",
                "legacy:public.tablesample = table name is a keyword on 7",
                "legacy:public.xmlnamespaces = type name is a keyword on 7",
                "legacy:public.xmltable() = function name is a keyword on 7",
            ],
        ),
        (
            "quicklz",
            &[
                "legacy:public.clicks_qlz = table compresstype quicklz",
                "legacy:public.facts_qlz.v = column compresstype quicklz",
            ],
        ),
        ("with-oids", &["legacy:public.with_oids_t = WITH OIDS"]),
        (
            "materialized-views",
            &["legacy:public.daily_totals = materialized view"],
        ),
        (
            "leaf-only-indexes",
            &[
                "legacy:public.ledger2_1_prt_a_id = index on leaf partition ledger2_1_prt_a of ledger2, which has no index",
            ],
        ),
        (
            "extension-config-tables",
            &["legacy:public.citext_settings = configuration table of extension citext"],
        ),
    ];
    for (id, want) in expected {
        assert_eq!(found(c, id), want, "{id}");
        assert_eq!(item(c, id).count, want.len() as u64, "{id}");
    }

    // estimate shows them worst first, each with what to do, and the JSON carries the gate.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.yaml");
    whpg_plan::inventory::save(&inv, &path).unwrap();
    let e = bed::whpg(&[
        "estimate".into(),
        path.display().to_string(),
        "--format".into(),
        "json".into(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).expect("json");
    // Every item of severity "fails" (1, 2, 3, 5, 6, 7 plpython, 8, 9 × 3, 10–13): 14.
    let failing: Vec<&str> = v["preflight"]["summary"]["failing_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        failing,
        [
            "resource-groups",
            "removed-settings",
            "pg-role-names",
            "removed-types",
            "views-on-removed-catalog",
            "plpython2",
            "arrow-operator",
            "multi-column-list-partitions",
            "exclusive-inclusive-bounds",
            "unnamed-external-partitions",
            "hash-opclasses",
            "legacy-hashops",
            "partial-numsegments",
            "new-keywords"
        ]
    );
    assert_eq!(v["preflight"]["summary"]["checked"], true);
    // The resource groups as SQL for 7, in the JSON and the ticket.
    let sql = v["preflight"]["resource_groups_sql"].as_str().unwrap();
    assert!(
        sql.contains("CREATE RESOURCE GROUP rg_etl WITH (CONCURRENCY=5, CPUSET='1-3');"),
        "{sql}"
    );
    for p in v["plans"].as_array().unwrap() {
        let delete_first = p["keeps_rollback"] == false;
        assert_eq!(p["preflight_blocking"], delete_first, "{}", p["id"]);
    }
}

#[test]
fn a_clean_catalog_says_none_found_for_every_item() {
    let bed = Bed::start(standard_spec(2, 48 * MIB));
    bed.add_preflight_catalog(false);
    let inv = collected(&bed);
    let c = inv.compatibility.as_ref().expect("pre-flight ran");
    all_checked(c);
    for i in c.items.iter().filter(|i| i.id != "resource-groups") {
        assert_eq!(
            (i.id.as_str(), i.count),
            (i.id.as_str(), 0),
            "{:?}",
            i.findings
        );
    }
    // Every GP6 has its two resource groups: never "none found".
    assert_eq!(item(c, "resource-groups").count, 2);
    // The table says so per item.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.yaml");
    whpg_plan::inventory::save(&inv, &path).unwrap();
    let e = bed::whpg(&["estimate".into(), path.display().to_string()]);
    let out = String::from_utf8_lossy(&e.stdout);
    assert_eq!(out.matches("checked, none found").count(), 21, "{out}");
}

#[test]
fn a_catalog_without_the_gp6_tables_is_not_checked_never_none_found() {
    // The base stand-in has no pg_resgroup, pg_partition_rule, gp_distribution_policy …
    let bed = Bed::start(standard_spec(2, 48 * MIB));
    let inv = collected(&bed);
    let c = inv.compatibility.as_ref().expect("pre-flight ran");
    let rg = item(c, "resource-groups");
    assert_eq!(rg.status, CheckStatus::NotChecked);
    assert!(
        rg.not_checked[0]
            .reason
            .contains("relation \"pg_resgroup\" does not exist"),
        "{:?}",
        rg.not_checked
    );
    let bounds = item(c, "exclusive-inclusive-bounds");
    assert_eq!(bounds.status, CheckStatus::NotChecked);
    // One reason per database it failed in.
    let mut dbs: Vec<&str> = bounds
        .not_checked
        .iter()
        .filter_map(|n| n.database.as_deref())
        .collect();
    dbs.sort();
    assert_eq!(dbs, ["postgres", "sales"]);
    // What the base stand-in has is still checked: the queries failed alone.
    assert_eq!(item(c, "materialized-views").status, CheckStatus::Checked);
    // And the sizes were still measured.
    assert!(inv.database("sales").is_some());
}

/// Statements each database costs on the coordinator (pg_stat_database: one
/// transaction per statement of a psql run, rolled back when it failed).
fn statements(bed: &Bed, db: &str) -> u64 {
    bed.sql(
        "postgres",
        &format!("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{db}'"),
    )
    .trim()
    .parse()
    .unwrap()
}

fn statements_of_a_collect(bed: &Bed) -> (u64, Inventory) {
    std::thread::sleep(std::time::Duration::from_millis(700));
    let before = statements(bed, "legacy");
    let inv = collected(bed);
    // A session's counts reach pg_stat_database when it ends.
    std::thread::sleep(std::time::Duration::from_millis(700));
    (statements(bed, "legacy") - before, inv)
}

/// Adds tables with an abstime column `t_old_<from>` … `t_old_<to>`, a view
/// and a function over each: objects three items find.
fn add_objects(bed: &Bed, from: u32, to: u32) {
    bed.sql(
        "legacy",
        &format!(
            "DO $$ BEGIN FOR i IN {from} .. {to} LOOP \
             EXECUTE format('CREATE TABLE public.t_old_%s (id int, stamp gp_toolkit.abstime)', i); \
             EXECUTE format('CREATE VIEW public.v_old_%s AS SELECT relname, relstorage FROM gp_toolkit.pg_class', i); \
             EXECUTE format('CREATE MATERIALIZED VIEW public.m_old_%s AS SELECT %s AS n', i, i); \
             END LOOP; END $$"
        ),
    );
}

#[test]
fn statements_per_database_stay_constant_as_objects_grow() {
    let bed = Bed::start(standard_spec(2, 48 * MIB));
    // No autovacuum transactions in the counts.
    bed.sql("postgres", "ALTER SYSTEM SET autovacuum = off");
    bed.sql("postgres", "SELECT pg_reload_conf()");
    bed.add_preflight_catalog(true);
    add_objects(&bed, 1, 10);
    let (at_10, inv10) = statements_of_a_collect(&bed);
    add_objects(&bed, 11, 1000);
    let (at_1000, inv1000) = statements_of_a_collect(&bed);
    eprintln!("statements in database legacy: {at_10} at 10 objects, {at_1000} at 1000");
    assert_eq!(at_10, at_1000);
    // One psql run: its session start (1) + 18 pre-flight queries + the
    // statistics + the sizes = 21; and one run for the AO ratios of the two
    // empty (unanalyzed) QuickLZ tables: 1 + 1. In all 23, at any size.
    assert_eq!(at_10, 23);
    let count = |inv: &Inventory, id: &str| item(inv.compatibility.as_ref().unwrap(), id).count;
    // old_times.stamp and age_of(reltime), plus one column per table.
    assert_eq!(count(&inv10, "removed-types"), 12);
    assert_eq!(count(&inv1000, "removed-types"), 1002);
    assert_eq!(count(&inv1000, "views-on-removed-catalog"), 1001);
    assert_eq!(count(&inv1000, "materialized-views"), 1001);
    // All counted, a bounded number listed.
    let listed = item(inv1000.compatibility.as_ref().unwrap(), "removed-types")
        .findings
        .len();
    assert_eq!(
        listed,
        whpg_plan::collect::preflight::LISTED_PER_QUERY as usize
    );
}

#[test]
fn a_plain_postgresql_15_is_checked_for_what_can_exist_there() {
    let pg = bed::LocalPostgres::start();
    pg.sql(
        "postgres",
        "CREATE EXTENSION citext; \
         CREATE MATERIALIZED VIEW public.daily AS SELECT 1 AS n; \
         CREATE FUNCTION public.cube_dist(internal, internal) RETURNS float8 AS '$libdir/cube', 'cube_distance' LANGUAGE c; \
         CREATE FUNCTION public.py_handler() RETURNS language_handler AS 'plpgsql', 'plpgsql_call_handler' LANGUAGE c; \
         CREATE LANGUAGE plpythonu HANDLER public.py_handler; \
         CREATE FUNCTION public.py_up(t text) RETURNS text LANGUAGE plpythonu AS 'return t.upper()'",
    );
    let inv = pg.collect_local(&[]);
    let c = inv.compatibility.as_ref().expect("pre-flight ran");
    assert_eq!(
        found(c, "extensions"),
        ["postgres:public.citext = version 1.6"]
    );
    assert_eq!(
        found(c, "materialized-views"),
        ["postgres:public.daily = materialized view"]
    );
    assert_eq!(
        found(c, "plpython2"),
        ["postgres:public.py_up(t text) = language plpythonu"]
    );
    assert_eq!(
        found(c, "c-functions"),
        [
            "postgres:public.cube_dist(internal, internal) = library $libdir/cube, symbol cube_distance",
            "postgres:public.py_handler() = library plpgsql, symbol plpgsql_call_handler",
        ]
    );
    // PostgreSQL's own pg_* roles are not user roles.
    assert_eq!(item(c, "pg-role-names").status, CheckStatus::Checked);
    assert_eq!(item(c, "pg-role-names").count, 0);
    // GP6-only items say why they do not apply (and hold nothing back).
    let q = item(c, "quicklz");
    assert_eq!(q.status, CheckStatus::NotApplicable);
    assert_eq!(
        q.not_checked[0].reason,
        "applies to a Greenplum/WarehousePG 6 catalog only"
    );
}

#[test]
fn a_7_catalog_is_checked_for_what_can_exist_there_in_the_7_dialect() {
    let mut spec = standard_spec(2, 48 * MIB);
    spec.version = bed::WHPG7_VERSION.into();
    let bed = Bed::start(spec);
    bed.sql(
        "sales",
        "CREATE MATERIALIZED VIEW public.monthly AS SELECT 1 AS n",
    );
    let inv = collected(&bed);
    let c = inv.compatibility.as_ref().expect("pre-flight ran");
    let applies = [
        "pg-role-names",
        "plpython2",
        "extensions",
        "c-functions",
        "arrow-operator",
        "materialized-views",
        "extension-config-tables",
    ];
    for i in &c.items {
        let want = if applies.contains(&i.id.as_str()) {
            CheckStatus::Checked
        } else if i.id == "outside-the-backup" {
            CheckStatus::Manual
        } else {
            CheckStatus::NotApplicable
        };
        assert_eq!(i.status, want, "{}: {:?}", i.id, i.not_checked);
    }
    assert_eq!(
        found(c, "materialized-views"),
        ["sales:public.monthly = materialized view"]
    );
}

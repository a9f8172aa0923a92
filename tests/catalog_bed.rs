//! Reading the catalog as it behaves on a real cluster, on the test bed: a
//! database the user may not connect to, a site-wide statement_timeout, a
//! table locked by another session, WarehousePG's and a fork's banners,
//! float text as gpbackup prints it, and values too wide for pg_stats.
//! Needs root, openssh-server and PostgreSQL 15 (`scripts/test.sh` installs them).

mod bed;

use std::time::{Duration, Instant};

use bed::{Bed, collect, standard_spec, text, whpg};
use whpg_plan::inventory::{EstimateSource, Inventory, Product};

const MIB: u64 = 1 << 20;

fn small_bed() -> Bed {
    Bed::start(standard_spec(2, 48 * MIB))
}

/// `collect_args` with another `--pg-user`.
fn as_user(bed: &Bed, user: &str) -> Vec<String> {
    let mut args = bed.collect_args();
    let i = args.iter().position(|a| a == "--pg-user").unwrap();
    args[i + 1] = user.into();
    args
}

fn estimate(dir: &tempfile::TempDir, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "estimate".to_string(),
        dir.path().join("inventory.yaml").display().to_string(),
        "--catalog-overhead".into(),
        "1MB".into(),
        "--wal-overhead".into(),
        "4MB".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    whpg(&args)
}

fn table<'a>(inv: &'a Inventory, db: &str, name: &str) -> &'a whpg_plan::inventory::TableEstimate {
    inv.composition
        .as_ref()
        .unwrap()
        .databases
        .iter()
        .find(|d| d.name == db)
        .unwrap()
        .tables
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no table {db}.{name}"))
}

#[test]
fn a_database_the_user_may_not_connect_to_is_not_measured_and_named() {
    let bed = small_bed();
    bed.sql(
        "postgres",
        "CREATE ROLE planner LOGIN; GRANT USAGE ON SCHEMA gp_toolkit TO planner; \
         GRANT SELECT ON ALL TABLES IN SCHEMA gp_toolkit TO planner; \
         REVOKE CONNECT ON DATABASE sales FROM PUBLIC",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inventory.yaml");
    let mut args = vec!["collect".to_string()];
    args.extend(as_user(&bed, "planner"));
    args.extend(["--ssh-user".into(), "root".into(), "-o".into()]);
    args.push(out.display().to_string());
    let o = whpg(&args);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("database sales: not measured"), "{err}");
    assert!(err.contains("permission denied for database"), "{err}");
    // No verdict from it: the backup would be sized without sales.
    let e = estimate(&dir, &[]);
    assert_eq!(e.status.code(), Some(5), "{}", text(&e));
    // Left out on purpose, the run completes and says so.
    args.insert(args.len() - 2, "--exclude-database".into());
    args.insert(args.len() - 2, "sales".into());
    let o = whpg(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let e = estimate(&dir, &[]);
    assert!(matches!(e.status.code(), Some(0 | 3 | 4)), "{}", text(&e));
    assert!(
        String::from_utf8_lossy(&e.stdout).contains("database sales was left out on purpose"),
        "{}",
        text(&e)
    );
}

#[test]
fn a_site_wide_statement_timeout_does_not_stop_the_catalog() {
    let bed = small_bed();
    bed.sql(
        "postgres",
        "ALTER DATABASE sales SET statement_timeout = '1ms'",
    );
    // Ordinary sessions in sales get it …
    assert_eq!(bed.sql("sales", "SHOW statement_timeout").trim(), "1ms");
    // … the collector's own setting (a client option) overrides it.
    let (o, inv, _d) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let inv = inv.unwrap();
    assert!(table(&inv, "sales", "orders").rows > 0);
}

#[test]
fn a_table_locked_by_another_session_is_reported_within_the_lock_timeout() {
    let bed = small_bed();
    let lock = bed.hold_lock("sales", "public.orders");
    let started = Instant::now();
    let (o, inv, _d) = collect(&bed, &["--lock-timeout", "1"]);
    let took = started.elapsed();
    drop(lock);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("table sales.public.orders: not measured"),
        "{err}"
    );
    assert!(
        err.contains("could not be locked within lock_timeout (1000 ms)"),
        "{err}"
    );
    // Only that table: the others were measured.
    let inv = inv.unwrap();
    assert!(table(&inv, "sales", "events").on_disk_bytes > 0);
    assert!(table(&inv, "sales", "facts").on_disk_bytes > 0);
    // Halving 7 tables: the first try, then 2 × log2(7) narrower ones, 1 s each at most.
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn warehousepg_banners_are_recognised_and_a_fork_is_an_error() {
    let mut spec = standard_spec(2, 48 * MIB);
    spec.version = bed::WHPG6_VERSION.into();
    let bed = Bed::start(spec);
    let (o, inv, d) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let inv = inv.unwrap();
    assert_eq!(
        (inv.source.product, inv.source.version.as_str()),
        (Product::Warehousepg, "6.27.5")
    );
    // WarehousePG's direct-copy tool is whpg-copy: no mismatch warning, whpg-copy commands.
    let e = estimate(&d, &["--direct-copy-tool", "whpg-copy", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    assert!(
        !v["warnings"].to_string().contains("licensed for"),
        "{}",
        v["warnings"]
    );
    let direct = v["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "direct-copy")
        .unwrap();
    assert!(
        direct["steps"]
            .to_string()
            .contains("whpg-copy copy --src-url"),
        "{}",
        direct["steps"]
    );
    drop(bed);

    let mut spec = standard_spec(2, 48 * MIB);
    spec.version = bed::CLOUDBERRY_VERSION.into();
    let bed = Bed::start(spec);
    let (o, _, _) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Cloudberry"),
        "{}",
        text(&o)
    );
}

#[test]
fn floats_are_sized_as_gpbackup_prints_them() {
    let bed = small_bed();
    bed.sql(
        "sales",
        "CREATE TABLE public.readings (r float4, s float8); \
         INSERT INTO public.readings SELECT random(), random() * 1000 FROM generate_series(1, 20000); \
         ANALYZE public.readings",
    );
    // A site-wide setting that prints floats shorter than gpbackup's session does.
    bed.sql(
        "postgres",
        "ALTER DATABASE sales SET extra_float_digits = 0",
    );
    let gpbackup = bed.copy_csv_bytes("sales", "public.readings", "-c extra_float_digits=3");
    let site = bed.copy_csv_bytes("sales", "public.readings", "");
    // The setting matters: the site's session writes much less.
    assert!(
        (site as f64) < 0.9 * gpbackup as f64,
        "{site} vs {gpbackup}"
    );
    let (o, inv, _d) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = table(inv.as_ref().unwrap(), "sales", "readings");
    assert_eq!(t.estimated_from, EstimateSource::Stats);
    let err = t.csv_bytes as f64 / gpbackup as f64 - 1.0;
    assert!(
        err.abs() <= 0.10,
        "estimate {} vs gpbackup's {gpbackup}: {:+.1}%",
        t.csv_bytes,
        err * 100.0
    );
}

#[test]
fn values_too_wide_for_the_statistics_are_sampled_without_sample_rows() {
    let bed = small_bed();
    // 3 kB texts that compress well: stored inline at ~100 bytes, left out of
    // pg_stats (over 1 kB): statistics alone see a few percent of the text.
    bed.sql(
        "sales",
        "CREATE TABLE public.notes (id int, body text); \
         INSERT INTO public.notes SELECT g, repeat(md5(g::text), 94) FROM generate_series(1, 2000) g; \
         ANALYZE public.notes",
    );
    let truth = bed.copy_csv_bytes("sales", "public.notes", "-c extra_float_digits=3");
    let (o, inv, _d) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let inv = inv.unwrap();
    let t = table(&inv, "sales", "notes");
    assert_eq!(
        t.estimated_from,
        EstimateSource::Sample,
        "{t:?}\n{}",
        text(&o)
    );
    let err = t.csv_bytes as f64 / truth as f64 - 1.0;
    assert!(
        err.abs() <= 0.10,
        "estimate {} vs COPY's {truth}: {:+.1}%",
        t.csv_bytes,
        err * 100.0
    );
    let notes = &inv.composition.as_ref().unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("sales.public.notes") && n.contains("too wide")),
        "{notes:?}"
    );
}

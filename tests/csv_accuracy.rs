//! The backup estimate against the truth, on a real PostgreSQL 15: tables of
//! many column types are analyzed, collected with `collect --local`, and the
//! per-table CSV estimates compared with the bytes `COPY … TO STDOUT WITH CSV
//! DELIMITER ','` really writes (gpbackup's own command) and their gzip -1 size.

mod bed;

use std::io::Write;
use std::process::{Command, Stdio};

use bed::LocalPostgres;
use whpg_plan::inventory::{EstimateSource, Inventory};

/// Tables with types a warehouse has: numbers, text with commas and quotes,
/// empty strings, NULLs, dates and timestamps, booleans, json, bytea, arrays, uuid-like text.
const DATA: &str = r#"
CREATE TABLE orders AS SELECT g AS id, (g % 5000) AS customer, (g * 7.31)::numeric(15,2) AS total,
  DATE '2020-01-01' + (g % 2000) AS ordered, (ARRAY['OPEN','SHIPPED','RETURNED'])[1 + g % 3] AS status,
  CASE WHEN g % 9 = 0 THEN NULL ELSE 'note ' || md5(g::text) END AS comment
FROM generate_series(1, 150000) g;
CREATE TABLE events AS SELECT g::int8 AS id, TIMESTAMPTZ '2026-01-01 00:00:00+00' + g * interval '17 seconds' AS at,
  (g % 3 = 0) AS ok, g * 0.000123::float8 AS score,
  CASE WHEN g % 7 = 0 THEN '' WHEN g % 13 = 0 THEN 'said "yes", then left' WHEN g % 17 = 0 THEN E'two\nlines' ELSE 'plain' END AS remark,
  json_build_object('user', g % 1000, 'tags', json_build_array('a', 'b')) AS payload
FROM generate_series(1, 120000) g;
CREATE TABLE blobs AS SELECT g AS id, decode(md5(g::text) || md5((g+1)::text), 'hex') AS digest,
  ARRAY[g % 10, g % 100, g] AS path, md5(g::text)::uuid::text AS ref
FROM generate_series(1, 60000) g;
CREATE TABLE intl AS SELECT g AS id,
  (ARRAY['café crème', 'Ωmega ∑ 데이터', '日本語のテキスト', 'naïve façade'])[1 + g % 4] || ' ' || (g % 1000) AS label,
  repeat('€', 1 + g % 30) AS price_note
FROM generate_series(1, 80000) g;
CREATE TABLE never_analyzed AS SELECT g AS id, repeat('x', 50) AS pad FROM generate_series(1, 30000) g;
ANALYZE orders; ANALYZE events; ANALYZE blobs; ANALYZE intl;
"#;

fn truth(pg: &LocalPostgres, table: &str) -> (u64, u64) {
    let copy = Command::new("psql")
        .args(["-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-p"])
        .arg(pg.port.to_string())
        .args(["-d", "shop", "-c"])
        .arg(format!(
            "COPY public.{table} TO STDOUT WITH CSV DELIMITER ','"
        ))
        .output()
        .unwrap();
    assert!(copy.status.success());
    let mut gz = Command::new("gzip")
        .arg("-1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = gz.stdin.take().unwrap();
    let data = copy.stdout.clone();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let out = gz.wait_with_output().unwrap();
    writer.join().unwrap();
    (copy.stdout.len() as u64, out.stdout.len() as u64)
}

fn collect(pg: &LocalPostgres, extra: &[&str]) -> Inventory {
    pg.collect_local(extra)
}

#[test]
fn csv_estimates_match_what_copy_writes() {
    let pg = LocalPostgres::start();
    pg.sql("postgres", "CREATE DATABASE shop");
    pg.sql("shop", DATA);

    let inv = collect(&pg, &[]);
    let shop = inv.database("shop").unwrap().clone();
    let (mut est_total, mut true_total) = (0u64, 0u64);
    let mut report = String::new();
    for table in ["orders", "events", "blobs", "intl"] {
        let t = shop.tables.iter().find(|t| t.name == table).unwrap();
        assert_eq!(t.estimated_from, EstimateSource::Stats, "{table}");
        let (csv, _) = truth(&pg, table);
        let err = t.csv_bytes as f64 / csv as f64 - 1.0;
        report.push_str(&format!(
            "{table}: estimated {} true {csv} ({:+.1}%)\n",
            t.csv_bytes,
            err * 100.0
        ));
        assert!(
            err.abs() <= 0.10,
            "{table} off by {:.1}%:\n{report}",
            err * 100.0
        );
        est_total += t.csv_bytes;
        true_total += csv;
    }
    let err = est_total as f64 / true_total as f64 - 1.0;
    assert!(
        err.abs() <= 0.05,
        "total off by {:.1}%:\n{report}",
        err * 100.0
    );
    eprintln!("{report}total {:+.1}%", err * 100.0);

    // The never-analyzed table falls back to the default factor, and says so.
    let n = shop
        .tables
        .iter()
        .find(|t| t.name == "never_analyzed")
        .unwrap();
    assert_eq!(n.estimated_from, EstimateSource::Default);
    let e = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .arg("estimate")
        .arg(write_inventory(&inv).path().join("inv.json"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&e.stdout).contains("shop.public.never_analyzed"),
        "the output names the table"
    );

    // Sampling measures the compression: gzip-1 over all sampled tables within ±15%.
    let sampled = collect(&pg, &["--sample-rows", "10000"]);
    let shop = sampled.database("shop").unwrap();
    let (mut est_gz, mut true_gz) = (0f64, 0f64);
    for table in ["orders", "events", "blobs", "intl"] {
        let t = shop.tables.iter().find(|t| t.name == table).unwrap();
        assert_eq!(t.estimated_from, EstimateSource::Sample, "{table}");
        let r = t.sampled_ratios.as_ref().unwrap()["gzip-1"];
        est_gz += t.csv_bytes as f64 * r;
        true_gz += truth(&pg, table).1 as f64;
    }
    let err = est_gz / true_gz - 1.0;
    eprintln!("gzip-1 total {:+.1}%", err * 100.0);
    assert!(
        err.abs() <= 0.15,
        "gzip-1 estimate off by {:.1}%",
        err * 100.0
    );

    // The samples also measured each codec's speed on this machine, and the
    // what-if rows say how long the busiest segment compresses with each.
    let speeds = sampled
        .composition
        .as_ref()
        .unwrap()
        .compression_throughput
        .clone()
        .expect("compression speed measured");
    for key in [
        "gzip-1", "gzip-6", "gzip-9", "zstd-1", "zstd-3", "zstd-9", "zstd-19",
    ] {
        assert!(speeds[key] > 0.0, "{key}: {speeds:?}");
    }
    eprintln!("compression speed (bytes/s of CSV, one core): {speeds:?}");
    // The samples' COPY text rate: the same four sample COPYs run here by
    // psql, each timed by psql itself (`\timing`: the query, not psql's
    // start-up and connection, which collect leaves out too), give the
    // reference; one stream on a shared machine varies, but not by a factor of 3.
    let copy = sampled
        .composition
        .as_ref()
        .unwrap()
        .copy_bytes_per_second
        .expect("COPY rate measured");
    let (mut bytes, mut secs) = (0usize, 0f64);
    for table in ["orders", "events", "blobs", "intl"] {
        let o = pg
            .psql("shop")
            .args(["-c", "\\timing on", "-c", &format!("COPY (SELECT * FROM public.{table} LIMIT 10000) TO STDOUT WITH CSV DELIMITER ','")])
            .output()
            .unwrap();
        assert!(o.status.success());
        let out = String::from_utf8_lossy(&o.stdout);
        // The CSV, then "Time: 12.345 ms" on the last line.
        let body = out.trim_end_matches('\n');
        let (csv, timing) = body.rsplit_once('\n').unwrap_or(("", body));
        let ms: f64 = timing
            .strip_prefix("Time: ")
            .and_then(|t| t.split_whitespace().next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("no timing in {timing:?}"));
        secs += ms / 1000.0;
        bytes += csv.len() + 1;
    }
    let reference = bytes as f64 / secs;
    eprintln!(
        "COPY text rate: collect {:.1} MB/s, psql here {:.1} MB/s ({bytes} B in {secs:.3} s)",
        copy / 1e6,
        reference / 1e6
    );
    assert!(
        copy > reference / 3.0 && copy < reference * 3.0,
        "collect's COPY rate {copy:.0} B/s vs {reference:.0} B/s measured here"
    );
    let dir = write_inventory(&sampled);
    let e = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .arg("estimate")
        .arg(dir.path().join("inv.json"))
        .args(["--what-if", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    let rows = v["what_if"].as_array().unwrap();
    let compress = |codec: &str| {
        rows.iter()
            .find(|r| r["compression"] == codec)
            .map(|r| r["compress_seconds"].as_u64())
    };
    // One segment holds all the data here: its CSV ÷ the measured speed, rounded up.
    let csv = v["backup"]["csv_bytes"].as_u64().unwrap() as f64;
    for codec in ["gzip-1", "zstd-19"] {
        let expected = (csv / speeds[codec]).ceil() as u64;
        assert_eq!(compress(codec), Some(Some(expected)), "{codec}");
    }
}

fn write_inventory(inv: &Inventory) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    whpg_plan::inventory::save(inv, &dir.path().join("inv.json")).unwrap();
    dir
}

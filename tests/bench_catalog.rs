//! Catalog-reading benchmark on the test bed (not run by default):
//!
//!   cargo test --release --test bench_catalog -- --ignored --nocapture
//!   BENCH_TABLES=1000,10000 WHPG_BIN=/path/to/older/whpg-plan cargo test …   (before/after)
//!
//! For each N in BENCH_TABLES (default 1000,10000,100000), the standard bed
//! (2 segment hosts, 4 contents) gets N more one-row tables in `sales`,
//! analyzed; then `whpg-plan collect` runs (median of 3, one run at 100,000)
//! and the statements the coordinator executed are counted from
//! pg_stat_database (transactions committed in all databases during the run:
//! one per statement of a psql run). Prints a Markdown table (docs/performance.md).

mod bed;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bed::{Bed, standard_spec, text};

const MIB: u64 = 1 << 20;

fn statements(bed: &Bed) -> u64 {
    bed.sql(
        "postgres",
        "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database",
    )
    .trim()
    .parse()
    .unwrap()
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn catalog_reading_at_1k_10k_100k_tables() {
    let sizes: Vec<u64> = std::env::var("BENCH_TABLES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let bin = std::env::var("WHPG_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_whpg-plan").into());
    let mut table = String::from(
        "| tables | collect (median) | statements on the coordinator | per database |\n|--:|--:|--:|--:|\n",
    );
    for n in sizes {
        let bed = Bed::start(standard_spec(2, 48 * MIB));
        // In batches: one transaction may lock only so many new tables.
        let mut done = 0;
        while done < n {
            let upto = (done + 5000).min(n);
            bed.sql(
                "sales",
                &format!(
                    "DO $$ BEGIN FOR i IN {} .. {upto} LOOP \
                     EXECUTE format('CREATE TABLE public.b%s (id int, v int)', i); \
                     EXECUTE format('INSERT INTO public.b%s VALUES (1, 2)', i); END LOOP; END $$",
                    done + 1
                ),
            );
            done = upto;
        }
        bed.sql("sales", "ANALYZE");
        let runs = if n >= 100_000 { 1 } else { 3 };
        let mut times = Vec::new();
        let mut stmts = Vec::new();
        for _ in 0..runs {
            let dir = tempfile::tempdir().unwrap();
            let before = statements(&bed);
            let start = Instant::now();
            let o = Command::new(&bin)
                .arg("collect")
                .args(bed.collect_args())
                .args(["--ssh-user", "root", "-o"])
                .arg(dir.path().join("inv.yaml"))
                .env("HOME", "/nonexistent-home")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            times.push(start.elapsed());
            assert!(o.status.success(), "{}", text(&o));
            // pg_stat_database is updated when a session ends; give the stats collector a moment.
            std::thread::sleep(Duration::from_millis(700));
            stmts.push(statements(&bed) - before);
        }
        times.sort();
        stmts.sort();
        let t = times[times.len() / 2];
        let s = stmts[stmts.len() / 2];
        let line = format!(
            "| {n} | {:.2} s | {s} | {:.1} |\n",
            t.as_secs_f64(),
            s as f64 / 2.0
        );
        eprint!("{line}");
        table.push_str(&line);
    }
    println!("\n{table}");
}

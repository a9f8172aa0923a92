//! Collection benchmark on the real test bed (not run by default):
//!
//!   cargo test --release --test bench_collect -- --ignored --nocapture
//!
//! For N = 1, 8 and 32 segment hosts (plus coordinator and standby; 2 primaries
//! and 2 mirrors per segment host), the median of at least 5 runs of
//! `whpg-plan collect` (catalog queries + one probe per host, default --jobs 16)
//! against (a) a sequential loop of the system ssh and (b) parallel-ssh with the
//! same parallelism, both running the same du/df measurements on every host;
//! and whpg-plan's peak memory. Prints a Markdown table (docs/performance.md).

mod bed;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bed::{Bed, standard_spec};

const MIB: u64 = 1 << 20;

/// The same measurements the probe makes, for any host of the bed: du of
/// every data directory and its parts, of the tablespace directories, df of
/// the filesystems.
const BASELINE: &str = "LC_ALL=C; for d in /data1/*/gpseg* /data2/*/gpseg*; do du -s -B1 -- \"$d\" \"$d\"/base \"$d\"/global \"$d\"/pg_xlog \"$d\"/pg_wal \"$d\"/pg_log \"$d\"/log \"$d\"/backups 2>/dev/null; done; du -s -B1 /data2/ts_fast/* 2>/dev/null; df -P -B1 -T /data1 /data2 /";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(mut cmd: Command) -> Duration {
    let start = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn ssh_opts(bed: &Bed) -> Vec<String> {
    vec![
        "-i".into(),
        bed.client_key.display().to_string(),
        "-o".into(),
        format!("UserKnownHostsFile={}", bed.known_hosts.display()),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "StrictHostKeyChecking=yes".into(),
    ]
}

#[test]
#[ignore = "benchmark: cargo test --release --test bench_collect -- --ignored --nocapture"]
fn collection_benchmark() {
    assert!(
        std::path::Path::new("/usr/bin/parallel-ssh").exists(),
        "apt-get install -y pssh"
    );
    let runs: usize = std::env::var("WHPG_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
        .max(5);
    let mut table = String::from(
        "| segment hosts | hosts measured | whpg-plan collect | sequential ssh loop | parallel-ssh -p 16 | whpg-plan / parallel-ssh | whpg-plan CPU (user+sys) | peak RSS whpg-plan |\n|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    let mut one_host = None;
    for n in [1usize, 8, 32] {
        let bed = Bed::start(standard_spec(n, 32 * MIB));
        let dir = tempfile::tempdir().unwrap();
        let whpg = || {
            let mut c = Command::new(env!("CARGO_BIN_EXE_whpg-plan"));
            c.arg("collect")
                .args(bed.collect_args())
                .args(["--ssh-user", "root", "-o"])
                .arg(dir.path().join("inv.yaml"));
            c.env("HOME", "/nonexistent-home");
            c
        };
        let _ = time(whpg()); // warm-up: page cache, first handshakes
        let ours = median((0..runs).map(|_| time(whpg())).collect());

        let seq = median(
            (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    for a in &bed.addresses {
                        let out = Command::new("ssh")
                            .args(ssh_opts(&bed))
                            .arg(format!("root@{a}"))
                            .arg(BASELINE)
                            .output()
                            .unwrap();
                        assert!(
                            out.status.success(),
                            "{}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                    }
                    start.elapsed()
                })
                .collect(),
        );

        let hosts_file = dir.path().join("hosts");
        std::fs::write(&hosts_file, bed.addresses.join("\n") + "\n").unwrap();
        let pssh = || {
            let mut c = Command::new("parallel-ssh");
            c.arg("-h")
                .arg(&hosts_file)
                .args(["-p", "16", "-t", "120", "-l", "root", "-x"])
                .arg(ssh_opts(&bed).join(" "));
            c.arg("-o").arg(dir.path().join("pssh-out")).arg(BASELINE);
            c
        };
        let ps = median((0..runs).map(|_| time(pssh())).collect());

        let mut m = Command::new("/usr/bin/time");
        m.args(["-f", "%M %U %S"])
            .arg(env!("CARGO_BIN_EXE_whpg-plan"))
            .arg("collect")
            .args(bed.collect_args());
        m.args(["--ssh-user", "root", "-o"])
            .arg(dir.path().join("inv.yaml"))
            .env("HOME", "/nonexistent-home");
        let out = m.output().unwrap();
        let stats = String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_string();
        let f: Vec<f64> = stats
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let (rss_kb, cpu) = (
            f.first().copied().unwrap_or(0.0),
            f.get(1).copied().unwrap_or(0.0) + f.get(2).copied().unwrap_or(0.0),
        );

        if n == 1 {
            one_host = Some(ours);
        }
        table.push_str(&format!(
            "| {n} | {} | {:.3} s | {:.3} s | {:.3} s | {:.2} | {cpu:.2} s | {:.1} MB |\n",
            bed.addresses.len(),
            ours.as_secs_f64(),
            seq.as_secs_f64(),
            ps.as_secs_f64(),
            ours.as_secs_f64() / ps.as_secs_f64(),
            rss_kb / 1024.0
        ));
        if n == 32 {
            let ratio = ours.as_secs_f64() / one_host.unwrap().as_secs_f64();
            table.push_str(&format!(
                "\n32 segment hosts take {ratio:.2} × the time of 1 (medians of {runs} runs).\n"
            ));
        }
    }
    println!("{table}");
}

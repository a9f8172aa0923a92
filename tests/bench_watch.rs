//! Benchmarks of `whpg-plan watch` (ignored by default; docs/performance.md
//! has the figures and how they extrapolate):
//!
//! ```text
//! cargo test --release --test bench_watch -- --ignored --nocapture --test-threads 1
//! ```
//!
//! - `judging_a_day_of_1000_filesystems`: the main thread's work of a 24-hour
//!   watch of 1,000 filesystems at a 10 s interval (8,640 samples), driven
//!   without SSH: time per sample and resident memory along the way.
//! - `ssh_cost_per_host_and_sample`: the process's CPU per host and sample on
//!   the bed (real sshd, kept-open sessions), from two runs of different length.

mod bed;

use std::time::{Duration, Instant};

use whpg_plan::watch::plan::{PhaseContents, PlannedFilesystem, WatchPlan, WatchedHost};
use whpg_plan::watch::probe::HostSample;
use whpg_plan::watch::{HostReport, Watch, render};

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn synthetic_plan(hosts: usize, per_host: usize) -> WatchPlan {
    let ph = |name: &str, o, b, n, m| PhaseContents {
        phase: name.into(),
        old_cluster: o,
        backup: b,
        new_primaries: n,
        new_mirrors: m,
    };
    let mut filesystems = Vec::new();
    let mut watched = Vec::new();
    for h in 0..hosts {
        let mut idx = Vec::new();
        for k in 0..per_host {
            idx.push(filesystems.len());
            filesystems.push(PlannedFilesystem {
                host: format!("sdw{h}"),
                mount: format!("/data{k}"),
                measured_used_bytes: 1_000_000_000_000,
                limit_bytes: 3_600_000_000_000,
                peak_bytes: 2_500_000_000_000,
                peak_phase: "restore".into(),
                phase_bytes: vec![
                    1_500_000_000_000,
                    1_510_000_000_000,
                    2_500_000_000_000,
                    2_500_000_000_000,
                    900_000_000_000,
                ],
            });
        }
        watched.push(WatchedHost {
            name: format!("sdw{h}"),
            address: format!("sdw{h}"),
            filesystems: idx,
            old_dirs: vec!["/data0/primary/gpseg0".into()],
            new_primary_dirs: vec!["/data0/primary_gp7/gpseg0".into()],
            new_mirror_dirs: vec!["/data0/mirror_gp7/gpseg1".into()],
            backup_dir: Some("/data1/whpg_backup".into()),
        });
    }
    WatchPlan {
        plan_id: whpg_plan::model::PlanId::SideBySide,
        phases: vec![
            ph("backup", true, true, false, false),
            ph("init 7", true, true, true, true),
            ph("restore", true, true, true, true),
            ph("verify", true, true, true, true),
            ph("delete backup & 6", false, false, true, true),
        ],
        filesystems,
        hosts: watched,
        warn_fill: 0.7,
        phase_seconds: vec![None; 5],
    }
}

#[test]
#[ignore]
fn judging_a_day_of_1000_filesystems() {
    let (hosts, per_host, samples) = (250usize, 4usize, 8_640u64);
    let plan = synthetic_plan(hosts, per_host);
    let mut w = Watch::new(
        plan,
        None,
        0.05,
        Duration::from_secs(300),
        Duration::from_secs(30),
    );
    let t0_ms = 1_796_040_000_000u64;
    let rss_start = status_kib("VmRSS:");
    let mut busy = Duration::ZERO;
    let mut marks = Vec::new();
    let mut sink = std::io::sink();
    for k in 0..samples {
        let t_ms = t0_ms + k * 10_000;
        // The backup writes 40 MB/s per filesystem for the first 8 hours.
        let grown = 40_000_000 * 10 * k.min(2_880);
        let reports: Vec<HostReport> = (0..hosts)
            .map(|h| HostReport {
                host: h,
                t_ms,
                result: Ok(HostSample {
                    used: (0..per_host)
                        .map(|f| Ok(1_000_000_000_000 + grown + (h * per_host + f) as u64))
                        .collect(),
                    old_dirs: (1, 1),
                    new_primary_dirs: (0, 1),
                    new_mirror_dirs: (0, 1),
                    backup: Some(true),
                }),
            })
            .collect();
        let t = Instant::now();
        let (j, answered) = w.apply(reports, t_ms);
        let frame = render::Frame {
            plan: &w.plan,
            judgment: &j,
            phase: w.phase,
            phase_source: &w.phase_source,
            sample: k + 1,
            t_ms,
            hosts_answered: (answered, hosts),
        };
        let text = render::table(&frame, 40);
        let lines = w.log_lines(&j, t_ms);
        for l in &lines {
            serde_json::to_writer(&mut sink, l).unwrap();
        }
        std::hint::black_box(text);
        busy += t.elapsed();
        if [1, 1_000, 2_880, 4_320, 8_640].contains(&(k + 1)) {
            marks.push((k + 1, status_kib("VmRSS:")));
        }
    }
    let t = Instant::now();
    let j = {
        let (j, _) = w.apply(Vec::new(), t0_ms + samples * 10_000);
        j
    };
    let frame = render::Frame {
        plan: &w.plan,
        judgment: &j,
        phase: w.phase,
        phase_source: &w.phase_source,
        sample: samples,
        t_ms: t0_ms + samples * 10_000,
        hosts_answered: (hosts, hosts),
    };
    let html = render::html(&frame, &w.tracks).unwrap();
    let html_took = t.elapsed();
    let per_sample = busy / samples as u32;
    println!(
        "judging {} filesystems on {hosts} hosts, {samples} samples: {:.2} ms per sample ({:.3}% of a core at a 10 s interval)",
        hosts * per_host,
        per_sample.as_secs_f64() * 1000.0,
        per_sample.as_secs_f64() / 10.0 * 100.0
    );
    println!("resident memory: start {rss_start} KiB; after samples {marks:?} (KiB)");
    println!(
        "peak resident {} KiB; HTML with {} charts: {} bytes in {:.2} s",
        status_kib("VmHWM:"),
        html.matches("<figure>").count(),
        html.len(),
        html_took.as_secs_f64()
    );
    // Flat memory: the last mark within 10% of the one after the first 1,000 samples
    // (the chart history fills up to its bound before that).
    let (m1000, mlast) = (marks[1].1, marks[marks.len() - 1].1);
    assert!(
        mlast as f64 <= m1000 as f64 * 1.10 + 4096.0,
        "memory grew from {m1000} to {mlast} KiB"
    );
}

#[test]
#[ignore]
fn ssh_cost_per_host_and_sample() {
    use bed::{Bed, standard_spec, text, whpg};
    let bed = Bed::start(standard_spec(2, 64 << 20));
    let (o, _, inv_dir) = bed::collect(&bed, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let o = whpg(&[
        "estimate".into(),
        inv_dir.path().join("inventory.yaml").display().to_string(),
        "--format".into(),
        "json".into(),
    ]);
    std::fs::write(&plan, &o.stdout).unwrap();
    let run = |interval: &str, samples: u64| -> (f64, u64, Duration) {
        let t = Instant::now();
        let out = std::process::Command::new("/usr/bin/time")
            .args(["-f", "@time %U %S %M"])
            .arg(env!("CARGO_BIN_EXE_whpg-plan"))
            .arg("watch")
            .arg(&plan)
            .args([
                "--plan",
                "side-by-side",
                "--interval",
                interval,
                "--samples",
            ])
            .arg(samples.to_string())
            .args(["--ssh-user", "root", "--identity"])
            .arg(&bed.client_key)
            .arg("--known-hosts")
            .arg(&bed.known_hosts)
            .env("HOME", "/nonexistent-home")
            .output()
            .unwrap();
        let took = t.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| l.starts_with("@time"))
            .unwrap_or_else(|| panic!("{err}"));
        let v: Vec<&str> = line.split_whitespace().collect();
        let cpu = v[1].parse::<f64>().unwrap() + v[2].parse::<f64>().unwrap();
        (cpu, v[3].parse().unwrap(), took)
    };
    let hosts = 4.0;
    let (cpu_a, rss_a, t_a) = run("0.2", 25);
    let (cpu_b, rss_b, t_b) = run("0.2", 525);
    let per = (cpu_b - cpu_a) / (500.0 * hosts);
    println!(
        "bed, {hosts} hosts at 0.2 s: 25 samples {cpu_a:.2} s CPU ({t_a:.1?}, max RSS {rss_a} KiB); 525 samples {cpu_b:.2} s CPU ({t_b:.1?}, max RSS {rss_b} KiB)"
    );
    // Between samples: a long interval, few samples; what is left after
    // start-up and the samples themselves is the cost of waiting.
    let (cpu_c, _, t_c) = run("10", 4);
    let startup = (cpu_a - 25.0 * hosts * per).max(0.0);
    let idle_per_s = ((cpu_c - startup - 4.0 * hosts * per) / t_c.as_secs_f64()).max(0.0);
    println!(
        "bed, 4 samples at 10 s: {cpu_c:.2} s CPU in {t_c:.1?}; waiting costs {:.4}% of a core",
        idle_per_s * 100.0
    );
    println!(
        "CPU per host and sample: {:.3} ms; 250 hosts (1,000 filesystems) at a 10 s interval: {:.3}% of a core for SSH",
        per * 1000.0,
        per * 250.0 / 10.0 * 100.0
    );
}

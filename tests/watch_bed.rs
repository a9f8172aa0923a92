//! `whpg-plan watch` against the test bed: real sshd hosts in namespaces with
//! tmpfs filesystems, a plan estimated from the bed's own inventory.
//!
//! - a process grows a file on sdw1:/data1 at a known rate: watch says that
//!   filesystem is above plan and its time to the limit is within 10% of the
//!   truth; Ctrl-C ends it with the log complete and the HTML written; the
//!   log replays into the same charts;
//! - sdw2's sshd is stopped and comes back: stale, then fresh, in one watch;
//! - `--once` exit codes: on plan 0, a host down 5, over the limit 4.
//!
//! Needs root, openssh-server and PostgreSQL 15 (the bed).

mod bed;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bed::{Bed, standard_spec, text, whpg};
use serde_json::Value;

const MIB: u64 = 1 << 20;

/// One bed at a time: the growth rate is timed, and two cores are shared.
static SERIAL: Mutex<()> = Mutex::new(());

/// A bed with its plan: collected, then estimated as JSON.
struct Staged {
    bed: Bed,
    dir: tempfile::TempDir,
    plan: PathBuf,
}

fn stage() -> Staged {
    let bed = Bed::start(standard_spec(2, 64 * MIB));
    let (o, inv, inv_dir) = bed::collect(&bed, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(inv.is_some());
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let o = whpg(&[
        "estimate".into(),
        inv_dir.path().join("inventory.yaml").display().to_string(),
        "--catalog-overhead".into(),
        "1MB".into(),
        "--wal-overhead".into(),
        "4MB".into(),
        "--format".into(),
        "json".into(),
    ]);
    assert!(
        o.status.code().is_some_and(|c| c != 1 && c != 2),
        "{}",
        text(&o)
    );
    std::fs::write(&plan, &o.stdout).unwrap();
    Staged { bed, dir, plan }
}

impl Staged {
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut a = vec![
            "watch".to_string(),
            self.plan.display().to_string(),
            "--plan".into(),
            "side-by-side".into(),
            "--ssh-user".into(),
            "root".into(),
            "--identity".into(),
            self.bed.client_key.display().to_string(),
            "--known-hosts".into(),
            self.bed.known_hosts.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    /// The plan's filesystem `host:mount`: (limit, bytes planned per phase).
    fn planned(&self, host: &str, mount: &str) -> (u64, Vec<u64>) {
        let v: Value = serde_json::from_slice(&std::fs::read(&self.plan).unwrap()).unwrap();
        let p = v["plans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "side-by-side")
            .unwrap();
        let f = p["filesystems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["host"] == host && f["mount"] == mount)
            .unwrap_or_else(|| panic!("{host}:{mount} in the plan"));
        (
            f["limit_bytes"].as_u64().unwrap(),
            f["phase_bytes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_u64().unwrap())
                .collect(),
        )
    }
}

/// A running `whpg-plan watch`, killed if the test fails before it ends.
struct Watching {
    child: Option<Child>,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every line read so far.
    seen: std::cell::RefCell<Vec<String>>,
}

impl Watching {
    fn start(args: &[String]) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
            .args(args)
            .env("HOME", "/nonexistent-home")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("whpg-plan starts");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Watching {
            child: Some(child),
            lines: rx,
            seen: Default::default(),
        }
    }

    /// Waits for a printed line containing every one of `needles`.
    fn wait_for(&self, needles: &[&str], limit: Duration) -> String {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.seen.borrow_mut().push(l.clone());
                if needles.iter().all(|n| l.contains(n)) {
                    return l;
                }
            }
        }
        panic!("watch printed no line with {needles:?} within {limit:?}");
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit code.
    fn interrupt(&mut self, limit: Duration) -> (i32, Duration) {
        let mut child = self.child.take().unwrap();
        let t = Instant::now();
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return (s.code().unwrap_or(-1), t.elapsed());
            }
            if t.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!("watch did not end within {limit:?} of Ctrl-C");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line {l}: {e}")))
        .collect()
}

/// Grows `path` to `rate` bytes per second from now until `stop`.
fn grow(
    path: PathBuf,
    rate: f64,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        let t0 = Instant::now();
        let mut written = 0u64;
        let chunk = vec![0u8; 64 * 1024];
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let want = (t0.elapsed().as_secs_f64() * rate) as u64;
            while written + chunk.len() as u64 <= want {
                f.write_all(&chunk).unwrap();
                written += chunk.len() as u64;
            }
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        written
    })
}

fn figures(html: &str) -> Vec<&str> {
    html.match_indices("<figure>")
        .map(|(i, _)| &html[i..i + html[i..].find("</figure>").unwrap()])
        .collect()
}

#[test]
fn a_filesystem_growing_at_a_known_rate_is_above_plan_with_its_time_to_limit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = stage();
    let log = s.dir.path().join("watch.jsonl");
    let html = s.dir.path().join("watch.html");
    let (limit, phase_bytes) = s.planned("sdw1", "/data1");
    let mut w = Watching::start(&s.args(&[
        "--phase",
        "backup",
        "--interval",
        "0.5",
        "--window",
        "4",
        "--margin",
        "0.05",
        "--log",
        log.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]));
    w.wait_for(&["sdw1:/data1"], Duration::from_secs(30));
    let rate = 2.0 * MIB as f64;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let grower = grow(s.bed.host_path(2, "/data1/growing"), rate, stop.clone());
    std::thread::sleep(Duration::from_secs(9));
    let (code, took) = w.interrupt(Duration::from_secs(10));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = grower.join().unwrap();
    // WHPG_WATCH_DEMO=DIR keeps what this run printed and wrote (the README's example).
    if let Ok(demo) = std::env::var("WHPG_WATCH_DEMO") {
        let demo = PathBuf::from(demo);
        std::fs::create_dir_all(&demo).unwrap();
        let mut out = w.seen.borrow().join("\n");
        while let Ok(l) = w.lines.try_recv() {
            out.push('\n');
            out.push_str(&l);
        }
        std::fs::write(demo.join("stdout.txt"), out).unwrap();
        std::fs::copy(&html, demo.join("watch.html")).unwrap();
        std::fs::copy(&log, demo.join("watch.jsonl")).unwrap();
        std::fs::copy(&s.plan, demo.join("plan.json")).unwrap();
    }
    assert!(written > 12 * MIB, "the writer wrote {written} B");
    // Ctrl-C: a clean end within a couple of seconds, the last sample's code
    // (6: above plan, or 4 if it were heading over the limit).
    assert!(took < Duration::from_secs(5), "took {took:?} to stop");
    assert!(code == 6 || code == 4, "exit {code}");

    let lines = log_lines(&log);
    let ours: Vec<&Value> = lines
        .iter()
        .filter(|l| l["host"] == "sdw1" && l["mount"] == "/data1")
        .collect();
    assert!(ours.len() >= 12, "{} samples", ours.len());
    let last = ours.last().unwrap();
    assert_eq!(last["phase"], "backup");
    assert_eq!(last["predicted"].as_u64().unwrap(), phase_bytes[0]);
    assert_eq!(last["limit"].as_u64().unwrap(), limit);
    assert_eq!(last["above_plan"], true, "{last}");
    assert!(
        last["status"] == "above-plan" || last["status"] == "will-reach-limit",
        "{last}"
    );
    // Time to the limit, against the truth at each of the last samples: the
    // bytes left to the limit at the known rate.
    let mut checked = 0;
    for l in ours.iter().rev().take(6) {
        let used = l["used"].as_u64().unwrap();
        let truth = (limit - used) as f64 / rate;
        let got = l["seconds_to_limit"].as_f64().unwrap();
        assert!(
            (got - truth).abs() / truth < 0.10,
            "time to limit {got:.1} s vs {truth:.1} s (used {used}): {l}"
        );
        let r = l["rate_bytes_per_s"].as_f64().unwrap();
        assert!((r - rate).abs() / rate < 0.10, "rate {r} vs {rate}");
        checked += 1;
    }
    assert_eq!(checked, 6);
    // The others were sampled too, and did not grow.
    let other = lines
        .iter()
        .rfind(|l| l["host"] == "sdw2" && l["mount"] == "/data1")
        .unwrap();
    assert_eq!(other["above_plan"], false, "{other}");

    // The HTML written at Ctrl-C charts sdw1:/data1, and the log replays into the same charts.
    let live = std::fs::read_to_string(&html).unwrap();
    assert!(
        live.contains("sdw1:/data1"),
        "the growing filesystem is charted"
    );
    let replayed = s.dir.path().join("replayed.html");
    let o = whpg(&s.args(&[
        "--replay",
        log.to_str().unwrap(),
        "--html",
        replayed.to_str().unwrap(),
        "--window",
        "4",
    ]));
    assert!(
        o.status.code().is_some_and(|c| c == 6 || c == 4),
        "{}",
        text(&o)
    );
    let replayed = std::fs::read_to_string(&replayed).unwrap();
    let (a, b) = (figures(&live), figures(&replayed));
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "a replayed chart differs from the live one");
    }
}

#[test]
fn a_host_that_goes_down_is_stale_then_fresh_again() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = stage();
    let log = s.dir.path().join("watch.jsonl");
    let mut w = Watching::start(&s.args(&[
        "--phase",
        "backup",
        "--interval",
        "0.5",
        "--log",
        log.to_str().unwrap(),
    ]));
    w.wait_for(&["sdw2:/data1"], Duration::from_secs(30));
    s.bed.stop_host(3);
    let stale = w.wait_for(&["sdw2:/data1", "stale"], Duration::from_secs(20));
    assert!(
        !stale.contains("used –"),
        "the last value is shown: {stale}"
    );
    // While it is down, a --once run says a host could not be sampled.
    let o = whpg(&s.args(&["--once", "--phase", "backup"]));
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("sdw2:/data1"), "{}", text(&o));
    s.bed.restart_host(3);
    let t = Instant::now();
    // Fresh again, without restarting watch: a non-stale sdw2 line after the outage.
    loop {
        let lines = log_lines(&log);
        let sdw2: Vec<&Value> = lines.iter().filter(|l| l["host"] == "sdw2").collect();
        let first_stale = sdw2.iter().position(|l| l["stale"] == true);
        if let Some(i) = first_stale
            && sdw2[i..].iter().any(|l| l["stale"] == false)
        {
            // The stale lines kept the last value and said why.
            assert!(sdw2[i]["used"].as_u64().is_some(), "{}", sdw2[i]);
            assert!(sdw2[i]["error"].is_string(), "{}", sdw2[i]);
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(40),
            "sdw2 did not come back fresh: {:?}",
            sdw2.iter().rev().take(3).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // The other hosts were never stale.
    let lines = log_lines(&log);
    assert!(
        lines
            .iter()
            .filter(|l| l["host"] == "sdw1")
            .all(|l| l["stale"] == false)
    );
    let (code, _) = w.interrupt(Duration::from_secs(10));
    assert!(code == 0 || code == 6, "exit {code}");
}

#[test]
fn once_exit_codes_on_plan_and_over_the_limit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = stage();
    let o = whpg(&s.args(&["--once", "--phase", "backup"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("on plan"), "{}", text(&o));
    // Fill sdw1:/data1 past its limit.
    let (limit, _) = s.planned("sdw1", "/data1");
    let path = s.bed.host_path(2, "/data1/filler");
    let df = s.bed.ssh(2, "df -B1 --output=used /data1");
    let used = String::from_utf8_lossy(&df.stdout);
    let used: u64 = used
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("df on sdw1: {}", text(&df)))
        .trim()
        .parse()
        .unwrap();
    std::fs::write(&path, vec![1u8; (limit - used + 2 * MIB) as usize]).unwrap();
    let o = whpg(&s.args(&["--once", "--phase", "backup"]));
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    let line = out.lines().find(|l| l.contains("sdw1:/data1")).unwrap();
    assert!(line.contains("OVER LIMIT"), "{line}");
    // A phase the plan does not have is a usage error naming the phases.
    let o = whpg(&s.args(&["--once", "--phase", "compile"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("\"restore\""), "{}", text(&o));
}

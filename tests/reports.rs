//! The review files: HTML opened in a real headless Chromium, PNG charts
//! decoded, and a 1,000-host cluster rendered in every format.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn whpg(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_whpg-plan"));
    c.args(args).env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn report(inventory: &Path, dir: &Path, extra: &[&str]) -> Output {
    let html = dir.join("report.html");
    let png = dir.join("png");
    let md = dir.join("ticket.md");
    let json = dir.join("result.json");
    let mut args = vec![
        "report",
        inventory.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    // fontconfig pointed at an empty configuration: text must not need it.
    let empty = dir.join("fonts-empty.conf");
    std::fs::write(
        &empty,
        "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n",
    )
    .unwrap();
    whpg(
        &args,
        &[
            ("FONTCONFIG_FILE", empty.to_str().unwrap()),
            ("FONTCONFIG_PATH", dir.to_str().unwrap()),
        ],
    )
}

/// Share of pixels that are not (near) white, and the number of distinct colours.
fn ink(img: &image::RgbImage) -> (f64, usize) {
    let mut colours = std::collections::HashSet::new();
    let mut inked = 0usize;
    for p in img.pixels() {
        if p.0.iter().any(|&c| c < 235) {
            inked += 1;
        }
        if colours.len() < 10_000 {
            colours.insert(p.0);
        }
    }
    (
        inked as f64 / (img.width() * img.height()) as f64,
        colours.len(),
    )
}

#[test]
fn pngs_decode_are_large_enough_and_carry_text_without_system_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let o = report(&sample("needs-delete-and-reinit.yaml"), dir.path(), &[]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("png"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "composition.png",
            "filesystem-peaks.png",
            "phase-times.png",
            "plan-comparison.png",
            "timeline.png"
        ]
    );
    for n in &names {
        let img = image::open(dir.path().join("png").join(n))
            .unwrap()
            .to_rgb8();
        assert!(
            img.width() >= 1000 && img.height() >= 600,
            "{n}: {}x{}",
            img.width(),
            img.height()
        );
        let (share, colours) = ink(&img);
        assert!(
            share > 0.02 && colours > 8,
            "{n} looks blank: {share} inked, {colours} colours"
        );
        // The caption band (top 45 px, middle half) holds dark glyph pixels: text was drawn.
        let dark = (5..45)
            .flat_map(|y| (img.width() / 4..img.width() * 3 / 4).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 90))
            .count();
        assert!(dark > 150, "{n}: no caption text ({dark} dark pixels)");
    }
}

#[test]
fn html_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let o = report(
        &sample("fits-side-by-side.yaml"),
        dir.path(),
        &["--rate", "1GB"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "a network reference in the HTML"
    );
    assert!(!html.contains("<script"), "no scripts");
    assert!(html.contains("<svg"), "inline charts");
    // Composition, peaks, plan comparison, timeline, and the phases in time.
    assert_eq!(html.matches("<figure>").count(), 5);
    // The verdict and the recommendation come first, before any chart.
    let v = html.find("Verdict: FITS").unwrap();
    assert!(v < html.find("<svg").unwrap());
    assert!(html.contains("Recommended plan: side-by-side"));
    // With --rate 1GB: the 6.05 TB CSV backup takes 6050 s = 1 h 40 min.
    assert!(html.contains("about 1 h 40 min"), "durations from --rate");
    let md = std::fs::read_to_string(dir.path().join("ticket.md")).unwrap();
    // The backup step names its environment and says how its duration was
    // computed: 6050 s ± 25% = 4537 s (1 h 15 min) – 7563 s (2 h 06 min).
    assert!(
        md.contains(
            "[6 environment] Back up every database\n   _about 1 h 40 min (1 h 15 min – 2 h 06 min): 6.0 TB CSV at 1 GB/s (--rate)_"
        ),
        "{md}"
    );
}

#[test]
fn html_loads_in_headless_chromium_without_network_or_console_errors() {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "this test needs Debian's chromium: apt-get install -y chromium (.ci/run does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let o = report(&sample("needs-delete-and-reinit.yaml"), dir.path(), &[]);
    assert_eq!(o.status.code(), Some(3));
    // Every HTTP(S) request Chromium makes goes to this proxy; the page must make none.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = proxy.local_addr().unwrap().port();
    proxy.set_nonblocking(true).unwrap();
    let hits = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (h, s) = (hits.clone(), stop.clone());
    let watcher = std::thread::spawn(move || {
        while !s.load(Ordering::SeqCst) {
            if let Ok((mut c, _)) = proxy.accept() {
                let mut buf = [0u8; 512];
                let _ = c.set_read_timeout(Some(Duration::from_millis(300)));
                let n = c.read(&mut buf).unwrap_or(0);
                let line = String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                h.lock().unwrap().push(line);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let url = format!("file://{}", dir.path().join("report.html").display());
    let out = Command::new("timeout")
        .args([
            "--kill-after=5",
            "90",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .args([
            "--disable-default-apps",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args([
            "--disable-client-side-phishing-detection",
            "--disable-domain-reliability",
            "--no-pings",
        ])
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        .arg("--proxy-bypass-list=<-loopback>")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1280,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {log}");
    // Chromium's own background calls (clock, component updater, accounts) go
    // to Google's service hosts whatever the page is; any other target would
    // come from the page.
    let requests = hits.lock().unwrap().clone();
    let browser_own = |line: &str| {
        let target = line.split_whitespace().nth(1).unwrap_or("");
        let host = target
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        let host = host.split(['/', ':']).next().unwrap_or("");
        ["google.com", "googleapis.com", "gstatic.com", "gvt1.com"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    };
    let from_page: Vec<&String> = requests.iter().filter(|l| !browser_own(l)).collect();
    assert!(
        from_page.is_empty(),
        "the page made network requests: {from_page:?}"
    );
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let img = image::open(&shot).unwrap().to_rgb8();
    let (share, colours) = ink(&img);
    assert!(
        share > 0.05 && colours > 16,
        "screenshot looks blank: {share} inked, {colours} colours"
    );
}

#[test]
fn incomplete_inventories_render_without_plan_charts() {
    let dir = tempfile::tempdir().unwrap();
    let o = report(&sample("incomplete.yaml"), dir.path(), &[]);
    assert_eq!(o.status.code(), Some(5));
    let pngs: Vec<_> = std::fs::read_dir(dir.path().join("png")).unwrap().collect();
    assert_eq!(pngs.len(), 1, "only the composition chart");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("Not measured") && html.contains("sdw3"));
}

#[test]
fn a_thousand_host_cluster_renders_every_output() {
    use whpg_plan::synth::{SynthSpec, synth_inventory};
    let spec = SynthSpec {
        hosts: 1000,
        primaries_per_host: 8,
        filesystems_per_host: 2,
        ..Default::default()
    };
    let inv = synth_inventory(&spec);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    whpg_plan::inventory::save(&inv, &path).unwrap();
    let o = report(&path, dir.path(), &[]);
    assert!(
        matches!(o.status.code(), Some(0 | 3 | 4)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let html = std::fs::metadata(dir.path().join("report.html"))
        .unwrap()
        .len();
    assert!(html < 5 * 1024 * 1024, "HTML is {html} bytes");
    let text = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        text.contains("tightest 20 of 2001 filesystems") || text.contains("of 2001 filesystems"),
        "note on the chart's selection"
    );
    // Large clusters get the headroom histogram.
    assert!(dir.path().join("png/headroom.png").exists());
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("result.json")).unwrap()).unwrap();
    assert_eq!(json["cluster"]["segment_hosts"], 1000);
    let md = std::fs::read_to_string(dir.path().join("ticket.md")).unwrap();
    assert!(md.contains("## Steps of"));
    let o = whpg(&["estimate", path.to_str().unwrap()], &[]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("and 19"),
        "the table lists the tightest and counts the rest"
    );
}

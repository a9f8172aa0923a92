//! The time model's evidence read by `collect` on the real test bed
//! (tests/bed): a gpbackup stand-in that writes its data files at a throttled,
//! known rate and a report file in gpbackup's format, which the history
//! reader must turn back into that rate; the host cores; and the opt-in
//! `--measure-io` probe. Needs root (see tests/bed/mod.rs).

mod bed;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bed::{Bed, standard_spec, text};
use whpg_plan::inventory::{HostStatus, Inventory};

const MIB: u64 = 1 << 20;

/// The stand-in's pace: each primary appends one chunk per interval to its
/// data files, for `CHUNKS` intervals (40 s, so the report's whole-second
/// duration is off by at most 1/40 = 2.5%).
const CHUNK: u64 = MIB;
const INTERVAL: Duration = Duration::from_secs(1);
const CHUNKS: u32 = 40;

/// `YYYYMMDDHHMMSS` (UTC) of a Unix time: gpbackup's timestamp key.
fn timestamp(secs: u64) -> String {
    whpg_plan::units::rfc3339(secs)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// `Mon Jan 02 2006 15:04:05` (gpbackup's start/end time format) of a Unix time.
fn clock(secs: u64) -> String {
    let o = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%a %b %d %Y %H:%M:%S"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A report file laid out as gpbackup's report.go writes it (keys padded to
/// the longest, "includes statistics:", plus 3; a blank line after the
/// version, whose value ends in a newline; the object counts last).
fn gpbackup_report(ts: &str, start: u64, end: u64, status: &str, segments: usize) -> String {
    let pad = |k: &str, v: &str| format!("{k:<23}{v}\n");
    let d = end - start;
    let mut s = String::from("Greenplum Database Backup Report\n\n");
    s += &pad("timestamp key:", ts);
    s += &pad(
        "gpdb version:",
        "6.26.1 build commit:4b2fc4a6ef5a85a6e1c0bd4bb9cb3c85c30a1bcd",
    );
    s += &pad("gpbackup version:", "1.30.5\n");
    s += &pad("database name:", "sales");
    s += &pad(
        "command line:",
        "gpbackup --dbname sales --compression-type gzip --compression-level 1",
    );
    s += &pad("compression:", "gzip");
    s += &pad("plugin executable:", "None");
    s += &pad("backup section:", "All Sections");
    s += &pad("object filtering:", "None");
    s += &pad("includes statistics:", "No");
    s += &pad("data file format:", "Multiple Data Files Per Segment");
    s += &pad("incremental:", "False");
    s += "\n";
    s += &pad("start time:", &clock(start));
    s += &pad("end time:", &clock(end));
    s += &pad(
        "duration:",
        &format!("{}:{:02}:{:02}", d / 3600, d / 60 % 60, d % 60),
    );
    s += "\n";
    s += &pad("backup status:", status);
    if status == "Failure" {
        s += &pad(
            "backup error:",
            "ERROR: canceling statement due to user request",
        );
    }
    s += "\n";
    s += &pad("database size:", "211 MB");
    s += &pad("segment count:", &segments.to_string());
    s += "\ncount of database objects in backup:\naggregates                 0\ncasts                      0\ntables                     7\n";
    s
}

fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn cores_here() -> u32 {
    let o = std::process::Command::new("getconf")
        .arg("_NPROCESSORS_ONLN")
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

#[test]
fn a_throttled_backup_is_read_back_as_its_rate() {
    let mut spec = standard_spec(2, 96 * MIB);
    spec.tablespace = None;
    let bed = Bed::start(spec);
    let primaries: Vec<(i32, usize, String)> = bed
        .spec
        .instances
        .iter()
        .filter(|i| i.role == 'p' && i.content >= 0)
        .map(|i| (i.content, i.host, i.datadir.clone()))
        .collect();

    // The stand-in: gpbackup takes its timestamp (whole seconds), then every
    // segment writes its data files at once, here one chunk per interval each,
    // paced against its own clock; the report gets the true end.
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ts = timestamp(start);
    let day = &ts[..8];
    let writers: Vec<_> = primaries
        .iter()
        .map(|(c, h, datadir)| {
            let dir = bed.host_path(*h, &format!("{datadir}/backups/{day}/{ts}"));
            let (c, ts) = (*c, ts.clone());
            std::thread::spawn(move || {
                std::fs::create_dir_all(&dir).unwrap();
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ c as u64;
                let chunk: Vec<u8> = (0..CHUNK)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                let t0 = Instant::now();
                for k in 0..CHUNKS {
                    let f = dir.join(format!("gpbackup_{c}_{ts}_{}.gz", 16384 + k % 4));
                    let mut out = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(f)
                        .unwrap();
                    out.write_all(&chunk).unwrap();
                    let due = t0 + INTERVAL * (k + 1);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let end = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let coordinator = "/data1/master/gpseg-1";
    write_file(
        &bed.host_path(
            0,
            &format!("{coordinator}/backups/{day}/{ts}/gpbackup_{ts}_report"),
        ),
        &gpbackup_report(&ts, start, end, "Success", primaries.len()),
    );
    // An older failed backup written with --backup-dir /data2/bk, and a
    // report file that is not gpbackup's.
    let failed = "20261102000000";
    write_file(
        &bed.host_path(
            0,
            &format!("/data2/bk/gpseg-1/backups/20261102/{failed}/gpbackup_{failed}_report"),
        ),
        &gpbackup_report(
            failed,
            1_793_577_600,
            1_793_577_725,
            "Failure",
            primaries.len(),
        ),
    );
    write_file(
        &bed.host_path(
            0,
            &format!(
                "{coordinator}/backups/20261101/20261101000000/gpbackup_20261101000000_report"
            ),
        ),
        "this is not a gpbackup report\n",
    );

    let (o, inv, _dir) = bed::collect(&bed, &["--previous-backup-dir", "/data2/bk"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let inv: Inventory = inv.unwrap();
    let h = &inv.backup_history;
    assert_eq!(h.len(), 2, "{h:#?}");
    let (r, f) = (&h[0], &h[1]);
    assert_eq!(
        (r.timestamp.as_str(), r.status.as_str()),
        (ts.as_str(), "Success")
    );
    assert_eq!(
        r.path,
        format!("cdw:{coordinator}/backups/{day}/{ts}/gpbackup_{ts}_report")
    );
    assert_eq!(
        (r.compression.as_str(), r.section.as_str()),
        ("gzip", "All Sections")
    );
    assert_eq!(r.segment_count as usize, primaries.len());
    assert_eq!(r.database_size_bytes, Some(211 * MIB));
    // Every content's files, to the byte (find's %s is the file size).
    let written = primaries.len() as u64 * CHUNKS as u64 * CHUNK;
    assert_eq!(r.data_bytes, Some(written));
    let throttled = primaries.len() as f64 * CHUNK as f64 / INTERVAL.as_secs_f64();
    let read = r.data_bytes.unwrap() as f64 / r.duration_seconds as f64;
    eprintln!(
        "throttled rate {:.0} B/s ({} contents × {CHUNK} B per {:?}), read back {read:.0} B/s ({} B in {} s): {:+.2}%",
        throttled,
        primaries.len(),
        INTERVAL,
        r.data_bytes.unwrap(),
        r.duration_seconds,
        (read / throttled - 1.0) * 100.0
    );
    assert!(
        (read / throttled - 1.0).abs() <= 0.05,
        "read back {read:.0} B/s, throttled {throttled:.0} B/s"
    );
    // The failed backup: its status kept, no data files of its timestamp.
    assert_eq!(
        (f.timestamp.as_str(), f.status.as_str()),
        (failed, "Failure")
    );
    assert_eq!(f.duration_seconds, 125);
    assert_eq!(f.data_bytes, None);
    assert!(
        f.path.starts_with("cdw:/data2/bk/gpseg-1/backups/"),
        "{}",
        f.path
    );
    // The garbage report is a warning naming where it is, not an abort.
    assert!(
        inv.warnings.iter().any(|w| w.contains(
            "cdw:/data1/master/gpseg-1/backups/20261101/20261101000000/gpbackup_20261101000000_report"
        ) && w.contains("skipped")),
        "{:#?}",
        inv.warnings
    );
    // Every host's cores (the bed's hosts share this machine's).
    for host in &inv.hosts {
        assert_eq!(host.status, HostStatus::Ok);
        assert_eq!(host.cpus, Some(cores_here()), "{}", host.name);
    }
}

#[test]
fn measure_io_measures_removes_its_file_and_skips_full_filesystems() {
    let bed = Bed::start(standard_spec(1, 64 * MIB));
    // sdw1's /data2 nearly full: two instances and their tablespace
    // directories (about 18 MiB) and 36 MiB more of its 64.
    let sdw1 = bed.spec.hosts.iter().position(|h| h == "sdw1").unwrap();
    write_file(
        &bed.host_path(sdw1, "/data2/filler"),
        &"x".repeat(36 * MIB as usize),
    );
    let file = 5 * MIB;
    let (o, inv, _dir) = bed::collect(
        &bed,
        &[
            "--measure-io",
            "--measure-io-bytes",
            "5MiB",
            "--extra-path",
            "/tmp",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--measure-io: writing")
            && stderr.contains("the one measurement that writes"),
        "{stderr}"
    );
    let inv = inv.unwrap();
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.contains("--measure-io wrote")),
        "{:#?}",
        inv.warnings
    );
    let skipped = |host: &str, mount: &str| {
        inv.warnings.iter().any(|w| {
            w.contains(&format!("host {host} filesystem {mount} not measured"))
                && w.contains("bytes available")
        })
    };
    for h in &inv.hosts {
        for fs in &h.filesystems {
            // /: the hosts' 16 MiB root tmpfs, less than 4 × 5 MiB free.
            let full = fs.mount == "/" || (h.name == "sdw1" && fs.mount == "/data2");
            let holds_data = inv
                .instances
                .iter()
                .any(|i| i.host == h.name && i.mount.as_deref() == Some(fs.mount.as_str()));
            if full {
                assert_eq!(fs.io, None, "{} {}", h.name, fs.mount);
                assert!(
                    skipped(&h.name, &fs.mount),
                    "{} {}: {:#?}",
                    h.name,
                    fs.mount,
                    inv.warnings
                );
            } else if holds_data {
                let io = fs.io.as_ref().unwrap_or_else(|| {
                    panic!("{} {} not measured: {:#?}", h.name, fs.mount, inv.warnings)
                });
                assert_eq!(io.bytes, file);
                assert!(io.write_bytes_per_second > 0.0 && io.read_bytes_per_second > 0.0);
                eprintln!(
                    "{} {}: write {:.0} MB/s, read {:.0} MB/s",
                    h.name,
                    fs.mount,
                    io.write_bytes_per_second / 1e6,
                    io.read_bytes_per_second / 1e6
                );
            }
        }
    }
    // Nothing left behind: no .whpg-plan-io file anywhere on any host.
    for h in 0..bed.spec.hosts.len() {
        let root = bed.host_path(h, "/");
        let o = std::process::Command::new("find")
            .arg(&root)
            .args(["-xdev", "-name", ".whpg-plan-io.*"])
            .output()
            .unwrap();
        let o2 = std::process::Command::new("find")
            .args([bed.host_path(h, "/data1"), bed.host_path(h, "/data2")])
            .args(["-name", ".whpg-plan-io.*"])
            .output()
            .unwrap();
        assert!(o.status.success() && o2.status.success());
        let left = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o2.stdout)
        );
        assert!(
            left.is_empty(),
            "{}: left behind: {left}",
            bed.spec.hosts[h]
        );
    }
}

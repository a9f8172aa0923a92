//! `collect` against the real test bed (tests/bed): sshd hosts in namespaces
//! with tmpfs filesystems, and a PostgreSQL coordinator with a GP6-shaped
//! catalog. Needs root and openssh-server; fails saying what to install.

mod bed;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use bed::{Bed, BedInstance, InstanceLayout, standard_spec, text, whpg};
use whpg_plan::inventory::{HostStatus, Inventory, StorageKind, load};

const MIB: u64 = 1 << 20;

/// `bed::collect`, timed.
fn collect(bed: &Bed, extra: &[&str]) -> (Output, Option<Inventory>, tempfile::TempDir, Duration) {
    let start = Instant::now();
    let (o, inv, dir) = bed::collect(bed, extra);
    (o, inv, dir, start.elapsed())
}

fn estimate(inv: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["estimate".to_string(), inv.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    whpg(&args)
}

#[test]
fn collects_the_standard_bed_exactly() {
    let bed = Bed::start(standard_spec(4, 64 * MIB));
    let (o, inv, _d, _) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let inv = inv.expect("inventory written");
    assert_eq!(inv.source.version, "6.26.1");
    assert_eq!(inv.hosts.len(), 6);
    for h in &inv.hosts {
        assert_eq!(h.status, HostStatus::Ok, "{}: {:?}", h.name, h.error);
        let fs = |m: &str| {
            h.filesystems
                .iter()
                .find(|f| f.mount == m)
                .unwrap_or_else(|| panic!("{} {m}", h.name))
        };
        // tmpfs reports its size= exactly.
        assert_eq!(fs("/data1").total_bytes, 64 * MIB, "{}", h.name);
        assert_eq!(fs("/data1").fs_type.as_deref(), Some("tmpfs"));
        assert_eq!(fs("/").total_bytes, 16 * MIB, "{}", h.name);
        if h.name.starts_with("sdw") {
            assert_eq!(fs("/data2").total_bytes, 64 * MIB, "{}", h.name);
        }
    }
    // Every instance within one 4 KiB block per file of what the bed wrote.
    for b in &bed.spec.instances {
        let i = inv.instances.iter().find(|i| i.dbid == b.dbid).unwrap();
        let got = i
            .bytes
            .unwrap_or_else(|| panic!("dbid {} not measured: {:?}", b.dbid, i.error));
        let (data, wal, logs, other, ts) = b.expected();
        let slack = 4096 * b.files();
        for (what, g, e) in [
            ("data", got.data, data),
            ("wal", got.wal, wal),
            ("logs", got.logs, logs),
            ("other", got.other, other),
        ] {
            assert!(
                g.abs_diff(e) <= slack,
                "dbid {} {what}: measured {g}, bed wrote {e}",
                b.dbid
            );
        }
        assert_eq!(got.backups, 0);
        let t = &i.tablespaces[0];
        assert!(
            t.bytes.unwrap().abs_diff(ts) <= 4096 * b.layout.tablespace_files.len() as u64,
            "dbid {} ts",
            b.dbid
        );
        assert_eq!(t.mount.as_deref(), Some("/data2"));
        assert_eq!(t.location, "/data2/ts_fast");
        let expected_mount = if b.datadir.starts_with("/data2") {
            "/data2"
        } else {
            "/data1"
        };
        assert_eq!(i.mount.as_deref(), Some(expected_mount));
    }
    // Composition from the catalog: external table and empty partition parent left out.
    let comp = inv.composition.as_ref().unwrap();
    assert_eq!(comp.databases.len(), 1, "{comp:?}");
    let sales = &comp.databases[0];
    assert_eq!(sales.name, "sales");
    let kind = |k: StorageKind| sales.storage.iter().find(|s| s.kind == k).unwrap();
    // Heap: orders and the four leaves of the three-level GP6 partitioned table
    // `ledger`; its root and two intermediate levels (empty relkind 'r' parents)
    // and the leafless partition root sales_parent are not counted.
    assert_eq!(kind(StorageKind::Heap).tables, Some(5));
    assert_eq!(
        kind(StorageKind::Heap).rows,
        Some(20000 + 1000 + 2000 + 3000 + 4000)
    );
    let names: Vec<&str> = sales.tables.iter().map(|t| t.name.as_str()).collect();
    assert!(
        !names
            .iter()
            .any(|n| *n == "ledger" || *n == "ledger_1_prt_2025" || *n == "sales_parent"),
        "{names:?}"
    );
    assert!(kind(StorageKind::Heap).index_bytes > 0);
    let ao = kind(StorageKind::AoRow);
    assert_eq!(ao.tables, Some(1));
    // Analyzed AO tables need no get_ao_compression_ratio (a cluster-wide call
    // per table): their CSV comes from statistics, their uncompressed size is not read.
    assert_eq!(ao.uncompressed_bytes, None);
    assert_eq!(
        ao.csv_estimated_from,
        Some(whpg_plan::inventory::EstimateSource::Stats)
    );
    // Bytes per content from the one distributed query: every kind's bytes are
    // split over the contents, and sum to the kind's total.
    for s in &sales.storage {
        assert_eq!(
            s.per_content.iter().map(|c| c.bytes).sum::<u64>(),
            s.on_disk_bytes,
            "{:?}",
            s.kind
        );
    }
    // The catalog's own view of the table sizes matches what was recorded.
    let sizes: serde_json::Value = serde_json::from_str(bed.sales_sizes().trim()).unwrap();
    let size_of = |name: &str| {
        sizes
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["relname"] == name)
            .unwrap()["b"]
            .as_u64()
            .unwrap()
    };
    let orders = sales.tables.iter().find(|t| t.name == "orders").unwrap();
    assert_eq!(orders.on_disk_bytes, size_of("orders"));

    // The collected inventory is a valid input for estimate.
    let p = _d.path().join("inventory.yaml");
    let e = estimate(
        &p,
        &[
            "--catalog-overhead",
            "1MB",
            "--wal-overhead",
            "4MB",
            "--format",
            "json",
        ],
    );
    assert!(matches!(e.status.code(), Some(0 | 3 | 4)), "{}", text(&e));
}

/// 2 segment hosts (sdw1, sdw2) plus coordinator and standby: the fault beds.
fn small_spec() -> bed::BedSpec {
    standard_spec(2, 48 * MIB)
}

/// The checks every fault shares: exit 5, the faulty host recorded with a reason
/// containing `reason`, every other host measured, estimate exits 5, and the
/// run took no longer than `limit`.
fn assert_fault(bed: &Bed, extra: &[&str], host: &str, reason: &str, limit: Duration) {
    let (o, inv, dir, took) = collect(bed, extra);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    let inv = inv.expect("the inventory is written even when a host fails");
    for h in &inv.hosts {
        if h.name == host {
            assert_eq!(h.status, HostStatus::Failed, "{host}");
            let e = h.error.as_deref().unwrap();
            assert!(e.contains(reason), "{host}: expected '{reason}' in '{e}'");
            assert!(e.contains(host), "the reason names the host: {e}");
        } else {
            assert_eq!(h.status, HostStatus::Ok, "{}: {:?}", h.name, h.error);
        }
    }
    eprintln!(
        "{host}: took {took:?}: {:?}",
        inv.hosts
            .iter()
            .find(|h| h.name == host)
            .and_then(|h| h.error.clone())
    );
    assert!(took <= limit, "collection took {took:?}, limit {limit:?}");
    let e = estimate(&dir.path().join("inventory.yaml"), &[]);
    assert_eq!(e.status.code(), Some(5), "{}", text(&e));
    assert!(text(&e).contains(host));
}

#[test]
fn a_host_whose_sshd_is_stopped() {
    let mut bed = Bed::start(small_spec());
    bed.stop_host(3);
    assert_fault(
        &bed,
        &["--connect-timeout", "3"],
        "sdw2",
        "Connection refused",
        Duration::from_secs(10),
    );
}

#[test]
fn a_host_key_that_does_not_match_known_hosts() {
    let bed = Bed::start(small_spec());
    bed.corrupt_known_host(3);
    assert_fault(&bed, &[], "sdw2", "does not match", Duration::from_secs(10));
}

#[test]
fn a_host_where_every_command_hangs() {
    let mut spec = small_spec();
    spec.sshd_extra.push((3, "ForceCommand sleep 600".into()));
    let bed = Bed::start(spec);
    assert_fault(
        &bed,
        &["--command-timeout", "2"],
        "sdw2",
        "timed out",
        Duration::from_secs(2 + 6),
    );
}

#[test]
fn a_listener_that_never_speaks_ssh() {
    let mut bed = Bed::start(small_spec());
    bed.make_silent(3);
    assert_fault(
        &bed,
        &["--connect-timeout", "2"],
        "sdw2",
        "handshake",
        Duration::from_secs(2 + 6),
    );
}

#[test]
fn a_connection_sshd_drops_before_auth_is_retried() {
    // MaxStartups 1:100:1: while one unauthenticated connection is open, sshd
    // drops every other one at once, as a busy sshd does under a burst.
    let mut spec = small_spec();
    spec.sshd_extra.push((3, "MaxStartups 1:100:1".into()));
    spec.sshd_extra.push((3, "LogLevel INFO".into()));
    let bed = std::sync::Arc::new(Bed::start(spec));
    let addr: std::net::SocketAddr = format!("{}:22", bed.addresses[3]).parse().unwrap();
    let held = std::net::TcpStream::connect(addr).unwrap();
    // Hold the slot until sshd has dropped the collector's first attempt, then free it.
    let watcher = {
        let bed = bed.clone();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while !bed.host_log(3).contains("past MaxStartups")
                && start.elapsed() < Duration::from_secs(30)
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            drop(held);
            bed.host_log(3).contains("past MaxStartups")
        })
    };
    let (o, inv, _d, _) = collect(&bed, &[]);
    let dropped = watcher.join().unwrap();
    assert!(
        dropped,
        "sshd never dropped a connection: {}",
        bed.host_log(3)
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        inv.unwrap()
            .hosts
            .iter()
            .all(|h| h.status == HostStatus::Ok)
    );
}

#[test]
fn a_data_directory_the_ssh_user_cannot_read() {
    let mut spec = small_spec();
    spec.unreadable.push((2, "/data1/primary/gpseg0".into()));
    let bed = Bed::start(spec);
    // Log in as an unprivileged user, as gpadmin would (root reads everything).
    let (o, inv, dir, _) = collect(&bed, &["--ssh-user", "gpadmin"]);
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    let inv = inv.unwrap();
    assert!(
        inv.hosts.iter().all(|h| h.status == HostStatus::Ok),
        "{:?}",
        inv.hosts
    );
    let i = inv
        .instances
        .iter()
        .find(|i| i.datadir == "/data1/primary/gpseg0")
        .unwrap();
    assert!(i.bytes.is_none());
    assert!(
        i.error.as_deref().unwrap().contains("Permission denied"),
        "{:?}",
        i.error
    );
    // Every other instance was measured.
    assert_eq!(
        inv.instances.iter().filter(|i| i.bytes.is_none()).count(),
        1
    );
    let e = estimate(&dir.path().join("inventory.yaml"), &[]);
    assert_eq!(e.status.code(), Some(5));
    assert!(
        text(&e).contains("/data1/primary/gpseg0") && text(&e).contains("Permission denied"),
        "{}",
        text(&e)
    );
}

#[test]
fn a_datadir_with_shell_syntax_is_measured_not_executed() {
    let pwned = Path::new("/tmp/whpg-pwned");
    let _ = std::fs::remove_file(pwned);
    let mut spec = small_spec();
    let evil = "/data1/mirror/$(touch /tmp/whpg-pwned);x";
    spec.instances.push(BedInstance {
        dbid: 99,
        content: 0,
        role: 'm',
        host: 3,
        port: 7100,
        datadir: evil.into(),
        layout: InstanceLayout::default(),
        catalog_only: true,
    });
    let bed = Bed::start(spec);
    let (o, inv, _d, _) = collect(&bed, &[]);
    let inv = inv.unwrap_or_else(|| panic!("{}", text(&o)));
    let i = inv.instances.iter().find(|i| i.dbid == 99).unwrap();
    assert_eq!(i.datadir, evil);
    assert!(
        i.error.as_deref().unwrap().contains("does not exist"),
        "{:?}",
        i.error
    );
    assert!(!pwned.exists(), "the machine's /tmp");
    for h in 0..bed.spec.hosts.len() {
        assert!(
            !bed.host_path(h, "/tmp/whpg-pwned").exists(),
            "host {h}'s /tmp"
        );
    }
}

/// `estimate --coordinator` on the bed with overheads scaled to its MB-sized data, as JSON.
fn estimate_from_bed(bed: &Bed) -> Output {
    let mut args = vec!["estimate".to_string(), "--ssh-user".into(), "root".into()];
    args.extend(bed.collect_args());
    args.extend(
        [
            "--catalog-overhead",
            "1MB",
            "--wal-overhead",
            "4MB",
            "--format",
            "json",
        ]
        .map(String::from),
    );
    whpg(&args)
}

#[test]
fn collect_then_estimate_fits_side_by_side() {
    let bed = Bed::start(standard_spec(2, 64 * MIB));
    let o = estimate_from_bed(&bed);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["recommended_plan"], "side-by-side");
    // Hand check on sdw1:/data1 (64 MiB, limit 0.9 × 64 MiB = 60,397,977 bytes):
    // today one primary + one mirror of ~7.4 MB each (the bed's files), then the
    // new primary + mirror (~5.2 MB of data each) + 2 × 5 MB overheads + a tiny backup.
    let side = &v["plans"][0];
    let f = side["filesystems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["host"] == "sdw1" && f["mount"] == "/data1")
        .unwrap();
    assert_eq!(f["limit_bytes"], 60_397_977u64);
    let used = f["used_bytes"].as_u64().unwrap();
    let peak = f["peak_bytes"].as_u64().unwrap();
    let new_data = 2 * bed.spec.instances[2].expected().0;
    let overheads = 2 * 5_000_000;
    assert!(
        peak >= used + new_data + overheads,
        "{peak} < {used} + {new_data} + {overheads}"
    );
    assert!(
        peak <= used + new_data + overheads + 2 * MIB,
        "backup share is small here: {peak}"
    );
}

#[test]
fn collect_then_estimate_needs_delete_and_reinit() {
    // 30 MiB filesystems: today ~15 MB each; side by side needs ~35 MB > 27 MB limit;
    // a backup to one directory, gpdeletesystem, and a rebuild fits.
    let bed = Bed::start(standard_spec(2, 30 * MIB));
    let o = estimate_from_bed(&bed);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "fits-destructive");
    assert!(
        v["recommended_plan"]
            .as_str()
            .unwrap()
            .starts_with("delete-and-reinit")
    );
    assert_eq!(v["plans"][0]["fits"], false);
}

#[test]
fn the_openssh_transport_measures_the_same() {
    let bed = Bed::start(standard_spec(2, 48 * MIB));
    let (o1, inv1, _d1, _) = collect(&bed, &[]);
    let (o2, inv2, _d2, _) = collect(&bed, &["--transport", "openssh"]);
    assert_eq!(o1.status.code(), Some(0), "{}", text(&o1));
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    let (a, b) = (inv1.unwrap(), inv2.unwrap());
    assert_eq!(a.hosts, b.hosts);
    for (x, y) in a.instances.iter().zip(&b.instances) {
        assert_eq!(x.bytes, y.bytes, "dbid {}", x.dbid);
    }
}

#[test]
fn an_earlier_gpbackup_in_the_data_directories_calibrates_the_estimate() {
    let mut spec = small_spec();
    let ts = "20261101120000";
    for i in spec
        .instances
        .iter_mut()
        .filter(|i| i.role == 'p' && i.content >= 0)
    {
        let c = i.content;
        // Data files of two tables per content, one odd-sized, and a file that is not a data file.
        i.layout.backup_files = vec![
            (
                format!("20261101/{ts}/gpbackup_{c}_{ts}_16385.gz"),
                700_000 + c as u64,
            ),
            (format!("20261101/{ts}/gpbackup_{c}_{ts}_16390.gz"), 300_001),
            (format!("20261101/{ts}/gpbackup_{ts}_report"), 999),
        ];
    }
    let bed = Bed::start(spec);
    let (o, inv, dir, _) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let inv = inv.unwrap();
    for i in inv
        .instances
        .iter()
        .filter(|i| i.role == whpg_plan::inventory::Role::Primary && i.content >= 0)
    {
        assert_eq!(i.previous_backups.len(), 1, "dbid {}", i.dbid);
        let b = &i.previous_backups[0];
        assert_eq!(
            (b.timestamp.as_str(), b.codec.as_str(), b.files),
            (ts, "gzip", 2)
        );
        // find's %s is the exact file size: 700,000 + content + 300,001.
        assert_eq!(b.bytes, 1_000_001 + i.content as u64);
        assert!(
            i.bytes.unwrap().backups >= b.bytes,
            "du of backups/ holds the files"
        );
    }
    let e = estimate(
        &dir.path().join("inventory.yaml"),
        &[
            "--format",
            "json",
            "--catalog-overhead",
            "1MB",
            "--wal-overhead",
            "4MB",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    assert_eq!(v["backup"]["estimated_from"], "previous_backup");
    // 4 contents: 4 × 1,000,001 + (0 + 1 + 2 + 3).
    assert_eq!(v["backup"]["previous_backup"]["bytes"], 4_000_010u64);
}

#[test]
fn a_warehousepg_7_coordinator_is_read_with_the_7_catalog() {
    let mut spec = small_spec();
    spec.version = bed::WHPG7_VERSION.into();
    let bed = Bed::start(spec);
    let (o, inv, _d, _) = collect(&bed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let inv = inv.unwrap();
    assert_eq!(
        inv.source.product,
        whpg_plan::inventory::Product::Warehousepg
    );
    assert_eq!(inv.source.version, "7.5.0");
    // Storage kinds through relam → pg_am: the AO tables are recognised as such.
    let sales = &inv.composition.as_ref().unwrap().databases[0];
    let kinds: Vec<StorageKind> = sales.storage.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [StorageKind::Heap, StorageKind::AoRow, StorageKind::AoColumn]
    );
    // On 7, the stand-in external table is a heap table: relam-based SQL cannot see
    // GP6's relstorage 'x', and the leafless parent is an ordinary table (7 uses
    // relkind 'p'); the ledger's root and middle levels have children and are left out.
    let heap = sales
        .storage
        .iter()
        .find(|s| s.kind == StorageKind::Heap)
        .unwrap();
    assert_eq!(heap.tables, Some(3 + 4));
}

#[test]
fn ssh_config_host_user_and_identity_are_honoured() {
    let bed = Bed::start(small_spec());
    // A home whose ~/.ssh/config names the coordinator by an alias.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".ssh")).unwrap();
    std::fs::write(
        home.path().join(".ssh/config"),
        format!(
            "Host coordinator-alias\n  HostName {}\n  User root\n  IdentityFile {}\n",
            bed.addresses[0],
            bed.client_key.display()
        ),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inv.yaml");
    let o = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .args([
            "collect",
            "--coordinator",
            "coordinator-alias",
            "--pg-host",
            "127.0.0.1",
            "--pg-user",
            "postgres",
        ])
        .args([
            "--pg-port",
            &bed.pg_port.to_string(),
            "--known-hosts",
            &bed.known_hosts.display().to_string(),
        ])
        .arg("-o")
        .arg(&out)
        .env("HOME", home.path())
        .env("USER", "nobody-here")
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    // The coordinator (and so the catalog) was reached through the alias with the
    // config's user and key; the segment hosts, named by address in the catalog,
    // have no config entry and no key for user nobody-here, so they fail to authenticate.
    let inv = load(&out).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(inv.source.coordinator, "coordinator-alias");
    let sdw1 = inv.hosts.iter().find(|h| h.name == "sdw1").unwrap();
    assert!(
        sdw1.error.as_deref().unwrap_or("").contains("nobody-here"),
        "{:?}",
        sdw1.error
    );
}

#[test]
fn dry_run_prints_commands_and_connects_to_nothing() {
    // 127.0.0.0/8 address with nothing listening: a connection attempt would fail.
    let o = whpg(&["collect", "--coordinator", "127.0.0.254", "--dry-run"].map(String::from));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains("gp_segment_configuration") && t.contains("whpg_du") && t.contains("du -s -B1")
    );
}

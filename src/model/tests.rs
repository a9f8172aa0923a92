//! Unit tests of the model on a small hand-made cluster, with the arithmetic
//! written out so a reader can check it.
//!
//! Cluster (M = 1,000,000 bytes):
//! - hosts h1, h2, each with /d1 and /d2 of 1000 M (used + available);
//!   h1: primaries c0 (/d1), c1 (/d2); h2: primaries c2 (/d1), c3 (/d2);
//!   group mirroring: c0/c1 mirrors on h2, c2/c3 mirrors on h1 (same mount).
//! - every segment instance: data 100 M + WAL 10 M = 110 M;
//!   each data filesystem: one primary + one mirror + 30 M other = 250 M used.
//! - coordinator on cdw:/data (data 10 M, WAL 10 M; 40 M used of 1000 M).
//! - no catalog composition → CSV = 1.0 × primary data = 100 M per content;
//!   compression none → backup 100 M per content.
//! - overheads 5 M catalog + 5 M WAL = 10 M per new instance.

use super::*;
use crate::inventory::*;

const M: u64 = 1_000_000;

fn fs(mount: &str, used: u64) -> Filesystem {
    Filesystem {
        mount: mount.into(),
        device: None,
        fs_type: None,
        total_bytes: 1000 * M,
        used_bytes: used,
        available_bytes: 1000 * M - used,
        io: None,
    }
}

fn inst(dbid: u32, content: i32, role: Role, host: &str, mount: &str, data: u64) -> Instance {
    Instance {
        dbid,
        content,
        role,
        preferred_role: role,
        host: host.into(),
        // One port per instance (two on one host:port is invalid); the coordinator, dbid 1, on 6000.
        port: 5999 + dbid as u16,
        datadir: format!(
            "{mount}/{}/gpseg{content}",
            if role == Role::Primary { "p" } else { "m" }
        ),
        mount: Some(mount.into()),
        bytes: Some(InstanceBytes {
            data,
            wal: 10 * M,
            logs: 0,
            backups: 0,
            other: 0,
        }),
        tablespaces: Vec::new(),
        error: None,
        previous_backups: Vec::new(),
    }
}

fn host(name: &str, fss: Vec<Filesystem>) -> Host {
    Host {
        name: name.into(),
        address: None,
        status: HostStatus::Ok,
        error: None,
        filesystems: fss,
        cpus: None,
    }
}

pub(crate) fn small_cluster() -> Inventory {
    let mut instances = vec![Instance {
        datadir: "/data/master/gpseg-1".into(),
        ..inst(1, -1, Role::Primary, "cdw", "/data", 10 * M)
    }];
    let layout = [
        (0, "h1", "/d1"),
        (1, "h1", "/d2"),
        (2, "h2", "/d1"),
        (3, "h2", "/d2"),
    ];
    for (c, h, m) in layout {
        instances.push(inst(2 + c as u32, c, Role::Primary, h, m, 100 * M));
        let mh = if h == "h1" { "h2" } else { "h1" };
        instances.push(inst(10 + c as u32, c, Role::Mirror, mh, m, 100 * M));
    }
    Inventory {
        format: FORMAT.into(),
        source: Source {
            product: Product::Greenplum,
            version: "6.26.1".into(),
            collected_at: "2026-11-20T00:00:00Z".into(),
            coordinator: "cdw".into(),
        },
        hosts: vec![
            host("cdw", vec![fs("/", 100 * M), fs("/data", 40 * M)]),
            host("h1", vec![fs("/d1", 250 * M), fs("/d2", 250 * M)]),
            host("h2", vec![fs("/d1", 250 * M), fs("/d2", 250 * M)]),
        ],
        instances,
        composition: None,
        warnings: Vec::new(),
        compatibility: None,
        backup_history: Vec::new(),
    }
}

pub(crate) fn small_opts() -> PlanOptions {
    PlanOptions {
        compression: Compression::new(Codec::None, None).unwrap(),
        catalog_overhead_bytes: 5 * M,
        wal_overhead_bytes: 5 * M,
        ..PlanOptions::default()
    }
}

fn fs_of<'a>(p: &'a PlanResult, host: &str, mount: &str) -> &'a FsResult {
    p.filesystems
        .iter()
        .find(|f| f.host == host && f.mount == mount)
        .unwrap()
}

#[test]
fn the_small_cluster_is_valid() {
    assert!(validate(&small_cluster()).is_ok());
}

#[test]
fn backup_is_csv_times_ratio_per_content() {
    let e = estimate(&small_cluster(), &small_opts(), &[], false).unwrap();
    // 4 primaries × 100 M data × 1.0 CSV factor × 1.0 (no compression).
    assert_eq!(e.backup.csv_bytes, 400 * M);
    assert_eq!(e.backup.compressed_bytes, 400 * M);
    assert_eq!(e.backup.per_content.len(), 4);
    assert!(
        e.backup
            .per_content
            .iter()
            .all(|c| c.compressed_bytes == 100 * M)
    );
    assert_eq!(e.backup.estimated_from.as_str(), "no-catalog");

    // gzip-1 default ratio 0.35: 400 M × 0.35 = 140 M.
    let o = PlanOptions {
        compression: Compression::DEFAULT,
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], false).unwrap();
    assert_eq!(e.backup.compressed_bytes, 140 * M);
}

#[test]
fn side_by_side_phases_on_one_filesystem() {
    let e = estimate(&small_cluster(), &small_opts(), &[], false).unwrap();
    let p = e.plan(PlanId::SideBySide).unwrap();
    // No --backup-dir: the search tries /d1/whpg_backup and /d2/whpg_backup (both
    // outside the clusters); they tie, so the first is kept. gprestore on 7
    // cannot read a backup inside the 6 data directories, so the backup of both
    // h1 primaries (c0 on /d1, c1 on /d2) lands on h1:/d1.
    assert_eq!(p.backup_dir.as_deref(), Some("/d1/whpg_backup"));
    assert!(
        p.backup_location_reason
            .as_deref()
            .unwrap()
            .contains("no --backup-dir was given")
    );
    let f = fs_of(p, "h1", "/d1");
    // init 7 (before the freeze): 250 + 2 new instances × 10 M overhead = 270
    // backup: 270 + 100 (c0) + 100 (c1) = 470
    // restore: 470 + 100 (new c0 primary) + 100 (new c2 mirror) = 670
    // verify: 670; delete backup & 6: 30 other + 200 + 20 = 250
    assert_eq!(
        f.phase_bytes,
        vec![270 * M, 470 * M, 670 * M, 670 * M, 250 * M]
    );
    assert_eq!(f.peak_bytes, 670 * M);
    assert_eq!(f.peak_phase, "restore");
    assert_eq!(f.limit_bytes, 900 * M); // 0.90 × 1000 M
    assert_eq!(f.shortfall_bytes, 0);
    assert_eq!(f.at_peak.backup, 200 * M);
    // h1:/d2 holds no backup: 250 + 20 overhead from init 7 on, then the
    // same: 270, 270, 470, 470, 250.
    assert_eq!(
        fs_of(p, "h1", "/d2").phase_bytes,
        vec![270 * M, 270 * M, 470 * M, 470 * M, 250 * M]
    );
    assert_eq!(f.at_peak.new_primary, 100 * M);
    assert_eq!(f.at_peak.new_mirror, 100 * M);
    assert_eq!(f.at_peak.other, 30 * M);
    assert!(p.fits && p.available && p.keeps_rollback);
    assert_eq!(e.verdict, Verdict::Fits);
    assert_eq!(e.recommended_plan, Some(PlanId::SideBySide));
}

#[test]
fn delete_and_reinit_with_backup_dir() {
    let o = PlanOptions {
        backup_dir: Some("/d2/bk".into()),
        max_fill: 0.5,
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], false).unwrap();
    // Limit 0.5 × 1000 = 500 M. Side-by-side with the same --backup-dir puts h1's
    // whole backup (200 M) on h1:/d2: 250 + 200 + 20 + 100 + 100 = 670 M, short 170 M;
    // h1:/d1 then has no backup: 250 + 20 + 200 = 470 M, no shortfall.
    let side = e.plan(PlanId::SideBySide).unwrap();
    assert_eq!(fs_of(side, "h1", "/d2").shortfall_bytes, 170 * M);
    assert_eq!(fs_of(side, "h1", "/d1").peak_bytes, 470 * M);
    assert!(!side.fits);

    // Delete-and-reinit: all of h1's backup (c0 + c1 = 200 M) lands on h1:/d2.
    // backup 250+200 = 450; gpdeletesystem 30+200 = 230; init 230+20 = 250;
    // restore 250+200 = 450; delete backup 30+200+20 = 250.
    let d = e.plan(PlanId::DeleteAndReinit).unwrap();
    let f = fs_of(d, "h1", "/d2");
    assert_eq!(
        f.phase_bytes,
        vec![450 * M, 230 * M, 250 * M, 450 * M, 250 * M]
    );
    assert_eq!(f.peak_phase, "backup");
    // h1:/d1 gets no backup: 250, 30, 50, 250, 250.
    assert_eq!(
        fs_of(d, "h1", "/d1").phase_bytes,
        vec![250 * M, 30 * M, 50 * M, 250 * M, 250 * M]
    );
    assert!(d.fits);
    assert_eq!(d.backup_dir.as_deref(), Some("/d2/bk"));

    // Mirrorless on h1:/d2: backup 450; delete 230; init (c1 primary only) 240;
    // restore 240+100 = 340; delete backup 140; gpaddmirrors 140+100+10 = 250.
    let m = e.plan(PlanId::DeleteAndReinitMirrorless).unwrap();
    let f = fs_of(m, "h1", "/d2");
    assert_eq!(
        f.phase_bytes,
        vec![450 * M, 230 * M, 240 * M, 340 * M, 140 * M, 250 * M]
    );

    // Only destructive plans fit; both peak at 450/500 = 0.9; delete-and-reinit is first.
    assert_eq!(e.verdict, Verdict::FitsDestructive);
    assert_eq!(e.recommended_plan, Some(PlanId::DeleteAndReinit));
    assert!(d.warnings.iter().any(|w| w.contains("one filesystem")));
}

#[test]
fn backup_dir_inside_a_data_directory_is_not_available() {
    let o = PlanOptions {
        backup_dir: Some("/d1/p/gpseg0/bk".into()),
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], false).unwrap();
    let d = e.plan(PlanId::DeleteAndReinit).unwrap();
    assert!(!d.available);
    assert!(
        d.unavailable_reason
            .as_ref()
            .unwrap()
            .contains("gpdeletesystem")
    );
}

#[test]
fn backup_dir_search_over_common_mounts() {
    let mut inv = small_cluster();
    // Give both segment hosts a small root filesystem: 300 M, 100 M used.
    for h in inv.hosts.iter_mut().filter(|h| h.name.starts_with('h')) {
        h.filesystems.push(Filesystem {
            total_bytes: 300 * M,
            available_bytes: 200 * M,
            ..fs("/", 100 * M)
        });
    }
    let o = PlanOptions {
        max_fill: 0.5,
        ..small_opts()
    };
    let e = estimate(&inv, &o, &[], false).unwrap();
    let mounts: Vec<&str> = e
        .backup_dir_search
        .iter()
        .map(|c| c.mount.as_str())
        .collect();
    assert_eq!(mounts, vec!["/", "/d1", "/d2"]);
    // "/": 100 + 200 backup = 300 M > 0.5 × 300 = 150 M → does not fit.
    assert!(!e.backup_dir_search[0].delete_and_reinit_fits);
    assert!((e.backup_dir_search[0].delete_and_reinit_worst - 2.0).abs() < 1e-9);
    // /d1 and /d2 tie at 450/500; the first is chosen.
    assert!(e.backup_dir_search[1].delete_and_reinit_fits);
    let d = e.plan(PlanId::DeleteAndReinit).unwrap();
    assert_eq!(d.backup_dir.as_deref(), Some("/d1/whpg_backup"));
    assert!(d.fits);
}

#[test]
fn a_backup_dir_no_filesystem_holds_makes_the_plan_unavailable_not_the_run() {
    // No segment host has a filesystem holding /nfs/bk (h1 and h2 measure /d1, /d2).
    let inv = small_cluster();
    let o = PlanOptions {
        backup_dir: Some("/nfs/bk".into()),
        ..small_opts()
    };
    let e = estimate(&inv, &o, &[], false).unwrap();
    let p = e.plan(PlanId::SideBySide).unwrap();
    assert!(!p.available && !p.fits);
    assert!(
        p.unavailable_reason
            .as_ref()
            .unwrap()
            .contains("no measured filesystem holds /nfs/bk"),
        "{:?}",
        p.unavailable_reason
    );
    assert_ne!(e.recommended_plan, Some(PlanId::SideBySide));
}

#[test]
fn an_earlier_full_backup_sizes_the_backup_per_content() {
    let mut inv = small_cluster();
    // Every primary has an earlier gzip backup of 30 M (content 3: 50 M, skewed).
    for i in inv
        .instances
        .iter_mut()
        .filter(|i| i.kind() == InstanceKind::Primary)
    {
        let bytes = if i.content == 3 { 50 * M } else { 30 * M };
        i.previous_backups.push(PreviousBackup {
            timestamp: "20261101120000".into(),
            codec: "gzip".into(),
            bytes,
            files: 10,
        });
    }
    // gzip-1 chosen, 10% growth: 30 M × 1.1 = 33 M; content 3: 55 M; total 154 M.
    let o = PlanOptions {
        compression: Compression::DEFAULT,
        growth: 0.10,
        ..small_opts()
    };
    let e = estimate(&inv, &o, &[], false).unwrap();
    assert_eq!(e.backup.estimated_from.as_str(), "previous_backup");
    let pb = e.backup.previous_backup.as_ref().unwrap();
    assert_eq!((pb.bytes, pb.calibrated_bytes), (140 * M, 154 * M));
    // The catalog-only figure is kept beside it: 400 M × 1.1 × 0.35 = 154 M as well here.
    assert_eq!(pb.catalog_estimate_bytes, 154 * M);
    assert_eq!(
        e.backup
            .per_content
            .iter()
            .find(|c| c.content == 3)
            .unwrap()
            .compressed_bytes,
        55 * M
    );
    // Converted to zstd-3 by the defaults' proportion: × default(zstd-3) / 0.35.
    let z = PlanOptions {
        compression: Compression::new(Codec::Zstd, Some(3)).unwrap(),
        ..o.clone()
    };
    let e = estimate(&inv, &z, &[], false).unwrap();
    let r = backup::default_compression_ratio(z.compression) / 0.35;
    let expected = (30.0 * 1.1 * r * 1e6_f64).round() as u64;
    assert_eq!(e.backup.per_content[0].compressed_bytes, expected);
    // A backup missing on one primary is not a full backup: not used.
    inv.instances
        .iter_mut()
        .find(|i| i.kind() == InstanceKind::Primary && i.content == 2)
        .unwrap()
        .previous_backups
        .clear();
    let e = estimate(&inv, &o, &[], false).unwrap();
    assert!(e.backup.previous_backup.is_none());
}

#[test]
fn external_and_direct_copy_need_declarations() {
    let e = estimate(&small_cluster(), &small_opts(), &[], false).unwrap();
    assert!(!e.plan(PlanId::ExternalBackup).unwrap().available);
    assert!(!e.plan(PlanId::DirectCopy).unwrap().available);

    // Declared, with too little external space: 400 M backup on 300 M.
    let o = PlanOptions {
        external_capacity: Some(300 * M),
        direct_copy_tool: Some(DirectCopyTool::Gpcopy),
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], false).unwrap();
    let x = e.plan(PlanId::ExternalBackup).unwrap();
    assert!(x.available && !x.fits);
    assert_eq!(x.external_required_bytes, Some(400 * M));
    // Direct copy on h1:/d1: 250 + 20 + 200 = 470 M at "copy 6 to 7".
    let d = e.plan(PlanId::DirectCopy).unwrap();
    assert!(d.available && d.fits);
    assert_eq!(fs_of(d, "h1", "/d1").peak_bytes, 470 * M);
    // Direct copy (0.522 of limit) beats side-by-side (0.633): both keep a rollback.
    assert_eq!(e.recommended_plan, Some(PlanId::DirectCopy));
}

#[test]
fn growth_scales_today_backup_and_new_cluster() {
    let o = PlanOptions {
        growth: 0.10,
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], false).unwrap();
    let f = fs_of(e.plan(PlanId::SideBySide).unwrap(), "h1", "/d1");
    // growth 10% of 2 × 100 M data = 20 M; backup 110 for each of h1's two
    // contents, both on /d1 (the searched --backup-dir); new 110 + 110; overheads 20.
    // restore: 250 + 20 + 220 + 20 + 220 = 730 M.
    assert_eq!(f.peak_bytes, 730 * M);
    assert_eq!(f.at_peak.growth, 20 * M);
}

#[test]
fn incomplete_inventory_gives_no_verdict() {
    let mut inv = small_cluster();
    inv.hosts[2].status = HostStatus::Failed;
    inv.hosts[2].error = Some("connection refused".into());
    let e = estimate(&inv, &small_opts(), &[], false).unwrap();
    assert_eq!(e.verdict, Verdict::Incomplete);
    assert_eq!(e.recommended_plan, None);
    assert!(e.incomplete[0].contains("h2") && e.incomplete[0].contains("connection refused"));
}

#[test]
fn recommendation_prefers_rollback_then_lowest_peak() {
    let e = estimate(&small_cluster(), &small_opts(), &[], false).unwrap();
    let mut plans = e.plans.clone();
    for p in &mut plans {
        p.available = true;
        p.fits = true;
    }
    let set = |plans: &mut Vec<PlanResult>, id: PlanId, worst: f64| {
        plans
            .iter_mut()
            .find(|p| p.id == id)
            .unwrap()
            .worst_peak_over_limit = worst;
    };
    set(&mut plans, PlanId::SideBySide, 0.8);
    set(&mut plans, PlanId::ExternalBackup, 0.7);
    set(&mut plans, PlanId::DirectCopy, 0.75);
    set(&mut plans, PlanId::DeleteAndReinit, 0.1);
    set(&mut plans, PlanId::DeleteAndReinitMirrorless, 0.05);
    // A destructive plan's lower peak does not beat a rollback-keeping one.
    assert_eq!(recommend(&plans), Some(PlanId::ExternalBackup));
    plans
        .iter_mut()
        .filter(|p| p.keeps_rollback)
        .for_each(|p| p.fits = false);
    assert_eq!(recommend(&plans), Some(PlanId::DeleteAndReinitMirrorless));
    // Not available plans are never recommended.
    plans.iter_mut().for_each(|p| p.available = false);
    assert_eq!(recommend(&plans), None);
}

fn target(hosts: &[&str]) -> target::TargetConfig {
    target::TargetConfig {
        path: "gpinitsystem_config".into(),
        seg_prefix: "gpseg".into(),
        data_directories: vec!["/d1/p7".into(), "/d2/p7".into()],
        mirror_data_directories: vec!["/d1/m7".into(), "/d2/m7".into()],
        hosts: hosts.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn target_layout_group_mirroring() {
    let o = PlanOptions {
        target: Some(target(&["h1", "h2"])),
        ..small_opts()
    };
    let placed = layout::place_new_cluster(&small_cluster(), &o).unwrap();
    let find = |kind, content| {
        placed
            .iter()
            .find(|n| n.kind == kind && n.content == content)
            .unwrap()
    };
    let p0 = find(InstanceKind::Primary, 0);
    assert_eq!(
        (p0.host.as_str(), p0.mount.as_str(), p0.datadir.as_str()),
        ("h1", "/d1", "/d1/p7/gpseg0")
    );
    let p3 = find(InstanceKind::Primary, 3);
    assert_eq!((p3.host.as_str(), p3.mount.as_str()), ("h2", "/d2"));
    // Group: h1's mirrors on h2, h2's on h1, same directory slot.
    let m1 = find(InstanceKind::Mirror, 1);
    assert_eq!(
        (m1.host.as_str(), m1.datadir.as_str()),
        ("h2", "/d2/m7/gpseg1")
    );
    let m2 = find(InstanceKind::Mirror, 2);
    assert_eq!(m2.host, "h1");
    // Same number of contents: each keeps its data (100 M).
    assert!(
        placed
            .iter()
            .filter(|n| n.content >= 0)
            .all(|n| n.data_bytes == 100 * M)
    );
}

#[test]
fn target_layout_spread_mirroring() {
    let mut inv = small_cluster();
    inv.hosts
        .push(host("h3", vec![fs("/d1", 30 * M), fs("/d2", 30 * M)]));
    // 2 hosts × 2 primaries cannot spread.
    let o = PlanOptions {
        target: Some(target(&["h1", "h2"])),
        mirror_mode: MirrorMode::Spread,
        ..small_opts()
    };
    assert!(matches!(
        layout::place_new_cluster(&inv, &o).unwrap_err(),
        ModelError::TargetLayout { message, .. } if message.contains("spread")
    ));
    // 3 hosts × 2 primaries = 6 contents; old 400 M spread evenly: 66.67 M each.
    let o = PlanOptions {
        target: Some(target(&["h1", "h2", "h3"])),
        mirror_mode: MirrorMode::Spread,
        ..small_opts()
    };
    let placed = layout::place_new_cluster(&inv, &o).unwrap();
    let mirror_host = |c| {
        placed
            .iter()
            .find(|n| n.kind == InstanceKind::Mirror && n.content == c)
            .unwrap()
            .host
            .clone()
    };
    // h1's primaries (contents 0, 1) mirror on h2 and h3; h3's (4, 5) on h1 and h2.
    assert_eq!(
        (mirror_host(0), mirror_host(1)),
        ("h2".to_string(), "h3".to_string())
    );
    assert_eq!(
        (mirror_host(4), mirror_host(5)),
        ("h1".to_string(), "h2".to_string())
    );
    let p = placed
        .iter()
        .find(|n| n.kind == InstanceKind::Primary && n.content == 5)
        .unwrap();
    assert_eq!(p.data_bytes, 66_666_667);
}

#[test]
fn target_layout_naming_an_unmeasured_host_is_an_error() {
    let o = PlanOptions {
        target: Some(target(&["h1", "new9"])),
        ..small_opts()
    };
    let err = estimate(&small_cluster(), &o, &[], false).unwrap_err();
    assert_eq!(err, ModelError::TargetHostNotMeasured("new9".into()));
    assert_eq!(
        err.to_string(),
        "target host new9 is not in the inventory: measure it too"
    );
}

#[test]
fn rule_of_thumb_beside_the_model() {
    let e = estimate(&small_cluster(), &small_opts(), &[], false).unwrap();
    let r = e.rule_of_thumb.unwrap();
    assert_eq!(r.primary_bytes, 400 * M);
    assert_eq!(r.five_x_bytes, 2000 * M);
    // Side-by-side at restore, over all filesystems, minus unrelated files:
    // old 8 × 110 + coordinator 20 = 900; backup 400 + 2 × 16 MiB metadata
    // (the backup's and the metadata-only trial's, table count unknown);
    // new 8 × 100 + coordinator 10 = 810; overheads 9 × 10 = 90.
    assert_eq!(
        r.model_required_bytes,
        900 * M + 400 * M + 2 * (16 << 20) + 810 * M + 90 * M
    );
}

#[test]
fn what_if_lists_fitting_combinations_first() {
    let o = PlanOptions {
        max_fill: 0.52,
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], true).unwrap();
    let rows = e.what_if.unwrap();
    // 7 compressions (none + the 6 of the matrix) × 2 targets (the /d1 and /d2
    // candidates; the data directories are no target: 7 cannot read them).
    assert_eq!(rows.len(), 14);
    assert!(
        rows.iter()
            .all(|r| r.backup_target.starts_with("--backup-dir"))
    );
    let first_non_fit = rows.iter().position(|r| !r.fits).unwrap_or(rows.len());
    assert!(rows[first_non_fit..].iter().all(|r| !r.fits));
    // Side-by-side, both of h1's backups on h1:/d1, limit 520 M:
    // zstd-19 (0.20): 250 + 2 × 20 + 20 + 200 = 510 ≤ 520 → fits, keeps a rollback, first;
    // gzip-9 (0.29): 250 + 2 × 29 + 20 + 200 = 528 > 520 → side-by-side does not fit.
    assert!(rows[0].fits && rows[0].keeps_rollback);
    assert_eq!(rows[0].best_plan, Some(PlanId::SideBySide));
    assert_eq!(rows[0].compression, "zstd-19");
    let g9 = rows
        .iter()
        .find(|r| r.compression == "gzip-9" && r.backup_target.contains("/d1/"))
        .unwrap();
    assert!(g9.plans.contains(&(PlanId::SideBySide, false)));
    // Not measured here: no codec speed is claimed.
    assert!(rows.iter().all(|r| r.compress_seconds.is_none()));
}

mod properties {
    use super::*;
    use crate::synth::{SynthSpec, synth_inventory};
    use proptest::prelude::*;

    fn spec() -> impl Strategy<Value = SynthSpec> {
        (
            1usize..5,
            1usize..4,
            1usize..4,
            200u64..4000,
            10u64..600,
            0.0f64..0.5,
            any::<bool>(),
            any::<u64>(),
        )
            .prop_map(
                |(hosts, pph, fsn, fs_gb, data_gb, skew, mirrors, seed)| SynthSpec {
                    hosts,
                    primaries_per_host: pph,
                    filesystems_per_host: fsn,
                    filesystem_bytes: fs_gb * 1_000_000_000,
                    data_per_primary: data_gb * 1_000_000_000,
                    skew,
                    mirrors,
                    seed,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_peak_is_at_least_todays_usage(spec in spec(), fill in 0.5f64..1.0) {
            let inv = synth_inventory(&spec);
            let o = PlanOptions { max_fill: fill, ..PlanOptions::default() };
            let e = estimate(&inv, &o, &[], false).unwrap();
            for p in &e.plans {
                for f in &p.filesystems {
                    prop_assert!(f.peak_bytes >= f.used_bytes, "{} {}:{} peak {} < used {}", p.id, f.host, f.mount, f.peak_bytes, f.used_bytes);
                }
            }
        }

        #[test]
        fn more_free_space_never_breaks_a_fitting_plan(spec in spec(), extra in 1u64..2_000_000_000_000, pick in any::<prop::sample::Index>()) {
            let inv = synth_inventory(&spec);
            let o = PlanOptions { external_capacity: Some(1 << 50), direct_copy_tool: Some(DirectCopyTool::Gpcopy), ..PlanOptions::default() };
            let before = estimate(&inv, &o, &[], false).unwrap();
            let mut bigger = inv.clone();
            let all: Vec<(usize, usize)> = bigger.hosts.iter().enumerate()
                .flat_map(|(h, host)| (0..host.filesystems.len()).map(move |f| (h, f))).collect();
            let (h, f) = all[pick.index(all.len())];
            let fsm = &mut bigger.hosts[h].filesystems[f];
            fsm.total_bytes += extra;
            fsm.available_bytes += extra;
            let after = estimate(&bigger, &o, &[], false).unwrap();
            for (b, a) in before.plans.iter().zip(&after.plans) {
                prop_assert_eq!(b.id, a.id);
                if b.fits {
                    prop_assert!(a.fits, "{} fitted before {} more bytes on {}:{} and not after", b.id, extra, bigger.hosts[h].name, bigger.hosts[h].filesystems[f].mount);
                }
            }
            prop_assert!(after.verdict.exit_code().code() <= before.verdict.exit_code().code());
        }

        #[test]
        fn more_growth_never_makes_a_plan_fit(spec in spec(), a in growth(), b in growth()) {
            let inv = synth_inventory(&spec);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let o = |g: f64| PlanOptions { growth: g, external_capacity: Some(1 << 50), direct_copy_tool: Some(DirectCopyTool::Gpcopy), ..PlanOptions::default() };
            let low = estimate(&inv, &o(lo), &[], false).unwrap();
            let high = estimate(&inv, &o(hi), &[], false).unwrap();
            for (l, h) in low.plans.iter().zip(&high.plans) {
                if !l.fits {
                    prop_assert!(!h.fits, "{} did not fit at growth {lo} but fits at {hi}", l.id);
                }
            }
            prop_assert!(high.verdict.exit_code().code() >= low.verdict.exit_code().code());
        }

        #[test]
        fn more_data_never_makes_a_plan_fit(spec in spec(), extra in prop_oneof![1u64..1_000_000_000_000, Just(u64::MAX / 64)]) {
            let inv = synth_inventory(&spec);
            let more = synth_inventory(&SynthSpec { data_per_primary: spec.data_per_primary.saturating_add(extra), ..spec.clone() });
            let o = PlanOptions { external_capacity: Some(1 << 50), direct_copy_tool: Some(DirectCopyTool::Gpcopy), ..PlanOptions::default() };
            let before = estimate(&inv, &o, &[], false).unwrap();
            let after = estimate(&more, &o, &[], false).unwrap();
            for (b, a) in before.plans.iter().zip(&after.plans) {
                if !b.fits {
                    prop_assert!(!a.fits, "{} did not fit and fits with {extra} more bytes per primary", b.id);
                }
            }
        }
    }

    /// Growth over the whole range the model accepts, extremes included.
    fn growth() -> impl Strategy<Value = f64> {
        prop_oneof![
            0.0f64..10.0,
            Just(0.0),
            Just(1e6),
            Just(1e18),
            Just(1e308),
            Just(f64::MAX),
        ]
    }
}

#[test]
fn direct_copy_commands_follow_the_declared_tool() {
    let o = PlanOptions {
        direct_copy_tool: Some(DirectCopyTool::WhpgCopy),
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], false).unwrap();
    let p = e.plan(PlanId::DirectCopy).unwrap();
    let copy = p
        .steps
        .iter()
        .find(|s| s.phase == "copy 6 to 7" && s.title.starts_with("Copy"))
        .unwrap();
    // One run per database (none in the catalog here: a placeholder), source URL from the 6 coordinator.
    assert_eq!(copy.commands.len(), 1);
    assert!(
        copy.commands[0]
            .starts_with("whpg-copy copy --src-url 'postgres://gpadmin@cdw:6000/<database>'"),
        "{}",
        copy.commands[0]
    );
    // whpg-copy is WarehousePG's; this inventory is Greenplum: the mismatch is a warning.
    assert!(
        e.warnings
            .iter()
            .any(|w| w.contains("gpcopy is the direct-copy tool licensed for Greenplum"))
    );
    let o = PlanOptions {
        direct_copy_tool: Some(DirectCopyTool::Gpcopy),
        ..small_opts()
    };
    let e = estimate(&small_cluster(), &o, &[], false).unwrap();
    let copy = e
        .plan(PlanId::DirectCopy)
        .unwrap()
        .steps
        .iter()
        .find(|s| s.phase == "copy 6 to 7" && s.title.starts_with("Copy"))
        .unwrap()
        .commands
        .clone();
    // 6 ports are all 6000 here: the 7 cluster is shifted by 10000 (16000 is free).
    assert_eq!(copy, vec!["gpcopy --source-host cdw --source-port 6000 --dest-host cdw --dest-port 16000 --full --validate count".to_string()]);
}

/// Regression: with no measured filesystem of the coordinator holding the
/// searched backup directory, every candidate was rejected and every
/// backup-based plan became unavailable over a few MB of metadata.
#[test]
fn an_unmeasured_coordinator_path_for_the_metadata_is_a_warning_not_a_rejection() {
    let mut inv = small_cluster();
    // cdw keeps only /data: nothing there holds /d1/whpg_backup.
    inv.hosts[0].filesystems.retain(|f| f.mount == "/data");
    let e = estimate(&inv, &small_opts(), &[], false).unwrap();
    let p = e.plan(PlanId::SideBySide).unwrap();
    assert!(p.available, "{:?}", p.unavailable_reason);
    assert_eq!(p.backup_dir.as_deref(), Some("/d1/whpg_backup"));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("coordinator cdw holds /d1/whpg_backup")
                && w.contains("--extra-path")),
        "{:?}",
        p.warnings
    );
    // The segment hosts' figures are the same as with the coordinator's "/" measured.
    let f = fs_of(p, "h1", "/d1");
    assert_eq!(f.peak_bytes, 670 * M);
}

/// Regression (issue 16, item 11): a line break in a data directory or a
/// database name made a runbook line of its own. Such a value cannot be
/// quoted for a shell file: the model refuses it, naming it.
#[test]
fn a_line_break_in_a_value_the_runbook_writes_is_refused() {
    let mut inv = small_cluster();
    inv.instances[1].datadir = "/d1/p\nrm -rf /".into();
    match estimate(&inv, &small_opts(), &[], false) {
        Err(ModelError::Unquotable { what, value, .. }) => {
            assert!(what.starts_with("data directory of dbid"), "{what}");
            assert!(value.contains("\\n"), "{value}");
        }
        other => panic!("expected Unquotable, got {other:?}"),
    }
    let o = PlanOptions {
        backup_dir: Some("/d1/b\nx".into()),
        ..small_opts()
    };
    assert!(matches!(
        estimate(&small_cluster(), &o, &[], false),
        Err(ModelError::Unquotable { .. })
    ));
    // A `~` in a 7 data directory would split gpinitsystem's input entry.
    assert!(steps::check_writable("7 data directory", "/d/~x", true).is_err());
    assert!(steps::check_writable("data directory", "/d/$(x) y", false).is_ok());
}

/// Regression (issue 16, item 6): a plan that does not fit printed a
/// runnable gpdeletesystem. Now its steps are prose, each saying why.
#[test]
fn a_plan_that_does_not_fit_prints_no_command() {
    let mut inv = small_cluster();
    for h in &mut inv.hosts {
        for f in &mut h.filesystems {
            f.available_bytes = 0;
        }
    }
    let e = estimate(&inv, &small_opts(), &[], false).unwrap();
    for p in &e.plans {
        assert!(!p.fits, "{}", p.id);
        assert!(!p.runnable);
        assert!(p.steps.iter().all(|s| s.commands.is_empty()), "{}", p.id);
        assert!(
            p.steps
                .iter()
                .all(|s| s.note.as_deref().unwrap().starts_with("not runnable: ")),
            "{}",
            p.id
        );
    }
}

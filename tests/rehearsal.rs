//! A rehearsal of every plan's runbook on the test bed, as the DBA runs it:
//! the script `report --script` writes for a collected bed inventory runs
//! phase by phase (`./upgrade.sh --yes cdw:5432 PHASE`) as gpadmin on the
//! bed's coordinator, with stand-ins for the Greenplum utilities
//! (tests/bed/standin.sh) that follow the real tools' path rules and their
//! failure rules (gpbackup's report and end-of-run line, a backup that dies
//! halfway, gprestore refusing 6's resource groups, mkdir as gpadmin,
//! gpdeletesystem refusing backups) and take only byte counts from the model.
//! gpadmin owns the 6 data directories, not the mount points, and has sudo,
//! as on a real host. After each phase `df` is read on every filesystem the
//! plan touches and compared with the model's bytes for that phase: each
//! within one 4 KiB block per file on it. Faults are injected to show no
//! gate lets a failed step reach a point of no return.
//!
//! Needs root, openssh-server, sudo and PostgreSQL 15 (the bed); `.ci/run`
//! and `scripts/test.sh` install them.

mod bed;

use std::fmt::Write as _;
use std::process::Output;

use bed::{Bed, GPADMIN_UID, standard_spec, text, whpg};
use serde_json::Value;

const MIB: u64 = 1 << 20;
const STANDIN: &str = include_str!("bed/standin.sh");
/// The stand-in tools' names (links to one script).
const TOOLS: [&str; 13] = [
    "gpbackup",
    "gprestore",
    "gpinitsystem",
    "gpinitstandby",
    "gpaddmirrors",
    "gpdeletesystem",
    "gpssh",
    "gpcopy",
    "gpstate",
    "gpcheckcat",
    "gpstop",
    "analyzedb",
    "psql",
];
/// The name the script asks for before a point of no return.
const CLUSTER: &str = "cdw:5432";
/// 6's template1 encoding and locale, as the stand-in psql answers them.
const LOCALE6: &str = "UTF8|en_US.UTF-8|C.UTF-8";

fn ok(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A running bed prepared for a rehearsal, with its collected inventory.
struct Stage {
    bed: Bed,
    dir: tempfile::TempDir,
    inventory: std::path::PathBuf,
}

/// Starts the standard bed (coordinator, standby, two segment hosts, group
/// mirroring, a tablespace), tells the stand-ins which 6 cluster runs there,
/// installs them on the coordinator, gives gpadmin its data directories and
/// its ssh to every host, and collects the inventory.
fn stage() -> Stage {
    let bed = Bed::start(standard_spec(2, 64 * MIB));
    let spec = &bed.spec;
    let coord = spec
        .instances
        .iter()
        .find(|i| i.content == -1 && i.role == 'p')
        .unwrap();
    // What gp_segment_configuration says, where the stand-ins read it.
    let mut cluster = String::new();
    for i in &spec.instances {
        let _ = writeln!(
            cluster,
            "seg {} {} {} {} {}",
            i.content, i.role, spec.hosts[i.host], i.dbid, i.datadir
        );
    }
    if let Some(ts) = &spec.tablespace {
        let _ = writeln!(cluster, "ts {ts}");
    }
    let cfg = bed.cfg_dir(0);
    let s = cfg.join("standin");
    std::fs::create_dir_all(s.join("bin")).unwrap();
    std::fs::create_dir_all(s.join("clusters")).unwrap();
    std::fs::write(s.join("cluster6"), &cluster).unwrap();
    std::fs::write(s.join("bin/standin"), STANDIN).unwrap();
    std::fs::write(s.join("locale6"), format!("{LOCALE6}\n")).unwrap();
    // gpadmin's ssh to every host by name (Greenplum's password-less ssh).
    let mut ssh_config = String::new();
    for (h, name) in spec.hosts.iter().enumerate() {
        let _ = writeln!(
            ssh_config,
            "Host {name}\n  HostName {}\n  User gpadmin\n  IdentityFile ~/.ssh/id_bed\n  UserKnownHostsFile ~/.ssh/known_hosts_bed\n  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR",
            bed.addresses[h]
        );
    }
    std::fs::write(s.join("ssh_config"), ssh_config).unwrap();
    std::fs::copy(&bed.client_key, s.join("key")).unwrap();
    std::fs::copy(&bed.known_hosts, s.join("known_hosts")).unwrap();
    std::fs::write(s.join("clusters/5432"), format!("{}\n", coord.datadir)).unwrap();
    for gp in ["gp6", "gp7"] {
        std::fs::create_dir_all(cfg.join(gp).join("bin")).unwrap();
        std::fs::write(
            cfg.join(gp).join("greenplum_path.sh"),
            format!("export GPHOME=/cfg/{gp}\nexport PATH=/cfg/standin/bin:$PATH\n"),
        )
        .unwrap();
    }
    let g = GPADMIN_UID;
    let mut setup = format!(
        "set -e; chmod 755 /cfg/standin/bin/standin; cd /cfg/standin/bin; \
         for t in {}; do ln -sf standin $t; done; \
         ln -sf /cfg/standin/bin/standin /cfg/gp7/bin/gprestore; : > /cfg/gp7/bin/postgres; \
         install -d -o {g} -g {g} -m 700 /home/gpadmin/.ssh; \
         install -o {g} -g {g} -m 600 /cfg/standin/key /home/gpadmin/.ssh/id_bed; \
         install -o {g} -g {g} -m 600 /cfg/standin/known_hosts /home/gpadmin/.ssh/known_hosts_bed; \
         install -o {g} -g {g} -m 600 /cfg/standin/ssh_config /home/gpadmin/.ssh/config; ",
        TOOLS.join(" ")
    );
    let _ = write!(
        setup,
        "cp /cfg/standin/cluster6 '{d}/standin_cluster'; : > '{d}/postmaster.pid'; \
         printf 'local all gpadmin trust\\nhost all all 10.0.0.0/8 md5\\n' > '{d}/pg_hba.conf'; \
         chown -R {g}:{g} /cfg/standin",
        d = coord.datadir
    );
    let o = bed.ssh(0, &setup);
    assert!(o.status.success(), "stand-in setup: {}", text(&o));
    // gpadmin owns every 6 instance's directory tree and tablespace
    // location; the mount points stay root's (755), as on a real host.
    for h in 0..spec.hosts.len() {
        let mut dirs: Vec<String> = spec
            .instances
            .iter()
            .filter(|i| i.host == h)
            .map(|i| {
                let d = i.datadir.trim_end_matches('/');
                d[..d.rfind('/').unwrap()].to_string()
            })
            .collect();
        dirs.extend(spec.tablespace.clone());
        let cmd = format!(
            "for d in {}; do [ ! -e \"$d\" ] || chown -R {g}:{g} \"$d\"; done",
            dirs.iter()
                .map(|d| format!("'{d}'"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let o = bed.ssh(h, &cmd);
        assert!(o.status.success(), "chown: {}", text(&o));
    }

    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    let mut args = vec!["collect".to_string()];
    args.extend(bed.collect_args());
    args.extend(["--ssh-user".into(), "root".into(), "-o".into()]);
    args.push(inventory.display().to_string());
    let o = whpg(&args);
    assert!(o.status.success(), "collect: {}", text(&o));
    Stage {
        bed,
        dir,
        inventory,
    }
}

/// Plan options of every rehearsal: small overheads fit the bed's 64 MiB
/// filesystems; the 6 and 7 environments source the stand-ins.
fn plan_flags(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--gphome6",
        "/cfg/gp6",
        "--gphome7",
        "/cfg/gp7",
        "--compression",
        "none",
        "--catalog-overhead",
        "100KB",
        "--wal-overhead",
        "400KB",
    ]
    .map(String::from)
    .to_vec();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// The byte counts the stand-ins write, from the model's result.
fn sizes(e: &Value) -> String {
    let mut s = String::new();
    let dbs: Vec<&str> = e["cluster"]["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let _ = writeln!(s, "dbs {}", dbs.join(" "));
    let b = &e["backup"];
    let _ = writeln!(s, "metadata all {}", b["metadata_bytes"]);
    for c in b["per_content"].as_array().unwrap() {
        let _ = writeln!(s, "backup {} {}", c["content"], c["compressed_bytes"]);
    }
    for n in e["new_layout"].as_array().unwrap() {
        if n["kind"] == "primary" || n["kind"] == "coordinator" {
            let ts: u64 = n["tablespace_bytes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t[1].as_u64().unwrap())
                .sum();
            let _ = writeln!(s, "data {} {}", n["content"], n["data_bytes"]);
            let _ = writeln!(s, "ts {} {}", n["content"], ts);
        }
    }
    let a = &e["assumptions"];
    let overhead =
        a["catalog_overhead_bytes"].as_u64().unwrap() + a["wal_overhead_bytes"].as_u64().unwrap();
    let _ = writeln!(s, "overhead all {overhead}");
    s
}

/// One filesystem's state after a phase.
#[derive(Debug)]
struct Reading {
    host: String,
    mount: String,
    phase: String,
    used: u64,
    model: u64,
    files: u64,
}

/// A plan made ready on the stage: its estimate, the script (edited by
/// `edit`, line by line, to rehearse a mistake) and the layout files in
/// gpadmin's working directory.
struct Ready {
    plan: Value,
    /// The script's phase names, in order (`prepare` first).
    phases: Vec<String>,
}

fn prepare_plan(stage: &Stage, plan: &str, extra: &[&str], edit: &dyn Fn(&str) -> String) -> Ready {
    let bed = &stage.bed;
    let inv = stage.inventory.display().to_string();
    let mut args = vec![
        "estimate".to_string(),
        inv.clone(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(plan_flags(extra));
    let o = whpg(&args);
    let e: Value = serde_json::from_str(&ok(&o)).unwrap_or_else(|_| panic!("{}", text(&o)));
    let p = e["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == plan)
        .unwrap_or_else(|| panic!("no plan {plan}"))
        .clone();
    assert!(p["fits"] == true, "{plan} must fit the bed: {p}");
    // The layout files and the script, as `report` writes them.
    let layout = bed.cfg_dir(0).join("layout");
    let script = stage.dir.path().join(format!("upgrade-{plan}.sh"));
    let mut args = vec!["report".to_string(), inv, "--layout-dir".into()];
    args.push(layout.display().to_string());
    args.extend([
        "--script".into(),
        script.display().to_string(),
        "--plan".into(),
        plan.into(),
    ]);
    args.extend(plan_flags(extra));
    let o = whpg(&args);
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 3),
        "report: {}",
        text(&o)
    );
    let text_ = std::fs::read_to_string(&script).unwrap();
    let edited: String = text_.lines().map(|l| format!("{}\n", edit(l))).collect();
    std::fs::write(layout.join("upgrade.sh"), edited).unwrap();
    std::fs::write(bed.cfg_dir(0).join("standin/sizes"), sizes(&e)).unwrap();
    let g = GPADMIN_UID;
    let o = bed.ssh(
        0,
        &format!(
            "install -d -o {g} -g {g} /home/gpadmin/whpg_upgrade && cp /cfg/layout/* /home/gpadmin/whpg_upgrade/ \
             && echo 'metadata-only trial restored on a scratch 7 system: signed off by the rehearsal' > /home/gpadmin/whpg_upgrade/preflight_signed_off \
             && chown -R {g}:{g} /home/gpadmin/whpg_upgrade /cfg/standin && chmod 755 /home/gpadmin/whpg_upgrade/upgrade.sh"
        ),
    );
    assert!(o.status.success(), "{}", text(&o));
    let mut phases = vec!["prepare".to_string()];
    phases.extend(
        p["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| whpg_plan::report::script::phase_slug(x.as_str().unwrap())),
    );
    Ready { plan: p, phases }
}

/// Runs `./upgrade.sh ARGS` as gpadmin on the coordinator.
fn run_script(bed: &Bed, args: &str) -> Output {
    bed.ssh(
        0,
        &format!(
            "cd /home/gpadmin/whpg_upgrade && setpriv --reuid={g} --regid={g} --init-groups \
             env -i HOME=/home/gpadmin USER=gpadmin LOGNAME=gpadmin PATH=/usr/bin:/bin ./upgrade.sh {args}",
            g = GPADMIN_UID
        ),
    )
}

/// Runs `plan`'s script phase by phase on the stage and compares `df` after
/// every phase with the model. Returns the readings, or the failing phase's
/// output.
fn rehearse(
    stage: &Stage,
    plan: &str,
    extra: &[&str],
    edit: &dyn Fn(&str) -> String,
) -> Result<Vec<Reading>, String> {
    let r = prepare_plan(stage, plan, extra, edit);
    run_phases(stage, &r, r.phases.len())
}

/// Runs the first `count` phases of a prepared plan.
fn run_phases(stage: &Stage, r: &Ready, count: usize) -> Result<Vec<Reading>, String> {
    let mut readings = Vec::new();
    for (i, phase) in r.phases.iter().take(count).enumerate() {
        let o = run_script(&stage.bed, &format!("--yes {CLUSTER} {phase}"));
        if !o.status.success() {
            return Err(format!("phase {phase} failed:\n{}", text(&o)));
        }
        if i > 0 {
            readings.extend(measure(&stage.bed, &r.plan, i - 1, phase));
        }
    }
    Ok(readings)
}

/// `df` used bytes and file count of every filesystem the plan touches.
fn measure(bed: &Bed, p: &Value, i: usize, phase: &str) -> Vec<Reading> {
    let mut out = Vec::new();
    for f in p["filesystems"].as_array().unwrap() {
        let host = f["host"].as_str().unwrap();
        let mount = f["mount"].as_str().unwrap();
        let h = bed.spec.hosts.iter().position(|x| x == host).unwrap();
        // gpadmin's working directory (the script, its logs and state) is
        // the runbook's own, not the upgrade's: the model leaves it out, and
        // so does the reading, where it shares the filesystem.
        let o = bed.ssh(
            h,
            &format!(
                "df -B1 --output=used '{mount}' | tail -1; \
                 find '{mount}' -xdev -type f -not -path '/home/gpadmin/whpg_upgrade/*' | wc -l; \
                 w=/home/gpadmin/whpg_upgrade; \
                 if [ -d $w ] && [ \"$(stat -c %d '{mount}')\" = \"$(stat -c %d $w)\" ]; \
                 then du -s -B1 -x $w | cut -f1; else echo 0; fi"
            ),
        );
        let t = ok(&o);
        let mut it = t.split_whitespace().map(|x| x.parse::<u64>().unwrap());
        let used = it.next().unwrap();
        let files = it.next().unwrap();
        let workdir = it.next().unwrap();
        out.push(Reading {
            host: host.into(),
            mount: mount.into(),
            phase: phase.into(),
            used: used - workdir,
            files,
            model: f["phase_bytes"][i].as_u64().unwrap(),
        });
    }
    out
}

/// Every reading within one block per file of the model's bytes; prints the table.
fn assert_matches(plan: &str, readings: &[Reading]) {
    assert!(!readings.is_empty());
    let mut table = format!("{plan}:\n");
    let mut bad = Vec::new();
    for r in readings {
        let diff = r.used as i64 - r.model as i64;
        let _ = writeln!(
            table,
            "  {:<18} {:<6}:{:<7} df {:>10}  model {:>10}  diff {:>7}  ({} files)",
            r.phase, r.host, r.mount, r.used, r.model, diff, r.files
        );
        if diff.unsigned_abs() > 4096 * r.files.max(1) {
            bad.push(format!("{} {}:{} off by {diff}", r.phase, r.host, r.mount));
        }
    }
    println!("{table}");
    assert!(
        bad.is_empty(),
        "{table}\nbeyond one block per file: {bad:?}"
    );
}

fn run_plan(plan: &str, extra: &[&str]) {
    let stage = stage();
    match rehearse(&stage, plan, extra, &|l| l.to_string()) {
        Ok(r) => assert_matches(plan, &r),
        Err(e) => panic!("{e}"),
    }
    drop(stage.dir);
}

#[test]
fn side_by_side_runs_as_printed_and_each_phase_matches_the_model() {
    run_plan("side-by-side", &[]);
}

/// The delete-first plan end to end, with an old gpbackup's `backups/` in
/// the 6 coordinator directory (gpdeletesystem refuses it: the runbook moves
/// it out and keeps it); 7 gets 6's encoding and locale, the roles and the
/// databases, and the 6 resource groups it refused are listed for review.
#[test]
fn delete_and_reinit_runs_as_printed_and_each_phase_matches_the_model() {
    let stage = stage();
    let o = stage.bed.ssh(
        0,
        &format!(
            "mkdir -p /data1/master/gpseg-1/backups/20260101/20260101000000 && chown -R {g}:{g} /data1/master/gpseg-1/backups",
            g = GPADMIN_UID
        ),
    );
    assert!(o.status.success(), "{}", text(&o));
    match rehearse(&stage, "delete-and-reinit", &[], &|l| l.to_string()) {
        Ok(r) => assert_matches("delete-and-reinit", &r),
        Err(e) => panic!("{e}"),
    }
    let o = stage.bed.ssh(
        0,
        "ls -d /data1/master/gp6_coordinator_backups/backups/20260101; cat /home/gpadmin/whpg_upgrade/resource_groups_failed_1.sql; \
         grep '^locale' \"$(cat /cfg/standin/clusters/$(ls /cfg/standin/clusters | grep -vx 5432))/standin_cluster\"; \
         ls \"$(cat /cfg/standin/clusters/$(ls /cfg/standin/clusters | grep -vx 5432))\"",
    );
    let t = ok(&o);
    assert!(
        t.contains("/data1/master/gp6_coordinator_backups/backups/20260101"),
        "{t}"
    );
    // The 6 statements 7 refuses: 4 ALTERs of CPU_RATE_LIMIT / MEMORY_LIMIT
    // (the CONCURRENCY one 7 knows, it passes).
    assert_eq!(t.matches("RESOURCE GROUP").count(), 4, "{t}");
    let (enc, rest) = LOCALE6.split_once('|').unwrap();
    let (collate, ctype) = rest.split_once('|').unwrap();
    assert!(
        t.contains(&format!("locale {enc} {collate} {ctype}")),
        "{t}"
    );
    assert!(t.contains("standin_globals"), "{t}");
    // The databases were created on 7 by the restore (--create-db).
    assert!(t.contains("standin_db_"), "{t}");
    drop(stage.dir);
}

#[test]
fn mirrorless_runs_as_printed_and_each_phase_matches_the_model() {
    run_plan("delete-and-reinit-mirrorless", &[]);
}

#[test]
fn external_backup_with_a_plugin_runs_as_printed() {
    run_plan(
        "external-backup",
        &[
            "--external-capacity",
            "1GB",
            "--plugin-config",
            "/cfg/standin/plugin.yaml",
        ],
    );
}

#[test]
fn direct_copy_runs_as_printed() {
    run_plan("direct-copy", &["--direct-copy-tool", "gpcopy"]);
}

/// The side-by-side runbook as it was before the backup left the data
/// directories: gpbackup and gprestore without --backup-dir (and without the
/// gates that look for the backup there). gprestore on 7 looks in the 7 data
/// directories and does not find the backup.
#[test]
fn a_backup_inside_the_6_data_directories_is_not_found_by_gprestore_on_7() {
    let stage = stage();
    let strip = |l: &str| {
        if l.starts_with("gate_backup ") || l.starts_with("gate_backup_bytes ") {
            return ":".to_string();
        }
        if !(l.starts_with("gpbackup ") || l.starts_with("gprestore ")) {
            return l.to_string();
        }
        let mut words: Vec<&str> = l.split(' ').collect();
        if let Some(i) = words.iter().position(|w| *w == "--backup-dir") {
            words.drain(i..i + 2);
        }
        words.join(" ")
    };
    let err = rehearse(&stage, "side-by-side", &[], &strip).expect_err("the restore must fail");
    assert!(
        err.starts_with("phase restore failed") && err.contains("does not exist"),
        "{err}"
    );
    // The 6 data directories do hold the backup: it is only in the wrong place.
    let o = stage.bed.ssh(2, "ls /data1/primary/gpseg0/backups/*/*/");
    assert!(text(&o).contains("gpbackup_0_"), "{}", text(&o));
}

/// sha256 of every file under every 6 data directory and tablespace
/// location, per host: what must not change when a gate stops the night.
fn fingerprint(stage: &Stage) -> String {
    let spec = &stage.bed.spec;
    let mut all = String::new();
    for h in 0..spec.hosts.len() {
        let mut dirs: Vec<String> = spec
            .instances
            .iter()
            .filter(|i| i.host == h)
            .map(|i| format!("'{}'", i.datadir))
            .collect();
        if let Some(t) = &spec.tablespace {
            dirs.push(format!("'{t}'"));
        }
        let o = stage.bed.ssh(
            h,
            &format!(
                "find {} -type f ! -name postmaster.pid -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum; du -s -B1 {} 2>/dev/null",
                dirs.join(" "),
                dirs.join(" ")
            ),
        );
        let _ = writeln!(all, "== {}\n{}", spec.hosts[h], ok(&o));
    }
    all
}

/// Issue 16, item 1: a backup that dies halfway (a segment killed while
/// copying, leaving half a file) has printed "Backup Timestamp" too. The
/// script stops in the backup phase; gpdeletesystem's phase refuses to
/// start; with gpbackup's failure ignored (`|| true`, as a hand-edited
/// runbook might), the gate stops it; every 6 data directory is byte-identical.
#[test]
fn a_backup_that_dies_halfway_never_reaches_gpdeletesystem() {
    let stage = stage();
    let cfg = stage.bed.cfg_dir(0);
    std::fs::write(cfg.join("standin/faults"), "backup-dies-after 1\n").unwrap();
    let before = fingerprint(&stage);
    let r = prepare_plan(&stage, "delete-and-reinit", &[], &|l| l.to_string());
    let err = run_phases(&stage, &r, 2).expect_err("the backup must fail");
    assert!(err.starts_with("phase backup failed"), "{err}");
    assert!(err.contains("terminated while copying"), "{err}");
    let o = run_script(&stage.bed, &format!("--yes {CLUSTER} gpdeletesystem"));
    assert!(!o.status.success());
    assert!(
        text(&o).contains("phase backup is not done yet"),
        "{}",
        text(&o)
    );

    // The same failure with gpbackup's exit status ignored: the gate reads
    // gpbackup's own evidence and stops the phase.
    let ignore = |l: &str| {
        if l.starts_with("gpbackup --dbname") && !l.contains("--metadata-only") {
            format!("{l} || true")
        } else {
            l.to_string()
        }
    };
    let o = stage
        .bed
        .ssh(0, "rm -f /home/gpadmin/whpg_upgrade/upgrade.state");
    assert!(o.status.success());
    let r = prepare_plan(&stage, "delete-and-reinit", &[], &ignore);
    let err = run_phases(&stage, &r, 2).expect_err("the gate must stop it");
    assert!(err.contains("GATE FAILED"), "{err}");
    assert!(
        err.contains("did not finish") || err.contains("backup status: Success"),
        "{err}"
    );
    let o = run_script(&stage.bed, &format!("--yes {CLUSTER} gpdeletesystem"));
    assert!(!o.status.success(), "{}", text(&o));
    assert_eq!(fingerprint(&stage), before, "a 6 data directory changed");
    let state = stage
        .bed
        .ssh(0, "cat /home/gpadmin/whpg_upgrade/upgrade.state");
    assert!(!ok(&state).contains("step 15 done"), "{}", ok(&state));
    assert!(!ok(&state).contains("phase backup done"), "{}", ok(&state));
}

/// A backup that finished, then lost a content's file before the night went
/// on (a clean-up job, a disk): the gate right before gpdeletesystem counts
/// every content's files against the toc and stops; 6 is untouched.
#[test]
fn a_content_file_lost_after_the_backup_stops_gpdeletesystem() {
    let stage = stage();
    let r = prepare_plan(&stage, "delete-and-reinit", &[], &|l| l.to_string());
    run_phases(&stage, &r, 2).expect("prepare and backup");
    let before = fingerprint(&stage);
    // Content 2 is sdw2's first primary (the bed: two per segment host).
    let dir = r.plan["backup_dir"].as_str().unwrap().to_string();
    let o = stage
        .bed
        .ssh(3, &format!("rm -v {dir}/gpseg2/backups/*/*/gpbackup_2_*"));
    assert!(o.status.success(), "{}", text(&o));
    let o = run_script(&stage.bed, &format!("--yes {CLUSTER} gpdeletesystem"));
    assert!(!o.status.success());
    let out = text(&o);
    assert!(
        out.contains("GATE FAILED") && out.contains("content 2 on sdw2"),
        "{out}"
    );
    assert!(!out.contains("gpdeletesystem: deleted"), "{out}");
    assert_eq!(fingerprint(&stage), before);
}

/// Issue 16, item 2: every 6 backup's globals carry resource-group
/// statements 7 refuses. A role in a 6 resource group not created on 7 is
/// not silently lost: the gate after the globals restore names it.
#[test]
fn a_role_in_a_resource_group_7_lacks_stops_the_restore_gate() {
    let stage = stage();
    std::fs::write(
        stage.bed.cfg_dir(0).join("standin/faults"),
        "custom-resgroup\n",
    )
    .unwrap();
    let r = prepare_plan(&stage, "side-by-side", &[], &|l| l.to_string());
    let at = r.phases.iter().position(|p| p == "restore").unwrap();
    let err = run_phases(&stage, &r, at + 1).expect_err("the globals gate must stop it");
    assert!(err.starts_with("phase restore failed"), "{err}");
    assert!(err.contains("GATE FAILED"), "{err}");
    assert!(
        err.contains("ALTER ROLE etl WITH RESOURCE GROUP etl_group"),
        "{err}"
    );
    // Nothing was loaded: the data restore comes after the gate.
    let o = stage.bed.ssh(
        2,
        "ls /data1/*/gpseg0/base/ 2>/dev/null | grep -c restored_ || true",
    );
    assert_eq!(ok(&o).trim(), "0", "{}", ok(&o));
}

/// Issue 16, item 3: the backup directory does not exist on the coordinator
/// (nor anywhere), and gpadmin cannot create it under the root-owned mount.
/// Without the creation step the gate before the freeze names the host and
/// directory; with it (the runbook as printed) the directory is gpadmin's
/// and the backup runs.
#[test]
fn a_missing_backup_directory_is_created_before_the_freeze() {
    let stage = stage();
    let skip = |l: &str| {
        if l.starts_with("make_dirs ") {
            ":".to_string()
        } else {
            l.to_string()
        }
    };
    let r = prepare_plan(&stage, "side-by-side", &[], &skip);
    let dir = r.plan["backup_dir"].as_str().unwrap().to_string();
    let parent = &dir[..dir.rfind('/').unwrap().max(1)];
    let o = stage
        .bed
        .ssh(0, &format!("test ! -e {dir} && stat -c %U {parent}"));
    assert_eq!(ok(&o).trim(), "root", "{}", text(&o));
    let err = run_phases(&stage, &r, 1).expect_err("the directory gate must fail");
    assert!(
        err.contains(&format!("GATE FAILED: cdw:{dir} does not exist")),
        "{err}"
    );
    let o = stage
        .bed
        .ssh(0, "rm -f /home/gpadmin/whpg_upgrade/upgrade.state");
    assert!(o.status.success());
    let r = prepare_plan(&stage, "side-by-side", &[], &|l| l.to_string());
    let at = r.phases.iter().position(|p| p == "backup").unwrap();
    run_phases(&stage, &r, at + 1).expect("prepare, init 7 and backup");
    let o = stage.bed.ssh(
        0,
        &format!("stat -c %U {dir}; ls {dir}/gpseg-1/backups/*/*/ | grep -c _report"),
    );
    let t = ok(&o);
    assert!(t.starts_with("gpadmin\n"), "{t}");
}

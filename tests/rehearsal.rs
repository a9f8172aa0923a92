//! A rehearsal of every plan's runbook on the test bed: the runbook
//! `estimate` prints for a collected bed inventory is run step by step, as
//! written, on the bed's coordinator host, with stand-ins for the Greenplum
//! utilities (tests/bed/standin.sh) that follow the real tools' path rules
//! and take only byte counts from the model. After each phase `df` is read on
//! every filesystem the plan touches and compared with the model's bytes for
//! that phase: each within one 4 KiB block per file on it. The restore must
//! find its backup in every plan.
//!
//! Needs root, openssh-server and PostgreSQL 15 (the bed); `.ci/run` and
//! `scripts/test.sh` install them.

mod bed;

use std::fmt::Write as _;
use std::process::Output;

use bed::{Bed, standard_spec, text, whpg};
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
/// installs them on the coordinator, and collects the inventory.
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
    let mut hosts = String::new();
    for (h, name) in spec.hosts.iter().enumerate() {
        let _ = writeln!(hosts, "{name} {}", bed.addresses[h]);
    }
    std::fs::write(s.join("hosts"), hosts).unwrap();
    std::fs::copy(&bed.client_key, s.join("key")).unwrap();
    std::fs::copy(&bed.known_hosts, s.join("known_hosts")).unwrap();
    std::fs::write(s.join("clusters/5432"), format!("{}\n", coord.datadir)).unwrap();
    for (gp, extra) in [("gp6", ""), ("gp7", "")] {
        std::fs::create_dir_all(cfg.join(gp).join("bin")).unwrap();
        std::fs::write(
            cfg.join(gp).join("greenplum_path.sh"),
            format!("export GPHOME=/cfg/{gp}\nexport PATH=/cfg/standin/bin:$PATH{extra}\n"),
        )
        .unwrap();
    }
    let mut setup = format!(
        "set -e; chmod 755 /cfg/standin/bin/standin; chmod 600 /cfg/standin/key; cd /cfg/standin/bin; \
         for t in {}; do ln -sf standin $t; done; \
         ln -sf /cfg/standin/bin/standin /cfg/gp7/bin/gprestore; : > /cfg/gp7/bin/postgres; ",
        TOOLS.join(" ")
    );
    let _ = write!(
        setup,
        "cp /cfg/standin/cluster6 '{d}/standin_cluster'; : > '{d}/postmaster.pid'; \
         printf 'local all gpadmin trust\\nhost all all 10.0.0.0/8 md5\\n' > '{d}/pg_hba.conf'",
        d = coord.datadir
    );
    let o = bed.ssh(0, &setup);
    assert!(o.status.success(), "stand-in setup: {}", text(&o));

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

/// Runs `plan`'s runbook on the stage and compares `df` after every phase
/// with the model. `edit` may rewrite command lines (to rehearse a mistake).
/// Returns the readings, or the failing step's output.
fn rehearse(
    stage: &Stage,
    plan: &str,
    extra: &[&str],
    edit: &dyn Fn(&str) -> String,
) -> Result<Vec<Reading>, String> {
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
        .unwrap_or_else(|| panic!("no plan {plan}"));
    assert!(p["fits"] == true, "{plan} must fit the bed: {p}");
    // The layout files the runbook names, written by `report --layout-dir`.
    let layout = bed.cfg_dir(0).join("layout");
    let mut args = vec!["report".to_string(), inv, "--layout-dir".into()];
    args.push(layout.display().to_string());
    args.extend(plan_flags(extra));
    let o = whpg(&args);
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 3),
        "report: {}",
        text(&o)
    );
    std::fs::write(bed.cfg_dir(0).join("standin/sizes"), sizes(&e)).unwrap();
    let o = bed.ssh(
        0,
        "mkdir -p ~/whpg_upgrade && cp /cfg/layout/* ~/whpg_upgrade/",
    );
    assert!(o.status.success(), "{}", text(&o));

    let env = &e["environment"];
    let lines = |k: &str| -> String {
        env[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| format!("{}\n", l.as_str().unwrap()))
            .collect()
    };
    let phases: Vec<&str> = p["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    let steps = p["steps"].as_array().unwrap();
    let mut readings = Vec::new();
    for (n, st) in steps.iter().enumerate() {
        let env_name = st["env"].as_str().unwrap();
        if env_name == "gp7-test" {
            continue; // a separate 7 test system
        }
        let manual = st["manual"] == true;
        let mut script = String::from("cd ~/whpg_upgrade\n");
        script.push_str(&lines(if env_name == "gp6" { "gp6" } else { "gp7" }));
        if !manual {
            script.push_str("set -e\n");
        }
        for c in st["commands"].as_array().unwrap() {
            script.push_str(&edit(c.as_str().unwrap()));
            script.push('\n');
        }
        let path = bed.cfg_dir(0).join(format!("step-{n:02}.sh"));
        std::fs::write(&path, &script).unwrap();
        let o = bed.ssh(0, &format!("bash /cfg/step-{n:02}.sh"));
        if !manual && !o.status.success() {
            return Err(format!(
                "step {} '{}' failed:\n{script}\n{}",
                n + 1,
                st["title"].as_str().unwrap(),
                text(&o)
            ));
        }
        let phase = st["phase"].as_str().unwrap();
        let last_of_phase = steps[n + 1..]
            .iter()
            .find(|s| s["env"] != "gp7-test")
            .is_none_or(|next| next["phase"] != phase);
        if let (true, Some(i)) = (last_of_phase, phases.iter().position(|x| *x == phase)) {
            readings.extend(measure(bed, p, i, phase));
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
        let o = bed.ssh(
            h,
            &format!(
                "df -B1 --output=used '{mount}' | tail -1; find '{mount}' -xdev -type f | wc -l"
            ),
        );
        let t = ok(&o);
        let mut it = t.split_whitespace().map(|x| x.parse::<u64>().unwrap());
        out.push(Reading {
            host: host.into(),
            mount: mount.into(),
            phase: phase.into(),
            used: it.next().unwrap(),
            files: it.next().unwrap(),
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

#[test]
fn delete_and_reinit_runs_as_printed_and_each_phase_matches_the_model() {
    run_plan("delete-and-reinit", &[]);
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
/// directories: gpbackup and gprestore without --backup-dir. gprestore on 7
/// looks in the 7 data directories and does not find the backup.
#[test]
fn a_backup_inside_the_6_data_directories_is_not_found_by_gprestore_on_7() {
    let stage = stage();
    let strip = |l: &str| {
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
        err.contains("Restore every database") && err.contains("does not exist"),
        "{err}"
    );
    // The 6 data directories do hold the backup: it is only in the wrong place.
    let o = stage.bed.ssh(2, "ls /data1/primary/gpseg0/backups/*/*/");
    assert!(text(&o).contains("gpbackup_0_"), "{}", text(&o));
}

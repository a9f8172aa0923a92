//! Every runbook line of every plan, for every shipped sample, every option
//! combination the CLI offers and both products, goes through the command
//! checker (src/commands.rs), and the rules a flag check cannot see are
//! asserted on the steps: the restore names the backup's location, globals
//! come with the first restore only, no `--create-db` for databases a fresh 7
//! has, `--resize-cluster` exactly when the segment counts differ, `-f` on
//! gpdeletesystem only after 7 is verified, a standby for 7 when 6 has one.

use clap::Parser;
use whpg_plan::cli::{Cli, Command};
use whpg_plan::commands::{check_line, split_line};
use whpg_plan::inventory::{InstanceKind, Product};
use whpg_plan::model::{self, Env, Estimate, PlanId};

fn estimate(sample: &str, flags: &[&str], product: Product) -> Estimate {
    let path = format!("{}/samples/{sample}", env!("CARGO_MANIFEST_DIR"));
    let mut args = vec!["whpg-plan", "estimate", path.as_str()];
    args.extend_from_slice(flags);
    let Command::Estimate(a) = Cli::try_parse_from(&args).expect("flags parse").command else {
        unreachable!()
    };
    let (mut inv, warnings) =
        whpg_plan::app::load_inventory(a.inventory.as_ref().unwrap()).unwrap();
    inv.source.product = product;
    let opts = a.plan.plan_options(&inv).unwrap();
    model::estimate(&inv, &opts, &warnings, false).unwrap()
}

/// The value of `flag` in a command's words.
fn flag_value(words: &[String], flag: &str) -> Option<String> {
    words
        .iter()
        .position(|w| w == flag)
        .and_then(|i| words.get(i + 1).cloned())
}

fn tool_calls<'a>(p: &'a model::PlanResult, tool: &str) -> Vec<(&'a model::Step, Vec<String>)> {
    let mut out = Vec::new();
    for st in &p.steps {
        for line in &st.commands {
            for words in split_line(line).unwrap() {
                let program = words.first().map(|w| w.rsplit('/').next().unwrap_or(w));
                if program == Some(tool) && !words.contains(&"--version".to_string()) {
                    out.push((st, words));
                }
            }
        }
    }
    out
}

/// The rules a reviewer checks by reading a runbook, as code.
fn check_plan(e: &Estimate, p: &model::PlanResult, what: &str) {
    for st in &p.steps {
        for line in &st.commands {
            if let Err(err) = check_line(line) {
                panic!("{what}, {}, step '{}': {err}\n  {line}", p.id, st.title);
            }
        }
    }
    let location = |w: &[String]| {
        flag_value(w, "--backup-dir")
            .map(|d| format!("dir {d}"))
            .or_else(|| flag_value(w, "--plugin-config").map(|f| format!("plugin {f}")))
    };
    let backups = tool_calls(p, "gpbackup");
    // A plan that does not fit or is not available prints no command (issue 16, item 6).
    if !(p.fits && p.available) {
        assert!(!p.runnable, "{what}, {}", p.id);
        assert!(
            p.steps.iter().all(|s| s.commands.is_empty()),
            "{what}, {}",
            p.id
        );
        return;
    }
    let restores = tool_calls(p, "gprestore");
    // Every backup names a location outside the data directories (or a plugin),
    // and every restore reads from the same one.
    let locations: Vec<_> = backups.iter().map(|(_, w)| location(w)).collect();
    assert!(
        locations.iter().all(|l| l.is_some()) || p.id == PlanId::DirectCopy,
        "{what}, {}: a gpbackup without --backup-dir or --plugin-config writes into the 6 data directories, which gprestore on 7 does not read",
        p.id
    );
    for (st, w) in &restores {
        assert!(
            locations.contains(&location(w)),
            "{what}, {}: gprestore reads {:?}, the backups went to {locations:?} ({})",
            p.id,
            location(w),
            st.title
        );
    }
    // Which database a restore is of, and whether it is the trial's: from
    // the timestamp file it names (gpbackup[_trial]_<n>.timestamp).
    let of = |w: &[String]| -> (bool, usize) {
        let ts = flag_value(w, "--timestamp").unwrap_or_default();
        let trial = ts.contains("gpbackup_trial_");
        let n: String = ts
            .rsplit('_')
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        (trial, n.parse().unwrap_or(0))
    };
    let has = |w: &[String], f: &str| w.iter().any(|x| x == f);
    for trial in [true, false] {
        let runs: Vec<_> = restores.iter().filter(|(_, w)| of(w).0 == trial).collect();
        // Globals once per run, with the first database; in the real run on
        // its metadata-only restore, past the 6 resource groups
        // (--on-error-continue, gated), and never again with its data.
        let globals: Vec<_> = runs
            .iter()
            .filter(|(_, w)| has(w, "--with-globals"))
            .collect();
        if !runs.is_empty() {
            assert_eq!(
                globals.len(),
                1,
                "{what}, {}: --with-globals once per run",
                p.id
            );
            let w = &globals[0].1;
            assert_eq!(
                of(w).1,
                1,
                "{what}, {}: globals with the first database",
                p.id
            );
            assert!(
                has(w, "--metadata-only") && has(w, "--on-error-continue") && has(w, "--verbose"),
                "{what}, {}: {w:?}",
                p.id
            );
        }
        for (_, w) in &runs {
            let (_, n) = of(w);
            assert!(
                n >= 1 && n <= e.cluster.databases.len().max(1),
                "{what}: {w:?}"
            );
            // No --create-db for a database a fresh 7 already has, nor for
            // the first database's data (its schema is restored already).
            let db = e
                .cluster
                .databases
                .get(n - 1)
                .map(String::as_str)
                .unwrap_or("");
            if model::steps::PREEXISTING_DATABASES.contains(&db) || has(w, "--data-only") {
                assert!(!has(w, "--create-db"), "{what}: {db} {w:?}");
            }
            // --on-error-continue only where a gate reads the failures.
            if has(w, "--on-error-continue") && !trial {
                assert!(has(w, "--with-globals"), "{what}: {w:?}");
            }
            // --jobs is refused with --metadata-only (restore/validate.go:229).
            if has(w, "--metadata-only") {
                assert!(!has(w, "--jobs"), "{what}: {w:?}");
            }
        }
        // The real run restores every database's data exactly once.
        if !trial && !runs.is_empty() {
            let mut data: Vec<usize> = runs
                .iter()
                .filter(|(_, w)| !has(w, "--metadata-only"))
                .map(|(_, w)| of(w).1)
                .collect();
            data.sort();
            let all: Vec<usize> = (1..=e.cluster.databases.len().max(1)).collect();
            assert_eq!(data, all, "{what}, {}", p.id);
        }
    }
    // --resize-cluster exactly when the segment counts differ; always on the
    // trial (the 7 test system's count is unknown; gprestore ignores it when equal).
    let new_primaries = e
        .new_layout
        .iter()
        .filter(|n| n.kind == InstanceKind::Primary)
        .count();
    for (_, w) in &restores {
        assert_eq!(
            has(w, "--resize-cluster"),
            of(w).0 || new_primaries != e.cluster.primaries,
            "{what}, {}",
            p.id
        );
    }
    // Every gpbackup of data runs with --jobs; the metadata-only trial without.
    for (_, w) in &backups {
        assert_eq!(
            has(w, "--jobs"),
            !has(w, "--metadata-only"),
            "{what}: {w:?}"
        );
    }
    // Every point of no return comes right after a gate.
    for (i, st) in p.steps.iter().enumerate() {
        if st.kind == model::steps::StepKind::PointOfNoReturn {
            let before = &p.steps[..i];
            let last_gate = before
                .iter()
                .rposition(|s| s.kind == model::steps::StepKind::Gate);
            assert!(
                last_gate.is_some(),
                "{what}, {}: '{}' has no gate before it",
                p.id,
                st.title
            );
        }
    }
    // gpdeletesystem -f only once 7 is verified (the rollback-keeping plans).
    for (st, w) in tool_calls(p, "gpdeletesystem") {
        assert_eq!(
            st.env,
            Env::Gp6,
            "{what}: gpdeletesystem runs in the 6 environment"
        );
        if w.contains(&"-f".to_string()) {
            assert!(
                p.keeps_rollback,
                "{what}, {}: -f before 7 is verified",
                p.id
            );
        }
    }
    // A 7 standby exactly when the 6 cluster has one.
    // (gpinitsystem -s, or gpinitstandby with the mirrors in the mirrorless plan).
    let has_standby = e.new_layout.iter().any(|n| n.kind == InstanceKind::Standby);
    let mut standby_made = !tool_calls(p, "gpinitstandby").is_empty();
    for (st, w) in tool_calls(p, "gpinitsystem") {
        assert_eq!(st.env, Env::Gp7);
        standby_made |= w.contains(&"-s".to_string());
    }
    if !tool_calls(p, "gpinitsystem").is_empty() {
        assert_eq!(standby_made, has_standby, "{what}, {}", p.id);
    }
    for (st, _) in backups {
        assert_eq!(st.env, Env::Gp6, "{what}: gpbackup runs against 6");
    }
    for (st, _) in restores {
        assert!(
            matches!(st.env, Env::Gp7 | Env::Gp7Test),
            "{what}: gprestore runs against 7"
        );
    }
}

/// The 7 layout can run beside 6: unique host:port and data directories, no
/// port a 6 instance on the same host uses (for the default layout).
fn check_layout(e: &Estimate, what: &str) {
    let mut seen = std::collections::HashSet::new();
    for n in &e.new_layout {
        assert!(
            seen.insert((n.host.clone(), n.port)),
            "{what}: port {} twice on {}",
            n.port,
            n.host
        );
        assert!(
            seen_dir(&e.new_layout, n) == 1,
            "{what}: {} twice",
            n.datadir
        );
        assert!(n.dbid >= 1);
    }
}

fn seen_dir(all: &[model::layout::NewInstance], n: &model::layout::NewInstance) -> usize {
    all.iter()
        .filter(|m| m.host == n.host && m.datadir == n.datadir)
        .count()
}

#[test]
fn every_runbook_line_is_one_the_real_tools_accept() {
    let samples = [
        "fits-side-by-side.yaml",
        "needs-delete-and-reinit.yaml",
        "does-not-fit.yaml",
    ];
    let config = format!(
        "{}/samples/gpinitsystem_config.gp7",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut compressions: Vec<Vec<String>> = vec![vec!["--compression".into(), "none".into()]];
    for l in 1..=9 {
        compressions.push(vec!["--compression-level".into(), l.to_string()]);
    }
    for l in 1..=19 {
        compressions.push(
            [
                "--compression",
                "zstd",
                "--compression-level",
                &l.to_string(),
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    let targets: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--backup-dir", "/data1/whpg_backup"],
        vec!["--external-capacity", "30TB"],
        vec![
            "--external-capacity",
            "30TB",
            "--plugin-config",
            "/home/gpadmin/s3.yaml",
        ],
        vec![
            "--external-capacity",
            "30TB",
            "--external-dir",
            "/nfs/backup",
        ],
    ];
    let copies: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--direct-copy-tool", "gpcopy"],
        vec!["--direct-copy-tool", "whpg-copy"],
    ];
    let layouts: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--target-config", &config],
        vec!["--target-config", &config, "--mirror-mode", "spread"],
    ];
    let mut plans_checked = 0;
    for sample in samples {
        for product in [Product::Greenplum, Product::Warehousepg] {
            for c in &compressions {
                for t in &targets {
                    // Every compression with the plain target; every target and
                    // tool and layout with two compressions keeps the run short.
                    let others: Vec<(&Vec<&str>, &Vec<&str>)> =
                        if t.is_empty() || c[1] == "none" || c.last().unwrap() == "19" {
                            copies
                                .iter()
                                .flat_map(|d| layouts.iter().map(move |l| (d, l)))
                                .collect()
                        } else {
                            vec![(&copies[0], &layouts[0])]
                        };
                    for (d, l) in others {
                        let mut flags: Vec<&str> = c.iter().map(String::as_str).collect();
                        flags.extend(t);
                        flags.extend(d);
                        flags.extend(l);
                        let e = estimate(sample, &flags, product);
                        let what = format!("{sample} {product:?} {}", flags.join(" "));
                        check_layout(&e, &what);
                        for p in e.plans.iter().filter(|p| !p.steps.is_empty()) {
                            check_plan(&e, p, &what);
                            plans_checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(plans_checked > 5000, "{plans_checked} plans checked");
}

#[test]
fn side_by_side_backs_up_outside_both_clusters_and_restores_from_there() {
    let e = estimate("fits-side-by-side.yaml", &[], Product::Greenplum);
    let p = e.plan(PlanId::SideBySide).unwrap();
    assert_eq!(p.backup_dir.as_deref(), Some("/data1/whpg_backup"));
    let backups = tool_calls(p, "gpbackup");
    assert!(
        backups
            .iter()
            .all(|(_, w)| flag_value(w, "--backup-dir").as_deref() == Some("/data1/whpg_backup"))
    );
    // The sample's arithmetic, concentrated: sdw1:/data1 holds both of sdw1's
    // contents' backups (2 × 264.6875 GB), so the restore phase is
    // 823 + 529.375 + 2 × 400 + 2 × 1.108 = 2,154.591 GB of the 3,600 GB limit.
    let f = p
        .filesystems
        .iter()
        .find(|f| f.host == "sdw1" && f.mount == "/data1")
        .unwrap();
    assert_eq!(f.at_peak.backup, 2 * 264_687_500_000);
    assert_eq!(
        f.peak_bytes,
        823_000_000_000 + 529_375_000_000 + 800_000_000_000 + 2_216_000_000
    );
    let g = p
        .filesystems
        .iter()
        .find(|f| f.host == "sdw1" && f.mount == "/data2")
        .unwrap();
    assert_eq!(g.at_peak.backup, 0);
}

#[test]
fn an_nfs_target_is_a_backup_dir_and_a_plugin_is_a_plugin_config() {
    let nfs = estimate(
        "does-not-fit.yaml",
        &["--external-capacity", "3TB", "--external-dir", "/nfs/gp"],
        Product::Greenplum,
    );
    let p = nfs.plan(PlanId::ExternalBackup).unwrap();
    for (_, w) in tool_calls(p, "gpbackup")
        .into_iter()
        .chain(tool_calls(p, "gprestore"))
    {
        assert_eq!(flag_value(&w, "--backup-dir").as_deref(), Some("/nfs/gp"));
        assert!(!w.contains(&"--plugin-config".to_string()));
    }
    let plugin = estimate(
        "does-not-fit.yaml",
        &[
            "--external-capacity",
            "3TB",
            "--plugin-config",
            "/home/gpadmin/dd.yaml",
        ],
        Product::Greenplum,
    );
    let p = plugin.plan(PlanId::DeleteAndReinit).unwrap();
    for (_, w) in tool_calls(p, "gpbackup")
        .into_iter()
        .chain(tool_calls(p, "gprestore"))
    {
        assert_eq!(
            flag_value(&w, "--plugin-config").as_deref(),
            Some("/home/gpadmin/dd.yaml")
        );
    }
    // Destructive with a plugin: the metadata copies leave the coordinator
    // directory first, so gpdeletesystem runs without -f before 7 exists.
    let (_, w) = tool_calls(p, "gpdeletesystem").pop().unwrap();
    assert!(!w.contains(&"-f".to_string()));
    let at = |t: &str| p.steps.iter().position(|s| s.title.starts_with(t)).unwrap();
    let del = at("Delete the 6 cluster");
    assert!(at("Move earlier backups out of the 6 coordinator") < del);
    assert_eq!(
        p.steps[del - 1].commands,
        vec!["gate_coordinator_clean".to_string()]
    );
    // A plugin config is an absolute path (gpbackup refuses a relative one).
    assert!(
        p.steps
            .iter()
            .flat_map(|s| &s.commands)
            .any(|c| c.contains("gate_dirs hostfile_all /home/gpadmin"))
    );
}

#[test]
fn a_layout_that_moves_contents_needs_a_shared_target() {
    // Three target hosts instead of four: 6 segments instead of 8.
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "sdw1\nsdw2\nsdw3\n").unwrap();
    let config = format!(
        "{}/samples/gpinitsystem_config.gp7",
        env!("CARGO_MANIFEST_DIR")
    );
    let h = hosts.display().to_string();
    let flags = [
        "--target-config",
        config.as_str(),
        "--target-hosts",
        h.as_str(),
    ];
    let e = estimate("fits-side-by-side.yaml", &flags, Product::Greenplum);
    let p = e.plan(PlanId::SideBySide).unwrap();
    assert!(!p.available);
    assert!(
        p.unavailable_reason
            .as_ref()
            .unwrap()
            .contains("--resize-cluster"),
        "{:?}",
        p.unavailable_reason
    );
    let mut with_nfs = flags.to_vec();
    with_nfs.extend(["--external-capacity", "30TB", "--external-dir", "/nfs/gp"]);
    let e = estimate("fits-side-by-side.yaml", &with_nfs, Product::Greenplum);
    let p = e.plan(PlanId::ExternalBackup).unwrap();
    assert!(p.available && p.fits);
    assert!(
        tool_calls(p, "gprestore")
            .iter()
            .all(|(_, w)| w.contains(&"--resize-cluster".to_string()))
    );
}

#[test]
fn durations_follow_the_rates_by_hand() {
    use whpg_plan::model::durations::{Rates, step_duration};
    let e = estimate("fits-side-by-side.yaml", &[], Product::Greenplum);
    let p = e.plan(PlanId::SideBySide).unwrap();
    let step = |title: &str| p.steps.iter().find(|s| s.title.starts_with(title)).unwrap();
    // --rate 1GB: backup 6.05 TB of CSV ÷ 1 GB/s = 6,050 s.
    let r = Rates::new(Some(1_000_000_000), None, None).unwrap();
    assert_eq!(
        step_duration(step("Back up"), &e, &r).unwrap().seconds,
        6_050
    );
    // Restore at 1 GB/s ÷ 2.5 = 400 MB/s over 6.05 TB of CSV + 0.2 TB of
    // indexes rebuilt (sample header): 6.25e12 ÷ 4e8 = 15,625 s.
    let d = step_duration(step("Restore every database's data"), &e, &r).unwrap();
    assert_eq!(d.seconds, 15_625);
    assert!(d.basis.contains("backup rate ÷ 2.5"), "{}", d.basis);
    // An explicit --restore-rate 500MB: 6.25e12 ÷ 5e8 = 12,500 s.
    let r = Rates::new(Some(1_000_000_000), None, Some(500_000_000)).unwrap();
    assert_eq!(
        step_duration(step("Restore every database's data"), &e, &r)
            .unwrap()
            .seconds,
        12_500
    );
    // gpaddmirrors copies the 3.2 TB of primary data: 3,200 s at 1 GB/s.
    let m = e.plan(PlanId::DeleteAndReinitMirrorless).unwrap();
    let add = m.steps.iter().find(|s| s.phase == "gpaddmirrors").unwrap();
    assert_eq!(step_duration(add, &e, &r).unwrap().seconds, 3_200);
    // Steps that move no data have no duration.
    assert!(step_duration(step("Check the 7 cluster"), &e, &r).is_none());
}

//! The runbook script (`report --script`) as a reviewer checks it, without
//! the test bed: for every shipped sample and every plan that can run, the
//! script passes `bash -n` and shellcheck, its `--dry-run` prints exactly
//! the commands of the ticket's steps in the same order (one source for
//! both), it refuses phases out of order and a wrong cluster name, and no
//! script is written for a plan that does not fit. (Its runs, gates and
//! injected faults are in tests/rehearsal.rs, on the bed.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_whpg-plan"));
    c.env("RUST_BACKTRACE", "0").env("NO_COLOR", "1");
    c
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The commands of the ticket's steps, in order: the lines of every
/// indented ```sh block after "## Steps of".
fn ticket_commands(md: &str) -> Vec<String> {
    let steps = &md[md.find("\n**Phase: ").expect("a phase heading")..];
    let steps = &steps[..steps.find("\n## ").unwrap_or(steps.len())];
    let mut out = Vec::new();
    let mut inside = false;
    for l in steps.lines() {
        match l.trim() {
            "```sh" => inside = true,
            "```" => inside = false,
            c if inside => out.push(c.to_string()),
            _ => {}
        }
    }
    out
}

/// The commands `--dry-run` prints: the indented lines under each step.
fn dry_run_commands(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| l[4..].to_string())
        .collect()
}

#[test]
fn every_runnable_plan_gives_a_clean_script_with_the_tickets_commands() {
    assert!(
        Command::new("shellcheck").arg("--version").output().is_ok(),
        "this test needs shellcheck: apt-get install -y shellcheck (scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for s in [
        "fits-side-by-side.yaml",
        "needs-delete-and-reinit.yaml",
        "does-not-fit.yaml",
    ] {
        for (plan, extra) in [
            ("side-by-side", vec![]),
            ("delete-and-reinit", vec![]),
            ("delete-and-reinit-mirrorless", vec![]),
            (
                "external-backup",
                vec![
                    "--external-capacity",
                    "30TB",
                    "--plugin-config",
                    "/home/gpadmin/s3.yaml",
                ],
            ),
            ("direct-copy", vec!["--direct-copy-tool", "gpcopy"]),
        ] {
            let script = dir.path().join(format!("{s}-{plan}.sh"));
            let md = dir.path().join(format!("{s}-{plan}.md"));
            let mut args = vec![
                "report".to_string(),
                sample(s).display().to_string(),
                "--script".into(),
                script.display().to_string(),
                "--plan".into(),
                plan.into(),
            ];
            args.extend(extra.iter().map(|x| x.to_string()));
            let o = bin().args(&args).output().unwrap();
            if !script.exists() {
                // Not runnable here: a usage error naming why, nothing written.
                assert_eq!(o.status.code(), Some(2), "{s} {plan}: {}", text(&o));
                assert!(text(&o).contains("not runnable"), "{}", text(&o));
                continue;
            }
            let o = Command::new("bash")
                .arg("-n")
                .arg(&script)
                .output()
                .unwrap();
            assert!(o.status.success(), "bash -n {s} {plan}: {}", text(&o));
            let o = Command::new("shellcheck").arg(&script).output().unwrap();
            assert!(o.status.success(), "shellcheck {s} {plan}: {}", text(&o));
            // The same plan's ticket (the ticket shows the recommended plan:
            // render this one through --format json instead when it is not).
            let mut args = vec![
                "estimate".to_string(),
                sample(s).display().to_string(),
                "--format".into(),
                "json".into(),
            ];
            args.extend(extra.iter().map(|x| x.to_string()));
            let o = bin().args(&args).output().unwrap();
            let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let p = e["plans"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == plan)
                .unwrap();
            let json_cmds: Vec<String> = p["steps"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|st| st["commands"].as_array().cloned().unwrap_or_default())
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            let o = Command::new("bash")
                .arg(&script)
                .arg("--dry-run")
                .env("HOME", dir.path())
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", text(&o));
            let dry = dry_run_commands(&String::from_utf8_lossy(&o.stdout));
            assert_eq!(
                dry, json_cmds,
                "{s} {plan}: the script's commands differ from the plan's"
            );
            if e["recommended_plan"] == plan {
                let o = bin()
                    .args(["report", &sample(s).display().to_string(), "--markdown"])
                    .arg(&md)
                    .args(&extra)
                    .output()
                    .unwrap();
                assert!(
                    o.status.success() || o.status.code() == Some(3),
                    "{}",
                    text(&o)
                );
                let ticket = std::fs::read_to_string(&md).unwrap();
                assert_eq!(
                    ticket_commands(&ticket),
                    dry,
                    "{s} {plan}: ticket and script differ"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} scripts checked");
}

#[test]
fn the_script_refuses_phases_out_of_order_and_a_wrong_cluster_name() {
    let home = tempfile::tempdir().unwrap();
    let work = home.path().join("whpg_upgrade");
    std::fs::create_dir(&work).unwrap();
    for f in [
        "gpinitsystem_input_7",
        "hostfile_all",
        "directories_7",
        "instances_7",
        "whpg_gates.sh",
    ] {
        std::fs::write(work.join(f), "").unwrap();
    }
    let script = home.path().join("upgrade.sh");
    let o = bin()
        .args([
            "report",
            &sample("needs-delete-and-reinit.yaml").display().to_string(),
        ])
        .arg("--script")
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let run = |args: &[&str]| {
        Command::new("bash")
            .arg(&script)
            .args(args)
            .env("HOME", home.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    // The listing: every phase pending.
    let o = run(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("[pending] gpdeletesystem"),
        "{}",
        text(&o)
    );
    // The destructive phase before the backup: refused, nothing run.
    let o = run(&["--yes", "cdw:5432", "gpdeletesystem"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("phase prepare is not done yet"),
        "{}",
        text(&o)
    );
    // --yes with another cluster's name: refused before anything.
    let o = run(&["--yes", "sdw1:5432", "prepare"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("this script is for cluster cdw:5432"),
        "{}",
        text(&o)
    );
    // An unknown phase names the phases.
    let o = run(&["compile"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the phases: prepare backup gpdeletesystem"),
        "{}",
        text(&o)
    );
    // Without a terminal and without --yes, a manual step is not confirmed
    // and the phase stops (step 1 is the manual tool check).
    let o = run(&["prepare"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("needs a person to confirm it"),
        "{}",
        text(&o)
    );
    let state = std::fs::read_to_string(work.join("upgrade.state")).unwrap();
    assert!(!state.contains("phase prepare done"), "{state}");
}

//! The command line as a user meets it: exit codes, validation messages,
//! round-trips and output formats.

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

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_sample_gives_its_documented_exit_code() {
    for (name, code) in [
        ("fits-side-by-side.yaml", 0),
        ("needs-delete-and-reinit.yaml", 3),
        ("does-not-fit.yaml", 4),
        ("incomplete.yaml", 5),
    ] {
        let p = sample(name);
        let o = run(&["estimate", p.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        // The header of each sample states the exit code it expects.
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.contains(&format!("Expected exit code {code}")),
            "{name} header"
        );
    }
}

#[test]
fn external_capacity_rescues_the_does_not_fit_sample() {
    let p = sample("does-not-fit.yaml");
    let o = run(&[
        "estimate",
        p.to_str().unwrap(),
        "--external-capacity",
        "3TB",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["recommended_plan"], "delete-and-reinit");
}

#[test]
fn runtime_and_usage_errors_exit_1_and_2() {
    let o = run(&["estimate", "/nonexistent/inventory.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/inventory.yaml"));
    let o = run(&["estimate"]);
    assert_eq!(o.status.code(), Some(2));
    let p = sample("fits-side-by-side.yaml");
    let o = run(&["estimate", p.to_str().unwrap(), "--compression-level", "12"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("out of range"), "{}", stderr(&o));
    // An output file in a directory that does not exist fails before any work.
    let o = run(&[
        "estimate",
        p.to_str().unwrap(),
        "--json",
        "/nonexistent/dir/out.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/dir"));
    // Writing to a closed standard output is a runtime error (exit 1).
    // A standard output that cannot be written (a full disk) is a runtime error.
    // /dev/full is on every Linux; a machine without it cannot run this check.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("this test needs /dev/full (a Linux character device that is always full)");
    let o = bin()
        .args(["estimate", p.to_str().unwrap()])
        .stdout(std::process::Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

/// Writes `text` to a temporary inventory and runs estimate on it.
fn estimate_text(text: &str, ext: &str) -> (Output, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(format!("inv.{ext}"));
    std::fs::write(&p, text).unwrap();
    let o = run(&["estimate", p.to_str().unwrap()]);
    (o, p, dir)
}

fn base_text() -> String {
    std::fs::read_to_string(sample("fits-side-by-side.yaml")).unwrap()
}

/// 1-based line number of the first line equal to `needle` (trimmed).
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.trim() == needle)
        .expect("needle present")
        + 1
}

/// Replaces the first line equal to `from` (trimmed), keeping its indentation.
fn replace_line(text: &str, from: &str, to: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.trim() == from {
                done = true;
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{indent}{to}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn assert_syntax_error(text: &str, line: usize, what: &str) {
    let (o, p, _d) = estimate_text(text, "yaml");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let prefix = format!("{}:{line}:", p.display());
    assert!(err.contains(&prefix), "expected {prefix} in: {err}");
    assert!(err.contains(what), "expected '{what}' in: {err}");
}

#[test]
fn a_document_nested_100000_deep_is_rejected_at_once() {
    // YAML's parser took over 20 s to fail on this; it is refused before parsing.
    let text = format!("format: {}", "[".repeat(100_000));
    let (o, p, _d) = estimate_text(&text, "yaml");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains(&format!("{}:1:", p.display())), "{e}");
    assert!(e.contains("nested deeper than 64 levels"), "{e}");
}

#[test]
fn growth_beyond_reason_is_a_usage_error() {
    let p = sample("fits-side-by-side.yaml");
    let o = run(&["estimate", p.to_str().unwrap(), "--growth", "1e308"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--growth 1e308 is more than 10"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn malformed_yaml_names_file_line_and_column() {
    let text = base_text();
    let l = line_of(&text, "- name: sdw2");
    let broken = replace_line(&text, "- name: sdw2", "- name: [sdw2");
    let (o, p, _d) = estimate_text(&broken, "yaml");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&p.display().to_string()), "{err}");
    // The parser notices at or after the bad line.
    let after = &err[err.find(&p.display().to_string()).unwrap() + p.display().to_string().len()..];
    let at: usize = after
        .split(':')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect(&err);
    assert!(at >= l, "{err}");
}

#[test]
fn unknown_field_is_rejected_with_its_line() {
    let text = base_text();
    let l = line_of(&text, "- name: sdw1");
    let with = replace_line(&text, "- name: sdw1", "- name: sdw1\n    colour: red");
    assert_syntax_error(&with, l + 1, "unknown field `colour`");
}

#[test]
fn bad_sizes_are_rejected_with_their_line() {
    let text = base_text();
    let needle = "used_bytes: 823000000000";
    let l = line_of(&text, needle);
    for (bad, what) in [
        ("used_bytes: -5", "-5"),
        ("used_bytes: 1.5", "floating point"),
        ("used_bytes: lots", "lots"),
    ] {
        assert_syntax_error(&replace_line(&text, needle, bad), l, what);
    }
}

#[test]
fn json_inventories_report_line_and_column_too() {
    let p = sample("fits-side-by-side.yaml");
    let inv = whpg_plan::inventory::load(&p).unwrap();
    let json = whpg_plan::inventory::to_string(&inv, whpg_plan::inventory::InventoryFormat::Json);
    let needle = "\"used_bytes\": 823000000000,";
    let l = line_of(&json, needle);
    let broken = replace_line(&json, needle, "\"used_bytes\": -823,");
    let (o, path, _d) = estimate_text(&broken, "json");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{}:{l}:", path.display())),
        "{}",
        stderr(&o)
    );
}

fn assert_invalid(text: &str, what: &[&str]) {
    let (o, p, _d) = estimate_text(text, "yaml");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&p.display().to_string()), "{err}");
    for w in what {
        assert!(err.contains(w), "expected '{w}' in: {err}");
    }
}

#[test]
fn used_plus_available_above_total_is_rejected() {
    let text = base_text();
    let t = replace_line(
        &text,
        "available_bytes: 3177000000000",
        "available_bytes: 3277000000000",
    );
    assert_invalid(&t, &["host sdw1 filesystem /data1", "exceeds total_bytes"]);
}

#[test]
fn instance_on_an_unlisted_mount_is_rejected() {
    let text = base_text();
    let t = replace_line(
        &text,
        "datadir: /data1/primary/gpseg0",
        "datadir: /data9/primary/gpseg0",
    );
    let t = t.replacen(
        "    mount: /data1\n    bytes:",
        "    mount: /data9\n    bytes:",
        2,
    );
    assert_invalid(&t, &["mount /data9 is not a filesystem listed for host"]);
}

#[test]
fn the_same_filesystem_twice_is_rejected() {
    let text = base_text();
    let t = replace_line(&text, "- mount: /data2", "- mount: /data1");
    assert_invalid(&t, &["host sdw1: filesystem /data1 listed twice"]);
}

#[test]
fn a_content_without_primary_is_rejected() {
    let text = base_text();
    // dbid 2 is content 0's primary: make it a mirror.
    let i = text.find("  - dbid: 2\n").unwrap();
    let mut t = text.clone();
    let role_at = i + t[i..].find("role: primary").unwrap();
    t.replace_range(role_at..role_at + "role: primary".len(), "role: mirror");
    assert_invalid(&t, &["content 0: has no primary"]);
}

#[test]
fn a_duplicated_dbid_is_rejected() {
    let text = base_text();
    let t = text.replacen("  - dbid: 3\n", "  - dbid: 2\n", 1);
    assert_invalid(&t, &["dbid 2 is used twice"]);
}

#[test]
fn a_mirror_beside_its_primary_is_only_a_warning() {
    let text = base_text();
    // Content 0's mirror (dbid 10) moves from sdw2 to sdw1, where its primary is.
    let i = text.find("  - dbid: 10\n").unwrap();
    let mut t = text.clone();
    let at = i + t[i..].find("host: sdw2").unwrap();
    t.replace_range(at..at + "host: sdw2".len(), "host: sdw1");
    // On a port of its own: two instances on one host:port is invalid.
    let at = i + t[i..].find("port: 7000").unwrap();
    t.replace_range(at..at + "port: 7000".len(), "port: 7100");
    let (o, _p, _d) = estimate_text(&t, "yaml");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .contains("content 0: mirror (dbid 10) is on the same host as its primary (sdw1)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn inventories_round_trip_through_yaml_and_json() {
    use whpg_plan::inventory::{InventoryFormat, load, load_str, to_string};
    for name in [
        "fits-side-by-side.yaml",
        "incomplete.yaml",
        "does-not-fit.yaml",
    ] {
        let inv = load(&sample(name)).unwrap();
        for fmt in [InventoryFormat::Yaml, InventoryFormat::Json] {
            let text = to_string(&inv, fmt);
            let back = load_str(&text, Path::new("roundtrip"), fmt).unwrap();
            assert_eq!(back, inv, "{name} via {fmt:?}");
        }
    }
}

#[test]
fn json_output_follows_the_contract() {
    let p = sample("needs-delete-and-reinit.yaml");
    let o = run(&["estimate", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "fits-destructive");
    assert_eq!(v["recommended_plan"], "delete-and-reinit");
    // 6.05 TB CSV × 0.35 = 2.1175 TB (sample header), split over 8 contents and rounded.
    assert_eq!(v["backup"]["csv_bytes"], 6_050_000_000_000u64);
    let compressed = v["backup"]["compressed_bytes"].as_u64().unwrap();
    assert!(compressed.abs_diff(2_117_500_000_000) <= 8, "{compressed}");
    assert_eq!(v["backup"]["compression"], "gzip-1");
    assert_eq!(v["backup"]["estimated_from"], "stats");
    assert_eq!(v["rule_of_thumb"]["five_x_bytes"], 16_000_000_000_000u64);
    let plans = v["plans"].as_array().unwrap();
    let ids: Vec<&str> = plans.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "side-by-side",
            "external-backup",
            "direct-copy",
            "delete-and-reinit",
            "delete-and-reinit-mirrorless"
        ]
    );
    let side = &plans[0];
    assert_eq!(side["fits"], false);
    assert_eq!(side["keeps_rollback"], true);
    let f = &side["filesystems"][0];
    for key in [
        "host",
        "mount",
        "limit_bytes",
        "peak_bytes",
        "peak_phase",
        "shortfall_bytes",
    ] {
        assert!(!f[key].is_null(), "{key}");
    }
    // 0.90 × 2 TB = 1.8 TB; peak on /data1, which holds both of the host's
    // backups: 823 + 2 × 264.6875 + 800 + 2.216 GB (sample header).
    assert_eq!(f["limit_bytes"], 1_800_000_000_000u64);
    assert_eq!(f["mount"], "/data1");
    let peak = f["peak_bytes"].as_u64().unwrap();
    assert!(peak.abs_diff(2_154_591_000_000) <= 1, "{peak}");
    assert_eq!(f["peak_phase"], "restore");
    let backup = side["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == "Back up every database")
        .unwrap();
    assert_eq!(backup["env"], "gp6");
    // Side by side does not fit this sample: its steps are prose, no command
    // (issue 16, item 6), and each says why.
    assert_eq!(side["runnable"], false);
    assert!(backup["commands"].is_null() || backup["commands"] == serde_json::json!([]));
    let note = backup["note"].as_str().unwrap();
    assert!(
        note.starts_with("not runnable: does not fit, short by "),
        "{note}"
    );
    let d = &plans[3];
    assert_eq!(d["fits"], true);
    assert_eq!(d["runnable"], true);
    let d_backup = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == "Back up every database")
        .unwrap();
    assert_eq!(
        d_backup["commands"][0],
        "gpbackup --dbname sales --backup-dir /data1/whpg_backup --compression-type gzip --compression-level 1 --jobs 4 2>&1 | tee gpbackup_1.log"
    );
    assert_eq!(d["backup_dir"], "/data1/whpg_backup");
    let cmds: Vec<String> = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["commands"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        cmds.iter()
            .any(|c| c == "gpdeletesystem -d /data/master/gpseg-1"),
        "{cmds:?}"
    );
    assert!(
        cmds.iter()
            .any(|c| c.contains("--backup-dir /data1/whpg_backup"))
    );
}

#[test]
fn yaml_output_parses_and_matches_json() {
    let p = sample("fits-side-by-side.yaml");
    let j = run(&["estimate", p.to_str().unwrap(), "--format", "json"]);
    let y = run(&["estimate", p.to_str().unwrap(), "--format", "yaml"]);
    let jv: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let yv: serde_json::Value = serde_yaml::from_slice(&y.stdout).unwrap();
    // The whole result, every field, is the same in both: integers (all byte
    // counts) exactly; floats to 1e-12 relative, since the YAML writer prints
    // some f64 one digit off the shortest round-trip form (0.22224718506666666
    // for JSON's 0.22224718506666663).
    fn same(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
        use serde_json::Value::*;
        match (a, b) {
            (Object(x), Object(y)) => {
                assert_eq!(x.len(), y.len(), "{path}: keys differ");
                for (k, v) in x {
                    same(v, y.get(k).unwrap_or(&Null), &format!("{path}.{k}"));
                }
            }
            (Array(x), Array(y)) => {
                assert_eq!(x.len(), y.len(), "{path}: lengths differ");
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    same(u, v, &format!("{path}[{i}]"));
                }
            }
            (Number(x), Number(y)) if x.is_f64() || y.is_f64() => {
                let (u, v) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!(
                    (u - v).abs() <= 1e-12 * u.abs().max(v.abs()),
                    "{path}: {u} vs {v}"
                );
            }
            _ => assert_eq!(a, b, "{path}"),
        }
    }
    same(&jv, &yv, "");
}

#[test]
fn report_writes_files_atomically_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample("fits-side-by-side.yaml");
    let json = dir.path().join("r.json");
    let md = dir.path().join("r.md");
    let o = run(&[
        "report",
        p.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["verdict"], "fits");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.starts_with("# Upgrade capacity plan"));
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn target_config_changes_the_layout() {
    let p = sample("fits-side-by-side.yaml");
    let cfg = sample("gpinitsystem_config.gp7");
    let o = run(&[
        "estimate",
        p.to_str().unwrap(),
        "--target-config",
        cfg.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["assumptions"]["layout"]
            .as_str()
            .unwrap()
            .contains("gpinitsystem_config.gp7")
    );
    // The sample's MACHINE_LIST_FILE sits beside it: no assumption to report.
    assert!(!v["warnings"].to_string().contains("MACHINE_LIST_FILE"));
    // Without a host file beside the config, the 6 hosts are assumed, and said so.
    let alone = tempfile::tempdir().unwrap();
    let lone = alone.path().join("gpinitsystem_config");
    std::fs::copy(&cfg, &lone).unwrap();
    let o = run(&[
        "estimate",
        p.to_str().unwrap(),
        "--target-config",
        lone.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["warnings"]
            .to_string()
            .contains("assumes the 6 cluster's 4 segment hosts"),
        "{}",
        v["warnings"]
    );
    // A config with a broken line is a usage error naming file and line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cfg");
    std::fs::write(
        &bad,
        "SEG_PREFIX=gpseg\ndeclare -a DATA_DIRECTORY=(/data1/p\n",
    )
    .unwrap();
    let o = run(&[
        "estimate",
        p.to_str().unwrap(),
        "--target-config",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{}:2:", bad.display())),
        "{}",
        stderr(&o)
    );
}

#[test]
fn snapshots_of_the_table_and_the_ticket() {
    // JSON is pinned field by field in json_output_follows_the_contract and the
    // model's unit tests: a 2,000-line snapshot of it invites blind acceptance.
    for name in [
        "fits-side-by-side",
        "needs-delete-and-reinit",
        "does-not-fit",
        "incomplete",
    ] {
        let p = sample(&format!("{name}.yaml"));
        for fmt in ["table", "markdown"] {
            let o = run(&["estimate", p.to_str().unwrap(), "--format", fmt]);
            insta::assert_snapshot!(format!("{name}.{fmt}"), stdout(&o));
        }
    }
}

/// The what-if table says what each combination costs in time: the row of
/// the options the estimate ran with (gzip-1 to the searched backup
/// directory) shows the same outage as the Outage section's recommended plan.
#[test]
fn what_if_rows_carry_the_outage_of_their_best_plan() {
    let p = sample("needs-delete-and-reinit.yaml");
    let o = run(&["estimate", p.to_str().unwrap(), "--what-if"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let out = stdout(&o);
    let recommended = out
        .lines()
        .find(|l| l.starts_with("  *delete-and-reinit "))
        .unwrap_or_else(|| panic!("{out}"));
    let outage = recommended
        .split("outage ")
        .nth(1)
        .and_then(|r| r.split(" (").next())
        .unwrap()
        .to_string();
    assert!(out.contains("OUTAGE"), "{out}");
    let row = out
        .lines()
        .find(|l| l.starts_with("gzip-1    --backup-dir /data1/whpg_backup"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains(&outage), "{row} lacks {outage}");
}

//! The pre-flight as the user sees it, on the shipped samples: the verdict of
//! a delete-first plan waits on the failing items (exit code still 3), the
//! JSON carries the gate, the ticket the resource groups' SQL, and a clean
//! pre-flight adds no condition.

use std::process::Command;

fn whpg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("whpg-plan runs")
}

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/samples/needs-delete-and-reinit.yaml"
);

#[test]
fn a_delete_first_verdict_waits_on_the_failing_items_and_still_exits_3() {
    let o = whpg(&["estimate", SAMPLE]);
    assert_eq!(o.status.code(), Some(3));
    let out = String::from_utf8_lossy(&o.stdout);
    let first = out.lines().next().unwrap();
    assert!(
        first.ends_with("deletes the 6 cluster before 7 is restored — only after the pre-flight's 2 failing item(s) (removed-settings, plpython2) are resolved on 6 and collected again clean (or a metadata-only trial restore on a scratch 7 system is signed off)"),
        "{first}"
    );
    // Worst first: the three failing items lead, the clean ones say so.
    let pf: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Pre-flight:"))
        .skip(1)
        .take(3)
        .collect();
    assert!(
        pf[0].contains("#1  resource-groups")
            && pf[0].contains(
                "3 found: admin_group, default_group, rg_etl -> exclude and move by other means"
            ),
        "{pf:?}"
    );
    assert!(
        pf[1].contains("removed-settings") && pf[2].contains("plpython2"),
        "{pf:?}"
    );
    assert_eq!(out.matches("checked, none found").count(), 16);
}

#[test]
fn the_json_carries_the_gate_per_plan_and_in_the_summary() {
    let o = whpg(&["estimate", SAMPLE, "--format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v["preflight"]["summary"];
    assert_eq!(s["checked"], true);
    assert_eq!(
        s["failing_items"],
        serde_json::json!(["resource-groups", "removed-settings", "plpython2"])
    );
    assert_eq!(s["not_checked"], serde_json::json!([]));
    let blocking: Vec<(&str, bool)> = v["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap(),
                p["preflight_blocking"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        blocking,
        [
            ("side-by-side", false),
            ("external-backup", false),
            ("direct-copy", false),
            ("delete-and-reinit", true),
            ("delete-and-reinit-mirrorless", true)
        ]
    );
    // What 7 needs first, with the databases that use it.
    assert_eq!(v["preflight"]["install_on_7"][0]["name"], "postgis");
    assert_eq!(v["preflight"]["install_on_7"][1]["name"], "$libdir/geohash");
}

#[test]
fn the_ticket_has_the_resource_groups_to_create_on_7() {
    let o = whpg(&["estimate", SAMPLE, "--format", "markdown"]);
    let md = String::from_utf8_lossy(&o.stdout);
    let sql = md
        .split("```sql\n")
        .nth(1)
        .and_then(|r| r.split("```").next())
        .expect("an sql block");
    // 6's built-in groups are altered (7 has them), the others created; cpu_rate_limit → cpu_max_percent.
    assert!(sql.contains("ALTER RESOURCE GROUP default_group SET CONCURRENCY 20;\nALTER RESOURCE GROUP default_group SET CPU_MAX_PERCENT 30;\n"), "{sql}");
    assert!(sql.contains("CREATE RESOURCE GROUP rg_etl WITH (CONCURRENCY=5, CPUSET='1-3');"));
    assert!(sql.contains("--   no 7 equivalent, not carried: memory_shared_quota 50, memory_spill_ratio 30, memory_auditor 1"));
    assert!(md.contains("| library | `$libdir/geohash` | public.geohash(point) | sales |"));
}

#[test]
fn a_plan_that_keeps_6_is_not_held_back_and_an_old_inventory_says_not_run() {
    // fits-side-by-side: GP6's two resource groups are failing items, but the
    // recommended plan keeps 6: the verdict has no condition and exits 0.
    let o = whpg(&[
        "estimate",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/fits-side-by-side.yaml"
        ),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.lines().next().unwrap().contains("only after"));
    // The resource groups are carried by the runbook (created on 7 first,
    // the globals restore gated on them): nothing waits on them alone.
    assert!(out.contains("Pre-flight: 1 item(s) make the restore on 7 fail, 0 restore differently, 0 not checked\n"), "{out}");
    let o = whpg(&[
        "estimate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/samples/does-not-fit.yaml"),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Pre-flight: not run"));
}

#[test]
fn the_html_report_lists_every_item_and_the_sql() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let o = whpg(&["report", SAMPLE, "--html", html.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let page = std::fs::read_to_string(&html).unwrap();
    let section = page
        .split("<h2>Pre-flight: what the restore on 7 refuses or changes</h2>")
        .nth(1)
        .and_then(|r| r.split("</section>").next())
        .expect("a pre-flight section");
    // 23 items: one row each, plus the header row; the failing ones marked.
    assert_eq!(section.matches("<tr").count(), 24);
    assert_eq!(section.matches("<tr class=\"short\">").count(), 3);
    assert_eq!(section.matches("checked, none found").count(), 16);
    assert!(
        section
            .contains("CREATE RESOURCE GROUP rg_etl WITH (CONCURRENCY=5, CPUSET=&#39;1-3&#39;);"),
        "{section}"
    );
}

//! What the pre-flight's findings mean for the plans: which items make the
//! restore on 7 fail, what to do about each, whether a plan that deletes 6
//! first may go ahead, and the resource groups as SQL to recreate on 7.
//! Pure functions of the inventory's `compatibility` section.

use serde::Serialize;

use crate::inventory::{
    CheckStatus, Compatibility, CompatibilityItem, Finding, Inventory, NotChecked, ResourceGroup,
    Severity,
};

/// The gate a runbook checks before `gpdeletesystem`: the pre-flight was
/// run and checked everything, and nothing that makes the restore fail was
/// found. `Estimate::preflight.summary` (`model::Preflight::summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightSummary {
    /// Every item whose query could run was checked (no query failed, and
    /// the inventory has a pre-flight at all).
    pub checked: bool,
    /// Ids of the items found that make the restore fail.
    pub failing_items: Vec<String>,
    /// Those of `failing_items` the runbook does not handle itself: what
    /// holds a delete-first plan back (the resource groups every 6 cluster
    /// has are handled: created on 7 first, and the globals restore is gated
    /// on exactly their statements).
    pub blocking_items: Vec<String>,
    /// Ids of the items that could not be checked (their findings are unknown).
    pub not_checked: Vec<String>,
    /// Those of `not_checked` that would make the restore fail if present.
    pub not_checked_failing: Vec<String>,
}

impl PreflightSummary {
    /// Whether a plan that deletes 6 before the restore must wait: failing
    /// items were found, or an item that would make the restore fail could
    /// not be checked.
    pub fn blocks_delete_first(&self) -> bool {
        !self.blocking_items.is_empty() || !self.not_checked_failing.is_empty()
    }
}

/// Failing items the runbook itself carries through the restore.
pub const HANDLED_BY_RUNBOOK: [&str; 1] = ["resource-groups"];

/// What to do about an item's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Change the object on 6 before the backup (and collect again).
    FixOn6,
    /// Leave it out of the restore and carry it to 7 another way.
    ExcludeAndMove,
    /// Install what it needs on every 7 host before the restore.
    InstallOn7First,
    /// A person decides (the catalog cannot).
    ReviewByHand,
}

impl Action {
    /// The words the reports print.
    pub fn label(self) -> &'static str {
        match self {
            Action::FixOn6 => "fix on 6 before the backup",
            Action::ExcludeAndMove => "exclude and move by other means",
            Action::InstallOn7First => "install on 7 first",
            Action::ReviewByHand => "review by hand",
        }
    }
}

/// One item as the reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreflightItem {
    /// Stable id.
    pub id: String,
    /// greenplum.md's row.
    pub number: u8,
    /// fails / silent / manual.
    pub severity: Severity,
    /// What is looked for.
    pub title: String,
    /// The fact and its source.
    pub source: String,
    /// Checked, not checked, manual.
    pub status: CheckStatus,
    /// Objects found (all of them, also beyond those listed).
    pub count: u64,
    /// What to do.
    pub action: Action,
    /// How, in a sentence.
    pub what_to_do: String,
    /// The objects listed.
    pub findings: Vec<Finding>,
    /// Why it was not checked, where.
    pub not_checked: Vec<NotChecked>,
}

impl PreflightItem {
    /// Whether its findings make the restore fail.
    pub fn failing(&self) -> bool {
        self.severity == Severity::Fails && self.count > 0
    }

    /// The line every report shows for a clean or unchecked item.
    pub fn state_text(&self) -> String {
        match self.status {
            CheckStatus::Manual => "review by hand (outside what a catalog can tell)".into(),
            CheckStatus::NotApplicable => format!(
                "does not apply: {}",
                self.not_checked
                    .first()
                    .map(|n| n.reason.as_str())
                    .unwrap_or("not this catalog")
            ),
            CheckStatus::NotChecked => format!(
                "NOT CHECKED: {}",
                self.not_checked
                    .iter()
                    .map(|n| match &n.database {
                        Some(d) => format!("{d}: {}", n.reason),
                        None => n.reason.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            CheckStatus::Checked if self.count == 0 => "checked, none found".into(),
            CheckStatus::Checked => format!("{} found", self.count),
        }
    }
}

/// Something 7 must have before the restore: an extension or a shared library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallOn7 {
    /// `extension` or `library`.
    pub kind: String,
    /// The extension's name or the library's path (`$libdir/…`).
    pub name: String,
    /// The extension's version(s) on 6, or the functions using the library.
    pub detail: String,
    /// The databases that use it.
    pub databases: Vec<String>,
}

/// The pre-flight in the model's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preflight {
    /// The gate.
    pub summary: PreflightSummary,
    /// Every item, worst first.
    pub items: Vec<PreflightItem>,
    /// The resource groups as SQL to review and run on 7 (see [`resource_groups_sql`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_groups_sql: Option<String>,
    /// What must be installed on 7 before the restore.
    pub install_on_7: Vec<InstallOn7>,
}

/// What to do for item `id`, and how.
fn action(id: &str) -> (Action, &'static str) {
    match id {
        "resource-groups" => (
            Action::ExcludeAndMove,
            "create the groups on 7 from the SQL below before the restore, and restore the globals without the 6 resource group statements (gprestore --with-globals stops at the first one)",
        ),
        "removed-settings" => (
            Action::FixOn6,
            "ALTER DATABASE / ALTER ROLE … RESET each setting on 6, and set the 7 equivalent on 7 after the restore",
        ),
        "pg-role-names" => (
            Action::FixOn6,
            "ALTER ROLE … RENAME TO a name without the pg_ prefix, and change what logs in with it",
        ),
        "sha256-passwords" => (
            Action::FixOn6,
            "set these passwords again on 6 with password_hash_algorithm md5, or on 7 after the restore (SCRAM)",
        ),
        "removed-types" => (
            Action::FixOn6,
            "ALTER the columns to timestamptz / interval / text (abstime, reltime, unknown) or drop them; replace the functions and types",
        ),
        "views-on-removed-catalog" => (
            Action::ReviewByHand,
            "a text search: read each view; rewrite it for 7's catalog (relam/pg_am, prokind, pg_get_expr, pg_partitioned_table, *wal*) or exclude it and create it on 7",
        ),
        "plpython2" => (
            Action::ExcludeAndMove,
            "gpbackup cannot leave a function out: keep each one's DDL, drop it on 6 before the backup, and create it again in plpython3u on 7",
        ),
        "extensions" => (
            Action::InstallOn7First,
            "install each extension's 7 build on every 7 host before the restore (gpbackup writes CREATE EXTENSION)",
        ),
        "c-functions" => (
            Action::InstallOn7First,
            "build each library for 7 and install it at the same path on every 7 host before the restore",
        ),
        "arrow-operator" => (
            Action::FixOn6,
            "ALTER OPERATOR … => cannot rename: drop it and create it under another name on 6",
        ),
        "multi-column-list-partitions" | "exclusive-inclusive-bounds" => (
            Action::ExcludeAndMove,
            "exclude the table from the restore, create it on 7 in 7's partition syntax and copy its data",
        ),
        "unnamed-external-partitions" => (
            Action::FixOn6,
            "ALTER TABLE … RENAME PARTITION FOR (RANK(n)) TO a name on 6",
        ),
        "hash-opclasses" => (
            Action::FixOn6,
            "ALTER TABLE … SET DISTRIBUTED BY (column) with a type and operator class 7 has (or RANDOMLY)",
        ),
        "legacy-hashops" => (
            Action::FixOn6,
            "redistribute with the default operator classes (ALTER TABLE … SET WITH (REORGANIZE=true) DISTRIBUTED BY …) and turn gp_use_legacy_hashops off",
        ),
        "partial-numsegments" => (
            Action::FixOn6,
            "finish the expansion (gpexpand, or ALTER TABLE … EXPAND TABLE) on 6",
        ),
        "new-keywords" => (Action::FixOn6, "rename the objects on 6"),
        "quicklz" => (
            Action::ReviewByHand,
            "restored as zstd: expect different sizes; nothing to do unless QuickLZ is required",
        ),
        "with-oids" => (
            Action::ReviewByHand,
            "anything reading the oid column must change before it runs on 7",
        ),
        "materialized-views" => (
            Action::ReviewByHand,
            "REFRESH MATERIALIZED VIEW each one on 7 after the restore",
        ),
        "leaf-only-indexes" => (
            Action::ReviewByHand,
            "create the indexes again on 7 after the restore",
        ),
        "extension-config-tables" => (
            Action::ExcludeAndMove,
            "copy these tables' rows to 7 after the restore (COPY out on 6, in on 7)",
        ),
        _ => (
            Action::ReviewByHand,
            "carry postgresql.conf and pg_hba.conf settings by hand; restore with --with-globals once; gp_toolkit and other excluded schemas are not in the backup",
        ),
    }
}

/// An item's status as the gate reads it: one that says "checked" but
/// records a failed query (a hand-edited inventory) is not checked.
fn effective_status(i: &CompatibilityItem) -> CheckStatus {
    if i.status == CheckStatus::Checked && !i.not_checked.is_empty() {
        CheckStatus::NotChecked
    } else {
        i.status
    }
}

/// The gate's summary of a pre-flight.
pub fn summary(c: &Compatibility) -> PreflightSummary {
    let not_checked: Vec<String> = c
        .items
        .iter()
        .filter(|i| effective_status(i) == CheckStatus::NotChecked)
        .map(|i| i.id.clone())
        .collect();
    PreflightSummary {
        checked: not_checked.is_empty(),
        not_checked_failing: c
            .items
            .iter()
            .filter(|i| {
                effective_status(i) == CheckStatus::NotChecked && i.severity == Severity::Fails
            })
            .map(|i| i.id.clone())
            .collect(),
        blocking_items: c
            .items
            .iter()
            .filter(|i| i.severity == Severity::Fails && i.count > 0)
            .filter(|i| !HANDLED_BY_RUNBOOK.contains(&i.id.as_str()))
            .map(|i| i.id.clone())
            .collect(),
        failing_items: c
            .items
            .iter()
            .filter(|i| i.severity == Severity::Fails && i.count > 0)
            .map(|i| i.id.clone())
            .collect(),
        not_checked,
    }
}

/// How bad an item is, for "worst first": failing findings, then failing
/// items not checked, then silent findings, the rest, then clean ones.
fn rank(i: &CompatibilityItem) -> u8 {
    let found = i.count > 0;
    let unknown = effective_status(i) == CheckStatus::NotChecked;
    match (i.severity, found, unknown) {
        (Severity::Fails, true, _) => 0,
        (Severity::Fails, false, true) => 1,
        (Severity::Manual, true, _) => 2,
        (Severity::Silent, true, _) => 3,
        (_, false, true) => 4,
        (_, _, _) if i.status == CheckStatus::Manual => 5,
        _ => 6,
    }
}

/// The pre-flight of an inventory, or `None` when it has none.
pub fn preflight(inv: &Inventory) -> Option<Preflight> {
    let c = inv.compatibility.as_ref()?;
    let mut items: Vec<(&CompatibilityItem, PreflightItem)> = c
        .items
        .iter()
        .map(|i| {
            let (action, what) = action(&i.id);
            (
                i,
                PreflightItem {
                    id: i.id.clone(),
                    number: i.number,
                    severity: i.severity,
                    title: i.title.clone(),
                    source: i.source.clone(),
                    status: effective_status(i),
                    count: i.count,
                    action,
                    what_to_do: what.into(),
                    findings: i.findings.clone(),
                    not_checked: i.not_checked.clone(),
                },
            )
        })
        .collect();
    items.sort_by_key(|(i, _)| (rank(i), i.number));
    Some(Preflight {
        summary: summary(c),
        items: items.into_iter().map(|(_, p)| p).collect(),
        resource_groups_sql: (!c.resource_groups.is_empty()).then(|| resource_groups_sql(c)),
        install_on_7: install_on_7(c),
    })
}

/// Extensions and C libraries by name, with the databases using them.
fn install_on_7(c: &Compatibility) -> Vec<InstallOn7> {
    let mut out: Vec<InstallOn7> = Vec::new();
    let mut add = |kind: &str, name: String, detail: String, db: Option<&String>| {
        let e = match out.iter_mut().find(|e| e.kind == kind && e.name == name) {
            Some(e) => e,
            None => {
                out.push(InstallOn7 {
                    kind: kind.into(),
                    name,
                    detail: String::new(),
                    databases: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        if !e.detail.split(", ").any(|d| d == detail) {
            if !e.detail.is_empty() {
                e.detail.push_str(", ");
            }
            e.detail.push_str(&detail);
        }
        if let Some(db) = db
            && !e.databases.contains(db)
        {
            e.databases.push(db.clone());
        }
    };
    for i in &c.items {
        for f in &i.findings {
            match i.id.as_str() {
                "extensions" => add(
                    "extension",
                    f.name.clone(),
                    f.detail.clone(),
                    f.database.as_ref(),
                ),
                "c-functions" => {
                    // detail: "library <path>, symbol <s>"
                    let lib = f
                        .detail
                        .strip_prefix("library ")
                        .and_then(|d| d.split(", symbol ").next())
                        .unwrap_or(&f.detail)
                        .to_string();
                    let func = match &f.schema {
                        Some(s) => format!("{s}.{}", f.name),
                        None => f.name.clone(),
                    };
                    add("library", lib, func, f.database.as_ref());
                }
                _ => {}
            }
        }
    }
    out
}

/// A name as an SQL identifier (quoted when it is not plain lower case).
fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The 7 attributes a DBA would set for one 6 group, and the 6 settings
/// that have none.
fn group_sql(r: &ResourceGroup) -> String {
    fn v(o: &Option<String>) -> Option<&str> {
        o.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let mut attrs: Vec<String> = Vec::new();
    if let Some(c) = v(&r.concurrency) {
        attrs.push(format!("CONCURRENCY={c}"));
    }
    match (v(&r.cpuset), v(&r.cpu_rate_limit)) {
        (Some(set), _) if set != "-1" => {
            attrs.push(format!("CPUSET='{}'", set.replace('\'', "''")))
        }
        (_, Some(rate)) if rate != "-1" => attrs.push(format!("CPU_MAX_PERCENT={rate}")),
        _ => {}
    }
    let mut s = format!("-- {} on 6: {}\n", r.name, r.settings_line());
    if let Some(m) = v(&r.memory_limit).filter(|m| *m != "0") {
        s.push_str(&format!(
            "--   memory_limit {m}% has no direct 7 equivalent: 7's MEMORY_QUOTA is an amount, not a share; size it from this group's share of the 6 host's resource group memory and add MEMORY_QUOTA=<amount> below\n"
        ));
    }
    let dropped: Vec<String> = [
        ("memory_shared_quota", &r.memory_shared_quota),
        ("memory_spill_ratio", &r.memory_spill_ratio),
        ("memory_auditor", &r.memory_auditor),
    ]
    .iter()
    .filter_map(|(n, o)| v(o).map(|x| format!("{n} {x}")))
    .collect();
    if !dropped.is_empty() {
        s.push_str(&format!(
            "--   no 7 equivalent, not carried: {}\n",
            dropped.join(", ")
        ));
    }
    let builtin = matches!(
        r.name.as_str(),
        "admin_group" | "default_group" | "system_group"
    );
    if attrs.is_empty() {
        s.push_str(&format!("-- (nothing to set for {})\n", r.name));
    } else if builtin {
        // 7 creates these itself: set each attribute on the existing group.
        for a in &attrs {
            let (k, val) = a.split_once('=').expect("attribute has =");
            s.push_str(&format!(
                "ALTER RESOURCE GROUP {} SET {k} {val};\n",
                ident(&r.name)
            ));
        }
    } else {
        s.push_str(&format!(
            "CREATE RESOURCE GROUP {} WITH ({});\n",
            ident(&r.name),
            attrs.join(", ")
        ));
    }
    s
}

/// The 6 resource groups as SQL to review and run on 7 before the restore:
/// CONCURRENCY as is; CPU_RATE_LIMIT → CPU_MAX_PERCENT (both a percentage
/// of the CPU), or CPUSET as is; MEMORY_LIMIT named for a MEMORY_QUOTA the
/// DBA sizes (7 takes an amount, 6 had a share); MEMORY_SHARED_QUOTA,
/// MEMORY_SPILL_RATIO and MEMORY_AUDITOR have no 7 equivalent and are listed
/// as not carried. CPU_WEIGHT, MIN_COST and IO_LIMIT are new on 7 and keep
/// their defaults. admin_group and default_group exist on a fresh 7: they
/// are altered, the others created. Empty when there are no groups.
pub fn resource_groups_sql(c: &Compatibility) -> String {
    if c.resource_groups.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "-- Resource groups of the 6 cluster, for 7 (whpg-plan pre-flight). Review, then run on 7 as a superuser\n\
-- before the restore. 7 knows CONCURRENCY, CPU_MAX_PERCENT, CPU_WEIGHT, CPUSET, MEMORY_QUOTA, MIN_COST, IO_LIMIT.\n",
    );
    for r in &c.resource_groups {
        s.push('\n');
        s.push_str(&group_sql(r));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, vals: [&str; 7]) -> ResourceGroup {
        let o = |s: &str| Some(s.to_string());
        ResourceGroup {
            name: name.into(),
            concurrency: o(vals[0]),
            cpu_rate_limit: o(vals[1]),
            memory_limit: o(vals[2]),
            memory_shared_quota: o(vals[3]),
            memory_spill_ratio: o(vals[4]),
            memory_auditor: o(vals[5]),
            cpuset: o(vals[6]),
        }
    }

    fn item(id: &str, severity: Severity, status: CheckStatus, count: u64) -> CompatibilityItem {
        CompatibilityItem {
            id: id.into(),
            number: match id {
                "resource-groups" => 1,
                "removed-types" => 5,
                "quicklz" => 15,
                "materialized-views" => 17,
                _ => 20,
            },
            severity,
            title: id.into(),
            source: String::new(),
            status,
            not_checked: Vec::new(),
            count,
            findings: Vec::new(),
        }
    }

    #[test]
    fn resource_groups_become_7_attributes_and_say_what_is_lost() {
        let c = Compatibility {
            items: Vec::new(),
            resource_groups: vec![
                group("admin_group", ["10", "10", "10", "80", "0", "0", "-1"]),
                group("rg_etl", ["5", "-1", "20", "50", "30", "1", "1-3"]),
                group("Reports", ["8", "25", "0", "20", "10", "0", "-1"]),
            ],
        };
        let sql = resource_groups_sql(&c);
        // Built-in: altered, one attribute at a time.
        assert!(sql.contains("ALTER RESOURCE GROUP admin_group SET CONCURRENCY 10;\nALTER RESOURCE GROUP admin_group SET CPU_MAX_PERCENT 10;\n"), "{sql}");
        // A cpuset group keeps its cores; cpu_rate_limit -1 is not a percentage.
        assert!(
            sql.contains("CREATE RESOURCE GROUP rg_etl WITH (CONCURRENCY=5, CPUSET='1-3');"),
            "{sql}"
        );
        // A mixed-case name is quoted; memory_limit 0 asks for no quota.
        assert!(
            sql.contains(
                "CREATE RESOURCE GROUP \"Reports\" WITH (CONCURRENCY=8, CPU_MAX_PERCENT=25);"
            ),
            "{sql}"
        );
        assert!(sql.contains("--   memory_limit 20% has no direct 7 equivalent"));
        assert_eq!(sql.matches("memory_limit 0% ").count(), 0);
        assert!(sql.contains("--   no 7 equivalent, not carried: memory_shared_quota 50, memory_spill_ratio 30, memory_auditor 1\n"));
        assert!(!sql.contains("MEMORY_SHARED_QUOTA=") && !sql.contains("CPU_RATE_LIMIT="));
        assert_eq!(
            resource_groups_sql(&Compatibility {
                items: vec![],
                resource_groups: vec![]
            }),
            ""
        );
    }

    #[test]
    fn failing_items_block_delete_first_and_come_first() {
        let mut nc = item("quicklz", Severity::Silent, CheckStatus::NotChecked, 0);
        nc.not_checked.push(NotChecked {
            database: Some("sales".into()),
            reason: "ERROR: x".into(),
        });
        let c = Compatibility {
            items: vec![
                item("resource-groups", Severity::Fails, CheckStatus::Checked, 2),
                item("removed-types", Severity::Fails, CheckStatus::Checked, 0),
                nc,
                item(
                    "materialized-views",
                    Severity::Silent,
                    CheckStatus::Checked,
                    1,
                ),
                item(
                    "outside-the-backup",
                    Severity::Manual,
                    CheckStatus::Manual,
                    0,
                ),
            ],
            resource_groups: Vec::new(),
        };
        let s = summary(&c);
        assert_eq!(s.failing_items, ["resource-groups"]);
        assert_eq!(s.not_checked, ["quicklz"]);
        assert!(!s.checked);
        // The resource groups every 6 has are handled by the runbook (created
        // on 7 first, the globals restore gated on their statements): they
        // alone do not hold a delete-first plan back; another failing item does.
        assert!(s.blocking_items.is_empty());
        assert!(!s.blocks_delete_first());
        let mut c2 = c.clone();
        c2.items[1].count = 1;
        let s2 = summary(&c2);
        assert_eq!(s2.blocking_items, ["removed-types"]);
        assert!(s2.blocks_delete_first());
        // A silent item not checked does not block; a failing one would.
        assert!(s.not_checked_failing.is_empty());
        let inv = Inventory {
            compatibility: Some(c),
            ..crate::model::tests::small_cluster()
        };
        let p = preflight(&inv).unwrap();
        let order: Vec<&str> = p.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            order,
            [
                "resource-groups",
                "materialized-views",
                "quicklz",
                "outside-the-backup",
                "removed-types"
            ]
        );
        assert_eq!(p.items[4].state_text(), "checked, none found");
        assert_eq!(p.items[2].state_text(), "NOT CHECKED: sales: ERROR: x");
        assert_eq!(p.items[0].action, Action::ExcludeAndMove);
        // Clean: nothing blocks.
        let clean = PreflightSummary {
            checked: true,
            failing_items: vec![],
            blocking_items: vec![],
            not_checked: vec![],
            not_checked_failing: vec![],
        };
        assert!(!clean.blocks_delete_first());
    }

    /// An item that cannot exist in this catalog holds nothing back; one
    /// that says "checked" but records a failed query is not checked.
    #[test]
    fn not_applicable_does_not_block_and_a_recorded_failure_is_not_checked() {
        let mut na = item(
            "removed-types",
            Severity::Fails,
            CheckStatus::NotApplicable,
            0,
        );
        na.not_checked.push(NotChecked {
            database: None,
            reason: "applies to a Greenplum/WarehousePG 6 catalog only".into(),
        });
        let mut lying = item("resource-groups", Severity::Fails, CheckStatus::Checked, 0);
        lying.not_checked.push(NotChecked {
            database: None,
            reason: "ERROR: permission denied".into(),
        });
        let c = Compatibility {
            items: vec![na.clone()],
            resource_groups: Vec::new(),
        };
        let s = summary(&c);
        assert!(s.checked && !s.blocks_delete_first(), "{s:?}");
        let c = Compatibility {
            items: vec![na, lying],
            resource_groups: Vec::new(),
        };
        let s = summary(&c);
        assert_eq!(s.not_checked_failing, ["resource-groups"]);
        assert!(s.blocks_delete_first());
    }

    #[test]
    fn extensions_and_libraries_are_listed_once_with_their_databases() {
        let f = |db: &str, schema: &str, name: &str, detail: &str| Finding {
            database: Some(db.into()),
            schema: Some(schema.into()),
            name: name.into(),
            detail: detail.into(),
        };
        let mut ext = item("extensions", Severity::Manual, CheckStatus::Checked, 3);
        ext.findings = vec![
            f("sales", "public", "postgis", "version 2.5.4"),
            f("hr", "public", "postgis", "version 2.5.4"),
            f("hr", "madlib", "madlib", "version 1.21"),
        ];
        let mut cf = item("c-functions", Severity::Manual, CheckStatus::Checked, 2);
        cf.findings = vec![
            f(
                "sales",
                "public",
                "geo(int)",
                "library $libdir/geo, symbol geo",
            ),
            f(
                "hr",
                "util",
                "geo2(int)",
                "library $libdir/geo, symbol geo2",
            ),
        ];
        let c = Compatibility {
            items: vec![ext, cf],
            resource_groups: Vec::new(),
        };
        let got = install_on_7(&c);
        assert_eq!(got.len(), 3);
        assert_eq!(
            (
                got[0].name.as_str(),
                got[0].detail.as_str(),
                got[0].databases.clone()
            ),
            (
                "postgis",
                "version 2.5.4",
                vec!["sales".to_string(), "hr".to_string()]
            )
        );
        assert_eq!(
            (
                got[2].kind.as_str(),
                got[2].name.as_str(),
                got[2].detail.as_str()
            ),
            ("library", "$libdir/geo", "public.geo(int), util.geo2(int)")
        );
    }
}

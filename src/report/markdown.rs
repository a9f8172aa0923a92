//! The change-ticket text in Markdown: summary and verdict, the numbers, the
//! recommended plan's steps with commands, risks and rollback, pre-checks.

use std::fmt::{self, Write};

use super::view::{
    Exporter, FsRow, PRE_CHECKS, environment_lines, focus_plan, shortfall_text, step_heading,
    verdict_sentence,
};
use crate::model::Estimate;
use crate::model::PlanResult;
use crate::units::{human, pct};

/// How many filesystems the ticket lists (as many as the terminal summary).
pub const TIGHTEST_SHOWN: usize = super::table::TIGHTEST_SHOWN;

/// Markdown for a change-approval ticket; `rates` add step durations.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownExporter {
    /// Aggregate throughput for duration estimates.
    pub rates: Option<crate::model::durations::Rates>,
}

impl Exporter for MarkdownExporter {
    fn render(&self, e: &Estimate) -> Vec<u8> {
        let mut s = String::new();
        numbers(&mut s, e)
            .and_then(|()| plans(&mut s, e))
            .and_then(|()| match focus_plan(e) {
                Some(p) => tightest(&mut s, p)
                    .and_then(|()| self.steps(&mut s, e, p))
                    .and_then(|()| risks(&mut s, e, p)),
                None => Ok(()),
            })
            .and_then(|()| preflight(&mut s, e))
            .and_then(|()| pre_checks(&mut s, e))
            .expect("writing to a String cannot fail");
        s.into_bytes()
    }
}

/// Title, verdict, the numbers and what was not measured.
fn numbers(s: &mut String, e: &Estimate) -> fmt::Result {
    let c = &e.cluster;
    writeln!(
        s,
        "# Upgrade capacity plan: {} {} to 7 ({})\n",
        c.product.display_name(),
        c.version,
        c.coordinator
    )?;
    writeln!(
        s,
        "**Verdict: `{}`.** {}\n",
        e.verdict.as_str(),
        verdict_sentence(e)
    )?;
    if let Some(p) = e.recommended() {
        writeln!(
            s,
            "Recommended plan: **{}** ({}).\n",
            p.id,
            if p.keeps_rollback {
                format!(
                    "keeps {} as a rollback until 7 is verified",
                    super::view::old_system(e)
                )
            } else {
                format!(
                    "no rollback: {} is deleted before the restore",
                    super::view::old_system(e)
                )
            }
        )?;
    }

    writeln!(s, "## The numbers\n")?;
    writeln!(s, "| | |\n|---|---|")?;
    writeln!(s, "| Measured | {} |", c.collected_at)?;
    writeln!(
        s,
        "| Cluster | {} hosts, {} segment hosts, {} primaries, {} mirrors, {} filesystems |",
        c.hosts, c.segment_hosts, c.primaries, c.mirrors, c.filesystems
    )?;
    writeln!(s, "| Primary data | {} |", human(c.primary_data_bytes))?;
    writeln!(
        s,
        "| All 6 instances on disk | {} |",
        human(c.cluster_bytes)
    )?;
    let b = &e.backup;
    writeln!(
        s,
        "| Backup as CSV | {} (estimated from {}) |",
        human(b.csv_bytes),
        b.estimated_from
    )?;
    writeln!(
        s,
        "| Backup compressed ({}) | {} (ratio {:.2}, {}) |",
        b.compression,
        human(b.compressed_bytes),
        b.compression_ratio,
        b.compression_ratio_from
    )?;
    if let Some(r) = &e.rule_of_thumb {
        writeln!(
            s,
            "| Guides' rule: 5 × primary data | {} |",
            human(r.five_x_bytes)
        )?;
        writeln!(
            s,
            "| Model, {} at its peak | {} ({:.2} × the rule) |",
            r.model_plan,
            human(r.model_required_bytes),
            r.model_over_rule
        )?;
    }
    let a = &e.assumptions;
    writeln!(
        s,
        "| Max fill at any moment | {} of used + available |",
        pct(a.max_fill)
    )?;
    writeln!(s, "| Growth before the upgrade | {} |", pct(a.growth))?;
    writeln!(s, "| 7 layout | {} |", cell(&a.layout))?;
    writeln!(s)?;

    if !e.incomplete.is_empty() {
        writeln!(s, "## Not measured\n")?;
        for r in &e.incomplete {
            writeln!(s, "- {r}")?;
        }
        writeln!(s, "\nNo verdict can be given until these are measured.\n")?;
    }

    Ok(())
}

/// Every plan in one table.
fn plans(s: &mut String, e: &Estimate) -> fmt::Result {
    if !e.plans.is_empty() {
        writeln!(s, "## Plans\n")?;
        writeln!(
            s,
            "| Plan | Available | Fits | Rollback | Tightest filesystem | Peak / limit | Shortfall |"
        )?;
        writeln!(s, "|---|---|---|---|---|---|---|")?;
        for p in &e.plans {
            let t = p.tightest();
            writeln!(
                s,
                "| {}{} | {} | {} | {} | {} | {} | {} |",
                p.id,
                if Some(p.id) == e.recommended_plan {
                    " (recommended)"
                } else {
                    ""
                },
                if p.available {
                    "yes".to_string()
                } else {
                    format!(
                        "no: {}",
                        cell(p.unavailable_reason.as_deref().unwrap_or(""))
                    )
                },
                if p.fits { "yes" } else { "no" },
                if p.keeps_rollback { "yes" } else { "no" },
                t.map(|f| format!("{}:{}", f.host, f.mount))
                    .unwrap_or_default(),
                pct(p.worst_peak_over_limit),
                shortfall_text(p.total_shortfall_bytes)
            )?;
        }
        writeln!(s)?;
    }

    Ok(())
}

/// The focus plan's tightest filesystems.
fn tightest(s: &mut String, p: &PlanResult) -> fmt::Result {
    writeln!(s, "## Tightest filesystems under {}\n", p.id)?;
    writeln!(
        s,
        "| Host:mount | Size | Used now | Peak | Phase of peak | Limit | Shortfall | After |"
    )?;
    writeln!(s, "|---|---|---|---|---|---|---|---|")?;
    for r in p.filesystems.iter().take(TIGHTEST_SHOWN).map(FsRow::of) {
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name, r.size, r.used, r.peak, r.peak_phase, r.limit, r.shortfall, r.after
        )?;
    }
    if p.filesystems.len() > TIGHTEST_SHOWN {
        writeln!(
            s,
            "\n… and {} more with more headroom (all in the HTML and JSON reports).",
            p.filesystems.len() - TIGHTEST_SHOWN
        )?;
    }
    writeln!(s)
}

impl MarkdownExporter {
    /// The focus plan's runbook: environments, then every step by phase.
    fn steps(&self, s: &mut String, e: &Estimate, p: &PlanResult) -> fmt::Result {
        writeln!(s, "## Steps of {}\n", p.id)?;
        if let Some(r) = &p.not_runnable_reason {
            writeln!(
                s,
                "**{r}**: the steps below are prose, with no command to run.\n"
            )?;
        }
        if let Some(r) = &p.backup_location_reason {
            writeln!(s, "Backup location: {} ({r}).\n", p.backup_target)?;
        }
        for (text, lines) in environment_lines(e) {
            writeln!(s, "{text}\n\n```sh")?;
            for l in lines {
                writeln!(s, "{l}")?;
            }
            writeln!(s, "```\n")?;
        }
        let mut phase = "";
        for (n, st) in p.steps.iter().enumerate() {
            if st.phase != phase {
                phase = st.phase.name();
                writeln!(s, "\n**Phase: {phase}**\n")?;
            }
            let prev = n.checked_sub(1).map(|i| &p.steps[i]);
            let (head, duration) = step_heading(st, prev, e, self.rates.as_ref());
            writeln!(s, "{}. {head}", n + 1)?;
            if let Some(d) = duration {
                writeln!(s, "   _{d}_")?;
            }
            if let Some(note) = &st.note {
                writeln!(s, "   {note}")?;
            }
            if !st.commands.is_empty() {
                writeln!(s, "   ```sh")?;
                for cmd in &st.commands {
                    writeln!(s, "   {cmd}")?;
                }
                writeln!(s, "   ```")?;
            }
        }
        writeln!(s)
    }
}

/// What can go wrong and how to go back.
fn risks(s: &mut String, e: &Estimate, p: &PlanResult) -> fmt::Result {
    writeln!(s, "## Risks and rollback\n")?;
    if p.keeps_rollback {
        writeln!(
            s,
            "- The 6 cluster stays intact until the last step; until then, rollback is to stop 7 and keep using 6."
        )?;
        writeln!(
            s,
            "- The rollback ends when the 6 cluster is deleted: only after 7 is verified."
        )?;
    } else {
        writeln!(
            s,
            "- There is no rollback to the 6 cluster: `gpdeletesystem` deletes it before 7 is restored. From then on the backup is the only copy of the data."
        )?;
        writeln!(
            s,
            "- A failed restore means restoring again from the backup; keep it until 7 is verified."
        )?;
    }
    let points: Vec<String> = p
        .steps
        .iter()
        .enumerate()
        .filter(|(_, st)| st.kind == crate::model::steps::StepKind::PointOfNoReturn)
        .map(|(i, st)| format!("step {} ({})", i + 1, st.title))
        .collect();
    if !points.is_empty() {
        writeln!(
            s,
            "- Points of no return: {}. Each comes right after gates that re-check the evidence of the steps before it (gpbackup's and gprestore's own reports, every content's files, the catalog); the script asks for the cluster's name before each.",
            points.join("; ")
        )?;
    }
    if p.id == crate::model::PlanId::DeleteAndReinitMirrorless {
        let mirror_bytes: u64 = e
            .new_layout
            .iter()
            .filter(|n| n.kind == crate::inventory::InstanceKind::Mirror)
            .map(|n| n.data_bytes)
            .sum();
        writeln!(
            s,
            "- **Sign-off needed**: this plan removes the backup before gpaddmirrors. From then until every mirror is synchronized (gpaddmirrors copies {} of primaries), the only copy of the data is 7's unmirrored primaries: a lost disk loses data. The delete-and-reinit plan keeps the backup until the mirrors are synchronized, at a higher peak.",
            human(mirror_bytes)
        )?;
    }
    for w in e.warnings.iter().chain(&p.warnings) {
        writeln!(s, "- {w}")?;
    }
    writeln!(s)
}

/// How many objects of one item the ticket lists.
const FINDINGS_SHOWN: usize = 20;

/// The pre-flight: every item worst first with its count and what to do,
/// the objects, what 7 must have installed, and the resource groups as SQL.
fn preflight(s: &mut String, e: &Estimate) -> fmt::Result {
    writeln!(
        s,
        "## Pre-flight: what the restore on 7 refuses or changes\n"
    )?;
    writeln!(s, "{}.\n", super::view::preflight_headline(e))?;
    let Some(pf) = &e.preflight else {
        return Ok(());
    };
    writeln!(s, "| # | Item | Severity | Found | What to do |")?;
    writeln!(s, "|---|---|---|---|---|")?;
    for i in &pf.items {
        writeln!(
            s,
            "| {} | {} ({}) | {} | {} | {} |",
            i.number,
            cell(&i.title),
            i.id,
            i.severity.as_str(),
            cell(&i.state_text()),
            if i.count > 0 || i.status == crate::inventory::CheckStatus::Manual {
                format!("{}: {}", i.action.label(), cell(&i.what_to_do))
            } else {
                "–".to_string()
            }
        )?;
    }
    writeln!(s)?;
    for i in pf.items.iter().filter(|i| i.count > 0) {
        writeln!(
            s,
            "**{} ({}, {} found)**: {}. _{}_\n",
            i.id,
            i.severity.as_str(),
            i.count,
            i.what_to_do,
            i.source
        )?;
        for f in i.findings.iter().take(FINDINGS_SHOWN) {
            let mut name = String::new();
            if let Some(d) = &f.database {
                name.push_str(&format!("database {d}: "));
            }
            if let Some(sc) = &f.schema {
                name.push_str(&format!("{sc}."));
            }
            name.push_str(&f.name);
            writeln!(s, "- `{}`: {}", name.replace('`', "'"), f.detail)?;
        }
        let listed = i.findings.len().min(FINDINGS_SHOWN) as u64;
        if i.count > listed {
            writeln!(
                s,
                "- … and {} more (the inventory's compatibility section lists up to 200 per database)",
                i.count - listed
            )?;
        }
        writeln!(s)?;
    }
    if !pf.install_on_7.is_empty() {
        writeln!(s, "### Install on every 7 host before the restore\n")?;
        writeln!(s, "| Kind | Name | On 6 | Databases |\n|---|---|---|---|")?;
        for x in &pf.install_on_7 {
            writeln!(
                s,
                "| {} | `{}` | {} | {} |",
                x.kind,
                x.name,
                cell(&x.detail),
                x.databases.join(", ")
            )?;
        }
        writeln!(s)?;
    }
    if let Some(sql) = &pf.resource_groups_sql {
        writeln!(s, "### Resource groups to create on 7\n")?;
        writeln!(
            s,
            "Review, then run on 7 before the restore (6's MEMORY_SHARED_QUOTA, MEMORY_SPILL_RATIO and MEMORY_AUDITOR have no 7 equivalent; MEMORY_LIMIT becomes a MEMORY_QUOTA to size by hand):\n"
        )?;
        writeln!(s, "```sql\n{}```\n", sql)?;
    }
    Ok(())
}

/// The guides' pre-checks and how the backup size was estimated.
fn pre_checks(s: &mut String, e: &Estimate) -> fmt::Result {
    writeln!(s, "## Pre-checks (from the upgrade guides)\n")?;
    for item in PRE_CHECKS {
        writeln!(s, "- [ ] {item}")?;
    }
    if !e.backup.notes.is_empty() {
        writeln!(s, "\n## How the backup size was estimated\n")?;
        for n in &e.backup.notes {
            writeln!(s, "- {n}")?;
        }
    }
    Ok(())
}

/// Text safe inside a Markdown table cell: `|` would end the cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

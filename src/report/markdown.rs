//! The change-ticket text in Markdown: summary and verdict, the numbers, the
//! recommended plan's steps with commands, risks and rollback, pre-checks.

use std::fmt::{self, Write};

use super::view::{
    Exporter, FsRow, PRE_CHECKS, environment_lines, focus_plan, offset_text, phase_time,
    phase_time_text, point_of_no_return_text, rate_line, shortfall_text, span_text, step_heading,
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
                    .and_then(|()| timeline(&mut s, e, p))
                    .and_then(|()| self.steps(&mut s, e, p))
                    .and_then(|()| risks(&mut s, e, p))
                    .and_then(|()| back_out(&mut s, e))
                    .and_then(|()| rates(&mut s, p)),
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
        let pnr = p
            .timeline
            .as_ref()
            .and_then(|t| t.point_of_no_return.as_ref());
        let pnr_step = super::view::point_of_no_return_step(p);
        for (n, st) in p.steps.iter().enumerate() {
            if st.phase != phase {
                phase = st.phase.name();
                match phase_time(p, st.phase) {
                    Some(t) => writeln!(s, "\n**Phase: {phase}** ({})\n", phase_time_text(t))?,
                    None => writeln!(s, "\n**Phase: {phase}**\n")?,
                }
            }
            let prev = n.checked_sub(1).map(|i| &p.steps[i]);
            let (head, duration) =
                step_heading(st, prev, e, p.timeline.as_ref(), self.rates.as_ref());
            writeln!(s, "{}. {head}", n + 1)?;
            if pnr_step == Some(n)
                && let Some(x) = pnr
            {
                writeln!(
                    s,
                    "   **point of no return at {}**: {}",
                    offset_text(x.at_seconds),
                    x.loses
                )?;
            }
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

/// The outage of every timed plan, then the focus plan's phases with start,
/// duration, range and the arithmetic, and its point of no return. Nothing
/// when no plan has a timeline.
fn timeline(s: &mut String, e: &Estimate, p: &PlanResult) -> fmt::Result {
    if e.plans.iter().all(|p| p.timeline.is_none()) {
        return Ok(());
    }
    writeln!(s, "## Outage\n")?;
    writeln!(
        s,
        "From the write freeze to the cutover; the range is what the evidence supports.\n"
    )?;
    writeln!(s, "| Plan | Outage | Whole plan | Point of no return |")?;
    writeln!(s, "|---|---|---|---|")?;
    for q in &e.plans {
        let Some(t) = &q.timeline else {
            writeln!(s, "| {} | not timed | | |", q.id)?;
            continue;
        };
        writeln!(
            s,
            "| {}{} | {} | {} | {} |",
            q.id,
            if Some(q.id) == e.recommended_plan {
                " (recommended)"
            } else {
                ""
            },
            span_text(&t.outage),
            span_text(&t.total),
            t.point_of_no_return
                .as_ref()
                .map(|x| format!("{} at {}", cell(&x.step), offset_text(x.at_seconds)))
                .unwrap_or_else(|| "none before the cutover".into())
        )?;
    }
    writeln!(s)?;
    let Some(t) = &p.timeline else {
        return Ok(());
    };
    writeln!(s, "## Timeline of {}\n", p.id)?;
    writeln!(
        s,
        "| Phase | Start | Duration | Range | Critical host | Outage | Basis |"
    )?;
    writeln!(s, "|---|---|---|---|---|---|---|")?;
    let f = crate::model::durations::format_seconds;
    for pt in &t.phases {
        writeln!(
            s,
            "| {} | {} | {} | {} – {} | {} | {} | {} |",
            pt.phase.name(),
            offset_text(pt.span.start_seconds),
            f(pt.span.seconds),
            f(pt.span.low_seconds),
            f(pt.span.high_seconds),
            pt.critical_host.as_deref().unwrap_or("–"),
            if pt.in_outage { "yes" } else { "no" },
            cell(&pt.basis)
        )?;
    }
    writeln!(
        s,
        "\nWhole plan: {}; outage: {}.\n",
        span_text(&t.total),
        span_text(&t.outage)
    )?;
    writeln!(s, "### Point of no return\n")?;
    match point_of_no_return_text(t) {
        Some(x) => writeln!(s, "{x}.\n")?,
        None => writeln!(
            s,
            "None before the cutover: {} is kept until 7 is verified.\n",
            super::view::old_system(e)
        )?,
    }
    Ok(())
}

/// Every timed plan's ways back: when each applies, its steps, how long it
/// takes and what it needs.
fn back_out(s: &mut String, e: &Estimate) -> fmt::Result {
    let timed: Vec<_> = e
        .plans
        .iter()
        .filter_map(|p| p.timeline.as_ref().map(|t| (p, t)))
        .filter(|(_, t)| !t.back_out.is_empty())
        .collect();
    if timed.is_empty() {
        return Ok(());
    }
    writeln!(s, "## Back-out\n")?;
    for (p, t) in timed {
        writeln!(s, "### {}\n", p.id)?;
        for b in &t.back_out {
            writeln!(
                s,
                "- **{}** — about {} ({})",
                b.when,
                span_text(&b.span),
                b.basis
            )?;
            for (i, st) in b.steps.iter().enumerate() {
                writeln!(s, "  {}. {st}", i + 1)?;
            }
            if !b.needs.is_empty() {
                writeln!(s, "  Needs: {}.", b.needs.join("; "))?;
            }
        }
        writeln!(s)?;
    }
    Ok(())
}

/// Where every rate of the focus plan's timeline comes from.
fn rates(s: &mut String, p: &PlanResult) -> fmt::Result {
    let Some(t) = p.timeline.as_ref().filter(|t| !t.rates.is_empty()) else {
        return Ok(());
    };
    writeln!(s, "## Where the rates come from\n")?;
    for r in &t.rates {
        writeln!(s, "- {}", rate_line(r))?;
    }
    if t.range > 0.0 {
        writeln!(
            s,
            "\nRanges: ±{:.0}% on the measured rates.",
            t.range * 100.0
        )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::view::fixture;

    fn ticket(e: &Estimate) -> String {
        String::from_utf8(MarkdownExporter::default().render(e)).unwrap()
    }

    #[test]
    fn the_ticket_times_the_recommended_plan_and_lists_every_way_back() {
        let mut e = crate::report::view::tests::small();
        fixture::with_timelines(&mut e);
        let s = ticket(&e);
        // side-by-side: init 7 10 min, backup 1 h, restore 2 h 30 min, verify
        // 30 min, delete backup & 6 10 min: 15600 s = 4 h 20 min in all
        // (11700 s = 3 h 15 min – 19500 s = 5 h 25 min); outage backup to verify 4 h.
        assert!(
            s.contains("| side-by-side (recommended) | 4 h 00 min (3 h 00 min – 5 h 00 min) | 4 h 20 min (3 h 15 min – 5 h 25 min) | none before the cutover |"),
            "{s}"
        );
        assert!(s.contains("| delete-and-reinit | 3 h 45 min"), "{s}");
        assert!(s.contains("| gpdeletesystem at +1:00 |"), "{s}");
        assert!(s.contains("## Timeline of side-by-side"), "{s}");
        assert!(
            s.contains("| backup | +0:10 | 1 h 00 min | 45 min – 1 h 15 min | sdw2 | yes | backup by hand |"),
            "{s}"
        );
        // The phase heading of the runbook carries the same numbers.
        assert!(
            s.contains(
                "**Phase: restore** (starts +1:10, about 2 h 30 min (1 h 52 min – 3 h 07 min))"
            ),
            "{s}"
        );
        assert!(
            s.contains("None before the cutover: the 6 cluster is kept"),
            "{s}"
        );
        // Back-out for every timed plan, with its steps and needs.
        assert!(
            s.contains("### side-by-side\n\n- **until the cutover** — about 10 min"),
            "{s}"
        );
        assert!(s.contains("### delete-and-reinit\n"), "{s}");
        assert!(s.contains("  2. gprestore the same backup into 6"), "{s}");
        assert!(
            s.contains("  Needs: the backup kept; the 6 software installed."),
            "{s}"
        );
        assert!(s.contains("## Where the rates come from"), "{s}");
        assert!(
            s.contains(
                "report sdw1:/data/backups/20261102/20261102010203/gpbackup_20261102010203_report"
            ),
            "{s}"
        );
        assert!(s.contains("Ranges: ±25% on the measured rates."), "{s}");
    }

    #[test]
    fn the_point_of_no_return_step_says_when() {
        let mut e = crate::report::view::tests::small();
        fixture::with_timelines(&mut e);
        e.recommended_plan = Some(crate::model::PlanId::DeleteAndReinit);
        let s = ticket(&e);
        assert!(
            s.contains("gpdeletesystem (gpdeletesystem) at +1:00: the 6 cluster."),
            "{s}"
        );
        let at = s
            .find("(POINT OF NO RETURN)")
            .expect("the plan has a point-of-no-return step");
        let after = &s[at..];
        assert!(
            after
                .lines()
                .nth(1)
                .unwrap()
                .contains("**point of no return at +1:00**: the 6 cluster"),
            "{after}"
        );
    }

    #[test]
    fn no_timeline_no_time_sections() {
        let e = crate::report::view::tests::untimed();
        let s = ticket(&e);
        for h in [
            "## Outage",
            "## Timeline",
            "## Back-out",
            "## Where the rates",
        ] {
            assert!(!s.contains(h), "{h}");
        }
    }
}

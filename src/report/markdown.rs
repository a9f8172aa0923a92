//! The change-ticket text in Markdown: summary and verdict, the numbers, the
//! recommended plan's steps with commands, risks and rollback, pre-checks.

use std::fmt::Write;

use super::{
    Exporter, PRE_CHECKS, environment_lines, focus_plan, human, pct, shortfall_text, step_heading,
    verdict_sentence,
};
use crate::model::Estimate;

/// Markdown for a change-approval ticket; `rates` add step durations.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownExporter {
    /// Aggregate throughput for duration estimates.
    pub rates: Option<crate::model::durations::Rates>,
}

impl Exporter for MarkdownExporter {
    fn render(&self, e: &Estimate) -> Vec<u8> {
        let mut s = String::new();
        let c = &e.cluster;
        let _ = writeln!(
            s,
            "# Upgrade capacity plan: {} {} to 7 ({})\n",
            c.product.display_name(),
            c.version,
            c.coordinator
        );
        let _ = writeln!(
            s,
            "**Verdict: `{}`.** {}\n",
            e.verdict.as_str(),
            verdict_sentence(e)
        );
        if let Some(p) = e.recommended() {
            let _ = writeln!(
                s,
                "Recommended plan: **{}** ({}).\n",
                p.id,
                if p.keeps_rollback {
                    format!(
                        "keeps {} as a rollback until 7 is verified",
                        super::old_system(e)
                    )
                } else {
                    format!(
                        "no rollback: {} is deleted before the restore",
                        super::old_system(e)
                    )
                }
            );
        }

        let _ = writeln!(s, "## The numbers\n");
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| Measured | {} |", c.collected_at);
        let _ = writeln!(
            s,
            "| Cluster | {} hosts, {} segment hosts, {} primaries, {} mirrors, {} filesystems |",
            c.hosts, c.segment_hosts, c.primaries, c.mirrors, c.filesystems
        );
        let _ = writeln!(s, "| Primary data | {} |", human(c.primary_data_bytes));
        let _ = writeln!(
            s,
            "| All 6 instances on disk | {} |",
            human(c.cluster_bytes)
        );
        let b = &e.backup;
        let _ = writeln!(
            s,
            "| Backup as CSV | {} (estimated from {}) |",
            human(b.csv_bytes),
            b.estimated_from
        );
        let _ = writeln!(
            s,
            "| Backup compressed ({}) | {} (ratio {:.2}, {}) |",
            b.compression,
            human(b.compressed_bytes),
            b.compression_ratio,
            b.compression_ratio_from
        );
        if let Some(r) = &e.rule_of_thumb {
            let _ = writeln!(
                s,
                "| Guides' rule: 5 × primary data | {} |",
                human(r.five_x_bytes)
            );
            let _ = writeln!(
                s,
                "| Model, {} at its peak | {} ({:.2} × the rule) |",
                r.model_plan,
                human(r.model_required_bytes),
                r.model_over_rule
            );
        }
        let a = &e.assumptions;
        let _ = writeln!(
            s,
            "| Max fill at any moment | {} of used + available |",
            pct(a.max_fill)
        );
        let _ = writeln!(s, "| Growth before the upgrade | {} |", pct(a.growth));
        let _ = writeln!(s, "| 7 layout | {} |", cell(&a.layout));
        let _ = writeln!(s);

        if !e.incomplete.is_empty() {
            let _ = writeln!(s, "## Not measured\n");
            for r in &e.incomplete {
                let _ = writeln!(s, "- {r}");
            }
            let _ = writeln!(s, "\nNo verdict can be given until these are measured.\n");
        }

        if !e.plans.is_empty() {
            let _ = writeln!(s, "## Plans\n");
            let _ = writeln!(
                s,
                "| Plan | Available | Fits | Rollback | Tightest filesystem | Peak / limit | Shortfall |"
            );
            let _ = writeln!(s, "|---|---|---|---|---|---|---|");
            for p in &e.plans {
                let t = p.tightest();
                let _ = writeln!(
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
                );
            }
            let _ = writeln!(s);
        }

        if let Some(p) = focus_plan(e) {
            let _ = writeln!(s, "## Tightest filesystems under {}\n", p.id);
            let _ = writeln!(
                s,
                "| Host:mount | Size | Used now | Peak | Phase of peak | Limit | Shortfall | After |"
            );
            let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
            for f in p.filesystems.iter().take(10) {
                let _ = writeln!(
                    s,
                    "| {}:{} | {} | {} | {} | {} | {} | {} | {} |",
                    f.host,
                    f.mount,
                    human(f.total_bytes),
                    human(f.used_bytes),
                    human(f.peak_bytes),
                    f.peak_phase,
                    human(f.limit_bytes),
                    shortfall_text(f.shortfall_bytes),
                    pct(f.final_fill)
                );
            }
            let _ = writeln!(s);
            let _ = writeln!(s, "## Steps of {}\n", p.id);
            if let Some(r) = &p.backup_location_reason {
                let _ = writeln!(s, "Backup location: {} ({r}).\n", p.backup_target);
            }
            for (text, lines) in environment_lines(e) {
                let _ = writeln!(s, "{text}\n\n```sh");
                for l in lines {
                    let _ = writeln!(s, "{l}");
                }
                let _ = writeln!(s, "```\n");
            }
            let mut phase = "";
            for (n, st) in p.steps.iter().enumerate() {
                if st.phase != phase {
                    phase = &st.phase;
                    let _ = writeln!(s, "\n**Phase: {phase}**\n");
                }
                let (head, duration) = step_heading(st, e, self.rates.as_ref());
                let _ = writeln!(s, "{}. {head}", n + 1);
                if let Some(d) = duration {
                    let _ = writeln!(s, "   _{d}_");
                }
                if let Some(note) = &st.note {
                    let _ = writeln!(s, "   {note}");
                }
                if !st.commands.is_empty() {
                    let _ = writeln!(s, "   ```sh");
                    for cmd in &st.commands {
                        let _ = writeln!(s, "   {cmd}");
                    }
                    let _ = writeln!(s, "   ```");
                }
            }
            let _ = writeln!(s);
            let _ = writeln!(s, "## Risks and rollback\n");
            if p.keeps_rollback {
                let _ = writeln!(
                    s,
                    "- The 6 cluster stays intact until the last step; until then, rollback is to stop 7 and keep using 6."
                );
                let _ = writeln!(
                    s,
                    "- The rollback ends when the 6 cluster is deleted: only after 7 is verified."
                );
            } else {
                let _ = writeln!(
                    s,
                    "- There is no rollback to the 6 cluster: `gpdeletesystem` deletes it before 7 is restored. From then on the backup is the only copy of the data."
                );
                let _ = writeln!(
                    s,
                    "- A failed restore means restoring again from the backup; keep it until 7 is verified."
                );
            }
            for w in e.warnings.iter().chain(&p.warnings) {
                let _ = writeln!(s, "- {w}");
            }
            let _ = writeln!(s);
        }

        let _ = writeln!(s, "## Pre-checks (from the upgrade guides)\n");
        for item in PRE_CHECKS {
            let _ = writeln!(s, "- [ ] {item}");
        }
        if !e.backup.notes.is_empty() {
            let _ = writeln!(s, "\n## How the backup size was estimated\n");
            for n in &e.backup.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        s.into_bytes()
    }
}

/// Text safe inside a Markdown table cell: `|` would end the cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

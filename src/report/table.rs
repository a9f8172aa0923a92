//! The terminal summary: verdict first, one line per plan, the tightest filesystems.

use std::fmt::{self, Write};

use super::view::{Exporter, FsRow, focus_plan, shortfall_text, verdict_sentence};
use crate::model::Estimate;
use crate::units::{human, pct};

/// How many filesystems the terminal summary lists.
pub const TIGHTEST_SHOWN: usize = 8;

/// Plain-text summary for a terminal (no colour codes: safe for pipes and NO_COLOR).
pub struct TableExporter;

impl Exporter for TableExporter {
    fn render(&self, e: &Estimate) -> Vec<u8> {
        let mut s = String::new();
        summary(&mut s, e)
            .and_then(|()| plans(&mut s, e))
            .and_then(|()| timeline(&mut s, e))
            .and_then(|()| preflight(&mut s, e))
            .and_then(|()| notes(&mut s, e))
            .and_then(|()| what_if(&mut s, e))
            .expect("writing to a String cannot fail");
        s.into_bytes()
    }
}

/// The verdict, the cluster in numbers, the assumptions, and what was not measured.
fn summary(s: &mut String, e: &Estimate) -> fmt::Result {
    let c = &e.cluster;
    writeln!(s, "{}", verdict_sentence(e))?;
    writeln!(s)?;
    writeln!(
        s,
        "Cluster:  {} {} (coordinator {}), {} hosts, {} segment hosts, {} primaries, {} mirrors, {} filesystems",
        c.product.display_name(),
        c.version,
        c.coordinator,
        c.hosts,
        c.segment_hosts,
        c.primaries,
        c.mirrors,
        c.filesystems
    )?;
    writeln!(
        s,
        "Data:     {} on primaries; {} for all instances",
        human(c.primary_data_bytes),
        human(c.cluster_bytes)
    )?;
    let b = &e.backup;
    writeln!(
        s,
        "Backup:   {} CSV -> {} {} (CSV from {}, ratio {:.2} from {})",
        human(b.csv_bytes),
        human(b.compressed_bytes),
        b.compression,
        b.estimated_from,
        b.compression_ratio,
        b.compression_ratio_from
    )?;
    if let Some(r) = &e.rule_of_thumb {
        writeln!(
            s,
            "Rule:     guides' 5 x primary data = {}; model needs {} for {} ({:.2} x the rule)",
            human(r.five_x_bytes),
            human(r.model_required_bytes),
            r.model_plan,
            r.model_over_rule
        )?;
    }
    let a = &e.assumptions;
    writeln!(
        s,
        "Assumed:  max fill {}, growth {}, {} catalog + {} WAL per new instance",
        pct(a.max_fill),
        pct(a.growth),
        human(a.catalog_overhead_bytes),
        human(a.wal_overhead_bytes)
    )?;

    if !e.incomplete.is_empty() {
        writeln!(s, "\nNot measured:")?;
        for r in &e.incomplete {
            writeln!(s, "  - {r}")?;
        }
    }

    Ok(())
}

/// One line per plan, then the focus plan's tightest filesystems and the warnings.
fn plans(s: &mut String, e: &Estimate) -> fmt::Result {
    if !e.plans.is_empty() {
        writeln!(s)?;
        writeln!(
            s,
            "{:<29} {:<9} {:<5} {:<8} {:>6}  {:<28} {:>10}  PEAK PHASE",
            "PLAN", "AVAILABLE", "FITS", "ROLLBACK", "PEAK", "TIGHTEST FILESYSTEM", "SHORT"
        )?;
        for p in &e.plans {
            let t = p.tightest();
            let mark = if Some(p.id) == e.recommended_plan {
                "*"
            } else {
                " "
            };
            writeln!(
                s,
                "{:<29} {:<9} {:<5} {:<8} {:>6}  {:<28} {:>10}  {}",
                format!("{mark}{}", p.id),
                if p.available { "yes" } else { "no" },
                if p.fits { "yes" } else { "no" },
                if p.keeps_rollback { "yes" } else { "no" },
                pct(p.worst_peak_over_limit),
                t.map(|f| format!("{}:{}", f.host, f.mount))
                    .unwrap_or_default(),
                shortfall_text(p.total_shortfall_bytes),
                t.map(|f| f.peak_phase.as_str()).unwrap_or("")
            )?;
        }
        writeln!(
            s,
            "  (* recommended; PEAK = tightest filesystem's peak as a share of its limit)"
        )?;
        if let Some(p) = super::view::focus_plan(e)
            && let Some(src) = p.backup_location_source
        {
            writeln!(
                s,
                "  {} backs up to {} ({})",
                p.id,
                p.backup_target,
                src.short()
            )?;
        }
        for p in e.plans.iter().filter(|p| !p.available) {
            writeln!(
                s,
                "  {} not available: {}",
                p.id,
                p.unavailable_reason.as_deref().unwrap_or("")
            )?;
        }

        if let Some(p) = focus_plan(e) {
            writeln!(s, "\nTightest filesystems under {}:", p.id)?;
            writeln!(
                s,
                "{:<28} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6}  PEAK PHASE",
                "HOST:MOUNT", "SIZE", "USED NOW", "PEAK", "LIMIT", "SHORT", "AFTER"
            )?;
            for r in p.filesystems.iter().take(TIGHTEST_SHOWN).map(FsRow::of) {
                writeln!(
                    s,
                    "{:<28} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6}  {}",
                    r.name, r.size, r.used, r.peak, r.limit, r.shortfall, r.after, r.peak_phase
                )?;
            }
            if p.filesystems.len() > TIGHTEST_SHOWN {
                writeln!(s, "  … and {} more", p.filesystems.len() - TIGHTEST_SHOWN)?;
            }
            let warnings: Vec<&String> = e.warnings.iter().chain(&p.warnings).collect();
            if !warnings.is_empty() {
                writeln!(s, "\nWarnings:")?;
                for w in warnings {
                    writeln!(s, "  - {w}")?;
                }
            }
        }
    } else if !e.warnings.is_empty() {
        writeln!(s, "\nWarnings:")?;
        for w in &e.warnings {
            writeln!(s, "  - {w}")?;
        }
    }
    Ok(())
}

/// The outage of every timed plan, then the focus plan's night phase by
/// phase: start, duration and range, the critical host, the point of no
/// return, the ways back and where the rates come from. Nothing when no plan
/// has a timeline.
fn timeline(s: &mut String, e: &Estimate) -> fmt::Result {
    use super::view::{offset_text, point_of_no_return_text, rate_line, span_text};
    if e.plans.iter().all(|p| p.timeline.is_none()) {
        return Ok(());
    }
    writeln!(s, "\nOutage (write freeze to cutover):")?;
    for p in &e.plans {
        let mark = if Some(p.id) == e.recommended_plan {
            "*"
        } else {
            " "
        };
        let text = match &p.timeline {
            Some(t) => format!("outage {}", span_text(&t.outage)),
            None => "not timed".into(),
        };
        writeln!(s, "  {:<29} {text}", format!("{mark}{}", p.id))?;
    }
    let Some(p) = focus_plan(e) else {
        return Ok(());
    };
    let Some(t) = &p.timeline else {
        return Ok(());
    };
    writeln!(
        s,
        "\nTimeline of {} (whole plan {}):",
        p.id,
        span_text(&t.total)
    )?;
    writeln!(
        s,
        "{:<26} {:>6}  {:<11} {:<25} {:<14} OUTAGE",
        "PHASE", "START", "DURATION", "RANGE", "CRITICAL HOST"
    )?;
    let f = crate::model::durations::format_seconds;
    for pt in &t.phases {
        writeln!(
            s,
            "{:<26} {:>6}  {:<11} {:<25} {:<14} {}",
            pt.phase.name(),
            offset_text(pt.span.start_seconds),
            f(pt.span.seconds),
            format!("{} – {}", f(pt.span.low_seconds), f(pt.span.high_seconds)),
            pt.critical_host.as_deref().unwrap_or("-"),
            if pt.in_outage { "yes" } else { "" }
        )?;
    }
    match point_of_no_return_text(t) {
        Some(pnr) => writeln!(s, "  Point of no return: {pnr}")?,
        None => writeln!(
            s,
            "  Point of no return: none before the cutover ({} is kept until 7 is verified)",
            super::view::old_system(e)
        )?,
    }
    if !t.back_out.is_empty() {
        writeln!(s, "  Back-out:")?;
        for b in &t.back_out {
            writeln!(
                s,
                "    - {}: {} — {}{}",
                b.when,
                b.steps.join("; "),
                span_text(&b.span),
                if b.needs.is_empty() {
                    String::new()
                } else {
                    format!("; needs {}", b.needs.join(", "))
                }
            )?;
        }
    }
    if !t.rates.is_empty() {
        writeln!(s, "  Rates:")?;
        for r in &t.rates {
            writeln!(s, "    - {}", rate_line(r))?;
        }
    }
    Ok(())
}

/// The pre-flight, worst first: one line per item, with what to do.
fn preflight(s: &mut String, e: &Estimate) -> fmt::Result {
    writeln!(s, "\n{}", super::view::preflight_headline(e))?;
    let Some(pf) = &e.preflight else {
        return Ok(());
    };
    for i in &pf.items {
        let head = format!("{:<7} #{:<2} {:<29}", i.severity.as_str(), i.number, i.id);
        if i.count > 0 {
            let names = super::view::finding_names(i, 3);
            let more = (i.count as usize).saturating_sub(names.len());
            writeln!(
                s,
                "  {head} {} found{}{} -> {}",
                i.count,
                if names.is_empty() {
                    String::new()
                } else {
                    format!(": {}", names.join(", "))
                },
                if more > 0 {
                    format!(" (+{more})")
                } else {
                    String::new()
                },
                i.action.label()
            )?;
        } else {
            writeln!(s, "  {head} {}", i.state_text())?;
        }
    }
    writeln!(
        s,
        "  (each item's objects, what to do and the resource groups' SQL for 7: --format markdown or report --markdown)"
    )
}

/// How the backup size was estimated.
fn notes(s: &mut String, e: &Estimate) -> fmt::Result {
    if !e.backup.notes.is_empty() {
        writeln!(s, "\nNotes:")?;
        for n in &e.backup.notes {
            writeln!(s, "  - {n}")?;
        }
    }
    Ok(())
}

/// The `--what-if` rows that fit, cheapest change first.
fn what_if(s: &mut String, e: &Estimate) -> fmt::Result {
    if let Some(rows) = &e.what_if {
        let fitting: Vec<_> = rows.iter().filter(|r| r.fits).collect();
        writeln!(
            s,
            "\nWhat-if: {} of {} combinations fit (cheapest change first):",
            fitting.len(),
            rows.len()
        )?;
        writeln!(
            s,
            "{:<9} {:<36} {:<29} {:>6} {:>8}  {:<14} COMPRESSING",
            "CODEC", "BACKUP TARGET", "BEST PLAN", "PEAK", "CHANGES", "OUTAGE"
        )?;
        for r in fitting.iter().take(12) {
            writeln!(
                s,
                "{:<9} {:<36} {:<29} {:>6} {:>8}  {:<14} {}",
                r.compression,
                r.backup_target,
                r.best_plan.map(|p| p.as_str()).unwrap_or("-"),
                pct(r.worst_peak_over_limit),
                r.changes,
                r.outage_seconds
                    .map(crate::model::durations::format_seconds)
                    .unwrap_or_else(|| "-".into()),
                super::view::compress_time(r.compress_seconds)
            )?;
        }
        if rows.iter().all(|r| r.compress_seconds.is_none()) {
            writeln!(
                s,
                "  COMPRESSING: not measured (collect with --sample-rows); higher levels are slower, zstd-19 many times slower than zstd-3"
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::view::fixture;

    fn rendered(e: &Estimate) -> String {
        String::from_utf8(TableExporter.render(e)).unwrap()
    }

    #[test]
    fn the_outage_per_plan_and_the_focus_plans_phases_are_listed() {
        let mut e = crate::report::view::tests::small();
        fixture::with_timelines(&mut e);
        let p = focus_plan(&e).unwrap();
        assert_eq!(p.id, crate::model::PlanId::SideBySide);
        let s = rendered(&e);
        // side-by-side: backup 1 h + restore 2 h 30 min + verify 30 min = 4 h 00 min,
        // ±25%: 3 h 00 min – 5 h 00 min.
        assert!(
            s.contains("*side-by-side                 outage 4 h 00 min (3 h 00 min – 5 h 00 min)"),
            "{s}"
        );
        // delete-and-reinit: backup 1 h + gpdeletesystem 5 min + init 7 10 min
        // + restore 2 h 30 min = 3 h 45 min (2 h 48 min – 4 h 41 min).
        assert!(
            s.contains(" delete-and-reinit            outage 3 h 45 min (2 h 48 min – 4 h 41 min)"),
            "{s}"
        );
        // The restore starts after init 7 (10 min) and the backup (1 h).
        let restore = s.lines().find(|l| l.starts_with("restore ")).unwrap();
        assert!(restore.contains("+1:10"), "{restore}");
        assert!(restore.contains("2 h 30 min"), "{restore}");
        // 9000 s × 0.75 = 6750 s = 1 h 52.5 min, × 1.25 = 11250 s = 3 h 07.5 min
        // (format_seconds drops the half minute past an hour).
        assert!(restore.contains("1 h 52 min – 3 h 07 min"), "{restore}");
        assert!(restore.contains("sdw2"), "{restore}");
        assert!(restore.trim_end().ends_with("yes"), "{restore}");
        assert!(
            s.contains("Point of no return: none before the cutover"),
            "{s}"
        );
        assert!(
            s.contains("- until the cutover: re-point the applications to 6 — 10 min"),
            "{s}"
        );
        assert!(
            s.contains("250 MB/s — backup 20261102010203 of database sales"),
            "{s}"
        );
        assert!(
            s.contains(
                "- gpinitsystem per instance — documented default for gpinitsystem per instance"
            ),
            "{s}"
        );
        // A default that is not a throughput shows no rate.
        assert!(!s.contains("0 B/s"), "{s}");
    }

    #[test]
    fn a_delete_first_focus_plan_shows_its_point_of_no_return_and_both_ways_back() {
        let mut e = crate::report::view::tests::small();
        fixture::with_timelines(&mut e);
        e.recommended_plan = Some(crate::model::PlanId::DeleteAndReinit);
        let s = rendered(&e);
        // gpdeletesystem starts after the 1 h backup.
        assert!(
            s.contains(
                "Point of no return: gpdeletesystem (gpdeletesystem) at +1:00: the 6 cluster"
            ),
            "{s}"
        );
        assert!(
            s.contains("- before gpdeletesystem: unfreeze writes on 6 — 5 min"),
            "{s}"
        );
        assert!(
            s.contains("needs the backup kept, the 6 software installed"),
            "{s}"
        );
    }

    #[test]
    fn no_timeline_no_time_section() {
        let e = crate::report::view::tests::untimed();
        let s = rendered(&e);
        assert!(!s.contains("Outage"), "{s}");
        assert!(!s.contains("Point of no return"), "{s}");
    }
}

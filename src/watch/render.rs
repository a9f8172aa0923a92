//! What `watch` shows: a live table on a terminal (most urgent first, cut to
//! the terminal's height), plain lines otherwise, and the HTML page with a
//! chart per tight filesystem.

use std::fmt::{self, Write};

use super::plan::WatchPlan;
use super::track::{FsTrack, FsView, Judgment, PhaseProgress, PhaseSource, Status};
use crate::model::durations::format_seconds;
use crate::units::{human, pct};

/// Everything one screen shows.
pub struct Frame<'a> {
    /// The plan.
    pub plan: &'a WatchPlan,
    /// The judgment of the latest sample.
    pub judgment: &'a Judgment,
    /// The phase index.
    pub phase: usize,
    /// How it was decided.
    pub phase_source: &'a PhaseSource,
    /// Sample number (1-based).
    pub sample: u64,
    /// When (ms since the epoch).
    pub t_ms: u64,
    /// Hosts that answered this sample, of all.
    pub hosts_answered: (usize, usize),
}

/// Rate for people: `+4.2 MB/s`, `−1.0 GB/s`, `0 B/s`, or `–` when unknown.
pub fn rate_text(r: Option<f64>) -> String {
    match r {
        None => "–".into(),
        Some(r) if r.abs() < 1.0 => "0 B/s".into(),
        Some(r) if r > 0.0 => format!("+{}/s", human(r as u64)),
        Some(r) => format!("−{}/s", human((-r) as u64)),
    }
}

fn ttl_text(v: &FsView) -> String {
    match v.seconds_to_limit {
        Some(s) if s <= 0.0 => "now".into(),
        Some(s) => format_seconds(s.round() as u64),
        None => "–".into(),
    }
}

fn status_text(v: &FsView) -> String {
    let mut s = v.status.label().to_string();
    if v.status == Status::Stale {
        if let Some(a) = v.age {
            s = format!("stale {}", format_seconds(a.round() as u64));
        }
        if let Some(e) = &v.error {
            let e: String = e.chars().take(60).collect();
            s.push_str(&format!(": {e}"));
        }
    } else if v.above_plan && v.status != Status::AbovePlan {
        s.push_str(" (above plan)");
    }
    s
}

/// The filesystems most urgent first: status, then used as a share of the limit.
pub fn by_urgency(j: &Judgment) -> Vec<&FsView> {
    let mut v: Vec<&FsView> = j.filesystems.iter().collect();
    let fill = |f: &FsView| f.used.unwrap_or(0) as f64 / f.limit.max(1) as f64;
    v.sort_by(|a, b| {
        b.status
            .cmp(&a.status)
            .then(fill(b).total_cmp(&fill(a)))
            .then(a.index.cmp(&b.index))
    });
    v
}

fn header(f: &Frame) -> String {
    let phase = &f.plan.phases[f.phase].phase;
    let how = match f.phase_source {
        PhaseSource::Given => "given with --phase".to_string(),
        PhaseSource::Inferred(why) => format!("inferred: {why}"),
        PhaseSource::Logged(file) => format!("as logged in {file}"),
    };
    let mut counts = [0usize; 5];
    for v in &f.judgment.filesystems {
        counts[v.status as usize] += 1;
    }
    let end = match f.judgment.phase_remaining {
        Some(s) => format!(
            "; the phase's remaining planned bytes take {} at today's growth",
            format_seconds(s.round() as u64)
        ),
        None => String::new(),
    };
    format!(
        "whpg-plan watch: plan {}, phase {} of {} \"{phase}\" ({how})\nsample {} at {}; hosts answering {}/{}; {} filesystems: {} over limit, {} will reach limit, {} stale, {} above plan, {} on plan{end}\n{}",
        f.plan.plan_id,
        f.phase + 1,
        f.plan.phases.len(),
        f.sample,
        super::log::rfc3339_ms(f.t_ms),
        f.hosts_answered.0,
        f.hosts_answered.1,
        f.judgment.filesystems.len(),
        counts[Status::OverLimit as usize],
        counts[Status::WillReachLimit as usize],
        counts[Status::Stale as usize],
        counts[Status::AbovePlan as usize],
        counts[Status::OnPlan as usize],
        f.judgment
            .progress
            .map(|p| progress_line(phase, &p, f.t_ms))
            .unwrap_or_default(),
    )
}

/// The running phase against the time model, one line:
/// `restore: 40% of its planned bytes in 1 h 00 min (planned 2 h 30 min): ends about … (in …); the window ends about …`.
pub fn progress_line(phase: &str, p: &PhaseProgress, now_ms: u64) -> String {
    let clock = |ms: u64| crate::units::rfc3339(ms / 1000);
    format!(
        "{phase}: {} of its planned bytes in {} (planned {}): the phase ends about {} (in {}), the window about {}\n",
        pct(p.fraction),
        format_seconds(p.elapsed_seconds.round() as u64),
        format_seconds(p.planned_seconds),
        clock(p.phase_end_ms),
        format_seconds(p.phase_end_ms.saturating_sub(now_ms).div_ceil(1000)),
        clock(p.window_end_ms)
    )
}

/// The terminal table, at most `rows` filesystem lines (the rest summed up).
pub fn table(f: &Frame, rows: usize) -> String {
    let mut s = header(f);
    table_rows(&mut s, f, rows).expect("writing to a String cannot fail");
    s
}

fn table_rows(s: &mut String, f: &Frame, rows: usize) -> fmt::Result {
    let heads = [
        "FILESYSTEM",
        "USED",
        "PLAN",
        "PEAK",
        "LIMIT",
        "FILL",
        "RATE",
        "TO LIMIT",
        "STATUS",
    ];
    let mut lines: Vec<[String; 9]> = Vec::new();
    let ordered = by_urgency(f.judgment);
    for v in ordered.iter().take(rows) {
        let fs = &f.plan.filesystems[v.index];
        lines.push([
            fs.label(),
            v.used.map(human).unwrap_or_else(|| "–".into()),
            human(v.predicted),
            human(v.peak),
            human(v.limit),
            v.used
                .map(|u| pct(u as f64 / v.limit.max(1) as f64))
                .unwrap_or_else(|| "–".into()),
            rate_text(v.rate),
            ttl_text(v),
            status_text(v),
        ]);
    }
    let mut widths = heads.map(|h| h.chars().count());
    for l in &lines {
        for (w, c) in widths.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    let fmt_row = |cells: &[String]| {
        let mut line = String::new();
        for (k, c) in cells.iter().enumerate() {
            let pad = widths[k].saturating_sub(c.chars().count());
            // Text left, numbers right.
            if k == 0 || k == 8 {
                line.push_str(c);
                if k < 8 {
                    line.push_str(&" ".repeat(pad));
                }
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            }
            if k < 8 {
                line.push_str("  ");
            }
        }
        line.trim_end().to_string()
    };
    writeln!(s, "{}", fmt_row(&heads.map(String::from)))?;
    for l in &lines {
        writeln!(s, "{}", fmt_row(l))?;
    }
    if ordered.len() > rows {
        let rest = &ordered[rows..];
        let on_plan = rest.iter().filter(|v| v.status == Status::OnPlan).count();
        writeln!(
            s,
            "… {} more filesystems ({} on plan); a taller terminal or --log shows them",
            rest.len(),
            on_plan
        )?;
    }
    Ok(())
}

/// Plain lines (not a terminal): the header, then one line per filesystem.
pub fn plain(f: &Frame) -> String {
    let mut s = header(f);
    plain_rows(&mut s, f).expect("writing to a String cannot fail");
    s
}

fn plain_rows(s: &mut String, f: &Frame) -> fmt::Result {
    let time = super::log::rfc3339_ms(f.t_ms);
    for v in by_urgency(f.judgment) {
        let fs = &f.plan.filesystems[v.index];
        writeln!(
            s,
            "{time} {} used {} plan {} limit {} rate {} to-limit {} {}",
            fs.label(),
            v.used.map(human).unwrap_or_else(|| "–".into()),
            human(v.predicted),
            human(v.limit),
            rate_text(v.rate),
            ttl_text(v),
            status_text(v)
        )?;
    }
    Ok(())
}

/// Filesystems worth a chart: any not on plan, or filled past the plan's
/// warning fill now or at the plan's peak; at most `max`, most urgent first.
pub fn tight<'a>(plan: &WatchPlan, j: &'a Judgment, max: usize) -> Vec<&'a FsView> {
    by_urgency(j)
        .into_iter()
        .filter(|v| {
            let fs = &plan.filesystems[v.index];
            v.status != Status::OnPlan
                || fs.peak_bytes as f64 >= plan.warn_fill * fs.limit_bytes as f64
                || v.used.unwrap_or(0) as f64 >= plan.warn_fill * fs.limit_bytes as f64
        })
        .take(max)
        .collect()
}

/// The self-contained HTML page: the last status of every filesystem and a
/// chart per tight one.
pub fn html(f: &Frame, tracks: &[FsTrack]) -> Result<String, crate::error::ChartError> {
    let charted = tight(f.plan, f.judgment, 20);
    // The charts first: drawing is what can fail; writing into a String cannot.
    let mut figures = Vec::with_capacity(charted.len());
    for v in &charted {
        let fs = &f.plan.filesystems[v.index];
        let points: Vec<(u64, u64, u64)> = tracks[v.index]
            .points
            .iter()
            .map(|p| (p.t_ms, p.used, p.predicted))
            .collect();
        let title = format!("{} — {}", fs.label(), status_text(v));
        let svg = crate::report::charts::usage_over_time_svg(&title, &points, fs.limit_bytes)?;
        figures.push((title, svg));
    }
    let mut s = String::new();
    html_page(&mut s, f, charted.len(), &figures).expect("writing to a String cannot fail");
    Ok(s)
}

fn html_page(
    s: &mut String,
    f: &Frame,
    charted: usize,
    figures: &[(String, String)],
) -> fmt::Result {
    use crate::report::html::{CSS, esc, inline_svg};
    let title = format!("whpg-plan watch: plan {}", f.plan.plan_id);
    write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    )?;
    writeln!(s, "<pre>{}</pre>", esc(&header(f)))?;
    writeln!(
        s,
        "<h2>Tight filesystems</h2><p>{} of {} filesystems are not on plan or fill past {} of their limit now or at the plan's peak{}.</p>",
        charted,
        f.judgment.filesystems.len(),
        pct(f.plan.warn_fill),
        if charted == 20 {
            " (the 20 most urgent are drawn)"
        } else {
            ""
        }
    )?;
    for (title, svg) in figures {
        writeln!(
            s,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            esc(title),
            inline_svg(svg)
        )?;
    }
    writeln!(
        s,
        "<h2>Every filesystem at the last sample</h2><pre>{}</pre>\n</body></html>",
        esc(&table(f, usize::MAX)
            .lines()
            .skip(2)
            .collect::<Vec<_>>()
            .join("\n"))
    )
}

//! The self-contained HTML report: inline CSS and SVG charts, no scripts, no
//! fonts or anything else from the network; readable on screen and on paper
//! by a reviewer who never saw the tool.

use std::fmt::{self, Write};

use super::charts::{self, Chart};
use super::view::{
    Exporter, FsRow, environment_lines, focus_plan, shortfall_text, step_heading, verdict_sentence,
};
use crate::model::{Estimate, PlanResult, Verdict};
use crate::units::{human, pct};

/// How many filesystems the focus plan's table lists.
pub const FILESYSTEM_ROWS: usize = 200;

/// HTML report; `rates` add step durations.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlExporter {
    /// Aggregate throughput for duration estimates.
    pub rates: Option<crate::model::durations::Rates>,
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

pub(crate) const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1150px;color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.meta{color:#666}
.verdict{padding:1em 1.2em;border-radius:6px;border-left:8px solid}
.v-fits{background:#eaf6ea;border-color:#2ca02c}.v-fits-destructive{background:#fff4e5;border-color:#ff7f0e}
.v-does-not-fit{background:#fdeaea;border-color:#d62728}.v-incomplete{background:#eef;border-color:#557}
.verdict h2{border:0;margin:0 0 .3em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.short td{background:#fdeaea}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
figure{margin:1em 0;page-break-inside:avoid}figure svg{width:100%;height:auto;border:1px solid #eee}
figcaption{font-weight:600;margin-bottom:.3em}
.na{color:#888}
@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}section{page-break-inside:auto}pre{white-space:pre-wrap}}
";

fn row(cells: &[String], numeric: &[bool], class: Option<&str>) -> String {
    let mut s = match class {
        Some(c) => format!("<tr class=\"{c}\">"),
        None => "<tr>".to_string(),
    };
    for (i, c) in cells.iter().enumerate() {
        if numeric.get(i).copied().unwrap_or(false) {
            s.push_str(&format!("<td class=\"n\">{c}</td>"));
        } else {
            s.push_str(&format!("<td>{c}</td>"));
        }
    }
    s.push_str("</tr>\n");
    s
}

fn header(cells: &[&str]) -> String {
    let mut s = String::from("<tr>");
    for c in cells {
        s.push_str(&format!("<th>{}</th>", esc(c)));
    }
    s.push_str("</tr>\n");
    s
}

fn fs_table(s: &mut String, p: &PlanResult, rows: usize) -> fmt::Result {
    s.push_str("<table>\n");
    s.push_str(&header(&[
        "Host:mount",
        "Size",
        "Used now",
        "Peak",
        "Phase of peak",
        "Limit",
        "Peak / limit",
        "Shortfall",
        "After",
    ]));
    for r in p.filesystems.iter().take(rows).map(FsRow::of) {
        s.push_str(&row(
            &[
                esc(&r.name),
                r.size,
                r.used,
                r.peak,
                esc(&r.peak_phase),
                r.limit,
                r.peak_share,
                r.shortfall,
                r.after,
            ],
            &[false, true, true, true, false, true, true, true, true],
            r.short.then_some("short"),
        ));
    }
    s.push_str("</table>\n");
    if p.filesystems.len() > rows {
        writeln!(
            s,
            "<p class=\"na\">… {} more filesystems with more headroom (all are in the JSON report).</p>",
            p.filesystems.len() - rows
        )?;
    }
    Ok(())
}

/// Makes plotters' SVG fit inline in HTML5: no XML namespace URL (the HTML
/// parser places `<svg>` in the SVG namespace itself), scalable width.
pub(crate) fn inline_svg(svg: &str) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "", 1)
}

impl Exporter for HtmlExporter {
    fn render(&self, e: &Estimate) -> Vec<u8> {
        let mut s = String::new();
        self.head(&mut s, e)
            .and_then(|()| self.incomplete(&mut s, e))
            .and_then(|()| self.numbers(&mut s, e))
            .and_then(|()| self.charts(&mut s, e))
            .and_then(|()| self.plans(&mut s, e))
            .and_then(|()| self.focus(&mut s, e))
            .and_then(|()| self.time(&mut s, e))
            .and_then(|()| self.backup_dir_search(&mut s, e))
            .and_then(|()| self.what_if(&mut s, e))
            .and_then(|()| self.preflight(&mut s, e))
            .and_then(|()| self.pre_checks(&mut s, e))
            .expect("writing to a String cannot fail");
        s.into_bytes()
    }
}

impl HtmlExporter {
    /// The page head, the title and the verdict.
    fn head(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        let c = &e.cluster;
        let title = format!(
            "Upgrade capacity plan: {} {} to 7 ({})",
            c.product.display_name(),
            c.version,
            c.coordinator
        );
        write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style></head><body>\n",
            esc(&title)
        )?;
        writeln!(s, "<h1>{}</h1>", esc(&title))?;
        writeln!(
            s,
            "<p class=\"meta\">Measured {} · {} hosts, {} segment hosts, {} primaries, {} mirrors, {} filesystems · report by whpg-plan {}</p>",
            esc(&c.collected_at),
            c.hosts,
            c.segment_hosts,
            c.primaries,
            c.mirrors,
            c.filesystems,
            env!("CARGO_PKG_VERSION")
        )?;

        let vclass = format!("v-{}", e.verdict.as_str());
        writeln!(
            s,
            "<section class=\"verdict {vclass}\"><h2>Verdict: {}</h2><p>{}</p>",
            esc(&e.verdict.as_str().to_uppercase().replace('-', " ")),
            esc(&verdict_sentence(e))
        )?;
        if let Some(p) = e.recommended() {
            writeln!(
                s,
                "<p><strong>Recommended plan: {}</strong> — {}.</p>",
                esc(p.id.as_str()),
                if p.keeps_rollback {
                    "the 6 cluster stays intact as a rollback until 7 is verified"
                } else {
                    "no rollback: the 6 cluster is deleted before 7 is restored"
                }
            )?;
        }
        s.push_str("</section>\n");

        Ok(())
    }

    /// What could not be measured.
    fn incomplete(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        if !e.incomplete.is_empty() {
            s.push_str("<section><h2>Not measured</h2><ul>\n");
            for r in &e.incomplete {
                writeln!(s, "<li>{}</li>", esc(r))?;
            }
            s.push_str("</ul><p>No verdict can be given until these are measured.</p></section>\n");
        }

        Ok(())
    }

    /// The numbers and the assumptions.
    fn numbers(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        let c = &e.cluster;
        // The numbers.
        s.push_str("<section><h2>The numbers</h2><table>\n");
        let b = &e.backup;
        let mut kv = vec![
            (
                "Primary data (the \"original data set\")",
                human(c.primary_data_bytes),
            ),
            ("All 6 instances on disk", human(c.cluster_bytes)),
            (
                "Backup as CSV text",
                format!(
                    "{} (estimated from {})",
                    human(b.csv_bytes),
                    b.estimated_from
                ),
            ),
            (
                "Backup compressed",
                format!(
                    "{} with {} (ratio {:.2}, {})",
                    human(b.compressed_bytes),
                    b.compression,
                    b.compression_ratio,
                    b.compression_ratio_from
                ),
            ),
        ];
        if let Some(r) = &e.rule_of_thumb {
            kv.push(("Guides' rule: 5 × primary data", human(r.five_x_bytes)));
            kv.push((
                "Model: side-by-side at its peak",
                format!(
                    "{} ({:.2} × the rule)",
                    human(r.model_required_bytes),
                    r.model_over_rule
                ),
            ));
        }
        for (k, v) in kv {
            writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v))?;
        }
        s.push_str("</table></section>\n");

        let a = &e.assumptions;
        s.push_str("<section><h2>Assumptions</h2><ul>\n");
        for item in [
            format!(
                "Highest allowed fill at any moment: {} of used + available (root-reserved blocks excluded).",
                pct(a.max_fill)
            ),
            format!(
                "Warning above {} after the upgrade (capacity guidance: run disks at {} or lower).",
                pct(a.warn_fill),
                pct(crate::model::options::WARN_FILL)
            ),
            format!("Data growth before the upgrade: {}.", pct(a.growth)),
            format!(
                "Per new instance: {} catalog + {} WAL.",
                human(a.catalog_overhead_bytes),
                human(a.wal_overhead_bytes)
            ),
            format!("7 layout: {}.", a.layout),
            format!("Sizing of the 7 cluster: {}.", a.restore_sizing),
            format!(
                "Backup compression: {}; CSV estimated from {}.",
                b.compression, b.estimated_from
            ),
        ] {
            writeln!(s, "<li>{}</li>", esc(&item))?;
        }
        s.push_str("</ul></section>\n");

        Ok(())
    }

    /// Every chart, inline SVG.
    fn charts(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        // Charts.
        s.push_str("<section><h2>Charts</h2>\n");
        for chart in charts::charts_for(e) {
            match charts::svg(chart, e) {
                Ok(svg) => {
                    writeln!(
                        s,
                        "<figure><figcaption>{}</figcaption>{}</figure>",
                        esc(chart.title()),
                        inline_svg(&svg)
                    )?;
                }
                Err(err) => {
                    writeln!(
                        s,
                        "<p class=\"na\">{} could not be drawn: {}</p>",
                        esc(chart.title()),
                        esc(&err.to_string())
                    )?;
                }
            }
            if chart == Chart::FilesystemPeaks
                && let Some(p) = focus_plan(e)
                && p.filesystems.len() > charts::MAX_FILESYSTEMS
            {
                writeln!(
                    s,
                    "<p class=\"na\">The chart shows the tightest {} of {} filesystems.</p>",
                    charts::MAX_FILESYSTEMS,
                    p.filesystems.len()
                )?;
            }
        }
        s.push_str("</section>\n");

        Ok(())
    }

    /// Every plan in one table.
    fn plans(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        if !e.plans.is_empty() {
            s.push_str("<section><h2>Plans</h2><table>\n");
            s.push_str(&header(&[
                "Plan",
                "Available",
                "Fits",
                "Keeps rollback",
                "Backup to",
                "Tightest filesystem",
                "Peak / limit",
                "Phase of peak",
                "Total shortfall",
            ]));
            for p in &e.plans {
                let t = p.tightest();
                let name = if Some(p.id) == e.recommended_plan {
                    format!("<strong>{}</strong> (recommended)", p.id)
                } else {
                    p.id.to_string()
                };
                s.push_str(&row(
                    &[
                        name,
                        if p.available {
                            "yes".into()
                        } else {
                            format!("no: {}", esc(p.unavailable_reason.as_deref().unwrap_or("")))
                        },
                        if p.fits { "yes" } else { "no" }.into(),
                        if p.keeps_rollback { "yes" } else { "no" }.into(),
                        esc(&p.backup_target),
                        esc(&t
                            .map(|f| format!("{}:{}", f.host, f.mount))
                            .unwrap_or_default()),
                        pct(p.worst_peak_over_limit),
                        esc(t.map(|f| f.peak_phase.as_str()).unwrap_or("")),
                        shortfall_text(p.total_shortfall_bytes),
                    ],
                    &[false, false, false, false, false, false, true, false, true],
                    (p.available && !p.fits).then_some("short"),
                ));
            }
            s.push_str("</table></section>\n");
        }

        Ok(())
    }

    /// The focus plan: its filesystems, steps and risks.
    fn focus(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        if let Some(p) = focus_plan(e) {
            writeln!(
                s,
                "<section><h2>Filesystems under {}</h2>",
                esc(p.id.as_str())
            )?;
            fs_table(s, p, FILESYSTEM_ROWS)?;
            s.push_str("</section>\n");

            writeln!(s, "<section><h2>Steps of {}</h2>", esc(p.id.as_str()))?;
            if let Some(r) = &p.backup_location_reason {
                writeln!(
                    s,
                    "<p>Backup location: {} ({}).</p>",
                    esc(&p.backup_target),
                    esc(r)
                )?;
            }
            for (text, lines) in environment_lines(e) {
                writeln!(
                    s,
                    "<p>{}</p><pre>{}</pre>",
                    esc(&text),
                    esc(&lines.join("\n"))
                )?;
            }
            s.push_str("<ol>\n");
            for (i, st) in p.steps.iter().enumerate() {
                let prev = i.checked_sub(1).map(|j| &p.steps[j]);
                let (head, duration) =
                    step_heading(st, prev, e, p.timeline.as_ref(), self.rates.as_ref());
                write!(
                    s,
                    "<li><span class=\"na\">{}</span> <strong>{}</strong>",
                    esc(st.phase.name()),
                    esc(&head)
                )?;
                if super::view::point_of_no_return_step(p) == Some(i)
                    && let Some(x) = p
                        .timeline
                        .as_ref()
                        .and_then(|t| t.point_of_no_return.as_ref())
                {
                    write!(
                        s,
                        "<br><strong>point of no return at {}</strong>: {}",
                        esc(&super::view::offset_text(x.at_seconds)),
                        esc(&x.loses)
                    )?;
                }
                if let Some(d) = duration {
                    write!(s, "<br><span class=\"na\">{}</span>", esc(&d))?;
                }
                if let Some(n) = &st.note {
                    write!(s, "<br>{}", esc(n))?;
                }
                if !st.commands.is_empty() {
                    write!(s, "<pre>{}</pre>", esc(&st.commands.join("\n")))?;
                }
                s.push_str("</li>\n");
            }
            s.push_str("</ol></section>\n");

            s.push_str("<section><h2>Risks, rollback and warnings</h2><ul>\n");
            let rollback = if p.keeps_rollback {
                "The 6 cluster stays intact until the last step; until then, rollback is to stop 7 and keep using 6. The rollback ends when the 6 cluster is deleted."
            } else {
                "There is no rollback to the 6 cluster: gpdeletesystem deletes it before 7 is restored. From then on the backup is the only copy of the data."
            };
            writeln!(s, "<li>{}</li>", esc(rollback))?;
            for w in e.warnings.iter().chain(&p.warnings) {
                writeln!(s, "<li>{}</li>", esc(w))?;
            }
            s.push_str("</ul></section>\n");

            for other in e
                .plans
                .iter()
                .filter(|o| o.id != p.id && !o.filesystems.is_empty())
            {
                writeln!(
                    s,
                    "<section><h2>Tightest filesystems under {}</h2>",
                    esc(other.id.as_str())
                )?;
                fs_table(s, other, 5)?;
                s.push_str("</section>\n");
            }
        }

        Ok(())
    }

    /// The time model: every timed plan's outage, the focus plan's phases,
    /// its point of no return, every plan's ways back and where the rates
    /// come from (the same content as the ticket). Nothing without a timeline.
    fn time(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        use super::view::{offset_text, point_of_no_return_text, rate_line, span_text};
        if e.plans.iter().all(|p| p.timeline.is_none()) {
            return Ok(());
        }
        s.push_str("<section><h2>Outage</h2><p>From the write freeze to the cutover; the range is what the evidence supports.</p><table>\n");
        s.push_str(&header(&[
            "Plan",
            "Outage",
            "Whole plan",
            "Point of no return",
        ]));
        for q in &e.plans {
            let name = if Some(q.id) == e.recommended_plan {
                format!("<strong>{}</strong> (recommended)", q.id)
            } else {
                q.id.to_string()
            };
            let cells = match &q.timeline {
                Some(t) => vec![
                    name,
                    esc(&span_text(&t.outage)),
                    esc(&span_text(&t.total)),
                    esc(&t
                        .point_of_no_return
                        .as_ref()
                        .map(|x| format!("{} at {}", x.step, offset_text(x.at_seconds)))
                        .unwrap_or_else(|| "none before the cutover".into())),
                ],
                None => vec![name, "not timed".into(), String::new(), String::new()],
            };
            s.push_str(&row(&cells, &[false, true, true, false], None));
        }
        s.push_str("</table></section>\n");

        if let Some(p) = focus_plan(e)
            && let Some(t) = &p.timeline
        {
            writeln!(
                s,
                "<section><h2>Timeline of {}</h2><table>",
                esc(p.id.as_str())
            )?;
            s.push_str(&header(&[
                "Phase",
                "Start",
                "Duration",
                "Range",
                "Critical host",
                "Outage",
                "Basis",
            ]));
            let f = crate::model::durations::format_seconds;
            for pt in &t.phases {
                s.push_str(&row(
                    &[
                        esc(pt.phase.name()),
                        esc(&offset_text(pt.span.start_seconds)),
                        esc(&f(pt.span.seconds)),
                        esc(&format!(
                            "{} – {}",
                            f(pt.span.low_seconds),
                            f(pt.span.high_seconds)
                        )),
                        esc(pt.critical_host.as_deref().unwrap_or("–")),
                        if pt.in_outage { "yes" } else { "no" }.into(),
                        esc(&pt.basis),
                    ],
                    &[false, true, true, true, false, false, false],
                    None,
                ));
            }
            s.push_str("</table>\n");
            writeln!(
                s,
                "<p>Whole plan: {}; outage: {}.</p>",
                esc(&span_text(&t.total)),
                esc(&span_text(&t.outage))
            )?;
            let pnr = point_of_no_return_text(t).unwrap_or_else(|| {
                format!(
                    "none before the cutover: {} is kept until 7 is verified",
                    super::view::old_system(e)
                )
            });
            writeln!(
                s,
                "<h3>Point of no return</h3><p>{}.</p></section>",
                esc(&pnr)
            )?;
        }

        s.push_str("<section><h2>Back-out</h2>\n");
        for q in &e.plans {
            let Some(t) = q.timeline.as_ref().filter(|t| !t.back_out.is_empty()) else {
                continue;
            };
            writeln!(s, "<h3>{}</h3><ul>", esc(q.id.as_str()))?;
            for b in &t.back_out {
                write!(
                    s,
                    "<li><strong>{}</strong> — about {} ({})<ol>",
                    esc(&b.when),
                    esc(&span_text(&b.span)),
                    esc(&b.basis)
                )?;
                for st in &b.steps {
                    write!(s, "<li>{}</li>", esc(st))?;
                }
                s.push_str("</ol>");
                if !b.needs.is_empty() {
                    write!(s, "Needs: {}.", esc(&b.needs.join("; ")))?;
                }
                s.push_str("</li>\n");
            }
            s.push_str("</ul>\n");
        }
        s.push_str("</section>\n");

        if let Some(t) = focus_plan(e)
            .and_then(|p| p.timeline.as_ref())
            .filter(|t| !t.rates.is_empty())
        {
            s.push_str("<section><h2>Where the rates come from</h2><ul>\n");
            for r in &t.rates {
                writeln!(s, "<li>{}</li>", esc(&rate_line(r)))?;
            }
            s.push_str("</ul>");
            if t.range > 0.0 {
                writeln!(
                    s,
                    "<p>Ranges: ±{:.0}% on the measured rates.</p>",
                    t.range * 100.0
                )?;
            }
            s.push_str("</section>\n");
        }
        Ok(())
    }

    /// The search for a --backup-dir.
    fn backup_dir_search(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        if !e.backup_dir_search.is_empty() {
            s.push_str("<section><h2>Search for a --backup-dir</h2><p>Mount points present on every segment host, tried as the backup directory of the delete-and-reinit plans.</p><table>\n");
            s.push_str(&header(&[
                "Mount",
                "--backup-dir",
                "delete-and-reinit",
                "mirrorless",
                "Note",
            ]));
            for c in &e.backup_dir_search {
                s.push_str(&row(
                    &[
                        esc(&c.mount),
                        esc(&c.backup_dir),
                        format!(
                            "{} ({})",
                            if c.delete_and_reinit_fits {
                                "fits"
                            } else {
                                "does not fit"
                            },
                            pct(c.delete_and_reinit_worst)
                        ),
                        format!(
                            "{} ({})",
                            if c.mirrorless_fits {
                                "fits"
                            } else {
                                "does not fit"
                            },
                            pct(c.mirrorless_worst)
                        ),
                        esc(c.rejected.as_deref().unwrap_or("")),
                    ],
                    &[],
                    None,
                ));
            }
            s.push_str("</table></section>\n");
        }

        Ok(())
    }

    /// The --what-if matrix.
    fn what_if(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        if let Some(rows) = &e.what_if {
            s.push_str("<section><h2>What if</h2><table>\n");
            s.push_str(&header(&[
                "Compression",
                "Backup target",
                "Best plan",
                "Fits",
                "Peak / limit",
                "Changes",
                "Outage (best plan)",
                "Compressing (busiest segment)",
            ]));
            for r in rows {
                s.push_str(&row(
                    &[
                        esc(&r.compression),
                        esc(&r.backup_target),
                        r.best_plan
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "–".into()),
                        if r.fits { "yes" } else { "no" }.into(),
                        pct(r.worst_peak_over_limit),
                        r.changes.to_string(),
                        r.outage_seconds
                            .map(crate::model::durations::format_seconds)
                            .unwrap_or_else(|| "–".into()),
                        esc(&super::view::compress_time(r.compress_seconds)),
                    ],
                    &[false, false, false, false, true, true, true, true],
                    None,
                ));
            }
            s.push_str("</table></section>\n");
        }

        Ok(())
    }

    /// The pre-flight: every item worst first, its objects, the resource groups' SQL.
    fn preflight(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        s.push_str("<section><h2>Pre-flight: what the restore on 7 refuses or changes</h2>\n");
        writeln!(s, "<p>{}.</p>", esc(&super::view::preflight_headline(e)))?;
        let Some(pf) = &e.preflight else {
            s.push_str("</section>\n");
            return Ok(());
        };
        s.push_str("<table>\n");
        s.push_str(&header(&["#", "Item", "Severity", "Found", "What to do"]));
        for i in &pf.items {
            let objects = super::view::finding_names(i, 20)
                .iter()
                .map(|n| esc(n))
                .collect::<Vec<_>>()
                .join(", ");
            let found = if i.count > 0 {
                format!("{} found: {objects}", i.count)
            } else {
                esc(&i.state_text())
            };
            writeln!(
                s,
                "<tr{}><td>{}</td><td>{} <small>({})</small></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if i.failing() { " class=\"short\"" } else { "" },
                i.number,
                esc(&i.title),
                esc(&i.id),
                i.severity.as_str(),
                found,
                if i.count > 0 {
                    esc(&format!("{}: {}", i.action.label(), i.what_to_do))
                } else {
                    "–".into()
                }
            )?;
        }
        s.push_str("</table>\n");
        if let Some(sql) = &pf.resource_groups_sql {
            writeln!(
                s,
                "<h3>Resource groups to create on 7</h3><pre>{}</pre>",
                esc(sql)
            )?;
        }
        s.push_str("</section>\n");
        Ok(())
    }

    /// The guides' pre-checks, notes, and the end of the page.
    fn pre_checks(&self, s: &mut String, e: &Estimate) -> fmt::Result {
        let b = &e.backup;
        s.push_str("<section><h2>Pre-checks (from the upgrade guides)</h2><ul>\n");
        for item in super::view::PRE_CHECKS {
            writeln!(s, "<li>☐ {}</li>", esc(item))?;
        }
        s.push_str("</ul></section>\n");
        if !b.notes.is_empty() {
            s.push_str("<section><h2>How the backup size was estimated</h2><ul>\n");
            for n in &b.notes {
                writeln!(s, "<li>{}</li>", esc(n))?;
            }
            s.push_str("</ul></section>\n");
        }
        if e.verdict == Verdict::Incomplete {
            s.push_str("<p class=\"na\">Measure the missing hosts and instances, then run the estimate again.</p>\n");
        }
        s.push_str("</body></html>\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::view::fixture;

    fn page(e: &Estimate) -> String {
        String::from_utf8(HtmlExporter::default().render(e)).unwrap()
    }

    #[test]
    fn the_page_times_the_plan_draws_its_phases_and_marks_the_point_of_no_return() {
        let mut e = crate::report::view::tests::small();
        fixture::with_timelines(&mut e);
        e.recommended_plan = Some(crate::model::PlanId::DeleteAndReinit);
        let s = page(&e);
        assert!(s.contains(&esc(Chart::PhaseTimes.title())), "{s}");
        // One bar per phase of delete-and-reinit (5), in the inline SVG.
        let bars = ["#FF7F0E", "#1F77B4"]
            .iter()
            .map(|c| {
                s.matches(&format!("fill=\"{c}\" stroke=\"none\"/>"))
                    .count()
            })
            .sum::<usize>();
        assert!(bars >= 5, "{bars}");
        assert!(s.contains("<h2>Timeline of delete-and-reinit</h2>"), "{s}");
        // backup 1 h, then gpdeletesystem at +1:00 for 5 min.
        assert!(
            s.contains(
                "<td>gpdeletesystem</td><td class=\"n\">+1:00</td><td class=\"n\">5 min</td>"
            ),
            "{s}"
        );
        assert!(
            s.contains("<strong>point of no return at +1:00</strong>: the 6 cluster"),
            "{s}"
        );
        assert!(s.contains("<h2>Back-out</h2>"), "{s}");
        assert!(
            s.contains("<li>gprestore the same backup into 6</li>"),
            "{s}"
        );
        assert!(
            s.contains("Needs: the backup kept; the 6 software installed."),
            "{s}"
        );
        assert!(s.contains("<h2>Where the rates come from</h2>"), "{s}");
    }

    #[test]
    fn no_timeline_no_time_sections() {
        let s = page(&crate::report::view::tests::untimed());
        for h in [
            "<h2>Outage",
            "<h2>Timeline",
            "<h2>Back-out",
            "point of no return:",
        ] {
            assert!(!s.contains(h), "{h}");
        }
    }
}

//! Charts: each is one function drawing on any plotters backend, so the same
//! code produces the SVG inlined in the HTML report and the PNG files. Text
//! uses the embedded DejaVu Sans (no system fonts, no fontconfig).

use crate::error::ChartError;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::view::focus_plan;
use crate::model::{Components, Estimate, FsResult, PlanResult};
use crate::units::human;

/// Pixel size of every chart (PNG and SVG viewBox).
pub const SIZE: (u32, u32) = (1200, 700);
/// At most this many filesystems are drawn one by one.
pub const MAX_FILESYSTEMS: usize = 20;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn ensure_font() {
    REGISTER.call_once(|| {
        // The embedded font is valid TTF; failing here would be a build defect.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// The charts a report can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// The tightest filesystems at their peak, stacked by what fills them.
    FilesystemPeaks,
    /// Every plan's worst filesystem peak as a share of its limit.
    PlanComparison,
    /// The recommended plan's phases on its tightest filesystem.
    Timeline,
    /// The recommended plan's phases in time (a Gantt chart): each phase a
    /// bar with the range the evidence supports, the outage shaded, the
    /// point of no return marked.
    PhaseTimes,
    /// Data by storage kind: on disk, CSV, compressed; and the 5× rule.
    Composition,
    /// Headroom over all filesystems (large clusters).
    Headroom,
}

impl Chart {
    /// File name stem for PNG output.
    pub fn file_stem(self) -> &'static str {
        match self {
            Chart::FilesystemPeaks => "filesystem-peaks",
            Chart::PlanComparison => "plan-comparison",
            Chart::Timeline => "timeline",
            Chart::PhaseTimes => "phase-times",
            Chart::Composition => "composition",
            Chart::Headroom => "headroom",
        }
    }

    /// A heading for the chart.
    pub fn title(self) -> &'static str {
        match self {
            Chart::FilesystemPeaks => "Tightest filesystems at their peak",
            Chart::PlanComparison => "Plans compared",
            Chart::Timeline => "Phases of the plan on its tightest filesystem",
            Chart::PhaseTimes => "Phases of the plan in time: outage and point of no return",
            Chart::Composition => "What the data is made of, and the backup",
            Chart::Headroom => "Headroom over all filesystems",
        }
    }
}

/// The charts that make sense for this estimate, in report order.
pub fn charts_for(e: &Estimate) -> Vec<Chart> {
    let mut v = Vec::new();
    if let Some(p) = focus_plan(e)
        && !p.filesystems.is_empty()
    {
        v.extend([
            Chart::FilesystemPeaks,
            Chart::PlanComparison,
            Chart::Timeline,
        ]);
        if p.timeline.as_ref().is_some_and(|t| !t.phases.is_empty()) {
            v.push(Chart::PhaseTimes);
        }
        if p.filesystems.len() > MAX_FILESYSTEMS {
            v.push(Chart::Headroom);
        }
    }
    v.push(Chart::Composition);
    v
}

/// The chart as an SVG document.
pub fn svg(chart: Chart, e: &Estimate) -> Result<String, ChartError> {
    ensure_font();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, SIZE).into_drawing_area();
        draw(chart, e, &root)?;
        root.present().map_err(err)?;
    }
    Ok(s)
}

/// The chart as PNG bytes.
pub fn png(chart: Chart, e: &Estimate) -> Result<Vec<u8>, ChartError> {
    ensure_font();
    let (w, h) = SIZE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, SIZE).into_drawing_area();
        draw(chart, e, &root)?;
        root.present().map_err(err)?;
    }
    let img = image::RgbImage::from_raw(w, h, buf)
        .ok_or_else(|| ChartError("the chart buffer has the wrong size".into()))?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageOutputFormat::Png)
        .map_err(err)?;
    Ok(out.into_inner())
}

type Res = Result<(), ChartError>;

/// A filled rectangle with a margin (top, bottom, left, right) in pixels.
fn bar<C>(corners: [C; 2], color: ShapeStyle, margin: (u32, u32, u32, u32)) -> Rectangle<C> {
    let mut r = Rectangle::new(corners, color);
    r.set_margin(margin.0, margin.1, margin.2, margin.3);
    r
}

/// Keeps what the drawing library said (its error types are generic over the backend).
fn err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError(e.to_string())
}

fn draw<DB: DrawingBackend>(chart: Chart, e: &Estimate, root: &DrawingArea<DB, Shift>) -> Res {
    root.fill(&WHITE).map_err(err)?;
    match chart {
        Chart::FilesystemPeaks => filesystem_peaks(root, e),
        Chart::PlanComparison => plan_comparison(root, e),
        Chart::Timeline => timeline(root, e),
        Chart::PhaseTimes => phase_times(root, e),
        Chart::Composition => composition(root, e),
        Chart::Headroom => headroom(root, e),
    }
}

/// What fills a filesystem, with the colour each part has in every chart.
const PARTS: [(&str, RGBColor); 8] = [
    ("other files", RGBColor(170, 170, 170)),
    ("6 primaries", RGBColor(31, 119, 180)),
    ("6 mirrors", RGBColor(158, 196, 230)),
    ("growth", RGBColor(148, 103, 189)),
    ("backup", RGBColor(255, 127, 14)),
    ("7 primaries", RGBColor(44, 160, 44)),
    ("7 mirrors", RGBColor(152, 223, 138)),
    ("7 overheads", RGBColor(140, 86, 75)),
];

fn part(c: &Components, k: usize) -> u64 {
    [
        c.other,
        c.old_primary,
        c.old_mirror,
        c.growth,
        c.backup,
        c.new_primary,
        c.new_mirror,
        c.overhead,
    ][k]
}

/// A unit that keeps axis numbers short: (divisor, label).
fn unit(max: u64) -> (f64, &'static str) {
    match max {
        m if m >= 10_000_000_000_000 => (1e12, "TB"),
        m if m >= 10_000_000_000 => (1e9, "GB"),
        m if m >= 10_000_000 => (1e6, "MB"),
        _ => (1e3, "kB"),
    }
}

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

/// A value label set centred on its bar, just above the point it names.
fn above(size: u32) -> TextStyle<'static> {
    font(size).pos(Pos::new(HPos::Center, VPos::Bottom))
}

/// The legend box every chart draws, at `at`.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> Res {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(font(13))
        .draw()
        .map_err(err)
}

/// An axis number without a useless fraction: `200`, `2.5`, `0.25`.
pub fn axis_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v.round())
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn filesystem_peaks<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, e: &Estimate) -> Res {
    let Some(p) = focus_plan(e) else {
        return Ok(());
    };
    let fss: Vec<&FsResult> = p.filesystems.iter().take(MAX_FILESYSTEMS).collect();
    let n = fss.len().max(1);
    let max = fss
        .iter()
        .map(|f| f.total_bytes.max(f.peak_bytes))
        .max()
        .unwrap_or(1)
        .max(1);
    let (div, unit) = unit(max);
    let labels: Vec<String> = fss
        .iter()
        .rev()
        .map(|f| format!("{}:{}", f.host, f.mount))
        .collect();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{} — tightest filesystems at their peak phase", p.id),
            font(24),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(190)
        .build_cartesian_2d(0f64..max as f64 / div * 1.08, (0..n - 1).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_y_mesh()
        .x_desc(format!(
            "{unit}   (red: limit = max fill × capacity; black: filesystem size)"
        ))
        .x_label_formatter(&|v| axis_number(*v))
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(font(13))
        .draw()
        .map_err(err)?;
    let mut labelled = [false; 8];
    for (row, f) in fss.iter().rev().enumerate() {
        let mut x = 0.0;
        for (k, (name, color)) in PARTS.iter().enumerate() {
            let v = part(&f.at_peak, k) as f64 / div;
            if v <= 0.0 {
                continue;
            }
            let rect = bar(
                [
                    (x, SegmentValue::Exact(row)),
                    (x + v, SegmentValue::Exact(row + 1)),
                ],
                color.filled(),
                (3, 3, 0, 0),
            );
            let anno = chart.draw_series(std::iter::once(rect)).map_err(err)?;
            if !labelled[k] {
                labelled[k] = true;
                let c = *color;
                anno.label(*name).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled())
                });
            }
            x += v;
        }
        for (at, style) in [
            (f.limit_bytes, RED.stroke_width(3)),
            (f.total_bytes, BLACK.stroke_width(2)),
        ] {
            let at = at as f64 / div;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![
                        (at, SegmentValue::Exact(row)),
                        (at, SegmentValue::Exact(row + 1)),
                    ],
                    style,
                )))
                .map_err(err)?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

fn plan_comparison<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, e: &Estimate) -> Res {
    let plans: Vec<&PlanResult> = e.plans.iter().collect();
    let n = plans.len().max(1);
    let pct = |p: &PlanResult| {
        let v = p.worst_peak_over_limit * 100.0;
        if v.is_finite() { v.min(400.0) } else { 400.0 }
    };
    let top = plans.iter().map(|p| pct(p)).fold(110.0f64, f64::max) * 1.15;
    let names: Vec<String> = plans.iter().map(|p| p.id.to_string()).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Each plan's tightest filesystem: peak as a share of its limit",
            font(24),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .y_desc("% of limit")
        .y_label_formatter(&|v| axis_number(*v))
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(font(14))
        .draw()
        .map_err(err)?;
    for (i, p) in plans.iter().enumerate() {
        let v = pct(p);
        let color = match (p.available, p.fits) {
            (true, true) => RGBColor(44, 160, 44),
            (false, true) => RGBColor(160, 200, 160),
            (true, false) => RGBColor(214, 39, 40),
            (false, false) => RGBColor(230, 160, 160),
        };
        chart
            .draw_series(std::iter::once(bar(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), v),
                ],
                color.filled(),
                (0, 0, 25, 25),
            )))
            .map_err(err)?;
        let mut tag = format!("{v:.0}%");
        if !p.available {
            tag.push_str(" (not available)");
        }
        if Some(p.id) == e.recommended_plan {
            tag.push_str(" ← recommended");
        }
        chart
            .draw_series(std::iter::once(Text::new(
                tag,
                (SegmentValue::CenterOf(i), v),
                above(14),
            )))
            .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(SegmentValue::Exact(0), 100.0), (SegmentValue::Last, 100.0)],
            RED.stroke_width(2),
        )))
        .map_err(err)?;
    Ok(())
}

fn timeline<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, e: &Estimate) -> Res {
    let Some(p) = focus_plan(e) else {
        return Ok(());
    };
    let Some(f) = p.tightest() else { return Ok(()) };
    let n = p.phases.len().max(1);
    let max = f
        .phase_bytes
        .iter()
        .copied()
        .chain([f.limit_bytes, f.capacity_bytes])
        .max()
        .unwrap_or(1)
        .max(1);
    let (div, unit) = unit(max);
    let phases = p.phases.clone();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{} on {}:{} — bytes in each phase", p.id, f.host, f.mount),
            font(24),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..max as f64 / div * 1.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .y_desc(format!("{unit} (red line: limit; black: used + available)"))
        .y_label_formatter(&|v| axis_number(*v))
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => phases.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(font(14))
        .draw()
        .map_err(err)?;
    for (i, b) in f.phase_bytes.iter().enumerate() {
        let over = *b > f.limit_bytes;
        let color = if over {
            RGBColor(214, 39, 40)
        } else {
            RGBColor(31, 119, 180)
        };
        let v = *b as f64 / div;
        chart
            .draw_series(std::iter::once(bar(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), v),
                ],
                color.filled(),
                (0, 0, 20, 20),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                human(*b),
                (SegmentValue::CenterOf(i), v),
                above(13),
            )))
            .map_err(err)?;
    }
    for (at, style) in [
        (f.limit_bytes, RED.stroke_width(2)),
        (f.capacity_bytes, BLACK.stroke_width(2)),
    ] {
        let y = at as f64 / div;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(SegmentValue::Exact(0), y), (SegmentValue::Last, y)],
                style,
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// The colour of a phase bar inside the outage, and outside it.
pub const PHASE_IN_OUTAGE: RGBColor = RGBColor(255, 127, 14);
/// See [`PHASE_IN_OUTAGE`].
pub const PHASE_OUTSIDE_OUTAGE: RGBColor = RGBColor(31, 119, 180);

/// The focus plan's phases as a Gantt chart, one row per phase in the order
/// of the timeline chart (first phase on top): a bar for the expected
/// duration, a whisker from the shortest to the longest end the evidence
/// supports, the outage shaded behind, the point of no return a red line.
fn phase_times<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, e: &Estimate) -> Res {
    let Some(p) = focus_plan(e) else {
        return Ok(());
    };
    let Some(t) = p.timeline.as_ref().filter(|t| !t.phases.is_empty()) else {
        return Ok(());
    };
    let n = t.phases.len();
    let end = t
        .phases
        .iter()
        .map(|pt| pt.span.start_seconds + pt.span.high_seconds.max(pt.span.seconds))
        .chain([t.total.start_seconds + t.total.seconds])
        .max()
        .unwrap_or(1)
        .max(1);
    // Hours on the axis for a night, minutes for a short plan.
    let (div, unit) = if end >= 3 * 3600 {
        (3600.0, "hours from the start")
    } else {
        (60.0, "minutes from the start")
    };
    let x = |secs: u64| secs as f64 / div;
    let names: Vec<String> = t
        .phases
        .iter()
        .map(|pt| pt.phase.name().to_string())
        .collect();
    // Row of phase i: the first phase on top.
    let row = |i: usize| n - 1 - i;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "{} — outage {} (shaded)",
                p.id,
                super::view::span_text(&t.outage)
            ),
            font(24),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(190)
        // Room on the right for the last phase's label.
        .build_cartesian_2d(0f64..x(end) * 1.3, (0..n - 1).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_y_mesh()
        .x_desc(unit)
        .x_label_formatter(&|v| axis_number(*v))
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(j) if *j < n => names[n - 1 - *j].clone(),
            _ => String::new(),
        })
        .label_style(font(14))
        .draw()
        .map_err(err)?;
    let o = &t.outage;
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [
                (x(o.start_seconds), SegmentValue::Exact(0)),
                (x(o.start_seconds + o.seconds), SegmentValue::Last),
            ],
            RGBColor(253, 208, 162).mix(0.5).filled(),
        )))
        .map_err(err)?;
    for (i, pt) in t.phases.iter().enumerate() {
        let sp = &pt.span;
        let color = if pt.in_outage {
            PHASE_IN_OUTAGE
        } else {
            PHASE_OUTSIDE_OUTAGE
        };
        // A phase too short to see still gets a sliver.
        let x1 = x(sp.start_seconds + sp.seconds).max(x(sp.start_seconds) + x(end) / 400.0);
        chart
            .draw_series(std::iter::once(bar(
                [
                    (x(sp.start_seconds), SegmentValue::Exact(row(i))),
                    (x1, SegmentValue::Exact(row(i) + 1)),
                ],
                color.filled(),
                (12, 12, 0, 0),
            )))
            .map_err(err)?;
        if sp.low_seconds != sp.high_seconds {
            let lo = x(sp.start_seconds + sp.low_seconds);
            let hi = x(sp.start_seconds + sp.high_seconds);
            let c = SegmentValue::CenterOf(row(i));
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(lo, c.clone()), (hi, c)],
                    BLACK.stroke_width(2),
                )))
                .map_err(err)?;
        }
        // The label right of the bar and its whisker.
        let label_x = x1.max(x(sp.start_seconds + sp.high_seconds)) + x(end) / 200.0;
        chart
            .draw_series(std::iter::once(Text::new(
                super::view::span_text(sp),
                (label_x, SegmentValue::CenterOf(row(i))),
                font(13).pos(Pos::new(HPos::Left, VPos::Center)),
            )))
            .map_err(err)?;
    }
    if let Some(pnr) = &t.point_of_no_return {
        let at = x(pnr.at_seconds);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(at, SegmentValue::Exact(0)), (at, SegmentValue::Last)],
                RED.stroke_width(3),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!(
                    "point of no return: {} at {}",
                    pnr.step,
                    super::view::offset_text(pnr.at_seconds)
                ),
                (at, SegmentValue::Last),
                font(14).color(&RED).pos(Pos::new(HPos::Left, VPos::Top)),
            )))
            .map_err(err)?;
    }
    Ok(())
}

fn composition<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, e: &Estimate) -> Res {
    let (left, right) = root.split_horizontally(800);
    let b = &e.backup;
    let kinds: Vec<(String, [u64; 3])> = if b.by_kind.is_empty() {
        vec![(
            "all data (no catalog)".into(),
            [
                e.cluster.primary_data_bytes,
                b.csv_bytes,
                b.compressed_bytes,
            ],
        )]
    } else {
        b.by_kind
            .iter()
            .map(|k| {
                (
                    k.kind.as_str().to_string(),
                    [k.on_disk_bytes, k.csv_bytes, k.compressed_bytes],
                )
            })
            .collect()
    };
    let max = kinds
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1);
    let (div, unit) = unit(max);
    let n = kinds.len();
    let mut chart = ChartBuilder::on(&left)
        .caption(
            format!("Backup by storage kind ({})", b.compression),
            font(22),
        )
        .margin(15)
        .x_label_area_size(20)
        .y_label_area_size(80)
        .build_cartesian_2d(
            0f64..n as f64,
            -(max as f64) / div * 0.08..max as f64 / div * 1.2,
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|v| {
            if *v < 0.0 {
                String::new()
            } else {
                format!("{v:.0}")
            }
        })
        .y_desc(unit)
        .label_style(font(13))
        .draw()
        .map_err(err)?;
    let series = [
        ("on disk", RGBColor(31, 119, 180)),
        ("CSV text", RGBColor(255, 127, 14)),
        ("compressed backup", RGBColor(44, 160, 44)),
    ];
    for (s, (name, color)) in series.iter().enumerate() {
        let bars: Vec<_> = kinds
            .iter()
            .enumerate()
            .map(|(i, (_, v))| {
                let x0 = i as f64 + 0.1 + s as f64 * 0.27;
                Rectangle::new([(x0, 0.0), (x0 + 0.25, v[s] as f64 / div)], color.filled())
            })
            .collect();
        let c = *color;
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()));
    }
    for (i, (name, _)) in kinds.iter().enumerate() {
        chart
            .draw_series(std::iter::once(Text::new(
                name.clone(),
                (i as f64 + 0.1, -(max as f64) / div * 0.02),
                font(16),
            )))
            .map_err(err)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;

    match &e.rule_of_thumb {
        Some(r) => {
            let vals = [
                ("5 × primary (guides)", r.five_x_bytes),
                ("model: side-by-side", r.model_required_bytes),
            ];
            let max = vals.iter().map(|v| v.1).max().unwrap_or(1).max(1);
            let (div, unit) = self::unit(max);
            let mut chart = ChartBuilder::on(&right)
                .caption("Rule of thumb vs model", font(22))
                .margin(15)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d((0..1usize).into_segmented(), 0f64..max as f64 / div * 1.2)
                .map_err(err)?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .disable_x_mesh()
                .y_desc(unit)
                .y_label_formatter(&|v| axis_number(*v))
                .x_labels(2)
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(0) => "5 × primary".into(),
                    SegmentValue::CenterOf(1) => "model".into(),
                    _ => String::new(),
                })
                .label_style(font(13))
                .draw()
                .map_err(err)?;
            for (i, (_, v)) in vals.iter().enumerate() {
                let y = *v as f64 / div;
                let color = if i == 0 {
                    RGBColor(170, 170, 170)
                } else {
                    RGBColor(31, 119, 180)
                };
                chart
                    .draw_series(std::iter::once(bar(
                        [
                            (SegmentValue::Exact(i), 0.0),
                            (SegmentValue::Exact(i + 1), y),
                        ],
                        color.filled(),
                        (0, 0, 15, 15),
                    )))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        human(*v),
                        (SegmentValue::CenterOf(i), y),
                        above(14),
                    )))
                    .map_err(err)?;
            }
        }
        None => {
            right
                .draw(&Text::new(
                    "no verdict: the inventory is incomplete",
                    (20, 300),
                    font(16),
                ))
                .map_err(err)?;
        }
    }
    Ok(())
}

fn headroom<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, e: &Estimate) -> Res {
    let Some(p) = focus_plan(e) else {
        return Ok(());
    };
    let values: Vec<f64> = p
        .filesystems
        .iter()
        .map(|f| {
            (f.limit_bytes as f64 - f.peak_bytes as f64) / f.capacity_bytes.max(1) as f64 * 100.0
        })
        .collect();
    let lo = (values.iter().copied().fold(f64::INFINITY, f64::min) / 5.0).floor() * 5.0;
    let hi = ((values.iter().copied().fold(f64::NEG_INFINITY, f64::max) / 5.0).ceil() * 5.0)
        .max(lo + 5.0);
    let bins = ((hi - lo) / 5.0).round().max(1.0) as usize;
    let mut counts = vec![0usize; bins];
    for v in &values {
        let i = (((v - lo) / 5.0).floor() as usize).min(bins - 1);
        counts[i] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64 * 1.15;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "{} — headroom at the peak over all {} filesystems",
                p.id,
                values.len()
            ),
            font(24),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(lo..hi, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("(limit − peak) as % of capacity; below 0 = short")
        .y_desc("filesystems")
        .x_label_formatter(&|v| axis_number(*v))
        .y_label_formatter(&|v| axis_number(*v))
        .label_style(font(13))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(counts.iter().enumerate().map(|(i, c)| {
            let x0 = lo + i as f64 * 5.0;
            let color = if x0 < 0.0 {
                RGBColor(214, 39, 40)
            } else {
                RGBColor(44, 160, 44)
            };
            bar(
                [(x0, 0.0), (x0 + 5.0, *c as f64)],
                color.filled(),
                (0, 0, 1, 1),
            )
        }))
        .map_err(err)?;
    Ok(())
}

/// One watched filesystem over time: used bytes (blue), the plan's bytes for
/// the phase in effect at each moment (orange steps), and the limit (red),
/// as an SVG document (`watch --html`). `points` are (ms since the epoch,
/// used, predicted), oldest first.
pub fn usage_over_time_svg(
    title: &str,
    points: &[(u64, u64, u64)],
    limit: u64,
) -> Result<String, ChartError> {
    ensure_font();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (1200, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        usage_over_time(&root, title, points, limit)?;
        root.present().map_err(err)?;
    }
    Ok(s)
}

fn usage_over_time<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    points: &[(u64, u64, u64)],
    limit: u64,
) -> Res {
    let Some(&(t0, _, _)) = points.first() else {
        return Ok(());
    };
    let t_end = points.last().map(|p| p.0).unwrap_or(t0).max(t0 + 1000);
    let max = points
        .iter()
        .flat_map(|p| [p.1, p.2])
        .chain([limit])
        .max()
        .unwrap_or(1)
        .max(1);
    let (div, unit) = unit(max);
    let span = (t_end - t0) as f64 / 1000.0;
    let clock = move |secs: f64| {
        let t = t0 / 1000 + secs.max(0.0) as u64;
        let hms = crate::units::rfc3339(t);
        hms[11..19].to_string()
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, font(20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..span, 0f64..max as f64 / div * 1.08)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("time (UTC)")
        .y_desc(unit)
        .x_label_formatter(&|v| clock(*v))
        .y_label_formatter(&|v| axis_number(*v))
        .x_labels(8)
        .label_style(font(13))
        .draw()
        .map_err(err)?;
    let x = |t: u64| (t - t0) as f64 / 1000.0;
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(255, 127, 14);
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (x(p.0), p.1 as f64 / div)),
            blue.stroke_width(3),
        ))
        .map_err(err)?
        .label("used")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], blue.stroke_width(3)));
    // The plan's bytes as steps: each value holds until the next point.
    let mut steps = Vec::with_capacity(points.len() * 2);
    for (k, p) in points.iter().enumerate() {
        if k > 0 {
            steps.push((x(p.0), points[k - 1].2 as f64 / div));
        }
        steps.push((x(p.0), p.2 as f64 / div));
    }
    chart
        .draw_series(LineSeries::new(steps, orange.stroke_width(2)))
        .map_err(err)?
        .label("plan for the phase")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], orange.stroke_width(2)));
    let l = limit as f64 / div;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, l), (span, l)],
            RED.stroke_width(2),
        )))
        .map_err(err)?
        .label("limit")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

#[cfg(test)]
mod phase_times_tests {
    use super::*;
    use crate::report::view::fixture;

    /// How many elements of the SVG are filled with `c`.
    fn filled_with(svg: &str, c: RGBColor) -> usize {
        svg.matches(&format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2))
            .count()
    }

    #[test]
    fn one_bar_per_phase_the_outage_and_the_point_of_no_return() {
        let mut e = crate::report::view::tests::small();
        fixture::with_timelines(&mut e);
        e.recommended_plan = Some(crate::model::PlanId::DeleteAndReinit);
        assert!(charts_for(&e).contains(&Chart::PhaseTimes));
        let svg = svg(Chart::PhaseTimes, &e).unwrap();
        // delete-and-reinit: backup, gpdeletesystem, init 7, restore in the
        // outage; delete backup after it.
        assert_eq!(filled_with(&svg, PHASE_IN_OUTAGE), 4, "{svg}");
        assert_eq!(filled_with(&svg, PHASE_OUTSIDE_OUTAGE), 1, "{svg}");
        assert!(
            svg.contains("point of no return: gpdeletesystem at +1:00"),
            "{svg}"
        );
        assert!(svg.contains("outage 3 h 45 min"), "{svg}");
        for name in [
            "backup",
            "gpdeletesystem",
            "init 7",
            "restore",
            "delete backup",
        ] {
            assert!(svg.contains(&format!("\n{name}\n</text>")), "{name}");
        }
        // The PNG draws too.
        assert!(png(Chart::PhaseTimes, &e).unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn no_timeline_no_phase_chart() {
        let e = crate::report::view::tests::untimed();
        assert!(!charts_for(&e).contains(&Chart::PhaseTimes));
    }
}

#[cfg(test)]
mod axis_tests {
    use super::axis_number;

    #[test]
    fn axis_numbers_drop_useless_fractions() {
        assert_eq!(axis_number(200.0), "200");
        assert_eq!(axis_number(0.0), "0");
        assert_eq!(axis_number(2.5), "2.5");
        assert_eq!(axis_number(0.25), "0.25");
        assert_eq!(axis_number(-5.0), "-5");
    }
}

//! Exporters: each renders a model [`Estimate`] to bytes (the hyperfine
//! pattern: one small trait, one file per format). Reports only render.

pub mod charts;
mod html;
mod markdown;
mod table;

pub use html::HtmlExporter;
pub use markdown::MarkdownExporter;
pub use table::TableExporter;

use crate::model::Estimate;

/// Renders an estimate into one output format.
pub trait Exporter {
    /// The rendered output.
    fn render(&self, estimate: &Estimate) -> Vec<u8>;
}

/// The full result as pretty JSON (exact integer bytes).
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, estimate: &Estimate) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(estimate).expect("estimate serializes");
        v.push(b'\n');
        v
    }
}

/// The full result as YAML (exact integer bytes).
pub struct YamlExporter;

impl Exporter for YamlExporter {
    fn render(&self, estimate: &Estimate) -> Vec<u8> {
        serde_yaml::to_string(estimate)
            .expect("estimate serializes")
            .into_bytes()
    }
}

/// The plan a report explains in detail: the recommended one, else the
/// available plan closest to fitting, else the first.
pub fn focus_plan(e: &Estimate) -> Option<&crate::model::PlanResult> {
    e.recommended()
        .or_else(|| {
            e.plans
                .iter()
                .filter(|p| p.available)
                .min_by_key(|p| p.total_shortfall_bytes)
        })
        .or(e.plans.first())
}

/// The guides' pre-checks, in the order a change ticket lists them.
pub const PRE_CHECKS: [&str; 5] = [
    "Back up with --metadata-only, restore that on a 7 test system, and read the gprestore log.",
    "Extensions in use (MADlib, PostGIS, …) are installed on 7 at compatible versions.",
    "C-language functions' shared objects are rebuilt for 7.",
    "Distribution keys whose types hash differently on 7 are reviewed (rows may move between segments).",
    "Free space is measured again on the day (whpg-plan estimate --coordinator …).",
];

/// How long a step takes at `rate` bytes per second, for the steps that move
/// the data: the backup and the restore move the CSV text; a direct copy and
/// gpaddmirrors move the primaries' data. `None` for steps that do not.
pub fn step_duration(phase: &str, e: &Estimate, rate: u64) -> Option<String> {
    if rate == 0 {
        return None;
    }
    let bytes = match phase {
        "backup" | "backup to external target" | "restore" => e.backup.ascii_bytes,
        "copy 6 to 7" | "gpaddmirrors" => e.cluster.primary_data_bytes,
        _ => return None,
    };
    let secs = bytes / rate;
    Some(match secs {
        s if s >= 3600 => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s.div_ceil(60)),
        s => format!("{s} s"),
    })
}

/// Bytes for people: decimal units with one decimal (`1.5 TB`), as disks
/// and the vendors' sizing pages state them.
pub fn human(bytes: u64) -> String {
    use humansize::{DECIMAL, FormatSizeOptions, format_size};
    format_size(bytes, FormatSizeOptions::from(DECIMAL).decimal_places(1))
}

/// A fraction as a whole percentage (`0.873` → `87%`).
pub fn pct(f: f64) -> String {
    if f.is_finite() {
        format!("{:.0}%", f * 100.0)
    } else {
        "∞".into()
    }
}

/// One sentence that states the verdict.
pub fn verdict_sentence(e: &Estimate) -> String {
    use crate::model::Verdict;
    match (e.verdict, e.recommended()) {
        (Verdict::Incomplete, _) => format!(
            "INCOMPLETE: {} part(s) of the cluster could not be measured; no verdict is given",
            e.incomplete.len()
        ),
        (Verdict::Fits, Some(p)) => format!(
            "FITS: {} keeps the 6 cluster as a rollback; its tightest filesystem peaks at {} of its limit",
            p.id,
            pct(p.worst_peak_over_limit)
        ),
        (Verdict::FitsDestructive, Some(p)) => format!(
            "FITS ONLY DESTRUCTIVELY: no plan that keeps the 6 cluster fits; {} fits (tightest filesystem at {} of its limit) but deletes the 6 cluster before 7 is restored",
            p.id,
            pct(p.worst_peak_over_limit)
        ),
        _ => {
            let short: u64 = e
                .plans
                .iter()
                .filter(|p| p.available)
                .map(|p| p.total_shortfall_bytes)
                .min()
                .unwrap_or(0);
            format!(
                "DOES NOT FIT: no available plan fits; the closest is short by {} in total",
                human(short)
            )
        }
    }
}

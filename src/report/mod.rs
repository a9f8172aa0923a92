//! Exporters: each renders a model [`Estimate`] to bytes (the hyperfine
//! pattern: one small trait, one file per format). Reports only render.

mod markdown;
mod table;

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

//! Byte and fraction formatting shared by every layer (below the model and the
//! reports, so neither imports the other for it).

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

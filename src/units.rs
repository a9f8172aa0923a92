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

/// Sums byte counts without wrapping: a sum past `u64::MAX` stays there, so
/// more data can never look like less (release builds wrap on overflow).
pub trait SaturatingSum {
    /// The saturating sum.
    fn saturating_sum(self) -> u64;
}

impl<I: Iterator<Item = u64>> SaturatingSum for I {
    fn saturating_sum(self) -> u64 {
        self.fold(0u64, u64::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        assert_eq!([u64::MAX, 1].into_iter().saturating_sum(), u64::MAX);
        assert_eq!([1u64, 2, 3].into_iter().saturating_sum(), 6);
    }
}

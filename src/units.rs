//! Byte, fraction and time formatting shared by every layer (below the
//! collector, the model and the reports, so none imports another for it).

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

/// The current time as RFC 3339 UTC (no date crate needed for one timestamp).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// `secs` since the Unix epoch as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        // 2026-11-22T03:46:38Z = 1795319198 s (date -u -d @1795319198).
        assert_eq!(rfc3339(1_795_319_198), "2026-11-22T03:46:38Z");
        // A leap day: 2024-02-29T12:00:00Z = 1709208000.
        assert_eq!(rfc3339(1_709_208_000), "2024-02-29T12:00:00Z");
    }

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        assert_eq!([u64::MAX, 1].into_iter().saturating_sum(), u64::MAX);
        assert_eq!([1u64, 2, 3].into_iter().saturating_sum(), 6);
    }
}

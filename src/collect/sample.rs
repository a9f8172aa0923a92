//! Sampling a table as gpbackup writes it: `COPY (SELECT * FROM t LIMIT n)
//! TO STDOUT WITH CSV` through psql on the coordinator, then compressed here
//! with each codec and level to measure the ratios the backup will get.

use std::collections::BTreeMap;
use std::io::Write;

/// The codecs and levels measured on every sample.
pub const SAMPLED: [(&str, u32); 7] = [
    ("gzip", 1),
    ("gzip", 6),
    ("gzip", 9),
    ("zstd", 1),
    ("zstd", 3),
    ("zstd", 9),
    ("zstd", 19),
];

/// How many CSV records `bytes` holds (newlines inside quoted fields do not end a record).
pub fn csv_records(bytes: &[u8]) -> u64 {
    let mut quoted = false;
    let mut records = 0;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => records += 1,
            _ => {}
        }
    }
    if !bytes.is_empty() && *bytes.last().unwrap() != b'\n' {
        records += 1;
    }
    records
}

/// Compressed/CSV ratios of `csv` for every codec and level in [`SAMPLED`].
pub fn measure_ratios(csv: &[u8]) -> BTreeMap<String, f64> {
    measure(csv).0
}

/// Compressed/CSV ratios of `csv` and the seconds each codec and level took
/// to compress it on this machine (one core).
pub fn measure(csv: &[u8]) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut out = BTreeMap::new();
    let mut seconds = BTreeMap::new();
    if csv.is_empty() {
        return (out, seconds);
    }
    for (codec, level) in SAMPLED {
        let started = std::time::Instant::now();
        let compressed = match codec {
            "gzip" => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                e.write_all(csv).and_then(|_| e.finish()).map(|v| v.len())
            }
            _ => zstd::stream::encode_all(csv, level as i32).map(|v| v.len()),
        };
        if let Ok(n) = compressed {
            out.insert(format!("{codec}-{level}"), n as f64 / csv.len() as f64);
            seconds.insert(
                format!("{codec}-{level}"),
                started.elapsed().as_secs_f64().max(1e-9),
            );
        }
    }
    (out, seconds)
}

/// `--sample-rows` and its time budgets.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// Rows per sampled table; tables with fewer rows (or under 1 MB) are not sampled.
    pub rows: u64,
    /// Time one table's sample may take.
    pub table_timeout: std::time::Duration,
    /// Time all samples together may take; tables left over keep their statistics estimate.
    pub total_budget: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_respect_quoted_newlines() {
        assert_eq!(csv_records(b"1,a\n2,\"b\nc\"\n3,d\n"), 3);
        assert_eq!(csv_records(b"1,a\n2,b"), 2);
        assert_eq!(csv_records(b""), 0);
    }

    #[test]
    fn ratios_are_measured_for_every_codec() {
        // Repetitive text compresses well; the ratios say so and are ordered by level.
        let csv: Vec<u8> = (0..20_000)
            .flat_map(|i| {
                format!("{i},customer-{},2026-01-{:02}\n", i % 100, i % 28 + 1).into_bytes()
            })
            .collect();
        let r = measure_ratios(&csv);
        assert_eq!(r.len(), SAMPLED.len());
        assert!(r.values().all(|v| *v > 0.0 && *v < 0.5), "{r:?}");
        assert!(r["gzip-9"] <= r["gzip-1"]);
        // Random bytes (as hex) do not compress below half.
        // 4 bits of entropy per character: no codec can go below 0.5.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..50_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"0123456789abcdef"[(x >> 60) as usize]
            })
            .collect();
        assert!(measure_ratios(&noise)["gzip-1"] > 0.4);
    }
}

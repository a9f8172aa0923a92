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
            // gpbackup pipes COPY into the gzip program, whose deflate is
            // slower than zlib's (69 against 99 MB/s at level 1 here): time
            // the program when it is installed, zlib otherwise.
            "gzip" => gzip_program(csv, level).or_else(|_| {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                e.write_all(csv).and_then(|_| e.finish()).map(|v| v.len())
            }),
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

/// The size of `csv` compressed by the `gzip -c -LEVEL` program (what
/// gpbackup's `COPY … TO PROGRAM` runs on every segment).
fn gzip_program(csv: &[u8], level: u32) -> std::io::Result<usize> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new("gzip")
        .arg("-c")
        .arg(format!("-{level}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    // Write and read at once: gzip's output would fill the pipe otherwise.
    let read = std::thread::scope(|s| {
        let reader = s.spawn(move || {
            let mut n = 0usize;
            let mut buf = [0u8; 64 * 1024];
            loop {
                match stdout.read(&mut buf) {
                    Ok(0) => return Ok(n),
                    Ok(k) => n += k,
                    Err(e) => return Err(e),
                }
            }
        });
        let written = stdin.write_all(csv);
        drop(stdin);
        let n = reader.join().expect("reader thread");
        written.and(n)
    });
    let status = child.wait()?;
    if !status.success() {
        return Err(std::io::Error::other(format!("gzip exited with {status}")));
    }
    read
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
    fn the_gzip_program_is_what_is_timed_and_its_size_is_exact() {
        let csv: Vec<u8> = (0..50_000)
            .flat_map(|i| format!("{i},row-{}\n", i % 77).into_bytes())
            .collect();
        let ours = gzip_program(&csv, 1).expect("gzip is installed on the test machine");
        // The same bytes through the shell's gzip, counted by wc.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.csv");
        std::fs::write(&f, &csv).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("gzip -c -1 < \"$1\" | wc -c")
            .arg("sh")
            .arg(&f)
            .output()
            .unwrap();
        let theirs: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert_eq!(ours, theirs);
        assert!(ours < csv.len() / 2);
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

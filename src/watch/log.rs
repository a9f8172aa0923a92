//! `--log FILE`: every sample of every filesystem as one JSON line, appended
//! and flushed after each sample (a watch killed by anything keeps what it saw).
//! `--replay FILE` reads the same lines back into the same charts.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::track::Status;
use crate::error::{InputError, OutputError};

/// One filesystem at one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The same instant in milliseconds since the Unix epoch.
    pub t_ms: u64,
    /// Host.
    pub host: String,
    /// Mount point.
    pub mount: String,
    /// Used bytes (the last good value when stale; absent when never read).
    pub used: Option<u64>,
    /// The plan's bytes for the current phase.
    pub predicted: u64,
    /// The limit.
    pub limit: u64,
    /// Status.
    pub status: Status,
    /// More than `--margin` above the plan.
    pub above_plan: bool,
    /// The phase the sample was judged in.
    pub phase: String,
    /// Growth over the window, bytes per second.
    pub rate_bytes_per_s: Option<f64>,
    /// Seconds to the limit at that rate.
    pub seconds_to_limit: Option<f64>,
    /// True when this line repeats an old value (the host did not answer).
    pub stale: bool,
    /// Why the host or filesystem could not be read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// An open log: appends, flushes per sample.
pub struct LogWriter {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl LogWriter {
    /// Opens `path` for appending (created when missing).
    pub fn open(path: &Path) -> Result<LogWriter, OutputError> {
        let f = crate::output::open_append(path)?;
        Ok(LogWriter {
            path: path.to_path_buf(),
            out: std::io::BufWriter::new(f),
        })
    }

    /// Appends one sample's lines and flushes them to the file.
    pub fn write_sample(&mut self, lines: &[LogLine]) -> Result<(), OutputError> {
        let err = |source: std::io::Error| OutputError::File {
            path: self.path.clone(),
            source,
        };
        for l in lines {
            serde_json::to_writer(&mut self.out, l).map_err(|e| err(e.into()))?;
            self.out.write_all(b"\n").map_err(err)?;
        }
        self.out.flush().map_err(err)
    }
}

/// Reads every line of a log; a bad line is an error naming its line number.
pub fn read(path: &Path) -> Result<Vec<LogLine>, InputError> {
    let f = crate::input::open_regular(path, crate::input::MAX_LOG_BYTES)?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|source| InputError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let l: LogLine = serde_json::from_str(&line).map_err(|e| InputError::Syntax {
            path: path.to_path_buf(),
            line: n + 1,
            column: e.column(),
            message: e.to_string(),
        })?;
        out.push(l);
    }
    Ok(out)
}

/// RFC 3339 UTC with milliseconds for `t_ms`.
pub fn rfc3339_ms(t_ms: u64) -> String {
    let s = crate::units::rfc3339(t_ms / 1000);
    format!("{}.{:03}Z", s.trim_end_matches('Z'), t_ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_bad_lines_name_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("watch.jsonl");
        let line = LogLine {
            time: rfc3339_ms(1_796_040_000_123),
            t_ms: 1_796_040_000_123,
            host: "sdw1".into(),
            mount: "/data1".into(),
            used: Some(42),
            predicted: 40,
            limit: 90,
            status: Status::AbovePlan,
            above_plan: true,
            phase: "backup".into(),
            rate_bytes_per_s: Some(1.5),
            seconds_to_limit: Some(32.0),
            stale: false,
            error: None,
        };
        let mut w = LogWriter::open(&p).unwrap();
        w.write_sample(std::slice::from_ref(&line)).unwrap();
        drop(w);
        let mut w = LogWriter::open(&p).unwrap();
        w.write_sample(std::slice::from_ref(&line)).unwrap();
        drop(w);
        let back = read(&p).unwrap();
        assert_eq!(back, vec![line.clone(), line]);
        assert_eq!(back[0].time, "2026-11-30T12:00:00.123Z");
        std::fs::write(
            &p,
            format!(
                "{}\n{{\"time\": 1}}\n",
                serde_json::to_string(&back[0]).unwrap()
            ),
        )
        .unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("watch.jsonl:2:"), "{e}");
    }
}

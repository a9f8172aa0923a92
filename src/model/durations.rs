//! How long the steps that move data take, from throughputs the user gives.
//!
//! - backup: CSV bytes ÷ backup rate; when samples measured the codec's
//!   speed, the busiest segment's CSV ÷ one core's compression speed bounds it
//!   too (each segment compresses its own rows), and the slower of the two counts;
//! - restore: (CSV bytes + index bytes) ÷ restore rate. A restore writes
//!   primaries and mirrors and rebuilds every index, so without
//!   `--restore-rate` it runs at the backup rate ÷ [`RESTORE_FACTOR`];
//! - a direct copy and gpaddmirrors move the primaries' data at the backup rate.

use serde::Serialize;

use super::Estimate;
use super::steps::{DataMove, Step};

pub use super::time_model::RESTORE_FACTOR;

/// Aggregate throughputs in bytes per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// Backup throughput (CSV bytes per second, whole cluster).
    pub backup: u64,
    /// Restore throughput (CSV bytes per second, whole cluster).
    pub restore: u64,
    /// The restore rate was derived with [`RESTORE_FACTOR`].
    pub restore_derived: bool,
}

impl Rates {
    /// From `--rate`, `--backup-rate`, `--restore-rate`; `None` when no rate is given.
    pub fn new(rate: Option<u64>, backup: Option<u64>, restore: Option<u64>) -> Option<Rates> {
        let b = backup
            .or(rate)
            .or(restore.map(|r| (r as f64 * RESTORE_FACTOR) as u64))?;
        if b == 0 {
            return None;
        }
        Some(Rates {
            backup: b,
            restore: restore
                .unwrap_or(((b as f64) / RESTORE_FACTOR).round() as u64)
                .max(1),
            restore_derived: restore.is_none(),
        })
    }
}

/// A step's expected duration and what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepDuration {
    /// Seconds.
    pub seconds: u64,
    /// The arithmetic, for a reviewer.
    pub basis: String,
}

/// Seconds as `2 h 05 min`, `7 min`, `40 s`.
pub fn format_seconds(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s.div_ceil(60)),
        s => format!("{s} s"),
    }
}

/// The duration of a step that moves data; `None` for the others.
pub fn step_duration(step: &Step, e: &Estimate, r: &Rates) -> Option<StepDuration> {
    let human = crate::units::human;
    let b = &e.backup;
    let secs = |bytes: u64, rate: u64| bytes.div_ceil(rate.max(1));
    Some(match step.moves? {
        DataMove::Backup => {
            let io = secs(b.csv_bytes, r.backup);
            let mut basis = format!("{} CSV at {}/s", human(b.csv_bytes), human(r.backup));
            let cpu = b.compression_seconds();
            if let (Some(cpu), Some(speed)) = (cpu, b.compression_bytes_per_second) {
                basis.push_str(&format!(
                    "; {} compresses the busiest segment's {} at {}/s per core in {}",
                    b.compression,
                    human(b.busiest_content_csv_bytes()),
                    human(speed as u64),
                    format_seconds(cpu)
                ));
            }
            StepDuration {
                seconds: io.max(cpu.unwrap_or(0)),
                basis,
            }
        }
        DataMove::Restore => {
            let index: u64 = b.by_kind.iter().map(|k| k.index_bytes).sum();
            StepDuration {
                seconds: secs(b.csv_bytes.saturating_add(index), r.restore),
                basis: format!(
                    "{} CSV + {} of indexes rebuilt at {}/s{}",
                    human(b.csv_bytes),
                    human(index),
                    human(r.restore),
                    if r.restore_derived {
                        format!(" (backup rate ÷ {RESTORE_FACTOR})")
                    } else {
                        String::new()
                    }
                ),
            }
        }
        DataMove::Copy | DataMove::Mirrors => StepDuration {
            seconds: secs(e.cluster.primary_data_bytes, r.backup),
            basis: format!(
                "{} of primary data at {}/s",
                human(e.cluster.primary_data_bytes),
                human(r.backup)
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_rate_defaults_to_the_backup_rate_over_the_factor() {
        let r = Rates::new(Some(1_000_000_000), None, None).unwrap();
        assert_eq!(r.backup, 1_000_000_000);
        // 1 GB/s ÷ 2.5 = 400 MB/s.
        assert_eq!(r.restore, 400_000_000);
        assert!(r.restore_derived);
        let r = Rates::new(Some(1_000), Some(2_000), Some(300)).unwrap();
        assert_eq!(
            (r.backup, r.restore, r.restore_derived),
            (2_000, 300, false)
        );
        assert!(Rates::new(None, None, None).is_none());
        assert!(Rates::new(Some(0), None, None).is_none());
    }

    #[test]
    fn seconds_read_as_people_say_them() {
        assert_eq!(format_seconds(40), "40 s");
        assert_eq!(format_seconds(61), "2 min");
        assert_eq!(format_seconds(7500), "2 h 05 min");
    }
}

//! How long a plan's night is: each phase's duration on the critical path
//! (the slowest host), the outage (write freeze to cutover), the point of no
//! return and the way back. Every rate says where it came from.
//!
//! These are the types the estimate carries ([`super::PlanResult::timeline`]);
//! the reports, the runbook script and `watch` read them as written here.

use serde::{Deserialize, Serialize};

use super::phase::Phase;

/// Where a throughput came from, most trusted first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RateSource {
    /// The user typed it (`--rate`, `--backup-rate`, `--restore-rate`).
    Option {
        /// The flag, e.g. `--backup-rate`.
        flag: String,
    },
    /// A successful full backup of this cluster (`gpbackup_<ts>_report`).
    BackupHistory {
        /// The backup's timestamp key.
        timestamp: String,
        /// Its database.
        database: String,
        /// `host:path` of the report file.
        path: String,
    },
    /// One core's compression speed on the samples × the cores of the
    /// busiest host (its primaries compress in parallel, one process each).
    CodecPerCore {
        /// `gzip-1`, `zstd-3`, …
        codec: String,
        /// The host whose cores and primaries bound the rate.
        host: String,
        /// Cores used: min(cores, primaries on the host).
        cores: u32,
    },
    /// The `COPY … TO STDOUT WITH CSV` text rate measured while sampling.
    CopyText,
    /// `collect --measure-io` on this filesystem.
    MeasuredIo {
        /// Host measured.
        host: String,
        /// Mount point measured.
        mount: String,
    },
    /// A documented default (docs/accuracy.md says where it comes from).
    Default {
        /// What the default is for, e.g. `gpinitsystem per instance`.
        what: String,
    },
}

/// One throughput the timeline used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// What it measures, e.g. `backup (CSV bytes per second, cluster)`.
    pub what: String,
    /// Bytes per second; 0 for a documented duration that is not a
    /// throughput (gpinitsystem, a gate, a manual step: its formula is in
    /// [`Rate::basis`]).
    pub bytes_per_second: f64,
    /// Where it came from.
    pub source: RateSource,
    /// The arithmetic, for a reviewer (e.g. `12.1 GB in 0:14:05 on 2026-11-02`).
    pub basis: String,
}

/// A duration with the range the evidence supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Offset from the start of the plan's first phase, seconds.
    pub start_seconds: u64,
    /// Expected length, seconds.
    pub seconds: u64,
    /// Shortest the evidence supports.
    pub low_seconds: u64,
    /// Longest the evidence supports.
    pub high_seconds: u64,
}

/// One phase on the plan's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// The phase (a name of [`Phase::name`] in JSON).
    pub phase: Phase,
    /// When it starts and how long it takes.
    pub span: Span,
    /// The host that takes longest (the critical path), when the phase moves data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_host: Option<String>,
    /// The part of the phase that moves data (the backup, restore, copy or
    /// gpaddmirrors step itself, without the manual steps and gates around
    /// it): what a measured run of the tool compares with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Span>,
    /// The arithmetic of [`Self::data`] alone (the step's bytes and rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_basis: Option<String>,
    /// The arithmetic: bytes, rates, instance counts.
    pub basis: String,
    /// Indexes into [`Timeline::rates`] of the rates this phase used.
    #[serde(default)]
    pub rates: Vec<usize>,
    /// Between the write freeze and the cutover: the applications are down.
    pub in_outage: bool,
}

/// The step after which the 6 cluster (or the backup) cannot come back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointOfNoReturn {
    /// The phase that holds it.
    pub phase: Phase,
    /// The step's title as the runbook prints it.
    pub step: String,
    /// Offset from the start of the plan, seconds.
    pub at_seconds: u64,
    /// What is lost at that step.
    pub loses: String,
}

/// How to get back to a working 6 cluster from one point in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackOut {
    /// When this way back applies, e.g. `before gpdeletesystem`.
    pub when: String,
    /// What to do, in order.
    pub steps: Vec<String>,
    /// How long it takes (`start_seconds` 0: from the moment it is decided).
    pub span: Span,
    /// The arithmetic.
    pub basis: String,
    /// What must be true for it to work (the backup kept, the 6 software
    /// installed, …): each is a step or a pre-check in the runbook.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
}

/// A plan's night.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Every phase in order, `Prepare` excluded.
    pub phases: Vec<PhaseTime>,
    /// The whole plan.
    pub total: Span,
    /// Write freeze to cutover.
    pub outage: Span,
    /// The first point of no return; `None` for a plan that keeps 6 until 7 is verified
    /// and removes nothing before the cutover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_of_no_return: Option<PointOfNoReturn>,
    /// The ways back, earliest first.
    pub back_out: Vec<BackOut>,
    /// Every rate used, with its source.
    pub rates: Vec<Rate>,
    /// The relative range applied to the measured rates (0.25 = ±25%).
    pub range: f64,
}

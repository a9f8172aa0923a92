//! What to collect and how: the options `collect`, `estimate --coordinator`
//! and `collect --local` build from their arguments.

use super::catalog::PgConnection;
use super::sample::SampleOptions;
use crate::remote::transport::Target;

/// What to collect and how.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The coordinator to read the catalog on.
    pub coordinator: Target,
    /// How psql reaches the database there.
    pub pg: PgConnection,
    /// Hosts measured at once.
    pub jobs: usize,
    /// Extra paths whose filesystem is recorded on every host (e.g. a `--backup-dir`).
    pub extra_paths: Vec<String>,
    /// Show a progress bar (on a terminal only).
    pub progress: bool,
    /// Measure only hosts whose name is in this list (`--local`); others are recorded as not measured.
    pub only_hosts: Option<Vec<String>>,
    /// Sample tables to measure CSV bytes per row and compression ratios.
    pub sample: Option<SampleOptions>,
    /// Directories (given as `--backup-dir` to an earlier gpbackup) to search for its files.
    pub previous_backup_dirs: Vec<String>,
    /// Databases left out on purpose (`--exclude-database`).
    pub exclude_databases: Vec<String>,
    /// `--measure-io`: write and read back one temporary file of this many
    /// bytes on each filesystem the plan writes to (the one measurement that
    /// writes; see [`super::io`]).
    pub measure_io: Option<u64>,
}

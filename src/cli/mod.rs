//! Command-line arguments (clap derive; the `///` comments are the help text).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod options;

use crate::model::options::{
    ValueError, parse_bytes, parse_fraction, parse_instance_bytes, parse_rate,
};

/// Does a Greenplum / WarehousePG 6 → 7 upgrade by backup and restore fit on
/// the hardware, and if not, which plan does?
#[derive(Debug, Parser)]
#[command(name = "whpg-plan", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure a cluster (over SSH, or this machine with --local) and write an inventory.
    Collect(CollectArgs),
    /// Estimate every upgrade plan from an inventory (or collect one first) and give a verdict.
    Estimate(EstimateArgs),
    /// Render the files a review needs (HTML with charts, PNG charts, Markdown, JSON) from an inventory.
    Report(ReportArgs),
    /// Follow a plan during the change window: every filesystem's usage against
    /// the plan's bytes for the phase and the limit, over kept-open SSH sessions.
    Watch(WatchArgs),
}

/// `watch` arguments.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The estimate JSON (`estimate --format json > plan.json` or `report --json plan.json`):
    /// a regular file of at most 64 MiB.
    #[arg(value_name = "PLAN.json")]
    pub plan_file: PathBuf,
    /// The plan being carried out (default: the estimate's recommended plan).
    #[arg(long, value_name = "ID")]
    pub plan: Option<String>,
    /// The phase now, by name ("restore") or number (3); default: inferred
    /// from what is on disk, and said how.
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,
    /// Seconds between samples.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_interval, allow_hyphen_values = true)]
    pub interval: f64,
    /// How far above the plan's bytes still counts as on plan (0.05 = 5%).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.05, value_parser = parse_fraction, allow_hyphen_values = true)]
    pub margin: f64,
    /// Seconds of samples the growth rate is fitted over.
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0, value_parser = parse_interval, allow_hyphen_values = true)]
    pub window: f64,
    /// Take one sample, print it and exit (for cron or a monitoring system):
    /// exit 0 on plan, 6 above plan, 5 a host did not answer, 4 a filesystem
    /// is over its limit or will reach it before the phase ends.
    #[arg(long)]
    pub once: bool,
    /// Stop after N samples.
    #[arg(long, value_name = "N")]
    pub samples: Option<u64>,
    /// Append every sample of every filesystem to FILE as JSON lines
    /// (with --once, the log's recent samples give the growth rate).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Write an HTML page with a chart per tight filesystem when the watch ends
    /// (Ctrl-C included); with --replay, from a log at any time.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Render --html from this log instead of watching, and print its last
    /// sample as a table (connects to nothing). A regular file of at most 1 GiB.
    #[arg(long, value_name = "FILE", requires = "html")]
    pub replay: Option<PathBuf>,
    /// SSH settings (as for collect).
    #[command(flatten)]
    pub ssh: SshArgs,
}

fn parse_interval(s: &str) -> Result<f64, ValueError> {
    let v: f64 = s.parse().map_err(|_| ValueError::NotSeconds(s.into()))?;
    let (lo, hi) = (0.2, 86_400.0);
    if !(lo..=hi).contains(&v) {
        return Err(ValueError::SecondsRange {
            given: s.into(),
            lo,
            hi,
        });
    }
    Ok(v)
}

/// `--measure-io-bytes`: a size from 1 MiB to 4 GiB.
fn parse_io_bytes(s: &str) -> Result<u64, String> {
    use crate::collect::io::{MAX_BYTES, MIN_BYTES};
    match crate::model::options::parse_bytes_upto(s, MAX_BYTES) {
        Ok(v) if v < MIN_BYTES => Err(format!(
            "'{s}' is too small: --measure-io writes at least 1 MiB (0 measures nothing)"
        )),
        Ok(v) => Ok(v),
        Err(e) => Err(e.to_string()),
    }
}

/// `collect` arguments.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Coordinator host to read the catalog on (as gpadmin, over SSH).
    #[arg(
        long,
        value_name = "HOST",
        required_unless_present = "local",
        conflicts_with = "local"
    )]
    pub coordinator: Option<String>,
    /// Measure only this machine (sysinfo and local commands; local psql).
    #[arg(long)]
    pub local: bool,
    /// Write the inventory to FILE (YAML, or JSON for a .json name); default: standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also record the filesystem holding PATH on every host (e.g. a planned --backup-dir).
    #[arg(long = "extra-path", value_name = "PATH")]
    pub extra_paths: Vec<String>,
    /// Measure sequential write and read speed on every filesystem the plan
    /// writes to (data directories, tablespaces, --extra-path): THE ONE
    /// MEASUREMENT THAT WRITES. Per filesystem one temporary file
    /// (.whpg-plan-io.XXXXXX, next to the data directory or in the
    /// --extra-path directory) is written with dd conv=fdatasync, read back
    /// and removed at once (also when interrupted); a filesystem with less
    /// than 4 × the file size available is skipped. The read follows the
    /// write, so it is largely served from the page cache.
    #[arg(long)]
    pub measure_io: bool,
    /// Size of --measure-io's file (whole MiB; default 256MiB, at most 4GiB).
    #[arg(long, value_name = "BYTES", value_parser = parse_io_bytes, requires = "measure_io", allow_hyphen_values = true)]
    pub measure_io_bytes: Option<u64>,
    /// Database connection on the coordinator.
    #[command(flatten)]
    pub pg: PgArgs,
    /// SSH settings.
    #[command(flatten)]
    pub ssh: SshArgs,
}

/// How psql on the coordinator reaches the database.
#[derive(Debug, Args, Clone)]
pub struct PgArgs {
    /// psql -h (default: the local socket, as gpadmin uses it).
    #[arg(long, value_name = "HOST")]
    pub pg_host: Option<String>,
    /// psql -p.
    #[arg(long, value_name = "PORT")]
    pub pg_port: Option<u16>,
    /// psql -U.
    #[arg(long, value_name = "USER")]
    pub pg_user: Option<String>,
    /// Database for the topology queries.
    #[arg(long, value_name = "NAME", default_value = "postgres")]
    pub database: String,
    /// Sample N rows of each table larger than N rows and 1 MB (COPY … CSV through psql)
    /// to measure CSV bytes per row and compression ratios.
    #[arg(long, value_name = "N")]
    pub sample_rows: Option<u64>,
    /// Seconds one table's sample may take (statement_timeout).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub sample_timeout: u64,
    /// Seconds all samples together may take; later tables keep their statistics estimate.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub sample_budget: u64,
    /// Leave database NAME out on purpose (repeatable); the output says so. Any
    /// other database that cannot be read makes the inventory incomplete (exit 5).
    #[arg(long, value_name = "NAME")]
    pub exclude_database: Vec<String>,
    /// statement_timeout of the catalog queries in seconds (0 = none, as gpbackup).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub catalog_timeout: u64,
    /// lock_timeout of the catalog queries in seconds: a table locked longer
    /// (behind a TRUNCATE or ALTER) is reported as not measured, not waited on.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub lock_timeout: u64,
    /// A directory an earlier gpbackup wrote to with --backup-dir (repeatable); its files
    /// calibrate the estimate. Backups inside the data directories are always looked for.
    #[arg(long, value_name = "DIR")]
    pub previous_backup_dir: Vec<String>,
}

/// SSH transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportArg {
    /// Native SSH (libssh2), one session per host.
    Ssh2,
    /// The system ssh client in BatchMode (honours all of ~/.ssh/config, e.g. ProxyJump).
    Openssh,
}

/// How hosts are reached.
#[derive(Debug, Args, Clone)]
pub struct SshArgs {
    /// Remote user (default: ~/.ssh/config's User, else the local user).
    #[arg(long, value_name = "USER")]
    pub ssh_user: Option<String>,
    /// Private key to offer (repeatable), before the agent's keys and ~/.ssh/id_*.
    #[arg(long, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
    /// SSH port when ~/.ssh/config does not name one.
    #[arg(long, value_name = "PORT", default_value_t = 22)]
    pub ssh_port: u16,
    /// Hosts measured at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub jobs: usize,
    /// Seconds to wait for TCP connect and the SSH handshake.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub connect_timeout: u64,
    /// Seconds each remote command may run (du on a large data directory takes a while).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub command_timeout: u64,
    /// known_hosts file (default ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Trust and record keys of hosts not yet in known_hosts (a changed key is still refused).
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// SSH implementation.
    #[arg(long, value_enum, default_value_t = TransportArg::Ssh2)]
    pub transport: TransportArg,
    /// Print every remote command and connect to nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `estimate` arguments.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Inventory file (YAML, or JSON by extension) written by `collect`: a
    /// regular file of at most 64 MiB; YAML nested at most 64 levels, with
    /// aliases adding at most 100,000 nodes.
    #[arg(
        required_unless_present = "coordinator",
        conflicts_with = "coordinator"
    )]
    pub inventory: Option<PathBuf>,
    /// Collect from this coordinator first, then estimate.
    #[arg(long, value_name = "HOST")]
    pub coordinator: Option<String>,
    /// Database connection on the coordinator (with --coordinator).
    #[command(flatten)]
    pub pg: PgArgs,
    /// SSH settings (with --coordinator).
    #[command(flatten)]
    pub ssh: SshArgs,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Plan options.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Report files to write as well.
    #[command(flatten)]
    pub outputs: OutputArgs,
}

/// `report` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Inventory file (YAML, or JSON by extension): a regular file of at most
    /// 64 MiB; YAML nested at most 64 levels, aliases adding at most 100,000 nodes.
    pub inventory: PathBuf,
    /// Plan options.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Report files to write.
    #[command(flatten)]
    pub outputs: OutputArgs,
}

/// Standard-output formats of `estimate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Terminal summary: verdict, plans, tightest filesystems.
    Table,
    /// The full result as JSON (integer bytes).
    Json,
    /// The full result as YAML (integer bytes).
    Yaml,
    /// The change-ticket text.
    Markdown,
}

/// Report files. Each is a new or regular file (never a device, a FIFO or a
/// symbolic link, never an input or another output); all are written or none.
#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// Write the full result as JSON to FILE (`-`: standard output, with report).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the change-ticket Markdown to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write the self-contained HTML report (inline SVG charts) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the charts as PNG files into DIR (created if missing, and only
    /// once everything is ready: a rejected input leaves no directory).
    #[arg(long, value_name = "DIR")]
    pub png: Option<PathBuf>,
    /// Write the 7 layout files the runbook uses into DIR: gpinitsystem_input_7 (-I),
    /// its mirrorless twin, gpaddmirrors_input_7, gpinitsystem_config_7, hostfile_gpinitsystem, hostfile_all.
    #[arg(long, value_name = "DIR")]
    pub layout_dir: Option<PathBuf>,
    /// Write the runbook as one bash script to FILE: one function per phase, run a phase
    /// at a time (`./upgrade.sh backup`), gates before every point of no return, a state
    /// file, --dry-run; for the recommended plan or --plan. Refused for a plan that does
    /// not fit or is not available.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// The plan --script is for (default: the recommended plan): side-by-side,
    /// external-backup, direct-copy, delete-and-reinit, delete-and-reinit-mirrorless.
    #[arg(long = "plan", value_name = "ID", value_parser = parse_plan_id, requires = "script")]
    pub script_plan: Option<crate::model::PlanId>,
    /// Aggregate backup throughput in CSV bytes per second (e.g. 800MB), for step durations;
    /// the restore then runs at this rate divided by the restore factor (see --restore-rate).
    #[arg(long, value_name = "BYTES_PER_SECOND", value_parser = parse_rate, allow_hyphen_values = true)]
    pub rate: Option<u64>,
    /// Aggregate backup throughput (CSV bytes per second); overrides --rate for the backup.
    #[arg(long, value_name = "BYTES_PER_SECOND", value_parser = parse_rate, allow_hyphen_values = true)]
    pub backup_rate: Option<u64>,
    /// Aggregate restore throughput (CSV bytes per second); default: the backup rate / 2.5,
    /// since a restore writes primaries and mirrors and rebuilds every index.
    #[arg(long, value_name = "BYTES_PER_SECOND", value_parser = parse_rate, allow_hyphen_values = true)]
    pub restore_rate: Option<u64>,
}

impl OutputArgs {
    /// The review files these arguments ask for.
    pub fn files(&self) -> crate::report::files::OutputFiles {
        crate::report::files::OutputFiles {
            json: self.json.clone(),
            markdown: self.markdown.clone(),
            html: self.html.clone(),
            png: self.png.clone(),
            layout_dir: self.layout_dir.clone(),
            script: self.script.clone(),
            script_plan: self.script_plan,
            rates: self.rates(),
        }
    }

    /// The throughputs as typed, for the time model (they override the evidence).
    pub fn user_rates(&self) -> crate::model::time_model::UserRates {
        crate::model::time_model::UserRates {
            rate: self.rate,
            backup: self.backup_rate,
            restore: self.restore_rate,
        }
    }

    /// Step durations' throughput from `--rate`, `--backup-rate`, `--restore-rate`.
    pub fn rates(&self) -> Option<crate::model::durations::Rates> {
        crate::model::durations::Rates::new(self.rate, self.backup_rate, self.restore_rate)
    }
}

/// A plan id as the JSON and the tables write it.
fn parse_plan_id(s: &str) -> Result<crate::model::PlanId, String> {
    crate::model::PlanId::ALL
        .into_iter()
        .find(|p| p.as_str() == s)
        .ok_or_else(|| {
            let ids: Vec<&str> = crate::model::PlanId::ALL
                .iter()
                .map(|p| p.as_str())
                .collect();
            format!("unknown plan '{s}'; the plans: {}", ids.join(", "))
        })
}

/// Backup codecs (gpbackup `--compression-type`; `none` = `--no-compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecArg {
    /// gzip (levels 1–9).
    Gzip,
    /// zstd (levels 1–19).
    Zstd,
    /// No compression: plain CSV.
    None,
}

/// Licensed direct-copy tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectCopyArg {
    /// Greenplum's gpcopy.
    Gpcopy,
    /// EDB's whpg-copy (WarehousePG).
    WhpgCopy,
}

/// gpinitsystem mirror placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MirrorModeArg {
    /// All of a host's mirrors on the next host.
    Group,
    /// A host's mirrors spread over the following hosts.
    Spread,
}

/// Options shared by `estimate` and `report` that shape the plans.
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// Backup compression codec.
    #[arg(long, value_enum, default_value_t = CodecArg::Gzip)]
    pub compression: CodecArg,
    /// Compression level (gzip 1–9, zstd 1–19; default 1, gpbackup's default).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub compression_level: Option<u32>,
    /// gpbackup --backup-dir: one absolute path used on every host.
    #[arg(long, value_name = "PATH")]
    pub backup_dir: Option<String>,
    /// Capacity of an external backup target (plugin, Data Domain, NFS), e.g. 40TB
    /// (at most 1 EiB).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, allow_hyphen_values = true)]
    pub external_capacity: Option<u64>,
    /// The external target is a storage plugin (S3, DD Boost) with this gpbackup
    /// plugin config file (the default kind; the runbook names plugin_config.yaml).
    #[arg(
        long,
        value_name = "FILE",
        requires = "external_capacity",
        conflicts_with = "external_dir"
    )]
    pub plugin_config: Option<String>,
    /// The external target is a directory on a mount every host shares (NFS):
    /// gpbackup and gprestore get --backup-dir PATH.
    #[arg(long, value_name = "PATH", requires = "external_capacity")]
    pub external_dir: Option<String>,
    /// The 6 installation directory whose greenplum_path.sh the 6 steps source
    /// (default /usr/local/greenplum-db-<6 version>).
    #[arg(long, value_name = "DIR")]
    pub gphome6: Option<String>,
    /// The 7 installation directory whose greenplum_path.sh the 7 steps source.
    #[arg(long, value_name = "DIR", default_value = crate::model::options::DEFAULT_GPHOME7)]
    pub gphome7: String,
    /// A licensed tool that copies straight from 6 into a running 7.
    #[arg(long, value_enum)]
    pub direct_copy_tool: Option<DirectCopyArg>,
    /// A 7 gpinitsystem_config describing the new layout (default: the old
    /// layout); a regular file of at most 4 MiB.
    #[arg(long, value_name = "FILE")]
    pub target_config: Option<PathBuf>,
    /// Host file of the 7 segment hosts (default: the config's MACHINE_LIST_FILE, else
    /// the 6 segment hosts); a regular file of at most 4 MiB.
    #[arg(long, value_name = "FILE")]
    pub target_hosts: Option<PathBuf>,
    /// Mirror placement of the target layout.
    #[arg(long, value_enum, default_value_t = MirrorModeArg::Group)]
    pub mirror_mode: MirrorModeArg,
    /// Highest allowed fill of used + available at any moment (0.90 or 90%).
    #[arg(long, value_name = "FRACTION", default_value_t = crate::model::options::DEFAULT_MAX_FILL, value_parser = parse_fraction, allow_hyphen_values = true)]
    pub max_fill: f64,
    /// Data growth before the upgrade date (0.1 or 10%).
    #[arg(long, value_name = "FRACTION", default_value = "0", value_parser = parse_fraction, allow_hyphen_values = true)]
    pub growth: f64,
    /// Catalog bytes per new instance (at most 1 TiB).
    #[arg(long, value_name = "BYTES", default_value = "20MB", value_parser = parse_instance_bytes, allow_hyphen_values = true)]
    pub catalog_overhead: u64,
    /// WAL bytes per new instance (at most 1 TiB).
    #[arg(long, value_name = "BYTES", default_value = "1088MB", value_parser = parse_instance_bytes, allow_hyphen_values = true)]
    pub wal_overhead: u64,
    /// Evaluate a matrix of codecs, levels and backup targets and list the combinations that fit.
    #[arg(long)]
    pub what_if: bool,
}

//! The inventory's types: hosts, filesystems, instances, the composition of
//! the data, and where each figure came from. [`super`] re-exports them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The format tag every inventory carries; bumped on incompatible change.
pub const FORMAT: &str = "whpg-plan/inventory/v1";

/// One measurement of one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Always [`FORMAT`].
    pub format: String,
    /// What was measured, when, and from where.
    pub source: Source,
    /// Every host of the cluster with the filesystems the plan touches.
    pub hosts: Vec<Host>,
    /// Every instance (coordinator, standby, primaries, mirrors).
    pub instances: Vec<Instance>,
    /// What the data is made of, from the coordinator's catalog; absent when
    /// the catalog was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition: Option<Composition>,
    /// Problems collection met that did not stop it (e.g. a sample that
    /// timed out): kept with the measurement, so every report built from it
    /// shows them, not only the terminal collect ran in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The pre-flight: what the 6 catalog holds that a restore on 7 refuses
    /// or changes (greenplum.md, "Restoring a 6 backup on 7"); absent when it
    /// was not checked (an inventory written before the pre-flight existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<Compatibility>,
    /// The cluster's own gpbackup report files (`gpbackup_<ts>_report`) found
    /// by collect, newest first: the measured durations the time model reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup_history: Vec<BackupReport>,
}

/// Which database product the inventory describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    /// VMware / Broadcom Greenplum.
    Greenplum,
    /// EDB WarehousePG.
    Warehousepg,
    /// A plain PostgreSQL server (one instance).
    Postgresql,
}

impl Product {
    /// The name a reader expects to see.
    pub fn display_name(self) -> &'static str {
        match self {
            Product::Greenplum => "Greenplum",
            Product::Warehousepg => "WarehousePG",
            Product::Postgresql => "PostgreSQL",
        }
    }
}

/// Where the measurement came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The product found on the coordinator.
    pub product: Product,
    /// The product version as reported by `version()`, e.g. `6.26.0`.
    pub version: String,
    /// When the measurement was taken (RFC 3339, UTC).
    pub collected_at: String,
    /// The coordinator host the catalog was read from.
    pub coordinator: String,
}

impl Source {
    /// The major version number (`6` for `6.26.0`), if the version starts with one.
    pub fn major_version(&self) -> Option<u32> {
        self.version
            .split(|c: char| !c.is_ascii_digit())
            .find(|s| !s.is_empty())
            .and_then(|s| s.parse().ok())
    }
}

/// Whether a host could be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HostStatus {
    /// Every probe on the host answered.
    #[default]
    Ok,
    /// The host could not be measured; `error` says why.
    Failed,
}

/// One host of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// The host name used in `gp_segment_configuration.hostname`.
    pub name: String,
    /// The address connected to, when it differs from the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Whether the host was measured.
    #[serde(default)]
    pub status: HostStatus,
    /// Why the host could not be measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The filesystems that hold anything the plan touches (data directories,
    /// tablespaces, candidate backup directories).
    #[serde(default)]
    pub filesystems: Vec<Filesystem>,
    /// Online CPU cores (`getconf _NPROCESSORS_ONLN`); absent when not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
}

/// One mounted filesystem of one host, as `df -P -B1` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filesystem {
    /// Mount point, e.g. `/data1`.
    pub mount: String,
    /// Block device or source, e.g. `/dev/sdb1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Filesystem type, e.g. `xfs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_type: Option<String>,
    /// Size of the filesystem.
    pub total_bytes: u64,
    /// Bytes in use.
    pub used_bytes: u64,
    /// Bytes an unprivileged user can still write (excludes root-reserved blocks).
    pub available_bytes: u64,
    /// Sequential write and read speed, measured only with `collect --measure-io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<IoMeasurement>,
}

/// A bounded sequential write and read of one temporary file on a filesystem
/// (`collect --measure-io`, the one measurement that writes; the file is
/// removed at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoMeasurement {
    /// Size of the file written and read back.
    pub bytes: u64,
    /// Bytes per second written (flushed to the device).
    pub write_bytes_per_second: f64,
    /// Bytes per second read back.
    pub read_bytes_per_second: f64,
}

impl Filesystem {
    /// `used + available`: the capacity gpupgrade's check and this model measure
    /// fill against (root-reserved blocks excluded).
    pub fn capacity_bytes(&self) -> u64 {
        self.used_bytes.saturating_add(self.available_bytes)
    }
}

/// An instance's role as recorded in `gp_segment_configuration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Acting primary (`p`).
    Primary,
    /// Acting mirror (`m`).
    Mirror,
}

/// What an instance is, derived from content and role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceKind {
    /// Content −1, acting primary.
    Coordinator,
    /// Content −1, acting mirror.
    Standby,
    /// A segment's acting primary.
    Primary,
    /// A segment's acting mirror.
    Mirror,
}

/// One instance of the cluster (one row of `gp_segment_configuration`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// `gp_segment_configuration.dbid`.
    pub dbid: u32,
    /// Content id; −1 for coordinator and standby.
    pub content: i32,
    /// Acting role.
    pub role: Role,
    /// Preferred role (differs after a failover that was not rebalanced).
    pub preferred_role: Role,
    /// Host name (matches a [`Host::name`]).
    pub host: String,
    /// Port the instance listens on.
    pub port: u16,
    /// Data directory.
    pub datadir: String,
    /// Mount point of the filesystem holding the data directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// Measured bytes; absent when not measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<InstanceBytes>,
    /// Tablespace directories of this instance (outside its data directory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tablespaces: Vec<TablespaceDir>,
    /// Why the instance could not be measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Earlier gpbackup data files of this content found on the host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_backups: Vec<PreviousBackup>,
}

impl Instance {
    /// Coordinator, standby, primary or mirror.
    pub fn kind(&self) -> InstanceKind {
        match (self.content < 0, self.role) {
            (true, Role::Primary) => InstanceKind::Coordinator,
            (true, Role::Mirror) => InstanceKind::Standby,
            (false, Role::Primary) => InstanceKind::Primary,
            (false, Role::Mirror) => InstanceKind::Mirror,
        }
    }

    /// Data (`base` + `global`) plus tablespace bytes: what a restore brings back.
    /// `None` when any part was not measured.
    pub fn data_bytes(&self) -> Option<u64> {
        let own = self.bytes.as_ref()?.data;
        self.tablespaces
            .iter()
            .try_fold(own, |acc, t| t.bytes.map(|b| acc + b))
    }

    /// Everything the instance occupies on disk, tablespaces included.
    pub fn total_bytes(&self) -> Option<u64> {
        let b = self.bytes.as_ref()?;
        let ts = self.data_bytes()? - b.data;
        Some(b.data + b.wal + b.logs + b.backups + ts)
    }

    /// A short name for messages: `sdw1:/data1/primary/gpseg0 (dbid 2)`.
    pub fn label(&self) -> String {
        format!("{}:{} (dbid {})", self.host, self.datadir, self.dbid)
    }
}

/// Allocated bytes (as `du`) of one data directory, split by what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceBytes {
    /// `base/` and `global/`: the relations.
    pub data: u64,
    /// `pg_xlog` (6) or `pg_wal` (7).
    pub wal: u64,
    /// `pg_log` (6) or `log` (7).
    pub logs: u64,
    /// An existing `backups/` directory (earlier gpbackup runs).
    pub backups: u64,
    /// Everything else in the data directory (config files, `pg_clog`, …).
    #[serde(default)]
    pub other: u64,
}

/// One tablespace directory of one instance: `<location>/<dbid>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TablespaceDir {
    /// Tablespace oid.
    pub oid: u32,
    /// Tablespace name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Location given at CREATE TABLESPACE; the instance's files are under
    /// `<location>/<dbid>`.
    pub location: String,
    /// Mount point of the filesystem holding the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// Allocated bytes; absent when not measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// What the user data is made of, from the coordinator's catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Composition {
    /// One entry per user database (templates excluded).
    pub databases: Vec<DatabaseComposition>,
    /// CSV bytes per second one core compresses, by codec and level (`gzip-1`,
    /// `zstd-19`, …), measured on the `--sample-rows` samples on the machine
    /// that collected: what each codec adds to the backup's duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_throughput: Option<BTreeMap<String, f64>>,
    /// CSV bytes per second one `COPY … TO STDOUT WITH CSV` stream produced
    /// while sampling (the text rate of one segment's COPY); absent when
    /// nothing was sampled. Measured as the samples' CSV bytes over the time
    /// from sending each sample's psql command to having all its output: one
    /// stream through the coordinator (psql start and, over SSH, the round
    /// trip included), so a lower bound of one segment's own COPY rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_bytes_per_second: Option<f64>,
    /// Databases and tables that could not be measured, with the reason: the
    /// inventory is incomplete (no verdict) while this is not empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_measured: Vec<NotMeasured>,
    /// Databases left out on purpose (`collect --exclude-database`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_databases: Vec<String>,
    /// What the reader should know about how the catalog was read (tables
    /// dropped during the run, tables sampled because TOAST hides their width, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A part of the catalog that could not be measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotMeasured {
    /// The database.
    pub database: String,
    /// `schema.table`, when only one table could not be measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Why.
    pub reason: String,
}

/// Bytes of one storage kind on one segment (content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentBytes {
    /// Content id.
    pub content: i32,
    /// On-disk bytes of this kind's tables there (indexes excluded).
    pub bytes: u64,
}

/// One database's data by storage kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseComposition {
    /// Database name.
    pub name: String,
    /// One entry per storage kind present.
    pub storage: Vec<StorageComposition>,
    /// Per-table estimates (largest first), when statistics were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableEstimate>,
}

/// Storage kinds that a backup writes as CSV (external tables are excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    /// Heap tables.
    Heap,
    /// Append-optimized row-oriented tables.
    AoRow,
    /// Append-optimized column-oriented tables.
    AoColumn,
}

impl StorageKind {
    /// Every kind, in display order.
    pub const ALL: [StorageKind; 3] =
        [StorageKind::Heap, StorageKind::AoRow, StorageKind::AoColumn];

    /// The name used in inventories and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Heap => "heap",
            StorageKind::AoRow => "ao_row",
            StorageKind::AoColumn => "ao_column",
        }
    }
}

/// How a CSV estimate was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstimateSource {
    /// From catalog statistics (row counts, column widths).
    Stats,
    /// From a sample of rows copied as CSV.
    Sample,
    /// From a documented default factor.
    Default,
    /// From the files of an earlier gpbackup.
    PreviousBackup,
    /// Different tables by different methods.
    Mixed,
}

impl EstimateSource {
    /// The name used in inventories and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EstimateSource::Stats => "stats",
            EstimateSource::Sample => "sample",
            EstimateSource::Default => "default",
            EstimateSource::PreviousBackup => "previous_backup",
            EstimateSource::Mixed => "mixed",
        }
    }
}

/// One database's tables of one storage kind, summed over all primaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageComposition {
    /// Storage kind.
    pub kind: StorageKind,
    /// On-disk bytes per segment, from one distributed query (Greenplum):
    /// each content's backup share comes from its own tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_content: Vec<ContentBytes>,
    /// Number of tables (leaf partitions count, empty parents do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<u64>,
    /// Bytes on disk, indexes excluded (for AO: the committed EOF).
    pub on_disk_bytes: u64,
    /// Bytes of the indexes on these tables (rebuilt by a restore, never backed up as data).
    #[serde(default)]
    pub index_bytes: u64,
    /// Estimated uncompressed bytes (AO: on-disk × compression ratio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncompressed_bytes: Option<u64>,
    /// Live rows (from `reltuples` or counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Estimated bytes of `COPY … TO … WITH CSV` output of these tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_bytes: Option<u64>,
    /// How `csv_bytes` was obtained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_estimated_from: Option<EstimateSource>,
    /// Compressed/CSV ratios measured on samples of these tables, by codec and
    /// level (`gzip-1`, `zstd-3`, …), weighted by the sampled tables' CSV bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampled_ratios: Option<BTreeMap<String, f64>>,
}

/// The backup estimate of one table, and how it was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableEstimate {
    /// Schema.
    pub schema: String,
    /// Table.
    pub name: String,
    /// Storage kind.
    pub kind: StorageKind,
    /// Rows (`reltuples`).
    pub rows: u64,
    /// On-disk bytes.
    pub on_disk_bytes: u64,
    /// Estimated CSV bytes.
    pub csv_bytes: u64,
    /// How `csv_bytes` was obtained.
    pub estimated_from: EstimateSource,
    /// Rows in the sample, when one was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rows: Option<u64>,
    /// CSV bytes of the sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_csv_bytes: Option<u64>,
    /// Compressed/CSV ratios of the sample by codec and level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampled_ratios: Option<BTreeMap<String, f64>>,
    /// pg_stats hid the table's columns from the collecting role (no SELECT
    /// privilege or row security): its default-factor estimate is for want
    /// of privileges, not of ANALYZE.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stats_hidden: bool,
}

/// An earlier gpbackup found on a host: its files for one content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousBackup {
    /// The backup timestamp (`YYYYMMDDHHMMSS`).
    pub timestamp: String,
    /// `gzip`, `zstd` or `none`, from the data files' extension.
    pub codec: String,
    /// Bytes of the data files.
    pub bytes: u64,
    /// Number of data files.
    pub files: u64,
}

/// One gpbackup report file (`gpbackup_<ts>_report`, gpbackup report/report.go):
/// what a backup of this cluster took, measured by the cluster itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupReport {
    /// The backup timestamp (`YYYYMMDDHHMMSS`, "timestamp key:").
    pub timestamp: String,
    /// Where the report was read: `host:path`.
    pub path: String,
    /// "database name:".
    pub database: String,
    /// "backup status:": `Success` or `Failure`.
    pub status: String,
    /// "compression:": `gzip`, `zstd` or `None`.
    pub compression: String,
    /// "backup section:": `All Sections`, `Data Only` or `Metadata Only`.
    pub section: String,
    /// "incremental:" True.
    #[serde(default)]
    pub incremental: bool,
    /// "plugin executable:" when not `None`: the data went off-host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// "duration:" (`H:MM:SS`) in seconds.
    pub duration_seconds: u64,
    /// "database size:" (pg_size_pretty, e.g. `1234 MB`) in bytes; absent when not printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_size_bytes: Option<u64>,
    /// "segment count:".
    pub segment_count: u32,
    /// "gpbackup version:".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpbackup_version: Option<String>,
    /// Bytes of this backup's data files on every content (from the
    /// instances' `previous_backups`); absent when some content's files were
    /// not found (moved, or a plugin backup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_bytes: Option<u64>,
}

/// The pre-flight's result: one entry per item of greenplum.md's table,
/// each checked (with its findings, possibly none) or not checked (with why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compatibility {
    /// Every item, in the table's order.
    pub items: Vec<CompatibilityItem>,
    /// The resource groups with their 6 settings (item 1), for the SQL that
    /// recreates them on 7.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_groups: Vec<ResourceGroup>,
}

/// What an item means for the restore on 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The restore fails (a statement gprestore runs errors).
    Fails,
    /// The restore succeeds but 7 holds something different from 6.
    Silent,
    /// Not decidable from the catalog: a person reviews it.
    Manual,
}

impl Severity {
    /// The word the reports print.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Fails => "fails",
            Severity::Silent => "silent",
            Severity::Manual => "manual",
        }
    }
}

/// Whether an item was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// Its query ran in every database it applies to: the findings are all there is.
    Checked,
    /// Its query failed somewhere (or does not apply to this product): the
    /// findings, if any, are incomplete and "none found" must not be said.
    NotChecked,
    /// Outside what a catalog can tell: always listed for a person to review.
    Manual,
    /// The objects cannot exist in this catalog (a 7 or a plain PostgreSQL
    /// source): `not_checked` says why. Neither a finding nor a gap.
    NotApplicable,
}

/// One item of the pre-flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatibilityItem {
    /// Stable id (`resource-groups`, `removed-gucs`, …).
    pub id: String,
    /// The row of greenplum.md's table it comes from (1–20).
    pub number: u8,
    /// What it does to the restore.
    pub severity: Severity,
    /// What is looked for, in a few words.
    pub title: String,
    /// The fact it rests on, with its source.
    pub source: String,
    /// Checked, not checked, or manual.
    pub status: CheckStatus,
    /// Why it was not checked: one entry per database (or the cluster) whose query failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<NotChecked>,
    /// How many objects were found, also beyond those listed.
    #[serde(default)]
    pub count: u64,
    /// The objects found (at most a bounded number per database; `count` has them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// Where and why an item's query gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotChecked {
    /// The database, or none for a cluster-wide item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The error (first line), or why the item does not apply.
    pub reason: String,
}

/// One object the pre-flight found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The database (none for a cluster-wide object: a role, a resource group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The schema, when the object lives in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The object's name (`table.column`, `function(args)`, a role, a group …).
    pub name: String,
    /// Exactly what: the setting, the column type, the language, the library path …
    pub detail: String,
}

/// A resource group as 6 defines it (`pg_resgroup`, `pg_resgroupcapability`):
/// the values as the catalog stores them (text), absent when not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ResourceGroup {
    /// `rsgname`.
    pub name: String,
    /// CONCURRENCY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<String>,
    /// CPU_RATE_LIMIT (percent; −1 when the group uses a cpuset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_rate_limit: Option<String>,
    /// MEMORY_LIMIT (percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// MEMORY_SHARED_QUOTA (percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_shared_quota: Option<String>,
    /// MEMORY_SPILL_RATIO (percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_spill_ratio: Option<String>,
    /// MEMORY_AUDITOR (0 vmtracker, 1 cgroup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_auditor: Option<String>,
    /// CPUSET (`-1` when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
}

impl ResourceGroup {
    /// The 6 settings in one line, as the reports list them.
    pub fn settings_line(&self) -> String {
        let show = |name: &str, v: &Option<String>| match v {
            Some(v) => format!("{name} {v}"),
            None => format!("{name} unset"),
        };
        [
            show("concurrency", &self.concurrency),
            show("cpu_rate_limit", &self.cpu_rate_limit),
            show("memory_limit", &self.memory_limit),
            show("memory_shared_quota", &self.memory_shared_quota),
            show("memory_spill_ratio", &self.memory_spill_ratio),
            show("memory_auditor", &self.memory_auditor),
            show("cpuset", &self.cpuset),
        ]
        .join(", ")
    }
}

impl Inventory {
    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The composition of database `name`, when the catalog was read.
    pub fn database(&self, name: &str) -> Option<&DatabaseComposition> {
        self.composition
            .as_ref()?
            .databases
            .iter()
            .find(|d| d.name == name)
    }

    /// The acting coordinator.
    pub fn coordinator(&self) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|i| i.kind() == InstanceKind::Coordinator)
    }

    /// Whether this describes a single-instance system (plain PostgreSQL).
    pub fn is_single_instance(&self) -> bool {
        self.instances.iter().all(|i| i.content < 0)
    }
}

/// Whether `path` lies on or below `mount` (path components, not string prefix).
pub fn path_is_under(path: &str, mount: &str) -> bool {
    if mount == "/" {
        return path.starts_with('/');
    }
    let mount = mount.trim_end_matches('/');
    path == mount || (path.starts_with(mount) && path.as_bytes().get(mount.len()) == Some(&b'/'))
}

/// The mount point among `mounts` that holds `path`: the longest one it lies under.
pub fn mount_for_path<'a, I>(path: &str, mounts: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    mounts
        .into_iter()
        .filter(|m| path_is_under(path, m))
        .max_by_key(|m| m.trim_end_matches('/').len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_under_mount_uses_components() {
        assert!(path_is_under("/data1/primary/gpseg0", "/data1"));
        assert!(path_is_under("/data1", "/data1"));
        assert!(!path_is_under("/data10/primary", "/data1"));
        assert!(path_is_under("/anything", "/"));
        assert!(path_is_under("/data1/x", "/data1/"));
    }

    #[test]
    fn longest_mount_wins() {
        let mounts = ["/", "/data1", "/data1/fast", "/data2"];
        assert_eq!(
            mount_for_path("/data1/fast/gpseg0", mounts.iter().copied()),
            Some("/data1/fast")
        );
        assert_eq!(
            mount_for_path("/data1/gpseg0", mounts.iter().copied()),
            Some("/data1")
        );
        assert_eq!(
            mount_for_path("/home/gpadmin", mounts.iter().copied()),
            Some("/")
        );
        assert_eq!(mount_for_path("/x", ["/data1"].iter().copied()), None);
    }

    #[test]
    fn major_version_parses_leading_number() {
        let s = Source {
            product: Product::Greenplum,
            version: "6.26.0".into(),
            collected_at: String::new(),
            coordinator: String::new(),
        };
        assert_eq!(s.major_version(), Some(6));
    }
}

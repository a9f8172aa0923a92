//! The plan options a user chooses, with the documented defaults (README, "Commands").

use serde::{Deserialize, Serialize};

use super::target::TargetConfig;

/// Backup compression codec (gpbackup `--compression-type`, or `--no-compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// gzip, levels 1–9 (gpbackup's default, level 1).
    Gzip,
    /// zstd, levels 1–19.
    Zstd,
    /// Plain CSV: the guides' "ASCII" worst case.
    None,
}

/// A codec and level, e.g. gzip 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Compression {
    /// The codec.
    pub codec: Codec,
    /// The level (0 for none).
    pub level: u32,
}

impl Compression {
    /// gpbackup's default: gzip level 1.
    pub const DEFAULT: Compression = Compression {
        codec: Codec::Gzip,
        level: 1,
    };

    /// Builds a compression setting, checking the level range gpbackup accepts.
    pub fn new(codec: Codec, level: Option<u32>) -> Result<Self, ValueError> {
        let (lo, hi, default) = match codec {
            Codec::Gzip => (1, 9, 1),
            Codec::Zstd => (1, 19, 1),
            Codec::None => (0, 0, 0),
        };
        let level = match (codec, level) {
            (Codec::None, _) => 0,
            (_, None) => default,
            (_, Some(l)) => l,
        };
        if level < lo || level > hi {
            return Err(ValueError::Level {
                level,
                codec: codec_name(codec),
                lo,
                hi,
            });
        }
        Ok(Compression { codec, level })
    }

    /// `gzip-1`, `zstd-3`, `none`.
    pub fn label(&self) -> String {
        match self.codec {
            Codec::None => "none".into(),
            c => format!("{}-{}", codec_name(c), self.level),
        }
    }

    /// The gpbackup flags that select this compression.
    pub fn gpbackup_flags(&self) -> String {
        match self.codec {
            Codec::None => "--no-compression".into(),
            c => format!(
                "--compression-type {} --compression-level {}",
                codec_name(c),
                self.level
            ),
        }
    }
}

fn codec_name(c: Codec) -> &'static str {
    match c {
        Codec::Gzip => "gzip",
        Codec::Zstd => "zstd",
        Codec::None => "none",
    }
}

/// Where gpbackup writes the data files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum BackupTarget {
    /// `<primary datadir>/backups/…`: on each primary's own filesystem.
    Default,
    /// `--backup-dir PATH`: the same path on every host.
    Dir(String),
    /// A plugin, Data Domain or NFS target off the hosts.
    External,
}

impl BackupTarget {
    /// A short label for tables.
    pub fn label(&self) -> String {
        match self {
            BackupTarget::Default => "data directories".into(),
            BackupTarget::Dir(p) => format!("--backup-dir {p}"),
            BackupTarget::External => "external".into(),
        }
    }
}

/// A separately licensed tool that copies straight from 6 into a running 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectCopyTool {
    /// Greenplum's gpcopy.
    Gpcopy,
    /// EDB's whpg-copy for WarehousePG.
    WhpgCopy,
}

impl DirectCopyTool {
    /// The command name.
    pub fn command(self) -> &'static str {
        match self {
            DirectCopyTool::Gpcopy => "gpcopy",
            DirectCopyTool::WhpgCopy => "whpg-copy",
        }
    }
}

/// What kind of off-host backup target `--external-capacity` describes; the
/// two are different gpbackup flags that cannot be combined.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum ExternalKind {
    /// A storage plugin (S3, DD Boost): `--plugin-config FILE` on both sides.
    Plugin(String),
    /// A directory on a mount every host shares (NFS): `--backup-dir PATH`.
    Dir(String),
}

impl ExternalKind {
    /// The gpbackup / gprestore flag that selects this target.
    pub fn flag(&self) -> String {
        match self {
            ExternalKind::Plugin(f) => format!("--plugin-config {}", crate::shell::quote(f)),
            ExternalKind::Dir(d) => format!("--backup-dir {}", crate::shell::quote(d)),
        }
    }

    /// A short label for tables.
    pub fn label(&self) -> String {
        match self {
            ExternalKind::Plugin(f) => format!("plugin ({f})"),
            ExternalKind::Dir(d) => format!("shared directory {d}"),
        }
    }
}

/// The plugin config file name the runbook uses when none is given.
/// Absolute: gpbackup and gprestore refuse a relative `--plugin-config`.
pub const DEFAULT_PLUGIN_CONFIG: &str = "/home/gpadmin/whpg_upgrade/plugin_config.yaml";

/// How gpinitsystem places mirrors (`--mirror-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MirrorMode {
    /// All mirrors of host N's primaries on host N+1 (gpinitsystem's default).
    #[default]
    Group,
    /// Host N's mirrors spread over the following hosts, one each.
    Spread,
}

/// Everything the model needs besides the inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// Backup codec and level.
    pub compression: Compression,
    /// `--backup-dir`, when given.
    pub backup_dir: Option<String>,
    /// Capacity of an external backup target, when one is declared.
    pub external_capacity: Option<u64>,
    /// What the external target is (plugin or shared directory).
    pub external_kind: ExternalKind,
    /// The 6 installation directory (its `greenplum_path.sh` sets the 6 environment).
    pub gphome6: Option<String>,
    /// The 7 installation directory.
    pub gphome7: String,
    /// A licensed direct-copy tool, when declared.
    pub direct_copy_tool: Option<DirectCopyTool>,
    /// The 7 layout; `None` keeps the old layout.
    pub target: Option<TargetConfig>,
    /// Mirror placement for a target layout.
    pub mirror_mode: MirrorMode,
    /// Highest allowed fill of `used + available` at any moment.
    pub max_fill: f64,
    /// Data growth before the upgrade date, as a fraction (0.1 = 10%).
    pub growth: f64,
    /// Catalog bytes of each new instance.
    pub catalog_overhead_bytes: u64,
    /// WAL bytes of each new instance.
    pub wal_overhead_bytes: u64,
    /// Fill after the upgrade above which a warning is given (capacity guidance: 70%).
    pub warn_fill: f64,
    /// The throughputs the user typed; they override the evidence in the time model.
    pub rates: UserRates,
}

/// The highest fill of `used + available` allowed at any moment by default.
pub const DEFAULT_MAX_FILL: f64 = 0.90;
/// The capacity guidance: run disks at 70% full or lower; a filesystem above it
/// after the upgrade is warned about.
pub const WARN_FILL: f64 = 0.70;

/// Where the 7 software is assumed to be installed unless `--gphome7` says otherwise.
pub const DEFAULT_GPHOME7: &str = "/usr/local/greenplum-db-7";

/// 20 MB catalog per instance (capacity guidance).
pub const DEFAULT_CATALOG_OVERHEAD: u64 = 20 * 1000 * 1000;
/// WAL per instance: (2 × checkpoint_segments + 1) × 64 MB = 1088 MB at the default 8.
pub const DEFAULT_WAL_OVERHEAD: u64 = 1088 * 1000 * 1000;

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            compression: Compression::DEFAULT,
            backup_dir: None,
            external_capacity: None,
            external_kind: ExternalKind::Plugin(DEFAULT_PLUGIN_CONFIG.into()),
            gphome6: None,
            gphome7: DEFAULT_GPHOME7.into(),
            direct_copy_tool: None,
            target: None,
            mirror_mode: MirrorMode::Group,
            max_fill: DEFAULT_MAX_FILL,
            growth: 0.0,
            catalog_overhead_bytes: DEFAULT_CATALOG_OVERHEAD,
            wal_overhead_bytes: DEFAULT_WAL_OVERHEAD,
            rates: UserRates::default(),
            warn_fill: WARN_FILL,
        }
    }
}

impl PlanOptions {
    /// Per-instance overhead of a new instance.
    pub fn instance_overhead_bytes(&self) -> u64 {
        // Both are bounded by MAX_INSTANCE_OVERHEAD_BYTES when parsed;
        // saturating keeps a hand-built option set from wrapping.
        self.catalog_overhead_bytes
            .saturating_add(self.wal_overhead_bytes)
    }

    /// The user's backup target for the plans that stage a backup on the hosts.
    pub fn host_backup_target(&self) -> BackupTarget {
        match &self.backup_dir {
            Some(d) => BackupTarget::Dir(d.clone()),
            None => BackupTarget::Default,
        }
    }
}

/// An option value that cannot be used; clap shows it beside the option's name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// Not a number or a percentage.
    #[error("'{0}' is not a fraction (e.g. 0.1 or 10%)")]
    NotFraction(String),
    /// A negative or infinite fraction.
    #[error("'{0}' must be a non-negative number")]
    Negative(String),
    /// Not a byte count.
    #[error("'{0}' is not a size (e.g. 500GB, 2TiB, 1234)")]
    NotSize(String),
    /// A size with a unit that is not B, kB … PB or KiB … PiB.
    #[error("'{given}': unknown size unit '{unit}'")]
    SizeUnit {
        /// The value given.
        given: String,
        /// Its unit.
        unit: String,
    },
    /// A size beyond what the option allows.
    #[error("'{given}' is out of range: at most {max} bytes")]
    SizeRange {
        /// The value given.
        given: String,
        /// The bound.
        max: u64,
    },
    /// A rate of zero bytes per second: no step would ever end.
    #[error("'{0}' is not a rate: give more than 0 bytes per second (e.g. 800MB)")]
    ZeroRate(String),
    /// A compression level gpbackup refuses.
    #[error("compression level {level} is out of range for {codec}: {lo}..={hi}")]
    Level {
        /// The level given.
        level: u32,
        /// The codec.
        codec: &'static str,
        /// Lowest level.
        lo: u32,
        /// Highest level.
        hi: u32,
    },
    /// Not a number of seconds.
    #[error("not a number of seconds: {0}")]
    NotSeconds(String),
    /// Seconds outside what the option allows.
    #[error("{given}: give between {lo} and {hi} seconds")]
    SecondsRange {
        /// The value given.
        given: String,
        /// Least.
        lo: f64,
        /// Most.
        hi: f64,
    },
}

/// Parses a fraction given as `0.1` or `10%`.
pub fn parse_fraction(s: &str) -> Result<f64, ValueError> {
    let t = s.trim();
    let v = if let Some(p) = t.strip_suffix('%') {
        p.trim().parse::<f64>().map(|v| v / 100.0)
    } else {
        t.parse::<f64>()
    }
    .map_err(|_| ValueError::NotFraction(s.into()))?;
    if !v.is_finite() || v < 0.0 {
        return Err(ValueError::Negative(s.into()));
    }
    Ok(v)
}

/// The largest byte option (`--external-capacity`, rates): 1 EiB. With the
/// inventory's own bound (64 PiB in all) no sum the model makes can wrap.
pub const MAX_OPTION_BYTES: u64 = 1 << 60;

/// The largest per-instance overhead (`--catalog-overhead`, `--wal-overhead`):
/// 1 TiB, far above any catalog or WAL; times every instance it still fits.
pub const MAX_INSTANCE_OVERHEAD_BYTES: u64 = 1 << 40;

/// Parses a byte count of at most [`MAX_OPTION_BYTES`].
pub fn parse_bytes(s: &str) -> Result<u64, ValueError> {
    parse_bytes_upto(s, MAX_OPTION_BYTES)
}

/// Parses a per-instance overhead of at most [`MAX_INSTANCE_OVERHEAD_BYTES`].
pub fn parse_instance_bytes(s: &str) -> Result<u64, ValueError> {
    parse_bytes_upto(s, MAX_INSTANCE_OVERHEAD_BYTES)
}

/// Parses a throughput: a byte count above 0 (a zero rate never ends a step).
pub fn parse_rate(s: &str) -> Result<u64, ValueError> {
    match parse_bytes(s)? {
        0 => Err(ValueError::ZeroRate(s.into())),
        v => Ok(v),
    }
}

/// Parses a byte count: `1234`, `500GB`, `1.5TiB`, `2T` (SI and IEC
/// suffixes), refusing a negative one and one above `max`.
pub fn parse_bytes_upto(s: &str, max: u64) -> Result<u64, ValueError> {
    if s.trim_start().starts_with('-') {
        return Err(ValueError::Negative(s.into()));
    }
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| ValueError::NotSize(s.into()))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "p" | "pb" => 1e15,
        "kib" => 1024f64,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        "pib" => 1024f64.powi(5),
        _ => {
            return Err(ValueError::SizeUnit {
                given: s.into(),
                unit: unit.into(),
            });
        }
    };
    let v = n * mult;
    if !v.is_finite() || v < 0.0 || v > max as f64 {
        return Err(ValueError::SizeRange {
            given: s.into(),
            max,
        });
    }
    Ok(v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_and_percentages() {
        assert_eq!(parse_fraction("0.1").unwrap(), 0.1);
        assert!((parse_fraction("15%").unwrap() - 0.15).abs() < 1e-12);
        assert!(parse_fraction("-1").is_err());
        assert!(parse_fraction("ten").is_err());
    }

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_bytes("1234").unwrap(), 1234);
        assert_eq!(parse_bytes("2TB").unwrap(), 2_000_000_000_000);
        assert_eq!(parse_bytes("1.5GiB").unwrap(), 1_610_612_736);
        assert!(parse_bytes("12XB").is_err());
        assert!(parse_bytes("").is_err());
    }

    #[test]
    fn compression_levels_are_checked() {
        assert_eq!(
            Compression::new(Codec::Gzip, None).unwrap(),
            Compression::DEFAULT
        );
        assert!(Compression::new(Codec::Gzip, Some(10)).is_err());
        assert_eq!(
            Compression::new(Codec::Zstd, Some(19)).unwrap().label(),
            "zstd-19"
        );
        assert_eq!(Compression::new(Codec::None, Some(5)).unwrap().level, 0);
    }
}

/// The throughputs the user typed (`--rate`, `--backup-rate`,
/// `--restore-rate`), in bytes per second; they override the evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UserRates {
    /// `--rate`: backup CSV bytes per second (the restore runs at it ÷ the restore factor, 2.5).
    pub rate: Option<u64>,
    /// `--backup-rate`: backup CSV bytes per second.
    pub backup: Option<u64>,
    /// `--restore-rate`: restore CSV bytes per second.
    pub restore: Option<u64>,
}

impl UserRates {
    /// The backup rate the user gave and its flag.
    pub(crate) fn backup(&self) -> Option<(u64, &'static str)> {
        match (self.backup, self.rate) {
            (Some(b), _) if b > 0 => Some((b, "--backup-rate")),
            (_, Some(r)) if r > 0 => Some((r, "--rate")),
            _ => None,
        }
    }
}

//! How big the backup will be: the CSV text gpbackup's `COPY … WITH CSV`
//! writes per segment, then compressed with the chosen codec.

use std::collections::BTreeMap;

use serde::Serialize;

use super::options::{Codec, Compression, PlanOptions};
use crate::inventory::{EstimateSource, Instance, InstanceKind, Inventory, StorageKind};
use crate::units::SaturatingSum;

pub use crate::csv_size::{
    AO_COLUMN_CSV_PER_ON_DISK, AO_CSV_PER_UNCOMPRESSED, AO_ROW_CSV_PER_ON_DISK,
    HEAP_CSV_PER_ON_DISK, default_csv,
};

/// CSV bytes per primary data byte when the catalog was not read at all: the
/// guides' own assumption that the backup is about the size of the data.
pub const UNKNOWN_CSV_PER_DATA: f64 = 1.0;

/// Default compressed/CSV ratio for a codec and level, used until a sample
/// measures it. Conservative (larger than typical on TPC-H-like text):
/// gzip 0.35 at level 1 down to 0.29 at level 9; zstd 0.32 at level 1 down
/// to 0.20 at level 19; linear in between; 1.0 uncompressed.
pub fn default_compression_ratio(c: Compression) -> f64 {
    let lerp = |lo: f64, hi: f64, l0: u32, l1: u32| {
        let t = (c.level.clamp(l0, l1) - l0) as f64 / (l1 - l0) as f64;
        lo + (hi - lo) * t
    };
    match c.codec {
        Codec::Gzip => lerp(0.35, 0.29, 1, 9),
        Codec::Zstd => lerp(0.32, 0.20, 1, 19),
        Codec::None => 1.0,
    }
}

/// The backup estimate for one storage kind, summed over databases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindEstimate {
    /// Storage kind.
    pub kind: StorageKind,
    /// On-disk bytes (indexes excluded).
    pub on_disk_bytes: u64,
    /// Index bytes (not in the backup; rebuilt at restore).
    pub index_bytes: u64,
    /// Estimated CSV bytes.
    pub csv_bytes: u64,
    /// Estimated compressed bytes.
    pub compressed_bytes: u64,
    /// Compressed/CSV ratio used for this kind.
    pub compression_ratio: f64,
    /// How the CSV figure was obtained (`mixed` when tables differ).
    pub estimated_from: BackupSource,
}

/// One content's share of the backup.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ContentBackup {
    /// Content id.
    pub content: i32,
    /// CSV bytes.
    pub csv_bytes: u64,
    /// Compressed bytes written by this content's primary.
    pub compressed_bytes: u64,
}

/// An earlier full gpbackup found on every primary, beside this estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousBackupUse {
    /// Its timestamp.
    pub timestamp: String,
    /// Its codec (from the file extensions).
    pub codec: String,
    /// Its data files' bytes over all contents.
    pub bytes: u64,
    /// Those bytes converted to the chosen codec and scaled by growth: what the model uses.
    pub calibrated_bytes: u64,
    /// What the catalog-based estimate alone said.
    pub catalog_estimate_bytes: u64,
}

/// Where a backup figure came from. The JSON names are the ones reports and
/// scripts have always read (`previous_backup`, `no-catalog`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BackupSource {
    /// Catalog statistics.
    #[serde(rename = "stats")]
    Stats,
    /// Rows sampled as CSV.
    #[serde(rename = "sample")]
    Sample,
    /// A documented default factor.
    #[serde(rename = "default")]
    Default,
    /// Different tables (or kinds) by different methods.
    #[serde(rename = "mixed")]
    Mixed,
    /// An earlier full gpbackup found on every primary.
    #[serde(rename = "previous_backup")]
    PreviousBackup,
    /// The inventory has no catalog composition: on-disk bytes only.
    #[serde(rename = "no-catalog")]
    NoCatalog,
    /// Nothing to estimate (no tables of that kind).
    #[serde(rename = "none")]
    None,
}

impl BackupSource {
    /// The name reports print (the same as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            BackupSource::Stats => "stats",
            BackupSource::Sample => "sample",
            BackupSource::Default => "default",
            BackupSource::Mixed => "mixed",
            BackupSource::PreviousBackup => "previous_backup",
            BackupSource::NoCatalog => "no-catalog",
            BackupSource::None => "none",
        }
    }
}

impl std::fmt::Display for BackupSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<EstimateSource> for BackupSource {
    fn from(s: EstimateSource) -> Self {
        match s {
            EstimateSource::Stats => BackupSource::Stats,
            EstimateSource::Sample => BackupSource::Sample,
            EstimateSource::Default => BackupSource::Default,
            EstimateSource::PreviousBackup => BackupSource::PreviousBackup,
            EstimateSource::Mixed => BackupSource::Mixed,
        }
    }
}

/// The whole backup estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupEstimate {
    /// CSV text bytes over all segments (the guides' "ASCII"; `csv_bytes` everywhere, as per kind and per content).
    pub csv_bytes: u64,
    /// Bytes written after compression.
    pub compressed_bytes: u64,
    /// Codec and level, e.g. `gzip-1`.
    pub compression: String,
    /// Effective compressed/CSV ratio.
    pub compression_ratio: f64,
    /// Where the ratio came from: `default`, `sample`, `mixed` or `previous_backup`.
    pub compression_ratio_from: BackupSource,
    /// How the CSV bytes were estimated: `stats`, `sample`, `default`, `mixed`,
    /// or `no-catalog`; `previous_backup` when an earlier backup calibrates it.
    pub estimated_from: BackupSource,
    /// Bytes of metadata files one backup of every database writes on the
    /// coordinator (the metadata-only trial writes as much again).
    pub metadata_bytes: u64,
    /// Per storage kind.
    pub by_kind: Vec<KindEstimate>,
    /// Per content (segments only), in content order.
    pub per_content: Vec<ContentBackup>,
    /// The earlier backup used for calibration, if one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_backup: Option<PreviousBackupUse>,
    /// Tables whose CSV bytes come from the default factor (never analyzed).
    pub tables_without_stats: Vec<String>,
    /// Tables whose statistics pg_stats hid from the collecting role (no
    /// SELECT privilege or row security): default factor for want of privileges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables_with_hidden_stats: Vec<String>,
    /// Plain-language notes on how the figures were obtained.
    pub notes: Vec<String>,
    /// CSV bytes per second one core compresses with the chosen codec and level,
    /// when samples measured it (`None` for no compression or not measured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression_bytes_per_second: Option<f64>,
}

impl BackupEstimate {
    /// CSV bytes of the busiest segment (each segment compresses its own
    /// rows on its own core, so it bounds the compression time).
    pub fn busiest_content_csv_bytes(&self) -> u64 {
        self.per_content
            .iter()
            .map(|c| c.csv_bytes)
            .max()
            .unwrap_or(self.csv_bytes)
    }

    /// Seconds the busiest segment spends compressing, when measured.
    pub fn compression_seconds(&self) -> Option<u64> {
        let rate = self.compression_bytes_per_second.filter(|r| *r > 0.0)?;
        Some((self.busiest_content_csv_bytes() as f64 / rate).ceil() as u64)
    }
}

/// Metadata files (DDL, toc, report) on the coordinator: about 1 MiB per
/// gpbackup run (one per database) plus 4 KiB per table; 16 MiB when the
/// table count is unknown.
fn metadata_bytes(tables: Option<u64>, databases: u64) -> u64 {
    match tables {
        Some(t) => databases.max(1) * (1 << 20) + t * 4096,
        None => 16 << 20,
    }
}

/// The ratio for `c` from ratios measured on a sample: the same codec and
/// level if measured, else the nearest measured level of the codec (or gzip-1)
/// scaled by the documented defaults' proportion.
pub fn ratio_from_samples(samples: &BTreeMap<String, f64>, c: Compression) -> Option<f64> {
    if c.codec == Codec::None {
        return Some(1.0);
    }
    if let Some(r) = samples.get(&c.label()) {
        return Some(*r);
    }
    let parse = |k: &str| -> Option<Compression> {
        let (codec, level) = k.split_once('-')?;
        let codec = match codec {
            "gzip" => Codec::Gzip,
            "zstd" => Codec::Zstd,
            _ => return None,
        };
        Some(Compression {
            codec,
            level: level.parse().ok()?,
        })
    };
    let nearest = samples
        .iter()
        .filter_map(|(k, r)| Some((parse(k)?, *r)))
        .filter(|(m, _)| m.codec == c.codec)
        .min_by_key(|(m, _)| m.level.abs_diff(c.level))
        .or_else(|| samples.get("gzip-1").map(|r| (Compression::DEFAULT, *r)))?;
    Some(nearest.1 * default_compression_ratio(c) / default_compression_ratio(nearest.0))
}

/// An earlier backup found on every primary: timestamp, codec, and bytes per content.
struct FoundBackup(String, String, Vec<(i32, u64)>);

/// The latest earlier backup present on every primary, per content.
fn previous_backup(inv: &Inventory) -> Option<FoundBackup> {
    let primaries: Vec<&Instance> = inv
        .instances
        .iter()
        .filter(|i| i.kind() == InstanceKind::Primary)
        .collect();
    let first = primaries.first()?;
    let mut stamps: Vec<&str> = first
        .previous_backups
        .iter()
        .map(|b| b.timestamp.as_str())
        .collect();
    stamps.sort();
    stamps.into_iter().rev().find_map(|ts| {
        let mut per = Vec::new();
        let mut codec = None;
        for p in &primaries {
            let b = p.previous_backups.iter().find(|b| b.timestamp == ts)?;
            codec.get_or_insert_with(|| b.codec.clone());
            per.push((p.content, b.bytes));
        }
        Some(FoundBackup(ts.to_string(), codec.unwrap_or_default(), per))
    })
}

/// What the catalog says per storage kind: CSV and compressed bytes with
/// the ratio each kind gets (its own samples, else all samples, else the
/// codec's default), and what the figures came from.
struct CatalogKinds {
    by_kind: Vec<KindEstimate>,
    sources: Vec<EstimateSource>,
    tables: Option<u64>,
    without_stats: Vec<String>,
    hidden_stats: Vec<String>,
    sampled: bool,
    csv_total: f64,
    compressed_total: f64,
}

fn kinds_from_catalog(
    comp: &crate::inventory::Composition,
    opts: &PlanOptions,
    grow: f64,
) -> CatalogKinds {
    let default_ratio = default_compression_ratio(opts.compression);
    let mut by_kind: Vec<KindEstimate> = Vec::new();
    let mut sources = Vec::new();
    let mut tables: Option<u64> = Some(0);
    let mut without_stats = Vec::new();
    let mut hidden_stats = Vec::new();
    let mut all_samples: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut kinds: Vec<(KindEstimate, f64, Option<f64>)> = Vec::new();
    for kind in StorageKind::ALL {
        let entries: Vec<_> = comp
            .databases
            .iter()
            .flat_map(|d| &d.storage)
            .filter(|s| s.kind == kind)
            .collect();
        if entries.is_empty() {
            continue;
        }
        let mut k = KindEstimate {
            kind,
            on_disk_bytes: 0,
            index_bytes: 0,
            csv_bytes: 0,
            compressed_bytes: 0,
            compression_ratio: 0.0,
            estimated_from: BackupSource::None,
        };
        let (mut csv, mut sampled_w, mut sampled_r) = (0f64, 0f64, 0f64);
        let mut kind_sources = Vec::new();
        for s in entries {
            k.on_disk_bytes = k.on_disk_bytes.saturating_add(s.on_disk_bytes);
            k.index_bytes = k.index_bytes.saturating_add(s.index_bytes);
            tables = tables.zip(s.tables).map(|(a, b)| a + b);
            let (bytes, src) = match (s.csv_bytes, s.csv_estimated_from) {
                (Some(b), src) => (b as f64, src.unwrap_or(EstimateSource::Stats)),
                (None, _) => (
                    default_csv(kind, s.on_disk_bytes, s.uncompressed_bytes),
                    EstimateSource::Default,
                ),
            };
            csv += bytes;
            kind_sources.push(src);
            if let Some(map) = &s.sampled_ratios {
                if let Some(r) = ratio_from_samples(map, opts.compression) {
                    sampled_w += bytes.max(1.0);
                    sampled_r += r * bytes.max(1.0);
                }
                for (key, r) in map {
                    let e = all_samples.entry(key.clone()).or_insert((0.0, 0.0));
                    e.0 += r * bytes.max(1.0);
                    e.1 += bytes.max(1.0);
                }
            }
        }
        k.csv_bytes = (csv * grow).round() as u64;
        k.estimated_from = summarize_sources(&kind_sources);
        sources.extend(kind_sources);
        let kind_ratio = (sampled_w > 0.0).then(|| sampled_r / sampled_w);
        kinds.push((k, csv * grow, kind_ratio));
    }
    for d in &comp.databases {
        for t in d
            .tables
            .iter()
            .filter(|t| t.estimated_from == EstimateSource::Default)
        {
            let name = format!("{}.{}.{}", d.name, t.schema, t.name);
            if t.stats_hidden {
                hidden_stats.push(name);
            } else {
                without_stats.push(name);
            }
        }
    }
    // Kinds without a sample use the ratio measured on the others, else the default.
    let overall: BTreeMap<String, f64> = all_samples
        .iter()
        .map(|(k, (s, w))| (k.clone(), s / w))
        .collect();
    let fallback = ratio_from_samples(&overall, opts.compression);
    let (mut c_sum, mut z_sum) = (0f64, 0f64);
    for (mut k, csv, kind_ratio) in kinds {
        let r = kind_ratio.or(fallback).unwrap_or(default_ratio);
        k.compression_ratio = r;
        k.compressed_bytes = (csv * r).round() as u64;
        c_sum += csv;
        z_sum += csv * r;
        by_kind.push(k);
    }
    CatalogKinds {
        by_kind,
        sources,
        tables,
        without_stats,
        hidden_stats,
        sampled: !all_samples.is_empty(),
        csv_total: c_sum,
        compressed_total: z_sum,
    }
}

/// What a reviewer must know about the defaults the estimate leans on: a
/// compression ratio not measured, kinds without statistics, the tables
/// without statistics (first ten named).
fn default_notes(
    by_kind: &[KindEstimate],
    without_stats: &[String],
    hidden_stats: &[String],
    ratio_from: BackupSource,
    opts: &PlanOptions,
) -> Vec<String> {
    let default_ratio = default_compression_ratio(opts.compression);
    let mut notes = Vec::new();
    if ratio_from == BackupSource::Default && opts.compression.codec != Codec::None {
        notes.push(format!(
            "compression ratio {:.2} for {} is a documented default, not measured on this data (collect with --sample-rows to measure it)",
            default_ratio,
            opts.compression.label()
        ));
    }
    for k in by_kind
        .iter()
        .filter(|k| k.estimated_from == BackupSource::Default)
    {
        notes.push(format!(
            "{} CSV bytes use the default factor {} (no catalog statistics)",
            k.kind.as_str(),
            match k.kind {
                StorageKind::Heap => format!("{HEAP_CSV_PER_ON_DISK} × on-disk"),
                _ => format!(
                    "{AO_CSV_PER_UNCOMPRESSED} × uncompressed, or {AO_ROW_CSV_PER_ON_DISK}/{AO_COLUMN_CSV_PER_ON_DISK} × on-disk for AO row/column when the ratio is unknown"
                ),
            }
        ));
    }
    if !without_stats.is_empty() {
        notes.push(format!(
            "{} table(s) have no statistics (run ANALYZE) and use the default factor: {}",
            without_stats.len(),
            first_ten(without_stats)
        ));
    }
    if !hidden_stats.is_empty() {
        notes.push(format!(
            "{} table(s) have statistics the collecting role may not read (pg_stats shows a column only to a role that may SELECT it; row security hides it too): collect again as gpadmin or a superuser; until then they use the default factor: {}",
            hidden_stats.len(),
            first_ten(hidden_stats)
        ));
    }
    notes
}

/// The first ten names, then `…` when there are more.
fn first_ten(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        s.push_str(", …");
    }
    s
}

/// Each primary's share of the backup in proportion to its measured data
/// bytes (when the catalog gave no per-content sizes). Unmeasured primaries
/// (an incomplete inventory) get no share.
fn split_by_data(
    writers: &[&Instance],
    data_total: u64,
    csv_total: f64,
    compressed_total: f64,
) -> Vec<ContentBackup> {
    let n = writers.len().max(1) as f64;
    let mut per_content: Vec<ContentBackup> = writers
        .iter()
        .map(|w| {
            let share = match (w.data_bytes(), data_total) {
                (Some(b), t) if t > 0 => b as f64 / t as f64,
                (None, t) if t > 0 => 0.0,
                _ => 1.0 / n,
            };
            ContentBackup {
                content: w.content,
                csv_bytes: (csv_total * share).round() as u64,
                compressed_bytes: (compressed_total * share).round() as u64,
            }
        })
        .collect();
    per_content.sort_by_key(|c| c.content);
    per_content
}

/// Estimates the backup of the whole cluster and each content's share.
///
/// Per content the CSV bytes are the cluster total split in proportion to
/// each primary's measured data bytes, so data skew shows up as a bigger
/// backup on the skewed segment's filesystem. An earlier full gpbackup found
/// on every primary replaces the compressed figure per content (converted to
/// the chosen codec by the defaults' proportion and scaled by growth).
pub fn estimate_backup(inv: &Inventory, opts: &PlanOptions) -> BackupEstimate {
    let grow = 1.0 + opts.growth;
    let mut notes = Vec::new();
    let default_ratio = default_compression_ratio(opts.compression);

    let single = inv.is_single_instance();
    let writers: Vec<&Instance> = if single {
        inv.coordinator().into_iter().collect()
    } else {
        inv.instances
            .iter()
            .filter(|i| i.kind() == InstanceKind::Primary)
            .collect()
    };
    let data_total: u64 = writers
        .iter()
        .filter_map(|i| i.data_bytes())
        .saturating_sum();

    let k = match &inv.composition {
        Some(comp) => kinds_from_catalog(comp, opts, grow),
        None => {
            notes.push(format!(
                "the catalog was not read: CSV assumed {UNKNOWN_CSV_PER_DATA} × the primaries' measured data bytes"
            ));
            let csv = data_total as f64 * UNKNOWN_CSV_PER_DATA * grow;
            CatalogKinds {
                by_kind: Vec::new(),
                sources: Vec::new(),
                tables: None,
                without_stats: Vec::new(),
                hidden_stats: Vec::new(),
                sampled: false,
                csv_total: csv,
                compressed_total: csv * default_ratio,
            }
        }
    };
    let CatalogKinds {
        by_kind,
        sources,
        tables,
        without_stats,
        hidden_stats,
        sampled,
        csv_total,
        compressed_total,
    } = k;
    let sampled_kinds = by_kind
        .iter()
        .filter(|k| (k.compression_ratio - default_ratio).abs() > 1e-12)
        .count();
    let ratio_from = match (!sampled, sampled_kinds == by_kind.len()) {
        (true, _) => BackupSource::Default,
        (false, true) => BackupSource::Sample,
        (false, false) => BackupSource::Mixed,
    };
    notes.extend(default_notes(
        &by_kind,
        &without_stats,
        &hidden_stats,
        ratio_from,
        opts,
    ));

    let mut estimated_from = if inv.composition.is_none() {
        BackupSource::NoCatalog
    } else {
        summarize_sources(&sources)
    };
    let effective_ratio = if csv_total > 0.0 {
        compressed_total / csv_total
    } else {
        default_ratio
    };

    // Split per content: by each content's own bytes of each kind when the
    // catalog gave them (one distributed query), else by measured data bytes.
    let mut per_content = if single {
        Vec::new()
    } else {
        per_content_from_catalog(inv, &by_kind, csv_total)
            .unwrap_or_else(|| split_by_data(&writers, data_total, csv_total, compressed_total))
    };
    let catalog_compressed: u64 = if per_content.is_empty() {
        compressed_total.round() as u64
    } else {
        per_content
            .iter()
            .map(|c| c.compressed_bytes)
            .saturating_sum()
    };

    // An earlier full backup on every primary is the best evidence there is.
    let mut previous = None;
    let mut ratio_from = ratio_from;
    if let Some(FoundBackup(ts, codec, per)) = previous_backup(inv) {
        let prev_codec = match codec.as_str() {
            "zstd" => Compression {
                codec: Codec::Zstd,
                level: 1,
            },
            "none" => Compression {
                codec: Codec::None,
                level: 0,
            },
            _ => Compression::DEFAULT,
        };
        let convert =
            default_compression_ratio(opts.compression) / default_compression_ratio(prev_codec);
        let total: u64 = per.iter().map(|(_, b)| *b).saturating_sum();
        for c in per_content.iter_mut() {
            if let Some((_, b)) = per.iter().find(|(k, _)| *k == c.content) {
                c.compressed_bytes = (*b as f64 * convert * grow).round() as u64;
            }
        }
        let calibrated: u64 = per_content
            .iter()
            .map(|c| c.compressed_bytes)
            .saturating_sum();
        notes.push(format!(
            "an earlier full gpbackup ({ts}, {codec}, {}) was found on every primary: the backup is sized from it{}, scaled by growth ({}); the catalog estimate alone says {}",
            crate::units::human(total),
            if prev_codec.codec == opts.compression.codec { String::new() } else { format!(" converted from {} to {} by the default ratios", prev_codec.label(), opts.compression.label()) },
            crate::units::pct(opts.growth),
            crate::units::human(catalog_compressed)
        ));
        previous = Some(PreviousBackupUse {
            timestamp: ts,
            codec,
            bytes: total,
            calibrated_bytes: calibrated,
            catalog_estimate_bytes: catalog_compressed,
        });
        estimated_from = BackupSource::PreviousBackup;
        ratio_from = BackupSource::PreviousBackup;
    }

    let compressed_bytes = if per_content.is_empty() {
        catalog_compressed
    } else {
        per_content
            .iter()
            .map(|c| c.compressed_bytes)
            .saturating_sum()
    };
    BackupEstimate {
        csv_bytes: csv_total.round() as u64,
        compressed_bytes,
        compression: opts.compression.label(),
        compression_ratio: if previous.is_some() && csv_total > 0.0 {
            compressed_bytes as f64 / csv_total
        } else {
            effective_ratio
        },
        compression_ratio_from: ratio_from,
        estimated_from,
        metadata_bytes: metadata_bytes(
            tables,
            inv.composition
                .as_ref()
                .map(|c| c.databases.len() as u64)
                .unwrap_or(1),
        ),
        by_kind,
        per_content,
        previous_backup: previous,
        tables_without_stats: without_stats,
        tables_with_hidden_stats: hidden_stats,
        notes,
        compression_bytes_per_second: match opts.compression.codec {
            super::options::Codec::None => None,
            _ => inv
                .composition
                .as_ref()
                .and_then(|c| c.compression_throughput.as_ref())
                .and_then(|m| m.get(&opts.compression.label()).copied()),
        },
    }
}

/// Each content's CSV and compressed bytes from the catalog's per-content
/// sizes: every storage kind's CSV split by that content's share of the
/// kind's on-disk bytes, compressed at the kind's ratio. `None` when any
/// kind lacks per-content sizes (then the measured data bytes split it).
fn per_content_from_catalog(
    inv: &Inventory,
    by_kind: &[KindEstimate],
    csv_total: f64,
) -> Option<Vec<ContentBackup>> {
    let comp = inv.composition.as_ref()?;
    let kinds_csv: f64 = by_kind.iter().map(|k| k.csv_bytes as f64).sum();
    // by_kind already carries --growth; the per-database figures do not.
    let raw_csv: f64 = comp
        .databases
        .iter()
        .flat_map(|d| &d.storage)
        .filter_map(|s| s.csv_bytes)
        .map(|b| b as f64)
        .sum();
    let grow = if raw_csv > 0.0 && kinds_csv > 0.0 {
        csv_total / raw_csv
    } else {
        1.0
    };
    let mut acc: std::collections::BTreeMap<i32, (f64, f64)> = Default::default();
    for s in comp.databases.iter().flat_map(|d| &d.storage) {
        let csv = s.csv_bytes? as f64;
        if csv == 0.0 {
            continue;
        }
        let total: u64 = s.per_content.iter().map(|c| c.bytes).saturating_sum();
        if total == 0 {
            return None;
        }
        let ratio = by_kind.iter().find(|k| k.kind == s.kind)?.compression_ratio;
        for c in &s.per_content {
            let part = csv * grow * c.bytes as f64 / total as f64;
            let e = acc.entry(c.content).or_default();
            e.0 += part;
            e.1 += part * ratio;
        }
    }
    if acc.is_empty() {
        return None;
    }
    // A content with no row holds none of these tables' bytes: it writes no data files.
    for w in inv
        .instances
        .iter()
        .filter(|i| i.kind() == InstanceKind::Primary)
    {
        acc.entry(w.content).or_default();
    }
    Some(
        acc.into_iter()
            .filter(|(c, _)| *c >= 0)
            .map(|(content, (csv, z))| ContentBackup {
                content,
                csv_bytes: csv.round() as u64,
                compressed_bytes: z.round() as u64,
            })
            .collect(),
    )
}

fn summarize_sources(sources: &[EstimateSource]) -> BackupSource {
    match sources.split_first() {
        None => BackupSource::None,
        Some((first, rest)) if rest.iter().all(|s| s == first) => (*first).into(),
        Some(_) => BackupSource::Mixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ratios_interpolate_and_are_ordered() {
        let g1 = default_compression_ratio(Compression::new(Codec::Gzip, Some(1)).unwrap());
        let g9 = default_compression_ratio(Compression::new(Codec::Gzip, Some(9)).unwrap());
        let g5 = default_compression_ratio(Compression::new(Codec::Gzip, Some(5)).unwrap());
        assert_eq!(g1, 0.35);
        assert!((g9 - 0.29).abs() < 1e-12);
        // Halfway from level 1 to 9: 0.35 - 0.06/2 = 0.32.
        assert!((g5 - 0.32).abs() < 1e-12);
        let z19 = default_compression_ratio(Compression::new(Codec::Zstd, Some(19)).unwrap());
        assert!((z19 - 0.20).abs() < 1e-12);
        assert_eq!(
            default_compression_ratio(Compression::new(Codec::None, None).unwrap()),
            1.0
        );
    }

    #[test]
    fn sampled_ratios_serve_any_codec_and_level() {
        let mut m = BTreeMap::new();
        m.insert("gzip-1".to_string(), 0.28);
        m.insert("zstd-3".to_string(), 0.22);
        let c = |codec, level| Compression { codec, level };
        assert_eq!(ratio_from_samples(&m, c(Codec::Gzip, 1)), Some(0.28));
        // gzip-9 not measured: gzip-1's 0.28 × (0.29 / 0.35).
        let r = ratio_from_samples(&m, c(Codec::Gzip, 9)).unwrap();
        assert!((r - 0.28 * 0.29 / 0.35).abs() < 1e-12);
        // zstd-19 from zstd-3 (the nearest zstd level): 0.22 × 0.20 / default(zstd-3).
        let z3 = default_compression_ratio(c(Codec::Zstd, 3));
        let r = ratio_from_samples(&m, c(Codec::Zstd, 19)).unwrap();
        assert!((r - 0.22 * 0.20 / z3).abs() < 1e-12);
        assert_eq!(ratio_from_samples(&m, c(Codec::None, 0)), Some(1.0));
        assert_eq!(
            ratio_from_samples(&BTreeMap::new(), c(Codec::Gzip, 1)),
            None
        );
    }

    #[test]
    fn default_csv_factors() {
        // 100 bytes of heap → 75 bytes of CSV.
        assert_eq!(default_csv(StorageKind::Heap, 100, None), 75.0);
        // AO with a known uncompressed size: 0.95 × 400 = 380.
        assert_eq!(default_csv(StorageKind::AoRow, 100, Some(400)), 380.0);
        assert_eq!(default_csv(StorageKind::AoColumn, 100, None), 350.0);
    }
}

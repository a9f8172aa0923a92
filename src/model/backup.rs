//! How big the backup will be: the CSV text gpbackup's `COPY … WITH CSV`
//! writes per segment, then compressed with the chosen codec.

use serde::Serialize;

use super::options::{Codec, Compression, PlanOptions};
use crate::inventory::{EstimateSource, Instance, InstanceKind, Inventory, StorageKind};

/// Default CSV bytes per on-disk byte of a heap table. The capacity guidance
/// says raw data grows about 1.4× when loaded, so CSV ≈ heap ÷ 1.4 ≈ 0.71;
/// rounded up to stay on the safe side.
pub const HEAP_CSV_PER_ON_DISK: f64 = 0.75;
/// Default CSV bytes per uncompressed byte of an append-optimized table
/// (4-byte row overhead instead of 24, so text is close to the raw size).
pub const AO_CSV_PER_UNCOMPRESSED: f64 = 0.95;
/// Default CSV bytes per on-disk byte of an AO row table whose compression
/// ratio is unknown: the guides warn that ASCII can be much larger than
/// compressed binary data; 3× is a typical zlib/zstd ratio on warehouse rows.
pub const AO_ROW_CSV_PER_ON_DISK: f64 = 3.0;
/// As [`AO_ROW_CSV_PER_ON_DISK`] for column-oriented tables, which compress better.
pub const AO_COLUMN_CSV_PER_ON_DISK: f64 = 3.5;
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
    /// How the CSV figure was obtained (worst source wins when mixed).
    pub estimated_from: String,
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

/// The whole backup estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupEstimate {
    /// CSV text bytes over all segments (the guides' "ASCII").
    pub ascii_bytes: u64,
    /// Bytes written after compression.
    pub compressed_bytes: u64,
    /// Codec and level, e.g. `gzip-1`.
    pub compression: String,
    /// Compressed/CSV ratio used.
    pub compression_ratio: f64,
    /// Where the ratio came from: `default` or `sample`.
    pub compression_ratio_from: String,
    /// How the CSV bytes were estimated: `stats`, `sample`, `default`,
    /// `previous_backup`, `mixed`, or `no-catalog`.
    pub estimated_from: String,
    /// Bytes of metadata files written on the coordinator.
    pub metadata_bytes: u64,
    /// Per storage kind.
    pub by_kind: Vec<KindEstimate>,
    /// Per content (segments only), in content order.
    pub per_content: Vec<ContentBackup>,
    /// Plain-language notes on how the figures were obtained.
    pub notes: Vec<String>,
}

/// Metadata files (DDL, toc, report) on the coordinator: about 1 MiB plus
/// 4 KiB per table; 16 MiB when the table count is unknown.
fn metadata_bytes(tables: Option<u64>) -> u64 {
    match tables {
        Some(t) => (1 << 20) + t * 4096,
        None => 16 << 20,
    }
}

/// Estimates the backup of the whole cluster and each content's share.
///
/// Per content the CSV bytes are the cluster total split in proportion to
/// each primary's measured data bytes, so data skew shows up as a bigger
/// backup on the skewed segment's filesystem.
pub fn estimate_backup(inv: &Inventory, opts: &PlanOptions) -> BackupEstimate {
    let grow = 1.0 + opts.growth;
    let mut notes = Vec::new();
    let mut by_kind: Vec<KindEstimate> = Vec::new();
    let mut sources = Vec::new();
    let mut sampled_ratio: Option<(f64, u64)> = None;
    let mut tables: Option<u64> = Some(0);

    let primaries: Vec<&Instance> = inv
        .instances
        .iter()
        .filter(|i| matches!(i.kind(), InstanceKind::Primary))
        .collect();
    let single = inv.is_single_instance();
    // A plain PostgreSQL backs up from its one instance.
    let writers: Vec<&Instance> = if single {
        inv.coordinator().into_iter().collect()
    } else {
        primaries
    };
    let data_total: u64 = writers.iter().filter_map(|i| i.data_bytes()).sum();

    let base_ratio = default_compression_ratio(opts.compression);
    let gzip1 = default_compression_ratio(Compression::DEFAULT);

    let csv_total: f64 = match &inv.composition {
        Some(comp) => {
            for kind in StorageKind::ALL {
                let mut k = KindEstimate {
                    kind,
                    on_disk_bytes: 0,
                    index_bytes: 0,
                    csv_bytes: 0,
                    compressed_bytes: 0,
                    estimated_from: String::new(),
                };
                let mut csv = 0f64;
                let mut kind_sources = Vec::new();
                let mut present = false;
                for s in comp
                    .databases
                    .iter()
                    .flat_map(|d| &d.storage)
                    .filter(|s| s.kind == kind)
                {
                    present = true;
                    k.on_disk_bytes += s.on_disk_bytes;
                    k.index_bytes += s.index_bytes;
                    tables = match (tables, s.tables) {
                        (Some(a), Some(b)) => Some(a + b),
                        _ => None,
                    };
                    let (bytes, src) = match (s.csv_bytes, s.csv_estimated_from) {
                        (Some(b), src) => (b as f64, src.unwrap_or(EstimateSource::Stats)),
                        (None, _) => (
                            default_csv(kind, s.on_disk_bytes, s.uncompressed_bytes),
                            EstimateSource::Default,
                        ),
                    };
                    csv += bytes;
                    kind_sources.push(src);
                    if let Some(r) = s.sampled_gzip1_ratio {
                        let w = bytes.max(1.0) as u64;
                        let acc = sampled_ratio.get_or_insert((0.0, 0));
                        acc.0 += r * w as f64;
                        acc.1 += w;
                    }
                }
                if !present {
                    continue;
                }
                k.csv_bytes = (csv * grow).round() as u64;
                k.estimated_from = summarize_sources(&kind_sources);
                sources.extend(kind_sources);
                by_kind.push(k);
            }
            by_kind.iter().map(|k| k.csv_bytes as f64).sum::<f64>()
        }
        None => {
            notes.push(format!(
                "the catalog was not read: CSV assumed {UNKNOWN_CSV_PER_DATA} × the primaries' measured data bytes"
            ));
            tables = None;
            data_total as f64 * UNKNOWN_CSV_PER_DATA * grow
        }
    };

    let (ratio, ratio_from) = match sampled_ratio {
        Some((sum, w)) if w > 0 => {
            let measured = sum / w as f64;
            // Scale the sampled gzip-1 ratio to the chosen codec by the defaults' proportion.
            (measured * base_ratio / gzip1, "sample".to_string())
        }
        _ => (base_ratio, "default".to_string()),
    };
    if ratio_from == "default" {
        notes.push(format!(
            "compression ratio {:.2} for {} is a documented default, not measured on this data",
            ratio,
            opts.compression.label()
        ));
    }
    for k in &mut by_kind {
        k.compressed_bytes = (k.csv_bytes as f64 * ratio).round() as u64;
        if k.estimated_from == "default" {
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
    }

    let estimated_from = if inv.composition.is_none() {
        "no-catalog".to_string()
    } else {
        summarize_sources(&sources)
    };

    // Split per content by measured data bytes.
    let mut per_content = Vec::new();
    if !single {
        let n = writers.len().max(1) as f64;
        for w in &writers {
            // Unmeasured primaries (an incomplete inventory) get no share.
            let share = match (w.data_bytes(), data_total) {
                (Some(b), t) if t > 0 => b as f64 / t as f64,
                (None, t) if t > 0 => 0.0,
                _ => 1.0 / n,
            };
            let csv = csv_total * share;
            per_content.push(ContentBackup {
                content: w.content,
                csv_bytes: csv.round() as u64,
                compressed_bytes: (csv * ratio).round() as u64,
            });
        }
        per_content.sort_by_key(|c| c.content);
    }

    let ascii_bytes = csv_total.round() as u64;
    let compressed_bytes = if per_content.is_empty() {
        (csv_total * ratio).round() as u64
    } else {
        per_content.iter().map(|c| c.compressed_bytes).sum()
    };
    BackupEstimate {
        ascii_bytes,
        compressed_bytes,
        compression: opts.compression.label(),
        compression_ratio: ratio,
        compression_ratio_from: ratio_from,
        estimated_from,
        metadata_bytes: metadata_bytes(tables),
        by_kind,
        per_content,
        notes,
    }
}

/// CSV bytes from a documented default factor for one storage kind.
pub fn default_csv(kind: StorageKind, on_disk: u64, uncompressed: Option<u64>) -> f64 {
    match (kind, uncompressed) {
        (StorageKind::Heap, _) => on_disk as f64 * HEAP_CSV_PER_ON_DISK,
        (_, Some(u)) => u as f64 * AO_CSV_PER_UNCOMPRESSED,
        (StorageKind::AoRow, None) => on_disk as f64 * AO_ROW_CSV_PER_ON_DISK,
        (StorageKind::AoColumn, None) => on_disk as f64 * AO_COLUMN_CSV_PER_ON_DISK,
    }
}

fn summarize_sources(sources: &[EstimateSource]) -> String {
    let mut distinct: Vec<&str> = sources.iter().map(|s| s.as_str()).collect();
    distinct.sort();
    distinct.dedup();
    match distinct.as_slice() {
        [] => "none".into(),
        [one] => (*one).into(),
        _ => "mixed".into(),
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
    fn default_csv_factors() {
        // 100 bytes of heap → 75 bytes of CSV.
        assert_eq!(default_csv(StorageKind::Heap, 100, None), 75.0);
        // AO with a known uncompressed size: 0.95 × 400 = 380.
        assert_eq!(default_csv(StorageKind::AoRow, 100, Some(400)), 380.0);
        assert_eq!(default_csv(StorageKind::AoColumn, 100, None), 350.0);
    }
}

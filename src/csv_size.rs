//! How many bytes gpbackup's `COPY … TO … WITH CSV DELIMITER ','` writes for
//! a table, estimated from catalog statistics (pure; no I/O).
//!
//! A CSV field is the value's text output. pg_stats keeps, per column, the
//! most common values with their frequencies and histogram bounds of the rest
//! (equi-depth, so their mean length is an unbiased estimate of a typical
//! value's length); both are text output already, so their lengths are exact
//! field widths for whatever the type. When a column has neither, the width
//! comes from its type and `avg_width`. NULL is an empty field; a value with a
//! comma, a double quote or a line break (and an empty string) is quoted, and
//! each inner quote doubled. Each row adds `columns − 1` commas and a newline.

use serde::Deserialize;

use crate::inventory::{EstimateSource, StorageKind};

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

/// CSV bytes from a documented default factor for one storage kind.
pub fn default_csv(kind: StorageKind, on_disk: u64, uncompressed: Option<u64>) -> f64 {
    match (kind, uncompressed) {
        (StorageKind::Heap, _) => on_disk as f64 * HEAP_CSV_PER_ON_DISK,
        (_, Some(u)) => u as f64 * AO_CSV_PER_UNCOMPRESSED,
        (StorageKind::AoRow, None) => on_disk as f64 * AO_ROW_CSV_PER_ON_DISK,
        (StorageKind::AoColumn, None) => on_disk as f64 * AO_COLUMN_CSV_PER_ON_DISK,
    }
}

/// Statistics of one column as the catalog query returns them.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ColumnStats {
    /// Column name.
    pub name: String,
    /// `format_type()` of the column, e.g. `numeric(15,2)`, `timestamp with time zone`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Whether pg_stats has a row for the column (ANALYZE ran).
    #[serde(default)]
    pub analyzed: bool,
    /// pg_stats hides the column from the collecting role (no SELECT
    /// privilege, or row security): "not analyzed" then says nothing about ANALYZE.
    #[serde(default)]
    pub hidden: bool,
    /// Fraction of NULLs.
    pub null_frac: Option<f64>,
    /// Average stored width in bytes (varlena header included).
    pub avg_width: Option<f64>,
    /// Mean text length of the histogram bounds.
    pub hist_len: Option<f64>,
    /// Σ over most common values of text length × frequency.
    pub mcv_len: Option<f64>,
    /// Σ of the most common values' frequencies.
    pub mcv_frac: Option<f64>,
    /// Mean characters CSV adds to a histogram bound (enclosing quotes, doubled quotes).
    pub hist_extra: Option<f64>,
    /// Σ over most common values of the characters CSV adds × frequency.
    pub mcv_extra: Option<f64>,
    /// Arrays: mean text length of the most common elements.
    #[serde(default)]
    pub elem_len: Option<f64>,
    /// Arrays: average number of (distinct) elements per value.
    #[serde(default)]
    pub elem_count: Option<f64>,
}

/// One table's statistics.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TableStats {
    /// Schema.
    pub schema: String,
    /// Table name.
    pub name: String,
    /// Heap, AO row or AO column (the catalog's query names only these).
    pub kind: StorageKind,
    /// `reltuples` (negative or zero when never analyzed).
    pub rows: f64,
    /// On-disk bytes (indexes excluded).
    pub on_disk_bytes: u64,
    /// Uncompressed estimate (AO: size × compression ratio).
    #[serde(default)]
    pub uncompressed_bytes: Option<u64>,
    /// Columns in order.
    pub columns: Vec<ColumnStats>,
}

/// Where a column's width came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WidthSource {
    /// Lengths of the histogram bounds / most common values.
    Values,
    /// The type (and avg_width).
    Type,
}

/// Whether the type is a character string (text output = stored bytes less the header).
fn is_string(type_name: &str) -> bool {
    let t = type_name.to_ascii_lowercase();
    !t.ends_with("[]")
        && (t.starts_with("character") || t == "text" || t.starts_with("varchar") || t == "name")
}

/// Whether the statistics cannot see this column's values: ANALYZE leaves
/// values over 1 kB (before compression) out of the most common values and the
/// histogram, and `avg_width` is their stored, compressed width. A string,
/// bytea or array column that was analyzed, is not all NULL, and has neither
/// is such a column. Types without an ordering (`json`, `xml`) never get a
/// histogram, so for them only a stored width large enough for compression to
/// hide the text (256 bytes and more) says so. Only a sample tells the width.
pub fn width_hidden(c: &ColumnStats) -> bool {
    let t = c.type_name.to_ascii_lowercase();
    if !(c.analyzed && c.null_frac.is_some_and(|f| f < 1.0)) {
        return false;
    }
    if t == "json" || t == "xml" {
        return c.avg_width.is_some_and(|w| w >= 256.0);
    }
    let ordered_varlena = is_string(&t) || t == "bytea" || t == "jsonb" || t.ends_with("[]");
    ordered_varlena && c.hist_len.is_none() && c.mcv_len.is_none() && c.elem_len.is_none()
}

/// Mean text width of a non-NULL value of the column, before quoting. For
/// strings, `avg_width` (over ANALYZE's whole sample) less the varlena header
/// is a lower bound of the text's bytes (storage can only compress), firmer
/// than ~100 histogram bounds: the larger of the two is used.
pub fn value_width(c: &ColumnStats) -> (f64, WidthSource) {
    let (w, src) = value_width_from_values(c);
    match (src, c.avg_width) {
        (WidthSource::Values, Some(a)) if is_string(&c.type_name) => {
            let header = if a - 1.0 < 127.0 { 1.0 } else { 4.0 };
            (w.max(a - header), src)
        }
        _ => (w, src),
    }
}

fn value_width_from_values(c: &ColumnStats) -> (f64, WidthSource) {
    let null = c.null_frac.unwrap_or(0.0).clamp(0.0, 1.0);
    let non_null = 1.0 - null;
    let mcv_frac = c.mcv_frac.unwrap_or(0.0).clamp(0.0, 1.0);
    match (c.mcv_len, c.hist_len) {
        (mcv, Some(h)) if non_null > 0.0 => {
            // MCVs by their frequencies, the rest by the histogram's mean.
            let rest = (non_null - mcv_frac).max(0.0);
            (
                (mcv.unwrap_or(0.0) + rest * h) / non_null,
                WidthSource::Values,
            )
        }
        (Some(m), None) if mcv_frac > 0.0 => (m / mcv_frac, WidthSource::Values),
        // Arrays: braces, the elements and the commas between them.
        _ if c.elem_len.is_some() && c.elem_count.is_some() => {
            let n = c.elem_count.unwrap_or(0.0).max(0.0);
            (
                2.0 + n * c.elem_len.unwrap_or(0.0) + (n - 1.0).max(0.0),
                WidthSource::Values,
            )
        }
        _ => (type_width(&c.type_name, c.avg_width), WidthSource::Type),
    }
}

/// Width of a typical value's text from its type alone (no value statistics).
/// Numbers: typical magnitudes; dates and times: their fixed ISO formats;
/// strings: `avg_width` less the 1-byte short varlena header; bytea: hex
/// output (`\x` + 2 per byte).
pub fn type_width(type_name: &str, avg_width: Option<f64>) -> f64 {
    let t = type_name.to_ascii_lowercase();
    let varlena = |dflt: f64| avg_width.map(|w| (w - 1.0).max(0.0)).unwrap_or(dflt);
    let base = t.split('(').next().unwrap_or(&t).trim();
    if t.ends_with("[]") {
        // Stored arrays carry about 20 bytes of header (size, dimensions, flags,
        // element type, bounds); what is left is close to the elements' text.
        return avg_width.map(|w| (w - 20.0).max(2.0)).unwrap_or(16.0);
    }
    match base {
        "smallint" => 3.0,
        "integer" => 6.0,
        "bigint" => 9.0,
        "real" => 9.0,
        "double precision" => 15.0,
        "numeric" => {
            // numeric(p,s): assume values use about half the precision digits, plus sign/point.
            let digits: Option<f64> = t
                .split(['(', ',', ')'])
                .nth(1)
                .and_then(|p| p.trim().parse::<f64>().ok());
            digits.map(|p| (p / 2.0).max(1.0) + 2.0).unwrap_or(8.0)
        }
        "boolean" => 1.0,
        "date" => 10.0,
        "timestamp without time zone" => 22.0,
        "timestamp with time zone" => 25.0,
        "time without time zone" => 8.0,
        "time with time zone" => 11.0,
        "interval" => 12.0,
        "uuid" => 36.0,
        "oid" => 5.0,
        "inet" | "cidr" => 12.0,
        "bytea" => 2.0 + 2.0 * varlena(8.0),
        "character" | "character varying" | "text" | "name" | "json" | "jsonb" | "xml" => {
            varlena(12.0)
        }
        _ => varlena(8.0),
    }
}

/// Mean characters CSV adds to a non-NULL value: quotes around values with a
/// comma, quote or line break (or empty), and doubled inner quotes. From the
/// same value statistics as the width; without them, by type: JSON always
/// holds quotes and commas (enclosed, and about a fifth of its text is quotes
/// to double), a multi-element array holds commas (enclosed), others none.
pub fn value_extra(c: &ColumnStats) -> f64 {
    let non_null = 1.0 - c.null_frac.unwrap_or(0.0).clamp(0.0, 1.0);
    let mcv_frac = c.mcv_frac.unwrap_or(0.0).clamp(0.0, 1.0);
    match (
        c.mcv_extra,
        c.hist_extra,
        c.hist_len.is_some() || c.mcv_len.is_some(),
    ) {
        (m, Some(h), true) if non_null > 0.0 => {
            (m.unwrap_or(0.0) + (non_null - mcv_frac).max(0.0) * h) / non_null
        }
        (Some(m), None, true) if mcv_frac > 0.0 => m / mcv_frac,
        _ => {
            let t = c.type_name.to_ascii_lowercase();
            if t == "json" || t == "jsonb" {
                2.0 + 0.2 * value_width(c).0
            } else if t.ends_with("[]") {
                // More than one element means commas: the value is enclosed in quotes.
                if c.elem_count.unwrap_or(2.0) > 1.0 {
                    2.0
                } else {
                    0.0
                }
            } else {
                0.0
            }
        }
    }
}

/// Mean CSV bytes of one row: fields, commas and the newline.
pub fn row_width(columns: &[ColumnStats]) -> f64 {
    if columns.is_empty() {
        return 1.0;
    }
    let mut w = (columns.len() - 1) as f64 + 1.0;
    for c in columns {
        let non_null = 1.0 - c.null_frac.unwrap_or(0.0).clamp(0.0, 1.0);
        w += non_null * (value_width(c).0 + value_extra(c));
    }
    w
}

/// Whether the table's statistics are hidden from the collecting role: no
/// column is visible in pg_stats and at least one is hidden by privilege or
/// row security (ANALYZE would not help; collecting as gpadmin would).
pub fn stats_hidden(t: &TableStats) -> bool {
    !t.columns.iter().any(|c| c.analyzed) && t.columns.iter().any(|c| c.hidden)
}

/// The table's CSV bytes and how they were obtained: from statistics when the
/// table was analyzed, else from the documented default factor of its kind.
pub fn table_csv(t: &TableStats) -> (u64, EstimateSource) {
    let analyzed = !t.columns.is_empty() && t.columns.iter().any(|c| c.analyzed);
    if t.rows > 0.0 && analyzed {
        return (
            (t.rows * row_width(&t.columns)).round() as u64,
            EstimateSource::Stats,
        );
    }
    if t.rows <= 0.0 && analyzed && t.on_disk_bytes == 0 {
        return (0, EstimateSource::Stats);
    }
    (
        default_csv(t.kind, t.on_disk_bytes, t.uncompressed_bytes).round() as u64,
        EstimateSource::Default,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty heap table; each test sets what it is about.
    fn table() -> TableStats {
        TableStats {
            schema: "public".into(),
            name: "t".into(),
            kind: StorageKind::Heap,
            rows: 0.0,
            on_disk_bytes: 0,
            uncompressed_bytes: None,
            columns: Vec::new(),
        }
    }

    fn col(t: &str) -> ColumnStats {
        ColumnStats {
            name: "c".into(),
            type_name: t.into(),
            analyzed: true,
            ..Default::default()
        }
    }

    #[test]
    fn values_too_wide_for_the_statistics_are_recognised() {
        // 3 kB texts: analyzed, no histogram, no MCV, stored ~100 bytes compressed.
        let wide = ColumnStats {
            null_frac: Some(0.0),
            avg_width: Some(104.0),
            ..col("text")
        };
        assert!(width_hidden(&wide));
        // Short texts have a histogram; integers are never varlena; all-NULL has no width.
        let short = ColumnStats {
            hist_len: Some(12.0),
            ..wide.clone()
        };
        assert!(!width_hidden(&short));
        assert!(!width_hidden(&ColumnStats {
            null_frac: Some(0.0),
            ..col("integer")
        }));
        assert!(!width_hidden(&ColumnStats {
            null_frac: Some(1.0),
            ..col("text")
        }));
    }

    #[test]
    fn histogram_and_mcv_lengths_weight_by_frequency() {
        // 10% NULL, MCVs cover 30% of rows with Σ len×freq = 1.5 (5 chars each),
        // the other 60% average 10 chars: non-null mean = (1.5 + 0.6 × 10) / 0.9 = 8.333….
        let c = ColumnStats {
            null_frac: Some(0.1),
            mcv_len: Some(1.5),
            mcv_frac: Some(0.3),
            hist_len: Some(10.0),
            ..col("text")
        };
        let (w, src) = value_width(&c);
        assert!((w - 7.5 / 0.9).abs() < 1e-9);
        assert_eq!(src, WidthSource::Values);
        // Only MCVs (few distinct values): their weighted mean, 1.5 / 0.3 = 5.
        let c = ColumnStats {
            mcv_len: Some(1.5),
            mcv_frac: Some(0.3),
            ..col("text")
        };
        assert_eq!(value_width(&c).0, 5.0);
    }

    #[test]
    fn arrays_from_element_statistics() {
        // 3 elements of 2.5 characters: {a,b,c} = 2 + 7.5 + 2 commas = 11.5; quoted (+2).
        let c = ColumnStats {
            elem_len: Some(2.5),
            elem_count: Some(3.0),
            ..col("integer[]")
        };
        assert_eq!(value_width(&c), (11.5, WidthSource::Values));
        assert_eq!(value_extra(&c), 2.0);
        // Without element statistics: stored width less ~20 bytes of header.
        assert_eq!(type_width("integer[]", Some(36.0)), 16.0);
    }

    #[test]
    fn type_widths_without_value_statistics() {
        assert_eq!(type_width("date", None), 10.0);
        assert_eq!(type_width("boolean", None), 1.0);
        // numeric(15,2): half of 15 digits + sign and point.
        assert_eq!(type_width("numeric(15,2)", None), 9.5);
        // text with avg_width 21 (1-byte header): 20 characters.
        assert_eq!(type_width("text", Some(21.0)), 20.0);
        // bytea of 8 stored bytes (1 header + 7): \x + 14 hex digits.
        assert_eq!(type_width("bytea", Some(8.0)), 16.0);
        assert_eq!(type_width("uuid", None), 36.0);
    }

    #[test]
    fn rows_count_delimiters_newline_nulls_and_quoting() {
        // Two columns: an integer of 4 characters and a text half NULL of 6
        // characters, a tenth of which need quotes (+2) and hold 0.1 quote on
        // average: 0.3 extra characters a value.
        let a = ColumnStats {
            hist_len: Some(4.0),
            hist_extra: Some(0.0),
            null_frac: Some(0.0),
            ..col("integer")
        };
        let b = ColumnStats {
            hist_len: Some(6.0),
            hist_extra: Some(0.3),
            null_frac: Some(0.5),
            ..col("text")
        };
        // 4 + 0.5 × (6 + 0.2 + 0.1) + 1 comma + 1 newline = 9.15.
        assert!((row_width(&[a.clone(), b.clone()]) - 9.15).abs() < 1e-9);
        let t = TableStats {
            kind: StorageKind::Heap,
            rows: 1000.0,
            on_disk_bytes: 65536,
            columns: vec![a, b],
            ..table()
        };
        assert_eq!(table_csv(&t), (9150, EstimateSource::Stats));
    }

    #[test]
    fn quoting_of_frequent_values_is_weighted_by_frequency() {
        // Two MCVs: 'plain' (90% of rows, no quoting) and 'a,b' (10%, +2):
        // Σ f × extra = 0.2 over mcv_frac 1.0 → 0.2 characters a value.
        let c = ColumnStats {
            mcv_len: Some(0.9 * 5.0 + 0.1 * 3.0),
            mcv_extra: Some(0.2),
            mcv_frac: Some(1.0),
            ..col("text")
        };
        assert!((value_extra(&c) - 0.2).abs() < 1e-12);
        // JSON without value statistics, 30 characters: 2 + 0.2 × 30 = 8.
        let j = ColumnStats {
            avg_width: Some(31.0),
            ..col("json")
        };
        assert!((value_extra(&j) - 8.0).abs() < 1e-12);
        assert_eq!(value_extra(&col("integer[]")), 2.0);
    }

    #[test]
    fn never_analyzed_tables_use_the_default_factor() {
        let t = TableStats {
            kind: StorageKind::Heap,
            rows: -1.0,
            on_disk_bytes: 1000,
            columns: vec![ColumnStats {
                analyzed: false,
                ..col("text")
            }],
            ..table()
        };
        assert_eq!(table_csv(&t), (750, EstimateSource::Default));
        let t = TableStats {
            kind: StorageKind::AoColumn,
            rows: 0.0,
            on_disk_bytes: 100,
            uncompressed_bytes: Some(400),
            columns: vec![],
            ..table()
        };
        assert_eq!(table_csv(&t), (380, EstimateSource::Default));
    }
}

//! The cluster's backup history: gpbackup's report files
//! (`gpbackup_<ts>_report`, written by gpbackup's report/report.go next to
//! the coordinator's backup files) read into [`BackupReport`]s. A successful
//! full backup with its data files still on the segments is a rate this
//! cluster has really achieved: data bytes over the report's duration.
//!
//! The report is text: a `Greenplum Database Backup Report` header, then
//! `key:   value` lines (keys padded to one column with `%-*s`), blank lines
//! between groups, and the object counts at the end. Only the keys below are
//! read; anything else (object counts, the incremental set's timestamps) is
//! ignored. A report that is not this format is skipped with a warning.

use crate::inventory::{BackupReport, Instance, InstanceKind};

/// The first line gpbackup writes.
pub const HEADER: &str = "Greenplum Database Backup Report";

/// Reports read per collect (the newest by timestamp); older ones add nothing
/// the newest 50 do not already say about this cluster's speed.
pub const MAX_REPORTS: usize = 50;

/// Bytes read of each report: a real one is about 2 KiB (the object counts
/// are its longest part); anything longer is cut here.
pub const MAX_REPORT_BYTES: usize = 64 * 1024;

/// The longest duration believed: 30 days. gpbackup's `duration:` is end
/// minus start of one run; a month-long backup is a clock that jumped.
pub const MAX_DURATION_SECONDS: u64 = 30 * 24 * 3600;

/// The keys read, as gpbackup writes them (with the colon).
const KEYS: [&str; 12] = [
    "timestamp key:",
    "gpbackup version:",
    "database name:",
    "compression:",
    "plugin executable:",
    "backup section:",
    "incremental:",
    "duration:",
    "backup status:",
    "database size:",
    "segment count:",
    "backup error:",
];

/// `H:MM:SS` (gpbackup's `reformatDuration`: hours unbounded, minutes and
/// seconds two digits below 60) in seconds.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let bad = || format!("duration '{s}' is not H:MM:SS");
    let mut parts = s.trim().split(':');
    let (Some(h), Some(m), Some(sec), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let num = |x: &str| -> Result<u64, String> {
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        x.parse::<u64>().map_err(|_| bad())
    };
    let (h, m, sec) = (num(h)?, num(m)?, num(sec)?);
    if m >= 60 || sec >= 60 {
        return Err(bad());
    }
    h.checked_mul(3600)
        .and_then(|x| x.checked_add(m * 60 + sec))
        .ok_or_else(bad)
}

/// `pg_size_pretty(pg_database_size(…))` upper-cased (`97 BYTES`, `512 KB`,
/// `1234 MB`, `12 GB`, `3 TB`, `2 PB`) in bytes. pg_size_pretty rounds to
/// whole units of 1024, so the figure is good to about half a unit.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad =
        || format!("database size '{s}' is not a number and a unit (BYTES, KB, MB, GB, TB, PB)");
    let mut it = s.split_whitespace();
    let (Some(n), Some(unit), None) = (it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    let n: u64 = n.parse().map_err(|_| bad())?;
    let shift = match unit.to_ascii_uppercase().as_str() {
        "BYTES" | "BYTE" => 0,
        "KB" => 10,
        "MB" => 20,
        "GB" => 30,
        "TB" => 40,
        "PB" => 50,
        _ => return Err(bad()),
    };
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

/// Parses one report's text, read at `path` (`host:path`). Every problem is
/// an error naming the key; the caller skips the report with a warning.
pub fn parse_report(text: &str, path: &str) -> Result<BackupReport, String> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    if lines.by_ref().find(|l| !l.trim().is_empty()).map(str::trim) != Some(HEADER) {
        return Err(format!("not a gpbackup report (no '{HEADER}' header)"));
    }
    let mut values: [Option<&str>; KEYS.len()] = [None; KEYS.len()];
    for line in lines {
        for (k, key) in KEYS.iter().enumerate() {
            if let Some(v) = line.strip_prefix(key)
                && values[k].is_none()
            {
                values[k] = Some(v.trim());
            }
        }
    }
    let get =
        |key: &str| -> Option<&str> { KEYS.iter().position(|k| *k == key).and_then(|i| values[i]) };
    let need = |key: &str| -> Result<&str, String> {
        match get(key) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(format!("no '{key}' line")),
        }
    };
    let timestamp = need("timestamp key:")?;
    if timestamp.len() != 14 || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "timestamp key '{timestamp}' is not 14 digits (YYYYMMDDHHMMSS)"
        ));
    }
    let status = need("backup status:")?;
    if status != "Success" && status != "Failure" {
        return Err(format!(
            "backup status '{status}' is neither Success nor Failure"
        ));
    }
    let duration_seconds = parse_duration(need("duration:")?)?;
    if duration_seconds > MAX_DURATION_SECONDS {
        return Err(format!(
            "duration {duration_seconds} s is more than 30 days: not one backup run"
        ));
    }
    let segments = need("segment count:")?;
    let segment_count: u32 = segments
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("segment count '{segments}' is not a positive number"))?;
    let incremental = match get("incremental:") {
        None | Some("False") => false,
        Some("True") => true,
        Some(v) => return Err(format!("incremental '{v}' is neither True nor False")),
    };
    let database_size_bytes = match get("database size:") {
        None | Some("") => None,
        Some(v) => Some(parse_size(v)?),
    };
    Ok(BackupReport {
        timestamp: timestamp.to_string(),
        path: path.to_string(),
        database: need("database name:")?.to_string(),
        status: status.to_string(),
        compression: need("compression:")?.to_string(),
        section: need("backup section:")?.to_string(),
        incremental,
        plugin: get("plugin executable:")
            .filter(|p| !p.is_empty() && *p != "None")
            .map(str::to_string),
        duration_seconds,
        database_size_bytes,
        segment_count,
        gpbackup_version: get("gpbackup version:")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        data_bytes: None,
    })
}

/// The reports found on `host` (path and text, as the probe printed them):
/// parsed, one per timestamp (the first path wins), newest first. A report
/// that cannot be read is a warning naming its path, never an abort.
pub fn read_reports(host: &str, found: &[(String, String)]) -> (Vec<BackupReport>, Vec<String>) {
    let mut out: Vec<BackupReport> = Vec::new();
    let mut warnings = Vec::new();
    for (path, text) in found {
        let at = format!("{host}:{path}");
        match parse_report(text, &at) {
            Ok(r) => {
                if !out.iter().any(|o| o.timestamp == r.timestamp) {
                    out.push(r);
                }
            }
            Err(e) => warnings.push(format!("backup report {at} skipped: {e}")),
        }
    }
    out.sort_by(|a, b| b.timestamp.cmp(&a.timestamp));
    out.truncate(MAX_REPORTS);
    (out, warnings)
}

/// Fills each report's `data_bytes`: the bytes of its data files summed over
/// the acting primaries' `previous_backups` of the same timestamp, only when
/// every primary content has files of that timestamp (a backup whose files
/// were moved, pruned on some segments or sent to a plugin has none).
pub fn fill_data_bytes(reports: &mut [BackupReport], instances: &[Instance]) {
    let primaries: Vec<&Instance> = instances
        .iter()
        .filter(|i| i.kind() == InstanceKind::Primary)
        .collect();
    for r in reports.iter_mut() {
        r.data_bytes = if primaries.is_empty() {
            None
        } else {
            primaries.iter().try_fold(0u64, |sum, p| {
                let mut files = p
                    .previous_backups
                    .iter()
                    .filter(|b| b.timestamp == r.timestamp)
                    .peekable();
                files.peek()?;
                files.try_fold(sum, |s, b| s.checked_add(b.bytes))
            })
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{PreviousBackup, Role};

    /// A report as report.go's `WriteBackupReportFile` lays it out: keys
    /// padded to the longest key ("includes statistics:", 20) plus 3, a blank
    /// line after the version (its value ends in "\n"), blank lines between
    /// groups, the object counts last.
    fn report(ts: &str, params: &str, tail: &str) -> String {
        let pad = |k: &str, v: &str| format!("{k:<23}{v}\n");
        let mut s = String::from("Greenplum Database Backup Report\n\n");
        s += &pad("timestamp key:", ts);
        s += &pad("gpdb version:", "6.26.1 build commit:abc");
        s += &pad("gpbackup version:", "1.30.5\n");
        s += &pad("database name:", "sales");
        s += &pad(
            "command line:",
            "gpbackup --dbname sales --backup-dir /backup --compression-type gzip",
        );
        s += params;
        s += "\n";
        s += &pad("start time:", "Sun Nov 01 2026 12:00:00");
        s += &pad("end time:", "Sun Nov 01 2026 13:02:03");
        s += &pad("duration:", "1:02:03");
        s += tail;
        s += "\ncount of database objects in backup:\naggregates       0\ntables           7\n";
        s
    }

    fn params(compression: &str, plugin: &str, section: &str, incremental: &str) -> String {
        let pad = |k: &str, v: &str| format!("{k:<23}{v}\n");
        pad("compression:", compression)
            + &pad("plugin executable:", plugin)
            + &pad("backup section:", section)
            + &pad("object filtering:", "None")
            + &pad("includes statistics:", "No")
            + &pad("data file format:", "Multiple Data Files Per Segment")
            + incremental
    }

    const OK_TAIL: &str = "\nbackup status:         Success\n\ndatabase size:         1234 MB\nsegment count:         8\n";

    #[test]
    fn a_successful_full_backup() {
        let text = report(
            "20261101120000",
            &params(
                "gzip",
                "None",
                "All Sections",
                "incremental:           False\n",
            ),
            OK_TAIL,
        );
        let r = parse_report(&text, "cdw:/d/r").unwrap();
        assert_eq!(r.timestamp, "20261101120000");
        assert_eq!(r.path, "cdw:/d/r");
        assert_eq!(r.database, "sales");
        assert_eq!(r.status, "Success");
        assert_eq!(r.compression, "gzip");
        assert_eq!(r.section, "All Sections");
        assert!(!r.incremental);
        assert_eq!(r.plugin, None);
        assert_eq!(r.duration_seconds, 3600 + 2 * 60 + 3);
        assert_eq!(r.database_size_bytes, Some(1234 << 20));
        assert_eq!(r.segment_count, 8);
        assert_eq!(r.gpbackup_version.as_deref(), Some("1.30.5"));
        assert_eq!(r.data_bytes, None);
    }

    #[test]
    fn a_failed_backup_keeps_its_status() {
        let tail = "\nbackup status:         Failure\nbackup error:          ERROR: relation \"x\" does not exist\n\nsegment count:         8\n";
        let text = report(
            "20261102010203",
            &params(
                "zstd",
                "None",
                "Data Only",
                "incremental:           False\n",
            ),
            tail,
        );
        let r = parse_report(&text, "p").unwrap();
        assert_eq!(r.status, "Failure");
        assert_eq!(r.compression, "zstd");
        assert_eq!(r.section, "Data Only");
        assert_eq!(r.database_size_bytes, None);
    }

    #[test]
    fn metadata_only_incremental_and_plugin() {
        let text = report(
            "20261103000000",
            &params(
                "None",
                "None",
                "Metadata Only",
                "incremental:           False\n",
            ),
            OK_TAIL,
        );
        assert_eq!(parse_report(&text, "p").unwrap().section, "Metadata Only");
        // The incremental set's timestamps are bare lines (no colon): ignored.
        let inc = "incremental:           True\nincremental backup set:\n20261101120000\n20261102120000\n";
        let text = report(
            "20261104000000",
            &params("gzip", "None", "All Sections", inc),
            OK_TAIL,
        );
        let r = parse_report(&text, "p").unwrap();
        assert!(r.incremental);
        assert_eq!(r.timestamp, "20261104000000");
        let text = report(
            "20261105000000",
            &params(
                "gzip",
                "/usr/local/bin/gpbackup_s3_plugin",
                "All Sections",
                "incremental:           False\n",
            ),
            OK_TAIL,
        );
        assert_eq!(
            parse_report(&text, "p").unwrap().plugin.as_deref(),
            Some("/usr/local/bin/gpbackup_s3_plugin")
        );
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("97 BYTES"), Ok(97));
        assert_eq!(parse_size("512 KB"), Ok(512 * 1024));
        assert_eq!(parse_size("12 GB"), Ok(12 << 30));
        assert_eq!(parse_size("3 TB"), Ok(3 << 40));
        assert!(parse_size("12").is_err());
        assert!(parse_size("12 XB").is_err());
        assert!(parse_size("99999999 PB").is_err()); // overflows u64
        assert_eq!(parse_duration("0:00:00"), Ok(0));
        assert_eq!(parse_duration("26:59:59"), Ok(26 * 3600 + 59 * 60 + 59));
        for bad in [
            "1:60:00",
            "1:00:60",
            "1:00",
            "a:00:00",
            "1:00:00:00",
            "-1:00:00",
            "",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn garbage_is_an_error_naming_what() {
        assert!(parse_report("", "p").unwrap_err().contains("header"));
        assert!(
            parse_report("Greenplum Database Restore Report\n", "p")
                .unwrap_err()
                .contains("header")
        );
        let ok = report(
            "20261101120000",
            &params(
                "gzip",
                "None",
                "All Sections",
                "incremental:           False\n",
            ),
            OK_TAIL,
        );
        for (from, to, says) in [
            ("20261101120000", "2026110112", "timestamp key"),
            ("Success", "Maybe", "backup status"),
            ("1:02:03", "forever", "duration"),
            ("1:02:03", "800:00:00", "30 days"),
            (
                "segment count:         8",
                "segment count:         0",
                "segment count",
            ),
            ("1234 MB", "lots", "database size"),
            ("database name:", "name of the db:", "database name"),
        ] {
            let text = ok.replacen(from, to, 1);
            let e = parse_report(&text, "p").unwrap_err();
            assert!(e.contains(says), "{from} → {to}: {e}");
        }
    }

    #[test]
    fn history_is_newest_first_and_skips_garbage_with_a_warning() {
        let p = params(
            "gzip",
            "None",
            "All Sections",
            "incremental:           False\n",
        );
        let found = vec![
            (
                "/a/gpbackup_20261101120000_report".to_string(),
                report("20261101120000", &p, OK_TAIL),
            ),
            ("/a/broken_report".to_string(), "garbage".to_string()),
            (
                "/b/gpbackup_20261105120000_report".to_string(),
                report("20261105120000", &p, OK_TAIL),
            ),
            // The same backup seen through a second directory: kept once.
            (
                "/c/gpbackup_20261101120000_report".to_string(),
                report("20261101120000", &p, OK_TAIL),
            ),
        ];
        let (r, w) = read_reports("cdw", &found);
        let ts: Vec<&str> = r.iter().map(|r| r.timestamp.as_str()).collect();
        assert_eq!(ts, ["20261105120000", "20261101120000"]);
        assert_eq!(r[1].path, "cdw:/a/gpbackup_20261101120000_report");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("cdw:/a/broken_report"), "{w:?}");
    }

    fn primary(content: i32, backups: &[(&str, u64)]) -> Instance {
        Instance {
            dbid: (content + 2) as u32,
            content,
            role: Role::Primary,
            preferred_role: Role::Primary,
            host: "sdw1".into(),
            port: 6000,
            datadir: format!("/data/gpseg{content}"),
            mount: None,
            bytes: None,
            tablespaces: Vec::new(),
            error: None,
            previous_backups: backups
                .iter()
                .map(|(ts, b)| PreviousBackup {
                    timestamp: ts.to_string(),
                    codec: "gzip".into(),
                    bytes: *b,
                    files: 3,
                })
                .collect(),
        }
    }

    #[test]
    fn data_bytes_only_when_every_primary_has_the_files() {
        let p = params(
            "gzip",
            "None",
            "All Sections",
            "incremental:           False\n",
        );
        let mut reports: Vec<BackupReport> = ["20261101120000", "20261105120000"]
            .iter()
            .map(|ts| parse_report(&report(ts, &p, OK_TAIL), "p").unwrap())
            .collect();
        let mut coordinator = primary(-1, &[("20261101120000", 999)]);
        coordinator.role = Role::Primary;
        let instances = vec![
            coordinator,
            primary(0, &[("20261101120000", 100), ("20261105120000", 7)]),
            primary(1, &[("20261101120000", 250)]),
        ];
        fill_data_bytes(&mut reports, &instances);
        // Primaries only (the coordinator's files are metadata): 100 + 250.
        assert_eq!(reports[0].data_bytes, Some(350));
        // Content 1 has no files of the second backup.
        assert_eq!(reports[1].data_bytes, None);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn report_parser_never_panics(s in "(Greenplum Database Backup Report\n)?((timestamp key|duration|segment count|backup status|database size|incremental|[a-z ]{0,12}): {0,5}[0-9A-Za-z: ]{0,20}\n){0,20}") {
                let _ = parse_report(&s, "p");
            }

            #[test]
            fn size_and_duration_parsers_never_panic(s in ".{0,40}") {
                let _ = parse_size(&s);
                let _ = parse_duration(&s);
            }
        }
    }
}

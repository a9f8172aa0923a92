//! The time model: how long each phase of a plan takes on the slowest host,
//! from the evidence the inventory holds (docs/accuracy.md, "Time model").
//!
//! Every step of a phase gets a duration and a range; a phase is the sum of
//! its steps, the plan the sum of its phases. The steps that move data use
//! rates, most trusted first: the user's `--rate`/`--backup-rate`/
//! `--restore-rate`; a successful full backup of this cluster
//! (`backup_history`); this cluster's cores × one core's codec speed, the
//! `COPY` text rate per segment and the backup filesystem's write speed
//! (`--measure-io`); a documented default. The other steps take documented
//! durations that scale with the number of instances.

use super::backup::BackupEstimate;
use super::layout::NewInstance;
use super::phase::{Phase, PlanId};
use super::plan_spec::{BackOutKind, spec};
use super::plans::PlanResult;
use super::steps::{COPY_JOBS, DataMove, Step, StepKind, Work};
use super::timeline::{BackOut, PhaseTime, PointOfNoReturn, Rate, RateSource, Span, Timeline};
use crate::inventory::{BackupReport, InstanceKind, Inventory, IoMeasurement, mount_for_path};
use crate::units::human;

/// Backup rate ÷ restore rate when no restore rate is given: the restore
/// writes every byte twice (primary and mirror) and rebuilds the indexes.
pub const RESTORE_FACTOR: f64 = 2.5;

/// Relative range of a duration computed from a measured (or typed) rate:
/// ±25%, the accuracy target for the whole backup.
pub const MEASURED_RANGE: f64 = 0.25;
/// A duration from a documented default may be half as long …
pub const DEFAULT_LOW: f64 = 0.5;
/// … or twice as long (−50% / +100%).
pub const DEFAULT_HIGH: f64 = 2.0;

/// Parallel table streams per primary during the backup: the runbook runs
/// gpbackup with `--jobs` [`COPY_JOBS`], and gpbackup's connection 0 takes
/// only tables another connection could not lock (backup/data.go,
/// BackupDataForAllTables), so `COPY_JOBS − 1` tables are copied at once.
pub const BACKUP_STREAMS_PER_PRIMARY: u32 = if COPY_JOBS > 1 { COPY_JOBS - 1 } else { 1 };

/// CSV bytes per second one primary's `COPY … TO PROGRAM '<codec>'` produces
/// when nothing was measured: 40 MB/s, about what one core's `gzip -1`
/// compresses of typical table text (the codec, not COPY, is the bound).
pub const DEFAULT_CSV_BYTES_PER_SECOND_PER_PRIMARY: f64 = 40e6;
/// Bytes per second gpaddmirrors copies one primary into its new mirror
/// (pg_basebackup over the network, no text conversion): 100 MB/s, a
/// 1 GbE link's order of magnitude.
pub const DEFAULT_MIRROR_BYTES_PER_SECOND_PER_SEGMENT: f64 = 100e6;
/// A manual step (the freeze, the cutover, a check a person signs): 5 minutes.
pub const MANUAL_STEP_SECONDS: u64 = 300;
/// A gate (reads reports and lists files on every host): 1 minute.
pub const GATE_STEP_SECONDS: u64 = 60;
/// Any other command step that moves no data (a metadata-only restore of
/// the globals, moving earlier backups aside): 1 minute.
pub const RUN_STEP_SECONDS: u64 = 60;
/// gpinitsystem: 2 minutes, plus …
pub const INIT_BASE_SECONDS: u64 = 120;
/// … 3 s per instance it initializes (initdb, start, catalog checks in batches).
pub const INIT_SECONDS_PER_INSTANCE: u64 = 3;
/// gpdeletesystem (or removing 6 by name): 1 minute (gpstop), plus …
pub const DELETE_BASE_SECONDS: u64 = 60;
/// … 2 s per instance whose directories it removes.
pub const DELETE_SECONDS_PER_INSTANCE: u64 = 2;
/// Removing this upgrade's backup files: 30 s, plus …
pub const REMOVE_BACKUP_BASE_SECONDS: u64 = 30;
/// … 1 s per primary whose files are removed.
pub const REMOVE_BACKUP_SECONDS_PER_PRIMARY: u64 = 1;
/// analyzedb: 1 minute, plus …
pub const ANALYZE_BASE_SECONDS: u64 = 60;
/// … 1 s per table (ANALYZE samples a fixed number of rows per table) …
pub const ANALYZE_SECONDS_PER_TABLE: f64 = 1.0;
/// … divided over analyzedb's default 5 parallel sessions.
pub const ANALYZEDB_SESSIONS: f64 = 5.0;
/// gpinitstandby (the standby copies the coordinator's small data directory): 2 minutes.
pub const STANDBY_SECONDS: u64 = 120;
/// Pointing the applications back at 6 and unfreezing it: 10 minutes.
pub const REPOINT_SECONDS: u64 = 600;

pub use super::options::UserRates;

/// One segment host as the backup and gpaddmirrors see it.
#[derive(Debug, Clone)]
struct SegmentHost {
    name: String,
    cpus: Option<u32>,
    /// Contents whose primary runs here.
    contents: Vec<i32>,
    /// Data bytes of those primaries (what gpaddmirrors copies).
    primary_data_bytes: u64,
    /// `--measure-io` results: (mount, measurement).
    io: Vec<(String, IoMeasurement)>,
}

/// What the time model reads from the inventory and the options, gathered
/// once per estimate (the `--what-if` rows share it).
#[derive(Debug, Clone)]
pub struct Evidence {
    hosts: Vec<SegmentHost>,
    primaries: usize,
    copy_rate: Option<f64>,
    history: Vec<BackupReport>,
    user: UserRates,
    instances6: u64,
    primaries7: u64,
    instances7: u64,
    standby7: bool,
    tables: u64,
    /// CSV bytes of the largest table: one stream copies it, whatever the
    /// parallelism, so each primary's share of it bounds the backup.
    largest_table_csv: u64,
    /// Today's on-disk bytes of the databases (tables + indexes, what a
    /// report's "database size:" counts); the primaries' data when the
    /// catalog was not read.
    database_bytes: u64,
    coordinator6: String,
}

impl Evidence {
    /// Gathers the evidence from an inventory, the 7 layout and the user's rates.
    pub fn new(inv: &Inventory, new: &[NewInstance], user: UserRates) -> Evidence {
        let mut hosts: Vec<SegmentHost> = Vec::new();
        // A single PostgreSQL instance (no segments) backs up on its own host.
        let single = !inv
            .instances
            .iter()
            .any(|i| i.kind() == InstanceKind::Primary);
        for i in inv.instances.iter().filter(|i| {
            i.kind() == InstanceKind::Primary || (single && i.kind() == InstanceKind::Coordinator)
        }) {
            let idx = match hosts.iter().position(|h| h.name == i.host) {
                Some(p) => p,
                None => {
                    let h = inv.hosts.iter().find(|h| h.name == i.host);
                    hosts.push(SegmentHost {
                        name: i.host.clone(),
                        cpus: h.and_then(|h| h.cpus),
                        contents: Vec::new(),
                        primary_data_bytes: 0,
                        io: h
                            .map(|h| {
                                h.filesystems
                                    .iter()
                                    .filter_map(|f| Some((f.mount.clone(), f.io.clone()?)))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    });
                    hosts.len() - 1
                }
            };
            hosts[idx].contents.push(i.content);
            hosts[idx].primary_data_bytes = hosts[idx]
                .primary_data_bytes
                .saturating_add(i.data_bytes().unwrap_or(0));
        }
        hosts.sort_by(|a, b| a.name.cmp(&b.name));
        let comp = inv.composition.as_ref();
        let coord = inv.coordinator();
        Evidence {
            primaries: hosts.iter().map(|h| h.contents.len()).sum(),
            hosts,
            copy_rate: comp
                .and_then(|c| c.copy_bytes_per_second)
                .filter(|r| *r > 0.0),
            history: inv.backup_history.clone(),
            user,
            instances6: inv.instances.len() as u64,
            primaries7: new
                .iter()
                .filter(|n| matches!(n.kind, InstanceKind::Primary | InstanceKind::Coordinator))
                .count() as u64,
            instances7: new
                .iter()
                .filter(|n| n.kind != InstanceKind::Standby)
                .count() as u64,
            standby7: new.iter().any(|n| n.kind == InstanceKind::Standby),
            tables: comp
                .map(|c| c.databases.iter().map(|d| d.tables.len() as u64).sum())
                .unwrap_or(0),
            database_bytes: comp
                .map(|c| {
                    c.databases
                        .iter()
                        .flat_map(|d| &d.storage)
                        .map(|s| s.on_disk_bytes.saturating_add(s.index_bytes))
                        .fold(0u64, u64::saturating_add)
                })
                .unwrap_or_else(|| {
                    inv.instances
                        .iter()
                        .filter(|i| i.kind() == InstanceKind::Primary)
                        .filter_map(|i| i.data_bytes())
                        .fold(0u64, u64::saturating_add)
                }),
            largest_table_csv: comp
                .and_then(|c| {
                    c.databases
                        .iter()
                        .flat_map(|d| &d.tables)
                        .map(|t| t.csv_bytes)
                        .max()
                })
                .unwrap_or(0),
            coordinator6: coord
                .map(|c| format!("{}:{}", c.host, c.port))
                .unwrap_or_else(|| inv.source.coordinator.clone()),
        }
    }
}

/// One step's (or one part's) duration with its range.
#[derive(Debug, Clone, Default)]
struct Cost {
    seconds: u64,
    low: u64,
    high: u64,
    basis: String,
    rates: Vec<usize>,
    critical_host: Option<String>,
}

impl Cost {
    /// A duration from measured (or typed) rates: ±[`MEASURED_RANGE`].
    fn measured(seconds: f64, basis: String) -> Cost {
        Cost::ranged(seconds, 1.0 - MEASURED_RANGE, 1.0 + MEASURED_RANGE, basis)
    }

    /// A duration from a documented default: [`DEFAULT_LOW`]..[`DEFAULT_HIGH`].
    fn from_default(seconds: f64, basis: String) -> Cost {
        Cost::ranged(seconds, DEFAULT_LOW, DEFAULT_HIGH, basis)
    }

    fn ranged(seconds: f64, low: f64, high: f64, basis: String) -> Cost {
        // To the millisecond first: 24 s computed as 23.999999999 is 24 s.
        let s = (seconds.max(0.0) * 1000.0).round() / 1000.0;
        Cost {
            seconds: s.ceil() as u64,
            low: (s * low).floor() as u64,
            high: (s * high).ceil() as u64,
            basis,
            rates: Vec::new(),
            critical_host: None,
        }
    }

    fn plus(mut self, other: Cost) -> Cost {
        self.seconds += other.seconds;
        self.low += other.low;
        self.high += other.high;
        if !other.basis.is_empty() {
            if !self.basis.is_empty() {
                self.basis.push_str(" + ");
            }
            self.basis.push_str(&other.basis);
        }
        self.rates.extend(other.rates);
        self.critical_host = self.critical_host.or(other.critical_host);
        self
    }

    fn span(&self, start: u64) -> Span {
        Span {
            start_seconds: start,
            seconds: self.seconds,
            low_seconds: self.low,
            high_seconds: self.high,
        }
    }
}

/// The rates a timeline uses, deduplicated, with their indexes.
#[derive(Default)]
struct RateBook(Vec<Rate>);

impl RateBook {
    fn add(&mut self, r: Rate) -> usize {
        if let Some(i) = self.0.iter().position(|x| *x == r) {
            return i;
        }
        self.0.push(r);
        self.0.len() - 1
    }
}

/// The backup's time on the critical path, computed once per plan.
struct BackupTime {
    cost: Cost,
    /// CSV bytes per second over the cluster the backup achieves (the
    /// restore's rate is derived from it).
    csv_rate: f64,
    /// Index into the rate book of the rate that bounds it.
    bound: usize,
    /// The bound is a documented default.
    defaulted: bool,
}

/// The qualifying backup of the history: successful, all sections, not
/// incremental, no plugin, data bytes known, same codec as planned; the
/// one with the most data (its rate is least distorted by the fixed cost
/// of the metadata), the newest on a tie.
fn history_backup<'a>(ev: &'a Evidence, codec: &str) -> Option<&'a BackupReport> {
    ev.history
        .iter()
        .filter(|r| {
            r.status.eq_ignore_ascii_case("success")
                && r.section.eq_ignore_ascii_case("all sections")
                && !r.incremental
                && r.plugin.is_none()
                && r.duration_seconds > 0
                && r.data_bytes.is_some_and(|b| b > 0)
                && r.compression.eq_ignore_ascii_case(codec)
        })
        .max_by(|a, b| {
            a.data_bytes
                .cmp(&b.data_bytes)
                .then_with(|| a.timestamp.cmp(&b.timestamp))
        })
}

/// When no qualifying backup's data files are left: the successful full
/// backups (all sections, not incremental, no plugin, same codec) whose
/// report gives the database size, one per database as gpbackup runs:
/// their on-disk bytes over their durations, newest first.
fn history_by_size<'a>(ev: &'a Evidence, codec: &str) -> Vec<&'a BackupReport> {
    let mut v: Vec<&BackupReport> = ev
        .history
        .iter()
        .filter(|r| {
            r.status.eq_ignore_ascii_case("success")
                && r.section.eq_ignore_ascii_case("all sections")
                && !r.incremental
                && r.plugin.is_none()
                && r.duration_seconds > 0
                && r.database_size_bytes.is_some_and(|b| b > 0)
                && r.compression.eq_ignore_ascii_case(codec)
        })
        .collect();
    v.sort_by(|a, b| b.timestamp.cmp(&a.timestamp));
    // One report per database: its newest.
    let mut seen = std::collections::BTreeSet::new();
    v.retain(|r| seen.insert(r.database.clone()));
    v
}

/// The codec family of a compression label (`gzip-1` → `gzip`, `none`).
fn codec_of(label: &str) -> &str {
    label.split('-').next().unwrap_or(label)
}

/// H:MM:SS, as gpbackup's report writes a duration.
fn hms(s: u64) -> String {
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

fn rate_text(bps: f64) -> String {
    format!("{}/s", human(bps.round() as u64))
}

/// Each segment host's CSV and compressed bytes of the backup.
fn host_bytes(b: &BackupEstimate, ev: &Evidence, h: &SegmentHost) -> (u64, u64) {
    let even = |total: u64| total / ev.primaries.max(1) as u64;
    h.contents.iter().fold((0u64, 0u64), |(csv, comp), c| {
        let (x, y) = match b.per_content.iter().find(|p| p.content == *c) {
            Some(p) => (p.csv_bytes, p.compressed_bytes),
            None => (even(b.csv_bytes), even(b.compressed_bytes)),
        };
        (csv.saturating_add(x), comp.saturating_add(y))
    })
}

/// The backup of one host from its cores, the codec's and COPY's speeds:
/// each of its `p` primaries copies [`BACKUP_STREAMS_PER_PRIMARY`] tables at
/// once, each stream one `COPY` (the segment's backend writing CSV) piped
/// into one compressor. A stream runs at the slower of the two; the host at
/// most `streams × that`, and at most `cores ÷ (1/codec + 1/COPY)` — the CPU
/// seconds both stages spend per CSV byte, on the cores it has (cores not
/// read: one per primary). The largest table is copied by one stream: each
/// primary's share of it ÷ one stream's rate bounds the host too.
fn stream_bound(
    b: &BackupEstimate,
    ev: &Evidence,
    h: &SegmentHost,
    csv: u64,
    p: u32,
) -> Option<(f64, String, Rate)> {
    let codec = b.compression_bytes_per_second.filter(|s| *s > 0.0);
    let copy = ev.copy_rate;
    let per_stream = match (codec, copy) {
        (Some(a), Some(c)) => a.min(c),
        (Some(a), None) => a,
        (None, Some(c)) => c,
        (None, None) => return None,
    };
    let cpu_per_byte = codec.map_or(0.0, |a| 1.0 / a) + copy.map_or(0.0, |c| 1.0 / c);
    let streams = p * BACKUP_STREAMS_PER_PRIMARY;
    let cores = h.cpus.unwrap_or(p).max(1);
    let parallel = streams as f64 * per_stream;
    let cpu = cores as f64 / cpu_per_byte;
    let host_rate = parallel.min(cpu);
    let spread = csv as f64 / host_rate;
    let share = ev.largest_table_csv as f64 / ev.primaries.max(1) as f64;
    let one_table = share / per_stream;
    let stages = [
        codec.map(|a| format!("{} {} per core", b.compression, rate_text(a))),
        copy.map(|c| format!("COPY {} per stream", rate_text(c))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let cores_text = if h.cpus.is_none() {
        format!("{cores} core(s) (not read: one per primary assumed)")
    } else {
        format!("{cores} core(s)")
    };
    let text = if one_table > spread {
        format!(
            "{}'s share of the largest table ({}) in one stream at {}",
            h.name,
            human(share.round() as u64),
            rate_text(per_stream)
        )
    } else {
        format!(
            "{}'s {} CSV at {} ({streams} streams, {cores_text}; {stages})",
            h.name,
            human(csv),
            rate_text(host_rate)
        )
    };
    // The stage that is slower per byte names the source.
    let source = match (codec, copy) {
        (Some(a), Some(c)) if c < a => RateSource::CopyText,
        (None, Some(_)) => RateSource::CopyText,
        _ => RateSource::CodecPerCore {
            codec: b.compression.clone(),
            host: h.name.clone(),
            cores,
        },
    };
    let rate = Rate {
        what: format!("backup (CSV bytes per second, {})", h.name),
        bytes_per_second: host_rate,
        source,
        basis: format!(
            "min({streams} streams × {} per stream, {cores_text} ÷ {:.3} CPU-µs per CSV byte) from {stages} measured on the samples",
            rate_text(per_stream),
            cpu_per_byte * 1e6
        ),
    };
    Some((spread.max(one_table), text, rate))
}

/// The backup on the slowest host (or from history, or as typed).
fn backup_time(
    b: &BackupEstimate,
    ev: &Evidence,
    plan: &PlanResult,
    book: &mut RateBook,
) -> BackupTime {
    let codec = codec_of(&b.compression).to_string();
    // Which host would be slowest, by the per-host model; named in every case.
    // (seconds, cost, the bounding rate, defaulted); the rate enters the
    // book only if the model's figure is the one used.
    let mut worst: Option<(f64, Cost, Rate, bool)> = None;
    for h in &ev.hosts {
        let (csv, comp) = host_bytes(b, ev, h);
        let p = h.contents.len().max(1) as u32;
        // (seconds, what bounds it, rate)
        let mut bounds: Vec<(f64, String, Rate)> = Vec::new();
        if let Some(bound) = stream_bound(b, ev, h, csv, p) {
            bounds.push(bound);
        }
        let mount = plan.backup_dir.as_deref().and_then(|d| {
            mount_for_path(d, h.io.iter().map(|(m, _)| m.as_str())).map(str::to_string)
        });
        if let Some((m, io)) = mount.and_then(|m| h.io.iter().find(|(x, _)| *x == m))
            && io.write_bytes_per_second > 0.0
        {
            bounds.push((
                comp as f64 / io.write_bytes_per_second,
                format!(
                    "{}:{m} writes {} compressed at {}",
                    h.name,
                    human(comp),
                    rate_text(io.write_bytes_per_second)
                ),
                Rate {
                    what: format!("disk write (bytes per second, {}:{m})", h.name),
                    bytes_per_second: io.write_bytes_per_second,
                    source: RateSource::MeasuredIo {
                        host: h.name.clone(),
                        mount: m.clone(),
                    },
                    basis: format!(
                        "{} written and flushed by collect --measure-io",
                        human(io.bytes)
                    ),
                },
            ));
        }
        let defaulted = bounds.is_empty();
        if defaulted {
            let r = DEFAULT_CSV_BYTES_PER_SECOND_PER_PRIMARY * p as f64;
            bounds.push((
                csv as f64 / r,
                format!(
                    "{}'s {} CSV from {p} primaries at the default {} each",
                    h.name,
                    human(csv),
                    rate_text(DEFAULT_CSV_BYTES_PER_SECOND_PER_PRIMARY)
                ),
                Rate {
                    what: format!("backup (CSV bytes per second, {})", h.name),
                    bytes_per_second: r,
                    source: RateSource::Default {
                        what: "backup CSV bytes per second per primary (nothing measured)".into(),
                    },
                    basis: format!(
                        "{} per primary × {p} primaries",
                        rate_text(DEFAULT_CSV_BYTES_PER_SECOND_PER_PRIMARY)
                    ),
                },
            ));
        }
        let (secs, text, rate) = bounds
            .into_iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .expect("one bound at least");
        let better = worst.as_ref().is_none_or(|w| secs > w.0);
        if better {
            let mut c = if defaulted {
                Cost::from_default(secs, text)
            } else {
                Cost::measured(secs, text)
            };
            c.critical_host = Some(h.name.clone());
            worst = Some((secs, c, rate, defaulted));
        }
    }
    let model = worst;
    let csv = b.csv_bytes as f64;
    let host = model.as_ref().and_then(|m| m.1.critical_host.clone());
    // The user's rate first, then the history, then the model.
    if let Some((r, flag)) = ev.user.backup() {
        let i = book.add(Rate {
            what: "backup (CSV bytes per second, cluster)".into(),
            bytes_per_second: r as f64,
            source: RateSource::Option { flag: flag.into() },
            basis: format!("{flag} {}", rate_text(r as f64)),
        });
        let secs = csv / r as f64;
        let mut c = Cost::measured(
            secs,
            format!(
                "{} CSV at {} ({flag})",
                human(b.csv_bytes),
                rate_text(r as f64)
            ),
        );
        c.rates.push(i);
        c.critical_host = host;
        return BackupTime {
            cost: c,
            csv_rate: r as f64,
            bound: i,
            defaulted: false,
        };
    }
    if let Some(h) = history_backup(ev, &codec) {
        let data = h.data_bytes.unwrap_or(0);
        let r = data as f64 / h.duration_seconds as f64;
        let i = book.add(Rate {
            what: format!("backup (compressed bytes per second written, cluster, {codec})"),
            bytes_per_second: r,
            source: RateSource::BackupHistory {
                timestamp: h.timestamp.clone(),
                database: h.database.clone(),
                path: h.path.clone(),
            },
            basis: format!(
                "{} written in {} by the full backup {} of {}{} ({} segments; level not recorded)",
                human(data),
                hms(h.duration_seconds),
                h.timestamp,
                h.database,
                h.database_size_bytes
                    .map(|s| format!(", database size {}", human(s)))
                    .unwrap_or_default(),
                h.segment_count
            ),
        });
        let secs = b.compressed_bytes as f64 / r;
        let mut c = Cost::measured(
            secs,
            format!(
                "{} compressed at {} (backup {} of {})",
                human(b.compressed_bytes),
                rate_text(r),
                h.timestamp,
                h.database
            ),
        );
        c.rates.push(i);
        c.critical_host = host;
        return BackupTime {
            csv_rate: if secs > 0.0 { csv / secs } else { r },
            cost: c,
            bound: i,
            defaulted: false,
        };
    }
    let by_size = history_by_size(ev, &codec);
    if let Some(newest) = by_size.first()
        && ev.database_bytes > 0
    {
        let size: u64 = by_size
            .iter()
            .filter_map(|r| r.database_size_bytes)
            .fold(0u64, u64::saturating_add);
        let took: u64 = by_size.iter().map(|r| r.duration_seconds).sum();
        let r = size as f64 / took as f64;
        let i = book.add(Rate {
            what: format!("backup (on-disk bytes per second, cluster, {codec})"),
            bytes_per_second: r,
            source: RateSource::BackupHistory {
                timestamp: newest.timestamp.clone(),
                database: newest.database.clone(),
                path: newest.path.clone(),
            },
            basis: format!(
                "database size over duration of the full backups {} ({} in {}; their data files are gone, so the rate is of on-disk bytes)",
                by_size
                    .iter()
                    .map(|r| format!("{} of {}", r.timestamp, r.database))
                    .collect::<Vec<_>>()
                    .join(", "),
                human(size),
                hms(took)
            ),
        });
        let secs = ev.database_bytes as f64 / r;
        let mut c = Cost::measured(
            secs,
            format!(
                "today's {} on disk at {} (the history's full backups)",
                human(ev.database_bytes),
                rate_text(r)
            ),
        );
        c.rates.push(i);
        c.critical_host = host;
        return BackupTime {
            csv_rate: if secs > 0.0 { csv / secs } else { r },
            cost: c,
            bound: i,
            defaulted: false,
        };
    }
    match model {
        Some((secs, mut c, rate, defaulted)) => {
            let i = book.add(rate);
            c.rates.push(i);
            BackupTime {
                csv_rate: if secs > 0.0 {
                    csv / secs
                } else {
                    DEFAULT_CSV_BYTES_PER_SECOND_PER_PRIMARY
                },
                cost: c,
                bound: i,
                defaulted,
            }
        }
        // No segment host (a single PostgreSQL instance): one stream at the default.
        None => {
            let r = DEFAULT_CSV_BYTES_PER_SECOND_PER_PRIMARY;
            let i = book.add(Rate {
                what: "backup (CSV bytes per second, cluster)".into(),
                bytes_per_second: r,
                source: RateSource::Default {
                    what: "backup CSV bytes per second per primary (nothing measured)".into(),
                },
                basis: "one stream".into(),
            });
            let mut c = Cost::from_default(
                csv / r,
                format!("{} CSV at the default {}", human(b.csv_bytes), rate_text(r)),
            );
            c.rates.push(i);
            BackupTime {
                cost: c,
                csv_rate: r,
                bound: i,
                defaulted: true,
            }
        }
    }
}

/// The restore's CSV rate: `--restore-rate`, else the backup's ÷ [`RESTORE_FACTOR`].
fn restore_rate(bt: &BackupTime, ev: &Evidence, book: &mut RateBook) -> (f64, usize, bool) {
    if let Some(r) = ev.user.restore.filter(|r| *r > 0) {
        let i = book.add(Rate {
            what: "restore (CSV bytes per second, cluster)".into(),
            bytes_per_second: r as f64,
            source: RateSource::Option {
                flag: "--restore-rate".into(),
            },
            basis: format!("--restore-rate {}", rate_text(r as f64)),
        });
        return (r as f64, i, false);
    }
    let r = bt.csv_rate / RESTORE_FACTOR;
    let from = &book.0[bt.bound];
    let rate = Rate {
        what: "restore (CSV bytes per second, cluster)".into(),
        bytes_per_second: r,
        source: from.source.clone(),
        basis: format!(
            "the backup's {} ÷ {RESTORE_FACTOR} (no restore was measured: a restore writes every byte to a primary and its mirror and rebuilds the indexes)",
            rate_text(bt.csv_rate)
        ),
    };
    (r, book.add(rate), bt.defaulted)
}

/// The documented duration of a step that moves no data, with what it counts.
fn fixed_cost(step: &Step, ev: &Evidence, book: &mut RateBook) -> Cost {
    let mut default = |what: &str, secs: u64, basis: String| {
        let i = book.add(Rate {
            what: what.into(),
            bytes_per_second: 0.0,
            source: RateSource::Default { what: what.into() },
            basis: basis.clone(),
        });
        let mut c = Cost::from_default(secs as f64, basis);
        c.rates.push(i);
        c
    };
    match step.work {
        Some(Work::InitSystem { mirrors }) => {
            let n = if mirrors {
                ev.instances7
            } else {
                ev.primaries7
            };
            default(
                "gpinitsystem",
                INIT_BASE_SECONDS + INIT_SECONDS_PER_INSTANCE * n,
                format!(
                    "gpinitsystem {INIT_BASE_SECONDS} s + {INIT_SECONDS_PER_INSTANCE} s × {n} instances"
                ),
            )
        }
        Some(Work::DeleteSystem) => default(
            "deleting the 6 cluster",
            DELETE_BASE_SECONDS + DELETE_SECONDS_PER_INSTANCE * ev.instances6,
            format!(
                "deleting 6: {DELETE_BASE_SECONDS} s + {DELETE_SECONDS_PER_INSTANCE} s × {} instances",
                ev.instances6
            ),
        ),
        Some(Work::RemoveBackup) => {
            let p = ev.primaries as u64;
            default(
                "removing the backup files",
                REMOVE_BACKUP_BASE_SECONDS + REMOVE_BACKUP_SECONDS_PER_PRIMARY * p,
                format!(
                    "removing the backup: {REMOVE_BACKUP_BASE_SECONDS} s + {REMOVE_BACKUP_SECONDS_PER_PRIMARY} s × {p} primaries"
                ),
            )
        }
        Some(Work::Analyze) => {
            let secs = ANALYZE_BASE_SECONDS
                + (ev.tables as f64 * ANALYZE_SECONDS_PER_TABLE / ANALYZEDB_SESSIONS).ceil() as u64;
            default(
                "analyzedb",
                secs,
                format!(
                    "ANALYZE (analyzedb): {ANALYZE_BASE_SECONDS} s + {} tables × {ANALYZE_SECONDS_PER_TABLE} s ÷ {ANALYZEDB_SESSIONS} sessions",
                    ev.tables
                ),
            )
        }
        _ => match step.kind {
            StepKind::Manual => default(
                "a manual step",
                MANUAL_STEP_SECONDS,
                format!("{MANUAL_STEP_SECONDS} s for a manual step"),
            ),
            StepKind::Gate => default(
                "a gate",
                GATE_STEP_SECONDS,
                format!("{GATE_STEP_SECONDS} s for a gate"),
            ),
            _ => default(
                "a command step that moves no data",
                RUN_STEP_SECONDS,
                format!("{RUN_STEP_SECONDS} s for a command that moves no data"),
            ),
        },
    }
}

/// Everything a plan's data steps need, computed once per plan.
struct DataRates {
    backup: BackupTime,
    restore: (f64, usize, bool),
}

/// The restore of `b`'s bytes: data load (primaries and mirrors) and index
/// rebuild at the restore rate.
fn restore_cost(b: &BackupEstimate, rates: &DataRates, what: &str) -> Cost {
    let (r, i, defaulted) = rates.restore;
    let index: u64 = b.by_kind.iter().map(|k| k.index_bytes).sum();
    let secs = b.csv_bytes.saturating_add(index) as f64 / r;
    let basis = format!(
        "{what} {} CSV + {} of indexes rebuilt at {}",
        human(b.csv_bytes),
        human(index),
        rate_text(r)
    );
    let mut c = if defaulted {
        Cost::from_default(secs, basis)
    } else {
        Cost::measured(secs, basis)
    };
    c.rates.push(i);
    c.critical_host = rates.backup.cost.critical_host.clone();
    c
}

/// gpaddmirrors (and gpinitstandby) on the slowest host.
fn mirrors_cost(ev: &Evidence, book: &mut RateBook) -> Cost {
    let mut c = if let Some((r, flag)) = ev.user.backup() {
        let total: u64 = ev.hosts.iter().map(|h| h.primary_data_bytes).sum();
        let i = book.add(Rate {
            what: "gpaddmirrors (bytes per second, cluster)".into(),
            bytes_per_second: r as f64,
            source: RateSource::Option { flag: flag.into() },
            basis: format!("{flag} {}", rate_text(r as f64)),
        });
        let mut c = Cost::measured(
            total as f64 / r as f64,
            format!(
                "{} of primary data at {}",
                human(total),
                rate_text(r as f64)
            ),
        );
        c.rates.push(i);
        c
    } else {
        let mut worst: Option<(f64, &SegmentHost)> = None;
        for h in &ev.hosts {
            let s = h.primary_data_bytes as f64
                / (DEFAULT_MIRROR_BYTES_PER_SECOND_PER_SEGMENT * h.contents.len().max(1) as f64);
            if worst.is_none_or(|w| s > w.0) {
                worst = Some((s, h));
            }
        }
        let i = book.add(Rate {
            what: "gpaddmirrors (bytes per second per segment)".into(),
            bytes_per_second: DEFAULT_MIRROR_BYTES_PER_SECOND_PER_SEGMENT,
            source: RateSource::Default {
                what: "gpaddmirrors bytes per second per segment".into(),
            },
            basis: "pg_basebackup of each primary, all segments of a host at once".into(),
        });
        let (secs, basis, host) = match worst {
            Some((s, h)) => (
                s,
                format!(
                    "{}'s {} of primary data, {} segments at {} each",
                    h.name,
                    human(h.primary_data_bytes),
                    h.contents.len(),
                    rate_text(DEFAULT_MIRROR_BYTES_PER_SECOND_PER_SEGMENT)
                ),
                Some(h.name.clone()),
            ),
            None => (0.0, "no segment".into(), None),
        };
        let mut c = Cost::from_default(secs, basis);
        c.rates.push(i);
        c.critical_host = host;
        c
    };
    if ev.standby7 {
        let i = book.add(Rate {
            what: "gpinitstandby".into(),
            bytes_per_second: 0.0,
            source: RateSource::Default {
                what: "gpinitstandby".into(),
            },
            basis: format!("{STANDBY_SECONDS} s"),
        });
        let mut s = Cost::from_default(
            STANDBY_SECONDS as f64,
            format!("gpinitstandby {STANDBY_SECONDS} s"),
        );
        s.rates.push(i);
        c = c.plus(s);
    }
    c
}

/// A step's cost.
fn step_cost(
    step: &Step,
    b: &BackupEstimate,
    ev: &Evidence,
    rates: &DataRates,
    book: &mut RateBook,
) -> Cost {
    match step.moves {
        Some(DataMove::Backup) => rates.backup.cost.clone(),
        Some(DataMove::Restore) => restore_cost(b, rates, "restore:"),
        Some(DataMove::Copy) => restore_cost(b, rates, "copy (loads like a restore):"),
        Some(DataMove::Mirrors) => mirrors_cost(ev, book),
        None => fixed_cost(step, ev, book),
    }
}

/// The timeline of one available plan.
pub fn plan_timeline(plan: &PlanResult, b: &BackupEstimate, ev: &Evidence) -> Timeline {
    let mut book = RateBook::default();
    let backup = backup_time(b, ev, plan, &mut book);
    let restore = restore_rate(&backup, ev, &mut book);
    let rates = DataRates { backup, restore };
    let mut phases = Vec::new();
    let mut t = 0u64;
    let mut freeze_at = None;
    let mut cutover_end = None;
    let mut outage = Cost::default();
    let mut pnr = None;
    for name in &plan.phases {
        let Some(phase) = Phase::from_name(name) else {
            continue;
        };
        let start = t;
        let mut cost = Cost::default();
        let mut data: Option<Span> = None;
        let mut data_basis: Option<String> = None;
        for step in plan.steps.iter().filter(|s| s.phase == phase) {
            let c = step_cost(step, b, ev, &rates, &mut book);
            if step.moves.is_some() {
                let d = data.get_or_insert(Span {
                    start_seconds: t,
                    seconds: 0,
                    low_seconds: 0,
                    high_seconds: 0,
                });
                d.seconds += c.seconds;
                d.low_seconds += c.low;
                d.high_seconds += c.high;
                match &mut data_basis {
                    Some(b) => {
                        b.push_str(" + ");
                        b.push_str(&c.basis);
                    }
                    None => data_basis = Some(c.basis.clone()),
                }
            }
            if step.work == Some(Work::Freeze) && freeze_at.is_none() {
                freeze_at = Some(t);
            }
            if step.kind == StepKind::PointOfNoReturn && pnr.is_none() && cutover_end.is_none() {
                pnr = Some(PointOfNoReturn {
                    phase,
                    step: step.title.clone(),
                    at_seconds: t,
                    loses: loses(step),
                });
            }
            t += c.seconds;
            if freeze_at.is_some() && cutover_end.is_none() {
                outage = outage.plus(Cost {
                    basis: String::new(),
                    rates: Vec::new(),
                    critical_host: None,
                    ..c.clone()
                });
            }
            if step.work == Some(Work::Cutover) && cutover_end.is_none() {
                cutover_end = Some(t);
            }
            cost = cost.plus(c);
        }
        cost.rates.sort_unstable();
        cost.rates.dedup();
        phases.push(PhaseTime {
            phase,
            span: cost.span(start),
            critical_host: cost.critical_host.clone(),
            data,
            data_basis,
            basis: cost.basis.clone(),
            rates: cost.rates.clone(),
            in_outage: freeze_at.is_some_and(|f| f <= start)
                && cutover_end.is_none_or(|c| c > start),
        });
    }
    let total = Span {
        start_seconds: 0,
        seconds: t,
        low_seconds: phases.iter().map(|p| p.span.low_seconds).sum(),
        high_seconds: phases.iter().map(|p| p.span.high_seconds).sum(),
    };
    let freeze = freeze_at.unwrap_or(0);
    let outage_span = Span {
        start_seconds: freeze,
        seconds: cutover_end.unwrap_or(t).saturating_sub(freeze),
        low_seconds: outage.low,
        high_seconds: outage.high,
    };
    let back_out = back_out(plan.id, b, ev, &rates, &mut book, pnr.as_ref());
    Timeline {
        phases,
        total,
        outage: outage_span,
        point_of_no_return: pnr,
        back_out,
        rates: book.0,
        range: MEASURED_RANGE,
    }
}

/// What a point-of-no-return step loses.
fn loses(step: &Step) -> String {
    match step.work {
        Some(Work::DeleteSystem) => {
            "the 6 cluster: from here the backup is the only copy of the data".into()
        }
        Some(Work::RemoveBackup) => "the backup: the last copy of the data outside 7".into(),
        _ => step.title.clone(),
    }
}

/// The ways back to a working 6 cluster, earliest first.
fn back_out(
    id: PlanId,
    b: &BackupEstimate,
    ev: &Evidence,
    rates: &DataRates,
    book: &mut RateBook,
    pnr: Option<&PointOfNoReturn>,
) -> Vec<BackOut> {
    book.add(Rate {
        what: "re-pointing the applications".into(),
        bytes_per_second: 0.0,
        source: RateSource::Default {
            what: "re-pointing the applications at 6 and unfreezing it".into(),
        },
        basis: format!("{REPOINT_SECONDS} s"),
    });
    let repoint = Cost::from_default(
        REPOINT_SECONDS as f64,
        format!("{REPOINT_SECONDS} s to re-point the applications and unfreeze 6 (default)"),
    );
    let unfreeze =
        "unfreeze 6: put gp6_pg_hba.conf back in $MASTER_DATA_DIRECTORY and run gpstop -u"
            .to_string();
    let back = format!(
        "point the applications back at the 6 coordinator {}",
        ev.coordinator6
    );
    // The plan's way back as its spec declares it; a delete-first plan
    // whose runbook has no point of no return before the cutover (none
    // today) falls back to re-pointing.
    let pnr = match spec(id).back_out {
        BackOutKind::RePoint => None,
        BackOutKind::ReinitAndRestore => pnr,
    };
    let Some(pnr) = pnr else {
        return vec![BackOut {
            when: "any time until the 6 cluster is deleted (after 7 is verified)".into(),
            steps: vec![
                back,
                unfreeze,
                "writes made on 7 after the cutover are not in 6: carry them back by hand or accept their loss".into(),
            ],
            span: repoint.span(0),
            basis: repoint.basis,
            needs: Vec::new(),
        }];
    };
    let mut out = vec![BackOut {
        when: format!("before the point of no return ({})", pnr.step),
        steps: vec![
            "stop here: nothing of 6 has been removed".into(),
            unfreeze,
            back.clone(),
        ],
        span: repoint.span(0),
        basis: repoint.basis.clone(),
        needs: Vec::new(),
    }];
    // After it: initialize 6 again with the 6 software and restore the same backup.
    let init6 = {
        let n = ev.instances6;
        Cost::from_default(
            (INIT_BASE_SECONDS + INIT_SECONDS_PER_INSTANCE * n) as f64,
            format!(
                "gpinitsystem (6) {INIT_BASE_SECONDS} s + {INIT_SECONDS_PER_INSTANCE} s × {n} instances"
            ),
        )
    };
    let remove7 = Cost::from_default(
        (DELETE_BASE_SECONDS + DELETE_SECONDS_PER_INSTANCE * ev.instances7) as f64,
        format!(
            "removing 7: {DELETE_BASE_SECONDS} s + {DELETE_SECONDS_PER_INSTANCE} s × {} instances",
            ev.instances7
        ),
    );
    let analyze = Cost::from_default(
        (ANALYZE_BASE_SECONDS
            + (ev.tables as f64 * ANALYZE_SECONDS_PER_TABLE / ANALYZEDB_SESSIONS).ceil() as u64)
            as f64,
        format!("analyzedb for {} tables", ev.tables),
    );
    let c = remove7
        .plus(init6)
        .plus(restore_cost(b, rates, "restore into 6:"))
        .plus(analyze)
        .plus(repoint);
    out.push(BackOut {
        when: format!("after the point of no return ({}), while the backup is kept", pnr.step),
        steps: vec![
            "stop 7 and remove it (gpdeletesystem on 7, or its directories by name) if it was initialized".into(),
            "initialize 6 again with the 6 software on the same hosts, ports and directories (gp6_segment_configuration.txt), in 6's encoding and locale (gp6_locale.txt)".into(),
            "restore the same backup into 6 with the 6 gprestore (--with-globals, --create-db), then analyzedb".into(),
            "carry client authentication and settings back (gp6_pg_hba.conf, gp6_settings.txt)".into(),
            back,
        ],
        span: c.span(0),
        basis: c.basis,
        needs: vec![
            "the backup kept until 7 is verified (pre-check \"Keep the backup until 7 is verified\")".into(),
            "the 6 software (gpinitsystem 6.x) installed on every host and the 6 layout saved (pre-check \"Keep the way back\")".into(),
        ],
    });
    out
}

#[cfg(test)]
mod tests {
    //! The small cluster of src/model/tests.rs (h1: contents 0, 1; h2:
    //! contents 2, 3; 100 M of data each, CSV = data without a catalog;
    //! 9 instances of 6: a coordinator, 4 primaries, 4 mirrors) with the
    //! arithmetic written out. M = 1,000,000 bytes.
    use super::*;
    use crate::inventory::{BackupReport, Composition, Inventory};
    use crate::model::tests::{small_cluster, small_opts};
    use crate::model::{Codec, Compression, Estimate, PlanId, PlanOptions, estimate};

    const M: u64 = 1_000_000;

    fn opts() -> PlanOptions {
        PlanOptions {
            // gzip-1: the default ratio 0.35 gives 35 M compressed per content.
            compression: Compression::new(Codec::Gzip, Some(1)).unwrap(),
            backup_dir: Some("/d1/backup".into()),
            ..small_opts()
        }
    }

    fn with_cpus(mut inv: Inventory, h1: u32, h2: u32) -> Inventory {
        for h in &mut inv.hosts {
            h.cpus = match h.name.as_str() {
                "h1" => Some(h1),
                "h2" => Some(h2),
                _ => Some(8),
            };
        }
        inv
    }

    fn run(inv: &Inventory, o: &PlanOptions) -> Estimate {
        estimate(inv, o, &[], false).unwrap()
    }

    fn tl(e: &Estimate, id: PlanId) -> &Timeline {
        e.plan(id).unwrap().timeline.as_ref().unwrap()
    }

    fn phase(t: &Timeline, p: Phase) -> &PhaseTime {
        t.phases.iter().find(|x| x.phase == p).unwrap()
    }

    /// The timeline again, with one core's codec speed and the COPY rate
    /// measured (as collect --sample-rows would give them).
    fn measured(inv: &Inventory, e: &Estimate, id: PlanId, codec: f64, copy: f64) -> Timeline {
        let mut inv = inv.clone();
        inv.composition = Some(Composition {
            databases: Vec::new(),
            compression_throughput: None,
            copy_bytes_per_second: Some(copy),
            not_measured: Vec::new(),
            excluded_databases: Vec::new(),
            notes: Vec::new(),
        });
        let mut b = e.backup.clone();
        b.compression_bytes_per_second = Some(codec);
        let ev = Evidence::new(&inv, &e.new_layout, UserRates::default());
        plan_timeline(e.plan(id).unwrap(), &b, &ev)
    }

    fn report(ts: &str, data: u64, secs: u64, compression: &str) -> BackupReport {
        BackupReport {
            timestamp: ts.into(),
            path: format!("cdw:/data/master/gpseg-1/backups/20261101/{ts}/gpbackup_{ts}_report"),
            database: "sales".into(),
            status: "Success".into(),
            compression: compression.into(),
            section: "All Sections".into(),
            incremental: false,
            plugin: None,
            duration_seconds: secs,
            database_size_bytes: Some(500 * M),
            segment_count: 4,
            gpbackup_version: None,
            data_bytes: Some(data),
        }
    }

    #[test]
    fn the_backup_takes_the_slowest_hosts_time_from_its_cores_and_the_codec() {
        let inv = with_cpus(small_cluster(), 1, 4);
        let e = run(&inv, &opts());
        // A stream costs 1/10 M + 1/50 M = 0.12 CPU-µs per CSV byte and runs
        // at min(10, 50) = 10 M/s; 2 primaries × 3 streams = 60 M/s at most.
        // h1: 1 core ÷ 0.12 µs = 8.33 M/s < 60: 200 M × 0.12 µs = 24 s.
        // h2: 4 cores ÷ 0.12 µs = 33.3 M/s: 200 M ÷ 33.3 M/s = 6 s.
        // (No tables in the composition: no largest-table bound.)
        let t = measured(
            &inv,
            &e,
            PlanId::DeleteAndReinit,
            10.0 * M as f64,
            50.0 * M as f64,
        );
        let b = phase(&t, Phase::Backup);
        assert_eq!(b.critical_host.as_deref(), Some("h1"));
        // The backup phase: the freeze (manual, 300 s), its gate (60 s), the
        // backup (24 s), the backup's gate (60 s) = 444 s.
        assert_eq!(b.span.seconds, 444);
        // Low: 150 + 30 + 18 (24 × 0.75) + 30 = 228; high: 600 + 120 + 30 + 120 = 870.
        assert_eq!((b.span.low_seconds, b.span.high_seconds), (228, 870));
        let codec = &t.rates[b.rates[0]];
        assert_eq!(
            codec.source,
            RateSource::CodecPerCore {
                codec: "gzip-1".into(),
                host: "h1".into(),
                cores: 1
            }
        );
        assert!((codec.bytes_per_second - 1.0 / 0.12e-6).abs() < 1.0);
        // Restore: the backup's 400 M ÷ 24 s = 16.7 M/s ÷ 2.5 = 6.67 M/s;
        // 400 M CSV + 0 index ÷ 6.67 M/s = 60 s, plus the resource-group step
        // (manual 300), the globals (60), its gate (60), the data's gate (60).
        assert_eq!(
            phase(&t, Phase::Restore).span.seconds,
            60 + 300 + 60 + 60 + 60
        );
    }

    #[test]
    fn the_critical_host_is_the_one_with_more_csv_per_core() {
        // Now h2 has the single core: 24 s against h1's 6 s.
        let inv = with_cpus(small_cluster(), 4, 1);
        let e = run(&inv, &opts());
        let t = measured(
            &inv,
            &e,
            PlanId::SideBySide,
            10.0 * M as f64,
            50.0 * M as f64,
        );
        assert_eq!(
            phase(&t, Phase::Backup).critical_host.as_deref(),
            Some("h2")
        );
        // With a slow COPY (1 M/s per stream): 1/10 M + 1/1 M = 1.1 CPU-µs a
        // byte; h2's one core: 200 M × 1.1 µs = 220 s (h1's 4 cores: 55 s);
        // 6 streams × 1 M/s = 6 M/s would allow 33 s. COPY, the slower stage, is named.
        let t = measured(
            &inv,
            &e,
            PlanId::SideBySide,
            10.0 * M as f64,
            1.0 * M as f64,
        );
        let b = phase(&t, Phase::Backup);
        assert_eq!(b.critical_host.as_deref(), Some("h2"));
        assert_eq!(b.span.seconds, 300 + 60 + 220 + 60);
        assert_eq!(t.rates[b.rates[0]].source, RateSource::CopyText);
    }

    #[test]
    fn a_measured_disk_bounds_the_backup_on_its_host() {
        // --measure-io found h2:/d1 (where --backup-dir /d1/backup lies)
        // writing 1 M/s: h2's 2 × 35 M compressed ÷ 1 M/s = 70 s, slower than
        // its codec (200 M ÷ (2 cores × 10 M/s) = 10 s) and h1's (same 10 s).
        let mut inv = with_cpus(small_cluster(), 4, 4);
        let h2 = inv.hosts.iter_mut().find(|h| h.name == "h2").unwrap();
        h2.filesystems[0].io = Some(IoMeasurement {
            bytes: 64 * M,
            write_bytes_per_second: 1.0 * M as f64,
            read_bytes_per_second: 2.0 * M as f64,
        });
        let e = run(&inv, &opts());
        let t = measured(
            &inv,
            &e,
            PlanId::SideBySide,
            10.0 * M as f64,
            50.0 * M as f64,
        );
        let b = phase(&t, Phase::Backup);
        assert_eq!(b.critical_host.as_deref(), Some("h2"));
        assert_eq!(b.span.seconds, 70 + 420);
        assert_eq!(
            t.rates[b.rates[0]].source,
            RateSource::MeasuredIo {
                host: "h2".into(),
                mount: "/d1".into()
            }
        );
    }

    #[test]
    fn a_full_backup_in_the_history_is_preferred_and_named() {
        let mut inv = small_cluster();
        // 70 M written in 10 s = 7 M/s compressed; a bigger zstd backup and a
        // failed one do not qualify for a gzip plan.
        let mut failed = report("20261102010000", 700 * M, 10, "gzip");
        failed.status = "Failure".into();
        inv.backup_history = vec![
            report("20261103010000", 900 * M, 10, "zstd"),
            failed,
            report("20261101010000", 70 * M, 10, "gzip"),
        ];
        let e = run(&inv, &opts());
        let t = tl(&e, PlanId::DeleteAndReinit);
        let b = phase(t, Phase::Backup);
        // Today 4 × 35 M = 140 M compressed ÷ 7 M/s = 20 s, + 300 + 60 + 60.
        assert_eq!(e.backup.compressed_bytes, 140 * M);
        assert_eq!(b.span.seconds, 20 + 420);
        let r = &t.rates[b.rates[0]];
        assert_eq!(
            r.source,
            RateSource::BackupHistory {
                timestamp: "20261101010000".into(),
                database: "sales".into(),
                path: "cdw:/data/master/gpseg-1/backups/20261101/20261101010000/gpbackup_20261101010000_report".into(),
            }
        );
        assert_eq!(r.bytes_per_second, 7.0 * M as f64);
        assert!(r.basis.contains("0:00:10"), "{}", r.basis);

        // --backup-rate overrides it: 400 M CSV ÷ 40 M/s = 10 s.
        let o = PlanOptions {
            rates: UserRates {
                backup: Some(40 * M),
                ..UserRates::default()
            },
            ..opts()
        };
        let e = run(&inv, &o);
        let t = tl(&e, PlanId::DeleteAndReinit);
        let b = phase(t, Phase::Backup);
        assert_eq!(b.span.seconds, 10 + 420);
        assert_eq!(
            t.rates[b.rates[0]].source,
            RateSource::Option {
                flag: "--backup-rate".into()
            }
        );
        // Only the rates used are listed: neither the history's nor the model's.
        assert!(!t.rates.iter().any(|r| matches!(
            r.source,
            RateSource::BackupHistory { .. } | RateSource::Default { .. }
                if r.bytes_per_second > 0.0
        )));
        // The restore from it: 40 M/s ÷ 2.5 = 16 M/s; 400 M ÷ 16 M/s = 25 s.
        assert_eq!(phase(t, Phase::Restore).span.seconds, 25 + 480);
    }

    #[test]
    fn without_data_files_the_history_gives_an_on_disk_rate() {
        let mut inv = small_cluster();
        // Two databases' full gzip backups whose files are gone: 300 M and
        // 100 M on disk in 30 s and 10 s → 400 M in 40 s = 10 M/s on disk.
        // An older report of the same database is not counted twice.
        let gone = |ts: &str, db: &str, size: u64, secs: u64| {
            let mut r = report(ts, 0, secs, "gzip");
            r.data_bytes = None;
            r.database = db.into();
            r.database_size_bytes = Some(size);
            r
        };
        inv.backup_history = vec![
            gone("20261105010000", "sales", 300 * M, 30),
            gone("20261105000000", "crm", 100 * M, 10),
            gone("20261001000000", "sales", 900 * M, 10),
        ];
        let e = run(&inv, &opts());
        let t = tl(&e, PlanId::DeleteAndReinit);
        let b = phase(t, Phase::Backup);
        // No catalog: today's on-disk bytes are the 4 primaries' 100 M data
        // = 400 M ÷ 10 M/s = 40 s, + the freeze 300 + two gates 60 + 60.
        assert_eq!(b.data.unwrap().seconds, 40);
        assert_eq!(b.span.seconds, 40 + 420);
        let r = &t.rates[b.rates[0]];
        assert_eq!(r.bytes_per_second, 10.0 * M as f64);
        assert!(matches!(
            &r.source,
            RateSource::BackupHistory { timestamp, .. } if timestamp == "20261105010000"
        ));
        assert!(r.basis.contains("0:00:40"), "{}", r.basis);
        // A backup whose files are still there wins over the sizes.
        inv.backup_history
            .push(report("20261104010000", 70 * M, 10, "gzip"));
        let e = run(&inv, &opts());
        let t = tl(&e, PlanId::DeleteAndReinit);
        let b = phase(t, Phase::Backup);
        assert_eq!(t.rates[b.rates[0]].bytes_per_second, 7.0 * M as f64);
    }

    #[test]
    fn outage_and_point_of_no_return_sit_where_the_runbook_puts_them() {
        let o = PlanOptions {
            rates: UserRates {
                rate: Some(40 * M),
                ..UserRates::default()
            },
            ..opts()
        };
        let e = run(&small_cluster(), &o);
        // Side-by-side: 7 is initialized before the freeze: gpinitsystem
        // 120 + 3 × 9 instances = 147 s, and two manual steps (600) = 747 s.
        let t = tl(&e, PlanId::SideBySide);
        assert_eq!(phase(t, Phase::Init7).span.seconds, 747);
        assert_eq!(t.outage.start_seconds, 747);
        assert!(t.point_of_no_return.is_none());
        // The outage runs to the end of the cutover, the last step of verify:
        // the verify phase ends with it.
        let v = phase(t, Phase::Verify);
        assert_eq!(
            t.outage.start_seconds + t.outage.seconds,
            v.span.start_seconds + v.span.seconds
        );
        assert!(!phase(t, Phase::Init7).in_outage && v.in_outage);

        // Delete-and-reinit: the freeze is the first step; gpdeletesystem
        // comes after the backup phase (300 + 60 + 10 + 60 = 430 s) and,
        // in its own phase, the backup's gate (60), the pre-flight gate
        // (60: no pre-flight in this inventory), moving earlier backups
        // aside (60) and its gate (60): at 430 + 240 = 670 s.
        let t = tl(&e, PlanId::DeleteAndReinit);
        assert_eq!(t.outage.start_seconds, 0);
        let p = t.point_of_no_return.as_ref().unwrap();
        assert_eq!((p.phase, p.at_seconds), (Phase::Gpdeletesystem, 670));
        assert_eq!(p.step, "Delete the 6 cluster");
        // The cutover is inside "delete backup": analyzedb (60 s, no tables),
        // the manual check of 7 and the cutover (300 each); then the gate
        // and the removal (30 + 4 × 1 s) are after the outage.
        let d = phase(t, Phase::DeleteBackup);
        assert_eq!(
            t.outage.seconds,
            d.span.start_seconds + 60 + 600 - t.outage.start_seconds
        );
        assert_eq!(d.span.seconds, 60 + 600 + 60 + 34);

        // Mirrorless: the same point, and gpaddmirrors after the outage.
        let t = tl(&e, PlanId::DeleteAndReinitMirrorless);
        let p = t.point_of_no_return.as_ref().unwrap();
        assert_eq!((p.phase, p.at_seconds), (Phase::Gpdeletesystem, 670));
        assert!(!phase(t, Phase::Gpaddmirrors).in_outage);
    }

    #[test]
    fn back_out_before_and_after_the_point_of_no_return() {
        let o = PlanOptions {
            rates: UserRates {
                rate: Some(40 * M),
                ..UserRates::default()
            },
            ..opts()
        };
        let e = run(&small_cluster(), &o);
        let side = tl(&e, PlanId::SideBySide);
        assert_eq!(side.back_out.len(), 1);
        assert_eq!(side.back_out[0].span.seconds, REPOINT_SECONDS);
        assert!(side.back_out[0].needs.is_empty());

        let t = tl(&e, PlanId::DeleteAndReinit);
        assert_eq!(t.back_out.len(), 2);
        assert_eq!(t.back_out[0].span.seconds, REPOINT_SECONDS);
        // After gpdeletesystem: remove 7 (60 + 2 × 9 = 78), gpinitsystem 6
        // (120 + 3 × 9 = 147), restore 400 M at 16 M/s (25), analyzedb (60),
        // re-point (600) = 910 s.
        let after = &t.back_out[1];
        assert_eq!(after.span.seconds, 78 + 147 + 25 + 60 + 600);
        assert_eq!(after.needs.len(), 2);
        assert!(after.needs[0].contains("backup kept"));
        assert!(after.needs[1].contains("6 software"));
        // Both needs are pre-checks of the runbook.
        let steps = &e.plan(PlanId::DeleteAndReinit).unwrap().steps;
        for title in [
            "Keep the backup until 7 is verified",
            "Keep the way back: the 6 software (gpinitsystem 6.x) stays installed",
        ] {
            assert!(
                steps
                    .iter()
                    .any(|s| s.phase == Phase::Prepare && s.title.starts_with(title)),
                "{title}"
            );
        }
        // A plan that keeps 6 needs neither.
        assert!(
            !e.plan(PlanId::SideBySide)
                .unwrap()
                .steps
                .iter()
                .any(|s| s.title.starts_with("Keep the way back"))
        );
    }

    #[test]
    fn a_plan_not_available_has_no_timeline() {
        // Direct copy needs --direct-copy-tool; external needs --external-capacity.
        let e = run(&small_cluster(), &opts());
        for id in [PlanId::DirectCopy, PlanId::ExternalBackup] {
            let p = e.plan(id).unwrap();
            assert!(!p.available);
            assert!(p.timeline.is_none(), "{id}");
        }
    }

    #[test]
    fn defaults_widen_the_range() {
        // Nothing measured: 200 M per host ÷ (2 × 40 M/s) = 2.5 → 3 s, range 0.5×..2×.
        let e = run(&small_cluster(), &opts());
        let t = tl(&e, PlanId::DeleteAndReinit);
        let b = phase(t, Phase::Backup);
        assert_eq!(b.span.seconds, 420 + 3);
        // Low: 150 + 30 + floor(2.5 × 0.5) = 1 + 30 = 211; high: 600 + 120 + 5 + 120 = 845.
        assert_eq!((b.span.low_seconds, b.span.high_seconds), (211, 845));
        assert!(matches!(
            t.rates[b.rates[0]].source,
            RateSource::Default { .. }
        ));
    }

    #[test]
    fn every_sample_plan_has_phases_that_sum_to_its_total() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut seen = 0;
        for name in [
            "fits-side-by-side.yaml",
            "does-not-fit.yaml",
            "needs-delete-and-reinit.yaml",
        ] {
            let inv = crate::inventory::load(&dir.join(name)).unwrap();
            let e = estimate(&inv, &PlanOptions::default(), &[], true).unwrap();
            for p in &e.plans {
                let Some(t) = &p.timeline else {
                    assert!(!p.available, "{name} {}", p.id);
                    continue;
                };
                seen += 1;
                assert_eq!(t.phases.len(), p.phases.len(), "{name} {}", p.id);
                let mut at = 0;
                for ph in &t.phases {
                    assert_eq!(ph.span.start_seconds, at, "{name} {} {}", p.id, ph.phase);
                    assert!(ph.span.low_seconds <= ph.span.seconds);
                    assert!(ph.span.seconds <= ph.span.high_seconds);
                    at += ph.span.seconds;
                }
                assert_eq!(at, t.total.seconds, "{name} {}", p.id);
                assert!(t.outage.seconds > 0 && t.outage.seconds <= t.total.seconds);
                assert_eq!(
                    t.point_of_no_return.is_some(),
                    !p.keeps_rollback,
                    "{name} {}",
                    p.id
                );
            }
            // The what-if rows that fit carry the outage of their best plan.
            for r in e.what_if.as_ref().unwrap() {
                assert_eq!(r.fits, r.outage_seconds.is_some());
            }
        }
        assert!(seen >= 6, "{seen}");
    }
}

//! What every report shows the same way, whatever its format: the verdict
//! sentence, the filesystem row, the focus plan, the pre-checks, the
//! environment and step headings. The exporters are built on these.

use crate::model::Estimate;
use crate::model::Phase;
use crate::model::timeline::{PhaseTime, Rate, RateSource, Span, Timeline};
use crate::units::{human, pct};

/// Renders an estimate into one output format.
pub trait Exporter {
    /// The rendered output.
    fn render(&self, estimate: &Estimate) -> Vec<u8>;
}

/// The full result as pretty JSON (exact integer bytes).
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, estimate: &Estimate) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(estimate).expect("estimate serializes");
        v.push(b'\n');
        v
    }
}

/// The full result as YAML (exact integer bytes).
pub struct YamlExporter;

impl Exporter for YamlExporter {
    fn render(&self, estimate: &Estimate) -> Vec<u8> {
        serde_yaml::to_string(estimate)
            .expect("estimate serializes")
            .into_bytes()
    }
}

/// One filesystem of a plan as every report shows it: the table, the ticket
/// and the HTML render these same strings (HTML escapes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsRow {
    /// `host:mount`.
    pub name: String,
    /// Filesystem size.
    pub size: String,
    /// Used when measured.
    pub used: String,
    /// The plan's peak.
    pub peak: String,
    /// The phase of the peak.
    pub peak_phase: String,
    /// The limit.
    pub limit: String,
    /// Peak as a share of the limit.
    pub peak_share: String,
    /// The shortfall, or `none`.
    pub shortfall: String,
    /// Fill after the last phase.
    pub after: String,
    /// Whether it is short.
    pub short: bool,
}

impl FsRow {
    /// The row of `f`.
    pub fn of(f: &crate::model::FsResult) -> FsRow {
        FsRow {
            name: format!("{}:{}", f.host, f.mount),
            size: human(f.total_bytes),
            used: human(f.used_bytes),
            peak: human(f.peak_bytes),
            peak_phase: f.peak_phase.clone(),
            limit: human(f.limit_bytes),
            peak_share: pct(f.peak_over_limit),
            shortfall: shortfall_text(f.shortfall_bytes),
            after: pct(f.final_fill),
            short: f.shortfall_bytes > 0,
        }
    }
}

/// A shortfall as every report shows it: bytes when there is one, `none`
/// when there is none (one word in the table, the ticket and the HTML alike).
pub fn shortfall_text(bytes: u64) -> String {
    if bytes > 0 {
        human(bytes)
    } else {
        "none".into()
    }
}

/// The plan a report explains in detail: the recommended one, else the
/// available plan closest to fitting, else the first.
pub fn focus_plan(e: &Estimate) -> Option<&crate::model::PlanResult> {
    e.recommended()
        .or_else(|| {
            e.plans
                .iter()
                .filter(|p| p.available)
                .min_by_key(|p| p.total_shortfall_bytes)
        })
        .or(e.plans.first())
}

/// The guides' pre-checks, in the order a change ticket lists them.
pub const PRE_CHECKS: [&str; 5] = [
    "Back up with --metadata-only, restore that on a 7 test system, and read the gprestore log.",
    "Extensions in use (MADlib, PostGIS, …) are installed on 7 at compatible versions.",
    "C-language functions' shared objects are rebuilt for 7.",
    "Distribution keys whose types hash differently on 7 are reviewed (rows may move between segments).",
    "Free space is measured again on the day (whpg-plan estimate --coordinator …).",
];

/// The runbook's preamble: where the steps run and how each environment is
/// set up, as Markdown-free lines (reports wrap them).
pub fn environment_lines(e: &Estimate) -> Vec<(String, Vec<String>)> {
    let Some(env) = &e.environment else {
        return Vec::new();
    };
    vec![
        (
            format!(
                "Every step runs as gpadmin in {} (put the files `report --layout-dir` writes there), each in a fresh login shell: never run a 7 step in a shell that sourced 6's greenplum_path.sh, or the reverse. The gates (gate_…) and make_dirs are defined in whpg_gates.sh; `report --script` runs the same steps and gates phase by phase.",
                env.workdir
            ),
            vec![
                format!("mkdir -p {0} && cd {0}", env.workdir),
                "source ./whpg_gates.sh".into(),
            ],
        ),
        (
            format!("\"6 environment\" steps run on {} after:", env.gp6_host),
            env.gp6.clone(),
        ),
        (
            format!("\"7 environment\" steps run on {} after:", env.gp7_host),
            env.gp7.clone(),
        ),
    ]
}

/// A what-if row's compression time, or why there is none.
pub fn compress_time(seconds: Option<u64>) -> String {
    match seconds {
        Some(s) => crate::model::durations::format_seconds(s),
        None => "not measured".into(),
    }
}

/// A duration with its range, as every report shows it:
/// `5 h 10 min (3 h 50 min – 6 h 30 min)`; the range is left out when the
/// evidence gives none (low = expected = high).
pub fn span_text(sp: &Span) -> String {
    let f = crate::model::durations::format_seconds;
    if sp.low_seconds == sp.seconds && sp.high_seconds == sp.seconds {
        f(sp.seconds)
    } else {
        format!(
            "{} ({} – {})",
            f(sp.seconds),
            f(sp.low_seconds),
            f(sp.high_seconds)
        )
    }
}

/// An offset from the start of the plan as a clock reading a runbook can
/// carry: `+2:05` (hours and minutes, minutes rounded down).
pub fn offset_text(seconds: u64) -> String {
    format!("+{}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// Where a rate came from, as one phrase a reviewer can check.
pub fn rate_source_text(src: &RateSource) -> String {
    match src {
        RateSource::Option { flag } => format!("given with {flag}"),
        RateSource::BackupHistory {
            timestamp,
            database,
            path,
        } => format!("backup {timestamp} of database {database} (report {path})"),
        RateSource::CodecPerCore { codec, host, cores } => {
            format!("{codec} speed per core on the samples × {cores} core(s) of {host}")
        }
        RateSource::CopyText => "COPY text rate measured while sampling".into(),
        RateSource::MeasuredIo { host, mount } => {
            format!("I/O measured on {host}:{mount} (--measure-io)")
        }
        RateSource::Default { what } => format!("documented default for {what}"),
    }
}

/// One rate as a line: `backup (…): 250 MB/s — <source>; <basis>`.
pub fn rate_line(r: &Rate) -> String {
    // A documented default that is not a throughput (seconds per instance)
    // carries no rate: its basis says what it is.
    let mut s = if r.bytes_per_second > 0.0 {
        format!(
            "{}: {}/s — {}",
            r.what,
            human(r.bytes_per_second.round() as u64),
            rate_source_text(&r.source)
        )
    } else {
        format!("{} — {}", r.what, rate_source_text(&r.source))
    };
    if !r.basis.is_empty() {
        s.push_str(&format!(" ({})", r.basis));
    }
    s
}

/// The planned time of the phase `phase` in plan `p`, when the plan has a timeline.
pub fn phase_time(p: &crate::model::PlanResult, phase: Phase) -> Option<&PhaseTime> {
    p.timeline
        .as_ref()?
        .phases
        .iter()
        .find(|t| t.phase == phase)
}

/// The index of the step that holds the timeline's point of no return: the
/// step with its title, else the first point-of-no-return step of its phase.
pub fn point_of_no_return_step(p: &crate::model::PlanResult) -> Option<usize> {
    let x = p.timeline.as_ref()?.point_of_no_return.as_ref()?;
    p.steps
        .iter()
        .position(|st| st.title == x.step)
        .or_else(|| {
            p.steps.iter().position(|st| {
                st.kind == crate::model::steps::StepKind::PointOfNoReturn && st.phase == x.phase
            })
        })
}

/// A phase heading's time: `starts +1:30, about 2 h 05 min (1 h 34 min – 2 h 36 min)`.
pub fn phase_time_text(t: &PhaseTime) -> String {
    format!(
        "starts {}, about {}",
        offset_text(t.span.start_seconds),
        span_text(&t.span)
    )
}

/// The point of no return as one sentence, when the plan has one.
pub fn point_of_no_return_text(tl: &Timeline) -> Option<String> {
    let pnr = tl.point_of_no_return.as_ref()?;
    Some(format!(
        "{} ({}) at {}: {}",
        pnr.step,
        pnr.phase.name(),
        offset_text(pnr.at_seconds),
        pnr.loses
    ))
}

/// A step's heading: title, environment, manual mark and (with rates) duration.
///
/// With a timeline the plan's durations are per phase (the phase heading
/// carries them) and no step gets its own; without one, `rates` given on the
/// command line time the steps that move data, as before the time model.
pub fn step_heading(
    st: &crate::model::Step,
    prev: Option<&crate::model::Step>,
    e: &Estimate,
    timeline: Option<&Timeline>,
    rates: Option<&crate::model::durations::Rates>,
) -> (String, Option<String>) {
    // Where 6's and 7's environments alternate, the step says so.
    let fresh = prev.is_some_and(|p| p.env != st.env);
    let mut head = if fresh {
        format!("[{}, fresh login shell] {}", st.env.label(), st.title)
    } else {
        format!("[{}] {}", st.env.label(), st.title)
    };
    match st.kind {
        crate::model::steps::StepKind::Manual => head.push_str(" (manual check)"),
        crate::model::steps::StepKind::Gate => head.push_str(" (gate: stop here if it fails)"),
        crate::model::steps::StepKind::PointOfNoReturn => head.push_str(" (POINT OF NO RETURN)"),
        crate::model::steps::StepKind::Run => {}
    }
    if let Some(t) = timeline {
        // The time model times phases; the step that moves the phase's data
        // carries the data part's duration and arithmetic (the phase's
        // whole when an older estimate has no data part).
        let duration = st
            .moves
            .and(t.phases.iter().find(|pt| pt.phase == st.phase))
            .map(|pt| match (&pt.data, &pt.data_basis) {
                (Some(d), Some(b)) => format!("about {}: {b}", span_text(d)),
                _ => format!("about {}: {}", span_text(&pt.span), pt.basis),
            });
        return (head, duration);
    }
    let duration = rates
        .and_then(|r| crate::model::durations::step_duration(st, e, r))
        .map(|d| {
            format!(
                "about {}: {}",
                crate::model::durations::format_seconds(d.seconds),
                d.basis
            )
        });
    (head, duration)
}

/// What the plans keep or delete: "the 6 cluster", or for a plain
/// PostgreSQL inventory "the existing instance".
pub fn old_system(e: &Estimate) -> &'static str {
    if e.cluster.product == crate::inventory::Product::Postgresql {
        "the existing instance"
    } else {
        "the 6 cluster"
    }
}

/// One sentence that states the verdict.
pub fn verdict_sentence(e: &Estimate) -> String {
    use crate::model::Verdict;
    let old = old_system(e);
    match (e.verdict, e.recommended()) {
        (Verdict::Incomplete, _) => format!(
            "INCOMPLETE: {} part(s) of the cluster could not be measured; no verdict is given",
            e.incomplete.len()
        ),
        (Verdict::Fits, Some(p)) => format!(
            "FITS: {} keeps {old} as a rollback; its tightest filesystem peaks at {} of its limit",
            p.id,
            pct(p.worst_peak_over_limit)
        ),
        (Verdict::FitsDestructive, Some(p)) => format!(
            "FITS ONLY DESTRUCTIVELY: no plan that keeps {old} fits; {} fits (tightest filesystem at {} of its limit) but deletes {old} before 7 is restored{}",
            p.id,
            pct(p.worst_peak_over_limit),
            preflight_condition(e, p).unwrap_or_default()
        ),
        _ => {
            let closest = e
                .plans
                .iter()
                .filter(|p| p.available)
                .min_by_key(|p| p.total_shortfall_bytes);
            match closest {
                None => "DOES NOT FIT: no plan is available (each one's reason is listed)".into(),
                Some(p) if p.total_shortfall_bytes > 0 => format!(
                    "DOES NOT FIT: no available plan fits; the closest, {}, is short by {} in total",
                    p.id,
                    human(p.total_shortfall_bytes)
                ),
                Some(p) => format!(
                    "DOES NOT FIT: no available plan fits; {} fits on the hosts but not its external target (see its warnings)",
                    p.id
                ),
            }
        }
    }
}

/// What the verdict adds for a delete-first plan the pre-flight holds back:
/// "— only after …", or nothing.
pub fn preflight_condition(e: &Estimate, p: &crate::model::PlanResult) -> Option<String> {
    if !p.preflight_blocking {
        return None;
    }
    let s = &e.preflight.as_ref()?.summary;
    let mut parts = Vec::new();
    if !s.blocking_items.is_empty() {
        parts.push(format!(
            "the pre-flight's {} failing item(s) ({}) are resolved on 6 and collected again clean",
            s.blocking_items.len(),
            s.blocking_items.join(", ")
        ));
    }
    if !s.not_checked_failing.is_empty() {
        parts.push(format!(
            "its {} unchecked item(s) ({}) are checked",
            s.not_checked_failing.len(),
            s.not_checked_failing.join(", ")
        ));
    }
    Some(format!(
        " — only after {} (or a metadata-only trial restore on a scratch 7 system is signed off)",
        parts.join(" and ")
    ))
}

/// The pre-flight's one-line summary (or that it was not run).
pub fn preflight_headline(e: &Estimate) -> String {
    let Some(pf) = &e.preflight else {
        return "Pre-flight: not run (the inventory has no compatibility section: collect again to see what the restore on 7 refuses)".into();
    };
    let failing = pf.items.iter().filter(|i| i.failing()).count();
    let silent = pf
        .items
        .iter()
        .filter(|i| i.severity == crate::inventory::Severity::Silent && i.count > 0)
        .count();
    let mut s = format!(
        "Pre-flight: {failing} item(s) make the restore on 7 fail, {silent} restore differently, {} not checked",
        pf.summary.not_checked.len()
    );
    if let Some(p) = e.plans.iter().find(|p| p.preflight_blocking) {
        s.push_str(&format!(
            "; {} and every plan that deletes {} first wait on them",
            p.id,
            old_system(e)
        ));
    }
    s
}

/// An item's objects as `database:schema.name (detail)`, the first `n`.
pub fn finding_names(i: &crate::model::preflight::PreflightItem, n: usize) -> Vec<String> {
    i.findings
        .iter()
        .take(n)
        .map(|f| {
            let mut s = String::new();
            if let Some(d) = &f.database {
                s.push_str(d);
                s.push(':');
            }
            if let Some(sc) = &f.schema {
                s.push_str(sc);
                s.push('.');
            }
            s.push_str(&f.name);
            s
        })
        .collect()
}

/// Hand-made timelines for the renderers' tests: every number is written
/// here so a test can state what it expects without running the model.
#[cfg(test)]
pub(crate) mod fixture {
    use crate::model::timeline::{
        BackOut, PhaseTime, PointOfNoReturn, Rate, RateSource, Span, Timeline,
    };
    use crate::model::{Estimate, Phase, PlanResult};

    /// A span of `seconds` starting at `start`, ±25%.
    pub fn span(start: u64, seconds: u64) -> Span {
        Span {
            start_seconds: start,
            seconds,
            low_seconds: seconds * 3 / 4,
            high_seconds: seconds * 5 / 4,
        }
    }

    /// Seconds per phase: init 7 10 min, backup 1 h, gpdeletesystem 5 min,
    /// restore 2 h 30 min, verify 30 min, deletes 10 min, gpaddmirrors 1 h 20 min,
    /// copy 3 h.
    pub fn seconds_of(phase: Phase) -> u64 {
        match phase {
            Phase::Init7 | Phase::Init7WithoutMirrors => 600,
            Phase::Backup | Phase::BackupToExternal => 3600,
            Phase::Gpdeletesystem => 300,
            Phase::Restore => 9000,
            Phase::CopyTo7 => 10_800,
            Phase::Verify => 1800,
            Phase::Gpaddmirrors => 4800,
            _ => 600,
        }
    }

    /// The plan's phases back to back with [`seconds_of`]; the outage runs
    /// from the first backup or copy phase to the end of verify (or, with no
    /// verify, to the end of restore); a plan with gpdeletesystem has its
    /// point of no return at the start of that phase.
    pub fn timeline_for(p: &PlanResult) -> Timeline {
        let mut at = 0;
        let mut phases = Vec::new();
        let mut inside = false;
        let has_verify = p.phases.iter().any(|n| n == "verify");
        for name in &p.phases {
            let phase = Phase::from_name(name).expect("a phase name");
            let secs = seconds_of(phase);
            if matches!(
                phase,
                Phase::Backup | Phase::BackupToExternal | Phase::CopyTo7
            ) {
                inside = true;
            }
            let moves = matches!(
                phase,
                Phase::Backup
                    | Phase::BackupToExternal
                    | Phase::Restore
                    | Phase::CopyTo7
                    | Phase::Gpaddmirrors
            );
            phases.push(PhaseTime {
                phase,
                span: span(at, secs),
                critical_host: moves.then(|| "sdw2".to_string()),
                data: None,
                data_basis: None,
                basis: format!("{} by hand", phase.name()),
                rates: if moves { vec![0] } else { vec![1] },
                in_outage: inside,
            });
            at += secs;
            if phase == Phase::Verify || (!has_verify && phase == Phase::Restore) {
                inside = false;
            }
        }
        let in_out: Vec<&PhaseTime> = phases.iter().filter(|t| t.in_outage).collect();
        let o_start = in_out.first().map(|t| t.span.start_seconds).unwrap_or(0);
        let o_secs: u64 = in_out.iter().map(|t| t.span.seconds).sum();
        let pnr = phases
            .iter()
            .find(|t| t.phase == Phase::Gpdeletesystem)
            .map(|t| PointOfNoReturn {
                phase: t.phase,
                step: "gpdeletesystem".into(),
                at_seconds: t.span.start_seconds,
                loses: "the 6 cluster".into(),
            });
        let back_out = if pnr.is_some() {
            vec![
                BackOut {
                    when: "before gpdeletesystem".into(),
                    steps: vec!["unfreeze writes on 6".into()],
                    span: span(0, 300),
                    basis: "documented default".into(),
                    needs: vec![],
                },
                BackOut {
                    when: "after gpdeletesystem".into(),
                    steps: vec![
                        "gpinitsystem with the 6 software".into(),
                        "gprestore the same backup into 6".into(),
                    ],
                    span: span(0, 9600),
                    basis: "init 10 min + restore 2 h 30 min".into(),
                    needs: vec!["the backup kept".into(), "the 6 software installed".into()],
                },
            ]
        } else {
            vec![BackOut {
                when: "until the cutover".into(),
                steps: vec!["re-point the applications to 6".into()],
                span: span(0, 600),
                basis: "documented default".into(),
                needs: vec![],
            }]
        };
        Timeline {
            total: span(0, at),
            outage: span(o_start, o_secs),
            point_of_no_return: pnr,
            back_out,
            rates: vec![
                Rate {
                    what: "backup (CSV bytes per second, cluster)".into(),
                    bytes_per_second: 250e6,
                    source: RateSource::BackupHistory {
                        timestamp: "20261102010203".into(),
                        database: "sales".into(),
                        path: "sdw1:/data/backups/20261102/20261102010203/gpbackup_20261102010203_report".into(),
                    },
                    basis: "900 GB in 1 h 00 min".into(),
                },
                Rate {
                    what: "gpinitsystem per instance".into(),
                    bytes_per_second: 0.0,
                    source: RateSource::Default {
                        what: "gpinitsystem per instance".into(),
                    },
                    basis: String::new(),
                },
            ],
            phases,
            range: 0.25,
        }
    }

    /// Every available plan of `e` gets its [`timeline_for`].
    pub fn with_timelines(e: &mut Estimate) {
        for p in e.plans.iter_mut().filter(|p| p.available) {
            p.timeline = Some(timeline_for(p));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{PlanOptions, Verdict, estimate};
    use crate::synth::{SynthSpec, synth_inventory};

    pub(crate) fn small() -> Estimate {
        let inv = synth_inventory(&SynthSpec {
            hosts: 2,
            primaries_per_host: 1,
            filesystems_per_host: 1,
            filesystem_bytes: 10_000_000_000_000,
            data_per_primary: 100_000_000_000,
            skew: 0.0,
            mirrors: true,
            seed: 1,
        });
        estimate(&inv, &PlanOptions::default(), &[], false).unwrap()
    }

    /// [`small`] with every timeline taken away: what a report shows of a
    /// plan the time model did not time (an estimate JSON written before it).
    pub(crate) fn untimed() -> Estimate {
        let mut e = small();
        for p in &mut e.plans {
            p.timeline = None;
        }
        e
    }

    /// The JSON carries each plan's timeline as the model wrote it, and a
    /// plan without one has no `timeline` key.
    #[test]
    fn the_json_carries_the_timeline_and_reads_back() {
        let mut e = small();
        fixture::with_timelines(&mut e);
        let v: serde_json::Value = serde_json::from_slice(&JsonExporter.render(&e)).unwrap();
        let plans = v["plans"].as_array().unwrap();
        let side = plans.iter().find(|p| p["id"] == "side-by-side").unwrap();
        // Outage: backup + restore + verify = 3600 + 9000 + 1800 s from +600 s.
        assert_eq!(side["timeline"]["outage"]["seconds"], 14_400);
        assert_eq!(side["timeline"]["outage"]["start_seconds"], 600);
        assert_eq!(side["timeline"]["phases"][1]["phase"], "backup");
        assert_eq!(
            side["timeline"]["rates"][0]["source"]["kind"],
            "backup-history"
        );
        let back: crate::model::timeline::Timeline =
            serde_json::from_value(side["timeline"].clone()).unwrap();
        assert_eq!(Some(&back), e.plans[0].timeline.as_ref());
        let direct = plans.iter().find(|p| p["id"] == "direct-copy").unwrap();
        assert!(direct.get("timeline").is_none());
    }

    /// The point of no return is the step with its title; without one, the
    /// first point-of-no-return step of its phase.
    #[test]
    fn the_point_of_no_return_is_found_by_title_then_by_phase() {
        use crate::model::steps::StepKind;
        let mut e = small();
        fixture::with_timelines(&mut e);
        let p = e
            .plans
            .iter_mut()
            .find(|p| p.id == crate::model::PlanId::DeleteAndReinit)
            .unwrap();
        // The fixture names no real step: the phase decides.
        let by_phase = point_of_no_return_step(p).unwrap();
        assert_eq!(p.steps[by_phase].phase, Phase::Gpdeletesystem);
        assert_eq!(p.steps[by_phase].kind, StepKind::PointOfNoReturn);
        let last = p
            .steps
            .iter()
            .rposition(|st| st.kind == StepKind::PointOfNoReturn)
            .unwrap();
        assert_ne!(last, by_phase);
        let title = p.steps[last].title.clone();
        p.timeline
            .as_mut()
            .unwrap()
            .point_of_no_return
            .as_mut()
            .unwrap()
            .step = title;
        assert_eq!(point_of_no_return_step(p), Some(last));
        p.timeline = None;
        assert_eq!(point_of_no_return_step(p), None);
    }

    #[test]
    fn no_available_plan_is_said_so_not_short_by_zero() {
        let mut e = small();
        for p in e.plans.iter_mut() {
            p.available = false;
            p.fits = false;
        }
        e.verdict = Verdict::DoesNotFit;
        e.recommended_plan = None;
        assert_eq!(
            verdict_sentence(&e),
            "DOES NOT FIT: no plan is available (each one's reason is listed)"
        );
    }

    #[test]
    fn a_plain_postgresql_is_the_existing_instance_not_a_6_cluster() {
        let mut e = small();
        e.verdict = Verdict::Fits;
        e.recommended_plan = Some(crate::model::PlanId::SideBySide);
        assert!(verdict_sentence(&e).contains("keeps the 6 cluster as a rollback"));
        e.cluster.product = crate::inventory::Product::Postgresql;
        assert!(verdict_sentence(&e).contains("keeps the existing instance as a rollback"));
    }
}

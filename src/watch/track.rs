//! What `watch` remembers between samples and what it concludes: each
//! filesystem's recent samples (for the growth rate), a bounded history (for
//! the chart), the phase, and a status per filesystem.
//!
//! Memory is flat however long the watch runs: the rate window holds the
//! samples of `--window`, and the chart history at most [`MAX_POINTS`] points
//! per filesystem (when full, neighbouring points merge, keeping the higher
//! used bytes, so a spike is never smoothed away).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::plan::WatchPlan;
use super::probe::HostSample;

/// Chart points kept per filesystem.
pub const MAX_POINTS: usize = 720;

/// Where a filesystem stands, most urgent last (`Ord` sorts by urgency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Within `--margin` of the plan's bytes for the phase, and not heading over the limit.
    OnPlan,
    /// More than `--margin` above the plan's bytes for the phase.
    AbovePlan,
    /// No sample from its host recently: the last value is shown with its age.
    Stale,
    /// Growing at a rate that reaches the limit before the phase ends.
    WillReachLimit,
    /// Above the limit now.
    OverLimit,
}

impl Status {
    /// The words a table shows.
    pub fn label(self) -> &'static str {
        match self {
            Status::OnPlan => "on plan",
            Status::AbovePlan => "above plan",
            Status::Stale => "stale",
            Status::WillReachLimit => "will reach limit",
            Status::OverLimit => "OVER LIMIT",
        }
    }

    /// The text form used in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::OnPlan => "on-plan",
            Status::AbovePlan => "above-plan",
            Status::Stale => "stale",
            Status::WillReachLimit => "will-reach-limit",
            Status::OverLimit => "over-limit",
        }
    }
}

/// One chart point: time (ms since the epoch), used bytes, and the plan's
/// bytes for the phase in effect then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Milliseconds since the Unix epoch.
    pub t_ms: u64,
    /// Used bytes.
    pub used: u64,
    /// The plan's bytes for the phase then.
    pub predicted: u64,
}

/// A filesystem's memory.
#[derive(Debug, Clone, Default)]
pub struct FsTrack {
    window: VecDeque<(u64, u64)>,
    /// The chart history (bounded).
    pub points: Vec<Point>,
    /// How many raw samples each point holds now (doubles at every merge).
    per_point: usize,
    pending: usize,
    /// The last good sample: (ms, used).
    pub last: Option<(u64, u64)>,
    /// Why the last sample failed, if it did.
    pub error: Option<String>,
}

impl FsTrack {
    /// Records a good sample.
    pub fn add(&mut self, t_ms: u64, used: u64, predicted: u64, window_ms: u64) {
        if self.last.is_some_and(|(t, _)| t_ms <= t) {
            return; // an answer older than one already recorded
        }
        self.last = Some((t_ms, used));
        self.error = None;
        self.window.push_back((t_ms, used));
        while let Some(&(t0, _)) = self.window.front() {
            if t_ms.saturating_sub(t0) > window_ms && self.window.len() > 2 {
                self.window.pop_front();
            } else {
                break;
            }
        }
        if self.per_point == 0 {
            self.per_point = 1;
        }
        // The newest point absorbs samples until it holds `per_point` of them.
        if self.pending > 0
            && let Some(p) = self.points.last_mut()
        {
            p.used = p.used.max(used);
            p.predicted = predicted;
            self.pending += 1;
        } else {
            self.points.push(Point {
                t_ms,
                used,
                predicted,
            });
            self.pending = 1;
        }
        if self.pending >= self.per_point {
            self.pending = 0;
        }
        if self.points.len() > MAX_POINTS {
            let merged: Vec<Point> = self
                .points
                .chunks(2)
                .map(|c| Point {
                    t_ms: c[0].t_ms,
                    used: c.iter().map(|p| p.used).max().unwrap_or(0),
                    predicted: c[c.len() - 1].predicted,
                })
                .collect();
            self.points = merged;
            self.per_point *= 2;
            self.pending = 0;
        }
    }

    /// Growth in bytes per second: the least-squares slope over the window
    /// (at least two samples one second apart).
    pub fn rate(&self) -> Option<f64> {
        let n = self.window.len();
        if n < 2 {
            return None;
        }
        let (t0, _) = self.window[0];
        let (tn, _) = self.window[n - 1];
        if tn.saturating_sub(t0) < 1000 {
            return None;
        }
        let xs: Vec<f64> = self
            .window
            .iter()
            .map(|(t, _)| (t - t0) as f64 / 1000.0)
            .collect();
        let ys: Vec<f64> = self.window.iter().map(|(_, u)| *u as f64).collect();
        let mx = xs.iter().sum::<f64>() / n as f64;
        let my = ys.iter().sum::<f64>() / n as f64;
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        (sxx > 0.0).then(|| sxy / sxx)
    }
}

/// What the directories on the hosts say, over every host that answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observed {
    /// Some 6 data directory exists (`None`: none to check, or no answer).
    pub old_cluster: Option<bool>,
    /// Some host has backup files (`None`: the plan stages none on the hosts).
    pub backup: Option<bool>,
    /// Some 7 coordinator/primary directory exists.
    pub new_primaries: Option<bool>,
    /// Some 7 mirror directory exists.
    pub new_mirrors: Option<bool>,
}

impl Observed {
    /// Folds one host's sample in.
    pub fn add(&mut self, s: &HostSample) {
        fn fold(acc: &mut Option<bool>, (found, of): (usize, usize)) {
            if of > 0 {
                *acc = Some(acc.unwrap_or(false) || found > 0);
            }
        }
        fold(&mut self.old_cluster, s.old_dirs);
        fold(&mut self.new_primaries, s.new_primary_dirs);
        fold(&mut self.new_mirrors, s.new_mirror_dirs);
        if let Some(b) = s.backup {
            self.backup = Some(self.backup.unwrap_or(false) || b);
        }
    }

    /// A sentence for the header.
    pub fn describe(&self) -> String {
        let w = |v: Option<bool>, what: &str| match v {
            Some(true) => format!("{what} present"),
            Some(false) => format!("{what} absent"),
            None => format!("{what} not checked"),
        };
        format!(
            "{}, {}, {}, {}",
            w(self.old_cluster, "6 data directories"),
            w(self.backup, "backup files"),
            w(self.new_primaries, "7 primaries"),
            w(self.new_mirrors, "7 mirrors")
        )
    }
}

/// How the phase was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhaseSource {
    /// `--phase`.
    Given,
    /// From what is on disk (the sentence says what was found and why).
    Inferred(String),
    /// As a log recorded it (`--replay`; the log file).
    Logged(String),
}

/// Infers the phase: among the phases whose directories match what is on
/// disk, from `not_before` on (phases only move forward), the earliest whose
/// predicted bytes still cover the used bytes (within `margin`); when the
/// disks have outgrown it, the next matching one. With no exact match, the
/// phase with the fewest mismatches.
pub fn infer_phase(
    plan: &WatchPlan,
    observed: &Observed,
    used: &[Option<u64>],
    margin: f64,
    not_before: usize,
) -> (usize, String) {
    let mismatches = |i: usize| {
        let p = &plan.phases[i];
        [
            (observed.old_cluster, p.old_cluster),
            (observed.backup, p.backup),
            (observed.new_primaries, p.new_primaries),
            (observed.new_mirrors, p.new_mirrors),
        ]
        .iter()
        .filter(|(o, want)| o.is_some_and(|o| o != *want))
        .count()
    };
    let candidates: Vec<usize> = (not_before..plan.phases.len())
        .filter(|&i| mismatches(i) == 0)
        .collect();
    let seen = observed.describe();
    if candidates.is_empty() {
        let best = (not_before..plan.phases.len())
            .min_by_key(|&i| mismatches(i))
            .unwrap_or(not_before.min(plan.phases.len().saturating_sub(1)));
        return (
            best,
            format!(
                "{seen}: no phase matches exactly; the closest is \"{}\"",
                plan.phases[best].phase
            ),
        );
    }
    // Compared over the filesystems that answered, so a stale host does not
    // make the disks look emptier than the plan.
    let mut planned = vec![0u128; plan.phases.len()];
    let mut measured = 0u128;
    for (f, u) in plan.filesystems.iter().zip(used) {
        if let Some(u) = u {
            for (i, p) in f.phase_bytes.iter().enumerate() {
                planned[i] += *p as u128;
            }
            measured += *u as u128;
        }
    }
    let chosen = candidates
        .iter()
        .copied()
        .find(|&i| measured as f64 <= planned[i] as f64 * (1.0 + margin))
        .unwrap_or(*candidates.last().expect("not empty"));
    let why = if candidates.len() == 1 {
        "the only phase that matches".to_string()
    } else if chosen == candidates[0] {
        "the earliest matching phase; its bytes cover what is used".to_string()
    } else {
        "the used bytes have outgrown the earlier matching phases".to_string()
    };
    (chosen, format!("{seen}: {why}"))
}

/// One filesystem's line after a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct FsView {
    /// Index into the plan's filesystems.
    pub index: usize,
    /// Used bytes (the last good sample's, when stale).
    pub used: Option<u64>,
    /// The plan's bytes for the current phase.
    pub predicted: u64,
    /// The plan's peak over all phases.
    pub peak: u64,
    /// The limit.
    pub limit: u64,
    /// Growth in bytes per second over the window.
    pub rate: Option<f64>,
    /// Seconds until the limit at that rate.
    pub seconds_to_limit: Option<f64>,
    /// More than `--margin` above the plan for the phase (stated apart from
    /// the status, which may be more urgent).
    pub above_plan: bool,
    /// The status.
    pub status: Status,
    /// Seconds since the last good sample.
    pub age: Option<f64>,
    /// Why the last sample failed.
    pub error: Option<String>,
}

/// The judgment of one sample over every filesystem.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgment {
    /// Per filesystem, in plan order.
    pub filesystems: Vec<FsView>,
    /// Seconds until the phase's remaining planned bytes are written at
    /// today's total growth (None: nothing is growing, or nothing remains).
    pub phase_remaining: Option<f64>,
    /// The running phase against the time model (None without a timeline,
    /// or before anything has been written in the phase).
    pub progress: Option<PhaseProgress>,
}

/// The running phase's progress against its planned duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseProgress {
    /// Share of the phase's planned change of bytes done since the watch saw
    /// the phase start (written, or deleted for a phase that deletes), 0–1.
    pub fraction: f64,
    /// Seconds since the watch saw the phase start.
    pub elapsed_seconds: f64,
    /// The phase's planned duration (the estimate's timeline).
    pub planned_seconds: u64,
    /// When the phase ends at today's pace: its start + elapsed ÷ fraction
    /// (ms since the epoch).
    pub phase_end_ms: u64,
    /// When the window ends: the phase's revised end + the later phases'
    /// planned durations (ms since the epoch).
    pub window_end_ms: u64,
}

/// Revises the running phase's end from its progress: `start_bytes` were on
/// the watched filesystems when the phase was first seen at `start_ms`,
/// `now_bytes` at `now_ms`, the plan has `planned_bytes` at the phase's end.
/// None when nothing has moved towards the plan yet, or the phase changes no bytes.
pub fn revise(
    start_ms: u64,
    now_ms: u64,
    (start_bytes, now_bytes, planned_bytes): (u64, u64, u64),
    planned_seconds: u64,
    later_phases_seconds: u64,
) -> Option<PhaseProgress> {
    let planned_change = planned_bytes as f64 - start_bytes as f64;
    let done = now_bytes as f64 - start_bytes as f64;
    let elapsed_ms = now_ms.checked_sub(start_ms).filter(|&e| e > 0)?;
    if planned_change == 0.0 {
        return None;
    }
    let fraction = (done / planned_change).min(1.0);
    if fraction <= 0.0 {
        return None;
    }
    let phase_end_ms = start_ms + (elapsed_ms as f64 / fraction).round() as u64;
    Some(PhaseProgress {
        fraction,
        elapsed_seconds: elapsed_ms as f64 / 1000.0,
        planned_seconds,
        phase_end_ms,
        window_end_ms: phase_end_ms + later_phases_seconds * 1000,
    })
}

/// Judges every filesystem at `now_ms` in phase `phase`.
pub fn judge(
    plan: &WatchPlan,
    tracks: &[FsTrack],
    phase: usize,
    margin: f64,
    now_ms: u64,
    stale_after_ms: u64,
) -> Judgment {
    // When the phase ends: the plan's bytes still to be written in this
    // phase, at the total rate the filesystems grow now.
    let (mut remaining, mut total_rate) = (0f64, 0f64);
    for (f, t) in plan.filesystems.iter().zip(tracks) {
        if let Some((_, used)) = t.last {
            remaining += f.phase_bytes[phase].saturating_sub(used) as f64;
        }
        if let Some(r) = t.rate() {
            total_rate += r.max(0.0);
        }
    }
    let phase_remaining = (total_rate > 0.0 && remaining > 0.0).then(|| remaining / total_rate);
    let mut out = Vec::with_capacity(tracks.len());
    for (i, (f, t)) in plan.filesystems.iter().zip(tracks).enumerate() {
        let predicted = f.phase_bytes[phase];
        // During a phase a filesystem moves from the previous phase's bytes to
        // this one's: a phase that deletes is on plan until it has deleted.
        let allowed = if phase > 0 {
            predicted.max(f.phase_bytes[phase - 1])
        } else {
            predicted
        };
        let used = t.last.map(|(_, u)| u);
        let age = t
            .last
            .map(|(ts, _)| now_ms.saturating_sub(ts) as f64 / 1000.0);
        let rate = t.rate();
        let seconds_to_limit = match (used, rate) {
            (Some(u), Some(r)) if r > 0.0 && u < f.limit_bytes => {
                Some((f.limit_bytes - u) as f64 / r)
            }
            (Some(u), _) if u >= f.limit_bytes => Some(0.0),
            _ => None,
        };
        let above_plan = used.is_some_and(|u| u as f64 > allowed as f64 * (1.0 + margin));
        let stale = t.error.is_some()
            || t.last
                .is_none_or(|(ts, _)| now_ms.saturating_sub(ts) > stale_after_ms);
        let reaches = match (seconds_to_limit, rate) {
            (Some(s), Some(r)) if r > 0.0 && s > 0.0 => {
                phase_remaining.is_some_and(|end| s < end) || predicted > f.limit_bytes
            }
            _ => false,
        };
        let status = if used.is_some_and(|u| u > f.limit_bytes) {
            Status::OverLimit
        } else if reaches {
            Status::WillReachLimit
        } else if stale {
            Status::Stale
        } else if above_plan {
            Status::AbovePlan
        } else {
            Status::OnPlan
        };
        out.push(FsView {
            index: i,
            used,
            predicted,
            peak: f.peak_bytes,
            limit: f.limit_bytes,
            rate,
            seconds_to_limit,
            above_plan,
            status,
            age,
            error: t.error.clone(),
        });
    }
    Judgment {
        filesystems: out,
        phase_remaining,
        progress: None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::watch::plan::{PhaseContents, PlannedFilesystem, WatchPlan};

    pub(crate) fn plan(limit: u64, phase_bytes: Vec<u64>) -> WatchPlan {
        let ph = |name: &str, o, b, n, m| PhaseContents {
            phase: name.into(),
            old_cluster: o,
            backup: b,
            new_primaries: n,
            new_mirrors: m,
        };
        WatchPlan {
            plan_id: crate::model::PlanId::SideBySide,
            phases: vec![
                ph("backup", true, true, false, false),
                ph("init 7", true, true, true, true),
                ph("restore", true, true, true, true),
                ph("verify", true, true, true, true),
                ph("delete backup & 6", false, false, true, true),
            ],
            filesystems: vec![PlannedFilesystem {
                host: "sdw1".into(),
                mount: "/data1".into(),
                measured_used_bytes: 100,
                limit_bytes: limit,
                peak_bytes: *phase_bytes.iter().max().unwrap(),
                peak_phase: "restore".into(),
                phase_bytes,
            }],
            hosts: vec![],
            warn_fill: 0.7,
            phase_seconds: vec![None; 5],
        }
    }

    /// A restore planned at 2 h 30 min, seen starting at 10:00:00 with
    /// 1,000 GB on disk and planned to end at 3,000 GB: at 11:00:00 with
    /// 1,800 GB, 800 of 2,000 GB are written (40%), so the phase ends at
    /// 10:00 + 1 h ÷ 0.4 = 12:30:00; verify (30 min) and the deletes
    /// (10 min) follow: the window ends at 13:10:00.
    #[test]
    fn the_revised_ends_by_hand() {
        let t0 = 36_000_000; // 10:00:00 in ms
        let gb = 1_000_000_000;
        let r = revise(
            t0,
            t0 + 3_600_000,
            (1_000 * gb, 1_800 * gb, 3_000 * gb),
            9_000,
            1_800 + 600,
        )
        .unwrap();
        assert!((r.fraction - 0.4).abs() < 1e-12);
        assert_eq!(r.elapsed_seconds, 3_600.0);
        assert_eq!(r.phase_end_ms, t0 + 9_000_000); // 12:30:00
        assert_eq!(r.window_end_ms, t0 + 11_400_000); // 13:10:00
        // A deleting phase: 500 of 1,000 GB deleted in 5 min → ends at 10 min.
        let d = revise(0, 300_000, (2_000 * gb, 1_500 * gb, 1_000 * gb), 600, 0).unwrap();
        assert_eq!(d.phase_end_ms, 600_000);
        // Nothing written yet, going the wrong way, or no time passed: no revision.
        assert!(revise(t0, t0 + 60_000, (gb, gb, 2 * gb), 600, 0).is_none());
        assert!(revise(t0, t0 + 60_000, (2 * gb, gb, 3 * gb), 600, 0).is_none());
        assert!(revise(t0, t0, (gb, 2 * gb, 3 * gb), 600, 0).is_none());
        // More than planned: done, the phase ends now.
        let over = revise(0, 1_000, (0, 5 * gb, 4 * gb), 600, 0).unwrap();
        assert_eq!((over.fraction, over.phase_end_ms), (1.0, 1_000));
    }

    /// A straight line of samples gives its slope exactly; the time to the
    /// limit follows by hand: (9,000 − 3,000) / 100 = 60 s.
    #[test]
    fn rate_and_time_to_limit_by_hand() {
        let p = plan(9_000, vec![2_000, 2_100, 5_000, 5_000, 1_000]);
        let mut t = FsTrack::default();
        for k in 0..11u64 {
            t.add(1_000_000 + k * 1000, 2_000 + k * 100, 2_000, 60_000);
        }
        assert!((t.rate().unwrap() - 100.0).abs() < 1e-9);
        let j = judge(&p, &[t], 0, 0.1, 1_010_000, 30_000);
        let v = &j.filesystems[0];
        assert_eq!(v.used, Some(3_000));
        assert!((v.seconds_to_limit.unwrap() - 60.0).abs() < 1e-6);
        // 3,000 > 2,000 × 1.1 in "backup": above plan; nothing else remains
        // to be written in the phase, so it does not "reach the limit before
        // the phase ends".
        assert!(v.above_plan);
        assert_eq!(v.status, Status::AbovePlan);
    }

    #[test]
    fn status_precedence() {
        let p = plan(9_000, vec![20_000, 20_000, 20_000, 20_000, 1_000]);
        // The plan itself puts more than the limit here and it is growing.
        let mut t = FsTrack::default();
        t.add(0, 1_000, 0, 60_000);
        t.add(2_000, 1_200, 0, 60_000);
        let j = judge(&p, std::slice::from_ref(&t), 0, 0.1, 2_000, 30_000);
        assert_eq!(j.filesystems[0].status, Status::WillReachLimit);
        // Over the limit beats everything.
        t.add(4_000, 9_500, 0, 60_000);
        let j = judge(&p, std::slice::from_ref(&t), 0, 0.1, 4_000, 30_000);
        assert_eq!(j.filesystems[0].status, Status::OverLimit);
        // Not sampled for longer than the staleness bound: stale, value kept.
        let p = plan(90_000, vec![20_000, 20_000, 20_000, 20_000, 1_000]);
        let j = judge(&p, std::slice::from_ref(&t), 0, 0.1, 60_000, 30_000);
        assert_eq!(j.filesystems[0].status, Status::Stale);
        assert_eq!(j.filesystems[0].used, Some(9_500));
        assert_eq!(j.filesystems[0].age, Some(56.0));
    }

    /// Deleting phases are on plan while the bytes are between the previous
    /// phase's and this one's.
    #[test]
    fn a_deleting_phase_is_on_plan_until_it_has_deleted() {
        let p = plan(90_000, vec![2_000, 2_100, 5_000, 5_000, 1_000]);
        let mut t = FsTrack::default();
        t.add(0, 4_000, 0, 60_000);
        let j = judge(&p, &[t], 4, 0.1, 0, 30_000);
        assert_eq!(j.filesystems[0].status, Status::OnPlan);
    }

    #[test]
    fn history_stays_bounded_and_keeps_spikes() {
        let mut t = FsTrack::default();
        for k in 0..100_000u64 {
            let used = if k == 77_777 { 1_000_000 } else { k };
            t.add(k * 10_000, used, 5, 300_000);
        }
        assert!(t.points.len() <= MAX_POINTS, "{}", t.points.len());
        assert!(t.points.len() > MAX_POINTS / 2);
        assert!(
            t.points.iter().any(|p| p.used == 1_000_000),
            "the spike survives"
        );
        assert!(t.window.len() <= 31, "{}", t.window.len());
        let times: Vec<u64> = t.points.iter().map(|p| p.t_ms).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn phase_inferred_from_directories_and_bytes() {
        let p = plan(90_000, vec![2_000, 2_100, 5_000, 5_000, 1_000]);
        let mut o = Observed {
            old_cluster: Some(true),
            backup: Some(true),
            new_primaries: Some(false),
            new_mirrors: Some(false),
        };
        assert_eq!(infer_phase(&p, &o, &[Some(1_900)], 0.1, 0).0, 0);
        o.new_primaries = Some(true);
        o.new_mirrors = Some(true);
        // 7 directories exist: "init 7" while the bytes fit it …
        assert_eq!(infer_phase(&p, &o, &[Some(2_200)], 0.1, 0).0, 1);
        // … "restore" once they have outgrown it.
        assert_eq!(infer_phase(&p, &o, &[Some(3_000)], 0.1, 0).0, 2);
        // Phases do not go back.
        assert_eq!(infer_phase(&p, &o, &[Some(2_200)], 0.1, 2).0, 2);
        o.old_cluster = Some(false);
        o.backup = Some(false);
        let (i, why) = infer_phase(&p, &o, &[Some(1_000)], 0.1, 0);
        assert_eq!(i, 4);
        assert!(why.contains("6 data directories absent"), "{why}");
    }
}

//! The five upgrade plans, their phases, and their evaluation per filesystem.

use super::error::ModelError;
use serde::Serialize;

use super::backup::BackupEstimate;
use super::footprint::{Components, Footprint};
use super::options::{BackupTarget, PlanOptions};
use super::phase::PlanId;
use super::plan_spec::{PhaseState, phases};
use super::steps::{BackupLocation, Step, StepContext, plan_steps};
use crate::units::SaturatingSum;

/// What exists on the hosts during one phase: the part of the phase table
/// that can be seen on disk, written into the estimate for `watch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PhaseContents {
    /// The phase's name.
    pub phase: String,
    /// The 6 data directories exist.
    pub old_cluster: bool,
    /// The staged backup exists (on the hosts, when the plan stages it there).
    pub backup: bool,
    /// The 7 coordinator and primary data directories exist.
    pub new_primaries: bool,
    /// The 7 mirror data directories exist.
    pub new_mirrors: bool,
}

impl From<&PhaseState> for PhaseContents {
    fn from(p: &PhaseState) -> Self {
        PhaseContents {
            phase: p.name.name().to_string(),
            old_cluster: p.old,
            backup: p.backup || p.trial,
            // The directories appear with gpinitsystem, before any data.
            new_primaries: p.new_primary || p.primary_overhead,
            new_mirrors: p.new_mirror || p.mirror_overhead,
        }
    }
}

/// Who chose a plan's backup location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocationSource {
    /// The user's `--backup-dir`.
    Given,
    /// The search over the mounts common to all segment hosts.
    Searched,
    /// The declared external target.
    External,
}

impl LocationSource {
    /// A few words for the terminal summary.
    pub fn short(self) -> &'static str {
        match self {
            LocationSource::Given => "as given",
            LocationSource::Searched => {
                "found by searching the mounts common to all segment hosts; --backup-dir decides"
            }
            LocationSource::External => "the declared external target",
        }
    }
}

/// One filesystem's result under one plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FsResult {
    /// Host.
    pub host: String,
    /// Mount point.
    pub mount: String,
    /// Size (df total).
    pub total_bytes: u64,
    /// `used + available` today.
    pub capacity_bytes: u64,
    /// Used today.
    pub used_bytes: u64,
    /// `max_fill × capacity`.
    pub limit_bytes: u64,
    /// Highest occupancy over the plan's phases.
    pub peak_bytes: u64,
    /// The first phase at which the peak is reached.
    pub peak_phase: String,
    /// `peak − limit` when positive, else 0.
    pub shortfall_bytes: u64,
    /// `peak / limit`: above 1 does not fit.
    pub peak_over_limit: f64,
    /// Occupancy when the plan is done.
    pub final_bytes: u64,
    /// `final / capacity`.
    pub final_fill: f64,
    /// What fills the filesystem at its peak.
    pub at_peak: Components,
    /// Occupancy in each phase, in the plan's phase order.
    pub phase_bytes: Vec<u64>,
}

/// One plan's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanResult {
    /// Stable id.
    pub id: PlanId,
    /// Whether the user has declared what the plan needs.
    pub available: bool,
    /// Why not, when not available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable_reason: Option<String>,
    /// No filesystem (and no external target) is short.
    pub fits: bool,
    /// The 6 cluster is kept until 7 is verified.
    pub keeps_rollback: bool,
    /// Where the backup goes in this plan.
    pub backup_target: String,
    /// The `--backup-dir` this plan uses, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_dir: Option<String>,
    /// Why the backup goes where it goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_location_reason: Option<String>,
    /// Who chose the backup location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_location_source: Option<LocationSource>,
    /// The phases, in order.
    pub phases: Vec<String>,
    /// What exists on the hosts during each phase, in the same order
    /// (`watch` infers the phase from what it finds on disk).
    pub phase_contents: Vec<PhaseContents>,
    /// The highest `peak / limit` over the filesystems.
    pub worst_peak_over_limit: f64,
    /// Sum of shortfalls over filesystems.
    pub total_shortfall_bytes: u64,
    /// Bytes the external target must hold (external-backup only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_required_bytes: Option<u64>,
    /// Every filesystem the plan touches, tightest first.
    pub filesystems: Vec<FsResult>,
    /// The ordered steps with exact commands.
    pub steps: Vec<Step>,
    /// What a reviewer must know.
    pub warnings: Vec<String>,
    /// Whether the steps carry commands: only a plan that fits and is
    /// available does (the others are prose, [`Self::not_runnable_reason`] says why).
    pub runnable: bool,
    /// Why the plan's steps carry no command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_runnable_reason: Option<String>,
    /// The plan deletes 6 before the restore and the pre-flight found (or
    /// could not check) items that make the restore on 7 fail: it may go
    /// ahead only after they are resolved (re-collected clean) or a
    /// metadata-only trial restore on a scratch 7 system is signed off.
    pub preflight_blocking: bool,
    /// How long the night is: phases on the critical path, outage, point of
    /// no return, back-out; `None` for a plan that is not available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<super::timeline::Timeline>,
}

impl PlanResult {
    /// A plan that could not be evaluated at all (e.g. a `--backup-dir` no
    /// measured filesystem holds): shown, never recommended.
    pub fn not_evaluable(id: PlanId, reason: String) -> Self {
        PlanResult {
            id,
            available: false,
            unavailable_reason: Some(reason),
            fits: false,
            keeps_rollback: id.keeps_rollback(),
            backup_target: String::new(),
            backup_dir: None,
            backup_location_reason: None,
            backup_location_source: None,
            phases: phases(id)
                .iter()
                .map(|p| p.name.name().to_string())
                .collect(),
            phase_contents: phases(id).iter().map(PhaseContents::from).collect(),
            worst_peak_over_limit: f64::INFINITY,
            total_shortfall_bytes: 0,
            external_required_bytes: None,
            filesystems: Vec::new(),
            steps: Vec::new(),
            warnings: Vec::new(),
            runnable: false,
            not_runnable_reason: None,
            preflight_blocking: false,
            timeline: None,
        }
    }

    /// The tightest filesystem, if the plan touches any.
    pub fn tightest(&self) -> Option<&FsResult> {
        self.filesystems.first()
    }

    /// A plan that does not fit or is not available keeps its steps as
    /// prose only: no command a tired DBA could paste, each step saying why.
    pub fn withhold_commands_unless_runnable(&mut self) {
        let reason = if !self.available {
            format!(
                "not runnable: not available ({})",
                self.unavailable_reason.as_deref().unwrap_or("see the plan")
            )
        } else if !self.fits {
            let worst = self
                .filesystems
                .iter()
                .filter(|f| f.shortfall_bytes > 0)
                .max_by_key(|f| f.shortfall_bytes);
            match worst {
                Some(f) => format!(
                    "not runnable: does not fit, short by {} in all ({} on {}:{})",
                    crate::units::human(self.total_shortfall_bytes),
                    crate::units::human(f.shortfall_bytes),
                    f.host,
                    f.mount
                ),
                None => "not runnable: does not fit (the external target is too small)".into(),
            }
        } else {
            return;
        };
        self.runnable = false;
        for st in &mut self.steps {
            st.commands.clear();
            st.note = Some(match st.note.take() {
                Some(n) => format!("{reason}; {n}"),
                None => reason.clone(),
            });
        }
        self.not_runnable_reason = Some(reason);
    }
}

/// Every filesystem the plan touches, its bytes in each phase, its peak and
/// limit; tightest first.
fn filesystem_results(
    fp: &Footprint,
    placed: &[u64],
    trial: &[u64],
    phases: &[PhaseState],
    opts: &PlanOptions,
) -> Vec<FsResult> {
    let mut filesystems = Vec::new();
    for (idx, slot) in fp.fs.iter().enumerate() {
        let today = fp.today[idx];
        let new = fp.new[idx];
        let backup_here = placed[idx];
        let touched = [
            today.old_primary,
            today.old_mirror,
            today.growth,
            backup_here,
            new.primary,
            new.mirror,
            new.primary_overhead,
            new.mirror_overhead,
        ]
        .iter()
        .any(|b| *b > 0);
        if !touched {
            continue;
        }
        let state_of = |p: &PhaseState| Components {
            other: today.other,
            old_primary: if p.old { today.old_primary } else { 0 },
            old_mirror: if p.old { today.old_mirror } else { 0 },
            growth: if p.old { today.growth } else { 0 },
            backup: if p.backup {
                backup_here
            } else if p.trial {
                trial[idx]
            } else {
                0
            },
            new_primary: if p.new_primary { new.primary } else { 0 },
            new_mirror: if p.new_mirror { new.mirror } else { 0 },
            overhead: if p.primary_overhead {
                new.primary_overhead
            } else {
                0
            }
            .saturating_add(if p.mirror_overhead {
                new.mirror_overhead
            } else {
                0
            }),
        };
        let states: Vec<Components> = phases.iter().map(state_of).collect();
        let phase_bytes: Vec<u64> = states.iter().map(Components::total).collect();
        let (peak_i, peak) =
            phase_bytes.iter().enumerate().fold(
                (0, 0u64),
                |best, (i, &b)| if b > best.1 { (i, b) } else { best },
            );
        let capacity = slot.capacity_bytes();
        let limit = (opts.max_fill * capacity as f64).floor() as u64;
        let final_bytes = *phase_bytes.last().unwrap_or(&0);
        filesystems.push(FsResult {
            host: slot.host.clone(),
            mount: slot.mount.clone(),
            total_bytes: slot.total_bytes,
            capacity_bytes: capacity,
            used_bytes: slot.used_bytes,
            limit_bytes: limit,
            peak_bytes: peak,
            peak_phase: phases[peak_i].name.name().to_string(),
            shortfall_bytes: peak.saturating_sub(limit),
            peak_over_limit: ratio(peak, limit),
            final_bytes,
            final_fill: ratio(final_bytes, capacity),
            at_peak: states[peak_i],
            phase_bytes,
        });
    }
    filesystems.sort_by(|a, b| {
        b.peak_over_limit
            .total_cmp(&a.peak_over_limit)
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| a.mount.cmp(&b.mount))
    });
    filesystems
}

/// What a reviewer must know about a plan beyond its numbers: fill after the
/// upgrade, metadata on an unmeasured filesystem, one backup path per host,
/// and each plan's own risks.
fn review_warnings(
    fp: &Footprint,
    opts: &PlanOptions,
    backup: &BackupEstimate,
    id: PlanId,
    target: &BackupTarget,
    steps_ctx: &StepContext,
    filesystems: &[FsResult],
) -> Vec<String> {
    let mut warnings = Vec::new();
    let above: Vec<&FsResult> = filesystems
        .iter()
        .filter(|f| f.final_fill > opts.warn_fill)
        .collect();
    if let Some(top) = above
        .iter()
        .max_by(|a, b| a.final_fill.total_cmp(&b.final_fill))
    {
        warnings.push(format!(
            "{} filesystem(s) above {:.0}% after the upgrade (capacity guidance: run at {:.0}% or lower); fullest {}:{} at {:.0}%",
            above.len(),
            opts.warn_fill * 100.0,
            super::options::WARN_FILL * 100.0,
            top.host,
            top.mount,
            top.final_fill * 100.0
        ));
    }
    let metadata_dir = match (id, target) {
        (PlanId::DirectCopy, _) => steps_ctx.trial_dir.as_deref(),
        (_, BackupTarget::Dir(d)) if id.stages_backup_on_hosts() => Some(d.as_str()),
        _ => None,
    };
    if let Some(host) = metadata_dir.and_then(|d| fp.coordinator_misses(d)) {
        warnings.push(format!(
            "no measured filesystem of the coordinator {host} holds {}: the backup metadata written there ({}) is not counted; collect with --extra-path {} to measure it",
            metadata_dir.unwrap_or_default(),
            crate::units::human(backup.metadata_bytes.saturating_mul(2)),
            metadata_dir.unwrap_or_default()
        ));
    }
    if let (BackupTarget::Dir(dir), true) = (target, id.stages_backup_on_hosts()) {
        let several = fp.hosts_with_several_data_filesystems();
        if let Some((h, n)) = several.first() {
            warnings.push(format!(
                "--backup-dir {dir} is one path on every host: each host's whole backup lands on one filesystem although its primaries use {n} (e.g. {h}; {} host(s) affected)",
                several.len()
            ));
        }
    }
    if id == PlanId::SideBySide {
        warnings.push(
            "6 and 7 run on the same hosts at once: the 7 layout (gpinitsystem_input_7) gives every 7 instance its own port and data directory; check those ports are free on every host".into(),
        );
    }
    if matches!(
        id,
        PlanId::DeleteAndReinit | PlanId::DeleteAndReinitMirrorless
    ) {
        warnings.push(
            "no rollback: after gpdeletesystem the backup is the only copy of the data; do a --metadata-only trial restore on a 7 test system first".into(),
        );
    }
    if id == PlanId::DeleteAndReinitMirrorless {
        warnings.push(
            "the 7 cluster runs without mirrors until gpaddmirrors completes: a segment host failure in that window loses data".into(),
        );
    }
    if id == PlanId::DirectCopy {
        warnings.push(
            "both clusters run at once during the copy: plan memory and ports for both".into(),
        );
    }
    warnings
}

/// Evaluates one plan with a given backup target. Availability is decided by
/// the caller; this only does the arithmetic, steps and warnings.
pub fn evaluate(
    fp: &Footprint,
    opts: &PlanOptions,
    backup: &BackupEstimate,
    id: PlanId,
    target: &BackupTarget,
    steps_ctx: &StepContext,
) -> Result<PlanResult, ModelError> {
    let ext = &opts.external_kind;
    let placed = match id {
        // No staged backup: only the metadata-only trial's files, on the coordinator.
        PlanId::DirectCopy => {
            let mut v = vec![0u64; fp.fs.len()];
            if let Some(idx) = match &steps_ctx.trial_dir {
                Some(d) => fp.coordinator_fs_of(d)?,
                None => fp.coordinator_fs.as_ref().map(|(_, i)| *i),
            } {
                v[idx] = v[idx].saturating_add(backup.metadata_bytes);
            }
            v
        }
        PlanId::ExternalBackup => fp.place_backup(&BackupTarget::External, ext, backup)?,
        _ => fp.place_backup(target, ext, backup)?,
    };
    // The metadata-only trial's share of what lands on each filesystem: the
    // coordinator's metadata, once (placement counts it twice: trial and real).
    let trial: Vec<u64> = if id == PlanId::DirectCopy {
        vec![0; fp.fs.len()]
    } else {
        let mut meta_only = backup.clone();
        meta_only.compressed_bytes = 0;
        for c in &mut meta_only.per_content {
            c.compressed_bytes = 0;
        }
        let t = if id == PlanId::ExternalBackup {
            &BackupTarget::External
        } else {
            target
        };
        fp.place_backup(t, ext, &meta_only)?
            .into_iter()
            .map(|b| b / 2)
            .collect()
    };
    let phases = phases(id);
    let filesystems = filesystem_results(fp, &placed, &trial, phases, opts);
    let total_shortfall_bytes = filesystems
        .iter()
        .map(|f| f.shortfall_bytes)
        .saturating_sum();
    let worst = filesystems
        .first()
        .map(|f| f.peak_over_limit)
        .unwrap_or(0.0);

    let mut warnings = Vec::new();
    let mut external_required_bytes = None;
    let mut fits = total_shortfall_bytes == 0;
    let external = id == PlanId::ExternalBackup || *target == BackupTarget::External;
    if external && id != PlanId::DirectCopy {
        let need = backup.compressed_bytes;
        external_required_bytes = Some(need);
        if let Some(cap) = opts.external_capacity
            && need > cap
        {
            fits = false;
            warnings.push(format!(
                "the external target holds {} but the backup needs {}: short by {}",
                crate::units::human(cap),
                crate::units::human(need),
                crate::units::human(need - cap)
            ));
        }
    }
    warnings.extend(review_warnings(
        fp,
        opts,
        backup,
        id,
        target,
        steps_ctx,
        &filesystems,
    ));

    let backup_dir = match target {
        BackupTarget::Dir(d) if id.stages_backup_on_hosts() => Some(d.clone()),
        _ => None,
    };
    let location = match (id, target) {
        (PlanId::DirectCopy, _) => BackupLocation::None,
        (PlanId::ExternalBackup, _) | (_, BackupTarget::External) => {
            BackupLocation::External(opts.external_kind.clone())
        }
        (_, BackupTarget::Dir(d)) => BackupLocation::HostDir(d.clone()),
        (_, BackupTarget::Default) => BackupLocation::None,
    };
    let backup_target = match &location {
        BackupLocation::None if id == PlanId::DirectCopy => "none (copied directly)".to_string(),
        BackupLocation::None => "none chosen".to_string(),
        BackupLocation::External(k) => format!("external: {}", k.label()),
        BackupLocation::HostDir(d) => format!("--backup-dir {d}"),
    };
    Ok(PlanResult {
        id,
        available: true,
        unavailable_reason: None,
        fits,
        keeps_rollback: id.keeps_rollback(),
        backup_target,
        backup_dir: backup_dir.clone(),
        backup_location_reason: None,
        backup_location_source: None,
        phases: phases.iter().map(|p| p.name.name().to_string()).collect(),
        phase_contents: phases.iter().map(PhaseContents::from).collect(),
        worst_peak_over_limit: worst,
        total_shortfall_bytes,
        external_required_bytes,
        filesystems,
        steps: plan_steps(id, steps_ctx, opts, &location),
        warnings,
        runnable: true,
        not_runnable_reason: None,
        preflight_blocking: false,
        timeline: None,
    })
}

/// `a / b`, with 0/0 = 0 and x/0 = infinity.
pub fn ratio(a: u64, b: u64) -> f64 {
    match (a, b) {
        (0, 0) => 0.0,
        (_, 0) => f64::INFINITY,
        _ => a as f64 / b as f64,
    }
}

/// The recommendation rule: among available plans that fit, prefer one that
/// keeps a rollback, then the lowest worst-filesystem peak.
pub fn recommend(plans: &[PlanResult]) -> Option<PlanId> {
    plans
        .iter()
        .filter(|p| p.available && p.fits)
        .min_by(|a, b| {
            b.keeps_rollback
                .cmp(&a.keeps_rollback)
                .then(a.worst_peak_over_limit.total_cmp(&b.worst_peak_over_limit))
        })
        .map(|p| p.id)
}

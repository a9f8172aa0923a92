//! One place per plan: its phases (what exists on the hosts during each),
//! where its backup may go, and its way back (whether 6 survives until 7 is
//! verified stays with [`PlanId`], which the runbook's steps read without
//! depending on this). The footprint (plans.rs), the `--what-if` matrix (whatif.rs),
//! the backup-directory search (mod.rs) and the time model (time_model.rs)
//! read it, so a new plan is declared here first.

use super::phase::{Phase, PlanId};

/// Where a plan may put its backup, for the `--what-if` matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A `--backup-dir` on the hosts' own filesystems.
    HostDir,
    /// The declared external target (plugin or shared directory).
    External,
}

/// How a plan gets back to a working 6 cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackOutKind {
    /// 6 is kept, frozen, until 7 is verified: point the applications back.
    RePoint,
    /// 6 is deleted first: unfreeze it before the point of no return; after
    /// it, initialize 6 again and restore the kept backup into it.
    ReinitAndRestore,
}

/// Everything that is particular to one plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanSpec {
    /// The plan.
    pub id: PlanId,
    /// The targets the `--what-if` matrix tries this plan with.
    pub what_if_targets: &'static [TargetKind],
    /// Its way back.
    pub back_out: BackOutKind,
}

/// Every plan's particulars, in [`PlanId::ALL`] order.
pub const SPECS: [PlanSpec; 5] = [
    PlanSpec {
        id: PlanId::SideBySide,
        what_if_targets: &[TargetKind::HostDir],
        back_out: BackOutKind::RePoint,
    },
    PlanSpec {
        id: PlanId::ExternalBackup,
        what_if_targets: &[TargetKind::External],
        back_out: BackOutKind::RePoint,
    },
    PlanSpec {
        id: PlanId::DirectCopy,
        what_if_targets: &[],
        back_out: BackOutKind::RePoint,
    },
    PlanSpec {
        id: PlanId::DeleteAndReinit,
        what_if_targets: &[TargetKind::HostDir, TargetKind::External],
        back_out: BackOutKind::ReinitAndRestore,
    },
    PlanSpec {
        id: PlanId::DeleteAndReinitMirrorless,
        what_if_targets: &[TargetKind::HostDir, TargetKind::External],
        back_out: BackOutKind::ReinitAndRestore,
    },
];

/// The particulars of plan `id`.
pub fn spec(id: PlanId) -> &'static PlanSpec {
    SPECS
        .iter()
        .find(|s| s.id == id)
        .expect("every plan has a spec")
}

/// The plans the `--what-if` matrix tries with a target of this kind.
pub fn what_if_plans(kind: TargetKind) -> Vec<PlanId> {
    SPECS
        .iter()
        .filter(|s| s.what_if_targets.contains(&kind))
        .map(|s| s.id)
        .collect()
}

/// Which parts of the footprint exist during one phase.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhaseState {
    pub(crate) name: Phase,
    pub(crate) old: bool,
    pub(crate) backup: bool,
    pub(crate) new_primary: bool,
    pub(crate) new_mirror: bool,
    pub(crate) primary_overhead: bool,
    pub(crate) mirror_overhead: bool,
    /// Only the metadata-only trial's files exist (before the backup runs).
    pub(crate) trial: bool,
}

const fn ph(
    name: Phase,
    old: bool,
    backup: bool,
    np: bool,
    nm: bool,
    op: bool,
    om: bool,
) -> PhaseState {
    PhaseState {
        name,
        old,
        backup,
        new_primary: np,
        new_mirror: nm,
        primary_overhead: op,
        mirror_overhead: om,
        trial: false,
    }
}

/// A phase before the backup but after the metadata-only trial, whose
/// files on the coordinator already exist.
const fn with_trial(p: PhaseState) -> PhaseState {
    PhaseState { trial: true, ..p }
}

/// The phases of a plan, in order, with what exists during each.
pub(crate) fn phases(id: PlanId) -> &'static [PhaseState] {
    const T: bool = true;
    const F: bool = false;
    // 7 is initialized before the write freeze (it does not need it), so
    // its catalog and WAL are there while the backup runs.
    const SIDE: &[PhaseState] = &[
        with_trial(ph(Phase::Init7, T, F, F, F, T, T)),
        ph(Phase::Backup, T, T, F, F, T, T),
        ph(Phase::Restore, T, T, T, T, T, T),
        ph(Phase::Verify, T, T, T, T, T, T),
        ph(Phase::DeleteBackupAnd6, F, F, T, T, T, T),
    ];
    const EXTERNAL: &[PhaseState] = &[
        with_trial(ph(Phase::Init7, T, F, F, F, T, T)),
        ph(Phase::BackupToExternal, T, T, F, F, T, T),
        ph(Phase::Restore, T, T, T, T, T, T),
        ph(Phase::Verify, T, T, T, T, T, T),
        ph(Phase::Delete6, F, F, T, T, T, T),
    ];
    // The backup column of a direct copy is the metadata-only trial's files.
    const DIRECT: &[PhaseState] = &[
        ph(Phase::Init7, T, T, F, F, T, T),
        ph(Phase::CopyTo7, T, T, T, T, T, T),
        ph(Phase::Verify, T, T, T, T, T, T),
        ph(Phase::Delete6, F, F, T, T, T, T),
    ];
    const DELETE: &[PhaseState] = &[
        ph(Phase::Backup, T, T, F, F, F, F),
        ph(Phase::Gpdeletesystem, F, T, F, F, F, F),
        ph(Phase::Init7, F, T, F, F, T, T),
        ph(Phase::Restore, F, T, T, T, T, T),
        ph(Phase::DeleteBackup, F, F, T, T, T, T),
    ];
    const MIRRORLESS: &[PhaseState] = &[
        ph(Phase::Backup, T, T, F, F, F, F),
        ph(Phase::Gpdeletesystem, F, T, F, F, F, F),
        ph(Phase::Init7WithoutMirrors, F, T, F, F, T, F),
        ph(Phase::Restore, F, T, T, F, T, F),
        ph(Phase::DeleteBackup, F, F, T, F, T, F),
        ph(Phase::Gpaddmirrors, F, F, T, T, T, T),
    ];
    match id {
        PlanId::SideBySide => SIDE,
        PlanId::ExternalBackup => EXTERNAL,
        PlanId::DirectCopy => DIRECT,
        PlanId::DeleteAndReinit => DELETE,
        PlanId::DeleteAndReinitMirrorless => MIRRORLESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_has_one_spec_in_display_order() {
        let ids: Vec<PlanId> = SPECS.iter().map(|s| s.id).collect();
        assert_eq!(ids, PlanId::ALL);
        for id in PlanId::ALL {
            // A plan that deletes 6 first has no 6 to re-point to.
            assert_eq!(
                id.keeps_rollback(),
                spec(id).back_out == BackOutKind::RePoint,
                "{id}"
            );
        }
        assert_eq!(
            what_if_plans(TargetKind::HostDir),
            [
                PlanId::SideBySide,
                PlanId::DeleteAndReinit,
                PlanId::DeleteAndReinitMirrorless
            ]
        );
    }
}

//! `--what-if`: the option matrix (codec × level × backup target, with and
//! without mirrors during restore) evaluated in parallel, to show which
//! combinations fit and which is the cheapest change from what was asked.

use rayon::prelude::*;
use serde::Serialize;

use super::backup::estimate_backup;
use super::footprint::{Footprint, backup_dir_candidates};
use super::options::{BackupTarget, Codec, Compression, PlanOptions};
use super::phase::{Phase, PlanId};
use super::plan_spec::{TargetKind, what_if_plans};
use super::plans::{evaluate, recommend};
use super::steps::StepContext;
use super::time_model::{Evidence, plan_timeline};
use crate::inventory::Inventory;

/// The codecs and levels the matrix tries.
pub const WHAT_IF_COMPRESSIONS: [(Codec, u32); 6] = [
    (Codec::Gzip, 1),
    (Codec::Gzip, 6),
    (Codec::Gzip, 9),
    (Codec::Zstd, 1),
    (Codec::Zstd, 3),
    (Codec::Zstd, 19),
];

/// One combination of options and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfRow {
    /// Codec and level.
    pub compression: String,
    /// Where the backup goes.
    pub backup_target: String,
    /// The plan the recommendation rule picks, if any fits.
    pub best_plan: Option<PlanId>,
    /// Whether any plan fits.
    pub fits: bool,
    /// Whether the best plan keeps a rollback.
    pub keeps_rollback: bool,
    /// The best plan's worst `peak / limit` (or the lowest over all plans when none fits).
    pub worst_peak_over_limit: f64,
    /// How many options differ from the ones given (0 = as asked).
    pub changes: u32,
    /// The plans tried and whether each fits.
    pub plans: Vec<(PlanId, bool)>,
    /// Seconds the busiest segment spends compressing its backup with this
    /// codec and level, when `--sample-rows` measured the codec's speed:
    /// the time a slower, smaller codec adds.
    pub compress_seconds: Option<u64>,
    /// Seconds of outage (write freeze to cutover) of the best plan with this
    /// codec and backup target, from the time model; `None` when nothing fits.
    pub outage_seconds: Option<u64>,
    /// Seconds the best plan's backup and restore phases take together.
    pub backup_restore_seconds: Option<u64>,
}

/// Evaluates the matrix; rows that fit come first, rollback-keeping before
/// destructive, then fewest changes, then lowest peak.
pub fn what_if(
    inv: &Inventory,
    opts: &PlanOptions,
    fp: &Footprint,
    steps_ctx: &StepContext,
) -> Vec<WhatIfRow> {
    // A host-local directory must lie outside both clusters and be read on the
    // same host by 7: the data directories themselves are no target.
    let mut targets = Vec::new();
    if fp.host_dir_unreadable_by_7().is_none() {
        if let Some(d) = &opts.backup_dir {
            targets.push(BackupTarget::Dir(d.clone()));
        }
        for (_, dir) in backup_dir_candidates(fp) {
            if fp.cluster_dir_containing(&dir).is_none()
                && opts.backup_dir.as_deref() != Some(dir.as_str())
            {
                targets.push(BackupTarget::Dir(dir));
            }
        }
    }
    if opts.external_capacity.is_some() {
        targets.push(BackupTarget::External);
    }
    let mut compressions: Vec<Compression> = WHAT_IF_COMPRESSIONS
        .iter()
        .map(|(c, l)| Compression {
            codec: *c,
            level: *l,
        })
        .collect();
    if !compressions.contains(&opts.compression) {
        compressions.insert(0, opts.compression);
    }
    let combos: Vec<(Compression, BackupTarget)> = compressions
        .iter()
        .flat_map(|c| targets.iter().map(move |t| (*c, t.clone())))
        .collect();
    let current_target = opts.host_backup_target();
    let evidence = Evidence::new(inv, &fp.new_instances, opts.rates);

    let mut rows: Vec<WhatIfRow> = combos
        .par_iter()
        .map(|(compression, target)| {
            let o = PlanOptions {
                compression: *compression,
                ..opts.clone()
            };
            let backup = estimate_backup(inv, &o);
            let ids: Vec<PlanId> = match target {
                BackupTarget::Default => Vec::new(),
                BackupTarget::Dir(_) => what_if_plans(TargetKind::HostDir),
                BackupTarget::External => what_if_plans(TargetKind::External),
            };
            let results: Vec<_> = ids
                .iter()
                .filter_map(|id| evaluate(fp, &o, &backup, *id, target, steps_ctx).ok())
                .collect();
            let best = recommend(&results);
            let best_result = best.and_then(|id| results.iter().find(|r| r.id == id));
            let worst = match best_result {
                Some(r) => r.worst_peak_over_limit,
                None => results
                    .iter()
                    .map(|r| r.worst_peak_over_limit)
                    .fold(f64::INFINITY, f64::min),
            };
            let timeline = best_result.map(|r| plan_timeline(r, &backup, &evidence));
            let changes =
                u32::from(*compression != opts.compression) + u32::from(*target != current_target);
            WhatIfRow {
                compression: compression.label(),
                backup_target: target.label(),
                best_plan: best,
                fits: best.is_some(),
                keeps_rollback: best_result.is_some_and(|r| r.keeps_rollback),
                worst_peak_over_limit: worst,
                changes,
                plans: results.iter().map(|r| (r.id, r.fits)).collect(),
                compress_seconds: backup.compression_seconds(),
                outage_seconds: timeline.as_ref().map(|t| t.outage.seconds),
                backup_restore_seconds: timeline.as_ref().map(|t| {
                    t.phases
                        .iter()
                        .filter(|p| {
                            matches!(
                                p.phase,
                                Phase::Backup | Phase::BackupToExternal | Phase::Restore
                            )
                        })
                        .map(|p| p.span.seconds)
                        .sum()
                }),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.fits
            .cmp(&a.fits)
            .then(b.keeps_rollback.cmp(&a.keeps_rollback))
            .then(a.changes.cmp(&b.changes))
            .then(a.worst_peak_over_limit.total_cmp(&b.worst_peak_over_limit))
    });
    rows
}

//! The capacity model (docs/design.md, "The model"): pure functions from an inventory and
//! plan options to a verdict. No I/O happens here.

pub mod backup;
pub mod durations;
pub mod error;
pub mod footprint;
pub mod layout;
pub mod layout_files;
pub mod options;
pub mod phase;
pub mod plan_spec;
pub mod plans;
pub mod preflight;
pub mod steps;
pub mod target;
pub mod time_model;
pub mod timeline;
pub mod whatif;

use serde::Serialize;

pub use backup::{BackupEstimate, estimate_backup};
pub use error::ModelError;
pub use footprint::{Components, Footprint, backup_dir_candidates};
pub use options::{BackupTarget, Codec, Compression, DirectCopyTool, MirrorMode, PlanOptions};
pub use phase::{Phase, PlanId};
pub use plans::{FsResult, PhaseContents, PlanResult, recommend};
pub use preflight::{Preflight, PreflightSummary, resource_groups_sql};
pub use whatif::WhatIfRow;

use crate::inventory::{HostStatus, InstanceKind, Inventory, Product};
use crate::units::SaturatingSum;
use steps::StepContext;
pub use steps::{Env, RunbookEnvironment, Step};

/// The answer, as the exit code reports it (docs/design.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A plan that keeps the 6 cluster as a rollback fits.
    Fits,
    /// Only a plan that deletes the 6 cluster first fits.
    FitsDestructive,
    /// No available plan fits.
    DoesNotFit,
    /// Something could not be measured: no verdict.
    Incomplete,
}

impl Verdict {
    /// The exit code for this verdict.
    pub fn exit_code(self) -> crate::error::ExitCode {
        use crate::error::ExitCode;
        match self {
            Verdict::Fits => ExitCode::Success,
            Verdict::FitsDestructive => ExitCode::OnlyDestructiveFits,
            Verdict::DoesNotFit => ExitCode::NothingFits,
            Verdict::Incomplete => ExitCode::Incomplete,
        }
    }

    /// The verdict as text.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::FitsDestructive => "fits-destructive",
            Verdict::DoesNotFit => "does-not-fit",
            Verdict::Incomplete => "incomplete",
        }
    }
}

/// The cluster in a few numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSummary {
    /// Product.
    pub product: Product,
    /// Version string.
    pub version: String,
    /// Coordinator host.
    pub coordinator: String,
    /// When measured.
    pub collected_at: String,
    /// Hosts listed.
    pub hosts: usize,
    /// Hosts that could not be measured.
    pub failed_hosts: usize,
    /// Hosts that hold a primary.
    pub segment_hosts: usize,
    /// Segment primaries.
    pub primaries: usize,
    /// Segment mirrors.
    pub mirrors: usize,
    /// Filesystems measured.
    pub filesystems: usize,
    /// Data bytes (base, global, tablespaces) of all segment primaries.
    pub primary_data_bytes: u64,
    /// Everything the 6 instances occupy, all roles.
    pub cluster_bytes: u64,
    /// User databases.
    pub databases: Vec<String>,
}

/// What the model assumed; printed so a reviewer can challenge it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumptions {
    /// Codec and level.
    pub compression: String,
    /// Highest allowed fill.
    pub max_fill: f64,
    /// Fill above which a warning is given after the upgrade.
    pub warn_fill: f64,
    /// Growth before the upgrade date.
    pub growth: f64,
    /// Catalog bytes per new instance.
    pub catalog_overhead_bytes: u64,
    /// WAL bytes per new instance.
    pub wal_overhead_bytes: u64,
    /// The 7 layout.
    pub layout: String,
    /// The user's `--backup-dir`.
    pub backup_dir: Option<String>,
    /// Declared external capacity.
    pub external_capacity_bytes: Option<u64>,
    /// Declared direct-copy tool.
    pub direct_copy_tool: Option<DirectCopyTool>,
    /// How the 7 cluster's size is derived.
    pub restore_sizing: String,
}

/// The guides' rule of thumb beside the model's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOfThumb {
    /// Data bytes of all primaries (the "original data set").
    pub primary_bytes: u64,
    /// 5 × primary bytes.
    pub five_x_bytes: u64,
    /// The model's total for the side-by-side path at its peak: old
    /// primaries and mirrors + growth + backup + new primaries and mirrors + overheads.
    pub model_required_bytes: u64,
    /// `model_required / five_x`.
    pub model_over_rule: f64,
    /// The plan the model figure is for.
    pub model_plan: PlanId,
}

/// One candidate `--backup-dir` from the search over common mount points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupDirCandidate {
    /// The mount point common to all segment hosts.
    pub mount: String,
    /// The directory that would be passed to `--backup-dir`.
    pub backup_dir: String,
    /// Whether side-by-side fits with it.
    pub side_by_side_fits: bool,
    /// Its worst `peak / limit`.
    pub side_by_side_worst: f64,
    /// Whether delete-and-reinit fits with it.
    pub delete_and_reinit_fits: bool,
    /// Its worst `peak / limit`.
    pub delete_and_reinit_worst: f64,
    /// Whether the mirrorless variant fits with it.
    pub mirrorless_fits: bool,
    /// Its worst `peak / limit`.
    pub mirrorless_worst: f64,
    /// Why it cannot be used, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
}

/// The full result: everything every report renders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// The verdict.
    pub verdict: Verdict,
    /// The plan to use, if any fits.
    pub recommended_plan: Option<PlanId>,
    /// The cluster in numbers.
    pub cluster: ClusterSummary,
    /// What was assumed.
    pub assumptions: Assumptions,
    /// The backup estimate.
    pub backup: BackupEstimate,
    /// The guides' 5× figure beside the model.
    pub rule_of_thumb: Option<RuleOfThumb>,
    /// Every plan, in display order.
    pub plans: Vec<PlanResult>,
    /// The search for a `--backup-dir` that makes delete-and-reinit fit.
    pub backup_dir_search: Vec<BackupDirCandidate>,
    /// Why no verdict could be given (empty when complete).
    pub incomplete: Vec<String>,
    /// Inventory-level warnings.
    pub warnings: Vec<String>,
    /// The `--what-if` matrix, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_if: Option<Vec<WhatIfRow>>,
    /// The environments and working directory every runbook step assumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<RunbookEnvironment>,
    /// The 7 layout every plan was sized for (host, port, data directory,
    /// dbid of each instance); `report --layout-dir` writes it as files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub new_layout: Vec<layout::NewInstance>,
    /// Every host of the inventory and the address it was reached at
    /// (`watch` connects to the same addresses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostAddress>,
    /// The 6 instances' data directories (`watch` sees them disappear).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub old_layout: Vec<OldInstance>,
    /// The pre-flight's findings and the gate a delete-first plan waits on
    /// (absent when the inventory has no pre-flight).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preflight: Option<Preflight>,
}

/// A host and the address collection reached it at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostAddress {
    /// Host name as the catalog knows it.
    pub name: String,
    /// Address to connect to (the name when the inventory has none).
    pub address: String,
}

/// One instance of the 6 cluster, where it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OldInstance {
    /// Content id (−1 for the coordinator and its standby).
    pub content: i32,
    /// `p` or `m`, as the catalog says today.
    pub role: char,
    /// Host.
    pub host: String,
    /// Data directory.
    pub datadir: String,
}

impl Estimate {
    /// The plan with id `id`.
    pub fn plan(&self, id: PlanId) -> Option<&PlanResult> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// The recommended plan's result.
    pub fn recommended(&self) -> Option<&PlanResult> {
        self.recommended_plan.and_then(|id| self.plan(id))
    }
}

/// Reasons the inventory cannot support a verdict (empty when it can).
pub fn incompleteness(inv: &Inventory) -> Vec<String> {
    let mut out = Vec::new();
    for h in inv.hosts.iter().filter(|h| h.status == HostStatus::Failed) {
        out.push(format!(
            "host {}: not measured: {}",
            h.name,
            h.error.as_deref().unwrap_or("unknown error")
        ));
    }
    // One map, not a scan of the host list per instance: this runs on 80,000 instances.
    let status: std::collections::HashMap<&str, HostStatus> = inv
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.status))
        .collect();
    for i in &inv.instances {
        let host_failed = status
            .get(i.host.as_str())
            .is_none_or(|s| *s == HostStatus::Failed);
        if host_failed {
            continue;
        }
        if i.bytes.is_none() {
            out.push(format!(
                "instance {}: not measured{}",
                i.label(),
                i.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
        for t in i.tablespaces.iter().filter(|t| t.bytes.is_none()) {
            out.push(format!(
                "instance {}: tablespace {} at {} not measured",
                i.label(),
                t.oid,
                t.location
            ));
        }
    }
    if let Some(c) = &inv.composition {
        for n in &c.not_measured {
            out.push(match &n.table {
                Some(t) => format!(
                    "table {}.{t}: not measured: {} (pass --exclude-database {} to leave the whole database out on purpose)",
                    n.database, n.reason, n.database
                ),
                None => format!(
                    "database {}: not measured: {} (pass --exclude-database {} to leave it out on purpose)",
                    n.database, n.reason, n.database
                ),
            });
        }
    }
    out
}

fn summarize(inv: &Inventory) -> ClusterSummary {
    let primaries: Vec<_> = inv
        .instances
        .iter()
        .filter(|i| i.kind() == InstanceKind::Primary)
        .collect();
    let mut seg_hosts: Vec<&str> = primaries.iter().map(|i| i.host.as_str()).collect();
    seg_hosts.sort();
    seg_hosts.dedup();
    ClusterSummary {
        product: inv.source.product,
        version: inv.source.version.clone(),
        coordinator: inv.source.coordinator.clone(),
        collected_at: inv.source.collected_at.clone(),
        hosts: inv.hosts.len(),
        failed_hosts: inv
            .hosts
            .iter()
            .filter(|h| h.status == HostStatus::Failed)
            .count(),
        segment_hosts: seg_hosts.len(),
        primaries: primaries.len(),
        mirrors: inv
            .instances
            .iter()
            .filter(|i| i.kind() == InstanceKind::Mirror)
            .count(),
        filesystems: inv.hosts.iter().map(|h| h.filesystems.len()).sum(),
        // A single PostgreSQL instance is its own data set.
        primary_data_bytes: if inv.is_single_instance() {
            inv.coordinator().and_then(|c| c.data_bytes()).unwrap_or(0)
        } else {
            primaries
                .iter()
                .filter_map(|i| i.data_bytes())
                .saturating_sum()
        },
        cluster_bytes: inv
            .instances
            .iter()
            .filter_map(|i| i.total_bytes())
            .saturating_sum(),
        databases: inv
            .composition
            .as_ref()
            .map(|c| c.databases.iter().map(|d| d.name.clone()).collect())
            .unwrap_or_default(),
    }
}

fn assumptions(opts: &PlanOptions) -> Assumptions {
    Assumptions {
        compression: opts.compression.label(),
        max_fill: opts.max_fill,
        warn_fill: opts.warn_fill,
        growth: opts.growth,
        catalog_overhead_bytes: opts.catalog_overhead_bytes,
        wal_overhead_bytes: opts.wal_overhead_bytes,
        layout: match &opts.target {
            None => "same hosts, same segments, new data directories on the same filesystems as the 6 ones".into(),
            Some(t) => format!(
                "{} ({} host(s) × {} primaries, {}, {} mirroring)",
                t.path,
                t.hosts.len(),
                t.data_directories.len(),
                if t.mirror_data_directories.is_empty() { "no mirrors" } else { "mirrored" },
                match opts.mirror_mode {
                    MirrorMode::Group => "group",
                    MirrorMode::Spread => "spread",
                }
            ),
        },
        backup_dir: opts.backup_dir.clone(),
        external_capacity_bytes: opts.external_capacity,
        direct_copy_tool: opts.direct_copy_tool,
        restore_sizing: "each 7 instance holds its content's data (base, global, tablespaces) as measured × growth: indexes are rebuilt by the restore so they count; bloat the restore sheds is not credited (conservative); plus catalog and WAL overheads per instance".into(),
    }
}

/// Runs the whole model: every plan, the backup-dir search, the
/// recommendation, the verdict, and (when `what_if`) the option matrix.
///
/// Returns `Err` only for an option that cannot be applied to this inventory
/// (e.g. a target layout naming an unmeasured host).
pub fn estimate(
    inv: &Inventory,
    opts: &PlanOptions,
    inventory_warnings: &[String],
    what_if: bool,
) -> Result<Estimate, ModelError> {
    let cluster = summarize(inv);
    let backup = estimate_backup(inv, opts);
    let incomplete = incompleteness(inv);
    let mut warnings: Vec<String> = inventory_warnings.to_vec();
    if let Some(c) = &inv.composition {
        for d in &c.excluded_databases {
            warnings.push(format!(
                "database {d} was left out on purpose (--exclude-database): its data is in no figure here and it is not backed up by these commands"
            ));
        }
        warnings.extend(c.notes.iter().cloned());
    }
    if !incomplete.is_empty() {
        // No plan arithmetic on a partial measurement: that would understate the need.
        return Ok(Estimate {
            verdict: Verdict::Incomplete,
            recommended_plan: None,
            cluster,
            assumptions: assumptions(opts),
            backup,
            rule_of_thumb: None,
            plans: Vec::new(),
            backup_dir_search: Vec::new(),
            incomplete,
            warnings,
            what_if: None,
            environment: None,
            new_layout: Vec::new(),
            hosts: Vec::new(),
            old_layout: Vec::new(),
            preflight: preflight::preflight(inv),
        });
    }

    let fp = Footprint::build(inv, opts)?;
    steps::check_inputs(inv, opts, &fp.new_instances)?;
    let mut steps_ctx = StepContext::new(inv, opts, &fp.new_instances);
    let pf = preflight::preflight(inv);
    if let Some(p) = &pf {
        let s = &p.summary;
        steps_ctx.preflight_blocking = s
            .blocking_items
            .iter()
            .chain(&s.not_checked_failing)
            .cloned()
            .collect();
        steps_ctx.resource_groups_sql = p.resource_groups_sql.is_some();
    } else {
        steps_ctx.preflight_blocking =
            vec!["pre-flight not run (collect with this version)".into()];
    }
    steps_ctx.backup_bytes = backup
        .compressed_bytes
        .saturating_add(backup.metadata_bytes);
    steps_ctx.trial_dir = opts.backup_dir.clone().or_else(|| {
        backup_dir_candidates(&fp)
            .into_iter()
            .map(|(_, d)| d)
            .find(|d| fp.cluster_dir_containing(d).is_none())
    });
    if let (Some(tool), product) = (opts.direct_copy_tool, inv.source.product) {
        let expected = match product {
            Product::Greenplum => Some(DirectCopyTool::Gpcopy),
            Product::Warehousepg => Some(DirectCopyTool::WhpgCopy),
            Product::Postgresql => None,
        };
        if expected.is_some_and(|e| e != tool) {
            warnings.push(format!(
                "{} is declared, but {} is the direct-copy tool licensed for {}",
                tool.command(),
                expected.unwrap().command(),
                product.display_name()
            ));
        }
    }
    if inv.is_single_instance() {
        warnings.push("single-instance PostgreSQL inventory: the plans and commands are Greenplum's; use the figures, not the commands".into());
    }

    // Both clusters run at once in the plans that keep a rollback: a 7 port a
    // 6 instance on the same host already uses would stop gpinitsystem.
    let used: std::collections::HashSet<(&str, u16)> = inv
        .instances
        .iter()
        .map(|i| (i.host.as_str(), i.port))
        .collect();
    if let Some(n) = fp
        .new_instances
        .iter()
        .find(|n| used.contains(&(n.host.as_str(), n.port)))
    {
        warnings.push(format!(
            "the 7 layout gives {} port {} on {}, which a 6 instance there uses: 6 and 7 cannot run side by side with it (change PORT_BASE, MIRROR_PORT_BASE or COORDINATOR_PORT)",
            n.datadir, n.port, n.host
        ));
    }
    let (search, best) = search_backup_dirs(&fp, opts, &backup, &steps_ctx);
    let mut plans_out = Vec::new();
    for id in PlanId::ALL {
        let result = plan_with_location(id, &fp, opts, &backup, &steps_ctx, &best)
            .unwrap_or_else(|e| PlanResult::not_evaluable(id, e.to_string()));
        plans_out.push(result);
    }

    // A plan that deletes 6 before the restore waits on the pre-flight.
    if pf.as_ref().is_some_and(|p| p.summary.blocks_delete_first()) {
        for p in plans_out.iter_mut().filter(|p| !p.keeps_rollback) {
            p.preflight_blocking = true;
        }
    }
    let evidence = time_model::Evidence::new(inv, &fp.new_instances, opts.rates);
    for p in &mut plans_out {
        p.withhold_commands_unless_runnable();
        if p.available {
            p.timeline = Some(time_model::plan_timeline(p, &backup, &evidence));
        }
    }
    let recommended = recommend(&plans_out);
    let verdict = match recommended.and_then(|id| plans_out.iter().find(|p| p.id == id)) {
        Some(p) if p.keeps_rollback => Verdict::Fits,
        Some(_) => Verdict::FitsDestructive,
        None => Verdict::DoesNotFit,
    };

    let rule_of_thumb = {
        let side = plans_out.iter().find(|p| p.id == PlanId::SideBySide);
        let restore_i = 2; // "restore" in side-by-side's phases
        let model: u64 = side
            .map(|p| {
                p.filesystems
                    .iter()
                    .map(|f| f.phase_bytes[restore_i].saturating_sub(f.at_peak.other))
                    .saturating_sum()
            })
            .unwrap_or(0);
        let primary = cluster.primary_data_bytes;
        // A side-by-side that could not be evaluated has no figure to set beside the rule.
        side.filter(|p| !p.filesystems.is_empty())
            .map(|_| RuleOfThumb {
                primary_bytes: primary,
                five_x_bytes: primary.saturating_mul(5),
                model_required_bytes: model,
                model_over_rule: plans::ratio(model, primary.saturating_mul(5)),
                model_plan: PlanId::SideBySide,
            })
    };

    let what_if_rows = if what_if {
        Some(whatif::what_if(inv, opts, &fp, &steps_ctx))
    } else {
        None
    };

    Ok(Estimate {
        verdict,
        recommended_plan: recommended,
        cluster,
        assumptions: assumptions(opts),
        backup,
        rule_of_thumb,
        plans: plans_out,
        backup_dir_search: search,
        incomplete,
        warnings,
        what_if: what_if_rows,
        environment: Some(steps_ctx.env.clone()),
        new_layout: fp.new_instances.clone(),
        hosts: inv
            .hosts
            .iter()
            .map(|h| HostAddress {
                name: h.name.clone(),
                address: h.address.clone().unwrap_or_else(|| h.name.clone()),
            })
            .collect(),
        old_layout: inv
            .instances
            .iter()
            .map(|i| OldInstance {
                content: i.content,
                role: if i.role == crate::inventory::Role::Primary {
                    'p'
                } else {
                    'm'
                },
                host: i.host.clone(),
                datadir: i.datadir.clone(),
            })
            .collect(),
        preflight: pf,
    })
}

/// Tries every candidate `--backup-dir` (a directory on each mount common to
/// all segment hosts, outside both clusters) for the host-local plans, and
/// keeps each plan's best: fits first, then the lowest worst peak.
fn search_backup_dirs(
    fp: &Footprint,
    opts: &PlanOptions,
    backup: &BackupEstimate,
    ctx: &StepContext,
) -> (Vec<BackupDirCandidate>, Vec<(PlanId, PlanResult)>) {
    let mut search = Vec::new();
    let mut best: Vec<(PlanId, PlanResult)> = Vec::new();
    let unreadable = fp.host_dir_unreadable_by_7();
    for (mount, dir) in backup_dir_candidates(fp) {
        let mut cand = BackupDirCandidate {
            mount: mount.clone(),
            backup_dir: dir.clone(),
            side_by_side_fits: false,
            side_by_side_worst: 0.0,
            delete_and_reinit_fits: false,
            delete_and_reinit_worst: 0.0,
            mirrorless_fits: false,
            mirrorless_worst: 0.0,
            rejected: None,
        };
        if let Some((h, d)) = fp.cluster_dir_containing(&dir) {
            cand.rejected = Some(format!("inside cluster directory {h}:{d}"));
        } else if let Some(why) = &unreadable {
            cand.rejected = Some(why.clone());
        }
        if cand.rejected.is_some() {
            search.push(cand);
            continue;
        }
        let target = BackupTarget::Dir(dir.clone());
        for id in plan_spec::what_if_plans(plan_spec::TargetKind::HostDir) {
            match plans::evaluate(fp, opts, backup, id, &target, ctx) {
                Ok(p) => {
                    let slot = match id {
                        PlanId::SideBySide => {
                            (&mut cand.side_by_side_fits, &mut cand.side_by_side_worst)
                        }
                        PlanId::DeleteAndReinit => (
                            &mut cand.delete_and_reinit_fits,
                            &mut cand.delete_and_reinit_worst,
                        ),
                        _ => (&mut cand.mirrorless_fits, &mut cand.mirrorless_worst),
                    };
                    (*slot.0, *slot.1) = (p.fits, p.worst_peak_over_limit);
                    let better = match best.iter().find(|(b, _)| *b == id) {
                        None => true,
                        Some((_, c)) => {
                            (p.fits, -p.worst_peak_over_limit) > (c.fits, -c.worst_peak_over_limit)
                        }
                    };
                    if better {
                        best.retain(|(b, _)| *b != id);
                        best.push((id, p));
                    }
                }
                Err(e) => cand.rejected = Some(e.to_string()),
            }
        }
        search.push(cand);
    }
    (search, best)
}

/// One plan evaluated where its backup really goes, with the reason; marked
/// not available when the user has not declared what it needs.
fn plan_with_location(
    id: PlanId,
    fp: &Footprint,
    opts: &PlanOptions,
    backup: &BackupEstimate,
    ctx: &StepContext,
    best: &[(PlanId, PlanResult)],
) -> Result<PlanResult, ModelError> {
    let eval = |target: &BackupTarget| plans::evaluate(fp, opts, backup, id, target, ctx);
    let unavailable = |reason: String| -> Result<PlanResult, ModelError> {
        let mut p = eval(&BackupTarget::Default)?;
        p.available = false;
        p.unavailable_reason = Some(reason);
        Ok(p)
    };
    let with_reason = |mut p: PlanResult, source: plans::LocationSource, reason: String| {
        p.backup_location_source = Some(source);
        p.backup_location_reason = Some(reason);
        p
    };
    let external_reason = || match &opts.external_kind {
        options::ExternalKind::Plugin(f) => format!(
            "the declared external target is a storage plugin ({f}): the data streams off the hosts and gprestore reads it through the same plugin"
        ),
        options::ExternalKind::Dir(d) => format!(
            "the declared external target is the shared directory {d}, mounted on every host: gpbackup and gprestore both name it with --backup-dir"
        ),
    };
    Ok(match id {
        PlanId::ExternalBackup => {
            let mut p = with_reason(
                eval(&BackupTarget::External)?,
                plans::LocationSource::External,
                external_reason(),
            );
            if opts.external_capacity.is_none() {
                p.available = false;
                p.unavailable_reason = Some(
                    "needs --external-capacity (with --plugin-config FILE or --external-dir PATH)"
                        .into(),
                );
            }
            p
        }
        PlanId::DirectCopy => match opts.direct_copy_tool {
            None => unavailable(
                "needs --direct-copy-tool gpcopy|whpg-copy (separately licensed)".into(),
            )?,
            Some(_) => eval(&BackupTarget::Default)?,
        },
        _ if id != PlanId::SideBySide && opts.backup_dir.is_none() && opts.external_capacity.is_some() => {
            with_reason(
                eval(&BackupTarget::External)?,
                plans::LocationSource::External,
                external_reason(),
            )
        }
        _ => match &opts.backup_dir {
            Some(dir) => {
                if let Some((h, d)) = fp.cluster_dir_containing(dir) {
                    unavailable(format!(
                        "--backup-dir {dir} is inside cluster directory {h}:{d}: gpdeletesystem deletes it, gpinitsystem may collide with it, and gprestore on 7 must read it from outside both clusters"
                    ))?
                } else if let Some(why) = fp.host_dir_unreadable_by_7() {
                    unavailable(why)?
                } else {
                    with_reason(
                        eval(&BackupTarget::Dir(dir.clone()))?,
                        plans::LocationSource::Given,
                        format!(
                            "--backup-dir {dir} as given: outside every 6 and 7 data and tablespace directory, so gprestore on 7 reads it and gpdeletesystem leaves it; each host's whole backup lands on the filesystem holding it"
                        ),
                    )
                }
            }
            None => match best.iter().find(|(b, _)| *b == id) {
                Some((_, p)) => {
                    let dir = p.backup_dir.clone().unwrap_or_default();
                    with_reason(
                        p.clone(),
                        plans::LocationSource::Searched,
                        format!(
                            "no --backup-dir was given: {dir} was chosen by trying a directory on every mount common to all segment hosts (outside both clusters: gprestore on 7 cannot read a backup inside the 6 data directories) and keeping the lowest peak; pass --backup-dir to decide"
                        ),
                    )
                }
                None => unavailable(match fp.host_dir_unreadable_by_7() {
                    Some(why) => why,
                    None => "needs --backup-dir outside every 6 and 7 data and tablespace directory (gprestore on 7 does not read the 6 data directories, and gpdeletesystem deletes them), and no mount common to all segment hosts offers one".into(),
                })?,
            },
        },
    })
}

#[cfg(test)]
mod tests;

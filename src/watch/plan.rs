//! The plan `watch` follows, read back from what `estimate --format json` or
//! `report --json` wrote. Only the fields watch needs are read; everything
//! else in the file is ignored, so a newer estimate file still loads.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::InputError;
use crate::inventory::InstanceKind;
use crate::model::{Phase, PlanId};

pub use crate::model::PhaseContents;

/// One filesystem of the plan and what the plan says it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedFilesystem {
    /// Host name.
    pub host: String,
    /// Mount point.
    pub mount: String,
    /// Used bytes when the cluster was measured.
    pub measured_used_bytes: u64,
    /// The most the plan lets it hold (`--max-fill` of used + available).
    pub limit_bytes: u64,
    /// The plan's highest bytes over all phases.
    pub peak_bytes: u64,
    /// The phase of that peak.
    pub peak_phase: String,
    /// The plan's bytes at the end of each phase, in phase order.
    pub phase_bytes: Vec<u64>,
}

impl PlannedFilesystem {
    /// `host:mount`, as every report names a filesystem.
    pub fn label(&self) -> String {
        format!("{}:{}", self.host, self.mount)
    }
}

/// One host to sample: where to connect, which filesystems to read, and the
/// directories whose presence tells the phase.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WatchedHost {
    /// Host name.
    pub name: String,
    /// Address to connect to.
    pub address: String,
    /// Indexes into [`WatchPlan::filesystems`] of this host's filesystems.
    pub filesystems: Vec<usize>,
    /// 6 data directories on this host.
    pub old_dirs: Vec<String>,
    /// 7 coordinator and primary data directories on this host.
    pub new_primary_dirs: Vec<String>,
    /// 7 standby and mirror data directories on this host.
    pub new_mirror_dirs: Vec<String>,
    /// The plan's host-local backup directory, if it stages one.
    pub backup_dir: Option<String>,
}

/// Everything `watch` needs from an estimate, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchPlan {
    /// The plan's id (`side-by-side`, …).
    pub plan_id: PlanId,
    /// The phases with what exists during each.
    pub phases: Vec<PhaseContents>,
    /// Every filesystem of the plan, tightest first (the estimate's order).
    pub filesystems: Vec<PlannedFilesystem>,
    /// Every host that has a filesystem in the plan.
    pub hosts: Vec<WatchedHost>,
    /// The fill at which the estimate warns (`warn_fill`).
    pub warn_fill: f64,
    /// Each phase's planned duration in seconds, from the plan's timeline
    /// (all `None` when the estimate has none).
    pub phase_seconds: Vec<Option<u64>>,
}

impl WatchPlan {
    /// The index of the phase named `name` (case-insensitive), or given by its
    /// 1-based number.
    pub fn phase_index(&self, name: &str) -> Option<usize> {
        let want = name.trim().to_lowercase();
        if let Ok(n) = want.parse::<usize>()
            && (1..=self.phases.len()).contains(&n)
        {
            return Some(n - 1);
        }
        self.phases
            .iter()
            .position(|p| p.phase.to_lowercase() == want)
    }

    /// The phase names, for messages.
    pub fn phase_names(&self) -> String {
        self.phases
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{} \"{}\"", i + 1, p.phase))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Deserialize)]
struct EstimateFile {
    recommended_plan: Option<PlanId>,
    plans: Vec<PlanFile>,
    #[serde(default)]
    hosts: Vec<HostFile>,
    #[serde(default)]
    old_layout: Vec<OldInstanceFile>,
    #[serde(default)]
    new_layout: Vec<NewInstanceFile>,
    #[serde(default)]
    assumptions: Option<AssumptionsFile>,
}

#[derive(Deserialize)]
struct AssumptionsFile {
    warn_fill: Option<f64>,
}

#[derive(Deserialize)]
struct PlanFile {
    id: PlanId,
    available: bool,
    phases: Vec<Phase>,
    #[serde(default)]
    phase_contents: Vec<PhaseContents>,
    #[serde(default)]
    backup_dir: Option<String>,
    #[serde(default)]
    filesystems: Vec<FsFile>,
    #[serde(default)]
    timeline: Option<crate::model::timeline::Timeline>,
}

#[derive(Deserialize)]
struct FsFile {
    host: String,
    mount: String,
    used_bytes: u64,
    limit_bytes: u64,
    peak_bytes: u64,
    peak_phase: Phase,
    phase_bytes: Vec<u64>,
}

#[derive(Deserialize)]
struct HostFile {
    name: String,
    address: String,
}

#[derive(Deserialize)]
struct OldInstanceFile {
    host: String,
    datadir: String,
}

#[derive(Deserialize)]
struct NewInstanceFile {
    kind: InstanceKind,
    host: String,
    datadir: String,
}

/// Reads the estimate at `path` and picks the plan to follow: `plan` when
/// given, else the recommended one.
pub fn load(path: &Path, plan: Option<&str>) -> Result<WatchPlan, InputError> {
    let text = crate::input::read_text(path, crate::input::MAX_DOCUMENT_BYTES)?;
    parse(&text, path, plan)
}

fn config_error(path: &Path, message: String) -> InputError {
    InputError::Config {
        path: path.to_path_buf(),
        line: 0,
        message,
    }
}

/// Parses estimate JSON text (see [`load`]).
pub fn parse(text: &str, path: &Path, plan: Option<&str>) -> Result<WatchPlan, InputError> {
    let file: EstimateFile = serde_json::from_str(text).map_err(|e| InputError::Syntax {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: format!(
            "{e} (watch reads the JSON that `estimate --format json` or `report --json` writes)"
        ),
    })?;
    let ids = || {
        file.plans
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen = match plan.or(file.recommended_plan.map(PlanId::as_str)) {
        Some(id) => file
            .plans
            .iter()
            .find(|p| p.id.as_str() == id)
            .ok_or_else(|| {
                config_error(
                    path,
                    format!("no plan \"{id}\" in the estimate (it has: {})", ids()),
                )
            })?,
        None => {
            return Err(config_error(
                path,
                format!(
                    "the estimate recommends no plan: name the one being carried out with --plan (one of: {})",
                    ids()
                ),
            ));
        }
    };
    if !chosen.available || chosen.filesystems.is_empty() {
        return Err(config_error(
            path,
            format!(
                "plan {} was not evaluated in this estimate (not available): nothing to watch",
                chosen.id
            ),
        ));
    }
    let phases = if chosen.phase_contents.len() == chosen.phases.len() {
        chosen.phase_contents.clone()
    } else {
        return Err(config_error(
            path,
            format!(
                "plan {} has no phase_contents: write the estimate again with this version of whpg-plan",
                chosen.id
            ),
        ));
    };
    let mut filesystems = Vec::new();
    for f in &chosen.filesystems {
        if f.phase_bytes.len() != phases.len() {
            return Err(config_error(
                path,
                format!(
                    "filesystem {}:{} has {} phase_bytes for {} phases",
                    f.host,
                    f.mount,
                    f.phase_bytes.len(),
                    phases.len()
                ),
            ));
        }
        filesystems.push(PlannedFilesystem {
            host: f.host.clone(),
            mount: f.mount.clone(),
            measured_used_bytes: f.used_bytes,
            limit_bytes: f.limit_bytes,
            peak_bytes: f.peak_bytes,
            peak_phase: f.peak_phase.name().to_string(),
            phase_bytes: f.phase_bytes.clone(),
        });
    }
    let addresses: BTreeMap<&str, &str> = file
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.address.as_str()))
        .collect();
    let mut hosts: Vec<WatchedHost> = Vec::new();
    for (i, f) in filesystems.iter().enumerate() {
        let h = match hosts.iter().position(|h| h.name == f.host) {
            Some(h) => h,
            None => {
                hosts.push(WatchedHost {
                    name: f.host.clone(),
                    address: addresses
                        .get(f.host.as_str())
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| f.host.clone()),
                    backup_dir: chosen.backup_dir.clone(),
                    ..WatchedHost::default()
                });
                hosts.len() - 1
            }
        };
        hosts[h].filesystems.push(i);
    }
    for h in &mut hosts {
        h.old_dirs = file
            .old_layout
            .iter()
            .filter(|i| i.host == h.name)
            .map(|i| i.datadir.clone())
            .collect();
        for i in file.new_layout.iter().filter(|i| i.host == h.name) {
            match i.kind {
                InstanceKind::Coordinator | InstanceKind::Primary => {
                    h.new_primary_dirs.push(i.datadir.clone())
                }
                InstanceKind::Standby | InstanceKind::Mirror => {
                    h.new_mirror_dirs.push(i.datadir.clone())
                }
            }
        }
    }
    // The timeline's durations by phase name (the timeline leaves out `prepare`).
    let phase_seconds = phases
        .iter()
        .map(|ph| {
            chosen.timeline.as_ref().and_then(|t| {
                t.phases
                    .iter()
                    .find(|pt| pt.phase.name() == ph.phase)
                    .map(|pt| pt.span.seconds)
            })
        })
        .collect();
    Ok(WatchPlan {
        phase_seconds,
        plan_id: chosen.id,
        phases,
        filesystems,
        hosts,
        warn_fill: file
            .assumptions
            .and_then(|a| a.warn_fill)
            .unwrap_or(crate::model::options::WARN_FILL),
    })
}

//! The review files `report` (and `estimate`) write: checked before any long
//! work, each written to a temporary name and renamed.

use std::path::{Path, PathBuf};

use super::charts;
use super::html::HtmlExporter;
use super::markdown::MarkdownExporter;
use super::script::ScriptExporter;
use super::view::{Exporter, JsonExporter};
use crate::error::{InputError, OutputError};
use crate::model::{self, Estimate};

/// Which files to write, and where (`--json`, `--markdown`, `--html`,
/// `--png DIR`, `--layout-dir DIR`), with the rates for step durations.
#[derive(Debug, Clone, Default)]
pub struct OutputFiles {
    /// The estimate as JSON.
    pub json: Option<PathBuf>,
    /// The change ticket.
    pub markdown: Option<PathBuf>,
    /// The HTML report.
    pub html: Option<PathBuf>,
    /// A directory for the PNG charts.
    pub png: Option<PathBuf>,
    /// A directory for the 7 layout files.
    pub layout_dir: Option<PathBuf>,
    /// The runbook script.
    pub script: Option<PathBuf>,
    /// The plan of the script (default: the recommended one).
    pub script_plan: Option<model::PlanId>,
    /// Throughput for step durations.
    pub rates: Option<model::durations::Rates>,
}

impl OutputFiles {
    /// Whether any file is asked for.
    pub fn any(&self) -> bool {
        self.json.is_some()
            || self.markdown.is_some()
            || self.html.is_some()
            || self.png.is_some()
            || self.layout_dir.is_some()
            || self.script.is_some()
    }

    /// Fails at once when an output file cannot be created, before any long work.
    pub fn check(&self) -> Result<(), InputError> {
        let o = self;
        for p in [&o.json, &o.markdown, &o.html, &o.script]
            .into_iter()
            .flatten()
        {
            check_output_path(p)?;
        }
        if let Some(dir) = &o.layout_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                InputError::Usage(format!(
                    "--layout-dir {}: cannot create the directory: {e}",
                    dir.display()
                ))
            })?;
            check_output_path(&dir.join("probe"))?;
        }
        if let Some(dir) = &o.png {
            std::fs::create_dir_all(dir).map_err(|e| {
                InputError::Usage(format!(
                    "--png {}: cannot create the directory: {e}",
                    dir.display()
                ))
            })?;
            check_output_path(&dir.join("probe.png"))?;
        }
        Ok(())
    }

    /// Writes every file asked for (each to a temporary name, then renamed).
    pub fn write(&self, est: &Estimate) -> Result<(), OutputError> {
        let o = self;
        let write = |p: &Path, bytes: Vec<u8>| {
            crate::inventory::write_atomic(p, &bytes).map_err(|source| OutputError::File {
                path: p.to_path_buf(),
                source,
            })
        };
        // The script first: a plan it cannot be written for writes nothing.
        let script = match &o.script {
            Some(p) => Some((
                p,
                ScriptExporter {
                    plan: o.script_plan,
                }
                .script(est)
                .map_err(|e| OutputError::Script {
                    path: p.to_path_buf(),
                    message: e.to_string(),
                })?,
            )),
            None => None,
        };
        if let Some(p) = &o.json {
            write(p, JsonExporter.render(est))?;
        }
        if let Some(p) = &o.markdown {
            write(p, MarkdownExporter { rates: o.rates }.render(est))?;
        }
        if let Some(p) = &o.html {
            write(p, HtmlExporter { rates: o.rates }.render(est))?;
        }
        if let Some(dir) = &o.layout_dir
            && let Some(env) = &est.environment
        {
            for f in
                model::layout_files::layout_files(&est.new_layout, &env.hosts6, est.cluster.product)
            {
                write(&dir.join(f.name), f.text.into_bytes())?;
            }
            if let Some(sql) = est
                .preflight
                .as_ref()
                .and_then(|p| p.resource_groups_sql.clone())
            {
                write(
                    &dir.join(model::steps::files::RESOURCE_GROUPS),
                    sql.into_bytes(),
                )?;
            }
        }
        if let Some((p, text)) = script {
            write(p, text.into_bytes())?;
            make_executable(p);
        }
        if let Some(dir) = &o.png {
            for chart in charts::charts_for(est) {
                let bytes = charts::png(chart, est).map_err(|source| OutputError::Chart {
                    what: chart.file_stem().into(),
                    source,
                })?;
                write(&dir.join(format!("{}.png", chart.file_stem())), bytes)?;
            }
        }
        Ok(())
    }
}

/// Checks that a file can be written beside `p` (its directory exists and is writable).
pub fn check_output_path(p: &Path) -> Result<(), InputError> {
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(InputError::Usage(format!(
            "{}: directory {} does not exist",
            p.display(),
            dir.display()
        )));
    }
    let probe = dir.join(format!(".whpg-plan-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        InputError::Usage(format!(
            "{}: cannot write in {}: {e}",
            p.display(),
            dir.display()
        ))
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The script is run as `./upgrade.sh`: its owner may execute it.
fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(p) {
        let mut perm = m.permissions();
        perm.set_mode(perm.mode() | 0o100);
        let _ = std::fs::set_permissions(p, perm);
    }
}

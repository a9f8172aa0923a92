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

    /// Fails at once, before any long work, when an output cannot be
    /// written: a path that is not a regular file (a device, a FIFO, a
    /// symbolic link), a missing directory, an output that is one of the
    /// `inputs` ((option, path) pairs) or the same file as another output.
    /// Creates nothing: directories are made only when the files are written.
    pub fn check(&self, inputs: &[(&str, &Path)]) -> Result<(), InputError> {
        let o = self;
        let singles = [
            ("--json", &o.json),
            ("--markdown", &o.markdown),
            ("--html", &o.html),
            ("--script", &o.script),
        ];
        let mut outputs = Vec::new();
        for (flag, p) in singles {
            if let Some(p) = p {
                crate::output::check_file(flag, p)?;
                outputs.push((flag, p.as_path()));
            }
        }
        let stdouts = outputs
            .iter()
            .filter(|(_, p)| crate::output::is_stdout(p))
            .count();
        if stdouts > 1 {
            return Err(InputError::Usage(
                "only one output can go to standard output ('-')".into(),
            ));
        }
        for (flag, d) in [("--layout-dir", &o.layout_dir), ("--png", &o.png)] {
            if let Some(d) = d {
                crate::output::check_dir(flag, d)?;
            }
        }
        crate::output::check_distinct(inputs, &outputs)
    }

    /// Whether one of the files goes to standard output (`-`).
    pub fn uses_stdout(&self) -> bool {
        [&self.json, &self.markdown, &self.html]
            .into_iter()
            .flatten()
            .any(|p| crate::output::is_stdout(p))
    }

    /// Writes every file asked for, all or nothing: everything is rendered
    /// first, then each file goes to a temporary name and all are renamed
    /// at the end (see [`crate::output::FileSet`]). `-` is standard output.
    pub fn write(&self, est: &Estimate) -> Result<(), OutputError> {
        let o = self;
        let mut set = crate::output::FileSet::new();
        let mut to_stdout: Option<Vec<u8>> = None;
        let mut put = |set: &mut crate::output::FileSet, p: &Path, bytes: Vec<u8>| {
            if crate::output::is_stdout(p) {
                to_stdout = Some(bytes);
            } else {
                set.add(p.to_path_buf(), bytes);
            }
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
            put(&mut set, p, JsonExporter.render(est));
        }
        if let Some(p) = &o.markdown {
            put(&mut set, p, MarkdownExporter { rates: o.rates }.render(est));
        }
        if let Some(p) = &o.html {
            put(&mut set, p, HtmlExporter { rates: o.rates }.render(est));
        }
        if let Some(dir) = &o.layout_dir
            && let Some(env) = &est.environment
        {
            set.dir(dir.clone());
            for f in
                model::layout_files::layout_files(&est.new_layout, &env.hosts6, est.cluster.product)
            {
                set.add(dir.join(f.name), f.text.into_bytes());
            }
            if let Some(sql) = est
                .preflight
                .as_ref()
                .and_then(|p| p.resource_groups_sql.clone())
            {
                set.add(
                    dir.join(model::steps::files::RESOURCE_GROUPS),
                    sql.into_bytes(),
                );
            }
        }
        let executable = script.as_ref().map(|(p, _)| p.to_path_buf());
        if let Some((p, text)) = script {
            put(&mut set, p, text.into_bytes());
        }
        if let Some(dir) = &o.png {
            set.dir(dir.clone());
            for chart in charts::charts_for(est) {
                let bytes = charts::png(chart, est).map_err(|source| OutputError::Chart {
                    what: chart.file_stem().into(),
                    source,
                })?;
                set.add(dir.join(format!("{}.png", chart.file_stem())), bytes);
            }
        }
        set.commit()?;
        if let Some(p) = executable.filter(|p| !crate::output::is_stdout(p)) {
            make_executable(&p);
        }
        if let Some(bytes) = to_stdout {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|_| out.flush())
                .map_err(OutputError::Stdout)?;
        }
        Ok(())
    }
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

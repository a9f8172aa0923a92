//! What each command does, from parsed arguments to an exit code. `main` only
//! calls [`run`]; tests call it too.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{
    Cli, CodecArg, Command, DirectCopyArg, MirrorModeArg, OutputArgs, OutputFormat, PlanArgs,
};
use crate::error::InputError;
use crate::inventory::{self, InstanceKind, Inventory};
use crate::model::layout::{parse_gpinitsystem_config, parse_host_file};
use crate::model::{self, Codec, Compression, DirectCopyTool, Estimate, MirrorMode, PlanOptions};
use crate::report::{Exporter, JsonExporter, MarkdownExporter, TableExporter, YamlExporter};

/// A failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input or usage: exit 2.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Anything else that went wrong at run time: exit 1.
    #[error("{0}")]
    Runtime(String),
}

impl AppError {
    /// The exit code of design.md §2.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Input(_) => 2,
            AppError::Runtime(_) => 1,
        }
    }
}

/// Runs one command; returns the exit code of its verdict.
pub fn run(cli: Cli) -> Result<i32, AppError> {
    match cli.command {
        Command::Estimate(a) => {
            check_outputs(&a.outputs)?;
            let (inv, warnings) = load_inventory(&a.inventory)?;
            let opts = plan_options(&a.plan, &inv)?;
            let est = run_model(&inv, &opts, warnings, a.plan.what_if)?;
            let out: Box<dyn Exporter> = match a.format {
                OutputFormat::Table => Box::new(TableExporter),
                OutputFormat::Json => Box::new(JsonExporter),
                OutputFormat::Yaml => Box::new(YamlExporter),
                OutputFormat::Markdown => Box::new(MarkdownExporter),
            };
            write_outputs(&a.outputs, &est)?;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&out.render(&est))
                .and_then(|_| stdout.flush())
                .map_err(|e| AppError::Runtime(format!("writing to standard output: {e}")))?;
            Ok(est.verdict.exit_code())
        }
        Command::Report(a) => {
            if a.outputs.json.is_none() && a.outputs.markdown.is_none() {
                return Err(InputError::Usage(
                    "report: name at least one output (--json, --markdown)".into(),
                )
                .into());
            }
            check_outputs(&a.outputs)?;
            let (inv, warnings) = load_inventory(&a.inventory)?;
            let opts = plan_options(&a.plan, &inv)?;
            let est = run_model(&inv, &opts, warnings, a.plan.what_if)?;
            write_outputs(&a.outputs, &est)?;
            eprintln!("{}", crate::report::verdict_sentence(&est));
            Ok(est.verdict.exit_code())
        }
    }
}

/// Loads and validates an inventory; returns it with its warnings.
pub fn load_inventory(path: &Path) -> Result<(Inventory, Vec<String>), InputError> {
    let inv = inventory::load(path)?;
    match inventory::validate(&inv) {
        Ok(v) => Ok((inv, v.warnings)),
        Err(problems) => Err(InputError::Invalid {
            path: path.to_path_buf(),
            problems: problems.into_iter().map(|p| p.0).collect(),
        }),
    }
}

fn run_model(
    inv: &Inventory,
    opts: &PlanOptions,
    warnings: Vec<String>,
    what_if: bool,
) -> Result<Estimate, AppError> {
    let mut warnings = warnings;
    if let Some(t) = &opts.target
        && t.machine_list_file.is_none()
        && t.hosts.is_empty()
    {
        warnings.push("the target layout names no host list".into());
    }
    model::estimate(inv, opts, &warnings, what_if).map_err(|e| InputError::Usage(e).into())
}

/// Turns plan arguments into model options, reading the target config.
pub fn plan_options(a: &PlanArgs, inv: &Inventory) -> Result<PlanOptions, InputError> {
    let codec = match a.compression {
        CodecArg::Gzip => Codec::Gzip,
        CodecArg::Zstd => Codec::Zstd,
        CodecArg::None => Codec::None,
    };
    let compression = Compression::new(codec, a.compression_level).map_err(InputError::Usage)?;
    if !(a.max_fill > 0.0 && a.max_fill <= 1.0) {
        return Err(InputError::Usage(format!(
            "--max-fill {} must be above 0 and at most 1",
            a.max_fill
        )));
    }
    if let Some(d) = &a.backup_dir
        && !d.starts_with('/')
    {
        return Err(InputError::Usage(format!(
            "--backup-dir {d} must be an absolute path (gpbackup requires one)"
        )));
    }
    let target = match &a.target_config {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| InputError::Read {
                path: path.clone(),
                source: e,
            })?;
            let mut cfg = parse_gpinitsystem_config(&text, &path.display().to_string()).map_err(
                |(line, message)| InputError::Config {
                    path: path.clone(),
                    line,
                    message,
                },
            )?;
            cfg.hosts = target_hosts(
                a.target_hosts.as_deref(),
                path,
                cfg.machine_list_file.as_deref(),
                inv,
            )?;
            Some(cfg)
        }
    };
    Ok(PlanOptions {
        compression,
        backup_dir: a.backup_dir.clone(),
        external_capacity: a.external_capacity,
        direct_copy_tool: a.direct_copy_tool.map(|t| match t {
            DirectCopyArg::Gpcopy => DirectCopyTool::Gpcopy,
            DirectCopyArg::WhpgCopy => DirectCopyTool::WhpgCopy,
        }),
        target,
        mirror_mode: match a.mirror_mode {
            MirrorModeArg::Group => MirrorMode::Group,
            MirrorModeArg::Spread => MirrorMode::Spread,
        },
        max_fill: a.max_fill,
        growth: a.growth,
        catalog_overhead_bytes: a.catalog_overhead,
        wal_overhead_bytes: a.wal_overhead,
        warn_fill: 0.70,
    })
}

/// The 7 segment hosts: `--target-hosts`, else the config's MACHINE_LIST_FILE
/// (as written, or beside the config), else the 6 cluster's segment hosts.
fn target_hosts(
    explicit: Option<&Path>,
    config: &Path,
    machine_list: Option<&str>,
    inv: &Inventory,
) -> Result<Vec<String>, InputError> {
    let read = |p: &Path| -> Result<Vec<String>, InputError> {
        let text = std::fs::read_to_string(p).map_err(|e| InputError::Read {
            path: p.to_path_buf(),
            source: e,
        })?;
        let hosts = parse_host_file(&text);
        if hosts.is_empty() {
            return Err(InputError::Config {
                path: p.to_path_buf(),
                line: 0,
                message: "the host file lists no host".into(),
            });
        }
        Ok(hosts)
    };
    if let Some(p) = explicit {
        return read(p);
    }
    if let Some(m) = machine_list {
        let as_written = PathBuf::from(m);
        let beside = config
            .parent()
            .unwrap_or(Path::new("."))
            .join(as_written.file_name().unwrap_or_default());
        for p in [
            config.parent().unwrap_or(Path::new(".")).join(&as_written),
            beside,
        ] {
            if p.is_file() {
                return read(&p);
            }
        }
    }
    // Fall back to the 6 segment hosts in content order.
    let mut prim: Vec<_> = inv
        .instances
        .iter()
        .filter(|i| i.kind() == InstanceKind::Primary)
        .collect();
    prim.sort_by_key(|i| i.content);
    let mut hosts: Vec<String> = Vec::new();
    for p in prim {
        if !hosts.contains(&p.host) {
            hosts.push(p.host.clone());
        }
    }
    Ok(hosts)
}

/// Fails at once when an output file cannot be created, before any long work.
fn check_outputs(o: &OutputArgs) -> Result<(), InputError> {
    for p in [&o.json, &o.markdown].into_iter().flatten() {
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
    }
    Ok(())
}

fn write_outputs(o: &OutputArgs, est: &Estimate) -> Result<(), AppError> {
    let write = |p: &Path, bytes: Vec<u8>| {
        inventory::write_atomic(p, &bytes)
            .map_err(|e| AppError::Runtime(format!("{}: {e}", p.display())))
    };
    if let Some(p) = &o.json {
        write(p, JsonExporter.render(est))?;
    }
    if let Some(p) = &o.markdown {
        write(p, MarkdownExporter.render(est))?;
    }
    Ok(())
}

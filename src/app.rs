//! What each command does, from parsed arguments to an exit code. `main` only
//! calls [`run`]; tests call it too.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{
    Cli, CodecArg, CollectArgs, Command, DirectCopyArg, MirrorModeArg, OutputArgs, OutputFormat,
    PgArgs, PlanArgs, SshArgs, TransportArg,
};
use crate::collect::catalog::PgConnection;
use crate::collect::transport::{
    LocalTransport, OpenSshTransport, Ssh2Transport, SshSettings, Target, Transport,
};
use crate::collect::{self, CollectOptions};
use crate::error::{ExitCode, InputError};
use crate::inventory::{self, InstanceKind, Inventory};
use crate::model::layout::{parse_gpinitsystem_config, parse_host_file};
use crate::model::options::{DEFAULT_PLUGIN_CONFIG, ExternalKind};
use crate::model::{self, Codec, Compression, DirectCopyTool, Estimate, MirrorMode, PlanOptions};
use crate::report::{
    Exporter, HtmlExporter, JsonExporter, MarkdownExporter, TableExporter, YamlExporter, charts,
};

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
    /// The exit code (docs/design.md, "Exit codes").
    pub fn exit_code(&self) -> ExitCode {
        match self {
            AppError::Input(_) => ExitCode::UsageError,
            AppError::Runtime(_) => ExitCode::RuntimeError,
        }
    }
}

/// Runs one command; returns the exit code of its verdict.
pub fn run(cli: Cli) -> Result<ExitCode, AppError> {
    match cli.command {
        Command::Collect(a) => run_collect(a),
        Command::Estimate(a) => {
            check_outputs(&a.outputs)?;
            let (inv, warnings) = match (&a.inventory, &a.coordinator) {
                (Some(path), _) => load_inventory(path)?,
                (None, Some(host)) => {
                    let mut extra = Vec::new();
                    extra.extend(a.plan.backup_dir.clone());
                    let opts = collect_options(host, false, &a.pg, &a.ssh, extra);
                    if a.ssh.dry_run {
                        print_dry_run(&opts);
                        return Ok(ExitCode::Success);
                    }
                    let inv = run_collection(&opts, &a.ssh, false)?;
                    let warnings = inventory::validate(&inv)
                        .map_err(|p| {
                            AppError::Runtime(format!(
                                "the collected inventory is inconsistent: {}",
                                p.iter().map(|x| x.0.clone()).collect::<Vec<_>>().join("; ")
                            ))
                        })?
                        .warnings;
                    (inv, warnings)
                }
                (None, None) => unreachable!("clap requires an inventory or --coordinator"),
            };
            let opts = plan_options(&a.plan, &inv)?;
            let est = run_model(&inv, &opts, warnings, a.plan.what_if)?;
            let out: Box<dyn Exporter> = match a.format {
                OutputFormat::Table => Box::new(TableExporter),
                OutputFormat::Json => Box::new(JsonExporter),
                OutputFormat::Yaml => Box::new(YamlExporter),
                OutputFormat::Markdown => Box::new(MarkdownExporter {
                    rates: a.outputs.rates(),
                }),
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
            let o = &a.outputs;
            if o.json.is_none()
                && o.markdown.is_none()
                && o.html.is_none()
                && o.png.is_none()
                && o.layout_dir.is_none()
            {
                return Err(InputError::Usage(
                    "report: name at least one output (--html, --png, --markdown, --json, --layout-dir)".into(),
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
        Command::Watch(a) => run_watch(&a),
    }
}

impl From<crate::watch::WatchError> for AppError {
    fn from(e: crate::watch::WatchError) -> Self {
        match e {
            crate::watch::WatchError::Input(i) => AppError::Input(i),
            crate::watch::WatchError::Runtime(r) => AppError::Runtime(r),
        }
    }
}

/// `watch`: the SSH transport with a per-sample timeout, Ctrl-C wired to a
/// clean stop, and the screen chosen by whether standard output is a terminal.
fn run_watch(a: &crate::cli::WatchArgs) -> Result<ExitCode, AppError> {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;
    let interval = Duration::from_secs_f64(a.interval);
    // A sample that takes longer than two intervals is late: the host is shown stale.
    let sample_timeout = Duration::from_secs(a.ssh.command_timeout.max(1))
        .min((interval * 2).max(Duration::from_secs(5)));
    let opts = crate::watch::WatchOptions {
        plan_file: a.plan_file.clone(),
        plan_id: a.plan.clone(),
        phase: a.phase.clone(),
        interval,
        margin: a.margin,
        window: Duration::from_secs_f64(a.window),
        once: a.once,
        samples: a.samples,
        log: a.log.clone(),
        html: a.html.clone(),
        sample_timeout,
    };
    if let Some(log) = &a.replay {
        return Ok(crate::watch::replay(&opts, log)?);
    }
    if a.ssh.dry_run {
        println!(
            "# whpg-plan watch --dry-run: what each host runs every interval; nothing is connected to."
        );
        for (host, script) in crate::watch::dry_run(&opts)? {
            println!("\n## on {host}\n{script}");
        }
        return Ok(ExitCode::Success);
    }
    let mut settings = ssh_settings(&a.ssh);
    settings.command_timeout = sample_timeout;
    let transport: Arc<dyn Transport> = match a.ssh.transport {
        TransportArg::Ssh2 => Arc::new(Ssh2Transport::new(settings).map_err(InputError::Usage)?),
        TransportArg::Openssh => Arc::new(OpenSshTransport::new(settings).multiplexed()),
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // Only one handler per process; a second watch in the same process keeps the first.
        let _ = ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::SeqCst));
    }
    let term = console::Term::stdout();
    let mut stdout = std::io::stdout();
    let screen = if term.is_term() && !a.once {
        crate::watch::Screen::Terminal(&mut stdout, term.size().0 as usize)
    } else {
        crate::watch::Screen::Lines(&mut stdout)
    };
    Ok(crate::watch::run(&opts, transport, stop, screen)?)
}

fn collect_options(
    host: &str,
    local: bool,
    pg: &PgArgs,
    ssh: &SshArgs,
    extra_paths: Vec<String>,
) -> CollectOptions {
    let name = if local {
        local_hostname()
    } else {
        host.to_string()
    };
    CollectOptions {
        coordinator: Target {
            name: name.clone(),
            address: if local {
                "localhost".into()
            } else {
                host.to_string()
            },
        },
        pg: PgConnection {
            host: pg.pg_host.clone(),
            port: pg.pg_port,
            user: pg.pg_user.clone(),
            database: pg.database.clone(),
            statement_timeout_ms: pg.catalog_timeout.saturating_mul(1000),
            lock_timeout_ms: pg.lock_timeout.saturating_mul(1000).max(1),
        },
        exclude_databases: pg.exclude_database.clone(),
        jobs: ssh.jobs.max(1),
        extra_paths,
        progress: true,
        only_hosts: local.then(|| vec![name]),
        sample: pg
            .sample_rows
            .filter(|n| *n > 0)
            .map(|rows| collect::SampleOptions {
                rows,
                table_timeout: std::time::Duration::from_secs(pg.sample_timeout.max(1)),
                total_budget: std::time::Duration::from_secs(pg.sample_budget.max(1)),
            }),
        previous_backup_dirs: pg.previous_backup_dir.clone(),
    }
}

fn local_hostname() -> String {
    sysinfo::System::host_name().unwrap_or_else(|_| "localhost".into())
}

fn print_dry_run(opts: &CollectOptions) {
    println!("# whpg-plan --dry-run: the commands collection runs; nothing is connected to.");
    for (host, cmd) in collect::dry_run_commands(opts) {
        println!("\n## on {host}\n{cmd}");
    }
}

fn ssh_settings(a: &SshArgs) -> SshSettings {
    SshSettings {
        user: a.ssh_user.clone(),
        identities: a.identity.clone(),
        connect_timeout: std::time::Duration::from_secs(a.connect_timeout.max(1)),
        command_timeout: std::time::Duration::from_secs(a.command_timeout.max(1)),
        known_hosts: a.known_hosts.clone(),
        accept_new_host_keys: a.accept_new_host_keys,
        port: a.ssh_port,
        ..SshSettings::default()
    }
}

/// Collects with the transport the arguments choose.
fn run_collection(
    opts: &CollectOptions,
    ssh: &SshArgs,
    local: bool,
) -> Result<Inventory, AppError> {
    let transport: Box<dyn Transport> = if local {
        Box::new(LocalTransport {
            command_timeout: std::time::Duration::from_secs(ssh.command_timeout.max(1)),
        })
    } else {
        match ssh.transport {
            TransportArg::Ssh2 => {
                Box::new(Ssh2Transport::new(ssh_settings(ssh)).map_err(InputError::Usage)?)
            }
            TransportArg::Openssh => Box::new(OpenSshTransport::new(ssh_settings(ssh))),
        }
    };
    let mut inv =
        collect::collect(opts, transport.as_ref()).map_err(|e| AppError::Runtime(e.to_string()))?;
    if local {
        add_local_disks(&mut inv, &opts.coordinator.name);
    }
    // The collector returns its warnings as data (they are saved in the
    // inventory); the terminal sees them here.
    for w in &inv.warnings {
        eprintln!("whpg-plan: warning: {w}");
    }
    Ok(inv)
}

/// `--local`: every local disk sysinfo sees (tmpfs included) joins the host's
/// filesystems, so the backup-dir search can consider them. Their used bytes
/// are `total − available` (sysinfo does not separate root-reserved blocks).
fn add_local_disks(inv: &mut Inventory, host: &str) {
    let Ok(disks) = sysinfo::Disks::new_with_refreshed_list() else {
        return;
    };
    let Some(h) = inv.hosts.iter_mut().find(|h| h.name == host) else {
        return;
    };
    if h.status != inventory::HostStatus::Ok {
        return;
    }
    for d in disks.iter() {
        let mount = d.mount_point().to_string_lossy().into_owned();
        let fs_type = d.file_system().to_string_lossy().into_owned();
        let pseudo = [
            "proc", "sysfs", "devtmpfs", "overlay", "squashfs", "cgroup", "cgroup2",
        ];
        if d.total_space() == 0
            || pseudo.contains(&fs_type.as_str())
            || h.filesystems.iter().any(|f| f.mount == mount)
        {
            continue;
        }
        h.filesystems.push(inventory::Filesystem {
            mount,
            device: Some(d.name().to_string_lossy().into_owned()),
            fs_type: Some(fs_type),
            total_bytes: d.total_space(),
            used_bytes: d.total_space() - d.available_space(),
            available_bytes: d.available_space(),
        });
    }
}

fn run_collect(a: CollectArgs) -> Result<ExitCode, AppError> {
    if let Some(out) = &a.output {
        check_output_path(out)?;
    }
    let opts = collect_options(
        a.coordinator.as_deref().unwrap_or("localhost"),
        a.local,
        &a.pg,
        &a.ssh,
        a.extra_paths.clone(),
    );
    if a.ssh.dry_run {
        print_dry_run(&opts);
        return Ok(ExitCode::Success);
    }
    let inv = run_collection(&opts, &a.ssh, a.local)?;
    let incomplete = model::incompleteness(&inv);
    match &a.output {
        Some(path) => inventory::save(&inv, path)
            .map_err(|e| AppError::Runtime(format!("{}: {e}", path.display())))?,
        None => {
            let text = inventory::to_string(&inv, inventory::InventoryFormat::Yaml);
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|e| AppError::Runtime(format!("writing to standard output: {e}")))?;
        }
    }
    for r in &incomplete {
        eprintln!("whpg-plan: not measured: {r}");
    }
    Ok(if incomplete.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::Incomplete
    })
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
    // What collection met comes first: it is about the measurement itself.
    let mut warnings: Vec<String> = inv.warnings.iter().cloned().chain(warnings).collect();
    warnings.extend(opts.target.as_ref().and_then(|t| t.hosts_note.clone()));
    model::estimate(inv, opts, &warnings, what_if)
        .map_err(|e| InputError::Usage(e.to_string()).into())
}

/// The most `--growth` accepted: the data eleven times over by the upgrade
/// date. Anything larger is a typo, not a plan.
pub const MAX_GROWTH: f64 = 10.0;

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
    if a.growth > MAX_GROWTH {
        return Err(InputError::Usage(format!(
            "--growth {} is more than {MAX_GROWTH} ({:.0}%): give the growth until the upgrade date as a fraction (0.1 or 10%)",
            if a.growth >= 1e6 {
                format!("{:e}", a.growth)
            } else {
                a.growth.to_string()
            },
            MAX_GROWTH * 100.0
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
            (cfg.hosts, cfg.hosts_note) = target_hosts(
                a.target_hosts.as_deref(),
                path,
                cfg.machine_list_file.as_deref(),
                inv,
            )?;
            Some(cfg)
        }
    };
    for (flag, v) in [
        ("--external-dir", &a.external_dir),
        ("--gphome6", &a.gphome6),
        ("--plugin-config", &a.plugin_config),
    ] {
        if let Some(d) = v
            && flag != "--plugin-config"
            && !d.starts_with('/')
        {
            return Err(InputError::Usage(format!(
                "{flag} {d} must be an absolute path"
            )));
        }
    }
    if !a.gphome7.starts_with('/') {
        return Err(InputError::Usage(format!(
            "--gphome7 {} must be an absolute path",
            a.gphome7
        )));
    }
    Ok(PlanOptions {
        compression,
        backup_dir: a.backup_dir.clone(),
        external_capacity: a.external_capacity,
        external_kind: match (&a.external_dir, &a.plugin_config) {
            (Some(d), _) => ExternalKind::Dir(d.clone()),
            (None, Some(f)) => ExternalKind::Plugin(f.clone()),
            (None, None) => ExternalKind::Plugin(DEFAULT_PLUGIN_CONFIG.into()),
        },
        gphome6: a.gphome6.clone(),
        gphome7: a.gphome7.clone(),
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
        warn_fill: crate::model::options::WARN_FILL,
    })
}

/// The 7 segment hosts: `--target-hosts`, else the config's MACHINE_LIST_FILE
/// (as written, or beside the config), else the 6 cluster's segment hosts —
/// with a note saying so, since a reviewer must know which hosts were assumed.
fn target_hosts(
    explicit: Option<&Path>,
    config: &Path,
    machine_list: Option<&str>,
    inv: &Inventory,
) -> Result<(Vec<String>, Option<String>), InputError> {
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
        return Ok((read(p)?, None));
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
                return Ok((read(&p)?, None));
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
    let note = format!(
        "{}: {} — the 7 layout assumes the 6 cluster's {} segment hosts (give --target-hosts to decide)",
        config.display(),
        match machine_list {
            Some(m) =>
                format!("MACHINE_LIST_FILE {m} was not found as written or beside the config"),
            None => "no MACHINE_LIST_FILE".to_string(),
        },
        hosts.len()
    );
    Ok((hosts, Some(note)))
}

/// Fails at once when an output file cannot be created, before any long work.
fn check_outputs(o: &OutputArgs) -> Result<(), InputError> {
    for p in [&o.json, &o.markdown, &o.html].into_iter().flatten() {
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

/// Checks that a file can be written beside `p` (its directory exists and is writable).
fn check_output_path(p: &Path) -> Result<(), InputError> {
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

fn write_outputs(o: &OutputArgs, est: &Estimate) -> Result<(), AppError> {
    let write = |p: &Path, bytes: Vec<u8>| {
        inventory::write_atomic(p, &bytes)
            .map_err(|e| AppError::Runtime(format!("{}: {e}", p.display())))
    };
    if let Some(p) = &o.json {
        write(p, JsonExporter.render(est))?;
    }
    if let Some(p) = &o.markdown {
        write(p, MarkdownExporter { rates: o.rates() }.render(est))?;
    }
    if let Some(p) = &o.html {
        write(p, HtmlExporter { rates: o.rates() }.render(est))?;
    }
    if let Some(dir) = &o.layout_dir
        && let Some(env) = &est.environment
    {
        for f in
            model::layout_files::layout_files(&est.new_layout, &env.hosts6, est.cluster.product)
        {
            write(&dir.join(f.name), f.text.into_bytes())?;
        }
    }
    if let Some(dir) = &o.png {
        for chart in charts::charts_for(est) {
            let bytes = charts::png(chart, est)
                .map_err(|e| AppError::Runtime(format!("drawing {}: {e}", chart.file_stem())))?;
            write(&dir.join(format!("{}.png", chart.file_stem())), bytes)?;
        }
    }
    Ok(())
}

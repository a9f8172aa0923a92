//! What each command does, from parsed arguments to an exit code. `main` only
//! calls [`run`]; tests call it too.

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, CollectArgs, Command, OutputFormat, PgArgs, SshArgs, TransportArg};
use crate::collect::catalog::PgConnection;
use crate::collect::{self, CollectError, CollectOptions};
use crate::error::{ExitCode, InputError, OutputError};
use crate::inventory::{self, Inventory};
use crate::model::{self, Estimate, PlanOptions};
use crate::remote::transport::{
    LocalTransport, OpenSshTransport, Ssh2Transport, SshSettings, Target, Transport,
};
use crate::report::{Exporter, JsonExporter, MarkdownExporter, TableExporter, YamlExporter};

/// A failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input or usage: exit 2.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The coordinator's catalog could not be read: exit 1.
    #[error(transparent)]
    Collect(#[from] CollectError),
    /// A collected inventory that does not add up (a collector bug): exit 1.
    #[error("the collected inventory is inconsistent: {}", .0.join("; "))]
    Inconsistent(Vec<String>),
    /// An output file or standard output could not be written: exit 1.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// `watch` could not start a host's thread: exit 1.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}

impl AppError {
    /// The exit code (docs/design.md, "Exit codes").
    pub fn exit_code(&self) -> ExitCode {
        match self {
            AppError::Input(_) | AppError::Output(OutputError::Script { .. }) => {
                ExitCode::UsageError
            }
            AppError::Collect(_)
            | AppError::Inconsistent(_)
            | AppError::Output(_)
            | AppError::Thread(_) => ExitCode::RuntimeError,
        }
    }
}

/// The SSH client configuration is an input file: a bad one is exit 2.
impl From<crate::remote::transport::TransportError> for AppError {
    fn from(e: crate::remote::transport::TransportError) -> Self {
        use crate::remote::transport::TransportError;
        match e {
            TransportError::Config { path, message } => AppError::Input(InputError::Config {
                path,
                line: 0,
                message,
            }),
            other => AppError::Input(InputError::Usage(other.to_string())),
        }
    }
}

/// Runs one command; returns the exit code of its verdict.
pub fn run(cli: Cli) -> Result<ExitCode, AppError> {
    match cli.command {
        Command::Collect(a) => run_collect(a),
        Command::Estimate(a) => {
            let files = a.outputs.files();
            if files.uses_stdout() {
                return Err(InputError::Usage(
                    "estimate prints its --format output on standard output: name a file, not '-' (or use report)".into(),
                )
                .into());
            }
            files.check(&plan_inputs(a.inventory.as_deref(), &a.plan))?;
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
                        .map_err(|p| AppError::Inconsistent(p.into_iter().map(|x| x.0).collect()))?
                        .warnings;
                    (inv, warnings)
                }
                (None, None) => unreachable!("clap requires an inventory or --coordinator"),
            };
            let mut opts = a.plan.plan_options(&inv)?;
            opts.rates = a.outputs.user_rates();
            let est = run_model(&inv, &opts, warnings, a.plan.what_if)?;
            let out: Box<dyn Exporter> = match a.format {
                OutputFormat::Table => Box::new(TableExporter),
                OutputFormat::Json => Box::new(JsonExporter),
                OutputFormat::Yaml => Box::new(YamlExporter),
                OutputFormat::Markdown => Box::new(MarkdownExporter {
                    rates: a.outputs.rates(),
                }),
            };
            a.outputs.files().write(&est)?;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&out.render(&est))
                .and_then(|_| stdout.flush())
                .map_err(OutputError::Stdout)?;
            Ok(est.verdict.exit_code())
        }
        Command::Report(a) => {
            let o = &a.outputs;
            if !o.files().any() {
                return Err(InputError::Usage(
                    "report: name at least one output (--html, --png, --markdown, --json, --layout-dir, --script)".into(),
                )
                .into());
            }
            a.outputs
                .files()
                .check(&plan_inputs(Some(&a.inventory), &a.plan))?;
            let (inv, warnings) = load_inventory(&a.inventory)?;
            let mut opts = a.plan.plan_options(&inv)?;
            opts.rates = a.outputs.user_rates();
            let est = run_model(&inv, &opts, warnings, a.plan.what_if)?;
            a.outputs.files().write(&est)?;
            eprintln!("{}", crate::report::verdict_sentence(&est));
            Ok(est.verdict.exit_code())
        }
        Command::Watch(a) => run_watch(&a),
    }
}

/// The files a plan reads, as (option, path): an output must be none of them.
fn plan_inputs<'a>(
    inventory: Option<&'a Path>,
    plan: &'a crate::cli::PlanArgs,
) -> Vec<(&'static str, &'a Path)> {
    let mut v = Vec::new();
    v.extend(inventory.map(|p| ("INVENTORY", p)));
    v.extend(
        plan.target_config
            .as_deref()
            .map(|p| ("--target-config", p)),
    );
    v.extend(plan.target_hosts.as_deref().map(|p| ("--target-hosts", p)));
    v
}

impl From<crate::watch::WatchError> for AppError {
    fn from(e: crate::watch::WatchError) -> Self {
        match e {
            crate::watch::WatchError::Input(i) => AppError::Input(i),
            crate::watch::WatchError::Output(o) => AppError::Output(o),
            crate::watch::WatchError::Thread(t) => AppError::Thread(t),
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
    let mut inputs = vec![("PLAN.json", a.plan_file.as_path())];
    inputs.extend(a.replay.as_deref().map(|p| ("--replay", p)));
    let mut outputs = Vec::new();
    outputs.extend(a.html.as_deref().map(|p| ("--html", p)));
    outputs.extend(a.log.as_deref().map(|p| ("--log", p)));
    for (flag, p) in &outputs {
        crate::output::check_file(flag, p)?;
    }
    crate::output::check_distinct(&inputs, &outputs)?;
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
        TransportArg::Ssh2 => Arc::new(Ssh2Transport::new(settings)?),
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
        measure_io: None,
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
            TransportArg::Ssh2 => Box::new(Ssh2Transport::new(ssh_settings(ssh))?),
            TransportArg::Openssh => Box::new(OpenSshTransport::new(ssh_settings(ssh))),
        }
    };
    let mut inv = collect::collect(opts, transport.as_ref())?;
    if local {
        collect::local::add_local_disks(&mut inv, &opts.coordinator.name);
    }
    // The collector returns its warnings as data (they are saved in the
    // inventory); the terminal sees them here.
    for w in &inv.warnings {
        eprintln!("whpg-plan: warning: {w}");
    }
    Ok(inv)
}

fn run_collect(a: CollectArgs) -> Result<ExitCode, AppError> {
    if let Some(out) = &a.output {
        crate::output::check_file("--output", out)?;
    }
    let mut opts = collect_options(
        a.coordinator.as_deref().unwrap_or("localhost"),
        a.local,
        &a.pg,
        &a.ssh,
        a.extra_paths.clone(),
    );
    if a.measure_io {
        let bytes = a.measure_io_bytes.unwrap_or(collect::io::DEFAULT_BYTES);
        opts.measure_io = Some(bytes);
        eprintln!(
            "whpg-plan: --measure-io: writing, reading back and removing one temporary file of {} on each filesystem the plan writes to (the one measurement that writes)",
            crate::units::human(bytes.div_ceil(collect::io::MIN_BYTES) * collect::io::MIN_BYTES)
        );
    }
    if a.ssh.dry_run {
        print_dry_run(&opts);
        return Ok(ExitCode::Success);
    }
    let inv = run_collection(&opts, &a.ssh, a.local)?;
    let incomplete = model::incompleteness(&inv);
    match &a.output {
        Some(path) => inventory::save(&inv, path)?,
        None => {
            let text = inventory::to_string(&inv, inventory::InventoryFormat::Yaml);
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(OutputError::Stdout)?;
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

//! `whpg-plan watch PLAN.json`: the plan against the disks during the change
//! window.
//!
//! One thread per host keeps one SSH session open and runs a short read-only
//! script every interval ([`probe`]); the main thread gathers the answers,
//! decides the phase (given, or inferred from which directories exist), judges
//! every filesystem against the plan's bytes for that phase and its limit
//! ([`track`]), and shows, logs and charts the result ([`render`], [`log`]).
//! A host that stops answering is reconnected with backoff and shown stale
//! with its last value meanwhile; the others go on.

pub mod log;
pub mod plan;
pub mod probe;
pub mod render;
pub mod track;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{ExitCode, InputError, OutputError};
use crate::remote::transport::TransportError;
use crate::remote::transport::{Target, Transport};
use plan::WatchPlan;
use probe::HostSample;
use track::{FsTrack, FsView, Judgment, Observed, PhaseSource, Status};

/// What `watch` was asked to do.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The estimate JSON.
    pub plan_file: PathBuf,
    /// The plan to follow (default: the recommended one).
    pub plan_id: Option<String>,
    /// The phase, when the user says it (name or 1-based number).
    pub phase: Option<String>,
    /// Time between samples.
    pub interval: Duration,
    /// How far above the plan's bytes is still on plan (0.05 = 5%).
    pub margin: f64,
    /// The span the growth rate is fitted over.
    pub window: Duration,
    /// One sample, then exit.
    pub once: bool,
    /// Stop after this many samples.
    pub samples: Option<u64>,
    /// Append every sample here (JSON lines).
    pub log: Option<PathBuf>,
    /// Write the HTML page here at the end.
    pub html: Option<PathBuf>,
    /// How long one host may take to answer a sample.
    pub sample_timeout: Duration,
}

/// Why `watch` could not run.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A bad plan file, log or option: exit 2.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Standard output, the log or the HTML page could not be written: exit 1.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A host's thread could not be started: exit 1.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}

/// Why one host gave no sample; shown on its filesystems' lines (stale).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    /// The last connection attempt failed; the next one waits (backoff).
    #[error("not connected; next attempt in {0} s")]
    Waiting(u64),
    /// Connecting or running the script failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The script ran but its output cannot be read.
    #[error("{source}{}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    Output {
        /// What is wrong with it.
        source: probe::SampleParseError,
        /// The first 200 characters the script printed on stderr.
        stderr: String,
    },
}

/// One host's answer to one sample.
pub struct HostReport {
    /// Index into [`WatchPlan::hosts`].
    pub host: usize,
    /// When the sample was taken (ms since the epoch).
    pub t_ms: u64,
    /// What it found, or why it failed.
    pub result: Result<HostSample, SampleError>,
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Sleeps until `until`, waking early when `stop` is set; false when stopped.
fn sleep_until(until: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(100)));
    }
}

/// How the host threads learn that the watch ends: they sleep on a condition
/// variable, not in short polls, so hundreds of idle threads cost nothing
/// between samples.
#[derive(Default)]
struct Ending {
    ended: std::sync::Mutex<bool>,
    wake: std::sync::Condvar,
}

impl Ending {
    /// Sleeps until `until` or the end; false at the end.
    fn sleep_until(&self, until: Instant) -> bool {
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if *ended {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            ended = self
                .wake
                .wait_timeout(ended, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn end(&self) {
        *self.ended.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_all();
    }
}

/// Longest wait before reconnecting to a host that does not answer.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// One host's connection state: its session when connected, and when to try
/// again when not.
struct HostLink {
    session: Option<Box<dyn crate::remote::transport::Session>>,
    backoff: Duration,
    next_connect: Instant,
}

impl HostLink {
    /// Takes one sample: connects first when due (a refused connection waits
    /// twice as long next time, up to [`MAX_BACKOFF`]); a session that fails
    /// is dropped and reconnected at the next sample.
    fn sample(
        &mut self,
        transport: &dyn Transport,
        target: &Target,
        script: &str,
        parse: &impl Fn(&str) -> Result<HostSample, probe::SampleParseError>,
        interval: Duration,
    ) -> Result<HostSample, SampleError> {
        if self.session.is_none() {
            let now = Instant::now();
            if now < self.next_connect {
                let wait = (self.next_connect - now).as_secs().max(1);
                return Err(SampleError::Waiting(wait));
            }
            match transport.connect(target) {
                Ok(s) => {
                    self.session = Some(s);
                    self.backoff = interval;
                }
                Err(e) => {
                    self.next_connect = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    return Err(e.into());
                }
            }
        }
        let s = self.session.as_mut().expect("connected above");
        match s.repeat(script, "@end") {
            Ok(out) => parse(&out.stdout).map_err(|source| SampleError::Output {
                source,
                stderr: out.stderr.trim().chars().take(200).collect(),
            }),
            Err(e) => {
                // The session is gone (host down, sshd restarted): reconnect next time.
                self.session = None;
                self.next_connect = Instant::now();
                Err(e.into())
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn host_worker(
    transport: Arc<dyn Transport>,
    index: usize,
    target: Target,
    script: String,
    parse: impl Fn(&str) -> Result<HostSample, probe::SampleParseError>,
    start: Instant,
    interval: Duration,
    once: bool,
    ending: Arc<Ending>,
    tx: mpsc::Sender<HostReport>,
) {
    let mut link = HostLink {
        session: None,
        backoff: interval,
        next_connect: start,
    };
    let mut tick: u32 = 0;
    // The session, if any, is closed when `link` goes out of scope.
    while ending.sleep_until(start + interval * tick) {
        let t_ms = epoch_ms();
        let result = link.sample(transport.as_ref(), &target, &script, &parse, interval);
        let report = HostReport {
            host: index,
            t_ms,
            result,
        };
        if tx.send(report).is_err() || once {
            break;
        }
        tick = next_tick(start, interval);
    }
}

/// The next tick after now (missed ticks are skipped, not caught up).
fn next_tick(start: Instant, interval: Duration) -> u32 {
    let elapsed = start.elapsed().as_secs_f64();
    (elapsed / interval.as_secs_f64()).floor() as u32 + 1
}

/// The state of a watch between samples (public for the benchmark, which
/// drives it without SSH).
pub struct Watch {
    /// The plan.
    pub plan: WatchPlan,
    /// Per filesystem, in plan order.
    pub tracks: Vec<FsTrack>,
    last_samples: Vec<Option<HostSample>>,
    /// The current phase.
    pub phase: usize,
    /// How it was decided.
    pub phase_source: PhaseSource,
    given_phase: Option<usize>,
    margin: f64,
    window_ms: u64,
    stale_after_ms: u64,
    /// When the watch first saw the current phase and each filesystem's
    /// used bytes then: the start of its progress.
    phase_start: Option<PhaseStart>,
}

/// The moment the watch first saw a phase.
struct PhaseStart {
    phase: usize,
    t_ms: u64,
    used: Vec<Option<u64>>,
}

impl Watch {
    /// A watch of `plan` with nothing sampled yet.
    pub fn new(
        plan: WatchPlan,
        given_phase: Option<usize>,
        margin: f64,
        window: Duration,
        stale_after: Duration,
    ) -> Watch {
        Watch {
            tracks: vec![FsTrack::default(); plan.filesystems.len()],
            last_samples: vec![None; plan.hosts.len()],
            phase: given_phase.unwrap_or(0),
            phase_source: PhaseSource::Given,
            given_phase,
            margin,
            window_ms: window.as_millis() as u64,
            stale_after_ms: stale_after.as_millis() as u64,
            phase_start: None,
            plan,
        }
    }

    /// Applies the answers of one sample and judges; also returns how many hosts answered.
    pub fn apply(&mut self, reports: Vec<HostReport>, now_ms: u64) -> (Judgment, usize) {
        let mut fresh: Vec<Option<(u64, HostSample)>> = vec![None; self.plan.hosts.len()];
        let mut answered = 0;
        for r in reports {
            match r.result {
                Ok(s) => {
                    answered += 1;
                    self.last_samples[r.host] = Some(s.clone());
                    fresh[r.host] = Some((r.t_ms, s));
                }
                Err(e) => {
                    for &f in &self.plan.hosts[r.host].filesystems {
                        self.tracks[f].error = Some(e.to_string());
                    }
                }
            }
        }
        // The phase first: the points recorded below carry its bytes.
        let mut observed = Observed::default();
        for s in self.last_samples.iter().flatten() {
            observed.add(s);
        }
        let mut used: Vec<Option<u64>> = self.tracks.iter().map(|t| t.last.map(|l| l.1)).collect();
        for (h, fr) in fresh.iter().enumerate() {
            if let Some((_, s)) = fr {
                for (k, &f) in self.plan.hosts[h].filesystems.iter().enumerate() {
                    if let Ok(u) = s.used[k] {
                        used[f] = Some(u);
                    }
                }
            }
        }
        match self.given_phase {
            Some(p) => {
                self.phase = p;
                self.phase_source = PhaseSource::Given;
            }
            None => {
                let (p, why) =
                    track::infer_phase(&self.plan, &observed, &used, self.margin, self.phase);
                self.phase = p;
                self.phase_source = PhaseSource::Inferred(why);
            }
        }
        for (h, fr) in fresh.into_iter().enumerate() {
            let Some((t_ms, s)) = fr else { continue };
            for (k, &f) in self.plan.hosts[h].filesystems.iter().enumerate() {
                let predicted = self.plan.filesystems[f].phase_bytes[self.phase];
                match &s.used[k] {
                    Ok(u) => self.tracks[f].add(t_ms, *u, predicted, self.window_ms),
                    Err(e) => self.tracks[f].error = Some(e.clone()),
                }
            }
        }
        let mut j = track::judge(
            &self.plan,
            &self.tracks,
            self.phase,
            self.margin,
            now_ms,
            self.stale_after_ms,
        );
        if self
            .phase_start
            .as_ref()
            .is_none_or(|s| s.phase != self.phase)
        {
            self.phase_start = Some(PhaseStart {
                phase: self.phase,
                t_ms: now_ms,
                used: self.tracks.iter().map(|t| t.last.map(|l| l.1)).collect(),
            });
        }
        j.progress = self.progress(now_ms);
        (j, answered)
    }

    /// The running phase against its planned duration: the filesystems
    /// measured both when the phase was first seen and now, their bytes
    /// then, now and at the phase's planned end.
    fn progress(&self, now_ms: u64) -> Option<track::PhaseProgress> {
        let start = self.phase_start.as_ref()?;
        let planned_seconds = self.plan.phase_seconds.get(self.phase).copied().flatten()?;
        let later: u64 = self.plan.phase_seconds[self.phase + 1..]
            .iter()
            .flatten()
            .sum();
        let (mut then, mut now, mut planned) = (0u64, 0u64, 0u64);
        for (i, t) in self.tracks.iter().enumerate() {
            if let (Some(a), Some((_, b))) = (start.used[i], t.last) {
                then += a;
                now += b;
                planned += self.plan.filesystems[i].phase_bytes[self.phase];
            }
        }
        track::revise(
            start.t_ms,
            now_ms,
            (then, now, planned),
            planned_seconds,
            later,
        )
    }

    /// Takes in the log lines of the last `--window` before `now_ms` (a `--once`
    /// run from cron continues the history of the previous ones).
    pub fn seed(&mut self, lines: &[log::LogLine], now_ms: u64) {
        for l in lines
            .iter()
            .filter(|l| !l.stale && l.t_ms + self.window_ms >= now_ms)
        {
            let Some(i) = self
                .plan
                .filesystems
                .iter()
                .position(|f| f.host == l.host && f.mount == l.mount)
            else {
                continue;
            };
            if let Some(u) = l.used {
                self.tracks[i].add(l.t_ms, u, l.predicted, self.window_ms);
                if let Some(p) = self.plan.phases.iter().position(|ph| ph.phase == l.phase) {
                    self.phase = self.phase.max(p);
                }
            }
        }
    }

    /// What the screen and the HTML show for judgment `j`.
    pub fn frame<'a>(
        &'a self,
        j: &'a Judgment,
        sample: u64,
        t_ms: u64,
        hosts_answered: (usize, usize),
    ) -> render::Frame<'a> {
        render::Frame {
            plan: &self.plan,
            judgment: j,
            phase: self.phase,
            phase_source: &self.phase_source,
            sample,
            t_ms,
            hosts_answered,
        }
    }

    /// The log lines of a judgment.
    pub fn log_lines(&self, j: &Judgment, now_ms: u64) -> Vec<log::LogLine> {
        j.filesystems
            .iter()
            .map(|v| {
                let fs = &self.plan.filesystems[v.index];
                let t = &self.tracks[v.index];
                let fresh = t.error.is_none()
                    && t.last
                        .is_some_and(|(ts, _)| ts + self.stale_after_ms >= now_ms);
                let t_ms = if fresh {
                    t.last.map(|l| l.0).unwrap_or(now_ms)
                } else {
                    now_ms
                };
                log::LogLine {
                    time: log::rfc3339_ms(t_ms),
                    t_ms,
                    host: fs.host.clone(),
                    mount: fs.mount.clone(),
                    used: v.used,
                    predicted: v.predicted,
                    limit: v.limit,
                    status: v.status,
                    above_plan: v.above_plan,
                    phase: self.plan.phases[self.phase].phase.clone(),
                    rate_bytes_per_s: v.rate,
                    seconds_to_limit: v.seconds_to_limit,
                    stale: !fresh,
                    error: v.error.clone(),
                }
            })
            .collect()
    }
}

/// The exit code of a judgment: 4 when a filesystem is over its limit or will
/// reach it before the phase ends, else 5 when a host could not be sampled,
/// else 6 when a filesystem is above plan, else 0.
pub fn exit_code(j: &Judgment) -> ExitCode {
    let worst = j.filesystems.iter().map(|v| v.status).max();
    match worst {
        Some(Status::OverLimit | Status::WillReachLimit) => ExitCode::NothingFits,
        Some(Status::Stale) => ExitCode::Incomplete,
        Some(Status::AbovePlan) => ExitCode::AbovePlan,
        _ => ExitCode::Success,
    }
}

/// The HTML page, drawn first and then written to a temporary name and renamed.
fn write_html(
    path: &std::path::Path,
    frame: &render::Frame,
    tracks: &[FsTrack],
) -> Result<(), OutputError> {
    let page = render::html(frame, tracks).map_err(|source| OutputError::Chart {
        what: "the watch page".into(),
        source,
    })?;
    crate::output::write_atomic(path, page.as_bytes())
}

fn resolve_phase(plan: &WatchPlan, phase: Option<&str>) -> Result<Option<usize>, InputError> {
    phase
        .map(|p| {
            plan.phase_index(p).ok_or_else(|| {
                InputError::Usage(format!(
                    "--phase {p}: plan {} has the phases {}",
                    plan.plan_id,
                    plan.phase_names()
                ))
            })
        })
        .transpose()
}

/// The scripts `watch` would run, per host (`--dry-run`).
pub fn dry_run(opts: &WatchOptions) -> Result<Vec<(String, String)>, WatchError> {
    let plan = plan::load(&opts.plan_file, opts.plan_id.as_deref())?;
    Ok(plan
        .hosts
        .iter()
        .map(|h| {
            (
                format!("{} ({})", h.name, h.address),
                probe::script(h, &plan.filesystems),
            )
        })
        .collect())
}

/// Starts one thread per host. Each gets only its own filesystems (not a
/// copy of the whole plan's: with 250 hosts and 1,000 filesystems that copy
/// would be 250,000 records).
fn spawn_workers(
    plan: &WatchPlan,
    transport: &Arc<dyn Transport>,
    opts: &WatchOptions,
    start: Instant,
    ending: &Arc<Ending>,
    tx: mpsc::Sender<HostReport>,
) -> Result<Vec<std::thread::JoinHandle<()>>, WatchError> {
    let mut workers = Vec::new();
    for (i, h) in plan.hosts.iter().enumerate() {
        let fs: Vec<plan::PlannedFilesystem> = h
            .filesystems
            .iter()
            .map(|&f| plan.filesystems[f].clone())
            .collect();
        let host = plan::WatchedHost {
            filesystems: (0..fs.len()).collect(),
            ..h.clone()
        };
        let script = probe::script(&host, &fs);
        let (transport, ending, tx) = (transport.clone(), ending.clone(), tx.clone());
        let target = Target {
            name: h.name.clone(),
            address: h.address.clone(),
        };
        let (once, interval) = (opts.once, opts.interval);
        workers.push(
            std::thread::Builder::new()
                .name(format!("watch {}", h.name))
                .spawn(move || {
                    host_worker(
                        transport,
                        i,
                        target,
                        script,
                        move |out| probe::parse(&host, &fs, out),
                        start,
                        interval,
                        once,
                        ending,
                        tx,
                    )
                })
                .map_err(WatchError::Thread)?,
        );
    }
    Ok(workers)
}

/// Where the screen goes: a terminal gets a redrawn table cut to its height.
pub enum Screen<'a> {
    /// A terminal of this many rows.
    Terminal(&'a mut dyn Write, usize),
    /// Plain lines.
    Lines(&'a mut dyn Write),
}

/// Runs the watch until `--once`, `--samples` or `stop` ends it.
pub fn run(
    opts: &WatchOptions,
    transport: Arc<dyn Transport>,
    stop: Arc<AtomicBool>,
    mut screen: Screen,
) -> Result<ExitCode, WatchError> {
    let plan = plan::load(&opts.plan_file, opts.plan_id.as_deref())?;
    let given_phase = resolve_phase(&plan, opts.phase.as_deref())?;
    let mut logw = match &opts.log {
        Some(p) => Some(log::LogWriter::open(p)?),
        None => None,
    };
    let interval = opts.interval;
    let stale_after_ms = (interval * 2 + opts.sample_timeout).as_millis() as u64;
    let mut w = Watch::new(
        plan,
        given_phase,
        opts.margin,
        opts.window,
        Duration::from_millis(stale_after_ms),
    );
    // A run from cron continues the log's recent history, so even one sample has a rate.
    if opts.once
        && let Some(p) = &opts.log
        && p.exists()
    {
        w.seed(&log::read(p)?, epoch_ms());
    }
    let (tx, rx) = mpsc::channel::<HostReport>();
    let ending = Arc::new(Ending::default());
    let start = Instant::now();
    let workers = spawn_workers(&w.plan, &transport, opts, start, &ending, tx)?;

    let hosts = w.plan.hosts.len();
    let start_ms = epoch_ms();
    let interval_ms = interval.as_millis() as u64;
    let mut last: Option<Judgment> = None;
    let mut last_frame_t = 0u64;
    let mut last_answered = 0;
    let mut sample: u64 = 0;
    loop {
        // Gather this tick's answers: every host, or until most of the interval has passed.
        let deadline = if opts.once {
            Instant::now() + opts.sample_timeout + Duration::from_secs(2)
        } else {
            start + interval.mul_f64(sample as f64 + 0.8)
        };
        // An answer that arrives late still counts, but only one taken at
        // this tick stops the wait for its host.
        let tick_ms = start_ms + interval_ms * sample;
        let mut seen = vec![false; hosts];
        let mut batch: Vec<HostReport> = Vec::new();
        let mut disconnected = false;
        while seen.iter().any(|s| !s) && !stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            match rx.recv_timeout((deadline - now).min(Duration::from_millis(100))) {
                Ok(r) => {
                    if r.t_ms + 50 >= tick_ms {
                        seen[r.host] = true;
                    }
                    batch.push(r);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        if stop.load(Ordering::SeqCst) && batch.is_empty() && last.is_some() {
            break;
        }
        sample += 1;
        let now_ms = epoch_ms();
        let (j, answered) = w.apply(batch, now_ms);
        last_answered = answered;
        last_frame_t = now_ms;
        let frame = w.frame(&j, sample, now_ms, (answered, hosts));
        let shown = match &mut screen {
            Screen::Terminal(out, rows) => {
                let body = render::table(&frame, rows.saturating_sub(5).max(3));
                write!(out, "\x1b[H\x1b[2J{body}").and_then(|()| out.flush())
            }
            Screen::Lines(out) => {
                write!(out, "{}", render::plain(&frame)).and_then(|()| out.flush())
            }
        };
        shown.map_err(OutputError::Stdout)?;
        if let Some(l) = &mut logw {
            l.write_sample(&w.log_lines(&j, now_ms))?;
        }
        last = Some(j);
        if opts.once
            || disconnected
            || opts.samples.is_some_and(|n| sample >= n)
            || stop.load(Ordering::SeqCst)
        {
            break;
        }
        if !sleep_until(start + interval.mul_f64(sample as f64), &stop) {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    ending.end();
    // Workers end within one poll; one stuck in a command is left to its timeout.
    let until = Instant::now() + Duration::from_secs(2);
    for h in workers {
        while !h.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        if h.is_finished() {
            let _ = h.join();
        }
    }
    let j = last.unwrap_or(Judgment {
        filesystems: Vec::new(),
        phase_remaining: None,
        progress: None,
    });
    if let Some(p) = &opts.html {
        let frame = w.frame(&j, sample, last_frame_t, (last_answered, hosts));
        write_html(p, &frame, &w.tracks)?;
    }
    Ok(exit_code(&j))
}

/// `--replay LOG --html FILE`: the charts of a finished (or running) watch
/// from its log, without connecting anywhere.
pub fn replay(opts: &WatchOptions, log_file: &std::path::Path) -> Result<ExitCode, WatchError> {
    let plan = plan::load(&opts.plan_file, opts.plan_id.as_deref())?;
    let lines = log::read(log_file)?;
    let window_ms = opts.window.as_millis() as u64;
    let mut tracks = vec![FsTrack::default(); plan.filesystems.len()];
    let index = |l: &log::LogLine| {
        plan.filesystems
            .iter()
            .position(|f| f.host == l.host && f.mount == l.mount)
    };
    for l in &lines {
        let Some(i) = index(l) else {
            return Err(InputError::Usage(format!(
                "{}: {}:{} is not a filesystem of plan {} in {}",
                log_file.display(),
                l.host,
                l.mount,
                plan.plan_id,
                opts.plan_file.display()
            ))
            .into());
        };
        if let (false, Some(u)) = (l.stale, l.used)
            && tracks[i].last.is_none_or(|(t, _)| t < l.t_ms)
        {
            tracks[i].add(l.t_ms, u, l.predicted, window_ms);
        }
    }
    // The last sample's statuses as they were logged.
    let last_t = lines.iter().map(|l| l.t_ms).max().unwrap_or(0);
    let mut views: Vec<Option<FsView>> = vec![None; plan.filesystems.len()];
    let mut phase = 0;
    for l in &lines {
        let i = index(l).expect("checked above");
        phase = plan
            .phases
            .iter()
            .position(|p| p.phase == l.phase)
            .unwrap_or(phase);
        views[i] = Some(FsView {
            index: i,
            used: l.used,
            predicted: l.predicted,
            peak: plan.filesystems[i].peak_bytes,
            limit: l.limit,
            rate: l.rate_bytes_per_s,
            seconds_to_limit: l.seconds_to_limit,
            above_plan: l.above_plan,
            status: l.status,
            age: l.stale.then(|| {
                tracks[i]
                    .last
                    .map(|(t, _)| l.t_ms.saturating_sub(t) as f64 / 1000.0)
                    .unwrap_or(0.0)
            }),
            error: l.error.clone(),
        });
    }
    let j = Judgment {
        filesystems: views.into_iter().flatten().collect(),
        phase_remaining: None,
        progress: None,
    };
    let source = PhaseSource::Logged(log_file.display().to_string());
    // One line per filesystem per sample.
    let samples = lines.len().div_ceil(plan.filesystems.len().max(1));
    let frame = render::Frame {
        plan: &plan,
        judgment: &j,
        phase,
        phase_source: &source,
        sample: samples as u64,
        t_ms: last_t,
        hosts_answered: (plan.hosts.len(), plan.hosts.len()),
    };
    if let Some(p) = &opts.html {
        write_html(p, &frame, &tracks)?;
    }
    // The last sample as the terminal showed it.
    let mut out = std::io::stdout().lock();
    write!(out, "{}", render::table(&frame, usize::MAX))
        .and_then(|()| out.flush())
        .map_err(OutputError::Stdout)?;
    Ok(exit_code(&j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(t_ms: u64, used: u64, stale: bool) -> log::LogLine {
        log::LogLine {
            time: log::rfc3339_ms(t_ms),
            t_ms,
            host: "sdw1".into(),
            mount: "/data1".into(),
            used: Some(used),
            predicted: 2_000,
            limit: 9_000,
            status: Status::OnPlan,
            above_plan: false,
            phase: "restore".into(),
            rate_bytes_per_s: None,
            seconds_to_limit: None,
            stale,
            error: None,
        }
    }

    /// `--once --log`: the log's samples inside the window give the rate
    /// (100 B/s by hand); older and stale lines do not count; the logged
    /// phase is where inference starts.
    #[test]
    fn a_once_run_continues_the_logs_history() {
        let plan = track::tests::plan(9_000, vec![2_000, 2_100, 5_000, 5_000, 1_000]);
        let mut w = Watch::new(
            plan,
            None,
            0.05,
            Duration::from_secs(60),
            Duration::from_secs(30),
        );
        let now = 1_000_000_000;
        let mut lines = vec![line(now - 600_000, 99_999, false)];
        for k in 0..5u64 {
            lines.push(line(now - 50_000 + k * 10_000, 2_000 + k * 1_000, false));
        }
        lines.push(line(now - 5_000, 50_000, true));
        w.seed(&lines, now);
        let t = &w.tracks[0];
        assert_eq!(t.last, Some((now - 10_000, 6_000)));
        assert!((t.rate().unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(w.phase, 2);
    }

    /// The restore (phase 3, planned 2 h 30 min) is first seen at t0 with
    /// 2,100 B on disk and planned to end at 5,000 B; an hour later 3,260 B
    /// are used: 1,160 of 2,900 B (40%), so the phase ends at t0 + 1 h ÷ 0.4
    /// = t0 + 2 h 30 min and, with verify (30 min) and the deletes (10 min)
    /// after it, the window at t0 + 3 h 10 min.
    #[test]
    fn the_running_phase_revises_its_end_and_the_windows() {
        let mut plan = track::tests::plan(9_000, vec![2_000, 2_100, 5_000, 5_000, 1_000]);
        plan.hosts = vec![plan::WatchedHost {
            name: "sdw1".into(),
            address: "sdw1".into(),
            filesystems: vec![0],
            ..plan::WatchedHost::default()
        }];
        plan.phase_seconds = vec![Some(3_600), Some(600), Some(9_000), Some(1_800), Some(600)];
        let mut w = Watch::new(
            plan,
            Some(2),
            0.05,
            Duration::from_secs(7_200),
            Duration::from_secs(7_200),
        );
        let sample = |t_ms: u64, used: u64| HostReport {
            host: 0,
            t_ms,
            result: Ok(probe::HostSample {
                used: vec![Ok(used)],
                old_dirs: (1, 1),
                new_primary_dirs: (1, 1),
                new_mirror_dirs: (1, 1),
                backup: None,
            }),
        };
        let t0 = 1_800_000_000_000;
        let (j, _) = w.apply(vec![sample(t0, 2_100)], t0);
        assert_eq!(j.progress, None, "nothing written since the phase was seen");
        let (j, _) = w.apply(vec![sample(t0 + 3_600_000, 3_260)], t0 + 3_600_000);
        let p = j.progress.expect("a revision");
        assert!((p.fraction - 0.4).abs() < 1e-12);
        assert_eq!(p.planned_seconds, 9_000);
        assert_eq!(p.phase_end_ms, t0 + 9_000_000);
        assert_eq!(p.window_end_ms, t0 + 11_400_000);
        // The screen says so: 1 h 30 min left; t0 = 2027-01-15T08:00:00Z.
        let line = render::progress_line("restore", &p, t0 + 3_600_000);
        assert_eq!(
            line,
            "restore: 40% of its planned bytes in 1 h 00 min (planned 2 h 30 min): the phase ends about 2027-01-15T10:30:00Z (in 1 h 30 min), the window about 2027-01-15T11:10:00Z\n"
        );
        // Without a timeline: no revision.
        w.plan.phase_seconds = vec![None; 5];
        let (j, _) = w.apply(vec![sample(t0 + 3_700_000, 3_300)], t0 + 3_700_000);
        assert_eq!(j.progress, None);
    }

    /// The estimate's timeline gives each phase of the plan its seconds.
    #[test]
    fn the_plan_reads_the_timeline_from_the_estimate() {
        let mut e = crate::report::view::tests::small();
        crate::report::view::fixture::with_timelines(&mut e);
        let json = serde_json::to_string(&e).unwrap();
        let p = plan::parse(&json, std::path::Path::new("e.json"), None).unwrap();
        // side-by-side: init 7, backup, restore, verify, delete backup & 6.
        assert_eq!(
            p.phase_seconds,
            vec![Some(600), Some(3_600), Some(9_000), Some(1_800), Some(600)]
        );
        e.plans.iter_mut().for_each(|p| p.timeline = None);
        let json = serde_json::to_string(&e).unwrap();
        let p = plan::parse(&json, std::path::Path::new("e.json"), None).unwrap();
        assert!(p.phase_seconds.iter().all(Option::is_none));
    }
}

//! How commands reach a host: one trait, four implementations.
//!
//! - [`Ssh2Transport`]: native SSH (libssh2), one session per host — the default.
//! - [`OpenSshTransport`]: the system `ssh` in BatchMode, for ProxyJump and
//!   anything else `~/.ssh/config` can say.
//! - [`LocalTransport`]: `sh -c` on this machine (`collect --local`).
//! - [`RecordedTransport`]: canned output, for unit tests only.

use std::collections::HashMap;
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status (−1 when killed by a signal).
    pub exit_status: i32,
}

/// Why a host could not be reached or a command failed to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// TCP connect or SSH handshake failed.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The host key is unknown or does not match known_hosts.
    #[error("host key check failed: {0}")]
    HostKey(String),
    /// No identity was accepted.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The command did not finish in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The command could not be run or its output read.
    #[error("command failed: {0}")]
    Command(String),
    /// The SSH client configuration file cannot be read.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file (`--ssh-config`, or `~/.ssh/config`).
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// A host to reach: its name (for messages and config lookup) and the address to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name as the catalog knows it.
    pub name: String,
    /// Address to connect to (often the same).
    pub address: String,
}

/// An open connection to one host that runs commands one after another.
pub trait Session: Send {
    /// Runs `command` through the remote user's shell and collects its output.
    fn exec(&mut self, command: &str) -> Result<CommandOutput, TransportError>;

    /// Runs `script` (whose output ends with a line `end`) again and again,
    /// where the transport can, in one long-lived remote `sh` reading scripts
    /// on its standard input: no channel, process or handshake per call
    /// (what `watch` does every few seconds on every host). Standard error is
    /// merged into the output. By default, one [`Session::exec`] per call.
    fn repeat(&mut self, script: &str, end: &str) -> Result<CommandOutput, TransportError> {
        let _ = end;
        self.exec(script)
    }
}

/// A way to open sessions to hosts; shared by the worker threads.
pub trait Transport: Send + Sync {
    /// Opens a session to `target`.
    fn connect(&self, target: &Target) -> Result<Box<dyn Session>, TransportError>;
}

/// SSH settings shared by both SSH transports.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// Remote user (`--ssh-user`; default: ~/.ssh/config's User, else the local user).
    pub user: Option<String>,
    /// Private keys to offer (`--identity`), before the agent's and the defaults.
    pub identities: Vec<PathBuf>,
    /// TCP connect and handshake timeout.
    pub connect_timeout: Duration,
    /// Timeout of each remote command.
    pub command_timeout: Duration,
    /// known_hosts file (default ~/.ssh/known_hosts).
    pub known_hosts: Option<PathBuf>,
    /// Accept and record keys of hosts not in known_hosts (never a changed key).
    pub accept_new_host_keys: bool,
    /// Port when neither the address nor ~/.ssh/config names one.
    pub port: u16,
    /// ~/.ssh/config (HostName, User, Port, IdentityFile), when present.
    pub config_file: Option<PathBuf>,
    /// How often to retry a connection that sshd closes before authentication
    /// (what `MaxStartups` does under a burst of connections).
    pub retries: u32,
}

impl Default for SshSettings {
    fn default() -> Self {
        SshSettings {
            user: None,
            identities: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(600),
            known_hosts: None,
            accept_new_host_keys: false,
            port: 22,
            config_file: home().map(|h| h.join(".ssh/config")),
            retries: 3,
        }
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "gpadmin".into())
}

/// Connection parameters after ~/.ssh/config is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resolved {
    host: String,
    port: u16,
    user: String,
    identities: Vec<PathBuf>,
}

/// Native SSH through libssh2.
pub struct Ssh2Transport {
    settings: SshSettings,
    config: Option<ssh2_config::SshConfig>,
}

impl Ssh2Transport {
    /// Builds the transport, reading ~/.ssh/config when it exists.
    pub fn new(settings: SshSettings) -> Result<Self, TransportError> {
        let config = match &settings.config_file {
            Some(p) if p.is_file() => {
                let bad = |message: String| TransportError::Config {
                    path: p.clone(),
                    message,
                };
                let f = std::fs::File::open(p).map_err(|e| bad(e.to_string()))?;
                let mut r = std::io::BufReader::new(f);
                Some(
                    ssh2_config::SshConfig::default()
                        .parse(&mut r, ssh2_config::ParseRule::ALLOW_UNKNOWN_FIELDS)
                        .map_err(|e| bad(e.to_string()))?,
                )
            }
            _ => None,
        };
        Ok(Ssh2Transport { settings, config })
    }

    fn resolve(&self, target: &Target) -> Resolved {
        let s = &self.settings;
        let (mut host, mut port) = (target.address.clone(), s.port);
        let mut user = s.user.clone();
        let mut identities = s.identities.clone();
        if let Some(cfg) = &self.config {
            let p = cfg.query(&target.address);
            if let Some(h) = p.host_name {
                host = h;
            }
            if let Some(pt) = p.port {
                port = pt;
            }
            if user.is_none() {
                user = p.user;
            }
            if let Some(ids) = p.identity_file {
                identities.extend(ids);
            }
        }
        if let Some(h) = home() {
            for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                let p = h.join(".ssh").join(name);
                if p.is_file() && !identities.contains(&p) {
                    identities.push(p);
                }
            }
        }
        Resolved {
            host,
            port,
            user: user.unwrap_or_else(local_user),
            identities,
        }
    }

    fn handshake(&self, r: &Resolved) -> Result<ssh2::Session, TransportError> {
        let timeout = self.settings.connect_timeout;
        let addrs: Vec<_> = (r.host.as_str(), r.port)
            .to_socket_addrs()
            .map_err(|e| TransportError::Connect(format!("{}:{}: {e}", r.host, r.port)))?
            .collect();
        let mut last = format!("{}:{}: no address", r.host, r.port);
        for addr in addrs {
            let tcp = match TcpStream::connect_timeout(&addr, timeout) {
                Ok(t) => t,
                Err(e) => {
                    last = format!("{addr}: {e}");
                    continue;
                }
            };
            let mut sess =
                ssh2::Session::new().map_err(|e| TransportError::Connect(e.to_string()))?;
            sess.set_tcp_stream(tcp);
            sess.set_timeout(timeout.as_millis().min(u32::MAX as u128) as u32);
            match sess.handshake() {
                Ok(()) => return Ok(sess),
                Err(e) => last = format!("{addr}: SSH handshake: {}", e.message()),
            }
        }
        Err(TransportError::Connect(last))
    }

    fn check_host_key(&self, sess: &ssh2::Session, r: &Resolved) -> Result<(), TransportError> {
        let (key, key_type) = sess
            .host_key()
            .ok_or_else(|| TransportError::HostKey("the server sent no host key".into()))?;
        let path = self
            .settings
            .known_hosts
            .clone()
            .or_else(|| home().map(|h| h.join(".ssh/known_hosts")))
            .ok_or_else(|| {
                TransportError::HostKey("no known_hosts file (set HOME or --known-hosts)".into())
            })?;
        let mut kh = sess
            .known_hosts()
            .map_err(|e| TransportError::HostKey(e.to_string()))?;
        if path.is_file() {
            kh.read_file(&path, ssh2::KnownHostFileKind::OpenSSH)
                .map_err(|e| {
                    TransportError::HostKey(format!("{}: {}", path.display(), e.message()))
                })?;
        }
        match kh.check_port(&r.host, r.port, key) {
            ssh2::CheckResult::Match => Ok(()),
            ssh2::CheckResult::Mismatch => Err(TransportError::HostKey(format!(
                "the host key of {}:{} does not match {} (possible man-in-the-middle, or the host was reinstalled)",
                r.host,
                r.port,
                path.display()
            ))),
            ssh2::CheckResult::NotFound if self.settings.accept_new_host_keys => {
                let name = if r.port == 22 {
                    r.host.clone()
                } else {
                    format!("[{}]:{}", r.host, r.port)
                };
                kh.add(&name, key, "added by whpg-plan", key_type.into())
                    .and_then(|_| kh.write_file(&path, ssh2::KnownHostFileKind::OpenSSH))
                    .map_err(|e| {
                        TransportError::HostKey(format!("{}: {}", path.display(), e.message()))
                    })
            }
            ssh2::CheckResult::NotFound => Err(TransportError::HostKey(format!(
                "{}:{} is not in {} (use --accept-new-host-keys to trust it on first use)",
                r.host,
                r.port,
                path.display()
            ))),
            ssh2::CheckResult::Failure => Err(TransportError::HostKey(format!(
                "could not check {}",
                path.display()
            ))),
        }
    }

    fn authenticate(&self, sess: &ssh2::Session, r: &Resolved) -> Result<(), TransportError> {
        let mut tried = Vec::new();
        for id in &r.identities {
            if sess.userauth_pubkey_file(&r.user, None, id, None).is_ok() && sess.authenticated() {
                return Ok(());
            }
            tried.push(id.display().to_string());
        }
        // The agent: every identity it holds, not just the first.
        if std::env::var_os("SSH_AUTH_SOCK").is_some()
            && let Ok(mut agent) = sess.agent()
            && agent.connect().is_ok()
            && agent.list_identities().is_ok()
        {
            for key in agent.identities().unwrap_or_default() {
                if agent.userauth(&r.user, &key).is_ok() && sess.authenticated() {
                    return Ok(());
                }
                tried.push(format!("agent key {}", key.comment()));
            }
        }
        Err(TransportError::Auth(format!(
            "user {} was not accepted with {}",
            r.user,
            if tried.is_empty() {
                "no identity (give --identity)".to_string()
            } else {
                tried.join(", ")
            }
        )))
    }
}

impl Transport for Ssh2Transport {
    fn connect(&self, target: &Target) -> Result<Box<dyn Session>, TransportError> {
        let r = self.resolve(target);
        let mut attempt = 0;
        let sess = loop {
            match self.handshake(&r) {
                Ok(s) => break s,
                // sshd's MaxStartups closes surplus unauthenticated connections
                // at once: retry those, not timeouts or refusals.
                Err(TransportError::Connect(m))
                    if attempt < self.settings.retries && closed_early(&m) =>
                {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(150 * u64::from(attempt)));
                }
                Err(e) => return Err(e),
            }
        };
        self.check_host_key(&sess, &r)?;
        self.authenticate(&sess, &r)?;
        sess.set_timeout(
            self.settings
                .command_timeout
                .as_millis()
                .min(u32::MAX as u128) as u32,
        );
        Ok(Box::new(Ssh2Session {
            sess,
            timeout: self.settings.command_timeout,
            shell: None,
        }))
    }
}

fn closed_early(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("closed") || m.contains("reset") || m.contains("banner")
}

/// An I/O error of a libssh2 call as a transport error: a timeout, or a failed command.
fn timed_out(sess: &ssh2::Session, e: std::io::Error, timeout: Duration) -> TransportError {
    if e.kind() == std::io::ErrorKind::TimedOut
        || e.to_string().to_lowercase().contains("timed out")
    {
        // A host that stopped answering gets no graceful close: in blocking
        // mode, dropping the channel and the session would each wait the
        // timeout again.
        sess.set_blocking(false);
        TransportError::Timeout(format!("no answer within {} s", timeout.as_secs()))
    } else {
        TransportError::Command(e.to_string())
    }
}

struct Ssh2Session {
    sess: ssh2::Session,
    timeout: Duration,
    /// The long-lived `sh` of [`Session::repeat`], once started.
    shell: Option<ssh2::Channel>,
}

impl Ssh2Session {
    fn repeat_once(&mut self, script: &str, end: &str) -> Result<String, TransportError> {
        use std::io::Write;
        let (sess, timeout) = (self.sess.clone(), self.timeout);
        let timed = move |e: std::io::Error| timed_out(&sess, e, timeout);
        if self.shell.is_none() {
            let mut ch = self.sess.channel_session().map_err(|e| timed(e.into()))?;
            ch.handle_extended_data(ssh2::ExtendedData::Merge)
                .map_err(|e| timed(e.into()))?;
            ch.exec("exec sh").map_err(|e| timed(e.into()))?;
            self.shell = Some(ch);
        }
        let ch = self.shell.as_mut().expect("started above");
        ch.write_all(script.as_bytes())
            .and_then(|()| ch.flush())
            .map_err(&timed)?;
        let marker = format!("\n{end}\n");
        let mut out = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = ch.read(&mut chunk).map_err(&timed)?;
            if n == 0 {
                return Err(TransportError::Command(
                    "the remote shell ended".to_string(),
                ));
            }
            out.extend_from_slice(&chunk[..n]);
            let done = out.ends_with(marker.as_bytes()) || out == marker.as_bytes()[1..];
            if done {
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
        }
    }
}

impl Session for Ssh2Session {
    fn repeat(&mut self, script: &str, end: &str) -> Result<CommandOutput, TransportError> {
        match self.repeat_once(script, end) {
            Ok(stdout) => Ok(CommandOutput {
                stdout,
                stderr: String::new(),
                exit_status: 0,
            }),
            Err(e) => {
                self.shell = None;
                Err(e)
            }
        }
    }

    fn exec(&mut self, command: &str) -> Result<CommandOutput, TransportError> {
        let sess = &self.sess;
        let timed = |e: std::io::Error, timeout: Duration| timed_out(sess, e, timeout);
        let mut ch = self
            .sess
            .channel_session()
            .map_err(|e| timed(e.into(), self.timeout))?;
        ch.exec(command)
            .map_err(|e| timed(e.into(), self.timeout))?;
        // Bytes, then lossy text: a sample from a non-UTF-8 database must not fail the read.
        let mut out = Vec::new();
        ch.read_to_end(&mut out)
            .map_err(|e| timed(e, self.timeout))?;
        let mut err = Vec::new();
        ch.stderr()
            .read_to_end(&mut err)
            .map_err(|e| timed(e, self.timeout))?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        );
        ch.wait_close().map_err(|e| timed(e.into(), self.timeout))?;
        let exit_status = ch
            .exit_status()
            .map_err(|e| TransportError::Command(e.to_string()))?;
        Ok(CommandOutput {
            stdout,
            stderr,
            exit_status,
        })
    }
}

/// Runs a local process with a deadline; kills it when the deadline passes.
pub fn run_with_timeout(
    cmd: &mut Command,
    timeout: Duration,
) -> Result<CommandOutput, TransportError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            TransportError::Command(format!("cannot start {:?}: {e}", cmd.get_program()))
        })?;
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(TransportError::Timeout(format!(
                    "no answer within {} s",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(TransportError::Command(e.to_string())),
        }
    };
    Ok(CommandOutput {
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
        exit_status: status.code().unwrap_or(-1),
    })
}

/// The system `ssh` client in BatchMode: one process per command, over one
/// kept-open master connection per host when [`OpenSshTransport::multiplexed`].
pub struct OpenSshTransport {
    settings: SshSettings,
    /// ControlPath directory (0700, removed on drop) when multiplexing.
    control_dir: Option<PathBuf>,
}

impl OpenSshTransport {
    /// Builds the transport.
    pub fn new(settings: SshSettings) -> Self {
        OpenSshTransport {
            settings,
            control_dir: None,
        }
    }

    /// Keeps one connection per host open (OpenSSH ControlMaster) so that
    /// repeated commands (`watch`) do not each pay a handshake. The master
    /// ends when its session is dropped, or 60 s after its last command.
    pub fn multiplexed(mut self) -> Self {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        let dir = std::env::temp_dir().join(format!("whpg-plan-ssh-{}", std::process::id()));
        let created = std::fs::DirBuilder::new().mode(0o700).create(&dir).is_ok();
        // A directory left by an earlier process with this pid is used only if it
        // is ours and private: the control sockets in it carry our sessions.
        let ours = || {
            std::fs::symlink_metadata(&dir).is_ok_and(|m| {
                m.is_dir()
                    && m.uid() == std::fs::metadata("/proc/self").map_or(u32::MAX, |s| s.uid())
                    && m.permissions().mode() & 0o077 == 0
            })
        };
        if created || ours() {
            self.control_dir = Some(dir);
        }
        self
    }
}

impl Drop for OpenSshTransport {
    fn drop(&mut self) {
        if let Some(d) = &self.control_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

impl Transport for OpenSshTransport {
    fn connect(&self, target: &Target) -> Result<Box<dyn Session>, TransportError> {
        let s = &self.settings;
        let mut args: Vec<String> = vec![
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            format!("ConnectTimeout={}", s.connect_timeout.as_secs().max(1)),
            "-o".into(),
            format!(
                "StrictHostKeyChecking={}",
                if s.accept_new_host_keys {
                    "accept-new"
                } else {
                    "yes"
                }
            ),
        ];
        if let Some(k) = &s.known_hosts {
            args.push("-o".into());
            args.push(format!("UserKnownHostsFile={}", k.display()));
        }
        if let Some(u) = &s.user {
            args.push("-l".into());
            args.push(u.clone());
        }
        for id in &s.identities {
            args.push("-i".into());
            args.push(id.display().to_string());
        }
        if s.port != 22 {
            args.push("-p".into());
            args.push(s.port.to_string());
        }
        let mut control = None;
        if let Some(d) = &self.control_dir {
            let path = d.join("%C").display().to_string();
            args.extend([
                "-o".into(),
                "ControlMaster=auto".into(),
                "-o".into(),
                format!("ControlPath={path}"),
                "-o".into(),
                "ControlPersist=60".into(),
            ]);
            control = Some(path);
        }
        args.push(target.address.clone());
        Ok(Box::new(OpenSshSession {
            args,
            timeout: s.command_timeout + s.connect_timeout,
            control,
        }))
    }
}

struct OpenSshSession {
    args: Vec<String>,
    timeout: Duration,
    /// The ControlPath when multiplexing: the master is told to exit on drop.
    control: Option<String>,
}

impl Drop for OpenSshSession {
    fn drop(&mut self) {
        if self.control.is_some() {
            let mut args = self.args.clone();
            let host = args.pop().unwrap_or_default();
            let _ = Command::new("ssh")
                .args(&args)
                .args(["-O", "exit", &host])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Session for OpenSshSession {
    fn exec(&mut self, command: &str) -> Result<CommandOutput, TransportError> {
        let out = run_with_timeout(
            Command::new("ssh").args(&self.args).arg(command),
            self.timeout,
        )?;
        if out.exit_status == 255 {
            let msg = out.stderr.trim().to_string();
            let lower = msg.to_lowercase();
            return Err(if lower.contains("host key") {
                TransportError::HostKey(msg)
            } else if lower.contains("permission denied") {
                TransportError::Auth(msg)
            } else {
                TransportError::Connect(msg)
            });
        }
        Ok(out)
    }
}

/// Commands on this machine through `sh -c`.
pub struct LocalTransport {
    /// Timeout of each command.
    pub command_timeout: Duration,
}

impl Transport for LocalTransport {
    fn connect(&self, _target: &Target) -> Result<Box<dyn Session>, TransportError> {
        Ok(Box::new(LocalSession {
            timeout: self.command_timeout,
        }))
    }
}

struct LocalSession {
    timeout: Duration,
}

impl Session for LocalSession {
    fn exec(&mut self, command: &str) -> Result<CommandOutput, TransportError> {
        run_with_timeout(Command::new("sh").arg("-c").arg(command), self.timeout)
    }
}

/// A recorded answer: the needle a command must contain, and what it returns.
pub type RecordedAnswer = (String, Result<CommandOutput, TransportError>);

/// Canned answers for unit tests: per host, the first entry whose needle the
/// command contains answers it. Never used instead of the test bed.
#[derive(Debug, Clone, Default)]
pub struct RecordedTransport {
    /// host address → [(needle, output or error)].
    pub answers: HashMap<String, Vec<RecordedAnswer>>,
    /// Hosts that refuse connections.
    pub unreachable: HashMap<String, TransportError>,
}

impl RecordedTransport {
    /// Records that commands on `host` containing `needle` print `stdout` and exit 0.
    pub fn answer(&mut self, host: &str, needle: &str, stdout: &str) -> &mut Self {
        self.answers.entry(host.into()).or_default().push((
            needle.into(),
            Ok(CommandOutput {
                stdout: stdout.into(),
                stderr: String::new(),
                exit_status: 0,
            }),
        ));
        self
    }
}

impl RecordedTransport {
    /// Records that commands on `host` containing `needle` print `stdout` and
    /// `stderr` and exit with `exit_status` (a failing psql).
    pub fn answer_failing(
        &mut self,
        host: &str,
        needle: &str,
        stdout: &str,
        stderr: &str,
        exit_status: i32,
    ) -> &mut Self {
        self.answers.entry(host.into()).or_default().push((
            needle.into(),
            Ok(CommandOutput {
                stdout: stdout.into(),
                stderr: stderr.into(),
                exit_status,
            }),
        ));
        self
    }
}

impl Transport for RecordedTransport {
    fn connect(&self, target: &Target) -> Result<Box<dyn Session>, TransportError> {
        if let Some(e) = self.unreachable.get(&target.address) {
            return Err(e.clone());
        }
        Ok(Box::new(RecordedSession {
            answers: self
                .answers
                .get(&target.address)
                .cloned()
                .unwrap_or_default(),
        }))
    }
}

struct RecordedSession {
    answers: Vec<RecordedAnswer>,
}

impl Session for RecordedSession {
    fn exec(&mut self, command: &str) -> Result<CommandOutput, TransportError> {
        self.answers
            .iter()
            .find(|(needle, _)| command.contains(needle.as_str()))
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| {
                Err(TransportError::Command(format!(
                    "no recorded answer for: {command}"
                )))
            })
    }
}

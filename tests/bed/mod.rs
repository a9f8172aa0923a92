//! The test bed: real sshd "hosts" and a real PostgreSQL coordinator catalog,
//! started by the tests and torn down by `Drop`, also when a test fails.
//!
//! Each host is an `sshd` in its own mount, UTS and PID namespaces
//! (`unshare`), chrooted into a small tmpfs with the machine's /usr and /etc
//! bound read-only, its own size-limited tmpfs filesystems at /data1 and
//! /data2 holding Greenplum-shaped data directories of exact sizes, listening
//! on its own loopback address (127.77.B.H:22). Killing the namespace's init
//! (the sshd) ends everything on that host and its mounts vanish.
//!
//! The coordinator's catalog is a real PostgreSQL 15 server on 127.0.0.1
//! whose `gp_toolkit` schema holds stand-ins with GP6's names, columns and
//! types (gp_segment_configuration, pg_appendonly, pg_partition, a pg_class
//! view with relstorage, version(), gp_tablespace_location(),
//! get_ao_compression_ratio()) placed before pg_catalog in the search path,
//! so the collector's unqualified GP6 SQL runs unchanged. Tables whose names
//! start with `bed_` are the bed's own bookkeeping, not Greenplum's.
#![allow(dead_code)]

pub mod preflight;

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Allocated size of a file of `n` bytes on tmpfs (whole 4 KiB pages).
pub fn allocated(n: u64) -> u64 {
    n.div_ceil(4096) * 4096
}

const MIB: u64 = 1 << 20;

/// One file to create on a host, relative to the host's root.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub path: String,
    pub bytes: u64,
}

/// What one instance's data directory holds (bytes per file).
#[derive(Debug, Clone)]
pub struct InstanceLayout {
    pub base_files: Vec<u64>,
    pub global_files: Vec<u64>,
    pub wal_files: Vec<u64>,
    pub log_files: Vec<u64>,
    pub other_files: Vec<u64>,
    pub tablespace_files: Vec<u64>,
    /// Files under `<datadir>/backups/`, by path relative to it (an earlier gpbackup).
    pub backup_files: Vec<(String, u64)>,
}

impl Default for InstanceLayout {
    fn default() -> Self {
        InstanceLayout {
            // A heap relation of 1 GB segments scaled down, its fsm fork, and AO segment files.
            base_files: vec![3 * MIB, 24_576, MIB + 1000, 700_000],
            global_files: vec![8192, 100_000],
            wal_files: vec![2 * MIB],
            log_files: vec![300_001],
            other_files: vec![8192, 4321],
            tablespace_files: vec![MIB - 5],
            backup_files: Vec::new(),
        }
    }
}

/// One instance in the bed.
#[derive(Debug, Clone)]
pub struct BedInstance {
    pub dbid: u32,
    pub content: i32,
    pub role: char,
    pub host: usize,
    pub port: u16,
    pub datadir: String,
    pub layout: InstanceLayout,
    /// Write the catalog row but create nothing on disk (a path that does not exist).
    pub catalog_only: bool,
}

impl BedInstance {
    /// Expected allocated bytes: (data = base + global, wal, logs, other, tablespace).
    pub fn expected(&self) -> (u64, u64, u64, u64, u64) {
        let s = |v: &Vec<u64>| v.iter().map(|&b| allocated(b)).sum::<u64>();
        let l = &self.layout;
        (
            s(&l.base_files) + s(&l.global_files),
            s(&l.wal_files),
            s(&l.log_files),
            s(&l.other_files),
            s(&l.tablespace_files),
        )
    }

    /// How many files the instance has (each may be off by one block).
    pub fn files(&self) -> u64 {
        let l = &self.layout;
        (l.base_files.len()
            + l.global_files.len()
            + l.wal_files.len()
            + l.log_files.len()
            + l.other_files.len()) as u64
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BedSpec {
    /// Host names; index 0 is the coordinator, 1 the standby, the rest segment hosts.
    pub hosts: Vec<String>,
    /// Size of /data1 and /data2 on every host.
    pub fs_bytes: u64,
    /// Every instance.
    pub instances: Vec<BedInstance>,
    /// The tablespace location on /data2 (each instance gets `<location>/<dbid>`).
    pub tablespace: Option<String>,
    /// Extra sshd_config lines per host index (e.g. `ForceCommand sleep 600`).
    pub sshd_extra: Vec<(usize, String)>,
    /// Directories (per host index) to make unreadable to anyone but root.
    pub unreadable: Vec<(usize, String)>,
    /// What the stand-in `version()` says: a Greenplum 6 string by default.
    pub version: String,
}

/// The standard cluster of the collector tests: coordinator, standby and
/// `segment_hosts` hosts with two primaries (one per filesystem) and two
/// mirrors each, group mirroring, and a tablespace on /data2.
pub fn standard_spec(segment_hosts: usize, fs_bytes: u64) -> BedSpec {
    let mut hosts = vec!["cdw".to_string(), "scdw".to_string()];
    for h in 0..segment_hosts {
        hosts.push(format!("sdw{}", h + 1));
    }
    let coord_layout = InstanceLayout {
        base_files: vec![MIB],
        tablespace_files: vec![8192],
        ..Default::default()
    };
    let mut instances = vec![
        BedInstance {
            dbid: 1,
            content: -1,
            role: 'p',
            host: 0,
            port: 5432,
            datadir: "/data1/master/gpseg-1".into(),
            layout: coord_layout.clone(),
            catalog_only: false,
        },
        BedInstance {
            dbid: 100,
            content: -1,
            role: 'm',
            host: 1,
            port: 5432,
            datadir: "/data1/master/gpseg-1".into(),
            layout: coord_layout,
            catalog_only: false,
        },
    ];
    let mut dbid = 2;
    for h in 0..segment_hosts {
        for k in 0..2usize {
            let content = (h * 2 + k) as i32;
            let fs = if k == 0 { "/data1" } else { "/data2" };
            instances.push(BedInstance {
                dbid,
                content,
                role: 'p',
                host: 2 + h,
                port: 6000 + k as u16,
                datadir: format!("{fs}/primary/gpseg{content}"),
                layout: InstanceLayout::default(),
                catalog_only: false,
            });
            instances.push(BedInstance {
                dbid: dbid + 50,
                content,
                role: 'm',
                host: 2 + (h + 1) % segment_hosts,
                port: 7000 + k as u16,
                datadir: format!("{fs}/mirror/gpseg{content}"),
                layout: InstanceLayout::default(),
                catalog_only: false,
            });
            dbid += 1;
        }
    }
    BedSpec {
        hosts,
        fs_bytes,
        instances,
        tablespace: Some("/data2/ts_fast".into()),
        sshd_extra: Vec::new(),
        unreadable: Vec::new(),
        version: GP6_VERSION.into(),
    }
}

struct RunningHost {
    name: String,
    address: String,
    unshare: Child,
    dir: PathBuf,
}

/// A running bed; everything stops when it is dropped.
pub struct Bed {
    pub spec: BedSpec,
    pub dir: tempfile::TempDir,
    pub client_key: PathBuf,
    pub known_hosts: PathBuf,
    pub pg_port: u16,
    pub addresses: Vec<String>,
    hosts: Vec<RunningHost>,
    pg: Option<LocalPostgres>,
    silent: Vec<std::thread::JoinHandle<()>>,
    stop_silent: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

static NEXT_BED: AtomicU32 = AtomicU32::new(0);

/// uid/gid of the bed's unprivileged `gpadmin` (exists only inside the bed's hosts).
pub const GPADMIN_UID: u32 = 1999;

fn require(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "the test bed needs {path}: install it with `apt-get install -y {package}` (.ci/run does)"
    );
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "whpg-bed", "-f"])
        .arg(path));
}

/// A port on 127.0.0.1 that nothing listens on and that no other test in this
/// process was given: the kernel may hand the same ephemeral port to two tests
/// that bind and close at the same moment, so the ports given out are remembered.
fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Bed {
    /// Builds and starts the bed; panics with what to install when a prerequisite is missing.
    pub fn start(spec: BedSpec) -> Bed {
        require("/usr/sbin/sshd", "openssh-server");
        require("/usr/bin/ssh-keygen", "openssh-client");
        require("/usr/bin/unshare", "util-linux");
        require("/usr/lib/postgresql/15/bin/initdb", "postgresql-15");
        require("/usr/bin/psql", "postgresql-client-15");
        let uid = run(Command::new("id").arg("-u"));
        assert_eq!(
            uid.trim(),
            "0",
            "the test bed needs root (namespaces and tmpfs mounts)"
        );

        let n = NEXT_BED.fetch_add(1, Ordering::SeqCst) + 1;
        let octet = (std::process::id() % 100) as u32 * 2 + n; // distinct per process and bed
        let dir = tempfile::Builder::new()
            .prefix("whpg-bed-")
            .tempdir()
            .unwrap();
        let client_key = dir.path().join("client_key");
        keygen(&client_key);
        let pubkey = std::fs::read_to_string(dir.path().join("client_key.pub")).unwrap();
        let known_hosts = dir.path().join("known_hosts");
        let mut kh = String::new();
        let mut bed = Bed {
            addresses: (0..spec.hosts.len())
                .map(|h| format!("127.77.{}.{}", octet % 250 + 1, h + 1))
                .collect(),
            spec,
            dir,
            client_key,
            known_hosts: known_hosts.clone(),
            pg_port: 0,
            hosts: Vec::new(),
            pg: None,
            silent: Vec::new(),
            stop_silent: Default::default(),
        };
        for (h, name) in bed.spec.hosts.clone().iter().enumerate() {
            let hdir = bed.dir.path().join(format!("host-{name}"));
            std::fs::create_dir(&hdir).unwrap();
            keygen(&hdir.join("host_key"));
            std::fs::write(hdir.join("authorized_keys"), &pubkey).unwrap();
            let hostpub = std::fs::read_to_string(hdir.join("host_key.pub")).unwrap();
            let mut parts = hostpub.split_whitespace();
            let _ = writeln!(
                kh,
                "{} {} {}",
                bed.addresses[h],
                parts.next().unwrap(),
                parts.next().unwrap()
            );
            bed.write_host_files(h, &hdir);
        }
        std::fs::write(&known_hosts, kh).unwrap();
        // An unprivileged gpadmin that exists only inside the bed's hosts:
        // the machine's account files plus one line, bound over /etc there.
        for (file, line) in [
            (
                "passwd",
                format!("gpadmin:x:{GPADMIN_UID}:{GPADMIN_UID}:gpadmin:/home/gpadmin:/bin/bash"),
            ),
            ("shadow", "gpadmin:*:20000:0:99999:7:::".to_string()),
            ("group", format!("gpadmin:x:{GPADMIN_UID}:")),
        ] {
            let real = std::fs::read_to_string(format!("/etc/{file}")).unwrap();
            std::fs::write(bed.dir.path().join(file), format!("{}{line}\n", real)).unwrap();
        }
        // gpadmin may use sudo without a password on the bed's hosts, as the
        // runbook's directory step expects of a Greenplum host (bound over
        // /etc/sudoers when Debian's sudo is installed).
        let sudoers = bed.dir.path().join("sudoers");
        std::fs::write(
            &sudoers,
            "Defaults !lecture\nroot ALL=(ALL:ALL) ALL\ngpadmin ALL=(ALL:ALL) NOPASSWD: ALL\n",
        )
        .unwrap();
        std::fs::set_permissions(
            &sudoers,
            std::os::unix::fs::PermissionsExt::from_mode(0o440),
        )
        .unwrap();
        for h in 0..bed.spec.hosts.len() {
            let host = bed.launch(h);
            bed.hosts.push(host);
        }
        for h in 0..bed.hosts.len() {
            bed.wait_listening(h);
        }
        bed.start_postgres();
        bed
    }

    fn write_host_files(&self, h: usize, hdir: &Path) {
        let name = &self.spec.hosts[h];
        let extra: String = self
            .spec
            .sshd_extra
            .iter()
            .filter(|(i, _)| *i == h)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        // sshd keeps the first value it reads for a keyword: the extra lines go first.
        let conf = format!(
            "{extra}ListenAddress {}:22\nHostKey /cfg/host_key\nPidFile /run/sshd.pid\nAuthorizedKeysFile /cfg/authorized_keys\n\
PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes yes\n\
PrintMotd no\nLogLevel ERROR\n",
            self.addresses[h]
        );
        std::fs::write(hdir.join("sshd.conf"), conf).unwrap();
        // The files of every instance on this host.
        let mut mk = String::new();
        for i in self
            .spec
            .instances
            .iter()
            .filter(|i| i.host == h && !i.catalog_only)
        {
            let d = format!("$ROOT{}", i.datadir);
            let l = &i.layout;
            let mut files: Vec<(String, u64)> = Vec::new();
            for (k, b) in l.base_files.iter().enumerate() {
                files.push((format!("{d}/base/16384/{}", 24576 + k), *b));
            }
            for (k, b) in l.global_files.iter().enumerate() {
                files.push((format!("{d}/global/{}", 1260 + k), *b));
            }
            for (k, b) in l.wal_files.iter().enumerate() {
                files.push((format!("{d}/pg_xlog/00000001000000000000000{k}"), *b));
            }
            for (k, b) in l.log_files.iter().enumerate() {
                files.push((format!("{d}/pg_log/gpdb-2026-11-20_{k:06}.csv"), *b));
            }
            for (k, b) in l.other_files.iter().enumerate() {
                files.push((
                    format!(
                        "{d}/{}",
                        if k == 0 {
                            "pg_control.bak".to_string()
                        } else {
                            format!("postgresql{k}.conf")
                        }
                    ),
                    *b,
                ));
            }
            for (rel, b) in &l.backup_files {
                files.push((format!("{d}/backups/{rel}"), *b));
            }
            if let Some(ts) = &self.spec.tablespace {
                for (k, b) in l.tablespace_files.iter().enumerate() {
                    files.push((
                        format!("$ROOT{ts}/{}/GPDB_6_301908232/16384/{}", i.dbid, 40000 + k),
                        *b,
                    ));
                }
            }
            for (f, b) in files {
                let parent = &f[..f.rfind('/').unwrap()];
                let _ = writeln!(mk, "mkdir -p \"{parent}\"; head -c {b} /dev/zero > \"{f}\"");
            }
        }
        for (_, d) in self.spec.unreadable.iter().filter(|(i, _)| *i == h) {
            let _ = writeln!(mk, "chmod 700 \"$ROOT{d}\"");
        }
        let size = self.spec.fs_bytes;
        let script = format!(
            r#"set -e
ROOT={cfg}/root
hostname {name}
mkdir -p "$ROOT"
mount -t tmpfs -o size=16m,mode=755 root-{name} "$ROOT"
cd "$ROOT"
mkdir -p usr etc dev proc cfg data1 data2 run/sshd root tmp var/lib/postgresql
chmod 1777 tmp
ln -s usr/bin bin; ln -s usr/lib lib; ln -s usr/lib64 lib64; ln -s usr/sbin sbin
mount --bind /usr usr; mount -o remount,bind,ro usr
mount --bind /etc etc; mount -o remount,bind,ro etc
for f in passwd shadow group; do mount --bind {base}/$f etc/$f; done
if [ -e /etc/sudoers ]; then mount --bind {base}/sudoers etc/sudoers; fi
mkdir -p home/gpadmin; chown {GPADMIN_UID}:{GPADMIN_UID} home/gpadmin
mount --rbind /dev dev
mount -t proc proc proc
mount --bind {cfg} cfg
mount -t tmpfs -o size={size},mode=755 {name}-data1 data1
mount -t tmpfs -o size={size},mode=755 {name}-data2 data2
{mk}
exec chroot "$ROOT" /usr/sbin/sshd -D -e -f /cfg/sshd.conf
"#,
            cfg = sh_quote(&hdir.display().to_string()),
            base = sh_quote(&self.dir.path().display().to_string()),
        );
        std::fs::write(hdir.join("start.sh"), script).unwrap();
    }

    fn launch(&self, h: usize) -> RunningHost {
        let name = self.spec.hosts[h].clone();
        let hdir = self.dir.path().join(format!("host-{name}"));
        let log = std::fs::File::create(hdir.join("log")).unwrap();
        let unshare = Command::new("setsid")
            .args([
                "unshare",
                "--mount",
                "--uts",
                "--pid",
                "--fork",
                "--kill-child",
                "--propagation",
                "private",
                "--",
                "bash",
            ])
            .arg(hdir.join("start.sh"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("unshare starts");
        RunningHost {
            name,
            address: self.addresses[h].clone(),
            unshare,
            dir: hdir,
        }
    }

    fn wait_listening(&self, h: usize) {
        let addr: SocketAddr = format!("{}:22", self.addresses[h]).parse().unwrap();
        let start = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if start.elapsed() > Duration::from_secs(15) {
                let log =
                    std::fs::read_to_string(self.hosts[h].dir.join("log")).unwrap_or_default();
                panic!(
                    "host {} did not start listening on {addr}: {log}",
                    self.spec.hosts[h]
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What host `h`'s sshd has logged so far.
    pub fn host_log(&self, h: usize) -> String {
        std::fs::read_to_string(self.hosts[h].dir.join("log")).unwrap_or_default()
    }

    /// The pid of the host's namespace init (its sshd), seen from outside.
    pub fn sshd_pid(&self, h: usize) -> Option<u32> {
        let p = self.hosts[h].unshare.id();
        let children = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }

    /// A path inside host `h`'s root, readable from outside through /proc.
    pub fn host_path(&self, h: usize, path: &str) -> PathBuf {
        PathBuf::from(format!(
            "/proc/{}/root{path}",
            self.sshd_pid(h).expect("host running")
        ))
    }

    /// Host `h`'s configuration directory on the machine, which the host sees as /cfg.
    pub fn cfg_dir(&self, h: usize) -> PathBuf {
        self.dir.path().join(format!("host-{}", self.spec.hosts[h]))
    }

    /// Runs `cmd` on host `h` as root over ssh (the machine's OpenSSH client).
    pub fn ssh(&self, h: usize, cmd: &str) -> std::process::Output {
        Command::new("ssh")
            .args([
                "-q",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-i",
            ])
            .arg(&self.client_key)
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .arg(format!("root@{}", self.addresses[h]))
            .arg(cmd)
            .stdin(Stdio::null())
            .output()
            .expect("ssh runs")
    }

    /// Stops host `h`'s sshd (a host that is down).
    pub fn stop_host(&mut self, h: usize) {
        if let Some(pid) = self.sshd_pid(h) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        let _ = self.hosts[h].unshare.kill();
        let _ = self.hosts[h].unshare.wait();
    }

    /// Starts host `h` again after [`Bed::stop_host`]: a fresh namespace with
    /// the same files, host key and address (a host that was down comes back).
    pub fn restart_host(&mut self, h: usize) {
        let host = self.launch(h);
        self.hosts[h] = host;
        self.wait_listening(h);
    }

    /// Replaces host `h` by a listener that accepts TCP and never speaks SSH.
    pub fn make_silent(&mut self, h: usize) {
        self.stop_host(h);
        let addr = format!("{}:22", self.addresses[h]);
        let start = Instant::now();
        let listener = loop {
            match TcpListener::bind(&addr) {
                Ok(l) => break l,
                Err(_) if start.elapsed() < Duration::from_secs(5) => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(e) => panic!("cannot bind {addr}: {e}"),
            }
        };
        listener.set_nonblocking(true).unwrap();
        let stop = self.stop_silent.clone();
        self.silent.push(std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                if let Ok((s, _)) = listener.accept() {
                    held.push(s);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }

    /// Writes a different key for host `h` into known_hosts (a host key mismatch).
    pub fn corrupt_known_host(&self, h: usize) {
        let other = self.dir.path().join("other_key");
        keygen(&other);
        let otherpub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
        let mut parts = otherpub.split_whitespace();
        let line = format!(
            "{} {} {}",
            self.addresses[h],
            parts.next().unwrap(),
            parts.next().unwrap()
        );
        let text = std::fs::read_to_string(&self.known_hosts).unwrap();
        let text: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{} ", self.addresses[h])) {
                    line.clone()
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(&self.known_hosts, text.join("\n") + "\n").unwrap();
    }

    fn psql(&self, db: &str, sql: &str) -> String {
        self.pg
            .as_ref()
            .expect("catalog server started")
            .sql(db, sql)
    }

    fn start_postgres(&mut self) {
        let pg = LocalPostgres::start();
        // A directory the server can use for the real CREATE TABLESPACE.
        let ts = pg.dir.join("ts");
        std::fs::create_dir_all(&ts).unwrap();
        run(Command::new("chown").args(["postgres:postgres"]).arg(&ts));
        self.pg_port = pg.port;
        self.pg = Some(pg);
        self.build_catalog(&ts);
    }

    /// The stand-in `gp_segment_configuration` rows describing the bed.
    fn segment_rows_sql(&self) -> String {
        let mut seg = String::new();
        for i in &self.spec.instances {
            let _ = writeln!(
                seg,
                "INSERT INTO gp_toolkit.gp_segment_configuration VALUES ({}, {}, '{}', '{}', 's', 'u', {}, '{}', '{}', {});",
                i.dbid,
                i.content,
                i.role,
                i.role,
                i.port,
                self.spec.hosts[i.host],
                self.addresses[i.host],
                lit(&i.datadir)
            );
        }
        seg
    }

    fn build_catalog(&self, ts: &Path) {
        let seg = self.segment_rows_sql();
        for db in ["postgres", "sales"] {
            if db == "sales" {
                self.psql("postgres", "CREATE DATABASE sales");
            }
            let mut sql = STAND_IN_SQL.replace("@VERSION@", &self.spec.version.replace('\'', "''"));
            // gp_segment_configuration is a shared catalog: every database sees it.
            sql.push_str(&seg);
            if db == "postgres" {
                if let Some(loc) = &self.spec.tablespace {
                    sql.push_str(&format!(
                        "CREATE TABLESPACE ts_fast LOCATION {};\n",
                        lit(&ts.display().to_string())
                    ));
                    for c in self
                        .spec
                        .instances
                        .iter()
                        .map(|i| i.content)
                        .collect::<std::collections::BTreeSet<_>>()
                    {
                        let _ = writeln!(
                            sql,
                            "INSERT INTO gp_toolkit.bed_tablespace SELECT oid, {c}, {} FROM pg_tablespace WHERE spcname = 'ts_fast';",
                            lit(loc)
                        );
                    }
                }
            } else {
                sql.push_str(SALES_SQL);
            }
            sql.push_str(&format!(
                "ALTER DATABASE {db} SET search_path = gp_toolkit, pg_catalog, public;\n"
            ));
            let f = self.dir.path().join(format!("catalog-{db}.sql"));
            std::fs::write(&f, sql).unwrap();
            self.pg
                .as_ref()
                .expect("catalog server started")
                .sql_file(db, &f);
        }
    }

    /// Runs SQL on the coordinator database (for tests that adjust the catalog).
    pub fn sql(&self, db: &str, sql: &str) -> String {
        self.psql(db, sql)
    }

    /// Bytes of `COPY table TO STDOUT WITH CSV` in `db` with the given session
    /// options (PGOPTIONS): what gpbackup writes for the table on one instance.
    pub fn copy_csv_bytes(&self, db: &str, table: &str, pgoptions: &str) -> u64 {
        let pg = self.pg.as_ref().expect("catalog server started");
        let out = pg
            .psql(db)
            .env("PGOPTIONS", pgoptions)
            .args([
                "-c",
                &format!("COPY {table} TO STDOUT WITH CSV DELIMITER ','"),
            ])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout.len() as u64
    }

    /// Another session holds an ACCESS EXCLUSIVE lock on `table` in `db`
    /// (as a TRUNCATE or ALTER would) until the holder is dropped.
    pub fn hold_lock(&self, db: &str, table: &str) -> LockHolder {
        let pg = self.pg.as_ref().expect("catalog server started");
        let mut child = pg
            .psql(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("psql starts");
        use std::io::Write as _;
        let script = format!(
            "BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(300);\n"
        );
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let holder = LockHolder { child };
        let start = Instant::now();
        while pg
            .sql(
                db,
                &format!(
                    "SELECT count(*) FROM pg_locks WHERE relation = '{table}'::regclass AND mode = 'AccessExclusiveLock' AND granted"
                ),
            )
            .trim()
            != "1"
        {
            assert!(start.elapsed() < Duration::from_secs(10), "the lock was not taken");
            std::thread::sleep(Duration::from_millis(50));
        }
        holder
    }

    /// The catalog's on-disk bytes of the sales tables per storage kind (as the bed's catalog reports them).
    pub fn sales_sizes(&self) -> String {
        self.psql("sales", "SELECT json_agg(row_to_json(x)) FROM (SELECT relname, pg_table_size(oid) AS b FROM pg_catalog.pg_class WHERE relname IN ('orders','events','facts','ext_feed') ORDER BY relname) x")
    }

    /// Arguments that point whpg-plan at this bed (coordinator, catalog, keys).
    pub fn collect_args(&self) -> Vec<String> {
        vec![
            "--coordinator".into(),
            self.addresses[0].clone(),
            "--pg-host".into(),
            "127.0.0.1".into(),
            "--pg-port".into(),
            self.pg_port.to_string(),
            "--pg-user".into(),
            "postgres".into(),
            "--identity".into(),
            self.client_key.display().to_string(),
            "--known-hosts".into(),
            self.known_hosts.display().to_string(),
        ]
    }
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Drop for Bed {
    fn drop(&mut self) {
        for h in 0..self.hosts.len() {
            self.stop_host(h);
        }
        self.stop_silent.store(true, Ordering::SeqCst);
        for t in self.silent.drain(..) {
            let _ = t.join();
        }
        // The catalog server stops when `self.pg` is dropped.
    }
}

/// A psql session holding a lock; it is ended when dropped (also when a test fails).
pub struct LockHolder {
    child: Child,
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs whpg-plan with the machine's HOME and backtraces out of the way.
pub fn whpg(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env("HOME", "/nonexistent-home")
        .output()
        .expect("whpg-plan runs")
}

/// `whpg-plan collect` against the bed as root with `extra` arguments: the
/// process output and the inventory it wrote (kept in the returned directory).
pub fn collect(
    bed: &Bed,
    extra: &[&str],
) -> (
    std::process::Output,
    Option<whpg_plan::inventory::Inventory>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inventory.yaml");
    let mut args = vec!["collect".to_string()];
    args.extend(bed.collect_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    if !extra.contains(&"--ssh-user") {
        args.extend(["--ssh-user".to_string(), "root".to_string()]);
    }
    args.push("-o".into());
    args.push(out.display().to_string());
    let o = whpg(&args);
    let inv = whpg_plan::inventory::load(&out).ok();
    (o, inv, dir)
}

/// stdout and stderr of a process, for assertion messages.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `version()` of a Greenplum 6 coordinator.
pub const GP6_VERSION: &str = "PostgreSQL 9.4.26 (Greenplum Database 6.26.1 build commit:whpg-bed) on x86_64-unknown-linux-gnu, compiled by gcc (GCC) 6.4.0, 64-bit compiled on Nov 20 2026";
/// `version()` of a WarehousePG 7 coordinator: the 7 catalog (relam → pg_am
/// for storage kinds, partition parents as relkind 'p') is plain PostgreSQL 12+.
pub const WHPG7_VERSION: &str = "PostgreSQL 12.12 (Greenplum Database 7.5.0-WHPG build dev) on x86_64-pc-linux-gnu, compiled by gcc (GCC) 9.4.0, 64-bit compiled on Jan 1 2025 Bhuvnesh C. WarehousePG";
/// `version()` of a WarehousePG 6 coordinator, as the real banner puts it.
pub const WHPG6_VERSION: &str = "PostgreSQL 9.4.26 (Greenplum Database 6.27.5-WHPG build dev) on x86_64-pc-linux-gnu, compiled by gcc (GCC) 6.4.0, 64-bit compiled on Nov 15 2024 WarehousePG";
/// `version()` of an Apache Cloudberry coordinator: a fork, neither Greenplum nor PostgreSQL.
pub const CLOUDBERRY_VERSION: &str = "PostgreSQL 14.4 (Apache Cloudberry 1.6.0 build 1) on x86_64-pc-linux-gnu, compiled by gcc (GCC) 10.2.1, 64-bit compiled on Oct 1 2024";

/// GP6's catalog names as stand-ins (columns and types as in Greenplum 6).
const STAND_IN_SQL: &str = r#"
CREATE SCHEMA gp_toolkit;
CREATE ACCESS METHOD ao_row TYPE TABLE HANDLER heap_tableam_handler;
CREATE ACCESS METHOD ao_column TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE gp_toolkit.gp_segment_configuration (
  dbid int2 NOT NULL, content int2 NOT NULL, role "char" NOT NULL, preferred_role "char" NOT NULL,
  mode "char" NOT NULL, status "char" NOT NULL, port int4 NOT NULL, hostname text, address text, datadir text);
CREATE TABLE gp_toolkit.pg_appendonly (
  relid oid NOT NULL, blocksize int4 NOT NULL, safefswritesize int4 NOT NULL, compresslevel int2 NOT NULL,
  checksum bool NOT NULL, compresstype name, columnstore bool NOT NULL, segrelid oid, blkdirrelid oid,
  blkdiridxid oid, visimaprelid oid, visimapidxid oid);
CREATE TABLE gp_toolkit.pg_partition (
  parrelid oid NOT NULL, parkind "char" NOT NULL, parlevel int2 NOT NULL, paristemplate bool NOT NULL,
  parnatts int2 NOT NULL, paratts int2vector NOT NULL, parclass oidvector NOT NULL);
CREATE TABLE gp_toolkit.bed_external (relid oid PRIMARY KEY);
CREATE TABLE gp_toolkit.bed_ao_ratio (relid oid PRIMARY KEY, ratio float8 NOT NULL);
CREATE TABLE gp_toolkit.bed_tablespace (spcoid oid, content int, location text);
CREATE VIEW gp_toolkit.pg_class AS
  SELECT c.*,
    (CASE WHEN c.relkind IN ('r', 'm') AND a.amname = 'ao_row' THEN 'a'
          WHEN c.relkind IN ('r', 'm') AND a.amname = 'ao_column' THEN 'c'
          WHEN c.oid IN (SELECT relid FROM gp_toolkit.bed_external) THEN 'x'
          WHEN c.relkind = 'v' THEN 'v'
          WHEN c.relkind = 'f' THEN 'f'
          ELSE 'h' END)::"char" AS relstorage
  FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_am a ON a.oid = c.relam;
CREATE FUNCTION gp_toolkit.version() RETURNS text LANGUAGE sql AS
  $$ SELECT '@VERSION@'::text $$;
CREATE FUNCTION gp_toolkit.gp_tablespace_location(tablespace_oid oid, OUT gp_segment_id int, OUT tblspc_loc text)
  RETURNS SETOF record LANGUAGE sql AS
  $$ SELECT content, location FROM gp_toolkit.bed_tablespace WHERE spcoid = tablespace_oid ORDER BY content $$;
-- gp_dist_random('pg_class'): every segment's own pg_class rows, with gp_segment_id.
-- The bed has one real server, so each relation stands on exactly one segment,
-- content = oid % (number of primaries): the size functions evaluated on its
-- row then answer "this segment's bytes" as on Greenplum, sums stay exact, and
-- the tables' skew across contents is known.
CREATE FUNCTION gp_toolkit.gp_dist_random(rel text)
  RETURNS TABLE (gp_segment_id int, oid oid, relname name, relnamespace oid, relkind "char",
                 relstorage "char", relam oid, reltoastrelid oid, reltuples real)
  LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF rel <> 'pg_class' THEN
    RAISE EXCEPTION 'gp_dist_random(%): the test bed stands in for pg_class only', rel;
  END IF;
  RETURN QUERY SELECT (c.oid::int8 % s.n)::int, c.oid, c.relname, c.relnamespace, c.relkind,
      c.relstorage, c.relam, c.reltoastrelid, c.reltuples
    FROM gp_toolkit.pg_class c,
      (SELECT greatest(count(*), 1) AS n FROM gp_toolkit.gp_segment_configuration
        WHERE role = 'p' AND content >= 0) s;
END $$;
CREATE FUNCTION gp_toolkit.get_ao_compression_ratio(rel oid) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM gp_toolkit.pg_appendonly WHERE relid = rel) THEN
    RAISE EXCEPTION '''%'' is not an append-only relation', rel::regclass;
  END IF;
  RETURN coalesce((SELECT ratio FROM gp_toolkit.bed_ao_ratio WHERE relid = rel), -1);
END $$;
"#;

/// Real tables to measure in the `sales` database: heap, AO row (ratio 3),
/// AO column (ratio 4), an external table that must be left out, and an
/// empty partition parent that must not count as a table.
const SALES_SQL: &str = r#"
CREATE TABLE public.orders (id int8, customer text, amount numeric(12,2), placed date);
INSERT INTO public.orders SELECT g, 'customer-' || (g % 1000), (g % 10000) / 100.0, DATE '2026-01-01' + (g % 300) FROM generate_series(1, 20000) g;
CREATE INDEX orders_id ON public.orders (id);
CREATE TABLE public.events (id int8, kind text, payload text) USING ao_row;
INSERT INTO public.events SELECT g, 'click', repeat('x', 40) FROM generate_series(1, 10000) g;
CREATE TABLE public.facts (k int4, v float8) USING ao_column;
INSERT INTO public.facts SELECT g, g * 1.5 FROM generate_series(1, 15000) g;
CREATE TABLE public.ext_feed (line text);
INSERT INTO public.ext_feed SELECT repeat('y', 100) FROM generate_series(1, 2000);
CREATE TABLE public.sales_parent (id int4);
INSERT INTO gp_toolkit.bed_external SELECT 'public.ext_feed'::regclass;
INSERT INTO gp_toolkit.pg_appendonly VALUES
  ('public.events'::regclass, 32768, 0, 5, true, 'zstd', false, 0, 0, 0, 0, 0),
  ('public.facts'::regclass, 32768, 0, 5, true, 'zstd', true, 0, 0, 0, 0, 0);
INSERT INTO gp_toolkit.bed_ao_ratio VALUES ('public.events'::regclass, 3.0), ('public.facts'::regclass, 4.0);
INSERT INTO gp_toolkit.pg_partition VALUES ('public.sales_parent'::regclass, 'r', 0, false, 1, '1', '1978');
-- A three-level GP6 partitioned table: the root and the two intermediate
-- levels are empty relkind 'r' parents linked through pg_inherits, and
-- pg_partition has one row per level, each with the root's parrelid.
CREATE TABLE public.ledger (id int8, region text, note text);
CREATE TABLE public.ledger_1_prt_2025 () INHERITS (public.ledger);
CREATE TABLE public.ledger_1_prt_2026 () INHERITS (public.ledger);
CREATE TABLE public.ledger_1_prt_2025_2_prt_east () INHERITS (public.ledger_1_prt_2025);
CREATE TABLE public.ledger_1_prt_2025_2_prt_west () INHERITS (public.ledger_1_prt_2025);
CREATE TABLE public.ledger_1_prt_2026_2_prt_east () INHERITS (public.ledger_1_prt_2026);
CREATE TABLE public.ledger_1_prt_2026_2_prt_west () INHERITS (public.ledger_1_prt_2026);
INSERT INTO public.ledger_1_prt_2025_2_prt_east SELECT g, 'east', 'n' || g FROM generate_series(1, 1000) g;
INSERT INTO public.ledger_1_prt_2025_2_prt_west SELECT g, 'west', 'n' || g FROM generate_series(1, 2000) g;
INSERT INTO public.ledger_1_prt_2026_2_prt_east SELECT g, 'east', 'n' || g FROM generate_series(1, 3000) g;
INSERT INTO public.ledger_1_prt_2026_2_prt_west SELECT g, 'west', 'n' || g FROM generate_series(1, 4000) g;
INSERT INTO gp_toolkit.pg_partition VALUES
  ('public.ledger'::regclass, 'r', 0, false, 1, '1', '1978'),
  ('public.ledger'::regclass, 'l', 1, false, 1, '2', '1994');
ANALYZE;
"#;

/// A plain PostgreSQL 15 server on 127.0.0.1, stopped and removed on drop.
pub struct LocalPostgres {
    pub dir: PathBuf,
    pub port: u16,
}

impl LocalPostgres {
    /// initdb + start on a free port.
    pub fn start() -> LocalPostgres {
        require("/usr/lib/postgresql/15/bin/initdb", "postgresql-15");
        let port = free_port();
        // A directory of its own even if a port were ever given twice.
        let dir = tempfile::Builder::new()
            .prefix(&format!("whpg-localpg-{port}-"))
            .tempdir_in("/tmp")
            .unwrap()
            .keep();
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir));
        let pg = LocalPostgres { dir, port };
        let bin = "/usr/lib/postgresql/15/bin";
        run(Command::new("runuser")
            .current_dir("/tmp")
            .args(["-u", "postgres", "--", &format!("{bin}/initdb"), "-D"])
            .arg(pg.data_dir())
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]));
        run(Command::new("runuser")
            .current_dir("/tmp")
            .args(["-u", "postgres", "--", &format!("{bin}/pg_ctl"), "-D"])
            .arg(pg.data_dir())
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                pg.dir.display()
            ))
            .args(["-w", "-s", "start"])
            .stdout(Stdio::null()));
        pg
    }

    /// Runs an SQL file as postgres in `db`.
    pub fn sql_file(&self, db: &str, file: &Path) {
        run(self.psql(db).arg("-f").arg(file).stdout(Stdio::null()));
    }

    /// `whpg-plan collect --local` against this server; the inventory it wrote.
    pub fn collect_local(&self, extra: &[&str]) -> whpg_plan::inventory::Inventory {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("local.json");
        let o = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
            .args([
                "collect",
                "--local",
                "--pg-host",
                "127.0.0.1",
                "--pg-user",
                "postgres",
                "--pg-port",
            ])
            .arg(self.port.to_string())
            .args(extra)
            .arg("-o")
            .arg(&out)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        whpg_plan::inventory::load(&out).unwrap()
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// psql as postgres on this server, in `db`, stopping at the first error.
    pub fn psql(&self, db: &str) -> Command {
        let mut c = Command::new("psql");
        c.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-p",
        ])
        .arg(self.port.to_string())
        .args(["-d", db]);
        c
    }

    /// Runs SQL as postgres in `db`; returns its unaligned, tuples-only output.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        run(self.psql(db).args(["-A", "-t", "-c", sql]))
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .current_dir("/tmp")
            .args([
                "-u",
                "postgres",
                "--",
                "/usr/lib/postgresql/15/bin/pg_ctl",
                "-D",
            ])
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Allocated bytes of `path` as GNU du measures them (an independent check).
pub fn du_allocated(path: &Path) -> u64 {
    let out = run(Command::new("du").args(["-s", "-B1"]).arg(path));
    out.split_whitespace().next().unwrap().parse().unwrap()
}

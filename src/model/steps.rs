//! The runbook: every plan's ordered steps with the exact commands a DBA runs
//! in the change window, each saying which cluster's environment it runs in.
//! Destructive commands (gpdeletesystem, rm) exist here only as text.
//!
//! Rules the commands follow (gpbackup/gprestore 1.30, the 6 and 7 utilities;
//! docs/runbook.md lists them with their sources): a backup meant for 7 goes to a `--backup-dir` outside
//! both clusters or to a plugin, and gprestore names the same location;
//! `--with-globals` on the first restore only; no `--create-db` for databases
//! a fresh 7 cluster already has; `--resize-cluster` when the segment counts
//! differ; `gpdeletesystem -f` only after 7 is verified.

use serde::Serialize;

use super::layout::NewInstance;
use super::options::{DirectCopyTool, ExternalKind, PlanOptions};
use super::phase::{Phase, PlanId};
use crate::inventory::{InstanceKind, Inventory, Product};
use crate::shell::quote;

/// Which environment a step runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Env {
    /// The 6 cluster's: its `greenplum_path.sh`, `MASTER_DATA_DIRECTORY`, `PGPORT`.
    Gp6,
    /// The 7 cluster's: its `greenplum_path.sh`, `COORDINATOR_DATA_DIRECTORY`, `PGPORT`.
    Gp7,
    /// A separate 7 test system (the metadata-only trial restore).
    Gp7Test,
    /// No cluster's: gpadmin on the coordinator reaching every host over ssh,
    /// with sudo there (the directories the utilities need).
    Hosts,
}

impl Env {
    /// Short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Env::Gp6 => "6 environment",
            Env::Gp7 => "7 environment",
            Env::Gp7Test => "7 test system",
            Env::Hosts => "every host, sudo",
        }
    }
}

/// What a step is, for the person and the script that run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Commands run as written; the first failure stops the phase.
    Run,
    /// A check or action a person does; the commands help with it. The
    /// script runs them (never on the 7 test system), shows their output and
    /// asks the operator to confirm.
    Manual,
    /// Checks of the evidence the steps before it left (gpbackup's and
    /// gprestore's own reports, the files on every host, the catalog). A
    /// failing gate stops everything after it.
    Gate,
    /// No way back after this step (gpdeletesystem, removing the backup,
    /// removing 6): gates come right before it, and the script asks for the
    /// cluster's name to be typed.
    PointOfNoReturn,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The plan phase this step belongs to (`prepare` before the first phase).
    pub phase: Phase,
    /// What the step does.
    pub title: String,
    /// The environment its commands run in.
    pub env: Env,
    /// Run, manual, gate or point of no return.
    pub kind: StepKind,
    /// Commands, in order, as bash lines run as gpadmin in the working
    /// directory with `whpg_gates.sh` sourced; empty for a plan that is not
    /// runnable (it does not fit or is not available).
    pub commands: Vec<String>,
    /// What to know about the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The data this step moves, for its duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moves: Option<DataMove>,
    /// What the time model counts for a step that moves no data
    /// (src/model/time_model.rs); not part of the JSON.
    #[serde(skip)]
    pub work: Option<Work>,
}

impl Step {
    /// Whether a person does this step (the commands only help).
    pub fn manual(&self) -> bool {
        self.kind == StepKind::Manual
    }
}

/// What a step that moves no data does, for the time model: each has a
/// documented duration (docs/accuracy.md, "Time model").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// The write freeze: the outage starts here.
    Freeze,
    /// The cutover: the outage ends with it.
    Cutover,
    /// gpinitsystem of the 7 cluster (`mirrors`: with its mirrors).
    InitSystem {
        /// Mirrors are initialized too.
        mirrors: bool,
    },
    /// The 6 cluster deleted (gpdeletesystem, or by name).
    DeleteSystem,
    /// This upgrade's backup files removed.
    RemoveBackup,
    /// analyzedb on every database of 7.
    Analyze,
}

/// What a data-moving step moves (durations depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataMove {
    /// gpbackup writes every table as CSV (compressed).
    Backup,
    /// gprestore loads the CSV and rebuilds the indexes.
    Restore,
    /// gpcopy / whpg-copy moves the data table by table.
    Copy,
    /// gpaddmirrors copies every primary.
    Mirrors,
}

/// Where the backup lands and where gprestore reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupLocation {
    /// `--backup-dir D`: the same path on every host, host-local.
    HostDir(String),
    /// An off-host target: a plugin or a shared (NFS) directory.
    External(ExternalKind),
    /// No staged backup (direct copy).
    None,
}

impl BackupLocation {
    /// The gpbackup / gprestore flag naming this location (empty for none).
    pub fn flag(&self) -> String {
        match self {
            BackupLocation::HostDir(d) => format!(" --backup-dir {}", quote(d)),
            BackupLocation::External(k) => format!(" {}", k.flag()),
            BackupLocation::None => String::new(),
        }
    }

    /// The directory gpbackup writes into, when it is one.
    pub fn dir(&self) -> Option<&str> {
        match self {
            BackupLocation::HostDir(d) | BackupLocation::External(ExternalKind::Dir(d)) => Some(d),
            _ => None,
        }
    }

    /// The location as the gates take it: the directory, or `''` for a
    /// plugin (its metadata stays in the coordinator data directory).
    fn gate_arg(&self) -> String {
        quote(self.dir().unwrap_or(""))
    }

    /// gpbackup leaves `backups/` in the 6 coordinator directory (a plugin's
    /// metadata copies, or a trial without a directory), which gpdeletesystem refuses.
    fn leaves_coordinator_backups(&self) -> bool {
        matches!(
            self,
            BackupLocation::External(ExternalKind::Plugin(_)) | BackupLocation::None
        )
    }
}

/// One instance address for commands: host, port, data directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Data directory.
    pub datadir: String,
}

/// The two environments and the working directory every step assumes.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct RunbookEnvironment {
    /// Where the steps run (the layout files `report --layout-dir` writes go here).
    pub workdir: String,
    /// Lines that set up the 6 environment (on the 6 coordinator).
    pub gp6: Vec<String>,
    /// Lines that set up the 7 environment (on the 7 coordinator).
    pub gp7: Vec<String>,
    /// The 6 coordinator host.
    pub gp6_host: String,
    /// The 6 coordinator port (with the host, the cluster's name the script
    /// asks for before a point of no return).
    pub gp6_port: u16,
    /// The 7 coordinator host.
    pub gp7_host: String,
    /// Every host of the 6 cluster (with the 7 ones, `hostfile_all`).
    pub hosts6: Vec<String>,
}

/// Names of the files `report --layout-dir` writes and the runbook uses.
pub mod files {
    /// `gpinitsystem -I` input: the exact 7 layout with mirrors.
    pub const INPUT: &str = "gpinitsystem_input_7";
    /// `gpinitsystem -I` input without mirrors (mirrorless plan).
    pub const INPUT_MIRRORLESS: &str = "gpinitsystem_input_7_mirrorless";
    /// `gpaddmirrors -i` input: the mirrors of the 7 layout.
    pub const ADDMIRRORS: &str = "gpaddmirrors_input_7";
    /// A `gpinitsystem_config` equivalent to the layout (for review).
    pub const CONFIG: &str = "gpinitsystem_config_7";
    /// The 7 segment hosts, one per line (`gpinitsystem -h`).
    pub const SEGMENT_HOSTS: &str = "hostfile_gpinitsystem";
    /// Every host of both clusters (gpssh -f, and the gates' host loops).
    pub const ALL_HOSTS: &str = "hostfile_all";
    /// `host directory` lines: the parents of every 7 data directory, which
    /// gpinitsystem needs to exist and be writable by gpadmin.
    pub const DIRECTORIES: &str = "directories_7";
    /// `host port datadir` lines: every 7 instance, for the check that its
    /// directory does not exist yet and its port is free.
    pub const INSTANCES: &str = "instances_7";
    /// The gate functions and the directory helper the steps call.
    pub const GATES: &str = "whpg_gates.sh";
    /// The 6 resource groups as SQL for 7, from the pre-flight.
    pub const RESOURCE_GROUPS: &str = "resource_groups_7.sql";
    /// Where a person signs off the pre-flight's failing items.
    pub const PREFLIGHT_SIGN_OFF: &str = "preflight_signed_off";
}

/// The text of `whpg_gates.sh`: the gates every runbook step after a point
/// of evidence calls, one source for the ticket (the file `report
/// --layout-dir` writes) and the script (which carries it inline).
pub const GATES_SH: &str = include_str!("gates.sh");

/// How many parallel connections gpbackup and gprestore use (`--jobs`;
/// gpbackup and gprestore default to one, which leaves most segments idle).
pub const COPY_JOBS: u32 = 4;

/// The backup gate's band: the bytes on disk must be at least the plan's
/// estimate divided by this, and at most multiplied by it.
pub const BACKUP_BAND: u64 = 4;

/// What the commands need to know about both clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct StepContext {
    /// User databases to back up (from the catalog; a placeholder when unknown).
    pub databases: Vec<String>,
    /// The product.
    pub product: Product,
    /// The 6 coordinator.
    pub coordinator6: Endpoint,
    /// The 7 coordinator.
    pub coordinator7: Endpoint,
    /// The 7 standby, when the 6 cluster has one.
    pub standby7: Option<Endpoint>,
    /// The 7 cluster has another number of segments than the 6 one.
    pub resize: bool,
    /// The environments and working directory.
    pub env: RunbookEnvironment,
    /// A `--backup-dir` outside both clusters for the metadata-only trial of a
    /// plan that stages no backup (direct copy), when one was found.
    pub trial_dir: Option<String>,
    /// Every 6 instance: host, data directory, dbid.
    pub instances6: Vec<(String, String, u32)>,
    /// The 6 tablespace locations (each instance's files are under `<location>/<dbid>`).
    pub tablespaces6: Vec<String>,
    /// Segment primaries of the 6 cluster (the backup gate counts them).
    pub primaries6: usize,
    /// The plan's estimate of the backup's bytes on the hosts (data and
    /// metadata), for the backup gate's band.
    pub backup_bytes: u64,
    /// The inventory shows a `backups`/`dump` directory in the 6 coordinator
    /// data directory: gpdeletesystem refuses to run without `-f` then.
    pub coordinator_backups6: bool,
    /// Pre-flight items that make the restore on 7 fail and that the
    /// runbook does not handle (or could not be checked): the gate before
    /// gpdeletesystem wants them signed off.
    pub preflight_blocking: Vec<String>,
    /// The pre-flight wrote the 6 resource groups as SQL for 7
    /// (`resource_groups_7.sql`, written by `report --layout-dir`).
    pub resource_groups_sql: bool,
}

/// Databases every fresh 7 cluster already has: `gprestore --create-db` fails for them.
pub const PREEXISTING_DATABASES: [&str; 3] = ["postgres", "template0", "template1"];

impl StepContext {
    /// Gathers the step context from an inventory and the placed 7 cluster.
    pub fn new(inv: &Inventory, opts: &PlanOptions, new: &[NewInstance]) -> Self {
        let mut databases: Vec<String> = inv
            .composition
            .as_ref()
            .map(|c| c.databases.iter().map(|d| d.name.clone()).collect())
            .unwrap_or_default();
        if databases.is_empty() {
            databases.push("<database>".into());
        }
        let coord = inv.coordinator();
        let coordinator6 = Endpoint {
            host: coord
                .map(|c| c.host.clone())
                .unwrap_or_else(|| inv.source.coordinator.clone()),
            port: coord.map(|c| c.port).unwrap_or(5432),
            datadir: coord
                .map(|c| c.datadir.clone())
                .unwrap_or_else(|| "<coordinator datadir>".into()),
        };
        let endpoint = |n: &NewInstance| Endpoint {
            host: n.host.clone(),
            port: n.port,
            datadir: n.datadir.clone(),
        };
        let coordinator7 = new
            .iter()
            .find(|n| n.kind == InstanceKind::Coordinator)
            .map(endpoint)
            .unwrap_or_else(|| coordinator6.clone());
        let standby7 = new
            .iter()
            .find(|n| n.kind == InstanceKind::Standby)
            .map(endpoint);
        let count = |kinds: &mut dyn Iterator<Item = InstanceKind>| {
            kinds.filter(|k| *k == InstanceKind::Primary).count()
        };
        let old_primaries = count(&mut inv.instances.iter().map(|i| i.kind()));
        let new_primaries = count(&mut new.iter().map(|n| n.kind));
        let gphome6 = opts.gphome6.clone().unwrap_or_else(|| {
            format!(
                "/usr/local/greenplum-db-{}",
                inv.source.version.split_whitespace().next().unwrap_or("6")
            )
        });
        let env = RunbookEnvironment {
            workdir: "~/whpg_upgrade".into(),
            gp6: vec![
                format!("source {}/greenplum_path.sh", quote(&gphome6)),
                format!(
                    "export MASTER_DATA_DIRECTORY={}",
                    quote(&coordinator6.datadir)
                ),
                format!("export PGPORT={}", coordinator6.port),
                "set -o pipefail".into(),
            ],
            gp7: vec![
                format!("source {}/greenplum_path.sh", quote(&opts.gphome7)),
                format!(
                    "export COORDINATOR_DATA_DIRECTORY={}",
                    quote(&coordinator7.datadir)
                ),
                format!("export PGPORT={}", coordinator7.port),
                "set -o pipefail".into(),
            ],
            gp6_host: coordinator6.host.clone(),
            gp6_port: coordinator6.port,
            gp7_host: coordinator7.host.clone(),
            hosts6: inv.hosts.iter().map(|h| h.name.clone()).collect(),
        };
        StepContext {
            databases,
            product: inv.source.product,
            coordinator6,
            coordinator7,
            standby7,
            resize: old_primaries != new_primaries,
            env,
            trial_dir: None,
            instances6: inv
                .instances
                .iter()
                .map(|i| (i.host.clone(), i.datadir.clone(), i.dbid))
                .collect(),
            primaries6: old_primaries,
            preflight_blocking: Vec::new(),
            resource_groups_sql: false,
            backup_bytes: 0,
            coordinator_backups6: coord
                .and_then(|c| c.bytes.as_ref())
                .is_some_and(|b| b.backups > 0),
            tablespaces6: {
                let mut t: Vec<String> = inv
                    .instances
                    .iter()
                    .flat_map(|i| i.tablespaces.iter().map(|t| t.location.clone()))
                    .collect();
                t.sort();
                t.dedup();
                t
            },
        }
    }
}

/// Builds one plan's steps in order.
struct Runbook<'a> {
    ctx: &'a StepContext,
    opts: &'a PlanOptions,
    location: &'a BackupLocation,
    /// 7 gets its data from gpcopy / whpg-copy, not gprestore (no restore
    /// report to gate on).
    copied: bool,
    steps: Vec<Step>,
}

impl<'a> Runbook<'a> {
    fn add(
        &mut self,
        kind: StepKind,
        phase: Phase,
        title: &str,
        env: Env,
        commands: Vec<String>,
        note: &str,
    ) {
        self.steps.push(Step {
            phase,
            title: title.into(),
            env,
            kind,
            commands,
            note: (!note.is_empty()).then(|| note.to_string()),
            moves: None,
            work: None,
        });
    }

    fn push(&mut self, phase: Phase, title: &str, env: Env, commands: Vec<String>, note: &str) {
        self.add(StepKind::Run, phase, title, env, commands, note);
    }

    fn manual(&mut self, phase: Phase, title: &str, env: Env, commands: Vec<String>, note: &str) {
        self.add(StepKind::Manual, phase, title, env, commands, note);
    }

    fn gate(&mut self, phase: Phase, title: &str, env: Env, commands: Vec<String>, note: &str) {
        self.add(StepKind::Gate, phase, title, env, commands, note);
    }

    fn mark(&mut self, moves: DataMove) {
        self.steps.last_mut().expect("a step was pushed").moves = Some(moves);
    }

    fn mark_work(&mut self, work: Work) {
        self.steps.last_mut().expect("a step was pushed").work = Some(work);
    }

    fn per_db(&self, f: impl Fn(usize, &str) -> Vec<String>) -> Vec<String> {
        self.ctx
            .databases
            .iter()
            .enumerate()
            .flat_map(|(i, d)| f(i + 1, d))
            .collect()
    }

    fn resize(&self) -> &'static str {
        if self.ctx.resize {
            " --resize-cluster"
        } else {
            ""
        }
    }

    /// gpbackup for every database; each run's timestamp is kept in the file
    /// `<log>_<n>.timestamp`, which names the backup for the gates and the
    /// restore. The timestamp is printed when the backup starts, so it only
    /// names the backup: the gates prove it finished.
    fn gpbackup_lines(&self, extra: &str, log: &str) -> Vec<String> {
        let loc = self.location.flag();
        self.per_db(|n, db| {
            vec![
                format!(
                    "gpbackup --dbname {}{loc}{extra} 2>&1 | tee {log}_{n}.log",
                    quote(db)
                ),
                format!(
                    "grep -o 'Backup Timestamp = [0-9]*' {log}_{n}.log | grep -o '[0-9]*$' > {log}_{n}.timestamp && test -s {log}_{n}.timestamp"
                ),
            ]
        })
    }

    fn prepare(&mut self) {
        let gp7 = quote(&format!("{}/bin/postgres", self.opts.gphome7));
        self.manual(
            Phase::Prepare,
            "Install the tools: the latest gpbackup/gprestore (1.30 or later) in the 6 and the 7 installation, and the 7 software on every host",
            Env::Gp6,
            vec![
                "gpbackup --version".into(),
                format!(
                    "{} --version",
                    quote(&format!("{}/bin/gprestore", self.opts.gphome7))
                ),
                format!("gpssh -f {} -e \"ls -l {gp7}\"", files::ALL_HOSTS),
            ],
            "every host must list the 7 postgres binary; gprestore must be the same release as gpbackup or newer",
        );
        let mut health = vec!["gpstate -e".to_string()];
        health.extend(self.per_db(|_, db| vec![format!("gpcheckcat -O {}", quote(db))]));
        self.push(
            Phase::Prepare,
            "Check the 6 cluster's health: every segment up and in sync, catalog consistent",
            Env::Gp6,
            health,
            "fix anything gpstate -e or gpcheckcat reports before the backup",
        );
        let mut save = vec![
            "cp \"$MASTER_DATA_DIRECTORY/pg_hba.conf\" gp6_pg_hba.conf".to_string(),
            "psql -d postgres -Atc \"SELECT name, setting FROM pg_settings WHERE source NOT IN ('default', 'override')\" > gp6_settings.txt".to_string(),
            "psql -d template1 -AtF '|' -c \"SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = 'template1'\" > gp6_locale.txt && test -s gp6_locale.txt".to_string(),
            "psql -d postgres -AtF '|' -c \"SELECT datname, pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database\" > gp6_databases_locale.txt".to_string(),
        ];
        save.extend(self.per_db(|n, db| {
            vec![format!(
                "psql -d {} -Atc 'SELECT extname, extversion FROM pg_extension' > gp6_extensions_{n}.txt",
                quote(db)
            )]
        }));
        self.push(
            Phase::Prepare,
            "Record what 7 must be given by hand: client authentication, changed settings, encoding and locale, extensions per database",
            Env::Gp6,
            save,
            "gp6_locale.txt (template1's encoding, LC_COLLATE, LC_CTYPE) goes to gpinitsystem: 7 does not take them from the backup, which names them only where a database differs from the default",
        );
        self.directories();
    }

    /// The directories the utilities need and nobody else creates, then the
    /// gate that proves gpadmin can write in them and that every 7 data
    /// directory is still free, with its port.
    fn directories(&mut self) {
        let mut uniform: Vec<(String, &str)> = Vec::new();
        if let Some(d) = self.location.dir() {
            uniform.push((d.to_string(), "the backup directory (gpbackup writes <dir>/gpseg<content> on every host, the coordinator's metadata in gpseg-1)"));
        }
        if let BackupLocation::External(ExternalKind::Plugin(f)) = self.location {
            uniform.push((parent_dir(f), "the plugin config's directory (gpbackup copies the config to the same path on every host)"));
        }
        let mut make = Vec::new();
        let mut check = Vec::new();
        for (d, _) in &uniform {
            make.push(format!("make_dirs {} {}", files::ALL_HOSTS, quote(d)));
            check.push(format!("gate_dirs {} {}", files::ALL_HOSTS, quote(d)));
        }
        make.push(format!("make_dirs {}", files::DIRECTORIES));
        check.push(format!("gate_dirs {}", files::DIRECTORIES));
        check.push(format!("gate_new_instances {}", files::INSTANCES));
        let what: Vec<&str> = uniform.iter().map(|(_, w)| *w).collect();
        self.push(
            Phase::Prepare,
            "Create the directories the utilities need, owned by gpadmin, on every host",
            Env::Hosts,
            make,
            &format!(
                "only what does not exist is created (sudo -n install -d on each host; where gpadmin has no sudo, root runs the printed install -d): {}the parent of every 7 data directory listed in {} (gpinitsystem needs them to exist and be writable on every host, the standby's too)",
                what.iter().map(|w| format!("{w}; ")).collect::<String>(),
                files::DIRECTORIES
            ),
        );
        self.gate(
            Phase::Prepare,
            "Gate: gpadmin can write in every directory the utilities need; no 7 data directory exists and no 7 port is in use",
            Env::Hosts,
            check,
            "before the freeze: a directory nobody created stops gpbackup or gpinitsystem in the middle of the window",
        );
    }

    fn trial(&mut self) {
        let cmds = self.gpbackup_lines(" --metadata-only", "gpbackup_trial");
        self.push(
            Phase::Prepare,
            "Metadata-only trial backup (the guides' first step)",
            Env::Gp6,
            cmds,
            "",
        );
        let loc = self.location.flag();
        let restore = self.per_db(|n, db| {
            let globals = if n == 1 { " --with-globals" } else { "" };
            let create = if PREEXISTING_DATABASES.contains(&db) {
                ""
            } else {
                " --create-db"
            };
            vec![format!(
                "gprestore --timestamp \"$(cat gpbackup_trial_{n}.timestamp)\"{loc}{globals}{create} --metadata-only --on-error-continue --verbose --resize-cluster 2>&1 | tee gprestore_trial_{n}.log"
            )]
        });
        let where_ = match self.location {
            BackupLocation::HostDir(d) => format!(
                "copy {}/gpseg-1/backups/<date>/<timestamp in gpbackup_trial_<n>.timestamp> and the .timestamp files from the 6 coordinator to the same paths on the test system's coordinator, then",
                d.trim_end_matches('/')
            ),
            _ => "with the same plugin config or shared directory on the test system,".into(),
        };
        self.manual(
            Phase::Prepare,
            "Trial-restore the metadata on a 7 test system and read every failed statement",
            Env::Gp7Test,
            restore,
            &format!(
                "{where_} run these there (--resize-cluster: the test system may have another number of segments; harmless when equal; --on-error-continue --verbose so every failure is listed, not only the first). grep 'Error encountered' gprestore_trial_*.log lists them: the 6 resource-group statements always fail on 7 (the restore below handles them); every other object is fixed on 6 or listed (schema.table per line) in restore_exclude_<n>.txt and added as --exclude-table-file restore_exclude_<n>.txt to that database's restore; extensions (MADlib, PostGIS, …) and C functions must be built for 7"
            ),
        );
    }

    /// The write freeze and the gate that proves it.
    fn freeze(&mut self, phase: Phase) {
        self.manual(
            phase,
            "Freeze writes: from the backup to the cutover every write to 6 is lost",
            Env::Gp6,
            vec![
                "gpstop -u".into(),
                "psql -d postgres -Atc 'SELECT pid, usename, datname FROM pg_stat_activity WHERE usename <> current_user'".into(),
            ],
            "stop the applications, then let only gpadmin in: edit $MASTER_DATA_DIRECTORY/pg_hba.conf (the original is in gp6_pg_hba.conf) and reload with gpstop -u; the query must list no session. Not ALTER DATABASE … default_transaction_read_only nor REVOKE CONNECT: gpbackup carries database settings and privileges to 7, where the restore would then fail. To roll back: put gp6_pg_hba.conf back and gpstop -u",
        );
        self.mark_work(Work::Freeze);
        self.gate(
            phase,
            "Gate: no session but gpadmin's on 6",
            Env::Gp6,
            vec!["gate_no_sessions".into()],
            "",
        );
    }

    fn backup(&mut self, phase: Phase) {
        let comp = format!(
            " {} --jobs {COPY_JOBS}",
            self.opts.compression.gpbackup_flags()
        );
        let cmds = self.gpbackup_lines(&comp, "gpbackup");
        let note = match self.location {
            BackupLocation::HostDir(d) => format!(
                "every host writes its primaries' files under {d}/gpseg<content>/backups on the filesystem holding {d}; the gpbackup_<n>.timestamp files name the backups for the gates and the restore; --jobs {COPY_JOBS}: parallel connections (gpbackup's default is one)"
            ),
            BackupLocation::External(ExternalKind::Plugin(_)) => "the plugin streams the data off the hosts; the metadata is also kept in the 6 coordinator directory (backups/)".into(),
            BackupLocation::External(ExternalKind::Dir(d)) => format!("every host writes to the shared mount {d}; nothing lands on the hosts' own filesystems"),
            BackupLocation::None => String::new(),
        };
        self.push(phase, "Back up every database", Env::Gp6, cmds, &note);
        self.mark(DataMove::Backup);
        self.backup_gate(
            phase,
            "Gate: every backup finished and every content's files are on its host",
        );
    }

    /// The backup's own evidence: gpbackup's end-of-run line and report
    /// status per database, each content's data files on its host, and the
    /// bytes on the hosts within the band around the estimate.
    fn backup_gate(&mut self, phase: Phase, title: &str) {
        let loc = self.location.gate_arg();
        let p = self.ctx.primaries6;
        let mut cmds = self.per_db(|n, _| vec![format!("gate_backup {n} {loc} {p}")]);
        let mut note = String::from(
            "\"Backup Timestamp =\" is printed when gpbackup starts, also by a backup that dies halfway: only \"Backup completed successfully\", \"backup status: Success\" in gpbackup_<ts>_report and each content's files prove it finished",
        );
        if let BackupLocation::HostDir(_) = self.location {
            let est = self.ctx.backup_bytes;
            let (min, max) = (est / BACKUP_BAND, est.saturating_mul(BACKUP_BAND));
            let all: Vec<String> = (1..=self.ctx.databases.len())
                .map(|n| n.to_string())
                .collect();
            cmds.push(format!(
                "gate_backup_bytes {loc} {min} {max} {}",
                all.join(" ")
            ));
            note.push_str(&format!(
                "; the bytes on the hosts must lie between a {BACKUP_BAND}th and {BACKUP_BAND} times the plan's estimate of {} ({min}..{max} bytes)",
                crate::units::human(est)
            ));
        }
        self.gate(phase, title, Env::Gp6, cmds, &note);
    }

    fn init7(&mut self, phase: Phase, mirrorless: bool) {
        let input = if mirrorless {
            files::INPUT_MIRRORLESS
        } else {
            files::INPUT
        };
        let mut cmd =
            format!("gpinitsystem -a -I {input} --lc-collate=\"$collate\" --lc-ctype=\"$ctype\"");
        // Without mirrors the standby comes later, with them (gpinitstandby).
        if let (Some(s), false) = (&self.ctx.standby7, mirrorless) {
            cmd.push_str(&format!(
                " -s {} -P {} -S {}",
                quote(&s.host),
                s.port,
                quote(&s.datadir)
            ));
        }
        self.push(
            phase,
            "Initialize the 7 cluster with the exact layout the plan was sized for, in 6's encoding and locale",
            Env::Gp7,
            vec![
                "IFS='|' read -r encoding collate ctype < gp6_locale.txt && [[ $encoding =~ ^[A-Za-z0-9_]+$ ]] && test -n \"$collate\" -a -n \"$ctype\"".into(),
                format!("sed -i \"s/^ENCODING=.*/ENCODING=$encoding/\" {input}"),
                cmd,
                "gpstate -s".into(),
            ],
            &format!(
                "{input} lists every instance's host, port and data directory as modelled (written by `whpg-plan report --layout-dir`); the 7 ports and directories differ from the 6 ones; ENCODING, --lc-collate and --lc-ctype are 6's (gp6_locale.txt)"
            ),
        );
        self.mark_work(Work::InitSystem {
            mirrors: !mirrorless,
        });
        self.manual(
            phase,
            "Install the extensions (MADlib, PostGIS, …) and C-language libraries the 6 databases use, built for 7, before the restore",
            Env::Gp7,
            vec!["cat gp6_extensions_*.txt".into()],
            "gppkg or the vendor's packages on every host; the restore fails on CREATE EXTENSION otherwise",
        );
        self.manual(
            phase,
            "Carry client authentication and changed settings over to 7",
            Env::Gp7,
            vec![
                "diff gp6_pg_hba.conf \"$COORDINATOR_DATA_DIRECTORY/pg_hba.conf\"".into(),
                "cat gp6_settings.txt".into(),
                "gpstop -u".into(),
            ],
            "merge the 6 entries into the 7 pg_hba.conf and set the changed settings with gpconfig -c (review each against the 7 release notes), then reload",
        );
    }

    /// Restores every database: the resource groups by hand first, then the
    /// globals with the first database's schema past the resource-group
    /// statements 7 refuses (gated on exactly those), then every database's
    /// data, each restore gated on its own report.
    fn restore(&mut self, phase: Phase) {
        let loc = self.location.flag();
        let resize = self.resize();
        let rg_cmds = if self.ctx.resource_groups_sql {
            vec![format!("cat {}", files::RESOURCE_GROUPS)]
        } else {
            vec![]
        };
        self.manual(
            phase,
            "Create the resource groups on 7 with 7's attributes (review resource_groups_7.sql, then psql -d postgres -f resource_groups_7.sql)",
            Env::Gp7,
            rg_cmds,
            "every 6 backup's globals carry ALTER/CREATE RESOURCE GROUP with CPU_RATE_LIMIT, MEMORY_LIMIT, MEMORY_SHARED_QUOTA, MEMORY_SPILL_RATIO, MEMORY_AUDITOR, which 7 refuses (7 has CONCURRENCY, CPU_MAX_PERCENT, CPU_WEIGHT, CPUSET, MEMORY_QUOTA, MIN_COST, IO_LIMIT). Create the 6 groups (gpbackup_trial_1's metadata, or the pre-flight's list) with 7's attributes now: roles that name a group are created only when the group exists",
        );
        let first = self.ctx.databases.first().cloned().unwrap_or_default();
        let create = if PREEXISTING_DATABASES.contains(&first.as_str()) {
            ""
        } else {
            " --create-db"
        };
        self.push(
            phase,
            "Restore the roles, tablespaces and other globals with the first database's schema",
            Env::Gp7,
            vec![format!(
                "gprestore --timestamp \"$(cat gpbackup_1.timestamp)\"{loc} --with-globals{create} --metadata-only --on-error-continue --verbose{resize} 2>&1 | tee gprestore_1_metadata.log || true"
            )],
            "--on-error-continue only here, so the 6 resource-group statements do not stop the restore before any role exists; the gate after it allows exactly those failures and nothing else",
        );
        self.gate(
            phase,
            "Gate: the globals restore failed only on the 6 resource-group statements",
            Env::Gp7,
            vec![format!("gate_globals 1 {}", self.location.gate_arg())],
            "the refused statements are kept in resource_groups_failed_1.sql for review; any other failed statement stops the runbook here",
        );
        let cmds = self.per_db(|n, db| {
            let (mode, create) = if n == 1 {
                (" --data-only", "")
            } else if PREEXISTING_DATABASES.contains(&db) {
                ("", "")
            } else {
                ("", " --create-db")
            };
            vec![format!(
                "gprestore --timestamp \"$(cat gpbackup_{n}.timestamp)\"{loc}{mode}{create} --jobs {COPY_JOBS}{resize} 2>&1 | tee gprestore_{n}.log"
            )]
        });
        let mut note = format!(
            "the first database's data into the schema restored above (--data-only), every other database whole; add --exclude-table-file restore_exclude_<n>.txt where the trial found objects that do not restore; gprestore stops at the first error; --jobs {COPY_JOBS}: parallel connections"
        );
        if self.ctx.resize {
            note.push_str(
                "; --resize-cluster: the 7 cluster has another number of segments than the backup",
            );
        }
        self.push(
            phase,
            "Restore every database's data into 7",
            Env::Gp7,
            cmds,
            &note,
        );
        self.mark(DataMove::Restore);
        self.restore_gate(phase, "Gate: every restore finished with status Success");
    }

    fn restore_gate(&mut self, phase: Phase, title: &str) {
        let loc = self.location.gate_arg();
        let cmds = self.per_db(|n, _| vec![format!("gate_restore {n} {loc}")]);
        self.gate(
            phase,
            title,
            Env::Gp7,
            cmds,
            "\"Restore completed successfully\" in each gprestore log and \"restore status: Success\" in its report (gprestore fails a table whose row count differs from the backup's)",
        );
    }

    fn verify(&mut self, phase: Phase) {
        let mut cmds = vec!["gpstate -e".to_string()];
        cmds.extend(self.per_db(|_, db| vec![format!("analyzedb -a -d {}", quote(db))]));
        self.push(
            phase,
            "Check the 7 cluster and gather statistics",
            Env::Gp7,
            cmds,
            "",
        );
        self.mark_work(Work::Analyze);
        self.manual(
            phase,
            "Complete the upgrade: compare row counts per table with 6, read every gprestore report for skipped tables and dropped objects, review scripts against the 6 to 7 changes",
            Env::Gp7,
            vec!["grep -il error gprestore_*.log".into()],
            "nothing is deleted before this is signed off",
        );
    }

    fn cutover(&mut self, phase: Phase, six_kept: bool) {
        let c = &self.ctx.coordinator7;
        let note = if six_kept {
            "change the connection strings (or the DNS name / pooler they use); 6 stays frozen and running as the rollback until it is deleted"
        } else {
            "change the connection strings (or the DNS name / pooler they use); 6 no longer exists: until 7 is signed off the only way back is restoring the kept backup again"
        };
        self.manual(
            phase,
            &format!(
                "Cut over: point the applications at the 7 coordinator {}:{}",
                c.host, c.port
            ),
            Env::Gp7,
            vec!["psql -d postgres -Atc 'SELECT version()'".into()],
            note,
        );
        self.mark_work(Work::Cutover);
    }

    /// Deletes the 6 cluster. Before 7 exists: gpdeletesystem on the running 6
    /// cluster, right after the gates that prove the backup. Once 7 holds
    /// data (`verified`), gpdeletesystem would also remove 7's tablespace
    /// files: it deletes `<location>/<dbid>` for every 6 instance, and 7
    /// instances with the same dbid keep theirs in that same directory
    /// (`GPDB_7_…` beside `GPDB_6_…`). Then 6 is stopped and its directories
    /// are removed by name.
    fn delete6(&mut self, phase: Phase, verified: bool) {
        if verified {
            let title = if self.copied {
                "Gate: 7 is complete: every mirror is up and synchronized (the copy validated its row counts)"
            } else {
                "Gate: 7 is complete: every restore succeeded, every mirror is up and synchronized"
            };
            self.gate(
                phase,
                title,
                Env::Gp7,
                self.restore_gate_lines()
                    .into_iter()
                    .chain(["gate_mirrors_synced".to_string()])
                    .collect(),
                "checked again right before 6 is deleted",
            );
        } else {
            self.backup_gate(
                phase,
                "Gate: the backup is complete, checked again right before 6 is deleted",
            );
            if !self.ctx.preflight_blocking.is_empty() {
                let items = self.ctx.preflight_blocking.join(", ");
                self.gate(
                    phase,
                    "Gate: the pre-flight's failing items are signed off",
                    Env::Gp6,
                    vec![format!(
                        "gate_signed_off {} {}",
                        files::PREFLIGHT_SIGN_OFF,
                        quote(&format!("pre-flight items {items}"))
                    )],
                    &format!(
                        "the pre-flight found what makes the restore on 7 fail ({items}): fix it on 6, collect again and write the runbook again (the gate goes away), or restore the metadata-only trial on a scratch 7 system and write who signed it off, when and what failed into {}",
                        files::PREFLIGHT_SIGN_OFF
                    ),
                );
            }
        }
        if verified && !self.ctx.tablespaces6.is_empty() {
            self.delete6_by_name(phase);
            return;
        }
        let dir = quote(&self.ctx.coordinator6.datadir);
        let mut force = "";
        let mut note = String::from(
            "needs the 6 cluster running (gpstart -a if it was stopped) and asks twice before it deletes every 6 data directory and tablespace location",
        );
        if self.location.leaves_coordinator_backups() && verified {
            force = " -f";
            note.push_str("; -f: the metadata copies gpbackup left in the coordinator directory (backups/) are not needed once 7 is verified");
        } else if !verified {
            let why = if self.ctx.coordinator_backups6 {
                "the inventory shows backups in the 6 coordinator data directory: gpdeletesystem refuses to run while a *backups* or *dump* directory is there, and -f would delete them with the cluster"
            } else if self.location.leaves_coordinator_backups() {
                "the plugin's metadata copies are in the 6 coordinator data directory (backups/): gpdeletesystem refuses to run while a *backups* or *dump* directory is there"
            } else {
                "gpdeletesystem refuses to run while a *backups* or *dump* directory is in the coordinator data directory; none is expected, the gate makes sure"
            };
            self.push(
                phase,
                "Move earlier backups out of the 6 coordinator data directory",
                Env::Gp6,
                vec![
                    "saved=\"$(dirname \"$MASTER_DATA_DIRECTORY\")/gp6_coordinator_backups\" && mkdir -p \"$saved\"".into(),
                    "find \"$MASTER_DATA_DIRECTORY\" -mindepth 1 -maxdepth 1 -type d \\( -name '*dump*' -o -name '*backups*' \\) -exec mv -t \"$saved\" {} +".into(),
                ],
                &format!("{why}; they are kept beside it, not deleted, so gpdeletesystem runs without -f"),
            );
            self.gate(
                phase,
                "Gate: gpdeletesystem will not refuse",
                Env::Gp6,
                vec!["gate_coordinator_clean".into()],
                "",
            );
        }
        if !verified {
            note.insert_str(
                0,
                "DESTRUCTIVE, no rollback from here: the backup is the only copy; ",
            );
        }
        self.add(
            StepKind::PointOfNoReturn,
            phase,
            "Delete the 6 cluster",
            Env::Gp6,
            vec![format!("gpdeletesystem -d {dir}{force}")],
            &note,
        );
        self.mark_work(Work::DeleteSystem);
    }

    fn restore_gate_lines(&self) -> Vec<String> {
        let loc = self.location.gate_arg();
        match self.location {
            _ if self.copied => Vec::new(),
            BackupLocation::None => Vec::new(),
            _ => self.per_db(|n, _| vec![format!("gate_restore {n} {loc}")]),
        }
    }

    fn delete6_by_name(&mut self, phase: Phase) {
        let mut hosts: Vec<&str> = self
            .ctx
            .instances6
            .iter()
            .map(|(h, _, _)| h.as_str())
            .collect();
        hosts.sort();
        hosts.dedup();
        let mut cmds = vec!["gpstop -a -M fast".to_string()];
        for host in hosts {
            let mut paths = Vec::new();
            for (h, datadir, dbid) in &self.ctx.instances6 {
                if h != host {
                    continue;
                }
                paths.push(quote(datadir));
                for loc in &self.ctx.tablespaces6 {
                    paths.push(format!(
                        "{}/GPDB_6_*",
                        quote(&format!("{}/{dbid}", loc.trim_end_matches('/')))
                    ));
                }
            }
            cmds.push(format!(
                "gpssh -h {} -e {}",
                quote(host),
                quote(&format!("rm -rf {}", paths.join(" ")))
            ));
        }
        self.add(
            StepKind::PointOfNoReturn,
            phase,
            "Delete the 6 cluster: stop it, then remove its data directories and its own tablespace subdirectories by name",
            Env::Gp6,
            cmds,
            "not gpdeletesystem: it removes <tablespace location>/<dbid> for every 6 instance, and the 7 instances with the same dbids keep their tablespace files in those directories (GPDB_7_… beside GPDB_6_…)",
        );
        self.mark_work(Work::DeleteSystem);
    }

    /// Removes this upgrade's backups (trial and full) from a host-local or
    /// shared directory, after the gates that prove 7 has the data.
    fn remove_backup(&mut self, phase: Phase, gates: bool, note: &str) {
        let Some(d) = self.location.dir() else {
            return;
        };
        if gates {
            self.gate(
                phase,
                "Gate: 7 holds the data: every restore succeeded, every mirror is up and synchronized",
                Env::Gp7,
                self.restore_gate_lines()
                    .into_iter()
                    .chain(["gate_mirrors_synced".to_string()])
                    .collect(),
                "checked right before the backup, the last copy outside 7, is removed",
            );
        }
        let d = quote(d.trim_end_matches('/'));
        let cmds = self.per_db(|n, _| {
            ["gpbackup", "gpbackup_trial"]
                .iter()
                .map(|log| {
                    format!(
                        "test -s {log}_{n}.timestamp && gpssh -f {} -e \"rm -rf {d}/gpseg*/backups/*/$(cat {log}_{n}.timestamp)\"",
                        files::ALL_HOSTS
                    )
                })
                .collect()
        });
        let mut text = String::from("only the timestamps this runbook wrote are removed");
        if !note.is_empty() {
            text = format!("{note}; {text}");
        }
        self.add(
            StepKind::PointOfNoReturn,
            phase,
            "Remove this upgrade's backup files",
            Env::Gp7,
            cmds,
            &text,
        );
        self.mark_work(Work::RemoveBackup);
    }

    /// The way back after gpdeletesystem is to initialize 6 again and
    /// restore the same backup into it: both need what this keeps.
    fn keep_the_way_back(&mut self) {
        let gpinitsystem6 = match &self.opts.gphome6 {
            Some(h) => quote(&format!("{}/bin/gpinitsystem", h.trim_end_matches('/'))),
            None => "$GPHOME/bin/gpinitsystem".into(),
        };
        self.manual(
            Phase::Prepare,
            "Keep the way back: the 6 software (gpinitsystem 6.x) stays installed on every host until 7 is verified, and the 6 layout is saved",
            Env::Gp6,
            vec![
                format!("gpssh -f {} -e \"ls -l {gpinitsystem6}\"", files::ALL_HOSTS),
                "psql -d postgres -AtF '|' -c 'SELECT dbid, content, role, preferred_role, mode, status, port, hostname, address, datadir FROM gp_segment_configuration ORDER BY dbid' > gp6_segment_configuration.txt && test -s gp6_segment_configuration.txt".into(),
            ],
            "after gpdeletesystem the only way back is gpinitsystem with the 6 software on the same hosts, ports and directories (gp6_segment_configuration.txt) and a restore of this backup into it: every host must list the 6 gpinitsystem, and nobody removes the 6 packages until 7 is verified",
        );
        self.manual(
            Phase::Prepare,
            "Keep the backup until 7 is verified",
            Env::Gp6,
            Vec::new(),
            "the backup is the only copy of the data from gpdeletesystem until 7 is verified, and the way back to 6 restores it: nothing removes it before the verification is signed off (the runbook removes it only after)",
        );
    }

    fn add_mirrors(&mut self) {
        let mut cmds = vec![format!("gpaddmirrors -a -i {}", files::ADDMIRRORS)];
        if let Some(s) = &self.ctx.standby7 {
            cmds.push(format!(
                "gpinitstandby -a -s {} -P {} -S {}",
                quote(&s.host),
                s.port,
                quote(&s.datadir)
            ));
        }
        cmds.push("gpstate -e".into());
        self.push(
            Phase::Gpaddmirrors,
            "Add the mirrors (and the standby) the 7 layout places",
            Env::Gp7,
            cmds,
            "the cluster has no mirrors and no standby until this completes",
        );
        self.mark(DataMove::Mirrors);
        self.gate(
            Phase::Gpaddmirrors,
            "Gate: every mirror is up and synchronized",
            Env::Gp7,
            vec!["gate_mirrors_synced".into()],
            "",
        );
    }
}

/// The directory holding `path` (`/` for a top-level entry).
fn parent_dir(path: &str) -> String {
    let p = path.trim_end_matches('/');
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].into(),
    }
}

/// The steps of plan `id` with its backup location.
pub fn plan_steps(
    id: PlanId,
    ctx: &StepContext,
    opts: &PlanOptions,
    location: &BackupLocation,
) -> Vec<Step> {
    // A direct copy stages no backup; its trial goes to a directory outside both clusters.
    let trial_owned = ctx.trial_dir.clone().map(BackupLocation::HostDir);
    let trial_location = trial_owned.as_ref().unwrap_or(location);
    let mut rb = Runbook {
        ctx,
        opts,
        location: if id == PlanId::DirectCopy {
            trial_location
        } else {
            location
        },
        copied: id == PlanId::DirectCopy,
        steps: Vec::new(),
    };
    rb.prepare();
    rb.trial();
    match id {
        // 6 keeps running: everything that does not need the freeze (7's
        // init, extensions, settings) comes before it.
        PlanId::SideBySide | PlanId::ExternalBackup => {
            let phase = if id == PlanId::SideBySide {
                Phase::Backup
            } else {
                Phase::BackupToExternal
            };
            rb.init7(Phase::Init7, false);
            rb.freeze(phase);
            rb.backup(phase);
            rb.restore(Phase::Restore);
            rb.verify(Phase::Verify);
            rb.cutover(Phase::Verify, true);
            let last = if id == PlanId::SideBySide {
                Phase::DeleteBackupAnd6
            } else {
                Phase::Delete6
            };
            rb.delete6(last, true);
            rb.remove_backup(last, false, "");
        }
        PlanId::DirectCopy => {
            rb.init7(Phase::Init7, false);
            rb.freeze(Phase::CopyTo7);
            direct_copy(&mut rb);
            rb.verify(Phase::Verify);
            rb.cutover(Phase::Verify, true);
            rb.delete6(Phase::Delete6, true);
            rb.remove_backup(Phase::Delete6, false, "");
        }
        PlanId::DeleteAndReinit | PlanId::DeleteAndReinitMirrorless => {
            let mirrorless = id == PlanId::DeleteAndReinitMirrorless;
            rb.keep_the_way_back();
            rb.freeze(Phase::Backup);
            rb.backup(Phase::Backup);
            rb.delete6(Phase::Gpdeletesystem, false);
            rb.init7(
                if mirrorless {
                    Phase::Init7WithoutMirrors
                } else {
                    Phase::Init7
                },
                mirrorless,
            );
            rb.restore(Phase::Restore);
            rb.verify(Phase::DeleteBackup);
            rb.cutover(Phase::DeleteBackup, false);
            if mirrorless {
                // The plan's lowest peak comes from dropping the backup before
                // gpaddmirrors: a risk the change board signs off, not a default.
                rb.remove_backup(
                    Phase::DeleteBackup,
                    false,
                    "RISK SIGNED OFF BY TYPING THE CLUSTER'S NAME: from here until gpaddmirrors has synchronized every mirror, the only copy of the data is 7's unmirrored primaries (a lost disk loses data)",
                );
                rb.add_mirrors();
            } else {
                rb.remove_backup(Phase::DeleteBackup, true, "");
            }
        }
    }
    rb.steps
}

fn direct_copy(rb: &mut Runbook) {
    let ctx = rb.ctx;
    let tool = rb.opts.direct_copy_tool.unwrap_or(match ctx.product {
        Product::Warehousepg => DirectCopyTool::WhpgCopy,
        _ => DirectCopyTool::Gpcopy,
    });
    let (c6, c7) = (&ctx.coordinator6, &ctx.coordinator7);
    let cmds = match tool {
        DirectCopyTool::Gpcopy => vec![format!(
            "gpcopy --source-host {} --source-port {} --dest-host {} --dest-port {} --full --validate count",
            quote(&c6.host),
            c6.port,
            quote(&c7.host),
            c7.port
        )],
        // whpg-copy copies one database per run, between connection URLs.
        DirectCopyTool::WhpgCopy => rb.per_db(|_, db| {
            vec![format!(
                "whpg-copy copy --src-url {} --dst-url {} --validate-method count",
                quote(&format!("postgres://gpadmin@{}:{}/{db}", c6.host, c6.port)),
                quote(&format!("postgres://gpadmin@{}:{}/{db}", c7.host, c7.port))
            )]
        }),
    };
    rb.push(
        Phase::CopyTo7,
        &format!("Copy every database from 6 into 7 with {}", tool.command()),
        Env::Gp6,
        cmds,
        "no staged backup: data moves table by table over the network; both clusters run",
    );
    rb.mark(DataMove::Copy);
}

/// Refuses a value that cannot be written into a shell file safely: a line
/// break (or another control character) would start a command of its own,
/// and the layout files use `~` and `|` as field separators.
pub fn check_writable(
    what: &str,
    value: &str,
    separators: bool,
) -> Result<(), super::error::ModelError> {
    let bad = |why: &str| {
        Err(super::error::ModelError::Unquotable {
            what: what.into(),
            value: value.escape_debug().to_string(),
            why: why.into(),
        })
    };
    if value.chars().any(|c| c == '\n' || c == '\r') {
        return bad("a line break would start a command line of its own");
    }
    if value.chars().any(char::is_control) {
        return bad("a control character");
    }
    if separators && (value.contains('~') || value.contains('|')) {
        return bad(
            "'~' and '|' separate the fields of gpinitsystem's and gpaddmirrors' input files",
        );
    }
    Ok(())
}

/// Every value the runbook, the script and the layout files write, checked
/// once before any is written: host names and 7 data directories become
/// fields of gpinitsystem's input (`~`) and gpaddmirrors' (`|`); everything
/// else only has to be free of line breaks.
pub fn check_inputs(
    inv: &Inventory,
    opts: &PlanOptions,
    new: &[NewInstance],
) -> Result<(), super::error::ModelError> {
    for i in &inv.instances {
        check_writable("host name", &i.host, true)?;
        check_writable(
            &format!("data directory of dbid {}", i.dbid),
            &i.datadir,
            false,
        )?;
        for t in &i.tablespaces {
            check_writable("tablespace location", &t.location, false)?;
        }
    }
    for h in &inv.hosts {
        check_writable("host name", &h.name, true)?;
    }
    for n in new {
        check_writable("host name", &n.host, true)?;
        check_writable("7 data directory", &n.datadir, true)?;
    }
    if let Some(c) = &inv.composition {
        for d in &c.databases {
            check_writable("database name", &d.name, false)?;
        }
    }
    for (what, v) in [
        ("--backup-dir", opts.backup_dir.as_deref()),
        ("--gphome6", opts.gphome6.as_deref()),
        ("--gphome7", Some(opts.gphome7.as_str())),
    ] {
        if let Some(v) = v {
            check_writable(what, v, false)?;
        }
    }
    match &opts.external_kind {
        ExternalKind::Plugin(f) => check_writable("--plugin-config", f, false)?,
        ExternalKind::Dir(d) => check_writable("--external-dir", d, false)?,
    }
    Ok(())
}

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

/// Which cluster's environment a step runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Env {
    /// The 6 cluster's: its `greenplum_path.sh`, `MASTER_DATA_DIRECTORY`, `PGPORT`.
    Gp6,
    /// The 7 cluster's: its `greenplum_path.sh`, `COORDINATOR_DATA_DIRECTORY`, `PGPORT`.
    Gp7,
    /// A separate 7 test system (the metadata-only trial restore).
    Gp7Test,
}

impl Env {
    /// Short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Env::Gp6 => "6 environment",
            Env::Gp7 => "7 environment",
            Env::Gp7Test => "7 test system",
        }
    }
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
    /// A check or action a person does; the commands, if any, help with it.
    pub manual: bool,
    /// Commands, in order, as bash lines run as gpadmin in the working directory.
    pub commands: Vec<String>,
    /// What to know about the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The data this step moves, for its duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moves: Option<DataMove>,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunbookEnvironment {
    /// Where the steps run (the layout files `report --layout-dir` writes go here).
    pub workdir: String,
    /// Lines that set up the 6 environment (on the 6 coordinator).
    pub gp6: Vec<String>,
    /// Lines that set up the 7 environment (on the 7 coordinator).
    pub gp7: Vec<String>,
    /// The 6 coordinator host.
    pub gp6_host: String,
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
    /// Every host of both clusters (gpssh -f).
    pub const ALL_HOSTS: &str = "hostfile_all";
}

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
    steps: Vec<Step>,
}

impl<'a> Runbook<'a> {
    fn push(&mut self, phase: Phase, title: &str, env: Env, commands: Vec<String>, note: &str) {
        self.steps.push(Step {
            phase,
            title: title.into(),
            env,
            manual: false,
            commands,
            note: (!note.is_empty()).then(|| note.to_string()),
            moves: None,
        });
    }

    fn manual(&mut self, phase: Phase, title: &str, env: Env, commands: Vec<String>, note: &str) {
        self.push(phase, title, env, commands, note);
        self.steps.last_mut().expect("just pushed").manual = true;
    }

    fn mark(&mut self, moves: DataMove) {
        self.steps.last_mut().expect("a step was pushed").moves = Some(moves);
    }

    fn per_db(&self, f: impl Fn(usize, &str) -> Vec<String>) -> Vec<String> {
        self.ctx
            .databases
            .iter()
            .enumerate()
            .flat_map(|(i, d)| f(i + 1, d))
            .collect()
    }

    /// gpbackup for every database; each run's timestamp is kept in the file
    /// `<log>_<n>.timestamp`, which the restore (in the 7 environment) reads.
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

    /// gprestore for every database: globals with the first, `--create-db`
    /// only for databases a fresh 7 lacks, `--resize-cluster` when needed.
    fn gprestore_lines(&self, log: &str, extra: &str) -> Vec<String> {
        let loc = self.location.flag();
        let resize = if self.ctx.resize {
            " --resize-cluster"
        } else {
            ""
        };
        let rlog = log.replacen("gpbackup", "gprestore", 1);
        self.per_db(|n, db| {
            let globals = if n == 1 { " --with-globals" } else { "" };
            let create = if PREEXISTING_DATABASES.contains(&db) {
                ""
            } else {
                " --create-db"
            };
            vec![format!(
                "gprestore --timestamp \"$(cat {log}_{n}.timestamp)\"{loc}{globals}{create}{resize}{extra} 2>&1 | tee {rlog}_{n}.log"
            )]
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
            "every host must list the 7 postgres binary; gpbackup must be the same release on both sides",
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
        ];
        save.extend(self.per_db(|n, db| {
            vec![format!(
                "psql -d {} -Atc 'SELECT extname, extversion FROM pg_extension' > gp6_extensions_{n}.txt",
                quote(db)
            )]
        }));
        self.push(
            Phase::Prepare,
            "Record what 7 must be given by hand: client authentication, changed settings, extensions per database",
            Env::Gp6,
            save,
            "",
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
        let restore = self.gprestore_lines("gpbackup_trial", " --metadata-only");
        let where_ = match self.location {
            BackupLocation::HostDir(d) => format!(
                "copy {}/gpseg-1/backups/<date>/<timestamp in gpbackup_trial_<n>.timestamp> and the .timestamp files from the 6 coordinator to the same paths on the test system's coordinator, then",
                d.trim_end_matches('/')
            ),
            _ => "with the same plugin config or shared directory on the test system,".into(),
        };
        self.manual(
            Phase::Prepare,
            "Trial-restore the metadata on a 7 test system and read every gprestore log",
            Env::Gp7Test,
            restore,
            &format!(
                "{where_} run these there. Every object that fails is either fixed on 6 or listed (schema.table per line) in restore_exclude_<n>.txt and added as --exclude-table-file restore_exclude_<n>.txt to that database's restore below; extensions (MADlib, PostGIS, …) and C functions must be built for 7"
            ),
        );
    }

    fn freeze(&mut self) {
        self.manual(
            Phase::Prepare,
            "Freeze writes: from the backup to the cutover every write to 6 is lost",
            Env::Gp6,
            vec![
                "gpstop -u".into(),
                "psql -d postgres -Atc 'SELECT pid, usename, datname FROM pg_stat_activity WHERE usename <> current_user'".into(),
            ],
            "stop the applications, then let only gpadmin in: edit $MASTER_DATA_DIRECTORY/pg_hba.conf (the original is in gp6_pg_hba.conf) and reload with gpstop -u; the query must list no session. Not ALTER DATABASE … default_transaction_read_only nor REVOKE CONNECT: gpbackup carries database settings and privileges to 7, where the restore would then fail. To roll back: put gp6_pg_hba.conf back and gpstop -u",
        );
    }

    fn backup(&mut self, phase: Phase) {
        let comp = format!(" {}", self.opts.compression.gpbackup_flags());
        let cmds = self.gpbackup_lines(&comp, "gpbackup");
        let note = match self.location {
            BackupLocation::HostDir(d) => format!(
                "every host writes its primaries' files under {d}/gpseg<content>/backups on the filesystem holding {d}; the gpbackup_<n>.timestamp files name the backups for the restore"
            ),
            BackupLocation::External(ExternalKind::Plugin(_)) => "the plugin streams the data off the hosts; the metadata is also kept in the 6 coordinator directory (backups/)".into(),
            BackupLocation::External(ExternalKind::Dir(d)) => format!("every host writes to the shared mount {d}; nothing lands on the hosts' own filesystems"),
            BackupLocation::None => String::new(),
        };
        self.push(phase, "Back up every database", Env::Gp6, cmds, &note);
        self.mark(DataMove::Backup);
    }

    fn init7(&mut self, phase: Phase, mirrorless: bool) {
        let input = if mirrorless {
            files::INPUT_MIRRORLESS
        } else {
            files::INPUT
        };
        let mut cmd = format!("gpinitsystem -a -I {input}");
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
            "Initialize the 7 cluster with the exact layout the plan was sized for",
            Env::Gp7,
            vec![cmd, "gpstate -s".into()],
            &format!(
                "{input} lists every instance's host, port and data directory as modelled (written by `whpg-plan report --layout-dir`); the 7 ports and directories differ from the 6 ones"
            ),
        );
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

    fn restore(&mut self, phase: Phase) {
        let cmds = self.gprestore_lines("gpbackup", "");
        let mut note = String::from(
            "add --exclude-table-file restore_exclude_<n>.txt where the trial found objects that do not restore; gprestore stops at the first error",
        );
        if self.ctx.resize {
            note.push_str(
                "; --resize-cluster: the 7 cluster has another number of segments than the backup",
            );
        }
        self.push(
            phase,
            "Restore every database into 7 (roles and other globals with the first)",
            Env::Gp7,
            cmds,
            &note,
        );
        self.mark(DataMove::Restore);
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
        self.manual(
            phase,
            "Complete the upgrade: compare row counts per table with 6, read every gprestore report for skipped tables and dropped objects, review scripts against the 6 to 7 changes",
            Env::Gp7,
            vec!["grep -il error gprestore_*.log".into()],
            "nothing is deleted before this is signed off",
        );
    }

    fn cutover(&mut self, phase: Phase) {
        let c = &self.ctx.coordinator7;
        self.manual(
            phase,
            &format!(
                "Cut over: point the applications at the 7 coordinator {}:{}",
                c.host, c.port
            ),
            Env::Gp7,
            vec!["psql -d postgres -Atc 'SELECT version()'".into()],
            "change the connection strings (or the DNS name / pooler they use); 6 stays frozen and running as the rollback until it is deleted",
        );
    }

    /// Deletes the 6 cluster. Before 7 exists: gpdeletesystem on the running 6
    /// cluster. Once 7 holds data (`verified`), gpdeletesystem would also
    /// remove 7's tablespace files: it deletes `<location>/<dbid>` for every 6
    /// instance, and 7 instances with the same dbid keep theirs in that same
    /// directory (`GPDB_7_…` beside `GPDB_6_…`). Then 6 is stopped and its
    /// directories are removed by name.
    fn delete6(&mut self, phase: Phase, verified: bool) {
        if verified && !self.ctx.tablespaces6.is_empty() {
            self.delete6_by_name(phase);
            return;
        }
        let dir = quote(&self.ctx.coordinator6.datadir);
        let mut cmds = Vec::new();
        let mut force = "";
        let mut note = String::from(
            "needs the 6 cluster running (gpstart -a if it was stopped) and asks twice before it deletes every 6 data directory and tablespace location",
        );
        if self.location.leaves_coordinator_backups() {
            if verified {
                force = " -f";
                note.push_str("; -f: the metadata copies gpbackup left in the coordinator directory (backups/) are not needed once 7 is verified");
            } else {
                cmds.push(format!(
                    "mv \"$MASTER_DATA_DIRECTORY/backups\" {}",
                    quote("gp6_coordinator_backups")
                ));
                note.push_str("; the plugin's metadata copies are moved out of the coordinator directory first, so gpdeletesystem runs without -f");
            }
        }
        cmds.push(format!("gpdeletesystem -d {dir}{force}"));
        if !verified {
            note.insert_str(
                0,
                "DESTRUCTIVE, no rollback from here: the backup is the only copy; ",
            );
        }
        self.push(phase, "Delete the 6 cluster", Env::Gp6, cmds, &note);
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
        self.push(
            phase,
            "Delete the 6 cluster: stop it, then remove its data directories and its own tablespace subdirectories by name",
            Env::Gp6,
            cmds,
            "not gpdeletesystem: it removes <tablespace location>/<dbid> for every 6 instance, and the 7 instances with the same dbids keep their tablespace files in those directories (GPDB_7_… beside GPDB_6_…)",
        );
    }

    /// Removes this upgrade's backups (trial and full) from a host-local or shared directory.
    fn remove_backup(&mut self, phase: Phase) {
        let Some(d) = self.location.dir() else {
            return;
        };
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
        self.push(
            phase,
            "Remove this upgrade's backup files",
            Env::Gp7,
            cmds,
            "only the timestamps this runbook wrote are removed",
        );
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
        location,
        steps: Vec::new(),
    };
    rb.prepare();
    if id != PlanId::DirectCopy {
        rb.trial();
        rb.freeze();
    }
    match id {
        PlanId::SideBySide | PlanId::ExternalBackup => {
            let phase = if id == PlanId::SideBySide {
                Phase::Backup
            } else {
                Phase::BackupToExternal
            };
            rb.backup(phase);
            rb.init7(Phase::Init7, false);
            rb.restore(Phase::Restore);
            rb.verify(Phase::Verify);
            rb.cutover(Phase::Verify);
            let last = if id == PlanId::SideBySide {
                Phase::DeleteBackupAnd6
            } else {
                Phase::Delete6
            };
            rb.delete6(last, true);
            rb.remove_backup(last);
        }
        PlanId::DirectCopy => {
            rb.location = trial_location;
            rb.trial();
            rb.freeze();
            rb.init7(Phase::Init7, false);
            direct_copy(&mut rb);
            rb.verify(Phase::Verify);
            rb.cutover(Phase::Verify);
            rb.delete6(Phase::Delete6, true);
            rb.remove_backup(Phase::Delete6);
        }
        PlanId::DeleteAndReinit | PlanId::DeleteAndReinitMirrorless => {
            let mirrorless = id == PlanId::DeleteAndReinitMirrorless;
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
            rb.cutover(Phase::DeleteBackup);
            rb.remove_backup(Phase::DeleteBackup);
            if mirrorless {
                let mut cmds = vec![format!("gpaddmirrors -a -i {}", files::ADDMIRRORS)];
                if let Some(s) = &ctx.standby7 {
                    cmds.push(format!(
                        "gpinitstandby -a -s {} -P {} -S {}",
                        quote(&s.host),
                        s.port,
                        quote(&s.datadir)
                    ));
                }
                cmds.push("gpstate -e".into());
                rb.push(
                    Phase::Gpaddmirrors,
                    "Add the mirrors (and the standby) the 7 layout places",
                    Env::Gp7,
                    cmds,
                    "the cluster has no mirrors and no standby until this completes",
                );
                rb.mark(DataMove::Mirrors);
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

//! The ordered steps of each plan with the exact commands a DBA runs. The
//! destructive ones (gpdeletesystem, rm) exist here only as text.

use serde::Serialize;

use super::options::{DirectCopyTool, PlanOptions};
use super::plans::PlanId;
use crate::inventory::{Inventory, Product};
use crate::shell::quote;

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The phase this step belongs to.
    pub phase: String,
    /// Commands, in order, as text (run as gpadmin on the coordinator).
    pub commands: Vec<String>,
    /// What to know about the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the commands need to know about the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct StepContext {
    /// User databases to back up (from the catalog; a placeholder when unknown).
    pub databases: Vec<String>,
    /// The 6 coordinator's host.
    pub coordinator_host: String,
    /// The 6 coordinator's port.
    pub coordinator_port: u16,
    /// The 6 coordinator's data directory (gpdeletesystem -d).
    pub coordinator_datadir: String,
    /// The product.
    pub product: Product,
    /// The gpinitsystem_config for 7, as the user named it.
    pub target_config: String,
}

impl StepContext {
    /// Gathers the step context from an inventory.
    pub fn from_inventory(inv: &Inventory, opts: &PlanOptions) -> Self {
        let mut databases: Vec<String> = inv
            .composition
            .as_ref()
            .map(|c| c.databases.iter().map(|d| d.name.clone()).collect())
            .unwrap_or_default();
        if databases.is_empty() {
            databases.push("<database>".into());
        }
        let coord = inv.coordinator();
        StepContext {
            databases,
            coordinator_host: coord
                .map(|c| c.host.clone())
                .unwrap_or_else(|| inv.source.coordinator.clone()),
            coordinator_port: coord.map(|c| c.port).unwrap_or(5432),
            coordinator_datadir: coord
                .map(|c| c.datadir.clone())
                .unwrap_or_else(|| "<coordinator datadir>".into()),
            product: inv.source.product,
            target_config: opts
                .target
                .as_ref()
                .map(|t| t.path.clone())
                .unwrap_or_else(|| "gpinitsystem_config".into()),
        }
    }
}

fn step(phase: &str, commands: Vec<String>, note: Option<&str>) -> Step {
    Step {
        phase: phase.to_string(),
        commands,
        note: note.map(str::to_string),
    }
}

/// The steps of plan `id`.
///
/// `external` sends the backup to a plugin target instead of a directory.
pub fn plan_steps(
    id: PlanId,
    ctx: &StepContext,
    opts: &PlanOptions,
    backup_dir: Option<&str>,
    external: bool,
) -> Vec<Step> {
    let dir_flag = if external {
        " --plugin-config <plugin_config.yaml>".to_string()
    } else {
        backup_dir
            .map(|d| format!(" --backup-dir {}", quote(d)))
            .unwrap_or_default()
    };
    let comp = opts.compression.gpbackup_flags();
    let per_db = |f: &dyn Fn(&str) -> String| -> Vec<String> {
        ctx.databases.iter().map(|d| f(d)).collect()
    };
    let ts = |db: &str| format!("<TIMESTAMP of {db}>");
    let config = quote(&ctx.target_config);
    let init = format!("gpinitsystem -c {config} -h hostfile_gpinitsystem");
    let delete6 = format!("gpdeletesystem -d {}", quote(&ctx.coordinator_datadir));

    let mut steps = vec![step(
        "pre-check",
        per_db(&|db| format!("gpbackup --dbname {} --metadata-only", quote(db))),
        Some(
            "restore this metadata-only backup on a 7 test system with `gprestore --timestamp <TS> --create-db --metadata-only` and read the gprestore log for errors before the change window",
        ),
    )];

    let backup_cmds =
        |extra: &str| per_db(&|db| format!("gpbackup --dbname {} {comp}{extra}", quote(db)));
    let restore_cmds = |extra: &str| {
        per_db(&|db| {
            format!(
                "gprestore --timestamp {} --create-db{extra}",
                quote(&ts(db))
            )
        })
    };
    let verify = step(
        "verify",
        vec!["gpstate -s".into(), "analyzedb -a -d <database>".into()],
        Some(
            "compare row counts per table between 6 and 7 and read every gprestore log before anything is deleted",
        ),
    );
    let rm_backup = backup_dir.map(|d| {
        format!(
            "gpssh -f hostfile_all -e {}",
            quote(&format!(
                "rm -rf {}/*/backups/<YYYYMMDD>/<TIMESTAMP>",
                d.trim_end_matches('/')
            ))
        )
    });

    match id {
        PlanId::SideBySide => {
            steps.push(step("backup", backup_cmds(&dir_flag), None));
            steps.push(step(
                "init 7",
                vec![init],
                Some("the 7 config needs ports and data directories distinct from the running 6 cluster"),
            ));
            steps.push(step(
                "restore",
                restore_cmds(&dir_flag),
                Some("run with the 7 cluster's environment sourced"),
            ));
            steps.push(verify);
            let mut cmds = vec![delete6];
            cmds.extend(rm_backup);
            steps.push(step(
                "delete backup & 6",
                cmds,
                Some("run with the 6 environment sourced, only after 7 is verified; this ends the rollback"),
            ));
        }
        PlanId::ExternalBackup => {
            steps.push(step(
                "backup to external target",
                backup_cmds(" --plugin-config <plugin_config.yaml>"),
                Some("the plugin (S3, DD Boost) streams data off the hosts; metadata is written on the coordinator first"),
            ));
            steps.push(step(
                "init 7",
                vec![init],
                Some("ports and data directories distinct from the running 6 cluster"),
            ));
            steps.push(step(
                "restore",
                restore_cmds(" --plugin-config <plugin_config.yaml>"),
                None,
            ));
            steps.push(verify);
            steps.push(step(
                "delete 6",
                vec![delete6],
                Some("only after 7 is verified; this ends the rollback"),
            ));
        }
        PlanId::DirectCopy => {
            let tool = opts.direct_copy_tool.unwrap_or(match ctx.product {
                Product::Warehousepg => DirectCopyTool::WhpgCopy,
                _ => DirectCopyTool::Gpcopy,
            });
            steps.push(step(
                "init 7",
                vec![init],
                Some("ports and data directories distinct from the running 6 cluster"),
            ));
            let copy = match tool {
                DirectCopyTool::Gpcopy => vec![format!(
                    "gpcopy --source-host {} --source-port {} --dest-host <7 coordinator host> --dest-port <7 coordinator port> --full --validate count",
                    quote(&ctx.coordinator_host),
                    ctx.coordinator_port
                )],
                // whpg-copy copies one database per run, between connection URLs.
                DirectCopyTool::WhpgCopy => per_db(&|db| {
                    format!(
                        "whpg-copy copy --src-url {} --dst-url {} --validate-method count",
                        quote(&format!(
                            "postgres://gpadmin@{}:{}/{db}",
                            ctx.coordinator_host, ctx.coordinator_port
                        )),
                        quote(&format!(
                            "postgres://gpadmin@<7 coordinator host>:<7 coordinator port>/{db}"
                        ))
                    )
                }),
            };
            steps.push(step(
                "copy 6 to 7",
                copy,
                Some("no staged backup: data moves table by table over the network"),
            ));
            steps.push(verify);
            steps.push(step(
                "delete 6",
                vec![delete6],
                Some("only after 7 is verified; this ends the rollback"),
            ));
        }
        PlanId::DeleteAndReinit | PlanId::DeleteAndReinitMirrorless => {
            let mirrorless = id == PlanId::DeleteAndReinitMirrorless;
            steps.push(step(
                "backup",
                backup_cmds(&dir_flag),
                Some(if external {
                    "the plugin streams the data off the hosts; gpdeletesystem cannot reach it"
                } else {
                    "the backup directory must lie outside every data and tablespace directory: gpdeletesystem deletes those"
                }),
            ));
            steps.push(step(
                "gpdeletesystem",
                vec![delete6],
                Some("DESTRUCTIVE: removes every 6 data directory and tablespace; from here the backup is the only copy"),
            ));
            if mirrorless {
                steps.push(step(
                    "init 7 without mirrors",
                    vec![format!(
                        "gpinitsystem -c {} -h hostfile_gpinitsystem",
                        quote(&format!("{}.mirrorless", ctx.target_config))
                    )],
                    Some("the same config with MIRROR_DATA_DIRECTORY and MIRROR_PORT_BASE removed"),
                ));
            } else {
                steps.push(step("init 7", vec![init], None));
            }
            steps.push(step("restore", restore_cmds(&dir_flag), None));
            let mut v = verify.clone();
            v.commands.extend(rm_backup);
            v.phase = "delete backup".into();
            v.note = Some("verify 7 first; then the backup can go".into());
            steps.push(v);
            if mirrorless {
                steps.push(step(
                    "gpaddmirrors",
                    vec!["gpaddmirrors -a -i mirror_config_file".into()],
                    Some("mirror_config_file lists each mirror's host, port and data directory (generate it with `gpaddmirrors -o mirror_config_file`)"),
                ));
            }
        }
    }
    steps
}

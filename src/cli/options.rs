//! Plan arguments turned into the model's options: defaults, bounds, and the
//! target layout read from a gpinitsystem_config (the option building that
//! belongs beside the CLI types, not in the dispatcher).

use std::path::{Path, PathBuf};

use super::{CodecArg, DirectCopyArg, MirrorModeArg, PlanArgs};
use crate::error::InputError;
use crate::inventory::{InstanceKind, Inventory};
use crate::model::options::{DEFAULT_PLUGIN_CONFIG, ExternalKind};
use crate::model::target::{parse_gpinitsystem_config, parse_host_file};
use crate::model::{Codec, Compression, DirectCopyTool, MirrorMode, PlanOptions};

/// The most `--growth` accepted: the data eleven times over by the upgrade
/// date. Anything larger is a typo, not a plan.
pub const MAX_GROWTH: f64 = 10.0;

/// A `--backup-dir` that no plan can use: `/` itself (the backup would fill
/// the root filesystem of every host), or inside a 6 data or tablespace
/// directory (gpdeletesystem removes it, and gprestore on 7 cannot read it as
/// a --backup-dir of the old cluster's tree).
fn check_backup_dir(d: &str, inv: &Inventory) -> Result<(), InputError> {
    let trimmed = d.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(InputError::Usage(
            "--backup-dir /: the root directory of every host is not a backup directory; name a directory on a filesystem with room (e.g. /data1/whpg_backup)".into(),
        ));
    }
    for i in &inv.instances {
        let inside = std::iter::once((i.datadir.as_str(), "data directory"))
            .chain(
                i.tablespaces
                    .iter()
                    .map(|t| (t.location.as_str(), "tablespace directory")),
            )
            .find(|(dir, _)| crate::inventory::path_is_under(trimmed, dir));
        if let Some((dir, what)) = inside {
            return Err(InputError::Usage(format!(
                "--backup-dir {d} is inside the {what} {dir} of instance dbid {} on {}: a backup there is deleted with the 6 cluster and is not where gprestore on 7 looks; choose a directory outside every data directory",
                i.dbid, i.host
            )));
        }
    }
    Ok(())
}

impl PlanArgs {
    /// Turns plan arguments into model options, reading the target config.
    pub fn plan_options(&self, inv: &Inventory) -> Result<PlanOptions, InputError> {
        let a = self;
        let codec = match a.compression {
            CodecArg::Gzip => Codec::Gzip,
            CodecArg::Zstd => Codec::Zstd,
            CodecArg::None => Codec::None,
        };
        if let (CodecArg::None, Some(l)) = (a.compression, a.compression_level) {
            return Err(InputError::Usage(format!(
                "--compression none takes no --compression-level (given {l}): gpbackup --no-compression has no level"
            )));
        }
        let compression = Compression::new(codec, a.compression_level)
            .map_err(|e| InputError::Usage(e.to_string()))?;
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
        if let Some(d) = &a.backup_dir {
            check_backup_dir(d, inv)?;
        }
        let target = match &a.target_config {
            None => None,
            Some(path) => {
                let text = crate::input::read_text(path, crate::input::MAX_CONFIG_BYTES)?;
                let mut cfg = parse_gpinitsystem_config(&text, &path.display().to_string())
                    .map_err(|(line, message)| InputError::Config {
                        path: path.clone(),
                        line,
                        message,
                    })?;
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
                && !d.starts_with('/')
            {
                // gpbackup and gprestore refuse a relative --plugin-config
                // (utils/util.go:129-134) and copy it to the same path on every host.
                return Err(InputError::Usage(format!(
                    "{flag} {d} must be an absolute path (the same on every host)"
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
            rates: crate::model::time_model::UserRates::default(),
        })
    }
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
        let text = crate::input::read_text(p, crate::input::MAX_CONFIG_BYTES)?;
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

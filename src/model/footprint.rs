//! Per-filesystem accounting: what occupies each filesystem today, where the
//! backup lands, and where the 7 cluster's bytes go.

use super::error::ModelError;
use std::collections::HashMap;

use serde::Serialize;

use super::backup::BackupEstimate;
use super::layout::{NewInstance, place_new_cluster};
use super::options::{BackupTarget, ExternalKind, PlanOptions};
use crate::inventory::{HostStatus, InstanceKind, Inventory, mount_for_path, path_is_under};
use crate::units::SaturatingSum;

/// One measured filesystem, addressed by index in [`Footprint::fs`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FsSlot {
    /// Host name.
    pub host: String,
    /// Mount point.
    pub mount: String,
    /// Size as reported by df.
    pub total_bytes: u64,
    /// Used today.
    pub used_bytes: u64,
    /// Available today.
    pub available_bytes: u64,
}

impl FsSlot {
    /// `used + available`.
    pub fn capacity_bytes(&self) -> u64 {
        self.used_bytes.saturating_add(self.available_bytes)
    }
}

/// Bytes on one filesystem by what they are. The same shape serves today's
/// state, one phase, and the peak of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Components {
    /// Used bytes that belong to nothing the plan touches (OS, other files).
    pub other: u64,
    /// The 6 cluster's primaries and coordinator.
    pub old_primary: u64,
    /// The 6 cluster's mirrors and standby.
    pub old_mirror: u64,
    /// Growth of the 6 cluster's data before the upgrade date.
    pub growth: u64,
    /// Backup files.
    pub backup: u64,
    /// The 7 cluster's primaries and coordinator (restored data).
    pub new_primary: u64,
    /// The 7 cluster's mirrors and standby.
    pub new_mirror: u64,
    /// The 7 instances' fixed overheads (catalog + WAL).
    pub overhead: u64,
}

impl Components {
    /// Sum of every part.
    pub fn total(&self) -> u64 {
        [
            self.other,
            self.old_primary,
            self.old_mirror,
            self.growth,
            self.backup,
            self.new_primary,
            self.new_mirror,
            self.overhead,
        ]
        .into_iter()
        .saturating_sum()
    }
}

/// Per-filesystem bytes of the new cluster, split so a mirrorless phase can
/// leave the mirror part out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NewUse {
    /// Restored data of primaries and coordinator.
    pub primary: u64,
    /// Restored data of mirrors and standby.
    pub mirror: u64,
    /// Overheads of primaries and coordinator.
    pub primary_overhead: u64,
    /// Overheads of mirrors and standby.
    pub mirror_overhead: u64,
}

/// Everything about the cluster's filesystems that does not depend on the plan.
#[derive(Debug, Clone)]
pub struct Footprint {
    /// Every filesystem of every measured host.
    pub fs: Vec<FsSlot>,
    /// Today's bytes per filesystem (other, old primary/mirror, growth).
    pub today: Vec<Components>,
    /// The 7 cluster's bytes per filesystem.
    pub new: Vec<NewUse>,
    /// The placed 7 instances.
    pub new_instances: Vec<NewInstance>,
    /// host → [(mount, index)].
    lookup: HashMap<String, Vec<(String, usize)>>,
    /// Content → (host, filesystem index) of its acting primary.
    primary_fs: HashMap<i32, (String, usize)>,
    /// The coordinator's host and datadir filesystem.
    pub coordinator_fs: Option<(String, usize)>,
    /// (host, directory) pairs that gpdeletesystem removes or gpinitsystem creates:
    /// every old and new data directory and tablespace location.
    pub cluster_dirs: Vec<(String, String)>,
    /// Mount points present on every host that holds a primary.
    pub common_mounts: Vec<String>,
    /// Hosts that hold a primary (or the single instance).
    pub backup_hosts: Vec<String>,
}

impl Footprint {
    /// Builds the accounting for a complete inventory.
    pub fn build(inv: &Inventory, opts: &PlanOptions) -> Result<Self, ModelError> {
        let mut fs = Vec::new();
        let mut lookup: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for h in inv.hosts.iter().filter(|h| h.status == HostStatus::Ok) {
            let entry = lookup.entry(h.name.clone()).or_default();
            for f in &h.filesystems {
                entry.push((f.mount.clone(), fs.len()));
                fs.push(FsSlot {
                    host: h.name.clone(),
                    mount: f.mount.clone(),
                    total_bytes: f.total_bytes,
                    used_bytes: f.used_bytes,
                    available_bytes: f.available_bytes,
                });
            }
        }
        let mut fp = Footprint {
            today: vec![Components::default(); fs.len()],
            new: vec![NewUse::default(); fs.len()],
            fs,
            new_instances: Vec::new(),
            lookup,
            primary_fs: HashMap::new(),
            coordinator_fs: None,
            cluster_dirs: Vec::new(),
            common_mounts: Vec::new(),
            backup_hosts: Vec::new(),
        };

        let grow = opts.growth;
        for i in &inv.instances {
            let mount = match &i.mount {
                Some(m) => m.clone(),
                None => fp.mount_of(&i.host, &i.datadir)?,
            };
            let idx = fp.index(&i.host, &mount)?;
            let b = i
                .bytes
                .ok_or_else(|| ModelError::InstanceNotMeasured(i.label()))?;
            let own = b.data + b.wal + b.logs + b.backups + b.other;
            let is_primary = matches!(i.kind(), InstanceKind::Primary | InstanceKind::Coordinator);
            let add = |c: &mut Components, bytes: u64, data: u64| {
                if is_primary {
                    c.old_primary = c.old_primary.saturating_add(bytes);
                } else {
                    c.old_mirror = c.old_mirror.saturating_add(bytes);
                }
                c.growth = c.growth.saturating_add((data as f64 * grow).round() as u64);
            };
            add(&mut fp.today[idx], own, b.data);
            fp.cluster_dirs.push((i.host.clone(), i.datadir.clone()));
            for t in &i.tablespaces {
                let dir = format!("{}/{}", t.location.trim_end_matches('/'), i.dbid);
                let m = match &t.mount {
                    Some(m) => m.clone(),
                    None => fp.mount_of(&i.host, &dir)?,
                };
                let ti = fp.index(&i.host, &m)?;
                let tb = t.bytes.ok_or_else(|| {
                    ModelError::InstanceNotMeasured(format!("{} (tablespace {})", i.label(), t.oid))
                })?;
                add(&mut fp.today[ti], tb, tb);
                fp.cluster_dirs.push((i.host.clone(), t.location.clone()));
            }
            match i.kind() {
                InstanceKind::Primary => {
                    fp.primary_fs.insert(i.content, (i.host.clone(), idx));
                }
                InstanceKind::Coordinator => fp.coordinator_fs = Some((i.host.clone(), idx)),
                _ => {}
            }
        }
        for (c, slot) in fp.today.iter_mut().zip(&fp.fs) {
            c.other = slot.used_bytes.saturating_sub(c.old_primary + c.old_mirror);
        }

        fp.new_instances = place_new_cluster(inv, opts)?;
        let overhead = opts.instance_overhead_bytes();
        for n in &fp.new_instances {
            let idx = fp.index(&n.host, &n.mount)?;
            let primary_side = matches!(n.kind, InstanceKind::Primary | InstanceKind::Coordinator);
            let u = &mut fp.new[idx];
            if primary_side {
                u.primary = u.primary.saturating_add(n.data_bytes);
                u.primary_overhead = u.primary_overhead.saturating_add(overhead);
            } else {
                u.mirror = u.mirror.saturating_add(n.data_bytes);
                u.mirror_overhead = u.mirror_overhead.saturating_add(overhead);
            }
            for (m, b) in &n.tablespace_bytes {
                let ti = fp.index(&n.host, m)?;
                if primary_side {
                    fp.new[ti].primary = fp.new[ti].primary.saturating_add(*b);
                } else {
                    fp.new[ti].mirror = fp.new[ti].mirror.saturating_add(*b);
                }
            }
            fp.cluster_dirs.push((n.host.clone(), n.datadir.clone()));
        }

        // Hosts that write backup data, and the mounts all of them have.
        let mut hosts: Vec<String> = fp.primary_fs.values().map(|(h, _)| h.clone()).collect();
        if hosts.is_empty()
            && let Some((h, _)) = &fp.coordinator_fs
        {
            hosts.push(h.clone());
        }
        hosts.sort();
        hosts.dedup();
        if let Some(first) = hosts.first() {
            let mut common: Vec<String> = fp.lookup[first].iter().map(|(m, _)| m.clone()).collect();
            common.retain(|m| {
                hosts
                    .iter()
                    .all(|h| fp.lookup[h].iter().any(|(x, _)| x == m))
            });
            common.sort();
            fp.common_mounts = common;
        }
        fp.backup_hosts = hosts;
        Ok(fp)
    }

    /// Index of the filesystem `mount` of `host`.
    pub fn index(&self, host: &str, mount: &str) -> Result<usize, ModelError> {
        self.lookup
            .get(host)
            .and_then(|v| v.iter().find(|(m, _)| m == mount).map(|(_, i)| *i))
            .ok_or_else(|| ModelError::UnknownFilesystem {
                host: host.into(),
                mount: mount.into(),
            })
    }

    /// The mount point of `host` that holds `path`.
    pub fn mount_of(&self, host: &str, path: &str) -> Result<String, ModelError> {
        let mounts = self
            .lookup
            .get(host)
            .ok_or_else(|| ModelError::HostNotMeasured { host: host.into() })?;
        mount_for_path(path, mounts.iter().map(|(m, _)| m.as_str()))
            .map(str::to_string)
            .ok_or_else(|| ModelError::PathNotMeasured {
                host: host.into(),
                path: path.into(),
            })
    }

    /// The first cluster directory that `path` lies in on any host, if any:
    /// a backup there would be deleted by gpdeletesystem or collide with gpinitsystem.
    pub fn cluster_dir_containing(&self, path: &str) -> Option<&(String, String)> {
        self.cluster_dirs
            .iter()
            .find(|(_, d)| path_is_under(path, d) || path_is_under(d, path))
    }

    /// Bytes of backup landing on each filesystem for a target: each
    /// content's files on its host, and on the coordinator the metadata twice
    /// (the metadata-only trial's copy stays until the cleanup step).
    pub fn place_backup(
        &self,
        target: &BackupTarget,
        external: &ExternalKind,
        backup: &BackupEstimate,
    ) -> Result<Vec<u64>, ModelError> {
        let mut out = vec![0u64; self.fs.len()];
        let metadata = backup.metadata_bytes.saturating_mul(2);
        let coordinator = self.coordinator_fs.as_ref();
        match target {
            BackupTarget::Default => {
                for c in &backup.per_content {
                    if let Some((_, idx)) = self.primary_fs.get(&c.content) {
                        out[*idx] = out[*idx].saturating_add(c.compressed_bytes);
                    }
                }
                if let Some((_, idx)) = coordinator {
                    out[*idx] = out[*idx].saturating_add(metadata);
                    if backup.per_content.is_empty() {
                        out[*idx] = out[*idx].saturating_add(backup.compressed_bytes);
                    }
                }
            }
            BackupTarget::Dir(dir) => {
                for c in &backup.per_content {
                    if let Some((host, _)) = self.primary_fs.get(&c.content) {
                        let m = self.mount_of(host, dir)?;
                        out[self.index(host, &m)?] =
                            out[self.index(host, &m)?].saturating_add(c.compressed_bytes);
                    }
                }
                if let Some(idx) = self.coordinator_fs_of(dir)? {
                    out[idx] = out[idx].saturating_add(metadata);
                    if backup.per_content.is_empty() {
                        out[idx] = out[idx].saturating_add(backup.compressed_bytes);
                    }
                }
            }
            BackupTarget::External => {
                // A plugin streams data off the hosts but keeps the metadata in the
                // coordinator data directory; a shared directory holds it all.
                if let (ExternalKind::Plugin(_), Some((_, idx))) = (external, coordinator) {
                    out[*idx] = out[*idx].saturating_add(metadata);
                }
            }
        }
        Ok(out)
    }

    /// The coordinator's measured filesystem holding `dir`, if there is one.
    /// None when no measured filesystem of the coordinator holds it: the
    /// metadata (a few MB) then lands outside the model, and the plan says so
    /// ([`Footprint::coordinator_misses`]).
    pub fn coordinator_fs_of(&self, dir: &str) -> Result<Option<usize>, ModelError> {
        match &self.coordinator_fs {
            None => Ok(None),
            Some((host, _)) => match self.mount_of(host, dir) {
                Ok(m) => Ok(Some(self.index(host, &m)?)),
                Err(_) => Ok(None),
            },
        }
    }

    /// The coordinator host when none of its measured filesystems holds `dir`.
    pub fn coordinator_misses(&self, dir: &str) -> Option<&str> {
        let (host, _) = self.coordinator_fs.as_ref()?;
        self.mount_of(host, dir).is_err().then_some(host.as_str())
    }

    /// Why a host-local `--backup-dir` cannot be read by gprestore on 7, if so:
    /// gprestore reads content N's files on the host of 7's content N, so every
    /// content must stay on its host and the segment count must not change.
    pub fn host_dir_unreadable_by_7(&self) -> Option<String> {
        let new: Vec<&NewInstance> = self
            .new_instances
            .iter()
            .filter(|n| n.kind == InstanceKind::Primary)
            .collect();
        if new.len() != self.primary_fs.len() {
            return Some(format!(
                "the 7 layout has {} segments and the 6 cluster {}: gprestore --resize-cluster reads other contents' files, which a host-local --backup-dir does not hold; use a shared directory (--external-dir) or a plugin",
                new.len(),
                self.primary_fs.len()
            ));
        }
        let moved = new.iter().find(|n| {
            self.primary_fs
                .get(&n.content)
                .is_none_or(|(h, _)| *h != n.host)
        })?;
        Some(format!(
            "the 7 layout puts content {} on {}, but its backup files are written on {}: a host-local --backup-dir is read on the host of the 7 segment; use a shared directory (--external-dir) or a plugin",
            moved.content,
            moved.host,
            self.primary_fs
                .get(&moved.content)
                .map(|(h, _)| h.as_str())
                .unwrap_or("no 6 host")
        ))
    }

    /// For each host, how many of its primaries' data filesystems a
    /// `--backup-dir` funnels onto one: (host, number of data filesystems).
    pub fn hosts_with_several_data_filesystems(&self) -> Vec<(String, usize)> {
        let mut per_host: HashMap<&str, Vec<usize>> = HashMap::new();
        for (host, idx) in self.primary_fs.values() {
            let v = per_host.entry(host).or_default();
            if !v.contains(idx) {
                v.push(*idx);
            }
        }
        let mut out: Vec<(String, usize)> = per_host
            .into_iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(h, v)| (h.to_string(), v.len()))
            .collect();
        out.sort();
        out
    }
}

/// Candidate `--backup-dir` paths: `<mount>/whpg_backup` on every mount common
/// to all segment hosts.
pub fn backup_dir_candidates(fp: &Footprint) -> Vec<(String, String)> {
    fp.common_mounts
        .iter()
        .map(|m| {
            let dir = format!("{}/whpg_backup", m.trim_end_matches('/'));
            (m.clone(), dir)
        })
        .collect()
}

//! The names the model, the runbook and the reports share: which plan
//! ([`PlanId`]) and which of its phases ([`Phase`]). Kept apart from the plans'
//! evaluation so that the runbook's steps can name them without depending on it.

use serde::{Deserialize, Serialize};

/// A plan's stable id (JSON and tests use these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum PlanId {
    /// Backup on the hosts, 7 beside 6, restore, verify, delete backup and 6.
    SideBySide,
    /// Backup to an external target, 7 beside 6, restore.
    ExternalBackup,
    /// 7 beside 6, copy straight across with gpcopy / whpg-copy.
    DirectCopy,
    /// Backup to a `--backup-dir` outside the cluster, delete 6, init 7, restore.
    DeleteAndReinit,
    /// As delete-and-reinit, restoring without mirrors, then gpaddmirrors.
    DeleteAndReinitMirrorless,
}

impl PlanId {
    /// Every plan, in display order.
    pub const ALL: [PlanId; 5] = [
        PlanId::SideBySide,
        PlanId::ExternalBackup,
        PlanId::DirectCopy,
        PlanId::DeleteAndReinit,
        PlanId::DeleteAndReinitMirrorless,
    ];

    /// The id as text.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanId::SideBySide => "side-by-side",
            PlanId::ExternalBackup => "external-backup",
            PlanId::DirectCopy => "direct-copy",
            PlanId::DeleteAndReinit => "delete-and-reinit",
            PlanId::DeleteAndReinitMirrorless => "delete-and-reinit-mirrorless",
        }
    }

    /// Whether the 6 cluster survives until 7 is verified (a rollback exists).
    pub fn keeps_rollback(self) -> bool {
        matches!(
            self,
            PlanId::SideBySide | PlanId::ExternalBackup | PlanId::DirectCopy
        )
    }

    /// Whether the plan stages a backup on the hosts' own filesystems.
    pub fn stages_backup_on_hosts(self) -> bool {
        matches!(
            self,
            PlanId::SideBySide | PlanId::DeleteAndReinit | PlanId::DeleteAndReinitMirrorless
        )
    }
}

impl std::fmt::Display for PlanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phase of a plan (and `Prepare`, the runbook's steps before the first).
/// The runbook's steps and the footprint's phases name the same values, so a
/// step can never be filed under a phase the plan does not have by a typo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Checks and preparations before anything is written.
    Prepare,
    /// gpbackup to the hosts.
    Backup,
    /// gpbackup to a plugin or a shared directory.
    BackupToExternal,
    /// gpdeletesystem (delete-and-reinit plans).
    Gpdeletesystem,
    /// gpinitsystem of the 7 cluster.
    Init7,
    /// gpinitsystem without mirrors (mirrorless plan).
    Init7WithoutMirrors,
    /// gprestore into 7.
    Restore,
    /// gpcopy / whpg-copy straight across.
    CopyTo7,
    /// Checks on 7 before 6 goes.
    Verify,
    /// The backup and the 6 cluster removed.
    DeleteBackupAnd6,
    /// The 6 cluster removed.
    Delete6,
    /// The backup removed.
    DeleteBackup,
    /// gpaddmirrors (and gpinitstandby) on 7.
    Gpaddmirrors,
}

impl Phase {
    /// Every phase, `Prepare` first.
    pub const ALL: [Phase; 13] = [
        Phase::Prepare,
        Phase::Backup,
        Phase::BackupToExternal,
        Phase::Gpdeletesystem,
        Phase::Init7,
        Phase::Init7WithoutMirrors,
        Phase::Restore,
        Phase::CopyTo7,
        Phase::Verify,
        Phase::DeleteBackupAnd6,
        Phase::Delete6,
        Phase::DeleteBackup,
        Phase::Gpaddmirrors,
    ];

    /// The phase with this name (as [`Phase::name`] writes it).
    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The name reports and JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Prepare => "prepare",
            Phase::Backup => "backup",
            Phase::BackupToExternal => "backup to external target",
            Phase::Gpdeletesystem => "gpdeletesystem",
            Phase::Init7 => "init 7",
            Phase::Init7WithoutMirrors => "init 7 without mirrors",
            Phase::Restore => "restore",
            Phase::CopyTo7 => "copy 6 to 7",
            Phase::Verify => "verify",
            Phase::DeleteBackupAnd6 => "delete backup & 6",
            Phase::Delete6 => "delete 6",
            Phase::DeleteBackup => "delete backup",
            Phase::Gpaddmirrors => "gpaddmirrors",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Phase {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Read back by name: the estimate JSON `watch` reads is one typed contract
/// with the model that wrote it.
impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Phase::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
            serde::de::Error::custom(format!(
                "unknown phase \"{name}\" (one of: {})",
                names.join(", ")
            ))
        })
    }
}

impl PartialEq<&str> for Phase {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

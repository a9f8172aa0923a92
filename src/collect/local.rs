//! `collect --local`: this machine's own disks, seen through sysinfo.

use crate::inventory::{self, Inventory};

/// Whether `mount` is one of the system's memory-backed mounts (`/dev/shm`,
/// `/run`, `/sys/fs/cgroup`, …): RAM, not a place for a backup, so the
/// backup-dir search must not pick it. A tmpfs elsewhere (a test host's
/// `/data1`) is kept: it may hold data directories.
pub fn is_system_ram_mount(mount: &str, fs_type: &str) -> bool {
    let ram = matches!(fs_type, "tmpfs" | "ramfs" | "devtmpfs");
    let system = ["/dev", "/run", "/sys", "/proc", "/var/run"]
        .iter()
        .any(|p| crate::inventory::path_is_under(mount, p));
    ram && system
}

/// `--local`: every local disk sysinfo sees (tmpfs included) joins the host's
/// filesystems, so the backup-dir search can consider them. Their used bytes
/// are `total − available` (sysinfo does not separate root-reserved blocks).
pub fn add_local_disks(inv: &mut Inventory, host: &str) {
    let Ok(disks) = sysinfo::Disks::new_with_refreshed_list() else {
        return;
    };
    let Some(h) = inv.hosts.iter_mut().find(|h| h.name == host) else {
        return;
    };
    if h.status != inventory::HostStatus::Ok {
        return;
    }
    for d in disks.iter() {
        let mount = d.mount_point().to_string_lossy().into_owned();
        let fs_type = d.file_system().to_string_lossy().into_owned();
        let pseudo = [
            "proc", "sysfs", "devtmpfs", "overlay", "squashfs", "cgroup", "cgroup2",
        ];
        if d.total_space() == 0
            || pseudo.contains(&fs_type.as_str())
            || is_system_ram_mount(&mount, &fs_type)
            || h.filesystems.iter().any(|f| f.mount == mount)
        {
            continue;
        }
        h.filesystems.push(inventory::Filesystem {
            mount,
            device: Some(d.name().to_string_lossy().into_owned()),
            fs_type: Some(fs_type),
            total_bytes: d.total_space(),
            used_bytes: d.total_space() - d.available_space(),
            available_bytes: d.available_space(),
            io: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::is_system_ram_mount;

    /// `--local` picked /dev/shm (RAM) as the backup directory (issue 17).
    #[test]
    fn system_ram_mounts_are_not_backup_candidates() {
        for m in ["/dev/shm", "/run", "/run/lock", "/sys/fs/cgroup", "/dev"] {
            assert!(is_system_ram_mount(m, "tmpfs"), "{m}");
        }
        assert!(!is_system_ram_mount("/data1", "tmpfs"));
        assert!(!is_system_ram_mount("/runner", "tmpfs"));
        assert!(!is_system_ram_mount("/run/media/disk", "ext4"));
    }
}

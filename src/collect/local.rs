//! `collect --local`: this machine's own disks, seen through sysinfo.

use crate::inventory::{self, Inventory};

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
        });
    }
}

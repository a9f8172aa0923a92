#!/usr/bin/env python3
"""Writes the sample inventories in this folder.

One cluster shape, four situations: 4 segment hosts (sdw1..sdw4) with /, /data1
and /data2; on each host one primary on /data1 and one on /data2, each primary
mirrored on the next host's same filesystem (group mirroring); a coordinator
(cdw) and a standby (scdw). Sizes are decimal (1 TB = 10^12 bytes) so the
arithmetic in each file's header can be checked by hand.

Run: python3 samples/make_samples.py   (rewrites the four .yaml files)
"""
import os

TB = 10**12
GB = 10**9
HERE = os.path.dirname(os.path.abspath(__file__))

def instance(dbid, content, role, host, port, datadir, mount, data, wal, logs, backups=0, measured=True, ts=None):
    lines = [
        f"  - dbid: {dbid}",
        f"    content: {content}",
        f"    role: {role}",
        f"    preferred_role: {role}",
        f"    host: {host}",
        f"    port: {port}",
        f"    datadir: {datadir}",
    ]
    if measured:
        lines += [
            f"    mount: {mount}",
            "    bytes:",
            f"      data: {data}",
            f"      wal: {wal}",
            f"      logs: {logs}",
            f"      backups: {backups}",
        ]
    else:
        lines.append("    error: host not measured")
    return "\n".join(lines)

def fs(mount, device, total, used, fstype="xfs"):
    return "\n".join([
        f"      - mount: {mount}",
        f"        device: {device}",
        f"        fs_type: {fstype}",
        f"        total_bytes: {total}",
        f"        used_bytes: {used}",
        f"        available_bytes: {total - used}",
    ])

def build(header, data_fs_total, failed_host=None, composition="stats"):
    P_DATA, WAL, LOGS = 400 * GB, 1 * GB, GB // 2
    inst_bytes = P_DATA + WAL + LOGS            # 401.5 GB per instance
    other = 20 * GB                             # OS/other files on each data filesystem
    used = 2 * inst_bytes + other               # one primary + one mirror per filesystem
    out = [header.rstrip("\n"), "format: whpg-plan/inventory/v1", "source:",
           "  product: greenplum", "  version: 6.26.1",
           "  collected_at: 2026-11-20T09:00:00Z", "  coordinator: cdw", "hosts:"]
    for name, dev in (("cdw", "nvme0n1"), ("scdw", "nvme0n1")):
        out += [f"  - name: {name}", "    filesystems:",
                fs("/", f"/dev/{dev}p1", 200 * GB, 40 * GB, "ext4"),
                fs("/data", f"/dev/{dev}p2", 2 * TB, 60 * GB)]
    for h in range(1, 5):
        name = f"sdw{h}"
        if name == failed_host:
            out += [f"  - name: {name}", "    status: failed",
                    f"    error: 'ssh {name}: connect to port 22: Connection timed out after 10s'",
                    "    filesystems: []"]
            continue
        out += [f"  - name: {name}", "    filesystems:",
                fs("/", "/dev/sda1", 200 * GB, 30 * GB, "ext4"),
                fs("/data1", "/dev/sdb1", data_fs_total, used),
                fs("/data2", "/dev/sdc1", data_fs_total, used)]
    out.append("instances:")
    out.append(instance(1, -1, "primary", "cdw", 5432, "/data/master/gpseg-1", "/data", 2 * GB, WAL, 3 * GB))
    out.append(instance(34, -1, "mirror", "scdw", 5432, "/data/master/gpseg-1", "/data", 2 * GB, WAL, 3 * GB))
    dbid = 2
    for h in range(1, 5):
        for k, mount in enumerate(("/data1", "/data2")):
            content = (h - 1) * 2 + k
            host = f"sdw{h}"
            mhost = f"sdw{h % 4 + 1}"
            out.append(instance(dbid, content, "primary", host, 6000 + k, f"{mount}/primary/gpseg{content}", mount,
                                P_DATA, WAL, LOGS, measured=host != failed_host))
            out.append(instance(dbid + 8, content, "mirror", mhost, 7000 + k, f"{mount}/mirror/gpseg{content}", mount,
                                P_DATA, WAL, LOGS, measured=mhost != failed_host))
            dbid += 1
    # Composition: 3.2 TB of primary data = heap 1.0 TB + indexes 0.2 TB + AO row 0.8 TB + AO column 1.2 TB.
    stats = composition == "stats"
    def kind(k, on_disk, idx, unc, rows, tables, csv):
        s = [f"      - kind: {k}", f"        tables: {tables}", f"        on_disk_bytes: {on_disk}",
             f"        index_bytes: {idx}"]
        if unc is not None:
            s.append(f"        uncompressed_bytes: {unc}")
        s.append(f"        rows: {rows}")
        if stats:
            s += [f"        csv_bytes: {csv}", "        csv_estimated_from: stats"]
        return "\n".join(s)
    out += ["composition:", "  databases:",
            "  - name: sales", "    storage:",
            kind("heap", 600 * GB, 120 * GB, None, 3_000_000_000, 310, 450 * GB),
            kind("ao_row", 800 * GB, 0, 2000 * GB, 9_500_000_000, 120, 1900 * GB),
            "  - name: analytics", "    storage:",
            kind("heap", 400 * GB, 80 * GB, None, 2_000_000_000, 95, 300 * GB),
            kind("ao_column", 1200 * GB, 0, 3600 * GB, 21_000_000_000, 60, 3400 * GB)]
    return "\n".join(out) + "\n"

def write(name, text):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)

COMMON = """#
# Cluster: Greenplum 6.26.1, coordinator cdw + standby scdw, 4 segment hosts sdw1..sdw4.
# Each segment host has /data1 and /data2; on each: one primary and one mirror (group
# mirroring: sdwN's mirrors on sdwN+1), each instance 400 GB data + 1 GB WAL + 0.5 GB logs
# = 401.5 GB; plus 20 GB of other files. Used per data filesystem: 2 x 401.5 + 20 = 823 GB.
# Primary data: 8 x 400 GB = 3.2 TB (heap 1.0 TB + indexes 0.2 TB, AO row 0.8 TB, AO column 1.2 TB).
"""

STATS = """# Backup: CSV from catalog stats: 0.45 + 0.30 (heap) + 1.9 (AO row) + 3.4 (AO column) = 6.05 TB;
# gzip-1 at the default ratio 0.35 = 2.1175 TB; per content 6.05/8 x 0.35 = 264.69 GB.
# New instance: 400 GB data + 1.108 GB overheads (20 MB catalog + 1088 MB WAL).
"""

write("fits-side-by-side.yaml", build(
    "# Sample: a cluster on 4 TB data filesystems where the guides' same-hardware path fits.\n"
    + COMMON + STATS +
    """# Side-by-side backs up to --backup-dir /data1/whpg_backup: gprestore on 7 cannot read a backup
# inside the 6 data directories, so the search over the mounts common to all segment hosts picks a
# directory outside both clusters (/data1 and /data2 tie, / is too small). /data1 on each host
# receives both of its contents' backups, 2 x 264.69 = 529.4 GB. At the restore phase on /data1:
#   823 (today) + 529.4 (backup) + 2 x 400 (new primary + mirror) + 2 x 1.108 = 2,154.6 GB
#   limit 0.90 x 4,000 GB = 3,600 GB -> fits at 60% of the limit.  Expected exit code 0.
""", 4 * TB))

write("needs-delete-and-reinit.yaml", build(
    "# Sample: 2 TB data filesystems: the old and new clusters do not fit side by side, but\n"
    "# backing up to one filesystem outside the data directories, deleting 6 and rebuilding does.\n"
    + COMMON + STATS +
    """# Side-by-side at restore on /data1 (both of a host's backups there, as in fits-side-by-side):
#   823 + 529.4 + 800 + 2.216 = 2,154.6 GB > limit 0.90 x 2,000 = 1,800 GB -> short 354.6 GB.
# Delete-and-reinit with --backup-dir /data1/whpg_backup (found by the search over the mounts
# common to all segment hosts; /data1 and /data2 tie, / is too small): /data1 on each host
# receives both of its contents' backups, 2 x 264.69 = 529.4 GB.
#   backup phase:  823 + 529.4 = 1,352.4 GB;  restore phase: 20 + 529.4 + 800 + 2.216 = 1,351.6 GB
#   both <= 1,800 GB -> fits (75% of the limit).  Expected exit code 3.
""", 2 * TB))

write("does-not-fit.yaml", build(
    "# Sample: 1.1 TB data filesystems already 75% full: no plan fits on these hosts.\n"
    + COMMON +
    """# Backup: no per-table stats in this inventory, so the documented default factors apply:
#   heap 0.75 x 1.0 TB = 0.75 TB; AO 0.95 x uncompressed (2.0 + 3.6 TB) = 5.32 TB; CSV 6.07 TB;
#   gzip-1 x 0.35 = 2.1245 TB; per content 265.56 GB.
# Limit per data filesystem: 0.90 x 1,100 GB = 990 GB; 823 GB are used today.
#   Any backup on the hosts: 823 + 531.1 = 1,354.1 GB (one --backup-dir per host, outside the data
#   directories, which 7 cannot read) -> over 990 GB before anything is deleted.
# Expected exit code 4. Keeping 6 while 7 is restored cannot fit either: 823 + 800 > 990 GB.
# The way out: back up to an external target, then delete and rebuild
# (--external-capacity 3TB: delete-and-reinit's peak is today's 823 GB, 83% of the limit; exit 3).
""", 1100 * GB, composition="default"))

write("incomplete.yaml", build(
    "# Sample: the fits-side-by-side cluster, but sdw3 could not be reached over SSH.\n"
    + COMMON +
    """# sdw3 holds primaries 4 and 5 and the mirrors of contents 2 and 3; none of them could be
# measured, so no verdict is given.  Expected exit code 5.
""", 4 * TB, failed_host="sdw3"))

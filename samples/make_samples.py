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


# The pre-flight's items as collect writes them (id, row of greenplum.md's table, severity,
# title, source, scope), from src/collect/preflight.rs.
CHECKS = [
    ('resource-groups', 1, 'fails', "resource groups (every full backup's globals alter them with 6-only attributes)",
     '7 knows only concurrency, cpu_max_percent, cpu_weight, cpuset, memory_quota, min_cost, io_limit: --with-globals aborts before any role exists (GB metadata_globals.go:116-120, 217-274; W7 resgroupcmds.c)', 'cluster'),
    ('removed-settings', 2, 'fails', 'database and role settings of parameters 7 removed, gp_default_storage_options with appendonly, gp_use_legacy_hashops',
     '"unrecognized configuration parameter": the ALTER DATABASE/ROLE … SET fails (WD guc-changes-6to7.md:136-182; GB metadata_globals.go:380-394)', 'cluster'),
    ('pg-role-names', 3, 'fails', 'roles named pg_*',
     'CREATE ROLE fails: the prefix is reserved (G7 check.c check_for_pg_role_prefix; GB queries_globals.go:368-372)', 'cluster'),
    ('sha256-passwords', 4, 'silent', 'SHA-256 password hashes',
     'restored as a plaintext password: those logins break silently (WD CREATE_ROLE.md:130)', 'cluster'),
    ('removed-types', 5, 'fails', 'columns, types and functions using abstime, reltime, tinterval, smgr or unknown',
     'CREATE fails: the types are removed (WD removed-features-objects.md:345-353; G7 check.c)', 'database'),
    ('views-on-removed-catalog', 6, 'fails', 'views whose definition names a removed catalog column or function (a text search: a heuristic)',
     'CREATE VIEW fails, and whatever depends on the view (WD removed-features-objects.md; G7 check_gp.c)', 'database'),
    ('plpython2', 7, 'fails', 'functions in plpythonu / plpython2u',
     'CREATE FUNCTION fails: Python 2 is removed (WD removed-features-objects.md:30)', 'database'),
    ('extensions', 7, 'manual', 'extensions, with their versions',
     'CREATE EXTENSION fails unless the extension is installed on 7 first (GB predata_functions.go:290-350)', 'database'),
    ('c-functions', 7, 'manual', 'C-language functions outside extensions, with their shared libraries',
     'CREATE FUNCTION … LANGUAGE c loads the library even with check_function_bodies off: it must be built for 7 and installed on every host first (GB predata_functions.go:290-350)', 'database'),
    ('arrow-operator', 8, 'fails', 'user operators named =>',
     'CREATE OPERATOR => fails (G7 check_for_disallowed_pg_operator)', 'database'),
    ('multi-column-list-partitions', 9, 'fails', 'LIST partitioning on more than one column',
     'CREATE TABLE fails (G7 check_multi_column_list_partition_keys; WD about-part-changes.md:71-82)', 'database'),
    ('exclusive-inclusive-bounds', 9, 'fails', 'START EXCLUSIVE / END INCLUSIVE range partitions on key types other than int2/4/8, date, time(tz), timestamp(tz), interval',
     'CREATE TABLE fails (G7 parse_partition_gp.c; WD about-part-changes.md:71-82)', 'database'),
    ('unnamed-external-partitions', 9, 'fails', 'external leaf partitions without a name (FOR (RANK(n)))',
     'the ALTER TABLE … EXCHANGE PARTITION gpbackup writes fails (WD about-part-changes.md:71-82)', 'database'),
    ('hash-opclasses', 10, 'fails', 'tables distributed by hash operator classes 7 lacks',
     'CREATE TABLE fails (G6 pg_opclass.h vs G7 pg_opclass.dat)', 'database'),
    ('legacy-hashops', 11, 'fails', 'gp_use_legacy_hashops on, and tables distributed by legacy (cdbhash_*) operator classes',
     "gpbackup's session writes the distribution clause without the opclass: load errors, or rows re-hashed on a resize (GB queries_table_defs.go:443-461; GB restore/wrappers.go:116-119)", 'database'),
    ('partial-numsegments', 12, 'fails', 'tables on fewer segments than the cluster has (an unfinished gpexpand)',
     'the load fails (G7 check_online_expansion)', 'database'),
    ('new-keywords', 13, 'fails', 'tables or columns named tablesample / ao_aux_only, types or functions named xmltable / xmlnamespaces',
     'CREATE fails: the names are keywords on 7 (G6 vs G7 kwlist)', 'database'),
    ('quicklz', 15, 'silent', 'QuickLZ compression',
     'restored as zstd (GB wrappers.go:129-132)', 'database'),
    ('with-oids', 16, 'silent', 'tables WITH OIDS',
     'the oid column is dropped (GB predata_relations.go:446)', 'database'),
    ('materialized-views', 17, 'silent', 'materialized views',
     'restored WITH NO DATA (GB predata_relations.go)', 'database'),
    ('leaf-only-indexes', 18, 'silent', 'indexes only on leaf partitions',
     'not carried to 7 (GB queries_postdata.go:140)', 'database'),
    ('extension-config-tables', 19, 'silent', 'extension configuration tables',
     'their data is not carried (upstream gpbackup 1.30, GB queries_shared.go:326-333)', 'database'),
    ('outside-the-backup', 20, 'manual', 'what no backup holds: postgresql.conf, pg_hba.conf, gp_toolkit and other excluded schemas, globals without --with-globals',
     'not carried (WD backup_restore/index.md)', 'manual'),
]

DEFAULT_GROUPS = [
    ("admin_group", ["10", "10", "10", "80", "0", "0", "-1"]),
    ("default_group", ["20", "30", "0", "80", "0", "0", "-1"]),
]
CAPS = ["concurrency", "cpu_rate_limit", "memory_limit", "memory_shared_quota",
        "memory_spill_ratio", "memory_auditor", "cpuset"]

def q(v):
    """A YAML scalar in single quotes."""
    return "'" + str(v).replace("'", "''") + "'"

def compatibility(groups, findings):
    """The compatibility section: every item checked; `findings` maps an item id to
    (database or None, schema or None, name, detail) tuples; item 20 is manual."""
    out = ["compatibility:", "  items:"]
    for cid, num, sev, title, source, scope in CHECKS:
        fs = list(findings.get(cid, []))
        if cid == "resource-groups":
            fs = [(None, None, n, ", ".join(f"{c} {v}" for c, v in zip(CAPS, vals))) for n, vals in groups]
        out += [f"  - id: {cid}", f"    number: {num}", f"    severity: {sev}",
                f"    title: {q(title)}", f"    source: {q(source)}",
                f"    status: {'manual' if scope == 'manual' else 'checked'}", f"    count: {len(fs)}"]
        if fs:
            out.append("    findings:")
            for db, schema, name, detail in fs:
                first = True
                for k, v in (("database", db), ("schema", schema), ("name", name), ("detail", detail)):
                    if v is None:
                        continue
                    out.append(f"    {'- ' if first else '  '}{k}: {q(v)}")
                    first = False
    out.append("  resource_groups:")
    for n, vals in groups:
        out.append(f"  - name: {n}")
        out += [f"    {c}: {q(v)}" for c, v in zip(CAPS, vals)]
    return "\n".join(out)

GIB = 2**30

# gpbackup report files (gpbackup_<ts>_report) of earlier full backups, one per database, as
# collect reads them from the coordinator's backup directory: (timestamp, database, "database
# size:" as pg_size_pretty prints it, in GiB, "duration:" in seconds). See HISTORY below.
BACKUPS = [
    ("20261115044500", "analytics", 1565, 14170),
    ("20261115020000", "sales", 1416, 9000),
]

def history(backups):
    out = ["backup_history:"]
    for ts, db, size_gib, secs in backups:
        out += [f"  - timestamp: '{ts}'",
                f"    path: cdw:/data/gpbackup/gpseg-1/backups/{ts[:8]}/{ts}/gpbackup_{ts}_report",
                f"    database: {db}", "    status: Success", "    compression: gzip",
                "    section: All Sections", f"    duration_seconds: {secs}",
                f"    database_size_bytes: {size_gib * GIB}", "    segment_count: 8",
                "    gpbackup_version: 1.30.5"]
    return "\n".join(out)

def build(header, data_fs_total, failed_host=None, composition="stats", preflight=None, backups=None):
    P_DATA, WAL, LOGS = 400 * GB, 1 * GB, GB // 2
    inst_bytes = P_DATA + WAL + LOGS            # 401.5 GB per instance
    other = 20 * GB                             # OS/other files on each data filesystem
    used = 2 * inst_bytes + other               # one primary + one mirror per filesystem
    out = [header.rstrip("\n"), "format: whpg-plan/inventory/v1", "source:",
           "  product: greenplum", "  version: 6.26.1",
           "  collected_at: 2026-11-20T09:00:00Z", "  coordinator: cdw", "hosts:"]
    for name, dev in (("cdw", "nvme0n1"), ("scdw", "nvme0n1")):
        out += [f"  - name: {name}", "    cpus: 16", "    filesystems:",
                fs("/", f"/dev/{dev}p1", 200 * GB, 40 * GB, "ext4"),
                fs("/data", f"/dev/{dev}p2", 2 * TB, 60 * GB)]
    for h in range(1, 5):
        name = f"sdw{h}"
        if name == failed_host:
            out += [f"  - name: {name}", "    status: failed",
                    f"    error: 'ssh {name}: connect to port 22: Connection timed out after 10s'",
                    "    filesystems: []"]
            continue
        out += [f"  - name: {name}", "    cpus: 32", "    filesystems:",
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
    if preflight is not None:
        out.append(compatibility(*preflight))
    if backups:
        out.append(history(backups))
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

HISTORY = """# Backup history (collect reads the coordinator's gpbackup report files): two successful full
# backups with gzip-1 to --backup-dir /data/gpbackup, one per database, 8 segments each.
#   "database size:" is pg_size_pretty of the database's on-disk bytes (tables + indexes):
#   sales 600 + 120 + 800 = 1,520 GB = 1,415.6 GiB -> "1416 GB"; analytics 400 + 80 + 1,200 =
#   1,680 GB = 1,564.6 GiB -> "1565 GB".  Durations: the CSV at 261.1 MB/s for the cluster
#   (32.6 MB/s per segment): sales 2,350 GB / 261.1 MB/s = 9,000 s (2:30:00); analytics
#   3,700 GB -> 14,170 s (3:56:10).  Their data files were since removed, so data_bytes is
#   absent (collect fills it only when every primary still holds the files).
# Hosts: segment hosts 32 cores each, cdw and scdw 16 (getconf _NPROCESSORS_ONLN).
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
# Pre-flight: nothing but GP6's two resource groups, which every 6 backup's globals carry.
""" + HISTORY, 4 * TB, preflight=(DEFAULT_GROUPS, {}), backups=BACKUPS))

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
# Pre-flight: 3 items make the restore on 7 fail (resource groups, a role setting of a removed
# parameter, a plpythonu function): the delete-first plans wait on them (still exit 3).
""" + HISTORY, 2 * TB, backups=BACKUPS, preflight=(DEFAULT_GROUPS + [("rg_etl", ["5", "-1", "20", "50", "30", "1", "1-3"])], {
    "removed-settings": [(None, None, "ALTER ROLE etl_user", "SET memory_spill_ratio=20")],
    "plpython2": [("analytics", "etl", "clean_address(raw text)", "language plpythonu")],
    "extensions": [("analytics", "public", "postgis", "version 2.5.4")],
    "c-functions": [("sales", "public", "geohash(point)", "library $libdir/geohash, symbol geohash_encode")],
    "materialized-views": [("sales", "reports", "daily_revenue", "materialized view")],
})))

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

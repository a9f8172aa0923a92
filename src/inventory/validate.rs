//! Semantic checks of an inventory that parsed: each problem names the host
//! or instance it is about, so a reader can find it in the file.

use std::collections::{HashMap, HashSet};

use super::schema::{FORMAT, HostStatus, Inventory, Role, path_is_under};

/// How far `used + available` may exceed `total` before it is an error: df
/// output rounded to 1 KiB blocks can be off by a block per figure.
pub const ROUNDING_TOLERANCE_BYTES: u64 = 1 << 20;

/// The smallest compressed/CSV ratio believed: deflate cannot do better than
/// about 1/1032, and even zstd on a sample of identical rows keeps its frame
/// and block headers; 1/10,000 is below any real table's CSV.
pub const MIN_RATIO: f64 = 1e-4;

/// The largest compressed/CSV ratio believed: incompressible data grows by a
/// few bytes per block at most; 1.5 leaves room for tiny samples.
pub const MAX_RATIO: f64 = 1.5;

/// The most bytes all of an inventory's figures may add up to (64 PiB, far
/// above the largest Greenplum clusters): with this bound and the options'
/// bounds, no sum the model makes can pass `u64::MAX`.
pub const MAX_TOTAL_BYTES: u128 = 1 << 56;

/// Per primary, what its data directories hold besides user tables: the
/// catalogs of every database and of the templates, free-space and
/// visibility maps. Part of the plausibility band (see [`check_plausible`]).
pub const CATALOG_ALLOWANCE_BYTES: u64 = 1 << 30;

/// The share of the primaries' measured data (beyond the allowance) the
/// catalog's composition must account for, and how far the composition may
/// exceed what was measured (tables grow between the catalog query and `du`).
pub const PLAUSIBLE_SHARE: f64 = 0.5;
/// See [`PLAUSIBLE_SHARE`].
pub const PLAUSIBLE_EXCESS: f64 = 1.1;

/// The smallest CSV/on-disk ratio believed for a storage kind: a heap page
/// full of dead tuples is still bytes on disk, but below 1% the CSV figure
/// is lost, not small.
pub const MIN_CSV_PER_DISK: f64 = 0.01;

/// One thing wrong with an inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub String);

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The outcome of validating an inventory that has no errors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validated {
    /// Things that are allowed but worth a reader's attention.
    pub warnings: Vec<String>,
}

/// Checks an inventory; returns its warnings, or every error found.
pub fn validate(inv: &Inventory) -> Result<Validated, Vec<Problem>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut err = |s: String| errors.push(Problem(s));

    if inv.format != FORMAT {
        err(format!("format is '{}', expected '{FORMAT}'", inv.format));
    }

    let mut host_mounts: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut host_status: HashMap<&str, HostStatus> = HashMap::new();
    for h in &inv.hosts {
        if host_status.insert(&h.name, h.status).is_some() {
            err(format!("host {}: listed twice", h.name));
        }
        if h.status == HostStatus::Failed && h.error.is_none() {
            err(format!("host {}: status failed without an error", h.name));
        }
        let mounts = host_mounts.entry(&h.name).or_default();
        for fs in &h.filesystems {
            if !mounts.insert(&fs.mount) {
                err(format!(
                    "host {}: filesystem {} listed twice",
                    h.name, fs.mount
                ));
            }
            let sum = fs.used_bytes as u128 + fs.available_bytes as u128;
            if sum > fs.total_bytes as u128 + ROUNDING_TOLERANCE_BYTES as u128 {
                err(format!(
                    "host {} filesystem {}: used_bytes + available_bytes ({sum}) exceeds total_bytes ({})",
                    h.name, fs.mount, fs.total_bytes
                ));
            }
            if !fs.mount.starts_with('/') {
                err(format!(
                    "host {} filesystem {}: mount point is not an absolute path",
                    h.name, fs.mount
                ));
            }
        }
    }

    let mut dbids = HashSet::new();
    let mut primaries: HashMap<i32, Vec<&str>> = HashMap::new();
    let mut contents = HashSet::new();
    for i in &inv.instances {
        let who = format!("instance dbid {} ({}:{})", i.dbid, i.host, i.datadir);
        if !dbids.insert(i.dbid) {
            err(format!("{who}: dbid {} is used twice", i.dbid));
        }
        if i.content < -1 {
            err(format!("{who}: content {} is below -1", i.content));
        }
        contents.insert(i.content);
        if i.role == Role::Primary {
            primaries.entry(i.content).or_default().push(&i.host);
        }
        if !i.datadir.starts_with('/') {
            err(format!(
                "{who}: datadir '{}' is not an absolute path",
                i.datadir
            ));
        }
        for t in i
            .tablespaces
            .iter()
            .filter(|t| !t.location.starts_with('/'))
        {
            err(format!(
                "{who}: tablespace {} location '{}' is not an absolute path",
                t.oid, t.location
            ));
        }
        let Some(status) = host_status.get(i.host.as_str()) else {
            err(format!("{who}: host {} is not in the hosts list", i.host));
            continue;
        };
        if *status == HostStatus::Failed {
            continue;
        }
        let mounts = &host_mounts[i.host.as_str()];
        match &i.mount {
            Some(m) if !mounts.contains(m.as_str()) => err(format!(
                "{who}: mount {m} is not a filesystem listed for host {}",
                i.host
            )),
            Some(m) if !path_is_under(&i.datadir, m) => {
                err(format!("{who}: data directory is not under its mount {m}"))
            }
            _ => {}
        }
        for t in &i.tablespaces {
            if let Some(m) = &t.mount
                && !mounts.contains(m.as_str())
            {
                err(format!(
                    "{who}: tablespace {} mount {m} is not a filesystem listed for host {}",
                    t.oid, i.host
                ));
            }
        }
    }

    let mut sorted: Vec<_> = contents.into_iter().collect();
    sorted.sort();
    for c in sorted {
        match primaries.get(&c).map(Vec::len).unwrap_or(0) {
            0 => err(format!("content {c}: has no primary")),
            1 => {}
            n => err(format!("content {c}: has {n} primaries")),
        }
    }
    if inv.instances.is_empty() {
        err("instances: the inventory lists no instance".to_string());
    }

    for m in inv
        .instances
        .iter()
        .filter(|i| i.role == Role::Mirror && i.content >= 0)
    {
        if let Some(hosts) = primaries.get(&m.content)
            && hosts.contains(&m.host.as_str())
        {
            warnings.push(format!(
                    "content {}: mirror (dbid {}) is on the same host as its primary ({}): losing that host loses the content",
                    m.content, m.dbid, m.host
                ));
        }
    }

    check_layout(inv, &mut errors, &mut warnings);
    check_numbers(inv, &mut errors);
    check_time_evidence(inv, &mut errors);
    if errors.is_empty() {
        check_plausible(inv, &mut errors);
    }

    if errors.is_empty() {
        Ok(Validated { warnings })
    } else {
        Err(errors)
    }
}

/// The cluster's shape: one coordinator, one primary and at most one mirror
/// per content, mirrors for every content or none, one instance per data
/// directory and per host:port, a 6.x version for Greenplum and WarehousePG.
fn check_layout(inv: &Inventory, errors: &mut Vec<Problem>, warnings: &mut Vec<String>) {
    use super::schema::{InstanceKind, Product};
    let mut err = |s: String| errors.push(Problem(s));
    if matches!(
        inv.source.product,
        Product::Greenplum | Product::Warehousepg
    ) {
        let major = inv.source.version.split('.').next().unwrap_or("");
        if major != "6" {
            err(format!(
                "source.version: '{}' is not a 6.x version; whpg-plan plans {} 6 → 7 upgrades",
                inv.source.version,
                inv.source.product.display_name()
            ));
        }
    }
    if inv.instances.is_empty() {
        return;
    }
    let count = |k: InstanceKind| inv.instances.iter().filter(|i| i.kind() == k).count();
    if count(InstanceKind::Coordinator) == 0 {
        err("instances: no coordinator (content -1, role primary)".into());
    }
    if count(InstanceKind::Standby) > 1 {
        err("instances: more than one standby coordinator (content -1, role mirror)".into());
    }
    let mut mirrors: HashMap<i32, Vec<u32>> = HashMap::new();
    let mut contents: HashSet<i32> = HashSet::new();
    for i in &inv.instances {
        if i.content >= 0 {
            contents.insert(i.content);
        }
        if i.kind() == InstanceKind::Mirror {
            mirrors.entry(i.content).or_default().push(i.dbid);
        }
    }
    let mut sorted: Vec<i32> = contents.iter().copied().collect();
    sorted.sort();
    if !mirrors.is_empty() {
        for c in &sorted {
            match mirrors.get(c).map(Vec::as_slice) {
                None | Some([]) => err(format!(
                    "content {c}: has a primary and no mirror while other contents have mirrors (the 7 mirrors could not be sized)"
                )),
                Some([_]) => {}
                Some(dbids) => err(format!(
                    "content {c}: has {} mirrors (dbids {dbids:?}); a content has at most one",
                    dbids.len()
                )),
            }
        }
    } else if !sorted.is_empty() {
        warnings.push(format!(
            "the 6 cluster has no mirrors: its {} contents are modelled without mirrors, and so is the 7 cluster unless --target-config says otherwise",
            sorted.len()
        ));
    }
    let mut places: HashMap<(&str, &str), u32> = HashMap::new();
    let mut ports: HashMap<(&str, u16), u32> = HashMap::new();
    for i in &inv.instances {
        let dir = i.datadir.trim_end_matches('/');
        if let Some(other) = places.insert((&i.host, dir), i.dbid) {
            err(format!(
                "instance dbid {}: data directory {}:{} is also dbid {other}'s",
                i.dbid, i.host, i.datadir
            ));
        }
        if let Some(other) = ports.insert((&i.host, i.port), i.dbid) {
            err(format!(
                "instance dbid {}: port {}:{} is also dbid {other}'s",
                i.dbid, i.host, i.port
            ));
        }
    }
    // A filesystem of size 0 cannot hold an instance.
    for i in &inv.instances {
        if let (Some(m), Some(h)) = (&i.mount, inv.host(&i.host))
            && let Some(fs) = h.filesystems.iter().find(|f| &f.mount == m)
            && fs.total_bytes == 0
        {
            err(format!(
                "host {} filesystem {m}: total_bytes is 0 but it holds instance dbid {}",
                h.name, i.dbid
            ));
        }
    }
}

/// Numbers that cannot be true: a ratio that is NaN, infinite, zero,
/// negative or outside [[`MIN_RATIO`], [`MAX_RATIO`]]; a throughput that is not
/// a positive finite number; figures whose sum passes [`MAX_TOTAL_BYTES`].
fn check_numbers(inv: &Inventory, errors: &mut Vec<Problem>) {
    let mut err = |s: String| errors.push(Problem(s));
    let mut total: u128 = 0;
    for h in &inv.hosts {
        for f in &h.filesystems {
            total += f.total_bytes as u128 + f.used_bytes as u128 + f.available_bytes as u128;
        }
    }
    for i in &inv.instances {
        if let Some(b) = &i.bytes {
            total += [b.data, b.wal, b.logs, b.backups, b.other]
                .iter()
                .map(|&x| x as u128)
                .sum::<u128>();
        }
        total += i
            .tablespaces
            .iter()
            .filter_map(|t| t.bytes)
            .map(u128::from)
            .sum::<u128>();
        total += i
            .previous_backups
            .iter()
            .map(|p| p.bytes as u128)
            .sum::<u128>();
    }
    for r in &inv.backup_history {
        total += r.data_bytes.unwrap_or(0) as u128 + r.database_size_bytes.unwrap_or(0) as u128;
    }
    let Some(c) = &inv.composition else {
        if total > MAX_TOTAL_BYTES {
            err(format!(
                "the inventory's byte figures add up to {total}, more than {MAX_TOTAL_BYTES} (64 PiB): not a real cluster"
            ));
        }
        return;
    };
    let ratio_ok = |r: f64| r.is_finite() && (MIN_RATIO..=MAX_RATIO).contains(&r);
    let mut ratios = |at: &str, m: &Option<std::collections::BTreeMap<String, f64>>| {
        for (codec, r) in m.iter().flatten() {
            if !ratio_ok(*r) {
                err(format!(
                    "{at}: sampled_ratios {codec} = {r:?}: a compressed/CSV ratio must be a finite number from {MIN_RATIO} to {MAX_RATIO}"
                ));
            }
        }
    };
    for d in &c.databases {
        for st in &d.storage {
            let at = format!(
                "composition database {} storage {}",
                d.name,
                st.kind.as_str()
            );
            ratios(&at, &st.sampled_ratios);
            total += st.on_disk_bytes as u128
                + st.index_bytes as u128
                + st.uncompressed_bytes.unwrap_or(0) as u128
                + st.csv_bytes.unwrap_or(0) as u128;
        }
        for t in &d.tables {
            let at = format!(
                "composition database {} table {}.{}",
                d.name, t.schema, t.name
            );
            ratios(&at, &t.sampled_ratios);
        }
    }
    for (codec, v) in c.compression_throughput.iter().flatten() {
        if !(v.is_finite() && *v > 0.0) {
            err(format!(
                "composition compression_throughput {codec} = {v:?}: must be a positive number of bytes per second"
            ));
        }
    }
    if total > MAX_TOTAL_BYTES {
        err(format!(
            "the inventory's byte figures add up to {total}, more than {MAX_TOTAL_BYTES} (64 PiB): not a real cluster"
        ));
    }
}

/// The longest backup duration believed (30 days), as the report reader.
pub const MAX_BACKUP_SECONDS: u64 = 30 * 24 * 3600;

/// The time model's evidence: every backup report with a 14-digit timestamp,
/// a status of `Success` or `Failure`, a duration of at most
/// [`MAX_BACKUP_SECONDS`], a segment count above 0, newest first and each
/// timestamp once; core counts above 0; speeds (COPY, `--measure-io`)
/// positive finite numbers, and an I/O file of more than 0 bytes.
fn check_time_evidence(inv: &Inventory, errors: &mut Vec<Problem>) {
    let mut err = |s: String| errors.push(Problem(s));
    let mut seen = HashSet::new();
    let mut previous: Option<&str> = None;
    for (k, r) in inv.backup_history.iter().enumerate() {
        let at = format!("backup_history[{k}] (timestamp {})", r.timestamp);
        if r.timestamp.len() != 14 || !r.timestamp.bytes().all(|b| b.is_ascii_digit()) {
            err(format!("{at}: timestamp is not 14 digits (YYYYMMDDHHMMSS)"));
        }
        if !seen.insert(r.timestamp.as_str()) {
            err(format!("{at}: timestamp listed twice"));
        }
        if let Some(p) = previous
            && p < r.timestamp.as_str()
        {
            err(format!(
                "{at}: listed after the older {p}; backup_history is newest first"
            ));
        }
        previous = Some(&r.timestamp);
        if r.status != "Success" && r.status != "Failure" {
            err(format!(
                "{at}: status '{}' is neither Success nor Failure",
                r.status
            ));
        }
        if r.duration_seconds > MAX_BACKUP_SECONDS {
            err(format!(
                "{at}: duration_seconds {} is more than 30 days: not one backup run",
                r.duration_seconds
            ));
        }
        if r.segment_count == 0 {
            err(format!("{at}: segment_count is 0"));
        }
    }
    for h in &inv.hosts {
        if h.cpus == Some(0) {
            err(format!("host {}: cpus is 0", h.name));
        }
        for f in &h.filesystems {
            if let Some(io) = &f.io {
                let at = format!("host {} filesystem {} io", h.name, f.mount);
                if io.bytes == 0 {
                    err(format!("{at}: bytes is 0"));
                }
                for (what, v) in [
                    ("write_bytes_per_second", io.write_bytes_per_second),
                    ("read_bytes_per_second", io.read_bytes_per_second),
                ] {
                    if !(v.is_finite() && v > 0.0) {
                        err(format!("{at}: {what} = {v:?}: must be a positive number"));
                    }
                }
            }
        }
    }
    if let Some(v) = inv
        .composition
        .as_ref()
        .and_then(|c| c.copy_bytes_per_second)
        && !(v.is_finite() && v > 0.0)
    {
        err(format!(
            "composition copy_bytes_per_second = {v:?}: must be a positive number of bytes per second"
        ));
    }
}

/// Whether the catalog's composition can account for what `du` measured in
/// the primaries' data directories, within a documented band:
/// - the composition's on-disk + index bytes must reach [`PLAUSIBLE_SHARE`]
///   of the primaries' measured data beyond [`CATALOG_ALLOWANCE_BYTES`] per
///   primary (unless databases were left out or not measured: then it cannot);
/// - and may exceed the measured data (plus the allowance) by at most
///   [`PLAUSIBLE_EXCESS`] (a composition of 3 TB over primaries that measure
///   0 B is a broken measurement);
/// - each storage kind's CSV estimate must be at least one byte per row and
///   [`MIN_CSV_PER_DISK`] of its on-disk bytes.
///
/// A backup estimate from a composition that fails this would be a verdict on
/// numbers that cannot be true.
fn check_plausible(inv: &Inventory, errors: &mut Vec<Problem>) {
    use super::schema::InstanceKind;
    let Some(c) = &inv.composition else {
        return;
    };
    let mut err = |s: String| errors.push(Problem(s));
    for d in &c.databases {
        for st in &d.storage {
            let Some(csv) = st.csv_bytes else { continue };
            let at = format!(
                "composition database {} storage {}",
                d.name,
                st.kind.as_str()
            );
            if let Some(rows) = st.rows
                && csv < rows
            {
                err(format!(
                    "{at}: csv_bytes {csv} is less than its {rows} rows (every CSV row ends with a newline)"
                ));
            } else if (csv as f64) < st.on_disk_bytes as f64 * MIN_CSV_PER_DISK {
                err(format!(
                    "{at}: csv_bytes {csv} is less than {:.0}% of its on_disk_bytes {}: the CSV estimate cannot be true",
                    MIN_CSV_PER_DISK * 100.0,
                    st.on_disk_bytes
                ));
            }
        }
    }
    let mut holders: Vec<_> = inv
        .instances
        .iter()
        .filter(|i| i.kind() == InstanceKind::Primary)
        .collect();
    if holders.is_empty() {
        holders = inv
            .instances
            .iter()
            .filter(|i| i.kind() == InstanceKind::Coordinator)
            .collect();
    }
    // Only a wholly measured cluster can be compared (otherwise it is exit 5 anyway).
    let Some(measured) = holders
        .iter()
        .map(|i| i.data_bytes())
        .try_fold(0u64, |a, b| b.map(|b| a.saturating_add(b)))
    else {
        return;
    };
    let catalog: u64 = c
        .databases
        .iter()
        .flat_map(|d| &d.storage)
        .map(|s| s.on_disk_bytes.saturating_add(s.index_bytes))
        .fold(0, u64::saturating_add);
    let allowance = CATALOG_ALLOWANCE_BYTES.saturating_mul(holders.len() as u64);
    let complete = c.not_measured.is_empty() && c.excluded_databases.is_empty();
    let beyond = measured.saturating_sub(allowance);
    if complete && (catalog as f64) < beyond as f64 * PLAUSIBLE_SHARE {
        err(format!(
            "composition: the catalog's tables and indexes hold {catalog} bytes ({} databases), less than {:.0}% of the {beyond} bytes the {} primaries measure beyond {} per primary for catalogs ({measured} measured): the composition cannot account for the data, so no backup size can be estimated from it",
            c.databases.len(),
            PLAUSIBLE_SHARE * 100.0,
            holders.len(),
            crate::units::human(CATALOG_ALLOWANCE_BYTES),
        ));
    }
    if catalog as f64 > (measured.saturating_add(allowance)) as f64 * PLAUSIBLE_EXCESS {
        err(format!(
            "instances: the {} primaries measure {measured} bytes of data, but the catalog's tables and indexes hold {catalog}: the data directories' measurement cannot be true",
            holders.len()
        ));
    }
}

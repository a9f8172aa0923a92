//! Synthetic inventories of any size, for property tests, benchmarks and
//! report tests: a believable cluster shape with sizes drawn from a seed.

use crate::inventory::{
    Composition, DatabaseComposition, EstimateSource, FORMAT, Filesystem, Host, HostStatus,
    Instance, InstanceBytes, Inventory, Product, Role, Source, StorageComposition, StorageKind,
};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSpec {
    /// Segment hosts.
    pub hosts: usize,
    /// Primaries per host (and as many mirrors, group mirroring).
    pub primaries_per_host: usize,
    /// Data filesystems per host (`/data1` …); instances go round-robin over them.
    pub filesystems_per_host: usize,
    /// Bytes per data filesystem.
    pub filesystem_bytes: u64,
    /// Mean data bytes per primary; each varies by up to ±`skew`.
    pub data_per_primary: u64,
    /// Relative variation of data per content (0.0–1.0).
    pub skew: f64,
    /// Whether to mirror (group mirroring on the next host).
    pub mirrors: bool,
    /// Seed of the size variation.
    pub seed: u64,
}

impl Default for SynthSpec {
    fn default() -> Self {
        SynthSpec {
            hosts: 4,
            primaries_per_host: 2,
            filesystems_per_host: 2,
            filesystem_bytes: 4_000_000_000_000,
            data_per_primary: 400_000_000_000,
            skew: 0.1,
            mirrors: true,
            seed: 1,
        }
    }
}

/// A small deterministic generator (splitmix64), so no random crate is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn signed_unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Builds the inventory `spec` describes.
pub fn synth_inventory(spec: &SynthSpec) -> Inventory {
    let mut rng = Rng(spec.seed);
    let fs_n = spec.filesystems_per_host.max(1);
    let n_hosts = spec.hosts.max(1);
    let contents = n_hosts * spec.primaries_per_host;
    let wal = 1_000_000_000u64;
    let logs = 500_000_000u64;
    let data: Vec<u64> = (0..contents)
        .map(|_| {
            (spec.data_per_primary as f64 * (1.0 + spec.skew * rng.signed_unit())).max(0.0) as u64
        })
        .collect();
    let host_name = |h: usize| format!("sdw{}", h + 1);
    let mut used = vec![vec![20_000_000_000u64; fs_n]; n_hosts];
    let mut instances = Vec::new();
    let mut dbid = 2u32;
    let mirror_dbid_base = 2 + contents as u32;
    for h in 0..n_hosts {
        for k in 0..spec.primaries_per_host {
            let content = h * spec.primaries_per_host + k;
            let f = k % fs_n;
            let mount = format!("/data{}", f + 1);
            let bytes = InstanceBytes {
                data: data[content],
                wal,
                logs,
                backups: 0,
                other: 0,
            };
            used[h][f] += data[content] + wal + logs;
            instances.push(Instance {
                dbid,
                content: content as i32,
                role: Role::Primary,
                preferred_role: Role::Primary,
                host: host_name(h),
                port: 6000 + k as u16,
                datadir: format!("{mount}/primary/gpseg{content}"),
                mount: Some(mount.clone()),
                bytes: Some(bytes),
                tablespaces: Vec::new(),
                error: None,
                previous_backups: Vec::new(),
            });
            if spec.mirrors && n_hosts > 1 {
                let mh = (h + 1) % n_hosts;
                used[mh][f] += data[content] + wal + logs;
                instances.push(Instance {
                    dbid: mirror_dbid_base + dbid - 2,
                    content: content as i32,
                    role: Role::Mirror,
                    preferred_role: Role::Mirror,
                    host: host_name(mh),
                    port: 7000 + k as u16,
                    datadir: format!("{mount}/mirror/gpseg{content}"),
                    mount: Some(mount),
                    bytes: Some(bytes),
                    tablespaces: Vec::new(),
                    error: None,
                    previous_backups: Vec::new(),
                });
            }
            dbid += 1;
        }
    }
    let coord_bytes = InstanceBytes {
        data: 2_000_000_000,
        wal,
        logs: 3_000_000_000,
        backups: 0,
        other: 0,
    };
    instances.push(Instance {
        dbid: 1,
        content: -1,
        role: Role::Primary,
        preferred_role: Role::Primary,
        host: "cdw".into(),
        port: 5432,
        datadir: "/data/master/gpseg-1".into(),
        mount: Some("/data".into()),
        bytes: Some(coord_bytes),
        tablespaces: Vec::new(),
        error: None,
        previous_backups: Vec::new(),
    });
    let fs = |mount: &str, total: u64, used: u64| Filesystem {
        mount: mount.into(),
        device: None,
        fs_type: Some("xfs".into()),
        total_bytes: total.max(used),
        used_bytes: used,
        available_bytes: total.saturating_sub(used),
        io: None,
    };
    let mut hosts = vec![Host {
        name: "cdw".into(),
        address: None,
        status: HostStatus::Ok,
        error: None,
        filesystems: vec![fs("/data", 2_000_000_000_000, 60_000_000_000)],
        cpus: None,
    }];
    for (h, host_used) in used.iter().enumerate() {
        hosts.push(Host {
            name: host_name(h),
            address: None,
            status: HostStatus::Ok,
            error: None,
            filesystems: (0..fs_n)
                .map(|f| {
                    fs(
                        &format!("/data{}", f + 1),
                        spec.filesystem_bytes,
                        host_used[f],
                    )
                })
                .collect(),
            cpus: None,
        });
    }
    let composition = composition(data.iter().sum());
    Inventory {
        format: FORMAT.into(),
        source: Source {
            product: Product::Greenplum,
            version: "6.26.1".into(),
            collected_at: "2026-11-20T09:00:00Z".into(),
            coordinator: "cdw".into(),
        },
        hosts,
        instances,
        composition: Some(composition),
        warnings: Vec::new(),
        compatibility: None,
        backup_history: Vec::new(),
    }
}

/// One database whose data splits 30% heap (500 tables), 25% AO row (200)
/// and 40% AO column (100) of `total` primary data bytes.
fn composition(total: u64) -> Composition {
    let part = |f: f64| (total as f64 * f) as u64;
    Composition {
        compression_throughput: None,
        not_measured: Vec::new(),
        excluded_databases: Vec::new(),
        notes: Vec::new(),
        databases: vec![DatabaseComposition {
            name: "warehouse".into(),
            storage: vec![
                StorageComposition {
                    per_content: Vec::new(),
                    kind: StorageKind::Heap,
                    tables: Some(500),
                    on_disk_bytes: part(0.3),
                    index_bytes: part(0.05),
                    uncompressed_bytes: None,
                    rows: Some(part(0.3) / 120),
                    csv_bytes: Some(part(0.3 * 0.75)),
                    csv_estimated_from: Some(EstimateSource::Stats),
                    sampled_ratios: None,
                },
                StorageComposition {
                    per_content: Vec::new(),
                    kind: StorageKind::AoRow,
                    tables: Some(200),
                    on_disk_bytes: part(0.25),
                    index_bytes: 0,
                    uncompressed_bytes: Some(part(0.25 * 2.5)),
                    rows: Some(part(0.25) / 40),
                    csv_bytes: None,
                    csv_estimated_from: None,
                    sampled_ratios: None,
                },
                StorageComposition {
                    per_content: Vec::new(),
                    kind: StorageKind::AoColumn,
                    tables: Some(100),
                    on_disk_bytes: part(0.4),
                    index_bytes: 0,
                    uncompressed_bytes: Some(part(0.4 * 3.0)),
                    rows: Some(part(0.4) / 30),
                    csv_bytes: None,
                    csv_estimated_from: None,
                    sampled_ratios: None,
                },
            ],
            tables: Vec::new(),
        }],
        copy_bytes_per_second: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::validate;

    #[test]
    fn synthetic_inventories_validate_and_have_the_requested_shape() {
        let spec = SynthSpec {
            hosts: 10,
            primaries_per_host: 8,
            ..Default::default()
        };
        let inv = synth_inventory(&spec);
        assert!(validate(&inv).is_ok());
        assert_eq!(inv.hosts.len(), 11);
        assert_eq!(inv.instances.len(), 10 * 8 * 2 + 1);
    }
}

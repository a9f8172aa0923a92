//! `collect --local` against a real, plain PostgreSQL 15 server.

mod bed;

use std::process::Command;

use bed::{LocalPostgres, du_allocated};
use whpg_plan::inventory::{Product, StorageKind};

#[test]
fn local_postgres_is_a_one_instance_inventory() {
    let pg = LocalPostgres::start();
    pg.sql("postgres", "CREATE DATABASE shop");
    pg.sql(
        "shop",
        "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 50000) g; \
         CREATE INDEX items_id ON items (id); ANALYZE items;",
    );
    let inv = pg.collect_local(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("local.json");
    whpg_plan::inventory::save(&inv, &out).unwrap();
    assert_eq!(inv.source.product, Product::Postgresql);
    assert_eq!(inv.instances.len(), 1);
    // --local reads this machine's online cores too.
    let cores = std::process::Command::new("getconf")
        .arg("_NPROCESSORS_ONLN")
        .output()
        .unwrap();
    let cores: u32 = String::from_utf8_lossy(&cores.stdout)
        .trim()
        .parse()
        .unwrap();
    assert_eq!(inv.hosts[0].cpus, Some(cores));
    let i = &inv.instances[0];
    assert_eq!(i.datadir, pg.data_dir().display().to_string());
    assert_eq!(i.port, pg.port);
    // base + global as du itself measures them, within a few pages for files
    // the server touched between the two measurements.
    let expected =
        du_allocated(&pg.data_dir().join("base")) + du_allocated(&pg.data_dir().join("global"));
    let got = i.bytes.unwrap().data;
    assert!(
        got.abs_diff(expected) <= 64 * 1024,
        "collected {got}, du says {expected}"
    );
    assert_eq!(
        i.bytes.unwrap().wal,
        du_allocated(&pg.data_dir().join("pg_wal"))
    );
    // The table and its index, from the catalog.
    let shop = inv.database("shop").unwrap();
    let heap = shop
        .storage
        .iter()
        .find(|s| s.kind == StorageKind::Heap)
        .unwrap();
    assert_eq!(heap.rows, Some(50000));
    let table_size: u64 = pg
        .sql("shop", "SELECT pg_table_size('items')")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(heap.on_disk_bytes, table_size);
    assert!(heap.index_bytes > 0);
    // And estimate accepts it.
    let e = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .arg("estimate")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        matches!(e.status.code(), Some(0 | 3 | 4)),
        "{}",
        String::from_utf8_lossy(&e.stdout)
    );

    // --measure-io in --local mode: the data directory's filesystem is
    // measured with a file next to the data directory, which is gone after.
    let parent = pg.data_dir().parent().unwrap().to_path_buf();
    let before: Vec<_> = std::fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let inv = pg.collect_local(&["--measure-io", "--measure-io-bytes", "1MiB"]);
    let mount = inv.instances[0].mount.clone().unwrap();
    let fs = inv.hosts[0]
        .filesystems
        .iter()
        .find(|f| f.mount == mount)
        .unwrap();
    eprintln!("--local --measure-io on {mount}: {:?}", fs.io);
    match &fs.io {
        Some(io) => assert!(io.bytes == 1 << 20 && io.write_bytes_per_second > 0.0),
        None => assert!(
            inv.warnings.iter().any(|w| w.contains("bytes available")),
            "not measured and not short of space: {:?}",
            inv.warnings
        ),
    }
    let after: Vec<_> = std::fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "a file was left next to the data directory");
}

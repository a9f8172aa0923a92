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
}

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

/// As a role that may not SELECT a table, pg_stats hides its columns: the
/// note must say so (collect as gpadmin) instead of "run ANALYZE", and a
/// table that really was never analyzed still gets "run ANALYZE".
#[test]
fn statistics_hidden_by_privileges_are_not_called_unanalyzed() {
    let pg = LocalPostgres::start();
    pg.sql("postgres", "CREATE DATABASE shop");
    pg.sql(
        "shop",
        "CREATE ROLE reader LOGIN; GRANT pg_read_all_settings, pg_read_all_stats TO reader; \
         CREATE TABLE secret AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 20000) g; \
         CREATE TABLE open AS SELECT g AS id FROM generate_series(1, 20000) g; \
         CREATE TABLE fresh AS SELECT g AS id FROM generate_series(1, 20000) g; \
         ANALYZE secret; ANALYZE open; GRANT SELECT ON open, fresh TO reader;",
    );
    // The premise, from the server itself: reader sees open's statistics and
    // not secret's, though both were analyzed; fresh has none at all.
    let seen = |user: &str, table: &str| {
        pg.sql(
            "shop",
            &format!("SET ROLE {user}; SELECT count(*) FROM pg_stats WHERE tablename = '{table}'"),
        )
        .trim()
        .to_string()
    };
    assert_eq!(seen("reader", "secret"), "0");
    assert_eq!(seen("postgres", "secret"), "2");
    assert_eq!(seen("reader", "open"), "1");
    assert_eq!(seen("postgres", "fresh"), "0");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reader.json");
    let o = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .args([
            "collect",
            "--local",
            "--pg-host",
            "127.0.0.1",
            "--pg-user",
            "reader",
        ])
        .args(["--pg-port", &pg.port.to_string(), "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let inv = whpg_plan::inventory::load(&out).unwrap();
    let tables = &inv.database("shop").unwrap().tables;
    let hidden = |name: &str| tables.iter().find(|t| t.name == name).unwrap().stats_hidden;
    assert!(hidden("secret"));
    assert!(!hidden("open") && !hidden("fresh"));
    let e = Command::new(env!("CARGO_BIN_EXE_whpg-plan"))
        .args(["estimate", "--format", "json"])
        .arg(&out)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    let notes: Vec<&str> = v["backup"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    let analyze = notes.iter().find(|n| n.contains("run ANALYZE")).unwrap();
    assert!(
        analyze.contains("shop.public.fresh") && !analyze.contains("secret"),
        "{analyze}"
    );
    let privileges = notes
        .iter()
        .find(|n| n.contains("may not read"))
        .unwrap_or_else(|| panic!("{notes:?}"));
    assert!(privileges.contains("shop.public.secret") && privileges.contains("gpadmin"));
    assert_eq!(
        v["backup"]["tables_with_hidden_stats"],
        serde_json::json!(["shop.public.secret"])
    );
}

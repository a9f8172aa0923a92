//! The 7 layout the model sized, as the files the runbook hands to the 7
//! utilities: a `gpinitsystem -I` input (with and without mirrors), a
//! `gpaddmirrors -i` input, an equivalent `gpinitsystem_config` where the
//! layout is regular enough to be one, and the host files. Written from the
//! same instances the model placed, so the plan and the cluster built from it
//! cannot drift apart.

use super::layout::NewInstance;
use super::steps::{GATES_SH, files};
use crate::inventory::{InstanceKind, Product};
use crate::shell::quote;

/// One file: its name (as the runbook uses it) and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutFile {
    /// File name inside the runbook's working directory.
    pub name: &'static str,
    /// Contents.
    pub text: String,
}

/// `SEG_PREFIX` from a data directory's last component (`/d/primary/gpseg3` → `gpseg`).
fn seg_prefix(new: &[NewInstance]) -> String {
    new.iter()
        .find(|n| n.content >= 0)
        .and_then(|n| {
            let base = n.datadir.trim_end_matches('/').rsplit('/').next()?;
            let suffix = n.content.to_string();
            base.strip_suffix(&suffix).map(str::to_string)
        })
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "gpseg".into())
}

fn parent(path: &str) -> &str {
    let p = path.trim_end_matches('/');
    match p.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &p[..i],
    }
}

/// `host~address~port~datadir~dbid~content`, gpinitsystem's array entry,
/// shell-quoted as one word: gpinitsystem sources the file, so a path
/// holding `$(…)` must stay text. (`~` and line breaks in hosts and paths
/// are refused before any file is written: `steps::check_inputs`.)
fn entry(n: &NewInstance) -> String {
    quote(&format!(
        "{h}~{h}~{}~{}~{}~{}",
        n.port,
        n.datadir,
        n.dbid,
        n.content,
        h = n.host
    ))
}

fn sorted(new: &[NewInstance], kind: InstanceKind) -> Vec<&NewInstance> {
    let mut v: Vec<&NewInstance> = new.iter().filter(|n| n.kind == kind).collect();
    v.sort_by_key(|n| n.content);
    v
}

fn header(product: Product) -> String {
    let name = match product {
        Product::Warehousepg => "WarehousePG 7",
        _ => "Greenplum 7",
    };
    format!(
        "ARRAY_NAME=\"{name}\"\nTRUSTED_SHELL=ssh\nCHECK_POINT_SEGMENTS=8\nENCODING=UNICODE\nHEAP_CHECKSUM=on\nHBA_HOSTNAMES=0\n"
    )
}

fn input_file(new: &[NewInstance], product: Product, mirrors: bool) -> String {
    let mut s = String::from(
        "# The 7 layout whpg-plan sized the upgrade for: gpinitsystem -I reads it.\n# Entries: host~address~port~data directory~dbid~content.\n",
    );
    s.push_str(&header(product));
    s.push_str(&format!("SEG_PREFIX={}\n", seg_prefix(new)));
    if let Some(c) = sorted(new, InstanceKind::Coordinator).first() {
        s.push_str(&format!("QD_PRIMARY_ARRAY={}\n", entry(c)));
    }
    s.push_str("declare -a PRIMARY_ARRAY=(\n");
    for p in sorted(new, InstanceKind::Primary) {
        s.push_str(&entry(p));
        s.push('\n');
    }
    s.push_str(")\n");
    let m = sorted(new, InstanceKind::Mirror);
    if mirrors && !m.is_empty() {
        s.push_str("declare -a MIRROR_ARRAY=(\n");
        for i in m {
            s.push_str(&entry(i));
            s.push('\n');
        }
        s.push_str(")\n");
    }
    s
}

/// The 7 segment hosts in content order, each once.
pub fn segment_hosts(new: &[NewInstance]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for p in sorted(new, InstanceKind::Primary) {
        if !hosts.contains(&p.host) {
            hosts.push(p.host.clone());
        }
    }
    hosts
}

/// A `gpinitsystem_config` with the same layout, when every host has the
/// same directories in the same order (what the config format can say).
fn config_file(new: &[NewInstance], product: Product) -> String {
    let hosts = segment_hosts(new);
    let dirs_of = |kind, host: &str| -> Vec<String> {
        sorted(new, kind)
            .into_iter()
            .filter(|n| n.host == host)
            .map(|n| parent(&n.datadir).to_string())
            .collect()
    };
    let primary_dirs = hosts
        .first()
        .map(|h| dirs_of(InstanceKind::Primary, h))
        .unwrap_or_default();
    let mirror_dirs = hosts
        .first()
        .map(|h| dirs_of(InstanceKind::Mirror, h))
        .unwrap_or_default();
    let regular = hosts.iter().all(|h| {
        dirs_of(InstanceKind::Primary, h) == primary_dirs
            && dirs_of(InstanceKind::Mirror, h) == mirror_dirs
    });
    let mut s =
        String::from("# A gpinitsystem_config for the 7 layout whpg-plan sized the upgrade for.\n");
    if !regular {
        s.push_str(&format!(
            "# The layout gives hosts different directories, which this format cannot say:\n# use gpinitsystem -I {}.\n",
            files::INPUT
        ));
    }
    s.push_str(&header(product));
    s.push_str(&format!("SEG_PREFIX={}\n", seg_prefix(new)));
    let min_port = |kind| sorted(new, kind).iter().map(|n| n.port).min();
    if let Some(p) = min_port(InstanceKind::Primary) {
        s.push_str(&format!("PORT_BASE={p}\n"));
    }
    let words = |dirs: &[String]| dirs.iter().map(|d| quote(d)).collect::<Vec<_>>().join(" ");
    s.push_str(&format!(
        "declare -a DATA_DIRECTORY=({})\n",
        words(&primary_dirs)
    ));
    if let Some(c) = sorted(new, InstanceKind::Coordinator).first() {
        s.push_str(&format!(
            "COORDINATOR_HOSTNAME={}\nCOORDINATOR_DIRECTORY={}\nCOORDINATOR_PORT={}\n",
            quote(&c.host),
            quote(parent(&c.datadir)),
            c.port
        ));
    }
    if !mirror_dirs.is_empty() {
        if let Some(p) = min_port(InstanceKind::Mirror) {
            s.push_str(&format!("MIRROR_PORT_BASE={p}\n"));
        }
        s.push_str(&format!(
            "declare -a MIRROR_DATA_DIRECTORY=({})\n",
            words(&mirror_dirs)
        ));
    }
    s.push_str(&format!("MACHINE_LIST_FILE={}\n", files::SEGMENT_HOSTS));
    s
}

/// `host directory` lines: the parent of every 7 data directory on its host,
/// each once (gpinitsystem needs them to exist and be writable).
fn directories(new: &[NewInstance]) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    for n in new {
        let d = parent(&n.datadir);
        if seen.insert((n.host.as_str(), d)) {
            out.push_str(&format!("{} {d}\n", n.host));
        }
    }
    out
}

/// Every file the runbook names, from the placed 7 instances and the 6 hosts.
pub fn layout_files(
    new: &[NewInstance],
    old_hosts: &[String],
    product: Product,
) -> Vec<LayoutFile> {
    let mut all: Vec<String> = old_hosts
        .iter()
        .cloned()
        .chain(new.iter().map(|n| n.host.clone()))
        .collect();
    all.sort();
    all.dedup();
    let lines = |v: Vec<String>| v.iter().map(|h| format!("{h}\n")).collect::<String>();
    let mirrors: String = sorted(new, InstanceKind::Mirror)
        .iter()
        .map(|m| format!("{}|{}|{}|{}\n", m.content, m.host, m.port, m.datadir))
        .collect();
    vec![
        LayoutFile {
            name: files::INPUT,
            text: input_file(new, product, true),
        },
        LayoutFile {
            name: files::INPUT_MIRRORLESS,
            text: input_file(new, product, false),
        },
        LayoutFile {
            name: files::ADDMIRRORS,
            text: format!(
                "# gpaddmirrors -i: content|address|port|data directory of each 7 mirror.\n{mirrors}"
            ),
        },
        LayoutFile {
            name: files::CONFIG,
            text: config_file(new, product),
        },
        LayoutFile {
            name: files::SEGMENT_HOSTS,
            text: lines(segment_hosts(new)),
        },
        LayoutFile {
            name: files::ALL_HOSTS,
            text: lines(all),
        },
        LayoutFile {
            name: files::DIRECTORIES,
            text: directories(new),
        },
        LayoutFile {
            name: files::INSTANCES,
            text: new
                .iter()
                .map(|n| format!("{} {} {}\n", n.host, n.port, n.datadir))
                .collect(),
        },
        LayoutFile {
            name: files::GATES,
            text: GATES_SH.to_string(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(
        kind: InstanceKind,
        content: i32,
        host: &str,
        dir: &str,
        port: u16,
        dbid: u32,
    ) -> NewInstance {
        NewInstance {
            kind,
            content,
            host: host.into(),
            datadir: format!("{dir}/gpseg{content}"),
            port,
            dbid,
            mount: "/".into(),
            data_bytes: 0,
            tablespace_bytes: Vec::new(),
        }
    }

    #[test]
    fn input_file_lists_every_instance_as_gpinitsystem_reads_it() {
        let new = vec![
            n(
                InstanceKind::Coordinator,
                -1,
                "cdw",
                "/data/coord",
                15432,
                1,
            ),
            n(InstanceKind::Primary, 0, "sdw1", "/data1/p", 16000, 2),
            n(InstanceKind::Primary, 1, "sdw2", "/data1/p", 16000, 3),
            n(InstanceKind::Mirror, 0, "sdw2", "/data1/m", 17000, 4),
            n(InstanceKind::Mirror, 1, "sdw1", "/data1/m", 17000, 5),
        ];
        let files = layout_files(&new, &["cdw".into(), "old9".into()], Product::Greenplum);
        let input = &files[0].text;
        // Each entry one single-quoted word: gpinitsystem sources the file.
        assert!(input.contains("QD_PRIMARY_ARRAY='cdw~cdw~15432~/data/coord/gpseg-1~1~-1'\n"));
        assert!(input.contains(
            "declare -a PRIMARY_ARRAY=(\n'sdw1~sdw1~16000~/data1/p/gpseg0~2~0'\n'sdw2~sdw2~16000~/data1/p/gpseg1~3~1'\n)\n"
        ));
        assert!(input.contains("'sdw1~sdw1~17000~/data1/m/gpseg1~5~1'"));
        // The parents gpinitsystem needs, each once per host, and every instance for the port check.
        let dirs = &files
            .iter()
            .find(|f| f.name == files::DIRECTORIES)
            .unwrap()
            .text;
        assert_eq!(
            dirs,
            "cdw /data/coord\nsdw1 /data1/p\nsdw2 /data1/p\nsdw2 /data1/m\nsdw1 /data1/m\n"
        );
        let inst = &files
            .iter()
            .find(|f| f.name == files::INSTANCES)
            .unwrap()
            .text;
        assert!(inst.starts_with("cdw 15432 /data/coord/gpseg-1\nsdw1 16000 /data1/p/gpseg0\n"));
        assert!(input.contains("SEG_PREFIX=gpseg\n"));
        assert!(!files[1].text.contains("MIRROR_ARRAY"));
        assert_eq!(
            files[2].text.lines().skip(1).collect::<Vec<_>>(),
            vec![
                "0|sdw2|17000|/data1/m/gpseg0",
                "1|sdw1|17000|/data1/m/gpseg1"
            ]
        );
        let config = &files[3].text;
        assert!(config.contains("declare -a DATA_DIRECTORY=(/data1/p)\n"));
        assert!(config.contains("PORT_BASE=16000\nMIRROR") || config.contains("PORT_BASE=16000\n"));
        assert!(config.contains("MIRROR_PORT_BASE=17000\n"));
        assert!(config.contains("COORDINATOR_DIRECTORY=/data/coord\n"));
        assert!(!config.contains("cannot say"));
        assert_eq!(files[4].text, "sdw1\nsdw2\n");
        assert_eq!(files[5].text, "cdw\nold9\nsdw1\nsdw2\n");
    }

    /// Regression (issue 16, item 11): a data directory holding `$(…)` was
    /// written bare into files gpinitsystem sources, and ran when sourced.
    /// Sourced by a real bash, every value stays text and nothing runs.
    #[test]
    fn sourcing_the_layout_files_runs_nothing_from_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("pwned");
        let evil = format!("/data1/$(touch {})/p x", marker.display());
        let new = vec![
            n(InstanceKind::Coordinator, -1, "cdw", &evil, 15432, 1),
            n(InstanceKind::Primary, 0, "sdw1", &evil, 16000, 2),
            n(InstanceKind::Mirror, 0, "sdw2", &evil, 17000, 3),
        ];
        let mut checked = 0;
        for f in layout_files(&new, &["cdw".into()], Product::Greenplum) {
            if f.name != files::INPUT && f.name != files::CONFIG {
                continue;
            }
            let path = dir.path().join(f.name);
            std::fs::write(&path, &f.text).unwrap();
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(r#"source "$1" && printf '%s\n' "${PRIMARY_ARRAY[0]:-${DATA_DIRECTORY[0]}}""#)
                .arg("bash")
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got = String::from_utf8_lossy(&out.stdout);
            assert!(got.contains("$(touch"), "{} read back as {got}", f.name);
            assert!(got.contains("/p x"), "{} split the path: {got}", f.name);
            assert!(
                !marker.exists(),
                "sourcing {} ran the command in the path",
                f.name
            );
            checked += 1;
        }
        assert_eq!(checked, 2);
    }
}

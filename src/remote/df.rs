//! The one reader of `df` output, for `collect` (what each filesystem holds
//! before the window) and `watch` (what it holds during it).
//!
//! Both run the same command ([`command`], or [`DF`] inside collect's probe
//! script): `df -P -B1 -T`. `-P` is the POSIX format, one line per filesystem
//! that is never wrapped however long the device name; `-B1` gives bytes, not
//! blocks to convert; `-T` adds the type. Its data line is
//! `device type total used available capacity% mount`, and [`parse`] reads it.

use crate::shell::quote;

/// The `df` invocation every probe runs, before its `--` and path.
pub const DF: &str = "df -P -B1 -T";

/// The command that reports the filesystem holding `path`, the path
/// shell-quoted (a mount point is data from an inventory, never a command).
pub fn command(path: &str) -> String {
    format!("{DF} -- {}", quote(path))
}

/// One filesystem as a `df -P -B1 -T` data line describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfLine {
    /// Source device (`/dev/sdb1`, or a tmpfs's name); may hold spaces.
    pub device: String,
    /// Filesystem type.
    pub fs_type: String,
    /// Size.
    pub total_bytes: u64,
    /// Used.
    pub used_bytes: u64,
    /// Available to unprivileged users (less than size − used where blocks
    /// are reserved for root).
    pub available_bytes: u64,
    /// Mount point; may hold spaces.
    pub mount: String,
}

/// Why a line is not a `df -P -B1 -T` data line. Each variant carries the
/// line, so the message shows what df printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DfError {
    /// Fewer than the seven columns: an empty, cut or wrapped line.
    #[error("df line has fewer than 7 fields: '{0}'")]
    TooFewFields(String),
    /// The last column does not start with `/`.
    #[error("df line has no mount point: '{0}'")]
    NoMountPoint(String),
    /// The capacity column is neither `N%` nor `-`.
    #[error("df capacity '{value}' is not a percentage: '{line}'")]
    NotAPercentage {
        /// The column as printed.
        value: String,
        /// The line.
        line: String,
    },
    /// Size, used or available is not a whole number of bytes (`1k`, `-`).
    #[error("df {column} '{value}' is not a byte count: '{line}'")]
    NotAByteCount {
        /// `size`, `used` or `available`.
        column: &'static str,
        /// The column as printed.
        value: String,
        /// The line.
        line: String,
    },
}

/// The whitespace-separated words of `line` with their byte ranges.
fn words(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

fn is_capacity(w: &str) -> bool {
    w == "-"
        || w.strip_suffix('%')
            .is_some_and(|n| n.parse::<u64>().is_ok())
}

/// Reads one `df -P -B1 -T` data line (not the header).
///
/// The device and the mount point may both hold spaces: the device is what
/// precedes the first place where a type, three byte counts, a capacity and
/// a path beginning with `/` follow; the mount point is everything after the
/// capacity. A line that fits nowhere is judged as if the device were one
/// word, so the error names the column that is wrong.
pub fn parse(line: &str) -> Result<DfLine, DfError> {
    let w = words(line);
    if w.len() < 7 {
        return Err(DfError::TooFewFields(line.to_string()));
    }
    let word = |i: usize| &line[w[i].0..w[i].1];
    let fits = |k: usize| {
        (k + 1..=k + 3).all(|i| word(i).parse::<u64>().is_ok())
            && is_capacity(word(k + 4))
            && word(k + 5).starts_with('/')
    };
    let k = (1..w.len() - 5).find(|&k| fits(k)).unwrap_or(1);
    let mount = line[w[k + 5].0..].trim_end();
    if !mount.starts_with('/') {
        return Err(DfError::NoMountPoint(line.to_string()));
    }
    if !is_capacity(word(k + 4)) {
        return Err(DfError::NotAPercentage {
            value: word(k + 4).to_string(),
            line: line.to_string(),
        });
    }
    let bytes = |i: usize, column: &'static str| {
        word(i).parse::<u64>().map_err(|_| DfError::NotAByteCount {
            column,
            value: word(i).to_string(),
            line: line.to_string(),
        })
    };
    Ok(DfLine {
        device: line[w[0].0..w[k - 1].1].to_string(),
        fs_type: word(k).to_string(),
        total_bytes: bytes(k + 1, "size")?,
        used_bytes: bytes(k + 2, "used")?,
        available_bytes: bytes(k + 3, "available")?,
        mount: mount.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded from `df -P -B1 -T /data1` on a test host (tmpfs of 300 MiB).
    const DF_TMPFS: &str = "seg1-data1     tmpfs 314572800 52428800 262144000      17% /data1";

    #[test]
    fn fields() {
        assert_eq!(
            parse(DF_TMPFS).unwrap(),
            DfLine {
                device: "seg1-data1".into(),
                fs_type: "tmpfs".into(),
                total_bytes: 314_572_800,
                used_bytes: 52_428_800,
                available_bytes: 262_144_000,
                mount: "/data1".into(),
            }
        );
        // A mount point with a space (collect and watch both read these).
        let l = parse("/dev/sdb1 xfs 100 10 90 10% /mnt/big disk").unwrap();
        assert_eq!(l.mount, "/mnt/big disk");
        // Recorded from GNU df 9.1 on a tmpfs mounted as `seg x data`: the
        // device column holds spaces too.
        let l = parse("seg x data     tmpfs  1048576     0   1048576       0% /tmp/r 19").unwrap();
        assert_eq!(
            (l.device.as_str(), l.fs_type.as_str(), l.mount.as_str()),
            ("seg x data", "tmpfs", "/tmp/r 19")
        );
        assert_eq!((l.total_bytes, l.used_bytes), (1_048_576, 0));
        // df prints `-` for the capacity of a filesystem of size 0.
        assert_eq!(parse("none proc 0 0 0 - /proc").unwrap().total_bytes, 0);
    }

    #[test]
    fn errors_say_what() {
        let msg = |l: &str| parse(l).unwrap_err().to_string();
        assert!(msg("").contains("fewer than 7"));
        assert!(msg("/dev/x xfs 1k 10 90 10% /m").contains("size '1k'"));
        assert!(msg("/dev/x xfs 100 ten 90 10% /m").contains("used 'ten'"));
        assert!(msg("/dev/x xfs 100 10 9.5 10% /m").contains("available '9.5'"));
        assert!(msg("/dev/x xfs 100 10 90 ten /m").contains("capacity 'ten'"));
        assert!(msg("/dev/x xfs 100 10 90 10% relative").contains("no mount point"));
        // The header is not a data line.
        assert!(
            msg("Filesystem Type 1-blocks Used Available Capacity Mounted on")
                .contains("mount point")
        );
        // The second half of a wrapped line (the device on a line of its
        // own) is short of a column.
        assert!(msg("   tmpfs 100 10 90 10% /m").contains("fewer than 7"));
        // Negative numbers are not byte counts.
        assert!(msg("/dev/x xfs 100 -10 90 10% /m").contains("used '-10'"));
    }

    #[test]
    fn the_command_quotes_the_path() {
        assert_eq!(command("/data1"), "df -P -B1 -T -- /data1");
        assert_eq!(
            command("/data 2/$(reboot)"),
            "df -P -B1 -T -- '/data 2/$(reboot)'"
        );
    }

    /// What the command prints here, last line, reads back: this machine's
    /// root filesystem.
    #[test]
    fn reads_what_df_prints() {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(command("/"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let l = parse(text.lines().last().unwrap()).unwrap();
        assert_eq!(l.mount, "/");
        assert!(l.total_bytes > 0 && l.used_bytes <= l.total_bytes, "{l:?}");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(s in ".{0,200}") {
                let _ = parse(&s);
            }

            #[test]
            fn reads_what_it_is_given(
                device in "[a-z0-9/]{1,6}( [a-z0-9]{1,5}){0,2}",
                total in any::<u64>(),
                used in any::<u64>(),
                avail in any::<u64>(),
                mount in "/[a-z0-9 ]{0,20}",
            ) {
                let line = format!("{device} ext4 {total} {used} {avail} 5% {mount}");
                let l = parse(&line).unwrap();
                prop_assert_eq!(l.device, device);
                prop_assert_eq!(l.fs_type, "ext4");
                prop_assert_eq!((l.total_bytes, l.used_bytes, l.available_bytes), (total, used, avail));
                prop_assert_eq!(l.mount, mount.trim_end().to_string());
            }
        }
    }
}

//! `collect --measure-io`: a bounded sequential write and read on each
//! filesystem the plan writes to. The one measurement that writes, opt-in.
//!
//! Per filesystem, one temporary file (`mktemp` in a writable directory on
//! it: an instance's data directory's parent, a tablespace location, or a
//! candidate backup directory) is written with `dd … conv=fdatasync` (so the
//! time includes flushing to the device), read back with `dd`, and removed at
//! once; a `trap` removes it also when the script is interrupted. A
//! filesystem with less than [`SPACE_FACTOR`] × the file size available, or
//! with no writable directory, is skipped with a reason. The read follows the
//! write, so it is served largely from the page cache: it is an upper bound
//! of the device's read speed, not a measurement of it. The file holds zeros:
//! on a compressing filesystem (ZFS, btrfs with compression) both speeds are
//! overstated.

use crate::inventory::IoMeasurement;
use crate::shell::quote;

/// The file size when `--measure-io-bytes` is not given: 256 MiB.
pub const DEFAULT_BYTES: u64 = 256 << 20;
/// The largest file `--measure-io-bytes` allows: 4 GiB.
pub const MAX_BYTES: u64 = 4 << 30;
/// The smallest: one `dd` block of 1 MiB.
pub const MIN_BYTES: u64 = 1 << 20;
/// A filesystem is measured only when it has this many times the file size available.
pub const SPACE_FACTOR: u64 = 4;

/// One filesystem to measure: its device id (as the probe's `stat -c %d`
/// printed it) and the directories on it where the file may be created, in
/// order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoTarget {
    /// `st_dev` of the filesystem; a directory on another device is not used.
    pub device_id: u64,
    /// Mount point (for messages).
    pub mount: String,
    /// Candidate directories.
    pub dirs: Vec<String>,
}

/// What one filesystem's measurement gave.
#[derive(Debug, Clone, PartialEq)]
pub enum IoResult {
    /// Measured.
    Measured(IoMeasurement),
    /// Not measured, and why (short of space, nothing writable, dd failed).
    Skipped(String),
}

/// The shell function that measures one filesystem; prints
/// `@io <i> ok <bytes> <write seconds> <read seconds>` or `@io <i> skip <why>`.
const IO_FUNCTION: &str = r#"LC_ALL=C; export LC_ALL
whpg_io() { i=$1; dev=$2; mib=$3; shift 3; d=''
for c in "$@"; do if [ -d "$c" ] && [ -w "$c" ] && [ "$(stat -L -c %d -- "$c" 2>/dev/null)" = "$dev" ]; then d=$c; break; fi; done
if [ -z "$d" ]; then echo "@io $i skip no writable directory on this filesystem"; return; fi
avail=$(df -P -B1 -- "$d" 2>/dev/null | awk 'NR == 2 { print $4 }')
need=$((mib * 1048576 * SPACE_FACTOR))
case $avail in ''|*[!0-9]*) echo "@io $i skip df gave no available bytes"; return;; esac
if [ "$avail" -lt "$need" ]; then echo "@io $i skip $avail bytes available, less than SPACE_FACTOR x the $((mib * 1048576))-byte file"; return; fi
f=''; trap '[ -z "$f" ] || rm -f -- "$f"' EXIT; trap '[ -z "$f" ] || rm -f -- "$f"; exit 130' HUP INT TERM PIPE
f=$(mktemp -p "$d" .whpg-plan-io.XXXXXX 2>&1) || { echo "@io $i skip mktemp: $(printf '%s' "$f" | tr '\n' ' ' | cut -c1-200)"; f=''; trap - EXIT HUP INT TERM PIPE; return; }
w=$(dd if=/dev/zero of="$f" bs=1M count="$mib" conv=fdatasync 2>&1); ws=$?
r=$(dd if="$f" of=/dev/null bs=1M 2>&1); rs=$?
rm -f -- "$f"; f=''; trap - EXIT HUP INT TERM PIPE
if [ $ws -ne 0 ] || [ $rs -ne 0 ]; then echo "@io $i skip dd failed: $(printf '%s %s' "$w" "$r" | tr '\n' ' ' | cut -c1-200)"; return; fi
wt=$(printf '%s\n' "$w" | sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' | tail -n 1)
rt=$(printf '%s\n' "$r" | sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' | tail -n 1)
echo "@io $i ok $((mib * 1048576)) $wt $rt"; }
"#;

/// The script that measures every target with a file of `bytes` (rounded up
/// to whole MiB). Every path is quoted.
pub fn io_script(targets: &[IoTarget], bytes: u64) -> String {
    let mib = bytes.div_ceil(MIN_BYTES).max(1);
    let mut s = IO_FUNCTION.replace("SPACE_FACTOR", &SPACE_FACTOR.to_string());
    for (i, t) in targets.iter().enumerate() {
        let dirs: Vec<String> = t.dirs.iter().map(|d| quote(d)).collect();
        s.push_str(&format!(
            "whpg_io {i} {} {mib} {}\n",
            t.device_id,
            dirs.join(" ")
        ));
    }
    s.push_str("echo @ioend\n");
    s
}

/// Parses the script's output for `n` targets: one result each, in order.
/// A target without an answer (the script cut short) is skipped with that
/// reason; a line that cannot be read says so.
pub fn parse_io_output(out: &str, n: usize) -> Vec<IoResult> {
    let mut results: Vec<Option<IoResult>> = vec![None; n];
    let mut ended = false;
    for line in out.lines().map(str::trim_end) {
        if line == "@ioend" {
            ended = true;
            continue;
        }
        let Some(rest) = line.strip_prefix("@io ") else {
            continue;
        };
        let mut f = rest.splitn(3, ' ');
        let (Some(i), Some(status), detail) = (f.next(), f.next(), f.next().unwrap_or("")) else {
            continue;
        };
        let Some(slot) = i.parse::<usize>().ok().and_then(|i| results.get_mut(i)) else {
            continue;
        };
        *slot = Some(match status {
            "ok" => parse_ok(detail)
                .map(IoResult::Measured)
                .unwrap_or_else(|| IoResult::Skipped(format!("unreadable dd timing '{detail}'"))),
            "skip" => IoResult::Skipped(detail.trim().to_string()),
            _ => IoResult::Skipped(format!("unreadable answer '{line}'")),
        });
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                IoResult::Skipped(if ended {
                    "no answer".into()
                } else {
                    "the measurement ended early (interrupted or timed out)".into()
                })
            })
        })
        .collect()
}

/// `<bytes> <write seconds> <read seconds>` as dd reported them.
fn parse_ok(detail: &str) -> Option<IoMeasurement> {
    let mut f = detail.split_whitespace();
    let bytes: u64 = f.next()?.parse().ok()?;
    let secs = |x: Option<&str>| -> Option<f64> {
        x?.parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
    };
    let (w, r) = (secs(f.next())?, secs(f.next())?);
    if f.next().is_some() || bytes == 0 {
        return None;
    }
    // dd prints at most microseconds; a copy it timed at 0 took less than that.
    let rate = |s: f64| bytes as f64 / s.max(1e-6);
    Some(IoMeasurement {
        bytes,
        write_bytes_per_second: rate(w),
        read_bytes_per_second: rate(r),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_paths_and_rounds_to_whole_mib() {
        let s = io_script(
            &[IoTarget {
                device_id: 41,
                mount: "/data 1".into(),
                dirs: vec!["/data 1/primary".into(), "/x/$(reboot)".into()],
            }],
            (3 << 20) + 1,
        );
        assert!(
            s.contains("whpg_io 0 41 4 '/data 1/primary' '/x/$(reboot)'\n"),
            "{s}"
        );
        assert!(s.contains("conv=fdatasync"));
        assert!(s.contains("need=$((mib * 1048576 * 4))"), "{s}");
        assert!(s.ends_with("echo @ioend\n"));
    }

    #[test]
    fn output_parses_and_every_target_gets_an_answer() {
        let out = "@io 0 ok 268435456 0.5 0.125\n@io 1 skip 1000 bytes available, less than 4 x the 1048576-byte file\nnoise\n@io 7 ok 1 1 1\n@ioend\n";
        let r = parse_io_output(out, 3);
        assert_eq!(
            r[0],
            IoResult::Measured(IoMeasurement {
                bytes: 268_435_456,
                write_bytes_per_second: 536_870_912.0,
                read_bytes_per_second: 2_147_483_648.0,
            })
        );
        assert!(matches!(&r[1], IoResult::Skipped(m) if m.contains("1000 bytes available")));
        assert!(matches!(&r[2], IoResult::Skipped(m) if m == "no answer"));
        let cut = parse_io_output("@io 0 ok 1048576 x 0.1\n", 2);
        assert!(matches!(&cut[0], IoResult::Skipped(m) if m.contains("unreadable dd timing")));
        assert!(matches!(&cut[1], IoResult::Skipped(m) if m.contains("ended early")));
    }

    /// The script on this machine: a 1 MiB file in a temporary directory is
    /// measured and gone afterwards; a directory on another device is not used.
    #[test]
    fn script_measures_and_removes_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let dev = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(dir.path()).unwrap().dev()
        };
        let d = dir.path().to_str().unwrap().to_string();
        let targets = [
            IoTarget {
                device_id: dev,
                mount: "/".into(),
                dirs: vec!["/nonexistent".into(), d.clone()],
            },
            IoTarget {
                device_id: dev + 1,
                mount: "/other".into(),
                dirs: vec![d],
            },
        ];
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(io_script(&targets, MIN_BYTES))
            .output()
            .unwrap();
        let r = parse_io_output(&String::from_utf8_lossy(&out.stdout), 2);
        match &r[0] {
            IoResult::Measured(m) => {
                assert_eq!(m.bytes, MIN_BYTES);
                assert!(m.write_bytes_per_second > 0.0 && m.read_bytes_per_second > 0.0);
            }
            IoResult::Skipped(why) => {
                // Only a nearly full temporary directory may skip it.
                assert!(why.contains("bytes available"), "{why}");
            }
        }
        assert!(matches!(&r[1], IoResult::Skipped(m) if m.contains("no writable directory")));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "file left behind"
        );
    }

    /// Interrupted while writing (SIGTERM to the shell, as when the run is
    /// cancelled), the script still removes its file and exits 130.
    #[test]
    fn an_interrupted_measurement_removes_its_file() {
        for shell in ["sh", "bash"] {
            interrupted_in(shell);
        }
    }

    fn interrupted_in(shell: &str) {
        let dir = tempfile::tempdir().unwrap();
        let dev = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(dir.path()).unwrap().dev()
        };
        let target = IoTarget {
            device_id: dev,
            mount: "/".into(),
            dirs: vec![dir.path().to_str().unwrap().into()],
        };
        // A dd that is slow to start: the signal arrives while it runs.
        let script = io_script(&[target], MIN_BYTES).replacen(
            "whpg_io() {",
            "dd() { sleep 2; command dd \"$@\"; }\nwhpg_io() {",
            1,
        );
        let mut child = std::process::Command::new(shell)
            .arg("-c")
            .arg(&script)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for mktemp's file, then interrupt.
        let started = std::time::Instant::now();
        while std::fs::read_dir(dir.path()).unwrap().count() == 0 {
            assert!(
                started.elapsed().as_secs() < 10,
                "no temporary file appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "file left behind"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn io_parser_never_panics(s in "(@io(end)? ?[0-9a-z. ]{0,30}\n){0,8}", n in 0usize..4) {
                prop_assert_eq!(parse_io_output(&s, n).len(), n);
            }
        }
    }
}

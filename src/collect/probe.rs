//! The per-host probe: one read-only shell script per host that measures
//! every path the plan needs, and the parsers of what it prints.
//!
//! Only `du`, `df`, `stat`, `hostname`, `getconf`, `find`, `head` and shell
//! built-ins run (gpbackup report files are read, at most
//! [`super::history::MAX_REPORTS`] of [`super::history::MAX_REPORT_BYTES`] each). Every path is
//! passed through [`crate::shell::quote`], so a catalog row holding
//! `$(reboot)` is a strange path to measure, never a command.

use crate::remote::df::{self, DfError};
use crate::shell::quote;

/// The shell functions the script defines; each prints one tagged line per path.
///
/// - `@du <i> ok <bytes>` | `@du <i> missing` | `@du <i> error <message>`
///   (allocated bytes, as `du -s -B1`);
/// - `@df <i> ok <device id> <df -P -B1 -T line>` | `@df <i> error <message>`
///   for the nearest existing ancestor of the path;
/// - `@gone <i> <message>`: a file under data directory `<i>` vanished while
///   du walked it (a table dropped during collect); the rest is measured;
/// - `@bk <content> <timestamp> <codec> <bytes> <files>`: earlier gpbackup data
///   files (`gpbackup_<content>_<timestamp>_<oid>[.gz|.zst]`) under a directory;
/// - `@cpus <n>`: online cores (`getconf _NPROCESSORS_ONLN`), empty when unknown;
/// - `@rp <path>`, then `@rl <line>` per line of that gpbackup report file
///   (`gpbackup_<ts>_report`, newest 50 by timestamp, 64 KiB each), then `@rpend`.
const PRELUDE: &str = r#"LC_ALL=C; export LC_ALL
nl='
'
whpg_du() { if [ -e "$2" ]; then if o=$(du -s -B1 -- "$2" 2>&1); then echo "@du $1 ok ${o%%[[:space:]]*}"; else echo "@du $1 error $(printf '%s' "$o" | tr '\n' ' ' | cut -c1-300)"; fi; else echo "@du $1 missing"; fi; }
whpg_inst() { i=$1; d=$2; set --; ix=''; k=0
for q in base global pg_xlog pg_wal pg_log log backups; do k=$((k+1)); if [ -e "$d/$q" ]; then set -- "$@" "$d/$q"; ix="$ix $((i+k))"; else echo "@du $((i+k)) missing"; fi; done
[ -e "$d" ] || { echo "@du $i missing"; return; }
o=$( { du -s -B1 -- "$@" "$d" 2>&1 1>&3 3>&- | while IFS= read -r l; do echo "E $l"; done >&3; } 3>&1 ); bad=''
while IFS= read -r l; do case $l in "E "*": No such file or directory") echo "@gone $i $(printf '%s' "${l#E }" | cut -c1-300)";; "E "*) bad="$bad${l#E } ";; esac; done <<WHPG_E
$o
WHPG_E
if [ -n "$bad" ]; then m=$(printf '%s' "$bad" | cut -c1-300); for x in $ix $i; do echo "@du $x error $m"; done; return; fi
sum=0; set -- $ix
while IFS= read -r l; do case $l in "E "*|"") continue;; esac; b=${l%%[[:space:]]*}; if [ $# -gt 0 ]; then echo "@du $1 ok $b"; sum=$((sum+b)); shift; else echo "@du $i ok $((sum+b))"; fi; done <<WHPG_DU
$o
WHPG_DU
}
whpg_df() { p=$2; while [ ! -e "$p" ] && [ "$p" != / ]; do p=${p%/*}; [ -n "$p" ] || p=/; done; if d=$(stat -L -c %d -- "$p" 2>&1) && o=$(df -P -B1 -T -- "$p" 2>&1); then echo "@df $1 ok $d ${o##*$nl}"; else echo "@df $1 error $(printf '%s' "$d $o" | tr '\n' ' ' | cut -c1-300)"; fi; }
whpg_bk() { if [ -d "$1" ]; then find "$1" -type f -name 'gpbackup_*_*_*' -printf '%s %f\n' 2>/dev/null | awk '{ n = split($2, a, "_"); if (n >= 4 && a[2] ~ /^-?[0-9]+$/ && length(a[3]) == 14 && a[3] ~ /^[0-9]+$/) { c = "none"; if ($2 ~ /[.]gz$/) c = "gzip"; else if ($2 ~ /[.]zst$/) c = "zstd"; k = a[2] " " a[3] " " c; s[k] += $1; f[k]++ } } END { for (k in s) printf "@bk %s %.0f %d\n", k, s[k], f[k] }'; fi; }
whpg_rp() { for d in "$@"; do if [ -d "$d" ]; then find "$d" -maxdepth 3 -type f -name 'gpbackup_*_report' 2>/dev/null; fi; done | awk -F/ '{ print substr($NF, 10, 14) " " $0 }' | sort -r | head -n 50 | while read -r t f; do echo "@rp $f"; head -c 65536 -- "$f" 2>/dev/null | sed 's/^/@rl /'; echo; echo "@rpend"; done; }
echo "@host $(hostname)"
echo "@cpus $(getconf _NPROCESSORS_ONLN 2>/dev/null)"
"#;

/// The sub-directories of a data directory measured separately, in the order
/// the probe reports them. GP6 names (`pg_xlog`, `pg_log`) and GP7 names
/// (`pg_wal`, `log`) are both probed.
pub const PARTS: [&str; 7] = [
    "base", "global", "pg_xlog", "pg_wal", "pg_log", "log", "backups",
];

/// What one or more `du` answers are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuItem {
    /// A data directory: one `du` run measures its [`PARTS`] and then the
    /// directory (GNU du reports a parent given after its parts as the
    /// remainder; the probe adds the parts back). Takes 1 + 7 answer indices:
    /// the total, then each part.
    Instance(String),
    /// Any other directory (a tablespace's): one index.
    Path(String),
}

impl DuItem {
    /// The paths whose answers this item produces, in index order.
    pub fn paths(&self) -> Vec<String> {
        match self {
            DuItem::Path(p) => vec![p.clone()],
            DuItem::Instance(d) => std::iter::once(d.clone())
                .chain(
                    PARTS
                        .iter()
                        .map(|p| format!("{}/{p}", d.trim_end_matches('/'))),
                )
                .collect(),
        }
    }
}

/// Builds the script that measures the `du` items (allocated bytes), the
/// filesystems holding `df_paths`, and earlier gpbackup files under `scan`.
pub fn host_script(du: &[DuItem], df_paths: &[String], scan: &[String]) -> String {
    host_script_with_reports(du, df_paths, scan, &[])
}

/// [`host_script`] that also prints the gpbackup report files found under
/// `reports` (the coordinator's backup directories).
pub fn host_script_with_reports(
    du: &[DuItem],
    df_paths: &[String],
    scan: &[String],
    reports: &[String],
) -> String {
    let mut s = String::from(PRELUDE);
    if !reports.is_empty() {
        let dirs: Vec<String> = reports.iter().map(|d| quote(d)).collect();
        s.push_str(&format!("whpg_rp {}\n", dirs.join(" ")));
    }
    for p in scan {
        s.push_str(&format!("whpg_bk {}\n", quote(p)));
    }
    let mut i = 0;
    for item in du {
        match item {
            DuItem::Instance(d) => s.push_str(&format!(
                "whpg_inst {i} {}\n",
                quote(d.trim_end_matches('/'))
            )),
            DuItem::Path(p) => s.push_str(&format!("whpg_du {i} {}\n", quote(p))),
        }
        i += item.paths().len();
    }
    for (i, p) in df_paths.iter().enumerate() {
        s.push_str(&format!("whpg_df {i} {}\n", quote(p)));
    }
    s.push_str("echo @end\n");
    s
}

/// One `du` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuResult {
    /// Allocated bytes.
    Bytes(u64),
    /// The path does not exist (or cannot be seen).
    Missing,
    /// du failed, e.g. permission denied.
    Error(String),
}

/// One filesystem as `df -P -B1 -T` ([`df::parse`]) and `stat -c %d` describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfLine {
    /// `st_dev` of the path: the same number means the same filesystem.
    pub device_id: u64,
    /// Source device.
    pub device: String,
    /// Filesystem type.
    pub fs_type: String,
    /// Size.
    pub total_bytes: u64,
    /// Used.
    pub used_bytes: u64,
    /// Available to unprivileged users.
    pub available_bytes: u64,
    /// Mount point.
    pub mount: String,
}

/// Earlier gpbackup data files of one content and timestamp on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFiles {
    /// Content id from the file names.
    pub content: i32,
    /// Backup timestamp.
    pub timestamp: String,
    /// `gzip`, `zstd` or `none`.
    pub codec: String,
    /// Bytes.
    pub bytes: u64,
    /// Files.
    pub files: u64,
}

/// Why a probe's output cannot be read: a line that is not what the probe
/// script prints, or an answer missing. The host is then not measured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// A line that the script does not print.
    #[error("{problem}: '{line}'")]
    Line {
        /// What is wrong with it.
        problem: String,
        /// The line.
        line: String,
    },
    /// A `@df` answer whose df line cannot be read (boxed: the other
    /// variants are smaller, and every host's result carries this type).
    #[error(transparent)]
    Df(Box<DfError>),
    /// No `@end` line: the script was cut short.
    #[error("the probe output ended early (no @end line)")]
    Ended,
    /// A path the script was asked about has no answer.
    #[error("no {tool} answer for path {index}")]
    NoAnswer {
        /// `du` or `df`.
        tool: &'static str,
        /// The path's index.
        index: usize,
    },
}

impl From<DfError> for ProbeError {
    fn from(e: DfError) -> Self {
        ProbeError::Df(Box::new(e))
    }
}

fn bad_line(problem: impl Into<String>, line: &str) -> ProbeError {
    ProbeError::Line {
        problem: problem.into(),
        line: line.into(),
    }
}

/// Everything one probe printed, by path index.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    /// Earlier backups found.
    pub backups: Vec<BackupFiles>,
    /// What `hostname` said.
    pub hostname: String,
    /// One per du path, in order.
    pub du: Vec<DuResult>,
    /// One per df path, in order.
    pub df: Vec<Result<DfLine, String>>,
    /// Files that vanished while du walked a data directory (du index, du's
    /// message): a table dropped during collect, measured without it.
    pub vanished: Vec<(usize, String)>,
    /// Online cores, when `getconf` answered.
    pub cpus: Option<u32>,
    /// gpbackup report files found: (path, text), newest first.
    pub reports: Vec<(String, String)>,
    /// `--measure-io`: each filesystem measured (or skipped), filled by a
    /// second script after this one (see [`super::io`]).
    pub io: Vec<(super::io::IoTarget, super::io::IoResult)>,
}

/// Parses the probe's output for `n_du` du paths and `n_df` df paths.
/// Any line it cannot read, and any path without an answer, is an error
/// that says what was expected.
pub fn parse_probe_output(out: &str, n_du: usize, n_df: usize) -> Result<ProbeResult, ProbeError> {
    let mut du: Vec<Option<DuResult>> = vec![None; n_du];
    let mut df: Vec<Option<Result<DfLine, String>>> = vec![None; n_df];
    let mut hostname = None;
    let mut ended = false;
    let mut backups = Vec::new();
    let mut vanished = Vec::new();
    let mut cpus = None;
    let mut reports: Vec<(String, String)> = Vec::new();
    let mut report: Option<(String, String)> = None;
    for line in out.lines() {
        let line = line.trim_end();
        if let Some((_, text)) = report.as_mut() {
            if let Some(l) = line.strip_prefix("@rl") {
                text.push_str(l.strip_prefix(' ').unwrap_or(l));
                text.push('\n');
                continue;
            }
            if line == "@rpend" {
                reports.extend(report.take());
                continue;
            }
            if line.is_empty() {
                continue;
            }
        }
        if let Some(path) = line.strip_prefix("@rp ") {
            report = Some((path.to_string(), String::new()));
            continue;
        }
        if let Some(n) = line.strip_prefix("@cpus") {
            cpus = n.trim().parse().ok().filter(|n| *n > 0);
            continue;
        }
        if let Some(rest) = line.strip_prefix("@bk ") {
            let f: Vec<&str> = rest.split_whitespace().collect();
            let bad = || bad_line("bad backup line", line);
            if f.len() != 5 {
                return Err(bad());
            }
            backups.push(BackupFiles {
                content: f[0].parse().map_err(|_| bad())?,
                timestamp: f[1].to_string(),
                codec: f[2].to_string(),
                bytes: f[3].parse().map_err(|_| bad())?,
                files: f[4].parse().map_err(|_| bad())?,
            });
            continue;
        }
        if let Some(rest) = line.strip_prefix("@gone ") {
            let (idx, msg) = rest.split_once(' ').unwrap_or((rest, ""));
            let i = idx.parse().map_err(|_| bad_line("bad probe index", line))?;
            vanished.push((i, msg.trim().to_string()));
            continue;
        }
        if let Some(h) = line.strip_prefix("@host ") {
            hostname = Some(h.trim().to_string());
            continue;
        }
        if line == "@end" {
            ended = true;
            continue;
        }
        let (tag, rest) = match line.split_once(' ') {
            Some((t @ ("@du" | "@df"), r)) => (t, r),
            _ => continue, // shell noise (login banners, motd) is not ours to parse
        };
        let (idx, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let i: usize = idx.parse().map_err(|_| bad_line("bad probe index", line))?;
        let (status, detail) = rest.split_once(' ').unwrap_or((rest, ""));
        match tag {
            "@du" => {
                let slot = du
                    .get_mut(i)
                    .ok_or_else(|| bad_line(format!("probe index {i} out of range"), line))?;
                *slot = Some(match status {
                    "ok" => DuResult::Bytes(
                        detail
                            .trim()
                            .parse()
                            .map_err(|_| bad_line("du size is not a number", line))?,
                    ),
                    "missing" => DuResult::Missing,
                    "error" => DuResult::Error(detail.trim().to_string()),
                    _ => return Err(bad_line("unknown du status", line)),
                });
            }
            _ => {
                let slot = df
                    .get_mut(i)
                    .ok_or_else(|| bad_line(format!("probe index {i} out of range"), line))?;
                *slot = Some(match status {
                    "ok" => {
                        let (dev, dfl) = detail
                            .split_once(' ')
                            .ok_or_else(|| bad_line("df answer too short", line))?;
                        let device_id = dev
                            .parse()
                            .map_err(|_| bad_line("device id is not a number", line))?;
                        let l = df::parse(dfl)?;
                        Ok(DfLine {
                            device_id,
                            device: l.device,
                            fs_type: l.fs_type,
                            total_bytes: l.total_bytes,
                            used_bytes: l.used_bytes,
                            available_bytes: l.available_bytes,
                            mount: l.mount,
                        })
                    }
                    "error" => Err(detail.trim().to_string()),
                    _ => return Err(bad_line("unknown df status", line)),
                });
            }
        }
    }
    if !ended {
        return Err(ProbeError::Ended);
    }
    let du = du
        .into_iter()
        .enumerate()
        .map(|(index, d)| d.ok_or(ProbeError::NoAnswer { tool: "du", index }))
        .collect::<Result<_, _>>()?;
    let df = df
        .into_iter()
        .enumerate()
        .map(|(index, d)| d.ok_or(ProbeError::NoAnswer { tool: "df", index }))
        .collect::<Result<_, _>>()?;
    backups.sort_by(|a, b| (a.content, &a.timestamp).cmp(&(b.content, &b.timestamp)));
    Ok(ProbeResult {
        hostname: hostname.unwrap_or_default(),
        du,
        df,
        backups,
        vanished,
        cpus,
        reports,
        io: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_round_trip() {
        let out = "Welcome banner\n@host seg1\n@du 0 ok 1048576\n@du 1 missing\n@du 2 error du: cannot read directory '/x': Permission denied\n@df 0 ok 41 seg1-data1 tmpfs 314572800 52428800 262144000 17% /data1\n@df 1 error stat: cannot stat\n@end\n";
        let r = parse_probe_output(out, 3, 2).unwrap();
        assert_eq!(r.hostname, "seg1");
        assert!(r.backups.is_empty());
        assert_eq!(r.du[0], DuResult::Bytes(1_048_576));
        assert_eq!(r.du[1], DuResult::Missing);
        assert!(matches!(&r.du[2], DuResult::Error(m) if m.contains("Permission denied")));
        let fs = r.df[0].as_ref().unwrap();
        assert_eq!(
            (fs.device_id, fs.mount.as_str(), fs.total_bytes),
            (41, "/data1", 314_572_800)
        );
        assert!(r.df[1].is_err());
    }

    /// Runs the probe script on this machine with `du` replaced by one that
    /// measures, then complains as GNU du does about `complaint` and exits 1.
    fn probe_with_du_complaint(shell: &str, complaint: &str) -> ProbeResult {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("gpseg0");
        for p in ["base/1", "global"] {
            std::fs::create_dir_all(d.join(p)).unwrap();
        }
        std::fs::write(d.join("base/1/16384"), vec![1u8; 8192]).unwrap();
        let item = DuItem::Instance(d.to_str().unwrap().into());
        let script = host_script(std::slice::from_ref(&item), &[], &[]);
        let fake =
            format!("du() {{ command du \"$@\"; echo \"du: {complaint}\" >&2; return 1; }}\n");
        let script = script.replacen("echo \"@host", &format!("{fake}echo \"@host"), 1);
        let out = std::process::Command::new(shell)
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        parse_probe_output(&String::from_utf8_lossy(&out.stdout), item.paths().len(), 0).unwrap()
    }

    /// A table dropped while du walks the data directory: du names the
    /// vanished file and exits 1; the instance is still measured, and the
    /// file is noted (issue 17, case 12). Any other complaint is an error.
    #[test]
    fn a_file_vanishing_under_du_is_noted_and_the_rest_measured() {
        for shell in ["sh", "bash"] {
            let r = probe_with_du_complaint(
                shell,
                "cannot access '/d/base/1/16385': No such file or directory",
            );
            assert!(
                matches!(r.du[0], DuResult::Bytes(b) if b >= 8192),
                "{shell}: {r:?}"
            );
            assert!(
                matches!(r.du[1], DuResult::Bytes(b) if b >= 8192),
                "{shell}: {r:?}"
            );
            assert_eq!(r.vanished.len(), 1, "{shell}");
            assert!(r.vanished[0].1.contains("/d/base/1/16385"), "{r:?}");
            let r = probe_with_du_complaint(
                shell,
                "cannot read directory '/d/base/1': Permission denied",
            );
            assert!(
                matches!(&r.du[0], DuResult::Error(m) if m.contains("Permission denied")),
                "{r:?}"
            );
            assert!(r.vanished.is_empty());
        }
    }

    /// The probe runs the df command `watch` runs, and its df lines are
    /// read by the same parser: a df line it cannot read names the column.
    #[test]
    fn df_answers_are_read_by_the_shared_parser() {
        let call = format!("o=$({} -- \"$p\" 2>&1)", df::DF);
        assert!(PRELUDE.contains(&call), "{call}");
        let e =
            parse_probe_output("@df 0 ok 41 seg1 tmpfs 1k 0 0 0% /d\n@end\n", 0, 1).unwrap_err();
        assert!(
            matches!(
                &e,
                ProbeError::Df(d) if matches!(**d, DfError::NotAByteCount { column: "size", .. })
            ),
            "{e}"
        );
        assert!(e.to_string().contains("size '1k'"), "{e}");
        // A device name with spaces (a tmpfs mounted as `seg x`) is read.
        let r =
            parse_probe_output("@df 0 ok 41 seg x tmpfs 10 4 6 40% /d 1\n@end\n", 0, 1).unwrap();
        let fs = r.df[0].as_ref().unwrap();
        assert_eq!(
            (fs.device.as_str(), fs.mount.as_str(), fs.used_bytes),
            ("seg x", "/d 1", 4)
        );
    }

    #[test]
    fn backup_lines_parse() {
        let r = parse_probe_output(
            "@bk 3 20261101120000 gzip 123456 40\n@bk -1 20261101120000 none 7 1\n@end\n",
            0,
            0,
        )
        .unwrap();
        assert_eq!(r.backups.len(), 2);
        assert_eq!(r.backups[1].content, 3);
        assert_eq!(
            (
                r.backups[1].bytes,
                r.backups[1].files,
                r.backups[1].codec.as_str()
            ),
            (123_456, 40, "gzip")
        );
        assert!(parse_probe_output("@bk 3 x gzip\n@end\n", 0, 0).is_err());
    }

    #[test]
    fn probe_output_missing_answers_are_errors() {
        assert_eq!(
            parse_probe_output("@du 0 ok 5\n", 1, 0),
            Err(ProbeError::Ended)
        );
        assert_eq!(
            parse_probe_output("@du 0 ok 5\n@end\n", 2, 0),
            Err(ProbeError::NoAnswer {
                tool: "du",
                index: 1
            })
        );
        assert!(
            parse_probe_output("@du 7 ok 5\n@end\n", 1, 0)
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        assert!(parse_probe_output("@du 0 ok five\n@end\n", 1, 0).is_err());
    }

    #[test]
    fn script_quotes_every_path() {
        let s = host_script(
            &[DuItem::Path("/data1/$(touch /tmp/x);y".into())],
            &["/data 2".into()],
            &["/bk $x".into()],
        );
        let two = host_script(
            &[DuItem::Instance("/d/a b".into()), DuItem::Path("/t".into())],
            &[],
            &[],
        );
        // The instance takes indices 0..=7; the next item starts at 8.
        assert!(
            two.contains("whpg_inst 0 '/d/a b'\nwhpg_du 8 /t\n"),
            "{two}"
        );
        assert!(s.contains("whpg_bk '/bk $x'\n"));
        assert!(s.contains("whpg_du 0 '/data1/$(touch /tmp/x);y'\n"));
        assert!(s.contains("whpg_df 0 '/data 2'\n"));
        // Nothing but read-only tools is invoked.
        for word in ["rm ", "mkdir", "touch -", "chmod", " > "] {
            assert!(!PRELUDE.contains(word), "{word}");
        }
    }

    #[test]
    fn cpus_and_report_files_parse() {
        let out = "@host cdw\n@cpus 16\n@rp /d/backups/20261101/20261101120000/gpbackup_20261101120000_report\n@rl Greenplum Database Backup Report\n@rl\n@rl timestamp key:   20261101120000\n\n@rpend\n@rp /cut/short\n@rl x\n@end\n";
        let r = parse_probe_output(out, 0, 0).unwrap();
        assert_eq!(r.cpus, Some(16));
        // The report cut short (no @rpend) is not kept.
        assert_eq!(r.reports.len(), 1);
        assert_eq!(
            r.reports[0].0,
            "/d/backups/20261101/20261101120000/gpbackup_20261101120000_report"
        );
        assert_eq!(
            r.reports[0].1,
            "Greenplum Database Backup Report\n\ntimestamp key:   20261101120000\n"
        );
        // getconf missing or odd: unknown, not an error.
        for odd in ["@cpus\n@end\n", "@cpus 0\n@end\n", "@cpus x\n@end\n"] {
            assert_eq!(parse_probe_output(odd, 0, 0).unwrap().cpus, None, "{odd}");
        }
    }

    /// The script's bounds are the ones documented in [`crate::collect::history`].
    #[test]
    fn report_reading_is_bounded_and_quoted() {
        use crate::collect::history;
        assert!(PRELUDE.contains(&format!("head -n {} ", history::MAX_REPORTS)));
        assert!(PRELUDE.contains(&format!("head -c {} ", history::MAX_REPORT_BYTES)));
        let s = host_script_with_reports(
            &[],
            &[],
            &[],
            &["/d/backups".into(), "/b $(x)/gpseg-1/backups".into()],
        );
        assert!(
            s.contains("whpg_rp /d/backups '/b $(x)/gpseg-1/backups'\n"),
            "{s}"
        );
        assert!(!host_script(&[], &[], &[]).contains("whpg_rp /"));
    }

    /// The script run by sh on this machine finds the newest report files
    /// in gpbackup's layout and prints them whole; cpus is this machine's.
    #[test]
    fn script_reads_report_files() {
        let dir = tempfile::tempdir().unwrap();
        let b = dir.path().join("backups");
        for ts in ["20261101120000", "20261105120000"] {
            let d = b.join(&ts[..8]).join(ts);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join(format!("gpbackup_{ts}_report")),
                format!("Greenplum Database Backup Report\n\ntimestamp key:  {ts}\n"),
            )
            .unwrap();
            std::fs::write(d.join(format!("gpbackup_{ts}_config.yaml")), "x").unwrap();
        }
        let s = host_script_with_reports(
            &[],
            &[],
            &[],
            &[b.to_str().unwrap().into(), "/nonexistent".into()],
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&s)
            .output()
            .unwrap();
        let r = parse_probe_output(&String::from_utf8_lossy(&out.stdout), 0, 0).unwrap();
        assert_eq!(r.reports.len(), 2, "{r:?}");
        assert!(r.reports[0].0.ends_with("gpbackup_20261105120000_report"));
        assert!(r.reports[1].1.ends_with("timestamp key:  20261101120000\n"));
        let getconf = std::process::Command::new("getconf")
            .arg("_NPROCESSORS_ONLN")
            .output()
            .unwrap();
        let online: u32 = String::from_utf8_lossy(&getconf.stdout)
            .trim()
            .parse()
            .unwrap();
        assert!(online > 0);
        assert_eq!(r.cpus, Some(online));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn probe_parser_never_panics(s in "(@(du|df|host|end)? ?[0-9a-z ]{0,30}\n){0,12}", n in 0usize..4, m in 0usize..4) {
                let _ = parse_probe_output(&s, n, m);
            }
        }
    }
}

//! Writing the files the user asks for without destroying anything that is
//! not ours (docs/design.md §9): only regular files are replaced (never a
//! device, a FIFO, a directory, or a symbolic link — nor what it points to),
//! never a path that is also an input or another output, and a set of files
//! (a report's files, a layout directory, the PNG charts) is written all or
//! nothing.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{InputError, OutputError};

/// `-` names standard output where an option allows it.
pub fn is_stdout(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Checks that `p` (named by option `flag`) may be written: either absent in
/// an existing directory, or an existing regular file (not a symbolic link).
pub fn check_file(flag: &str, p: &Path) -> Result<(), InputError> {
    if is_stdout(p) {
        return Ok(());
    }
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.file_type().is_file() => {}
        Ok(m) => {
            return Err(InputError::Usage(format!(
                "{flag} {}: is {}; only a regular file is written (it would be replaced)",
                p.display(),
                crate::input::file_kind(&m.file_type())
            )));
        }
        Err(_) => {}
    }
    let dir = parent(p);
    if !dir.is_dir() {
        return Err(InputError::Usage(format!(
            "{flag} {}: directory {} does not exist",
            p.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Checks that a directory for a set of files (`--png`, `--layout-dir`) is a
/// directory or can be made one: it is not created here (a run refused for
/// its input must leave nothing behind).
pub fn check_dir(flag: &str, d: &Path) -> Result<(), InputError> {
    match std::fs::metadata(d) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) => Err(InputError::Usage(format!(
            "{flag} {}: is {}, not a directory",
            d.display(),
            crate::input::file_kind(&m.file_type())
        ))),
        Err(_) => {
            // Made at commit with its missing parents: the nearest that
            // exists must be a directory.
            let up = d
                .ancestors()
                .skip(1)
                .find(|a| a.as_os_str().is_empty() || std::fs::symlink_metadata(a).is_ok())
                .map(|a| {
                    if a.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        a
                    }
                })
                .unwrap_or(Path::new("/"));
            if up.is_dir() {
                Ok(())
            } else {
                Err(InputError::Usage(format!(
                    "{flag} {}: {} is not a directory",
                    d.display(),
                    up.display()
                )))
            }
        }
    }
}

/// What makes two paths the same file: device and inode when it exists,
/// else the canonical directory and the name.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    Inode(u64, u64),
    Name(PathBuf),
}

fn identity(p: &Path) -> Identity {
    if let Ok(m) = std::fs::metadata(p) {
        return Identity::Inode(m.dev(), m.ino());
    }
    let dir = std::fs::canonicalize(parent(p)).unwrap_or_else(|_| parent(p));
    Identity::Name(dir.join(p.file_name().unwrap_or_default()))
}

/// Refuses an output that is one of the inputs (the run would overwrite what
/// it read) or the same file as another output (one would be lost).
/// `inputs` and `outputs` are (option, path) pairs; stdout (`-`) is skipped.
pub fn check_distinct(
    inputs: &[(&str, &Path)],
    outputs: &[(&str, &Path)],
) -> Result<(), InputError> {
    let ids: Vec<(&str, &Path, Identity)> = outputs
        .iter()
        .filter(|(_, p)| !is_stdout(p))
        .map(|(f, p)| (*f, *p, identity(p)))
        .collect();
    for (flag, p) in inputs {
        let id = identity(p);
        if let Some((of, op, _)) = ids.iter().find(|(_, _, o)| *o == id) {
            return Err(InputError::Usage(format!(
                "{of} {}: is the same file as the input {flag} {}; it would be overwritten",
                op.display(),
                p.display()
            )));
        }
    }
    for (i, (fa, pa, a)) in ids.iter().enumerate() {
        if let Some((fb, pb, _)) = ids[i + 1..].iter().find(|(_, _, b)| b == a) {
            return Err(InputError::Usage(format!(
                "{fa} {} and {fb} {} are the same file: one would be lost",
                pa.display(),
                pb.display()
            )));
        }
    }
    Ok(())
}

fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Files to be written together: every file goes to a temporary name first,
/// and only when all are written are they renamed into place. A failure
/// (a full disk on the fourth of six) removes the temporary files and puts
/// back any file already replaced, so the directory is as it was.
#[derive(Debug, Default)]
pub struct FileSet {
    files: Vec<(PathBuf, Vec<u8>)>,
    dirs: Vec<PathBuf>,
}

impl FileSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file to write.
    pub fn add(&mut self, path: PathBuf, bytes: Vec<u8>) {
        self.files.push((path, bytes));
    }

    /// A directory the files go in, created at commit when missing (and
    /// removed again when the commit fails).
    pub fn dir(&mut self, d: PathBuf) {
        self.dirs.push(d);
    }

    /// Writes every file, all or nothing.
    pub fn commit(self) -> Result<(), OutputError> {
        let mut made: Vec<PathBuf> = Vec::new();
        let result = self.commit_inner(&mut made);
        if result.is_err() {
            for d in made.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
        result
    }

    fn commit_inner(&self, made: &mut Vec<PathBuf>) -> Result<(), OutputError> {
        for d in &self.dirs {
            // Outermost missing directory first; each one made is recorded.
            let missing: Vec<&Path> = d
                .ancestors()
                .take_while(|a| !a.as_os_str().is_empty() && std::fs::metadata(a).is_err())
                .collect();
            for m in missing.into_iter().rev() {
                std::fs::create_dir(m).map_err(|source| OutputError::File {
                    path: m.to_path_buf(),
                    source,
                })?;
                made.push(m.to_path_buf());
            }
        }
        // 1. Every file to a temporary name beside it.
        let mut temps: Vec<PathBuf> = Vec::new();
        let fail = |temps: &[PathBuf], path: &Path, source| {
            for t in temps {
                let _ = std::fs::remove_file(t);
            }
            OutputError::File {
                path: path.to_path_buf(),
                source,
            }
        };
        for (path, bytes) in &self.files {
            if let Err(e) = refuse_non_regular(path) {
                return Err(fail(&temps, path, e));
            }
            let tmp = temp_name(path, "tmp");
            temps.push(tmp.clone());
            let written = (|| {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()
            })();
            if let Err(e) = written {
                return Err(fail(&temps, path, e));
            }
        }
        // 2. Keep what is there now (a hard link), so a failed rename can put it back.
        let mut kept: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        let undo = |kept: &[(PathBuf, Option<PathBuf>)]| {
            for (path, old) in kept.iter().rev() {
                match old {
                    Some(o) => {
                        let _ = std::fs::rename(o, path);
                    }
                    None => {
                        let _ = std::fs::remove_file(path);
                    }
                }
            }
        };
        for ((path, _), tmp) in self.files.iter().zip(&temps) {
            let step = (|| {
                refuse_non_regular(path)?;
                let old = if std::fs::symlink_metadata(path).is_ok() {
                    let o = temp_name(path, "old");
                    // A copy where hard links are not supported (vfat, some NFS).
                    if std::fs::hard_link(path, &o).is_err() {
                        std::fs::copy(path, &o)?;
                    }
                    Some(o)
                } else {
                    None
                };
                kept.push((path.clone(), old));
                std::fs::rename(tmp, path)
            })();
            if let Err(e) = step {
                undo(&kept);
                return Err(fail(&temps, path, e));
            }
        }
        for (_, old) in &kept {
            if let Some(o) = old {
                let _ = std::fs::remove_file(o);
            }
        }
        Ok(())
    }
}

fn temp_name(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    parent(path).join(format!(".{name}.{what}-{}", std::process::id()))
}

/// An error when `path` exists and is not a regular file: rename would
/// replace a device node, a FIFO or a symbolic link.
fn refuse_non_regular(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(std::io::Error::other(format!(
            "is {}; only a regular file is replaced",
            crate::input::file_kind(&m.file_type())
        ))),
        _ => Ok(()),
    }
}

/// Writes one file atomically (temporary name, then rename), refusing to
/// replace anything but a regular file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut set = FileSet::new();
    set.add(path.to_path_buf(), bytes.to_vec());
    set.commit()
}

/// Opens `path` for appending (created when missing), refusing anything but
/// a regular file: a symbolic link is not followed (O_NOFOLLOW), a FIFO does
/// not block the open (O_NONBLOCK), and the type is checked on the descriptor.
pub fn open_append(path: &Path) -> Result<std::fs::File, OutputError> {
    use std::os::unix::fs::OpenOptionsExt;
    let err = |source| OutputError::File {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(err)?;
    let m = f.metadata().map_err(err)?;
    if !m.file_type().is_file() {
        return Err(err(std::io::Error::other(format!(
            "is {}; only a regular file is appended to",
            crate::input::file_kind(&m.file_type())
        ))));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_set_leaves_the_directory_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, b"old a").unwrap();
        let sub = dir.path().join("new");
        let mut set = FileSet::new();
        set.dir(sub.clone());
        set.add(a.clone(), b"new a".to_vec());
        set.add(sub.join("b.txt"), b"b".to_vec());
        // The third cannot be written: its directory does not exist.
        set.add(dir.path().join("missing/c.txt"), b"c".to_vec());
        assert!(set.commit().is_err());
        assert_eq!(std::fs::read(&a).unwrap(), b"old a");
        assert!(!sub.exists());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn the_same_file_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let inv = dir.path().join("inv.yaml");
        std::fs::write(&inv, b"x").unwrap();
        let other = dir.path().join("./sub/../inv.yaml");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let e = check_distinct(&[("INVENTORY", &inv)], &[("--json", &other)]).unwrap_err();
        assert!(e.to_string().contains("same file as the input"), "{e}");
        let x = dir.path().join("x.md");
        let y = dir.path().join("sub/../x.md");
        let e = check_distinct(&[], &[("--json", &x), ("--markdown", &y)]).unwrap_err();
        assert!(e.to_string().contains("one would be lost"), "{e}");
        assert!(check_distinct(&[("INVENTORY", &inv)], &[("--json", &x)]).is_ok());
    }
}

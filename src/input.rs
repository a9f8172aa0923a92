//! Reading the files the user names (inventory, gpinitsystem_config, host
//! file, watch plan and log): only regular files, of a bounded size, opened
//! without blocking. A FIFO would otherwise hang the run at `open`, and
//! `/dev/zero` would grow memory until the machine gives out.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::InputError;

/// Largest inventory, estimate JSON (watch plan) or other structured input
/// read: 64 MiB. A 1,000-host inventory with every database is a few MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// Largest gpinitsystem_config or host file read: 4 MiB.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Largest watch log replayed: 1 GiB (a night of 10-second samples of a
/// thousand filesystems is about 600 MB).
pub const MAX_LOG_BYTES: u64 = 1 << 30;

/// Opens `path` for reading if it is a regular file no larger than `limit`
/// bytes. The open does not wait on a FIFO (O_NONBLOCK), and the type is
/// checked on the open descriptor (fstat), so a path swapped after a check
/// cannot slip a device in.
pub fn open_regular(path: &Path, limit: u64) -> Result<std::fs::File, InputError> {
    let read_err = |source| InputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.file_type().is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
            kind: file_kind(&meta.file_type()),
        });
    }
    if meta.len() > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    Ok(file)
}

/// The whole text of a regular file of at most `limit` bytes, without a
/// leading UTF-8 byte order mark (editors on Windows add one; JSON and YAML
/// parsers would call it "expected value").
pub fn read_text(path: &Path, limit: u64) -> Result<String, InputError> {
    let file = open_regular(path, limit)?;
    let mut bytes = Vec::new();
    // A file that grows while read (or a /proc file that reports size 0)
    // still stops at the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8(body.to_vec()).map_err(|e| {
        let before = &body[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        InputError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "not UTF-8 text".into(),
        }
    })
}

/// A word for a file type that is not a regular file.
pub fn file_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_is_dropped_and_bad_utf8_is_placed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, b"\xEF\xBB\xBF{}\n").unwrap();
        assert_eq!(read_text(&p, 100).unwrap(), "{}\n");
        std::fs::write(&p, b"ab\ncd\xFF").unwrap();
        let e = read_text(&p, 100).unwrap_err().to_string();
        assert!(e.ends_with("a.json:2:3: not UTF-8 text"), "{e}");
    }

    #[test]
    fn size_and_type_are_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.yaml");
        std::fs::write(&p, vec![b'a'; 101]).unwrap();
        let e = read_text(&p, 100).unwrap_err().to_string();
        assert!(
            e.contains("101 bytes") && e.contains("limit is 100 bytes"),
            "{e}"
        );
        let e = read_text(dir.path(), 100).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        // /dev/zero is endless: refused by type, nothing is read.
        let e = read_text(Path::new("/dev/zero"), 100)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a character device"), "{e}");
    }
}

//! Reading a file somebody else wrote: only a regular file (after following symbolic links), and
//! only up to a size limit. A lockfile or an advisory directory from an untrusted pull request
//! can be a symbolic link to `/dev/zero` (reads until memory runs out), to a FIFO (blocks
//! forever) or to a directory; each is refused with an error that names the path and never
//! anything read from it.
//!
//! The errors are [`io::Error`]s so that every caller's existing "cannot read `path`" error path
//! carries them unchanged.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// One mebibyte, the unit limits are given and reported in.
pub const MIB: u64 = 1024 * 1024;

/// What a non-regular file is, for the error message.
fn describe(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

fn not_regular(path: &Path, metadata: &Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "`{}` is not a regular file ({})",
            path.display(),
            describe(metadata)
        ),
    )
}

fn too_large(path: &Path, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "`{}` is larger than {}",
            path.display(),
            describe_limit(limit)
        ),
    )
}

/// `256 MiB`, or bytes below one MiB (only tests use such limits).
pub fn describe_limit(limit: u64) -> String {
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else {
        format!("{limit} bytes")
    }
}

/// The metadata of what `path` names after following symbolic links, or an error when that is
/// not a regular file. Checked before opening, so a FIFO is never opened.
pub fn regular_file_metadata(path: &Path) -> io::Result<Metadata> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_file() {
        Ok(metadata)
    } else {
        Err(not_regular(path, &metadata))
    }
}

/// Opens `path` for reading when it is a regular file. The open does not block even if the path
/// was swapped for a FIFO after the check, and the opened file is checked again.
pub fn open_regular(path: &Path) -> io::Result<File> {
    regular_file_metadata(path)?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // No effect on a regular file; makes opening a FIFO return at once.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular(path, &metadata));
    }
    Ok(file)
}

/// Reads at most `limit` bytes of `reader`; more is an error naming `path`.
pub fn read_limited(reader: impl Read, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(bytes)
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    // The size on disk is a cheap early refusal; the bounded read is what counts (files in
    // `/proc` say 0 and can be longer, a file can grow while it is read).
    if file.metadata()?.len() > limit {
        return Err(too_large(path, limit));
    }
    read_limited(file, path, limit)
}

/// Reads a whole regular file of at most `limit` bytes as UTF-8.
pub fn read_to_string(path: &Path, limit: u64) -> io::Result<String> {
    let bytes = read(path, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("`{}` is not valid UTF-8", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_regular_files() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("a.txt");
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(read(&path, 5).unwrap(), b"hello");
        assert_eq!(read_to_string(&path, 16).unwrap(), "hello");
        let error = read(&path, 4).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            error.to_string(),
            format!("`{}` is larger than 4 bytes", path.display())
        );
    }

    #[test]
    fn refuses_directories() {
        let directory = tempfile::tempdir().unwrap();
        let error = read(directory.path(), MIB).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("is not a regular file (a directory)"),
            "{error}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refuses_devices_and_links_to_them() {
        let error = read(Path::new("/dev/zero"), MIB).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`/dev/zero` is not a regular file (a character device)"
        );
        let directory = tempfile::tempdir().unwrap();
        let link = directory.path().join("records.json");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let error = read(&link, MIB).unwrap_err();
        assert!(error.to_string().contains("a character device"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_fifos_without_blocking() {
        let directory = tempfile::tempdir().unwrap();
        let fifo = directory.path().join("pipe.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let error = read(&fifo, MIB).unwrap_err();
        assert!(error.to_string().ends_with("(a FIFO)"), "{error}");
    }

    #[test]
    fn proc_files_are_bounded_by_what_is_read() {
        // `/proc` files report a size of 0; the limit still holds on what is read.
        let path = Path::new("/proc/self/status");
        if path.exists() {
            let error = read(path, 8).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
        }
    }
}

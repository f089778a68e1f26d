//! Reader stub; replaced by the real reader.

use std::path::Path;

use super::{Lockfile, LockfileError};

pub fn parse(path: &Path, _text: &str) -> Result<Lockfile, LockfileError> {
    Err(LockfileError::UnknownFormat {
        path: path.to_path_buf(),
        reason: "reader not implemented yet".to_string(),
    })
}

/// Files a requirements file includes with `-r`/`-c`, resolved relative to it (best effort,
/// used by directory discovery).
pub fn included_files(_path: &Path) -> Vec<std::path::PathBuf> {
    Vec::new()
}

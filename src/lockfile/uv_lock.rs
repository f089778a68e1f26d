//! Reader stub; replaced by the real reader.

use std::path::Path;

use super::{Lockfile, LockfileError};

pub fn parse(path: &Path, _text: &str) -> Result<Lockfile, LockfileError> {
    Err(LockfileError::UnknownFormat {
        path: path.to_path_buf(),
        reason: "reader not implemented yet".to_string(),
    })
}

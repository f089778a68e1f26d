//! What pyaudit reads from files a pull request may have written, and how much of it.
//!
//! Every file is read through [`read`] / [`read_to_string`]: only regular files (after following
//! symbolic links; a FIFO is never opened blocking), and at most a limit per kind of file, so a
//! symbolic link to `/dev/zero` or a multi-gigabyte file is an error naming the path, not an
//! outage. The limits are generous for real inputs and documented in the README.

use std::io;
use std::path::Path;

pub use pyaudit_advisories::bounded::{MIB, describe_limit, regular_file_metadata};

/// Lockfiles, requirements files and their includes, `pyproject.toml` beside a lock. A uv.lock
/// entry with a few wheels is 1–2 kB and a pinned requirement with hashes about 200 bytes, so a
/// million-package requirements file is ~200 MB; the largest real uv.lock files are a few MB.
pub const LOCKFILE_BYTES: u64 = 256 * MIB;

/// Config files (`pyaudit.toml`, or a `pyproject.toml` holding `[tool.pyaudit]`): hand-written,
/// kilobytes.
pub const CONFIG_BYTES: u64 = 16 * MIB;

/// Popular-name lists: top-pypi-packages JSON for 15,000 names is about 1 MB; a list of every
/// PyPI name (~600,000) about 15 MB.
pub const POPULAR_NAMES_BYTES: u64 = 64 * MIB;

/// Python sources and notebooks scanned for imports. The largest hand-written modules are a few
/// hundred kB; generated ones (protobuf, vendored tables) reach a few MB; notebooks with
/// embedded outputs tens of MB.
pub const PYTHON_SOURCE_BYTES: u64 = 64 * MIB;

/// Lists of repositories for `pyaudit org --list`: a line per repository.
pub const LIST_BYTES: u64 = 64 * MIB;

/// Small metadata files of installed distributions (`RECORD`, `top_level.txt`).
pub const METADATA_BYTES: u64 = 64 * MIB;

/// The longest package name a reader accepts. PyPI has no documented limit but its longest
/// names are under 100 characters; PEP 508 names are identifiers. A longer "name" is an attack
/// on the rules that compare names (the typosquat rule's work grows with the name's length).
pub const MAXIMUM_NAME_LENGTH: usize = 256;

/// Reads a whole regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    pyaudit_advisories::bounded::read(path, limit)
}

/// Reads a whole regular file of at most `limit` bytes as UTF-8.
pub fn read_to_string(path: &Path, limit: u64) -> io::Result<String> {
    pyaudit_advisories::bounded::read_to_string(path, limit)
}

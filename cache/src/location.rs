//! Where the cache lives: `--cache-dir`, else `PYAUDIT_CACHE_DIR`, else the platform's cache
//! directory (XDG base directory specification on Linux, Known Folders on Windows, the Standard
//! Directories on macOS).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::CacheError;

/// The environment variable that overrides the platform cache directory.
pub const CACHE_DIR_ENV: &str = "PYAUDIT_CACHE_DIR";

/// The platform's cache directory for pyaudit: `$XDG_CACHE_HOME/pyaudit` or `~/.cache/pyaudit`
/// on Linux, `~/Library/Caches/pyaudit` on macOS, `%LOCALAPPDATA%\pyaudit\cache` on Windows.
/// `None` when the platform gives no home or cache directory (e.g. `$HOME` unset).
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|base| under_platform_cache(&base))
}

fn under_platform_cache(base: &Path) -> PathBuf {
    // NOTE: %LOCALAPPDATA% is shared by a program's caches and its other local data, so Windows
    // programs keep their cache in a subdirectory of their own folder; elsewhere the base is
    // already a cache-only directory.
    if cfg!(windows) {
        base.join("pyaudit").join("cache")
    } else {
        base.join("pyaudit")
    }
}

/// The cache directory to use: the command-line value, else the environment value (as read from
/// [`CACHE_DIR_ENV`] by the caller, so this stays pure), else [`default_cache_dir`]. An empty
/// value counts as unset, as with most tools, so `PYAUDIT_CACHE_DIR= pyaudit …` means the default.
pub fn resolve_cache_dir(cli: Option<&Path>, env: Option<OsString>) -> Result<PathBuf, CacheError> {
    resolve_with(cli, env, default_cache_dir)
}

fn resolve_with(
    cli: Option<&Path>,
    env: Option<OsString>,
    default: impl FnOnce() -> Option<PathBuf>,
) -> Result<PathBuf, CacheError> {
    if let Some(path) = cli.filter(|path| !path.as_os_str().is_empty()) {
        return Ok(path.to_path_buf());
    }
    if let Some(value) = env.filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(value));
    }
    default().ok_or(CacheError::NoCacheDirectory)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Option<PathBuf> {
        Some(PathBuf::from("/platform/pyaudit"))
    }

    #[test]
    fn command_line_wins_over_environment_and_platform() {
        let resolved = resolve_with(
            Some(Path::new("/flag")),
            Some(OsString::from("/env")),
            platform,
        );
        assert_eq!(resolved.ok(), Some(PathBuf::from("/flag")));
    }

    #[test]
    fn environment_wins_over_platform() {
        let resolved = resolve_with(None, Some(OsString::from("/env")), platform);
        assert_eq!(resolved.ok(), Some(PathBuf::from("/env")));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let resolved = resolve_with(Some(Path::new("")), Some(OsString::new()), platform);
        assert_eq!(resolved.ok(), Some(PathBuf::from("/platform/pyaudit")));
    }

    #[test]
    fn no_directory_at_all_is_an_error() {
        let resolved = resolve_with(None, None, || None);
        assert!(matches!(resolved, Err(CacheError::NoCacheDirectory)));
    }

    #[test]
    fn platform_directory_ends_in_pyaudit() {
        let path = under_platform_cache(Path::new("/base"));
        assert!(path.starts_with("/base/pyaudit"));
    }
}

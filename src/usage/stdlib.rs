//! Standard-library module names per Python minor version, 3.8–3.14, so imports of the
//! standard library are never taken for third-party ones.
//!
//! Provenance: [`BASE_3_11`] is `sys.stdlib_module_names` of CPython 3.11.7 (generated
//! once with `python3 -c "import sys; print(sorted(sys.stdlib_module_names))"`, committed as data);
//! the other versions are derived from it with the additions and removals listed in CPython's
//! "What's New" documents (3.9: PEP 594 predecessors, `graphlib`, `zoneinfo`; 3.10: `parser`,
//! `symbol`, `formatter` gone; 3.11: `tomllib`, `binhex` gone; 3.12: PEP 632 `distutils`, `imp`,
//! `asynchat`, `asyncore`, `smtpd` gone; 3.13: the PEP 594 "dead batteries" gone; 3.14:
//! `annotationlib`, `compression`). [`ADDED`] and [`REMOVED`] hold them.
//!
//! A project supporting several versions (`requires-python = ">=3.9"`) counts a module as
//! standard library when any supported version ships it: `tomllib` behind a version check, or
//! `distutils` on 3.9, are not missing dependencies.

use pep440_rs::Version;

use crate::lockfile::pyproject::PythonRequirement;

/// The oldest and newest minor versions pyaudit knows.
pub const OLDEST_MINOR: u64 = 8;
pub const NEWEST_MINOR: u64 = 14;

/// `sys.stdlib_module_names` of CPython 3.11, sorted.
pub const BASE_3_11: &[&str] = &[
    "__future__",
    "_abc",
    "_aix_support",
    "_ast",
    "_asyncio",
    "_bisect",
    "_blake2",
    "_bootsubprocess",
    "_bz2",
    "_codecs",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_collections",
    "_collections_abc",
    "_compat_pickle",
    "_compression",
    "_contextvars",
    "_crypt",
    "_csv",
    "_ctypes",
    "_curses",
    "_curses_panel",
    "_datetime",
    "_dbm",
    "_decimal",
    "_elementtree",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_functools",
    "_gdbm",
    "_hashlib",
    "_heapq",
    "_imp",
    "_io",
    "_json",
    "_locale",
    "_lsprof",
    "_lzma",
    "_markupbase",
    "_md5",
    "_msi",
    "_multibytecodec",
    "_multiprocessing",
    "_opcode",
    "_operator",
    "_osx_support",
    "_overlapped",
    "_pickle",
    "_posixshmem",
    "_posixsubprocess",
    "_py_abc",
    "_pydecimal",
    "_pyio",
    "_queue",
    "_random",
    "_scproxy",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_signal",
    "_sitebuiltins",
    "_socket",
    "_sqlite3",
    "_sre",
    "_ssl",
    "_stat",
    "_statistics",
    "_string",
    "_strptime",
    "_struct",
    "_symtable",
    "_thread",
    "_threading_local",
    "_tkinter",
    "_tokenize",
    "_tracemalloc",
    "_typing",
    "_uuid",
    "_warnings",
    "_weakref",
    "_weakrefset",
    "_winapi",
    "_zoneinfo",
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Modules that first appeared in a minor version (absent before it).
pub const ADDED: &[(u64, &[&str])] = &[
    (9, &["graphlib", "zoneinfo", "_zoneinfo"]),
    (10, &[]),
    (11, &["tomllib", "_tokenize", "_typing"]),
    (12, &["_wmi"]),
    (
        13,
        &[
            "_interpchannels",
            "_interpqueues",
            "_interpreters",
            "_suggestions",
            "_sysconfig",
            "_pyrepl",
            "_colorize",
            "_opcode_metadata",
            "_android_support",
            "_apple_support",
            "_ios_support",
        ],
    ),
    (
        14,
        &[
            "annotationlib",
            "compression",
            "_zstd",
            "_remote_debugging",
            "_types",
            "_hmac",
        ],
    ),
];

/// Modules removed in a minor version (present before it).
pub const REMOVED: &[(u64, &[&str])] = &[
    (9, &["_dummy_thread", "dummy_threading"]),
    (10, &["formatter", "parser", "symbol"]),
    (11, &["binhex"]),
    (12, &["asynchat", "asyncore", "distutils", "imp", "smtpd"]),
    (
        13,
        &[
            "aifc",
            "audioop",
            "cgi",
            "cgitb",
            "chunk",
            "crypt",
            "_crypt",
            "imghdr",
            "mailcap",
            "msilib",
            "_msi",
            "nis",
            "nntplib",
            "ossaudiodev",
            "pipes",
            "sndhdr",
            "spwd",
            "sunau",
            "telnetlib",
            "uu",
            "xdrlib",
            "lib2to3",
        ],
    ),
    (14, &[]),
];

/// Whether `module` (a top-level name) is in the standard library of Python 3.`minor`.
pub fn is_stdlib_in(module: &str, minor: u64) -> bool {
    let listed = |table: &[(u64, &[&str])], versions: std::ops::RangeInclusive<u64>| {
        table
            .iter()
            .any(|(version, names)| versions.contains(version) && names.contains(&module))
    };
    if BASE_3_11.binary_search(&module).is_ok() {
        if minor <= 11 {
            !listed(ADDED, minor + 1..=11)
        } else {
            !listed(REMOVED, 12..=minor)
        }
    } else if minor < 11 {
        listed(REMOVED, minor + 1..=11)
    } else {
        listed(ADDED, 12..=minor) && !listed(REMOVED, 12..=minor)
    }
}

/// The Python minor versions (3.x) a project supports, clamped to 3.8–3.14; every known one
/// when the project does not say.
pub fn supported_minors(requirement: Option<&PythonRequirement>) -> Vec<u64> {
    let all: Vec<u64> = (OLDEST_MINOR..=NEWEST_MINOR).collect();
    let Some(requirement) = requirement else {
        return all;
    };
    let versions = requirement.sample_versions();
    let supported: Vec<u64> = all
        .iter()
        .copied()
        .filter(|&minor| {
            versions.iter().any(|version: &Version| {
                version.release().first() == Some(&3) && version.release().get(1) == Some(&minor)
            })
        })
        .collect();
    if supported.is_empty() {
        // `>=3.15` or a typo: the newest known version is the best guess.
        vec![NEWEST_MINOR]
    } else {
        supported
    }
}

/// The standard library of a set of supported versions.
#[derive(Debug, Clone)]
pub struct Stdlib {
    minors: Vec<u64>,
}

impl Stdlib {
    pub fn new(minors: Vec<u64>) -> Self {
        Self { minors }
    }

    /// The versions, e.g. for a report: "3.9–3.14".
    pub fn describe(&self) -> String {
        match (self.minors.first(), self.minors.last()) {
            (Some(first), Some(last)) if first == last => format!("3.{first}"),
            (Some(first), Some(last)) => format!("3.{first}–3.{last}"),
            _ => "none".to_owned(),
        }
    }

    /// Whether any supported version ships `module` (a top-level name).
    pub fn contains(&self, module: &str) -> bool {
        self.minors.iter().any(|&minor| is_stdlib_in(module, minor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_is_sorted_for_binary_search() {
        assert!(BASE_3_11.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn versions_differ_where_cpython_did() {
        assert!(is_stdlib_in("os", 8) && is_stdlib_in("os", 14));
        assert!(!is_stdlib_in("tomllib", 10) && is_stdlib_in("tomllib", 11));
        assert!(is_stdlib_in("distutils", 11) && !is_stdlib_in("distutils", 12));
        assert!(is_stdlib_in("cgi", 12) && !is_stdlib_in("cgi", 13));
        assert!(!is_stdlib_in("zoneinfo", 8) && is_stdlib_in("zoneinfo", 9));
        assert!(is_stdlib_in("parser", 9) && !is_stdlib_in("parser", 10));
        assert!(is_stdlib_in("binhex", 10) && !is_stdlib_in("binhex", 11));
        assert!(is_stdlib_in("annotationlib", 14) && !is_stdlib_in("annotationlib", 13));
        assert!(is_stdlib_in("__future__", 8));
        assert!(!is_stdlib_in("yaml", 11) && !is_stdlib_in("requests", 14));
    }

    #[test]
    fn supported_versions_come_from_requires_python() {
        use crate::lockfile::pyproject::ConstraintSyntax;
        let requirement = |text: &str, syntax| PythonRequirement {
            constraint: text.to_owned(),
            syntax,
        };
        assert_eq!(
            supported_minors(Some(&requirement(">=3.11", ConstraintSyntax::Pep440))),
            vec![11, 12, 13, 14]
        );
        assert_eq!(
            supported_minors(Some(&requirement("^3.9", ConstraintSyntax::Poetry))),
            (9..=14).collect::<Vec<_>>()
        );
        assert_eq!(
            supported_minors(Some(&requirement(">=3.8,<3.10", ConstraintSyntax::Pep440))),
            vec![8, 9]
        );
        assert_eq!(supported_minors(None).len(), 7);
        let stdlib = Stdlib::new(vec![11, 12]);
        assert!(stdlib.contains("distutils") && stdlib.contains("tomllib"));
        assert_eq!(stdlib.describe(), "3.11–3.12");
    }
}

//! The release a distribution file belongs to, read from its filename.
//!
//! The Simple API (PEP 503 / 691) lists a project's files, not its releases: nothing in a file
//! entry says which release it was uploaded to. Installers (pip, uv) read the version from the
//! filename, so a file counts for the release its name says, and that is what pyaudit reads too
//! when the Simple API stands in for the JSON API's per-release file lists.
//!
//! Filenames come from the index, so from anyone who can upload: nothing here panics or takes
//! more than a few passes over the name.

use pyaudit_advisories::normalize_package_name;

/// Sdist (and old `bdist_dumb`) archive extensions: the version is everything between the name
/// and the extension.
const ARCHIVE_EXTENSIONS: [&str; 8] = [
    ".tar.gz", ".tar.bz2", ".tar.xz", ".tar", ".tgz", ".tbz", ".txz", ".zip",
];

/// Where the version of a Windows installer ends (`PyYAML-3.10.win32-py2.6.exe`,
/// `foo-1.0.win-amd64.msi`, `foo-1.0.linux-x86_64.exe`): distutils appended the platform with a
/// dot and the Python version with a dash.
const INSTALLER_VERSION_ENDS: [&str; 3] = [".win", ".linux", "-py"];

/// The version part of `filename` as a distribution of `project` (compared PEP 503 normalised:
/// `Foo_Bar-1.0.tar.gz` and `foo.bar-1.0.tar.gz` are both files of `foo-bar`). `None` when the
/// name is another project's, the version is empty, the file is not a shape that carries one
/// (`.rpm`, …), or a wheel's name does not have a wheel's parts.
pub fn version_of<'a>(project: &str, filename: &'a str) -> Option<&'a str> {
    let rest = after_project_name(project, filename)?;
    let version = if let Some(stem) = strip_suffix_ignore_case(rest, ".whl") {
        wheel_version(stem)?
    } else if let Some(stem) = strip_suffix_ignore_case(rest, ".egg") {
        // `{version}(-pyX.Y(-{platform})?)?`: an egg's version has `-` spelled `_`.
        stem.split('-').next()?
    } else if let Some(stem) =
        strip_suffix_ignore_case(rest, ".exe").or_else(|| strip_suffix_ignore_case(rest, ".msi"))
    {
        let end = INSTALLER_VERSION_ENDS
            .iter()
            .filter_map(|marker| stem.find(marker))
            .min()
            .unwrap_or(stem.len());
        &stem[..end]
    } else {
        ARCHIVE_EXTENSIONS
            .iter()
            .find_map(|extension| strip_suffix_ignore_case(rest, extension))?
    };
    (!version.is_empty()).then_some(version)
}

/// `{version}(-{build})?-{python}-{abi}-{platform}` (PEP 427): the build tag starts with a digit.
fn wheel_version(stem: &str) -> Option<&str> {
    let mut parts = stem.split('-');
    let version = parts.next()?;
    let tags: Vec<&str> = parts.take(5).collect();
    let well_formed = match tags.as_slice() {
        [_, _, _] => true,
        [build, _, _, _] => build.starts_with(|c: char| c.is_ascii_digit()),
        _ => false,
    };
    (well_formed && tags.iter().all(|tag| !tag.is_empty())).then_some(version)
}

/// What follows `{name}-` in `filename` when the `{name}` prefix is `project`'s name, PEP 503
/// normalised (runs of `-`, `_`, `.` are one `-`; case does not count). Only a `-` right after
/// the whole name ends it: the name of an old sdist may hold dashes itself (`python-dateutil`).
fn after_project_name<'a>(project: &str, filename: &'a str) -> Option<&'a str> {
    let wanted = normalize_package_name(project);
    let wanted = wanted.as_bytes();
    if wanted.is_empty() {
        return None;
    }
    // The filename's prefix, normalised as it is read, must spell `wanted` exactly.
    let mut matched = 0;
    let mut in_separator_run = false;
    for (index, byte) in filename.bytes().enumerate() {
        if matched == wanted.len() {
            return (byte == b'-').then(|| &filename[index + 1..]);
        }
        if is_separator(byte) {
            if in_separator_run {
                continue;
            }
            in_separator_run = true;
            if wanted[matched] != b'-' {
                return None;
            }
        } else {
            in_separator_run = false;
            if wanted[matched] != byte.to_ascii_lowercase() {
                return None;
            }
        }
        matched += 1;
    }
    None
}

fn is_separator(byte: u8) -> bool {
    matches!(byte, b'-' | b'_' | b'.')
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    let (head, tail) = (text.get(..split)?, text.get(split..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_world_filenames() {
        let cases = [
            (
                "python-dateutil",
                "python-dateutil-2.8.2.tar.gz",
                Some("2.8.2"),
            ),
            (
                "python-dateutil",
                "python_dateutil-2.8.2-py2.py3-none-any.whl",
                Some("2.8.2"),
            ),
            (
                "zope-interface",
                "zope.interface-5.4.0-cp39-cp39-manylinux1_x86_64.whl",
                Some("5.4.0"),
            ),
            (
                "zope-interface",
                "zope.interface-5.4.0.tar.gz",
                Some("5.4.0"),
            ),
            (
                "backports-zoneinfo",
                "backports.zoneinfo-0.2.1.tar.gz",
                Some("0.2.1"),
            ),
            ("attrs", "attrs-15.0.0a1-py2-none-any.whl", Some("15.0.0a1")),
            ("pywin32", "pywin32-1.0.win32-py2.7.exe", Some("1.0")),
            ("pyyaml", "PyYAML-3.11.win-amd64-py3.2.exe", Some("3.11")),
            ("pyyaml", "PyYAML-4.2b4.win-amd64-py3.4.exe", Some("4.2b4")),
            ("pyyaml", "PyYAML-3.11.zip", Some("3.11")),
            ("foo", "foo-1.0.win32.msi", Some("1.0")),
            ("foo", "foo-1.0.linux-x86_64.exe", Some("1.0")),
            ("foo", "foo-1.0.exe", Some("1.0")),
            ("django", "Django-1.0.tar.gz", Some("1.0")),
            ("foo", "foo-1.0-1-py3-none-any.whl", Some("1.0")),
            (
                "jinja2",
                "Jinja2-2.0rc1-py2.4-linux-i686.egg",
                Some("2.0rc1"),
            ),
            (
                "jinja2",
                "Jinja2-2.0rc1-py2.5-macosx-10.3-i386.egg",
                Some("2.0rc1"),
            ),
            ("nose", "nose-1.0.0-py3.1.egg", Some("1.0.0")),
            ("foo", "foo-1.0.egg", Some("1.0")),
            ("requests", "requests-0.12.01.tar.gz", Some("0.12.01")),
            ("foo", "foo-1.0.tar.bz2", Some("1.0")),
            ("foo", "foo-1.0.tgz", Some("1.0")),
            ("foo", "FOO-1.0.TAR.GZ", Some("1.0")),
            // Another project's files, or none at all.
            ("requests", "requests_oauthlib-1.0.tar.gz", None),
            ("request", "requests-1.0.tar.gz", None),
            ("django", "django-.tar.gz", None),
            ("django", "django.tar.gz", None),
            ("foo", "foo-1.0-1.noarch.rpm", None),
            ("foo", "foo-1.0.dmg", None),
            ("foo", "foo-1.0-py3-none.whl", None),
            ("foo", "foo-1.0-x-py3-none-any.whl", None),
            ("foo", "foo-1.0--none-any.whl", None),
            ("foo", "", None),
            ("", "foo-1.0.tar.gz", None),
        ];
        for (project, filename, expected) in cases {
            assert_eq!(
                version_of(project, filename),
                expected,
                "{filename} of {project}"
            );
        }
    }

    #[test]
    fn the_project_name_is_compared_normalised() {
        for filename in [
            "Foo_Bar-1.0.tar.gz",
            "foo.bar-1.0.tar.gz",
            "foo-bar-1.0.tar.gz",
            "foo__bar-1.0.tar.gz",
        ] {
            assert_eq!(version_of("foo-bar", filename), Some("1.0"), "{filename}");
            assert_eq!(version_of("Foo.Bar", filename), Some("1.0"), "{filename}");
        }
        // A name ending in a separator is another name.
        assert_eq!(version_of("foo", "foo_-1.0.tar.gz"), None);
        // A project whose name is a prefix of the file's reads the rest as the version, as
        // pip does; it does not parse as one, so it is no release of the project.
        assert_eq!(version_of("foo", "foo-bar-1.0.tar.gz"), Some("bar-1.0"));
    }

    /// Megabyte names an index could send are read in about one pass each.
    #[test]
    fn long_hostile_filenames_are_read_quickly() {
        let long = 1 << 20;
        let names = [
            format!("a-{}.whl", "-".repeat(long)),
            format!("a-{}.whl", "1-".repeat(long / 2)),
            format!("a-1{}.exe", ".wi-p".repeat(long / 5)),
            format!("a-1{}.egg", "-py".repeat(long / 3)),
            format!("{}-1.0.tar.gz", "a_".repeat(long / 2)),
            format!("{}.tar.gz", "a".repeat(long)),
        ];
        let started = std::time::Instant::now();
        for name in &names {
            let _ = version_of("a", name);
            let _ = version_of(&"a-".repeat(long / 2), name);
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    /// A normalised project name: lower-case parts joined by single dashes.
    fn project_name() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}"
    }

    /// A PEP 440 version as uploads spell it. The local label's later segments are digits, so
    /// no version spells an installer's platform (`.win…`), which would end it early.
    fn version() -> impl Strategy<Value = String> {
        "([1-9]!)?[0-9]{1,4}(\\.[0-9]{1,3}){0,3}((a|b|rc)[0-9]{1,2})?(\\.post[0-9]{1,2})?(\\.dev[0-9]{1,2})?(\\+[a-z0-9]{1,4}(\\.[0-9]{1,4})?)?"
    }

    /// `name` as an upload may spell it: any case, any separator run for each dash.
    fn spelled(name: &str, separators: &[u8], upper: &[bool]) -> String {
        let mut spelled = String::new();
        for (index, part) in name.split('-').enumerate() {
            if index > 0 {
                spelled.push_str(match separators[index % separators.len()] % 4 {
                    0 => "-",
                    1 => "_",
                    2 => ".",
                    _ => "_-",
                });
            }
            for (offset, character) in part.chars().enumerate() {
                if upper[(index + offset) % upper.len()] {
                    spelled.push(character.to_ascii_uppercase());
                } else {
                    spelled.push(character);
                }
            }
        }
        spelled
    }

    proptest! {
        /// Every file shape built from a name and a version reads back as that version.
        #[test]
        fn every_file_shape_reads_back_its_version(
            name in project_name(),
            version in version(),
            separators in prop::collection::vec(any::<u8>(), 1..4),
            upper in prop::collection::vec(any::<bool>(), 1..8),
            build in 0u32..100,
        ) {
            let archive_name = spelled(&name, &separators, &upper);
            let wheel_name = archive_name.replace(['-', '.'], "_");
            let wheel_version = version.replace('-', "_");
            let mut files = vec![
                format!("{wheel_name}-{wheel_version}-py3-none-any.whl"),
                format!("{wheel_name}-{wheel_version}-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
                format!("{wheel_name}-{wheel_version}-{build}-py2.py3-none-any.whl"),
                format!("{wheel_name}-{wheel_version}-{build}a-py3-none-any.whl"),
                format!("{wheel_name}-{wheel_version}.egg"),
                format!("{wheel_name}-{wheel_version}-py2.7.egg"),
                format!("{wheel_name}-{wheel_version}-py2.7-macosx-10.9-x86_64.egg"),
                format!("{archive_name}-{version}.win32.exe"),
                format!("{archive_name}-{version}.win-amd64-py3.4.exe"),
                format!("{archive_name}-{version}.linux-x86_64.exe"),
                format!("{archive_name}-{version}-py2.7.exe"),
                format!("{archive_name}-{version}.win32-py2.7.msi"),
            ];
            for extension in ARCHIVE_EXTENSIONS {
                files.push(format!("{archive_name}-{version}{extension}"));
            }
            for file in &files {
                let expected = if file.ends_with(".whl") || file.ends_with(".egg") {
                    wheel_version.as_str()
                } else {
                    version.as_str()
                };
                prop_assert_eq!(version_of(&name, file), Some(expected), "{}", file);
            }
        }

        /// Whatever an index sends, reading a filename ends, without a panic, with `None` or a
        /// non-empty part of the filename.
        #[test]
        fn any_filename_is_read_without_a_panic(project in any::<String>(), filename in any::<String>()) {
            if let Some(version) = version_of(&project, &filename) {
                prop_assert!(!version.is_empty());
                prop_assert!(filename.contains(version));
            }
        }

        /// The same for names close to real ones, which get further into the reading.
        #[test]
        fn near_miss_filenames_are_read_without_a_panic(
            project in "[a-zA-Z._-]{0,8}",
            filename in "[a-zA-Z0-9._-]{0,40}(\\.whl|\\.tar\\.gz|\\.egg|\\.exe|\\.msi|\\.zip)?",
        ) {
            if let Some(version) = version_of(&project, &filename) {
                prop_assert!(!version.is_empty());
                prop_assert!(filename.contains(version));
            }
        }
    }
}

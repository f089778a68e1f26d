use super::*;
use crate::lockfile::{PackageRole, Source};

fn options() -> ParseOptions {
    ParseOptions {
        dev: None,
        environment: Some(BTreeMap::from([(
            "TOKEN".to_string(),
            "s3cret".to_string(),
        )])),
        ..ParseOptions::default()
    }
}

fn read(text: &str) -> RequirementsFile {
    parse_text(Path::new("requirements.txt"), text, &options())
        .unwrap_or_else(|error| panic!("{error}"))
}

fn error(text: &str) -> String {
    match parse_text(Path::new("requirements.txt"), text, &options()) {
        Ok(file) => panic!("expected an error, got {:?}", file.items),
        Err(error) => error.to_string(),
    }
}

fn only_entry(text: &str) -> RequirementEntry {
    let file = read(text);
    let entries: Vec<&RequirementEntry> = file.entries().collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

fn names(file: &RequirementsFile) -> Vec<String> {
    file.entries()
        .map(|entry| {
            entry
                .name
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect()
}

/// Write files into a temporary directory: `(relative path, content)`.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let full = directory.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    directory
}

fn lockfile(text: &str) -> Lockfile {
    parse_with_options(Path::new("requirements.txt"), text, &options()).unwrap()
}

fn package<'a>(lockfile: &'a Lockfile, name: &str) -> &'a crate::lockfile::LockedPackage {
    lockfile
        .packages
        .iter()
        .find(|package| package.name.as_ref() == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}

fn index_of(lockfile: &Lockfile, name: &str) -> usize {
    lockfile
        .packages
        .iter()
        .position(|package| package.name.as_ref() == name)
        .unwrap()
}

fn targets(dependencies: &[crate::lockfile::Dependency], lockfile: &Lockfile) -> Vec<String> {
    dependencies
        .iter()
        .map(|dependency| lockfile.packages[dependency.package].name.to_string())
        .collect()
}

// ---- syntax ----

#[test]
fn comments_blank_lines_and_inline_comments() {
    let file = read("# comment\n\n  # indented comment\nfoo  # inline\n\trsa\t# tab\n");
    assert_eq!(names(&file), ["foo", "rsa"].map(String::from));
    // `#` without whitespace before it is not a comment: pip hands `bar#baz` to the requirement
    // parser, which refuses it.
    assert!(error("bar#baz\n").starts_with("requirements.txt:1:4: invalid requirement `bar#baz`"));
}

#[test]
fn continuation_lines_with_hashes_and_trailing_comment() {
    let entry = only_entry(
        "alembic==1.18.5 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via -r main.in\n",
    );
    assert_eq!(entry.location.to_string(), "requirements.txt:1");
    assert_eq!(entry.hashes, ["sha256:aa", "sha256:bb"]);
    assert_eq!(entry.version.unwrap().to_string(), "1.18.5");
    assert_eq!(
        entry.via,
        [ViaParent::File {
            option: "-r".to_string(),
            path: "main.in".to_string()
        }]
    );
}

#[test]
fn specifiers_extras_markers_and_names() {
    let entry = only_entry(
        "Typing_Extensions[Foo]>=4.6.0,<5; python_version<'3.15' or sys_platform == \"win32\"\n",
    );
    assert_eq!(entry.name_as_written.as_deref(), Some("Typing_Extensions"));
    assert_eq!(entry.name.unwrap().as_ref(), "typing-extensions");
    assert_eq!(entry.extras, ["foo"]);
    assert_eq!(entry.specifier.as_deref(), Some(">=4.6.0,<5"));
    assert_eq!(
        entry.marker.as_deref(),
        Some("python_version<'3.15' or sys_platform == \"win32\"")
    );
    assert!(entry.version.is_none());
    assert!(entry.is_named_requirement);
}

#[test]
fn pinned_and_unpinned() {
    let file = read("a==1.0\nb===2.0\nc===weird\nd==1.*\ne>=1\nf\ng==1.0,<2\n");
    let versions: Vec<Option<String>> = file
        .entries()
        .map(|entry| entry.version.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(
        versions,
        [
            Some("1.0".to_string()),
            Some("2.0".to_string()),
            None,
            None,
            None,
            None,
            None
        ]
    );
    let specifiers: Vec<Option<String>> = file
        .entries()
        .map(|entry| entry.specifier.clone())
        .collect();
    assert_eq!(specifiers[2].as_deref(), Some("===weird"));
    assert_eq!(specifiers[5], None);
}

#[test]
fn editables_urls_and_paths() {
    let directory = tree(&[("proj/pyproject.toml", "[project]\nname = \"proj\"\n")]);
    let path = directory.path().join("requirements.txt");
    let text = "-e ./proj[extra]\n\
                --editable git+https://github.com/o/r.git@v1#egg=r-pkg\n\
                git+https://github.com/o/certifi.git@devel#egg=certifi\n\
                dab @ git+https://github.com/o/dab@devel#egg=dab[x]\n\
                https://files.example/w/My_Wheel-2.0-py3-none-any.whl\n\
                ./proj\n\
                pkg @ https://example.com/pkg-1.0.tar.gz ; python_version > '3'\n";
    let file = parse_text(&path, text, &options()).unwrap();
    let entries: Vec<&RequirementEntry> = file.entries().collect();
    assert_eq!(entries.len(), 7);
    assert!(entries[0].editable);
    assert_eq!(entries[0].extras, ["extra"]);
    assert_eq!(entries[0].name.as_ref().unwrap().as_ref(), "proj");
    assert_eq!(
        entries[0].source,
        Source::Editable {
            path: "./proj".to_string()
        }
    );
    assert!(entries[1].editable);
    assert_eq!(entries[1].name.as_ref().unwrap().as_ref(), "r-pkg");
    assert_eq!(
        entries[1].source,
        Source::Git {
            url: "https://github.com/o/r.git".to_string(),
            reference: Some("v1".to_string())
        }
    );
    assert_eq!(entries[2].name.as_ref().unwrap().as_ref(), "certifi");
    assert!(!entries[2].is_named_requirement);
    assert_eq!(entries[3].name.as_ref().unwrap().as_ref(), "dab");
    assert!(entries[3].is_named_requirement);
    assert_eq!(
        entries[3].url.as_deref(),
        Some("git+https://github.com/o/dab@devel#egg=dab[x]")
    );
    assert_eq!(entries[4].name.as_ref().unwrap().as_ref(), "my-wheel");
    assert_eq!(entries[4].version.as_ref().unwrap().to_string(), "2.0");
    assert_eq!(
        entries[5].source,
        Source::Directory {
            path: "./proj".to_string()
        }
    );
    assert_eq!(entries[6].marker.as_deref(), Some("python_version > '3'"));
    assert_eq!(
        entries[6].source,
        Source::Url {
            url: "https://example.com/pkg-1.0.tar.gz".to_string()
        }
    );
}

#[test]
fn nameless_url_gets_a_derived_name_and_a_warning() {
    let file = read("https://example.com/archive/thing-3.1.zip\n");
    let entry = file.entries().next().unwrap();
    assert_eq!(entry.name.as_ref().unwrap().as_ref(), "thing");
    assert!(entry.name_is_derived);
    assert_eq!(file.warnings.len(), 1);
    assert!(
        file.warnings[0]
            .message
            .contains("does not name its package")
    );
    let lockfile = lockfile("https://example.com/archive/thing-3.1.zip\n");
    assert_eq!(package(&lockfile, "thing").source.kind(), "url");
}

#[test]
fn environment_variables() {
    let file = read(
        "https://${TOKEN}@example.com/p/pkg-1.0.tar.gz#egg=pkg\nfoo @ https://${UNSET}/x.zip\n",
    );
    let entries: Vec<&RequirementEntry> = file.entries().collect();
    assert_eq!(
        entries[0].url.as_deref(),
        Some("https://s3cret@example.com/p/pkg-1.0.tar.gz#egg=pkg")
    );
    // Unset variables stay as written, as pip leaves them.
    assert_eq!(entries[1].url.as_deref(), Some("https://${UNSET}/x.zip"));
}

#[test]
fn global_options_are_recorded() {
    let file = read(
        "-i https://pypi.example/simple\n--extra-index-url=https://extra/simple\n\
         -f ./wheels --no-index\n--pre\n--no-binary :all:\n--only-binary=foo\n--prefer-binary\n\
         --require-hashes\n--trusted-host pypi.example\n--use-feature=truststore\n\
         foo --global-option=--quiet -C key=value --hash=sha256:x\n",
    );
    let recorded: Vec<(String, Option<String>, usize)> = file
        .options()
        .map(|option| {
            (
                option.name.clone(),
                option.value.clone(),
                option.location.line,
            )
        })
        .collect();
    let expected = [
        ("--index-url", Some("https://pypi.example/simple"), 1),
        ("--extra-index-url", Some("https://extra/simple"), 2),
        ("--find-links", Some("./wheels"), 3),
        ("--no-index", None, 3),
        ("--pre", None, 4),
        ("--no-binary", Some(":all:"), 5),
        ("--only-binary", Some("foo"), 6),
        ("--prefer-binary", None, 7),
        ("--require-hashes", None, 8),
        ("--trusted-host", Some("pypi.example"), 9),
        ("--use-feature", Some("truststore"), 10),
    ]
    .map(|(name, value, line)| (name.to_string(), value.map(String::from), line));
    assert_eq!(recorded, expected);
    let entry = file.entries().next().unwrap();
    assert_eq!(entry.hashes, ["sha256:x"]);
    let per_requirement: Vec<(&str, Option<&str>)> = entry
        .options
        .iter()
        .map(|option| (option.name.as_str(), option.value.as_deref()))
        .collect();
    assert_eq!(
        per_requirement,
        [
            ("--global-option", Some("--quiet")),
            ("--config-settings", Some("key=value"))
        ]
    );
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let lockfile = lockfile("-i https://pypi.example/simple\nfoo==1\n");
    assert_eq!(
        package(&lockfile, "foo").source,
        Source::Registry {
            url: Some("https://pypi.example/simple".to_string())
        }
    );
    assert_eq!(lockfile.options.len(), 1);
}

#[test]
fn ignored_options_warn() {
    let file = read("--hash=sha256:abc\nfoo --pre\n--use-feature=other\n");
    let messages: Vec<&str> = file.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("no requirement"));
    assert!(messages[1].contains("`--pre` on a requirement line"));
    assert!(messages[2].contains("--use-feature"));
}

// ---- errors ----

#[test]
fn unknown_options_are_errors_with_location() {
    assert_eq!(
        error("foo==1\n\nbar --bogus\n"),
        "requirements.txt:3:5: invalid requirement line `bar --bogus`: no such option: --bogus"
    );
    assert_eq!(
        error("-x\n"),
        "requirements.txt:1:1: invalid requirement line `-x`: no such option: -x"
    );
    assert_eq!(
        error("foo \\\n  --hash=md5:abc\n"),
        "requirements.txt:2:3: invalid requirement line `foo   --hash=md5:abc`: \
         Allowed hash algorithms for --hash are sha256, sha384, sha512."
    );
    assert_eq!(
        error("--index-url\n"),
        "requirements.txt:1:1: invalid requirement line `--index-url`: \
         --index-url option requires 1 argument"
    );
    assert!(error("-e 'unclosed\n").contains("could not split options"));
}

#[test]
fn invalid_requirements_are_errors_with_column() {
    assert_eq!(
        error("ok\n  foo=1\n"),
        "requirements.txt:2:6: invalid requirement `foo=1`: no such comparison operator \"=\", \
         must be one of ~= == != <= >= < > === (hint: = is not a valid operator; did you mean ==?)"
    );
    let message = error("foo; python_version <\n");
    assert!(
        message.starts_with("requirements.txt:1:") && message.contains("invalid marker"),
        "{message}"
    );
    let message = error("-e notapath\n");
    assert!(
        message.starts_with("requirements.txt:1:4: `notapath` is not a valid editable"),
        "{message}"
    );
}

// ---- includes ----

#[test]
fn includes_are_followed_relative_to_the_including_file() {
    let directory = tree(&[
        ("requirements.txt", "-r requirements/main.txt\ntop==1\n"),
        (
            "requirements/main.txt",
            "--requirement=sub/inner.txt\nmain==1\n-c constraints.txt\n",
        ),
        ("requirements/sub/inner.txt", "inner==1\n"),
        ("requirements/constraints.txt", "# pins\ninner==1\n"),
    ]);
    let top = directory.path().join("requirements.txt");
    let file = parse_file(&top, &options()).unwrap();
    let seen: Vec<(String, String, bool)> = file
        .entries()
        .map(|entry| {
            (
                entry.name.as_ref().unwrap().to_string(),
                entry
                    .location
                    .path
                    .strip_prefix(directory.path())
                    .unwrap()
                    .display()
                    .to_string()
                    + &format!(":{}", entry.location.line),
                entry.constraint,
            )
        })
        .collect();
    let expected = [
        ("inner", "requirements/sub/inner.txt:1", false),
        ("main", "requirements/main.txt:2", false),
        ("inner", "requirements/constraints.txt:2", true),
        ("top", "requirements.txt:2", false),
    ]
    .map(|(name, location, constraint)| (name.to_string(), location.to_string(), constraint));
    assert_eq!(seen, expected);
    assert_eq!(file.files.len(), 4);
    assert!(file.files[3].constraint);
    assert_eq!(
        included_files(&top),
        [directory.path().join("requirements/main.txt")]
    );
    assert_eq!(
        included_files(&directory.path().join("requirements/main.txt")),
        [
            directory.path().join("requirements/sub/inner.txt"),
            directory.path().join("requirements/constraints.txt")
        ]
    );
    assert!(included_files(&directory.path().join("missing.txt")).is_empty());
}

#[test]
fn include_cycles_are_errors() {
    let directory = tree(&[("a.txt", "x==1\n-r b.txt\n"), ("b.txt", "\n\n-r a.txt\n")]);
    let top = directory.path().join("a.txt");
    let error = parse_file(&top, &options()).unwrap_err();
    let LockfileError::IncludeCycle {
        location,
        included,
        chain,
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(location.path, directory.path().join("b.txt"));
    assert_eq!(location.line, 3);
    assert_eq!(included, &directory.path().join("a.txt"));
    let a = top.display().to_string();
    let b = directory.path().join("b.txt").display().to_string();
    assert_eq!(chain, &format!("{a} -> {b} -> {a}"));
    assert_eq!(
        error.to_string(),
        format!("{b}:3: `{a}` is included again (include cycle: {a} -> {b} -> {a})")
    );
    // A file including itself.
    let directory = tree(&[("self.txt", "-r self.txt\n")]);
    let error = parse_file(&directory.path().join("self.txt"), &options()).unwrap_err();
    assert!(
        matches!(error, LockfileError::IncludeCycle { .. }),
        "{error}"
    );
}

#[test]
fn diamond_includes_are_not_cycles() {
    let directory = tree(&[
        ("top.txt", "-r a.txt\n-r b.txt\n"),
        ("a.txt", "-r common.txt\n"),
        ("b.txt", "-r common.txt\n"),
        ("common.txt", "six==1.16.0\n"),
    ]);
    let file = parse_file(&directory.path().join("top.txt"), &options()).unwrap();
    assert_eq!(file.entries().count(), 2);
    let lockfile = convert::to_lockfile(file);
    assert_eq!(lockfile.packages.len(), 2, "same pin twice is one node");
}

#[test]
fn missing_includes_are_errors() {
    let directory = tree(&[("requirements.txt", "foo\n\n-c missing/constraints.txt\n")]);
    let top = directory.path().join("requirements.txt");
    let error = parse_file(&top, &options()).unwrap_err();
    let LockfileError::MissingInclude {
        location, included, ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(location, &Location::new(&top, 3));
    assert_eq!(included, &directory.path().join("missing/constraints.txt"));
    assert_eq!(
        error.to_string(),
        format!(
            "{}:3: cannot read included file `{}`",
            top.display(),
            included.display()
        )
    );
}

#[test]
fn remote_includes_are_recorded_not_followed() {
    let file = read("-r https://example.com/req.txt\n");
    assert_eq!(file.options().count(), 1);
    assert!(file.warnings[0].message.contains("remote include"));
}

// ---- dev classification ----

#[test]
fn dev_file_names() {
    for dev in [
        "requirements-dev.txt",
        "requirements/tests.txt",
        "test-requirements.txt",
        "requirements_dev.txt",
        "requirements/docs-blog.txt",
        "requirements/lint.txt",
        "typing-requirements.txt",
        "dev/requirements.txt",
        "tests/requirements.txt",
        "requirements-dev/base.txt",
        "mypy-requirements.txt",
    ] {
        assert!(is_dev_file_name(Path::new(dev)), "{dev}");
    }
    for prod in [
        "requirements.txt",
        "requirements/main.txt",
        "requirements/deploy.txt",
        "requirements_cuda.txt",
        "server/requirements.txt",
        "latest.txt",
        "devices.txt",
        "python__mypy/build-requirements.txt",
        "mypy/requirements.txt",
        "test-project/requirements.txt",
    ] {
        assert!(!is_dev_file_name(Path::new(prod)), "{prod}");
    }
}

#[test]
fn dev_files_put_direct_entries_in_a_group_and_includes_keep_their_class() {
    let directory = tree(&[
        (
            "requirements.txt",
            "flask==3.0\n-r requirements/tests.txt\n",
        ),
        ("requirements/tests.txt", "pytest==8.0\n"),
    ]);
    let top = directory.path().join("requirements.txt");
    let text = std::fs::read_to_string(&top).unwrap();
    let lockfile = parse(&top, &text).unwrap();
    let root = &lockfile.packages[lockfile.roots[0]];
    assert_eq!(root.role, PackageRole::Synthetic);
    assert_eq!(root.name.as_ref(), "requirements");
    assert_eq!(targets(&root.dependencies, &lockfile), ["flask"]);
    assert_eq!(
        targets(&root.dependency_groups["tests"], &lockfile),
        ["pytest"]
    );

    // The override puts everything in groups (or nothing).
    let forced = parse_with_options(
        &top,
        &text,
        &ParseOptions {
            dev: Some(true),
            environment: None,
            ..ParseOptions::default()
        },
    )
    .unwrap();
    let root = &forced.packages[forced.roots[0]];
    assert!(root.dependencies.is_empty());
    assert_eq!(
        targets(&root.dependency_groups["requirements"], &forced),
        ["flask"]
    );
    let never = parse_with_options(
        &top,
        &text,
        &ParseOptions {
            dev: Some(false),
            environment: None,
            ..ParseOptions::default()
        },
    )
    .unwrap();
    let root = &never.packages[never.roots[0]];
    assert_eq!(targets(&root.dependencies, &never), ["flask", "pytest"]);
    assert!(root.dependency_groups.is_empty());

    // A dev top file.
    let dev = parse_with_options(
        Path::new("requirements-dev.txt"),
        "black\n",
        &ParseOptions::default(),
    )
    .unwrap();
    let root = &dev.packages[dev.roots[0]];
    assert_eq!(root.name.as_ref(), "requirements-dev");
    assert_eq!(
        targets(&root.dependency_groups["requirements-dev"], &dev),
        ["black"]
    );
}

// ---- lockfile conversion ----

#[test]
fn via_comments_rebuild_edges() {
    let lockfile = lockfile(
        "celery[redis]==5.6.3\n    # via -r main.in\n\
         kombu==5.5.0\n    # via celery\n\
         amqp==5.3.1 ; python_version >= '3.8'\n    # via\n    #   kombu\n    #   celery\n\
         redis==5.0\n    # via\n    #   -r main.in\n    #   celery\n\
         orphan==1.0\n    # via not-in-this-file\n\
         proj-dep==1.0\n    # via my-project (pyproject.toml)\n",
    );
    let root = &lockfile.packages[lockfile.roots[0]];
    assert_eq!(
        targets(&root.dependencies, &lockfile),
        ["celery", "redis", "orphan", "proj-dep"]
    );
    assert_eq!(root.dependencies[0].extras, ["redis"]);
    let celery = package(&lockfile, "celery");
    assert_eq!(
        targets(&celery.dependencies, &lockfile),
        ["kombu", "amqp", "redis"]
    );
    let kombu = package(&lockfile, "kombu");
    assert_eq!(targets(&kombu.dependencies, &lockfile), ["amqp"]);
    assert_eq!(
        kombu.dependencies[0].marker.as_deref(),
        Some("python_version >= '3.8'")
    );
    assert_eq!(lockfile.warnings.len(), 1, "{:?}", lockfile.warnings);
    assert!(lockfile.warnings[0].message.contains("not-in-this-file"));
    assert_eq!(
        package(&lockfile, "orphan").location.as_ref().unwrap().line,
        13
    );
}

#[test]
fn files_without_via_are_all_direct() {
    let lockfile = lockfile("a==1\nb>=2\nc\n");
    let root = &lockfile.packages[lockfile.roots[0]];
    assert_eq!(targets(&root.dependencies, &lockfile), ["a", "b", "c"]);
    let b = package(&lockfile, "b");
    assert_eq!(b.version, None);
    assert_eq!(b.specifier.as_deref(), Some(">=2"));
    assert_eq!(package(&lockfile, "c").specifier, None);
    assert_eq!(lockfile.packages.len(), 4);
}

#[test]
fn duplicates_and_conflicting_pins() {
    let lockfile = lockfile("a==1\na==1\nb==1\nb==2\n");
    assert_eq!(lockfile.packages.len(), 4);
    assert_eq!(lockfile.warnings.len(), 1);
    assert!(
        lockfile.warnings[0].message.contains(
            "`b` is pinned at several versions: 1 (requirements.txt:3), 2 (requirements.txt:4)"
        ),
        "{}",
        lockfile.warnings[0].message
    );
}

#[test]
fn unpinned_requirement_satisfied_by_a_pin_is_that_pin() {
    let lockfile = lockfile("a>=1\na==1.5\n");
    assert_eq!(lockfile.packages.len(), 2);
    assert_eq!(
        package(&lockfile, "a")
            .version
            .as_ref()
            .unwrap()
            .to_string(),
        "1.5"
    );
}

#[test]
fn constraints_pin_unpinned_requirements_and_are_otherwise_not_nodes() {
    let directory = tree(&[
        (
            "requirements.txt",
            "-c constraints.txt\nflask\nrequests>=3\n",
        ),
        (
            "constraints.txt",
            "flask==3.0.2\nunused==1.0\nrequests==2.0\n",
        ),
    ]);
    let top = directory.path().join("requirements.txt");
    let text = std::fs::read_to_string(&top).unwrap();
    let lockfile = parse(&top, &text).unwrap();
    let flask = package(&lockfile, "flask");
    assert_eq!(flask.version.as_ref().unwrap().to_string(), "3.0.2");
    assert!(
        !lockfile
            .packages
            .iter()
            .any(|p| p.name.as_ref() == "unused")
    );
    let requests = package(&lockfile, "requests");
    assert_eq!(requests.version, None);
    assert_eq!(requests.specifier.as_deref(), Some(">=3"));
    assert_eq!(lockfile.warnings.len(), 1, "{:?}", lockfile.warnings);
    assert_eq!(lockfile.options[0].name, "--constraint");
    let flask_index = index_of(&lockfile, "flask");
    assert!(
        lockfile.packages[0]
            .dependencies
            .iter()
            .any(|dependency| dependency.package == flask_index)
    );
}

#[test]
fn hashes_and_sources_reach_packages() {
    let lockfile =
        lockfile("a==1 --hash=sha256:x --hash=sha256:y\n-e git+https://h/o/r.git@abc#egg=r\n");
    assert_eq!(package(&lockfile, "a").hashes, 2);
    assert_eq!(
        package(&lockfile, "r").source,
        Source::Git {
            url: "https://h/o/r.git".to_string(),
            reference: Some("abc".to_string())
        }
    );
}

#[test]
fn real_warehouse_root_has_prod_and_dev_groups() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/real/pypi__warehouse/requirements.txt");
    let Ok(text) = std::fs::read_to_string(&top) else {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipped: ../shared not present");
        return;
    };
    let lockfile = parse(&top, &text).unwrap();
    let root = &lockfile.packages[lockfile.roots[0]];
    let groups: Vec<&str> = root.dependency_groups.keys().map(String::as_str).collect();
    assert_eq!(
        groups,
        ["docs-blog", "docs-dev", "docs-user", "lint", "tests"]
    );
    assert!(!root.dependencies.is_empty());
    // Every package is reachable: no pip-compile entry is left without an edge.
    let mut reached = vec![false; lockfile.packages.len()];
    let mut stack = vec![lockfile.roots[0]];
    while let Some(index) = stack.pop() {
        if std::mem::replace(&mut reached[index], true) {
            continue;
        }
        let package = &lockfile.packages[index];
        stack.extend(
            package
                .dependencies
                .iter()
                .map(|dependency| dependency.package),
        );
        for group in package.dependency_groups.values() {
            stack.extend(group.iter().map(|dependency| dependency.package));
        }
    }
    assert!(reached.iter().all(|&reached| reached));
}

// ---- robustness ----

proptest::proptest! {
    #[test]
    fn never_panics(text in "(\\PC|[-=<>;@#\\[\\]\\\\ \n'\"$.{}/:,])*") {
        let _ = parse_with_options(Path::new("requirements.txt"), &text, &options());
    }

    #[test]
    fn never_panics_on_requirement_shaped_lines(
        lines in proptest::collection::vec(
            "(-e |-r |--hash=|-i |-c )?[a-zA-Z_.]{0,6}(\\[[a-z,]{0,5}\\])? ?(==|>=|===|~=|@ )?[0-9a-z.*+:/#=@]{0,12}( ?; ?python_version ?[<>=]{1,2} ?'3[.0-9]*')?( \\\\)?( #.*)?",
            0..8,
        )
    ) {
        let text = lines.join("\n");
        let _ = parse_with_options(Path::new("requirements.txt"), &text, &options());
    }
}

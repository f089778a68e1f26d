//! Property tests: real lockfiles, mutated (truncated, bytes flipped, lines deleted or duplicated,
//! garbage inserted), go through every reader. The answer must be `Ok` or a clear error naming the
//! file — never a panic, never an error without a location.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use pyaudit::lockfile::detect::parse_lockfile;
use pyaudit::lockfile::{LockfileError, decode_utf8};

use crate::support::corpus;

fn fixture(relative: &str) -> PathBuf {
    corpus::real_fixtures().join(relative)
}

/// Small-to-medium real files, one or more per reader, chosen to cover each syntax family.
const FILES: &[&str] = &[
    "pallets__flask/uv.lock",
    "DataDog__guarddog/uv.lock",
    "Textualize__rich/poetry.lock",
    "python-poetry__poetry/poetry.lock",
    "encode__uvicorn/requirements.txt",
    "pypi__warehouse/requirements/deploy.txt",
    "ansible__awx/requirements/requirements_git.txt",
    "python__mypy/test-requirements.txt",
    "huggingface__text-generation-inference/backends/gaudi/server/requirements.txt",
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    FlipByte(usize, u8),
    DeleteLine(usize),
    DuplicateLine(usize),
    Insert(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::FlipByte(at, byte)),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (
            any::<usize>(),
            prop_oneof![
                Just("[[package]]\n".to_string()),
                Just("\"".to_string()),
                Just("{ name = 1 }".to_string()),
                Just(" \\\n".to_string()),
                Just("-r missing.txt\n".to_string()),
                Just("version = 99\n".to_string()),
                Just("foo @ \n".to_string()),
                "[ -~\\n]{0,40}",
            ]
        )
            .prop_map(|(at, text)| Mutation::Insert(at, text)),
    ]
}

fn apply(original: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::Truncate(at) => bytes.truncate(at % len),
            Mutation::FlipByte(at, byte) => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] ^= byte | 1;
                }
            }
            Mutation::DeleteLine(line) | Mutation::DuplicateLine(line) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let at = line % lines.len();
                if matches!(mutation, Mutation::DeleteLine(_)) {
                    lines.remove(at);
                } else {
                    let copy = lines[at].clone();
                    lines.insert(at, copy);
                }
                bytes = lines.join(&b'\n');
            }
            Mutation::Insert(at, text) => {
                let at = at % len.min(bytes.len() + 1).max(1);
                let at = at.min(bytes.len());
                bytes.splice(at..at, text.bytes());
            }
        }
    }
    bytes
}

fn check(path: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let result = decode_utf8(path, bytes).and_then(|text| parse_lockfile(path, text));
    if let Err(error) = result {
        let message = error.to_string();
        let file_name = path.file_name().unwrap().to_string_lossy();
        prop_assert!(
            message.contains(file_name.as_ref())
                || matches!(error, LockfileError::MissingInclude { .. }),
            "error does not name the file: {message}"
        );
        let located = matches!(
            error,
            LockfileError::Io { .. } | LockfileError::UnknownFormat { .. }
        ) || message.contains(&format!("{file_name}:"));
        prop_assert!(located, "error has no line: {message}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_lockfiles_never_panic(
        file in 0..FILES.len(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let path = fixture(FILES[file]);
        let original = std::fs::read(&path).expect("fixture exists");
        let mutated = apply(&original, &mutations);
        check(&path, &mutated)?;
    }
}

const PYPROJECTS: &[&str] = &[
    "python-poetry__poetry/pyproject.toml",
    "DataDog__guarddog/pyproject.toml",
    "aws-powertools__powertools-lambda-python/pyproject.toml",
    "fastapi__fastapi/pyproject.toml",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// pyproject.toml is read beside poetry.lock (and later for usage checks): the same rule holds.
    #[test]
    fn mutated_pyprojects_never_panic(
        file in 0..PYPROJECTS.len(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let path = fixture(PYPROJECTS[file]);
        let original = std::fs::read(&path).expect("fixture exists");
        let mutated = apply(&original, &mutations);
        if let Ok(text) = decode_utf8(&path, &mutated)
            && let Err(error) = pyaudit::lockfile::pyproject::parse(&path, text)
        {
            prop_assert!(error.to_string().contains("pyproject.toml"), "{error}");
        }
    }
}

#[test]
fn every_file_parses_unmutated() {
    for file in FILES {
        let path = fixture(file);
        let bytes = std::fs::read(&path).unwrap();
        let text = decode_utf8(&path, &bytes).unwrap();
        if let Err(error) = parse_lockfile(&path, text) {
            panic!("{file}: {error}");
        }
    }
}

/// Escape sequences, NULs, bidi overrides, quotes and line breaks in every string field of every
/// format: the readers answer `Ok` or a located error, never panic.
#[test]
fn hostile_strings_in_every_field_never_panic() {
    const HOSTILE: &[&str] = &[
        "\u{0}",
        "\u{1b}[31mred\u{1b}[0m",
        "\u{1b}]0;title\u{7}",
        "\u{202e}evil",
        "\r",
        "\\",
        "\"",
        "'",
        "${CI_TOKEN}",
        "\u{feff}",
    ];
    // Each `@N@` marks a field; one at a time is made hostile, the others are benign.
    let templates: [(&str, &str, &str); 3] = [
        (
            "requirements.txt",
            "--index-url https://@1@.example/simple\n@2@==1.0 --hash=sha256:@3@ ; python_version >= \"@4@\"  # via @5@\nname[@6@] @ https://example.com/@7@.whl\n-e git+https://example.com/@8@#egg=@9@\n",
            "x",
        ),
        (
            "uv.lock",
            "version = 1\nrevision = 3\nrequires-python = \">=@1@\"\n\n[[package]]\nname = \"@2@\"\nversion = \"1.@3@\"\nsource = { registry = \"https://@4@/simple\" }\ndependencies = [{ name = \"@5@\", marker = \"@6@\" }]\nsdist = { url = \"https://x/@7@.tar.gz\", hash = \"sha256:@8@\" }\n\n[[package]]\nname = \"x\"\nversion = \"1\"\nsource = { git = \"https://@9@\" }\n",
            "x",
        ),
        (
            "poetry.lock",
            "[[package]]\nname = \"@1@\"\nversion = \"@2@\"\ndescription = \"@3@\"\noptional = false\npython-versions = \"@4@\"\nfiles = [{file = \"@5@.whl\", hash = \"sha256:@6@\"}]\n\n[package.dependencies]\n@7@ = \"@8@\"\n\n[package.source]\ntype = \"git\"\nurl = \"@9@\"\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"*\"\ncontent-hash = \"0\"\n",
            "1",
        ),
    ];
    let directory = tempfile::tempdir().unwrap();
    for (file_name, template, benign) in templates {
        let path = directory.path().join(file_name);
        for field in 1..=9 {
            for hostile in HOSTILE {
                let mut text = template.to_string();
                for other in 1..=9 {
                    let marker = format!("@{other}@");
                    let value = if other == field {
                        format!("{benign}{hostile}{benign}")
                    } else {
                        benign.to_string()
                    };
                    text = text.replace(&marker, &value);
                }
                let outcome = std::panic::catch_unwind(|| check(&path, text.as_bytes()));
                match outcome {
                    Ok(result) => result.unwrap_or_else(|error| {
                        panic!("{file_name} field {field} {hostile:?}: {error}")
                    }),
                    Err(_) => panic!("{file_name} field {field} {hostile:?} panicked:\n{text}"),
                }
            }
        }
    }
}

/// A requirements file of 10⁶ lines (comments, blank lines, continuations and 10⁴ pins) is read
/// in bounded time, and doubling the pins roughly doubles the time: the reader is linear.
#[test]
fn a_million_line_requirements_file_is_read_in_bounded_time() {
    let path = Path::new("requirements.txt");
    let mut text = String::with_capacity(20_000_000);
    for index in 0..1_000_000 {
        match index % 100 {
            0 => text.push_str(&format!("package-{index}==1.0 \\\n")),
            1 => text.push_str("    --hash=sha256:00\n"),
            2 => text.push_str("    # via -r requirements.in\n"),
            3..=50 => text.push_str("# a comment\n"),
            _ => text.push('\n'),
        }
    }
    let started = std::time::Instant::now();
    let lockfile = parse_lockfile(path, &text).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(lockfile.packages.len(), 10_001);
    // Debug builds on a loaded CI machine: generous, but far below what a quadratic step takes.
    assert!(elapsed.as_secs() < 30, "{elapsed:?}");

    let timed = |entries: usize| {
        let text: String = (0..entries)
            .map(|index| format!("package-{index}==1.0\n"))
            .collect();
        let started = std::time::Instant::now();
        let lockfile = parse_lockfile(path, &text).unwrap();
        assert_eq!(lockfile.packages.len(), entries + 1);
        started.elapsed().as_secs_f64()
    };
    let small = (0..3).map(|_| timed(5_000)).fold(f64::INFINITY, f64::min);
    let large = (0..3).map(|_| timed(20_000)).fold(f64::INFINITY, f64::min);
    // Linear: 4×; quadratic: 16×.
    assert!(
        large < small * 10.0,
        "5,000 entries {small:.3} s, 20,000 entries {large:.3} s"
    );
}

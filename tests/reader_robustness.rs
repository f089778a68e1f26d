//! Property tests: real lockfiles, mutated (truncated, bytes flipped, lines deleted or duplicated,
//! garbage inserted), go through every reader. The answer must be `Ok` or a clear error naming the
//! file — never a panic, never an error without a location.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use pyaudit::lockfile::detect::parse_lockfile;
use pyaudit::lockfile::{LockfileError, decode_utf8};

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/real")
        .join(relative)
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

//! The `[usage]` section of the config file: what the import scan reads and which exceptions the
//! usage rules make. Unknown keys are errors naming the line, like the rest of the config.
//!
//! ```toml
//! [usage]
//! include = ["src/"]                 # gitignore syntax; default: everything
//! exclude = ["scripts/legacy/"]      # never scanned
//! tests = ["tests/", "test_*.py"]    # imports there are test code
//! ignore-unused = ["psycopg2-binary"]  # declared, needed without an import
//! ignore-missing = ["sitecustomize"]   # imported, provided by the environment
//! dev-tools = ["my-linter"]          # more tools for PA605
//!
//! [usage.modules]                    # distribution → the modules it provides
//! "my-internal-dist" = ["internal"]
//! ```

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::lockfile::normalize_extra;

/// `[usage]`: what the import scan reads and which exceptions the usage rules (PA601–PA606) make.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UsageWire {
    /// Only these paths are scanned (gitignore syntax, relative to the project); default: all.
    include: Option<Vec<String>>,
    /// These paths are never scanned (gitignore syntax).
    exclude: Option<Vec<String>>,
    /// Paths whose imports are test code (gitignore syntax); default `tests/`, `test/`,
    /// `test_*.py`, `*_test.py`, `conftest.py`.
    tests: Option<Vec<String>>,
    /// Distributions that may be declared without being imported (PA601).
    ignore_unused: Option<Vec<String>>,
    /// Top-level modules that may be imported without a declaration (PA602).
    ignore_missing: Option<Vec<String>>,
    /// More development-only tools for PA605.
    dev_tools: Option<Vec<String>>,
    /// Distribution → the modules it provides, over every other source.
    #[schemars(with = "Option<BTreeMap<String, Vec<String>>>")]
    modules: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
}

/// Validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageConfig {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// `None`: the default test paths.
    pub tests: Option<Vec<String>>,
    /// PEP 503 normalized.
    pub ignore_unused: Vec<String>,
    pub ignore_missing: Vec<String>,
    /// PEP 503 normalized.
    pub dev_tools: Vec<String>,
    /// PEP 503 normalized distribution → dotted module names.
    pub modules: BTreeMap<String, Vec<String>>,
}

fn is_dotted_module(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            let mut bytes = part.bytes();
            bytes
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic() || first == b'_' || first >= 0x80)
                && bytes.all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80)
        })
}

/// Check the section; an error is (byte offset, message) for the caller to place.
pub fn validate(wire: UsageWire) -> Result<UsageConfig, (usize, String)> {
    let normalize = |names: Option<Vec<String>>| {
        names
            .unwrap_or_default()
            .iter()
            .map(|name| normalize_extra(name))
            .collect::<Vec<_>>()
    };
    let mut modules = BTreeMap::new();
    for (distribution, names) in wire.modules.unwrap_or_default() {
        let mut checked = Vec::new();
        for name in names {
            if !is_dotted_module(name.get_ref()) {
                return Err((
                    name.span().start,
                    format!(
                        "`{}` is not a module name (expected dotted identifiers like `google.cloud.storage`)",
                        name.get_ref()
                    ),
                ));
            }
            checked.push(name.into_inner());
        }
        modules.insert(normalize_extra(distribution.get_ref()), checked);
    }
    Ok(UsageConfig {
        include: wire.include.unwrap_or_default(),
        exclude: wire.exclude.unwrap_or_default(),
        tests: wire.tests,
        ignore_unused: normalize(wire.ignore_unused),
        ignore_missing: wire.ignore_missing.unwrap_or_default(),
        dev_tools: normalize(wire.dev_tools),
        modules,
    })
}

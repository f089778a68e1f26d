//! `pyaudit.toml`, `.pyaudit.toml` or `[tool.pyaudit]` in `pyproject.toml`: raw options as written
//! (serde wire types with spans) → validated settings. Unknown keys are errors naming the key, file
//! and line, as in cargo-deny: a typo must not silently turn a check off.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::findings::{Level, Rule, rule};
use crate::lockfile::{LineIndex, Location, normalize_extra};

/// The files looked for in each directory, walking up from the lockfile, in order.
const CONFIG_FILES: [&str; 3] = ["pyaudit.toml", ".pyaudit.toml", "pyproject.toml"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
}

/// An ignore: a vulnerability id (any of its aliases), or a rule for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// A vulnerability id (`PYSEC-…`, `GHSA-…`, `CVE-…`); matches a finding listing it.
    pub id: Option<String>,
    /// A rule (code), optionally limited to `package`.
    pub rule: Option<&'static str>,
    /// PEP 503-normalized package name.
    pub package: Option<String>,
    pub reason: String,
    /// The last day (`YYYY-MM-DD`, UTC) the ignore holds, as days since 1970-01-01.
    pub until: Option<(String, i64)>,
    /// Where the ignore is written, so findings about it point there.
    pub location: Location,
}

/// Validated settings from the config file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file they came from, if any.
    pub path: Option<PathBuf>,
    /// Level overrides per rule code.
    pub levels: BTreeMap<&'static str, Level>,
    pub ignores: Vec<Ignore>,
    /// `[usage]`.
    pub usage: crate::usage::config::UsageConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigWire {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<IgnoreWire>>,
    usage: Option<crate::usage::config::UsageWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreWire {
    id: Option<String>,
    rule: Option<Spanned<String>>,
    package: Option<String>,
    reason: Option<String>,
    until: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct PyprojectWire {
    tool: Option<ToolWire>,
}

#[derive(Deserialize)]
struct ToolWire {
    pyaudit: Option<toml::Value>,
}

/// Find the config for a lockfile: `explicit` if given, else the first of `pyaudit.toml`,
/// `.pyaudit.toml`, or a `pyproject.toml` with `[tool.pyaudit]`, walking up from `start`.
pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<Config, ConfigError> {
    if let Some(path) = explicit {
        return load(path);
    }
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    for directory in start.ancestors() {
        for name in CONFIG_FILES {
            let candidate = directory.join(name);
            if !candidate.is_file() {
                continue;
            }
            if name != "pyproject.toml" {
                return load(&candidate);
            }
            let text = read(&candidate)?;
            // A pyproject without `[tool.pyaudit]` is not a pyaudit config: keep walking.
            if let Ok(PyprojectWire {
                tool: Some(ToolWire { pyaudit: Some(_) }),
            }) = toml::from_str::<PyprojectWire>(&text)
            {
                return parse(&candidate, &text);
            }
        }
    }
    Ok(Config::default())
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    parse(path, &read(path)?)
}

/// Parse config text read from `path` (a `pyproject.toml` is read from its `[tool.pyaudit]`).
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let lines = LineIndex::new(text);
    let invalid = |offset: usize, message: String| ConfigError::Invalid {
        location: lines.location(path, offset),
        message,
    };
    let is_pyproject = path
        .file_name()
        .is_some_and(|name| name == "pyproject.toml");
    let wire: ConfigWire = if is_pyproject {
        // Spans must point into the whole file, so the `[tool.pyaudit]` table is read in place.
        #[derive(Deserialize)]
        struct Pyproject {
            tool: Tool,
        }
        #[derive(Deserialize)]
        struct Tool {
            pyaudit: ConfigWire,
        }
        toml::from_str::<Pyproject>(text)
            .map(|pyproject| pyproject.tool.pyaudit)
            .map_err(|error| toml_error(&invalid, &error))?
    } else {
        toml::from_str(text).map_err(|error| toml_error(&invalid, &error))?
    };
    let mut config = Config {
        path: Some(path.to_path_buf()),
        ..Config::default()
    };
    for (key, level) in wire.rules {
        let found = find_rule(key.get_ref())
            .ok_or_else(|| invalid(key.span().start, unknown_rule(key.get_ref())))?;
        let level = parse_level(level.get_ref()).ok_or_else(|| {
            invalid(
                level.span().start,
                format!(
                    "unknown level `{}` for `{}`: expected `deny`, `warn` or `allow`",
                    level.get_ref(),
                    key.get_ref()
                ),
            )
        })?;
        config.levels.insert(found.code, level);
    }
    if let Some(usage) = wire.usage {
        config.usage = crate::usage::config::validate(usage)
            .map_err(|(offset, message)| invalid(offset, message))?;
    }
    for entry in wire.ignore {
        let offset = entry.span().start;
        let ignore = entry.into_inner();
        let reason = ignore
            .reason
            .filter(|reason| !reason.trim().is_empty())
            .ok_or_else(|| {
                invalid(
                    offset,
                    "an ignore needs a `reason` saying why it is safe".to_string(),
                )
            })?;
        let rule = match &ignore.rule {
            Some(name) => Some(
                find_rule(name.get_ref())
                    .ok_or_else(|| invalid(name.span().start, unknown_rule(name.get_ref())))?
                    .code,
            ),
            None => None,
        };
        if ignore.id.is_none() && rule.is_none() {
            return Err(invalid(
                offset,
                "an ignore needs an `id` (a vulnerability id) or a `rule` (with an optional `package`)"
                    .to_string(),
            ));
        }
        let until = match &ignore.until {
            Some(value) => {
                let text = match value.get_ref() {
                    toml::Value::String(text) => text.clone(),
                    toml::Value::Datetime(datetime) => datetime.to_string(),
                    _ => String::new(),
                };
                let days = days_from_date(&text).ok_or_else(|| {
                    invalid(
                        value.span().start,
                        format!("`until` must be a date like 2026-12-31, not `{text}`"),
                    )
                })?;
                Some((text, days))
            }
            None => None,
        };
        config.ignores.push(Ignore {
            id: ignore.id,
            rule,
            package: ignore.package.map(|name| normalize_extra(&name)),
            reason,
            until,
            location: lines.location(path, offset),
        });
    }
    Ok(config)
}

fn toml_error(
    invalid: &impl Fn(usize, String) -> ConfigError,
    error: &toml::de::Error,
) -> ConfigError {
    let offset = error.span().map_or(0, |span| span.start);
    invalid(offset, error.message().trim().to_string())
}

fn find_rule(key: &str) -> Option<&'static Rule> {
    rule(key)
}

fn unknown_rule(key: &str) -> String {
    format!("unknown rule `{key}`; `pyaudit explain` lists the rules")
}

pub fn parse_level(text: &str) -> Option<Level> {
    match text.trim().to_ascii_lowercase().as_str() {
        "deny" => Some(Level::Deny),
        "warn" => Some(Level::Warn),
        "allow" => Some(Level::Allow),
        _ => None,
    }
}

/// `YYYY-MM-DD` (a TOML local date, or a string) → days since 1970-01-01.
pub fn days_from_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2000-03-01"), Some(11_017));
        assert_eq!(days_from_date("2026-11-25"), Some(20_782));
        assert_eq!(days_from_date("2026-13-01"), None);
        assert_eq!(days_from_date("soon"), None);
    }

    #[test]
    fn rules_and_ignores_are_validated() {
        let text = "[rules]\nvulnerability = \"warn\"\nPA001 = \"allow\"\n\n[[ignore]]\nid = \"PYSEC-2024-60\"\nreason = \"not reachable from our code\"\nuntil = 2026-12-31\n";
        let config = parse(Path::new("pyaudit.toml"), text).unwrap();
        assert_eq!(config.levels.get("PA101"), Some(&Level::Warn));
        assert_eq!(config.levels.get("PA001"), Some(&Level::Allow));
        assert_eq!(config.ignores[0].id.as_deref(), Some("PYSEC-2024-60"));
        assert_eq!(
            config.ignores[0].until.as_ref().map(|until| until.1),
            Some(20_818)
        );
        assert_eq!(config.ignores[0].location.line, 5);
    }

    #[test]
    fn unknown_keys_and_values_name_the_line() {
        let error = |text: &str| {
            parse(Path::new("pyaudit.toml"), text)
                .unwrap_err()
                .to_string()
        };
        assert!(error("[rules]\nPA101 = \"deny\"\n\n[rulez]\n").starts_with("pyaudit.toml:4:"));
        assert!(error("[[ignore]]\nid = \"X\"\nreasn = \"typo\"\n").contains("pyaudit.toml:3:"));
        assert!(
            error("[rules]\nPA999 = \"deny\"\n").contains("pyaudit.toml:2:1: unknown rule `PA999`")
        );
        assert!(error("[rules]\nPA101 = \"fatal\"\n").contains("unknown level `fatal`"));
        assert!(error("[[ignore]]\nid = \"X\"\n").contains("needs a `reason`"));
        assert!(
            error("[[ignore]]\nid = \"X\"\nreason = \"r\"\nuntil = \"later\"\n")
                .contains("pyaudit.toml:4:")
        );
    }

    #[test]
    fn pyproject_tool_table_is_read_in_place() {
        let text =
            "[project]\nname = \"x\"\n\n[tool.pyaudit.rules]\nPA101 = \"warn\"\nbogus = \"deny\"\n";
        let error = parse(Path::new("pyproject.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("pyproject.toml:6:1: unknown rule `bogus`"),
            "{error}"
        );
    }
}

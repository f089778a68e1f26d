//! `pyaudit.toml`, `.pyaudit.toml` or `[tool.pyaudit]` in `pyproject.toml`: raw options as written
//! (serde wire types with spans) → validated settings. Unknown keys are errors naming the key, file
//! and line, as in cargo-deny: a typo must not silently turn a check off.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use pyaudit_advisories::Rating;
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::enrich::license::LicenseTerm;
use crate::findings::{Level, Rule, rule, rules_matching};
use crate::graph::Class;
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
    pub fetch: FetchConfig,
    pub advisories: AdvisoriesConfig,
    pub vulnerabilities: VulnerabilityPolicy,
    pub maintenance: MaintenancePolicy,
    pub licenses: LicensePolicy,
    pub sources: SourcePolicy,
    pub typosquat: TyposquatPolicy,
    pub bans: Vec<Ban>,
    pub input: InputPolicy,
}

/// `[input]`: what the readers may read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputPolicy {
    /// Follow requirements includes that resolve outside the project root.
    pub allow_outside_includes: bool,
}

/// `[fetch]`: service URLs and network limits; the command line and environment win over them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchConfig {
    pub osv_url: Option<String>,
    pub pypi_url: Option<String>,
    /// Per-attempt timeout.
    pub timeout: Option<std::time::Duration>,
    /// The run's network deadline; `Some(None)` is `deadline = 0`, no deadline.
    pub deadline: Option<Option<std::time::Duration>>,
    /// Longest `Retry-After` honoured.
    pub max_retry_after: Option<std::time::Duration>,
    pub allow_cross_host_redirects: Option<bool>,
}

/// `[advisories]`: how old stand-in advisory data may be, and which folders are complete copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoriesConfig {
    /// `--offline`: the oldest data (cached OSV answers, a complete local copy) that may answer.
    pub max_age: std::time::Duration,
    /// Online, when OSV cannot answer: the oldest data that may stand in for it.
    pub fallback_max_age: std::time::Duration,
    /// Folders that are complete copies of an advisory source, relative to the config file.
    pub complete: Vec<PathBuf>,
}

/// A week: a weekly `db sync` keeps an offline audit valid.
pub const DEFAULT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);
/// Three days: a nightly sync survives a weekend-long OSV outage, no more.
pub const DEFAULT_FALLBACK_MAX_AGE: std::time::Duration =
    std::time::Duration::from_secs(3 * 86_400);

impl Default for AdvisoriesConfig {
    fn default() -> Self {
        Self {
            max_age: DEFAULT_MAX_AGE,
            fallback_max_age: DEFAULT_FALLBACK_MAX_AGE,
            complete: Vec::new(),
        }
    }
}

/// Reads an age such as `7d`, `36h`, `90m`, `2w` or `600s`.
pub fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|character: char| !character.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an age: expected a number and a unit, e.g. `7d`"))?;
    let seconds = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`: expected s, m, h, d or w (e.g. `7d`)"
            ));
        }
    };
    number
        .checked_mul(seconds)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long an age"))
}

/// `[vulnerabilities]`: the CVSS rating from which a vulnerability denies; lower ones warn.
/// Per class, so dev-only findings can warn while production ones deny.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VulnerabilityPolicy {
    pub deny_from: Option<Rating>,
    pub optional_deny_from: Option<Rating>,
    pub dev_deny_from: Option<Rating>,
}

impl VulnerabilityPolicy {
    /// The threshold that applies to a package of `class` (dev and optional fall back to the
    /// general one).
    pub fn threshold(&self, class: Class) -> Option<Rating> {
        match class {
            Class::Dev => self.dev_deny_from.or(self.deny_from),
            Class::Optional => self.optional_deny_from.or(self.deny_from),
            Class::Prod | Class::Unreachable => self.deny_from,
        }
    }
}

/// `[maintenance]`: the limits of the PA2xx rules, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaintenancePolicy {
    /// PA205: the newest upload is older than this.
    pub max_age_days: u64,
    /// PA207: this many major versions behind the newest stable release…
    pub max_major_behind: u64,
    /// …or uploaded this many days before it.
    pub max_days_behind: u64,
    /// PA208: the locked release is younger than this.
    pub cooldown_days: u64,
    /// PA209: the project is younger than this.
    pub new_project_days: u64,
}

impl Default for MaintenancePolicy {
    fn default() -> Self {
        Self {
            max_age_days: 730,
            max_major_behind: 2,
            max_days_behind: 1095,
            cooldown_days: 7,
            new_project_days: 30,
        }
    }
}

/// `[licenses]`: SPDX allow and deny lists (PA301, PA302).
#[derive(Debug, Clone, Default)]
pub struct LicensePolicy {
    pub allow: Vec<LicenseTerm>,
    pub deny: Vec<LicenseTerm>,
}

impl LicensePolicy {
    /// Whether there is a policy at all: without one, licenses are reported, never judged.
    pub fn is_set(&self) -> bool {
        !self.allow.is_empty() || !self.deny.is_empty()
    }
}

/// `[sources]`: where packages may come from (PA404, PA406).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourcePolicy {
    /// Index URLs, compared without a trailing `/` and case-insensitively on scheme and host.
    pub allowed_indexes: Vec<String>,
    pub require_hashes: bool,
}

/// `[typosquat]`: where the popular names come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TyposquatPolicy {
    /// Files of popular names (one per line, or top-pypi-packages JSON), relative paths resolved
    /// against the config file's directory. They add to the built-in seed and the cached list.
    pub popular: Vec<PathBuf>,
    /// Names never reported, however close (the organisation's own packages).
    pub allow: Vec<String>,
}

/// `[[bans]]`: a package the organisation forbids, optionally only some versions.
#[derive(Debug, Clone)]
pub struct Ban {
    /// PEP 503-normalized name.
    pub package: String,
    pub specifier: Option<VersionSpecifiers>,
    pub reason: String,
    pub location: Location,
}

/// pyaudit's configuration: `pyaudit.toml`, `.pyaudit.toml`, or `[tool.pyaudit]` in
/// `pyproject.toml`. `pyaudit explain` lists the rules.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pyaudit configuration")]
pub(crate) struct ConfigWire {
    /// Level per rule: a code (`PA101`), a name (`vulnerability`) or a code prefix for a family
    /// (`PA2`), mapped to `deny` (fails the run), `warn` (reported) or `allow` (off).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, LevelSchema>")]
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Accepted findings: a vulnerability id (any alias), or a rule, optionally for one package.
    #[serde(default)]
    #[schemars(with = "Vec<IgnoreWire>")]
    ignore: Vec<Spanned<IgnoreWire>>,
    /// Import scan and usage rules (PA601–PA606).
    usage: Option<crate::usage::config::UsageWire>,
    /// Service URLs; `--osv-url` / `--pypi-url` and `PYAUDIT_OSV_URL` / `PYAUDIT_PYPI_URL` win.
    #[serde(default)]
    fetch: FetchWire,
    /// How old stand-in advisory data may be; complete copies of advisory sources.
    #[serde(default)]
    advisories: AdvisoriesWire,
    /// Severity thresholds: vulnerabilities rated below them warn instead of denying.
    #[serde(default)]
    vulnerabilities: VulnerabilitiesWire,
    /// Limits of the maintenance and release rules (PA205, PA207–PA209), in days.
    #[serde(default)]
    maintenance: MaintenanceWire,
    /// SPDX license policy (PA301, PA302). Without lists, licenses are not judged.
    #[serde(default)]
    licenses: LicensesWire,
    /// Where packages may come from (PA404, PA406).
    #[serde(default)]
    sources: SourcesWire,
    /// Popular names for the typosquat rule (PA501).
    #[serde(default)]
    typosquat: TyposquatWire,
    /// Packages the organisation forbids (PA502).
    #[serde(default)]
    #[schemars(with = "Vec<BanWire>")]
    bans: Vec<Spanned<BanWire>>,
    /// What the lockfile readers may read.
    #[serde(default)]
    input: InputWire,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct InputWire {
    /// Follow requirements includes (`-r`, `-c`) and read lockfiles that resolve outside the
    /// project root (monorepos sharing requirements files). Devices, FIFOs, directories and
    /// `/proc`, `/sys`, `/dev` stay refused. Read by `lock`, and by `org` from its `--config` only.
    #[serde(default)]
    allow_outside_includes: bool,
}

/// A rule level.
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum LevelSchema {
    Deny,
    Warn,
    Allow,
}

/// A CVSS rating.
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum RatingSchema {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FetchWire {
    /// OSV API base URL (default `https://api.osv.dev`).
    #[schemars(with = "Option<String>", url)]
    osv_url: Option<Spanned<String>>,
    /// PyPI base URL: JSON API at `/pypi/<name>/json`, Simple API at `/simple/` (default
    /// `https://pypi.org`).
    #[schemars(with = "Option<String>", url)]
    pypi_url: Option<Spanned<String>>,
    /// Seconds one attempt of one request may take, connect to last byte (default 10).
    #[schemars(with = "Option<f64>", range(min = 0.001))]
    timeout: Option<Spanned<f64>>,
    /// Seconds the whole run may spend on the network (default 60; 0: no deadline). What is not
    /// answered by then is reported as unchecked (PA001).
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    deadline: Option<Spanned<f64>>,
    /// The longest `Retry-After` honoured, in seconds (default 10).
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    max_retry_after: Option<Spanned<f64>>,
    /// Follow redirects to another host, port or scheme (default false: refused).
    allow_cross_host_redirects: Option<bool>,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct AdvisoriesWire {
    /// With `--offline`: cached OSV answers and complete local copies older than this do not
    /// answer for a package (it is unchecked, PA001). An age: `7d`, `36h`, `2w` (default `7d`).
    #[schemars(with = "Option<String>")]
    max_age: Option<Spanned<String>>,
    /// Online, when OSV cannot answer: the same limit for the data that stands in for it
    /// (default `3d`).
    #[schemars(with = "Option<String>")]
    fallback_max_age: Option<Spanned<String>>,
    /// Folders of OSV records that are complete copies of an advisory source (a checkout of the
    /// PyPA advisory database, an unpacked OSV export), relative to this file. Fresh enough,
    /// they answer for every package; `--advisories` folders only add findings.
    #[serde(default)]
    complete: Vec<String>,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct VulnerabilitiesWire {
    /// Vulnerabilities rated below this warn instead of denying; unrated ones keep their level.
    #[schemars(with = "Option<RatingSchema>")]
    deny_from: Option<Spanned<String>>,
    /// The same for packages only the roots' extras install (default: `deny-from`).
    #[schemars(with = "Option<RatingSchema>")]
    optional_deny_from: Option<Spanned<String>>,
    /// The same for packages only dev groups install (default: `deny-from`).
    #[schemars(with = "Option<RatingSchema>")]
    dev_deny_from: Option<Spanned<String>>,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct MaintenanceWire {
    /// PA205: the project's newest upload is older than this many days (default 730).
    max_age_days: Option<u64>,
    /// PA207: the locked version is this many major versions behind the newest (default 2).
    max_major_behind: Option<u64>,
    /// PA207: or was released this many days before the newest (default 1095).
    max_days_behind: Option<u64>,
    /// PA208: the locked release is younger than this many days (default 7).
    cooldown_days: Option<u64>,
    /// PA209: the project is younger than this many days (default 30).
    new_project_days: Option<u64>,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LicensesWire {
    /// SPDX licenses allowed (`MIT`, `Apache-2.0`, `GPL-2.0-only WITH Classpath-exception-2.0`).
    /// With a list, anything not on it is reported.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    allow: Vec<Spanned<String>>,
    /// SPDX licenses denied.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    deny: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SourcesWire {
    /// Index URLs packages may come from (PA404); empty: any.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    allowed_indexes: Vec<Spanned<String>>,
    /// Deny packages the lock records no hash for (PA406).
    #[serde(default)]
    require_hashes: bool,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TyposquatWire {
    /// Files of popular names (one per line, or top-pypi-packages JSON), relative to this file.
    #[serde(default)]
    popular: Vec<String>,
    /// Names never reported as typosquats.
    #[serde(default)]
    allow: Vec<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct BanWire {
    /// The package name.
    #[schemars(with = "String")]
    package: Spanned<String>,
    /// A PEP 440 specifier: only these versions are banned (`<1.26`).
    #[schemars(with = "Option<String>")]
    version: Option<Spanned<String>>,
    /// Why, and what to use instead. Required.
    reason: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct IgnoreWire {
    /// A vulnerability id or any alias (`PYSEC-…`, `GHSA-…`, `CVE-…`).
    id: Option<String>,
    /// A rule code or name, optionally limited to `package`.
    #[schemars(with = "Option<String>")]
    rule: Option<Spanned<String>>,
    /// The package the ignore applies to.
    package: Option<String>,
    /// Why it is safe. Required.
    reason: Option<String>,
    /// The last day (`YYYY-MM-DD`) the ignore holds; afterwards PA002 reports it.
    #[schemars(with = "Option<String>")]
    until: Option<Spanned<toml::Value>>,
}

/// The JSON Schema of the config file (`docs/pyaudit.schema.json`), for editors (taplo, VS
/// Code's Even Better TOML) to complete and check it.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ConfigWire);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
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
        if let Some(config) = config_in(directory)? {
            return Ok(config);
        }
    }
    Ok(Config::default())
}

/// Like [`discover`] without `--config`, but the walk up stops at `boundary` (included): a
/// repository's own config, never one of the directories that hold many repositories.
/// `None` when there is none.
pub fn discover_within(start: &Path, boundary: &Path) -> Result<Option<Config>, ConfigError> {
    for directory in start.ancestors() {
        if let Some(config) = config_in(directory)? {
            return Ok(Some(config));
        }
        if directory == boundary {
            break;
        }
    }
    Ok(None)
}

/// The config file of one directory, if it has one.
fn config_in(directory: &Path) -> Result<Option<Config>, ConfigError> {
    for name in CONFIG_FILES {
        let candidate = directory.join(name);
        if !candidate.is_file() {
            continue;
        }
        if name != "pyproject.toml" {
            return load(&candidate).map(Some);
        }
        let text = read(&candidate)?;
        // A pyproject without `[tool.pyaudit]` is not a pyaudit config: keep walking.
        if let Ok(PyprojectWire {
            tool: Some(ToolWire { pyaudit: Some(_) }),
        }) = toml::from_str::<PyprojectWire>(&text)
        {
            return parse(&candidate, &text).map(Some);
        }
    }
    Ok(None)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    crate::input::read_to_string(path, crate::input::CONFIG_BYTES).map_err(|source| {
        ConfigError::Io {
            path: path.to_path_buf(),
            source,
        }
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
        let found = rules_matching(key.get_ref());
        if found.is_empty() {
            return Err(invalid(key.span().start, unknown_rule(key.get_ref())));
        }
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
        for rule in found {
            config.levels.insert(rule.code, level);
        }
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
                let days = crate::time::days_from_date(&text).ok_or_else(|| {
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

    let url = |value: Option<Spanned<String>>| -> Result<Option<String>, ConfigError> {
        match value {
            // The scheme is case-insensitive (RFC 3986 §3.1): `HTTPS://` is an https URL.
            Some(value)
                if !["http://", "https://"].iter().any(|scheme| {
                    value
                        .get_ref()
                        .get(..scheme.len())
                        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
                }) =>
            {
                Err(invalid(
                    value.span().start,
                    format!("`{}` is not an http(s) URL", value.get_ref()),
                ))
            }
            other => Ok(other.map(Spanned::into_inner)),
        }
    };
    let seconds = |value: Option<Spanned<f64>>,
                   allow_zero: bool|
     -> Result<Option<std::time::Duration>, ConfigError> {
        value
            .map(|value| {
                let number = *value.get_ref();
                let valid = number.is_finite()
                    && number <= 86_400.0
                    && (number > 0.0 || (allow_zero && number == 0.0));
                if valid {
                    Ok(std::time::Duration::from_secs_f64(number))
                } else {
                    Err(invalid(
                        value.span().start,
                        format!(
                            "`{number}` is not a number of seconds between {} and 86400",
                            if allow_zero { "0" } else { "0 (excluded)" }
                        ),
                    ))
                }
            })
            .transpose()
    };
    config.fetch = FetchConfig {
        osv_url: url(wire.fetch.osv_url)?,
        pypi_url: url(wire.fetch.pypi_url)?,
        timeout: seconds(wire.fetch.timeout, false)?,
        deadline: seconds(wire.fetch.deadline, true)?
            .map(|deadline| (!deadline.is_zero()).then_some(deadline)),
        max_retry_after: seconds(wire.fetch.max_retry_after, true)?,
        allow_cross_host_redirects: wire.fetch.allow_cross_host_redirects,
    };
    let age = |value: Option<Spanned<String>>, default| -> Result<_, ConfigError> {
        match value {
            None => Ok(default),
            Some(value) => {
                parse_age(value.get_ref()).map_err(|message| invalid(value.span().start, message))
            }
        }
    };
    let config_directory = path.parent().unwrap_or(Path::new("."));
    config.advisories = AdvisoriesConfig {
        max_age: age(wire.advisories.max_age, DEFAULT_MAX_AGE)?,
        fallback_max_age: age(wire.advisories.fallback_max_age, DEFAULT_FALLBACK_MAX_AGE)?,
        complete: wire
            .advisories
            .complete
            .iter()
            .map(|folder| config_directory.join(folder))
            .collect(),
    };

    let rating = |value: Option<Spanned<String>>| -> Result<Option<Rating>, ConfigError> {
        value
            .map(|value| {
                parse_rating(value.get_ref()).ok_or_else(|| {
                    invalid(
                        value.span().start,
                        format!(
                            "unknown severity `{}`: expected `low`, `medium`, `high` or `critical`",
                            value.get_ref()
                        ),
                    )
                })
            })
            .transpose()
    };
    config.vulnerabilities = VulnerabilityPolicy {
        deny_from: rating(wire.vulnerabilities.deny_from)?,
        optional_deny_from: rating(wire.vulnerabilities.optional_deny_from)?,
        dev_deny_from: rating(wire.vulnerabilities.dev_deny_from)?,
    };

    let defaults = MaintenancePolicy::default();
    let maintenance = wire.maintenance;
    config.maintenance = MaintenancePolicy {
        max_age_days: maintenance.max_age_days.unwrap_or(defaults.max_age_days),
        max_major_behind: maintenance
            .max_major_behind
            .unwrap_or(defaults.max_major_behind),
        max_days_behind: maintenance
            .max_days_behind
            .unwrap_or(defaults.max_days_behind),
        cooldown_days: maintenance.cooldown_days.unwrap_or(defaults.cooldown_days),
        new_project_days: maintenance
            .new_project_days
            .unwrap_or(defaults.new_project_days),
    };

    let terms = |entries: Vec<Spanned<String>>| -> Result<Vec<LicenseTerm>, ConfigError> {
        entries
            .into_iter()
            .map(|entry| {
                LicenseTerm::parse(entry.get_ref()).map_err(|error| {
                    invalid(
                        entry.span().start,
                        format!("`{}` is not an SPDX license: {}", error.text, error.reason),
                    )
                })
            })
            .collect()
    };
    config.licenses = LicensePolicy {
        allow: terms(wire.licenses.allow)?,
        deny: terms(wire.licenses.deny)?,
    };

    let mut allowed_indexes = Vec::new();
    for index in wire.sources.allowed_indexes {
        allowed_indexes.push(
            url(Some(index))?
                .map(|index| normalize_index_url(&index))
                .unwrap_or_default(),
        );
    }
    config.sources = SourcePolicy {
        allowed_indexes,
        require_hashes: wire.sources.require_hashes,
    };

    let base = path.parent().unwrap_or(Path::new("."));
    config.typosquat = TyposquatPolicy {
        popular: wire
            .typosquat
            .popular
            .iter()
            .map(|file| base.join(file))
            .collect(),
        allow: wire
            .typosquat
            .allow
            .iter()
            .map(|name| normalize_extra(name))
            .collect(),
    };

    config.input = InputPolicy {
        allow_outside_includes: wire.input.allow_outside_includes,
    };

    for entry in wire.bans {
        let offset = entry.span().start;
        let ban = entry.into_inner();
        let reason = ban
            .reason
            .filter(|reason| !reason.trim().is_empty())
            .ok_or_else(|| {
                invalid(
                    offset,
                    "a ban needs a `reason` (and ideally the replacement to use)".to_string(),
                )
            })?;
        let specifier = match &ban.version {
            Some(version) => Some(VersionSpecifiers::from_str(version.get_ref()).map_err(
                |error| {
                    invalid(
                        version.span().start,
                        format!(
                            "`{}` is not a PEP 440 version specifier: {error}",
                            version.get_ref()
                        ),
                    )
                },
            )?),
            None => None,
        };
        config.bans.push(Ban {
            package: normalize_extra(ban.package.get_ref()),
            specifier,
            reason,
            location: lines.location(path, offset),
        });
    }
    Ok(config)
}

/// An index URL as compared by PA404: no trailing `/`, scheme and host lower-cased, and no
/// userinfo (lock URLs have their credentials masked when read; the index is the same index
/// whoever logs in to it).
pub fn normalize_index_url(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    match trimmed.find("://") {
        Some(scheme_end) => {
            let authority_start = scheme_end + 3;
            let host_end = trimmed[authority_start..]
                .find('/')
                .map_or(trimmed.len(), |offset| authority_start + offset);
            let host_start = trimmed[authority_start..host_end]
                .rfind('@')
                .map_or(authority_start, |at| authority_start + at + 1);
            format!(
                "{}{}{}",
                trimmed[..authority_start].to_ascii_lowercase(),
                trimmed[host_start..host_end].to_ascii_lowercase(),
                &trimmed[host_end..]
            )
        }
        None => trimmed.to_string(),
    }
}

pub fn parse_rating(text: &str) -> Option<Rating> {
    match text.trim().to_ascii_lowercase().as_str() {
        "none" => Some(Rating::None),
        "low" => Some(Rating::Low),
        "medium" | "moderate" => Some(Rating::Medium),
        "high" => Some(Rating::High),
        "critical" => Some(Rating::Critical),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

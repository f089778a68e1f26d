//! OSV records (OSV schema 1.6, <https://ossf.github.io/osv-schema/>) read from JSON or YAML.
//!
//! The wire types mirror the file and stay private; [`Advisory`] is the validated domain form:
//! only `PyPI` affected entries, PEP 503 package names, PEP 440 versions parsed once, GIT ranges
//! dropped. Problems that spoil one event or one version are kept as warnings on the advisory
//! instead of failing the whole record, because one odd version string must not hide the rest of
//! an advisory from an auditor.

pub use crate::severity::SeverityVector;
use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};

/// An OSV record reduced to what an auditor of PyPI packages needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The record's own id (`PYSEC-…`, `GHSA-…`, `MAL-…`).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Set when the record was withdrawn; a withdrawn record never matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability (symmetric and transitive per the schema).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Ids of similar but distinct vulnerabilities (not transitive, so never merged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Top-level `severity[]` entries, unscored (see [`crate::severity`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityVector>,
    /// `database_specific.severity`, e.g. GitHub's `HIGH` / `MODERATE`, used when no vector scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_severity: Option<String>,
    /// The record reports a malicious package rather than a vulnerability.
    #[serde(default)]
    pub malicious: bool,
    /// The `PyPI` entries of `affected[]`; entries of other ecosystems are dropped.
    #[serde(default)]
    pub affected: Vec<AffectedPackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Problems met while reading the record that did not make it unusable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Advisory {
    /// Whether the record was withdrawn by its database (it then never matches).
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }
}

/// One `references[]` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub url: String,
}

/// The versions of one PyPI package that a record says are affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// PEP 503-normalized package name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<AffectedRange>,
    /// The explicit `versions[]` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<Version>,
    /// `affected[].severity`, which the schema allows instead of the top-level one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityVector>,
    /// Why part of what this entry says could not be evaluated (a range event that is not a
    /// version, several keys in one event, a range type no one can order, a range without an
    /// `introduced`, only `GIT` ranges and no `versions`): a version it does not match may still
    /// be affected, so a verdict that rests on this record alone must not call it clean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unevaluable: Option<String>,
}

/// An `ECOSYSTEM` or `SEMVER` range; its events are kept sorted by version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    pub events: Vec<RangeEvent>,
}

impl AffectedRange {
    /// Builds a range, sorting the events as the OSV evaluation algorithm requires.
    pub fn new(kind: RangeKind, mut events: Vec<RangeEvent>) -> Self {
        // NOTE: a stable sort keeps the record's own order between events of equal version, which
        // is what the schema's `sorted(range.events)` does in the reference pseudocode.
        events.sort_by(|left, right| left.version.cmp(&right.version));
        Self { kind, events }
    }
}

/// The range types that can be evaluated on versions. `GIT` ranges hold commit hashes and need
/// the repository's history, so they are dropped when a record is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    Ecosystem,
    /// NOTE: evaluated with PEP 440 ordering as well: every version a PyPI package can publish is
    /// a PEP 440 version, the version being checked is one, and for the `X.Y.Z[-pre]` strings that
    /// both schemes accept the two orderings agree.
    Semver,
}

/// What an event says happens at its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

impl EventKind {
    fn field_name(self) -> &'static str {
        match self {
            Self::Introduced => "introduced",
            Self::Fixed => "fixed",
            Self::LastAffected => "last_affected",
            Self::Limit => "limit",
        }
    }
}

/// An event's version, with the schema's two special values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventVersion {
    /// `introduced: "0"`: before every version, including `0.dev0` and `0a1`, which PEP 440 sorts
    /// below a literal `0`.
    Minimum,
    Version(Version),
    /// A `limit` containing `*`: infinity.
    Maximum,
}

impl fmt::Display for EventVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Minimum => formatter.write_str("0"),
            Self::Version(version) => write!(formatter, "{version}"),
            Self::Maximum => formatter.write_str("*"),
        }
    }
}

/// One `events[]` entry of a range. Serialized in the OSV shape, e.g. `{"fixed": "1.2.3"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EventWire", into = "EventWire")]
pub struct RangeEvent {
    pub kind: EventKind,
    pub version: EventVersion,
}

impl RangeEvent {
    /// Reads an event version, giving `introduced: "0"` and `limit: "*"` their special meaning.
    pub fn parse(kind: EventKind, text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let version = match kind {
            EventKind::Introduced if trimmed == "0" => EventVersion::Minimum,
            EventKind::Limit if trimmed.contains('*') => EventVersion::Maximum,
            _ => EventVersion::Version(
                Version::from_str(trimmed).map_err(|error| error.to_string())?,
            ),
        };
        Ok(Self { kind, version })
    }

    /// The event's version when it is a real PEP 440 version (not `0` or `*`).
    pub fn pep440_version(&self) -> Option<&Version> {
        match &self.version {
            EventVersion::Version(version) => Some(version),
            EventVersion::Minimum | EventVersion::Maximum => None,
        }
    }
}

/// How a record is encoded on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordFormat {
    Json,
    Yaml,
}

impl RecordFormat {
    /// The format a file name's extension announces (`.json`, `.yaml`, `.yml`), if any.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Self::Json)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Self::Yaml)
        } else {
            None
        }
    }
}

/// A record that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("malformed OSV record in `{origin}`{}: {message}", record_label(.id.as_deref()))]
    Malformed {
        origin: String,
        id: Option<String>,
        message: String,
    },
    #[error("OSV record in `{origin}` has an empty `id`")]
    MissingId { origin: String },
}

fn record_label(id: Option<&str>) -> String {
    id.map(|id| format!(" (record `{id}`)")).unwrap_or_default()
}

impl RecordError {
    /// The file or archive entry the record came from.
    pub fn origin(&self) -> &str {
        match self {
            Self::Malformed { origin, .. } | Self::MissingId { origin } => origin,
        }
    }

    /// The record id, when it could be read.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Malformed { id, .. } => id.as_deref(),
            Self::MissingId { .. } => None,
        }
    }
}

/// PEP 503 name normalization: lowercase, with every run of `-`, `_` and `.` turned into one `-`.
pub fn normalize_package_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for character in name.trim().chars() {
        if matches!(character, '-' | '_' | '.') {
            if !in_separator_run {
                normalized.push('-');
                in_separator_run = true;
            }
        } else {
            normalized.extend(character.to_lowercase());
            in_separator_run = false;
        }
    }
    normalized
}

/// Reads one OSV record. `origin` names the file (or archive entry) in errors.
pub fn parse_record(
    bytes: &[u8],
    format: RecordFormat,
    origin: &str,
) -> Result<Advisory, RecordError> {
    let wire: RecordWire = decode(bytes, format).map_err(|message| RecordError::Malformed {
        origin: origin.to_owned(),
        // A second, lenient read recovers the id for the message when only a later field is bad.
        id: decode::<IdOnlyWire>(bytes, format)
            .ok()
            .and_then(|record| record.id),
        message,
    })?;
    Advisory::from_wire(wire, origin)
}

fn decode<T: de::DeserializeOwned>(bytes: &[u8], format: RecordFormat) -> Result<T, String> {
    match format {
        RecordFormat::Json => serde_json::from_slice(bytes).map_err(|error| error.to_string()),
        RecordFormat::Yaml => {
            let text = std::str::from_utf8(bytes).map_err(|error| error.to_string())?;
            serde_saphyr::from_str(text).map_err(|error| first_line(&error.to_string()))
        }
    }
}

/// serde-saphyr renders errors with a source snippet; one line is enough in a load report.
fn first_line(message: &str) -> String {
    message
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .to_owned()
}

impl Advisory {
    fn from_wire(wire: RecordWire, origin: &str) -> Result<Self, RecordError> {
        let id = wire.id.trim().to_owned();
        if id.is_empty() {
            return Err(RecordError::MissingId {
                origin: origin.to_owned(),
            });
        }
        let mut warnings = Vec::new();
        let database_specific = wire.database_specific.unwrap_or_default();
        let summary = non_empty(wire.summary);
        // OpenSSF malicious-packages records carry `MAL-` ids and list their sources under
        // `database_specific.malicious-packages-origins`; their summary reads "Malicious code in …".
        let malicious = id.starts_with("MAL-")
            || database_specific.malicious_packages_origins.is_some()
            || summary
                .as_deref()
                .is_some_and(|text| text.starts_with("Malicious code in "));
        let affected = wire
            .affected
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(position, entry)| {
                AffectedPackage::from_wire(entry, position, &mut warnings)
            })
            .collect();
        let severity = severity_vectors(wire.severity);
        let database_severity = database_specific
            .severity
            .and_then(|text| non_empty(Some(text)));
        // Scored again when findings are built; checked here so a bad vector is reported once.
        let (_, severity_warnings) =
            crate::severity::assess(&severity, database_severity.as_deref());
        warnings.extend(severity_warnings);
        Ok(Self {
            id,
            modified: non_empty(wire.modified),
            published: non_empty(wire.published),
            withdrawn: non_empty(wire.withdrawn),
            aliases: clean_ids(wire.aliases),
            related: clean_ids(wire.related),
            summary,
            details: non_empty(wire.details),
            severity,
            database_severity,
            malicious,
            affected,
            references: wire
                .references
                .unwrap_or_default()
                .into_iter()
                .filter_map(|reference| {
                    let url = non_empty(reference.url)?;
                    Some(Reference {
                        kind: non_empty(reference.kind),
                        url,
                    })
                })
                .collect(),
            warnings,
        })
    }
}

impl AffectedPackage {
    fn from_wire(wire: AffectedWire, position: usize, warnings: &mut Vec<String>) -> Option<Self> {
        let package = wire.package?;
        if !package
            .ecosystem
            .as_deref()
            .is_some_and(|ecosystem| ecosystem.trim().eq_ignore_ascii_case("PyPI"))
        {
            return None;
        }
        let Some(name) = non_empty(package.name) else {
            warnings.push(format!("affected[{position}]: PyPI package without a name"));
            return None;
        };
        let mut ranges = Vec::new();
        let mut unevaluable: Option<String> = None;
        let mut git_ranges = 0;
        let mut spoil = |reason: &str| {
            if unevaluable.is_none() {
                unevaluable = Some(reason.to_owned());
            }
        };
        for (range_position, range) in wire.ranges.unwrap_or_default().into_iter().enumerate() {
            let context = format!("affected[{position}].ranges[{range_position}]");
            let kind = match range.kind.as_deref().map(str::trim) {
                Some("ECOSYSTEM") => RangeKind::Ecosystem,
                Some("SEMVER") => RangeKind::Semver,
                // Commit hashes cannot be ordered without the repository.
                Some("GIT") => {
                    git_ranges += 1;
                    continue;
                }
                other => {
                    let message = format!(
                        "{context}: range type `{}` cannot be evaluated, skipped",
                        other.unwrap_or("")
                    );
                    spoil(&message);
                    warnings.push(message);
                    continue;
                }
            };
            let mut events = Vec::new();
            for (event_position, event) in range.events.unwrap_or_default().into_iter().enumerate()
            {
                let present = event.into_pairs();
                if present.len() > 1 {
                    let message = format!(
                        "{context}.events[{event_position}]: {} keys in one event (the schema allows one); each is used",
                        present.len()
                    );
                    spoil(&message);
                    warnings.push(message);
                }
                for (kind, text) in present {
                    match RangeEvent::parse(kind, &text) {
                        Ok(parsed) => events.push(parsed),
                        Err(reason) => {
                            let message = format!(
                                "{context}.events[{event_position}]: skipped {} version `{text}`: {reason}",
                                kind.field_name()
                            );
                            spoil(&message);
                            warnings.push(message);
                        }
                    }
                }
            }
            if !events
                .iter()
                .any(|event| event.kind == EventKind::Introduced)
            {
                // The evaluation would never turn such a range on; say so rather than hide it.
                let message = format!("{context}: no usable `introduced` event");
                spoil(&message);
                warnings.push(message);
            }
            ranges.push(AffectedRange::new(kind, events));
        }
        let mut versions = Vec::new();
        let mut skipped = Vec::new();
        for text in wire.versions.unwrap_or_default() {
            match Version::from_str(text.0.trim()) {
                Ok(version) => versions.push(version),
                Err(_) => skipped.push(format!("`{}`", text.0)),
            }
        }
        if !skipped.is_empty() {
            // Old records list pre-PEP 440 releases (`0.9-eevee`, `0.3m1`); no PEP 440 version
            // can equal them, so one warning per entry is enough.
            warnings.push(format!(
                "affected[{position}].versions: skipped {} entries that are not PEP 440 versions: {}",
                skipped.len(),
                skipped.join(", ")
            ));
        }
        if git_ranges > 0 && ranges.is_empty() && versions.is_empty() {
            spoil(&format!(
                "affected[{position}]: only GIT ranges, which cannot be ordered without the \
                 repository, and no `versions` list"
            ));
        }
        Some(Self {
            name: normalize_package_name(&name),
            ranges,
            versions,
            severity: severity_vectors(wire.severity),
            unevaluable,
        })
    }
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

fn clean_ids(ids: Option<Vec<String>>) -> Vec<String> {
    let mut ids: Vec<String> = ids
        .unwrap_or_default()
        .into_iter()
        .filter_map(|id| non_empty(Some(id)))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn severity_vectors(wire: Option<Vec<SeverityWire>>) -> Vec<SeverityVector> {
    wire.unwrap_or_default()
        .into_iter()
        .filter_map(|entry| {
            Some(SeverityVector {
                kind: non_empty(entry.kind)?,
                score: non_empty(entry.score)?,
            })
        })
        .collect()
}

// ---- wire types: the file's shape; every field optional so that odd records still load ----

#[derive(Deserialize)]
struct IdOnlyWire {
    id: Option<String>,
}

#[derive(Deserialize)]
struct RecordWire {
    id: String,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
    aliases: Option<Vec<String>>,
    related: Option<Vec<String>>,
    summary: Option<String>,
    details: Option<String>,
    severity: Option<Vec<SeverityWire>>,
    affected: Option<Vec<AffectedWire>>,
    references: Option<Vec<ReferenceWire>>,
    database_specific: Option<DatabaseSpecificWire>,
}

#[derive(Deserialize)]
struct SeverityWire {
    #[serde(rename = "type")]
    kind: Option<String>,
    score: Option<String>,
}

#[derive(Deserialize)]
struct ReferenceWire {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize, Default)]
struct DatabaseSpecificWire {
    severity: Option<String>,
    #[serde(rename = "malicious-packages-origins")]
    malicious_packages_origins: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct AffectedWire {
    package: Option<PackageWire>,
    severity: Option<Vec<SeverityWire>>,
    ranges: Option<Vec<RangeWire>>,
    versions: Option<Vec<VersionText>>,
}

#[derive(Deserialize)]
struct PackageWire {
    ecosystem: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RangeWire {
    #[serde(rename = "type")]
    kind: Option<String>,
    events: Option<Vec<EventWire>>,
}

/// An event as written: the schema allows exactly one of the four keys.
#[derive(Serialize, Deserialize, Default)]
struct EventWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    introduced: Option<VersionText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fixed: Option<VersionText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_affected: Option<VersionText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<VersionText>,
}

impl EventWire {
    fn into_pairs(self) -> Vec<(EventKind, String)> {
        [
            (EventKind::Introduced, self.introduced),
            (EventKind::Fixed, self.fixed),
            (EventKind::LastAffected, self.last_affected),
            (EventKind::Limit, self.limit),
        ]
        .into_iter()
        .filter_map(|(kind, text)| Some((kind, text?.0)))
        .collect()
    }
}

impl TryFrom<EventWire> for RangeEvent {
    type Error = String;

    fn try_from(wire: EventWire) -> Result<Self, String> {
        let mut pairs = wire.into_pairs();
        match (pairs.pop(), pairs.is_empty()) {
            (Some((kind, text)), true) => RangeEvent::parse(kind, &text),
            _ => Err(
                "a range event needs exactly one of introduced, fixed, last_affected, limit"
                    .to_owned(),
            ),
        }
    }
}

impl From<RangeEvent> for EventWire {
    fn from(event: RangeEvent) -> Self {
        let text = Some(VersionText(event.version.to_string()));
        let mut wire = EventWire::default();
        match event.kind {
            EventKind::Introduced => wire.introduced = text,
            EventKind::Fixed => wire.fixed = text,
            EventKind::LastAffected => wire.last_affected = text,
            EventKind::Limit => wire.limit = text,
        }
        wire
    }
}

/// A version as written in a record. The schema makes versions strings; YAML files quote them
/// inconsistently (`"0"`, `'0'`, bare `2.3.0`), so this asks the deserializer for a string (which
/// makes a YAML reader hand over the scalar's own text) and also accepts plain numbers.
#[derive(Serialize)]
#[serde(transparent)]
struct VersionText(String);

impl<'de> Deserialize<'de> for VersionText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = VersionText;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a version string")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<VersionText, E> {
                Ok(VersionText(value.to_owned()))
            }
            fn visit_string<E: de::Error>(self, value: String) -> Result<VersionText, E> {
                Ok(VersionText(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<VersionText, E> {
                Ok(VersionText(value.to_string()))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<VersionText, E> {
                Ok(VersionText(value.to_string()))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<VersionText, E> {
                // NOTE: a float has already lost trailing zeros (`1.10` → `1.1`); records quote
                // such versions, and this only keeps an unquoted one from failing the record.
                Ok(VersionText(value.to_string()))
            }
        }
        deserializer.deserialize_string(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Advisory {
        parse_record(text.as_bytes(), RecordFormat::Yaml, "test.yaml").unwrap()
    }

    #[test]
    fn normalizes_names_per_pep_503() {
        assert_eq!(normalize_package_name("Friendly-Bard"), "friendly-bard");
        assert_eq!(normalize_package_name("FRIENDLY_BARD"), "friendly-bard");
        assert_eq!(normalize_package_name("friendly.bard"), "friendly-bard");
        assert_eq!(normalize_package_name("Friendly-._.Bard"), "friendly-bard");
        assert_eq!(normalize_package_name("zope.interface"), "zope-interface");
    }

    #[test]
    fn yaml_quoting_styles_all_read_as_strings() {
        let advisory = yaml(
            "id: PYSEC-0000-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package:\n    ecosystem: PyPI\n    name: Demo_Package\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: \"1.10\"\n    - introduced: 2.3.0\n    - fixed: 2.10\n  versions:\n  - 1.0\n  - '1.9'\n  - 2.3.0\n",
        );
        assert!(advisory.warnings.is_empty(), "{:?}", advisory.warnings);
        let affected = &advisory.affected[0];
        assert_eq!(affected.name, "demo-package");
        let rendered: Vec<String> = affected.ranges[0]
            .events
            .iter()
            .map(|event| event.version.to_string())
            .collect();
        // The bare `2.10` must stay 2.10, not become the float 2.1.
        assert_eq!(rendered, ["0", "1.10", "2.3.0", "2.10"]);
        assert_eq!(affected.versions.len(), 3);
        assert_eq!(advisory.modified.as_deref(), Some("2024-01-01T00:00:00Z"));
    }

    #[test]
    fn events_are_sorted_and_git_ranges_dropped() {
        let advisory = yaml(
            "id: PYSEC-0000-2\naffected:\n- package: {ecosystem: PyPI, name: demo}\n  ranges:\n  - type: GIT\n    repo: https://example.invalid/repo\n    events:\n    - introduced: 0\n    - fixed: 0123456789abcdef0123456789abcdef01234567\n  - type: ECOSYSTEM\n    events:\n    - introduced: '4.2'\n    - fixed: 4.2.3\n    - introduced: '3.2'\n    - fixed: 3.2.20\n",
        );
        assert_eq!(advisory.affected[0].ranges.len(), 1);
        let rendered: Vec<String> = advisory.affected[0].ranges[0]
            .events
            .iter()
            .map(|event| format!("{:?}:{}", event.kind, event.version))
            .collect();
        assert_eq!(
            rendered,
            [
                "Introduced:3.2",
                "Fixed:3.2.20",
                "Introduced:4.2",
                "Fixed:4.2.3"
            ]
        );
    }

    #[test]
    fn unparsable_versions_become_warnings() {
        let advisory = yaml(
            "id: PYSEC-0000-3\naffected:\n- package: {ecosystem: PyPI, name: demo}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: not a version\n  versions: ['1.0', 'also bad']\n",
        );
        assert_eq!(advisory.warnings.len(), 2, "{:?}", advisory.warnings);
        assert!(advisory.warnings[0].contains("not a version"));
        assert_eq!(advisory.affected[0].ranges[0].events.len(), 1);
        assert_eq!(advisory.affected[0].versions.len(), 1);
    }

    #[test]
    fn other_ecosystems_are_dropped_and_unknown_fields_tolerated() {
        let json = r#"{"id":"GHSA-xxxx-yyyy-zzzz","schema_version":"1.6.0","x-extra":{"a":[1,2]},
            "affected":[{"package":{"ecosystem":"npm","name":"left-pad"}},
                        {"package":{"ecosystem":"PyPI","name":"Left.Pad"},"ecosystem_specific":{"k":1},
                         "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"limit":"*"}]}]}],
            "database_specific":{"severity":"MODERATE","cwe_ids":["CWE-1"]}}"#;
        let advisory = parse_record(json.as_bytes(), RecordFormat::Json, "a.json").unwrap();
        assert_eq!(advisory.affected.len(), 1);
        assert_eq!(advisory.affected[0].name, "left-pad");
        assert_eq!(advisory.database_severity.as_deref(), Some("MODERATE"));
        assert!(!advisory.malicious);
        assert_eq!(
            advisory.affected[0].ranges[0].events[1].version,
            EventVersion::Maximum
        );
    }

    #[test]
    fn malformed_records_name_file_and_id() {
        let error = parse_record(
            br#"{"id":"PYSEC-1-1","affected":"not a list"}"#,
            RecordFormat::Json,
            "vulns/x/PYSEC-1-1.json",
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("vulns/x/PYSEC-1-1.json"), "{message}");
        assert!(message.contains("PYSEC-1-1"), "{message}");
        assert_eq!(error.id(), Some("PYSEC-1-1"));

        let error = parse_record(b"id: [unclosed", RecordFormat::Yaml, "bad.yaml").unwrap_err();
        assert_eq!(error.origin(), "bad.yaml");

        let error = parse_record(br#"{"id":"  "}"#, RecordFormat::Json, "empty.json").unwrap_err();
        assert!(matches!(error, RecordError::MissingId { .. }));
    }

    #[test]
    fn malicious_records_are_flagged() {
        let json = r#"{"id":"MAL-2024-1","summary":"Malicious code in x (PyPI)",
            "affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1"]}]}"#;
        assert!(
            parse_record(json.as_bytes(), RecordFormat::Json, "m.json")
                .unwrap()
                .malicious
        );
        let json = r#"{"id":"GHSA-1","database_specific":{"malicious-packages-origins":[]}}"#;
        assert!(
            parse_record(json.as_bytes(), RecordFormat::Json, "m.json")
                .unwrap()
                .malicious
        );
    }

    #[test]
    fn advisories_round_trip_through_json() {
        let advisory = yaml(
            "id: PYSEC-0000-4\naliases: [CVE-1, GHSA-1]\naffected:\n- package: {ecosystem: PyPI, name: demo}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - last_affected: 1.0.post1\n    - limit: '*'\n  versions: ['1.0']\n",
        );
        let bytes = serde_json::to_vec(&advisory).unwrap();
        let back: Advisory = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, advisory);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(r#"{"last_affected":"1.0.post1"}"#), "{text}");
    }
}

//! Licenses: what a PyPI project declares, normalised to an SPDX expression, and whether an
//! expression is acceptable under an allow / deny list.
//!
//! Where a license comes from, in order (the first that yields an SPDX expression wins):
//! 1. PEP 639 `License-Expression` (`info.license_expression`), an SPDX expression by definition;
//! 2. the trove `License ::` classifiers (PEP 301), through [`CLASSIFIERS`];
//! 3. the free-text core metadata `License` field (PEP 345), through [`FREE_TEXT`] or, failing
//!    that, as an SPDX expression typed by hand (`Apache-2.0`, `mit`);
//! 4. otherwise unknown. Unknown stays unknown: nothing is guessed from partial matches.
//!
//! One exception to the order: a classifier reading that had to assume a variant (below) yields
//! to a free-text value that maps exactly (requests: `Apache Software License` and `Apache-2.0`).
//!
//! Decisions, each tested below:
//! - A classifier or phrase that names a permissive family without the variant (`BSD License`,
//!   `Apache Software License`, `BSD`, `Apache`) maps to the variant in near-universal use
//!   (`BSD-3-Clause`, `Apache-2.0`) and is marked [`LicenseInfo::assumed`], so a strict policy can
//!   still refuse it.
//! - A copyleft family without a version (`GNU LGPL`, `GPL`, the classifier `GNU Library or
//!   Lesser General Public License (LGPL)`) is unknown: which version applies changes the
//!   obligations and compatibility, so it cannot be assumed.
//! - "Public domain" (free text or the `License :: Public Domain` classifier) is
//!   `LicenseRef-Public-Domain`: the statement is clear, but it is not an SPDX license, and
//!   whether a dedication is effective depends on the jurisdiction, so only a policy that allows
//!   `LicenseRef-Public-Domain` by name accepts it.
//! - Several license classifiers are joined with `AND`: a project listing `MIT` and `Apache`
//!   classifiers may mean either, and `AND` is the reading that never allows too much. One
//!   classifier that does not map makes the classifier source unusable (fall through to the
//!   free text), since a partial reading could drop the license that matters.
//! - Deprecated SPDX ids of the GNU family (`GPL-2.0`, `LGPL-2.1+`) are rewritten to their
//!   current forms (`GPL-2.0-only`, `LGPL-2.1-or-later`); ids are matched case-insensitively and
//!   written in their canonical case.

use serde::Serialize;
use spdx::expression::ExpressionReq;
use spdx::{Expression, LicenseItem, LicenseReq, Licensee, ParseMode};

/// Where a package's license expression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LicenseSource {
    /// PEP 639 `License-Expression`.
    Pep639,
    /// Trove `License ::` classifiers.
    Classifier,
    /// The free-text `License` field.
    FreeText,
    /// Nothing usable.
    Unknown,
}

/// Which metadata a [`LicenseInfo`] was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LicenseOrigin {
    /// PyPI's project JSON `info`: the fields of the newest release.
    ProjectJson,
    /// The release's own core metadata file (PEP 658 `<file url>.metadata`), as `pyaudit review`
    /// reads for each chosen release.
    ReleaseMetadata { url: String },
}

/// A package's license as pyaudit reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseInfo {
    /// The SPDX expression, canonical form; `None` when unknown.
    pub expression: Option<String>,
    pub source: LicenseSource,
    /// What the metadata said, verbatim (classifiers joined with `; `), for the report.
    pub raw: String,
    /// The release the metadata describes. PyPI's project JSON describes the newest release only,
    /// so for an older locked version this is the newest version, not the locked one.
    pub of_version: String,
    /// The mapping picked the usual variant of a family the metadata did not pin down (`BSD
    /// License` → `BSD-3-Clause`); a strict policy may treat this as unknown.
    pub assumed: bool,
    /// Why the mapping is unsure or failed (an invalid PEP 639 expression, an assumption).
    pub note: Option<String>,
    /// The metadata the fields came from.
    pub read_from: LicenseOrigin,
}

/// The declared license fields of one release (from PyPI's `info`).
#[derive(Debug, Clone, Copy, Default)]
pub struct DeclaredLicense<'a> {
    pub license_expression: Option<&'a str>,
    pub license: Option<&'a str>,
    /// Every classifier of the release; only `License ::` ones are read.
    pub classifiers: &'a [String],
}

/// A mapped license with its assumption, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub expression: &'static str,
    /// Why the mapping is not exact, when it is not.
    pub assumption: Option<&'static str>,
}

const BSD_VARIANT: &str = "names no BSD variant; BSD-3-Clause, the usual one, is assumed";
const APACHE_VERSION: &str = "names no Apache version; Apache-2.0 is assumed";

const fn exact(expression: &'static str) -> Option<Mapping> {
    Some(Mapping {
        expression,
        assumption: None,
    })
}

const fn assumed(expression: &'static str, assumption: &'static str) -> Option<Mapping> {
    Some(Mapping {
        expression,
        assumption: Some(assumption),
    })
}

/// Trove license classifiers → SPDX. `None`: the classifier cannot be mapped without guessing.
/// Classifiers absent from the table are unknown too.
pub const CLASSIFIERS: &[(&str, Option<Mapping>)] = &[
    ("License :: OSI Approved :: MIT License", exact("MIT")),
    (
        "License :: OSI Approved :: MIT No Attribution License (MIT-0)",
        exact("MIT-0"),
    ),
    (
        "License :: OSI Approved :: Apache Software License",
        assumed("Apache-2.0", APACHE_VERSION),
    ),
    (
        "License :: OSI Approved :: BSD License",
        assumed("BSD-3-Clause", BSD_VARIANT),
    ),
    (
        "License :: OSI Approved :: 0-clause BSD License (0BSD)",
        exact("0BSD"),
    ),
    (
        "License :: OSI Approved :: ISC License (ISCL)",
        exact("ISC"),
    ),
    (
        "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)",
        exact("MPL-2.0"),
    ),
    (
        "License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)",
        exact("MPL-1.1"),
    ),
    (
        "License :: OSI Approved :: Mozilla Public License 1.0 (MPL)",
        exact("MPL-1.0"),
    ),
    (
        "License :: OSI Approved :: GNU General Public License v2 (GPLv2)",
        exact("GPL-2.0-only"),
    ),
    (
        "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
        exact("GPL-2.0-or-later"),
    ),
    (
        "License :: OSI Approved :: GNU General Public License v3 (GPLv3)",
        exact("GPL-3.0-only"),
    ),
    (
        "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
        exact("GPL-3.0-or-later"),
    ),
    (
        "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)",
        exact("LGPL-2.0-only"),
    ),
    (
        "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
        exact("LGPL-2.0-or-later"),
    ),
    (
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
        exact("LGPL-3.0-only"),
    ),
    (
        "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)",
        exact("LGPL-3.0-or-later"),
    ),
    (
        "License :: OSI Approved :: GNU Affero General Public License v3",
        exact("AGPL-3.0-only"),
    ),
    (
        "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
        exact("AGPL-3.0-or-later"),
    ),
    // No version: the obligations differ between versions, so this is not guessed.
    (
        "License :: OSI Approved :: GNU General Public License (GPL)",
        None,
    ),
    (
        "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)",
        None,
    ),
    (
        "License :: OSI Approved :: Python Software Foundation License",
        exact("PSF-2.0"),
    ),
    (
        "License :: OSI Approved :: Python License (CNRI Python License)",
        exact("CNRI-Python"),
    ),
    (
        "License :: OSI Approved :: zlib/libpng License",
        exact("Zlib"),
    ),
    (
        "License :: OSI Approved :: The Unlicense (Unlicense)",
        exact("Unlicense"),
    ),
    (
        "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication",
        exact("CC0-1.0"),
    ),
    (
        "License :: Public Domain",
        exact("LicenseRef-Public-Domain"),
    ),
    (
        "License :: OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)",
        exact("EPL-1.0"),
    ),
    (
        "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)",
        exact("EPL-2.0"),
    ),
    (
        "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)",
        exact("BSL-1.0"),
    ),
    (
        "License :: OSI Approved :: Universal Permissive License (UPL)",
        exact("UPL-1.0"),
    ),
    (
        "License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)",
        exact("HPND"),
    ),
    (
        "License :: OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)",
        exact("EUPL-1.1"),
    ),
    (
        "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)",
        exact("EUPL-1.2"),
    ),
    (
        "License :: OSI Approved :: Microsoft Public License (MS-PL)",
        exact("MS-PL"),
    ),
    (
        "License :: OSI Approved :: PostgreSQL License",
        exact("PostgreSQL"),
    ),
    (
        "License :: OSI Approved :: Open Software License 3.0 (OSL-3.0)",
        exact("OSL-3.0"),
    ),
];

/// Free-text spellings → SPDX, compared after lowercasing and collapsing whitespace. Texts that
/// are already SPDX expressions (`Apache-2.0`, `mit`, `MIT OR Apache-2.0`) need no entry.
pub const FREE_TEXT: &[(&str, Option<Mapping>)] = &[
    ("mit license", exact("MIT")),
    ("the mit license", exact("MIT")),
    ("mit licence", exact("MIT")),
    ("expat", exact("MIT")),
    ("expat license", exact("MIT")),
    ("apache 2.0", exact("Apache-2.0")),
    ("apache 2", exact("Apache-2.0")),
    ("apache-2", exact("Apache-2.0")),
    ("apache2", exact("Apache-2.0")),
    ("apache v2", exact("Apache-2.0")),
    ("apache 2.0 license", exact("Apache-2.0")),
    ("apache license 2.0", exact("Apache-2.0")),
    ("apache license, version 2.0", exact("Apache-2.0")),
    ("apache license version 2.0", exact("Apache-2.0")),
    ("apache license v2.0", exact("Apache-2.0")),
    ("apache software license 2.0", exact("Apache-2.0")),
    ("apache software license, version 2.0", exact("Apache-2.0")),
    ("asl 2.0", exact("Apache-2.0")),
    ("apache", assumed("Apache-2.0", APACHE_VERSION)),
    ("apache license", assumed("Apache-2.0", APACHE_VERSION)),
    (
        "apache software license",
        assumed("Apache-2.0", APACHE_VERSION),
    ),
    ("bsd", assumed("BSD-3-Clause", BSD_VARIANT)),
    ("bsd license", assumed("BSD-3-Clause", BSD_VARIANT)),
    ("bsd-style", None),
    ("bsd 3-clause", exact("BSD-3-Clause")),
    ("bsd 3-clause license", exact("BSD-3-Clause")),
    ("bsd-3", exact("BSD-3-Clause")),
    ("3-clause bsd", exact("BSD-3-Clause")),
    ("3-clause bsd license", exact("BSD-3-Clause")),
    ("new bsd", exact("BSD-3-Clause")),
    ("new bsd license", exact("BSD-3-Clause")),
    ("modified bsd", exact("BSD-3-Clause")),
    ("modified bsd license", exact("BSD-3-Clause")),
    ("revised bsd license", exact("BSD-3-Clause")),
    ("bsd 2-clause", exact("BSD-2-Clause")),
    ("bsd 2-clause license", exact("BSD-2-Clause")),
    ("2-clause bsd", exact("BSD-2-Clause")),
    ("simplified bsd", exact("BSD-2-Clause")),
    ("simplified bsd license", exact("BSD-2-Clause")),
    ("freebsd", exact("BSD-2-Clause")),
    ("isc license", exact("ISC")),
    ("mpl 2.0", exact("MPL-2.0")),
    ("mpl2", exact("MPL-2.0")),
    ("mozilla public license 2.0", exact("MPL-2.0")),
    ("mozilla public license 2.0 (mpl 2.0)", exact("MPL-2.0")),
    ("psf", exact("PSF-2.0")),
    ("psf license", exact("PSF-2.0")),
    ("python software foundation license", exact("PSF-2.0")),
    ("gplv2", exact("GPL-2.0-only")),
    ("gpl v2", exact("GPL-2.0-only")),
    ("gnu gpl v2", exact("GPL-2.0-only")),
    ("gnu gplv2", exact("GPL-2.0-only")),
    ("gplv2+", exact("GPL-2.0-or-later")),
    ("gplv3", exact("GPL-3.0-only")),
    ("gpl v3", exact("GPL-3.0-only")),
    ("gnu gpl v3", exact("GPL-3.0-only")),
    ("gnu gplv3", exact("GPL-3.0-only")),
    ("gplv3+", exact("GPL-3.0-or-later")),
    ("lgplv2.1", exact("LGPL-2.1-only")),
    ("lgpl v2.1", exact("LGPL-2.1-only")),
    ("lgplv2.1+", exact("LGPL-2.1-or-later")),
    ("lgplv3", exact("LGPL-3.0-only")),
    ("lgpl v3", exact("LGPL-3.0-only")),
    ("lgplv3+", exact("LGPL-3.0-or-later")),
    ("agplv3", exact("AGPL-3.0-only")),
    ("agpl v3", exact("AGPL-3.0-only")),
    ("agplv3+", exact("AGPL-3.0-or-later")),
    // No version: see the module documentation.
    ("gpl", None),
    ("gnu gpl", None),
    ("lgpl", None),
    ("gnu lgpl", None),
    ("agpl", None),
    ("gnu agpl", None),
    ("public domain", exact("LicenseRef-Public-Domain")),
    ("public-domain", exact("LicenseRef-Public-Domain")),
    ("the unlicense", exact("Unlicense")),
    ("cc0", exact("CC0-1.0")),
    ("cc0 1.0", exact("CC0-1.0")),
];

/// How to read expressions: SPDX syntax, with the deprecated ids still accepted (rewritten by
/// [`canonical_expression`]), and nothing imprecise (the `spdx` crate's lax list maps `bsd` to
/// BSD-2-Clause and `gnu gpl v2` to GPL-3.0-only, which are guesses).
const PARSE_MODE: ParseMode = ParseMode {
    allow_slash_as_or_operator: false,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: false,
};

/// Why an expression or a list entry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid SPDX license expression: {reason}")]
pub struct LicenseError {
    pub text: String,
    pub reason: String,
}

impl LicenseError {
    fn new(text: &str, reason: impl Into<String>) -> Self {
        Self {
            text: text.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The canonical form of an SPDX expression: ids in their listed case, operators in capitals,
/// deprecated GNU ids rewritten (`GPL-2.0` → `GPL-2.0-only`, `GPL-2.0+` → `GPL-2.0-or-later`).
/// Errors on anything that is not an SPDX expression.
pub fn canonical_expression(text: &str) -> Result<String, LicenseError> {
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let mut words: Vec<String> = Vec::new();
    let mut after_with = false;
    for word in spaced.split_whitespace() {
        let upper = word.to_ascii_uppercase();
        let canonical = match upper.as_str() {
            "AND" | "OR" | "WITH" | "(" | ")" => upper.clone(),
            _ if starts_with_ignore_case(word, "LicenseRef-")
                || starts_with_ignore_case(word, "DocumentRef-")
                || starts_with_ignore_case(word, "AdditionRef-") =>
            {
                word.to_owned()
            }
            _ if after_with => exception_name(word)
                .ok_or_else(|| LicenseError::new(text, format!("unknown exception `{word}`")))?
                .to_owned(),
            _ => license_name(word)
                .ok_or_else(|| LicenseError::new(text, format!("unknown license id `{word}`")))?,
        };
        after_with = canonical == "WITH";
        words.push(canonical);
    }
    let joined = words.join(" ").replace("( ", "(").replace(" )", ")");
    // The crate checks the structure (operators between terms, balanced parentheses).
    Expression::parse_mode(&joined, PARSE_MODE)
        .map_err(|error| LicenseError::new(text, error.reason.to_string()))?;
    if joined.is_empty() {
        return Err(LicenseError::new(text, "it is empty"));
    }
    Ok(joined)
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// A license id in its canonical case, `+` kept (or turned into `-or-later` for GNU ids).
fn license_name(word: &str) -> Option<String> {
    let (base, plus) = match word.strip_suffix('+') {
        Some(base) => (base, true),
        None => (word, false),
    };
    let id = spdx::license_id(base).or_else(|| {
        spdx::identifiers::LICENSES
            .iter()
            .find(|license| license.name.eq_ignore_ascii_case(base))
            .and_then(|license| spdx::license_id(license.name))
    })?;
    if id.is_gnu() {
        let name = id.name;
        if name.ends_with("-or-later") {
            return (!plus).then(|| name.to_owned());
        }
        let stem = name.strip_suffix("-only").unwrap_or(name);
        // GNU ids come in `-only` / `-or-later` pairs; a bare deprecated one (`GPL-2.0`) or a
        // `+` picks between them. Ids without the pair (`GFDL-1.3-invariants-only`) stay.
        return match spdx::gnu_license_id(stem, plus) {
            Some(current) => Some(current.name.to_owned()),
            None if !plus => Some(name.to_owned()),
            None => None,
        };
    }
    Some(if plus {
        format!("{}+", id.name)
    } else {
        id.name.to_owned()
    })
}

fn exception_name(word: &str) -> Option<&'static str> {
    spdx::exception_id(word).map(|id| id.name).or_else(|| {
        spdx::identifiers::EXCEPTIONS
            .iter()
            .find(|exception| exception.name.eq_ignore_ascii_case(word))
            .map(|exception| exception.name)
    })
}

/// Lowercase, whitespace collapsed, trailing `.` dropped: the key of [`FREE_TEXT`].
fn free_text_key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_lowercase()
}

/// The mapping of one trove classifier; `None` when it is not a license classifier or is the
/// bare `License :: OSI Approved` category; `Some(None)` when it is a license that cannot be
/// mapped.
pub fn classifier_license(classifier: &str) -> Option<Option<Mapping>> {
    let classifier = classifier.trim();
    if !classifier.starts_with("License ::") || classifier == "License :: OSI Approved" {
        return None;
    }
    Some(
        CLASSIFIERS
            .iter()
            .find(|(known, _)| *known == classifier)
            .and_then(|(_, mapping)| *mapping),
    )
}

/// The mapping of a free-text `License` value: the table, else an SPDX expression as typed.
/// `None` when it cannot be read without guessing.
pub fn free_text_license(text: &str) -> Option<(String, Option<&'static str>)> {
    let key = free_text_key(text);
    if key.is_empty() {
        return None;
    }
    if let Some((_, mapping)) = FREE_TEXT.iter().find(|(known, _)| *known == key) {
        return mapping.map(|mapping| (mapping.expression.to_owned(), mapping.assumption));
    }
    // Long texts are usually the whole license; only a short value can be an expression.
    if text.len() > 200 || text.contains('\n') {
        return None;
    }
    canonical_expression(text.trim())
        .ok()
        .map(|expression| (expression, None))
}

/// The license of a release, read in the order of the module documentation.
pub fn normalise(declared: &DeclaredLicense<'_>, of_version: &str) -> LicenseInfo {
    let mut notes: Vec<String> = Vec::new();
    let known = |expression: String, source, raw: &str, assumption: Option<String>| LicenseInfo {
        expression: Some(expression),
        source,
        raw: raw.to_owned(),
        of_version: of_version.to_owned(),
        assumed: assumption.is_some(),
        note: assumption,
        read_from: LicenseOrigin::ProjectJson,
    };

    if let Some(text) = non_empty(declared.license_expression) {
        match canonical_expression(text) {
            Ok(expression) => return known(expression, LicenseSource::Pep639, text, None),
            Err(error) => notes.push(format!(
                "the PEP 639 License-Expression is invalid ({})",
                error.reason
            )),
        }
    }

    let license_classifiers: Vec<&str> = declared
        .classifiers
        .iter()
        .map(|classifier| classifier.trim())
        .filter(|classifier| classifier_license(classifier).is_some())
        .collect();
    if !license_classifiers.is_empty() {
        let mappings: Option<Vec<Mapping>> = license_classifiers
            .iter()
            .map(|classifier| classifier_license(classifier).flatten())
            .collect();
        let raw = license_classifiers.join("; ");
        // An assumed classifier reading yields to an exact free-text one (`Apache Software
        // License` with `License: Apache-2.0` is Apache-2.0, no assumption needed).
        let exact_free_text = non_empty(declared.license)
            .and_then(free_text_license)
            .filter(|(_, assumption)| assumption.is_none());
        let assumed_only = mappings
            .as_ref()
            .is_some_and(|mappings| mappings.iter().any(|mapping| mapping.assumption.is_some()));
        if let (true, Some(text), Some((expression, _))) =
            (assumed_only, non_empty(declared.license), exact_free_text)
        {
            return known(expression, LicenseSource::FreeText, text, None);
        }
        match mappings {
            Some(mut mappings) => {
                mappings.sort_by_key(|mapping| mapping.expression);
                mappings.dedup_by_key(|mapping| mapping.expression);
                let expression = mappings
                    .iter()
                    .map(|mapping| mapping.expression)
                    .collect::<Vec<_>>()
                    .join(" AND ");
                let assumption = mappings
                    .iter()
                    .find_map(|mapping| mapping.assumption)
                    .map(|why| format!("the classifier {why}"));
                return known(expression, LicenseSource::Classifier, &raw, assumption);
            }
            None => notes.push(format!(
                "no SPDX equivalent is certain for the classifiers `{raw}`"
            )),
        }
    }

    if let Some(text) = non_empty(declared.license) {
        match free_text_license(text) {
            Some((expression, assumption)) => {
                let assumption = assumption.map(|why| format!("the License field {why}"));
                return known(expression, LicenseSource::FreeText, text, assumption);
            }
            None => notes.push("the License field has no certain SPDX equivalent".to_owned()),
        }
    }

    let raw = non_empty(declared.license_expression)
        .or(non_empty(declared.license))
        .map(str::to_owned)
        .unwrap_or_else(|| license_classifiers.join("; "));
    if raw.is_empty() {
        notes.push("the release declares no license".to_owned());
    }
    LicenseInfo {
        expression: None,
        source: LicenseSource::Unknown,
        raw,
        of_version: of_version.to_owned(),
        assumed: false,
        note: Some(notes.join("; ")),
        read_from: LicenseOrigin::ProjectJson,
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// One entry of an allow or deny list: a license, optionally `WITH` an exception.
#[derive(Debug, Clone)]
pub struct LicenseTerm {
    text: String,
    requirement: LicenseReq,
}

impl LicenseTerm {
    /// Reads `MIT`, `gpl-2.0` (→ `GPL-2.0-only`), `GPL-2.0-only WITH Classpath-exception-2.0`,
    /// `LicenseRef-Public-Domain`.
    pub fn parse(text: &str) -> Result<Self, LicenseError> {
        let canonical = canonical_expression(text)?;
        let licensee = Licensee::parse_mode(&canonical, PARSE_MODE)
            .map_err(|error| LicenseError::new(text, error.reason.to_string()))?;
        Ok(Self {
            text: canonical,
            requirement: licensee.into_req(),
        })
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Parses a configured list (e.g. `[licenses] allow`), naming the first bad entry.
pub fn parse_terms<S: AsRef<str>>(entries: &[S]) -> Result<Vec<LicenseTerm>, LicenseError> {
    entries
        .iter()
        .map(|entry| LicenseTerm::parse(entry.as_ref()))
        .collect()
}

/// Whether a license expression is acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Allowed,
    /// The expression cannot be satisfied without a denied license; the denied terms.
    Denied {
        terms: Vec<String>,
    },
    /// The expression cannot be satisfied from the allow list; the terms that are not on it.
    NotAllowed {
        terms: Vec<String>,
    },
    /// Not an SPDX expression.
    Invalid {
        reason: String,
    },
}

/// Evaluates `expression` against the lists: `A OR B` is acceptable when either side is, `A AND
/// B` when both are. One term is acceptable when:
/// - the deny list has it exactly (with the same `WITH` exception, or none) → denied;
/// - the allow list has it exactly → allowed (more specific than a deny of the bare license);
/// - the deny list has its bare license → denied (`GPL-2.0-only` denies
///   `GPL-2.0-only WITH Classpath-exception-2.0` unless that form is allowed by name);
/// - the allow list has its bare license → allowed (an exception only adds permissions);
/// - an `-or-later` term (or `+`) is also allowed by a later or equal version of the same
///   license on the allow list (`GPL-2.0-or-later` by `GPL-3.0-only`);
/// - an empty allow list allows every term that is not denied.
pub fn allowed(expression: &str, allow: &[LicenseTerm], deny: &[LicenseTerm]) -> Verdict {
    let parsed = match canonical_expression(expression).and_then(|canonical| {
        Expression::parse_mode(&canonical, PARSE_MODE)
            .map_err(|error| LicenseError::new(expression, error.reason.to_string()))
    }) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Verdict::Invalid {
                reason: error.reason,
            };
        }
    };
    let judge = |requirement: &LicenseReq| term_verdict(requirement, allow, deny);
    match parsed.evaluate_with_failures(|requirement| judge(requirement) == TermVerdict::Allowed) {
        Ok(()) => Verdict::Allowed,
        Err(failures) => {
            let describe = |failure: &&ExpressionReq| failure.req.to_string();
            let denied: Vec<String> = failures
                .iter()
                .filter(|failure| judge(&failure.req) == TermVerdict::Denied)
                .map(describe)
                .collect();
            if denied.is_empty() {
                Verdict::NotAllowed {
                    terms: failures.iter().map(describe).collect(),
                }
            } else {
                Verdict::Denied { terms: denied }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TermVerdict {
    Allowed,
    Denied,
    NotAllowed,
}

fn term_verdict(
    requirement: &LicenseReq,
    allow: &[LicenseTerm],
    deny: &[LicenseTerm],
) -> TermVerdict {
    let exactly = |term: &LicenseTerm| {
        same_license(&term.requirement.license, &requirement.license)
            && term.requirement.addition == requirement.addition
    };
    let bare = |term: &LicenseTerm| {
        term.requirement.addition.is_none()
            && same_license(&term.requirement.license, &requirement.license)
    };
    let later = |term: &LicenseTerm| {
        term.requirement.addition.is_none()
            && covers_or_later(&term.requirement.license, &requirement.license)
    };
    if deny.iter().any(exactly) {
        TermVerdict::Denied
    } else if allow.iter().any(exactly) {
        TermVerdict::Allowed
    } else if deny.iter().any(bare) {
        TermVerdict::Denied
    } else if allow.iter().any(bare) || allow.iter().any(later) || allow.is_empty() {
        TermVerdict::Allowed
    } else {
        TermVerdict::NotAllowed
    }
}

/// The same license: the same SPDX id (the `+` of the expression aside), or the same ref.
fn same_license(term: &LicenseItem, requirement: &LicenseItem) -> bool {
    match (term, requirement) {
        (LicenseItem::Spdx { id: term, .. }, LicenseItem::Spdx { id: required, .. }) => {
            term == required
        }
        (LicenseItem::Other(term), LicenseItem::Other(required)) => term == required,
        _ => false,
    }
}

/// Whether an "or later" requirement (`X-or-later`, `X+`) can be met under `term`, a later or
/// equal version of the same license.
fn covers_or_later(term: &LicenseItem, requirement: &LicenseItem) -> bool {
    let (
        LicenseItem::Spdx { id: term, .. },
        LicenseItem::Spdx {
            id: required,
            or_later,
        },
    ) = (term, requirement)
    else {
        return false;
    };
    let Some(required_stem) = required
        .name
        .strip_suffix("-or-later")
        .or(or_later.then_some(required.name))
    else {
        return false;
    };
    let term_stem = term
        .name
        .strip_suffix("-only")
        .or_else(|| term.name.strip_suffix("-or-later"))
        .unwrap_or(term.name);
    match (
        family_and_version(term_stem),
        family_and_version(required_stem),
    ) {
        (Some((term_family, term_version)), Some((family, version))) => {
            term_family == family && term_version >= version
        }
        _ => false,
    }
}

/// `GPL-2.0` → (`GPL`, [2, 0]).
fn family_and_version(stem: &str) -> Option<(&str, Vec<u32>)> {
    let (family, version) = stem.rsplit_once('-')?;
    let numbers: Option<Vec<u32>> = version.split('.').map(|part| part.parse().ok()).collect();
    Some((family, numbers?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared<'a>(
        expression: Option<&'a str>,
        license: Option<&'a str>,
        classifiers: &'a [String],
    ) -> DeclaredLicense<'a> {
        DeclaredLicense {
            license_expression: expression,
            license,
            classifiers,
        }
    }

    fn terms(entries: &[&str]) -> Vec<LicenseTerm> {
        parse_terms(entries).unwrap()
    }

    fn free(text: &str) -> Option<String> {
        free_text_license(text).map(|(expression, _)| expression)
    }

    #[test]
    fn canonical_expressions() {
        assert_eq!(canonical_expression("MIT").unwrap(), "MIT");
        assert_eq!(
            canonical_expression("mit or apache-2.0").unwrap(),
            "MIT OR Apache-2.0"
        );
        assert_eq!(
            canonical_expression("(MIT AND BSD-3-Clause)").unwrap(),
            "(MIT AND BSD-3-Clause)"
        );
        assert_eq!(
            canonical_expression("GPL-2.0-only WITH Classpath-exception-2.0").unwrap(),
            "GPL-2.0-only WITH Classpath-exception-2.0"
        );
        // Deprecated GNU ids.
        assert_eq!(canonical_expression("GPL-2.0").unwrap(), "GPL-2.0-only");
        assert_eq!(
            canonical_expression("GPL-2.0+").unwrap(),
            "GPL-2.0-or-later"
        );
        assert_eq!(
            canonical_expression("LGPL-2.1+").unwrap(),
            "LGPL-2.1-or-later"
        );
        assert_eq!(canonical_expression("Apache-2.0+").unwrap(), "Apache-2.0+");
        assert_eq!(
            canonical_expression("LicenseRef-Public-Domain").unwrap(),
            "LicenseRef-Public-Domain"
        );
    }

    #[test]
    fn invalid_expressions() {
        for text in [
            "",
            "Apache 2",
            "MIT OR",
            "MIT AND (Apache-2.0",
            "MIT Apache-2.0",
            "GNU LGPL",
            "MIT WITH Nonsense-exception",
            "MIT/Apache-2.0",
        ] {
            assert!(canonical_expression(text).is_err(), "{text:?} was accepted");
            assert!(
                matches!(
                    allowed(text, &terms(&["MIT"]), &[]),
                    Verdict::Invalid { .. }
                ),
                "{text:?}"
            );
        }
    }

    #[test]
    fn free_text_spellings() {
        assert_eq!(free("MIT License").as_deref(), Some("MIT"));
        assert_eq!(free("  mit   LICENSE ").as_deref(), Some("MIT"));
        assert_eq!(free("MIT").as_deref(), Some("MIT"));
        assert_eq!(free("Apache 2.0").as_deref(), Some("Apache-2.0"));
        assert_eq!(free("Apache 2").as_deref(), Some("Apache-2.0"));
        assert_eq!(free("Apache-2.0").as_deref(), Some("Apache-2.0"));
        assert_eq!(
            free("Apache License, Version 2.0").as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(free("MPL-2.0").as_deref(), Some("MPL-2.0"));
        assert_eq!(free("GPL-2.0").as_deref(), Some("GPL-2.0-only"));
        assert_eq!(free("GPLv3+").as_deref(), Some("GPL-3.0-or-later"));
        assert_eq!(free("New BSD License").as_deref(), Some("BSD-3-Clause"));
        assert_eq!(
            free("Public domain").as_deref(),
            Some("LicenseRef-Public-Domain")
        );
        // Assumed variants are marked.
        assert_eq!(
            free_text_license("BSD"),
            Some(("BSD-3-Clause".to_owned(), Some(BSD_VARIANT)))
        );
        // Never guessed: versionless copyleft, unknown words, whole license texts.
        assert_eq!(free("GNU LGPL"), None);
        assert_eq!(free("GPL"), None);
        assert_eq!(free("Dual License"), None);
        assert_eq!(free("BSD-style"), None);
        assert_eq!(
            free("Copyright (c) 2020 Someone\n\nPermission is hereby granted"),
            None
        );
        assert_eq!(free(""), None);
    }

    #[test]
    fn sources_in_order() {
        let no_classifiers: Vec<String> = Vec::new();
        // PEP 639 first, even with other fields present.
        let mit_classifier = vec!["License :: OSI Approved :: Apache Software License".to_owned()];
        let info = normalise(
            &declared(Some("MIT"), Some("Apache"), &mit_classifier),
            "1.0",
        );
        assert_eq!(info.expression.as_deref(), Some("MIT"));
        assert_eq!(info.source, LicenseSource::Pep639);
        assert_eq!(info.raw, "MIT");
        assert_eq!(info.of_version, "1.0");
        assert!(!info.assumed);

        // Classifiers before free text.
        let bsd = vec![
            "Development Status :: 5 - Production/Stable".to_owned(),
            "License :: OSI Approved :: BSD License".to_owned(),
        ];
        let info = normalise(&declared(None, Some("whatever"), &bsd), "3.1.6");
        assert_eq!(info.expression.as_deref(), Some("BSD-3-Clause"));
        assert_eq!(info.source, LicenseSource::Classifier);
        assert_eq!(info.raw, "License :: OSI Approved :: BSD License");
        assert!(info.assumed);

        // An exact free text beats an assumed classifier.
        let apache = vec!["License :: OSI Approved :: Apache Software License".to_owned()];
        let info = normalise(&declared(None, Some("Apache-2.0"), &apache), "2.34.2");
        assert_eq!(info.expression.as_deref(), Some("Apache-2.0"));
        assert_eq!(info.source, LicenseSource::FreeText);
        assert!(!info.assumed);
        let info = normalise(&declared(None, Some("Apache"), &apache), "2.34.2");
        assert_eq!(info.source, LicenseSource::Classifier);
        assert!(info.assumed);

        // Free text.
        let info = normalise(
            &declared(None, Some("Apache-2.0"), &no_classifiers),
            "2.34.2",
        );
        assert_eq!(info.expression.as_deref(), Some("Apache-2.0"));
        assert_eq!(info.source, LicenseSource::FreeText);

        // Invalid PEP 639 falls through, with a note.
        let info = normalise(
            &declared(Some("MIT-ish"), Some("MIT License"), &no_classifiers),
            "1",
        );
        assert_eq!(info.expression.as_deref(), Some("MIT"));
        assert_eq!(info.source, LicenseSource::FreeText);

        // Nothing certain: unknown, raw kept.
        let lgpl = vec![
            "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)"
                .to_owned(),
        ];
        let info = normalise(&declared(None, Some("GNU LGPL"), &lgpl), "1.3.7");
        assert_eq!(info.expression, None);
        assert_eq!(info.source, LicenseSource::Unknown);
        assert_eq!(info.raw, "GNU LGPL");
        assert!(info.note.is_some());

        let info = normalise(&declared(None, None, &no_classifiers), "1");
        assert_eq!(info.source, LicenseSource::Unknown);
        assert_eq!(info.raw, "");
    }

    #[test]
    fn classifiers_join_with_and_and_refuse_partial_readings() {
        let dual = vec![
            "License :: OSI Approved :: MIT License".to_owned(),
            "License :: OSI Approved :: Apache Software License".to_owned(),
            "License :: OSI Approved".to_owned(),
        ];
        let info = normalise(&declared(None, None, &dual), "1");
        assert_eq!(info.expression.as_deref(), Some("Apache-2.0 AND MIT"));
        assert!(info.assumed);

        let partial = vec![
            "License :: OSI Approved :: MIT License".to_owned(),
            "License :: Other/Proprietary License".to_owned(),
        ];
        let info = normalise(&declared(None, None, &partial), "1");
        assert_eq!(info.expression, None);

        // Every mapped expression in the table is valid SPDX and already canonical.
        for (classifier, mapping) in CLASSIFIERS.iter().chain(FREE_TEXT) {
            if let Some(mapping) = mapping {
                assert_eq!(
                    canonical_expression(mapping.expression).as_deref(),
                    Ok(mapping.expression),
                    "{classifier}"
                );
            }
        }
        assert_eq!(
            classifier_license("License :: Public Domain"),
            Some(exact("LicenseRef-Public-Domain"))
        );
        assert_eq!(
            classifier_license("Development Status :: 7 - Inactive"),
            None
        );
    }

    #[test]
    fn or_needs_either_and_needs_both() {
        let allow = terms(&["MIT"]);
        assert_eq!(allowed("MIT OR Apache-2.0", &allow, &[]), Verdict::Allowed);
        assert_eq!(
            allowed("MIT AND Apache-2.0", &allow, &[]),
            Verdict::NotAllowed {
                terms: vec!["Apache-2.0".to_owned()]
            }
        );
        assert_eq!(
            allowed(
                "(MIT AND BSD-3-Clause)",
                &terms(&["MIT", "BSD-3-Clause"]),
                &[]
            ),
            Verdict::Allowed
        );
        assert_eq!(
            allowed("(MIT AND BSD-3-Clause) OR GPL-3.0-only", &allow, &[]),
            Verdict::NotAllowed {
                terms: vec!["BSD-3-Clause".to_owned(), "GPL-3.0-only".to_owned()]
            }
        );
    }

    #[test]
    fn deny_wins_only_where_the_expression_needs_it() {
        let deny = terms(&["GPL-3.0-only"]);
        // An OR lets the licensee pick the other side.
        assert_eq!(allowed("MIT OR GPL-3.0-only", &[], &deny), Verdict::Allowed);
        assert_eq!(
            allowed("MIT AND GPL-3.0-only", &[], &deny),
            Verdict::Denied {
                terms: vec!["GPL-3.0-only".to_owned()]
            }
        );
        // Deny beats allow for the same term.
        assert_eq!(
            allowed("GPL-3.0-only", &terms(&["GPL-3.0-only"]), &deny),
            Verdict::Denied {
                terms: vec!["GPL-3.0-only".to_owned()]
            }
        );
        // An empty allow list allows what is not denied.
        assert_eq!(allowed("Zlib", &[], &deny), Verdict::Allowed);
    }

    #[test]
    fn with_exceptions() {
        let expression = "GPL-2.0-only WITH Classpath-exception-2.0";
        // The bare license allowed: the exception only adds permissions.
        assert_eq!(
            allowed(expression, &terms(&["GPL-2.0-only"]), &[]),
            Verdict::Allowed
        );
        // The bare license denied: denied, unless the exact form is allowed by name.
        let deny = terms(&["GPL-2.0-only"]);
        assert!(matches!(
            allowed(expression, &[], &deny),
            Verdict::Denied { .. }
        ));
        assert_eq!(
            allowed(expression, &terms(&[expression]), &deny),
            Verdict::Allowed
        );
        // Allowing the exception form does not allow the bare license.
        assert!(matches!(
            allowed("GPL-2.0-only", &terms(&[expression]), &[]),
            Verdict::NotAllowed { .. }
        ));
        // A different exception is a different term.
        assert!(matches!(
            allowed(
                "GPL-2.0-only WITH GCC-exception-2.0",
                &terms(&[expression]),
                &[]
            ),
            Verdict::NotAllowed { .. }
        ));
    }

    #[test]
    fn deprecated_ids_and_or_later() {
        // `GPL-2.0` is the deprecated spelling of `GPL-2.0-only`, in lists and expressions.
        assert_eq!(
            allowed("GPL-2.0", &terms(&["GPL-2.0-only"]), &[]),
            Verdict::Allowed
        );
        assert_eq!(
            allowed("GPL-2.0-only", &terms(&["gpl-2.0"]), &[]),
            Verdict::Allowed
        );
        // `or-later` is met by the same or a later version.
        assert_eq!(
            allowed("GPL-2.0+", &terms(&["GPL-3.0-only"]), &[]),
            Verdict::Allowed
        );
        assert_eq!(
            allowed("GPL-2.0-or-later", &terms(&["GPL-2.0-only"]), &[]),
            Verdict::Allowed
        );
        assert!(matches!(
            allowed("GPL-3.0-or-later", &terms(&["GPL-2.0-only"]), &[]),
            Verdict::NotAllowed { .. }
        ));
        assert!(matches!(
            allowed("GPL-2.0-only", &terms(&["LGPL-2.1-only"]), &[]),
            Verdict::NotAllowed { .. }
        ));
        assert_eq!(
            allowed("Apache-2.0+", &terms(&["Apache-2.0"]), &[]),
            Verdict::Allowed
        );
        // `Apache 2` is not an SPDX id (the free-text table reads it, expressions do not).
        assert!(LicenseTerm::parse("Apache 2").is_err());
        assert!(parse_terms(&["MIT", "Nonsense-1.0"]).is_err());
    }

    #[test]
    fn license_refs() {
        let allow = terms(&["LicenseRef-Public-Domain"]);
        assert_eq!(
            allowed("LicenseRef-Public-Domain", &allow, &[]),
            Verdict::Allowed
        );
        assert!(matches!(
            allowed("LicenseRef-Public-Domain", &terms(&["MIT"]), &[]),
            Verdict::NotAllowed { .. }
        ));
    }
}

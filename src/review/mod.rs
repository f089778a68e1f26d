//! `pyaudit review`: what adding one package would bring in, and whether to let it in.
//!
//! - [`core_metadata`]: the `METADATA` file format (RFC 822 style headers).
//! - [`resolve`]: the closure of a request for a target Python and platform (an approximation
//!   of a resolver), as a plain `Lockfile` the graph and the policy read unchanged.
//! - [`verdict`]: approve / needs review / deny from the policy's report and what could not be
//!   resolved. Plain data in and out; no I/O, no printing.
//! - [`release_licenses`]: the license rules read each chosen release's own METADATA rather than
//!   the newest release's fields PyPI's project JSON carries.

pub mod cadence;
pub mod core_metadata;
pub mod resolve;

use serde::Serialize;

use crate::enrich::PackageKey;
use crate::enrich::license::{self, DeclaredLicense, LicenseOrigin};
use crate::enrich::metadata::{MetadataData, MetadataStatus};
use crate::findings::{Evidence, Level};
use crate::policy::LockReport;
use resolve::Resolution;

/// Replaces the license of each package in `metadata` whose chosen release's own core metadata
/// was read with that release's license (PEP 639 `License-Expression`, else the `License ::`
/// classifiers, else the free-text `License`, as [`license::normalise`] orders them), marked as
/// read from that METADATA file. PyPI's project JSON describes only the newest release, so
/// without this a review of an older release would judge the newest release's license.
/// Packages whose METADATA was not read keep the project JSON's license (and say so).
pub fn release_licenses(resolution: &Resolution, metadata: &mut MetadataData) {
    for (package, node) in resolution.lockfile.packages.iter().zip(&resolution.nodes) {
        let (Some(version), Some(fields)) = (&package.version, &node.release_license) else {
            continue;
        };
        let key = PackageKey::new(package.name.to_string(), version.clone());
        let Some(MetadataStatus::Available(facts)) = metadata.packages.get_mut(&key) else {
            continue;
        };
        let mut read = license::normalise(
            &DeclaredLicense {
                license_expression: fields.license_expression.as_deref(),
                license: fields.license.as_deref(),
                classifiers: &fields.classifiers,
            },
            &crate::lockfile::version_text(version),
        );
        read.read_from = LicenseOrigin::ReleaseMetadata {
            url: fields.metadata_url.clone(),
        };
        facts.license = Some(read);
    }
}

/// The decision, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Deny,
    /// Nothing to deny, but a package in the closure could not be checked (PA001/PA004 at deny
    /// level): the review itself is incomplete, which no reviewer can approve (exit 2).
    Incomplete,
    NeedsReview,
    Approve,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Deny => "deny",
            Decision::Incomplete => "incomplete",
            Decision::NeedsReview => "needs-review",
            Decision::Approve => "approve",
        }
    }
}

/// A decision and every reason for it (empty for approve).
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub reasons: Vec<String>,
}

/// The verdict:
/// - **deny** when a finding is at deny level (a vulnerability, a malicious package, a banned
///   or non-allowed license, … as the policy's levels say);
/// - **needs review** when a finding is at warn level, or anything could not be checked (a
///   package without advisory or PyPI data, a requirement that did not resolve, a package whose
///   dependencies are unknown, a package that cannot be matched by version) — whatever its level,
///   a "could not check" finding never denies and never approves;
/// - **approve** otherwise.
pub fn verdict(report: &LockReport, resolution: &Resolution) -> Verdict {
    let mut deny = Vec::new();
    let mut review = Vec::new();
    for finding in &report.findings {
        let subject = match &finding.package.version {
            Some(version) => format!("{}=={version}", finding.package.name),
            None => finding.package.name.clone(),
        };
        let line = format!("{} {subject}: {}", finding.code, finding.message);
        match (&finding.evidence, finding.level) {
            (Evidence::Unchecked { .. }, Level::Deny | Level::Warn) => {
                review.push(format!("not checked — {line}"))
            }
            (_, Level::Deny) => deny.push(line),
            (_, Level::Warn) => review.push(line),
            (_, Level::Allow) => {}
        }
    }
    for entry in &resolution.unresolved {
        review.push(format!(
            "unresolved `{}` (required by {}): {}",
            entry.requirement, entry.required_by, entry.reason
        ));
    }
    for entry in &report.not_audited {
        review.push(format!("not audited {}: {}", entry.name, entry.reason));
    }
    if resolution.reviewed().is_none() {
        review.push(format!(
            "`{}` itself did not resolve: nothing was evaluated",
            resolution.request
        ));
    }
    if !deny.is_empty() {
        deny.extend(review);
        Verdict {
            decision: Decision::Deny,
            reasons: deny,
        }
    } else if report.incomplete() {
        Verdict {
            decision: Decision::Incomplete,
            reasons: review,
        }
    } else if !review.is_empty() {
        Verdict {
            decision: Decision::NeedsReview,
            reasons: review,
        }
    } else {
        Verdict {
            decision: Decision::Approve,
            reasons: Vec::new(),
        }
    }
}

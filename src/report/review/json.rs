//! `pyaudit review --format json`: the versioned document `pyaudit-review/1` (docs/json.md).
//! Fields are only ever added within a schema version.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{APPROXIMATION_NOTE, PackageFacts, Review, TreeLine, package_facts, tree_lines};
use crate::enrich::DataSource;
use crate::findings::Finding;
use crate::policy::NotAudited;
use crate::review::Decision;
use crate::review::resolve::Unresolved;

pub const REVIEW_SCHEMA: &str = "pyaudit-review/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    request: &'a str,
    /// The reviewed package as resolved (`null` when it did not resolve).
    package: Option<Reviewed>,
    target: Target<'a>,
    verdict: Decision,
    reasons: &'a [String],
    resolution: Resolution<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    against: Option<Against>,
    findings: &'a [Finding],
    not_audited: &'a [NotAudited],
    sources: &'a [DataSource],
    warnings: &'a [String],
}

#[derive(Serialize)]
struct Reviewed {
    name: String,
    version: Option<String>,
}

#[derive(Serialize)]
struct Target<'a> {
    python: &'a str,
    platform: &'static str,
    markers: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct Resolution<'a> {
    note: &'static str,
    packages: Vec<PackageFacts>,
    tree: Vec<TreeLine>,
    unresolved: &'a [Unresolved],
}

#[derive(Serialize)]
struct Against {
    path: String,
    new: Vec<String>,
    already_locked: Vec<String>,
}

pub fn render(review: &Review<'_>) -> String {
    let packages = package_facts(review);
    let against = review.against.map(|path| {
        let label = |fact: &PackageFacts| format!("{}=={}", fact.name, fact.version);
        Against {
            path: path.display().to_string(),
            new: packages
                .iter()
                .filter(|fact| !fact.already_locked)
                .map(label)
                .collect(),
            already_locked: packages
                .iter()
                .filter(|fact| fact.already_locked)
                .map(label)
                .collect(),
        }
    });
    let document = Document {
        schema: REVIEW_SCHEMA,
        request: &review.resolution.request,
        package: review.resolution.reviewed().map(|package| Reviewed {
            name: package.name.to_string(),
            version: package.version.as_ref().map(ToString::to_string),
        }),
        target: Target {
            python: &review.environment.python_version,
            platform: review.environment.platform.as_str(),
            markers: review.environment.marker_values(),
        },
        verdict: review.verdict.decision,
        reasons: &review.verdict.reasons,
        resolution: Resolution {
            note: APPROXIMATION_NOTE,
            packages,
            tree: tree_lines(review.graph),
            unresolved: &review.resolution.unresolved,
        },
        against,
        findings: &review.report.findings,
        not_audited: &review.report.not_audited,
        sources: &review.data.sources,
        warnings: &review.data.warnings,
    };
    match serde_json::to_string_pretty(&document) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // Every field serializes; this only guards against a future type that cannot.
        Err(error) => format!("{{\"schema\": \"{REVIEW_SCHEMA}\", \"error\": \"{error}\"}}\n"),
    }
}

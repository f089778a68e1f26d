//! PA401–PA406: where packages come from and whether the lock pins them — git, URL and local
//! sources, indexes off the allow list, unpinned requirements, missing hashes.

use crate::config::normalize_index_url;
use crate::findings::{
    Evidence, Finding, Fix, GIT_SOURCE, INDEX_NOT_ALLOWED, LOCAL_SOURCE, MISSING_HASHES, Rule,
    UNPINNED_REQUIREMENT, URL_SOURCE,
};
use crate::graph::Graph;
use crate::lockfile::{LockfileKind, Source};

use super::fix::{FixStyle, upgrade_fix};
use super::{AuditPlan, PolicySettings, context};

/// Where a registry package comes from when the lock does not say: PyPI.
const DEFAULT_INDEX: &str = "https://pypi.org/simple";

pub(super) fn evaluate(graph: &Graph, plan: &AuditPlan, settings: &PolicySettings) -> Vec<Finding> {
    let mut findings = Vec::new();
    let policy = &settings.sources;
    // Requirements files: `--extra-index-url` makes every package installable from that index
    // too (pip picks the highest version across indexes: dependency confusion).
    let extra_indexes: Vec<(String, String)> = graph
        .lockfile
        .options
        .iter()
        .filter(|option| option.name == "--extra-index-url")
        .filter_map(|option| {
            option
                .value
                .as_ref()
                .map(|url| (url.clone(), option.location.to_string()))
        })
        .collect();
    // Few distinct index URLs, many packages: each URL is judged once.
    let mut allowed_cache: std::collections::HashMap<String, bool> = Default::default();
    let mut index_allowed = |url: &str| -> bool {
        if let Some(&allowed) = allowed_cache.get(url) {
            return allowed;
        }
        let allowed = policy.allowed_indexes.contains(&normalize_index_url(url));
        allowed_cache.insert(url.to_string(), allowed);
        allowed
    };
    for &index in &plan.in_scope {
        let package = graph.package(index);
        let mut push = |rule: &Rule, message: String, evidence: Evidence, fix: Fix| {
            if settings.enabled(rule) {
                findings.push(Finding {
                    code: rule.code,
                    rule: rule.name,
                    level: rule.default_level,
                    package: context(graph, index),
                    message,
                    evidence,
                    fix: Some(fix),
                });
            }
        };
        let name = package.name.as_ref();
        let label = || match &package.version {
            Some(version) => format!("{name}=={}", crate::lockfile::version_text(version)),
            None => name.to_string(),
        };
        let evidence = |location: &str| Evidence::Source {
            source: package.source.kind().to_string(),
            location: location.to_string(),
        };
        match &package.source {
            Source::Git { url, reference } => {
                let pinned = reference.as_deref().is_some_and(is_commit);
                push(
                    &GIT_SOURCE,
                    format!(
                        "{} is installed from git {url}{}",
                        label(),
                        match (reference, pinned) {
                            (Some(reference), true) => format!(" at commit {reference}"),
                            (Some(reference), false) =>
                                format!(" at `{reference}`, which can move"),
                            (None, _) => " with no commit pinned".to_string(),
                        }
                    ),
                    evidence(url),
                    Fix {
                        version: None,
                        description: format!(
                            "depend on a released version of `{name}` from the index, or pin a \
                             full commit hash"
                        ),
                        command: None,
                    },
                );
            }
            Source::Url { url } => push(
                &URL_SOURCE,
                format!("{} is installed from the URL {url}", label()),
                evidence(url),
                Fix {
                    version: None,
                    description: format!(
                        "depend on `{name}` from the index, or record the archive's hash"
                    ),
                    command: None,
                },
            ),
            Source::Path { path } | Source::Directory { path } | Source::Editable { path } => push(
                &LOCAL_SOURCE,
                format!(
                    "{} is installed from the local {} `{path}`",
                    label(),
                    match &package.source {
                        Source::Editable { .. } => "path in editable mode",
                        Source::Path { .. } => "archive",
                        _ => "directory",
                    }
                ),
                evidence(path),
                Fix {
                    version: None,
                    description: format!(
                        "publish `{name}` to your index, or make it a workspace member"
                    ),
                    command: None,
                },
            ),
            Source::Virtual { .. } => {}
            Source::Registry { url } => {
                if !policy.allowed_indexes.is_empty() {
                    let index_url = url.as_deref().unwrap_or(DEFAULT_INDEX);
                    let mut offending: Vec<(String, Option<String>)> = Vec::new();
                    if !index_allowed(index_url) {
                        offending.push((index_url.to_string(), None));
                    }
                    for (extra, place) in &extra_indexes {
                        if !index_allowed(extra) {
                            offending.push((extra.clone(), Some(place.clone())));
                        }
                    }
                    for (offending_url, place) in offending {
                        push(
                            &INDEX_NOT_ALLOWED,
                            match &place {
                                None => format!(
                                    "{} comes from the index {offending_url}, which is not \
                                     on `[sources] allowed-indexes`",
                                    label()
                                ),
                                Some(place) => format!(
                                    "{} may be installed from the extra index \
                                     {offending_url} ({place}), which is not on `[sources] \
                                     allowed-indexes`",
                                    label()
                                ),
                            },
                            evidence(&offending_url),
                            Fix {
                                version: None,
                                description: "resolve from an allowed index, or add the index \
                                              to `[sources] allowed-indexes`"
                                    .to_string(),
                                command: None,
                            },
                        );
                    }
                }
                if package.version.is_none() {
                    let specifier = package.specifier.as_deref().unwrap_or("any version");
                    push(
                        &UNPINNED_REQUIREMENT,
                        format!(
                            "{name} is not pinned (`{specifier}`): any matching version installs"
                        ),
                        evidence(url.as_deref().unwrap_or(DEFAULT_INDEX)),
                        Fix {
                            version: None,
                            description: "compile the requirements into a lock with exact pins"
                                .to_string(),
                            command: Some(
                                "uv pip compile requirements.in -o requirements.txt".to_string(),
                            ),
                        },
                    );
                } else if policy.require_hashes && package.hashes == 0 {
                    let mut fix =
                        upgrade_fix(graph, index, None, "the same version", settings.fix_style);
                    fix.description = format!("record hashes for `{name}`");
                    fix.command = match (settings.fix_style, graph.lockfile.kind) {
                        // A review has no lock yet: the hashes go in the lock it is added to.
                        (FixStyle::Review, _) => {
                            fix.description =
                                format!("record hashes for `{name}` in the lock you add it to");
                            None
                        }
                        (FixStyle::Lockfile, LockfileKind::Requirements) => Some(
                            "uv pip compile --generate-hashes (or pip-compile --generate-hashes)"
                                .to_string(),
                        ),
                        (FixStyle::Lockfile, LockfileKind::UvLock) => Some("uv lock".to_string()),
                        (FixStyle::Lockfile, LockfileKind::PoetryLock) => {
                            Some("poetry lock".to_string())
                        }
                        (FixStyle::Lockfile, LockfileKind::PdmLock) => Some("pdm lock".to_string()),
                        (FixStyle::Lockfile, LockfileKind::PipfileLock) => {
                            Some("pipenv lock".to_string())
                        }
                        (FixStyle::Lockfile, LockfileKind::Pylock | LockfileKind::Installed) => {
                            None
                        }
                    };
                    push(
                        &MISSING_HASHES,
                        format!("{}: the lock records no hash for any of its files", label()),
                        evidence(url.as_deref().unwrap_or(DEFAULT_INDEX)),
                        fix,
                    );
                }
            }
        }
    }
    findings
}

/// A full (or abbreviated, ≥ 7 hex digits) commit hash, not a branch or tag name.
fn is_commit(reference: &str) -> bool {
    reference.len() >= 7
        && reference.len() <= 40
        && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

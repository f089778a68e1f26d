//! PA004 unchecked-metadata and the PA2xx maintenance and release rules, from PyPI metadata:
//! yanked versions, PEP 792 project status, unmaintained and inactive projects, versions far
//! behind, and the supply-chain cooldown for new releases and new projects.

use std::time::Duration;

use pyaudit_cache::Timestamp;

use crate::config::MaintenancePolicy;
use crate::enrich::PackageKey;
use crate::enrich::metadata::{
    MetadataData, MetadataStatus, PackageMetadata, ProjectStatusInfo, YankInfo,
};
use crate::findings::{
    ARCHIVED_PROJECT, DEPRECATED_PROJECT, Evidence, Fact, Finding, Fix, INACTIVE_PROJECT,
    NEW_PROJECT, OUTDATED_VERSION, QUARANTINED_PROJECT, RECENT_RELEASE, Rule, UNCHECKED_METADATA,
    UNLISTED_VERSION, UNMAINTAINED_PROJECT, YANKED_VERSION,
};
use crate::graph::Graph;
use crate::time::date_from_unix_millis;

use super::fix::{removal_fix, upgrade_fix};
use super::{AuditPlan, PolicySettings, context};

const DAY: u64 = 86_400;

pub(super) fn evaluate(
    graph: &Graph,
    plan: &AuditPlan,
    data: &MetadataData,
    settings: &PolicySettings,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let now = settings.now;
    let limits = &settings.maintenance;
    for (index, key) in &plan.targets {
        let metadata = match data.packages.get(key) {
            Some(MetadataStatus::Available(metadata)) => metadata,
            unavailable => {
                if settings.enabled(&UNCHECKED_METADATA) {
                    let reason = match unavailable {
                        Some(MetadataStatus::Unavailable { reason }) => reason.clone(),
                        _ => "no PyPI metadata was collected for this package".to_string(),
                    };
                    findings.push(Finding {
                        code: UNCHECKED_METADATA.code,
                        rule: UNCHECKED_METADATA.name,
                        level: UNCHECKED_METADATA.default_level,
                        package: context(graph, *index),
                        message: format!(
                            "{key}: maintenance, release and license rules could not run: {reason}"
                        ),
                        evidence: Evidence::Unchecked { reason },
                        fix: Some(Fix {
                            version: None,
                            description: "retry when PyPI is reachable (a run online fills the \
                                          cache for `--offline`)"
                                .to_string(),
                            command: None,
                        }),
                    });
                }
                continue;
            }
        };
        // A status that could not be read is not "active": with a status rule on, the package
        // is unchecked for it (the rules that read the release list, from the JSON API when the
        // Simple API could not answer, still ran).
        if let ProjectStatusInfo::Unknown { reason } = &metadata.project_status
            && [&QUARANTINED_PROJECT, &ARCHIVED_PROJECT, &DEPRECATED_PROJECT]
                .iter()
                .any(|rule| settings.enabled(rule))
            && settings.enabled(&UNCHECKED_METADATA)
        {
            findings.push(Finding {
                code: UNCHECKED_METADATA.code,
                rule: UNCHECKED_METADATA.name,
                level: UNCHECKED_METADATA.default_level,
                package: context(graph, *index),
                message: format!(
                    "{key}: the project's PEP 792 status (archived, deprecated, quarantined) could \
                     not be checked: {reason}"
                ),
                evidence: Evidence::Unchecked {
                    reason: reason.clone(),
                },
                fix: Some(Fix {
                    version: None,
                    description: "retry when PyPI's Simple API is reachable".to_string(),
                    command: None,
                }),
            });
        }
        let mut push = |rule: &Rule, message: String, facts: Vec<Fact>, fix: Fix| {
            if settings.enabled(rule) {
                findings.push(Finding {
                    code: rule.code,
                    rule: rule.name,
                    level: rule.default_level,
                    package: context(graph, *index),
                    message,
                    evidence: Evidence::Metadata {
                        facts,
                        as_of: metadata.as_of.unix_millis(),
                    },
                    fix: Some(fix),
                });
            }
        };
        let upgrade = |fallback: &str| {
            upgrade_fix(
                graph,
                *index,
                metadata.newest_version.as_ref().map(ToString::to_string),
                fallback,
                settings.fix_style,
            )
        };

        if let Some(yank) = &metadata.yanked {
            let mut facts = vec![Fact::new("yanked", &key.version)];
            if let Some(reason) = &yank.reason {
                facts.push(Fact::new("yank_reason", reason));
            }
            push(
                &YANKED_VERSION,
                yanked_message(key, yank),
                facts,
                upgrade("a release that is not yanked"),
            );
        }
        if !metadata.locked_version_listed && metadata.yanked.is_none() {
            push(
                &UNLISTED_VERSION,
                format!("{key} is not among the releases the index lists"),
                newest_facts(metadata),
                upgrade("a listed release"),
            );
        }
        if let ProjectStatusInfo::Reported { status, reason } = &metadata.project_status
            && let Some(rule) = status_rule(status)
        {
            let mut facts = vec![Fact::new("project_status", status)];
            if let Some(reason) = reason {
                facts.push(Fact::new("status_reason", reason));
            }
            push(
                rule,
                status_message(key, status, reason.as_deref()),
                facts,
                removal_fix(
                    graph,
                    *index,
                    if status == "quarantined" {
                        "remove"
                    } else {
                        "replace"
                    },
                    settings.fix_style,
                ),
            );
        }
        if let (Some(true), Some(last)) = (
            metadata.is_stale(now, Duration::from_secs(limits.max_age_days * DAY)),
            metadata.last_upload_time,
        ) {
            push(
                &UNMAINTAINED_PROJECT,
                unmaintained_message(key, last, now, limits.max_age_days),
                vec![
                    Fact::new("last_upload", date_from_unix_millis(last.unix_millis())),
                    Fact::new("max_age_days", limits.max_age_days),
                ],
                removal_fix(
                    graph,
                    *index,
                    "find a maintained replacement for",
                    settings.fix_style,
                ),
            );
        }
        if metadata.classifiers_inactive == Some(true) {
            push(
                &INACTIVE_PROJECT,
                inactive_message(key, metadata),
                vec![
                    Fact::new("classifier", "Development Status :: 7 - Inactive"),
                    Fact::new("of_version", metadata.info_version.as_deref().unwrap_or("")),
                ],
                removal_fix(graph, *index, "plan a replacement for", settings.fix_style),
            );
        }
        if let Some(newest) = &metadata.newest_version
            && *newest > key.version
        {
            let majors = metadata.major_versions_behind(&key.version).unwrap_or(0);
            let days_behind = metadata.days_behind().unwrap_or(0);
            if majors >= limits.max_major_behind.max(1) || days_behind >= limits.max_days_behind {
                let mut facts = newest_facts(metadata);
                facts.push(Fact::new("major_versions_behind", majors));
                facts.push(Fact::new("days_behind", days_behind));
                push(
                    &OUTDATED_VERSION,
                    format!(
                        "{key} is {majors} major version(s) and {days_behind} days behind {newest} \
                         (limits: {} majors, {} days)",
                        limits.max_major_behind, limits.max_days_behind
                    ),
                    facts,
                    upgrade("the newest release"),
                );
            }
        }
        if let (Some(true), Some(uploaded)) = (
            metadata.locked_release_too_new(now, Duration::from_secs(limits.cooldown_days * DAY)),
            metadata.locked_upload_time,
        ) {
            push(
                &RECENT_RELEASE,
                format!(
                    "{key} was uploaded {} ({} days ago); the cooldown is {} days",
                    date_from_unix_millis(uploaded.unix_millis()),
                    days(uploaded, now),
                    limits.cooldown_days
                ),
                vec![
                    Fact::new("uploaded", date_from_unix_millis(uploaded.unix_millis())),
                    Fact::new("cooldown_days", limits.cooldown_days),
                ],
                Fix {
                    version: None,
                    description: format!(
                        "lock the previous release of `{}` until the cooldown has passed",
                        key.name
                    ),
                    command: None,
                },
            );
        }
        if let (Some(true), Some(first)) = (
            metadata.project_too_new(now, Duration::from_secs(limits.new_project_days * DAY)),
            metadata.first_upload_time,
        ) {
            push(
                &NEW_PROJECT,
                format!(
                    "`{}` first appeared on the index {} ({} days ago); new projects wait {} days",
                    key.name,
                    date_from_unix_millis(first.unix_millis()),
                    days(first, now),
                    limits.new_project_days
                ),
                vec![
                    Fact::new("first_upload", date_from_unix_millis(first.unix_millis())),
                    Fact::new("new_project_days", limits.new_project_days),
                ],
                Fix {
                    version: None,
                    description: format!(
                        "check who publishes `{}` and why it is needed, then ignore it with a reason",
                        key.name
                    ),
                    command: None,
                },
            );
        }
    }
    findings
}

/// A maintenance problem of one package read from its metadata alone — yanked, quarantined,
/// archived, deprecated, unmaintained (no upload for `limits.max_age_days`), inactive — with the
/// message its rule (PA201–PA206) would give. `pyaudit org`'s census lists these whatever levels
/// a repository sets for the rules.
#[derive(Debug, Clone)]
pub struct MaintenanceProblem {
    pub rule: &'static Rule,
    pub message: String,
}

pub fn census_problems(
    key: &PackageKey,
    metadata: &PackageMetadata,
    limits: &MaintenancePolicy,
    now: Timestamp,
) -> Vec<MaintenanceProblem> {
    let mut problems = Vec::new();
    let mut push = |rule: &'static Rule, message: String| {
        problems.push(MaintenanceProblem { rule, message });
    };
    if let Some(yank) = &metadata.yanked {
        push(&YANKED_VERSION, yanked_message(key, yank));
    }
    if let ProjectStatusInfo::Reported { status, reason } = &metadata.project_status
        && let Some(rule) = status_rule(status)
    {
        push(rule, status_message(key, status, reason.as_deref()));
    }
    if let (Some(true), Some(last)) = (
        metadata.is_stale(now, Duration::from_secs(limits.max_age_days * DAY)),
        metadata.last_upload_time,
    ) {
        push(
            &UNMAINTAINED_PROJECT,
            unmaintained_message(key, last, now, limits.max_age_days),
        );
    }
    if metadata.classifiers_inactive == Some(true) {
        push(&INACTIVE_PROJECT, inactive_message(key, metadata));
    }
    problems
}

fn yanked_message(key: &PackageKey, yank: &YankInfo) -> String {
    format!(
        "{key} is yanked{}",
        yank.reason
            .as_ref()
            .map(|reason| format!(": {reason}"))
            .unwrap_or_default()
    )
}

fn status_rule(status: &str) -> Option<&'static Rule> {
    match status {
        "quarantined" => Some(&QUARANTINED_PROJECT),
        "archived" => Some(&ARCHIVED_PROJECT),
        "deprecated" => Some(&DEPRECATED_PROJECT),
        _ => None,
    }
}

fn status_message(key: &PackageKey, status: &str, reason: Option<&str>) -> String {
    format!(
        "`{}` is {status} on the index{}",
        key.name,
        reason
            .map(|reason| format!(": {reason}"))
            .unwrap_or_default()
    )
}

fn unmaintained_message(key: &PackageKey, last: Timestamp, now: Timestamp, limit: u64) -> String {
    format!(
        "`{}` has had no upload for {} days (since {}); the limit is {limit} days",
        key.name,
        days(last, now),
        date_from_unix_millis(last.unix_millis()),
    )
}

fn inactive_message(key: &PackageKey, metadata: &PackageMetadata) -> String {
    format!(
        "`{}` declares `Development Status :: 7 - Inactive` (release {})",
        key.name,
        metadata.info_version.as_deref().unwrap_or("newest")
    )
}

fn newest_facts(metadata: &PackageMetadata) -> Vec<Fact> {
    let mut facts = Vec::new();
    if let Some(newest) = &metadata.newest_version {
        facts.push(Fact::new("newest_version", newest));
    }
    if let Some(uploaded) = metadata.newest_upload_time {
        facts.push(Fact::new(
            "newest_uploaded",
            date_from_unix_millis(uploaded.unix_millis()),
        ));
    }
    facts
}

fn days(then: Timestamp, now: Timestamp) -> u64 {
    now.duration_since(then).as_secs() / DAY
}

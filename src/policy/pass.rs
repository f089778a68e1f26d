//! The one rule pass every finding goes through, whichever rule family produced it: the level
//! the config and command line give, the severity threshold, the unchecked switches, the
//! config's ignores (with expiry), and the order every reporter shows.

use crate::config::Ignore;
use crate::findings::{Evidence, Finding, Level, UNCHECKED_METADATA, UNCHECKED_PACKAGE};
use crate::lockfile::normalize_extra;

use super::{IgnoredFinding, PolicySettings, vulnerabilities};

/// Settle raw findings (each at its rule's default level) into what the report shows and what
/// an ignore suppressed.
pub fn settle(
    mut findings: Vec<Finding>,
    settings: &PolicySettings,
) -> (Vec<Finding>, Vec<IgnoredFinding>) {
    for finding in &mut findings {
        set_level(finding, settings);
    }
    let today = settings.today();
    let mut ignored = Vec::new();
    findings.retain(
        |finding| match active_ignore(finding, &settings.ignores, today) {
            Some(ignore) => {
                ignored.push(IgnoredFinding {
                    code: finding.code,
                    package: finding.package.name.clone(),
                    version: finding.package.version.clone(),
                    id: match &finding.evidence {
                        Evidence::Vulnerability { vulnerability } => Some(vulnerability.id.clone()),
                        _ => None,
                    },
                    reason: ignore.reason.clone(),
                    ignore: ignore.location.clone(),
                });
                false
            }
            None => finding.level != Level::Allow,
        },
    );
    sort_findings(&mut findings);
    (findings, ignored)
}

/// The level a finding runs at once every setting has had its say.
fn set_level(finding: &mut Finding, settings: &PolicySettings) {
    if let Some(level) = settings.levels.get(finding.code) {
        finding.level = *level;
    }
    vulnerabilities::apply_threshold(finding, &settings.vulnerabilities);
    // `--allow-unchecked` is the command line's word, so it wins over the config file. Offline,
    // missing metadata is what the cache lacks: a warning, not a failed audit.
    let downgrade = match finding.code {
        code if code == UNCHECKED_METADATA.code => settings.allow_unchecked || settings.offline,
        code if code == UNCHECKED_PACKAGE.code => settings.allow_unchecked,
        _ => false,
    };
    if downgrade && finding.level == Level::Deny {
        finding.level = Level::Warn;
    }
}

/// The first ignore that applies to `finding` and has not expired.
fn active_ignore<'a>(finding: &Finding, ignores: &'a [Ignore], today: i64) -> Option<&'a Ignore> {
    ignores
        .iter()
        .find(|ignore| !is_expired(ignore, today) && ignore_matches(ignore, finding))
}

pub fn is_expired(ignore: &Ignore, today: i64) -> bool {
    ignore
        .until
        .as_ref()
        .is_some_and(|(_, last_day)| today > *last_day)
}

/// An ignore matches by rule, package (PEP 503 names on both sides) and vulnerability id, each
/// only when the ignore gives it; an id matches a vulnerability's id or any alias.
pub fn ignore_matches(ignore: &Ignore, finding: &Finding) -> bool {
    if let Some(rule) = ignore.rule
        && rule != finding.code
    {
        return false;
    }
    if let Some(package) = &ignore.package
        && *package != normalize_extra(&finding.package.name)
    {
        return false;
    }
    match (&ignore.id, &finding.evidence) {
        (None, _) => true,
        (Some(id), Evidence::Vulnerability { vulnerability }) => vulnerability
            .ids
            .iter()
            .chain(std::iter::once(&vulnerability.id))
            .any(|known| known.eq_ignore_ascii_case(id)),
        (Some(_), _) => false,
    }
}

/// Deny before warn, then most severe first, then by package, rule and evidence: the order every
/// reporter shows.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|left, right| {
        (
            left.level,
            severity_rank(right),
            &left.package.name,
            &left.package.version,
            left.code,
        )
            .cmp(&(
                right.level,
                severity_rank(left),
                &right.package.name,
                &right.package.version,
                right.code,
            ))
            .then_with(|| left.evidence.key().cmp(&right.evidence.key()))
    });
}

/// Higher is more severe; used to sort descending.
fn severity_rank(finding: &Finding) -> u32 {
    match &finding.evidence {
        Evidence::Vulnerability { vulnerability } => {
            if vulnerability.malicious {
                return 1_000;
            }
            vulnerability.severity.as_ref().map_or(0, |severity| {
                // Rating first: a database label without a score still outranks a lower rating.
                (severity.rating as u32 + 1) * 100
                    + severity.score.map_or(0, |score| (score * 10.0) as u32)
            })
        }
        _ => 0,
    }
}

//! PA002 expired-ignore and PA003 unused-ignore: ignores in the config that no longer say what
//! the team believes. Judged over the whole run (an ignore is unused only if no lockfile of the
//! run matched it), so this runs after every lockfile's evaluation.

use crate::config::Ignore;
use crate::findings::{
    EXPIRED_IGNORE, Evidence, Finding, Fix, PackageContext, Rule, UNUSED_IGNORE,
};
use crate::graph::Class;

use super::{IgnoredFinding, PolicySettings, is_expired};

/// Findings about the config's ignores, given every finding the run's ignores suppressed.
pub fn stale_ignores(ignored: &[&IgnoredFinding], settings: &PolicySettings) -> Vec<Finding> {
    let today = settings.today();
    let mut findings = Vec::new();
    for ignore in &settings.ignores {
        let what = describe(ignore);
        let (rule, message, fix): (&Rule, String, &str) = if let Some((until, _)) =
            ignore.until.as_ref().filter(|_| is_expired(ignore, today))
        {
            (
                &EXPIRED_IGNORE,
                format!("the ignore of {what} expired on {until}; its findings are reported again"),
                "fix what the ignore covered, or move `until` forward with a reason",
            )
        } else if !ignored.iter().any(|found| found.ignore == ignore.location) {
            (
                &UNUSED_IGNORE,
                format!("the ignore of {what} matched no finding"),
                "remove the ignore",
            )
        } else {
            continue;
        };
        let level = settings.level(rule);
        if level == crate::findings::Level::Allow {
            continue;
        }
        findings.push(Finding {
            code: rule.code,
            rule: rule.name,
            level,
            package: PackageContext {
                name: ignore
                    .package
                    .clone()
                    .or_else(|| ignore.id.clone())
                    .unwrap_or_else(|| ignore.rule.unwrap_or_default().to_string()),
                version: None,
                class: Class::Prod,
                direct: false,
                path: Vec::new().into(),
                // The config line is what the finding is about: SARIF points there.
                location: Some(ignore.location.clone()),
            },
            message,
            evidence: Evidence::Config {
                location: ignore.location.clone(),
                reason: Some(ignore.reason.clone()),
            },
            fix: Some(Fix {
                version: None,
                description: fix.to_string(),
                command: None,
            }),
        });
    }
    findings
}

fn describe(ignore: &Ignore) -> String {
    let mut parts = Vec::new();
    if let Some(id) = &ignore.id {
        parts.push(format!("`{id}`"));
    }
    if let Some(rule) = ignore.rule {
        parts.push(format!("rule {rule}"));
    }
    if let Some(package) = &ignore.package {
        parts.push(format!("for `{package}`"));
    }
    parts.join(" ")
}

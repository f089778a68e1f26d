//! `pyaudit org`: many repositories in one run. Discovery (`discover`), the per-repository and
//! org-level results (`analysis`, `report`), the night-over-night store and diff (`history`), and how a
//! repository's config combines with the organisation's (`merge_config`).

pub mod advisory_groups;
pub mod analysis;
pub mod discover;
pub mod history;
pub mod merge;
pub mod policies;
pub mod report;
pub mod shard;

use crate::config::Config;

/// A repository's config over the organisation's defaults (`pyaudit org --config`):
/// rule levels merge per rule (the repository's win); ignores and bans add up (an org-level
/// accepted risk or ban holds everywhere); every other section (`[vulnerabilities]`,
/// `[maintenance]`, `[licenses]`, `[sources]`, `[typosquat]`) is the repository's when it sets
/// it (differs from the defaults), else the organisation's.
pub fn merge_config(org: &Config, repository: Config) -> Config {
    let defaults = Config::default();
    let mut levels = org.levels.clone();
    levels.extend(repository.levels);
    let mut ignores = org.ignores.clone();
    ignores.extend(repository.ignores);
    let mut bans = org.bans.clone();
    bans.extend(repository.bans);
    Config {
        path: repository.path,
        levels,
        ignores,
        fetch: org.fetch.clone(),
        // One advisory data set serves every repository of the run: the organisation's limits.
        advisories: org.advisories.clone(),
        vulnerabilities: if repository.vulnerabilities == defaults.vulnerabilities {
            org.vulnerabilities
        } else {
            repository.vulnerabilities
        },
        maintenance: if repository.maintenance == defaults.maintenance {
            org.maintenance
        } else {
            repository.maintenance
        },
        licenses: if repository.licenses.is_set() {
            repository.licenses
        } else {
            org.licenses.clone()
        },
        sources: if repository.sources == defaults.sources {
            org.sources.clone()
        } else {
            repository.sources
        },
        typosquat: if repository.typosquat == defaults.typosquat {
            org.typosquat.clone()
        } else {
            repository.typosquat
        },
        bans,
        // A repository's config cannot widen what is read; the organisation's decides.
        input: org.input,
        usage: if repository.usage == defaults.usage {
            org.usage.clone()
        } else {
            repository.usage
        },
    }
}

/// An error and its causes on one line: a repository's error is one entry of the report.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

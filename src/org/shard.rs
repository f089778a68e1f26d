//! `pyaudit org --shard I/N`: which repositories one of N processes audits, and what its
//! `pyaudit-org/1` document carries so that `pyaudit org-merge` can rebuild the whole
//! organisation's report from the shards.
//!
//! A repository's shard is a pure function of its identity (its git remote URL, credentials
//! removed, else its name under the root) and N: SHA-256, never a hasher whose output may change
//! between Rust versions or platforms. Every shard discovers the whole organisation, so each
//! knows every repository's position in the single run's order and how many there are; the
//! merge uses both to put the repositories back in order and to prove none is missing.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::analysis::CensusPackage;
use super::discover::Repository;
use crate::policy::MaintenanceProblem;

/// One shard of N: `index` counts from 0 (a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

/// The most shards a run may be split into: far beyond any engine's fan-out, and small enough
/// that a typo (`--shard 3/30000000`) is an error rather than millions of empty shards.
pub const MAX_SHARDS: u32 = 100_000;

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || format!("`{text}` is not a shard: expected I/N, e.g. 0/8 (I from 0 to N-1)");
        let (index, count) = text.trim().split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let count: u32 = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "`{text}`: the number of shards must be from 1 to {MAX_SHARDS}"
            ));
        }
        if index >= count {
            return Err(format!(
                "`{text}`: shard indices count from 0, so the last of {count} is {}",
                count - 1
            ));
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard (0-based) a repository identity falls in: the first 8 bytes of its SHA-256 as a
/// big-endian integer, modulo the count.
pub fn shard_of(identity: &str, count: u32) -> u32 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, identity.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

/// A repository's identity for sharding: `git:` and its remote URL (credentials removed, a
/// trailing `.git` or `/` dropped) when its `.git/config` names one, else `path:` and its name
/// under the root. The remote keeps a repository in its shard wherever it is cloned.
pub fn repository_identity(repository: &Repository) -> String {
    match remote_url(&repository.root) {
        Some(url) => format!("git:{url}"),
        None => format!("path:{}", repository.name.replace('\\', "/")),
    }
}

/// `.git/config` is read as text, never by running git: the repository is untrusted input.
/// The `origin` remote's URL, else the first remote's; `None` when there is none or the file
/// cannot be read.
fn remote_url(root: &Path) -> Option<String> {
    /// A git config is a few hundred bytes; a larger one is not read past this.
    const LIMIT: u64 = 256 * 1024;
    let path = root.join(".git").join("config");
    if !std::fs::metadata(&path).ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(&path)
        .ok()?
        .take(LIMIT)
        .read_to_string(&mut text)
        .ok()?;
    let url = remote_in_config(&text)?;
    let url = crate::redact::redact_url(url.trim()).into_owned();
    let url = url.trim_end_matches('/');
    Some(url.strip_suffix(".git").unwrap_or(url).to_string())
}

/// The `url` of `[remote "origin"]`, else of the first remote section that has one.
fn remote_in_config(text: &str) -> Option<String> {
    let mut section: Option<String> = None;
    let mut first: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line
                .strip_prefix("[remote")
                .and_then(|rest| rest.trim().strip_suffix(']'))
                .map(|name| name.trim().trim_matches('"').to_string());
            continue;
        }
        let Some(name) = &section else { continue };
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("url") {
            continue;
        }
        let value = value.trim().trim_matches('"').to_string();
        if value.is_empty() {
            continue;
        }
        if name == "origin" {
            return Some(value);
        }
        first.get_or_insert(value);
    }
    first
}

/// A hex SHA-256 of what decides the verdicts besides the data: the organisation's config file
/// as written and the command line's rule, scope and reading options. Shards of one run must
/// agree on it.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for part in parts {
        // Length-prefixed, so that moving bytes from one part to the next changes the hash.
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    context
        .finish()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// One repository of a shard: where the single run would list it, and its identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRepository {
    /// Its position among every repository the whole run discovered (0-based).
    pub position: usize,
    pub identity: String,
    /// Its distinct packages: indices into [`ShardInfo::packages`].
    pub packages: Vec<u32>,
}

/// One package as the censuses see it (its metadata facts), in a form that survives JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardPackage {
    pub name: String,
    pub version: String,
    /// `None`: no metadata (unchecked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ShardProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardProblem {
    pub code: String,
    pub message: String,
}

impl ShardPackage {
    pub fn of(package: &CensusPackage) -> Self {
        Self {
            name: package.name.clone(),
            version: package.version.clone(),
            license: package.license.clone(),
            problems: package
                .problems
                .iter()
                .map(|problem| ShardProblem {
                    code: problem.rule.code.to_string(),
                    message: problem.message.clone(),
                })
                .collect(),
        }
    }

    /// Back to the census's own type; an unknown rule code is an error of the shard file.
    pub fn to_census(&self) -> Result<CensusPackage, String> {
        let problems = self
            .problems
            .iter()
            .map(|problem| {
                crate::findings::rule(&problem.code)
                    .filter(|rule| rule.code == problem.code)
                    .map(|rule| MaintenanceProblem {
                        rule,
                        message: problem.message.clone(),
                    })
                    .ok_or_else(|| format!("unknown rule code `{}`", problem.code))
            })
            .collect::<Result<_, _>>()?;
        Ok(CensusPackage {
            name: self.name.clone(),
            version: self.version.clone(),
            license: self.license.clone(),
            problems,
        })
    }
}

/// How the shard's censuses went: what a merge needs to say the same as a single run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ShardCensus {
    /// Skipped, and why.
    Skipped { note: String },
    /// Computed; `unchecked_note` says why a package may lack metadata.
    Computed { unchecked_note: String },
}

/// What `--shard` adds to the `pyaudit-org/1` document (the `shard` member).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: u32,
    pub count: u32,
    pub pyaudit_version: String,
    /// [`fingerprint`] of the effective configuration.
    pub config_fingerprint: String,
    /// The history key of the whole run (the roots or list audited), for the merge's
    /// night-over-night diff.
    pub run_identity: String,
    /// Repositories the whole organisation has (every shard discovers all of them).
    pub discovered: usize,
    /// This shard's repositories, in the order of its `repositories` member.
    pub repositories: Vec<ShardRepository>,
    /// This shard's distinct packages with their census facts, in the run's order.
    pub packages: Vec<ShardPackage>,
    pub census: ShardCensus,
}

/// The repositories of one shard, each with its position in the whole run and its identity.
pub fn select(
    repositories: Vec<Repository>,
    shard: ShardSpec,
) -> (Vec<Repository>, Vec<ShardRepository>) {
    let mut kept = Vec::new();
    let mut placed = Vec::new();
    for (position, repository) in repositories.into_iter().enumerate() {
        let identity = repository_identity(&repository);
        if shard_of(&identity, shard.count) == shard.index {
            placed.push(ShardRepository {
                position,
                identity,
                packages: Vec::new(),
            });
            kept.push(repository);
        }
    }
    (kept, placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_shard_is_index_of_count() {
        assert_eq!(
            "2/7".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 2, count: 7 })
        );
        assert_eq!(" 0 / 1 ".parse::<ShardSpec>().map(|s| s.count), Ok(1));
        for bad in ["7/7", "1/0", "x/3", "3", "-1/3", "1/3/4", "", "0/1000000"] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_pinned() {
        // Pinned (and checked with Python's hashlib: the first 8 bytes of the SHA-256, big-endian,
        // modulo N) so that no refactor moves repositories between shards of a sharded night.
        let pinned: Vec<u32> = ["git:https://example.com/a/b", "path:team/app", "path:x"]
            .iter()
            .map(|identity| shard_of(identity, 1000))
            .collect();
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [u32; 3] = [920, 865, 569];

    #[test]
    fn the_remote_is_origin_else_the_first() {
        let config = "[core]\n\turl = nope\n[remote \"upstream\"]\n\turl = https://u/x.git\n\
                      [remote \"origin\"]\n\tfetch = +refs\n\turl = git@host:team/app.git\n";
        assert_eq!(
            remote_in_config(config).as_deref(),
            Some("git@host:team/app.git")
        );
        let only = "[remote \"fork\"]\nurl=https://f/y\n";
        assert_eq!(remote_in_config(only).as_deref(), Some("https://f/y"));
        assert_eq!(remote_in_config("[core]\nbare = false\n"), None);
    }

    #[test]
    fn credentials_never_reach_the_identity() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::create_dir(directory.path().join(".git")).unwrap();
        std::fs::write(
            directory.path().join(".git/config"),
            "[remote \"origin\"]\n\turl = https://user:s3cret@git.example.com/team/app.git/\n",
        )
        .unwrap();
        let repository = Repository {
            name: "app".to_string(),
            root: directory.path().to_path_buf(),
            lockfiles: Vec::new(),
        };
        let identity = repository_identity(&repository);
        assert!(!identity.contains("s3cret"), "{identity}");
        assert!(identity.starts_with("git:https://"), "{identity}");
        assert!(identity.ends_with("git.example.com/team/app"), "{identity}");
    }

    proptest! {
        #[test]
        fn every_repository_lands_in_exactly_one_shard(identity in ".{0,40}", count in 1u32..64) {
            let shard = shard_of(&identity, count);
            prop_assert!(shard < count);
            prop_assert_eq!(shard, shard_of(&identity, count));
        }

        #[test]
        fn shard_specs_never_panic(text in ".{0,12}") {
            let _ = text.parse::<ShardSpec>();
        }
    }
}

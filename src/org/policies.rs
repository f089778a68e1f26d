//! The policies of an org run: the organisation's config, and each repository config merged over
//! it (`merge_config`), built once per distinct config file and shared by every lockfile that
//! uses it, each with the popular names of its `[typosquat] popular` list.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use pyaudit_cache::Cache;

use crate::audit::Policy;
use crate::config::Config;
use crate::enrich::popular::{self, PopularNames};
use crate::findings::TYPOSQUAT;
use crate::policy::PolicySettings;

/// The index of the organisation's own policy.
pub const ORG: usize = 0;

/// Turns one (merged) config into policy settings: the command line's rule levels over it.
pub type SettingsOf<'a> = dyn Fn(Config) -> Result<PolicySettings> + 'a;

pub struct Policies<'a> {
    org_config: Config,
    cache: &'a Cache,
    settings_of: &'a SettingsOf<'a>,
    policies: Vec<Arc<Policy>>,
    /// The config file of each policy (`None`: the org's, when it was given none).
    paths: Vec<Option<PathBuf>>,
    by_path: BTreeMap<Option<PathBuf>, usize>,
    /// Why a policy's own popular-names list could not be loaded (the org's is used instead).
    popular_errors: Vec<Option<String>>,
    popular_lists: BTreeMap<Vec<PathBuf>, Result<Arc<PopularNames>, String>>,
}

impl<'a> Policies<'a> {
    /// The organisation's policy; its popular-names list failing is the run's error.
    pub fn new(
        org_config: Config,
        cache: &'a Cache,
        settings_of: &'a SettingsOf<'a>,
    ) -> Result<Self> {
        let mut policies = Self {
            org_config: org_config.clone(),
            cache,
            settings_of,
            policies: Vec::new(),
            paths: Vec::new(),
            by_path: BTreeMap::new(),
            popular_errors: Vec::new(),
            popular_lists: BTreeMap::new(),
        };
        let settings = settings_of(org_config.clone())?;
        let popular = policies
            .popular(&settings, &org_config.typosquat.popular)
            .map_err(anyhow::Error::msg)?;
        policies.push(org_config.path.clone(), settings, popular, None);
        Ok(policies)
    }

    /// The policy for a repository's own config (`None`: it has none, the org's applies).
    pub fn for_config(&mut self, own: Option<Config>) -> Result<usize> {
        let Some(own) = own else { return Ok(ORG) };
        if let Some(&index) = self.by_path.get(&own.path) {
            return Ok(index);
        }
        let path = own.path.clone();
        let merged = crate::org::merge_config(&self.org_config, own);
        let popular_files = merged.typosquat.popular.clone();
        let settings = (self.settings_of)(merged)?;
        let (popular, error) = match self.popular(&settings, &popular_files) {
            Ok(popular) => (popular, None),
            Err(message) => (Arc::clone(&self.policies[ORG].popular), Some(message)),
        };
        Ok(self.push(path, settings, popular, error))
    }

    fn push(
        &mut self,
        path: Option<PathBuf>,
        settings: PolicySettings,
        popular: Arc<PopularNames>,
        popular_error: Option<String>,
    ) -> usize {
        let index = self.policies.len();
        self.policies.push(Arc::new(Policy { settings, popular }));
        self.by_path.insert(path.clone(), index);
        self.paths.push(path);
        self.popular_errors.push(popular_error);
        index
    }

    /// The popular names for one list, loaded once per distinct list (and not at all when the
    /// typosquat rule is off for these settings).
    fn popular(
        &mut self,
        settings: &PolicySettings,
        files: &[PathBuf],
    ) -> Result<Arc<PopularNames>, String> {
        if !settings.enabled(&TYPOSQUAT) {
            return Ok(Arc::new(PopularNames::default()));
        }
        let cache = self.cache;
        self.popular_lists
            .entry(files.to_vec())
            .or_insert_with(|| {
                popular::load(cache, files)
                    .map(Arc::new)
                    .map_err(|error| super::error_chain(&error))
            })
            .clone()
    }

    pub fn path(&self, index: usize) -> Option<&PathBuf> {
        self.paths[index].as_ref()
    }

    pub fn popular_error(&self, index: usize) -> Option<&str> {
        self.popular_errors[index].as_deref()
    }

    pub fn settings(&self, index: usize) -> &PolicySettings {
        &self.policies[index].settings
    }

    pub fn into_list(self) -> Vec<Arc<Policy>> {
        self.policies
    }

    pub fn list(&self) -> &[Arc<Policy>] {
        &self.policies
    }
}

/// The config a repository's findings were evaluated with, and the unused or expired ignores of
/// its own config (judged over its own lockfiles; the org's ignores are judged org-wide).
/// `used`: each policy the repository's lockfiles used, with its own config file (`None` for
/// the org's policy).
pub fn judge_own_ignores(
    report: &mut crate::org::analysis::RepoReport,
    used: &[(&PolicySettings, Option<&PathBuf>)],
    org_path: Option<&PathBuf>,
) {
    let ignored: Vec<&crate::policy::IgnoredFinding> = report
        .lockfiles
        .iter()
        .flat_map(|lockfile| &lockfile.ignored)
        .collect();
    let mut stale = Vec::new();
    for (settings, own) in used {
        if report.config.is_none() {
            report.config = own.or(org_path).map(|path| path.display().to_string());
        }
        let Some(own) = *own else { continue };
        let mut own_settings = (*settings).clone();
        own_settings
            .ignores
            .retain(|ignore| &ignore.location.path == own);
        stale.extend(crate::policy::stale_ignores(&ignored, &own_settings));
    }
    if let Some(first) = report.lockfiles.first_mut()
        && !stale.is_empty()
    {
        first.findings.extend(stale);
        crate::policy::sort_findings(&mut first.findings);
    }
}

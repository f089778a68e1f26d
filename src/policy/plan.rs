//! Which packages of a lockfile an audit covers, and which of those can be checked against
//! advisories by exact version (pinned registry packages) and which cannot (git, url, path,
//! editable sources; unpinned requirements) — the latter are listed with the reason, never
//! silently skipped.

use serde::{Deserialize, Serialize};

use crate::enrich::PackageKey;
use crate::graph::{Class, Graph, GroupSelection};
use crate::lockfile::{PackageIndex, PackageRole, Source};

/// The packages an audit covers.
#[derive(Debug, Clone, Default)]
pub struct AuditPlan {
    /// Packages to check by exact version.
    pub targets: Vec<(PackageIndex, PackageKey)>,
    /// Packages in scope that cannot be checked by version.
    pub not_audited: Vec<NotAudited>,
    /// Every installed package in scope (roots excluded), in lock order: what the source, ban
    /// and typosquat rules look at.
    pub in_scope: Vec<PackageIndex>,
}

/// A package in scope that version-based advisory matching cannot cover.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotAudited {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub class: Class,
    pub source: Source,
    pub reason: String,
}

/// Plan the audit of `graph`: packages installed by the main dependencies, the roots' extras
/// unless `only_prod`, and the selected dependency groups unless `only_prod`.
pub fn plan(graph: &Graph, only_prod: bool, groups: &GroupSelection) -> AuditPlan {
    let installed = if only_prod {
        graph.installed_with(false, &GroupSelection::Only(Vec::new()))
    } else {
        graph.installed_with(true, groups)
    };
    let mut plan = AuditPlan::default();
    for (index, package) in graph.packages().iter().enumerate() {
        if !installed[index] || package.role != PackageRole::Package {
            continue;
        }
        plan.in_scope.push(index);
        let reason = match (&package.source, &package.version) {
            (Source::Registry { .. }, Some(version)) => {
                plan.targets.push((
                    index,
                    PackageKey::new(package.name.to_string(), version.clone()),
                ));
                continue;
            }
            (Source::Registry { .. }, None) => match &package.specifier {
                Some(specifier) => format!(
                    "unpinned (`{specifier}`): any version in that range could be installed; \
                     pin it (`==`) to audit it"
                ),
                None => "unpinned: any version could be installed; pin it (`==`) to audit it"
                    .to_string(),
            },
            (source, _) => format!(
                "installed from a {} source, not a registry: advisories name registry versions",
                source.kind()
            ),
        };
        plan.not_audited.push(NotAudited {
            name: package.name.to_string(),
            version: package.version.as_ref().map(ToString::to_string),
            class: graph.classes[index],
            source: package.source.clone(),
            reason,
        });
    }
    plan
}

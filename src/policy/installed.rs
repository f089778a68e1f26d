//! An installed environment against its lock (`pyaudit lock --installed DIR --against LOCK`):
//! what ships that the lock does not explain (PA701–PA703). Plain findings at their default
//! levels; the caller applies the config's levels and ignores.

use crate::findings::{
    DEV_PACKAGE_INSTALLED, Evidence, Finding, Fix, INSTALLED_NOT_LOCKED, INSTALLED_VERSION_DIFFERS,
    Rule,
};
use crate::graph::{Class, Graph};
use crate::lockfile::{Location, PackageRole, version_text};

/// Every installed distribution the lock does not explain: not locked at all, locked at other
/// versions, or locked only for development.
pub fn findings(installed: &Graph, lock: &Graph) -> Vec<Finding> {
    let lock_name = lock.lockfile.path.display().to_string();
    let mut found = Vec::new();
    for (index, package) in installed.packages().iter().enumerate() {
        if package.role != PackageRole::Package {
            continue;
        }
        let name = package.name.as_ref();
        let location = package
            .location
            .clone()
            .unwrap_or_else(|| Location::new(&installed.lockfile.path, 1));
        let candidates = lock.find(name);
        // The project itself, installed into its own environment, is explained by the lock.
        if candidates
            .iter()
            .any(|&candidate| lock.role(candidate) != PackageRole::Package)
        {
            continue;
        }
        let push = |found: &mut Vec<Finding>, rule: &'static Rule, message, lock_says, fix| {
            found.push(Finding {
                code: rule.code,
                rule: rule.name,
                level: rule.default_level,
                package: super::context(installed, index),
                message,
                evidence: Evidence::Installed {
                    location: location.clone(),
                    lock: lock_says,
                },
                fix: Some(fix),
            });
        };
        let label = installed.display_name(index);
        if candidates.is_empty() {
            push(
                &mut found,
                &INSTALLED_NOT_LOCKED,
                format!("`{label}` is installed but not in `{lock_name}`"),
                format!("not in {lock_name}"),
                Fix {
                    version: None,
                    description: format!(
                        "install only what `{lock_name}` pins, or add `{name}` to the project \
                         and lock it"
                    ),
                    command: None,
                },
            );
            continue;
        }
        let same_version: Vec<_> = candidates
            .iter()
            .copied()
            .filter(|&candidate| {
                let locked = &lock.package(candidate).version;
                locked.is_none() || *locked == package.version
            })
            .collect();
        if same_version.is_empty() {
            let mut pinned: Vec<String> = candidates
                .iter()
                .filter_map(|&candidate| lock.package(candidate).version.as_ref())
                .map(version_text)
                .collect();
            pinned.sort();
            pinned.dedup();
            let pinned = pinned.join(", ");
            push(
                &mut found,
                &INSTALLED_VERSION_DIFFERS,
                format!("`{label}` is installed; `{lock_name}` pins {name} {pinned}"),
                format!("{lock_name} pins {pinned}"),
                Fix {
                    version: Some(pinned.clone()),
                    description: format!("reinstall `{name}` {pinned} from `{lock_name}`"),
                    command: None,
                },
            );
            continue;
        }
        if same_version
            .iter()
            .all(|&candidate| lock.classes[candidate] == Class::Dev)
        {
            let via = same_version
                .first()
                .map(|&candidate| lock.shortest_path_labels(candidate).join(" → "))
                .unwrap_or_default();
            push(
                &mut found,
                &DEV_PACKAGE_INSTALLED,
                format!(
                    "`{label}` is installed, but `{lock_name}` installs it only for development"
                ),
                format!("{lock_name}: dev only, via {via}"),
                Fix {
                    version: None,
                    description: "install without development groups (`uv sync --no-dev`, \
                                  `poetry install --only main`, `pdm install --prod`, `pipenv \
                                  install --deploy`)"
                        .to_string(),
                    command: None,
                },
            );
        }
    }
    found
}

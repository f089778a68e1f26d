//! Fix advice in the lock's own tool, shared by the rule families.

use crate::findings::Fix;
use crate::graph::Graph;
use crate::lockfile::LockfileKind;

/// Move `index` to `version` (when known) or to `fallback` (words for the version wanted).
pub(super) fn upgrade_fix(
    graph: &Graph,
    index: usize,
    version: Option<String>,
    fallback: &str,
) -> Fix {
    let package = graph.package(index);
    let name = package.name.as_ref();
    let target = version.as_ref().map_or_else(
        || fallback.to_string(),
        |version| format!("{version} or later"),
    );
    let (command, description) = match graph.lockfile.kind {
        LockfileKind::UvLock => (
            Some(format!("uv lock --upgrade-package {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::PoetryLock => (
            Some(format!("poetry update {name}")),
            format!("upgrade `{name}` to {target}"),
        ),
        LockfileKind::Requirements => {
            let place = package
                .location
                .as_ref()
                .map(|location| format!(" at {location}"))
                .unwrap_or_default();
            (
                version
                    .as_ref()
                    .map(|version| format!("pip-compile --upgrade-package {name}=={version}")),
                format!("pin `{name}` to {target}{place} (or regenerate the file)"),
            )
        }
    };
    Fix {
        version,
        description,
        command,
    }
}

/// Remove `index` from the project (or replace it), naming what pulls it in.
pub(super) fn removal_fix(graph: &Graph, index: usize, what: &str) -> Fix {
    let package = graph.package(index);
    let name = package.name.as_ref();
    let command = if graph.direct[index] {
        match graph.lockfile.kind {
            LockfileKind::UvLock => Some(format!("uv remove {name}")),
            LockfileKind::PoetryLock => Some(format!("poetry remove {name}")),
            LockfileKind::Requirements => None,
        }
    } else {
        None
    };
    let how = if graph.direct[index] {
        format!("{what} `{name}`")
    } else {
        format!(
            "{what} `{name}` or the dependency that pulls it in (`pyaudit why {name}` shows the paths)"
        )
    };
    Fix {
        version: None,
        description: how,
        command,
    }
}

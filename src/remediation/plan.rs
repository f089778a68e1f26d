//! The plan: per vulnerable package of one lock, the target, what blocks it, the steps in the
//! lock's own tool and what they fix — then verified: a step that would move a package down, or
//! to a version with an advisory the locked one does not have, is refused and said.

use std::collections::BTreeSet;
use std::str::FromStr;

use pep440_rs::Version;
use pyaudit_advisories::Vulnerability;
use serde::Serialize;

use super::command::{self, Move, Step};
use super::constraints::{ProjectConstraint, ProjectFiles};
use super::dependents::{self, Dependent, DependentBlock};
use super::target;
use super::tool::{self, Tool};
use crate::enrich::{PackageKey, VulnerabilityData, VulnerabilityStatus};
use crate::findings::Fix;
use crate::graph::{Class, Graph};
use crate::lockfile::{PackageIndex, PackageRole, version_text};
use crate::policy::AuditPlan;
use crate::review::resolve::Registry;

/// The JSON document's schema id (`tests/schemas/fix.schema.json`).
pub const SCHEMA: &str = "pyaudit-fix/1";

/// The plan for one lockfile.
#[derive(Debug, Clone, Serialize)]
pub struct FixPlan {
    pub lockfile: String,
    pub tool: Tool,
    pub packages: Vec<PackageFix>,
    /// Packages that could not be checked against advisories (`name==version: reason`): the
    /// plan cannot say what they need.
    pub unchecked: Vec<String>,
    /// Project files that could not be read, and other things the reader should know.
    pub notes: Vec<String>,
}

/// Where a package's fix stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The steps reach the target; nothing stands in the way.
    Ready,
    /// Something stands in the way, and the steps clear it first.
    Blocked,
    /// Something stands in the way that no step clears (no release of a dependent admits the
    /// target).
    Stuck,
    /// Only a pre-release fixes it; the steps allow one.
    NeedsPrerelease,
    /// No version fixes any of its advisories.
    NoFix,
    /// A malicious package: remove it.
    Remove,
    /// Verification refused the steps (a downgrade, or a new advisory).
    Refused,
}

/// An advisory a step fixes or leaves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdvisoryRef {
    pub id: String,
    /// Every other id of the same vulnerability.
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl AdvisoryRef {
    fn of(vulnerability: &Vulnerability) -> Self {
        Self {
            id: vulnerability.id.clone(),
            aliases: vulnerability
                .ids
                .iter()
                .filter(|id| **id != vulnerability.id)
                .cloned()
                .collect(),
            severity: vulnerability
                .severity
                .as_ref()
                .map(|severity| severity.rating.as_str().to_owned()),
            score: vulnerability
                .severity
                .as_ref()
                .and_then(|severity| severity.score),
            summary: vulnerability.summary.clone(),
        }
    }
}

/// Why the lock cannot reach the target today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Blocker {
    /// The project's own constraint.
    Project {
        #[serde(flatten)]
        constraint: ProjectConstraint,
    },
    /// A dependent's requirement; `constrained_by` is the project's constraint that keeps the
    /// dependent's upgrade out in turn.
    Dependent {
        #[serde(flatten)]
        dependent: DependentBlock,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        constrained_by: Vec<ProjectConstraint>,
    },
}

impl Blocker {
    /// The blocker in words.
    pub fn describe(&self) -> String {
        match self {
            Blocker::Project { constraint } => format!(
                "the project requires `{}` ({})",
                constraint.requirement, constraint.location
            ),
            Blocker::Dependent {
                dependent,
                constrained_by,
            } => {
                let mut text = format!(
                    "{}=={} requires `{}`",
                    dependent.name, dependent.version, dependent.requirement
                );
                match (&dependent.upgrade, &dependent.upgrade_note) {
                    (Some(upgrade), _) => {
                        text.push_str(&format!("; {} {upgrade} admits it", dependent.name))
                    }
                    (None, Some(note)) => text.push_str(&format!("; {note}")),
                    (None, None) => {}
                }
                for constraint in constrained_by {
                    text.push_str(&format!(
                        ", and the project requires `{}` ({})",
                        constraint.requirement, constraint.location
                    ));
                }
                text
            }
        }
    }
}

/// The fix of one vulnerable package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageFix {
    pub name: String,
    pub version: String,
    pub class: Class,
    pub direct: bool,
    pub status: Status,
    /// The smallest version that fixes every advisory it can (a pre-release under
    /// `needs-prerelease`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What moving to the target fixes.
    pub fixes: Vec<AdvisoryRef>,
    /// What no version fixes (or the target leaves).
    pub left: Vec<AdvisoryRef>,
    pub blockers: Vec<Blocker>,
    pub steps: Vec<Step>,
    /// Why the steps were refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Limits of what was checked (a dependent whose requirements could not be read, a target
    /// not checked against advisories).
    pub notes: Vec<String>,
    /// Dependents (`name==version`) whose requirements could not be read: the target is not
    /// known to be reachable through them (the notes say why).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unverified: Vec<String>,
    /// The packages the steps move and to what (the vulnerable package last).
    #[serde(skip)]
    pub moves: Vec<(String, String, String)>,
    #[serde(skip)]
    known: BTreeSet<String>,
}

impl PackageFix {
    /// The fix a `lock` finding on this package carries.
    pub fn finding_fix(&self) -> Fix {
        let commands: Vec<&str> = self.steps.iter().filter_map(Step::command).collect();
        let mut description = match (self.status, &self.target) {
            (Status::Remove, _) => format!("remove `{}`", self.name),
            (Status::NoFix, _) => format!(
                "no version of `{}` fixes {}: replace it, or drop it",
                self.name,
                ids(&self.left)
            ),
            (Status::NeedsPrerelease, Some(target)) => format!(
                "only the pre-release {target} of `{}` fixes {}",
                self.name,
                ids(&self.fixes)
            ),
            (_, Some(target)) => format!(
                "upgrade `{}` to {target} (fixes {})",
                self.name,
                ids(&self.fixes)
            ),
            (_, None) => format!("upgrade `{}`", self.name),
        };
        if !self.left.is_empty() && self.status != Status::NoFix {
            description.push_str(&format!("; no version fixes {}", ids(&self.left)));
        }
        for blocker in &self.blockers {
            description.push_str(&format!("; blocked: {}", blocker.describe()));
        }
        for step in &self.steps {
            if let Step::Edit { .. } = step {
                description.push_str(&format!("; {}", step.describe()));
            }
        }
        if !self.unverified.is_empty() {
            description.push_str(&format!(
                "; not verified against the requirements of {} (not read)",
                self.unverified.join(", ")
            ));
        }
        if let Some(reason) = &self.refused {
            description.push_str(&format!("; refused: {reason}"));
        }
        Fix {
            version: self.target.clone(),
            description,
            command: (!commands.is_empty() && self.refused.is_none())
                .then(|| commands.join(" && ")),
        }
    }
}

fn ids(advisories: &[AdvisoryRef]) -> String {
    let ids: Vec<&str> = advisories
        .iter()
        .map(|advisory| advisory.id.as_str())
        .collect();
    match ids.len() {
        0 => "nothing".to_owned(),
        1..=3 => ids.join(", "),
        count => format!("all {count} advisories"),
    }
}

/// Build the plan of one lock. `registry` answers for releases and dependents' requirements
/// (an offline run's registry answers from the cache, or says why it cannot).
pub fn build(
    graph: &Graph,
    audit: &AuditPlan,
    data: &VulnerabilityData,
    registry: &mut dyn Registry,
) -> FixPlan {
    let lockfile = &graph.lockfile;
    let tool = tool::detect(lockfile.kind, &lockfile.path);
    let files = ProjectFiles::read(lockfile.kind, &lockfile.path);
    let mut plan = FixPlan {
        lockfile: lockfile.path.display().to_string(),
        tool,
        packages: Vec::new(),
        unchecked: Vec::new(),
        notes: files.problems.clone(),
    };
    let mut vulnerable: Vec<(PackageIndex, &PackageKey, Vec<&Vulnerability>)> = Vec::new();
    for (index, key) in &audit.targets {
        let found: Vec<&Vulnerability> = match data.packages.get(key) {
            Some(VulnerabilityStatus::Checked { vulnerabilities }) => {
                vulnerabilities.iter().collect()
            }
            Some(VulnerabilityStatus::Unchecked {
                reason,
                vulnerabilities,
            }) => {
                plan.unchecked.push(format!("{key}: {reason}"));
                vulnerabilities.iter().collect()
            }
            None => {
                plan.unchecked
                    .push(format!("{key}: no advisory source answered"));
                Vec::new()
            }
        };
        if !found.is_empty() {
            vulnerable.push((*index, key, found));
        }
    }
    // One batch for the vulnerable packages' releases (the target search's candidates).
    let names: Vec<String> = vulnerable
        .iter()
        .map(|(_, key, _)| key.name.clone())
        .collect();
    let releases: Vec<Option<Vec<Version>>> = match names.is_empty() {
        false => registry
            .projects(&names)
            .into_iter()
            .map(|answer| {
                answer.ok().map(|project| {
                    project
                        .releases
                        .iter()
                        .filter(|release| !release.yanked && release.files > 0)
                        .filter_map(|release| Version::from_str(&release.version).ok())
                        .collect()
                })
            })
            .collect(),
        true => Vec::new(),
    };
    for ((index, key, found), releases) in vulnerable.into_iter().zip(releases) {
        let fix = package_fix(
            graph,
            index,
            key,
            &found,
            releases.as_deref(),
            &plan.tool,
            &files,
            registry,
        );
        plan.packages.push(fix);
    }
    plan.packages.sort_by(|left, right| {
        (left.name.as_str(), left.version.as_str())
            .cmp(&(right.name.as_str(), right.version.as_str()))
    });
    plan
}

#[allow(clippy::too_many_arguments)]
fn package_fix(
    graph: &Graph,
    index: PackageIndex,
    key: &PackageKey,
    found: &[&Vulnerability],
    releases: Option<&[Version]>,
    tool: &Tool,
    files: &ProjectFiles,
    registry: &mut dyn Registry,
) -> PackageFix {
    let package = graph.package(index);
    let mut fix = PackageFix {
        name: key.name.clone(),
        version: version_text(&key.version),
        class: graph.classes[index],
        direct: graph.direct[index],
        status: Status::Ready,
        target: None,
        fixes: Vec::new(),
        left: Vec::new(),
        blockers: Vec::new(),
        steps: Vec::new(),
        refused: None,
        notes: Vec::new(),
        unverified: Vec::new(),
        moves: Vec::new(),
        known: found.iter().flat_map(|v| v.ids.iter().cloned()).collect(),
    };
    if found.iter().any(|vulnerability| vulnerability.malicious) {
        fix.status = Status::Remove;
        fix.left = found.iter().map(|v| AdvisoryRef::of(v)).collect();
        let command = match (tool, fix.direct) {
            (Tool::Uv, true) => Some(format!("uv remove {}", fix.name)),
            (Tool::Poetry, true) => Some(format!("poetry remove {}", fix.name)),
            _ => None,
        };
        if let Some(command) = command {
            fix.steps.push(Step::Run {
                command,
                why: "a malicious package: remove it and rotate the credentials it could reach"
                    .to_owned(),
            });
        } else {
            fix.notes.push(format!(
                "remove `{}` or what pulls it in (`pyaudit why {}`), and rotate the credentials it could reach",
                fix.name, fix.name
            ));
        }
        return fix;
    }
    let choice = target::select(&key.version, found, releases);
    let (target, prerelease) = match (&choice.version, &choice.prerelease) {
        (Some(version), _) => (version.clone(), false),
        (None, Some(pre)) => (pre.clone(), true),
        (None, None) => {
            fix.status = Status::NoFix;
            fix.left = found.iter().map(|v| AdvisoryRef::of(v)).collect();
            return fix;
        }
    };
    let left: Vec<&Vulnerability> = if prerelease {
        Vec::new()
    } else {
        found
            .iter()
            .copied()
            .filter(|vulnerability| choice.unfixed.contains(&vulnerability.id))
            .collect()
    };
    fix.fixes = found
        .iter()
        .filter(|vulnerability| !left.iter().any(|l| l.id == vulnerability.id))
        .map(|v| AdvisoryRef::of(v))
        .collect();
    fix.left = left.iter().map(|v| AdvisoryRef::of(v)).collect();
    fix.target = Some(version_text(&target));
    if prerelease {
        fix.status = Status::NeedsPrerelease;
        fix.notes.push(format!(
            "no final release fixes {}; the pre-release {} does",
            ids(&fix.fixes),
            version_text(&target)
        ));
    }

    let mut moves: Vec<Move> = Vec::new();
    // Dependents' requirements.
    let dependents = dependents_of(graph, index);
    let mut stuck = false;
    {
        {
            let check = dependents::check(registry, &package.name, &target, &dependents);
            for note in check.unverified {
                if let Some((label, _)) = note.split_once(": ") {
                    fix.unverified.push(label.to_owned());
                }
                fix.notes.push(format!(
                    "not known to admit {} {}: {note}",
                    fix.name,
                    version_text(&target)
                ));
            }
            for block in check.blocks {
                let mut constrained_by = Vec::new();
                match block
                    .upgrade
                    .as_deref()
                    .and_then(|text| Version::from_str(text).ok())
                {
                    Some(upgrade) => {
                        let name = pep508_rs::PackageName::new(block.name.clone()).ok();
                        constrained_by = name
                            .as_ref()
                            .map(|name| files.blocking(name, &upgrade))
                            .unwrap_or_default();
                        let pin = graph
                            .find(&block.name)
                            .first()
                            .and_then(|&dependent| graph.package(dependent).location.clone());
                        moves.push(Move {
                            name: block.name.clone(),
                            locked: block.version.clone(),
                            target: version_text(&upgrade),
                            prerelease: upgrade.any_prerelease(),
                            constraint: constrained_by.first().cloned(),
                            pin,
                        });
                    }
                    None => stuck = true,
                }
                fix.blockers.push(Blocker::Dependent {
                    dependent: block,
                    constrained_by,
                });
            }
        }
    }
    // The project's own constraints.
    let blocking = files.blocking(&package.name, &target);
    for constraint in &blocking {
        fix.blockers.push(Blocker::Project {
            constraint: constraint.clone(),
        });
    }
    moves.push(Move {
        name: fix.name.clone(),
        locked: fix.version.clone(),
        target: version_text(&target),
        prerelease,
        constraint: blocking.first().cloned(),
        pin: package.location.clone(),
    });
    if stuck {
        fix.status = Status::Stuck;
        return fix;
    }
    if !fix.blockers.is_empty() && fix.status == Status::Ready {
        fix.status = Status::Blocked;
    }
    let input_file = files.input_file.as_deref();
    fix.steps = command::steps(tool, &moves, &graph.lockfile.path, input_file);
    fix.moves = moves
        .iter()
        .map(|item| (item.name.clone(), item.locked.clone(), item.target.clone()))
        .collect();
    fix
}

/// The packages of the lock with an edge into `index`: registry packages whose requirements
/// come from their metadata (the project's own edges are its constraints, read apart).
fn dependents_of(graph: &Graph, index: PackageIndex) -> Vec<Dependent> {
    graph
        .packages()
        .iter()
        .filter(|package| package.role == PackageRole::Package && package.source.is_registry())
        .filter_map(|package| {
            let version = package.version.clone()?;
            let main = package
                .dependencies
                .iter()
                .any(|edge| edge.package == index);
            let extras: Vec<String> = package
                .optional_dependencies
                .iter()
                .filter(|(_, edges)| edges.iter().any(|edge| edge.package == index))
                .map(|(extra, _)| extra.clone())
                .collect();
            (main || !extras.is_empty()).then(|| Dependent {
                name: package.name.clone(),
                version,
                main,
                extras,
            })
        })
        .collect()
}

impl FixPlan {
    /// The `name==version` of every version the steps move to: what the verification checks
    /// against advisories.
    pub fn verification_keys(&self) -> Vec<PackageKey> {
        let mut keys: Vec<PackageKey> = self
            .packages
            .iter()
            .flat_map(|fix| &fix.moves)
            .filter_map(|(name, _, target)| {
                Some(PackageKey::new(
                    name.clone(),
                    Version::from_str(target).ok()?,
                ))
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Refuse every package's steps that move a package down, or to a version with an
    /// advisory its locked version does not have; note a target that could not be checked.
    /// `locked` gives the ids known at each package's locked version (empty for a clean one).
    pub fn verify(&mut self, targets: &VulnerabilityData, locked: &VulnerabilityData) {
        for fix in &mut self.packages {
            for (name, from, to) in fix.moves.clone() {
                let (Ok(from_version), Ok(to_version)) =
                    (Version::from_str(&from), Version::from_str(&to))
                else {
                    continue;
                };
                if to_version < from_version {
                    fix.refused = Some(format!("it would downgrade `{name}` from {from} to {to}"));
                    break;
                }
                let known: BTreeSet<String> = if name == fix.name {
                    fix.known.clone()
                } else {
                    ids_at(locked, &PackageKey::new(name.clone(), from_version))
                };
                let key = PackageKey::new(name.clone(), to_version);
                match targets.packages.get(&key) {
                    Some(VulnerabilityStatus::Checked { vulnerabilities }) => {
                        let new: Vec<&str> = vulnerabilities
                            .iter()
                            .filter(|vulnerability| {
                                !vulnerability.ids.iter().any(|id| known.contains(id))
                            })
                            .map(|vulnerability| vulnerability.id.as_str())
                            .collect();
                        if !new.is_empty() {
                            fix.refused = Some(format!(
                                "`{name}` {to} has {}, which {from} does not",
                                new.join(", ")
                            ));
                            break;
                        }
                    }
                    Some(VulnerabilityStatus::Unchecked { reason, .. }) => fix.notes.push(format!(
                        "`{name}` {to} could not be checked against advisories: {reason}"
                    )),
                    None => fix
                        .notes
                        .push(format!("`{name}` {to} was not checked against advisories")),
                }
            }
            if fix.refused.is_some() {
                fix.status = Status::Refused;
            }
        }
    }

    /// The fix for a finding on `name==version`.
    pub fn fix_for(&self, name: &str, version: Option<&str>) -> Option<&PackageFix> {
        self.packages
            .iter()
            .find(|fix| fix.name == name && Some(fix.version.as_str()) == version)
    }
}

fn ids_at(data: &VulnerabilityData, key: &PackageKey) -> BTreeSet<String> {
    match data.packages.get(key) {
        Some(
            VulnerabilityStatus::Checked { vulnerabilities }
            | VulnerabilityStatus::Unchecked {
                vulnerabilities, ..
            },
        ) => vulnerabilities
            .iter()
            .flat_map(|vulnerability| vulnerability.ids.iter().cloned())
            .collect(),
        None => BTreeSet::new(),
    }
}

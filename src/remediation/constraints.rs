//! The project's own constraints on a package: what `pyproject.toml` declares (PEP 621, PEP 735
//! groups, Poetry's tables with their carets), or the `.in` file a compiled requirements file
//! was made from — each with its file and line. A constraint that excludes the target is the
//! blocker no upgrade command gets past: it has to be changed first.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use serde::Serialize;

use crate::lockfile::poetry_lock::poetry_constraint_to_pep440;
use crate::lockfile::pyproject::{self, ConstraintSyntax, DeclaredDependency};
use crate::lockfile::{Location, LockfileKind};

/// Where in the project a constraint is declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum Section {
    /// The main dependencies (or a requirements `.in` file).
    Main,
    /// An extra (`[project.optional-dependencies]`, Poetry extras).
    Optional(String),
    /// A dependency group (PEP 735, Poetry groups).
    Group(String),
}

/// One declared constraint on a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectConstraint {
    /// The declaration as written (`django==3.2.0`, `flask = "^2.0"`).
    pub requirement: String,
    /// The version part alone (`==3.2.0`, `^2.0`), `None` for any version.
    #[serde(skip)]
    pub constraint: Option<String>,
    #[serde(skip)]
    pub syntax: Syntax,
    pub section: Section,
    pub location: Location,
}

/// How the constraint is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    #[default]
    Pep440,
    Poetry,
}

impl ProjectConstraint {
    /// Whether the constraint lets `version` in. A constraint that does not parse (the readers
    /// reported it already) is not named as a blocker: nothing says it is one.
    pub fn admits(&self, version: &Version) -> bool {
        let Some(constraint) = &self.constraint else {
            return true;
        };
        match self.syntax {
            Syntax::Pep440 => VersionSpecifiers::from_str(constraint)
                .map_or(true, |specifiers| specifiers.contains(version)),
            Syntax::Poetry => {
                poetry_constraint_to_pep440(constraint).map_or(true, |alternatives| {
                    alternatives
                        .iter()
                        .any(|specifiers| specifiers.contains(version))
                })
            }
        }
    }
}

/// The project files that declare what a lock of `kind` at `lockfile` holds, read once.
#[derive(Debug, Clone, Default)]
pub struct ProjectFiles {
    constraints: Vec<(PackageName, ProjectConstraint)>,
    /// Why a file that should have been there could not be read.
    pub problems: Vec<String>,
    /// The `.in` file of a compiled requirements file.
    pub input_file: Option<PathBuf>,
}

impl ProjectFiles {
    pub fn read(kind: LockfileKind, lockfile: &Path) -> Self {
        let directory = lockfile
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let mut files = ProjectFiles::default();
        match kind {
            // Pipfile, a pylock's source and an environment's build are not read.
            LockfileKind::PipfileLock | LockfileKind::Pylock | LockfileKind::Installed => {}
            LockfileKind::UvLock | LockfileKind::PoetryLock | LockfileKind::PdmLock => {
                let path = directory.join("pyproject.toml");
                if !path.is_file() {
                    return files;
                }
                match pyproject::read(&path) {
                    Ok(project) => files.add_pyproject(&project),
                    Err(error) => files.problems.push(error.to_string()),
                }
            }
            LockfileKind::Requirements => {
                let input = lockfile.with_extension("in");
                if input.is_file() && input != lockfile {
                    files.read_input(&input);
                    files.input_file = Some(input);
                }
            }
        }
        files
    }

    fn add_pyproject(&mut self, project: &pyproject::Pyproject) {
        let mut add = |dependency: &DeclaredDependency, section: Section| {
            let syntax = match dependency.syntax {
                ConstraintSyntax::Pep440 => Syntax::Pep440,
                ConstraintSyntax::Poetry => Syntax::Poetry,
            };
            let requirement = match (syntax, &dependency.constraint) {
                (Syntax::Poetry, Some(constraint)) => {
                    format!("{} = \"{constraint}\"", dependency.name)
                }
                (Syntax::Pep440, Some(constraint)) => format!("{}{constraint}", dependency.name),
                (_, None) => dependency.name.to_string(),
            };
            self.constraints.push((
                dependency.name.clone(),
                ProjectConstraint {
                    requirement,
                    constraint: dependency.constraint.clone(),
                    syntax,
                    section,
                    location: dependency.location.clone(),
                },
            ));
        };
        for dependency in &project.dependencies {
            add(dependency, Section::Main);
        }
        for (extra, dependencies) in &project.optional_dependencies {
            for dependency in dependencies {
                add(dependency, Section::Optional(extra.clone()));
            }
        }
        for group in project.dependency_groups.values() {
            for dependency in &group.dependencies {
                add(dependency, Section::Group(group.name.clone()));
            }
        }
    }

    /// A requirements `.in` file: one requirement a line; options, includes and comments
    /// skipped (their own files are not followed: the compiled file already holds the result).
    fn read_input(&mut self, path: &Path) {
        let text = match crate::input::read(path, crate::input::LOCKFILE_BYTES) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => {
                self.problems
                    .push(format!("cannot read `{}`: {error}", path.display()));
                return;
            }
        };
        for (number, line) in text.lines().enumerate() {
            let line = line.split(" #").next().unwrap_or_default().trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
                continue;
            }
            let location = Location::new(path, number + 1);
            if let Ok(dependency) = pyproject::parse_pep508(line, location.clone()) {
                self.constraints.push((
                    dependency.name.clone(),
                    ProjectConstraint {
                        requirement: line.to_owned(),
                        constraint: dependency.constraint.clone(),
                        syntax: Syntax::Pep440,
                        section: Section::Main,
                        location,
                    },
                ));
            }
        }
    }

    /// Every declaration of `name`.
    pub fn of(&self, name: &PackageName) -> impl Iterator<Item = &ProjectConstraint> {
        self.constraints
            .iter()
            .filter(move |(declared, _)| declared == name)
            .map(|(_, constraint)| constraint)
    }

    /// The declarations of `name` that keep `version` out.
    pub fn blocking(&self, name: &PackageName, version: &Version) -> Vec<ProjectConstraint> {
        self.of(name)
            .filter(|constraint| !constraint.admits(version))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    #[test]
    fn pins_and_carets_block_what_they_exclude() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(
            directory.path().join("pyproject.toml"),
            "[project]\nname = \"demo\"\nversion = \"1\"\ndependencies = [\n  \"django==3.2.0\",\n  \"requests>=2\",\n]\n\n[dependency-groups]\ndev = [\"pytest<8\"]\n",
        )
        .unwrap();
        let files = ProjectFiles::read(LockfileKind::UvLock, &directory.path().join("uv.lock"));
        let django = PackageName::new("django".into()).unwrap();
        let blocking = files.blocking(&django, &version("3.2.25"));
        assert_eq!(blocking.len(), 1);
        assert_eq!(blocking[0].requirement, "django==3.2.0");
        assert_eq!(blocking[0].location.line, 5);
        let requests = PackageName::new("requests".into()).unwrap();
        assert!(files.blocking(&requests, &version("2.32.0")).is_empty());
        let pytest = PackageName::new("pytest".into()).unwrap();
        assert_eq!(
            files.blocking(&pytest, &version("8.0"))[0].section,
            Section::Group("dev".into())
        );

        let caret = ProjectConstraint {
            requirement: "flask = \"^1.0\"".into(),
            constraint: Some("^1.0".into()),
            syntax: Syntax::Poetry,
            section: Section::Main,
            location: Location::new("pyproject.toml", 9),
        };
        assert!(caret.admits(&version("1.1.4")));
        assert!(!caret.admits(&version("2.2.5")));
    }

    #[test]
    fn a_compiled_file_is_constrained_by_its_input() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(
            directory.path().join("requirements.in"),
            "# the app\n-c constraints.txt\nurllib3<1.24  # old server\nrequests\n",
        )
        .unwrap();
        let files = ProjectFiles::read(
            LockfileKind::Requirements,
            &directory.path().join("requirements.txt"),
        );
        let urllib3 = PackageName::new("urllib3".into()).unwrap();
        let blocking = files.blocking(&urllib3, &version("1.26.17"));
        assert_eq!(blocking[0].requirement, "urllib3<1.24");
        assert_eq!(blocking[0].location.line, 3);
    }
}

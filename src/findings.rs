//! Findings and the rule registry: every finding a user sees carries a stable rule code, a
//! kebab-case name, a level, the package and the path that brought it in, the evidence and a fix.
//!
//! Codes are never reused. PA0xx: the audit itself and its config; PA1xx: vulnerabilities and
//! malicious packages; PA2xx: maintenance and release signals from PyPI; PA3xx: licenses; PA4xx:
//! sources and integrity; PA5xx: typosquats and bans.
//! PA6xx: usage (unused, missing, transitive and dev-leaking dependencies, orphaned lock entries).
//! PA7xx: an installed environment against its lock (`pyaudit lock --installed DIR --against
//! LOCK`): what ships that the lock does not explain.

use serde::{Deserialize, Deserializer, Serialize};

use crate::graph::Class;
use crate::lockfile::Location;
use pyaudit_advisories::Vulnerability;

/// What a finding does to the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Fails the run (exit 1).
    Deny,
    /// Reported, does not fail the run.
    Warn,
    /// Not reported.
    Allow,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Allow => "allow",
        }
    }
}

/// A rule: what it checks and how it is named. `docs` follows ruff's layout (what it does, why
/// it matters, how to fix) and is what `pyaudit explain` will print.
#[derive(Debug, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub default_level: Level,
    pub summary: &'static str,
    pub docs: &'static str,
}

pub const UNCHECKED_PACKAGE: Rule = Rule {
    code: "PA001",
    name: "unchecked-package",
    default_level: Level::Deny,
    summary: "no complete, fresh advisory source answered for this package",
    docs: "## What it does\nReports a pinned registry package that no source able to answer for \
           *every* package answered for, fresh enough: OSV was unreachable, answered with an \
           error, sent a malformed record or a record other than the one asked for; the cached \
           answer or the local database is older than `[advisories] max-age` (`--offline`, \
           default 7 days) or `fallback-max-age` (OSV down, default 3 days), aged by its newest \
           record, never by when it was imported; or the only local data is *partial* — an \
           organisation's own records, `--advisories DIR`, a directory imported without \
           `--complete` — which adds findings but cannot vouch that a package it does not \
           mention is clean. What partial or stale data does know is still reported (PA101, \
           PA102) beside this finding.\n\n\
           ## Why is this bad?\nAn unchecked package is not a clean package. pyaudit fails closed: \
           it never reports \"no known vulnerabilities\" for a package it could not check, and \
           an audit with an unchecked package exits 2 (could not check), not 0.\n\n\
           ## How to fix\nRetry when OSV is reachable, or keep a complete, fresh local copy and \
           audit offline: `pyaudit db sync` (OSV's PyPI export, updated incrementally), \
           `pyaudit db import osv-all.zip`, or `pyaudit db import --complete DIR` for a full \
           checkout of an advisory database; then `pyaudit lock --offline`. `--max-age 30d` \
           accepts older data when you decide it is good enough; `--allow-unchecked` turns this \
           into a warning.",
};

pub const VULNERABILITY: Rule = Rule {
    code: "PA101",
    name: "vulnerability",
    default_level: Level::Deny,
    summary: "the locked version is affected by a known vulnerability",
    docs: "## What it does\nReports a locked package version that an OSV advisory (PYSEC, GHSA, \
           CVE, …) lists as affected, by the OSV matching rules on PEP 440 versions. Records that \
           describe the same vulnerability under several ids are merged into one finding.\n\n\
           ## Why is this bad?\nKnown vulnerabilities are what attackers try first.\n\n\
           ## How to fix\nMove to the target the finding names: the smallest version that fixes \
           every advisory of the package, the same for all its findings. The fix names what \
           blocks it (the project's own constraint, with file and line, or a dependent's \
           requirement and the dependent's smallest upgrade that admits it) and the command of \
           the lock's own tool (`uv lock --upgrade-package NAME==V`, `uv add 'NAME>=V'`, \
           `poetry add NAME@^V`, the requirements file's compile command, or an edit of the pin). \
           `pyaudit fix` shows the whole plan, and `pyaudit fix --apply` runs it for uv and \
           Poetry projects.",
};

pub const MALICIOUS_PACKAGE: Rule = Rule {
    code: "PA102",
    name: "malicious-package",
    default_level: Level::Deny,
    summary: "the package is reported as malicious",
    docs: "## What it does\nReports a package that an OpenSSF malicious-packages record (`MAL-` \
           id) lists: typosquats, dependency-confusion uploads, packages that steal credentials.\n\n\
           ## Why is this bad?\nInstalling it runs an attacker's code on developer machines and in \
           CI.\n\n## How to fix\nRemove it from the project, rotate any credential the machines \
           that installed it could reach, and check how it got in (`pyaudit why NAME`).",
};

pub const UNUSED_DEPENDENCY: Rule = Rule {
    code: "PA601",
    name: "unused-dependency",
    default_level: Level::Warn,
    summary: "a declared dependency is never imported",
    docs: "## What it does\nReports a main or optional (extra) dependency of `pyproject.toml` (or \
           of a production requirements file) that no `.py`, `.pyi` or notebook of the project \
           imports. The modules a distribution provides come from its locked wheel's file list \
           (read over HTTP range requests, cached), a `--venv`, `[usage.modules]`, or a \
           documented guess, which the finding then names.\n\n\
           Not reported: pytest plugins, type stubs (`types-*`, `*-stubs`), build backends, \
           CLI-only tools and packages listed in `[usage] ignore-unused`.\n\n\
           ## Why is this bad?\nEvery dependency is code that runs on your machines and in \
           production, with its own vulnerabilities and maintainers. One you do not use is risk \
           for nothing.\n\n## How to fix\nRemove it (`uv remove NAME`, `poetry remove NAME`), or, \
           when it is needed without being imported (a plugin, a driver loaded by name), list it in \
           `[usage] ignore-unused` with a comment saying why.",
};

pub const MISSING_DEPENDENCY: Rule = Rule {
    code: "PA602",
    name: "missing-dependency",
    default_level: Level::Deny,
    summary: "the code imports a module no dependency provides",
    docs: "## What it does\nReports a module imported at run time by the project's code (not \
           standard library, not the project's own, not guarded by `except ImportError`, not \
           under `if TYPE_CHECKING:`) that no declared dependency and no locked package \
           provides.\n\n## Why is this bad?\nThe code works only where the module happens to be \
           installed: a clean install fails with `ModuleNotFoundError`.\n\n## How to fix\nDeclare \
           the distribution that provides it (`uv add NAME`, `poetry add NAME`); if pyaudit \
           guessed the mapping wrongly, map it in `[usage.modules]`, or list the module in \
           `[usage] ignore-missing`.",
};

pub const TRANSITIVE_DEPENDENCY: Rule = Rule {
    code: "PA603",
    name: "transitive-dependency",
    default_level: Level::Warn,
    summary: "the code imports a package it only gets through another dependency",
    docs: "## What it does\nReports a module imported by the project's code whose distribution \
           is locked only because another dependency needs it.\n\n## Why is this bad?\nThe day \
           that dependency drops it or moves to an incompatible major version, the import breaks, \
           and no version constraint of yours stops it.\n\n## How to fix\nDeclare it directly \
           (`uv add NAME`, `poetry add NAME`) with the versions your code supports.",
};

pub const DEV_DEPENDENCY_IN_PRODUCTION: Rule = Rule {
    code: "PA604",
    name: "dev-dependency-in-production",
    default_level: Level::Deny,
    summary: "production code imports a package declared only for development",
    docs: "## What it does\nReports a module imported at run time by production code (not a test \
           path) whose distribution is declared only in a dependency group or a dev requirements \
           file.\n\n## Why is this bad?\nA production install (`uv sync --no-dev`, `poetry \
           install --only main`) does not install it: the import fails there.\n\n## How to fix\n\
           Move the dependency to the main dependencies, or move the import into test code or \
           under `if TYPE_CHECKING:`.",
};

pub const DEV_TOOL_IN_PRODUCTION: Rule = Rule {
    code: "PA605",
    name: "dev-tool-in-production",
    default_level: Level::Warn,
    summary: "a development tool is installed in production",
    docs: "## What it does\nReports a known development-only tool (test runners, linters, \
           formatters, type checkers, debuggers, notebook kernels; extend the list with \
           `[usage] dev-tools`) that the lock installs with the main dependencies, with the path \
           that brings it in.\n\n## Why is this bad?\nIt grows the production image and its \
           attack surface, and debuggers and kernels can execute code on request.\n\n\
           ## How to fix\nMove it to a dependency group (`uv add --dev NAME`, \
           `poetry add --group dev NAME`), or drop the dependency that pulls it in.",
};

pub const ORPHANED_PACKAGE: Rule = Rule {
    code: "PA606",
    name: "orphaned-package",
    default_level: Level::Warn,
    summary: "a lock entry no root reaches",
    docs: "## What it does\nReports a package of the lockfile that neither the project nor any of \
           its extras or dependency groups installs.\n\n## Why is this bad?\nThe lock is stale: it \
           no longer describes what an install does, so audits of it audit the wrong thing.\n\n\
           ## How to fix\nRegenerate the lock (`uv lock`, `poetry lock`, `pip-compile`).",
};

pub const EXPIRED_IGNORE: Rule = Rule {
    code: "PA002",
    name: "expired-ignore",
    default_level: Level::Warn,
    summary: "an ignore in the config is past its `until` date",
    docs: "## What it does\nReports an `[[ignore]]` whose `until` date has passed. The findings \
           it used to hide are reported again.\n\n## Why is this bad?\nAn ignore with a date is a \
           promise to look again; an expired one means nobody did.\n\n## How to fix\nFix what \
           the ignore covered (usually an upgrade), or, if it is still safe, write down why and \
           move `until` forward.",
};

pub const UNUSED_IGNORE: Rule = Rule {
    code: "PA003",
    name: "unused-ignore",
    default_level: Level::Warn,
    summary: "an ignore in the config matched no finding",
    docs: "## What it does\nReports an `[[ignore]]` that matched no finding in the run.\n\n\
           ## Why is this bad?\nA stale ignore silently hides the next finding that happens to \
           match it, and the config no longer says what the team believes.\n\n## How to fix\n\
           Remove it. (An ignore only matches findings of the lockfiles audited in the run: an \
           org-wide config may list ignores for other repositories.)",
};

pub const UNCHECKED_METADATA: Rule = Rule {
    code: "PA004",
    name: "unchecked-metadata",
    default_level: Level::Deny,
    summary: "PyPI metadata for this package could not be fetched",
    docs: "## What it does\nReports a registry package whose PyPI metadata (release history, \
           yanked flags, project status, license) could not be fetched or found in the cache, \
           while a rule that needs it (PA2xx, PA3xx) is enabled.\n\n## Why is this bad?\n\
           pyaudit fails closed: a package it could not check is not reported as fine.\n\n\
           ## How to fix\nRetry when PyPI (or `--pypi-url`) is reachable; a run online fills \
           the cache, and `--offline` uses it afterwards. `--allow-unchecked` turns this into a \
           warning; `--allow PA2 --allow PA3` turns the metadata rules off.",
};

pub const YANKED_VERSION: Rule = Rule {
    code: "PA201",
    name: "yanked-version",
    default_level: Level::Deny,
    summary: "the locked version is yanked from the index",
    docs: "## What it does\nReports a locked version whose files are all yanked (PEP 592), with \
           the reason the maintainers gave.\n\n## Why is this bad?\nMaintainers yank releases \
           that are broken or unsafe; installers skip them unless pinned, so a lock that pins one \
           keeps exactly what the maintainers withdrew.\n\n## How to fix\nMove to another \
           release: `uv lock --upgrade-package NAME`, `poetry update NAME`, or a new pin.",
};

pub const QUARANTINED_PROJECT: Rule = Rule {
    code: "PA202",
    name: "quarantined-project",
    default_level: Level::Deny,
    summary: "the index has quarantined the project",
    docs: "## What it does\nReports a project whose PEP 792 status is `quarantined`: the index \
           administrators took it out of service, usually while malware reports are \
           investigated.\n\n## Why is this bad?\nQuarantine is the index's own warning that the \
           project may be malicious.\n\n## How to fix\nRemove it, and check how it got in \
           (`pyaudit why NAME`).",
};

pub const ARCHIVED_PROJECT: Rule = Rule {
    code: "PA203",
    name: "archived-project",
    default_level: Level::Warn,
    summary: "the project is archived: no more releases will come",
    docs: "## What it does\nReports a project whose PEP 792 status is `archived`.\n\n\
           ## Why is this bad?\nAn archived project gets no security fixes.\n\n## How to fix\n\
           Plan a replacement; the status reason often names one.",
};

pub const DEPRECATED_PROJECT: Rule = Rule {
    code: "PA204",
    name: "deprecated-project",
    default_level: Level::Warn,
    summary: "the project is deprecated by its maintainers",
    docs: "## What it does\nReports a project whose PEP 792 status is `deprecated`.\n\n\
           ## Why is this bad?\nDeprecated projects stop receiving fixes.\n\n## How to fix\n\
           Move to the replacement the maintainers name in the status reason.",
};

pub const UNMAINTAINED_PROJECT: Rule = Rule {
    code: "PA205",
    name: "unmaintained-project",
    default_level: Level::Warn,
    summary: "the project's newest upload is older than the maintenance limit",
    docs: "## What it does\nReports a project whose most recent upload (any file of any release) \
           is older than `[maintenance] max-age-days` (default 730 days).\n\n## Why is this bad?\n\
           A project nobody releases is a project nobody will patch when an advisory arrives.\n\n\
           ## How to fix\nLook for a maintained fork or replacement; if the project is simply \
           finished, ignore it with a reason.",
};

pub const INACTIVE_PROJECT: Rule = Rule {
    code: "PA206",
    name: "inactive-project",
    // Off by default: classifiers come only from PyPI's JSON API, a second request per project
    // on every cold run; the index's own PEP 792 `archived` status (PA203) says the same.
    default_level: Level::Allow,
    summary: "the project declares itself inactive",
    docs: "## What it does\nReports a project whose newest release carries the trove \
           classifier `Development Status :: 7 - Inactive`.\n\n## Why is this bad?\nThe \
           maintainers say plainly that no more work will be done.\n\n## How to fix\nPlan a \
           replacement.\n\n## Default\nOff (`allow`): reading classifiers costs one more \
           request per project to PyPI's JSON API on a cold run, and PyPI's own `archived` \
           status (PA203, on by default) covers projects that stopped. Turn it on with \
           `--warn PA206` or `PA206 = \"warn\"` under `[rules]`.",
};

pub const OUTDATED_VERSION: Rule = Rule {
    code: "PA207",
    name: "outdated-version",
    default_level: Level::Warn,
    summary: "the locked version is far behind the newest release",
    docs: "## What it does\nReports a locked version that is `[maintenance] max-major-behind` \
           (default 2) or more major versions behind the newest stable release, or was uploaded \
           `max-days-behind` (default 1095) or more days before it.\n\n## Why is this bad?\n\
           Fixes land on new releases; the further behind a lock is, the harder the upgrade when \
           a fix is needed in a hurry.\n\n## How to fix\nUpgrade with the lock's own tool.",
};

pub const RECENT_RELEASE: Rule = Rule {
    code: "PA208",
    name: "recent-release",
    default_level: Level::Warn,
    summary: "the locked version was uploaded within the cooldown period",
    docs: "## What it does\nReports a locked version uploaded less than `[maintenance] \
           cooldown-days` (default 7) days ago: the supply-chain cooldown that pnpm's \
           `minimumReleaseAge` and uv's `exclude-newer` apply at install time, enforced at audit \
           time.\n\n## Why is this bad?\nMost malicious releases of hijacked projects are found \
           and removed within days; waiting lets that happen before you install.\n\n## How to \
           fix\nLock the previous release until the cooldown passes (`uv lock \
           --exclude-newer DATE`), or ignore with a reason when the fix is urgent.",
};

pub const NEW_PROJECT: Rule = Rule {
    code: "PA209",
    name: "new-project",
    default_level: Level::Warn,
    summary: "the project itself is younger than the cooldown for new projects",
    docs: "## What it does\nReports a project whose first upload is less than `[maintenance] \
           new-project-days` (default 30) days old.\n\n## Why is this bad?\nTyposquats and \
           dependency-confusion uploads are new projects; a young project has no track record.\n\n\
           ## How to fix\nCheck who publishes it and why it is needed; ignore it with a reason \
           once reviewed.",
};

pub const UNLISTED_VERSION: Rule = Rule {
    code: "PA210",
    name: "unlisted-version",
    default_level: Level::Warn,
    summary: "the index does not list the locked version",
    docs: "## What it does\nReports a locked registry version that the index's release list does \
           not contain: it was deleted, or the lock points at another index.\n\n## Why is this \
           bad?\nA deleted release cannot be reinstalled, and deletions sometimes follow a \
           compromise.\n\n## How to fix\nRe-lock to a listed release.",
};

pub const LICENSE_NOT_ALLOWED: Rule = Rule {
    code: "PA301",
    name: "license-not-allowed",
    default_level: Level::Deny,
    summary: "the package's license is not allowed by the license policy",
    docs: "## What it does\nEvaluates the package's SPDX license expression against `[licenses] \
           allow` and `deny`: `A OR B` passes if either side does, `A AND B` needs both, `WITH` \
           exceptions and `-or-later` are understood. The license comes from PEP 639 \
           `license_expression`, else trove classifiers, else the free-text field; the finding \
           says which.\n\n## Why is this bad?\nShipping code under a license the organisation \
           cannot comply with is a legal risk.\n\n## How to fix\nReplace the package, or ask \
           legal and add an ignore for this package with the reason.",
};

pub const UNKNOWN_LICENSE: Rule = Rule {
    code: "PA302",
    name: "unknown-license",
    default_level: Level::Warn,
    summary: "no license could be determined while a license policy is set",
    docs: "## What it does\nReports a package whose metadata declares no license pyaudit can map \
           to SPDX, when `[licenses]` has an allow or deny list.\n\n## Why is this bad?\nAn \
           unknown license cannot be checked against the policy.\n\n## How to fix\nRead the \
           package's license, then ignore the finding for that package with the license as the \
           reason.",
};

pub const GIT_SOURCE: Rule = Rule {
    code: "PA401",
    name: "git-source",
    default_level: Level::Warn,
    summary: "the package is installed from a git repository",
    docs: "## What it does\nReports a dependency installed from a git repository rather than an \
           index.\n\n## Why is this bad?\nNo advisory database covers commits; a branch or tag \
           can move under you; nothing checks the artifact's hash.\n\n## How to fix\nUse a \
           released version from the index, or pin a full commit hash.",
};

pub const URL_SOURCE: Rule = Rule {
    code: "PA402",
    name: "url-source",
    default_level: Level::Warn,
    summary: "the package is installed from a direct URL",
    docs: "## What it does\nReports a dependency installed from a direct URL to an archive.\n\n\
           ## Why is this bad?\nAdvisories do not cover it and the URL's content can change.\n\n\
           ## How to fix\nUse the index release, or record the archive's hash.",
};

pub const LOCAL_SOURCE: Rule = Rule {
    code: "PA403",
    name: "local-source",
    default_level: Level::Warn,
    summary: "the package is installed from a local path or in editable mode",
    docs: "## What it does\nReports a dependency installed from a local path, directory or in \
           editable mode that is not one of the project's own workspace members.\n\n## Why is \
           this bad?\nThe build depends on what happens to be on the machine; nothing audits \
           it.\n\n## How to fix\nPublish it to your index, or make it a workspace member.",
};

pub const INDEX_NOT_ALLOWED: Rule = Rule {
    code: "PA404",
    name: "index-not-allowed",
    default_level: Level::Deny,
    summary: "the package comes from an index not on the allow list",
    docs: "## What it does\nWith `[sources] allowed-indexes` set, reports a package resolved \
           from any other index (uv.lock `source.registry`, poetry `[package.source]`, \
           requirements `--index-url` / `--extra-index-url`).\n\n## Why is this bad?\nAn \
           unexpected index is how dependency-confusion attacks deliver their packages.\n\n\
           ## How to fix\nResolve from an allowed index, or add the index to the list.",
};

pub const UNPINNED_REQUIREMENT: Rule = Rule {
    code: "PA405",
    name: "unpinned-requirement",
    default_level: Level::Warn,
    summary: "a requirement is not pinned to one version",
    docs: "## What it does\nReports a requirements-file entry without an exact `==` pin.\n\n\
           ## Why is this bad?\nAny version in the range may be installed, including a future \
           malicious one, and advisories cannot be matched to a range.\n\n## How to fix\nCompile \
           the requirements into a lock (`uv pip compile`, `pip-compile`).",
};

pub const MISSING_HASHES: Rule = Rule {
    code: "PA406",
    name: "missing-hashes",
    default_level: Level::Deny,
    summary: "the lock records no artifact hash for the package",
    docs: "## What it does\nWith `[sources] require-hashes = true`, reports a registry package \
           for which the lock records no hash (`--hash` in requirements files, `hashes` / \
           `files` in lockfiles).\n\n## Why is this bad?\nWithout a hash, a replaced artifact on \
           the index or a mirror installs silently.\n\n## How to fix\nRegenerate with hashes: \
           `uv pip compile --generate-hashes`, `pip-compile --generate-hashes`.",
};

pub const TYPOSQUAT: Rule = Rule {
    code: "PA501",
    name: "typosquat-suspect",
    default_level: Level::Warn,
    summary: "the name is one typo away from a popular project",
    docs: "## What it does\nReports a package that is not itself popular and whose name is within \
           edit distance 1–2 of a popular project, has two characters swapped, differs only by \
           `-`/`_`/`.`, or adds or drops a `py`/`python` prefix or suffix. The popular list is \
           data: a built-in seed, `pyaudit db popular FILE` (hugovk's top-pypi-packages JSON or \
           one name per line), or `[typosquat] popular` in the config. A name that is itself in \
           the popular list is never reported (`arrow` is not a squat of `pyarrow`).\n\n## Why is \
           this bad?\nTyposquatting is the most common way malicious packages reach PyPI users.\n\n\
           ## How to fix\nCheck that the package is the one you meant; fix the name, or ignore \
           it with a reason once reviewed.",
};

pub const BANNED_PACKAGE: Rule = Rule {
    code: "PA502",
    name: "banned-package",
    default_level: Level::Deny,
    summary: "the organisation forbids this package",
    docs: "## What it does\nReports a package named in `[[bans]]` (optionally only versions in a \
           PEP 440 specifier), with the reason the config gives.\n\n## Why is this bad?\nThe \
           organisation decided against it.\n\n## How to fix\nRemove it or move to the \
           replacement the ban names (`pyaudit why NAME` shows what pulls it in).",
};

pub const INSTALLED_NOT_LOCKED: Rule = Rule {
    code: "PA701",
    name: "installed-not-locked",
    default_level: Level::Deny,
    summary: "an installed package is not in the lock",
    docs: "## What it does\nWith `pyaudit lock --installed DIR --against LOCK`, reports a \
           distribution installed in DIR (a `*.dist-info`) whose name the lock does not have at \
           all.\n\n## Why is this bad?\nThe lock is what was reviewed and audited; a package \
           installed beside it (a `pip install` in a Dockerfile, a stale layer, a tool that \
           installed its own dependencies) ships unreviewed, and may be exactly what an attacker \
           added.\n\n## How to fix\nBuild the environment from the lock only (`uv sync --frozen`, \
           `pip install --require-hashes -r …`, `pdm sync`), or add the package to the project \
           and lock it.",
};

pub const INSTALLED_VERSION_DIFFERS: Rule = Rule {
    code: "PA702",
    name: "installed-version-differs",
    default_level: Level::Deny,
    summary: "the installed version is not the locked one",
    docs: "## What it does\nWith `--installed DIR --against LOCK`, reports a distribution \
           installed in DIR at a version the lock does not pin for that name, with the versions \
           it does pin.\n\n## Why is this bad?\nThe audit of the lock vouched for another \
           release: the one that ships was never checked against the lock's hashes, and may be \
           older, vulnerable or replaced.\n\n## How to fix\nReinstall from the lock (`uv sync \
           --frozen`, `pdm sync --clean`, `pipenv sync`), or relock if the environment is what \
           you want.",
};

pub const DEV_PACKAGE_INSTALLED: Rule = Rule {
    code: "PA703",
    name: "dev-package-installed",
    default_level: Level::Deny,
    summary: "a package the lock installs only for development is installed",
    docs: "## What it does\nWith `--installed DIR --against LOCK`, reports a distribution \
           installed in DIR that the lock installs only through dependency groups or dev \
           requirements (class `dev`), with the path that brings it in there.\n\n## Why is this \
           bad?\nA production image should hold what production needs. Test runners, debuggers \
           and notebook kernels widen the attack surface where it matters most, and PA605 only \
           sees the lock, not what the image build actually installed.\n\n## How to fix\n\
           Install without development groups: `uv sync --no-dev`, `poetry install --only main`, \
           `pdm install --prod`, `pipenv install --deploy` (without `--dev`); check the image's \
           build steps for a second install.",
};

/// Every rule, in code order.
pub const RULES: &[&Rule] = &[
    &UNCHECKED_PACKAGE,
    &EXPIRED_IGNORE,
    &UNUSED_IGNORE,
    &UNCHECKED_METADATA,
    &VULNERABILITY,
    &MALICIOUS_PACKAGE,
    &YANKED_VERSION,
    &QUARANTINED_PROJECT,
    &ARCHIVED_PROJECT,
    &DEPRECATED_PROJECT,
    &UNMAINTAINED_PROJECT,
    &INACTIVE_PROJECT,
    &OUTDATED_VERSION,
    &RECENT_RELEASE,
    &NEW_PROJECT,
    &UNLISTED_VERSION,
    &LICENSE_NOT_ALLOWED,
    &UNKNOWN_LICENSE,
    &GIT_SOURCE,
    &URL_SOURCE,
    &LOCAL_SOURCE,
    &INDEX_NOT_ALLOWED,
    &UNPINNED_REQUIREMENT,
    &MISSING_HASHES,
    &TYPOSQUAT,
    &BANNED_PACKAGE,
    &UNUSED_DEPENDENCY,
    &MISSING_DEPENDENCY,
    &TRANSITIVE_DEPENDENCY,
    &DEV_DEPENDENCY_IN_PRODUCTION,
    &DEV_TOOL_IN_PRODUCTION,
    &ORPHANED_PACKAGE,
    &INSTALLED_NOT_LOCKED,
    &INSTALLED_VERSION_DIFFERS,
    &DEV_PACKAGE_INSTALLED,
];

/// Rules that read PyPI metadata: when all of them are allowed, the metadata stage is skipped.
pub const METADATA_RULES: &[&Rule] = &[
    &UNCHECKED_METADATA,
    &YANKED_VERSION,
    &QUARANTINED_PROJECT,
    &ARCHIVED_PROJECT,
    &DEPRECATED_PROJECT,
    &UNMAINTAINED_PROJECT,
    &INACTIVE_PROJECT,
    &OUTDATED_VERSION,
    &RECENT_RELEASE,
    &NEW_PROJECT,
    &UNLISTED_VERSION,
    &LICENSE_NOT_ALLOWED,
    &UNKNOWN_LICENSE,
];

/// The package a finding is about, and how it got into the lock.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageContext {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub class: Class,
    pub direct: bool,
    /// The shortest path from a root, as `name==version` labels, root first (shared between the
    /// findings of one package).
    pub path: std::sync::Arc<[std::sync::Arc<str>]>,
    /// Where the package's entry is in the lockfile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// What proves a finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    Vulnerability {
        vulnerability: Box<Vulnerability>,
    },
    Unchecked {
        reason: String,
    },
    /// What PyPI's metadata says, as named facts (`newest_version`, `last_upload`, …), and
    /// when that data was fetched.
    Metadata {
        facts: Vec<Fact>,
        /// Unix milliseconds of the fetch the facts come from.
        as_of: i64,
    },
    /// The license as determined, where it came from, and the policy's verdict.
    License {
        #[serde(skip_serializing_if = "Option::is_none")]
        expression: Option<String>,
        /// `license-expression`, `classifiers`, `license-text` or `none`.
        source: String,
        /// What the metadata says, as written.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        declared: String,
        /// The release the license was read from (PyPI's JSON describes only the newest).
        of_version: String,
        /// The release's own core metadata file the license was read from (`pyaudit review`);
        /// absent when it came from PyPI's project JSON.
        #[serde(skip_serializing_if = "Option::is_none")]
        metadata_file: Option<String>,
        verdict: String,
    },
    /// Where the package comes from.
    Source {
        /// `git`, `url`, `path`, `directory`, `editable`, `registry`.
        source: String,
        location: String,
    },
    /// The popular project the name is close to, and how.
    Similar {
        popular: String,
        how: String,
    },
    /// A part of the config: the ban or ignore the finding is about.
    Config {
        location: Location,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An installed distribution against the lock (PA7xx): its metadata file, and what the lock
    /// says of its name.
    Installed {
        /// The `METADATA` of the installed distribution.
        location: Location,
        /// The lock, and what it has for the name (`not in uv.lock`, `uv.lock pins 2.0`, …).
        lock: String,
    },
    /// A usage finding: the import or declaration that proves it.
    Usage {
        /// The import (file:line of the module name) or the declaration.
        location: Location,
        /// The module imported, for findings about imports.
        #[serde(skip_serializing_if = "Option::is_none")]
        module: Option<String>,
        /// Further imports of the same distribution or module (at most ten).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more: Vec<Location>,
        /// How the distribution's modules were found; says so when they are a guess.
        #[serde(skip_serializing_if = "Option::is_none")]
        mapping: Option<String>,
    },
}

/// One named fact of [`Evidence::Metadata`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    #[serde(deserialize_with = "fact_name")]
    pub name: StaticName,
    pub value: String,
}

impl Fact {
    pub fn new(name: &'static str, value: impl ToString) -> Self {
        Self {
            name,
            value: value.to_string(),
        }
    }
}

impl Evidence {
    /// One line for people: what proves the finding (the vulnerability evidence is shown by the
    /// reporters themselves, with ids and severity).
    pub fn describe(&self) -> Option<String> {
        match self {
            Evidence::Vulnerability { .. } | Evidence::Unchecked { .. } => None,
            Evidence::Metadata { facts, .. } => Some(
                facts
                    .iter()
                    .map(|fact| format!("{}: {}", fact.name.replace('_', " "), fact.value))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Evidence::License {
                expression,
                source,
                declared,
                of_version,
                metadata_file,
                verdict,
            } => Some(format!(
                "license {} (from {source}{}, {}): {verdict}",
                expression.as_deref().unwrap_or("unknown"),
                if declared.is_empty() || expression.as_deref() == Some(declared.as_str()) {
                    String::new()
                } else {
                    format!(" `{declared}`")
                },
                match metadata_file {
                    Some(_) => format!("in the METADATA of release {of_version} itself"),
                    None => format!("release {of_version}"),
                }
            )),
            Evidence::Source { source, location } => Some(format!("{source} source: {location}")),
            Evidence::Installed { location, lock } => {
                Some(format!("installed at {location}; {lock}"))
            }
            Evidence::Similar { popular, how } => Some(format!("close to `{popular}`: {how}")),
            Evidence::Config { location, reason } => Some(match reason {
                Some(reason) => format!("{location}: {reason}"),
                None => location.to_string(),
            }),
            Evidence::Usage {
                location,
                more,
                mapping,
                ..
            } => {
                let mut text = format!("at {location}");
                if !more.is_empty() {
                    let others: Vec<String> = more.iter().map(ToString::to_string).collect();
                    text.push_str(&format!(" (and {})", others.join(", ")));
                }
                if let Some(mapping) = mapping {
                    text.push_str(&format!("; modules {mapping}"));
                }
                Some(text)
            }
        }
    }

    /// A stable key telling two findings of one rule and package apart (fingerprints, sorting).
    pub fn key(&self) -> String {
        match self {
            Evidence::Vulnerability { vulnerability } => vulnerability.id.clone(),
            Evidence::Unchecked { reason } => reason.clone(),
            Evidence::Metadata { .. } | Evidence::License { .. } => String::new(),
            Evidence::Source { location, .. } => location.clone(),
            Evidence::Installed { location, .. } => location.to_string(),
            Evidence::Similar { popular, .. } => popular.clone(),
            Evidence::Config { location, .. } => location.to_string(),
            Evidence::Usage {
                location, module, ..
            } => module.clone().unwrap_or_else(|| location.to_string()),
        }
    }
}

/// How to make a finding go away.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fix {
    /// The version to move to, where one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What to do, in words.
    pub description: String,
    /// The command for the lock's own tool, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    #[serde(deserialize_with = "rule_code")]
    pub code: StaticName,
    #[serde(deserialize_with = "rule_name")]
    pub rule: StaticName,
    pub level: Level,
    pub package: PackageContext,
    /// One line saying what is wrong.
    pub message: String,
    pub evidence: Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// Look a rule up by code or name.
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
}

/// The rules a selector names: a code (`PA101`), a name (`vulnerability`), or a code prefix
/// (`PA2`, `PA30`) for a whole family. Empty when nothing matches.
pub fn rules_matching(selector: &str) -> Vec<&'static Rule> {
    if let Some(rule) = rule(selector) {
        return vec![rule];
    }
    let upper = selector.to_ascii_uppercase();
    if upper.len() < 3
        || !upper.starts_with("PA")
        || !upper[2..].bytes().all(|b| b.is_ascii_digit())
    {
        return Vec::new();
    }
    RULES
        .iter()
        .copied()
        .filter(|rule| rule.code.starts_with(&upper))
        .collect()
}

/// A name from a fixed table (rule codes and names, fact names). Spelt through an alias so
/// serde's derive does not take `&'static str` for a borrow of the input (which would tie every
/// report read back to a `'static` buffer); [`rule_code`] and friends map the text to the table.
pub type StaticName = &'static str;

/// Every fact name [`Evidence::Metadata`] carries, so a report read back (`pyaudit org-merge`)
/// keeps the same `&'static str` names the evaluation wrote.
const FACT_NAMES: [&str; 16] = [
    "classifier",
    "cooldown_days",
    "days_behind",
    "first_upload",
    "last_upload",
    "major_versions_behind",
    "max_age_days",
    "new_project_days",
    "newest_version",
    "newest_uploaded",
    "of_version",
    "project_status",
    "status_reason",
    "uploaded",
    "yank_reason",
    "yanked",
];

fn known_name<'de, D: Deserializer<'de>>(
    deserializer: D,
    known: impl Iterator<Item = &'static str>,
    what: &str,
) -> Result<&'static str, D::Error> {
    let text = String::deserialize(deserializer)?;
    let mut known = known;
    known
        .find(|name| *name == text)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown {what} `{text}`")))
}

/// A rule code read back from a report: one of [`RULES`].
pub fn rule_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    known_name(
        deserializer,
        RULES.iter().map(|rule| rule.code),
        "rule code",
    )
}

/// A rule name read back from a report: one of [`RULES`].
pub fn rule_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    known_name(
        deserializer,
        RULES.iter().map(|rule| rule.name),
        "rule name",
    )
}

fn fact_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    known_name(deserializer, FACT_NAMES.into_iter(), "fact")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_ordered() {
        let codes: Vec<&str> = RULES.iter().map(|rule| rule.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        let mut names: Vec<&str> = RULES.iter().map(|rule| rule.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        assert_eq!(rule("pa101").map(|rule| rule.name), Some("vulnerability"));
        assert_eq!(
            rule("malicious-package").map(|rule| rule.code),
            Some("PA102")
        );
        for rule in RULES {
            assert!(
                rule.code.len() == 5 && rule.code.starts_with("PA"),
                "{}",
                rule.code
            );
            assert!(
                rule.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                rule.name
            );
            assert!(rule.docs.contains("## How to fix"), "{}", rule.code);
        }
    }

    #[test]
    fn selectors_name_rules_families_or_nothing() {
        let codes = |selector: &str| -> Vec<&str> {
            rules_matching(selector)
                .iter()
                .map(|rule| rule.code)
                .collect()
        };
        assert_eq!(codes("yanked-version"), ["PA201"]);
        assert_eq!(codes("pa3"), ["PA301", "PA302"]);
        assert_eq!(codes("PA10"), ["PA101", "PA102"]);
        assert!(codes("PA").is_empty());
        assert!(codes("PA9").is_empty());
        assert!(codes("PAX").is_empty());
        assert!(codes("vuln").is_empty());
    }
}

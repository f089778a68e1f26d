//! `pyaudit init`: a commented starter config, every section with its defaults, so a team edits
//! rather than writes it. The text is parsed in a test: it cannot drift from what `config` reads.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Outcome;

pub const STARTER: &str = r#"# pyaudit configuration. `pyaudit explain` lists the rules; `pyaudit explain CODE` documents one.
# pyaudit looks for pyaudit.toml, .pyaudit.toml or [tool.pyaudit] in pyproject.toml from the
# lockfile's directory upwards; `--config FILE` overrides.

# Rule levels: deny (fails the run, exit 1), warn (reported), allow (off). Keys are codes, names,
# or code prefixes for a whole family (PA2 = maintenance, PA3 = licenses, PA4 = sources).
[rules]
# PA207 = "allow"          # outdated-version: far behind the newest release
# recent-release = "deny"  # enforce the supply-chain cooldown strictly

# Service URLs and network limits (the command line and PYAUDIT_OSV_URL / PYAUDIT_PYPI_URL,
# --timeout / PYAUDIT_TIMEOUT, --deadline / PYAUDIT_DEADLINE win over these). Whatever is not
# answered in time is reported as unchecked (PA001), never as clean.
[fetch]
# osv-url = "https://api.osv.dev"
# pypi-url = "https://pypi.org"
# timeout = 10                          # seconds for one attempt of one request
# deadline = 60                         # seconds of network time for the whole run (0: none)
# max-retry-after = 10                  # the longest Retry-After honoured, in seconds
# allow-cross-host-redirects = false    # follow a service's redirect to another host

# How old advisory data may be when it stands in for a live OSV answer: cached answers and
# complete local copies (`db sync`, `db import --complete`), aged by their newest record. Older
# data leaves packages unchecked (PA001, exit 2). `--max-age` overrides both.
[advisories]
max-age = "7d"            # with --offline
fallback-max-age = "3d"   # online, when OSV cannot answer
# complete = ["vendor/advisory-database"]   # folders that are complete copies of a source

# Vulnerabilities rated below `deny-from` warn instead of failing the run. Ratings: low, medium,
# high, critical. A vulnerability without a rating always keeps its level.
[vulnerabilities]
# deny-from = "low"
# optional-deny-from = "medium"   # packages only extras install
# dev-deny-from = "high"          # packages only dev groups install

# Limits of the maintenance rules, in days.
[maintenance]
max-age-days = 730        # PA205: no upload for this long
max-major-behind = 2      # PA207: this many major versions behind the newest release...
max-days-behind = 1095    # ...or released this long before it
cooldown-days = 7         # PA208: the locked release is younger than this
new-project-days = 30     # PA209: the project is younger than this

# License policy (SPDX). Without lists, licenses are not judged. `A OR B` passes if either does,
# `A AND B` needs both; `WITH` exceptions and `-or-later` are understood.
[licenses]
# allow = ["MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "PSF-2.0", "MPL-2.0"]
# deny = ["AGPL-3.0-only", "AGPL-3.0-or-later"]

[sources]
# allowed-indexes = ["https://pypi.org/simple"]   # PA404: any other index is denied
require-hashes = false                            # PA406: deny packages the lock has no hash for

[typosquat]
# popular = ["popular-packages.txt"]   # more popular names (one per line, or top-pypi-packages JSON)
# allow = ["our-internal-package"]     # names never reported as typosquats

# What the lockfile readers may read. Requirements includes (`-r`, `-c`) and lockfiles must stay
# inside the project root (the directory pyaudit is pointed at, or the lockfile's directory);
# devices, FIFOs and /proc, /sys, /dev are always refused. A pull request can edit this file:
# prefer `--allow-outside-includes` in CI.
[input]
# allow-outside-includes = true   # monorepos that share requirements files (read by `lock`)

# The import scan behind the usage rules (PA601-PA606), run when the lockfile's directory holds
# the project's sources (or with `--project DIR`). Paths use gitignore syntax.
[usage]
# exclude = ["scripts/", "docs/"]
# tests = ["tests/", "test_*.py", "conftest.py"]
# ignore-unused = ["psycopg2-binary"]     # needed without being imported (a driver, a plugin)
# ignore-missing = ["local_module"]
# dev-tools = ["our-linter"]              # more dev-only tools for PA605
# modules = { "python-ldap" = ["ldap", "ldif"] }   # distribution -> the modules it provides

# Packages the organisation forbids, optionally only some versions.
# [[bans]]
# package = "pycrypto"
# reason = "unmaintained since 2013; use pycryptodome"
#
# [[bans]]
# package = "urllib3"
# version = "<1.26"
# reason = "no longer receives security fixes"

# Accepted findings. Each needs a reason; `until` makes it expire (then PA002 reports it).
# [[ignore]]
# id = "PYSEC-2024-60"         # a vulnerability id or any alias (CVE, GHSA)
# reason = "we never decode untrusted IDNA input"
# until = 2027-03-31
#
# [[ignore]]
# rule = "PA205"               # or a rule for one package
# package = "six"
# reason = "finished, not abandoned"
"#;

/// The starter with every commented-out option turned on: what the tests check both the reader
/// and the JSON Schema accept. A commented option is `# key = value` or `# [table]`; prose
/// comments are left alone.
pub fn starter_with_every_option() -> String {
    STARTER
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest
                        .split_once(" = ")
                        .is_some_and(|(key, _)| !key.contains(' ')) =>
            {
                rest
            }
            _ => line,
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

pub fn run(path: &Path, force: bool) -> Result<(String, Outcome)> {
    if path.exists() && !force {
        bail!(
            "`{}` already exists; pass --force to overwrite it",
            path.display()
        );
    }
    std::fs::write(path, STARTER).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok((
        format!(
            "wrote {}; edit it, then run `pyaudit lock`\n",
            path.display()
        ),
        Outcome::Clean,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_config_is_valid_and_says_the_defaults() {
        let config = crate::config::parse(Path::new("pyaudit.toml"), STARTER).unwrap();
        assert_eq!(
            config.maintenance,
            crate::config::MaintenancePolicy::default()
        );
        assert!(config.levels.is_empty());
        assert!(!config.licenses.is_set());
        // Every commented-out line parses too, once uncommented.
        let uncommented = starter_with_every_option();
        let config = crate::config::parse(Path::new("pyaudit.toml"), &uncommented)
            .unwrap_or_else(|error| panic!("{error}\n{uncommented}"));
        assert_eq!(config.bans.len(), 2);
        assert_eq!(config.ignores.len(), 2);
        assert!(config.licenses.is_set());
    }
}

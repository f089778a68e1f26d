//! Command-line interface: the raw arguments clap parses. Validation and wiring live in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// pyaudit audits a Python project's lockfile: every package it installs, where it comes from and
/// what it brings in.
#[derive(Debug, Parser)]
#[command(name = "pyaudit", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print only errors (no warnings, no progress).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the resolved dependency graph of a lockfile, with each package's class.
    ///
    /// Reads uv.lock, poetry.lock and requirements files (pip syntax, pip-compile `# via` comments).
    /// Each package is classed `prod` (installed by the roots' main dependencies), `optional`
    /// (only through the roots' own extras), `dev` (only through dependency groups or dev
    /// requirements files) or `unreachable` (no root installs it: a stale lock). Markers are kept
    /// on the edges and not evaluated, so a Windows-only dependency counts.
    Graph(GraphArgs),
    /// Explain why a package is in the lock: every path from a root to it, shortest first.
    Why(WhyArgs),
    /// Audit a lockfile: vulnerabilities, malicious packages, maintenance, licenses, sources,
    /// typosquats and bans, by the policy in `pyaudit.toml`.
    ///
    /// Every pinned registry package in scope is checked against OSV (cached), the local advisory
    /// database (`pyaudit db import`) and `--advisories` folders, and — when a rule needs it —
    /// against PyPI's metadata (yanked releases, project status, release history, license). A
    /// package that no complete, fresh source answered for is reported as unchecked (PA001,
    /// PA004): a partial local copy only adds findings, and stand-in data older than
    /// `[advisories] max-age` (7d offline) or `fallback-max-age` (3d when OSV fails) does not
    /// count. pyaudit never calls a package clean that it could not check. `pyaudit explain`
    /// lists the rules.
    ///
    /// Exit status: 0 every package checked and no deny-level finding; 1 deny-level findings;
    /// 2 the audit could not be completed (a package unchecked, and that is not allowed) or
    /// pyaudit failed. A definite finding wins over an incomplete audit (1, not 2).
    Lock(Box<LockArgs>),
    /// Audit every repository under one or more roots (or listed in a file) in one run.
    ///
    /// Finds uv.lock, poetry.lock and requirements files (honouring `.gitignore`, skipping
    /// virtual environments, `node_modules` and build output), parses them in parallel, enriches
    /// each distinct `name==version` once, and evaluates each repository with its own config
    /// (else `--config`). Reports: JSON (`pyaudit-org/1`), a self-contained HTML page, Markdown.
    /// Each run's summary is kept in the cache; reports show what is new, fixed and changed since
    /// the previous run.
    ///
    /// Exit status: 0 no deny-level findings, 1 definite deny-level findings in some repository
    /// (with `--since-last`: new ones only), 2 some repository's audit could not be completed (a
    /// package unchecked) or pyaudit failed (with `--strict`: also when a lockfile could not be
    /// read). `org` does not run the usage rules (PA601–PA606); its reports say so.
    Org(Box<OrgArgs>),
    /// Merge the JSON reports of a sharded org run (`pyaudit org --shard I/N --json FILE`) into
    /// the whole organisation's report, as one unsharded run would make it.
    ///
    /// Blast radius, risk ranking, censuses and the diff with the previous run (kept in this
    /// machine's cache under the run's roots) are computed over every shard's repositories.
    ///
    /// Exit status: as `pyaudit org`, and 2 when a shard is missing or could not be read (the
    /// report names it) or when the shards were made by other pyaudit versions, configs or
    /// advisory data (refused unless `--allow-mixed`).
    OrgMerge(Box<OrgMergeArgs>),
    /// Review a package before adding it: what it would bring in, and whether to let it in.
    ///
    /// Reads the package's metadata from PyPI (the newest non-yanked release when no version is
    /// given), follows its `Requires-Dist` for the target Python and platform — each requirement
    /// taking the newest release that satisfies it, recursively; an approximation of a resolver,
    /// not uv's or pip's answer — and audits every package of that closure with the same policy
    /// as `pyaudit lock`: vulnerabilities, malicious packages, maintenance, project status, yanked
    /// releases, licenses, typosquats, sources. The verdict is approve, needs review or deny, with
    /// the reasons. Markers are evaluated for CPython `--python` on `--platform`: linux =
    /// sys_platform `linux`, platform_system `Linux`, os_name `posix`, platform_machine `x86_64`;
    /// macos = `darwin`, `Darwin`, `posix`, `arm64`; windows = `win32`, `Windows`, `nt`, `AMD64`.
    ///
    /// Exit status: 0 approve, 1 deny, 2 a package could not be checked (or pyaudit failed), 3
    /// needs review.
    Review(Box<ReviewArgs>),
    /// Find unused, missing, transitive and dev-leaking dependencies from the project's imports.
    ///
    /// Scans the `.py`, `.pyi` and notebook files under DIR (honouring `.gitignore`), maps each
    /// distribution to the modules it provides (the locked wheel's file list, read with HTTP range
    /// requests and cached; `--venv`; `[usage.modules]`; else a stated guess) and runs the usage
    /// rules PA601–PA606 against `pyproject.toml` and the lockfile in DIR. Installs nothing.
    ///
    /// Exit status: 0 no deny-level findings, 1 deny-level findings, 2 the audit could not be
    /// completed or pyaudit failed.
    Usage(Box<UsageArgs>),
    /// Plan the fixes of a lock's vulnerabilities: per package one target (the smallest version
    /// that fixes all its advisories), what blocks it, and the steps in the lock's own tool.
    ///
    /// A blocker is the project's own constraint (a `pyproject.toml` pin, a Poetry caret, a
    /// requirements `.in` line, with file and line) or a dependent's requirement (read from its
    /// core metadata), with the smallest upgrade of the dependent that admits the target. Steps:
    /// `uv add` / `uv lock --upgrade-package X==V`, `poetry add X@^V` / `poetry update X`, the
    /// requirements file's own `uv pip compile` / `pip-compile` command with `--upgrade-package`,
    /// or a hand edit. Each target is checked against advisories first: a step that would move a
    /// package down or bring in a new advisory is refused. Without `--apply` nothing is changed.
    ///
    /// Exit status: 0 nothing to fix (or, with `--apply`, nothing left), 1 vulnerabilities to fix
    /// (or left), 2 a package could not be checked, or pyaudit failed.
    Fix(Box<FixArgs>),
    /// Write a commented starter `pyaudit.toml` (every section, with the defaults).
    Init {
        /// Where to write it.
        #[arg(default_value = "pyaudit.toml", value_name = "FILE")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Manage the local advisory database used offline and as an extra source.
    #[command(subcommand)]
    Db(DbCommand),
    /// Show or clear pyaudit's cache of fetched answers.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a rule's documentation (`pyaudit explain PA101`), or list every rule.
    Explain {
        /// A rule code (`PA101`) or name (`vulnerability`); omit to list all rules.
        rule: Option<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to standard output.
    ///
    /// Install it where the shell looks for completions, e.g.
    /// bash: `pyaudit completions bash > ~/.local/share/bash-completion/completions/pyaudit`;
    /// zsh: `pyaudit completions zsh > ~/.zfunc/_pyaudit` (with `fpath+=~/.zfunc` before
    /// `compinit`); fish: `pyaudit completions fish > ~/.config/fish/completions/pyaudit.fish`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print pyaudit's man page (roff), or write one page per command into a directory.
    ///
    /// `pyaudit man | man -l -` reads it; `pyaudit man --output-dir DIR` writes `pyaudit.1`,
    /// `pyaudit-lock.1`, `pyaudit-db-import.1`, … for a `man1` directory.
    Man {
        /// Write every command's page into DIR instead of printing `pyaudit.1`.
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
    },
}

/// Where advisory data comes from; shared by the commands that need it.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Use only the cache and local databases; make no network request.
    #[arg(long)]
    pub offline: bool,

    /// OSV API base URL [default: `[fetch] osv-url` in the config, else https://api.osv.dev].
    #[arg(long, env = "PYAUDIT_OSV_URL", value_name = "URL")]
    pub osv_url: Option<String>,

    /// PyPI base URL (JSON API at `/pypi/<name>/json`, Simple API at `/simple/`) [default:
    /// `[fetch] pypi-url` in the config, else https://pypi.org].
    #[arg(long, env = "PYAUDIT_PYPI_URL", value_name = "URL")]
    pub pypi_url: Option<String>,

    /// How long PyPI metadata is reused before revalidating it, in seconds.
    #[arg(long, default_value_t = 6 * 3600, value_name = "SECONDS")]
    pub metadata_ttl: u64,

    /// Cache directory [default: the platform cache directory, e.g. ~/.cache/pyaudit].
    #[arg(long, env = "PYAUDIT_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// A folder of the organisation's own OSV records (JSON or YAML) to use as one more source.
    /// May be given several times.
    #[arg(long = "advisories", value_name = "DIR")]
    pub advisories: Vec<PathBuf>,

    /// How long an OSV answer is reused before asking again, in seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub cache_ttl: u64,

    /// A folder of OSV records that is a complete copy of an advisory source (a checkout of the
    /// PyPA advisory database, an unpacked OSV export): fresh enough, it answers for every
    /// package. May be given several times. Also `[advisories] complete` in the config.
    #[arg(long = "complete-advisories", value_name = "DIR")]
    pub complete_advisories: Vec<PathBuf>,

    /// The oldest advisory data that may stand in for a live OSV answer — cached answers and
    /// complete local copies, aged by their newest record — e.g. `7d`, `36h` [default: `[advisories]
    /// max-age` (7d) with `--offline`, `fallback-max-age` (3d) when OSV fails]. Older data leaves
    /// packages unchecked (PA001).
    #[arg(long, value_name = "AGE", value_parser = parse_age_argument)]
    pub max_age: Option<std::time::Duration>,

    /// Seconds one attempt of one request may take [default: `[fetch] timeout` in the config,
    /// else 10].
    #[arg(long, env = "PYAUDIT_TIMEOUT", value_name = "SECONDS", value_parser = parse_positive_seconds)]
    pub timeout: Option<f64>,

    /// Seconds the whole run may spend on the network; what is not answered by then is reported
    /// as unchecked (PA001). 0: no deadline [default: `[fetch] deadline` in the config, else 60].
    #[arg(long, env = "PYAUDIT_DEADLINE", value_name = "SECONDS", value_parser = parse_seconds)]
    pub deadline: Option<f64>,

    /// Follow redirects to another host, port or scheme (refused by default).
    #[arg(long)]
    pub allow_cross_host_redirects: bool,
}

fn parse_age_argument(text: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_age(text)
}

/// A number of seconds, 0 to 86400.
fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(number) if number.is_finite() && (0.0..=86_400.0).contains(&number) => Ok(number),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 86400"
        )),
    }
}

/// A number of seconds above 0, up to 86400.
fn parse_positive_seconds(text: &str) -> Result<f64, String> {
    match parse_seconds(text) {
        Ok(number) if number > 0.0 => Ok(number),
        _ => Err(format!(
            "`{text}` is not a number of seconds above 0, up to 86400"
        )),
    }
}

#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(flatten)]
    pub lockfile: LockfileArgs,

    #[command(flatten)]
    pub sources: SourceArgs,

    /// The project whose imports the usage rules (PA601–PA606) check [default: the lockfile's
    /// directory, when it holds a `pyproject.toml` and Python sources].
    #[arg(long, value_name = "DIR", conflicts_with = "no_usage")]
    pub project: Option<PathBuf>,

    /// Do not run the usage rules (no source scan, no wheel look-ups).
    #[arg(long)]
    pub no_usage: bool,

    #[command(flatten)]
    pub usage_mapping: UsageMappingArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = LockFormat::Text)]
    pub format: LockFormat,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Audit what is installed instead of a lockfile: a virtual environment, a `site-packages`
    /// directory or the root of an unpacked container image (its `*.dist-info`, read without
    /// running Python). PATH is then only where the config is looked for.
    #[arg(long, value_name = "DIR")]
    pub installed: Option<PathBuf>,

    /// With `--installed`: the project's lock. Installed packages it does not have (PA701), has
    /// at other versions (PA702) or installs only for development (PA703) are findings.
    #[arg(long, value_name = "LOCK", requires = "installed")]
    pub against: Option<PathBuf>,

    #[command(flatten)]
    pub scope: ScopeArgs,

    /// Report packages that could not be checked as warnings instead of failing the run.
    #[arg(long)]
    pub allow_unchecked: bool,

    /// The config file [default: `pyaudit.toml`, `.pyaudit.toml` or `[tool.pyaudit]` in
    /// `pyproject.toml`, looked for from the lockfile's directory upwards].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,
}

/// `pyaudit fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub lockfile: LockfileArgs,

    #[command(flatten)]
    pub sources: SourceArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FixFormat::Text)]
    pub format: FixFormat,

    /// Write the plan to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Run the steps of uv and Poetry projects (the tool must be on `PATH`; nothing is
    /// installed), re-read and re-audit the lock after each package, undo a package's steps that
    /// moved a package down or brought in a new advisory, and report what is fixed and left.
    #[arg(long)]
    pub apply: bool,

    #[command(flatten)]
    pub scope: ScopeArgs,

    /// The config file (its ignores and `[fetch]` apply) [default: as `pyaudit lock` finds it].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FixFormat {
    /// For people.
    Text,
    /// `pyaudit-fix/1` (schema: `tests/schemas/fix.schema.json`).
    Json,
    /// For a pull request.
    Markdown,
}

/// What part of each lock is audited; shared by `lock` and `org`.
#[derive(Debug, Clone, Args)]
pub struct ScopeArgs {
    /// Audit only what the main dependencies install (no extras, no dependency groups).
    #[arg(long, conflicts_with = "groups")]
    pub only_prod: bool,

    /// Audit only these dependency groups besides the main dependencies and extras
    /// (comma-separated or repeated) [default: all groups]. A name no lockfile defines is an
    /// error; lockfiles without it audit their main dependencies and extras.
    #[arg(long, value_delimiter = ',', value_name = "GROUP")]
    pub groups: Vec<String>,
}

/// Rule levels from the command line, over the config file(s); the same flags for every command
/// that evaluates rules (`lock`, `org`, `review`, `usage`).
#[derive(Debug, Clone, Default, Args)]
pub struct RuleArgs {
    /// Make a rule fail the run (code, name, or a code prefix such as `PA2` for a family;
    /// repeatable). Overrides the config file(s).
    #[arg(long, value_name = "RULE")]
    pub deny: Vec<String>,

    /// Report a rule without failing the run (code, name or code prefix; repeatable).
    #[arg(long, value_name = "RULE")]
    pub warn: Vec<String>,

    /// Do not report a rule (code, name or code prefix; repeatable). Turning off every rule that
    /// reads PyPI metadata (`--allow PA2 --allow PA3 --allow PA004`) skips fetching it (`pyaudit
    /// org` still fetches it for its census unless `--no-census`).
    #[arg(long, value_name = "RULE")]
    pub allow: Vec<String>,
}

/// `pyaudit usage`.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The project directory (its sources, `pyproject.toml` and lockfile).
    #[arg(value_name = "DIR", default_value = ".")]
    pub path: PathBuf,

    #[command(flatten)]
    pub mapping: UsageMappingArgs,

    /// Use only the cache for wheel file lists; make no network request (uncached
    /// distributions fall back to the stated guess).
    #[arg(long)]
    pub offline: bool,

    /// PyPI base URL (JSON API at `/pypi/<name>/json`; wheels at the URLs it lists) [default:
    /// `[fetch] pypi-url` in the config, else https://pypi.org].
    #[arg(long, env = "PYAUDIT_PYPI_URL", value_name = "URL")]
    pub pypi_url: Option<String>,

    /// Cache directory [default: the platform cache directory, e.g. ~/.cache/pyaudit].
    #[arg(long, env = "PYAUDIT_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = LockFormat::Text)]
    pub format: LockFormat,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The config file [default: looked for from DIR upwards].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// `--deny/--warn/--allow`, exactly as `lock` takes them (codes, names, family prefixes).
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// How distributions are mapped to modules; shared by `usage` and `lock`.
#[derive(Debug, Clone, Args)]
pub struct UsageMappingArgs {
    /// A virtual environment whose installed `*.dist-info` say which modules each distribution
    /// provides (read only; nothing is installed).
    #[arg(long, value_name = "DIR")]
    pub venv: Option<PathBuf>,

    /// Do not fetch wheels' file lists: use the cache, `--venv`, `[usage.modules]` and the guess.
    #[arg(long)]
    pub no_wheels: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LockFormat {
    /// Findings for people, grouped by level and severity.
    Text,
    /// A versioned JSON document (see docs/json.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// A CycloneDX 1.6 JSON SBOM with the dependency graph and vulnerabilities.
    Cyclonedx,
    /// A compact summary for a pull-request comment.
    Markdown,
    /// A GitLab Code Quality report (the `codequality` artifact of a merge request).
    Gitlab,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The package: `name`, `name==version`, or a PEP 508 requirement without a marker
    /// (`name[extra]>=1,<2`).
    #[arg(value_name = "NAME[==VERSION]")]
    pub package: String,

    /// The Python version markers and `Requires-Python` are evaluated for.
    #[arg(long, default_value = "3.12", value_name = "VERSION")]
    pub python: String,

    /// The platform markers are evaluated for.
    #[arg(long, value_enum, default_value_t = ReviewPlatform::Linux)]
    pub platform: ReviewPlatform,

    /// Show only what is new relative to this lockfile (uv.lock, poetry.lock, requirements):
    /// packages it already locks at the same version are listed apart and not evaluated.
    #[arg(long, value_name = "LOCKFILE")]
    pub against: Option<PathBuf>,

    /// Follow requirements at most this many levels below the package.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub max_depth: usize,

    #[command(flatten)]
    pub sources: SourceArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    pub format: ReviewFormat,

    /// Write the review to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The config file [default: `pyaudit.toml`, `.pyaudit.toml` or `[tool.pyaudit]` in
    /// `pyproject.toml`, looked for from the current directory upwards].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Rule levels (`warn` asks for review).
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewPlatform {
    Linux,
    Macos,
    Windows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// The tree, the findings and the verdict, for people.
    Text,
    /// A versioned JSON document, `pyaudit-review/1` (see docs/json.md), for ticket bots.
    Json,
    /// A summary for a ticket or pull-request comment.
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import OSV records from directories (JSON or YAML, nested) and OSV all.zip exports as one
    /// database, replacing the previous one.
    Import {
        /// The directories or all.zip files; a record in several keeps its newest copy.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
        /// The sources are complete copies of an advisory source (a checkout of the PyPA
        /// advisory database): the database may then answer for packages it has no record of.
        /// Without it, an OSV export archive (`.zip`) is complete and a directory is partial
        /// (it only adds findings).
        #[arg(long, conflicts_with = "partial")]
        complete: bool,
        /// No source is complete, not even an archive.
        #[arg(long)]
        partial: bool,
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
    /// Download OSV's PyPI database (all.zip), then keep it current with its change list.
    Sync {
        /// Where OSV publishes the PyPI database.
        #[arg(
            long,
            env = "PYAUDIT_OSV_DB_URL",
            value_name = "URL",
            default_value = "https://osv-vulnerabilities.storage.googleapis.com/PyPI"
        )]
        url: String,
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
    /// Import a list of popular PyPI projects for the typosquat rule (PA501): hugovk's
    /// top-pypi-packages JSON, a JSON array of names, or one name per line. Replaces the previous
    /// import; the built-in seed always applies.
    Popular {
        /// The file.
        path: PathBuf,
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
    /// Write the local database as one file (a zip: the records and a manifest with their
    /// source, coverage and age) that `pyaudit db import FILE` reads back as it was: how the
    /// shards of a sharded org run, or the jobs of a CI matrix, share one data snapshot.
    Export {
        /// The file to write (conventionally `.zip`).
        #[arg(value_name = "FILE")]
        path: PathBuf,
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
    /// Show what the local database holds and how old it is.
    Status {
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory.
    Dir {
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
    /// Entries, freshness and size per namespace.
    Stats {
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
    /// Remove the cache: all its files (removed without opening it, so a damaged cache goes
    /// too), or only one namespace's entries such as `osv-query`.
    Clean {
        /// Only this namespace.
        #[arg(long, value_name = "NAME")]
        namespace: Option<String>,
        #[command(flatten)]
        cache: CacheLocationArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CacheLocationArgs {
    /// Cache directory [default: the platform cache directory, e.g. ~/.cache/pyaudit].
    #[arg(long, env = "PYAUDIT_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// Where to find the lockfile(s), shared by every command that reads one.
#[derive(Debug, Args)]
pub struct LockfileArgs {
    /// A lockfile (uv.lock, poetry.lock, pylock.toml, pdm.lock, Pipfile.lock, requirements*.txt)
    /// or a directory holding them.
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,

    #[command(flatten)]
    pub class: RequirementsClassArgs,

    /// Follow requirements includes (`-r`, `-c`) and read lockfiles that resolve outside the
    /// project root (the directory given, or the lockfile's directory), for monorepos that share
    /// requirements files. Devices, FIFOs, directories and `/proc`, `/sys`, `/dev` stay refused.
    #[arg(long)]
    pub allow_outside_includes: bool,
}

/// How the packages of requirements files are classed; shared by every command that reads them.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct RequirementsClassArgs {
    /// Class the packages of requirements files as `prod` or `dev` instead of guessing from the file
    /// name (`requirements-dev.txt`, `requirements/tests.txt`, … are dev by default).
    #[arg(long, value_enum, default_value_t = RequirementsClass::Auto)]
    pub requirements_class: RequirementsClass,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum RequirementsClass {
    /// Decide from the file name.
    #[default]
    Auto,
    Prod,
    Dev,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub lockfile: LockfileArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Tree)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// An indented tree from each root, for people.
    Tree,
    /// A stable JSON document (see docs/graph-json.md), for programs.
    Json,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The package to explain (any spelling; names are normalized). `name==version` picks one of
    /// several locked versions.
    pub package: String,

    #[command(flatten)]
    pub lockfile: LockfileArgs,

    /// Show at most this many paths per lockfile.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,

    /// Output format.
    #[arg(long, value_enum, default_value_t = WhyFormat::Text)]
    pub format: WhyFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhyFormat {
    Text,
    Json,
}

/// Where an org report goes and what its exit status counts: shared by `org` and `org-merge`,
/// which write the same report.
#[derive(Debug, Args)]
pub struct OrgReportArgs {
    /// Output format on standard output (or `--output`).
    #[arg(long, value_enum, default_value_t = OrgFormat::Markdown)]
    pub format: OrgFormat,

    /// Write the `--format` report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write the HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Also write the Markdown summary to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Compare with the previous run of the same roots: the exit status counts only new (or
    /// newly denied) findings, and the Markdown summary lists only the changes.
    #[arg(long)]
    pub since_last: bool,

    /// Do not record this run in the history.
    #[arg(long)]
    pub no_history: bool,

    /// Fail (exit 2) when a lockfile or config could not be read, after writing the reports.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct OrgArgs {
    /// Directories holding repositories (searched recursively).
    #[arg(
        value_name = "ROOT",
        required_unless_present = "list",
        conflicts_with = "list"
    )]
    pub roots: Vec<PathBuf>,

    /// A file listing lockfiles or project directories, one per line (relative to the file;
    /// `#` comments), instead of searching roots.
    #[arg(long, value_name = "FILE")]
    pub list: Option<PathBuf>,

    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub reports: OrgReportArgs,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub class: RequirementsClassArgs,

    /// Follow requirements includes (`-r`, `-c`) and read lockfiles that resolve outside their
    /// repository. Devices, FIFOs, directories and `/proc`, `/sys`, `/dev` stay refused.
    #[arg(long)]
    pub allow_outside_includes: bool,

    /// Do not fetch PyPI metadata for the license and maintenance censuses: metadata is then
    /// fetched only where a rule needs it, and the reports say the censuses were skipped.
    #[arg(long)]
    pub no_census: bool,

    /// Report packages that could not be checked as warnings instead of failing the run.
    #[arg(long)]
    pub allow_unchecked: bool,

    /// The organisation's config: the defaults for repositories without their own (see the
    /// README for how the two combine) [default: none].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub rules: RuleArgs,

    /// Parser threads [default: the available cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Audit only shard I of N (I from 0): the repositories whose identity (git remote URL, else
    /// path under the root) hashes to I. The JSON report carries what `pyaudit org-merge` needs;
    /// no history is recorded (the merge records it).
    #[arg(
        long,
        value_name = "I/N",
        env = "PYAUDIT_SHARD",
        conflicts_with = "since_last",
        value_parser = clap::value_parser!(crate::org::shard::ShardSpec)
    )]
    pub shard: Option<crate::org::shard::ShardSpec>,
}

#[derive(Debug, Args)]
pub struct OrgMergeArgs {
    /// The shards' JSON reports (`pyaudit-org/1` with a `shard` member), one per shard.
    #[arg(value_name = "SHARD.json", required = true)]
    pub shards: Vec<PathBuf>,

    /// Merge shards made by other pyaudit versions, configurations or advisory data; the
    /// report lists the differences.
    #[arg(long)]
    pub allow_mixed: bool,

    #[command(flatten)]
    pub reports: OrgReportArgs,

    #[command(flatten)]
    pub cache: CacheLocationArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrgFormat {
    /// A Markdown summary for a chat channel.
    Markdown,
    /// A summary for a terminal (colour unless `NO_COLOR` or not a terminal): the advisories and
    /// repositories at the top of each ranking, the censuses and the changes since the last run.
    Text,
    /// A versioned JSON document (`pyaudit-org/1`, see docs/json.md).
    Json,
    /// A single self-contained HTML page.
    Html,
}

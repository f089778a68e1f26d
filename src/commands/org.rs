//! `pyaudit org`: discover the repositories under the roots, read their lockfiles in parallel,
//! audit them in one run (each under its repository's config), keep the run's summary for the
//! next night, and render the reports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};

use super::settings::{enrich_settings, policy_settings};
use super::{Invocation, Outcome, check_groups, deliver, group_selection, open_cache};
use crate::audit::{self, Audit, PlannedLockfile, RunReport};
use crate::cli::{OrgArgs, OrgFormat, OrgReportArgs, RequirementsClass};
use crate::config::{self, Config};
use crate::findings::Level;
use crate::graph::{Graph, GroupSelection};
use crate::org::analysis::{self, Census, RepoError, RepoReport};
use crate::org::discover::{self, Repository};
use crate::org::error_chain;
use crate::org::history::{self, RunSummary};
use crate::org::policies::{ORG, Policies};
use crate::org::report::OrgReport;
use crate::org::shard::{ShardRepository, ShardSpec};
use crate::policy::{self, AuditPlan, PolicySettings};
use crate::progress::Progress;
use crate::report;
use crate::time::Timestamp;

/// One lockfile to read, and the repository it belongs to.
struct Job {
    repository: usize,
    path: PathBuf,
}

/// A lockfile read and planned, with the config that applies to it.
struct Parsed {
    graph: Graph,
    /// The dependency groups the lockfile defines (normalized), for checking `--groups`.
    groups: Vec<String>,
    plan: AuditPlan,
    /// The repository's own config (`None`: it has none), or why it could not be read.
    config: Result<Option<Config>, String>,
}

pub fn run(args: &OrgArgs, context: &Invocation) -> Result<(String, Outcome)> {
    let started = Instant::now();
    let progress = Progress::new(context.quiet, Some("pyaudit org"));
    let (repositories, identity_paths, jobs, shard_repositories) = discover_jobs(args, &progress)?;
    let org_config = match &args.config {
        Some(path) => config::load(path)?,
        None => Config::default(),
    };
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
        .max(1);
    let parsed = parse_all(args, &org_config, &repositories, &jobs, threads, &progress);
    // `--groups` as in `pyaudit lock`: a name must be a group of some lockfile (a typo fails the
    // run); lockfiles without it audit their main dependencies and extras.
    let known: Vec<String> = parsed
        .iter()
        .flatten()
        .flat_map(|parsed| parsed.groups.iter().cloned())
        .collect();
    check_groups(&args.scope.groups, &known, "any repository's lockfile")?;

    let cache = open_cache(args.sources.cache_dir.as_deref(), context.quiet)?;
    let settings = enrich_settings(&args.sources, &org_config, context);
    let settings_of = |config: Config| {
        policy_settings(
            config,
            &args.rules,
            args.allow_unchecked,
            args.sources.offline,
            context,
        )
    };
    let mut policies = Policies::new(org_config.clone(), &cache, &settings_of)?;

    // Each readable lockfile joins the audit under its repository's policy; what could not be
    // read (the lockfile, the repository's config, its popular names) is the repository's error.
    let mut reports = empty_reports(&repositories);
    // Config errors follow the lockfiles' own errors in each repository's list.
    let mut config_errors = empty_reports(&repositories);
    let (mut graphs, mut plans, mut audited_jobs) = (Vec::new(), Vec::new(), Vec::new());
    for (job, result) in jobs.iter().zip(parsed) {
        let parsed = match result {
            Ok(parsed) => parsed,
            Err(message) => {
                reports[job.repository].errors.push(RepoError {
                    path: job.path.display().to_string(),
                    message,
                });
                continue;
            }
        };
        let repository = &mut config_errors[job.repository];
        let own = parsed.config.unwrap_or_else(|message| {
            add_error(
                repository,
                repositories[job.repository].root.display().to_string(),
                format!("{message}; the org config applies instead"),
            );
            None
        });
        let policy = policies.for_config(own)?;
        if let Some(message) = policies.popular_error(policy) {
            add_error(
                repository,
                policies
                    .path(policy)
                    .map_or_else(String::new, |path| path.display().to_string()),
                format!("{message}; the org's popular names apply instead"),
            );
        }
        graphs.push(parsed.graph);
        plans.push(PlannedLockfile {
            plan: parsed.plan,
            policy,
        });
        audited_jobs.push(job.repository);
    }
    for (report, config_errors) in reports.iter_mut().zip(config_errors) {
        report.errors.extend(config_errors.errors);
    }
    let org_settings = policies.settings(ORG).clone();
    let policy_paths: Vec<Option<PathBuf>> = (0..policies.list().len())
        .map(|index| policies.path(index).cloned())
        .collect();
    let audit = Audit {
        graphs,
        plans,
        policies: policies.into_list(),
        run_policy: ORG,
        usage: None,
        input_findings: Vec::new(),
        // PyPI metadata feeds the censuses; which rules report on it is each policy's business.
        fetch_metadata: !args.no_census,
        licenses_in_report: false,
        keep_graphs: false,
        remediate: false,
        threads,
    };
    let policy_list = audit.policies.clone();
    let run = audit::run(audit, &cache, &settings, &progress)?;
    if !context.quiet {
        for warning in &run.data.warnings {
            super::warn(warning);
        }
    }

    // Per repository: its lockfiles' reports, the config it used, and its own stale ignores.
    let mut repository_packages: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); repositories.len()];
    let mut repository_policies: Vec<Vec<usize>> = vec![Vec::new(); repositories.len()];
    for (lockfile, &repository) in run.lockfiles.iter().zip(&audited_jobs) {
        reports[repository].lockfiles.push(lockfile.report.clone());
        repository_packages[repository].extend(&lockfile.packages);
        if !repository_policies[repository].contains(&lockfile.policy) {
            repository_policies[repository].push(lockfile.policy);
        }
    }
    for (report, used) in reports.iter_mut().zip(&repository_policies) {
        // In the order the repository's lockfiles first used them.
        let own: Vec<(&PolicySettings, Option<&PathBuf>)> = used
            .iter()
            .map(|&index| {
                let path = (index != ORG)
                    .then(|| policy_paths[index].as_ref())
                    .flatten();
                (&policy_list[index].settings, path)
            })
            .collect();
        crate::org::policies::judge_own_ignores(report, &own, org_config.path.as_ref());
    }

    let (census, packages) = censuses(
        args,
        &run,
        &org_settings,
        &reports,
        &repository_packages,
        context.now,
    );
    let shard = shard_repositories.map(|(spec, discovered, placed)| crate::org::shard::ShardInfo {
        index: spec.index,
        count: spec.count,
        pyaudit_version: env!("CARGO_PKG_VERSION").to_string(),
        config_fingerprint: config_fingerprint(args),
        run_identity: history::identity(&identity_paths),
        discovered,
        repositories: placed
            .into_iter()
            .zip(&repository_packages)
            .map(|(mut placed, packages)| {
                placed.packages = packages.iter().copied().collect();
                placed
            })
            .collect(),
        packages: packages
            .unwrap_or_else(|| {
                run.targets
                    .iter()
                    .map(|key| analysis::CensusPackage {
                        name: key.name.clone(),
                        version: key.version.to_string(),
                        license: None,
                        problems: Vec::new(),
                    })
                    .collect()
            })
            .iter()
            .map(crate::org::shard::ShardPackage::of)
            .collect(),
        census: match &census.status.state {
            analysis::CensusState::Skipped => crate::org::shard::ShardCensus::Skipped {
                note: census.status.note.clone().unwrap_or_default(),
            },
            _ => crate::org::shard::ShardCensus::Computed {
                unchecked_note: unchecked_note(args).to_string(),
            },
        },
    });
    let analysis = analysis::analyse(&reports, run.targets.len(), census);
    // A shard is part of a run: the merge compares the whole organisation and records it.
    let (diff, history, outcome) = night_over_night(
        &cache,
        &history::identity(&identity_paths),
        &reports,
        &run.run_findings,
        History {
            since_last: args.reports.since_last,
            compare: args.shard.is_none(),
            record: !args.reports.no_history && args.shard.is_none(),
        },
        context,
    );
    for report in &reports {
        for error in &report.errors {
            if !context.quiet {
                super::warn(format!(
                    "{}: `{}`: {}",
                    report.name, error.path, error.message
                ));
            }
        }
    }

    let org_report = OrgReport {
        generated_at: context.now.unix_millis(),
        roots: identity_paths
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
        analysis,
        since_last: diff,
        history,
        org_findings: run.run_findings,
        sources: run.data.sources,
        warnings: run.data.warnings,
        repositories: reports,
        shard,
        shards: None,
    };
    write_reports(&args.reports, &org_report, started, &progress, outcome)
}

/// This shard, how many repositories the whole run has, and this shard's repositories.
type ShardSelection = (ShardSpec, usize, Vec<ShardRepository>);

/// The repositories to audit, the paths that identify the run, the lockfiles as jobs, and with
/// `--shard` which shard this is.
type Discovered = (
    Vec<Repository>,
    Vec<PathBuf>,
    Vec<Job>,
    Option<ShardSelection>,
);

/// The repositories under the roots (or in the list) — with `--shard`, only this shard's — and
/// every lockfile of each as a job.
fn discover_jobs(args: &OrgArgs, progress: &Progress) -> Result<Discovered> {
    let spinner = progress.spinner("discovering lockfiles");
    let (repositories, identity_paths) = match &args.list {
        Some(list) => (discover::from_list(list)?, vec![list.clone()]),
        None => (discover::discover(&args.roots)?, args.roots.clone()),
    };
    let discovered = repositories.len();
    let (repositories, selection) = match args.shard {
        Some(spec) if discovered > 0 => {
            let (kept, placed) = crate::org::shard::select(repositories, spec);
            (kept, Some((spec, discovered, placed)))
        }
        _ => (repositories, None),
    };
    let jobs: Vec<Job> = repositories
        .iter()
        .enumerate()
        .flat_map(|(repository, found)| {
            found.lockfiles.iter().map(move |path| Job {
                repository,
                path: path.clone(),
            })
        })
        .collect();
    progress.done(
        spinner,
        format!(
            "found {} repositories, {} lockfiles",
            repositories.len(),
            jobs.len()
        ),
    );
    if discovered == 0 {
        bail!(
            "no lockfile found: expected uv.lock, poetry.lock or requirements*.txt under {}",
            identity_paths
                .iter()
                .map(|path| format!("`{}`", path.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok((repositories, identity_paths, jobs, selection))
}

/// Read and plan every lockfile in parallel; one unreadable lockfile is an error of its
/// repository, not of the run.
fn parse_all(
    args: &OrgArgs,
    org_config: &Config,
    repositories: &[Repository],
    jobs: &[Job],
    threads: usize,
    progress: &Progress,
) -> Vec<Result<Parsed, String>> {
    let bar = progress.bar(jobs.len(), "parsing lockfiles");
    let selection = group_selection(&args.scope.groups);
    // Only the organisation's own config may allow outside includes: a repository's config is
    // written by the same pull requests whose lockfiles are read.
    let allow_outside = args.allow_outside_includes || org_config.input.allow_outside_includes;
    let parsed = audit::parallel::map(jobs.iter().collect(), threads, &bar, |job: &Job| {
        parse(
            job,
            &repositories[job.repository],
            args.class.requirements_class,
            allow_outside,
            args.scope.only_prod,
            &selection,
        )
    });
    let unreadable = parsed.iter().filter(|result| result.is_err()).count();
    progress.done(
        bar,
        format!(
            "parsed {} lockfiles ({unreadable} unreadable)",
            parsed.len()
        ),
    );
    parsed
}

fn parse(
    job: &Job,
    repository: &Repository,
    requirements_class: RequirementsClass,
    allow_outside: bool,
    only_prod: bool,
    groups: &GroupSelection,
) -> Result<Parsed, String> {
    let options = crate::lockfile::ReadOptions {
        project_root: Some(repository.root.clone()),
        allow_outside,
    };
    let lockfile = super::read_lockfile(&job.path, requirements_class, &options)
        .map_err(|error| error_chain(&error))?;
    let graph = Graph::build(lockfile);
    let plan = policy::plan(&graph, only_prod, groups);
    let groups = graph.group_names();
    let directory = job.path.parent().unwrap_or(Path::new("."));
    let start = directory
        .canonicalize()
        .unwrap_or_else(|_| directory.to_path_buf());
    let boundary = repository
        .root
        .canonicalize()
        .unwrap_or_else(|_| repository.root.clone());
    let config = config::discover_within(&start, &boundary).map_err(|error| error_chain(&error));
    Ok(Parsed {
        graph,
        groups,
        plan,
        config,
    })
}

fn empty_reports(repositories: &[Repository]) -> Vec<RepoReport> {
    repositories
        .iter()
        .map(|found| RepoReport {
            name: found.name.clone(),
            path: found.root.display().to_string(),
            config: None,
            lockfiles: Vec::new(),
            errors: Vec::new(),
        })
        .collect()
}

/// One error per distinct message: every lockfile of a repository shares its config.
fn add_error(report: &mut RepoReport, path: String, message: String) {
    if !report.errors.iter().any(|error| error.message == message) {
        report.errors.push(RepoError { path, message });
    }
}

/// The censuses, from the metadata facts over each repository's distinct packages, and those
/// facts (`None` when the censuses were skipped).
fn censuses(
    args: &OrgArgs,
    run: &RunReport,
    org_settings: &PolicySettings,
    reports: &[RepoReport],
    repository_packages: &[BTreeSet<u32>],
    now: Timestamp,
) -> (Census, Option<Vec<analysis::CensusPackage>>) {
    let Some(metadata) = run.metadata.as_ref().filter(|_| !args.no_census) else {
        return (
            Census::skipped("`--no-census`: PyPI metadata was not fetched for the censuses"),
            None,
        );
    };
    let packages =
        analysis::census_packages(&run.targets, metadata, &org_settings.maintenance, now);
    let repositories: Vec<(&str, &BTreeSet<u32>)> = reports
        .iter()
        .map(|report| report.name.as_str())
        .zip(repository_packages)
        .collect();
    let census = analysis::census(&packages, &repositories, unchecked_note(args));
    (census, Some(packages))
}

/// Why a package may have no metadata in this run.
fn unchecked_note(args: &OrgArgs) -> &'static str {
    if args.sources.offline {
        "`--offline` and no PyPI metadata in the cache; run online once to fill it"
    } else {
        "PyPI could not answer for them (see the warnings)"
    }
}

/// What decides the verdicts besides the advisory data: the org config as written and the
/// options that change what is read and how it is judged (not where reports go, nor threads).
fn config_fingerprint(args: &OrgArgs) -> String {
    let config = args
        .config
        .as_ref()
        .and_then(|path| std::fs::read(path).ok())
        .unwrap_or_default();
    let options = format!(
        "{:?}|{:?}|{:?}|{}|{}|{}|{}",
        args.rules,
        args.scope,
        args.class,
        args.allow_outside_includes,
        args.no_census,
        args.allow_unchecked,
        args.sources.offline,
    );
    crate::org::shard::fingerprint(&[&config, options.as_bytes()])
}

/// What a run does with the history of its roots.
pub(super) struct History {
    pub since_last: bool,
    /// Compare with the previous run (not a shard: it is part of a run).
    pub compare: bool,
    /// Record this run for the next.
    pub record: bool,
}

/// The diff against the previous run of the same roots (this run is recorded for the next),
/// and the outcome: with `--since-last` only new denials fail the run.
pub(super) fn night_over_night(
    cache: &pyaudit_cache::Cache,
    identity: &str,
    reports: &[RepoReport],
    run_findings: &[crate::findings::Finding],
    options: History,
    context: &Invocation,
) -> (Option<history::Diff>, Vec<history::RunPoint>, Outcome) {
    let previous_runs = if options.compare {
        history::load(cache, identity).unwrap_or_default()
    } else {
        Vec::new()
    };
    let current = RunSummary::of(reports, context.now.unix_millis());
    let diff = previous_runs
        .last()
        .map(|previous| history::diff(previous, &current));
    let points = if options.compare {
        history::points(&previous_runs, &current)
    } else {
        Vec::new()
    };
    if options.record
        && let Err(error) = history::save(cache, identity, previous_runs, current, context.now)
        && !context.quiet
    {
        super::warn(format!(
            "cannot record this run for `--since-last`: {error}"
        ));
    }
    let lockfiles = || reports.iter().flat_map(|report| &report.lockfiles);
    let denied = if options.since_last {
        match &diff {
            Some(diff) => diff.new_denied(),
            None => reports.iter().any(RepoReport::denied),
        }
    } else {
        lockfiles().any(policy::LockReport::denied_for_cause)
    } || run_findings
        .iter()
        .any(|finding| finding.level == Level::Deny);
    if options.since_last && diff.is_none() && !context.quiet {
        eprintln!("warning: no previous run of these roots: every finding counts as new");
    }
    let outcome = if denied {
        Outcome::Findings
    } else if lockfiles().any(policy::LockReport::incomplete) {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    };
    (diff, points, outcome)
}

/// `--json/--html/--markdown` files, then the main format to `--output` or stdout.
pub(super) fn write_reports(
    args: &OrgReportArgs,
    org_report: &OrgReport,
    started: Instant,
    progress: &Progress,
    outcome: Outcome,
) -> Result<(String, Outcome)> {
    for (path, format) in [
        (&args.json, OrgFormat::Json),
        (&args.html, OrgFormat::Html),
        (&args.markdown, OrgFormat::Markdown),
    ] {
        if let Some(path) = path {
            deliver(
                report::render_org(org_report, format, args.since_last, false),
                Some(path.as_path()),
            )?;
        }
    }
    let rendered = report::render_org(
        org_report,
        args.format,
        args.since_last,
        report::text::use_colour(args.output.is_none()),
    );
    progress.log(format!(
        "{} repositories, {} findings ({} deny) in {:.1} s",
        org_report.repositories.len(),
        org_report.analysis.summary.deny + org_report.analysis.summary.warn,
        org_report.analysis.summary.deny,
        started.elapsed().as_secs_f64()
    ));
    let incomplete_merge = org_report
        .shards
        .as_ref()
        .filter(|status| !status.complete());
    let rendered = deliver(rendered, args.output.as_deref())?;
    if let Some(status) = incomplete_merge {
        // The report is still written: it names what is missing.
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(rendered.as_bytes());
        let _ = stdout.flush();
        bail!("{}", status.gaps().unwrap_or_default());
    }
    if args.strict && org_report.analysis.summary.unreadable > 0 {
        // The report is still written: `--strict` changes the verdict, not what is shown.
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(rendered.as_bytes());
        let _ = stdout.flush();
        bail!(
            "{} lockfile(s) could not be read (`--strict`)",
            org_report.analysis.summary.unreadable
        );
    }
    Ok((rendered, outcome))
}

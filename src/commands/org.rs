//! `pyaudit org`: discover the repositories under the roots, parse their lockfiles in parallel,
//! enrich the union of their packages once, evaluate each repository with its own config, keep
//! the run's summary for the next night, and render the reports.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::lock::{merge_sources, needs_metadata, now, vulnerability_settings};
use super::{Outcome, check_groups, group_selection, open_cache};
use crate::cli::{OrgArgs, OrgFormat, RequirementsClass};
use crate::config::{self, Config};
use crate::enrich::metadata::{MetadataData, MetadataSettings};
use crate::enrich::popular::{self, PopularNames};
use crate::enrich::{self, PackageKey};
use crate::findings::{Level, TYPOSQUAT};
use crate::graph::{Graph, GroupSelection};
use crate::org::discover::{self, Repository};
use crate::org::history::{self, RunSummary};
use crate::org::run::{self, Census, CensusPackage, OrgReport, RepoError, RepoReport};
use crate::policy::{self, AuditPlan, Enrichment, IgnoredFinding, PolicySettings};
use crate::report;

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

pub fn run(args: &OrgArgs, quiet: bool) -> Result<(String, Outcome)> {
    let started = Instant::now();
    let progress = Progress::new(quiet);

    // 1. Discover.
    let spinner = progress.spinner("discovering lockfiles");
    let (repositories, identity_paths) = match &args.list {
        Some(list) => (discover::from_list(list)?, vec![list.clone()]),
        None => (discover::discover(&args.roots)?, args.roots.clone()),
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
    if repositories.is_empty() {
        bail!(
            "no lockfile found: expected uv.lock, poetry.lock or requirements*.txt under {}",
            identity_paths
                .iter()
                .map(|path| format!("`{}`", path.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let org_config = match &args.config {
        Some(path) => config::load(path)?,
        None => Config::default(),
    };

    // 2. Parse in parallel; one unreadable lockfile is an error of its repository, not the run.
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
        .max(1);
    let bar = progress.bar(jobs.len(), "parsing lockfiles");
    let selection = group_selection(&args.scope.groups);
    // Only the organisation's own config may allow outside includes: a repository's config is
    // written by the same pull requests whose lockfiles are read.
    let allow_outside = args.allow_outside_includes || org_config.input.allow_outside_includes;
    let parsed: Vec<Result<Parsed, String>> =
        parallel_map(jobs.iter().collect(), threads, &bar, |job: &Job| {
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

    // `--groups` as in `pyaudit lock`: a name must be a group of some lockfile (a typo fails the
    // run); lockfiles without it audit their main dependencies and extras.
    let known: Vec<String> = parsed
        .iter()
        .flatten()
        .flat_map(|parsed| parsed.groups.iter().cloned())
        .collect();
    check_groups(&args.scope.groups, &known, "any repository's lockfile")?;

    // 3. The union of what to enrich, each `name==version` once.
    let mut targets: Vec<PackageKey> = parsed
        .iter()
        .flatten()
        .flat_map(|parsed| parsed.plan.targets.iter().map(|(_, key)| key.clone()))
        .collect();
    targets.sort();
    targets.dedup();

    let cache = open_cache(args.sources.cache_dir.as_deref(), quiet)?;
    let settings = vulnerability_settings(&args.sources, &org_config, quiet);
    let org_settings = policy_settings(args, org_config.clone(), settings.now.unix_millis())?;
    // Popular names per config (a repository's own `[typosquat] popular`, else the org's),
    // loaded once per list; a repository's unreadable list is its error, the org's list is used.
    let mut popular_lists: BTreeMap<Vec<PathBuf>, Result<Arc<PopularNames>, String>> =
        BTreeMap::new();
    let org_popular = popular_names(
        &mut popular_lists,
        &cache,
        &org_settings,
        &org_config.typosquat.popular,
    )
    .map_err(anyhow::Error::msg)?;
    let mut popular_by_config: BTreeMap<Option<PathBuf>, Result<Arc<PopularNames>, String>> =
        BTreeMap::new();
    popular_by_config.insert(org_config.path.clone(), Ok(Arc::clone(&org_popular)));

    // Settings per config file, shared by the lockfiles that use it.
    let mut by_config: BTreeMap<Option<PathBuf>, Arc<PolicySettings>> = BTreeMap::new();
    by_config.insert(org_config.path.clone(), Arc::new(org_settings.clone()));
    let mut lock_settings: Vec<Option<Arc<PolicySettings>>> = Vec::with_capacity(parsed.len());
    let mut lock_popular: Vec<Arc<PopularNames>> = Vec::with_capacity(parsed.len());
    let mut config_errors: BTreeMap<usize, Vec<RepoError>> = BTreeMap::new();
    for (job, result) in jobs.iter().zip(&parsed) {
        let Ok(parsed) = result else {
            lock_settings.push(None);
            lock_popular.push(Arc::clone(&org_popular));
            continue;
        };
        let own = match &parsed.config {
            Ok(own) => own.clone(),
            Err(message) => {
                let errors = config_errors.entry(job.repository).or_default();
                if !errors.iter().any(|error| &error.message == message) {
                    errors.push(RepoError {
                        path: repositories[job.repository].root.display().to_string(),
                        message: format!("{message}; the org config applies instead"),
                    });
                }
                None
            }
        };
        let settings = match own {
            None => Arc::clone(&by_config[&org_config.path]),
            Some(own) => match by_config.get(&own.path) {
                Some(shared) => Arc::clone(shared),
                None => {
                    let path = own.path.clone();
                    let merged = crate::org::merge_config(&org_config, own);
                    let popular_files = merged.typosquat.popular.clone();
                    let shared =
                        Arc::new(policy_settings(args, merged, settings.now.unix_millis())?);
                    let popular =
                        popular_names(&mut popular_lists, &cache, &shared, &popular_files);
                    popular_by_config.insert(path.clone(), popular);
                    by_config.insert(path, Arc::clone(&shared));
                    shared
                }
            },
        };
        let config_path = settings_config_path_buf(&by_config, &settings);
        let popular = match &popular_by_config[&config_path] {
            Ok(popular) => Arc::clone(popular),
            Err(message) => {
                let errors = config_errors.entry(job.repository).or_default();
                let message = format!("{message}; the org's popular names apply instead");
                if !errors.iter().any(|error| error.message == message) {
                    errors.push(RepoError {
                        path: config_path
                            .as_ref()
                            .map_or_else(String::new, |path| path.display().to_string()),
                        message,
                    });
                }
                Arc::clone(&org_popular)
            }
        };
        lock_popular.push(popular);
        lock_settings.push(Some(settings));
    }

    // 4. Enrich once. PyPI metadata feeds the censuses (unless `--no-census`) and the rules that
    // read it; which rules report on it is each repository's settings' business, below.
    let spinner = progress.spinner(&format!("enriching {} packages", targets.len()));
    let with_census = !args.no_census;
    let request = enrich::GatherRequest {
        targets: targets.clone(),
        metadata: (with_census || by_config.values().any(|settings| needs_metadata(settings)))
            .then(|| MetadataSettings {
                offline: args.sources.offline,
                fetch: settings.fetch.clone(),
                ttl: Duration::from_secs(args.sources.metadata_ttl),
                project_status: true,
                now: settings.now,
            }),
        popular: None,
    };
    let enrich::Gathered {
        vulnerabilities: mut data,
        metadata,
        ..
    } = enrich::gather(&request, &cache, &settings)?;
    merge_sources(&mut data, metadata.as_ref());
    progress.done(
        spinner,
        format!(
            "enriched {} unique packages ({} requests)",
            targets.len(),
            data.requests
        ),
    );
    if !quiet {
        for warning in &data.warnings {
            super::warn(warning);
        }
    }

    // 5. Evaluate each lockfile with its repository's settings; graphs are dropped as they go.
    let parse_errors: Vec<Option<String>> = parsed
        .iter()
        .map(|result| result.as_ref().err().cloned())
        .collect();
    let work: Vec<(Parsed, Arc<PolicySettings>, Arc<PopularNames>)> = parsed
        .into_iter()
        .zip(lock_settings.iter().zip(&lock_popular))
        .filter_map(|(result, (settings, popular))| {
            Some((
                result.ok()?,
                Arc::clone(settings.as_ref()?),
                Arc::clone(popular),
            ))
        })
        .collect();
    let bar = progress.bar(work.len(), "evaluating");
    let mut evaluated = parallel_map(work, threads, &bar, |(parsed, settings, popular)| {
        // The metadata fetched for the census does not turn on rules a repository has off: as
        // in `pyaudit lock`, a lockfile sees it only when one of its metadata rules is on.
        let enrichment = Enrichment {
            vulnerabilities: &data,
            metadata: metadata.as_ref().filter(|_| needs_metadata(&settings)),
            popular: &popular,
        };
        let report = policy::evaluate(&parsed.graph, &parsed.plan, &enrichment, &settings);
        let packages: Vec<u32> = if with_census {
            parsed
                .plan
                .targets
                .iter()
                .filter_map(|(_, key)| targets.binary_search(key).ok())
                .map(|index| index as u32)
                .collect()
        } else {
            Vec::new()
        };
        (report, packages, settings)
    })
    .into_iter();
    progress.done(bar, "evaluated".to_string());

    // 6. Per repository: its reports, errors and stale ignores of its own config.
    let mut reports: Vec<RepoReport> = repositories
        .iter()
        .map(|found| RepoReport {
            name: found.name.clone(),
            path: found.root.display().to_string(),
            config: None,
            lockfiles: Vec::new(),
            errors: Vec::new(),
        })
        .collect();
    let mut repository_settings: Vec<Vec<Arc<PolicySettings>>> =
        vec![Vec::new(); repositories.len()];
    let mut repository_packages: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); repositories.len()];
    for (job, settings) in jobs.iter().zip(&lock_settings) {
        let report = &mut reports[job.repository];
        if settings.is_none() {
            continue;
        }
        if let Some((lock_report, packages, settings)) = evaluated.next() {
            report.lockfiles.push(lock_report);
            repository_packages[job.repository].extend(packages);
            let known = &mut repository_settings[job.repository];
            if !known.iter().any(|seen| Arc::ptr_eq(seen, &settings)) {
                known.push(settings);
            }
        }
    }
    for (job, error) in jobs.iter().zip(parse_errors) {
        if let Some(message) = error {
            reports[job.repository].errors.push(RepoError {
                path: job.path.display().to_string(),
                message,
            });
        }
    }
    let mut all_ignored: Vec<IgnoredFinding> = Vec::new();
    for (index, report) in reports.iter_mut().enumerate() {
        report
            .errors
            .extend(config_errors.remove(&index).unwrap_or_default());
        let ignored: Vec<&IgnoredFinding> = report
            .lockfiles
            .iter()
            .flat_map(|lockfile| &lockfile.ignored)
            .collect();
        all_ignored.extend(ignored.iter().map(|ignored| (*ignored).clone()));
        let mut stale = Vec::new();
        let org_shared = &by_config[&org_config.path];
        for settings in &repository_settings[index] {
            if Arc::ptr_eq(settings, org_shared) {
                // Only the repository's own ignores are judged here; the org's are judged
                // org-wide, below.
                if report.config.is_none() {
                    report.config = org_config
                        .path
                        .as_ref()
                        .map(|path| path.display().to_string());
                }
                continue;
            }
            let own_path = settings_config_path(&by_config, settings);
            if report.config.is_none() {
                report.config = own_path.clone().or_else(|| {
                    org_config
                        .path
                        .as_ref()
                        .map(|path| path.display().to_string())
                });
            }
            let Some(own_path) = own_path else { continue };
            let mut own = (**settings).clone();
            own.ignores
                .retain(|ignore| ignore.location.path.display().to_string() == own_path);
            stale.extend(policy::stale_ignores(&ignored, &own));
        }
        if let Some(first) = report.lockfiles.first_mut()
            && !stale.is_empty()
        {
            first.findings.extend(stale);
            policy::sort_findings(&mut first.findings);
        }
    }
    let org_ignored: Vec<&IgnoredFinding> = all_ignored.iter().collect();
    let org_findings = policy::stale_ignores(&org_ignored, &org_settings);

    // 7. The censuses, from the metadata facts over each repository's distinct packages.
    let census = match (&metadata, with_census) {
        (Some(metadata), true) => {
            let packages = census_packages(&targets, metadata, &org_settings, settings.now);
            let repositories: Vec<(&str, &BTreeSet<u32>)> = reports
                .iter()
                .map(|report| report.name.as_str())
                .zip(&repository_packages)
                .collect();
            run::census(
                &packages,
                &repositories,
                if args.sources.offline {
                    "`--offline` and no PyPI metadata in the cache; run online once to fill it"
                } else {
                    "PyPI could not answer for them (see the warnings)"
                },
            )
        }
        _ => Census::skipped("`--no-census`: PyPI metadata was not fetched for the censuses"),
    };

    let analysis = run::analyse(&reports, targets.len(), census);
    let now_millis = now().unix_millis();

    // 8. Night over night.
    let identity = history::identity(&identity_paths);
    let previous_runs = history::load(&cache, &identity).unwrap_or_default();
    let current = RunSummary::of(&reports, now_millis);
    let diff = previous_runs
        .last()
        .map(|previous| history::diff(previous, &current));
    if !args.no_history
        && let Err(error) = history::save(&cache, &identity, previous_runs, current, now())
        && !quiet
    {
        super::warn(format!(
            "cannot record this run for `--since-last`: {error}"
        ));
    }

    let outcome_denied = if args.since_last {
        match &diff {
            Some(diff) => diff.new_denied(),
            None => reports.iter().any(RepoReport::denied),
        }
    } else {
        reports
            .iter()
            .flat_map(|report| &report.lockfiles)
            .any(crate::policy::LockReport::denied_for_cause)
    } || org_findings
        .iter()
        .any(|finding| finding.level == Level::Deny);
    let incomplete = reports
        .iter()
        .flat_map(|report| &report.lockfiles)
        .any(crate::policy::LockReport::incomplete);
    if args.since_last && diff.is_none() && !quiet {
        eprintln!("warning: no previous run of these roots: every finding counts as new");
    }
    for report in &reports {
        for error in &report.errors {
            if !quiet {
                super::warn(format!(
                    "{}: `{}`: {}",
                    report.name, error.path, error.message
                ));
            }
        }
    }

    let org_report = OrgReport {
        generated_at: now_millis,
        roots: identity_paths
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
        analysis,
        since_last: diff,
        org_findings,
        sources: data.sources.clone(),
        warnings: data.warnings.clone(),
        repositories: reports,
    };
    for (path, format) in [
        (&args.json, OrgFormat::Json),
        (&args.html, OrgFormat::Html),
        (&args.markdown, OrgFormat::Markdown),
    ] {
        if let Some(path) = path {
            write(path, &render(&org_report, format, args.since_last, false))?;
        }
    }
    let rendered = render(
        &org_report,
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
    let rendered = match &args.output {
        Some(path) => {
            write(path, &rendered)?;
            String::new()
        }
        None => rendered,
    };
    if args.strict && org_report.analysis.summary.unreadable > 0 {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(rendered.as_bytes());
        let _ = stdout.flush();
        bail!(
            "{} lockfile(s) could not be read (`--strict`)",
            org_report.analysis.summary.unreadable
        );
    }
    let outcome = if outcome_denied {
        Outcome::Findings
    } else if incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    };
    Ok((rendered, outcome))
}

fn render(report: &OrgReport, format: OrgFormat, since_last: bool, colour: bool) -> String {
    match format {
        OrgFormat::Text => report::org_text::render(report, colour),
        OrgFormat::Json => report::org_json::render(report),
        OrgFormat::Html => report::org_html::render(report),
        OrgFormat::Markdown => report::org_markdown::render(report, since_last),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the report to `{}`", path.display()))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn settings_config_path(
    by_config: &BTreeMap<Option<PathBuf>, Arc<PolicySettings>>,
    settings: &Arc<PolicySettings>,
) -> Option<String> {
    settings_config_path_buf(by_config, settings).map(|path| path.display().to_string())
}

/// The config file (its key in `by_config`) whose settings these are.
fn settings_config_path_buf(
    by_config: &BTreeMap<Option<PathBuf>, Arc<PolicySettings>>,
    settings: &Arc<PolicySettings>,
) -> Option<PathBuf> {
    by_config
        .iter()
        .find(|(_, shared)| Arc::ptr_eq(shared, settings))
        .and_then(|(path, _)| path.clone())
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

/// Each unique package's census facts: its license and its maintenance problems, read from its
/// metadata with the org's maintenance limits; no metadata is `unchecked`, never left out.
fn census_packages(
    targets: &[PackageKey],
    metadata: &MetadataData,
    org_settings: &PolicySettings,
    now: pyaudit_cache::Timestamp,
) -> Vec<CensusPackage> {
    targets
        .iter()
        .map(|key| {
            let found = metadata
                .packages
                .get(key)
                .and_then(|status| status.metadata());
            CensusPackage {
                name: key.name.clone(),
                version: key.version.to_string(),
                license: found.map(|found| {
                    found
                        .license
                        .expression
                        .clone()
                        .unwrap_or_else(|| "unknown".to_string())
                }),
                problems: found.map_or_else(Vec::new, |found| {
                    policy::census_problems(key, found, &org_settings.maintenance, now)
                }),
            }
        })
        .collect()
}

/// The popular names for one `[typosquat] popular` list, loaded once per distinct list (and not
/// at all when the typosquat rule is off for these settings).
fn popular_names(
    loaded: &mut BTreeMap<Vec<PathBuf>, Result<Arc<PopularNames>, String>>,
    cache: &pyaudit_cache::Cache,
    settings: &PolicySettings,
    files: &[PathBuf],
) -> Result<Arc<PopularNames>, String> {
    if !settings.enabled(&TYPOSQUAT) {
        return Ok(Arc::new(PopularNames::default()));
    }
    loaded
        .entry(files.to_vec())
        .or_insert_with(|| {
            popular::load(cache, files)
                .map(Arc::new)
                .map_err(|error| error_chain(&error))
        })
        .clone()
}

/// Levels, ignores and limits of one config, with the command line's rule levels over it.
fn policy_settings(args: &OrgArgs, config: Config, now_millis: i64) -> Result<PolicySettings> {
    super::policy_settings(
        config,
        &args.rules,
        args.allow_unchecked,
        args.sources.offline,
        now_millis,
    )
}

/// Run `work` over `items` on `threads` threads, results in the order of `items`. Items are
/// moved into the workers, so what they own (a graph) is dropped as soon as it is done with.
fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    bar: &ProgressBar,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(count).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(count.max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .next();
                        let Some((index, item)) = next else { break };
                        done.push((index, work(item)));
                        bar.inc(1);
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(done) => {
                    for (index, result) in done {
                        results[index] = Some(result);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results.into_iter().flatten().collect()
}

/// Progress bars on a terminal, plain log lines otherwise, nothing with `--quiet`.
struct Progress {
    quiet: bool,
    terminal: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Self {
            quiet,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn bar(&self, length: usize, message: &str) -> ProgressBar {
        if self.quiet || !self.terminal {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(length as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:20} [{bar:30}] {pos}/{len} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar
    }

    fn spinner(&self, message: &str) -> ProgressBar {
        if self.quiet || !self.terminal {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar.set_message(message.to_string());
        bar
    }

    /// End a stage: the bar's last word on a terminal, a log line otherwise.
    fn done(&self, bar: ProgressBar, message: String) {
        if self.terminal && !self.quiet {
            bar.finish_and_clear();
            eprintln!("{}", super::for_stderr(&message));
        } else {
            self.log(message);
        }
    }

    fn log(&self, message: String) {
        if !self.quiet {
            eprintln!("pyaudit org: {}", super::for_stderr(&message));
        }
    }
}

//! The way out of a lock audit: one format of [`RunReport`], whichever command ran it.

use crate::audit::RunReport;
use crate::cli::LockFormat;
use crate::policy::{self, LockReport};
use crate::time::Timestamp;

/// What rendering needs besides the run: the clock the run used, and whether to colour text.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub now: Timestamp,
    pub colour: bool,
}

pub fn render_run(format: LockFormat, run: &RunReport, options: &RenderOptions) -> String {
    let reports = lock_reports(run);
    let data = &run.data;
    match format {
        LockFormat::Text => {
            super::text::render_lock(&reports, data, options.now.unix_millis(), options.colour)
        }
        LockFormat::Json => super::json::render_lock(&reports, data),
        LockFormat::Sarif => super::sarif::render_lock(&reports, data),
        LockFormat::Cyclonedx => super::cyclonedx::render_lock(
            &run.graphs,
            &reports,
            data,
            run.metadata.as_ref(),
            Some(options.now.unix_millis()),
        ),
        LockFormat::Markdown => super::markdown::render_lock(&reports, data),
        LockFormat::Gitlab => super::gitlab::render_lock(&reports, data),
    }
}

/// The lockfiles' reports as every lock format shows them: findings about the run as a whole
/// (usage rules, stale ignores) are listed with the first lockfile, which is the project's.
pub fn lock_reports(run: &RunReport) -> Vec<LockReport> {
    let mut reports: Vec<LockReport> = run
        .lockfiles
        .iter()
        .map(|lockfile| lockfile.report.clone())
        .collect();
    if let Some(first) = reports.first_mut()
        && !(run.run_findings.is_empty() && run.run_ignored.is_empty())
    {
        first.findings.extend(run.run_findings.iter().cloned());
        first.ignored.extend(run.run_ignored.iter().cloned());
        policy::sort_findings(&mut first.findings);
    }
    reports
}

/// One format of an org run's report.
pub fn render_org(
    report: &crate::org::report::OrgReport,
    format: crate::cli::OrgFormat,
    since_last: bool,
    colour: bool,
) -> String {
    use crate::cli::OrgFormat;
    match format {
        OrgFormat::Text => super::org_text::render(report, colour),
        OrgFormat::Json => super::org_json::render(report),
        OrgFormat::Html => super::org_html::render(report),
        OrgFormat::Markdown => super::org_markdown::render(report, since_last),
    }
}

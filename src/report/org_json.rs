//! `pyaudit org --format json`: the `pyaudit-org/1` document (docs/json.md): the org summary,
//! advisories by blast radius, repositories by risk, the censuses, the diff with the previous
//! run, and every repository's lockfile reports in the shape of `pyaudit lock --format json`.

use serde::Serialize;

use crate::org::report::OrgReport;

pub const ORG_SCHEMA: &str = "pyaudit-org/1";

#[derive(Serialize)]
struct OrgDocument<'a> {
    schema: &'static str,
    #[serde(flatten)]
    report: &'a OrgReport,
}

pub fn render(report: &OrgReport) -> String {
    let mut text = serde_json::to_string_pretty(&OrgDocument {
        schema: ORG_SCHEMA,
        report,
    })
    .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}

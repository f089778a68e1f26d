//! Each rule family of `src/policy` on in-memory inputs: a small uv.lock written here, enrichment
//! data built here (no server, no cache, no binary), `policy::evaluate` (or the usage rules'
//! own entry points) and assertions on the rule code, package, level and message of what comes
//! out. The builders follow `benches/policy.rs`. Kept in one file so a change of the policy API
//! is fixed in one place.

use std::path::Path;

use pep440_rs::Version;
use pyaudit::config;
use pyaudit::enrich::license::{LicenseInfo, LicenseOrigin, LicenseSource};
use pyaudit::enrich::metadata::{
    MetadataData, MetadataStatus, PackageMetadata, ProjectStatusInfo, YankInfo,
};
use pyaudit::enrich::{PackageKey, VulnerabilityData, VulnerabilityStatus};
use pyaudit::findings::{Finding, Level};
use pyaudit::graph::{Graph, GroupSelection};
use pyaudit::lockfile::detect::parse_lockfile;
use pyaudit::policy::settle;
use pyaudit::policy::usage::{UsageRuleSettings, evaluate_lock};
use pyaudit::policy::{self, Enrichment, LockReport, PolicySettings, PopularNames};
use pyaudit_advisories::Vulnerability;
use pyaudit_cache::Timestamp;

const DAY: i64 = 86_400_000;
/// 2026-11-25, the clock of every test here.
const NOW: i64 = 20_782 * DAY;

// ---------------------------------------------------------------------------------------------
// Builders

/// Where a locked package comes from.
#[derive(Clone, Copy)]
enum From {
    PyPI,
    Index(&'static str),
    Git(&'static str),
}

/// One locked package of the in-memory uv.lock.
#[derive(Clone)]
struct Locked {
    name: &'static str,
    version: &'static str,
    from: From,
    dependencies: Vec<&'static str>,
    hashed: bool,
}

fn locked(name: &'static str, version: &'static str) -> Locked {
    Locked {
        name,
        version,
        from: From::PyPI,
        dependencies: Vec::new(),
        hashed: true,
    }
}

impl Locked {
    fn from(mut self, from: From) -> Self {
        self.from = from;
        self
    }

    fn depends_on(mut self, names: &[&'static str]) -> Self {
        self.dependencies.extend(names);
        self
    }

    fn without_hashes(mut self) -> Self {
        self.hashed = false;
        self
    }
}

/// A uv.lock of a project `app` whose main dependencies are `main`, whose `dev` group is `dev`,
/// and which locks `packages`.
fn uv_lock(main: &[&str], dev: &[&str], packages: &[Locked]) -> String {
    let list = |names: &[&str]| -> String {
        names
            .iter()
            .map(|name| format!("    {{ name = \"{name}\" }},\n"))
            .collect()
    };
    let mut text = String::from("version = 1\nrevision = 3\nrequires-python = \">=3.10\"\n\n");
    text.push_str(&format!(
        "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ editable = \".\" }}\n\
         dependencies = [\n{}]\n\n[package.dev-dependencies]\ndev = [\n{}]\n\n",
        list(main),
        list(dev)
    ));
    for package in packages {
        let Locked { name, version, .. } = package;
        text.push_str(&format!(
            "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
        ));
        match package.from {
            From::PyPI => text.push_str("source = { registry = \"https://pypi.org/simple\" }\n"),
            From::Index(url) => text.push_str(&format!("source = {{ registry = \"{url}\" }}\n")),
            From::Git(url) => text.push_str(&format!("source = {{ git = \"{url}\" }}\n")),
        }
        if !package.dependencies.is_empty() {
            text.push_str(&format!(
                "dependencies = [\n{}]\n",
                list(&package.dependencies)
            ));
        }
        if !matches!(package.from, From::Git(_)) {
            let hash = if package.hashed {
                format!(", hash = \"sha256:{:064x}\"", name.len())
            } else {
                String::new()
            };
            text.push_str(&format!(
                "sdist = {{ url = \"https://files.pythonhosted.org/packages/ab/{name}-{version}.tar.gz\"{hash}, size = 1000 }}\n"
            ));
        }
        text.push('\n');
    }
    text
}

fn graph(text: &str) -> Graph {
    Graph::build(parse_lockfile(Path::new("uv.lock"), text).expect("the test lock parses"))
}

fn key(name: &str, version: &str) -> PackageKey {
    PackageKey::new(name, version.parse().unwrap())
}

/// An advisory for `name==version`, as enrichment hands it to the policy.
fn advisory(id: &str, name: &str, version: &str, rating: &str, malicious: bool) -> Vulnerability {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "ids": [id, format!("CVE-{id}")],
        "record_ids": [id],
        "package": name,
        "version": version,
        "summary": format!("{name} does a bad thing"),
        "severity": {
            "rating": rating,
            "score": 5.0,
            "source": "cvss_v3",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"
        },
        "malicious": malicious,
        "fixed_versions": ["99.0"],
        "fix_hint": "99.0",
    }))
    .expect("a valid test vulnerability")
}

/// PyPI metadata of a healthy, maintained project whose locked version is its newest.
fn healthy(version: &str) -> PackageMetadata {
    PackageMetadata {
        project_status: ProjectStatusInfo::Active,
        yanked: None,
        locked_version_listed: true,
        locked_upload_time: Some(Timestamp::from_unix_millis(NOW - 400 * DAY)),
        first_upload_time: Some(Timestamp::from_unix_millis(NOW - 3_000 * DAY)),
        last_upload_time: Some(Timestamp::from_unix_millis(NOW - 30 * DAY)),
        newest_version: Some(version.parse().unwrap()),
        newest_upload_time: Some(Timestamp::from_unix_millis(NOW - 400 * DAY)),
        classifiers_inactive: Some(false),
        info_version: Some(version.to_owned()),
        license: Some(LicenseInfo {
            expression: Some("MIT".into()),
            source: LicenseSource::Pep639,
            raw: String::new(),
            of_version: version.to_owned(),
            assumed: false,
            note: None,
            read_from: LicenseOrigin::ProjectJson,
        }),
        as_of: Timestamp::from_unix_millis(NOW - DAY),
        stale: false,
    }
}

/// The inputs of one evaluation: every planned package checked and clean, with healthy
/// metadata, until a test says otherwise.
struct Case {
    graph: Graph,
    plan: policy::AuditPlan,
    vulnerabilities: VulnerabilityData,
    metadata: MetadataData,
    popular: PopularNames,
    settings: PolicySettings,
}

impl Case {
    fn new(text: &str) -> Case {
        let graph = graph(text);
        let plan = policy::plan(&graph, false, &GroupSelection::All);
        let mut vulnerabilities = VulnerabilityData::default();
        let mut metadata = MetadataData::default();
        for (_, key) in &plan.targets {
            vulnerabilities.packages.insert(
                key.clone(),
                VulnerabilityStatus::Checked {
                    vulnerabilities: Vec::new(),
                },
            );
            metadata.packages.insert(
                key.clone(),
                MetadataStatus::Available(Box::new(healthy(&key.version.to_string()))),
            );
        }
        Case {
            graph,
            plan,
            vulnerabilities,
            metadata,
            popular: PopularNames::new(["requests", "numpy", "django"], Vec::new()),
            settings: settings(""),
        }
    }

    fn config(mut self, text: &str) -> Case {
        self.settings = settings(text);
        self
    }

    fn vulnerable(mut self, name: &str, version: &str, found: Vec<Vulnerability>) -> Case {
        self.vulnerabilities.packages.insert(
            key(name, version),
            VulnerabilityStatus::Checked {
                vulnerabilities: found,
            },
        );
        self
    }

    fn metadata(
        mut self,
        name: &str,
        version: &str,
        change: impl FnOnce(&mut PackageMetadata),
    ) -> Case {
        let mut metadata = healthy(version);
        change(&mut metadata);
        self.metadata.packages.insert(
            key(name, version),
            MetadataStatus::Available(Box::new(metadata)),
        );
        self
    }

    fn evaluate(&self) -> LockReport {
        let enrichment = Enrichment {
            vulnerabilities: &self.vulnerabilities,
            metadata: Some(&self.metadata),
            popular: &self.popular,
        };
        policy::evaluate(&self.graph, &self.plan, &enrichment, &self.settings)
    }
}

fn settings(config_text: &str) -> PolicySettings {
    let config = config::parse(Path::new("pyaudit.toml"), config_text).expect("config parses");
    PolicySettings::from_config(config, Timestamp::from_unix_millis(NOW))
}

/// The findings with `code`, as (package, level, message).
fn with_code<'a>(findings: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|finding| finding.code == code)
        .collect()
}

/// The one finding with `code`, checked for package and level.
fn one<'a>(report: &'a LockReport, code: &str, package: &str, level: Level) -> &'a Finding {
    let found = with_code(&report.findings, code);
    assert_eq!(found.len(), 1, "{code}: {:#?}", report.findings);
    let finding = found[0];
    assert_eq!(finding.package.name, package, "{code}");
    assert_eq!(finding.level, level, "{code}: {}", finding.message);
    finding
}

fn codes(report: &LockReport) -> Vec<&'static str> {
    report.findings.iter().map(|finding| finding.code).collect()
}

fn simple_lock() -> String {
    uv_lock(
        &["flask", "idna"],
        &["pytest"],
        &[
            locked("flask", "3.0.0").depends_on(&["markupsafe"]),
            locked("markupsafe", "2.1.5"),
            locked("idna", "3.6"),
            locked("pytest", "8.0.0"),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// A clean baseline: every other test differs from it in one input.

#[test]
fn healthy_inputs_give_no_findings() {
    let report = Case::new(&simple_lock()).evaluate();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.audited, 4);
    assert!(!report.denied());
}

// ---------------------------------------------------------------------------------------------
// Vulnerabilities (PA001, PA101, PA102)

#[test]
fn a_known_vulnerability_denies_with_its_id_and_fix() {
    let report = Case::new(&simple_lock())
        .vulnerable(
            "idna",
            "3.6",
            vec![advisory("PYSEC-2024-60", "idna", "3.6", "high", false)],
        )
        .evaluate();
    let finding = one(&report, "PA101", "idna", Level::Deny);
    assert!(
        finding.message.starts_with("PYSEC-2024-60 idna"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("idna does a bad thing"),
        "{}",
        finding.message
    );
    assert!(finding.fix.as_ref().unwrap().description.contains("99.0"));
    assert!(report.denied());
}

#[test]
fn a_malicious_package_is_its_own_rule_and_sorts_first() {
    let report = Case::new(&simple_lock())
        .vulnerable(
            "idna",
            "3.6",
            vec![advisory("PYSEC-2024-60", "idna", "3.6", "critical", false)],
        )
        .vulnerable(
            "markupsafe",
            "2.1.5",
            vec![advisory("MAL-2026-1", "markupsafe", "2.1.5", "low", true)],
        )
        .evaluate();
    let finding = one(&report, "PA102", "markupsafe", Level::Deny);
    assert!(
        finding.message.contains("MAL-2026-1"),
        "{}",
        finding.message
    );
    assert_eq!(
        codes(&report),
        ["PA102", "PA101"],
        "malicious outranks critical"
    );
}

#[test]
fn below_the_deny_threshold_a_vulnerability_warns() {
    let report = Case::new(&simple_lock())
        .config("[vulnerabilities]\ndeny-from = \"critical\"\n")
        .vulnerable(
            "idna",
            "3.6",
            vec![advisory("PYSEC-2024-60", "idna", "3.6", "medium", false)],
        )
        .evaluate();
    one(&report, "PA101", "idna", Level::Warn);
    assert!(!report.denied());
}

#[test]
fn an_unchecked_package_denies_and_never_passes_as_clean() {
    let mut case = Case::new(&simple_lock());
    case.vulnerabilities.packages.insert(
        key("idna", "3.6"),
        VulnerabilityStatus::Unchecked {
            reason: "OSV did not answer".into(),
            vulnerabilities: Vec::new(),
        },
    );
    let report = case.evaluate();
    let finding = one(&report, "PA001", "idna", Level::Deny);
    assert!(
        finding.message.contains("could not be checked"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("OSV did not answer"),
        "{}",
        finding.message
    );
    assert!(report.incomplete());

    case.settings.allow_unchecked = true;
    let report = case.evaluate();
    one(&report, "PA001", "idna", Level::Warn);
    assert!(!report.incomplete());
}

#[test]
fn a_package_missing_from_the_data_is_unchecked() {
    let mut case = Case::new(&simple_lock());
    case.vulnerabilities.packages.remove(&key("flask", "3.0.0"));
    let report = case.evaluate();
    one(&report, "PA001", "flask", Level::Deny);
}

// ---------------------------------------------------------------------------------------------
// Maintenance (PA004, PA201–PA210)

#[test]
fn a_yanked_version_denies_with_the_reason() {
    let report = Case::new(&simple_lock())
        .metadata("idna", "3.6", |metadata| {
            metadata.yanked = Some(YankInfo {
                reason: Some("broken wheel".into()),
            })
        })
        .evaluate();
    let finding = one(&report, "PA201", "idna", Level::Deny);
    assert!(
        finding.message.contains("broken wheel"),
        "{}",
        finding.message
    );
}

#[test]
fn project_status_gives_archived_and_quarantined() {
    let report = Case::new(&simple_lock())
        .metadata("idna", "3.6", |metadata| {
            metadata.project_status = ProjectStatusInfo::Reported {
                status: "archived".into(),
                reason: Some("moved to idna2".into()),
            }
        })
        .metadata("flask", "3.0.0", |metadata| {
            metadata.project_status = ProjectStatusInfo::Reported {
                status: "quarantined".into(),
                reason: None,
            }
        })
        .evaluate();
    let archived = one(&report, "PA203", "idna", Level::Warn);
    assert!(
        archived.message.contains("archived"),
        "{}",
        archived.message
    );
    one(&report, "PA202", "flask", Level::Deny);
}

#[test]
fn an_unread_project_status_is_unchecked_not_active() {
    let unknown = |metadata: &mut PackageMetadata| {
        metadata.project_status = ProjectStatusInfo::Unknown {
            reason: "the Simple API answered 503".into(),
        }
    };
    let mut case = Case::new(&simple_lock()).metadata("idna", "3.6", unknown);
    let report = case.evaluate();
    let finding = one(&report, "PA004", "idna", Level::Deny);
    assert!(
        finding.message.contains("PEP 792") && finding.message.contains("503"),
        "{}",
        finding.message
    );
    // With every status rule off, nothing reads the status: nothing is unchecked.
    for code in ["PA202", "PA203", "PA204"] {
        case.settings.levels.insert(code, Level::Allow);
    }
    assert!(
        case.evaluate()
            .findings
            .iter()
            .all(|finding| finding.code != "PA004"),
        "no status rule on, no PA004"
    );
}

#[test]
fn an_outdated_version_warns_with_the_newest() {
    let report = Case::new(&simple_lock())
        .metadata("idna", "3.6", |metadata| {
            metadata.newest_version = Some(Version::new([5, 0]));
            metadata.newest_upload_time = Some(Timestamp::from_unix_millis(NOW - 200 * DAY));
        })
        .evaluate();
    let finding = one(&report, "PA207", "idna", Level::Warn);
    assert!(finding.message.contains("5.0"), "{}", finding.message);
}

#[test]
fn a_release_of_the_last_days_warns() {
    let report = Case::new(&simple_lock())
        .metadata("idna", "3.6", |metadata| {
            metadata.locked_upload_time = Some(Timestamp::from_unix_millis(NOW - 2 * DAY));
            metadata.newest_upload_time = metadata.locked_upload_time;
        })
        .evaluate();
    let finding = one(&report, "PA208", "idna", Level::Warn);
    assert!(finding.message.contains("idna"), "{}", finding.message);
}

#[test]
fn missing_metadata_is_unchecked_metadata_not_fine() {
    let mut case = Case::new(&simple_lock());
    case.metadata.packages.insert(
        key("idna", "3.6"),
        MetadataStatus::Unavailable {
            reason: "PyPI answered 503".into(),
        },
    );
    let report = case.evaluate();
    let finding = one(&report, "PA004", "idna", Level::Deny);
    assert!(
        finding.message.contains("PyPI answered 503"),
        "{}",
        finding.message
    );
    // Offline, what the cache lacks is a warning.
    case.settings.offline = true;
    one(&case.evaluate(), "PA004", "idna", Level::Warn);
}

// ---------------------------------------------------------------------------------------------
// Licenses (PA301, PA302)

#[test]
fn a_denied_license_denies_and_an_unknown_one_warns() {
    let report = Case::new(&simple_lock())
        .config("[licenses]\nallow = [\"MIT\"]\ndeny = [\"GPL-3.0-only\"]\n")
        .metadata("idna", "3.6", |metadata| {
            metadata.license.as_mut().unwrap().expression = Some("GPL-3.0-only".into())
        })
        .metadata("flask", "3.0.0", |metadata| {
            metadata.license.as_mut().unwrap().expression = None;
            metadata.license.as_mut().unwrap().source = LicenseSource::Unknown;
        })
        .evaluate();
    let denied = one(&report, "PA301", "idna", Level::Deny);
    assert!(
        denied.message.contains("GPL-3.0-only"),
        "{}",
        denied.message
    );
    one(&report, "PA302", "flask", Level::Warn);
}

#[test]
fn an_expression_with_one_allowed_choice_is_allowed() {
    let report = Case::new(&simple_lock())
        .config("[licenses]\nallow = [\"MIT\"]\n")
        .metadata("idna", "3.6", |metadata| {
            metadata.license.as_mut().unwrap().expression = Some("GPL-3.0-only OR MIT".into())
        })
        .evaluate();
    assert!(
        with_code(&report.findings, "PA301").is_empty(),
        "{:#?}",
        report.findings
    );
}

// ---------------------------------------------------------------------------------------------
// Sources (PA401, PA404, PA406)

#[test]
fn git_sources_other_indexes_and_missing_hashes() {
    let text = uv_lock(
        &["flask", "idna", "tool"],
        &[],
        &[
            locked("flask", "3.0.0").from(From::Index("https://mirror.example/simple")),
            locked("idna", "3.6").without_hashes(),
            locked("tool", "1.0.0").from(From::Git(
                "https://github.com/o/tool?rev=v1#0123456789abcdef0123456789abcdef01234567",
            )),
        ],
    );
    let report = Case::new(&text)
        .config(
            "[sources]\nallowed-indexes = [\"https://pypi.org/simple\"]\nrequire-hashes = true\n",
        )
        .evaluate();
    let git = one(&report, "PA401", "tool", Level::Warn);
    assert!(git.message.contains("github.com/o/tool"), "{}", git.message);
    let index = one(&report, "PA404", "flask", Level::Deny);
    assert!(
        index.message.contains("mirror.example"),
        "{}",
        index.message
    );
    let hashes = one(&report, "PA406", "idna", Level::Deny);
    assert!(hashes.message.contains("no hash"), "{}", hashes.message);
}

// ---------------------------------------------------------------------------------------------
// Typosquats (PA501)

#[test]
fn a_name_one_edit_from_a_popular_one_is_a_suspect_unless_allowed() {
    let text = uv_lock(&["reqeusts"], &[], &[locked("reqeusts", "1.0.0")]);
    let report = Case::new(&text).evaluate();
    let finding = one(&report, "PA501", "reqeusts", Level::Warn);
    assert!(finding.message.contains("requests"), "{}", finding.message);

    let allowed = Case::new(&text)
        .config("[typosquat]\nallow = [\"reqeusts\"]\n")
        .evaluate();
    assert!(allowed.findings.is_empty(), "{:#?}", allowed.findings);
}

// ---------------------------------------------------------------------------------------------
// Bans (PA502)

#[test]
fn a_banned_package_denies_with_the_configured_reason() {
    let report = Case::new(&simple_lock())
        .config("[[bans]]\npackage = \"markupsafe\"\nreason = \"use our fork\"\n")
        .evaluate();
    let finding = one(&report, "PA502", "markupsafe", Level::Deny);
    assert!(
        finding.message.contains("use our fork"),
        "{}",
        finding.message
    );
    assert_eq!(finding.package.path.len(), 3, "app → flask → markupsafe");
}

// ---------------------------------------------------------------------------------------------
// Levels and ignores

#[test]
fn configured_levels_override_defaults_and_allow_drops() {
    let case = Case::new(&simple_lock())
        .vulnerable(
            "idna",
            "3.6",
            vec![advisory("PYSEC-2024-60", "idna", "3.6", "high", false)],
        )
        .config("[rules]\nPA101 = \"warn\"\n");
    one(&case.evaluate(), "PA101", "idna", Level::Warn);
    let allowed = case
        .config("[rules]\nvulnerability = \"allow\"\n")
        .evaluate();
    assert!(allowed.findings.is_empty(), "{:#?}", allowed.findings);
}

#[test]
fn an_ignore_suppresses_its_finding_and_says_so() {
    let report = Case::new(&simple_lock())
        .vulnerable(
            "idna",
            "3.6",
            vec![advisory("PYSEC-2024-60", "idna", "3.6", "high", false)],
        )
        .config(
            "[[ignore]]\nid = \"CVE-PYSEC-2024-60\"\nreason = \"not reachable\"\nuntil = 2027-01-01\n",
        )
        .evaluate();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.ignored.len(), 1);
    assert_eq!(report.ignored[0].code, "PA101");
    assert_eq!(report.ignored[0].package, "idna");
    assert_eq!(report.ignored[0].id.as_deref(), Some("PYSEC-2024-60"));
    assert_eq!(report.ignored[0].reason, "not reachable");
}

#[test]
fn an_expired_ignore_no_longer_applies_and_is_reported() {
    let case = Case::new(&simple_lock())
        .vulnerable(
            "idna",
            "3.6",
            vec![advisory("PYSEC-2024-60", "idna", "3.6", "high", false)],
        )
        .config(
            "[[ignore]]\nid = \"PYSEC-2024-60\"\nreason = \"not reachable\"\nuntil = 2026-01-01\n",
        );
    let report = case.evaluate();
    one(&report, "PA101", "idna", Level::Deny);
    assert!(report.ignored.is_empty());
    let stale = policy::stale_ignores(&[], &case.settings);
    assert_eq!(
        stale.iter().map(|finding| finding.code).collect::<Vec<_>>(),
        ["PA002"]
    );
    assert!(
        stale[0].message.contains("2026-01-01"),
        "{}",
        stale[0].message
    );
}

#[test]
fn an_ignore_that_matched_nothing_is_unused() {
    let case = Case::new(&simple_lock())
        .config("[[ignore]]\nrule = \"PA502\"\npackage = \"left-pad\"\nreason = \"old ban\"\n");
    let report = case.evaluate();
    assert!(report.findings.is_empty());
    let stale = policy::stale_ignores(&report.ignored.iter().collect::<Vec<_>>(), &case.settings);
    assert_eq!(
        stale.iter().map(|finding| finding.code).collect::<Vec<_>>(),
        ["PA003"]
    );
    assert_eq!(stale[0].level, Level::Warn);
}

// ---------------------------------------------------------------------------------------------
// Usage rules on a lock (PA605, PA606) and their settling pass

#[test]
fn a_dev_tool_in_main_dependencies_and_an_orphan_are_reported() {
    let text = uv_lock(
        &["flask", "pytest"],
        &[],
        &[
            locked("flask", "3.0.0"),
            locked("pytest", "8.0.0"),
            locked("left-behind", "1.0.0"),
        ],
    );
    let findings = evaluate_lock(&graph(&text), &UsageRuleSettings::default());
    let dev_tool = with_code(&findings, "PA605");
    assert_eq!(dev_tool.len(), 1, "{findings:#?}");
    assert_eq!(dev_tool[0].package.name, "pytest");
    assert_eq!(dev_tool[0].level, Level::Warn);
    assert!(
        dev_tool[0].message.contains("main dependencies"),
        "{}",
        dev_tool[0].message
    );
    let orphan = with_code(&findings, "PA606");
    assert_eq!(orphan.len(), 1, "{findings:#?}");
    assert_eq!(orphan[0].package.name, "left-behind");
    assert!(
        orphan[0].message.contains("nothing installs it"),
        "{}",
        orphan[0].message
    );
    assert_eq!(
        orphan[0].fix.as_ref().unwrap().command.as_deref(),
        Some("uv lock")
    );

    // A configured dev tool counts too; in the dev group it is where it belongs.
    let text = uv_lock(
        &["mytool"],
        &["pytest"],
        &[locked("mytool", "1.0.0"), locked("pytest", "8.0.0")],
    );
    let settings = UsageRuleSettings {
        dev_tools: vec!["mytool".into()],
        ..UsageRuleSettings::default()
    };
    let findings = evaluate_lock(&graph(&text), &settings);
    assert_eq!(
        findings
            .iter()
            .map(|finding| (finding.code, finding.package.name.as_str()))
            .collect::<Vec<_>>(),
        [("PA605", "mytool")]
    );
}

#[test]
fn usage_findings_take_configured_levels_and_rule_ignores() {
    let text = uv_lock(
        &["pytest"],
        &[],
        &[locked("pytest", "8.0.0"), locked("left-behind", "1.0.0")],
    );
    let findings = evaluate_lock(&graph(&text), &UsageRuleSettings::default());
    let settings =
        settings("[rules]\nPA605 = \"deny\"\n\n[[ignore]]\nrule = \"PA606\"\nreason = \"known\"\n");
    let (settled, ignored) = settle(findings, &settings);
    assert_eq!(
        settled
            .iter()
            .map(|finding| (finding.code, finding.level))
            .collect::<Vec<_>>(),
        [("PA605", Level::Deny)]
    );
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0].package, "left-behind");
    assert_eq!(ignored[0].reason, "known");
}

//! Every rule end to end, as users meet it: a lockfile and a `pyaudit.toml` in, the `pyaudit`
//! binary run against a loopback OSV + PyPI server with the clock pinned (`PYAUDIT_NOW`), and the
//! JSON report's codes, levels, messages and evidence and the exit code out. Each rule family has
//! a fixture that triggers it, one that does not, and one at the boundary of its limit.
//!
//! Tests of rules that do not read PyPI metadata pass `--allow PA2` so that the metadata stage is
//! skipped and the packages' (absent) PyPI answers cannot add PA004 findings.

use crate::support::scenario::{Project, Scenario, day, fact, osv_record, pyaudit};
use crate::support::server::Fault;
use serde_json::json;

const NO_METADATA: &[&str] = &["--allow", "PA2"];

// ---------------------------------------------------------------------------------------------
// PA101 / PA102 and `[vulnerabilities]`.

fn vulnerable_scenario() -> Scenario {
    let scenario = Scenario::new();
    for record in [
        osv_record("SYN-HIGH", "CVE-2099-0001", "highpkg", "2.0", Some("HIGH")),
        osv_record(
            "SYN-CRIT",
            "CVE-2099-0002",
            "critpkg",
            "2.0",
            Some("CRITICAL"),
        ),
        osv_record("SYN-NONE", "CVE-2099-0003", "unratedpkg", "2.0", None),
        osv_record("SYN-DEV", "CVE-2099-0004", "devpkg", "2.0", Some("HIGH")),
    ] {
        scenario.server.add_record(record);
    }
    scenario
}

#[test]
fn vulnerabilities_deny_by_default_and_deny_from_sets_the_threshold() {
    let scenario = vulnerable_scenario();
    scenario.write(
        "requirements.txt",
        "highpkg==1.0\ncritpkg==1.9.9\nunratedpkg==1.0\nfixedpkg==1.0\nhighpkg-fixed==2.0\n",
    );
    // Default: every vulnerability denies.
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    let high = report.one("PA101", "highpkg");
    assert_eq!(high["level"], "deny");
    assert_eq!(high["rule"], "vulnerability");
    assert!(
        high["message"]
            .as_str()
            .unwrap()
            .starts_with("SYN-HIGH highpkg==1.0 (CVE-2099-0001)"),
        "{high:#}"
    );
    assert_eq!(high["evidence"]["kind"], "vulnerability");
    assert_eq!(high["fix"]["version"], "2.0");
    assert_eq!(report.one("PA101", "critpkg")["level"], "deny");
    assert_eq!(report.with_code("PA101").len(), 3, "{:?}", report.codes());
    assert_eq!(report.json["summary"]["vulnerabilities"], 3);

    // deny-from = critical: HIGH warns, CRITICAL (at the threshold) denies, and an unrated one
    // still denies — an unknown severity is not a low one.
    scenario.config("[vulnerabilities]\ndeny-from = \"critical\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    assert_eq!(report.one("PA101", "highpkg")["level"], "warn");
    assert_eq!(report.one("PA101", "critpkg")["level"], "deny");
    assert_eq!(report.one("PA101", "unratedpkg")["level"], "deny");

    // deny-from = high: HIGH is at the threshold and denies.
    scenario.config("[vulnerabilities]\ndeny-from = \"high\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    assert_eq!(report.one("PA101", "highpkg")["level"], "deny");

    // Only what is left below the threshold: the run passes.
    scenario.write("requirements.txt", "highpkg==1.0\nfixedpkg==1.0\n");
    scenario.config("[vulnerabilities]\ndeny-from = \"critical\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    assert_eq!(report.one("PA101", "highpkg")["level"], "warn");

    // The fixed version is clean: no finding, exit 0.
    scenario.write("requirements.txt", "highpkg==2.0\n");
    scenario.config("");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    assert!(report.findings().is_empty(), "{}", report.dump());
}

#[test]
fn dev_deny_from_only_affects_dev_packages() {
    let scenario = vulnerable_scenario();
    scenario.write("requirements.txt", "highpkg==1.0\n");
    scenario.write("requirements-dev.txt", "devpkg==1.0\n");
    scenario.config("[vulnerabilities]\ndev-deny-from = \"critical\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    let dev = report.one("PA101", "devpkg");
    assert_eq!(dev["package"]["class"], "dev");
    assert_eq!(dev["level"], "warn");
    let prod = report.one("PA101", "highpkg");
    assert_eq!(prod["package"]["class"], "prod");
    assert_eq!(prod["level"], "deny");

    // With only the dev finding left, the run passes.
    scenario.remove("requirements.txt");
    scenario.run("2026-06-01", NO_METADATA).exit(0);

    // dev-deny-from unset: dev packages fall back on deny-from.
    scenario.write("requirements.txt", "highpkg==1.0\n");
    scenario.config("[vulnerabilities]\ndeny-from = \"critical\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    assert_eq!(report.one("PA101", "devpkg")["level"], "warn");
    assert_eq!(report.one("PA101", "highpkg")["level"], "warn");

    // dev-deny-from lower than deny-from: the dev package denies, the prod one warns.
    scenario.config("[vulnerabilities]\ndeny-from = \"critical\"\ndev-deny-from = \"high\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    assert_eq!(report.one("PA101", "devpkg")["level"], "deny");
    assert_eq!(report.one("PA101", "highpkg")["level"], "warn");
}

#[test]
fn malicious_packages_deny_and_are_never_downgraded_by_deny_from() {
    let scenario = Scenario::new();
    let mut record = osv_record("MAL-2099-1", "GHSA-xxxx-yyyy-zzzz", "evilpkg", "99", None);
    record["summary"] = json!("Malicious code in evilpkg (PyPI)");
    record["database_specific"] = json!({"malicious-packages-origins": [{"source": "test"}]});
    record["affected"][0]["ranges"][0]["events"] = json!([{"introduced": "0"}]);
    scenario.server.add_record(record);
    scenario.write("requirements.txt", "evilpkg==1.0\ngoodpkg==1.0\n");
    scenario.config("[vulnerabilities]\ndeny-from = \"critical\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    let evil = report.one("PA102", "evilpkg");
    assert_eq!(evil["level"], "deny");
    assert_eq!(evil["rule"], "malicious-package");
    report.none("PA101", "evilpkg");
    assert_eq!(report.findings().len(), 1, "{:?}", report.codes());
}

// ---------------------------------------------------------------------------------------------
// PA001 unchecked-package.

#[test]
fn unchecked_packages_deny_online_and_warn_with_allow_unchecked() {
    let scenario = Scenario::new();
    scenario.write("requirements.txt", "somepkg==1.0\n");
    scenario.server.inject(
        "/v1/querybatch",
        Fault::Status {
            status: 400,
            retry_after: None,
        },
        usize::MAX,
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    // Could not check: its own status, apart from findings (1).
    report.exit(2);
    let unchecked = report.one("PA001", "somepkg");
    assert_eq!(unchecked["level"], "deny");
    assert_eq!(unchecked["evidence"]["kind"], "unchecked");

    let report = scenario.run("2026-06-01", &["--allow", "PA2", "--allow-unchecked"]);
    report.exit(0);
    assert_eq!(report.one("PA001", "somepkg")["level"], "warn");
}

// ---------------------------------------------------------------------------------------------
// PA002 expired-ignore, PA003 unused-ignore.

#[test]
fn ignores_hold_through_until_expire_the_day_after_and_unused_ones_are_reported() {
    let scenario = vulnerable_scenario();
    scenario.write("requirements.txt", "highpkg==1.0\n");
    scenario.config(
        "[[ignore]]\nid = \"CVE-2099-0001\"\nreason = \"not reachable\"\nuntil = 2026-06-30\n",
    );
    // On `until` the ignore still holds: nothing denies, the finding is listed as ignored.
    let report = scenario.run("2026-06-30", NO_METADATA);
    report.exit(0);
    assert!(report.findings().is_empty(), "{}", report.dump());
    let ignored = &report.json["lockfiles"][0]["ignored"];
    assert_eq!(ignored[0]["code"], "PA101");
    assert_eq!(ignored[0]["id"], "SYN-HIGH");
    assert_eq!(ignored[0]["reason"], "not reachable");

    // The day after: the finding is back and the expired ignore is reported (not as unused).
    let report = scenario.run("2026-07-01", NO_METADATA);
    report.exit(1);
    assert_eq!(report.one("PA101", "highpkg")["level"], "deny");
    let expired = report.one("PA002", "CVE-2099-0001");
    assert_eq!(expired["level"], "warn");
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2026-06-30"),
        "{expired:#}"
    );
    assert_eq!(expired["evidence"]["kind"], "config");
    assert_eq!(expired["evidence"]["location"]["line"], 1);
    assert!(report.with_code("PA003").is_empty(), "{:?}", report.codes());

    // An ignore that matches nothing is unused; one that matched (by rule and package) is not.
    scenario.config(
        "[[ignore]]\nid = \"CVE-1999-0000\"\nreason = \"old\"\n\n\
         [[ignore]]\nrule = \"vulnerability\"\npackage = \"HighPkg\"\nreason = \"accepted\"\n",
    );
    let report = scenario.run("2026-07-01", NO_METADATA);
    report.exit(0);
    let unused = report.one("PA003", "CVE-1999-0000");
    assert_eq!(unused["level"], "warn");
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("matched no finding")
    );
    assert_eq!(unused["package"]["location"]["line"], 1);
    assert_eq!(report.findings().len(), 1, "{:?}", report.codes());
    assert_eq!(
        report.json["lockfiles"][0]["ignored"][0]["reason"],
        "accepted"
    );

    // `[rules]` can turn the ignore findings off.
    scenario.config("[rules]\nunused-ignore = \"allow\"\n[[ignore]]\nid = \"CVE-1999-0000\"\nreason = \"old\"\n");
    let report = scenario.run("2026-07-01", NO_METADATA);
    report.exit(1);
    assert!(report.with_code("PA003").is_empty(), "{:?}", report.codes());
}

// ---------------------------------------------------------------------------------------------
// PA004 unchecked-metadata.

#[test]
fn unavailable_metadata_denies_online_and_warns_offline_or_with_allow_unchecked() {
    let scenario = Scenario::new();
    scenario.write(
        "requirements.txt",
        "brokenpkg==1.0\nmissingpkg==1.0\nmissing2pkg==1.0\n",
    );
    // The default rules read the Simple API alone: its failure is what makes the package
    // unchecked.
    scenario.server.set_body(
        "/simple/brokenpkg/",
        500,
        "application/json",
        "{\"message\": \"boom\"}",
    );
    // `missingpkg` is not served at all: PyPI answers 404.
    let cache = scenario.fresh_cache();
    let report = scenario.run_in(&cache, "2026-06-01", &[]);
    report.exit(2);
    let broken = report.one("PA004", "brokenpkg");
    assert_eq!(broken["level"], "deny");
    assert!(
        broken["evidence"]["reason"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{broken:#}"
    );
    let missing = report.one("PA004", "missingpkg");
    assert!(
        missing["message"].as_str().unwrap().contains("(404)"),
        "{missing:#}"
    );
    // No metadata rule can pretend the packages are fine.
    assert_eq!(report.findings().len(), 3, "{:?}", report.codes());
    // One warning line per cause, naming the projects.
    assert!(
        report.json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|warning| warning
                == "no PyPI metadata (PyPI has no such project (404): removed, renamed, or never \
                    published there) for 2 project(s): missing2pkg, missingpkg"),
        "{}",
        report.dump()
    );

    let report = scenario.run("2026-06-01", &["--allow-unchecked"]);
    report.exit(0);
    assert_eq!(report.one("PA004", "brokenpkg")["level"], "warn");
    assert_eq!(report.one("PA004", "missingpkg")["level"], "warn");

    // Offline, with the advisories of the first run cached and no metadata: warnings.
    let report = scenario.run_in(&cache, "2026-06-01", &["--offline"]);
    report.exit(0);
    let broken = report.one("PA004", "brokenpkg");
    assert_eq!(broken["level"], "warn");
    assert!(
        broken["evidence"]["reason"]
            .as_str()
            .unwrap()
            .contains("not in the cache"),
        "{broken:#}"
    );

    // With every metadata rule off, PA004 has nothing to report.
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    assert!(report.findings().is_empty(), "{}", report.dump());
}

// ---------------------------------------------------------------------------------------------
// PA201 yanked-version, PA210 unlisted-version.

#[test]
fn yanked_versions_deny_with_the_reason() {
    let scenario = Scenario::new();
    // Recorded answers: requests 2.32.0 is yanked with a reason, 2.31.0 is not.
    scenario.write("requirements.txt", "requests==2.32.0\n");
    let report = scenario.run("2026-11-26", &[]);
    report.exit(1);
    let yanked = report.one("PA201", "requests");
    assert_eq!(yanked["level"], "deny");
    assert_eq!(
        yanked["message"],
        "requests==2.32.0 is yanked: Yanked due to conflicts with CVE-2024-35195 mitigation"
    );
    assert_eq!(
        fact(yanked, "yank_reason"),
        "Yanked due to conflicts with CVE-2024-35195 mitigation"
    );
    assert_eq!(yanked["fix"]["version"], "2.34.2");
    report.none("PA210", "requests");

    scenario.write("requirements.txt", "requests==2.31.0\n");
    let report = scenario.run("2026-11-26", &[]);
    report.none("PA201", "requests");
    report.exit(0);

    // Synthetic: a yank without a reason, and a release with only some files yanked (PEP 592:
    // the release stays installable, so it is not yanked).
    scenario.serve(
        &Project::new("partial")
            .files(
                "1.0",
                &[
                    ("2026-01-01", true, Some("bad wheel")),
                    ("2026-01-01", false, None),
                ],
            )
            .yanked("1.1", "2026-02-01", None)
            .release("1.2", "2026-03-01"),
    );
    scenario.write("requirements.txt", "partial==1.0\n");
    let report = scenario.run("2026-06-01", &[]);
    report.exit(0);
    report.none("PA201", "partial");
    scenario.write("requirements.txt", "partial==1.1\n");
    let report = scenario.run("2026-06-01", &[]);
    report.exit(1);
    let yanked = report.one("PA201", "partial");
    assert_eq!(yanked["message"], "partial==1.1 is yanked");
    assert_eq!(yanked["fix"]["version"], "1.2");
}

#[test]
fn unlisted_versions_warn_but_an_equal_spelling_is_listed() {
    let scenario = Scenario::new();
    scenario.serve(
        &Project::new("listed")
            .release("1.0", "2025-01-01")
            .release("2.0", "2025-06-01"),
    );
    scenario.write("requirements.txt", "listed==1.5\n");
    let report = scenario.run("2026-06-01", &[]);
    report.exit(0);
    let unlisted = report.one("PA210", "listed");
    assert_eq!(unlisted["level"], "warn");
    assert_eq!(
        unlisted["message"],
        "listed==1.5 is not among the releases the index lists"
    );
    assert_eq!(fact(unlisted, "newest_version"), "2.0");

    scenario.write("requirements.txt", "listed==2.0\n");
    scenario.run("2026-06-01", &[]).none("PA210", "listed");
    // `1.0.0` is the PEP 440 equal of the listed `1.0`.
    scenario.write("requirements.txt", "listed==1.0.0\n");
    scenario.run("2026-06-01", &[]).none("PA210", "listed");
}

// ---------------------------------------------------------------------------------------------
// PA202 quarantined, PA203 archived, PA204 deprecated (PEP 792 via the Simple API).

#[test]
fn project_status_from_the_simple_api() {
    let scenario = Scenario::new();
    let base = |name: &str| Project::new(name).release("1.0", "2026-01-01");
    scenario
        .serve(&base("quarantinedpkg").status("quarantined", Some("malware reported")))
        .serve(&base("archivedpkg").status("archived", Some("use newpkg instead")))
        .serve(&base("deprecatedpkg").status("deprecated", None))
        .serve(&base("activepkg").status("active", None))
        .serve(&base("shoutingpkg").status("ARCHIVED", None))
        .serve(&base("futurepkg").status("some-future-status", Some("?")))
        .serve(&base("plainpkg"));
    scenario.write(
        "requirements.txt",
        "archivedpkg==1.0\ndeprecatedpkg==1.0\nactivepkg==1.0\nshoutingpkg==1.0\n\
         futurepkg==1.0\nplainpkg==1.0\n",
    );
    let report = scenario.run("2026-06-01", &[]);
    // Archived and deprecated warn.
    report.exit(0);
    let archived = report.one("PA203", "archivedpkg");
    assert_eq!(archived["level"], "warn");
    assert_eq!(
        archived["message"],
        "`archivedpkg` is archived on the index: use newpkg instead"
    );
    assert_eq!(fact(archived, "project_status"), "archived");
    assert_eq!(fact(archived, "status_reason"), "use newpkg instead");
    let deprecated = report.one("PA204", "deprecatedpkg");
    assert_eq!(
        deprecated["message"],
        "`deprecatedpkg` is deprecated on the index"
    );
    // Status text is matched case-insensitively.
    report.one("PA203", "shoutingpkg");
    // Active, absent and unknown statuses report nothing.
    for name in ["activepkg", "futurepkg", "plainpkg"] {
        for code in ["PA202", "PA203", "PA204"] {
            report.none(code, name);
        }
    }

    // Quarantine denies.
    scenario.write("requirements.txt", "quarantinedpkg==1.0\n");
    let report = scenario.run("2026-06-01", &[]);
    report.exit(1);
    let quarantined = report.one("PA202", "quarantinedpkg");
    assert_eq!(quarantined["level"], "deny");
    assert_eq!(
        quarantined["message"],
        "`quarantinedpkg` is quarantined on the index: malware reported"
    );
}

// ---------------------------------------------------------------------------------------------
// PA205 unmaintained, PA206 inactive, PA207 outdated, PA208 recent release, PA209 new project.

#[test]
fn unmaintained_projects_at_exactly_max_age_days_are_not_reported() {
    let scenario = Scenario::new();
    let last = "2024-03-01";
    scenario.serve(
        &Project::new("oldpkg")
            .release("1.0", "2020-01-01")
            .release("1.1", last),
    );
    scenario.write("requirements.txt", "oldpkg==1.1\n");
    // Default limit 730 days: exactly 730 days after the last upload is still fine…
    let report = scenario.run(&day(last, 730), &[]);
    report.exit(0);
    report.none("PA205", "oldpkg");
    // …one day more is not.
    let report = scenario.run(&day(last, 731), &[]);
    report.exit(0);
    let stale = report.one("PA205", "oldpkg");
    assert_eq!(stale["level"], "warn");
    assert_eq!(
        stale["message"],
        "`oldpkg` has had no upload for 731 days (since 2024-03-01); the limit is 730 days"
    );
    assert_eq!(fact(stale, "last_upload"), last);
    assert_eq!(fact(stale, "max_age_days"), "730");

    // A configured limit moves the boundary.
    scenario.config("[maintenance]\nmax-age-days = 100\n");
    scenario.run(&day(last, 100), &[]).none("PA205", "oldpkg");
    scenario.run(&day(last, 101), &[]).one("PA205", "oldpkg");

    // Real: nose's last upload was in 2015.
    scenario.config("");
    scenario.write("requirements.txt", "nose==1.3.7\nsix==1.16.0\n");
    let report = scenario.run("2026-11-26", &[]);
    assert!(
        report.one("PA205", "nose")["message"]
            .as_str()
            .unwrap()
            .contains("(since 2015-"),
        "{}",
        report.dump()
    );
    report.none("PA205", "six");
}

#[test]
fn inactive_classifier_warns() {
    let scenario = Scenario::new();
    scenario
        .serve(
            &Project::new("inactivepkg")
                .release("1.0", "2026-01-01")
                .classifier("Development Status :: 7 - Inactive"),
        )
        .serve(
            &Project::new("maturepkg")
                .release("1.0", "2026-01-01")
                .classifier("Development Status :: 6 - Mature"),
        )
        .serve(
            // The classifiers are the newest release's: an old release of a project that is
            // inactive now is reported as such.
            &Project::new("laterpkg")
                .release("1.0", "2026-01-01")
                .release("2.0", "2026-02-01")
                .classifier("Development Status :: 7 - Inactive"),
        );
    scenario.write(
        "requirements.txt",
        "inactivepkg==1.0\nmaturepkg==1.0\nlaterpkg==1.0\n",
    );
    // Off by default: the classifiers are the JSON API's, which the default rules never ask.
    let report = scenario.run("2026-06-01", &[]);
    report.exit(0);
    assert!(
        !report.codes().iter().any(|code| code.starts_with("PA206")),
        "{:?}",
        report.codes()
    );
    assert_eq!(scenario.server.requests("/pypi/"), 0);
    let report = scenario.run("2026-06-01", &["--warn", "PA206"]);
    report.exit(0);
    let inactive = report.one("PA206", "inactivepkg");
    assert_eq!(inactive["level"], "warn");
    assert_eq!(
        inactive["message"],
        "`inactivepkg` declares `Development Status :: 7 - Inactive` (release 1.0)"
    );
    report.none("PA206", "maturepkg");
    assert_eq!(fact(report.one("PA206", "laterpkg"), "of_version"), "2.0");
}

#[test]
fn outdated_versions_at_exactly_the_limits_are_reported() {
    let scenario = Scenario::new();
    scenario.serve(
        &Project::new("majorpkg")
            .release("1.0", "2026-01-01")
            .release("2.0", "2026-01-02")
            .release("3.0", "2026-01-03")
            // Pre-releases and yanked releases are not "the newest release".
            .release("4.0rc1", "2026-01-04")
            .yanked("5.0", "2026-01-05", Some("oops")),
    );
    scenario.write("requirements.txt", "majorpkg==1.0\n");
    // Two majors behind, the default limit: reported.
    let report = scenario.run("2026-06-01", &[]);
    report.exit(0);
    let outdated = report.one("PA207", "majorpkg");
    assert_eq!(outdated["level"], "warn");
    assert_eq!(fact(outdated, "newest_version"), "3.0");
    assert_eq!(fact(outdated, "major_versions_behind"), "2");
    assert_eq!(
        outdated["message"],
        "majorpkg==1.0 is 2 major version(s) and 2 days behind 3.0 (limits: 2 majors, 1095 days)"
    );
    // One major behind: not reported.
    scenario.write("requirements.txt", "majorpkg==2.0\n");
    scenario.run("2026-06-01", &[]).none("PA207", "majorpkg");
    // max-major-behind = 1 moves the boundary.
    scenario.config("[maintenance]\nmax-major-behind = 1\n");
    scenario.run("2026-06-01", &[]).one("PA207", "majorpkg");
    // The newest release itself is never outdated.
    scenario.write("requirements.txt", "majorpkg==3.0\n");
    scenario.run("2026-06-01", &[]).none("PA207", "majorpkg");

    // Days behind: exactly max-days-behind is reported, one day less is not.
    scenario.config("[maintenance]\nmax-days-behind = 100\n");
    scenario.serve(
        &Project::new("dayspkg")
            .release("1.0", "2025-01-01")
            .release("1.1", &day("2025-01-01", 1))
            .release("1.2", &day("2025-01-01", 100)),
    );
    scenario.write("requirements.txt", "dayspkg==1.0\n");
    let report = scenario.run("2026-06-01", &[]);
    assert_eq!(fact(report.one("PA207", "dayspkg"), "days_behind"), "100");
    scenario.write("requirements.txt", "dayspkg==1.1\n");
    scenario.run("2026-06-01", &[]).none("PA207", "dayspkg");
}

#[test]
fn recent_releases_within_the_cooldown_warn() {
    let scenario = Scenario::new();
    let uploaded = "2026-05-20";
    scenario.serve(
        &Project::new("freshpkg")
            .release("1.0", "2020-01-01")
            .release("1.1", uploaded),
    );
    scenario.write("requirements.txt", "freshpkg==1.1\n");
    // Six days after the upload: inside the default 7-day cooldown.
    let report = scenario.run(&day(uploaded, 6), &[]);
    report.exit(0);
    let recent = report.one("PA208", "freshpkg");
    assert_eq!(recent["level"], "warn");
    assert_eq!(
        recent["message"],
        "freshpkg==1.1 was uploaded 2026-05-20 (6 days ago); the cooldown is 7 days"
    );
    assert_eq!(fact(recent, "uploaded"), uploaded);
    // Exactly seven days: the cooldown has passed.
    scenario
        .run(&day(uploaded, 7), &[])
        .none("PA208", "freshpkg");
    // The same day, and an upload dated after "now", count as recent.
    scenario.run(uploaded, &[]).one("PA208", "freshpkg");
    scenario
        .run(&day(uploaded, -1), &[])
        .one("PA208", "freshpkg");
    // An older locked release is not affected by a recent newer one.
    scenario.write("requirements.txt", "freshpkg==1.0\n");
    scenario
        .run(&day(uploaded, 1), &[])
        .none("PA208", "freshpkg");
    // cooldown-days = 0 turns the check off in effect.
    scenario.write("requirements.txt", "freshpkg==1.1\n");
    scenario.config("[maintenance]\ncooldown-days = 0\n");
    scenario.run(uploaded, &[]).none("PA208", "freshpkg");
}

#[test]
fn new_projects_within_new_project_days_warn() {
    let scenario = Scenario::new();
    let first = "2026-05-01";
    scenario.serve(
        &Project::new("youngpkg")
            .release("0.1", first)
            .release("0.2", "2026-05-02"),
    );
    scenario.write("requirements.txt", "youngpkg==0.1\n");
    let report = scenario.run(&day(first, 29), &[]);
    report.exit(0);
    let young = report.one("PA209", "youngpkg");
    assert_eq!(young["level"], "warn");
    assert_eq!(
        young["message"],
        "`youngpkg` first appeared on the index 2026-05-01 (29 days ago); new projects wait 30 days"
    );
    assert_eq!(fact(young, "first_upload"), first);
    // Exactly 30 days old: no longer new.
    scenario.run(&day(first, 30), &[]).none("PA209", "youngpkg");
    // An old project with a new release is not a new project.
    scenario.write("requirements.txt", "requests==2.31.0\n");
    scenario.run("2026-11-26", &[]).none("PA209", "requests");
}

// ---------------------------------------------------------------------------------------------
// PA301 license-not-allowed, PA302 unknown-license.

#[test]
fn license_policy_allow_and_deny_lists() {
    let scenario = Scenario::new();
    let licensed = |name: &str, expression: &str| {
        Project::new(name)
            .release("1.0", "2026-01-01")
            .license_expression(expression)
    };
    scenario
        .serve(&licensed("mitpkg", "MIT"))
        .serve(&licensed("orpkg", "MIT OR GPL-3.0-only"))
        .serve(&licensed("andpkg", "MIT AND GPL-3.0-only"))
        .serve(&licensed(
            "withpkg",
            "GPL-2.0-only WITH Classpath-exception-2.0",
        ))
        .serve(&licensed("laterpkg", "GPL-2.0-or-later"))
        .serve(&licensed("agplpkg", "AGPL-3.0-only"))
        .serve(&licensed("badexprpkg", "MIT AND (("))
        .serve(&Project::new("nolicensepkg").release("1.0", "2026-01-01"))
        .serve(
            &Project::new("classifierpkg")
                .release("1.0", "2026-01-01")
                .classifier("License :: OSI Approved :: MIT License"),
        );
    scenario.write(
        "requirements.txt",
        "mitpkg==1.0\norpkg==1.0\nandpkg==1.0\nwithpkg==1.0\nlaterpkg==1.0\nagplpkg==1.0\n\
         badexprpkg==1.0\nnolicensepkg==1.0\nclassifierpkg==1.0\nrequests==2.31.0\n",
    );

    // Without a policy licenses are not judged at all.
    let report = scenario.run("2026-06-01", &[]);
    report.exit(0);
    assert!(report.with_code("PA301").is_empty() && report.with_code("PA302").is_empty());

    scenario.config(
        "[licenses]\nallow = [\"MIT\", \"Apache-2.0\", \"GPL-2.0-only\", \"GPL-3.0-only\"]\n\
         deny = [\"AGPL-3.0-only\"]\n",
    );
    let report = scenario.run("2026-06-01", &[]);
    report.exit(1);
    // Allowed: a listed license, `A OR B` with one side allowed, `AND` of allowed licenses, a
    // `WITH` exception on an allowed license, `-or-later` with a later version allowed, a
    // classifier mapping to an allowed license, a free-text SPDX id (requests: `Apache-2.0`).
    for name in [
        "mitpkg",
        "orpkg",
        "andpkg",
        "withpkg",
        "laterpkg",
        "classifierpkg",
        "requests",
    ] {
        report.none("PA301", name);
        report.none("PA302", name);
    }
    let denied = report.one("PA301", "agplpkg");
    assert_eq!(denied["level"], "deny");
    assert_eq!(
        denied["message"],
        "agplpkg==1.0 is licensed AGPL-3.0-only: AGPL-3.0-only denied"
    );
    assert_eq!(denied["evidence"]["kind"], "license");
    assert_eq!(denied["evidence"]["source"], "license-expression");
    assert_eq!(denied["evidence"]["verdict"], "denied: AGPL-3.0-only");
    let unknown = report.one("PA302", "nolicensepkg");
    assert_eq!(unknown["level"], "warn");
    assert_eq!(unknown["evidence"]["source"], "none");
    // An expression that does not parse is no license at all, and the message says why.
    let invalid = report.one("PA302", "badexprpkg");
    assert_eq!(invalid["evidence"]["declared"], "MIT AND ((");
    assert!(
        invalid["message"]
            .as_str()
            .unwrap()
            .contains("the PEP 639 License-Expression is invalid"),
        "{invalid:#}"
    );

    // A narrower allow list: `AND` needs both sides, `WITH` needs the bare license.
    scenario.config("[licenses]\nallow = [\"MIT\", \"Apache-2.0\"]\n");
    let report = scenario.run("2026-06-01", &[]);
    report.exit(1);
    report.none("PA301", "orpkg");
    let and = report.one("PA301", "andpkg");
    assert_eq!(and["evidence"]["verdict"], "not allowed: GPL-3.0-only");
    assert_eq!(
        and["message"],
        "andpkg==1.0 is licensed MIT AND GPL-3.0-only: GPL-3.0-only not on the allow list"
    );
    report.one("PA301", "withpkg");
    report.one("PA301", "laterpkg");
    // Without a deny list, AGPL is simply not allowed.
    assert_eq!(
        report.one("PA301", "agplpkg")["evidence"]["verdict"],
        "not allowed: AGPL-3.0-only"
    );

    // A deny list alone: everything else passes.
    scenario.config("[licenses]\ndeny = [\"AGPL-3.0-only\"]\n");
    let report = scenario.run("2026-06-01", &[]);
    assert_eq!(report.with_code("PA301").len(), 1, "{:?}", report.codes());
    report.one("PA301", "agplpkg");
}

// ---------------------------------------------------------------------------------------------
// PA401 git, PA402 url, PA403 local, PA405 unpinned (requirements and uv.lock).

#[test]
fn git_url_and_local_sources_in_requirements() {
    let scenario = Scenario::new();
    scenario.write(
        "requirements.txt",
        "git+https://github.com/org/gitpkg@main#egg=gitpkg\n\
         git+https://github.com/org/gitpinned@0123456789abcdef0123456789abcdef01234567#egg=gitpinned\n\
         urlpkg @ https://example.com/urlpkg-1.0.tar.gz\n\
         -e ./libs/localpkg\n\
         registrypkg==1.0\n",
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    let git = report.one("PA401", "gitpkg");
    assert_eq!(git["level"], "warn");
    assert_eq!(
        git["message"],
        "gitpkg is installed from git https://github.com/org/gitpkg at `main`, which can move"
    );
    assert_eq!(git["evidence"]["source"], "git");
    let pinned = report.one("PA401", "gitpinned");
    assert!(
        pinned["message"]
            .as_str()
            .unwrap()
            .ends_with("at commit 0123456789abcdef0123456789abcdef01234567"),
        "{pinned:#}"
    );
    let url = report.one("PA402", "urlpkg");
    assert_eq!(
        url["message"],
        "urlpkg is installed from the URL https://example.com/urlpkg-1.0.tar.gz"
    );
    let local = report.one("PA403", "localpkg");
    assert_eq!(
        local["message"],
        "localpkg is installed from the local path in editable mode `./libs/localpkg`"
    );
    for code in ["PA401", "PA402", "PA403", "PA405"] {
        report.none(code, "registrypkg");
    }
    // Not audited by version, and said so.
    assert_eq!(report.json["summary"]["not_audited"], 4);

    // The rules follow `[rules]` levels like any other.
    scenario.config("[rules]\ngit-source = \"deny\"\nPA402 = \"allow\"\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    assert_eq!(report.one("PA401", "gitpkg")["level"], "deny");
    assert!(report.with_code("PA402").is_empty());
}

#[test]
fn git_url_and_local_sources_in_uv_lock_spare_the_workspace_root() {
    let scenario = Scenario::new();
    scenario.write(
        "uv.lock",
        r#"version = 1
revision = 3
requires-python = ">=3.10"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "gitpkg" },
    { name = "urlpkg" },
    { name = "locallib" },
    { name = "wheelpkg" },
    { name = "registrypkg" },
]

[[package]]
name = "gitpkg"
version = "0.2.0"
source = { git = "https://github.com/org/gitpkg.git?rev=main#0123456789abcdef0123456789abcdef01234567" }

[[package]]
name = "urlpkg"
version = "1.0.0"
source = { url = "https://example.com/urlpkg-1.0.0.tar.gz" }

[[package]]
name = "locallib"
version = "0.1.0"
source = { editable = "libs/locallib" }

[[package]]
name = "wheelpkg"
version = "1.0.0"
source = { path = "dist/wheelpkg-1.0.0-py3-none-any.whl" }

[[package]]
name = "registrypkg"
version = "1.0.0"
source = { registry = "https://pypi.org/simple" }
"#,
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    assert!(
        report.one("PA401", "gitpkg")["message"]
            .as_str()
            .unwrap()
            .contains("at commit 0123456789abcdef"),
        "{}",
        report.dump()
    );
    report.one("PA402", "urlpkg");
    assert_eq!(
        report.one("PA403", "locallib")["message"],
        "locallib==0.1.0 is installed from the local path in editable mode `libs/locallib`"
    );
    assert_eq!(
        report.one("PA403", "wheelpkg")["message"],
        "wheelpkg==1.0.0 is installed from the local archive `dist/wheelpkg-1.0.0-py3-none-any.whl`"
    );
    // The project itself (editable `.`) is a root, not a dependency from a local path.
    report.none("PA403", "demo");
    assert_eq!(report.with_code("PA403").len(), 2, "{:?}", report.codes());
}

#[test]
fn unpinned_requirements_warn_and_wildcards_are_not_pins() {
    let scenario = Scenario::new();
    scenario.write(
        "requirements.txt",
        "rangepkg>=1,<3\nwildpkg==2.*\nbarepkg\npinnedpkg==1.0\nexactpkg===2.0\n",
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    let range = report.one("PA405", "rangepkg");
    assert_eq!(range["level"], "warn");
    assert_eq!(
        range["message"],
        "rangepkg is not pinned (`>=1,<3`): any matching version installs"
    );
    assert_eq!(
        report.one("PA405", "wildpkg")["message"],
        "wildpkg is not pinned (`==2.*`): any matching version installs"
    );
    assert_eq!(
        report.one("PA405", "barepkg")["message"],
        "barepkg is not pinned (`any version`): any matching version installs"
    );
    report.none("PA405", "pinnedpkg");
    report.none("PA405", "exactpkg");
    assert_eq!(report.json["summary"]["audited"], 2);
}

// ---------------------------------------------------------------------------------------------
// PA404 index-not-allowed, PA406 missing-hashes.

#[test]
fn allowed_indexes_compare_without_trailing_slash_and_host_case() {
    let scenario = Scenario::new();
    scenario.config("[sources]\nallowed-indexes = [\"https://pypi.org/simple/\"]\n");
    // Host case and a trailing slash do not make another index.
    scenario.write(
        "requirements.txt",
        "--index-url https://PyPI.ORG/simple\nsomepkg==1.0\n",
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    assert!(report.with_code("PA404").is_empty(), "{}", report.dump());
    // No `--index-url`: the default index, PyPI, which is allowed.
    scenario.write("requirements.txt", "somepkg==1.0\n");
    scenario.run("2026-06-01", NO_METADATA).exit(0);
    // The path is case-sensitive: another index.
    scenario.write(
        "requirements.txt",
        "--index-url https://pypi.org/SIMPLE/\nsomepkg==1.0\n",
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    let other = report.one("PA404", "somepkg");
    assert_eq!(other["level"], "deny");
    assert_eq!(other["evidence"]["location"], "https://pypi.org/SIMPLE/");
    // An extra index off the list: every package may come from it (dependency confusion).
    scenario.write(
        "requirements.txt",
        "--extra-index-url https://packages.example.com/simple\nsomepkg==1.0\notherpkg==2.0\n",
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    assert_eq!(report.with_code("PA404").len(), 2, "{:?}", report.codes());
    assert!(
        report.one("PA404", "otherpkg")["message"]
            .as_str()
            .unwrap()
            .contains(
                "may be installed from the extra index https://packages.example.com/simple ("
            ),
        "{}",
        report.dump()
    );
    // Without an allow list there is no index policy.
    scenario.config("");
    scenario.run("2026-06-01", NO_METADATA).exit(0);

    // uv.lock registry sources, the configured URL in another spelling.
    scenario.remove("requirements.txt");
    scenario.config("[sources]\nallowed-indexes = [\"HTTPS://PYPI.ORG/simple\"]\n");
    scenario.write(
        "uv.lock",
        r#"version = 1
revision = 3
requires-python = ">=3.10"

[[package]]
name = "demo"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "frompypi" }, { name = "fromprivate" }]

[[package]]
name = "frompypi"
version = "1.0.0"
source = { registry = "https://pypi.org/simple/" }

[[package]]
name = "fromprivate"
version = "1.0.0"
source = { registry = "https://private.example.com/simple" }
"#,
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    report.none("PA404", "frompypi");
    assert_eq!(
        report.one("PA404", "fromprivate")["message"],
        "fromprivate==1.0.0 comes from the index https://private.example.com/simple, which is not \
         on `[sources] allowed-indexes`"
    );
}

#[test]
fn require_hashes_denies_a_package_without_any_hash() {
    let scenario = Scenario::new();
    scenario.write(
        "requirements.txt",
        "nohash==1.0\n\
         onehash==1.0 --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\
         twohash==1.0 \\\n    --hash=sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb \\\n    \
         --hash=sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n\
         unpinned>=1\n",
    );
    // Off by default.
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    assert!(report.with_code("PA406").is_empty());

    scenario.config("[sources]\nrequire-hashes = true\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    let missing = report.one("PA406", "nohash");
    assert_eq!(missing["level"], "deny");
    assert_eq!(
        missing["message"],
        "nohash==1.0: the lock records no hash for any of its files"
    );
    assert_eq!(
        missing["fix"]["command"],
        "uv pip compile --generate-hashes (or pip-compile --generate-hashes)"
    );
    // One hash is enough.
    report.none("PA406", "onehash");
    report.none("PA406", "twohash");
    // An unpinned entry is PA405's, not PA406's.
    report.none("PA406", "unpinned");
    report.one("PA405", "unpinned");
}

// ---------------------------------------------------------------------------------------------
// PA501 typosquat-suspect, PA502 banned-package.

#[test]
fn typosquats_one_edit_from_a_popular_name() {
    let scenario = Scenario::new();
    scenario.write(
        "requirements.txt",
        "reqests==1.0\nrequests==2.31.0\nsux==1.0\nnumpyy==1.0\nunrelatedname==1.0\n",
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    let squat = report.one("PA501", "reqests");
    assert_eq!(squat["level"], "warn");
    assert_eq!(
        squat["message"],
        "`reqests` is not a popular project but is close to `requests`: edit distance 1"
    );
    assert_eq!(squat["evidence"]["kind"], "similar");
    assert_eq!(squat["evidence"]["popular"], "requests");
    report.one("PA501", "numpyy");
    // The popular name itself, a three-letter name one edit from `six`, an unrelated name.
    report.none("PA501", "requests");
    report.none("PA501", "sux");
    report.none("PA501", "unrelatedname");

    // `[typosquat] allow` and `popular` files from the config.
    scenario.write("popular.txt", "# ours\nunrelatednames\n");
    scenario.config("[typosquat]\nallow = [\"Reqests\"]\npopular = [\"popular.txt\"]\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.none("PA501", "reqests");
    assert_eq!(
        report.one("PA501", "unrelatedname")["evidence"]["popular"],
        "unrelatednames"
    );
}

#[test]
fn bans_by_name_and_version_specifier() {
    let scenario = Scenario::new();
    scenario.config(
        "[[bans]]\npackage = \"Old_Crypto\"\nreason = \"use cryptography\"\n\n\
         [[bans]]\npackage = \"leftpad\"\nversion = \"<2\"\nreason = \"1.x is compromised\"\n",
    );
    scenario.write(
        "requirements.txt",
        "old-crypto==3.0\nleftpad==1.9\nsafe==1.0\n",
    );
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    let banned = report.one("PA502", "old-crypto");
    assert_eq!(banned["level"], "deny");
    assert_eq!(
        banned["message"],
        "`old-crypto` is banned by pyaudit.toml:1:1: use cryptography".replace(
            "pyaudit.toml",
            &scenario
                .project()
                .join("pyaudit.toml")
                .display()
                .to_string()
        )
    );
    assert_eq!(banned["evidence"]["kind"], "config");
    assert_eq!(banned["evidence"]["reason"], "use cryptography");
    let versioned = report.one("PA502", "leftpad");
    assert!(
        versioned["message"]
            .as_str()
            .unwrap()
            .starts_with("`leftpad` (versions <2) is banned by"),
        "{versioned:#}"
    );
    report.none("PA502", "safe");

    // At the specifier's edge: 2.0 is outside `<2`.
    scenario.write("requirements.txt", "leftpad==2.0\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(0);
    report.none("PA502", "leftpad");
    // An unpinned entry may install a banned version: the ban applies.
    scenario.write("requirements.txt", "leftpad>=1\n");
    let report = scenario.run("2026-06-01", NO_METADATA);
    report.exit(1);
    report.one("PA502", "leftpad");
}

// ---------------------------------------------------------------------------------------------
// Exit codes: bad input is 2, whatever the findings.

#[test]
fn bad_config_and_unknown_rules_exit_2() {
    let scenario = Scenario::new();
    scenario.write("requirements.txt", "somepkg==1.0\n");
    scenario.config("[maintenance]\nmax-age-dayz = 3\n");
    let cache = scenario.fresh_cache();
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(scenario.project())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("pyaudit.toml:2:"));
    scenario.config("[vulnerabilities]\ndeny-from = \"severe\"\n");
    pyaudit(&cache)
        .args(["lock", "--offline"])
        .arg(scenario.project())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown severity `severe`"));
    scenario.config("");
    pyaudit(&cache)
        .args(["lock", "--offline", "--deny", "PA999"])
        .arg(scenario.project())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown rule `PA999`"));
}

//! PA501 typosquat-suspect: a name that is not itself popular but is one slip away from a popular
//! one — edit distance 1 (2 for long names), two characters swapped, separators dropped, or a
//! `py`/`python` prefix or suffix added or removed.

use crate::enrich::popular::PopularNames;
use crate::findings::{Evidence, Finding, Fix, TYPOSQUAT};
use crate::graph::Graph;

use super::{AuditPlan, PolicySettings, context};

/// Below this length one edit turns most names into other real names (`six`/`sip`): not reported.
const MIN_LENGTH: usize = 4;
/// From this length two edits are still a slip, not another word.
const TWO_EDITS_FROM: usize = 8;

const PREFIXES: [&str; 4] = ["python-", "python", "py-", "py"];
const SUFFIXES: [&str; 4] = ["-python", "python", "-py", "py"];

pub(super) fn evaluate(
    graph: &Graph,
    plan: &AuditPlan,
    popular: &PopularNames,
    settings: &PolicySettings,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if popular.is_empty() || !settings.enabled(&TYPOSQUAT) {
        return findings;
    }
    for &index in &plan.in_scope {
        let package = graph.package(index);
        let name = package.name.as_ref();
        if settings
            .typosquat_allow
            .iter()
            .any(|allowed| allowed == name)
        {
            continue;
        }
        let Some((similar, how)) = closest(name, popular) else {
            continue;
        };
        findings.push(Finding {
            code: TYPOSQUAT.code,
            rule: TYPOSQUAT.name,
            level: TYPOSQUAT.default_level,
            package: context(graph, index),
            message: format!(
                "`{name}` is not a popular project but is close to `{similar}`: {how}"
            ),
            evidence: Evidence::Similar {
                popular: similar.clone(),
                how,
            },
            fix: Some(Fix {
                version: None,
                description: format!(
                    "check that `{name}` is the package you meant (not `{similar}`); once \
                     reviewed, add it to `[typosquat] allow`"
                ),
                command: None,
            }),
        });
    }
    findings
}

/// The popular name `name` is most plausibly a slip of, and how.
pub fn closest(name: &str, popular: &PopularNames) -> Option<(String, String)> {
    if popular.contains(name) {
        return None;
    }
    if let Some(same) = popular.same_without_separators(name) {
        return Some((
            same.to_string(),
            "the same name with `-`/`_`/`.` moved".to_string(),
        ));
    }
    let mut longer = String::with_capacity(name.len() + 7);
    for prefix in PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix)
            && rest.len() >= MIN_LENGTH
            && popular.contains(rest)
        {
            return Some((
                rest.to_string(),
                format!("`{rest}` with a `{prefix}` prefix"),
            ));
        }
        longer.clear();
        longer.push_str(prefix);
        longer.push_str(name);
        if name.len() >= MIN_LENGTH && popular.contains(&longer) {
            return Some((longer, format!("`{prefix}` prefix dropped")));
        }
    }
    for suffix in SUFFIXES {
        if let Some(rest) = name.strip_suffix(suffix)
            && rest.len() >= MIN_LENGTH
            && popular.contains(rest)
        {
            return Some((
                rest.to_string(),
                format!("`{rest}` with a `{suffix}` suffix"),
            ));
        }
    }
    if name.len() < MIN_LENGTH {
        return None;
    }
    let limit = if name.len() >= TWO_EDITS_FROM { 2 } else { 1 };
    popular
        .near(name)
        .into_iter()
        .filter(|candidate| candidate.len() >= MIN_LENGTH)
        .filter_map(|candidate| {
            let distance = edit_distance(name, candidate);
            (distance <= limit).then_some((distance, candidate))
        })
        .min()
        .map(|(distance, candidate)| {
            let how = if is_transposition(name, candidate) {
                "two adjacent characters swapped".to_string()
            } else {
                format!("edit distance {distance}")
            };
            (candidate.to_string(), how)
        })
}

/// Popular names `name` may have been meant as, nearest first (at most `limit`): for a name the
/// index does not have ("did you mean `flask`?"). Edit distance 1 (2 for long names), and the
/// slips [`closest`] knows (separators, `py`/`python` prefixes and suffixes).
pub fn suggestions(name: &str, popular: &PopularNames, limit: usize) -> Vec<String> {
    let mut ranked: Vec<(usize, String)> = Vec::new();
    if let Some((similar, _)) = closest(name, popular) {
        ranked.push((0, similar));
    }
    let most = if name.len() >= TWO_EDITS_FROM { 2 } else { 1 };
    for candidate in popular.near(name) {
        let distance = edit_distance(name, candidate);
        if distance <= most && candidate != name {
            ranked.push((distance, candidate.to_owned()));
        }
    }
    ranked.sort();
    let mut seen = std::collections::BTreeSet::new();
    ranked
        .into_iter()
        .filter(|(_, candidate)| seen.insert(candidate.clone()))
        .map(|(_, candidate)| candidate)
        .take(limit)
        .collect()
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
pub fn edit_distance(left: &str, right: &str) -> usize {
    let a: Vec<char> = left.chars().collect();
    let b: Vec<char> = right.chars().collect();
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in rows.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = best;
        }
    }
    rows[a.len() * width + b.len()]
}

fn is_transposition(left: &str, right: &str) -> bool {
    let a: Vec<char> = left.chars().collect();
    let b: Vec<char> = right.chars().collect();
    if a.len() != b.len() {
        return false;
    }
    let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    differing.len() == 2
        && differing[1] == differing[0] + 1
        && a[differing[0]] == b[differing[1]]
        && a[differing[1]] == b[differing[0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn popular() -> PopularNames {
        PopularNames::new(
            [
                "requests",
                "urllib3",
                "python-dateutil",
                "yaml",
                "pyyaml",
                "numpy",
                "six",
                "beautifulsoup4",
            ],
            Vec::new(),
        )
    }

    #[test]
    fn slips_are_named() {
        let popular = popular();
        let how = |name: &str| closest(name, &popular);
        assert_eq!(
            how("reqeusts").unwrap().1,
            "two adjacent characters swapped"
        );
        assert_eq!(
            how("requets").unwrap(),
            ("requests".into(), "edit distance 1".into())
        );
        assert_eq!(how("pythondateutil").unwrap().0, "python-dateutil");
        assert_eq!(how("python-requests").unwrap().0, "requests");
        assert_eq!(how("requests-py").unwrap().0, "requests");
        assert_eq!(how("dateutil").unwrap().0, "python-dateutil");
        assert_eq!(how("beautifulsoup").unwrap().0, "beautifulsoup4");
        // Two edits only for long names.
        assert_eq!(how("beautifullsoup").unwrap().1, "edit distance 2");
        assert_eq!(how("nmupi"), None);
    }

    #[test]
    fn popular_short_and_unrelated_names_are_not_reported() {
        let popular = popular();
        assert_eq!(closest("requests", &popular), None);
        assert_eq!(closest("six", &popular), None);
        assert_eq!(closest("sax", &popular), None);
        assert_eq!(closest("flask", &popular), None);
    }

    #[test]
    fn very_long_names_are_handled_at_once() {
        let popular = popular();
        let name = "a".repeat(100_000);
        let started = std::time::Instant::now();
        assert_eq!(closest(&name, &popular), None);
        let long_request = format!("requests{}", "s".repeat(100_000));
        assert_eq!(closest(&long_request, &popular), None);
        assert!(popular.near(&name).is_empty());
        // Before the bound a name of 80,000 characters took seconds (every deletion hashed).
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
    }

    /// `arrow` was reported as a squat of `pyarrow` (a `py` prefix dropped): both are among
    /// the most downloaded projects. A popular name is never a squat of another popular name.
    #[test]
    fn established_projects_in_the_seed_are_not_squats_of_each_other() {
        let seed = crate::enrich::popular::seed();
        for (name, other) in [
            ("arrow", "pyarrow"),
            ("dask", "dash"),
            ("mock", "moto"),
            ("parse", "parso"),
            ("pika", "pypika"),
            ("levenshtein", "python-levenshtein"),
            ("rfc3987", "rfc3986"),
            ("cattrs", "attrs"),
        ] {
            assert!(
                seed.contains(name) && seed.contains(other),
                "{name} / {other}"
            );
            assert_eq!(closest(name, &seed), None, "{name}");
            assert_eq!(closest(other, &seed), None, "{other}");
        }
        // Real slips of the same names are still reported.
        assert_eq!(closest("arow", &seed).unwrap().0, "arrow");
        assert_eq!(closest("pyarow", &seed).unwrap().0, "pyarrow");
        assert_eq!(closest("python-arrow", &seed).unwrap().0, "arrow");
        assert_eq!(closest("reqeusts", &seed).unwrap().0, "requests");
    }

    #[test]
    fn suggestions_are_nearest_first() {
        let popular = PopularNames::new(["flask", "flake8", "requests", "pyyaml"], Vec::new());
        assert_eq!(suggestions("flaks", &popular, 3), ["flask"]);
        assert_eq!(suggestions("requets", &popular, 3), ["requests"]);
        assert_eq!(suggestions("yaml", &popular, 3), ["pyyaml"]);
        assert!(suggestions("zzzzzz", &popular, 3).is_empty());
        assert!(suggestions("flask", &popular, 3).is_empty());
    }

    #[test]
    fn distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("abcd", "abdc"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}

//! README.md says what the code does: the rule reference is generated from the rule registry, and
//! the pre-commit examples match `.pre-commit-hooks.yaml` and this release.
//!
//! `UPDATE_README=1 cargo test --locked --test readme` rewrites the rule reference.

use std::path::PathBuf;

use pyaudit::commands::explain::rule_reference_markdown;
use pyaudit::findings::RULES;
use serde_json::Value;

const START: &str = "<!-- rules:start -->\n";
const END: &str = "<!-- rules:end -->";

fn readme_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

fn readme() -> String {
    std::fs::read_to_string(readme_path()).unwrap()
}

/// README.md with `reference` between the markers.
fn with_reference(readme: &str, reference: &str) -> String {
    let start = readme
        .find(START)
        .expect("README.md has `<!-- rules:start -->`")
        + START.len();
    let end = readme[start..]
        .find(END)
        .map(|end| start + end)
        .expect("README.md has `<!-- rules:end -->` after the start marker");
    format!("{}{reference}{}", &readme[..start], &readme[end..])
}

#[test]
fn rule_reference_is_generated_from_the_registry() {
    let current = readme();
    let expected = with_reference(&current, &rule_reference_markdown());
    if current == expected {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(readme_path(), &expected).unwrap();
        return;
    }
    let first_difference = current
        .lines()
        .zip(expected.lines())
        .position(|(have, want)| have != want)
        .unwrap_or_else(|| current.lines().count().min(expected.lines().count()));
    panic!(
        "README.md's rule reference is out of date (first difference at line {}).\n\
         Regenerate it with:\n\n    UPDATE_README=1 cargo test --locked --test readme\n",
        first_difference + 1
    );
}

#[test]
fn rule_reference_lists_every_rule_with_its_docs() {
    let reference = rule_reference_markdown();
    let rows: Vec<&str> = reference
        .lines()
        .filter(|line| line.starts_with("| PA"))
        .collect();
    assert_eq!(rows.len(), RULES.len());
    for (row, rule) in rows.iter().zip(RULES) {
        assert!(
            row.starts_with(&format!(
                "| {} | `{}` | {} |",
                rule.code,
                rule.name,
                rule.default_level.as_str()
            )),
            "{row}"
        );
    }
    assert_eq!(
        reference.matches("<details>").count(),
        RULES.len(),
        "one folded block per rule"
    );
    assert_eq!(reference.matches("</details>").count(), RULES.len());
    for rule in RULES {
        let last_line = rule.docs.lines().last().unwrap();
        assert!(reference.contains(last_line), "{} docs", rule.code);
    }
    // No Markdown headings inside the folded docs: they stay out of the README's outline.
    assert!(!reference.lines().any(|line| line.starts_with('#')));
}

#[test]
fn rule_reference_rewrite_keeps_the_rest_of_the_readme() {
    let readme = format!("intro\n{START}old table\n{END}\nafter\n");
    assert_eq!(
        with_reference(&readme, "new\n"),
        format!("intro\n{START}new\n{END}\nafter\n")
    );
}

/// The YAML code blocks of README.md whose text contains `needle`.
fn yaml_block(readme: &str, needle: &str) -> Value {
    let block = readme
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .find(|block| block.contains(needle))
        .unwrap_or_else(|| panic!("no yaml block with {needle} in README.md"));
    serde_saphyr::from_str(block).unwrap_or_else(|error| panic!("{error}\n{block}"))
}

#[test]
fn pre_commit_examples_match_the_hook_and_the_release() {
    let readme = readme();
    let version = env!("CARGO_PKG_VERSION");
    let hooks: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        )
        .unwrap(),
    )
    .unwrap();
    let hook = &hooks[0];

    let remote = yaml_block(&readme, "# .pre-commit-config.yaml");
    let repository = &remote["repos"][0];
    assert_eq!(repository["rev"], format!("v{version}"));
    assert_eq!(repository["hooks"][0]["id"], hook["id"]);

    let local = yaml_block(&readme, "repo: local");
    let local_hook = &local["repos"][0]["hooks"][0];
    for key in ["id", "entry", "language", "files", "pass_filenames"] {
        assert_eq!(local_hook[key], hook[key], "`{key}` of the local hook");
    }
    assert_eq!(
        local_hook["additional_dependencies"],
        serde_json::json!([format!("pyaudit-cli=={version}")])
    );
}

#[test]
fn readme_keeps_the_test_command() {
    assert!(readme().contains("\ncargo test --locked --workspace\n"));
}

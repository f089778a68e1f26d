//! README.md says what the code does: the rule reference is generated from the rule registry, the
//! configuration reference is `pyaudit init`'s starter file, and the pre-commit examples match
//! `.pre-commit-hooks.yaml` and this release.
//!
//! `UPDATE_README=1 cargo test --locked --test it readme::` rewrites the generated sections.

use std::path::PathBuf;

use pyaudit::commands::explain::rule_reference_markdown;
use pyaudit::commands::init::STARTER;
use pyaudit::findings::RULES;
use serde_json::Value;

/// The generated sections: their markers and what goes between them.
fn sections() -> Vec<(&'static str, String)> {
    vec![
        ("rules", rule_reference_markdown()),
        ("config", format!("```toml\n{STARTER}```\n")),
    ]
}

fn readme_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

fn readme() -> String {
    std::fs::read_to_string(readme_path()).unwrap()
}

/// README.md with `content` between `<!-- NAME:start -->` and `<!-- NAME:end -->`.
fn with_section(readme: &str, name: &str, content: &str) -> String {
    let start_marker = format!("<!-- {name}:start -->\n");
    let end_marker = format!("<!-- {name}:end -->");
    let start = readme
        .find(&start_marker)
        .unwrap_or_else(|| panic!("README.md has `{}`", start_marker.trim()))
        + start_marker.len();
    let end = readme[start..]
        .find(&end_marker)
        .map(|end| start + end)
        .unwrap_or_else(|| panic!("README.md has `{end_marker}` after the start marker"));
    format!("{}{content}{}", &readme[..start], &readme[end..])
}

#[test]
fn generated_sections_are_up_to_date() {
    let current = readme();
    let expected = sections()
        .iter()
        .fold(current.clone(), |readme, (name, content)| {
            with_section(&readme, name, content)
        });
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
        "README.md's generated rule or configuration reference is out of date (first difference \
         at line {}).\nRegenerate it with:\n\n    UPDATE_README=1 cargo test --locked --test it readme::\n",
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
fn section_rewrite_keeps_the_rest_of_the_readme() {
    let readme = "intro\n<!-- x:start -->\nold\n<!-- x:end -->\nafter <!-- y:start -->\n";
    assert_eq!(
        with_section(readme, "x", "new\n"),
        "intro\n<!-- x:start -->\nnew\n<!-- x:end -->\nafter <!-- y:start -->\n"
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

/// Every inline `` `pyaudit …` `` command in the README and in the rules' docs (which
/// `pyaudit explain` prints) is accepted by pyaudit's own argument parser: a renamed or
/// imagined subcommand (`db popular import`) fails here. Placeholders in capitals (`FILE`,
/// `NAME`) stand for values; spans with `…` or `<…>` are sketches, not commands.
#[test]
fn inline_commands_in_docs_parse() {
    use clap::Parser;
    use pyaudit::cli::Cli;
    let mut texts = vec![("README.md".to_owned(), readme())];
    for rule in RULES {
        texts.push((format!("{} docs", rule.code), rule.docs.to_owned()));
    }
    let mut checked = 0;
    let mut rejected = Vec::new();
    for (origin, text) in &texts {
        for span in text.split('`').skip(1).step_by(2) {
            let Some(arguments) = span.strip_prefix("pyaudit ") else {
                continue;
            };
            if span.contains('…') || span.contains('<') || span.contains('|') {
                continue;
            }
            let words: Vec<&str> = std::iter::once("pyaudit")
                .chain(arguments.split_whitespace())
                .collect();
            checked += 1;
            if let Err(error) = Cli::try_parse_from(&words) {
                // A bare command name (`pyaudit review`) names the command, not a command line.
                use clap::error::ErrorKind;
                if !matches!(
                    error.kind(),
                    ErrorKind::DisplayHelp
                        | ErrorKind::DisplayVersion
                        | ErrorKind::MissingRequiredArgument
                ) {
                    rejected.push(format!("{origin}: `{span}`: {}", error.kind()));
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} commands found");
    assert!(rejected.is_empty(), "{}", rejected.join("\n"));
}

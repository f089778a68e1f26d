//! `docs/pyaudit.schema.json` — the JSON Schema editors use for `pyaudit.toml` — is generated
//! from the config reader's own types; this test keeps the committed file in sync and checks the
//! schema against real configs: the starter `pyaudit init` writes (every commented option turned
//! on) is accepted, typos and bad values are rejected, as the reader rejects them.
//!
//! Regenerate: `UPDATE_SCHEMA=1 cargo test --locked --test it config_schema::`.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/pyaudit.schema.json")
}

/// TOML → the JSON an editor's validator sees (dates as strings).
fn to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(number) => Value::from(number),
        toml::Value::Float(number) => Value::from(number),
        toml::Value::Boolean(flag) => Value::Bool(flag),
        toml::Value::Datetime(datetime) => Value::String(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(key, value)| (key, to_json(value)))
                .collect(),
        ),
    }
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&pyaudit::config::json_schema()).unwrap();
    jsonschema::validator_for(&schema).expect("the generated schema is a valid JSON Schema")
}

fn errors(validator: &jsonschema::Validator, toml_text: &str) -> Vec<String> {
    let value = to_json(toml::from_str(toml_text).unwrap());
    validator
        .iter_errors(&value)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

#[test]
fn committed_schema_is_generated_from_the_config_types() {
    let generated = pyaudit::config::json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(schema_path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(schema_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/pyaudit.schema.json is out of date: run `UPDATE_SCHEMA=1 cargo test --locked --test it config_schema::`"
    );
}

#[test]
fn every_starter_option_is_accepted_and_typos_are_not() {
    let validator = validator();
    let uncommented = pyaudit::commands::init::starter_with_every_option();
    assert_eq!(errors(&validator, &uncommented), Vec::<String>::new());
    assert_eq!(
        errors(&validator, pyaudit::commands::init::STARTER),
        Vec::<String>::new()
    );

    for bad in [
        "[rulez]\n",
        "[rules]\nPA101 = \"fatal\"\n",
        "[maintenance]\nmax-age-dayz = 3\n",
        "[maintenance]\nmax-age-days = \"two years\"\n",
        "[vulnerabilities]\ndeny-from = \"severe\"\n",
        "[sources]\nrequire-hashes = \"yes\"\n",
        "[[bans]]\nreason = \"no package\"\n",
        "[[ignore]]\nid = \"X\"\nreasn = \"typo\"\n",
    ] {
        assert!(
            !errors(&validator, bad).is_empty(),
            "the schema accepts what the reader rejects: {bad}"
        );
        assert!(
            pyaudit::config::parse(Path::new("pyaudit.toml"), bad).is_err(),
            "the reader accepts: {bad}"
        );
    }
}

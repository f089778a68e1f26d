//! The vendored published JSON schemas of `tests/schemas` (SARIF 2.1.0, CycloneDX 1.6 with its
//! SPDX and JSF references) as validators. References resolve to the local files, never fetched.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

/// Resolves the CycloneDX schema's references to the vendored files; anything else is an error,
/// so a validation never reaches the network.
pub struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let file = match uri.as_str() {
            "http://cyclonedx.org/schema/spdx.schema.json" => "spdx.schema.json",
            "http://cyclonedx.org/schema/jsf-0.82.schema.json" => "jsf-0.82.schema.json",
            other => return Err(format!("no vendored schema for `{other}`").into()),
        };
        Ok(schema(file))
    }
}

pub fn schema(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn validator(file: &str) -> jsonschema::Validator {
    let mut schema = schema(file);
    // The published SARIF 2.1.0 schema's `language` patterns (run, toolComponent) have a stray `]` that the
    // draft-07 meta-schema's `regex` format rejects, so the validator would not compile. It is
    // replaced in memory by what it means (two letters, optionally `-` and two more); pyaudit
    // writes no `language`, and the vendored file stays as published.
    for owner in ["run", "toolComponent"] {
        let pointer = format!("/definitions/{owner}/properties/language/pattern");
        if let Some(pattern) = schema.pointer_mut(&pointer) {
            assert_eq!(pattern, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
            *pattern = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
        }
    }
    jsonschema::options()
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

pub fn assert_valid(validator: &jsonschema::Validator, document: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

pub fn sarif_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| validator("sarif-schema-2.1.0.json"))
}

pub fn cyclonedx_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| validator("bom-1.6.schema.json"))
}

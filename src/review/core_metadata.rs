//! Core metadata files (the `METADATA` of a wheel, `PKG-INFO` of an sdist; served alone at
//! `<file url>.metadata` by PEP 658 / PEP 714): RFC 822 style headers — `Name: value` lines,
//! continuation lines starting with whitespace, the header block ending at the first empty line
//! (the description body follows). Only the fields a review reads are kept.
//!
//! The parser takes any text and never fails: a line that is not a header is skipped, so a
//! damaged file yields fewer fields rather than an error. Whether the result is usable (a name,
//! parseable requirements) is for the caller to judge.

use serde::{Deserialize, Serialize};

/// The fields of a core metadata file a review reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `Requires-Dist`, one PEP 508 requirement each, as written.
    #[serde(default)]
    pub requires_dist: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    /// `Provides-Extra`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides_extra: Vec<String>,
    /// PEP 639 `License-Expression`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_expression: Option<String>,
    /// Free-text `License`, cut to its first line (some are whole license texts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// `Classifier` lines (trove classifiers; the `License ::` ones are a license source).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifiers: Vec<String>,
    /// `Metadata-Version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_version: Option<String>,
}

/// Parse the header block of a core metadata file.
pub fn parse(text: &str) -> CoreMetadata {
    let mut metadata = CoreMetadata::default();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            // The end of the headers; the rest is the description.
            break;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation of the previous header's value.
            if let Some((_, value)) = headers.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    for (name, value) in headers {
        let single_line = || {
            let joined: String = value.split('\n').collect::<Vec<_>>().join(" ");
            Some(joined.trim().to_owned()).filter(|text| !text.is_empty())
        };
        match name.as_str() {
            "name" => metadata.name = single_line(),
            "version" => metadata.version = single_line(),
            "metadata-version" => metadata.metadata_version = single_line(),
            "requires-python" => metadata.requires_python = single_line(),
            "license-expression" => metadata.license_expression = single_line(),
            "license" => {
                metadata.license = value
                    .lines()
                    .map(str::trim)
                    .find(|line| !line.is_empty())
                    .map(str::to_owned);
            }
            "requires-dist" => {
                if let Some(requirement) = single_line() {
                    metadata.requires_dist.push(requirement);
                }
            }
            "classifier" => {
                if let Some(classifier) = single_line() {
                    metadata.classifiers.push(classifier);
                }
            }
            "provides-extra" => {
                if let Some(extra) = single_line() {
                    metadata.provides_extra.push(extra);
                }
            }
            _ => {}
        }
    }
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requirements_python_and_license() {
        let text = "Metadata-Version: 2.4\r\nName: Demo-Pkg\nVersion: 1.2.0\n\
                    Requires-Python: >=3.9\nLicense-Expression: MIT OR\n  Apache-2.0\n\
                    Requires-Dist: idna<4,>=2.5\nRequires-Dist: PySocks!=1.5.7,>=1.5.6; extra == \"socks\"\n\
                    Provides-Extra: socks\nLicense: Apache 2.0\n   whole text follows\n\
                    Classifier: License :: OSI Approved :: MIT License\n\
                    Classifier: Programming Language :: Python\n\n\
                    Requires-Dist: not-a-header-this-is-the-description\n";
        let metadata = parse(text);
        assert_eq!(metadata.name.as_deref(), Some("Demo-Pkg"));
        assert_eq!(metadata.version.as_deref(), Some("1.2.0"));
        assert_eq!(metadata.metadata_version.as_deref(), Some("2.4"));
        assert_eq!(metadata.requires_python.as_deref(), Some(">=3.9"));
        assert_eq!(
            metadata.license_expression.as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(metadata.license.as_deref(), Some("Apache 2.0"));
        assert_eq!(
            metadata.requires_dist,
            ["idna<4,>=2.5", "PySocks!=1.5.7,>=1.5.6; extra == \"socks\""]
        );
        assert_eq!(metadata.provides_extra, ["socks"]);
        assert_eq!(
            metadata.classifiers,
            [
                "License :: OSI Approved :: MIT License",
                "Programming Language :: Python"
            ]
        );
    }

    #[test]
    fn garbage_gives_empty_fields() {
        assert_eq!(parse(""), CoreMetadata::default());
        assert_eq!(parse("\n\nName: x"), CoreMetadata::default());
        assert_eq!(
            parse("  continuation first\nno colon here"),
            CoreMetadata::default()
        );
        let metadata = parse("Bad Name: x\n: empty\nName:\n");
        assert_eq!(metadata.name, None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC*") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_header_like_text(
            lines in proptest::collection::vec(
                "(Name|Requires-Dist|License|Version|Requires-Python| |\t)?:? ?[\\PC]{0,20}\r?",
                0..20,
            )
        ) {
            let _ = parse(&lines.join("\n"));
        }
    }
}

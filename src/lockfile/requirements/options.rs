//! The option part of a requirements line, read the way pip 23.2 reads it: `break_args_options`
//! splits the line at the first token starting with `-`, `shlex.split` (POSIX mode) tokenizes the
//! rest, and an `optparse` parser with pip's file-level options (`SUPPORTED_OPTIONS`) and
//! per-requirement options (`SUPPORTED_OPTIONS_REQ`) interprets it — including optparse's unique
//! prefix abbreviations (`--extra-index` means `--extra-index-url`) and short-option clusters.

/// What an option does; one variant per option pip accepts in a requirements file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraint,
    Requirement,
    Editable,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOption,
    Hash,
    ConfigSettings,
}

impl OptionKind {
    /// Options that belong to the requirement on the same line rather than to the whole install.
    pub fn is_per_requirement(self) -> bool {
        matches!(
            self,
            OptionKind::Hash | OptionKind::GlobalOption | OptionKind::ConfigSettings
        )
    }
}

struct OptionSpecification {
    kind: OptionKind,
    /// Long spellings; the first is the canonical name recorded in the output.
    long: &'static [&'static str],
    short: Option<char>,
    takes_value: bool,
}

const OPTIONS: &[OptionSpecification] = &[
    OptionSpecification {
        kind: OptionKind::IndexUrl,
        long: &["--index-url", "--pypi-url"],
        short: Some('i'),
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::ExtraIndexUrl,
        long: &["--extra-index-url"],
        short: None,
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::NoIndex,
        long: &["--no-index"],
        short: None,
        takes_value: false,
    },
    OptionSpecification {
        kind: OptionKind::Constraint,
        long: &["--constraint"],
        short: Some('c'),
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::Requirement,
        long: &["--requirement"],
        short: Some('r'),
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::Editable,
        long: &["--editable"],
        short: Some('e'),
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::FindLinks,
        long: &["--find-links"],
        short: Some('f'),
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::NoBinary,
        long: &["--no-binary"],
        short: None,
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::OnlyBinary,
        long: &["--only-binary"],
        short: None,
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::PreferBinary,
        long: &["--prefer-binary"],
        short: None,
        takes_value: false,
    },
    OptionSpecification {
        kind: OptionKind::RequireHashes,
        long: &["--require-hashes"],
        short: None,
        takes_value: false,
    },
    OptionSpecification {
        kind: OptionKind::Pre,
        long: &["--pre"],
        short: None,
        takes_value: false,
    },
    OptionSpecification {
        kind: OptionKind::TrustedHost,
        long: &["--trusted-host"],
        short: None,
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::UseFeature,
        long: &["--use-feature"],
        short: None,
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::GlobalOption,
        long: &["--global-option"],
        short: None,
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::Hash,
        long: &["--hash"],
        short: None,
        takes_value: true,
    },
    OptionSpecification {
        kind: OptionKind::ConfigSettings,
        long: &["--config-settings"],
        short: Some('C'),
        takes_value: true,
    },
];

/// Hash algorithms pip accepts in `--hash` (`STRONG_HASHES`).
const STRONG_HASHES: &[&str] = &["sha256", "sha384", "sha512"];

/// Features `--use-feature` accepts in pip 23.2. Other versions accept other sets, so an unknown
/// one is a warning here, not an error.
pub(super) const KNOWN_FEATURES: &[&str] =
    &["fast-deps", "truststore", "no-binary-enable-wheel-cache"];

/// One option occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedOption {
    pub kind: OptionKind,
    /// Canonical long name (`--index-url` even when written `-i` or `--index`).
    pub name: &'static str,
    /// The spelling used in the file, for messages.
    pub written: String,
    pub value: Option<String>,
}

/// Everything after the requirement on a line.
#[derive(Debug, Clone, Default)]
pub struct ParsedOptions {
    pub options: Vec<ParsedOption>,
    /// Positional words optparse collected; pip ignores them.
    pub ignored: Vec<String>,
}

/// pip's `break_args_options`: the requirement is every space-separated token before the first
/// one that starts with `-`; the rest are options. Returns the byte offset where options start.
pub(super) fn break_args_options(line: &str) -> (&str, &str, usize) {
    let mut offset = 0;
    for token in line.split(' ') {
        if token.starts_with('-') {
            let arguments = if offset == 0 { "" } else { &line[..offset - 1] };
            return (arguments, &line[offset..], offset);
        }
        offset += token.len() + 1;
    }
    (line, "", line.len())
}

/// Python's `shlex.split(text)` (POSIX mode, no comments).
pub(super) fn shell_split(text: &str) -> Result<Vec<String>, &'static str> {
    #[derive(PartialEq)]
    enum State {
        Normal,
        Single,
        Double,
    }
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_token = false;
    let mut state = State::Normal;
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match state {
            State::Normal => match character {
                ' ' | '\t' | '\r' | '\n' => {
                    if in_token {
                        tokens.push(std::mem::take(&mut current));
                        in_token = false;
                    }
                }
                '\'' => {
                    state = State::Single;
                    in_token = true;
                }
                '"' => {
                    state = State::Double;
                    in_token = true;
                }
                '\\' => match characters.next() {
                    Some(escaped) => {
                        current.push(escaped);
                        in_token = true;
                    }
                    None => return Err("no escaped character"),
                },
                other => {
                    current.push(other);
                    in_token = true;
                }
            },
            State::Single => {
                if character == '\'' {
                    state = State::Normal;
                } else {
                    current.push(character);
                }
            }
            State::Double => match character {
                '"' => state = State::Normal,
                // Inside double quotes a backslash only escapes `"` and `\`.
                '\\' => match characters.next() {
                    Some(escaped @ ('"' | '\\')) => current.push(escaped),
                    Some(other) => {
                        current.push('\\');
                        current.push(other);
                    }
                    None => return Err("no closing quotation"),
                },
                other => current.push(other),
            },
        }
    }
    if state != State::Normal {
        return Err("no closing quotation");
    }
    if in_token {
        tokens.push(current);
    }
    Ok(tokens)
}

/// Resolve a long option the way optparse's `_match_abbrev` does.
fn match_long(written: &str) -> Result<(&'static OptionSpecification, &'static str), String> {
    let mut possibilities: Vec<(&'static OptionSpecification, &'static str)> = Vec::new();
    for specification in OPTIONS {
        for &long in specification.long {
            if long == written {
                return Ok((specification, long));
            }
            if long.starts_with(written) {
                possibilities.push((specification, long));
            }
        }
    }
    match possibilities.as_slice() {
        [] => Err(format!("no such option: {written}")),
        [only] => Ok(*only),
        _ => {
            let mut names: Vec<&str> = possibilities.iter().map(|(_, long)| *long).collect();
            names.sort_unstable();
            Err(format!(
                "ambiguous option: {written} ({}?)",
                names.join(", ")
            ))
        }
    }
}

/// optparse over pip's requirements-file options. Errors carry optparse's message.
pub(super) fn parse_options(tokens: &[String]) -> Result<ParsedOptions, String> {
    let mut result = ParsedOptions::default();
    let mut index = 0;
    while index < tokens.len() {
        let token = &tokens[index];
        index += 1;
        if token == "--" {
            result.ignored.extend(tokens[index..].iter().cloned());
            break;
        }
        if let Some(body) = token.strip_prefix("--") {
            let (written, inline_value) = match body.split_once('=') {
                Some((name, value)) => (format!("--{name}"), Some(value.to_string())),
                None => (token.clone(), None),
            };
            let (specification, long) = match_long(&written)?;
            let value = if specification.takes_value {
                match inline_value {
                    Some(value) => Some(value),
                    None => match tokens.get(index) {
                        Some(next) => {
                            index += 1;
                            Some(next.clone())
                        }
                        None => return Err(format!("{long} option requires 1 argument")),
                    },
                }
            } else if inline_value.is_some() {
                return Err(format!("{long} option does not take a value"));
            } else {
                None
            };
            push_option(&mut result, specification, long, &written, value)?;
        } else if token.len() > 1 && token.starts_with('-') {
            let cluster: Vec<(usize, char)> = token.char_indices().skip(1).collect();
            for &(byte_index, character) in &cluster {
                let Some(specification) = OPTIONS
                    .iter()
                    .find(|specification| specification.short == Some(character))
                else {
                    return Err(format!("no such option: -{character}"));
                };
                let written = format!("-{character}");
                if specification.takes_value {
                    let rest = &token[byte_index + character.len_utf8()..];
                    let value = if !rest.is_empty() {
                        rest.to_string()
                    } else if let Some(next) = tokens.get(index) {
                        index += 1;
                        next.clone()
                    } else {
                        return Err(format!("{written} option requires 1 argument"));
                    };
                    push_option(
                        &mut result,
                        specification,
                        specification.long[0],
                        &written,
                        Some(value),
                    )?;
                    break;
                }
                push_option(
                    &mut result,
                    specification,
                    specification.long[0],
                    &written,
                    None,
                )?;
            }
        } else {
            result.ignored.push(token.clone());
        }
    }
    Ok(result)
}

fn push_option(
    result: &mut ParsedOptions,
    specification: &OptionSpecification,
    used: &str,
    written: &str,
    value: Option<String>,
) -> Result<(), String> {
    match (specification.kind, value.as_deref()) {
        (OptionKind::Hash, Some(value)) => match value.split_once(':') {
            None => {
                return Err(format!(
                    "Arguments to {used} must be a hash name followed by a value, like \
                     --hash=sha256:abcde..."
                ));
            }
            Some((algorithm, _)) if !STRONG_HASHES.contains(&algorithm) => {
                return Err(format!(
                    "Allowed hash algorithms for {used} are {}.",
                    STRONG_HASHES.join(", ")
                ));
            }
            Some(_) => {}
        },
        (OptionKind::ConfigSettings, Some(value)) if !value.contains('=') => {
            return Err(format!(
                "Arguments to {written} must be of the form KEY=VAL"
            ));
        }
        _ => {}
    }
    result.options.push(ParsedOption {
        kind: specification.kind,
        name: specification.long[0],
        written: written.to_string(),
        value,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(&'static str, Option<String>)>, String> {
        let tokens = shell_split(text).map_err(str::to_string)?;
        Ok(parse_options(&tokens)?
            .options
            .into_iter()
            .map(|option| (option.name, option.value))
            .collect())
    }

    #[test]
    fn splits_arguments_from_options() {
        assert_eq!(
            break_args_options("alembic==1.18.5    --hash=sha256:aa"),
            ("alembic==1.18.5   ", "--hash=sha256:aa", 19)
        );
        assert_eq!(break_args_options("-r other.txt"), ("", "-r other.txt", 0));
        assert_eq!(break_args_options("foo ; x"), ("foo ; x", "", 7));
    }

    #[test]
    fn shell_splitting_matches_shlex() {
        assert_eq!(
            shell_split(r#"-e 'a b' "c\"d\x" e\ f"#).unwrap(),
            ["-e", "a b", r#"c"d\x"#, "e f"]
        );
        assert_eq!(shell_split("''").unwrap(), [""]);
        assert!(shell_split("'open").is_err());
        assert!(shell_split("trailing\\").is_err());
    }

    #[test]
    fn long_short_and_abbreviated_options() {
        assert_eq!(
            parse("-i https://a --extra-index https://b -fhttps://c --pre --no-index").unwrap(),
            [
                ("--index-url", Some("https://a".to_string())),
                ("--extra-index-url", Some("https://b".to_string())),
                ("--find-links", Some("https://c".to_string())),
                ("--pre", None),
                ("--no-index", None),
            ]
        );
        assert_eq!(
            parse("--pypi-url=x -C k=v").unwrap(),
            [
                ("--index-url", Some("x".to_string())),
                ("--config-settings", Some("k=v".to_string())),
            ]
        );
    }

    #[test]
    fn optparse_errors() {
        assert_eq!(parse("--bogus").unwrap_err(), "no such option: --bogus");
        assert_eq!(parse("-x").unwrap_err(), "no such option: -x");
        assert_eq!(
            parse("--no").unwrap_err(),
            "ambiguous option: --no (--no-binary, --no-index?)"
        );
        assert_eq!(
            parse("--pre=1").unwrap_err(),
            "--pre option does not take a value"
        );
        assert_eq!(parse("-i").unwrap_err(), "-i option requires 1 argument");
        assert_eq!(
            parse("--hash=md5:x").unwrap_err(),
            "Allowed hash algorithms for --hash are sha256, sha384, sha512."
        );
        assert!(
            parse("--hash=abc")
                .unwrap_err()
                .starts_with("Arguments to --hash")
        );
        assert!(parse("-C novalue").unwrap_err().contains("KEY=VAL"));
    }
}

//! Poetry's version constraints (`^1.2`, `~1.2`, `1.2.*`, `>=1 <2 || >3`) in PEP 440 terms: read
//! by the poetry.lock reader (a dependency's constraint) and the pyproject.toml reader (the
//! project's own `[tool.poetry.dependencies]`).

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

/// Convert a Poetry version constraint to PEP 440: one [`VersionSpecifiers`] per `||`
/// alternative, any of which may match. `*` (or an empty constraint) is one empty set (any).
///
/// Poetry's operators: `^1.2.3` = `>=1.2.3,<2.0.0` (the first non-zero part may not change:
/// `^0.2.3` = `>=0.2.3,<0.3.0`, `^0.0.3` = `>=0.0.3,<0.0.4`, `^1` = `>=1,<2`); `~1.2.3` =
/// `>=1.2.3,<1.3.0` (`~1` = `>=1,<2`); `~=` as in PEP 440; `1.2.*` and bare versions as `==`;
/// `,` or spaces join clauses; `||` (or `|`) separates alternatives.
pub fn poetry_constraint_to_pep440(constraint: &str) -> Result<Vec<VersionSpecifiers>, String> {
    let mut alternatives = Vec::new();
    for alternative in constraint
        .split('|')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let mut clauses = Vec::new();
        for token in and_tokens(alternative) {
            clauses.extend(
                convert_clause(&token)
                    .map_err(|message| format!("invalid constraint `{constraint}`: {message}"))?,
            );
        }
        let specifiers = VersionSpecifiers::from_str(&clauses.join(", "))
            .map_err(|error| format!("invalid constraint `{constraint}`: {error}"))?;
        alternatives.push(specifiers);
    }
    if alternatives.is_empty() {
        alternatives.push(VersionSpecifiers::empty());
    }
    Ok(alternatives)
}

/// Whether `version` satisfies any of the alternatives.
pub(super) fn satisfies(alternatives: &[VersionSpecifiers], version: &Version) -> bool {
    alternatives
        .iter()
        .any(|specifiers| specifiers.contains(version))
}

/// Split one alternative into clauses: `>=1, <2`, `>=1 <2` and `>= 1, < 2` all give `>=1`, `<2`.
fn and_tokens(alternative: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut pending = String::new();
    for word in alternative
        .split(|character: char| character == ',' || character.is_whitespace())
        .filter(|word| !word.is_empty())
    {
        pending.push_str(word);
        let operator_only = word
            .chars()
            .all(|character| matches!(character, '<' | '>' | '=' | '!' | '~' | '^'));
        if !operator_only {
            tokens.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        tokens.push(pending);
    }
    tokens
}

/// One Poetry clause as PEP 440 clauses (none for "any version").
fn convert_clause(token: &str) -> Result<Vec<String>, String> {
    if matches!(token, "*" | "x" | "X") {
        return Ok(Vec::new());
    }
    if let Some(rest) = token.strip_prefix("~=") {
        let version = parse_version(rest)?;
        let release = version.release();
        if release.len() < 2 {
            return Err("`~=` needs a version with at least two parts".to_string());
        }
        let kept = release.len() - 1;
        return Ok(range(&version, bump(release, kept - 1, release.len())));
    }
    if let Some(rest) = token.strip_prefix('^') {
        let version = parse_version(rest)?;
        let release = version.release();
        let major = release.first().copied().unwrap_or(0);
        let minor = release.get(1).copied();
        let patch = release.get(2);
        // Poetry's `next_breaking`: the first non-zero part (or the last written one) may not
        // change.
        let position = if major > 0 || minor.is_none() {
            0
        } else if minor.is_some_and(|minor| minor > 0) || patch.is_none() {
            1
        } else {
            2
        };
        return Ok(range(&version, bump(release, position, release.len())));
    }
    if let Some(rest) = token.strip_prefix('~') {
        let version = parse_version(rest)?;
        let release = version.release();
        let position = if release.len() == 1 { 0 } else { 1 };
        return Ok(range(&version, bump(release, position, release.len())));
    }
    for operator in ["===", "==", "!=", "<=", ">=", "<", ">", "="] {
        if let Some(rest) = token.strip_prefix(operator) {
            let operator = if operator == "=" { "==" } else { operator };
            let rest = wildcard(rest.trim());
            if rest == "*" {
                return Ok(if operator == "!=" {
                    vec!["<0.dev0".to_string()]
                } else {
                    Vec::new()
                });
            }
            return Ok(vec![format!("{operator}{rest}")]);
        }
    }
    Ok(vec![format!("=={}", wildcard(token))])
}

/// Poetry's `1.2.x` / `1.2.X` wildcards in PEP 440 spelling (`1.2.*`).
fn wildcard(version: &str) -> String {
    match version
        .strip_suffix(".x")
        .or_else(|| version.strip_suffix(".X"))
    {
        Some(prefix) => format!("{prefix}.*"),
        None if matches!(version, "x" | "X") => "*".to_string(),
        None => version.to_string(),
    }
}

fn parse_version(text: &str) -> Result<Version, String> {
    Version::from_str(text.trim()).map_err(|error| format!("invalid version `{text}`: {error}"))
}

/// The release with the part at `position` incremented and later parts zeroed, padded to
/// `precision` parts (`1.2.3` bumped at 0 is `2.0.0`).
fn bump(release: &[u64], position: usize, precision: usize) -> Version {
    let mut parts: Vec<u64> = (0..precision.max(position + 1))
        .map(|index| release.get(index).copied().unwrap_or(0))
        .collect();
    for (index, part) in parts.iter_mut().enumerate() {
        if index == position {
            *part = part.saturating_add(1);
        } else if index > position {
            *part = 0;
        }
    }
    Version::new(parts)
}

fn range(lower: &Version, upper: Version) -> Vec<String> {
    vec![format!(">={lower}"), format!("<{upper}")]
}

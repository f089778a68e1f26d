//! Which extras and dependency groups a PEP 751 marker asks for: `'dev' in dependency_groups`,
//! `'cli' in extras`, or the older `extra == 'cli'`.
//!
//! pylock.toml and Pipfile-style flat locks list every package once, with a marker saying when it
//! is installed; the marker is the only place their extras and groups show. pep508_rs 0.9 does
//! not parse the PEP 751 `extras` / `dependency_groups` variables, so this reads the marker
//! itself: a small parser, then Kleene (true / false / unknown) evaluation where every other
//! comparison (platform, Python version) is "unknown" — the audit is universal.

/// When a marked package is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Without any extra or non-default group (some platform may still skip it).
    Main,
    /// Only when one of these extras or groups is selected (names PEP 685 normalized).
    Selected {
        extras: Vec<String>,
        groups: Vec<String>,
    },
}

/// Markers longer than this are not analysed (treated as [`Scope::Main`], the widest class
/// the audit checks first): real markers are a few hundred bytes.
const MAXIMUM_MARKER_BYTES: usize = 64 * 1024;
/// Parentheses nested deeper than this end the analysis (stack bound for hostile input).
const MAXIMUM_DEPTH: usize = 64;
/// At most this many distinct extra and group names are tried one by one; the evaluation count
/// is their number plus one, so the work stays linear in the marker's length.
const MAXIMUM_NAMES: usize = 64;

/// The scope of `marker`; `default_groups` are groups installed without being asked for.
pub fn scope(marker: &str, default_groups: &[String]) -> Scope {
    if marker.len() > MAXIMUM_MARKER_BYTES {
        return Scope::Main;
    }
    let Some(expression) = parse(marker) else {
        return Scope::Main;
    };
    let mut extras = Vec::new();
    let mut groups = Vec::new();
    collect_names(&expression, &mut extras, &mut groups);
    if extras.is_empty() && groups.is_empty() {
        return Scope::Main;
    }
    let base = Selection {
        extras: &[],
        groups: default_groups,
    };
    if evaluate(&expression, &base) != Truth::False {
        return Scope::Main;
    }
    if extras.len() + groups.len() > MAXIMUM_NAMES {
        return Scope::Selected { extras, groups };
    }
    let possible_extras: Vec<String> = extras
        .iter()
        .filter(|extra| {
            let one = [(*extra).clone()];
            let selection = Selection {
                extras: &one,
                groups: default_groups,
            };
            evaluate(&expression, &selection) != Truth::False
        })
        .cloned()
        .collect();
    let possible_groups: Vec<String> = groups
        .iter()
        .filter(|group| {
            let mut selected = default_groups.to_vec();
            selected.push((*group).clone());
            let selection = Selection {
                extras: &[],
                groups: &selected,
            };
            evaluate(&expression, &selection) != Truth::False
        })
        .cloned()
        .collect();
    if possible_extras.is_empty() && possible_groups.is_empty() {
        // Needs several at once (`'a' in extras and 'b' in extras`): every name it mentions.
        return Scope::Selected { extras, groups };
    }
    Scope::Selected {
        extras: possible_extras,
        groups: possible_groups,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

struct Selection<'a> {
    extras: &'a [String],
    groups: &'a [String],
}

#[derive(Debug)]
enum Expression {
    Or(Vec<Expression>),
    And(Vec<Expression>),
    /// `'name' in extras` (or `extra == 'name'`); `negated` for `not in` / `!=`.
    Extra {
        name: String,
        negated: bool,
    },
    Group {
        name: String,
        negated: bool,
    },
    Other,
}

fn evaluate(expression: &Expression, selection: &Selection<'_>) -> Truth {
    match expression {
        Expression::Or(parts) => {
            let mut result = Truth::False;
            for part in parts {
                match evaluate(part, selection) {
                    Truth::True => return Truth::True,
                    Truth::Unknown => result = Truth::Unknown,
                    Truth::False => {}
                }
            }
            result
        }
        Expression::And(parts) => {
            let mut result = Truth::True;
            for part in parts {
                match evaluate(part, selection) {
                    Truth::False => return Truth::False,
                    Truth::Unknown => result = Truth::Unknown,
                    Truth::True => {}
                }
            }
            result
        }
        Expression::Extra { name, negated } => truth(selection.extras.contains(name) != *negated),
        Expression::Group { name, negated } => truth(selection.groups.contains(name) != *negated),
        Expression::Other => Truth::Unknown,
    }
}

fn truth(value: bool) -> Truth {
    if value { Truth::True } else { Truth::False }
}

fn collect_names(expression: &Expression, extras: &mut Vec<String>, groups: &mut Vec<String>) {
    match expression {
        Expression::Or(parts) | Expression::And(parts) => {
            for part in parts {
                collect_names(part, extras, groups);
            }
        }
        Expression::Extra { name, .. } => {
            if !extras.contains(name) && extras.len() <= MAXIMUM_NAMES {
                extras.push(name.clone());
            }
        }
        Expression::Group { name, .. } => {
            if !groups.contains(name) && groups.len() <= MAXIMUM_NAMES {
                groups.push(name.clone());
            }
        }
        Expression::Other => {}
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Quoted(String),
    Word(String),
    Operator(String),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut characters = text.char_indices().peekable();
    while let Some((start, character)) = characters.next() {
        match character {
            ' ' | '\t' | '\n' | '\r' => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '\'' | '"' => {
                let rest = &text[start + 1..];
                let end = rest.find(character)?;
                tokens.push(Token::Quoted(rest[..end].to_string()));
                // Skip the quoted text and the closing quote.
                for _ in 0..rest[..=end].chars().count() {
                    characters.next();
                }
            }
            '<' | '>' | '=' | '!' | '~' => {
                let mut operator = String::from(character);
                while let Some(&(_, next)) = characters.peek() {
                    if matches!(next, '<' | '>' | '=' | '!' | '~') {
                        operator.push(next);
                        characters.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Operator(operator));
            }
            _ if character.is_ascii_alphanumeric() || matches!(character, '_' | '.' | '-') => {
                let mut word = String::from(character);
                while let Some(&(_, next)) = characters.peek() {
                    if next.is_ascii_alphanumeric() || matches!(next, '_' | '.' | '-') {
                        word.push(next);
                        characters.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(word));
            }
            _ => return None,
        }
    }
    Some(tokens)
}

fn parse(text: &str) -> Option<Expression> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        position: 0,
    };
    let expression = parser.or(0)?;
    (parser.position == tokens.len()).then_some(expression)
}

struct Parser<'a> {
    tokens: &'a [Token],
    position: usize,
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.position), Some(Token::Word(found)) if found == word)
    }

    fn or(&mut self, depth: usize) -> Option<Expression> {
        let mut parts = vec![self.and(depth)?];
        while self.peek_word("or") {
            self.position += 1;
            parts.push(self.and(depth)?);
        }
        Some(if parts.len() == 1 {
            parts.pop()?
        } else {
            Expression::Or(parts)
        })
    }

    fn and(&mut self, depth: usize) -> Option<Expression> {
        let mut parts = vec![self.primary(depth)?];
        while self.peek_word("and") {
            self.position += 1;
            parts.push(self.primary(depth)?);
        }
        Some(if parts.len() == 1 {
            parts.pop()?
        } else {
            Expression::And(parts)
        })
    }

    fn primary(&mut self, depth: usize) -> Option<Expression> {
        if self.tokens.get(self.position) == Some(&Token::Open) {
            if depth >= MAXIMUM_DEPTH {
                return None;
            }
            self.position += 1;
            let inner = self.or(depth + 1)?;
            if self.tokens.get(self.position) != Some(&Token::Close) {
                return None;
            }
            self.position += 1;
            return Some(inner);
        }
        let left = self.operand()?;
        let (operator, negated) = match self.tokens.get(self.position)? {
            Token::Operator(operator) => {
                self.position += 1;
                (operator.clone(), operator == "!=")
            }
            Token::Word(word) if word == "in" => {
                self.position += 1;
                ("in".to_string(), false)
            }
            Token::Word(word) if word == "not" => {
                self.position += 1;
                if !self.peek_word("in") {
                    return None;
                }
                self.position += 1;
                ("in".to_string(), true)
            }
            _ => return None,
        };
        let right = self.operand()?;
        Some(atom(&left, &operator, negated, &right))
    }

    fn operand(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position)?;
        match token {
            Token::Quoted(_) | Token::Word(_) => {
                self.position += 1;
                Some(token.clone())
            }
            _ => None,
        }
    }
}

fn atom(left: &Token, operator: &str, negated: bool, right: &Token) -> Expression {
    use super::normalize_extra;
    match (left, operator, right) {
        (Token::Quoted(name), "in", Token::Word(variable)) if variable == "extras" => {
            Expression::Extra {
                name: normalize_extra(name),
                negated,
            }
        }
        (Token::Quoted(name), "in", Token::Word(variable)) if variable == "dependency_groups" => {
            Expression::Group {
                name: normalize_extra(name),
                negated,
            }
        }
        (Token::Word(variable), "==" | "!=", Token::Quoted(name))
        | (Token::Quoted(name), "==" | "!=", Token::Word(variable))
            if variable == "extra" =>
        {
            Expression::Extra {
                name: normalize_extra(name),
                negated,
            }
        }
        _ => Expression::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selected(extras: &[&str], groups: &[&str]) -> Scope {
        Scope::Selected {
            extras: extras.iter().map(|name| name.to_string()).collect(),
            groups: groups.iter().map(|name| name.to_string()).collect(),
        }
    }

    #[test]
    fn platform_markers_are_main() {
        assert_eq!(scope("sys_platform == 'win32'", &[]), Scope::Main);
        assert_eq!(scope("python_version < \"3.11\"", &[]), Scope::Main);
    }

    #[test]
    fn groups_and_extras_are_found() {
        assert_eq!(
            scope("'dev' in dependency_groups", &[]),
            selected(&[], &["dev"])
        );
        assert_eq!(
            scope("'Socks' in extras and python_version >= '3.9'", &[]),
            selected(&["socks"], &[])
        );
        assert_eq!(
            scope("extra == 'cli' or 'test' in dependency_groups", &[]),
            selected(&["cli"], &["test"])
        );
        assert_eq!(
            scope("sys_platform == 'linux' or 'dev' in dependency_groups", &[]),
            Scope::Main
        );
    }

    #[test]
    fn default_groups_are_main() {
        let defaults = vec!["default".to_string()];
        assert_eq!(
            scope(
                "'default' in dependency_groups or 'dev' in dependency_groups",
                &defaults
            ),
            Scope::Main
        );
        assert_eq!(
            scope("'dev' in dependency_groups", &defaults),
            selected(&[], &["dev"])
        );
    }

    #[test]
    fn negation_and_conjunction() {
        assert_eq!(scope("'dev' not in dependency_groups", &[]), Scope::Main);
        assert_eq!(
            scope("'a' in extras and 'b' in extras", &[]),
            selected(&["a", "b"], &[])
        );
    }

    #[test]
    fn hostile_markers_end() {
        let deep = format!("{}'a' in extras{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(scope(&deep, &[]), Scope::Main);
        assert_eq!(scope("'unterminated in extras", &[]), Scope::Main);
        assert_eq!(scope("(((", &[]), Scope::Main);
        assert_eq!(scope("\u{1b}[31m", &[]), Scope::Main);
    }
}

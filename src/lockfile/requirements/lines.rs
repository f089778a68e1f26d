//! Logical lines of a pip requirements file, exactly as pip 23.2's `req_file.preprocess` builds them:
//! Python `str.splitlines()`, `\` continuations joined (a comment line ends a continuation),
//! comments stripped with `(^|\s+)#.*$`, blank lines dropped, `${VAR}` expanded. Also reads the
//! `# via` comments pip-compile and `uv pip compile` write, which pip itself throws away.

use std::path::Path;

use pep508_rs::PackageName;

use crate::lockfile::Location;

/// Python's `str.isspace()`, which is what `\s` and `str.strip()` mean in pip's code. Rust's
/// `char::is_whitespace` lacks the ASCII information separators U+001C..U+001F.
pub(super) fn is_python_space(character: char) -> bool {
    character.is_whitespace() || matches!(character, '\u{1c}'..='\u{1f}')
}

/// `str.strip()` with Python's notion of whitespace, returning the number of bytes cut in front.
pub(super) fn python_strip(text: &str) -> (usize, &str) {
    let start_trimmed = text.trim_start_matches(is_python_space);
    let leading = text.len() - start_trimmed.len();
    (leading, start_trimmed.trim_end_matches(is_python_space))
}

/// The physical lines of `text` with Python `str.splitlines()` semantics (pip numbers lines that
/// way, so `from (line N)` only matches if we split the same way), paired with 1-based numbers.
pub(super) fn physical_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut characters = text.char_indices().peekable();
    while let Some((index, character)) = characters.next() {
        let is_break = matches!(
            character,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        lines.push(&text[start..index]);
        let mut next = index + character.len_utf8();
        if character == '\r'
            && let Some(&(_, '\n')) = characters.peek()
        {
            characters.next();
            next += 1;
        }
        start = next;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .collect()
}

/// pip's `COMMENT_RE.match(line)`: the line is a comment (optionally indented).
pub(super) fn is_comment_line(line: &str) -> bool {
    line.trim_start_matches(is_python_space).starts_with('#')
}

/// Byte index of the `#` that starts a comment under `(^|\s+)#.*$`: a `#` at the start of the
/// line or right after whitespace. `pkg#egg` or `url#fragment` are not comments.
pub(super) fn comment_start(line: &str) -> Option<usize> {
    let mut previous: Option<char> = None;
    for (index, character) in line.char_indices() {
        if character == '#' && previous.is_none_or(is_python_space) {
            return Some(index);
        }
        previous = Some(character);
    }
    None
}

/// A piece of a joined line: where it came from, to map offsets back to file positions.
#[derive(Debug, Clone)]
struct Segment {
    /// Byte offset of the piece in the joined line.
    joined_offset: usize,
    line: usize,
    /// Byte offset in the physical line where the piece starts.
    column_offset: usize,
}

/// One logical line: what pip's line parser sees.
#[derive(Debug, Clone)]
pub(super) struct LogicalLine {
    /// Physical line where the logical line starts (pip reports this one).
    pub line: usize,
    /// The text after joining, comment stripping, trimming and `${VAR}` expansion.
    pub text: String,
    segments: Vec<Segment>,
    /// Bytes trimmed from the front of the joined line.
    leading: usize,
}

impl LogicalLine {
    /// File position of a byte offset into `text`. Exact unless an expanded `${VAR}` comes before
    /// the offset; never panics.
    pub fn location(&self, path: &Path, offset: usize) -> Location {
        let joined = offset.saturating_add(self.leading);
        let segment = self
            .segments
            .iter()
            .rev()
            .find(|segment| segment.joined_offset <= joined)
            .or_else(|| self.segments.first());
        match segment {
            Some(segment) => Location::new(path, segment.line).with_column(
                joined - segment.joined_offset.min(joined) + segment.column_offset + 1,
            ),
            None => Location::new(path, self.line),
        }
    }
}

/// Build the logical lines of a file. `lookup` answers environment variables (pip leaves a
/// `${VAR}` that is unset or empty as it is).
pub(super) fn logical_lines(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<LogicalLine> {
    let mut result = Vec::new();
    let mut pending: Option<(usize, String, Vec<Segment>)> = None;
    for (number, line) in physical_lines(text) {
        let comment = is_comment_line(line);
        if !line.ends_with('\\') || comment {
            // NOTE: pip prefixes a comment line with a space so that the comment regex still
            // matches it once it is glued to a continued line.
            let (piece, column_offset) = if comment {
                (format!(" {line}"), 0)
            } else {
                (line.to_string(), 0)
            };
            match pending.take() {
                Some((primary, mut joined, mut segments)) => {
                    segments.push(Segment {
                        joined_offset: joined.len(),
                        line: number,
                        column_offset,
                    });
                    joined.push_str(&piece);
                    push_logical(&mut result, primary, &joined, segments, lookup);
                }
                None => {
                    let segments = vec![Segment {
                        joined_offset: 0,
                        line: number,
                        column_offset,
                    }];
                    push_logical(&mut result, number, &piece, segments, lookup);
                }
            }
        } else {
            // `line.strip("\\")`: backslashes go at both ends, however many there are.
            let stripped_front = line.trim_start_matches('\\');
            let column_offset = line.len() - stripped_front.len();
            let piece = stripped_front.trim_end_matches('\\');
            let entry = pending.get_or_insert_with(|| (number, String::new(), Vec::new()));
            entry.2.push(Segment {
                joined_offset: entry.1.len(),
                line: number,
                column_offset,
            });
            entry.1.push_str(piece);
        }
    }
    if let Some((primary, joined, segments)) = pending {
        push_logical(&mut result, primary, &joined, segments, lookup);
    }
    result
}

fn push_logical(
    result: &mut Vec<LogicalLine>,
    line: usize,
    joined: &str,
    segments: Vec<Segment>,
    lookup: &dyn Fn(&str) -> Option<String>,
) {
    let without_comment = match comment_start(joined) {
        Some(index) => &joined[..index],
        None => joined,
    };
    let (leading, stripped) = python_strip(without_comment);
    if stripped.is_empty() {
        return;
    }
    result.push(LogicalLine {
        line,
        text: expand_environment_variables(stripped, lookup),
        segments,
        leading,
    });
}

/// pip's `ENV_VAR_RE` expansion: `${NAME}` with `NAME` of `[A-Z0-9_]+`, replaced only when the
/// variable is set to a non-empty value.
pub(super) fn expand_environment_variables(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        output.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_length = after
            .bytes()
            .take_while(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || *byte == b'_')
            .count();
        let name = &after[..name_length];
        if name_length > 0 && after[name_length..].starts_with('}') {
            match lookup(name).filter(|value| !value.is_empty()) {
                Some(value) => output.push_str(&value),
                None => {
                    output.push_str("${");
                    output.push_str(name);
                    output.push('}');
                }
            }
            rest = &after[name_length + 1..];
        } else {
            output.push_str("${");
            rest = after;
        }
    }
    output.push_str(rest);
    output
}

/// Who a `# via` comment says pulled a package in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViaParent {
    /// Another package of the same file (`# via kombu`).
    Package(PackageName),
    /// An input file (`# via -r requirements/main.in`, `-c constraints.txt`, absolute paths too).
    File { option: String, path: String },
    /// The project itself (`# via text-generation-server (pyproject.toml)`, `(setup.py)`).
    Project { name: String, file: String },
    /// Anything else, kept as written.
    Other(String),
}

impl ViaParent {
    /// `true` when the parent means "asked for directly" rather than another package.
    pub fn is_direct(&self) -> bool {
        matches!(self, ViaParent::File { .. } | ViaParent::Project { .. })
    }

    fn parse(text: &str) -> Option<ViaParent> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        for option in ["-r", "-c", "--override", "--constraint", "--requirement"] {
            if let Some(path) = text.strip_prefix(option)
                && path.starts_with(char::is_whitespace)
            {
                return Some(ViaParent::File {
                    option: option.to_string(),
                    path: path.trim().to_string(),
                });
            }
        }
        if let Some((name, file)) = text.split_once(" (")
            && let Some(file) = file.strip_suffix(')')
        {
            return Some(ViaParent::Project {
                name: name.trim().to_string(),
                file: file.to_string(),
            });
        }
        match PackageName::new(text.to_string()) {
            Ok(name) => Some(ViaParent::Package(name)),
            Err(_) => Some(ViaParent::Other(text.to_string())),
        }
    }
}

/// The `# via` parents written after (or on) each logical line, keyed by the logical line's start.
/// Handles the single-line form (`# via x`, older pip-tools' `# via a, b`), the block form
/// (`# via` then `#   a` lines), several `# via` lines for one package, and inline comments.
pub(super) fn via_comments(
    text: &str,
    logical: &[LogicalLine],
) -> std::collections::BTreeMap<usize, Vec<ViaParent>> {
    let mut result: std::collections::BTreeMap<usize, Vec<ViaParent>> = Default::default();
    let mut in_block = false;
    let mut next_logical = 0;
    let mut owner: Option<usize> = None;
    for (number, line) in physical_lines(text) {
        while next_logical < logical.len() && logical[next_logical].line <= number {
            owner = Some(logical[next_logical].line);
            in_block = false;
            next_logical += 1;
        }
        let Some(owner_line) = owner else { continue };
        let Some(start) = comment_start(line) else {
            if !line.trim_matches(is_python_space).is_empty() {
                in_block = false;
            }
            continue;
        };
        let comment = &line[start + 1..];
        let trimmed = comment.trim_matches(is_python_space);
        if let Some(rest) = trimmed.strip_prefix("via")
            && (rest.is_empty() || rest.starts_with(is_python_space))
        {
            let rest = rest.trim();
            if rest.is_empty() {
                in_block = true;
            } else {
                in_block = false;
                let parents = result.entry(owner_line).or_default();
                // Older pip-tools wrote `# via a, b, c`; a path never contains ", ".
                let items: Vec<&str> = if rest.starts_with('-') {
                    vec![rest]
                } else {
                    rest.split(", ").collect()
                };
                parents.extend(items.into_iter().filter_map(ViaParent::parse));
            }
        } else if in_block && comment.starts_with("  ") && !trimmed.is_empty() {
            result
                .entry(owner_line)
                .or_default()
                .extend(ViaParent::parse(trimmed));
        } else {
            in_block = false;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_environment(_: &str) -> Option<String> {
        None
    }

    fn texts(text: &str) -> Vec<(usize, String)> {
        logical_lines(text, &no_environment)
            .into_iter()
            .map(|line| (line.line, line.text))
            .collect()
    }

    #[test]
    fn splits_lines_like_python() {
        let lines = physical_lines("a\r\nb\rc\u{0c}d\n\ne");
        let texts: Vec<&str> = lines.iter().map(|(_, line)| *line).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "", "e"]);
        assert_eq!(physical_lines("a\n").len(), 1);
    }

    #[test]
    fn joins_continuations_and_strips_comments() {
        let text = "# header\nfoo==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via bar\nbaz  # inline\nqux#notcomment\n";
        assert_eq!(
            texts(text),
            [
                (
                    2,
                    "foo==1.0     --hash=sha256:aa     --hash=sha256:bb".to_string()
                ),
                (6, "baz".to_string()),
                (7, "qux#notcomment".to_string()),
            ]
        );
    }

    #[test]
    fn a_comment_line_ends_a_continuation() {
        assert_eq!(
            texts("foo \\\n# comment \\\nbar\n"),
            [(1, "foo".to_string()), (3, "bar".to_string())]
        );
        // A comment before the backslash swallows the continued line, as in pip.
        assert_eq!(
            texts("foo # c \\\nbar\nbaz"),
            [(1, "foo".to_string()), (3, "baz".to_string())]
        );
        // A trailing backslash on the last line.
        assert_eq!(texts("foo \\"), [(1, "foo".to_string())]);
    }

    #[test]
    fn tabs_start_comments() {
        assert_eq!(texts("rsa\t# stop"), [(1, "rsa".to_string())]);
    }

    #[test]
    fn expands_only_set_variables() {
        let lookup = |name: &str| (name == "TOKEN").then(|| "secret".to_string());
        assert_eq!(
            expand_environment_variables("https://${TOKEN}@x/${UNSET}/${lower}/${", &lookup),
            "https://secret@x/${UNSET}/${lower}/${"
        );
    }

    #[test]
    fn locations_map_back_to_physical_lines() {
        let lines = logical_lines("  foo \\\n  bar=1\n", &no_environment);
        let path = Path::new("r.txt");
        assert_eq!(lines[0].text, "foo   bar=1");
        assert_eq!(lines[0].location(path, 0).to_string(), "r.txt:1:3");
        assert_eq!(lines[0].location(path, 4).to_string(), "r.txt:2:1");
        assert_eq!(lines[0].location(path, 6).to_string(), "r.txt:2:3");
        assert_eq!(lines[0].location(path, 9).to_string(), "r.txt:2:6");
        assert_eq!(lines[0].location(path, 999).line, 2);
    }

    #[test]
    fn reads_via_comments() {
        let text = "a==1\n    # via -r req.in\nb==1 \\\n    --hash=sha256:x\n    # via\n    #   a\n    #   -r /abs/req.in\n    #   proj (pyproject.toml)\n\n# The following packages are unsafe:\nc==1  # via a, b\nd==1\n    # via a\n    # via b\n";
        let logical = logical_lines(text, &no_environment);
        let via = via_comments(text, &logical);
        let name = |text: &str| ViaParent::Package(PackageName::new(text.to_string()).unwrap());
        let file = |option: &str, path: &str| ViaParent::File {
            option: option.to_string(),
            path: path.to_string(),
        };
        assert_eq!(via[&1], [file("-r", "req.in")]);
        assert_eq!(
            via[&3],
            [
                name("a"),
                file("-r", "/abs/req.in"),
                ViaParent::Project {
                    name: "proj".to_string(),
                    file: "pyproject.toml".to_string()
                }
            ]
        );
        assert_eq!(via[&11], [name("a"), name("b")]);
        assert_eq!(via[&12], [name("a"), name("b")]);
    }
}

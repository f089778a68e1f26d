//! The import scanner: a tokenizer-level reading of Python source (the lexical rules of the
//! Python 3 language reference, §2, plus PEP 701 f-strings) that finds every import with its line
//! and column — not a regex over lines.
//!
//! It tokenizes strings (single, triple-quoted, prefixed, f-strings with nested quotes and
//! replacement fields), comments, explicit and implicit line continuations, and keeps just enough
//! block structure (indentation of logical lines) to know whether an import sits in a `try:` whose
//! handler catches `ImportError` / `ModuleNotFoundError` (optional), in the handler itself
//! (a fallback: optional too), or under `if TYPE_CHECKING:` (type-only). Imports anywhere — in
//! functions, classes, one-line compound statements (`if x: import y`) — count. `__import__("x")`
//! and `importlib.import_module("x")` with a literal name count as imports.
//!
//! Errors are Python syntax errors the tokenizer can see (an unterminated string, an unclosed or
//! unmatched bracket, an import statement without a module) and name the line and column.

use serde::Serialize;

/// How much a project needs an import at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportContext {
    /// Executed when the code runs.
    Runtime,
    /// Guarded by `try: … except ImportError` (or in the handler): the code copes without it.
    Optional,
    /// Under `if TYPE_CHECKING:`: only type checkers follow it.
    TypeOnly,
}

/// One imported module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The dotted module as written, without leading dots: `a.b` for `import a.b as c` and for
    /// `from a.b import c`; empty for `from . import x`.
    pub module: String,
    /// For `from … import` statements: the imported names, which may be submodules
    /// (`from google.cloud import storage`). Empty for `import` and `*`.
    pub names: Vec<String>,
    /// Leading dots of a relative import (`from ..x import y` is 2); 0 for absolute imports.
    pub level: u32,
    /// 1-based line and byte column of the module name.
    pub line: usize,
    pub column: usize,
    pub context: ImportContext,
    /// Found as `__import__("x")` or `importlib.import_module("x")`.
    pub dynamic: bool,
}

impl Import {
    /// The top-level module (`a` of `a.b.c`); empty for `from . import x`.
    pub fn top_level(&self) -> &str {
        self.module.split('.').next().unwrap_or("")
    }
}

/// A syntax error the tokenizer found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Every import in `source`, in source order.
pub fn scan(source: &str) -> Result<Vec<Import>, SyntaxError> {
    let mut lexer = Lexer::new(source);
    let mut parser = Parser::default();
    let mut tokens = Vec::new();
    while let Some(indent) = lexer.logical_line(&mut tokens)? {
        parser.line(indent, &tokens)?;
    }
    Ok(parser.finish())
}

// ---------------------------------------------------------------------------------------------
// Tokens.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    /// Punctuation; `text` is the operator (`:=` is one token, everything else one byte).
    Op,
    /// A string literal; `text` is the whole literal, prefix and quotes included.
    String,
    Number,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    line: usize,
    column: usize,
}

impl Token<'_> {
    fn is_name(&self, name: &str) -> bool {
        self.kind == Kind::Name && self.text == name
    }

    fn is_op(&self, op: &str) -> bool {
        self.kind == Kind::Op && self.text == op
    }

    /// The value of a plain string literal (no f/b prefix, no escapes), for dynamic imports.
    fn plain_string(&self) -> Option<&str> {
        if self.kind != Kind::String {
            return None;
        }
        let body = self.text.trim_start_matches(['u', 'U', 'r', 'R']);
        let quote = body.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None; // an f-, b- or t-string
        }
        let triple: String = [quote; 3].iter().collect();
        let inner = if body.len() >= 6 && body.starts_with(&triple) {
            &body[3..body.len() - 3]
        } else {
            body.get(1..body.len().checked_sub(1)?)?
        };
        (!inner.contains('\\')).then_some(inner)
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer.

struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    position: usize,
    line: usize,
    line_start: usize,
    /// Open brackets: the byte and where it was opened.
    brackets: Vec<(u8, usize, usize)>,
}

const STRING_PREFIXES: [&str; 11] = ["r", "u", "b", "f", "t", "br", "rb", "fr", "rf", "tr", "rt"];

fn is_name_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_name_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            source,
            bytes: source.as_bytes(),
            position: 0,
            line: 1,
            line_start: 0,
            brackets: Vec::new(),
        }
    }

    fn column(&self, position: usize) -> usize {
        position - self.line_start + 1
    }

    fn error(&self, line: usize, column: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line,
            column,
            message: message.into(),
        }
    }

    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.position;
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.position + offset).copied()
    }

    /// The next logical line's tokens (into `tokens`) and its indentation; `None` at the end.
    fn logical_line(&mut self, tokens: &mut Vec<Token<'a>>) -> Result<Option<usize>, SyntaxError> {
        tokens.clear();
        // Skip blank and comment-only lines, measuring the indentation of the first real one.
        let indent = loop {
            let mut indent = 0;
            while let Some(byte) = self.peek(0) {
                match byte {
                    b' ' => indent += 1,
                    b'\t' => indent = (indent / 8 + 1) * 8,
                    b'\x0c' | b'\r' => {}
                    _ => break,
                }
                self.position += 1;
            }
            match self.peek(0) {
                None => return Ok(None),
                Some(b'#') => self.skip_comment(),
                Some(b'\n') => {
                    self.position += 1;
                    self.newline();
                }
                Some(b'\\') if matches!(self.peek(1), Some(b'\n' | b'\r')) => {
                    self.skip_continuation();
                }
                Some(_) => break indent,
            }
        };
        loop {
            let Some(byte) = self.peek(0) else {
                return self.end_of_input(indent);
            };
            match byte {
                b' ' | b'\t' | b'\x0c' | b'\r' => self.position += 1,
                b'#' => self.skip_comment(),
                b'\n' => {
                    self.position += 1;
                    self.newline();
                    if self.brackets.is_empty() {
                        return Ok(Some(indent));
                    }
                }
                b'\\' => {
                    if matches!(self.peek(1), Some(b'\n' | b'\r')) {
                        self.skip_continuation();
                    } else {
                        // A stray backslash: Python rejects it; it cannot start an import.
                        self.push_op(tokens, 1);
                    }
                }
                b'"' | b'\'' => {
                    let start = self.position;
                    self.string(start, false)?;
                    self.push(tokens, Kind::String, start);
                }
                _ if is_name_start(byte) => {
                    let start = self.position;
                    while self.peek(0).is_some_and(is_name_continue) {
                        self.position += 1;
                    }
                    let word = &self.source[start..self.position];
                    if matches!(self.peek(0), Some(b'"' | b'\''))
                        && STRING_PREFIXES.contains(&word.to_ascii_lowercase().as_str())
                    {
                        let formatted = word.contains(['f', 'F', 't', 'T']);
                        self.string(start, formatted)?;
                        self.push(tokens, Kind::String, start);
                    } else {
                        self.push(tokens, Kind::Name, start);
                    }
                }
                _ if byte.is_ascii_digit()
                    || (byte == b'.' && self.peek(1).is_some_and(|next| next.is_ascii_digit())) =>
                {
                    let start = self.position;
                    self.number();
                    self.push(tokens, Kind::Number, start);
                }
                b'(' | b'[' | b'{' => {
                    self.brackets
                        .push((byte, self.line, self.column(self.position)));
                    self.push_op(tokens, 1);
                }
                b')' | b']' | b'}' => {
                    let expected = match byte {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    match self.brackets.pop() {
                        Some((open, _, _)) if open == expected => {}
                        _ => {
                            return Err(self.error(
                                self.line,
                                self.column(self.position),
                                format!("unmatched `{}`", byte as char),
                            ));
                        }
                    }
                    self.push_op(tokens, 1);
                }
                b':' if self.peek(1) == Some(b'=') => self.push_op(tokens, 2),
                _ if byte >= 0x80 => {
                    // Not reached (non-ASCII starts a name), kept so a char is never split.
                    self.position += 1;
                }
                _ => self.push_op(tokens, 1),
            }
        }
    }

    fn end_of_input(&mut self, indent: usize) -> Result<Option<usize>, SyntaxError> {
        if let Some(&(open, line, column)) = self.brackets.last() {
            return Err(self.error(line, column, format!("`{}` is never closed", open as char)));
        }
        Ok(Some(indent))
    }

    fn push(&self, tokens: &mut Vec<Token<'a>>, kind: Kind, start: usize) {
        let (line, column) = self.start_of(start);
        tokens.push(Token {
            kind,
            text: &self.source[start..self.position],
            line,
            column,
        });
    }

    /// Line and column of `start`, which may lie on an earlier line than the current one (a
    /// multi-line string): counted back from the current line start.
    fn start_of(&self, start: usize) -> (usize, usize) {
        if start >= self.line_start {
            return (self.line, self.column(start));
        }
        let skipped = self.bytes[start..self.line_start]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count();
        let line_start = self.bytes[..start]
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |index| index + 1);
        (self.line - skipped, start - line_start + 1)
    }

    fn push_op(&mut self, tokens: &mut Vec<Token<'a>>, length: usize) {
        let start = self.position;
        self.position = (self.position + length).min(self.bytes.len());
        // Never split a UTF-8 character: operators are ASCII, but be safe at boundaries.
        while !self.source.is_char_boundary(self.position) {
            self.position += 1;
        }
        self.push(tokens, Kind::Op, start);
    }

    fn skip_comment(&mut self) {
        while self.peek(0).is_some_and(|byte| byte != b'\n') {
            self.position += 1;
        }
    }

    fn skip_continuation(&mut self) {
        self.position += 1; // the backslash
        if self.peek(0) == Some(b'\r') {
            self.position += 1;
        }
        if self.peek(0) == Some(b'\n') {
            self.position += 1;
        }
        self.newline();
    }

    fn number(&mut self) {
        let hexadecimal = self.peek(0) == Some(b'0') && matches!(self.peek(1), Some(b'x' | b'X'));
        while let Some(byte) = self.peek(0) {
            // An exponent's sign (`1e-5`) belongs to the number, except after a hex digit `e`.
            let sign = matches!(byte, b'+' | b'-')
                && !hexadecimal
                && matches!(self.bytes[self.position - 1], b'e' | b'E');
            if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' || sign {
                self.position += 1;
            } else {
                break;
            }
        }
    }

    /// A string literal starting at `start` (its prefix), the quote at `self.position`.
    fn string(&mut self, start: usize, formatted: bool) -> Result<(), SyntaxError> {
        let (line, column) = self.start_of(start);
        let quote = self.bytes[self.position];
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.position += if triple { 3 } else { 1 };
        let unterminated = |lexer: &Self| lexer.error(line, column, "unterminated string literal");
        loop {
            let Some(byte) = self.peek(0) else {
                return Err(unterminated(self));
            };
            match byte {
                b'\\' => {
                    self.position += 1;
                    match self.peek(0) {
                        Some(b'\n') => {
                            self.position += 1;
                            self.newline();
                        }
                        Some(b'\r') if self.peek(1) == Some(b'\n') => {
                            self.position += 2;
                            self.newline();
                        }
                        Some(_) => self.position += 1,
                        None => return Err(unterminated(self)),
                    }
                }
                b'\n' => {
                    if !triple {
                        return Err(unterminated(self));
                    }
                    self.position += 1;
                    self.newline();
                }
                _ if byte == quote => {
                    if !triple {
                        self.position += 1;
                        break;
                    }
                    if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                        self.position += 3;
                        break;
                    }
                    self.position += 1;
                }
                b'{' if formatted => {
                    if self.peek(1) == Some(b'{') {
                        self.position += 2;
                    } else {
                        self.position += 1;
                        self.replacement_field(line, column)?;
                    }
                }
                _ => self.position += 1,
            }
        }
        // Keep the position on a character boundary (multi-byte text inside the literal).
        while !self.source.is_char_boundary(self.position) {
            self.position += 1;
        }
        Ok(())
    }

    /// An f-string replacement field after its `{`: an expression (with nested brackets and
    /// strings, PEP 701), then an optional `!conversion` and `:format spec`, up to the `}`.
    fn replacement_field(&mut self, line: usize, column: usize) -> Result<(), SyntaxError> {
        let mut depth = 0usize;
        loop {
            let Some(byte) = self.peek(0) else {
                return Err(self.error(line, column, "unterminated f-string replacement field"));
            };
            match byte {
                b'\n' => {
                    self.position += 1;
                    self.newline();
                }
                b'"' | b'\'' => {
                    let start = self.position;
                    self.string(start, false)?;
                }
                _ if is_name_start(byte) => {
                    let start = self.position;
                    while self.peek(0).is_some_and(is_name_continue) {
                        self.position += 1;
                    }
                    let word = self.source[start..self.position].to_ascii_lowercase();
                    if matches!(self.peek(0), Some(b'"' | b'\''))
                        && STRING_PREFIXES.contains(&word.as_str())
                    {
                        self.string(start, word.contains(['f', 't']))?;
                    }
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.position += 1;
                }
                b')' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.position += 1;
                }
                b'}' => {
                    self.position += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                    depth -= 1;
                }
                b':' if depth == 0 => {
                    self.position += 1;
                    return self.format_spec(line, column);
                }
                _ => self.position += 1,
            }
        }
    }

    /// A format spec after `:`: literal text with nested replacement fields, up to the `}`.
    fn format_spec(&mut self, line: usize, column: usize) -> Result<(), SyntaxError> {
        loop {
            match self.peek(0) {
                None => {
                    return Err(self.error(
                        line,
                        column,
                        "unterminated f-string replacement field",
                    ));
                }
                Some(b'}') => {
                    self.position += 1;
                    return Ok(());
                }
                Some(b'{') => {
                    self.position += 1;
                    self.replacement_field(line, column)?;
                }
                Some(b'\n') => {
                    self.position += 1;
                    self.newline();
                }
                Some(_) => self.position += 1,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parser: statements and the blocks that change an import's context.

#[derive(Debug, Clone, Copy)]
enum BlockKind {
    /// The body of `try:` number N.
    Try(usize),
    /// The body of an `except ImportError:` handler.
    ImportHandler,
    /// The body of `if TYPE_CHECKING:`.
    TypeChecking,
}

#[derive(Debug, Clone, Copy)]
struct Block {
    /// Indentation of the header line; the body is everything indented deeper.
    indent: usize,
    kind: BlockKind,
}

/// An import found, before the `try` statements around it are known to guard `ImportError`.
struct Pending {
    import: Import,
    /// The `try` statements whose bodies hold it.
    tries: Vec<usize>,
    handler: bool,
    type_only: bool,
}

#[derive(Default)]
struct Parser {
    blocks: Vec<Block>,
    /// Per `try` statement: whether one of its handlers catches `ImportError`.
    tries: Vec<bool>,
    /// The `try` statement whose handlers may follow at this indentation.
    open_try: Option<(usize, usize)>,
    found: Vec<Pending>,
}

const COMPOUND_KEYWORDS: [&str; 14] = [
    "if", "elif", "else", "while", "for", "with", "def", "class", "try", "except", "finally",
    "async", "match", "case",
];

/// Index of the first `:` at bracket depth 0 in `tokens`.
fn header_colon(tokens: &[Token<'_>]) -> Option<usize> {
    let mut depth = 0usize;
    for (index, token) in tokens.iter().enumerate() {
        if token.kind != Kind::Op {
            continue;
        }
        match token.text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth = depth.saturating_sub(1),
            ":" if depth == 0 => return Some(index),
            _ => {}
        }
    }
    None
}

/// `TYPE_CHECKING` or `anything.TYPE_CHECKING` (`typing.TYPE_CHECKING`, `t.TYPE_CHECKING`).
fn is_type_checking(condition: &[Token<'_>]) -> bool {
    let Some(last) = condition.last() else {
        return false;
    };
    if !last.is_name("TYPE_CHECKING") {
        return false;
    }
    condition.iter().enumerate().all(|(index, token)| {
        if index % 2 == 0 {
            token.kind == Kind::Name
        } else {
            token.is_op(".")
        }
    })
}

impl Parser {
    fn line(&mut self, indent: usize, tokens: &[Token<'_>]) -> Result<(), SyntaxError> {
        while let Some(block) = self.blocks.last().copied() {
            if block.indent < indent {
                break;
            }
            self.blocks.pop();
            if let BlockKind::Try(id) = block.kind
                && block.indent == indent
            {
                self.open_try = Some((indent, id));
            }
        }
        let first = tokens.first().map(|token| token.text);
        let continues_try = matches!(first, Some("except" | "else" | "finally"));
        if let Some((try_indent, _)) = self.open_try
            && (try_indent > indent || (try_indent == indent && !continues_try))
        {
            self.open_try = None;
        }
        self.dynamic_imports(tokens);
        self.statements(indent, tokens, &[])
    }

    /// One or more statements: a compound header with its inline body, or simple statements
    /// separated by `;`. `inline` are blocks that hold only for this line (a one-line body).
    fn statements(
        &mut self,
        indent: usize,
        tokens: &[Token<'_>],
        inline: &[BlockKind],
    ) -> Result<(), SyntaxError> {
        let Some(first) = tokens.first() else {
            return Ok(());
        };
        if first.kind == Kind::Name
            && COMPOUND_KEYWORDS.contains(&first.text)
            && let Some(colon) = header_colon(tokens)
        {
            let header = &tokens[..colon];
            let body = &tokens[colon + 1..];
            let kind = match first.text {
                "try" => {
                    let id = self.tries.len();
                    self.tries.push(false);
                    if !body.is_empty() {
                        // `try: import x` — its handlers follow on the next lines.
                        self.open_try = Some((indent, id));
                    }
                    Some(BlockKind::Try(id))
                }
                "except" => {
                    let catches = header.iter().any(|token| {
                        token.is_name("ImportError") || token.is_name("ModuleNotFoundError")
                    });
                    match self.open_try {
                        Some((try_indent, id)) if try_indent == indent && catches => {
                            self.tries[id] = true;
                            Some(BlockKind::ImportHandler)
                        }
                        _ => None,
                    }
                }
                "if" | "elif" if is_type_checking(&header[1..]) => Some(BlockKind::TypeChecking),
                _ => None,
            };
            if body.is_empty() {
                if let Some(kind) = kind {
                    self.blocks.push(Block { indent, kind });
                }
                return Ok(());
            }
            let mut inner = inline.to_vec();
            inner.extend(kind);
            return self.statements(indent, body, &inner);
        }
        // Simple statements separated by `;` at bracket depth 0.
        let mut depth = 0usize;
        let mut start = 0;
        for (index, token) in tokens.iter().enumerate() {
            if token.kind == Kind::Op {
                match token.text {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    ";" if depth == 0 => {
                        self.simple_statement(&tokens[start..index], inline)?;
                        start = index + 1;
                    }
                    _ => {}
                }
            }
        }
        self.simple_statement(&tokens[start..], inline)
    }

    fn simple_statement(
        &mut self,
        tokens: &[Token<'_>],
        inline: &[BlockKind],
    ) -> Result<(), SyntaxError> {
        let Some(first) = tokens.first() else {
            return Ok(());
        };
        if first.is_name("import") {
            let mut cursor = 1;
            loop {
                let (module, line, column, next) = dotted_name(tokens, cursor, first)?;
                self.record(module, Vec::new(), 0, line, column, false, inline);
                cursor = next;
                if tokens.get(cursor).is_some_and(|token| token.is_name("as")) {
                    cursor += 2;
                }
                match tokens.get(cursor) {
                    Some(token) if token.is_op(",") => cursor += 1,
                    _ => return Ok(()),
                }
            }
        }
        if first.is_name("from") {
            let mut cursor = 1;
            let mut level = 0;
            while let Some(token) = tokens.get(cursor)
                && token.is_op(".")
            {
                level += 1;
                cursor += 1;
            }
            let (module, line, column) = if tokens
                .get(cursor)
                .is_some_and(|token| token.is_name("import"))
            {
                if level == 0 {
                    return Err(expected(
                        tokens.get(cursor),
                        first,
                        "a module name after `from`",
                    ));
                }
                let at = &tokens[cursor - 1];
                (String::new(), at.line, at.column)
            } else {
                let (module, line, column, next) = dotted_name(tokens, cursor, first)?;
                cursor = next;
                (module, line, column)
            };
            if !tokens
                .get(cursor)
                .is_some_and(|token| token.is_name("import"))
            {
                return Err(expected(tokens.get(cursor), first, "`import`"));
            }
            cursor += 1;
            // Names, minus aliases: `from a import (b as c, d,)` imports `b` and `d`.
            let mut names = Vec::new();
            let mut after_as = false;
            for token in &tokens[cursor..] {
                if token.is_name("as") {
                    after_as = true;
                } else if token.kind == Kind::Name {
                    if !after_as {
                        names.push(token.text.to_owned());
                    }
                    after_as = false;
                }
            }
            if names.is_empty() && !tokens[cursor..].iter().any(|token| token.is_op("*")) {
                return Err(expected(tokens.get(cursor), first, "names to import"));
            }
            self.record(module, names, level, line, column, false, inline);
        }
        Ok(())
    }

    /// `__import__("x")`, `importlib.import_module("x")`, `import_module("x")` with a literal.
    fn dynamic_imports(&mut self, tokens: &[Token<'_>]) {
        for (index, token) in tokens.iter().enumerate() {
            let call = token.is_name("__import__") || token.is_name("import_module");
            if !call || index > 0 && tokens[index - 1].is_op(".") && token.text == "__import__" {
                continue;
            }
            if token.text == "import_module"
                && index >= 2
                && tokens[index - 1].is_op(".")
                && !tokens[index - 2].is_name("importlib")
            {
                continue;
            }
            let (Some(open), Some(argument)) = (tokens.get(index + 1), tokens.get(index + 2))
            else {
                continue;
            };
            if !open.is_op("(") {
                continue;
            }
            let Some(name) = argument.plain_string() else {
                continue;
            };
            let valid = !name.is_empty()
                && name.split('.').all(|part| {
                    !part.is_empty()
                        && part.bytes().next().is_some_and(is_name_start)
                        && part.bytes().all(is_name_continue)
                });
            if valid {
                self.record(
                    name.to_owned(),
                    Vec::new(),
                    0,
                    argument.line,
                    argument.column,
                    true,
                    &[],
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        module: String,
        names: Vec<String>,
        level: u32,
        line: usize,
        column: usize,
        dynamic: bool,
        inline: &[BlockKind],
    ) {
        let mut tries = Vec::new();
        let (mut handler, mut type_only) = (false, false);
        for kind in self.blocks.iter().map(|block| &block.kind).chain(inline) {
            match kind {
                BlockKind::Try(id) => tries.push(*id),
                BlockKind::ImportHandler => handler = true,
                BlockKind::TypeChecking => type_only = true,
            }
        }
        self.found.push(Pending {
            import: Import {
                module,
                names,
                level,
                line,
                column,
                context: ImportContext::Runtime,
                dynamic,
            },
            tries,
            handler,
            type_only,
        });
    }

    fn finish(self) -> Vec<Import> {
        let tries = self.tries;
        self.found
            .into_iter()
            .map(|pending| {
                let mut import = pending.import;
                import.context = if pending.type_only {
                    ImportContext::TypeOnly
                } else if pending.handler || pending.tries.iter().any(|&id| tries[id]) {
                    ImportContext::Optional
                } else {
                    ImportContext::Runtime
                };
                import
            })
            .collect()
    }
}

/// `NAME ('.' NAME)*` at `cursor`: the dotted name, its position and the index after it.
fn dotted_name(
    tokens: &[Token<'_>],
    mut cursor: usize,
    statement: &Token<'_>,
) -> Result<(String, usize, usize, usize), SyntaxError> {
    let Some(first) = tokens.get(cursor).filter(|token| token.kind == Kind::Name) else {
        return Err(expected(tokens.get(cursor), statement, "a module name"));
    };
    let mut module = first.text.to_owned();
    cursor += 1;
    while tokens.get(cursor).is_some_and(|token| token.is_op(".")) {
        match tokens.get(cursor + 1) {
            Some(part) if part.kind == Kind::Name => {
                module.push('.');
                module.push_str(part.text);
                cursor += 2;
            }
            other => return Err(expected(other, statement, "a name after `.`")),
        }
    }
    Ok((module, first.line, first.column, cursor))
}

fn expected(found: Option<&Token<'_>>, statement: &Token<'_>, what: &str) -> SyntaxError {
    match found {
        Some(token) => SyntaxError {
            line: token.line,
            column: token.column,
            message: format!(
                "expected {what} in `{}` statement, found `{}`",
                statement.text, token.text
            ),
        },
        None => SyntaxError {
            line: statement.line,
            column: statement.column,
            message: format!("expected {what} in `{}` statement", statement.text),
        },
    }
}

#[cfg(test)]
mod tests;

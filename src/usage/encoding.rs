//! Python source encodings (PEP 263, PEP 3120): UTF-8 unless a `coding` declaration on line 1 or
//! 2 says otherwise. The encodings seen in practice are decoded by hand — UTF-8, Latin-1 (a byte
//! is its code point), CP1252 (Latin-1 but for the 0x80–0x9F table) and ASCII — with Python's own
//! tables: a general-purpose crate (encoding_rs) follows the WHATWG tables, where CP1252 decodes
//! the five bytes Python rejects (0x81, 0x8D, 0x8F, 0x90, 0x9D), so it would accept files Python
//! cannot run. Anything else is reported, never guessed.

use std::borrow::Cow;

/// Why a source file cannot be decoded, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A source encoding pyaudit decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
    Cp1252,
    Ascii,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Latin1 => "Latin-1",
            Self::Cp1252 => "CP1252",
            Self::Ascii => "ASCII",
        }
    }
}

/// A `coding` declaration: the name as written and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub name: String,
    pub line: usize,
}

/// The text of a Python source file, decoded as Python would.
pub fn decode_source(bytes: &[u8]) -> Result<Cow<'_, str>, EncodingProblem> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let (has_bom, body) = match bytes.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let declaration = declared_coding(body);
    let encoding = match &declaration {
        None => Encoding::Utf8,
        Some(declaration) => match encoding_named(&declaration.name) {
            Some(encoding) => encoding,
            None => {
                return Err(EncodingProblem {
                    line: declaration.line,
                    column: 1,
                    message: format!(
                        "declares the source encoding `{}`, which pyaudit does not decode \
                         (it reads UTF-8, Latin-1, CP1252 and ASCII)",
                        declaration.name
                    ),
                });
            }
        },
    };
    if has_bom && encoding != Encoding::Utf8 {
        // Python refuses this combination too ("encoding problem: … with BOM").
        return Err(EncodingProblem {
            line: 1,
            column: 1,
            message: format!(
                "starts with a UTF-8 byte order mark but declares `{}`",
                declaration.map(|d| d.name).unwrap_or_default()
            ),
        });
    }
    let source = match &declaration {
        Some(declaration) => format!("declared on line {}", declaration.line),
        None => "the default, PEP 3120".to_owned(),
    };
    decode(body, encoding).map_err(|offset| {
        let (line, column) = position(body, offset);
        EncodingProblem {
            line,
            column,
            message: format!(
                "byte 0x{:02X} is not valid {} ({source})",
                body.get(offset).copied().unwrap_or_default(),
                encoding.name()
            ),
        }
    })
}

/// PEP 263: `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` on line 1, or on line 2 when line 1 is a
/// comment or blank (as CPython's tokenizer does).
pub fn declared_coding(bytes: &[u8]) -> Option<Declaration> {
    let mut lines = bytes.split(|&byte| byte == b'\n');
    let first = lines.next().unwrap_or_default();
    if let Some(name) = coding_in_line(first) {
        return Some(Declaration { name, line: 1 });
    }
    let stripped = trim_start(first);
    let first_is_comment_or_blank = stripped.is_empty()
        || stripped.starts_with(b"#")
        || stripped.iter().all(|byte| byte.is_ascii_whitespace());
    if !first_is_comment_or_blank {
        return None;
    }
    let second = lines.next()?;
    coding_in_line(second).map(|name| Declaration { name, line: 2 })
}

fn trim_start(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|byte| !matches!(byte, b' ' | b'\t' | b'\x0c'))
        .unwrap_or(line.len());
    &line[start..]
}

fn coding_in_line(line: &[u8]) -> Option<String> {
    let comment = trim_start(line).strip_prefix(b"#")?;
    // The lazy `.*?` tries every occurrence of `coding[:=]` until one is followed by a name.
    let mut from = 0;
    while let Some(found) = find(&comment[from..], b"coding") {
        let after = from + found + b"coding".len();
        from = from + found + 1;
        if !matches!(comment.get(after), Some(b':' | b'=')) {
            continue;
        }
        let rest = trim_start_spaces(&comment[after + 1..]);
        let length = rest
            .iter()
            .take_while(|&&byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
            .count();
        if length > 0 {
            return Some(String::from_utf8_lossy(&rest[..length]).into_owned());
        }
    }
    None
}

fn trim_start_spaces(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|byte| !matches!(byte, b' ' | b'\t'))
        .unwrap_or(text.len());
    &text[start..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The encoding a declared name means, by CPython's rules: its tokenizer's shortcuts for
/// `utf-8[-…]` and `latin-1[-…]`, then the codec aliases (lower case, punctuation as `_`).
pub fn encoding_named(name: &str) -> Option<Encoding> {
    let tokenizer: String = name
        .chars()
        .take(12)
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if tokenizer == "utf-8" || tokenizer.starts_with("utf-8-") {
        return Some(Encoding::Utf8);
    }
    if ["latin-1", "iso-8859-1", "iso-latin-1"]
        .iter()
        .any(|prefix| tokenizer == *prefix || tokenizer.starts_with(&format!("{prefix}-")))
    {
        return Some(Encoding::Latin1);
    }
    let mut key = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            key.push(c.to_ascii_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_');
    match key {
        "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001" | "utf_8_sig" => {
            Some(Encoding::Utf8)
        }
        "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "8859" | "cp819"
        | "ibm819" | "iso_ir_100" | "csisolatin1" | "iso_8859_1_1987" => Some(Encoding::Latin1),
        "cp1252" | "windows_1252" | "1252" => Some(Encoding::Cp1252),
        "ascii" | "us_ascii" | "us" | "646" | "ansi_x3.4_1968" | "ansi_x3_4_1968"
        | "ansi_x3.4_1986" | "cp367" | "csascii" | "ibm367" | "iso646_us" | "iso_646.irv_1991"
        | "iso_ir_6" => Some(Encoding::Ascii),
        _ => None,
    }
}

/// Decode `bytes`, or the offset of the first byte the encoding has no character for.
fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, usize> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|error| error.valid_up_to()),
        Encoding::Ascii => match bytes.iter().position(|byte| !byte.is_ascii()) {
            Some(offset) => Err(offset),
            // ASCII is valid UTF-8.
            None => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|error| error.valid_up_to()),
        },
        Encoding::Latin1 => Ok(Cow::Owned(
            bytes.iter().map(|&byte| char::from(byte)).collect(),
        )),
        Encoding::Cp1252 => bytes
            .iter()
            .enumerate()
            .map(|(offset, &byte)| cp1252(byte).ok_or(offset))
            .collect::<Result<String, usize>>()
            .map(Cow::Owned),
    }
}

/// Python's `cp1252` codec: Latin-1 except 0x80–0x9F, five of which are undefined.
fn cp1252(byte: u8) -> Option<char> {
    const HIGH: [Option<char>; 32] = [
        Some('\u{20AC}'),
        None,
        Some('\u{201A}'),
        Some('\u{0192}'),
        Some('\u{201E}'),
        Some('\u{2026}'),
        Some('\u{2020}'),
        Some('\u{2021}'),
        Some('\u{02C6}'),
        Some('\u{2030}'),
        Some('\u{0160}'),
        Some('\u{2039}'),
        Some('\u{0152}'),
        None,
        Some('\u{017D}'),
        None,
        None,
        Some('\u{2018}'),
        Some('\u{2019}'),
        Some('\u{201C}'),
        Some('\u{201D}'),
        Some('\u{2022}'),
        Some('\u{2013}'),
        Some('\u{2014}'),
        Some('\u{02DC}'),
        Some('\u{2122}'),
        Some('\u{0161}'),
        Some('\u{203A}'),
        Some('\u{0153}'),
        None,
        Some('\u{017E}'),
        Some('\u{0178}'),
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => Some(char::from(byte)),
    }
}

/// 1-based line and column (in bytes) of `offset`.
fn position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |index| index + 1);
    (line, before.len() - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn declared(text: &[u8]) -> Option<(String, usize)> {
        declared_coding(text).map(|declaration| (declaration.name, declaration.line))
    }

    #[test]
    fn declarations_are_found_as_pep_263_says() {
        assert_eq!(
            declared(b"# -*- coding: latin-1 -*-\nx = 1\n"),
            Some(("latin-1".into(), 1))
        );
        assert_eq!(
            declared(b"#!/usr/bin/env python\n# coding=cp1252\n"),
            Some(("cp1252".into(), 2))
        );
        assert_eq!(
            declared(b"\n  # vim: set fileencoding=iso-8859-1 :\n"),
            Some(("iso-8859-1".into(), 2))
        );
        assert_eq!(
            declared(b"\t\x0c# coding:   utf8\n"),
            Some(("utf8".into(), 1))
        );
        // The first `coding:` without a name does not end the search.
        assert_eq!(
            declared(b"# coding: ; real coding: ascii\n"),
            Some(("ascii".into(), 1))
        );
        // Line 2 only counts after a comment or blank line; line 3 never.
        assert_eq!(declared(b"import os\n# coding: latin-1\n"), None);
        assert_eq!(declared(b"#\n#\n# coding: latin-1\n"), None);
        // Not in a comment, or no separator.
        assert_eq!(declared(b"x = '# coding: latin-1'\n"), None);
        assert_eq!(declared(b"# coding latin-1\n"), None);
        assert_eq!(declared(b""), None);
    }

    #[test]
    fn names_follow_python_codec_aliases() {
        for name in ["utf-8", "UTF8", "utf_8", "utf-8-sig", "utf-8-unix", "u8"] {
            assert_eq!(encoding_named(name), Some(Encoding::Utf8), "{name}");
        }
        for name in [
            "latin-1",
            "Latin1",
            "latin",
            "l1",
            "iso-8859-1",
            "ISO8859-1",
            "iso_8859_1",
            "iso-latin-1",
            "latin-1-unix",
            "cp819",
            "8859",
        ] {
            assert_eq!(encoding_named(name), Some(Encoding::Latin1), "{name}");
        }
        for name in ["cp1252", "windows-1252", "Windows_1252", "1252"] {
            assert_eq!(encoding_named(name), Some(Encoding::Cp1252), "{name}");
        }
        for name in ["ascii", "US-ASCII", "646", "us"] {
            assert_eq!(encoding_named(name), Some(Encoding::Ascii), "{name}");
        }
        for name in ["klingon", "shift_jis", "euc-kr", "utf-16", "latin-2", ""] {
            assert_eq!(encoding_named(name), None, "{name}");
        }
    }

    #[test]
    fn latin_1_and_cp1252_decode_by_python_tables() {
        let text = decode_source(b"# -*- coding: latin-1 -*-\ns = 'caf\xe9 \x80'\n").unwrap();
        assert_eq!(text, "# -*- coding: latin-1 -*-\ns = 'caf\u{e9} \u{80}'\n");
        let text = decode_source(b"# coding: cp1252\ns = '\x80 \x93q\x94 \xe9'\n").unwrap();
        assert_eq!(
            text,
            "# coding: cp1252\ns = '\u{20ac} \u{201c}q\u{201d} \u{e9}'\n"
        );
        for undefined in [0x81, 0x8D, 0x8F, 0x90, 0x9D] {
            let mut bytes = b"# coding: windows-1252\nx = '".to_vec();
            bytes.push(undefined);
            bytes.extend_from_slice(b"'\n");
            let problem = decode_source(&bytes).unwrap_err();
            assert_eq!((problem.line, problem.column), (2, 6), "{undefined:#x}");
            assert!(problem.message.contains("not valid CP1252"), "{problem:?}");
        }
    }

    #[test]
    fn undecodable_bytes_and_unknown_codings_are_problems_with_positions() {
        let problem = decode_source(b"x = 1\n# caf\xe9\n").unwrap_err();
        assert_eq!((problem.line, problem.column), (2, 6));
        assert_eq!(
            problem.message,
            "byte 0xE9 is not valid UTF-8 (the default, PEP 3120)"
        );
        let problem = decode_source(b"# coding: ascii\nx = '\xe9'\n").unwrap_err();
        assert_eq!((problem.line, problem.column), (2, 6));
        assert!(problem.message.contains("ASCII (declared on line 1)"));
        let problem = decode_source(b"#!python\n# coding: klingon\n").unwrap_err();
        assert_eq!(problem.line, 2);
        assert!(problem.message.contains("`klingon`"), "{problem:?}");
        let problem = decode_source(b"\xEF\xBB\xBF# coding: latin-1\n").unwrap_err();
        assert!(problem.message.contains("byte order mark"), "{problem:?}");
    }

    #[test]
    fn utf_8_is_the_default_and_a_bom_is_dropped() {
        assert_eq!(
            decode_source("s = 'café'\n".as_bytes()).unwrap(),
            "s = 'café'\n"
        );
        assert_eq!(
            decode_source(b"\xEF\xBB\xBF# coding: utf-8\nx\n").unwrap(),
            "# coding: utf-8\nx\n"
        );
        assert!(matches!(
            decode_source(b"import os\n").unwrap(),
            Cow::Borrowed(_)
        ));
    }

    proptest! {
        /// Latin-1 decodes any bytes, one character per byte, each its code point.
        #[test]
        fn latin_1_maps_every_byte(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut bytes = b"# coding: latin-1\n".to_vec();
            bytes.extend_from_slice(&body);
            let text = decode_source(&bytes).unwrap();
            let decoded: Vec<u32> = text.chars().skip(18).map(u32::from).collect();
            let expected: Vec<u32> = body.iter().map(|&byte| u32::from(byte)).collect();
            prop_assert_eq!(decoded, expected);
        }

        /// CP1252 agrees with Latin-1 outside 0x80–0x9F, and never panics.
        #[test]
        fn cp1252_is_latin_1_outside_the_table(byte in any::<u8>()) {
            let decoded = cp1252(byte);
            if !(0x80..=0x9F).contains(&byte) {
                prop_assert_eq!(decoded, Some(char::from(byte)));
            }
        }

        /// Any text, encoded as UTF-8, reads back unchanged whatever UTF-8 spelling it declares.
        #[test]
        fn utf_8_round_trips(text in "\\PC{0,80}", spelling in "utf-8|utf8|UTF_8|u8") {
            let source = format!("# coding: {spelling}\n{text}");
            prop_assert_eq!(decode_source(source.as_bytes()).unwrap(), source.as_str());
        }
    }
}

//! Strings from lockfiles, advisories and servers, made safe for a terminal and for Markdown or
//! HTML reports.
//!
//! An advisory summary or a package source can carry `ESC[2J` (clear the screen), an OSC
//! sequence (`ESC]0;title BEL`: set the window title, or OSC 8/52 hyperlinks and clipboard
//! writes), a NUL, a carriage return that overwrites the line before it, or a bidirectional
//! override that makes text read differently from what it is. Each such character becomes a
//! visible escape (`\u{1b}`), so the report shows what the data held and the terminal obeys none
//! of it.

use std::borrow::Cow;

/// Whether `character` must not reach a terminal or a report raw: C0 controls but newline and
/// tab, DEL, C1 controls (U+009B is a one-byte CSI), and the Unicode bidirectional controls
/// (CVE-2021-42574).
pub fn is_unsafe(character: char) -> bool {
    match character {
        '\n' | '\t' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn push_escaped(out: &mut String, character: char) {
    out.push_str(&format!("\\u{{{:x}}}", u32::from(character)));
}

/// `text` with every unsafe character (see [`is_unsafe`]) as a visible `\u{..}` escape;
/// newlines and tabs are kept.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if is_unsafe(character) {
            push_escaped(&mut out, character);
        } else {
            out.push(character);
        }
    }
    Cow::Owned(out)
}

/// As [`terminal_safe`], for one line: newlines and tabs are escaped too, so a value cannot
/// start a line of its own (a forged `error:` or a fake finding in a log).
pub fn single_line(text: &str) -> Cow<'_, str> {
    let breaks_line = |character: char| is_unsafe(character) || matches!(character, '\n' | '\t');
    if !text.chars().any(breaks_line) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if breaks_line(character) {
            push_escaped(&mut out, character);
        } else {
            out.push(character);
        }
    }
    Cow::Owned(out)
}

/// The SGR sequences the text reports' own colouring writes (`report::text::Paint`); only these
/// survive [`coloured_output_safe`].
const OWN_SGR: &[&str] = &[
    "0", "1", "2", "1;31", "1;32", "1;33", "31", "32", "33", "36",
];

/// A whole rendered text report made terminal-safe. With `colour` on, the report's own
/// colouring (exactly the SGR codes of [`OWN_SGR`]) is kept and every other escape sequence is
/// made visible; with it off, every escape is made visible.
pub fn coloured_output_safe(text: &str, colour: bool) -> Cow<'_, str> {
    if !colour {
        return terminal_safe(text);
    }
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(character) = rest.chars().next() {
        if character == '\u{1b}'
            && let Some(sequence) = own_sgr_prefix(rest)
        {
            out.push_str(sequence);
            rest = &rest[sequence.len()..];
            continue;
        }
        if is_unsafe(character) {
            push_escaped(&mut out, character);
        } else {
            out.push(character);
        }
        rest = &rest[character.len_utf8()..];
    }
    Cow::Owned(out)
}

/// `ESC [ code m` at the start of `text`, when `code` is one of [`OWN_SGR`].
fn own_sgr_prefix(text: &str) -> Option<&str> {
    let body = text.strip_prefix("\u{1b}[")?;
    let end = body.find('m')?;
    OWN_SGR
        .contains(&&body[..end])
        .then(|| &text[..2 + end + 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(
            terminal_safe("GHSA-\u{1b}[2J\u{1b}]0;pwned\u{7}x\u{0}y\u{9b}31m\u{202e}z\n"),
            "GHSA-\\u{1b}[2J\\u{1b}]0;pwned\\u{7}x\\u{0}y\\u{9b}31m\\u{202e}z\n"
        );
        assert_eq!(single_line("a\nb\tc\r"), "a\\u{a}b\\u{9}c\\u{d}");
        assert!(matches!(terminal_safe("plain → text"), Cow::Borrowed(_)));
    }

    #[test]
    fn own_colours_survive_and_foreign_sequences_do_not() {
        let text = "\u{1b}[1;31mdeny\u{1b}[0m \u{1b}[8mhidden\u{1b}[0m \u{1b}]0;t\u{7}";
        assert_eq!(
            coloured_output_safe(text, true),
            "\u{1b}[1;31mdeny\u{1b}[0m \\u{1b}[8mhidden\u{1b}[0m \\u{1b}]0;t\\u{7}"
        );
        assert!(!coloured_output_safe(text, false).contains('\u{1b}'));
    }

    proptest! {
        #[test]
        fn no_unsafe_character_survives(text in "(\\PC|[\u{0}-\u{1f}\u{7f}-\u{9f}\u{202e}])*") {
            let safe = terminal_safe(&text);
            prop_assert!(!safe.chars().any(is_unsafe));
            let line = single_line(&text);
            prop_assert!(!line.contains('\n') && !line.chars().any(is_unsafe));
            prop_assert!(!coloured_output_safe(&text, false).chars().any(is_unsafe));
        }
    }
}

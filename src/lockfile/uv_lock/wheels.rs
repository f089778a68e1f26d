//! A checked fast path for uv.lock's `wheels = [...]` arrays, which are most of a lock's bytes
//! (84% of crewAI's) and of which the reader needs only the hash count.
//!
//! Element lines that are provably valid TOML inline tables of plain strings and integers are
//! counted here and cut out (whole lines, newline included) before the TOML parser runs, which
//! then reads a fraction of the file; the parser's offsets are mapped back through
//! [`ElidedWheels::original`], so lines and columns in diagnostics are the file's own. A block
//! with any line outside that strict grammar is left untouched for the real parser, which then
//! reports errors as usual — so the fast path can never accept a file the TOML parser would
//! reject.

/// The lock text with canonical wheel blocks and sdist lines cut out, and per cut block its
/// offset and the number of artifact entries carrying a `hash`.
pub(super) struct ElidedWheels {
    pub text: String,
    /// (byte offset of the block's `wheels = [` line, hashes in the block), in offset order,
    /// offsets in the original text.
    pub blocks: Vec<(usize, usize)>,
    /// Per cut: (its offset in `text`, bytes cut up to and including it), in offset order.
    cuts: Vec<(usize, usize)>,
}

impl ElidedWheels {
    /// Hashes in the cut blocks that lie within `range` (a package table's span in the
    /// original text).
    pub fn hashes_in(&self, range: std::ops::Range<usize>) -> usize {
        let first = self
            .blocks
            .partition_point(|&(offset, _)| offset < range.start);
        self.blocks[first..]
            .iter()
            .take_while(|&&(offset, _)| offset < range.end)
            .map(|&(_, hashes)| hashes)
            .sum()
    }

    /// The offset in the original text of `offset` in [`ElidedWheels::text`]. Text that follows
    /// a cut maps to after it.
    pub fn original(&self, offset: usize) -> usize {
        let before = self.cuts.partition_point(|&(at, _)| at <= offset);
        match before {
            0 => offset,
            _ => offset + self.cuts[before - 1].1,
        }
    }
}

/// Cut every canonical wheel block; `None` when there is nothing to cut.
pub(super) fn elide(text: &str) -> Option<ElidedWheels> {
    // The byte ranges to cut, in order, adjacent ones merged.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut cut = |start: usize, end: usize| match ranges.last_mut() {
        Some(last) if last.1 == start => last.1 = end,
        _ => ranges.push((start, end)),
    };
    let mut blocks = Vec::new();
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    // A key twice in one table is a TOML error; cutting both copies would hide it, so a repeated
    // `sdist` or `wheels` in one table abandons the fast path and lets the parser report it.
    let (mut seen_sdist, mut seen_wheels) = (false, false);
    while let Some(line) = lines.next() {
        let line_start = offset;
        offset += line.len();
        if line.starts_with('[') {
            (seen_sdist, seen_wheels) = (false, false);
        }
        // `sdist = { url = …, hash = … }` is one canonical line: cut it whole (the key too, the
        // wire field is optional) and count its hash like a one-entry block.
        if let Some(table) = line.strip_prefix("sdist = ")
            && let Some(has_hash) = wheel_line_hashes(table)
            && !table.trim_end().ends_with(',')
        {
            if seen_sdist {
                return None;
            }
            seen_sdist = true;
            cut(line_start, offset);
            blocks.push((line_start, usize::from(has_hash)));
            continue;
        }
        if line.trim_end() != "wheels = [" {
            continue;
        }
        if seen_wheels {
            return None;
        }
        seen_wheels = true;
        // Check the element lines up to the closing `]`.
        let elements_start = offset;
        let mut cursor = offset;
        let mut hashes = 0;
        let mut elements = 0;
        let mut closed = false;
        let mut canonical = true;
        while let Some(&next) = lines.peek() {
            if next.trim() == "]" {
                closed = true;
                break;
            }
            match wheel_line_hashes(next) {
                Some(has_hash) => {
                    elements += 1;
                    hashes += usize::from(has_hash);
                }
                None => {
                    canonical = false;
                    break;
                }
            }
            cursor += next.len();
            lines.next();
        }
        offset = cursor;
        if !(closed && canonical) || elements == 0 {
            continue;
        }
        cut(elements_start, cursor);
        blocks.push((line_start, hashes));
    }
    if ranges.is_empty() {
        return None;
    }
    let removed: usize = ranges.iter().map(|(start, end)| end - start).sum();
    let mut compact = String::with_capacity(text.len() - removed);
    let mut cuts = Vec::with_capacity(ranges.len());
    let (mut kept_from, mut total) = (0, 0);
    for (start, end) in ranges {
        compact.push_str(&text[kept_from..start]);
        total += end - start;
        cuts.push((compact.len(), total));
        kept_from = end;
    }
    compact.push_str(&text[kept_from..]);
    Some(ElidedWheels {
        text: compact,
        blocks,
        cuts,
    })
}

/// If `line` is exactly `{ key = value, ... },` with bare keys, basic strings without escapes
/// and decimal integers, and no key twice, whether it has a `hash` key. Otherwise `None`.
fn wheel_line_hashes(line: &str) -> Option<bool> {
    let body = line.trim();
    let body = body.strip_suffix(',').unwrap_or(body);
    let inner = body.strip_prefix("{ ")?.strip_suffix(" }")?;
    let mut keys: Vec<&str> = Vec::with_capacity(4);
    let mut rest = inner;
    loop {
        let (key, after_key) = rest.split_once(" = ")?;
        if key.is_empty()
            || !key
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
            || keys.contains(&key)
        {
            return None;
        }
        keys.push(key);
        let after_value = if let Some(string) = after_key.strip_prefix('"') {
            let end = string.find('"')?;
            let content = &string[..end];
            if content
                .bytes()
                .any(|byte| byte == b'\\' || byte < 0x20 || byte == 0x7f)
            {
                return None;
            }
            &string[end + 1..]
        } else {
            let digits = after_key.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || (digits > 1 && after_key.starts_with('0')) || digits > 18 {
                return None;
            }
            &after_key[digits..]
        };
        if after_value.is_empty() {
            return Some(keys.contains(&"hash"));
        }
        rest = after_value.strip_prefix(", ")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "[[package]]\nname = \"a\"\nwheels = [\n    { url = \"https://x/a.whl\", hash = \"sha256:00\", size = 12, upload-time = \"2024-01-01T00:00:00Z\" },\n    { url = \"https://x/b.whl\", size = 3 },\n]\n";

    #[test]
    fn canonical_blocks_are_cut_and_counted() {
        let elided = elide(BLOCK).unwrap();
        assert_eq!(elided.text, "[[package]]\nname = \"a\"\nwheels = [\n]\n");
        assert_eq!(elided.blocks, [(BLOCK.find("wheels").unwrap(), 1)]);
        assert_eq!(elided.hashes_in(0..BLOCK.len()), 1);
        assert_eq!(elided.hashes_in(0..5), 0);
    }

    #[test]
    fn offsets_map_back_to_the_original_text() {
        let text = format!("{BLOCK}[[package]]\nname = \"b\"\n");
        let elided = elide(&text).unwrap();
        // Every byte the parser sees is the same byte of the file.
        for (offset, byte) in elided.text.bytes().enumerate() {
            assert_eq!(
                text.as_bytes()[elided.original(offset)],
                byte,
                "at {offset}"
            );
        }
        let second = elided.text.rfind("[[package]]").unwrap();
        assert_eq!(elided.original(second), text.rfind("[[package]]").unwrap());
        assert_eq!(elided.original(elided.text.len()), text.len());
    }

    #[test]
    fn canonical_sdist_lines_are_cut_and_counted() {
        let text = "[[package]]\nname = \"a\"\nsdist = { url = \"https://x/a.tar.gz\", hash = \"sha256:00\", size = 3 }\n";
        let elided = elide(text).unwrap();
        assert_eq!(elided.text, "[[package]]\nname = \"a\"\n");
        assert!(!elided.text.contains("sdist"));
        assert_eq!(elided.hashes_in(0..text.len()), 1);
        // Trailing garbage after the table is left to the TOML parser.
        assert!(elide("sdist = { url = \"x\" } x\n").is_none());
        // So is a key repeated in one table, which the parser must report.
        let twice = "[[package]]\nsdist = { url = \"x\" }\nsdist = { url = \"x\" }\n";
        assert!(elide(twice).is_none());
        let again = format!("{BLOCK}{}", &BLOCK[BLOCK.find("wheels").unwrap()..]);
        assert!(elide(&again).is_none());
    }

    #[test]
    fn anything_unusual_is_left_to_the_toml_parser() {
        for bad in [
            "    { url = \"x\", hash = \"y\" ",       // unterminated table
            "    { url = \"x\\\"\", hash = \"y\" },", // escape
            "    { url = \"x\", url = \"y\" },",      // duplicate key
            "    { url = 01 },",                      // leading zero
            "    { url = 1.5 },",                     // float
            "    { url = \"x\" }, { url = \"y\" },",  // two tables on a line
            "    { url = \"x\", hash = [\"y\"] },",   // array value
        ] {
            let text = format!("wheels = [\n{bad}\n]\n");
            assert!(elide(&text).is_none(), "{bad}");
        }
        assert!(
            elide("wheels = [\n    { url = \"x\" },\n").is_none(),
            "unclosed block"
        );
    }
}

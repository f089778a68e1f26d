//! The popular-names list the typosquat rule (PA501) compares against: a built-in seed, a list
//! imported into the cache (`pyaudit db popular FILE`), and files named in `[typosquat] popular`.
//!
//! Accepted file formats: hugovk's top-pypi-packages JSON (`{"rows": [{"project": …}]}`), a JSON
//! array of names, or text with one name per line (`#` comments).

use std::collections::BTreeSet;

use std::hash::Hasher;

use rustc_hash::FxHashMap;
use std::path::Path;

use pyaudit_advisories::normalize_package_name;
use pyaudit_cache::{Cache, Freshness, Namespace, Timestamp};
use serde::{Deserialize, Serialize};

use super::EnrichError;

/// The imported list, under the key [`LIST_KEY`].
pub const NAMESPACE: Namespace = Namespace::new("popular-names", 1);
const LIST_KEY: &str = "list";

/// The built-in seed; see `scripts/popular-seed.py`.
const SEED: &str = include_str!("../../data/popular-seed.txt");

/// A list imported into the cache.
#[derive(Debug, Serialize, Deserialize)]
struct StoredList {
    names: Vec<String>,
    /// Where it came from, as the user named it.
    origin: String,
}

/// Popular names, indexed for near-miss lookups.
#[derive(Debug, Default)]
pub struct PopularNames {
    /// Normalized, sorted and unique.
    names: Vec<String>,
    /// `(hash, index into names)` for every name with one character deleted (and the name
    /// itself), sorted: two names within one edit of each other share a hash (SymSpell), so
    /// candidates are found without comparing against the whole list. Hashes in one sorted
    /// vector rather than strings in a map: building the index allocates nothing per variant (it
    /// runs on every audit), and a hash collision only adds a candidate, which the caller's edit
    /// distance then rejects.
    deletions: Vec<(u64, u32)>,
    /// Names with `-` removed → index, for separator-only differences.
    joined: FxHashMap<String, u32>,
    /// Where the names came from, for the report.
    pub origins: Vec<String>,
    /// The length of the longest name: a name more than one character longer has no deletion
    /// in common with any popular name, so [`PopularNames::near`] answers at once.
    longest: usize,
}

impl PopularNames {
    /// Build from names (any spelling; normalized here).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I, origins: Vec<String>) -> Self {
        let unique: BTreeSet<String> = names
            .into_iter()
            .map(|name| normalize_package_name(name.as_ref().trim()))
            .filter(|name| !name.is_empty())
            // A list may hold anything; a name no reader would accept cannot be squatted.
            .filter(|name| name.len() <= crate::input::MAXIMUM_NAME_LENGTH)
            .collect();
        let names: Vec<String> = unique.into_iter().collect();
        let mut deletions: Vec<(u64, u32)> = Vec::with_capacity(names.len() * 12);
        let mut joined = FxHashMap::with_capacity_and_hasher(names.len(), Default::default());
        for (index, name) in names.iter().enumerate() {
            let index = index as u32;
            for_each_deletion(name, |hash| deletions.push((hash, index)));
            joined.entry(name.replace('-', "")).or_insert(index);
        }
        deletions.sort_unstable();
        deletions.dedup();
        let longest = names.iter().map(String::len).max().unwrap_or(0);
        Self {
            names,
            deletions,
            joined,
            origins,
            longest,
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn contains(&self, normalized: &str) -> bool {
        self.names
            .binary_search_by(|name| name.as_str().cmp(normalized))
            .is_ok()
    }

    /// Popular names within one deletion of `normalized` from either side: the candidates for
    /// edit distance ≤ 2 (each side may lose one character). May include a name further away
    /// (a hash collision); callers measure the distance.
    pub fn near(&self, normalized: &str) -> Vec<&str> {
        // Every deletion of a name longer than this is longer than every popular name: hashing
        // them all would cost the square of the name's length for nothing.
        if normalized.len() > self.longest + 1 {
            return Vec::new();
        }
        let mut found: Vec<u32> = Vec::new();
        for_each_deletion(normalized, |hash| {
            let start = self.deletions.partition_point(|&(key, _)| key < hash);
            found.extend(
                self.deletions[start..]
                    .iter()
                    .take_while(|&&(key, _)| key == hash)
                    .map(|&(_, index)| index),
            );
        });
        found.sort_unstable();
        found.dedup();
        found
            .into_iter()
            .map(|index| self.names[index as usize].as_str())
            .collect()
    }

    /// The popular name spelled the same once `-` separators are removed.
    pub fn same_without_separators(&self, normalized: &str) -> Option<&str> {
        self.joined
            .get(&normalized.replace('-', ""))
            .map(|&index| self.names[index as usize].as_str())
    }
}

/// Calls `visit` with the hash of `name` itself and of every string with one character removed.
/// The hash is fed one byte at a time so that equal strings hash alike wherever the deleted
/// character was.
fn for_each_deletion(name: &str, mut visit: impl FnMut(u64)) {
    let hash_of = |parts: [&[u8]; 2]| {
        let mut hasher = rustc_hash::FxHasher::default();
        for byte in parts.into_iter().flatten() {
            hasher.write_u8(*byte);
        }
        hasher.finish()
    };
    let bytes = name.as_bytes();
    visit(hash_of([bytes, &[]]));
    for (skip, character) in name.char_indices() {
        visit(hash_of([
            &bytes[..skip],
            &bytes[skip + character.len_utf8()..],
        ]));
    }
}

/// The built-in seed alone.
pub fn seed() -> PopularNames {
    let names = parse_text(SEED);
    let origins = vec![format!("built-in seed ({} names)", names.len())];
    PopularNames::new(names, origins)
}

/// The seed, the cached import and the configured files, merged.
pub fn load(cache: &Cache, files: &[std::path::PathBuf]) -> Result<PopularNames, EnrichError> {
    let mut names: Vec<String> = parse_text(SEED);
    let mut origins = vec![format!("built-in seed ({} names)", names.len())];
    if let Some(entry) = cache.get(&NAMESPACE, LIST_KEY)?
        && let Ok(stored) = serde_json::from_slice::<StoredList>(&entry.payload)
    {
        origins.push(format!(
            "{} ({} names, imported {})",
            stored.origin,
            stored.names.len(),
            crate::time::date_from_unix_millis(entry.fetched_at.unix_millis())
        ));
        names.extend(stored.names);
    }
    for file in files {
        let text = crate::input::read_to_string(file, crate::input::POPULAR_NAMES_BYTES).map_err(
            |error| {
                EnrichError::Input(format!(
                    "cannot read the popular-names file `{}` (from `[typosquat] popular`): {error}",
                    file.display()
                ))
            },
        )?;
        let parsed = parse(&text)
            .map_err(|error| EnrichError::Input(format!("{}: {error}", file.display())))?;
        origins.push(format!("{} ({} names)", file.display(), parsed.len()));
        names.extend(parsed);
    }
    Ok(PopularNames::new(names, origins))
}

/// Read a popular-names file and store it in the cache; returns how many names it held.
pub fn import(cache: &Cache, path: &Path, now: Timestamp) -> Result<usize, EnrichError> {
    let text =
        crate::input::read_to_string(path, crate::input::POPULAR_NAMES_BYTES).map_err(|error| {
            EnrichError::Input(format!("cannot read `{}`: {error}", path.display()))
        })?;
    let names =
        parse(&text).map_err(|error| EnrichError::Input(format!("{}: {error}", path.display())))?;
    if names.is_empty() {
        return Err(EnrichError::Input(format!(
            "{}: no package names found",
            path.display()
        )));
    }
    let stored = StoredList {
        names,
        origin: path.display().to_string(),
    };
    let value = serde_json::to_vec(&stored).expect("a list of strings serializes");
    // A list the user imported stays until the next import: a year is "until replaced".
    let freshness = Freshness::new(std::time::Duration::from_secs(365 * 86_400));
    cache.put(&NAMESPACE, LIST_KEY, &value, &freshness, now)?;
    cache.flush()?;
    Ok(stored.names.len())
}

/// Names from any accepted format; an error names the line of the first bad entry.
pub fn parse(text: &str) -> Result<Vec<String>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Top { rows: Vec<Row> },
            Names(Vec<String>),
        }
        #[derive(Deserialize)]
        struct Row {
            project: String,
        }
        let wire: Wire = serde_json::from_str(text).map_err(|error| {
            format!(
                "line {}: not a top-pypi-packages JSON (`rows[].project`) or a JSON array of \
                 names: {error}",
                error.line()
            )
        })?;
        return Ok(match wire {
            Wire::Top { rows } => rows.into_iter().map(|row| row.project).collect(),
            Wire::Names(names) => names,
        });
    }
    let mut names = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if !line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(format!(
                "line {}: `{line}` is not a package name",
                number + 1
            ));
        }
        names.push(line.to_string());
    }
    Ok(names)
}

fn parse_text(text: &str) -> Vec<String> {
    parse(text).expect("the built-in seed is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_read_and_bad_lines_named() {
        assert_eq!(
            parse("# top\nrequests\n\nNumPy  # comment\n").unwrap(),
            ["requests", "NumPy"]
        );
        assert_eq!(
            parse(r#"{"last_update": "x", "rows": [{"download_count": 1, "project": "boto3"}]}"#)
                .unwrap(),
            ["boto3"]
        );
        assert_eq!(parse(r#"["six", "idna"]"#).unwrap(), ["six", "idna"]);
        assert!(
            parse("requests\nnot a name\n")
                .unwrap_err()
                .starts_with("line 2:")
        );
        assert!(parse("{\"rows\": 3}").is_err());
    }

    #[test]
    fn near_finds_one_edit_on_either_side() {
        let popular = PopularNames::new(["requests", "urllib3", "python-dateutil"], Vec::new());
        assert!(popular.contains("requests"));
        assert_eq!(popular.near("reqests"), ["requests"]);
        assert_eq!(popular.near("requestss"), ["requests"]);
        assert_eq!(popular.near("reqeusts"), ["requests"]);
        assert_eq!(popular.near("urllib4"), ["urllib3"]);
        assert!(popular.near("flask").is_empty());
        assert_eq!(
            popular.same_without_separators("pythondateutil"),
            Some("python-dateutil")
        );
        assert!(PopularNames::new(parse_text(SEED), Vec::new()).len() > 500);
    }
}

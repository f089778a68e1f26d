//! Core metadata (`METADATA`, `PKG-INFO`): RFC 822-style headers up to the first blank line.
//! Only `Name`, `Version` and `Requires-Dist` are kept.

use std::path::Path;

use crate::lockfile::{Location, LockfileError};

pub struct CoreMetadata {
    pub name: String,
    pub name_line: usize,
    pub version: String,
    pub version_line: usize,
    pub requires: Vec<String>,
}

/// Parse the headers of a core metadata file read from `path`. Linear in the text.
pub fn parse(path: &Path, text: &str) -> Result<CoreMetadata, LockfileError> {
    let mut name = None;
    let mut version = None;
    let mut requires = Vec::new();
    // The header being read, with its line, so continuation lines extend it.
    let mut current: Option<(String, String, usize)> = None;
    let mut finish = |header: Option<(String, String, usize)>| {
        if let Some((key, value, line)) = header {
            let value = value.trim().to_string();
            match key.to_ascii_lowercase().as_str() {
                "name" if name.is_none() => name = Some((value, line)),
                "version" if version.is_none() => version = Some((value, line)),
                "requires-dist" => requires.push(value),
                _ => {}
            }
        }
    };
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value, _)) = &mut current {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        finish(current.take());
        if let Some((key, value)) = line.split_once(':') {
            current = Some((key.trim().to_string(), value.to_string(), number + 1));
        }
    }
    finish(current.take());
    let missing = |field: &str| LockfileError::Invalid {
        location: Location::new(path, 1),
        message: format!("core metadata without `{field}`"),
    };
    let (name, name_line) = name.ok_or_else(|| missing("Name"))?;
    let (version, version_line) = version.ok_or_else(|| missing("Version"))?;
    Ok(CoreMetadata {
        name,
        name_line,
        version,
        version_line,
        requires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_until_the_body() {
        let text = "Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\nRequires-Dist: a>=1\n\
                    Requires-Dist: b; extra == 'x'\nDescription: one\n  two\n\nRequires-Dist: body\n";
        let parsed = parse(Path::new("METADATA"), text).unwrap();
        assert_eq!(parsed.name, "Demo");
        assert_eq!(parsed.version_line, 3);
        assert_eq!(parsed.requires, vec!["a>=1", "b; extra == 'x'"]);
        let error = parse(Path::new("x/METADATA"), "Name: a\n").err().unwrap();
        assert_eq!(
            error.to_string(),
            "x/METADATA:1: core metadata without `Version`"
        );
    }
}

//! The zip central directory reader (APPNOTE.TXT 6.3 §4.3.12–4.3.16, with Zip64 §4.3.14–4.3.15)
//! for wheels fetched in pieces: find the end-of-central-directory record in the archive's tail,
//! then list the file names of the central directory — a wheel's file list without downloading
//! the wheel. Nothing is decompressed.
//!
//! Every error names the byte offset in the archive where the reader gave up.

/// Where the central directory lies in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryLocation {
    /// Absolute offset of its first byte.
    pub offset: u64,
    pub size: u64,
    pub entries: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {message}")]
pub struct ZipError {
    /// Absolute offset in the archive.
    pub offset: u64,
    pub message: String,
}

const END_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_END_SIGNATURE: u32 = 0x0606_4b50;
const ENTRY_SIGNATURE: u32 = 0x0201_4b50;
/// The fixed part of the end record; a comment of up to 65,535 bytes may follow it.
const END_LENGTH: usize = 22;
const ENTRY_LENGTH: usize = 46;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Find the central directory from the archive's last bytes: `tail` starts at absolute offset
/// `tail_offset` and ends at the end of the archive.
pub fn locate_directory(tail: &[u8], tail_offset: u64) -> Result<DirectoryLocation, ZipError> {
    let error = |at: usize, message: &str| ZipError {
        offset: tail_offset + at as u64,
        message: message.to_owned(),
    };
    // The end record is the last END_SIGNATURE whose comment length reaches the end exactly.
    let end = (0..=tail.len().saturating_sub(END_LENGTH))
        .rev()
        .find(|&at| {
            u32_at(tail, at) == Some(END_SIGNATURE)
                && u16_at(tail, at + 20)
                    .is_some_and(|comment| at + END_LENGTH + comment as usize == tail.len())
        })
        .ok_or_else(|| error(0, "no end-of-central-directory record: not a zip archive"))?;
    let entries = u16_at(tail, end + 10).unwrap_or(0);
    let size = u32_at(tail, end + 12).unwrap_or(0);
    let offset = u32_at(tail, end + 16).unwrap_or(0);
    let location = if entries == u16::MAX || size == u32::MAX || offset == u32::MAX {
        // Zip64: the locator sits right before the end record and points at the Zip64 end record.
        let locator = end
            .checked_sub(20)
            .filter(|&at| u32_at(tail, at) == Some(ZIP64_LOCATOR_SIGNATURE))
            .ok_or_else(|| error(end, "Zip64 sizes without a Zip64 locator"))?;
        let record = u64_at(tail, locator + 8).unwrap_or(u64::MAX);
        let at = record
            .checked_sub(tail_offset)
            .and_then(|at| usize::try_from(at).ok())
            .filter(|&at| u32_at(tail, at) == Some(ZIP64_END_SIGNATURE))
            .ok_or_else(|| {
                error(
                    locator,
                    "the Zip64 end record is not where its locator says",
                )
            })?;
        let field = |offset: usize| {
            u64_at(tail, at + offset).ok_or_else(|| error(at, "truncated Zip64 end record"))
        };
        DirectoryLocation {
            entries: field(32)?,
            size: field(40)?,
            offset: field(48)?,
        }
    } else {
        DirectoryLocation {
            offset: u64::from(offset),
            size: u64::from(size),
            entries: u64::from(entries),
        }
    };
    if location.offset.saturating_add(location.size) > tail_offset + end as u64 {
        return Err(error(
            end,
            "the central directory would end after the end record",
        ));
    }
    Ok(location)
}

/// The file names of a central directory (`directory` is exactly its bytes, which start at
/// absolute offset `offset`).
pub fn read_names(directory: &[u8], location: &DirectoryLocation) -> Result<Vec<String>, ZipError> {
    let error = |at: usize, message: String| ZipError {
        offset: location.offset + at as u64,
        message,
    };
    let mut names = Vec::new();
    let mut at = 0usize;
    for index in 0..location.entries {
        if u32_at(directory, at) != Some(ENTRY_SIGNATURE) {
            return Err(error(
                at,
                format!(
                    "entry {} of {} is not a central directory header",
                    index + 1,
                    location.entries
                ),
            ));
        }
        let (Some(name_length), Some(extra_length), Some(comment_length)) = (
            u16_at(directory, at + 28),
            u16_at(directory, at + 30),
            u16_at(directory, at + 32),
        ) else {
            return Err(error(at, "truncated central directory header".to_owned()));
        };
        let name_start = at + ENTRY_LENGTH;
        let name = directory
            .get(name_start..name_start + name_length as usize)
            .ok_or_else(|| error(at, "a file name runs past the central directory".to_owned()))?;
        // Names are UTF-8 (flag bit 11) or CP 437; wheel paths are ASCII in practice, and a
        // lossy decode keeps the ASCII parts that module names are made of.
        names.push(String::from_utf8_lossy(name).into_owned());
        at = name_start + name_length as usize + extra_length as usize + comment_length as usize;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    fn archive(names: &[&str], comment: &str) -> Vec<u8> {
        let mut buffer = std::io::Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut buffer);
            for name in names {
                writer
                    .start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                writer.write_all(b"x = 1\n").unwrap();
            }
            writer.set_comment(comment.to_owned()).unwrap();
            writer.finish().unwrap();
        }
        buffer.into_inner()
    }

    fn names_of(bytes: &[u8], tail_length: usize) -> Result<Vec<String>, ZipError> {
        let tail_start = bytes.len().saturating_sub(tail_length);
        let location = locate_directory(&bytes[tail_start..], tail_start as u64)?;
        let start = location.offset as usize;
        read_names(&bytes[start..start + location.size as usize], &location)
    }

    #[test]
    fn lists_names_from_a_tail() {
        let bytes = archive(
            &["yaml/__init__.py", "PyYAML-6.0.dist-info/RECORD"],
            "a comment",
        );
        assert_eq!(
            names_of(&bytes, 200).unwrap(),
            vec!["yaml/__init__.py", "PyYAML-6.0.dist-info/RECORD"]
        );
        assert_eq!(names_of(&bytes, bytes.len()).unwrap().len(), 2);
    }

    #[test]
    fn errors_name_the_offset() {
        let error = names_of(b"not a zip at all, just text padding it out", 100).unwrap_err();
        assert_eq!(
            error.to_string(),
            "byte 0: no end-of-central-directory record: not a zip archive"
        );
        let mut bytes = archive(&["a.py"], "");
        let location = locate_directory(&bytes, 0).unwrap();
        bytes[location.offset as usize] = b'X';
        let error = names_of(&bytes, bytes.len()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("entry 1 of 1 is not a central directory header")
        );
        assert_eq!(error.offset, location.offset);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn never_panics_on_mutated_archives(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = archive(&["pkg/__init__.py", "pkg/sub/mod.py", "x.dist-info/RECORD"], "c");
            for (index, value) in flips {
                let at = index.index(bytes.len());
                bytes[at] = value;
            }
            let tail = cut.index(bytes.len() + 1);
            let tail_start = bytes.len() - tail;
            if let Ok(location) = locate_directory(&bytes[tail_start..], tail_start as u64) {
                let start = usize::try_from(location.offset).unwrap();
                let end = start + usize::try_from(location.size).unwrap();
                prop_assert!(end <= bytes.len());
                let _ = read_names(&bytes[start..end], &location);
            }
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200), offset in 0u64..1_000) {
            if let Ok(location) = locate_directory(&bytes, offset) {
                let _ = read_names(&bytes, &location);
            }
        }
    }
}

//! `pyaudit db export FILE`: the local advisory database as one file, so that every shard of a
//! sharded org run (or every job of a CI matrix) imports the same data snapshot with
//! `pyaudit db import FILE` instead of sharing a live cache (sled is one process's).
//!
//! The file is a zip archive of two members: `advisories.jsonl`, the stored records (one per
//! line, each once), and `pyaudit-db-export`, a small JSON manifest with the source, coverage
//! and the newest record's `modified` (the data's own age). Neither name ends in `.json`, so an
//! OSV tool that reads every `.json` member of a zip does not mistake them for OSV records.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use pyaudit_advisories::Advisory;
use serde::{Deserialize, Serialize};

/// The manifest member; its presence is what makes a zip a pyaudit export.
pub const MANIFEST: &str = "pyaudit-db-export";
/// The records member.
pub const RECORDS: &str = "advisories.jsonl";
pub const SCHEMA: &str = "pyaudit-db-export/1";

/// An export holds at most this much uncompressed (OSV's whole PyPI feed is far smaller), so a
/// crafted archive cannot exhaust memory on import.
const MAX_RECORDS_BYTES: u64 = 4 * 1024 * 1024 * 1024;
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// What the export says of its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    /// Where the exported database came from (`db import` paths or the `db sync` URL).
    pub source: String,
    /// A complete copy of its advisory source (it may answer for packages it has no record of).
    pub complete: bool,
    /// The newest `modified` of any record: the data's age, kept through the export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
    pub records: usize,
    /// When the exported database was imported or synced (unix milliseconds).
    pub imported_at: i64,
    /// When the export was written (unix milliseconds).
    pub exported_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write `{}`", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a readable pyaudit export: {message}", path.display())]
    Read {
        path: std::path::PathBuf,
        message: String,
    },
}

/// Writes the export to `path` (through a temporary file beside it, so a reader never sees half
/// a file).
pub fn write(path: &Path, manifest: &Manifest, records: &[Advisory]) -> Result<(), ExportError> {
    let error = |source: std::io::Error| ExportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = tempfile::NamedTempFile::new_in(directory).map_err(error)?;
    let mut archive =
        zip::ZipWriter::new(std::io::BufWriter::new(temporary.reopen().map_err(error)?));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let zip_error = |source: zip::result::ZipError| error(std::io::Error::other(source));
    archive.start_file(MANIFEST, options).map_err(zip_error)?;
    let manifest_bytes =
        serde_json::to_vec_pretty(manifest).map_err(|source| error(source.into()))?;
    archive.write_all(&manifest_bytes).map_err(error)?;
    archive.start_file(RECORDS, options).map_err(zip_error)?;
    for record in records {
        let line = serde_json::to_vec(record).map_err(|source| error(source.into()))?;
        archive.write_all(&line).map_err(error)?;
        archive.write_all(b"\n").map_err(error)?;
    }
    let mut writer = archive.finish().map_err(zip_error)?;
    writer.flush().map_err(error)?;
    drop(writer);
    temporary
        .persist(path)
        .map_err(|persist| error(persist.error))?;
    Ok(())
}

/// The export at `path`: `Ok(None)` when it is not one (no manifest member: an OSV `all.zip`,
/// a directory), an error when it claims to be one and cannot be read.
pub fn read(path: &Path) -> Result<Option<(Manifest, Vec<Advisory>)>, ExportError> {
    if !path.is_file() {
        return Ok(None);
    }
    let failed = |message: String| ExportError::Read {
        path: path.to_path_buf(),
        message,
    };
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let Ok(mut archive) = zip::ZipArchive::new(BufReader::new(file)) else {
        return Ok(None);
    };
    let manifest: Manifest = {
        let Ok(member) = archive.by_name(MANIFEST) else {
            return Ok(None);
        };
        let mut text = String::new();
        member
            .take(MAX_MANIFEST_BYTES)
            .read_to_string(&mut text)
            .map_err(|error| failed(format!("manifest: {error}")))?;
        serde_json::from_str(&text).map_err(|error| failed(format!("manifest: {error}")))?
    };
    if manifest.schema != SCHEMA {
        return Err(failed(format!(
            "schema `{}`, this pyaudit reads `{SCHEMA}`",
            manifest.schema
        )));
    }
    let member = archive
        .by_name(RECORDS)
        .map_err(|error| failed(format!("`{RECORDS}`: {error}")))?;
    let mut records = Vec::with_capacity(manifest.records.min(1_000_000));
    for (number, line) in BufReader::new(member.take(MAX_RECORDS_BYTES))
        .lines()
        .enumerate()
    {
        let line = line.map_err(|error| failed(format!("`{RECORDS}`: {error}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Advisory = serde_json::from_str(&line)
            .map_err(|error| failed(format!("`{RECORDS}` line {}: {error}", number + 1)))?;
        records.push(record);
    }
    Ok(Some((manifest, records)))
}

//! pyaudit-advisories: OSV advisory records (OSV schema 1.6) matched against PEP 440 versions.
//!
//! The crate reads OSV records from JSON or YAML ([`record`]), decides whether a PyPI version is
//! affected with the OSV evaluation algorithm on PEP 440 ordering ([`matching`]), scores CVSS
//! vectors ([`severity`]), merges records that describe one vulnerability under several ids
//! ([`merge`]), and keeps a local, indexed advisory database loaded from a directory or an OSV
//! `all.zip` export ([`database`]). It does no network access and no caching: callers hand it
//! files or records, and may store a [`Database`] through its serde form.
#![forbid(unsafe_code)]

pub mod bounded;
pub mod database;
pub mod matching;
pub mod merge;
pub mod record;
pub mod severity;

pub use database::{Database, DatabaseError, DatabaseStats, LoadError};
pub use merge::Vulnerability;
pub use pep440_rs::Version;
pub use record::{
    Advisory, AffectedPackage, AffectedRange, EventVersion, RangeEvent, RangeKind, RecordError,
    RecordFormat, Reference, SeverityVector, normalize_package_name,
};
pub use severity::{Rating, Severity, SeveritySource};

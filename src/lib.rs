//! pyaudit: a dependency supply-chain auditor for Python projects.
//!
//! The data flows one way: lockfile → readers (`lockfile`) → graph (`graph`) → … → reports.
#![forbid(unsafe_code)]

pub mod graph;
pub mod lockfile;

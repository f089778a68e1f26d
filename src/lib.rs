//! pyaudit: a dependency supply-chain auditor for Python projects.
//!
//! The data flows one way: lockfile → readers (`lockfile`) → graph (`graph`) → reports (`report`);
//! `commands` wires the stages for each subcommand of `cli`.
#![forbid(unsafe_code)]

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod enrich;
pub mod fetch;
pub mod findings;
pub mod graph;
pub mod input;
pub mod lockfile;
pub mod org;
pub mod policy;
pub mod progress;
pub mod redact;
pub mod remediation;
pub mod report;
pub mod review;
pub mod sanitize;
pub mod time;
pub mod usage;

//! The integration tests, as one test binary: each module below was once its own binary, and
//! linking the whole crate into 22 binaries was most of the suite's build time.
//!
//! `cargo test --test it MODULE::` runs one module (`cargo test --test it snapshots::`).
//! Everything the modules share is in `support`: the one hermetic `pyaudit` command
//! (`support::command`), the in-repository data corpus (`support::corpus`) and the one loopback
//! OSV/PyPI server setup (`support::server::Served`).

mod support;

mod cache_robustness;
mod cli;
mod config_schema;
mod distribution;
mod enrich;
mod fetch;
mod fix;
mod hostile;
mod hostile_inputs;
mod lock;
mod lock_inputs;
mod metadata;
mod org;
mod org_html;
mod org_shards;
mod poetry_lock_reader;
mod reader_robustness;
mod readme;
mod real_fixtures;
mod report_formats;
mod requirements_pip;
mod review;
mod rules;
mod rules_unit;
mod simple_api;
mod snapshots;
mod snapshots_org_review;
mod usage;
mod uv_lock_reader;

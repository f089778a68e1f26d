//! `pyaudit db import|sync|status`: the local advisory database.

use anyhow::{Result, bail};

use super::Outcome;
use crate::cli::DbCommand;

pub fn run(_command: &DbCommand, _quiet: bool) -> Result<(String, Outcome)> {
    bail!("the local advisory database is not wired yet")
}

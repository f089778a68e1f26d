//! `pyaudit completions SHELL` and `pyaudit man`: shell completion scripts and roff man pages,
//! both generated from the clap definitions in `cli`, so they list exactly the commands and
//! options the binary accepts.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use super::Outcome;
use crate::cli::Cli;

/// The name users type; completion scripts register themselves for it.
const BIN_NAME: &str = "pyaudit";

/// The `EXIT STATUS` section of `pyaudit(1)`, the same table as in README.md.
const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
The command did its job and found nothing to report (\fBlock\fR: no deny\-level finding).
.TP
\fB1\fR
Findings (\fBlock\fR: deny\-level findings; \fBwhy\fR: the package is not in the lock; \fBdb status\fR: no database).
.TP
\fB2\fR
pyaudit could not do its job: unreadable or malformed input, bad arguments, \fB\-\-offline\fR with no data.
.SH ENVIRONMENT
.TP
\fBPYAUDIT_CACHE_DIR\fR
The cache directory (answers from OSV and PyPI, the local advisory database).
.TP
\fBPYAUDIT_OSV_URL\fR, \fBPYAUDIT_PYPI_URL\fR, \fBPYAUDIT_OSV_DB_URL\fR
Where the services are.
"#;

/// `pyaudit completions SHELL`: the script on standard output.
pub fn completions(shell: Shell) -> Result<(String, Outcome)> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN_NAME, &mut script);
    let script = String::from_utf8(script).context("the completion script is not UTF-8")?;
    Ok((script, Outcome::Clean))
}

/// `pyaudit man`: `pyaudit(1)` on standard output, or every command's page written into
/// `output_dir` (the written paths are listed on standard output).
pub fn man(output_dir: Option<&Path>) -> Result<(String, Outcome)> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    match output_dir {
        None => Ok((render_page(&command, true, &[])?, Outcome::Clean)),
        Some(directory) => {
            std::fs::create_dir_all(directory).with_context(|| {
                format!("cannot create the directory `{}`", directory.display())
            })?;
            let mut pages = Vec::new();
            collect_pages(&command, &mut pages);
            let names: Vec<String> = pages
                .iter()
                .skip(1)
                .map(|page| format!("{}(1)", page_name(page)))
                .collect();
            let mut listing = String::new();
            for (index, page) in pages.iter().enumerate() {
                let see_also = if index == 0 { &names[..] } else { &[][..] };
                let text = render_page(page, index == 0, see_also)?;
                let path: PathBuf = directory.join(format!("{}.1", page_name(page)));
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write `{}`", path.display()))?;
                let _ = writeln!(listing, "{}", path.display());
            }
            Ok((listing, Outcome::Clean))
        }
    }
}

/// The command and every visible subcommand, depth first, parents before children.
fn collect_pages(command: &clap::Command, pages: &mut Vec<clap::Command>) {
    pages.push(command.clone());
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        collect_pages(sub, pages);
    }
}

/// `pyaudit-db-import` for `pyaudit db import`: clap sets the display name of built subcommands.
fn page_name(command: &clap::Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_string()
}

fn render_page(command: &clap::Command, main: bool, see_also: &[String]) -> Result<String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .manual("pyaudit manual")
        .render(&mut page)
        .context("cannot render the man page")?;
    let mut page = String::from_utf8(page).context("the man page is not UTF-8")?;
    if main {
        page.push_str(EXIT_STATUS);
        if !see_also.is_empty() {
            let _ = writeln!(page, ".SH \"SEE ALSO\"\n{}", see_also.join(", "));
        }
    }
    Ok(page)
}

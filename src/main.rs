//! The `pyaudit` binary: parse arguments, run one command, turn the outcome into an exit status.
//! Exit codes: 0 clean, 1 findings, 2 the audit could not be completed (a package could not be
//! checked, or an error), 3 (`review`) needs review.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use pyaudit::cli::{Cli, Command};
use pyaudit::commands::{self, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let context = commands::Invocation::new(cli.quiet);
    let result = match &cli.command {
        Command::Graph(args) => commands::graph::run(args, cli.quiet),
        Command::Why(args) => commands::why::run(args, cli.quiet),
        Command::Lock(args) => commands::lock::run(args, &context),
        Command::Org(args) => commands::org::run(args, &context),
        Command::OrgMerge(args) => commands::org_merge::run(args, &context),
        Command::Review(args) => commands::review::run(args, &context),
        Command::Usage(args) => commands::usage::run(args, &context),
        Command::Fix(args) => commands::fix::run(args, &context),
        Command::Db(command) => commands::db::run(command, &context),
        Command::Cache(command) => commands::cache::run(command, &context),
        Command::Explain { rule } => commands::explain::run(rule.as_deref()),
        Command::Init { path, force } => commands::init::run(path, *force),
        Command::Completions { shell } => commands::completions::completions(*shell),
        Command::Man { output_dir } => commands::completions::man(output_dir.as_deref()),
    };
    match result {
        Ok((output, outcome)) => {
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = stdout
                .write_all(output.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A closed pipe (`pyaudit graph | head`) is the reader's choice, not a failure.
                if error.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("error: cannot write output: {error}");
                    return ExitCode::from(2);
                }
            }
            match outcome {
                Outcome::Clean => ExitCode::SUCCESS,
                Outcome::Findings => ExitCode::from(1),
                Outcome::NeedsReview => ExitCode::from(3),
                Outcome::Incomplete => {
                    eprintln!(
                        "error: the audit is incomplete: some packages could not be checked \
                         (PA001/PA004 above); exit status 2"
                    );
                    ExitCode::from(2)
                }
            }
        }
        Err(error) => {
            // Errors quote lockfiles, configs and servers: no credential and no raw control
            // character reaches the terminal or the CI log.
            eprintln!("error: {}", commands::for_stderr(&error.to_string()));
            for cause in error.chain().skip(1) {
                eprintln!("  cause: {}", commands::for_stderr(&cause.to_string()));
            }
            ExitCode::from(2)
        }
    }
}

//! Loads an advisory database (a directory or an OSV `all.zip`) and prints how long it took:
//! `cargo run --release -p pyaudit-advisories --example load_database -- ../shared/advisories/pypa`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use pyaudit_advisories::Database;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: load_database PATH");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let database = match Database::load(&path) {
        Ok(database) => database,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let elapsed = started.elapsed();
    // Written through a locked handle and errors ignored, so `| head` ends it quietly.
    let mut output = std::io::stdout().lock();
    let _ = writeln!(
        output,
        "loaded `{}` in {:.3} s",
        path.display(),
        elapsed.as_secs_f64()
    );
    let _ = writeln!(output, "{:?}", database.stats());
    for error in database.load_errors() {
        let _ = writeln!(output, "load error: {error}");
    }
    ExitCode::SUCCESS
}

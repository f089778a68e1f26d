//! Progress on stderr: bars and spinners on a terminal, one log line per finished stage
//! otherwise (for commands that log their stages), nothing with `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    quiet: bool,
    terminal: bool,
    /// Off a terminal, finished stages are logged as `<prefix>: <message>`; `None` logs nothing.
    log_prefix: Option<&'static str>,
}

impl Progress {
    pub fn new(quiet: bool, log_prefix: Option<&'static str>) -> Self {
        Self {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            log_prefix,
        }
    }

    /// Nothing at all: for callers that draw their own.
    pub fn hidden() -> Self {
        Self {
            quiet: true,
            terminal: false,
            log_prefix: None,
        }
    }

    pub fn bar(&self, length: usize, message: &str) -> ProgressBar {
        if self.quiet || !self.terminal {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(length as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:20} [{bar:30}] {pos}/{len} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar
    }

    pub fn spinner(&self, message: &str) -> ProgressBar {
        if self.quiet || !self.terminal {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar.set_message(message.to_string());
        bar
    }

    /// End a stage: the bar's last word on a terminal, a log line otherwise.
    pub fn done(&self, bar: ProgressBar, message: String) {
        if self.terminal && !self.quiet {
            bar.finish_and_clear();
            if self.log_prefix.is_some() {
                eprintln!("{}", crate::commands::for_stderr(&message));
            }
        } else {
            self.log(message);
        }
    }

    pub fn log(&self, message: String) {
        if let (false, Some(prefix)) = (self.quiet, self.log_prefix) {
            eprintln!("{prefix}: {}", crate::commands::for_stderr(&message));
        }
    }
}

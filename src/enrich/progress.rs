//! One progress bar over every request of a run's wave, with what is done per source. Drawn on
//! stderr only when the caller asks (a terminal, not `--quiet`); otherwise every call is a no-op,
//! so reports piped to a file or checked by tests never see it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a request of the wave asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OsvQuery,
    OsvRecord,
    PypiJson,
    PypiSimple,
}

const KINDS: [(Kind, &str); 4] = [
    (Kind::OsvQuery, "OSV queries"),
    (Kind::OsvRecord, "OSV records"),
    (Kind::PypiJson, "PyPI JSON"),
    (Kind::PypiSimple, "PyPI Simple"),
];

/// Shared by the tasks of one wave; cloning shares the bar and the counts.
#[derive(Clone, Default)]
pub struct WaveProgress {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    bar: ProgressBar,
    /// Per kind: (planned, done).
    counts: [(AtomicU64, AtomicU64); 4],
}

impl WaveProgress {
    /// A bar on stderr when `enabled`, else nothing at all.
    pub fn new(enabled: bool) -> Self {
        if !enabled {
            return Self::default();
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Self {
            inner: Some(Arc::new(Inner {
                bar,
                counts: Default::default(),
            })),
        }
    }

    /// `count` more requests of `kind` are on their way.
    pub fn planned(&self, kind: Kind, count: usize) {
        if let Some(inner) = &self.inner
            && count > 0
        {
            inner.counts[index(kind)]
                .0
                .fetch_add(count as u64, Ordering::Relaxed);
            inner.bar.inc_length(count as u64);
            inner.refresh();
        }
    }

    /// One request of `kind` has its answer (or its final failure).
    pub fn done(&self, kind: Kind) {
        if let Some(inner) = &self.inner {
            inner.counts[index(kind)].1.fetch_add(1, Ordering::Relaxed);
            inner.bar.inc(1);
            inner.refresh();
        }
    }

    /// Clears the bar: the report follows on stdout.
    pub fn finish(&self) {
        if let Some(inner) = &self.inner {
            inner.bar.finish_and_clear();
        }
    }
}

impl Inner {
    fn refresh(&self) {
        let parts: Vec<String> = KINDS
            .iter()
            .enumerate()
            .filter_map(|(position, (_, label))| {
                let (planned, done) = &self.counts[position];
                let planned = planned.load(Ordering::Relaxed);
                (planned > 0).then(|| format!("{label} {}/{planned}", done.load(Ordering::Relaxed)))
            })
            .collect();
        self.bar.set_message(parts.join(" · "));
    }
}

fn index(kind: Kind) -> usize {
    KINDS
        .iter()
        .position(|(known, _)| *known == kind)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_bar_draws_nothing_and_counts_nothing() {
        let progress = WaveProgress::new(false);
        progress.planned(Kind::PypiJson, 3);
        progress.done(Kind::PypiJson);
        progress.finish();
        assert!(progress.inner.is_none());
    }

    #[test]
    fn counts_per_source() {
        let inner = Inner {
            bar: ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden()),
            counts: Default::default(),
        };
        let progress = WaveProgress {
            inner: Some(Arc::new(inner)),
        };
        progress.planned(Kind::OsvQuery, 1);
        progress.planned(Kind::PypiSimple, 2);
        progress.done(Kind::PypiSimple);
        let inner = progress.inner.as_ref().unwrap();
        inner.refresh();
        assert_eq!(inner.bar.message(), "OSV queries 0/1 · PyPI Simple 1/2");
        assert_eq!(inner.bar.length(), Some(3));
        assert_eq!(inner.bar.position(), 1);
    }
}

//! A small scoped thread pool: the org run parses and evaluates thousands of lockfiles, each
//! independent of the others.

use std::sync::Mutex;

use indicatif::ProgressBar;

/// Run `work` over `items` on `threads` threads, results in the order of `items`. Items are
/// moved into the workers, so what they own (a graph) is dropped as soon as it is done with.
pub fn map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    bar: &ProgressBar,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let count = items.len();
    let queue = Mutex::new(items.into_iter().enumerate());
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(count).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.clamp(1, count.max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .next();
                        let Some((index, item)) = next else { break };
                        done.push((index, work(item)));
                        bar.inc(1);
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(done) => {
                    for (index, result) in done {
                        results[index] = Some(result);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..100).collect();
        for threads in [1, 2, 7, 200] {
            let doubled = super::map(
                items.clone(),
                threads,
                &indicatif::ProgressBar::hidden(),
                |n| n * 2,
            );
            assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        }
        assert!(
            super::map(
                Vec::<u32>::new(),
                4,
                &indicatif::ProgressBar::hidden(),
                |n| n
            )
            .is_empty()
        );
    }
}

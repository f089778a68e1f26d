//! The bound on requests in flight to one origin, which opens up only when the server is slow.
//!
//! Why not a fixed bound: a server that answers in a fraction of a millisecond (a mirror on the
//! same network, the loopback servers of tests and benchmarks) is busy with its own work, and a
//! hundred connections at once only add connection and thread set-up on its side — measured on
//! the loopback benchmark, 100 packages at 0 ms: 8 in flight 100 ms, 128 in flight 170 ms. A
//! server far away is the opposite: each request waits on latency, and only many in flight keep
//! a cold run to a couple of round trips. So a run starts with [`INITIAL_IN_FLIGHT`] slots and,
//! as soon as no request has finished for [`STALL`] while others wait for a slot, opens every
//! slot up to the cap at once: a fast server never triggers it, a slow one pays `STALL` once.
//!
//! A pause is only read as distance while no answer has come back faster than [`NEAR`]. Once
//! one has, the server is near and a pause is its own work (CPython's lock, a machine whose
//! cores the client shares): measured on the loopback benchmark at 0 ms, opening the slots on
//! such pauses took 500 packages from 200 to 276 ms and crewAI's lock from 207 to 247 ms. A near
//! server that is slow for some requests (a cache in front of a far origin) still opens the
//! slots through [`SLOW_REQUEST_NEAR`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};
// The runtime's clock, so tests can run it paused.
use tokio::time::Instant;

/// Slots a host starts with. Enough to keep a fast server busy (a fast server is limited by its
/// own work, not by how many ask at once).
pub const INITIAL_IN_FLIGHT: usize = 8;

/// How long nothing may finish, while requests wait for a slot, before the host counts as slow.
/// Longer than a busy fast server's pauses (CPython hands its lock over every 5 ms), far shorter
/// than a round trip to a remote service.
pub const STALL: Duration = Duration::from_millis(8);

/// How long one small GET may be in flight, while others finish and more wait, before the host
/// counts as slow: a server that answers some requests at once and others after a round trip
/// (a cache in front of a slow origin). Longer than [`STALL`]: on a busy machine a fast
/// server's GET can take a few milliseconds, and opening the slots then only adds load.
pub const SLOW_REQUEST: Duration = Duration::from_millis(20);

/// [`SLOW_REQUEST`] for a near server: longer, because a near server that is merely busy keeps
/// single requests waiting for tens of milliseconds (CPython hands its lock over every 5 ms, and
/// the server shares the machine's cores with the client), while a request it forwards to a far
/// origin takes that origin's round trip.
pub const SLOW_REQUEST_NEAR: Duration = Duration::from_millis(50);

/// An answer this fast says the server is near: the network adds nothing worth more requests
/// in flight, so a later pause is the server's own work, not distance. Above a loopback or LAN
/// round trip, below any round trip to another region.
pub const NEAR: Duration = Duration::from_millis(4);

/// The slots of one origin.
#[derive(Debug)]
pub struct HostLimit {
    slots: Arc<Semaphore>,
    cap: usize,
    state: Mutex<LimitState>,
}

#[derive(Debug)]
struct LimitState {
    /// Slots handed to the semaphore so far (initial plus any growth).
    granted: usize,
    /// The last time a request finished, or the limit was created.
    last_progress: Instant,
    /// When each timed request in flight started, by ticket: the oldest is the latency signal.
    timed: BTreeMap<(Instant, u64), ()>,
    next_ticket: u64,
    /// A timed request has been answered within [`NEAR`].
    near: bool,
}

/// A slot held by one request; dropping it gives the slot back and counts as progress.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    limit: Arc<HostLimit>,
    timed: Option<(Instant, u64)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.limit.state();
        let now = Instant::now();
        state.last_progress = now;
        if let Some(ticket) = self.timed {
            state.timed.remove(&ticket);
            if now.duration_since(ticket.0) < NEAR {
                state.near = true;
            }
        }
    }
}

impl HostLimit {
    /// A limit that starts at `initial` slots (at least 1) and may open up to `cap`.
    pub fn new(initial: usize, cap: usize) -> Self {
        let cap = cap.max(1);
        let initial = initial.clamp(1, cap);
        Self {
            slots: Arc::new(Semaphore::new(initial)),
            cap,
            state: Mutex::new(LimitState {
                granted: initial,
                last_progress: Instant::now(),
                timed: BTreeMap::new(),
                next_ticket: 0,
                near: false,
            }),
        }
    }

    /// Waits for a slot; while waiting, opens every slot when the host has stalled. `timed`: the
    /// request's time in flight measures the host's latency (a small GET), where a batch query's
    /// time measures its own size and would open the slots of a fast server.
    pub async fn acquire(self: &Arc<Self>, timed: bool) -> Result<Slot, AcquireError> {
        // One acquire for the whole wait: the semaphore is fair, and a new one would go to the
        // back of the queue at every check.
        let acquire = Arc::clone(&self.slots).acquire_owned();
        tokio::pin!(acquire);
        let permit = loop {
            if self.state().granted >= self.cap {
                break acquire.await?;
            }
            match tokio::time::timeout(STALL, &mut acquire).await {
                Ok(permit) => break permit?,
                Err(_waited) => self.open_if_stalled(Instant::now()),
            }
        };
        let timed = timed.then(|| {
            let mut state = self.state();
            let ticket = (Instant::now(), state.next_ticket);
            state.next_ticket += 1;
            state.timed.insert(ticket, ());
            ticket
        });
        Ok(Slot {
            _permit: permit,
            limit: Arc::clone(self),
            timed,
        })
    }

    /// Slots currently granted (for tests and diagnostics).
    pub fn granted(&self) -> usize {
        self.state().granted
    }

    /// Stalled: nothing finished for [`STALL`] on a host not known to be near, or a timed
    /// request has been in flight for [`SLOW_REQUEST`] ([`SLOW_REQUEST_NEAR`] on a near one).
    fn open_if_stalled(&self, now: Instant) {
        let mut state = self.state();
        if state.granted >= self.cap {
            return;
        }
        let quiet = !state.near && now.duration_since(state.last_progress) >= STALL;
        let slow_request = if state.near {
            SLOW_REQUEST_NEAR
        } else {
            SLOW_REQUEST
        };
        let slow = state
            .timed
            .keys()
            .next()
            .is_some_and(|(started, _)| now.duration_since(*started) >= slow_request);
        if quiet || slow {
            self.slots.add_permits(self.cap - state.granted);
            state.granted = self.cap;
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LimitState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` timed requests, each holding its slot for `hold`.
    fn requests(
        limit: &Arc<HostLimit>,
        count: usize,
        hold: Duration,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        (0..count)
            .map(|_| {
                let limit = Arc::clone(limit);
                tokio::spawn(async move {
                    let slot = limit.acquire(true).await.unwrap();
                    tokio::time::sleep(hold).await;
                    drop(slot);
                })
            })
            .collect()
    }

    async fn all(tasks: Vec<tokio::task::JoinHandle<()>>) {
        for task in tasks {
            task.await.unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_host_keeps_its_initial_slots() {
        let limit = Arc::new(HostLimit::new(2, 64));
        // Each request finishes after 1 ms: the waiters never see a stall.
        all(requests(&limit, 20, Duration::from_millis(1))).await;
        assert_eq!(limit.granted(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_near_host_that_pauses_keeps_its_initial_slots() {
        let limit = Arc::new(HostLimit::new(2, 64));
        all(requests(&limit, 4, Duration::from_millis(1))).await;
        // Then the server pauses longer than a stall (but answers within a slow request's
        // time) while others wait: its own work, not distance.
        all(requests(&limit, 6, Duration::from_millis(15))).await;
        assert_eq!(limit.granted(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_host_that_never_answered_fast_opens_on_the_same_pause() {
        let limit = Arc::new(HostLimit::new(2, 64));
        all(requests(&limit, 6, Duration::from_millis(15))).await;
        assert_eq!(limit.granted(), 64);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_host_opens_every_slot_after_one_stall() {
        let limit = Arc::new(HostLimit::new(2, 64));
        let started = tokio::time::Instant::now();
        all(requests(&limit, 64, Duration::from_millis(50))).await;
        assert_eq!(limit.granted(), 64);
        // One stall, then one round trip for everyone: not 32 round trips of 2.
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_millis(50) + STALL * 2,
            "{elapsed:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_slow_request_among_fast_ones_opens_the_slots() {
        let limit = Arc::new(HostLimit::new(2, 64));
        let slow = limit.acquire(true).await.unwrap();
        // The other slot keeps finishing fast requests, so the host is never quiet; the queue
        // behind it is long enough that a waiter waits a whole stall.
        let fast = requests(&limit, 100, Duration::from_millis(1));
        // The fast answers make the host near, so only a near host's slow request counts.
        tokio::time::sleep(SLOW_REQUEST + STALL * 2).await;
        assert_eq!(limit.granted(), 2);
        tokio::time::sleep(SLOW_REQUEST_NEAR - SLOW_REQUEST).await;
        // A request held that long is latency: the slots opened.
        assert_eq!(limit.granted(), 64);
        drop(slow);
        all(fast).await;
    }

    #[tokio::test(start_paused = true)]
    async fn one_slow_request_to_a_far_host_opens_the_slots_sooner() {
        let limit = Arc::new(HostLimit::new(2, 64));
        let slow = limit.acquire(true).await.unwrap();
        // Answers that are quick but not near (a host a few milliseconds away).
        let quick = requests(&limit, 30, NEAR + Duration::from_millis(1));
        tokio::time::sleep(SLOW_REQUEST + STALL * 2).await;
        assert_eq!(limit.granted(), 64);
        drop(slow);
        all(quick).await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_untimed_batch_does_not_open_the_slots() {
        let limit = Arc::new(HostLimit::new(2, 64));
        let batch = limit.acquire(false).await.unwrap();
        all(requests(&limit, 30, Duration::from_millis(1))).await;
        assert_eq!(limit.granted(), 2);
        drop(batch);
    }

    #[tokio::test(start_paused = true)]
    async fn the_cap_is_never_exceeded() {
        let limit = HostLimit::new(100, 3);
        assert_eq!(limit.granted(), 3);
        limit.open_if_stalled(Instant::now() + STALL * 2);
        assert_eq!(limit.granted(), 3);
    }
}

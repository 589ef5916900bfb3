//! The controller's one clock: wall time (ticks, job timestamps, windows of statistics) and
//! monotonic time (leases, pacing, timeouts, polling) from the same source, so that everything
//! periodic can be tested on a clock the test moves instead of on minutes of wall clock.
//!
//! Production runs on [`Clock::system`]: `Utc::now()` and tokio's clock. Tests use
//! [`Clock::manual`]: time stands still until the test calls [`Clock::advance`], and every
//! [`Clock::sleep_until`] wakes exactly when the manual time passes its deadline. I/O (Redis,
//! SQLite, HTTP) runs on real time meanwhile, which is why this is not tokio's paused time: a
//! paused runtime jumps its clock while a socket reply is on its way and fires the client's
//! response timeouts early.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::time::Instant;

#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System,
    Manual(Arc<Manual>),
}

/// A clock that moves only when told to.
struct Manual {
    wall_origin: DateTime<Utc>,
    instant_origin: Instant,
    /// Time since the origins; every sleeper watches it.
    elapsed: watch::Sender<Duration>,
    /// The deadline (time since the origins) of every task asleep on this clock right now.
    sleepers: watch::Sender<Vec<Duration>>,
}

impl Clock {
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock standing at `start` until [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Self {
        let (elapsed, _) = watch::channel(Duration::ZERO);
        Self(Source::Manual(Arc::new(Manual {
            wall_origin: start,
            instant_origin: Instant::now(),
            elapsed,
            sleepers: watch::channel(Vec::new()).0,
        })))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Source::System => Utc::now(),
            Source::Manual(m) => m.wall_origin + m.elapsed(),
        }
    }

    pub fn instant(&self) -> Instant {
        match &self.0 {
            Source::System => Instant::now(),
            Source::Manual(m) => m.instant_origin + m.elapsed(),
        }
    }

    pub async fn sleep(&self, duration: Duration) {
        self.sleep_until(self.instant() + duration).await;
    }

    pub async fn sleep_until(&self, deadline: Instant) {
        match &self.0 {
            Source::System => tokio::time::sleep_until(deadline).await,
            Source::Manual(m) => {
                let target = deadline.saturating_duration_since(m.instant_origin);
                let mut elapsed = m.elapsed.subscribe();
                let _sleeping = Sleeping::new(&m.sleepers, target);
                // The sender lives as long as `m`, which this borrow keeps alive.
                let _ = elapsed.wait_for(|now| *now >= target).await;
            }
        }
    }

    /// Moves a manual clock forward, waking every sleeper whose deadline it passes. A system
    /// clock is not moved: it is never asked to (only tests hold manual clocks).
    pub fn advance(&self, by: Duration) {
        if let Source::Manual(m) = &self.0 {
            m.elapsed.send_modify(|elapsed| *elapsed += by);
        }
    }

    /// Waits until at least `count` tasks sleep on a manual clock and none that the last
    /// advance woke is still on its way out (at once on the system clock): a test advances
    /// once the tasks it drives all wait for time, never in the middle of their work. The
    /// caller bounds the wait.
    pub async fn asleep(&self, count: usize) {
        if let Source::Manual(m) = &self.0 {
            let mut elapsed = m.elapsed.subscribe();
            let mut sleepers = m.sleepers.subscribe();
            loop {
                let now = *elapsed.borrow_and_update();
                let settled = {
                    let deadlines = sleepers.borrow_and_update();
                    deadlines.len() >= count && deadlines.iter().all(|deadline| *deadline > now)
                };
                if settled {
                    return;
                }
                tokio::select! {
                    changed = sleepers.changed() => if changed.is_err() { return },
                    changed = elapsed.changed() => if changed.is_err() { return },
                }
            }
        }
    }

    /// Advances a manual clock by `step` at a time, each step once `sleepers` tasks sleep,
    /// until it moved `total`: how a test runs minutes or hours of a periodic loop.
    pub async fn run_for(&self, total: Duration, step: Duration, sleepers: usize) {
        let mut moved = Duration::ZERO;
        while moved < total {
            let by = step.min(total - moved);
            self.asleep(sleepers).await;
            self.advance(by);
            moved += by;
        }
    }
}

impl Manual {
    fn elapsed(&self) -> Duration {
        *self.elapsed.borrow()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Manual(m) => write!(f, "Clock::manual({})", m.wall_origin + m.elapsed()),
        }
    }
}

/// Lists a sleeper's deadline for as long as it sleeps, also when its sleep is cancelled.
struct Sleeping<'a> {
    sleepers: &'a watch::Sender<Vec<Duration>>,
    deadline: Duration,
}

impl<'a> Sleeping<'a> {
    fn new(sleepers: &'a watch::Sender<Vec<Duration>>, deadline: Duration) -> Self {
        sleepers.send_modify(|deadlines| deadlines.push(deadline));
        Self { sleepers, deadline }
    }
}

impl Drop for Sleeping<'_> {
    fn drop(&mut self) {
        self.sleepers.send_modify(|deadlines| {
            if let Some(at) = deadlines.iter().position(|deadline| *deadline == self.deadline) {
                deadlines.swap_remove(at);
            }
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
#[path = "clock_test.rs"]
mod tests;

//! Riding out a Redis (or GeoDB) outage: every loop that talks to one backs off exponentially while it
//! fails and logs the outage once when it starts (then at most every [`REPEAT`]) and once when it
//! ends, instead of one line per failed call. Nothing here ever gives up: a worker that exits on
//! an outage would only be restarted into the same outage.

use std::time::{Duration, Instant};

const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(5);
/// How often a continuing outage is logged again.
const REPEAT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct Outage {
    /// What is failing, for the log (`fetch`, `heartbeat`, …).
    what: &'static str,
    since: Option<Instant>,
    logged_at: Option<Instant>,
    delay: Duration,
}

impl Outage {
    pub fn new(what: &'static str) -> Self {
        Self { what, since: None, logged_at: None, delay: FIRST_DELAY }
    }

    /// Records a failure and returns how long to wait before the next try.
    pub fn failed(&mut self, error: &dyn std::fmt::Display) -> Duration {
        let now = Instant::now();
        let since = *self.since.get_or_insert(now);
        if self.logged_at.is_none_or(|at| now.duration_since(at) >= REPEAT) {
            self.logged_at = Some(now);
            let for_ms = now.duration_since(since).as_millis() as u64;
            tracing::warn!(what = self.what, %error, for_ms, "call failing; backing off and retrying");
        }
        let delay = self.delay;
        self.delay = (self.delay * 2).min(MAX_DELAY);
        delay
    }

    /// Records a success; ends the outage if there was one.
    pub fn succeeded(&mut self) {
        if let Some(since) = self.since.take() {
            let after_ms = since.elapsed().as_millis() as u64;
            tracing::info!(what = self.what, after_ms, "call succeeding again");
        }
        self.logged_at = None;
        self.delay = FIRST_DELAY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset_on_success() {
        let mut outage = Outage::new("test");
        let delays: Vec<Duration> = (0..8).map(|_| outage.failed(&"down")).collect();
        assert_eq!(delays[0], FIRST_DELAY);
        assert_eq!(delays[1], FIRST_DELAY * 2);
        assert_eq!(*delays.last().unwrap_or(&Duration::ZERO), MAX_DELAY);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        outage.succeeded();
        assert_eq!(outage.failed(&"down again"), FIRST_DELAY);
    }
}

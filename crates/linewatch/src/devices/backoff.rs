//! Capped exponential backoff between reconnection attempts, so a modem that is rebooting is
//! not hammered with logins, and one that is back is found again soon.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    next_delay: Duration,
    /// No attempt before this instant.
    not_before: Option<Instant>,
}

impl Backoff {
    pub fn new(first: Duration, cap: Duration) -> Self {
        Backoff { first, cap, next_delay: first, not_before: None }
    }

    /// `Err(wait)` while an attempt would come too early.
    pub fn ready(&self, now: Instant) -> Result<(), Duration> {
        match self.not_before {
            Some(t) if t > now => Err(t - now),
            _ => Ok(()),
        }
    }

    /// An attempt failed: the next one waits twice as long as the last wait, up to the cap.
    pub fn failed(&mut self, now: Instant) {
        self.not_before = Some(now + self.next_delay);
        self.next_delay = (self.next_delay * 2).min(self.cap);
    }

    /// An attempt worked: the next failure starts again from the first delay.
    pub fn succeeded(&mut self) {
        self.next_delay = self.first;
        self.not_before = None;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets_on_success() {
        let t0 = Instant::now();
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(4));
        assert!(b.ready(t0).is_ok());
        b.failed(t0);
        assert_eq!(b.ready(t0), Err(Duration::from_secs(1)));
        assert!(b.ready(t0 + Duration::from_secs(1)).is_ok());
        for _ in 0..5 {
            b.failed(t0);
        }
        assert_eq!(b.ready(t0), Err(Duration::from_secs(4)));
        b.succeeded();
        assert!(b.ready(t0).is_ok());
        b.failed(t0);
        assert_eq!(b.ready(t0), Err(Duration::from_secs(1)));
    }
}

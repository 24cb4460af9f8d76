//! Simulated time: a start instant plus real time × speed, or a manual clock that only moves
//! when a test moves it (so a test can run a simulated week in milliseconds).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// A shared simulated clock. Clones read the same time.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The wall-clock time the simulation starts at (shown by `uptime`).
    start: SystemTime,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Scaled {
        real_start: Instant,
        speed: f64,
    },
    /// Milliseconds of simulated time since the start.
    Manual(AtomicU64),
}

impl Clock {
    /// Simulated time runs `speed` times as fast as real time, from now.
    pub fn scaled(speed: f64) -> Clock {
        let speed = if speed.is_finite() && speed > 0.0 { speed } else { 1.0 };
        Clock::new(Source::Scaled { real_start: Instant::now(), speed })
    }

    /// Simulated time stands still until [`Clock::advance`] moves it.
    pub fn manual() -> Clock {
        Clock::new(Source::Manual(AtomicU64::new(0)))
    }

    fn new(source: Source) -> Clock {
        Clock { inner: Arc::new(Inner { start: SystemTime::now(), source }) }
    }

    /// Simulated time since the start.
    pub fn elapsed(&self) -> Duration {
        match &self.inner.source {
            Source::Scaled { real_start, speed } => {
                Duration::try_from_secs_f64(real_start.elapsed().as_secs_f64() * speed).unwrap_or(Duration::MAX)
            }
            Source::Manual(ms) => Duration::from_millis(ms.load(Ordering::Acquire)),
        }
    }

    /// Whole simulated seconds since the start: the line model's time.
    pub fn now_s(&self) -> u64 {
        self.elapsed().as_secs()
    }

    /// The simulated wall-clock time.
    pub fn wall(&self) -> SystemTime {
        self.inner.start + self.elapsed()
    }

    /// Moves a manual clock forward; a scaled clock follows real time and ignores this.
    pub fn advance(&self, by: Duration) {
        if let Source::Manual(ms) = &self.inner.source {
            let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
            ms.fetch_add(by, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = Clock::manual();
        let other = clock.clone();
        assert_eq!(clock.now_s(), 0);
        clock.advance(Duration::from_secs(7 * 86_400));
        assert_eq!(other.now_s(), 7 * 86_400);
        assert_eq!(other.wall().duration_since(clock.wall()).unwrap_or_default(), Duration::ZERO);
    }

    #[test]
    fn scaled_clock_runs_faster_than_real_time() {
        let clock = Clock::scaled(1000.0);
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.elapsed() >= Duration::from_secs(20));
        clock.advance(Duration::from_secs(1_000_000));
        assert!(clock.elapsed() < Duration::from_secs(1_000_000));
    }
}

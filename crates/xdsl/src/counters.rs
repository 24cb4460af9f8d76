//! Counter arithmetic: turning two cumulative readings into the errors of the interval between
//! them, as `specs/metrics.md` sets out.
//!
//! Modem counters misbehave: they reset at every resync and reboot, some chips keep 32 bits and
//! wrap, some leap by 2^31 in one poll. Deltas are only taken between two showtime readings
//! whose line uptime grew as much as the time between them; anything else is a retrain, even
//! when both polls saw showtime (a resync shorter than the poll interval).

use crate::model::{Counter, Direction, ErrorCounters, LineReading, Window};

/// How close to 2^32 a counter must have been, and how small it must be now, for a decrease to
/// be a 32-bit wrap rather than a reset.
pub const WRAP_MARGIN: u64 = 1 << 28;
/// A delta this large in one interval is a glitch of the chip, not errors on the line.
pub const SPURIOUS_JUMP: u64 = 1 << 31;
/// Errors in the first minute after a resync are training noise.
pub const TRAINING_NOISE_S: u64 = 60;

/// How one counter moved between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Counted up (or stood still).
    Delta(u64),
    /// Passed 2^32 and went on from 0; the delta accounts for the wrap.
    Wrapped(u64),
    /// Started again from 0; what it counts now was counted since the reset.
    Reset(u64),
    /// An impossible leap; dropped.
    Spurious { from: u64, to: u64 },
}

impl Step {
    /// The errors of the interval, `None` for a dropped glitch.
    pub fn delta(self) -> Option<u64> {
        match self {
            Step::Delta(d) | Step::Wrapped(d) | Step::Reset(d) => Some(d),
            Step::Spurious { .. } => None,
        }
    }
}

/// Classifies the move of one cumulative counter from `previous` to `current`.
pub fn step(previous: u64, current: u64) -> Step {
    const WRAP: u64 = 1 << 32;
    if current >= previous {
        let delta = current - previous;
        return if delta >= SPURIOUS_JUMP { Step::Spurious { from: previous, to: current } } else { Step::Delta(delta) };
    }
    let near_top = (WRAP - WRAP_MARGIN..WRAP).contains(&previous);
    if near_top && current < WRAP_MARGIN {
        Step::Wrapped(WRAP - previous + current)
    } else if current >= SPURIOUS_JUMP {
        Step::Spurious { from: previous, to: current }
    } else {
        Step::Reset(current)
    }
}

/// The errors counted in one interval, per direction (down = near end, up = far end).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntervalDeltas {
    /// The modem window the deltas were taken from.
    pub window: Option<Window>,
    pub down: ErrorCounters,
    pub up: ErrorCounters,
    /// The interval overlaps the first minute after a resync: keep the errors, but out of
    /// burst alerts.
    pub training_noise: bool,
    /// Counters that reset, wrapped or leapt, for the log.
    pub anomalies: Vec<Anomaly>,
}

impl IntervalDeltas {
    pub fn direction(&self, direction: Direction) -> &ErrorCounters {
        match direction {
            Direction::Down => &self.down,
            Direction::Up => &self.up,
        }
    }
}

/// A counter that did not simply count up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anomaly {
    pub direction: Direction,
    pub counter: Counter,
    pub step: Step,
}

/// How two successive readings of a line relate.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// Showtime on both, no retrain in between: the interval's errors.
    Continuous(IntervalDeltas),
    /// The line retrained in between (its uptime went down, or grew less than the time that
    /// passed). `new_link` holds what the new link counted since it came up, when the modem
    /// says so; it is all training noise.
    Retrain { new_link: Option<IntervalDeltas> },
    /// The line is out of showtime on one side or both: no deltas.
    NotInShowtime,
}

/// Relates two readings of the same line taken `elapsed_s` seconds apart (if known).
pub fn transition(previous: &LineReading, current: &LineReading, elapsed_s: Option<u64>) -> Transition {
    if !previous.is_showtime() || !current.is_showtime() {
        return Transition::NotInShowtime;
    }
    if retrained(previous.uptime_s, current.uptime_s, elapsed_s) {
        let new_link = current.counters.since_link.as_ref().map(|link| IntervalDeltas {
            window: Some(Window::SinceLink),
            down: link.down,
            up: link.up,
            training_noise: true,
            anomalies: Vec::new(),
        });
        return Transition::Retrain { new_link };
    }
    let mut deltas = counter_deltas(previous, current);
    deltas.training_noise = [previous.uptime_s, current.uptime_s].iter().any(|u| u.is_some_and(|s| s < TRAINING_NOISE_S));
    Transition::Continuous(deltas)
}

/// A retrain shows as uptime going down, or growing less than the time that passed (the link
/// dropped and came back between polls). Modems report uptime coarsely (some in minutes),
/// hence the slack.
fn retrained(previous: Option<u64>, current: Option<u64>, elapsed_s: Option<u64>) -> bool {
    let (Some(previous), Some(current)) = (previous, current) else {
        return false;
    };
    if current < previous {
        return true;
    }
    match elapsed_s {
        Some(elapsed) => {
            let slack = (elapsed / 10).max(TRAINING_NOISE_S);
            current.saturating_add(slack) < previous.saturating_add(elapsed)
        }
        None => false,
    }
}

/// Deltas from the most specific window both readings have: since-link counters restart with
/// the link, so they are the ones the uptime check protects; total counters otherwise.
fn counter_deltas(previous: &LineReading, current: &LineReading) -> IntervalDeltas {
    let mut deltas = IntervalDeltas::default();
    let Some((window, before, after)) = [Window::SinceLink, Window::Total]
        .into_iter()
        .find_map(|w| Some((w, previous.counters.get(w)?, current.counters.get(w)?)))
    else {
        return deltas;
    };
    deltas.window = Some(window);
    for direction in Direction::BOTH {
        for counter in Counter::ALL {
            let (Some(old), Some(new)) = (before.direction(direction).get(counter), after.direction(direction).get(counter))
            else {
                continue;
            };
            let step = step(old, new);
            if !matches!(step, Step::Delta(_)) {
                deltas.anomalies.push(Anomaly { direction, counter, step });
            }
            let target = match direction {
                Direction::Down => &mut deltas.down,
                Direction::Up => &mut deltas.up,
            };
            target.set(counter, step.delta());
        }
    }
    deltas
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Dialect;
    use crate::model::LineState;
    use proptest::prelude::*;

    fn reading(uptime: u64, crc_down: u64, fec_up: u64) -> LineReading {
        let mut r = LineReading::new(Dialect::Broadcom);
        r.state = LineState::Showtime;
        r.uptime_s = Some(uptime);
        let link = r.counters.entry(Window::SinceLink);
        link.down.crc = Some(crc_down);
        link.up.fec = Some(fec_up);
        r
    }

    #[test]
    fn steps() {
        assert_eq!(step(10, 15), Step::Delta(5));
        assert_eq!(step(10, 10), Step::Delta(0));
        // Near 2^32 and small now: a wrap.
        assert_eq!(step(4_294_967_000, 100), Step::Wrapped(396));
        // Small before and smaller now: a reset, not a negative rate.
        assert_eq!(step(5000, 12), Step::Reset(12));
        // Far from the top: a reset even if it would fit a wrap.
        assert_eq!(step(3_000_000_000, 1_000_000), Step::Reset(1_000_000));
        // A leap of 2^31 in one poll is a glitch.
        assert_eq!(step(100, 100 + (1 << 31)), Step::Spurious { from: 100, to: 100 + (1 << 31) });
        assert_eq!(step(3_470_557_127, 3_470_600_000).delta(), Some(42_873));
    }

    #[test]
    fn deltas_between_two_showtime_readings() {
        let Transition::Continuous(d) = transition(&reading(1000, 5, 100), &reading(1030, 8, 160), Some(30)) else {
            panic!("expected deltas");
        };
        assert_eq!((d.window, d.down.crc, d.up.fec, d.training_noise), (Some(Window::SinceLink), Some(3), Some(60), false));
        assert!(d.anomalies.is_empty());
    }

    #[test]
    fn uptime_going_down_is_a_retrain_even_in_showtime_twice() {
        let t = transition(&reading(1000, 5, 100), &reading(12, 1, 0), Some(30));
        let Transition::Retrain { new_link: Some(new) } = t else { panic!("expected a retrain, got {t:?}") };
        assert_eq!((new.down.crc, new.training_noise), (Some(1), true));
    }

    #[test]
    fn uptime_growing_less_than_the_time_passed_is_a_retrain() {
        // 10 minutes passed, the link is 2 minutes old: it dropped in between.
        assert!(matches!(transition(&reading(30, 0, 0), &reading(120, 0, 0), Some(600)), Transition::Retrain { .. }));
        // A day passed (linewatch was stopped) and the link stayed up all along.
        assert!(matches!(transition(&reading(1000, 0, 0), &reading(87_400, 0, 0), Some(86_400)), Transition::Continuous(_)));
    }

    #[test]
    fn first_minute_is_training_noise() {
        let Transition::Continuous(d) = transition(&reading(20, 0, 0), &reading(50, 40, 0), Some(30)) else { panic!() };
        assert_eq!((d.down.crc, d.training_noise), (Some(40), true));
    }

    #[test]
    fn no_deltas_out_of_showtime() {
        let mut down = reading(0, 0, 0);
        down.state = LineState::Training;
        assert_eq!(transition(&reading(100, 0, 0), &down, Some(30)), Transition::NotInShowtime);
        assert_eq!(transition(&down, &reading(100, 0, 0), Some(30)), Transition::NotInShowtime);
    }

    #[test]
    fn wraps_and_glitches_are_reported() {
        let Transition::Continuous(d) = transition(&reading(100, 4_294_967_290, 5), &reading(130, 10, 5 + (1 << 31)), Some(30))
        else {
            panic!()
        };
        assert_eq!(d.down.crc, Some(16));
        assert_eq!(d.up.fec, None);
        assert_eq!(d.anomalies.len(), 2);
    }

    proptest! {
        #[test]
        fn a_delta_never_exceeds_the_spurious_bound(a in any::<u64>(), b in any::<u64>()) {
            if let Some(d) = step(a, b).delta() {
                prop_assert!(d < SPURIOUS_JUMP);
            }
        }

        #[test]
        fn counting_up_by_a_little_is_that_little(a in 0u64..(1 << 40), d in 0u64..(1 << 30)) {
            prop_assert_eq!(step(a, a + d), Step::Delta(d));
        }
    }
}

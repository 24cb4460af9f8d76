//! What follows from consecutive readings of one line: the errors of the interval (counter
//! deltas), the events (retrains with their before/after, state changes, reachability), and
//! the memory that needs (last reading, last showtime reading, since when the line is down).
//! Serializable, so a restart neither forgets nor repeats.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use xdsl::counters::{IntervalDeltas, Transition, transition};
use xdsl::{Direction, LineReading, LineState};

/// Something that happened to a target, as the store keeps it and `/events` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(with = "unix_seconds")]
    pub at: SystemTime,
    pub target: String,
    pub kind: EventKind,
    /// What the event says beyond its kind (rates before/after, cause, durations...).
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The line retrained (resynced): it left showtime and came back, or its uptime restarted.
    Retrain,
    /// The line state changed (showtime, training, idle, down).
    StateChange,
    /// The modem stopped answering.
    Unreachable,
    /// The modem answers again.
    Reachable,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Retrain => "retrain",
            EventKind::StateChange => "state_change",
            EventKind::Unreachable => "unreachable",
            EventKind::Reachable => "reachable",
        }
    }
}

/// The memory of one line between readings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LineTracker {
    last: Option<Stamped>,
    /// The last reading in showtime: what a "line down" alert reports, and the "before" of a
    /// retrain.
    last_showtime: Option<Stamped>,
    /// When the line was last seen leaving showtime (set while it is out).
    #[serde(default, with = "unix_seconds::option")]
    down_since: Option<SystemTime>,
    unreachable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stamped {
    #[serde(with = "unix_seconds")]
    at: SystemTime,
    reading: LineReading,
}

/// What one reading brings.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// How it relates to the previous reading (`None` for the first reading).
    pub transition: Option<Transition>,
    /// The errors since the previous reading, when they can be told.
    pub deltas: Option<IntervalDeltas>,
    pub events: Vec<Event>,
}

impl LineTracker {
    pub fn last(&self) -> Option<&LineReading> {
        self.last.as_ref().map(|s| &s.reading)
    }

    pub fn last_showtime(&self) -> Option<(SystemTime, &LineReading)> {
        self.last_showtime.as_ref().map(|s| (s.at, &s.reading))
    }

    pub fn down_since(&self) -> Option<SystemTime> {
        self.down_since
    }

    pub fn is_unreachable(&self) -> bool {
        self.unreachable
    }

    /// Takes a reading of the line made at `at`.
    pub fn observe(&mut self, target: &str, at: SystemTime, reading: &LineReading) -> Observed {
        let mut events = Vec::new();
        let event = |kind, detail| Event { at, target: target.to_string(), kind, detail };
        if std::mem::take(&mut self.unreachable) {
            events.push(event(EventKind::Reachable, serde_json::json!({})));
        }
        let previous = self.last.take();
        let transition = previous.as_ref().map(|p| {
            let elapsed = at.duration_since(p.at).ok().map(|d| d.as_secs());
            transition(&p.reading, reading, elapsed)
        });
        if let Some(previous) = &previous
            && previous.reading.state != reading.state
        {
            events.push(event(
                EventKind::StateChange,
                serde_json::json!({ "from": previous.reading.state, "to": reading.state, "text": reading.state_text }),
            ));
        }
        if reading.is_showtime() {
            let came_back = self.down_since.take();
            let short_resync = matches!(transition, Some(Transition::Retrain { .. }));
            if came_back.is_some() || short_resync {
                let training = came_back.and_then(|since| at.duration_since(since).ok());
                events.push(event(EventKind::Retrain, self.retrain_detail(reading, training)));
            }
            self.last_showtime = Some(Stamped { at, reading: reading.clone() });
        } else if reading.state != LineState::Unknown && self.down_since.is_none() {
            // The line left showtime somewhere between the last showtime reading and now.
            self.down_since = Some(at);
        }
        let deltas = match &transition {
            Some(Transition::Continuous(d)) => Some(d.clone()),
            Some(Transition::Retrain { new_link }) => new_link.clone(),
            Some(Transition::NotInShowtime) | None => None,
        };
        self.last = Some(Stamped { at, reading: reading.clone() });
        Observed { transition, deltas, events }
    }

    /// The modem did not answer at `at`. Returns the event the first time only.
    pub fn unreachable(&mut self, target: &str, at: SystemTime, error: &str) -> Option<Event> {
        if std::mem::replace(&mut self.unreachable, true) {
            return None;
        }
        Some(Event { at, target: target.to_string(), kind: EventKind::Unreachable, detail: serde_json::json!({ "error": error }) })
    }

    /// Cause, training time, and the rates and margins before and after.
    fn retrain_detail(&self, after: &LineReading, training: Option<Duration>) -> serde_json::Value {
        let figures = |r: &LineReading| {
            let d = |dir: Direction| {
                let s = r.direction(dir);
                serde_json::json!({ "rate_bps": s.rate_bps, "attainable_bps": s.attainable_bps, "snr_margin_db": s.snr_margin_db })
            };
            serde_json::json!({ "down": d(Direction::Down), "up": d(Direction::Up), "profile": r.profile })
        };
        serde_json::json!({
            "cause": after.retrain_reason,
            "training_s": training.map(|d| d.as_secs()),
            "before": self.last_showtime.as_ref().map(|s| figures(&s.reading)),
            "after": figures(after),
        })
    }
}

/// Timestamps as whole seconds since the Unix epoch, as the store keeps them.
pub mod unix_seconds {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn to_secs(at: SystemTime) -> i64 {
        match at.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        }
    }

    pub fn from_secs(secs: i64) -> SystemTime {
        if secs >= 0 { UNIX_EPOCH + Duration::from_secs(secs as u64) } else { UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) }
    }

    pub fn serialize<S: Serializer>(at: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(to_secs(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        Ok(from_secs(i64::deserialize(d)?))
    }

    pub mod option {
        use std::time::SystemTime;

        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(at: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_some(&super::to_secs(*at)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
            Ok(Option::<i64>::deserialize(d)?.map(super::from_secs))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;
    use xdsl::{Dialect, Window};

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn showtime(uptime: u64, rate: u64, crc: u64) -> LineReading {
        let mut r = LineReading::new(Dialect::Broadcom);
        r.state = LineState::Showtime;
        r.uptime_s = Some(uptime);
        r.down.rate_bps = Some(rate);
        r.counters.entry(Window::SinceLink).down.crc = Some(crc);
        r
    }

    fn training() -> LineReading {
        let mut r = LineReading::new(Dialect::Broadcom);
        r.state = LineState::Training;
        r
    }

    #[test]
    fn a_desync_gives_state_changes_then_a_retrain_with_before_and_after() {
        let mut t = LineTracker::default();
        assert!(t.observe("home", at(0), &showtime(1000, 50_000_000, 3)).events.is_empty());
        let down = t.observe("home", at(30), &training());
        assert_eq!(down.events.len(), 1);
        assert_eq!(down.events[0].kind, EventKind::StateChange);
        assert_eq!(t.down_since(), Some(at(30)));
        let up = t.observe("home", at(90), &showtime(20, 40_000_000, 0));
        let kinds: Vec<EventKind> = up.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventKind::StateChange, EventKind::Retrain]);
        let detail = &up.events[1].detail;
        assert_eq!(detail["training_s"], 60);
        assert_eq!(detail["before"]["down"]["rate_bps"], 50_000_000);
        assert_eq!(detail["after"]["down"]["rate_bps"], 40_000_000);
        assert_eq!(t.down_since(), None);
    }

    #[test]
    fn a_resync_shorter_than_a_poll_is_a_retrain() {
        let mut t = LineTracker::default();
        t.observe("home", at(0), &showtime(1000, 50_000_000, 3));
        let o = t.observe("home", at(30), &showtime(10, 48_000_000, 1));
        assert_eq!(o.events.iter().map(|e| e.kind).collect::<Vec<_>>(), [EventKind::Retrain]);
        assert_eq!(o.events[0].detail["training_s"], serde_json::Value::Null);
        let deltas = o.deltas.unwrap();
        assert!(deltas.training_noise);
        assert_eq!(deltas.down.crc, Some(1));
    }

    #[test]
    fn deltas_between_polls() {
        let mut t = LineTracker::default();
        t.observe("home", at(0), &showtime(1000, 50_000_000, 3));
        let o = t.observe("home", at(30), &showtime(1030, 50_000_000, 10));
        assert_eq!(o.deltas.unwrap().down.crc, Some(7));
        assert!(o.events.is_empty());
    }

    #[test]
    fn unreachable_once_then_reachable() {
        let mut t = LineTracker::default();
        assert!(t.unreachable("home", at(0), "refused").is_some());
        assert!(t.unreachable("home", at(30), "refused").is_none());
        let o = t.observe("home", at(60), &showtime(5000, 1, 0));
        assert_eq!(o.events[0].kind, EventKind::Reachable);
    }

    #[test]
    fn survives_a_restart() {
        let mut t = LineTracker::default();
        t.observe("home", at(0), &showtime(1000, 50_000_000, 3));
        t.observe("home", at(30), &training());
        let saved = serde_json::to_string(&t).unwrap();
        let mut restored: LineTracker = serde_json::from_str(&saved).unwrap();
        assert_eq!(restored.down_since(), Some(at(30)));
        let up = restored.observe("home", at(90), &showtime(20, 40_000_000, 0));
        assert!(up.events.iter().any(|e| e.kind == EventKind::Retrain));
    }
}

//! What can happen to the simulated line and modem: events injected by a test, scripted at
//! offsets in a TOML file, or drawn at random from a seed.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Deserializer};

/// Something that happens to the line or the modem.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The line loses sync, stays without signal for `down_for`, then trains (G.994, G.993
    /// states) and reaches showtime again at new rates and margins after a few tens of seconds.
    Desync {
        #[serde(deserialize_with = "human_duration")]
        down_for: Duration,
    },
    /// A retrain shorter than a poll: the line uptime restarts, rates may change.
    ShortResync,
    /// CRC errors at `per_min` on top of the background, for a while.
    CrcBurst {
        per_min: f64,
        #[serde(deserialize_with = "human_duration")]
        r#for: Duration,
    },
    /// The noise changes: the SNR margin moves by this much per hour (negative: the line
    /// degrades) until another drift; a margin below zero makes the line retrain by itself.
    SnrDrift { db_per_hour: f64 },
    /// The provider's DLM puts the line on another profile (rate caps, target margin), which
    /// takes effect with a retrain.
    RateChange,
    /// The modem reboots: its servers stop answering for `down_for`, then the counters and
    /// uptimes start again from zero and the line trains.
    Reboot {
        #[serde(deserialize_with = "human_duration")]
        down_for: Duration,
    },
    /// The modem's servers refuse connections for a while; the line stays up.
    Unreachable {
        #[serde(deserialize_with = "human_duration")]
        r#for: Duration,
    },
    /// `xdslctl connection --down`: the line goes down and stays down until `LineUp`.
    LineDown,
    /// `xdslctl connection --up`: a line that is down trains again.
    LineUp,
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let human = |d: &Duration| humantime::format_duration(Duration::from_secs(d.as_secs())).to_string();
        match self {
            Event::Desync { down_for } => write!(f, "desync, down for {}", human(down_for)),
            Event::ShortResync => f.write_str("short resync"),
            Event::CrcBurst { per_min, r#for } => write!(f, "CRC burst of {per_min:.0}/min for {}", human(r#for)),
            Event::SnrDrift { db_per_hour } => write!(f, "SNR margin drift of {db_per_hour:+.2} dB/h"),
            Event::RateChange => f.write_str("DLM profile change"),
            Event::Reboot { down_for } => write!(f, "reboot, unreachable for {}", human(down_for)),
            Event::Unreachable { r#for } => write!(f, "unreachable for {}", human(r#for)),
            Event::LineDown => f.write_str("line taken down"),
            Event::LineUp => f.write_str("line brought up"),
        }
    }
}

/// `"2m"`, `"40s"`, `"1h 30m"`.
fn human_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(|e| serde::de::Error::custom(format!("{text:?}: {e}")))
}

/// Events at offsets from the start of the simulation, from a TOML file:
///
/// ```toml
/// [[event]]
/// at = "2m"
/// kind = "desync"
/// down_for = "40s"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(default, rename = "event")]
    pub events: Vec<Scheduled>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Scheduled {
    #[serde(deserialize_with = "human_duration")]
    pub at: Duration,
    #[serde(flatten)]
    pub event: Event,
}

impl Script {
    pub fn from_toml(text: &str) -> Result<Script, toml::de::Error> {
        toml::from_str(text)
    }
}

/// Draws events at random times (on average one every `mean_gap`), deterministically for a seed.
#[derive(Debug, Clone)]
pub struct RandomEvents {
    rng: StdRng,
    mean_gap_s: f64,
    next_at: u64,
}

impl RandomEvents {
    pub fn new(seed: u64, mean_gap: Duration, from_s: u64) -> RandomEvents {
        // Its own stream: turning random events on does not change the line's noise.
        let mut random = RandomEvents {
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_e7e7),
            mean_gap_s: mean_gap.as_secs_f64().max(1.0),
            next_at: 0,
        };
        random.next_at = from_s + random.gap();
        random
    }

    /// The event due at `now_s`, if one is.
    pub fn due(&mut self, now_s: u64) -> Option<Event> {
        if now_s < self.next_at {
            return None;
        }
        self.next_at = now_s + self.gap();
        Some(self.draw())
    }

    fn gap(&mut self) -> u64 {
        let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
        (-u.ln() * self.mean_gap_s).round().max(1.0) as u64
    }

    fn draw(&mut self) -> Event {
        let secs = |rng: &mut StdRng, lo: u64, hi: u64| Duration::from_secs(rng.random_range(lo..=hi));
        let rng = &mut self.rng;
        match rng.random_range(0..100) {
            0..35 => Event::CrcBurst { per_min: rng.random_range(5.0..300.0), r#for: secs(rng, 60, 1200) },
            35..50 => Event::SnrDrift { db_per_hour: rng.random_range(-0.5..0.5) },
            50..60 => Event::SnrDrift { db_per_hour: 0.0 },
            60..75 => Event::ShortResync,
            75..85 => Event::Desync { down_for: secs(rng, 10, 300) },
            85..90 => Event::RateChange,
            90..95 => Event::Reboot { down_for: secs(rng, 60, 120) },
            _ => Event::Unreachable { r#for: secs(rng, 30, 300) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_from_toml() {
        let script = Script::from_toml(
            r#"
            [[event]]
            at = "2m"
            kind = "desync"
            down_for = "40s"

            [[event]]
            at = "1h 30m"
            kind = "crc_burst"
            per_min = 120.0
            for = "5m"

            [[event]]
            at = "3h"
            kind = "short_resync"
            "#,
        )
        .unwrap();
        assert_eq!(
            script.events,
            vec![
                Scheduled { at: Duration::from_secs(120), event: Event::Desync { down_for: Duration::from_secs(40) } },
                Scheduled {
                    at: Duration::from_secs(5400),
                    event: Event::CrcBurst { per_min: 120.0, r#for: Duration::from_secs(300) }
                },
                Scheduled { at: Duration::from_secs(10_800), event: Event::ShortResync },
            ]
        );
    }

    #[test]
    fn script_errors_name_the_problem() {
        let err = Script::from_toml("[[event]]\nat = \"2m\"\nkind = \"meteor\"\n").unwrap_err();
        assert!(err.to_string().contains("meteor"), "{err}");
        let err = Script::from_toml("[[event]]\nat = \"soon\"\nkind = \"short_resync\"\n").unwrap_err();
        assert!(err.to_string().contains("soon"), "{err}");
        let err = Script::from_toml("[[event]]\nat = \"1m\"\nkind = \"desync\"\n").unwrap_err();
        assert!(err.to_string().contains("down_for"), "{err}");
    }

    #[test]
    fn random_events_are_deterministic_for_a_seed() {
        let run = |seed| {
            let mut random = RandomEvents::new(seed, Duration::from_secs(3600), 0);
            (0..200_000).filter_map(|t| random.due(t).map(|e| (t, e))).collect::<Vec<_>>()
        };
        let a = run(7);
        assert!(a.len() > 20, "about one an hour: {}", a.len());
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
    }
}

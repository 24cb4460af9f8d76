//! A simulated VDSL2 line for the store benchmarks: 30-second readings (with the jitter of a
//! real poller) of a line whose sync rates hold for weeks, whose SNR drifts in 0.1 dB steps
//! and dips every evening, whose FEC counts up all the time and whose CRC comes in bursts,
//! with a retrain every few weeks after which the rates change (the DSLAM's DLM at work).
//! Built on a real Broadcom capture and passed through the daemon's derive step, so the
//! series are exactly those the daemon stores.

use std::time::{Duration, SystemTime};

use linewatch::derive::{Event, LineTracker};
use linewatch::metrics::{Kind, Sample, delta_samples, line_samples};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use xdsl::{CounterWindows, Direction, ErrorCounters, LineReading, LineState, WindowCounters};

pub const TARGET: &str = "line";
pub const STEP: Duration = Duration::from_secs(30);
/// A retrain every 20 days on average.
const RETRAIN_ODDS: f64 = 1.0 / (20.0 * 2880.0);

/// What one poll hands the store.
pub struct SimPoll {
    pub at: SystemTime,
    pub gauges: Vec<Sample>,
    pub deltas: Vec<Sample>,
    pub events: Vec<Event>,
}

impl SimPoll {
    /// The values the store keeps of this poll (it skips the modem's cumulative counters).
    pub fn stored_values(&self) -> usize {
        self.gauges.iter().filter(|s| s.kind != Kind::Counter).count() + self.deltas.len()
    }

    pub fn as_store_poll(&self) -> linewatch::store::Poll<'_> {
        linewatch::store::Poll { at: self.at, gauges: &self.gauges, deltas: &self.deltas, events: &self.events }
    }
}

/// The figures of one link (one training), per direction [down, up].
struct Link {
    up_since: SystemTime,
    rate: [u64; 2],
    snr: [f64; 2],
    attenuation: [f64; 2],
    power: [f64; 2],
}

pub struct SimLine {
    rng: StdRng,
    base: LineReading,
    next_at: SystemTime,
    tracker: LineTracker,
    /// None while training; the polls left in training then.
    link: Option<Link>,
    training_polls: u32,
    snr_drift: [f64; 2],
    since_link: WindowCounters,
    total: WindowCounters,
    burst_polls: u32,
}

impl SimLine {
    pub fn new(seed: u64, start: SystemTime) -> SimLine {
        let capture = include_str!("../../../../fixtures/xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt");
        let mut base = xdsl::Dialect::Broadcom.parse(capture).expect("the capture parses");
        base.counters = CounterWindows::default();
        let mut rng = StdRng::seed_from_u64(seed);
        let link = new_link(&mut rng, start - Duration::from_secs(3 * 86_400));
        SimLine {
            rng,
            base,
            next_at: start,
            tracker: LineTracker::default(),
            link: Some(link),
            training_polls: 0,
            snr_drift: [0.0; 2],
            since_link: WindowCounters::default(),
            total: WindowCounters::default(),
            burst_polls: 0,
        }
    }

    pub fn next_poll(&mut self) -> SimPoll {
        let at = self.next_at;
        self.next_at = at + STEP + Duration::from_millis(self.rng.random_range(0..600)) - Duration::from_millis(300);
        let mut reading = self.base.clone();
        if self.link.is_some() && self.rng.random_bool(RETRAIN_ODDS) {
            self.link = None;
            self.training_polls = self.rng.random_range(1..=3);
        }
        if self.link.is_some() {
            self.showtime(at, &mut reading);
        } else {
            reading.state = LineState::Training;
            reading.state_text = Some("Training".into());
            self.training_polls -= 1;
            if self.training_polls == 0 {
                let up_since = at + Duration::from_secs(self.rng.random_range(5..25));
                self.link = Some(new_link(&mut self.rng, up_since));
                let noise = self.rng.random_range(0..20);
                self.since_link = WindowCounters::default();
                add(&mut self.since_link.down, 0, noise, 1, 0, 0);
                add(&mut self.total.down, 0, noise, 1, 0, 45);
            }
            reading.settle();
        }
        reading.counters.total = Some(self.total.clone());
        if reading.is_showtime() {
            reading.counters.since_link = Some(self.since_link.clone());
        }
        let observed = self.tracker.observe(TARGET, at, &reading);
        SimPoll {
            at,
            gauges: line_samples(&reading),
            deltas: observed.deltas.as_ref().map(delta_samples).unwrap_or_default(),
            events: observed.events,
        }
    }

    fn showtime(&mut self, at: SystemTime, reading: &mut LineReading) {
        let link = self.link.as_ref().expect("in showtime");
        // 0 at 09:00 UTC, 1 at 21:00: evening noise.
        let hour = (at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() % 86_400) as f64 / 3600.0;
        let evening = 0.5 - 0.5 * ((hour - 9.0) / 24.0 * std::f64::consts::TAU).cos();
        reading.state = LineState::Showtime;
        reading.uptime_s = Some(at.duration_since(link.up_since).map_or(0, |d| d.as_secs()));
        for (i, direction) in Direction::BOTH.into_iter().enumerate() {
            if self.rng.random_bool(0.03) {
                let step = if self.rng.random_bool(0.5) { 0.1 } else { -0.1 };
                self.snr_drift[i] = (self.snr_drift[i] + step).clamp(-1.5, 1.5);
            }
            let dip = if i == 0 { 0.8 } else { 0.3 } * evening;
            let snr = ((link.snr[i] + self.snr_drift[i] - dip) * 10.0).round() / 10.0;
            let attainable = link.rate[i] as f64 * (1.0 + (snr - 6.0) / 12.0);
            let stats = reading.direction_mut(direction);
            stats.rate_bps = Some(link.rate[i]);
            stats.attainable_bps = Some((attainable / 1000.0).round() as u64 * 1000);
            stats.snr_margin_db = Some(snr);
            stats.attenuation_db = Some(link.attenuation[i]);
            stats.signal_attenuation_db = Some((link.attenuation[i] * 10.0 - 3.0).round() / 10.0);
            stats.power_dbm = Some(link.power[i]);
            stats.interleave_delay_ms = Some(if i == 0 { 8.0 } else { 0.0 });
        }
        // FEC all the time, more in the evening; CRC in bursts; errored seconds with them.
        let fec_down = self.rng.random_range(0..20 + (400.0 * evening) as u64);
        let fec_up = self.rng.random_range(0..5);
        if self.burst_polls == 0 && self.rng.random_bool(0.002 * (0.2 + evening)) {
            self.burst_polls = self.rng.random_range(10..40);
        }
        let (crc, es, ses) = if self.burst_polls > 0 {
            self.burst_polls -= 1;
            let crc = self.rng.random_range(0..60);
            (crc, crc.min(self.rng.random_range(1..10)), u64::from(crc > 50))
        } else {
            (0, 0, 0)
        };
        let crc_up = u64::from(self.rng.random_bool(0.0005));
        for counters in [&mut self.since_link, &mut self.total] {
            add(&mut counters.down, fec_down, crc, es, ses, 0);
            add(&mut counters.up, fec_up, crc_up, crc_up, 0, 0);
        }
    }
}

fn new_link(rng: &mut StdRng, up_since: SystemTime) -> Link {
    let kbit = |rng: &mut StdRng, base: f64| (base * rng.random_range(0.9..1.0)).round() as u64 * 1000;
    let tenth = |rng: &mut StdRng, base: f64| ((base * 10.0).round() + f64::from(rng.random_range(-2..=2i32))) / 10.0;
    Link {
        up_since,
        rate: [kbit(rng, 100_000.0), kbit(rng, 40_000.0)],
        snr: [tenth(rng, 7.0), tenth(rng, 8.5)],
        attenuation: [tenth(rng, 11.7), tenth(rng, 2.0)],
        power: [tenth(rng, 13.9), tenth(rng, -2.2)],
    }
}

fn add(counters: &mut ErrorCounters, fec: u64, crc: u64, es: u64, ses: u64, uas: u64) {
    for (counter, n) in [(&mut counters.fec, fec), (&mut counters.crc, crc), (&mut counters.es, es), (&mut counters.ses, ses), (&mut counters.uas, uas)] {
        *counter = Some(counter.unwrap_or(0) + n);
    }
}

//! The simulated line, and the modem around it: a state machine that advances one simulated
//! second at a time, deterministically for a seed (the same seed and the same events give the
//! same line, however often it is read).
//!
//! Physics, simplified but with the right shape: each direction has a capacity (what it could
//! carry at 0 dB margin) that falls with attenuation and with noise. At sync the modem takes
//! the lower of the provider's profile cap and what the capacity allows at the target margin;
//! the margin is what is left over. In showtime the margin wanders a little, drifts with the
//! noise, and a margin below zero makes the line retrain by itself. Error counters grow every
//! second with Poisson noise: a large background of FEC corrections, rare CRC errors (more of
//! them as the margin shrinks, or in a burst), errored and severely errored seconds from the
//! CRCs, unavailable seconds while the line is not in showtime, G.INP retransmissions.
//!
//! Counters are kept exact (u64); the dialects print their low 32 bits, as the chips do.
//! Windows follow Broadcom: the 15-minute and 1-day intervals count from the modem's boot.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use xdsl::{Counter, Direction, Window};

use super::events::{Event, RandomEvents};

const QUARTER_S: u64 = 15 * 60;
const DAY_S: u64 = 24 * 3600;
/// CRC errors in one second that make it a severely errored second (G.997.1, ADSL: 18).
const SES_CRC: u64 = 18;
/// Notes kept for a reader that never takes them.
const MAX_NOTES: usize = 1000;

/// The DSL standard and profile the line trains in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standard {
    /// VDSL2 profile 17a, Annex B, PTM, G.INP downstream.
    Vdsl2Profile17a,
    /// ADSL2+ (G.992.5), ATM, interleaved.
    Adsl2Plus,
}

impl Standard {
    /// The provider profiles (DLM) a line of this standard can be put on.
    fn profiles(self) -> &'static [Profile] {
        match self {
            Standard::Vdsl2Profile17a => &[
                Profile { name: "100/40", cap_kbps: [100_000, 40_000], target_margin_db: 6.0 },
                Profile { name: "100/40 stable", cap_kbps: [100_000, 40_000], target_margin_db: 9.0 },
                Profile { name: "50/10", cap_kbps: [50_000, 10_000], target_margin_db: 6.0 },
            ],
            Standard::Adsl2Plus => &[
                Profile { name: "max", cap_kbps: [24_000, 1_300], target_margin_db: 6.0 },
                Profile { name: "max stable", cap_kbps: [24_000, 1_300], target_margin_db: 12.0 },
                Profile { name: "8M", cap_kbps: [8_128, 832], target_margin_db: 6.0 },
            ],
        }
    }
}

/// A provider profile: rate caps per direction and the target margin the line trains to.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Profile {
    name: &'static str,
    /// [down, up].
    cap_kbps: [u32; 2],
    target_margin_db: f64,
}

/// The steps of a training, in order (Broadcom's words: `G.994 Training`, `G.993 Started`,
/// `G.993 Channel Analysis`, `G.993 Message Exchange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrainingStep {
    Handshake,
    Started,
    ChannelAnalysis,
    MessageExchange,
}

impl TrainingStep {
    fn next(self) -> Option<TrainingStep> {
        match self {
            TrainingStep::Handshake => Some(TrainingStep::Started),
            TrainingStep::Started => Some(TrainingStep::ChannelAnalysis),
            TrainingStep::ChannelAnalysis => Some(TrainingStep::MessageExchange),
            TrainingStep::MessageExchange => None,
        }
    }

    /// Seconds a full training spends in this step.
    fn seconds(self) -> (u64, u64) {
        match self {
            TrainingStep::Handshake => (4, 8),
            TrainingStep::Started => (3, 6),
            TrainingStep::ChannelAnalysis => (8, 14),
            TrainingStep::MessageExchange => (3, 7),
        }
    }
}

/// Where the line and the modem are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Showtime,
    Training(TrainingStep),
    /// No signal (line down, or taken down with `connection --down`). Modems print it as idle.
    Down,
    /// The modem is rebooting: nothing answers, nothing counts.
    Booting,
}

/// Why the line last retrained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetrainReason {
    PowerOn,
    LossOfSignal,
    LowMargin,
    UserRequest,
    ProfileChange,
}

impl RetrainReason {
    /// Broadcom's `Last Retrain Reason` code. The codes are ones seen in real captures; which
    /// cause each stands for is our choice (the bit meanings are not public).
    pub fn broadcom_code(self) -> &'static str {
        match self {
            RetrainReason::PowerOn => "0",
            RetrainReason::LossOfSignal => "1",
            RetrainReason::LowMargin => "2",
            RetrainReason::UserRequest | RetrainReason::ProfileChange => "8000",
        }
    }
}

/// Error counters of one direction (down: the modem's near end; up: the DSLAM's far end).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([u64; Counter::ALL.len()]);

impl Counts {
    pub fn get(&self, counter: Counter) -> u64 {
        self.0[counter as usize]
    }

    pub fn set(&mut self, counter: Counter, value: u64) {
        self.0[counter as usize] = value;
    }

    fn add(&mut self, counter: Counter, n: u64) {
        let slot = &mut self.0[counter as usize];
        *slot = slot.saturating_add(n);
    }
}

/// The counters of one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    /// How long the window has been counting.
    pub duration_s: u64,
    pub down: Counts,
    pub up: Counts,
    /// Retrains in the window.
    pub retrains: u64,
}

impl WindowCounts {
    pub fn direction(&self, direction: Direction) -> &Counts {
        match direction {
            Direction::Down => &self.down,
            Direction::Up => &self.up,
        }
    }

    pub fn direction_mut(&mut self, direction: Direction) -> &mut Counts {
        match direction {
            Direction::Down => &mut self.down,
            Direction::Up => &mut self.up,
        }
    }
}

/// The figures of one direction of a link, in the units modems print (kbit/s, 0.1 dB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub rate_kbps: u32,
    pub attainable_kbps: u32,
    pub snr_margin_tenths: i32,
    pub attenuation_tenths: i32,
    pub power_tenths: i32,
    /// G.INP on this direction.
    pub retransmission: bool,
}

/// Both directions of a link in showtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub down: Figures,
    pub up: Figures,
}

impl Link {
    pub fn direction(&self, direction: Direction) -> &Figures {
        match direction {
            Direction::Down => &self.down,
            Direction::Up => &self.up,
        }
    }
}

/// The truth about the line at one instant: what a client should read.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSnapshot {
    /// Simulated seconds since the simulation started.
    pub at_s: u64,
    pub phase: Phase,
    /// Whether the modem's servers answer.
    pub reachable: bool,
    pub standard: Standard,
    /// Present in showtime.
    pub link: Option<Link>,
    /// Indexed by [`Window`] (`windows[Window::Total as usize]`); see [`LineSnapshot::window`].
    pub windows: [WindowCounts; Window::ALL.len()],
    /// Seconds since the line reached showtime.
    pub line_uptime_s: Option<u64>,
    /// Seconds since the modem booted.
    pub modem_uptime_s: u64,
    pub retrain_reason: RetrainReason,
}

impl LineSnapshot {
    pub fn window(&self, window: Window) -> &WindowCounts {
        &self.windows[window as usize]
    }

    pub fn window_mut(&mut self, window: Window) -> &mut WindowCounts {
        &mut self.windows[window as usize]
    }
}

/// Something that happened, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub at_s: u64,
    pub text: String,
}

/// The fixed properties of one direction of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectionParams {
    /// Net rate the direction could carry at 0 dB margin, before any drift.
    pub capacity_kbps: f64,
    /// Rate lost per dB of noise (or of margin kept).
    pub kbps_per_db: f64,
    pub attenuation_db: f64,
    pub power_dbm: f64,
    /// Background FEC corrections per second in showtime.
    pub fec_per_s: f64,
    /// Background CRC errors per second in showtime, at a comfortable margin.
    pub crc_per_s: f64,
    /// G.INP (retransmission) on this direction.
    pub retransmission: bool,
}

/// The fixed properties of a line, drawn from the seed (public so a test can set, say, a FEC
/// rate that wraps 32 bits within days).
#[derive(Debug, Clone, PartialEq)]
pub struct LineParams {
    pub standard: Standard,
    pub down: DirectionParams,
    pub up: DirectionParams,
}

impl LineParams {
    pub fn random(standard: Standard, rng: &mut impl Rng) -> LineParams {
        let mut log_uniform = |lo: f64, hi: f64| (rng.random_range(lo.ln()..hi.ln())).exp();
        let fec = [log_uniform(20.0, 8000.0), log_uniform(0.05, 30.0), log_uniform(0.1, 50.0), log_uniform(0.01, 5.0)];
        let crc = [log_uniform(0.0005, 0.05), log_uniform(0.0002, 0.01)];
        match standard {
            Standard::Vdsl2Profile17a => {
                let attenuation = rng.random_range(6.0..30.0);
                let down_capacity = 145_000.0 * (-attenuation / 24.0_f64).exp();
                let up_capacity = 48_000.0 * (-attenuation / 20.0_f64).exp();
                LineParams {
                    standard,
                    down: DirectionParams {
                        capacity_kbps: down_capacity,
                        kbps_per_db: down_capacity * 0.04,
                        attenuation_db: attenuation,
                        power_dbm: rng.random_range(11.0..14.5),
                        fec_per_s: fec[0],
                        crc_per_s: crc[0],
                        retransmission: true,
                    },
                    up: DirectionParams {
                        capacity_kbps: up_capacity,
                        kbps_per_db: up_capacity * 0.05,
                        attenuation_db: attenuation * rng.random_range(0.0..0.3),
                        power_dbm: rng.random_range(-3.0..8.0),
                        fec_per_s: fec[1],
                        crc_per_s: crc[1],
                        retransmission: false,
                    },
                }
            }
            Standard::Adsl2Plus => {
                let attenuation = rng.random_range(12.0..55.0);
                let down_capacity = 26_000.0 * (-attenuation / 40.0_f64).exp();
                let up_capacity = 1_250.0 * (-attenuation / 100.0_f64).exp();
                LineParams {
                    standard,
                    down: DirectionParams {
                        capacity_kbps: down_capacity,
                        kbps_per_db: down_capacity * 0.05,
                        attenuation_db: attenuation,
                        power_dbm: rng.random_range(17.0..20.0),
                        fec_per_s: fec[2],
                        crc_per_s: crc[0],
                        retransmission: false,
                    },
                    up: DirectionParams {
                        capacity_kbps: up_capacity,
                        kbps_per_db: up_capacity * 0.05,
                        attenuation_db: attenuation * rng.random_range(0.5..0.7),
                        power_dbm: rng.random_range(11.0..13.0),
                        fec_per_s: fec[3],
                        crc_per_s: crc[1],
                        retransmission: false,
                    },
                }
            }
        }
    }

    fn direction(&self, direction: Direction) -> &DirectionParams {
        match direction {
            Direction::Down => &self.down,
            Direction::Up => &self.up,
        }
    }
}

/// The figures fixed when the line reached showtime.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LinkState {
    since: u64,
    /// [down, up] throughout.
    rate_kbps: [u32; 2],
    margin_at_sync: [f64; 2],
    noise_at_sync: [f64; 2],
    attenuation_tenths: [i32; 2],
    power_tenths: [i32; 2],
    target_margin_db: f64,
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::Down => 0,
        Direction::Up => 1,
    }
}

/// The simulated line and modem.
#[derive(Debug, Clone)]
pub struct Line {
    params: LineParams,
    profile: usize,
    rng: StdRng,
    now: u64,
    phase: Phase,
    /// When the current phase ends by itself (`None`: it lasts, e.g. a line taken down).
    phase_until: Option<u64>,
    /// The next training is a fast one (a short resync).
    fast_training: bool,
    boot_at: u64,
    link: Option<LinkState>,
    retrain_reason: RetrainReason,
    /// Noise added since the start, in dB (positive: worse).
    noise_db: f64,
    /// Margin change per second from drift.
    drift_db_per_s: f64,
    /// Short-term wander of the margin, [down, up].
    jitter: [f64; 2],
    /// Slow wander of the FEC rate around its background.
    fec_factor: f64,
    /// CRC bursts on the downstream: (until, errors per second).
    bursts: Vec<(u64, f64)>,
    unreachable_until: u64,
    windows: [WindowCounts; Window::ALL.len()],
    /// Scripted events, latest first.
    schedule: Vec<(u64, Event)>,
    random: Option<RandomEvents>,
    notes: Vec<Note>,
}

impl Line {
    /// A line drawn from `seed`, its modem just booted and the line in showtime.
    pub fn new(seed: u64, standard: Standard) -> Line {
        let mut rng = StdRng::seed_from_u64(seed);
        let params = LineParams::random(standard, &mut rng);
        Line::build(rng, params)
    }

    /// A line with the given properties; `seed` drives its noise.
    pub fn with_params(seed: u64, params: LineParams) -> Line {
        Line::build(StdRng::seed_from_u64(seed), params)
    }

    fn build(mut rng: StdRng, params: LineParams) -> Line {
        let profile = rng.random_range(0..params.standard.profiles().len());
        let mut line = Line {
            params,
            profile,
            rng,
            now: 0,
            phase: Phase::Down,
            phase_until: None,
            fast_training: false,
            boot_at: 0,
            link: None,
            retrain_reason: RetrainReason::PowerOn,
            noise_db: 0.0,
            drift_db_per_s: 0.0,
            jitter: [0.0; 2],
            fec_factor: 1.0,
            bursts: Vec::new(),
            unreachable_until: 0,
            windows: Default::default(),
            schedule: Vec::new(),
            random: None,
            notes: Vec::new(),
        };
        line.start_showtime();
        line
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the modem's servers answer.
    pub fn reachable(&self) -> bool {
        self.phase != Phase::Booting && self.now >= self.unreachable_until
    }

    /// Draws events at random, on average one every `mean_gap`.
    pub fn enable_random_events(&mut self, seed: u64, mean_gap: Duration) {
        self.random = Some(RandomEvents::new(seed, mean_gap, self.now));
    }

    /// Applies `event` when the simulation reaches `at` (from the start).
    pub fn schedule(&mut self, at: Duration, event: Event) {
        let at = at.as_secs();
        let position = self.schedule.partition_point(|(t, _)| *t > at);
        self.schedule.insert(position, (at, event));
    }

    /// Applies `event` now.
    pub fn inject(&mut self, event: Event) {
        self.note(event.to_string());
        match event {
            Event::Desync { down_for } => {
                if self.phase != Phase::Booting {
                    self.lose_link(RetrainReason::LossOfSignal);
                    self.go_down(Some(down_for.as_secs().max(1)), false);
                }
            }
            Event::ShortResync => {
                if self.phase == Phase::Showtime {
                    self.lose_link(RetrainReason::LossOfSignal);
                    self.go_down(Some(1), true);
                }
            }
            Event::CrcBurst { per_min, r#for } => {
                if per_min.is_finite() && per_min > 0.0 {
                    self.bursts.push((self.now.saturating_add(r#for.as_secs()), per_min / 60.0));
                }
            }
            Event::SnrDrift { db_per_hour } => {
                self.drift_db_per_s = if db_per_hour.is_finite() { db_per_hour / 3600.0 } else { 0.0 };
            }
            Event::RateChange => {
                let count = self.params.standard.profiles().len();
                self.profile = (self.profile + self.rng.random_range(1..count)) % count;
                self.note(format!("now on profile {}", self.profile().name));
                if self.phase == Phase::Showtime {
                    self.lose_link(RetrainReason::ProfileChange);
                    self.go_down(Some(1), true);
                }
            }
            Event::Reboot { down_for } => {
                self.link = None;
                self.phase = Phase::Booting;
                self.phase_until = Some(self.now.saturating_add(down_for.as_secs().max(1)));
                self.windows = Default::default();
                self.retrain_reason = RetrainReason::PowerOn;
            }
            Event::Unreachable { r#for } => {
                self.unreachable_until = self.unreachable_until.max(self.now.saturating_add(r#for.as_secs()));
            }
            Event::LineDown => {
                if self.phase != Phase::Booting {
                    self.lose_link(RetrainReason::UserRequest);
                    self.go_down(None, false);
                }
            }
            Event::LineUp => {
                if self.phase == Phase::Down {
                    self.start_training();
                }
            }
        }
    }

    /// Runs the simulation up to `target_s` (never backwards).
    pub fn advance_to(&mut self, target_s: u64) {
        while self.now < target_s {
            self.tick();
        }
    }

    /// What happened since the last call.
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    pub fn snapshot(&self) -> LineSnapshot {
        let modem_uptime_s = self.modem_uptime_s();
        let line_uptime_s = self.link.map(|l| self.now - l.since);
        let mut windows = self.windows;
        let full = |period: u64| if modem_uptime_s >= period { period } else { 0 };
        for (window, duration) in [
            (Window::Total, modem_uptime_s),
            (Window::SinceLink, line_uptime_s.unwrap_or(0)),
            (Window::Current15m, modem_uptime_s % QUARTER_S),
            (Window::Previous15m, full(QUARTER_S)),
            (Window::Current1d, modem_uptime_s % DAY_S),
            (Window::Previous1d, full(DAY_S)),
        ] {
            windows[window as usize].duration_s = duration;
        }
        LineSnapshot {
            at_s: self.now,
            phase: self.phase,
            reachable: self.reachable(),
            standard: self.params.standard,
            link: self.link.map(|link| Link {
                down: self.figures(&link, Direction::Down),
                up: self.figures(&link, Direction::Up),
            }),
            windows,
            line_uptime_s,
            modem_uptime_s,
            retrain_reason: self.retrain_reason,
        }
    }

    fn modem_uptime_s(&self) -> u64 {
        if self.phase == Phase::Booting { 0 } else { self.now - self.boot_at }
    }

    fn profile(&self) -> Profile {
        self.params.standard.profiles()[self.profile]
    }

    fn figures(&self, link: &LinkState, direction: Direction) -> Figures {
        let i = index(direction);
        let params = self.params.direction(direction);
        let margin = self.margin(link, direction);
        let rate = link.rate_kbps[i];
        let attainable = f64::from(rate) + (margin - link.target_margin_db) * params.kbps_per_db;
        Figures {
            rate_kbps: rate,
            attainable_kbps: attainable.max(0.0) as u32,
            snr_margin_tenths: (margin * 10.0).round() as i32,
            attenuation_tenths: link.attenuation_tenths[i],
            power_tenths: link.power_tenths[i],
            retransmission: params.retransmission,
        }
    }

    /// The noise a direction sees: drift hits the downstream fully, the upstream by half.
    fn noise(&self, direction: Direction) -> f64 {
        match direction {
            Direction::Down => self.noise_db,
            Direction::Up => self.noise_db / 2.0,
        }
    }

    fn margin(&self, link: &LinkState, direction: Direction) -> f64 {
        let i = index(direction);
        link.margin_at_sync[i] - (self.noise(direction) - link.noise_at_sync[i]) + self.jitter[i]
    }

    fn note(&mut self, text: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(Note { at_s: self.now, text });
        }
    }

    /// One simulated second.
    fn tick(&mut self) {
        self.count_second();
        self.now += 1;
        self.roll_windows();
        self.wander();
        self.end_of_phase();
        if self.unreachable_until == self.now && self.phase != Phase::Booting {
            self.note("answering again".to_string());
        }
        if let Some(link) = self.link
            && self.margin(&link, Direction::Down) < -0.5
        {
            self.note("SNR margin below zero: the line retrains".to_string());
            self.lose_link(RetrainReason::LowMargin);
            self.go_down(Some(2), false);
        }
        while self.schedule.last().is_some_and(|(at, _)| *at <= self.now) {
            if let Some((_, event)) = self.schedule.pop() {
                self.inject(event);
            }
        }
        if let Some(event) = self.random.as_mut().and_then(|r| r.due(self.now)) {
            self.inject(event);
        }
    }

    /// Adds `n` to a counter in every window that is counting.
    fn count(&mut self, direction: Direction, counter: Counter, n: u64) {
        if n == 0 {
            return;
        }
        let since_link = self.link.is_some().then_some(Window::SinceLink);
        for window in [Window::Total, Window::Current15m, Window::Current1d].into_iter().chain(since_link) {
            self.windows[window as usize].direction_mut(direction).add(counter, n);
        }
    }

    fn count_second(&mut self) {
        match self.phase {
            Phase::Booting => {}
            Phase::Showtime => {
                for direction in Direction::BOTH {
                    self.errored_second(direction);
                }
            }
            Phase::Training(_) | Phase::Down => {
                for direction in Direction::BOTH {
                    self.count(direction, Counter::Uas, 1);
                }
            }
        }
    }

    fn errored_second(&mut self, direction: Direction) {
        let Some(link) = self.link else { return };
        let params = self.params.direction(direction).clone();
        // Errors grow tenfold for every 1.5 dB of margin below 3 dB.
        let margin = self.margin(&link, direction);
        let fragility = 10f64.powf((3.0 - margin).max(0.0) / 1.5);
        let burst: f64 = match direction {
            Direction::Down => self.bursts.iter().map(|(_, per_s)| per_s).sum(),
            Direction::Up => 0.0,
        };
        let crc_rate = params.crc_per_s * fragility + burst;
        let fec = poisson(&mut self.rng, params.fec_per_s * self.fec_factor);
        let crc = poisson(&mut self.rng, crc_rate);
        self.count(direction, Counter::Fec, fec);
        self.count(direction, Counter::Fecs, u64::from(fec > 0));
        self.count(direction, Counter::Crc, crc);
        self.count(direction, Counter::Es, u64::from(crc > 0));
        self.count(direction, Counter::Ses, u64::from(crc >= SES_CRC));
        if params.retransmission {
            // Retransmission corrects most errors; what it cannot correct shows as CRC.
            let corrected = poisson(&mut self.rng, 0.02 + crc_rate * 20.0);
            let extra = poisson(&mut self.rng, 0.01);
            self.count(direction, Counter::RtxC, corrected);
            self.count(direction, Counter::RtxUc, crc);
            self.count(direction, Counter::RtxTx, corrected + extra);
        }
        if self.params.standard == Standard::Adsl2Plus {
            self.count(direction, Counter::Hec, crc.div_ceil(2));
        }
    }

    /// The 15-minute and 1-day intervals end every 15 minutes / day after the boot.
    fn roll_windows(&mut self) {
        if self.phase == Phase::Booting {
            return;
        }
        let uptime = self.now - self.boot_at;
        for (period, current, previous) in
            [(QUARTER_S, Window::Current15m, Window::Previous15m), (DAY_S, Window::Current1d, Window::Previous1d)]
        {
            if uptime > 0 && uptime.is_multiple_of(period) {
                self.windows[previous as usize] = std::mem::take(&mut self.windows[current as usize]);
            }
        }
    }

    /// Slow processes: noise drift, margin wander, FEC rate wander, bursts ending.
    fn wander(&mut self) {
        self.noise_db = (self.noise_db - self.drift_db_per_s).clamp(-10.0, 40.0);
        if self.now.is_multiple_of(10) {
            for i in 0..2 {
                let step = normal(&mut self.rng) * 0.1;
                self.jitter[i] = (self.jitter[i] * 0.8 + step).clamp(-0.6, 0.6);
            }
        }
        if self.now.is_multiple_of(60) {
            let step = normal(&mut self.rng) * 0.15;
            self.fec_factor = (self.fec_factor.ln() * 0.9 + step).exp();
        }
        let now = self.now;
        self.bursts.retain(|(until, _)| *until > now);
    }

    fn end_of_phase(&mut self) {
        if self.phase_until.is_none_or(|until| self.now < until) {
            return;
        }
        match self.phase {
            Phase::Booting => {
                self.boot_at = self.now;
                self.note("booted".to_string());
                self.start_training();
            }
            Phase::Down => self.start_training(),
            Phase::Training(step) => match step.next() {
                Some(next) => self.train(next),
                None => self.start_showtime(),
            },
            Phase::Showtime => self.phase_until = None,
        }
    }

    fn lose_link(&mut self, reason: RetrainReason) {
        self.retrain_reason = reason;
        if self.link.take().is_none() {
            return;
        }
        match reason {
            RetrainReason::LossOfSignal => self.count(Direction::Down, Counter::Los, 1),
            RetrainReason::LowMargin => self.count(Direction::Down, Counter::Lof, 1),
            _ => {}
        }
        for window in [Window::Total, Window::Current15m, Window::Current1d] {
            self.windows[window as usize].retrains += 1;
        }
        self.windows[Window::SinceLink as usize] = WindowCounts::default();
    }

    fn go_down(&mut self, for_s: Option<u64>, fast_training: bool) {
        self.phase = Phase::Down;
        self.phase_until = for_s.map(|s| self.now.saturating_add(s));
        self.fast_training = fast_training;
    }

    fn start_training(&mut self) {
        self.note("training".to_string());
        self.train(TrainingStep::Handshake);
    }

    fn train(&mut self, step: TrainingStep) {
        let (lo, hi) = step.seconds();
        let mut seconds = self.rng.random_range(lo..=hi);
        if self.fast_training {
            seconds = seconds.div_ceil(3);
        }
        self.phase = Phase::Training(step);
        self.phase_until = Some(self.now + seconds);
    }

    fn start_showtime(&mut self) {
        let profile = self.profile();
        let mut link = LinkState {
            since: self.now,
            rate_kbps: [0; 2],
            margin_at_sync: [0.0; 2],
            noise_at_sync: [0.0; 2],
            attenuation_tenths: [0; 2],
            power_tenths: [0; 2],
            target_margin_db: profile.target_margin_db,
        };
        for direction in Direction::BOTH {
            let i = index(direction);
            let params = self.params.direction(direction).clone();
            let noise = self.noise(direction);
            let floor = params.capacity_kbps * 0.05;
            let at_zero_margin = (params.capacity_kbps - noise * params.kbps_per_db).max(floor);
            let at_target = at_zero_margin - profile.target_margin_db * params.kbps_per_db;
            let rate = f64::from(profile.cap_kbps[i]).min(at_target * self.rng.random_range(0.97..1.0)).max(64.0);
            link.rate_kbps[i] = rate as u32;
            link.margin_at_sync[i] = (at_zero_margin - rate) / params.kbps_per_db + normal(&mut self.rng) * 0.15;
            link.noise_at_sync[i] = noise;
            link.attenuation_tenths[i] =
                ((params.attenuation_db + self.rng.random_range(-0.2..0.2)) * 10.0).round() as i32;
            link.power_tenths[i] = ((params.power_dbm + self.rng.random_range(-0.3..0.3)) * 10.0).round() as i32;
        }
        self.jitter = [0.0; 2];
        self.link = Some(link);
        self.phase = Phase::Showtime;
        self.phase_until = None;
        self.fast_training = false;
        self.windows[Window::SinceLink as usize] = WindowCounts::default();
        let figures = [self.figures(&link, Direction::Down), self.figures(&link, Direction::Up)];
        self.note(format!(
            "showtime at {}/{} kbit/s, SNR margin {:.1}/{:.1} dB (profile {})",
            figures[0].rate_kbps,
            figures[1].rate_kbps,
            f64::from(figures[0].snr_margin_tenths) / 10.0,
            f64::from(figures[1].snr_margin_tenths) / 10.0,
            profile.name
        ));
    }
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw: Knuth's method for small means, the normal approximation for large ones.
fn poisson(rng: &mut StdRng, mean: f64) -> u64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    if mean < 30.0 {
        let limit = (-mean).exp();
        let mut product: f64 = rng.random();
        let mut k = 0;
        while product > limit {
            product *= rng.random::<f64>();
            k += 1;
        }
        return k;
    }
    (mean + mean.sqrt() * normal(rng)).round().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::Clock;

    fn total(line: &Line, direction: Direction, counter: Counter) -> u64 {
        line.snapshot().window(Window::Total).direction(direction).get(counter)
    }

    /// Runs the line on a manual clock, `step` at a time, until `until` or until `stop` holds.
    fn run(line: &mut Line, clock: &Clock, step: Duration, until: Duration, mut stop: impl FnMut(&Line) -> bool) {
        while clock.elapsed() < until {
            clock.advance(step);
            line.advance_to(clock.now_s());
            if stop(line) {
                return;
            }
        }
    }

    #[test]
    fn starts_in_showtime_and_is_deterministic_for_a_seed() {
        let clock = Clock::manual();
        let mut a = Line::new(42, Standard::Vdsl2Profile17a);
        let mut b = Line::new(42, Standard::Vdsl2Profile17a);
        assert_eq!(a.phase(), Phase::Showtime);
        // Read at different moments: the line is the same at the same time.
        run(&mut a, &clock, Duration::from_secs(7), Duration::from_secs(3600), |_| false);
        b.advance_to(clock.now_s());
        assert_eq!(a.snapshot(), b.snapshot());
        assert_ne!(a.snapshot(), {
            let mut c = Line::new(43, Standard::Vdsl2Profile17a);
            c.advance_to(3600);
            c.snapshot()
        });
    }

    #[test]
    fn desync_goes_down_then_trains_then_showtime_at_new_figures() {
        let clock = Clock::manual();
        let mut line = Line::new(1, Standard::Vdsl2Profile17a);
        run(&mut line, &clock, Duration::from_secs(60), Duration::from_secs(3600), |_| false);
        let before = line.snapshot();
        line.inject(Event::Desync { down_for: Duration::from_secs(40) });
        let mut phases = vec![line.phase()];
        run(&mut line, &clock, Duration::from_secs(1), Duration::from_secs(3600 + 300), |l| {
            if phases.last() != Some(&l.phase()) {
                phases.push(l.phase());
            }
            l.phase() == Phase::Showtime
        });
        use TrainingStep::*;
        assert_eq!(
            phases,
            [
                Phase::Down,
                Phase::Training(Handshake),
                Phase::Training(Started),
                Phase::Training(ChannelAnalysis),
                Phase::Training(MessageExchange),
                Phase::Showtime
            ]
        );
        let back = clock.now_s() - 3600;
        assert!((40 + 18..=40 + 35).contains(&back), "showtime again after {back}s");
        let after = line.snapshot();
        assert_eq!(after.line_uptime_s, Some(0));
        assert_eq!(after.retrain_reason, RetrainReason::LossOfSignal);
        assert_ne!(after.link, before.link, "new rates and margins after the retrain");
        let total = after.window(Window::Total);
        assert_eq!(total.retrains, 1);
        assert_eq!(total.down.get(Counter::Los), 1);
        assert!(total.down.get(Counter::Uas) >= 58, "unavailable while down and training: {total:?}");
        assert_eq!(after.window(Window::SinceLink).down, Counts::default());
    }

    #[test]
    fn short_resync_restarts_uptime_within_a_poll() {
        let clock = Clock::manual();
        let mut line = Line::new(2, Standard::Adsl2Plus);
        run(&mut line, &clock, Duration::from_secs(30), Duration::from_secs(7200), |_| false);
        assert_eq!(line.snapshot().line_uptime_s, Some(7200));
        line.inject(Event::ShortResync);
        run(&mut line, &clock, Duration::from_secs(30), Duration::from_secs(7230), |_| false);
        let after = line.snapshot();
        assert_eq!(after.phase, Phase::Showtime, "back before the next 30 s poll");
        let uptime = after.line_uptime_s.unwrap();
        assert!(uptime > 0 && uptime < 30, "uptime restarted: {uptime}");
        assert_eq!(after.window(Window::Total).retrains, 1);
    }

    #[test]
    fn counters_never_go_backwards_except_at_retrain_or_reboot() {
        let clock = Clock::manual();
        let mut line = Line::new(3, Standard::Vdsl2Profile17a);
        line.enable_random_events(3, Duration::from_secs(2 * 3600));
        let mut previous = line.snapshot();
        let mut resets = 0;
        // A simulated week, read every 5 minutes.
        while clock.elapsed() < Duration::from_secs(7 * 86_400) {
            clock.advance(Duration::from_secs(300));
            line.advance_to(clock.now_s());
            let now = line.snapshot();
            let rebooted = now.modem_uptime_s < previous.modem_uptime_s + 300;
            let retrained = now.line_uptime_s.is_none_or(|u| previous.line_uptime_s.is_none_or(|p| u < p + 300));
            for direction in Direction::BOTH {
                for counter in Counter::ALL {
                    let (was, is) = (
                        previous.window(Window::Total).direction(direction).get(counter),
                        now.window(Window::Total).direction(direction).get(counter),
                    );
                    assert!(is >= was || rebooted, "{counter:?} {direction:?} total went from {was} to {is}");
                    let (was, is) = (
                        previous.window(Window::SinceLink).direction(direction).get(counter),
                        now.window(Window::SinceLink).direction(direction).get(counter),
                    );
                    assert!(
                        is >= was || retrained || rebooted,
                        "{counter:?} {direction:?} since link went from {was} to {is}"
                    );
                }
            }
            resets += usize::from(retrained || rebooted);
            previous = now;
        }
        assert!(resets > 0, "a week of random events has retrains");
    }

    #[test]
    fn crc_burst_shows_in_the_crc_counters() {
        let clock = Clock::manual();
        let mut line = Line::new(4, Standard::Vdsl2Profile17a);
        run(&mut line, &clock, Duration::from_secs(60), Duration::from_secs(900), |_| false);
        let crc_before = total(&line, Direction::Down, Counter::Crc);
        let es_before = total(&line, Direction::Down, Counter::Es);
        line.inject(Event::CrcBurst { per_min: 600.0, r#for: Duration::from_secs(300) });
        run(&mut line, &clock, Duration::from_secs(60), Duration::from_secs(1200), |_| false);
        let crc = total(&line, Direction::Down, Counter::Crc) - crc_before;
        assert!((2500..=3500).contains(&crc), "about 3000 CRC errors in 5 minutes at 600/min: {crc}");
        assert!(total(&line, Direction::Down, Counter::Es) - es_before >= 290, "nearly every second errored");
        let quarter = line.snapshot();
        assert!(quarter.window(Window::Current15m).down.get(Counter::Crc) >= 2500);
        // The burst is over: the background is back.
        let after_burst = total(&line, Direction::Down, Counter::Crc);
        run(&mut line, &clock, Duration::from_secs(60), Duration::from_secs(1800), |_| false);
        assert!(total(&line, Direction::Down, Counter::Crc) - after_burst < 100);
    }

    #[test]
    fn snr_drift_lowers_the_margin_until_the_line_retrains_slower() {
        let clock = Clock::manual();
        let mut line = Line::new(5, Standard::Vdsl2Profile17a);
        let first = line.snapshot().link.unwrap();
        line.inject(Event::SnrDrift { db_per_hour: -2.0 });
        run(&mut line, &clock, Duration::from_secs(60), Duration::from_secs(3600), |_| false);
        let later = line.snapshot().link.unwrap();
        let dropped = first.down.snr_margin_tenths - later.down.snr_margin_tenths;
        assert!((12..=28).contains(&dropped), "about 2 dB lower after an hour: {dropped} tenths");
        run(&mut line, &clock, Duration::from_secs(60), Duration::from_secs(40 * 3600), |l| {
            l.snapshot().retrain_reason == RetrainReason::LowMargin && l.phase() == Phase::Showtime
        });
        let retrained = line.snapshot();
        assert_eq!(retrained.retrain_reason, RetrainReason::LowMargin);
        assert!(retrained.link.unwrap().down.attainable_kbps < first.down.attainable_kbps);
    }

    #[test]
    fn reboot_resets_counters_and_uptime_and_is_unreachable_meanwhile() {
        let clock = Clock::manual();
        let mut line = Line::new(6, Standard::Vdsl2Profile17a);
        run(&mut line, &clock, Duration::from_secs(60), Duration::from_secs(86_400), |_| false);
        assert!(total(&line, Direction::Down, Counter::Fec) > 0);
        line.inject(Event::Reboot { down_for: Duration::from_secs(90) });
        assert!(!line.reachable());
        run(&mut line, &clock, Duration::from_secs(1), Duration::from_secs(86_400 + 89), |l| l.reachable());
        assert!(!line.reachable(), "still booting");
        run(&mut line, &clock, Duration::from_secs(1), Duration::from_secs(86_400 + 91), |_| false);
        assert!(line.reachable());
        let booted = line.snapshot();
        assert!(booted.modem_uptime_s <= 1);
        assert!(matches!(booted.phase, Phase::Training(_)), "the line trains after the boot");
        assert_eq!(booted.window(Window::Total).down.get(Counter::Fec), 0);
        assert_eq!(booted.retrain_reason, RetrainReason::PowerOn);
    }

    #[test]
    fn unreachable_keeps_the_line_up() {
        let mut line = Line::new(7, Standard::Adsl2Plus);
        line.advance_to(100);
        line.inject(Event::Unreachable { r#for: Duration::from_secs(60) });
        line.advance_to(159);
        assert!(!line.reachable());
        assert_eq!(line.snapshot().line_uptime_s, Some(159));
        line.advance_to(160);
        assert!(line.reachable());
    }

    #[test]
    fn connection_down_holds_until_up() {
        let mut line = Line::new(8, Standard::Vdsl2Profile17a);
        line.advance_to(100);
        line.inject(Event::LineDown);
        line.advance_to(10_000);
        assert_eq!(line.phase(), Phase::Down);
        line.inject(Event::LineUp);
        assert_eq!(line.phase(), Phase::Training(TrainingStep::Handshake));
        line.advance_to(10_040);
        assert_eq!(line.phase(), Phase::Showtime);
        assert_eq!(line.snapshot().retrain_reason, RetrainReason::UserRequest);
    }

    #[test]
    fn scripted_events_happen_at_their_offsets() {
        let mut line = Line::new(9, Standard::Vdsl2Profile17a);
        line.schedule(Duration::from_secs(120), Event::Desync { down_for: Duration::from_secs(40) });
        line.schedule(Duration::from_secs(60), Event::Unreachable { r#for: Duration::from_secs(10) });
        line.advance_to(119);
        assert_eq!(line.phase(), Phase::Showtime);
        line.advance_to(120);
        assert_eq!(line.phase(), Phase::Down);
        let notes: Vec<String> = line.take_notes().into_iter().map(|n| format!("{} {}", n.at_s, n.text)).collect();
        assert!(notes.contains(&"60 unreachable for 10s".to_string()), "{notes:?}");
        assert!(notes.contains(&"70 answering again".to_string()), "{notes:?}");
        assert!(notes.contains(&"120 desync, down for 40s".to_string()), "{notes:?}");
    }

    #[test]
    fn windows_roll_every_quarter_and_day_from_the_boot() {
        let mut line = Line::new(10, Standard::Vdsl2Profile17a);
        line.advance_to(899);
        let before = line.snapshot();
        assert_eq!(before.window(Window::Previous15m).duration_s, 0);
        assert_eq!(before.window(Window::Current15m).duration_s, 899);
        line.advance_to(900);
        let rolled = line.snapshot();
        assert_eq!(rolled.window(Window::Current15m).duration_s, 0);
        assert_eq!(rolled.window(Window::Previous15m).duration_s, 900);
        assert_eq!(rolled.window(Window::Current15m).down, Counts::default());
        assert!(
            rolled.window(Window::Previous15m).down.get(Counter::Fec)
                >= before.window(Window::Current15m).down.get(Counter::Fec)
        );
        line.advance_to(86_400 + 5);
        let day = line.snapshot();
        assert_eq!(day.window(Window::Previous1d).duration_s, 86_400);
        assert_eq!(day.window(Window::Current1d).duration_s, 5);
        assert_eq!(day.window(Window::Total).duration_s, 86_405);
    }

    #[test]
    fn high_background_fec_passes_two_to_the_32() {
        let mut params = LineParams::random(Standard::Vdsl2Profile17a, &mut StdRng::seed_from_u64(11));
        params.down.fec_per_s = 20_000.0;
        let mut line = Line::with_params(11, params);
        line.advance_to(3 * 86_400);
        let fec = total(&line, Direction::Down, Counter::Fec);
        assert!(fec > 1 << 32, "{fec}");
    }

    #[test]
    fn a_simulated_week_runs() {
        let clock = Clock::manual();
        let mut line = Line::new(12, Standard::Vdsl2Profile17a);
        clock.advance(Duration::from_secs(7 * 86_400));
        line.advance_to(clock.now_s());
        assert_eq!(line.snapshot().modem_uptime_s, 7 * 86_400);
    }
}

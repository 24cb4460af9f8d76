//! The line model: what one reading of a modem says about its DSL line.
//!
//! Units are fixed here and converted by the parsers at the edge: rates in bit/s, levels in
//! dB / dBm as `f64`, durations in seconds. Whatever a capture does not state is `None` and is
//! left out of the JSON, never reported as 0.

use serde::{Deserialize, Serialize};

use crate::dialects::Dialect;

/// One reading of a DSL line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineReading {
    /// The dialect (output format) the reading was parsed from.
    pub dialect: Dialect,
    pub state: LineState,
    /// The modem's own words for the state, e.g. `Showtime`, `G.994 Training`, `UP [0x801: showtime_tc_sync]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Annex letter(s) as reported: `A`, `B`, `J`, `M`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annex: Option<String>,
    /// VDSL2 profile, normalised: `17a`, `35b` (Broadcom's `BrcmPriv1`)...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tps_tc: Option<TpsTc>,
    /// Downstream: what the modem receives. Its counters are the near end's.
    #[serde(default, skip_serializing_if = "DirectionStats::is_empty")]
    pub down: DirectionStats,
    /// Upstream: what the DSLAM receives. Its counters are the far end's.
    #[serde(default, skip_serializing_if = "DirectionStats::is_empty")]
    pub up: DirectionStats,
    #[serde(default, skip_serializing_if = "CounterWindows::is_empty")]
    pub counters: CounterWindows,
    /// Seconds since the line last reached showtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_s: Option<u64>,
    /// Why the line last retrained, as the modem says it (often a vendor code such as `8000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrain_reason: Option<String>,
    /// The DSLAM side (ATU-C / xTU-C).
    #[serde(default, skip_serializing_if = "FarEnd::is_empty")]
    pub far_end: FarEnd,
    /// The modem's own DSL chip and software.
    #[serde(default, skip_serializing_if = "ModemInfo::is_empty")]
    pub modem: ModemInfo,
}

impl LineReading {
    /// An empty reading: state unknown, nothing else known.
    pub fn new(dialect: Dialect) -> Self {
        LineReading {
            dialect,
            state: LineState::Unknown,
            state_text: None,
            mode: None,
            annex: None,
            profile: None,
            tps_tc: None,
            down: DirectionStats::default(),
            up: DirectionStats::default(),
            counters: CounterWindows::default(),
            uptime_s: None,
            retrain_reason: None,
            far_end: FarEnd::default(),
            modem: ModemInfo::default(),
        }
    }

    pub fn is_showtime(&self) -> bool {
        self.state == LineState::Showtime
    }

    /// Whether the reading says anything of the line: state, figures, counters.
    pub fn holds_line_status(&self) -> bool {
        self.state != LineState::Unknown
            || !self.down.is_empty()
            || !self.up.is_empty()
            || !self.counters.is_empty()
            || self.uptime_s.is_some()
    }

    /// True when the reading says nothing at all beyond its dialect.
    pub fn is_empty(&self) -> bool {
        *self == LineReading::new(self.dialect)
    }

    /// Drops what a line out of showtime cannot mean: modems keep printing rates, margins and
    /// uptimes of 0 (or of the last session) while training or down. Counters stay: the
    /// windows that outlive a link (total, days) are still true.
    pub fn settle(&mut self) {
        if matches!(self.state, LineState::Training | LineState::Idle | LineState::Down) {
            self.down = DirectionStats::default();
            self.up = DirectionStats::default();
            self.uptime_s = None;
            self.counters.since_link = None;
        }
        self.counters.prune();
    }

    pub fn direction(&self, direction: Direction) -> &DirectionStats {
        match direction {
            Direction::Down => &self.down,
            Direction::Up => &self.up,
        }
    }

    pub fn direction_mut(&mut self, direction: Direction) -> &mut DirectionStats {
        match direction {
            Direction::Down => &mut self.down,
            Direction::Up => &mut self.up,
        }
    }

    /// Completes this reading with what `other` states and this one leaves out, such as the
    /// line details of a second command. Values (and a known state) already here win.
    pub fn fill_from(&mut self, other: &LineReading) {
        fn fill(into: &mut serde_json::Value, from: &serde_json::Value) {
            if let (serde_json::Value::Object(into), serde_json::Value::Object(from)) = (into, from) {
                for (key, value) in from {
                    match into.get_mut(key) {
                        Some(existing) => fill(existing, value),
                        None => {
                            into.insert(key.clone(), value.clone());
                        }
                    }
                }
            }
        }
        let state = if self.state == LineState::Unknown { other.state } else { self.state };
        let (Ok(mut mine), Ok(theirs)) = (serde_json::to_value(&*self), serde_json::to_value(other)) else {
            return;
        };
        fill(&mut mine, &theirs);
        if let Ok(merged) = serde_json::from_value::<LineReading>(mine) {
            *self = LineReading { state, ..merged };
        }
    }
}

/// Where the line is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineState {
    /// Synchronised, carrying data.
    Showtime,
    /// Handshake, channel discovery, training, analysis: on its way to showtime.
    Training,
    /// Enabled but no signal from the other end yet.
    Idle,
    /// Down: no link, disabled or failed.
    Down,
    Unknown,
}

impl LineState {
    pub fn as_str(self) -> &'static str {
        match self {
            LineState::Showtime => "showtime",
            LineState::Training => "training",
            LineState::Idle => "idle",
            LineState::Down => "down",
            LineState::Unknown => "unknown",
        }
    }

    /// Classifies a modem's state text. Vendors word it in many ways (`Showtime`,
    /// `G.994 Training`, `UP`, `showtime_tc_sync`, `Up`, `EstablishingLink`, `NoSignal`...).
    pub fn from_text(text: &str) -> LineState {
        let t = text.trim().to_ascii_lowercase();
        let has = |needle: &str| t.contains(needle);
        if t.is_empty() {
            LineState::Unknown
        } else if has("showtime") || t == "up" || t.starts_with("up ") || has("connected") && !has("disconnected") {
            LineState::Showtime
        } else if has("train")
            || has("handshake")
            || has("started")
            || has("analysis")
            || has("exchange")
            || has("initializ")
            || has("initialis")
            || has("establishing")
            || has("discovery")
            || has("g.994")
            || has("activat")
            || has("sync")
        {
            LineState::Training
        } else if has("idle") || has("nosignal") || has("no signal") || has("wait") || has("silent") {
            LineState::Idle
        } else if has("down") || has("disabled") || has("error") || has("fail") || has("off") || has("no link") || has("notpresent") {
            LineState::Down
        } else {
            LineState::Unknown
        }
    }
}

/// The DSL standard family in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    #[serde(rename = "ADSL")]
    Adsl,
    #[serde(rename = "ADSL2")]
    Adsl2,
    #[serde(rename = "ADSL2+")]
    Adsl2Plus,
    #[serde(rename = "VDSL2")]
    Vdsl2,
    #[serde(rename = "G.fast")]
    Gfast,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Adsl => "ADSL",
            Mode::Adsl2 => "ADSL2",
            Mode::Adsl2Plus => "ADSL2+",
            Mode::Vdsl2 => "VDSL2",
            Mode::Gfast => "G.fast",
        }
    }

    /// Recognises the mode in free text: `VDSL2 Annex B`, `ADSL2+`, `G.992.5_Annex_A`,
    /// `adsl2p_annexa`, `ITU G.992.1(G.DMT)`, `G.993.2 (VDSL2, Profile 17a)`, `VDSL`...
    pub fn from_text(text: &str) -> Option<Mode> {
        let t = text.to_ascii_lowercase().replace([' ', '_', '-'], "");
        let has = |needle: &str| t.contains(needle);
        if has("g.9700") || has("g.9701") || has("gfast") || has("g.fast") {
            Some(Mode::Gfast)
        } else if has("g.993") || has("vdsl") {
            Some(Mode::Vdsl2)
        } else if has("g.992.5") || has("adsl2+") || has("adsl2plus") || has("adsl2p") || has("2plus") {
            Some(Mode::Adsl2Plus)
        } else if has("g.992.3") || has("g.992.4") || has("adsl2") || has("readsl") || has("g.dmt.bis") || has("gdmtbis") {
            Some(Mode::Adsl2)
        } else if has("g.992.1")
            || has("g.992.2")
            || has("g.dmt")
            || has("gdmt")
            || has("g.lite")
            || has("glite")
            || has("t1.413")
            || has("t1413")
            || has("adsl")
        {
            Some(Mode::Adsl)
        } else {
            None
        }
    }
}

/// Transport protocol specific transmission convergence: cells or packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TpsTc {
    #[serde(rename = "ATM")]
    Atm,
    #[serde(rename = "PTM")]
    Ptm,
}

impl TpsTc {
    pub fn from_text(text: &str) -> Option<TpsTc> {
        let t = text.to_ascii_uppercase();
        if t.contains("PTM") {
            Some(TpsTc::Ptm)
        } else if t.contains("ATM") {
            Some(TpsTc::Atm)
        } else {
            None
        }
    }
}

/// Finds the annex letter in free text: `VDSL2 Annex B`, `G.993.2_Annex_B`, `vdsl2_annexa`.
/// `Annex_K` names the TPS-TC, not the annex, and is skipped.
pub fn annex_from_text(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(pos) = rest.find("annex") {
        let after = rest[pos + 5..].trim_start_matches([' ', '_', ':', '-']);
        let mut chars = after.chars();
        if let Some(c) = chars.next()
            && c.is_ascii_alphabetic()
            && !chars.next().is_some_and(|n| n.is_ascii_alphanumeric())
            && c != 'k'
        {
            return Some(c.to_ascii_uppercase().to_string());
        }
        rest = &rest[pos + 5..];
    }
    None
}

/// Normalises a VDSL2 profile name: `Profile 17a` → `17a`, `BrcmPriv1` → `35b`.
/// Returns `None` for text that names no profile.
pub fn profile_from_text(text: &str) -> Option<String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if lower.contains("brcmpriv1") {
        return Some("35b".to_string());
    }
    let token = lower.trim_start_matches("profile").trim_matches(|c: char| c == ' ' || c == ':' || c == '_');
    let token = token.split(|c: char| c.is_whitespace() || c == ',' || c == ')').next().unwrap_or("");
    let digits = token.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let letters = &token[digits.len()..];
    let valid = matches!(digits, "8" | "12" | "17" | "30" | "35") && letters.len() == 1;
    valid.then(|| token.to_string())
}

/// A direction of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Down,
    Up,
}

impl Direction {
    pub const BOTH: [Direction; 2] = [Direction::Down, Direction::Up];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Down => "down",
            Direction::Up => "up",
        }
    }
}

/// The physical figures of one direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectionStats {
    /// Actual (sync) net data rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bps: Option<u64>,
    /// Attainable net data rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attainable_bps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snr_margin_db: Option<f64>,
    /// Line attenuation (LATN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attenuation_db: Option<f64>,
    /// Signal attenuation (SATN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_attenuation_db: Option<f64>,
    /// Aggregate transmit power of the sender of this direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_dbm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interleave_delay_ms: Option<f64>,
    /// Impulse noise protection, in DMT symbols.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inp_symbols: Option<f64>,
    /// G.INP (retransmission) in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retransmission: Option<bool>,
}

impl DirectionStats {
    pub fn is_empty(&self) -> bool {
        *self == DirectionStats::default()
    }
}

/// The counting windows modems keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Since the modem started counting (boot, or longer).
    Total,
    /// Since the line last reached showtime.
    SinceLink,
    #[serde(rename = "current_15m")]
    Current15m,
    #[serde(rename = "previous_15m")]
    Previous15m,
    #[serde(rename = "current_1d")]
    Current1d,
    #[serde(rename = "previous_1d")]
    Previous1d,
}

impl Window {
    pub const ALL: [Window; 6] = [
        Window::Total,
        Window::SinceLink,
        Window::Current15m,
        Window::Previous15m,
        Window::Current1d,
        Window::Previous1d,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Window::Total => "total",
            Window::SinceLink => "since_link",
            Window::Current15m => "current_15m",
            Window::Previous15m => "previous_15m",
            Window::Current1d => "current_1d",
            Window::Previous1d => "previous_1d",
        }
    }
}

/// Counters per window, as the modem gives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CounterWindows {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<WindowCounters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_link: Option<WindowCounters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_15m: Option<WindowCounters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_15m: Option<WindowCounters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_1d: Option<WindowCounters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_1d: Option<WindowCounters>,
}

impl CounterWindows {
    pub fn is_empty(&self) -> bool {
        Window::ALL.iter().all(|w| self.get(*w).is_none())
    }

    pub fn get(&self, window: Window) -> Option<&WindowCounters> {
        match window {
            Window::Total => self.total.as_ref(),
            Window::SinceLink => self.since_link.as_ref(),
            Window::Current15m => self.current_15m.as_ref(),
            Window::Previous15m => self.previous_15m.as_ref(),
            Window::Current1d => self.current_1d.as_ref(),
            Window::Previous1d => self.previous_1d.as_ref(),
        }
    }

    fn slot(&mut self, window: Window) -> &mut Option<WindowCounters> {
        match window {
            Window::Total => &mut self.total,
            Window::SinceLink => &mut self.since_link,
            Window::Current15m => &mut self.current_15m,
            Window::Previous15m => &mut self.previous_15m,
            Window::Current1d => &mut self.current_1d,
            Window::Previous1d => &mut self.previous_1d,
        }
    }

    /// The counters of `window`, created empty when absent.
    pub fn entry(&mut self, window: Window) -> &mut WindowCounters {
        self.slot(window).get_or_insert_with(WindowCounters::default)
    }

    /// Drops windows that ended up holding nothing.
    pub fn prune(&mut self) {
        for window in Window::ALL {
            let slot = self.slot(window);
            if slot.as_ref().is_some_and(WindowCounters::is_empty) {
                *slot = None;
            }
        }
    }
}

/// The counters of one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowCounters {
    /// How long the window has been counting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<u64>,
    /// Near end: errors the modem saw on the downstream.
    #[serde(default, skip_serializing_if = "ErrorCounters::is_empty")]
    pub down: ErrorCounters,
    /// Far end: errors the DSLAM saw on the upstream.
    #[serde(default, skip_serializing_if = "ErrorCounters::is_empty")]
    pub up: ErrorCounters,
    /// Retrains counted in this window (Broadcom `Retr`, TR-098 `LinkRetrain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrains: Option<u64>,
}

impl WindowCounters {
    pub fn is_empty(&self) -> bool {
        *self == WindowCounters::default()
    }

    pub fn direction(&self, direction: Direction) -> &ErrorCounters {
        match direction {
            Direction::Down => &self.down,
            Direction::Up => &self.up,
        }
    }

    pub fn direction_mut(&mut self, direction: Direction) -> &mut ErrorCounters {
        match direction {
            Direction::Down => &mut self.down,
            Direction::Up => &mut self.up,
        }
    }
}

/// The error counters of one direction in one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounters {
    /// FEC-corrected code words (Broadcom `RSCorr`/`FEC`). A count, not seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fec: Option<u64>,
    /// Seconds with at least one FEC correction (FECS), where the modem counts seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fecs: Option<u64>,
    /// CRC errors (code violations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc: Option<u64>,
    /// Errored seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub es: Option<u64>,
    /// Severely errored seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ses: Option<u64>,
    /// Unavailable seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uas: Option<u64>,
    /// Loss-of-signal (defects or seconds, as the modem counts them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub los: Option<u64>,
    /// Loss-of-frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lof: Option<u64>,
    /// ATM header error control errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hec: Option<u64>,
    /// G.INP: retransmitted DTUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtx_tx: Option<u64>,
    /// G.INP: DTUs corrected by retransmission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtx_c: Option<u64>,
    /// G.INP: DTUs retransmission could not correct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtx_uc: Option<u64>,
}

/// Names of the counters, as used in JSON paths and metric labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    Fec,
    Fecs,
    Crc,
    Es,
    Ses,
    Uas,
    Los,
    Lof,
    Hec,
    RtxTx,
    RtxC,
    RtxUc,
}

impl Counter {
    pub const ALL: [Counter; 12] = [
        Counter::Fec,
        Counter::Fecs,
        Counter::Crc,
        Counter::Es,
        Counter::Ses,
        Counter::Uas,
        Counter::Los,
        Counter::Lof,
        Counter::Hec,
        Counter::RtxTx,
        Counter::RtxC,
        Counter::RtxUc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Counter::Fec => "fec",
            Counter::Fecs => "fecs",
            Counter::Crc => "crc",
            Counter::Es => "es",
            Counter::Ses => "ses",
            Counter::Uas => "uas",
            Counter::Los => "los",
            Counter::Lof => "lof",
            Counter::Hec => "hec",
            Counter::RtxTx => "rtx_tx",
            Counter::RtxC => "rtx_c",
            Counter::RtxUc => "rtx_uc",
        }
    }
}

impl ErrorCounters {
    pub fn is_empty(&self) -> bool {
        *self == ErrorCounters::default()
    }

    pub fn get(&self, counter: Counter) -> Option<u64> {
        *self.field(counter)
    }

    pub fn set(&mut self, counter: Counter, value: Option<u64>) {
        *self.field_mut(counter) = value;
    }

    fn field(&self, counter: Counter) -> &Option<u64> {
        match counter {
            Counter::Fec => &self.fec,
            Counter::Fecs => &self.fecs,
            Counter::Crc => &self.crc,
            Counter::Es => &self.es,
            Counter::Ses => &self.ses,
            Counter::Uas => &self.uas,
            Counter::Los => &self.los,
            Counter::Lof => &self.lof,
            Counter::Hec => &self.hec,
            Counter::RtxTx => &self.rtx_tx,
            Counter::RtxC => &self.rtx_c,
            Counter::RtxUc => &self.rtx_uc,
        }
    }

    fn field_mut(&mut self, counter: Counter) -> &mut Option<u64> {
        match counter {
            Counter::Fec => &mut self.fec,
            Counter::Fecs => &mut self.fecs,
            Counter::Crc => &mut self.crc,
            Counter::Es => &mut self.es,
            Counter::Ses => &mut self.ses,
            Counter::Uas => &mut self.uas,
            Counter::Los => &mut self.los,
            Counter::Lof => &mut self.lof,
            Counter::Hec => &mut self.hec,
            Counter::RtxTx => &mut self.rtx_tx,
            Counter::RtxC => &mut self.rtx_c,
            Counter::RtxUc => &mut self.rtx_uc,
        }
    }
}

/// What the modem says of the DSLAM it talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FarEnd {
    /// Chipset vendor (G.994.1 vendor id, decoded where it is ASCII): `BDCM`, `Broadcom 178.10`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// System vendor where it differs from the chipset vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_vendor: Option<String>,
    /// Far-end firmware / version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
}

impl FarEnd {
    pub fn is_empty(&self) -> bool {
        *self == FarEnd::default()
    }
}

/// What the modem says of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModemInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chipset: Option<String>,
    /// DSL firmware (PHY) version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_version: Option<String>,
}

impl ModemInfo {
    pub fn is_empty(&self) -> bool {
        *self == ModemInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_from_vendor_words() {
        assert_eq!(LineState::from_text("Showtime"), LineState::Showtime);
        assert_eq!(LineState::from_text("G.994 Training"), LineState::Training);
        assert_eq!(LineState::from_text("G.993 Started"), LineState::Training);
        assert_eq!(LineState::from_text("UP [0x801: showtime_tc_sync]"), LineState::Showtime);
        assert_eq!(LineState::from_text("Up"), LineState::Showtime);
        assert_eq!(LineState::from_text("EstablishingLink"), LineState::Training);
        assert_eq!(LineState::from_text("NoSignal"), LineState::Idle);
        assert_eq!(LineState::from_text("Idle"), LineState::Idle);
        assert_eq!(LineState::from_text("down"), LineState::Down);
        assert_eq!(LineState::from_text("Disabled"), LineState::Down);
        assert_eq!(LineState::from_text("banana"), LineState::Unknown);
    }

    #[test]
    fn modes_from_vendor_words() {
        assert_eq!(Mode::from_text("VDSL2 Annex B"), Some(Mode::Vdsl2));
        assert_eq!(Mode::from_text("ADSL2+"), Some(Mode::Adsl2Plus));
        assert_eq!(Mode::from_text("ADSL2 Annex A"), Some(Mode::Adsl2));
        assert_eq!(Mode::from_text("G.992.5_Annex_A"), Some(Mode::Adsl2Plus));
        assert_eq!(Mode::from_text("adsl2p_annexa"), Some(Mode::Adsl2Plus));
        assert_eq!(Mode::from_text("ITU G.992.1(G.DMT)"), Some(Mode::Adsl));
        assert_eq!(Mode::from_text("ADSL_G.dmt.bis"), Some(Mode::Adsl2));
        assert_eq!(Mode::from_text("G.9701"), Some(Mode::Gfast));
        assert_eq!(Mode::from_text("PTM Mode"), None);
    }

    #[test]
    fn annex_and_profile() {
        assert_eq!(annex_from_text("VDSL2 Annex B").as_deref(), Some("B"));
        assert_eq!(annex_from_text("G.993.2_Annex_B").as_deref(), Some("B"));
        assert_eq!(annex_from_text("vdsl2_annexa").as_deref(), Some("A"));
        assert_eq!(annex_from_text("G.993.2_Annex_K_PTM"), None);
        assert_eq!(annex_from_text("ADSL2+"), None);
        assert_eq!(profile_from_text("Profile 17a").as_deref(), Some("17a"));
        assert_eq!(profile_from_text("BrcmPriv1").as_deref(), Some("35b"));
        assert_eq!(profile_from_text("Profile BrcmPriv1").as_deref(), Some("35b"));
        assert_eq!(profile_from_text("35b").as_deref(), Some("35b"));
        assert_eq!(profile_from_text("6"), None);
        assert_eq!(profile_from_text(""), None);
    }

    #[test]
    fn filling_keeps_what_is_there_and_adds_what_is_not() {
        let mut stats = LineReading::new(Dialect::Draytek);
        stats.counters.entry(Window::Total).down.crc = Some(5);
        stats.down.rate_bps = Some(1000);
        let mut status = LineReading::new(Dialect::Draytek);
        status.state = LineState::Showtime;
        status.down.rate_bps = Some(2000);
        status.down.snr_margin_db = Some(6.5);
        status.profile = Some("17a".into());
        stats.fill_from(&status);
        assert_eq!(stats.state, LineState::Showtime);
        assert_eq!((stats.down.rate_bps, stats.down.snr_margin_db), (Some(1000), Some(6.5)));
        assert_eq!(stats.profile.as_deref(), Some("17a"));
        assert_eq!(stats.counters.total.unwrap().down.crc, Some(5));
    }

    #[test]
    fn absent_values_are_left_out_of_json() {
        let reading = LineReading::new(Dialect::Broadcom);
        let json = serde_json::to_value(&reading).unwrap();
        assert_eq!(json, serde_json::json!({"dialect": "broadcom", "state": "unknown"}));
    }
}

//! TrendChip / ZyNOS `tc>` CLI `wan adsl ...` commands, and the same driver's text where
//! firmware shows it elsewhere (`/proc/tc3162/adsl_stats`, ZyXEL `dsllinestatus`).
//!
//! Every line is `label: value` and the label names its direction (`near-end ...` is the
//! downstream, `far-end ...` the upstream; `noise margin downstream`, `output power upstream`),
//! so the input may be one command's output or a whole session: a session is split at its
//! prompt lines (`tc> wan adsl perfdata`) and only the `wan adsl` commands' output is read.
//!
//! Counter windows: `wan adsl perfdata` prints the DSP's defect counters (FEC, CRC, HEC, each
//! for the fast and the interleaved path) and `ADSL uptime`, the time since the line came up.
//! The driver prints neither outside showtime, and the DSP restarts its counters at every
//! training; the only figure it keeps across trainings is the one it labels so, `Error second
//! after power-up`. So the path counters are the since-link window (lasting `ADSL uptime`), the
//! errored seconds `in 15min`, `in 24hr` and `after power-up` are the current 15 minutes, the
//! current day and the total.

use crate::dialects::Dialect;
use crate::text::loose_decimal;
use crate::error::ParseError;
use crate::model::{Counter, Direction, DirectionStats, LineReading, LineState, Mode, TpsTc, Window, annex_from_text};
use crate::text;

pub fn recognises(input: &str) -> bool {
    const MARKS: [&str; 7] = [
        "channel bit rate:",
        "FEC error fast:",
        "FEC error interleaved:",
        "current modem status:",
        "far end itu identification:",
        "noise margin downstream:",
        "noise margin upstream:",
    ];
    MARKS.iter().any(|mark| input.contains(mark)) || input.lines().any(|l| prompt_command(l).is_some_and(is_wan_adsl))
}

/// The counts of one kind for one direction: the fast and the interleaved path.
#[derive(Default)]
struct Paths {
    fast: Option<u64>,
    interleaved: Option<u64>,
}

impl Paths {
    /// Both paths added up; with one path missing (a cut paste) the sum would understate.
    fn total(&self) -> Option<u64> {
        self.fast?.checked_add(self.interleaved?)
    }
}

#[derive(Default)]
struct Session {
    status: Option<String>,
    not_up: bool,
    /// Per direction (down, up): rates in bit/s, then FEC, CRC and HEC counts.
    rates: [Paths; 2],
    counts: [[Paths; 3]; 2],
    uptime_s: Option<u64>,
}

const COUNTED: [(&str, Counter); 3] = [("fec", Counter::Fec), ("crc", Counter::Crc), ("hec", Counter::Hec)];

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let mut reading = LineReading::new(Dialect::Trendchip);
    let mut session = Session::default();
    let mut found = false;
    // Before any prompt the input is one command's output.
    let mut in_wan_adsl = true;
    for (_, line) in text::lines(input) {
        if let Some(command) = prompt_command(line) {
            in_wan_adsl = is_wan_adsl(command);
            continue;
        }
        if in_wan_adsl {
            found |= read_line(&mut reading, &mut session, line.trim());
        }
    }
    if !found {
        return Err(ParseError::unrecognised(Dialect::Trendchip, input));
    }
    finish(&mut reading, session);
    if reading.is_empty() {
        return Err(ParseError::NotLineStatus {
            dialect: Dialect::Trendchip,
            reason: "the output names no line figure".to_string(),
        });
    }
    Ok(reading)
}

/// `tc> wan adsl perfdata`, `ras>wan adsl status`: the command typed at a prompt.
fn prompt_command(line: &str) -> Option<&str> {
    let (prompt, command) = line.split_once('>')?;
    let prompt = prompt.trim();
    let command = command.trim();
    let is_prompt = prompt.len() <= 32 && !prompt.contains(char::is_whitespace);
    (is_prompt && command.starts_with(|c: char| c.is_ascii_alphabetic())).then_some(command)
}

fn is_wan_adsl(command: &str) -> bool {
    text::words(command).iter().take(2).map(|w| w.to_ascii_lowercase()).eq(["wan", "adsl"])
}

/// Reads one line of output. Returns whether it was a line this dialect knows.
fn read_line(reading: &mut LineReading, session: &mut Session, line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    // `ADSL uptime     1:36:39` has no colon after its label; `ADSL uptime : 1:55, 5 secs` has.
    if let Some(rest) = ["adsl uptime", "dsl uptime"].iter().find_map(|l| lower.strip_prefix(l)) {
        session.uptime_s = uptime(rest.trim_start_matches([' ', '\t', ':']));
        return true;
    }
    if lower == "adsl modem not up" {
        session.not_up = true;
        return true;
    }
    // `DMT FwVer: 3.22.2.0_A60394 HwVer: ...`, `xDSLFwVersion: FwVer:5.10.6.0_B_A60901 HwVer:...`
    if let Some(at) = lower.find("fwver:") {
        let version = line.get(at + "fwver:".len()..).and_then(|v| v.split_whitespace().next());
        reading.modem.firmware_version = version.map(str::to_string);
        return true;
    }
    let Some((label, value)) = text::split_label(line) else { return false };
    let label = text::words(label).join(" ").to_ascii_lowercase();
    let direction = if label.starts_with("near-end") || label.ends_with("downstream") {
        Some(Direction::Down)
    } else if label.starts_with("far-end") || label.ends_with("upstream") {
        Some(Direction::Up)
    } else {
        None
    };
    let side = |d: Direction| d as usize;
    match (label.as_str(), direction) {
        ("current modem status" | "adsl link status" | "dsl link status" | "line state", _) => {
            session.status = Some(value.to_string());
        }
        (l, Some(d)) if l.ends_with("channel bit rate") => {
            let rate = text::rate(value, Some(1000.0));
            let paths = &mut session.rates[side(d)];
            if l.contains("interleaved") {
                paths.interleaved = rate;
            } else if l.contains("fast") {
                paths.fast = rate;
            }
        }
        (l, Some(d)) if l.contains(" error ") => {
            let Some(kind) = COUNTED.iter().position(|(name, _)| l.contains(name)) else { return false };
            let paths = &mut session.counts[side(d)][kind];
            if l.ends_with("interleaved") {
                paths.interleaved = text::count(value);
            } else if l.ends_with("fast") {
                paths.fast = text::count(value);
            }
        }
        (l, _) if l.starts_with("error second") => {
            let window = if l.ends_with("15min") {
                Window::Current15m
            } else if l.ends_with("24hr") {
                Window::Current1d
            } else if l.ends_with("power-up") {
                Window::Total
            } else {
                return false;
            };
            // Errored seconds the modem counts itself: the near end's.
            reading.counters.entry(window).down.es = text::count(value);
        }
        (l, Some(d)) if l.starts_with("noise margin") => reading.direction_mut(d).snr_margin_db = loose_decimal(value),
        (l, Some(d)) if l.starts_with("attenuation") => reading.direction_mut(d).attenuation_db = loose_decimal(value),
        // `output power upstream` is the modem's own transmit power: the upstream's sender.
        (l, Some(d)) if l.starts_with("output power") => reading.direction_mut(d).power_dbm = loose_decimal(value),
        ("operational mode" | "opmode" | "modulation", _) => reading.mode = Mode::from_text(value),
        ("tpstc type", _) => reading.tps_tc = TpsTc::from_text(value),
        ("far end itu identification", _) => reading.far_end.vendor = itu_vendor(value),
        (l, _) if l.contains("annex") => reading.annex = annex(value),
        _ => return false,
    }
    true
}

/// `A` (`ADSL ANNEX[HW] : A`) or `ANNEX_B` (`Annex Mode: ANNEX_B`).
fn annex(value: &str) -> Option<String> {
    let value = value.trim();
    let single = value.len() == 1 && value.bytes().all(|b| b.is_ascii_alphabetic());
    if single { Some(value.to_ascii_uppercase()) } else { annex_from_text(value) }
}

/// The G.994.1 vendor id in `b5 0 54 53 54 43 5 10`: two country bytes, then four ASCII
/// letters (`TSTC`), then two vendor-specific bytes.
fn itu_vendor(value: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = text::words(value).iter().map(|b| u8::from_str_radix(b, 16).ok()).collect();
    let hex: String = bytes?.get(2..6)?.iter().map(|b| format!("{b:02x}")).collect();
    text::hex_ascii(&hex)
}

/// `1:36:39` (older ZyNOS, h:mm:ss), or the newer driver's `[D days, ]H:MM, S secs` and
/// `M min, S secs`, where a two-part clock is hours and minutes.
fn uptime(value: &str) -> Option<u64> {
    if !value.contains("sec") {
        return text::duration(value);
    }
    let spelled: Vec<String> = value
        .split([' ', '\t', ','])
        .filter(|t| !t.is_empty())
        .map(|token| match token.split_once(':') {
            Some((h, m)) if !m.contains(':') => format!("{h}h {m}m"),
            _ => token.to_string(),
        })
        .collect();
    text::duration(&spelled.join(" "))
}

fn finish(reading: &mut LineReading, session: Session) {
    if let Some(status) = session.status {
        reading.state = LineState::from_text(&status);
        reading.state_text = Some(status).filter(|s| !s.is_empty());
    } else if session.not_up {
        reading.state = LineState::Down;
        reading.state_text = Some("adsl modem not up".to_string());
    }
    for direction in Direction::BOTH {
        let d = direction as usize;
        // A path the line does not use shows 0; both at 0 is no rate.
        reading.direction_mut(direction).rate_bps = session.rates[d].total().filter(|r| *r > 0);
        for (kind, (_, counter)) in COUNTED.iter().enumerate() {
            let total = session.counts[d][kind].total();
            reading.counters.entry(Window::SinceLink).direction_mut(direction).set(*counter, total);
        }
    }
    reading.counters.prune();
    if let Some(since_link) = reading.counters.since_link.as_mut() {
        since_link.duration_s = session.uptime_s;
    }
    reading.uptime_s = session.uptime_s;
    // The driver prints no line figure outside showtime; in a session they would be stale.
    if !matches!(reading.state, LineState::Showtime | LineState::Unknown) {
        reading.down = DirectionStats::default();
        reading.up = DirectionStats::default();
        reading.counters = Default::default();
        reading.uptime_s = None;
        reading.mode = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Dialect;
    use crate::testkit::*;
    use proptest::prelude::*;

    const FIXTURES: &[&str] = &[
        "other/01-trendchip-zynos-wan-adsl-session.txt",
        "other/02-trendchip-wan-adsl-status-down.txt",
        "other/03-trendchip-wan-adsl-perfdata.txt",
        "trendchip/01-zyxel-vmg1312-t20b-dsllinestatus-vdsl2.txt",
        "trendchip/02-tc3162-proc-adsl-stats-vdsl2-truncated.txt",
        "trendchip/03-trendchip-wan-adsl-linedata-near.txt",
        "trendchip/04-trendchip-wan-adsl-linedata-far.txt",
        "trendchip/05-trendchip-wan-adsl-status-initializing.txt",
    ];

    fn since_link(r: &LineReading) -> &crate::model::WindowCounters {
        r.counters.since_link.as_ref().expect("since-link counters")
    }

    #[test]
    fn whole_session() {
        let r = parse(&fixture(FIXTURES[0])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("up"));
        assert_eq!(r.mode, Some(Mode::Adsl));
        assert_eq!(r.annex.as_deref(), Some("A"));
        // Interleaved + fast paths, kbit/s.
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(4_032_000), Some(448_000)));
        let s = since_link(&r);
        assert_eq!((s.down.fec, s.up.fec), (Some(52019), Some(5)));
        assert_eq!((s.down.crc, s.up.crc), (Some(94), Some(4)));
        assert_eq!((s.down.hec, s.up.hec), (Some(377), Some(11)));
        assert_eq!(s.duration_s, Some(5799));
        assert_eq!(r.uptime_s, Some(5799));
        assert_eq!(r.counters.current_15m.as_ref().and_then(|w| w.down.es), Some(1));
        assert_eq!(r.counters.current_1d.as_ref().and_then(|w| w.down.es), Some(7));
        assert_eq!(r.counters.total.as_ref().and_then(|w| w.down.es), Some(7));
        assert_eq!(r.far_end.vendor.as_deref(), Some("TSTC"));
        assert_eq!(r.modem.firmware_version.as_deref(), Some("3.22.2.0_A60394"));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn status_down_says_nothing_else() {
        let r = parse(&fixture(FIXTURES[1])).unwrap();
        assert_eq!(r.state, LineState::Down);
        assert_eq!(r.state_text.as_deref(), Some("down"));
        let expected = LineReading {
            state: LineState::Down,
            state_text: Some("down".to_string()),
            ..LineReading::new(Dialect::Trendchip)
        };
        assert_eq!(r, expected);
    }

    #[test]
    fn perfdata_alone() {
        let r = parse(&fixture(FIXTURES[2])).unwrap();
        assert_eq!(r.state, LineState::Unknown);
        let s = since_link(&r);
        assert_eq!((s.down.fec, s.up.fec), (Some(8119), Some(12)));
        assert_eq!((s.down.crc, s.up.crc), (Some(120), Some(23)));
        assert_eq!((s.down.hec, s.up.hec), (Some(1403), Some(34)));
        assert_eq!((s.duration_s, r.uptime_s), (Some(295), Some(295)));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn zyxel_dsllinestatus() {
        let r = parse(&fixture(FIXTURES[3])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!((r.mode, r.annex.as_deref(), r.tps_tc), (Some(Mode::Vdsl2), Some("B"), Some(TpsTc::Ptm)));
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(27_397_000), Some(4_294_000)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(7.4), Some(8.1)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(21.8), Some(6.6)));
        assert_eq!((r.down.power_dbm, r.up.power_dbm), (Some(12.1), Some(7.0)));
        let s = since_link(&r);
        assert_eq!((s.down.fec, s.up.fec), (Some(599_876), Some(61)));
        assert_eq!((s.down.crc, s.up.crc), (Some(0), Some(0)));
        // `9:07, 17 secs`: 9 hours 7 minutes 17 seconds.
        assert_eq!(r.uptime_s, Some(9 * 3600 + 7 * 60 + 17));
        assert_eq!(r.modem.firmware_version.as_deref(), Some("5.10.6.0_B_A60901"));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn proc_adsl_stats() {
        let r = parse(&fixture(FIXTURES[4])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!((r.mode, r.tps_tc), (Some(Mode::Vdsl2), Some(TpsTc::Ptm)));
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(28_671_000), Some(3_070_000)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(11.3), Some(29.2)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(7.2), Some(0.0)));
        assert_eq!((r.down.power_dbm, r.up.power_dbm), (Some(8.2), Some(9.2)));
        let s = since_link(&r);
        assert_eq!((s.down.fec, s.up.fec), (Some(71445), Some(0)));
        assert_eq!((s.down.crc, s.up.crc), (Some(0), Some(0)));
        assert_eq!(r.uptime_s, Some(3600 + 55 * 60 + 5));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn linedata_near_and_far() {
        let near = parse(&fixture(FIXTURES[5])).unwrap();
        assert_eq!(near.state, LineState::Unknown);
        assert_eq!(near.down.snr_margin_db, Some(21.0));
        assert_eq!(near.down.attenuation_db, Some(24.0));
        assert_eq!(near.up.power_dbm, Some(11.0));
        insta::assert_json_snapshot!("linedata_near", near);
        let far = parse(&fixture(FIXTURES[6])).unwrap();
        assert_eq!(far.up.snr_margin_db, Some(31.0));
        assert_eq!(far.up.attenuation_db, Some(12.0));
        assert_eq!(far.down.power_dbm, Some(17.0));
        insta::assert_json_snapshot!("linedata_far", far);
    }

    #[test]
    fn linedata_negative_tenths() {
        // The driver prints tenths with `%d.%d`: -15 becomes `-1.-5`, -5 becomes `0.-5`.
        let r = parse("noise margin upstream: 0.-5 db\noutput power downstream: -1.-5 dbm\n").unwrap();
        assert_eq!((r.up.snr_margin_db, r.down.power_dbm), (Some(-0.5), Some(-1.5)));
    }

    #[test]
    fn initializing_is_training() {
        let r = parse(&fixture(FIXTURES[7])).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.state_text.as_deref(), Some("initializing"));
        assert!(r.down.is_empty() && r.up.is_empty() && r.counters.is_empty());
    }

    #[test]
    fn not_up_session_carries_no_numbers() {
        let input = "tc> wan adsl chandata\nadsl modem not up\ntc> wan adsl perfdata\nadsl modem not up\n\
                     tc> wan adsl annex\nADSL ANNEX[HW] : A\n";
        let r = parse(input).unwrap();
        assert_eq!((r.state, r.annex.as_deref()), (LineState::Down, Some("A")));
        assert!(r.down.is_empty() && r.up.is_empty() && r.counters.is_empty());
    }

    #[test]
    fn other_commands_in_a_session_are_skipped() {
        let input = "tc> sys version\nnoise margin downstream: 9.9 db\ntc> wan adsl linedata near\n\
                     noise margin downstream: 8.5 db\nattenuation downstream: 47.0 db\noutput power upstream: 12.0 dbm\n";
        let r = parse(input).unwrap();
        assert_eq!(r.down.snr_margin_db, Some(8.5));
        assert_eq!(r.down.attenuation_db, Some(47.0));
        assert_eq!(r.up.power_dbm, Some(12.0));
    }

    #[test]
    fn uptime_spellings() {
        assert_eq!(uptime("1:36:39"), Some(5799));
        assert_eq!(uptime("1:55, 5 secs"), Some(6905));
        assert_eq!(uptime("0 min, 15 secs"), Some(15));
        assert_eq!(uptime("2 days, 3:04, 5 secs"), Some(2 * 86400 + 3 * 3600 + 4 * 60 + 5));
        assert_eq!(uptime("soon"), None);
    }

    #[test]
    fn recognises_its_own_and_not_others() {
        for path in FIXTURES {
            assert!(recognises(&fixture(path)), "{path}");
        }
        for other in [
            "xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt",
            "lantiq-dsl-control/01-buffalo-wbmr-hp-g300h-ar9-adsl-status-up-old-format.txt",
            "draytek/01-draytek-vigor-vdsl-status-more.txt",
            "other/06-zyxel-vmg1312-b10d-webui-xdsl-statistics-text-17a-counters.txt",
        ] {
            assert!(!recognises(&fixture(other)), "{other}");
        }
    }

    #[test]
    fn megabyte_lines_are_fine() {
        // Linear time: these return at once (whatever they return).
        let _ = parse(&format!("ADSL uptime : {} secs", "1:2, ".repeat(200_000)));
        let _ = parse(&format!("tc> {}", "wan adsl ".repeat(100_000)));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Trendchip, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        for answer in ["tc> wan adsl foo\nUnknown command\n", "Invalid command \"wan\"\n"] {
            assert!(matches!(parse(answer), Err(ParseError::ModemError { .. })), "{answer}");
        }
        // A usage hint inside a good session is not an error.
        let session = fixture(FIXTURES[0]);
        assert!(session.contains("Usage: noisemargin_value") && parse(&session).is_ok());
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Trendchip, &input);
        }
    }
}

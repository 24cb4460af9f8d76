//! TR-181 (`Device.`) DSL parameters. The line is split over two objects: `Device.DSL.Line.{i}`
//! holds the state, mode, attainable rates, margins, attenuation, power and ES/SES;
//! `Device.DSL.Channel.{i}` (whose `LowerLayers` names the line) holds the sync rates,
//! encapsulation and CRC/FEC/HEC counters. Input: anything [`params::read`] takes, or a
//! [`Params`] the ACS built itself ([`from_params`]).
//!
//! Units (Device:2.17): rates kbit/s, margins and attenuation 0.1 dB, power 0.1 dBmV (reported
//! /10 as dBm, as given), `…Start` seconds ago, 4294967295 = no value. `XTUR…` counters are the
//! modem's (near end: `down`), `XTUC…` the DSLAM's (far end: `up`); Line ES/SES are near end.

use super::params::{self, Params};
use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{Direction, LineReading, LineState, Mode, TpsTc, annex_from_text, profile_from_text};

const LINE: &str = "Device.DSL.Line.";
const CHANNEL: &str = "Device.DSL.Channel.";

pub fn recognises(input: &str) -> bool {
    params::mentions(input, "Device.DSL.") || params::mentions(input, "Device.DeviceInfo.")
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let params = params::read(input, Dialect::Tr181)?;
    if !params::has_any(&params, "Device.") {
        return Err(ParseError::unrecognised(Dialect::Tr181, input));
    }
    from_params(&params)
}

/// Reads the DSL line out of a TR-181 parameter set.
pub fn from_params(params: &Params) -> Result<LineReading, ParseError> {
    let line = pick_line(params);
    let channel = pick_channel(params, line.as_deref());
    if line.is_none() && channel.is_none() {
        return Err(ParseError::NotLineStatus {
            dialect: Dialect::Tr181,
            reason: "no Device.DSL.Line or Device.DSL.Channel parameter".into(),
        });
    }
    let mut reading = LineReading::new(Dialect::Tr181);
    if let Some(line) = &line {
        read_line(&mut reading, params, line);
    }
    if let Some(channel) = &channel {
        read_channel(&mut reading, params, channel);
    }
    // The ACS calls this directly, without `Dialect::parse`: settle here too.
    reading.settle();
    Ok(reading)
}

/// The WAN-side line (`Upstream` true), else the first with a `LinkStatus`, else the first.
fn pick_line(params: &Params) -> Option<String> {
    let lines = params::instances(params, LINE);
    let leaf = |i: &String, name: &str| params::value(params, &format!("{LINE}{i}.{name}"));
    lines
        .iter()
        .find(|i| leaf(i, "Upstream").is_some_and(|u| u.eq_ignore_ascii_case("true") || u == "1"))
        .or_else(|| lines.iter().find(|i| leaf(i, "LinkStatus").is_some()))
        .or_else(|| lines.first())
        .map(|i| format!("{LINE}{i}"))
}

/// The channel whose `LowerLayers` names `line`, else the lowest-numbered one that names no
/// other line (usually Channel 1: many CPEs leave `LowerLayers` out).
fn pick_channel(params: &Params, line: Option<&str>) -> Option<String> {
    let channels = params::instances(params, CHANNEL);
    let lower_layers = |i: &String| params::value(params, &format!("{CHANNEL}{i}.LowerLayers"));
    let names_line = |i: &&String| {
        lower_layers(i).is_some_and(|l| l.split(',').any(|layer| Some(layer.trim().trim_end_matches('.')) == line))
    };
    channels
        .iter()
        .find(names_line)
        .or_else(|| channels.iter().find(|i| lower_layers(i).is_none()))
        .map(|i| format!("{CHANNEL}{i}"))
}

fn read_line(reading: &mut LineReading, params: &Params, line: &str) {
    let get = |leaf: &str| params::value(params, &format!("{line}.{leaf}"));
    // LinkStatus is the DSL state (Up, Initializing, EstablishingLink, NoSignal...); Status is
    // only the interface's (Up, Down, LowerLayerDown...).
    if let Some(status) = get("LinkStatus").or_else(|| get("Status")) {
        reading.state = LineState::from_text(status);
        reading.state_text = Some(status.to_string());
    }
    // StandardUsed was deleted in Device:2.17 in favour of the XTSUsed bitmap; firmware still has it.
    let standard = get("StandardUsed");
    let transmission = get("XTSUsed").and_then(transmission_system);
    reading.mode = standard.and_then(Mode::from_text).or(transmission.map(|(mode, _)| mode));
    reading.annex =
        standard.and_then(annex_from_text).or_else(|| transmission.and_then(|(_, annex)| annex).map(str::to_string));
    reading.profile = get("CurrentProfile").and_then(profile_from_text);
    for (direction, name) in [(Direction::Down, "Downstream"), (Direction::Up, "Upstream")] {
        let stats = reading.direction_mut(direction);
        stats.attainable_bps = get(&format!("{name}MaxBitRate")).and_then(params::kbps);
        stats.snr_margin_db = get(&format!("{name}NoiseMargin")).and_then(params::tenths);
        stats.attenuation_db = get(&format!("{name}Attenuation")).and_then(params::tenths);
        stats.power_dbm = get(&format!("{name}Power")).and_then(params::tenths);
    }
    reading.far_end.vendor = get("XTUCVendor").and_then(params::vendor);
    reading.modem.firmware_version = get("FirmwareVersion").map(str::to_string);
    read_periods(reading, params, line);
}

fn read_channel(reading: &mut LineReading, params: &Params, channel: &str) {
    let get = |leaf: &str| params::value(params, &format!("{channel}.{leaf}"));
    reading.tps_tc = get("LinkEncapsulationUsed").and_then(TpsTc::from_text);
    reading.down.rate_bps = get("DownstreamCurrRate").and_then(params::kbps);
    reading.up.rate_bps = get("UpstreamCurrRate").and_then(params::kbps);
    read_periods(reading, params, channel);
}

/// `Stats.` of a Line or Channel: period lengths, uptime and counters. Both objects carry the
/// same `…Start` values; the first read wins.
fn read_periods(reading: &mut LineReading, params: &Params, object: &str) {
    let stats = format!("{object}.Stats.");
    if reading.uptime_s.is_none() {
        reading.uptime_s = params::value(params, &format!("{stats}ShowtimeStart")).and_then(params::counter);
    }
    params::read_starts(reading, params, &stats);
    params::read_stats(reading, params, &stats);
}

/// Mode and annex from an `XTSUsed`/`XTSE` bitmap: 8 octets in hex, octet 1 first, bit 1 of an
/// octet its least significant bit (G.997.1 §7.3.1.1.1; the prpl dslmngr's `xtse_used` of a
/// `vdsl2_annexa` line is `00…01`). Bit numbers below count from 0 = octet 1 bit 1, as in
/// RFC 5650 `Xdsl2TransmissionModeType`. The highest set bit wins (one should be set).
fn transmission_system(hex: &str) -> Option<(Mode, Option<&'static str>)> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() != 16 {
        return None;
    }
    let octets: Vec<u8> = digits
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect::<Option<_>>()?;
    let bit = (0..64).rev().find(|&bit| octets.get(bit / 8).is_some_and(|o| o >> (bit % 8) & 1 == 1))?;
    let (mode, annex) = match bit {
        0 | 1 => (Mode::Adsl, None),                   // ANSI T1.413, ETSI TS 101 388
        2 | 3 | 8 | 9 => (Mode::Adsl, Some("A")),      // G.992.1, G.992.2 over POTS
        4 | 5 => (Mode::Adsl, Some("B")),              // G.992.1 over ISDN
        6 | 7 | 10 | 11 => (Mode::Adsl, Some("C")),    // TCM-ISDN
        18 | 19 | 24 | 25 => (Mode::Adsl2, Some("A")), // G.992.3, G.992.4
        20 | 21 => (Mode::Adsl2, Some("B")),
        28 | 29 | 32 | 33 => (Mode::Adsl2, Some("I")),
        30 | 31 => (Mode::Adsl2, Some("J")),
        34..=37 => (Mode::Adsl2, Some("L")),
        38 | 39 => (Mode::Adsl2, Some("M")),
        40 | 41 => (Mode::Adsl2Plus, Some("A")), // G.992.5
        42 | 43 => (Mode::Adsl2Plus, Some("B")),
        46 | 47 => (Mode::Adsl2Plus, Some("I")),
        48 | 49 => (Mode::Adsl2Plus, Some("J")),
        50 | 51 => (Mode::Adsl2Plus, Some("M")),
        56 => (Mode::Vdsl2, Some("A")), // G.993.2
        57 => (Mode::Vdsl2, Some("B")),
        58 => (Mode::Vdsl2, Some("C")),
        _ => return None,
    };
    Some((mode, annex))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Window;
    use crate::testkit::*;
    use proptest::prelude::*;

    const FIXTURES: &[&str] =
        &["tr069-cwmp/01-speedport-smart3-sim-getparametervaluesresponse-tr181-dsl.txt", "cpe-models/dsl-tr181.csv"];

    #[test]
    fn speedport_smart3_gpv_response_vdsl2_17a() {
        let r = parse(&fixture(FIXTURES[0])).unwrap();
        // Hand-checked: LinkStatus Up, G.993.2_Annex_B, 17a, Channel.1 rates 102345/41434 kbit/s,
        // Line.1 max 139815/55351 kbit/s, margins 176/199 (0.1 dB), Channel.1 Total XTUR CRC/FEC 0.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.annex.as_deref(), Some("B"));
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert_eq!(r.down.rate_bps, Some(102_345_000));
        assert_eq!(r.up.rate_bps, Some(41_434_000));
        assert_eq!(r.down.attainable_bps, Some(139_815_000));
        assert_eq!(r.up.attainable_bps, Some(55_351_000));
        assert_eq!(r.down.snr_margin_db, Some(17.6));
        assert_eq!(r.up.snr_margin_db, Some(19.9));
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!((total.down.crc, total.down.fec), (Some(0), Some(0)));
        assert_eq!(total.up.crc, None);
        assert_eq!(r.uptime_s, None);
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn genieacs_sim_model_vdsl2_17a() {
        let r = parse(&fixture(FIXTURES[1])).unwrap();
        // Hand-checked against Device.DSL.Line.1 / Channel.1 rows of the CSV.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.tps_tc, Some(TpsTc::Ptm));
        assert_eq!(r.down.rate_bps, Some(100_000_000));
        assert_eq!(r.up.rate_bps, Some(40_000_000));
        assert_eq!(r.down.attainable_bps, Some(118_342_000));
        assert_eq!(r.up.attainable_bps, Some(46_210_000));
        assert_eq!(r.down.snr_margin_db, Some(6.1));
        assert_eq!(r.up.snr_margin_db, Some(9.2));
        assert_eq!(r.down.power_dbm, Some(14.5));
        assert_eq!(r.uptime_s, Some(86_220));
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!(total.duration_s, Some(604_800));
        assert_eq!((total.down.crc, total.up.crc), (Some(48), Some(12)));
        assert_eq!((total.down.fec, total.up.fec), (Some(1520), Some(310)));
        assert_eq!((total.down.es, total.down.ses), (Some(5), Some(1)));
        assert_eq!(r.counters.get(Window::Current15m).unwrap().up.fec, Some(1));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn no_signal_line_as_flat_json() {
        let input = r#"{
  "Device.DSL.Line.2.Upstream": "true",
  "Device.DSL.Line.2.LinkStatus": "NoSignal",
  "Device.DSL.Line.2.XTSUsed": "0000000000000000",
  "Device.DSL.Line.2.DownstreamNoiseMargin": "0",
  "Device.DSL.Line.2.Stats.ShowtimeStart": "0",
  "Device.DSL.Line.2.Stats.Total.ErroredSecs": "12",
  "Device.DSL.Channel.1.LowerLayers": "Device.DSL.Line.1",
  "Device.DSL.Channel.1.DownstreamCurrRate": "50000",
  "Device.DSL.Channel.2.LowerLayers": "Device.DSL.Line.2.",
  "Device.DSL.Channel.2.DownstreamCurrRate": "0",
  "Device.DSL.Channel.2.Stats.Total.XTUCCRCErrors": "7"
}"#;
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Idle);
        assert_eq!(r.state_text.as_deref(), Some("NoSignal"));
        assert_eq!(r.mode, None);
        assert!(r.down.is_empty() && r.up.is_empty());
        assert_eq!(r.uptime_s, None);
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!(total.down.es, Some(12));
        assert_eq!(total.up.crc, Some(7));
    }

    #[test]
    fn training_line_with_xts_bitmap_in_text() {
        let input = "Device.DSL.Line.1.LinkStatus Initializing\nDevice.DSL.Line.1.XTSUsed 0000000000000002\n";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.annex.as_deref(), Some("B"));
    }

    #[test]
    fn transmission_system_bits() {
        assert_eq!(transmission_system("0000000000000001"), Some((Mode::Vdsl2, Some("A"))));
        assert_eq!(transmission_system("0000000000010000"), Some((Mode::Adsl2Plus, Some("A"))));
        assert_eq!(transmission_system("0400000000000000"), Some((Mode::Adsl, Some("A"))));
        assert_eq!(transmission_system("0000000000000000"), None);
        assert_eq!(transmission_system("zz00000000000000"), None);
        assert_eq!(transmission_system("01"), None);
    }

    #[test]
    fn a_parameter_set_without_the_line_is_not_line_status() {
        assert!(matches!(parse("Device.DeviceInfo.UpTime = 5\n"), Err(ParseError::NotLineStatus { .. })));
        assert!(matches!(parse(&fixture("cpe-models/dsl-tr098.csv")), Err(ParseError::Unrecognised { .. })));
    }

    #[test]
    fn recognises_its_own_and_not_others() {
        for path in FIXTURES {
            assert!(recognises(&fixture(path)), "{path}");
        }
        assert!(!recognises(&fixture("cpe-models/dsl-tr098.csv")));
        assert!(!recognises(&fixture("xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt")));
        assert!(!recognises(&fixture("other/04-tr064-fritzbox-wandslifconfig-getinfo-response.xml")));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Tr181, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        assert!(matches!(parse("sh: usp: not found\n"), Err(ParseError::ModemError { .. })));
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Tr181, &input);
        }
    }
}

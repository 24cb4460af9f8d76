//! Lantiq `/etc/init.d/dsl_control status` and `dsl_control lucistat` (OpenWrt's
//! `lantiq_dsl.sh`, 12.09 to 19.07).
//!
//! `status` prints `Label: value` rows. OpenWrt 12.09 prints six rows, each `down / up`
//! (`Data Rate: 14.807 Mb/s / 962 Kb/s`); 14.07 to 19.07 label both halves
//! (`Data Rate: Down: 109.999 Mb/s / Up: 31.999 Mb/s`, `Errored seconds (ES): Near: 3 / Far: 5`).
//! `lucistat` prints the same figures as Lua assignments (`dsl.noise_margin_down=10.6`), raw
//! numbers where the status prints scaled text.
//!
//! Counter windows, from the `dsl_cpe_control` pipe commands the script runs: ES, SES, LOSS,
//! UAS, FECS (`pmlsctg`) and HEC, CRC_P (`pmdpctg`) are the PM *total* counters; the older
//! lucistat key `errors_fec_*` (`pmccsg`) is the FEC *count* since showtime, which 18.06's
//! status printed under the label "FECS" (the status row is read as FECS, as labelled).

use crate::dialects::{Dialect, conclude, keep_first};
use crate::error::ParseError;
use crate::model::{
    Counter, Direction, DirectionStats, LineReading, LineState, Mode, Window, annex_from_text, profile_from_text,
};
use crate::text;

pub fn recognises(input: &str) -> bool {
    input.contains("local dsl={}")
        || input.contains("dsl.line_state")
        || text::lines(input).any(|(_, line)| {
            text::split_label(line).is_some_and(|(label, value)| label == "Line State" && value.contains("[0x"))
        })
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let mut reading = LineReading::new(Dialect::Lantiq);
    let mut known = false;
    for (_, line) in text::lines(input) {
        let line = line.trim();
        if let Some(assignment) = line.strip_prefix("dsl.") {
            if let Some((key, value)) = assignment.split_once('=') {
                known |= lucistat_pair(&mut reading, key.trim(), lua_value(value));
            }
        } else if let Some((label, value)) = text::split_label(line) {
            known |= status_row(&mut reading, label, value);
        }
    }
    if !known {
        return Err(ParseError::unrecognised(Dialect::Lantiq, input));
    }
    conclude(
        reading,
        "no line state, rates or counters in it: run `/etc/init.d/dsl_control status`",
    )
}

/// Classifies the Lantiq driver's line-state words, as `dsl_control` (`showtime_tc_sync`,
/// `not initialized`, `silent`) and `ubus call dsl metrics` (`Showtime with TC-Layer sync`,
/// `Full init`) print them.
pub(crate) fn line_state(words: &str) -> LineState {
    let t = words.to_ascii_lowercase().replace(['_', '-'], " ");
    if t.contains("no sync") || t.contains("without tc") {
        // Showtime at the physical layer but no TC-layer sync yet: not carrying data.
        LineState::Training
    } else if t.contains("not initialized")
        || t.contains("exception")
        || t.contains("shutdown")
        || t.contains("not running")
    {
        LineState::Down
    } else if t.contains("silent") || t.contains("quiet") {
        LineState::Idle
    } else if t.contains("init") || t.contains("t1413") {
        LineState::Training
    } else {
        LineState::from_text(words)
    }
}

/// One `Label: value` row of `dsl_control status`. Returns whether the label is known.
fn status_row(r: &mut LineReading, label: &str, value: &str) -> bool {
    let l = label.to_ascii_lowercase();
    let has = |needle: &str| l.contains(needle);
    if has("line state") {
        set_state(r, value, detail(value));
    } else if has("uptime seconds") {
        keep_first(&mut r.uptime_s, text::count(value));
    } else if has("line uptime") {
        keep_first(&mut r.uptime_s, text::duration(value));
    } else if has("attainable") {
        both(r, value, |d| &mut d.attainable_bps, |v| nonzero_rate(v, None));
    } else if has("data rate") {
        both(r, value, |d| &mut d.rate_bps, |v| nonzero_rate(v, None));
    } else if has("line attenuation") {
        both(r, value, |d| &mut d.attenuation_db, text::decimal);
    } else if has("signal attenuation") {
        both(r, value, |d| &mut d.signal_attenuation_db, text::decimal);
    } else if has("noise margin") {
        both(r, value, |d| &mut d.snr_margin_db, text::decimal);
    } else if has("transmit power") {
        both(r, value, |d| &mut d.power_dbm, text::decimal);
    } else if has("interleave delay") || has("latency") {
        both(r, value, |d| &mut d.interleave_delay_ms, script_milliseconds);
    } else if l == "inp" {
        both(r, value, |d| &mut d.inp_symbols, text::decimal);
    } else if has("system vendor") {
        keep_first(&mut r.far_end.system_vendor, vendor(value));
    } else if has("vendor id") {
        keep_first(&mut r.far_end.vendor, vendor(value));
    } else if has("chipset") {
        keep_first(&mut r.modem.chipset, nonempty(value));
    } else if has("firmware version") {
        keep_first(&mut r.modem.firmware_version, nonempty(value));
    } else if has("api version") {
        keep_first(&mut r.modem.api_version, nonempty(value));
    } else if l == "annex" {
        keep_first(&mut r.annex, annex(value));
    } else if has("line mode") {
        keep_first(&mut r.mode, Mode::from_text(value));
    } else if l == "profile" {
        keep_first(&mut r.profile, profile_from_text(value));
    } else if let Some((window, counter)) = status_counter(&l) {
        let (down, up) = pair(value);
        for (direction, half) in [(Direction::Down, down), (Direction::Up, up)] {
            let counters = r.counters.entry(window).direction_mut(direction);
            if counters.get(counter).is_none() {
                counters.set(counter, half.and_then(text::count));
            }
        }
    } else {
        return false;
    }
    true
}

/// The counter a `Near: x / Far: y` (or `x / y`) error row holds, and its window.
fn status_counter(label: &str) -> Option<(Window, Counter)> {
    let has = |needle: &str| label.contains(needle);
    // Rows of the extended status some builds print: counts since showtime and for the
    // current quarter hour (`HEC errors`, `CRC 15 min errors`).
    let short = if has("15 min") {
        Window::Current15m
    } else {
        Window::SinceLink
    };
    let found = if has("correction seconds") || has("(fecs)") {
        (Window::Total, Counter::Fecs)
    } else if has("severely errored") {
        (Window::Total, Counter::Ses)
    } else if has("errored seconds") {
        (Window::Total, Counter::Es)
    } else if has("loss of signal") {
        (Window::Total, Counter::Los)
    } else if has("loss of frame") {
        (Window::Total, Counter::Lof)
    } else if has("unavailable") {
        (Window::Total, Counter::Uas)
    } else if has("header error") {
        (Window::Total, Counter::Hec)
    } else if has("non pre-emtive crc") || has("non pre-emptive crc") {
        (Window::Total, Counter::Crc)
    } else if label.starts_with("hec ") {
        (short, Counter::Hec)
    } else if label.starts_with("crc ") {
        (short, Counter::Crc)
    } else if label.starts_with("fec ") {
        (short, Counter::Fec)
    } else {
        return None;
    };
    Some(found)
}

/// One `dsl.key=value` line of `lucistat`. Returns whether the key is known.
fn lucistat_pair(r: &mut LineReading, key: &str, value: Option<&str>) -> bool {
    // Per-direction keys end in _down/_up or _near/_far, some with a unit after (`_ms`, `_sym`).
    let bare = key.trim_end_matches("_ms").trim_end_matches("_sym");
    let split = [
        ("_down", Direction::Down),
        ("_near", Direction::Down),
        ("_up", Direction::Up),
        ("_far", Direction::Up),
    ]
    .into_iter()
    .find_map(|(suffix, direction)| bare.strip_suffix(suffix).map(|base| (base, direction)));
    if let Some((base, direction)) = split {
        return lucistat_direction(r, base, direction, value);
    }
    match key {
        "atuc_vendor_id" => keep_first(&mut r.far_end.vendor, value.and_then(vendor)),
        "atuc_system_vendor_id" => keep_first(&mut r.far_end.system_vendor, value.and_then(vendor)),
        "chipset" => keep_first(&mut r.modem.chipset, value.and_then(nonempty)),
        "firmware_version" => keep_first(&mut r.modem.firmware_version, value.and_then(nonempty)),
        "api_version" => keep_first(&mut r.modem.api_version, value.and_then(nonempty)),
        "annex_s" => keep_first(&mut r.annex, value.and_then(annex)),
        "line_mode_s" => keep_first(&mut r.mode, value.and_then(Mode::from_text)),
        "profile_s" => keep_first(&mut r.profile, value.and_then(profile_from_text)),
        // `line_state_detail` (`showtime_tc_sync`) says more than `line_state` (`UP`/`DOWN`).
        "line_state_detail" => {
            if let Some(words) = value.and_then(nonempty) {
                r.state = line_state(&words);
                r.state_text = Some(words);
            }
        }
        "line_state" => {
            if r.state_text.is_none()
                && let Some(words) = value
            {
                set_state(r, words, words);
            }
        }
        "line_uptime" => keep_first(&mut r.uptime_s, value.and_then(text::count)),
        _ => return false,
    }
    true
}

fn lucistat_direction(r: &mut LineReading, base: &str, direction: Direction, value: Option<&str>) -> bool {
    let d = r.direction_mut(direction);
    let decimal = value.and_then(text::decimal);
    match base {
        "data_rate" => keep_first(&mut d.rate_bps, value.and_then(|v| nonzero_rate(v, Some(1.0)))),
        "max_data_rate" | "att_data_rate" => {
            keep_first(&mut d.attainable_bps, value.and_then(|v| nonzero_rate(v, Some(1.0))))
        }
        "line_attenuation" => keep_first(&mut d.attenuation_db, decimal),
        "signal_attenuation" => keep_first(&mut d.signal_attenuation_db, decimal),
        "noise_margin" => keep_first(&mut d.snr_margin_db, decimal),
        "actatp" | "transmit_power" => keep_first(&mut d.power_dbm, decimal),
        "latency_num" | "interleave_delay" => {
            keep_first(&mut d.interleave_delay_ms, value.and_then(script_milliseconds))
        }
        "impulse_np" => keep_first(&mut d.inp_symbols, decimal),
        _ => {
            let Some((window, counter)) = lucistat_counter(base) else {
                return false;
            };
            let counters = r.counters.entry(window).direction_mut(direction);
            if counters.get(counter).is_none() {
                counters.set(counter, value.and_then(text::count));
            }
        }
    }
    true
}

fn lucistat_counter(base: &str) -> Option<(Window, Counter)> {
    let found = match base {
        "errors_fecs" => (Window::Total, Counter::Fecs),
        "errors_fec" => (Window::SinceLink, Counter::Fec),
        "errors_es" => (Window::Total, Counter::Es),
        "errors_ses" => (Window::Total, Counter::Ses),
        "errors_loss" => (Window::Total, Counter::Los),
        "errors_lofs" => (Window::Total, Counter::Lof),
        "errors_uas" => (Window::Total, Counter::Uas),
        "errors_hec" => (Window::Total, Counter::Hec),
        "errors_crc_p" => (Window::Total, Counter::Crc),
        // Extended builds: counts since showtime and in the current quarter hour.
        "hec_errors" => (Window::SinceLink, Counter::Hec),
        "crc_errors" => (Window::SinceLink, Counter::Crc),
        "fec_errors" => (Window::SinceLink, Counter::Fec),
        "hec_errors_15min" => (Window::Current15m, Counter::Hec),
        "crc_errors_15min" => (Window::Current15m, Counter::Crc),
        "fec_errors_15min" => (Window::Current15m, Counter::Fec),
        _ => return None,
    };
    Some(found)
}

/// Sets the state from the modem's words (`text`), classified by `detail`.
fn set_state(r: &mut LineReading, text: &str, detail: &str) {
    if r.state_text.is_none() && !text.trim().is_empty() {
        r.state = line_state(detail);
        r.state_text = Some(text.trim().to_string());
    }
}

/// The driver's own word inside `UP [0x801: showtime_tc_sync]`, or the whole text.
fn detail(value: &str) -> &str {
    value
        .split_once('[')
        .and_then(|(_, inner)| inner.split(']').next())
        .and_then(|inner| inner.split_once(':').map(|(_, word)| word.trim()))
        .filter(|word| !word.is_empty())
        .unwrap_or(value)
}

/// Fills one figure of both directions from a `x / y` row.
fn both<T>(
    r: &mut LineReading,
    value: &str,
    field: impl Fn(&mut DirectionStats) -> &mut Option<T>,
    read: impl Fn(&str) -> Option<T>,
) {
    let (down, up) = pair(value);
    keep_first(field(&mut r.down), down.and_then(&read));
    keep_first(field(&mut r.up), up.and_then(&read));
}

/// The two halves of `x / y`, in (down, up) order: from their `Down:`/`Up:` or `Near:`/`Far:`
/// labels when they have them, else in the printed order (12.09 prints down / up).
fn pair(value: &str) -> (Option<&str>, Option<&str>) {
    let Some((first, second)) = split_slash(value) else {
        return (None, None);
    };
    let (first_dir, first) = direction_label(first);
    let (second_dir, second) = direction_label(second);
    match (first_dir, second_dir) {
        (Some(Direction::Up), Some(Direction::Down) | None) | (None, Some(Direction::Down)) => (second, first),
        (Some(a), Some(b)) if a == b => (None, None),
        _ => (first, second),
    }
}

/// Splits at the first `/` with white space on both sides (`Mb/s` stays whole).
fn split_slash(value: &str) -> Option<(&str, &str)> {
    let bytes = value.as_bytes();
    let at = (1..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'/' && bytes[i - 1].is_ascii_whitespace() && bytes[i + 1].is_ascii_whitespace())?;
    Some((&value[..at], &value[at + 1..]))
}

fn direction_label(half: &str) -> (Option<Direction>, Option<&str>) {
    let half = half.trim();
    let (direction, rest) = match half.split_once(':') {
        Some((label, rest)) => match label.trim().to_ascii_lowercase().as_str() {
            "down" | "downstream" | "near" | "ds" => (Some(Direction::Down), rest),
            "up" | "upstream" | "far" | "us" => (Some(Direction::Up), rest),
            _ => (None, half),
        },
        None => (None, half),
    };
    let rest = rest.trim();
    (direction, (!rest.is_empty()).then_some(rest))
}

/// A Lua value: `"text"`, a number, `0x801` or `nil`.
fn lua_value(raw: &str) -> Option<&str> {
    let v = raw.trim();
    let v = v
        .strip_prefix('"')
        .map(|inner| inner.strip_suffix('"').unwrap_or(inner))
        .unwrap_or(v);
    (!v.is_empty() && v != "nil").then_some(v)
}

fn nonempty(value: &str) -> Option<String> {
    let v = value.trim();
    (!text::is_placeholder(v)).then(|| v.to_string())
}

/// A far-end vendor as the script prints it: a name (`Broadcom 192.26`), or the raw id bytes
/// when it does not know the vendor (`45,43,49,20,74,65,6C,65` = `ECI tele`).
fn vendor(value: &str) -> Option<String> {
    let v = value.trim();
    if v.contains(',') && v.split(',').all(|byte| byte.trim().len() == 2) {
        return text::hex_ascii(v);
    }
    nonempty(v)
}

fn annex(value: &str) -> Option<String> {
    let v = value.trim();
    match v.len() {
        1 if v.chars().all(|c| c.is_ascii_alphabetic()) => Some(v.to_ascii_uppercase()),
        _ => annex_from_text(v),
    }
}

/// A rate; 0 is what the script prints for a line that has none.
fn nonzero_rate(value: &str, default_multiplier: Option<f64>) -> Option<u64> {
    text::rate(value, default_multiplier).filter(|&bps| bps > 0)
}

/// Milliseconds as `lantiq_dsl.sh` prints them: `Interleave (8.5 ms)` or `8.5 ms`. The script
/// prints 0.01 ms units as `val / 100 "." val % 100` without zero padding, so `8.5` is 8.05 ms
/// and `8.50` is 8.50 ms: the digits after the point are always hundredths.
fn script_milliseconds(value: &str) -> Option<f64> {
    let inner = value
        .split_once('(')
        .map_or(value, |(_, rest)| rest.split(')').next().unwrap_or(rest));
    let number = inner.trim().trim_end_matches("ms").trim();
    let (whole, hundredths) = number.split_once('.').unwrap_or((number, "0"));
    if hundredths.len() > 2 {
        return None;
    }
    let whole = text::count(whole)?;
    let hundredths = text::count(hundredths)?;
    Some(whole as f64 + hundredths as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Dialect;
    use crate::model::Window;
    use crate::testkit::*;
    use proptest::prelude::*;

    /// Through the dialect, as users and the drivers call it (so `settle` applies).
    fn parse(input: &str) -> Result<LineReading, ParseError> {
        Dialect::Lantiq.parse(input)
    }

    const FIXTURES: &[&str] = &[
        "lantiq-dsl-control/01-buffalo-wbmr-hp-g300h-ar9-adsl-status-up-old-format.txt",
        "lantiq-dsl-control/02-vrx200-dsl-control-lucistat-vdsl2-17a-truncated.txt",
    ];

    #[test]
    fn old_status_buffalo_ar9_adsl2plus() {
        let r = parse(&fixture(FIXTURES[0])).unwrap();
        // Hand-checked against the capture: down / up halves, Mb/s and Kb/s, glued dB.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("UP [0x801: showtime_tc_sync]"));
        assert_eq!(r.down.rate_bps, Some(14_807_000));
        assert_eq!(r.up.rate_bps, Some(962_000));
        assert_eq!(r.down.attenuation_db, Some(21.3));
        assert_eq!(r.up.attenuation_db, Some(10.6));
        assert_eq!(r.down.snr_margin_db, Some(10.0));
        assert_eq!(r.up.snr_margin_db, Some(10.6));
        assert_eq!(r.uptime_s, Some(144));
        assert_eq!(r.modem.chipset.as_deref(), Some("Ifx-AR9 1.2"));
        assert!(r.counters.is_empty());
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn lucistat_vrx200_vdsl2_cut_mid_key() {
        let r = parse(&fixture(FIXTURES[1])).unwrap();
        // The capture stops at `dsl.errors_fe`: no rates, margins or counters survive.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("showtime_tc_sync"));
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.annex.as_deref(), Some("B"));
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert_eq!(r.far_end.vendor.as_deref(), Some("Infineon 178.6"));
        assert_eq!(r.far_end.system_vendor.as_deref(), Some("ECI tele"));
        assert_eq!(r.modem.chipset.as_deref(), Some("Lantiq-VRX200"));
        assert_eq!(r.modem.firmware_version.as_deref(), Some("5.9.1.4.0.7"));
        assert_eq!(r.modem.api_version.as_deref(), Some("4.17.18.6"));
        assert!(r.down.is_empty() && r.up.is_empty() && r.counters.is_empty());
        insta::assert_json_snapshot!(r);
    }

    /// OpenWrt 18.06/19.07 `dsl_control status`, laid out as `lantiq_dsl.sh` prints it
    /// (labels and order from the script; values made up, consistent with each other).
    const STATUS_SHOWTIME: &str = "\
ATU-C Vendor ID:                          Broadcom 192.26
ATU-C System Vendor ID:                   Broadcom
Chipset:                                  Lantiq-VRX200
Firmware Version:                         5.9.0.12.1.7
API Version:                              4.17.18.6
XTSE Capabilities:                        0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x2
Annex:                                    B
Line Mode:                                G.993.5 (VDSL2 with down- and upstream vectoring)
Profile:                                  17a
Line State:                               UP [0x801: showtime_tc_sync]
Forward Error Correction Seconds (FECS):  Near: 2143 / Far: 12
Errored seconds (ES):                     Near: 7 / Far: 41
Severely Errored Seconds (SES):           Near: 0 / Far: 3
Loss of Signal Seconds (LOSS):            Near: 1 / Far: 0
Unavailable Seconds (UAS):                Near: 118 / Far: 118
Header Error Code Errors (HEC):           Near: 0 / Far: 0
Non Pre-emtive CRC errors (CRC_P):        Near: 35 / Far: 9
Pre-emtive CRC errors (CRCP_P):           Near: 0 / Far: 0
Power Management Mode:                    L0 - Synchronized
Latency / Interleave Delay:               Down: Interleave (8.5 ms) / Up: Fast (0.0 ms)
Data Rate:                                Down: 109.999 Mb/s / Up: 31.999 Mb/s
Line Attenuation (LATN):                  Down: 9.9 dB / Up: 10.4 dB
Signal Attenuation (SATN):                Down: 9.9 dB / Up: 10.3 dB
Noise Margin (SNR):                       Down: 8.1 dB / Up: 9.2 dB
Aggregate Transmit Power (ACTATP):        Down: 14.0 dB / Up: 8.3 dB
Max. Attainable Data Rate (ATTNDR):       Down: 123.456 Mb/s / Up: 38.400 Mb/s
Line Uptime Seconds:                      98765
Line Uptime:                              1d 3h 26m 5s
";

    #[test]
    fn status_18_06_layout_in_showtime() {
        let r = parse(STATUS_SHOWTIME).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.annex.as_deref(), Some("B"));
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert_eq!(r.down.rate_bps, Some(109_999_000));
        assert_eq!(r.up.rate_bps, Some(31_999_000));
        assert_eq!(r.down.attainable_bps, Some(123_456_000));
        assert_eq!(r.up.attainable_bps, Some(38_400_000));
        assert_eq!(r.down.snr_margin_db, Some(8.1));
        assert_eq!(r.up.snr_margin_db, Some(9.2));
        assert_eq!(r.down.signal_attenuation_db, Some(9.9));
        assert_eq!(r.up.signal_attenuation_db, Some(10.3));
        assert_eq!(r.down.power_dbm, Some(14.0));
        assert_eq!(r.up.power_dbm, Some(8.3));
        // `8.5 ms` is the script's unpadded print of 805 hundredths.
        assert_eq!(r.down.interleave_delay_ms, Some(8.05));
        assert_eq!(r.up.interleave_delay_ms, Some(0.0));
        assert_eq!(r.uptime_s, Some(98_765));
        let total = r.counters.total.as_ref().unwrap();
        assert_eq!((total.down.fecs, total.up.fecs), (Some(2143), Some(12)));
        assert_eq!((total.down.es, total.up.es), (Some(7), Some(41)));
        assert_eq!((total.down.crc, total.up.crc), (Some(35), Some(9)));
        assert_eq!((total.down.los, total.up.uas), (Some(1), Some(118)));
        assert_eq!(r.far_end.vendor.as_deref(), Some("Broadcom 192.26"));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn status_with_halves_in_up_down_order() {
        let r = parse("Line State: UP [0x801: showtime_tc_sync]\nData Rate: Up: 1 Mb/s / Down: 16.000 Mb/s\n").unwrap();
        assert_eq!(r.down.rate_bps, Some(16_000_000));
        assert_eq!(r.up.rate_bps, Some(1_000_000));
    }

    #[test]
    fn status_while_silent_carries_no_figures() {
        let input = "\
Chipset:                                  Lantiq-VRX200
Line State:                               DOWN [0x200: silent]
Errored seconds (ES):                     Near: 7 / Far: 41
Latency / Interleave Delay:               Down: Fast (0.0 ms) / Up: Fast (0.0 ms)
Data Rate:                                Down: 0 b/s / Up: 0 b/s
Noise Margin (SNR):                       Down: 0.0 dB / Up: 0.0 dB
Max. Attainable Data Rate (ATTNDR):       Down: 0 b/s / Up: 0 b/s
Line Uptime Seconds:                      0
Line Uptime:                              down
";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Idle);
        assert_eq!(r.state_text.as_deref(), Some("DOWN [0x200: silent]"));
        assert!(r.down.is_empty() && r.up.is_empty());
        assert_eq!(r.uptime_s, None);
        // Total counters stay: they count across retrains.
        assert_eq!(r.counters.total.as_ref().unwrap().up.es, Some(41));
        insta::assert_json_snapshot!(r);
    }

    /// A complete lucistat of the 19.07 script (keys and quoting as `lantiq_dsl.sh` prints them).
    const LUCISTAT_SHOWTIME: &str = r#"local dsl={}
dsl.atuc_vendor_id="Broadcom 177.138"
dsl.atuc_system_vendor_id="Broadcom"
dsl.chipset="Lantiq-VRX200"
dsl.firmware_version="5.7.9.9.0.6"
dsl.api_version="4.17.18.6"
dsl.xtse1=0x0
dsl.xtse8=0x0
dsl.xtse_s="0x0, 0x0, 0x0, 0x0, 0x0, 0x4, 0x0, 0x0"
dsl.annex_s="B"
dsl.line_mode_s="G.992.5 (ADSL2+)"
dsl.profile=nil
dsl.profile_s=""
dsl.line_state_num=0x801
dsl.line_state_detail="showtime_tc_sync"
dsl.line_state="UP"
dsl.errors_fecs_near=120
dsl.errors_fecs_far=4
dsl.errors_es_near=3
dsl.errors_es_far=0
dsl.errors_ses_near=1
dsl.errors_ses_far=0
dsl.errors_loss_near=0
dsl.errors_loss_far=0
dsl.errors_uas_near=60
dsl.errors_uas_far=60
dsl.errors_hec_near=12
dsl.errors_hec_far=0
dsl.errors_crc_p_near=0
dsl.errors_crc_p_far=0
dsl.errors_crcp_p_near=0
dsl.errors_crcp_p_far=0
dsl.power_mode_num=0
dsl.power_mode_s="L0 - Synchronized"
dsl.latency_num_down="16.0 ms"
dsl.latency_num_up="4.25 ms"
dsl.latency_s_down="Interleave"
dsl.latency_s_up="Interleave"
dsl.data_rate_down=11263000
dsl.data_rate_up=1023000
dsl.data_rate_down_s="11.263 Mb"
dsl.data_rate_up_s="1.023 Mb"
dsl.line_attenuation_down="32.5"
dsl.line_attenuation_up="19.1"
dsl.noise_margin_down="6.2"
dsl.noise_margin_up="-0.5"
dsl.signal_attenuation_down="32.1"
dsl.signal_attenuation_up="19.0"
dsl.actatp_down="19.9"
dsl.actatp_up="12.3"
dsl.max_data_rate_down=11876000
dsl.max_data_rate_up=1140000
dsl.max_data_rate_down_s="11.876 Mb"
dsl.max_data_rate_up_s="1.140 Mb"
dsl.line_uptime=7344
dsl.line_uptime_s="2h 2m 24s"
return dsl
"#;

    #[test]
    fn lucistat_19_07_adsl2plus_in_showtime() {
        let r = parse(LUCISTAT_SHOWTIME).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Adsl2Plus));
        assert_eq!(r.profile, None);
        assert_eq!(r.down.rate_bps, Some(11_263_000));
        assert_eq!(r.up.rate_bps, Some(1_023_000));
        assert_eq!(r.down.attainable_bps, Some(11_876_000));
        assert_eq!(r.up.attainable_bps, Some(1_140_000));
        assert_eq!(r.down.snr_margin_db, Some(6.2));
        assert_eq!(r.up.snr_margin_db, Some(-0.5));
        assert_eq!(r.down.interleave_delay_ms, Some(16.0));
        assert_eq!(r.up.interleave_delay_ms, Some(4.25));
        assert_eq!(r.uptime_s, Some(7344));
        let total = r.counters.total.as_ref().unwrap();
        assert_eq!((total.down.fecs, total.up.fecs), (Some(120), Some(4)));
        assert_eq!((total.down.hec, total.down.uas), (Some(12), Some(60)));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn lucistat_18_06_fec_counts_since_showtime() {
        let r = parse("dsl.line_state_detail=\"showtime_tc_sync\"\ndsl.errors_fec_near=4711\ndsl.errors_fec_far=nil\n")
            .unwrap();
        let since_link = r.counters.since_link.as_ref().unwrap();
        assert_eq!(since_link.down.fec, Some(4711));
        assert_eq!(since_link.up.fec, None);
    }

    #[test]
    fn lucistat_not_initialized() {
        let input = "local dsl={}\ndsl.line_state_num=0x0\ndsl.line_state_detail=\"not initialized\"\ndsl.line_state=\"DOWN\"\ndsl.data_rate_down=0\ndsl.noise_margin_down=\"0.0\"\ndsl.line_uptime=0\nreturn dsl\n";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Down);
        assert!(r.down.is_empty());
        assert_eq!(r.uptime_s, None);
    }

    #[test]
    fn lantiq_state_words() {
        assert_eq!(line_state("showtime_tc_sync"), LineState::Showtime);
        assert_eq!(line_state("Showtime with TC-Layer sync"), LineState::Showtime);
        assert_eq!(line_state("showtime_no_sync"), LineState::Training);
        assert_eq!(line_state("Showtime without TC-Layer sync"), LineState::Training);
        assert_eq!(line_state("full_init"), LineState::Training);
        assert_eq!(line_state("Handshake"), LineState::Training);
        assert_eq!(line_state("not initialized"), LineState::Down);
        assert_eq!(line_state("Not initialized"), LineState::Down);
        assert_eq!(line_state("silent"), LineState::Idle);
        assert_eq!(line_state("idle request"), LineState::Idle);
        assert_eq!(line_state("UP"), LineState::Showtime);
        assert_eq!(line_state("DOWN"), LineState::Down);
    }

    #[test]
    fn script_milliseconds_are_hundredths() {
        assert_eq!(script_milliseconds("Interleave (8.5 ms)"), Some(8.05));
        assert_eq!(script_milliseconds("8.50 ms"), Some(8.5));
        assert_eq!(script_milliseconds("Fast (0.0 ms)"), Some(0.0));
        assert_eq!(script_milliseconds("soon"), None);
    }

    #[test]
    fn recognises_its_outputs_only() {
        for path in FIXTURES {
            assert!(recognises(&fixture(path)), "{path}");
        }
        assert!(recognises(STATUS_SHOWTIME));
        assert!(recognises(LUCISTAT_SHOWTIME));
        assert!(!recognises(&fixture(
            "xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt"
        )));
        assert!(!recognises(&fixture(
            "ubus-dsl-metrics/01-prpl-dslmngr-ubus-call-dsl-status-vdsl2-17a.json"
        )));
        assert!(!recognises(&fixture(
            "transformer-cli/01-technicolor-dga4132-rpc-xdslctl-dump-truncated.txt"
        )));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Lantiq, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        let err = parse("sh: /etc/init.d/dsl_control: not found\n").unwrap_err();
        assert!(matches!(err, ParseError::ModemError { line: 1, .. }), "{err:?}");
        let err = parse("Command failed: Not found\n").unwrap_err();
        assert!(matches!(err, ParseError::ModemError { .. }), "{err:?}");
        assert!(matches!(parse("hello\n"), Err(ParseError::Unrecognised { .. })));
    }

    #[test]
    fn device_info_alone_is_no_line_status() {
        let cut: String = STATUS_SHOWTIME.lines().take(5).map(|l| format!("{l}\n")).collect();
        assert!(matches!(
            parse(&cut),
            Err(ParseError::NotLineStatus {
                dialect: Dialect::Lantiq,
                ..
            })
        ));
    }

    #[test]
    fn counter_windows_are_the_scripts() {
        let r = parse(STATUS_SHOWTIME).unwrap();
        assert!(r.counters.get(Window::SinceLink).is_none());
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Lantiq, &input);
        }
    }
}

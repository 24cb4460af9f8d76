//! Technicolor Homeware `transformer-cli get sys.class.xdsl.@line0.` (the whole subtree or
//! single parameters of it) and `transformer-cli get rpc.xdslctl.` (tch-nginx-gui's mapper).
//!
//! Every line is `path [type] = value`; prompt and command-echo lines, and the continuation of
//! a value that wrapped, are skipped. Values are read only for the parameters used, so the
//! megabyte-long per-tone arrays of `rpc.xdslctl.` cost one scan for the `=`.
//!
//! Units of `sys.class.xdsl` (from the Homeware GUIs that display them): rates in kbit/s
//! (`UpstreamCurrRate`, `DownstreamMaxRate`...; a comma list gives one rate per bearer, the
//! first is bearer 0), noise margin, attenuation and power in dB as printed
//! (`DownstreamNoiseMargin [int] = 7` beside `DownstreamSNRMpb [string] = 7.0`), `ShowtimeStart`
//! in seconds since showtime. Per-band lists (`DownstreamSNRMpb = 7.0,8.1,9.2`) name no single
//! line value and are only used when they hold one band. Counters are named
//! `{Downstream,Upstream}{FEC,CRC,HEC,ES,SES,UAS,LOS,LOF}{window}`.

use super::{conclude, keep_first};
use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{Counter, Direction, LineReading, LineState, Mode, Window, annex_from_text, profile_from_text};
use crate::text;

pub fn recognises(input: &str) -> bool {
    input.contains("sys.class.xdsl.@line") || input.contains("rpc.xdslctl.")
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let mut reading = LineReading::new(Dialect::Homeware);
    let mut found = Found::default();
    let mut first_line: Option<&str> = None;
    for (_, line) in text::lines(input) {
        let Some((path, value)) = parameter(line) else {
            continue;
        };
        if let Some(rest) = path.strip_prefix("sys.class.xdsl.@") {
            let Some((line_name, name)) = rest.split_once('.') else {
                continue;
            };
            // A bonded modem dumps @line0 and @line1: read the first line only.
            if *first_line.get_or_insert(line_name) == line_name {
                found.any = true;
                sys_parameter(&mut reading, &mut found, name, value);
            }
        } else if let Some(name) = path.strip_prefix("rpc.xdslctl.") {
            found.any = true;
            rpc_parameter(&mut reading, name, value);
        }
    }
    if let Some(words) = found.link_status.or(found.status) {
        reading.state = LineState::from_text(&words);
        reading.state_text = Some(words);
    }
    for (direction, [per_band, margin]) in [(Direction::Down, found.snr_down), (Direction::Up, found.snr_up)] {
        // The per-band margin has the decimals; on ADSL it is one band, which is the line's.
        reading.direction_mut(direction).snr_margin_db = per_band.or(margin);
    }
    if !found.any {
        return Err(ParseError::unrecognised(Dialect::Homeware, input));
    }
    conclude(
        reading,
        "no line state, rates or counters in it (rpc.xdslctl holds per-tone data): run \
         `transformer-cli get sys.class.xdsl.@line0.`",
    )
}

/// What is settled only once every parameter is read.
#[derive(Default)]
struct Found {
    any: bool,
    status: Option<String>,
    link_status: Option<String>,
    /// [single-band `SNRMpb`, `NoiseMargin`] per direction.
    snr_down: [Option<f64>; 2],
    snr_up: [Option<f64>; 2],
}

/// `path [type] = value` → (path, value).
fn parameter(line: &str) -> Option<(&str, &str)> {
    let (left, value) = line.split_once('=')?;
    let path = left.split_whitespace().next()?;
    Some((path, value.trim()))
}

fn sys_parameter(r: &mut LineReading, found: &mut Found, name: &str, value: &str) {
    let (direction, rest) = if let Some(rest) = name.strip_prefix("Downstream") {
        (Some(Direction::Down), rest)
    } else if let Some(rest) = name.strip_prefix("Upstream") {
        (Some(Direction::Up), rest)
    } else {
        (None, name)
    };
    let Some(direction) = direction else {
        match name {
            "Status" => keep_first(&mut found.status, words(value)),
            "LinkStatus" => keep_first(&mut found.link_status, words(value)),
            "ModulationType" => {
                keep_first(&mut r.mode, Mode::from_text(value));
                keep_first(&mut r.annex, annex_from_text(value));
            }
            "CurrentProfile" | "Profile" => keep_first(&mut r.profile, profile_from_text(value)),
            "ShowtimeStart" => keep_first(&mut r.uptime_s, text::count(value)),
            "XTUCVendor" => keep_first(&mut r.far_end.vendor, vendor(value)),
            "FirmwareVersion" => keep_first(&mut r.modem.firmware_version, words(value)),
            _ => {}
        }
        return;
    };
    let snr = match direction {
        Direction::Down => &mut found.snr_down,
        Direction::Up => &mut found.snr_up,
    };
    let d = r.direction_mut(direction);
    match rest {
        "CurrRate" => keep_first(&mut d.rate_bps, kbps(value)),
        "MaxRate" => keep_first(&mut d.attainable_bps, kbps(value)),
        "SNRMpb" => keep_first(&mut snr[0], single(value)),
        "NoiseMargin" => keep_first(&mut snr[1], single(value)),
        "Attenuation" => keep_first(&mut d.attenuation_db, single(value)),
        "Power" => keep_first(&mut d.power_dbm, single(value)),
        _ => {
            if let Some((counter, window)) = counter_name(rest) {
                let counters = r.counters.entry(window).direction_mut(direction);
                if counters.get(counter).is_none() {
                    counters.set(counter, first(value).and_then(text::count));
                }
            }
        }
    }
}

/// `CRCTotal` → (CRC, total), `SESCurrentQuarter` → (SES, current 15 minutes). The counts of
/// the last showtime have no window in the model.
fn counter_name(name: &str) -> Option<(Counter, Window)> {
    const COUNTERS: [(&str, Counter); 8] = [
        ("FEC", Counter::Fec),
        ("CRC", Counter::Crc),
        ("HEC", Counter::Hec),
        ("SES", Counter::Ses),
        ("ES", Counter::Es),
        ("UAS", Counter::Uas),
        ("LOS", Counter::Los),
        ("LOF", Counter::Lof),
    ];
    const WINDOWS: [(&str, Window); 6] = [
        ("Total", Window::Total),
        ("SinceSync", Window::SinceLink),
        ("CurrentQuarter", Window::Current15m),
        ("PreviousQuarter", Window::Previous15m),
        ("CurrentDay", Window::Current1d),
        ("PreviousDay", Window::Previous1d),
    ];
    let (counter, window_name) = COUNTERS
        .iter()
        .find_map(|(prefix, counter)| name.strip_prefix(prefix).map(|rest| (*counter, rest)))?;
    let window = WINDOWS.iter().find(|(suffix, _)| *suffix == window_name)?.1;
    Some((counter, window))
}

fn rpc_parameter(r: &mut LineReading, name: &str, value: &str) {
    match name {
        "DslProfile" => keep_first(&mut r.profile, profile_from_text(value)),
        "DslMode" => keep_first(&mut r.mode, Mode::from_text(value)),
        "DslamChipset" => keep_first(&mut r.far_end.vendor, vendor(value)),
        "DslamVersion" => keep_first(&mut r.far_end.firmware, words(value)),
        _ => {}
    }
}

fn words(value: &str) -> Option<String> {
    (!text::is_placeholder(value)).then(|| value.to_string())
}

/// The first of a comma list (bearer 0), or the value.
fn first(value: &str) -> Option<&str> {
    value.split(',').next().map(str::trim)
}

/// A value that is one number, not a per-band list.
fn single(value: &str) -> Option<f64> {
    (!value.contains(',')).then(|| text::decimal(value)).flatten()
}

/// A rate in kbit/s unless it says otherwise; 0 is no rate.
fn kbps(value: &str) -> Option<u64> {
    first(value)
        .and_then(|v| text::rate(v, Some(1000.0)))
        .filter(|&bps| bps > 0)
}

/// `BDCM`, or the vendor id in hex (`4244434D`).
fn vendor(value: &str) -> Option<String> {
    let v = value.trim();
    let is_hex = v.len() == 8 && v.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex { text::hex_ascii(v) } else { words(v) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Dialect;
    use crate::testkit::*;
    use proptest::prelude::*;

    /// Through the dialect, as users and the drivers call it (so `settle` applies).
    fn parse(input: &str) -> Result<LineReading, ParseError> {
        Dialect::Homeware.parse(input)
    }

    const FIXTURES: &[&str] = &["transformer-cli/01-technicolor-dga4132-rpc-xdslctl-dump-truncated.txt"];

    #[test]
    fn rpc_xdslctl_dump_holds_no_line_status() {
        match parse(&fixture(FIXTURES[0])) {
            Err(ParseError::NotLineStatus { dialect, reason }) => {
                assert_eq!(dialect, Dialect::Homeware);
                assert!(reason.contains("sys.class.xdsl.@line0."), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// `transformer-cli get sys.class.xdsl.@line0.` of a DGA4132 in showtime, with the
    /// parameter names the Homeware GUIs and ngwfdd read (values made up, consistent).
    const SYS_SHOWTIME: &str = "\
root@DGA4132:~# transformer-cli get sys.class.xdsl.@line0.
sys.class.xdsl.@line0.Enable [boolean] = 1
sys.class.xdsl.@line0.Status [string] = Up
sys.class.xdsl.@line0.LinkStatus [string] = Showtime
sys.class.xdsl.@line0.ModulationType [string] = VDSL2
sys.class.xdsl.@line0.CurrentProfile [string] = 17a
sys.class.xdsl.@line0.ShowtimeStart [unsignedInt] = 356712
sys.class.xdsl.@line0.UpstreamCurrRate [unsignedInt] = 20000
sys.class.xdsl.@line0.DownstreamCurrRate [unsignedInt] = 80000
sys.class.xdsl.@line0.UpstreamMaxRate [unsignedInt] = 23987
sys.class.xdsl.@line0.DownstreamMaxRate [unsignedInt] = 93440
sys.class.xdsl.@line0.UpstreamNoiseMargin [int] = 9
sys.class.xdsl.@line0.DownstreamNoiseMargin [int] = 12
sys.class.xdsl.@line0.UpstreamSNRMpb [string] =  8.6,9.9,10.3
sys.class.xdsl.@line0.DownstreamSNRMpb [string] =  12.1,12.4,11.8
sys.class.xdsl.@line0.UpstreamAttenuation [string] = 0.0,20.3,32.8
sys.class.xdsl.@line0.DownstreamAttenuation [string] = 11.8
sys.class.xdsl.@line0.UpstreamPower [string] = 4.8
sys.class.xdsl.@line0.DownstreamPower [string] = 13.9
sys.class.xdsl.@line0.XTUCVendor [string] = 4244434D
sys.class.xdsl.@line0.XTUCANSIRev [unsignedInt] = 42007
sys.class.xdsl.@line0.DownstreamFECTotal [unsignedInt] = 2817331
sys.class.xdsl.@line0.UpstreamFECTotal [unsignedInt] = 1043
sys.class.xdsl.@line0.DownstreamCRCTotal [unsignedInt] = 312
sys.class.xdsl.@line0.UpstreamCRCTotal [unsignedInt] = 17
sys.class.xdsl.@line0.DownstreamESTotal [unsignedInt] = 208
sys.class.xdsl.@line0.UpstreamESTotal [unsignedInt] = 12
sys.class.xdsl.@line0.DownstreamSESTotal [unsignedInt] = 4
sys.class.xdsl.@line0.UpstreamSESTotal [unsignedInt] = 0
sys.class.xdsl.@line0.DownstreamLOSTotal [unsignedInt] = 1
sys.class.xdsl.@line0.UpstreamLOSTotal [unsignedInt] = 0
sys.class.xdsl.@line0.DownstreamUASTotal [unsignedInt] = 71
sys.class.xdsl.@line0.UpstreamUASTotal [unsignedInt] = 71
sys.class.xdsl.@line0.DownstreamCRCSinceSync [unsignedInt] = 96
sys.class.xdsl.@line0.UpstreamCRCSinceSync [unsignedInt] = 5
sys.class.xdsl.@line0.DownstreamFECSinceSync [unsignedInt] = 880123
sys.class.xdsl.@line0.DownstreamCRCCurrentQuarter [unsignedInt] = 2
sys.class.xdsl.@line0.DownstreamCRCPreviousQuarter [unsignedInt] = 3
sys.class.xdsl.@line0.DownstreamESCurrentDay [unsignedInt] = 11
sys.class.xdsl.@line0.DownstreamESPreviousDay [unsignedInt] = 19
sys.class.xdsl.@line0.DownstreamCRCLastShowtime [unsignedInt] = 216
";

    #[test]
    fn sys_class_xdsl_in_showtime() {
        let r = parse(SYS_SHOWTIME).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("Showtime"));
        assert_eq!((r.mode, r.profile.as_deref()), (Some(Mode::Vdsl2), Some("17a")));
        assert_eq!(r.down.rate_bps, Some(80_000_000));
        assert_eq!(r.up.rate_bps, Some(20_000_000));
        assert_eq!(r.down.attainable_bps, Some(93_440_000));
        assert_eq!(r.up.attainable_bps, Some(23_987_000));
        // Per-band margins: three bands, so the line's NoiseMargin is used.
        assert_eq!(r.down.snr_margin_db, Some(12.0));
        assert_eq!(r.up.snr_margin_db, Some(9.0));
        assert_eq!(r.down.attenuation_db, Some(11.8));
        assert_eq!(r.up.attenuation_db, None, "a per-band list names no line value");
        assert_eq!((r.down.power_dbm, r.up.power_dbm), (Some(13.9), Some(4.8)));
        assert_eq!(r.uptime_s, Some(356_712));
        assert_eq!(r.far_end.vendor.as_deref(), Some("BDCM"));
        let total = r.counters.total.as_ref().unwrap();
        assert_eq!((total.down.fec, total.up.fec), (Some(2_817_331), Some(1043)));
        assert_eq!((total.down.crc, total.up.crc), (Some(312), Some(17)));
        assert_eq!((total.down.ses, total.down.es), (Some(4), Some(208)));
        let since_link = r.counters.since_link.as_ref().unwrap();
        assert_eq!(
            (since_link.down.crc, since_link.up.crc, since_link.down.fec),
            (Some(96), Some(5), Some(880_123))
        );
        assert_eq!(r.counters.current_15m.as_ref().unwrap().down.crc, Some(2));
        assert_eq!(r.counters.previous_15m.as_ref().unwrap().down.crc, Some(3));
        assert_eq!(r.counters.current_1d.as_ref().unwrap().down.es, Some(11));
        assert_eq!(r.counters.previous_1d.as_ref().unwrap().down.es, Some(19));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn sys_class_xdsl_adsl_single_band_margin() {
        let input = "\
sys.class.xdsl.@line0.LinkStatus [string] = Showtime
sys.class.xdsl.@line0.ModulationType [string] = ADSL2+ Annex A
sys.class.xdsl.@line0.DownstreamSNRMpb [string] =  7.0
sys.class.xdsl.@line0.DownstreamNoiseMargin [int] = 7
sys.class.xdsl.@line0.UpstreamNoiseMargin [int] = 6
sys.class.xdsl.@line0.DownstreamCurrRate [unsignedInt] = 17000,0
";
        let r = parse(input).unwrap();
        assert_eq!((r.mode, r.annex.as_deref()), (Some(Mode::Adsl2Plus), Some("A")));
        assert_eq!(r.down.snr_margin_db, Some(7.0));
        assert_eq!(r.up.snr_margin_db, Some(6.0));
        assert_eq!(r.down.rate_bps, Some(17_000_000), "bearer 0 of a per-bearer list");
    }

    #[test]
    fn sys_class_xdsl_training() {
        let input = "\
sys.class.xdsl.@line0.Status [string] = Down
sys.class.xdsl.@line0.LinkStatus [string] = G.994 Training
sys.class.xdsl.@line0.ShowtimeStart [unsignedInt] = 0
sys.class.xdsl.@line0.DownstreamCurrRate [unsignedInt] = 0
sys.class.xdsl.@line0.DownstreamNoiseMargin [int] = 0
sys.class.xdsl.@line0.DownstreamCRCTotal [unsignedInt] = 312
";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.state_text.as_deref(), Some("G.994 Training"));
        assert!(r.down.is_empty() && r.up.is_empty());
        assert_eq!(r.uptime_s, None);
        assert_eq!(r.counters.total.as_ref().unwrap().down.crc, Some(312));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn single_parameter_with_its_command() {
        let input = "root@DGA4132:~# transformer-cli get sys.class.xdsl.@line0.DownstreamCurrRate\nsys.class.xdsl.@line0.DownstreamCurrRate [unsignedInt] = 109999\n";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Unknown);
        assert_eq!(r.down.rate_bps, Some(109_999_000));
        assert!(r.up.is_empty());
    }

    #[test]
    fn counters_without_numbers_are_no_status() {
        let input = "sys.class.xdsl.@line0.DownstreamCRCTotal [unsignedInt] = \nsys.class.xdsl.@line0.XTUCVendor [string] = BDCM\n";
        assert!(matches!(parse(input), Err(ParseError::NotLineStatus { .. })));
    }

    #[test]
    fn only_the_first_line_of_a_bonded_dump() {
        let input = "sys.class.xdsl.@line0.DownstreamCurrRate [unsignedInt] = 50000\nsys.class.xdsl.@line1.DownstreamCurrRate [unsignedInt] = 40000\n";
        assert_eq!(parse(input).unwrap().down.rate_bps, Some(50_000_000));
    }

    #[test]
    fn megabyte_tone_line_is_linear() {
        let tones = "-17.7,".repeat(200_000);
        let input = format!(
            "rpc.xdslctl.HlogUs3 [string] = {tones}NaN\nsys.class.xdsl.@line0.LinkStatus [string] = Showtime\n"
        );
        assert_eq!(parse(&input).unwrap().state, LineState::Showtime);
    }

    #[test]
    fn recognises_its_outputs_only() {
        assert!(recognises(&fixture(FIXTURES[0])));
        assert!(recognises(SYS_SHOWTIME));
        assert!(!recognises(&fixture(
            "xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt"
        )));
        assert!(!recognises(&fixture(
            "lantiq-dsl-control/01-buffalo-wbmr-hp-g300h-ar9-adsl-status-up-old-format.txt"
        )));
        assert!(!recognises(&fixture(
            "ubus-dsl-metrics/01-prpl-dslmngr-ubus-call-dsl-status-vdsl2-17a.json"
        )));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Homeware, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        let err = parse("sh: transformer-cli: not found\n").unwrap_err();
        assert!(matches!(err, ParseError::ModemError { line: 1, .. }), "{err:?}");
        let err = parse("Error: sys.class.xdsl.@line9.Status: invalid path\n").unwrap_err();
        assert!(matches!(err, ParseError::ModemError { .. }), "{err:?}");
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Homeware, &input);
        }
    }
}

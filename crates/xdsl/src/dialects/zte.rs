//! ZTE web UI XML (H188A, H267A, H1600, H2640…): `<ajax_response_xml_root>` with an
//! `IF_ERRORSTR` verdict and one element per object (`OBJ_DSLINTERFACE_ID`, `OBJ_DEVINFO_ID`,
//! `ID_WAN_COMFIG`…) holding `<Instance>`s. An instance is a flat run of `<ParaName>` and
//! `<ParaValue>` elements paired by position (no wrapper per pair), on one line or pretty-printed.
//!
//! The DSL line is `OBJ_DSLINTERFACE_ID` (from `dsl_interface_status_lua.lua` or
//! `internet_dsl_interface_lua.lua`). Its names come from the firmware's TR-098 line object,
//! spelt ZTE's way and read by their parts: `Upstream_`/`Downstream_`/`Up`/`Down` give the
//! direction, `Atuc_` the far end; rates in kbit/s, `*_noise_margin`/`*_attenuation`/`*_power`
//! in 0.1 dB, `Showtime_start` in seconds since the last sync.

use super::params::{self, XmlElement};
use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{
    Counter, Direction, LineReading, LineState, Mode, TpsTc, Window, annex_from_text, profile_from_text,
};
use crate::text;

/// The object that holds the DSL line.
const DSL_OBJECT: &str = "OBJ_DSLINTERFACE_ID";

pub fn recognises(input: &str) -> bool {
    input.contains("<ajax_response_xml_root") || input.contains("<ParaName>") && input.contains("<ParaValue>")
}

/// One `<Instance>`: the object it belongs to and its name/value pairs in order.
struct Instance {
    object: String,
    pairs: Vec<(String, String)>,
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let mut verdict: Option<(usize, String)> = None;
    let mut instances: Vec<Instance> = Vec::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut name: Option<String> = None;
    let walked = params::walk_xml(input, |element: XmlElement<'_>| match element.name {
        "IF_ERRORSTR" => verdict = Some((element.line, element.text.to_string())),
        // A name waits for the value that follows it; a name without one is dropped.
        "ParaName" => name = Some(element.text.to_string()),
        "ParaValue" => {
            if let Some(name) = name.take() {
                pairs.push((name, element.text.to_string()));
            }
        }
        "Instance" => {
            let object = element.ancestors.last().cloned().unwrap_or_default();
            instances.push(Instance { object, pairs: std::mem::take(&mut pairs) });
            name = None;
        }
        _ => {}
    });
    if let Some((line, verdict)) = verdict.filter(|(_, v)| !v.is_empty() && !v.eq_ignore_ascii_case("SUCC")) {
        // SessionTimeout, a lost login...: the page is the modem refusing, not an empty line.
        return Err(ParseError::ModemError { line, text: format!("IF_ERRORSTR: {verdict}") });
    }
    if instances.is_empty() {
        if let Some(error) = html_page(input) {
            return Err(error);
        }
        return Err(match walked {
            Err((line, reason)) if input.contains("<Instance") => {
                ParseError::Malformed { dialect: Dialect::Zte, line, reason }
            }
            _ if input.contains("<ajax_response_xml_root") => {
                ParseError::NotLineStatus { dialect: Dialect::Zte, reason: "the page holds no <Instance>".into() }
            }
            _ => ParseError::unrecognised(Dialect::Zte, input),
        });
    }
    let lines: Vec<&Instance> = instances.iter().filter(|i| i.object == DSL_OBJECT).collect();
    let status_up = |i: &&&Instance| i.pairs.iter().any(|(n, v)| key(n) == "status" && v.eq_ignore_ascii_case("Up"));
    let Some(line) = lines.iter().find(status_up).or(lines.first()) else {
        let mut objects: Vec<&str> = instances.iter().map(|i| i.object.as_str()).collect();
        objects.dedup();
        return Err(ParseError::NotLineStatus {
            dialect: Dialect::Zte,
            reason: format!("no {DSL_OBJECT}; the page holds {}", objects.join(", ")),
        });
    };
    let mut reading = LineReading::new(Dialect::Zte);
    for (name, value) in &line.pairs {
        read_field(&mut reading, &key(name), value.trim());
    }
    Ok(reading)
}

/// A login or error page served instead of the data (the session expired, the URL is wrong).
fn html_page(input: &str) -> Option<ParseError> {
    let lower = input.to_ascii_lowercase();
    let at = lower.find("<html")?;
    let title = lower.find("<title>").and_then(|start| {
        let start = start + "<title>".len();
        let end = start + lower[start..].find("</title>")?;
        input.get(start..end).map(str::trim).filter(|t| !t.is_empty())
    });
    let line = input[..at].matches('\n').count() + 1;
    let text = format!("an HTML page instead of ZTE data: {}", title.unwrap_or("no title"));
    Some(ParseError::ModemError { line, text: text::excerpt(&text) })
}

/// A field name reduced to lower-case letters and digits, without an object prefix some
/// firmware adds (`OBJ_DSLINTERFACE_ID.Status`): `Upstream_noise_margin` → `upstreamnoisemargin`.
fn key(name: &str) -> String {
    let name = name.rsplit('.').next().unwrap_or(name);
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn read_field(reading: &mut LineReading, key: &str, value: &str) {
    match key {
        "status" => {
            reading.state = LineState::from_text(value);
            reading.state_text = Some(value.to_string()).filter(|v| !v.is_empty());
        }
        "moduletype" | "modulationtype" | "standardused" => {
            reading.mode = reading.mode.or(Mode::from_text(value));
            reading.annex = reading.annex.take().or_else(|| annex_from_text(value));
        }
        "currentprofile" => reading.profile = profile_from_text(value),
        "tlinkencapsulationused" | "linkencapsulationused" => reading.tps_tc = TpsTc::from_text(value),
        "showtimestart" => reading.uptime_s = params::counter(value),
        "linkretrain" => {
            if let Some(n) = params::counter(value) {
                reading.counters.entry(Window::Total).retrains = Some(n);
            }
        }
        _ => read_directional(reading, key, value),
    }
}

/// Fields named after a direction (`upstream…`, `down…`) or an end (`atuc…` far, none near).
fn read_directional(reading: &mut LineReading, key: &str, value: &str) {
    const PREFIXES: [(&str, Option<Direction>); 6] = [
        ("upstream", Some(Direction::Up)),
        ("downstream", Some(Direction::Down)),
        ("up", Some(Direction::Up)),
        ("down", Some(Direction::Down)),
        ("atuc", Some(Direction::Up)),
        ("atur", Some(Direction::Down)),
    ];
    let (direction, rest) =
        PREFIXES.iter().find_map(|(prefix, d)| key.strip_prefix(prefix).map(|rest| (*d, rest))).unwrap_or((None, key));
    let counter = match rest {
        "crcerrors" => Some(Counter::Crc),
        "fecerrors" => Some(Counter::Fec),
        "hecerrors" => Some(Counter::Hec),
        _ => None,
    };
    if let Some(counter) = counter {
        // The page does not say since when it counts. `Link_retrain` sits beside these counters,
        // which only makes sense for counts that outlive a sync, so they are likely counted since
        // boot; and total is the least wrong window anyway: a per-sync count read as total makes
        // its reset at a retrain look like a reboot to the delta maths (handled), whereas a
        // since-boot count read as since_link would be wrong after every retrain.
        // No end prefix (`Fec_errors`) = the modem's own count: near end, down.
        if let Some(n) = params::counter(value) {
            let end = direction.unwrap_or(Direction::Down);
            reading.counters.entry(Window::Total).direction_mut(end).set(counter, Some(n));
        }
        return;
    }
    let Some(direction) = direction else { return };
    let stats = reading.direction_mut(direction);
    match rest {
        "currentrate" | "currrate" => stats.rate_bps = params::kbps(value),
        "maxrate" => stats.attainable_bps = params::kbps(value),
        "noisemargin" | "snrmargin" => stats.snr_margin_db = params::tenths(value),
        "attenuation" => stats.attenuation_db = params::tenths(value),
        "power" => stats.power_dbm = params::tenths(value),
        // G.997.1 gives the delay in milliseconds; the H267A tooling reads it so too.
        "interleavedelay" => stats.interleave_delay_ms = params::counter(value).map(|ms| ms as f64),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;
    use proptest::prelude::*;

    /// As the daemon reads it: through `Dialect::parse`, which settles the reading.
    fn read(input: &str) -> Result<LineReading, ParseError> {
        Dialect::Zte.parse(input)
    }

    const FIXTURES: &[&str] = &[
        "zte-xml/01-zte-h188a-dsl-interface-status-lua-vdsl2-17a.xml",
        "zte-xml/02-zte-h188a-wan-internet-lua-ptm-and-atm-instances.xml",
        "zte-xml/03-zte-h188a-devmgr-statusmgr-lua-devinfo.xml",
        "zte-xml/04-zte-h2640-dsl-interface-status-lua-35b-test-trimmed.xml",
    ];

    #[test]
    fn h188a_vdsl2_17a() {
        let r = read(&fixture(FIXTURES[0])).unwrap();
        // Hand-checked against the pairs: Status Up, VDSL2, 17a, PTM, rates 40959/5119 kbit/s,
        // max 104927/37641, margins 194/302, attenuation 78/12, power 136/51 (0.1 dB),
        // Showtime_start 331045 s, Fec_errors 303, Atuc_fec_errors 0, Down/UpCrc_errors 0/0.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert_eq!(r.tps_tc, Some(TpsTc::Ptm));
        assert_eq!(r.down.rate_bps, Some(40_959_000));
        assert_eq!(r.up.rate_bps, Some(5_119_000));
        assert_eq!(r.down.attainable_bps, Some(104_927_000));
        assert_eq!(r.up.attainable_bps, Some(37_641_000));
        assert_eq!(r.down.snr_margin_db, Some(19.4));
        assert_eq!(r.up.snr_margin_db, Some(30.2));
        assert_eq!(r.down.attenuation_db, Some(7.8));
        assert_eq!(r.up.attenuation_db, Some(1.2));
        assert_eq!(r.down.power_dbm, Some(13.6));
        assert_eq!(r.up.power_dbm, Some(5.1));
        assert_eq!(r.uptime_s, Some(331_045));
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!((total.down.fec, total.up.fec), (Some(303), Some(0)));
        assert_eq!((total.down.crc, total.up.crc), (Some(0), Some(0)));
        assert_eq!(total.retrains, Some(1));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn h2640_vdsl2_35b_pretty_printed() {
        let r = read(&fixture(FIXTURES[3])).unwrap();
        // Hand-checked: rates 41169/16937, max 41738/16938, margins 58/60, attenuation 388/200.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.profile.as_deref(), Some("35b"));
        assert_eq!(r.down.rate_bps, Some(41_169_000));
        assert_eq!(r.up.rate_bps, Some(16_937_000));
        assert_eq!(r.down.attainable_bps, Some(41_738_000));
        assert_eq!(r.up.attainable_bps, Some(16_938_000));
        assert_eq!(r.down.snr_margin_db, Some(5.8));
        assert_eq!(r.up.snr_margin_db, Some(6.0));
        assert_eq!(r.down.attenuation_db, Some(38.8));
        assert_eq!(r.up.attenuation_db, Some(20.0));
        assert_eq!(r.uptime_s, None);
        assert!(r.counters.is_empty());
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn wan_and_devinfo_pages_hold_no_line_status() {
        for path in [FIXTURES[1], FIXTURES[2]] {
            assert!(matches!(parse(&fixture(path)), Err(ParseError::NotLineStatus { .. })), "{path}");
        }
    }

    #[test]
    fn a_training_line_with_prefixed_names() {
        // Some firmware prefix the names with their object; no instance is Up, so the first is read.
        let input = "<ajax_response_xml_root><IF_ERRORSTR>SUCC</IF_ERRORSTR><OBJ_DSLINTERFACE_ID>\
            <Instance><ParaName>_InstID</ParaName><ParaValue>IGD.WD1.LINE1</ParaValue>\
            <ParaName>OBJ_DSLINTERFACE_ID.Status</ParaName><ParaValue>Initializing</ParaValue></Instance>\
            <Instance><ParaName>_InstID</ParaName><ParaValue>IGD.WD1.LINE0</ParaValue>\
            <ParaName>Status</ParaName><ParaValue>EstablishingLink</ParaValue>\
            <ParaName>Module_type</ParaName><ParaValue>ADSL2+ Annex A</ParaValue>\
            <ParaName>Downstream_current_rate</ParaName><ParaValue>0</ParaValue>\
            <ParaName>Atuc_crc_errors</ParaName><ParaValue>9</ParaValue>\
            <ParaName>Hec_errors</ParaName><ParaValue></ParaValue>\
            <ParaName>Showtime_start</ParaName><ParaValue/></Instance>\
            </OBJ_DSLINTERFACE_ID></ajax_response_xml_root>";
        let r = read(input).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.state_text.as_deref(), Some("Initializing"));
        // The first instance is taken when none is Up; the second's fields are not mixed in.
        assert_eq!(r.mode, None);
        assert!(r.down.is_empty() && r.counters.is_empty());
    }

    #[test]
    fn a_second_line_instance_that_is_up_wins() {
        let input = "<ajax_response_xml_root><OBJ_DSLINTERFACE_ID>\
            <Instance><ParaName>Status</ParaName><ParaValue>NoSignal</ParaValue></Instance>\
            <Instance><ParaName>Status</ParaName><ParaValue>Up</ParaValue>\
            <ParaName>Module_type</ParaName><ParaValue>ADSL2+ Annex A</ParaValue>\
            <ParaName>Downstream_current_rate</ParaName><ParaValue>16000</ParaValue>\
            <ParaName>Atuc_crc_errors</ParaName><ParaValue>9</ParaValue>\
            <ParaName>Hec_errors</ParaName><ParaValue>2</ParaValue></Instance>\
            </OBJ_DSLINTERFACE_ID></ajax_response_xml_root>";
        let r = read(input).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Adsl2Plus));
        assert_eq!(r.annex.as_deref(), Some("A"));
        assert_eq!(r.down.rate_bps, Some(16_000_000));
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!((total.up.crc, total.down.hec), (Some(9), Some(2)));
    }

    #[test]
    fn recognises_its_own_and_not_others() {
        for path in FIXTURES {
            assert!(recognises(&fixture(path)), "{path}");
        }
        assert!(!recognises(&fixture("xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt")));
        assert!(!recognises(&fixture("other/04-tr064-fritzbox-wandslifconfig-getinfo-response.xml")));
        assert!(!recognises(&fixture("tr069-cwmp/01-speedport-smart3-sim-getparametervaluesresponse-tr181-dsl.txt")));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Zte, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        let timeout = "<?xml version=\"1.0\"?>\n<ajax_response_xml_root>\n    <IF_ERRORSTR>SessionTimeout</IF_ERRORSTR>\n    <IF_ERRORPARAM>SUCC</IF_ERRORPARAM>\n</ajax_response_xml_root>";
        assert_eq!(parse(timeout), Err(ParseError::ModemError { line: 3, text: "IF_ERRORSTR: SessionTimeout".into() }));
        let login = "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>H188A</title></head>\n<body><form id=\"loginForm\"></form></body></html>\n";
        assert_eq!(
            parse(login),
            Err(ParseError::ModemError { line: 2, text: "an HTML page instead of ZTE data: H188A".into() })
        );
        assert!(matches!(parse("curl: (28) Failed to connect\n"), Err(ParseError::ModemError { .. })));
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Zte, &input);
        }
    }
}

//! TR-098 (`InternetGatewayDevice.`) DSL parameters: the line is
//! `InternetGatewayDevice.WANDevice.{i}.WANDSLInterfaceConfig.`, its counters are under `Stats.`.
//! Input: anything [`params::read`] takes (CWMP SOAP, GenieACS CSV, `name = value` text, JSON),
//! or a [`Params`] the ACS built itself ([`from_params`]).
//!
//! Units (TR-098 1.8): rates kbit/s, margins and attenuation 0.1 dB, power 0.1 dBmV (reported
//! /10 as dBm, as given), `…Start` seconds ago, 4294967295 = no value. Plain counters are counted
//! by the modem (near end: `down`), `ATUC…` ones by the DSLAM (far end: `up`).

use super::params::{self, Params};
use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{Direction, LineReading, LineState, Mode, TpsTc, annex_from_text, profile_from_text};

const ROOT: &str = "InternetGatewayDevice.";
const WAN_DEVICE: &str = "InternetGatewayDevice.WANDevice.";

pub fn recognises(input: &str) -> bool {
    params::mentions(input, ROOT)
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let params = params::read(input, Dialect::Tr098)?;
    if !params::has_any(&params, ROOT) {
        return Err(ParseError::unrecognised(Dialect::Tr098, input));
    }
    from_params(&params)
}

/// Reads the DSL line out of a TR-098 parameter set.
pub fn from_params(params: &Params) -> Result<LineReading, ParseError> {
    let Some(line) = dsl_interface(params) else {
        return Err(ParseError::NotLineStatus {
            dialect: Dialect::Tr098,
            reason: "no InternetGatewayDevice.WANDevice.{i}.WANDSLInterfaceConfig parameter".into(),
        });
    };
    let mut reading = LineReading::new(Dialect::Tr098);
    read_interface(&mut reading, |leaf| params::value(params, &format!("{line}{leaf}")));
    // The `…Start` values sit on the interface object in TR-098 1.8; some firmware put them in
    // `Stats.` next to the periods they belong to.
    let stats = format!("{line}Stats.");
    if reading.uptime_s.is_none() {
        reading.uptime_s = params::value(params, &format!("{stats}ShowtimeStart")).and_then(params::counter);
    }
    params::read_starts(&mut reading, params, &line);
    params::read_starts(&mut reading, params, &stats);
    params::read_stats(&mut reading, params, &stats);
    // The ACS calls this directly, without `Dialect::parse`: settle here too.
    reading.settle();
    Ok(reading)
}

/// The `WANDSLInterfaceConfig.` object of the DSL WANDevice: the one whose
/// `WANCommonInterfaceConfig.WANAccessType` is `DSL`, else the one with a line `Status`, else any
/// that has the object. Instance numbers are never assumed.
fn dsl_interface(params: &Params) -> Option<String> {
    let devices = params::instances(params, WAN_DEVICE);
    let object = |i: &String| format!("{WAN_DEVICE}{i}.WANDSLInterfaceConfig.");
    let access_type =
        |i: &String| params::value(params, &format!("{WAN_DEVICE}{i}.WANCommonInterfaceConfig.WANAccessType"));
    let has_object = |i: &&String| params::has_any(params, &object(i));
    devices
        .iter()
        .filter(has_object)
        .find(|i| access_type(i).is_some_and(|t| t.eq_ignore_ascii_case("DSL")))
        .or_else(|| devices.iter().find(|i| params.contains_key(&format!("{}Status", object(i)))))
        .or_else(|| devices.iter().find(has_object))
        .map(object)
}

/// The line leaves of a `WANDSLInterfaceConfig` object, by their TR-098 names (TR-064's
/// `GetInfo` uses the same names behind `New`).
pub(crate) fn read_interface<'a>(reading: &mut LineReading, get: impl Fn(&str) -> Option<&'a str>) {
    if let Some(status) = get("Status") {
        // Up = showtime; Initializing/EstablishingLink = training; NoSignal = idle; Disabled/Error = down.
        reading.state = LineState::from_text(status);
        reading.state_text = Some(status.to_string());
    }
    let standard = get("StandardUsed");
    reading.mode = standard.or_else(|| get("ModulationType")).and_then(Mode::from_text);
    reading.annex = standard.and_then(annex_from_text);
    reading.profile = get("CurrentProfile").and_then(profile_from_text);
    reading.tps_tc = get("LinkEncapsulationUsed").and_then(TpsTc::from_text);
    for (direction, name) in [(Direction::Down, "Downstream"), (Direction::Up, "Upstream")] {
        let stats = reading.direction_mut(direction);
        stats.rate_bps = get(&format!("{name}CurrRate")).and_then(params::kbps);
        stats.attainable_bps = get(&format!("{name}MaxRate")).and_then(params::kbps);
        stats.snr_margin_db = get(&format!("{name}NoiseMargin")).and_then(params::tenths);
        stats.attenuation_db = get(&format!("{name}Attenuation")).and_then(params::tenths);
        stats.power_dbm = get(&format!("{name}Power")).and_then(params::tenths);
    }
    reading.far_end.vendor = get("ATUCVendor").and_then(params::vendor);
    reading.uptime_s = get("ShowtimeStart").and_then(params::counter);
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Window;
    use crate::testkit::*;
    use proptest::prelude::*;

    const FIXTURES: &[&str] = &["cpe-models/dsl-tr098.csv"];

    #[test]
    fn genieacs_sim_model_vdsl2_17a() {
        let r = parse(&fixture(FIXTURES[0])).unwrap();
        // Hand-checked against the CSV rows of WANDevice.1.WANDSLInterfaceConfig.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("Up"));
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.annex.as_deref(), Some("B"));
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert_eq!(r.down.rate_bps, Some(100_000_000));
        assert_eq!(r.up.rate_bps, Some(40_000_000));
        assert_eq!(r.down.attainable_bps, Some(118_342_000));
        assert_eq!(r.up.attainable_bps, Some(46_210_000));
        assert_eq!(r.down.snr_margin_db, Some(6.1));
        assert_eq!(r.up.snr_margin_db, Some(9.2));
        assert_eq!(r.down.attenuation_db, Some(15.3));
        assert_eq!(r.up.power_dbm, Some(7.2));
        assert_eq!(r.uptime_s, Some(86_220));
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!(total.duration_s, Some(604_800));
        assert_eq!((total.down.crc, total.up.crc), (Some(48), Some(12)));
        assert_eq!((total.down.fec, total.up.fec), (Some(1520), Some(310)));
        assert_eq!((total.down.es, total.down.ses), (Some(5), Some(1)));
        let since_link = r.counters.get(Window::SinceLink).unwrap();
        assert_eq!(since_link.duration_s, Some(86_220));
        assert_eq!((since_link.down.crc, since_link.up.crc), (Some(12), Some(4)));
        assert_eq!(r.counters.get(Window::Current15m).unwrap().duration_s, Some(600));
        assert_eq!(r.counters.get(Window::Current1d).unwrap().down.fec, Some(220));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn genieacs_sim_gpv_response_capture() {
        // shared/specs/cwmp-examples/07: genieacs-sim's answer to a GPV for five DSL leaves.
        let input = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap-env:Envelope xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">gpv-1</cwmp:ID></soap-env:Header><soap-env:Body><cwmp:GetParameterValuesResponse><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[5]"><ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Status</Name><Value xsi:type="xsd:string">Up</Value></ParameterValueStruct><ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.DownstreamCurrRate</Name><Value xsi:type="xsd:unsignedInt">51392</Value></ParameterValueStruct><ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.UpstreamCurrRate</Name><Value xsi:type="xsd:unsignedInt">10048</Value></ParameterValueStruct><ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.DownstreamNoiseMargin</Name><Value xsi:type="xsd:int">87</Value></ParameterValueStruct><ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Stats.Showtime.CRCErrors</Name><Value xsi:type="xsd:unsignedInt">12</Value></ParameterValueStruct></ParameterList></cwmp:GetParameterValuesResponse></soap-env:Body></soap-env:Envelope>"#;
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.down.rate_bps, Some(51_392_000));
        assert_eq!(r.up.rate_bps, Some(10_048_000));
        assert_eq!(r.down.snr_margin_db, Some(8.7));
        assert_eq!(r.counters.get(Window::SinceLink).unwrap().down.crc, Some(12));
        assert_eq!(r.counters.total, None);
    }

    #[test]
    fn training_line_on_the_second_wandevice_in_a_gpv_response() {
        // WANDevice.1 is the Ethernet WAN; the DSL one is 2. The modem still shows zero rates.
        let input = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Body>
    <cwmp:GetParameterValuesResponse>
      <ParameterList>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANCommonInterfaceConfig.WANAccessType</Name><Value xsi:type="xsd:string">Ethernet</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Status</Name><Value xsi:type="xsd:string">Disabled</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANCommonInterfaceConfig.WANAccessType</Name><Value xsi:type="xsd:string">DSL</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANDSLInterfaceConfig.Status</Name><Value xsi:type="xsd:string">EstablishingLink</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANDSLInterfaceConfig.ModulationType</Name><Value xsi:type="xsd:string">ADSL_G.dmt.bis</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANDSLInterfaceConfig.DownstreamCurrRate</Name><Value xsi:type="xsd:unsignedInt">0</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANDSLInterfaceConfig.DownstreamNoiseMargin</Name><Value xsi:type="xsd:int">0</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANDSLInterfaceConfig.ShowtimeStart</Name><Value xsi:type="xsd:unsignedInt">0</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANDSLInterfaceConfig.Stats.Total.LinkRetrain</Name><Value xsi:type="xsd:unsignedInt">3</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.2.WANDSLInterfaceConfig.Stats.Total.ATUCCRCErrors</Name><Value xsi:type="xsd:unsignedInt">4294967295</Value></ParameterValueStruct>
      </ParameterList>
    </cwmp:GetParameterValuesResponse>
  </soapenv:Body>
</soapenv:Envelope>"#;
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.state_text.as_deref(), Some("EstablishingLink"));
        assert_eq!(r.mode, Some(Mode::Adsl2));
        assert!(r.down.is_empty() && r.up.is_empty());
        assert_eq!(r.uptime_s, None);
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!(total.retrains, Some(3));
        assert_eq!(total.up.crc, None);
    }

    #[test]
    fn no_signal_in_name_value_text() {
        let input = "InternetGatewayDevice.WANDevice.3.WANDSLInterfaceConfig.Status = NoSignal\n\
                     InternetGatewayDevice.WANDevice.3.WANDSLInterfaceConfig.UpstreamCurrRate = 0\n\
                     InternetGatewayDevice.WANDevice.3.WANDSLInterfaceConfig.Stats.Total.CRCErrors = 17\n";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Idle);
        assert!(r.up.is_empty());
        assert_eq!(r.counters.get(Window::Total).unwrap().down.crc, Some(17));
    }

    #[test]
    fn transformer_cli_text_with_starts_under_stats() {
        let input = "InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Status [string] = Up\n\
                     InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Stats.ShowtimeStart [unsignedInt] = 3600\n\
                     InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Stats.TotalStart [unsignedInt] = 4294967295\n\
                     InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Stats.Showtime.FECErrors [unsignedInt] = 5\n";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.uptime_s, Some(3600));
        let since_link = r.counters.get(Window::SinceLink).unwrap();
        assert_eq!((since_link.duration_s, since_link.down.fec), (Some(3600), Some(5)));
        assert_eq!(r.counters.total, None);
    }

    #[test]
    fn inform_value_change_parameter_list() {
        // An Inform shaped like shared/specs/cwmp-examples/02, with DSL leaves on notification.
        let input = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <SOAP-ENV:Header><cwmp:ID SOAP-ENV:mustUnderstand="1">100</cwmp:ID></SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <cwmp:Inform>
      <DeviceId><Manufacturer>ZyXEL</Manufacturer><OUI>EC43F6</OUI><ProductClass>P-2601HN-F1</ProductClass><SerialNumber>EC43F69AF408</SerialNumber></DeviceId>
      <Event SOAP-ENC:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>4 VALUE CHANGE</EventCode><CommandKey></CommandKey></EventStruct></Event>
      <MaxEnvelopes>1</MaxEnvelopes>
      <CurrentTime>2015-01-19T23:08:24</CurrentTime>
      <RetryCount>0</RetryCount>
      <ParameterList SOAP-ENC:arrayType="cwmp:ParameterValueStruct[0004]">
        <ParameterValueStruct><Name>InternetGatewayDevice.DeviceInfo.SoftwareVersion</Name><Value xsi:type="xsd:string">V1.00(AACB.3)</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Status</Name><Value xsi:type="xsd:string">Up</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.ModulationType</Name><Value xsi:type="xsd:string">ADSL_2plus</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.ATUCVendor</Name><Value xsi:type="xsd:string">BDCM</Value></ParameterValueStruct>
      </ParameterList>
    </cwmp:Inform>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"#;
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Adsl2Plus));
        assert_eq!(r.annex, None);
        assert_eq!(r.far_end.vendor.as_deref(), Some("BDCM"));
    }

    #[test]
    fn a_parameter_set_without_the_line_is_not_line_status() {
        let input = "InternetGatewayDevice.DeviceInfo.UpTime 86400\n";
        assert!(matches!(parse(input), Err(ParseError::NotLineStatus { .. })));
        let tr181 = fixture("cpe-models/dsl-tr181.csv");
        assert!(matches!(parse(&tr181), Err(ParseError::Unrecognised { .. })));
    }

    #[test]
    fn recognises_its_own_and_not_others() {
        assert!(recognises(&fixture(FIXTURES[0])));
        assert!(!recognises(&fixture("cpe-models/dsl-tr181.csv")));
        assert!(!recognises(&fixture("tr069-cwmp/01-speedport-smart3-sim-getparametervaluesresponse-tr181-dsl.txt")));
        assert!(!recognises(&fixture("xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt")));
        assert!(!recognises(&fixture("zte-xml/01-zte-h188a-dsl-interface-status-lua-vdsl2-17a.xml")));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Tr098, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        assert!(matches!(parse("sh: cwmp: not found\n"), Err(ParseError::ModemError { .. })));
        let fault = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault><faultcode>Server</faultcode>\
                     <faultstring>CWMP fault</faultstring><detail><Fault><FaultCode>9002</FaultCode><FaultString>Internal error</FaultString></Fault></detail></s:Fault></s:Body></s:Envelope>";
        assert_eq!(
            parse(fault),
            Err(ParseError::ModemError { line: 1, text: "CWMP fault: 9002 Internal error".into() })
        );
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Tr098, &input);
        }
    }
}

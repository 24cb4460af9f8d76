//! FRITZ!Box TR-064 (LAN-side SOAP, not CWMP): `WANDSLInterfaceConfig:1` `GetInfo` and
//! `GetStatisticsTotal` responses, alone or several in one input, and AVM's
//! `X_AVM-DE_GetDSLInfo`. Their `New…` elements carry the TR-098 `WANDSLInterfaceConfig` names
//! (`NewDownstreamCurrRate`, `NewATUCCRCErrors`…) in the same units: kbit/s, 0.1 dB, 0.1 dB(mV).
//! A SOAP Fault (e.g. `UPnPError` 401 Invalid Action) is the box refusing.
//! Power is reported /10 as given, like TR-098's 0.1 dBmV; the FRITZ!Box values (498, 515) look
//! like real dBmV (about dBm + 50 on a 100 Ω pair), so `power_dbm` here is not comparable with
//! other dialects' dBm.

use super::params::{self, Fault, Params};
use super::tr098;
use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{LineReading, Window};

pub fn recognises(input: &str) -> bool {
    input.contains("service:WANDSLInterfaceConfig:") || input.contains("X_AVM-DE_GetDSLInfoResponse")
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    // `New…` leaves of any `…Response`, by their name without `New`. When two responses both
    // have a leaf, the first one read is kept.
    let mut leaves = Params::new();
    let mut fault = Fault::default();
    let walked = params::walk_xml(input, |element| {
        fault.see(&element);
        let in_response = element.ancestors.last().is_some_and(|a| a.ends_with("Response"));
        if let (true, Some(leaf)) = (in_response, element.name.strip_prefix("New")) {
            leaves.entry(leaf.to_string()).or_insert_with(|| element.text.to_string());
        }
    });
    if let Some(error) = fault.error() {
        return Err(error);
    }
    if leaves.is_empty() {
        return Err(match walked {
            Err((line, reason)) if input.contains("Response") => {
                ParseError::Malformed { dialect: Dialect::Tr064, line, reason }
            }
            _ => ParseError::unrecognised(Dialect::Tr064, input),
        });
    }
    let mut reading = LineReading::new(Dialect::Tr064);
    // GetInfo says `NewStatus`, X_AVM-DE_GetDSLInfo `NewLinkStatus`.
    tr098::read_interface(&mut reading, |leaf| {
        params::value(&leaves, leaf)
            .or_else(|| if leaf == "Status" { params::value(&leaves, "LinkStatus") } else { None })
    });
    // GetStatisticsTotal counts since the box started counting: the total window. The
    // X_AVM-DE_GetDSLInfo CRC/FEC counts do not say their window; total is the least wrong
    // (a counter reset at a retrain looks like a reboot to the delta maths, never the reverse).
    for (leaf, value) in &leaves {
        params::record_stat(&mut reading, Window::Total, leaf, value);
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LineState, Mode};
    use crate::testkit::*;
    use proptest::prelude::*;

    /// As the daemon reads it: through `Dialect::parse`, which settles the reading.
    fn read(input: &str) -> Result<LineReading, ParseError> {
        Dialect::Tr064.parse(input)
    }

    const FIXTURES: &[&str] = &[
        "other/04-tr064-fritzbox-wandslifconfig-getinfo-response.xml",
        "other/05-tr064-fritzbox-wandslifconfig-getstatisticstotal-response.xml",
    ];

    #[test]
    fn fritzbox_getinfo() {
        let r = read(&fixture(FIXTURES[0])).unwrap();
        // Hand-checked: NewStatus Up, rates 236716/46719 kbit/s, max 240893/49741,
        // margins 110/80, attenuation 140/80 (0.1 dB), power 515/498 (0.1 dB).
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.down.rate_bps, Some(236_716_000));
        assert_eq!(r.up.rate_bps, Some(46_719_000));
        assert_eq!(r.down.attainable_bps, Some(240_893_000));
        assert_eq!(r.up.attainable_bps, Some(49_741_000));
        assert_eq!(r.down.snr_margin_db, Some(11.0));
        assert_eq!(r.up.snr_margin_db, Some(8.0));
        assert_eq!(r.down.attenuation_db, Some(14.0));
        assert_eq!(r.up.attenuation_db, Some(8.0));
        assert_eq!(r.down.power_dbm, Some(51.5));
        assert_eq!(r.up.power_dbm, Some(49.8));
        assert!(r.counters.is_empty());
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn fritzbox_getstatisticstotal() {
        let r = read(&fixture(FIXTURES[1])).unwrap();
        // Hand-checked: CRC 6 near / 1 far, FEC 0/0, HEC 0/0, ES 4, SES 0, LinkRetrain 1.
        assert_eq!(r.state, LineState::Unknown);
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!((total.down.crc, total.up.crc), (Some(6), Some(1)));
        assert_eq!((total.down.fec, total.up.fec), (Some(0), Some(0)));
        assert_eq!((total.down.hec, total.up.hec), (Some(0), Some(0)));
        assert_eq!((total.down.es, total.down.ses), (Some(4), Some(0)));
        assert_eq!(total.down.lof, Some(0));
        assert_eq!(total.retrains, Some(1));
        assert!(r.down.is_empty() && r.up.is_empty());
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn both_responses_concatenated() {
        let both = format!("{}{}", fixture(FIXTURES[0]), fixture(FIXTURES[1]));
        let r = read(&both).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.down.rate_bps, Some(236_716_000));
        assert_eq!(r.counters.get(Window::Total).unwrap().down.crc, Some(6));
    }

    #[test]
    fn avm_dsl_info_while_training() {
        let input = r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
<s:Body>
<u:X_AVM-DE_GetDSLInfoResponse xmlns:u="urn:dslforum-org:service:WANDSLInterfaceConfig:1">
<NewSNRGds>8</NewSNRGds>
<NewSNRpsds>0,0,0</NewSNRpsds>
<NewFECErrors>0</NewFECErrors>
<NewCRCErrors>25</NewCRCErrors>
<NewLinkStatus>Initializing</NewLinkStatus>
<NewModulationType>VDSL</NewModulationType>
<NewCurrentProfile>17a</NewCurrentProfile>
<NewDownstreamCurrRate>0</NewDownstreamCurrRate>
</u:X_AVM-DE_GetDSLInfoResponse>
</s:Body>
</s:Envelope>
"#;
        let r = read(input).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.state_text.as_deref(), Some("Initializing"));
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert!(r.down.is_empty());
        assert_eq!(r.counters.get(Window::Total).unwrap().down.crc, Some(25));
    }

    #[test]
    fn recognises_its_own_and_not_others() {
        for path in FIXTURES {
            assert!(recognises(&fixture(path)), "{path}");
        }
        assert!(!recognises(&fixture("tr069-cwmp/01-speedport-smart3-sim-getparametervaluesresponse-tr181-dsl.txt")));
        assert!(!recognises(&fixture("xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt")));
        assert!(!recognises(&fixture("zte-xml/01-zte-h188a-dsl-interface-status-lua-vdsl2-17a.xml")));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Tr064, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        let fault = r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
<s:Body>
<s:Fault>
<faultcode>s:Client</faultcode>
<faultstring>UPnPError</faultstring>
<detail>
<UPnPError xmlns="urn:dslforum-org:control-1-0">
<errorCode>401</errorCode>
<errorDescription>Invalid Action</errorDescription>
</UPnPError>
</detail>
</s:Fault>
</s:Body>
</s:Envelope>
"#;
        assert_eq!(parse(fault), Err(ParseError::ModemError { line: 6, text: "UPnPError: 401 Invalid Action".into() }));
        assert!(matches!(
            parse("curl: (7) Failed to connect to fritz.box port 49000\n"),
            Err(ParseError::ModemError { .. })
        ));
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Tr064, &input);
        }
    }
}

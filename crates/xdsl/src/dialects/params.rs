//! The parameter sets of TR-069 CPEs (TR-098 `InternetGatewayDevice.`, TR-181 `Device.`), read
//! from every shape they reach us in, plus the helpers the parameter dialects share. Not a
//! dialect itself: `tr098` and `tr181` read a [`Params`] built here (or by the ACS).
//!
//! Accepted shapes: a SOAP `GetParameterValuesResponse` or an `Inform` (with or without an HTTP
//! head, any namespace prefixes, `xsi:type` attributes), GenieACS-sim CSV
//! (`Parameter,Object,Writable,Value,Value type`), `name = value` / `name: value` / `name value`
//! lines (also `name [type] = value`, as `transformer-cli get` prints them), and a JSON object,
//! flat (`{"Device.DSL.Line.1.Status": "Up"}`) or nested GenieACS-style (`{"_value": …}` leaves).
//!
//! The small XML walker here is shared with the `tr064` and `zte` dialects.

use std::collections::BTreeMap;

use quick_xml::events::{BytesRef, BytesStart, Event};

use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{Counter, Direction, LineReading, Window};
use crate::text;

/// Parameter name → value, as the CPE reported them.
pub type Params = BTreeMap<String, String>;

/// "Implemented, but no value available" for TR-098/TR-181 `unsignedInt` counters and rates.
const NO_VALUE: u64 = 4_294_967_295;

/// Reads the parameters in `input`. `dialect` only names the caller in errors.
pub fn read(input: &str, dialect: Dialect) -> Result<Params, ParseError> {
    let body = input.trim_start_matches('\u{feff}').trim_start();
    let params = if body.starts_with('<') || body.starts_with("HTTP/") || body.starts_with("POST ") {
        read_soap(input, dialect)?
    } else if body.starts_with('{') {
        read_json(input, dialect)?
    } else if body.get(..10).is_some_and(|head| head.eq_ignore_ascii_case("parameter,")) {
        read_csv(input)
    } else {
        read_lines(input)
    };
    if params.is_empty() {
        return Err(ParseError::unrecognised(dialect, input));
    }
    Ok(params)
}

/// `ParameterValueStruct`s of a GetParameterValuesResponse or an Inform; a SOAP Fault is the
/// CPE refusing the request.
fn read_soap(input: &str, dialect: Dialect) -> Result<Params, ParseError> {
    let mut params = Params::new();
    let mut name = None;
    let mut value = None;
    let mut fault = Fault::default();
    let walked = walk_xml(input, |element| {
        fault.see(&element);
        match element.name {
            "Name" => name = Some(element.text.split_whitespace().collect::<String>()),
            "Value" => value = Some(element.text.to_string()),
            "ParameterValueStruct" => {
                if let Some(name) = name.take().filter(|n| !n.is_empty()) {
                    params.insert(name, value.take().unwrap_or_default());
                }
                value = None;
            }
            _ => {}
        }
    });
    if let Some(error) = fault.error() {
        return Err(error);
    }
    match walked {
        Err((line, reason)) if params.is_empty() && input.contains("ParameterValueStruct") => {
            Err(ParseError::Malformed { dialect, line, reason })
        }
        _ => Ok(params),
    }
}

/// A SOAP Fault as it goes by: its `faultstring` and the first texts of its `detail` (a CWMP
/// fault code and string, or a UPnP error code and description).
#[derive(Default)]
pub(crate) struct Fault {
    faultstring: Option<(usize, String)>,
    detail: Vec<(usize, String)>,
}

impl Fault {
    pub(crate) fn see(&mut self, element: &XmlElement<'_>) {
        if element.text.is_empty() || !element.ancestors.iter().any(|a| a == "Fault") {
            return;
        }
        if element.name == "faultstring" {
            self.faultstring.get_or_insert_with(|| (element.line, element.text.to_string()));
        } else if self.detail.len() < 4 && element.ancestors.iter().any(|a| a == "detail") {
            self.detail.push((element.line, element.text.to_string()));
        }
    }

    /// `faultstring: code text`, e.g. `CWMP fault: 9005 Invalid parameter name`.
    pub(crate) fn error(&self) -> Option<ParseError> {
        let detail = self.detail.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" ");
        let (line, text) = match (&self.faultstring, self.detail.first()) {
            (Some((line, head)), _) if detail.is_empty() => (*line, head.clone()),
            (Some((line, head)), _) => (*line, format!("{head}: {detail}")),
            (None, Some((line, _))) => (*line, detail),
            (None, None) => return None,
        };
        Some(ParseError::ModemError { line, text: text::excerpt(&text) })
    }
}

/// A JSON object: flat names, or GenieACS-style nesting where a leaf is `{"_value": …}`.
fn read_json(input: &str, dialect: Dialect) -> Result<Params, ParseError> {
    let value: serde_json::Value = serde_json::from_str(input).map_err(|e| ParseError::Malformed {
        dialect,
        line: e.line(),
        reason: e.to_string(),
    })?;
    let mut params = Params::new();
    flatten("", &value, &mut params);
    Ok(params)
}

fn flatten(prefix: &str, value: &serde_json::Value, params: &mut Params) {
    use serde_json::Value;
    let leaf = match value {
        Value::Object(map) => match map.get("_value") {
            Some(inner) if !inner.is_object() => inner,
            _ => {
                for (key, inner) in map.iter().filter(|(k, _)| !k.starts_with('_')) {
                    let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    flatten(&name, inner, params);
                }
                return;
            }
        },
        other => other,
    };
    let text = match leaf {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return,
    };
    if !prefix.is_empty() {
        params.insert(prefix.to_string(), text);
    }
}

/// GenieACS-sim CSV: columns found by their header names; object rows skipped.
fn read_csv(input: &str) -> Params {
    let mut rows = text::lines(input).filter(|(_, l)| !l.trim().is_empty()).map(|(_, l)| csv_fields(l));
    let header = rows.next().unwrap_or_default();
    let column = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(name_at), Some(value_at)) = (column("Parameter"), column("Value")) else {
        return Params::new();
    };
    let object_at = column("Object");
    rows.filter(|row| object_at.and_then(|i| row.get(i)).is_none_or(|o| !o.trim().eq_ignore_ascii_case("true")))
        .filter_map(|row| Some((row.get(name_at)?.trim().to_string(), row.get(value_at)?.clone())))
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

/// One CSV line split into fields; `"…"` quotes may hold commas and doubled quotes.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let Some(field) = fields.last_mut() else { break };
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            _ => field.push(c),
        }
    }
    fields
}

/// `name = value`, `name: value`, `name value`, `name [type] = value`. Lines whose first word is
/// not a parameter path (prompts, banners) are skipped.
fn read_lines(input: &str) -> Params {
    let mut params = Params::new();
    for (_, line) in text::lines(input) {
        let line = line.trim();
        let end = line.find(|c: char| c.is_whitespace() || c == '=' || c == ':').unwrap_or(line.len());
        let (name, rest) = line.split_at(end);
        if !is_parameter_path(name) || name.ends_with('.') {
            continue;
        }
        let mut rest = rest.trim_start();
        if rest.starts_with('[')
            && let Some(close) = rest.find(']')
        {
            rest = rest[close + 1..].trim_start();
        }
        let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim();
        let value = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(rest);
        params.insert(name.to_string(), value.to_string());
    }
    params
}

fn is_parameter_path(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.contains('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// True when `root` (e.g. `Device.DSL.`) starts a parameter path somewhere in `input`, not as the
/// tail of a longer name (`InternetGatewayDevice.` must not count as `Device.`).
pub(crate) fn mentions(input: &str, root: &str) -> bool {
    input.match_indices(root).any(|(at, _)| {
        !input[..at].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

// ---------------------------------------------------------------------------------------------
// Values and statistics shared by the parameter dialects (TR-098, TR-181, TR-064).

/// The value of a parameter, trimmed; `None` when absent or blank.
pub(crate) fn value<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// An `unsignedInt` counter or duration; 4294967295 means "no value".
pub(crate) fn counter(value: &str) -> Option<u64> {
    text::count(value).filter(|&n| n != NO_VALUE)
}

/// A rate in kbit/s, as bit/s.
pub(crate) fn kbps(value: &str) -> Option<u64> {
    counter(value)?.checked_mul(1000)
}

/// A level in tenths (0.1 dB, 0.1 dBmV) as a whole unit. Magnitudes of 32767 and above are
/// "no value" sentinels (-32768, 2147483647, 4294967295), not levels.
pub(crate) fn tenths(value: &str) -> Option<f64> {
    text::decimal(value).filter(|v| v.abs() < 32767.0).map(|v| v / 10.0)
}

/// A G.994.1 vendor id: hexBinary (`4244434D` → `BDCM`) or already text (`BDCM`).
pub(crate) fn vendor(value: &str) -> Option<String> {
    let value = value.trim();
    if text::is_placeholder(value) {
        return None;
    }
    let is_hex = value.len() == 8 && value.bytes().all(|b| b.is_ascii_hexdigit());
    Some(is_hex.then(|| text::hex_ascii(value)).flatten().unwrap_or_else(|| value.to_string()))
}

/// The statistics periods both data models keep, and our window for each. `LastShowtime` (the
/// sync before this one) has no window in our model.
pub(crate) const PERIODS: [(&str, Window); 4] = [
    ("Total", Window::Total),
    ("Showtime", Window::SinceLink),
    ("CurrentDay", Window::Current1d),
    ("QuarterHour", Window::Current15m),
];

/// The counter a statistics leaf holds and whose it is. `ATUC…`/`XTUC…` are counted at the
/// DSLAM (far end: upstream); plain and `ATUR…`/`XTUR…` ones at the modem (near end: downstream).
fn counter_of(leaf: &str) -> Option<(Direction, Counter)> {
    let (direction, name) = match leaf.get(..4) {
        Some("ATUC" | "XTUC") => (Direction::Up, &leaf[4..]),
        Some("ATUR" | "XTUR") => (Direction::Down, &leaf[4..]),
        _ => (Direction::Down, leaf),
    };
    let counter = match name {
        "CRCErrors" => Counter::Crc,
        "FECErrors" => Counter::Fec,
        "HECErrors" => Counter::Hec,
        "ErroredSecs" => Counter::Es,
        "SeverelyErroredSecs" => Counter::Ses,
        "LossOfFraming" => Counter::Lof,
        _ => return None,
    };
    Some((direction, counter))
}

/// Records one statistics leaf (`CRCErrors`, `XTUCFECErrors`, `LinkRetrain`…) in `window`.
pub(crate) fn record_stat(reading: &mut LineReading, window: Window, leaf: &str, value: &str) {
    let Some(n) = counter(value) else { return };
    if leaf == "LinkRetrain" {
        reading.counters.entry(window).retrains = Some(n);
    } else if let Some((direction, counter)) = counter_of(leaf) {
        reading.counters.entry(window).direction_mut(direction).set(counter, Some(n));
    }
}

/// Every `{stats}{Period}.{Leaf}` counter.
pub(crate) fn read_stats(reading: &mut LineReading, params: &Params, stats: &str) {
    for (name, value) in params.range(stats.to_string()..).take_while(|(n, _)| n.starts_with(stats)) {
        let Some((period, leaf)) = name[stats.len()..].split_once('.') else { continue };
        if let Some(&(_, window)) = PERIODS.iter().find(|(p, _)| *p == period) {
            record_stat(reading, window, leaf, value);
        }
    }
}

/// The `{object}{Period}Start` values: how long each window has been counting, in seconds.
/// A window whose length is already known keeps it.
pub(crate) fn read_starts(reading: &mut LineReading, params: &Params, object: &str) {
    for (period, window) in PERIODS {
        if let Some(seconds) = value(params, &format!("{object}{period}Start")).and_then(counter) {
            reading.counters.entry(window).duration_s.get_or_insert(seconds);
        }
    }
}

/// The instance numbers under `prefix` (`InternetGatewayDevice.WANDevice.` → `1`, `2`…), in
/// numeric order.
pub(crate) fn instances(params: &Params, prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = params
        .range(prefix.to_string()..)
        .take_while(|(n, _)| n.starts_with(prefix))
        .filter_map(|(n, _)| n[prefix.len()..].split('.').next().filter(|i| !i.is_empty()).map(str::to_string))
        .collect();
    found.sort_by_key(|i| (i.parse::<u64>().unwrap_or(u64::MAX), i.clone()));
    found.dedup();
    found
}

/// True when some parameter starts with `prefix`.
pub(crate) fn has_any(params: &Params, prefix: &str) -> bool {
    params.range(prefix.to_string()..).next().is_some_and(|(n, _)| n.starts_with(prefix))
}

// ---------------------------------------------------------------------------------------------
// A forgiving XML walk.

/// An XML element, reported when it closes.
pub(crate) struct XmlElement<'a> {
    /// Local name, namespace prefix dropped.
    pub name: &'a str,
    /// Local names of the enclosing elements, outermost first.
    pub ancestors: &'a [String],
    /// The element's own text, trimmed, entities resolved; empty for elements with children.
    pub text: &'a str,
    /// The line the element ends on.
    pub line: usize,
}

/// Calls `visit` for every element of the XML in `input`, in closing order. Anything before the
/// first `<` (an HTTP head) is skipped; several documents in a row are fine. Stops at the first
/// syntax error and returns its line and reason, after visiting everything before it, so a cut
/// capture still yields its complete elements.
pub(crate) fn walk_xml(input: &str, mut visit: impl FnMut(XmlElement<'_>)) -> Result<(), (usize, String)> {
    let start = input.find('<').unwrap_or(input.len());
    let mut reader = quick_xml::Reader::from_str(&input[start..]);
    let mut lines = LineCounter { bytes: input.as_bytes(), offset: 0, line: 1 };
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut leaf = false;
    loop {
        let event = reader.read_event();
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let line = lines.at(start.saturating_add(offset));
        match event {
            Err(error) => return Err((line, error.to_string())),
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::Start(tag)) => {
                stack.push(local_name(&tag));
                text.clear();
                leaf = true;
            }
            Ok(Event::Empty(tag)) => {
                visit(XmlElement { name: &local_name(&tag), ancestors: &stack, text: "", line });
                leaf = false;
            }
            Ok(Event::End(_)) => {
                if let Some(name) = stack.pop() {
                    let own = if leaf { text.trim() } else { "" };
                    visit(XmlElement { name: &name, ancestors: &stack, text: own, line });
                }
                text.clear();
                leaf = false;
            }
            Ok(Event::Text(t)) => text.push_str(&t.xml10_content()),
            Ok(Event::CData(c)) => text.push_str(&c.into_inner()),
            Ok(Event::GeneralRef(r)) => push_reference(&mut text, &r),
            Ok(_) => {}
        }
    }
}

fn local_name(tag: &BytesStart<'_>) -> String {
    tag.local_name().as_ref().to_string()
}

/// `&amp;`, `&#176;`… resolved; an unknown entity is kept as written.
fn push_reference(text: &mut String, reference: &BytesRef<'_>) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        text.push(c);
    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&reference.xml10_content()) {
        text.push_str(s);
    } else {
        text.push('&');
        text.push_str(&reference.xml10_content());
        text.push(';');
    }
}

/// Line numbers of byte offsets, for offsets that only grow (linear overall).
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.bytes.len());
        if offset > self.offset {
            let newlines = self.bytes[self.offset..offset].iter().filter(|&&b| b == b'\n').count();
            self.line = self.line.saturating_add(newlines);
            self.offset = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    #[test]
    fn soap_response_with_http_head_and_odd_namespace() {
        let params = read(
            &fixture("tr069-cwmp/01-speedport-smart3-sim-getparametervaluesresponse-tr181-dsl.txt"),
            Dialect::Tr181,
        )
        .unwrap();
        assert_eq!(params.len(), 19);
        assert_eq!(params["Device.DSL.Line.1.LinkStatus"], "Up");
        assert_eq!(params["Device.DSL.Line.1.TestParams.SNRpsds"], "{snrds}");
        assert_eq!(params["Device.DSL.Channel.1.UpstreamCurrRate"], "41434");
    }

    #[test]
    fn csv_skips_objects_and_keeps_quoted_commas() {
        let params = read(&fixture("cpe-models/dsl-tr098.csv"), Dialect::Tr098).unwrap();
        assert!(!params.contains_key("InternetGatewayDevice.WANDevice.1"));
        assert_eq!(params["InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.DownstreamNoiseMargin"], "61");
        assert_eq!(
            params["InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.DNSServers"],
            "198.51.100.53,198.51.100.54"
        );
    }

    #[test]
    fn inform_parameter_list_names_wrapped_across_lines() {
        let inform = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2">
<soap:Body><cwmp:Inform><MaxEnvelopes>1</MaxEnvelopes><ParameterList>
<ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.
WANDSLInterfaceConfig.Status</Name><Value>Up</Value></ParameterValueStruct>
<ParameterValueStruct><Value xsi:type="xsd:string">a &amp; b</Value><Name>X.Y</Name></ParameterValueStruct>
<ParameterValueStruct><Name>X.Empty</Name><Value/></ParameterValueStruct>
</ParameterList></cwmp:Inform></soap:Body></soap:Envelope>"#;
        let params = read(inform, Dialect::Tr098).unwrap();
        assert_eq!(params["InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.Status"], "Up");
        assert_eq!(params["X.Y"], "a & b");
        assert_eq!(params["X.Empty"], "");
    }

    #[test]
    fn text_lines_in_every_spelling() {
        let input = "> get\nDevice.A.B = 1\nDevice.A.C: two words\nDevice.A.D 3\nDevice.A.E [string] = \"Up\"\nDevice.A.\nnot a path\n";
        let params = read(input, Dialect::Tr181).unwrap();
        let expected: Params =
            [("Device.A.B", "1"), ("Device.A.C", "two words"), ("Device.A.D", "3"), ("Device.A.E", "Up")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(params, expected);
    }

    #[test]
    fn json_flat_and_genieacs_nested() {
        let flat = read(
            r#"{"Device.DSL.Line.1.Status": "Up", "Device.DSL.Line.1.Upstream": true, "Device.X.N": 61}"#,
            Dialect::Tr181,
        )
        .unwrap();
        assert_eq!(flat["Device.DSL.Line.1.Upstream"], "true");
        assert_eq!(flat["Device.X.N"], "61");
        let nested = read(
            r#"{"_id": "x", "Device": {"_object": true, "DSL": {"Line": {"1": {"LinkStatus": {"_value": "Up", "_type": "xsd:string"}}}}}}"#,
            Dialect::Tr181,
        )
        .unwrap();
        assert_eq!(nested.len(), 1);
        assert_eq!(nested["Device.DSL.Line.1.LinkStatus"], "Up");
        assert!(matches!(read("{\"Device.A\": ", Dialect::Tr181), Err(ParseError::Malformed { .. })));
    }

    #[test]
    fn a_cwmp_fault_is_the_modem_refusing() {
        let fault = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">
 <SOAP-ENV:Body>
  <SOAP-ENV:Fault>
   <faultcode>SOAP-ENV:Client</faultcode>
   <faultstring>CWMP fault</faultstring>
   <detail><cwmp:Fault><FaultCode>9005</FaultCode><FaultString>Invalid parameter name</FaultString></cwmp:Fault></detail>
  </SOAP-ENV:Fault>
 </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"#;
        assert_eq!(
            read(fault, Dialect::Tr098),
            Err(ParseError::ModemError { line: 5, text: "CWMP fault: 9005 Invalid parameter name".into() })
        );
    }

    #[test]
    fn nothing_of_ours_is_unrecognised() {
        assert!(matches!(read("sh: cwmp: not found\n", Dialect::Tr098), Err(ParseError::ModemError { .. })));
        assert!(matches!(read("hello world\n", Dialect::Tr098), Err(ParseError::Unrecognised { .. })));
        assert!(matches!(read("<a><b>1</b></a>", Dialect::Tr098), Err(ParseError::Unrecognised { .. })));
    }

    #[test]
    fn helpers() {
        assert_eq!(counter("4294967295"), None);
        assert_eq!(kbps("40000"), Some(40_000_000));
        assert_eq!(tenths("-32768"), None);
        assert_eq!(tenths("-15"), Some(-1.5));
        assert_eq!(vendor("4244434D").as_deref(), Some("BDCM"));
        assert_eq!(vendor("IFTN").as_deref(), Some("IFTN"));
        assert!(mentions("x Device.DSL.Line", "Device.DSL."));
        assert!(!mentions("InternetGatewayDevice.DSL.", "Device.DSL."));
    }
}

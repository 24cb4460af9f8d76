//! OpenWrt `ubus call dsl metrics` (ltq-vdsl-app's `dsl_cpe_ubus.c`, OpenWrt 21.02 on) and the
//! prpl/iopsys dslmngr schema (`ubus call dsl status`, `dsl stats`, `dsl.line.N status|stats`,
//! `dsl.channel.N status|stats`).
//!
//! An input may hold several commands and their JSON answers one after the other (a pasted
//! session); it is split at the `ubus ...` command lines and what the answers say is merged,
//! the first statement of a value winning. JSON without a command line is read by its keys.
//!
//! `dsl metrics` units: rates bit/s, levels in dB as floats (already divided by the driver, not
//! to be divided again), `interleave_delay` in µs, `uptime` in s. Older builds printed the
//! driver's "no value" codes as numbers (LATN/SATN 127.1, SNR -64.1, ACTATP -51.2): dropped.
//! Its `errors` block holds the PM module's *total* counters (`DSL_FIO_PM_LINE_SEC_COUNTERS_TOTAL_GET`,
//! `DSL_FIO_PM_DATA_PATH_COUNTERS_TOTAL_GET`), counting across retrains since the daemon
//! started; the G.INP counters in the same block come from `DSL_FIO_RETX_STATISTICS_GET`, which
//! reads the firmware's own counters, restarted with the firmware at every training: read as
//! since the link came up.
//!
//! dslmngr units: rates kbit/s, `noise_margin`/`attenuation`/`power` in 0.1 dB with -32768 for
//! "no value", vendor ids as hex text. Stats windows: `total`, `showtime` (since link),
//! `currentday`, `quarterhour`, each with a `*_start` (seconds counted so far);
//! `lastshowtime` has no window in the model and is skipped.
//!
//! OpenWrt 19.07 and older have no `dsl` ubus object: their Lantiq figures come from
//! `dsl_control status`/`lucistat` (the `lantiq` dialect). Not read: `erb` (vectoring error
//! reports sent/discarded), `power_state`, `xtse`, `actps`: the model has no place for them.

use serde_json::{Map, Value};

use super::lantiq::line_state;
use super::{conclude, keep_first};
use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{
    Counter, Direction, DirectionStats, ErrorCounters, LineReading, LineState, Mode, TpsTc, Window, annex_from_text,
    profile_from_text,
};
use crate::text;

/// Keys only these schemas use, for inputs without a `ubus call dsl` line (`hlog`: the
/// per-tone `dsl statistics`, which is of the dialect but holds no line status).
const MARKERS: [&str; 9] = [
    "\"hlog\"",
    "\"atu_c\"",
    "\"actatp\"",
    "\"attndr\"",
    "\"noise_margin\"",
    "\"xtuc_vendor\"",
    "\"xtur_fec_errors\"",
    "\"errored_secs\"",
    "\"actndr\"",
];

pub fn recognises(input: &str) -> bool {
    input.contains("ubus call dsl") || input.trim_start().starts_with('{') && MARKERS.iter().any(|m| input.contains(m))
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut reading = LineReading::new(Dialect::Openwrt);
    let mut of_dialect = false;
    for segment in segments(input) {
        of_dialect |= segment.command.is_some();
        let Some(body) = segment.body_to_read() else {
            continue;
        };
        of_dialect |= recognises(body);
        let interval = segment.command.as_ref().and_then(|c| c.interval);
        for value in json(body, segment.first_line)? {
            if let Value::Object(object) = &value {
                absorb(&mut reading, object, interval);
            }
        }
    }
    reading.counters.prune();
    if !reading.holds_line_status() {
        if let Some((line, text)) = text::error_transcript(input) {
            return Err(ParseError::ModemError { line, text });
        }
        if !of_dialect {
            return Err(ParseError::unrecognised(Dialect::Openwrt, input));
        }
    }
    conclude(
        reading,
        "no line state, rates or counters in it (per-tone statistics only?): run `ubus call dsl metrics` \
         (OpenWrt) or `ubus call dsl status` (prpl dslmngr)",
    )
}

/// A `ubus call OBJECT METHOD [ARGS]` line.
struct Call {
    object: String,
    method: String,
    /// The window of a `stats "{'interval':'total'}"` call.
    interval: Option<Window>,
}

/// A command line (or none, at the top of the input) and the lines after it.
struct Segment<'a> {
    /// The `ubus call` that starts the segment, if one does.
    command: Option<Call>,
    /// Whether a line that is not JSON starts the segment (a command, a prompt, an error);
    /// false only for the top of the input.
    boundary: bool,
    body: &'a str,
    first_line: usize,
}

impl<'a> Segment<'a> {
    /// The text to read as JSON, if the command is one whose answer holds line status.
    fn body_to_read(&self) -> Option<&'a str> {
        let wanted = match &self.command {
            None => !self.boundary,
            Some(call) => {
                let object_ok = call.object == "dsl"
                    || call.object.starts_with("dsl.line.")
                    || call.object.starts_with("dsl.channel.");
                object_ok && matches!(call.method.as_str(), "metrics" | "status" | "stats")
            }
        };
        // An answer is an object (or array); other text (a line of dashes, a bare number) is not one.
        let answer = self.body.trim_start().starts_with(['{', '[']);
        (wanted && answer).then_some(self.body)
    }
}

/// Splits the input at every line that cannot be part of a JSON answer (command lines,
/// prompts, error text). Linear in the input.
fn segments(input: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut current = Segment {
        command: None,
        boundary: false,
        body: "",
        first_line: 1,
    };
    let mut start = 0;
    let mut offset = 0;
    for (index, line) in input.split_inclusive('\n').enumerate() {
        let end = offset + line.len();
        if !is_json_line(line) {
            current.body = &input[start..offset];
            segments.push(current);
            current = Segment {
                command: ubus_call(line),
                boundary: true,
                body: "",
                first_line: index + 2,
            };
            start = end;
        }
        offset = end;
    }
    current.body = &input[start..];
    segments.push(current);
    segments
}

/// Lines of a JSON answer start with a bracket, a quote, a number or a literal.
fn is_json_line(line: &str) -> bool {
    let t = line.trim_start_matches('\u{feff}').trim();
    t.is_empty()
        || t.starts_with(['{', '}', '[', ']', '"', '-', ','])
        || t.starts_with(|c: char| c.is_ascii_digit())
        || ["true", "false", "null"].iter().any(|literal| t.starts_with(literal))
}

/// Reads `ubus call OBJECT METHOD [ARGS]` anywhere in the line (after a prompt too).
fn ubus_call(line: &str) -> Option<Call> {
    let words = text::words(line);
    let at = words
        .windows(2)
        .position(|pair| pair[0] == "ubus" && pair[1] == "call")?;
    let object = words.get(at + 2)?.to_string();
    let method = words.get(at + 3).map_or_else(String::new, |m| m.to_string());
    let args = words
        .get(at + 4..)
        .map(|rest| rest.join(" "))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let interval = [
        ("lastshowtime", None),
        ("total", Some(Window::Total)),
        ("showtime", Some(Window::SinceLink)),
        ("currentday", Some(Window::Current1d)),
        ("quarterhour", Some(Window::Current15m)),
    ]
    .into_iter()
    .find(|(name, _)| args.contains(name))
    .and_then(|(_, window)| window);
    Some(Call {
        object,
        method,
        interval,
    })
}

/// The JSON values of a segment (one, unless answers were pasted without their commands); a
/// broken or cut one is `Malformed` at its line (a cut one at its last line).
fn json(body: &str, first_line: usize) -> Result<Vec<Value>, ParseError> {
    serde_json::Deserializer::from_str(body)
        .into_iter::<Value>()
        .map(|value| {
            value.map_err(|e| {
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                let (line, reason) = if e.is_eof() {
                    (
                        body.trim_end().lines().count(),
                        format!("the JSON answer is cut short ({message})"),
                    )
                } else {
                    (e.line(), format!("the JSON answer is not valid JSON ({message})"))
                };
                ParseError::Malformed {
                    dialect: Dialect::Openwrt,
                    line: first_line.saturating_add(line.saturating_sub(1)),
                    reason,
                }
            })
        })
        .collect()
}

/// Reads one JSON answer, by its keys.
fn absorb(r: &mut LineReading, object: &Map<String, Value>, interval: Option<Window>) {
    // (dslmngr's line status has an `upstream` too, a bool: the direction tables are objects.)
    let metrics_keys = ["atu_c", "errors", "api_version", "state", "up"];
    if metrics_keys.iter().any(|k| object.contains_key(*k)) || object.get("downstream").is_some_and(Value::is_object) {
        metrics(r, object);
    } else {
        // dslmngr: `dsl status`/`dsl stats` nest line[] and channel[]; the per-object calls
        // answer with the line's or the channel's keys directly. Only the first line is read.
        prpl(r, object, interval);
        let first = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_object)
        };
        if let Some(line) = first("line") {
            prpl(r, line, None);
            if let Some(channel) = line
                .get("channel")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_object)
            {
                prpl(r, channel, None);
            }
        }
    }
}

// ---------------------------------------------------------------- OpenWrt `dsl metrics`

fn metrics(r: &mut LineReading, m: &Map<String, Value>) {
    let modem = &mut r.modem;
    keep_first(&mut modem.api_version, string(m.get("api_version")));
    keep_first(&mut modem.firmware_version, string(m.get("firmware_version")));
    keep_first(&mut modem.chipset, string(m.get("chipset")));
    keep_first(&mut modem.driver_version, string(m.get("driver_version")));

    if r.state_text.is_none() {
        let text = string(m.get("state"));
        let up = m.get("up").and_then(Value::as_bool);
        let words = text
            .as_deref()
            .map(line_state)
            .or_else(|| count(m.get("state_num")).and_then(state_num));
        r.state = match (words, up) {
            // `up` is true exactly in showtime with TC-layer sync.
            (_, Some(true)) => LineState::Showtime,
            (Some(LineState::Showtime), Some(false)) => LineState::Training,
            (Some(state), _) => state,
            (None, _) => LineState::Unknown,
        };
        r.state_text = text;
    }
    keep_first(&mut r.uptime_s, count(m.get("uptime")));

    if let Some(atu_c) = m.get("atu_c").and_then(Value::as_object) {
        let vendor = string(atu_c.get("vendor")).or_else(|| vendor_id(atu_c.get("vendor_id")));
        let system_vendor = string(atu_c.get("system_vendor")).filter(|s| Some(s) != vendor.as_ref());
        keep_first(&mut r.far_end.vendor, vendor);
        keep_first(&mut r.far_end.system_vendor, system_vendor);
        keep_first(&mut r.far_end.firmware, bytes_text(atu_c.get("version")));
    }
    keep_first(
        &mut r.annex,
        string(m.get("annex")).and_then(|a| annex_from_text(&format!("annex {a}"))),
    );
    keep_first(
        &mut r.mode,
        [m.get("mode"), m.get("standard")]
            .into_iter()
            .flatten()
            .find_map(|v| v.as_str().and_then(Mode::from_text)),
    );
    keep_first(
        &mut r.profile,
        string(m.get("profile")).and_then(|p| profile_from_text(&p)),
    );

    for (key, direction) in [("downstream", Direction::Down), ("upstream", Direction::Up)] {
        if let Some(d) = m.get(key).and_then(Value::as_object) {
            metrics_direction(r.direction_mut(direction), d);
        }
    }

    if let Some(errors) = m.get("errors").and_then(Value::as_object) {
        let near = errors.get("near").and_then(Value::as_object);
        let far = errors.get("far").and_then(Value::as_object);
        for (end, direction) in [(near, Direction::Down), (far, Direction::Up)] {
            if let Some(end) = end {
                metrics_errors(r.counters.entry(Window::Total).direction_mut(direction), end);
            }
        }
        // G.INP: the DTUs a receiver corrected or could not correct are counted at that end;
        // the DTUs retransmitted *into* a direction are counted by its sender, the other end
        // (as LuCI's DSL page pairs them).
        let retx = r.counters.entry(Window::SinceLink);
        for (receiver, sender, direction) in [(near, far, Direction::Down), (far, near, Direction::Up)] {
            let c = retx.direction_mut(direction);
            let get = |end: Option<&Map<String, Value>>, key: &str| count(end.and_then(|e| e.get(key)));
            keep_first(&mut c.rtx_c, get(receiver, "rx_corrected"));
            keep_first(&mut c.rtx_uc, get(receiver, "rx_uncorrected_protected"));
            keep_first(&mut c.rtx_tx, get(sender, "tx_retransmitted"));
        }
    }
}

/// `state_num`, the driver's stable state numbering (printed only for these states).
fn state_num(n: u64) -> Option<LineState> {
    let state = match n {
        0 | 1 => LineState::Down,
        2 | 3 => LineState::Idle,
        4..=6 | 8 => LineState::Training,
        7 => LineState::Showtime,
        _ => return None,
    };
    Some(state)
}

fn metrics_direction(d: &mut DirectionStats, m: &Map<String, Value>) {
    // The driver's "no value" codes, as older builds printed them (newer ones leave the key out).
    let db = |key: &str, invalid: f64| float(m.get(key)).filter(|v| (v - invalid).abs() > 1e-6);
    keep_first(&mut d.rate_bps, count(m.get("data_rate")).filter(|&bps| bps > 0));
    keep_first(&mut d.attainable_bps, count(m.get("attndr")).filter(|&bps| bps > 0));
    keep_first(&mut d.snr_margin_db, db("snr", -64.1));
    keep_first(&mut d.attenuation_db, db("latn", 127.1));
    keep_first(&mut d.signal_attenuation_db, db("satn", 127.1));
    keep_first(&mut d.power_dbm, db("actatp", -51.2));
    keep_first(
        &mut d.interleave_delay_ms,
        count(m.get("interleave_delay")).map(|us| us as f64 / 1000.0),
    );
    keep_first(&mut d.inp_symbols, float(m.get("inp")));
    keep_first(&mut d.retransmission, m.get("retx").and_then(Value::as_bool));
}

fn metrics_errors(c: &mut ErrorCounters, end: &Map<String, Value>) {
    const COUNTERS: [(&str, Counter); 8] = [
        ("fecs", Counter::Fecs),
        ("es", Counter::Es),
        ("ses", Counter::Ses),
        ("uas", Counter::Uas),
        ("loss", Counter::Los),
        ("lofs", Counter::Lof),
        ("hec", Counter::Hec),
        // Newer builds add channel counters beside the others (LuCI: "Corrected by FEC (FEC-C)").
        ("fec_c", Counter::Fec),
    ];
    for (key, counter) in COUNTERS {
        if c.get(counter).is_none() {
            c.set(counter, count(end.get(key)));
        }
    }
    // Channel CRC (CV-C, newer builds) where given, else the PTM non-pre-emptive CRC (CRC-P).
    keep_first(&mut c.crc, count(end.get("cv_c")).or_else(|| count(end.get("crc_p"))));
}

// ---------------------------------------------------------------- prpl/iopsys dslmngr

fn prpl(r: &mut LineReading, o: &Map<String, Value>, interval: Option<Window>) {
    // The line's `link_status` (up, initializing, no_signal...) is the line state; `status`
    // is the interface's (up, down, lower_layer_down...), used when there is no link status.
    if r.state_text.is_none()
        && let Some(words) = string(o.get("link_status")).or_else(|| string(o.get("status")))
    {
        r.state = LineState::from_text(&words.replace('_', " "));
        r.state_text = Some(words);
    }
    keep_first(&mut r.modem.firmware_version, string(o.get("firmware_version")));
    if let Some(standard) = string(o.get("standard_used")) {
        keep_first(&mut r.mode, Mode::from_text(&standard));
        keep_first(&mut r.annex, annex_from_text(&standard));
    }
    keep_first(
        &mut r.profile,
        string(o.get("current_profile")).and_then(|p| profile_from_text(&p)),
    );
    keep_first(
        &mut r.tps_tc,
        string(o.get("link_encapsulation_used")).and_then(|e| TpsTc::from_text(&e)),
    );
    keep_first(
        &mut r.far_end.vendor,
        string(o.get("xtuc_vendor")).and_then(|v| hex_vendor(&v)),
    );

    for (key, direction) in [("ds", Direction::Down), ("us", Direction::Up)] {
        let half = |name: &str| o.get(name).and_then(Value::as_object).and_then(|pair| pair.get(key));
        let kbps = |name: &str| count(half(name)).filter(|&k| k > 0).and_then(|k| k.checked_mul(1000));
        let d = r.direction_mut(direction);
        keep_first(&mut d.rate_bps, kbps("actndr").or_else(|| kbps("curr_rate")));
        keep_first(&mut d.attainable_bps, kbps("max_bit_rate"));
        keep_first(&mut d.snr_margin_db, tenths(half("noise_margin")));
        keep_first(&mut d.attenuation_db, tenths(half("attenuation")));
        // `power` is each direction's sender's output power (ATU-C for ds, ATU-R for us).
        keep_first(&mut d.power_dbm, tenths(half("power")));
    }

    let showtime_start = count(o.get("showtime_start"));
    if !matches!(r.state, LineState::Down | LineState::Idle | LineState::Training) {
        keep_first(&mut r.uptime_s, showtime_start);
    }
    let windows = [
        ("total", "total_start", Window::Total),
        ("showtime", "showtime_start", Window::SinceLink),
        ("currentday", "current_day_start", Window::Current1d),
        ("quarterhour", "quarter_hour_start", Window::Current15m),
    ];
    for (name, start, window) in windows {
        let w = r.counters.entry(window);
        keep_first(&mut w.duration_s, count(o.get(start)));
        if let Some(stats) = o.get(name).and_then(Value::as_object) {
            prpl_counters(w.direction_mut(Direction::Down), stats, "xtur");
            prpl_counters(w.direction_mut(Direction::Up), stats, "xtuc");
        }
    }
    // The answer of `stats "{'interval':'...'}"`: that window's counters at the top level.
    if let Some(window) = interval {
        let w = r.counters.entry(window);
        prpl_counters(w.direction_mut(Direction::Down), o, "xtur");
        prpl_counters(w.direction_mut(Direction::Up), o, "xtuc");
    }
}

/// One window's counters of one end: `xtur_*` are the modem's (near end), `xtuc_*` the DSLAM's.
/// The line-level errored seconds are the near end's (G.997.1 ES-L).
fn prpl_counters(c: &mut ErrorCounters, stats: &Map<String, Value>, end: &str) {
    for (name, counter) in [("fec", Counter::Fec), ("hec", Counter::Hec), ("crc", Counter::Crc)] {
        if c.get(counter).is_none() {
            c.set(counter, count(stats.get(&format!("{end}_{name}_errors"))));
        }
    }
    if end == "xtur" {
        keep_first(&mut c.es, count(stats.get("errored_secs")));
        keep_first(&mut c.ses, count(stats.get("severely_errored_secs")));
    }
}

// ---------------------------------------------------------------- JSON values

fn string(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?.trim();
    (!text::is_placeholder(s)).then(|| s.to_string())
}

/// A counter or other unsigned number; 2^32-1 is the usual "no value".
fn count(value: Option<&Value>) -> Option<u64> {
    value?.as_u64().filter(|&n| n != u64::from(u32::MAX))
}

fn float(value: Option<&Value>) -> Option<f64> {
    value?.as_f64().filter(|v| v.is_finite())
}

/// A signed 0.1 dB value; dslmngr writes signed numbers through a u32, so 2^32-n is -n.
fn tenths(value: Option<&Value>) -> Option<f64> {
    let value = value?;
    let n = value.as_i64().or_else(|| {
        value
            .as_u64()
            .and_then(|u| u32::try_from(u).ok())
            .map(|u| i64::from(u as i32))
    })?;
    let n = if (i64::from(i32::MAX) + 1..=i64::from(u32::MAX)).contains(&n) {
        n - (1 << 32)
    } else {
        n
    };
    (n != -32768 && i32::try_from(n).is_ok()).then(|| n as f64 / 10.0)
}

/// A G.994.1 vendor id as dslmngr prints it: `4244434D`, or all eight bytes `B5004244434DA491`
/// (country, vendor, version).
fn hex_vendor(hex: &str) -> Option<String> {
    let hex = hex.trim();
    let vendor = if hex.len() == 16 { hex.get(4..12)? } else { hex };
    text::hex_ascii(vendor)
}

/// The vendor of `atu_c.vendor_id` (`[181, 0, 66, 68, 67, 77, 164, 96]`: country, `BDCM`,
/// version), when the driver did not name it.
fn vendor_id(value: Option<&Value>) -> Option<String> {
    let bytes: Vec<u64> = value?.as_array()?.iter().filter_map(Value::as_u64).collect();
    let name: String = bytes
        .get(2..6)?
        .iter()
        .map(|&b| u8::try_from(b).map(char::from).unwrap_or('\0'))
        .collect();
    name.chars().all(|c| c.is_ascii_alphanumeric()).then_some(name)
}

/// A byte array that spells printable text (`atu_c.version`), else `None` (all zeros, binary).
fn bytes_text(value: Option<&Value>) -> Option<String> {
    let mut out = String::new();
    for byte in value?.as_array()? {
        match byte.as_u64()? {
            0 => {}
            b @ 0x20..=0x7e => out.push(char::from(b as u8)),
            _ => return None,
        }
    }
    let out = out.trim().to_string();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Dialect;
    use crate::testkit::*;
    use proptest::prelude::*;

    /// Through the dialect, as users and the drivers call it (so `settle` applies).
    fn parse(input: &str) -> Result<LineReading, ParseError> {
        Dialect::Openwrt.parse(input)
    }

    const FIXTURES: &[&str] = &[
        "ubus-dsl-metrics/01-prpl-dslmngr-ubus-call-dsl-status-vdsl2-17a.json",
        "ubus-dsl-metrics/02-prpl-dslmngr-ubus-call-dsl-stats.json",
        "ubus-dsl-metrics/03-prpl-dslmngr-ubus-dsl-line0-channel0-session.txt",
        "ubus-dsl-metrics/04-lantiq-ubus-list-dsl-and-call-dsl-statistics-abbreviated-truncated.txt",
        "openwrt/01-vrx200-ubus-call-dsl-metrics-vdsl2-17a-vectoring.txt",
        "openwrt/02-vrx200-ubus-dsl-metrics-adsl2plus-annex-b.json",
        "openwrt/03-vrx200-ubus-dsl-metrics-silent.json",
        "openwrt/04-vrx200-ubus-dsl-metrics-21.02-invalid-values.json",
    ];

    #[test]
    fn prpl_dsl_status_vdsl2_17a() {
        let r = parse(&fixture(FIXTURES[0])).unwrap();
        // Hand-checked: kbps ×1000, 0.1 dB /10, ds = down; 4244434D = BDCM.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("up"));
        assert_eq!(
            (r.mode, r.annex.as_deref(), r.profile.as_deref()),
            (Some(Mode::Vdsl2), Some("A"), Some("17a"))
        );
        assert_eq!(r.tps_tc, Some(TpsTc::Ptm));
        assert_eq!(r.down.rate_bps, Some(100_000_000));
        assert_eq!(r.up.rate_bps, Some(59_998_000));
        assert_eq!(r.down.attainable_bps, Some(141_161_000));
        assert_eq!(r.up.attainable_bps, Some(65_067_000));
        assert_eq!(r.down.snr_margin_db, Some(18.4));
        assert_eq!(r.up.snr_margin_db, Some(13.9));
        assert_eq!(r.down.attenuation_db, Some(3.5));
        assert_eq!(r.up.attenuation_db, Some(3.8));
        assert_eq!(r.down.power_dbm, Some(12.5));
        assert_eq!(r.up.power_dbm, Some(13.3));
        assert_eq!(r.far_end.vendor.as_deref(), Some("BDCM"));
        assert_eq!(r.modem.firmware_version.as_deref(), Some("8.11.0.15.0.7"));
        assert!(r.counters.is_empty());
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn prpl_dsl_stats_alone() {
        let r = parse(&fixture(FIXTURES[1])).unwrap();
        assert_eq!(r.state, LineState::Unknown);
        assert_eq!(r.uptime_s, Some(86));
        let total = r.counters.total.as_ref().unwrap();
        assert_eq!(total.duration_s, Some(193));
        assert_eq!(
            (total.down.es, total.down.ses, total.down.crc, total.up.crc),
            (Some(0), Some(0), Some(0), Some(0))
        );
        assert_eq!(
            (total.down.fec, total.up.fec, total.down.hec),
            (Some(0), Some(0), Some(0))
        );
        assert_eq!(r.counters.since_link.as_ref().unwrap().duration_s, Some(86));
        assert_eq!(r.counters.current_1d.as_ref().unwrap().duration_s, Some(32512));
        assert_eq!(r.counters.current_15m.as_ref().unwrap().duration_s, Some(112));
        assert!(r.counters.previous_15m.is_none() && r.counters.previous_1d.is_none());
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn prpl_per_object_session_merged() {
        let r = parse(&fixture(FIXTURES[2])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.down.rate_bps, Some(100_000_000));
        assert_eq!(r.up.rate_bps, Some(59_998_000));
        // This sample's max_bit_rate.ds differs from fixture 01's.
        assert_eq!(r.down.attainable_bps, Some(141_209_000));
        assert_eq!(r.up.attainable_bps, Some(65_067_000));
        assert_eq!(r.down.snr_margin_db, Some(18.4));
        assert_eq!(r.up.snr_margin_db, Some(13.9));
        assert_eq!(r.tps_tc, Some(TpsTc::Ptm));
        assert_eq!(r.uptime_s, Some(86));
        let since_link = r.counters.since_link.as_ref().unwrap();
        assert_eq!(
            (since_link.duration_s, since_link.down.crc, since_link.up.fec),
            (Some(86), Some(0), Some(0))
        );
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn statistics_call_holds_no_line_status() {
        let err = parse(&fixture(FIXTURES[3])).unwrap_err();
        match err {
            ParseError::NotLineStatus { dialect, reason } => {
                assert_eq!(dialect, Dialect::Openwrt);
                assert!(reason.contains("ubus call dsl metrics"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn metrics_vdsl2_vectoring_session() {
        let r = parse(&fixture(FIXTURES[4])).unwrap();
        // Hand-checked against the input: bit/s as given, dB floats as given (not /10),
        // interleave_delay µs → ms, near = down, far = up.
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("Showtime with TC-Layer sync"));
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!((r.annex.as_deref(), r.profile.as_deref()), (Some("B"), Some("17a")));
        assert_eq!(r.uptime_s, Some(152));
        assert_eq!(r.down.rate_bps, Some(116_790_000));
        assert_eq!(r.up.rate_bps, Some(42_462_000));
        assert_eq!(r.down.attainable_bps, Some(141_952_288));
        assert_eq!(r.up.attainable_bps, Some(42_585_000));
        assert_eq!(r.down.snr_margin_db, Some(12.5));
        assert_eq!(r.up.snr_margin_db, Some(6.7));
        assert_eq!(r.down.interleave_delay_ms, Some(0.16));
        assert_eq!(r.down.power_dbm, Some(14.5));
        assert_eq!(r.up.power_dbm, Some(-3.3));
        assert_eq!(r.down.retransmission, Some(true));
        let total = r.counters.total.as_ref().unwrap();
        assert_eq!((total.down.fecs, total.up.fecs), (Some(4490), Some(33503)));
        assert_eq!((total.down.crc, total.up.crc), (Some(15), Some(406)));
        assert_eq!((total.down.es, total.up.es), (Some(2), Some(135)));
        let since_link = r.counters.since_link.as_ref().unwrap();
        assert_eq!((since_link.down.rtx_tx, since_link.up.rtx_tx), (Some(1012), Some(0)));
        assert_eq!((since_link.down.rtx_c, since_link.down.rtx_uc), (Some(967), Some(12)));
        assert_eq!(r.far_end.vendor.as_deref(), Some("Broadcom 164.96"));
        assert_eq!(r.modem.chipset.as_deref(), Some("Lantiq-VRX200"));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn metrics_adsl2plus() {
        let r = parse(&fixture(FIXTURES[5])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Adsl2Plus));
        assert_eq!(r.profile, None);
        assert_eq!(r.down.rate_bps, Some(11_263_000));
        assert_eq!(r.up.rate_bps, Some(1_023_000));
        assert_eq!(r.down.attainable_bps, Some(11_876_000));
        assert_eq!(r.up.attainable_bps, Some(1_140_000));
        assert_eq!(r.down.snr_margin_db, Some(6.2));
        assert_eq!(r.up.snr_margin_db, Some(7.9));
        assert_eq!(r.down.interleave_delay_ms, Some(16.0));
        let total = r.counters.total.as_ref().unwrap();
        assert_eq!(
            (total.down.hec, total.down.crc, total.up.crc),
            (Some(12), Some(0), Some(0))
        );
        assert_eq!((total.down.fecs, total.up.fecs), (Some(120), Some(4)));
        assert!(r.counters.since_link.is_none(), "no G.INP counters in this build");
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn metrics_silent_line() {
        let r = parse(&fixture(FIXTURES[6])).unwrap();
        assert_eq!(r.state, LineState::Idle);
        assert_eq!(r.state_text.as_deref(), Some("Silent"));
        assert!(r.down.is_empty() && r.up.is_empty());
        assert_eq!(r.uptime_s, None);
        assert_eq!(r.counters.total.as_ref().unwrap().down.uas, Some(1290));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn metrics_21_02_invalid_codes_are_dropped() {
        let r = parse(&fixture(FIXTURES[7])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.down.snr_margin_db, Some(9.6));
        assert_eq!(r.up.snr_margin_db, None, "-64.1 is the driver's no-value code");
        assert_eq!(r.up.attenuation_db, None, "127.1 is the driver's no-value code");
        assert_eq!(r.up.power_dbm, None, "-51.2 is the driver's no-value code");
        assert_eq!(r.far_end.vendor.as_deref(), Some("CXSY"), "decoded from vendor_id");
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn showtime_without_tc_sync_is_not_showtime() {
        let input = r#"{"state": "Showtime without TC-Layer sync", "state_num": 6, "up": false, "downstream": {"data_rate": 5000000}}"#;
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert!(r.down.is_empty());
    }

    #[test]
    fn state_num_without_state_text() {
        let r = parse(r#"{"state_num": 4, "up": false, "uptime": 0}"#).unwrap();
        assert_eq!((r.state, r.state_text), (LineState::Training, None));
        assert_eq!(r.uptime_s, None);
    }

    #[test]
    fn prpl_line_training() {
        let input = "ubus call dsl.line.0 status\n{\n\t\"status\": \"down\",\n\t\"link_status\": \"initializing\",\n\t\"noise_margin\": {\"us\": 0, \"ds\": 0},\n\t\"max_bit_rate\": {\"us\": 0, \"ds\": 0}\n}\n";
        let r = parse(input).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.state_text.as_deref(), Some("initializing"));
        assert!(r.down.is_empty() && r.up.is_empty());
    }

    #[test]
    fn prpl_signed_values_through_u32() {
        let input = r#"{"link_status": "up", "noise_margin": {"us": 4294967291, "ds": -32768}}"#;
        let r = parse(input).unwrap();
        assert_eq!(r.up.snr_margin_db, Some(-0.5));
        assert_eq!(r.down.snr_margin_db, None);
    }

    #[test]
    fn cut_json_is_malformed_at_its_line() {
        let input = fixture(FIXTURES[0]);
        let cut: String = input.lines().take(40).map(|l| format!("{l}\n")).collect();
        match parse(&cut) {
            Err(ParseError::Malformed { line, reason, .. }) => {
                assert_eq!(line, 40);
                assert!(reason.contains("cut short"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let session = fixture(FIXTURES[2]);
        let cut: String = session.lines().take(20).map(|l| format!("{l}\n")).collect();
        assert!(matches!(parse(&cut), Err(ParseError::Malformed { line: 20, .. })));
    }

    #[test]
    fn other_json_is_not_of_the_dialect() {
        assert!(matches!(
            parse("{\"board_name\": \"tplink\"}"),
            Err(ParseError::Unrecognised { .. })
        ));
        let statistics = "{\"bits\": {}, \"snr\": {}, \"qln\": {}, \"hlog\": {}}";
        assert!(matches!(parse(statistics), Err(ParseError::NotLineStatus { .. })));
    }

    #[test]
    fn other_text_is_not_read_as_json() {
        assert!(matches!(
            parse("----\nStatus: Showtime\n"),
            Err(ParseError::Unrecognised { line: 1, .. })
        ));
        assert!(matches!(
            parse(&fixture("xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt")),
            Err(ParseError::Unrecognised { .. })
        ));
    }

    #[test]
    fn recognises_its_outputs_only() {
        for path in FIXTURES {
            assert!(recognises(&fixture(path)), "{path}");
        }
        assert!(!recognises(&fixture(
            "xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt"
        )));
        assert!(!recognises(&fixture(
            "lantiq-dsl-control/02-vrx200-dsl-control-lucistat-vdsl2-17a-truncated.txt"
        )));
        assert!(!recognises(&fixture(
            "transformer-cli/01-technicolor-dga4132-rpc-xdslctl-dump-truncated.txt"
        )));
        assert!(!recognises("{\"board_name\": \"tplink,archer\"}"));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Openwrt, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        let err = parse("Command failed: Not found\n").unwrap_err();
        assert!(matches!(err, ParseError::ModemError { line: 1, .. }), "{err:?}");
        let err = parse("sh: ubus: not found\n").unwrap_err();
        assert!(matches!(err, ParseError::ModemError { .. }), "{err:?}");
        // The error answer to a command is the modem's refusal.
        let err = parse("root@OpenWrt:~# ubus call dsl metrics\nCommand failed: Not found\n").unwrap_err();
        assert!(matches!(err, ParseError::ModemError { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn megabyte_answer_is_linear() {
        let tones: String = (0..200_000).map(|i| format!("{},", i % 16)).collect();
        let input = format!(
            "ubus call dsl statistics\n{{\"bits\": {{\"data\": [{tones}0]}}}}\nubus call dsl metrics\n{{\"state\": \"Showtime with TC-Layer sync\", \"up\": true}}\n"
        );
        let r = parse(&input).unwrap();
        assert_eq!(r.state, LineState::Showtime);
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Openwrt, &input);
        }
    }
}

//! InfluxDB line protocol, in two layouts ([`InfluxSchema`]):
//!
//! - `linewatch`: the metric name's prefix is the measurement (`dsl`, `wan`), the rest the
//!   field, labels plus `line` the tags; the fields of one line and label set share a point:
//!   `dsl,direction=down,line=home datarate=15123000,signal_to_noise_margin_db=9.9 1700000000`.
//!   One measurement keeps Flux and InfluxQL queries short (`r._measurement == "dsl" and
//!   r._field == "datarate"`), and every tool that names Influx data `{measurement}_{field}`
//!   (VictoriaMetrics, Telegraf's Prometheus output, InfluxDB's own PromQL) sees exactly the
//!   `/metrics` names, so one dashboard serves both.
//! - `modem-bot`: the old bot's measurement `measurements`, see [`MODEM_BOT_FIELDS`].
//!
//! Every value is a float: the old bot wrote floats, and a field that was once a float
//! refuses integers (field type conflict). Timestamps are in seconds (`precision=s`).

use std::collections::HashMap;
use std::fmt::Write;

use super::TargetSamples;
use crate::config::InfluxSchema;

/// The old bot's fields and where they come from: `(field, metric, label, scale)`. Rates in
/// kbps. `MAX*` is the sync rate, not the attainable one: the old bot wrote its `syncUP` /
/// `syncDOWN` there (Technicolor `Up/DownstreamCurrRate`, ZTE `Up/Downstream_current_rate`,
/// OpenWrt `data_rate` / 1000) and the attainable rate in `ATTAINABLE*`. FEC and CRC are the
/// modem's cumulative counts (the bot's OpenWrt reader wrote FEC *seconds* there by mistake);
/// ATT is the line attenuation, POWER the transmit power in dBm.
pub const MODEM_BOT_FIELDS: [(&str, &str, (&str, &str), f64); 14] = [
    ("FECUP", "dsl_fec_total", ("loc", "far"), 1.0),
    ("FECDOWN", "dsl_fec_total", ("loc", "near"), 1.0),
    ("CRCUP", "dsl_crc_total", ("loc", "far"), 1.0),
    ("CRCDOWN", "dsl_crc_total", ("loc", "near"), 1.0),
    ("SNRUP", "dsl_signal_to_noise_margin_db", ("direction", "up"), 1.0),
    ("SNRDOWN", "dsl_signal_to_noise_margin_db", ("direction", "down"), 1.0),
    ("ATTUP", "dsl_line_attenuation_db", ("direction", "up"), 1.0),
    ("ATTDOWN", "dsl_line_attenuation_db", ("direction", "down"), 1.0),
    ("POWERUP", "dsl_aggregated_transmit_power_db", ("direction", "up"), 1.0),
    ("POWERDOWN", "dsl_aggregated_transmit_power_db", ("direction", "down"), 1.0),
    ("ATTAINABLEUP", "dsl_max_datarate", ("direction", "up"), 0.001),
    ("ATTAINABLEDOWN", "dsl_max_datarate", ("direction", "down"), 0.001),
    ("MAXUP", "dsl_datarate", ("direction", "up"), 0.001),
    ("MAXDOWN", "dsl_datarate", ("direction", "down"), 0.001),
];

/// Renders readings as line protocol in one schema.
#[derive(Debug, Clone, Copy)]
pub struct LineProtocol {
    pub schema: InfluxSchema,
}

impl LineProtocol {
    /// The points of one reading, each line ending with `\n`; empty when it has none.
    pub fn render(&self, target: &TargetSamples) -> String {
        match self.schema {
            InfluxSchema::Linewatch => linewatch_points(target),
            InfluxSchema::ModemBot => modem_bot_point(target),
        }
    }
}

fn linewatch_points(target: &TargetSamples) -> String {
    // Point key (measurement and tags, escaped) -> fields, in the order they first appear.
    let mut points: Vec<(String, String)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (sample, mut labels) in target.series() {
        let (measurement, field) = sample.name.split_once('_').unwrap_or((sample.name, "value"));
        // Influx has no empty tags; sorted tags are what it stores.
        labels.retain(|(_, v)| !v.is_empty());
        labels.sort_by_key(|(k, _)| *k);
        let mut key = escape(measurement, &[',', ' ']);
        for (k, v) in labels {
            let _ = write!(key, ",{}={}", escape(k, &[',', '=', ' ']), escape(v, &[',', '=', ' ']));
        }
        let i = *index.entry(key.clone()).or_insert_with(|| {
            points.push((key, String::new()));
            points.len() - 1
        });
        let fields = &mut points[i].1;
        if !fields.is_empty() {
            fields.push(',');
        }
        let _ = write!(fields, "{}={}", escape(field, &[',', '=', ' ']), sample.value);
    }
    let timestamp = target.unix_seconds();
    points.into_iter().map(|(key, fields)| format!("{key} {fields} {timestamp}\n")).collect()
}

fn modem_bot_point(target: &TargetSamples) -> String {
    let mut fields = Vec::new();
    for (field, metric, label, scale) in MODEM_BOT_FIELDS {
        let value = target.series().find(|(s, labels)| s.name == metric && labels.contains(&label)).map(|(s, _)| s.value * scale);
        if let Some(value) = value {
            fields.push(format!("{field}={value}"));
        }
    }
    if fields.is_empty() {
        return String::new();
    }
    format!("measurements {} {}\n", fields.join(","), target.unix_seconds())
}

/// Escapes a name or tag value: a backslash before each of `special` and before every
/// backslash (so a value ending in one cannot swallow the separator). Line breaks cannot be
/// written in line protocol at all: they become spaces.
fn escape(text: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push_str("\\ "),
            c if c == '\\' || special.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::export::tests::home;
    use crate::metrics::{Kind, Sample};

    const AT: Duration = Duration::from_secs(1_700_000_000);

    fn render(schema: InfluxSchema, target: &TargetSamples) -> String {
        LineProtocol { schema }.render(target)
    }

    #[test]
    fn one_dsl_measurement_fields_named_after_the_metrics() {
        let text = render(InfluxSchema::Linewatch, &home(UNIX_EPOCH + AT));
        let down = text.lines().find(|l| l.starts_with("dsl,direction=down,line=home ")).unwrap();
        assert!(down.contains(" datarate=15123000,max_datarate="), "{down}");
        assert!(down.ends_with(" 1700000000"), "{down}");
        assert!(text.contains("dsl,line=home,loc=near fec_total=2537,crc_total=546 1700000000\n"), "{text}");
        assert!(text.contains("dsl,err=errored,line=home,loc=far error_seconds_total=62 1700000000\n"), "{text}");
        assert!(text.contains("dsl,detail=Showtime,line=home up=1 "), "{text}");
        assert!(text.lines().any(|l| l.starts_with("dsl,line=home ") && l.contains("uptime_seconds=94205") && l.contains("scrape_success=1")), "{text}");
        // This modem names no chipset nor firmware: dsl_info's empty labels are no tags.
        let info = text.lines().find(|l| l.contains("info=1")).unwrap();
        assert!(info.starts_with("dsl,line=home ") && !info.contains("=,"), "{info}");
    }

    #[test]
    fn the_old_bots_schema() {
        let text = render(InfluxSchema::ModemBot, &home(UNIX_EPOCH + AT));
        assert!(text.starts_with("measurements "), "{text}");
        assert!(text.ends_with(" 1700000000\n") && text.lines().count() == 1, "{text}");
        for field in ["MAXDOWN=15123", "SNRUP=15.2", "POWERUP=-2.2", "CRCDOWN=546"] {
            assert!(text.contains(field), "{field} in {text}");
        }
        assert!(text.contains(" FECUP=") || text.contains(",FECUP="), "{text}");
        let empty = TargetSamples { line: "x".into(), at: UNIX_EPOCH, samples: vec![] };
        assert_eq!(render(InfluxSchema::ModemBot, &empty), "");
    }

    #[test]
    fn hostile_tag_values_are_escaped_and_line_breaks_flattened() {
        let target = TargetSamples {
            line: "my line, \"the\" best=1".into(),
            at: UNIX_EPOCH + AT,
            samples: vec![
                Sample { name: "dsl_info", kind: Kind::Info, labels: vec![("chipset", "a\\\nb\r\\".into()), ("api_version", "ü€😀".into())], value: 1.0 },
                Sample { name: "dsl_datarate", kind: Kind::Gauge, labels: vec![], value: f64::NAN },
                Sample { name: "dsl_max_datarate", kind: Kind::Gauge, labels: vec![], value: f64::INFINITY },
            ],
        };
        let text = render(InfluxSchema::Linewatch, &target);
        assert_eq!(text, "dsl,api_version=ü€😀,chipset=a\\\\\\ b\\ \\\\,line=my\\ line\\,\\ \"the\"\\ best\\=1 info=1 1700000000\n");
        assert_eq!(render(InfluxSchema::ModemBot, &target), "");
    }
}

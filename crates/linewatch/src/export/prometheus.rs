//! `/metrics` in the Prometheus text exposition format 0.0.4.
//!
//! Written by hand rather than with prometheus-client: that crate encodes OpenMetrics only
//! (it appends `_total` and unit suffixes to names and ends with `# EOF`), does not escape
//! label values or HELP texts (prometheus/client_rust#151; modem strings carry quotes and
//! newlines), and keeps live metric objects in a registry, while ours is a snapshot of
//! labelled samples. The format itself is a few lines.

use std::collections::HashMap;
use std::fmt::Write;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::{Latest, TargetSamples, help};
use crate::metrics::{Kind, Sample};

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A router serving `GET /metrics` from `latest`, to merge into the daemon's.
pub fn router(latest: Latest) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(latest)
}

async fn metrics(State(latest): State<Latest>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], latest.render_prometheus())
}

/// The exposition of several targets: each family once, with `# HELP` and `# TYPE`, its
/// series from every target together (the format requires it); families in the order they
/// first appear. Info metrics are gauges of 1.
pub fn render<'a>(targets: impl IntoIterator<Item = &'a TargetSamples>) -> String {
    type Series<'a> = (&'a Sample, Vec<(&'static str, &'a str)>);
    let mut families: Vec<(&str, Kind, Vec<Series<'a>>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for target in targets {
        for (sample, labels) in target.series() {
            let i = *index.entry(sample.name).or_insert_with(|| {
                families.push((sample.name, sample.kind, Vec::new()));
                families.len() - 1
            });
            families[i].2.push((sample, labels));
        }
    }
    let mut out = String::new();
    for (name, kind, series) in families {
        let kind = if kind == Kind::Counter { "counter" } else { "gauge" };
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} {kind}", escape_help(help(name)));
        for (sample, labels) in series {
            out.push_str(name);
            out.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{key}=\"{}\"", escape_label_value(value));
            }
            let _ = writeln!(out, "}} {}", sample.value);
        }
    }
    out
}

/// Label values: backslash, double quote and line feed are escaped; all else is kept.
fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP texts: backslash and line feed are escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use proptest::prelude::*;

    use super::*;
    use crate::export::tests::home;

    fn info(line: &str, chipset: &str) -> TargetSamples {
        TargetSamples {
            line: line.into(),
            at: UNIX_EPOCH,
            samples: vec![Sample { name: "dsl_info", kind: Kind::Info, labels: vec![("chipset", chipset.into())], value: 1.0 }],
        }
    }

    #[test]
    fn families_once_with_type_and_help_and_every_series_labelled_with_its_line() {
        let now = SystemTime::now();
        let mut office = home(now);
        office.line = "office".into();
        let text = render([&home(now), &office]);
        assert_eq!(text.matches("# TYPE dsl_crc_total counter\n").count(), 1, "{text}");
        assert!(text.contains("# TYPE dsl_info gauge\n"), "{text}");
        assert!(text.contains("# TYPE dsl_up gauge\n"), "{text}");
        assert!(text.contains("# HELP dsl_signal_to_noise_margin_db Signal-to-noise ratio margin, in dB.\n"), "{text}");
        assert!(text.contains("dsl_crc_total{line=\"home\",loc=\"near\"} 546\n"), "{text}");
        assert!(text.contains("dsl_datarate{line=\"office\",direction=\"down\"} 15123000\n"), "{text}");
        // Both lines' CRC series sit under the one family header.
        let family = text.split("# HELP dsl_crc_total").nth(1).unwrap().split("# HELP").next().unwrap();
        assert_eq!(family.matches("dsl_crc_total{").count(), 4, "{family}");
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.contains("{line=\""), "{line}");
        }
    }

    #[test]
    fn hostile_label_values_are_escaped() {
        let text = render([&info("a\"b", "say \"hi\"\\\nbye, x=y {}")]);
        assert!(text.contains(r#"dsl_info{line="a\"b",chipset="say \"hi\"\\\nbye, x=y {}"} 1"#), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
    }

    #[test]
    fn non_finite_values_are_never_exported() {
        let mut target = info("l", "c");
        target.samples.push(Sample { name: "dsl_datarate", kind: Kind::Gauge, labels: vec![], value: f64::NAN });
        target.samples.push(Sample { name: "dsl_datarate", kind: Kind::Gauge, labels: vec![], value: f64::NEG_INFINITY });
        let text = render([&target]);
        assert!(!text.contains("dsl_datarate"), "{text}");
        assert!(!text.to_lowercase().contains("nan") && !text.to_lowercase().contains(" inf") && !text.contains("-inf"), "{text}");
    }

    /// A strict reader of the exposition: `# HELP`/`# TYPE` before each family's samples,
    /// every family once, label values unescaped. Returns (name, labels, value) per sample.
    type Parsed = Vec<(String, Vec<(String, String)>, f64)>;

    fn parse(text: &str) -> Result<Parsed, String> {
        let mut samples = Vec::new();
        let mut typed = Vec::<String>::new();
        for line in text.split_terminator('\n') {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').ok_or("TYPE without kind")?;
                if typed.iter().any(|t| t == name) || !["counter", "gauge"].contains(&kind) {
                    return Err(format!("bad TYPE line {line:?}"));
                }
                typed.push(name.to_string());
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (name, rest) = line.split_once('{').ok_or(format!("no labels: {line:?}"))?;
            if typed.last().map(String::as_str) != Some(name) {
                return Err(format!("{name} outside its family"));
            }
            let mut chars = rest.chars();
            let mut labels = Vec::new();
            loop {
                let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
                if chars.next() != Some('"') {
                    return Err(format!("label {key} not quoted in {line:?}"));
                }
                let mut value = String::new();
                loop {
                    match chars.next().ok_or("unterminated value")? {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            Some('n') => value.push('\n'),
                            other => return Err(format!("bad escape {other:?}")),
                        },
                        '\n' => return Err("raw line feed".into()),
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
                match chars.next() {
                    Some(',') => continue,
                    Some('}') => break,
                    other => return Err(format!("unexpected {other:?} after a label")),
                }
            }
            let value: String = chars.collect();
            let value = value.strip_prefix(' ').ok_or("no space before the value")?.parse::<f64>().map_err(|e| e.to_string())?;
            samples.push((name.to_string(), labels, value));
        }
        Ok(samples)
    }

    proptest! {
        #[test]
        fn any_label_value_survives_the_round_trip(line in "\\PC{0,20}|.{0,20}", chipset in any::<String>(), detail in "[\"\\\\\n\r\t ,={}#]{0,10}") {
            let mut target = info(&line, &chipset);
            target.samples.push(Sample { name: "dsl_up", kind: Kind::Gauge, labels: vec![("detail", detail.clone())], value: 1.0 });
            let parsed = parse(&render([&target])).map_err(TestCaseError::fail)?;
            let capped = |v: &str| v[..v.floor_char_boundary(crate::export::MAX_LABEL_BYTES)].to_string();
            prop_assert_eq!(parsed.len(), 2);
            prop_assert_eq!(&parsed[0].1, &vec![("line".to_string(), capped(&line)), ("chipset".to_string(), capped(&chipset))]);
            prop_assert_eq!(&parsed[1].1, &vec![("line".to_string(), capped(&line)), ("detail".to_string(), detail)]);
        }
    }
}

//! The exports against real time-series databases from Debian: a real Prometheus scrapes
//! `/metrics` (and receives remote-write), a real VictoriaMetrics receives Influx line
//! protocol v1 and v2, the old bot's schema and remote-write; the data is read back and
//! compared with what was sent. The Grafana dashboard's queries run against the real
//! Prometheus too.

mod support;
#[path = "support/tsdb.rs"]
mod tsdb;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use linewatch::config::Config;
use linewatch::export::push::{PushError, Pusher};
use linewatch::export::{Latest, TargetSamples, prometheus};
use linewatch::metrics::{Kind, Sample, line_samples};
use serde_json::Value;
use tsdb::{Exported, Tsdb};

const SNR_DOWN: f64 = 10.7;

fn sample(name: &'static str, kind: Kind, labels: &[(&'static str, &str)], value: f64) -> Sample {
    Sample { name, kind, labels: labels.iter().map(|(k, v)| (*k, v.to_string())).collect(), value }
}

/// A reading of the Broadcom capture, as the daemon keeps it: the modem's samples with the
/// near-end CRC count set to `crc`, what this modem does not print (signal attenuation), plus
/// the daemon's own.
fn reading(line: &str, at: SystemTime, crc: f64, retrains: f64) -> TargetSamples {
    let capture = support::fixture("xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt");
    let mut samples = line_samples(&xdsl::Dialect::Broadcom.parse(&capture).unwrap());
    for s in samples.iter_mut().filter(|s| s.name == "dsl_crc_total" && s.labels.contains(&("loc", "near".into()))) {
        s.value = crc;
    }
    samples.extend([
        sample("dsl_scrape_success", Kind::Gauge, &[], 1.0),
        sample("dsl_scrape_duration_seconds", Kind::Gauge, &[], 0.25),
        sample("dsl_retrains_total", Kind::Counter, &[], retrains),
        sample("dsl_last_retrain_timestamp_seconds", Kind::Gauge, &[], 1_700_000_000.0),
        sample("dsl_signal_attenuation_db", Kind::Gauge, &[("direction", "down")], 11.5),
    ]);
    TargetSamples { line: line.into(), at, samples }
}

/// A line whose modem prints strings that break naive exporters.
const HOSTILE_LINE: &str = "lab \"2\", x=y \\";
const HOSTILE_CHIPSET: &str = "Broadcom \"BCM63138\"\r\n{evil}=1, ok\\";
const HOSTILE_FIRMWARE: &str = "ü€😀 A2pvI042j.d26m";

fn hostile(at: SystemTime) -> TargetSamples {
    TargetSamples {
        line: HOSTILE_LINE.into(),
        at,
        samples: vec![
            sample("dsl_info", Kind::Info, &[("chipset", HOSTILE_CHIPSET), ("firmware_version", HOSTILE_FIRMWARE), ("api_version", "")], 1.0),
            sample("dsl_up", Kind::Gauge, &[("detail", "Showtime,\ttraining=no")], 1.0),
            sample("dsl_datarate", Kind::Gauge, &[("direction", "down")], f64::NAN),
            sample("dsl_max_datarate", Kind::Gauge, &[("direction", "down")], f64::INFINITY),
        ],
    }
}

/// Now, in whole seconds (Influx goes with `precision=s`).
fn now_seconds() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs())
}

fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

type Labels = BTreeMap<String, String>;

/// What a reading should look like in a TSDB: (name, labels with `line`, value) per finite
/// sample; empty labels are absent; Influx turns line breaks into spaces.
fn expected(target: &TargetSamples, influx: bool) -> Vec<(String, Labels, f64)> {
    let text = |v: &str| if influx { v.replace(['\n', '\r'], " ") } else { v.to_string() };
    target
        .samples
        .iter()
        .filter(|s| s.value.is_finite())
        .map(|s| {
            let mut labels: Labels = s.labels.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_string(), text(v))).collect();
            labels.insert("line".into(), text(&target.line));
            (s.name.to_string(), labels, s.value)
        })
        .collect()
}

/// Every sample of `target` is in `exported` at its time, with its labels (plus `extra`).
fn assert_exported(exported: &Exported, target: &TargetSamples, influx: bool, extra: &[(&str, &str)]) {
    for (name, mut labels, value) in expected(target, influx) {
        labels.insert("__name__".into(), name.clone());
        labels.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let found = exported.iter().find(|(l, _)| l.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect::<Labels>() == labels);
        let Some((_, points)) = found else {
            let names: Vec<_> = exported.iter().map(|(l, _)| Value::Object(l.clone()).to_string()).collect();
            panic!("{labels:?} not exported; the TSDB has:\n{}", names.join("\n"));
        };
        let at = millis(target.at);
        assert!(points.iter().any(|&(t, v)| t == at && (v - value).abs() <= 1e-9 * value.abs().max(1.0)), "{name} {labels:?}: want {value} at {at}, got {points:?}");
    }
}

fn configured(toml: &str) -> Pusher {
    let config = Config::parse(toml).unwrap_or_else(|e| panic!("{e:#}"));
    Pusher::from_config(&config.exports[0]).unwrap()
}

/// One value of a Prometheus query result.
fn value(series: &Value) -> f64 {
    series["value"][1].as_str().unwrap().parse().unwrap()
}

async fn serve(latest: Latest) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, prometheus::router(latest)).await.unwrap() });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_metrics_and_the_dashboard_queries_work() {
    let latest = Latest::default();
    latest.update(reading("home", SystemTime::now(), 100.0, 1.0));
    latest.update(hostile(SystemTime::now()));
    let port = serve(latest.clone()).await;
    let Some(prometheus) = Tsdb::prometheus(Some(port)).await else { return };
    // The line keeps counting CRC errors and retraining while Prometheus scrapes.
    let ticker = {
        let latest = latest.clone();
        tokio::spawn(async move {
            for i in 1.. {
                tokio::time::sleep(Duration::from_millis(250)).await;
                latest.update(reading("home", SystemTime::now(), 100.0 + 7.0 * f64::from(i), 1.0 + f64::from(i)));
            }
        })
    };

    let snr = prometheus.query_until_found(r#"dsl_signal_to_noise_margin_db{line="home",direction="down"}"#).await;
    assert_eq!(snr.len(), 1);
    assert_eq!(value(&snr[0]), SNR_DOWN);
    let targets = prometheus.json("/api/v1/targets", &[]).await;
    let target = &targets["data"]["activeTargets"][0];
    assert_eq!(target["health"], "up", "the scrape failed: {}", target["lastError"]);

    for (metric, kind) in [("dsl_crc_total", "counter"), ("dsl_error_seconds_total", "counter"), ("dsl_up", "gauge"), ("dsl_info", "gauge"), ("dsl_datarate", "gauge")] {
        let metadata = prometheus.json("/api/v1/metadata", &[("metric", metric)]).await;
        let entry = &metadata["data"][metric][0];
        assert_eq!(entry["type"], kind, "{metric}: {metadata}");
        assert!(!entry["help"].as_str().unwrap().is_empty(), "{metric}: {metadata}");
    }
    let help = prometheus.json("/api/v1/metadata", &[("metric", "dsl_datarate")]).await;
    assert!(help["data"]["dsl_datarate"][0]["help"].as_str().unwrap().contains("bit/s"), "{help}");

    let rate = prometheus.query_until_found(r#"rate(dsl_crc_total{line="home",loc="near"}[5s]) > 0"#).await;
    assert!(value(&rate[0]) > 0.0);

    // The hostile strings come back as they were sent.
    let info = prometheus.query_until_found("dsl_info").await;
    let lab = info.iter().find(|s| s["metric"]["line"] == HOSTILE_LINE).unwrap_or_else(|| panic!("{info:?}"));
    assert_eq!(lab["metric"]["chipset"], HOSTILE_CHIPSET);
    assert_eq!(lab["metric"]["firmware_version"], HOSTILE_FIRMWARE);
    let up = prometheus.query(&format!("dsl_up{{line={:?}}}", HOSTILE_LINE)).await;
    assert_eq!(up[0]["metric"]["detail"], "Showtime,\ttraining=no");
    assert!(prometheus.query(r#"dsl_datarate{line!="home"}"#).await.is_empty(), "NaN/inf were exported");

    // Every query of the dashboard runs; those on metrics we serve return data.
    let served = latest.render_prometheus();
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(support::fixtures().join("../contrib/grafana/linewatch.json")).unwrap()).unwrap();
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    assert!(exprs.len() > 20, "{exprs:?}");
    for expr in exprs {
        let promql = expr.replace("$__interval", "10s").replace("$__rate_interval", "10s").replace("$line", "home").replace("$wan", ".*");
        let metrics: Vec<&str> = promql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("dsl_") || w.starts_with("wan_")).collect();
        assert!(!metrics.is_empty(), "{expr}");
        if metrics.iter().all(|m| served.contains(&format!("# TYPE {m} "))) {
            prometheus.query_until_found(&promql).await;
        } else {
            assert!(metrics.iter().all(|m| m.starts_with("wan_")), "the dashboard uses a metric nobody exports: {expr}");
            prometheus.query(&promql).await; // parses
        }
    }
    ticker.abort();
}

/// Every `expr` of a dashboard: panels, rows' panels, annotations.
fn collect_exprs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr", Value::String(expr)) => out.push(expr.clone()),
                    _ => collect_exprs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_write_into_prometheus() {
    let Some(prometheus) = Tsdb::prometheus(None).await else { return };
    let mut pusher = configured(&format!("[[export]]\nkind = \"remote-write\"\nurl = \"{}/api/v1/write\"\n", prometheus.base));
    let now = now_seconds();
    let earlier = reading("rw", now - Duration::from_secs(30), 40.0, 1.0);
    let latest = reading("rw", now, 50.0, 1.0);
    for target in [&earlier, &latest, &hostile(now)] {
        pusher.enqueue(target);
    }
    assert_eq!(pusher.flush().await, Ok(3));
    assert_eq!(pusher.queued(), 0);

    let snr = prometheus.query_until_found(r#"dsl_signal_to_noise_margin_db{line="rw",direction="down"}"#).await;
    assert_eq!(value(&snr[0]), SNR_DOWN);
    let crc = prometheus.query(r#"dsl_crc_total{line="rw",loc="near"}[1m]"#).await;
    let points: Vec<(f64, String)> = crc[0]["values"].as_array().unwrap().iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_str().unwrap().to_string())).collect();
    let secs = |at: SystemTime| at.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert_eq!(points, [(secs(earlier.at), "40".to_string()), (secs(now), "50".to_string())]);
    let info = prometheus.query("dsl_info").await;
    let lab = info.iter().find(|s| s["metric"]["line"] == HOSTILE_LINE).unwrap_or_else(|| panic!("{info:?}"));
    assert_eq!(lab["metric"]["chipset"], HOSTILE_CHIPSET, "remote-write keeps line breaks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influx_v1_with_basic_auth_into_victoria_metrics() {
    const PASSWORD: &str = "pw-s3cret";
    let Some(vm) = Tsdb::victoria_metrics(Some(("lw", PASSWORD))).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let config = |password: &std::path::Path| {
        format!("[[export]]\nkind = \"influx-v1\"\nurl = \"{}\"\ndatabase = \"linewatch\"\nuser = \"lw\"\npassword_file = {password:?}\n", vm.base)
    };
    let mut pusher = configured(&config(&password));
    let home = reading("home", now_seconds(), 546.0, 2.0);
    let lab = hostile(now_seconds());
    pusher.enqueue(&home);
    pusher.enqueue(&lab);
    assert_eq!(pusher.flush().await, Ok(2));

    let count = expected(&home, true).len() + expected(&lab, true).len();
    let exported = vm.export(r#"{__name__=~"dsl_.*"}"#, count).await;
    assert_exported(&exported, &home, true, &[("db", "linewatch")]);
    assert_exported(&exported, &lab, true, &[("db", "linewatch")]);
    assert_eq!(exported.len(), count, "nothing more, no NaN");

    // A wrong password is refused for good: the readings are dropped, the error names the
    // URL and the status, never the password.
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "hunter2").unwrap();
    let mut refused = configured(&config(&wrong));
    refused.enqueue(&home);
    let error = refused.flush().await.unwrap_err();
    assert!(matches!(error, PushError::Refused { dropped: 1, .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(&format!("{}/write?db=linewatch&precision=s", vm.base)) && text.contains("401"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains(PASSWORD), "{text}");
    assert_eq!(refused.queued(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influx_v2_with_a_token_through_the_push_task() {
    let Some(vm) = Tsdb::victoria_metrics(None).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "t0ken").unwrap();
    let pusher = configured(&format!(
        "[[export]]\nkind = \"influx-v2\"\nurl = \"{}/\"\norg = \"home\"\nbucket = \"linewatch\"\ntoken_file = {token:?}\ninterval = \"1h\"\n",
        vm.base
    ));
    let (readings, receiver) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(pusher.run(receiver));
    let now = now_seconds();
    let earlier = reading("home", now - Duration::from_secs(30), 500.0, 1.0);
    let latest = reading("home", now, 546.0, 1.0);
    readings.send(Arc::new(earlier.clone())).await.unwrap();
    readings.send(Arc::new(latest.clone())).await.unwrap();
    drop(readings); // the daemon stops: the task sends what it has and ends
    tokio::time::timeout(Duration::from_secs(60), task).await.unwrap().unwrap();

    let exported = vm.export(r#"{__name__=~"dsl_.*"}"#, expected(&latest, true).len()).await;
    assert_exported(&exported, &earlier, true, &[]);
    assert_exported(&exported, &latest, true, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_write_into_victoria_metrics() {
    let Some(vm) = Tsdb::victoria_metrics(None).await else { return };
    let mut pusher = configured(&format!("[[export]]\nkind = \"remote-write\"\nurl = \"{}/api/v1/write\"\n", vm.base));
    let home = reading("home", SystemTime::now(), 546.0, 1.0); // milliseconds survive
    let lab = hostile(now_seconds());
    pusher.enqueue(&home);
    pusher.enqueue(&lab);
    assert_eq!(pusher.flush().await, Ok(2));
    let count = expected(&home, false).len() + expected(&lab, false).len();
    let exported = vm.export(r#"{__name__=~"dsl_.*"}"#, count).await;
    assert_exported(&exported, &home, false, &[]);
    assert_exported(&exported, &lab, false, &[]);
    assert_eq!(exported.len(), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_old_bots_schema_into_victoria_metrics() {
    let Some(vm) = Tsdb::victoria_metrics(None).await else { return };
    let mut pusher = configured(&format!(
        "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"x\"\n[[export]]\nkind = \"influx-v1\"\nurl = \"{}\"\ndatabase = \"modem\"\nschema = \"modem-bot\"\n",
        vm.base
    ));
    let home = reading("home", now_seconds(), 546.0, 1.0);
    pusher.enqueue(&home);
    assert_eq!(pusher.flush().await, Ok(1));
    let exported = vm.export(r#"{__name__=~"measurements_.*"}"#, 14).await;
    let fields: BTreeMap<String, f64> = exported
        .iter()
        .map(|(labels, points)| {
            assert_eq!(labels.len(), 2, "only the name and VictoriaMetrics' db label: {labels:?}");
            assert_eq!(points, &[(millis(home.at), points[0].1)]);
            (labels["__name__"].as_str().unwrap().trim_start_matches("measurements_").to_string(), points[0].1)
        })
        .collect();
    // The capture's values, rates in kbps; MAX is the sync rate.
    let want = [
        ("ATTAINABLEDOWN", 18123.0),
        ("ATTAINABLEUP", 2123.0),
        ("ATTDOWN", 11.7),
        ("ATTUP", 2.0),
        ("CRCDOWN", 546.0),
        ("CRCUP", 69.0),
        ("FECDOWN", 2537.0),
        ("FECUP", 2827.0),
        ("MAXDOWN", 15123.0),
        ("MAXUP", 1123.0),
        ("POWERDOWN", 13.9),
        ("POWERUP", -2.2),
        ("SNRDOWN", SNR_DOWN),
        ("SNRUP", 15.2),
    ];
    assert_eq!(fields, want.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>());
}

/// A receiver that answers from a script (503, 400, …): the failures no real TSDB gives on
/// demand. Records the requests it got.
async fn scripted(answers: &[(u16, Option<&str>)]) -> (String, Arc<Mutex<Vec<String>>>) {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let answers: VecDeque<(u16, Option<String>)> = answers.iter().map(|(s, a)| (*s, a.map(str::to_string))).collect();
    let answers = Arc::new(Mutex::new(answers));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new().route(
        "/write",
        axum::routing::post({
            let seen = seen.clone();
            move |headers: HeaderMap, body: String| async move {
                seen.lock().unwrap().push(format!("{:?} {body}", headers.get("authorization")));
                let (status, retry_after) = answers.lock().unwrap().pop_front().unwrap_or((204, None));
                let mut response = (StatusCode::from_u16(status).unwrap(), "go away: database \"x\" not found\n").into_response();
                if let Some(after) = retry_after {
                    response.headers_mut().insert("retry-after", after.parse().unwrap());
                }
                response
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

#[tokio::test]
async fn overloaded_receivers_are_retried_refusals_dropped_unreachable_ones_kept() {
    let config = |base: &str| format!("[[export]]\nkind = \"influx-v1\"\nurl = \"{base}\"\ndatabase = \"d\"\ntimeout = \"5s\"\n");
    let home = reading("home", now_seconds(), 1.0, 1.0);

    let (base, seen) = scripted(&[(503, Some("0")), (429, Some("0"))]).await;
    let mut p = configured(&config(&base));
    p.enqueue(&home);
    assert_eq!(p.flush().await, Ok(1), "sent at the third attempt");
    assert_eq!(seen.lock().unwrap().len(), 3);

    let (base, _) = scripted(&[(400, None)]).await;
    let mut p = configured(&config(&base));
    p.enqueue(&home);
    p.enqueue(&home);
    let error = p.flush().await.unwrap_err();
    assert!(matches!(&error, PushError::Refused { dropped: 2, reason, .. } if reason.contains("400") && reason.contains("not found")), "{error:?}");
    assert_eq!(p.queued(), 0);

    let closed = format!("http://127.0.0.1:{}", support::free_port());
    let mut p = configured(&config(&closed));
    p.enqueue(&home);
    let error = p.flush().await.unwrap_err();
    assert!(matches!(&error, PushError::Unavailable { queued: 1, .. }), "{error:?}");
    assert!(error.to_string().contains(&format!("{closed}/write?db=d&precision=s")), "{error}");
    assert_eq!(p.queued(), 1, "kept for the next flush");
}


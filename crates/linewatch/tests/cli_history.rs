//! `linewatch history` as a user runs it, on a store written by the library (and still open
//! for writing, as the daemon keeps it).

#[path = "support/store.rs"]
mod samples;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use linewatch::store::{Retention, Store};
use samples::{crc, rate, snr};

fn linewatch(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("history")
        .args(args)
        .env_remove("LINEWATCH_DATA_DIR")
        .output()
        .expect("linewatch runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure, got:\n{}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Two hours of readings until a minute ago, every 30 s: SNR down 9.0/9.5 alternating, up 6.0,
/// and 2 CRC errors downstream in each interval.
fn two_hours(store: &mut Store) -> SystemTime {
    let start = SystemTime::now() - Duration::from_secs(2 * 3600 + 60);
    for i in 0..240u64 {
        let gauges = [snr("down", if i % 2 == 0 { 9.0 } else { 9.5 }), snr("up", 6.0), rate("down", 1e8)];
        store.record("vdsl", start + Duration::from_secs(i * 30), &gauges, &[crc("near", 2.0), crc("far", 0.0)], &[]).unwrap();
    }
    start
}

#[test]
fn history_as_table_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let not_a_dir = stderr(&linewatch(&file, &["vdsl", "dsl_datarate"]));
    assert!(not_a_dir.contains("cannot read the history") && not_a_dir.contains("Not a directory"), "{not_a_dir}");

    let mut writer = Store::open(&dir.path().join("linewatch.db"), Retention::default()).unwrap();
    two_hours(&mut writer);

    // The last hour: 120 readings, one row each, a column per direction.
    let table = stdout(&linewatch(dir.path(), &["vdsl", "dsl_signal_to_noise_margin_db", "--since", "1h"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("dsl_signal_to_noise_margin_db on vdsl, ") && lines[0].ends_with(": each reading"), "{table}");
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(header, ["time", "(UTC)", "down", "up"]);
    // Readings from 60 min to 90 s ago.
    assert!((116..=118).contains(&(lines.len() - 2)), "{} rows", lines.len() - 2);
    let row: Vec<&str> = lines[2].split_whitespace().collect();
    assert!(row[1] == "9" || row[1] == "9.5", "{row:?}");
    assert_eq!(row[2], "6");

    // More readings than points: 5-minute buckets, avg (min–max).
    let table = stdout(&linewatch(dir.path(), &["vdsl", "dsl_signal_to_noise_margin_db", "--since", "7d", "--direction", "down", "--max-points", "100"]));
    assert!(table.lines().next().unwrap().ends_with("averages (min–max) per 5m"), "{table}");
    assert!(table.contains("9.25 (9–9.5)"), "{table}");
    let errors = stdout(&linewatch(dir.path(), &["vdsl", "dsl_crc_total", "--since", "7d", "--max-points", "10"]));
    assert!(errors.lines().next().unwrap().ends_with("sums per 1h"), "{errors}");
    assert_eq!(errors.lines().nth(1).unwrap().split_whitespace().collect::<Vec<_>>(), ["time", "(UTC)", "far", "near"]);
    let total: f64 = errors.lines().skip(2).map(|l| l.split_whitespace().last().unwrap().parse::<f64>().unwrap()).sum();
    assert_eq!(total, 480.0);

    let csv = stdout(&linewatch(dir.path(), &["vdsl", "dsl_signal_to_noise_margin_db", "--since", "3h", "--csv"]));
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("time,series,tier,count,min,avg,max,sum"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 480);
    assert!(rows[0].contains(",\"dsl_signal_to_noise_margin_db{direction=\"\"down\"\"}\",raw,1,9,9,9,9"), "{}", rows[0]);

    let json: serde_json::Value =
        serde_json::from_str(&stdout(&linewatch(dir.path(), &["vdsl", "dsl_crc_total", "--direction", "up", "--since", "3h", "--json"]))).unwrap();
    let series = json["series"].as_array().unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!((series[0]["labels"]["loc"].as_str(), series[0]["kind"].as_str(), series[0]["tier"].as_str()), (Some("far"), Some("delta"), Some("raw")));
    assert_eq!(series[0]["points"].as_array().unwrap().len(), 240);
    assert!(series[0]["points"][0]["at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn history_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = stderr(&linewatch(dir.path(), &["vdsl", "dsl_datarate"]));
    assert!(missing.contains("no history yet") && missing.contains("linewatch.db does not exist"), "{missing}");

    let mut writer = Store::open(&dir.path().join("linewatch.db"), Retention::default()).unwrap();
    two_hours(&mut writer);
    let metric = stderr(&linewatch(dir.path(), &["vdsl", "dsl_snr"]));
    assert_eq!(metric.trim(), "error: no metric \"dsl_snr\" for vdsl; it has: dsl_crc_total, dsl_datarate, dsl_signal_to_noise_margin_db");
    let target = stderr(&linewatch(dir.path(), &["adsl", "dsl_datarate"]));
    assert_eq!(target.trim(), "error: no target \"adsl\" in the store; it has: vdsl");

    let args = ["vdsl", "dsl_datarate", "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02 00:00:00"];
    let none = stdout(&linewatch(dir.path(), &args));
    assert_eq!(none.trim(), "no data for dsl_datarate on vdsl between 2020-01-01T00:00:00Z and 2020-01-02T00:00:00Z");
    let none = linewatch(dir.path(), &[&args[..], &["--json"]].concat());
    let json: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(json["series"][0]["points"].as_array().unwrap().len(), 0);
    assert!(String::from_utf8_lossy(&none.stderr).starts_with("no data for dsl_datarate"));
    let uptime = linewatch::metrics::Sample { name: "dsl_uptime_seconds", kind: linewatch::metrics::Kind::Gauge, labels: vec![], value: 600.0 };
    writer.record("vdsl", SystemTime::now() - Duration::from_secs(30), &[uptime], &[], &[]).unwrap();
    let no_direction = stderr(&linewatch(dir.path(), &["vdsl", "dsl_uptime_seconds", "--direction", "up"]));
    assert!(no_direction.contains("dsl_uptime_seconds has no direction"), "{no_direction}");
    let up = stdout(&linewatch(dir.path(), &["vdsl", "dsl_datarate", "--direction", "up"]));
    assert!(up.starts_with("no data for dsl_datarate (up) on vdsl"), "{up}");

    let before_1970 = stderr(&linewatch(dir.path(), &["vdsl", "dsl_datarate", "--since", "60y"]));
    assert!(before_1970.contains("60y ago is before 1970"), "{before_1970}");
    let bad = stderr(&linewatch(dir.path(), &["vdsl", "dsl_datarate", "--since", "last tuesday"]));
    assert!(bad.contains("neither a duration back from now"), "{bad}");
    let bad = stderr(&linewatch(dir.path(), &["vdsl", "dsl_datarate", "--direction", "sideways"]));
    assert!(bad.contains("not a direction: down or up"), "{bad}");
    let backwards = stderr(&linewatch(dir.path(), &["vdsl", "dsl_datarate", "--since", "1h", "--until", "2h"]));
    assert!(backwards.contains("is not before --until"), "{backwards}");
}

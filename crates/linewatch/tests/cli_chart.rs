//! `linewatch chart` as a user runs it, on a store written by the library (and still open for
//! writing, as the daemon keeps it).

#[path = "support/chart_image.rs"]
mod chart_image;
#[path = "support/store.rs"]
mod samples;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use chart_image::Image;
use linewatch::charts::{DOWN, MARKER_COLOUR, UP};
use linewatch::derive::{Event, EventKind};
use linewatch::store::{Retention, Store};
use samples::{crc, snr};

fn chart(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("chart")
        .args(args)
        .env_remove("LINEWATCH_DATA_DIR")
        .output()
        .expect("linewatch runs")
}

fn succeeded(output: &Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Six hours of readings until a minute ago, every 30 s, with a retrain in the middle after
/// which the SNR is lower; 2 CRC errors downstream and 1 upstream per interval.
fn six_hours(store: &mut Store) {
    let start = SystemTime::now() - Duration::from_secs(6 * 3600 + 60);
    for i in 0..720u64 {
        let at = start + Duration::from_secs(i * 30);
        let lower = if i >= 360 { 2.0 } else { 0.0 };
        let events = if i == 360 { vec![Event { at, target: "vdsl".into(), kind: EventKind::Retrain, detail: serde_json::Value::Null }] } else { vec![] };
        let gauges = [snr("down", 9.0 - lower + (i % 10) as f64 * 0.1), snr("up", 12.0 - lower)];
        store.record("vdsl", at, &gauges, &[crc("near", 2.0), crc("far", 1.0)], &events).unwrap();
    }
}

#[test]
fn a_chart_of_a_metric_with_its_retrain_as_png() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Store::open(&dir.path().join("linewatch.db"), Retention::default()).unwrap();
    six_hours(&mut writer);

    let out = dir.path().join("snr.png");
    succeeded(&chart(dir.path(), &["vdsl", "dsl_signal_to_noise_margin_db", "--since", "7h", "--out", out.to_str().unwrap()]));
    let image = Image::decode(&std::fs::read(&out).unwrap());
    assert_eq!((image.width, image.height), (1000, 400));
    assert!(image.everywhere(DOWN) > 500 && image.everywhere(UP) > 500);
    // The lines drop at the retrain, over part of its marker.
    let marked = (0..image.width).filter(|&x| image.count(x..x + 1, MARKER_COLOUR) > 40).count();
    assert_eq!(marked, 1, "the retrain");

    // Counters are bars; `-` writes to standard output; one direction only.
    let output = chart(dir.path(), &["vdsl", "dsl_crc_total", "--since", "7h", "--direction", "up", "--out", "-"]);
    succeeded(&output);
    let image = Image::decode(&output.stdout);
    assert!(image.everywhere(UP) > 1000, "up keeps its colour when alone");
    assert_eq!(image.everywhere(DOWN), 0);
}

#[test]
fn unknown_names_and_empty_ranges_are_told_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let output = chart(dir.path(), &["vdsl", "dsl_crc_total", "--out", "-"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no history yet"), "{}", String::from_utf8_lossy(&output.stderr));

    let mut writer = Store::open(&dir.path().join("linewatch.db"), Retention::default()).unwrap();
    six_hours(&mut writer);
    let output = chart(dir.path(), &["vdsl", "dsl_snr", "--out", "-"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("dsl_signal_to_noise_margin_db"), "the metrics it has: {stderr}");
    let output = chart(dir.path(), &["vdsl", "dsl_crc_total", "--since", "1h", "--until", "2h", "--out", "-"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("range is empty"), "{}", String::from_utf8_lossy(&output.stderr));

    // A range without readings is a chart that says so.
    let output = chart(dir.path(), &["vdsl", "dsl_crc_total", "--since", "30d", "--until", "20d", "--out", "-"]);
    succeeded(&output);
    let image = Image::decode(&output.stdout);
    assert_eq!(image.everywhere(DOWN) + image.everywhere(UP), 0);
}

//! `linewatch parse` as a user runs it: every capture in `fixtures/` through `--detect`, the
//! JSON paths scripts rely on, and the errors a user gets for what cannot be read.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn linewatch(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("linewatch runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// Every DSL capture, the dialect `--detect` must find, and whether it holds a line status.
const CAPTURES: &[(&str, &str, bool)] = &[
    ("xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt", "broadcom", true),
    ("xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt", "broadcom", true),
    ("xdslctl-stats/03-bcm-vdsl2-17a-old-path-format-tabs.txt", "broadcom", true),
    ("xdslctl-stats/04-bcm-vdsl2-17a-ginp-whitespace-mangled.txt", "broadcom", true),
    ("xdslctl-stats/05-bcm-vdsl2-17a-high-fec-tabs.txt", "broadcom", true),
    ("xdslctl-stats/06-bcm-status-g993-started.txt", "broadcom", true),
    ("xdslctl-stats/07-bcm-status-g994-training.txt", "broadcom", true),
    ("xdslctl-stats/08-huawei-hg612-xdslcmd-vdsl2-17a-ginp-spaces.txt", "broadcom", true),
    ("xdslctl-show/01-bcm-adsl-prefix-vdsl2-12a-annexa-neg-us-pwr.txt", "broadcom", true),
    ("xdslctl-show/02-dlink-dsl-2640u-adsl-info-adsl2plus-atm.txt", "broadcom", true),
    ("xdslctl-show/03-netgear-d7000-xdslctl-profile-show.txt", "broadcom", false),
    ("xdslctl-show/04-bt-vdsl-xdslcmd-info-state-path-format.txt", "broadcom", true),
    ("xdslctl-show/05-zyxel-vmg1312-b10d-zysh-xdslctl-info-state-only-crlf-echo.txt", "broadcom", true),
    ("transformer-cli/01-technicolor-dga4132-rpc-xdslctl-dump-truncated.txt", "homeware", false),
    ("ubus-dsl-metrics/01-prpl-dslmngr-ubus-call-dsl-status-vdsl2-17a.json", "openwrt", true),
    ("ubus-dsl-metrics/02-prpl-dslmngr-ubus-call-dsl-stats.json", "openwrt", true),
    ("ubus-dsl-metrics/03-prpl-dslmngr-ubus-dsl-line0-channel0-session.txt", "openwrt", true),
    ("ubus-dsl-metrics/04-lantiq-ubus-list-dsl-and-call-dsl-statistics-abbreviated-truncated.txt", "openwrt", false),
    ("lantiq-dsl-control/01-buffalo-wbmr-hp-g300h-ar9-adsl-status-up-old-format.txt", "lantiq", true),
    ("lantiq-dsl-control/02-vrx200-dsl-control-lucistat-vdsl2-17a-truncated.txt", "lantiq", true),
    ("zte-xml/01-zte-h188a-dsl-interface-status-lua-vdsl2-17a.xml", "zte", true),
    ("zte-xml/02-zte-h188a-wan-internet-lua-ptm-and-atm-instances.xml", "zte", false),
    ("zte-xml/03-zte-h188a-devmgr-statusmgr-lua-devinfo.xml", "zte", false),
    ("zte-xml/04-zte-h2640-dsl-interface-status-lua-35b-test-trimmed.xml", "zte", true),
    ("tr069-cwmp/01-speedport-smart3-sim-getparametervaluesresponse-tr181-dsl.txt", "tr181", true),
    ("cpe-models/dsl-tr098.csv", "tr098", true),
    ("cpe-models/dsl-tr181.csv", "tr181", true),
    ("draytek/01-draytek-vigor-vdsl-status-more.txt", "draytek", true),
    ("other/01-trendchip-zynos-wan-adsl-session.txt", "trendchip", true),
    ("other/02-trendchip-wan-adsl-status-down.txt", "trendchip", true),
    ("other/03-trendchip-wan-adsl-perfdata.txt", "trendchip", true),
    ("other/04-tr064-fritzbox-wandslifconfig-getinfo-response.xml", "tr064", true),
    ("other/05-tr064-fritzbox-wandslifconfig-getstatisticstotal-response.xml", "tr064", true),
    ("other/06-zyxel-vmg1312-b10d-webui-xdsl-statistics-text-17a-counters.txt", "zyxel", true),
];

#[test]
fn every_capture_is_detected_and_read() {
    for (path, dialect, holds_status) in CAPTURES {
        let path = format!("fixtures/{path}");
        let out = linewatch(&["parse", "--detect", "--json", &path], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if *holds_status {
            assert!(out.status.success(), "{path}: {stderr}");
            let json: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(json["dialect"], *dialect, "{path}");
            assert!(json["state"].is_string(), "{path}");
            assert_no_null(&json, &path);
        } else {
            assert!(!out.status.success(), "{path} holds no line status but gave a reading");
            assert!(stderr.contains(dialect), "{path}: the error names the dialect: {stderr}");
        }
    }
}

fn assert_no_null(value: &Value, context: &str) {
    match value {
        Value::Null => panic!("{context}: null in the JSON (absent values are left out)"),
        Value::Array(items) => items.iter().for_each(|v| assert_no_null(v, context)),
        Value::Object(map) => map.values().for_each(|v| assert_no_null(v, context)),
        _ => {}
    }
}

#[test]
fn json_paths_are_stable() {
    let out = linewatch(&["parse", "--dialect", "broadcom", "--json", "fixtures/xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt"], None);
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = |path: &str| j.pointer(path).cloned().unwrap_or_else(|| panic!("{path} missing"));
    assert_eq!(at("/dialect"), "broadcom");
    assert_eq!(at("/state"), "showtime");
    assert_eq!(at("/state_text"), "Showtime");
    assert_eq!(at("/mode"), "VDSL2");
    assert_eq!(at("/profile"), "17a");
    assert_eq!(at("/down/rate_bps"), 15_123_000);
    assert_eq!(at("/up/rate_bps"), 1_123_000);
    assert_eq!(at("/down/attainable_bps"), 18_123_000);
    assert_eq!(at("/up/attainable_bps"), 2_123_000);
    assert_eq!(at("/down/snr_margin_db"), 10.7);
    assert_eq!(at("/up/snr_margin_db"), 15.2);
    assert_eq!(at("/down/attenuation_db"), 11.7);
    assert_eq!(at("/up/attenuation_db"), 2.0);
    assert_eq!(at("/down/power_dbm"), 13.9);
    assert_eq!(at("/up/power_dbm"), -2.2);
    assert_eq!(at("/counters/total/down/crc"), 546);
    assert_eq!(at("/counters/total/up/crc"), 69);
    assert_eq!(at("/counters/since_link/down/fec"), 77);
    assert_eq!(at("/counters/current_15m/up/es"), 1);
    assert_eq!(at("/counters/previous_15m/down/fec"), 4);
    assert_eq!(at("/counters/current_1d/up/crc"), 14);
    assert_eq!(at("/counters/previous_1d/down/uas"), 28);
    assert_eq!(at("/uptime_s"), 94_205);
    // `Retr: N/A` is left out, not reported as 0.
    assert!(j.pointer("/counters/previous_15m/retrains").is_none());
}

#[test]
fn table_shows_what_a_user_looks_at() {
    let out = linewatch(&["parse", "fixtures/xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt"], None);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    for expected in ["showtime", "ADSL2", "2.755 Mb/s", "3.056 Mb/s", "2.9 dB", "65.0 dB", "18.2 dBm", "9669", "4159597", "5h 34m 19s"] {
        assert!(table.contains(expected), "{expected:?} missing from:\n{table}");
    }
}

#[test]
fn reads_standard_input() {
    let capture = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/xdslctl-stats/07-bcm-status-g994-training.txt")).unwrap();
    let out = linewatch(&["parse", "--json", "-"], Some(&capture));
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["state"], "training");
    assert!(j.get("down").is_none() && j.get("counters").is_none(), "a training line carries no numbers: {j}");
}

#[test]
fn a_refused_command_is_an_error_not_a_reading() {
    let out = linewatch(&["parse", "--dialect", "broadcom", "--json"], Some("Invalid command \"adsl\"\n"));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no reading is printed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Invalid command") && stderr.contains("refused"), "{stderr}");
}

#[test]
fn unreadable_input_names_the_dialects_tried_and_the_line() {
    let out = linewatch(&["parse", "--detect"], Some("\nHello from my toaster\nTemperature: 200\n"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broadcom") && stderr.contains("tr181") && stderr.contains("line 2"), "{stderr}");
    assert!(stderr.contains("Hello from my toaster"), "{stderr}");
    assert!(stderr.contains("open an issue"), "{stderr}");

    let out = linewatch(&["parse", "--dialect", "zte"], Some("Status: Showtime\nMax:\tUpstream rate = 1 Kbps, Downstream rate = 2 Kbps\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("not zte output") && stderr.contains("--dialect broadcom"), "{stderr}");
}

#[test]
fn a_binary_file_is_named_as_such() {
    let out = linewatch(&["parse", "--detect"], Some("\x7fELF\x02\x01\x01\0\0\0Device.DSL.Line.1.Status\0"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("standard input is a binary file, not the text a modem prints") && !stderr.contains("hint"), "{stderr}");
}

#[test]
fn unknown_dialect_lists_the_known_ones() {
    let out = linewatch(&["parse", "--dialect", "cisco", "x"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broadcom") && stderr.contains("draytek"), "{stderr}");
}

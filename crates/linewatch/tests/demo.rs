//! `linewatch demo` as a newcomer runs it: no config, about a minute, and the alerts it promises
//! appear on the console while `/metrics` is served.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_demo_shows_the_alerts_and_serves_metrics() {
    let port = support::free_port();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .args(["demo", "--duration", "70s", "--http", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(demo.stdout.take().unwrap());
    let lines = std::thread::spawn(move || stdout.lines().map_while(Result::ok).collect::<Vec<String>>());

    // While it runs, /metrics has the line and the WAN.
    support::wait_for_port(port);
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let text = support::http_get(port, "/metrics");
        if (text.contains("dsl_datarate{") && text.contains("wan_up{")) || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(metrics.contains("dsl_datarate{line=\"demo-modem\",direction=\"down\"}"), "{metrics}");
    assert!(metrics.contains("wan_up{line=\"demo-firewall\",interface=\"wan\"} 1"), "{metrics}");

    assert!(demo.wait().unwrap().success(), "--duration ends the demo cleanly");
    let out = lines.join().unwrap().join("\n");
    for expected in [
        "http://127.0.0.1:",
        "FIRING   [Warning] #1 Burst of CRC errors (down) on demo-modem",
        "FIRING   [Critical] #1 Line down on demo-modem",
        "RESOLVED [Critical] #1 Line up on demo-modem",
        "| Sync (now): ",
        "FIRING   [Critical] #1 WAN wan down on demo-firewall",
        "EVENT    [Info] #1 WAN IP of demo-firewall changed",
        "Gateway WAN_PPPOE loss on demo-firewall",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from the demo's output:\n{out}");
    }
}

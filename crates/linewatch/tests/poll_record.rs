//! `linewatch poll --watch --record` keeps what it reads, and `history` shows it back.

use std::process::Command;

use std::time::Duration;

use linewatch::config::Secret;
use linewatch::sim::{Event, ModemSim, SimHandle, SimOptions};

fn linewatch(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .args(["--config", dir.join("linewatch.toml").to_str().unwrap(), "--data-dir", dir.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap()
}

/// A simulated Broadcom modem and a config that reads it as `home`.
async fn modem_and_config(dir: &std::path::Path) -> SimHandle {
    let modem = ModemSim::start(SimOptions { password: Secret::new("pw"), ..SimOptions::default() }).await.unwrap();
    let ssh = modem.ssh_addr().unwrap();
    std::fs::write(dir.join("pw"), "pw").unwrap();
    std::fs::write(
        dir.join("linewatch.toml"),
        format!(
            "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"admin\"\npassword_file = \"{}\"\n",
            ssh.port(),
            dir.join("pw").display()
        ),
    )
    .unwrap();
    modem
}

/// `poll --watch --json --count N` on the modem of `dir`: its readings.
async fn watch(dir: &std::path::Path, count: &str, record: bool) -> Vec<serde_json::Value> {
    let path = dir.to_path_buf();
    let count = count.to_string();
    let polled = tokio::task::spawn_blocking(move || {
        let mut args = vec!["poll", "home", "--watch", "--json", "--count", &count, "--interval", "1100ms"];
        if record {
            args.push("--record");
        }
        linewatch(&path, &args)
    })
    .await
    .unwrap();
    assert!(polled.status.success(), "{}", String::from_utf8_lossy(&polled.stderr));
    String::from_utf8(polled.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_readings_are_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let modem = modem_and_config(dir.path()).await;
    let read = watch(dir.path(), "3", true).await;
    assert_eq!(read.len(), 3);

    let path = dir.path().to_path_buf();
    let history = tokio::task::spawn_blocking(move || linewatch(&path, &["history", "home", "dsl_datarate", "--direction", "down", "--json"])).await.unwrap();
    assert!(history.status.success(), "{}", String::from_utf8_lossy(&history.stderr));
    let text = String::from_utf8(history.stdout).unwrap();
    let rate = read[2]["down"]["rate_bps"].as_u64().unwrap();
    assert!(text.contains(&rate.to_string()), "the recorded sync rate {rate} is in the history:\n{text}");
    modem.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_that_dropped_on_a_kept_session_has_no_rates() {
    let dir = tempfile::tempdir().unwrap();
    let modem = modem_and_config(dir.path()).await;
    let inject = async {
        tokio::time::sleep(Duration::from_millis(1600)).await;
        modem.inject(Event::Desync { down_for: Duration::from_secs(60) });
    };
    let (read, ()) = tokio::join!(watch(dir.path(), "4", false), inject);
    assert_eq!(read[0]["state"], "showtime");
    assert!(read[0]["down"]["rate_bps"].is_u64());
    let last = &read[3];
    assert_eq!(last["state"], "idle", "{last}");
    for gone in ["rate_bps", "attainable_bps", "snr_margin_db"] {
        assert!(last["down"][gone].is_null(), "a down line shows no {gone} (the last link's): {last}");
    }
    modem.stop().await;
}

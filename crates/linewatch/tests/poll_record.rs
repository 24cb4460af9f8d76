//! `linewatch poll --watch --record` keeps what it reads, and `history` shows it back.

use std::process::Command;

use linewatch::config::Secret;
use linewatch::sim::{ModemSim, SimOptions};

fn linewatch(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .args(["--config", dir.join("linewatch.toml").to_str().unwrap(), "--data-dir", dir.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_readings_are_in_the_history() {
    let modem = ModemSim::start(SimOptions { password: Secret::new("pw"), ..SimOptions::default() }).await.unwrap();
    let ssh = modem.ssh_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw").unwrap();
    std::fs::write(
        dir.path().join("linewatch.toml"),
        format!(
            "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"admin\"\npassword_file = \"{}\"\n",
            ssh.port(),
            dir.path().join("pw").display()
        ),
    )
    .unwrap();
    let path = dir.path().to_path_buf();
    let polled = tokio::task::spawn_blocking(move || linewatch(&path, &["poll", "home", "--watch", "--record", "--json", "--count", "3", "--interval", "1100ms"])).await.unwrap();
    assert!(polled.status.success(), "{}", String::from_utf8_lossy(&polled.stderr));
    let read: Vec<serde_json::Value> = String::from_utf8(polled.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(read.len(), 3);

    let path = dir.path().to_path_buf();
    let history = tokio::task::spawn_blocking(move || linewatch(&path, &["history", "home", "dsl_datarate", "--direction", "down", "--json"])).await.unwrap();
    assert!(history.status.success(), "{}", String::from_utf8_lossy(&history.stderr));
    let text = String::from_utf8(history.stdout).unwrap();
    let rate = read[2]["down"]["rate_bps"].as_u64().unwrap();
    assert!(text.contains(&rate.to_string()), "the recorded sync rate {rate} is in the history:\n{text}");
    modem.stop().await;
}

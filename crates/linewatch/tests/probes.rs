//! Without a firewall API, `linewatch run` watches the WAN with its own probes: pings (with
//! dpinger-like RTT, stddev and loss) and the WAN address from the local interfaces.

mod support;

use std::time::{Duration, Instant};

use linewatch::config::Secret;
use linewatch::sim::{ModemSim, SimOptions};

#[tokio::test(flavor = "multi_thread")]
async fn own_probes_feed_the_wan_metrics() {
    if !support::ping_allowed() {
        return;
    }
    let modem = ModemSim::start(SimOptions { password: Secret::new("pw"), ..SimOptions::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw").unwrap();
    let http = support::free_port();
    std::fs::write(
        dir.path().join("linewatch.toml"),
        format!(
            "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"admin\"\npassword_file = \"{}\"\n\n\
             [wan]\nping_targets = [\"127.0.0.1\"]\nping_interval = \"500ms\"\nping_window = \"5s\"\ndns_resolvers = []\nstun_servers = []\nhttp_echo = []\n",
            modem.ssh_addr().unwrap().port(),
            dir.path().join("pw").display()
        ),
    )
    .unwrap();
    let mut linewatch = std::process::Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .args(["--config", dir.path().join("linewatch.toml").to_str().unwrap(), "--data-dir", dir.path().to_str().unwrap()])
        .args(["run", "--http", &format!("127.0.0.1:{http}")])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut metrics = String::new();
    while Instant::now() < deadline {
        metrics = support::http_get(http, "/metrics");
        if metrics.contains("wan_gateway_rtt_seconds{line=\"wan\",gateway=\"127.0.0.1\"}") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    linewatch.kill().unwrap();
    linewatch.wait().unwrap();
    modem.stop().await;
    assert!(metrics.contains("wan_gateway_up{line=\"wan\",gateway=\"127.0.0.1\"} 1"), "{metrics}");
    assert!(metrics.contains("wan_gateway_loss_ratio{line=\"wan\",gateway=\"127.0.0.1\"} 0"), "{metrics}");
    assert!(metrics.contains("wan_scrape_success{line=\"wan\"} 1"), "{metrics}");
}

//! `linewatch demo`: the whole daemon against a simulated modem and firewall, with no config
//! at all. A CRC burst, gateway loss, a PPP drop with a new WAN IP and a desync are injected
//! after a few seconds; the alerts appear on the console (and in Discord with
//! `--discord-webhook`), `/metrics` is served, and the history lands in a temporary store.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{Config, Secret};
use crate::daemon::{self, RunOptions};
use crate::notify::{Notifier, Route, Routing, discord};
use crate::sim::firewall::{self as firewall_sim, FirewallSim};
use crate::wan::firewall::Api;
use crate::sim::{Event, ModemSim, SimOptions};

const PASSWORD: &str = "demo";
const INTERVAL: &str = "5s";
/// The simulated line runs this much faster than the clock, so a desync and the training
/// after it fit in a minute.
const SPEED: f64 = 6.0;

pub struct DemoOptions {
    pub duration: Option<Duration>,
    pub http: SocketAddr,
    pub discord_webhook: Option<String>,
}

pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    let dir = DemoDir::new()?;
    let modem = ModemSim::start(SimOptions { password: Secret::new(PASSWORD), speed: SPEED, ..SimOptions::default() }).await?;
    let firewall = FirewallSim::start(firewall_sim::SimOptions::new(Api::PfsenseV2)).await?;
    let ssh = modem.ssh_addr().expect("the demo modem has SSH");
    std::fs::write(dir.path().join("modem-password"), PASSWORD)?;
    std::fs::write(dir.path().join("firewall-key"), firewall_sim::DEFAULT_KEY)?;
    let config = Config::parse(&format!(
        "[[modem]]\nname = \"demo-modem\"\ndriver = \"broadcom\"\nhost = \"{}\"\nport = {}\nuser = \"admin\"\n\
         password_file = \"{}\"\ninterval = \"{INTERVAL}\"\n\n\
         [[firewall]]\nname = \"demo-firewall\"\nkind = \"pfsense-v2\"\nurl = \"{}\"\napi_key_file = \"{}\"\ninterval = \"{INTERVAL}\"\n",
        ssh.ip(),
        ssh.port(),
        dir.path().join("modem-password").display(),
        firewall.url(),
        dir.path().join("firewall-key").display(),
    ))?;

    let mut routes = vec![Route { routing: Routing { name: "console".into(), min_severity: crate::alerts::Severity::Info }, notifier: Notifier::Console(crate::notify::console::Console) }];
    if let Some(url) = options.discord_webhook {
        routes.push(Route {
            routing: Routing { name: "discord".into(), min_severity: crate::alerts::Severity::Info },
            notifier: Notifier::DiscordWebhook(discord::DiscordWebhook::new(url, discord::Mentions::default())),
        });
    }
    println!(
        "linewatch demo: a simulated Broadcom modem (SSH on {ssh}, user admin, password {PASSWORD}) and a simulated pfSense\n\
         firewall ({}), read every {INTERVAL}, history in {}.\n\
         What to look at:\n\
         - the alerts below: a CRC burst, gateway loss, a PPP drop with a new WAN IP, a desync (line down, then up);\n\
         - http://{}/metrics: the dsl_* and wan_* metrics (Prometheus format);\n\
         - another terminal: linewatch --data-dir {} history demo-modem dsl_signal_to_noise_margin_db --since 10m\n\
         Ctrl-C stops the demo.\n",
        firewall.url(),
        dir.path().display(),
        options.http,
        dir.path().display()
    );

    // The trouble, on a timetable that fits in `--duration 60s`. Each fault lasts a few polls
    // (alerts are debounced), and the WAN's trouble comes while the line is up (a line down
    // holds back the alerts of the layers above it).
    let scenario = async {
        let sleep = |s: u64| tokio::time::sleep(Duration::from_secs(s));
        // Past the first minute of the link (errors then are training noise).
        sleep(8).await;
        modem.inject(Event::CrcBurst { per_min: 3000.0, r#for: Duration::from_secs(180) });
        firewall.set_gateway(48.0, 21.0, 14.0);
        sleep(12).await;
        firewall.set_gateway(10.8, 1.2, 0.0);
        firewall.ppp_drop();
        sleep(12).await;
        firewall.ppp_up(Ipv4Addr::new(203, 0, 113, 99));
        sleep(4).await;
        modem.inject(Event::Desync { down_for: Duration::from_secs(30) });
        std::future::pending::<()>().await;
    };
    let run = daemon::run(
        config,
        RunOptions { data_dir: dir.path().to_path_buf(), http: Some(options.http), extra_routes: routes, stop_after: options.duration, bot: Default::default() },
    );
    tokio::select! {
        result = run => result?,
        () = scenario => {}
    }
    modem.stop().await;
    Ok(())
}

/// A temporary data directory, removed when the demo ends.
struct DemoDir(PathBuf);

impl DemoDir {
    /// Only for its user: it holds the simulators' password and API key.
    fn new() -> std::io::Result<DemoDir> {
        use std::os::unix::fs::DirBuilderExt;
        let path = std::env::temp_dir().join(format!("linewatch-demo-{}", std::process::id()));
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&path)?;
        Ok(DemoDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

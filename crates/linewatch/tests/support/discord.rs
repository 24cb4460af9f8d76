//! The daemon with its Discord bot against the in-repo mock Discord, a simulated modem and a
//! simulated firewall: what the bot tests and the benchmark drive.
#![allow(dead_code)] // each test file uses a different part

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use discord_mock::{Callback, InteractionHandle, Message, MockDiscord, MockOptions};
use linewatch::config::{Config, Secret};
use linewatch::daemon::{self, RunOptions};
use linewatch::discord::BotOptions;
use linewatch::sim::firewall::{self as firewall_sim, FirewallSim};
use linewatch::sim::{ModemSim, SimHandle, SimOptions};
use linewatch::store::{Query, Store};
use linewatch::wan::firewall::Api;
use serde_json::Value;

/// Generous, only so that a broken test fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(60);
pub const ADMIN: u64 = 423_456_789_012_345_678;
pub const ADMIN_ROLE: u64 = 623_456_789_012_345_678;
pub const MEMBER: u64 = 523_456_789_012_345_678;
pub const ALERTS: u64 = 323_456_789_012_345_678;

/// What a test needs of the modem.
pub enum ModemKind {
    /// The simulated Broadcom modem, its line running `speed` times faster than the clock.
    Sim { speed: f64 },
    /// A modem that accepts connections and never says a word: every reading takes the
    /// 10 s of `connect_timeout`, then fails.
    Silent,
}

pub struct Rig {
    pub mock: MockDiscord,
    pub modem: Option<SimHandle>,
    pub firewall: FirewallSim,
    pub dir: tempfile::TempDir,
    daemon: tokio::task::JoinHandle<anyhow::Result<()>>,
    _silent: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.daemon.abort();
        if let Some(silent) = &self._silent {
            silent.abort();
        }
    }
}

/// A listener that takes connections and holds them without a word.
async fn silent_modem() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

impl Rig {
    pub async fn start(modem: ModemKind, bot: BotOptions) -> Rig {
        Rig::start_with(MockOptions::default(), modem, bot).await
    }

    /// Starts everything and waits until the bot has registered its commands.
    pub async fn start_with(mut mock_options: MockOptions, modem: ModemKind, bot: BotOptions) -> Rig {
        if !mock_options.channels.contains(&ALERTS) {
            mock_options.channels.push(ALERTS);
        }
        let mock = MockDiscord::start(mock_options).await;
        let dir = tempfile::tempdir().unwrap();
        let (sim, silent, addr, connect_timeout) = match modem {
            ModemKind::Sim { speed } => {
                let sim = ModemSim::start(SimOptions { password: Secret::new("pw"), speed, ..SimOptions::default() }).await.unwrap();
                let addr = sim.ssh_addr().unwrap();
                (Some(sim), None, addr, "10s")
            }
            ModemKind::Silent => {
                let (addr, task) = silent_modem().await;
                (None, Some(task), addr, "10s")
            }
        };
        let firewall = FirewallSim::start(firewall_sim::SimOptions::new(Api::PfsenseV2)).await.unwrap();
        std::fs::write(dir.path().join("pw"), "pw").unwrap();
        std::fs::write(dir.path().join("fw"), firewall_sim::DEFAULT_KEY).unwrap();
        std::fs::write(dir.path().join("token"), &mock.options().token).unwrap();
        let config = Config::parse(&format!(
            "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"{}\"\nport = {}\nuser = \"admin\"\npassword_file = \"{}\"\n\
             interval = \"1s\"\nconnect_timeout = \"{connect_timeout}\"\n\n\
             [[firewall]]\nname = \"pfsense\"\nkind = \"pfsense-v2\"\nurl = \"{}\"\napi_key_file = \"{}\"\ninterval = \"1s\"\n\n\
             [discord]\ntoken_file = \"{}\"\napplication_id = \"{}\"\nguild_id = \"{}\"\nalert_channel_id = \"{ALERTS}\"\n\
             admin_user_ids = [\"{ADMIN}\"]\nadmin_role_ids = [\"{ADMIN_ROLE}\"]\napi_base = \"{}\"\ngateway_url = \"{}\"\n",
            addr.ip(),
            addr.port(),
            dir.path().join("pw").display(),
            firewall.url(),
            dir.path().join("fw").display(),
            dir.path().join("token").display(),
            mock.options().application_id,
            mock.options().guild_id,
            mock.base_url(),
            mock.ws_url(),
        ))
        .unwrap();
        let options = RunOptions {
            data_dir: dir.path().to_path_buf(),
            http: None,
            extra_routes: Vec::new(),
            stop_after: Some(Duration::from_secs(600)),
            bot,
        };
        let daemon = tokio::spawn(daemon::run(config, options));
        let guild = mock.options().guild_id;
        assert!(mock.wait_until(PATIENCE, |m| m.registered_commands(Some(guild)).len() == 12).await, "the bot registers its commands");
        Rig { mock, modem: sim, firewall, dir, daemon, _silent: silent }
    }

    pub fn channel(&self) -> u64 {
        self.mock.options().channels[0]
    }

    /// Waits until the store holds `n` readings of `metric` of `target`.
    pub async fn wait_for_readings(&self, target: &str, metric: &str, n: usize) {
        let path = self.dir.path().join(linewatch::store::FILE_NAME);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let points = Store::open_read_only(&path)
                .and_then(|store| {
                    let now = SystemTime::now();
                    let query = Query {
                        target: target.into(),
                        metric: metric.into(),
                        direction: None,
                        since: now - Duration::from_secs(3600),
                        until: now + Duration::from_secs(60),
                        max_points: 1000,
                    };
                    store.query(&query)
                })
                .map(|series| series.first().map(|s| s.points.len()).unwrap_or(0))
                .unwrap_or(0);
            if points >= n {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "{n} readings of {metric} of {target} in the store");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn callback(&self, handle: &InteractionHandle) -> Callback {
        self.mock.wait_for_callback(handle, PATIENCE).await.expect("the bot answers the interaction")
    }

    /// The interaction's message once it is no longer loading (a deferred answer filled in).
    pub async fn answer(&self, handle: &InteractionHandle) -> Message {
        self.callback(handle).await;
        let done = |m: &MockDiscord| m.original_response(handle).is_some_and(|o| o.flags & 128 == 0);
        assert!(self.mock.wait_until(PATIENCE, done).await, "the deferred answer is filled in");
        self.mock.original_response(handle).unwrap()
    }

    /// Waits until the interaction's message satisfies `check`.
    pub async fn answer_until(&self, handle: &InteractionHandle, check: impl Fn(&Message) -> bool) -> Message {
        let done = |m: &MockDiscord| m.original_response(handle).is_some_and(|o| check(&o));
        assert!(self.mock.wait_until(PATIENCE, done).await, "{:#?}", self.mock.original_response(handle));
        self.mock.original_response(handle).unwrap()
    }

    pub fn assert_no_violations(&self) {
        let violations = self.mock.violations();
        assert!(violations.is_empty(), "{violations:#?}");
    }
}

/// All the text of a message: content, embed titles, descriptions, fields.
pub fn text(message: &Message) -> String {
    let mut out = message.content.clone();
    for embed in &message.embeds {
        for key in ["title", "description"] {
            out.push('\n');
            out.push_str(embed[key].as_str().unwrap_or_default());
        }
        for field in embed["fields"].as_array().into_iter().flatten() {
            out.push_str(&format!("\n{}: {}", field["name"].as_str().unwrap_or_default(), field["value"].as_str().unwrap_or_default()));
        }
    }
    out
}

/// The `custom_id`s of a message's buttons.
pub fn buttons(message: &Message) -> Vec<String> {
    message
        .components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b: Value| b["custom_id"].as_str().map(str::to_string))
        .collect()
}

pub fn option(name: &str, value: &str) -> Value {
    serde_json::json!({ "name": name, "type": 3, "value": value })
}

pub fn store_path(dir: &Path) -> std::path::PathBuf {
    dir.join(linewatch::store::FILE_NAME)
}

//! The Discord bot, inside `linewatch run`: a gateway connection (twilight-gateway, which
//! heartbeats, resumes after a drop or an op 7, and identifies again after an invalid
//! session), the slash commands registered right after READY, every interaction answered
//! inside Discord's 3 seconds (deferred first when the answer needs the modem or the store),
//! and the alerts of `alert_channel_id` (see `alerts`).
//!
//! The bot drives the daemon only through [`Control`]: the snapshot for what is known now,
//! the pollers for readings and actions, the pipeline for silences; history comes from the
//! store, opened read-only.

pub mod alerts;
mod commands;
mod handler;
pub mod rest;
mod views;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use twilight_gateway::{CloseFrame, ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt};

use crate::alerts::Severity;
use crate::config::{Config, DiscordConfig, Secret};
use crate::daemon::control::Control;
use crate::notify::discord::Mentions;
use crate::notify::{Notifier, Route, Routing};
use crate::store::{BotRecords, StoreError};
use rest::Rest;

pub use commands::NAMES as COMMANDS;

/// The bot's timings.
#[derive(Debug, Clone, Copy)]
pub struct BotOptions {
    /// How long a resync/reboot confirmation button stays valid.
    pub confirm_timeout: Duration,
    /// How long to wait for the line to come back after a resync or reboot.
    pub outcome_timeout: Duration,
}

impl Default for BotOptions {
    fn default() -> BotOptions {
        BotOptions { confirm_timeout: Duration::from_secs(60), outcome_timeout: Duration::from_secs(600) }
    }
}

/// The name of the bot's alert queue in the outbox.
pub const ALERT_NOTIFIER: &str = "discord-bot";

/// Who may resync, reboot and read the audit log.
#[derive(Debug, Clone, Default)]
pub struct Admins {
    pub users: Vec<u64>,
    pub roles: Vec<u64>,
}

impl Admins {
    pub fn admits(&self, user: u64, roles: &[u64]) -> bool {
        self.users.contains(&user) || roles.iter().any(|r| self.roles.contains(r))
    }
}

/// The bot's records in the store (audit log, incident → message map): opened on first use
/// (the daemon creates the file), always used off the async threads.
#[derive(Clone)]
pub struct Records {
    path: PathBuf,
    records: Arc<Mutex<Option<BotRecords>>>,
}

impl Records {
    pub fn new(path: PathBuf) -> Records {
        Records { path, records: Arc::default() }
    }

    pub async fn with<T: Send + 'static>(&self, f: impl FnOnce(&BotRecords) -> Result<T, StoreError> + Send + 'static) -> Result<T, String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut records = this.records.lock().unwrap_or_else(|e| e.into_inner());
            let records = match &mut *records {
                Some(records) => records,
                None => records.insert(BotRecords::open(&this.path).map_err(|e| e.to_string())?),
            };
            f(records).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

/// A configured target and its site.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub site: String,
}

pub struct Bot {
    rest: Arc<Rest>,
    token: Secret,
    gateway_url: String,
    guild: Option<u64>,
    alert_channel: Option<u64>,
    admins: Admins,
    mentions: Mentions,
    modems: Vec<Target>,
    /// What watches the WAN: the firewalls, or our own probes.
    wans: Vec<Target>,
    store_path: PathBuf,
    options: BotOptions,
}

impl Bot {
    /// Reads the token and builds the REST client; connects nothing yet.
    pub fn new(discord: &DiscordConfig, config: &Config, store_path: PathBuf, options: BotOptions) -> anyhow::Result<Bot> {
        let token = discord.token_source().and_then(|s| s.read()).map_err(|e| anyhow::anyhow!("[discord]: {e}"))?;
        let target = |name: &String, site: &String| Target { name: name.clone(), site: site.clone() };
        Ok(Bot {
            rest: Arc::new(Rest::new(&token, discord.application(), &discord.api_base)),
            token,
            gateway_url: discord.gateway_url.clone(),
            guild: discord.guild(),
            alert_channel: discord.alert_channel(),
            admins: Admins { users: discord.admin_users(), roles: discord.admin_roles() },
            // From the parsed ids: a stray space in the config must not make a mention Discord refuses.
            mentions: Mentions {
                users: discord.admin_users().iter().map(u64::to_string).collect(),
                roles: discord.admin_roles().iter().map(u64::to_string).collect(),
            },
            modems: config.modems.iter().map(|m| target(&m.name, &m.site)).collect(),
            wans: config.wan_targets().iter().map(|(name, site)| target(name, site)).collect(),
            store_path,
            options,
        })
    }

    /// The alert notifier, when `alert_channel_id` is set.
    pub fn alert_route(&self) -> Option<Route> {
        let channel = self.alert_channel?;
        let poster = alerts::AlertPoster::new(self.rest.clone(), channel, self.mentions.clone(), self.store_path.clone(), ALERT_NOTIFIER);
        Some(Route {
            routing: Routing { name: ALERT_NOTIFIER.to_string(), min_severity: Severity::Info },
            notifier: Notifier::DiscordBot(poster),
        })
    }

    /// Runs the gateway connection and answers interactions until `stop` turns true.
    pub async fn run(self, control: Control, mut stop: watch::Receiver<bool>) {
        let mut builder = ConfigBuilder::new(self.token.expose().to_string(), Intents::empty());
        if !self.gateway_url.is_empty() {
            builder = builder.proxy_url(self.gateway_url.clone());
        }
        let mut shard = Shard::with_config(ShardId::ONE, builder.build());
        let ctx = Arc::new(handler::Ctx::new(
            self.rest.clone(),
            control,
            self.admins.clone(),
            self.modems.clone(),
            self.wans.clone(),
            self.options,
        ));
        let guild = self.guild;
        let wanted = EventTypeFlags::READY | EventTypeFlags::RESUMED | EventTypeFlags::INTERACTION_CREATE;
        tracing::info!(guild = ?guild, alerts = ?self.alert_channel, "Discord bot starting");
        loop {
            let item = tokio::select! {
                item = shard.next_event(wanted) => item,
                _ = stop.changed() => break,
            };
            match item {
                Some(Ok(Event::Ready(ready))) => {
                    tracing::info!(user = %ready.user.name, "Discord gateway ready; registering the commands");
                    tokio::spawn(register(self.rest.clone(), guild));
                }
                Some(Ok(Event::Resumed)) => tracing::info!("Discord gateway session resumed"),
                Some(Ok(Event::InteractionCreate(interaction))) => {
                    tokio::spawn(handler::interaction(ctx.clone(), interaction.0));
                }
                Some(Ok(_)) => {}
                // The shard reconnects by itself after these.
                Some(Err(e)) => tracing::warn!(error = %e, "Discord gateway"),
                None => {
                    tracing::error!("the Discord gateway closed for good (a wrong token or intents?): the bot stops; alerts still go out");
                    return;
                }
            }
        }
        // Stopping: close the session so Discord shows the bot offline at once, not after a timeout.
        shard.close(CloseFrame::NORMAL);
        let closed = async {
            // Close messages always come through, whatever the flags.
            while let Some(Ok(event)) = shard.next_event(EventTypeFlags::empty()).await {
                if matches!(event, Event::GatewayClose(_)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), closed).await;
    }
}

/// Registers the commands (one bulk overwrite), a few times if Discord is busy.
async fn register(rest: Arc<Rest>, guild: Option<u64>) {
    let definitions = commands::definitions();
    for attempt in 0..5u32 {
        match rest.set_commands(guild, &definitions).await {
            Ok(()) => {
                tracing::info!(commands = commands::NAMES.len(), ?guild, "Discord commands registered");
                return;
            }
            Err(e) if e.is_transient() && attempt < 4 => {
                tracing::warn!(error = %e, "cannot register the Discord commands yet");
                tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "the Discord commands are not registered (tried again at the next connection)");
                return;
            }
        }
    }
}

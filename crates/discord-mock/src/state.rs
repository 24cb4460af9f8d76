//! Everything the mock remembers, behind one lock, plus the change signal tests wait on.

use crate::{
    Invoker, MockOptions, RateLimit, RecordedRequest, Violation, gateway::GatewayState,
    messages::StoredMessage,
};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::watch;

/// Discord's epoch (2015-01-01) in Unix milliseconds, for snowflakes.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

pub(crate) struct Shared {
    pub opts: MockOptions,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// `ws://127.0.0.1:PORT`
    pub ws_url: String,
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    closing: watch::Sender<bool>,
    last_id: AtomicU64,
}

impl Shared {
    pub fn new(opts: MockOptions, port: u16) -> Self {
        let state = State::new(&opts);
        Self {
            opts,
            base_url: format!("http://127.0.0.1:{port}"),
            ws_url: format!("ws://127.0.0.1:{port}"),
            state: Mutex::new(state),
            changed: watch::Sender::new(0),
            closing: watch::Sender::new(false),
            last_id: AtomicU64::new(0),
        }
    }

    /// Locks the state; every change made through the guard wakes the waiters when it drops.
    pub fn lock(&self) -> StateGuard<'_> {
        StateGuard { guard: self.state.lock().unwrap_or_else(|e| e.into_inner()), changed: &self.changed }
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Tells the mock's long-lived tasks (websockets, delayed events) to stop.
    pub fn shut_down(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once the mock is shutting down.
    pub async fn closed(&self) {
        let mut closing = self.closing.subscribe();
        let _ = closing.wait_for(|closing| *closing).await;
    }

    /// A fresh snowflake: milliseconds since Discord's epoch, shifted, never repeating.
    pub fn next_id(&self) -> u64 {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let candidate = now_ms.saturating_sub(DISCORD_EPOCH_MS) << 22;
        let mut last = self.last_id.load(Ordering::Relaxed);
        loop {
            let next = candidate.max(last + 1);
            match self.last_id.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }

    /// The bot's own user object (the application's bot user shares the application id).
    pub fn bot_user(&self) -> Value {
        json!({
            "id": self.opts.application_id.to_string(), "username": self.opts.bot_name,
            "discriminator": "0", "global_name": null, "avatar": null, "public_flags": 0,
            "flags": 0, "bot": true, "primary_guild": null,
        })
    }

    pub fn is_guild_channel(&self, channel_id: u64) -> bool {
        self.opts.channels.contains(&channel_id)
    }
}

pub(crate) struct StateGuard<'a> {
    guard: MutexGuard<'a, State>,
    changed: &'a watch::Sender<u64>,
}

impl std::ops::Deref for StateGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.guard
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        self.changed.send_modify(|version| *version += 1);
    }
}

/// One injected interaction and what the bot did with it.
pub(crate) struct Interaction {
    pub token: String,
    /// 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT, 4 AUTOCOMPLETE.
    pub kind: u8,
    pub created_at: Instant,
    pub channel_id: u64,
    /// The message carrying the clicked component.
    pub component_message: Option<u64>,
    pub callback: Option<crate::Callback>,
    /// The message `@original` refers to, once there is one.
    pub original: Option<u64>,
    pub followups: Vec<u64>,
    /// The invoker's user object, for `interaction_metadata`.
    pub user: Value,
}

/// A per-route (or global) rate-limit window.
#[derive(Clone, Copy)]
pub(crate) struct Bucket {
    pub started: Instant,
    pub used: u32,
}

pub(crate) struct State {
    pub messages: HashMap<u64, StoredMessage>,
    /// Message ids per channel, in creation order.
    pub channels: BTreeMap<u64, Vec<u64>>,
    pub dm_channels: HashMap<u64, u64>,
    /// `(channel, author, nonce)` → `(message, when)` for `enforce_nonce`.
    pub nonces: HashMap<(u64, u64, String), (u64, Instant)>,
    pub interactions: HashMap<u64, Interaction>,
    /// Registered commands per scope (`None` = global), as returned by the API.
    pub commands: BTreeMap<Option<u64>, Vec<Value>>,
    /// Stable ids per `(scope, name, type)`, kept across overwrites.
    pub command_ids: HashMap<(Option<u64>, String, u64), u64>,
    pub webhooks: HashMap<u64, crate::Webhook>,
    pub requests: Vec<RecordedRequest>,
    pub violations: Vec<Violation>,
    /// Forced answers still to give: `(count, status)`.
    pub forced: Option<(u32, u16)>,
    pub rate_limit: RateLimit,
    pub buckets: HashMap<String, Bucket>,
    pub global_bucket: Option<Bucket>,
    pub gateway: GatewayState,
}

impl State {
    fn new(opts: &MockOptions) -> Self {
        Self {
            messages: HashMap::new(),
            channels: BTreeMap::new(),
            dm_channels: HashMap::new(),
            nonces: HashMap::new(),
            interactions: HashMap::new(),
            commands: BTreeMap::new(),
            command_ids: HashMap::new(),
            webhooks: HashMap::new(),
            requests: Vec::new(),
            violations: Vec::new(),
            forced: None,
            rate_limit: opts.rate_limit,
            buckets: HashMap::new(),
            global_bucket: None,
            gateway: GatewayState::default(),
        }
    }
}

/// The time now as Discord writes it: `2024-01-01T00:00:00.000000+00:00`.
pub(crate) fn timestamp() -> String {
    humantime::format_rfc3339_micros(SystemTime::now()).to_string().replace('Z', "+00:00")
}

/// A user object for someone who clicks and types.
pub(crate) fn user_json(invoker: &Invoker) -> Value {
    json!({
        "id": invoker.user_id.to_string(), "username": invoker.username,
        "discriminator": "0", "global_name": invoker.username, "avatar": null,
        "public_flags": 0, "flags": 0, "primary_guild": null,
    })
}

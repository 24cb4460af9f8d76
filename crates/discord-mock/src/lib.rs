//! An offline mock of Discord (REST API v10 and the gateway) for testing linewatch's bot and
//! webhook notifier, per `shared/specs/discord-mock.md`.
//!
//! One loopback port serves both: REST under `/api/v10` and `/api` (what twilight-http's
//! `proxy("127.0.0.1:PORT", true)` and Discord webhook URLs use) and the gateway websocket at
//! `/` (twilight-gateway's `proxy_url("ws://127.0.0.1:PORT")`). Every request body is checked
//! against Discord's OpenAPI document (`spec/openapi.json`) and Discord's limits; a refused
//! body is answered 400 / 50035 and recorded as a [`Violation`], so a test can assert that the
//! bot never sent one.
//!
//! ```no_run
//! # async fn demo() {
//! use discord_mock::{MockDiscord, MockOptions};
//! let mock = MockDiscord::start(MockOptions::default()).await;
//! // point the bot at mock.http_addr() / mock.ws_url(), wait for it to register…
//! let handle = mock.send_slash_command("status", serde_json::json!([]), 500000000000000001, &[]);
//! let callback = mock.wait_for_callback(&handle, std::time::Duration::from_secs(5)).await;
//! assert_eq!(callback.map(|c| c.kind), Some(5));
//! assert!(mock.violations().is_empty());
//! # }
//! ```

// The guild object of GUILD_CREATE is one large `json!`.
#![recursion_limit = "256"]

mod error;
mod gateway;
mod interactions;
mod limits;
mod messages;
mod payload;
mod rest;
mod schema;
mod server;
mod state;

use serde_json::Value;
use state::Shared;
use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

/// Snowflakes the mock uses unless told otherwise (those of the spec's examples).
pub const APPLICATION_ID: u64 = 100_000_000_000_000_001;
pub const GUILD_ID: u64 = 200_000_000_000_000_001;
pub const CHANNEL_ID: u64 = 400_000_000_000_000_001;

/// How the mock behaves. `Default` gives a guild with one text channel and short timings.
#[derive(Clone, Debug)]
pub struct MockOptions {
    /// The bot token the bot must present (`Authorization: Bot <token>`, IDENTIFY).
    pub token: String,
    /// Also the bot user's id.
    pub application_id: u64,
    pub guild_id: u64,
    /// The guild's text channels; interactions happen in the first one.
    pub channels: Vec<u64>,
    pub bot_name: String,
    /// HELLO's `heartbeat_interval` (Discord: ~41 s).
    pub heartbeat_interval: Duration,
    /// `Some(d)`: READY lists the guild as unavailable and GUILD_CREATE follows after `d`;
    /// `None`: READY lists no guild and no GUILD_CREATE comes.
    pub guild_create_delay: Option<Duration>,
    /// Privileged intents the application is allowed (GUILD_MEMBERS 1<<1, GUILD_PRESENCES
    /// 1<<8, MESSAGE_CONTENT 1<<15); others close the gateway with 4014.
    pub privileged_intents: u64,
    /// Time to give the initial response before the interaction is unknown (Discord: 3 s).
    pub ack_deadline: Duration,
    /// Time the interaction token stays valid for follow-ups and edits (Discord: 15 min).
    pub token_lifetime: Duration,
    /// Per-route limit (method + route + major parameter).
    pub rate_limit: RateLimit,
    /// Global limit of bot-authenticated requests (Discord: 50 per second); interaction
    /// routes are exempt.
    pub global_rate_limit: Option<RateLimit>,
    /// `retry_after` of the 429s forced with [`MockDiscord::fail_next`].
    pub forced_retry_after: Duration,
    /// Per-file upload limit (Discord: 10 MiB).
    pub max_file_size: usize,
}

impl Default for MockOptions {
    fn default() -> Self {
        Self {
            token: "mock-bot-token".to_owned(),
            application_id: APPLICATION_ID,
            guild_id: GUILD_ID,
            channels: vec![CHANNEL_ID],
            bot_name: "linewatch".to_owned(),
            heartbeat_interval: Duration::from_millis(1000),
            guild_create_delay: Some(Duration::ZERO),
            privileged_intents: 0,
            ack_deadline: Duration::from_secs(3),
            token_lifetime: Duration::from_secs(15 * 60),
            rate_limit: RateLimit { limit: 5, window: Duration::from_secs(1) },
            global_rate_limit: Some(RateLimit { limit: 50, window: Duration::from_secs(1) }),
            forced_retry_after: Duration::from_millis(100),
            max_file_size: 10 * 1024 * 1024,
        }
    }
}

/// `limit` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window: Duration,
}

/// Who invokes a command or clicks a button.
#[derive(Clone, Debug)]
pub struct Invoker {
    pub user_id: u64,
    pub username: String,
    /// Role ids of the guild member (ignored in DMs).
    pub roles: Vec<u64>,
    /// The member's effective permissions in the channel (ADMINISTRATOR = 8).
    pub permissions: u64,
    /// In the bot's DMs: a top-level `user` and no `member`.
    pub dm: bool,
}

/// VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES, READ_MESSAGE_HISTORY,
/// USE_APPLICATION_COMMANDS: what an ordinary member has.
pub const MEMBER_PERMISSIONS: u64 = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31);

impl Invoker {
    pub fn member(user_id: u64, roles: &[u64]) -> Self {
        Self {
            user_id,
            username: format!("user{}", user_id % 10_000),
            roles: roles.to_vec(),
            permissions: MEMBER_PERMISSIONS,
            dm: false,
        }
    }

    pub fn dm(user_id: u64) -> Self {
        Self { dm: true, roles: Vec::new(), ..Self::member(user_id, &[]) }
    }

    pub fn with_permissions(mut self, permissions: u64) -> Self {
        self.permissions = permissions;
        self
    }
}

impl From<u64> for Invoker {
    /// A guild member with no roles.
    fn from(user_id: u64) -> Self {
        Self::member(user_id, &[])
    }
}

/// An injected interaction.
#[derive(Clone, Debug)]
pub struct InteractionHandle {
    pub id: u64,
    pub token: String,
    /// 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT, 4 AUTOCOMPLETE.
    pub kind: u8,
    /// When INTERACTION_CREATE was queued to the gateway.
    pub created_at: Instant,
}

/// The bot's accepted initial response to an interaction.
#[derive(Clone, Debug)]
pub struct Callback {
    /// 4 CHANNEL_MESSAGE_WITH_SOURCE, 5 DEFERRED_…, 6 DEFERRED_UPDATE_MESSAGE, 7 UPDATE_MESSAGE,
    /// 8 AUTOCOMPLETE_RESULT, 9 MODAL.
    pub kind: u8,
    pub data: Option<Value>,
    pub files: Vec<UploadedFile>,
    /// When the mock received it.
    pub at: Instant,
}

/// A message as it stands now (edits applied, replies linked).
#[derive(Clone, Debug)]
pub struct Message {
    pub id: u64,
    pub channel_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<Attachment>,
    /// EPHEMERAL = 64, LOADING = 128 (a deferred response not yet filled).
    pub flags: u64,
    pub author_id: u64,
    /// The message this one replies to (`message_reference`).
    pub reply_to: Option<u64>,
    /// Messages that reply to this one, oldest first.
    pub replies: Vec<u64>,
    /// As the bot last sent it (Discord does not echo it).
    pub allowed_mentions: Option<Value>,
    pub edit_count: u32,
    /// The interaction this message answers, if any.
    pub interaction_id: Option<u64>,
    /// The object the API returns for it.
    pub json: Value,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    pub id: u64,
    pub filename: String,
    pub description: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// A file part of a multipart request.
#[derive(Clone, Debug)]
pub struct UploadedFile {
    /// The form field, e.g. `files[0]`.
    pub field: String,
    /// `n` of `files[n]`.
    pub index: Option<usize>,
    pub filename: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// One REST request and the status it got. The Authorization header is not kept.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorized: bool,
    /// The JSON body, or a multipart request's `payload_json`; `None` if it was not read.
    pub body: Option<Value>,
    pub files: Vec<UploadedFile>,
    pub status: u16,
    pub at: Instant,
}

/// A request body that Discord would refuse.
#[derive(Clone, Debug)]
pub struct Violation {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// `path: message`, one per error.
    pub errors: Vec<String>,
    pub kind: ViolationKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// Does not validate against the OpenAPI schema.
    Schema,
    /// Breaks a limit of Discord's (§2) that the schema does not state.
    Limits,
}

#[derive(Clone, Debug)]
pub struct RegisteredCommand {
    pub id: u64,
    pub name: String,
    /// 1 CHAT_INPUT, 2 USER, 3 MESSAGE.
    pub kind: u8,
    /// The object the API returns for it.
    pub json: Value,
}

/// An incoming webhook (for the webhook notifier).
#[derive(Clone, Debug)]
pub struct Webhook {
    pub id: u64,
    pub token: String,
    pub channel_id: u64,
    pub name: String,
    /// `http://127.0.0.1:PORT/api/webhooks/ID/TOKEN`, as Discord hands it out.
    pub url: String,
}

/// A running mock; it stops when dropped.
pub struct MockDiscord {
    shared: Arc<Shared>,
    server: server::Server,
}

impl MockDiscord {
    /// Binds a free loopback port and starts serving.
    pub async fn start(opts: MockOptions) -> MockDiscord {
        let listener = server::bind().await;
        let port = listener.local_addr().expect("bound listener has an address").port();
        let shared = Arc::new(Shared::new(opts, port));
        let server = server::Server::spawn(listener, rest::router(shared.clone()));
        MockDiscord { shared, server }
    }

    pub fn options(&self) -> &MockOptions {
        &self.shared.opts
    }

    /// For twilight-http's `proxy(addr.to_string(), true)`.
    pub fn http_addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `ws://127.0.0.1:PORT`, for twilight-gateway's `proxy_url`.
    pub fn ws_url(&self) -> String {
        self.shared.ws_url.clone()
    }

    // ----- interactions -----

    /// A slash command by a guild member with these roles.
    pub fn send_slash_command(&self, name: &str, options: Value, user_id: u64, roles: &[u64]) -> InteractionHandle {
        self.send_command(name, options, Invoker::member(user_id, roles))
    }

    /// A slash command (`options` as Discord sends them: `[{"name","type","value"}]`).
    pub fn send_command(&self, name: &str, options: Value, invoker: Invoker) -> InteractionHandle {
        interactions::command(&self.shared, 2, name, options, &invoker)
    }

    /// An autocomplete request; one option should carry `"focused": true`.
    pub fn send_autocomplete(&self, name: &str, options: Value, invoker: Invoker) -> InteractionHandle {
        interactions::command(&self.shared, 4, name, options, &invoker)
    }

    /// A click on the button `custom_id` of `message` (its current state is sent).
    ///
    /// # Panics
    /// If the message has no enabled, non-link button with that `custom_id`: Discord would
    /// not let anyone click it.
    pub fn click_button(&self, message: &Message, custom_id: &str, invoker: impl Into<Invoker>) -> InteractionHandle {
        interactions::click(&self.shared, message.id, custom_id, &invoker.into())
    }

    /// Waits for the bot's accepted initial response.
    pub async fn wait_for_callback(&self, handle: &InteractionHandle, timeout: Duration) -> Option<Callback> {
        let id = handle.id;
        self.wait_for_value(timeout, |mock| mock.callback_of(id)).await
    }

    /// The accepted initial response so far.
    pub fn callback(&self, handle: &InteractionHandle) -> Option<Callback> {
        self.callback_of(handle.id)
    }

    fn callback_of(&self, id: u64) -> Option<Callback> {
        self.shared.lock().interactions.get(&id)?.callback.clone()
    }

    /// The message the interaction's `@original` is now.
    pub fn original_response(&self, handle: &InteractionHandle) -> Option<Message> {
        let st = self.shared.lock();
        let id = st.interactions.get(&handle.id)?.original?;
        Some(st.messages.get(&id)?.to_message(&st))
    }

    pub fn followups(&self, handle: &InteractionHandle) -> Vec<Message> {
        let st = self.shared.lock();
        let Some(interaction) = st.interactions.get(&handle.id) else { return Vec::new() };
        interaction.followups.iter().filter_map(|id| Some(st.messages.get(id)?.to_message(&st))).collect()
    }

    // ----- state -----

    /// The channel's messages, oldest first (deleted ones are gone).
    pub fn messages(&self, channel_id: u64) -> Vec<Message> {
        let st = self.shared.lock();
        let ids = st.channels.get(&channel_id).cloned().unwrap_or_default();
        ids.iter().filter_map(|id| Some(st.messages.get(id)?.to_message(&st))).collect()
    }

    pub fn message(&self, id: u64) -> Option<Message> {
        let st = self.shared.lock();
        Some(st.messages.get(&id)?.to_message(&st))
    }

    /// The commands registered for a guild (`Some(id)`) or globally (`None`).
    pub fn registered_commands(&self, guild_id: Option<u64>) -> Vec<RegisteredCommand> {
        let st = self.shared.lock();
        st.commands
            .get(&guild_id)
            .into_iter()
            .flatten()
            .map(|json| RegisteredCommand {
                id: json["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or(0),
                name: json["name"].as_str().unwrap_or_default().to_owned(),
                kind: json["type"].as_u64().unwrap_or(1) as u8,
                json: json.clone(),
            })
            .collect()
    }

    /// Creates an incoming webhook on a channel.
    pub fn create_webhook(&self, channel_id: u64, name: &str) -> Webhook {
        let id = self.shared.next_id();
        let webhook = Webhook {
            id,
            token: format!("mock-webhook-token-{id}"),
            channel_id,
            name: name.to_owned(),
            url: format!("{}/api/webhooks/{id}/mock-webhook-token-{id}", self.shared.base_url),
        };
        self.shared.lock().webhooks.insert(id, webhook.clone());
        webhook
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.shared.lock().violations.clone()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    // ----- faults -----

    /// Replaces the per-route limit (and forgets the current windows).
    pub fn set_rate_limit(&self, limit: RateLimit) {
        let mut st = self.shared.lock();
        st.rate_limit = limit;
        st.buckets.clear();
    }

    /// Answers the next `n` REST requests with `status` (429 comes with Discord's rate-limit
    /// headers and body, retry after [`MockOptions::forced_retry_after`]).
    pub fn fail_next(&self, n: u32, status: u16) {
        self.shared.lock().forced = (n > 0).then_some((n, status));
    }

    /// While on, the port is closed: connections are refused and open HTTP connections are
    /// cut (an established gateway websocket is left alone; use [`Self::gateway_drop`]).
    pub async fn refuse_connections(&self, refuse: bool) {
        self.server.refuse(refuse).await;
    }

    // ----- gateway -----

    /// Sends op 7 RECONNECT on the live connection. Returns false if there is none.
    pub fn gateway_reconnect(&self) -> bool {
        self.shared.lock().gateway.send_to_current(gateway::Ctl::reconnect())
    }

    /// Drops the live connection's TCP socket without a close frame (the session stays
    /// resumable).
    pub fn gateway_drop(&self) -> bool {
        self.shared.lock().gateway.send_to_current(gateway::Ctl::Drop)
    }

    /// Closes the live connection with a close code (4000 unknown error, 4004 authentication
    /// failed, 4007 invalid seq, 4009 session timed out, …). 4007 and 4009 end the session.
    pub fn gateway_close(&self, code: u16) -> bool {
        self.shared.lock().gateway.close_current(code)
    }

    /// Sends op 9 INVALID_SESSION; when not resumable the session is forgotten.
    pub fn gateway_invalidate_session(&self, resumable: bool) -> bool {
        self.shared.lock().gateway.invalidate_current(resumable)
    }

    /// Sends op 1: the client must heartbeat at once.
    pub fn gateway_request_heartbeat(&self) -> bool {
        self.shared.lock().gateway.send_to_current(gateway::Ctl::request_heartbeat())
    }

    /// Stops (false) or resumes (true) answering heartbeats with op 11, to test zombie detection.
    pub fn set_heartbeat_ack(&self, ack: bool) {
        self.shared.lock().gateway.withhold_acks = !ack;
    }

    pub fn identify_count(&self) -> u32 {
        self.shared.lock().gateway.identify_count
    }

    pub fn resume_count(&self) -> u32 {
        self.shared.lock().gateway.resume_count
    }

    pub fn heartbeat_count(&self) -> u32 {
        self.shared.lock().gateway.heartbeat_count
    }

    /// Whether a gateway connection is bound to a live session (identified or resumed).
    pub fn gateway_connected(&self) -> bool {
        self.shared.lock().gateway.connected()
    }

    /// Waits until `condition` holds (re-checked on every change), or the timeout passes.
    pub async fn wait_until(&self, timeout: Duration, condition: impl Fn(&MockDiscord) -> bool) -> bool {
        self.wait_for_value(timeout, |mock| condition(mock).then_some(())).await.is_some()
    }

    async fn wait_for_value<T>(&self, timeout: Duration, probe: impl Fn(&MockDiscord) -> Option<T>) -> Option<T> {
        let mut changes = self.shared.subscribe();
        let wait = async {
            loop {
                if let Some(value) = probe(self) {
                    return value;
                }
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.ok()
    }
}

impl Drop for MockDiscord {
    fn drop(&mut self) {
        self.shared.shut_down();
    }
}

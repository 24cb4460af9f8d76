//! The gateway websocket (§3): HELLO, IDENTIFY → READY (+ GUILD_CREATE), heartbeats, RESUME
//! with replay, and the faults tests ask for. Plain JSON text frames; `compress` is ignored.

use crate::state::Shared;
use axum::{
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message as WsMessage, WebSocket},
    },
    response::Response,
};
use serde_json::{Value, json};
use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// Every intent bit Discord defines (0–16, 20, 21, 24, 25), and the privileged ones.
const KNOWN_INTENTS: u64 = ((1 << 17) - 1) | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25);
const PRIVILEGED_INTENTS: u64 = (1 << 1) | (1 << 8) | (1 << 15);
pub(crate) const GUILD_MESSAGES: u64 = 1 << 9;
pub(crate) const DIRECT_MESSAGES: u64 = 1 << 12;
/// Client payloads: at most 4096 bytes, 120 per 60 s.
const MAX_PAYLOAD: usize = 4096;
const MAX_SENDS: usize = 120;
const SEND_WINDOW: Duration = Duration::from_secs(60);

/// What the mock tells one websocket connection to do.
pub(crate) enum Ctl {
    Frame(String),
    Close(u16, &'static str),
    /// Drop the TCP connection without a close frame.
    Drop,
}

impl Ctl {
    pub fn reconnect() -> Self {
        Ctl::Frame(json!({ "op": 7, "d": null, "s": null, "t": null }).to_string())
    }

    pub fn request_heartbeat() -> Self {
        Ctl::Frame(json!({ "op": 1, "d": null, "s": null, "t": null }).to_string())
    }

    fn invalid_session(resumable: bool) -> Self {
        Ctl::Frame(json!({ "op": 9, "d": resumable, "s": null, "t": null }).to_string())
    }
}

struct Conn {
    id: u64,
    tx: UnboundedSender<Ctl>,
}

struct Session {
    seq: u64,
    /// Every dispatch of the session, for replay on RESUME.
    log: Vec<(u64, String)>,
    conn: Option<Conn>,
    intents: u64,
}

#[derive(Default)]
pub(crate) struct GatewayState {
    sessions: HashMap<String, Session>,
    /// The session injected events go to: the last one identified or resumed.
    current: Option<String>,
    /// Events injected before any session existed, delivered after the next READY.
    pending: Vec<(String, Value)>,
    next_conn: u64,
    pub identify_count: u32,
    pub resume_count: u32,
    pub heartbeat_count: u32,
    pub withhold_acks: bool,
}

impl GatewayState {
    /// Dispatches an event to the current session (or keeps it for the next one).
    pub fn dispatch(&mut self, event: &str, data: Value) {
        match self.current.clone() {
            Some(id) => self.dispatch_to(&id, event, data),
            None => self.pending.push((event.to_owned(), data)),
        }
    }

    /// Dispatches an event only if the current session subscribed to `intent`.
    pub fn dispatch_with_intent(&mut self, intent: u64, event: &str, data: Value) {
        let subscribed = self.current.as_ref().and_then(|id| self.sessions.get(id)).is_some_and(|s| s.intents & intent != 0);
        if subscribed {
            self.dispatch(event, data);
        }
    }

    fn dispatch_to(&mut self, session_id: &str, event: &str, data: Value) {
        let Some(session) = self.sessions.get_mut(session_id) else { return };
        session.seq += 1;
        let frame = json!({ "op": 0, "s": session.seq, "t": event, "d": data }).to_string();
        if let Some(conn) = &session.conn {
            let _ = conn.tx.send(Ctl::Frame(frame.clone()));
        }
        session.log.push((session.seq, frame));
    }

    fn current_conn(&self) -> Option<&Conn> {
        self.sessions.get(self.current.as_ref()?)?.conn.as_ref()
    }

    pub fn send_to_current(&self, ctl: Ctl) -> bool {
        self.current_conn().is_some_and(|conn| conn.tx.send(ctl).is_ok())
    }

    pub fn connected(&self) -> bool {
        self.current_conn().is_some_and(|conn| !conn.tx.is_closed())
    }

    pub fn close_current(&mut self, code: u16) -> bool {
        let sent = self.send_to_current(Ctl::Close(code, "closed by the test"));
        if matches!(code, 4007 | 4009) {
            self.forget_current();
        }
        sent
    }

    pub fn invalidate_current(&mut self, resumable: bool) -> bool {
        let sent = self.send_to_current(Ctl::invalid_session(resumable));
        if !resumable {
            self.forget_current();
        }
        sent
    }

    /// Ends the current session: it can no longer be resumed. Its connection stays open
    /// until the client closes it.
    fn forget_current(&mut self) {
        if let Some(id) = self.current.take() {
            self.sessions.remove(&id);
        }
    }

    /// Unbinds a closed connection; a normal close (1000/1001) also ends its session.
    fn detach(&mut self, conn_id: u64, ends_session: bool) {
        let bound = self
            .sessions
            .iter()
            .find(|(_, s)| s.conn.as_ref().is_some_and(|c| c.id == conn_id))
            .map(|(id, _)| id.clone());
        let Some(session_id) = bound else { return };
        if ends_session {
            self.sessions.remove(&session_id);
            if self.current.as_deref() == Some(session_id.as_str()) {
                self.current = None;
            }
        } else if let Some(session) = self.sessions.get_mut(&session_id) {
            session.conn = None;
        }
    }
}

pub(crate) async fn upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection(shared, socket))
}

/// What to do after a client payload.
enum Next {
    Continue,
    Close(u16, &'static str),
}

/// Per-connection bookkeeping.
struct Link {
    id: u64,
    tx: UnboundedSender<Ctl>,
    session: Option<String>,
    sends: VecDeque<Instant>,
}

async fn connection(shared: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = unbounded_channel();
    let id = {
        let mut st = shared.lock();
        st.gateway.next_conn += 1;
        st.gateway.next_conn
    };
    let mut link = Link { id, tx, session: None, sends: VecDeque::new() };
    let interval = shared.opts.heartbeat_interval.as_millis() as u64;
    let hello = json!({ "op": 10, "d": { "heartbeat_interval": interval }, "s": null, "t": null });
    if socket.send(WsMessage::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    let mut ends_session = false;
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    if let Next::Close(code, reason) = handle(&shared, &mut link, text.as_str()) {
                        let frame = CloseFrame { code, reason: reason.into() };
                        let _ = socket.send(WsMessage::Close(Some(frame))).await;
                        break;
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    ends_session = frame.is_some_and(|f| matches!(f.code, 1000 | 1001));
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            ctl = rx.recv() => match ctl {
                Some(Ctl::Frame(frame)) => {
                    if socket.send(WsMessage::Text(frame.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ctl::Close(code, reason)) => {
                    let frame = CloseFrame { code, reason: reason.into() };
                    let _ = socket.send(WsMessage::Close(Some(frame))).await;
                    break;
                }
                Some(Ctl::Drop) | None => break,
            },
            () = shared.closed() => break,
        }
    }
    shared.lock().gateway.detach(id, ends_session);
}

fn handle(shared: &Arc<Shared>, link: &mut Link, text: &str) -> Next {
    if text.len() > MAX_PAYLOAD {
        return Next::Close(4002, "Decode error.");
    }
    let now = Instant::now();
    link.sends.retain(|at| now.duration_since(*at) < SEND_WINDOW);
    link.sends.push_back(now);
    if link.sends.len() > MAX_SENDS {
        return Next::Close(4008, "Rate limited.");
    }
    let Ok(payload) = serde_json::from_str::<Value>(text) else {
        return Next::Close(4002, "Decode error.");
    };
    let data = &payload["d"];
    match payload["op"].as_u64() {
        Some(1) => {
            let mut st = shared.lock();
            st.gateway.heartbeat_count += 1;
            if !st.gateway.withhold_acks {
                let _ = link.tx.send(Ctl::Frame(json!({ "op": 11, "d": null, "s": null, "t": null }).to_string()));
            }
            Next::Continue
        }
        Some(2) => identify(shared, link, data),
        Some(6) => resume(shared, link, data),
        // Presence, voice state, request members, request soundboard sounds.
        Some(3 | 4 | 8 | 31) if link.session.is_some() => Next::Continue,
        Some(3 | 4 | 8 | 31) => Next::Close(4003, "Not authenticated."),
        _ => Next::Close(4001, "Unknown opcode."),
    }
}

fn token_matches(shared: &Shared, token: &Value) -> bool {
    let token = token.as_str().unwrap_or("");
    token.strip_prefix("Bot ").unwrap_or(token) == shared.opts.token
}

fn identify(shared: &Arc<Shared>, link: &mut Link, data: &Value) -> Next {
    if link.session.is_some() {
        return Next::Close(4005, "Already authenticated.");
    }
    if !token_matches(shared, &data["token"]) {
        return Next::Close(4004, "Authentication failed.");
    }
    let Some(intents) = data["intents"].as_u64() else {
        return Next::Close(4013, "Invalid intent(s).");
    };
    if intents & !KNOWN_INTENTS != 0 {
        return Next::Close(4013, "Invalid intent(s).");
    }
    if intents & PRIVILEGED_INTENTS & !shared.opts.privileged_intents != 0 {
        return Next::Close(4014, "Disallowed intent(s).");
    }
    if !data["shard"].is_null() && data["shard"] != json!([0, 1]) {
        return Next::Close(4010, "Invalid shard.");
    }
    let mut st = shared.lock();
    st.gateway.identify_count += 1;
    let session_id = format!("mock-session-{}", st.gateway.identify_count);
    st.gateway.sessions.insert(session_id.clone(), Session {
        seq: 0,
        log: Vec::new(),
        conn: Some(Conn { id: link.id, tx: link.tx.clone() }),
        intents,
    });
    st.gateway.current = Some(session_id.clone());
    link.session = Some(session_id.clone());
    let guilds = match shared.opts.guild_create_delay {
        Some(_) => json!([{ "id": shared.opts.guild_id.to_string(), "unavailable": true }]),
        None => json!([]),
    };
    let mut user = shared.bot_user();
    user["mfa_enabled"] = json!(false);
    user["verified"] = json!(true);
    st.gateway.dispatch_to(&session_id, "READY", json!({
        "v": 10, "user": user, "guilds": guilds, "session_id": session_id,
        "resume_gateway_url": shared.ws_url, "shard": [0, 1], "private_channels": [],
        "application": { "id": shared.opts.application_id.to_string(), "flags": 0 },
    }));
    match shared.opts.guild_create_delay {
        Some(Duration::ZERO) => st.gateway.dispatch_to(&session_id, "GUILD_CREATE", guild(shared)),
        Some(delay) => {
            let shared = shared.clone();
            let session_id = session_id.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {
                        let event = guild(&shared);
                        shared.lock().gateway.dispatch_to(&session_id, "GUILD_CREATE", event);
                    }
                    () = shared.closed() => {}
                }
            });
        }
        None => {}
    }
    for (event, data) in std::mem::take(&mut st.gateway.pending) {
        st.gateway.dispatch_to(&session_id, &event, data);
    }
    Next::Continue
}

fn resume(shared: &Arc<Shared>, link: &mut Link, data: &Value) -> Next {
    if !token_matches(shared, &data["token"]) {
        return Next::Close(4004, "Authentication failed.");
    }
    let session_id = data["session_id"].as_str().unwrap_or("").to_owned();
    let after = data["seq"].as_u64().unwrap_or(0);
    let mut st = shared.lock();
    let gateway = &mut st.gateway;
    let Some(session) = gateway.sessions.get_mut(&session_id) else {
        let _ = link.tx.send(Ctl::invalid_session(false));
        return Next::Continue;
    };
    if after > session.seq {
        gateway.sessions.remove(&session_id);
        return Next::Close(4007, "Invalid seq.");
    }
    if let Some(old) = session.conn.replace(Conn { id: link.id, tx: link.tx.clone() })
        && old.id != link.id
    {
        let _ = old.tx.send(Ctl::Drop);
    }
    for (_, frame) in session.log.iter().filter(|(seq, _)| *seq > after) {
        let _ = link.tx.send(Ctl::Frame(frame.clone()));
    }
    gateway.resume_count += 1;
    gateway.current = Some(session_id.clone());
    gateway.dispatch_to(&session_id, "RESUMED", Value::Null);
    link.session = Some(session_id);
    Next::Continue
}

/// A full guild object, as GUILD_CREATE carries it (fields twilight and serenity require).
fn guild(shared: &Shared) -> Value {
    let opts = &shared.opts;
    let guild_id = opts.guild_id.to_string();
    let joined_at = crate::state::timestamp();
    let channels: Vec<Value> = opts
        .channels
        .iter()
        .enumerate()
        .map(|(position, id)| json!({
            "id": id.to_string(), "type": 0, "guild_id": guild_id, "name": format!("channel-{position}"),
            "position": position, "permission_overwrites": [], "topic": null, "nsfw": false,
            "last_message_id": null, "rate_limit_per_user": 0, "parent_id": null,
        }))
        .collect();
    json!({
        "id": guild_id, "name": "linewatch test guild", "icon": null, "splash": null,
        "discovery_splash": null, "owner_id": "900000000000000001", "afk_channel_id": null,
        "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [{
            "id": guild_id, "name": "@everyone", "color": 0,
            "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
            "hoist": false, "icon": null, "unicode_emoji": null, "position": 0,
            "permissions": crate::MEMBER_PERMISSIONS.to_string(), "managed": false,
            "mentionable": false, "flags": 0,
        }],
        "emojis": [], "features": [], "mfa_level": 0, "application_id": null,
        "system_channel_id": null, "system_channel_flags": 0, "rules_channel_id": null,
        "max_members": 500000, "vanity_url_code": null, "description": null, "banner": null,
        "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": null, "nsfw_level": 0, "stickers": [],
        "premium_progress_bar_enabled": false, "safety_alerts_channel_id": null,
        "joined_at": joined_at, "large": false, "unavailable": false, "member_count": 1,
        "voice_states": [], "threads": [], "presences": [], "stage_instances": [],
        "guild_scheduled_events": [], "soundboard_sounds": [], "channels": channels,
        "members": [{
            "user": shared.bot_user(), "nick": null, "avatar": null, "roles": [],
            "joined_at": joined_at, "premium_since": null, "deaf": false, "mute": false,
            "flags": 0, "pending": false,
        }],
    })
}

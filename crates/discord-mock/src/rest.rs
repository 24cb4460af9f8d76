//! REST under `/api/v10` and `/api` (§1): routes, token check, forced failures, rate limits,
//! the request log, and the handlers.

use crate::{
    Callback, RateLimit, RecordedRequest, ViolationKind,
    error::{ApiError, FieldErrors, at},
    gateway::{self, DIRECT_MESSAGES, GUILD_MESSAGES},
    limits,
    messages::{EPHEMERAL, LOADING, Origin, Rejection, StoredMessage, with_reference},
    payload::{BodySlot, Payload, template},
    state::{Bucket, Interaction, Shared, State},
};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, OriginalUri, Path, Query, Request, State as Axum},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header::AUTHORIZATION, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

type Shr = Axum<Arc<Shared>>;
type Params = Path<HashMap<String, String>>;

/// Discord's maximum request size.
const MAX_REQUEST: usize = 25 * 1024 * 1024;
/// How long `enforce_nonce` remembers a nonce ("the past few minutes").
const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = || {
        Router::new()
            .route("/gateway", get(get_gateway))
            .route("/gateway/bot", get(get_gateway_bot))
            .route("/users/@me", get(get_current_user))
            .route("/applications/{application_id}/commands", get(list_commands).put(put_commands))
            .route(
                "/applications/{application_id}/guilds/{guild_id}/commands",
                get(list_commands).put(put_commands),
            )
            .route("/interactions/{interaction_id}/{interaction_token}/callback", axum::routing::post(callback))
            .route("/webhooks/{webhook_id}/{webhook_token}", axum::routing::post(execute_webhook))
            .route(
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                get(get_webhook_message).patch(edit_webhook_message).delete(delete_webhook_message),
            )
            .route(
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                get(get_webhook_message).patch(edit_webhook_message).delete(delete_webhook_message),
            )
            .route("/channels/{channel_id}/messages", get(list_messages).post(create_message))
            .route(
                "/channels/{channel_id}/messages/{message_id}",
                get(get_message).patch(edit_message).delete(delete_message),
            )
            .route_layer(middleware::from_fn_with_state(shared.clone(), front))
    };
    Router::new()
        .nest("/api/v10", api())
        .nest("/api", api())
        .route("/", get(gateway::upgrade))
        .route("/attachments/{channel_id}/{attachment_id}/{filename}", get(get_attachment))
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(MAX_REQUEST))
        .with_state(shared)
}

// ----- the front layer: forced failures, rate limits, the request log -----

/// A route the mock does not serve: 404 as Discord answers it, logged so a test can see
/// which endpoint the bot wanted.
async fn unknown_route(Axum(shared): Shr, req: Request) -> ApiError {
    shared.lock().requests.push(RecordedRequest {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
        authorized: req.headers().contains_key(AUTHORIZATION),
        body: None,
        files: Vec::new(),
        status: 404,
        at: Instant::now(),
    });
    ApiError::new(StatusCode::NOT_FOUND, 0, "404: Not Found")
}

/// Interaction callbacks and interaction webhooks (keyed by the application id) are exempt
/// from the global limit.
fn is_interaction_route(shared: &Shared, template: &str, path: &str) -> bool {
    template.starts_with("/interactions/")
        || (template.starts_with("/webhooks/")
            && path.split('/').any(|segment| segment == shared.opts.application_id.to_string()))
}

/// Method + route + major parameters (channel, guild, webhook id and token, interaction).
fn bucket_key(method: &Method, template: &str, path: &str) -> String {
    let actual: Vec<&str> = path.split('/').rev().collect();
    let route: Vec<String> = template
        .split('/')
        .rev()
        .zip(actual)
        .map(|(segment, value)| match segment {
            "{channel_id}" | "{guild_id}" | "{webhook_id}" | "{webhook_token}" | "{interaction_id}"
            | "{interaction_token}" | "{application_id}" => value.to_owned(),
            other => other.to_owned(),
        })
        .collect();
    format!("{method} {}", route.into_iter().rev().collect::<Vec<_>>().join("/"))
}

/// What a request costs against a window; `Err` when over the limit.
fn admit(bucket: &mut Option<Bucket>, limit: RateLimit, now: Instant) -> Result<(u32, Duration), Duration> {
    let current = bucket.get_or_insert(Bucket { started: now, used: 0 });
    if now.duration_since(current.started) >= limit.window {
        *current = Bucket { started: now, used: 0 };
    }
    let reset_after = limit.window.saturating_sub(now.duration_since(current.started));
    if current.used >= limit.limit {
        return Err(reset_after);
    }
    current.used += 1;
    Ok((limit.limit - current.used, reset_after))
}

struct Limited {
    scope: &'static str,
    retry_after: Duration,
}

/// What the front layer decided before the handler.
enum Decision {
    Pass { remaining: u32, reset_after: Duration },
    Limited(Limited),
    Forced(u16),
}

async fn front(Axum(shared): Shr, matched: MatchedPath, OriginalUri(uri): OriginalUri, mut req: Request, next: Next)
    -> Response {
    let at = Instant::now();
    let method = req.method().clone();
    let path = uri.path().to_owned();
    let query = uri.query().map(str::to_owned);
    let authorized = req.headers().contains_key(AUTHORIZATION);
    let template = template(matched.as_str()).to_owned();
    let key = bucket_key(&method, &template, &path);
    let slot = BodySlot::default();
    req.extensions_mut().insert(slot.clone());

    let global = authorized && !is_interaction_route(&shared, &template, &path);
    let (decision, limit) = {
        let mut st = shared.lock();
        let decision = match st.forced {
            Some((n, status)) => {
                st.forced = (n > 1).then_some((n - 1, status));
                Decision::Forced(status)
            }
            None => match rate_limit(&shared, &mut st, &key, global, at) {
                Ok((remaining, reset_after)) => Decision::Pass { remaining, reset_after },
                Err(limited) => Decision::Limited(limited),
            },
        };
        (decision, st.rate_limit.limit)
    };
    let response = match decision {
        Decision::Pass { remaining, reset_after } => {
            let mut response = next.run(req).await;
            rate_headers(response.headers_mut(), &key, limit, remaining, reset_after);
            response
        }
        Decision::Forced(429) => {
            too_many(&key, limit, &Limited { scope: "user", retry_after: shared.opts.forced_retry_after })
        }
        Decision::Limited(limited) => too_many(&key, limit, &limited),
        Decision::Forced(status) => {
            ApiError::forced(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)).into_response()
        }
    };
    let (body, files) = slot.0.lock().unwrap_or_else(|e| e.into_inner()).take().unzip();
    shared.lock().requests.push(RecordedRequest {
        method: method.to_string(),
        path,
        query,
        authorized,
        body,
        files: files.unwrap_or_default(),
        status: response.status().as_u16(),
        at,
    });
    response
}

fn rate_limit(shared: &Shared, st: &mut State, key: &str, global: bool, now: Instant)
    -> Result<(u32, Duration), Limited> {
    if global && let Some(limit) = shared.opts.global_rate_limit {
        admit(&mut st.global_bucket, limit, now)
            .map_err(|retry_after| Limited { scope: "global", retry_after })?;
    }
    let limit = st.rate_limit;
    let mut bucket = st.buckets.get(key).copied();
    let admitted = admit(&mut bucket, limit, now);
    if let Some(bucket) = bucket {
        st.buckets.insert(key.to_owned(), bucket);
    }
    admitted.map_err(|retry_after| Limited { scope: "user", retry_after })
}

fn header(value: impl ToString) -> HeaderValue {
    HeaderValue::from_str(&value.to_string()).expect("header values are ASCII")
}

fn rate_headers(headers: &mut HeaderMap, key: &str, limit: u32, remaining: u32, reset_after: Duration) {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    let reset_at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + reset_after;
    headers.insert("x-ratelimit-limit", header(limit));
    headers.insert("x-ratelimit-remaining", header(remaining));
    headers.insert("x-ratelimit-reset", header(format!("{:.3}", reset_at.as_secs_f64())));
    headers.insert("x-ratelimit-reset-after", header(format!("{:.3}", reset_after.as_secs_f64())));
    headers.insert("x-ratelimit-bucket", header(format!("{:016x}", hasher.finish())));
}

/// A 429 with Discord's body, the usual headers and the 429-only ones.
fn too_many(key: &str, limit: u32, limited: &Limited) -> Response {
    let global = limited.scope == "global";
    let seconds = limited.retry_after.as_secs_f64();
    let body = json!({ "message": "You are being rate limited.", "retry_after": (seconds * 1000.0).round() / 1000.0,
                       "global": global, "code": 0 });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("retry-after", header(seconds.ceil() as u64));
    headers.insert("x-ratelimit-scope", header(limited.scope));
    if global {
        headers.insert("x-ratelimit-global", header("true"));
    }
    rate_headers(headers, key, limit, 0, limited.retry_after);
    response
}

// ----- helpers shared by the handlers -----

/// The bot token check of bot routes (routes carrying a webhook or interaction token need none).
struct Bot;

impl FromRequestParts<Arc<Shared>> for Bot {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        let expected = format!("Bot {}", shared.opts.token);
        match parts.headers.get(AUTHORIZATION) {
            Some(given) if given.as_bytes() == expected.as_bytes() => Ok(Bot),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

fn snowflake(params: &HashMap<String, String>, name: &str) -> u64 {
    params.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn rejected(shared: &Shared, payload: &Payload, rejection: Rejection) -> ApiError {
    match rejection {
        Rejection::Body(errs) => payload.refuse(shared, ViolationKind::Limits, &errs),
        Rejection::State(error) => error,
    }
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Stores a new message and tells the gateway, as Discord would.
fn insert(st: &mut State, shared: &Shared, message: StoredMessage) -> Value {
    let json = with_reference(&message, st);
    let channel_id = message.channel_id();
    let ephemeral = message.flags() & EPHEMERAL != 0;
    st.channels.entry(channel_id).or_default().push(message.id());
    st.messages.insert(message.id(), message);
    if !ephemeral {
        let intent = if shared.is_guild_channel(channel_id) { GUILD_MESSAGES } else { DIRECT_MESSAGES };
        st.gateway.dispatch_with_intent(intent, "MESSAGE_CREATE", json.clone());
    }
    json
}

fn bot_origin(shared: &Shared, channel_id: u64, kind: u8) -> Origin {
    Origin { channel_id, kind, author: shared.bot_user(), webhook_id: None, interaction: None }
}

// ----- gateway, user -----

async fn get_gateway(Axum(shared): Shr) -> Json<Value> {
    Json(json!({ "url": shared.ws_url }))
}

async fn get_gateway_bot(_: Bot, Axum(shared): Shr) -> Json<Value> {
    let identified = shared.lock().gateway.identify_count;
    Json(json!({
        "url": shared.ws_url, "shards": 1,
        "session_start_limit": { "total": 1000, "remaining": 1000u32.saturating_sub(identified),
                                 "reset_after": 14_400_000, "max_concurrency": 1 },
    }))
}

async fn get_current_user(_: Bot, Axum(shared): Shr) -> Json<Value> {
    let mut user = shared.bot_user();
    user["mfa_enabled"] = json!(false);
    user["verified"] = json!(true);
    Json(user)
}

// ----- application commands (§1.2) -----

/// `None` for global commands, the guild otherwise; other applications and guilds are refused.
fn command_scope(shared: &Shared, params: &HashMap<String, String>) -> Result<Option<u64>, ApiError> {
    if snowflake(params, "application_id") != shared.opts.application_id {
        return Err(ApiError::missing_access());
    }
    match params.get("guild_id") {
        None => Ok(None),
        Some(_) if snowflake(params, "guild_id") == shared.opts.guild_id => Ok(Some(shared.opts.guild_id)),
        Some(_) => Err(ApiError::missing_access()),
    }
}

async fn list_commands(_: Bot, Axum(shared): Shr, Path(params): Params) -> Result<Json<Value>, ApiError> {
    let scope = command_scope(&shared, &params)?;
    Ok(Json(Value::Array(shared.lock().commands.get(&scope).cloned().unwrap_or_default())))
}

async fn put_commands(_: Bot, Axum(shared): Shr, Path(params): Params, payload: Payload) -> Result<Json<Value>, ApiError> {
    let scope = command_scope(&shared, &params)?;
    let mut errs = FieldErrors::default();
    limits::commands(&payload.json, &mut errs);
    if !errs.is_empty() {
        return Err(payload.refuse(&shared, ViolationKind::Limits, &errs));
    }
    let mut st = shared.lock();
    let previous = st.commands.get(&scope).cloned().unwrap_or_default();
    let mut next = Vec::new();
    for item in payload.json.as_array().into_iter().flatten() {
        let kind = item["type"].as_u64().unwrap_or(1);
        let name = item["name"].as_str().unwrap_or_default().to_owned();
        let id = *st.command_ids.entry((scope, name.clone(), kind)).or_insert_with(|| shared.next_id());
        let permissions = match &item["default_member_permissions"] {
            Value::Number(n) => json!(n.to_string()),
            Value::String(s) => json!(s),
            _ => Value::Null,
        };
        let mut command = json!({
            "id": id.to_string(), "application_id": shared.opts.application_id.to_string(),
            "type": kind, "name": name, "description": item["description"].as_str().unwrap_or(""),
            "default_member_permissions": permissions,
            "nsfw": item["nsfw"].as_bool().unwrap_or(false),
            "integration_types": item.get("integration_types").filter(|v| !v.is_null()).cloned().unwrap_or(json!([0])),
            "contexts": item.get("contexts").cloned().unwrap_or(Value::Null),
        });
        for echoed in ["options", "name_localizations", "description_localizations"] {
            if let Some(value) = item.get(echoed).filter(|v| !v.is_null()) {
                command[echoed] = value.clone();
            }
        }
        if let Some(guild_id) = scope {
            command["guild_id"] = json!(guild_id.to_string());
        }
        // The version changes only when the definition does.
        let unchanged = previous.iter().find(|old| old["id"] == command["id"]).filter(|old| {
            let mut old = (*old).clone();
            old.as_object_mut().map(|o| o.remove("version"));
            old == command
        });
        command["version"] = match unchanged {
            Some(old) => old["version"].clone(),
            None => json!(shared.next_id().to_string()),
        };
        next.push(command);
    }
    st.commands.insert(scope, next.clone());
    Ok(Json(Value::Array(next)))
}

// ----- interaction callback (§1.3) -----

#[derive(Deserialize)]
struct CallbackQuery {
    with_response: Option<bool>,
}

async fn callback(Axum(shared): Shr, Path(params): Params, Query(query): Query<CallbackQuery>, payload: Payload)
    -> Result<Response, ApiError> {
    let interaction_id = snowflake(&params, "interaction_id");
    let token = params.get("interaction_token").cloned().unwrap_or_default();
    let (interaction_kind, channel_id, component_message, metadata) = {
        let st = shared.lock();
        let interaction = st
            .interactions
            .get(&interaction_id)
            .filter(|i| i.token == token)
            .ok_or_else(ApiError::unknown_interaction)?;
        if interaction.callback.is_some() {
            return Err(already_acknowledged());
        }
        if interaction.created_at.elapsed() > shared.opts.ack_deadline {
            return Err(ApiError::unknown_interaction());
        }
        (interaction.kind, interaction.channel_id, interaction.component_message,
         interaction_metadata(&shared, interaction_id, interaction))
    };
    let kind = payload.json["type"].as_u64().unwrap_or(0);
    let data = payload.json.get("data").filter(|d| !d.is_null()).cloned();
    let body = data.clone().unwrap_or(Value::Null);
    let refuse = |errs: FieldErrors| payload.refuse(&shared, ViolationKind::Limits, &errs);
    // Which callback types suit which interactions (2 command, 3 component, 4 autocomplete).
    let suits = match kind {
        4 | 5 | 9 => interaction_kind != 4,
        6 | 7 => interaction_kind == 3,
        8 => interaction_kind == 4,
        _ => false,
    };
    if !suits {
        let mut errs = FieldErrors::default();
        errs.add(&at!["type"], "INTERACTION_RESPONSE_TYPE_INVALID",
                 &format!("Callback type {kind} is not valid for an interaction of type {interaction_kind}"));
        return Err(refuse(errs));
    }
    let origin = Origin {
        channel_id,
        kind: if interaction_kind == 2 { 20 } else { 0 },
        author: shared.bot_user(),
        webhook_id: Some(shared.opts.application_id),
        interaction: Some((interaction_id, metadata)),
    };
    let as_data = |rejection| match rejection {
        Rejection::Body(errs) => refuse(errs.under("data")),
        Rejection::State(error) => error,
    };
    // The message this callback creates (4, 5) or the edited component message (7).
    let mut created = None;
    let mut edited = None;
    match kind {
        4 => {
            let flags = crate::messages::CREATE_FLAGS | EPHEMERAL;
            created = Some(StoredMessage::new(&shared, &origin).applied(&shared, &body, &payload.files, flags, false).map_err(as_data)?);
        }
        5 => {
            let flags = body["flags"].as_u64().unwrap_or(0);
            if flags & !EPHEMERAL != 0 {
                let mut errs = FieldErrors::default();
                errs.add(&at!["data", "flags"], "MESSAGE_FLAGS_INVALID", "Only EPHEMERAL may be set on a deferred response");
                return Err(refuse(errs));
            }
            let mut message = StoredMessage::new(&shared, &origin);
            message.json["flags"] = json!(flags | LOADING);
            created = Some(message);
        }
        7 => {
            let current = component_message.and_then(|id| shared.lock().messages.get(&id).cloned()).ok_or_else(ApiError::unknown_message)?;
            edited = Some(current.applied(&shared, &body, &payload.files, 0, true).map_err(as_data)?);
        }
        8 if body["choices"].as_array().is_some_and(|c| c.len() > 25) => {
            let mut errs = FieldErrors::default();
            errs.add(&at!["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
            return Err(refuse(errs));
        }
        9 => {
            let mut errs = FieldErrors::default();
            limits::modal(&body, &mut errs);
            if !errs.is_empty() {
                return Err(refuse(errs));
            }
        }
        _ => {}
    }

    let mut st = shared.lock();
    let resource_message = match (created, edited) {
        (Some(message), _) => Some(insert(&mut st, &shared, message)),
        (None, Some(message)) => {
            let json = with_reference(&message, &st);
            st.messages.insert(message.id(), message);
            Some(json)
        }
        (None, None) => None,
    };
    let Some(interaction) = st.interactions.get_mut(&interaction_id) else {
        return Err(ApiError::unknown_interaction());
    };
    if interaction.callback.is_some() {
        return Err(already_acknowledged());
    }
    interaction.callback = Some(Callback { kind: kind as u8, data, files: payload.files.clone(), at: Instant::now() });
    interaction.original = match kind {
        4 | 5 => resource_message.as_ref().and_then(|m| m["id"].as_str()?.parse().ok()),
        6 | 7 => component_message,
        _ => None,
    };
    if query.with_response != Some(true) {
        return Ok(no_content());
    }
    let mut answer = json!({
        "interaction": { "id": interaction_id.to_string(), "type": interaction_kind },
        "resource": { "type": kind },
    });
    if let Some(message) = &resource_message {
        let flags = message["flags"].as_u64().unwrap_or(0);
        answer["interaction"]["response_message_id"] = message["id"].clone();
        answer["interaction"]["response_message_loading"] = json!(flags & LOADING != 0);
        answer["interaction"]["response_message_ephemeral"] = json!(flags & EPHEMERAL != 0);
        if matches!(kind, 4 | 7) {
            answer["resource"]["message"] = message.clone();
        }
    }
    Ok(Json(answer).into_response())
}

/// `interaction_metadata` of the messages that answer an interaction.
fn interaction_metadata(shared: &Shared, id: u64, interaction: &Interaction) -> Value {
    // Guild-installed: the owner is the guild, or "0" in the bot's DMs.
    let owner = if shared.is_guild_channel(interaction.channel_id) { shared.opts.guild_id.to_string() } else { "0".to_owned() };
    json!({
        "id": id.to_string(), "type": interaction.kind, "user": interaction.user,
        "authorizing_integration_owners": { "0": owner },
    })
}

fn already_acknowledged() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, 40060, "Interaction has already been acknowledged.")
}

// ----- webhooks: interaction follow-ups and incoming webhooks (§1.4) -----

enum Hook {
    Interaction(u64),
    Webhook(crate::Webhook),
}

/// The interaction (webhook id = application id) or incoming webhook a route's token names.
fn resolve_hook(shared: &Shared, st: &State, params: &HashMap<String, String>) -> Result<Hook, ApiError> {
    let webhook_id = snowflake(params, "webhook_id");
    let token = params.get("webhook_token").map(String::as_str).unwrap_or("");
    if webhook_id == shared.opts.application_id {
        let (id, interaction) = st
            .interactions
            .iter()
            .find(|(_, i)| i.token == token)
            .ok_or_else(ApiError::unknown_webhook)?;
        // The webhook exists once the interaction is acknowledged, until the token expires.
        if interaction.callback.is_none() {
            return Err(ApiError::unknown_webhook());
        }
        if interaction.created_at.elapsed() > shared.opts.token_lifetime {
            return Err(ApiError::invalid_webhook_token());
        }
        return Ok(Hook::Interaction(*id));
    }
    let webhook = st.webhooks.get(&webhook_id).ok_or_else(ApiError::unknown_webhook)?;
    if webhook.token != token {
        return Err(ApiError::invalid_webhook_token());
    }
    Ok(Hook::Webhook(webhook.clone()))
}

#[derive(Deserialize)]
struct WebhookQuery {
    wait: Option<bool>,
    with_components: Option<bool>,
}

async fn execute_webhook(Axum(shared): Shr, Path(params): Params, Query(query): Query<WebhookQuery>, payload: Payload)
    -> Result<Response, ApiError> {
    let hook = resolve_hook(&shared, &shared.lock(), &params)?;
    let mut body = payload.json.clone();
    let (origin, flags, wait) = match &hook {
        Hook::Interaction(id) => {
            let (channel_id, metadata) = {
                let st = shared.lock();
                let interaction = &st.interactions[id];
                (interaction.channel_id, interaction_metadata(&shared, *id, interaction))
            };
            let origin = Origin {
                channel_id,
                kind: 0,
                author: shared.bot_user(),
                webhook_id: Some(shared.opts.application_id),
                interaction: Some((*id, metadata)),
            };
            // Follow-ups always wait.
            (origin, crate::messages::CREATE_FLAGS | EPHEMERAL, true)
        }
        Hook::Webhook(webhook) => {
            if query.with_components != Some(true) && let Some(object) = body.as_object_mut() {
                object.remove("components");
            }
            let author = json!({
                "id": webhook.id.to_string(),
                "username": body["username"].as_str().unwrap_or(&webhook.name),
                "avatar": null, "discriminator": "0000", "public_flags": 0, "flags": 0, "bot": true,
                "global_name": null,
            });
            let origin = Origin { channel_id: webhook.channel_id, kind: 0, author, webhook_id: Some(webhook.id), interaction: None };
            (origin, crate::messages::CREATE_FLAGS, query.wait == Some(true))
        }
    };
    let message = StoredMessage::new(&shared, &origin)
        .applied(&shared, &body, &payload.files, flags, false)
        .map_err(|r| rejected(&shared, &payload, r))?;
    let mut st = shared.lock();
    let id = message.id();
    let json = insert(&mut st, &shared, message);
    if let Hook::Interaction(interaction) = hook
        && let Some(interaction) = st.interactions.get_mut(&interaction)
    {
        interaction.followups.push(id);
    }
    Ok(if wait { Json(json).into_response() } else { no_content() })
}

/// The message a webhook route names (`@original` has no `message_id`).
fn webhook_message(shared: &Shared, st: &State, params: &HashMap<String, String>) -> Result<u64, ApiError> {
    let target = params.get("message_id").map(|_| snowflake(params, "message_id"));
    let id = match resolve_hook(shared, st, params)? {
        Hook::Interaction(id) => {
            let interaction = &st.interactions[&id];
            match target {
                None => interaction.original,
                Some(target) if interaction.original == Some(target) || interaction.followups.contains(&target) => Some(target),
                Some(_) => None,
            }
        }
        Hook::Webhook(webhook) => target.filter(|target| {
            st.messages.get(target).is_some_and(|m| m.webhook_id() == Some(webhook.id))
        }),
    };
    id.filter(|id| st.messages.contains_key(id)).ok_or_else(ApiError::unknown_message)
}

async fn get_webhook_message(Axum(shared): Shr, Path(params): Params) -> Result<Json<Value>, ApiError> {
    let st = shared.lock();
    let id = webhook_message(&shared, &st, &params)?;
    Ok(Json(with_reference(&st.messages[&id], &st)))
}

async fn edit_webhook_message(Axum(shared): Shr, Path(params): Params, payload: Payload) -> Result<Json<Value>, ApiError> {
    let current = {
        let st = shared.lock();
        let id = webhook_message(&shared, &st, &params)?;
        st.messages[&id].clone()
    };
    let edited = current
        .applied(&shared, &payload.json, &payload.files, 0, true)
        .map_err(|r| rejected(&shared, &payload, r))?;
    let mut st = shared.lock();
    let json = with_reference(&edited, &st);
    st.messages.insert(edited.id(), edited);
    Ok(Json(json))
}

async fn delete_webhook_message(Axum(shared): Shr, Path(params): Params) -> Result<Response, ApiError> {
    let mut st = shared.lock();
    let id = webhook_message(&shared, &st, &params)?;
    remove(&mut st, id);
    Ok(no_content())
}

fn remove(st: &mut State, id: u64) {
    if let Some(message) = st.messages.remove(&id)
        && let Some(list) = st.channels.get_mut(&message.channel_id())
    {
        list.retain(|m| *m != id);
    }
}

// ----- channel messages (§1.5) -----

fn known_channel(shared: &Shared, st: &State, channel_id: u64) -> Result<(), ApiError> {
    if shared.is_guild_channel(channel_id) || st.dm_channels.values().any(|c| *c == channel_id) {
        Ok(())
    } else {
        Err(ApiError::unknown_channel())
    }
}

async fn create_message(_: Bot, Axum(shared): Shr, Path(params): Params, payload: Payload) -> Result<Json<Value>, ApiError> {
    let channel_id = snowflake(&params, "channel_id");
    known_channel(&shared, &shared.lock(), channel_id)?;
    let body = &payload.json;
    let mut message = StoredMessage::new(&shared, &bot_origin(&shared, channel_id, 0))
        .applied(&shared, body, &payload.files, crate::messages::CREATE_FLAGS, false)
        .map_err(|r| rejected(&shared, &payload, r))?;
    let nonce = match &body["nonce"] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    let mut st = shared.lock();
    let author = shared.opts.application_id;
    if let Some(nonce) = &nonce {
        message.json["nonce"] = body["nonce"].clone();
        let key = (channel_id, author, nonce.clone());
        let seen = st.nonces.get(&key).filter(|(_, at)| at.elapsed() < NONCE_WINDOW).map(|(id, _)| *id);
        if body["enforce_nonce"] == true
            && let Some(existing) = seen.and_then(|id| st.messages.get(&id))
        {
            return Ok(Json(with_reference(existing, &st)));
        }
    }
    let reference = &body["message_reference"];
    if let Some(parent) = reference["message_id"].as_str().and_then(|id| id.parse::<u64>().ok()) {
        if st.messages.get(&parent).is_some_and(|m| m.channel_id() == channel_id) {
            message.reply_to = Some(parent);
            message.json["type"] = json!(19);
            let mut link = json!({ "type": 0, "message_id": parent.to_string(), "channel_id": channel_id.to_string() });
            if shared.is_guild_channel(channel_id) {
                link["guild_id"] = json!(shared.opts.guild_id.to_string());
            }
            message.json["message_reference"] = link;
        } else if reference["fail_if_not_exists"] != false {
            let mut errs = FieldErrors::default();
            errs.add(&at!["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message");
            return Err(ApiError::invalid_form(&errs));
        }
    }
    if let Some(nonce) = nonce {
        st.nonces.insert((channel_id, author, nonce), (message.id(), Instant::now()));
    }
    Ok(Json(insert(&mut st, &shared, message)))
}

/// A message of this channel, or 10008.
fn channel_message(st: &State, params: &HashMap<String, String>) -> Result<StoredMessage, ApiError> {
    let channel_id = snowflake(params, "channel_id");
    st.messages
        .get(&snowflake(params, "message_id"))
        .filter(|m| m.channel_id() == channel_id)
        .cloned()
        .ok_or_else(ApiError::unknown_message)
}

async fn get_message(_: Bot, Axum(shared): Shr, Path(params): Params) -> Result<Json<Value>, ApiError> {
    let st = shared.lock();
    let message = channel_message(&st, &params)?;
    Ok(Json(with_reference(&message, &st)))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<usize>,
}

async fn list_messages(_: Bot, Axum(shared): Shr, Path(params): Params, Query(query): Query<ListQuery>)
    -> Result<Json<Value>, ApiError> {
    let st = shared.lock();
    let channel_id = snowflake(&params, "channel_id");
    known_channel(&shared, &st, channel_id)?;
    let limit = query.limit.unwrap_or(50).clamp(1, 100);
    let ids = st.channels.get(&channel_id).cloned().unwrap_or_default();
    let newest_first = ids.iter().rev().take(limit).filter_map(|id| Some(with_reference(st.messages.get(id)?, &st)));
    Ok(Json(Value::Array(newest_first.collect())))
}

async fn edit_message(_: Bot, Axum(shared): Shr, Path(params): Params, payload: Payload) -> Result<Json<Value>, ApiError> {
    let current = channel_message(&shared.lock(), &params)?;
    if current.author_id != shared.opts.application_id {
        return Err(ApiError::new(StatusCode::FORBIDDEN, 50005, "Cannot edit a message authored by another user"));
    }
    let edited = current
        .applied(&shared, &payload.json, &payload.files, 0, true)
        .map_err(|r| rejected(&shared, &payload, r))?;
    let mut st = shared.lock();
    let json = with_reference(&edited, &st);
    st.messages.insert(edited.id(), edited);
    Ok(Json(json))
}

async fn delete_message(_: Bot, Axum(shared): Shr, Path(params): Params) -> Result<Response, ApiError> {
    let mut st = shared.lock();
    let message = channel_message(&st, &params)?;
    remove(&mut st, message.id());
    Ok(no_content())
}

/// The CDN side: uploaded files by their attachment URL.
async fn get_attachment(Axum(shared): Shr, Path(params): Params) -> Result<Response, ApiError> {
    let st = shared.lock();
    let attachment_id = snowflake(&params, "attachment_id");
    let channel_id = snowflake(&params, "channel_id");
    let found = st.channels.get(&channel_id).into_iter().flatten().find_map(|id| {
        let message = st.messages.get(id)?;
        let data = message.files.get(&attachment_id)?;
        let content_type = message.json["attachments"]
            .as_array()?
            .iter()
            .find(|a| a["id"].as_str() == Some(attachment_id.to_string().as_str()))?["content_type"]
            .as_str()
            .unwrap_or("application/octet-stream")
            .to_owned();
        Some((content_type, data.clone()))
    });
    let (content_type, data) = found.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, 0, "404: Not Found"))?;
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], data).into_response())
}

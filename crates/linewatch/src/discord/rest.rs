//! Discord's REST API through twilight-http, with bodies we build ourselves as JSON (the
//! embeds come from `notify::discord`, already within Discord's limits; twilight 0.18's
//! builders lack fields we need, such as `enforce_nonce`).
//!
//! twilight waits out a 429 and retries with no end: every call here is bounded in time.

use std::time::Duration;

use serde_json::Value;
use twilight_http::error::ErrorType;
use twilight_http::request::Request;
use twilight_http::response::marker::EmptyBody;
use twilight_http::routing::Route;
use twilight_model::http::attachment::Attachment;
use twilight_model::id::Id;

use crate::config::{DISCORD_API, Secret};

/// The longest a REST call may take, 429s and retries included.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, thiserror::Error)]
pub enum RestError {
    /// Discord answered with an error (`code`: its JSON error code).
    #[error("Discord answered HTTP {status}: {message}")]
    Status { status: u16, code: Option<u64>, message: String },
    #[error("Discord did not answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach Discord: {0}")]
    Transport(String),
}

impl RestError {
    /// Worth trying again later: rate limited, Discord's trouble, or no answer.
    pub fn is_transient(&self) -> bool {
        match self {
            RestError::Status { status, .. } => *status == 429 || *status >= 500,
            RestError::Timeout(_) | RestError::Transport(_) => true,
        }
    }

    fn from_twilight(error: twilight_http::Error) -> RestError {
        match error.kind() {
            ErrorType::Response { body, status, .. } => {
                let json: Option<Value> = serde_json::from_slice(body).ok();
                let code = json.as_ref().and_then(|j| j["code"].as_u64());
                let message = json.as_ref().and_then(|j| j["message"].as_str().map(str::to_string));
                let message = message.unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned());
                RestError::Status { status: status.get(), code, message }
            }
            _ => RestError::Transport(error.to_string()),
        }
    }
}

/// A file sent with a message: its name and its bytes.
pub struct File {
    pub name: String,
    pub data: Vec<u8>,
}

pub struct Rest {
    client: twilight_http::Client,
    application: u64,
}

impl Rest {
    /// A client for `api_base` (Discord's own, or a proxy or mock given as `http://host:port`).
    pub fn new(token: &Secret, application: u64, api_base: &str) -> Rest {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut builder = twilight_http::Client::builder().token(token.expose().to_string()).timeout(CALL_TIMEOUT);
        let base = api_base.trim_end_matches('/');
        if base != DISCORD_API {
            let plain = base.starts_with("http://");
            let host = base.trim_start_matches("http://").trim_start_matches("https://");
            builder = builder.proxy(host.to_string(), plain);
        }
        Rest { client: builder.build(), application }
    }

    /// Sends one request, bounded in time; the body of the answer.
    async fn send(&self, request: Result<Request, twilight_http::Error>) -> Result<Vec<u8>, RestError> {
        let request = request.map_err(RestError::from_twilight)?;
        let call = async {
            let response = self.client.request::<EmptyBody>(request).await.map_err(RestError::from_twilight)?;
            let bytes = response.bytes().await.map_err(|e| RestError::Transport(e.to_string()))?;
            Ok(bytes.to_vec())
        };
        tokio::time::timeout(CALL_TIMEOUT, call).await.map_err(|_| RestError::Timeout(CALL_TIMEOUT))?
    }

    fn json(route: &Route<'_>, body: &Value, authorized: bool) -> Result<Request, twilight_http::Error> {
        Request::builder(route).json(body).use_authorization_token(authorized).build()
    }

    /// The initial response to an interaction (`{type, data}`).
    pub async fn callback(&self, interaction_id: u64, token: &str, body: &Value) -> Result<(), RestError> {
        let route = Route::InteractionCallback { interaction_id, interaction_token: token, with_response: false };
        self.send(Self::json(&route, body, false)).await.map(|_| ())
    }

    /// Edits the interaction's original message (a deferred reply, or the message a button is
    /// on); `body` lists the new `files` in its `attachments`.
    pub async fn edit_original(&self, token: &str, body: &Value, files: &[File]) -> Result<(), RestError> {
        if files.is_empty() {
            let route = Route::UpdateInteractionOriginal { application_id: self.application, interaction_token: token };
            return self.send(Self::json(&route, body, false)).await.map(|_| ());
        }
        let payload = serde_json::to_vec(body).unwrap_or_default();
        let attachments: Vec<Attachment> =
            files.iter().enumerate().map(|(i, f)| Attachment::from_bytes(f.name.clone(), f.data.clone(), i as u64)).collect();
        let call = async {
            self.client
                .interaction(Id::new(self.application))
                .update_response(token)
                .payload_json(&payload)
                .attachments(&attachments)
                .await
                .map(|_| ())
                .map_err(RestError::from_twilight)
        };
        tokio::time::timeout(CALL_TIMEOUT, call).await.map_err(|_| RestError::Timeout(CALL_TIMEOUT))?
    }

    pub async fn delete_original(&self, token: &str) -> Result<(), RestError> {
        let route = Route::DeleteInteractionOriginal { application_id: self.application, interaction_token: token };
        self.send(Request::builder(&route).use_authorization_token(false).build()).await.map(|_| ())
    }

    /// A follow-up message to an interaction (within its token's 15 minutes).
    pub async fn followup(&self, token: &str, body: &Value) -> Result<(), RestError> {
        let route = Route::ExecuteWebhook { thread_id: None, token, wait: None, webhook_id: self.application, with_components: None };
        self.send(Self::json(&route, body, false)).await.map(|_| ())
    }

    /// Posts a message in a channel; its id.
    pub async fn create_message(&self, channel_id: u64, body: &Value) -> Result<u64, RestError> {
        let answer = self.send(Self::json(&Route::CreateMessage { channel_id }, body, true)).await?;
        message_id(&answer)
    }

    pub async fn edit_message(&self, channel_id: u64, message_id: u64, body: &Value) -> Result<(), RestError> {
        self.send(Self::json(&Route::UpdateMessage { channel_id, message_id }, body, true)).await.map(|_| ())
    }

    /// Replaces the application's commands, in a guild or globally.
    pub async fn set_commands(&self, guild_id: Option<u64>, commands: &Value) -> Result<(), RestError> {
        let application_id = self.application;
        let route = match guild_id {
            Some(guild_id) => Route::SetGuildCommands { application_id, guild_id },
            None => Route::SetGlobalCommands { application_id },
        };
        self.send(Self::json(&route, commands, true)).await.map(|_| ())
    }
}

fn message_id(answer: &[u8]) -> Result<u64, RestError> {
    serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|m| m["id"].as_str().and_then(|id| id.parse().ok()))
        .ok_or_else(|| RestError::Transport("Discord's answer names no message id".into()))
}

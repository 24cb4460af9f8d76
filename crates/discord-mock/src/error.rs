//! Discord's error bodies (spec §1.9): `{"code", "message", "errors"?}`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};
use std::fmt::Display;

/// An error answer, as Discord would give it.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: &str) -> Self {
        Self { status, body: json!({ "message": message, "code": code }) }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized")
    }

    pub fn invalid_form(errors: &FieldErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "code": 50035, "message": "Invalid Form Body", "errors": errors.tree }),
        }
    }

    pub fn empty_message() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 50006, "Cannot send an empty message")
    }

    pub fn unknown_message() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10008, "Unknown Message")
    }

    pub fn unknown_channel() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10003, "Unknown Channel")
    }

    pub fn unknown_webhook() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10015, "Unknown Webhook")
    }

    pub fn invalid_webhook_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 50027, "Invalid Webhook Token")
    }

    pub fn unknown_interaction() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10062, "Unknown interaction")
    }

    pub fn missing_access() -> Self {
        Self::new(StatusCode::FORBIDDEN, 50001, "Missing Access")
    }

    pub fn too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, 40005, "Request entity too large")
    }

    /// Answer for a status forced by a test (`fail_next`), in Discord's generic shape.
    pub fn forced(status: StatusCode) -> Self {
        let message = format!(
            "{}: {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        );
        Self::new(status, 0, &message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The JSON path of a field, e.g. `embeds.0.title`.
#[derive(Clone, Debug, Default)]
pub(crate) struct At(Vec<String>);

impl At {
    pub fn then(&self, segment: impl Display) -> At {
        let mut path = self.0.clone();
        path.push(segment.to_string());
        At(path)
    }
}

/// `at!["embeds", i, "title"]` builds an [`At`].
macro_rules! at {
    ($($segment:expr),* $(,)?) => {
        $crate::error::At::default()$(.then($segment))*
    };
}
pub(crate) use at;

impl From<Vec<String>> for At {
    fn from(path: Vec<String>) -> Self {
        At(path)
    }
}

/// Field errors nested by the JSON path of the bad field, as in
/// `{"embeds": {"0": {"title": {"_errors": [{"code", "message"}]}}}}`.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors {
    tree: Map<String, Value>,
    lines: Vec<String>,
}

impl FieldErrors {
    pub fn add(&mut self, at: &At, code: &str, message: &str) {
        let mut node = &mut self.tree;
        for segment in &at.0 {
            node = node
                .entry(segment.clone())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("error tree nodes are objects");
        }
        let list = node.entry("_errors").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.push(json!({ "code": code, "message": message }));
        }
        let path = if at.0.is_empty() { "(body)".to_owned() } else { at.0.join(".") };
        self.lines.push(format!("{path}: {message}"));
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The same errors one level down, e.g. under `data` for an interaction callback.
    pub fn under(self, segment: &str) -> Self {
        let mut tree = Map::new();
        tree.insert(segment.to_owned(), Value::Object(self.tree));
        let lines = self.lines.into_iter().map(|line| format!("{segment}.{line}")).collect();
        Self { tree, lines }
    }

    /// One `path: message` line per error, for violation reports.
    pub fn lines(&self) -> Vec<String> {
        self.lines.clone()
    }
}

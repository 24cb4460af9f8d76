//! The body of a request: JSON, or multipart with `payload_json` and `files[n]` (§1.6).
//! Reading it also checks it against the OpenAPI schema and logs it for the tests.

use crate::{
    UploadedFile, Violation, ViolationKind,
    error::{ApiError, At, FieldErrors},
    schema,
    state::Shared,
};
use axum::{
    body::Bytes,
    extract::{FromRequest, MatchedPath, Multipart, OriginalUri, Request},
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// Where the logging layer finds the body once a handler has read it.
#[derive(Clone, Default)]
pub(crate) struct BodySlot(pub Arc<Mutex<Option<Body>>>);

/// A body as read: the JSON (or `payload_json`) and the uploaded files.
pub(crate) type Body = (Value, Vec<UploadedFile>);

pub(crate) struct Payload {
    pub json: Value,
    pub files: Vec<UploadedFile>,
    method: String,
    path: String,
}

/// The route as the OpenAPI document writes it: the matched template without `/api[/v10]`.
pub(crate) fn template(matched: &str) -> &str {
    matched
        .strip_prefix("/api/v10")
        .or_else(|| matched.strip_prefix("/api"))
        .unwrap_or(matched)
}

impl Payload {
    /// Refuses this body: recorded as a violation and answered 400 / 50035.
    pub fn refuse(&self, shared: &Shared, kind: ViolationKind, errs: &FieldErrors) -> ApiError {
        shared.lock().violations.push(Violation {
            method: self.method.clone(),
            path: self.path.clone(),
            body: self.json.clone(),
            errors: errs.lines(),
            kind,
        });
        ApiError::invalid_form(errs)
    }
}

impl FromRequest<Arc<Shared>> for Payload {
    type Rejection = Response;

    async fn from_request(req: Request, shared: &Arc<Shared>) -> Result<Self, Response> {
        let method = req.method().to_string();
        let path = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().path().to_owned(), |uri| uri.path().to_owned());
        let matched = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
        let slot = req.extensions().get::<BodySlot>().cloned();
        let multipart = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let (json, files) = if multipart {
            read_multipart(req, shared).await?
        } else {
            let bytes = Bytes::from_request(req, shared).await.map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::too_large().into_response()
                } else {
                    rejection.into_response()
                }
            })?;
            (parse_json(&bytes).map_err(IntoResponse::into_response)?, Vec::new())
        };
        if let Some(BodySlot(slot)) = slot {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some((json.clone(), files.clone()));
        }
        let payload = Payload { json, files, method, path };
        if let Some(matched) = matched {
            let errors = schema::check(&payload.method, template(&matched), &payload.json);
            if !errors.is_empty() {
                let mut errs = FieldErrors::default();
                for (path, message) in errors {
                    errs.add(&At::from(path), "SCHEMA_VALIDATION", &message);
                }
                return Err(payload.refuse(shared, ViolationKind::Schema, &errs).into_response());
            }
        }
        Ok(payload)
    }
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, 50109, "The request body contains invalid JSON."))
}

async fn read_multipart(req: Request, shared: &Arc<Shared>) -> Result<Body, Response> {
    let mut form = Multipart::from_request(req, shared).await.map_err(IntoResponse::into_response)?;
    let mut json = Value::Null;
    let mut fields = Map::new();
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large().into_response()
        } else {
            e.into_response()
        }
    })? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let data = field.bytes().await.map_err(IntoResponse::into_response)?;
        if name == "payload_json" {
            json = parse_json(&data).map_err(IntoResponse::into_response)?;
        } else if let Some(filename) = filename {
            let index = name
                .strip_prefix("files[")
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|n| n.parse().ok());
            files.push(UploadedFile { field: name, index, filename, content_type, data: data.to_vec() });
        } else {
            // Plain form fields carry top-level JSON fields one by one.
            let text = String::from_utf8_lossy(&data).into_owned();
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            fields.insert(name, value);
        }
    }
    if !fields.is_empty() {
        let object = json.as_object_mut().map(std::mem::take).unwrap_or_default();
        fields.extend(object);
        json = Value::Object(fields);
    }
    Ok((json, files))
}

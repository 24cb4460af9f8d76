//! Messages as the mock keeps them: the object Discord returns (§1.7), the uploaded bytes, and
//! what only tests care about (allowed_mentions, edits, reply links).

use crate::{
    Attachment, Message, UploadedFile,
    error::{ApiError, FieldErrors, at},
    limits,
    state::{Shared, State, timestamp},
};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Flags a message body may set at creation (SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS,
/// IS_VOICE_MESSAGE, IS_COMPONENTS_V2); interaction responses may add EPHEMERAL.
pub(crate) const CREATE_FLAGS: u64 = 4 | 4096 | 8192 | limits::IS_COMPONENTS_V2;
pub(crate) const EPHEMERAL: u64 = 64;
pub(crate) const LOADING: u64 = 128;

#[derive(Clone)]
pub(crate) struct StoredMessage {
    pub json: Value,
    pub files: HashMap<u64, Vec<u8>>,
    pub allowed_mentions: Option<Value>,
    pub edit_count: u32,
    pub reply_to: Option<u64>,
    pub interaction_id: Option<u64>,
    pub author_id: u64,
}

/// Who a new message is from and where it goes.
pub(crate) struct Origin {
    pub channel_id: u64,
    /// 0 DEFAULT, 19 REPLY (set by `message_reference`), 20 CHAT_INPUT_COMMAND.
    pub kind: u8,
    pub author: Value,
    pub webhook_id: Option<u64>,
    /// The interaction it answers: `(id, interaction_metadata)`.
    pub interaction: Option<(u64, Value)>,
}

impl StoredMessage {
    pub fn new(shared: &Shared, origin: &Origin) -> Self {
        let id = shared.next_id();
        let mut json = json!({
            "id": id.to_string(), "channel_id": origin.channel_id.to_string(),
            "type": origin.kind, "content": "", "author": origin.author,
            "timestamp": timestamp(), "edited_timestamp": null, "tts": false,
            "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": false, "flags": 0, "components": [],
        });
        if shared.is_guild_channel(origin.channel_id) {
            json["guild_id"] = json!(shared.opts.guild_id.to_string());
        }
        if let Some(webhook_id) = origin.webhook_id {
            json["webhook_id"] = json!(webhook_id.to_string());
        }
        if let Some((_, metadata)) = &origin.interaction {
            json["application_id"] = json!(shared.opts.application_id.to_string());
            json["interaction_metadata"] = metadata.clone();
        }
        let author_id = origin.author["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or(0);
        Self {
            json,
            files: HashMap::new(),
            allowed_mentions: None,
            edit_count: 0,
            reply_to: None,
            interaction_id: origin.interaction.as_ref().map(|(id, _)| *id),
            author_id,
        }
    }

    pub fn id(&self) -> u64 {
        self.json["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or(0)
    }

    pub fn channel_id(&self) -> u64 {
        self.json["channel_id"].as_str().and_then(|id| id.parse().ok()).unwrap_or(0)
    }

    pub fn webhook_id(&self) -> Option<u64> {
        self.json["webhook_id"].as_str()?.parse().ok()
    }

    pub fn flags(&self) -> u64 {
        self.json["flags"].as_u64().unwrap_or(0)
    }

    /// This message after a create or edit body: present fields replace, absent ones stay
    /// (§1.4), and `attachments` lists the files to keep plus new uploads by placeholder id (§1.6).
    pub fn applied(&self, shared: &Shared, body: &Value, files: &[UploadedFile], allowed_flags: u64,
                   editing: bool) -> Result<StoredMessage, Rejection> {
        let mut next = self.clone();
        if editing {
            // Filling a deferred response ends its "thinking…" state.
            next.json["flags"] = json!(self.flags() & !LOADING);
        }
        next.apply(shared, body, files, allowed_flags, editing)?;
        Ok(next)
    }

    fn apply(&mut self, shared: &Shared, body: &Value, files: &[UploadedFile], allowed_flags: u64,
             editing: bool) -> Result<(), Rejection> {
        let mut errs = FieldErrors::default();
        limits::message(body, &mut errs);
        if let Some(flags) = body["flags"].as_u64() {
            let allowed = if editing { 4 | limits::IS_COMPONENTS_V2 } else { allowed_flags };
            if flags & !allowed != 0 {
                errs.add(&at!["flags"], "MESSAGE_FLAGS_INVALID", "Invalid flags");
            }
        }
        let max_size = shared.opts.max_file_size;
        if files.iter().any(|file| file.data.len() > max_size) {
            return Err(Rejection::State(ApiError::too_large()));
        }
        let attachments = self.next_attachments(shared, body, files, &mut errs);
        if !errs.is_empty() {
            return Err(Rejection::Body(errs));
        }
        for field in ["content", "embeds", "components", "tts", "poll"] {
            if let Some(value) = body.get(field) {
                self.json[field] = if value.is_null() { empty_of(field) } else { value.clone() };
            }
        }
        if let Some(flags) = body["flags"].as_u64() {
            // An edit may only toggle SUPPRESS_EMBEDS; the others stay as they were.
            let kept = if editing { self.flags() & !4 } else { self.flags() };
            self.json["flags"] = json!(kept | flags);
        }
        if let Some(mentions) = body.get("allowed_mentions") {
            self.allowed_mentions = Some(mentions.clone());
        }
        self.json["attachments"] = Value::Array(attachments.iter().map(|(json, _)| json.clone()).collect());
        self.files = attachments
            .into_iter()
            .filter_map(|(json, data)| Some((json["id"].as_str()?.parse().ok()?, data)))
            .collect();
        self.rewrite_attachment_urls();
        if self.is_empty() {
            return Err(Rejection::State(ApiError::empty_message()));
        }
        if editing {
            self.edit_count += 1;
            self.json["edited_timestamp"] = json!(timestamp());
        }
        Ok(())
    }

    /// The attachment list after this body: kept ones by id, then new uploads.
    fn next_attachments(&self, shared: &Shared, body: &Value, files: &[UploadedFile], errs: &mut FieldErrors)
        -> Vec<(Value, Vec<u8>)> {
        let existing: Vec<Value> = self.json["attachments"].as_array().cloned().unwrap_or_default();
        let upload = |index: usize, entry: Option<&Value>| -> Option<(Value, Vec<u8>)> {
            let file = files.iter().find(|f| f.index == Some(index))?;
            let filename = entry
                .and_then(|e| e["filename"].as_str())
                .unwrap_or(&file.filename)
                .to_owned();
            let id = shared.next_id();
            let url = format!("{}/attachments/{}/{id}/{filename}", shared.base_url, self.channel_id());
            let mut json = json!({
                "id": id.to_string(), "filename": filename, "size": file.data.len(),
                "url": url, "proxy_url": url,
                "content_type": file.content_type.clone().unwrap_or_else(|| guess_type(&filename)),
            });
            if let Some(description) = entry.and_then(|e| e["description"].as_str()) {
                json["description"] = json!(description);
            }
            Some((json, file.data.clone()))
        };
        let mut used = Vec::new();
        let mut next = Vec::new();
        match body.get("attachments").and_then(Value::as_array) {
            Some(list) => {
                for (i, entry) in list.iter().enumerate() {
                    let id = entry["id"].as_u64().or_else(|| entry["id"].as_str()?.parse().ok());
                    let kept = id.and_then(|id| {
                        existing.iter().find(|a| a["id"].as_str() == Some(&id.to_string()))
                    });
                    if let Some(kept) = kept {
                        let id: u64 = id.unwrap_or_default();
                        next.push((kept.clone(), self.files.get(&id).cloned().unwrap_or_default()));
                    } else if let Some(new) = id.and_then(|id| upload(id as usize, Some(entry))) {
                        used.push(id.unwrap_or_default() as usize);
                        next.push(new);
                    } else {
                        errs.add(&at!["attachments", i, "id"], "ATTACHMENT_NOT_FOUND",
                                 "Unknown attachment id: neither a kept attachment nor a files[n] upload");
                    }
                }
            }
            None => {
                for kept in &existing {
                    let id = kept["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or(0);
                    next.push((kept.clone(), self.files.get(&id).cloned().unwrap_or_default()));
                }
            }
        }
        // Uploads that the body did not list are attached all the same.
        for file in files {
            if let Some(index) = file.index
                && !used.contains(&index)
                && let Some(new) = upload(index, None)
            {
                next.push(new);
            }
        }
        next
    }

    /// `attachment://name` in embeds becomes the uploaded file's URL, as Discord returns it.
    fn rewrite_attachment_urls(&mut self) {
        let urls: HashMap<String, String> = self.json["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| Some((a["filename"].as_str()?.to_owned(), a["url"].as_str()?.to_owned())))
            .collect();
        let Some(embeds) = self.json["embeds"].as_array_mut() else { return };
        for embed in embeds {
            if embed["type"].is_null() && embed.is_object() {
                embed["type"] = json!("rich");
            }
            for (outer, inner) in [("image", "url"), ("thumbnail", "url"), ("author", "icon_url"), ("footer", "icon_url")] {
                let Some(object) = embed.get_mut(outer).and_then(Value::as_object_mut) else { continue };
                let Some(name) = object.get(inner).and_then(Value::as_str).and_then(|u| u.strip_prefix("attachment://")) else { continue };
                if let Some(url) = urls.get(name).cloned() {
                    object.insert(inner.to_owned(), json!(url));
                    if inner == "url" {
                        object.insert("proxy_url".to_owned(), json!(url));
                    }
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        let none = |field: &str| self.json[field].as_array().is_none_or(Vec::is_empty);
        self.json["content"].as_str().is_none_or(str::is_empty)
            && none("embeds")
            && none("components")
            && none("attachments")
            && none("sticker_items")
            && self.json["poll"].is_null()
            && self.flags() & LOADING == 0
    }

    /// The public view, with reply links resolved against the other messages.
    pub fn to_message(&self, state: &State) -> Message {
        let id = self.id();
        let attachments = self.json["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                let attachment_id = a["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or(0);
                Attachment {
                    id: attachment_id,
                    filename: a["filename"].as_str().unwrap_or_default().to_owned(),
                    description: a["description"].as_str().map(str::to_owned),
                    content_type: a["content_type"].as_str().map(str::to_owned),
                    data: self.files.get(&attachment_id).cloned().unwrap_or_default(),
                }
            })
            .collect();
        let mut replies: Vec<u64> = state
            .messages
            .values()
            .filter(|m| m.reply_to == Some(id))
            .map(StoredMessage::id)
            .collect();
        replies.sort_unstable();
        Message {
            id,
            channel_id: self.channel_id(),
            content: self.json["content"].as_str().unwrap_or_default().to_owned(),
            embeds: self.json["embeds"].as_array().cloned().unwrap_or_default(),
            components: self.json["components"].as_array().cloned().unwrap_or_default(),
            attachments,
            flags: self.flags(),
            author_id: self.author_id,
            reply_to: self.reply_to,
            replies,
            allowed_mentions: self.allowed_mentions.clone(),
            edit_count: self.edit_count,
            interaction_id: self.interaction_id,
            json: self.json.clone(),
        }
    }
}

fn empty_of(field: &str) -> Value {
    match field {
        "content" => json!(""),
        "tts" => json!(false),
        "poll" => Value::Null,
        _ => json!([]),
    }
}

fn guess_type(filename: &str) -> String {
    let extension = filename.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" | "log" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// Why a body was refused: its fields (a violation, 50035) or the state of things.
pub(crate) enum Rejection {
    Body(FieldErrors),
    State(ApiError),
}

/// A message object with an object's `referenced_message`, for replies.
pub(crate) fn with_reference(message: &StoredMessage, state: &State) -> Value {
    let mut json = message.json.clone();
    if let Some(parent) = message.reply_to.and_then(|id| state.messages.get(&id)) {
        json["referenced_message"] = parent.json.clone();
    }
    json
}

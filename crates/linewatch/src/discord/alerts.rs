//! Alerts through the bot: one message per incident in the alert channel, edited in place as
//! the incident evolves, with each resolve (and each critical alert that pings the admins)
//! posted as a reply to it. Delivered by the outbox workers like every notifier.
//!
//! Delivery is at least once; messages are created with the outbox id as `nonce` and
//! `enforce_nonce`, so a redelivery after a crash gets the same message back instead of a
//! second one, and the incident → message map is kept in the store.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Records;
use super::rest::{Rest, RestError};
use crate::alerts::{Notification, NotificationKind};
use crate::notify::DeliveryError;
use crate::notify::discord::{Mentions, incident_embed, notification_embed};

/// Discord's "Unknown Message": the incident's message was deleted.
const UNKNOWN_MESSAGE: u64 = 10008;

pub struct AlertPoster {
    rest: Arc<Rest>,
    channel: u64,
    mentions: Mentions,
    /// The notifier's name, the key of its messages in the store.
    name: String,
    records: Records,
}

impl AlertPoster {
    pub fn new(rest: Arc<Rest>, channel: u64, mentions: Mentions, store_path: PathBuf, name: &str) -> AlertPoster {
        AlertPoster { rest, channel, mentions, name: name.to_string(), records: Records::new(store_path) }
    }

    /// Delivers one notification; `key` is unique per outbox entry (`linewatch-<id>`).
    pub async fn deliver(&self, n: &Notification, key: &str) -> Result<(), DeliveryError> {
        let (content, allowed_mentions) = self.mentions.for_notification(n);
        let incident = incident_embed(&n.incident_view);
        let (name, incident_id) = (self.name.clone(), n.incident);
        let known = self.records.with(move |r| r.incident_message(&name, incident_id)).await.map_err(store_error)?;
        let message = match known {
            Some((channel, message)) => match self.rest.edit_message(channel, message, &json!({ "embeds": [incident] })).await {
                Ok(()) => Some(message),
                Err(RestError::Status { code: Some(UNKNOWN_MESSAGE), .. }) => None,
                Err(e) => return Err(classify(e)),
            },
            None => None,
        };
        let (message, created) = match message {
            Some(message) => (message, false),
            None => {
                let body = json!({
                    "content": content,
                    "embeds": [incident],
                    "allowed_mentions": allowed_mentions,
                    "nonce": nonce(key, ""),
                    "enforce_nonce": true,
                });
                let message = self.rest.create_message(self.channel, &without_empty_content(body)).await.map_err(classify)?;
                let (name, channel) = (self.name.clone(), self.channel);
                self.records.with(move |r| r.set_incident_message(&name, incident_id, channel, message)).await.map_err(store_error)?;
                (message, true)
            }
        };
        // A resolve is told as a reply; so is a ping that the edit alone would not send.
        let pings = !content.is_empty() && !created;
        if n.kind == NotificationKind::Resolved || pings {
            let body = json!({
                "content": content,
                "embeds": [notification_embed(n)],
                "allowed_mentions": allowed_mentions,
                "message_reference": { "message_id": message.to_string(), "fail_if_not_exists": false },
                "nonce": nonce(key, "r"),
                "enforce_nonce": true,
            });
            self.rest.create_message(self.channel, &without_empty_content(body)).await.map_err(classify)?;
        }
        Ok(())
    }

}

fn store_error(e: String) -> DeliveryError {
    DeliveryError::Retry { after: None, reason: format!("the incident's message cannot be looked up: {e}") }
}

/// A nonce of at most 25 characters, as Discord takes them.
fn nonce(key: &str, suffix: &str) -> String {
    let mut nonce = format!("{key}{suffix}");
    if nonce.len() > 25 {
        nonce = nonce[nonce.len() - 25..].to_string();
    }
    nonce
}

/// Discord refuses an empty `content` string beside embeds in some paths: leave it out.
fn without_empty_content(mut body: Value) -> Value {
    if body["content"].as_str().is_some_and(str::is_empty)
        && let Some(object) = body.as_object_mut()
    {
        object.remove("content");
    }
    body
}

fn classify(e: RestError) -> DeliveryError {
    if e.is_transient() {
        DeliveryError::Retry { after: None, reason: format!("Discord bot: {e}") }
    } else {
        DeliveryError::Permanent { reason: format!("Discord bot: {e}") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_fit_discords_25_characters() {
        assert_eq!(nonce("linewatch-42", "r"), "linewatch-42r");
        assert!(nonce("linewatch-123456789012345678", "r").len() <= 25);
    }
}

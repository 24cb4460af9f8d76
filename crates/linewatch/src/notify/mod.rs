//! Notifiers: where alerts go. Each turns a `Notification` into one request (or line) and says
//! whether it arrived, may be retried (and when), or can never be delivered. The outbox in the
//! store calls them in order per notifier and retries with backoff.

pub mod alertmanager;
pub mod console;
pub mod discord;
pub mod webhook;

use std::time::Duration;

use crate::alerts::{Notification, NotificationKind, Severity};
use crate::config::{NotifierConfig, NotifierKind};

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    /// Try again later: the receiver is down, overloaded or rate limiting (`after`: its own
    /// `retry_after`, to be honoured).
    #[error("{reason}")]
    Retry { after: Option<Duration>, reason: String },
    /// The receiver refuses this notification for good (malformed, gone): retrying cannot help.
    #[error("{reason}")]
    Permanent { reason: String },
}

/// The notifiers linewatch has, built from `[[notifier]]` entries.
pub enum Notifier {
    Console(console::Console),
    DiscordWebhook(discord::DiscordWebhook),
    Webhook(webhook::Webhook),
    Alertmanager(alertmanager::Alertmanager),
    /// The bot's alert channel (`[discord] alert_channel_id`): one message per incident.
    DiscordBot(crate::discord::alerts::AlertPoster),
}

impl Notifier {
    pub async fn deliver(&self, notification: &Notification, key: &str) -> Result<(), DeliveryError> {
        match self {
            Notifier::Console(n) => n.deliver(notification),
            Notifier::DiscordWebhook(n) => n.deliver(notification).await,
            Notifier::Webhook(n) => n.deliver(notification, key).await,
            Notifier::Alertmanager(n) => n.deliver(notification).await,
            Notifier::DiscordBot(n) => n.deliver(notification, key).await,
        }
    }
}

/// Which notifications a notifier takes: its name (its queue in the outbox) and the least
/// severity it wants.
#[derive(Debug, Clone)]
pub struct Routing {
    pub name: String,
    pub min_severity: Severity,
}

impl Routing {
    /// Whether this notifier wants the notification. Resolves go wherever the alert went.
    pub fn wants(&self, n: &Notification) -> bool {
        n.severity >= self.min_severity || n.kind == NotificationKind::Resolved
    }
}

/// A configured notifier.
pub struct Route {
    pub routing: Routing,
    pub notifier: Notifier,
}

/// Builds the notifiers of `[[notifier]]`, reading their secrets.
pub fn routes(configs: &[NotifierConfig]) -> anyhow::Result<Vec<Route>> {
    configs
        .iter()
        .map(|config| {
            let name = config.name();
            let url = config.url().map_err(|e| anyhow::anyhow!("notifier {name:?}: {e}"))?;
            let url = || url.clone().ok_or_else(|| anyhow::anyhow!("notifier {name:?} has no url"));
            let notifier = match config.kind {
                NotifierKind::Console => Notifier::Console(console::Console),
                NotifierKind::DiscordWebhook => Notifier::DiscordWebhook(discord::DiscordWebhook::new(
                    url()?,
                    discord::Mentions { users: config.admin_user_ids.clone(), roles: config.admin_role_ids.clone() },
                )),
                NotifierKind::Webhook => Notifier::Webhook(webhook::Webhook::new(url()?)),
                NotifierKind::Alertmanager => Notifier::Alertmanager(alertmanager::Alertmanager::new(&url()?)),
            };
            Ok(Route { routing: Routing { name, min_severity: config.min_severity }, notifier })
        })
        .collect()
}

/// Classifies an HTTP answer: 2xx delivered, 429 and 5xx retried (with the receiver's
/// `Retry-After` if it gave one), other 4xx refused for good. A failure never names the URL:
/// webhook URLs carry their secret (Discord's token, `?token=` of a generic hook).
async fn http_outcome(result: Result<reqwest::Response, reqwest::Error>, what: &str) -> Result<reqwest::Response, DeliveryError> {
    let response = result.map_err(|e| DeliveryError::Retry { after: None, reason: format!("{what}: {}", e.without_url()) })?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let header_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok());
    let body = response.text().await.unwrap_or_default();
    let body_after = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|j| j["retry_after"].as_f64());
    let excerpt: String = body.chars().take(300).collect();
    let reason = format!("{what}: HTTP {status}: {excerpt}");
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        let after = body_after.or(header_after).filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64);
        Err(DeliveryError::Retry { after, reason })
    } else {
        Err(DeliveryError::Permanent { reason })
    }
}

/// The HTTP client notifiers share: bounded time for every request.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("linewatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_delivery_does_not_name_the_secret_url() {
        // Nothing listens on port 9 of localhost: the connection is refused.
        let url = "http://127.0.0.1:9/hook?token=SECRET-TOKEN";
        let failed = http_outcome(http_client().post(url).send().await, "webhook").await.unwrap_err();
        let DeliveryError::Retry { reason, .. } = failed else { panic!("a refused connection is retried") };
        assert!(reason.starts_with("webhook: ") && !reason.contains("SECRET-TOKEN"), "{reason}");
    }
}

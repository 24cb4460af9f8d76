//! `[[notifier]]`: where alerts go.
//!
//! ```toml
//! [[notifier]]
//! kind = "discord-webhook"          # discord-webhook | webhook | alertmanager | console
//! url_env = "DISCORD_WEBHOOK_URL"   # the webhook URL is its token: only from env or file
//! admin_user_ids = ["423456789012345678"]
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use super::SecretSource;
use crate::alerts::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifierKind {
    DiscordWebhook,
    Webhook,
    Alertmanager,
    Console,
}

impl NotifierKind {
    pub fn name(self) -> &'static str {
        match self {
            NotifierKind::DiscordWebhook => "discord-webhook",
            NotifierKind::Webhook => "webhook",
            NotifierKind::Alertmanager => "alertmanager",
            NotifierKind::Console => "console",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierConfig {
    /// Defaults to the kind; must be unique (it names the notifier's queue in the outbox).
    #[serde(default)]
    pub name: Option<String>,
    pub kind: NotifierKind,
    /// A URL without secrets (Alertmanager's address, an internal webhook).
    #[serde(default)]
    pub url: Option<String>,
    /// A URL that is a secret (a Discord webhook URL carries its token).
    #[serde(default)]
    pub url_env: Option<String>,
    #[serde(default)]
    pub url_file: Option<PathBuf>,
    /// Discord: who is mentioned on critical alerts.
    #[serde(default)]
    pub admin_user_ids: Vec<String>,
    #[serde(default)]
    pub admin_role_ids: Vec<String>,
    /// Notifications below this severity are not sent here (resolves of sent ones always are).
    #[serde(default = "info")]
    pub min_severity: Severity,
}

fn info() -> Severity {
    Severity::Info
}

/// Where a notifier's URL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    Plain(String),
    Secret(SecretSource),
}

impl NotifierConfig {
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.kind.name().to_string())
    }

    pub fn url_source(&self) -> Result<Option<UrlSource>, String> {
        let secret = SecretSource::from_keys(self.url_env.as_deref(), self.url_file.as_deref(), "url")?;
        match (&self.url, secret) {
            (Some(_), Some(_)) => Err("set `url`, or `url_env`/`url_file`, not both".into()),
            (Some(url), None) => Ok(Some(UrlSource::Plain(url.clone()))),
            (None, Some(secret)) => Ok(Some(UrlSource::Secret(secret))),
            (None, None) => Ok(None),
        }
    }

    /// The URL, a secret one read and checked too (the error says where it came from, never
    /// what it is).
    pub fn url(&self) -> Result<Option<String>, String> {
        match self.url_source()? {
            None => Ok(None),
            Some(UrlSource::Plain(url)) => Ok(Some(url)),
            Some(UrlSource::Secret(source)) => {
                let url = source.read()?.expose().to_string();
                let web = reqwest::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
                if !web {
                    return Err(format!("the url in {source} is not an http:// or https:// URL"));
                }
                Ok(Some(url))
            }
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        let url = self.url_source()?;
        match (self.kind, &url) {
            (NotifierKind::Console, Some(_)) => Err("a console notifier has no url".into()),
            (NotifierKind::Console, None) => Ok(()),
            (NotifierKind::DiscordWebhook, Some(UrlSource::Plain(_))) => {
                Err("a Discord webhook URL contains its token: give it with `url_env` or `url_file`, not `url`".into())
            }
            (kind, None) => Err(format!("kind = \"{}\" needs `url` (or `url_env` / `url_file`)", kind.name())),
            (_, Some(UrlSource::Plain(url))) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                Err(format!("url = {url:?} is not an http:// or https:// URL"))
            }
            _ => Ok(()),
        }
    }
}

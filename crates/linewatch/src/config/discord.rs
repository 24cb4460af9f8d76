//! `[discord]`: the bot, run inside `linewatch run`.
//!
//! ```toml
//! [discord]
//! token_env = "DISCORD_TOKEN"          # or token_file
//! application_id = "123456789012345678"
//! guild_id = "223456789012345678"      # optional: guild-scoped commands
//! alert_channel_id = "323456789012345678"
//! admin_user_ids = ["423456789012345678"]
//! admin_role_ids = []
//! api_base = "https://discord.com"     # REST base; tests and proxies point it elsewhere
//! gateway_url = ""                     # optional override of the gateway URL
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use super::SecretSource;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// The bot token: a secret, from an environment variable or a file.
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    pub application_id: String,
    /// Commands are registered in this guild (they appear at once); global otherwise.
    #[serde(default)]
    pub guild_id: Option<String>,
    /// Where alerts go: one message per incident, edited as it evolves.
    #[serde(default)]
    pub alert_channel_id: Option<String>,
    /// Who may resync and reboot, and who is mentioned on critical alerts.
    #[serde(default)]
    pub admin_user_ids: Vec<String>,
    #[serde(default)]
    pub admin_role_ids: Vec<String>,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// Empty: Discord's own gateway.
    #[serde(default)]
    pub gateway_url: String,
}

fn default_api_base() -> String {
    DISCORD_API.to_string()
}

/// Discord's own REST base.
pub const DISCORD_API: &str = "https://discord.com";

/// A Discord id: a number, written as a string as Discord shows it.
pub fn snowflake(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok().filter(|id| *id > 0)
}

impl DiscordConfig {
    pub fn token_source(&self) -> Result<SecretSource, String> {
        SecretSource::from_keys(self.token_env.as_deref(), self.token_file.as_deref(), "token")?
            .ok_or_else(|| "the bot token is needed: set token_env or token_file".to_string())
    }

    pub fn application(&self) -> u64 {
        snowflake(&self.application_id).unwrap_or_default()
    }

    pub fn guild(&self) -> Option<u64> {
        self.guild_id.as_deref().and_then(snowflake)
    }

    pub fn alert_channel(&self) -> Option<u64> {
        self.alert_channel_id.as_deref().and_then(snowflake)
    }

    pub fn admin_users(&self) -> Vec<u64> {
        self.admin_user_ids.iter().filter_map(|id| snowflake(id)).collect()
    }

    pub fn admin_roles(&self) -> Vec<u64> {
        self.admin_role_ids.iter().filter_map(|id| snowflake(id)).collect()
    }

    pub(super) fn check(&self) -> Result<(), String> {
        self.token_source()?;
        let ids = [("application_id", Some(&self.application_id)), ("guild_id", self.guild_id.as_ref()), ("alert_channel_id", self.alert_channel_id.as_ref())];
        for (key, value) in ids {
            if let Some(value) = value
                && snowflake(value).is_none()
            {
                return Err(format!("{key} = {value:?} is not a Discord id (a number such as \"123456789012345678\")"));
            }
        }
        for (key, list) in [("admin_user_ids", &self.admin_user_ids), ("admin_role_ids", &self.admin_role_ids)] {
            if let Some(bad) = list.iter().find(|id| snowflake(id).is_none()) {
                return Err(format!("{key}: {bad:?} is not a Discord id (a number such as \"423456789012345678\")"));
            }
        }
        match reqwest::Url::parse(&self.api_base) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {}
            _ => return Err(format!("api_base = {:?} is not an http(s) URL such as \"https://discord.com\"", self.api_base)),
        }
        let websocket = self.gateway_url.starts_with("ws://") || self.gateway_url.starts_with("wss://");
        if !self.gateway_url.is_empty() && !websocket {
            return Err(format!("gateway_url = {:?} is not a ws:// or wss:// URL (leave it empty for Discord's)", self.gateway_url));
        }
        Ok(())
    }
}

//! `[http]`: where `/metrics` is served. `[[export]]`: where readings are pushed.
//!
//! ```toml
//! [http]
//! listen = "127.0.0.1:9433"        # /metrics for Prometheus; no HTTP server without it
//!
//! [[export]]
//! kind = "influx-v2"               # influx-v1 | influx-v2 | remote-write
//! url = "http://127.0.0.1:8086"    # Influx: the server; remote-write: the whole endpoint URL
//! org = "home"
//! bucket = "linewatch"
//! token_env = "INFLUX_TOKEN"
//!
//! [[export]]
//! name = "old-dashboards"
//! kind = "influx-v1"
//! url = "http://127.0.0.1:8086"
//! database = "modem"
//! schema = "modem-bot"             # the old bot's `measurements` (FECUP, SNRDOWN, MAXDOWN, …)
//! lines = ["home"]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{SecretSource, duration};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// `address:port` of the HTTP server (`/metrics`). Absent: no HTTP server.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportKind {
    /// InfluxDB 1.x `/write?db=…` (also VictoriaMetrics, QuestDB, …).
    InfluxV1,
    /// InfluxDB 2.x/3.x `/api/v2/write?org=…&bucket=…` with a token.
    InfluxV2,
    /// Prometheus remote-write 1.0 (Prometheus, VictoriaMetrics, Mimir, Thanos, Grafana Cloud).
    RemoteWrite,
}

impl ExportKind {
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::InfluxV1 => "influx-v1",
            ExportKind::InfluxV2 => "influx-v2",
            ExportKind::RemoteWrite => "remote-write",
        }
    }
}

/// How readings are laid out in InfluxDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InfluxSchema {
    /// Measurement `dsl` (or `wan`), one field per metric, tags from labels plus `line`: read
    /// through Influx's Prometheus naming the series are the `/metrics` names.
    #[default]
    Linewatch,
    /// The old modem bot's measurement `measurements` (fields FECUP … MAXDOWN, rates in kbps,
    /// no tags), so its Grafana dashboards keep working.
    ModemBot,
}

/// One `[[export]]` entry, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// Defaults to the kind; must be unique (it names the export in logs).
    #[serde(default)]
    pub name: Option<String>,
    pub kind: ExportKind,
    /// Influx: the server (`http://host:8086`, a path prefix is kept); remote-write: the
    /// endpoint (`http://host:9090/api/v1/write`). No credentials in it.
    pub url: String,
    /// influx-v1: the database.
    #[serde(default)]
    pub database: Option<String>,
    /// influx-v2: the organisation and bucket.
    #[serde(default)]
    pub org: Option<String>,
    #[serde(default)]
    pub bucket: Option<String>,
    /// influx-v1, remote-write: basic authentication.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// influx-v2 (`Authorization: Token …`), remote-write (`Authorization: Bearer …`).
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Influx only; defaults to `linewatch`.
    #[serde(default)]
    pub schema: Option<InfluxSchema>,
    /// Only these targets (`[[modem]]` or `[[firewall]]` names); all when empty.
    #[serde(default)]
    pub lines: Vec<String>,
    /// How often queued readings are sent.
    #[serde(default = "ten_seconds", deserialize_with = "duration")]
    pub interval: Duration,
    /// How long one request may take.
    #[serde(default = "ten_seconds", deserialize_with = "duration")]
    pub timeout: Duration,
}

fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}

impl ExportConfig {
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.kind.name().to_string())
    }

    pub fn password_source(&self) -> Result<Option<SecretSource>, String> {
        SecretSource::from_keys(self.password_env.as_deref(), self.password_file.as_deref(), "password")
    }

    pub fn token_source(&self) -> Result<Option<SecretSource>, String> {
        SecretSource::from_keys(self.token_env.as_deref(), self.token_file.as_deref(), "token")
    }

    pub fn schema(&self) -> InfluxSchema {
        self.schema.unwrap_or_default()
    }

    /// The checks serde cannot do, knowing the names of the `[[modem]]` and `[[firewall]]`
    /// entries (the `line` label of their series).
    pub(super) fn check(&self, modems: &[&str], firewalls: &[&str]) -> Result<(), String> {
        let kind = self.kind.name();
        let url = reqwest::Url::parse(&self.url).map_err(|e| format!("url is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("url must start with http:// or https://".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("url must not carry credentials: use `user` with `password_env`/`password_file`, or `token_env`/`token_file`".into());
        }
        let password = self.password_source()?;
        let token = self.token_source()?;
        let unused = |key: &str, set: bool| if set { Err(format!("`{key}` does not apply to kind = \"{kind}\"")) } else { Ok(()) };
        match self.kind {
            ExportKind::InfluxV1 => {
                if self.database.as_deref().is_none_or(|d| d.trim().is_empty()) {
                    return Err("kind = \"influx-v1\" needs `database`".into());
                }
                unused("org", self.org.is_some())?;
                unused("bucket", self.bucket.is_some())?;
                unused("token_env/token_file", token.is_some())?;
            }
            ExportKind::InfluxV2 => {
                if self.org.as_deref().is_none_or(|o| o.trim().is_empty()) || self.bucket.as_deref().is_none_or(|b| b.trim().is_empty()) {
                    return Err("kind = \"influx-v2\" needs `org` and `bucket`".into());
                }
                if token.is_none() {
                    return Err("kind = \"influx-v2\" needs `token_env` or `token_file`".into());
                }
                unused("database", self.database.is_some())?;
                unused("user", self.user.is_some())?;
                unused("password_env/password_file", password.is_some())?;
            }
            ExportKind::RemoteWrite => {
                unused("database", self.database.is_some())?;
                unused("org", self.org.is_some())?;
                unused("bucket", self.bucket.is_some())?;
                unused("schema", self.schema.is_some())?;
                if token.is_some() && (self.user.is_some() || password.is_some()) {
                    return Err("give either `token_env`/`token_file` or `user` with a password, not both".into());
                }
            }
        }
        if password.is_some() && self.user.is_none() {
            return Err("a password needs `user`".into());
        }
        if self.user.is_some() && password.is_none() {
            return Err("`user` needs `password_env` or `password_file`".into());
        }
        for line in &self.lines {
            if !modems.contains(&line.as_str()) && !firewalls.contains(&line.as_str()) {
                return Err(format!("lines: no [[modem]] or [[firewall]] is named {line:?}"));
            }
        }
        // The old bot's schema has no tag to tell lines apart (firewalls write nothing there).
        if self.schema() == InfluxSchema::ModemBot && self.lines.len() != 1 && (modems.len() > 1 || self.lines.len() > 1) {
            return Err("schema = \"modem-bot\" has no line tag: choose one line with `lines = [\"<modem name>\"]`".into());
        }
        if self.interval < Duration::from_secs(1) {
            return Err(format!("interval = {:?} is too short: at least 1s", self.interval));
        }
        if self.timeout.is_zero() {
            return Err("timeout must be longer than 0s".into());
        }
        Ok(())
    }
}

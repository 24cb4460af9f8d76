//! The configuration file (`linewatch.toml`): its shape, its defaults and its checks.
//!
//! Every error names the key and what was expected. Secrets are only referenced (`*_env`,
//! `*_file`), never written inline. Later sections (firewalls, Discord, alerts, storage) are
//! further tables beside `[[modem]]`.

pub mod alerts;
mod discord;
mod export;
mod notifiers;
mod secret;

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Deserializer};

pub use alerts::AlertsConfig;
pub use discord::{DISCORD_API, DiscordConfig};
pub use export::{ExportConfig, ExportKind, HttpConfig, InfluxSchema};
pub use notifiers::{NotifierConfig, NotifierKind, UrlSource};
pub use secret::{Secret, SecretSource};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where linewatch keeps its state (pinned host keys, history).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    #[serde(default, rename = "modem")]
    pub modems: Vec<ModemConfig>,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default, rename = "notifier")]
    pub notifiers: Vec<NotifierConfig>,
    #[serde(default, rename = "firewall")]
    pub firewalls: Vec<FirewallConfig>,
    /// Public-IP methods, DDNS and own probes; without it none of them run.
    #[serde(default)]
    pub wan: Option<WanConfig>,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default, rename = "export")]
    pub exports: Vec<ExportConfig>,
    /// The Discord bot; without it no bot runs.
    #[serde(default)]
    pub discord: Option<DiscordConfig>,
}

/// How a modem is read: which output it prints (driver) and how we reach its shell or pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriverKind {
    Broadcom,
    Homeware,
    Openwrt,
    ZteH267a,
    ZteH1600,
    Draytek,
}

impl DriverKind {
    pub fn name(self) -> &'static str {
        match self {
            DriverKind::Broadcom => "broadcom",
            DriverKind::Homeware => "homeware",
            DriverKind::Openwrt => "openwrt",
            DriverKind::ZteH267a => "zte-h267a",
            DriverKind::ZteH1600 => "zte-h1600",
            DriverKind::Draytek => "draytek",
        }
    }

    /// The transports this driver can work over; the first is the default.
    pub fn transports(self) -> &'static [TransportKind] {
        match self {
            DriverKind::Broadcom | DriverKind::Homeware | DriverKind::Openwrt => &[TransportKind::Ssh, TransportKind::Telnet],
            DriverKind::ZteH267a | DriverKind::ZteH1600 => &[TransportKind::Http],
            DriverKind::Draytek => &[TransportKind::Telnet, TransportKind::Ssh],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    Ssh,
    Telnet,
    Http,
}

impl TransportKind {
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Ssh => "ssh",
            TransportKind::Telnet => "telnet",
            TransportKind::Http => "http",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            TransportKind::Ssh => 22,
            TransportKind::Telnet => 23,
            TransportKind::Http => 80,
        }
    }
}

/// One `[[modem]]` entry, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemConfig {
    pub name: String,
    /// Targets of one site share incidents, and a line down there explains its WAN alerts.
    #[serde(default = "defaults::site")]
    pub site: String,
    pub driver: DriverKind,
    /// Defaults to the driver's usual transport (ssh; telnet for DrayTek; http for ZTE).
    #[serde(default)]
    pub transport: Option<TransportKind>,
    pub host: String,
    /// Defaults to the transport's port (22, 23, 80).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// SSH private key (OpenSSH format), instead of or besides the password.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Passphrase of `key_file`, if it has one.
    #[serde(default)]
    pub key_passphrase_env: Option<String>,
    #[serde(default)]
    pub key_passphrase_file: Option<PathBuf>,
    /// Time between two readings.
    #[serde(default = "defaults::interval", deserialize_with = "duration")]
    pub interval: Duration,
    /// How long one command (or page) may take.
    #[serde(default = "defaults::timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// How long connecting and logging in may take.
    #[serde(default = "defaults::connect_timeout", deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// SSH: also offer the old algorithms many modems still need (diffie-hellman-group1/14-sha1,
    /// ssh-rsa with SHA-1, ssh-dss, aes-cbc/3des-cbc, hmac-sha1). Off unless asked for.
    #[serde(default)]
    pub legacy_algorithms: bool,
    /// SSH: run commands in an interactive shell (for modems whose SSH has no exec: ZySH,
    /// Huawei ATP `sh`).
    #[serde(default)]
    pub shell: bool,
    /// Shell and Telnet: the end of the prompt the modem prints when it waits for a command.
    #[serde(default)]
    pub prompt: Option<String>,
    /// Telnet: the end of the login and password prompts.
    #[serde(default)]
    pub login_prompt: Option<String>,
    #[serde(default)]
    pub password_prompt: Option<String>,
    /// Broadcom: the name of the DSL command on this firmware (`xdslctl`, `xdslcmd`, `adsl`).
    #[serde(default)]
    pub command: Option<String>,
}

/// Which API a firewall speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallKind {
    PfsenseV2,
    PfsenseV1,
    Opnsense,
    /// Find out by asking.
    Auto,
}

impl FirewallKind {
    pub fn name(self) -> &'static str {
        match self {
            FirewallKind::PfsenseV2 => "pfsense-v2",
            FirewallKind::PfsenseV1 => "pfsense-v1",
            FirewallKind::Opnsense => "opnsense",
            FirewallKind::Auto => "auto",
        }
    }
}

/// One `[[firewall]]` entry, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallConfig {
    pub name: String,
    /// See `ModemConfig::site`: the firewall behind a modem belongs to the modem's site.
    #[serde(default = "defaults::site")]
    pub site: String,
    #[serde(default = "defaults::firewall_kind")]
    pub kind: FirewallKind,
    /// `https://192.168.1.1` (a port and a path prefix may follow).
    pub url: String,
    /// pfSense v2: the API key. pfSense v1: the client ID. OPNsense: the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// pfSense v1: the client token. OPNsense: the API secret.
    #[serde(default)]
    pub api_secret_env: Option<String>,
    #[serde(default)]
    pub api_secret_file: Option<PathBuf>,
    /// `sha256:AB:CD:...`: trust exactly this certificate (most firewalls have a self-signed one).
    #[serde(default)]
    pub tls_fingerprint: Option<String>,
    /// Accept any certificate. Only when written; a warning is logged at every start.
    #[serde(default)]
    pub tls_insecure: bool,
    #[serde(default = "defaults::firewall_interval", deserialize_with = "duration")]
    pub interval: Duration,
    /// How long one API request may take.
    #[serde(default = "defaults::timeout", deserialize_with = "duration")]
    pub timeout: Duration,
}

impl FirewallConfig {
    pub fn api_key_source(&self) -> Result<Option<SecretSource>, String> {
        SecretSource::from_keys(self.api_key_env.as_deref(), self.api_key_file.as_deref(), "api_key")
    }

    pub fn api_secret_source(&self) -> Result<Option<SecretSource>, String> {
        SecretSource::from_keys(self.api_secret_env.as_deref(), self.api_secret_file.as_deref(), "api_secret")
    }

    /// How the HTTPS certificate is checked.
    pub fn tls_check(&self) -> Result<TlsCheck, String> {
        match (&self.tls_fingerprint, self.tls_insecure) {
            (Some(_), true) => Err("set either tls_fingerprint or tls_insecure = true, not both".into()),
            (Some(pin), false) => parse_fingerprint(pin).map(TlsCheck::Pinned).map_err(|e| format!("tls_fingerprint {e}")),
            (None, true) => Ok(TlsCheck::Insecure),
            (None, false) => Ok(TlsCheck::SystemRoots),
        }
    }

    fn check(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.url).map_err(|e| format!("url = {:?} is not a URL ({e}): write it like \"https://192.168.1.1\"", self.url))?;
        match url.scheme() {
            "https" => {}
            "http" if self.tls_fingerprint.is_some() || self.tls_insecure => {
                return Err("tls_fingerprint and tls_insecure only apply to an https:// url".into());
            }
            "http" => {}
            other => return Err(format!("url must start with https:// (or http://), not {other}://")),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("url = {:?} has no host", self.url));
        }
        self.tls_check()?;
        let key = self.api_key_source()?;
        let secret = self.api_secret_source()?;
        let needs_secret = matches!(self.kind, FirewallKind::PfsenseV1 | FirewallKind::Opnsense);
        if key.is_none() {
            return Err(format!("kind = \"{}\" needs api_key_env or api_key_file", self.kind.name()));
        }
        if needs_secret && secret.is_none() {
            return Err(format!("kind = \"{}\" needs api_secret_env or api_secret_file as well", self.kind.name()));
        }
        if self.kind == FirewallKind::PfsenseV2 && secret.is_some() {
            return Err("kind = \"pfsense-v2\" uses only api_key_env or api_key_file: remove api_secret_*".into());
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

/// How a firewall's HTTPS certificate is checked: against the system roots (the default), a
/// pinned SHA-256 fingerprint (for the self-signed certificate most firewalls have), or not at
/// all when the user wrote `tls_insecure = true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsCheck {
    SystemRoots,
    /// SHA-256 of the server certificate (DER).
    Pinned([u8; 32]),
    Insecure,
}

/// `sha256:AB:CD:...` (as browsers and `openssl x509 -fingerprint -sha256` print it, with or
/// without colons, any case).
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], String> {
    let hex = text.trim().strip_prefix("sha256:").or_else(|| text.trim().strip_prefix("SHA256:")).ok_or_else(|| {
        "must start with \"sha256:\", e.g. \"sha256:AB:CD:...\" (openssl x509 -noout -fingerprint -sha256)".to_string()
    })?;
    let digits: String = hex.chars().filter(|c| *c != ':').collect();
    if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("must hold 32 bytes in hex after \"sha256:\", found {:?}", hex));
    }
    let mut pin = [0u8; 32];
    for (i, byte) in pin.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(pin)
}

/// `[wan]`: how the public address is found (a quorum of independent methods), the DDNS
/// name to check, and what our own probes ping when no firewall API is there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WanConfig {
    /// Web services that answer the caller's address as plain text. Each URL is one method.
    #[serde(default = "defaults::http_echo")]
    pub http_echo: Vec<String>,
    /// Resolvers asked for `dns_name`: together one method. OpenDNS answers `myip.opendns.com`
    /// with the address the question came from.
    #[serde(default = "defaults::dns_resolvers", deserialize_with = "resolvers")]
    pub dns_resolvers: Vec<SocketAddr>,
    #[serde(default = "defaults::dns_name")]
    pub dns_name: String,
    /// STUN servers (`host:port`). Each server is one method.
    #[serde(default = "defaults::stun_servers")]
    pub stun_servers: Vec<String>,
    /// How many methods must answer the same address for it to be believed.
    #[serde(default = "defaults::quorum")]
    pub quorum: usize,
    /// How long one method may take.
    #[serde(default = "defaults::probe_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// A DDNS name that should point at us.
    #[serde(default)]
    pub ddns_host: Option<String>,
    /// Public resolvers for `ddns_host`, so that local overrides do not hide a stale record.
    #[serde(default = "defaults::ddns_resolvers", deserialize_with = "resolvers")]
    pub ddns_resolvers: Vec<SocketAddr>,
    /// Own probes: addresses to ping besides the default gateway.
    #[serde(default)]
    pub ping_targets: Vec<IpAddr>,
    /// Own probes: time between two pings of a target.
    #[serde(default = "defaults::ping_interval", deserialize_with = "duration")]
    pub ping_interval: Duration,
    /// Own probes: RTT, stddev and loss are taken over this much time (dpinger's time_period).
    #[serde(default = "defaults::ping_window", deserialize_with = "duration")]
    pub ping_window: Duration,
}

impl WanConfig {
    fn check(&self) -> Result<(), String> {
        for url in &self.http_echo {
            match reqwest::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => return Err(format!("http_echo: {url:?} is not an http(s) URL")),
            }
        }
        if self.dns_name.trim().is_empty() {
            return Err("dns_name is empty".into());
        }
        for server in &self.stun_servers {
            if server.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err()) {
                return Err(format!("stun_servers: {server:?} is not host:port"));
            }
        }
        let methods = self.http_echo.len() + self.stun_servers.len() + usize::from(!self.dns_resolvers.is_empty());
        if self.quorum == 0 {
            return Err("quorum = 0: at least one method must answer".into());
        }
        if methods > 0 && self.quorum > methods {
            return Err(format!("quorum = {} is more than the {methods} methods configured", self.quorum));
        }
        if self.timeout.is_zero() {
            return Err("timeout must be longer than 0s".into());
        }
        if let Some(host) = &self.ddns_host {
            let label_ok = |l: &str| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if host.len() > 253 || !host.trim_end_matches('.').split('.').all(label_ok) {
                return Err(format!("ddns_host = {host:?} is not a host name such as \"home.example.net\""));
            }
        }
        if self.ddns_host.is_some() && self.ddns_resolvers.is_empty() {
            return Err("ddns_host needs at least one address in ddns_resolvers".into());
        }
        if self.ping_interval < Duration::from_millis(100) || self.ping_window < self.ping_interval {
            return Err("ping_interval must be at least 100ms and ping_window at least one interval".into());
        }
        Ok(())
    }
}

/// Resolver addresses: `"208.67.222.222"` (port 53) or `"127.0.0.1:5353"`.
fn resolvers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SocketAddr>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| {
            text.parse::<SocketAddr>()
                .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| serde::de::Error::custom(format!("{text:?} is not an IP address (with an optional :port)")))
        })
        .collect()
}

mod defaults {
    use std::net::SocketAddr;
    use std::time::Duration;

    /// With one line and one firewall, everything is one site.
    pub fn site() -> String {
        "home".to_string()
    }

    pub fn firewall_kind() -> super::FirewallKind {
        super::FirewallKind::Auto
    }
    pub fn firewall_interval() -> Duration {
        Duration::from_secs(10)
    }
    pub fn http_echo() -> Vec<String> {
        vec!["https://api.ipify.org".into(), "https://ipv4.icanhazip.com".into()]
    }
    pub fn dns_resolvers() -> Vec<SocketAddr> {
        vec![SocketAddr::from(([208, 67, 222, 222], 53)), SocketAddr::from(([208, 67, 220, 220], 53))]
    }
    pub fn dns_name() -> String {
        "myip.opendns.com".into()
    }
    pub fn stun_servers() -> Vec<String> {
        vec!["stun.cloudflare.com:3478".into(), "stun.l.google.com:19302".into()]
    }
    pub fn quorum() -> usize {
        2
    }
    pub fn probe_timeout() -> Duration {
        Duration::from_secs(5)
    }
    pub fn ddns_resolvers() -> Vec<SocketAddr> {
        vec![SocketAddr::from(([1, 1, 1, 1], 53)), SocketAddr::from(([9, 9, 9, 9], 53))]
    }
    pub fn ping_interval() -> Duration {
        Duration::from_secs(1)
    }
    pub fn ping_window() -> Duration {
        Duration::from_secs(60)
    }

    pub fn interval() -> Duration {
        Duration::from_secs(30)
    }
    pub fn timeout() -> Duration {
        Duration::from_secs(15)
    }
    pub fn connect_timeout() -> Duration {
        Duration::from_secs(10)
    }
}

/// `"30s"`, `"5m"`, `"1h 30m"` or a number of seconds.
pub(crate) fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(u64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Seconds(s) => Ok(Duration::from_secs(s)),
        Raw::Text(text) => humantime::parse_duration(text.trim()).map_err(|e| {
            serde::de::Error::custom(format!("invalid duration {text:?} ({e}): write it like \"30s\", \"5m\" or \"1h\""))
        }),
    }
}

impl ModemConfig {
    pub fn transport(&self) -> TransportKind {
        self.transport.unwrap_or(self.driver.transports()[0])
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.transport().default_port())
    }

    pub fn password_source(&self) -> Result<Option<SecretSource>, String> {
        SecretSource::from_keys(self.password_env.as_deref(), self.password_file.as_deref(), "password")
    }

    pub fn key_passphrase_source(&self) -> Result<Option<SecretSource>, String> {
        SecretSource::from_keys(self.key_passphrase_env.as_deref(), self.key_passphrase_file.as_deref(), "key_passphrase")
    }

    /// The checks serde cannot do. Messages start with the key they are about.
    fn check(&self) -> Result<(), String> {
        let transport = self.transport();
        if !self.driver.transports().contains(&transport) {
            let allowed: Vec<&str> = self.driver.transports().iter().map(|t| t.name()).collect();
            return Err(format!(
                "transport = \"{}\" does not work with driver = \"{}\"; use {}",
                transport.name(),
                self.driver.name(),
                allowed.join(" or ")
            ));
        }
        if self.host.trim().is_empty() {
            return Err("host is empty".into());
        }
        if self.port == Some(0) {
            return Err("port = 0 is not a port".into());
        }
        if self.interval < Duration::from_secs(1) {
            return Err(format!("interval = {:?} is too short: at least 1s", self.interval));
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err("timeout and connect_timeout must be longer than 0s".into());
        }
        self.password_source()?;
        self.key_passphrase_source()?;
        if self.shell && transport != TransportKind::Ssh {
            return Err("shell = true only applies to transport = \"ssh\"".into());
        }
        if self.command.is_some() && self.driver != DriverKind::Broadcom {
            return Err(format!("command only applies to driver = \"broadcom\", not \"{}\"", self.driver.name()));
        }
        Ok(())
    }
}

/// Where and what, without quoting the line: a mistyped key may hold a password.
fn describe_toml_error(error: &toml::de::Error, text: &str) -> String {
    let message = plain_types(error.message().trim_end());
    let message = message.as_str();
    let secret_key = ["password", "token", "api_key", "api_secret"].iter().any(|k| message.contains(&format!("unknown field `{k}`")));
    let hint = if secret_key {
        " (secrets are never written in the config: use the `*_env` or `*_file` key)"
    } else {
        ""
    };
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            // Name the key (the line's text before `=`), never its value.
            let line_text = text.lines().nth(line - 1).unwrap_or("");
            let key = line_text.split_once('=').map_or(line_text, |(k, _)| k).trim();
            let is_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.[]\"".contains(c));
            let table_hint = match key.strip_prefix('[').and_then(|k| k.strip_suffix(']')) {
                Some(table) if message.contains("expected a sequence") && !table.starts_with('[') => {
                    format!(" (there can be several: write [[{table}]] with double brackets, once per entry)")
                }
                _ => String::new(),
            };
            let key = if is_key { format!(" (`{key}`)") } else { String::new() };
            format!("line {line}, column {column}{key}: {message}{hint}{table_hint}")
        }
        None => format!("{message}{hint}"),
    }
}

/// serde's Rust type names in words a config writer knows.
fn plain_types(message: &str) -> String {
    let words = [
        ("expected u8", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ];
    words.iter().fold(message.to_string(), |m, (rust, plain)| m.replace(rust, plain))
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                anyhow::bail!("there is no config file {} (`linewatch init` writes a commented one; --config names another)", path.display())
            }
            Err(e) => anyhow::bail!("cannot read config file {}: {e}", path.display()),
        };
        Config::parse(&text).with_context(|| format!("in config file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!(describe_toml_error(&e, text)))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        let mut names = HashSet::new();
        for (i, modem) in self.modems.iter().enumerate() {
            let at = format!("[[modem]] #{} (name = {:?})", i + 1, modem.name);
            if modem.name.trim().is_empty() {
                bail!("[[modem]] #{}: name is empty", i + 1);
            }
            if !names.insert(modem.name.as_str()) {
                bail!("{at}: another modem already has this name");
            }
            modem.check().map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
        }
        // `linewatch poll NAME` finds a modem or a firewall: one name space for both.
        for (i, firewall) in self.firewalls.iter().enumerate() {
            let at = format!("[[firewall]] #{} (name = {:?})", i + 1, firewall.name);
            if firewall.name.trim().is_empty() {
                bail!("[[firewall]] #{}: name is empty", i + 1);
            }
            if !names.insert(firewall.name.as_str()) {
                bail!("{at}: a modem or another firewall already has this name");
            }
            firewall.check().map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
        }
        self.alerts.check().map_err(|e| anyhow::anyhow!("[alerts]: {e}"))?;
        if let Some(wan) = &self.wan {
            wan.check().map_err(|e| anyhow::anyhow!("[wan]: {e}"))?;
        }
        let mut notifier_names = HashSet::new();
        for (i, notifier) in self.notifiers.iter().enumerate() {
            let name = notifier.name();
            let at = format!("[[notifier]] #{} (name = {name:?})", i + 1);
            if !notifier_names.insert(name) {
                bail!("{at}: another notifier has this name; give each a distinct `name`");
            }
            notifier.check().map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
        }
        let modems: Vec<&str> = self.modems.iter().map(|m| m.name.as_str()).collect();
        let firewalls: Vec<&str> = self.firewalls.iter().map(|f| f.name.as_str()).collect();
        let mut export_names = HashSet::new();
        for (i, export) in self.exports.iter().enumerate() {
            let name = export.name();
            let at = format!("[[export]] #{} (name = {name:?})", i + 1);
            if !export_names.insert(name) {
                bail!("{at}: another export has this name; give each a distinct `name`");
            }
            export.check(&modems, &firewalls).map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
        }
        if let Some(discord) = &self.discord {
            discord.check().map_err(|e| anyhow::anyhow!("[discord]: {e}"))?;
        }
        Ok(())
    }

    /// Where state is kept: `--data-dir`, else `data_dir` in the config, else
    /// `$LINEWATCH_DATA_DIR`, else `$XDG_STATE_HOME/linewatch` (`~/.local/state/linewatch`),
    /// else `./linewatch-data`.
    pub fn data_dir(&self, flag: Option<&Path>) -> PathBuf {
        if let Some(dir) = flag.or(self.data_dir.as_deref()) {
            return dir.to_path_buf();
        }
        if let Some(dir) = std::env::var_os("LINEWATCH_DATA_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        let state_home = std::env::var_os("XDG_STATE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").filter(|d| !d.is_empty()).map(|h| PathBuf::from(h).join(".local/state")));
        match state_home {
            Some(dir) => dir.join("linewatch"),
            None => PathBuf::from("linewatch-data"),
        }
    }

    pub fn modem(&self, name: &str) -> anyhow::Result<&ModemConfig> {
        self.modems.iter().find(|m| m.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.modems.iter().map(|m| m.name.as_str()).collect();
            if known.is_empty() {
                anyhow::anyhow!("no modem named {name:?}: the config has no [[modem]] entries")
            } else {
                anyhow::anyhow!("no modem named {name:?}; the config has: {}", known.join(", "))
            }
        })
    }
}

/// The name of the WAN target our own probes read when there is no firewall.
pub const PROBES_TARGET: &str = "wan";

impl Config {
    pub fn firewall(&self, name: &str) -> Option<&FirewallConfig> {
        self.firewalls.iter().find(|f| f.name == name)
    }

    /// What watches the WAN, as (target, site): the firewalls, or without one our own probes
    /// (when `[wan]` is set), which watch the WAN behind the first modem.
    pub fn wan_targets(&self) -> Vec<(String, String)> {
        if !self.firewalls.is_empty() {
            return self.firewalls.iter().map(|f| (f.name.clone(), f.site.clone())).collect();
        }
        match (&self.wan, self.modems.first()) {
            (Some(_), Some(modem)) => vec![(PROBES_TARGET.to_string(), modem.site.clone())],
            (Some(_), None) => vec![(PROBES_TARGET.to_string(), PROBES_TARGET.to_string())],
            (None, _) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The config issue #3 promises to keep working unchanged.
    const PROMISED: &str = r#"
[[modem]]
name = "home"
driver = "broadcom"      # broadcom | homeware | openwrt | zte-h267a | zte-h1600 | draytek
transport = "ssh"        # ssh | telnet | http
host = "192.168.1.1"
port = 22
user = "admin"
password_env = "MODEM_PASSWORD"
interval = "30s"
"#;

    #[test]
    fn the_promised_config_reads() {
        let config = Config::parse(PROMISED).unwrap();
        let modem = config.modem("home").unwrap();
        assert_eq!(modem.driver, DriverKind::Broadcom);
        assert_eq!((modem.transport(), modem.port()), (TransportKind::Ssh, 22));
        assert_eq!(modem.interval, Duration::from_secs(30));
        assert_eq!(modem.password_source().unwrap(), Some(SecretSource::Env("MODEM_PASSWORD".into())));
    }

    #[test]
    fn defaults_follow_the_driver() {
        let config = Config::parse("[[modem]]\nname = \"v\"\ndriver = \"draytek\"\nhost = \"10.0.0.1\"\n").unwrap();
        let modem = config.modem("v").unwrap();
        assert_eq!((modem.transport(), modem.port(), modem.interval), (TransportKind::Telnet, 23, Duration::from_secs(30)));
    }

    /// The `[discord]` block of issue #6, as written there.
    #[test]
    fn the_discord_block_reads_and_its_mistakes_are_named() {
        let block = r#"
[discord]
token_env = "DISCORD_TOKEN"          # or token_file
application_id = "123456789012345678"
guild_id = "223456789012345678"      # optional: guild-scoped commands
alert_channel_id = "323456789012345678"
admin_user_ids = ["423456789012345678"]
admin_role_ids = []
api_base = "https://discord.com"     # REST base; tests and proxies point it elsewhere
gateway_url = ""                     # optional override of the gateway URL
"#;
        let config = Config::parse(&format!("{PROMISED}{block}")).unwrap();
        let discord = config.discord.unwrap();
        assert_eq!((discord.application(), discord.guild(), discord.alert_channel()), (123456789012345678, Some(223456789012345678), Some(323456789012345678)));
        assert_eq!(discord.admin_users(), [423456789012345678]);
        assert_eq!(discord.token_source().unwrap(), SecretSource::Env("DISCORD_TOKEN".into()));
        let e = error("[discord]\napplication_id = \"1\"\n");
        assert!(e.contains("[discord]") && e.contains("token_env"), "{e}");
        let e = error("[discord]\ntoken_env = \"T\"\napplication_id = \"1\"\nadmin_user_ids = [\"bob\"]\n");
        assert!(e.contains("admin_user_ids") && e.contains("\"bob\""), "{e}");
    }

    fn error(text: &str) -> String {
        format!("{:#}", Config::parse(text).unwrap_err())
    }

    #[test]
    fn mistakes_name_the_key_and_what_was_expected() {
        let e = error("[[modem]]\nname = \"a\"\ndriver = \"cisco\"\nhost = \"x\"\n");
        assert!(e.contains("driver") || e.contains("cisco"), "{e}");
        assert!(e.contains("broadcom") && e.contains("line 3"), "{e}");

        let e = error("[[modem]]\nname = \"a\"\ndriver = \"broadcom\"\nhost = \"x\"\npasword_env = \"P\"\n");
        assert!(e.contains("pasword_env") && e.contains("password_env"), "{e}");

        let e = error("[[modem]]\nname = \"a\"\ndriver = \"broadcom\"\nhost = \"x\"\ninterval = \"30 parsecs\"\n");
        assert!(e.contains("interval") && e.contains("30s"), "{e}");

        let e = error("[[modem]]\nname = \"a\"\ndriver = \"zte-h267a\"\ntransport = \"ssh\"\nhost = \"x\"\n");
        assert!(e.contains("\"a\"") && e.contains("transport") && e.contains("http"), "{e}");

        let e = error("[[modem]]\nname = \"a\"\ndriver = \"broadcom\"\n");
        assert!(e.contains("host"), "{e}");

        let e = error("[[modem]]\nname = \"a\"\ndriver = \"broadcom\"\nhost = \"x\"\n[[modem]]\nname = \"a\"\ndriver = \"openwrt\"\nhost = \"y\"\n");
        assert!(e.contains("#2") && e.contains("already"), "{e}");

        let e = error("[[modem]]\nname = \"a\"\ndriver = \"broadcom\"\nhost = \"x\"\npassword_env = \"P\"\npassword_file = \"/p\"\n");
        assert!(e.contains("password_env") && e.contains("password_file"), "{e}");
    }

    #[test]
    fn notifier_mistakes_are_named() {
        let e = error("[[notifier]]\nkind = \"discord-webhook\"\nurl = \"https://discord.com/api/webhooks/1/secret\"\n");
        assert!(e.contains("url_env") && !e.contains("/secret"), "{e}");
        let e = error("[[notifier]]\nkind = \"alertmanager\"\n");
        assert!(e.contains("needs `url`"), "{e}");
        let e = error("[[notifier]]\nkind = \"console\"\n[[notifier]]\nkind = \"console\"\n");
        assert!(e.contains("#2") && e.contains("distinct"), "{e}");
        let e = error("[[notifier]]\nkind = \"pager\"\n");
        assert!(e.contains("discord-webhook"), "{e}");
        assert!(Config::parse("[[notifier]]\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:9093\"\nmin_severity = \"warning\"\n").is_ok());
    }

    #[test]
    fn alert_thresholds_override_one_key_at_a_time() {
        let config = Config::parse("[alerts.crc_burst]\nthreshold = 50\n[alerts.snr_low]\nenabled = false\n").unwrap();
        assert_eq!(config.alerts.crc_burst.threshold, 50);
        assert_eq!(config.alerts.crc_burst.window, Duration::from_secs(300), "the rest keeps its default");
        assert!(!config.alerts.snr_low.enabled);
        let e = error("[alerts.crc_burst]\ntreshold = 50\n");
        assert!(e.contains("treshold") && e.contains("threshold"), "{e}");
    }

    #[test]
    fn exports_read_and_their_mistakes_are_named() {
        let config = Config::parse(concat!(
            "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"x\"\n",
            "[http]\nlisten = \"127.0.0.1:9433\"\n",
            "[[export]]\nkind = \"influx-v2\"\nurl = \"http://127.0.0.1:8086\"\norg = \"o\"\nbucket = \"b\"\ntoken_env = \"T\"\n",
            "[[export]]\nkind = \"influx-v1\"\nurl = \"http://127.0.0.1:8086\"\ndatabase = \"modem\"\nschema = \"modem-bot\"\n",
            "[[export]]\nkind = \"remote-write\"\nurl = \"http://127.0.0.1:8428/api/v1/write\"\nuser = \"u\"\npassword_file = \"/p\"\n",
        ))
        .unwrap();
        assert_eq!(config.http.listen, Some("127.0.0.1:9433".parse().unwrap()));
        let names: Vec<String> = config.exports.iter().map(|e| e.name()).collect();
        assert_eq!(names, ["influx-v2", "influx-v1", "remote-write"]);
        assert_eq!(config.exports[1].schema(), InfluxSchema::ModemBot);
        assert_eq!(config.exports[0].token_source().unwrap(), Some(SecretSource::Env("T".into())));

        let two = "[[modem]]\nname = \"a\"\ndriver = \"broadcom\"\nhost = \"x\"\n[[modem]]\nname = \"b\"\ndriver = \"broadcom\"\nhost = \"y\"\n";
        let v1 = "[[export]]\nkind = \"influx-v1\"\nurl = \"http://i:8086\"\ndatabase = \"d\"\n";
        let e = error(&format!("{two}{v1}schema = \"modem-bot\"\n"));
        assert!(e.contains("modem-bot") && e.contains("lines"), "{e}");
        assert!(Config::parse(&format!("{two}{v1}schema = \"modem-bot\"\nlines = [\"b\"]\n")).is_ok());
        let e = error(&format!("{two}{v1}lines = [\"c\"]\n"));
        assert!(e.contains("\"c\""), "{e}");
        let e = error("[[export]]\nkind = \"influx-v1\"\nurl = \"http://u:hunter2@i:8086\"\ndatabase = \"d\"\n");
        assert!(e.contains("credentials") && !e.contains("hunter2"), "{e}");
        let e = error("[[export]]\nkind = \"influx-v2\"\nurl = \"http://i:8086\"\norg = \"o\"\nbucket = \"b\"\n");
        assert!(e.contains("token_env"), "{e}");
        let e = error("[[export]]\nkind = \"influx-v2\"\nurl = \"http://i:8086\"\norg = \"o\"\nbucket = \"b\"\ntoken = \"t\"\n");
        assert!(e.contains("token_env") && !e.contains("= \"t\""), "{e}");
        let e = error("[[export]]\nkind = \"remote-write\"\nurl = \"http://i/api/v1/write\"\ndatabase = \"d\"\n");
        assert!(e.contains("database") && e.contains("remote-write"), "{e}");
        let e = error("[[export]]\nkind = \"remote-write\"\nurl = \"ftp://i/\"\n");
        assert!(e.contains("http://"), "{e}");
        let e = error("[[export]]\nkind = \"remote-write\"\nurl = \"http://i/w\"\nuser = \"u\"\n");
        assert!(e.contains("password_env"), "{e}");
        let e = error("[http]\nlisten = \"localhost\"\n");
        assert!(e.contains("listen") || e.contains("address"), "{e}");
    }

    #[test]
    fn unknown_modem_lists_the_known_ones() {
        let config = Config::parse(PROMISED).unwrap();
        let e = config.modem("office").unwrap_err().to_string();
        assert!(e.contains("office") && e.contains("home"), "{e}");
    }

    const FIREWALL: &str = r#"
[[firewall]]
name = "fw"
kind = "pfsense-v2"       # pfsense-v2 | pfsense-v1 | opnsense | auto
url = "https://192.168.1.1"
api_key_env = "PFSENSE_API_KEY"
tls_fingerprint = "sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

[wan]
http_echo = ["https://api.ipify.org"]
dns_resolvers = ["208.67.222.222", "127.0.0.1:5353"]
stun_servers = ["stun.cloudflare.com:3478"]
ddns_host = "home.example.net"
"#;

    #[test]
    fn firewall_and_wan_read_with_their_defaults() {
        let config = Config::parse(FIREWALL).unwrap();
        let fw = config.firewall("fw").unwrap();
        assert_eq!((fw.kind, fw.interval), (FirewallKind::PfsenseV2, Duration::from_secs(10)));
        assert_eq!(fw.api_key_source().unwrap(), Some(SecretSource::Env("PFSENSE_API_KEY".into())));
        assert!(matches!(fw.tls_check().unwrap(), TlsCheck::Pinned(pin) if pin[1] == 0x11));
        let wan = config.wan.unwrap();
        assert_eq!(wan.dns_resolvers, ["208.67.222.222:53".parse().unwrap(), "127.0.0.1:5353".parse().unwrap()]);
        assert_eq!((wan.quorum, wan.dns_name.as_str()), (2, "myip.opendns.com"));
        assert_eq!(wan.ddns_resolvers.len(), 2);

        let config = Config::parse("[[firewall]]\nname = \"o\"\nurl = \"https://fw\"\napi_key_env = \"K\"\n").unwrap();
        assert_eq!(config.firewall("o").unwrap().kind, FirewallKind::Auto);
    }

    #[test]
    fn firewall_mistakes_name_the_key() {
        let base = "[[firewall]]\nname = \"fw\"\nurl = \"https://fw\"\napi_key_env = \"K\"\n";
        let e = error(&format!("{base}kind = \"ipfire\"\n"));
        assert!(e.contains("kind") && e.contains("pfsense-v2"), "{e}");
        let e = error(&format!("{base}api_key = \"inline\"\n"));
        assert!(e.contains("api_key") && e.contains("api_key_env"), "{e}");
        let e = error(&format!("{base}kind = \"opnsense\"\n"));
        assert!(e.contains("\"fw\"") && e.contains("api_secret_env"), "{e}");
        let e = error(&format!("{base}tls_fingerprint = \"sha256:AB\"\n"));
        assert!(e.contains("tls_fingerprint") && e.contains("32 bytes"), "{e}");
        let e = error(&format!("{base}tls_insecure = true\ntls_fingerprint = \"sha256:AB\"\n"));
        assert!(e.contains("not both"), "{e}");
        let e = error("[[firewall]]\nname = \"fw\"\nurl = \"192.168.1.1\"\napi_key_env = \"K\"\n");
        assert!(e.contains("url") && e.contains("https://"), "{e}");
        let e = error(&format!("{PROMISED}[[firewall]]\nname = \"home\"\nurl = \"https://fw\"\napi_key_env = \"K\"\n"));
        assert!(e.contains("already has this name"), "{e}");
        let e = error("[wan]\ndns_resolvers = [\"opendns\"]\n");
        assert!(e.contains("dns_resolvers") && e.contains("opendns"), "{e}");
        let e = error("[wan]\nhttp_echo = []\nstun_servers = []\nquorum = 3\n");
        assert!(e.contains("quorum = 3") && e.contains("the 1 methods"), "{e}");
    }
}

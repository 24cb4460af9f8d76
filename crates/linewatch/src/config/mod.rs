//! The configuration file (`linewatch.toml`): its shape, its defaults and its checks.
//!
//! Every error names the key and what was expected. Secrets are only referenced (`*_env`,
//! `*_file`), never written inline. Later sections (firewalls, Discord, alerts, storage) are
//! further tables beside `[[modem]]`.

mod alerts;
mod notifiers;
mod secret;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Deserializer};

pub use alerts::AlertsConfig;
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

mod defaults {
    use std::time::Duration;

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
    let message = error.message().trim_end();
    let hint = if message.contains("unknown field `password`") || message.contains("unknown field `token`") {
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

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
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
        let mut notifier_names = HashSet::new();
        for (i, notifier) in self.notifiers.iter().enumerate() {
            let name = notifier.name();
            let at = format!("[[notifier]] #{} (name = {name:?})", i + 1);
            if !notifier_names.insert(name) {
                bail!("{at}: another notifier has this name; give each a distinct `name`");
            }
            notifier.check().map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
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
    fn unknown_modem_lists_the_known_ones() {
        let config = Config::parse(PROMISED).unwrap();
        let e = config.modem("office").unwrap_err().to_string();
        assert!(e.contains("office") && e.contains("home"), "{e}");
    }
}

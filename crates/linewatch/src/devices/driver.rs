//! Drivers: a transport plus a dialect. Each knows which commands read its modem cheaply,
//! which dialect reads their output, and how to resync the line and reboot the modem.

use std::path::Path;
use std::time::Duration;

use xdsl::{Dialect, LineReading, ParseError};

use super::prompt::Prompt;
use super::ssh::{SshClient, SshOptions};
use super::telnet::{TelnetClient, TelnetOptions};
use super::zte::{ZteClient, ZteModel, ZteOptions};
use super::{DeviceError, Shell};
use crate::config::{DriverKind, ModemConfig, TransportKind};

/// How often an idle SSH session is kept alive.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// A modem as configured: its driver and an open (or openable) connection to it.
pub struct Modem {
    name: String,
    driver: DriverKind,
    link: Link,
    timeout: Duration,
    /// Broadcom: the DSL command on this firmware (`xdslctl`, `xdslcmd`, `adsl`).
    command: String,
    /// Broadcom: what `info --show` said, read once per session.
    shown: Option<(u64, LineReading)>,
    /// DrayTek: `vdsl` or `adsl`, whichever this model answers to.
    draytek_family: &'static str,
}

// One per modem, for the daemon's lifetime: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Link {
    Shell(Shell),
    Zte(ZteClient),
}

impl Modem {
    /// Builds the modem from its config; reads its secrets; opens nothing yet.
    pub fn from_config(config: &ModemConfig, data_dir: &Path) -> anyhow::Result<Modem> {
        let at = |e: String| anyhow::anyhow!("modem {:?}: {e}", config.name);
        let password = config.password_source().map_err(at)?.map(|s| s.read()).transpose().map_err(at)?;
        let user = config.user.clone();
        let prompt = Prompt::new(config.prompt.as_deref());
        let link = match config.transport() {
            TransportKind::Ssh => {
                let key_passphrase = config.key_passphrase_source().map_err(at)?.map(|s| s.read()).transpose().map_err(at)?;
                Link::Shell(Shell::Ssh(SshClient::new(SshOptions {
                    host: config.host.clone(),
                    port: config.port(),
                    user: user.unwrap_or_else(|| "root".to_string()),
                    password,
                    key_file: config.key_file.clone(),
                    key_passphrase,
                    legacy_algorithms: config.legacy_algorithms,
                    shell: config.shell.then_some(prompt),
                    connect_timeout: config.connect_timeout,
                    keepalive: KEEPALIVE,
                    known_hosts: data_dir.join("known_hosts"),
                })))
            }
            TransportKind::Telnet => Link::Shell(Shell::Telnet(TelnetClient::new(TelnetOptions {
                host: config.host.clone(),
                port: config.port(),
                user,
                password,
                login_prompt: config.login_prompt.clone().unwrap_or_else(|| super::telnet::DEFAULT_LOGIN_PROMPT.to_string()),
                password_prompt: config.password_prompt.clone().unwrap_or_else(|| super::telnet::DEFAULT_PASSWORD_PROMPT.to_string()),
                prompt,
                connect_timeout: config.connect_timeout,
            }))),
            TransportKind::Http => {
                let model = match config.driver {
                    DriverKind::ZteH1600 => ZteModel::H1600,
                    _ => ZteModel::H267a,
                };
                let password = password.ok_or_else(|| at("the web login needs password_env or password_file".into()))?;
                Link::Zte(ZteClient::new(ZteOptions {
                    model,
                    base_url: format!("http://{}:{}", config.host, config.port()),
                    user: user.unwrap_or_else(|| "admin".to_string()),
                    password,
                    connect_timeout: config.connect_timeout,
                })?)
            }
        };
        Ok(Modem {
            name: config.name.clone(),
            driver: config.driver,
            link,
            timeout: config.timeout,
            command: config.command.clone().unwrap_or_else(|| "xdslctl".to_string()),
            shown: None,
            draytek_family: "vdsl",
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many sessions were opened so far: 1 as long as the first one holds.
    pub fn sessions_opened(&self) -> u64 {
        match &self.link {
            Link::Shell(shell) => shell.sessions_opened(),
            Link::Zte(client) => client.sessions_opened(),
        }
    }

    /// One reading of the line.
    pub async fn read(&mut self) -> Result<LineReading, DeviceError> {
        match self.driver {
            DriverKind::Broadcom => self.read_broadcom().await,
            DriverKind::Homeware => self.run_parsed("transformer-cli get sys.class.xdsl.@line0.", Dialect::Homeware).await,
            DriverKind::Openwrt => self.run_parsed("ubus call dsl metrics", Dialect::Openwrt).await,
            DriverKind::Draytek => self.read_draytek().await,
            DriverKind::ZteH267a | DriverKind::ZteH1600 => self.read_zte().await,
        }
    }

    /// `info --stats` every time; `info --show` once per session and link, for the line details
    /// some firmware leaves out of `--stats`. A firmware without `--show` loses nothing by it.
    async fn read_broadcom(&mut self) -> Result<LineReading, DeviceError> {
        let mut reading = self.run_parsed(&format!("{} info --stats", self.command), Dialect::Broadcom).await?;
        // Out of showtime, what `--show` said belongs to the link that is gone: nothing is
        // filled in (a down line has no rates), and the next link is asked afresh.
        if !reading.is_showtime() {
            self.shown = None;
            return Ok(reading);
        }
        let session = self.sessions_opened();
        if self.shown.as_ref().is_none_or(|(s, _)| *s != session) {
            let shown = match self.run_parsed(&format!("{} info --show", self.command), Dialect::Broadcom).await {
                Ok(shown) => shown,
                Err(error) => {
                    tracing::debug!(modem = %self.name, %error, "no line details from --show this session");
                    LineReading::new(Dialect::Broadcom)
                }
            };
            self.shown = Some((session, shown));
        }
        if let Some((_, shown)) = &self.shown {
            reading.fill_from(shown);
        }
        Ok(reading)
    }

    /// `vdsl status` for the line, `vdsl status more` for the counters (or `adsl …` on ADSL
    /// models, found out once).
    async fn read_draytek(&mut self) -> Result<LineReading, DeviceError> {
        let status = match self.run_parsed(&format!("{} status", self.draytek_family), Dialect::Draytek).await {
            Err(DeviceError::Parse { reason: ParseError::ModemError { .. }, .. }) if self.draytek_family == "vdsl" => {
                self.draytek_family = "adsl";
                self.run_parsed("adsl status", Dialect::Draytek).await?
            }
            other => other?,
        };
        let mut reading = status;
        let more = self.run_parsed(&format!("{} status more", self.draytek_family), Dialect::Draytek).await?;
        reading.fill_from(&more);
        Ok(reading)
    }

    async fn read_zte(&mut self) -> Result<LineReading, DeviceError> {
        let Link::Zte(client) = &mut self.link else { unreachable!("ZTE drivers are built with an HTTP link") };
        let page = client.dsl_status(self.timeout).await?;
        Dialect::Zte.parse(&page).map_err(|reason| DeviceError::Parse {
            addr: client.addr().to_string(),
            command: "GET DSL status page".to_string(),
            reason,
        })
    }

    async fn run_parsed(&mut self, command: &str, dialect: Dialect) -> Result<LineReading, DeviceError> {
        let output = self.run(command).await?;
        dialect.parse(&output).map_err(|reason| DeviceError::Parse {
            addr: self.name.clone(),
            command: command.to_string(),
            reason,
        })
    }

    async fn run(&mut self, command: &str) -> Result<String, DeviceError> {
        match &mut self.link {
            Link::Shell(shell) => shell.run(command, self.timeout).await,
            Link::Zte(_) => Err(self.unsupported(command)),
        }
    }

    /// Retrains the line: the modem drops the DSL link and trains it again.
    pub async fn resync(&mut self) -> Result<(), DeviceError> {
        let commands: Vec<String> = match self.driver {
            DriverKind::Broadcom => vec![format!("{} connection --down", self.command), format!("{} connection --up", self.command)],
            // Homeware modems are Broadcom inside; transformer has no resync of its own.
            DriverKind::Homeware => vec!["xdslctl connection --down".into(), "xdslctl connection --up".into()],
            DriverKind::Openwrt => vec!["/etc/init.d/dsl_control restart".into()],
            DriverKind::Draytek => vec![format!("{} reboot", self.draytek_family)],
            DriverKind::ZteH267a | DriverKind::ZteH1600 => return Err(self.unsupported("resync")),
        };
        for command in commands {
            self.run(&command).await?;
        }
        self.shown = None;
        Ok(())
    }

    /// Reboots the modem. The connection drops while it does: a lost session or a timeout
    /// after the command was sent is the expected answer.
    pub async fn reboot(&mut self) -> Result<(), DeviceError> {
        let command = match self.driver {
            DriverKind::Broadcom | DriverKind::Homeware | DriverKind::Openwrt => "reboot",
            DriverKind::Draytek => "sys reboot",
            DriverKind::ZteH267a | DriverKind::ZteH1600 => return Err(self.unsupported("reboot")),
        };
        match self.run(command).await {
            Ok(_) | Err(DeviceError::Disconnected { .. } | DeviceError::Timeout { .. }) => {
                self.shown = None;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn unsupported(&self, what: &str) -> DeviceError {
        DeviceError::Unsupported { what: what.to_string(), driver: self.driver.name().to_string() }
    }

    pub async fn close(&mut self) {
        if let Link::Shell(shell) = &mut self.link {
            shell.close().await;
        }
    }
}

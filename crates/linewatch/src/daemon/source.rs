//! What a poller reads: a modem or a firewall (with what the outside sees). One trait, so the
//! daemon's pollers and `linewatch poll` read the same way.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, SystemTime};

use xdsl::LineReading;

use super::control::ModemAction;
use super::pipeline::Check;
use crate::config::WanConfig;
use crate::devices::DeviceError;
use crate::devices::driver::Modem;
use crate::wan::WanReading;
use crate::wan::firewall::Firewall;

pub trait Source {
    type Reading: serde::Serialize + Clone + Send + 'static;
    type Error: Display;

    fn name(&self) -> &str;
    fn read(&mut self) -> impl Future<Output = Result<Self::Reading, Self::Error>> + Send;
    /// A reading (or its failure) as the pipeline takes it.
    fn check(&self, at: SystemTime, took: Duration, result: Result<Self::Reading, Self::Error>) -> Check;
    /// Resyncs or reboots, on the session the readings use.
    fn act(&mut self, action: ModemAction) -> impl Future<Output = Result<(), String>> + Send;
    /// Ends the session politely.
    fn close(&mut self) -> impl Future<Output = ()> + Send;
}

impl Source for Modem {
    type Reading = LineReading;
    type Error = DeviceError;

    fn name(&self) -> &str {
        Modem::name(self)
    }

    fn read(&mut self) -> impl Future<Output = Result<LineReading, DeviceError>> + Send {
        Modem::read(self)
    }

    fn check(&self, at: SystemTime, took: Duration, result: Result<LineReading, DeviceError>) -> Check {
        Check::Line { target: self.name().to_string(), at, took, result }
    }

    async fn act(&mut self, action: ModemAction) -> Result<(), String> {
        let done = match action {
            ModemAction::Read => return Ok(()),
            ModemAction::Resync => self.resync().await,
            ModemAction::Reboot => self.reboot().await,
        };
        done.map_err(|e| e.to_string())
    }

    fn close(&mut self) -> impl Future<Output = ()> + Send {
        Modem::close(self)
    }
}

/// A firewall's API, then what the outside sees of the WAN (`[wan]`: public IP, DDNS).
pub struct FirewallSource {
    pub firewall: Firewall,
    pub wan: Option<WanConfig>,
}

impl Source for FirewallSource {
    type Reading = WanReading;
    type Error = String;

    fn name(&self) -> &str {
        self.firewall.name()
    }

    async fn read(&mut self) -> Result<WanReading, String> {
        let mut reading = self.firewall.read().await.map_err(|e| e.to_string())?;
        if let Some(wan) = &self.wan {
            reading.observe_outside(wan).await;
        }
        Ok(reading)
    }

    fn check(&self, at: SystemTime, took: Duration, result: Result<WanReading, String>) -> Check {
        Check::Wan { target: self.name().to_string(), at, took, result }
    }

    async fn act(&mut self, _: ModemAction) -> Result<(), String> {
        Err(format!("{} is a firewall: it is only read", self.name()))
    }

    async fn close(&mut self) {}
}

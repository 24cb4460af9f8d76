//! Telnet transport: a small tokio client with option negotiation, login by prompts, and the
//! same one-command-at-a-time interface as SSH.

use std::time::Duration;

use super::DeviceError;
use super::prompt::Prompt;
use crate::config::Secret;

#[derive(Debug, Clone)]
pub struct TelnetOptions {
    pub host: String,
    pub port: u16,
    /// Sent at the login prompt, if the device asks for one.
    pub user: Option<String>,
    /// Sent at the password prompt.
    pub password: Option<Secret>,
    /// The end of the login prompt (default `ogin:`, which covers `Login:` and `login:`).
    pub login_prompt: String,
    /// The end of the password prompt (default `assword:`).
    pub password_prompt: String,
    /// The shell prompt.
    pub prompt: Prompt,
    pub connect_timeout: Duration,
}

pub struct TelnetClient {
    options: TelnetOptions,
}

impl TelnetClient {
    pub fn new(options: TelnetOptions) -> Self {
        TelnetClient { options }
    }

    pub async fn run(&mut self, command: &str, timeout: Duration) -> Result<String, DeviceError> {
        let _ = (command, timeout, &self.options);
        unimplemented!("Telnet transport")
    }

    pub fn sessions_opened(&self) -> u64 {
        0
    }

    pub async fn close(&mut self) {}
}

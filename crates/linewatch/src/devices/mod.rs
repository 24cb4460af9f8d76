//! Talking to modems: transports (SSH, Telnet, HTTP) and drivers (which commands to run, which
//! dialect reads their output, how to resync and reboot).

pub mod backoff;
pub mod driver;
pub mod prompt;
pub mod ssh;
pub mod telnet;
pub mod zte;

use std::time::Duration;

/// Why talking to a device failed. Messages name the device and never carry secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeviceError {
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },

    #[error("{addr}: login as {user:?} refused: wrong user name, password or key")]
    AuthFailed { addr: String, user: String },

    #[error(
        "{addr}: the host key changed: pinned {pinned}, offered {offered}. Refusing to connect: \
         the modem may have been replaced or reset, or someone is in between. If the change is \
         expected, remove the line for {addr} from {file}"
    )]
    HostKeyChanged { addr: String, pinned: String, offered: String, file: String },

    #[error("{addr}: `{command}` gave no complete answer within {after:?}")]
    Timeout { addr: String, command: String, after: Duration },

    #[error("{addr}: connection lost: {reason}")]
    Disconnected { addr: String, reason: String },

    /// A recent attempt failed; the next one waits. Carries that failure.
    #[error("{last} (next attempt in {}s)", wait.as_secs().max(1))]
    Backoff { wait: Duration, last: Box<DeviceError> },

    #[error("{addr}: {reason}")]
    Protocol { addr: String, reason: String },

    #[error("{addr}: the output of `{command}` could not be read: {reason}")]
    Parse { addr: String, command: String, reason: xdsl::ParseError },

    #[error("{what} is not supported by driver {driver}")]
    Unsupported { what: String, driver: String },
}

impl DeviceError {
    /// What went wrong, seen through a backoff: the failure of the last attempt.
    pub fn cause(&self) -> &DeviceError {
        match self {
            DeviceError::Backoff { last, .. } => last.cause(),
            other => other,
        }
    }
}

/// A shell on a device that runs one command at a time: SSH (exec channels on one persistent
/// session, or an interactive shell) or Telnet.
pub enum Shell {
    Ssh(ssh::SshClient),
    Telnet(telnet::TelnetClient),
}

impl Shell {
    /// Runs `command` and returns what it printed. Connects (or reconnects) on demand.
    pub async fn run(&mut self, command: &str, timeout: Duration) -> Result<String, DeviceError> {
        match self {
            Shell::Ssh(client) => client.run(command, timeout).await,
            Shell::Telnet(client) => client.run(command, timeout).await,
        }
    }

    /// How many sessions were opened so far (1 for a session that was never lost).
    pub fn sessions_opened(&self) -> u64 {
        match self {
            Shell::Ssh(client) => client.sessions_opened(),
            Shell::Telnet(client) => client.sessions_opened(),
        }
    }

    pub async fn close(&mut self) {
        match self {
            Shell::Ssh(client) => client.close().await,
            Shell::Telnet(client) => client.close().await,
        }
    }
}

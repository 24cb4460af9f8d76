//! SSH transport (russh): one persistent session per modem, each command on its own exec
//! channel (or in an interactive shell for modems without exec), host key pinned on first
//! connect, legacy algorithms only on request, reconnect with capped exponential backoff.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::known_hosts::known_host_keys_path;
use russh::keys::{Algorithm, HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{AlgorithmKind, Channel, ChannelMsg, Disconnect, MethodKind, Preferred, Sig, cipher, kex, mac};
use tokio::time::{Instant, timeout, timeout_at};
use tracing::{debug, info, warn};

use super::DeviceError;
use super::backoff::Backoff;
use super::prompt::{self, Prompt};
use crate::config::Secret;

/// Everything needed to reach one modem over SSH.
#[derive(Debug, Clone)]
pub struct SshOptions {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret>,
    /// OpenSSH private key file, tried before the password.
    pub key_file: Option<PathBuf>,
    pub key_passphrase: Option<Secret>,
    /// Also offer diffie-hellman-group1/14-sha1, ssh-rsa (SHA-1), ssh-dss, aes-cbc/3des-cbc, hmac-sha1.
    pub legacy_algorithms: bool,
    /// Run commands in an interactive shell (PTY) that prints this prompt, instead of exec.
    pub shell: Option<Prompt>,
    pub connect_timeout: Duration,
    /// Keepalive interval on an idle session.
    pub keepalive: Duration,
    /// known_hosts-style file where host keys are pinned.
    pub known_hosts: PathBuf,
}

/// More output than any modem command prints: a peer sending more is broken or hostile.
const MAX_OUTPUT: usize = 4 << 20;
/// Rounds of keyboard-interactive questions we answer before giving up on a chatty server.
const MAX_KBD_ROUNDS: usize = 5;
/// How long an interrupted shell command may take to give the prompt back.
const INTERRUPT_GRACE: Duration = Duration::from_secs(2);
const CTRL_C: u8 = 0x03;

pub struct SshClient {
    options: SshOptions,
    /// `host:port`, for messages.
    addr: String,
    config: Arc<client::Config>,
    session: Option<Session>,
    backoff: Backoff,
    /// Why the last connection attempt failed, told again while the backoff runs.
    last_failure: Option<DeviceError>,
    sessions_opened: u64,
}

impl SshClient {
    /// No I/O here: the session is opened by the first `run`.
    pub fn new(options: SshOptions) -> Self {
        let config = client::Config {
            keepalive_interval: (!options.keepalive.is_zero()).then_some(options.keepalive),
            nodelay: true,
            preferred: preferred_algorithms(options.legacy_algorithms),
            ..Default::default()
        };
        let addr = if options.host.contains(':') {
            format!("[{}]:{}", options.host, options.port)
        } else {
            format!("{}:{}", options.host, options.port)
        };
        SshClient {
            options,
            addr,
            config: Arc::new(config),
            session: None,
            backoff: Backoff::default(),
            last_failure: None,
            sessions_opened: 0,
        }
    }

    /// Runs `command` and returns what it printed (stdout and stderr). Opens the session if
    /// there is none; a session found dead before the command reached the modem is replaced
    /// once, so a modem that rebooted between two readings costs no reading.
    pub async fn run(&mut self, command: &str, timeout: Duration) -> Result<String, DeviceError> {
        loop {
            let (mut session, fresh) = match self.session.take() {
                Some(session) if !session.handle.is_closed() => (session, false),
                stale => {
                    if let Some(stale) = stale {
                        let reason = stale.end_reason().await;
                        warn!(addr = %self.addr, %reason, "SSH session lost; reconnecting");
                    }
                    (self.connect().await?, true)
                }
            };
            let job = Job { addr: &self.addr, command, timeout, deadline: Instant::now() + timeout };
            let result = match &self.options.shell {
                None => session.exec(&job).await,
                Some(prompt) => session.in_shell(&job, prompt).await,
            };
            match result {
                Ok(output) => {
                    self.session = Some(session);
                    return Ok(output);
                }
                Err(Failure::Command(e)) => {
                    self.session = Some(session);
                    return Err(e);
                }
                Err(Failure::SessionLost(e)) => {
                    warn!(addr = %self.addr, error = %e, "SSH session does not answer; dropping it");
                    return Err(e);
                }
                Err(Failure::NotSent(reason)) if fresh => {
                    return Err(DeviceError::Disconnected { addr: self.addr.clone(), reason });
                }
                Err(Failure::NotSent(_)) => {
                    let reason = session.end_reason().await;
                    warn!(addr = %self.addr, %reason, "SSH session found dead; reconnecting to run `{command}`");
                }
            }
        }
    }

    pub fn sessions_opened(&self) -> u64 {
        self.sessions_opened
    }

    /// Says goodbye to the modem and drops the session.
    pub async fn close(&mut self) {
        if let Some(Session { handle, shell }) = self.session.take() {
            drop(shell);
            if handle.disconnect(Disconnect::ByApplication, "", "en").await.is_ok() {
                // Let the goodbye leave, but never wait long on a modem that does not answer.
                let _ = timeout(Duration::from_secs(2), handle).await;
            }
            debug!(addr = %self.addr, "SSH session closed");
        }
    }

    /// Connects, checks the host key and logs in, within `connect_timeout`; arms the backoff
    /// when that fails, and refuses to try while the backoff runs.
    async fn connect(&mut self) -> Result<Session, DeviceError> {
        if let Err(wait) = self.backoff.ready(std::time::Instant::now()) {
            let last = self.last_failure.clone().unwrap_or_else(|| DeviceError::Connect { addr: self.addr.clone(), reason: "not connected".into() });
            return Err(DeviceError::Backoff { wait, last: Box::new(last) });
        }
        let result = match timeout(self.options.connect_timeout, self.handshake()).await {
            Ok(result) => result,
            Err(_) => Err(DeviceError::Connect {
                addr: self.addr.clone(),
                reason: format!("no SSH login within {:?}", self.options.connect_timeout),
            }),
        };
        match &result {
            Ok(_) => {
                self.backoff.succeeded();
                self.sessions_opened += 1;
                info!(addr = %self.addr, user = %self.options.user, "SSH session open");
            }
            Err(e) => {
                self.backoff.failed(std::time::Instant::now());
                self.last_failure = Some(e.clone());
                debug!(addr = %self.addr, error = %e, "SSH connection failed");
            }
        }
        result
    }

    async fn handshake(&self) -> Result<Session, DeviceError> {
        let pinning = Pinning {
            host: self.options.host.clone(),
            port: self.options.port,
            file: self.options.known_hosts.clone(),
        };
        let mut handle = client::connect(self.config.clone(), (self.options.host.as_str(), self.options.port), pinning)
            .await
            .map_err(|e| self.handshake_error(e))?;
        authenticate(&mut handle, &self.options, &self.addr).await?;
        Ok(Session { handle, shell: None })
    }

    fn handshake_error(&self, error: SessionError) -> DeviceError {
        let addr = self.addr.clone();
        match error {
            SessionError::KeyChanged { pinned, offered } => DeviceError::HostKeyChanged {
                addr,
                pinned,
                offered,
                file: self.options.known_hosts.display().to_string(),
            },
            SessionError::Ssh(russh::Error::NoCommonAlgo { kind, theirs, .. }) => {
                let what = match kind {
                    AlgorithmKind::Kex => "key exchange",
                    AlgorithmKind::Key => "host key",
                    AlgorithmKind::Cipher => "cipher",
                    AlgorithmKind::Mac => "MAC",
                    AlgorithmKind::Compression => "compression",
                };
                let mut reason = format!("no common {what} algorithm (the modem offers {})", theirs.join(", "));
                if !self.options.legacy_algorithms {
                    reason.push_str(
                        "; old modems need old algorithms: set legacy_algorithms = true in this modem's config",
                    );
                }
                DeviceError::Connect { addr, reason }
            }
            other => DeviceError::Connect { addr, reason: other.to_string() },
        }
    }
}

/// russh's safe defaults, or those followed by the old algorithms many modems still need.
fn preferred_algorithms(legacy: bool) -> Preferred {
    let modern = Preferred::default();
    if !legacy {
        // russh's defaults still accept ssh-rsa host keys signed with SHA-1: that is legacy too.
        let key = modern.key.iter().filter(|a| **a != Algorithm::Rsa { hash: None }).cloned().collect();
        return Preferred { key: Cow::Owned(key), ..modern };
    }
    fn then<T: Clone>(modern: &[T], legacy: &[T]) -> Cow<'static, [T]> {
        Cow::Owned(modern.iter().chain(legacy).cloned().collect())
    }
    Preferred {
        kex: then(&modern.kex, &[kex::DH_G14_SHA1, kex::DH_G1_SHA1]),
        key: then(&modern.key, &[Algorithm::Dsa]),
        cipher: then(
            &modern.cipher,
            &[cipher::AES_128_CBC, cipher::AES_192_CBC, cipher::AES_256_CBC, cipher::TRIPLE_DES_CBC],
        ),
        mac: then(&modern.mac, &[mac::HMAC_SHA1]),
        ..modern
    }
}

/// Public key first, then the password, then keyboard-interactive answered with the password
/// (some dropbear builds offer only that).
async fn authenticate(handle: &mut Handle<Pinning>, options: &SshOptions, addr: &str) -> Result<(), DeviceError> {
    let user = options.user.as_str();
    let lost =
        |e: russh::Error| DeviceError::Connect { addr: addr.to_string(), reason: format!("login interrupted: {e}") };
    if let Some(path) = &options.key_file {
        let passphrase = options.key_passphrase.as_ref().map(Secret::expose);
        let key = russh::keys::load_secret_key(path, passphrase).map_err(|e| DeviceError::Connect {
            addr: addr.to_string(),
            reason: format!("cannot use key_file {}: {e}", path.display()),
        })?;
        let rsa_hash = match key.algorithm().is_rsa() {
            true => handle.best_supported_rsa_hash().await.map_err(lost)?.flatten(),
            false => None,
        };
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), rsa_hash);
        if handle.authenticate_publickey(user, key).await.map_err(lost)?.success() {
            return Ok(());
        }
        debug!(%addr, user, "public key refused");
    }
    if let Some(password) = &options.password {
        match handle.authenticate_password(user, password.expose()).await.map_err(lost)? {
            AuthResult::Success => return Ok(()),
            AuthResult::Failure { remaining_methods, .. } => {
                if remaining_methods.contains(&MethodKind::KeyboardInteractive)
                    && keyboard_interactive(handle, user, password).await.map_err(lost)?
                {
                    return Ok(());
                }
            }
        }
    }
    Err(DeviceError::AuthFailed { addr: addr.to_string(), user: user.to_string() })
}

/// Hidden prompts get the password, echoed ones (a user name question) the user name.
async fn keyboard_interactive(
    handle: &mut Handle<Pinning>,
    user: &str,
    password: &Secret,
) -> Result<bool, russh::Error> {
    let mut reply = handle.authenticate_keyboard_interactive_start(user, None).await?;
    for _ in 0..MAX_KBD_ROUNDS {
        match reply {
            KeyboardInteractiveAuthResponse::Success => return Ok(true),
            KeyboardInteractiveAuthResponse::Failure { .. } => return Ok(false),
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let answers =
                    prompts.iter().map(|p| if p.echo { user } else { password.expose() }.to_string()).collect();
                reply = handle.authenticate_keyboard_interactive_respond(answers).await?;
            }
        }
    }
    Ok(false)
}

/// Why a session ended or could not be opened.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error(transparent)]
    Ssh(#[from] russh::Error),
    #[error("the host key changed: pinned {pinned}, offered {offered}")]
    KeyChanged { pinned: String, offered: String },
    #[error("{0}")]
    KnownHosts(String),
}

/// Checks the modem's host key against the keys pinned for its host:port; pins it on first sight.
struct Pinning {
    host: String,
    port: u16,
    file: PathBuf,
}

impl client::Handler for Pinning {
    type Error = SessionError;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, SessionError> {
        let offered = key.public_key();
        let unreadable = |e: &dyn std::fmt::Display| {
            SessionError::KnownHosts(format!("known hosts file {}: {e}", self.file.display()))
        };
        let pinned = known_host_keys_path(&self.host, self.port, &self.file).map_err(|e| unreadable(&e))?;
        if pinned.is_empty() {
            pin(&self.host, self.port, &offered, &self.file).map_err(|e| unreadable(&e))?;
            info!(host = %self.host, port = self.port, key = %fingerprint(&offered), file = %self.file.display(), "pinned the SSH host key");
            return Ok(true);
        }
        if pinned.iter().any(|(_, k)| k.key_data() == offered.key_data()) {
            return Ok(true);
        }
        let pinned: Vec<String> = pinned.iter().map(|(_, k)| fingerprint(k)).collect();
        Err(SessionError::KeyChanged { pinned: pinned.join(", "), offered: fingerprint(&offered) })
    }
}

/// `SHA256:...`, as OpenSSH prints it.
fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Records the key, in the format `known_host_keys_path` reads (russh's own writer starts a new
/// file with an empty line). A file and folder we create are readable by us only (0600 / 0700).
fn pin(host: &str, port: u16, key: &PublicKey, file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut known_hosts = std::fs::OpenOptions::new().read(true).append(true).create(true).mode(0o600).open(file)?;
    let mut last = [b'\n'];
    if known_hosts.seek(SeekFrom::End(-1)).is_ok() {
        known_hosts.read_exact(&mut last)?;
    }
    let separator = if last[0] == b'\n' { "" } else { "\n" };
    let host = if port == 22 { host.to_string() } else { format!("[{host}]:{port}") };
    writeln!(known_hosts, "{separator}{host} {}", key.to_openssh()?)?;
    Ok(())
}

/// An open, logged-in SSH connection.
struct Session {
    handle: Handle<Pinning>,
    /// Shell mode: the interactive shell, kept open between commands.
    shell: Option<InteractiveShell>,
}

struct InteractiveShell {
    channel: Channel<client::Msg>,
    /// The configured prompt, knowing the exact prompt line the shell printed first.
    prompt: Prompt,
}

/// How a command failed on an open session.
enum Failure {
    /// The session is dead and the command never reached the modem: a new session may run it.
    NotSent(String),
    /// The session does not answer: drop it.
    SessionLost(DeviceError),
    /// The command failed; the session stays.
    Command(DeviceError),
}

/// One command being run.
struct Job<'a> {
    addr: &'a str,
    command: &'a str,
    timeout: Duration,
    deadline: Instant,
}

impl Job<'_> {
    fn timed_out(&self) -> DeviceError {
        DeviceError::Timeout { addr: self.addr.to_string(), command: self.command.to_string(), after: self.timeout }
    }

    fn protocol(&self, reason: String) -> DeviceError {
        DeviceError::Protocol { addr: self.addr.to_string(), reason }
    }

    fn too_long(&self) -> DeviceError {
        self.protocol(format!("`{}` printed more than {} MiB; ignoring it", self.command, MAX_OUTPUT >> 20))
    }

    fn ended(&self, reason: &str) -> DeviceError {
        DeviceError::Disconnected {
            addr: self.addr.to_string(),
            reason: format!("{reason} while `{}` ran", self.command),
        }
    }
}

impl Session {
    /// Why the session ended, once it has.
    async fn end_reason(self) -> String {
        drop(self.shell);
        match timeout(Duration::from_secs(1), self.handle).await {
            Ok(Ok(())) => "closed by the modem".into(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "unknown".into(),
        }
    }

    async fn open_channel(&self, job: &Job<'_>) -> Result<Channel<client::Msg>, Failure> {
        match timeout_at(job.deadline, self.handle.channel_open_session()).await {
            Err(_) => Err(Failure::SessionLost(job.timed_out())),
            Ok(Err(russh::Error::ChannelOpenFailure(why))) => {
                Err(Failure::Command(job.protocol(format!("the modem refused to open a channel ({why:?})"))))
            }
            Ok(Err(e)) => Err(Failure::NotSent(e.to_string())),
            Ok(Ok(channel)) => Ok(channel),
        }
    }

    /// The command on its own exec channel; its output is everything until the channel closes.
    async fn exec(&mut self, job: &Job<'_>) -> Result<String, Failure> {
        // dropbear closes a channel that has no command yet whenever an earlier command's
        // process exits (one we gave up on, say): that channel never ran ours, so try another.
        for _ in 0..2 {
            let mut channel = self.open_channel(job).await?;
            channel.exec(true, job.command).await.map_err(|e| Failure::NotSent(e.to_string()))?;
            let result = timeout_at(job.deadline, exec_output(&mut channel, job))
                .await
                .unwrap_or_else(|_| Err(Failure::Command(job.timed_out())));
            match result {
                Ok(Exec::Done(output)) => return Ok(output),
                Ok(Exec::NotStarted) => {
                    debug!(addr = %job.addr, command = job.command, "channel closed before the command started")
                }
                Err(failure) => {
                    // A hanging or flooding command must not keep its channel, nor its process.
                    let _ = channel.signal(Sig::KILL).await;
                    let _ = channel.close().await;
                    return Err(failure);
                }
            }
        }
        Err(Failure::Command(
            job.protocol(format!("the modem keeps closing the channel before running `{}`", job.command)),
        ))
    }

    /// The command typed into the interactive shell; its output is what comes before the next prompt.
    async fn in_shell(&mut self, job: &Job<'_>, prompt: &Prompt) -> Result<String, Failure> {
        // What the shell printed since the last command is stale; a shell that ended is reopened.
        if let Some(shell) = &mut self.shell
            && !drain(&mut shell.channel).await
        {
            debug!(addr = %job.addr, "the shell ended; opening a new one");
            self.shell = None;
        }
        let InteractiveShell { mut channel, prompt } = match self.shell.take() {
            Some(shell) => shell,
            None => self.open_shell(job, prompt).await?,
        };
        channel.data_bytes(format!("{}\n", job.command)).await.map_err(|e| Failure::NotSent(e.to_string()))?;
        let mut transcript = Vec::new();
        match timeout_at(job.deadline, read_to_prompt(&mut channel, &prompt, &mut transcript)).await {
            Ok(Ok(())) => {
                let output = prompt::command_output(&String::from_utf8_lossy(&transcript), job.command, &prompt);
                self.shell = Some(InteractiveShell { channel, prompt });
                Ok(output)
            }
            Ok(Err(ShellStop::TooLong)) => {
                let _ = channel.close().await;
                Err(Failure::Command(job.too_long()))
            }
            Ok(Err(_)) => Err(Failure::Command(job.ended("the shell ended"))),
            Err(_) => {
                // Interrupt the command; keep the shell only if it gives its prompt back.
                let interrupted = channel.data_bytes(vec![CTRL_C]).await.is_ok()
                    && matches!(
                        timeout(INTERRUPT_GRACE, read_to_prompt(&mut channel, &prompt, &mut Vec::new())).await,
                        Ok(Ok(()))
                    );
                if interrupted {
                    self.shell = Some(InteractiveShell { channel, prompt });
                } else {
                    debug!(addr = %job.addr, "no prompt after Ctrl-C; dropping the shell");
                    let _ = channel.close().await;
                }
                Err(Failure::Command(job.timed_out()))
            }
        }
    }

    /// A PTY with a shell, up to its first prompt (which it learns).
    async fn open_shell(&self, job: &Job<'_>, prompt: &Prompt) -> Result<InteractiveShell, Failure> {
        let mut shell = self.open_channel(job).await?;
        let requested = async {
            shell.request_pty(true, "vt100", 200, 50, 0, 0, &[]).await?;
            shell.request_shell(true).await
        };
        requested.await.map_err(|e| Failure::NotSent(e.to_string()))?;
        let mut welcome = Vec::new();
        let reason = match timeout_at(job.deadline, read_to_prompt(&mut shell, prompt, &mut welcome)).await {
            Ok(Ok(())) => {
                let prompt = prompt.learned_from(&String::from_utf8_lossy(&welcome));
                return Ok(InteractiveShell { channel: shell, prompt });
            }
            Ok(Err(ShellStop::Refused)) => "the modem refused a shell with a terminal".to_string(),
            Ok(Err(ShellStop::Ended)) => "the shell ended before its first prompt".to_string(),
            Ok(Err(ShellStop::TooLong)) | Err(_) => {
                format!("no shell prompt within {:?}: check `prompt` in this modem's config", job.timeout)
            }
        };
        let _ = shell.close().await;
        Err(Failure::Command(job.protocol(reason)))
    }
}

enum Exec {
    /// Everything the command printed (stdout and stderr).
    Done(String),
    /// The channel closed before the modem accepted the command.
    NotStarted,
}

async fn exec_output(channel: &mut Channel<client::Msg>, job: &Job<'_>) -> Result<Exec, Failure> {
    let mut output = Vec::new();
    let mut started = false;
    let mut exited = false;
    loop {
        match channel.wait().await {
            Some(ChannelMsg::Success) => started = true,
            Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }) => {
                if output.len() + data.len() > MAX_OUTPUT {
                    return Err(Failure::Command(job.too_long()));
                }
                output.extend_from_slice(&data);
            }
            Some(ChannelMsg::ExitStatus { exit_status }) => {
                exited = true;
                if exit_status != 0 {
                    debug!(addr = %job.addr, command = job.command, exit_status, "command failed");
                }
            }
            Some(ChannelMsg::ExitSignal { .. }) => exited = true,
            Some(ChannelMsg::Failure) => {
                return Err(Failure::Command(job.protocol(format!(
                    "the modem refused to run `{}`; if its SSH server only offers a shell, set shell = true in this modem's config",
                    job.command
                ))));
            }
            Some(ChannelMsg::Close) | None if !started && !exited && output.is_empty() => return Ok(Exec::NotStarted),
            Some(ChannelMsg::Close) => break,
            None if exited => break,
            None => return Err(Failure::Command(job.ended("the session closed"))),
            Some(_) => {}
        }
    }
    Ok(Exec::Done(String::from_utf8_lossy(&output).into_owned()))
}

/// Why reading a shell stopped before a prompt.
enum ShellStop {
    Ended,
    Refused,
    TooLong,
}

/// Reads the shell into `transcript` until it ends with a prompt.
async fn read_to_prompt(
    shell: &mut Channel<client::Msg>,
    prompt: &Prompt,
    transcript: &mut Vec<u8>,
) -> Result<(), ShellStop> {
    loop {
        match shell.wait().await {
            Some(ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. }) => {
                if transcript.len() + data.len() > MAX_OUTPUT {
                    return Err(ShellStop::TooLong);
                }
                transcript.extend_from_slice(&data);
                if prompt.at_end_of(&String::from_utf8_lossy(last_line(transcript))) {
                    return Ok(());
                }
            }
            Some(ChannelMsg::Failure) => return Err(ShellStop::Refused),
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => return Err(ShellStop::Ended),
            Some(_) => {}
        }
    }
}

/// The end of the transcript's last line: all a prompt check needs, so a long output is not
/// scanned again for every packet.
fn last_line(transcript: &[u8]) -> &[u8] {
    let tail = &transcript[transcript.len().saturating_sub(1024)..];
    let start = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    &tail[start..]
}

/// Discards what the shell printed while nobody asked; false if the shell has ended.
async fn drain(shell: &mut Channel<client::Msg>) -> bool {
    loop {
        // A zero timeout still polls once: this takes only what has already arrived.
        match timeout(Duration::ZERO, shell.wait()).await {
            Err(_) => return true,
            Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => return false,
            Ok(Some(_)) => {}
        }
    }
}

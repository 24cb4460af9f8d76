//! The simulated modem's SSH server (russh): password and public-key login, exec requests
//! answered by the shell with their exit status, and interactive shells (with or without a
//! PTY) that print a prompt, for clients whose modems have no exec (ZySH, Huawei ATP).

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rand::Rng;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::{HashAlg, LineEnding};
use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Config, Handle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, Disconnect, MethodKind, MethodSet, Pty, SshId};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::shell::{self, Outcome};
use super::{Gate, Modem, SimOptions};
use crate::config::Secret;

/// The file in the state directory that keeps the host key.
const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";
/// An interactive input line longer than this is cut (hostile input).
const MAX_LINE: usize = 4096;
/// What modems print when a shell starts.
const BANNER: &str = "\n\nBusyBox v1.31.1 () built-in shell (ash)\n\n";

/// Who may log in.
struct Credentials {
    user: String,
    password: Secret,
    keys: Vec<PublicKey>,
}

impl Credentials {
    fn key_allowed(&self, user: &str, key: &PublicKey) -> bool {
        user == self.user && self.keys.iter().any(|k| k.key_data() == key.key_data())
    }
}

pub struct SshServer {
    config: Arc<Config>,
    modem: Arc<Modem>,
    credentials: Arc<Credentials>,
    prompt: Arc<str>,
    fingerprint: String,
}

impl SshServer {
    pub fn new(options: &SimOptions, modem: Arc<Modem>) -> anyhow::Result<SshServer> {
        let key = host_key(options.state_dir.as_deref(), options.fresh_host_key)?;
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        let config = Config {
            // Modems run dropbear; say so, as they do.
            server_id: SshId::Standard("SSH-2.0-dropbear_2019.78".into()),
            methods: MethodSet::from(&[MethodKind::Password, MethodKind::PublicKey][..]),
            auth_rejection_time: Duration::from_millis(300),
            // OpenSSH first asks with "none" to learn the methods: no need to make it wait.
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys: vec![key],
            inactivity_timeout: Some(Duration::from_secs(3600)),
            nodelay: true,
            ..Config::default()
        };
        Ok(SshServer {
            config: Arc::new(config),
            modem,
            credentials: Arc::new(Credentials {
                user: options.user.clone(),
                password: options.password.clone(),
                keys: options.authorized_keys.clone(),
            }),
            prompt: options.prompt.as_str().into(),
            fingerprint,
        })
    }

    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// Serves one connection until it ends or the modem goes away.
    pub fn session(&self, stream: TcpStream, mut gate: Gate) -> impl Future<Output = ()> + Send + use<> {
        let config = self.config.clone();
        let handler = Connection {
            modem: self.modem.clone(),
            credentials: self.credentials.clone(),
            prompt: self.prompt.clone(),
            channels: HashMap::new(),
        };
        async move {
            let running = match russh::server::run_stream(config, stream, handler).await {
                Ok(running) => running,
                Err(e) => {
                    tracing::debug!("SSH connection failed: {e}");
                    return;
                }
            };
            let handle = running.handle();
            tokio::select! {
                _ = running => {}
                () = gate.closed() => {
                    let _ = handle.disconnect(Disconnect::ByApplication, "the modem went away".into(), String::new()).await;
                }
            }
        }
    }
}

/// The host key from the state directory, made and saved there the first time.
fn host_key(state_dir: Option<&Path>, fresh: bool) -> anyhow::Result<PrivateKey> {
    let new_key = || PrivateKey::from(Ed25519Keypair::from_seed(&rand::rng().random::<[u8; 32]>()));
    let Some(dir) = state_dir.filter(|_| !fresh) else {
        return Ok(new_key());
    };
    let path = dir.join(HOST_KEY_FILE);
    if path.exists() {
        return PrivateKey::read_openssh_file(&path)
            .with_context(|| format!("cannot read the host key {}", path.display()));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let key = new_key();
    key.write_openssh_file(&path, LineEnding::LF)
        .with_context(|| format!("cannot write the host key {}", path.display()))?;
    Ok(key)
}

/// One client connection.
struct Connection {
    modem: Arc<Modem>,
    credentials: Arc<Credentials>,
    prompt: Arc<str>,
    channels: HashMap<ChannelId, ChannelState>,
}

#[derive(Default)]
struct ChannelState {
    pty: bool,
    /// Keystrokes for the interactive shell.
    input: Option<mpsc::Sender<Vec<u8>>>,
    /// Dropped with the channel: tells its tasks to stop.
    alive: Option<oneshot::Sender<()>>,
}

impl ChannelState {
    fn watch(&mut self) -> oneshot::Receiver<()> {
        let (alive, gone) = oneshot::channel();
        self.alive = Some(alive);
        gone
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ok = user == self.credentials.user && password == self.credentials.password.expose();
        Ok(if ok { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey_offered(&mut self, user: &str, offer: PublicKeyOffer<'_>) -> Result<Auth, Self::Error> {
        Ok(if self.credentials.key_allowed(user, offer.public_key) { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey(&mut self, user: &str, key: VerifiedPublicKey<'_>) -> Result<Auth, Self::Error> {
        Ok(if self.credentials.key_allowed(user, key.public_key) { Auth::Accept } else { Auth::reject() })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Data reaches `data` below; the channel object is not needed.
        self.channels.insert(channel.id(), ChannelState::default());
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(state) = self.channels.get_mut(&channel) {
            state.pty = true;
        }
        session.channel_success(channel)
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        let Some(state) = self.channels.get_mut(&channel) else {
            return session.channel_failure(channel);
        };
        let (input, keystrokes) = mpsc::channel(64);
        state.input = Some(input);
        let shell = InteractiveShell {
            modem: self.modem.clone(),
            handle: session.handle(),
            channel,
            prompt: self.prompt.clone(),
            pty: state.pty,
        };
        tokio::spawn(shell.run(keystrokes));
        session.channel_success(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(state) = self.channels.get_mut(&channel) else {
            return session.channel_failure(channel);
        };
        let gone = state.watch();
        let command = String::from_utf8_lossy(data).into_owned();
        let (modem, handle) = (self.modem.clone(), session.handle());
        tokio::spawn(async move {
            tokio::select! {
                () = exec(&modem, &handle, channel, &command) => {}
                _ = gone => {}
            }
        });
        session.channel_success(channel)
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], _session: &mut Session) -> Result<(), Self::Error> {
        if let Some(input) = self.channels.get(&channel).and_then(|s| s.input.as_ref()) {
            // A client that types faster than the shell reads loses keystrokes, not the session.
            let _ = input.try_send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        // End of input ends an interactive shell, as it ends `sh`.
        if let Some(state) = self.channels.get_mut(&channel) {
            state.input = None;
        }
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }
}

/// Runs one exec request: its output, its exit status, then the channel closes.
async fn exec(modem: &Modem, handle: &Handle, channel: ChannelId, command: &str) {
    let outcome = shell::run(modem, command);
    let status = match &outcome {
        Outcome::Output { text, status } => {
            if !text.is_empty() {
                let _ = handle.data(channel, text.clone()).await;
            }
            *status
        }
        Outcome::Sleep(duration) => {
            tokio::time::sleep(*duration).await;
            0
        }
        Outcome::Exit | Outcome::Reboot => 0,
    };
    let _ = handle.exit_status_request(channel, status).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
    if outcome == Outcome::Reboot {
        modem.reboot();
    }
}

/// An interactive shell on a channel: echo (with a PTY), line editing, the prompt.
struct InteractiveShell {
    modem: Arc<Modem>,
    handle: Handle,
    channel: ChannelId,
    prompt: Arc<str>,
    pty: bool,
}

impl InteractiveShell {
    async fn send(&self, text: &str) -> bool {
        // A PTY turns `\n` into `\r\n`.
        let text = if self.pty { text.replace('\n', "\r\n") } else { text.to_string() };
        self.handle.data(self.channel, text).await.is_ok()
    }

    /// Sends back what was typed, as a PTY echoes it.
    async fn echo(&self, echo: &mut Vec<u8>) -> bool {
        if !self.pty || echo.is_empty() {
            echo.clear();
            return true;
        }
        self.handle.data(self.channel, std::mem::take(echo)).await.is_ok()
    }

    async fn run(self, mut keystrokes: mpsc::Receiver<Vec<u8>>) {
        let mut line: Vec<u8> = Vec::new();
        let mut echo: Vec<u8> = Vec::new();
        let mut after_cr = false;
        if !self.send(&format!("{BANNER}{}", self.prompt)).await {
            return;
        }
        while let Some(chunk) = keystrokes.recv().await {
            for byte in chunk {
                let was_cr = std::mem::replace(&mut after_cr, byte == b'\r');
                match byte {
                    // CR LF (or CR NUL) is one end of line.
                    b'\n' | 0 if was_cr => {}
                    b'\r' | b'\n' => {
                        echo.extend_from_slice(b"\r\n");
                        let command = String::from_utf8_lossy(&std::mem::take(&mut line)).into_owned();
                        if !self.echo(&mut echo).await || !self.command(&command, &mut keystrokes).await {
                            return;
                        }
                    }
                    0x03 => {
                        line.clear();
                        echo.clear();
                        if !self.send(&format!("^C\n{}", self.prompt)).await {
                            return;
                        }
                    }
                    0x04 if line.is_empty() => {
                        self.exit(0).await;
                        return;
                    }
                    0x7f | 0x08 => {
                        let erased = line.pop().is_some();
                        echo.extend_from_slice(if erased { b"\x08 \x08" } else { b"" });
                    }
                    byte if byte >= 0x20 && line.len() < MAX_LINE => {
                        line.push(byte);
                        echo.push(byte);
                    }
                    _ => {}
                }
            }
            if !self.echo(&mut echo).await {
                return;
            }
        }
        // End of input.
        self.exit(0).await;
    }

    /// Runs one command line; false when the shell ends.
    async fn command(&self, command: &str, keystrokes: &mut mpsc::Receiver<Vec<u8>>) -> bool {
        match shell::run(&self.modem, command) {
            Outcome::Output { text, .. } => self.send(&format!("{text}{}", self.prompt)).await,
            Outcome::Sleep(duration) => {
                // Ctrl-C interrupts, as in a real shell; other keystrokes meanwhile are lost.
                let sleep = tokio::time::sleep(duration);
                tokio::pin!(sleep);
                loop {
                    tokio::select! {
                        () = &mut sleep => return self.send(&self.prompt).await,
                        chunk = keystrokes.recv() => match chunk {
                            Some(chunk) if chunk.contains(&0x03) => return self.send(&format!("^C\n{}", self.prompt)).await,
                            Some(_) => {}
                            // End of input: the command still runs to its end.
                            None => {
                                (&mut sleep).await;
                                return self.send(&self.prompt).await;
                            }
                        },
                    }
                }
            }
            Outcome::Exit => {
                self.exit(0).await;
                false
            }
            Outcome::Reboot => {
                self.modem.reboot();
                false
            }
        }
    }

    async fn exit(&self, status: u32) {
        let _ = self.handle.exit_status_request(self.channel, status).await;
        let _ = self.handle.eof(self.channel).await;
        let _ = self.handle.close(self.channel).await;
    }
}

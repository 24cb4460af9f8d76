//! Telnet transport: a small tokio client with option negotiation, login by prompts, and the
//! same one-command-at-a-time interface as SSH.
//!
//! Written by hand, because no crate does this well: `telnet` is blocking, `nectar` is a codec
//! for MUD servers, and `mini-telnet` (async, last released in 2022) always expects a user then
//! a password prompt, which password-only devices do not show. What a modem needs is little:
//! strip and answer the negotiation (RFC 854/855), act as a dumb terminal, log in by prompts,
//! read up to the shell prompt, and survive the device going away.
//!
//! Negotiation: we accept the server's ECHO and SUPPRESS-GO-AHEAD and refuse everything else
//! (we offer no option of ours), answering each request once, in the spirit of RFC 1143, so a
//! confused server cannot drag us into a negotiation loop.

use std::borrow::Cow;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tracing::{debug, info, warn};

use super::DeviceError;
use super::backoff::Backoff;
use super::prompt::{Prompt, command_output};
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

/// What `login_prompt` and `password_prompt` usually are.
pub const DEFAULT_LOGIN_PROMPT: &str = "ogin:";
pub const DEFAULT_PASSWORD_PROMPT: &str = "assword:";

/// More output than any status command prints: the rest of a flood is not read.
const MAX_OUTPUT: usize = 4 * 1024 * 1024;
/// How long a device may take to show its prompt again after Ctrl-C.
const INTERRUPT_GRACE: Duration = Duration::from_secs(2);
/// How much of the last line is looked at for a prompt (prompts are short; lines may not be).
const PROMPT_TAIL: usize = 1024;
/// What devices print when they refuse a login (compared in lower case).
const REFUSALS: [&str; 3] = ["incorrect", "failed", "denied"];

/// A Telnet session to one device, opened on demand and kept between commands.
pub struct TelnetClient {
    options: TelnetOptions,
    /// `host:port`, for messages.
    addr: String,
    session: Option<Session>,
    backoff: Backoff,
    /// Why the last login failed, told again while the backoff runs.
    last_failure: Option<DeviceError>,
    sessions_opened: u64,
}

impl TelnetClient {
    /// No I/O here: the session is opened by the first `run`.
    pub fn new(mut options: TelnetOptions) -> Self {
        // An empty pattern would match the shell prompt's defaults instead.
        for (pattern, default) in [(&mut options.login_prompt, DEFAULT_LOGIN_PROMPT), (&mut options.password_prompt, DEFAULT_PASSWORD_PROMPT)] {
            if pattern.trim().is_empty() {
                *pattern = default.to_string();
            }
        }
        let addr = if options.host.contains(':') {
            format!("[{}]:{}", options.host, options.port)
        } else {
            format!("{}:{}", options.host, options.port)
        };
        TelnetClient { options, addr, session: None, backoff: Backoff::default(), last_failure: None, sessions_opened: 0 }
    }

    /// Runs `command` and returns what it printed (echo and prompt removed). Logs in first if
    /// there is no session; a session found dead when the command is sent is reopened and the
    /// command sent once more.
    pub async fn run(&mut self, command: &str, timeout: Duration) -> Result<String, DeviceError> {
        if command.contains(['\r', '\n']) {
            return Err(self.protocol(format!("`{}` is not one line", command.escape_debug())));
        }
        let mut resent = false;
        loop {
            let mut session = match self.session.take() {
                Some(mut session) => {
                    if session.still_open().await {
                        session
                    } else {
                        info!(addr = %self.addr, "the device closed the session while it was idle; logging in again");
                        self.open().await?
                    }
                }
                None => self.open().await?,
            };
            let deadline = Instant::now() + timeout;
            let prompt = session.prompt.clone();
            let stop = match session.send_line(command).await {
                Ok(()) => match session.read_until(deadline, |tail| prompt.at_end_of(tail)).await {
                    Ok(()) => {
                        let output = command_output(&session.text(), command, &session.prompt);
                        self.session = Some(session);
                        return Ok(output);
                    }
                    Err(stop) => stop,
                },
                Err(e) => Stop::Io(e),
            };
            match stop {
                // Nothing came back, not even the echo: the session had died while idle (the
                // device rebooted) without us noticing yet, so the command never ran. Not resent
                // when the device did answer, so a command that ends the session (`reboot`) is
                // not sent twice.
                Stop::Eof | Stop::Io(_) if session.text.is_empty() && !resent => {
                    info!(addr = %self.addr, "the session was found closed; logging in again");
                    resent = true;
                }
                Stop::Eof => return Err(self.disconnected("the device closed the connection".into())),
                Stop::Io(e) => return Err(self.disconnected(e.to_string())),
                Stop::TooLong => {
                    return Err(self.protocol(format!("`{command}` printed more than {} MiB; session dropped", MAX_OUTPUT >> 20)));
                }
                Stop::Timeout => {
                    warn!(addr = %self.addr, command, ?timeout, "no prompt in time; interrupting with Ctrl-C");
                    if session.interrupt(&self.options.prompt).await {
                        self.session = Some(session);
                    } else {
                        info!(addr = %self.addr, "no prompt after Ctrl-C; session dropped");
                    }
                    return Err(DeviceError::Timeout { addr: self.addr.clone(), command: command.to_string(), after: timeout });
                }
            }
        }
    }

    /// How many logins succeeded so far (1 for a session that was never lost).
    pub fn sessions_opened(&self) -> u64 {
        self.sessions_opened
    }

    /// Says `exit` and closes the connection.
    pub async fn close(&mut self) {
        if let Some(mut session) = self.session.take() {
            let bye = async {
                session.send_line("exit").await?;
                session.stream.shutdown().await
            };
            // The connection is dropped either way.
            let _ = tokio::time::timeout(INTERRUPT_GRACE, bye).await;
            debug!(addr = %self.addr, "session closed");
        }
    }

    /// Connects and logs in, unless a recent failure asks to wait.
    async fn open(&mut self) -> Result<Session, DeviceError> {
        if let Err(wait) = self.backoff.ready(std::time::Instant::now()) {
            let last = self.last_failure.clone().unwrap_or_else(|| DeviceError::Connect { addr: self.addr.clone(), reason: "not connected".into() });
            return Err(DeviceError::Backoff { wait, last: Box::new(last) });
        }
        match self.login(Instant::now() + self.options.connect_timeout).await {
            Ok(session) => {
                self.backoff.succeeded();
                self.sessions_opened += 1;
                info!(addr = %self.addr, sessions = self.sessions_opened, "logged in");
                Ok(session)
            }
            Err(e) => {
                self.backoff.failed(std::time::Instant::now());
                self.last_failure = Some(e.clone());
                warn!(error = %e, "cannot open a Telnet session");
                Err(e)
            }
        }
    }

    /// Answers the device's prompts until it shows the shell prompt. Devices ask for a user and
    /// a password, a password only, or nothing.
    async fn login(&self, deadline: Instant) -> Result<Session, DeviceError> {
        let o = &self.options;
        let connect_error = |reason: String| DeviceError::Connect { addr: self.addr.clone(), reason };
        let auth_failed = || DeviceError::AuthFailed { addr: self.addr.clone(), user: o.user.clone().unwrap_or_default() };

        debug!(addr = %self.addr, "connecting");
        let stream = match timeout_at(deadline, TcpStream::connect((o.host.as_str(), o.port))).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(connect_error(e.to_string())),
            Err(_) => return Err(connect_error(format!("no answer within {:?}", o.connect_timeout))),
        };
        // Commands and answers are small writes that should leave at once.
        stream.set_nodelay(true).map_err(|e| connect_error(e.to_string()))?;
        let mut session = Session::new(stream, o.prompt.clone());

        let login_prompt = Prompt::new(Some(&o.login_prompt));
        let password_prompt = Prompt::new(Some(&o.password_prompt));
        let (mut user_sent, mut password_sent) = (false, false);
        loop {
            let waiting = session
                .read_until(deadline, |tail| login_prompt.at_end_of(tail) || password_prompt.at_end_of(tail) || o.prompt.at_end_of(tail))
                .await;
            if let Err(stop) = waiting {
                // A refused login is said in words, then the device hangs up or goes quiet.
                let text = session.text().to_lowercase();
                if (user_sent || password_sent) && REFUSALS.iter().any(|r| text.contains(r)) {
                    return Err(auth_failed());
                }
                return Err(connect_error(match stop {
                    Stop::Eof => "the device closed the connection during login".into(),
                    Stop::Io(e) => e.to_string(),
                    Stop::Timeout => format!("no shell prompt within {:?}", o.connect_timeout),
                    Stop::TooLong => "the login banner is too long".into(),
                }));
            }
            let tail = session.tail();
            let sent = if login_prompt.at_end_of(&tail) {
                // Asked again: the device did not take what we sent.
                if user_sent || password_sent {
                    return Err(auth_failed());
                }
                let Some(user) = &o.user else {
                    return Err(self.protocol("the device asks for a user name: set `user`".into()));
                };
                debug!(addr = %self.addr, user, "sending the user name");
                user_sent = true;
                session.send_line(user).await
            } else if password_prompt.at_end_of(&tail) {
                if password_sent {
                    return Err(auth_failed());
                }
                let Some(password) = &o.password else {
                    return Err(self.protocol("the device asks for a password: set `password_env` or `password_file`".into()));
                };
                debug!(addr = %self.addr, "sending the password");
                password_sent = true;
                session.send_line(password.expose()).await
            } else {
                session.prompt = o.prompt.learned_from(&session.text());
                return Ok(session);
            };
            sent.map_err(|e| connect_error(e.to_string()))?;
        }
    }

    fn protocol(&self, reason: String) -> DeviceError {
        DeviceError::Protocol { addr: self.addr.clone(), reason }
    }

    fn disconnected(&self, reason: String) -> DeviceError {
        info!(addr = %self.addr, reason, "Telnet session lost");
        DeviceError::Disconnected { addr: self.addr.clone(), reason }
    }
}

/// Why reading stopped before the awaited prompt.
enum Stop {
    Eof,
    Io(io::Error),
    Timeout,
    TooLong,
}

/// One logged-in (or logging-in) connection.
struct Session {
    stream: TcpStream,
    telnet: Telnet,
    /// The text received since the last line was sent, negotiation removed.
    text: Vec<u8>,
    /// The shell prompt, learned exactly at login.
    prompt: Prompt,
}

impl Session {
    fn new(stream: TcpStream, prompt: Prompt) -> Self {
        Session { stream, telnet: Telnet::default(), text: Vec::new(), prompt }
    }

    /// Sends one line; what was received before it is forgotten.
    async fn send_line(&mut self, line: &str) -> io::Result<()> {
        self.text.clear();
        let mut bytes = escape(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.stream.write_all(&bytes).await
    }

    /// Reads (and answers negotiation) until `done` holds for the last line of the text.
    async fn read_until(&mut self, deadline: Instant, done: impl Fn(&str) -> bool) -> Result<(), Stop> {
        let mut buf = vec![0; 16 * 1024];
        loop {
            let n = match timeout_at(deadline, self.stream.read(&mut buf)).await {
                Err(_) => return Err(Stop::Timeout),
                Ok(Err(e)) => return Err(Stop::Io(e)),
                Ok(Ok(0)) => return Err(Stop::Eof),
                Ok(Ok(n)) => n,
            };
            let mut replies = Vec::new();
            self.telnet.receive(&buf[..n], &mut self.text, &mut replies);
            if !replies.is_empty() {
                self.stream.write_all(&replies).await.map_err(Stop::Io)?;
            }
            if self.text.len() > MAX_OUTPUT {
                return Err(Stop::TooLong);
            }
            if done(&self.tail()) {
                return Ok(());
            }
        }
    }

    /// Reads, without waiting, what arrived while the session was idle (a logout notice, late
    /// output) and drops it. False when the device has closed the session meanwhile.
    async fn still_open(&mut self) -> bool {
        let mut buf = vec![0; 16 * 1024];
        let mut replies = Vec::new();
        // Bounded: a device that never stops talking is dealt with by the command's reading.
        for _ in 0..64 {
            match self.stream.try_read(&mut buf) {
                Ok(0) => return false,
                Ok(n) => self.telnet.receive(&buf[..n], &mut self.text, &mut replies),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return false,
            }
        }
        if !self.text.is_empty() {
            debug!(bytes = self.text.len(), "dropping what the device printed while idle");
            self.text.clear();
        }
        replies.is_empty() || self.stream.write_all(&replies).await.is_ok()
    }

    /// Ctrl-C, then a short wait for the prompt. True when the session is usable again.
    async fn interrupt(&mut self, prompt: &Prompt) -> bool {
        self.text.clear();
        if self.stream.write_all(&[0x03]).await.is_err() {
            return false;
        }
        self.read_until(Instant::now() + INTERRUPT_GRACE, |tail| prompt.at_end_of(tail)).await.is_ok()
    }

    fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.text)
    }

    /// The end of the last line, where a prompt would be.
    fn tail(&self) -> Cow<'_, str> {
        let line_start = self.text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        String::from_utf8_lossy(&self.text[line_start.max(self.text.len().saturating_sub(PROMPT_TAIL))..])
    }
}

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const ECHO: u8 = 1;
const SUPPRESS_GO_AHEAD: u8 = 3;

/// A literal 0xFF in what we send is doubled, so it is not read as a command.
fn escape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    for &b in data {
        if b == IAC {
            out.push(IAC);
        }
        out.push(b);
    }
    out
}

/// Where the receiver is inside the byte stream; kept between reads, since a command can be
/// split across two of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Data,
    /// After IAC.
    Command,
    /// After IAC WILL/WONT/DO/DONT: the option comes next.
    Option(u8),
    /// Inside IAC SB ... IAC SE.
    Sub,
    /// After IAC inside a subnegotiation.
    SubIac,
}

/// The receiving side of the Telnet protocol: splits the stream into text and commands, and
/// answers the option requests.
#[derive(Default)]
struct Telnet {
    state: State,
    /// Options the server enabled on its side and we accepted (ECHO, SUPPRESS-GO-AHEAD).
    accepted: OptionSet,
    /// Options already refused: the server's WILL answered with DONT, its DO with WONT.
    refused_will: OptionSet,
    refused_do: OptionSet,
}

/// A set of option codes.
#[derive(Default)]
struct OptionSet([u64; 4]);

impl OptionSet {
    /// True if it was not in the set.
    fn insert(&mut self, option: u8) -> bool {
        let (word, bit) = (usize::from(option / 64), 1 << (option % 64));
        let new = self.0[word] & bit == 0;
        self.0[word] |= bit;
        new
    }

    /// True if it was in the set.
    fn remove(&mut self, option: u8) -> bool {
        let (word, bit) = (usize::from(option / 64), 1 << (option % 64));
        let present = self.0[word] & bit != 0;
        self.0[word] &= !bit;
        present
    }
}

impl Telnet {
    /// Appends the text in `bytes` to `text` and the answers to send back to `replies`.
    fn receive(&mut self, bytes: &[u8], text: &mut Vec<u8>, replies: &mut Vec<u8>) {
        for &b in bytes {
            self.state = match (self.state, b) {
                (State::Data, IAC) => State::Command,
                // NUL is a no-op on the network virtual terminal (it follows a bare CR).
                (State::Data, 0) => State::Data,
                (State::Data, _) => {
                    text.push(b);
                    State::Data
                }
                (State::Command, IAC) => {
                    text.push(IAC);
                    State::Data
                }
                (State::Command, WILL | WONT | DO | DONT) => State::Option(b),
                (State::Command, SB) => State::Sub,
                // NOP, GA, DM, AYT and the like show nothing.
                (State::Command, _) => State::Data,
                (State::Option(verb), option) => {
                    self.answer(verb, option, replies);
                    State::Data
                }
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => State::Data,
                // IAC IAC (an escaped 0xFF) or a stray command: still inside.
                (State::SubIac, _) => State::Sub,
            };
        }
    }

    fn answer(&mut self, verb: u8, option: u8, replies: &mut Vec<u8>) {
        let reply = match verb {
            WILL if matches!(option, ECHO | SUPPRESS_GO_AHEAD) => self.accepted.insert(option).then_some(DO),
            WILL => self.refused_will.insert(option).then_some(DONT),
            // The server turns off an option we had accepted: agree. Otherwise it is off already.
            WONT => self.accepted.remove(option).then_some(DONT),
            DO => self.refused_do.insert(option).then_some(WONT),
            // DONT: we enable nothing on our side, so it is off already.
            _ => None,
        };
        if let Some(reply) = reply {
            replies.extend_from_slice(&[IAC, reply, option]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAWS: u8 = 31;
    const TERMINAL_TYPE: u8 = 24;

    /// Feeds each chunk as one read; returns the text and all replies.
    fn receive(chunks: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
        let mut telnet = Telnet::default();
        let (mut text, mut replies) = (Vec::new(), Vec::new());
        for chunk in chunks {
            telnet.receive(chunk, &mut text, &mut replies);
        }
        (text, replies)
    }

    /// What busybox telnetd sends first, then its login prompt.
    const BUSYBOX_HELLO: &[u8] = &[IAC, DO, ECHO, IAC, DO, NAWS, IAC, WILL, ECHO, IAC, WILL, SUPPRESS_GO_AHEAD, b'\r', b'\n', b'L', b'o', b'g', b'i', b'n', b':', b' '];
    const BUSYBOX_ANSWER: &[u8] = &[IAC, WONT, ECHO, IAC, WONT, NAWS, IAC, DO, ECHO, IAC, DO, SUPPRESS_GO_AHEAD];

    #[test]
    fn negotiation_is_answered_and_stripped() {
        let (text, replies) = receive(&[BUSYBOX_HELLO]);
        assert_eq!(text, b"\r\nLogin: ");
        assert_eq!(replies, BUSYBOX_ANSWER);
    }

    #[test]
    fn negotiation_split_across_reads() {
        // Every possible cut, and one byte per read.
        for cut in 0..=BUSYBOX_HELLO.len() {
            let (text, replies) = receive(&[&BUSYBOX_HELLO[..cut], &BUSYBOX_HELLO[cut..]]);
            assert_eq!((text.as_slice(), replies.as_slice()), (&b"\r\nLogin: "[..], BUSYBOX_ANSWER), "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = BUSYBOX_HELLO.chunks(1).collect();
        assert_eq!(receive(&bytes), (b"\r\nLogin: ".to_vec(), BUSYBOX_ANSWER.to_vec()));
    }

    #[test]
    fn iac_iac_is_a_literal_0xff() {
        let (text, replies) = receive(&[&[b'a', IAC], &[IAC, b'b', IAC, IAC]]);
        assert_eq!(text, [b'a', 0xFF, b'b', 0xFF]);
        assert!(replies.is_empty());
    }

    #[test]
    fn subnegotiation_is_skipped() {
        // SB TERMINAL-TYPE SEND, with an escaped 0xFF and a bare SE byte inside, split in the middle.
        let (text, replies) = receive(&[&[b'x', IAC, SB, TERMINAL_TYPE, 1, IAC], &[IAC, SE, 7, IAC, SE, b'y']]);
        assert_eq!(text, b"xy");
        assert!(replies.is_empty());
    }

    #[test]
    fn nul_and_other_commands_show_nothing() {
        // CR NUL, IAC NOP, IAC GA, IAC AYT.
        assert_eq!(receive(&[&[b'a', b'\r', 0, IAC, 241, b'b', IAC, 249, IAC, 246, b'c']]).0, b"a\rbc");
    }

    #[test]
    fn every_request_is_answered_once() {
        let request = [IAC, WILL, ECHO, IAC, WILL, NAWS, IAC, DO, TERMINAL_TYPE, IAC, DO, ECHO];
        let (text, replies) = receive(&[&request, &request, &request]);
        assert!(text.is_empty());
        assert_eq!(replies, [IAC, DO, ECHO, IAC, DONT, NAWS, IAC, WONT, TERMINAL_TYPE, IAC, WONT, ECHO]);
        // Acknowledgements of our refusals are not answered (that would be the loop).
        assert!(receive(&[&[IAC, WONT, NAWS, IAC, DONT, TERMINAL_TYPE]]).1.is_empty());
    }

    #[test]
    fn an_accepted_option_turned_off_is_agreed_to() {
        let (_, replies) = receive(&[&[IAC, WILL, SUPPRESS_GO_AHEAD, IAC, WONT, SUPPRESS_GO_AHEAD, IAC, WONT, SUPPRESS_GO_AHEAD]]);
        assert_eq!(replies, [IAC, DO, SUPPRESS_GO_AHEAD, IAC, DONT, SUPPRESS_GO_AHEAD]);
    }

    #[test]
    fn what_we_send_escapes_0xff() {
        assert_eq!(escape(&[b'a', IAC, b'b']), [b'a', IAC, IAC, b'b']);
    }
}

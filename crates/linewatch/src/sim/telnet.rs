//! The simulated modem's Telnet server, as busybox `telnetd` with `login`: option negotiation
//! (the server echoes and suppresses go-ahead), `Login: ` and `Password: ` prompts, `Login
//! incorrect` on a wrong password, then the prompt loop over the shared shell.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::shell::{self, Outcome};
use super::{Gate, Modem, SimOptions};
use crate::config::Secret;

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const ECHO: u8 = 1;
const SGA: u8 = 3;

/// An input line longer than this is cut (hostile input).
const MAX_LINE: usize = 4096;
/// Subnegotiation longer than this ends the session.
const MAX_SUBNEGOTIATION: usize = 1024;
/// Login attempts before the connection is closed, as `login` does.
const LOGIN_ATTEMPTS: usize = 3;
/// Time to type a user name or password.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(60);
/// An idle shell is closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(3600);

pub struct TelnetServer {
    modem: Arc<Modem>,
    user: Arc<str>,
    password: Secret,
    prompt: Arc<str>,
}

impl TelnetServer {
    pub fn new(options: &SimOptions, modem: Arc<Modem>) -> TelnetServer {
        TelnetServer {
            modem,
            user: options.user.as_str().into(),
            password: options.password.clone(),
            prompt: options.prompt.as_str().into(),
        }
    }

    /// Serves one connection until it ends or the modem goes away (then it is simply dropped).
    pub fn session(&self, stream: TcpStream, mut gate: Gate) -> impl Future<Output = ()> + Send + use<> {
        let (modem, user, password, prompt) =
            (self.modem.clone(), self.user.clone(), self.password.clone(), self.prompt.clone());
        async move {
            let _ = stream.set_nodelay(true);
            let (read, write) = stream.into_split();
            let mut terminal =
                Terminal { reader: BufReader::new(read), writer: write, refused: HashSet::new(), after_cr: false };
            tokio::select! {
                _ = terminal.converse(&modem, &user, &password, &prompt) => {}
                () = gate.closed() => {}
            }
        }
    }
}

/// What was read: a line, or why there is none.
enum Input {
    Line(String),
    Interrupted,
    Closed,
}

/// One Telnet connection: NVT input with options stripped, output with CR LF line ends.
struct Terminal {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// Options already refused, so a client that insists does not start a loop.
    refused: HashSet<(u8, u8)>,
    /// The last data byte was a CR.
    after_cr: bool,
}

impl Terminal {
    async fn converse(&mut self, modem: &Modem, user: &str, password: &Secret, prompt: &str) -> std::io::Result<()> {
        self.writer.write_all(&[IAC, WILL, ECHO, IAC, WILL, SGA]).await?;
        if !self.login(user, password).await? {
            return Ok(());
        }
        self.send(&format!("\nBusyBox v1.31.1 () built-in shell (ash)\n\n{prompt}")).await?;
        loop {
            let command = match tokio::time::timeout(IDLE_TIMEOUT, self.line(true)).await {
                Ok(Ok(Input::Line(command))) => command,
                Ok(Ok(Input::Interrupted)) => {
                    self.send(&format!("^C\n{prompt}")).await?;
                    continue;
                }
                Ok(Ok(Input::Closed)) | Err(_) => return Ok(()),
                Ok(Err(e)) => return Err(e),
            };
            match shell::run(modem, &command) {
                Outcome::Output { text, .. } => self.send(&format!("{text}{prompt}")).await?,
                Outcome::Sleep(duration) => {
                    self.sleep(duration).await?;
                    self.send(prompt).await?;
                }
                Outcome::Exit => return Ok(()),
                Outcome::Reboot => {
                    modem.reboot();
                    return Ok(());
                }
            }
        }
    }

    /// True once the user logged in; false after too many failures or a closed connection.
    async fn login(&mut self, user: &str, password: &Secret) -> std::io::Result<bool> {
        for _ in 0..LOGIN_ATTEMPTS {
            self.send("Login: ").await?;
            let Some(name) = self.login_line(true).await? else {
                return Ok(false);
            };
            self.send("Password: ").await?;
            let Some(given) = self.login_line(false).await? else {
                return Ok(false);
            };
            self.send("\n").await?;
            if name.trim() == user && given == password.expose() {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            self.send("Login incorrect\n").await?;
        }
        Ok(false)
    }

    async fn login_line(&mut self, echo: bool) -> std::io::Result<Option<String>> {
        match tokio::time::timeout(LOGIN_TIMEOUT, self.line(echo)).await {
            Ok(Ok(Input::Line(line))) => Ok(Some(line)),
            Ok(Err(e)) => Err(e),
            Ok(Ok(Input::Interrupted | Input::Closed)) | Err(_) => Ok(None),
        }
    }

    /// Sleeps as `sleep N` does; Ctrl-C cuts it short.
    async fn sleep(&mut self, duration: Duration) -> std::io::Result<()> {
        let sleep = tokio::time::sleep(duration);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return Ok(()),
                byte = self.reader.read_u8() => match byte {
                    Ok(0x03) => return self.send("^C\n").await,
                    Ok(_) => {}
                    Err(e) => return Err(e),
                },
            }
        }
    }

    async fn send(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_all(text.replace('\n', "\r\n").as_bytes()).await
    }

    /// Reads one line, echoing it when `echo` (the server echoes: it said WILL ECHO).
    async fn line(&mut self, echo: bool) -> std::io::Result<Input> {
        let mut line: Vec<u8> = Vec::new();
        loop {
            let Some(byte) = self.data_byte().await? else {
                return Ok(Input::Closed);
            };
            // CR LF and CR NUL end a line once.
            let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
            match byte {
                b'\n' | 0 if after_cr => {}
                b'\r' | b'\n' => {
                    if echo {
                        self.writer.write_all(b"\r\n").await?;
                    }
                    return Ok(Input::Line(String::from_utf8_lossy(&line).into_owned()));
                }
                0x03 => return Ok(Input::Interrupted),
                0x04 if line.is_empty() => return Ok(Input::Closed),
                0x7f | 0x08 => {
                    let erased = line.pop().is_some();
                    if erased && echo {
                        self.writer.write_all(b"\x08 \x08").await?;
                    }
                }
                byte if byte >= 0x20 && line.len() < MAX_LINE => {
                    line.push(byte);
                    if echo {
                        self.writer.write_all(&[byte]).await?;
                    }
                }
                _ => {}
            }
        }
    }

    /// The next byte of data, with Telnet commands handled and skipped; `None` at the end.
    async fn data_byte(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let byte = match self.reader.read_u8().await {
                Ok(byte) => byte,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e),
            };
            if byte != IAC {
                return Ok(Some(byte));
            }
            match self.reader.read_u8().await? {
                IAC => return Ok(Some(IAC)),
                verb @ (WILL | WONT | DO | DONT) => {
                    let option = self.reader.read_u8().await?;
                    self.negotiate(verb, option).await?;
                }
                SB => self.skip_subnegotiation().await?,
                _ => {}
            }
        }
    }

    /// Agrees to what was offered (ECHO and SGA on our side), refuses anything else once.
    async fn negotiate(&mut self, verb: u8, option: u8) -> std::io::Result<()> {
        let reply = match verb {
            DO if option == ECHO || option == SGA => return Ok(()),
            DO => WONT,
            WILL => DONT,
            _ => return Ok(()),
        };
        if self.refused.insert((reply, option)) {
            self.writer.write_all(&[IAC, reply, option]).await?;
        }
        Ok(())
    }

    async fn skip_subnegotiation(&mut self) -> std::io::Result<()> {
        let mut previous = 0;
        for _ in 0..MAX_SUBNEGOTIATION {
            let byte = self.reader.read_u8().await?;
            if previous == IAC && byte == SE {
                return Ok(());
            }
            previous = byte;
        }
        Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "endless Telnet subnegotiation"))
    }
}

//! The Telnet transport against a real busybox telnetd running a modem-like CLI: logging in,
//! reading captures, a wrong password, the server going away and coming back, a hanging
//! command, and one session for many commands.

mod support;
#[path = "support/telnet_server.rs"]
mod telnet_server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use linewatch::config::Secret;
use linewatch::devices::DeviceError;
use linewatch::devices::prompt::Prompt;
use linewatch::devices::telnet::{DEFAULT_LOGIN_PROMPT, DEFAULT_PASSWORD_PROMPT, TelnetClient, TelnetOptions};
use telnet_server::{BROADCOM, DRAYTEK, Login, PASSWORD, TelnetServer, USER, answer};

/// Generous: only there so a broken test does not hang.
const TIMEOUT: Duration = Duration::from_secs(10);

fn client(server: &TelnetServer, prompt: Prompt, password: &str) -> TelnetClient {
    TelnetClient::new(TelnetOptions {
        host: "127.0.0.1".into(),
        port: server.port,
        user: Some(USER.into()),
        password: Some(Secret::new(password)),
        login_prompt: DEFAULT_LOGIN_PROMPT.into(),
        password_prompt: DEFAULT_PASSWORD_PROMPT.into(),
        prompt,
        connect_timeout: TIMEOUT,
    })
}

/// Everything the client logs, at every level.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(self.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tracing_subscriber::fmt::MakeWriter<'_> for Logs {
    type Writer = Logs;
    fn make_writer(&self) -> Logs {
        self.clone()
    }
}

#[tokio::test]
async fn logs_in_and_reads_a_broadcom_capture() {
    let Some(server) = TelnetServer::start(Login::UserAndPassword, "# ") else { return };
    let logs = Logs::default();
    let _logging = logs.capture();
    let mut client = client(&server, Prompt::new(None), PASSWORD);

    let output = client.run("xdslctl info --stats", TIMEOUT).await.unwrap();
    // What the modem printed, exactly: the pty's CRLF back to LF, echo and prompt cut away.
    assert_eq!(output, answer("xdslctl info --stats"));
    assert_eq!(output.trim_end(), support::fixture(BROADCOM).trim_end());
    let reading = xdsl::Dialect::Broadcom.parse(&output).unwrap();
    assert!(reading.is_showtime());
    assert_eq!(reading, xdsl::Dialect::Broadcom.parse(&support::fixture(BROADCOM)).unwrap());
    assert_eq!(client.run("show version", TIMEOUT).await.unwrap(), "% Unknown command\n");
    assert_eq!((client.sessions_opened(), server.logins()), (1, 1));
    assert!(!logs.text().contains(PASSWORD), "the password is never logged");
    client.close().await;
}

#[tokio::test]
async fn reads_a_draytek_capture_behind_its_own_prompt() {
    let Some(server) = TelnetServer::start(Login::UserAndPassword, "DrayTek> ") else { return };
    let mut client = client(&server, Prompt::new(Some("DrayTek>")), PASSWORD);

    let output = client.run("vdsl status more", TIMEOUT).await.unwrap();
    assert_eq!(output, answer("vdsl status more"));
    assert!(support::fixture(DRAYTEK).ends_with(&output), "the capture after its command line");
    let reading = xdsl::Dialect::Draytek.parse(&output).unwrap();
    assert_eq!(reading, xdsl::Dialect::Draytek.parse(&support::fixture(DRAYTEK)).unwrap());
    client.close().await;
}

#[tokio::test]
async fn a_device_that_asks_for_a_password_only() {
    let Some(server) = TelnetServer::start(Login::PasswordOnly, "> ") else { return };
    let mut client = client(&server, Prompt::new(None), PASSWORD);
    assert_eq!(client.run("xdslctl info --stats", TIMEOUT).await.unwrap(), answer("xdslctl info --stats"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_showing_it() {
    let Some(server) = TelnetServer::start(Login::UserAndPassword, "# ") else { return };
    let logs = Logs::default();
    let _logging = logs.capture();
    let mut client = client(&server, Prompt::new(None), "wrong-password");

    let error = client.run("xdslctl info --stats", TIMEOUT).await.unwrap_err();
    assert!(matches!(&error, DeviceError::AuthFailed { user, .. } if user == USER), "{error}");
    let message = error.to_string();
    assert!(message.contains(USER) && !message.contains("wrong-password"), "{message}");
    let logs = logs.text();
    assert!(logs.contains(&message) && !logs.contains("wrong-password"), "{logs}");
    // No second try at once: the device is not hammered with a bad password.
    let error = client.run("xdslctl info --stats", TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::Backoff { .. }), "{error}");
    assert!(matches!(error.cause(), DeviceError::AuthFailed { .. }), "still a refused login, not 'unreachable': {error}");
    assert_eq!((client.sessions_opened(), server.logins()), (0, 0));
}

#[tokio::test]
async fn a_restarted_server_is_logged_into_again_by_the_next_command() {
    let Some(mut server) = TelnetServer::start(Login::UserAndPassword, "# ") else { return };
    let mut client = client(&server, Prompt::new(None), PASSWORD);
    client.run("xdslctl info --stats", TIMEOUT).await.unwrap();

    // The modem reboots between two readings: the session is found closed when the next
    // command is sent, and the command goes out again on a new session.
    server.restart();
    assert_eq!(client.run("xdslctl info --stats", TIMEOUT).await.unwrap(), answer("xdslctl info --stats"));
    assert_eq!((client.sessions_opened(), server.logins()), (2, 2));
    client.run("show version", TIMEOUT).await.unwrap();
    assert_eq!(client.sessions_opened(), 2);
}

#[tokio::test]
async fn an_idle_logout_is_noticed_before_the_next_command() {
    let Some(server) = TelnetServer::start(Login::UserAndPassword, "# ") else { return };
    let mut client = client(&server, Prompt::new(None), PASSWORD);
    client.run("logout when idle", TIMEOUT).await.unwrap();
    // The CLI says goodbye and hangs up a second later, while the client waits for the next
    // reading; the next command goes to a new session and its output holds no goodbye.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(client.run("xdslctl info --stats", TIMEOUT).await.unwrap(), answer("xdslctl info --stats"));
    assert_eq!((client.sessions_opened(), server.logins()), (2, 2));
}

#[tokio::test]
async fn while_the_server_is_down_reconnects_back_off() {
    let Some(mut server) = TelnetServer::start(Login::UserAndPassword, "# ") else { return };
    let mut client = client(&server, Prompt::new(None), PASSWORD);
    client.run("xdslctl info --stats", TIMEOUT).await.unwrap();

    server.stop();
    let error = client.run("xdslctl info --stats", TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::Connect { .. }), "{error}");
    // The failed connect arms the backoff: the next command is refused at once.
    let DeviceError::Backoff { wait, .. } = client.run("xdslctl info --stats", TIMEOUT).await.unwrap_err() else {
        panic!("no backoff after a failed connect")
    };
    assert!(wait <= Duration::from_secs(1), "{wait:?}");

    server.restart();
    tokio::time::sleep(wait).await;
    assert_eq!(client.run("xdslctl info --stats", TIMEOUT).await.unwrap(), answer("xdslctl info --stats"));
    assert_eq!(client.sessions_opened(), 2);
}

#[tokio::test]
async fn a_hanging_command_times_out_and_the_session_goes_on() {
    let Some(server) = TelnetServer::start(Login::UserAndPassword, "# ") else { return };
    let mut client = client(&server, Prompt::new(None), PASSWORD);

    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let error = client.run("sleep 600", timeout).await.unwrap_err();
    assert!(matches!(&error, DeviceError::Timeout { command, after, .. } if command == "sleep 600" && *after == timeout), "{error}");
    assert!(started.elapsed() >= timeout, "not before the configured timeout");

    // Ctrl-C stopped the command and the CLI showed its prompt again, so the same session
    // is kept, and nothing of the interrupted command leaks into the next output.
    assert_eq!(client.run("xdslctl info --stats", TIMEOUT).await.unwrap(), answer("xdslctl info --stats"));
    assert_eq!((client.sessions_opened(), server.logins()), (1, 1));
}

#[tokio::test]
async fn twenty_commands_on_one_session() {
    let Some(server) = TelnetServer::start(Login::UserAndPassword, "> ") else { return };
    let mut client = client(&server, Prompt::new(None), PASSWORD);
    for i in 0..20 {
        let command = if i % 2 == 0 { "xdslctl info --stats" } else { "vdsl status more" };
        assert_eq!(client.run(command, TIMEOUT).await.unwrap(), answer(command), "command {i}");
    }
    assert_eq!((client.sessions_opened(), server.logins()), (1, 1));
    client.close().await;
}

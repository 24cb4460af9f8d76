//! A modem's Telnet CLI: the real busybox telnetd (it does the Telnet negotiation and runs the
//! login program on a pty) with a small login program that behaves like a modem's CLI.

use std::process::{Child, Command, Stdio};

use crate::support;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "s3cret-telnet";

pub const BROADCOM: &str = "xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt";
pub const DRAYTEK: &str = "draytek/01-draytek-vigor-vdsl-status-more.txt";

/// How the device greets a new connection.
#[derive(Clone, Copy)]
pub enum Login {
    /// `Login: ` then `Password: `.
    UserAndPassword,
    /// `Password: ` only.
    PasswordOnly,
}

/// What the CLI prints for a command: the capture, ending with a newline like the real command
/// (a capture that lost its last newline would run into the prompt).
pub fn answer(command: &str) -> String {
    let mut text = match command {
        "xdslctl info --stats" => support::fixture(BROADCOM),
        // The capture starts with the prompt and the command the user typed: the CLI prints
        // those itself.
        "vdsl status more" => {
            let capture = support::fixture(DRAYTEK);
            capture.split_once('\n').expect("a capture with its command line").1.to_string()
        }
        _ => "% Unknown command\n".to_string(),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// busybox telnetd on 127.0.0.1, killed on drop.
pub struct TelnetServer {
    pub port: u16,
    dir: tempfile::TempDir,
    telnetd: Option<Child>,
}

impl TelnetServer {
    /// `None` (the test is skipped, loudly) when busybox is not installed outside CI.
    pub fn start(login: Login, prompt: &str) -> Option<TelnetServer> {
        if !support::peer_available("busybox", "busybox-static") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).display().to_string();
        std::fs::write(path("broadcom.txt"), answer("xdslctl info --stats")).unwrap();
        std::fs::write(path("draytek.txt"), answer("vdsl status more")).unwrap();
        std::fs::write(path("issue"), "Test modem CLI\n").unwrap();
        let ask_user = match login {
            Login::UserAndPassword => "printf 'Login: '\nread -r user || exit 0".to_string(),
            Login::PasswordOnly => format!("user='{USER}'"),
        };
        let script = format!(
            r#"#!/bin/sh
# A modem's CLI login, run by busybox telnetd on a pty.
{ask_user}
stty -echo
printf 'Password: '
read -r password || exit 0
stty echo
echo
if [ "$user" != '{USER}' ] || [ "$password" != '{PASSWORD}' ]; then
    echo 'Login incorrect'
    exit 1
fi
echo login >> '{logins}'
echo 'Welcome.'
# Ctrl-C stops the running command, not the CLI.
trap echo INT
while printf '%s' '{prompt}'; read -r command; do
    case "$command" in
        'xdslctl info --stats') cat '{broadcom}' ;;
        'vdsl status more') cat '{draytek}' ;;
        'sleep 600') sleep 600 ;;
        # A CLI that logs idle users out, with a notice, as DrayTek and ZyNOS do.
        'logout when idle') ( sleep 1; printf '\nIdle timeout, logging out.\n'; kill $$ ) & ;;
        exit) exit 0 ;;
        '') ;;
        *) echo '% Unknown command' ;;
    esac
done
"#,
            logins = path("logins"),
            broadcom = path("broadcom.txt"),
            draytek = path("draytek.txt"),
        );
        std::fs::write(path("login"), script).unwrap();
        std::fs::set_permissions(path("login"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let mut server = TelnetServer { port: support::free_port(), dir, telnetd: None };
        server.restart();
        Some(server)
    }

    /// Starts telnetd (again) on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let file = |name: &str| self.dir.path().join(name);
        // `env --default-signal=INT`: a test runner started in the background may ignore
        // SIGINT, and a shell cannot trap a signal ignored on entry; Ctrl-C must work.
        let telnetd = Command::new("env")
            .args(["--default-signal=INT", "busybox", "telnetd", "-F", "-b", "127.0.0.1", "-p", &self.port.to_string()])
            .arg("-l")
            .arg(file("login"))
            .arg("-f")
            .arg(file("issue"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("busybox telnetd starts");
        self.telnetd = Some(telnetd);
        support::wait_for_port(self.port);
    }

    /// Kills telnetd, as a modem that reboots: its connections close.
    pub fn stop(&mut self) {
        if let Some(mut telnetd) = self.telnetd.take() {
            let _ = telnetd.kill();
            let _ = telnetd.wait();
        }
    }

    /// Successful logins so far.
    pub fn logins(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("logins")).map_or(0, |s| s.lines().count())
    }
}

impl Drop for TelnetServer {
    fn drop(&mut self) {
        self.stop();
    }
}

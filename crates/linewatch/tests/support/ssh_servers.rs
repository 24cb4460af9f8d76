//! Real SSH servers for the end-to-end tests: dropbear (what modems run) and OpenSSH sshd
//! (configured like an old modem when asked), each on a free port with its own temp dir and
//! host key, logging in the test user and serving a fake `xdslctl` that prints a real capture.
//! A server and every session it forked are killed when it is dropped.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use linewatch::config::Secret;
use linewatch::devices::ssh::SshOptions;

use crate::support;

/// The system user the servers log in (`.ci/run` creates it; so do the tests, as root).
pub const USER: &str = "lwtest";
pub const PASSWORD: &str = "lw-test-pass";
/// The capture the fake `xdslctl info --stats` prints.
pub const CAPTURE: &str = "xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt";
pub const STATS: &str = "xdslctl info --stats";
pub const ZYSH_PROMPT: &str = "ZySH>";

/// What the fake `xdslctl info --stats` prints: the capture, ending with a newline as on a modem.
pub fn capture_output() -> String {
    let mut text = support::fixture(CAPTURE);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// What the server runs for a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// The requested command, with the fake `xdslctl` first on the PATH.
    Exec,
    /// A modem CLI without exec: prints `ZySH> ` and runs one command per line.
    ZySh,
}

#[derive(Debug, Clone)]
enum Kind {
    Dropbear,
    /// The host key type and extra `sshd_config` lines.
    Sshd {
        key_type: String,
        config: String,
    },
}

pub struct SshServer {
    dir: tempfile::TempDir,
    port: u16,
    kind: Kind,
    child: Option<Child>,
}

impl SshServer {
    /// dropbear with an ed25519 host key, password logins allowed. None (after a loud message)
    /// when dropbear or the test user is missing outside CI.
    pub fn dropbear(login: Login) -> Option<SshServer> {
        if !support::peer_available("dropbear", "dropbear-bin")
            || !support::peer_available("dropbearkey", "dropbear-bin")
            || !test_user_ready()
        {
            return None;
        }
        let server = SshServer::prepare(Kind::Dropbear, login);
        server.new_host_key();
        Some(server.started())
    }

    /// OpenSSH sshd with an RSA host key, the given `sshd_config` lines added (they win over the
    /// defaults here: sshd takes the first value it reads, so they come first).
    pub fn sshd(config: &str) -> Option<SshServer> {
        SshServer::sshd_with_key("rsa", config)
    }

    /// sshd with a host key of this `ssh-keygen -t` type.
    pub fn sshd_with_key(key_type: &str, config: &str) -> Option<SshServer> {
        if !support::peer_available("sshd", "openssh-server")
            || !support::peer_available("ssh-keygen", "openssh-client")
            || !test_user_ready()
        {
            return None;
        }
        // sshd refuses to start without its privilege separation directory.
        fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let server =
            SshServer::prepare(Kind::Sshd { key_type: key_type.to_string(), config: config.to_string() }, Login::Exec);
        server.new_host_key();
        Some(server.started())
    }

    fn prepare(kind: Kind, login: Login) -> SshServer {
        let dir = tempfile::tempdir().unwrap();
        // The test user runs the scripts and reads authorized_keys in here.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let d = dir.path().display().to_string();
        fs::create_dir(dir.path().join("bin")).unwrap();
        fs::write(dir.path().join("stats.txt"), capture_output()).unwrap();
        script(
            &dir.path().join("bin/xdslctl"),
            &format!(
                "# A Broadcom modem's xdslctl, serving a real capture.\n\
                 case \"$*\" in\n\
                 \"info --stats\"|\"info --show\") exec cat {d}/stats.txt ;;\n\
                 *) echo \"xdslctl: unsupported: $*\" >&2; exit 1 ;;\n\
                 esac\n"
            ),
        );
        script(
            &dir.path().join("login"),
            &match login {
                Login::Exec => format!(
                    "# The forced command: runs the requested one, with the fake xdslctl on the PATH.\n\
                     PATH={d}/bin:$PATH\n\
                     {MARKER}={d}\n\
                     export PATH {MARKER}\n\
                     exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n"
                ),
                Login::ZySh => format!(
                    "# A modem CLI without exec. Ctrl-C stops the running command, not the CLI.\n\
                     PATH={d}/bin:$PATH\n\
                     {MARKER}={d}\n\
                     export PATH {MARKER}\n\
                     trap true INT\n\
                     printf 'Welcome to the fake ZyXEL CLI\\r\\n{ZYSH_PROMPT} '\n\
                     while IFS= read -r line; do\n\
                     \x20   case \"$line\" in\n\
                     \x20       '') ;;\n\
                     \x20       exit) exit 0 ;;\n\
                     \x20       *) /bin/sh -c \"$line\" ;;\n\
                     \x20   esac\n\
                     \x20   printf '{ZYSH_PROMPT} '\n\
                     done\n"
                ),
            },
        );
        SshServer { dir, port: support::free_port(), kind, child: None }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What the server logged so far (for failure messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.path("server.log")).unwrap_or_default()
    }

    /// Options for a client of this server, logging in with the password, pinning host keys in
    /// `known_hosts`.
    pub fn options(&self, known_hosts: &Path) -> SshOptions {
        SshOptions {
            host: "127.0.0.1".into(),
            port: self.port,
            user: USER.into(),
            password: Some(Secret::new(PASSWORD)),
            key_file: None,
            key_passphrase: None,
            legacy_algorithms: false,
            shell: None,
            connect_timeout: Duration::from_secs(5),
            keepalive: Duration::from_secs(30),
            known_hosts: known_hosts.to_path_buf(),
        }
    }

    /// Replaces the host key (takes effect at the next start).
    pub fn new_host_key(&self) {
        let key = self.path("host_key");
        let _ = fs::remove_file(&key);
        let status = match &self.kind {
            Kind::Dropbear => Command::new("dropbearkey")
                .args(["-t", "ed25519", "-f"])
                .arg(&key)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status(),
            Kind::Sshd { key_type, .. } => {
                Command::new("ssh-keygen").args(["-q", "-t", key_type.as_str(), "-N", "", "-f"]).arg(&key).status()
            }
        };
        assert!(status.unwrap().success(), "host key generation failed");
    }

    /// The SHA256 fingerprint of the current host key, as OpenSSH prints it.
    pub fn fingerprint(&self) -> String {
        let key = self.path("host_key");
        let public = match &self.kind {
            Kind::Dropbear => {
                let out = Command::new("dropbearkey").args(["-y", "-f"]).arg(&key).output().unwrap();
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.lines().find(|l| l.starts_with("ssh-")).expect("dropbearkey -y prints the public key").to_string()
            }
            Kind::Sshd { .. } => fs::read_to_string(key.with_extension("pub")).unwrap(),
        };
        fingerprint_of(&public)
    }

    /// Authorizes this public key file for the test user (sshd only).
    pub fn authorize(&self, public_key: &Path) {
        fs::copy(public_key, self.path("authorized_keys")).unwrap();
        fs::set_permissions(self.path("authorized_keys"), fs::Permissions::from_mode(0o644)).unwrap();
    }

    fn started(mut self) -> SshServer {
        self.start();
        self
    }

    /// Starts the server in the foreground and waits until it listens.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let d = self.dir.path().display().to_string();
        let mut command = match &self.kind {
            Kind::Dropbear => {
                let mut c = Command::new("dropbear");
                c.args(["-F", "-E", "-m", "-r", &format!("{d}/host_key"), "-p", &format!("127.0.0.1:{}", self.port)]);
                c.args(["-P", &format!("{d}/dropbear.pid"), "-c", &format!("{d}/login")]);
                c
            }
            Kind::Sshd { config: extra, .. } => {
                let config = format!(
                    "{extra}\n\
                     Port {port}\n\
                     ListenAddress 127.0.0.1\n\
                     HostKey {d}/host_key\n\
                     PidFile none\n\
                     UsePAM no\n\
                     PermitRootLogin no\n\
                     StrictModes no\n\
                     AuthorizedKeysFile {d}/authorized_keys\n\
                     ForceCommand {d}/login\n\
                     LogLevel VERBOSE\n",
                    port = self.port
                );
                fs::write(self.path("sshd_config"), config).unwrap();
                // sshd re-executes itself: it needs its absolute path.
                let mut c = Command::new(support::which("sshd").unwrap());
                c.args(["-D", "-e", "-f", &format!("{d}/sshd_config")]);
                c
            }
        };
        let log = fs::OpenOptions::new().create(true).append(true).open(self.path("server.log")).unwrap();
        command.stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log);
        self.child = Some(command.spawn().expect("start the SSH server"));
        self.wait_until_listening();
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("the SSH server exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "the SSH server does not listen on {} after 10s:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server and every session it forked, like a modem losing power.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_server(child.id(), self.dir.path());
            let _ = child.wait();
        }
    }

    /// Power-cycles the modem: same port, same host key (unless replaced in between).
    pub fn restart(&mut self) {
        self.stop();
        self.start();
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn script(path: &Path, body: &str) {
    fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// OpenSSH's own word on a public key's fingerprint (`SHA256:...`).
pub fn fingerprint_of(public_key_line: &str) -> String {
    let mut child = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(public_key_line.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace()
        .nth(1)
        .filter(|f| f.starts_with("SHA256:"))
        .unwrap_or_else(|| panic!("ssh-keygen -l: {text:?}"))
        .to_string()
}

/// A fresh ed25519 client key pair in `dir` (`id`, `id.pub`), encrypted with `passphrase`.
pub fn client_key(dir: &Path, passphrase: &str) -> PathBuf {
    let key = dir.join("id");
    let status =
        Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", passphrase, "-f"]).arg(&key).status().unwrap();
    assert!(status.success());
    key
}

/// The variable every session process of a server carries, naming the server's dir.
const MARKER: &str = "LINEWATCH_TEST_SERVER";

/// Kills `pid` with all its descendants (a forked server's sessions run in their own sessions,
/// so a process group kill would miss them), and every process carrying the server's marker (a
/// session's commands outlive their connection when it closes first).
fn kill_server(pid: u32, dir: &Path) {
    let marker = format!("{MARKER}={}", dir.display());
    let mut children = std::collections::HashMap::<u32, Vec<u32>>::new();
    let mut doomed = vec![pid];
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(process) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
        let Some(ppid) = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok())
        else {
            continue;
        };
        children.entry(ppid).or_default().push(process);
        let environ = fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|var| var == marker.as_bytes()) {
            doomed.push(process);
        }
    }
    let mut i = 0;
    while i < doomed.len() {
        doomed.extend(children.get(&doomed[i]).into_iter().flatten());
        i += 1;
    }
    let _ = Command::new("kill").arg("-KILL").args(doomed.iter().map(u32::to_string)).stderr(Stdio::null()).status();
}

/// The test user exists and has the test password, creating it when missing (the same
/// commands `.ci/run` runs). The servers switch to that user, so this needs root: otherwise the
/// test is skipped loudly (and fails under CI).
pub fn test_user_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if !root {
            let message = "the SSH servers log in a test user, which needs root (CI runs as root)";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}");
            }
            eprintln!("\n!!! SKIPPED: {message}\n");
            return false;
        }
        let exists = Command::new("id").arg(USER).stdout(Stdio::null()).stderr(Stdio::null()).status();
        if !exists.is_ok_and(|s| s.success()) {
            let status = Command::new("useradd").args(["-m", "-s", "/bin/sh", USER]).status().unwrap();
            assert!(status.success(), "useradd {USER} failed");
        }
        let mut chpasswd = Command::new("chpasswd").stdin(Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        chpasswd.stdin.take().unwrap().write_all(format!("{USER}:{PASSWORD}\n").as_bytes()).unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
        true
    })
}

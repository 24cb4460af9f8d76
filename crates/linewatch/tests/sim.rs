//! The modem simulator end to end: Debian's OpenSSH client and a plain Telnet conversation
//! read it, our parsers read what they print, and it matches the simulator's own truth.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use linewatch::config::Secret;
use linewatch::devices::prompt::{Prompt, command_output};
use linewatch::sim::line::Phase;
use linewatch::sim::{Clock, Event, LineSnapshot, ModemSim, SimHandle, SimOptions};
use tempfile::TempDir;
use xdsl::{Counter, Dialect, LineReading, LineState, Window};

/// Generous: only there so a broken test ends.
const PATIENCE: Duration = Duration::from_secs(60);

/// A client key pair made by `ssh-keygen`, and the simulator options that accept it.
struct Keys {
    _dir: TempDir,
    private: PathBuf,
    public: russh::keys::PublicKey,
}

fn keys() -> Keys {
    let dir = TempDir::new().unwrap();
    let private = dir.path().join("id_ed25519");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&private)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(private.with_extension("pub")).unwrap();
    Keys { public: russh::keys::PublicKey::from_openssh(public.trim()).unwrap(), private, _dir: dir }
}

fn real_peers() -> bool {
    support::peer_available("ssh", "openssh-client") && support::peer_available("ssh-keygen", "openssh-client")
}

async fn start(keys: &Keys, options: SimOptions) -> SimHandle {
    ModemSim::start(SimOptions { authorized_keys: vec![keys.public.clone()], ..options }).await.unwrap()
}

/// A simulator on a manual clock: the line moves only when the test says.
fn manual(dialect: Dialect) -> SimOptions {
    SimOptions { dialect, clock: Some(Clock::manual()), seed: 7, ..SimOptions::default() }
}

/// Runs `command` with Debian's `ssh` client; returns its output and exit code.
async fn ssh(addr: SocketAddr, keys: &Keys, command: &str) -> (String, i32) {
    let mut ssh = tokio::process::Command::new("ssh");
    ssh.args(["-F", "/dev/null", "-p", &addr.port().to_string(), "-i"])
        .arg(&keys.private)
        .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"])
        .args(["-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "admin@127.0.0.1", command])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(PATIENCE, ssh.output()).await.expect("ssh hangs").unwrap();
    (String::from_utf8_lossy(&output.stdout).into_owned(), output.status.code().unwrap_or(-1))
}

/// The command that reads the line in each dialect.
fn read_command(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Homeware => "transformer-cli get sys.class.xdsl.@line0.",
        Dialect::Openwrt => "ubus call dsl metrics",
        _ => "xdslctl info --stats",
    }
}

async fn read(sim: &SimHandle, keys: &Keys, dialect: Dialect) -> LineReading {
    let (output, status) = ssh(sim.ssh_addr().unwrap(), keys, read_command(dialect)).await;
    assert_eq!(status, 0, "{output}");
    dialect.parse(&output).unwrap_or_else(|e| panic!("{dialect}: {e}\n{output}"))
}

/// What every dialect shows: state, rates, margins, attenuation, power, uptime.
fn assert_matches(reading: &LineReading, truth: &LineSnapshot) {
    let link = truth.link.expect("the truth is in showtime");
    assert_eq!(reading.state, LineState::Showtime);
    assert_eq!(reading.uptime_s, truth.line_uptime_s);
    for (read, true_figures) in [(&reading.down, &link.down), (&reading.up, &link.up)] {
        assert_eq!(read.rate_bps, Some(u64::from(true_figures.rate_kbps) * 1000));
        assert_eq!(read.attainable_bps, Some(u64::from(true_figures.attainable_kbps) * 1000));
        assert_eq!(read.power_dbm, Some(f64::from(true_figures.power_tenths) / 10.0));
    }
    assert_eq!(reading.down.attenuation_db, Some(f64::from(link.down.attenuation_tenths) / 10.0));
}

fn total(reading: &LineReading, counter: Counter) -> Option<u64> {
    reading.counters.total.as_ref().and_then(|w| w.down.get(counter))
}

fn true_total(truth: &LineSnapshot, counter: Counter) -> u64 {
    // Modems print the low 32 bits of their counters.
    truth.window(Window::Total).down.get(counter) & 0xffff_ffff
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_ssh_reads_every_dialect_as_the_truth_over_a_simulated_week() {
    if !real_peers() {
        return;
    }
    let keys = keys();
    for dialect in linewatch::sim::DIALECTS {
        let sim = start(&keys, manual(dialect)).await;
        sim.clock().advance(Duration::from_secs(3600));
        let reading = read(&sim, &keys, dialect).await;
        assert_matches(&reading, &sim.line());

        // A week in a moment: counters and uptimes follow.
        sim.clock().advance(Duration::from_secs(7 * 86_400));
        let reading = read(&sim, &keys, dialect).await;
        let truth = sim.line();
        assert!(truth.modem_uptime_s >= 7 * 86_400);
        if truth.phase == Phase::Showtime {
            assert_matches(&reading, &truth);
        }
        let counter = if dialect == Dialect::Openwrt { Counter::Fecs } else { Counter::Crc };
        assert_eq!(total(&reading, counter), Some(true_total(&truth, counter)), "{dialect}");
        sim.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_ssh_sees_a_desync_train_and_come_back() {
    if !real_peers() {
        return;
    }
    let keys = keys();
    let sim = start(&keys, manual(Dialect::Broadcom)).await;
    sim.clock().advance(Duration::from_secs(600));
    let before = read(&sim, &keys, Dialect::Broadcom).await;
    assert_eq!(before.uptime_s, Some(600));

    sim.inject(Event::Desync { down_for: Duration::from_secs(40) });
    let down = read(&sim, &keys, Dialect::Broadcom).await;
    assert_eq!((down.state, down.state_text.as_deref()), (LineState::Idle, Some("Idle")));
    assert_eq!(down.uptime_s, None);

    sim.clock().advance(Duration::from_secs(41));
    let training = read(&sim, &keys, Dialect::Broadcom).await;
    assert_eq!((training.state, training.state_text.as_deref()), (LineState::Training, Some("G.994 Training")));

    sim.clock().advance(Duration::from_secs(60));
    let after = read(&sim, &keys, Dialect::Broadcom).await;
    assert_matches(&after, &sim.line());
    assert!(after.uptime_s.unwrap() < 60, "uptime restarted: {:?}", after.uptime_s);
    let total = after.counters.total.as_ref().unwrap();
    assert_eq!((total.retrains, total.down.los), (Some(1), Some(1)));
    assert_ne!(after.down.rate_bps, before.down.rate_bps, "new rates after the retrain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_commands_take_the_line_down_and_up() {
    if !real_peers() {
        return;
    }
    let keys = keys();
    let sim = start(&keys, manual(Dialect::Broadcom)).await;
    let addr = sim.ssh_addr().unwrap();
    assert_eq!(ssh(addr, &keys, "xdslctl connection --down").await, (String::new(), 0));
    sim.clock().advance(Duration::from_secs(600));
    assert_eq!(read(&sim, &keys, Dialect::Broadcom).await.state, LineState::Idle, "stays down until --up");
    assert_eq!(ssh(addr, &keys, "xdslctl connection --up").await.1, 0);
    assert_eq!(read(&sim, &keys, Dialect::Broadcom).await.state, LineState::Training);
    sim.clock().advance(Duration::from_secs(60));
    assert_matches(&read(&sim, &keys, Dialect::Broadcom).await, &sim.line());

    let openwrt = start(&keys, manual(Dialect::Openwrt)).await;
    assert_eq!(ssh(openwrt.ssh_addr().unwrap(), &keys, "/etc/init.d/dsl_control restart").await.1, 0);
    assert_eq!(read(&openwrt, &keys, Dialect::Openwrt).await.state, LineState::Idle);
    openwrt.clock().advance(Duration::from_secs(90));
    assert_matches(&read(&openwrt, &keys, Dialect::Openwrt).await, &openwrt.line());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_commands_answer_like_busybox() {
    if !real_peers() {
        return;
    }
    let keys = keys();
    let sim = start(&keys, manual(Dialect::Homeware)).await;
    let addr = sim.ssh_addr().unwrap();
    assert_eq!(ssh(addr, &keys, "ubus call dsl metrics").await, ("sh: ubus: not found\n".to_string(), 127));
    let (uptime, status) = ssh(addr, &keys, "uptime").await;
    assert_eq!(status, 0);
    assert!(uptime.contains(" up 0 min,  load average: "), "{uptime}");
}

fn refused(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
}

/// Polls `condition` until it holds (panics after [`PATIENCE`]).
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < PATIENCE, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reboot_closes_sessions_refuses_connections_and_resets_counters() {
    if !real_peers() {
        return;
    }
    let keys = keys();
    let sim =
        start(&keys, SimOptions { telnet: Some(SocketAddr::from(([127, 0, 0, 1], 0))), ..manual(Dialect::Broadcom) })
            .await;
    let (ssh_addr, telnet_addr) = (sim.ssh_addr().unwrap(), sim.telnet_addr().unwrap());
    sim.clock().advance(Duration::from_secs(86_400));
    let before = sim.line();
    let mut telnet = Telnet::login(telnet_addr, "admin", "admin");
    let mut session = russh_session(ssh_addr, "admin", "admin").await.unwrap();

    ssh(ssh_addr, &keys, "reboot").await;
    eventually("the ports close", || refused(ssh_addr) && refused(telnet_addr)).await;
    assert!(telnet.closed(), "the Telnet session ends with the reboot");
    assert!(exec(&mut session, "uptime").await.is_err(), "the SSH session ends with the reboot");

    sim.clock().advance(Duration::from_secs(61));
    eventually("the ports open again", || !refused(ssh_addr) && !refused(telnet_addr)).await;
    let after = read(&sim, &keys, Dialect::Broadcom).await;
    assert_eq!(after.state, LineState::Training, "the line trains after the boot");
    sim.clock().advance(Duration::from_secs(60));
    let after = read(&sim, &keys, Dialect::Broadcom).await;
    let total = after.counters.total.as_ref().unwrap();
    assert!(total.duration_s.unwrap() < 120, "counting since the boot: {total:?}");
    assert!(total.down.fec.unwrap() < true_total(&before, Counter::Fec));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_modem_refuses_connections_while_the_line_stays_up() {
    let sim = ModemSim::start(manual(Dialect::Broadcom)).await.unwrap();
    let addr = sim.ssh_addr().unwrap();
    sim.inject(Event::Unreachable { r#for: Duration::from_secs(120) });
    eventually("the port closes", || refused(addr)).await;
    sim.clock().advance(Duration::from_secs(119));
    assert_eq!(sim.line().phase, Phase::Showtime);
    assert!(refused(addr));
    sim.clock().advance(Duration::from_secs(1));
    eventually("the port opens again", || !refused(addr)).await;
    let mut session = russh_session(addr, "admin", "admin").await.unwrap();
    assert_eq!(exec(&mut session, "exit").await.unwrap(), (String::new(), 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telnet_login_prompt_and_commands() {
    let sim = ModemSim::start(SimOptions {
        ssh: None,
        telnet: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        password: Secret::new("s3cret"),
        ..manual(Dialect::Broadcom)
    })
    .await
    .unwrap();
    let addr = sim.telnet_addr().unwrap();
    assert!(!Telnet::try_login(addr, "admin", "wrong").1, "a wrong password is refused");

    let mut telnet = Telnet::login(addr, "admin", "s3cret");
    let transcript = telnet.run("xdslctl info --stats");
    let prompt = Prompt::new(Some("#"));
    let output = command_output(&transcript, "xdslctl info --stats", &prompt);
    assert_matches(&Dialect::Broadcom.parse(&output).unwrap(), &sim.line());
    assert_eq!(command_output(&telnet.run("nonsense"), "nonsense", &prompt), "sh: nonsense: not found\n");
    telnet.send("exit\r\n");
    assert!(telnet.closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_shell_with_a_pty_and_a_zysh_prompt() {
    if !real_peers() {
        return;
    }
    let keys = keys();
    let sim = start(&keys, SimOptions { prompt: "ZySH> ".to_string(), ..manual(Dialect::Broadcom) }).await;
    let mut ssh = tokio::process::Command::new("ssh");
    ssh.args(["-tt", "-F", "/dev/null", "-p", &sim.ssh_addr().unwrap().port().to_string(), "-i"])
        .arg(&keys.private)
        .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"])
        .args(["-o", "LogLevel=ERROR", "admin@127.0.0.1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = ssh.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut transcript = String::new();
    // Type each command once the prompt is there, as the client's shell mode does.
    for command in ["xdslctl info --stats", "exit"] {
        read_until(&mut stdout, &mut transcript, |t| t.ends_with("ZySH> ")).await;
        let start = transcript.len();
        tokio::io::AsyncWriteExt::write_all(&mut stdin, format!("{command}\r").as_bytes()).await.unwrap();
        if command != "exit" {
            read_until(&mut stdout, &mut transcript, |t| t[start..].ends_with("ZySH> ")).await;
            let output = command_output(&transcript[start..], command, &Prompt::new(Some("ZySH>")));
            assert_matches(&Dialect::Broadcom.parse(&output).unwrap(), &sim.line());
            assert!(transcript[start..].contains("\r\nStatus: Showtime\r\n"), "a PTY ends lines with CR LF");
        }
    }
    let status = tokio::time::timeout(PATIENCE, child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "exit ends the shell: {status}");
}

async fn read_until(stdout: &mut tokio::process::ChildStdout, transcript: &mut String, done: impl Fn(&str) -> bool) {
    let mut buffer = [0u8; 4096];
    while !done(transcript) {
        let n = tokio::time::timeout(PATIENCE, tokio::io::AsyncReadExt::read(stdout, &mut buffer))
            .await
            .expect("no prompt")
            .unwrap();
        assert!(n > 0, "the shell ended early: {transcript:?}");
        transcript.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_exit_status_over_russh() {
    let sim =
        ModemSim::start(SimOptions { password: Secret::new("s3cret"), ..manual(Dialect::Openwrt) }).await.unwrap();
    let addr = sim.ssh_addr().unwrap();
    assert!(russh_session(addr, "admin", "wrong").await.is_err());
    assert!(russh_session(addr, "root", "s3cret").await.is_err());
    let mut session = russh_session(addr, "admin", "s3cret").await.unwrap();
    let (metrics, status) = exec(&mut session, "ubus call dsl metrics").await.unwrap();
    assert_eq!(status, 0);
    assert_matches(&Dialect::Openwrt.parse(&metrics).unwrap(), &sim.line());
    // Several commands on one session, as the persistent transport runs them.
    assert_eq!(exec(&mut session, "xdslctl info").await.unwrap().1, 127);
    assert_eq!(exec(&mut session, "sleep 0.2").await.unwrap(), (String::new(), 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_is_kept_in_the_state_dir_unless_fresh() {
    if !support::peer_available("ssh-keyscan", "openssh-client") {
        return;
    }
    let state = TempDir::new().unwrap();
    let with_state = |fresh_host_key| SimOptions {
        state_dir: Some(state.path().to_path_buf()),
        fresh_host_key,
        ..manual(Dialect::Broadcom)
    };
    let first = ModemSim::start(with_state(false)).await.unwrap();
    let fingerprint = first.host_key_fingerprint().unwrap().to_string();
    assert!(fingerprint.starts_with("SHA256:"));
    assert_eq!(scanned_fingerprint(first.ssh_addr().unwrap()), fingerprint, "what a real client sees");
    first.stop().await;
    let again = ModemSim::start(with_state(false)).await.unwrap();
    assert_eq!(again.host_key_fingerprint().unwrap(), fingerprint, "a restarted simulator keeps its key");
    let fresh = ModemSim::start(with_state(true)).await.unwrap();
    assert_ne!(fresh.host_key_fingerprint().unwrap(), fingerprint);
    assert_eq!(scanned_fingerprint(fresh.ssh_addr().unwrap()), fresh.host_key_fingerprint().unwrap());
}

/// The host key fingerprint as OpenSSH computes it (`ssh-keyscan | ssh-keygen -lf -`).
fn scanned_fingerprint(addr: SocketAddr) -> String {
    let scan = std::process::Command::new("ssh-keyscan")
        .args(["-T", "10", "-t", "ed25519", "-p", &addr.port().to_string(), "127.0.0.1"])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let mut keygen = std::process::Command::new("ssh-keygen")
        .args(["-l", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    keygen.stdin.take().unwrap().write_all(&scan.stdout).unwrap();
    let listed = String::from_utf8(keygen.wait_with_output().unwrap().stdout).unwrap();
    listed.split_whitespace().nth(1).unwrap_or_default().to_string()
}

#[test]
fn the_command_line_simulator_runs_its_script() {
    let dir = TempDir::new().unwrap();
    let script = dir.path().join("script.toml");
    std::fs::write(&script, "[[event]]\nat = \"10s\"\nkind = \"desync\"\ndown_for = \"20s\"\n").unwrap();
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .args(["sim", "modem", "--dialect", "homeware", "--ssh", "127.0.0.1:0", "--telnet", "127.0.0.1:0"])
        .args(["--speed", "20", "--seed", "3", "--state-dir"])
        .arg(dir.path())
        .arg("--script")
        .arg(&script)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = sim.stdout.take().unwrap();
    let _guard = Kill(sim);
    let mut printed = String::new();
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    while !printed.contains("showtime at") || printed.matches("showtime at").count() < 2 {
        assert!(started.elapsed() < PATIENCE, "{printed}");
        let n = stdout.read(&mut buffer).unwrap();
        assert!(n > 0, "the simulator stopped: {printed}");
        printed.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    let line = |prefix: &str| printed.lines().find(|l| l.starts_with(prefix)).map(str::to_string);
    assert!(line("simulated homeware modem, VDSL2 17a, seed 3, speed 20x").is_some(), "{printed}");
    let ssh: SocketAddr = line("ssh listening on ").unwrap()["ssh listening on ".len()..].parse().unwrap();
    assert_ne!(ssh.port(), 0);
    assert!(line("host key SHA256:").is_some());
    assert!(line("telnet listening on 127.0.0.1:").is_some());
    assert!(printed.contains("+0d 00:00:10 desync, down for 20s\n"), "{printed}");
    assert!(dir.path().join("ssh_host_ed25519_key").exists());
}

/// Ends the simulator process when the test ends, passed or not.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ------------------------------------------------------------------------ Telnet, by hand

/// A Telnet conversation over a plain TCP socket (the server does the negotiation).
struct Telnet {
    stream: TcpStream,
}

impl Telnet {
    /// Logs in; returns the connection and whether the shell prompt came.
    fn try_login(addr: SocketAddr, user: &str, password: &str) -> (Telnet, bool) {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut telnet = Telnet { stream };
        telnet.expect("Login: ");
        telnet.send(&format!("{user}\r\n"));
        telnet.expect("Password: ");
        telnet.send(&format!("{password}\r\n"));
        let answer = telnet.expect_any(&["# ", "Login: "]);
        (telnet, answer.ends_with("# "))
    }

    fn login(addr: SocketAddr, user: &str, password: &str) -> Telnet {
        let (telnet, ok) = Telnet::try_login(addr, user, password);
        assert!(ok, "login refused");
        telnet
    }

    fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).unwrap();
    }

    fn run(&mut self, command: &str) -> String {
        self.send(&format!("{command}\r\n"));
        self.expect("\r\n# ")
    }

    fn expect(&mut self, ending: &str) -> String {
        self.expect_any(&[ending])
    }

    /// Reads until the text ends with one of `endings`; Telnet commands (IAC ...) dropped.
    fn expect_any(&mut self, endings: &[&str]) -> String {
        let mut text = Vec::new();
        let mut byte = [0u8; 1];
        while !endings.iter().any(|e| text.ends_with(e.as_bytes())) {
            assert_eq!(self.stream.read(&mut byte).unwrap(), 1, "closed after {:?}", String::from_utf8_lossy(&text));
            if byte[0] == 255 {
                let mut command = [0u8; 2];
                self.stream.read_exact(&mut command).unwrap();
                continue;
            }
            text.push(byte[0]);
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Whether the server closed the connection (reads to its end; a live one times out).
    fn closed(&mut self) -> bool {
        match self.stream.read_to_end(&mut Vec::new()) {
            Ok(_) => true,
            Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
        }
    }
}

// ------------------------------------------------------------------------ russh client

struct AnyHostKey;

impl russh::client::Handler for AnyHostKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &russh::keys::PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

async fn russh_session(
    addr: SocketAddr,
    user: &str,
    password: &str,
) -> anyhow::Result<russh::client::Handle<AnyHostKey>> {
    let config = Arc::new(russh::client::Config::default());
    let mut session = tokio::time::timeout(PATIENCE, russh::client::connect(config, addr, AnyHostKey)).await??;
    let auth = session.authenticate_password(user, password).await?;
    anyhow::ensure!(auth.success(), "login refused");
    Ok(session)
}

async fn exec(session: &mut russh::client::Handle<AnyHostKey>, command: &str) -> anyhow::Result<(String, u32)> {
    let mut channel = session.channel_open_session().await?;
    channel.exec(true, command).await?;
    let (mut output, mut status) = (Vec::new(), None);
    while let Some(message) = tokio::time::timeout(PATIENCE, channel.wait()).await? {
        match message {
            russh::ChannelMsg::Data { data } => output.extend_from_slice(&data),
            russh::ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    let status = status.ok_or_else(|| anyhow::anyhow!("no exit status"))?;
    Ok((String::from_utf8(output)?, status))
}

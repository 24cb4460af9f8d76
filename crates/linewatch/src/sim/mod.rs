//! Simulators: a firewall's status API (`firewall`) and a modem: an SSH server and a Telnet
//! server that behave like a Broadcom, Technicolor Homeware or OpenWrt modem shell, answering
//! its commands in the real output layouts from a line model that evolves in simulated time.
//! The modem is what the transports, the demo and the benchmarks talk to:
//!
//! - `clock`: simulated time (real time × speed, or manual for tests);
//! - `line`: the line and modem state machine, deterministic for a seed;
//! - `events`: desyncs, bursts, drifts, reboots... injected, scripted or random;
//! - `render`: the line printed in each dialect's layout;
//! - `shell`: the commands, shared by both servers;
//! - `ssh`, `telnet`: the servers.
//!
//! While the modem reboots or is unreachable, both servers close their sessions and their
//! ports (connections are refused), then listen again on the same ports.

pub mod clock;
pub mod command;
pub mod events;
pub mod firewall;
pub mod line;
pub mod render;
mod shell;
mod ssh;
mod telnet;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, broadcast, watch};
use tokio::task::JoinHandle;
use xdsl::Dialect;

use crate::config::Secret;

pub use clock::Clock;
pub use events::{Event, Script};
pub use line::{Line, LineSnapshot, Note, Standard};

/// Sessions one server keeps at once; more are refused (a modem's small CPU does the same).
const MAX_SESSIONS: usize = 32;

/// How to run a simulated modem.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Which modem to be: `Broadcom`, `Homeware` or `Openwrt`.
    pub dialect: Dialect,
    /// The name Broadcom's tool answers to: `xdslctl`, `xdslcmd` (Huawei's layout), `adsl`.
    pub broadcom_command: String,
    pub standard: Standard,
    /// Where the SSH server listens (port 0: a free port); `None`: no SSH server.
    pub ssh: Option<SocketAddr>,
    /// Where the Telnet server listens; `None`: no Telnet server.
    pub telnet: Option<SocketAddr>,
    pub user: String,
    pub password: Secret,
    /// Public keys that may log in over SSH as `user`, besides the password.
    pub authorized_keys: Vec<russh::keys::PublicKey>,
    /// The interactive shell's prompt (`# `, `ZySH> `...).
    pub prompt: String,
    /// Where the SSH host key is kept, so a restarted simulator keeps its key. `None`: a new
    /// key in memory.
    pub state_dir: Option<PathBuf>,
    /// A new host key even if `state_dir` holds one (for tests of host-key pinning).
    pub fresh_host_key: bool,
    pub seed: u64,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// A clock to use instead of one running at `speed` (a manual one, in tests).
    pub clock: Option<Clock>,
    /// Random events, on average one every this long (simulated time).
    pub random_events: Option<Duration>,
    pub script: Script,
    /// How long the modem is away after `reboot` (simulated time).
    pub reboot_time: Duration,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            dialect: Dialect::Broadcom,
            broadcom_command: "xdslctl".to_string(),
            standard: Standard::Vdsl2Profile17a,
            ssh: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            telnet: None,
            user: "admin".to_string(),
            password: Secret::new("admin"),
            authorized_keys: Vec::new(),
            prompt: "# ".to_string(),
            state_dir: None,
            fresh_host_key: false,
            seed: 1,
            speed: 1.0,
            clock: None,
            random_events: None,
            script: Script::default(),
            reboot_time: Duration::from_secs(60),
        }
    }
}

/// The dialects the simulator can be.
pub const DIALECTS: [Dialect; 3] = [Dialect::Broadcom, Dialect::Homeware, Dialect::Openwrt];

/// The simulated modem shared by the servers: the line, its clock and what the shell needs.
pub(crate) struct Modem {
    line: Mutex<Line>,
    pub(crate) clock: Clock,
    pub(crate) dialect: Dialect,
    pub(crate) broadcom_command: String,
    reboot_time: Duration,
    reachable: watch::Sender<bool>,
    notes: broadcast::Sender<Note>,
}

impl Modem {
    pub(crate) fn new(options: &SimOptions) -> Modem {
        let mut line = Line::new(options.seed, options.standard);
        for scheduled in &options.script.events {
            line.schedule(scheduled.at, scheduled.event.clone());
        }
        if let Some(mean_gap) = options.random_events {
            line.enable_random_events(options.seed, mean_gap);
        }
        Modem {
            line: Mutex::new(line),
            clock: options.clock.clone().unwrap_or_else(|| Clock::scaled(options.speed)),
            dialect: options.dialect,
            broadcom_command: options.broadcom_command.clone(),
            reboot_time: options.reboot_time,
            reachable: watch::Sender::new(true),
            notes: broadcast::Sender::new(256),
        }
    }

    /// The line, brought up to the clock's time; what happened meanwhile is published.
    fn line(&self) -> MutexGuard<'_, Line> {
        let mut line = self.line.lock().unwrap_or_else(PoisonError::into_inner);
        line.advance_to(self.clock.now_s());
        self.publish(&mut line);
        line
    }

    fn publish(&self, line: &mut Line) {
        for note in line.take_notes() {
            tracing::info!(at_s = note.at_s, "{}", note.text);
            let _ = self.notes.send(note);
        }
        let reachable = line.reachable();
        self.reachable.send_if_modified(|now| std::mem::replace(now, reachable) != reachable);
    }

    pub(crate) fn snapshot(&self) -> LineSnapshot {
        self.line().snapshot()
    }

    pub(crate) fn inject(&self, event: Event) {
        let mut line = self.line();
        line.inject(event);
        self.publish(&mut line);
    }

    pub(crate) fn reboot(&self) {
        self.inject(Event::Reboot { down_for: self.reboot_time });
    }
}

/// Whether the servers may answer: open while the modem is reachable and the simulator runs.
#[derive(Clone)]
pub(crate) struct Gate {
    reachable: watch::Receiver<bool>,
    stopped: watch::Receiver<bool>,
}

impl Gate {
    fn is_open(&self) -> bool {
        *self.reachable.borrow() && !*self.stopped.borrow()
    }

    /// Resolves when the modem stops answering (reboot, unreachable) or the simulator stops.
    pub(crate) async fn closed(&mut self) {
        while self.is_open() {
            tokio::select! {
                changed = self.reachable.changed() => if changed.is_err() { return },
                changed = self.stopped.changed() => if changed.is_err() { return },
            }
        }
    }

    /// Waits until the modem answers again; false when the simulator stops first.
    async fn opened(&mut self) -> bool {
        loop {
            if *self.stopped.borrow() {
                return false;
            }
            if *self.reachable.borrow() {
                return true;
            }
            tokio::select! {
                changed = self.reachable.changed() => if changed.is_err() { return false },
                changed = self.stopped.changed() => if changed.is_err() { return false },
            }
        }
    }
}

/// Accepts connections on `addr` while the gate is open, each handled by `session`; while it
/// is closed the port is closed too, so connections are refused as by a modem that is away.
async fn serve<F, Fut>(listener: TcpListener, mut gate: Gate, session: F)
where
    F: Fn(TcpStream, Gate) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(addr) = listener.local_addr() else { return };
    let sessions = Arc::new(Semaphore::new(MAX_SESSIONS));
    let mut listener = Some(listener);
    loop {
        if !gate.is_open() {
            // No listener: connections are refused until the modem answers again.
            listener = None;
            if !gate.opened().await {
                return;
            }
        }
        let current = match listener.take() {
            Some(current) => current,
            None => match TcpListener::bind(addr).await {
                Ok(current) => current,
                Err(e) => {
                    tracing::warn!("cannot listen on {addr} again: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            },
        };
        loop {
            tokio::select! {
                accepted = current.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    // Over the limit the connection is dropped at once.
                    if let Ok(permit) = sessions.clone().try_acquire_owned() {
                        let session = session(stream, gate.clone());
                        tokio::spawn(async move {
                            session.await;
                            drop(permit);
                        });
                    }
                }
                () = gate.closed() => break,
            }
        }
    }
}

/// A running simulated modem. Dropping it stops the servers.
pub struct SimHandle {
    modem: Arc<Modem>,
    ssh_addr: Option<SocketAddr>,
    telnet_addr: Option<SocketAddr>,
    fingerprint: Option<String>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts simulated modems.
pub struct ModemSim;

impl ModemSim {
    /// Binds the servers (port 0 picks a free port) and starts the simulation.
    pub async fn start(options: SimOptions) -> anyhow::Result<SimHandle> {
        if !DIALECTS.contains(&options.dialect) {
            anyhow::bail!("the simulator can be a {} modem, not {}", names(&DIALECTS), options.dialect);
        }
        let modem = Arc::new(Modem::new(&options));
        let (stop, stopped) = watch::channel(false);
        let gate = Gate { reachable: modem.reachable.subscribe(), stopped };
        let mut tasks = Vec::new();

        // The line moves on with the clock even when nobody reads it, so events are logged
        // as they happen and the servers close when the modem goes away.
        let ticker = modem.clone();
        let mut ticker_stop = gate.stopped.clone();
        tasks.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(50));
            loop {
                tokio::select! {
                    _ = interval.tick() => drop(ticker.line()),
                    _ = ticker_stop.changed() => return,
                }
            }
        }));

        let (mut ssh_addr, mut fingerprint) = (None, None);
        if let Some(addr) = options.ssh {
            let server = ssh::SshServer::new(&options, modem.clone())?;
            let listener = bind(addr, "SSH").await?;
            ssh_addr = Some(listener.local_addr()?);
            fingerprint = Some(server.fingerprint());
            tasks.push(tokio::spawn(serve(listener, gate.clone(), move |stream, gate| server.session(stream, gate))));
        }
        let mut telnet_addr = None;
        if let Some(addr) = options.telnet {
            let server = telnet::TelnetServer::new(&options, modem.clone());
            let listener = bind(addr, "Telnet").await?;
            telnet_addr = Some(listener.local_addr()?);
            tasks.push(tokio::spawn(serve(listener, gate.clone(), move |stream, gate| server.session(stream, gate))));
        }
        Ok(SimHandle { modem, ssh_addr, telnet_addr, fingerprint, stop, tasks })
    }
}

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen for {what} on {addr}: {e}"))
}

fn names(dialects: &[Dialect]) -> String {
    dialects.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
}

impl SimHandle {
    pub fn ssh_addr(&self) -> Option<SocketAddr> {
        self.ssh_addr
    }

    pub fn telnet_addr(&self) -> Option<SocketAddr> {
        self.telnet_addr
    }

    /// The SSH host key's fingerprint, as OpenSSH prints it (`SHA256:…`).
    pub fn host_key_fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// Makes `event` happen now.
    pub fn inject(&self, event: Event) {
        self.modem.inject(event);
    }

    /// The truth about the line now, to compare with what a client read.
    pub fn line(&self) -> LineSnapshot {
        self.modem.snapshot()
    }

    /// What happens to the line and the modem, as it happens.
    pub fn notes(&self) -> broadcast::Receiver<Note> {
        self.modem.notes.subscribe()
    }

    pub fn clock(&self) -> &Clock {
        &self.modem.clock
    }

    /// Stops the servers and the simulation, closing every session.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

//! How the Discord bot (or any other front end) sees and drives the daemon: a status snapshot
//! the pipeline loop keeps up to date (read-only for everyone else), and requests that go to
//! whoever owns the thing asked for — a modem's poller (read now, resync, reboot: it holds
//! the session) or the pipeline (silences, persisted with its state).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::SystemTime;

use tokio::sync::{mpsc, oneshot, watch};
use xdsl::LineReading;

use super::pipeline::Check;
use crate::alerts::{AlertId, Engine, Severity, Silence};
use crate::wan::WanReading;

/// The latest check of a target, and the latest good one.
#[derive(Debug, Clone)]
pub struct Latest<T> {
    pub at: SystemTime,
    pub result: Result<T, String>,
    pub last_good: Option<(SystemTime, T)>,
}

impl<T: Clone> Latest<T> {
    fn update(previous: Option<&Latest<T>>, at: SystemTime, result: Result<T, String>) -> Latest<T> {
        let last_good = match &result {
            Ok(reading) => Some((at, reading.clone())),
            Err(_) => previous.and_then(|p| p.last_good.clone()),
        };
        Latest { at, result, last_good }
    }
}

#[derive(Debug, Clone)]
pub struct FiringAlert {
    pub id: AlertId,
    pub severity: Severity,
    pub title: String,
}

/// What the daemon knows now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub lines: BTreeMap<String, Latest<LineReading>>,
    pub wans: BTreeMap<String, Latest<WanReading>>,
    pub firing: Vec<FiringAlert>,
    pub silences: Vec<Silence>,
}

/// The snapshot, shared: written by the pipeline loop only; a watch tells readers it changed.
#[derive(Debug)]
pub struct Status {
    snapshot: RwLock<Snapshot>,
    changed: watch::Sender<u64>,
}

impl Default for Status {
    fn default() -> Status {
        Status { snapshot: RwLock::default(), changed: watch::channel(0).0 }
    }
}

impl Status {
    pub fn read(&self) -> RwLockReadGuard<'_, Snapshot> {
        self.snapshot.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Ticks on every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn write(&self, change: impl FnOnce(&mut Snapshot)) {
        change(&mut self.snapshot.write().unwrap_or_else(|e| e.into_inner()));
        self.changed.send_modify(|n| *n += 1);
    }

    /// Keeps what a check read (before the pipeline consumes it).
    pub(super) fn record(&self, check: &Check) {
        self.write(|s| match check {
            Check::Line { target, at, result, .. } => {
                let result = result.clone().map_err(|e| e.to_string());
                let latest = Latest::update(s.lines.get(target), *at, result);
                s.lines.insert(target.clone(), latest);
            }
            Check::Wan { target, at, result, .. } => {
                let latest = Latest::update(s.wans.get(target), *at, result.clone());
                s.wans.insert(target.clone(), latest);
            }
        });
    }

    /// Keeps the engine's firing alerts and silences.
    pub(super) fn alerts(&self, engine: &Engine, now: SystemTime) {
        let firing = engine.firing().map(|(id, severity, message)| FiringAlert { id: id.clone(), severity, title: message.title.clone() }).collect();
        let silences = engine.silences(now).cloned().collect();
        self.write(|s| {
            s.firing = firing;
            s.silences = silences;
        });
    }
}

/// What a poller is asked to do, out of its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModemAction {
    /// Read now (the reading also goes through the pipeline, as a scheduled one would).
    Read,
    Resync,
    Reboot,
}

pub(super) struct Request<R> {
    pub action: ModemAction,
    /// The reading for `Read`; nothing for the actions.
    pub reply: oneshot::Sender<Result<Option<R>, String>>,
}

pub(super) enum PipelineRequest {
    Silence { rule: Option<String>, until: SystemTime, by: String, reply: oneshot::Sender<anyhow::Result<u64>> },
    Unsilence { rule: Option<String>, reply: oneshot::Sender<anyhow::Result<usize>> },
}

/// A handle on the running daemon.
#[derive(Clone)]
pub struct Control {
    pub status: Arc<Status>,
    /// The store, for read-only queries (history, sums, events, charts).
    pub store_path: PathBuf,
    modems: Arc<HashMap<String, mpsc::Sender<Request<LineReading>>>>,
    pipeline: mpsc::Sender<PipelineRequest>,
}

impl Control {
    pub(super) fn new(
        status: Arc<Status>,
        store_path: PathBuf,
        modems: HashMap<String, mpsc::Sender<Request<LineReading>>>,
        pipeline: mpsc::Sender<PipelineRequest>,
    ) -> Control {
        Control { status, store_path, modems: Arc::new(modems), pipeline }
    }

    /// Reads `target` now, through its poller.
    pub async fn refresh(&self, target: &str) -> Result<LineReading, String> {
        self.modem(target, ModemAction::Read).await?.ok_or_else(|| format!("{target} gave no reading"))
    }

    /// Resyncs or reboots `target` through the poller that holds its session.
    pub async fn act(&self, target: &str, action: ModemAction) -> Result<(), String> {
        self.modem(target, action).await.map(|_| ())
    }

    async fn modem(&self, target: &str, action: ModemAction) -> Result<Option<LineReading>, String> {
        let poller = self.modems.get(target).ok_or_else(|| format!("there is no modem named {target:?}"))?;
        let (reply, answer) = oneshot::channel();
        poller.send(Request { action, reply }).await.map_err(|_| "linewatch is stopping".to_string())?;
        answer.await.map_err(|_| "linewatch is stopping".to_string())?
    }

    /// Silences `rule` (`None`: every rule) until `until`; returns the silence's id.
    pub async fn silence(&self, rule: Option<String>, until: SystemTime, by: &str) -> Result<u64, String> {
        let (reply, answer) = oneshot::channel();
        self.ask(PipelineRequest::Silence { rule, until, by: by.to_string(), reply }, answer).await
    }

    /// Lifts the silences of `rule` (`None`: all); returns how many were lifted.
    pub async fn unsilence(&self, rule: Option<String>) -> Result<usize, String> {
        let (reply, answer) = oneshot::channel();
        self.ask(PipelineRequest::Unsilence { rule, reply }, answer).await
    }

    async fn ask<T>(&self, request: PipelineRequest, answer: oneshot::Receiver<anyhow::Result<T>>) -> Result<T, String> {
        self.pipeline.send(request).await.map_err(|_| "linewatch is stopping".to_string())?;
        answer.await.map_err(|_| "linewatch is stopping".to_string())?.map_err(|e| format!("{e:#}"))
    }
}

//! The pipeline: the one writer. For each check of a target it derives what follows (deltas,
//! events), evaluates the rules, and commits the reading, the engine's and the target's new
//! state and the notifications to send — in one transaction, so a crash loses a reading and
//! its consequences together, never one without the other.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use xdsl::{Direction, LineReading};

use crate::alerts::rules::{BurstMemory, LineCheck};
use crate::alerts::wan::WanMemory;
use crate::alerts::{Engine, EngineConfig, EngineState, Notification, rules, wan};
use crate::config::{AlertsConfig, Config};
use crate::derive::{EventKind, LineTracker, unix_seconds};
use crate::devices::DeviceError;
use crate::export::TargetSamples;
use crate::metrics::{self, Kind, Sample};
use crate::notify::Routing;
use crate::store::{Commit, Poll, Query, Retention, Store};
use crate::wan::WanReading;

/// How long the SNR baseline is averaged over, and how often it is asked of the store again.
const BASELINE: Duration = Duration::from_secs(7 * 24 * 3600);
const BASELINE_REFRESH: Duration = Duration::from_secs(3600);
/// Delivered notifications are kept this long, for inspection.
const OUTBOX_KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

/// What a poller hands the pipeline.
// A few checks a minute move through a short queue: boxing the line reading buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Check {
    Line { target: String, at: SystemTime, took: Duration, result: Result<LineReading, DeviceError> },
    Wan { target: String, at: SystemTime, took: Duration, result: Result<WanReading, String> },
}

/// What one line remembers between checks (kept in the store as a state blob).
#[derive(Debug, Default, Serialize, Deserialize)]
struct LineMemory {
    tracker: LineTracker,
    bursts: BurstMemory,
    retrains: u64,
    #[serde(default, with = "unix_seconds::option")]
    last_retrain: Option<SystemTime>,
}

pub struct Pipeline {
    store: Store,
    engine: Engine,
    alerts: AlertsConfig,
    routes: Vec<Routing>,
    /// Target name → site.
    sites: HashMap<String, String>,
    lines: BTreeMap<String, LineMemory>,
    wans: BTreeMap<String, WanMemory>,
    baselines: HashMap<String, (SystemTime, [Option<f64>; 2])>,
    last_housekeeping: Option<SystemTime>,
}

/// What a committed step produced, for the live views and the exports.
pub struct Stepped {
    pub notifications: Vec<Notification>,
    pub samples: Option<TargetSamples>,
}

impl Pipeline {
    /// Opens the store and restores what the last run remembered.
    pub fn open(config: &Config, store_path: &Path, routes: Vec<Routing>) -> anyhow::Result<Pipeline> {
        let store = Store::open(store_path, Retention::default())?;
        let engine_state: EngineState = match store.state("engine")? {
            Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the saved alert state cannot be read (written by another version?): starting afresh");
                EngineState::default()
            }),
            None => EngineState::default(),
        };
        let engine = Engine::new(
            EngineConfig { reminder: config.alerts.reminder, incident_grace: config.alerts.incident_grace },
            engine_state,
        );
        let restore = |name: &str| store.state(name).ok().flatten();
        let lines = config
            .modems
            .iter()
            .map(|m| (m.name.clone(), restore(&format!("line/{}", m.name)).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()))
            .collect();
        let wans = config
            .firewalls
            .iter()
            .map(|f| (f.name.clone(), restore(&format!("wan/{}", f.name)).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()))
            .collect();
        let sites: HashMap<String, String> = config.modems.iter().map(|m| (m.name.clone(), m.site.clone())).chain(config.wan_targets()).collect();
        Ok(Pipeline {
            store,
            engine,
            alerts: config.alerts.clone(),
            routes,
            sites,
            lines,
            wans,
            baselines: HashMap::new(),
            last_housekeeping: None,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Takes one check of a target: derive, rules, commit.
    pub fn check(&mut self, check: Check) -> anyhow::Result<Stepped> {
        match check {
            Check::Line { target, at, took, result } => self.line(&target, at, took, result),
            Check::Wan { target, at, took, result } => self.wan(&target, at, took, result),
        }
    }

    fn site(&self, target: &str) -> String {
        self.sites.get(target).cloned().unwrap_or_else(|| target.to_string())
    }

    fn line(&mut self, target: &str, at: SystemTime, took: Duration, result: Result<LineReading, DeviceError>) -> anyhow::Result<Stepped> {
        let site = self.site(target);
        let baseline = self.snr_baseline(target, at);
        let memory = self.lines.entry(target.to_string()).or_default();
        let mut scrape = metrics::scrape_samples(metrics::LINE_SCRAPE, result.is_ok(), took);
        let (findings, gauges, deltas, events) = match &result {
            Ok(reading) => {
                let previous_showtime = memory.tracker.last_showtime().map(|(t, r)| (t, r.clone()));
                let down_since = memory.tracker.down_since();
                let observed = memory.tracker.observe(target, at, reading);
                if observed.events.iter().any(|e| e.kind == EventKind::Retrain) {
                    memory.retrains += 1;
                    memory.last_retrain = Some(at);
                }
                let check = LineCheck {
                    target,
                    at,
                    reading,
                    transition: observed.transition.as_ref(),
                    deltas: observed.deltas.as_ref(),
                    previous_showtime: previous_showtime.as_ref().map(|(t, r)| (*t, r)),
                    down_since,
                    snr_baseline: baseline,
                };
                let findings = rules::line(&self.alerts, &check, &mut memory.bursts);
                let deltas = observed.deltas.as_ref().map(metrics::delta_samples).unwrap_or_default();
                (findings, metrics::line_samples(reading), deltas, observed.events)
            }
            Err(error) => {
                let events = memory.tracker.unreachable(target, at, &error.to_string()).into_iter().collect();
                (rules::failed(&self.alerts, target, error), Vec::new(), Vec::new(), events)
            }
        };
        scrape.push(Sample::new("dsl_retrains_total", Kind::Counter, vec![], memory.retrains as f64));
        if let Some(last) = memory.last_retrain {
            scrape.push(Sample::new("dsl_last_retrain_timestamp_seconds", Kind::Gauge, vec![], unix_seconds::to_secs(last) as f64));
        }
        let memory = serde_json::to_string(memory)?;
        let notifications = self.engine.apply(&site, findings, at);
        let stored_gauges: Vec<Sample> = gauges.iter().chain(&scrape).cloned().collect();
        let poll = Poll { at, gauges: &stored_gauges, deltas: &deltas, events: &events };
        self.commit(Some((target, poll)), vec![(format!("line/{target}"), memory)], &notifications, at)?;
        Ok(Stepped { samples: Some(TargetSamples { line: target.to_string(), at, samples: stored_gauges }), notifications })
    }

    fn wan(&mut self, target: &str, at: SystemTime, took: Duration, result: Result<WanReading, String>) -> anyhow::Result<Stepped> {
        let site = self.site(target);
        let memory = self.wans.entry(target.to_string()).or_default();
        let mut gauges = metrics::scrape_samples(metrics::WAN_SCRAPE, result.is_ok(), took);
        let findings = match &result {
            Ok(reading) => {
                gauges.extend(metrics::wan_samples(reading));
                wan::findings(&self.alerts, target, at, reading, memory)
            }
            Err(error) => wan::failed(&self.alerts, target, error),
        };
        let memory = serde_json::to_string(memory)?;
        let notifications = self.engine.apply(&site, findings, at);
        let poll = Poll { at, gauges: &gauges, deltas: &[], events: &[] };
        self.commit(Some((target, poll)), vec![(format!("wan/{target}"), memory)], &notifications, at)?;
        Ok(Stepped { samples: Some(TargetSamples { line: target.to_string(), at, samples: gauges }), notifications })
    }

    /// Time passes: reminders, expired silences, incidents closed; hourly, retention.
    pub fn tick(&mut self, at: SystemTime) -> anyhow::Result<Stepped> {
        let notifications = self.engine.tick(at);
        self.commit(None, Vec::new(), &notifications, at)?;
        let due = self.last_housekeeping.is_none_or(|t| at.duration_since(t).unwrap_or_default() >= BASELINE_REFRESH);
        if due {
            self.last_housekeeping = Some(at);
            self.store.apply_retention(at)?;
            self.store.prune_outbox(at - OUTBOX_KEEP)?;
        }
        Ok(Stepped { notifications, samples: None })
    }

    /// Silences a rule (or all rules) until `until`; persisted at once.
    pub fn silence(&mut self, rule: Option<String>, target: Option<String>, until: SystemTime, by: &str, at: SystemTime) -> anyhow::Result<u64> {
        let id = self.engine.silence(rule, target, until, by);
        self.commit(None, Vec::new(), &[], at)?;
        Ok(id)
    }

    /// Lifts silences; what still fires is announced at the next tick.
    pub fn unsilence(&mut self, rule: Option<&str>, at: SystemTime) -> anyhow::Result<usize> {
        let n = self.engine.unsilence(rule);
        self.commit(None, Vec::new(), &[], at)?;
        Ok(n)
    }

    fn commit(&mut self, poll: Option<(&str, Poll)>, mut state: Vec<(String, String)>, notifications: &[Notification], at: SystemTime) -> anyhow::Result<()> {
        state.push(("engine".to_string(), serde_json::to_string(self.engine.state())?));
        let mut outbox = Vec::new();
        for n in notifications {
            let payload = serde_json::to_string(n)?;
            outbox.extend(self.routes.iter().filter(|r| r.wants(n)).map(|r| (r.name.clone(), payload.clone())));
        }
        self.store.commit(&Commit { poll, state, outbox, at: Some(at) })?;
        Ok(())
    }

    /// The SNR margin's average over the last 7 days per direction, asked of the store hourly.
    fn snr_baseline(&mut self, target: &str, at: SystemTime) -> [Option<f64>; 2] {
        if let Some((asked, baseline)) = self.baselines.get(target)
            && at.duration_since(*asked).unwrap_or_default() < BASELINE_REFRESH
        {
            return *baseline;
        }
        let mut baseline = [None, None];
        for (i, direction) in Direction::BOTH.into_iter().enumerate() {
            let query = Query {
                target: target.to_string(),
                metric: "dsl_signal_to_noise_margin_db".to_string(),
                direction: Some(direction),
                since: at - BASELINE,
                until: at,
                max_points: 200,
            };
            // A young history is no baseline: at least a day of it.
            baseline[i] = self.store.query(&query).ok().and_then(|series| {
                let points = &series.first()?.points;
                let covered = points.first().and_then(|p| at.duration_since(p.at).ok()).unwrap_or_default();
                let weight: u64 = points.iter().map(|p| p.count).sum();
                (covered >= Duration::from_secs(24 * 3600) && weight > 0)
                    .then(|| points.iter().map(|p| p.avg * p.count as f64).sum::<f64>() / weight as f64)
            });
        }
        self.baselines.insert(target.to_string(), (at, baseline));
        baseline
    }
}

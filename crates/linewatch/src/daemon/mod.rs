//! `linewatch run`: one poller task per target at its interval, the pipeline (the one writer),
//! one delivery task per notifier draining the outbox, the exports, and the HTTP endpoint
//! (`/metrics`, `/healthz`) and the Discord bot. One target failing never stops the others;
//! SIGTERM/SIGINT stop everything gracefully.

pub mod control;
pub mod delivery;
pub mod pipeline;
pub mod source;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use tokio::sync::{Notify, mpsc, watch};

use crate::config::Config;
use crate::devices::driver::Modem;
use crate::export::{Latest, TargetSamples, push::Pusher};
use crate::notify::{self, Route};
use crate::store;
use crate::wan::firewall::Firewall;
use crate::wan::ping::Probes;
use control::{Control, ModemAction, PipelineRequest, Request, Status};
use pipeline::{Check, Pipeline};
use source::{FirewallSource, Source};

/// How often time-driven alert work runs (reminders, silences ending, incidents closing).
const TICK: Duration = Duration::from_secs(10);

/// What `run` needs beyond the config.
pub struct RunOptions {
    pub data_dir: PathBuf,
    /// Serve `/metrics` and `/healthz` here instead of `[http] listen`.
    pub http: Option<SocketAddr>,
    /// Notifiers added to those of the config (the demo's console).
    pub extra_routes: Vec<Route>,
    /// Stop by itself after this long (the demo's `--duration`).
    pub stop_after: Option<Duration>,
    /// How the Discord bot of `[discord]` behaves (its timeouts, shortened in tests).
    pub bot: crate::discord::BotOptions,
}

/// Runs the daemon until SIGTERM/SIGINT (or `stop_after`).
pub async fn run(config: Config, options: RunOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data_dir)?;
    let store_path = options.data_dir.join(store::FILE_NAME);
    let mut routes = notify::routes(&config.notifiers)?;
    routes.extend(options.extra_routes);
    let bot = match &config.discord {
        Some(discord) => Some(crate::discord::Bot::new(discord, &config, store_path.clone(), options.bot)?),
        None => None,
    };
    if let Some(route) = bot.as_ref().and_then(crate::discord::Bot::alert_route) {
        routes.push(route);
    }
    if routes.is_empty() {
        routes.push(Route {
            routing: notify::Routing { name: "console".into(), min_severity: crate::alerts::Severity::Info },
            notifier: notify::Notifier::Console(notify::console::Console),
        });
    }
    let mut pipeline = Pipeline::open(&config, &store_path, routes.iter().map(|r| r.routing.clone()).collect())?;
    let (stop_tx, stop) = watch::channel(false);
    let latest = Latest::default();

    // Exports: one task per [[export]], fed every reading.
    let mut export_feeds = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for export in &config.exports {
        let pusher = Pusher::from_config(export)?;
        let (tx, rx) = mpsc::channel::<Arc<TargetSamples>>(64);
        export_feeds.push(tx);
        tasks.spawn(pusher.run(rx));
    }

    // Delivery: one task per notifier, woken when the pipeline queues something.
    let wake: Vec<Arc<Notify>> = routes.iter().map(|_| Arc::new(Notify::new())).collect();
    for (route, wake) in routes.into_iter().zip(&wake) {
        tasks.spawn(delivery::run(route, store_path.clone(), wake.clone(), stop.clone()));
    }

    // Pollers, each taking requests (read now, resync, reboot) beside its schedule.
    let (checks_tx, mut checks) = mpsc::channel::<Check>(64);
    let mut modem_requests = HashMap::new();
    for modem_config in &config.modems {
        let modem = Modem::from_config(modem_config, &options.data_dir)?;
        let (requests_tx, requests) = mpsc::channel(8);
        modem_requests.insert(modem_config.name.clone(), requests_tx);
        tasks.spawn(poll(modem, modem_config.interval, requests, checks_tx.clone(), stop.clone()));
    }
    for firewall_config in &config.firewalls {
        let source = FirewallSource { firewall: Firewall::from_config(firewall_config)?, wan: config.wan.clone() };
        // Nobody asks a firewall for anything yet: its request channel is closed from the start.
        let requests = mpsc::channel(1).1;
        tasks.spawn(poll(source, firewall_config.interval, requests, checks_tx.clone(), stop.clone()));
    }
    // Without a firewall API, the WAN is watched with our own probes.
    if config.firewalls.is_empty()
        && let Some(wan) = &config.wan
    {
        match Probes::from_config(wan).await {
            Ok(probes) => {
                tasks.spawn(poll_probes(probes, wan.clone(), checks_tx.clone(), stop.clone()));
            }
            Err(e) => tracing::warn!(error = %e, "no firewall and no own WAN probes"),
        }
    }
    drop(checks_tx);

    // The Discord bot, driving the daemon through `Control`.
    let status = Arc::new(Status::default());
    status.alerts(pipeline.engine(), SystemTime::now());
    let (pipeline_tx, mut pipeline_requests) = mpsc::channel::<PipelineRequest>(8);
    if let Some(bot) = bot {
        let control = Control::new(status.clone(), store_path.clone(), modem_requests, pipeline_tx);
        tasks.spawn(bot.run(control, stop.clone()));
    }

    // HTTP.
    if let Some(addr) = options.http.or(config.http.listen) {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        tracing::info!(%addr, "serving /metrics and /healthz");
        let app: Router = crate::export::prometheus::router(latest.clone()).route("/healthz", axum::routing::get(|| async { "ok\n" }));
        let mut http_stop = stop.clone();
        tasks.spawn(async move {
            let shutdown = async move {
                let _ = http_stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::error!(error = %e, "the HTTP server stopped");
            }
        });
    }

    let deadline = options.stop_after.map(|d| Instant::now() + d);
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(modems = config.modems.len(), firewalls = config.firewalls.len(), "linewatch running");
    loop {
        let step = tokio::select! {
            check = checks.recv() => match check {
                Some(check) => {
                    status.record(&check);
                    pipeline.check(check)
                }
                None => break,
            },
            _ = ticker.tick() => pipeline.tick(SystemTime::now()),
            Some(request) = pipeline_requests.recv() => {
                answer(&mut pipeline, request);
                status.alerts(pipeline.engine(), SystemTime::now());
                continue;
            }
            _ = shutdown_signal() => break,
            _ = until(deadline) => break,
        };
        status.alerts(pipeline.engine(), SystemTime::now());
        match step {
            Ok(stepped) => {
                if !stepped.notifications.is_empty() {
                    wake.iter().for_each(|w| w.notify_one());
                }
                if let Some(samples) = stepped.samples {
                    let samples = Arc::new(samples);
                    for feed in &export_feeds {
                        // A full queue means the export is far behind: it drops, we go on.
                        let _ = feed.try_send(samples.clone());
                    }
                    latest.update(Arc::unwrap_or_clone(samples));
                }
            }
            // A store that refuses a write is logged; the next check tries again.
            Err(e) => tracing::error!(error = %e, "cannot record a check"),
        }
    }
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    drop(export_feeds);
    // Pollers close their sessions; notifiers finish the delivery under way.
    let _ = tokio::time::timeout(Duration::from_secs(15), async { while tasks.join_next().await.is_some() {} }).await;
    Ok(())
}

/// Silences asked for from outside, persisted by the pipeline at once.
fn answer(pipeline: &mut Pipeline, request: PipelineRequest) {
    let now = SystemTime::now();
    match request {
        PipelineRequest::Silence { rule, until, by, reply } => {
            let _ = reply.send(pipeline.silence(rule, None, until, &by, now));
        }
        PipelineRequest::Unsilence { rule, reply } => {
            let _ = reply.send(pipeline.unsilence(rule.as_deref(), now));
        }
    }
}

async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// SIGTERM (systemd, docker stop) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Reads one target at its interval, on one session, until told to stop; between readings it
/// takes requests: a reading now, a resync, a reboot (it holds the session they need).
async fn poll<S: Source + Send>(
    mut source: S,
    interval: Duration,
    mut requests: mpsc::Receiver<Request<S::Reading>>,
    checks: mpsc::Sender<Check>,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let request = tokio::select! {
            _ = ticker.tick() => None,
            Some(request) = requests.recv() => Some(request),
            _ = stop.changed() => break,
        };
        let action = request.as_ref().map_or(ModemAction::Read, |r| r.action);
        let (at, started) = (SystemTime::now(), Instant::now());
        if action == ModemAction::Read {
            let result = tokio::select! {
                result = source.read() => result,
                _ = stop.changed() => break,
            };
            if let Err(e) = &result {
                tracing::warn!(target = source.name(), error = %e, "reading failed");
            }
            if let Some(request) = request {
                let _ = request.reply.send(result.as_ref().map(|r| Some(r.clone())).map_err(|e| e.to_string()));
            }
            if checks.send(source.check(at, started.elapsed(), result)).await.is_err() {
                break;
            }
        } else {
            let done = tokio::select! {
                done = source.act(action) => done,
                _ = stop.changed() => break,
            };
            tracing::info!(target = source.name(), ?action, outcome = ?done, "asked for");
            if let Some(request) = request {
                let _ = request.reply.send(done.map(|()| None));
            }
            // The line is down or the modem away now: the next readings show how it comes back.
            ticker.reset_after(Duration::from_secs(1).min(interval));
        }
    }
    source.close().await;
}

/// How often the own probes' view of the WAN is taken (the pings themselves run every
/// `ping_interval`).
const PROBES_REPORT: Duration = Duration::from_secs(10);

/// Our own WAN probes: pings every `ping_interval`, a reading every 10 s, until told to stop.
async fn poll_probes(mut probes: Probes, wan: crate::config::WanConfig, checks: mpsc::Sender<Check>, mut stop: watch::Receiver<bool>) {
    let mut ping = tokio::time::interval(wan.ping_interval);
    let mut report = tokio::time::interval(PROBES_REPORT);
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    report.tick().await;
    loop {
        tokio::select! {
            _ = ping.tick() => probes.round().await,
            _ = report.tick() => {
                let (at, started) = (SystemTime::now(), Instant::now());
                let result = match probes.reading() {
                    Ok(mut reading) => {
                        reading.observe_outside(&wan).await;
                        Ok(reading)
                    }
                    Err(e) => Err(e),
                };
                let check = Check::Wan { target: crate::config::PROBES_TARGET.to_string(), at, took: started.elapsed(), result };
                if checks.send(check).await.is_err() {
                    break;
                }
            }
            _ = stop.changed() => break,
        }
    }
}

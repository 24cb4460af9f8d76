//! The durable outbox: notifications survive a receiver that refuses connections, then fails,
//! then rate-limits, and a linewatch killed with SIGKILL in the middle of a delivery. Every
//! notification arrives, in order; a redelivery carries the same idempotency key, so the
//! receiver can drop it and the user sees nothing twice.

mod support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use linewatch::alerts::Severity;
use linewatch::config::{Config, Secret};
use linewatch::daemon::delivery;
use linewatch::daemon::pipeline::{Check, Pipeline};
use linewatch::notify::{Notifier, Route, Routing, webhook::Webhook};
use linewatch::sim::{Event, ModemSim, SimOptions};
use linewatch::store::Outbox;
use tokio::sync::{Notify, watch};

/// A webhook receiver: answers the statuses queued (then 200), optionally slowly, and keeps
/// the idempotency key and title of every request it got.
#[derive(Clone, Default)]
struct Receiver {
    answers: Arc<Mutex<VecDeque<u16>>>,
    delay: Arc<Mutex<Duration>>,
    got: Arc<Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    async fn serve(&self, addr: SocketAddr) {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::Json<serde_json::Value>| {
                let me = me.clone();
                async move {
                    let delay = *me.delay.lock().unwrap();
                    tokio::time::sleep(delay).await;
                    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    let title = body["message"]["title"].as_str().unwrap_or_default().to_string();
                    let status = me.answers.lock().unwrap().pop_front().unwrap_or(200);
                    if status == 200 {
                        me.got.lock().unwrap().push((key, title));
                    }
                    let mut response = (StatusCode::from_u16(status).unwrap(), "{\"retry_after\": 0.2}").into_response();
                    if status == 429 {
                        response.headers_mut().insert("retry-after", "1".parse().unwrap());
                    }
                    response
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }

    fn keys(&self) -> Vec<String> {
        self.got.lock().unwrap().iter().map(|(k, _)| k.clone()).collect()
    }
}

fn route(port: u16) -> Route {
    Route {
        routing: Routing { name: "hook".into(), min_severity: Severity::Info },
        notifier: Notifier::Webhook(Webhook::new(format!("http://127.0.0.1:{port}/hook"))),
    }
}

async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn an_outage_delays_delivery_but_loses_nothing_and_keeps_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("linewatch.db");
    let config = Config::parse("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"192.0.2.1\"\n").unwrap();
    let mut pipeline = Pipeline::open(&config, &store, vec![route(0).routing]).unwrap();
    // Five desyncs: ten notifications (down, up) queued before anything can be delivered.
    let up = xdsl::parse_detected(&support::fixture("xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt")).unwrap();
    let down = xdsl::parse_detected(&support::fixture("xdslctl-stats/07-bcm-status-g994-training.txt")).unwrap();
    let mut queued = Vec::new();
    for i in 0..11u64 {
        let reading = if i % 2 == 1 { down.clone() } else { up.clone() };
        let at = UNIX_EPOCH + Duration::from_secs(1_767_225_600 + i * 30);
        let check = Check::Line { target: "home".into(), at, took: Duration::from_millis(40), result: Ok(reading) };
        queued.extend(pipeline.check(check).unwrap().notifications.into_iter().map(|n| n.message.title));
    }
    assert_eq!(queued.len(), 10);

    // The receiver is down: connections are refused.
    let port = support::free_port();
    let receiver = Receiver::default();
    let (stop_tx, stop) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let worker = tokio::spawn(delivery::run(route(port), store.clone(), wake.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let outbox = Outbox::open(&store).unwrap();
    assert_eq!(outbox.pending("hook").unwrap(), 10, "nothing is lost while refused");

    // linewatch restarts in the middle of the outage.
    stop_tx.send(true).unwrap();
    worker.await.unwrap();
    let (_stop_tx, stop) = watch::channel(false);
    tokio::spawn(delivery::run(route(port), store.clone(), wake.clone(), stop));

    // The receiver comes back broken (500), then rate-limits (429), then works.
    receiver.answers.lock().unwrap().extend([500, 429, 429]);
    receiver.serve(SocketAddr::from(([127, 0, 0, 1], port))).await;
    wake.notify_one();
    assert!(wait_until(Duration::from_secs(40), || receiver.keys().len() == 10).await, "everything delivered: {:?}", receiver.keys());

    let got = receiver.got.lock().unwrap().clone();
    let titles: Vec<String> = got.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(titles, queued, "in the order they were raised");
    let mut keys: Vec<String> = got.into_iter().map(|(k, _)| k).collect();
    keys.dedup();
    assert_eq!(keys.len(), 10, "each delivered once");
    assert_eq!(outbox.pending("hook").unwrap(), 0);
}

/// `linewatch run` killed with SIGKILL while a delivery is under way, then started again.
#[tokio::test(flavor = "multi_thread")]
async fn a_sigkill_mid_delivery_loses_nothing_and_shows_nothing_twice() {
    let modem = ModemSim::start(SimOptions { password: Secret::new("pw"), speed: 6.0, ..SimOptions::default() }).await.unwrap();
    let ssh = modem.ssh_addr().unwrap();
    let port = support::free_port();
    let receiver = Receiver::default();
    *receiver.delay.lock().unwrap() = Duration::from_millis(1500);
    receiver.serve(SocketAddr::from(([127, 0, 0, 1], port))).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "pw").unwrap();
    std::fs::write(
        dir.path().join("linewatch.toml"),
        format!(
            "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"admin\"\npassword_file = \"{}\"\ninterval = \"1s\"\n\n\
             [[notifier]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{port}/hook\"\n",
            ssh.port(),
            dir.path().join("pw").display()
        ),
    )
    .unwrap();
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_linewatch"))
            .args(["--config", dir.path().join("linewatch.toml").to_str().unwrap(), "--data-dir", dir.path().to_str().unwrap(), "run"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut linewatch = start();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Line down, then up: two notifications, each taking 1.5 s to be accepted.
    modem.inject(Event::Desync { down_for: Duration::from_secs(30) });
    let outbox = Outbox::open(&dir.path().join("linewatch.db")).unwrap();
    assert!(wait_until(Duration::from_secs(20), || outbox.pending("hook").unwrap_or(0) > 0).await, "line down queued");
    // Kill it while the receiver is still answering the first delivery.
    tokio::time::sleep(Duration::from_millis(500)).await;
    linewatch.kill().unwrap();
    linewatch.wait().unwrap();
    assert!(wait_until(Duration::from_secs(30), || modem.line().phase == linewatch::sim::line::Phase::Showtime).await);
    let mut linewatch = start();
    let db = dir.path().join("linewatch.db");
    let delivered_all = wait_until(Duration::from_secs(40), || {
        let unique: std::collections::BTreeSet<String> = receiver.keys().into_iter().collect();
        unique.len() >= 2 && Outbox::open(&db).and_then(|o| o.pending("hook")).unwrap_or(1) == 0
    })
    .await;
    linewatch.kill().unwrap();
    linewatch.wait().unwrap();
    assert!(delivered_all, "everything delivered after the restart: {:?}", receiver.got.lock().unwrap());
    // A notification delivered twice (the one the kill interrupted) carries the same key: the
    // receiver drops the copy, and the user sees every notification once.
    let got = receiver.got.lock().unwrap().clone();
    let mut seen = std::collections::BTreeMap::<String, String>::new();
    for (key, title) in &got {
        if let Some(first) = seen.insert(key.clone(), title.clone()) {
            assert_eq!(&first, title, "a key reused for another notification");
        }
    }
    let titles: Vec<&String> = seen.values().collect();
    assert!(titles.iter().any(|t| t.starts_with("Line down")) && titles.iter().any(|t| t.starts_with("Line up")), "{titles:?}");
    modem.stop().await;
}

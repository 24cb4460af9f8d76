//! Notifiers against real receivers: Alertmanager from Debian, and a JSON webhook receiver.

mod support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use linewatch::alerts::{AlertId, IncidentView, Message, Notification, NotificationKind, Severity};
use linewatch::notify::{DeliveryError, Notifier, alertmanager::Alertmanager, webhook::Webhook};

fn notification(kind: NotificationKind) -> Notification {
    let at = SystemTime::now();
    Notification {
        incident: 3,
        site: "home".into(),
        kind,
        alert: AlertId::new("line_down", "home", ""),
        severity: Severity::Critical,
        message: Message { title: "Line down on home".into(), text: "The DSL line left showtime.".into(), fields: vec![] },
        at,
        incident_view: IncidentView {
            id: 3,
            site: "home".into(),
            title: "Line down on home".into(),
            severity: Severity::Critical,
            opened_at: at,
            resolved: kind == NotificationKind::Resolved,
            entries: vec![],
        },
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Alertmanager's alerts as it lists them.
async fn alerts(port: u16) -> Vec<serde_json::Value> {
    let url = format!("http://127.0.0.1:{port}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true");
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn alertmanager_receives_firing_then_resolved() {
    if !support::peer_available("prometheus-alertmanager", "prometheus-alertmanager") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("am.yml"), "route:\n  receiver: none\nreceivers:\n  - name: none\n").unwrap();
    let port = support::free_port();
    let cluster = support::free_port();
    let _am = Killed(
        Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", dir.path().join("am.yml").display()))
            .arg(format!("--storage.path={}", dir.path().display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--cluster.listen-address=127.0.0.1:{cluster}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    support::wait_for_port(port);
    let notifier = Notifier::Alertmanager(Alertmanager::new(&format!("http://127.0.0.1:{port}")));
    notifier.deliver(&notification(NotificationKind::Firing), "k1").await.unwrap();
    let listed = alerts(port).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["labels"]["alertname"], "line_down");
    assert_eq!(listed[0]["labels"]["target"], "home");
    assert_eq!(listed[0]["labels"]["severity"], "critical");
    assert_eq!(listed[0]["status"]["state"], "active");

    notifier.deliver(&notification(NotificationKind::Resolved), "k2").await.unwrap();
    // A resolved alert leaves the active list.
    let mut left = false;
    for _ in 0..50 {
        if alerts(port).await.iter().all(|a| a["status"]["state"] != "active") {
            left = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(left, "the resolve ended the alert");
}

#[tokio::test]
async fn alertmanager_down_is_a_retry_not_a_loss() {
    let port = support::free_port();
    let notifier = Notifier::Alertmanager(Alertmanager::new(&format!("http://127.0.0.1:{port}")));
    let error = notifier.deliver(&notification(NotificationKind::Firing), "k").await.unwrap_err();
    assert!(matches!(error, DeliveryError::Retry { .. }), "{error}");
}

/// A webhook receiver that answers with the statuses it is given, in turn, and keeps bodies.
async fn receiver(statuses: Vec<(u16, Option<&'static str>)>) -> (SocketAddr, Arc<Mutex<Vec<(String, serde_json::Value)>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let received = Arc::new(Mutex::new(Vec::new()));
    let queue = Arc::new(Mutex::new(statuses));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let received = received.clone();
            move |headers: HeaderMap, body: axum::Json<serde_json::Value>| {
                let received = received.clone();
                let queue = queue.clone();
                async move {
                    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    received.lock().unwrap().push((key, body.0));
                    let (status, retry_after) = queue.lock().unwrap().pop().unwrap_or((200, None));
                    let mut response = axum::response::Response::new(axum::body::Body::from("{\"retry_after\": 2.5}"));
                    *response.status_mut() = StatusCode::from_u16(status).unwrap();
                    if let Some(after) = retry_after {
                        response.headers_mut().insert("retry-after", after.parse().unwrap());
                    }
                    response
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

#[tokio::test]
async fn webhook_posts_the_notification_with_its_key_and_classifies_failures() {
    // Answers, last first: 200, then 429, then 500, then 400.
    let (addr, received) = receiver(vec![(400, None), (500, None), (429, Some("7")), (200, None)]).await;
    let hook = Notifier::Webhook(Webhook::new(format!("http://{addr}/hook")));
    let n = notification(NotificationKind::Firing);
    hook.deliver(&n, "outbox-1").await.unwrap();
    let (key, body) = received.lock().unwrap()[0].clone();
    assert_eq!(key, "outbox-1");
    assert_eq!(body["message"]["title"], "Line down on home");
    assert_eq!(body["kind"], "firing");

    match hook.deliver(&n, "outbox-2").await.unwrap_err() {
        // The body's retry_after wins over the header, as Discord's does.
        DeliveryError::Retry { after, .. } => assert_eq!(after, Some(Duration::from_secs_f64(2.5))),
        other => panic!("{other}"),
    }
    assert!(matches!(hook.deliver(&n, "outbox-3").await.unwrap_err(), DeliveryError::Retry { .. }));
    assert!(matches!(hook.deliver(&n, "outbox-4").await.unwrap_err(), DeliveryError::Permanent { .. }));
}

/// The Discord webhook notifier against the in-repo mock Discord (no real one offline): the
/// message arrives with its embed and mentions, every body validates against Discord's
/// OpenAPI spec, and a 429 is a retry after Discord's own `retry_after`.
#[tokio::test]
async fn discord_webhook_posts_a_valid_embed_and_rides_out_a_429() {
    use discord_mock::{MockDiscord, MockOptions};
    use linewatch::notify::discord::{DiscordWebhook, Mentions};
    let mock = MockDiscord::start(MockOptions { channels: vec![323456789012345678], ..Default::default() }).await;
    let hook = mock.create_webhook(323456789012345678, "alerts");
    let notifier = Notifier::DiscordWebhook(DiscordWebhook::new(
        hook.url.clone(),
        Mentions { users: vec!["423456789012345678".into()], roles: vec![] },
    ));
    notifier.deliver(&notification(NotificationKind::Firing), "k").await.unwrap();
    notifier.deliver(&notification(NotificationKind::Resolved), "k2").await.unwrap();
    let messages = mock.messages(323456789012345678);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].content, "<@423456789012345678>", "critical firing pings the admin");
    assert_eq!(messages[0].embeds[0]["title"], "Line down on home");
    assert_eq!(messages[0].embeds[0]["color"], 0xE74C3C);
    assert_eq!(messages[1].content, "", "a resolve does not ping");
    assert!(messages[1].embeds[0]["title"].as_str().unwrap().starts_with("Resolved"));
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());

    mock.fail_next(1, 429);
    match notifier.deliver(&notification(NotificationKind::Firing), "k3").await.unwrap_err() {
        DeliveryError::Retry { after, .. } => assert!(after.is_some(), "Discord's retry_after is kept"),
        other => panic!("{other}"),
    }
    mock.fail_next(1, 401);
    assert!(matches!(notifier.deliver(&notification(NotificationKind::Firing), "k4").await.unwrap_err(), DeliveryError::Permanent { .. }));
    let error = notifier.deliver(&notification(NotificationKind::Firing), "k5").await;
    assert!(error.is_ok());
}

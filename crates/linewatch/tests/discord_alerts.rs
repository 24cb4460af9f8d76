//! Alerts through the bot: one message per incident in the alert channel, edited as the
//! incident evolves, the resolve as a reply, admins pinged through `allowed_mentions`, and
//! no duplicate when the outbox delivers a notification again.

#[path = "support/discord.rs"]
mod discord;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use discord::*;
use discord_mock::{MockDiscord, MockOptions};
use linewatch::alerts::{AlertId, IncidentEntry, IncidentView, Message, Notification, NotificationKind, Severity};
use linewatch::config::Secret;
use linewatch::discord::BotOptions;
use linewatch::discord::alerts::AlertPoster;
use linewatch::discord::rest::Rest;
use linewatch::notify::discord::Mentions;
use linewatch::store::{Retention, Store};

fn notification(kind: NotificationKind, entries: &[(NotificationKind, &str)]) -> Notification {
    let at = SystemTime::now();
    let view = IncidentView {
        id: 7,
        site: "home".into(),
        title: "Line down on home".into(),
        severity: Severity::Critical,
        opened_at: at,
        resolved: kind == NotificationKind::Resolved,
        entries: entries.iter().map(|(kind, text)| IncidentEntry { at, kind: *kind, severity: Severity::Critical, text: text.to_string() }).collect(),
    };
    Notification {
        incident: 7,
        site: "home".into(),
        kind,
        alert: AlertId::new("line_down", "home", ""),
        severity: Severity::Critical,
        message: Message { title: "Line down on home".into(), text: "The line left showtime".into(), fields: vec![("Down".into(), "100 Mb/s".into())] },
        at,
        incident_view: view,
    }
}

#[tokio::test]
async fn one_message_per_incident_edited_resolved_by_a_reply_and_never_duplicated() {
    let mock = MockDiscord::start(MockOptions { channels: vec![ALERTS], ..MockOptions::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_path(dir.path());
    drop(Store::open(&store, Retention::default()).unwrap());
    let rest = Arc::new(Rest::new(&Secret::new(mock.options().token.clone()), mock.options().application_id, &mock.base_url()));
    let mentions = Mentions { users: vec![ADMIN.to_string()], roles: Vec::new() };
    let poster = AlertPoster::new(rest.clone(), ALERTS, mentions.clone(), store.clone(), "discord-bot");

    let firing = notification(NotificationKind::Firing, &[(NotificationKind::Firing, "line down")]);
    poster.deliver(&firing, "linewatch-1").await.unwrap();
    let messages = mock.messages(ALERTS);
    assert_eq!(messages.len(), 1);
    assert!(messages[0].content.contains(&format!("<@{ADMIN}>")), "a critical alert pings the admins");
    let allowed = messages[0].allowed_mentions.clone().unwrap();
    assert_eq!(allowed["users"], serde_json::json!([ADMIN.to_string()]));
    assert_eq!(allowed["parse"], serde_json::json!([]), "and nobody else");

    let event = notification(NotificationKind::Event, &[(NotificationKind::Firing, "line down"), (NotificationKind::Event, "WAN IP changed")]);
    poster.deliver(&event, "linewatch-2").await.unwrap();
    let messages = mock.messages(ALERTS);
    assert_eq!(messages.len(), 1, "the incident's message is edited, not repeated");
    assert_eq!(messages[0].edit_count, 1);
    assert!(messages[0].embeds[0]["description"].as_str().unwrap().contains("WAN IP changed"));

    let resolved = notification(NotificationKind::Resolved, &[(NotificationKind::Firing, "line down"), (NotificationKind::Resolved, "line up")]);
    poster.deliver(&resolved, "linewatch-3").await.unwrap();
    let messages = mock.messages(ALERTS);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].reply_to, Some(messages[0].id), "the resolve replies to the incident's message");
    assert!(messages[1].embeds[0]["title"].as_str().unwrap().starts_with("Resolved"));

    // The outbox delivers again (a crash before it recorded the delivery): nothing doubles.
    poster.deliver(&resolved, "linewatch-3").await.unwrap();
    assert_eq!(mock.messages(ALERTS).len(), 2);
    // Even when the crash also lost the incident → message map, the nonce finds the message.
    let amnesiac_dir = tempfile::tempdir().unwrap();
    let amnesiac_store = store_path(amnesiac_dir.path());
    drop(Store::open(&amnesiac_store, Retention::default()).unwrap());
    let amnesiac = AlertPoster::new(rest, ALERTS, mentions, amnesiac_store, "discord-bot");
    amnesiac.deliver(&firing, "linewatch-1").await.unwrap();
    assert_eq!(mock.messages(ALERTS).len(), 2);
    assert!(mock.violations().is_empty(), "{:#?}", mock.violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desync_makes_an_incident_message_and_its_resolve_a_reply() {
    let rig = Rig::start(ModemKind::Sim { speed: 10.0 }, BotOptions::default()).await;
    rig.wait_for_readings("home", "dsl_datarate", 2).await;
    rig.modem.as_ref().unwrap().inject(linewatch::sim::Event::Desync { down_for: Duration::from_secs(20) });
    let mock = &rig.mock;
    let resolved = |m: &MockDiscord| m.messages(ALERTS).iter().any(|msg| msg.reply_to.is_some());
    assert!(mock.wait_until(PATIENCE, resolved).await, "{:#?}", mock.messages(ALERTS));
    let messages = mock.messages(ALERTS);
    let incident = messages.iter().find(|m| m.reply_to.is_none()).unwrap();
    assert!(text(incident).contains("Line down on home"), "{}", text(incident));
    let reply = messages.iter().find(|m| m.reply_to.is_some()).unwrap();
    assert_eq!(reply.reply_to, Some(incident.id));
    assert_eq!(messages.iter().filter(|m| m.reply_to.is_none()).count(), 1, "one message for the incident: {messages:#?}");
    rig.assert_no_violations();
}

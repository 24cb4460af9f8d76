//! The Discord bot inside `linewatch run`, end to end against the in-repo mock Discord, a
//! simulated modem and a simulated firewall: every command as a user meets it.

#[path = "support/discord.rs"]
mod discord;

use std::time::Duration;

use discord::*;
use discord_mock::{Invoker, MockDiscord, MockOptions};
use linewatch::discord::BotOptions;
use serde_json::json;

fn fast() -> ModemKind {
    ModemKind::Sim { speed: 10.0 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_answers_from_registration_right_after_ready() {
    // GUILD_CREATE never comes: the commands must not wait for it.
    let options = MockOptions { guild_create_delay: Some(Duration::from_secs(3600)), ..MockOptions::default() };
    let rig = Rig::start_with(options, fast(), BotOptions::default()).await;
    let names: Vec<String> = rig.mock.registered_commands(Some(rig.mock.options().guild_id)).into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["status", "errors", "graph", "wan", "uptime", "events", "silence", "unsilence", "resync", "reboot", "audit", "help"]);
    rig.wait_for_readings("home", "dsl_signal_to_noise_margin_db", 3).await;
    rig.wait_for_readings("pfsense", "wan_gateway_rtt_seconds", 1).await;
    let mock = &rig.mock;

    // /status: the line's figures, the WAN of its site, and a Refresh button.
    let status = mock.send_slash_command("status", json!([]), MEMBER, &[]);
    let message = rig.answer(&status).await;
    let shown = text(&message);
    for expected in ["home", "showtime", "Sync ↓/↑", "Attainable ↓/↑", "SNR margin ↓/↑", "Attenuation ↓/↑", "Power ↓/↑", "CRC ↓/↑", "Uptime", "WAN IP", "Gateway"] {
        assert!(shown.contains(expected), "{expected:?} missing from /status:\n{shown}");
    }
    assert_eq!(buttons(&message), ["refresh:*"]);

    // Refresh reads again and edits that same message.
    let before = mock.messages(rig.channel()).len();
    let click = mock.click_button(&message, "refresh:*", MEMBER);
    assert!(matches!(rig.callback(&click).await.kind, 6 | 7), "an update of the message, not a new one");
    let refreshed = rig.answer_until(&status, |m| m.edit_count > message.edit_count).await;
    assert_eq!(refreshed.id, message.id);
    assert_eq!(mock.messages(rig.channel()).len(), before, "no new message");
    assert!(text(&refreshed).contains("SNR margin"));

    // /graph: a PNG attached to an embed, from the first readings on.
    let graph = mock.send_slash_command("graph", json!([option("metric", "dsl_signal_to_noise_margin_db")]), MEMBER, &[]);
    let chart = rig.answer(&graph).await;
    assert_eq!(chart.attachments.len(), 1, "{chart:#?}");
    assert!(chart.attachments[0].data.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(chart.attachments[0].filename, "dsl_signal_to_noise_margin_db.png");
    assert!(chart.embeds[0]["image"]["url"].as_str().unwrap().contains("dsl_signal_to_noise_margin_db.png"));

    // /graph of a metric we do not have: said plainly, only to the user.
    let wrong = mock.send_slash_command("graph", json!([option("metric", "dsl_nonsense")]), MEMBER, &[]);
    rig.callback(&wrong).await;
    assert!(mock.wait_until(PATIENCE, |m| m.followups(&wrong).iter().any(|f| f.flags & 64 != 0)).await);
    let said = text(&mock.followups(&wrong)[0]);
    assert!(said.contains("dsl_nonsense") && said.contains("dsl_signal_to_noise_margin_db"), "{said}");

    // /errors: four windows, both directions, CRC/FEC/ES/SES.
    let errors = mock.send_slash_command("errors", json!([]), MEMBER, &[]);
    let shown = text(&rig.answer(&errors).await);
    for expected in ["Last 15 min", "Last day", "Last 7 days", "Since the last retrain", "CRC", "FEC", "ES", "SES", "down", "up"] {
        assert!(shown.contains(expected), "{expected:?} missing from /errors:\n{shown}");
    }

    // /wan: the firewall's view.
    let wan = mock.send_slash_command("wan", json!([]), MEMBER, &[]);
    let shown = text(&rig.answer(&wan).await);
    for expected in ["pfsense", "WAN IP", "Public IP", "CGNAT", "Gateway"] {
        assert!(shown.contains(expected), "{expected:?} missing from /wan:\n{shown}");
    }

    let uptime = mock.send_slash_command("uptime", json!([]), MEMBER, &[]);
    assert!(text(&rig.answer(&uptime).await).contains("in showtime for"));

    let events = mock.send_command("events", json!([{ "name": "n", "type": 4, "value": 5 }]), MEMBER.into());
    assert!(text(&rig.answer(&events).await).contains("Firing now"));

    let silence = mock.send_slash_command("silence", json!([option("rule", "crc_burst"), option("duration", "2h")]), MEMBER, &[]);
    assert!(text(&rig.answer(&silence).await).contains("`crc_burst` silenced until"));
    let bad = mock.send_slash_command("silence", json!([option("rule", "nope"), option("duration", "2h")]), MEMBER, &[]);
    let refused = rig.answer(&bad).await;
    assert!(refused.flags & 64 != 0 && refused.content.contains("no rule \"nope\""), "{refused:#?}");
    let events = mock.send_command("events", json!([]), MEMBER.into());
    let shown = text(&rig.answer(&events).await);
    assert!(shown.contains("Silenced") && shown.contains("crc_burst"), "/events shows the silence in force:\n{shown}");
    let unsilence = mock.send_slash_command("unsilence", json!([]), MEMBER, &[]);
    assert!(text(&rig.answer(&unsilence).await).contains("1 silence(s) lifted"));
    // Who silenced and unsilenced is in the audit log.
    let audit = mock.send_slash_command("audit", json!([]), 1, &[ADMIN_ROLE]);
    let log = text(&rig.answer(&audit).await);
    assert!(log.contains("silence **crc_burst**") && log.contains("unsilence **all**"), "{log}");

    let help = mock.send_slash_command("help", json!([]), MEMBER, &[]);
    let shown = text(&rig.answer(&help).await);
    for command in ["/status", "/errors", "/graph", "/wan", "/uptime", "/events", "/silence", "/unsilence", "/resync", "/reboot", "/audit"] {
        assert!(shown.contains(command), "{command} missing from /help");
    }

    // Autocomplete: targets and metric names.
    let auto = mock.send_autocomplete("status", json!([{ "name": "target", "type": 3, "value": "ho", "focused": true }]), MEMBER.into());
    assert_eq!(rig.callback(&auto).await.data.unwrap()["choices"], json!([{ "name": "home", "value": "home" }]));
    let auto = mock.send_autocomplete("graph", json!([{ "name": "metric", "type": 3, "value": "signal_to", "focused": true }]), MEMBER.into());
    let choices = rig.callback(&auto).await.data.unwrap()["choices"].clone();
    assert!(choices.as_array().unwrap().iter().any(|c| c["value"] == "dsl_signal_to_noise_margin_db"), "{choices}");

    rig.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_admins_reboot_is_denied_plainly_without_a_button_and_audited() {
    let rig = Rig::start(fast(), BotOptions::default()).await;
    let mock = &rig.mock;
    let reboot = mock.send_slash_command("reboot", json!([]), MEMBER, &[]);
    let denied = rig.answer(&reboot).await;
    assert!(denied.content.contains("Denied") && denied.content.contains("admin"), "says it was denied and why: {}", denied.content);
    assert!(buttons(&denied).is_empty(), "a refused action offers no button");
    assert_ne!(denied.flags & 64, 0, "only the asker sees it");

    // The audit log shows it to admins (by role here), and to nobody else.
    let audit = mock.send_slash_command("audit", json!([]), MEMBER, &[]);
    assert!(rig.answer(&audit).await.content.contains("Denied"));
    let audit = mock.send_slash_command("audit", json!([]), 1, &[ADMIN_ROLE]);
    let log = text(&rig.answer(&audit).await);
    assert!(log.contains(&format!("<@{MEMBER}>")) && log.contains("reboot") && log.contains("⛔"), "{log}");
    rig.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admins_resync_is_confirmed_or_expires_and_its_outcome_is_posted() {
    let bot = BotOptions { confirm_timeout: Duration::from_secs(2), ..BotOptions::default() };
    let rig = Rig::start(fast(), bot).await;
    rig.wait_for_readings("home", "dsl_datarate", 2).await;
    let mock = &rig.mock;

    // Unconfirmed, the button expires and nothing happens.
    let first = mock.send_slash_command("resync", json!([]), ADMIN, &[]);
    let asked = rig.answer(&first).await;
    assert_eq!(buttons(&asked).len(), 2, "confirm and cancel");
    let expired = rig.answer_until(&first, |m| m.content.contains("Expired")).await;
    assert!(buttons(&expired).is_empty());

    // Confirmed, the modem resyncs (`xdslctl connection --down`, `--up`) and the outcome follows.
    let mut notes = rig.modem.as_ref().unwrap().notes();
    let second = mock.send_slash_command("resync", json!([option("target", "home")]), ADMIN, &[]);
    let asked = rig.answer(&second).await;
    let confirm = buttons(&asked).into_iter().find(|b| b.starts_with("confirm:")).unwrap();
    let click = mock.click_button(&asked, &confirm, Invoker::member(ADMIN, &[]));
    assert_eq!(rig.callback(&click).await.kind, 7);
    let mut seen = Vec::new();
    let resynced = tokio::time::timeout(PATIENCE, async {
        while let Ok(note) = notes.recv().await {
            seen.push(note.text.clone());
            if seen.iter().any(|t| t == "line taken down") && seen.iter().any(|t| t == "line brought up") {
                return;
            }
        }
    })
    .await;
    assert!(resynced.is_ok(), "the modem was resynced: {seen:?}");
    assert!(mock.wait_until(PATIENCE, |m: &MockDiscord| !m.followups(&click).is_empty()).await, "the outcome is posted");
    let outcome = text(&mock.followups(&click)[0]);
    assert!(outcome.contains("back in showtime") && outcome.contains("Mb/s"), "{outcome}");

    // All of it is in the audit log.
    let audit = mock.send_slash_command("audit", json!([]), ADMIN, &[]);
    let log = text(&rig.answer(&audit).await);
    for expected in ["resync expired", "resync confirmed", "resync outcome"] {
        assert!(log.contains(expected), "{expected:?} missing from the audit log:\n{log}");
    }
    rig.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modem_that_takes_10_s_still_gets_the_interaction_acknowledged_and_the_failure_told() {
    let rig = Rig::start(ModemKind::Silent, BotOptions::default()).await;
    let mock = &rig.mock;
    // The mock forgets an interaction not acknowledged within 3 s: a callback proves it was.
    let status = mock.send_slash_command("status", json!([]), MEMBER, &[]);
    assert_eq!(rig.callback(&status).await.kind, 5, "deferred at once");
    let told = rig.answer(&status).await;
    assert!(text(&told).contains("does not answer"), "{}", text(&told));
    rig.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rides_out_a_429_storm_resumes_after_a_drop_and_an_op_7_and_identifies_after_an_invalid_session() {
    let rig = Rig::start(fast(), BotOptions::default()).await;
    let mock = &rig.mock;
    mock.fail_next(6, 429);
    let help = mock.send_slash_command("help", json!([]), MEMBER, &[]);
    assert_eq!(rig.callback(&help).await.kind, 4);
    assert!(mock.requests().iter().filter(|r| r.status == 429).count() >= 6);

    assert!(mock.gateway_drop());
    let during = mock.send_slash_command("help", json!([]), MEMBER, &[]);
    assert_eq!(rig.callback(&during).await.kind, 4, "replayed on RESUME");
    assert!(mock.wait_until(PATIENCE, MockDiscord::gateway_connected).await);
    assert!(mock.gateway_reconnect());
    assert!(mock.wait_until(PATIENCE, |m| m.resume_count() == 2 && m.gateway_connected()).await);
    let after = mock.send_slash_command("help", json!([]), MEMBER, &[]);
    assert_eq!(rig.callback(&after).await.kind, 4);
    assert_eq!((mock.identify_count(), mock.resume_count()), (1, 2), "resumed, never identified again");

    // An invalid session: the bot identifies again and registers its commands again.
    let registrations = |m: &MockDiscord| m.requests().iter().filter(|r| r.method == "PUT" && r.path.contains("/commands")).count();
    let registered = registrations(mock);
    assert!(mock.gateway_invalidate_session(false));
    assert!(mock.wait_until(PATIENCE, |m| m.identify_count() == 2 && registrations(m) > registered).await);
    let again = mock.send_slash_command("help", json!([]), MEMBER, &[]);
    assert_eq!(rig.callback(&again).await.kind, 4);
    rig.assert_no_violations();
}

//! The engine's semantics, with a clock in our hands.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

fn t(minutes: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + minutes * 60)
}

fn engine() -> Engine {
    Engine::new(EngineConfig { reminder: Duration::from_secs(4 * 3600), incident_grace: Duration::from_secs(15 * 60) }, EngineState::default())
}

fn active(rule: &str, layer: Layer, r#for: Duration) -> Finding {
    Finding::Active {
        id: AlertId::new(rule, "home", ""),
        layer,
        severity: Severity::Critical,
        timing: Timing { r#for, checks: 1, resolve_checks: 1, keep_firing_for: Duration::ZERO },
        message: Message { title: format!("{rule} firing"), text: String::new(), fields: Vec::new() },
    }
}

fn clear(rule: &str) -> Finding {
    Finding::Clear {
        id: AlertId::new(rule, "home", ""),
        message: Some(Message { title: format!("{rule} resolved"), text: String::new(), fields: Vec::new() }),
    }
}

fn event(rule: &str, layer: Layer) -> Finding {
    Finding::Event {
        id: AlertId::new(rule, "home", ""),
        layer,
        severity: Severity::Warning,
        message: Message { title: format!("{rule} happened"), text: String::new(), fields: Vec::new() },
    }
}

fn titles(notifications: &[Notification]) -> Vec<String> {
    notifications.iter().map(|n| n.message.title.clone()).collect()
}

#[test]
fn fires_once_and_resolves_once() {
    let mut e = engine();
    let n = e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(0));
    assert_eq!(titles(&n), ["line_down firing"]);
    assert_eq!(n[0].kind, NotificationKind::Firing);
    assert!(e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(1)).is_empty(), "announced once");
    let n = e.apply("site", vec![clear("line_down")], t(2));
    assert_eq!(titles(&n), ["line_down resolved"]);
    assert!(n[0].incident_view.resolved);
    assert!(e.apply("site", vec![clear("line_down")], t(3)).is_empty(), "resolved once");
}

#[test]
fn a_pending_alert_that_clears_says_nothing() {
    let mut e = engine();
    let five = Duration::from_secs(300);
    assert!(e.apply("site", vec![active("snr_low", Layer::Line, five)], t(0)).is_empty());
    assert!(e.apply("site", vec![active("snr_low", Layer::Line, five)], t(3)).is_empty());
    assert!(e.apply("site", vec![clear("snr_low")], t(4)).is_empty());
    // Pending again from scratch: it needs its full `for` once more.
    assert!(e.apply("site", vec![active("snr_low", Layer::Line, five)], t(5)).is_empty());
    assert!(e.apply("site", vec![active("snr_low", Layer::Line, five)], t(9)).is_empty());
    assert_eq!(titles(&e.apply("site", vec![active("snr_low", Layer::Line, five)], t(10))), ["snr_low firing"]);
}

#[test]
fn failed_checks_and_resolve_checks_count() {
    let mut e = engine();
    let finding = |checks| Finding::Active {
        id: AlertId::new("modem_unreachable", "home", ""),
        layer: Layer::Line,
        severity: Severity::Critical,
        timing: Timing { r#for: Duration::ZERO, checks, resolve_checks: 2, keep_firing_for: Duration::ZERO },
        message: Message { title: "unreachable".into(), text: String::new(), fields: Vec::new() },
    };
    assert!(e.apply("site", vec![finding(3)], t(0)).is_empty());
    assert!(e.apply("site", vec![finding(3)], t(1)).is_empty());
    assert_eq!(e.apply("site", vec![finding(3)], t(2)).len(), 1);
    let good = Finding::Clear { id: AlertId::new("modem_unreachable", "home", ""), message: None };
    assert!(e.apply("site", vec![good.clone()], t(3)).is_empty(), "one good check is not enough");
    assert_eq!(e.apply("site", vec![good], t(4))[0].kind, NotificationKind::Resolved);
}

#[test]
fn a_condition_must_stay_gone_for_its_keep_firing_time() {
    let mut e = engine();
    let wandering = |clear: bool| {
        if clear {
            Finding::Clear { id: AlertId::new("snr_low", "home", "down"), message: None }
        } else {
            Finding::Active {
                id: AlertId::new("snr_low", "home", "down"),
                layer: Layer::Line,
                severity: Severity::Warning,
                timing: Timing { r#for: Duration::ZERO, checks: 1, resolve_checks: 1, keep_firing_for: Duration::from_secs(900) },
                message: Message { title: "low".into(), text: String::new(), fields: Vec::new() },
            }
        }
    };
    assert_eq!(e.apply("site", vec![wandering(false)], t(0)).len(), 1);
    // Back and forth around the floor: still one alert, no resolve.
    for m in 1..30 {
        assert!(e.apply("site", vec![wandering(m % 3 == 0)], t(m)).is_empty(), "minute {m}");
    }
    // Gone for good: resolved once it has been gone 15 minutes.
    for m in 30..45 {
        assert!(e.apply("site", vec![wandering(true)], t(m)).is_empty(), "minute {m}");
    }
    assert_eq!(e.apply("site", vec![wandering(true)], t(45))[0].kind, NotificationKind::Resolved);
}

#[test]
fn reminders_while_firing() {
    let mut e = engine();
    e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(0));
    assert!(e.tick(t(239)).is_empty());
    let n = e.tick(t(240));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind, NotificationKind::Reminder);
    assert!(e.tick(t(300)).is_empty());
    assert_eq!(e.tick(t(480))[0].kind, NotificationKind::Reminder);

    let mut quiet = Engine::new(EngineConfig { reminder: Duration::ZERO, incident_grace: Duration::from_secs(900) }, EngineState::default());
    quiet.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(0));
    assert!(quiet.tick(t(10_000)).is_empty());
}

#[test]
fn a_lower_layer_inhibits_upper_layers_but_announced_resolves_go_out() {
    let mut e = engine();
    // PPP went down first and was announced.
    assert_eq!(e.apply("site", vec![active("ppp_down", Layer::Link, Duration::ZERO)], t(0)).len(), 1);
    // Then the line: announced; the gateway alert is inhibited.
    let n = e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO), active("gateway_loss", Layer::Gateway, Duration::ZERO)], t(1));
    assert_eq!(titles(&n), ["line_down firing"]);
    // PPP comes back while the line is still down: its resolve is delivered anyway.
    assert_eq!(titles(&e.apply("site", vec![clear("ppp_down")], t(2))), ["ppp_down resolved"]);
    // A new IP while the line is down is held back...
    assert!(e.apply("site", vec![event("wan_ip_changed", Layer::Address)], t(3)).is_empty());
    // The line comes back but the gateway is still lossy: now that is announced.
    let n = e.apply("site", vec![clear("line_down")], t(4));
    assert_eq!(titles(&n), ["line_down resolved", "gateway_loss firing"]);
    // Its resolve later, in the same incident.
    let incident = n[0].incident;
    assert!(n.iter().all(|n| n.incident == incident));
    // ...and told once nothing below it fires any more, in the same incident.
    let n = e.apply("site", vec![clear("gateway_loss")], t(5));
    assert_eq!(titles(&n), ["gateway_loss resolved", "wan_ip_changed happened"]);
    assert!(n.iter().all(|n| n.incident == incident));
    // Another site is not inhibited by this one.
    e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(6));
    assert_eq!(e.apply("office", vec![active("ppp_down", Layer::Link, Duration::ZERO)], t(6)).len(), 1);
}

#[test]
fn a_warning_below_inhibits_nothing() {
    let mut e = engine();
    let burst = Finding::Active {
        id: AlertId::new("crc_burst", "home", "down"),
        layer: Layer::Line,
        severity: Severity::Warning,
        timing: Timing { r#for: Duration::ZERO, checks: 1, resolve_checks: 1, keep_firing_for: Duration::ZERO },
        message: Message { title: "burst".into(), text: String::new(), fields: Vec::new() },
    };
    e.apply("site", vec![burst], t(0));
    assert_eq!(titles(&e.apply("site", vec![active("ppp_down", Layer::Link, Duration::ZERO)], t(1))), ["ppp_down firing"]);
}

#[test]
fn one_incident_tells_the_whole_chain() {
    let mut e = engine();
    let resync = e.apply("site", vec![event("retrain", Layer::Line)], t(0));
    let ppp = e.apply("site", vec![active("ppp_down", Layer::Link, Duration::ZERO)], t(1));
    let back = e.apply("site", vec![clear("ppp_down"), event("wan_ip_changed", Layer::Address)], t(2));
    let ddns = e.apply("site", vec![event("ddns_updated", Layer::Address)], t(10));
    let id = resync[0].incident;
    assert!(ppp.iter().chain(&back).chain(&ddns).all(|n| n.incident == id));
    let view = &ddns[0].incident_view;
    assert_eq!(view.title, "retrain happened");
    assert_eq!(view.entries.len(), 5);
    // After the grace period, the next thing opens a new incident.
    e.tick(t(26));
    let later = e.apply("site", vec![event("retrain", Layer::Line)], t(26));
    assert_ne!(later[0].incident, id);
}

#[test]
fn silences_hold_back_announcements_until_they_expire() {
    let mut e = engine();
    e.silence(Some("line_down".into()), None, t(30), "admin");
    assert!(e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(0)).is_empty());
    // Other rules are not silenced.
    assert_eq!(e.apply("site", vec![event("retrain", Layer::Line)], t(1)).len(), 1);
    assert!(e.tick(t(29)).is_empty());
    // Still down when the silence ends: announced then.
    assert_eq!(titles(&e.tick(t(30))), ["line_down firing"]);
    // An announced alert's resolve goes out even under a new silence.
    e.silence(None, None, t(100), "admin");
    assert_eq!(titles(&e.apply("site", vec![clear("line_down")], t(31))), ["line_down resolved"]);
}

#[test]
fn unsilence_lifts_and_announces_what_still_fires() {
    let mut e = engine();
    e.silence(None, None, t(600), "admin");
    e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(0));
    assert_eq!(e.unsilence(None), 1);
    assert_eq!(titles(&e.tick(t(1))), ["line_down firing"]);
}

#[test]
fn a_restart_neither_re_announces_nor_forgets() {
    let mut e = engine();
    e.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(0));
    let saved = serde_json::to_string(e.state()).unwrap();
    let mut restarted = Engine::new(e.config, serde_json::from_str(&saved).unwrap());
    assert!(restarted.apply("site", vec![active("line_down", Layer::Line, Duration::ZERO)], t(1)).is_empty());
    assert_eq!(titles(&restarted.apply("site", vec![clear("line_down")], t(2))), ["line_down resolved"]);
}

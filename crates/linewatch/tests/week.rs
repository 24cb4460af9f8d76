//! A simulated week of one line, read every 30 s through the real parser, pipeline, store and
//! alert engine, with scripted trouble: desyncs, a resync shorter than a poll, CRC bursts, SNR
//! drift, the modem unreachable, a reboot — and linewatch itself restarted and down for a
//! while. The notifications must be exactly the expected ones, in order: none missing, none
//! duplicated, a resolve for everything announced; and restarts must change nothing.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use linewatch::alerts::{Notification, NotificationKind, Severity};
use linewatch::config::Config;
use linewatch::daemon::pipeline::{Check, Pipeline};
use linewatch::devices::DeviceError;
use linewatch::notify::Routing;
use linewatch::sim::events::Event;
use linewatch::sim::line::{Line, Standard};
use linewatch::sim::render::{self, Detail};

const POLL: u64 = 30;
const WEEK: u64 = 7 * 86_400;
const START: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn at(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(START + s)
}

fn hours(h: f64) -> Duration {
    Duration::from_secs_f64(h * 3600.0)
}

fn scripted_line() -> Line {
    let mut line = Line::new(7, Standard::Vdsl2Profile17a);
    line.schedule(hours(6.0), Event::Desync { down_for: Duration::from_secs(60) });
    // Just after a poll, so the whole resync falls between two polls.
    line.schedule(hours(20.0) + Duration::from_secs(1), Event::ShortResync);
    line.schedule(hours(30.0), Event::CrcBurst { per_min: 2000.0, r#for: Duration::from_secs(600) });
    line.schedule(hours(50.0), Event::Unreachable { r#for: Duration::from_secs(300) });
    // Too short to be announced (the rule waits 90 s).
    line.schedule(hours(60.0), Event::Unreachable { r#for: Duration::from_secs(45) });
    line.schedule(hours(80.0), Event::Reboot { down_for: Duration::from_secs(120) });
    line.schedule(hours(100.0), Event::SnrDrift { db_per_hour: -1.5 });
    line.schedule(hours(104.0), Event::SnrDrift { db_per_hour: 0.0 });
    line.schedule(hours(140.0), Event::Desync { down_for: Duration::from_secs(600) });
    line
}

/// Runs the week; `restarts` are the times linewatch restarts, `gaps` the intervals it was
/// not running at all. Returns every notification, as (time, kind, rule, severity).
fn run_week(restarts: &[u64], gaps: &[(u64, u64)]) -> Vec<(u64, NotificationKind, String, Severity)> {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("linewatch.db");
    let config = Config::parse("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"192.0.2.1\"\n").unwrap();
    let routes = vec![Routing { name: "console".into(), min_severity: Severity::Info }];
    let open = || Pipeline::open(&config, &store, routes.clone()).unwrap();
    let mut pipeline = open();
    let mut line = scripted_line();
    let mut told = Vec::new();
    let keep = |n: Vec<Notification>, told: &mut Vec<(u64, NotificationKind, String, Severity)>| {
        told.extend(n.into_iter().map(|n| {
            let s = n.at.duration_since(at(0)).unwrap().as_secs();
            (s, n.kind, n.alert.rule, n.severity)
        }))
    };
    for t in (0..=WEEK).step_by(POLL as usize) {
        line.advance_to(t);
        if restarts.contains(&t) {
            drop(pipeline);
            pipeline = open();
        }
        if gaps.iter().any(|(from, to)| (*from..*to).contains(&t)) {
            continue;
        }
        let result = if line.reachable() {
            let text = render::broadcom(&line.snapshot(), "xdslctl", Detail::Stats);
            Ok(xdsl::Dialect::Broadcom.parse(&text).expect("the simulator's output parses"))
        } else {
            Err(DeviceError::Connect { addr: "192.0.2.1:22".into(), reason: "connection refused".into() })
        };
        let stepped = pipeline.check(Check::Line { target: "home".into(), at: at(t), took: Duration::from_millis(50), result }).unwrap();
        keep(stepped.notifications, &mut told);
        keep(pipeline.tick(at(t)).unwrap().notifications, &mut told);
    }
    told
}

fn rules(told: &[(u64, NotificationKind, String, Severity)]) -> Vec<(NotificationKind, &str)> {
    told.iter().map(|(_, k, r, _)| (*k, r.as_str())).collect()
}

#[test]
fn a_week_of_trouble_gives_exactly_the_expected_notifications() {
    use NotificationKind::*;
    let told = run_week(&[], &[]);
    let announcements: Vec<(NotificationKind, &str)> = rules(&told).into_iter().filter(|(k, _)| *k != Reminder).collect();
    let expected = [
        // 06:00 desync, down one minute, then training: down, then up with the downtime.
        (Firing, "line_down"),
        (Resolved, "line_down"),
        // 20:00 a resync that falls between two polls: told from the uptime that restarted.
        (Event, "retrain"),
        // 30:00 2000 CRC/min on the downstream for 10 minutes: CRC and errored seconds burst,
        // resolved once the 5-minute window is quiet again.
        (Firing, "crc_burst"),
        (Firing, "es_burst"),
        (Resolved, "crc_burst"),
        (Resolved, "es_burst"),
        // 50:00 the modem unreachable for 5 minutes (60:00's 45 s are under the 90 s `for`).
        (Firing, "modem_unreachable"),
        (Resolved, "modem_unreachable"),
        // 80:00 a reboot: unreachable for 2 minutes, then the line trains and comes back.
        (Firing, "modem_unreachable"),
        (Resolved, "modem_unreachable"),
        (Firing, "line_down"),
        (Resolved, "line_down"),
        // 100:00-104:00 the noise rises by 6 dB: both margins fall below their 7-day
        // baselines, one below the 3 dB floor. They stay low (no flapping); one baseline
        // catches up with the new normal (resolved) before the next retrain.
        (Firing, "snr_drop"),
        (Firing, "snr_drop"),
        (Firing, "snr_low"),
        (Resolved, "snr_drop"),
        // 140:00 desync for 10 minutes: the line comes back at its target margin, but slower
        // (the noise is still there): told as a rate drop. The margins are fine again.
        (Firing, "line_down"),
        (Resolved, "line_down"),
        (Event, "rate_drop"),
        (Resolved, "snr_low"),
        (Resolved, "snr_drop"),
    ];
    assert_eq!(announcements, expected, "{told:#?}");

    // Every announced alert (rule and key) is resolved once, after it fired; reminders only
    // while it fires, every 4 hours.
    let mut firing: std::collections::BTreeMap<(String, u64), u64> = Default::default();
    let mut open: Vec<&str> = Vec::new();
    for (t, kind, rule, _) in &told {
        match kind {
            Firing => open.push(rule),
            Resolved => {
                let i = open.iter().position(|r| r == rule).unwrap_or_else(|| panic!("{rule} resolved at {t}s but was not firing"));
                open.remove(i);
            }
            Reminder => {
                assert!(open.contains(&rule.as_str()), "a reminder of {rule} at {t}s while it does not fire");
                *firing.entry((rule.clone(), t / (4 * 3600))).or_default() += 1;
            }
            Event => {}
        }
    }
    assert!(open.is_empty(), "never resolved: {open:?}");
    assert!(firing.values().all(|n| *n <= 2), "reminders more often than every 4 h: {firing:?}");
    // Line down and the unreachable modem are critical; the rest are warnings.
    for (_, _, rule, severity) in &told {
        let critical = rule == "line_down" || rule == "modem_unreachable";
        assert_eq!(*severity == Severity::Critical, critical, "{rule}");
    }
}

#[test]
fn restarts_of_linewatch_neither_repeat_nor_forget() {
    let plain = run_week(&[], &[]);
    // Restarts in the middle of a line-down, of a burst, of an unreachable modem, and quiet.
    let restarts = [6 * 3600 + 30, 30 * 3600 + 300, 50 * 3600 + 150, 90 * 3600];
    assert_eq!(run_week(&restarts, &[]), plain);
}

#[test]
fn linewatch_down_while_the_line_resyncs_still_sees_the_retrain() {
    use NotificationKind::*;
    // linewatch is stopped from 19:50 to 20:30: the 20:00 resync happens while it is away.
    let told = run_week(&[20 * 3600 + 1800], &[(19 * 3600 + 3000, 20 * 3600 + 1800)]);
    let resync: Vec<_> = rules(&told).into_iter().filter(|(k, r)| *k == Event && *r == "retrain").collect();
    assert_eq!(resync.len(), 1, "the uptime that restarted while away is a retrain: {told:#?}");
}

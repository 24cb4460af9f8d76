//! The rules for a DSL line and its modem. Each turns one check into findings; thresholds come
//! from `[alerts]`. WAN rules plug into the same engine.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use xdsl::counters::{IntervalDeltas, Transition};
use xdsl::{Direction, LineReading, LineState};

use super::{AlertId, Finding, Layer, Message, Severity, Timing};
use crate::config::AlertsConfig;
use crate::derive::unix_seconds;
use crate::devices::DeviceError;
use crate::render;

/// What the burst rules remember: the errors of recent intervals, training noise left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BurstMemory {
    recent: VecDeque<Interval>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Interval {
    #[serde(with = "unix_seconds")]
    at: SystemTime,
    /// CRC down, CRC up, ES down, ES up.
    errors: [u64; 4],
}

impl BurstMemory {
    fn add(&mut self, at: SystemTime, deltas: &IntervalDeltas, keep: Duration) {
        if !deltas.training_noise {
            let count = |c: Option<u64>| c.unwrap_or(0);
            let errors = [count(deltas.down.crc), count(deltas.up.crc), count(deltas.down.es), count(deltas.up.es)];
            self.recent.push_back(Interval { at, errors });
        }
        while self.recent.front().is_some_and(|i| at.duration_since(i.at).unwrap_or_default() > keep) {
            self.recent.pop_front();
        }
    }

    fn sum(&self, now: SystemTime, window: Duration, index: usize) -> u64 {
        self.recent
            .iter()
            .filter(|i| now.duration_since(i.at).unwrap_or_default() <= window)
            .map(|i| i.errors[index])
            .sum()
    }
}

/// One check of a line: the reading and what it follows from.
pub struct LineCheck<'a> {
    pub target: &'a str,
    pub at: SystemTime,
    pub reading: &'a LineReading,
    pub transition: Option<&'a Transition>,
    pub deltas: Option<&'a IntervalDeltas>,
    /// The last showtime reading before this one, and when it was made.
    pub previous_showtime: Option<(SystemTime, &'a LineReading)>,
    /// Since when the line is (or was, until this reading) out of showtime.
    pub down_since: Option<SystemTime>,
    /// The SNR margin's 7-day baseline per direction (down, up), from the store.
    pub snr_baseline: [Option<f64>; 2],
}

/// The findings of the line rules for one successful reading.
pub fn line(config: &AlertsConfig, check: &LineCheck, memory: &mut BurstMemory) -> Vec<Finding> {
    let mut findings = Vec::new();
    let r = check.reading;
    let target = check.target;
    // A reading that worked: the modem answers and its key is the pinned one.
    findings.push(clear("modem_unreachable", target, ""));
    findings.push(clear("host_key_changed", target, ""));

    if config.line_down.enabled {
        let id = AlertId::new("line_down", target, "");
        match r.state {
            LineState::Training | LineState::Idle | LineState::Down => findings.push(Finding::Active {
                id,
                layer: Layer::Line,
                severity: Severity::Critical,
                timing: Timing { r#for: config.line_down.r#for, checks: 1, resolve_checks: config.line_down.resolve_checks, keep_firing_for: Duration::ZERO },
                message: line_down_message(check),
            }),
            LineState::Showtime => findings.push(Finding::Clear { id, message: Some(line_up_message(check)),
            }),
            LineState::Unknown => {}
        }
    }
    if !r.is_showtime() {
        return findings;
    }

    let retrained_between_polls = matches!(check.transition, Some(Transition::Retrain { .. }));
    let came_back = check.down_since.is_some();
    if config.retrain.enabled && retrained_between_polls && !came_back {
        findings.push(Finding::Event {
            id: AlertId::new("retrain", target, ""),
            layer: Layer::Line,
            severity: Severity::Warning,
            message: Message {
                title: format!("Resync on {target}"),
                text: format!(
                    "The line retrained between two polls (uptime restarted: {}).{}",
                    r.uptime_s.map(render::duration).unwrap_or_else(|| "unknown".into()),
                    cause(r)
                ),
                fields: before_after(check.previous_showtime.map(|(_, p)| p), r),
            },
        });
    }
    if config.rate_drop.enabled && (retrained_between_polls || came_back)
        && let Some((_, before)) = check.previous_showtime
        && let Some(message) = rate_drop_message(target, before, r, config.rate_drop.drop_pct)
    {
        findings.push(Finding::Event { id: AlertId::new("rate_drop", target, ""), layer: Layer::Line, severity: Severity::Warning, message });
    }

    let window = config.crc_burst.window.max(config.es_burst.window);
    if let Some(deltas) = check.deltas {
        memory.add(check.at, deltas, window);
    }
    for (index, direction) in Direction::BOTH.into_iter().enumerate() {
        let key = direction.as_str();
        if config.crc_burst.enabled {
            let n = memory.sum(check.at, config.crc_burst.window, index);
            findings.push(burst("crc_burst", "CRC errors", target, direction, n, config.crc_burst.threshold, config.crc_burst.window));
        }
        if config.es_burst.enabled {
            let n = memory.sum(check.at, config.es_burst.window, 2 + index);
            findings.push(burst("es_burst", "errored seconds", target, direction, n, config.es_burst.threshold, config.es_burst.window));
        }
        let Some(snr) = r.direction(direction).snr_margin_db else { continue };
        if config.snr_low.enabled {
            let c = &config.snr_low;
            let id = AlertId::new("snr_low", target, key);
            if snr < c.floor_db {
                findings.push(margin_warning(
                    id,
                    c.r#for,
                    Message {
                        title: format!("Low SNR margin ({key}) on {target}"),
                        text: format!("The {key}stream SNR margin is {snr:.1} dB, below the {:.1} dB floor: errors and resyncs are likely.", c.floor_db),
                        fields: vec![("SNR margin".into(), format!("{snr:.1} dB"))],
                    },
                ));
            } else if snr >= c.floor_db + c.hysteresis_db {
                findings.push(Finding::Clear { id, message: Some(Message {
                        title: format!("SNR margin ({key}) back on {target}"),
                        text: format!("The {key}stream SNR margin is {snr:.1} dB again."),
                        fields: Vec::new(),
                    }),
                });
            }
        }
        if config.snr_drop.enabled
            && let Some(baseline) = check.snr_baseline[index]
        {
            let c = &config.snr_drop;
            let id = AlertId::new("snr_drop", target, key);
            let drop = baseline - snr;
            if drop >= c.drop_db {
                findings.push(margin_warning(
                    id,
                    c.r#for,
                    Message {
                        title: format!("SNR margin ({key}) dropping on {target}"),
                        text: format!("The {key}stream SNR margin is {snr:.1} dB, {drop:.1} dB below its 7-day baseline of {baseline:.1} dB."),
                        fields: vec![("SNR margin".into(), format!("{snr:.1} dB")), ("7-day baseline".into(), format!("{baseline:.1} dB"))],
                    },
                ));
            } else if drop < c.drop_db - 0.5 {
                findings.push(Finding::Clear { id, message: None });
            }
        }
    }
    findings
}

/// The findings for a check that failed: the modem did not answer, refused us, or changed key.
pub fn failed(config: &AlertsConfig, target: &str, error: &DeviceError) -> Vec<Finding> {
    match error.cause() {
        DeviceError::HostKeyChanged { .. } if config.host_key_changed.enabled => vec![Finding::Active {
            id: AlertId::new("host_key_changed", target, ""),
            layer: Layer::Line,
            severity: Severity::Critical,
            timing: Timing { r#for: Duration::ZERO, checks: 1, resolve_checks: 1, keep_firing_for: Duration::ZERO },
            message: Message { title: format!("SSH host key of {target} changed"), text: error.to_string(), fields: Vec::new() },
        }],
        DeviceError::Connect { .. } | DeviceError::AuthFailed { .. } | DeviceError::Timeout { .. } | DeviceError::Disconnected { .. }
            if config.modem_unreachable.enabled =>
        {
            let c = &config.modem_unreachable;
            vec![Finding::Active {
                id: AlertId::new("modem_unreachable", target, ""),
                layer: Layer::Line,
                severity: Severity::Critical,
                timing: Timing { r#for: c.r#for, checks: 1, resolve_checks: c.resolve_checks, keep_firing_for: Duration::ZERO },
                message: Message {
                    title: format!("Modem {target} unreachable"),
                    text: format!(
                        "linewatch cannot read the modem (the line itself may be fine; the path to the modem may be broken): {error}"
                    ),
                    fields: Vec::new(),
                },
            }]
        }
        _ => Vec::new(),
    }
}

/// A slow-moving figure (the SNR margin) must stay on the good side this long before its
/// alert resolves: it wanders around any threshold.
const MARGIN_KEEP_FIRING: Duration = Duration::from_secs(15 * 60);

/// A warning about the SNR margin, announced once it held for `r#for`.
fn margin_warning(id: AlertId, r#for: Duration, message: Message) -> Finding {
    let timing = Timing { r#for, checks: 1, resolve_checks: 1, keep_firing_for: MARGIN_KEEP_FIRING };
    Finding::Active { id, layer: Layer::Line, severity: Severity::Warning, timing, message }
}

fn clear(rule: &str, target: &str, key: &str) -> Finding {
    Finding::Clear { id: AlertId::new(rule, target, key), message: None }
}

fn burst(rule: &str, what: &str, target: &str, direction: Direction, n: u64, threshold: u64, window: Duration) -> Finding {
    let key = direction.as_str();
    let id = AlertId::new(rule, target, key);
    let window_text = humantime::format_duration(window);
    if n >= threshold {
        // The window itself smooths the count: it resolves at the first quiet window.
        Finding::Active {
            id,
            layer: Layer::Line,
            severity: Severity::Warning,
            timing: Timing { r#for: Duration::ZERO, checks: 1, resolve_checks: 1, keep_firing_for: Duration::ZERO },
            message: Message {
                title: format!("Burst of {what} ({key}) on {target}"),
                text: format!("{n} {what} on the {key}stream in the last {window_text} (threshold {threshold})."),
                fields: vec![(format!("{what} in {window_text}"), n.to_string())],
            },
        }
    } else {
        Finding::Clear {
            id,
            message: Some(Message {
                title: format!("{what} ({key}) back to normal on {target}"),
                text: format!("{n} {what} on the {key}stream in the last {window_text}."),
                fields: Vec::new(),
            }),
        }
    }
}

fn line_down_message(check: &LineCheck) -> Message {
    let r = check.reading;
    let state = r.state_text.clone().unwrap_or_else(|| r.state.as_str().to_string());
    let mut text = format!("The DSL line of {} left showtime ({state}).", check.target);
    let mut fields = Vec::new();
    if let Some((at, good)) = check.previous_showtime {
        text.push_str(&format!(" Last good reading at {}.", humantime::format_rfc3339_seconds(at)));
        fields = figures("last good", good);
    }
    Message { title: format!("Line down on {}", check.target), text, fields }
}

fn line_up_message(check: &LineCheck) -> Message {
    let r = check.reading;
    let downtime = check.down_since.and_then(|since| check.at.duration_since(since).ok());
    let text = match downtime {
        Some(d) => format!("The DSL line of {} is back in showtime after {}.{}", check.target, render::duration(d.as_secs()), cause(r)),
        None => format!("The DSL line of {} is back in showtime.{}", check.target, cause(r)),
    };
    Message { title: format!("Line up on {}", check.target), text, fields: before_after(check.previous_showtime.map(|(_, p)| p), r) }
}

/// The modem's own retrain reason, verbatim: Broadcom gives a bare vendor code (`1`, `8000`)
/// whose meaning no public source documents, so it is labelled as the modem's, not explained.
fn cause(r: &LineReading) -> String {
    r.retrain_reason.as_ref().map(|c| format!(" Retrain reason given by the modem: {c}.")).unwrap_or_default()
}

fn rate_drop_message(target: &str, before: &LineReading, after: &LineReading, drop_pct: f64) -> Option<Message> {
    let mut changes = Vec::new();
    for direction in Direction::BOTH {
        let (b, a) = (before.direction(direction), after.direction(direction));
        for (what, old, new) in [("sync", b.rate_bps, a.rate_bps), ("attainable", b.attainable_bps, a.attainable_bps)] {
            if let (Some(old), Some(new)) = (old, new)
                && old > 0
                && (old as f64 - new as f64) / old as f64 * 100.0 >= drop_pct
            {
                changes.push(format!("{} {what} {} → {}", direction.as_str(), mbps(old), mbps(new)));
            }
        }
    }
    if before.profile.is_some() && after.profile.is_some() && before.profile != after.profile {
        changes.push(format!(
            "profile {} → {}",
            before.profile.as_deref().unwrap_or("?"),
            after.profile.as_deref().unwrap_or("?")
        ));
    }
    (!changes.is_empty()).then(|| Message {
        title: format!("Rates dropped on {target} after a retrain"),
        text: format!("The line came back slower: {}. The provider's DLM may have changed its profile.", changes.join(", ")),
        fields: before_after(Some(before), after),
    })
}

/// Sync and attainable rates and SNR margins of a reading, as embed fields.
fn figures(label: &str, r: &LineReading) -> Vec<(String, String)> {
    vec![
        (format!("Sync ({label})"), pair(r, |d| d.rate_bps.map(mbps))),
        (format!("Attainable ({label})"), pair(r, |d| d.attainable_bps.map(mbps))),
        (format!("SNR margin ({label})"), pair(r, |d| d.snr_margin_db.map(|v| format!("{v:.1} dB")))),
    ]
}

fn before_after(before: Option<&LineReading>, after: &LineReading) -> Vec<(String, String)> {
    let mut fields = figures("now", after);
    if let Some(before) = before {
        fields.extend(figures("before", before));
    }
    fields
}

/// `down / up`.
fn pair(r: &LineReading, value: impl Fn(&xdsl::DirectionStats) -> Option<String>) -> String {
    let cell = |d: Direction| value(r.direction(d)).unwrap_or_else(|| "—".into());
    format!("{} / {}", cell(Direction::Down), cell(Direction::Up))
}

fn mbps(bps: u64) -> String {
    format!("{:.1} Mb/s", bps as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use xdsl::{Dialect, ErrorCounters, Window};

    use super::*;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn reading(snr_down: f64, rate_down: u64) -> LineReading {
        let mut r = LineReading::new(Dialect::Broadcom);
        r.state = LineState::Showtime;
        r.uptime_s = Some(10_000);
        r.down.snr_margin_db = Some(snr_down);
        r.down.rate_bps = Some(rate_down);
        r.down.attainable_bps = Some(rate_down);
        r.counters.entry(Window::SinceLink);
        r
    }

    fn crc_deltas(crc: u64, noise: bool) -> IntervalDeltas {
        IntervalDeltas {
            window: Some(Window::SinceLink),
            down: ErrorCounters { crc: Some(crc), ..Default::default() },
            training_noise: noise,
            ..Default::default()
        }
    }

    fn check<'a>(r: &'a LineReading, deltas: Option<&'a IntervalDeltas>, s: u64) -> LineCheck<'a> {
        LineCheck {
            target: "home",
            at: at(s),
            reading: r,
            transition: None,
            deltas,
            previous_showtime: None,
            down_since: None,
            snr_baseline: [None, None],
        }
    }

    fn state_of<'a>(findings: &'a [Finding], rule: &str, key: &str) -> Option<&'a Finding> {
        findings.iter().find(|f| {
            let id = match f {
                Finding::Active { id, .. } | Finding::Clear { id, .. } | Finding::Event { id, .. } => id,
            };
            id.rule == rule && id.key == key
        })
    }

    #[test]
    fn crc_bursts_count_the_window_and_leave_training_noise_out() {
        let config = AlertsConfig::default();
        let mut memory = BurstMemory::default();
        let r = reading(8.0, 50_000_000);
        // 400 errors right after a resync: noise.
        let noise = crc_deltas(400, true);
        let f = line(&config, &check(&r, Some(&noise), 0), &mut memory);
        assert!(matches!(state_of(&f, "crc_burst", "down"), Some(Finding::Clear { .. })));
        for s in [30, 60] {
            let d = crc_deltas(300, false);
            let f = line(&config, &check(&r, Some(&d), s), &mut memory);
            let expected_active = s == 60;
            assert_eq!(matches!(state_of(&f, "crc_burst", "down"), Some(Finding::Active { .. })), expected_active, "at {s}s");
        }
        // Five minutes later the burst has left the window.
        let quiet = crc_deltas(0, false);
        let f = line(&config, &check(&r, Some(&quiet), 400), &mut memory);
        assert!(matches!(state_of(&f, "crc_burst", "down"), Some(Finding::Clear { .. })));
    }

    #[test]
    fn snr_floor_has_hysteresis() {
        let config = AlertsConfig::default();
        let mut memory = BurstMemory::default();
        let low = reading(2.5, 1);
        assert!(matches!(state_of(&line(&config, &check(&low, None, 0), &mut memory), "snr_low", "down"), Some(Finding::Active { .. })));
        let band = reading(3.2, 1);
        assert!(state_of(&line(&config, &check(&band, None, 30), &mut memory), "snr_low", "down").is_none(), "inside the hysteresis band nothing changes");
        let ok = reading(3.6, 1);
        assert!(matches!(state_of(&line(&config, &check(&ok, None, 60), &mut memory), "snr_low", "down"), Some(Finding::Clear { .. })));
    }

    #[test]
    fn a_slower_line_after_a_retrain_is_told() {
        let config = AlertsConfig::default();
        let before = reading(8.0, 50_000_000);
        let after = reading(9.0, 40_000_000);
        let retrain = Transition::Retrain { new_link: None };
        let mut c = check(&after, None, 30);
        c.transition = Some(&retrain);
        c.previous_showtime = Some((at(0), &before));
        let f = line(&config, &c, &mut BurstMemory::default());
        let Some(Finding::Event { message, .. }) = state_of(&f, "rate_drop", "") else { panic!("no rate drop in {f:?}") };
        assert!(message.text.contains("50.0 Mb/s → 40.0 Mb/s"), "{}", message.text);
        assert!(state_of(&f, "retrain", "").is_some(), "the resync itself is told too");
    }

    #[test]
    fn a_changed_host_key_stays_that_while_reconnects_back_off() {
        let config = AlertsConfig::default();
        let changed = DeviceError::HostKeyChanged { addr: "m:22".into(), pinned: "SHA256:a".into(), offered: "SHA256:b".into(), file: "kh".into() };
        let backing_off = DeviceError::Backoff { wait: Duration::from_secs(4), last: Box::new(changed) };
        let f = failed(&config, "home", &backing_off);
        let Finding::Active { id, .. } = &f[0] else { panic!() };
        assert_eq!(id.rule, "host_key_changed");
    }

    #[test]
    fn unreachable_is_not_line_down() {
        let config = AlertsConfig::default();
        let error = DeviceError::Connect { addr: "192.168.1.1:22".into(), reason: "connection refused".into() };
        let f = failed(&config, "home", &error);
        assert_eq!(f.len(), 1);
        let Finding::Active { id, .. } = &f[0] else { panic!() };
        assert_eq!(id.rule, "modem_unreachable");
    }
}

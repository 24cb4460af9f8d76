//! Human-readable renderings of readings, shared by `parse` and `poll`.

use std::fmt::Write;

use xdsl::{Counter, Direction, LineReading, Window};

/// A table of the figures a user looks at first: state, mode, uptime, then per direction the
/// sync and attainable rates, SNR margin, attenuation, power, and the CRC/FEC counts.
pub fn table(r: &LineReading) -> String {
    let mut out = String::new();
    let state = match &r.state_text {
        Some(text) if !text.eq_ignore_ascii_case(r.state.as_str()) => format!("{} ({text})", r.state.as_str()),
        _ => r.state.as_str().to_string(),
    };
    let _ = writeln!(out, "{:<16}{}", "dialect", r.dialect);
    let _ = writeln!(out, "{:<16}{state}", "state");
    let mode: Vec<String> = [
        r.mode.map(|m| m.as_str().to_string()),
        r.annex.as_ref().map(|a| format!("Annex {a}")),
        r.profile.as_ref().map(|p| format!("profile {p}")),
        r.tps_tc.map(|t| format!("{t:?}").to_uppercase()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !mode.is_empty() {
        let _ = writeln!(out, "{:<16}{}", "mode", mode.join(", "));
    }
    if let Some(uptime) = r.uptime_s {
        let _ = writeln!(out, "{:<16}{}", "uptime", duration(uptime));
    }
    let _ = writeln!(out, "{:<16}{:>14}{:>14}", "", "down", "up");
    let row = |out: &mut String, label: &str, value: &dyn Fn(Direction) -> Option<String>| {
        let cell = |d| value(d).unwrap_or_else(|| "—".to_string());
        let _ = writeln!(out, "{label:<16}{:>14}{:>14}", cell(Direction::Down), cell(Direction::Up));
    };
    row(&mut out, "sync", &|d| r.direction(d).rate_bps.map(rate));
    row(&mut out, "attainable", &|d| r.direction(d).attainable_bps.map(rate));
    row(&mut out, "SNR margin", &|d| r.direction(d).snr_margin_db.map(|v| format!("{v:.1} dB")));
    row(&mut out, "attenuation", &|d| r.direction(d).attenuation_db.map(|v| format!("{v:.1} dB")));
    row(&mut out, "power", &|d| r.direction(d).power_dbm.map(|v| format!("{v:.1} dBm")));
    for window in [Window::SinceLink, Window::Total] {
        let Some(counters) = r.counters.get(window) else { continue };
        let name = match window {
            Window::SinceLink => "since link",
            _ => "total",
        };
        for counter in [Counter::Crc, Counter::Fec] {
            let label = format!("{} {name}", counter.as_str().to_uppercase());
            row(&mut out, &label, &|d| counters.direction(d).get(counter).map(|n| n.to_string()));
        }
    }
    out
}

fn rate(bps: u64) -> String {
    format!("{:.3} Mb/s", bps as f64 / 1e6)
}

/// `1d 2h 10m 5s`.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m {s}s"),
        _ => format!("{d}d {h}h {m}m {s}s"),
    }
}

//! What the commands show: embeds built from the daemon's snapshot and the store, all passed
//! through `notify::discord::fit` so Discord's limits always hold.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use xdsl::{Counter, Direction, DirectionStats, LineReading, Window};

use crate::alerts::{Severity, Silence};
use crate::daemon::control::{FiringAlert, Latest};
use crate::derive::{Event, EventKind};
use crate::notify::discord::{embed_size, fit, limits, relative_time};
use crate::render;
use crate::store::AuditEntry;
use crate::wan::{GatewayStatus, LinkStatus, Verdict, WanReading};

pub const GREEN: u32 = 0x2E_CC_71;
pub const ORANGE: u32 = 0xF3_9C_12;
pub const RED: u32 = 0xE7_4C_3C;
pub const BLUE: u32 = 0x34_98_DB;

/// An embed with its fields, fitted to Discord's limits.
fn embed(title: &str, description: String, colour: u32, fields: Vec<(String, String, bool)>) -> Value {
    let fields: Vec<Value> = fields.into_iter().map(|(name, value, inline)| json!({ "name": name, "value": value, "inline": inline })).collect();
    let empty = description.is_empty();
    let mut embed = json!({ "title": title, "description": description, "color": colour, "fields": fields });
    if empty {
        // Discord wants a description of at least one character, or none.
        embed.as_object_mut().map(|e| e.remove("description"));
    }
    fit(&mut embed);
    embed
}

/// A plain message body: the embeds that fit in one message (10, 6000 characters together),
/// nothing mentioned.
pub fn message(embeds: Vec<Value>) -> Value {
    let mut total = 0;
    let embeds: Vec<Value> = embeds
        .into_iter()
        .take(limits::EMBEDS)
        .take_while(|embed| {
            total += embed_size(embed);
            total <= limits::TOTAL
        })
        .collect();
    json!({ "embeds": embeds, "allowed_mentions": { "parse": [] } })
}

/// `/graph`: the chart attached as `filename`, shown in an embed.
pub fn chart(metric: &str, target: &str, since: SystemTime, until: SystemTime, filename: &str) -> Value {
    let mut embed = embed(&format!("{metric} · {target}"), format!("From {} to {}", relative_time(since), relative_time(until)), BLUE, Vec::new());
    embed["image"] = json!({ "url": format!("attachment://{filename}") });
    let mut body = message(vec![embed]);
    body["attachments"] = json!([{ "id": 0, "filename": filename }]);
    body
}

/// A short text, cut to Discord's 2000 characters.
pub fn text(content: &str) -> Value {
    let content: String = content.chars().take(limits::CONTENT).collect();
    json!({ "content": content, "allowed_mentions": { "parse": [] } })
}

fn pair(value: impl Fn(Direction) -> Option<String>, unit: &str) -> String {
    match (value(Direction::Down), value(Direction::Up)) {
        (None, None) => "—".to_string(),
        (down, up) => format!("{} / {}{unit}", down.as_deref().unwrap_or("—"), up.as_deref().unwrap_or("—")),
    }
}

fn mbps(bps: u64) -> String {
    format!("{:.3}", bps as f64 / 1e6)
}

/// A rate of both directions, `down / up Mb/s`.
pub fn rates(reading: &LineReading, rate: impl Fn(&DirectionStats) -> Option<u64>) -> String {
    pair(|x| rate(reading.direction(x)).map(mbps), " Mb/s")
}

/// The worst of the target's firing alerts.
fn worst<'a>(target: &str, firing: &'a [FiringAlert]) -> (Option<Severity>, Vec<&'a FiringAlert>) {
    let mine: Vec<&FiringAlert> = firing.iter().filter(|a| a.id.target == target).collect();
    (mine.iter().map(|a| a.severity).max(), mine)
}

fn health(ok: bool, severity: Option<Severity>) -> u32 {
    match (ok, severity) {
        (false, _) | (_, Some(Severity::Critical)) => RED,
        (true, Some(Severity::Warning)) => ORANGE,
        _ => GREEN,
    }
}

fn alert_lines(alerts: &[&FiringAlert]) -> String {
    alerts.iter().map(|a| format!("\n🔴 {}", a.title)).collect()
}

/// `/status` of one modem: the figures of the old bot's embed, coloured by health.
pub fn line_status(target: &str, latest: Option<&Latest<LineReading>>, firing: &[FiringAlert], wan: Option<&WanReading>) -> Value {
    let (severity, alerts) = worst(target, firing);
    let title = format!("📶 {target}");
    let Some(latest) = latest else {
        return embed(&title, format!("No reading yet: Refresh reads the modem now.{}", alert_lines(&alerts)), BLUE, Vec::new());
    };
    let (reading, mut description, ok) = match (&latest.result, &latest.last_good) {
        (Ok(reading), _) => (reading, format!("Read {}", relative_time(latest.at)), reading.is_showtime()),
        (Err(error), Some((at, reading))) => (reading, format!("⚠️ The modem does not answer ({error}); last reading {}", relative_time(*at)), false),
        (Err(error), None) => return embed(&title, format!("⚠️ The modem does not answer: {error}{}", alert_lines(&alerts)), RED, Vec::new()),
    };
    description.push_str(&alert_lines(&alerts));
    let state = match &reading.state_text {
        Some(text) if !text.eq_ignore_ascii_case(reading.state.as_str()) => format!("{} ({text})", reading.state.as_str()),
        _ => reading.state.as_str().to_string(),
    };
    let mode: Vec<String> =
        [reading.mode.map(|m| m.as_str().to_string()), reading.profile.as_ref().map(|p| format!("profile {p}"))].into_iter().flatten().collect();
    let state = if mode.is_empty() { state } else { format!("{state} · {}", mode.join(" ")) };
    let d = |dir: Direction| reading.direction(dir);
    let mut fields = vec![
        ("State".to_string(), state, false),
        ("Sync ↓/↑".to_string(), rates(reading, |d| d.rate_bps), true),
        ("Attainable ↓/↑".to_string(), rates(reading, |d| d.attainable_bps), true),
        ("SNR margin ↓/↑".to_string(), pair(|x| d(x).snr_margin_db.map(|v| format!("{v:.1}")), " dB"), true),
        ("Attenuation ↓/↑".to_string(), pair(|x| d(x).attenuation_db.map(|v| format!("{v:.1}")), " dB"), true),
        ("Power ↓/↑".to_string(), pair(|x| d(x).power_dbm.map(|v| format!("{v:.1}")), " dBm"), true),
    ];
    if let Some((window, counters)) = [Window::SinceLink, Window::Total].into_iter().find_map(|w| reading.counters.get(w).map(|c| (w, c))) {
        let name = if window == Window::SinceLink { "since link" } else { "total" };
        for counter in [Counter::Crc, Counter::Fec] {
            let value = pair(|x| counters.direction(x).get(counter).map(|n| n.to_string()), "");
            fields.push((format!("{} ↓/↑ ({name})", counter.as_str().to_uppercase()), value, true));
        }
    }
    if let Some(uptime) = reading.uptime_s {
        fields.push(("Uptime".to_string(), render::duration(uptime), true));
    }
    if let Some(wan) = wan {
        if let Some(interface) = wan.wan_interfaces().next() {
            let address = interface.address.map(|a| a.to_string()).unwrap_or_else(|| "none".into());
            fields.push((format!("WAN IP ({})", interface.name), address, true));
        }
        if let Some(gateway) = wan.gateways.first() {
            fields.push((format!("Gateway {}", gateway.name), gateway_text(gateway), true));
        }
    }
    embed(&title, description, health(ok, severity), fields)
}

fn gateway_text(g: &crate::wan::Gateway) -> String {
    let status = match g.status {
        GatewayStatus::Online => "online",
        GatewayStatus::Down => "down",
        GatewayStatus::Unknown => "unknown",
    };
    let mut text = status.to_string();
    if let Some(substatus) = g.substatus {
        text.push_str(&format!(" ({})", substatus.as_str()));
    }
    if let Some(rtt) = g.rtt_ms {
        text.push_str(&format!(", {rtt:.1} ms"));
        if let Some(sd) = g.rtt_stddev_ms {
            text.push_str(&format!(" ± {sd:.1}"));
        }
    }
    if let Some(loss) = g.loss_pct {
        text.push_str(&format!(", {loss:.0} % loss"));
    }
    text
}

/// `/wan` of one firewall.
pub fn wan_status(target: &str, latest: &Latest<WanReading>, firing: &[FiringAlert]) -> Value {
    let (severity, alerts) = worst(target, firing);
    let title = format!("🌐 {target}");
    let (reading, mut description, mut ok) = match (&latest.result, &latest.last_good) {
        (Ok(reading), _) => (reading, format!("Read {}", relative_time(latest.at)), true),
        (Err(error), Some((at, reading))) => (reading, format!("⚠️ The firewall does not answer ({error}); last reading {}", relative_time(*at)), false),
        (Err(error), None) => return embed(&title, format!("⚠️ The firewall does not answer: {error}"), RED, Vec::new()),
    };
    description.push_str(&alert_lines(&alerts));
    let mut fields = Vec::new();
    for interface in reading.wan_interfaces() {
        let up = interface.ppp_status.unwrap_or(interface.status);
        ok &= up != LinkStatus::Down;
        let mut state = match up {
            LinkStatus::Up => "up".to_string(),
            LinkStatus::Down => "down".to_string(),
            LinkStatus::Unknown => interface.status_text.clone().unwrap_or_else(|| "unknown".into()),
        };
        if let Some(uptime) = interface.ppp_uptime_s {
            state.push_str(&format!(" for {}", render::duration(uptime)));
        }
        let what = if interface.ppp_status.is_some() { "PPP" } else { "Link" };
        fields.push((format!("{what} ({})", interface.name), state, true));
        fields.push((format!("WAN IP ({})", interface.name), interface.address.map(|a| a.to_string()).unwrap_or_else(|| "none".into()), true));
    }
    let public = match &reading.public_ip {
        Some(p) => p.address.map(|a| a.to_string()).unwrap_or_else(|| "no agreement among the methods".into()),
        None => "not checked (no [wan] methods)".into(),
    };
    fields.push(("Public IP".into(), public, true));
    let nat: Vec<String> = reading
        .verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Cgnat { address, .. } => Some(format!("CGNAT ({address} is in 100.64.0.0/10)")),
            Verdict::PrivateWan { address, .. } => Some(format!("double NAT ({address} is private)")),
            Verdict::NatUpstream { public_address, .. } => Some(format!("NAT upstream (the outside sees {public_address})")),
            _ => None,
        })
        .collect();
    fields.push(("CGNAT".into(), if nat.is_empty() { "no".into() } else { nat.join("; ") }, true));
    for gateway in &reading.gateways {
        ok &= gateway.status != GatewayStatus::Down;
        fields.push((format!("Gateway {}", gateway.name), gateway_text(gateway), false));
    }
    embed(&title, description, health(ok, severity), fields)
}

/// The errors of one window per direction: CRC, FEC, ES, SES.
pub struct ErrorWindow {
    pub label: String,
    /// `[down, up]`, each `[crc, fec, es, ses]`; None where the store has nothing.
    pub counts: [[Option<f64>; 4]; 2],
}

/// `/errors`: one field per window, a small table in each.
pub fn errors(target: &str, windows: &[ErrorWindow]) -> Value {
    let cell = |v: Option<f64>| v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into());
    let fields = windows
        .iter()
        .map(|w| {
            let mut table = format!("```\n{:<4}{:>10}{:>10}\n", "", "down", "up");
            for (i, name) in ["CRC", "FEC", "ES", "SES"].iter().enumerate() {
                table.push_str(&format!("{name:<4}{:>10}{:>10}\n", cell(w.counts[0][i]), cell(w.counts[1][i])));
            }
            table.push_str("```");
            (w.label.clone(), table, true)
        })
        .collect();
    embed(&format!("🧮 Errors on {target}"), "From linewatch's own counts, per poll interval.".into(), BLUE, fields)
}

/// When the line last trained, from a reading at `at` with the modem's line uptime (None for
/// an uptime no clock can hold: modem output is not to be trusted).
pub fn trained_at(at: SystemTime, uptime_s: u64) -> Option<SystemTime> {
    at.checked_sub(Duration::from_secs(uptime_s))
}

/// `/uptime`: per modem, how long the line has been up.
pub fn uptime(lines: &[(String, Option<&Latest<LineReading>>)], now: SystemTime) -> Value {
    let fields = lines
        .iter()
        .map(|(target, latest)| {
            let value = match latest.and_then(|l| l.last_good.as_ref()) {
                Some((at, r)) if r.is_showtime() => match r.uptime_s {
                    Some(up) => {
                        let read_ago = now.duration_since(*at).unwrap_or_default().as_secs();
                        let since = trained_at(*at, up).map(|t| format!(" (retrained {})", relative_time(t))).unwrap_or_default();
                        format!("in showtime for {}{since}", render::duration(up.saturating_add(read_ago)))
                    }
                    None => "in showtime (the modem does not say since when)".into(),
                },
                Some((at, r)) => format!("{} since at least {}", r.state.as_str(), relative_time(*at)),
                None => "no reading yet".into(),
            };
            (target.clone(), value, false)
        })
        .collect();
    embed("⏱️ Uptime", String::new(), BLUE, fields)
}

/// `/events`: the recent events, newest first, with their durations, and what fires now.
pub fn events(events: &[Event], firing: &[FiringAlert], silences: &[Silence]) -> Value {
    let mut lines: Vec<String> = Vec::new();
    for (i, event) in events.iter().enumerate().rev() {
        let text = match event.kind {
            EventKind::Retrain => {
                let training = event.detail["training_s"].as_u64().map(|s| format!(" after {} down", render::duration(s))).unwrap_or_default();
                let rate = |d: &str| event.detail["after"][d]["rate_bps"].as_u64().map(mbps).unwrap_or_else(|| "?".into());
                format!("🔁 **{}** retrained{training}: {} / {} Mb/s", event.target, rate("down"), rate("up"))
            }
            EventKind::StateChange => {
                let word = |k: &str| event.detail[k].as_str().unwrap_or("?").to_string();
                format!("🔸 **{}** {} → {}", event.target, word("from"), word("to"))
            }
            EventKind::Unreachable => {
                let back = events[i + 1..].iter().find(|e| e.target == event.target && e.kind == EventKind::Reachable);
                let lasted = back.and_then(|b| b.at.duration_since(event.at).ok()).map(|d| format!(" for {}", render::duration(d.as_secs())));
                format!("📵 **{}** unreachable{}", event.target, lasted.unwrap_or_else(|| " (still)".into()))
            }
            EventKind::Reachable => format!("📶 **{}** reachable again", event.target),
        };
        lines.push(format!("{} {text}", relative_time(event.at)));
    }
    if lines.is_empty() {
        lines.push("No events recorded yet.".into());
    }
    let firing_text = if firing.is_empty() { "none".to_string() } else { firing.iter().map(|a| format!("🔴 {}", a.title)).collect::<Vec<_>>().join("\n") };
    let colour = if firing.is_empty() { GREEN } else { ORANGE };
    let mut fields = vec![("Firing now".into(), firing_text, false)];
    if !silences.is_empty() {
        let silenced = silences.iter().map(|s| {
            let rule = s.rule.as_deref().map_or("every rule".to_string(), |r| format!("`{r}`"));
            let target = s.target.as_deref().map(|t| format!(" on {t}")).unwrap_or_default();
            format!("🔕 {rule}{target} until {} (by {})", relative_time(s.until), s.by)
        });
        fields.push(("Silenced".into(), silenced.collect::<Vec<_>>().join("\n"), false));
    }
    embed("📜 Recent events", lines.join("\n"), colour, fields)
}

/// `/audit`: the latest resync/reboot requests and silences.
pub fn audit(entries: &[AuditEntry]) -> Value {
    let lines: Vec<String> = entries
        .iter()
        .map(|e| {
            let mark = if e.allowed { "✅" } else { "⛔" };
            format!("{mark} {} <@{}> {} **{}**: {}", relative_time(e.at), e.user_id, e.action, e.target, e.detail)
        })
        .collect();
    let description = if lines.is_empty() { "Nobody asked for a resync or a reboot yet.".to_string() } else { lines.join("\n") };
    embed("🗒️ Audit log", description, BLUE, Vec::new())
}

/// `/help`.
pub fn help() -> Value {
    let lines = [
        ("/status [target]", "The line now (state, rates, SNR, attenuation, power, CRC/FEC, uptime, WAN); Refresh reads the modem again"),
        ("/errors [target] [window]", "CRC, FEC, ES and SES per direction: last 15 min, day, 7 days, since the last retrain"),
        ("/graph <metric> [range] [target]", "A chart of a metric (its /metrics name, e.g. dsl_signal_to_noise_margin_db)"),
        ("/wan [target]", "WAN IP, public IP, CGNAT, PPP state, gateway RTT, deviation and loss"),
        ("/uptime [target]", "How long each line has been in showtime"),
        ("/events [n]", "Recent retrains, state changes and outages with their durations, and what fires now"),
        ("/silence <rule|all> <duration>", "Hold back a rule's announcements (e.g. /silence crc_burst 2h)"),
        ("/unsilence [rule]", "Lift silences"),
        ("/resync [target]", "Retrain the line: admins only, asks for confirmation"),
        ("/reboot [target]", "Reboot the modem: admins only, asks for confirmation"),
        ("/audit [n]", "Who asked for resyncs, reboots and silences: admins only"),
    ];
    let description = lines.iter().map(|(c, what)| format!("`{c}` {what}")).collect::<Vec<_>>().join("\n");
    embed("linewatch", description, BLUE, Vec::new())
}

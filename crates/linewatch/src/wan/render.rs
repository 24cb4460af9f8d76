//! A WAN reading as a table, for `linewatch poll <firewall>`.

use std::fmt::Write;

use super::{LinkStatus, Verdict, WanReading};
use crate::render::duration;

pub fn table(r: &WanReading) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<16}{}", "source", r.source);
    for i in &r.interfaces {
        let mut line = format!("{:<6}{}", status(i.status), i.address.map(|a| a.to_string()).unwrap_or_else(|| "—".into()));
        if let Some(text) = &i.status_text {
            line.push_str(&format!(" ({text})"));
        }
        if let Some(gateway) = i.gateway {
            line.push_str(&format!(" via {gateway}"));
        }
        if let Some(ppp) = i.ppp_status {
            line.push_str(&format!(", PPP {}", status(ppp)));
        }
        if let Some(uptime) = i.ppp_uptime_s {
            line.push_str(&format!(" for {}", duration(uptime)));
        }
        let _ = writeln!(out, "{:<16}{line}", format!("if {}", i.name));
    }
    for g in &r.gateways {
        let figure = |v: Option<f64>, unit: &str| v.map_or("—".to_string(), |v| format!("{v:.1}{unit}"));
        let marked = g.substatus.map(|s| format!(" ({})", s.as_str())).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<16}{:<8}rtt {} ± {}  loss {}{marked}",
            format!("gw {}", g.name),
            format!("{:?}", g.status).to_lowercase(),
            figure(g.rtt_ms, " ms"),
            figure(g.rtt_stddev_ms, " ms"),
            figure(g.loss_pct, " %"),
        );
    }
    if let Some(p) = &r.public_ip {
        let agreed = p.address.map_or("no quorum".to_string(), |a| a.to_string());
        let _ = writeln!(out, "{:<16}{agreed}", "public IP");
        for o in &p.observations {
            let said = match (&o.address, &o.error) {
                (Some(a), _) if o.dissents => format!("{a}  (disagrees: not believed)"),
                (Some(a), _) => a.to_string(),
                (None, Some(e)) => format!("error: {e}"),
                (None, None) => "—".to_string(),
            };
            let _ = writeln!(out, "{:<16}  {}: {said}", "", o.method);
        }
    }
    if let Some(d) = &r.ddns {
        let answer = match &d.error {
            Some(e) => format!("error: {e}"),
            None if d.addresses.is_empty() => "no address".to_string(),
            None => d.addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "),
        };
        let _ = writeln!(out, "{:<16}{} → {answer}", "DDNS", d.host);
    }
    for v in &r.verdicts {
        let _ = writeln!(out, "{:<16}{}", "!", describe(v));
    }
    out
}

fn status(s: LinkStatus) -> &'static str {
    match s {
        LinkStatus::Up => "up",
        LinkStatus::Down => "down",
        LinkStatus::Unknown => "?",
    }
}

/// One line a person reads.
pub fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Cgnat { interface, address } => format!("CGNAT: {interface} has {address} (100.64.0.0/10); no inbound connections"),
        Verdict::PrivateWan { interface, address } => format!("double NAT: {interface} has the private address {address}"),
        Verdict::NatUpstream { interface, wan_address, public_address } => {
            format!("NAT upstream: {interface} has {wan_address} but the outside sees {public_address}")
        }
        Verdict::GatewayDown { gateway, substatus, .. } => {
            format!("gateway {gateway} down{}", substatus.map(|s| format!(" ({})", s.as_str())).unwrap_or_default())
        }
        Verdict::GatewayDegraded { gateway, substatus, .. } => format!("gateway {gateway} degraded ({})", substatus.as_str()),
        Verdict::DdnsStale { host, expected, .. } => format!("DDNS {host} does not point at {expected}"),
    }
}

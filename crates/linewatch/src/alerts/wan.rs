//! The rules for the WAN behind the line: link (PPP/interface) down and back, WAN IP changes,
//! CGNAT / double NAT / NAT upstream, gateway down or degraded (from the firewall's own dpinger
//! states), DDNS stale, firewall unreachable. Each verdict is debounced by the engine and
//! announced once per change, with a resolve when it ends.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{AlertId, Finding, Layer, Message, Severity, Timing};
use crate::config::AlertsConfig;
use crate::config::alerts::Debounce;
use crate::derive::unix_seconds;
use crate::render;
use crate::wan::{GatewayStatus, LinkStatus, Verdict, WanReading};

/// What the WAN rules remember between checks of one firewall.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WanMemory {
    /// The last address seen per WAN interface.
    addresses: BTreeMap<String, Ipv4Addr>,
    /// Since when an interface is down.
    #[serde(default)]
    down_since: BTreeMap<String, Stamp>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Stamp(#[serde(with = "unix_seconds")] SystemTime);

fn timing(d: &Debounce) -> Timing {
    Timing { r#for: d.r#for, checks: d.checks, resolve_checks: d.resolve_checks, keep_firing_for: Duration::ZERO }
}

fn active(config: &Debounce, id: AlertId, layer: Layer, severity: Severity, message: Message) -> Option<Finding> {
    config.enabled.then(|| Finding::Active { id, layer, severity, timing: timing(config), message })
}

fn clear(config: &Debounce, id: AlertId, message: Option<Message>) -> Option<Finding> {
    config.enabled.then_some(Finding::Clear { id, message })
}

fn message(title: String, text: String) -> Message {
    Message { title, text, fields: Vec::new() }
}

/// The findings of one successful reading of firewall `target`.
pub fn findings(config: &AlertsConfig, target: &str, at: SystemTime, reading: &WanReading, memory: &mut WanMemory) -> Vec<Finding> {
    let mut out: Vec<Option<Finding>> = vec![clear(&config.firewall_unreachable, AlertId::new("firewall_unreachable", target, ""), None)];
    let verdicts = &reading.verdicts;

    for interface in reading.wan_interfaces() {
        let name = interface.name.as_str();
        let id = || AlertId::new("wan_down", target, name);
        let down = interface.status == LinkStatus::Down || interface.ppp_status == Some(LinkStatus::Down);
        let up = interface.status == LinkStatus::Up && interface.ppp_status != Some(LinkStatus::Down);
        if down {
            memory.down_since.entry(name.to_string()).or_insert(Stamp(at));
            let what = if interface.ppp_status == Some(LinkStatus::Down) { "PPP session" } else { "interface" };
            out.push(active(
                &config.wan_down,
                id(),
                Layer::Link,
                Severity::Critical,
                message(format!("WAN {name} down on {target}"), format!("The WAN {what} {name} of {target} is down.")),
            ));
        } else if up {
            let since = memory.down_since.remove(name).map(|s| s.0);
            let downtime = since.and_then(|s| at.duration_since(s).ok()).map(|d| format!(" after {}", render::duration(d.as_secs())));
            let address = interface.address.map(|a| format!("; address {a}")).unwrap_or_default();
            out.push(clear(
                &config.wan_down,
                id(),
                Some(message(format!("WAN {name} back on {target}"), format!("The WAN {name} of {target} is up again{}{address}.", downtime.unwrap_or_default()))),
            ));
        }
        if let Some(address) = interface.address
            && let Some(old) = memory.addresses.insert(name.to_string(), address)
                && old != address
                && config.wan_ip_changed.enabled
            {
                out.push(Some(Finding::Event {
                    id: AlertId::new("wan_ip_changed", target, name),
                    layer: Layer::Address,
                    severity: Severity::Info,
                    message: Message {
                        title: format!("WAN IP of {target} changed"),
                        text: format!("The WAN address of {name} changed from {old} to {address}. If you use DDNS, it should follow."),
                        fields: vec![("Old".into(), old.to_string()), ("New".into(), address.to_string())],
                    },
                }));
            }
        // Address verdicts of this interface: present → active, absent → a good check.
        let cgnat = verdicts.iter().find_map(|v| match v {
            Verdict::Cgnat { interface: i, address } if i == name => Some(*address),
            _ => None,
        });
        out.push(match cgnat {
            Some(address) => active(
                &config.cgnat,
                AlertId::new("cgnat", target, name),
                Layer::Address,
                Severity::Warning,
                message(
                    format!("CGNAT on {target}"),
                    format!("The WAN address {address} of {name} is in 100.64.0.0/10: the provider shares one public address among customers, so nothing reaches you from outside."),
                ),
            ),
            None => clear(&config.cgnat, AlertId::new("cgnat", target, name), Some(message(format!("No more CGNAT on {target}"), format!("{name} has a public address again.")))),
        });
        let private = verdicts.iter().find_map(|v| match v {
            Verdict::PrivateWan { interface: i, address } if i == name => Some(*address),
            _ => None,
        });
        out.push(match private {
            Some(address) => active(
                &config.private_wan,
                AlertId::new("private_wan", target, name),
                Layer::Address,
                Severity::Warning,
                message(format!("Double NAT on {target}"), format!("The WAN address {address} of {name} is private: a router in front does NAT too.")),
            ),
            None => clear(&config.private_wan, AlertId::new("private_wan", target, name), None),
        });
        let upstream = verdicts.iter().find_map(|v| match v {
            Verdict::NatUpstream { interface: i, wan_address, public_address } if i == name => Some((*wan_address, *public_address)),
            _ => None,
        });
        out.push(match upstream {
            Some((wan, public)) => active(
                &config.nat_upstream,
                AlertId::new("nat_upstream", target, name),
                Layer::Address,
                Severity::Warning,
                message(format!("NAT upstream of {target}"), format!("The WAN address of {name} is {wan}, but the outside sees {public}: there is NAT upstream.")),
            ),
            None => clear(&config.nat_upstream, AlertId::new("nat_upstream", target, name), None),
        });
    }

    for gateway in &reading.gateways {
        let name = gateway.name.as_str();
        if gateway.status == GatewayStatus::Unknown {
            continue;
        }
        let figures = gateway_figures(gateway.rtt_ms, gateway.rtt_stddev_ms, gateway.loss_pct);
        let down = verdicts.iter().any(|v| matches!(v, Verdict::GatewayDown { gateway: g, .. } if g == name));
        out.push(if down {
            active(
                &config.gateway_down,
                AlertId::new("gateway_down", target, name),
                Layer::Gateway,
                Severity::Critical,
                message(format!("Gateway {name} down on {target}"), format!("{target} marks its gateway {name} down{figures}.")),
            )
        } else {
            clear(&config.gateway_down, AlertId::new("gateway_down", target, name), Some(message(format!("Gateway {name} up on {target}"), format!("The gateway {name} answers again{figures}."))))
        });
        // A gateway down says nothing about loss or latency: a degradation stays as it was
        // (not "back to normal" at 100 % loss) until the gateway answers again.
        if down {
            continue;
        }
        let degraded = verdicts.iter().find_map(|v| match v {
            Verdict::GatewayDegraded { gateway: g, substatus, .. } if g == name => Some(*substatus),
            _ => None,
        });
        out.push(match degraded {
            Some(substatus) => active(
                &config.gateway_degraded,
                AlertId::new("gateway_degraded", target, name),
                Layer::Gateway,
                Severity::Warning,
                message(format!("Gateway {name} {} on {target}", substatus.as_str()), format!("{target} reports {} on its gateway {name}{figures}.", substatus.as_str())),
            ),
            None => clear(
                &config.gateway_degraded,
                AlertId::new("gateway_degraded", target, name),
                Some(message(format!("Gateway {name} back to normal on {target}"), format!("The gateway {name} answers well again{figures}."))),
            ),
        });
    }

    if let Some(ddns) = &reading.ddns
        && config.ddns_stale.enabled
    {
        let id = AlertId::new("ddns_stale", target, &ddns.host);
        let stale = verdicts.iter().find_map(|v| match v {
            Verdict::DdnsStale { host, resolved, expected } if *host == ddns.host => Some((resolved, expected)),
            _ => None,
        });
        match stale {
            Some((resolved, expected)) => {
                let resolved: Vec<String> = resolved.iter().map(ToString::to_string).collect();
                out.push(Some(Finding::Active {
                    id,
                    layer: Layer::Address,
                    severity: Severity::Warning,
                    timing: Timing { r#for: config.ddns_stale.r#for, checks: 1, resolve_checks: 1, keep_firing_for: Duration::ZERO },
                    message: Message {
                        title: format!("DDNS of {target} is stale: {} should be {expected}", ddns.host),
                        text: format!(
                            "{} still resolves to {} through a public resolver, but the WAN address is {expected}: the DDNS update failed or is late. Your address is {expected}.",
                            ddns.host,
                            if resolved.is_empty() { "nothing".to_string() } else { resolved.join(", ") }
                        ),
                        fields: vec![("Address now".into(), expected.to_string())],
                    },
                }));
            }
            None if ddns.error.is_none() => out.push(Some(Finding::Clear { id, message: Some(message(format!("DDNS of {target} updated"), format!("{} resolves to the WAN address again.", ddns.host))),
            })),
            None => {}
        }
    }
    out.into_iter().flatten().collect()
}

/// The firewall's API did not answer (or answered nonsense).
pub fn failed(config: &AlertsConfig, target: &str, error: &str) -> Vec<Finding> {
    active(
        &config.firewall_unreachable,
        AlertId::new("firewall_unreachable", target, ""),
        Layer::Link,
        Severity::Warning,
        message(format!("Firewall {target} unreachable"), format!("linewatch cannot read {target}: {error}")),
    )
    .into_iter()
    .collect()
}

fn gateway_figures(rtt: Option<f64>, stddev: Option<f64>, loss: Option<f64>) -> String {
    let mut parts = Vec::new();
    if let Some(rtt) = rtt {
        parts.push(match stddev {
            Some(sd) => format!("RTT {rtt:.1} ms ± {sd:.1}"),
            None => format!("RTT {rtt:.1} ms"),
        });
    }
    if let Some(loss) = loss {
        parts.push(format!("loss {loss:.0}%"));
    }
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::alerts::{Engine, EngineConfig, EngineState, NotificationKind};
    use crate::wan::{Gateway, Interface, Substatus};

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn reading(status: LinkStatus, address: &str, gateway: GatewayStatus, substatus: Option<Substatus>) -> WanReading {
        let mut r = WanReading {
            source: "pfsense-v2".into(),
            interfaces: vec![Interface {
                name: "wan".into(),
                description: None,
                device: Some("pppoe0".into()),
                status,
                status_text: None,
                address: address.parse().ok(),
                address_v6: None,
                gateway: Some("198.51.100.1".parse().unwrap()),
                ppp_status: None,
                ppp_uptime_s: None,
            }],
            gateways: vec![Gateway::dpinger("WAN_PPPOE", gateway, substatus, None, [Some(12.0), Some(1.5), Some(0.0)])],
            ..Default::default()
        };
        r.settle();
        r
    }

    /// Runs readings 10 s apart through the rules and the engine; returns what was told.
    fn run(readings: &[WanReading]) -> Vec<(NotificationKind, String)> {
        let config = AlertsConfig::default();
        let mut engine = Engine::new(EngineConfig { reminder: Duration::ZERO, incident_grace: Duration::from_secs(900) }, EngineState::default());
        let mut memory = WanMemory::default();
        let mut told = Vec::new();
        for (i, r) in readings.iter().enumerate() {
            let now = at(i as u64 * 10);
            let f = findings(&config, "fw", now, r, &mut memory);
            told.extend(engine.apply("home", f, now).into_iter().map(|n| (n.kind, n.message.title)));
        }
        told
    }

    #[test]
    fn ppp_drop_and_back_with_a_new_ip_is_told_once_each() {
        let up = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Online, None);
        let down = reading(LinkStatus::Down, "", GatewayStatus::Online, None);
        let back = reading(LinkStatus::Up, "203.0.113.77", GatewayStatus::Online, None);
        let told = run(&[up.clone(), down.clone(), down.clone(), down, back.clone(), back.clone(), back]);
        assert_eq!(
            told,
            [
                (NotificationKind::Firing, "WAN wan down on fw".to_string()),
                (NotificationKind::Resolved, "WAN wan back on fw".to_string()),
                // Held back while the link was down, told once it is back.
                (NotificationKind::Event, "WAN IP of fw changed".to_string()),
            ]
        );
    }

    #[test]
    fn one_bad_check_is_not_an_incident() {
        let up = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Online, None);
        let blip = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Down, None);
        assert!(run(&[up.clone(), blip, up]).is_empty());
    }

    #[test]
    fn cgnat_is_announced_once_and_resolved() {
        let cgnat = reading(LinkStatus::Up, "100.64.12.34", GatewayStatus::Online, None);
        let public = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Online, None);
        let told = run(&[cgnat.clone(), cgnat.clone(), cgnat.clone(), cgnat, public.clone(), public]);
        let kinds: Vec<NotificationKind> = told.iter().filter(|(_, t)| t.contains("CGNAT")).map(|(k, _)| *k).collect();
        assert_eq!(kinds, [NotificationKind::Firing, NotificationKind::Resolved]);
    }

    #[test]
    fn gateway_loss_from_the_firewalls_own_states() {
        let ok = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Online, None);
        let lossy = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Online, Some(Substatus::Loss));
        let told = run(&[ok.clone(), lossy.clone(), lossy, ok.clone(), ok]);
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(told[0].1.contains("loss") && told[1].0 == NotificationKind::Resolved);
    }

    #[test]
    fn a_lossy_gateway_that_goes_down_is_not_back_to_normal() {
        let ok = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Online, None);
        let lossy = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Online, Some(Substatus::Loss));
        let down = reading(LinkStatus::Up, "203.0.113.5", GatewayStatus::Down, None);
        let told = run(&[ok.clone(), lossy.clone(), lossy, down.clone(), down.clone(), down, ok.clone(), ok.clone(), ok]);
        let titles: Vec<String> = told.iter().map(|(kind, title)| format!("{kind:?} {title}")).collect();
        assert_eq!(
            titles,
            [
                "Firing Gateway WAN_PPPOE loss on fw",
                "Firing Gateway WAN_PPPOE down on fw",
                "Resolved Gateway WAN_PPPOE up on fw",
                // Only once it answers (well) again.
                "Resolved Gateway WAN_PPPOE back to normal on fw",
            ],
            "{told:?}"
        );
    }
}

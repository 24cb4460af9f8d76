//! What one WAN reading means, as pure functions: CGNAT, double NAT, NAT upstream, gateway
//! states (from the firewall's own dpinger states, not from pings of ours), stale DDNS.
//!
//! These are states, not alerts: debouncing, announcing once per change, resolving and the
//! DDNS grace period belong to the alert engine, which compares readings over time.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use super::{GatewayStatus, LinkStatus, Substatus, WanReading};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// The WAN address is in 100.64.0.0/10 (RFC 6598): the provider shares one public address
    /// among many customers; nothing reaches us from outside.
    Cgnat { interface: String, address: Ipv4Addr },
    /// The WAN address is private (RFC 1918): a router in front of the firewall does NAT too
    /// (double NAT).
    PrivateWan { interface: String, address: Ipv4Addr },
    /// The WAN address is public, but the outside sees another one: NAT somewhere upstream.
    NatUpstream { interface: String, wan_address: Ipv4Addr, public_address: IpAddr },
    /// The firewall marks the gateway down (or it was forced down).
    GatewayDown {
        gateway: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        substatus: Option<Substatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loss_pct: Option<f64>,
    },
    /// The gateway forwards, but the firewall marks its latency or loss.
    GatewayDegraded {
        gateway: String,
        substatus: Substatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rtt_ms: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loss_pct: Option<f64>,
    },
    /// The DDNS name does not resolve to our address (`expected`), seen through a public
    /// resolver: the update failed or is late. `expected` is what the user needs.
    DdnsStale { host: String, resolved: Vec<IpAddr>, expected: IpAddr },
}

/// What kind of address a WAN holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    /// RFC 6598 shared address space, 100.64.0.0/10.
    Cgnat,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    Private,
    /// Loopback, link-local, unspecified, multicast, broadcast: not a WAN address at all.
    Other,
}

pub fn classify(address: Ipv4Addr) -> AddressClass {
    let [a, b, ..] = address.octets();
    if a == 100 && (64..128).contains(&b) {
        AddressClass::Cgnat
    } else if address.is_private() {
        AddressClass::Private
    } else if address.is_loopback()
        || address.is_link_local()
        || address.is_unspecified()
        || address.is_multicast()
        || address.is_broadcast()
    {
        AddressClass::Other
    } else {
        AddressClass::Public
    }
}

/// All verdicts of a reading, in a stable order: addresses, gateways, DDNS.
pub fn evaluate(reading: &WanReading) -> Vec<Verdict> {
    let mut verdicts = address_verdicts(reading);
    verdicts.extend(reading.gateways.iter().filter_map(gateway_verdict));
    verdicts.extend(ddns_verdict(reading));
    verdicts
}

/// The WAN interfaces that are not down and hold an IPv4 address.
fn wan_addresses(reading: &WanReading) -> impl Iterator<Item = (&str, Ipv4Addr)> {
    reading
        .wan_interfaces()
        .filter(|i| i.status != LinkStatus::Down)
        .filter_map(|i| Some((i.name.as_str(), i.address?)))
}

fn address_verdicts(reading: &WanReading) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let mut public = Vec::new();
    for (interface, address) in wan_addresses(reading) {
        let interface = interface.to_string();
        match classify(address) {
            AddressClass::Cgnat => verdicts.push(Verdict::Cgnat { interface, address }),
            AddressClass::Private => verdicts.push(Verdict::PrivateWan { interface, address }),
            AddressClass::Public => public.push((interface, address)),
            AddressClass::Other => {}
        }
    }
    // A public address seen from outside that none of our public WAN addresses holds. (Behind
    // CGNAT or double NAT the difference is expected and already said.)
    let seen = reading.public_ip.as_ref().and_then(|p| p.address);
    if let Some(public_address) = seen
        && !public.iter().any(|(_, a)| IpAddr::V4(*a) == public_address)
        && let Some((interface, wan_address)) = public.into_iter().next()
    {
        verdicts.push(Verdict::NatUpstream { interface, wan_address, public_address });
    }
    verdicts
}

/// The firewall's own judgement: its status and substatus come from dpinger with the user's
/// thresholds, which we do not second-guess with our own.
pub fn gateway_verdict(gateway: &super::Gateway) -> Option<Verdict> {
    let name = gateway.name.clone();
    match (gateway.status, gateway.substatus) {
        (GatewayStatus::Down, substatus) => Some(Verdict::GatewayDown { gateway: name, substatus, loss_pct: gateway.loss_pct }),
        (GatewayStatus::Online, Some(substatus)) => Some(Verdict::GatewayDegraded {
            gateway: name,
            substatus,
            rtt_ms: gateway.rtt_ms,
            loss_pct: gateway.loss_pct,
        }),
        _ => None,
    }
}

/// Our address: what the outside sees when the quorum agreed, else the WAN's public address.
pub fn our_public_address(reading: &WanReading) -> Option<IpAddr> {
    reading.public_ip.as_ref().and_then(|p| p.address).or_else(|| {
        wan_addresses(reading).find(|(_, a)| classify(*a) == AddressClass::Public).map(|(_, a)| IpAddr::V4(a))
    })
}

fn ddns_verdict(reading: &WanReading) -> Option<Verdict> {
    let answer = reading.ddns.as_ref()?;
    // No answer at all says nothing about the record.
    if answer.error.is_some() {
        return None;
    }
    let expected = our_public_address(reading)?;
    (!answer.addresses.contains(&expected)).then(|| Verdict::DdnsStale {
        host: answer.host.clone(),
        resolved: answer.addresses.clone(),
        expected,
    })
}

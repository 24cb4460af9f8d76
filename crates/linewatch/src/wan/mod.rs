//! The WAN behind the line: what the firewall says (pfSense, OPNsense), what the outside sees
//! (public IP by a quorum of methods, DDNS), our own pings when there is no firewall API, and
//! the verdicts drawn from all of it (CGNAT, double NAT, NAT upstream, gateway states, stale
//! DDNS).
//!
//! Sources only observe; the verdicts here are the state of one reading. Debouncing, "announce
//! once" and resolving belong to the alert engine.

pub mod dns;
pub mod firewall;
mod json;
pub mod local;
pub mod opnsense;
pub mod pfsense;
pub mod ping;
pub mod public_ip;
pub mod render;
pub mod stun;
pub mod tls;
pub mod verdicts;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

pub use verdicts::Verdict;

/// One reading of the WAN. Absent values are omitted from the JSON, never written as 0.
///
/// The JSON paths `interfaces[].name`, `.status`, `.address`, `gateways[].name`, `.status`,
/// `.rtt_ms`, `.rtt_stddev_ms`, `.loss_pct` and `verdicts` are a promise to scripts: keep them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WanReading {
    /// Where the reading comes from: `pfsense-v2`, `pfsense-v1`, `opnsense` or `probes`.
    pub source: String,
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    #[serde(default)]
    pub gateways: Vec<Gateway>,
    /// The public address as the outside sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<PublicIp>,
    /// What a public resolver answers for the DDNS host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ddns: Option<DdnsAnswer>,
    #[serde(default)]
    pub verdicts: Vec<Verdict>,
}

impl WanReading {
    /// The interfaces that lead out: those with a gateway, and the one named `wan` (pfSense's
    /// and OPNsense's name for the first WAN, which has no gateway while its PPP is down).
    pub fn wan_interfaces(&self) -> impl Iterator<Item = &Interface> {
        self.interfaces.iter().filter(|i| i.gateway.is_some() || i.name == "wan")
    }

    /// Adds what the outside sees, as `[wan]` says: the public address by quorum and the
    /// DDNS answer; then recomputes the verdicts.
    pub async fn observe_outside(&mut self, config: &crate::config::WanConfig) {
        let methods = config.http_echo.len() + config.stun_servers.len() + config.dns_resolvers.len();
        if methods > 0 {
            self.public_ip = Some(public_ip::observe(config).await);
        }
        if let Some(host) = &config.ddns_host {
            self.ddns = Some(dns::ddns(host, &config.ddns_resolvers, config.timeout).await);
        }
        self.settle();
    }

    /// Recomputes the verdicts from what the reading holds.
    pub fn settle(&mut self) {
        self.verdicts = verdicts::evaluate(self);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    /// The firewall's name for it (`wan`, `lan`, `opt1`), or the OS name for our own probes.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The device underneath (`pppoe0`, `igb0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    pub status: LinkStatus,
    /// The firewall's own words when they say more than up/down (`no carrier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Ipv4Addr>,
    /// A global IPv6 address, if the interface has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_v6: Option<Ipv6Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
    /// PPPoE: the state of the PPP session, where the firewall tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppp_status: Option<LinkStatus>,
    /// PPPoE: how long the session has been up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppp_uptime_s: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkStatus {
    Up,
    Down,
    /// A word we do not know: neither up nor down, so never taken for "down".
    Unknown,
}

impl LinkStatus {
    /// From the firewall's text (`up`, `down`, `no carrier`, `associated`...).
    pub fn from_text(text: &str) -> LinkStatus {
        match text.trim().to_ascii_lowercase().as_str() {
            "up" | "associated" | "active" => LinkStatus::Up,
            "down" | "no carrier" | "no-carrier" | "disabled" => LinkStatus::Down,
            _ => LinkStatus::Unknown,
        }
    }
}

/// A gateway as the firewall's dpinger sees it (or our own pings, for `probes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gateway {
    pub name: String,
    pub status: GatewayStatus,
    /// Why a gateway is marked: latency or loss above the firewall's thresholds, or forced down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substatus: Option<Substatus>,
    /// The address being pinged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_stddev_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_pct: Option<f64>,
}

impl Gateway {
    /// A gateway from dpinger's figures `[rtt, stddev, loss]`. dpinger writes 0 for what it
    /// has not measured (no reply yet, or none at all at 100 % loss): an RTT of 0 is no RTT,
    /// and 0 loss beside it means no sample yet.
    pub fn dpinger(
        name: &str,
        status: GatewayStatus,
        substatus: Option<Substatus>,
        monitor: Option<IpAddr>,
        [rtt, stddev, loss]: [Option<f64>; 3],
    ) -> Gateway {
        let measured = rtt.is_some_and(|r| r > 0.0);
        Gateway {
            name: name.to_string(),
            status,
            substatus,
            monitor,
            rtt_ms: rtt.filter(|_| measured),
            rtt_stddev_ms: stddev.filter(|_| measured),
            loss_pct: loss.filter(|&l| measured || l > 0.0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayStatus {
    Online,
    Down,
    /// Not known yet (monitoring just started) or a state we do not know.
    Unknown,
}

/// The firewall's reason for marking a gateway, in pfSense's words (OPNsense uses the same
/// ones for its warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Substatus {
    /// Latency above the low threshold (pfSense `delay`, OPNsense `delay`).
    #[serde(rename = "delay")]
    Delay,
    /// Loss above the low threshold.
    #[serde(rename = "loss")]
    Loss,
    /// Both (OPNsense `delay+loss`).
    #[serde(rename = "delay+loss")]
    DelayLoss,
    /// Latency above the high threshold.
    #[serde(rename = "highdelay")]
    HighDelay,
    /// Loss above the high threshold.
    #[serde(rename = "highloss")]
    HighLoss,
    /// Marked down by the administrator.
    #[serde(rename = "force_down")]
    ForceDown,
}

impl Substatus {
    pub fn from_text(text: &str) -> Option<Substatus> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "delay" => Substatus::Delay,
            "loss" => Substatus::Loss,
            "delay+loss" => Substatus::DelayLoss,
            "highdelay" => Substatus::HighDelay,
            "highloss" => Substatus::HighLoss,
            "force_down" => Substatus::ForceDown,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Substatus::Delay => "delay",
            Substatus::Loss => "loss",
            Substatus::DelayLoss => "delay+loss",
            Substatus::HighDelay => "highdelay",
            Substatus::HighLoss => "highloss",
            Substatus::ForceDown => "force_down",
        }
    }
}

/// The public address by quorum, and what each method answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicIp {
    /// The address enough methods agree on; absent when they do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    pub observations: Vec<Observation>,
}

/// What one method answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// `http <url>`, `dns <name> @<resolvers>`, `stun <server>`.
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// It answered an address the quorum did not agree on: reported, not believed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dissents: bool,
}

/// The DDNS host name as a public resolver answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DdnsAnswer {
    pub host: String,
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

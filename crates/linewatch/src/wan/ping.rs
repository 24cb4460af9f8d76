//! Own probes, for when there is no firewall API: ICMP echo to the default gateway and chosen
//! targets, judged like dpinger does: RTT, its standard deviation and loss over a sliding
//! window, against dpinger's default thresholds.
//!
//! ICMP needs either an unprivileged ping socket (Linux allows it to the groups in
//! `net.ipv4.ping_group_range`) or a raw socket (root or CAP_NET_RAW); surge-ping tries the
//! first, then the second.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;

use surge_ping::{Client, Config, ICMP, PingIdentifier, PingSequence, SurgeError};

use super::{Gateway, GatewayStatus, Substatus, WanReading, local};
use crate::config::WanConfig;

/// RTT samples (`None` for a lost probe), the newest last, at most `capacity` of them.
#[derive(Debug, Clone)]
pub struct Window {
    samples: VecDeque<Option<f64>>,
    capacity: usize,
}

/// What a window says: absent figures were not measured (no sample, or no reply at all).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    pub rtt_ms: Option<f64>,
    pub rtt_stddev_ms: Option<f64>,
    pub loss_pct: Option<f64>,
}

impl Window {
    pub fn new(capacity: usize) -> Window {
        Window { samples: VecDeque::with_capacity(capacity.max(1)), capacity: capacity.max(1) }
    }

    pub fn push(&mut self, rtt_ms: Option<f64>) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(rtt_ms);
    }

    pub fn stats(&self) -> Stats {
        if self.samples.is_empty() {
            return Stats::default();
        }
        let replies: Vec<f64> = self.samples.iter().flatten().copied().collect();
        let loss_pct = 100.0 * (self.samples.len() - replies.len()) as f64 / self.samples.len() as f64;
        if replies.is_empty() {
            return Stats { loss_pct: Some(loss_pct), ..Stats::default() };
        }
        let n = replies.len() as f64;
        let mean = replies.iter().sum::<f64>() / n;
        let variance = replies.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
        Stats { rtt_ms: Some(mean), rtt_stddev_ms: Some(variance.sqrt()), loss_pct: Some(loss_pct) }
    }
}

/// dpinger's thresholds (pfSense and OPNsense defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub latency_low_ms: f64,
    pub latency_high_ms: f64,
    pub loss_low_pct: f64,
    pub loss_high_pct: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { latency_low_ms: 200.0, latency_high_ms: 500.0, loss_low_pct: 10.0, loss_high_pct: 20.0 }
    }
}

/// The state dpinger would give: down above the high thresholds, marked above the low ones.
pub fn judge(stats: &Stats, limits: &Thresholds) -> (GatewayStatus, Option<Substatus>) {
    let Some(loss) = stats.loss_pct else { return (GatewayStatus::Unknown, None) };
    let rtt = stats.rtt_ms.unwrap_or(0.0);
    if loss > limits.loss_high_pct {
        (GatewayStatus::Down, Some(Substatus::HighLoss))
    } else if rtt > limits.latency_high_ms {
        (GatewayStatus::Down, Some(Substatus::HighDelay))
    } else {
        let substatus = match (rtt > limits.latency_low_ms, loss > limits.loss_low_pct) {
            (true, true) => Some(Substatus::DelayLoss),
            (true, false) => Some(Substatus::Delay),
            (false, true) => Some(Substatus::Loss),
            (false, false) => None,
        };
        (GatewayStatus::Online, substatus)
    }
}

struct Target {
    name: String,
    pinger: surge_ping::Pinger,
    window: Window,
}

/// Pings a set of targets, one probe each per round.
pub struct Pinger {
    targets: Vec<Target>,
    sequence: u16,
    thresholds: Thresholds,
    // The clients own the sockets and the task reading replies; kept alive with the pingers.
    _clients: Vec<Client>,
}

impl Pinger {
    /// Opens the ICMP sockets. `targets` are (name, address); `window` is in probes; a probe
    /// unanswered after `timeout` is lost.
    pub async fn new(targets: &[(String, IpAddr)], window: usize, timeout: Duration) -> Result<Pinger, String> {
        let mut clients: Vec<(ICMP, Client)> = Vec::new();
        let mut pingers = Vec::new();
        for (name, address) in targets {
            let family = if address.is_ipv4() { ICMP::V4 } else { ICMP::V6 };
            let client = match clients.iter().find(|(f, _)| *f == family) {
                Some((_, client)) => client.clone(),
                None => {
                    let client = Client::new(&Config::builder().kind(family).build()).map_err(|e| {
                        format!(
                            "cannot open an ICMP socket ({e}). Allow unprivileged ping for this group \
                             (sysctl net.ipv4.ping_group_range), or run as root or with CAP_NET_RAW"
                        )
                    })?;
                    clients.push((family, client.clone()));
                    client
                }
            };
            let mut pinger = client.pinger(*address, PingIdentifier(rand::random())).await;
            pinger.timeout(timeout);
            pingers.push(Target { name: name.clone(), pinger, window: Window::new(window) });
        }
        Ok(Pinger {
            targets: pingers,
            sequence: 0,
            thresholds: Thresholds::default(),
            _clients: clients.into_iter().map(|(_, c)| c).collect(),
        })
    }

    /// One probe to every target, at once; waits for the replies or their timeout.
    pub async fn round(&mut self) {
        self.sequence = self.sequence.wrapping_add(1);
        let sequence = PingSequence(self.sequence);
        let payload = [0u8; 56];
        let probes = self.targets.iter_mut().map(|target| async move {
            let rtt = match target.pinger.ping(sequence, &payload).await {
                Ok((_, rtt)) => Some(rtt.as_secs_f64() * 1000.0),
                Err(SurgeError::Timeout { .. }) => None,
                Err(e) => {
                    tracing::debug!(target = %target.name, "ping failed: {e}");
                    None
                }
            };
            target.window.push(rtt);
        });
        futures_util::future::join_all(probes).await;
    }

    /// Each target as a gateway, judged on its window.
    pub fn gateways(&self) -> Vec<Gateway> {
        self.targets
            .iter()
            .map(|target| {
                let stats = target.window.stats();
                let (status, substatus) = judge(&stats, &self.thresholds);
                Gateway {
                    name: target.name.clone(),
                    status,
                    substatus,
                    monitor: Some(target.pinger.host),
                    rtt_ms: stats.rtt_ms,
                    rtt_stddev_ms: stats.rtt_stddev_ms,
                    loss_pct: stats.loss_pct,
                }
            })
            .collect()
    }
}

/// The own-probe source: the default route's interface and gateway from the OS, pings to the
/// gateway and `ping_targets`.
pub struct Probes {
    pinger: Pinger,
}

impl Probes {
    pub async fn from_config(config: &WanConfig) -> Result<Probes, String> {
        let mut targets = Vec::new();
        if let Some(gateway) = local::default_route()?.map(|(_, gateway)| gateway) {
            targets.push((format!("gateway {gateway}"), IpAddr::V4(gateway)));
        }
        targets.extend(config.ping_targets.iter().map(|t| (t.to_string(), *t)));
        if targets.is_empty() {
            return Err("nothing to ping: no default gateway and no ping_targets in [wan]".to_string());
        }
        let window = (config.ping_window.as_secs_f64() / config.ping_interval.as_secs_f64()).round() as usize;
        // A probe is lost when its reply is later than the next probe.
        let pinger = Pinger::new(&targets, window, config.ping_interval).await?;
        Ok(Probes { pinger })
    }

    /// One probe to each target; call every `ping_interval`.
    pub async fn round(&mut self) {
        self.pinger.round().await;
    }

    /// The reading so far: the WAN interface as the OS sees it, each target as a gateway.
    pub fn reading(&self) -> Result<WanReading, String> {
        let interfaces = local::wan_interface()?.into_iter().collect();
        let mut reading = WanReading { source: "probes".to_string(), interfaces, gateways: self.pinger.gateways(), ..WanReading::default() };
        reading.settle();
        Ok(reading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_slides_and_counts_loss() {
        let mut window = Window::new(4);
        assert_eq!(window.stats(), Stats::default());
        for rtt in [Some(10.0), Some(14.0), None, Some(12.0), Some(12.0)] {
            window.push(rtt);
        }
        // The first 10 ms fell out: 14, lost, 12, 12.
        let stats = window.stats();
        assert_eq!(stats.loss_pct, Some(25.0));
        let (rtt, stddev) = (stats.rtt_ms.unwrap(), stats.rtt_stddev_ms.unwrap());
        assert!((rtt - 38.0 / 3.0).abs() < 1e-9, "{rtt}");
        assert!((stddev - (8.0f64 / 9.0).sqrt()).abs() < 1e-9, "{stddev}");

        let mut silent = Window::new(3);
        silent.push(None);
        assert_eq!(silent.stats(), Stats { loss_pct: Some(100.0), ..Stats::default() });
    }

    #[test]
    fn judged_like_dpinger() {
        let t = Thresholds::default();
        let s = |rtt: f64, loss: f64| Stats { rtt_ms: Some(rtt), rtt_stddev_ms: Some(1.0), loss_pct: Some(loss) };
        assert_eq!(judge(&Stats::default(), &t), (GatewayStatus::Unknown, None));
        assert_eq!(judge(&s(10.0, 0.0), &t), (GatewayStatus::Online, None));
        assert_eq!(judge(&s(231.0, 0.0), &t), (GatewayStatus::Online, Some(Substatus::Delay)));
        assert_eq!(judge(&s(10.0, 12.0), &t), (GatewayStatus::Online, Some(Substatus::Loss)));
        assert_eq!(judge(&s(231.0, 12.0), &t), (GatewayStatus::Online, Some(Substatus::DelayLoss)));
        assert_eq!(judge(&s(600.0, 0.0), &t), (GatewayStatus::Down, Some(Substatus::HighDelay)));
        assert_eq!(judge(&Stats { loss_pct: Some(100.0), ..Stats::default() }, &t), (GatewayStatus::Down, Some(Substatus::HighLoss)));
    }
}

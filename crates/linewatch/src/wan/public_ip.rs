//! The public address by a quorum of independent methods: HTTP echo services, OpenDNS's
//! `myip.opendns.com`, STUN servers. One service can be wrong (a cached or proxied answer, an
//! IPv6 path, a lie); an address is believed only when `quorum` methods answer it and no other
//! address has as many. A method that disagrees is reported, not believed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tokio::task::JoinSet;

use super::{Observation, PublicIp, dns, stun};
use crate::config::WanConfig;

/// An echo answers an address: a few dozen bytes.
const MAX_ECHO_BYTES: usize = 256;

/// Asks every configured method at once and takes the quorum.
pub async fn observe(config: &WanConfig) -> PublicIp {
    let mut methods = JoinSet::new();
    let timeout = config.timeout;
    for (i, url) in config.http_echo.iter().enumerate() {
        let url = url.clone();
        methods.spawn(async move { (i, format!("http {url}"), http_echo(&url, timeout).await) });
    }
    let base = config.http_echo.len();
    if !config.dns_resolvers.is_empty() {
        let (name, servers) = (config.dns_name.clone(), config.dns_resolvers.clone());
        methods.spawn(async move {
            let method = format!("dns {name} @{}", dns::describe(&servers));
            let answer = dns::lookup_v4(&name, &servers, timeout).await.and_then(|addresses| match addresses[..] {
                [one] => Ok(IpAddr::V4(one)),
                [] => Err(format!("no address for {name}: is this resolver one that answers it (OpenDNS)?")),
                _ => Err(format!("{} addresses for {name}, expected one", addresses.len())),
            });
            (base, method, answer)
        });
    }
    let base = base + 1;
    for (i, server) in config.stun_servers.iter().enumerate() {
        let server = server.clone();
        methods.spawn(async move { (base + i, format!("stun {server}"), stun::public_address(&server, timeout).await) });
    }
    let mut answers: Vec<(usize, String, Result<IpAddr, String>)> = methods.join_all().await;
    answers.sort_by_key(|(i, ..)| *i);
    let observations = answers
        .into_iter()
        .map(|(_, method, answer)| match answer {
            Ok(address) => Observation { method, address: Some(address), error: None, dissents: false },
            Err(error) => Observation { method, address: None, error: Some(error), dissents: false },
        })
        .collect();
    quorum(observations, config.quorum)
}

/// The address at least `quorum` observations answer and no other address answers as often;
/// every observation of another address is marked as dissenting.
pub fn quorum(mut observations: Vec<Observation>, quorum: usize) -> PublicIp {
    let mut votes: HashMap<IpAddr, usize> = HashMap::new();
    for address in observations.iter().filter_map(|o| o.address) {
        *votes.entry(address).or_default() += 1;
    }
    let best = votes.values().copied().max().unwrap_or(0);
    let leaders: Vec<IpAddr> = votes.iter().filter(|(_, n)| **n == best).map(|(a, _)| *a).collect();
    let address = match leaders[..] {
        [address] if best >= quorum.max(1) => Some(address),
        _ => None,
    };
    if let Some(agreed) = address {
        for observation in &mut observations {
            observation.dissents = observation.address.is_some_and(|a| a != agreed);
            if observation.dissents {
                tracing::warn!(method = %observation.method, said = ?observation.address, agreed = %agreed, "a public-IP method disagrees with the others");
            }
        }
    }
    PublicIp { address, observations }
}

/// An HTTP echo service: GET, and the body is our address in plain text. Asked over IPv4, the
/// family the WAN verdicts are about.
pub async fn http_echo(url: &str, timeout: Duration) -> Result<IpAddr, String> {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        .timeout(timeout)
        .user_agent(concat!("linewatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let exchange = async {
        let mut response = client.get(url).send().await.map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.without_url().to_string())? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ECHO_BYTES {
                return Err(format!("the answer is longer than {MAX_ECHO_BYTES} bytes: not a bare address"));
            }
        }
        let text = String::from_utf8_lossy(&body);
        let text = text.trim();
        text.parse::<IpAddr>().map_err(|_| {
            let shown: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
            format!("the answer is not an address: {shown:?}")
        })
    };
    tokio::time::timeout(timeout, exchange).await.unwrap_or_else(|_| Err(format!("no answer within {timeout:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(method: &str, address: Option<&str>) -> Observation {
        Observation {
            method: method.into(),
            address: address.map(|a| a.parse().unwrap()),
            error: address.is_none().then(|| "timed out".into()),
            dissents: false,
        }
    }

    #[test]
    fn the_majority_wins_and_the_liar_is_named() {
        let result = quorum(
            vec![
                seen("http a", Some("203.0.113.57")),
                seen("dns", Some("203.0.113.57")),
                seen("stun b", Some("198.51.100.99")),
                seen("stun c", None),
            ],
            2,
        );
        assert_eq!(result.address, Some("203.0.113.57".parse().unwrap()));
        let dissenting: Vec<&str> = result.observations.iter().filter(|o| o.dissents).map(|o| o.method.as_str()).collect();
        assert_eq!(dissenting, ["stun b"]);
    }

    #[test]
    fn no_quorum_no_address() {
        // A tie believes nobody.
        let tie = quorum(vec![seen("a", Some("203.0.113.1")), seen("b", Some("203.0.113.2"))], 1);
        assert_eq!(tie.address, None);
        assert!(tie.observations.iter().all(|o| !o.dissents));
        // One answer is not two.
        let alone = quorum(vec![seen("a", Some("203.0.113.1")), seen("b", None)], 2);
        assert_eq!(alone.address, None);
        // Nothing at all.
        assert_eq!(quorum(Vec::new(), 2).address, None);
        // A quorum of one, when configured so.
        assert_eq!(quorum(vec![seen("a", Some("203.0.113.1"))], 1).address, Some("203.0.113.1".parse().unwrap()));
    }
}

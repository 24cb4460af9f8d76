//! The public address by quorum against real peers: dnsmasq answering `myip.opendns.com` and
//! the DDNS name, coturn answering STUN, and HTTP echoes on this machine (one of which lies).
//! Everything runs on 127.0.0.1, so the honest answer is 127.0.0.1.

mod support;
#[path = "support/wan.rs"]
mod wan_support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use linewatch::config::{Config, WanConfig};
use linewatch::wan::{dns, public_ip, stun};
use wan_support::{coturn, dnsmasq, free_udp_port};

const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// An HTTP echo: answers the caller's address, as api.ipify.org does; or always `lie`.
async fn echo(lie: Option<&'static str>) -> (String, tokio::task::JoinHandle<()>) {
    let router = Router::new().route(
        "/",
        get(move |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { lie.map_or_else(|| format!("{}\n", peer.ip()), String::from) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    (url, server)
}

fn wan_config(text: &str) -> WanConfig {
    Config::parse(text).unwrap_or_else(|e| panic!("{e:#}\n{text}")).wan.unwrap()
}

#[tokio::test]
async fn quorum_of_dns_stun_and_http_reports_the_liar() {
    let Some((_dns, dns_port)) = dnsmasq(&[("myip.opendns.com", "127.0.0.1")]) else { return };
    let Some((_stun, stun_port)) = coturn() else { return };
    let (honest, _h) = echo(None).await;
    let (liar, _l) = echo(Some("198.51.100.66")).await;
    let config = wan_config(&format!(
        "[wan]\nhttp_echo = [\"{honest}\", \"{liar}\"]\ndns_resolvers = [\"127.0.0.1:{dns_port}\"]\n\
         stun_servers = [\"127.0.0.1:{stun_port}\"]\nquorum = 2\ntimeout = \"3s\"\n"
    ));
    let result = public_ip::observe(&config).await;
    assert_eq!(result.address, Some(LOCAL), "{result:#?}");
    let by_method = |prefix: &str| result.observations.iter().filter(|o| o.method.starts_with(prefix)).collect::<Vec<_>>();
    assert_eq!(result.observations.len(), 4);
    assert!(by_method("dns").iter().all(|o| o.address == Some(LOCAL) && !o.dissents), "{result:#?}");
    assert!(by_method("stun").iter().all(|o| o.address == Some(LOCAL) && !o.dissents), "{result:#?}");
    let dissenting: Vec<&str> = result.observations.iter().filter(|o| o.dissents).map(|o| o.method.as_str()).collect();
    assert_eq!(dissenting, [format!("http {liar}")], "{result:#?}");
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["address"], "127.0.0.1");
}

#[tokio::test]
async fn methods_that_fail_say_why_and_do_not_vote() {
    // dnsmasq that knows nothing and refuses what it does not know.
    let Some((_dns, dns_port)) = dnsmasq(&[]) else { return };
    let (not_an_ip, _n) = echo(Some("<html>hello</html>")).await;
    // A STUN "server" that answers garbage, and one that never answers.
    let garbage = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let garbage_addr = garbage.local_addr().unwrap();
    let _g = tokio::spawn(async move {
        let mut buffer = [0u8; 1500];
        while let Ok((_, from)) = garbage.recv_from(&mut buffer).await {
            // A Binding success header echoing the transaction, with a length beyond the packet.
            let mut answer = buffer[..20].to_vec();
            answer[0..4].copy_from_slice(&[0x01, 0x01, 0x01, 0x00]);
            let _ = garbage.send_to(&answer, from).await;
        }
    });
    let silent_port = free_udp_port();
    let config = wan_config(&format!(
        "[wan]\nhttp_echo = [\"{not_an_ip}\"]\ndns_resolvers = [\"127.0.0.1:{dns_port}\"]\n\
         stun_servers = [\"{garbage_addr}\", \"127.0.0.1:{silent_port}\"]\nquorum = 2\ntimeout = \"1s\"\n"
    ));
    let result = public_ip::observe(&config).await;
    assert_eq!(result.address, None);
    let errors: Vec<&str> = result.observations.iter().map(|o| o.error.as_deref().expect("every method failed")).collect();
    assert!(errors[0].contains("not an address"), "{errors:?}");
    assert!(errors[1].contains("Refused"), "{errors:?}");
    assert!(errors[2].contains("length"), "{errors:?}");
    assert!(errors[3].contains("no answer"), "{errors:?}");
}

#[tokio::test]
async fn ddns_through_the_chosen_resolver() {
    let Some((_dns, dns_port)) = dnsmasq(&[("home.example.net", "198.51.100.7")]) else { return };
    let servers: [SocketAddr; 1] = [format!("127.0.0.1:{dns_port}").parse().unwrap()];
    let answer = dns::ddns("home.example.net", &servers, Duration::from_secs(2)).await;
    assert_eq!((answer.addresses, answer.error), (vec!["198.51.100.7".parse::<IpAddr>().unwrap()], None));
    // A name without a record is an empty answer (the record is missing), not an error.
    let answer = dns::ddns("gone.example.net", &servers, Duration::from_secs(2)).await;
    assert_eq!((answer.addresses.len(), answer.error), (0, None));
    // No resolver there: an error, which makes no DDNS verdict.
    let silent: [SocketAddr; 1] = [format!("127.0.0.1:{}", free_udp_port()).parse().unwrap()];
    let answer = dns::ddns("home.example.net", &silent, Duration::from_millis(500)).await;
    assert!(answer.error.is_some(), "{answer:?}");
}

#[tokio::test]
async fn stun_against_coturn() {
    let Some((_stun, port)) = coturn() else { return };
    let address = stun::public_address(&format!("127.0.0.1:{port}"), Duration::from_secs(3)).await.unwrap();
    assert_eq!(address, LOCAL);
}

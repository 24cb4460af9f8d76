//! Own probes: ICMP echo to 127.0.0.1 (the only address tests may ping), judged over a window;
//! the WAN interface as this machine sees it.

use std::net::IpAddr;
use std::time::Duration;

use linewatch::wan::GatewayStatus;
use linewatch::wan::local;
use linewatch::wan::ping::Pinger;

mod support;

#[tokio::test]
async fn ping_localhost_over_a_window() {
    if !support::ping_allowed() {
        return;
    }
    let targets = [("loopback".to_string(), IpAddr::from([127, 0, 0, 1]))];
    let mut pinger = Pinger::new(&targets, 5, Duration::from_secs(2)).await.unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        pinger.round().await;
    }
    let gateway = &pinger.gateways()[0];
    assert_eq!((gateway.name.as_str(), gateway.monitor), ("loopback", Some(targets[0].1)));
    assert_eq!((gateway.status, gateway.substatus, gateway.loss_pct), (GatewayStatus::Online, None, Some(0.0)), "{gateway:?}");
    assert!(gateway.rtt_ms.is_some_and(|r| r > 0.0) && gateway.rtt_stddev_ms.is_some(), "{gateway:?}");
}

#[test]
fn the_default_route_interface() {
    // Whatever this machine has: a default route gives an interface with that gateway.
    match (local::default_route().unwrap(), local::wan_interface().unwrap()) {
        (Some((name, gateway)), Some(interface)) => {
            assert_eq!((interface.name, interface.gateway), (name, Some(gateway.into())));
        }
        (None, None) => eprintln!("no default route here"),
        other => panic!("default_route and wan_interface disagree: {other:?}"),
    }
}

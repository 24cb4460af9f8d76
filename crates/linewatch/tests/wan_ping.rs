//! Own probes: ICMP echo to 127.0.0.1 (the only address tests may ping), judged over a window;
//! the WAN interface as this machine sees it.

use std::net::IpAddr;
use std::time::Duration;

use linewatch::wan::GatewayStatus;
use linewatch::wan::local;
use linewatch::wan::ping::Pinger;

/// Unprivileged ping sockets for our group, or root (raw sockets). Under `CI=true` we are root:
/// a refusal there fails.
fn may_ping() -> bool {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap_or_default();
    let bounds: Vec<u32> = range.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    let gid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Gid:")).and_then(|l| l.split_whitespace().nth(2)?.parse::<u32>().ok()));
    let uid_root = std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0")));
    let unprivileged = matches!((&bounds[..], gid), ([low, high], Some(g)) if low <= high && (*low..=*high).contains(&g));
    if !(unprivileged || uid_root) {
        let message = "ICMP is not allowed here: neither root nor in net.ipv4.ping_group_range";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message}");
        }
        eprintln!("\n!!! SKIPPED: {message}\n");
    }
    unprivileged || uid_root
}

#[tokio::test]
async fn ping_localhost_over_a_window() {
    if !may_ping() {
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

//! The WAN as this machine sees it, for own probes: the interface and gateway of the IPv4
//! default route (`/proc/net/route`), and that interface's addresses.

use std::net::Ipv4Addr;

use nix::ifaddrs::getifaddrs;
use nix::net::if_::InterfaceFlags;

use super::{Interface, LinkStatus};

/// The interface and gateway of the IPv4 default route, if there is one.
pub fn default_route() -> Result<Option<(String, Ipv4Addr)>, String> {
    let table = std::fs::read_to_string("/proc/net/route").map_err(|e| format!("cannot read /proc/net/route: {e}"))?;
    Ok(parse_route_table(&table))
}

/// `/proc/net/route`: addresses are the raw (network-order) bytes printed as a host-order hex number; the default route has destination and
/// mask 0 and the gateway flag (0x2). The lowest metric wins.
pub fn parse_route_table(table: &str) -> Option<(String, Ipv4Addr)> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let hex = |i: usize| fields.get(i).and_then(|f| u32::from_str_radix(f, 16).ok());
            let (destination, gateway, flags, metric, mask) = (hex(1)?, hex(2)?, hex(3)?, hex(6)?, hex(7)?);
            let is_default = destination == 0 && mask == 0 && flags & 0x3 == 0x3;
            is_default.then(|| (metric, fields[0].to_string(), Ipv4Addr::from(gateway.to_ne_bytes())))
        })
        .min_by_key(|(metric, ..)| *metric)
        .map(|(_, name, gateway)| (name, gateway))
}

/// The default route's interface with its addresses; `None` without a default route.
pub fn wan_interface() -> Result<Option<Interface>, String> {
    let Some((name, gateway)) = default_route()? else { return Ok(None) };
    let mut interface = Interface {
        name: name.clone(),
        description: None,
        device: Some(name.clone()),
        status: LinkStatus::Down,
        status_text: None,
        address: None,
        address_v6: None,
        gateway: Some(gateway.into()),
        ppp_status: None,
        ppp_uptime_s: None,
    };
    for entry in getifaddrs().map_err(|e| format!("cannot list the interfaces: {e}"))? {
        if entry.interface_name != name {
            continue;
        }
        if entry.flags.contains(InterfaceFlags::IFF_UP | InterfaceFlags::IFF_RUNNING) {
            interface.status = LinkStatus::Up;
        }
        let Some(address) = entry.address else { continue };
        if let Some(v4) = address.as_sockaddr_in() {
            interface.address.get_or_insert(v4.ip());
        } else if let Some(v6) = address.as_sockaddr_in6().map(|a| a.ip())
            && !v6.is_unicast_link_local()
        {
            interface.address_v6.get_or_insert(v6);
        }
    }
    Ok(Some(interface))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_route_from_the_table() {
        let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                     eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                     wwan0\t00000000\t0100A8C0\t0003\t0\t0\t700\t00000000\t0\t0\t0\n\
                     eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
        assert_eq!(parse_route_table(table), Some(("eth0".to_string(), Ipv4Addr::new(192, 0, 2, 1))));
        assert_eq!(parse_route_table("Iface\tDestination\n"), None);
    }
}

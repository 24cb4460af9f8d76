//! STUN Binding requests (RFC 8489, formerly RFC 5389): ask a STUN server which address our
//! UDP packets come from. Written by hand: a Binding request is 20 bytes and the answer we need
//! is one attribute, XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS from RFC 3489 servers); the STUN
//! crates carry TURN, ICE and integrity machinery we do not use.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

const MAGIC_COOKIE: u32 = 0x2112_A442;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const BINDING_ERROR: u16 = 0x0111;
const MAPPED_ADDRESS: u16 = 0x0001;
const ERROR_CODE: u16 = 0x0009;
const XOR_MAPPED_ADDRESS: u16 = 0x0020;
const HEADER: usize = 20;

/// A Binding request with no attributes.
pub fn binding_request(transaction: &[u8; 12]) -> [u8; HEADER] {
    let mut packet = [0u8; HEADER];
    packet[0..2].copy_from_slice(&BINDING_REQUEST.to_be_bytes());
    // Message length 0: no attributes.
    packet[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    packet[8..20].copy_from_slice(transaction);
    packet
}

/// The mapped address of a Binding success response to `transaction`. `Ok(None)` for a packet
/// that is not an answer to it (another transaction, not STUN): keep waiting.
pub fn parse_binding_response(packet: &[u8], transaction: &[u8; 12]) -> Result<Option<SocketAddr>, String> {
    if packet.len() < HEADER
        || packet[0] & 0xC0 != 0
        || packet[4..8] != MAGIC_COOKIE.to_be_bytes()
        || packet[8..20] != transaction[..]
    {
        return Ok(None);
    }
    let kind = u16::from_be_bytes([packet[0], packet[1]]);
    let length = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    if length % 4 != 0 || HEADER + length > packet.len() {
        return Err(format!("the answer's length field ({length}) does not fit the {} bytes received", packet.len()));
    }
    let attributes = attributes(&packet[HEADER..HEADER + length])?;
    let find = |wanted| attributes.iter().find(|(kind, _)| *kind == wanted).map(|(_, value)| *value);
    match kind {
        BINDING_SUCCESS => {}
        BINDING_ERROR => {
            let reason = find(ERROR_CODE)
                .filter(|v| v.len() >= 4)
                .map(|v| {
                    let code = u16::from(v[2] & 0x07) * 100 + u16::from(v[3]);
                    format!("{code} {}", String::from_utf8_lossy(&v[4..]).chars().filter(|c| !c.is_control()).collect::<String>())
                })
                .unwrap_or_else(|| "no error code".to_string());
            return Err(format!("the server answered an error: {reason}"));
        }
        other => return Err(format!("the answer is message type {other:#06x}, not a Binding response")),
    }
    if let Some(value) = find(XOR_MAPPED_ADDRESS) {
        return address(value, Some(transaction)).map(Some);
    }
    match find(MAPPED_ADDRESS) {
        Some(value) => address(value, None).map(Some),
        None => Err("the answer carries no (XOR-)MAPPED-ADDRESS".to_string()),
    }
}

/// Type-length-value attributes, each padded to 4 bytes.
fn attributes(mut body: &[u8]) -> Result<Vec<(u16, &[u8])>, String> {
    let mut found = Vec::new();
    while !body.is_empty() {
        if body.len() < 4 {
            return Err("an attribute header is cut short".to_string());
        }
        let kind = u16::from_be_bytes([body[0], body[1]]);
        let length = usize::from(u16::from_be_bytes([body[2], body[3]]));
        let padded = length.div_ceil(4) * 4;
        if 4 + padded > body.len() {
            return Err(format!("attribute {kind:#06x} is longer than the message"));
        }
        found.push((kind, &body[4..4 + length]));
        body = &body[4 + padded..];
    }
    Ok(found)
}

/// A (XOR-)MAPPED-ADDRESS value: reserved, family, port, address. XORed with the magic cookie
/// (and for IPv6 the transaction ID) when `transaction` is given.
fn address(value: &[u8], transaction: Option<&[u8; 12]>) -> Result<SocketAddr, String> {
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let mut mask = [0u8; 16];
    if let Some(transaction) = transaction {
        mask[..4].copy_from_slice(&cookie);
        mask[4..].copy_from_slice(transaction);
    }
    let port_mask = u16::from_be_bytes([mask[0], mask[1]]);
    let (family, len) = match value.get(1) {
        Some(0x01) => (4, 8),
        Some(0x02) => (6, 20),
        _ => return Err("the mapped address has an unknown family".to_string()),
    };
    if value.len() != len {
        return Err(format!("the mapped address is {} bytes long, not {len}", value.len()));
    }
    let port = u16::from_be_bytes([value[2], value[3]]) ^ port_mask;
    let mut bytes = [0u8; 16];
    for (i, byte) in value[4..].iter().enumerate() {
        bytes[i] = byte ^ mask[i];
    }
    let ip = if family == 4 {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(bytes))
    };
    Ok(SocketAddr::new(ip, port))
}

/// Our public IPv4 address as `server` (`host:port`) sees it. The request is sent again if no
/// answer comes (UDP loses packets), within `timeout` in all.
pub async fn public_address(server: &str, timeout: Duration) -> Result<IpAddr, String> {
    let exchange = async {
        let target = tokio::net::lookup_host(server)
            .await
            .map_err(|e| format!("cannot resolve {server}: {e}"))?
            .find(SocketAddr::is_ipv4)
            .ok_or_else(|| format!("{server} has no IPv4 address"))?;
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await.map_err(|e| format!("cannot open a UDP socket: {e}"))?;
        let transaction: [u8; 12] = rand::random();
        let request = binding_request(&transaction);
        let mut buffer = [0u8; 1500];
        loop {
            socket.send_to(&request, target).await.map_err(|e| format!("cannot send to {target}: {e}"))?;
            let wait = tokio::time::sleep(timeout / 4);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    _ = &mut wait => break,
                    received = socket.recv_from(&mut buffer) => {
                        let (n, from) = received.map_err(|e| format!("receiving from {target}: {e}"))?;
                        if from != target {
                            continue;
                        }
                        if let Some(mapped) = parse_binding_response(&buffer[..n], &transaction)? {
                            return Ok(mapped.ip());
                        }
                    }
                }
            }
        }
    };
    tokio::time::timeout(timeout, exchange).await.unwrap_or_else(|_| Err(format!("no answer within {timeout:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let digits: String = text.split_whitespace().collect();
        (0..digits.len()).step_by(2).map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 5769 section 2.2: sample IPv4 response (SOFTWARE, XOR-MAPPED-ADDRESS,
    /// MESSAGE-INTEGRITY, FINGERPRINT).
    #[test]
    fn rfc5769_ipv4_response() {
        let packet = hex(
            "0101 003c 2112a442 b7e7a701 bc34d686 fa87dfae
             8022 000b 74657374 20766563 746f7220
             0020 0008 0001a147 e112a643
             0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
             8028 0004 c07d4c96",
        );
        let transaction: [u8; 12] = packet[8..20].try_into().unwrap();
        assert_eq!(parse_binding_response(&packet, &transaction).unwrap(), Some("192.0.2.1:32853".parse().unwrap()));
        // Another transaction's answer is not ours.
        assert_eq!(parse_binding_response(&packet, &[0; 12]).unwrap(), None);
    }

    #[test]
    fn ipv6_and_legacy_mapped_address() {
        let transaction = [7u8; 12];
        let ip: Ipv6Addr = "2001:db8:1234:5678:11:2233:4455:6677".parse().unwrap();
        let mut mask = MAGIC_COOKIE.to_be_bytes().to_vec();
        mask.extend_from_slice(&transaction);
        let mut value = vec![0, 2];
        value.extend_from_slice(&(32853u16 ^ 0x2112).to_be_bytes());
        value.extend(ip.octets().iter().zip(&mask).map(|(a, m)| a ^ m));
        let mut packet = binding_request(&transaction).to_vec();
        packet[0..2].copy_from_slice(&BINDING_SUCCESS.to_be_bytes());
        packet[2..4].copy_from_slice(&24u16.to_be_bytes());
        packet.extend_from_slice(&[0x00, 0x20, 0, 20]);
        packet.extend_from_slice(&value);
        assert_eq!(parse_binding_response(&packet, &transaction).unwrap(), Some(SocketAddr::new(ip.into(), 32853)));

        // RFC 3489 servers: plain MAPPED-ADDRESS.
        let mut packet = binding_request(&transaction).to_vec();
        packet[0..2].copy_from_slice(&BINDING_SUCCESS.to_be_bytes());
        packet[2..4].copy_from_slice(&12u16.to_be_bytes());
        packet.extend_from_slice(&[0x00, 0x01, 0, 8, 0, 1, 0x0D, 0x96, 203, 0, 113, 9]);
        assert_eq!(parse_binding_response(&packet, &transaction).unwrap(), Some("203.0.113.9:3478".parse().unwrap()));
    }

    #[test]
    fn hostile_answers_are_errors_not_panics() {
        let transaction = [1u8; 12];
        let header = |kind: u16, length: u16| {
            let mut p = binding_request(&transaction).to_vec();
            p[0..2].copy_from_slice(&kind.to_be_bytes());
            p[2..4].copy_from_slice(&length.to_be_bytes());
            p
        };
        // Length beyond the packet, an attribute beyond the message, no address, an error.
        assert!(parse_binding_response(&header(BINDING_SUCCESS, 400), &transaction).is_err());
        let mut p = header(BINDING_SUCCESS, 4);
        p.extend_from_slice(&[0x00, 0x20, 0x00, 0x08]);
        assert!(parse_binding_response(&p, &transaction).unwrap_err().contains("longer"));
        assert!(parse_binding_response(&header(BINDING_SUCCESS, 0), &transaction).unwrap_err().contains("MAPPED"));
        let mut p = header(BINDING_ERROR, 12);
        p.extend_from_slice(&[0x00, 0x09, 0x00, 0x07, 0, 0, 4, 20, b'S', b'l', b'o', 0]);
        assert!(parse_binding_response(&p, &transaction).unwrap_err().contains("420"), "{:?}", parse_binding_response(&p, &transaction));
        assert_eq!(parse_binding_response(b"HTTP/1.1 400", &transaction).unwrap(), None);
        for n in 0..64 {
            let garbage: Vec<u8> = (0..n).map(|i| (i * 37 % 251) as u8).collect();
            let _ = parse_binding_response(&garbage, &transaction);
        }
    }
}

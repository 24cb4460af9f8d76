//! Reading firewall JSON by structure: the same value comes as a number, a string with a unit
//! (`"10.8 ms"`, `"10.845ms"`, `"0.0 %"`), an empty string, `null` or `"~"` depending on the
//! firewall and its version.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::Value;

/// A non-empty text field; `~` (OPNsense's "unknown") counts as absent.
pub fn text<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty() && *s != "~")
}

/// A number, or a string holding one with an optional unit (`ms`, `%`).
pub fn number(object: &Value, key: &str) -> Option<f64> {
    let value = object.get(key)?;
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches("ms").trim_end_matches('%').trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// An address written bare, with a prefix length (`203.0.113.57/32`) or a zone (`fe80::1%igb0`).
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text.split_once('/').map_or(text, |(a, _)| a);
    let text = text.split_once('%').map_or(text, |(a, _)| a);
    text.parse().ok()
}

pub fn ip(object: &Value, key: &str) -> Option<IpAddr> {
    text(object, key).and_then(parse_ip)
}

pub fn ipv4(object: &Value, key: &str) -> Option<Ipv4Addr> {
    match ip(object, key)? {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    }
}

/// A global IPv6 address (link-local ones say nothing about the WAN).
pub fn ipv6_global(object: &Value, key: &str) -> Option<Ipv6Addr> {
    match ip(object, key)? {
        IpAddr::V6(v6) if !v6.is_unicast_link_local() && !v6.is_loopback() => Some(v6),
        _ => None,
    }
}

/// The entries of a list that comes as an array, or as an object keyed by name (OPNsense's
/// short-lived keyed gateway list, FauxAPI's gateways keyed by monitor address).
pub fn entries(value: &Value) -> Option<Vec<&Value>> {
    match value {
        Value::Array(items) => Some(items.iter().collect()),
        Value::Object(map) => Some(map.values().collect()),
        _ => None,
    }
}

/// The kind of JSON value, for error messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_in_every_spelling() {
        let v = json!({"a": 10.845, "b": "10.8 ms", "c": "49.271ms", "d": "0.0 %", "e": "12.0%", "f": "~", "g": "", "h": null});
        assert_eq!(number(&v, "a"), Some(10.845));
        assert_eq!(number(&v, "b"), Some(10.8));
        assert_eq!(number(&v, "c"), Some(49.271));
        assert_eq!(number(&v, "d"), Some(0.0));
        assert_eq!(number(&v, "e"), Some(12.0));
        for absent in ["f", "g", "h", "missing"] {
            assert_eq!(number(&v, absent), None, "{absent}");
        }
    }

    #[test]
    fn addresses_with_prefix_or_zone() {
        assert_eq!(parse_ip("203.0.113.57/32"), Some("203.0.113.57".parse().unwrap()));
        assert_eq!(parse_ip("fe80::1%pppoe0"), Some("fe80::1".parse().unwrap()));
        assert_eq!(parse_ip("pppoe"), None);
        let v = json!({"v6": "fe80::20d:b9ff:fe4b:2a10%pppoe0", "g": "2001:db8::1"});
        assert_eq!(ipv6_global(&v, "v6"), None);
        assert_eq!(ipv6_global(&v, "g"), Some("2001:db8::1".parse().unwrap()));
    }
}

//! pfSense REST API answers, v2 (pfSense-pkg-RESTAPI) and v1 (the legacy pfSense-pkg-API):
//! `status/interfaces` (v1: `status/interface`) and `status/gateways` (v1: `status/gateway`).
//! Both versions wrap the same `get_interface_info()` / `return_gateways_status()` fields in an
//! envelope (`code`, `status`, `data`; v2 adds `response_id`, v1 `return`), so one reader
//! serves both. Pure: the HTTP side is in `firewall`.

use serde_json::Value;

use super::json::{entries, ip, ipv4, ipv6_global, kind, number, text};
use super::{Gateway, GatewayStatus, Interface, LinkStatus, Substatus};

/// The `data` list of a successful answer; an error answer gives its own message.
pub fn data(answer: &Value) -> Result<Vec<&Value>, String> {
    if !answer.is_object() {
        return Err(format!("the answer is {}, not the API's JSON object", kind(answer)));
    }
    let code = answer.get("code").and_then(Value::as_u64);
    let status = text(answer, "status");
    if code.is_some_and(|c| c != 200) || status.is_some_and(|s| s != "ok") {
        let what = [text(answer, "response_id"), text(answer, "message")].into_iter().flatten().collect::<Vec<_>>().join(": ");
        return Err(format!("the API answered an error (code {}): {what}", code.map_or("?".to_string(), |c| c.to_string())));
    }
    let data = answer.get("data").ok_or("the answer has no `data`")?;
    // FauxAPI, which older setups used, keys its gateways under `gateway_status`.
    let data = data.get("gateway_status").unwrap_or(data);
    entries(data).ok_or_else(|| format!("`data` is {}, not a list", kind(data)))
}

/// `GET /api/v2/status/interfaces` or `/api/v1/status/interface`.
pub fn interfaces(answer: &Value) -> Result<Vec<Interface>, String> {
    data(answer)?.into_iter().enumerate().map(|(i, item)| interface(item).map_err(|e| format!("interface #{}: {e}", i + 1))).collect()
}

fn interface(item: &Value) -> Result<Interface, String> {
    if !item.is_object() {
        return Err(format!("{}, not an object", kind(item)));
    }
    let name = text(item, "name").ok_or("no `name`")?;
    let status_text = text(item, "status");
    Ok(Interface {
        name: name.to_string(),
        description: text(item, "descr").map(String::from),
        device: text(item, "hwif").or_else(|| text(item, "if")).map(String::from),
        status: status_text.map_or(LinkStatus::Unknown, LinkStatus::from_text),
        status_text: status_text.filter(|s| !matches!(*s, "up" | "down")).map(String::from),
        address: ipv4(item, "ipaddr"),
        address_v6: ipv6_global(item, "ipaddrv6"),
        gateway: ip(item, "gateway"),
        // v1 only: v2 does not expose the PPP session.
        ppp_status: text(item, "pppoelink").map(LinkStatus::from_text),
        ppp_uptime_s: text(item, "ppp_uptime").and_then(dhms),
    })
}

/// `GET /api/v2/status/gateways` or `/api/v1/status/gateway`.
pub fn gateways(answer: &Value) -> Result<Vec<Gateway>, String> {
    data(answer)?.into_iter().enumerate().map(|(i, item)| gateway(item).map_err(|e| format!("gateway #{}: {e}", i + 1))).collect()
}

fn gateway(item: &Value) -> Result<Gateway, String> {
    if !item.is_object() {
        return Err(format!("{}, not an object", kind(item)));
    }
    let name = text(item, "name").ok_or("no `name`")?;
    // Current pfSense: `status` online/down plus a `substatus`. Older pfSense put the reason in
    // `status` itself (`none`, `delay`, `highloss`, ...), and the v1 package rewrites `none` to
    // `up`. A gateway above the high thresholds there still forwarded: it is online, marked.
    let raw = text(item, "status").unwrap_or_default().to_ascii_lowercase();
    let (status, marked) = match raw.as_str() {
        "online" | "up" | "none" => (GatewayStatus::Online, None),
        "down" => (GatewayStatus::Down, None),
        "force_down" => (GatewayStatus::Down, Some(Substatus::ForceDown)),
        other => match Substatus::from_text(other) {
            Some(substatus) => (GatewayStatus::Online, Some(substatus)),
            None => (GatewayStatus::Unknown, None),
        },
    };
    let substatus = text(item, "substatus").and_then(Substatus::from_text).or(marked);
    Ok(Gateway::dpinger(
        name,
        status,
        substatus,
        ip(item, "monitorip"),
        [number(item, "delay"), number(item, "stddev"), number(item, "loss")],
    ))
}

/// pfSense's `convert_seconds_to_dhms`: `3d 04:12:55`, or `04:12:55` under a day.
fn dhms(text: &str) -> Option<u64> {
    let (days, clock) = match text.trim().split_once(' ') {
        Some((d, clock)) => (d.strip_suffix('d')?.parse::<u64>().ok()?, clock.trim()),
        None => (0, text.trim()),
    };
    let parts: Vec<u64> = clock.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, m, s] = parts[..] else { return None };
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppp_uptime() {
        assert_eq!(dhms("3d 04:12:55"), Some(3 * 86_400 + 4 * 3600 + 12 * 60 + 55));
        assert_eq!(dhms("00:00:07"), Some(7));
        assert_eq!(dhms("soon"), None);
        assert_eq!(dhms("3 04:12:55"), None);
    }
}

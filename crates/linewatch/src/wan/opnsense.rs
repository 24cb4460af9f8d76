//! OPNsense API answers: `GET /api/routes/gateway/status` (dpinger figures as strings with
//! units, `~` when unknown) and `GET /api/interfaces/overview/interfacesInfo` (a search
//! result whose rows carry `identifier`, `status`, `addr4`...). Pure: the HTTP side is in
//! `firewall`.

use serde_json::Value;

use super::json::{entries, ipv4, ipv6_global, kind, number, parse_ip, text};
use super::{Gateway, GatewayStatus, Interface, LinkStatus, Substatus};

/// `GET /api/routes/gateway/status`: `{"items": [...], "status": "ok"}`. `items` is an array,
/// or for a while was an object keyed by gateway name; both are read.
pub fn gateways(answer: &Value) -> Result<Vec<Gateway>, String> {
    if !answer.is_object() {
        return Err(format!("the answer is {}, not the API's JSON object", kind(answer)));
    }
    match text(answer, "status") {
        Some("ok") | None => {}
        Some(status) => return Err(format!("the firewall reports status {status:?}: its gateway monitor gave no data")),
    }
    let items = answer.get("items").ok_or("the answer has no `items`")?;
    let items = entries(items).ok_or_else(|| format!("`items` is {}, not a list", kind(items)))?;
    items.into_iter().enumerate().map(|(i, item)| gateway(item).map_err(|e| format!("gateway #{}: {e}", i + 1))).collect()
}

fn gateway(item: &Value) -> Result<Gateway, String> {
    if !item.is_object() {
        return Err(format!("{}, not an object", kind(item)));
    }
    let name = text(item, "name").ok_or("no `name`")?;
    // dpinger.inc: `none` is online; `down` when above the high thresholds; `delay`, `loss`,
    // `delay+loss` above the low ones; `force_down` by hand; anything else is "Pending".
    let raw = text(item, "status").unwrap_or_default().to_ascii_lowercase();
    let (status, substatus) = match raw.as_str() {
        "none" => (GatewayStatus::Online, None),
        "down" => (GatewayStatus::Down, None),
        "force_down" => (GatewayStatus::Down, Some(Substatus::ForceDown)),
        other => match Substatus::from_text(other) {
            Some(substatus) => (GatewayStatus::Online, Some(substatus)),
            None => (GatewayStatus::Unknown, None),
        },
    };
    // `monitor` appeared in 2024; before, the gateway's own `address` was what dpinger pinged.
    let monitor = text(item, "monitor").or_else(|| text(item, "address")).and_then(parse_ip);
    Ok(Gateway::dpinger(name, status, substatus, monitor, [number(item, "delay"), number(item, "stddev"), number(item, "loss")]))
}

/// `GET /api/interfaces/overview/interfacesInfo`: `{"rows": [...], "total": n, ...}` (or the
/// bare array that `export` gives).
pub fn interfaces(answer: &Value) -> Result<Vec<Interface>, String> {
    let rows = match answer {
        Value::Array(_) => answer,
        Value::Object(_) => answer.get("rows").ok_or("the answer has no `rows`")?,
        other => return Err(format!("the answer is {}, not the API's JSON object", kind(other))),
    };
    let rows = rows.as_array().ok_or_else(|| format!("`rows` is {}, not a list", kind(rows)))?;
    rows.iter().enumerate().map(|(i, row)| interface(row).map_err(|e| format!("interface #{}: {e}", i + 1))).collect()
}

fn interface(row: &Value) -> Result<Interface, String> {
    if !row.is_object() {
        return Err(format!("{}, not an object", kind(row)));
    }
    let name = text(row, "identifier").or_else(|| text(row, "device")).ok_or("no `identifier` nor `device`")?;
    let status_text = text(row, "status");
    let first_ipv4 = || row.get("ipv4")?.as_array()?.first().and_then(|a| ipv4(a, "ipaddr"));
    let gateway = row.get("gateways").and_then(Value::as_array).and_then(|g| g.iter().filter_map(Value::as_str).find_map(parse_ip));
    Ok(Interface {
        name: name.to_string(),
        description: text(row, "description").map(String::from),
        device: text(row, "device").map(String::from),
        status: status_text.map_or(LinkStatus::Unknown, LinkStatus::from_text),
        status_text: status_text.filter(|s| !matches!(*s, "up" | "down")).map(String::from),
        address: ipv4(row, "addr4").or_else(first_ipv4),
        address_v6: ipv6_global(row, "addr6"),
        gateway,
        ppp_status: None,
        ppp_uptime_s: None,
    })
}

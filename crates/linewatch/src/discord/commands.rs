//! The slash commands: their definitions (registered as one set right after READY) and what
//! an invocation carries. The names are a promise to users and scripts.

use serde_json::{Value, json};
use twilight_model::application::interaction::application_command::{CommandDataOption, CommandOptionValue};

/// The commands, in the order `/help` lists them.
pub const NAMES: [&str; 12] = ["status", "errors", "graph", "wan", "uptime", "events", "silence", "unsilence", "resync", "reboot", "audit", "help"];

/// The alert rules, for `/silence` and `/unsilence`.
pub const RULES: [&str; 18] = [
    "line_down",
    "retrain",
    "rate_drop",
    "crc_burst",
    "es_burst",
    "snr_low",
    "snr_drop",
    "modem_unreachable",
    "host_key_changed",
    "wan_down",
    "wan_ip_changed",
    "cgnat",
    "private_wan",
    "nat_upstream",
    "gateway_down",
    "gateway_degraded",
    "ddns_stale",
    "firewall_unreachable",
];

/// Metrics `/graph` offers before the store has any (their `/metrics` names).
pub const METRICS: [&str; 14] = [
    "dsl_signal_to_noise_margin_db",
    "dsl_datarate",
    "dsl_max_datarate",
    "dsl_line_attenuation_db",
    "dsl_signal_attenuation_db",
    "dsl_aggregated_transmit_power_db",
    "dsl_crc_total",
    "dsl_fec_total",
    "dsl_error_seconds_total",
    "dsl_retransmissions_total",
    "dsl_uptime_seconds",
    "wan_gateway_rtt_seconds",
    "wan_gateway_loss_ratio",
    "wan_gateway_rtt_stddev_seconds",
];

/// `/errors` windows and `/graph` ranges offered as choices.
pub const WINDOWS: [(&str, &str); 4] = [("last 15 minutes", "15m"), ("last day", "1d"), ("last 7 days", "7d"), ("since the last retrain", "retrain")];
pub const RANGES: [&str; 6] = ["1h", "6h", "24h", "7d", "30d", "365d"];

const STRING: u8 = 3;
const INTEGER: u8 = 4;

fn option(kind: u8, name: &str, description: &str, required: bool) -> Value {
    json!({ "type": kind, "name": name, "description": description, "required": required })
}

fn target(description: &str) -> Value {
    let mut target = option(STRING, "target", description, false);
    target["autocomplete"] = true.into();
    target
}

fn command(name: &str, description: &str, options: Vec<Value>) -> Value {
    json!({ "type": 1, "name": name, "description": description, "options": options })
}

/// The whole set, as Discord's bulk overwrite takes it.
pub fn definitions() -> Value {
    let choices = |pairs: &[(&str, &str)]| pairs.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect::<Vec<_>>();
    let mut window = option(STRING, "window", "Only this window (default: all four)", false);
    window["choices"] = choices(&WINDOWS).into();
    let mut metric = option(STRING, "metric", "The metric, by its /metrics name (e.g. dsl_signal_to_noise_margin_db)", true);
    metric["autocomplete"] = true.into();
    let mut range = option(STRING, "range", "How far back (default 24h)", false);
    range["choices"] = RANGES.iter().map(|r| json!({ "name": r, "value": r })).collect::<Vec<_>>().into();
    let mut n = option(INTEGER, "n", "How many (default 10)", false);
    n["min_value"] = 1.into();
    n["max_value"] = 25.into();
    let mut rule = option(STRING, "rule", "An alert rule, or `all`", true);
    rule["autocomplete"] = true.into();
    let mut rule_optional = option(STRING, "rule", "Only this rule's silences (default: all)", false);
    rule_optional["autocomplete"] = true.into();
    json!([
        command("status", "The line now: state, rates, SNR, errors, uptime (with a Refresh button)", vec![target("A modem (default: all)")]),
        command("errors", "CRC/FEC/ES/SES per direction: 15 min, 1 day, 7 days, since the last retrain", vec![target("A modem"), window]),
        command("graph", "A chart of a metric over a range", vec![metric, range, target("A modem or firewall")]),
        command("wan", "WAN and public IP, CGNAT, PPP state, gateway RTT and loss", vec![target("A firewall (default: all)")]),
        command("uptime", "How long each line has been in showtime, and its last retrain", vec![target("A modem (default: all)")]),
        command("events", "Recent events (retrains, state changes) and alerts firing", vec![n.clone()]),
        command("silence", "Hold back the announcements of an alert rule for a while", vec![rule, option(STRING, "duration", "For how long, e.g. 30m, 2h, 1d", true)]),
        command("unsilence", "Lift silences", vec![rule_optional]),
        command("resync", "Retrain the line (admins only; asks for confirmation)", vec![target("A modem")]),
        command("reboot", "Reboot the modem (admins only; asks for confirmation)", vec![target("A modem")]),
        command("audit", "Who asked for resyncs, reboots and silences (admins only)", vec![n]),
        command("help", "What linewatch's commands do", vec![]),
    ])
}

/// An invocation's options, by name.
pub struct Options<'a>(pub &'a [CommandDataOption]);

impl Options<'_> {
    pub fn string(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|o| o.name == name).and_then(|o| match &o.value {
            CommandOptionValue::String(s) | CommandOptionValue::Focused(s, _) => Some(s.trim()).filter(|s| !s.is_empty()),
            _ => None,
        })
    }

    pub fn integer(&self, name: &str) -> Option<i64> {
        self.0.iter().find(|o| o.name == name).and_then(|o| match &o.value {
            CommandOptionValue::Integer(n) => Some(*n),
            _ => None,
        })
    }

    /// The option being typed, for autocomplete: its name and text so far.
    pub fn focused(&self) -> Option<(&str, &str)> {
        self.0.iter().find_map(|o| match &o.value {
            CommandOptionValue::Focused(text, _) => Some((o.name.as_str(), text.as_str())),
            _ => None,
        })
    }
}

/// Up to 25 autocomplete choices among `candidates`: those starting with what was typed
/// first, then those containing it.
pub fn choices<'a>(candidates: impl IntoIterator<Item = &'a str>, typed: &str) -> Value {
    let typed = typed.trim().to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let starts = candidates.iter().filter(|c| c.to_lowercase().starts_with(&typed));
    let contains = candidates.iter().filter(|c| !c.to_lowercase().starts_with(&typed) && c.to_lowercase().contains(&typed));
    let mut seen = std::collections::BTreeSet::new();
    let picked: Vec<Value> = starts
        .chain(contains)
        .filter(|c| seen.insert(**c) && c.len() <= 100)
        .take(25)
        .map(|c| json!({ "name": c, "value": c }))
        .collect();
    Value::Array(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_promised_commands_are_defined_within_discords_limits() {
        let definitions = definitions();
        let commands = definitions.as_array().unwrap();
        let names: Vec<&str> = commands.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, NAMES);
        for command in commands {
            assert!(command["description"].as_str().unwrap().chars().count() <= 100, "{command}");
            for option in command["options"].as_array().unwrap() {
                assert!(option["description"].as_str().unwrap().chars().count() <= 100, "{option}");
            }
        }
        let graph = &commands[2]["options"][0];
        assert_eq!((graph["name"].as_str(), graph["type"].as_u64(), graph["required"].as_bool()), (Some("metric"), Some(3), Some(true)));
    }

    #[test]
    fn choices_prefer_the_prefix_and_stop_at_25() {
        let picked = choices(["snr", "dsl_snr", "crc"], "snr");
        assert_eq!(picked, json!([{ "name": "snr", "value": "snr" }, { "name": "dsl_snr", "value": "dsl_snr" }]));
        let many: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
        assert_eq!(choices(many.iter().map(String::as_str), "").as_array().unwrap().len(), 25);
    }
}

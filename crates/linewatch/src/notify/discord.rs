//! Discord: embeds for notifications and incidents (shared with the bot), within Discord's
//! limits, and the webhook notifier for users who do not run the bot.

use serde_json::{Value, json};

use super::{DeliveryError, http_client, http_outcome};
use crate::alerts::{IncidentView, Notification, NotificationKind, Severity};
use crate::derive::unix_seconds;

/// Discord's limits on embeds and messages.
pub mod limits {
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    /// Across all embeds of one message.
    pub const TOTAL: usize = 6000;
    pub const CONTENT: usize = 2000;
    pub const EMBEDS: usize = 10;
}

/// Who is mentioned on critical alerts.
#[derive(Debug, Clone, Default)]
pub struct Mentions {
    pub users: Vec<String>,
    pub roles: Vec<String>,
}

impl Mentions {
    /// The `content` that pings and the `allowed_mentions` that lets exactly these through
    /// (and nothing else: no @everyone from a modem's text).
    pub fn for_notification(&self, n: &Notification) -> (String, Value) {
        let ping = n.severity == Severity::Critical && n.kind == NotificationKind::Firing;
        if !ping || (self.users.is_empty() && self.roles.is_empty()) {
            return (String::new(), json!({ "parse": [] }));
        }
        let content: Vec<String> =
            self.users.iter().map(|u| format!("<@{u}>")).chain(self.roles.iter().map(|r| format!("<@&{r}>"))).collect();
        (content.join(" "), json!({ "parse": [], "users": self.users, "roles": self.roles }))
    }
}

/// Red for critical, orange for warnings, blue for information, green once resolved.
pub fn colour(severity: Severity, resolved: bool) -> u32 {
    match (resolved, severity) {
        (true, _) => 0x2E_CC_71,
        (false, Severity::Critical) => 0xE7_4C_3C,
        (false, Severity::Warning) => 0xF3_9C_12,
        (false, Severity::Info) => 0x34_98_DB,
    }
}

/// `<t:1700000000:R>`: Discord shows it as "5 minutes ago" in the reader's language and zone.
pub fn relative_time(at: std::time::SystemTime) -> String {
    format!("<t:{}:R>", unix_seconds::to_secs(at))
}

/// The embed of one notification.
pub fn notification_embed(n: &Notification) -> Value {
    let what = match n.kind {
        NotificationKind::Firing => "",
        NotificationKind::Resolved => "Resolved: ",
        NotificationKind::Reminder => "Still firing: ",
        NotificationKind::Event => "",
    };
    let fields: Vec<Value> = n.message.fields.iter().map(|(name, value)| json!({ "name": name, "value": value, "inline": true })).collect();
    let mut embed = json!({
        "title": format!("{what}{}", n.message.title),
        "description": format!("{}\n{}", n.message.text, relative_time(n.at)),
        "color": colour(n.severity, n.kind == NotificationKind::Resolved),
        "fields": fields,
        "footer": { "text": format!("{} · incident #{} · {}", n.site, n.incident, n.alert) },
        "timestamp": humantime::format_rfc3339_seconds(n.at).to_string(),
    });
    fit(&mut embed);
    embed
}

/// The embed of a whole incident, edited in place as it evolves (the bot's alert message).
pub fn incident_embed(view: &IncidentView) -> Value {
    let lines: Vec<String> = view
        .entries
        .iter()
        .map(|e| {
            let mark = match e.kind {
                NotificationKind::Firing => "🔴",
                NotificationKind::Resolved => "🟢",
                NotificationKind::Reminder => "⏰",
                NotificationKind::Event => "🔸",
            };
            format!("{mark} {} {}", relative_time(e.at), e.text)
        })
        .collect();
    let status = if view.resolved { "resolved" } else { "ongoing" };
    let mut embed = json!({
        "title": view.title,
        "description": keep_last_lines(&lines, limits::DESCRIPTION),
        "color": colour(view.severity, view.resolved),
        "footer": { "text": format!("{} · incident #{} · {status}", view.site, view.id) },
        "timestamp": humantime::format_rfc3339_seconds(view.opened_at).to_string(),
    });
    fit(&mut embed);
    embed
}

/// The most recent lines that fit in `max` characters (an incident's start matters less than
/// where it stands).
fn keep_last_lines(lines: &[String], max: usize) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut size = 0;
    for line in lines.iter().rev() {
        let len = line.chars().count() + 1;
        if size + len > max {
            break;
        }
        size += len;
        kept.push(line);
    }
    kept.reverse();
    kept.join("\n")
}

/// Truncates an embed to Discord's limits: per field, then as a whole.
pub fn fit(embed: &mut Value) {
    truncate_at(embed, "/title", limits::TITLE);
    truncate_at(embed, "/description", limits::DESCRIPTION);
    truncate_at(embed, "/footer/text", limits::FOOTER);
    if let Some(fields) = embed.get_mut("fields").and_then(Value::as_array_mut) {
        fields.truncate(limits::FIELDS);
        for field in fields.iter_mut() {
            truncate_at(field, "/name", limits::FIELD_NAME);
            truncate_at(field, "/value", limits::FIELD_VALUE);
            // Discord refuses empty field values.
            if field.pointer("/value").and_then(Value::as_str).is_some_and(str::is_empty) {
                field["value"] = "—".into();
            }
        }
    }
    // The whole embed within the total: drop fields from the end, then shorten the description.
    while embed_size(embed) > limits::TOTAL {
        let fields = embed.get_mut("fields").and_then(Value::as_array_mut);
        match fields {
            Some(fields) if !fields.is_empty() => {
                fields.pop();
            }
            _ => {
                let excess = embed_size(embed) - limits::TOTAL;
                let len = embed["description"].as_str().map(|d| d.chars().count()).unwrap_or(0);
                truncate_at(embed, "/description", len.saturating_sub(excess));
                break;
            }
        }
    }
}

/// The characters Discord counts towards the 6000 total.
pub fn embed_size(embed: &Value) -> usize {
    let len = |p: &str| embed.pointer(p).and_then(Value::as_str).map(|s| s.chars().count()).unwrap_or(0);
    let fields: usize = embed
        .get("fields")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .map(|f| {
                    let l = |k: &str| f.get(k).and_then(Value::as_str).map(|s| s.chars().count()).unwrap_or(0);
                    l("name") + l("value")
                })
                .sum()
        })
        .unwrap_or(0);
    len("/title") + len("/description") + len("/footer/text") + len("/author/name") + fields
}

fn truncate_at(value: &mut Value, pointer: &str, max: usize) {
    if let Some(Value::String(s)) = value.pointer_mut(pointer)
        && s.chars().count() > max
    {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        *s = format!("{cut}…");
    }
}

/// A Discord channel webhook: one message per notification.
pub struct DiscordWebhook {
    url: String,
    mentions: Mentions,
    http: reqwest::Client,
}

impl DiscordWebhook {
    /// `url`: `https://discord.com/api/webhooks/{id}/{token}` (a secret: it is the token).
    pub fn new(url: String, mentions: Mentions) -> DiscordWebhook {
        DiscordWebhook { url, mentions, http: http_client() }
    }

    pub async fn deliver(&self, n: &Notification) -> Result<(), DeliveryError> {
        let (content, allowed_mentions) = self.mentions.for_notification(n);
        let body = json!({
            "content": content,
            "embeds": [notification_embed(n)],
            "allowed_mentions": allowed_mentions,
            "username": "linewatch",
        });
        let url = format!("{}{}wait=true", self.url, if self.url.contains('?') { "&" } else { "?" });
        // The URL is the secret: errors name Discord, not the URL.
        http_outcome(self.http.post(url).json(&body).send().await, "Discord webhook").await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::alerts::{AlertId, IncidentEntry, Message};

    fn notification(kind: NotificationKind, severity: Severity, fields: usize, text_len: usize) -> Notification {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let view = IncidentView {
            id: 7,
            site: "home".into(),
            title: "Line down on home".into(),
            severity,
            opened_at: at,
            resolved: false,
            entries: (0..500)
                .map(|i| IncidentEntry { at, kind, severity, text: format!("entry {i} {}", "x".repeat(40)) })
                .collect(),
        };
        Notification {
            incident: 7,
            site: "home".into(),
            kind,
            alert: AlertId::new("line_down", "home", ""),
            severity,
            message: Message {
                title: "T".repeat(300),
                text: "d".repeat(text_len),
                fields: (0..fields).map(|i| (format!("f{i}"), "v".repeat(2000))).collect(),
            },
            at,
            incident_view: view,
        }
    }

    #[test]
    fn embeds_stay_within_discord_limits() {
        for (fields, text) in [(40, 5000), (0, 10_000), (3, 10)] {
            let embed = notification_embed(&notification(NotificationKind::Firing, Severity::Critical, fields, text));
            assert!(embed["title"].as_str().unwrap().chars().count() <= limits::TITLE);
            assert!(embed["description"].as_str().unwrap().chars().count() <= limits::DESCRIPTION);
            let f = embed["fields"].as_array().unwrap();
            assert!(f.len() <= limits::FIELDS);
            assert!(f.iter().all(|f| f["value"].as_str().unwrap().chars().count() <= limits::FIELD_VALUE));
            assert!(embed_size(&embed) <= limits::TOTAL, "{}", embed_size(&embed));
        }
        let incident = incident_embed(&notification(NotificationKind::Event, Severity::Warning, 0, 0).incident_view);
        assert!(embed_size(&incident) <= limits::TOTAL);
        assert!(incident["description"].as_str().unwrap().contains("entry 499"), "the latest entries are kept");
    }

    #[test]
    fn only_critical_firing_alerts_ping_and_only_whom_we_name() {
        let mentions = Mentions { users: vec!["423456789012345678".into()], roles: vec!["5".into()] };
        let (content, allowed) = mentions.for_notification(&notification(NotificationKind::Firing, Severity::Critical, 0, 0));
        assert_eq!(content, "<@423456789012345678> <@&5>");
        assert_eq!(allowed, json!({ "parse": [], "users": ["423456789012345678"], "roles": ["5"] }));
        let (content, allowed) = mentions.for_notification(&notification(NotificationKind::Resolved, Severity::Critical, 0, 0));
        assert_eq!((content.as_str(), allowed), ("", json!({ "parse": [] })));
    }

    #[test]
    fn colours_by_severity_and_green_when_resolved() {
        let firing = notification_embed(&notification(NotificationKind::Firing, Severity::Critical, 0, 0));
        let resolved = notification_embed(&notification(NotificationKind::Resolved, Severity::Critical, 0, 0));
        assert_eq!((firing["color"].as_u64(), resolved["color"].as_u64()), (Some(0xE74C3C), Some(0x2ECC71)));
        assert!(firing["description"].as_str().unwrap().contains("<t:1700000000:R>"));
    }
}

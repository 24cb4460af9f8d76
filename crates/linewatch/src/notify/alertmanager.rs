//! Alertmanager push: `POST /api/v2/alerts`. Firing alerts are posted with an end a day ahead,
//! which every reminder (default every 4 h) pushes on, so an alert does not hang around forever
//! if linewatch itself is gone; a resolve posts it with `endsAt` now; one-off events are posted
//! already ended, so Alertmanager routes them once.

use std::time::{Duration, SystemTime};

use super::{DeliveryError, http_client, http_outcome};
use crate::alerts::{Notification, NotificationKind};

/// How long Alertmanager keeps a firing alert without hearing of it again.
const FIRING_HORIZON: Duration = Duration::from_secs(24 * 3600);

pub struct Alertmanager {
    url: String,
    http: reqwest::Client,
}

impl Alertmanager {
    /// `base`: Alertmanager's address, e.g. `http://127.0.0.1:9093`.
    pub fn new(base: &str) -> Alertmanager {
        Alertmanager { url: format!("{}/api/v2/alerts", base.trim_end_matches('/')), http: http_client() }
    }

    pub async fn deliver(&self, n: &Notification) -> Result<(), DeliveryError> {
        let body = serde_json::json!([alert(n)]);
        http_outcome(self.http.post(&self.url).json(&body).send().await, "alertmanager").await.map(|_| ())
    }
}

fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

fn alert(n: &Notification) -> serde_json::Value {
    let mut labels = serde_json::json!({
        "alertname": n.alert.rule,
        "target": n.alert.target,
        "site": n.site,
        "severity": format!("{:?}", n.severity).to_lowercase(),
        "source": "linewatch",
    });
    if !n.alert.key.is_empty() {
        labels["key"] = n.alert.key.clone().into();
    }
    let mut alert = serde_json::json!({
        "labels": labels,
        "annotations": { "summary": n.message.title, "description": n.message.text, "incident": n.incident.to_string() },
        "startsAt": rfc3339(n.at),
    });
    match n.kind {
        NotificationKind::Resolved => alert["endsAt"] = rfc3339(n.at).into(),
        // Alertmanager resolves an alert it has not heard of again after `resolve_timeout`; an
        // event is over as soon as it is told.
        NotificationKind::Event => alert["endsAt"] = rfc3339(n.at + Duration::from_secs(1)).into(),
        NotificationKind::Firing | NotificationKind::Reminder => alert["endsAt"] = rfc3339(n.at + FIRING_HORIZON).into(),
    }
    alert
}

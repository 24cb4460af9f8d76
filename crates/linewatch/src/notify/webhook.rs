//! Generic JSON webhook: the notification as JSON in a POST, with an idempotency key so a
//! receiver can drop the duplicate of a delivery we could not confirm.

use super::{DeliveryError, http_client, http_outcome};
use crate::alerts::Notification;

pub struct Webhook {
    url: String,
    http: reqwest::Client,
}

impl Webhook {
    pub fn new(url: String) -> Webhook {
        Webhook { url, http: http_client() }
    }

    pub async fn deliver(&self, n: &Notification, key: &str) -> Result<(), DeliveryError> {
        let request = self.http.post(&self.url).header("Idempotency-Key", key).json(n);
        http_outcome(request.send().await, "webhook").await.map(|_| ())
    }
}

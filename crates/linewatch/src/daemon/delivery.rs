//! Draining the outbox: one worker per notifier, delivering its notifications in order and
//! retrying with backoff (or the receiver's own `retry_after`) until they arrive. Nothing is
//! lost across restarts: a notification leaves the queue only once delivered (or refused for
//! good by the receiver, which is logged and kept).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, watch};

use crate::alerts::Notification;
use crate::notify::{DeliveryError, Route};
use crate::store::Outbox;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How often an idle worker looks again even without a wake-up.
const IDLE_POLL: Duration = Duration::from_secs(30);

/// The wait before attempt number `attempts + 1`: the receiver's `retry_after` when it gave
/// one, else 1 s doubling, capped.
pub fn backoff(attempts: u32, retry_after: Option<Duration>) -> Duration {
    retry_after.unwrap_or_else(|| Duration::from_secs(1u64 << attempts.min(9))).min(MAX_BACKOFF)
}

/// Delivers `route`'s notifications until `stop` turns true (finishing the attempt under way).
pub async fn run(route: Route, store: PathBuf, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    let name = route.routing.name.clone();
    let outbox = match Outbox::open(&store) {
        Ok(outbox) => outbox,
        Err(e) => {
            tracing::error!(notifier = %name, error = %e, "cannot open the outbox: this notifier delivers nothing");
            return;
        }
    };
    while !*stop.borrow() {
        let wait = match outbox.next(&name) {
            Ok(None) => IDLE_POLL,
            Ok(Some(item)) => match item.not_before.duration_since(SystemTime::now()) {
                Ok(wait) if !wait.is_zero() => wait,
                _ => {
                    let result = attempt(&route, &item.payload, item.id).await;
                    record(&name, &outbox, item.id, item.attempts, result);
                    continue;
                }
            },
            Err(e) => {
                tracing::error!(notifier = %name, error = %e, "cannot read the outbox");
                IDLE_POLL
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

/// One delivery attempt of a queued notification.
async fn attempt(route: &Route, payload: &str, id: i64) -> Result<(), DeliveryError> {
    let notification: Notification = serde_json::from_str(payload)
        .map_err(|e| DeliveryError::Permanent { reason: format!("the queued notification cannot be read: {e}") })?;
    // The outbox id makes the delivery idempotent where the receiver supports it.
    route.notifier.deliver(&notification, &format!("linewatch-{id}")).await
}

/// Records how an attempt went: delivered, to retry after a backoff, or set aside for good.
fn record(name: &str, outbox: &Outbox, id: i64, attempts: u32, result: Result<(), DeliveryError>) {
    let now = SystemTime::now();
    let recorded = match result {
        Ok(()) => {
            tracing::debug!(notifier = %name, id, "delivered");
            outbox.delivered(id, now)
        }
        Err(DeliveryError::Retry { after, reason }) => {
            let wait = backoff(attempts, after);
            tracing::warn!(notifier = %name, id, attempts = attempts + 1, retry_in = ?wait, %reason, "delivery failed; will retry");
            outbox.retry(id, now + wait, &reason)
        }
        Err(DeliveryError::Permanent { reason }) => {
            tracing::error!(notifier = %name, id, %reason, "the receiver refuses this notification for good; set aside");
            outbox.failed(id, now, &reason)
        }
    };
    if let Err(e) = recorded {
        tracing::error!(notifier = %name, id, error = %e, "cannot record the delivery in the outbox");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_and_honours_retry_after() {
        assert_eq!(backoff(0, None), Duration::from_secs(1));
        assert_eq!(backoff(3, None), Duration::from_secs(8));
        assert_eq!(backoff(30, None), MAX_BACKOFF);
        assert_eq!(backoff(5, Some(Duration::from_millis(1500))), Duration::from_millis(1500));
        assert_eq!(backoff(0, Some(Duration::from_secs(86_400))), MAX_BACKOFF);
    }
}

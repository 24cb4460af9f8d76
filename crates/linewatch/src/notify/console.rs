//! Alerts printed on standard output, one line each (for `linewatch demo` and journald).

use super::DeliveryError;
use crate::alerts::{Notification, NotificationKind};

pub struct Console;

impl Console {
    pub fn deliver(&self, n: &Notification) -> Result<(), DeliveryError> {
        let mark = match n.kind {
            NotificationKind::Firing => "FIRING  ",
            NotificationKind::Resolved => "RESOLVED",
            NotificationKind::Reminder => "STILL   ",
            NotificationKind::Event => "EVENT   ",
        };
        // The figures (rates and SNR now and before...) on the same line.
        let fields: String = n.message.fields.iter().map(|(name, value)| format!(" | {name}: {value}")).collect();
        println!(
            "{} {mark} [{:?}] #{} {}: {}{fields}",
            humantime::format_rfc3339_seconds(n.at),
            n.severity,
            n.incident,
            n.message.title,
            n.message.text
        );
        Ok(())
    }
}

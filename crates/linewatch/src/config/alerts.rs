//! `[alerts]`: when each rule fires and resolves. Every rule works out of the box; a table
//! per rule changes its thresholds, e.g.
//!
//! ```toml
//! [alerts]
//! reminder = "4h"
//! [alerts.crc_burst]
//! threshold = 200
//! window = "5m"
//! [alerts.snr_low]
//! enabled = false
//! ```

use std::time::Duration;

use serde::Deserialize;

use super::duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Firing alerts are announced again this often; `0s` turns reminders off.
    #[serde(deserialize_with = "duration")]
    pub reminder: Duration,
    /// An incident whose alerts all resolved stays open this long, so what follows (a new IP,
    /// DDNS catching up) is told in the same incident.
    #[serde(deserialize_with = "duration")]
    pub incident_grace: Duration,
    pub line_down: LineDown,
    pub modem_unreachable: ModemUnreachable,
    pub retrain: Switch,
    pub crc_burst: CrcBurst,
    pub es_burst: EsBurst,
    pub snr_low: SnrLow,
    pub snr_drop: SnrDrop,
    pub rate_drop: RateDrop,
    pub host_key_changed: Switch,
    pub wan_down: Debounce,
    pub wan_ip_changed: Switch,
    pub cgnat: Debounce,
    pub private_wan: Debounce,
    pub nat_upstream: Debounce,
    pub gateway_down: Debounce,
    pub gateway_degraded: Debounce,
    pub ddns_stale: DdnsStale,
    pub firewall_unreachable: Debounce,
}

impl AlertsConfig {
    /// Thresholds that can hold at all.
    pub(super) fn check(&self) -> Result<(), String> {
        let pct = self.rate_drop.drop_pct;
        if !(pct > 0.0 && pct < 100.0) {
            return Err(format!("rate_drop.drop_pct = {pct}: a share of the rate, between 0 and 100 (e.g. 10)"));
        }
        let snr = &self.snr_low;
        let usable = snr.floor_db.is_finite() && snr.hysteresis_db.is_finite() && snr.hysteresis_db >= 0.0;
        if !usable {
            return Err("snr_low: floor_db must be a number and hysteresis_db 0 or more (e.g. 3.0 and 0.5)".into());
        }
        let drop = self.snr_drop.drop_db;
        if !(drop > 0.0 && drop.is_finite()) {
            return Err(format!("snr_drop.drop_db = {drop}: how many dB below the 7-day baseline, more than 0 (e.g. 3.0)"));
        }
        Ok(())
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            reminder: Duration::from_secs(4 * 3600),
            incident_grace: Duration::from_secs(15 * 60),
            line_down: LineDown::default(),
            modem_unreachable: ModemUnreachable::default(),
            retrain: Switch::default(),
            crc_burst: CrcBurst::default(),
            es_burst: EsBurst::default(),
            snr_low: SnrLow::default(),
            snr_drop: SnrDrop::default(),
            rate_drop: RateDrop::default(),
            host_key_changed: Switch::default(),
            wan_down: Debounce::default(),
            wan_ip_changed: Switch::default(),
            cgnat: Debounce::default(),
            private_wan: Debounce::default(),
            nat_upstream: Debounce::default(),
            gateway_down: Debounce::default(),
            gateway_degraded: Debounce::default(),
            ddns_stale: DdnsStale::default(),
            firewall_unreachable: Debounce::default(),
        }
    }
}

/// The line out of showtime: announced with the last good reading, resolved with the
/// downtime and the new rates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineDown {
    pub enabled: bool,
    /// How long the line must stay down before it is announced (`0s`: at the first check).
    #[serde(rename = "for", deserialize_with = "duration")]
    pub r#for: Duration,
    /// Good checks in a row that resolve it.
    pub resolve_checks: u32,
}

impl Default for LineDown {
    fn default() -> Self {
        LineDown { enabled: true, r#for: Duration::ZERO, resolve_checks: 1 }
    }
}

/// The modem does not answer (the path to it may be broken while the line is fine).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModemUnreachable {
    pub enabled: bool,
    #[serde(rename = "for", deserialize_with = "duration")]
    pub r#for: Duration,
    pub resolve_checks: u32,
}

impl Default for ModemUnreachable {
    fn default() -> Self {
        ModemUnreachable { enabled: true, r#for: Duration::from_secs(90), resolve_checks: 1 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Switch {
    pub enabled: bool,
}

impl Default for Switch {
    fn default() -> Self {
        Switch { enabled: true }
    }
}

/// CRC errors per direction summed over a sliding window. Errors of the first minute after a
/// resync are training noise and do not count.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrcBurst {
    pub enabled: bool,
    pub threshold: u64,
    #[serde(deserialize_with = "duration")]
    pub window: Duration,
}

impl Default for CrcBurst {
    fn default() -> Self {
        CrcBurst { enabled: true, threshold: 500, window: Duration::from_secs(300) }
    }
}

/// Errored seconds per direction over a sliding window, training noise excluded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsBurst {
    pub enabled: bool,
    pub threshold: u64,
    #[serde(deserialize_with = "duration")]
    pub window: Duration,
}

impl Default for EsBurst {
    fn default() -> Self {
        EsBurst { enabled: true, threshold: 30, window: Duration::from_secs(300) }
    }
}

/// SNR margin below a floor; resolved above floor + hysteresis.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnrLow {
    pub enabled: bool,
    pub floor_db: f64,
    pub hysteresis_db: f64,
    #[serde(rename = "for", deserialize_with = "duration")]
    pub r#for: Duration,
}

impl Default for SnrLow {
    fn default() -> Self {
        SnrLow { enabled: true, floor_db: 3.0, hysteresis_db: 0.5, r#for: Duration::from_secs(300) }
    }
}

/// SNR margin this far below its 7-day baseline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnrDrop {
    pub enabled: bool,
    pub drop_db: f64,
    #[serde(rename = "for", deserialize_with = "duration")]
    pub r#for: Duration,
}

impl Default for SnrDrop {
    fn default() -> Self {
        SnrDrop { enabled: true, drop_db: 3.0, r#for: Duration::from_secs(900) }
    }
}

/// After a retrain: the sync or attainable rate this much lower than before, or a new profile
/// (the provider's DLM at work).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateDrop {
    pub enabled: bool,
    pub drop_pct: f64,
}

impl Default for RateDrop {
    fn default() -> Self {
        RateDrop { enabled: true, drop_pct: 10.0 }
    }
}

/// A WAN condition, announced once it was seen on `checks` checks in a row (and for `for`),
/// resolved by `resolve_checks` good ones: a blip of the firewall's view is not an incident.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Debounce {
    pub enabled: bool,
    pub checks: u32,
    #[serde(rename = "for", deserialize_with = "duration")]
    pub r#for: Duration,
    pub resolve_checks: u32,
}

impl Default for Debounce {
    fn default() -> Self {
        Debounce { enabled: true, checks: 2, r#for: Duration::ZERO, resolve_checks: 2 }
    }
}

/// The DDNS name still resolves to another address than the WAN's after `for`: the update
/// failed. The alert carries the new address.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DdnsStale {
    pub enabled: bool,
    #[serde(rename = "for", deserialize_with = "duration")]
    pub r#for: Duration,
}

impl Default for DdnsStale {
    fn default() -> Self {
        DdnsStale { enabled: true, r#for: Duration::from_secs(600) }
    }
}

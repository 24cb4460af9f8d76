//! Samples for store tests, named as `metrics.rs` names them.

#![allow(dead_code)] // each test file uses its own part

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use linewatch::metrics::{Kind, Sample};

/// 2023-11-14T00:00:00Z: a UTC midnight, so hours and days start at round offsets.
pub const MIDNIGHT: u64 = 1_699_920_000;

/// `secs` after [`MIDNIGHT`].
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(MIDNIGHT + secs)
}

pub fn snr(direction: &str, value: f64) -> Sample {
    Sample { name: "dsl_signal_to_noise_margin_db", kind: Kind::Gauge, labels: vec![("direction", direction.to_string())], value }
}

pub fn rate(direction: &str, value: f64) -> Sample {
    Sample { name: "dsl_datarate", kind: Kind::Gauge, labels: vec![("direction", direction.to_string())], value }
}

/// The CRC errors of one interval.
pub fn crc(loc: &str, value: f64) -> Sample {
    Sample { name: "dsl_crc_total", kind: Kind::Counter, labels: vec![("loc", loc.to_string())], value }
}

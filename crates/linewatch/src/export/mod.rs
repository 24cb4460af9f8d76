//! Exports: the latest samples of every line on `/metrics` for Prometheus, and pushes of each
//! reading to InfluxDB (line protocol) and Prometheus remote-write receivers.
//!
//! The daemon keeps, per target, the samples of its latest reading ([`crate::metrics::line_samples`]
//! plus its own: scrape success and duration, retrains, later `wan_*`) as a [`TargetSamples`].
//! It puts them in [`Latest`] (served by [`prometheus::router`]) and hands them to one
//! [`push::Pusher`] per `[[export]]`. Every series gets a `line` label, the target's name, so
//! several lines share one endpoint. Values that are not finite are never exported.

pub mod influx;
pub mod prometheus;
pub mod push;
pub mod remote_write;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::metrics::Sample;

/// Label values longer than this are cut (at a character boundary): a modem printing a
/// megabyte of "firmware version" must not make megabyte series.
pub const MAX_LABEL_BYTES: usize = 256;

/// The samples of one reading of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSamples {
    /// The target's name: the `line` label of every series.
    pub line: String,
    /// When they were read. Pushes carry it; `/metrics` leaves the time to the scraper.
    pub at: SystemTime,
    pub samples: Vec<Sample>,
}

impl TargetSamples {
    /// The samples worth exporting (finite values), each with its labels: `line` first, then
    /// the sample's own (a `line` of its own is dropped), values capped.
    fn series(&self) -> impl Iterator<Item = (&Sample, Vec<(&'static str, &str)>)> {
        self.samples.iter().filter(|s| s.value.is_finite()).map(move |s| {
            let mut labels = Vec::with_capacity(s.labels.len() + 1);
            labels.push(("line", capped(&self.line)));
            labels.extend(s.labels.iter().filter(|(k, _)| *k != "line").map(|(k, v)| (*k, capped(v))));
            (s, labels)
        })
    }

    fn unix_seconds(&self) -> u64 {
        self.at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }
}

fn capped(value: &str) -> &str {
    &value[..value.floor_char_boundary(MAX_LABEL_BYTES)]
}

/// The latest samples of every target, shared by whoever reads the modems (writes) and
/// `/metrics` (reads).
#[derive(Debug, Clone, Default)]
pub struct Latest(Arc<RwLock<BTreeMap<String, TargetSamples>>>);

impl Latest {
    /// Replaces the samples of `target.line`.
    pub fn update(&self, target: TargetSamples) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).insert(target.line.clone(), target);
    }

    /// Forgets a target (removed from the config): its series disappear from `/metrics`.
    pub fn remove(&self, line: &str) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).remove(line);
    }

    /// The Prometheus text exposition of all targets, in the order of their names.
    pub fn render_prometheus(&self) -> String {
        prometheus::render(self.0.read().unwrap_or_else(|e| e.into_inner()).values())
    }
}

/// `# HELP` of every family linewatch exports, with units.
const HELP: &[(&str, &str)] = &[
    ("dsl_info", "Modem and DSLAM identification (always 1): DSLAM vendors, chipset, firmware, API and driver versions."),
    ("dsl_line_info", "Line configuration (always 1): annex, standard, TPS-TC mode, VDSL2 profile."),
    ("dsl_up", "1 while the line is in showtime, else 0; detail is the modem's line-state text."),
    ("dsl_uptime_seconds", "Time since the line came up (showtime), in seconds."),
    ("dsl_line_attenuation_db", "Line attenuation (LATN), in dB."),
    ("dsl_signal_attenuation_db", "Signal attenuation (SATN), in dB."),
    ("dsl_signal_to_noise_margin_db", "Signal-to-noise ratio margin, in dB."),
    ("dsl_aggregated_transmit_power_db", "Actual aggregate transmit power (ACTATP), in dBm."),
    ("dsl_latency_seconds", "Interleaving delay, in seconds."),
    ("dsl_datarate", "Actual data rate (sync rate), in bit/s."),
    ("dsl_max_datarate", "Attainable data rate, in bit/s."),
    (
        "dsl_error_seconds_total",
        "Seconds with errors (FECS, ES, SES, LOSS, LOF, UAS), in seconds, as counted by the modem; loc near = seen by the modem, far = reported by the DSLAM.",
    ),
    ("dsl_errors_total", "Errors counted by the modem (HEC, CRC), count; loc near = seen by the modem, far = reported by the DSLAM."),
    ("dsl_erb_total", "G.INP Ethernet reporting blocks sent and discarded, count."),
    ("dsl_fec_total", "Code words corrected by forward error correction, count; loc near = downstream, far = upstream."),
    ("dsl_crc_total", "Code words with uncorrectable CRC errors, count; loc near = downstream, far = upstream."),
    ("dsl_retransmissions_total", "G.INP retransmissions: retransmitted, corrected and uncorrected code words, count."),
    ("dsl_retrains_total", "Retrains (resyncs) of the line seen by linewatch, count."),
    ("dsl_last_retrain_timestamp_seconds", "When linewatch saw the last retrain, Unix time in seconds."),
    ("dsl_scrape_success", "1 when the last reading of the modem worked, else 0."),
    ("dsl_scrape_duration_seconds", "How long the last reading of the modem took, in seconds."),
    ("wan_scrape_success", "1 when the last reading of the WAN (firewall API or own probes) worked, else 0."),
    ("wan_scrape_duration_seconds", "How long the last reading of the WAN took, in seconds."),
    ("wan_up", "1 while the WAN interface is up, else 0."),
    ("wan_gateway_rtt_seconds", "Round-trip time to the gateway, in seconds."),
    ("wan_gateway_rtt_stddev_seconds", "Standard deviation of the round-trip time to the gateway, in seconds."),
    ("wan_gateway_loss_ratio", "Share of probes to the gateway that were lost, 0 to 1."),
    ("wan_gateway_up", "1 while the gateway answers, else 0."),
    ("wan_address_info", "The WAN interface's address (always 1)."),
    ("wan_cgnat", "1 when the WAN address is behind carrier-grade NAT (RFC 6598 shared or private space), else 0."),
    ("wan_public_address_info", "The public address the Internet sees (always 1)."),
];

/// The `# HELP` text of a family.
pub fn help(name: &str) -> &'static str {
    HELP.iter().find(|(n, _)| *n == name).map_or("linewatch metric (no description yet).", |(_, h)| h)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::metrics::{Kind, line_samples};

    /// The Broadcom capture as the daemon would keep it, plus the daemon's own samples.
    pub fn home(at: SystemTime) -> TargetSamples {
        let capture = include_str!("../../../../fixtures/xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt");
        let mut samples = line_samples(&xdsl::Dialect::Broadcom.parse(capture).unwrap());
        samples.push(Sample { name: "dsl_scrape_success", kind: Kind::Gauge, labels: vec![], value: 1.0 });
        samples.push(Sample { name: "dsl_retrains_total", kind: Kind::Counter, labels: vec![], value: 3.0 });
        TargetSamples { line: "home".into(), at, samples }
    }

    #[test]
    fn every_family_has_a_help_text() {
        let scrapes = crate::metrics::LINE_SCRAPE.into_iter().chain(crate::metrics::WAN_SCRAPE);
        for name in home(SystemTime::now()).samples.iter().map(|s| s.name).chain(scrapes) {
            assert!(HELP.iter().any(|(n, _)| *n == name), "{name} has no HELP");
        }
    }

    #[test]
    fn line_label_first_long_values_capped_non_finite_dropped() {
        let long = "é".repeat(200); // 400 bytes
        let target = TargetSamples {
            line: "home".into(),
            at: UNIX_EPOCH,
            samples: vec![
                Sample { name: "dsl_info", kind: Kind::Info, labels: vec![("line", "spoof".into()), ("chipset", long)], value: 1.0 },
                Sample { name: "dsl_datarate", kind: Kind::Gauge, labels: vec![], value: f64::NAN },
                Sample { name: "dsl_uptime_seconds", kind: Kind::Gauge, labels: vec![], value: f64::INFINITY },
            ],
        };
        let series: Vec<_> = target.series().collect();
        assert_eq!(series.len(), 1);
        let labels = &series[0].1;
        assert_eq!(labels[0], ("line", "home"));
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[1].1.len(), 256);
        assert!(labels[1].1.chars().all(|c| c == 'é'));
    }
}

//! The names of everything linewatch measures, in one place: the OpenWrt `dsl_*` family
//! verbatim (so existing dashboards and alert rules keep working) and our additions in the
//! same style (`specs/metrics.md`). The store, `/metrics`, InfluxDB, remote-write, charts and
//! `linewatch history` all take their names from here.

use xdsl::counters::IntervalDeltas;
use xdsl::{Counter, Direction, ErrorCounters, LineReading, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    /// Cumulative; resets are allowed (the modem's own counters reset at retrains).
    Counter,
    /// A gauge of 1 whose labels carry text (versions, mode).
    Info,
}

/// One value of one metric, with its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: &'static str,
    pub kind: Kind,
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

impl Sample {
    pub fn new(name: &'static str, kind: Kind, labels: Vec<(&'static str, String)>, value: f64) -> Sample {
        Sample { name, kind, labels, value }
    }

    /// `name{k="v",...}`, the series key used by the store and in messages.
    pub fn series_key(&self) -> String {
        series_key(self.name, &self.labels)
    }
}

/// `name{k="v",...}` with the labels in the order given.
pub fn series_key(name: &str, labels: &[(&'static str, String)]) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", v.replace('"', "\\\""))).collect();
    format!("{name}{{{}}}", labels.join(","))
}

/// A direction's value in `/metrics` units, from the model.
type DirectionValue = fn(&xdsl::DirectionStats) -> Option<f64>;

/// The physical gauges of a direction: name, unit conversion from the model.
pub const DIRECTION_GAUGES: [(&str, DirectionValue); 7] = [
    ("dsl_datarate", |d| d.rate_bps.map(|v| v as f64)),
    ("dsl_max_datarate", |d| d.attainable_bps.map(|v| v as f64)),
    ("dsl_signal_to_noise_margin_db", |d| d.snr_margin_db),
    ("dsl_line_attenuation_db", |d| d.attenuation_db),
    ("dsl_signal_attenuation_db", |d| d.signal_attenuation_db),
    ("dsl_aggregated_transmit_power_db", |d| d.power_dbm),
    ("dsl_latency_seconds", |d| d.interleave_delay_ms.map(|ms| ms / 1000.0)),
];

/// Where each modem counter goes: metric name and its distinguishing label.
pub fn counter_metric(counter: Counter) -> (&'static str, Option<(&'static str, &'static str)>) {
    match counter {
        Counter::Fec => ("dsl_fec_total", None),
        Counter::Crc => ("dsl_crc_total", None),
        Counter::Fecs => ("dsl_error_seconds_total", Some(("err", "forward error correction"))),
        Counter::Es => ("dsl_error_seconds_total", Some(("err", "errored"))),
        Counter::Ses => ("dsl_error_seconds_total", Some(("err", "severely errored"))),
        Counter::Uas => ("dsl_error_seconds_total", Some(("err", "unavailable"))),
        Counter::Los => ("dsl_error_seconds_total", Some(("err", "loss of signal"))),
        Counter::Lof => ("dsl_error_seconds_total", Some(("err", "loss of frame"))),
        Counter::Hec => ("dsl_errors_total", Some(("err", "header error code error"))),
        Counter::RtxTx => ("dsl_retransmissions_total", Some(("kind", "retransmitted"))),
        Counter::RtxC => ("dsl_retransmissions_total", Some(("kind", "corrected"))),
        Counter::RtxUc => ("dsl_retransmissions_total", Some(("kind", "uncorrected"))),
    }
}

/// `down` is what the modem counts (near end), `up` what the DSLAM reports (far end).
pub fn loc(direction: Direction) -> &'static str {
    match direction {
        Direction::Down => "near",
        Direction::Up => "far",
    }
}

/// The samples of a line reading, as `/metrics` and the exports show them. Counters are the
/// modem's cumulative ones (its `total` window, else since the link came up).
pub fn line_samples(r: &LineReading) -> Vec<Sample> {
    let mut samples = Vec::with_capacity(48);
    let detail = r.state_text.clone().unwrap_or_else(|| r.state.as_str().to_string());
    samples.push(Sample::new("dsl_up", Kind::Gauge, vec![("detail", detail)], f64::from(u8::from(r.is_showtime()))));
    if let Some(uptime) = r.uptime_s {
        samples.push(Sample::new("dsl_uptime_seconds", Kind::Gauge, vec![], uptime as f64));
    }
    let info = [
        ("atuc_vendor", r.far_end.vendor.clone()),
        ("atuc_system_vendor", r.far_end.system_vendor.clone()),
        ("chipset", r.modem.chipset.clone()),
        ("firmware_version", r.modem.firmware_version.clone()),
        ("api_version", r.modem.api_version.clone()),
        ("driver_version", r.modem.driver_version.clone()),
    ];
    samples.push(Sample::new("dsl_info", Kind::Info, info.map(|(k, v)| (k, v.unwrap_or_default())).to_vec(), 1.0));
    let line_info = [
        ("annex", r.annex.clone()),
        ("standard", r.mode.map(|m| m.as_str().to_string())),
        ("mode", r.tps_tc.map(|t| format!("{t:?}").to_uppercase())),
        ("profile", r.profile.clone()),
    ];
    samples.push(Sample::new("dsl_line_info", Kind::Info, line_info.map(|(k, v)| (k, v.unwrap_or_default())).to_vec(), 1.0));
    for direction in Direction::BOTH {
        let stats = r.direction(direction);
        for (name, value) in DIRECTION_GAUGES {
            if let Some(v) = value(stats) {
                samples.push(Sample::new(name, Kind::Gauge, vec![("direction", direction.as_str().to_string())], v));
            }
        }
    }
    for direction in Direction::BOTH {
        // Per counter, the longest window the modem keeps it in: total, else since the link
        // (Broadcom has its G.INP counters only there; a counter may reset, as at a retrain).
        let mut counters = ErrorCounters::default();
        for counter in Counter::ALL {
            let value = [Window::Total, Window::SinceLink].into_iter().find_map(|w| r.counters.get(w)?.direction(direction).get(counter));
            counters.set(counter, value);
        }
        counter_samples(&counters, direction, &mut samples);
    }
    samples
}

/// The samples of a WAN reading: link state per interface, gateway RTT/stddev/loss, the
/// addresses (as info metrics) and the CGNAT verdict.
pub fn wan_samples(r: &crate::wan::WanReading) -> Vec<Sample> {
    use crate::wan::{GatewayStatus, LinkStatus, Verdict};
    let mut samples = Vec::new();
    for interface in r.wan_interfaces() {
        let label = || vec![("interface", interface.name.clone())];
        match interface.status {
            LinkStatus::Up => samples.push(Sample::new("wan_up", Kind::Gauge, label(), 1.0)),
            LinkStatus::Down => samples.push(Sample::new("wan_up", Kind::Gauge, label(), 0.0)),
            LinkStatus::Unknown => {}
        }
        if let Some(address) = interface.address {
            samples.push(Sample::new("wan_address_info", Kind::Info, vec![("interface", interface.name.clone()), ("address", address.to_string())], 1.0));
        }
        let cgnat = r.verdicts.iter().any(|v| matches!(v, Verdict::Cgnat { interface: i, .. } if *i == interface.name));
        samples.push(Sample::new("wan_cgnat", Kind::Gauge, label(), f64::from(u8::from(cgnat))));
    }
    for gateway in &r.gateways {
        let label = || vec![("gateway", gateway.name.clone())];
        match gateway.status {
            GatewayStatus::Online => samples.push(Sample::new("wan_gateway_up", Kind::Gauge, label(), 1.0)),
            GatewayStatus::Down => samples.push(Sample::new("wan_gateway_up", Kind::Gauge, label(), 0.0)),
            GatewayStatus::Unknown => {}
        }
        let figures = [
            ("wan_gateway_rtt_seconds", gateway.rtt_ms.map(|ms| ms / 1000.0)),
            ("wan_gateway_rtt_stddev_seconds", gateway.rtt_stddev_ms.map(|ms| ms / 1000.0)),
            ("wan_gateway_loss_ratio", gateway.loss_pct.map(|pct| pct / 100.0)),
        ];
        for (name, value) in figures {
            if let Some(value) = value {
                samples.push(Sample::new(name, Kind::Gauge, label(), value));
            }
        }
    }
    if let Some(address) = r.public_ip.as_ref().and_then(|p| p.address) {
        samples.push(Sample::new("wan_public_address_info", Kind::Info, vec![("address", address.to_string())], 1.0));
    }
    samples
}

/// The names of how a reading went (success, duration) for a modem and for the WAN.
pub const LINE_SCRAPE: [&str; 2] = ["dsl_scrape_success", "dsl_scrape_duration_seconds"];
pub const WAN_SCRAPE: [&str; 2] = ["wan_scrape_success", "wan_scrape_duration_seconds"];

/// How a reading went, under `LINE_SCRAPE` or `WAN_SCRAPE` names.
pub fn scrape_samples([success, duration]: [&'static str; 2], ok: bool, took: std::time::Duration) -> Vec<Sample> {
    vec![Sample::new(success, Kind::Gauge, vec![], f64::from(u8::from(ok))), Sample::new(duration, Kind::Gauge, vec![], took.as_secs_f64())]
}

/// The errors of one interval, under the same names as the counters (stored per interval so
/// "CRC in the last day" is answered from our own data).
pub fn delta_samples(deltas: &IntervalDeltas) -> Vec<Sample> {
    let mut samples = Vec::new();
    for direction in Direction::BOTH {
        counter_samples(deltas.direction(direction), direction, &mut samples);
    }
    samples
}

fn counter_samples(counters: &ErrorCounters, direction: Direction, out: &mut Vec<Sample>) {
    for counter in Counter::ALL {
        let Some(value) = counters.get(counter) else { continue };
        let (name, label) = counter_metric(counter);
        let mut labels: Vec<(&'static str, String)> = label.map(|(k, v)| (k, v.to_string())).into_iter().collect();
        labels.push(("loc", loc(direction).to_string()));
        out.push(Sample::new(name, Kind::Counter, labels, value as f64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broadcom_reading_in_openwrt_names() {
        let capture = include_str!("../../../fixtures/xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt");
        let reading = xdsl::Dialect::Broadcom.parse(capture).unwrap();
        let samples = line_samples(&reading);
        let find = |key: &str| samples.iter().find(|s| s.series_key() == key).map(|s| s.value);
        assert_eq!(find("dsl_up{detail=\"Showtime\"}"), Some(1.0));
        assert_eq!(find("dsl_datarate{direction=\"down\"}"), Some(15_123_000.0));
        assert_eq!(find("dsl_signal_to_noise_margin_db{direction=\"up\"}"), Some(15.2));
        assert_eq!(find("dsl_aggregated_transmit_power_db{direction=\"up\"}"), Some(-2.2));
        assert_eq!(find("dsl_crc_total{loc=\"near\"}"), Some(546.0));
        // Only since the link in this capture, and still exported.
        assert_eq!(find("dsl_retransmissions_total{kind=\"retransmitted\",loc=\"near\"}"), Some(39.0));
        assert_eq!(find("dsl_error_seconds_total{err=\"errored\",loc=\"far\"}"), Some(62.0));
        assert_eq!(find("dsl_uptime_seconds"), Some(94_205.0));
        let line_info = samples.iter().find(|s| s.name == "dsl_line_info").unwrap();
        assert!(line_info.labels.contains(&("profile", "17a".to_string())));
    }

    #[test]
    fn absent_values_make_no_samples() {
        let reading = LineReading::new(xdsl::Dialect::Broadcom);
        let names: Vec<&str> = line_samples(&reading).iter().map(|s| s.name).collect();
        assert_eq!(names, ["dsl_up", "dsl_info", "dsl_line_info"]);
    }
}

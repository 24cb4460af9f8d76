//! Charts of what the store keeps: a metric's title, unit and scale, and a [`ChartSpec`] from
//! the store's series and retrains. Discord's `/graph`, the web page and `linewatch chart`
//! all chart through [`from_store`].

use std::cmp::Ordering;
use std::path::Path;
use std::time::SystemTime;

use xdsl::Direction;

use super::{ChartKind, ChartPoint, ChartSeries, ChartSpec, DOWN, Marker, UP, WIDTH};
use crate::derive::{Event, EventKind};
use crate::store::{self, Query, SeriesData, SeriesKind, Store, StoreError};

/// Points asked of the store per series: 30 days of 5-minute rollups, about ten per pixel
/// column, so a month shows what rrdtool would and a year comes hourly.
pub const MAX_POINTS: usize = 10 * WIDTH as usize;
/// More retrains than this in one chart would be a red wall: the latest are shown.
const MAX_MARKERS: usize = 500;

/// How a metric reads on a chart: values are multiplied by `scale` to be in `unit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Presentation {
    pub title: &'static str,
    /// For counters, what is counted ("errors"), to which the chart adds "per 5 min".
    pub unit: &'static str,
    pub scale: f64,
}

impl Presentation {
    /// The metric's presentation; one we do not know by name is shown as named, its unit
    /// guessed from the name's suffix.
    pub fn of(metric: &str) -> Presentation {
        let p = |title, unit, scale| Presentation { title, unit, scale };
        match metric {
            "dsl_datarate" => p("Sync rate", "Mb/s", 1e-6),
            "dsl_max_datarate" => p("Attainable rate", "Mb/s", 1e-6),
            "dsl_signal_to_noise_margin_db" => p("SNR margin", "dB", 1.0),
            "dsl_line_attenuation_db" => p("Line attenuation", "dB", 1.0),
            "dsl_signal_attenuation_db" => p("Signal attenuation", "dB", 1.0),
            "dsl_aggregated_transmit_power_db" => p("Transmit power", "dBm", 1.0),
            "dsl_latency_seconds" => p("Interleave delay", "ms", 1000.0),
            "dsl_up" => p("Line up (1 = showtime)", "", 1.0),
            "dsl_uptime_seconds" => p("Line uptime", "days", 1.0 / 86_400.0),
            "dsl_fec_total" => p("FEC corrections", "corrections", 1.0),
            "dsl_crc_total" => p("CRC errors", "errors", 1.0),
            "dsl_error_seconds_total" => p("Error seconds", "seconds", 1.0),
            "dsl_errors_total" => p("HEC errors", "errors", 1.0),
            "dsl_retransmissions_total" => p("Retransmissions", "retransmissions", 1.0),
            "wan_gateway_rtt_seconds" => p("Gateway round trip", "ms", 1000.0),
            "wan_gateway_rtt_stddev_seconds" => p("Gateway round trip deviation", "ms", 1000.0),
            "wan_gateway_loss_ratio" => p("Gateway packet loss", "%", 100.0),
            _ if metric.ends_with("_seconds") => p("", "s", 1.0),
            _ if metric.ends_with("_db") => p("", "dB", 1.0),
            _ if metric.ends_with("_ratio") => p("", "%", 100.0),
            _ => p("", "", 1.0),
        }
    }
}

/// The chart of a metric of `target` from the store's answer for [since, until) and the
/// target's events: down before up, rollups with their min/max band, counters as bars,
/// retrains as markers.
pub fn from_store(target: &str, metric: &str, since: SystemTime, until: SystemTime, series: &[SeriesData], events: &[Event]) -> ChartSpec {
    let presentation = Presentation::of(metric);
    let title = if presentation.title.is_empty() { metric } else { presentation.title };
    let kind = if series.iter().any(|s| s.kind == SeriesKind::Delta) { ChartKind::Bars } else { ChartKind::Line };
    let mut ordered: Vec<&SeriesData> = series.iter().collect();
    ordered.sort_by(|a, b| direction_order(a.direction, b.direction));
    // Down blue and up orange, unless several series share a direction (error kinds).
    let by_direction = Direction::BOTH.iter().all(|d| series.iter().filter(|s| s.direction == Some(*d)).count() <= 1);
    let scale = presentation.scale;
    let series = ordered
        .into_iter()
        .map(|s| ChartSeries {
            label: label(s),
            colour: s.direction.filter(|_| by_direction).map(|d| match d {
                Direction::Down => DOWN,
                Direction::Up => UP,
            }),
            points: s
                .points
                .iter()
                .map(|p| match s.kind {
                    SeriesKind::Delta => ChartPoint::new(p.at, p.sum * scale),
                    SeriesKind::Gauge if p.count <= 1 => ChartPoint::new(p.at, p.avg * scale),
                    SeriesKind::Gauge => ChartPoint { at: p.at, value: p.avg * scale, min: Some(p.min * scale), max: Some(p.max * scale) },
                })
                .collect(),
        })
        .collect();
    let retrains: Vec<&Event> = events.iter().filter(|e| e.target == target && e.kind == EventKind::Retrain).collect();
    let markers = retrains[retrains.len().saturating_sub(MAX_MARKERS)..].iter().map(|e| Marker { at: e.at, label: "retrain".into() }).collect();
    ChartSpec { title: format!("{title} · {target}"), unit: presentation.unit.to_string(), kind, since, until, series, markers }
}

/// Queries the store and renders the chart: what `/graph`, the web page and the CLI call.
pub fn render_from_store(store: &Store, target: &str, metric: &str, direction: Option<Direction>, since: SystemTime, until: SystemTime) -> Result<Vec<u8>, ChartFromStoreError> {
    let query = Query { target: target.into(), metric: metric.into(), direction, since, until, max_points: MAX_POINTS };
    let series = store.query(&query)?;
    let events = store.events(Some(target), since, until, MAX_MARKERS)?;
    Ok(super::render_png(&from_store(target, metric, since, until, &series, &events))?)
}

/// Opens the store in `data_dir` for reading (while the daemon may write it).
pub fn open_store(data_dir: &Path) -> Result<Store, ChartFromStoreError> {
    let path = data_dir.join(store::FILE_NAME);
    if !path.exists() {
        return Err(ChartFromStoreError::NoHistory(path.display().to_string()));
    }
    Ok(Store::open_read_only(&path)?)
}

#[derive(Debug, thiserror::Error)]
pub enum ChartFromStoreError {
    #[error("no history yet: {0} does not exist (linewatch writes it while it reads the modems)")]
    NoHistory(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chart(#[from] super::ChartError),
}

fn direction_order(a: Option<Direction>, b: Option<Direction>) -> Ordering {
    let rank = |d: Option<Direction>| match d {
        Some(Direction::Down) => 0,
        Some(Direction::Up) => 1,
        None => 2,
    };
    rank(a).cmp(&rank(b))
}

/// "down", "up", "down · errored": the direction, then the labels that tell series apart.
fn label(series: &SeriesData) -> String {
    let direction = series.direction.map(Direction::as_str);
    let others = series.labels.iter().filter(|(k, _)| k != "direction" && k != "loc").map(|(_, v)| v.as_str());
    direction.into_iter().chain(others).collect::<Vec<_>>().join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Point, Tier};
    use std::time::{Duration, UNIX_EPOCH};

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_225_600 + s)
    }

    fn series(labels: &[(&str, &str)], direction: Option<Direction>, kind: SeriesKind, points: Vec<Point>) -> SeriesData {
        SeriesData {
            key: String::new(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            kind,
            direction,
            tier: Tier::FiveMin,
            step: Some(Duration::from_secs(300)),
            points,
        }
    }

    fn point(at: SystemTime, count: u64, min: f64, avg: f64, max: f64, sum: f64) -> Point {
        Point { at, count, min, avg, max, sum }
    }

    #[test]
    fn rates_in_mbps_down_first_rollups_with_their_band_and_retrains_as_markers() {
        let up = series(&[("direction", "up")], Some(Direction::Up), SeriesKind::Gauge, vec![point(at(0), 1, 4e7, 4e7, 4e7, 4e7)]);
        let down = series(&[("direction", "down")], Some(Direction::Down), SeriesKind::Gauge, vec![point(at(0), 10, 9e7, 9.5e7, 1e8, 9.5e8)]);
        let event = |target: &str, kind| Event { at: at(60), target: target.into(), kind, detail: serde_json::Value::Null };
        let events = [event("line", EventKind::Retrain), event("line", EventKind::Unreachable), event("other", EventKind::Retrain)];
        let spec = from_store("line", "dsl_datarate", at(0), at(3600), &[up, down], &events);
        assert_eq!(spec.title, "Sync rate · line");
        assert_eq!((spec.unit.as_str(), spec.kind), ("Mb/s", ChartKind::Line));
        let labels: Vec<&str> = spec.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["down", "up"]);
        assert_eq!((spec.series[0].colour, spec.series[1].colour), (Some(DOWN), Some(UP)));
        assert_eq!(spec.series[0].points, [ChartPoint { at: at(0), value: 95.0, min: Some(90.0), max: Some(100.0) }]);
        assert_eq!(spec.series[1].points, [ChartPoint::new(at(0), 40.0)]);
        assert_eq!(spec.markers, [Marker { at: at(60), label: "retrain".into() }]);
    }

    #[test]
    fn counters_are_bars_of_their_sums_labelled_by_what_tells_them_apart() {
        let errored = series(&[("err", "errored"), ("loc", "near")], Some(Direction::Down), SeriesKind::Delta, vec![point(at(0), 10, 0.0, 0.5, 2.0, 5.0)]);
        let severely = series(&[("err", "severely errored"), ("loc", "near")], Some(Direction::Down), SeriesKind::Delta, vec![]);
        let spec = from_store("line", "dsl_error_seconds_total", at(0), at(3600), &[errored, severely], &[]);
        assert_eq!((spec.kind, spec.unit.as_str()), (ChartKind::Bars, "seconds"));
        assert_eq!(spec.series[0].label, "down · errored");
        assert_eq!(spec.series[0].points, [ChartPoint::new(at(0), 5.0)]);
        assert_eq!(spec.series[1].colour, None, "two series of one direction take the palette");
    }

    #[test]
    fn unknown_metrics_are_shown_by_name_with_a_unit_from_their_suffix() {
        assert_eq!(Presentation::of("wan_gateway_loss_ratio").unit, "%");
        let spec = from_store("fw", "wan_something_seconds", at(0), at(60), &[], &[]);
        assert_eq!((spec.title.as_str(), spec.unit.as_str()), ("wan_something_seconds · fw", "s"));
    }
}

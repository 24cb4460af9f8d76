//! From the caller's points to what is drawn: clean, sorted points; runs without gaps; one
//! vertex per pixel column; sums per bar.

use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use super::ChartPoint;

/// Values beyond this are not plotted, like NaN: no chart axis can show them next to others.
const MAX_MAGNITUDE: f64 = 1e300;
/// A gap longer than this many of the neighbouring intervals breaks the line.
const GAP_INTERVALS: f64 = 3.0;

/// Seconds since the epoch; None before it.
pub(super) fn seconds(t: SystemTime) -> Option<f64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs_f64())
}

/// A point that can be drawn: finite, in range, with `lo <= value <= hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Clean {
    pub at: f64,
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

/// The drawable points within [since, until], in time order.
pub(super) fn clean(points: &[ChartPoint], since: f64, until: f64) -> Vec<Clean> {
    let plottable = |v: f64| v.is_finite() && v.abs() <= MAX_MAGNITUDE;
    let mut clean: Vec<Clean> = points
        .iter()
        .filter(|p| plottable(p.value))
        .filter_map(|p| {
            let at = seconds(p.at).filter(|at| (since..=until).contains(at))?;
            let bound = |b: Option<f64>| b.filter(|b| plottable(*b)).unwrap_or(p.value);
            Some(Clean { at, value: p.value, lo: bound(p.min).min(p.value), hi: bound(p.max).max(p.value) })
        })
        .collect();
    clean.sort_by(|a, b| a.at.total_cmp(&b.at));
    clean
}

/// The runs of points a line may join: a gap much longer than the intervals around it (the
/// modem was unreachable, the daemon was down) ends a run. The intervals are judged locally,
/// so a series that changes resolution (raw, then 5-minute rollups) is not broken there.
pub(super) fn runs(points: &[Clean]) -> Vec<Range<usize>> {
    let gaps: Vec<f64> = points.windows(2).map(|w| w[1].at - w[0].at).collect();
    let mut runs = Vec::new();
    let mut start = 0;
    for (i, &gap) in gaps.iter().enumerate() {
        let mut around: Vec<f64> = gaps[i.saturating_sub(4)..i]
            .iter()
            .chain(&gaps[i + 1..(i + 5).min(gaps.len())])
            .copied()
            .filter(|g| *g > 0.0)
            .collect();
        around.sort_by(f64::total_cmp);
        if let Some(&typical) = around.get(around.len() / 2)
            && gap > GAP_INTERVALS * typical
        {
            runs.push(start..i + 1);
            start = i + 1;
        }
    }
    if !points.is_empty() {
        runs.push(start..points.len());
    }
    runs
}

/// What one pixel column of a run shows: the mean, and the lowest and highest values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Vertex {
    pub x: f64,
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

/// One vertex per pixel column that has points (`x_of` gives a point's column, in pixels),
/// so drawing costs the same for 100 points or a million.
pub(super) fn vertices(run: &[Clean], x_of: impl Fn(f64) -> f64) -> Vec<Vertex> {
    let mut out: Vec<Vertex> = Vec::new();
    let mut column = f64::NAN;
    let (mut sum_x, mut sum, mut n) = (0.0, 0.0, 0.0);
    for p in run {
        let x = x_of(p.at);
        if x.floor() != column {
            column = x.floor();
            (sum_x, sum, n) = (0.0, 0.0, 0.0);
            out.push(Vertex { x, value: p.value, lo: p.lo, hi: p.hi });
        }
        (sum_x, sum, n) = (sum_x + x, sum + p.value, n + 1.0);
        let last = out.last_mut().expect("pushed above");
        *last = Vertex { x: sum_x / n, value: sum / n, lo: last.lo.min(p.lo), hi: last.hi.max(p.hi) };
    }
    out
}

/// Bars: the width of a bar, from the data's own interval and the room on the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct BarWidth {
    pub seconds: f64,
    /// "5 min", "3 h": what one bar counts, for the axis.
    pub label: &'static str,
}

/// The narrowest bar that is at least the data's interval and `min_px` pixels wide.
pub(super) fn bar_width(series: &[Vec<Clean>], span: f64, plot_px: f64, min_px: f64) -> BarWidth {
    const WIDTHS: [(f64, &str); 14] = [
        (60.0, "1 min"),
        (300.0, "5 min"),
        (900.0, "15 min"),
        (1800.0, "30 min"),
        (3600.0, "hour"),
        (3.0 * 3600.0, "3 h"),
        (6.0 * 3600.0, "6 h"),
        (12.0 * 3600.0, "12 h"),
        (86_400.0, "day"),
        (7.0 * 86_400.0, "week"),
        (30.0 * 86_400.0, "30 days"),
        (91.0 * 86_400.0, "91 days"),
        (365.0 * 86_400.0, "year"),
        (3650.0 * 86_400.0, "10 years"),
    ];
    let mut gaps: Vec<f64> = series.iter().flat_map(|s| s.windows(2).map(|w| w[1].at - w[0].at)).filter(|g| *g > 0.0).collect();
    gaps.sort_by(f64::total_cmp);
    let interval = gaps.get(gaps.len() / 2).copied().unwrap_or(0.0);
    let wanted = interval.max(span / plot_px * min_px);
    let (seconds, label) = WIDTHS.into_iter().find(|(s, _)| *s >= wanted * (1.0 - 1e-9)).unwrap_or(WIDTHS[WIDTHS.len() - 1]);
    BarWidth { seconds, label }
}

/// The sum of each series in each bar of `width` seconds, bars aligned to `origin` (so they
/// fall on round local times). Returns (bar start, sums per series), bars with data only.
/// Negative counts are not counts: they are left out.
pub(super) fn bars(series: &[Vec<Clean>], origin: f64, width: f64) -> Vec<(f64, Vec<f64>)> {
    let mut bars: Vec<(f64, Vec<f64>)> = Vec::new();
    let mut all: Vec<(f64, usize, f64)> =
        series.iter().enumerate().flat_map(|(i, s)| s.iter().filter(|p| p.value >= 0.0).map(move |p| (p.at, i, p.value))).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (at, i, value) in all {
        let start = origin + ((at - origin) / width).floor() * width;
        if bars.last().is_none_or(|(s, _)| *s != start) {
            bars.push((start, vec![0.0; series.len()]));
        }
        let sums = &mut bars.last_mut().expect("pushed above").1;
        sums[i] += value;
    }
    bars
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn point(at: f64, value: f64) -> Clean {
        Clean { at, value, lo: value, hi: value }
    }

    fn every(step: f64, times: impl IntoIterator<Item = f64>) -> Vec<Clean> {
        times.into_iter().map(|t| point(t * step, 1.0)).collect()
    }

    #[test]
    fn hostile_values_are_dropped_and_bounds_made_consistent() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let points = [
            ChartPoint { at: at(30), value: 2.0, min: Some(5.0), max: Some(f64::NAN) },
            ChartPoint { at: at(10), value: f64::NAN, min: None, max: None },
            ChartPoint { at: at(20), value: f64::INFINITY, min: None, max: None },
            ChartPoint { at: at(15), value: 1e301, min: None, max: None },
            ChartPoint { at: at(5), value: 1.0, min: Some(0.5), max: Some(1.5) },
            ChartPoint { at: at(500), value: 1.0, min: None, max: None },
        ];
        let clean = clean(&points, 0.0, 100.0);
        assert_eq!(clean, [Clean { at: 5.0, value: 1.0, lo: 0.5, hi: 1.5 }, Clean { at: 30.0, value: 2.0, lo: 2.0, hi: 2.0 }]);
    }

    #[test]
    fn a_long_gap_breaks_the_line_a_change_of_resolution_does_not() {
        // 5-minute points, then 30-second ones: one run.
        let mut points = every(300.0, (0..10).map(f64::from));
        points.extend((1..20).map(|i| point(2700.0 + f64::from(i) * 30.0, 1.0)));
        assert_eq!(runs(&points), vec![0..points.len()]);
        // An hour missing from 30-second points, and a lone point in another gap.
        let mut points = every(30.0, (0..10).map(f64::from));
        points.extend(every(30.0, (130..140).map(f64::from)));
        points.push(point(30.0 * 300.0, 1.0));
        points.extend(every(30.0, (500..505).map(f64::from)));
        assert_eq!(runs(&points), [0..10, 10..20, 20..21, 21..26]);
        // A few missing readings do not.
        let points = every(30.0, [0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0]);
        assert_eq!(runs(&points).len(), 1);
    }

    #[test]
    fn many_points_make_one_vertex_per_column() {
        let points: Vec<Clean> = (0..1000).map(|i| Clean { at: f64::from(i), value: f64::from(i % 10), lo: -1.0, hi: 20.0 }).collect();
        let vertices = vertices(&points, |t| t / 10.0);
        assert_eq!(vertices.len(), 100);
        assert_eq!(vertices[0], Vertex { x: 0.45, value: 4.5, lo: -1.0, hi: 20.0 });
    }

    #[test]
    fn bars_sum_per_bar_and_series() {
        let down = every(300.0, (0..24).map(f64::from));
        let up = vec![point(3700.0, 4.0), point(100.0, -3.0)];
        let width = bar_width(&[down.clone(), up.clone()], 7200.0, 900.0, 3.0);
        assert_eq!(width.seconds, 300.0);
        let width = bar_width(std::slice::from_ref(&down), 30.0 * 86_400.0, 900.0, 3.0);
        assert_eq!(width.label, "3 h");
        let bars = bars(&[down, up], 0.0, 3600.0);
        assert_eq!(bars, [(0.0, vec![12.0, 0.0]), (3600.0, vec![12.0, 4.0])]);
    }
}

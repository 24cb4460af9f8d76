//! Axis ticks: "nice" values for the y axis, local calendar times for the x axis.

use chrono::{DateTime, Datelike, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};

/// A tick: where (seconds since the epoch, or a value) and what it says.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tick {
    pub at: f64,
    pub label: String,
}

/// The y axis: the values at the bottom and top of the plot, and the ticks between.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct YAxis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<Tick>,
}

impl YAxis {
    /// Where `v` sits between the bottom (0) and the top (1). Halves keep `hi - lo` finite.
    pub fn fraction(&self, v: f64) -> f64 {
        (v / 2.0 - self.lo / 2.0) / (self.hi / 2.0 - self.lo / 2.0)
    }
}

/// An axis from `lo` to `hi` (finite, `lo <= hi`, magnitudes up to about 1e300) with at most
/// `max` ticks at nice values. A flat range is widened so a constant line sits mid-height.
pub(super) fn y_axis(lo: f64, hi: f64, max: usize) -> YAxis {
    let (mut lo, mut hi) = (lo, hi);
    let magnitude = lo.abs().max(hi.abs());
    // Below this, the difference is rounding noise of the values, not a range to show; and
    // values this close to zero are zero for any axis.
    const ZERO: f64 = 1e-290;
    if hi / 2.0 - lo / 2.0 <= magnitude * 1e-9 || magnitude < ZERO {
        let pad = if magnitude < ZERO { 1.0 } else { magnitude * 0.1 };
        (lo, hi) = (lo - pad, hi + pad);
    }
    let step = nice(2.0 * (hi / 2.0 - lo / 2.0) / max.max(1) as f64);
    let (first, last) = ((lo / step).ceil(), (hi / step).floor());
    let scale = Scale::of(lo.abs().max(hi.abs()), step);
    let ticks = (0..=(last - first).max(-1.0) as i64)
        .map(|i| {
            let at = (first + i as f64) * step;
            Tick { at, label: scale.format(at) }
        })
        .collect();
    YAxis { lo, hi, ticks }
}

/// The smallest of 1, 2, 2.5, 5 × 10^k at least `x` (> 0).
fn nice(x: f64) -> f64 {
    let power = 10f64.powi(x.log10().floor() as i32);
    let f = x / power;
    let m = [1.0, 2.0, 2.5, 5.0].into_iter().find(|&m| f <= m * (1.0 + 1e-9)).unwrap_or(10.0);
    m * power
}

/// How tick values are written: with a k/M/G… suffix for large values, in exponent form
/// beyond, with as many decimals as the step needs.
struct Scale {
    divisor: f64,
    suffix: &'static str,
    decimals: usize,
    exponent: bool,
}

impl Scale {
    fn of(magnitude: f64, step: f64) -> Scale {
        const SUFFIXES: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];
        if magnitude >= 1e21 || (magnitude < 1e-3 && magnitude > 0.0) {
            // Enough significant digits to tell neighbouring ticks apart.
            let digits = (magnitude / step).log10().ceil().clamp(0.0, 8.0) as usize + 1;
            return Scale { divisor: 1.0, suffix: "", decimals: digits, exponent: true };
        }
        let power = if magnitude >= 1e4 { (magnitude.log10() / 3.0).floor() as usize } else { 0 };
        let divisor = 1000f64.powi(power as i32);
        let decimals = (0..9).find(|&d| is_whole(step / divisor * 10f64.powi(d as i32))).unwrap_or(9);
        Scale { divisor, suffix: SUFFIXES[power.min(6)], decimals, exponent: false }
    }

    fn format(&self, v: f64) -> String {
        if v == 0.0 {
            return "0".to_string(); // not "-0", "0.0", "0G" or "0e0"
        }
        if self.exponent {
            return format!("{:.*e}", self.decimals, v);
        }
        format!("{:.*}{}", self.decimals, v / self.divisor, self.suffix)
    }
}

fn is_whole(x: f64) -> bool {
    (x - x.round()).abs() <= 1e-6 * x.abs().max(1.0)
}

/// The spacing of time ticks, on the local calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Divides a day.
    Seconds(i64),
    Days(i64),
    /// Mondays.
    Weeks,
    Months(u32),
    Years(i32),
}

impl Step {
    fn approx_seconds(self) -> f64 {
        const DAY: f64 = 86_400.0;
        match self {
            Step::Seconds(n) => n as f64,
            Step::Days(n) => n as f64 * DAY,
            Step::Weeks => 7.0 * DAY,
            Step::Months(n) => f64::from(n) * 30.44 * DAY,
            Step::Years(n) => f64::from(n) * 365.25 * DAY,
        }
    }
}

const STEPS: [Step; 26] = [
    Step::Seconds(1),
    Step::Seconds(2),
    Step::Seconds(5),
    Step::Seconds(10),
    Step::Seconds(15),
    Step::Seconds(30),
    Step::Seconds(60),
    Step::Seconds(120),
    Step::Seconds(300),
    Step::Seconds(600),
    Step::Seconds(900),
    Step::Seconds(1800),
    Step::Seconds(3600),
    Step::Seconds(2 * 3600),
    Step::Seconds(3 * 3600),
    Step::Seconds(6 * 3600),
    Step::Seconds(12 * 3600),
    Step::Days(1),
    Step::Days(2),
    Step::Weeks,
    Step::Months(1),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
    Step::Years(5),
];

/// Ticks at round local times between `since` and `until` (seconds since the epoch, both
/// within chrono's range), at most about `max` of them.
pub(super) fn time_ticks(since: f64, until: f64, max: usize) -> Vec<Tick> {
    let span = until - since;
    let max = max.max(1) as f64;
    let step = STEPS.into_iter().find(|s| span / s.approx_seconds() <= max).unwrap_or_else(|| {
        // Decades and beyond: 10, 20, 50, 100… years.
        let years = nice(span / max / Step::Years(1).approx_seconds()).max(10.0);
        Step::Years(years.min(f64::from(i32::MAX)) as i32)
    });
    let (Some(first), Some(last)) = (local(since), local(until)) else { return Vec::new() };
    let mut ticks = Vec::new();
    let mut push = |naive: NaiveDateTime, label: String| {
        if let Some(at) = Local.from_local_datetime(&naive).earliest().map(|t| t.timestamp() as f64)
            && at >= since
            && at <= until
        {
            ticks.push(Tick { at, label });
        }
    };
    let (from, to) = (first.naive_local(), last.naive_local());
    match step {
        Step::Seconds(n) => {
            let day = from.date();
            let mut at = day.and_time(NaiveTime::MIN) + chrono::Duration::seconds(i64::from(from.num_seconds_from_midnight()) / n * n);
            while at <= to {
                let label = if at.time() == NaiveTime::MIN && n < 86_400 {
                    at.format("%a %-d").to_string()
                } else if n < 60 {
                    at.format("%H:%M:%S").to_string()
                } else {
                    at.format("%H:%M").to_string()
                };
                push(at, label);
                at += chrono::Duration::seconds(n);
            }
        }
        Step::Days(n) => {
            for day in days(from.date(), to.date()).filter(|d| i64::from(d.num_days_from_ce()) % n == 0) {
                let format = if n == 1 { "%a %-d" } else { "%-d %b" };
                push(day.and_time(NaiveTime::MIN), day.format(format).to_string());
            }
        }
        Step::Weeks => {
            for day in days(from.date(), to.date()).filter(|d| d.weekday() == chrono::Weekday::Mon) {
                push(day.and_time(NaiveTime::MIN), day.format("%-d %b").to_string());
            }
        }
        Step::Months(n) => {
            let (mut year, mut month) = (from.year(), from.month());
            while let Some(day) = NaiveDate::from_ymd_opt(year, month, 1).filter(|d| *d <= to.date()) {
                if (month - 1) % n == 0 {
                    let label = if month == 1 { day.format("%Y") } else { day.format("%b") };
                    push(day.and_time(NaiveTime::MIN), label.to_string());
                }
                (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
            }
        }
        Step::Years(n) => {
            let mut year = from.year().div_euclid(n) * n;
            while let Some(day) = NaiveDate::from_ymd_opt(year, 1, 1).filter(|d| *d <= to.date()) {
                push(day.and_time(NaiveTime::MIN), year.to_string());
                year += n;
            }
        }
    }
    ticks
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// The local time at `t` seconds since the epoch, if chrono can represent it.
fn local(t: f64) -> Option<DateTime<Local>> {
    Local.timestamp_opt(t.floor() as i64, 0).earliest()
}

/// The start of the local day that holds `t`: bars of hours and days start there.
pub(super) fn local_midnight(t: f64) -> f64 {
    local(t)
        .and_then(|l| Local.from_local_datetime(&l.date_naive().and_time(NaiveTime::MIN)).earliest())
        .map_or(t, |m| m.timestamp() as f64)
}

/// "3 Mar 2026 14:05 – 2 Apr 2026 14:05 (UTC+02:00)": the range, for the caption.
pub(super) fn range_caption(since: f64, until: f64) -> String {
    let (Some(a), Some(b)) = (local(since), local(until)) else { return String::new() };
    format!("{} – {} (UTC{})", a.format("%-d %b %Y %H:%M"), b.format("%-d %b %Y %H:%M"), b.format("%:z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &YAxis) -> Vec<&str> {
        axis.ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn y_ticks_are_round_values_within_the_data() {
        let axis = y_axis(3.2, 17.9, 7);
        assert_eq!((axis.lo, axis.hi), (3.2, 17.9));
        assert_eq!(labels(&axis), ["5.0", "7.5", "10.0", "12.5", "15.0", "17.5"]);
        let axis = y_axis(0.12, 0.71, 7);
        assert_eq!(labels(&axis), ["0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]);
        let axis = y_axis(-2.5, 2.5, 4);
        assert_eq!(labels(&axis), ["-2", "0", "2"]);
    }

    #[test]
    fn large_values_get_a_suffix_and_huge_ones_an_exponent() {
        assert_eq!(labels(&y_axis(0.0, 2_400_000.0, 5)), ["0", "0.5M", "1.0M", "1.5M", "2.0M"]);
        assert_eq!(labels(&y_axis(0.0, 3.0, 7)), ["0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"]);
        let huge = y_axis(-1e300, 1e300, 5);
        assert!(huge.ticks.len() >= 2 && huge.ticks.iter().all(|t| t.at == 0.0 || t.label.contains('e')), "{huge:?}");
        assert!(huge.fraction(1e300).is_finite());
    }

    #[test]
    fn a_constant_is_padded_around() {
        let axis = y_axis(12.0, 12.0, 5);
        assert!(axis.lo < 12.0 && axis.hi > 12.0, "{axis:?}");
        let axis = y_axis(0.0, 0.0, 5);
        assert!(axis.lo < 0.0 && axis.hi > 0.0, "{axis:?}");
        let axis = y_axis(1e15, 1e15 + 0.5, 5);
        assert!(axis.ticks.len() < 20, "{axis:?}");
    }

    #[test]
    fn time_ticks_fit_every_range_from_an_hour_to_ten_years() {
        let now = 1_770_000_000.0;
        for span in [3600.0, 86_400.0, 7.0 * 86_400.0, 30.0 * 86_400.0, 365.0 * 86_400.0, 3650.0 * 86_400.0] {
            let ticks = time_ticks(now - span, now, 12);
            assert!((3..=13).contains(&ticks.len()), "{span}: {ticks:?}");
            assert!(ticks.windows(2).all(|w| w[0].at < w[1].at));
        }
        let ten_years = time_ticks(now - 3650.0 * 86_400.0, now, 12);
        assert!(ten_years.iter().all(|t| t.label.len() == 4 && t.label.parse::<i32>().is_ok()), "{ten_years:?}");
    }
}

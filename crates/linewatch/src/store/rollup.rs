//! Tiers and their buckets: what a 5-minute or hourly point holds and how points combine.

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The resolutions the store keeps, finest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Every reading as it came.
    Raw,
    /// 5-minute buckets: min/avg/max of gauges, sums of deltas.
    FiveMin,
    Hourly,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Raw, Tier::FiveMin, Tier::Hourly];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Raw => "raw",
            Tier::FiveMin => "5m",
            Tier::Hourly => "1h",
        }
    }

    /// The width of one bucket (raw points have none).
    pub(super) fn bucket_ms(self) -> i64 {
        match self {
            Tier::Raw => 0,
            Tier::FiveMin => 5 * MINUTE_MS,
            Tier::Hourly => HOUR_MS,
        }
    }

    /// The period one stored chunk covers. Periods are aligned to the epoch, and each one is
    /// a multiple of the coarser tiers' buckets, so tiers can be joined at chunk starts.
    pub(super) fn chunk_ms(self) -> i64 {
        match self {
            Tier::Raw => HOUR_MS,
            Tier::FiveMin => DAY_MS,
            Tier::Hourly => 7 * DAY_MS,
        }
    }

    pub(super) fn code(self) -> i64 {
        self as i64
    }
}

/// What a bucket keeps of the values in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agg {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl Agg {
    pub fn one(v: f64) -> Agg {
        Agg { count: 1, min: v, max: v, sum: v }
    }

    pub fn merge(&mut self, other: &Agg) {
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    pub fn avg(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// A point of any tier: a raw reading is a bucket of one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// The reading's time, or the bucket's start (ms since the epoch).
    pub at: i64,
    pub agg: Agg,
}

pub fn floor_to(at: i64, width: i64) -> i64 {
    at - at.rem_euclid(width)
}

/// Combines time-ordered points into buckets of `width` ms, aligned to the epoch.
pub fn rebucket(points: impl IntoIterator<Item = Bucket>, width: i64) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    for point in points {
        let at = floor_to(point.at, width);
        match out.last_mut() {
            Some(last) if last.at == at => last.agg.merge(&point.agg),
            _ => out.push(Bucket { at, agg: point.agg }),
        }
    }
    out
}

/// Raw points into the buckets of `tier`.
pub fn roll_up(points: &[(i64, f64)], tier: Tier) -> Vec<Bucket> {
    rebucket(points.iter().map(|&(at, v)| Bucket { at, agg: Agg::one(v) }), tier.bucket_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_close_at_their_boundaries_and_skip_gaps() {
        let t0 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS;
        let points = [
            (t0, 10.0),
            (t0 + 299_999, 14.0),      // last millisecond of the first 5 minutes
            (t0 + 300_000, 3.0),       // first of the second
            (t0 + 45 * MINUTE_MS, 7.0), // a gap of 40 minutes
        ];
        let five = roll_up(&points, Tier::FiveMin);
        assert_eq!(five.iter().map(|b| (b.at - t0) / MINUTE_MS).collect::<Vec<_>>(), [0, 5, 45]);
        assert_eq!(five[0].agg, Agg { count: 2, min: 10.0, max: 14.0, sum: 24.0 });
        assert_eq!(five[0].agg.avg(), 12.0);
        let hour = roll_up(&points, Tier::Hourly);
        assert_eq!(hour, [Bucket { at: t0, agg: Agg { count: 4, min: 3.0, max: 14.0, sum: 34.0 } }]);
    }
}

//! The reading side: the points of a series at a tier, joined with coarser tiers where the
//! finer one has been dropped by retention. Works on a read-only connection; callers run it
//! inside one transaction so a concurrent writer closing an hour is seen whole or not at all.

use rusqlite::{Connection, params};

use super::codec;
use super::rollup::{Agg, Bucket, HOUR_MS, Tier, floor_to, rebucket, roll_up};
use super::{SeriesKind, StoreError, direction_from_str};
use xdsl::Direction;

pub struct SeriesRow {
    pub id: i64,
    pub key: String,
    pub labels: Vec<(String, String)>,
    pub kind: SeriesKind,
    pub direction: Option<Direction>,
}

pub fn target_id(conn: &Connection, name: &str) -> Result<Option<i64>, StoreError> {
    let mut statement = conn.prepare_cached("SELECT id FROM targets WHERE name = ?1")?;
    let mut rows = statement.query([name])?;
    Ok(match rows.next()? {
        Some(row) => Some(row.get(0)?),
        None => None,
    })
}

pub fn series(conn: &Connection, target_id: i64, metric: &str) -> Result<Vec<SeriesRow>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT id, key, labels, kind, direction FROM series WHERE target_id = ?1 AND metric = ?2 ORDER BY key")?;
    let mut rows = statement.query(params![target_id, metric])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let labels: String = row.get(2)?;
        out.push(SeriesRow {
            id: row.get(0)?,
            key: row.get(1)?,
            labels: serde_json::from_str(&labels).map_err(|e| StoreError::Corrupt(format!("labels of a series: {e}")))?,
            kind: SeriesKind::from_str(&row.get::<_, String>(3)?)?,
            direction: row.get::<_, Option<String>>(4)?.as_deref().and_then(direction_from_str),
        });
    }
    Ok(out)
}

/// Reads one series; holds its uncompacted points (the open hour).
pub struct SeriesReader<'a> {
    conn: &'a Connection,
    series: i64,
    head: Vec<(i64, f64)>,
}

impl<'a> SeriesReader<'a> {
    pub fn new(conn: &'a Connection, target_id: i64, series: i64) -> Result<SeriesReader<'a>, StoreError> {
        let head = conn
            .prepare_cached("SELECT at, value FROM head WHERE target_id = ?1 AND series_id = ?2 ORDER BY at")?
            .query_map(params![target_id, series], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(SeriesReader { conn, series, head })
    }

    /// How many points the chunks of `tier` that lie wholly in the range hold: at least as
    /// many as the range has, found without decoding anything.
    pub fn stored_points(&self, tier: Tier, since: i64, until: i64) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT coalesce(sum(points), 0) FROM chunks WHERE series_id = ?1 AND tier = ?2 AND start >= ?3 AND start <= ?4",
            )?
            .query_row(params![self.series, tier.code(), since, until - tier.chunk_ms()], |row| row.get(0))?)
    }

    /// The points in [since, until) at `tier`; where that tier no longer reaches back,
    /// the next coarser one fills in.
    pub fn points(&self, tier: Tier, since: i64, until: i64) -> Result<Vec<Bucket>, StoreError> {
        let mut parts = Vec::new();
        let mut upto = until;
        for tier in Tier::ALL.into_iter().filter(|t| *t >= tier) {
            let from = since.max(self.coverage(tier)?);
            if from < upto {
                parts.push(self.fetch(tier, from, upto)?);
                upto = from;
            }
        }
        parts.reverse();
        Ok(parts.concat())
    }

    /// Where the tier's data begins: everything from there on is in it. Chunk starts are
    /// aligned to the coarser tiers' buckets, so joining there neither overlaps nor leaves out.
    fn coverage(&self, tier: Tier) -> Result<i64, StoreError> {
        let first_chunk: Option<i64> = self
            .conn
            .prepare_cached("SELECT min(start) FROM chunks WHERE series_id = ?1 AND tier = ?2")?
            .query_row(params![self.series, tier.code()], |row| row.get(0))?;
        let open_hour = self.head.first().map(|p| floor_to(p.0, HOUR_MS));
        Ok(first_chunk.into_iter().chain(open_hour).min().unwrap_or(i64::MAX))
    }

    fn fetch(&self, tier: Tier, from: i64, upto: i64) -> Result<Vec<Bucket>, StoreError> {
        let mut out = Vec::new();
        let inside = |b: &Bucket| (from..upto).contains(&b.at);
        let mut statement = self
            .conn
            .prepare_cached("SELECT start, data FROM chunks WHERE series_id = ?1 AND tier = ?2 AND start > ?3 AND start < ?4 ORDER BY start")?;
        let mut rows = statement.query(params![self.series, tier.code(), from - tier.chunk_ms(), upto])?;
        while let Some(row) = rows.next()? {
            let data: Vec<u8> = row.get(1)?;
            let decoded = match tier {
                Tier::Raw => codec::decode_raw(&data).map(|points| points.into_iter().map(one).collect()),
                _ => codec::decode_rollup(&data),
            };
            let decoded = decoded.map_err(|e| StoreError::corrupt(self.series, tier, row.get(0).unwrap_or_default(), e))?;
            out.extend(decoded.into_iter().filter(inside));
        }
        let open = match tier {
            Tier::Raw => self.head.iter().copied().map(one).collect(),
            _ => roll_up(&self.head, tier),
        };
        out.extend(open.into_iter().filter(inside));
        Ok(out)
    }
}

fn one((at, value): (i64, f64)) -> Bucket {
    Bucket { at, agg: Agg::one(value) }
}

/// Merges the points of every series into buckets of whole hours, the same width for all,
/// until none has more than `max` points. Returns the width (ms) and the buckets.
pub fn coarsen(series: Vec<Vec<Bucket>>, max: usize) -> (i64, Vec<Vec<Bucket>>) {
    let first = series.iter().filter_map(|p| p.first()).map(|b| b.at).min();
    let last = series.iter().filter_map(|p| p.last()).map(|b| b.at).max();
    let (Some(first), Some(last)) = (first, last) else { return (HOUR_MS, series) };
    let mut width = ((last - first) / max as i64 / HOUR_MS).max(1) * HOUR_MS;
    loop {
        let merged: Vec<Vec<Bucket>> = series.iter().map(|p| rebucket(p.iter().copied(), width)).collect();
        if merged.iter().all(|p| p.len() <= max) {
            return (width, merged);
        }
        // Grow by an eighth: alignment can leave one bucket too many, and max may be tiny.
        width += (width / 8 / HOUR_MS).max(1) * HOUR_MS;
    }
}

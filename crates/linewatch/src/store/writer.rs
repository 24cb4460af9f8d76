//! The writing side: each target's current hour lives in the `head` table (one row per value,
//! appended with every reading) and in memory; when a reading of a later hour comes, the hour
//! is closed in the same transaction: its points become one raw chunk per series and are
//! rolled up into the 5-minute and hourly chunks. The memory is a cache of what is committed:
//! after any failed transaction it is dropped and read back.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::codec;
use super::rollup::{Bucket, HOUR_MS, Tier, floor_to, roll_up};
use super::{Poll, SeriesKind, StoreError, direction_of, fmt_ms, ms};
use crate::derive::Event;
use crate::metrics::{Kind, Sample};

/// A series key longer than this is not a DSL metric.
const MAX_KEY_BYTES: usize = 4096;
const MAX_TARGET_BYTES: usize = 256;

#[derive(Default)]
pub struct Writer {
    targets: HashMap<String, TargetState>,
}

struct TargetState {
    id: i64,
    /// The target's series by metric name (a handful each), found without building keys.
    series: HashMap<String, Vec<KnownSeries>>,
    /// The start of the open hour, if anything is open.
    hour: Option<i64>,
    /// The open hour's points per series.
    points: HashMap<i64, Vec<(i64, f64)>>,
    /// Points of the open hour not yet in `head`: (at, series, value).
    unsaved: Vec<(i64, i64, f64)>,
    /// A new reading must not be older than this: the last one, or the end of a closed hour.
    floor: i64,
}

struct KnownSeries {
    labels: Vec<(String, String)>,
    id: i64,
    kind: SeriesKind,
}

impl Writer {
    /// Forgets the cache, after a transaction that did not commit.
    pub fn reset(&mut self) {
        self.targets.clear();
    }

    /// The state of a target, read from the file the first time.
    fn target(&mut self, tx: &Transaction, name: &str) -> Result<&mut TargetState, StoreError> {
        if !self.targets.contains_key(name) {
            let state = TargetState::load(tx, name)?;
            self.targets.insert(name.to_string(), state);
        }
        Ok(self.targets.get_mut(name).expect("loaded above"))
    }

    /// Stores the polls of one target (validated by the caller) in the open transaction.
    pub fn record(&mut self, tx: &Transaction, target: &str, polls: &[Poll]) -> Result<(), StoreError> {
        if target.is_empty() || target.len() > MAX_TARGET_BYTES {
            return Err(StoreError::Refused(format!("a target name must be 1 to {MAX_TARGET_BYTES} bytes")));
        }
        let state = self.target(tx, target)?;
        for poll in polls {
            let at = ms(poll.at);
            if at < state.floor {
                return Err(StoreError::Refused(format!(
                    "{target}: a reading at {} is older than what is stored (up to {}); has the clock gone back?",
                    fmt_ms(at),
                    fmt_ms(state.floor - 1)
                )));
            }
            let hour = floor_to(at, HOUR_MS);
            if state.hour.is_some_and(|open| open != hour) {
                state.close_hour(tx)?;
            }
            state.hour = Some(hour);
            let gauges = poll.gauges.iter().filter(|s| s.kind != Kind::Counter).map(|s| (s, SeriesKind::Gauge));
            for (sample, kind) in gauges.chain(poll.deltas.iter().map(|s| (s, SeriesKind::Delta))) {
                let id = state.series_id(tx, sample, kind)?;
                let points = state.points.entry(id).or_default();
                if points.last().is_some_and(|p| p.0 == at) {
                    return Err(StoreError::Refused(format!("{target}: {} appears twice in one reading", sample.series_key())));
                }
                points.push((at, sample.value));
                state.unsaved.push((at, id, sample.value));
            }
            for event in poll.events {
                insert_event(tx, state.id, event)?;
            }
            state.floor = at + 1;
        }
        state.save_head(tx)
    }

    /// Closes the open hours that ended before `before`, so their points reach the chunks
    /// (and retention) even when their target is no longer read.
    pub fn close_stale_hours(&mut self, tx: &Transaction, before: i64) -> Result<(), StoreError> {
        let names: Vec<String> = tx
            .prepare("SELECT name FROM targets WHERE id IN (SELECT DISTINCT target_id FROM head WHERE at < ?1)")?
            .query_map([before], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for name in names {
            let state = self.target(tx, &name)?;
            if state.hour.is_some_and(|hour| hour + HOUR_MS <= before) {
                state.close_hour(tx)?;
            }
        }
        Ok(())
    }
}

impl TargetState {
    fn load(tx: &Transaction, name: &str) -> Result<TargetState, StoreError> {
        let id: i64 = match tx.query_row("SELECT id FROM targets WHERE name = ?1", [name], |row| row.get(0)).optional()? {
            Some(id) => id,
            None => {
                tx.execute("INSERT INTO targets (name) VALUES (?1)", [name])?;
                tx.last_insert_rowid()
            }
        };
        let mut series: HashMap<String, Vec<KnownSeries>> = HashMap::new();
        let mut statement = tx.prepare("SELECT id, metric, labels, kind FROM series WHERE target_id = ?1")?;
        let mut rows = statement.query([id])?;
        while let Some(row) = rows.next()? {
            let labels: String = row.get(2)?;
            let labels = serde_json::from_str(&labels).map_err(|e| StoreError::Corrupt(format!("labels of a series: {e}")))?;
            let kind = SeriesKind::from_str(&row.get::<_, String>(3)?)?;
            series.entry(row.get(1)?).or_default().push(KnownSeries { labels, id: row.get(0)?, kind });
        }
        let mut state = TargetState { id, series, hour: None, points: HashMap::new(), unsaved: Vec::new(), floor: 0 };
        let mut statement = tx.prepare("SELECT at, series_id, value FROM head WHERE target_id = ?1 ORDER BY at")?;
        let mut rows = statement.query([id])?;
        while let Some(row) = rows.next()? {
            let at: i64 = row.get(0)?;
            state.hour.get_or_insert(floor_to(at, HOUR_MS));
            state.points.entry(row.get(1)?).or_default().push((at, row.get(2)?));
            state.floor = at + 1;
        }
        let last_closed: Option<i64> = tx.query_row(
            "SELECT max(c.start) FROM chunks c JOIN series s ON s.id = c.series_id WHERE s.target_id = ?1 AND c.tier = 0",
            [id],
            |row| row.get(0),
        )?;
        if let Some(start) = last_closed {
            state.floor = state.floor.max(start + HOUR_MS);
        }
        Ok(state)
    }

    fn series_id(&mut self, tx: &Transaction, sample: &Sample, kind: SeriesKind) -> Result<i64, StoreError> {
        let same_labels = |known: &&KnownSeries| {
            known.labels.len() == sample.labels.len() && known.labels.iter().zip(&sample.labels).all(|((k, v), (sk, sv))| k == sk && v == sv)
        };
        if let Some(known) = self.series.get(sample.name).and_then(|list| list.iter().find(same_labels)) {
            if known.kind != kind {
                return Err(StoreError::Refused(format!(
                    "{} is stored as a {}, and was now given as a {}",
                    sample.series_key(),
                    known.kind.as_str(),
                    kind.as_str()
                )));
            }
            return Ok(known.id);
        }
        let key = sample.series_key();
        if key.len() > MAX_KEY_BYTES {
            return Err(StoreError::Refused(format!("a series key of {} bytes ({}…)", key.len(), &sample.name)));
        }
        let labels = serde_json::to_string(&sample.labels).expect("labels are strings");
        tx.prepare_cached("INSERT INTO series (target_id, metric, key, labels, kind, direction) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
            .execute(params![self.id, sample.name, key, labels, kind.as_str(), direction_of(&sample.labels).map(|d| d.as_str())])?;
        let id = tx.last_insert_rowid();
        let labels = sample.labels.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        self.series.entry(sample.name.to_string()).or_default().push(KnownSeries { labels, id, kind });
        Ok(id)
    }

    fn save_head(&mut self, tx: &Transaction) -> Result<(), StoreError> {
        let mut insert = tx.prepare_cached("INSERT INTO head (target_id, at, series_id, value) VALUES (?1, ?2, ?3, ?4)")?;
        for &(at, series, value) in &self.unsaved {
            insert.execute(params![self.id, at, series, value])?;
        }
        self.unsaved.clear();
        Ok(())
    }

    /// Moves the open hour into chunks: raw, and appended to the rollups.
    fn close_hour(&mut self, tx: &Transaction) -> Result<(), StoreError> {
        let Some(hour) = self.hour.take() else { return Ok(()) };
        let mut insert = tx.prepare_cached("INSERT INTO chunks (series_id, tier, start, points, data) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (series, points) in self.points.drain() {
            insert.execute(params![series, Tier::Raw.code(), hour, points.len() as i64, codec::encode_raw(&points)])?;
            for tier in [Tier::FiveMin, Tier::Hourly] {
                append_buckets(tx, series, tier, &roll_up(&points, tier))?;
            }
        }
        tx.prepare_cached("DELETE FROM head WHERE target_id = ?1 AND at < ?2")?.execute(params![self.id, hour + HOUR_MS])?;
        self.unsaved.clear();
        self.floor = self.floor.max(hour + HOUR_MS);
        Ok(())
    }
}

/// Appends the buckets of one closed hour to the rollup chunk that holds them (an hour never
/// spans two chunks: chunk periods are whole days).
fn append_buckets(tx: &Transaction, series: i64, tier: Tier, buckets: &[Bucket]) -> Result<(), StoreError> {
    let Some(first) = buckets.first() else { return Ok(()) };
    let start = floor_to(first.at, tier.chunk_ms());
    let existing: Option<Vec<u8>> = tx
        .prepare_cached("SELECT data FROM chunks WHERE series_id = ?1 AND tier = ?2 AND start = ?3")?
        .query_row(params![series, tier.code(), start], |row| row.get(0))
        .optional()?;
    let mut all = match existing {
        Some(data) => codec::decode_rollup(&data).map_err(|e| StoreError::corrupt(series, tier, start, e))?,
        None => Vec::new(),
    };
    all.extend_from_slice(buckets);
    tx.prepare_cached("INSERT OR REPLACE INTO chunks (series_id, tier, start, points, data) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![series, tier.code(), start, all.len() as i64, codec::encode_rollup(&all)])?;
    Ok(())
}

fn insert_event(tx: &Transaction, target: i64, event: &Event) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO events (at, target_id, kind, detail) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
        ms(event.at),
        target,
        event.kind.as_str(),
        event.detail.to_string()
    ])?;
    Ok(())
}

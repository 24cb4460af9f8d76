//! The embedded time-series store: years of a line's history in one SQLite file.
//!
//! One series per target × metric × label set (as `metrics.rs` names them): gauges as they
//! were read, counters as the errors of each poll interval (our own deltas, so "CRC in the last
//! day" does not trust the modem's windows). Readings are kept raw, and rolled up into
//! 5-minute and hourly buckets (min/avg/max, and sums for deltas), each tier with its own
//! retention. Points are stored compactly in chunks (see `codec.rs`); the current hour of
//! each target is kept row by row until it is over. Events (retrains, state changes,
//! unreachable modems) sit beside the series.
//!
//! One process writes ([`Store::open`]); others may read at the same time
//! ([`Store::open_read_only`]): the file is in WAL mode and every reading is one transaction,
//! so a `kill -9` at any moment loses at most the reading being written.

mod bot;
mod codec;
mod outbox;
mod read;
mod rollup;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use xdsl::Direction;

use crate::derive::{Event, EventKind};
use crate::metrics::Sample;
use read::SeriesReader;
use rollup::{Bucket, HOUR_MS, floor_to};
pub use rollup::Tier;

/// The store's file in the data directory.
pub const FILE_NAME: &str = "linewatch.db";

/// The schema version this build writes (the number of migrations).
pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

/// How long a reader or the writer waits for the other before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Readings outside 2000-01-01 .. 2200-01-01 come from a clock that is not set.
const EARLIEST_MS: i64 = 946_684_800_000;
const LATEST_MS: i64 = 7_258_118_400_000;

/// How long each tier is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: Duration,
    pub five_min: Duration,
    /// Also how long events are kept.
    pub hourly: Duration,
}

impl Default for Retention {
    fn default() -> Retention {
        const DAY: u64 = 24 * 3600;
        Retention {
            raw: Duration::from_secs(14 * DAY),
            five_min: Duration::from_secs(365 * DAY),
            hourly: Duration::from_secs(3650 * DAY),
        }
    }
}

impl Retention {
    fn of(&self, tier: Tier) -> i64 {
        let kept = match tier {
            Tier::Raw => self.raw,
            Tier::FiveMin => self.five_min,
            Tier::Hourly => self.hourly,
        };
        i64::try_from(kept.as_millis()).unwrap_or(i64::MAX).min(LATEST_MS)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{} was written by a newer linewatch (schema {found}; this one knows up to {known})", path.display())]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{} is not a linewatch store (yet)", path.display())]
    NotAStore { path: PathBuf },
    #[error("the store is open read-only")]
    ReadOnly,
    /// Input the store will not take; nothing of the call was stored.
    #[error("not stored: {0}")]
    Refused(String),
    #[error("no target {target:?} in the store; {}", known_list("targets", known))]
    UnknownTarget { target: String, known: Vec<String> },
    #[error("no metric {metric:?} for {target}; {}", known_list("metrics", known))]
    UnknownMetric { target: String, metric: String, known: Vec<String> },
    #[error("{metric} has no direction (down or up): it is one value per target")]
    NoDirection { metric: String },
    #[error("damaged data in the store: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

fn known_list(what: &str, known: &[String]) -> String {
    if known.is_empty() { format!("it has no {what} yet") } else { format!("it has: {}", known.join(", ")) }
}

impl StoreError {
    fn corrupt(series: i64, tier: Tier, start: i64, error: codec::CodecError) -> StoreError {
        StoreError::Corrupt(format!("{} chunk of series {series} at {}: {}", tier.as_str(), fmt_ms(start), error.0))
    }
}

/// Gauges are kept as read; deltas are the errors of the interval ending at the reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    Gauge,
    Delta,
}

impl SeriesKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesKind::Gauge => "gauge",
            SeriesKind::Delta => "delta",
        }
    }

    fn from_str(text: &str) -> Result<SeriesKind, StoreError> {
        match text {
            "gauge" => Ok(SeriesKind::Gauge),
            "delta" => Ok(SeriesKind::Delta),
            other => Err(StoreError::Corrupt(format!("series kind {other:?}"))),
        }
    }
}

/// Everything of one poll of a target.
#[derive(Debug, Clone, Copy)]
pub struct Poll<'a> {
    pub at: SystemTime,
    /// `metrics::line_samples`; its cumulative counters are skipped (their history is the deltas).
    pub gauges: &'a [Sample],
    /// `metrics::delta_samples` of the interval that ends at `at`.
    pub deltas: &'a [Sample],
    pub events: &'a [Event],
}

/// A question for [`Store::query`].
#[derive(Debug, Clone)]
pub struct Query {
    pub target: String,
    /// As on `/metrics`, e.g. `dsl_signal_to_noise_margin_db`.
    pub metric: String,
    /// Only the series of this direction (`direction="down"` and `loc="near"` are down).
    pub direction: Option<Direction>,
    pub since: SystemTime,
    pub until: SystemTime,
    /// At most this many points per series: the finest tier that fits is used.
    pub max_points: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesData {
    /// `name{k="v",...}`
    pub key: String,
    pub labels: Vec<(String, String)>,
    pub kind: SeriesKind,
    pub direction: Option<Direction>,
    /// The finest tier in `points`: older points may come from coarser tiers where this one
    /// has been dropped.
    pub tier: Tier,
    /// The width of the buckets: the tier's, or wider where even hourly points were too many
    /// for `max_points`. None for raw readings.
    pub step: Option<Duration>,
    pub points: Vec<Point>,
}

/// A reading (count 1) or a bucket of readings, starting at `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: SystemTime,
    pub count: u64,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    pub sum: f64,
}

impl From<Bucket> for Point {
    fn from(b: Bucket) -> Point {
        Point { at: time(b.at), count: b.agg.count, min: b.agg.min, avg: b.agg.avg(), max: b.agg.max, sum: b.agg.sum }
    }
}

/// The total of one series over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSum {
    pub key: String,
    pub labels: Vec<(String, String)>,
    pub direction: Option<Direction>,
    pub sum: f64,
    /// How many readings the sum covers.
    pub count: u64,
}

pub use bot::{AuditEntry, BotRecords};
pub use outbox::{Commit, Outbox, OutboxItem};

pub struct Store {
    conn: Connection,
    retention: Retention,
    /// None when read-only.
    writer: Option<writer::Writer>,
}

impl Store {
    /// Opens the store for writing, creating and migrating it as needed. One writer at a time.
    pub fn open(path: &Path, retention: Retention) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open { path: path.to_path_buf(), source };
        let mut conn = Connection::open(path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Refused(format!("{} cannot be put in WAL mode (it is in {mode} mode)", path.display())));
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;").map_err(open_error)?;
        check_version(path, &conn)?;
        schema::migrate(&mut conn).map_err(open_error)?;
        Ok(Store { conn, retention, writer: Some(writer::Writer::default()) })
    }

    /// Opens the store for queries while another process may be writing it.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open { path: path.to_path_buf(), source };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        if check_version(path, &conn)? == 0 {
            return Err(StoreError::NotAStore { path: path.to_path_buf() });
        }
        Ok(Store { conn, retention: Retention::default(), writer: None })
    }

    /// Stores one poll: gauges, the counter deltas of the interval ending at `at`, events —
    /// in one transaction. Readings of a target must come in time order.
    pub fn record(&mut self, target: &str, at: SystemTime, gauges: &[Sample], deltas: &[Sample], events: &[Event]) -> Result<(), StoreError> {
        self.record_batch(target, &[Poll { at, gauges, deltas, events }])
    }

    /// Stores many polls of one target in one transaction (imports, benchmarks): all or none.
    pub fn record_batch(&mut self, target: &str, polls: &[Poll]) -> Result<(), StoreError> {
        check_polls(target, polls)?;
        let writer = self.writer.as_mut().ok_or(StoreError::ReadOnly)?;
        let result = (|| {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            writer.record(&tx, target, polls)?;
            Ok(tx.commit()?)
        })();
        if result.is_err() {
            writer.reset();
        }
        result
    }

    /// Drops what is older than each tier's retention, and moves hours of targets no longer
    /// read into chunks. Call it every hour or so.
    pub fn apply_retention(&mut self, now: SystemTime) -> Result<(), StoreError> {
        let now = ms(now);
        let retention = self.retention;
        let writer = self.writer.as_mut().ok_or(StoreError::ReadOnly)?;
        let result = (|| {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            writer.close_stale_hours(&tx, floor_to(now, HOUR_MS) - HOUR_MS)?;
            for tier in Tier::ALL {
                // Whole chunks only: the last point of a chunk must be past retention.
                let cutoff = now - retention.of(tier) - tier.chunk_ms();
                tx.execute("DELETE FROM chunks WHERE tier = ?1 AND start <= ?2", params![tier.code(), cutoff])?;
            }
            tx.execute("DELETE FROM events WHERE at < ?1", [now - retention.of(Tier::Hourly)])?;
            Ok(tx.commit()?)
        })();
        if result.is_err() {
            writer.reset();
        }
        result
    }

    /// The series of a metric over a range, at the finest tier that fits `max_points`.
    pub fn query(&self, q: &Query) -> Result<Vec<SeriesData>, StoreError> {
        // One snapshot for all reads: the writer may close an hour meanwhile.
        let tx = self.conn.unchecked_transaction()?;
        let (target_id, series) = find(&tx, &q.target, &q.metric, q.direction)?;
        let (since, until) = (ms(q.since), ms(q.until));
        let readers = series.iter().map(|s| SeriesReader::new(&tx, target_id, s.id)).collect::<Result<Vec<_>, _>>()?;
        let (tier, step, points) = choose_tier(&readers, since, until, q.max_points.max(1))?;
        Ok(series
            .into_iter()
            .zip(points)
            .map(|(s, points)| SeriesData {
                key: s.key,
                labels: s.labels,
                kind: s.kind,
                direction: s.direction,
                tier,
                step: (step > 0).then(|| Duration::from_millis(step as u64)),
                points: points.into_iter().map(Point::from).collect(),
            })
            .collect())
    }

    /// The total of each matching series over [since, until): for deltas, the errors counted
    /// in that window, from the finest data kept.
    pub fn sum(
        &self,
        target: &str,
        metric: &str,
        direction: Option<Direction>,
        since: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<SeriesSum>, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let (target_id, series) = find(&tx, target, metric, direction)?;
        let mut sums = Vec::with_capacity(series.len());
        for s in series {
            let points = SeriesReader::new(&tx, target_id, s.id)?.points(Tier::Raw, ms(since), ms(until))?;
            sums.push(SeriesSum {
                key: s.key,
                labels: s.labels,
                direction: s.direction,
                sum: points.iter().map(|p| p.agg.sum).sum(),
                count: points.iter().map(|p| p.agg.count).sum(),
            });
        }
        Ok(sums)
    }

    /// The latest `limit` events in [since, until), of one target or all, oldest first.
    /// Kinds this build does not know (written by a newer one) are left out.
    pub fn events(&self, target: Option<&str>, since: SystemTime, until: SystemTime, limit: usize) -> Result<Vec<Event>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT e.at, t.name, e.kind, e.detail FROM events e JOIN targets t ON t.id = e.target_id
             WHERE (?1 IS NULL OR t.name = ?1) AND e.at >= ?2 AND e.at < ?3 ORDER BY e.at DESC, e.id DESC LIMIT ?4",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = statement.query(params![target, ms(since), ms(until), limit])?;
        let mut events = Vec::new();
        while let Some(row) = rows.next()? {
            let kind: String = row.get(2)?;
            let Ok(kind) = serde_json::from_value::<EventKind>(serde_json::Value::String(kind.clone())) else {
                tracing::warn!("an event of kind {kind:?}, unknown to this linewatch, is left out");
                continue;
            };
            let detail: String = row.get(3)?;
            events.push(Event {
                at: time(row.get(0)?),
                target: row.get(1)?,
                kind,
                detail: serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt(format!("detail of an event: {e}")))?,
            });
        }
        events.reverse();
        Ok(events)
    }

    /// The targets that have data, by name.
    pub fn targets(&self) -> Result<Vec<String>, StoreError> {
        targets(&self.conn)
    }

    /// The metrics stored for a target (none for an unknown one).
    pub fn metrics(&self, target: &str) -> Result<Vec<String>, StoreError> {
        match read::target_id(&self.conn, target)? {
            Some(id) => metrics(&self.conn, id),
            None => Ok(Vec::new()),
        }
    }
}

/// The schema version of the file, refusing one from a newer build.
fn check_version(path: &Path, conn: &Connection) -> Result<i64, StoreError> {
    let found = schema::version(conn).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: SCHEMA_VERSION });
    }
    Ok(found)
}

/// Refuses a batch with a value or a time that has no place in the store, before any write.
fn check_polls(target: &str, polls: &[Poll]) -> Result<(), StoreError> {
    let mut previous = None;
    for poll in polls {
        let at = checked_ms(poll.at)?;
        if previous.is_some_and(|p| at <= p) {
            return Err(StoreError::Refused(format!("{target}: the readings of a batch must be in time order")));
        }
        previous = Some(at);
        for sample in poll.gauges.iter().chain(poll.deltas) {
            if !sample.value.is_finite() {
                return Err(StoreError::Refused(format!(
                    "{target}: {} is {} in the reading of {}",
                    sample.series_key(),
                    sample.value,
                    fmt_ms(at)
                )));
            }
        }
        for event in poll.events {
            checked_ms(event.at)?;
            if event.target != target {
                return Err(StoreError::Refused(format!("an event of {} in a reading of {target}", event.target)));
            }
        }
    }
    Ok(())
}

fn find(conn: &Connection, target: &str, metric: &str, direction: Option<Direction>) -> Result<(i64, Vec<read::SeriesRow>), StoreError> {
    let Some(target_id) = read::target_id(conn, target)? else {
        return Err(StoreError::UnknownTarget { target: target.to_string(), known: targets(conn)? });
    };
    let series = read::series(conn, target_id, metric)?;
    if series.is_empty() {
        let known = metrics(conn, target_id)?;
        return Err(StoreError::UnknownMetric { target: target.to_string(), metric: metric.to_string(), known });
    }
    if direction.is_some() && series.iter().all(|s| s.direction.is_none()) {
        return Err(StoreError::NoDirection { metric: metric.to_string() });
    }
    Ok((target_id, series.into_iter().filter(|s| direction.is_none() || s.direction == direction).collect()))
}

/// The finest tier whose points fit `max` for every series, with its bucket width (ms);
/// hourly points merged further when even they do not fit.
fn choose_tier(readers: &[SeriesReader], since: i64, until: i64, max: usize) -> Result<(Tier, i64, Vec<Vec<Bucket>>), StoreError> {
    'tiers: for tier in [Tier::Raw, Tier::FiveMin] {
        let mut all = Vec::with_capacity(readers.len());
        for reader in readers {
            // Cheap check first: the chunks wholly inside the range already hold too many.
            if reader.stored_points(tier, since, until)? > i64::try_from(max).unwrap_or(i64::MAX) {
                continue 'tiers;
            }
            let points = reader.points(tier, since, until)?;
            if points.len() > max {
                continue 'tiers;
            }
            all.push(points);
        }
        return Ok((tier, tier.bucket_ms(), all));
    }
    let all = readers.iter().map(|r| r.points(Tier::Hourly, since, until)).collect::<Result<Vec<_>, _>>()?;
    if all.iter().all(|p| p.len() <= max) {
        return Ok((Tier::Hourly, HOUR_MS, all));
    }
    let (width, all) = read::coarsen(all, max);
    Ok((Tier::Hourly, width, all))
}

fn targets(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut statement = conn.prepare_cached("SELECT name FROM targets ORDER BY name")?;
    let names = statement.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(names)
}

fn metrics(conn: &Connection, target_id: i64) -> Result<Vec<String>, StoreError> {
    let mut statement = conn.prepare_cached("SELECT DISTINCT metric FROM series WHERE target_id = ?1 ORDER BY metric")?;
    let names = statement.query_map([target_id], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(names)
}

/// `direction="down"` and `loc="near"` are down; `up` and `far` up.
fn direction_of(labels: &[(&'static str, String)]) -> Option<Direction> {
    labels.iter().find_map(|(key, value)| match (*key, value.as_str()) {
        ("direction", "down") | ("loc", "near") => Some(Direction::Down),
        ("direction", "up") | ("loc", "far") => Some(Direction::Up),
        _ => None,
    })
}

fn direction_from_str(text: &str) -> Option<Direction> {
    Direction::BOTH.into_iter().find(|d| d.as_str() == text)
}

/// A time for the store: ms since the epoch, refused outside the years 2000..2200.
fn checked_ms(t: SystemTime) -> Result<i64, StoreError> {
    let ms = t.duration_since(UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_millis()).ok());
    match ms {
        Some(ms) if (EARLIEST_MS..LATEST_MS).contains(&ms) => Ok(ms),
        _ => Err(StoreError::Refused(format!(
            "a time of {} is outside the years 2000 to 2199: is the clock set?",
            match t.duration_since(UNIX_EPOCH) {
                Ok(d) => format!("{} s after 1970", d.as_secs()),
                Err(e) => format!("{} s before 1970", e.duration().as_secs()),
            }
        ))),
    }
}

/// A time as ms since the epoch, clamped to what the store can hold (for query bounds).
fn ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX).min(LATEST_MS),
        Err(_) => 0,
    }
}

fn time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

fn fmt_ms(ms: i64) -> String {
    humantime::format_rfc3339_millis(time(ms.clamp(0, LATEST_MS))).to_string()
}

//! The store as the daemon, charts and `history` use it: rollups, retention, tiers joined
//! in queries, sums of deltas, events, reopening, migrations and refused input.

mod support;
#[path = "support/store.rs"]
mod samples;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use linewatch::metrics::{Sample, line_samples};
use linewatch::derive::{Event, EventKind};
use linewatch::store::{Poll, Query, Retention, SeriesKind, Store, StoreError, Tier};
use samples::{MIDNIGHT, at, crc, rate, snr};
use xdsl::Direction;

const MIN: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

struct TempStore {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn temp_store() -> TempStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("linewatch.db");
    TempStore { _dir: dir, path }
}

fn query(store: &Store, metric: &str, since: SystemTime, until: SystemTime, max_points: usize) -> Vec<linewatch::store::SeriesData> {
    store
        .query(&Query { target: "line".into(), metric: metric.into(), direction: None, since, until, max_points })
        .unwrap()
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() - MIDNIGHT
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Two hours of 30-second readings with a gap from 00:20 to 00:35: SNR runs 6.0, 6.1 … 6.9 in
/// every 5 minutes, and each interval has one CRC error.
fn two_hours_with_a_gap(store: &mut Store) {
    for i in 0..240u64 {
        let t = i * 30;
        if (20 * MIN..35 * MIN).contains(&t) {
            continue;
        }
        let value = 6.0 + (i % 10) as f64 / 10.0;
        store.record("line", at(t), &[snr("down", value)], &[crc("near", 1.0)], &[]).unwrap();
    }
}

fn check_rollups(store: &Store) {
    let (since, until) = (at(0), at(2 * HOUR));
    // 210 readings: too many for 30 points, so 5-minute buckets; the gap has none.
    let [five] = &query(store, "dsl_signal_to_noise_margin_db", since, until, 30)[..] else { panic!() };
    assert_eq!(five.tier, Tier::FiveMin);
    let starts: Vec<u64> = five.points.iter().map(|p| secs(p.at) / MIN).collect();
    let expected: Vec<u64> = (0..24).map(|k| k * 5).filter(|m| !(20..35).contains(m)).collect();
    assert_eq!(starts, expected);
    for p in &five.points {
        assert_eq!(p.count, 10);
        assert!(close(p.min, 6.0) && close(p.max, 6.9) && close(p.avg, 6.45) && close(p.sum, 64.5), "{p:?}");
    }
    let [errors] = &query(store, "dsl_crc_total", since, until, 30)[..] else { panic!() };
    assert_eq!((errors.kind, errors.direction), (SeriesKind::Delta, Some(Direction::Down)));
    assert!(errors.points.iter().all(|p| p.sum == 10.0));

    let [hourly] = &query(store, "dsl_signal_to_noise_margin_db", since, until, 2)[..] else { panic!() };
    assert_eq!(hourly.tier, Tier::Hourly);
    assert_eq!(hourly.points.iter().map(|p| (secs(p.at), p.count)).collect::<Vec<_>>(), [(0, 90), (HOUR, 120)]);
    assert!(close(hourly.points[0].min, 6.0) && close(hourly.points[0].max, 6.9) && close(hourly.points[0].avg, 6.45));
    let [errors] = &query(store, "dsl_crc_total", since, until, 2)[..] else { panic!() };
    assert_eq!(errors.points.iter().map(|p| p.sum).collect::<Vec<_>>(), [90.0, 120.0]);

    let [raw] = &query(store, "dsl_signal_to_noise_margin_db", since, until, 1000)[..] else { panic!() };
    assert_eq!((raw.tier, raw.points.len()), (Tier::Raw, 210));
    assert_eq!((secs(raw.points[1].at), raw.points[1].avg), (30, 6.1));
}

#[test]
fn rollups_at_five_minute_and_hour_boundaries_with_gaps() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    two_hours_with_a_gap(&mut store);
    // The second hour is still open: its buckets come from the readings kept row by row.
    check_rollups(&store);
    // A reading of the next hour closes it into chunks; the answers stay the same.
    store.record("line", at(2 * HOUR), &[snr("down", 7.0)], &[crc("near", 0.0)], &[]).unwrap();
    check_rollups(&store);
}

#[test]
fn the_finest_tier_that_fits_is_used() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    let gauges: Vec<[Sample; 1]> = (0..10 * HOUR / 30).map(|i| [snr("down", (i % 7) as f64)]).collect();
    let polls: Vec<Poll> = gauges.iter().enumerate().map(|(i, g)| Poll { at: at(i as u64 * 30), gauges: g, deltas: &[], events: &[] }).collect();
    store.record_batch("line", &polls).unwrap();
    // 00:30 to 08:30 holds 960 readings, in parts of nine hourly chunks.
    let (since, until) = (at(30 * MIN), at(8 * HOUR + 30 * MIN));
    let [raw] = &query(&store, "dsl_signal_to_noise_margin_db", since, until, 960)[..] else { panic!() };
    assert_eq!((raw.tier, raw.step, raw.points.len()), (Tier::Raw, None, 960));
    let [five] = &query(&store, "dsl_signal_to_noise_margin_db", since, until, 959)[..] else { panic!() };
    assert_eq!((five.tier, five.step, five.points.len()), (Tier::FiveMin, Some(Duration::from_secs(300)), 96));
}

#[test]
fn reopening_keeps_everything_and_goes_on_where_it_stopped() {
    let t = temp_store();
    {
        let mut store = Store::open(&t.path, Retention::default()).unwrap();
        two_hours_with_a_gap(&mut store);
    }
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    check_rollups(&store);
    check_rollups(&Store::open_read_only(&t.path).unwrap());
    // The open hour was read back: an older reading is still refused, a newer one joins it.
    let error = store.record("line", at(HOUR + 10 * MIN), &[snr("down", 1.0)], &[], &[]).unwrap_err();
    assert!(error.to_string().contains("older than what is stored"), "{error}");
    store.record("line", at(2 * HOUR + 30), &[snr("down", 7.0)], &[], &[]).unwrap();
    drop(store);
    let store = Store::open(&t.path, Retention::default()).unwrap();
    let [raw] = &query(&store, "dsl_signal_to_noise_margin_db", at(0), at(3 * HOUR), 10_000)[..] else { panic!() };
    assert_eq!(raw.points.len(), 211);
    assert!(raw.points.windows(2).all(|w| w[0].at < w[1].at));
}

/// One reading a minute for five days, SNR = minutes since midnight of day 0, one CRC error
/// each; retention raw 1 day, 5-minute 3 days, hourly 30 days.
fn five_days(path: &Path) -> Store {
    let retention = Retention { raw: Duration::from_secs(DAY), five_min: Duration::from_secs(3 * DAY), hourly: Duration::from_secs(30 * DAY) };
    let mut store = Store::open(path, retention).unwrap();
    let gauges: Vec<[Sample; 2]> = (0..5 * DAY / MIN).map(|m| [snr("down", m as f64), rate("down", 1e8)]).collect();
    let deltas = [crc("near", 1.0)];
    let polls: Vec<Poll> = gauges.iter().enumerate().map(|(m, g)| Poll { at: at(m as u64 * MIN), gauges: g, deltas: &deltas, events: &[] }).collect();
    for day in polls.chunks((DAY / MIN) as usize) {
        store.record_batch("line", day).unwrap();
    }
    store.apply_retention(at(5 * DAY)).unwrap();
    store
}

/// The starts of the chunks of a tier, in seconds from day 0.
fn chunk_starts(path: &Path, tier: i64) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn
        .prepare("SELECT DISTINCT c.start FROM chunks c JOIN series s ON s.id = c.series_id WHERE s.metric = 'dsl_crc_total' AND c.tier = ?1 ORDER BY c.start")
        .unwrap();
    statement.query_map([tier], |row| row.get::<_, i64>(0)).unwrap().map(|s| s.unwrap() / 1000 - MIDNIGHT as i64).collect()
}

#[test]
fn retention_drops_each_tier_on_its_own_schedule() {
    let t = temp_store();
    let _store = five_days(&t.path);
    // Raw: whole hours whose end is within the last day (the last hour is still open).
    let (hour, day) = (HOUR as i64, DAY as i64);
    assert_eq!(chunk_starts(&t.path, 0), (4 * 24..5 * 24 - 1).map(|h| h * hour).collect::<Vec<_>>());
    // 5-minute: whole days within the last three.
    assert_eq!(chunk_starts(&t.path, 1), [2 * day, 3 * day, 4 * day]);
    // Hourly: everything, in weeks aligned to the epoch (a Thursday; day 0 is a Tuesday).
    assert_eq!(chunk_starts(&t.path, 2), [-5 * day, 2 * day]);
}

#[test]
fn a_query_past_the_raw_retention_joins_the_tiers() {
    let t = temp_store();
    let store = five_days(&t.path);
    let [snr] = &query(&store, "dsl_signal_to_noise_margin_db", at(0), at(5 * DAY), 1_000_000)[..] else { panic!() };
    assert_eq!(snr.tier, Tier::Raw);
    // Hourly buckets for days 0-1, 5-minute for days 2-3, readings for day 4: every reading
    // counted exactly once, in time order, each bucket's average where its readings were.
    let counts: Vec<(u64, u64)> = snr.points.iter().map(|p| (secs(p.at), p.count)).collect();
    assert!(counts.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(snr.points.iter().map(|p| p.count).sum::<u64>(), 5 * DAY / MIN);
    for &(start, count) in &counts {
        let expected = if start < 2 * DAY { 60 } else if start < 4 * DAY { 5 } else { 1 };
        assert_eq!(count, expected, "point at {start} s");
    }
    for p in &snr.points {
        let first = (secs(p.at) / MIN) as f64;
        assert!(close(p.min, first) && close(p.max, first + p.count as f64 - 1.0), "{p:?}");
        assert!(close(p.avg, first + (p.count as f64 - 1.0) / 2.0));
    }
    // A chart of the whole range gets hourly points; one of the last hour gets readings.
    let [hourly] = &query(&store, "dsl_signal_to_noise_margin_db", at(0), at(5 * DAY), 500)[..] else { panic!() };
    assert_eq!((hourly.tier, hourly.points.len()), (Tier::Hourly, 120));
    let [recent] = &query(&store, "dsl_signal_to_noise_margin_db", at(5 * DAY - HOUR), at(5 * DAY), 500)[..] else { panic!() };
    assert_eq!((recent.tier, recent.points.len()), (Tier::Raw, 60));
    // Ten points for five days: hourly points merged further, every reading still counted.
    let [coarse] = &query(&store, "dsl_signal_to_noise_margin_db", at(0), at(5 * DAY), 10)[..] else { panic!() };
    assert!(coarse.points.len() <= 10 && coarse.points.len() >= 5, "{}", coarse.points.len());
    assert_eq!(coarse.points.iter().map(|p| p.count).sum::<u64>(), 5 * DAY / MIN);
}

#[test]
fn sums_of_deltas_over_windows() {
    let t = temp_store();
    let store = five_days(&t.path);
    let sum = |since: u64, until: u64| {
        let sums = store.sum("line", "dsl_crc_total", Some(Direction::Down), at(since), at(until)).unwrap();
        assert_eq!(sums.len(), 1);
        (sums[0].sum, sums[0].count)
    };
    let end = 5 * DAY;
    assert_eq!(sum(end - 15 * MIN, end), (15.0, 15));
    assert_eq!(sum(end - DAY, end), (1440.0, 1440));
    // From rollups: the 5-minute and the hourly tiers, and across both.
    assert_eq!(sum(3 * DAY, 3 * DAY + 15 * MIN), (15.0, 15));
    assert_eq!(sum(DAY, 2 * DAY), (1440.0, 1440));
    assert_eq!(sum(0, end), (7200.0, 7200));
    assert!(store.sum("line", "dsl_crc_total", Some(Direction::Up), at(0), at(end)).unwrap().is_empty());
}

#[test]
fn events_round_trip() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    let retrain = Event {
        at: at(100) + Duration::from_millis(250),
        target: "line".into(),
        kind: EventKind::Retrain,
        detail: serde_json::json!({"cause": "loss of margin", "training_s": 47, "before": {"down_bps": 100_000_000}, "after": {"down_bps": 92_000_000}}),
    };
    let back = Event { at: at(200), target: "line".into(), kind: EventKind::StateChange, detail: serde_json::json!(null) };
    let down = Event { at: at(150), target: "other".into(), kind: EventKind::Unreachable, detail: serde_json::json!({"error": "timeout"}) };
    store.record("line", at(100), &[snr("down", 9.0)], &[], std::slice::from_ref(&retrain)).unwrap();
    store.record("other", at(150), &[], &[], std::slice::from_ref(&down)).unwrap();
    store.record("line", at(200), &[], &[], std::slice::from_ref(&back)).unwrap();
    assert_eq!(store.events(None, at(0), at(DAY), 10).unwrap(), [retrain.clone(), down.clone(), back.clone()]);
    assert_eq!(store.events(Some("line"), at(0), at(DAY), 10).unwrap(), [retrain.clone(), back.clone()]);
    assert_eq!(store.events(None, at(0), at(DAY), 2).unwrap(), [down, back.clone()], "the latest two");
    assert_eq!(store.events(Some("line"), at(101), at(200), 10).unwrap(), []);
    assert_eq!(store.events(Some("nobody"), at(0), at(DAY), 10).unwrap(), []);
    drop(store);
    // A kind from a newer linewatch is left out, not an error.
    let conn = rusqlite::Connection::open(&t.path).unwrap();
    let sql = "INSERT INTO events (at, target_id, kind, detail) SELECT ?1, id, 'wan_address_change', '{}' FROM targets WHERE name = 'line'";
    conn.execute(sql, [(MIDNIGHT as i64 + 250) * 1000]).unwrap();
    let reader = Store::open_read_only(&t.path).unwrap();
    assert_eq!(reader.events(Some("line"), at(0), at(101), 10).unwrap(), [retrain]);
    assert_eq!(reader.events(Some("line"), at(150), at(DAY), 10).unwrap(), [back]);
}

#[test]
fn a_modem_reading_is_stored_under_its_metric_names() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    let reading = xdsl::Dialect::Broadcom.parse(&support::fixture("xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt")).unwrap();
    store.record("vdsl", at(0), &line_samples(&reading), &[crc("near", 3.0), crc("far", 0.0)], &[]).unwrap();
    let metrics = store.metrics("vdsl").unwrap();
    assert!(metrics.contains(&"dsl_signal_to_noise_margin_db".to_string()) && metrics.contains(&"dsl_info".to_string()));
    // The modem's cumulative counters are not history: the deltas are.
    assert!(!metrics.contains(&"dsl_error_seconds_total".to_string()), "{metrics:?}");
    assert_eq!(store.targets().unwrap(), ["vdsl"]);
    let q = |direction| Query {
        target: "vdsl".into(),
        metric: "dsl_crc_total".into(),
        direction,
        since: at(0),
        until: at(60),
        max_points: 10,
    };
    let far = store.query(&q(Some(Direction::Up))).unwrap();
    assert_eq!((far.len(), far[0].key.as_str(), far[0].points[0].sum), (1, "dsl_crc_total{loc=\"far\"}", 0.0));
    assert_eq!(far[0].labels, [("loc".to_string(), "far".to_string())]);
    assert_eq!(store.query(&q(None)).unwrap().len(), 2);
    let snr = store.query(&Query { metric: "dsl_signal_to_noise_margin_db".into(), ..q(Some(Direction::Up)) }).unwrap();
    assert_eq!(snr[0].points[0].avg, 15.2);
}

#[test]
fn unknown_targets_and_metrics_say_what_there_is() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    store.record("line", at(0), &[snr("down", 9.0), rate("down", 1e8)], &[], &[]).unwrap();
    let q = |target: &str, metric: &str| Query {
        target: target.into(),
        metric: metric.into(),
        direction: None,
        since: at(0),
        until: at(60),
        max_points: 10,
    };
    let error = store.query(&q("line", "dsl_snr")).unwrap_err();
    assert!(matches!(&error, StoreError::UnknownMetric { known, .. } if known == &["dsl_datarate", "dsl_signal_to_noise_margin_db"]));
    assert_eq!(error.to_string(), "no metric \"dsl_snr\" for line; it has: dsl_datarate, dsl_signal_to_noise_margin_db");
    assert_eq!(store.query(&q("lime", "dsl_datarate")).unwrap_err().to_string(), "no target \"lime\" in the store; it has: line");
    // A range with nothing in it, or backwards, is no data rather than an error.
    assert!(store.query(&Query { since: at(DAY), until: at(2 * DAY), ..q("line", "dsl_datarate") }).unwrap()[0].points.is_empty());
    assert!(store.query(&Query { since: at(60), until: at(0), ..q("line", "dsl_datarate") }).unwrap()[0].points.is_empty());
    assert_eq!(store.query(&Query { max_points: 0, ..q("line", "dsl_datarate") }).unwrap()[0].points.len(), 1);
}

#[test]
fn migrations_from_an_empty_file_and_again_are_a_no_op() {
    let t = temp_store();
    std::fs::write(&t.path, b"").unwrap();
    let schema = |path: &Path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        let sql: Vec<String> =
            conn.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").unwrap().query_map([], |r| r.get(0)).unwrap().map(|s| s.unwrap()).collect();
        (version, sql)
    };
    drop(Store::open(&t.path, Retention::default()).unwrap());
    let first = schema(&t.path);
    assert_eq!(first.0, linewatch::store::SCHEMA_VERSION);
    assert!(first.1.iter().any(|sql| sql.contains("CREATE TABLE chunks")));
    assert!(first.1.iter().any(|sql| sql.contains("CREATE TABLE outbox")));
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    store.record("line", at(0), &[snr("down", 9.0)], &[], &[]).unwrap();
    drop(store);
    drop(Store::open(&t.path, Retention::default()).unwrap());
    assert_eq!(schema(&t.path), first);
    let conn = rusqlite::Connection::open(&t.path).unwrap();
    assert_eq!(conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0)).unwrap(), "wal");
    assert_eq!(conn.query_row("SELECT count(*) FROM head", [], |r| r.get::<_, i64>(0)).unwrap(), 1);

    // A file from a newer linewatch is left alone.
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    for error in [Store::open(&t.path, Retention::default()).err().unwrap(), Store::open_read_only(&t.path).err().unwrap()] {
        assert!(matches!(error, StoreError::TooNew { found: 99, known, .. } if known == linewatch::store::SCHEMA_VERSION), "{error}");
    }
}

#[test]
fn files_that_are_not_stores() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database, just words that are long enough to fill a header of one hundred bytes or so.").unwrap();
    let error = Store::open(&text, Retention::default()).err().unwrap();
    assert!(error.to_string().starts_with(&format!("cannot open the store {}", text.display())), "{error}");
    let missing = dir.path().join("missing.db");
    assert!(matches!(Store::open_read_only(&missing), Err(StoreError::Open { .. })));
    assert!(!missing.exists(), "a reader creates nothing");
    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    assert!(matches!(Store::open_read_only(&empty), Err(StoreError::NotAStore { .. })));
}

#[test]
fn values_that_are_not_numbers_are_refused_and_nothing_is_stored() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let error = store.record("line", at(0), &[rate("down", 1e8), snr("down", bad)], &[], &[]).unwrap_err();
        assert!(matches!(error, StoreError::Refused(_)));
        assert!(error.to_string().contains(&format!("dsl_signal_to_noise_margin_db{{direction=\"down\"}} is {bad}")), "{error}");
        let error = store.record("line", at(0), &[], &[crc("near", bad)], &[]).unwrap_err();
        assert!(error.to_string().contains("dsl_crc_total"), "{error}");
    }
    assert!(store.targets().unwrap().is_empty());
    // The store still works after refusing.
    store.record("line", at(0), &[snr("down", 9.5)], &[], &[]).unwrap();
    assert_eq!(query(&store, "dsl_signal_to_noise_margin_db", at(0), at(60), 10)[0].points[0].avg, 9.5);
}

#[test]
fn absurd_times_are_refused() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    let times = [
        UNIX_EPOCH,                                                  // an unset clock
        UNIX_EPOCH - Duration::from_secs(86_400),                    // before 1970
        UNIX_EPOCH + Duration::from_secs(400 * 365 * 86_400),        // year 2370
        UNIX_EPOCH + Duration::from_secs(u64::MAX / 4),              // beyond any calendar
    ];
    for time in times {
        let error = store.record("line", time, &[snr("down", 9.0)], &[], &[]).unwrap_err();
        assert!(error.to_string().contains("is the clock set?"), "{error}");
        let event = Event { at: time, target: "line".into(), kind: EventKind::Retrain, detail: serde_json::json!({}) };
        assert!(store.record("line", at(0), &[], &[], &[event]).is_err());
    }
    // A batch out of order, and a clock that went back, are refused too.
    let g = [snr("down", 9.0)];
    let poll = |t| Poll { at: at(t), gauges: &g, deltas: &[], events: &[] };
    assert!(store.record_batch("line", &[poll(60), poll(30)]).is_err());
    store.record("line", at(HOUR), &g, &[], &[]).unwrap();
    assert!(store.record("line", at(HOUR - 1), &g, &[], &[]).unwrap_err().to_string().contains("has the clock gone back?"));
    // Queries with absurd bounds are just empty.
    let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
    assert!(query(&store, "dsl_signal_to_noise_margin_db", far, far, 10)[0].points.is_empty());
    assert_eq!(query(&store, "dsl_signal_to_noise_margin_db", UNIX_EPOCH - Duration::from_secs(1), far, 10)[0].points.len(), 1);
}

#[test]
fn other_refusals() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    let twice = store.record("line", at(0), &[snr("down", 1.0), snr("down", 2.0)], &[], &[]).unwrap_err();
    assert!(twice.to_string().contains("appears twice"), "{twice}");
    store.record("line", at(0), &[snr("down", 1.0)], &[], &[]).unwrap();
    let as_delta = Sample { kind: linewatch::metrics::Kind::Counter, ..snr("down", 1.0) };
    let kind = store.record("line", at(30), &[], &[as_delta], &[]).unwrap_err();
    assert!(kind.to_string().contains("is stored as a gauge"), "{kind}");
    let event = Event { at: at(30), target: "other".into(), kind: EventKind::Reachable, detail: serde_json::json!({}) };
    assert!(store.record("line", at(30), &[], &[], &[event]).is_err());
    assert!(store.record("", at(30), &[snr("down", 1.0)], &[], &[]).is_err());
    assert!(matches!(Store::open_read_only(&t.path).unwrap().record("line", at(60), &[], &[], &[]), Err(StoreError::ReadOnly)));
    // After all that, the one good reading is there, once.
    assert_eq!(query(&store, "dsl_signal_to_noise_margin_db", at(0), at(HOUR), 10)[0].points.len(), 1);
}

#[test]
fn a_damaged_chunk_is_an_error_not_a_crash() {
    let t = temp_store();
    let mut store = Store::open(&t.path, Retention::default()).unwrap();
    store.record("line", at(0), &[snr("down", 1.0)], &[], &[]).unwrap();
    store.record("line", at(HOUR), &[snr("down", 1.0)], &[], &[]).unwrap();
    rusqlite::Connection::open(&t.path).unwrap().execute("UPDATE chunks SET data = x'01ff' WHERE tier = 0", []).unwrap();
    let error = store.query(&Query { target: "line".into(), metric: "dsl_signal_to_noise_margin_db".into(), direction: None, since: at(0), until: at(DAY), max_points: 100 });
    assert!(matches!(error, Err(StoreError::Corrupt(_))), "{error:?}");
}

#[test]
fn a_reader_sees_each_reading_as_the_writer_commits_it() {
    let t = temp_store();
    let mut writer = Store::open(&t.path, Retention::default()).unwrap();
    writer.record("line", at(0), &[snr("down", 1.0)], &[], &[]).unwrap();
    let reader = Store::open_read_only(&t.path).unwrap();
    for i in 1..=130u64 {
        writer.record("line", at(i * 30), &[snr("down", i as f64)], &[], &[]).unwrap();
        let [s] = &query(&reader, "dsl_signal_to_noise_margin_db", at(0), at(DAY), 1000)[..] else { panic!() };
        assert_eq!(s.points.len() as u64, i + 1, "after reading {i}");
    }
}

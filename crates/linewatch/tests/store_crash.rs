//! `kill -9` at any moment: a child process writes readings in a loop and says which ones
//! were committed; it is killed at random moments, again and again on the same file, which
//! must then pass SQLite's integrity check and hold every committed reading, once.
//!
//! The child is this test binary itself, started with `--exact child_writer` and an
//! environment variable naming the file; without the variable that test does nothing.

#[path = "support/store.rs"]
mod samples;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use linewatch::metrics::{Kind, Sample};
use linewatch::derive::{Event, EventKind};
use linewatch::store::{Query, Retention, Store, StoreError, Tier};
use rand::Rng;
use samples::{at, crc, rate, snr};

const CHILD: &str = "LINEWATCH_STORE_CRASH_CHILD";
/// Readings every 10 minutes: an hour closes every 6 readings (the riskiest write), and
/// the raw tier's retention of 14 days is passed within a few rounds.
const STEP_S: u64 = 600;
const ROUNDS: usize = 16;

/// Reading `n`: a sequence number to check, and the usual series with values from `n`.
fn reading(n: u64) -> (Vec<Sample>, Vec<Sample>) {
    let mut gauges = vec![Sample { name: "test_sequence", kind: Kind::Gauge, labels: vec![], value: n as f64 }];
    for direction in ["down", "up"] {
        gauges.push(snr(direction, (n % 97) as f64 / 10.0));
        gauges.push(rate(direction, 1e8 - (n % 13) as f64 * 1e5));
    }
    (gauges, vec![crc("near", (n % 5) as f64), crc("far", 0.0)])
}

/// The sequence numbers in the store, each reading's SNR checked on the way.
fn stored_sequence(path: &Path) -> Vec<u64> {
    let store = match Store::open_read_only(path) {
        // Killed before the first migration was committed.
        Err(StoreError::NotAStore { .. }) => return Vec::new(),
        store => store.unwrap(),
    };
    if store.targets().unwrap().is_empty() {
        return Vec::new();
    }
    let query = |metric: &str| {
        let q = Query { target: "line".into(), metric: metric.into(), direction: None, since: at(0), until: at(10 * 365 * 86_400), max_points: usize::MAX };
        store.query(&q).unwrap()
    };
    let [sequence] = &query("test_sequence")[..] else { panic!("one sequence series") };
    assert_eq!(sequence.tier, Tier::Raw);
    let numbers: Vec<u64> = sequence.points.iter().map(|p| p.avg as u64).collect();
    for p in &sequence.points {
        // Older readings come from 5-minute buckets once the raw tier has dropped them; with
        // one reading per bucket they are the readings themselves.
        let n = p.avg as u64;
        assert_eq!((p.count, p.at), (1, at(n * STEP_S)), "reading {n}");
    }
    let snr = query("dsl_signal_to_noise_margin_db");
    for series in &snr {
        let values: Vec<f64> = series.points.iter().map(|p| p.avg).collect();
        let expected: Vec<f64> = numbers.iter().map(|n| (n % 97) as f64 / 10.0).collect();
        assert_eq!(values, expected, "{}", series.key);
    }
    numbers
}

#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD) else { return };
    let mut store = Store::open(Path::new(&path), Retention::default()).unwrap();
    let mut n = stored_sequence(Path::new(&path)).last().map_or(0, |last| last + 1);
    loop {
        let (gauges, deltas) = reading(n);
        let events = if n.is_multiple_of(7) {
            vec![Event { at: at(n * STEP_S), target: "line".into(), kind: EventKind::Retrain, detail: serde_json::json!({"n": n}) }]
        } else {
            Vec::new()
        };
        store.record("line", at(n * STEP_S), &gauges, &deltas, &events).unwrap();
        if n.is_multiple_of(50) {
            store.apply_retention(at(n * STEP_S)).unwrap();
        }
        println!("committed {n}");
        n += 1;
    }
}

#[test]
fn kill_9_at_random_moments_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("linewatch.db");
    let mut rng = rand::rng();
    let mut committed: Option<u64> = None;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let acks = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| line.strip_prefix("committed ").and_then(|n| n.parse::<u64>().ok()))
                .last()
        });
        // Some rounds die while opening (or migrating), most while writing.
        let delay = if round < 2 { rng.random_range(0..20) } else { rng.random_range(50..600) };
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if let Some(last) = acks.join().unwrap() {
            committed = Some(last);
        }

        let conn = rusqlite::Connection::open(&path).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok", "round {round}");
        drop(conn);
        let stored = stored_sequence(&path);
        // Every committed reading, in order, once; at most the one being written beyond.
        assert!(stored.iter().enumerate().all(|(i, &n)| i as u64 == n), "round {round}: gaps or repeats");
        if let Some(last) = committed {
            let stored_last = *stored.last().unwrap_or_else(|| panic!("round {round}: reading {last} was committed"));
            assert!(stored_last == last || stored_last == last + 1, "round {round}: committed {last}, stored up to {stored_last}");
            committed = Some(stored_last);
        }
    }
    let last = committed.expect("the children committed readings");
    eprintln!("{ROUNDS} kills; {} readings ({} days) survived", last + 1, (last + 1) * STEP_S / 86_400);
    assert!(last * STEP_S > 15 * 86_400, "not far enough to exercise retention: {last} readings");
    let store = Store::open_read_only(&path).unwrap();
    let events = store.events(Some("line"), at(0), at(last * STEP_S + 1), usize::MAX).unwrap();
    assert_eq!(events.len() as u64, last / 7 + 1);
}

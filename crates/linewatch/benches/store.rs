//! Benchmark (a) of issue #4: values per second into the store, batched (a simulated day of
//! 30-second readings in one transaction, as an import does) and the daemon's way (one
//! transaction per reading). rrdtool takes about 1.2 million values/s on this machine.

#[path = "support/year.rs"]
mod year;

use std::time::{Duration, UNIX_EPOCH};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use linewatch::store::{Poll, Retention, Store};
use year::{SimLine, SimPoll, TARGET};

fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("linewatch.db"), Retention::default()).unwrap();
    (dir, store)
}

fn ingest(c: &mut Criterion) {
    let start = UNIX_EPOCH + Duration::from_secs(1_735_689_600); // 2025-01-01T00:00:00Z
    let mut line = SimLine::new(7, start);
    let day: Vec<SimPoll> = (0..2880).map(|_| line.next_poll()).collect();
    let polls: Vec<Poll> = day.iter().map(SimPoll::as_store_poll).collect();
    let values = |polls: &[SimPoll]| polls.iter().map(SimPoll::stored_values).sum::<usize>() as u64;

    let mut group = c.benchmark_group("store ingest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(values(&day)));
    group.bench_function("a day of readings in one transaction", |b| {
        b.iter_batched(
            fresh_store,
            |(dir, mut store)| {
                store.record_batch(TARGET, &polls).unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    let hour = &day[..120];
    group.throughput(Throughput::Elements(values(hour)));
    group.bench_function("an hour of readings, one transaction each", |b| {
        b.iter_batched(
            fresh_store,
            |(dir, mut store)| {
                for poll in hour {
                    store.record(TARGET, poll.at, &poll.gauges, &poll.deltas, &poll.events).unwrap();
                }
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);

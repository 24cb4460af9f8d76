//! Issue #5's benchmark: from the poll that sees a desync to the notification committed in the
//! outbox — the pipeline's derive, rules, engine and one SQLite transaction (reading, state,
//! outbox), on a real store file.

use std::time::{Duration, Instant, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use linewatch::alerts::Severity;
use linewatch::config::Config;
use linewatch::daemon::pipeline::{Check, Pipeline};
use linewatch::notify::Routing;

fn capture(path: &str) -> xdsl::LineReading {
    let text = std::fs::read_to_string(format!("{}/../../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    xdsl::parse_detected(&text).unwrap()
}

fn desync_to_outbox(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"192.0.2.1\"\n").unwrap();
    let routes = vec![Routing { name: "discord".into(), min_severity: Severity::Info }];
    let mut pipeline = Pipeline::open(&config, &dir.path().join("linewatch.db"), routes).unwrap();
    let up = capture("xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt");
    let training = capture("xdslctl-stats/07-bcm-status-g994-training.txt");
    let mut t = 1_767_225_600u64;
    let mut check = |pipeline: &mut Pipeline, reading: &xdsl::LineReading| {
        t += 30;
        let at = UNIX_EPOCH + Duration::from_secs(t);
        let check = Check::Line { target: "home".into(), at, took: Duration::from_millis(40), result: Ok(reading.clone()) };
        pipeline.check(check).unwrap()
    };
    c.bench_function("a desync seen -> its notification committed in the outbox", |b| {
        b.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                check(&mut pipeline, &up);
                let started = Instant::now();
                let stepped = check(&mut pipeline, &training);
                spent += started.elapsed();
                assert!(!stepped.notifications.is_empty(), "line down is announced");
            }
            spent
        })
    });
}

criterion_group!(benches, desync_to_outbox);
criterion_main!(benches);

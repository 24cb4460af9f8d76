//! Benchmark (b) of issue #4, size half: one simulated year of 30-second readings of one line
//! into the store with the default retention, and the same readings as `rrdtool` input for an
//! RRD with the same retention. `bench/store-vs-rrd.sh` runs it and compares.
//!
//! `cargo bench -p linewatch --bench store_year -- OUT_DIR [DAYS]` writes into OUT_DIR:
//! `linewatch.db`, `rrd-create.args` (for `rrdtool create`), `rrd-updates.txt` (for
//! `rrdtool -`), `rrd-series.txt` (which series each data source holds), and prints a summary.

#[path = "support/year.rs"]
mod year;

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, UNIX_EPOCH};

use linewatch::metrics::{Kind, Sample};
use linewatch::store::{Retention, Store};
use year::{SimLine, SimPoll, TARGET};

const POLLS_PER_DAY: usize = 2880;
/// rrdtool takes many updates per command line.
const UPDATES_PER_LINE: usize = 500;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` adds `--bench`.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    // Without OUT_DIR (`cargo test --benches`), a one-day smoke run in a temporary directory.
    let (out, default_days) = match args.first() {
        Some(out) => (PathBuf::from(out), 365),
        None => (std::env::temp_dir().join(format!("linewatch-store-year-{}", std::process::id())), 1),
    };
    let days: u64 = args.get(1).map_or(Ok(default_days), |d| d.parse())?;
    std::fs::create_dir_all(&out)?;
    let db = out.join(linewatch::store::FILE_NAME);
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", db.display()));
    }
    let start = UNIX_EPOCH + Duration::from_secs(1_735_689_600); // 2025-01-01T00:00:00Z
    let mut line = SimLine::new(2025, start);
    let mut store = Store::open(&db, Retention::default())?;
    let mut rrd = Rrd::new(&out)?;
    let (mut ingest, mut values, mut readings, mut events) = (Duration::ZERO, 0, 0, 0);
    for day in 1..=days {
        let polls: Vec<SimPoll> = (0..POLLS_PER_DAY).map(|_| line.next_poll()).collect();
        for poll in &polls {
            rrd.update(poll)?;
        }
        values += polls.iter().map(SimPoll::stored_values).sum::<usize>();
        readings += polls.len();
        events += polls.iter().map(|p| p.events.len()).sum::<usize>();
        let batch: Vec<linewatch::store::Poll> = polls.iter().map(SimPoll::as_store_poll).collect();
        let started = Instant::now();
        store.record_batch(TARGET, &batch)?;
        // The daemon applies retention every hour or so; once a simulated day is as good.
        store.apply_retention(start + Duration::from_secs(day * 86_400))?;
        ingest += started.elapsed();
    }
    drop(store); // checkpoints the WAL into the file
    let series: i64 = rusqlite::Connection::open(&db)?.query_row("SELECT count(*) FROM series", [], |row| row.get(0))?;
    rrd.finish()?;
    println!("readings: {readings} ({days} days, every 30 s), events: {events}");
    let rate = values as f64 / ingest.as_secs_f64();
    println!("store: {series} series, {values} values, ingest {:.2} s = {rate:.0} values/s (a day per transaction)", ingest.as_secs_f64());
    println!("rrd: {} data sources", rrd.sources.len());
    if args.is_empty() {
        std::fs::remove_dir_all(&out)?;
    }
    Ok(())
}

/// The same readings for rrdtool: one data source per series (`dsl_up` as one, whatever its
/// `detail` label says), deltas as gauges of the interval's errors.
struct Rrd {
    out: PathBuf,
    updates: BufWriter<std::fs::File>,
    sources: Vec<String>,
    index: HashMap<String, usize>,
    pending: Vec<String>,
    first_at: Option<u64>,
}

impl Rrd {
    fn new(out: &std::path::Path) -> std::io::Result<Rrd> {
        let updates = BufWriter::new(std::fs::File::create(out.join("rrd-updates.txt"))?);
        Ok(Rrd { out: out.to_path_buf(), updates, sources: Vec::new(), index: HashMap::new(), pending: Vec::new(), first_at: None })
    }

    fn source(sample: &Sample) -> String {
        if sample.name == "dsl_up" { sample.name.to_string() } else { sample.series_key() }
    }

    fn update(&mut self, poll: &SimPoll) -> std::io::Result<()> {
        let stored = poll.gauges.iter().filter(|s| s.kind != Kind::Counter).chain(&poll.deltas);
        // The data sources are fixed at creation: those of the first poll with deltas.
        if self.sources.is_empty() {
            if poll.deltas.is_empty() {
                return Ok(());
            }
            self.sources = stored.clone().map(Rrd::source).collect();
            self.index = self.sources.iter().cloned().enumerate().map(|(i, s)| (s, i)).collect();
        }
        let mut values = vec!["U".to_string(); self.sources.len()];
        for sample in stored {
            if let Some(&i) = self.index.get(&Rrd::source(sample)) {
                values[i] = sample.value.to_string();
            }
        }
        let at = poll.at.duration_since(UNIX_EPOCH).unwrap().as_secs();
        self.first_at.get_or_insert(at);
        self.pending.push(format!("{at}:{}", values.join(":")));
        if self.pending.len() == UPDATES_PER_LINE {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            writeln!(self.updates, "update {} {}", self.out.join("year.rrd").display(), self.pending.join(" "))?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Writes the `rrdtool create` arguments: step 30 s; raw for 14 days; 5-minute
    /// min/avg/max for a year; hourly min/avg/max for 10 years.
    fn finish(&mut self) -> std::io::Result<()> {
        self.flush()?;
        self.updates.flush()?;
        let start = self.first_at.unwrap_or(1) - 1;
        let mut args = vec![format!("--start={start}"), "--step=30".to_string()];
        args.extend((0..self.sources.len()).map(|i| format!("DS:s{i}:GAUGE:120:U:U")));
        args.push("RRA:AVERAGE:0.5:1:40320".into());
        for (steps, rows) in [(10, 105_120), (120, 87_600)] {
            args.extend(["MIN", "AVERAGE", "MAX"].map(|cf| format!("RRA:{cf}:0.5:{steps}:{rows}")));
        }
        std::fs::write(self.out.join("rrd-create.args"), args.join("\n") + "\n")?;
        let legend: Vec<String> = self.sources.iter().enumerate().map(|(i, s)| format!("s{i} {s}")).collect();
        std::fs::write(self.out.join("rrd-series.txt"), legend.join("\n") + "\n")
    }
}

//! What every `/graph` call costs: a 30-day chart of down and up at 5-minute resolution
//! (8640 rollup points each, with min/max) and a few retrain markers, rendered to PNG.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use linewatch::charts::{ChartKind, ChartPoint, ChartSeries, ChartSpec, Marker, render_png};

fn thirty_days() -> ChartSpec {
    let since = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let at = |i: u32| since + Duration::from_secs(u64::from(i) * 300);
    let series = |label: &str, base: f64| {
        let points = (0..8640)
            .map(|i| {
                let value = base + (f64::from(i) / 288.0 * std::f64::consts::TAU).sin() + f64::from(i % 7) * 0.05;
                ChartPoint { at: at(i), value, min: Some(value - 0.4), max: Some(value + 0.3) }
            })
            .collect();
        ChartSeries { colour: None, label: label.into(), points }
    };
    ChartSpec {
        title: "SNR margin".into(),
        unit: "dB".into(),
        kind: ChartKind::Line,
        since,
        until: at(8640),
        series: vec![series("down", 9.0), series("up", 12.0)],
        markers: [1000, 3000, 3010, 7000].into_iter().map(|i| Marker { at: at(i), label: "retrain".into() }).collect(),
    }
}

fn render(c: &mut Criterion) {
    let spec = thirty_days();
    c.bench_function("render 30 days, 2 × 8640 points, 4 markers", |b| b.iter(|| render_png(black_box(&spec)).unwrap()));
    let mut errors = spec.clone();
    errors.kind = ChartKind::Bars;
    c.bench_function("render 30 days of error counts, 2 × 8640 points, as bars", |b| b.iter(|| render_png(black_box(&errors)).unwrap()));
}

criterion_group!(benches, render);
criterion_main!(benches);

//! Parser throughput: captures parsed per second on the largest capture, and over every
//! capture with the dialect detected from the content.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn captures() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut found = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n != "SOURCES.md") {
                found.push((path.clone(), std::fs::read_to_string(&path).unwrap_or_default()));
            }
        }
    }
    found.sort();
    found
}

fn parse(c: &mut Criterion) {
    let all: Vec<(PathBuf, String)> =
        captures().into_iter().filter(|(_, text)| xdsl::parse_detected(text).is_ok()).collect();
    let (path, largest) = all.iter().max_by_key(|(_, text)| text.len()).expect("captures");
    let dialect = xdsl::detect(largest).unwrap();
    let name = format!("largest capture ({}, {} bytes, {dialect})", path.file_name().unwrap().to_string_lossy(), largest.len());

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| b.iter(|| dialect.parse(black_box(largest)).unwrap()));
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function(format!("all {} readable captures, detected", all.len()), |b| {
        b.iter(|| {
            for (_, text) in &all {
                black_box(xdsl::parse_detected(black_box(text)).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);

//! `linewatch history`: a metric of a target over a range, from the store, as a table, CSV
//! or JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use xdsl::Direction;

use crate::store::{self, Query, SeriesData, SeriesKind, Store};

/// How far back `history` looks without `--since`.
pub const DEFAULT_SINCE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// What to show: `since`/`until` already resolved to times.
pub struct Request {
    pub target: String,
    pub metric: String,
    pub direction: Option<Direction>,
    pub since: SystemTime,
    pub until: SystemTime,
    pub max_points: usize,
    pub format: Format,
}

/// A `--since`/`--until` value: a duration back from now (`7d`, `36h`, `90min`) or an RFC 3339
/// time (`2024-05-01T10:00:00Z`; without a zone it is UTC).
pub fn parse_when(text: &str) -> Result<SystemTime, String> {
    if let Ok(ago) = humantime::parse_duration(text) {
        // Times before 1970 cannot be written (nor stored): say so rather than fail later.
        let when = SystemTime::now().checked_sub(ago).filter(|t| *t >= UNIX_EPOCH);
        return when.ok_or_else(|| format!("{text} ago is before 1970, older than any history"));
    }
    humantime::parse_rfc3339_weak(text)
        .map_err(|_| format!("{text:?} is neither a duration back from now (7d, 36h) nor a time (2024-05-01T10:00:00Z)"))
}

pub fn parse_direction(text: &str) -> Result<Direction, String> {
    Direction::BOTH.into_iter().find(|d| d.as_str() == text).ok_or_else(|| format!("{text:?} is not a direction: down or up"))
}

/// Prints the history from the store in `data_dir`; no data is said plainly, not an error.
pub fn run(data_dir: &Path, request: &Request) -> anyhow::Result<()> {
    let path = data_dir.join(store::FILE_NAME);
    match std::fs::metadata(&path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("no history yet: {} does not exist (linewatch writes it while it reads the modems)", path.display())
        }
        // Permission denied, a data directory that is a file...: not the same as no history.
        Err(e) => bail!("cannot read the history {}: {e}", path.display()),
    }
    if request.since >= request.until {
        bail!("--since ({}) is not before --until ({})", time(request.since), time(request.until));
    }
    let store = Store::open_read_only(&path)?;
    let series = store.query(&Query {
        target: request.target.clone(),
        metric: request.metric.clone(),
        direction: request.direction,
        since: request.since,
        until: request.until,
        max_points: request.max_points,
    })?;
    let mut stdout = std::io::stdout().lock();
    if series.iter().all(|s| s.points.is_empty()) {
        let direction = request.direction.map(|d| format!(" ({})", d.as_str())).unwrap_or_default();
        let note = format!(
            "no data for {}{direction} on {} between {} and {}",
            request.metric,
            request.target,
            time(request.since),
            time(request.until)
        );
        if request.format == Format::Table {
            writeln!(stdout, "{note}")?;
            return Ok(());
        }
        eprintln!("{note}");
    }
    let text = match request.format {
        Format::Table => table(request, &series),
        Format::Csv => csv(&series),
        Format::Json => json(request, &series),
    };
    stdout.write_all(text.as_bytes())?;
    Ok(())
}

fn time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// A column title for a series: its label values (`down`, `errored/near`), or `value`.
fn title(series: &SeriesData) -> String {
    let values: Vec<&str> = series.labels.iter().map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()).collect();
    if values.is_empty() { "value".to_string() } else { values.join("/") }
}

/// Up to three decimals, no trailing zeros: 9.8, 100000000, 6.45.
fn number(v: f64) -> String {
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

fn table(request: &Request, series: &[SeriesData]) -> String {
    let what = match series.first().and_then(|s| Some((s.step?, s.kind))) {
        None => "each reading".to_string(),
        Some((step, SeriesKind::Delta)) => format!("sums per {}", humantime::format_duration(step)),
        Some((step, SeriesKind::Gauge)) => format!("averages (min–max) per {}", humantime::format_duration(step)),
    };
    let mut out = format!(
        "{} on {}, {} to {}: {what}\n",
        request.metric,
        request.target,
        time(request.since),
        time(request.until)
    );
    // One row per time, one column per series.
    let mut rows: BTreeMap<SystemTime, Vec<String>> = BTreeMap::new();
    for (column, s) in series.iter().enumerate() {
        for p in &s.points {
            let cell = match s.kind {
                SeriesKind::Delta => number(p.sum),
                SeriesKind::Gauge if p.count == 1 => number(p.avg),
                SeriesKind::Gauge => format!("{} ({}–{})", number(p.avg), number(p.min), number(p.max)),
            };
            rows.entry(p.at).or_insert_with(|| vec![String::new(); series.len()])[column] = cell;
        }
    }
    let mut widths: Vec<usize> = series.iter().map(|s| title(s).chars().count()).collect();
    for cells in rows.values() {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let time_width = "2024-01-01T00:00:00Z".len();
    let _ = write!(out, "{:<time_width$}", "time (UTC)");
    for (s, width) in series.iter().zip(&widths) {
        let _ = write!(out, "  {:>width$}", title(s));
    }
    out.push('\n');
    for (at, cells) in rows {
        let _ = write!(out, "{:<time_width$}", time(at));
        for (cell, width) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {cell:>width$}");
        }
        out.push('\n');
    }
    out
}

/// One line per point and series: `time,series,tier,count,min,avg,max,sum`.
fn csv(series: &[SeriesData]) -> String {
    let mut out = String::from("time,series,tier,count,min,avg,max,sum\n");
    for s in series {
        let key = format!("\"{}\"", s.key.replace('"', "\"\""));
        for p in &s.points {
            let _ = writeln!(out, "{},{key},{},{},{},{},{},{}", time(p.at), s.tier.as_str(), p.count, p.min, p.avg, p.max, p.sum);
        }
    }
    out
}

fn json(request: &Request, series: &[SeriesData]) -> String {
    let series: Vec<serde_json::Value> = series
        .iter()
        .map(|s| {
            let points: Vec<serde_json::Value> = s
                .points
                .iter()
                .map(|p| serde_json::json!({"at": time(p.at), "count": p.count, "min": p.min, "avg": p.avg, "max": p.max, "sum": p.sum}))
                .collect();
            serde_json::json!({
                "key": s.key,
                "labels": s.labels.iter().map(|(k, v)| (k.clone(), v.as_str().into())).collect::<serde_json::Map<_, _>>(),
                "kind": s.kind.as_str(),
                "direction": s.direction.map(|d| d.as_str()),
                "tier": s.tier.as_str(),
                "step_s": s.step.map(|d| d.as_secs()),
                "points": points,
            })
        })
        .collect();
    let document = serde_json::json!({
        "target": request.target,
        "metric": request.metric,
        "since": time(request.since),
        "until": time(request.until),
        "series": series,
    });
    format!("{}\n", serde_json::to_string_pretty(&document).expect("JSON of plain values"))
}

//! Charts as PNG images: any metric over any range, for Discord (`/graph`), the web page and
//! `linewatch chart`. Drawn for Discord's dark theme, with an embedded font (no fontconfig, no
//! system fonts), in the machine's local time.
//!
//! A [`ChartSpec`] knows nothing of the store: the callers fill it from a query. Lines show
//! one vertex per pixel column (the mean) and a band from the lowest to the highest value in
//! it (rollups carry their min/max, raw points spread by themselves); they break where data is
//! missing. Bars sum counts per interval, stacked. Markers (retrains) are thin vertical lines.

mod axis;
mod data;
pub mod metric;

use std::sync::OnceLock;
use std::time::SystemTime;

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use plotters::prelude::*;

use axis::YAxis;
use data::{Clean, Vertex};

/// The size of every chart, in pixels: wide and short, as Discord shows attachments.
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 400;

/// What to draw. Values are in the unit shown (the caller scales, e.g. bit/s to Mb/s).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub title: String,
    /// e.g. "Mb/s", "dB"; for bars, what is counted ("CRC errors").
    pub unit: String,
    pub kind: ChartKind,
    pub since: SystemTime,
    pub until: SystemTime,
    /// In legend order.
    pub series: Vec<ChartSeries>,
    pub markers: Vec<Marker>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Gauges: a line per series, with its min/max band.
    Line,
    /// Counts per interval (`value` is the count): stacked bars, summed to a width that fits.
    Bars,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    /// For the legend, e.g. "down".
    pub label: String,
    /// None: [`SERIES_COLOURS`] in turn, so the first two are [`DOWN`] and [`UP`].
    pub colour: Option<[u8; 3]>,
    /// In any order; NaN, infinite and out-of-range points are skipped.
    pub points: Vec<ChartPoint>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartPoint {
    pub at: SystemTime,
    pub value: f64,
    /// The extremes of a rollup bucket, if it is one.
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// An event drawn as a vertical line, e.g. a retrain.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub at: SystemTime,
    pub label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart's range is empty: it must end after it starts (from {since} to {until})")]
    EmptyRange { since: String, until: String },
    #[error("the chart's range must lie between the years 1970 and 9999")]
    OutOfRange,
    #[error("the embedded chart font cannot be loaded")]
    Font,
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    #[error("cannot encode the chart as PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

/// Renders the chart as a PNG of [`WIDTH`] × [`HEIGHT`] pixels.
pub fn render_png(spec: &ChartSpec) -> Result<Vec<u8>, ChartError> {
    let (since, until) = range(spec)?;
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let canvas = Canvas::new(&mut pixels)?;
        draw(&canvas, spec, since, until)?;
        canvas.area.present().map_err(draw_error)?;
    }
    encode(&pixels)
}

/// The range in seconds since the epoch, checked.
fn range(spec: &ChartSpec) -> Result<(f64, f64), ChartError> {
    // 9999-12-31T23:59:59Z: the calendar the labels are written in ends there.
    const LATEST: f64 = 253_402_300_799.0;
    let within = |t: SystemTime| data::seconds(t).filter(|s| *s <= LATEST);
    let (Some(since), Some(until)) = (within(spec.since), within(spec.until)) else { return Err(ChartError::OutOfRange) };
    if until <= since {
        let utc = |s: f64| chrono::DateTime::from_timestamp(s.floor() as i64, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
        return Err(ChartError::EmptyRange { since: utc(since), until: utc(until) });
    }
    Ok((since, until))
}

// Discord's dark theme: its message background, text and accent colours.
pub const BACKGROUND: [u8; 3] = [0x2b, 0x2d, 0x31];
const GRID: RGBColor = RGBColor(0x3f, 0x41, 0x47);
const TEXT: RGBColor = RGBColor(0xdb, 0xde, 0xe1);
const MUTED: RGBColor = RGBColor(0x94, 0x9b, 0xa4);
pub const MARKER_COLOUR: [u8; 3] = [0xf2, 0x3f, 0x43];
/// Blue for down, orange for up: told apart by colour-blind readers too.
pub const DOWN: [u8; 3] = [0x00, 0xa8, 0xfc];
pub const UP: [u8; 3] = [0xf0, 0xb2, 0x32];
pub const SERIES_COLOURS: [[u8; 3]; 6] = [DOWN, UP, [0x23, 0xa5, 0x5a], [0xeb, 0x45, 0x9e], [0x9b, 0x84, 0xec], [0x1a, 0xbc, 0x9c]];

fn rgb([r, g, b]: [u8; 3]) -> RGBColor {
    RGBColor(r, g, b)
}

/// The colour of each series of the spec.
fn colours(spec: &ChartSpec) -> Vec<RGBColor> {
    spec.series.iter().enumerate().map(|(i, s)| rgb(s.colour.unwrap_or(SERIES_COLOURS[i % SERIES_COLOURS.len()]))).collect()
}

const TITLE_SIZE: f64 = 18.0;
const LABEL_SIZE: f64 = 13.0;
const SMALL_SIZE: f64 = 11.0;
/// The baselines of the title and of the unit, beside which the legend goes.
const LEGEND_ROWS: [f64; 2] = [24.0, 46.0];
/// At most this many values on the y axis.
const Y_TICKS: usize = 7;
/// Bars narrower than this many pixels are summed into wider ones.
const MIN_BAR_PX: f64 = 3.0;

/// Pixel edges of the plot area.
#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    since: f64,
    until: f64,
}

impl Plot {
    fn x(&self, t: f64) -> f64 {
        self.left + (t - self.since) / (self.until - self.since) * (self.right - self.left)
    }

    fn y(&self, axis: &YAxis, v: f64) -> f64 {
        self.bottom - axis.fraction(v) * (self.bottom - self.top)
    }
}

/// What the plot area holds, prepared before anything is drawn (the y labels decide the
/// left margin).
enum Content {
    Empty,
    Lines { axis: YAxis, runs: Vec<Vec<Vec<Clean>>> },
    Bars { axis: YAxis, width: data::BarWidth, bars: Vec<(f64, Vec<f64>)> },
}

fn draw(canvas: &Canvas, spec: &ChartSpec, since: f64, until: f64) -> Result<(), ChartError> {
    let colours = colours(spec);
    let series: Vec<Vec<Clean>> = spec.series.iter().map(|s| data::clean(&s.points, since, until)).collect();
    let content = if series.iter().all(Vec::is_empty) {
        Content::Empty
    } else {
        match spec.kind {
            ChartKind::Line => lines(series),
            ChartKind::Bars => {
                let width = data::bar_width(&series, until - since, f64::from(WIDTH) * 0.9, MIN_BAR_PX);
                let bars = data::bars(&series, axis::local_midnight(since), width.seconds);
                let most = bars.iter().map(|(_, sums)| sums.iter().sum::<f64>()).fold(0.0, f64::max);
                Content::Bars { axis: axis::y_axis(0.0, if most > 0.0 { most * 1.05 } else { 1.0 }, Y_TICKS), width, bars }
            }
        }
    };
    let (axis, unit) = match &content {
        Content::Empty => (None, spec.unit.clone()),
        Content::Lines { axis, .. } => (Some(axis), spec.unit.clone()),
        Content::Bars { axis, width, .. } => (Some(axis), format!("{} per {}", spec.unit, width.label).trim().to_string()),
    };
    let label_width = axis.map_or(0.0, |a| a.ticks.iter().map(|t| canvas.text_width(&t.label, LABEL_SIZE)).fold(0.0, f64::max));
    let plot = Plot {
        left: (label_width.max(24.0) + 26.0).round(),
        right: f64::from(WIDTH - 24),
        top: 62.0,
        bottom: f64::from(HEIGHT - 44),
        since,
        until,
    };

    canvas.area.fill(&rgb(BACKGROUND)).map_err(draw_error)?;
    canvas.text(&spec.title, (16.0, LEGEND_ROWS[0]), TITLE_SIZE, TEXT, Align::Left)?;
    legend(canvas, spec, &colours, &unit)?;
    canvas.text(&unit, (16.0, LEGEND_ROWS[1]), LABEL_SIZE, MUTED, Align::Left)?;
    canvas.text(&axis::range_caption(since, until), (plot.right, f64::from(HEIGHT) - 8.0), SMALL_SIZE, MUTED, Align::Right)?;
    time_grid(canvas, &plot)?;
    match &content {
        Content::Empty => {
            let middle = ((plot.left + plot.right) / 2.0, (plot.top + plot.bottom) / 2.0);
            canvas.text("no data in this range", middle, LABEL_SIZE + 3.0, MUTED, Align::Center)?;
        }
        Content::Lines { axis, runs } => {
            value_grid(canvas, &plot, axis)?;
            let vertices: Vec<Vec<Vec<Vertex>>> =
                runs.iter().map(|series| series.iter().map(|run| data::vertices(run, |t| plot.x(t))).collect()).collect();
            for (i, series) in vertices.iter().enumerate() {
                for run in series {
                    band(canvas, &plot, axis, run, colours[i])?;
                }
            }
            for (i, series) in vertices.iter().enumerate() {
                for run in series {
                    line(canvas, &plot, axis, run, colours[i])?;
                }
            }
        }
        Content::Bars { axis, width, bars } => {
            value_grid(canvas, &plot, axis)?;
            stacked_bars(canvas, &plot, axis, width.seconds, bars, &colours)?;
        }
    }
    // On top: a retrain is where the lines jump, and must not hide behind the jump.
    markers(canvas, &plot, spec)
}

/// Lines: each series cut into runs, and an axis over all values with a little room.
fn lines(series: Vec<Vec<Clean>>) -> Content {
    let (lo, hi) = series.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.lo), hi.max(p.hi)));
    let room = (hi / 2.0 - lo / 2.0) * 0.06;
    let runs = series.into_iter().map(|s| data::runs(&s).into_iter().map(|r| s[r].to_vec()).collect()).collect();
    Content::Lines { axis: axis::y_axis(lo - room, hi + room, Y_TICKS), runs }
}

/// The legend, right-aligned beside the title, going on beside the unit when it would run into
/// the title; entries that fit on neither row are left out.
fn legend(canvas: &Canvas, spec: &ChartSpec, colours: &[RGBColor], unit: &str) -> Result<(), ChartError> {
    const SWATCH: f64 = 16.0;
    const SPACE: f64 = 20.0;
    let right = f64::from(WIDTH) - 24.0;
    let room = [right - 40.0 - canvas.text_width(&spec.title, TITLE_SIZE), right - 40.0 - canvas.text_width(unit, LABEL_SIZE)];
    let mut rows: [Vec<(usize, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut row = 0;
    for (i, series) in spec.series.iter().enumerate().filter(|(_, s)| !s.label.is_empty()) {
        let width = SWATCH + 8.0 + canvas.text_width(&series.label, LABEL_SIZE);
        let used = |row: &Vec<(usize, f64)>| row.iter().map(|(_, w)| w + SPACE).sum::<f64>();
        if used(&rows[row]) + width > room[row] {
            row += 1;
        }
        if row == rows.len() || used(&rows[row]) + width > room[row] {
            break;
        }
        rows[row].push((i, width));
    }
    for (entries, baseline) in rows.iter().zip(LEGEND_ROWS) {
        let mut x = right - entries.iter().map(|(_, w)| w + SPACE).sum::<f64>() + SPACE;
        for &(i, width) in entries {
            canvas.rect((x, baseline - 6.0), (x + SWATCH, baseline - 3.0), colours[i].filled())?;
            canvas.text(&spec.series[i].label, (x + SWATCH + 8.0, baseline), LABEL_SIZE, TEXT, Align::Left)?;
            x += width + SPACE;
        }
    }
    Ok(())
}

fn time_grid(canvas: &Canvas, plot: &Plot) -> Result<(), ChartError> {
    let max_ticks = ((plot.right - plot.left) / 80.0) as usize;
    for tick in axis::time_ticks(plot.since, plot.until, max_ticks) {
        let x = plot.x(tick.at).round();
        canvas.rect((x, plot.top), (x, plot.bottom), GRID.filled())?;
        // A label that would be cut by the image's edge is left out.
        let half = canvas.text_width(&tick.label, LABEL_SIZE) / 2.0;
        if x - half >= 2.0 && x + half <= f64::from(WIDTH) - 2.0 {
            canvas.text(&tick.label, (x, plot.bottom + 18.0), LABEL_SIZE, MUTED, Align::Center)?;
        }
    }
    canvas.rect((plot.left, plot.bottom), (plot.right, plot.bottom), MUTED.mix(0.6).filled())
}

fn value_grid(canvas: &Canvas, plot: &Plot, axis: &YAxis) -> Result<(), ChartError> {
    for tick in &axis.ticks {
        let y = plot.y(axis, tick.at).round();
        canvas.rect((plot.left, y), (plot.right, y), GRID.filled())?;
        canvas.text(&tick.label, (plot.left - 8.0, y + 4.0), LABEL_SIZE, MUTED, Align::Right)?;
    }
    Ok(())
}

/// The band from the lowest to the highest value, one pixel column at a time (interpolated
/// between vertices further apart than a column).
fn band(canvas: &Canvas, plot: &Plot, axis: &YAxis, run: &[Vertex], colour: RGBColor) -> Result<(), ChartError> {
    let style = colour.mix(0.28).filled();
    let column = |x: f64, lo: f64, hi: f64| {
        let (top, bottom) = (plot.y(axis, hi), plot.y(axis, lo));
        // Only where the spread shows: a band as thin as the line would just blur it.
        if bottom - top >= 2.0 { canvas.rect((x, top.round()), (x, bottom.round()), style) } else { Ok(()) }
    };
    if let [only] = run {
        return column(only.x.floor(), only.lo, only.hi);
    }
    for pair in run.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (from, to) = (a.x.floor() as i64, b.x.floor() as i64);
        for x in from..to {
            let f = (x as f64 - from as f64) / (to - from) as f64;
            column(x as f64, a.lo + (b.lo - a.lo) * f, a.hi + (b.hi - a.hi) * f)?;
        }
    }
    let last = run[run.len() - 1];
    column(last.x.floor(), last.lo, last.hi)
}

fn line(canvas: &Canvas, plot: &Plot, axis: &YAxis, run: &[Vertex], colour: RGBColor) -> Result<(), ChartError> {
    let points: Vec<(i32, i32)> = run.iter().map(|v| (v.x.round() as i32, plot.y(axis, v.value).round() as i32)).collect();
    if let [only] = points[..] {
        return canvas.area.draw(&Circle::new(only, 3, colour.filled())).map_err(draw_error);
    }
    points.windows(2).try_for_each(|pair| canvas.thick_line(pair[0], pair[1], colour))
}

fn markers(canvas: &Canvas, plot: &Plot, spec: &ChartSpec) -> Result<(), ChartError> {
    let mut times: Vec<(f64, &str)> = spec
        .markers
        .iter()
        .filter_map(|m| data::seconds(m.at).filter(|t| (plot.since..=plot.until).contains(t)).map(|t| (t, m.label.as_str())))
        .collect();
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let xs: Vec<f64> = times.iter().map(|(t, _)| plot.x(*t).round()).collect();
    for &x in &xs {
        canvas.rect((x, plot.top), (x, plot.bottom), rgb(MARKER_COLOUR).filled())?;
    }
    // A label only where it runs into neither the previous label nor the next line.
    let mut free_from = f64::NEG_INFINITY;
    for (i, (_, label)) in times.iter().enumerate() {
        let (x, end) = (xs[i], xs[i] + 4.0 + canvas.text_width(label, SMALL_SIZE));
        let next = xs[i + 1..].iter().find(|&&next| next > x).copied().unwrap_or(f64::INFINITY);
        if x >= free_from && end + 2.0 <= next.min(plot.right) {
            canvas.text(label, (x + 4.0, plot.top + 11.0), SMALL_SIZE, rgb(MARKER_COLOUR), Align::Left)?;
            free_from = end + 8.0;
        }
    }
    Ok(())
}

fn stacked_bars(canvas: &Canvas, plot: &Plot, axis: &YAxis, width: f64, bars: &[(f64, Vec<f64>)], colours: &[RGBColor]) -> Result<(), ChartError> {
    // A pixel of background between bars wide enough to spare it; all bars alike.
    let gap = if plot.x(plot.since + width) - plot.left >= 5.0 { 1.0 } else { 0.0 };
    for (start, sums) in bars {
        let left = plot.x(*start).round().max(plot.left);
        let right = (plot.x(start + width).round() - 1.0 - gap).min(plot.right).max(left);
        let mut total = 0.0;
        for (i, value) in sums.iter().enumerate().filter(|(_, v)| **v > 0.0) {
            let (bottom, top) = (plot.y(axis, total), plot.y(axis, total + value));
            total += value;
            canvas.rect((left, top.round()), (right, bottom.round() - 1.0), colours[i].filled())?;
        }
    }
    Ok(())
}

/// The bitmap being drawn, with pixel-coordinate helpers.
struct Canvas<'a> {
    area: DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>,
    font: &'static FontRef<'static>,
}

/// Where text is anchored horizontally.
#[derive(Debug, Clone, Copy)]
enum Align {
    Left,
    Center,
    Right,
}

impl<'a> Canvas<'a> {
    fn new(pixels: &'a mut [u8]) -> Result<Canvas<'a>, ChartError> {
        static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
        let font = FONT.get_or_init(|| FontRef::try_from_slice(include_bytes!("../../assets/fonts/DejaVuSans.ttf")).ok());
        let font = font.as_ref().ok_or(ChartError::Font)?;
        Ok(Canvas { area: BitMapBackend::with_buffer(pixels, (WIDTH, HEIGHT)).into_drawing_area(), font })
    }

    /// The glyphs of `text` from x = 0 on the baseline, and the width of the whole.
    fn layout(&self, text: &str, size: f64) -> (Vec<Glyph>, f32) {
        let scaled = self.font.as_scaled(PxScale::from(size as f32));
        let mut glyphs = Vec::with_capacity(text.len());
        let (mut x, mut previous) = (0.0, None);
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                x += scaled.kern(previous, id);
            }
            glyphs.push(id.with_scale_and_position(scaled.scale(), point(x, 0.0)));
            x += scaled.h_advance(id);
            previous = Some(id);
        }
        (glyphs, x)
    }

    fn text_width(&self, text: &str, size: f64) -> f64 {
        f64::from(self.layout(text, size).1)
    }

    /// Antialiased text with its baseline at `at.1`.
    fn text(&self, text: &str, at: (f64, f64), size: f64, colour: RGBColor, align: Align) -> Result<(), ChartError> {
        let (glyphs, width) = self.layout(text, size);
        let left = match align {
            Align::Left => at.0 as f32,
            Align::Center => at.0 as f32 - width / 2.0,
            Align::Right => at.0 as f32 - width,
        };
        for mut glyph in glyphs {
            glyph.position = point(left + glyph.position.x, at.1 as f32);
            let Some(outline) = self.font.outline_glyph(glyph) else { continue };
            let bounds = outline.px_bounds();
            let mut result = Ok(());
            outline.draw(|x, y, coverage| {
                if result.is_ok() && coverage > 0.0 {
                    let pixel = (bounds.min.x as i32 + x as i32, bounds.min.y as i32 + y as i32);
                    result = self.area.draw_pixel(pixel, &colour.mix(f64::from(coverage.min(1.0))));
                }
            });
            result.map_err(draw_error)?;
        }
        Ok(())
    }

    /// A filled rectangle between two corners, both included.
    fn rect(&self, a: (f64, f64), b: (f64, f64), style: ShapeStyle) -> Result<(), ChartError> {
        // plotters fills up to the far corner, excluded.
        let (a, b) = ((a.0 as i32, a.1 as i32), (b.0 as i32 + 1, b.1 as i32 + 1));
        self.area.draw(&Rectangle::new([a, b], style)).map_err(draw_error)
    }

    /// An antialiased line two pixels wide: two one-pixel lines side by side (plotters draws
    /// only one-pixel lines antialiased).
    fn thick_line(&self, a: (i32, i32), b: (i32, i32), colour: RGBColor) -> Result<(), ChartError> {
        let (dx, dy) = if (b.0 - a.0).abs() >= (b.1 - a.1).abs() { (0, 1) } else { (1, 0) };
        for (a, b) in [(a, b), ((a.0 + dx, a.1 + dy), (b.0 + dx, b.1 + dy))] {
            self.area.draw(&PathElement::new([a, b], colour.stroke_width(1))).map_err(draw_error)?;
        }
        Ok(())
    }
}

fn draw_error(error: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(error.to_string())
}

fn encode(pixels: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut png = Vec::with_capacity(64 * 1024);
    let mut encoder = png::Encoder::new(&mut png, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(png)
}

impl ChartPoint {
    /// A plain reading, without a min/max.
    pub fn new(at: SystemTime, value: f64) -> ChartPoint {
        ChartPoint { at, value, min: None, max: None }
    }
}

//! Charts as a user gets them: a PNG of the right size, with the data, the markers and the
//! messages where they belong, whatever the data.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use linewatch::charts::{
    BACKGROUND, ChartError, ChartKind, ChartPoint, ChartSeries, ChartSpec, DOWN, HEIGHT, MARKER_COLOUR, Marker, UP, WIDTH, render_png,
};
use proptest::prelude::*;

#[path = "support/chart_image.rs"]
mod chart_image;
use chart_image::Image;

/// 2026-01-01T00:00:00Z
const START: u64 = 1_767_225_600;

fn at(seconds: f64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs_f64(START as f64 + seconds)
}

fn render(spec: &ChartSpec) -> Image {
    let image = Image::decode(&render_png(spec).expect("a chart"));
    assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
    image
}

/// A day of 5-minute SNR readings: down around 9 dB, up around 12 dB.
fn snr_day() -> ChartSpec {
    let series = |label: &str, base: f64| ChartSeries {
        label: label.into(),
        colour: None,
        points: (0..288).map(|i| ChartPoint::new(at(f64::from(i) * 300.0), base + (f64::from(i) / 20.0).sin())).collect(),
    };
    ChartSpec {
        title: "SNR margin".into(),
        unit: "dB".into(),
        kind: ChartKind::Line,
        since: at(0.0),
        until: at(86_400.0),
        series: vec![series("down", 9.0), series("up", 12.0)],
        markers: vec![],
    }
}

#[test]
fn a_chart_is_a_png_of_the_promised_size_with_down_and_up_in_their_colours() {
    assert_eq!((WIDTH, HEIGHT), (1000, 400));
    let image = render(&snr_day());
    assert!(image.everywhere(DOWN) > 500, "down line: {} pixels", image.everywhere(DOWN));
    assert!(image.everywhere(UP) > 500, "up line: {} pixels", image.everywhere(UP));
    // Dark theme: the corners are Discord's background.
    assert_eq!(image.pixel(0, 0), BACKGROUND);
    assert_eq!(image.pixel(WIDTH - 1, HEIGHT - 1), BACKGROUND);
    assert_eq!(image.everywhere(MARKER_COLOUR), 0);
}

#[test]
fn down_is_drawn_below_up_when_its_values_are_lower() {
    let image = render(&snr_day());
    let mean_row = |colour| {
        let rows: Vec<u32> = (0..HEIGHT).flat_map(|y| (0..WIDTH).map(move |x| (x, y))).filter(|&(x, y)| image.pixel(x, y) == colour).map(|(_, y)| y).collect();
        rows.iter().map(|&y| f64::from(y)).sum::<f64>() / rows.len() as f64
    };
    assert!(mean_row(DOWN) > mean_row(UP), "pixel rows grow downwards");
}

#[test]
fn retrains_are_vertical_markers() {
    let mut spec = snr_day();
    spec.markers = vec![Marker { at: at(43_200.0), label: "retrain".into() }, Marker { at: at(3.0 * 86_400.0), label: "outside".into() }];
    let image = render(&spec);
    let marked: Vec<u32> = (0..WIDTH).filter(|&x| image.count(x..x + 1, MARKER_COLOUR) > 100).collect();
    assert_eq!(marked.len(), 1, "one tall marker line, at the middle of the range: {marked:?}");
    assert!(marked[0].abs_diff(WIDTH / 2) < 40, "{marked:?}");
}

#[test]
fn an_empty_range_says_there_is_no_data() {
    let mut spec = snr_day();
    spec.since = at(10.0 * 86_400.0);
    spec.until = at(11.0 * 86_400.0);
    let image = render(&spec);
    assert_eq!(image.everywhere(DOWN) + image.everywhere(UP), 0);
    // The message, in the middle of the plot.
    let middle = (WIDTH / 2 - 60..WIDTH / 2 + 60).flat_map(|x| (HEIGHT / 2 - 30..HEIGHT / 2 + 30).map(move |y| (x, y)));
    let text = middle.filter(|&(x, y)| image.pixel(x, y) != BACKGROUND).count();
    assert!(text > 100, "{text} text pixels in the middle");

    spec.series.clear();
    render(&spec);
}

#[test]
fn a_gap_in_the_data_is_not_bridged() {
    let mut spec = snr_day();
    // Nothing from 06:00 to 18:00 (the middle half of the chart).
    for series in &mut spec.series {
        series.points.retain(|p| p.at < at(21_600.0) || p.at > at(64_800.0));
    }
    let image = render(&spec);
    let width = WIDTH / 4;
    assert_eq!(image.count(WIDTH / 2 - width / 2..WIDTH / 2 + width / 2, DOWN), 0);
    assert!(image.count(0..WIDTH / 4, DOWN) > 0);
}

#[test]
fn rollups_draw_a_band_between_min_and_max() {
    let mut spec = snr_day();
    let lines = render(&spec);
    for series in &mut spec.series {
        for p in &mut series.points {
            (p.min, p.max) = (Some(p.value - 1.0), Some(p.value + 1.0));
        }
    }
    let banded = render(&spec);
    let coloured = |image: &Image| (0..HEIGHT).flat_map(|y| (0..WIDTH).map(move |x| (x, y))).filter(|&(x, y)| image.pixel(x, y) != BACKGROUND).count();
    assert!(coloured(&banded) > coloured(&lines) + 100_000, "{} vs {}", coloured(&banded), coloured(&lines));
}

#[test]
fn a_series_keeps_the_colour_it_asks_for() {
    let mut spec = snr_day();
    spec.series.remove(0);
    spec.series[0].colour = Some(UP);
    let image = render(&spec);
    assert!(image.everywhere(UP) > 500);
    assert_eq!(image.everywhere(DOWN), 0);
}

#[test]
fn error_counts_are_stacked_bars_in_both_colours() {
    let counts = |n: f64| (0..288).map(|i| ChartPoint::new(at(f64::from(i) * 300.0), if i % 12 == 0 { n } else { 0.0 })).collect();
    let spec = ChartSpec {
        title: "CRC errors".into(),
        unit: "errors".into(),
        kind: ChartKind::Bars,
        since: at(0.0),
        until: at(86_400.0),
        series: vec![ChartSeries { colour: None, label: "down".into(), points: counts(40.0) }, ChartSeries { colour: None, label: "up".into(), points: counts(10.0) }],
        markers: vec![],
    };
    let image = render(&spec);
    let (down, up) = (image.everywhere(DOWN), image.everywhere(UP));
    assert!(down > 2000 && up > 400, "down {down}, up {up}");
    assert!(down > 3 * up, "down counts four times up: {down} vs {up} pixels");
}

#[test]
fn a_range_that_ends_before_it_starts_is_an_error() {
    let mut spec = snr_day();
    spec.until = spec.since;
    let error = render_png(&spec).unwrap_err();
    assert!(matches!(error, ChartError::EmptyRange { .. }), "{error}");
    assert!(error.to_string().contains("2026-01-01T00:00:00"), "{error}");
    spec.until = at(-1.0);
    assert!(matches!(render_png(&spec), Err(ChartError::EmptyRange { .. })));
    spec.since = UNIX_EPOCH - Duration::from_secs(1);
    assert!(matches!(render_png(&spec), Err(ChartError::OutOfRange)));
}

#[test]
fn a_single_point_and_a_constant_still_show() {
    let mut spec = snr_day();
    spec.series = vec![ChartSeries { colour: None, label: "down".into(), points: vec![ChartPoint::new(at(40_000.0), 7.3)] }];
    assert!(render(&spec).everywhere(DOWN) > 10);
    spec.series[0].points = (0..288).map(|i| ChartPoint::new(at(f64::from(i) * 300.0), 100e6)).collect();
    let image = render(&spec);
    assert!(image.everywhere(DOWN) > 900, "a flat line across: {}", image.everywhere(DOWN));
}

/// Values a hostile or broken source may produce.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e3..1e3f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::MAX),
        1 => Just(-f64::MAX),
        1 => Just(1e300),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(0.0),
        1 => any::<f64>(),
    ]
}

fn point(span: f64) -> impl Strategy<Value = ChartPoint> {
    (-span..2.0 * span, value(), proptest::option::of(value()), proptest::option::of(value()))
        .prop_map(|(t, value, min, max)| ChartPoint { at: at(t), value, min, max })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_data_makes_a_chart_or_a_clear_error(
        span in prop_oneof![Just(0.001), Just(1.0), 60.0..1e6, Just(86_400.0 * 3650.0), Just(86_400.0 * 365.0 * 60.0), Just(253_402_300_000.0 - START as f64)],
        down in prop::collection::vec(point(1e6), 0..300),
        up in prop::collection::vec(point(1e6), 0..30),
        markers in prop::collection::vec(-1e6..2e6f64, 0..20),
        bars in any::<bool>(),
    ) {
        let spec = ChartSpec {
            title: "hostile".into(),
            unit: "things".into(),
            kind: if bars { ChartKind::Bars } else { ChartKind::Line },
            since: at(0.0),
            until: at(span),
            series: vec![ChartSeries { colour: None, label: "down".into(), points: down }, ChartSeries { colour: None, label: "up".into(), points: up }],
            markers: markers.into_iter().map(|t| Marker { at: at(t), label: "retrain".into() }).collect(),
        };
        render(&spec);
    }
}

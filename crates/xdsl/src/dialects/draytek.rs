//! DrayTek Vigor CLI (telnet/SSH): `vdsl status` / `adsl status` and `vdsl status more` /
//! `adsl status more`.
//!
//! The short form prints two `Label : value` pairs per line in two columns:
//!
//! ```text
//!    Running Mode            :      17A           State                : SHOWTIME
//!    DS Actual Rate          :  68349000 bps      US Actual Rate       :  19999000 bps
//! ```
//!
//! Pasted copies often lose the alignment (`Running Mode : 17A State : SHOWTIME`), so a line is
//! split into pairs by structure: the widest run of spaces between two colons, or else the
//! known label the text ends with, or else the shape of the value (a word and its unit).
//!
//! The long form is a table under a `Near End  Far End  Note` header: `Name : near far (unit)`.
//!
//! Counter window: both forms count since the modem started counting, not since the link came
//! up. The captures show it: with `Xdsl Link Times : 1` the near end still reports `UAS : 27`
//! (the unavailable seconds before the first showtime, which a since-link window would not
//! hold), and the short form's `FE ES Count` equals the long form's far-end `ES` in the same
//! session, so both forms share that window.

use crate::dialects::Dialect;
use crate::error::ParseError;
use crate::model::{
    Counter, Direction, DirectionStats, LineReading, LineState, Mode, Window, annex_from_text, profile_from_text,
};
use crate::text;

/// What a short-form label means. Labels the parser knows but does not use are listed too: they
/// mark the input as DrayTek output and help split lines whose alignment was lost.
#[derive(Clone, Copy)]
enum Field {
    RunningMode,
    State,
    Rate(Direction),
    Attainable(Direction),
    Attenuation(Direction),
    SnrMargin(Direction),
    Count(Direction, Counter),
    DslamVendor,
    Firmware,
    Ignored,
}

const LABELS: &[(&str, Field)] = &[
    ("running mode", Field::RunningMode),
    ("dsl modulation", Field::RunningMode),
    ("state", Field::State),
    ("ds actual rate", Field::Rate(Direction::Down)),
    ("us actual rate", Field::Rate(Direction::Up)),
    ("ds attainable rate", Field::Attainable(Direction::Down)),
    ("us attainable rate", Field::Attainable(Direction::Up)),
    ("ne current attenuation", Field::Attenuation(Direction::Down)),
    ("far current attenuation", Field::Attenuation(Direction::Up)),
    ("cur snr margin", Field::SnrMargin(Direction::Down)),
    ("far snr margin", Field::SnrMargin(Direction::Up)),
    ("ne crc count", Field::Count(Direction::Down, Counter::Crc)),
    ("fe crc count", Field::Count(Direction::Up, Counter::Crc)),
    ("ne es count", Field::Count(Direction::Down, Counter::Es)),
    ("fe es count", Field::Count(Direction::Up, Counter::Es)),
    ("ne count of crc", Field::Count(Direction::Down, Counter::Crc)),
    ("fe count of crc", Field::Count(Direction::Up, Counter::Crc)),
    ("ne count of fec", Field::Count(Direction::Down, Counter::Fec)),
    ("fe count of fec", Field::Count(Direction::Up, Counter::Fec)),
    ("dslam chipset vendor", Field::DslamVendor),
    ("vdsl firmware version", Field::Firmware),
    ("adsl firmware version", Field::Firmware),
    ("ds path mode", Field::Ignored),
    ("us path mode", Field::Ignored),
    ("ds interleave depth", Field::Ignored),
    ("us interleave depth", Field::Ignored),
    // Labelled PSD, but it behaves like a transmit power with its directions swapped on some
    // firmware: too unclear to report.
    ("ds actual psd", Field::Ignored),
    ("us actual psd", Field::Ignored),
    ("xdsl reset times", Field::Ignored),
    ("xdsl link times", Field::Ignored),
    ("itu version[0]", Field::Ignored),
    ("itu version[1]", Field::Ignored),
    ("co itu version[0]", Field::Ignored),
    ("co itu version[1]", Field::Ignored),
    ("power management mode", Field::Ignored),
    ("test mode", Field::Ignored),
];

/// The longest label of [`LABELS`], in words: no need to look further back for one.
const MAX_LABEL_WORDS: usize = 4;

pub fn recognises(input: &str) -> bool {
    input.contains("ATU-R Info")
        || input.contains("DSLAM CHIPSET VENDOR")
        || input.contains("DS Actual Rate") && input.contains("US Actual Rate")
        || input.contains("Near End") && input.contains("Far End") && input.contains("RsCorrection")
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let mut reading = LineReading::new(Dialect::Draytek);
    let mut found = false;
    // Inside the long form's table: the direction of its first and second value column.
    let mut table: Option<[Direction; 2]> = None;
    for (_, line) in text::lines(input) {
        let lower = line.to_ascii_lowercase();
        if let (Some(near), Some(far)) = (lower.find("near end"), lower.find("far end")) {
            table = Some(if near < far { [Direction::Down, Direction::Up] } else { [Direction::Up, Direction::Down] });
            found = true;
            continue;
        }
        if line.trim_start().starts_with("---") {
            table = None;
            continue;
        }
        match table {
            Some(columns) => found |= table_row(&mut reading, line, columns),
            None => {
                for (label, value) in pairs(line) {
                    found |= apply(&mut reading, label, value);
                }
            }
        }
    }
    if !found {
        return Err(ParseError::unrecognised(Dialect::Draytek, input));
    }
    // Outside showtime the modem prints zeros where it has no reading: they are not figures.
    if !matches!(reading.state, LineState::Showtime | LineState::Unknown) {
        reading.down = DirectionStats::default();
        reading.up = DirectionStats::default();
    }
    reading.counters.prune();
    if reading.is_empty() {
        return Err(ParseError::NotLineStatus {
            dialect: Dialect::Draytek,
            reason: "the output names no line figure".to_string(),
        });
    }
    Ok(reading)
}

/// One row of the long form: `Name : near far (note)`. Returns whether the row was understood.
fn table_row(reading: &mut LineReading, line: &str, columns: [Direction; 2]) -> bool {
    let Some((label, rest)) = text::split_label(line) else { return false };
    let (values, note) = match rest.find('(') {
        Some(open) => (&rest[..open], rest[open..].trim_matches(['(', ')', ' '])),
        None => (rest, ""),
    };
    let values = text::words(values);
    let key = label.to_ascii_lowercase();
    let counter = match key.as_str() {
        "fecs" => Some(Counter::Fecs),
        "es" => Some(Counter::Es),
        "ses" => Some(Counter::Ses),
        "loss" => Some(Counter::Los),
        "uas" => Some(Counter::Uas),
        "crc" => Some(Counter::Crc),
        "hecerror" => Some(Counter::Hec),
        "rscorrection" => Some(Counter::Fec),
        _ => None,
    };
    for (direction, value) in columns.into_iter().zip(values) {
        if let Some(counter) = counter {
            let total = reading.counters.entry(Window::Total).direction_mut(direction);
            total.set(counter, text::count(value));
            continue;
        }
        let stats = reading.direction_mut(direction);
        match key.as_str() {
            "retxenable" => stats.retransmission = flag(value),
            "inp" => stats.inp_symbols = inp(value, note),
            "interleavedelay" => stats.interleave_delay_ms = scaled(value, note, "ms"),
            _ => {}
        }
    }
    counter.is_some() || matches!(key.as_str(), "retxenable" | "inp" | "interleavedelay")
}

fn flag(value: &str) -> Option<bool> {
    match value {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// The `INP` row. Its note says `(symbols)`, but the value is the Lantiq DSL API's ACTINP that
/// the Vigor prints unscaled: tenths of a symbol, 0 to 25.4, with 255 meaning "more than 25.4"
/// (`230` symbols would be far beyond any INP the standards allow).
fn inp(value: &str, note: &str) -> Option<f64> {
    if note != "symbols" {
        return scaled(value, note, "symbols");
    }
    text::count(value).filter(|raw| *raw < 255).map(|raw| raw as f64 / 10.0)
}

/// A value in the unit its note names: `62` with `1/100 ms` is 0.62 ms. Without the unit the
/// scale is unknown and the value is not reported.
fn scaled(value: &str, note: &str, unit: &str) -> Option<f64> {
    let scale = note.strip_suffix(unit)?.trim();
    let divisor = match scale.strip_prefix("1/") {
        Some(divisor) => text::decimal(divisor).filter(|d| *d > 0.0)?,
        None if scale.is_empty() => 1.0,
        None => return None,
    };
    text::decimal(value).map(|v| v / divisor)
}

/// Applies one short-form pair. Returns whether the label is a DrayTek one.
fn apply(reading: &mut LineReading, label: &str, value: &str) -> bool {
    let Some(field) = field(label) else { return false };
    match field {
        Field::RunningMode => {
            let profile = value.split_whitespace().find_map(profile_from_text);
            reading.mode = Mode::from_text(value).or(profile.as_ref().map(|_| Mode::Vdsl2));
            reading.profile = profile;
            reading.annex = annex_from_text(value);
        }
        Field::State => {
            reading.state = LineState::from_text(value);
            reading.state_text = Some(value.to_string()).filter(|v| !v.is_empty());
        }
        // A zero rate is never a sync rate: the modem prints it when it has none.
        Field::Rate(d) => reading.direction_mut(d).rate_bps = text::rate(value, None).filter(|r| *r > 0),
        Field::Attainable(d) => reading.direction_mut(d).attainable_bps = text::rate(value, None).filter(|r| *r > 0),
        Field::Attenuation(d) => reading.direction_mut(d).attenuation_db = text::loose_decimal(value),
        Field::SnrMargin(d) => reading.direction_mut(d).snr_margin_db = text::loose_decimal(value),
        Field::Count(d, counter) => {
            let total = reading.counters.entry(Window::Total).direction_mut(d);
            total.set(counter, text::count(value));
        }
        Field::DslamVendor => {
            let vendor = value.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace());
            reading.far_end.vendor = Some(vendor.to_string()).filter(|v| !text::is_placeholder(v));
        }
        // `05-07-06-0D-01-07 [with Vectoring support]`: the version is the first word.
        Field::Firmware => reading.modem.firmware_version = value.split_whitespace().next().map(str::to_string),
        Field::Ignored => {}
    }
    true
}

fn field(label: &str) -> Option<Field> {
    let key = text::words(label).join(" ").to_ascii_lowercase();
    LABELS.iter().find(|(name, _)| *name == key).map(|(_, field)| *field)
}

/// Splits a short-form line into its `label : value` pairs.
fn pairs(line: &str) -> Vec<(&str, &str)> {
    let mut segments = line.split(':');
    let Some(first) = segments.next() else { return Vec::new() };
    let segments: Vec<&str> = segments.collect();
    let mut out = Vec::with_capacity(segments.len());
    let mut label = first.trim();
    for (i, segment) in segments.iter().enumerate() {
        if i + 1 == segments.len() {
            out.push((label, segment.trim()));
        } else {
            let (value, next) = value_and_label(segment.trim());
            out.push((label, value));
            label = next;
        }
    }
    out
}

/// Splits the text between two colons into the first pair's value and the second pair's label.
fn value_and_label(segment: &str) -> (&str, &str) {
    // A known label at the end, whatever the spacing (`17A State`, `0   FE  ES Count`).
    let spans = word_spans(segment);
    let known = (1..=spans.len().min(MAX_LABEL_WORDS)).rev().find(|&k| {
        let start = spans.len() - k;
        let label = &segment[spans[start].0..];
        field(label).is_some()
    });
    if let Some(k) = known {
        let start = spans[spans.len() - k].0;
        return (segment[..start].trim_end(), &segment[start..]);
    }
    // Columns: the widest run of spaces separates them.
    if let Some((gap_start, gap_end)) = widest_gap(segment).filter(|(s, e)| e - s >= 2) {
        return (&segment[..gap_start], &segment[gap_end..]);
    }
    // A lost alignment and an unknown label: the value is one word (two for `8. 3`) and a unit.
    let mut taken = 1;
    let word = |i: usize| spans.get(i).map(|&(s, e)| &segment[s..e]);
    if word(0).is_some_and(|w| w.ends_with('.')) && word(1).is_some_and(|w| text::count(w).is_some()) {
        taken = 2;
    }
    if word(taken).is_some_and(is_unit) {
        taken += 1;
    }
    match spans.get(taken) {
        Some(&(start, _)) => (segment[..start].trim_end(), &segment[start..]),
        None => (segment, ""),
    }
}

fn is_unit(word: &str) -> bool {
    text::rate_unit(word).is_some() || matches!(word.to_ascii_lowercase().as_str(), "db" | "dbm" | "ms" | "%")
}

/// Byte spans of the words of `text`.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// The widest run of whitespace between two words (the first one on a tie).
fn widest_gap(text: &str) -> Option<(usize, usize)> {
    let spans = word_spans(text);
    spans.windows(2).map(|w| (w[0].1, w[1].0)).fold(None, |best, gap| match best {
        Some((s, e)) if e - s >= gap.1 - gap.0 => Some((s, e)),
        _ => Some(gap),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Dialect;
    use crate::model::TpsTc;
    use crate::testkit::*;
    use proptest::prelude::*;

    const FIXTURES: &[&str] = &[
        "draytek/01-draytek-vigor-vdsl-status-more.txt",
        "draytek/02-draytek-vigor130-vdsl-status-17a-collapsed-spaces.txt",
        "draytek/03-draytek-vigor130-vdsl-status-17a-ifx-collapsed-spaces.txt",
        "draytek/04-draytek-vdsl-status-and-more-17a-collapsed-spaces-truncated.txt",
        "draytek/05-draytek-adsl-status-adsl2plus-collapsed-spaces.txt",
        "draytek/06-constructed-draytek-vdsl-status-training-aligned.txt",
        "draytek/07-constructed-draytek-vdsl-status-showtime-aligned.txt",
        "draytek/08-constructed-draytek-adsl-status-kbps-aligned.txt",
    ];

    fn total(r: &LineReading) -> &crate::model::WindowCounters {
        r.counters.total.as_ref().expect("total counters")
    }

    #[test]
    fn status_more_table() {
        let r = parse(&fixture(FIXTURES[0])).unwrap();
        assert_eq!(r.state, LineState::Unknown);
        let t = total(&r);
        assert_eq!((t.down.fecs, t.up.fecs), (Some(0), Some(2575)));
        assert_eq!((t.down.es, t.up.es), (Some(35), Some(3)));
        assert_eq!((t.down.ses, t.up.ses), (Some(3), Some(1)));
        assert_eq!((t.down.los, t.up.los), (Some(0), Some(0)));
        assert_eq!((t.down.uas, t.up.uas), (Some(27), Some(1861)));
        assert_eq!((t.down.crc, t.up.crc), (Some(126), Some(31)));
        assert_eq!((t.down.hec, t.up.hec), (Some(0), Some(0)));
        assert_eq!((t.down.fec, t.up.fec), (Some(0), Some(0)));
        assert_eq!((r.down.retransmission, r.up.retransmission), (Some(true), Some(true)));
        assert_eq!((r.down.inp_symbols, r.up.inp_symbols), (Some(23.0), Some(16.0)));
        assert_eq!((r.down.interleave_delay_ms, r.up.interleave_delay_ms), (Some(0.0), Some(0.62)));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn vdsl_status_collapsed_spaces() {
        let r = parse(&fixture(FIXTURES[1])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.state_text.as_deref(), Some("SHOWTIME"));
        assert_eq!(r.mode, Some(Mode::Vdsl2));
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(32_397_000), Some(17_000_000)));
        assert_eq!((r.down.attainable_bps, r.up.attainable_bps), (Some(41_041_052), Some(21_214_000)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(11.0), Some(13.0)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(12.0), Some(8.0)));
        let t = total(&r);
        assert_eq!((t.down.crc, t.up.crc), (Some(0), Some(63281)));
        assert_eq!((t.down.es, t.up.es), (Some(0), Some(7557)));
        assert_eq!(r.far_end.vendor.as_deref(), Some("BDCM"));
        assert_eq!(r.modem.firmware_version.as_deref(), Some("05-07-06-0D-01-07"));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn vdsl_status_collapsed_spaces_second_modem() {
        let r = parse(&fixture(FIXTURES[2])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(52_987_000), Some(15_661_000)));
        assert_eq!((r.down.attainable_bps, r.up.attainable_bps), (Some(45_049_704), Some(14_939_000)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(20.0), Some(30.0)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(4.0), Some(4.0)));
        let t = total(&r);
        assert_eq!((t.down.crc, t.up.crc), (Some(5349), Some(48)));
        assert_eq!((t.down.es, t.up.es), (Some(1402), Some(48)));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn status_and_more_in_one_paste() {
        let r = parse(&fixture(FIXTURES[3])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(26_435_000), Some(4_268_000)));
        assert_eq!((r.down.attainable_bps, r.up.attainable_bps), (Some(23_652_324), Some(4_232_000)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(27.0), Some(34.0)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(3.0), Some(5.0)));
        assert_eq!((r.down.retransmission, r.up.retransmission), (Some(false), Some(true)));
        let t = total(&r);
        assert_eq!((t.down.crc, t.up.crc), (Some(0), Some(115_788)));
        // Both forms agree on the far-end errored seconds: the same window.
        assert_eq!((t.down.es, t.up.es), (Some(0), Some(35291)));
        assert_eq!((t.down.fecs, t.up.fecs), (Some(0), Some(81826)));
        assert_eq!((t.down.ses, t.up.ses), (Some(0), Some(480)));
        assert_eq!((t.down.los, t.up.los), (Some(0), Some(282)));
        assert_eq!(t.down.uas, None);
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn adsl_status_state_on_its_own_line() {
        let r = parse(&fixture(FIXTURES[4])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.mode, Some(Mode::Adsl2Plus));
        assert_eq!(r.profile, None);
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(15_690_105), Some(945_980)));
        assert_eq!((r.down.attainable_bps, r.up.attainable_bps), (Some(15_740_000), Some(945_000)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(13.0), Some(7.0)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(12.0), Some(14.0)));
        assert_eq!(r.counters.total, None);
        assert_eq!(r.modem.firmware_version.as_deref(), Some("321311_A"));
        assert_eq!(r.tps_tc, None::<TpsTc>);
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn training_has_no_figures() {
        let r = parse(&fixture(FIXTURES[5])).unwrap();
        assert_eq!(r.state, LineState::Training);
        assert_eq!(r.state_text.as_deref(), Some("TRAINING"));
        assert!(r.down.is_empty() && r.up.is_empty());
        assert_eq!((r.mode, r.profile.as_deref()), (None, None));
        assert_eq!(r.far_end.vendor, None);
        // Counters since the modem started stay true while it trains.
        let t = total(&r);
        assert_eq!((t.down.es, t.up.es), (Some(12), Some(0)));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn aligned_columns() {
        let r = parse(&fixture(FIXTURES[6])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!(r.profile.as_deref(), Some("17a"));
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(68_349_000), Some(19_999_000)));
        assert_eq!((r.down.attainable_bps, r.up.attainable_bps), (Some(80_452_000), Some(27_113_000)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(14.0), Some(15.0)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(9.0), Some(6.5)));
        let t = total(&r);
        assert_eq!((t.down.crc, t.up.crc), (Some(17), Some(230)));
        // `FE  ES Count` keeps its double space in the aligned layout.
        assert_eq!((t.down.es, t.up.es), (Some(5), Some(41)));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn adsl_kbps_and_spaced_decimals() {
        let r = parse(&fixture(FIXTURES[7])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!((r.mode, r.annex.as_deref()), (Some(Mode::Adsl2Plus), Some("A")));
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(17_421_000), Some(1_021_000)));
        assert_eq!((r.down.attainable_bps, r.up.attainable_bps), (Some(18_232_000), Some(1_104_000)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(8.3), Some(12.0)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(21.0), Some(11.0)));
        let t = total(&r);
        assert_eq!((t.down.fec, t.down.crc), (Some(1532), Some(7)));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn idle_state_keeps_only_the_state() {
        let r =
            parse("   Running Mode  :            State  : IDLE\n   DS Actual Rate : 0 bps   US Actual Rate : 0 bps\n")
                .unwrap();
        assert_eq!(r.state, LineState::Idle);
        assert!(r.down.is_empty() && r.up.is_empty());
    }

    #[test]
    fn pairs_split_by_structure() {
        assert_eq!(pairs("Running Mode : 17A State : SHOWTIME"), [("Running Mode", "17A"), ("State", "SHOWTIME")]);
        assert_eq!(
            pairs(" NE ES Count     :     0     FE  ES Count   :   7557"),
            [("NE ES Count", "0"), ("FE  ES Count", "7557")]
        );
        assert_eq!(
            pairs("DS actual PSD : 0. 6 dB US actual PSD : 12. 5 dB"),
            [("DS actual PSD", "0. 6 dB"), ("US actual PSD", "12. 5 dB")]
        );
        // An unknown second label, aligned and not.
        assert_eq!(pairs("DS Foo : 12 dB    Bar Baz : 3"), [("DS Foo", "12 dB"), ("Bar Baz", "3")]);
        assert_eq!(pairs("DS Foo : 1. 5 dB Bar Baz : 3"), [("DS Foo", "1. 5 dB"), ("Bar Baz", "3")]);
        assert_eq!(pairs("Running Mode :      State : TRAINING"), [("Running Mode", ""), ("State", "TRAINING")]);
        assert!(pairs("no colon here").is_empty());
    }

    #[test]
    fn no_label_is_longer_than_the_lookback() {
        let longest = LABELS.iter().map(|(name, _)| text::words(name).len()).max();
        assert_eq!(longest, Some(MAX_LABEL_WORDS));
    }

    #[test]
    fn recognises_its_own_and_not_others() {
        for path in FIXTURES {
            assert!(recognises(&fixture(path)), "{path}");
        }
        for other in [
            "xdslctl-stats/02-bcm-adsl2-annexa-atm-rexmt-tabs.txt",
            "lantiq-dsl-control/01-buffalo-wbmr-hp-g300h-ar9-adsl-status-up-old-format.txt",
            "other/01-trendchip-zynos-wan-adsl-session.txt",
            "other/06-zyxel-vmg1312-b10d-webui-xdsl-statistics-text-17a-counters.txt",
        ] {
            assert!(!recognises(&fixture(other)), "{other}");
        }
    }

    #[test]
    fn megabyte_lines_are_fine() {
        // Linear time: these return at once (whatever they return).
        let _ = parse(&"DS Actual Rate : 1 bps US Foo Bar ".repeat(40_000));
        let _ = parse(&"x ".repeat(1 << 19));
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Draytek, FIXTURES);
    }

    #[test]
    fn error_output_is_an_error() {
        for answer in ["DrayTek> vdsl status\n% Unknown command\n", "Invalid command \"vdsl\"\n"] {
            assert!(matches!(parse(answer), Err(ParseError::ModemError { .. })), "{answer}");
        }
        assert!(matches!(parse("hello\n"), Err(ParseError::Unrecognised { .. })));
        assert!(matches!(parse("   Test Mode : DISABLE\n"), Err(ParseError::NotLineStatus { .. })));
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Draytek, &input);
        }
    }
}

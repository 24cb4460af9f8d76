//! ZyXEL web UI "xDSL Statistics" page as text (VMG/VMG13xx firmwares): a status block of
//! `Label: value` rows, a `Port Details` table whose header names the column order
//! (`Upstream  Downstream`), a per-band table we skip, then xdslctl-style counter windows.

use crate::error::ParseError;
use crate::model::{Direction, DirectionStats, LineReading, LineState, Mode, TpsTc, annex_from_text, profile_from_text};
use crate::text;

use super::{Dialect, broadcom};

pub fn recognises(input: &str) -> bool {
    text::lines(input).take(60).any(|(_, l)| l.contains("Port Details") && l.contains("stream"))
}

/// Which part of the page a line is in.
#[derive(PartialEq)]
enum Part {
    Status,
    PortDetails([Direction; 2]),
    Bands,
    Counters,
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    let mut reading = LineReading::new(Dialect::Zyxel);
    let mut part = Part::Status;
    let mut link_uptime = None;
    let mut counter_lines = Vec::new();
    let mut understood = 0;
    for (_, raw) in text::lines(input) {
        let line = raw.trim();
        if line.starts_with("===") || line.is_empty() {
            if part != Part::Counters {
                part = Part::Status;
            }
            continue;
        }
        if line.contains("Port Details") {
            part = Part::PortDetails(header_columns(line));
            understood += 1;
            continue;
        }
        if line.contains("Band Status") {
            part = Part::Bands;
            continue;
        }
        if line.ends_with("Counters") {
            part = Part::Counters;
            continue;
        }
        match part {
            Part::Counters => counter_lines.push(line),
            Part::Bands => {}
            Part::PortDetails(columns) => {
                if let Some((label, value)) = text::split_label(line) {
                    understood += usize::from(port_row(&mut reading, columns, label, value));
                }
            }
            Part::Status => {
                if let Some((label, value)) = text::split_label(line) {
                    understood += usize::from(status_row(&mut reading, &mut link_uptime, label, value));
                }
            }
        }
    }
    if understood == 0 {
        return Err(ParseError::unrecognised(Dialect::Zyxel, input));
    }
    broadcom::read_counter_windows(&mut reading, counter_lines.into_iter());
    // The page's own `Link Uptime` is the line's uptime; its counter windows disagree with it
    // on some firmware, and the status block is what the user sees.
    if link_uptime.is_some() {
        reading.uptime_s = link_uptime;
    }
    Ok(reading)
}

/// `VDSL Port Details   Upstream   Downstream`: the order of the value columns.
fn header_columns(line: &str) -> [Direction; 2] {
    let ups = line.find("Upstream");
    let downs = line.find("Downstream");
    match (ups, downs) {
        (Some(u), Some(d)) if u < d => [Direction::Up, Direction::Down],
        _ => [Direction::Down, Direction::Up],
    }
}

fn status_row(reading: &mut LineReading, link_uptime: &mut Option<u64>, label: &str, value: &str) -> bool {
    let label = label.to_ascii_lowercase();
    if label.ends_with("training status") {
        reading.state = LineState::from_text(value);
        reading.state_text = Some(value.to_string()).filter(|v| !v.is_empty());
    } else if label == "mode" {
        reading.mode = Mode::from_text(value);
        reading.annex = annex_from_text(value);
    } else if label.ends_with("profile") {
        reading.profile = profile_from_text(value);
    } else if label == "traffic type" {
        reading.tps_tc = TpsTc::from_text(value);
    } else if label == "link uptime" {
        *link_uptime = text::duration(value);
    } else {
        return false;
    }
    true
}

/// A row of the port table: two `value unit` cells.
fn port_row(reading: &mut LineReading, columns: [Direction; 2], label: &str, value: &str) -> bool {
    let set: fn(&mut DirectionStats, &str) = match label.to_ascii_lowercase().as_str() {
        "actual net data rate" => |d, v| d.rate_bps = text::rate(v, None),
        "attainable net data rate" => |d, v| d.attainable_bps = text::rate(v, None),
        "snr margin" => |d, v| d.snr_margin_db = text::decimal(v),
        "total attenuation" => |d, v| d.attenuation_db = text::decimal(v),
        "transmit power" => |d, v| d.power_dbm = text::decimal(v),
        "actual delay" => |d, v| d.interleave_delay_ms = text::decimal(v),
        "actual inp" => |d, v| d.inp_symbols = text::decimal(v),
        _ => return false,
    };
    for (direction, cell) in columns.into_iter().zip(cells(value)) {
        set(reading.direction_mut(direction), &cell);
    }
    true
}

/// Splits `7.044 Mbps       39.998 Mbps` or `- 3.1 dB  2.2 dB` into its value cells: a cell is
/// a number (with a sign that may stand apart) and the unit word after it.
fn cells(value: &str) -> Vec<String> {
    let mut cells: Vec<String> = Vec::new();
    let mut sign = false;
    for word in text::words(value) {
        if word == "-" {
            sign = true;
        } else if text::decimal(word).is_some() || text::is_placeholder(word) {
            cells.push(if sign { format!("-{word}") } else { word.to_string() });
            sign = false;
        } else if let Some(last) = cells.last_mut() {
            last.push(' ');
            last.push_str(word);
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Window;
    use crate::testkit::*;
    use proptest::prelude::*;

    const FIXTURES: &[&str] = &["other/06-zyxel-vmg1312-b10d-webui-xdsl-statistics-text-17a-counters.txt"];

    #[test]
    fn vmg1312_statistics_page() {
        let r = Dialect::Zyxel.parse(&fixture(FIXTURES[0])).unwrap();
        assert_eq!(r.state, LineState::Showtime);
        assert_eq!((r.mode, r.annex.as_deref(), r.profile.as_deref()), (Some(Mode::Vdsl2), Some("B"), Some("17a")));
        assert_eq!(r.tps_tc, Some(TpsTc::Ptm));
        // The port table lists upstream first.
        assert_eq!((r.down.rate_bps, r.up.rate_bps), (Some(39_999_000), Some(7_016_000)));
        assert_eq!((r.down.attainable_bps, r.up.attainable_bps), (Some(45_937_000), Some(7_016_000)));
        assert_eq!((r.down.snr_margin_db, r.up.snr_margin_db), (Some(6.3), Some(5.7)));
        assert_eq!((r.down.attenuation_db, r.up.attenuation_db), (Some(22.4), Some(8.8)));
        assert_eq!((r.down.power_dbm, r.up.power_dbm), (Some(11.4), Some(2.2)));
        assert_eq!(r.down.inp_symbols, Some(55.0));
        // The counters table lists downstream first.
        let total = r.counters.get(Window::Total).unwrap();
        assert_eq!((total.down.fec, total.up.fec), (Some(104_035_784), Some(74140)));
        assert_eq!((total.down.crc, total.up.crc), (Some(4890), Some(4133)));
        assert_eq!(total.retrains, Some(1));
        assert_eq!(r.counters.get(Window::Previous15m).unwrap().retrains, None);
        assert_eq!(r.uptime_s, Some(87 * 86400 + 21 * 3600 + 11 * 60));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn signed_cells() {
        assert_eq!(cells("- 3.1 dBm   -17.3 dBm"), vec!["-3.1 dBm", "-17.3 dBm"]);
        assert_eq!(cells("N/A    7.3"), vec!["N/A", "7.3"]);
    }

    #[test]
    fn recognised_by_content() {
        assert!(recognises(&fixture(FIXTURES[0])));
        assert!(!recognises(&fixture("xdslctl-stats/01-bcm-vdsl2-17a-ginp-retr-na.txt")));
    }

    #[test]
    fn login_page_is_an_error() {
        let err = Dialect::Zyxel.parse("<html><title>Login</title></html>").unwrap_err();
        assert!(matches!(err, ParseError::Unrecognised { .. }), "{err}");
    }

    #[test]
    fn survives_cuts_and_whitespace() {
        check_robust(Dialect::Zyxel, FIXTURES);
    }

    proptest! {
        #[test]
        fn never_panics(input in hostile_input(FIXTURES)) {
            parse_never_panics(Dialect::Zyxel, &input);
        }
    }
}

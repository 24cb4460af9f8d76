//! Helpers shared by the dialects: reading hostile modem text one line at a time, numbers with
//! units and placeholders, durations in the many ways modems write them.

/// The input's lines, numbered from 1, with CR, NUL and a leading BOM removed.
pub fn lines(input: &str) -> impl Iterator<Item = (usize, &str)> {
    input
        .trim_start_matches('\u{feff}')
        .split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches(['\r', '\0'])))
}

/// The first non-blank line and its number, for error messages.
pub fn first_line(input: &str) -> Option<(usize, String)> {
    lines(input).find(|(_, l)| !l.trim().is_empty()).map(|(n, l)| (n, excerpt(l)))
}

/// A line shortened to a length fit for an error message.
pub fn excerpt(line: &str) -> String {
    const MAX: usize = 120;
    let line = line.trim();
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Splits `label: rest` at the first colon. The label is trimmed; `rest` is trimmed too.
pub fn split_label(line: &str) -> Option<(&str, &str)> {
    let (label, rest) = line.split_once(':')?;
    Some((label.trim(), rest.trim()))
}

/// Words of a line, split on any run of whitespace (tabs and spaces are interchangeable: pasted
/// captures often have their tabs turned into spaces).
pub fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// True for the placeholders modems print where a value is not available.
pub fn is_placeholder(token: &str) -> bool {
    let t = token.trim();
    t.is_empty()
        || t.chars().all(|c| c == '-' || c == '*' || c == '?')
        || matches!(t.to_ascii_lowercase().as_str(), "n/a" | "na" | "nan" | "none" | "null" | "unknown" | "undefined" | "inf" | "-inf")
}

/// An unsigned count: `12345`. Placeholders, negative numbers and junk give `None`.
pub fn count(token: &str) -> Option<u64> {
    let t = token.trim();
    if is_placeholder(t) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A decimal number, possibly signed and possibly glued to a unit: `-2.2`, `21.3dB`, `- 3.1`.
pub fn decimal(token: &str) -> Option<f64> {
    let t = token.trim();
    if is_placeholder(t) {
        return None;
    }
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let number = &t[..end];
    if number.is_empty() || number.starts_with('.') && number.len() == 1 {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// A decimal as modem firmware prints it from tenths with `%d.%d`, or with a space after the
/// point: `8. 3 dB` → 8.3, `-1.-5` → -1.5, `0.-5` → -0.5; plain `14 dB` → 14.
pub fn loose_decimal(value: &str) -> Option<f64> {
    let value = value.trim();
    let Some((whole, fraction)) = value.split_once('.') else { return decimal(value) };
    let whole = whole.trim();
    let whole_digits = whole.trim_start_matches('-').trim_start();
    let fraction = fraction.trim_start();
    let (fraction_negative, fraction) = match fraction.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, fraction),
    };
    let fraction = &fraction[..fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len())];
    if whole_digits.is_empty() || !whole_digits.bytes().all(|b| b.is_ascii_digit()) || fraction.is_empty() {
        return decimal(value);
    }
    let magnitude: f64 = format!("{whole_digits}.{fraction}").parse().ok()?;
    let negative = whole.starts_with('-') || fraction_negative;
    magnitude.is_finite().then_some(if negative { -magnitude } else { magnitude })
}

/// A value given in tenths (0.1 dB, 0.1 dBm): `302` → 30.2.
pub fn tenths(token: &str) -> Option<f64> {
    decimal(token).map(|v| v / 10.0)
}

/// The multiplier that turns a rate unit into bit/s, if `unit` is one.
pub fn rate_unit(unit: &str) -> Option<f64> {
    let u = unit.trim().trim_end_matches(['.', ',', ')']).to_ascii_lowercase().replace(' ', "");
    match u.as_str() {
        "bps" | "b/s" | "bit/s" | "bits/s" => Some(1.0),
        "kbps" | "kb/s" | "kbit/s" | "kbits/s" | "kbit" | "k" => Some(1e3),
        "mbps" | "mb/s" | "mbit/s" | "mbits/s" | "mbit" | "m" => Some(1e6),
        "gbps" | "gb/s" | "gbit/s" => Some(1e9),
        _ => None,
    }
}

/// A rate with its unit in one string: `14.807 Mb/s`, `962 Kb/s`, `7.044 Mbps`, `4032 kbps`.
/// Without a unit, `default_multiplier` applies (e.g. 1000 where the format is known to be kbit/s).
pub fn rate(text: &str, default_multiplier: Option<f64>) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ' ')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value = decimal(number)?;
    let multiplier = if unit.trim().is_empty() { default_multiplier? } else { rate_unit(unit)? };
    if value < 0.0 {
        return None;
    }
    Some((value * multiplier).round() as u64)
}

/// A duration in the ways modems write them: `3 days 5 hours 2 min 38 sec`, `24 hours 0 sec`,
/// `0h 2m 24s`, `87 days: 21 hours: 11 minutes`, `1:36:39`, `2 days, 03:04:05`, `3600`.
pub fn duration(text: &str) -> Option<u64> {
    let t = text.trim().trim_end_matches('.');
    if t.is_empty() {
        return None;
    }
    if let Some(seconds) = count(t) {
        return Some(seconds);
    }
    let mut total: u64 = 0;
    let mut seen = false;
    let mut pending: Option<u64> = None;
    // Tokens: numbers, unit words, and h:m:s clocks; commas and colons after units are noise.
    let normalised = t.replace(',', " ");
    for raw in normalised.split_whitespace() {
        let token = raw.trim_end_matches(':');
        if token.contains(':') {
            total = total.checked_add(clock(token)?)?;
            seen = true;
            continue;
        }
        let digits_end = token.find(|c: char| !c.is_ascii_digit()).unwrap_or(token.len());
        let (number, unit) = token.split_at(digits_end);
        if !number.is_empty() {
            if pending.is_some() {
                return None;
            }
            pending = Some(number.parse().ok()?);
        }
        if !unit.is_empty() {
            let value = pending.take()?;
            total = total.checked_add(value.checked_mul(unit_seconds(unit)?)?)?;
            seen = true;
        }
    }
    if pending.is_some() {
        return None;
    }
    seen.then_some(total)
}

fn unit_seconds(unit: &str) -> Option<u64> {
    match unit.to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => Some(86_400),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(3_600),
        "m" | "min" | "mins" | "minute" | "minutes" => Some(60),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1),
        _ => None,
    }
}

/// `H:MM:SS` or `MM:SS`.
fn clock(token: &str) -> Option<u64> {
    let parts: Vec<&str> = token.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    parts.iter().try_fold(0u64, |acc, part| acc.checked_mul(60)?.checked_add(count(part)?))
}

/// Recognises the answer of a shell or CLI that refused the command: `Invalid command "adsl"`,
/// `sh: xdslctl: not found`, `Command not found`, `Permission denied`... Returns the line.
/// Dialects call this only when they found nothing they know, so a usage hint printed in the
/// middle of a good session does not spoil it.
pub fn error_transcript(input: &str) -> Option<(usize, String)> {
    const PATTERNS: [&str; 14] = [
        "invalid command",
        "unknown command",
        "command not found",
        ": not found",
        "not recognized",
        "permission denied",
        "no such file",
        "not supported",
        "unrecognized",
        "syntax error",
        "access denied",
        "error:",
        "failed to",
        "usage:",
    ];
    lines(input)
        .filter(|(_, l)| !l.trim().is_empty())
        .take(8)
        .find(|(_, l)| {
            let lower = l.to_ascii_lowercase();
            PATTERNS.iter().any(|p| lower.contains(p))
        })
        .map(|(n, l)| (n, excerpt(l)))
}

/// Decodes a hex vendor id such as `4244434D` to its ASCII text (`BDCM`) when it is printable.
pub fn hex_ascii(hex: &str) -> Option<String> {
    let digits: String = hex.chars().filter(|c| !matches!(c, ' ' | ',' | ':')).collect();
    let digits = digits.trim_start_matches("0x");
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..digits.len())
        .step_by(2)
        .map(|i| digits.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    let text: String = bytes?.into_iter().map(char::from).collect();
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ').to_string();
    (!text.is_empty() && text.chars().all(|c| c.is_ascii_graphic() || c == ' ')).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reject_placeholders_and_junk() {
        assert_eq!(count("3470557127"), Some(3470557127));
        assert_eq!(count(" 42 "), Some(42));
        assert_eq!(count("N/A"), None);
        assert_eq!(count("----"), None);
        assert_eq!(count("-1"), None);
        assert_eq!(count("1.5"), None);
        assert_eq!(count("99999999999999999999999"), None);
    }

    #[test]
    fn decimals_with_signs_and_units() {
        assert_eq!(decimal("-2.2"), Some(-2.2));
        assert_eq!(decimal("21.3dB"), Some(21.3));
        assert_eq!(decimal("- 3.1"), Some(-3.1));
        assert_eq!(decimal("NaN"), None);
        assert_eq!(decimal("."), None);
        assert_eq!(decimal("abc"), None);
        assert_eq!(tenths("302"), Some(30.2));
        assert_eq!(tenths("-145"), Some(-14.5));
    }

    #[test]
    fn loose_decimals() {
        assert_eq!(loose_decimal("8. 3 dB"), Some(8.3));
        assert_eq!(loose_decimal("-1.-5 db"), Some(-1.5));
        assert_eq!(loose_decimal("0.-5"), Some(-0.5));
        assert_eq!(loose_decimal("14 dB"), Some(14.0));
        assert_eq!(loose_decimal("21.8 dB"), Some(21.8));
        assert_eq!(loose_decimal("----"), None);
        assert_eq!(loose_decimal(". dB"), None);
    }

    #[test]
    fn rates_with_units() {
        assert_eq!(rate("14.807 Mb/s", None), Some(14_807_000));
        assert_eq!(rate("962 Kb/s", None), Some(962_000));
        assert_eq!(rate("7.044 Mbps", None), Some(7_044_000));
        assert_eq!(rate("4032 kbps", None), Some(4_032_000));
        assert_eq!(rate("4032", Some(1e3)), Some(4_032_000));
        assert_eq!(rate("4032", None), None);
        assert_eq!(rate("12 furlongs", None), None);
    }

    #[test]
    fn durations_in_all_spellings() {
        assert_eq!(duration("3 days 5 hours 2 min 38 sec"), Some(3 * 86400 + 5 * 3600 + 2 * 60 + 38));
        assert_eq!(duration("24 hours 0 sec"), Some(86400));
        assert_eq!(duration("0 sec"), Some(0));
        assert_eq!(duration("0h 2m 24s"), Some(144));
        assert_eq!(duration("87 days: 21 hours: 11 minutes"), Some(87 * 86400 + 21 * 3600 + 11 * 60));
        assert_eq!(duration("1:36:39"), Some(5799));
        assert_eq!(duration("0:04:55"), Some(295));
        assert_eq!(duration("2 days, 03:04:05"), Some(2 * 86400 + 3 * 3600 + 4 * 60 + 5));
        assert_eq!(duration("3600"), Some(3600));
        assert_eq!(duration("soon"), None);
        assert_eq!(duration("5 5 min"), None);
        assert_eq!(duration("min"), None);
    }

    #[test]
    fn error_transcripts() {
        assert!(error_transcript("Invalid command \"adsl\"\n").is_some());
        assert!(error_transcript("sh: xdslctl: not found\n").is_some());
        assert!(error_transcript("Status: Showtime\n").is_none());
    }

    #[test]
    fn vendor_ids() {
        assert_eq!(hex_ascii("4244434D").as_deref(), Some("BDCM"));
        assert_eq!(hex_ascii("45,43,49,20,74,65,6C,65").as_deref(), Some("ECI tele"));
        assert_eq!(hex_ascii("B500"), None);
        assert_eq!(hex_ascii("zz"), None);
    }
}

//! Test helpers shared by every dialect: fixtures from the repository's `fixtures/` folder and
//! the hostile-input checks each parser must pass.

use proptest::prelude::*;
use serde_json::Value;

use crate::dialects::Dialect;

/// A capture from the repository's `fixtures/` folder, verbatim.
pub fn fixture(path: &str) -> String {
    let full = format!("{}/../../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

/// Variants of a capture that real pastes produce: line endings changed, tabs turned into
/// runs of spaces and back, cut after every line. None may panic; and a cut capture may only
/// lose values, never change one (a parser that invents or shifts numbers on a truncated paste
/// fails here).
pub fn check_robust(dialect: Dialect, paths: &[&str]) {
    for path in paths {
        let input = fixture(path);
        let full = dialect.parse(&input).map(|r| serde_json::to_value(r).unwrap());
        let lf = input.replace("\r\n", "\n");
        let variants = [
            lf.clone(),
            lf.replace('\n', "\r\n"),
            lf.replace('\t', "   "),
            lf.replace('\t', "      "),
            lf.replace("    ", "\t"),
            lf.replace('\n', "\n\n"),
        ];
        for variant in &variants {
            let _ = dialect.parse(variant);
        }
        let lines: Vec<&str> = input.split_inclusive('\n').collect();
        for cut in 0..lines.len() {
            let prefix: String = lines[..cut].concat();
            let partial = dialect.parse(&prefix);
            if let (Ok(full), Ok(partial)) = (&full, partial) {
                let partial = serde_json::to_value(partial).unwrap();
                assert_subset(&partial, full, &format!("{path} cut after {cut} lines"), "");
            }
        }
    }
}

/// Every value in `part` (except the line state, which a cut paste may not reach) is in `whole`
/// with the same value.
fn assert_subset(part: &Value, whole: &Value, context: &str, at: &str) {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => {
            for (key, value) in p {
                if at.is_empty() && (key == "state" || key == "state_text") {
                    continue;
                }
                let path = format!("{at}.{key}");
                match w.get(key) {
                    Some(wv) => assert_subset(value, wv, context, &path),
                    None => panic!("{context}: {path} = {value} appears only in the cut capture"),
                }
            }
        }
        _ => assert_eq!(part, whole, "{context}: {at} differs from the whole capture"),
    }
}

/// Arbitrary text, arbitrary bytes read as text, and the captures mangled: lines dropped,
/// duplicated or cut, characters replaced, bytes cut at any point.
pub fn hostile_input(paths: &'static [&'static str]) -> impl Strategy<Value = String> {
    let captures: Vec<String> = paths.iter().map(|p| fixture(p)).collect();
    let mangled = (0..captures.len().max(1), proptest::collection::vec((any::<u16>(), 0u8..6, any::<char>()), 0..12))
        .prop_map(move |(which, edits)| {
            let base = captures.get(which).cloned().unwrap_or_default();
            mangle(base, &edits)
        });
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        mangled,
    ]
}

fn mangle(text: String, edits: &[(u16, u8, char)]) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for &(position, kind, ch) in edits {
        if lines.is_empty() {
            break;
        }
        let i = position as usize % lines.len();
        match kind {
            0 => {
                lines.remove(i);
            }
            1 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            2 => {
                let cut = lines[i].char_indices().nth(position as usize % (lines[i].chars().count() + 1)).map(|(b, _)| b);
                if let Some(b) = cut {
                    lines[i].truncate(b);
                }
            }
            3 => {
                let chars: Vec<char> = lines[i].chars().collect();
                if !chars.is_empty() {
                    let at = position as usize % chars.len();
                    lines[i] = chars.iter().enumerate().map(|(k, c)| if k == at { ch } else { *c }).collect();
                }
            }
            4 => lines[i].push_str(" N/A 4294967296 -1 NaN"),
            _ => lines.truncate(i),
        }
    }
    lines.join("\n")
}

/// Parses and serialises the result; the test fails on a panic or on a non-finite number
/// (which JSON would turn into `null`).
pub fn parse_never_panics(dialect: Dialect, input: &str) {
    if let Ok(reading) = dialect.parse(input) {
        let json = serde_json::to_value(&reading).expect("a reading always serialises");
        assert_no_null(&json);
    }
}

fn assert_no_null(value: &Value) {
    match value {
        Value::Null => panic!("a reading holds a non-finite number"),
        Value::Array(items) => items.iter().for_each(assert_no_null),
        Value::Object(map) => map.values().for_each(assert_no_null),
        _ => {}
    }
}

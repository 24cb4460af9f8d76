//! Why a capture could not be read. Every variant names the dialect and, where there is one,
//! the line that could not be made sense of, so a user can file a useful report.

use crate::dialects::Dialect;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the input is empty")]
    Empty,

    /// The modem or its shell refused the command; this is never a reading of zeros.
    #[error("the modem answered with an error, not a line status: line {line}: {text:?}")]
    ModemError { line: usize, text: String },

    /// Nothing in the input belongs to the dialect's layouts.
    #[error("not {dialect} output: line {line} ({text:?}) matches no layout that dialect knows")]
    Unrecognised { dialect: Dialect, line: usize, text: String },

    /// The input is of the dialect but broken beyond use (e.g. JSON cut short before any value).
    #[error("{dialect} output is malformed at line {line}: {reason}")]
    Malformed { dialect: Dialect, line: usize, reason: String },

    /// The input is of the dialect but holds no line status (configuration, device info...).
    #[error("{dialect} output holds no line status: {reason}")]
    NotLineStatus { dialect: Dialect, reason: String },

    /// `--detect` found no dialect that recognises the input.
    #[error("no known dialect recognises this output (tried {}); first line {line}: {text:?}", list(tried))]
    Undetected { tried: Vec<Dialect>, line: usize, text: String },
}

fn list(dialects: &[Dialect]) -> String {
    dialects.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
}

impl ParseError {
    /// The error for input that a dialect could not place: a refusal from the modem when the
    /// text looks like one, otherwise the first non-blank line.
    pub fn unrecognised(dialect: Dialect, input: &str) -> ParseError {
        if let Some((line, text)) = crate::text::error_transcript(input) {
            return ParseError::ModemError { line, text };
        }
        match crate::text::first_line(input) {
            Some((line, text)) => ParseError::Unrecognised { dialect, line, text },
            None => ParseError::Empty,
        }
    }
}

//! TODO
use crate::error::ParseError;
use crate::model::LineReading;

pub fn recognises(_input: &str) -> bool {
    false
}

pub fn parse(input: &str) -> Result<LineReading, ParseError> {
    Err(ParseError::unrecognised(super::Dialect::Zyxel, input))
}

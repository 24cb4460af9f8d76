//! The xDSL line model, counter arithmetic and one parser per modem output dialect.
//!
//! Pure library: no I/O, no async. Parsers take the text a modem printed and return a
//! [`LineReading`] in fixed units (bit/s, dB, seconds), or a [`ParseError`] that says what could
//! not be read and where.

pub mod counters;
pub mod dialects;
pub mod error;
pub mod model;
pub mod text;

#[cfg(test)]
mod testkit;

pub use dialects::{Dialect, detect, parse_detected};
pub use error::ParseError;
pub use model::{
    CounterWindows, Counter, Direction, DirectionStats, ErrorCounters, FarEnd, LineReading, LineState, Mode, ModemInfo,
    TpsTc, Window, WindowCounters,
};

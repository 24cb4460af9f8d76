//! Drivers (later in this issue).

//! linewatch: watches an xDSL line and the WAN behind it. The binary is a thin shell over
//! this library, so end-to-end tests can drive the same code.

pub mod alerts;
pub mod charts;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod derive;
pub mod devices;
pub mod discord;
pub mod export;
pub mod history;
pub mod metrics;
pub mod notify;
pub mod render;
pub mod sim;
pub mod store;
pub mod wan;

//! linewatch: watches an xDSL line and the WAN behind it.

mod cli;
mod config;
mod devices;
mod render;

fn main() -> std::process::ExitCode {
    cli::run()
}

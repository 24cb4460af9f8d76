//! linewatch: watches an xDSL line and the WAN behind it.

mod cli;
mod render;

fn main() -> std::process::ExitCode {
    cli::run()
}

//! The `linewatch` command.

fn main() -> std::process::ExitCode {
    // One TLS provider for every HTTPS client in the process.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    linewatch::cli::run()
}

//! Helpers shared by the end-to-end tests: finding real peers, free ports, fixtures.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// The repository's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(fixtures().join(path)).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// Whether a real peer (a program from a Debian package) is installed. Under `CI=true` a
/// missing peer fails the test; elsewhere the test is skipped with a loud message.
pub fn peer_available(program: &str, package: &str) -> bool {
    let found = which(program).is_some();
    if !found {
        let message = format!("{program} is not installed (Debian package {package}): `.ci/run` installs it");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message}");
        }
        eprintln!("\n!!! SKIPPED: {message}\n");
    }
    found
}

pub fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).exists().then(|| PathBuf::from(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something listens on `port` (a server started in the background).
pub fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("nothing listens on port {port} after 5s");
}

/// The body of `GET http://127.0.0.1:{port}{path}` (HTTP/1.0, no client library needed), or
/// an empty string when nothing answers.
pub fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return String::new() };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let _ = write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

/// Unprivileged ping sockets for our group, or root (raw sockets). Under `CI=true` we are root:
/// a refusal there fails.
pub fn ping_allowed() -> bool {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap_or_default();
    let bounds: Vec<u32> = range.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    let gid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Gid:")).and_then(|l| l.split_whitespace().nth(2)?.parse::<u32>().ok()));
    let uid_root = std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0")));
    let unprivileged = matches!((&bounds[..], gid), ([low, high], Some(g)) if low <= high && (*low..=*high).contains(&g));
    if !(unprivileged || uid_root) {
        let message = "ICMP is not allowed here: neither root nor in net.ipv4.ping_group_range";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message}");
        }
        eprintln!("\n!!! SKIPPED: {message}\n");
    }
    unprivileged || uid_root
}

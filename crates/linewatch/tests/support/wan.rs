//! Helpers for the WAN tests: firewall configs pointing at the simulator (secrets in files),
//! and the real DNS and STUN peers (dnsmasq, coturn) on free ports.
#![allow(dead_code)]

use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use linewatch::config::{Config, FirewallConfig};
use tempfile::TempDir;

use crate::support::{peer_available, which};

/// A `[[firewall]]` entry named `fw` for `url`, its key and secret in files under the
/// returned directory (keep it alive while the config is used).
pub fn firewall_config(url: &str, kind: &str, key: &str, secret: Option<&str>, extra: &str) -> (TempDir, FirewallConfig) {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    let mut text = format!("[[firewall]]\nname = \"fw\"\nkind = \"{kind}\"\nurl = \"{url}\"\napi_key_file = {key_file:?}\ntimeout = \"2s\"\n{extra}\n");
    if let Some(secret) = secret {
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, secret).unwrap();
        text.push_str(&format!("api_secret_file = {secret_file:?}\n"));
    }
    let config = Config::parse(&text).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
    (dir, config.firewalls[0].clone())
}

/// A process started by a test, killed when the test ends.
pub struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A port on 127.0.0.1 free for both UDP and TCP a moment ago (DNS and STUN servers take both).
fn free_udp_and_tcp_port() -> u16 {
    loop {
        let port = free_udp_port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Starts the server that `command` makes for a port, on a free one: another port when the
/// server could not have it (a parallel test took it between our look and its bind).
fn start_on_free_port(what: &str, command: impl Fn(u16) -> Command) -> (Peer, u16) {
    for _ in 0..5 {
        let port = free_udp_and_tcp_port();
        let child = command(port).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
        let mut peer = Peer(child);
        match wait_for_udp(port, &mut peer) {
            Ok(()) => return (peer, port),
            Err(exited) => eprintln!("{what} on port {port}: {exited}; trying another port"),
        }
    }
    panic!("{what} did not start on any of 5 free ports");
}

/// Waits until a server holds UDP `port` (binding it fails); an error when it exited.
fn wait_for_udp(port: u16, peer: &mut Peer) -> Result<(), String> {
    for _ in 0..200 {
        if UdpSocket::bind(("127.0.0.1", port)).is_err() {
            return Ok(());
        }
        if let Ok(Some(status)) = peer.0.try_wait() {
            return Err(format!("exited: {status}"));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listens on UDP port {port} after 5s");
}

/// dnsmasq answering `records` (name, IPv4) and nothing else: no upstream, no /etc/hosts.
/// Other names in the records' domains are NXDOMAIN; names elsewhere are refused. With its
/// port; `None` when dnsmasq is not installed (skipped loudly; fails under CI).
pub fn dnsmasq(records: &[(&str, &str)]) -> Option<(Peer, u16)> {
    if !peer_available("dnsmasq", "dnsmasq-base") {
        return None;
    }
    Some(start_on_free_port("dnsmasq", |port| {
        let mut command = Command::new(which("dnsmasq").unwrap());
        command.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--pid-file=",
            "--log-facility=-",
        ]);
        command.arg(format!("--port={port}"));
        // As root dnsmasq would switch to a `dnsmasq` or `nobody` user that may not exist.
        if is_root() {
            command.arg("--user=root");
        }
        for (name, address) in records {
            command.arg(format!("--host-record={name},{address}"));
            if let Some((_, domain)) = name.split_once('.') {
                command.arg(format!("--local=/{domain}/"));
            }
        }
        command
    }))
}

/// coturn as a plain STUN server, with its port. `None` when it is not installed.
pub fn coturn() -> Option<(Peer, u16)> {
    if !peer_available("turnserver", "coturn") {
        return None;
    }
    Some(start_on_free_port("turnserver", |port| {
        let mut command = Command::new(which("turnserver").unwrap());
        command.args(["-n", "--listening-ip=127.0.0.1", "--stun-only", "--no-tls", "--no-dtls", "--no-cli", "--log-file=stdout", "--simple-log"]);
        command.arg(format!("--listening-port={port}"));
        command
    }))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

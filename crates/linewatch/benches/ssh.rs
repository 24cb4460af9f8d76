//! Issue #3's benchmark: what one reading costs over a persistent SSH session versus a new
//! connection per reading (the old bot's way, done with the same russh client so the
//! comparison is fair), against a local dropbear serving a real capture; and the peak RSS of
//! `linewatch poll --watch` after 1,000 readings. Not a timed test: run it with
//! `cargo bench -p linewatch --bench ssh` (as root: dropbear logs in a test user).

#[path = "../tests/support/mod.rs"]
mod support;
#[path = "../tests/support/ssh_servers.rs"]
mod ssh_servers;

use std::process::Command;
use std::time::{Duration, Instant};

use linewatch::devices::ssh::SshClient;
use nix::sys::resource::{UsageWho, getrusage};
use ssh_servers::{Login, STATS, SshServer};

const TIMEOUT: Duration = Duration::from_secs(10);
const READINGS: u32 = 200;

/// CPU seconds (user + system) used so far by `who`.
fn cpu_seconds(who: UsageWho) -> f64 {
    let usage = getrusage(who).expect("getrusage");
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    seconds(usage.user_time()) + seconds(usage.system_time())
}

/// Wall and client CPU time of one reading, in milliseconds.
struct Cost {
    wall_ms: f64,
    cpu_ms: f64,
}

impl Cost {
    fn since(wall0: Instant, cpu0: f64) -> Cost {
        let n = f64::from(READINGS);
        Cost {
            wall_ms: wall0.elapsed().as_secs_f64() * 1000.0 / n,
            cpu_ms: (cpu_seconds(UsageWho::RUSAGE_SELF) - cpu0) * 1000.0 / n,
        }
    }
}

fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let Some(server) = SshServer::dropbear(Login::Exec) else {
        eprintln!("dropbear or the test user is missing: nothing measured");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let known_hosts = dir.path().join("known_hosts");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    let (persistent, fresh) = runtime.block_on(async {
        let mut client = SshClient::new(server.options(&known_hosts));
        // Pin the key and open the session before measuring.
        client.run(STATS, TIMEOUT).await.unwrap();
        let (wall0, cpu0) = (Instant::now(), cpu_seconds(UsageWho::RUSAGE_SELF));
        for _ in 0..READINGS {
            client.run(STATS, TIMEOUT).await.unwrap();
        }
        let persistent = Cost::since(wall0, cpu0);
        assert_eq!(client.sessions_opened(), 1);

        let (wall0, cpu0) = (Instant::now(), cpu_seconds(UsageWho::RUSAGE_SELF));
        for _ in 0..READINGS {
            let mut client = SshClient::new(server.options(&known_hosts));
            client.run(STATS, TIMEOUT).await.unwrap();
            client.close().await;
        }
        (persistent, Cost::since(wall0, cpu0))
    });

    println!("per reading, {READINGS} readings each, against dropbear on 127.0.0.1 serving {}:", ssh_servers::CAPTURE);
    println!("  (a) persistent session:   {:8.2} ms wall  {:8.3} ms client CPU", persistent.wall_ms, persistent.cpu_ms);
    println!("  (b) new connection each:  {:8.2} ms wall  {:8.3} ms client CPU", fresh.wall_ms, fresh.cpu_ms);
    println!(
        "  (b)/(a):                  {:8.1}x wall    {:8.1}x CPU   (targets: >= 20x wall, >= 10x CPU)",
        fresh.wall_ms / persistent.wall_ms,
        fresh.cpu_ms / persistent.cpu_ms
    );

    // Peak RSS of the real command after 1,000 readings on one session.
    let password = dir.path().join("password");
    std::fs::write(&password, ssh_servers::PASSWORD).unwrap();
    let config = dir.path().join("linewatch.toml");
    std::fs::write(
        &config,
        format!(
            "[[modem]]\nname = \"bench\"\ndriver = \"broadcom\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"{}\"\npassword_file = \"{}\"\n",
            server.port(),
            ssh_servers::USER,
            password.display()
        ),
    )
    .unwrap();
    // GNU time reports the peak RSS of that one process (getrusage would mix in every child
    // this benchmark ever waited for).
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M", env!("CARGO_BIN_EXE_linewatch")])
        .args(["--config", config.to_str().unwrap(), "--data-dir", dir.path().to_str().unwrap()])
        .args(["poll", "bench", "--watch", "--json", "--count", "1000", "--interval", "1ms"])
        .stdout(std::process::Stdio::null())
        .output()
        .expect("GNU time (Debian package `time`)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak_kib: f64 = stderr.lines().last().and_then(|l| l.trim().parse().ok()).expect("peak RSS from GNU time");
    println!("peak RSS of `linewatch poll --watch` after 1,000 readings: {:.1} MiB (target <= 15 MiB)", peak_kib / 1024.0);
}

//! How fast the bot acknowledges an interaction: from INTERACTION_CREATE queued at the mock
//! Discord to the bot's first callback there, over 1,000 interactions one after the other —
//! `/status` against a simulated modem (target p99 ≤ 50 ms), then the Refresh button against
//! a modem that takes 10 s to answer (target: every one acknowledged in < 1 s).
//!
//! `cargo bench -p linewatch --bench discord`. Prints the figures; asserts nothing.

#[path = "../tests/support/discord.rs"]
mod discord;

use std::time::Duration;

use discord::{MEMBER, ModemKind, Rig};
use linewatch::discord::BotOptions;
use serde_json::json;

const INTERACTIONS: usize = 1000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut latencies: Vec<Duration>, kinds: &[u8]) {
    latencies.sort();
    let under_1s = latencies.iter().filter(|l| **l < Duration::from_secs(1)).count();
    println!(
        "{what}: {} interactions, first callback (types {kinds:?}) p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {under_1s} acknowledged in < 1 s",
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

async fn measure(rig: &Rig, send: impl Fn() -> discord_mock::InteractionHandle) -> (Vec<Duration>, Vec<u8>) {
    let mut latencies = Vec::with_capacity(INTERACTIONS);
    let mut kinds = Vec::new();
    for _ in 0..INTERACTIONS {
        let handle = send();
        let callback = rig.callback(&handle).await;
        latencies.push(callback.at.duration_since(handle.created_at));
        if !kinds.contains(&callback.kind) {
            kinds.push(callback.kind);
        }
    }
    (latencies, kinds)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let rig = Rig::start(ModemKind::Sim { speed: 1.0 }, BotOptions::default()).await;
        rig.wait_for_readings("home", "dsl_datarate", 1).await;
        let (latencies, kinds) = measure(&rig, || rig.mock.send_slash_command("status", json!([]), MEMBER, &[])).await;
        report("/status, simulated modem", latencies, &kinds);
        drop(rig);

        let rig = Rig::start(ModemKind::Silent, BotOptions::default()).await;
        let status = rig.mock.send_slash_command("status", json!([]), MEMBER, &[]);
        let message = rig.answer(&status).await;
        let (latencies, kinds) = measure(&rig, || rig.mock.click_button(&message, "refresh:*", MEMBER)).await;
        report("Refresh, a modem that takes 10 s", latencies, &kinds);
    });
    // The refreshes still queued at the silent modem are dropped with the runtime.
    runtime.shutdown_timeout(Duration::from_secs(1));
}

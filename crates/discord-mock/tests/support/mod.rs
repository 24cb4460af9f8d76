//! Helpers for driving the mock with the real twilight crates.
#![allow(dead_code)] // each test file uses a different part

use discord_mock::MockDiscord;
use std::time::Duration;
use tokio::sync::mpsc;
use twilight_gateway::{Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt};
use twilight_model::id::{
    Id,
    marker::{ApplicationMarker, ChannelMarker, GuildMarker},
};

pub const ALICE: u64 = 500_000_000_000_000_001;
pub const ADMIN_ROLE: u64 = 600_000_000_000_000_001;
/// Generous, only so that a broken test fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn install_crypto() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// A twilight-http client pointed at the mock, as the bot will build it.
pub fn http(mock: &MockDiscord) -> twilight_http::Client {
    http_with_token(mock, &mock.options().token)
}

pub fn http_with_token(mock: &MockDiscord, token: &str) -> twilight_http::Client {
    install_crypto();
    twilight_http::Client::builder()
        .token(token.to_owned())
        .proxy(mock.http_addr().to_string(), true)
        .timeout(PATIENCE)
        .build()
}

pub fn app(mock: &MockDiscord) -> Id<ApplicationMarker> {
    Id::new(mock.options().application_id)
}

pub fn guild(mock: &MockDiscord) -> Id<GuildMarker> {
    Id::new(mock.options().guild_id)
}

pub fn channel(mock: &MockDiscord) -> Id<ChannelMarker> {
    Id::new(mock.options().channels[0])
}

/// Events (or the text of an error) from a shard polled in the background, so that it
/// heartbeats and reconnects on its own like the bot's.
pub type Events = mpsc::UnboundedReceiver<Result<Event, String>>;

pub fn connect(mock: &MockDiscord, token: &str, intents: Intents) -> Events {
    install_crypto();
    let config = twilight_gateway::ConfigBuilder::new(token.to_owned(), intents)
        .proxy_url(mock.ws_url())
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(item) = shard.next_event(EventTypeFlags::all()).await {
            if tx.send(item.map_err(|e| format!("{e:?}"))).is_err() {
                return;
            }
        }
    });
    rx
}

pub fn connect_bot(mock: &MockDiscord) -> Events {
    connect(mock, &mock.options().token, Intents::GUILDS)
}

/// The next event that `wanted` accepts; any receive error (e.g. a payload twilight cannot
/// deserialise) fails the test.
pub async fn next_event(events: &mut Events, wanted: impl Fn(&Event) -> bool) -> Event {
    let wait = async {
        loop {
            match events.recv().await {
                Some(Ok(event)) if wanted(&event) => return event,
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("shard error: {error}"),
                None => panic!("shard stopped"),
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait).await.expect("event within the patience timeout")
}

//! Pushing readings to an `[[export]]`: InfluxDB v1/v2 line protocol or Prometheus
//! remote-write, over HTTP.
//!
//! Each reading is encoded once, when it arrives, and queued; a flush sends the oldest
//! readings in requests of at most [`MAX_BODY_BYTES`], retrying a request that meets a
//! connection error, a timeout, 408, 429 or 5xx (twice, after 1 s and 2 s, or after the
//! receiver's `Retry-After`); what still fails stays queued for the next flush. A request the
//! receiver refuses (other 4xx) cannot succeed later, so its readings are dropped. The queue
//! keeps at most [`MAX_QUEUED_BYTES`]: past that the oldest readings go. Errors name the
//! export and its URL, never a credential.

use std::collections::VecDeque;
use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderValue};
use tokio::sync::mpsc;

use super::TargetSamples;
use super::influx::LineProtocol;
use super::remote_write;
use crate::config::{ExportConfig, ExportKind, Secret};

/// The most one request carries (before compression), unless a single reading is larger.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The most readings waiting for a receiver that is away, encoded (about a week of one line
/// every 30 s).
pub const MAX_QUEUED_BYTES: usize = 64 << 20;
const ATTEMPTS: u32 = 3;
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(30);
/// How much of a refusal's body is read, and quoted.
const BODY_READ: usize = 4096;
const BODY_QUOTED: usize = 300;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PushError {
    /// The receiver did not answer, or is overloaded: the readings stay queued.
    #[error("export {export:?}: {url}: {reason}; {queued} readings kept for the next try")]
    Unavailable { export: String, url: String, reason: String, queued: usize },
    /// The receiver refused the request (bad credentials, unknown database, a field type
    /// conflict): its readings are dropped.
    #[error("export {export:?}: {url} refused {dropped} readings, dropped: {reason}")]
    Refused { export: String, url: String, reason: String, dropped: usize },
}

#[derive(Debug)]
enum Format {
    Influx(LineProtocol),
    RemoteWrite,
}

#[derive(Debug)]
enum Auth {
    None,
    Basic { user: String, password: Secret },
    /// `Token …` (InfluxDB v2) or `Bearer …` (remote-write), marked sensitive.
    Header(HeaderValue),
}

/// How one request ended, before it is put in a `PushError`.
enum Failure {
    Retry { after: Option<Duration>, reason: String },
    Refused(String),
}

/// One `[[export]]`: its queue of encoded readings and where they go.
#[derive(Debug)]
pub struct Pusher {
    name: String,
    format: Format,
    url: reqwest::Url,
    /// The URL as errors show it.
    shown_url: String,
    auth: Auth,
    /// Only these lines; all when empty.
    lines: Vec<String>,
    interval: Duration,
    http: reqwest::Client,
    /// Encoded readings, oldest first.
    queue: VecDeque<Vec<u8>>,
    queued_bytes: usize,
    /// Readings dropped because the queue was full, since the last successful request.
    overflowed: u64,
}

impl Pusher {
    /// Builds the pusher of an `[[export]]` entry, reading its secrets.
    pub fn from_config(config: &ExportConfig) -> anyhow::Result<Pusher> {
        let name = config.name();
        let fail = |e: String| anyhow::anyhow!("export {name:?}: {e}");
        let mut url = reqwest::Url::parse(&config.url).map_err(|e| fail(format!("url is not a URL ({e})")))?;
        let mut endpoint = |segments: &[&str], query: &[(&str, Option<&String>)]| -> anyhow::Result<()> {
            url.path_segments_mut().map_err(|()| fail("url cannot take a path".into()))?.pop_if_empty().extend(segments);
            for (key, value) in query {
                let value = value.ok_or_else(|| fail(format!("`{key}` is missing")))?;
                url.query_pairs_mut().append_pair(key, value);
            }
            url.query_pairs_mut().append_pair("precision", "s");
            Ok(())
        };
        let format = match config.kind {
            ExportKind::InfluxV1 => {
                endpoint(&["write"], &[("db", config.database.as_ref())])?;
                Format::Influx(LineProtocol { schema: config.schema() })
            }
            ExportKind::InfluxV2 => {
                endpoint(&["api", "v2", "write"], &[("org", config.org.as_ref()), ("bucket", config.bucket.as_ref())])?;
                Format::Influx(LineProtocol { schema: config.schema() })
            }
            ExportKind::RemoteWrite => Format::RemoteWrite,
        };
        let read = |source: Option<crate::config::SecretSource>| source.map(|s| s.read()).transpose().map_err(fail);
        let password = read(config.password_source().map_err(fail)?)?;
        let token = read(config.token_source().map_err(fail)?)?;
        let auth = match (&config.user, password, token) {
            (Some(user), Some(password), _) => Auth::Basic { user: user.clone(), password },
            (_, _, Some(token)) => {
                let scheme = if config.kind == ExportKind::InfluxV2 { "Token" } else { "Bearer" };
                let mut value = HeaderValue::from_str(&format!("{scheme} {}", token.expose()))
                    .map_err(|_| fail("the token has characters that cannot go in an HTTP header".into()))?;
                value.set_sensitive(true);
                Auth::Header(value)
            }
            _ => Auth::None,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            // A redirect would be followed without the body or the credentials' intent: say so instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("linewatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| fail(format!("cannot build an HTTP client: {e}")))?;
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        Ok(Pusher {
            name,
            format,
            shown_url: shown.to_string(),
            url,
            auth,
            lines: config.lines.clone(),
            interval: config.interval,
            http,
            queue: VecDeque::new(),
            queued_bytes: 0,
            overflowed: 0,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Readings waiting to be sent.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Encodes a reading and queues it (unless this export leaves its line out).
    pub fn enqueue(&mut self, target: &TargetSamples) {
        if !self.lines.is_empty() && !self.lines.contains(&target.line) {
            return;
        }
        let encoded = match &self.format {
            Format::Influx(protocol) => protocol.render(target).into_bytes(),
            Format::RemoteWrite => remote_write::encode(target),
        };
        if encoded.is_empty() {
            return;
        }
        self.queued_bytes += encoded.len();
        self.queue.push_back(encoded);
        while self.queued_bytes > MAX_QUEUED_BYTES && self.queue.len() > 1 {
            self.pop_front(1);
            if self.overflowed == 0 {
                tracing::warn!(export = %self.name, "{} does not take readings: the queue is full, dropping the oldest", self.shown_url);
            }
            self.overflowed += 1;
        }
    }

    /// Sends everything queued, oldest first. `Ok`: how many readings went.
    pub async fn flush(&mut self) -> Result<usize, PushError> {
        let mut sent = 0;
        while !self.queue.is_empty() {
            let (count, size) = self.queue.iter().fold((0, 0), |(count, size), reading| {
                if count == 0 || size + reading.len() <= MAX_BODY_BYTES { (count + 1, size + reading.len()) } else { (count, size) }
            });
            let mut body = Vec::with_capacity(size);
            self.queue.iter().take(count).for_each(|reading| body.extend_from_slice(reading));
            let result = match self.format {
                Format::Influx(_) => self.send_with_retries(body).await,
                Format::RemoteWrite => match remote_write::compress(&body) {
                    Ok(body) => self.send_with_retries(body).await,
                    Err(e) => Err(Failure::Refused(format!("cannot compress the request: {e}"))),
                },
            };
            match result {
                Ok(()) => {
                    self.pop_front(count);
                    sent += count;
                    if self.overflowed > 0 {
                        tracing::warn!(export = %self.name, "{} takes readings again; {} were dropped meanwhile", self.shown_url, self.overflowed);
                        self.overflowed = 0;
                    }
                }
                Err(Failure::Retry { reason, .. }) => {
                    return Err(PushError::Unavailable { export: self.name.clone(), url: self.shown_url.clone(), reason, queued: self.queue.len() });
                }
                Err(Failure::Refused(reason)) => {
                    self.pop_front(count);
                    return Err(PushError::Refused { export: self.name.clone(), url: self.shown_url.clone(), reason, dropped: count });
                }
            }
        }
        Ok(sent)
    }

    /// Queues the readings that arrive and flushes every `interval` of the config; when the
    /// sender is dropped, flushes once more and ends. For the daemon to spawn per export.
    pub async fn run(mut self, mut readings: mpsc::Receiver<Arc<TargetSamples>>) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                reading = readings.recv() => match reading {
                    Some(reading) => self.enqueue(&reading),
                    None => break,
                },
                _ = tick.tick() => self.flush_logged().await,
            }
        }
        self.flush_logged().await;
    }

    async fn flush_logged(&mut self) {
        if let Err(e) = self.flush().await {
            tracing::warn!("{e}");
        }
    }

    fn pop_front(&mut self, count: usize) {
        for reading in self.queue.drain(..count) {
            self.queued_bytes -= reading.len();
        }
    }

    async fn send_with_retries(&self, body: Vec<u8>) -> Result<(), Failure> {
        let (mut attempt, mut delay) = (1, FIRST_RETRY);
        loop {
            match self.send(body.clone()).await {
                Err(Failure::Retry { after, .. }) if attempt < ATTEMPTS => {
                    tokio::time::sleep(after.unwrap_or(delay).min(LONGEST_RETRY_AFTER)).await;
                    (attempt, delay) = (attempt + 1, delay * 2);
                }
                result => return result,
            }
        }
    }

    async fn send(&self, body: Vec<u8>) -> Result<(), Failure> {
        let mut request = self.http.post(self.url.clone()).body(body);
        request = match self.format {
            Format::Influx(_) => request.header(header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            Format::RemoteWrite => request
                .header(header::CONTENT_TYPE, remote_write::CONTENT_TYPE)
                .header(header::CONTENT_ENCODING, remote_write::CONTENT_ENCODING)
                .header(remote_write::VERSION_HEADER, remote_write::VERSION),
        };
        request = match &self.auth {
            Auth::None => request,
            Auth::Basic { user, password } => request.basic_auth(user, Some(password.expose())),
            Auth::Header(value) => request.header(header::AUTHORIZATION, value.clone()),
        };
        let response = request.send().await.map_err(|e| Failure::Retry { after: None, reason: describe(e) })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let reason = format!("HTTP {status}: {}", excerpt(response).await);
        let retry = status.is_server_error() || [reqwest::StatusCode::TOO_MANY_REQUESTS, reqwest::StatusCode::REQUEST_TIMEOUT].contains(&status);
        Err(if retry { Failure::Retry { after, reason } } else { Failure::Refused(reason) })
    }
}

/// A transport error and its causes, without the URL (the caller names it).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The start of a response body, on one line.
async fn excerpt(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < BODY_READ {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&body).chars().map(|c| if c.is_control() { ' ' } else { c }).take(BODY_QUOTED).collect();
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn pusher(toml: &str) -> Pusher {
        let config = Config::parse(toml).unwrap();
        Pusher::from_config(&config.exports[0]).unwrap()
    }

    #[test]
    fn endpoints_and_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "s3cr3t\n").unwrap();
        let v2 = pusher(&format!(
            "[[export]]\nkind = \"influx-v2\"\nurl = \"https://influx.example/prefix/\"\norg = \"my org\"\nbucket = \"b&c\"\ntoken_file = {token:?}\n"
        ));
        assert_eq!(v2.url.as_str(), "https://influx.example/prefix/api/v2/write?org=my+org&bucket=b%26c&precision=s");
        let Auth::Header(value) = &v2.auth else { panic!("{:?}", v2.auth) };
        assert!(value.is_sensitive() && value.to_str().unwrap() == "Token s3cr3t");
        assert!(!format!("{v2:?}").contains("s3cr3t"));

        let v1 = pusher(&format!("[[export]]\nkind = \"influx-v1\"\nurl = \"http://127.0.0.1:8086\"\ndatabase = \"modem\"\nuser = \"bot\"\npassword_file = {token:?}\n"));
        assert_eq!(v1.url.as_str(), "http://127.0.0.1:8086/write?db=modem&precision=s");
        assert!(matches!(&v1.auth, Auth::Basic { user, password } if user == "bot" && password.expose() == "s3cr3t"));
        assert!(!format!("{v1:?}").contains("s3cr3t"));

        let rw = pusher(&format!("[[export]]\nkind = \"remote-write\"\nurl = \"http://127.0.0.1:9090/api/v1/write\"\ntoken_file = {token:?}\n"));
        assert_eq!(rw.url.as_str(), "http://127.0.0.1:9090/api/v1/write");
        let Auth::Header(value) = &rw.auth else { panic!() };
        assert_eq!(value.to_str().unwrap(), "Bearer s3cr3t");

        let config = Config::parse("[[export]]\nkind = \"influx-v2\"\nurl = \"http://i\"\norg = \"o\"\nbucket = \"b\"\ntoken_env = \"LINEWATCH_TEST_SURELY_UNSET\"\n").unwrap();
        let e = Pusher::from_config(&config.exports[0]).unwrap_err().to_string();
        assert!(e.contains("influx-v2") && e.contains("LINEWATCH_TEST_SURELY_UNSET"), "{e}");
    }

    #[test]
    fn only_the_chosen_lines_and_a_bounded_queue() {
        let mut p = pusher("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"x\"\n[[export]]\nkind = \"remote-write\"\nurl = \"http://127.0.0.1:1/w\"\nlines = [\"home\"]\n");
        let home = crate::export::tests::home(std::time::SystemTime::now());
        let mut office = home.clone();
        office.line = "office".into();
        p.enqueue(&office);
        assert_eq!(p.queued(), 0);
        p.enqueue(&home);
        assert_eq!(p.queued(), 1);
        let one = p.queued_bytes;
        for _ in 0..(MAX_QUEUED_BYTES / one + 10) {
            p.enqueue(&home);
        }
        assert!(p.queued_bytes <= MAX_QUEUED_BYTES && p.queued_bytes > MAX_QUEUED_BYTES - one, "{}", p.queued_bytes);
        assert!(p.overflowed >= 10);
    }
}

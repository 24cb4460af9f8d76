//! A firewall's API over HTTP(S): which API it speaks (found by asking when `kind = "auto"`),
//! its two status requests, and a clear account of what went wrong when one fails. A failed
//! request gives an error, never a reading: an unreachable API must not look like a down WAN.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::Value;

use super::tls::{self, TlsCheck};
use super::{WanReading, opnsense, pfsense};
use crate::config::{FirewallConfig, FirewallKind, Secret};

/// Status answers are a few KiB; more than this is not one.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// The API a firewall speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    PfsenseV2,
    PfsenseV1,
    Opnsense,
}

impl Api {
    pub fn name(self) -> &'static str {
        match self {
            Api::PfsenseV2 => "pfsense-v2",
            Api::PfsenseV1 => "pfsense-v1",
            Api::Opnsense => "opnsense",
        }
    }

    pub fn interfaces_path(self) -> &'static str {
        match self {
            Api::PfsenseV2 => "/api/v2/status/interfaces",
            Api::PfsenseV1 => "/api/v1/status/interface",
            Api::Opnsense => "/api/interfaces/overview/interfacesInfo",
        }
    }

    pub fn gateways_path(self) -> &'static str {
        match self {
            Api::PfsenseV2 => "/api/v2/status/gateways",
            Api::PfsenseV1 => "/api/v1/status/gateway",
            Api::Opnsense => "/api/routes/gateway/status",
        }
    }

    /// Whether an answer is in this API's envelope (success or error alike).
    fn speaks(self, answer: &Value) -> bool {
        let has = |key| answer.get(key).is_some();
        match self {
            Api::PfsenseV2 => has("response_id"),
            Api::PfsenseV1 => has("return"),
            Api::Opnsense => has("items"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("firewall {firewall:?} ({url}): {request}: {problem}")]
pub struct FirewallError {
    pub firewall: String,
    pub url: String,
    /// `GET /api/v2/status/gateways`, or `finding out which API it speaks`.
    pub request: String,
    pub problem: Problem,
}

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    #[error("the credentials were refused (HTTP 401{0}): check api_key_*/api_secret_* and that the key is not revoked")]
    Unauthorized(String),
    #[error(
        "access denied (HTTP 403{0}): the key's user lacks the status privileges, or the API's access list refuses this address"
    )]
    Forbidden(String),
    #[error("HTTP 404: no such endpoint (is it this kind of firewall, with the API package installed?)")]
    NotFound,
    #[error("HTTP {0}{1}")]
    Http(u16, String),
    #[error("the answer is an HTML page, not the API's JSON (a login page? check the url and that the API is enabled)")]
    Html,
    #[error("the answer ends early, after {0} bytes (truncated)")]
    Truncated(usize),
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error("the answer is larger than {} MiB: not a status answer", MAX_ANSWER_BYTES >> 20)]
    TooLarge,
    #[error("unexpected answer: {0}")]
    Shape(String),
    #[error("it answers none of the APIs linewatch knows: {0}")]
    Undetected(String),
}

/// A configured firewall and its HTTP client.
pub struct Firewall {
    name: String,
    base: String,
    api: Option<Api>,
    http: reqwest::Client,
    key: Secret,
    secret: Option<Secret>,
    timeout: Duration,
}

impl Firewall {
    /// Builds the client and reads the secrets; sends nothing yet.
    pub fn from_config(config: &FirewallConfig) -> anyhow::Result<Firewall> {
        let at = |e: String| anyhow::anyhow!("firewall {:?}: {e}", config.name);
        let key = config.api_key_source().map_err(at)?.ok_or_else(|| at("api_key_env or api_key_file is needed".into()))?;
        let key = key.read().map_err(at)?;
        let secret = config.api_secret_source().map_err(at)?.map(|s| s.read()).transpose().map_err(at)?;
        let check = config.tls_check().map_err(at)?;
        if check == TlsCheck::Insecure {
            tracing::warn!(
                firewall = %config.name,
                "tls_insecure = true: the firewall's certificate is not checked, so anyone in between can read the API \
                 credentials; pin it with tls_fingerprint instead"
            );
        }
        let http = tls::http_client(check, config.timeout).map_err(at)?;
        let api = match config.kind {
            FirewallKind::PfsenseV2 => Some(Api::PfsenseV2),
            FirewallKind::PfsenseV1 => Some(Api::PfsenseV1),
            FirewallKind::Opnsense => Some(Api::Opnsense),
            FirewallKind::Auto => None,
        };
        Ok(Firewall {
            name: config.name.clone(),
            base: config.url.trim_end_matches('/').to_string(),
            api,
            http,
            key,
            secret,
            timeout: config.timeout,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The API in use: configured, or found out by the first reading.
    pub fn api(&self) -> Option<Api> {
        self.api
    }

    /// One reading: interfaces and gateways, with the verdicts they allow on their own.
    pub async fn read(&mut self) -> Result<WanReading, FirewallError> {
        let api = match self.api {
            Some(api) => api,
            None => self.detect().await?,
        };
        let (interfaces, gateways) = tokio::join!(self.get(api, api.interfaces_path()), self.get(api, api.gateways_path()));
        let (interfaces, gateways) = (interfaces?, gateways?);
        let interfaces = match api {
            Api::Opnsense => opnsense::interfaces(&interfaces),
            Api::PfsenseV2 | Api::PfsenseV1 => pfsense::interfaces(&interfaces),
        }
        .map_err(|e| self.error(api.interfaces_path(), Problem::Shape(e)))?;
        let gateways = match api {
            Api::Opnsense => opnsense::gateways(&gateways),
            Api::PfsenseV2 | Api::PfsenseV1 => pfsense::gateways(&gateways),
        }
        .map_err(|e| self.error(api.gateways_path(), Problem::Shape(e)))?;
        let mut reading = WanReading { source: api.name().to_string(), interfaces, gateways, ..WanReading::default() };
        reading.settle();
        Ok(reading)
    }

    /// Asks each API this firewall's credentials fit for its gateway status, and keeps the
    /// first whose envelope answers. A refusal (401, 403) on an API's path is that API
    /// refusing: the others' paths do not exist there (404).
    async fn detect(&mut self) -> Result<Api, FirewallError> {
        let candidates: &[Api] = match self.secret {
            Some(_) => &[Api::Opnsense, Api::PfsenseV1, Api::PfsenseV2],
            None => &[Api::PfsenseV2],
        };
        let mut tried = Vec::new();
        for &api in candidates {
            let problem = match self.fetch(api, api.gateways_path()).await {
                Ok(answer) if api.speaks(&answer) => {
                    tracing::info!(firewall = %self.name, api = api.name(), "found the firewall's API");
                    self.api = Some(api);
                    return Ok(api);
                }
                Ok(_) => Problem::Shape(format!("JSON, but not {}'s", api.name())),
                Err(problem @ (Problem::Unauthorized(_) | Problem::Forbidden(_))) => {
                    return Err(self.error(api.gateways_path(), problem));
                }
                Err(problem @ (Problem::Connect(_) | Problem::Timeout(_))) => {
                    return Err(self.error("finding out which API it speaks", problem));
                }
                Err(problem) => problem,
            };
            tried.push(format!("{} ({problem})", api.name()));
        }
        Err(self.error("finding out which API it speaks", Problem::Undetected(tried.join("; "))))
    }

    async fn get(&self, api: Api, path: &str) -> Result<Value, FirewallError> {
        self.fetch(api, path).await.map_err(|problem| self.error(path, problem))
    }

    /// GETs `path` with `api`'s credentials.
    async fn fetch(&self, api: Api, path: &str) -> Result<Value, Problem> {
        let request = self.http.get(format!("{}{path}", self.base)).header(ACCEPT, "application/json");
        let request = match (api, &self.secret) {
            (Api::Opnsense, secret) => request.basic_auth(self.key.expose(), secret.as_ref().map(Secret::expose)),
            (Api::PfsenseV1, Some(token)) => request.header(AUTHORIZATION, sensitive(&format!("{} {}", self.key.expose(), token.expose()))),
            (Api::PfsenseV1, None) => request.header(AUTHORIZATION, sensitive(self.key.expose())),
            (Api::PfsenseV2, _) => request.header("X-API-Key", sensitive(self.key.expose())),
        };
        let exchange = async {
            let response = request.send().await.map_err(|e| send_problem(&e, self.timeout))?;
            let status = response.status().as_u16();
            let html = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.contains("html"));
            let body = read_capped(response).await?;
            Ok((status, html, body))
        };
        let (status, html, body) = tokio::time::timeout(self.timeout, exchange).await.map_err(|_| Problem::Timeout(self.timeout))??;
        let answer = json(&body, html);
        if (200..300).contains(&status) {
            return answer;
        }
        let detail = answer.as_ref().map(api_message).unwrap_or_default();
        Err(match status {
            401 => Problem::Unauthorized(detail),
            403 => Problem::Forbidden(detail),
            404 => Problem::NotFound,
            _ => Problem::Http(status, detail),
        })
    }

    fn error(&self, request: &str, problem: Problem) -> FirewallError {
        let request = if request.starts_with('/') { format!("GET {request}") } else { request.to_string() };
        FirewallError { firewall: self.name.clone(), url: self.base.clone(), request, problem }
    }
}

/// A header value that HTTP logging never prints.
fn sensitive(value: &str) -> HeaderValue {
    let mut value = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

fn send_problem(error: &reqwest::Error, timeout: Duration) -> Problem {
    if error.is_timeout() {
        return Problem::Timeout(timeout);
    }
    // The useful part (refused, TLS, certificate) is deep in the chain of sources.
    let mut reasons = Vec::new();
    let mut source: Option<&dyn std::error::Error> = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !reasons.iter().any(|r: &String| r.contains(&text)) {
            reasons.push(text);
        }
        source = e.source();
    }
    Problem::Connect(if reasons.is_empty() { error.to_string() } else { reasons.join(": ") })
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, Problem> {
    if response.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
        return Err(Problem::TooLarge);
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(Problem::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            // The connection closed before the announced length: a cut answer.
            Err(_) => return Err(Problem::Truncated(body.len())),
        }
    }
}

fn json(body: &[u8], html: bool) -> Result<Value, Problem> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if html || text.starts_with('<') {
        return Err(Problem::Html);
    }
    serde_json::from_str(text).map_err(|e| if e.is_eof() { Problem::Truncated(body.len()) } else { Problem::NotJson(e.to_string()) })
}

/// What an error answer says about itself: `response_id` and `message` (pfSense), `message`
/// (OPNsense, pfSense v1).
fn api_message(answer: &Value) -> String {
    // The server's words, kept short and printable.
    let text = |key| {
        let value = answer.get(key)?.as_str()?.trim();
        (!value.is_empty()).then(|| value.chars().filter(|c| !c.is_control()).take(200).collect::<String>())
    };
    let parts: Vec<String> = [text("response_id"), text("message"), text("errorMessage")].into_iter().flatten().collect();
    if parts.is_empty() { String::new() } else { format!(", {}", parts.join(": ")) }
}

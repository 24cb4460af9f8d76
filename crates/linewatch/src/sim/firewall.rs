//! A firewall simulator: serves the pfSense REST API (v2 or v1) or the OPNsense API status
//! endpoints, in exactly the shapes of the recorded fixtures (`fixtures/pfsense-api/`,
//! `fixtures/opnsense-api/`: each answer is a fixture with the state's values written in),
//! from a state that tests and `linewatch demo` change through this API: PPP drop and back
//! with a new address, a new or CGNAT address, gateway latency and loss, and hostile answers
//! (HTML, truncated, malformed, slow, huge).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::wan::firewall::Api;
use crate::wan::ping::{Stats, Thresholds, judge};
use crate::wan::{GatewayStatus, Substatus};

/// The credentials the simulator accepts unless told others (it guards nothing real).
pub const DEFAULT_KEY: &str = "sim-key";
pub const DEFAULT_SECRET: &str = "sim-secret";

const V2_INTERFACES: &str = include_str!("../../../../fixtures/pfsense-api/v2_status_interfaces.json");
const V2_GATEWAYS: &str = include_str!("../../../../fixtures/pfsense-api/v2_status_gateways.json");
const V2_UNAUTHORIZED: &str = include_str!("../../../../fixtures/pfsense-api/v2_error_401.json");
const V1_INTERFACES: &str = include_str!("../../../../fixtures/pfsense-api/v1_status_interface.json");
const V1_INTERFACES_DOWN: &str = include_str!("../../../../fixtures/pfsense-api/v1_status_interface_pppoe_down.json");
const V1_GATEWAYS: &str = include_str!("../../../../fixtures/pfsense-api/v1_status_gateway.json");
const OPN_INTERFACES: &str = include_str!("../../../../fixtures/opnsense-api/interfaces_overview_interfacesInfo.json");
const OPN_GATEWAYS: &str = include_str!("../../../../fixtures/opnsense-api/routes_gateway_status.json");

/// A hostile answer, instead of the real one, to every status request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A web login page with status 200, as a firewall without the API package serves.
    Html,
    /// The JSON cut in the middle.
    Truncated,
    /// Not JSON at all.
    Malformed,
    /// JSON that is not the API's shape.
    WrongShape,
    /// The answer after this long.
    Slow(Duration),
    /// An endless JSON answer (well over any sane limit).
    Huge,
    /// HTTP 500 with the API's error envelope.
    ServerError,
}

/// What the simulated firewall is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct SimState {
    pub wan_up: bool,
    pub wan_address: Ipv4Addr,
    /// The PPP peer: the WAN's gateway, and what dpinger pings.
    pub gateway: Ipv4Addr,
    /// When the PPP session came up.
    pub connected_at: Instant,
    pub rtt_ms: f64,
    pub rtt_stddev_ms: f64,
    pub loss_pct: f64,
    pub fault: Option<Fault>,
}

impl Default for SimState {
    fn default() -> Self {
        SimState {
            wan_up: true,
            wan_address: Ipv4Addr::new(203, 0, 113, 57),
            gateway: Ipv4Addr::new(198, 51, 100, 1),
            connected_at: Instant::now() - Duration::from_secs(3 * 86_400 + 4 * 3600 + 12 * 60 + 55),
            rtt_ms: 10.845,
            rtt_stddev_ms: 1.215,
            loss_pct: 0.0,
            fault: None,
        }
    }
}

impl SimState {
    /// dpinger's verdict on the current figures, with pfSense's default thresholds.
    fn gateway_state(&self) -> (GatewayStatus, Option<Substatus>) {
        if !self.wan_up {
            return (GatewayStatus::Down, Some(Substatus::HighLoss));
        }
        let stats = Stats { rtt_ms: Some(self.rtt_ms), rtt_stddev_ms: Some(self.rtt_stddev_ms), loss_pct: Some(self.loss_pct) };
        judge(&stats, &Thresholds::default())
    }

    /// dpinger's figures: zeros for what it could not measure.
    fn figures(&self) -> (f64, f64, f64) {
        match (self.wan_up, self.loss_pct >= 100.0) {
            (true, false) => (self.rtt_ms, self.rtt_stddev_ms, self.loss_pct),
            _ => (0.0, 0.0, 100.0),
        }
    }
}

pub struct SimOptions {
    pub listen: SocketAddr,
    pub api: Api,
    /// pfSense v2: the API key. v1: the client ID. OPNsense: the key.
    pub key: String,
    /// pfSense v1: the client token. OPNsense: the secret. Unused by v2.
    pub secret: String,
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl SimOptions {
    pub fn new(api: Api) -> SimOptions {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api,
            key: DEFAULT_KEY.to_string(),
            secret: DEFAULT_SECRET.to_string(),
            tls: None,
        }
    }
}

struct Shared {
    api: Api,
    key: String,
    secret: String,
    state: Mutex<SimState>,
}

/// A running simulator; it stops when dropped.
pub struct FirewallSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    https: bool,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FirewallSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FirewallSim {
    /// Listens and serves in the background, on the current tokio runtime.
    pub async fn start(options: SimOptions) -> std::io::Result<FirewallSim> {
        let listener = TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            api: options.api,
            key: options.key,
            secret: options.secret,
            state: Mutex::new(SimState::default()),
        });
        let router = {
            let shared = shared.clone();
            Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
                let shared = shared.clone();
                async move { shared.answer(&uri, &headers).await }
            })
        };
        let https = options.tls.is_some();
        let server = match options.tls {
            None => tokio::spawn(async move {
                let _ = axum::serve(listener, router).await;
            }),
            Some(tls) => tokio::spawn(serve_tls(listener, router, tls)),
        };
        Ok(FirewallSim { shared, addr, https, server })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to put in `[[firewall]] url`.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.addr)
    }

    pub fn state(&self) -> SimState {
        self.lock().clone()
    }

    /// Changes the state by hand.
    pub fn update(&self, change: impl FnOnce(&mut SimState)) {
        change(&mut self.lock());
    }

    /// The PPP session drops: the WAN goes down without an address, the gateway is lost.
    pub fn ppp_drop(&self) {
        self.update(|s| s.wan_up = false);
    }

    /// The PPP session comes back, with `address` (providers often hand out a new one).
    pub fn ppp_up(&self, address: Ipv4Addr) {
        self.update(|s| {
            s.wan_up = true;
            s.wan_address = address;
            s.connected_at = Instant::now();
        });
    }

    /// A new WAN address without a drop (a CGNAT one is in 100.64.0.0/10).
    pub fn set_address(&self, address: Ipv4Addr) {
        self.update(|s| s.wan_address = address);
    }

    /// dpinger's figures for the gateway; its status follows from pfSense's default thresholds.
    pub fn set_gateway(&self, rtt_ms: f64, rtt_stddev_ms: f64, loss_pct: f64) {
        self.update(|s| {
            s.rtt_ms = rtt_ms;
            s.rtt_stddev_ms = rtt_stddev_ms;
            s.loss_pct = loss_pct;
        });
    }

    pub fn set_fault(&self, fault: Option<Fault>) {
        self.update(|s| s.fault = fault);
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Shared {
    async fn answer(&self, uri: &Uri, headers: &HeaderMap) -> Response {
        let path = uri.path().trim_end_matches('/');
        let api = self.api;
        let known = [api.interfaces_path(), api.gateways_path()].contains(&path)
            // OPNsense routes snake_case segments to the same actions.
            || (api == Api::Opnsense && path == "/api/interfaces/overview/interfaces_info");
        if !known {
            return response(StatusCode::NOT_FOUND, "text/html", Body::from("<html><body><h1>404 Not Found</h1></body></html>"));
        }
        if !self.authorised(headers) {
            return self.unauthorised();
        }
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let body = if path == api.gateways_path() { self.gateways(&state) } else { self.interfaces(&state) };
        match state.fault {
            None => json_response(StatusCode::OK, &body),
            Some(fault) => hostile(fault, &body).await,
        }
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        match self.api {
            Api::PfsenseV2 => header("x-api-key") == self.key,
            Api::PfsenseV1 => header("authorization") == format!("{} {}", self.key, self.secret),
            Api::Opnsense => {
                let expected = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.key, self.secret));
                header("authorization") == format!("Basic {expected}")
            }
        }
    }

    fn unauthorised(&self) -> Response {
        let body: Value = match self.api {
            Api::PfsenseV2 => serde_json::from_str(V2_UNAUTHORIZED).expect("fixture is JSON"),
            // pfSense-pkg-API's APIResponse id 3, and OPNsense's ApiControllerBase answer.
            Api::PfsenseV1 => json!({"status": "unauthorized", "code": 401, "return": 3, "message": "Authentication failed", "data": []}),
            Api::Opnsense => json!({"status": 401, "message": "Authentication Failed"}),
        };
        json_response(StatusCode::UNAUTHORIZED, &body)
    }

    fn interfaces(&self, state: &SimState) -> Value {
        let address = state.wan_up.then(|| state.wan_address.to_string());
        let gateway = state.wan_up.then(|| state.gateway.to_string());
        match self.api {
            Api::PfsenseV2 => {
                let mut answer = fixture(V2_INTERFACES);
                let wan = &mut answer["data"][0];
                wan["status"] = json!(if state.wan_up { "up" } else { "down" });
                wan["ipaddr"] = json!(address.unwrap_or_default());
                wan["gateway"] = json!(gateway.unwrap_or_default());
                answer
            }
            Api::PfsenseV1 if state.wan_up => {
                let mut answer = fixture(V1_INTERFACES);
                let wan = &mut answer["data"][0];
                wan["ipaddr"] = json!(address);
                wan["gateway"] = json!(gateway);
                wan["ppp_uptime"] = json!(dhms(state.connected_at.elapsed().as_secs()));
                answer
            }
            Api::PfsenseV1 => {
                // The down fixture has the WAN only; the LAN stays as it was.
                let mut answer = fixture(V1_INTERFACES_DOWN);
                let lan = fixture(V1_INTERFACES)["data"][1].clone();
                answer["data"].as_array_mut().expect("fixture data is a list").push(lan);
                answer
            }
            Api::Opnsense => {
                let mut answer = fixture(OPN_INTERFACES);
                let wan = &mut answer["rows"][0];
                wan["status"] = json!(if state.wan_up { "up" } else { "down" });
                wan["addr4"] = json!(address.as_ref().map(|a| format!("{a}/32")).unwrap_or_default());
                wan["ipv4"] = json!(address.iter().map(|a| json!({"ipaddr": format!("{a}/32")})).collect::<Vec<_>>());
                wan["gateways"] = json!(gateway.iter().collect::<Vec<_>>());
                wan["routes"] = json!(gateway.iter().flat_map(|g| ["default".to_string(), g.clone()]).collect::<Vec<_>>());
                answer
            }
        }
    }

    fn gateways(&self, state: &SimState) -> Value {
        let (status, substatus) = state.gateway_state();
        let (rtt, stddev, loss) = state.figures();
        match self.api {
            Api::PfsenseV2 | Api::PfsenseV1 => {
                let mut answer = fixture(if self.api == Api::PfsenseV2 { V2_GATEWAYS } else { V1_GATEWAYS });
                answer["data"].as_array_mut().expect("fixture data is a list").truncate(1);
                let gw = &mut answer["data"][0];
                gw["srcip"] = json!(state.wan_address.to_string());
                gw["monitorip"] = json!(state.gateway.to_string());
                gw["delay"] = json!(round3(rtt));
                gw["stddev"] = json!(round3(stddev));
                gw["loss"] = json!(round3(loss));
                gw["status"] = json!(if status == GatewayStatus::Down { "down" } else { "online" });
                gw["substatus"] = json!(substatus.map_or("none", Substatus::as_str));
                answer
            }
            Api::Opnsense => {
                let mut answer = fixture(OPN_GATEWAYS);
                answer["items"].as_array_mut().expect("fixture items are a list").truncate(1);
                // dpinger.inc: `down` above the high thresholds, otherwise the low-threshold marks.
                let raw = match (status, substatus) {
                    (GatewayStatus::Down, _) => "down",
                    (_, Some(marked)) => marked.as_str(),
                    _ => "none",
                };
                let translated = match raw {
                    "down" => "Offline",
                    "delay" => "Latency",
                    "loss" => "Packetloss",
                    "delay+loss" => "Latency, Packetloss",
                    _ => "Online",
                };
                let gw = &mut answer["items"][0];
                gw["address"] = json!(state.gateway.to_string());
                gw["monitor"] = json!(state.gateway.to_string());
                gw["status"] = json!(raw);
                gw["status_translated"] = json!(translated);
                gw["delay"] = json!(format!("{rtt:.1} ms"));
                gw["stddev"] = json!(format!("{stddev:.1} ms"));
                gw["loss"] = json!(format!("{loss:.1} %"));
                answer
            }
        }
    }
}

/// HTTPS: TLS from tokio-rustls, then the same router over HTTP/1.1.
async fn serve_tls(listener: TcpListener, router: Router, tls: Arc<rustls::ServerConfig>) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (acceptor, router) = (acceptor.clone(), router.clone());
        tokio::spawn(async move {
            // A client that refuses our certificate ends here, as it should.
            let Ok(stream) = acceptor.accept(tcp).await else { return };
            let service = hyper_util::service::TowerToHyperService::new(router);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
        });
    }
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("the fixtures are JSON")
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// pfSense's `convert_seconds_to_dhms`.
fn dhms(seconds: u64) -> String {
    format!("{}d {:02}:{:02}:{:02}", seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60)
}

fn response(status: StatusCode, content_type: &str, body: Body) -> Response {
    Response::builder().status(status).header(header::CONTENT_TYPE, content_type).body(body).expect("a valid response")
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    response(status, "application/json", Body::from(body.to_string()))
}

async fn hostile(fault: Fault, body: &Value) -> Response {
    let text = body.to_string();
    match fault {
        Fault::Html => response(
            StatusCode::OK,
            "text/html; charset=UTF-8",
            Body::from("<!DOCTYPE html><html><head><title>pfSense - Login</title></head><body><form method=\"post\"></form></body></html>"),
        ),
        Fault::Truncated => response(StatusCode::OK, "application/json", Body::from(text[..text.len() / 2].to_string())),
        Fault::Malformed => response(StatusCode::OK, "application/json", Body::from("{\"code\": 200, \"status\": ok, data: [}")),
        Fault::WrongShape => json_response(StatusCode::OK, &json!({"hello": "world"})),
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            json_response(StatusCode::OK, body)
        }
        Fault::Huge => {
            // `[0,0,0,...` without end and without a length: the client must stop on its own.
            response(StatusCode::OK, "application/json", endless(text))
        }
        Fault::ServerError => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"code": 500, "status": "server error", "response_id": "SERVER_ERROR", "message": "Internal error", "data": []}),
        ),
    }
}

/// An endless body: a JSON prefix, then zeros and commas forever.
fn endless(prefix: String) -> Body {
    let filler = bytes::Bytes::from("0,".repeat(32 * 1024));
    let start = bytes::Bytes::from(format!("{{\"prefix\": {prefix}, \"data\": ["));
    let chunks = std::iter::once(start).chain(std::iter::repeat(filler)).map(Ok::<_, std::io::Error>);
    Body::from_stream(futures_util::stream::iter(chunks))
}

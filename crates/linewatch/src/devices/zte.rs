//! ZTE routers read through their web UI: log in (each firmware family has its own token
//! dance), then fetch the DSL status page, an XML document of `ParaName`/`ParaValue` pairs that
//! the `zte` dialect reads. Read-only: nothing here changes the router.
//!
//! - H267A (and H188A-era firmware): a login token from `logintoken_lua.lua`, then a form post
//!   of `sha256(password + token)` to `/`; the session is the `SID` cookie.
//! - H1600 (and H2640-era firmware): `sess_token` from the `login_entry` JSON, a `login_token`,
//!   then a post of `sha256(password + login_token)` with the session token; the DSL page is
//!   only served after entering its menu.
//!
//! A page answering `SessionTimeout` means the router forgot us: log in again, once.

use std::time::Duration;

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use sha2::{Digest, Sha256};

use super::DeviceError;
use crate::config::Secret;

/// Pages larger than this are not DSL status.
const MAX_PAGE_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZteModel {
    H267a,
    H1600,
}

#[derive(Debug, Clone)]
pub struct ZteOptions {
    pub model: ZteModel,
    /// `http://host:port`, without a trailing slash.
    pub base_url: String,
    pub user: String,
    pub password: Secret,
    pub connect_timeout: Duration,
}

pub struct ZteClient {
    options: ZteOptions,
    http: reqwest::Client,
    cookies: Arc<Jar>,
    logged_in: bool,
    logins: u64,
}

impl ZteClient {
    pub fn new(options: ZteOptions) -> Result<Self, DeviceError> {
        let cookies = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(cookies.clone())
            .connect_timeout(options.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("linewatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DeviceError::Protocol { addr: options.base_url.clone(), reason: format!("HTTP client: {e}") })?;
        Ok(ZteClient { options, http, cookies, logged_in: false, logins: 0 })
    }

    pub fn addr(&self) -> &str {
        &self.options.base_url
    }

    /// How many times we logged in.
    pub fn sessions_opened(&self) -> u64 {
        self.logins
    }

    /// The DSL status page (XML), logging in first when needed.
    pub async fn dsl_status(&mut self, timeout: Duration) -> Result<String, DeviceError> {
        for attempt in 0..2 {
            if !self.logged_in {
                self.login(timeout).await?;
            }
            let page = self.fetch_dsl_page(timeout).await?;
            if page.contains("SessionTimeout") && attempt == 0 {
                tracing::info!(router = %self.addr(), "session expired, logging in again");
                self.logged_in = false;
                continue;
            }
            return Ok(page);
        }
        Err(self.protocol("the router keeps answering SessionTimeout right after a login"))
    }

    async fn login(&mut self, timeout: Duration) -> Result<(), DeviceError> {
        match self.options.model {
            ZteModel::H267a => self.login_h267a(timeout).await?,
            ZteModel::H1600 => self.login_h1600(timeout).await?,
        }
        self.logged_in = true;
        self.logins += 1;
        Ok(())
    }

    async fn login_h267a(&mut self, timeout: Duration) -> Result<(), DeviceError> {
        self.get("/", timeout).await?;
        let token_page = self.get("/function_module/login_module/login_page/logintoken_lua.lua", timeout).await?;
        let token = xml_root_text(&token_page).ok_or_else(|| self.protocol("no login token in logintoken_lua.lua"))?;
        let form = [
            ("Username", self.options.user.as_str()),
            ("Password", &password_hash(&self.options.password, &token)),
            ("action", "login"),
        ];
        let response = self.post("/", &form, timeout).await?;
        // A refused login serves the login page again, with an error and no session.
        if !self.has_session_cookie() || looks_like_login_error(&response) {
            return Err(self.auth_failed());
        }
        Ok(())
    }

    async fn login_h1600(&mut self, timeout: Duration) -> Result<(), DeviceError> {
        let entry = self.get("/?_type=loginData&_tag=login_entry", timeout).await?;
        let entry = self.login_json(&entry)?;
        let session_token = entry["sess_token"].as_str().unwrap_or_default().to_string();
        let token_page = self.get("/?_type=loginData&_tag=login_token", timeout).await?;
        let token = xml_root_text(&token_page).ok_or_else(|| self.protocol("no login_token in the login_token page"))?;
        let password = password_hash(&self.options.password, &token);
        let form = [
            ("Password", password.as_str()),
            ("Username", self.options.user.as_str()),
            ("_sessionTOKEN", session_token.as_str()),
            ("_sessionTOKENByPost", session_token.as_str()),
            ("action", "login"),
        ];
        let answer = self.post("/?_type=loginData&_tag=login_entry", &form, timeout).await?;
        self.login_json(&answer)?;
        // The DSL page is served once its menu has been opened in this session.
        self.get("/?_type=menuView&_tag=dslWanStatus&Menu3Location=0", timeout).await?;
        Ok(())
    }

    /// The `login_entry` JSON; a lock-out or an error message there is a refusal.
    fn login_json(&self, body: &str) -> Result<serde_json::Value, DeviceError> {
        let json: serde_json::Value =
            serde_json::from_str(body).map_err(|_| self.protocol("the login answer is not the JSON this firmware sends"))?;
        let locked = json["lockingTime"].as_i64().unwrap_or(0);
        let message = json["loginErrMsg"].as_str().unwrap_or_default();
        if locked > 0 {
            return Err(self.protocol(&format!("login locked for {locked}s after failed attempts")));
        }
        if !message.is_empty() {
            return Err(self.auth_failed());
        }
        Ok(json)
    }

    async fn fetch_dsl_page(&self, timeout: Duration) -> Result<String, DeviceError> {
        let path = match self.options.model {
            ZteModel::H267a => "/common_page/internet_dsl_interface_lua.lua",
            ZteModel::H1600 => "/?_type=menuData&_tag=dsl_interface_status_lua.lua",
        };
        self.get(path, timeout).await
    }

    /// Whether the router gave us a session (`SID` cookie).
    fn has_session_cookie(&self) -> bool {
        let Ok(url) = reqwest::Url::parse(&self.options.base_url) else { return false };
        self.cookies
            .cookies(&url)
            .and_then(|header| header.to_str().ok().map(|h| h.split(';').any(|c| c.trim().starts_with("SID="))))
            .unwrap_or(false)
    }

    async fn get(&self, path: &str, timeout: Duration) -> Result<String, DeviceError> {
        let request = self.http.get(format!("{}{path}", self.options.base_url)).timeout(timeout);
        self.send(request, path).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)], timeout: Duration) -> Result<String, DeviceError> {
        let request = self.http.post(format!("{}{path}", self.options.base_url)).form(form).timeout(timeout);
        self.send(request, path).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, path: &str) -> Result<String, DeviceError> {
        let mut response = request.send().await.map_err(|e| self.http_error(e, path))?;
        let status = response.status();
        if !(status.is_success() || status.is_redirection()) {
            return Err(self.protocol(&format!("{path} answered HTTP {status}")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.http_error(e, path))? {
            if body.len() + chunk.len() > MAX_PAGE_BYTES {
                return Err(self.protocol(&format!("{path} is larger than {} KiB", MAX_PAGE_BYTES / 1024)));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    fn http_error(&self, error: reqwest::Error, path: &str) -> DeviceError {
        let addr = self.options.base_url.clone();
        if error.is_timeout() {
            DeviceError::Timeout { addr, command: format!("GET {path}"), after: self.options.connect_timeout }
        } else if error.is_connect() {
            DeviceError::Connect { addr, reason: error.to_string() }
        } else {
            DeviceError::Protocol { addr, reason: format!("{path}: {error}") }
        }
    }

    fn protocol(&self, reason: &str) -> DeviceError {
        DeviceError::Protocol { addr: self.options.base_url.clone(), reason: reason.to_string() }
    }

    fn auth_failed(&self) -> DeviceError {
        DeviceError::AuthFailed { addr: self.options.base_url.clone(), user: self.options.user.clone() }
    }
}

/// `sha256(password + token)` as lowercase hex, what the login forms send.
fn password_hash(password: &Secret, token: &str) -> String {
    let digest = Sha256::digest(format!("{}{token}", password.expose()).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The text of `<ajax_response_xml_root>…</ajax_response_xml_root>`, where tokens are served.
fn xml_root_text(page: &str) -> Option<String> {
    let start = page.find("<ajax_response_xml_root>")? + "<ajax_response_xml_root>".len();
    let end = page[start..].find("</ajax_response_xml_root>")? + start;
    let token = page[start..end].trim();
    (!token.is_empty() && !token.contains('<')).then(|| token.to_string())
}

fn looks_like_login_error(page: &str) -> bool {
    let lower = page.to_ascii_lowercase();
    lower.contains("errmsg") && (lower.contains("password") || lower.contains("incorrect"))
}

//! A stand-in for a ZTE router's web UI (no real one runs offline): the H267A and H1600 login
//! flows as their firmware serves them, and the DSL status page from a real capture.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Model {
    H267a,
    H1600,
}

struct Inner {
    model: Model,
    user: String,
    password: String,
    token: String,
    page: String,
    next_sid: u64,
    /// Sessions that logged in, and those that opened the DSL menu (H1600).
    logged_in: HashSet<String>,
    menu_open: HashSet<String>,
    logins: usize,
}

#[derive(Clone)]
pub struct ZteRouter {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

const TIMEOUT_PAGE: &str = "<ajax_response_xml_root><IF_ERRORSTR>SessionTimeout</IF_ERRORSTR></ajax_response_xml_root>";

impl ZteRouter {
    pub async fn start(model: Model, user: &str, password: &str, page: String) -> ZteRouter {
        let inner = Arc::new(Mutex::new(Inner {
            model,
            user: user.into(),
            password: password.into(),
            token: "81726354".into(),
            page,
            next_sid: 1,
            logged_in: HashSet::new(),
            menu_open: HashSet::new(),
            logins: 0,
        }));
        let app = Router::new()
            .route("/", get(root_get).post(root_post))
            .route("/function_module/login_module/login_page/logintoken_lua.lua", get(h267a_token))
            .route("/common_page/internet_dsl_interface_lua.lua", get(h267a_dsl))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ZteRouter { addr, inner }
    }

    /// The router forgets every session, as after its idle timeout.
    pub fn expire_sessions(&self) {
        let mut inner = self.inner.lock().unwrap();
        inner.logged_in.clear();
        inner.menu_open.clear();
    }

    pub fn logins(&self) -> usize {
        self.inner.lock().unwrap().logins
    }
}

type Shared = State<Arc<Mutex<Inner>>>;

fn sid(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|c| c.trim().strip_prefix("SID=").map(str::to_string))
}

fn hash(password: &str, token: &str) -> String {
    Sha256::digest(format!("{password}{token}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Gives the client a session cookie if it has none yet.
fn with_session(inner: &mut Inner, headers: &HeaderMap, body: impl IntoResponse) -> Response {
    match sid(headers) {
        Some(_) => body.into_response(),
        None => {
            let sid = format!("s{}", inner.next_sid);
            inner.next_sid += 1;
            ([(header::SET_COOKIE, format!("SID={sid}; path=/; HttpOnly"))], body).into_response()
        }
    }
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

async fn root_get(State(inner): Shared, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut inner = inner.lock().unwrap();
    let sid = sid(&headers);
    match (q.get("_type").map(String::as_str), q.get("_tag").map(String::as_str)) {
        (Some("loginData"), Some("login_entry")) => {
            let body = r#"{"lockingTime":0,"loginErrMsg":"","promptMsg":"","sess_token":"a1b2c3"}"#;
            with_session(&mut inner, &headers, body)
        }
        (Some("loginData"), Some("login_token")) => xml(format!("<ajax_response_xml_root>{}</ajax_response_xml_root>", inner.token)),
        (Some("menuView"), Some("dslWanStatus")) => {
            if let Some(sid) = sid.filter(|s| inner.logged_in.contains(s)) {
                inner.menu_open.insert(sid);
            }
            "<html><script>_sessionTmpToken = \"\\x31\\x32\";</script></html>".into_response()
        }
        (Some("menuData"), Some("dsl_interface_status_lua.lua")) => {
            let ok = sid.is_some_and(|s| inner.logged_in.contains(&s) && inner.menu_open.contains(&s));
            xml(if ok { inner.page.clone() } else { TIMEOUT_PAGE.to_string() })
        }
        _ => with_session(&mut inner, &headers, "<html><body>login</body></html>"),
    }
}

async fn root_post(
    State(inner): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    let good = form.get("Username") == Some(&inner.user) && form.get("Password") == Some(&hash(&inner.password, &inner.token));
    let Some(sid) = sid(&headers) else { return (StatusCode::FORBIDDEN, "no session").into_response() };
    let h1600 = q.get("_tag").map(String::as_str) == Some("login_entry");
    match (inner.model, h1600, good) {
        (Model::H1600, true, true) => {
            inner.logged_in.insert(sid);
            inner.logins += 1;
            r#"{"lockingTime":0,"loginErrMsg":"","sess_token":"d4e5f6"}"#.into_response()
        }
        (Model::H1600, true, false) => {
            r#"{"lockingTime":0,"loginErrMsg":"Invalid username or password","sess_token":"d4e5f6"}"#.into_response()
        }
        (Model::H267a, false, true) => {
            inner.logged_in.insert(sid);
            inner.logins += 1;
            (StatusCode::FOUND, [(header::LOCATION, "/")]).into_response()
        }
        (Model::H267a, false, false) => {
            "<html><script>var errmsg = 'The password is incorrect';</script></html>".into_response()
        }
        _ => (StatusCode::NOT_FOUND, "not this firmware").into_response(),
    }
}

async fn h267a_token(State(inner): Shared, headers: HeaderMap) -> Response {
    let mut inner = inner.lock().unwrap();
    let body = format!("<ajax_response_xml_root>{}</ajax_response_xml_root>", inner.token);
    with_session(&mut inner, &headers, body)
}

async fn h267a_dsl(State(inner): Shared, headers: HeaderMap) -> Response {
    let inner = inner.lock().unwrap();
    let ok = inner.model == Model::H267a && sid(&headers).is_some_and(|s| inner.logged_in.contains(&s));
    xml(if ok { inner.page.clone() } else { TIMEOUT_PAGE.to_string() })
}

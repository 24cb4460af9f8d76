//! ZTE routers through their web UI: both login flows, a wrong password, an expired session,
//! and `linewatch poll` end to end.

mod support;
#[path = "support/zte_router.rs"]
mod zte_router;

use linewatch::config::Config;
use linewatch::devices::DeviceError;
use linewatch::devices::driver::Modem;
use zte_router::{Model, ZteRouter};

const PAGE: &str = "zte-xml/01-zte-h188a-dsl-interface-status-lua-vdsl2-17a.xml";

struct Setup {
    router: ZteRouter,
    dir: tempfile::TempDir,
    config: Config,
}

async fn setup(model: Model, driver: &str, configured_password: &str) -> Setup {
    let router = ZteRouter::start(model, "admin", "s3cret", support::fixture(PAGE)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), format!("{configured_password}\n")).unwrap();
    let text = format!(
        "[[modem]]\nname = \"zte\"\ndriver = \"{driver}\"\nhost = \"127.0.0.1\"\nport = {}\nuser = \"admin\"\npassword_file = \"{}\"\n",
        router.addr.port(),
        dir.path().join("pw").display()
    );
    std::fs::write(dir.path().join("linewatch.toml"), &text).unwrap();
    Setup { router, config: Config::parse(&text).unwrap(), dir }
}

fn modem(s: &Setup) -> Modem {
    Modem::from_config(s.config.modem("zte").unwrap(), s.dir.path()).unwrap()
}

#[tokio::test]
async fn both_login_flows_read_the_dsl_page() {
    let expected = xdsl::Dialect::Zte.parse(&support::fixture(PAGE)).unwrap();
    for (model, driver) in [(Model::H267a, "zte-h267a"), (Model::H1600, "zte-h1600")] {
        let s = setup(model, driver, "s3cret").await;
        let mut modem = modem(&s);
        let reading = modem.read().await.unwrap_or_else(|e| panic!("{driver}: {e}"));
        assert_eq!(reading, expected, "{driver}");
        assert_eq!(reading.down.rate_bps, Some(40_959_000));
        // The session is kept: a second reading logs in no more.
        modem.read().await.unwrap();
        assert_eq!((s.router.logins(), modem.sessions_opened()), (1, 1), "{driver}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_clearly() {
    for (model, driver) in [(Model::H267a, "zte-h267a"), (Model::H1600, "zte-h1600")] {
        let s = setup(model, driver, "wrong-password").await;
        let error = modem(&s).read().await.unwrap_err();
        assert!(matches!(error, DeviceError::AuthFailed { .. }), "{driver}: {error}");
        let message = error.to_string();
        assert!(message.contains("admin") && !message.contains("wrong-password"), "{message}");
    }
}

#[tokio::test]
async fn an_expired_session_logs_in_again() {
    for (model, driver) in [(Model::H267a, "zte-h267a"), (Model::H1600, "zte-h1600")] {
        let s = setup(model, driver, "s3cret").await;
        let mut modem = modem(&s);
        modem.read().await.unwrap();
        s.router.expire_sessions();
        let reading = modem.read().await.unwrap_or_else(|e| panic!("{driver}: {e}"));
        assert!(reading.is_showtime());
        assert_eq!(modem.sessions_opened(), 2, "{driver}");
    }
}

#[tokio::test]
async fn resync_is_refused_on_a_read_only_driver() {
    let s = setup(Model::H267a, "zte-h267a", "s3cret").await;
    let error = modem(&s).resync().await.unwrap_err();
    assert!(matches!(error, DeviceError::Unsupported { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_prints_the_reading() {
    let s = setup(Model::H1600, "zte-h1600", "s3cret").await;
    let config = s.dir.path().join("linewatch.toml");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .args(["--config", config.to_str().unwrap(), "--data-dir", s.dir.path().to_str().unwrap()])
        .args(["poll", "zte", "--json", "--count", "2", "--interval", "100ms"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "one JSON object per line");
    assert_eq!(lines[0]["dialect"], "zte");
    assert_eq!(lines[1]["down"]["rate_bps"], 40_959_000);
    assert_eq!(s.router.logins(), 1, "both readings on one session");
}

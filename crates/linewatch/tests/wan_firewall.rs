//! The firewall client against the simulator: each API, detection, state changes, refused
//! credentials, hostile answers, TLS pinning.

mod support;
#[path = "support/wan.rs"]
mod wan_support;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use linewatch::sim::firewall::{DEFAULT_KEY, DEFAULT_SECRET, Fault, FirewallSim, SimOptions};
use linewatch::wan::firewall::{Api, Firewall, FirewallError, Problem};
use linewatch::wan::{GatewayStatus, LinkStatus, Substatus, Verdict, WanReading};
use wan_support::firewall_config;

const APIS: [Api; 3] = [Api::PfsenseV2, Api::PfsenseV1, Api::Opnsense];

fn secret_for(api: Api) -> Option<&'static str> {
    (api != Api::PfsenseV2).then_some(DEFAULT_SECRET)
}

async fn sim(api: Api) -> FirewallSim {
    FirewallSim::start(SimOptions::new(api)).await.unwrap()
}

async fn read(sim: &FirewallSim, kind: &str, key: &str, secret: Option<&str>) -> Result<WanReading, FirewallError> {
    let (_dir, config) = firewall_config(&sim.url(), kind, key, secret, "");
    Firewall::from_config(&config).unwrap().read().await
}

fn wan(reading: &WanReading) -> &linewatch::wan::Interface {
    reading.interfaces.iter().find(|i| i.name == "wan").expect("a wan interface")
}

#[tokio::test]
async fn each_api_reads_the_same_wan() {
    for api in APIS {
        let sim = sim(api).await;
        let reading = read(&sim, api.name(), DEFAULT_KEY, secret_for(api)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reading.source, api.name());
        let wan = wan(&reading);
        assert_eq!((wan.status, wan.address), (LinkStatus::Up, Some(Ipv4Addr::new(203, 0, 113, 57))), "{api:?}");
        let gateway = &reading.gateways[0];
        assert_eq!((gateway.name.as_str(), gateway.status), ("WAN_PPPOE", GatewayStatus::Online), "{api:?}");
        assert!(gateway.rtt_ms.is_some_and(|r| (r - 10.8).abs() < 0.1), "{api:?}: {gateway:?}");
        assert_eq!(reading.verdicts, [], "{api:?}");
        if api == Api::PfsenseV1 {
            assert!(wan.ppp_uptime_s.is_some_and(|s| s > 3 * 86_400), "{wan:?}");
        }
    }
}

#[tokio::test]
async fn auto_finds_each_api() {
    for api in APIS {
        let sim = sim(api).await;
        let (_dir, config) = firewall_config(&sim.url(), "auto", DEFAULT_KEY, secret_for(api), "");
        let mut firewall = Firewall::from_config(&config).unwrap();
        assert_eq!(firewall.api(), None);
        let reading = firewall.read().await.unwrap_or_else(|e| panic!("{api:?}: {e}"));
        assert_eq!((firewall.api(), reading.source.as_str()), (Some(api), api.name()));
    }
}

#[tokio::test]
async fn ppp_drop_and_back_with_a_new_address() {
    for api in APIS {
        let sim = sim(api).await;
        let (_dir, config) = firewall_config(&sim.url(), api.name(), DEFAULT_KEY, secret_for(api), "");
        let mut firewall = Firewall::from_config(&config).unwrap();

        sim.ppp_drop();
        let down = firewall.read().await.unwrap();
        assert_eq!((wan(&down).status, wan(&down).address), (LinkStatus::Down, None), "{api:?}");
        if api == Api::PfsenseV1 {
            assert_eq!(wan(&down).ppp_status, Some(LinkStatus::Down));
        }
        assert_eq!(
            down.verdicts,
            [Verdict::GatewayDown { gateway: "WAN_PPPOE".into(), substatus: substatus_when_down(api), loss_pct: Some(100.0) }],
            "{api:?}"
        );

        sim.ppp_up(Ipv4Addr::new(203, 0, 113, 99));
        let up = firewall.read().await.unwrap();
        assert_eq!((wan(&up).status, wan(&up).address), (LinkStatus::Up, Some(Ipv4Addr::new(203, 0, 113, 99))), "{api:?}");
        assert_eq!(up.verdicts, [], "{api:?}");
        if api == Api::PfsenseV1 {
            assert!(wan(&up).ppp_uptime_s.is_some_and(|s| s < 60), "a new session: {:?}", wan(&up));
        }
    }
}

/// OPNsense says only `down`; pfSense adds why.
fn substatus_when_down(api: Api) -> Option<Substatus> {
    (api != Api::Opnsense).then_some(Substatus::HighLoss)
}

#[tokio::test]
async fn cgnat_address_and_gateway_loss() {
    for api in APIS {
        let sim = sim(api).await;
        let (_dir, config) = firewall_config(&sim.url(), api.name(), DEFAULT_KEY, secret_for(api), "");
        let mut firewall = Firewall::from_config(&config).unwrap();

        sim.set_address(Ipv4Addr::new(100, 72, 13, 5));
        let reading = firewall.read().await.unwrap();
        assert_eq!(reading.verdicts, [Verdict::Cgnat { interface: "wan".into(), address: Ipv4Addr::new(100, 72, 13, 5) }], "{api:?}");

        sim.set_address(Ipv4Addr::new(203, 0, 113, 57));
        sim.set_gateway(48.0, 20.0, 12.0);
        let reading = firewall.read().await.unwrap();
        let gateway = &reading.gateways[0];
        assert_eq!((gateway.status, gateway.substatus), (GatewayStatus::Online, Some(Substatus::Loss)), "{api:?}");
        assert!(matches!(&reading.verdicts[..], [Verdict::GatewayDegraded { substatus: Substatus::Loss, .. }]), "{api:?}: {:?}", reading.verdicts);

        sim.set_gateway(48.0, 20.0, 35.0);
        let reading = firewall.read().await.unwrap();
        assert_eq!(reading.gateways[0].status, GatewayStatus::Down, "{api:?}");
    }
}

#[tokio::test]
async fn refused_credentials_name_the_firewall_and_keep_the_secret() {
    for api in APIS {
        let sim = sim(api).await;
        for kind in [api.name(), "auto"] {
            let error = read(&sim, kind, "wrong-key-s3cr3t", Some("wrong-secret-s3cr3t").filter(|_| api != Api::PfsenseV2))
                .await
                .expect_err("refused");
            let text = error.to_string();
            assert!(matches!(error.problem, Problem::Unauthorized(_)), "{api:?} {kind}: {text}");
            assert!(text.contains("\"fw\"") && text.contains("401") && text.contains(&sim.url()), "{text}");
            assert!(!text.contains("s3cr3t") && !text.contains(DEFAULT_KEY), "secrets leak: {text}");
        }
    }
    let sim = sim(Api::PfsenseV2).await;
    let text = read(&sim, "pfsense-v2", "nope", None).await.unwrap_err().to_string();
    assert!(text.contains("AUTH_AUTHENTICATION_FAILED"), "the API's own reason is kept: {text}");
}

#[tokio::test]
async fn hostile_answers_are_clear_errors_never_a_down_wan() {
    type Expected = fn(&Problem) -> bool;
    let cases: [(Fault, Expected); 7] = [
        (Fault::Html, |p| matches!(p, Problem::Html)),
        (Fault::Truncated, |p| matches!(p, Problem::Truncated(_))),
        (Fault::Malformed, |p| matches!(p, Problem::NotJson(_))),
        (Fault::WrongShape, |p| matches!(p, Problem::Shape(_))),
        (Fault::Slow(Duration::from_secs(30)), |p| matches!(p, Problem::Timeout(_))),
        (Fault::Huge, |p| matches!(p, Problem::TooLarge)),
        (Fault::ServerError, |p| matches!(p, Problem::Http(500, _))),
    ];
    for api in APIS {
        let sim = sim(api).await;
        for (fault, expected) in &cases {
            sim.set_fault(Some(*fault));
            let error = read(&sim, api.name(), DEFAULT_KEY, secret_for(api)).await.expect_err("a hostile answer is no reading");
            assert!(expected(&error.problem), "{api:?} {fault:?}: {error}");
            assert!(error.to_string().contains("\"fw\""), "{error}");
        }
        sim.set_fault(None);
        read(&sim, api.name(), DEFAULT_KEY, secret_for(api)).await.expect("well again");
    }
}

#[tokio::test]
async fn auto_says_what_it_tried() {
    // An HTML page on every path: no API at all.
    let sim = sim(Api::PfsenseV2).await;
    sim.set_fault(Some(Fault::Html));
    let error = read(&sim, "auto", DEFAULT_KEY, Some(DEFAULT_SECRET)).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error.problem, Problem::Undetected(_)), "{text}");
    assert!(text.contains("opnsense") && text.contains("pfsense-v1") && text.contains("pfsense-v2"), "{text}");

    // Nobody listening.
    let port = support::free_port();
    let (_dir, config) = firewall_config(&format!("http://127.0.0.1:{port}"), "auto", DEFAULT_KEY, None, "");
    let error = Firewall::from_config(&config).unwrap().read().await.unwrap_err();
    assert!(matches!(error.problem, Problem::Connect(_)), "{error}");
}

fn tls_sim_options(api: Api) -> (SimOptions, String) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let der = cert.cert.der().clone();
    let fingerprint = linewatch::wan::tls::fingerprint(&der);
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(vec![der], key).unwrap();
    let mut options = SimOptions::new(api);
    options.tls = Some(Arc::new(config));
    (options, fingerprint)
}

#[tokio::test]
async fn https_with_a_pinned_certificate() {
    let (options, fingerprint) = tls_sim_options(Api::PfsenseV2);
    let sim = FirewallSim::start(options).await.unwrap();
    assert!(sim.url().starts_with("https://"));
    let with = |extra: &str| firewall_config(&sim.url(), "pfsense-v2", DEFAULT_KEY, None, extra);

    let (_dir, config) = with(&format!("tls_fingerprint = \"{fingerprint}\""));
    let reading = Firewall::from_config(&config).unwrap().read().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reading.gateways.len(), 1);

    // Another pin: refused, saying which certificate was offered.
    let other = format!("sha256:{}", ["AB"; 32].join(":"));
    let (_dir, config) = with(&format!("tls_fingerprint = \"{other}\""));
    let error = Firewall::from_config(&config).unwrap().read().await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error.problem, Problem::Connect(_)) && text.contains("not the pinned one") && text.contains(&fingerprint), "{text}");

    // A self-signed certificate is not trusted by the system roots.
    let (_dir, config) = with("");
    let error = Firewall::from_config(&config).unwrap().read().await.unwrap_err();
    assert!(matches!(error.problem, Problem::Connect(_)), "{error}");

    // Unless the user says so.
    let (_dir, config) = with("tls_insecure = true");
    Firewall::from_config(&config).unwrap().read().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_prints_the_wan_reading_as_json() {
    let sim = sim(Api::Opnsense).await;
    sim.set_address(Ipv4Addr::new(100, 72, 13, 5));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key"), DEFAULT_KEY).unwrap();
    std::fs::write(dir.path().join("secret"), DEFAULT_SECRET).unwrap();
    let config = dir.path().join("linewatch.toml");
    std::fs::write(
        &config,
        format!(
            "[[firewall]]\nname = \"fw\"\nurl = \"{}\"\napi_key_file = {:?}\napi_secret_file = {:?}\n",
            sim.url(),
            dir.path().join("key"),
            dir.path().join("secret")
        ),
    )
    .unwrap();
    let run = |args: &'static [&'static str]| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_linewatch")).arg("--config").arg(&config).args(args).output().unwrap()
        })
    };
    let output = run(&["poll", "fw", "--json"]).await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let reading: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(reading["source"], "opnsense");
    assert_eq!(reading["interfaces"][0]["name"], "wan");
    assert_eq!(reading["interfaces"][0]["address"], "100.72.13.5");
    assert_eq!(reading["gateways"][0]["status"], "online");
    assert_eq!(reading["verdicts"][0]["kind"], "cgnat");

    let output = run(&["poll", "fw"]).await.unwrap();
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("100.72.13.5") && table.contains("CGNAT"), "{table}{}", String::from_utf8_lossy(&output.stderr));

    let output = run(&["poll", "nothing"]).await.unwrap();
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && error.contains("\"nothing\"") && error.contains("fw"), "{error}");
}

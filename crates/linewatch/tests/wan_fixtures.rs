//! The firewall readers against every recorded answer, and the verdicts they lead to.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use linewatch::wan::verdicts::{AddressClass, classify};
use linewatch::wan::{
    DdnsAnswer, Gateway, GatewayStatus, Interface, LinkStatus, Observation, PublicIp, Substatus, Verdict, WanReading,
    opnsense, pfsense,
};
use serde_json::Value;
use support::{fixture, fixtures};

fn json(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn reading(interfaces: Vec<Interface>, gateways: Vec<Gateway>) -> WanReading {
    let mut reading = WanReading { source: "test".into(), interfaces, gateways, ..WanReading::default() };
    reading.settle();
    reading
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn every_fixture_reads_or_says_why_not() {
    for folder in ["pfsense-api", "opnsense-api"] {
        for entry in std::fs::read_dir(fixtures().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let answer = json(&format!("{folder}/{name}"));
            let result = match (folder, name.as_str()) {
                ("pfsense-api", n) if n.contains("interface") => pfsense::interfaces(&answer).map(|i| i.len()),
                ("pfsense-api", _) => pfsense::gateways(&answer).map(|g| g.len()),
                ("opnsense-api", n) if n.starts_with("interfaces_overview_interfacesInfo") => opnsense::interfaces(&answer).map(|i| i.len()),
                ("opnsense-api", n) if n.starts_with("routes_gateway_status") => opnsense::gateways(&answer).map(|g| g.len()),
                // getInterface and searchGateway are not read by linewatch.
                _ => continue,
            };
            match name.as_str() {
                "v2_error_401.json" | "routes_gateway_status_failed.json" => {
                    let error = result.expect_err(&name);
                    assert!(error.contains("AUTH_AUTHENTICATION_FAILED") || error.contains("failed"), "{name}: {error}");
                }
                _ => assert!(result.unwrap_or_else(|e| panic!("{name}: {e}")) > 0, "{name}: nothing read"),
            }
        }
    }
}

#[test]
fn pfsense_v2_interfaces_and_gateways() {
    let interfaces = pfsense::interfaces(&json("pfsense-api/v2_status_interfaces.json")).unwrap();
    let wan = &interfaces[0];
    assert_eq!((wan.name.as_str(), wan.description.as_deref(), wan.device.as_deref()), ("wan", Some("WAN"), Some("pppoe0")));
    assert_eq!((wan.status, wan.address, wan.gateway), (LinkStatus::Up, Some(Ipv4Addr::new(203, 0, 113, 57)), Some(ip("198.51.100.1"))));
    // v2 does not tell the PPP session, and an empty v6 address is no address.
    assert_eq!((wan.ppp_status, wan.ppp_uptime_s, wan.address_v6), (None, None, None));
    assert_eq!(interfaces[1].gateway, None);

    let gateways = pfsense::gateways(&json("pfsense-api/v2_status_gateways.json")).unwrap();
    let g = &gateways[0];
    assert_eq!((g.name.as_str(), g.status, g.substatus), ("WAN_PPPOE", GatewayStatus::Online, None));
    assert_eq!((g.rtt_ms, g.rtt_stddev_ms, g.loss_pct, g.monitor), (Some(10.845), Some(1.215), Some(0.0), Some(ip("198.51.100.1"))));
    let r = reading(interfaces, gateways);
    assert_eq!(r.verdicts, [], "a public WAN with healthy gateways: nothing to say");
}

#[test]
fn pfsense_v1_tells_the_ppp_session() {
    let interfaces = pfsense::interfaces(&json("pfsense-api/v1_status_interface.json")).unwrap();
    assert_eq!((interfaces[0].ppp_status, interfaces[0].ppp_uptime_s), (Some(LinkStatus::Up), Some(3 * 86_400 + 4 * 3600 + 12 * 60 + 55)));
    let down = pfsense::interfaces(&json("pfsense-api/v1_status_interface_pppoe_down.json")).unwrap();
    let wan = &down[0];
    assert_eq!((wan.status, wan.ppp_status, wan.address, wan.gateway), (LinkStatus::Down, Some(LinkStatus::Down), None, None));

    let old = pfsense::gateways(&json("pfsense-api/v1_status_gateway_legacy_pre_substatus.json")).unwrap();
    assert_eq!((old[0].status, old[0].substatus), (GatewayStatus::Online, None), "v1 rewrites `none` to `up`");
    let faux = pfsense::gateways(&json("pfsense-api/fauxapi_gateway_status_legacy.json")).unwrap();
    assert_eq!((faux[0].name.as_str(), faux[0].rtt_ms, faux[0].loss_pct), ("WAN_4G_GW", Some(49.271), Some(0.0)));
}

#[test]
fn gateway_states_come_from_the_firewall() {
    let degraded = pfsense::gateways(&json("pfsense-api/v2_status_gateways_degraded.json")).unwrap();
    assert_eq!(
        reading(vec![], degraded).verdicts,
        [Verdict::GatewayDegraded { gateway: "WAN_PPPOE".into(), substatus: Substatus::Delay, rtt_ms: Some(231.007), loss_pct: Some(12.0) }]
    );
    for path in ["pfsense-api/v2_status_gateways_down.json", "pfsense-api/v1_status_gateway_down.json"] {
        let down = pfsense::gateways(&json(path)).unwrap();
        // dpinger's 0 ms beside 100 % loss is no measurement, not a fast line.
        assert_eq!((down[0].rtt_ms, down[0].rtt_stddev_ms, down[0].loss_pct), (None, None, Some(100.0)), "{path}");
        assert_eq!(
            reading(vec![], down).verdicts,
            [Verdict::GatewayDown { gateway: "WAN_PPPOE".into(), substatus: Some(Substatus::HighLoss), loss_pct: Some(100.0) }],
            "{path}"
        );
    }

    let opn = opnsense::gateways(&json("opnsense-api/routes_gateway_status.json")).unwrap();
    assert_eq!((opn[0].status, opn[0].rtt_ms, opn[0].rtt_stddev_ms, opn[0].loss_pct), (GatewayStatus::Online, Some(10.8), Some(1.2), Some(0.0)));
    assert_eq!((opn[1].status, opn[1].substatus), (GatewayStatus::Online, Some(Substatus::Delay)));
    let down = opnsense::gateways(&json("opnsense-api/routes_gateway_status_down.json")).unwrap();
    assert!(matches!(&reading(vec![], down).verdicts[..], [Verdict::GatewayDown { .. }]));
    let quoted = opnsense::gateways(&json("opnsense-api/routes_gateway_status_pr5448_quoted.json")).unwrap();
    assert_eq!((quoted[0].monitor, quoted[1].status), (Some(ip("198.51.100.1")), GatewayStatus::Down));
    // Not monitored: online, and no figures at all rather than zeros.
    let unmonitored = opnsense::gateways(&json("opnsense-api/routes_gateway_status_monitoring_disabled.json")).unwrap();
    let g = &unmonitored[0];
    assert_eq!((g.status, g.rtt_ms, g.rtt_stddev_ms, g.loss_pct), (GatewayStatus::Online, None, None, None));
    let text = serde_json::to_string(g).unwrap();
    assert!(!text.contains("rtt_ms") && !text.contains("loss_pct"), "absent values are omitted: {text}");
}

#[test]
fn opnsense_interfaces_and_the_keyed_gateway_list() {
    let interfaces = opnsense::interfaces(&json("opnsense-api/interfaces_overview_interfacesInfo.json")).unwrap();
    let wan = &interfaces[0];
    assert_eq!((wan.name.as_str(), wan.device.as_deref(), wan.status), ("wan", Some("pppoe0"), LinkStatus::Up));
    assert_eq!((wan.address, wan.gateway), (Some(Ipv4Addr::new(203, 0, 113, 57)), Some(ip("198.51.100.1"))));
    assert_eq!((interfaces[1].name.as_str(), interfaces[1].gateway), ("lan", None));

    // The short-lived revision that keyed items by name.
    let mut keyed = json("opnsense-api/routes_gateway_status.json");
    let items: serde_json::Map<String, Value> =
        keyed["items"].as_array().unwrap().iter().map(|i| (i["name"].as_str().unwrap().to_string(), i.clone())).collect();
    keyed["items"] = Value::Object(items);
    assert_eq!(opnsense::gateways(&keyed).unwrap().len(), 2);
}

#[test]
fn cgnat_and_double_nat() {
    let cgnat = pfsense::interfaces(&json("pfsense-api/v2_status_interfaces_cgnat.json")).unwrap();
    assert_eq!(reading(cgnat, vec![]).verdicts, [Verdict::Cgnat { interface: "wan".into(), address: Ipv4Addr::new(100, 72, 13, 5) }]);

    let mut private = pfsense::interfaces(&json("pfsense-api/v2_status_interfaces.json")).unwrap();
    private[0].address = Some(Ipv4Addr::new(192, 168, 0, 10));
    // The LAN's RFC 1918 address is no verdict: it has no gateway.
    assert_eq!(reading(private, vec![]).verdicts, [Verdict::PrivateWan { interface: "wan".into(), address: Ipv4Addr::new(192, 168, 0, 10) }]);

    assert_eq!(classify(Ipv4Addr::new(100, 64, 0, 1)), AddressClass::Cgnat);
    assert_eq!(classify(Ipv4Addr::new(100, 127, 255, 255)), AddressClass::Cgnat);
    assert_eq!(classify(Ipv4Addr::new(100, 128, 0, 1)), AddressClass::Public);
    assert_eq!(classify(Ipv4Addr::new(172, 16, 5, 4)), AddressClass::Private);
    assert_eq!(classify(Ipv4Addr::new(172, 32, 5, 4)), AddressClass::Public);
    assert_eq!(classify(Ipv4Addr::new(169, 254, 1, 1)), AddressClass::Other);
}

fn public(address: &str, liar: Option<&str>) -> PublicIp {
    let mut observations = vec![
        Observation { method: "http a".into(), address: Some(ip(address)), error: None, dissents: false },
        Observation { method: "dns".into(), address: Some(ip(address)), error: None, dissents: false },
    ];
    observations.extend(liar.map(|l| Observation { method: "stun b".into(), address: Some(ip(l)), error: None, dissents: true }));
    PublicIp { address: Some(ip(address)), observations }
}

#[test]
fn nat_upstream_only_when_a_public_wan_is_not_what_the_outside_sees() {
    let interfaces = pfsense::interfaces(&json("pfsense-api/v2_status_interfaces.json")).unwrap();
    let mut r = reading(interfaces, vec![]);
    r.public_ip = Some(public("203.0.113.57", Some("198.51.100.200")));
    r.settle();
    assert_eq!(r.verdicts, [], "the agreed address is ours; a dissenting method is not believed");

    r.public_ip = Some(public("198.51.100.200", None));
    r.settle();
    assert_eq!(
        r.verdicts,
        [Verdict::NatUpstream { interface: "wan".into(), wan_address: Ipv4Addr::new(203, 0, 113, 57), public_address: ip("198.51.100.200") }]
    );

    // Behind CGNAT the difference is expected and already said.
    let cgnat = pfsense::interfaces(&json("pfsense-api/v2_status_interfaces_cgnat.json")).unwrap();
    let mut r = reading(cgnat, vec![]);
    r.public_ip = Some(public("198.51.100.200", None));
    r.settle();
    assert!(matches!(&r.verdicts[..], [Verdict::Cgnat { .. }]), "{:?}", r.verdicts);
}

#[test]
fn ddns_stale_carries_the_address_to_set() {
    let interfaces = pfsense::interfaces(&json("pfsense-api/v2_status_interfaces.json")).unwrap();
    let mut r = reading(interfaces, vec![]);
    let answer = |addresses: &[&str], error: Option<&str>| DdnsAnswer {
        host: "home.example.net".into(),
        addresses: addresses.iter().map(|a| ip(a)).collect(),
        error: error.map(String::from),
    };
    r.ddns = Some(answer(&["203.0.113.57"], None));
    r.settle();
    assert_eq!(r.verdicts, []);

    r.ddns = Some(answer(&["203.0.113.9"], None));
    r.settle();
    assert_eq!(
        r.verdicts,
        [Verdict::DdnsStale { host: "home.example.net".into(), resolved: vec![ip("203.0.113.9")], expected: ip("203.0.113.57") }]
    );

    // The quorum's address wins over the interface's: it is what DDNS must point at.
    r.public_ip = Some(public("198.51.100.200", None));
    r.settle();
    assert!(r.verdicts.contains(&Verdict::DdnsStale {
        host: "home.example.net".into(),
        resolved: vec![ip("203.0.113.9")],
        expected: ip("198.51.100.200")
    }));

    // No answer from the resolver says nothing about the record.
    r.public_ip = None;
    r.ddns = Some(answer(&[], Some("no answer within 5s")));
    r.settle();
    assert_eq!(r.verdicts, []);
}

#[test]
fn json_paths_scripts_rely_on() {
    let interfaces = pfsense::interfaces(&json("pfsense-api/v2_status_interfaces_cgnat.json")).unwrap();
    let gateways = pfsense::gateways(&json("pfsense-api/v2_status_gateways_degraded.json")).unwrap();
    let value = serde_json::to_value(reading(interfaces, gateways)).unwrap();
    assert_eq!(value["interfaces"][0]["name"], "wan");
    assert_eq!(value["interfaces"][0]["status"], "up");
    assert_eq!(value["interfaces"][0]["address"], "100.72.13.5");
    assert_eq!(value["gateways"][0]["name"], "WAN_PPPOE");
    assert_eq!(value["gateways"][0]["status"], "online");
    assert_eq!(value["gateways"][0]["rtt_ms"], 231.007);
    assert_eq!(value["gateways"][0]["rtt_stddev_ms"], 88.402);
    assert_eq!(value["gateways"][0]["loss_pct"], 12.0);
    assert_eq!(value["verdicts"][0]["kind"], "cgnat");
    assert_eq!(value["verdicts"][1]["kind"], "gateway_degraded");
    assert_eq!(value["verdicts"][1]["substatus"], "delay");
    let back: WanReading = serde_json::from_value(value).unwrap();
    assert_eq!(back.verdicts.len(), 2);
}

#[test]
fn hostile_shapes_are_errors() {
    let cases = [
        serde_json::json!([1, 2, 3]),
        serde_json::json!({"code": 200, "status": "ok", "data": "nope"}),
        serde_json::json!({"code": 200, "status": "ok", "data": [42]}),
        serde_json::json!({"code": 200, "status": "ok", "data": [{"descr": "no name"}]}),
        serde_json::json!({"code": 403, "status": "forbidden", "response_id": "AUTH_AUTHORIZATION_FAILED", "data": []}),
    ];
    for case in &cases {
        assert!(pfsense::interfaces(case).is_err(), "{case}");
        assert!(pfsense::gateways(case).is_err(), "{case}");
    }
    assert!(opnsense::gateways(&serde_json::json!({"status": "ok"})).is_err());
    assert!(opnsense::gateways(&serde_json::json!({"items": "x", "status": "ok"})).is_err());
    assert!(opnsense::interfaces(&serde_json::json!({"rows": {"a": 1}})).is_err());
    // An unknown status word is not "down".
    let odd = serde_json::json!({"code": 200, "status": "ok", "data": [{"name": "wan", "status": "sleeping"}]});
    assert_eq!(pfsense::interfaces(&odd).unwrap()[0].status, LinkStatus::Unknown);
    let odd = serde_json::json!({"code": 200, "status": "ok", "data": [{"name": "GW", "status": "pending"}]});
    let gateways = pfsense::gateways(&odd).unwrap();
    assert_eq!(gateways[0].status, GatewayStatus::Unknown);
    assert_eq!(reading(vec![], gateways).verdicts, []);
}

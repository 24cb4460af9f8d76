//! `linewatch init` and `check-config` as a newcomer meets them.

use std::process::Command;

fn linewatch(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_linewatch"))
        .current_dir(dir)
        .args(args)
        .env_remove("MODEM_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn init_writes_a_config_that_checks_once_its_secret_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = linewatch(dir.path(), &["init"], &[]);
    assert!(ok && out.contains("linewatch.toml"));
    let (ok, _, err) = linewatch(dir.path(), &["init"], &[]);
    assert!(!ok && err.contains("--force"), "init never overwrites silently: {err}");

    let (ok, _, err) = linewatch(dir.path(), &["check-config"], &[]);
    assert!(!ok && err.contains("MODEM_PASSWORD is not set"), "{err}");
    let (ok, out, _) = linewatch(dir.path(), &["check-config"], &[("MODEM_PASSWORD", "hunter2")]);
    assert!(ok, "{out}");
    assert!(out.contains("broadcom over ssh to 192.168.1.1:22") && !out.contains("hunter2"), "{out}");
}

#[test]
fn broken_configs_say_where_and_what() {
    let cases = [
        ("[[modem]]\nname = \"home\"\ndriver = \"broadcomm\"\nhost = \"x\"\n", &["line 3", "`driver`", "broadcom", "expected one of"][..]),
        ("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\n", &["host"]),
        ("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"x\"\ninterval = \"often\"\n", &["interval", "30s"]),
        ("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"x\"\npassword = \"hunter2\"\n", &["unknown field `password`", "password_env"]),
        ("[modem]\nname = \"home\"\n", &["[[modem]]", "double brackets"]),
        ("[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"x\"\nport = \"22a\"\n", &["line 5", "`port`", "expected a whole number"]),
        ("[[modem]]\nname = \"h\"\ndriver = \"broadcom\"\nhost = \"x\"\n[alerts.rate_drop]\ndrop_pct = 500\n", &["[alerts]", "drop_pct = 500", "between 0 and 100"]),
        ("[[modem]]\nname = \"h\"\ndriver = \"broadcom\"\nhost = \"x\"\n[wan]\nddns_host = \"not a host!\"\n", &["[wan]", "ddns_host", "not a host name"]),
        ("[[firewall]]\nname = \"fw\"\nkind = \"opnsense\"\nurl = \"https://fw\"\napi_key = \"hunter2\"\n", &["unknown field `api_key`", "api_key_env"]),
        ("[[notifier]]\nkind = \"discord-webhook\"\nurl = \"https://discord.com/api/webhooks/1/tok\"\n", &["url_env"]),
    ];
    for (text, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("linewatch.toml"), text).unwrap();
        let (ok, _, err) = linewatch(dir.path(), &["check-config"], &[]);
        assert!(!ok, "{text}");
        for e in expected {
            assert!(err.contains(e), "for\n{text}\nexpected {e:?} in:\n{err}");
        }
        assert!(!err.contains("hunter2") && !err.contains("/tok"), "secrets never echo: {err}");
    }
}

#[test]
fn a_missing_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = linewatch(dir.path(), &["poll", "home"], &[]);
    assert!(!ok && err.contains("linewatch.toml") && err.contains("linewatch init"), "{err}");
}

#[test]
fn check_config_reads_every_secret_and_lists_what_will_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[[firewall]]\nname = \"fw\"\nkind = \"pfsense-v2\"\nurl = \"https://192.168.1.1\"\napi_key_env = \"LW_TEST_FW_KEY\"\n\n\
                  [[export]]\nkind = \"influx-v2\"\nurl = \"http://127.0.0.1:8086\"\norg = \"home\"\nbucket = \"dsl\"\ntoken_env = \"LW_TEST_INFLUX_TOKEN\"\n\n\
                  [[notifier]]\nkind = \"webhook\"\nurl_env = \"LW_TEST_HOOK\"\n";
    std::fs::write(dir.path().join("linewatch.toml"), config).unwrap();
    let (ok, _, err) = linewatch(dir.path(), &["check-config"], &[]);
    assert!(!ok, "{err}");
    for missing in ["LW_TEST_FW_KEY is not set", "LW_TEST_INFLUX_TOKEN is not set", "LW_TEST_HOOK is not set"] {
        assert!(err.contains(missing), "{missing:?} in:\n{err}");
    }
    // A secret URL that is no URL is named by where it came from, never shown.
    let env = [("LW_TEST_FW_KEY", "k"), ("LW_TEST_INFLUX_TOKEN", "t"), ("LW_TEST_HOOK", "not a url SECRETXYZ")];
    let (ok, _, err) = linewatch(dir.path(), &["check-config"], &env);
    assert!(!ok && err.contains("the url in environment variable LW_TEST_HOOK is not an http:// or https:// URL"), "{err}");
    assert!(!err.contains("SECRETXYZ"), "{err}");
    let env = [("LW_TEST_FW_KEY", "k"), ("LW_TEST_INFLUX_TOKEN", "t"), ("LW_TEST_HOOK", "https://hooks.example/x?token=SECRETXYZ")];
    let (ok, out, err) = linewatch(dir.path(), &["check-config"], &env);
    assert!(ok, "{err}");
    for listed in ["firewall \"fw\": pfsense-v2 at https://192.168.1.1", "export \"influx-v2\": influx-v2", "notifier"] {
        assert!(out.contains(listed), "{listed:?} in:\n{out}");
    }
    assert!(!out.contains("SECRETXYZ"), "{out}");
}

#[test]
fn a_config_with_nothing_to_watch_is_refused_by_check_config_and_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("linewatch.toml"), "# nothing yet\n").unwrap();
    for command in ["check-config", "run"] {
        let (ok, _, err) = linewatch(dir.path(), &[command], &[]);
        assert!(!ok && err.contains("nothing to watch: add a [[modem]] or a [[firewall]]"), "{command}: {err}");
    }
}

#[test]
fn check_config_reads_the_discord_token_and_says_where_the_bot_goes() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[[modem]]\nname = \"home\"\ndriver = \"broadcom\"\nhost = \"192.168.1.1\"\n\n\
                  [discord]\ntoken_env = \"LINEWATCH_TEST_DISCORD_TOKEN\"\napplication_id = \"123456789012345678\"\n\
                  guild_id = \"223456789012345678\"\nalert_channel_id = \"323456789012345678\"\n";
    std::fs::write(dir.path().join("linewatch.toml"), config).unwrap();
    let (ok, _, err) = linewatch(dir.path(), &["check-config"], &[]);
    assert!(!ok && err.contains("[discord]") && err.contains("LINEWATCH_TEST_DISCORD_TOKEN is not set"), "{err}");
    let (ok, out, _) = linewatch(dir.path(), &["check-config"], &[("LINEWATCH_TEST_DISCORD_TOKEN", "s3cret-token")]);
    assert!(ok, "{out}");
    assert!(out.contains("commands in guild 223456789012345678, alerts in channel 323456789012345678"), "{out}");
    assert!(!out.contains("s3cret-token") && !out.contains("only printed on the console"), "{out}");
}

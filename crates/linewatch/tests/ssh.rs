//! The SSH transport against real servers: dropbear as modems run it, OpenSSH sshd configured
//! like an old modem. Each test starts its own server on a free port and logs in the test user.

#[path = "support/ssh_servers.rs"]
mod ssh_servers;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use linewatch::config::Secret;
use linewatch::devices::DeviceError;
use linewatch::devices::prompt::Prompt;
use linewatch::devices::ssh::SshClient;
use ssh_servers::{CAPTURE, Login, STATS, SshServer, USER, ZYSH_PROMPT, capture_output, client_key, fingerprint_of};
use xdsl::Dialect;

/// Generous: only there so a broken test cannot hang.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A data directory for the client (created by the client on first pin) and the test's logs.
fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "linewatch=debug".into()),
        )
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let known_hosts = dir.path().join("data/known_hosts");
    (dir, known_hosts)
}

fn assert_is_the_capture(output: &str) {
    assert_eq!(output, capture_output());
    let reading = Dialect::Broadcom.parse(output).expect("the output parses");
    assert_eq!(reading, Dialect::Broadcom.parse(&support::fixture(CAPTURE)).unwrap());
}

#[tokio::test]
async fn first_connect_pins_the_host_key_and_reads_the_line() {
    let Some(server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));

    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());

    let pinned = std::fs::read_to_string(&known_hosts).unwrap();
    let entry = format!("[127.0.0.1]:{} ", server.port());
    assert!(pinned.starts_with(&entry) && pinned.lines().count() == 1, "{pinned}");
    assert_eq!(fingerprint_of(&pinned[entry.len()..]), server.fingerprint());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&known_hosts), 0o600);
    assert_eq!(mode(known_hosts.parent().unwrap()), 0o700);

    // The next client (linewatch restarted) trusts the pinned key and pins nothing new.
    client.close().await;
    let mut again = SshClient::new(server.options(&known_hosts));
    assert_is_the_capture(&again.run(STATS, TIMEOUT).await.unwrap());
    assert_eq!(std::fs::read_to_string(&known_hosts).unwrap(), pinned);
}

#[tokio::test]
async fn a_changed_host_key_is_refused_naming_both_fingerprints() {
    let Some(mut server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));
    client.run(STATS, TIMEOUT).await.unwrap();
    let pinned = server.fingerprint();

    server.stop();
    server.new_host_key();
    server.start();
    let offered = server.fingerprint();
    assert_ne!(pinned, offered);

    let error = client.run(STATS, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::HostKeyChanged { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains(&pinned) && message.contains(&offered), "{message}");
    assert!(message.contains(&known_hosts.display().to_string()), "{message}");

    // Still refused by a new client: nothing was re-pinned behind the user's back.
    let error = SshClient::new(server.options(&known_hosts)).run(STATS, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::HostKeyChanged { .. }), "{error}");
    assert_eq!(std::fs::read_to_string(&known_hosts).unwrap().lines().count(), 1);
}

#[tokio::test]
async fn a_wrong_password_is_refused_naming_the_user_not_the_password() {
    let Some(server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut options = server.options(&known_hosts);
    options.password = Some(Secret::new("Wr0ng-Pa55word"));
    let mut client = SshClient::new(options);

    let error = client.run(STATS, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::AuthFailed { .. }), "{error}");
    let shown = format!("{error} {error:?}");
    assert!(shown.contains(USER), "{shown}");
    assert!(!shown.contains("Wr0ng-Pa55word"), "{shown}");
    assert_eq!(client.sessions_opened(), 0);
}

/// Runs `command` until it works, as a poller would, accepting only the errors of a modem that
/// is down; panics after a generous while.
async fn run_until_back(client: &mut SshClient, command: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match client.run(command, TIMEOUT).await {
            Ok(output) => return output,
            Err(e @ (DeviceError::Connect { .. } | DeviceError::Backoff { .. } | DeviceError::Disconnected { .. })) => {
                assert!(tokio::time::Instant::now() < deadline, "still not back: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("unexpected error while the modem comes back: {e}"),
        }
    }
}

#[tokio::test]
async fn the_session_comes_back_by_itself_after_the_modem_reboots() {
    let Some(mut server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));
    client.run(STATS, TIMEOUT).await.unwrap();

    // Down: a connection error, then no hammering while the backoff runs.
    server.stop();
    let error = client.run(STATS, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::Connect { .. }), "{error}");
    let error = client.run(STATS, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::Backoff { .. }), "{error}");
    assert!(matches!(error.cause(), DeviceError::Connect { .. }), "the backoff tells why: {error}");

    server.start();
    assert_is_the_capture(&run_until_back(&mut client, STATS).await);
    assert_eq!(client.sessions_opened(), 2);
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
    assert_eq!(client.sessions_opened(), 2);
}

#[tokio::test]
async fn a_reboot_between_two_readings_costs_no_reading() {
    let Some(mut server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));
    client.run(STATS, TIMEOUT).await.unwrap();

    server.restart();
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
    assert_eq!(client.sessions_opened(), 2);
}

#[tokio::test]
async fn a_hanging_command_times_out_without_wedging_the_session() {
    let Some(server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));

    let error = client.run("sleep 600", Duration::from_secs(1)).await.unwrap_err();
    match &error {
        DeviceError::Timeout { command, after, .. } => {
            assert_eq!((command.as_str(), *after), ("sleep 600", Duration::from_secs(1)))
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
    assert_eq!(client.sessions_opened(), 1);
}

/// OpenSSH allowing only what old modems speak.
const LEGACY_ONLY: &str = "KexAlgorithms diffie-hellman-group14-sha1,diffie-hellman-group1-sha1\n\
                           HostKeyAlgorithms ssh-rsa\n\
                           Ciphers aes128-cbc,3des-cbc\n\
                           MACs hmac-sha1";

#[tokio::test]
async fn legacy_algorithms_only_when_asked_for() {
    let Some(server) = SshServer::sshd(LEGACY_ONLY) else { return };
    let (_dir, known_hosts) = data_dir();

    let error = SshClient::new(server.options(&known_hosts)).run(STATS, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::Connect { .. }), "{error}");
    assert!(error.to_string().contains("legacy_algorithms = true"), "{error}");

    let mut options = server.options(&known_hosts);
    options.legacy_algorithms = true;
    let mut client = SshClient::new(options);
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
}

#[tokio::test]
async fn a_shell_without_exec_gives_the_same_output() {
    let Some(server) = SshServer::dropbear(Login::ZySh) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut options = server.options(&known_hosts);
    options.shell = Some(Prompt::new(Some(ZYSH_PROMPT)));
    let mut client = SshClient::new(options);

    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
    // Output without a final newline runs into the prompt: it is kept all the same.
    assert_eq!(client.run("printf 'LOF: 0 0'", TIMEOUT).await.unwrap(), "LOF: 0 0\n");

    // A hanging command is interrupted (Ctrl-C) and the shell stays usable.
    let error = client.run("sleep 600", Duration::from_secs(1)).await.unwrap_err();
    assert!(matches!(error, DeviceError::Timeout { .. }), "{error}");
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
    assert_eq!(client.sessions_opened(), 1);
}

#[tokio::test]
async fn twenty_readings_on_one_session() {
    let Some(server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));
    // In its own task, as the poller runs each modem.
    let poller = tokio::spawn(async move {
        for _ in 0..20 {
            assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
        }
        client
    });
    let mut client = poller.await.unwrap();
    assert_eq!(client.sessions_opened(), 1);
    client.close().await;
}

#[tokio::test]
async fn the_oldest_modems_group1_dss_3des() {
    let Some(server) = SshServer::sshd_with_key(
        "dsa",
        "KexAlgorithms diffie-hellman-group1-sha1\nHostKeyAlgorithms ssh-dss\nCiphers 3des-cbc\nMACs hmac-sha1",
    ) else {
        return;
    };
    let (_dir, known_hosts) = data_dir();
    let mut options = server.options(&known_hosts);
    options.legacy_algorithms = true;
    let mut client = SshClient::new(options);
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
}

#[tokio::test]
async fn a_key_with_a_passphrase_logs_in_without_a_password() {
    let Some(server) = SshServer::sshd("PasswordAuthentication no\nKbdInteractiveAuthentication no") else { return };
    let (dir, known_hosts) = data_dir();
    let key = client_key(dir.path(), "key passphrase");
    server.authorize(&key.with_extension("pub"));
    let mut options = server.options(&known_hosts);
    options.password = None;
    options.key_file = Some(key.clone());
    options.key_passphrase = Some(Secret::new("key passphrase"));
    let mut client = SshClient::new(options.clone());
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());

    // A wrong passphrase names the key file, not the passphrase.
    options.key_passphrase = Some(Secret::new("Wr0ng-Phrase"));
    let error = SshClient::new(options).run(STATS, TIMEOUT).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains(&key.display().to_string()) && !shown.contains("Wr0ng-Phrase"), "{shown}");
}

#[tokio::test]
async fn keyboard_interactive_is_answered_with_the_password() {
    let Some(server) = SshServer::sshd("UsePAM yes\nPasswordAuthentication no\nKbdInteractiveAuthentication yes")
    else {
        return;
    };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));
    let output = client.run(STATS, TIMEOUT).await;
    assert!(output.is_ok(), "{output:?}\n{}", server.log());
    assert_is_the_capture(&output.unwrap());
}

#[tokio::test]
async fn stderr_is_part_of_the_output_and_a_flood_is_cut_off() {
    let Some(server) = SshServer::dropbear(Login::Exec) else { return };
    let (_dir, known_hosts) = data_dir();
    let mut client = SshClient::new(server.options(&known_hosts));

    let output = client.run("xdslctl info --nonsense", TIMEOUT).await.unwrap();
    assert_eq!(output, "xdslctl: unsupported: info --nonsense\n");

    let error = client.run("head -c 5000000 /dev/zero", TIMEOUT).await.unwrap_err();
    assert!(matches!(error, DeviceError::Protocol { .. }), "{error}");
    assert_is_the_capture(&client.run(STATS, TIMEOUT).await.unwrap());
    assert_eq!(client.sessions_opened(), 1);
}

//! `linewatch sim modem`: runs a simulated modem until Ctrl-C, printing where it listens, its
//! host key and what happens to the line.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use xdsl::Dialect;

use super::{DIALECTS, ModemSim, Script, SimOptions, Standard};
use crate::config::{Secret, SecretSource};

/// A script or key file larger than this is a mistake.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Faster than this, catching up with the clock would take longer than the time it covers.
const MAX_SPEED: f64 = 1_000_000.0;
/// Random events come on average this often (simulated time).
const RANDOM_EVENT_GAP: Duration = Duration::from_secs(2 * 3600);

#[derive(Clone, Copy, ValueEnum)]
enum StandardArg {
    /// VDSL2 profile 17a.
    Vdsl2,
    /// ADSL2+.
    #[value(name = "adsl2+")]
    Adsl2Plus,
}

/// The options of `linewatch sim modem`.
#[derive(Args)]
pub struct ModemArgs {
    /// Which modem to be: broadcom, homeware or openwrt.
    #[arg(long, default_value = "broadcom", value_parser = parse_dialect)]
    dialect: Dialect,
    /// The name Broadcom's tool answers to (xdslctl, xdslcmd, adsl).
    #[arg(long, default_value = "xdslctl", value_name = "NAME")]
    command: String,
    /// The line's standard.
    #[arg(long, value_enum, default_value = "vdsl2")]
    standard: StandardArg,
    /// Where the SSH server listens (port 0: any free port). Default 127.0.0.1:2222 when
    /// neither --ssh nor --telnet is given.
    #[arg(long, value_name = "ADDR")]
    ssh: Option<SocketAddr>,
    /// Where the Telnet server listens.
    #[arg(long, value_name = "ADDR")]
    telnet: Option<SocketAddr>,
    #[arg(long, default_value = "admin")]
    user: String,
    /// The environment variable that holds the password (default: the password is `admin`).
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// OpenSSH public keys (an authorized_keys or .pub file) that may log in over SSH.
    #[arg(long, value_name = "FILE")]
    authorized_keys: Option<PathBuf>,
    /// The interactive shell's prompt.
    #[arg(long, default_value = "# ")]
    prompt: String,
    /// Where the SSH host key is kept between runs (default: a new key every run).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Use a new host key even if the state directory holds one.
    #[arg(long)]
    fresh_host_key: bool,
    /// Seed of the line's figures and noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Let things happen at random (about one event every 2 simulated hours).
    #[arg(long)]
    random_events: bool,
    /// Events at offsets, from a TOML file: `[[event]] at = "2m" kind = "desync" down_for = "40s"`.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// How long `reboot` keeps the modem away (simulated time).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    reboot_time: Duration,
}

fn parse_dialect(name: &str) -> Result<Dialect, String> {
    Dialect::from_name(name).filter(|d| DIALECTS.contains(d)).ok_or_else(|| {
        let names: Vec<&str> = DIALECTS.iter().map(|d| d.name()).collect();
        format!("the simulator can be {}, not {name:?}", names.join(", "))
    })
}

pub fn run(args: ModemArgs) -> anyhow::Result<ExitCode> {
    if !(args.speed > 0.0 && args.speed <= MAX_SPEED) {
        bail!("--speed must be above 0 and at most {MAX_SPEED} (a simulated year in about half a minute)");
    }
    let options = options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(serve(options))?;
    Ok(ExitCode::SUCCESS)
}

fn options(args: ModemArgs) -> anyhow::Result<SimOptions> {
    let password = match &args.password_env {
        Some(var) => SecretSource::Env(var.clone()).read().map_err(anyhow::Error::msg)?,
        None => Secret::new("admin"),
    };
    let authorized_keys = match &args.authorized_keys {
        Some(path) => public_keys(path)?,
        None => Vec::new(),
    };
    let script = match &args.script {
        Some(path) => Script::from_toml(&read_small(path)?)
            .with_context(|| format!("{} is not a valid script", path.display()))?,
        None => Script::default(),
    };
    let (ssh, telnet) = match (args.ssh, args.telnet) {
        (None, None) => (Some(SocketAddr::from(([127, 0, 0, 1], 2222))), None),
        other => other,
    };
    Ok(SimOptions {
        dialect: args.dialect,
        broadcom_command: args.command,
        standard: match args.standard {
            StandardArg::Vdsl2 => Standard::Vdsl2Profile17a,
            StandardArg::Adsl2Plus => Standard::Adsl2Plus,
        },
        ssh,
        telnet,
        user: args.user,
        password,
        authorized_keys,
        prompt: args.prompt,
        state_dir: args.state_dir,
        fresh_host_key: args.fresh_host_key,
        seed: args.seed,
        speed: args.speed,
        clock: None,
        random_events: args.random_events.then_some(RANDOM_EVENT_GAP),
        script,
        reboot_time: args.reboot_time,
    })
}

fn read_small(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        bail!("{} is larger than 1 MiB", path.display());
    }
    Ok(text)
}

/// The keys of an authorized_keys or .pub file (blank lines and comments skipped).
fn public_keys(path: &Path) -> anyhow::Result<Vec<russh::keys::PublicKey>> {
    let text = read_small(path)?;
    let keys = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(i, line)| {
            russh::keys::PublicKey::from_openssh(line.trim())
                .with_context(|| format!("{} line {}: not an OpenSSH public key", path.display(), i + 1))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if keys.is_empty() {
        bail!("{} holds no public key", path.display());
    }
    Ok(keys)
}

async fn serve(options: SimOptions) -> anyhow::Result<()> {
    let description = format!(
        "simulated {} modem, {}, seed {}, speed {}x",
        options.dialect,
        match options.standard {
            Standard::Vdsl2Profile17a => "VDSL2 17a",
            Standard::Adsl2Plus => "ADSL2+",
        },
        options.seed,
        options.speed
    );
    let (user, driver) = (options.user.clone(), options.dialect.to_string());
    let sim = ModemSim::start(options).await?;
    let mut notes = sim.notes();
    println!("{description}, login {user}");
    if let Some(addr) = sim.ssh_addr() {
        println!(
            "ssh listening on {addr}\nIn linewatch.toml:\n\n[[modem]]\nname = \"sim\"\ndriver = \"{driver}\"\nhost = \"{}\"\nport = {}\nuser = \"{user}\"\n\
             password_env = \"SIM_PASSWORD\"    # holding the password: admin, or that of --password-env\n",
            addr.ip(),
            addr.port()
        );
    }
    if let Some(fingerprint) = sim.host_key_fingerprint() {
        println!("host key {fingerprint}");
    }
    if let Some(addr) = sim.telnet_addr() {
        println!("telnet listening on {addr}");
    }
    loop {
        tokio::select! {
            note = notes.recv() => match note {
                Ok(note) => println!("{} {}", sim_time(note.at_s), note.text),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => println!("({missed} events not shown)"),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    sim.stop().await;
    Ok(())
}

/// Simulated time since the start: `+2d 03:04:05`.
fn sim_time(at_s: u64) -> String {
    format!("+{}d {:02}:{:02}:{:02}", at_s / 86_400, at_s / 3600 % 24, at_s / 60 % 60, at_s % 60)
}

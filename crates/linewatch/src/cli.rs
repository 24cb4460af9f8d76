//! The command line: argument parsing and one function per subcommand.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use xdsl::{Dialect, Direction, LineReading, ParseError};

use crate::config::Config;
use crate::daemon::pipeline::Pipeline;
use crate::daemon::source::{FirewallSource, Source};
use crate::devices::driver::Modem;
use crate::{charts, history, render};

/// Input larger than this is not modem output.
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Parser)]
#[command(name = "linewatch", version, about = "Watches an xDSL line and the WAN behind it")]
struct Cli {
    /// The config file.
    #[arg(long, global = true, value_name = "FILE", default_value = "linewatch.toml")]
    config: PathBuf,
    /// Where linewatch keeps its state (pinned host keys, history). Default: `data_dir` in the
    /// config, else $LINEWATCH_DATA_DIR, else ~/.local/state/linewatch.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reads a capture of modem output and prints the line reading it holds.
    ///
    /// This is also how to check whether a modem is supported: paste what it prints.
    #[command(after_help = dialect_help())]
    Parse {
        /// The output format; see the list below.
        #[arg(long, value_name = "NAME", value_parser = parse_dialect, conflicts_with = "detect")]
        dialect: Option<Dialect>,
        /// Recognise the format from the content (the default when no --dialect is given).
        #[arg(long)]
        detect: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// The capture; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// Runs the whole daemon against a simulated modem and firewall, with no config: shows the
    /// alerts a desync, a CRC burst, a PPP drop and gateway loss raise.
    Demo {
        /// Stop by itself after this long (e.g. 60s); default: until Ctrl-C.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
        /// Where /metrics is served.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9433")]
        http: std::net::SocketAddr,
        /// Also send the alerts to this Discord webhook.
        #[arg(long, value_name = "URL")]
        discord_webhook: Option<String>,
    },
    /// Runs the daemon: polls every target, keeps the history, raises alerts, serves /metrics.
    Run {
        /// Serve /metrics and /healthz here (instead of `[http] listen`).
        #[arg(long, value_name = "ADDR")]
        http: Option<std::net::SocketAddr>,
    },
    /// Writes a commented example config (to --config, default linewatch.toml).
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Checks the config file: its keys, its values and that its secrets can be read.
    CheckConfig,
    /// Reads a modem or a firewall from the config and prints its reading (a firewall's WAN
    /// reading includes the public address and DDNS checks of `[wan]`).
    Poll {
        /// The `name` of a `[[modem]]` or `[[firewall]]` in the config.
        target: String,
        /// Print JSON (with --watch or --count: one object per line).
        #[arg(long)]
        json: bool,
        /// Keep the session open and refresh at the target's interval: a live view.
        #[arg(long)]
        watch: bool,
        /// Stop after N readings.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        /// Time between readings, instead of the target's `interval`.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        interval: Option<Duration>,
        /// Also keep the readings in the history (the store in the data directory), as the
        /// daemon does.
        #[arg(long)]
        record: bool,
    },
    /// Shows a metric of a target over time, from the history linewatch keeps.
    #[command(after_help = "WHEN is a duration back from now (7d, 36h, 90min) or an RFC 3339 time (2024-05-01T10:00:00Z, UTC without a zone).")]
    History {
        #[command(flatten)]
        series: SeriesArgs,
        /// At most this many points per series: longer ranges come in 5-minute or hourly buckets.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        max_points: usize,
        /// One line per point and series, for spreadsheets.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        #[arg(long)]
        json: bool,
    },
    /// Draws a metric of a target over time as a PNG chart, as Discord's /graph shows it.
    #[command(after_help = "WHEN is a duration back from now (7d, 36h, 90min) or an RFC 3339 time (2024-05-01T10:00:00Z, UTC without a zone).")]
    Chart {
        #[command(flatten)]
        series: SeriesArgs,
        /// Where to write the PNG; `-` writes it to standard output.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Simulators to try linewatch without the real devices.
    #[command(subcommand)]
    Sim(SimCommand),
}

/// What `history` and `chart` show: a metric of a target over a time range.
#[derive(Debug, Args)]
struct SeriesArgs {
    /// The target's (modem's) name.
    target: String,
    /// The metric as on /metrics, e.g. dsl_signal_to_noise_margin_db.
    metric: String,
    /// Only this direction (counters: near is down, far is up).
    #[arg(long, value_name = "down|up", value_parser = history::parse_direction)]
    direction: Option<Direction>,
    /// From when [default: 24h].
    #[arg(long, value_name = "WHEN", value_parser = history::parse_when)]
    since: Option<SystemTime>,
    /// Until when [default: now].
    #[arg(long, value_name = "WHEN", value_parser = history::parse_when)]
    until: Option<SystemTime>,
}

impl SeriesArgs {
    /// `--since` and `--until`: the last day by default.
    fn range(&self) -> (SystemTime, SystemTime) {
        let until = self.until.unwrap_or_else(SystemTime::now);
        (self.since.unwrap_or_else(|| until.checked_sub(history::DEFAULT_SINCE).unwrap_or(until)), until)
    }
}

#[derive(Subcommand)]
enum SimCommand {
    /// A modem: SSH and Telnet servers that answer like a Broadcom, Technicolor Homeware or
    /// OpenWrt modem, from a simulated line that evolves (counters, bursts, drift, resyncs),
    /// until Ctrl-C.
    ///
    /// Log in with the user and password given (default admin/admin). Commands: `xdslctl info
    /// --stats|--show|--state`, `xdslctl connection --down|--up` (Broadcom, Homeware),
    /// `transformer-cli get sys.class.xdsl.@line0.` (Homeware), `ubus call dsl metrics` and
    /// `/etc/init.d/dsl_control restart` (OpenWrt), `reboot`, `uptime`, `sleep N`, `exit`.
    Modem(Box<crate::sim::command::ModemArgs>),
    /// Serves a firewall's status API (pfSense v2 or v1, OPNsense) with the recorded answers'
    /// shapes, until Ctrl-C.
    Firewall {
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8180")]
        listen: std::net::SocketAddr,
        #[arg(long, value_name = "KIND", default_value = "pfsense-v2", value_parser = parse_api)]
        kind: crate::wan::firewall::Api,
        /// The variable holding the API key it accepts (pfSense v1: the client ID). Default:
        /// the key `sim-key`.
        #[arg(long, value_name = "VAR")]
        api_key_env: Option<String>,
        /// The variable holding the secret it accepts (pfSense v1: the client token; OPNsense:
        /// the secret). Default: `sim-secret`.
        #[arg(long, value_name = "VAR")]
        api_secret_env: Option<String>,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // The daemon says what it does (journald keeps it); the other commands only warn.
    logging(if matches!(cli.command, Command::Run { .. }) { "info" } else { "warn" });
    let result = match cli.command {
        Command::Parse { dialect, detect: _, json, file } => parse(dialect, json, file),
        Command::Run { http } => run_daemon(&cli.config, cli.data_dir.as_deref(), http),
        Command::Demo { duration, http, discord_webhook } => demo(crate::demo::DemoOptions { duration, http, discord_webhook }),
        Command::Init { force } => init(&cli.config, force),
        Command::CheckConfig => check_config(&cli.config),
        Command::Sim(SimCommand::Modem(args)) => crate::sim::command::run(*args),
        Command::Sim(SimCommand::Firewall { listen, kind, api_key_env, api_secret_env }) => {
            sim_firewall(listen, kind, api_key_env.as_deref(), api_secret_env.as_deref())
        }
        Command::Poll { target, json, watch, count, interval, record } => {
            let options = PollOptions { output: PollOutput { json, watch }, count, interval, record };
            poll(&cli.config, cli.data_dir.as_deref(), &target, options)
        }
        Command::History { series, max_points, csv, json } => {
            let (since, until) = series.range();
            let format = if csv { history::Format::Csv } else if json { history::Format::Json } else { history::Format::Table };
            let SeriesArgs { target, metric, direction, .. } = series;
            let request = history::Request { target, metric, direction, since, until, max_points, format };
            data_dir_to_read(&cli.config, cli.data_dir.as_deref()).and_then(|dir| history::run(&dir, &request)).map(|()| ExitCode::SUCCESS)
        }
        Command::Chart { series, out } => {
            let (since, until) = series.range();
            data_dir_to_read(&cli.config, cli.data_dir.as_deref())
                .and_then(|dir| chart(&dir, &series.target, &series.metric, series.direction, since, until, &out))
                .map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dialect_help() -> String {
    let mut help = String::from("Dialects:\n");
    for dialect in Dialect::ALL {
        help.push_str(&format!("  {:<10} {}\n", dialect.name(), dialect.description()));
    }
    help
}

fn parse_dialect(name: &str) -> Result<Dialect, String> {
    Dialect::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
        format!("unknown dialect {name:?}; known: {}", names.join(", "))
    })
}

fn parse_api(name: &str) -> Result<crate::wan::firewall::Api, String> {
    use crate::wan::firewall::Api;
    [Api::PfsenseV2, Api::PfsenseV1, Api::Opnsense]
        .into_iter()
        .find(|api| api.name() == name)
        .ok_or_else(|| format!("unknown kind {name:?}; known: pfsense-v2, pfsense-v1, opnsense"))
}

fn sim_firewall(listen: std::net::SocketAddr, api: crate::wan::firewall::Api, key_env: Option<&str>, secret_env: Option<&str>) -> anyhow::Result<ExitCode> {
    use crate::config::SecretSource;
    use crate::sim::firewall::{FirewallSim, SimOptions};
    let read = |var: Option<&str>, default: &str| match var {
        Some(var) => SecretSource::Env(var.to_string()).read().map(|s| s.expose().to_string()).map_err(anyhow::Error::msg),
        None => Ok(default.to_string()),
    };
    let mut options = SimOptions::new(api);
    options.listen = listen;
    options.key = read(key_env, crate::sim::firewall::DEFAULT_KEY)?;
    options.secret = read(secret_env, crate::sim::firewall::DEFAULT_SECRET)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let sim = FirewallSim::start(options).await.with_context(|| format!("cannot listen on {listen}"))?;
        let (key, secret) = match (key_env, secret_env) {
            (Some(k), s) => (format!("api_key_env = \"{k}\""), s.map(|s| format!("api_secret_env = \"{s}\""))),
            (None, s) => ("api_key_env = \"SIM_KEY\"    # holding sim-key".to_string(), s.map(|s| format!("api_secret_env = \"{s}\""))),
        };
        let secret = match (api, secret) {
            (crate::wan::firewall::Api::PfsenseV2, _) => String::new(),
            (_, Some(line)) => format!("{line}\n"),
            (_, None) => "api_secret_env = \"SIM_SECRET\"    # holding sim-secret\n".to_string(),
        };
        println!(
            "{} simulator on {}. In linewatch.toml:\n\n[[firewall]]\nname = \"sim\"\nkind = \"{}\"\nurl = \"{}\"\n{key}\n{secret}",
            api.name(),
            sim.url(),
            api.name(),
            sim.url()
        );
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        Ok(ExitCode::SUCCESS)
    })
}

fn parse(dialect: Option<Dialect>, json: bool, file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (source, input) = read_input(file)?;
    let result = match dialect {
        Some(dialect) => dialect.parse(&input),
        None => xdsl::parse_detected(&input),
    };
    match result {
        Ok(reading) => {
            print_reading(&reading, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("error: {source}: {error}");
            if let Some(hint) = hint(dialect, &error, &input) {
                eprintln!("hint: {hint}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// What the user can do about a capture that could not be read.
fn hint(chosen: Option<Dialect>, error: &ParseError, input: &str) -> Option<String> {
    const REPORT: &str = "if this is what your modem prints, please open an issue with the whole output \
                          attached (as a file, unedited), the modem model and firmware, and the command you ran";
    match error {
        ParseError::Empty => Some("the capture is empty: did the command print anything?".to_string()),
        ParseError::ModemError { .. } => Some(
            "the modem refused the command: check its name on this firmware (xdslctl, xdslcmd, adsl...) \
             and that the user may run it"
                .to_string(),
        ),
        ParseError::NotLineStatus { .. } => None,
        ParseError::Unrecognised { .. } => {
            let other = xdsl::detect(input).ok().filter(|d| Some(*d) != chosen);
            Some(match other {
                Some(other) => format!("this looks like {} output: try --dialect {}", other.description(), other.name()),
                None => REPORT.to_string(),
            })
        }
        ParseError::Malformed { .. } | ParseError::Undetected { .. } => Some(REPORT.to_string()),
    }
}

pub fn print_reading(reading: &LineReading, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(reading)?);
    } else {
        print!("{}", render::table(reading));
    }
    Ok(())
}

/// Reads the capture from a file or standard input, as text (invalid UTF-8 is replaced, not
/// fatal: modems print Latin-1 too). Returns a name for messages and the text.
fn read_input(file: Option<PathBuf>) -> anyhow::Result<(String, String)> {
    let mut bytes = Vec::new();
    let source = match file.filter(|f| f.as_os_str() != "-") {
        Some(path) => {
            let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            file.take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {}", path.display()))?;
            path.display().to_string()
        }
        None => {
            std::io::stdin().take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes).context("cannot read standard input")?;
            "standard input".to_string()
        }
    };
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!("{source} is larger than {} MiB: not modem output", MAX_INPUT_BYTES / 1024 / 1024);
    }
    // No modem prints NUL bytes: a binary file was given.
    if bytes.contains(&0) {
        bail!("{source} is a binary file, not the text a modem prints");
    }
    Ok((source, String::from_utf8_lossy(&bytes).into_owned()))
}

#[derive(Clone, Copy)]
struct PollOutput {
    json: bool,
    watch: bool,
}

/// Reads one modem: once, `count` times, or until Ctrl-C with `--watch`, on one session.
struct PollOptions {
    output: PollOutput,
    count: Option<u64>,
    interval: Option<Duration>,
    record: bool,
}

/// Reads a modem or a firewall of the config, once, `count` times or live.
fn poll(config_path: &Path, data_dir: Option<&Path>, target: &str, options: PollOptions) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let data_dir = config.data_dir(data_dir);
    create_private_dir(&data_dir)?;
    let recorder = match options.record {
        true => Some(Pipeline::open(&config, &data_dir.join(crate::store::FILE_NAME), Vec::new())?),
        false => None,
    };
    if let Some(firewall_config) = config.firewall(target) {
        let firewall = crate::wan::firewall::Firewall::from_config(firewall_config)?;
        let source = FirewallSource { firewall, wan: config.wan.clone() };
        return poll_loop(source, &options, options.interval.unwrap_or(firewall_config.interval), recorder);
    }
    let modem_config = config.modem(target).map_err(|e| match config.firewalls.is_empty() {
        true => e,
        false => {
            let known: Vec<&str> = config.modems.iter().map(|m| &m.name).chain(config.firewalls.iter().map(|f| &f.name)).map(String::as_str).collect();
            anyhow::anyhow!("no modem or firewall named {target:?}; the config has: {}", known.join(", "))
        }
    })?;
    let modem = Modem::from_config(modem_config, &data_dir)?;
    poll_loop(modem, &options, options.interval.unwrap_or(modem_config.interval), recorder)
}

/// How `poll` shows what a source reads.
trait Show: Source {
    fn table(reading: &Self::Reading) -> String;
    /// What the live view says under the table.
    fn footer(&self) -> String {
        self.name().to_string()
    }
}

impl Show for Modem {
    fn table(reading: &LineReading) -> String {
        render::table(reading)
    }

    fn footer(&self) -> String {
        match self.sessions_opened() {
            1 => format!("{} · 1 session", self.name()),
            n => format!("{} · {n} sessions", self.name()),
        }
    }
}

impl Show for FirewallSource {
    fn table(reading: &crate::wan::WanReading) -> String {
        crate::wan::render::table(reading)
    }
}

/// Reads once, `count` times, or until Ctrl-C with `--watch`, at `interval`, on one session;
/// hands each reading to `recorder` when there is one.
fn poll_loop<S: Show>(mut source: S, options: &PollOptions, interval: Duration, mut recorder: Option<Pipeline>) -> anyhow::Result<ExitCode> {
    let output = options.output;
    let readings = options.count.unwrap_or(if output.watch { u64::MAX } else { 1 });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let mut failed = false;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for n in 1..=readings {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = tokio::signal::ctrl_c() => break,
            }
            let (at, started) = (SystemTime::now(), std::time::Instant::now());
            let result = tokio::select! {
                result = source.read() => result,
                _ = tokio::signal::ctrl_c() => break,
            };
            match result {
                Ok(reading) => {
                    let next = (n < readings).then_some(interval);
                    show(&serde_json::to_string(&reading)?, &S::table(&reading), &source.footer(), output, next)?;
                    if let Some(recorder) = &mut recorder {
                        recorder.check(source.check(at, started.elapsed(), Ok(reading)))?;
                    }
                }
                Err(error) if readings == 1 => {
                    source.close().await;
                    anyhow::bail!("{error}");
                }
                Err(error) => {
                    failed = true;
                    eprintln!("{} {error}", humantime::format_rfc3339_seconds(SystemTime::now()));
                }
            }
        }
        source.close().await;
        Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
    })
}

/// Logs on standard error at `default` level unless `LINEWATCH_LOG` says otherwise; colours
/// only on a terminal (journald and files get plain text).
fn logging(default: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LINEWATCH_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn show(json: &str, table: &str, footer: &str, output: PollOutput, next: Option<Duration>) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if output.json {
        // One object per line, so a script can read them as they come.
        writeln!(stdout, "{json}")?;
    } else if output.watch {
        // On a terminal, redraw in place (cursor home, clear screen); elsewhere one after another.
        if stdout.is_terminal() {
            write!(stdout, "\x1b[H\x1b[2J")?;
        }
        write!(stdout, "{table}")?;
        let next = next.map(|i| format!(" · next in {}", humantime::format_duration(i))).unwrap_or_default();
        writeln!(stdout, "\n{footer} · updated {}{next}", humantime::format_rfc3339_seconds(SystemTime::now()))?;
    } else {
        write!(stdout, "{table}")?;
    }
    stdout.flush()?;
    Ok(())
}


/// Writes the chart of a metric from the store in `data_dir` to `out` (`-`: standard output).
fn chart(data_dir: &Path, target: &str, metric: &str, direction: Option<Direction>, since: SystemTime, until: SystemTime, out: &Path) -> anyhow::Result<()> {
    let store = charts::metric::open_store(data_dir)?;
    let png = charts::metric::render_from_store(&store, target, metric, direction, since, until)?;
    if out.as_os_str() == "-" {
        std::io::stdout().lock().write_all(&png).context("cannot write the chart to standard output")
    } else {
        std::fs::write(out, png).with_context(|| format!("cannot write the chart to {}", out.display()))
    }
}

/// Where to read state from: `--data-dir` needs no config file.
fn data_dir_to_read(config_path: &Path, flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    match flag {
        Some(dir) => Ok(dir.to_path_buf()),
        None => Ok(Config::load(config_path)?.data_dir(None)),
    }
}

/// The data directory holds pinned host keys: readable by its owner only.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))
}

/// The example config, commented: what `init` writes.
const EXAMPLE_CONFIG: &str = include_str!("../../../contrib/linewatch.example.toml");

fn init(path: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if path.exists() && !force {
        bail!("{} already exists; use --force to overwrite it", path.display());
    }
    std::fs::write(path, EXAMPLE_CONFIG).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}: edit the [[modem]] entry, then run `linewatch check-config`", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Loads the config, reads every secret it refers to (without showing them), and says what it
/// will do.
const NOTHING_TO_WATCH: &str = "nothing to watch: add a [[modem]] or a [[firewall]] (or [wan] for linewatch's own WAN probes)";

fn check_config(path: &Path) -> anyhow::Result<ExitCode> {
    let config = Config::load(path)?;
    let mut problems = Vec::new();
    for modem in &config.modems {
        for source in [modem.password_source(), modem.key_passphrase_source()].into_iter().flatten().flatten() {
            if let Err(e) = source.read() {
                problems.push(format!("modem {:?}: {e}", modem.name));
            }
        }
    }
    for notifier in &config.notifiers {
        if let Err(e) = notifier.url() {
            problems.push(format!("notifier {:?}: {e}", notifier.name()));
        }
    }
    for firewall in &config.firewalls {
        for source in [firewall.api_key_source(), firewall.api_secret_source()].into_iter().flatten().flatten() {
            if let Err(e) = source.read() {
                problems.push(format!("firewall {:?}: {e}", firewall.name));
            }
        }
    }
    for export in &config.exports {
        for source in [export.password_source(), export.token_source()].into_iter().flatten().flatten() {
            if let Err(e) = source.read() {
                problems.push(format!("export {:?}: {e}", export.name()));
            }
        }
    }
    if let Some(discord) = &config.discord
        && let Err(e) = discord.token_source().and_then(|s| s.read())
    {
        problems.push(format!("[discord]: {e}"));
    }
    if config.modems.is_empty() && config.wan_targets().is_empty() {
        problems.push(NOTHING_TO_WATCH.to_string());
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        return Ok(ExitCode::FAILURE);
    }
    println!("{} is valid", path.display());
    for modem in &config.modems {
        println!(
            "  modem {:?}: {} over {} to {}:{}, every {}",
            modem.name,
            modem.driver.name(),
            modem.transport().name(),
            modem.host,
            modem.port(),
            humantime::format_duration(modem.interval)
        );
    }
    for firewall in &config.firewalls {
        let tls = if firewall.tls_insecure { " (warning: tls_insecure = true, its certificate is not checked)" } else { "" };
        println!("  firewall {:?}: {} at {}, every {}{tls}", firewall.name, firewall.kind.name(), firewall.url, humantime::format_duration(firewall.interval));
    }
    if config.firewalls.is_empty() && config.wan.is_some() {
        println!("  no [[firewall]]: the WAN is watched with linewatch's own probes ([wan])");
    }
    for export in &config.exports {
        println!("  export {:?}: {}, every {}", export.name(), export.kind.name(), humantime::format_duration(export.interval));
    }
    for notifier in &config.notifiers {
        println!("  notifier {:?}: {}", notifier.name(), notifier.kind.name());
    }
    if config.notifiers.is_empty() && config.discord.as_ref().is_none_or(|d| d.alert_channel_id.is_none()) {
        println!("  no [[notifier]]: alerts are only printed on the console");
    }
    if let Some(discord) = &config.discord {
        let commands = match &discord.guild_id {
            Some(guild) => format!("commands in guild {guild}"),
            None => "global commands".to_string(),
        };
        let alerts = discord.alert_channel_id.as_ref().map(|c| format!(", alerts in channel {c}")).unwrap_or_default();
        println!("  Discord bot of application {}: {commands}{alerts}", discord.application_id);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_daemon(config_path: &Path, data_dir: Option<&Path>, http: Option<std::net::SocketAddr>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    if config.modems.is_empty() && config.wan_targets().is_empty() {
        anyhow::bail!("{}: {NOTHING_TO_WATCH}", config_path.display());
    }
    let data_dir = config.data_dir(data_dir);
    create_private_dir(&data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let options = crate::daemon::RunOptions { data_dir, http, extra_routes: Vec::new(), stop_after: None, bot: Default::default() };
    runtime.block_on(crate::daemon::run(config, options))?;
    Ok(ExitCode::SUCCESS)
}

fn demo(options: crate::demo::DemoOptions) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(crate::demo::run(options))?;
    Ok(ExitCode::SUCCESS)
}

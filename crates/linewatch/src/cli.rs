//! The command line: argument parsing and one function per subcommand.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use xdsl::{Dialect, LineReading, ParseError};

use crate::render;

/// Input larger than this is not modem output.
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Parser)]
#[command(name = "linewatch", version, about = "Watches an xDSL line and the WAN behind it")]
struct Cli {
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
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse { dialect, detect: _, json, file } => parse(dialect, json, file),
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
    Ok((source, String::from_utf8_lossy(&bytes).into_owned()))
}

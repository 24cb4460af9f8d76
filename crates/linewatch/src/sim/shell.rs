//! The simulated modem's command line, shared by the SSH and Telnet servers: the commands a
//! Broadcom, Technicolor Homeware or OpenWrt modem answers, in their real output layouts, and
//! busybox's answer to anything else.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xdsl::Dialect;

use super::Modem;
use super::events::Event;
use super::render::{self, Detail};

/// What a command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Prints `text` (lines end with `\n`) and exits with `status`.
    Output { text: String, status: u32 },
    /// Hangs for this long (real time), then exits with 0.
    Sleep(Duration),
    /// Ends the session.
    Exit,
    /// Exits with 0, then the modem reboots.
    Reboot,
}

impl Outcome {
    fn ok(text: String) -> Outcome {
        Outcome::Output { text, status: 0 }
    }

    fn fail(text: String, status: u32) -> Outcome {
        Outcome::Output { text, status }
    }
}

/// A `sleep` longer than this is cut short: a test that wants a hang needs no more.
const MAX_SLEEP: Duration = Duration::from_secs(3600);

/// Runs one command line on `modem`.
pub fn run(modem: &Modem, command_line: &str) -> Outcome {
    let words: Vec<&str> = command_line.split_whitespace().collect();
    let Some(&program) = words.first() else {
        return Outcome::ok(String::new());
    };
    let args = &words[1..];
    match (modem.dialect, program) {
        (_, "exit" | "logout") => Outcome::Exit,
        (_, "reboot") => Outcome::Reboot,
        (_, "sleep") => match args.first().and_then(|n| n.parse::<f64>().ok()).filter(|n| n.is_finite() && *n >= 0.0) {
            Some(seconds) => Outcome::Sleep(Duration::from_secs_f64(seconds.min(MAX_SLEEP.as_secs_f64()))),
            None => Outcome::fail("sleep: invalid number\n".to_string(), 1),
        },
        (_, "uptime") => Outcome::ok(uptime(modem.clock.wall(), modem.snapshot().modem_uptime_s)),
        (Dialect::Broadcom, p) if p == modem.broadcom_command => xdslctl(modem, p, args),
        (Dialect::Homeware, "xdslctl") => xdslctl(modem, "xdslctl", args),
        (Dialect::Homeware, "transformer-cli") => transformer_cli(modem, args),
        (Dialect::Openwrt, "ubus") => ubus(modem, args),
        (Dialect::Openwrt, "/etc/init.d/dsl_control") => dsl_control(modem, args),
        _ => Outcome::fail(format!("sh: {program}: not found\n"), 127),
    }
}

fn xdslctl(modem: &Modem, name: &str, args: &[&str]) -> Outcome {
    match args {
        ["info"] | ["info", "--state"] => {
            Outcome::ok(with_newline(render::broadcom(&modem.snapshot(), name, Detail::State)))
        }
        ["info", "--show"] => Outcome::ok(with_newline(render::broadcom(&modem.snapshot(), name, Detail::Show))),
        ["info", "--stats"] => Outcome::ok(with_newline(render::broadcom(&modem.snapshot(), name, Detail::Stats))),
        ["connection", "--down"] => {
            modem.inject(Event::LineDown);
            Outcome::ok(String::new())
        }
        ["connection", "--up"] => {
            modem.inject(Event::LineUp);
            Outcome::ok(String::new())
        }
        _ => Outcome::fail(
            format!("Usage: {name} info [--state] [--show] [--stats]\n       {name} connection [--up] [--down]\n"),
            1,
        ),
    }
}

fn transformer_cli(modem: &Modem, args: &[&str]) -> Outcome {
    let ["get", path] = args else {
        return Outcome::fail("Usage: transformer-cli get <path>\n".to_string(), 1);
    };
    // A subtree (`…@line0.`) or one parameter (`…@line0.DownstreamCurrRate`).
    let wanted = |line: &str| {
        let name = line.split(' ').next().unwrap_or("");
        if path.ends_with('.') { name.starts_with(path) } else { name == *path }
    };
    let text: String =
        render::homeware(&modem.snapshot()).lines().filter(|l| wanted(l)).flat_map(|l| [l, "\n"]).collect();
    if text.is_empty() {
        return Outcome::fail(format!("Error: {path}: invalid path\n"), 1);
    }
    Outcome::ok(text)
}

fn ubus(modem: &Modem, args: &[&str]) -> Outcome {
    match args {
        ["call", "dsl", "metrics"] => Outcome::ok(render::openwrt(&modem.snapshot())),
        ["call", "dsl", ..] => Outcome::fail("Command failed: Method not found\n".to_string(), 3),
        ["call", ..] => Outcome::fail("Command failed: Not found\n".to_string(), 4),
        _ => Outcome::fail("Usage: ubus [<options>] <command> [arguments...]\n".to_string(), 1),
    }
}

fn dsl_control(modem: &Modem, args: &[&str]) -> Outcome {
    match args {
        ["restart"] => {
            modem.inject(Event::Desync { down_for: Duration::from_secs(3) });
            Outcome::ok(String::new())
        }
        _ => Outcome::fail("Syntax: /etc/init.d/dsl_control [command]\n".to_string(), 1),
    }
}

fn with_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Busybox `uptime`: ` 14:03:27 up 3 days,  5:02,  load average: 0.08, 0.03, 0.01`.
fn uptime(wall: SystemTime, uptime_s: u64) -> String {
    let clock = wall.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() % 86_400;
    let mut text = format!(" {:02}:{:02}:{:02} up ", clock / 3600, clock / 60 % 60, clock % 60);
    let days = uptime_s / 86_400;
    if days > 0 {
        text.push_str(&format!("{days} day{}, ", if days == 1 { "" } else { "s" }));
    }
    let (hours, minutes) = (uptime_s / 3600 % 24, uptime_s / 60 % 60);
    if hours > 0 {
        text.push_str(&format!("{hours:2}:{minutes:02}, "));
    } else {
        text.push_str(&format!("{minutes} min, "));
    }
    text.push_str(" load average: 0.08, 0.03, 0.01\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Clock, SimOptions};

    fn modem(dialect: Dialect) -> Modem {
        let options = SimOptions { dialect, clock: Some(Clock::manual()), ..SimOptions::default() };
        Modem::new(&options)
    }

    fn text(outcome: Outcome) -> (String, u32) {
        match outcome {
            Outcome::Output { text, status } => (text, status),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broadcom_commands() {
        let modem = modem(Dialect::Broadcom);
        let (stats, status) = text(run(&modem, "xdslctl info --stats"));
        assert_eq!(status, 0);
        assert!(stats.starts_with("xdslctl: ADSL driver and PHY status\nStatus: Showtime\n"), "{stats}");
        assert!(stats.contains("Since Link time = "));
        let (state, _) = text(run(&modem, "  xdslctl   info "));
        assert!(!state.contains("SNR") && state.contains("Bearer:\t0"), "{state}");
        let (show, _) = text(run(&modem, "xdslctl info --show"));
        assert!(show.contains("SNR (dB)") && !show.contains("Total time"));
        assert_eq!(
            run(&modem, "transformer-cli get sys.class.xdsl.@line0."),
            Outcome::fail("sh: transformer-cli: not found\n".into(), 127)
        );
        assert_eq!(text(run(&modem, "xdslctl info --bogus")).1, 1);
    }

    #[test]
    fn connection_down_and_up_resync_the_line() {
        let modem = modem(Dialect::Broadcom);
        assert_eq!(run(&modem, "xdslctl connection --down"), Outcome::ok(String::new()));
        let (down, _) = text(run(&modem, "xdslctl info --stats"));
        assert!(down.contains("Status: Idle"), "{down}");
        run(&modem, "xdslctl connection --up");
        let (training, _) = text(run(&modem, "xdslctl info --stats"));
        assert!(training.contains("Status: G.994 Training"), "{training}");
        assert_eq!(training.lines().count(), 4, "the short training output: {training}");
    }

    #[test]
    fn homeware_commands() {
        let modem = modem(Dialect::Homeware);
        let (all, status) = text(run(&modem, "transformer-cli get sys.class.xdsl.@line0."));
        assert_eq!(status, 0);
        assert!(all.lines().all(|l| l.starts_with("sys.class.xdsl.@line0.")), "{all}");
        let (one, _) = text(run(&modem, "transformer-cli get sys.class.xdsl.@line0.LinkStatus"));
        assert_eq!(one, "sys.class.xdsl.@line0.LinkStatus [string] = Showtime\n");
        assert_eq!(text(run(&modem, "transformer-cli get sys.class.xdsl.@line9.")).1, 1);
        assert_eq!(text(run(&modem, "xdslctl info --state")).1, 0, "Homeware runs on Broadcom chips");
        assert_eq!(text(run(&modem, "ubus call dsl metrics")).1, 127);
    }

    #[test]
    fn openwrt_commands() {
        let modem = modem(Dialect::Openwrt);
        let (json, status) = text(run(&modem, "ubus call dsl metrics"));
        assert_eq!(status, 0);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["up"], serde_json::Value::Bool(true));
        assert_eq!(run(&modem, "/etc/init.d/dsl_control restart"), Outcome::ok(String::new()));
        let (json, _) = text(run(&modem, "ubus call dsl metrics"));
        assert!(json.contains("\"state\": \"Silent\""), "{json}");
        assert_eq!(text(run(&modem, "xdslctl info")).1, 127);
    }

    #[test]
    fn busybox_basics() {
        let modem = modem(Dialect::Broadcom);
        assert_eq!(run(&modem, "exit"), Outcome::Exit);
        assert_eq!(run(&modem, "reboot"), Outcome::Reboot);
        assert_eq!(run(&modem, "sleep 2.5"), Outcome::Sleep(Duration::from_millis(2500)));
        assert_eq!(run(&modem, "sleep 1e9"), Outcome::Sleep(MAX_SLEEP));
        assert_eq!(run(&modem, "sleep 1e300"), Outcome::Sleep(MAX_SLEEP));
        assert_eq!(text(run(&modem, "sleep forever")).1, 1);
        assert_eq!(run(&modem, ""), Outcome::ok(String::new()));
        assert_eq!(run(&modem, "cat /etc/passwd"), Outcome::fail("sh: cat: not found\n".into(), 127));
    }

    #[test]
    fn busybox_uptime_layout() {
        let at = UNIX_EPOCH + Duration::from_secs(19_000 * 86_400 + 14 * 3600 + 3 * 60 + 27);
        assert_eq!(
            uptime(at, 3 * 86_400 + 5 * 3600 + 2 * 60),
            " 14:03:27 up 3 days,  5:02,  load average: 0.08, 0.03, 0.01\n"
        );
        assert_eq!(uptime(at, 86_400 + 42 * 60), " 14:03:27 up 1 day, 42 min,  load average: 0.08, 0.03, 0.01\n");
        assert_eq!(uptime(at, 59), " 14:03:27 up 0 min,  load average: 0.08, 0.03, 0.01\n");
    }
}

//! Reading an interactive shell (Telnet, or SSH without exec): knowing when the device waits
//! for the next command, and cutting the command's own output out of the transcript.

/// The end of the prompt a shell prints when it waits for a command.
#[derive(Debug, Clone)]
pub struct Prompt {
    endings: Vec<String>,
    /// The whole prompt line the shell printed once logged in (`root@modem:~# `), if known.
    exact: Option<String>,
}

/// What modem shells end their prompts with: `#` (root), `$`, `>` (ZySH, Huawei ATP, DrayTek).
const DEFAULT_ENDINGS: [&str; 3] = ["#", "$", ">"];

impl Prompt {
    /// The configured prompt ending, or the usual shell endings.
    pub fn new(configured: Option<&str>) -> Self {
        let endings = match configured.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => vec![p.to_string()],
            None => DEFAULT_ENDINGS.iter().map(|e| e.to_string()).collect(),
        };
        Prompt { endings, exact: None }
    }

    /// This prompt, knowing also the exact prompt line that ends `transcript` (the shell's
    /// first prompt after login). Output that does not end with a newline runs into the next
    /// prompt; knowing the prompt exactly lets that last line be kept.
    pub fn learned_from(&self, transcript: &str) -> Prompt {
        let last_line = strip_ansi(transcript.rsplit('\n').next().unwrap_or("")).replace('\r', "");
        let exact = Some(last_line.trim_end().to_string()).filter(|p| !p.is_empty());
        Prompt { endings: self.endings.clone(), exact }
    }

    /// True when the transcript ends with a prompt: a last line that is not yet terminated by
    /// a newline and ends (trailing spaces aside) with one of the endings.
    pub fn at_end_of(&self, transcript: &str) -> bool {
        let last_line = transcript.rsplit('\n').next().unwrap_or("");
        let last_line = strip_ansi(last_line);
        let last_line = last_line.trim_end_matches([' ', '\t', '\r', '\0']);
        !last_line.is_empty() && self.endings.iter().any(|e| last_line.ends_with(e.trim_end()))
    }
}

/// The output of `command` in a transcript that holds its echo, its output and the next prompt:
/// the echo and the prompt removed, terminal escapes, backspaces and CRs cleaned away.
pub fn command_output(transcript: &str, command: &str, prompt: &Prompt) -> String {
    let clean = strip_ansi(transcript).replace("\r\n", "\n").replace('\r', "");
    let clean = apply_backspaces(&clean);
    let mut lines: Vec<&str> = clean.split('\n').collect();
    // The last line is the prompt that came back, possibly after output without a final newline.
    let last = lines.pop().unwrap_or("");
    let glued = prompt.exact.as_deref().and_then(|p| last.trim_end().strip_suffix(p)).filter(|rest| !rest.is_empty());
    // The first line that ends with the command is its echo (after any old prompt).
    let command = command.trim();
    if let Some(echo) = lines.iter().position(|l| !command.is_empty() && l.trim_end().ends_with(command)) {
        lines.drain(..=echo);
    }
    lines.extend(glued);
    let mut output = lines.join("\n");
    if !output.is_empty() {
        output.push('\n');
    }
    output
}

/// Removes ANSI/VT100 escape sequences (`ESC [ ... letter`, `ESC ] ... BEL`, two-byte `ESC x`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() || c == '~' || c == '@' {
                        break;
                    }
                }
            }
            Some(']') => {
                for c in chars.by_ref() {
                    if c == '\u{7}' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Applies backspaces the way a terminal shows them (line editors echo `x\x08 \x08`).
fn apply_backspaces(text: &str) -> String {
    if !text.contains('\u{8}') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_recognised_at_the_end_only() {
        let p = Prompt::new(None);
        assert!(p.at_end_of("xdslctl info\r\nStatus: Showtime\r\n# "));
        assert!(p.at_end_of("ZySH> "));
        assert!(p.at_end_of("\u{1b}[1;32mroot@modem:~$\u{1b}[0m "));
        assert!(!p.at_end_of("Status: Showtime\r\n"));
        assert!(!p.at_end_of("Status: Showt"));
        let custom = Prompt::new(Some("DrayTek> "));
        assert!(custom.at_end_of("stuff\r\nDrayTek> "));
        assert!(!custom.at_end_of("stuff\r\n# "));
    }

    #[test]
    fn output_without_echo_and_prompt() {
        let p = Prompt::new(None);
        let transcript = "xdslctl info --show\r\nStatus: Showtime\r\nMax:\tUpstream rate = 1 Kbps\r\n\u{1b}[0mroot@m:~# ";
        assert_eq!(command_output(transcript, "xdslctl info --show", &p), "Status: Showtime\nMax:\tUpstream rate = 1 Kbps\n");
        // Prompt and echo on one line, as shells print them.
        assert_eq!(command_output("# uptime\r\n 12:00 up 1 day\r\n# ", "uptime", &p), " 12:00 up 1 day\n");
        assert_eq!(command_output("> true\r\n> ", "true", &p), "");
        assert_eq!(command_output("> xx\u{8} \u{8}\u{8} \u{8}ls\r\nfile\r\n> ", "ls", &p), "file\n");
        // An output line that happens to end with the command text is output, not echo.
        assert_eq!(command_output("# echo ls\r\nls\r\n# ", "echo ls", &p), "ls\n");
    }

    #[test]
    fn output_without_a_final_newline_is_kept_once_the_prompt_is_known() {
        let p = Prompt::new(None).learned_from("Welcome\r\n\u{1b}[1mroot@modem:~# \u{1b}[0m");
        assert!(p.at_end_of("LOF: 0 0root@modem:~# "));
        let transcript = "xdslctl info --stats\r\nStatus: Showtime\r\nLOF:\t0\t0root@modem:~# ";
        assert_eq!(command_output(transcript, "xdslctl info --stats", &p), "Status: Showtime\nLOF:\t0\t0\n");
        // Without knowing the prompt, the glued line cannot be told from it.
        assert_eq!(command_output(transcript, "xdslctl info --stats", &Prompt::new(None)), "Status: Showtime\n");
    }
}

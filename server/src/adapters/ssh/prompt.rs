//! Pure text rules of the platform drivers: prompt recognition, output cleanup and error detection.
//!
//! Hand-written matchers instead of regexes: they run on the last line of the buffer after every
//! received chunk, so they must be cheap, and they must never panic on garbage from a device.

use domain::device::Platform;

/// CLI mode a prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// IOS/AOS-CX `>`: user EXEC, `enable` needed for most show and all config commands.
    User,
    /// IOS/AOS-CX `#` or Junos operational `>`.
    Exec,
    /// Any configuration context (`(config)#`, `(config-if)#`, Junos `#`).
    Config,
}

/// A recognised prompt line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// Hostname part (IOS/AOS-CX) or `user@host` (Junos), without mode markers.
    pub base: String,
    pub mode: Mode,
}

/// Recognises `line` (one line, no newline) as a prompt of `platform`.
///
/// IOS and AOS-CX follow `^[\w.\-/:]{1,63}(\(config[^)]*\))?[>#]\s*$`, Junos `^\S+@\S+[>#] $`
/// (trailing whitespace is tolerated on all of them: some devices send none, some one space).
#[must_use]
pub fn parse_prompt(platform: Platform, line: &str) -> Option<Prompt> {
    let line = line.trim_end_matches([' ', '\t', '\r']);
    match platform {
        Platform::CiscoIos | Platform::ArubaAoscx => parse_cisco_like(line),
        Platform::JuniperJunos => parse_junos(line),
    }
}

fn parse_cisco_like(line: &str) -> Option<Prompt> {
    let (head, marker) = split_marker(line)?;
    let (base, in_config) = match head.strip_suffix(')') {
        Some(rest) => {
            let open = rest.rfind("(config")?;
            let context = &rest[open + 1..];
            if context.contains(['(', ')']) {
                return None;
            }
            (&rest[..open], true)
        }
        None => (head, false),
    };
    let valid_base = (1..=63).contains(&base.len())
        && base.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':'));
    if !valid_base {
        return None;
    }
    let mode = match (in_config, marker) {
        (true, '#') => Mode::Config,
        // `R1(config)>` does not exist on these platforms.
        (true, _) => return None,
        (false, '#') => Mode::Exec,
        (false, _) => Mode::User,
    };
    Some(Prompt { base: base.to_owned(), mode })
}

fn parse_junos(line: &str) -> Option<Prompt> {
    let (head, marker) = split_marker(line)?;
    let (user, host) = head.split_once('@')?;
    let valid = |s: &str| !s.is_empty() && !s.chars().any(char::is_whitespace);
    if !valid(user) || !valid(host) {
        return None;
    }
    let mode = if marker == '#' { Mode::Config } else { Mode::Exec };
    Some(Prompt { base: head.to_owned(), mode })
}

fn split_marker(line: &str) -> Option<(&str, char)> {
    let marker = line.chars().last()?;
    if marker != '>' && marker != '#' {
        return None;
    }
    Some((&line[..line.len() - 1], marker))
}

/// The last line of a raw buffer (after the last `\n`), as text.
#[must_use]
pub fn last_line(buf: &[u8]) -> std::borrow::Cow<'_, str> {
    let start = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    String::from_utf8_lossy(&buf[start..])
}

/// Finds the end of the echoed `command` line in `buf` from `from`: the index just after the
/// newline that ends the echo, once that newline has arrived.
#[must_use]
pub fn find_echo_end(buf: &[u8], from: usize, command: &str) -> Option<usize> {
    let needle = command.as_bytes();
    let hay = buf.get(from..)?;
    if needle.is_empty() {
        // An empty line echoes as a bare newline.
        return hay.iter().position(|&b| b == b'\n').map(|i| from + i + 1);
    }
    let at = hay.windows(needle.len()).position(|w| w == needle)?;
    let after = from + at + needle.len();
    buf[after..].iter().position(|&b| b == b'\n').map(|i| after + i + 1)
}

/// Converts device text to plain `\n` lines; NUL, bell and other control bytes are dropped and
/// invalid UTF-8 is replaced.
#[must_use]
pub fn normalise(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `\r\n` and `\n\r` are one line end; a lone `\r` ends a line too (as netmiko reads it).
            '\r' => {
                if chars.peek() != Some(&'\n') && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Output of one command: the text between the echo line and the prompt line, normalised.
#[must_use]
pub fn command_output(after_echo: &[u8]) -> String {
    let end = after_echo.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    normalise(&after_echo[..end])
}

/// The device's reply to a configuration line, if it refused it.
///
/// IOS: `% Invalid input detected at '^' marker.`, `% Incomplete command.`, `% Ambiguous command`;
/// AOS-CX: `Invalid input: x`, `% Unknown command.`; Junos: `syntax error.`, `unknown command.`,
/// `error: ...` (commit check failures).
#[must_use]
pub fn rejection(output: &str) -> bool {
    output.lines().any(|line| {
        let line = line.trim().to_ascii_lowercase();
        line.starts_with("% invalid")
            || line.starts_with("invalid input")
            || line.starts_with("% incomplete")
            || line.starts_with("% ambiguous")
            || line.starts_with("% unknown")
            || line.starts_with("% unrecognized")
            || line.starts_with("% error")
            || line.starts_with("error:")
            || line.contains("syntax error")
            || line == "unknown command."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ios_prompts_by_mode() {
        let p = |s| parse_prompt(Platform::CiscoIos, s);
        assert_eq!(p("R15>"), Some(Prompt { base: "R15".into(), mode: Mode::User }));
        assert_eq!(p("R15#"), Some(Prompt { base: "R15".into(), mode: Mode::Exec }));
        assert_eq!(p("R15(config)#"), Some(Prompt { base: "R15".into(), mode: Mode::Config }));
        assert_eq!(p("core-1.lab(config-if)# "), Some(Prompt { base: "core-1.lab".into(), mode: Mode::Config }));
        assert_eq!(p("R15(config)>"), None);
        assert_eq!(p(" description uplink>"), None);
        assert_eq!(p("#"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("Password: "), None);
        assert_eq!(p(&format!("{}#", "a".repeat(64))), None);
    }

    #[test]
    fn aoscx_prompts() {
        assert_eq!(parse_prompt(Platform::ArubaAoscx, "SW1# ").map(|p| p.mode), Some(Mode::Exec));
        assert_eq!(parse_prompt(Platform::ArubaAoscx, "SW1(config-if)#").map(|p| p.mode), Some(Mode::Config));
    }

    #[test]
    fn junos_prompts() {
        let p = |s| parse_prompt(Platform::JuniperJunos, s);
        assert_eq!(p("netops@J1> "), Some(Prompt { base: "netops@J1".into(), mode: Mode::Exec }));
        assert_eq!(p("netops@J1# "), Some(Prompt { base: "netops@J1".into(), mode: Mode::Config }));
        assert_eq!(p("J1> "), None);
        assert_eq!(p("[edit]"), None);
        assert_eq!(p("net ops@J1> "), None);
    }

    #[test]
    fn echo_end_waits_for_the_newline() {
        let buf = b"R1#\r\nshow ver";
        assert_eq!(find_echo_end(buf, 0, "show ver"), None);
        let buf = b"R1#\r\nshow ver\r\nCisco IOS\r\nR1#";
        let end = find_echo_end(buf, 0, "show ver");
        assert_eq!(end, Some(15));
        assert_eq!(find_echo_end(buf, 16, "show ver"), None);
        assert_eq!(find_echo_end(b"\r\nR1>", 0, ""), Some(2));
    }

    #[test]
    fn output_strips_prompt_and_carriage_returns() {
        assert_eq!(command_output(b"line 1\r\nline 2\r\nR1#"), "line 1\nline 2\n");
        assert_eq!(command_output(b"R1#"), "");
        assert_eq!(normalise(b"a\n\rb\x00\x07c\r\n"), "a\nbc\n");
        // Invalid UTF-8 from a garbled device is replaced, never a panic.
        assert_eq!(normalise(&[0xff, b'a', b'\n']), "\u{fffd}a\n");
    }

    #[test]
    fn rejections_per_platform() {
        assert!(rejection("        ^\n% Invalid input detected at '^' marker.\n"));
        assert!(rejection("% Incomplete command.\n"));
        assert!(rejection("Invalid input: foo\n"));
        assert!(rejection("set foo\n         ^\nsyntax error.\n"));
        assert!(rejection("error: configuration check-out failed\n"));
        assert!(!rejection(""));
        assert!(!rejection("Enter configuration commands, one per line.  End with CNTL/Z.\n"));
        assert!(!rejection(" description errors: none\n"));
    }
}

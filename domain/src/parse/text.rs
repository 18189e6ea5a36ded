//! Small, panic-free text helpers shared by the platform parsers.

/// A lazily compiled regex. Patterns are literals exercised by the tests; should one ever fail to
/// compile, the parser sees `None` and skips the line instead of panicking.
macro_rules! regex {
    ($re:literal) => {{
        static RE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| regex::Regex::new($re).ok());
        RE.as_ref()
    }};
}
pub(crate) use regex;

/// Text lines without `\r`.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|l| l.trim_end_matches('\r'))
}

/// `Some(trimmed)` unless blank.
pub fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Value after the first `sep` when the text before it (trimmed) equals `key`, case-insensitively.
pub fn key_value<'a>(line: &'a str, key: &str, sep: char) -> Option<&'a str> {
    let (k, v) = line.split_once(sep)?;
    k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
}

/// Text after `prefix` (if the trimmed line starts with it), trimmed.
pub fn after<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.trim_start().strip_prefix(prefix).map(str::trim)
}

/// First unsigned integer in `s` (digits only, commas ignored).
pub fn number(s: &str) -> Option<u64> {
    let digits: String = s
        .trim()
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A percentage such as `4%`, `0.00%` or `15`.
pub fn percent(s: &str) -> Option<f64> {
    s.trim().trim_end_matches('%').trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Characters `[from, to)` of a line, by character position (never splits a UTF-8 sequence).
pub fn columns(chars: &[char], from: usize, to: Option<usize>) -> String {
    let end = to.unwrap_or(chars.len()).min(chars.len());
    if from >= end {
        return String::new();
    }
    chars[from..end].iter().collect::<String>().trim().to_owned()
}

/// Duration words ("2 years, 31 weeks, 6 days, 9 hours, 55 minutes") to seconds.
pub fn duration_words_seconds(s: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut seen = false;
    for part in s.split(',') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(unit)) = (words.next(), words.next()) else { continue };
        let Ok(n) = n.parse::<u64>() else { continue };
        let unit = unit.to_ascii_lowercase();
        let factor = match unit.trim_end_matches('s') {
            "year" => 365 * 86_400,
            "week" => 7 * 86_400,
            "day" => 86_400,
            "hour" => 3_600,
            "minute" | "min" => 60,
            "second" | "sec" => 1,
            _ => continue,
        };
        total = total.saturating_add(n.saturating_mul(factor));
        seen = true;
    }
    seen.then_some(total)
}

/// A device's refusal of a command, if the output is one.
pub fn device_error(text: &str) -> Option<String> {
    let meaningful: Vec<&str> = lines(text).map(str::trim).filter(|l| !l.is_empty()).collect();
    // Only short outputs can be a rejection; a long output that mentions "error" is data.
    if meaningful.len() > 4 {
        return None;
    }
    meaningful
        .iter()
        .find(|l| {
            l.starts_with("% Invalid input")
                || l.starts_with("% Incomplete command")
                || l.starts_with("% Ambiguous command")
                || l.starts_with("% Unknown command")
                || l.starts_with("% Unrecognized command")
                || l.starts_with("syntax error")
                || l.starts_with("error: ")
                || l.starts_with("Invalid input:")
        })
        .map(|l| (*l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(number(" 1,234 packets"), Some(1234));
        assert_eq!(number("none"), None);
        assert_eq!(percent("4%"), Some(4.0));
        assert_eq!(percent("NaN"), None);
        assert_eq!(duration_words_seconds("1 day, 15 hours, 32 minutes"), Some(86_400 + 15 * 3600 + 32 * 60));
        assert_eq!(duration_words_seconds("12 minutes"), Some(720));
        assert_eq!(duration_words_seconds("soon"), None);
        let chars: Vec<char> = "ab é cd".chars().collect();
        assert_eq!(columns(&chars, 3, Some(5)), "é");
        assert_eq!(columns(&chars, 30, None), "");
        assert_eq!(key_value("Hostname : r1", "hostname", ':'), Some("r1"));
    }
}

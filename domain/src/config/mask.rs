//! Secret masking, line by line.
//!
//! The rules follow napalm's `CISCO_SANITIZE_FILTERS` (its `get_config(sanitized=True)` is the
//! oracle in the corpus) with two deliberate differences: a password without a type digit
//! (`enable password cisco`) is masked too, where napalm leaks it, and napalm's duplicated
//! `engineID` on `snmp-server user` lines is not reproduced.

use std::sync::LazyLock;

use regex::Regex;

use crate::device::Platform;

/// What a secret is replaced with (napalm's choice, so masked backups compare with its output).
pub const SECRET_MASK: &str = "<removed>";

/// (pattern, replacement) pairs; `<M>` in a replacement stands for [`SECRET_MASK`].
const CISCO_RULES: &[(&str, &str)] = &[
    (r"^(\s*snmp-server community)\s.*$", "$1 <M>"),
    (
        r"^(\s*snmp-server host \S+(?: vrf \S+)?(?: informs| traps)?(?: version (?:1|2c|3 (?:auth|noauth|priv)))?) (\S+)(.*)$",
        "$1 <M>$3",
    ),
    (r"^(\s*snmp-server user .*? auth (?:md5|sha\S*)) \S+", "$1 <M>"),
    (r"^(\s*snmp-server user .*? priv(?: (?:aes \d+|aes-?\d+|3des|des))?) \S+", "$1 <M>"),
    (r"^(\s*username \S+ .*?(?:password|secret)(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*enable (?:password|secret)(?: level \d+)?(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s+(?:password|secret)(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*(?:tacacs|radius)-server .*?\bkey(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s+key(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*key-string(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*ntp authentication-key \d+ \S+) \S+(.*)$", "$1 <M>$2"),
    (r"^(\s*neighbor \S+ password(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*ip ospf message-digest-key \d+ md5(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*ip ospf authentication-key(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*crypto isakmp key) \S+(.*)$", "$1 <M>$2"),
    (r"^(\s*ppp (?:chap|pap) (?:sent-username \S+ )?password(?: \d+)?) \S.*$", "$1 <M>"),
    (r"^(\s*standby \d+ authentication(?: md5 key-string(?: \d+)?| text)?) \S+(.*)$", "$1 <M>$2"),
    (r"^(.*\bwpa-psk ascii \d) \S+", "$1 <M>"),
];

/// AOS-CX stores secrets as `ciphertext X` / `plaintext X` after the keyword they belong to.
const AOSCX_RULES: &[(&str, &str)] =
    &[(r"\b(ciphertext|plaintext) \S+", "$1 <M>"), (r"^(\s*snmp-server community) \S+", "$1 <M>")];

/// Junos marks secrets with `## SECRET-DATA` (hierarchical) or by keyword (set form).
const JUNOS_RULES: &[(&str, &str)] = &[
    (
        r#"\b(encrypted-password|secret|authentication-key|simple-password|password|pre-shared-key (?:ascii-text|hexadecimal)|key) "[^"]*""#,
        r#"$1 "<M>""#,
    ),
    (
        r#"\b(encrypted-password|secret|authentication-key|simple-password|pre-shared-key (?:ascii-text|hexadecimal)) ([^"\s;{]+)"#,
        "$1 <M>",
    ),
    (r"^(\s*(?:set snmp )?community) (\S+)", "$1 <M>"),
];

fn compile(rules: &[(&str, &str)]) -> Vec<(Regex, String)> {
    rules.iter().filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, r.replace("<M>", SECRET_MASK)))).collect()
}

static CISCO: LazyLock<Vec<(Regex, String)>> = LazyLock::new(|| compile(CISCO_RULES));
static AOSCX: LazyLock<Vec<(Regex, String)>> = LazyLock::new(|| compile(AOSCX_RULES));
static JUNOS: LazyLock<Vec<(Regex, String)>> = LazyLock::new(|| compile(JUNOS_RULES));

fn mask_line(rules: &[&[(Regex, String)]], line: &str) -> String {
    let mut out = line.to_owned();
    for set in rules {
        for (re, replacement) in *set {
            if re.is_match(&out) {
                out = re.replace_all(&out, replacement.as_str()).into_owned();
            }
        }
    }
    out
}

/// Replaces passwords, keys and communities in `text` with [`SECRET_MASK`]; everything else,
/// including line endings, is kept.
#[must_use]
pub fn mask_secrets(platform: Platform, text: &str) -> String {
    let rules: Vec<&[(Regex, String)]> = match platform {
        Platform::CiscoIos => vec![&CISCO],
        Platform::ArubaAoscx => vec![&AOSCX],
        Platform::JuniperJunos => vec![&JUNOS],
    };
    text.split_inclusive('\n')
        .map(|chunk| {
            let body = chunk.trim_end_matches(['\n', '\r']);
            let ending = &chunk[body.len()..];
            mask_line(&rules, body) + ending
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(CISCO.len(), CISCO_RULES.len());
        assert_eq!(AOSCX.len(), AOSCX_RULES.len());
        assert_eq!(JUNOS.len(), JUNOS_RULES.len());
    }

    #[test]
    fn cisco_secrets() {
        let cases = [
            ("enable secret 5 $1$abc$xyz", "enable secret 5 <removed>"),
            ("enable password cisco", "enable password <removed>"),
            ("username bob privilege 15 secret 9 $9$abc", "username bob privilege 15 secret 9 <removed>"),
            ("username bob password s3cr3t", "username bob password <removed>"),
            ("snmp-server community public RO 10", "snmp-server community <removed>"),
            ("snmp-server host 10.0.0.9 version 2c public", "snmp-server host 10.0.0.9 version 2c <removed>"),
            ("tacacs-server key 7 0822455D0A16", "tacacs-server key 7 <removed>"),
            ("radius-server host 10.1.1.1 key s3cret", "radius-server host 10.1.1.1 key <removed>"),
            (" key 7 0822455D0A16", " key 7 <removed>"),
            ("ntp authentication-key 1 md5 104D000A0618 7", "ntp authentication-key 1 md5 <removed> 7"),
            ("  key-string 7 070C285F4D06", "  key-string 7 <removed>"),
            (" neighbor 10.0.0.2 password 7 05080F1C2243", " neighbor 10.0.0.2 password 7 <removed>"),
            (" password 7 0822455D0A16", " password 7 <removed>"),
            (" ip ospf message-digest-key 1 md5 s3cret", " ip ospf message-digest-key 1 md5 <removed>"),
            ("hostname R1", "hostname R1"),
            ("no password strength-check", "no password strength-check"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_secrets(Platform::CiscoIos, input), want, "{input}");
        }
    }

    #[test]
    fn aoscx_and_junos_secrets() {
        let cx = "user admin group administrators password ciphertext AQBapXYZ==\nradius-server host 10.0.0.5 key plaintext s3cret\nsnmp-server community private\nhostname sw1\n";
        assert_eq!(
            mask_secrets(Platform::ArubaAoscx, cx),
            "user admin group administrators password ciphertext <removed>\nradius-server host 10.0.0.5 key plaintext <removed>\nsnmp-server community <removed>\nhostname sw1\n"
        );
        let junos = "        encrypted-password \"$6$abc$def\"; ## SECRET-DATA\n    secret \"$9$xyz\"; ## SECRET-DATA\nset system root-authentication encrypted-password $6$abc\nset snmp community public authorization read-only\nset system host-name r1\n";
        assert_eq!(
            mask_secrets(Platform::JuniperJunos, junos),
            "        encrypted-password \"<removed>\"; ## SECRET-DATA\n    secret \"<removed>\"; ## SECRET-DATA\nset system root-authentication encrypted-password <removed>\nset snmp community <removed> authorization read-only\nset system host-name r1\n"
        );
    }

    #[test]
    fn line_endings_survive() {
        assert_eq!(mask_secrets(Platform::CiscoIos, "enable secret 5 x\r\nend"), "enable secret 5 <removed>\r\nend");
    }
}

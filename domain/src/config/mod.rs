//! Configuration text tools: normalisation, secret masking, identity hash, diff and remediation.
//!
//! Backups are compared as text. Devices stamp their configs with volatile lines (build banners,
//! byte counts, "last changed" times), so two backups of an unchanged device differ unless those
//! lines are dropped first: [`normalize`] does that. Backups are shown to people who must not see
//! secrets: [`mask_secrets`] replaces them with [`SECRET_MASK`]. [`diff`] feeds the UI's unified and
//! side-by-side views, and [`remediation`] turns "restore this version" or "roll back this push"
//! into the configuration commands that get a device there.
//!
//! All functions are pure and total: any text in, an answer out.

mod mask;
mod remediation;

use serde::{Deserialize, Serialize};
use similar::{DiffTag, TextDiff};

use crate::device::Platform;

pub use mask::{mask_secrets, SECRET_MASK};
pub use remediation::remediation;

/// Lines that change without any configuration change, per platform.
fn is_volatile(platform: Platform, line: &str) -> bool {
    let t = line.trim_start();
    match platform {
        Platform::CiscoIos => {
            t.starts_with("Building configuration")
                || t.starts_with("Current configuration :")
                || t.starts_with("Current configuration:")
                || t.starts_with("! Last configuration change at")
                || t.starts_with("! NVRAM config last updated at")
                || t.starts_with("! No configuration change since last restart")
                || t.starts_with("ntp clock-period ")
                // `show startup-config` header: NVRAM usage, not configuration.
                || (t.starts_with("Using ") && t.contains(" out of ") && t.ends_with(" bytes"))
                // NX-OS style stamps, seen when IOS-like devices are backed up as IOS.
                || t.starts_with("!Command:")
                || t.starts_with("!Time:")
                || t.starts_with("!Startup config saved at:")
        }
        Platform::ArubaAoscx => {
            t.starts_with("Current configuration:")
                || t.starts_with("!Version ")
                || t.starts_with("Building configuration")
        }
        Platform::JuniperJunos => t.starts_with("## Last commit:") || t.starts_with("## Last changed:"),
    }
}

/// Drops volatile lines and formatting noise so two backups of an unchanged device compare equal.
///
/// Removes the platform's volatile lines, trailing whitespace, `\r`, and leading lines that are
/// blank or a lone `!` (the header area left behind), plus trailing blank lines. The result ends
/// with one newline unless it is empty.
#[must_use]
pub fn normalize(platform: Platform, text: &str) -> String {
    let kept: Vec<&str> =
        text.split('\n').map(|l| l.trim_end_matches('\r').trim_end()).filter(|l| !is_volatile(platform, l)).collect();
    let start = kept.iter().position(|l| !l.is_empty() && *l != "!").unwrap_or(kept.len());
    let end = kept.iter().rposition(|l| !l.is_empty()).map_or(start, |i| i + 1).max(start);
    let body = kept[start..end].join("\n");
    if body.is_empty() {
        body
    } else {
        body + "\n"
    }
}

/// 64-bit FNV-1a of `text`, as 16 hex digits.
///
/// An identity for "same content" checks (pass [`normalize`]d text), not a security hash: it is
/// trivially forgeable. The server stores blobs by SHA-256 itself.
#[must_use]
pub fn content_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Equal,
    Delete,
    Insert,
    Replace,
}

/// One row of a side-by-side view; line numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideBySideRow {
    pub left_no: Option<usize>,
    pub left: Option<String>,
    pub right_no: Option<usize>,
    pub right: Option<String>,
    pub kind: RowKind,
}

/// Differences between two configuration texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDiff {
    /// Unified diff with `--- old` / `+++ new` headers and 3 lines of context; empty when equal.
    pub unified: String,
    pub rows: Vec<SideBySideRow>,
    /// Lines only in `new` (a replaced line counts as one removed and one added).
    pub added: usize,
    pub removed: usize,
}

impl ConfigDiff {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added == 0 && self.removed == 0
    }
}

/// Line diff of `old` against `new`.
#[must_use]
pub fn diff(old: &str, new: &str) -> ConfigDiff {
    let d = TextDiff::from_lines(old, new);
    let olds: Vec<&str> = d.iter_old_slices().collect();
    let news: Vec<&str> = d.iter_new_slices().collect();
    let line = |s: &&str| s.trim_end_matches('\n').trim_end_matches('\r').to_owned();
    let mut rows = Vec::new();
    let (mut added, mut removed) = (0, 0);
    for op in d.ops() {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for (i, j) in o.zip(n) {
                    rows.push(SideBySideRow {
                        left_no: Some(i + 1),
                        left: olds.get(i).map(line),
                        right_no: Some(j + 1),
                        right: news.get(j).map(line),
                        kind: RowKind::Equal,
                    });
                }
            }
            DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                removed += o.len();
                added += n.len();
                let pairs = o.len().max(n.len());
                for k in 0..pairs {
                    let i = (k < o.len()).then(|| o.start + k);
                    let j = (k < n.len()).then(|| n.start + k);
                    let kind = match (i, j) {
                        (Some(_), Some(_)) => RowKind::Replace,
                        (Some(_), None) => RowKind::Delete,
                        _ => RowKind::Insert,
                    };
                    rows.push(SideBySideRow {
                        left_no: i.map(|i| i + 1),
                        left: i.and_then(|i| olds.get(i)).map(line),
                        right_no: j.map(|j| j + 1),
                        right: j.and_then(|j| news.get(j)).map(line),
                        kind,
                    });
                }
            }
        }
    }
    let unified = if added == 0 && removed == 0 {
        String::new()
    } else {
        d.unified_diff().context_radius(3).header("old", "new").to_string()
    };
    ConfigDiff { unified, rows, added, removed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_volatile_lines_and_padding() {
        let a = "Building configuration...\r\n\r\nCurrent configuration : 1366 bytes\r\n!\r\n! Last configuration change at 18:41:02 UTC Thu Nov 24 2016\r\n!\r\nversion 15.5   \r\nhostname R1\r\nntp clock-period 17179865\r\nend\r\n\r\n\r\n";
        let b = "!\n! NVRAM config last updated at 18:41:05 UTC Thu Nov 24 2016\n!\nversion 15.5\nhostname R1\nend\n";
        assert_eq!(normalize(Platform::CiscoIos, a), normalize(Platform::CiscoIos, b));
        // `show startup-config` starts with the NVRAM usage.
        let startup = format!("Using 1366 out of 262144 bytes\n{b}");
        assert_eq!(normalize(Platform::CiscoIos, &startup), normalize(Platform::CiscoIos, a));
        assert_eq!(normalize(Platform::CiscoIos, b), "version 15.5\nhostname R1\nend\n");
        let j1 = "## Last commit: 2024-01-01 10:00:00 UTC by admin\nversion 21.4R3;\nsystem {\n    host-name r1;\n}\n";
        let j2 = "## Last changed: 2024-02-02 11:00:00 UTC\nversion 21.4R3;\nsystem {\n    host-name r1;\n}\n";
        assert_eq!(normalize(Platform::JuniperJunos, j1), normalize(Platform::JuniperJunos, j2));
        let c1 =
            "Current configuration:\n!\n!Version ArubaOS-CX FL.10.11.1021\n!export-password: default\nhostname sw1\n";
        let c2 =
            "Current configuration:\n!\n!Version ArubaOS-CX FL.10.12.0006\n!export-password: default\nhostname sw1\n";
        assert_eq!(normalize(Platform::ArubaAoscx, c1), normalize(Platform::ArubaAoscx, c2));
        // A real change survives normalisation.
        assert_ne!(normalize(Platform::CiscoIos, b), normalize(Platform::CiscoIos, &b.replace("R1", "R2")));
        assert_eq!(normalize(Platform::CiscoIos, ""), "");
        assert_eq!(normalize(Platform::CiscoIos, "!\n\n!\n"), "");
    }

    #[test]
    fn content_hash_is_fnv1a() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(content_hash(""), "cbf29ce484222325");
        assert_eq!(content_hash("a"), "af63dc4c8601ec8c");
        assert_ne!(content_hash("hostname r1\n"), content_hash("hostname r2\n"));
    }

    #[test]
    fn diff_counts_and_rows() {
        let old = "hostname r1\ninterface Gi1\n description old\n shutdown\nend\n";
        let new = "hostname r1\ninterface Gi1\n description new\nend\nntp server 1.1.1.1\n";
        let d = diff(old, new);
        assert_eq!((d.added, d.removed), (2, 2));
        assert!(d.unified.starts_with("--- old\n+++ new\n"), "{}", d.unified);
        assert!(d.unified.contains("- description old\n") && d.unified.contains("+ description new\n"));
        let kinds: Vec<RowKind> = d.rows.iter().map(|r| r.kind).collect();
        assert!(kinds.contains(&RowKind::Replace) || kinds.contains(&RowKind::Delete));
        let last = d.rows.last().unwrap();
        assert_eq!(
            (last.kind, last.right.as_deref(), last.right_no),
            (RowKind::Insert, Some("ntp server 1.1.1.1"), Some(5))
        );
        assert_eq!(d.rows.first().unwrap().left_no, Some(1));
        let same = diff(old, old);
        assert!(same.is_empty() && same.unified.is_empty());
        assert!(same.rows.iter().all(|r| r.kind == RowKind::Equal && r.left == r.right));
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<ConfigDiff>(&json).unwrap(), d);
    }
}

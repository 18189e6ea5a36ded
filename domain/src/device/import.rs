//! Bulk import of devices from CSV: every row is validated on its own, so valid rows can be
//! imported while invalid ones are reported with their line number.

use serde::{Deserialize, Serialize};

use super::values::{DeviceDraft, DeviceSpec};
use crate::FieldErrors;

/// The most rows one import accepts; larger files should be split.
pub const MAX_ROWS: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line in the file, counting the header as line 1.
    pub line: usize,
    pub hostname: String,
    pub errors: FieldErrors,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedImport {
    pub valid: Vec<(usize, DeviceSpec)>,
    pub invalid: Vec<RowError>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not valid CSV: {0}")]
    Malformed(String),
    #[error("missing required column(s): {0}; expected a header like hostname,address,platform,port,site,group,tags,latitude,longitude,vendor,model,notes")]
    MissingColumns(String),
    #[error("the file has more than {MAX_ROWS} rows; split it")]
    TooLarge,
}

const COLUMNS: [&str; 13] = [
    "hostname",
    "address",
    "port",
    "platform",
    "vendor",
    "model",
    "site",
    "latitude",
    "longitude",
    "group",
    "tags",
    "credential_ref",
    "notes",
];

/// Parses a CSV file with a header row. Unknown columns are ignored; column names are
/// case-insensitive.
pub fn parse_csv(text: &str) -> Result<ParsedImport, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text); // Excel writes a BOM
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Malformed(e.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let index = |name: &str| header.iter().position(|h| h == name);
    let missing: Vec<&str> = ["hostname", "address", "platform"].into_iter().filter(|c| index(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing.join(", ")));
    }
    let positions: Vec<Option<usize>> = COLUMNS.iter().map(|c| index(c)).collect();
    let mut out = ParsedImport { valid: Vec::new(), invalid: Vec::new() };
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(ImportError::TooLarge);
        }
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| usize::try_from(p.line()).unwrap_or(i + 2));
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let mut errors = FieldErrors::default();
                errors.push("row", e.to_string());
                out.invalid.push(RowError { line: i + 2, hostname: String::new(), errors });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let col = |n: usize| positions[n].and_then(|p| record.get(p)).unwrap_or("").to_owned();
        let opt = |n: usize| Some(col(n)).filter(|s| !s.is_empty());
        let draft = DeviceDraft {
            hostname: col(0),
            address: col(1),
            port: opt(2),
            platform: col(3),
            vendor: col(4),
            model: col(5),
            site: col(6),
            latitude: opt(7),
            longitude: opt(8),
            group: col(9),
            tags: col(10),
            credential_ref: col(11),
            notes: col(12),
        };
        match draft.parse() {
            Ok(spec) => out.valid.push((line, spec)),
            Err(errors) => out.invalid.push(RowError { line, hostname: draft.hostname, errors }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_rows_are_kept_and_invalid_rows_are_reported_with_their_line() {
        let csv = "Hostname,address,platform,port,site,tags\n\
                   R15,127.0.1.15,cisco_ios,22,Lab,\"core, lab\"\n\
                   bad host,10.0.0.1,cisco_ios,,Lab,\n\
                   sw1,10.0.0.2,aruba_aoscx,99999,Lab,\n\
                   j1,10.0.0.3,juniper_junos,830,Lab,\n";
        let parsed = parse_csv(csv).unwrap();
        let hosts: Vec<_> = parsed.valid.iter().map(|(l, s)| (*l, s.hostname.as_str().to_owned())).collect();
        assert_eq!(hosts, vec![(2, "R15".to_owned()), (5, "j1".to_owned())]);
        let bad: Vec<_> = parsed.invalid.iter().map(|r| (r.line, r.errors.0[0].field.clone())).collect();
        assert_eq!(bad, vec![(3, "hostname".to_owned()), (4, "port".to_owned())]);
    }

    #[test]
    fn a_file_without_required_columns_is_refused_whole() {
        assert_eq!(
            parse_csv("name,ip\nR1,10.0.0.1\n"),
            Err(ImportError::MissingColumns("hostname, address, platform".into()))
        );
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let parsed = parse_csv("\u{feff}hostname,address,platform\nR1,10.0.0.1,cisco_ios\n").unwrap();
        assert_eq!(parsed.valid.len(), 1);
    }
}

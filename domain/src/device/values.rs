//! Value types of a device, each built by `parse` so an invalid value cannot exist.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::FieldErrors;

/// The network operating systems NetLedger drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    CiscoIos,
    ArubaAoscx,
    JuniperJunos,
}

impl Platform {
    pub const ALL: [Self; 3] = [Self::CiscoIos, Self::ArubaAoscx, Self::JuniperJunos];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CiscoIos => "cisco_ios",
            Self::ArubaAoscx => "aruba_aoscx",
            Self::JuniperJunos => "juniper_junos",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::CiscoIos => "Cisco IOS",
            Self::ArubaAoscx => "Aruba AOS-CX",
            Self::JuniperJunos => "Juniper Junos",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| "must be one of cisco_ios, aruba_aoscx, juniper_junos".to_owned())
    }
}

/// A device hostname: RFC 1123 labels separated by dots.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hostname(String);

impl Hostname {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.len() > 253 {
            return Err("must be at most 253 characters".into());
        }
        for label in s.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err("each dot-separated part must be 1 to 63 characters".into());
            }
            if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err("may contain only letters, digits, '-', '_' and '.'".into());
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err("parts must not start or end with '-'".into());
            }
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Hostname {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<Hostname> for String {
    fn from(h: Hostname) -> Self {
        h.0
    }
}
impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A management address: an IP address or a DNS name resolved when connecting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MgmtAddress(String);

impl MgmtAddress {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if let Ok(ip) = IpAddr::from_str(s) {
            return Ok(Self(ip.to_string()));
        }
        let looks_numeric = s.chars().all(|c| c.is_ascii_digit() || c == '.');
        if looks_numeric {
            return Err(format!("'{s}' is not a valid IPv4 address"));
        }
        Hostname::parse(s)
            .map(|h| Self(h.0.to_ascii_lowercase()))
            .map_err(|_| format!("'{s}' is neither an IP address nor a DNS name"))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for MgmtAddress {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<MgmtAddress> for String {
    fn from(a: MgmtAddress) -> Self {
        a.0
    }
}
impl fmt::Display for MgmtAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A hierarchical group such as `emea/paris/core`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupPath(String);

impl GroupPath {
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.trim().trim_matches('/').split('/').map(str::trim).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err("must be names separated by '/', e.g. emea/paris/core".into());
        }
        if parts.len() > 8 {
            return Err("may be at most 8 levels deep".into());
        }
        for p in &parts {
            if p.len() > 64 || !p.chars().all(|c| c.is_alphanumeric() || " -_.".contains(c)) {
                return Err(format!("level '{p}' may contain letters, digits, spaces, '-', '_', '.' (64 at most)"));
            }
        }
        Ok(Self(parts.join("/")))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This group and every ancestor, root first: `a`, `a/b`, `a/b/c`.
    #[must_use]
    pub fn ancestors_and_self(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut acc = String::new();
        for p in self.0.split('/') {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(p);
            out.push(acc.clone());
        }
        out
    }
}
impl TryFrom<String> for GroupPath {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<GroupPath> for String {
    fn from(g: GroupPath) -> Self {
        g.0
    }
}

/// A free label, normalised to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        if s.is_empty() || s.len() > 40 {
            return Err("tags must be 1 to 40 characters".into());
        }
        if !s.chars().all(|c| c.is_alphanumeric() || "-_.:".contains(c)) {
            return Err(format!("tag '{s}' may contain letters, digits, '-', '_', '.', ':'"));
        }
        Ok(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Tags from a comma- or space-separated list, deduplicated and sorted.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, String> {
        let mut tags = s
            .split([',', ' ', ';'])
            .filter(|t| !t.trim().is_empty())
            .map(Self::parse)
            .collect::<Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        if tags.len() > 32 {
            return Err("at most 32 tags".into());
        }
        Ok(tags)
    }
}
impl TryFrom<String> for Tag {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<Tag> for String {
    fn from(t: Tag) -> Self {
        t.0
    }
}

/// Latitude and longitude in decimal degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

impl Location {
    pub fn parse(lat: Option<f64>, long: Option<f64>) -> Result<Option<Self>, String> {
        match (lat, long) {
            (None, None) => Ok(None),
            (Some(latitude), Some(longitude)) => {
                if !(-90.0..=90.0).contains(&latitude) {
                    return Err("latitude must be between -90 and 90".into());
                }
                if !(-180.0..=180.0).contains(&longitude) {
                    return Err("longitude must be between -180 and 180".into());
                }
                Ok(Some(Self { latitude, longitude }))
            }
            _ => Err("give both latitude and longitude, or neither".into()),
        }
    }
}

/// The attributes an engineer maintains for a device, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceSpec {
    pub hostname: Hostname,
    pub address: MgmtAddress,
    pub port: u16,
    pub platform: Platform,
    pub vendor: String,
    pub model: String,
    pub site: String,
    pub location: Option<Location>,
    pub group: Option<GroupPath>,
    pub tags: Vec<Tag>,
    /// Id of a credential in the vault; never the secret itself.
    pub credential_ref: Option<String>,
    pub notes: String,
}

/// Raw device input as typed in a form, sent to the API or read from CSV.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceDraft {
    pub hostname: String,
    pub address: String,
    pub port: Option<String>,
    pub platform: String,
    pub vendor: String,
    pub model: String,
    pub site: String,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub group: String,
    pub tags: String,
    pub credential_ref: String,
    pub notes: String,
}

fn parse_coordinate(field: &str, raw: Option<&String>, errors: &mut FieldErrors) -> Option<f64> {
    let raw = raw.map(|s| s.trim()).filter(|s| !s.is_empty())?;
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(field, format!("'{raw}' is not a number"));
            None
        }
    }
}

fn bounded_text(field: &str, s: &str, max: usize, errors: &mut FieldErrors) -> String {
    let s = s.trim();
    if s.chars().count() > max {
        errors.push(field, format!("must be at most {max} characters"));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(field, "must not contain control characters");
    }
    s.to_owned()
}

impl DeviceDraft {
    /// Validates every field and reports all errors together.
    pub fn parse(&self) -> Result<DeviceSpec, FieldErrors> {
        let mut e = FieldErrors::default();
        let hostname = e.check("hostname", Hostname::parse(&self.hostname));
        let address = e.check("address", MgmtAddress::parse(&self.address));
        let port = match self.port.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => Some(22),
            Some(p) => e.check(
                "port",
                p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| format!("'{p}' is not a port (1-65535)")),
            ),
        };
        let platform = e.check("platform", Platform::from_str(&self.platform));
        let vendor = bounded_text("vendor", &self.vendor, 64, &mut e);
        let model = bounded_text("model", &self.model, 64, &mut e);
        let site = bounded_text("site", &self.site, 64, &mut e);
        let notes = bounded_text("notes", &self.notes, 4000, &mut e);
        let lat = parse_coordinate("latitude", self.latitude.as_ref(), &mut e);
        let long = parse_coordinate("longitude", self.longitude.as_ref(), &mut e);
        let location = e.check("location", Location::parse(lat, long)).flatten();
        let group = if self.group.trim().is_empty() {
            Some(None)
        } else {
            e.check("group", GroupPath::parse(&self.group)).map(Some)
        };
        let tags = e.check("tags", Tag::parse_list(&self.tags));
        let credential_ref = bounded_text("credential_ref", &self.credential_ref, 64, &mut e);
        match (hostname, address, port, platform, group, tags) {
            (Some(hostname), Some(address), Some(port), Some(platform), Some(group), Some(tags)) if e.is_empty() => {
                Ok(DeviceSpec {
                    hostname,
                    address,
                    port,
                    platform,
                    vendor: if vendor.is_empty() { default_vendor(platform).to_owned() } else { vendor },
                    model,
                    site,
                    location,
                    group,
                    tags,
                    credential_ref: Some(credential_ref).filter(|c| !c.is_empty()),
                    notes,
                })
            }
            _ => Err(e),
        }
    }
}

const fn default_vendor(p: Platform) -> &'static str {
    match p {
        Platform::CiscoIos => "Cisco",
        Platform::ArubaAoscx => "Aruba",
        Platform::JuniperJunos => "Juniper",
    }
}

impl From<&DeviceSpec> for DeviceDraft {
    fn from(s: &DeviceSpec) -> Self {
        Self {
            hostname: s.hostname.to_string(),
            address: s.address.to_string(),
            port: Some(s.port.to_string()),
            platform: s.platform.to_string(),
            vendor: s.vendor.clone(),
            model: s.model.clone(),
            site: s.site.clone(),
            latitude: s.location.map(|l| l.latitude.to_string()),
            longitude: s.location.map(|l| l.longitude.to_string()),
            group: s.group.as_ref().map(|g| g.as_str().to_owned()).unwrap_or_default(),
            tags: s.tags.iter().map(Tag::as_str).collect::<Vec<_>>().join(", "),
            credential_ref: s.credential_ref.clone().unwrap_or_default(),
            notes: s.notes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DeviceDraft {
        DeviceDraft {
            hostname: "R15".into(),
            address: "127.0.1.15".into(),
            platform: "cisco_ios".into(),
            site: "Lab".into(),
            group: " emea / paris /core ".into(),
            tags: "Core, edge core".into(),
            ..DeviceDraft::default()
        }
    }

    #[test]
    fn a_valid_draft_normalises_its_fields() {
        let spec = draft().parse().unwrap();
        assert_eq!(spec.port, 22);
        assert_eq!(spec.vendor, "Cisco");
        assert_eq!(spec.group.unwrap().as_str(), "emea/paris/core");
        assert_eq!(spec.tags.iter().map(Tag::as_str).collect::<Vec<_>>(), ["core", "edge"]);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let d = DeviceDraft {
            hostname: "bad host".into(),
            address: "300.1.1.1".into(),
            port: Some("70000".into()),
            platform: "nxos".into(),
            latitude: Some("91".into()),
            longitude: Some("2".into()),
            ..DeviceDraft::default()
        };
        let e = d.parse().unwrap_err();
        for f in ["hostname", "address", "port", "platform", "location"] {
            assert!(e.get(f).is_some(), "no error for {f}: {e}");
        }
    }

    #[test]
    fn half_a_location_is_refused() {
        let d = DeviceDraft { latitude: Some("48.85".into()), ..draft() };
        assert_eq!(d.parse().unwrap_err().get("location"), Some("give both latitude and longitude, or neither"));
    }

    #[test]
    fn dns_names_are_valid_addresses() {
        assert_eq!(MgmtAddress::parse("Core1.Example.net").unwrap().as_str(), "core1.example.net");
        assert!(MgmtAddress::parse("2001:db8::1").is_ok());
        assert!(MgmtAddress::parse("a b").is_err());
    }

    #[test]
    fn group_ancestors_are_listed_root_first() {
        let g = GroupPath::parse("a/b/c").unwrap();
        assert_eq!(g.ancestors_and_self(), ["a", "a/b", "a/b/c"]);
    }
}

//! Lab topology: which devices exist, where they listen, how they are cabled, and their faults.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::path::Path;

use domain::device::Platform;
use serde::{Deserialize, Serialize};

use super::LabError;

/// Port every device of the default labs listens on (each on its own loopback address).
pub const DEFAULT_PORT: u16 = 2222;
/// Login name of every lab device.
pub const LAB_USERNAME: &str = "netops";

/// A fault a device shows to its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The right password is rejected.
    AuthFailure,
    /// TCP connections are closed as soon as they are accepted.
    Refuse,
    /// Every reply is delayed.
    Slow { delay_ms: u64 },
    /// The channel is closed halfway through the next output longer than ~200 bytes.
    DropMidOutput,
    /// Command output bytes are corrupted (echo and prompts are not, so clients still get their prompt).
    Garbled,
    /// Login succeeds, then commands are never answered.
    Hang,
}

/// What the device reports as CPU load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CpuProfile {
    Steady {
        percent: u8,
    },
    /// `peak` for ~60 s after each config change, `base` otherwise.
    Spike {
        base: u8,
        peak: u8,
    },
}

impl Default for CpuProfile {
    fn default() -> Self {
        Self::Steady { percent: 7 }
    }
}

/// One interface of a lab device as the topology declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceSpec {
    pub name: String,
    /// `A.B.C.D/len`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabDeviceSpec {
    pub name: String,
    pub platform: Platform,
    #[serde(default = "default_address")]
    pub address: Ipv4Addr,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default = "default_username")]
    pub username: String,
    /// Empty in a topology file means "derive from the name".
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub enable_secret: String,
    #[serde(default)]
    pub fault: Option<Fault>,
    #[serde(default)]
    pub cpu: CpuProfile,
    /// Empty means the platform's default set of interfaces.
    #[serde(default)]
    pub interfaces: Vec<InterfaceSpec>,
    /// BGP AS number; peers are the topology neighbors that also have one.
    #[serde(default)]
    pub asn: Option<u32>,
}

/// One end of a cable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LinkEnd {
    pub device: String,
    pub interface: String,
}

/// A cable between two devices; LLDP/CDP show it from both ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub a: LinkEnd,
    pub b: LinkEnd,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub devices: Vec<LabDeviceSpec>,
    #[serde(default)]
    pub links: Vec<Link>,
    /// Host keys are derived from this seed and the device name, so they survive restarts.
    #[serde(default = "default_seed")]
    pub seed: String,
}

fn default_address() -> Ipv4Addr {
    Ipv4Addr::LOCALHOST
}
const fn default_port() -> u16 {
    DEFAULT_PORT
}
fn default_username() -> String {
    LAB_USERNAME.to_owned()
}
fn default_seed() -> String {
    "netledger-lab".to_owned()
}

/// The platform's default interface names (before link addressing).
#[must_use]
pub fn default_interfaces(platform: Platform) -> Vec<InterfaceSpec> {
    let names: Vec<String> = match platform {
        Platform::CiscoIos => (0..4).map(|i| format!("GigabitEthernet0/{i}")).collect(),
        Platform::ArubaAoscx => (1..=8).map(|i| format!("1/1/{i}")).collect(),
        Platform::JuniperJunos => (0..4).map(|i| format!("ge-0/0/{i}")).collect(),
    };
    names.into_iter().map(|name| InterfaceSpec { name, ipv4: None, description: None }).collect()
}

/// The loopback interface name of a platform.
#[must_use]
pub const fn loopback_name(platform: Platform) -> &'static str {
    match platform {
        Platform::CiscoIos => "Loopback0",
        Platform::ArubaAoscx => "loopback0",
        Platform::JuniperJunos => "lo0",
    }
}

/// The address of the `index`-th device of a default lab: 127.0.(1 + i/250).(1 + i%250).
#[must_use]
pub fn default_address_of(index: usize) -> Ipv4Addr {
    let third = u8::try_from(1 + index / 250).unwrap_or(u8::MAX);
    let fourth = u8::try_from(1 + index % 250).unwrap_or(u8::MAX);
    Ipv4Addr::new(127, 0, third, fourth)
}

fn spec(name: &str, platform: Platform, index: usize, asn: Option<u32>) -> LabDeviceSpec {
    LabDeviceSpec {
        name: name.to_owned(),
        platform,
        address: default_address_of(index),
        port: DEFAULT_PORT,
        username: LAB_USERNAME.to_owned(),
        password: String::new(),
        enable_secret: String::new(),
        fault: None,
        cpu: CpuProfile::default(),
        interfaces: Vec::new(),
        asn,
    }
}

fn link(a: &str, ai: &str, b: &str, bi: &str) -> Link {
    Link {
        a: LinkEnd { device: a.to_owned(), interface: ai.to_owned() },
        b: LinkEnd { device: b.to_owned(), interface: bi.to_owned() },
    }
}

impl Topology {
    /// R15..R25 (IOS, chained), SW1/SW2 (AOS-CX), J1 (Junos) and a `bastion` jump host.
    #[must_use]
    pub fn builtin() -> Self {
        let mut devices = Vec::new();
        for n in 15..=25u32 {
            let index = devices.len();
            devices.push(spec(&format!("R{n}"), Platform::CiscoIos, index, Some(65000 + n)));
        }
        for name in ["SW1", "SW2"] {
            let index = devices.len();
            devices.push(spec(name, Platform::ArubaAoscx, index, None));
        }
        let index = devices.len();
        devices.push(spec("J1", Platform::JuniperJunos, index, Some(65100)));
        let index = devices.len();
        devices.push(spec("bastion", Platform::CiscoIos, index, None));

        let mut links = Vec::new();
        for n in 15..25u32 {
            links.push(link(&format!("R{n}"), "GigabitEthernet0/1", &format!("R{}", n + 1), "GigabitEthernet0/2"));
        }
        links.push(link("R15", "GigabitEthernet0/3", "SW1", "1/1/1"));
        links.push(link("R20", "GigabitEthernet0/3", "SW2", "1/1/1"));
        links.push(link("SW1", "1/1/2", "SW2", "1/1/2"));
        links.push(link("R25", "GigabitEthernet0/1", "J1", "ge-0/0/0"));
        links.push(link("SW2", "1/1/3", "J1", "ge-0/0/1"));
        links.push(link("bastion", "GigabitEthernet0/1", "SW1", "1/1/4"));
        Self { devices, links, seed: default_seed() }.normalised()
    }

    /// `n` devices, mostly IOS (one AOS-CX switch in 10, one Junos router in 20), cabled in a chain.
    #[must_use]
    pub fn scaled(n: usize) -> Self {
        let mut devices = Vec::with_capacity(n);
        for i in 0..n {
            let (platform, name) = if i % 20 == 19 {
                (Platform::JuniperJunos, format!("lab-j{i:04}"))
            } else if i % 10 == 9 {
                (Platform::ArubaAoscx, format!("lab-sw{i:04}"))
            } else {
                (Platform::CiscoIos, format!("lab-r{i:04}"))
            };
            let asn = (platform != Platform::ArubaAoscx).then(|| 64512 + u32::try_from(i).unwrap_or(0));
            devices.push(spec(&name, platform, i, asn));
        }
        // Port 1 of each device goes to port 2 of the next one.
        let mut links = Vec::new();
        for pair in devices.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            links.push(Link {
                a: LinkEnd { device: a.name.clone(), interface: port_name(a.platform, 1) },
                b: LinkEnd { device: b.name.clone(), interface: port_name(b.platform, 2) },
            });
        }
        Self { devices, links, seed: default_seed() }.normalised()
    }

    /// A JSON topology file (see [`Topology`]'s serde form); missing fields get the defaults.
    pub fn from_file(path: &Path) -> Result<Self, LabError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LabError::TopologyFile { path: path.display().to_string(), source })?;
        Self::from_json(&text)
    }

    pub fn from_json(text: &str) -> Result<Self, LabError> {
        let topology: Self = serde_json::from_str(text).map_err(|e| LabError::InvalidTopology(e.to_string()))?;
        let topology = topology.normalised();
        topology.validate()?;
        Ok(topology)
    }

    /// Rebinds every device: with `port` 0 all devices listen on `ip_base` on ephemeral ports (tests);
    /// otherwise device `i` listens on `ip_base + i`, `port`.
    #[must_use]
    pub fn with_bind(mut self, ip_base: Ipv4Addr, port: u16) -> Self {
        let base = u32::from(ip_base);
        for (i, device) in self.devices.iter_mut().enumerate() {
            device.port = port;
            device.address =
                if port == 0 { ip_base } else { Ipv4Addr::from(base.wrapping_add(u32::try_from(i).unwrap_or(0))) };
        }
        self
    }

    /// Fills in derived credentials, default interfaces and link addressing.
    fn normalised(mut self) -> Self {
        for device in &mut self.devices {
            if device.password.is_empty() {
                device.password = format!("lab-{}-pw", device.name);
            }
            if device.enable_secret.is_empty() {
                device.enable_secret = format!("lab-{}-en", device.name);
            }
            if device.interfaces.is_empty() {
                device.interfaces = default_interfaces(device.platform);
            }
        }
        let index: HashMap<String, usize> = self.devices.iter().enumerate().map(|(i, d)| (d.name.clone(), i)).collect();
        for (k, link) in self.links.iter().enumerate() {
            let k = u32::try_from(k).unwrap_or(0);
            // One /30 per cable out of 10.100.0.0/14.
            let net = u32::from(Ipv4Addr::new(10, 100, 0, 0)) + k * 4;
            for (end, host) in [(&link.a, 1), (&link.b, 2)] {
                let Some(&d) = index.get(&end.device) else { continue };
                if let Some(iface) = self.devices[d].interfaces.iter_mut().find(|i| i.name == end.interface) {
                    if iface.ipv4.is_none() {
                        iface.ipv4 = Some(format!("{}/30", Ipv4Addr::from(net + host)));
                    }
                }
            }
        }
        self
    }

    fn validate(&self) -> Result<(), LabError> {
        let mut names = HashSet::new();
        for d in &self.devices {
            if d.name.is_empty() || d.name.len() > 63 || d.name.contains(char::is_whitespace) {
                return Err(LabError::InvalidTopology(format!("bad device name {:?}", d.name)));
            }
            if !names.insert(d.name.as_str()) {
                return Err(LabError::InvalidTopology(format!("duplicate device {}", d.name)));
            }
        }
        let mut used = HashSet::new();
        for l in &self.links {
            for end in [&l.a, &l.b] {
                let device = self
                    .devices
                    .iter()
                    .find(|d| d.name == end.device)
                    .ok_or_else(|| LabError::InvalidTopology(format!("link to unknown device {}", end.device)))?;
                if !device.interfaces.iter().any(|i| i.name == end.interface) {
                    return Err(LabError::InvalidTopology(format!(
                        "link to unknown interface {} of {}",
                        end.interface, end.device
                    )));
                }
                if !used.insert(end.clone()) {
                    return Err(LabError::InvalidTopology(format!(
                        "interface {} of {} is cabled twice",
                        end.interface, end.device
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The `n`-th port (1-based) of a platform's default interfaces.
fn port_name(platform: Platform, n: usize) -> String {
    match platform {
        Platform::CiscoIos => format!("GigabitEthernet0/{n}"),
        Platform::ArubaAoscx => format!("1/1/{n}"),
        Platform::JuniperJunos => format!("ge-0/0/{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_the_named_devices_on_their_own_addresses() {
        let t = Topology::builtin();
        let names: Vec<&str> = t.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names.first(), Some(&"R15"));
        assert!(names.contains(&"R25") && names.contains(&"SW1") && names.contains(&"J1"));
        assert!(names.contains(&"bastion"));
        assert_eq!(t.devices[0].address, Ipv4Addr::new(127, 0, 1, 1));
        assert_eq!(t.devices[1].address, Ipv4Addr::new(127, 0, 1, 2));
        assert!(t.validate().is_ok());
        assert_eq!(t.devices[0].password, "lab-R15-pw");
        let r15_g1 = t.devices[0].interfaces.iter().find(|i| i.name == "GigabitEthernet0/1");
        assert_eq!(r15_g1.and_then(|i| i.ipv4.clone()).as_deref(), Some("10.100.0.1/30"));
    }

    #[test]
    fn scaled_continues_addresses_past_250() {
        let t = Topology::scaled(1000);
        assert_eq!(t.devices.len(), 1000);
        assert_eq!(t.devices[250].address, Ipv4Addr::new(127, 0, 2, 1));
        assert_eq!(t.devices[999].address, Ipv4Addr::new(127, 0, 4, 250));
        assert!(t.validate().is_ok());
        assert!(t.devices.iter().any(|d| d.platform == Platform::JuniperJunos));
    }

    #[test]
    fn file_form_parses_faults_and_rejects_double_cabling() {
        let json = r#"{"devices":[{"name":"A","platform":"cisco_ios","fault":{"kind":"slow","delay_ms":50}},
            {"name":"B","platform":"juniper_junos","cpu":{"kind":"spike","base":10,"peak":95}}],
            "links":[{"a":{"device":"A","interface":"GigabitEthernet0/1"},"b":{"device":"B","interface":"ge-0/0/0"}}]}"#;
        let t = Topology::from_json(json).expect("valid");
        assert_eq!(t.devices[0].fault, Some(Fault::Slow { delay_ms: 50 }));
        assert_eq!(t.devices[1].cpu, CpuProfile::Spike { base: 10, peak: 95 });
        let bad = json.replace("ge-0/0/0", "GigabitEthernet0/1").replace("\"B\",\"interface", "\"A\",\"interface");
        assert!(Topology::from_json(&bad).is_err());
    }

    #[test]
    fn with_bind_port_zero_puts_everything_on_one_address() {
        let t = Topology::builtin().with_bind(Ipv4Addr::LOCALHOST, 0);
        assert!(t.devices.iter().all(|d| d.address == Ipv4Addr::LOCALHOST && d.port == 0));
        let t = Topology::builtin().with_bind(Ipv4Addr::new(127, 0, 5, 1), 2200);
        assert_eq!(t.devices[2].address, Ipv4Addr::new(127, 0, 5, 3));
    }
}

//! Per-platform CLI state machines over a shared, structured device state. Pure: no sockets here.

pub mod aoscx;
pub mod ios;
pub mod junos;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::device::Platform;

use super::topology::{loopback_name, CpuProfile, LabDeviceSpec};

/// What a CLI answers to one line of input. `output` uses `\n`; the transport turns it into `\r\n`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub output: String,
    /// The session ends after this output (no prompt follows).
    pub close: bool,
}

impl Reply {
    fn text(output: impl Into<String>) -> Self {
        Self { output: output.into(), close: false }
    }
    fn empty() -> Self {
        Self::default()
    }
    fn close() -> Self {
        Self { output: String::new(), close: true }
    }
}

/// A CLI session on one device: one line in, one reply out, then `prompt()`.
pub trait Cli: Send + Sync {
    fn prompt(&self) -> String;
    fn input(&mut self, line: &str) -> Reply;
    /// False while a secret is being typed (the transport then echoes only the Enter).
    fn echo(&self) -> bool {
        true
    }
    /// Text shown when the shell opens, before the first prompt.
    fn greeting(&self) -> String {
        String::new()
    }
}

/// The running config as the platform's "show running-config" / "show configuration" prints it.
#[must_use]
pub fn render_running(dev: &DeviceState) -> String {
    match dev.platform {
        Platform::CiscoIos => ios::show_running(dev),
        Platform::ArubaAoscx => aoscx::show_running(dev, &dev.running),
        Platform::JuniperJunos => junos::show_configuration(dev, &dev.running),
    }
}

/// The saved config (IOS/AOS-CX startup; Junos has none apart from the committed config).
#[must_use]
pub fn render_startup(dev: &DeviceState) -> String {
    match dev.platform {
        Platform::CiscoIos => ios::show_startup(dev),
        Platform::ArubaAoscx => aoscx::show_running(dev, &dev.startup),
        Platform::JuniperJunos => junos::show_configuration(dev, &dev.startup),
    }
}

/// Opens a CLI on a device; `privileged` starts at the top privilege level (exec channels).
#[must_use]
pub fn open_cli(device: Arc<Mutex<DeviceState>>, privileged: bool) -> Box<dyn Cli> {
    let platform = lock(&device).platform;
    match platform {
        Platform::CiscoIos => Box::new(ios::IosCli::new(device, privileged)),
        Platform::ArubaAoscx => Box::new(aoscx::AoscxCli::new(device)),
        Platform::JuniperJunos => Box::new(junos::JunosCli::new(device)),
    }
}

/// Locks a device, recovering from a poisoned lock: the state is plain data and stays consistent.
pub fn lock(device: &Mutex<DeviceState>) -> MutexGuard<'_, DeviceState> {
    device.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    pub name: String,
    pub description: Option<String>,
    pub shutdown: bool,
    pub ipv4: Option<(Ipv4Addr, u8)>,
    pub mtu: Option<u32>,
}

impl Iface {
    fn new(name: &str) -> Self {
        Self { name: name.to_owned(), description: None, shutdown: false, ipv4: None, mtu: None }
    }
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.starts_with("loopback") || n.starts_with("lo0")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticRoute {
    pub prefix: Ipv4Addr,
    pub len: u8,
    pub next_hop: Ipv4Addr,
}

/// The structured configuration every platform renders in its own syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub hostname: String,
    pub interfaces: Vec<Iface>,
    pub ntp_servers: Vec<String>,
    /// (community, "RO" | "RW")
    pub snmp_communities: Vec<(String, String)>,
    pub logging_hosts: Vec<String>,
    /// (name, secret as stored)
    pub users: Vec<(String, String)>,
    pub routes: Vec<StaticRoute>,
    pub banner: Option<String>,
}

impl Config {
    #[must_use]
    pub fn iface(&self, name: &str) -> Option<&Iface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
    pub fn iface_mut(&mut self, name: &str) -> Option<&mut Iface> {
        self.interfaces.iter_mut().find(|i| i.name == name)
    }
}

/// A cabled neighbor as seen from one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbor {
    pub local_port: String,
    pub peer_index: usize,
    pub peer_name: String,
    pub peer_port: String,
    pub peer_platform: Platform,
    pub peer_mgmt: Ipv4Addr,
    /// The peer's address on the cable, if any (BGP peering uses it).
    pub peer_ip: Option<Ipv4Addr>,
    pub peer_asn: Option<u32>,
}

/// State shared by all devices of a lab: which ports are administratively down, so a cable
/// goes down on both ends. Lock order: a device, then this (never the reverse).
#[derive(Debug, Default)]
pub struct LabEnv {
    down: RwLock<HashSet<(usize, String)>>,
}

impl LabEnv {
    fn is_down(&self, device: usize, port: &str) -> bool {
        self.down.read().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&(device, port.to_owned()))
    }
    fn publish(&self, device: usize, config: &Config) {
        let mut down = self.down.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        down.retain(|(d, _)| *d != device);
        for i in config.interfaces.iter().filter(|i| i.shutdown) {
            down.insert((device, i.name.clone()));
        }
    }
}

/// Everything a device remembers across sessions.
#[derive(Debug)]
pub struct DeviceState {
    pub index: usize,
    pub name: String,
    pub platform: Platform,
    pub mgmt: Ipv4Addr,
    pub username: String,
    pub enable_secret: String,
    pub running: Config,
    pub startup: Config,
    /// Junos candidate configuration (shared, like `configure` without `private`).
    pub candidate: Option<Config>,
    pub changed_at: DateTime<Utc>,
    pub saved_at: DateTime<Utc>,
    pub booted_at: DateTime<Utc>,
    changed_instant: Option<Instant>,
    pub cpu: CpuProfile,
    pub asn: Option<u32>,
    pub neighbors: Vec<Neighbor>,
    env: Arc<LabEnv>,
}

impl DeviceState {
    #[must_use]
    pub fn new(index: usize, spec: &LabDeviceSpec, neighbors: Vec<Neighbor>, env: Arc<LabEnv>) -> Self {
        let mut interfaces: Vec<Iface> = spec
            .interfaces
            .iter()
            .map(|s| {
                let mut i = Iface::new(&s.name);
                i.description.clone_from(&s.description);
                i.ipv4 = s.ipv4.as_deref().and_then(parse_cidr);
                i
            })
            .collect();
        let mut lo = Iface::new(loopback_name(spec.platform));
        let idx = u32::try_from(index).unwrap_or(0);
        lo.ipv4 = Some((Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 0, 1)) + idx), 32));
        if spec.platform == Platform::JuniperJunos {
            interfaces.push(lo);
        } else {
            interfaces.insert(0, lo);
        }
        // Ports without a cable stay shut, as on a freshly racked box; cabled ones are up.
        for i in &mut interfaces {
            if !i.is_loopback() && !neighbors.iter().any(|n| n.local_port == i.name) {
                i.shutdown = spec.platform != Platform::JuniperJunos && i.ipv4.is_none();
            }
        }
        let config = Config {
            hostname: spec.name.clone(),
            interfaces,
            ntp_servers: vec!["10.0.255.1".to_owned()],
            snmp_communities: vec![("netledger-ro".to_owned(), "RO".to_owned())],
            logging_hosts: vec!["10.0.255.2".to_owned()],
            users: vec![(spec.username.clone(), secret_hash(&spec.password))],
            routes: vec![StaticRoute {
                prefix: Ipv4Addr::UNSPECIFIED,
                len: 0,
                next_hop: Ipv4Addr::new(10, 0, 255, 254),
            }],
            banner: None,
        };
        let booted_at = Utc::now() - chrono::Duration::seconds(86_400 * 12 + 3_600 * 5 + 60 * 17);
        let env_clone = Arc::clone(&env);
        env_clone.publish(index, &config);
        Self {
            index,
            name: spec.name.clone(),
            platform: spec.platform,
            mgmt: spec.address,
            username: spec.username.clone(),
            enable_secret: spec.enable_secret.clone(),
            startup: config.clone(),
            running: config,
            candidate: None,
            changed_at: booted_at,
            saved_at: booted_at,
            booted_at,
            changed_instant: None,
            cpu: spec.cpu,
            asn: spec.asn,
            neighbors,
            env,
        }
    }

    /// Replaces the running config (after a validated edit) and publishes port states.
    pub fn set_running(&mut self, config: Config) {
        if config != self.running {
            self.running = config;
            self.changed_at = Utc::now();
            self.changed_instant = Some(Instant::now());
            self.env.publish(self.index, &self.running);
        }
    }

    pub fn save(&mut self) {
        self.startup = self.running.clone();
        self.saved_at = Utc::now();
    }

    /// (admin up, oper up) of a port of the running config.
    #[must_use]
    pub fn port_state(&self, name: &str) -> (bool, bool) {
        let Some(iface) = self.running.iface(name) else { return (false, false) };
        let admin = !iface.shutdown;
        if iface.is_loopback() {
            return (admin, admin);
        }
        let oper = admin
            && self.neighbors.iter().any(|n| n.local_port == name && !self.env.is_down(n.peer_index, &n.peer_port));
        (admin, oper)
    }

    /// Neighbors on ports that are up on both ends (LLDP/CDP stop seeing a shut port).
    #[must_use]
    pub fn visible_neighbors(&self) -> Vec<&Neighbor> {
        self.neighbors.iter().filter(|n| self.port_state(&n.local_port).1).collect()
    }

    /// CPU (5 s, 1 min, 5 min) percentages from the profile.
    #[must_use]
    pub fn cpu_now(&self) -> (u8, u8, u8) {
        match self.cpu {
            CpuProfile::Steady { percent } => {
                let p = percent.min(100);
                (p, p, p)
            }
            CpuProfile::Spike { base, peak } => {
                let recent = self.changed_instant.is_some_and(|t| t.elapsed() < Duration::from_secs(60));
                if recent {
                    (peak.min(100), peak.min(100), base.saturating_add(peak) / 2)
                } else {
                    (base.min(100), base.min(100), base.min(100))
                }
            }
        }
    }

    /// A stable MAC address for the device (`port` 0) or one of its ports.
    #[must_use]
    pub fn mac(&self, port: usize) -> [u8; 6] {
        mac_of(self.index, port)
    }

    #[must_use]
    pub fn port_index(&self, name: &str) -> usize {
        self.running.interfaces.iter().position(|i| i.name == name).map_or(0, |p| p + 1)
    }

    #[must_use]
    pub fn serial(&self) -> String {
        let prefix = match self.platform {
            Platform::CiscoIos => "FTX",
            Platform::ArubaAoscx => "SG9",
            Platform::JuniperJunos => "JN1",
        };
        format!("{prefix}{:08X}", 0x1A2B_0000_u32.wrapping_add(u32::try_from(self.index).unwrap_or(0)))
    }

    #[must_use]
    pub fn uptime(&self) -> chrono::Duration {
        Utc::now() - self.booted_at
    }
}

#[must_use]
pub fn mac_of(device: usize, port: usize) -> [u8; 6] {
    let d = u32::try_from(device).unwrap_or(0).to_be_bytes();
    [0x52, 0x54, d[1], d[2], d[3], u8::try_from(port % 256).unwrap_or(0)]
}

/// The secret as the lab stores it: a fixed-format pseudo hash so configs never carry the password.
#[must_use]
pub fn secret_hash(password: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(password.as_bytes());
    format!("$9$lab${}", hex::encode(&digest[..12]))
}

#[must_use]
pub fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (a, l) = s.split_once('/')?;
    let len: u8 = l.parse().ok()?;
    (len <= 32).then_some(())?;
    Some((a.parse().ok()?, len))
}

#[must_use]
pub fn mask_of(len: u8) -> Ipv4Addr {
    Ipv4Addr::from(if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len.min(32))) })
}

#[must_use]
pub fn len_of_mask(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let len = m.leading_ones();
    (m.checked_shl(len).unwrap_or(0) == 0).then(|| u8::try_from(len).unwrap_or(32))
}

#[must_use]
pub fn network_of(addr: Ipv4Addr, len: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(addr) & u32::from(mask_of(len)))
}

/// Result of matching typed words against a command table with unique-prefix abbreviations.
#[derive(Debug, PartialEq, Eq)]
pub enum Match<T> {
    /// The command and the index of the first argument word.
    Found(T, usize),
    /// Word `n` matches nothing.
    Invalid(usize),
    Ambiguous,
    Incomplete,
}

/// Matches `words` against `table` (keyword sequences), IOS style: each word may be any unique
/// prefix of a keyword at its position; longer commands win over shorter ones when all words match.
pub fn resolve<T: Copy>(table: &[(&[&str], T)], words: &[&str]) -> Match<T> {
    let mut candidates: Vec<usize> = (0..table.len()).collect();
    let mut best: Option<(T, usize)> = None;
    for (pos, word) in words.iter().enumerate() {
        let w = word.to_ascii_lowercase();
        let at_pos: Vec<usize> = candidates.iter().copied().filter(|&c| table[c].0.len() > pos).collect();
        let exact: Vec<usize> = at_pos.iter().copied().filter(|&c| table[c].0[pos] == w).collect();
        let chosen: Vec<usize> = if exact.is_empty() {
            at_pos.into_iter().filter(|&c| table[c].0[pos].starts_with(w.as_str())).collect()
        } else {
            exact
        };
        if chosen.is_empty() {
            return best.map_or(Match::Invalid(pos), |(t, i)| Match::Found(t, i));
        }
        let mut keywords: Vec<&str> = chosen.iter().map(|&c| table[c].0[pos]).collect();
        keywords.dedup();
        if keywords.len() > 1 {
            return Match::Ambiguous;
        }
        candidates = chosen;
        best = candidates.iter().find(|&&c| table[c].0.len() == pos + 1).map(|&c| (table[c].1, pos + 1)).or(best);
    }
    match best {
        Some((t, i)) => Match::Found(t, i),
        None => Match::Incomplete,
    }
}

/// Applies `| include X`, `| exclude X`, `| begin X`, `| count` to an output.
#[must_use]
pub fn apply_pipe(output: &str, pipe: Option<&str>) -> String {
    let Some(pipe) = pipe else { return output.to_owned() };
    let pipe = pipe.trim();
    let (verb, arg) = pipe.split_once(' ').unwrap_or((pipe, ""));
    let arg = arg.trim();
    let verb = verb.to_ascii_lowercase();
    let mut out = String::new();
    if "include".starts_with(&verb) || verb == "match" {
        for l in output.lines().filter(|l| l.contains(arg)) {
            let _ = writeln!(out, "{l}");
        }
    } else if "exclude".starts_with(&verb) || verb == "except" {
        for l in output.lines().filter(|l| !l.contains(arg)) {
            let _ = writeln!(out, "{l}");
        }
    } else if "begin".starts_with(&verb) {
        let mut on = false;
        for l in output.lines() {
            on = on || l.contains(arg);
            if on {
                let _ = writeln!(out, "{l}");
            }
        }
    } else if "count".starts_with(&verb) {
        let _ = writeln!(out, "Count: {} lines", output.lines().count());
    } else {
        // `| no-more` and anything unknown: the output as is.
        return output.to_owned();
    }
    out
}

/// Splits `cmd | pipe` (the pipe part trimmed).
#[must_use]
pub fn split_pipe(line: &str) -> (&str, Option<&str>) {
    match line.split_once('|') {
        Some((c, p)) => (c.trim(), Some(p.trim())),
        None => (line.trim(), None),
    }
}

/// "1 week, 5 days, 5 hours, 17 minutes" style uptime.
#[must_use]
pub fn uptime_words(d: chrono::Duration) -> String {
    let mins = d.num_minutes().max(0);
    let (weeks, days, hours, minutes) = (mins / 10_080, mins / 1_440 % 7, mins / 60 % 24, mins % 60);
    let mut parts = Vec::new();
    let mut push = |n: i64, unit: &str| {
        if n > 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    };
    push(weeks, "week");
    push(days, "day");
    push(hours, "hour");
    push(minutes, "minute");
    if parts.is_empty() {
        "0 minutes".to_owned()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::lab::topology::Topology;

    /// Builds the built-in lab's device states without any sockets.
    pub fn builtin_states() -> Vec<Arc<Mutex<DeviceState>>> {
        crate::lab::build_states(&Topology::builtin())
    }

    pub fn by_name(states: &[Arc<Mutex<DeviceState>>], name: &str) -> Arc<Mutex<DeviceState>> {
        states.iter().find(|s| lock(s).name == name).cloned().expect("device exists")
    }

    /// Runs lines through a CLI and returns the concatenated output (prompts included).
    pub fn run(cli: &mut dyn Cli, lines: &[&str]) -> String {
        let mut out = String::new();
        for l in lines {
            out.push_str(&cli.prompt());
            out.push_str(l);
            out.push('\n');
            out.push_str(&cli.input(l).output);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[(&[&str], u8)] = &[
        (&["show", "running-config"], 1),
        (&["show", "ip", "interface", "brief"], 2),
        (&["show", "interfaces"], 3),
        (&["show", "inventory"], 4),
        (&["show", "ip", "route"], 5),
    ];

    #[test]
    fn prefixes_resolve_and_ambiguity_is_reported() {
        assert_eq!(resolve(TABLE, &["sh", "run"]), Match::Found(1, 2));
        assert_eq!(resolve(TABLE, &["sh", "ip", "int", "br"]), Match::Found(2, 4));
        assert_eq!(resolve(TABLE, &["sh", "int"]), Match::Found(3, 2));
        assert_eq!(resolve(TABLE, &["sh", "i"]), Match::Ambiguous);
        assert_eq!(resolve(TABLE, &["sh", "bogus"]), Match::Invalid(1));
        assert_eq!(resolve(TABLE, &["sh"]), Match::Incomplete);
        assert_eq!(resolve(TABLE, &["show", "interfaces", "Gi0/1"]), Match::Found(3, 2));
    }

    #[test]
    fn masks_round_trip() {
        assert_eq!(mask_of(30), Ipv4Addr::new(255, 255, 255, 252));
        assert_eq!(len_of_mask(Ipv4Addr::new(255, 255, 255, 0)), Some(24));
        assert_eq!(len_of_mask(Ipv4Addr::new(255, 0, 255, 0)), None);
        assert_eq!(mask_of(0), Ipv4Addr::UNSPECIFIED);
    }
}

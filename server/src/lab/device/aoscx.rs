//! Aruba AOS-CX CLI: manager context, global and interface configuration contexts.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use chrono::Utc;

use super::{
    apply_pipe, lock, network_of, parse_cidr, resolve, secret_hash, split_pipe, Cli, Config, DeviceState, Match, Reply,
    StaticRoute,
};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Manager,
    Config,
    ConfigIf(String),
}

pub struct AoscxCli {
    device: Arc<Mutex<DeviceState>>,
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exec {
    NoPage,
    Page,
    System,
    Version,
    Running,
    Startup,
    Interface,
    IpIntBrief,
    LldpDetail,
    Lldp,
    Resources,
    IpRoute,
    Bgp,
    Configure,
    Write,
    Copy,
    Enable,
    Exit,
    End,
}

const EXEC: &[(&[&str], Exec)] = &[
    (&["no", "page"], Exec::NoPage),
    (&["page"], Exec::Page),
    (&["show", "system"], Exec::System),
    (&["show", "system", "resource-utilization"], Exec::Resources),
    (&["show", "version"], Exec::Version),
    (&["show", "running-config"], Exec::Running),
    (&["show", "startup-config"], Exec::Startup),
    (&["show", "interface"], Exec::Interface),
    (&["show", "ip", "interface", "brief"], Exec::IpIntBrief),
    (&["show", "lldp", "neighbor-info", "detail"], Exec::LldpDetail),
    (&["show", "lldp", "neighbor-info"], Exec::Lldp),
    (&["show", "ip", "route"], Exec::IpRoute),
    (&["show", "bgp", "all", "summary"], Exec::Bgp),
    (&["configure"], Exec::Configure),
    (&["configure", "terminal"], Exec::Configure),
    (&["write", "memory"], Exec::Write),
    (&["copy", "running-config", "startup-config"], Exec::Copy),
    (&["enable"], Exec::Enable),
    (&["exit"], Exec::Exit),
    (&["end"], Exec::End),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conf {
    Hostname,
    Interface,
    NtpServer,
    Snmp,
    Logging,
    User,
    IpRoute,
    Banner,
    End,
    Exit,
    Description,
    Shutdown,
    IpAddress,
    Mtu,
    Routing,
}

const GLOBAL: &[(&[&str], Conf)] = &[
    (&["hostname"], Conf::Hostname),
    (&["interface"], Conf::Interface),
    (&["ntp", "server"], Conf::NtpServer),
    (&["snmp-server", "community"], Conf::Snmp),
    (&["logging"], Conf::Logging),
    (&["user"], Conf::User),
    (&["ip", "route"], Conf::IpRoute),
    (&["banner", "motd"], Conf::Banner),
    (&["end"], Conf::End),
    (&["exit"], Conf::Exit),
];

const IFACE: &[(&[&str], Conf)] = &[
    (&["description"], Conf::Description),
    (&["shutdown"], Conf::Shutdown),
    (&["ip", "address"], Conf::IpAddress),
    (&["mtu"], Conf::Mtu),
    (&["routing"], Conf::Routing),
    (&["end"], Conf::End),
    (&["exit"], Conf::Exit),
];

fn invalid(word: &str) -> Reply {
    Reply::text(format!("Invalid input: {word}\n"))
}

/// `1/1/1`, `loopback 0`, `loopback0`, `lo0` → the configured name.
fn canonical_iface(config: &Config, words: &[&str]) -> Option<String> {
    let joined = words.concat().to_ascii_lowercase();
    let joined = if let Some(n) = joined.strip_prefix("lo").filter(|_| !joined.starts_with("loopback")) {
        format!("loopback{n}")
    } else {
        joined
    };
    config.interfaces.iter().find(|i| i.name == joined).map(|i| i.name.clone())
}

fn display_name(name: &str) -> String {
    name.strip_prefix("loopback").map_or_else(|| name.to_owned(), |n| format!("loopback {n}"))
}

impl AoscxCli {
    #[must_use]
    pub fn new(device: Arc<Mutex<DeviceState>>) -> Self {
        Self { device, mode: Mode::Manager }
    }

    fn edit(&self, f: impl FnOnce(&mut Config) -> bool) -> bool {
        let mut dev = lock(&self.device);
        let mut config = dev.running.clone();
        let ok = f(&mut config);
        if ok {
            dev.set_running(config);
        }
        ok
    }

    fn exec(&mut self, line: &str) -> Reply {
        let (cmd, pipe) = split_pipe(line);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.is_empty() {
            return Reply::empty();
        }
        let (c, at) = match resolve(EXEC, &words) {
            Match::Found(c, at) => (c, at),
            Match::Invalid(n) => return invalid(words.get(n).copied().unwrap_or("")),
            Match::Ambiguous => return Reply::text(format!("Ambiguous command: {cmd}\n")),
            Match::Incomplete => return Reply::text("Incomplete command.\n"),
        };
        let args = &words[at..];
        if !args.is_empty() && !matches!(c, Exec::Interface) {
            return invalid(args[0]);
        }
        let dev = lock(&self.device);
        let out = match c {
            Exec::NoPage | Exec::Page | Exec::Enable | Exec::End => String::new(),
            Exec::System => show_system(&dev),
            Exec::Version => show_version(),
            Exec::Running => show_running(&dev, &dev.running),
            Exec::Startup => show_running(&dev, &dev.startup),
            Exec::Interface => {
                let only = if args.is_empty() {
                    None
                } else {
                    match canonical_iface(&dev.running, args) {
                        Some(n) => Some(n),
                        None => return invalid(args[0]),
                    }
                };
                show_interface(&dev, only.as_deref())
            }
            Exec::IpIntBrief => ip_int_brief(&dev),
            Exec::LldpDetail => lldp_detail(&dev),
            Exec::Lldp => lldp_brief(&dev),
            Exec::Resources => resources(&dev),
            Exec::IpRoute => ip_route(&dev),
            Exec::Bgp => "% BGP is not configured\n".to_owned(),
            Exec::Configure => {
                self.mode = Mode::Config;
                String::new()
            }
            Exec::Write | Exec::Copy => {
                drop(dev);
                lock(&self.device).save();
                return Reply::text("Copying configuration: [Success]\n");
            }
            Exec::Exit => return Reply::close(),
        };
        Reply::text(apply_pipe(&out, pipe))
    }

    fn configure(&mut self, line: &str) -> Reply {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            return Reply::empty();
        }
        // AOS-CX runs show, write and copy from any context (netmiko saves from config-if).
        let first = words[0].to_ascii_lowercase();
        let anywhere = (first.len() >= 2 && "show".starts_with(&first))
            || first == "write"
            || first == "copy"
            || (first == "no" && words.get(1) == Some(&"page"));
        if anywhere {
            let saved = self.mode.clone();
            self.mode = Mode::Manager;
            let reply = self.exec(line);
            self.mode = saved;
            return reply;
        }
        if words[0] == "do" {
            let saved = self.mode.clone();
            self.mode = Mode::Manager;
            let reply = self.exec(&words[1..].join(" "));
            if self.mode == Mode::Manager {
                self.mode = saved;
            }
            return reply;
        }
        let (negate, skip) = if words[0] == "no" { (true, 1) } else { (false, 0) };
        let body = &words[skip..];
        if body.is_empty() {
            return Reply::text("Incomplete command.\n");
        }
        if let Mode::ConfigIf(name) = self.mode.clone() {
            if let Match::Found(c, at) = resolve(IFACE, body) {
                return self.iface_command(line, &name, c, negate, &words[skip + at..]);
            }
        }
        let (c, at) = match resolve(GLOBAL, body) {
            Match::Found(c, at) => (c, at),
            Match::Invalid(n) => return invalid(body.get(n).copied().unwrap_or("")),
            Match::Ambiguous => return Reply::text(format!("Ambiguous command: {}\n", line.trim())),
            Match::Incomplete => return Reply::text("Incomplete command.\n"),
        };
        let args = &words[skip + at..];
        let arg = |i: usize| args.get(i).copied();
        let ok = match c {
            Conf::End => {
                self.mode = Mode::Manager;
                return Reply::empty();
            }
            Conf::Exit => {
                self.mode = match self.mode {
                    Mode::ConfigIf(_) => Mode::Config,
                    _ => Mode::Manager,
                };
                return Reply::empty();
            }
            Conf::Hostname => match arg(0) {
                Some(h) if !negate => self.edit(|c| {
                    c.hostname = h.to_owned();
                    true
                }),
                None if negate => self.edit(|c| {
                    c.hostname = "switch".to_owned();
                    true
                }),
                _ => false,
            },
            Conf::Interface => {
                let name = canonical_iface(&lock(&self.device).running, args);
                match name {
                    Some(n) if !negate => {
                        self.mode = Mode::ConfigIf(n);
                        return Reply::empty();
                    }
                    _ => return invalid(arg(0).unwrap_or("interface")),
                }
            }
            Conf::NtpServer => match arg(0) {
                Some(s) => self.edit(|c| {
                    c.ntp_servers.retain(|x| x != s);
                    if !negate {
                        c.ntp_servers.push(s.to_owned());
                    }
                    true
                }),
                None => false,
            },
            Conf::Snmp => match arg(0) {
                Some(s) => self.edit(|c| {
                    c.snmp_communities.retain(|(n, _)| n != s);
                    if !negate {
                        c.snmp_communities.push((s.to_owned(), "RO".to_owned()));
                    }
                    true
                }),
                None => false,
            },
            Conf::Logging => match arg(0) {
                Some(h) if h.parse::<Ipv4Addr>().is_ok() => self.edit(|c| {
                    c.logging_hosts.retain(|x| x != h);
                    if !negate {
                        c.logging_hosts.push(h.to_owned());
                    }
                    true
                }),
                Some(h) => return invalid(h),
                None => false,
            },
            Conf::User => match arg(0) {
                Some(name) if negate => self.edit(|c| {
                    c.users.retain(|(n, _)| n != name);
                    true
                }),
                Some(name) => {
                    // user NAME group G password plaintext|ciphertext SECRET
                    let pos = args.iter().position(|w| *w == "password");
                    let secret = match pos.map(|p| &args[p + 1..]) {
                        Some([kind, s]) if *kind == "plaintext" => secret_hash(s),
                        Some([_, s]) => (*s).to_owned(),
                        _ => return Reply::text("Incomplete command.\n"),
                    };
                    self.edit(|c| {
                        c.users.retain(|(n, _)| n != name);
                        c.users.push((name.to_owned(), secret));
                        true
                    })
                }
                None => false,
            },
            Conf::IpRoute => {
                let parsed = (|| {
                    let (p, len) = parse_cidr(arg(0)?)?;
                    let nh: Ipv4Addr = arg(1)?.parse().ok()?;
                    Some(StaticRoute { prefix: network_of(p, len), len, next_hop: nh })
                })();
                match parsed {
                    Some(r) => self.edit(|c| {
                        c.routes.retain(|x| x != &r);
                        if !negate {
                            c.routes.push(r);
                        }
                        true
                    }),
                    None => return invalid(arg(0).unwrap_or("route")),
                }
            }
            Conf::Banner => {
                let text = args.join(" ");
                self.edit(|c| {
                    c.banner = (!negate && !text.is_empty()).then_some(text);
                    true
                })
            }
            _ => false,
        };
        if ok {
            if let Mode::ConfigIf(_) = self.mode {
                self.mode = Mode::Config;
            }
            Reply::empty()
        } else {
            invalid(body.first().copied().unwrap_or(""))
        }
    }

    fn iface_command(&mut self, line: &str, name: &str, c: Conf, negate: bool, args: &[&str]) -> Reply {
        let ok = match c {
            Conf::End => {
                self.mode = Mode::Manager;
                return Reply::empty();
            }
            Conf::Exit => {
                self.mode = Mode::Config;
                return Reply::empty();
            }
            Conf::Routing => true,
            Conf::Description => {
                let text = line.trim().split_once("description").map(|(_, t)| t.trim().to_owned()).unwrap_or_default();
                if !negate && text.is_empty() {
                    return Reply::text("Incomplete command.\n");
                }
                self.edit(|c| {
                    c.iface_mut(name).is_some_and(|i| {
                        i.description = (!negate).then_some(text);
                        true
                    })
                })
            }
            Conf::Shutdown => self.edit(|c| {
                c.iface_mut(name).is_some_and(|i| {
                    i.shutdown = !negate;
                    true
                })
            }),
            Conf::IpAddress => {
                if negate {
                    self.edit(|c| {
                        c.iface_mut(name).is_some_and(|i| {
                            i.ipv4 = None;
                            true
                        })
                    })
                } else {
                    match args.first().and_then(|a| parse_cidr(a)) {
                        Some(a) => self.edit(|c| {
                            c.iface_mut(name).is_some_and(|i| {
                                i.ipv4 = Some(a);
                                true
                            })
                        }),
                        None => return invalid(args.first().copied().unwrap_or("address")),
                    }
                }
            }
            Conf::Mtu => {
                let mtu = args.first().and_then(|m| m.parse::<u32>().ok()).filter(|m| (46..=9198).contains(m));
                match (negate, mtu) {
                    (true, _) | (false, Some(_)) => self.edit(|c| {
                        c.iface_mut(name).is_some_and(|i| {
                            i.mtu = if negate { None } else { mtu };
                            true
                        })
                    }),
                    (false, None) => return invalid(args.first().copied().unwrap_or("mtu")),
                }
            }
            _ => false,
        };
        if ok {
            Reply::empty()
        } else {
            invalid(line.trim())
        }
    }
}

impl Cli for AoscxCli {
    fn prompt(&self) -> String {
        let host = lock(&self.device).running.hostname.clone();
        match &self.mode {
            Mode::Manager => format!("{host}# "),
            Mode::Config => format!("{host}(config)# "),
            Mode::ConfigIf(_) => format!("{host}(config-if)# "),
        }
    }

    fn greeting(&self) -> String {
        "\nAruba JL665A 6300F 48G CL4 PoE 4SFP56 Sw\nArubaOS-CX FL.10.11.1021\n\n".to_owned()
    }

    fn input(&mut self, line: &str) -> Reply {
        match self.mode {
            Mode::Manager => self.exec(line),
            Mode::Config | Mode::ConfigIf(_) => self.configure(line),
        }
    }
}

fn colon_mac(m: [u8; 6]) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

fn show_system(dev: &DeviceState) -> String {
    let m = dev.mac(0);
    let (cpu, _, _) = dev.cpu_now();
    format!(
        "Hostname           : {host}\nSystem Description : FL.10.11.1021\nSystem Contact     :\nSystem Location    :\n\nVendor             : Aruba\nProduct Name       : JL665A 6300F 48G CL4 PoE 4SFP56 Sw\nChassis Serial Nbr : {serial}\nBase MAC Address   : {b1:02x}{b2:02x}{b3:02x}-{b4:02x}{b5:02x}{b6:02x}\nArubaOS-CX Version : FL.10.11.1021\n\nTime Zone          : UTC\n\nUp Time            : {up}\nCPU Util (%)       : {cpu}\nMemory Usage (%)   : 26\n",
        host = dev.running.hostname,
        serial = dev.serial(),
        b1 = m[0],
        b2 = m[1],
        b3 = m[2],
        b4 = m[3],
        b5 = m[4],
        b6 = m[5],
        up = super::uptime_words(dev.uptime()),
    )
}

fn show_version() -> String {
    "-----------------------------------------------------------------------------\nArubaOS-CX\n(c) Copyright 2017-2023 Hewlett Packard Enterprise Development LP\n-----------------------------------------------------------------------------\nVersion      : FL.10.11.1021\nBuild Date   : 2023-03-13 17:04:11 UTC\nBuild ID     : ArubaOS-CX:FL.10.11.1021:7d4a1c2e8f3b:202303131704\nBuild SHA    : 7d4a1c2e8f3b0a5c9e2d1f4b6a8c0e2d4f6a8b0c\nActive Image : primary\n\nService OS Version : FL.01.13.0002\nBIOS Version       : FL.01.0002\n".to_owned()
}

#[must_use]
pub fn show_running(dev: &DeviceState, c: &Config) -> String {
    let mut s = format!(
        "Current configuration:\n!\n!Version ArubaOS-CX FL.10.11.1021\n!export-password: default\nhostname {}\n",
        c.hostname
    );
    if let Some(b) = &c.banner {
        let _ = writeln!(s, "banner motd !\n{b}\n!");
    }
    for (name, secret) in &c.users {
        let _ = writeln!(s, "user {name} group administrators password ciphertext {secret}");
    }
    for n in &c.ntp_servers {
        let _ = writeln!(s, "ntp server {n}");
    }
    s.push_str("ntp enable\n!\n");
    for h in &c.logging_hosts {
        let _ = writeln!(s, "logging {h}");
    }
    for (name, _) in &c.snmp_communities {
        let _ = writeln!(s, "snmp-server community {name}");
    }
    s.push_str("!\n!\nssh server vrf mgmt\nvlan 1\n");
    let _ = writeln!(s, "interface mgmt\n    no shutdown\n    ip static {}/8", dev.mgmt);
    for i in &c.interfaces {
        let _ = writeln!(s, "interface {}", display_name(&i.name));
        if !i.shutdown && !i.is_loopback() {
            s.push_str("    no shutdown\n");
        }
        if i.shutdown && i.is_loopback() {
            s.push_str("    shutdown\n");
        }
        if let Some(d) = &i.description {
            let _ = writeln!(s, "    description {d}");
        }
        if let Some(m) = i.mtu {
            let _ = writeln!(s, "    mtu {m}");
        }
        if let Some((a, l)) = i.ipv4 {
            let _ = writeln!(s, "    ip address {a}/{l}");
        } else if !i.is_loopback() {
            s.push_str("    vlan access 1\n");
        }
    }
    for r in &c.routes {
        let _ = writeln!(s, "ip route {}/{} {}", r.prefix, r.len, r.next_hop);
    }
    s.push_str("!\nhttps-server vrf mgmt\n");
    s
}

fn show_interface(dev: &DeviceState, only: Option<&str>) -> String {
    let mut s = String::new();
    for (idx, i) in dev.running.interfaces.iter().enumerate() {
        if only.is_some_and(|o| o != i.name) {
            continue;
        }
        let (admin, oper) = dev.port_state(&i.name);
        let up = |b: bool| if b { "up" } else { "down" };
        let _ = writeln!(s, "Interface {} is {} ", display_name(&i.name), up(oper));
        let _ = writeln!(s, " Admin state is {}", up(admin));
        if !admin {
            s.push_str(" State information: Administratively down\n");
        }
        let _ = writeln!(
            s,
            " Link state: {} for 12 days (since {})",
            up(oper),
            dev.booted_at.format("%a %b %e %H:%M:%S UTC %Y")
        );
        s.push_str(" Link transitions: 1\n");
        if let Some(d) = &i.description {
            let _ = writeln!(s, " Description: {d}");
        }
        let _ = writeln!(s, " Hardware: Ethernet, MAC Address: {} ", colon_mac(dev.mac(idx + 1)));
        let _ = writeln!(s, " MTU {} ", i.mtu.unwrap_or(1500));
        if let Some((a, l)) = i.ipv4 {
            let _ = writeln!(s, " IPv4 address {a}/{l}");
        }
        if !i.is_loopback() {
            s.push_str(" Type 1GbT\n Full-duplex \n qos trust none\n Speed 1000 Mb/s \n Auto-negotiation is on\n Energy-Efficient Ethernet is disabled\n Flow-control: off \n Error-control: off \n MDI mode: MDIX \n");
            if i.ipv4.is_none() {
                s.push_str(" VLAN Mode: access\n Access VLAN: 1\n");
            }
            s.push_str(" Rate collection interval: 300 seconds\n\n Rate                               RX                   TX        Total (RX+TX)\n ---------------- -------------------- -------------------- --------------------\n Mbits / sec                      0.00                 0.00                 0.00\n KPkts / sec                      0.00                 0.00                 0.00\n   Unicast                        0.00                 0.00                 0.00\n   Multicast                      0.00                 0.00                 0.00\n   Broadcast                      0.00                 0.00                 0.00\n Utilization                      0.00                 0.00                 0.00\n\n Statistic                          RX                   TX                Total\n ---------------- -------------------- -------------------- --------------------\n");
            let (rx, tx) = if oper { (24_612 + dev.index * 17, 39_673 + dev.index * 13) } else { (0, 0) };
            let _ = writeln!(s, " Packets           {rx:>20} {tx:>20} {:>20}", rx + tx);
            let _ = writeln!(s, " Bytes             {:>20} {:>20} {:>20}", rx * 370, tx * 270, rx * 370 + tx * 270);
            s.push_str(" Dropped                             0                    0                    0\n Errors                              0                    0                    0\n   CRC/FCS                           0                  n/a                    0\n");
        }
        s.push('\n');
    }
    s
}

fn ip_int_brief(dev: &DeviceState) -> String {
    let mut s =
        "Interface       IP Address            Interface Status\n                                      link/admin\n"
            .to_owned();
    for i in dev.running.interfaces.iter().filter(|i| i.ipv4.is_some()) {
        let (admin, oper) = dev.port_state(&i.name);
        let addr = i.ipv4.map(|(a, l)| format!("{a}/{l}")).unwrap_or_default();
        let up = |b: bool| if b { "up" } else { "down" };
        let _ = writeln!(s, "{:<16}{:<22}{}/{}", i.name, addr, up(oper), up(admin));
    }
    s
}

fn lldp_detail(dev: &DeviceState) -> String {
    let visible = dev.visible_neighbors();
    let mut s = format!(
        "\nLLDP Neighbor Information\n=========================\nTotal Neighbor Entries          : {}\nTotal Neighbor Entries Deleted  : 0\nTotal Neighbor Entries Dropped  : 0\nTotal Neighbor Entries Aged-Out : 0\n",
        visible.len()
    );
    for n in visible {
        let chassis = colon_mac(super::mac_of(n.peer_index, 0));
        let desc = match n.peer_platform {
            domain::device::Platform::CiscoIos => {
                "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M4"
            }
            domain::device::Platform::ArubaAoscx => "Aruba JL665A 6300F 48G CL4 PoE 4SFP56 Sw FL.10.11.1021",
            domain::device::Platform::JuniperJunos => {
                "Juniper Networks, Inc. vmx internet router, kernel JUNOS 21.4R3-S3.4"
            }
        };
        let caps = if n.peer_platform == domain::device::Platform::ArubaAoscx { "Bridge, Router" } else { "Router" };
        let _ = write!(
            s,
            "--------------------------------------------------------------------------------\nPort                           : {local}\nNeighbor Entries               : 1\nNeighbor Entries Deleted       : 0\nNeighbor Entries Dropped       : 0\nNeighbor Entries Aged-Out      : 0\nNeighbor Chassis-Name          : {name}\nNeighbor Chassis-Description   : {desc}\nNeighbor Chassis-ID            : {chassis}\nNeighbor Management-Address    : {mgmt}\nChassis Capabilities Available : {caps}\nChassis Capabilities Enabled   : {caps}\nNeighbor Port-ID               : {port}\nNeighbor Port-Desc             : {port}\nNeighbor Port VLAN ID          : \nTTL                            : 120\nNeighbor Mac-Phy details\nNeighbor Auto-neg Supported    : true\nNeighbor Auto-Neg Enabled      : true\nNeighbor Auto-Neg Advertised   : 1000 BASE_TFD, 100 BASE_TXFD\nNeighbor MAU type              : 1000 BASET_FD\n",
            local = n.local_port,
            name = n.peer_name,
            mgmt = n.peer_mgmt,
            port = n.peer_port,
        );
    }
    s
}

fn lldp_brief(dev: &DeviceState) -> String {
    let visible = dev.visible_neighbors();
    let mut s = format!("\nLLDP Neighbor Information\n=========================\n\nTotal Neighbor Entries          : {}\nTotal Neighbor Entries Deleted  : 0\nTotal Neighbor Entries Dropped  : 0\nTotal Neighbor Entries Aged-Out : 0\n\nLOCAL-PORT  CHASSIS-ID         PORT-ID                       PORT-DESC                     TTL      SYS-NAME\n--------------------------------------------------------------------------------------------------------------\n", visible.len());
    for n in visible {
        let _ = writeln!(
            s,
            "{:<12}{:<19}{:<30}{:<30}{:<9}{}",
            n.local_port,
            colon_mac(super::mac_of(n.peer_index, 0)),
            n.peer_port,
            n.peer_port,
            120,
            n.peer_name
        );
    }
    s
}

fn resources(dev: &DeviceState) -> String {
    let (five, one, five_min) = dev.cpu_now();
    format!(
        "System Resources:\nProcesses: 78\nCPU usage(%): {five}\nCPU usage 1 min(%): {one}\nCPU usage 5 min(%): {five_min}\nMemory usage(%): 26\nOpen FD's: 2543\n\nProcess         CPU Usage(%)    Memory Usage(%)    Open FD's\n--------------------------------------------------------------\nhpe-routing     {:<16}2                  112\nhpe-sysmond     1               1                  41\n",
        five / 2
    )
}

fn ip_route(dev: &DeviceState) -> String {
    let mut rows: Vec<(String, String, String, &str, &str)> = Vec::new();
    for r in &dev.running.routes {
        rows.push((format!("{}/{}", r.prefix, r.len), r.next_hop.to_string(), "-".to_owned(), "S", "[1/0]"));
    }
    for i in &dev.running.interfaces {
        let Some((a, l)) = i.ipv4 else { continue };
        if !dev.port_state(&i.name).1 {
            continue;
        }
        if l < 32 {
            rows.push((format!("{}/{l}", network_of(a, l)), "-".to_owned(), i.name.clone(), "C", "[0/0]"));
        }
        rows.push((format!("{a}/32"), "-".to_owned(), i.name.clone(), "L", "[0/0]"));
    }
    let mut s = "\nDisplaying ipv4 routes selected for forwarding\n\nOrigin Codes: C - connected, S - static, L - local\n              R - RIP, B - BGP, O - OSPF, D - DHCP\nType Codes:   E - External BGP, I - Internal BGP, V - VPN, EV - EVPN\n              IA - OSPF internal area, E1 - OSPF external type 1\n              E2 - OSPF external type 2\n\nVRF: default\n\nPrefix              Nexthop          Interface     VRF(egress)       Origin/ Distance/    Age\n                                                                     Type    Metric\n-----------------------------------------------------------------------------------------------------\n".to_owned();
    for (p, nh, ifn, code, metric) in &rows {
        let age = if *code == "S" { "12d:05h:17m" } else { "-" };
        let _ = writeln!(s, "{p:<20}{nh:<17}{ifn:<14}{:<18}{code:<8}{metric:<13}{age}", "-");
    }
    let _ = write!(s, "\nTotal Route Count : {}\n", rows.len());
    let _ = Utc::now();
    s
}

#[cfg(test)]
mod tests {
    use super::super::testing::{builtin_states, by_name, run};
    use super::*;

    #[test]
    fn netmiko_flow_config_change_and_save() {
        let states = builtin_states();
        let dev = by_name(&states, "SW1");
        let mut cli = AoscxCli::new(Arc::clone(&dev));
        assert_eq!(cli.prompt(), "SW1# ");
        assert!(cli.input("no page").output.is_empty());
        run(&mut cli, &["configure term", "interface 1/1/1"]);
        assert_eq!(cli.prompt(), "SW1(config-if)# ");
        cli.input("description to R15 Gi0/3");
        cli.input("exit");
        assert_eq!(cli.prompt(), "SW1(config)# ");
        cli.input("end");
        let running = cli.input("show running-config").output;
        assert!(running.contains("interface 1/1/1\n    no shutdown\n    description to R15 Gi0/3\n"), "{running}");
        assert!(!cli.input("show startup-config").output.contains("to R15 Gi0/3"));
        assert_eq!(cli.input("copy running-config startup-config").output, "Copying configuration: [Success]\n");
        assert!(cli.input("show startup-config").output.contains("description to R15 Gi0/3"));
        assert_eq!(cli.input("show bogus").output, "Invalid input: bogus\n");
    }

    #[test]
    fn lldp_and_status_follow_shutdown() {
        let states = builtin_states();
        let mut cli = AoscxCli::new(by_name(&states, "SW1"));
        let lldp = cli.input("show lldp neighbor-info detail").output;
        assert!(lldp.contains("Port                           : 1/1/1\n"));
        assert!(lldp.contains("Neighbor Chassis-Name          : R15\n"));
        assert!(lldp.contains("Neighbor Port-ID               : GigabitEthernet0/3\n"));
        run(&mut cli, &["configure terminal", "interface 1/1/1", "shutdown", "end"]);
        assert!(!cli.input("show lldp neighbor-info detail").output.contains("R15"));
        assert!(cli
            .input("show interface 1/1/1")
            .output
            .starts_with("Interface 1/1/1 is down \n Admin state is down\n"));
        assert!(cli.input("show system").output.contains("CPU Util (%)       : 7"));
    }
}

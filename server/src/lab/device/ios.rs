//! Cisco IOS CLI: user EXEC, privileged EXEC, global and interface configuration modes.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use domain::device::Platform;

use super::{
    apply_pipe, len_of_mask, lock, mask_of, network_of, resolve, split_pipe, uptime_words, Cli, Config, DeviceState,
    Iface, Match, Reply, StaticRoute,
};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    User,
    Enabled,
    EnablePassword { tries: u8 },
    CopyDestination,
    Config,
    ConfigIf(String),
}

pub struct IosCli {
    device: Arc<Mutex<DeviceState>>,
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exec {
    Version,
    Running,
    RunningIf,
    Startup,
    IpIntBrief,
    Interfaces,
    Cpu,
    CdpDetail,
    Cdp,
    LldpDetail,
    Lldp,
    IpRoute,
    Bgp,
    Inventory,
    Clock,
    TermLength,
    TermWidth,
    Enable,
    Disable,
    Configure,
    ConfigureTerminal,
    WriteMemory,
    Write,
    CopyRunStart,
    Exit,
}

const EXEC: &[(&[&str], Exec)] = &[
    (&["show", "version"], Exec::Version),
    (&["show", "running-config"], Exec::Running),
    (&["show", "running-config", "interface"], Exec::RunningIf),
    (&["show", "startup-config"], Exec::Startup),
    (&["show", "ip", "interface", "brief"], Exec::IpIntBrief),
    (&["show", "interfaces"], Exec::Interfaces),
    (&["show", "processes", "cpu"], Exec::Cpu),
    (&["show", "cdp", "neighbors", "detail"], Exec::CdpDetail),
    (&["show", "cdp", "neighbors"], Exec::Cdp),
    (&["show", "lldp", "neighbors", "detail"], Exec::LldpDetail),
    (&["show", "lldp", "neighbors"], Exec::Lldp),
    (&["show", "ip", "route"], Exec::IpRoute),
    (&["show", "ip", "bgp", "summary"], Exec::Bgp),
    (&["show", "inventory"], Exec::Inventory),
    (&["show", "clock"], Exec::Clock),
    (&["terminal", "length"], Exec::TermLength),
    (&["terminal", "width"], Exec::TermWidth),
    (&["enable"], Exec::Enable),
    (&["disable"], Exec::Disable),
    (&["configure"], Exec::Configure),
    (&["configure", "terminal"], Exec::ConfigureTerminal),
    (&["write"], Exec::Write),
    (&["write", "memory"], Exec::WriteMemory),
    (&["copy", "running-config", "startup-config"], Exec::CopyRunStart),
    (&["exit"], Exec::Exit),
    (&["logout"], Exec::Exit),
    (&["quit"], Exec::Exit),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conf {
    Hostname,
    Interface,
    NtpServer,
    SnmpCommunity,
    LoggingHost,
    Logging,
    Username,
    IpRoute,
    Banner,
    EnableSecret,
    Do,
    End,
    Exit,
    // Interface sub-mode.
    Description,
    Shutdown,
    IpAddress,
    Mtu,
}

const GLOBAL: &[(&[&str], Conf)] = &[
    (&["hostname"], Conf::Hostname),
    (&["interface"], Conf::Interface),
    (&["ntp", "server"], Conf::NtpServer),
    (&["snmp-server", "community"], Conf::SnmpCommunity),
    (&["logging", "host"], Conf::LoggingHost),
    (&["logging"], Conf::Logging),
    (&["username"], Conf::Username),
    (&["ip", "route"], Conf::IpRoute),
    (&["banner", "motd"], Conf::Banner),
    (&["enable", "secret"], Conf::EnableSecret),
    (&["do"], Conf::Do),
    (&["end"], Conf::End),
    (&["exit"], Conf::Exit),
];

const IFACE: &[(&[&str], Conf)] = &[
    (&["description"], Conf::Description),
    (&["shutdown"], Conf::Shutdown),
    (&["ip", "address"], Conf::IpAddress),
    (&["mtu"], Conf::Mtu),
    (&["exit"], Conf::Exit),
    (&["end"], Conf::End),
    (&["do"], Conf::Do),
];

const INVALID: &str = "% Invalid input detected at '^' marker.\n";

/// Byte offset of word `n` of `line` (words split on whitespace).
fn word_offset(line: &str, n: usize) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            in_word = false;
        } else if !in_word {
            if count == n {
                return i;
            }
            count += 1;
            in_word = true;
        }
    }
    line.len()
}

/// The words of `line` from word `n` on, as typed (for descriptions).
fn rest_of(line: &str, n: usize) -> &str {
    line[word_offset(line, n)..].trim_end()
}

impl IosCli {
    #[must_use]
    pub fn new(device: Arc<Mutex<DeviceState>>, privileged: bool) -> Self {
        Self { device, mode: if privileged { Mode::Enabled } else { Mode::User } }
    }

    fn invalid_at(&self, line: &str, word: usize) -> Reply {
        let col = self.prompt().len() + word_offset(line, word);
        Reply::text(format!("{}^\n{INVALID}\n", " ".repeat(col)))
    }

    /// `do <command>` from a configuration mode: runs an exec command and stays in the mode,
    /// unless the command itself left it.
    fn do_exec(&mut self, command: &str) -> Reply {
        let saved = self.mode.clone();
        self.mode = Mode::Enabled;
        let reply = self.exec(command);
        if matches!(self.mode, Mode::Enabled) {
            self.mode = saved;
        }
        reply
    }

    fn exec(&mut self, line: &str) -> Reply {
        let (cmd, pipe) = split_pipe(line);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.is_empty() {
            return Reply::empty();
        }
        let privileged = !matches!(self.mode, Mode::User);
        let found = match resolve(EXEC, &words) {
            Match::Found(c, at) => (c, at),
            Match::Invalid(n) => return self.invalid_at(line, n),
            Match::Ambiguous => return Reply::text(format!("% Ambiguous command:  \"{cmd}\"\n")),
            Match::Incomplete => return Reply::text("% Incomplete command.\n\n"),
        };
        let (c, at) = found;
        let needs_enable = matches!(
            c,
            Exec::Running
                | Exec::RunningIf
                | Exec::Startup
                | Exec::Configure
                | Exec::ConfigureTerminal
                | Exec::Write
                | Exec::WriteMemory
                | Exec::CopyRunStart
        );
        if needs_enable && !privileged {
            return self.invalid_at(line, 0);
        }
        let args = &words[at..];
        let takes_args = matches!(c, Exec::TermLength | Exec::TermWidth | Exec::RunningIf | Exec::Interfaces);
        if !takes_args && !args.is_empty() {
            return self.invalid_at(line, at);
        }
        let dev = lock(&self.device);
        let out = match c {
            Exec::Version => show_version(&dev),
            Exec::Running => show_running(&dev),
            Exec::RunningIf => {
                let Some(name) = args.first().and_then(|a| canonical_iface(&dev.running, a)) else {
                    drop(dev);
                    return self.invalid_at(line, at);
                };
                running_interface(&dev, &name)
            }
            Exec::Startup => show_startup(&dev),
            Exec::IpIntBrief => ip_int_brief(&dev),
            Exec::Interfaces => {
                let only = match args.first() {
                    Some(a) => match canonical_iface(&dev.running, a) {
                        Some(n) => Some(n),
                        None => {
                            drop(dev);
                            return self.invalid_at(line, at);
                        }
                    },
                    None => None,
                };
                show_interfaces(&dev, only.as_deref())
            }
            Exec::Cpu => show_cpu(&dev),
            Exec::CdpDetail => cdp_detail(&dev),
            Exec::Cdp => cdp_brief(&dev),
            Exec::LldpDetail => lldp_detail(&dev),
            Exec::Lldp => lldp_brief(&dev),
            Exec::IpRoute => show_ip_route(&dev),
            Exec::Bgp => bgp_summary(&dev),
            Exec::Inventory => inventory(&dev),
            Exec::Clock => format!("*{}\n", clock(Utc::now())),
            Exec::TermLength | Exec::TermWidth => {
                if args.len() != 1 || args[0].parse::<u32>().is_err() {
                    drop(dev);
                    return self.invalid_at(line, at + 1);
                }
                String::new()
            }
            Exec::Enable => {
                if privileged {
                    String::new()
                } else {
                    drop(dev);
                    self.mode = Mode::EnablePassword { tries: 0 };
                    return Reply::empty();
                }
            }
            Exec::Disable => {
                self.mode = Mode::User;
                String::new()
            }
            Exec::Configure | Exec::ConfigureTerminal => {
                self.mode = Mode::Config;
                "Enter configuration commands, one per line.  End with CNTL/Z.\n".to_owned()
            }
            Exec::Write | Exec::WriteMemory => {
                drop(dev);
                lock(&self.device).save();
                return Reply::text("Building configuration...\n[OK]\n");
            }
            Exec::CopyRunStart => {
                self.mode = Mode::CopyDestination;
                return Reply::empty();
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
        let (negate, skip) = match words.first() {
            Some(w) if w.eq_ignore_ascii_case("no") => (true, 1),
            _ => (false, 0),
        };
        let body = &words[skip..];
        if body.is_empty() {
            return Reply::text("% Incomplete command.\n\n");
        }
        if let Mode::ConfigIf(name) = self.mode.clone() {
            match resolve(IFACE, body) {
                Match::Found(c, at) => return self.iface_command(line, &name, c, negate, skip + at),
                Match::Ambiguous => return Reply::text(format!("% Ambiguous command:  \"{}\"\n", line.trim())),
                // Not an interface command: IOS tries it as a global one and leaves the sub-mode.
                Match::Invalid(_) | Match::Incomplete => {}
            }
        }
        match resolve(GLOBAL, body) {
            Match::Found(c, at) => self.global_command(line, c, negate, skip + at),
            Match::Invalid(n) => self.invalid_at(line, skip + n),
            Match::Ambiguous => Reply::text(format!("% Ambiguous command:  \"{}\"\n", line.trim())),
            Match::Incomplete => Reply::text("% Incomplete command.\n\n"),
        }
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

    fn global_command(&mut self, line: &str, c: Conf, negate: bool, at: usize) -> Reply {
        let words: Vec<&str> = line.split_whitespace().collect();
        let args = &words[at..];
        let arg = |i: usize| args.get(i).copied();
        let ok = match c {
            Conf::End => {
                self.mode = Mode::Enabled;
                return Reply::empty();
            }
            Conf::Exit => {
                self.mode = match self.mode {
                    Mode::ConfigIf(_) => Mode::Config,
                    _ => Mode::Enabled,
                };
                return Reply::empty();
            }
            Conf::Do => return self.do_exec(rest_of(line, at)),
            Conf::Hostname => match arg(0) {
                Some(h) if !negate && args.len() == 1 => self.edit(|c| {
                    c.hostname = h.to_owned();
                    true
                }),
                None if negate => self.edit(|c| {
                    c.hostname = "Router".to_owned();
                    true
                }),
                _ => false,
            },
            Conf::Interface => {
                let dev = lock(&self.device);
                let name = arg(0).and_then(|a| {
                    let joined = args.concat();
                    canonical_iface(&dev.running, a).or_else(|| canonical_iface(&dev.running, &joined))
                });
                let new_loopback = arg(0).and_then(new_loopback_name);
                drop(dev);
                match (name, new_loopback, negate) {
                    (Some(n), _, false) => {
                        self.mode = Mode::ConfigIf(n);
                        return Reply::empty();
                    }
                    (None, Some(n), false) => {
                        self.edit(|c| {
                            c.interfaces.push(Iface::new(&n));
                            true
                        });
                        self.mode = Mode::ConfigIf(n);
                        return Reply::empty();
                    }
                    (Some(n), _, true) if n.starts_with("Loopback") && n != "Loopback0" => self.edit(|c| {
                        c.interfaces.retain(|i| i.name != n);
                        true
                    }),
                    _ => false,
                }
            }
            Conf::NtpServer => match arg(0) {
                Some(s) if s.parse::<Ipv4Addr>().is_ok() || s.contains('.') => self.edit(|c| {
                    c.ntp_servers.retain(|x| x != s);
                    if !negate {
                        c.ntp_servers.push(s.to_owned());
                    }
                    true
                }),
                _ => false,
            },
            Conf::SnmpCommunity => match arg(0) {
                Some(name) => {
                    let access = match arg(1).map(str::to_ascii_uppercase).as_deref() {
                        None | Some("RO") => "RO",
                        Some("RW") => "RW",
                        Some(_) => return self.invalid_at(line, at + 1),
                    };
                    self.edit(|c| {
                        c.snmp_communities.retain(|(n, _)| n != name);
                        if !negate {
                            c.snmp_communities.push((name.to_owned(), access.to_owned()));
                        }
                        true
                    })
                }
                None => false,
            },
            Conf::LoggingHost | Conf::Logging => match arg(0) {
                Some(h) if h.parse::<Ipv4Addr>().is_ok() => self.edit(|c| {
                    c.logging_hosts.retain(|x| x != h);
                    if !negate {
                        c.logging_hosts.push(h.to_owned());
                    }
                    true
                }),
                _ => false,
            },
            Conf::Username => match (arg(0), negate) {
                (Some(name), true) => self.edit(|c| {
                    c.users.retain(|(n, _)| n != name);
                    true
                }),
                (Some(name), false) => {
                    // username NAME [privilege N] secret [0|5|9] SECRET
                    let Some(pos) = args
                        .iter()
                        .position(|w| w.eq_ignore_ascii_case("secret") || w.eq_ignore_ascii_case("password"))
                    else {
                        return self.invalid_at(line, at + 1);
                    };
                    let rest = &args[pos + 1..];
                    let secret = match rest {
                        [s] => super::secret_hash(s),
                        [t, s] if *t == "0" => super::secret_hash(s),
                        [_, s] => (*s).to_owned(),
                        _ => return Reply::text("% Incomplete command.\n\n"),
                    };
                    self.edit(|c| {
                        if let Some(u) = c.users.iter_mut().find(|(n, _)| n == name) {
                            u.1 = secret;
                        } else {
                            c.users.push((name.to_owned(), secret));
                        }
                        true
                    })
                }
                _ => false,
            },
            Conf::IpRoute => {
                let parsed = (|| {
                    let p: Ipv4Addr = arg(0)?.parse().ok()?;
                    let len = len_of_mask(arg(1)?.parse().ok()?)?;
                    let nh: Ipv4Addr = arg(2)?.parse().ok()?;
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
                    None => {
                        let bad = (0..3).find(|&i| arg(i).is_none_or(|a| a.parse::<Ipv4Addr>().is_err()));
                        return match bad {
                            Some(i) if arg(i).is_none() => Reply::text("% Incomplete command.\n\n"),
                            Some(i) => self.invalid_at(line, at + i),
                            None => self.invalid_at(line, at + 1),
                        };
                    }
                }
            }
            Conf::Banner => {
                let text = rest_of(line, at);
                if negate {
                    self.edit(|c| {
                        c.banner = None;
                        true
                    })
                } else {
                    // Single-line form: banner motd ^CTEXT^C or #TEXT#.
                    let mut chars = text.chars();
                    let Some(delim) = chars.next() else { return Reply::text("% Incomplete command.\n\n") };
                    let inner: String = chars.collect();
                    let body = inner.split(delim).next().unwrap_or("").to_owned();
                    self.edit(|c| {
                        c.banner = Some(body);
                        true
                    })
                }
            }
            Conf::EnableSecret => match args.last() {
                Some(s) if !negate => {
                    let s = (*s).to_owned();
                    lock(&self.device).enable_secret = s;
                    true
                }
                _ => false,
            },
            Conf::Description | Conf::Shutdown | Conf::IpAddress | Conf::Mtu => false,
        };
        if ok {
            if let Mode::ConfigIf(_) = self.mode {
                self.mode = Mode::Config;
            }
            Reply::empty()
        } else {
            self.invalid_at(line, at.min(words.len()))
        }
    }

    fn iface_command(&mut self, line: &str, name: &str, c: Conf, negate: bool, at: usize) -> Reply {
        let words: Vec<&str> = line.split_whitespace().collect();
        let args = &words[at..];
        let ok = match c {
            Conf::Exit => {
                self.mode = Mode::Config;
                return Reply::empty();
            }
            Conf::End => {
                self.mode = Mode::Enabled;
                return Reply::empty();
            }
            Conf::Do => return self.do_exec(rest_of(line, at)),
            Conf::Description => {
                let text = rest_of(line, at).to_owned();
                if !negate && text.is_empty() {
                    return Reply::text("% Incomplete command.\n\n");
                }
                self.edit(|c| {
                    c.iface_mut(name).is_some_and(|i| {
                        i.description = (!negate).then_some(text);
                        true
                    })
                })
            }
            Conf::Shutdown if args.is_empty() => self.edit(|c| {
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
                    let addr = args.first().and_then(|a| a.parse::<Ipv4Addr>().ok());
                    let len = args.get(1).and_then(|m| m.parse::<Ipv4Addr>().ok()).and_then(len_of_mask);
                    match (addr, len) {
                        (Some(a), Some(l)) if args.len() == 2 => self.edit(|c| {
                            c.iface_mut(name).is_some_and(|i| {
                                i.ipv4 = Some((a, l));
                                true
                            })
                        }),
                        (None, _) if args.is_empty() => return Reply::text("% Incomplete command.\n\n"),
                        (None, _) => return self.invalid_at(line, at),
                        (Some(_), None) if args.len() == 1 => return Reply::text("% Incomplete command.\n\n"),
                        _ => return self.invalid_at(line, at + 1),
                    }
                }
            }
            Conf::Mtu => {
                let mtu = args.first().and_then(|m| m.parse::<u32>().ok()).filter(|m| (64..=9216).contains(m));
                match (negate, mtu) {
                    (true, _) => self.edit(|c| {
                        c.iface_mut(name).is_some_and(|i| {
                            i.mtu = None;
                            true
                        })
                    }),
                    (false, Some(m)) => self.edit(|c| {
                        c.iface_mut(name).is_some_and(|i| {
                            i.mtu = Some(m);
                            true
                        })
                    }),
                    (false, None) => return self.invalid_at(line, at),
                }
            }
            _ => false,
        };
        if ok {
            Reply::empty()
        } else {
            self.invalid_at(line, at)
        }
    }
}

impl Cli for IosCli {
    fn prompt(&self) -> String {
        let host = lock(&self.device).running.hostname.clone();
        match &self.mode {
            Mode::User => format!("{host}>"),
            Mode::Enabled => format!("{host}#"),
            Mode::EnablePassword { .. } => "Password: ".to_owned(),
            Mode::CopyDestination => "Destination filename [startup-config]? ".to_owned(),
            Mode::Config => format!("{host}(config)#"),
            Mode::ConfigIf(_) => format!("{host}(config-if)#"),
        }
    }

    fn echo(&self) -> bool {
        !matches!(self.mode, Mode::EnablePassword { .. })
    }

    fn input(&mut self, line: &str) -> Reply {
        let line = line.trim_end_matches(['\r', '\n']);
        match self.mode.clone() {
            Mode::EnablePassword { tries } => {
                let ok = lock(&self.device).enable_secret == line;
                if ok {
                    self.mode = Mode::Enabled;
                    Reply::empty()
                } else if tries >= 2 {
                    self.mode = Mode::User;
                    Reply::text("% Bad secrets\n\n")
                } else {
                    self.mode = Mode::EnablePassword { tries: tries + 1 };
                    Reply::text("% Access denied\n\n")
                }
            }
            Mode::CopyDestination => {
                self.mode = Mode::Enabled;
                let dest = line.trim();
                if dest.is_empty() || dest.eq_ignore_ascii_case("startup-config") {
                    lock(&self.device).save();
                    Reply::text("Building configuration...\n[OK]\n")
                } else {
                    Reply::text("%Error opening (Permission denied)\n")
                }
            }
            Mode::User | Mode::Enabled => self.exec(line),
            Mode::Config | Mode::ConfigIf(_) => {
                if line.trim() == "\u{1a}" {
                    self.mode = Mode::Enabled;
                    return Reply::empty();
                }
                self.configure(line)
            }
        }
    }
}

/// Resolves `gi0/1`, `Gig 0/1`, `GigabitEthernet0/1`, `lo0` to an existing interface name.
fn canonical_iface(config: &Config, typed: &str) -> Option<String> {
    let typed = typed.trim();
    let split = typed.find(|c: char| c.is_ascii_digit())?;
    let (kind, num) = typed.split_at(split);
    let kind = kind.trim().to_ascii_lowercase();
    if kind.is_empty() {
        return None;
    }
    config
        .interfaces
        .iter()
        .find(|i| {
            let s = i.name.find(|c: char| c.is_ascii_digit()).unwrap_or(i.name.len());
            let (ik, inum) = i.name.split_at(s);
            ik.to_ascii_lowercase().starts_with(&kind) && inum == num
        })
        .map(|i| i.name.clone())
}

fn new_loopback_name(typed: &str) -> Option<String> {
    let split = typed.find(|c: char| c.is_ascii_digit())?;
    let (kind, num) = typed.split_at(split);
    let kind = kind.to_ascii_lowercase();
    (kind.len() >= 2 && "loopback".starts_with(&kind) && num.parse::<u16>().is_ok()).then(|| format!("Loopback{num}"))
}

fn short_iface(name: &str) -> String {
    for (long, short) in [("GigabitEthernet", "Gi"), ("Loopback", "Lo"), ("FastEthernet", "Fa")] {
        if let Some(rest) = name.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    name.to_owned()
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S%.3f UTC %a %b %-d %Y").to_string()
}

fn change_stamp(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S UTC %a %b %-d %Y").to_string()
}

/// The configuration text after the volatile header lines.
#[must_use]
pub fn config_body(dev: &DeviceState, c: &Config) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "version 15.9\nservice timestamps debug datetime msec\nservice timestamps log datetime msec\n\
         no service password-encryption\n!\nhostname {}\n!\nboot-start-marker\nboot-end-marker\n!\n!\n\
         enable secret 9 {}\n!\nno aaa new-model\n!\n!\nip domain name lab.netledger\nip cef\nno ipv6 cef\n!\n",
        c.hostname,
        super::secret_hash(&dev.enable_secret)
    );
    for (name, secret) in &c.users {
        let _ = writeln!(s, "username {name} privilege 15 secret 9 {secret}");
    }
    s.push_str("!\n");
    for i in &c.interfaces {
        let _ = writeln!(s, "interface {}", i.name);
        if let Some(d) = &i.description {
            let _ = writeln!(s, " description {d}");
        }
        if let Some(m) = i.mtu {
            let _ = writeln!(s, " mtu {m}");
        }
        match i.ipv4 {
            Some((a, l)) => {
                let _ = writeln!(s, " ip address {a} {}", mask_of(l));
            }
            None => s.push_str(" no ip address\n"),
        }
        if i.shutdown {
            s.push_str(" shutdown\n");
        }
        if !i.is_loopback() {
            s.push_str(" duplex auto\n speed auto\n media-type rj45\n");
        }
        s.push_str("!\n");
    }
    if let (Some(asn), false) = (dev.asn, dev.neighbors.is_empty()) {
        let _ = writeln!(s, "router bgp {asn}");
        let _ = writeln!(s, " bgp log-neighbor-changes");
        for n in dev.neighbors.iter().filter(|n| n.peer_asn.is_some()) {
            if let (Some(ip), Some(pa)) = (n.peer_ip, n.peer_asn) {
                let _ = writeln!(s, " neighbor {ip} remote-as {pa}");
            }
        }
        s.push_str("!\n");
    }
    s.push_str("ip forward-protocol nd\n!\nno ip http server\nno ip http secure-server\n");
    for r in &c.routes {
        let _ = writeln!(s, "ip route {} {} {}", r.prefix, mask_of(r.len), r.next_hop);
    }
    s.push_str("ip ssh version 2\n!\n");
    for h in &c.logging_hosts {
        let _ = writeln!(s, "logging host {h}");
    }
    s.push_str("!\n");
    for (name, access) in &c.snmp_communities {
        let _ = writeln!(s, "snmp-server community {name} {access}");
    }
    s.push_str("!\ncontrol-plane\n!\n");
    if let Some(b) = &c.banner {
        let _ = writeln!(s, "banner motd ^C{b}^C");
    }
    s.push_str("!\nline con 0\nline aux 0\nline vty 0 4\n login local\n transport input ssh\n!\n");
    for n in &c.ntp_servers {
        let _ = writeln!(s, "ntp server {n}");
    }
    s.push_str("!\nend\n");
    s
}

#[must_use]
pub fn show_running(dev: &DeviceState) -> String {
    let body = format!(
        "!\n! Last configuration change at {} by {}\n!\n{}",
        change_stamp(dev.changed_at),
        dev.username,
        config_body(dev, &dev.running)
    );
    format!("Building configuration...\n\nCurrent configuration : {} bytes\n{body}", body.len())
}

#[must_use]
pub fn show_startup(dev: &DeviceState) -> String {
    let body = format!(
        "!\n! Last configuration change at {} by {}\n! NVRAM config last updated at {} by {}\n!\n{}",
        change_stamp(dev.changed_at),
        dev.username,
        change_stamp(dev.saved_at),
        dev.username,
        config_body(dev, &dev.startup)
    );
    format!("Using {} out of 262144 bytes\n{body}", body.len())
}

fn running_interface(dev: &DeviceState, name: &str) -> String {
    let full = config_body(dev, &dev.running);
    let header = format!("interface {name}\n");
    let block: String = full.split_inclusive('\n').skip_while(|l| *l != header).take_while(|l| *l != "!\n").collect();
    format!("Building configuration...\n\nCurrent configuration : {} bytes\n!\n{block}end\n", block.len() + 6)
}

fn show_version(dev: &DeviceState) -> String {
    let phys = dev.running.interfaces.iter().filter(|i| !i.is_loopback()).count();
    format!(
        "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M4, RELEASE SOFTWARE (fc3)\n\
Technical Support: http://www.cisco.com/techsupport\n\
Copyright (c) 1986-2021 by Cisco Systems, Inc.\n\
Compiled Thu 28-Oct-21 14:12 by prod_rel_team\n\
\n\
\n\
ROM: Bootstrap program is IOSv\n\
\n\
{host} uptime is {up}\n\
System returned to ROM by reload\n\
System restarted at {restarted}\n\
System image file is \"flash0:/vios-adventerprisek9-m\"\n\
Last reload reason: Unknown reason\n\
\n\
\n\
\n\
This product contains cryptographic features and is subject to United\n\
States and local country laws governing import, export, transfer and\n\
use. Delivery of Cisco cryptographic products does not imply\n\
third-party authority to import, export, distribute or use encryption.\n\
\n\
Cisco IOSv (revision 1.0) with  with 460137K/62464K bytes of memory.\n\
Processor board ID {serial}\n\
{phys} Gigabit Ethernet interfaces\n\
DRAM configuration is 72 bits wide with parity disabled.\n\
256K bytes of non-volatile configuration memory.\n\
2097152K bytes of ATA System CompactFlash 0 (Read/Write)\n\
0K bytes of ATA CompactFlash 1 (Read/Write)\n\
\n\
Configuration register is 0x0\n",
        host = dev.running.hostname,
        up = uptime_words(dev.uptime()),
        restarted = dev.booted_at.format("%H:%M:%S UTC %a %b %-d %Y"),
        serial = dev.serial(),
    )
}

fn ip_int_brief(dev: &DeviceState) -> String {
    let mut s = "Interface                  IP-Address      OK? Method Status                Protocol\n".to_owned();
    for i in &dev.running.interfaces {
        let (admin, oper) = dev.port_state(&i.name);
        let addr = i.ipv4.map_or_else(|| "unassigned".to_owned(), |(a, _)| a.to_string());
        let method = match (i.ipv4, dev.startup.iface(&i.name).and_then(|x| x.ipv4)) {
            (None, _) => "unset",
            (a, b) if a == b => "NVRAM",
            _ => "manual",
        };
        let status = if !admin {
            "administratively down"
        } else if oper {
            "up"
        } else {
            "down"
        };
        let _ = writeln!(
            s,
            "{:<27}{:<16}YES {:<7}{:<22}{}",
            i.name,
            addr,
            method,
            status,
            if oper { "up" } else { "down" }
        );
    }
    s
}

fn mac_dotted(m: [u8; 6]) -> String {
    format!("{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

fn show_interfaces(dev: &DeviceState, only: Option<&str>) -> String {
    let mut s = String::new();
    for (idx, i) in dev.running.interfaces.iter().enumerate() {
        if only.is_some_and(|o| o != i.name) {
            continue;
        }
        let (admin, oper) = dev.port_state(&i.name);
        let state = if !admin {
            "administratively down"
        } else if oper {
            "up"
        } else {
            "down"
        };
        let _ = writeln!(s, "{} is {state}, line protocol is {} ", i.name, if oper { "up" } else { "down" });
        let mac = mac_dotted(dev.mac(idx + 1));
        if i.is_loopback() {
            s.push_str("  Hardware is Loopback\n");
        } else {
            let _ = writeln!(s, "  Hardware is iGbE, address is {mac} (bia {mac})");
        }
        if let Some(d) = &i.description {
            let _ = writeln!(s, "  Description: {d}");
        }
        if let Some((a, l)) = i.ipv4 {
            let _ = writeln!(s, "  Internet address is {a}/{l}");
        }
        let mtu = i.mtu.unwrap_or(if i.is_loopback() { 1514 } else { 1500 });
        if i.is_loopback() {
            let _ = writeln!(s, "  MTU {mtu} bytes, BW 8000000 Kbit/sec, DLY 5000 usec,");
            s.push_str(
                "     reliability 255/255, txload 1/255, rxload 1/255\n  Encapsulation LOOPBACK, loopback not set\n",
            );
            s.push_str("  Keepalive set (10 sec)\n");
        } else {
            let _ = writeln!(s, "  MTU {mtu} bytes, BW 1000000 Kbit/sec, DLY 10 usec,");
            s.push_str(
                "     reliability 255/255, txload 1/255, rxload 1/255\n  Encapsulation ARPA, loopback not set\n  Keepalive set (10 sec)\n  Full Duplex, 1000Mbps, link type is auto, media type is RJ45\n  output flow-control is unsupported, input flow-control is unsupported\n  ARP type: ARPA, ARP Timeout 04:00:00\n",
            );
        }
        let seed = (dev.index * 31 + idx * 7) as u64;
        let (pin, pout) = if oper { (10_000 + seed * 13, 12_000 + seed * 11) } else { (0, 0) };
        s.push_str("  Last input 00:00:01, output 00:00:02, output hang never\n  Last clearing of \"show interface\" counters never\n  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0\n  Queueing strategy: fifo\n  Output queue: 0/40 (size/max)\n");
        let _ = writeln!(
            s,
            "  5 minute input rate {} bits/sec, {} packets/sec",
            if oper { 2000 } else { 0 },
            u8::from(oper) * 2
        );
        let _ = writeln!(
            s,
            "  5 minute output rate {} bits/sec, {} packets/sec",
            if oper { 1000 } else { 0 },
            u8::from(oper)
        );
        let _ = writeln!(s, "     {pin} packets input, {} bytes, 0 no buffer", pin * 96);
        s.push_str("     Received 0 broadcasts (0 IP multicasts)\n     0 runts, 0 giants, 0 throttles\n     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n     0 watchdog, 0 multicast, 0 pause input\n");
        let _ = writeln!(s, "     {pout} packets output, {} bytes, 0 underruns", pout * 88);
        s.push_str("     0 output errors, 0 collisions, 1 interface resets\n     0 unknown protocol drops\n     0 babbles, 0 late collision, 0 deferred\n     0 lost carrier, 0 no carrier, 0 pause output\n     0 output buffer failures, 0 output buffers swapped out\n");
    }
    s
}

fn show_cpu(dev: &DeviceState) -> String {
    let (five, one, five_min) = dev.cpu_now();
    let intr = five / 10;
    let mut s =
        format!("CPU utilization for five seconds: {five}%/{intr}%; one minute: {one}%; five minutes: {five_min}%\n");
    s.push_str(" PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process \n");
    let procs = [
        "Chunk Manager",
        "Load Meter",
        "Check heaps",
        "Pool Manager",
        "Timers",
        "ARP Input",
        "IP Input",
        "SSH Process",
        "BGP Router",
        "CDP Protocol",
        "LLDP Protocol",
    ];
    for (pid, name) in procs.iter().enumerate() {
        let share = if *name == "IP Input" {
            f64::from(five) * 0.6
        } else if *name == "SSH Process" {
            f64::from(five) * 0.2
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "{:>4}{:>12}{:>12}{:>11}{:>6.2}%{:>6.2}%{:>6.2}%{:>4} {name} ",
            pid + 1,
            (pid + 1) * 1234,
            (pid + 1) * 777,
            1588,
            share,
            share,
            share,
            0
        );
    }
    s
}

fn platform_string(p: Platform) -> (&'static str, &'static str) {
    match p {
        Platform::CiscoIos => ("Cisco IOSv", "Router"),
        Platform::ArubaAoscx => ("Aruba JL665A 6300F 48G CL4 PoE 4SFP56 Sw", "Switch"),
        Platform::JuniperJunos => ("Juniper Networks vMX", "Router"),
    }
}

fn version_text(p: Platform) -> &'static str {
    match p {
        Platform::CiscoIos => "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M4, RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport\nCopyright (c) 1986-2021 by Cisco Systems, Inc.\nCompiled Thu 28-Oct-21 14:12 by prod_rel_team",
        Platform::ArubaAoscx => "ArubaOS-CX FL.10.11.1021",
        Platform::JuniperJunos => "Juniper Networks, Inc. vmx internet router, kernel JUNOS 21.4R3-S3.4",
    }
}

fn cdp_detail(dev: &DeviceState) -> String {
    let mut s = String::new();
    for n in dev.visible_neighbors() {
        let (model, caps) = platform_string(n.peer_platform);
        let caps = if caps == "Router" { "Router Source-Route-Bridge" } else { "Switch IGMP" };
        let _ = write!(
            s,
            "-------------------------\nDevice ID: {name}\nEntry address(es): \n  IP address: {mgmt}\nPlatform: {model},  Capabilities: {caps} \nInterface: {local},  Port ID (outgoing port): {remote}\nHoldtime : 157 sec\n\nVersion :\n{version}\n\nadvertisement version: 2\nDuplex: full\nManagement address(es): \n  IP address: {mgmt}\n\n",
            name = n.peer_name,
            mgmt = n.peer_mgmt,
            local = n.local_port,
            remote = n.peer_port,
            version = version_text(n.peer_platform),
        );
    }
    let _ = write!(s, "\nTotal cdp entries displayed : {}\n", dev.visible_neighbors().len());
    s
}

fn cdp_brief(dev: &DeviceState) -> String {
    let mut s = "Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge\n                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone, \n                  D - Remote, C - CVTA, M - Two-port Mac Relay \n\nDevice ID        Local Intrfce     Holdtme    Capability  Platform  Port ID\n".to_owned();
    for n in dev.visible_neighbors() {
        let caps = if platform_string(n.peer_platform).1 == "Router" { "R B" } else { "S I" };
        let _ = writeln!(
            s,
            "{:<17}{:<18}{:<11}{:<12}{:<10}{}",
            n.peer_name,
            short_iface(&n.local_port),
            "157",
            caps,
            "",
            short_iface(&n.peer_port)
        );
    }
    let _ = write!(s, "\nTotal cdp entries displayed : {}\n", dev.visible_neighbors().len());
    s
}

fn lldp_detail(dev: &DeviceState) -> String {
    let mut s = String::new();
    let visible = dev.visible_neighbors();
    for n in &visible {
        let m = super::mac_of(n.peer_index, 0);
        let caps = if platform_string(n.peer_platform).1 == "Router" { "B,R" } else { "B" };
        let enabled = if caps == "B,R" { "R" } else { "B" };
        let _ = write!(
            s,
            "------------------------------------------------\nLocal Intf: {local}\nChassis id: {chassis}\nPort id: {remote}\nPort Description: {remote}\nSystem Name: {name}\n\nSystem Description: \n{version}\n\nTime remaining: 112 seconds\nSystem Capabilities: {caps}\nEnabled Capabilities: {enabled}\nManagement Addresses:\n    IP: {mgmt}\nAuto Negotiation - not supported\nPhysical media capabilities - not advertised\nMedia Attachment Unit type - not advertised\nVlan ID: - not advertised\n\n",
            local = short_iface(&n.local_port),
            chassis = mac_dotted(m),
            remote = n.peer_port,
            name = n.peer_name,
            version = version_text(n.peer_platform),
            mgmt = n.peer_mgmt,
        );
    }
    let _ = write!(s, "\nTotal entries displayed: {}\n", visible.len());
    s
}

fn lldp_brief(dev: &DeviceState) -> String {
    let mut s = "Capability codes:\n    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device\n    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other\n\nDevice ID           Local Intf     Hold-time  Capability      Port ID\n".to_owned();
    let visible = dev.visible_neighbors();
    for n in &visible {
        let caps = if platform_string(n.peer_platform).1 == "Router" { "R" } else { "B" };
        let _ = writeln!(
            s,
            "{:<20}{:<15}{:<11}{:<16}{}",
            n.peer_name,
            short_iface(&n.local_port),
            "120",
            caps,
            n.peer_port
        );
    }
    let _ = write!(s, "\nTotal entries displayed: {}\n", visible.len());
    s
}

struct RouteLine {
    code: &'static str,
    net: Ipv4Addr,
    len: u8,
    rest: String,
}

fn show_ip_route(dev: &DeviceState) -> String {
    let mut s = "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area \n       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n       E1 - OSPF external type 1, E2 - OSPF external type 2\n       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n       ia - IS-IS inter area, * - candidate default, U - per-user static route\n       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP\n       a - application route\n       + - replicated route, % - next hop override, p - overrides from PfR\n\n".to_owned();
    let default = dev.running.routes.iter().find(|r| r.len == 0);
    match default {
        Some(r) => {
            let _ = writeln!(s, "Gateway of last resort is {} to network 0.0.0.0\n", r.next_hop);
        }
        None => s.push_str("Gateway of last resort is not set\n\n"),
    }
    if let Some(r) = default {
        let _ = writeln!(s, "S*    0.0.0.0/0 [1/0] via {}", r.next_hop);
    }
    let mut lines: Vec<RouteLine> = Vec::new();
    for i in &dev.running.interfaces {
        let Some((a, l)) = i.ipv4 else { continue };
        if !dev.port_state(&i.name).1 {
            continue;
        }
        if l < 32 {
            lines.push(RouteLine {
                code: "C",
                net: network_of(a, l),
                len: l,
                rest: format!("is directly connected, {}", i.name),
            });
        }
        lines.push(RouteLine { code: "L", net: a, len: 32, rest: format!("is directly connected, {}", i.name) });
    }
    for r in dev.running.routes.iter().filter(|r| r.len > 0) {
        lines.push(RouteLine { code: "S", net: r.prefix, len: r.len, rest: format!("[1/0] via {}", r.next_hop) });
    }
    // Group under the classful major network, as IOS prints it.
    let major = |a: Ipv4Addr| -> (Ipv4Addr, u8) {
        let first = a.octets()[0];
        let len = if first < 128 {
            8
        } else if first < 192 {
            16
        } else {
            24
        };
        (network_of(a, len), len)
    };
    lines.sort_by_key(|r| (u32::from(major(r.net).0), u32::from(r.net), r.len, r.code != "C"));
    let mut i = 0;
    while i < lines.len() {
        let (m, ml) = major(lines[i].net);
        let group: Vec<&RouteLine> = lines[i..].iter().take_while(|r| major(r.net) == (m, ml)).collect();
        let mut masks: Vec<u8> = group.iter().map(|r| r.len).collect();
        masks.sort_unstable();
        masks.dedup();
        let n = group.len();
        let subnets = if n == 1 { "subnet" } else { "subnets" };
        if masks.len() > 1 {
            let _ = writeln!(s, "      {m}/{ml} is variably subnetted, {n} {subnets}, {} masks", masks.len());
        } else {
            let _ = writeln!(s, "      {m}/{ml} is subnetted, {n} {subnets}");
        }
        for r in &group {
            if masks.len() > 1 {
                let _ = writeln!(s, "{:<9}{}/{} {}", r.code, r.net, r.len, r.rest);
            } else {
                let _ = writeln!(s, "{:<9}{} {}", r.code, r.net, r.rest);
            }
        }
        i += n;
    }
    s
}

fn bgp_summary(dev: &DeviceState) -> String {
    let Some(asn) = dev.asn else { return "% BGP not active\n\n".to_owned() };
    let router_id =
        dev.running.interfaces.iter().find(|i| i.is_loopback()).and_then(|i| i.ipv4).map_or(dev.mgmt, |(a, _)| a);
    let mut s = format!("BGP router identifier {router_id}, local AS number {asn}\nBGP table version is 7, main routing table version 7\n");
    let peers: Vec<_> = dev.neighbors.iter().filter(|n| n.peer_asn.is_some() && n.peer_ip.is_some()).collect();
    if peers.is_empty() {
        return s;
    }
    s.push_str("2 network entries using 496 bytes of memory\n2 path entries using 272 bytes of memory\n1/1 BGP path/bestpath attribute entries using 280 bytes of memory\n1 BGP AS-PATH entries using 24 bytes of memory\n0 BGP route-map cache entries using 0 bytes of memory\n0 BGP filter-list cache entries using 0 bytes of memory\nBGP using 1072 total bytes of memory\nBGP activity 2/0 prefixes, 2/0 paths, scan interval 60 secs\n\n");
    s.push_str("Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd\n");
    for n in peers {
        let (Some(ip), Some(pa)) = (n.peer_ip, n.peer_asn) else { continue };
        let up = dev.port_state(&n.local_port).1;
        let msgs = 1000 + n.peer_index * 3;
        if up {
            let _ = writeln!(
                s,
                "{:<16}4 {:>12} {:>7} {:>7} {:>9} {:>4} {:>4} {:<8}{:>9}",
                ip.to_string(),
                pa,
                msgs,
                msgs + 2,
                7,
                0,
                0,
                "1w5d",
                1
            );
        } else {
            let _ = writeln!(
                s,
                "{:<16}4 {:>12} {:>7} {:>7} {:>9} {:>4} {:>4} {:<8} Idle",
                ip.to_string(),
                pa,
                0,
                0,
                1,
                0,
                0,
                "never"
            );
        }
    }
    s
}

fn inventory(dev: &DeviceState) -> String {
    let serial = dev.serial();
    format!(
        "NAME: \"IOSv\", DESCR: \"IOSv chassis, Hw Serial#: {serial}, Hw Revision: 1.0\"\nPID: IOSv              , VID: 1.0, SN: {serial}\n\n\n"
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{builtin_states, by_name, run};
    use super::super::Cli;
    use super::*;

    fn enabled(name: &str) -> (Vec<Arc<Mutex<DeviceState>>>, IosCli) {
        let states = builtin_states();
        let dev = by_name(&states, name);
        (states, IosCli::new(dev, true))
    }

    #[test]
    fn enable_needs_the_secret_and_prompts_follow_the_mode() {
        let states = builtin_states();
        let dev = by_name(&states, "R15");
        let mut cli = IosCli::new(dev, false);
        assert_eq!(cli.prompt(), "R15>");
        assert!(cli.input("terminal length 0").output.is_empty());
        assert!(cli.input("terminal width 511").output.is_empty());
        assert!(cli.input("show running-config").output.contains("% Invalid input"));
        cli.input("enable");
        assert_eq!(cli.prompt(), "Password: ");
        assert!(!cli.echo());
        assert!(cli.input("wrong").output.contains("% Access denied"));
        cli.input("lab-R15-en");
        assert_eq!(cli.prompt(), "R15#");
        let out = cli.input("configure terminal").output;
        assert!(out.starts_with("Enter configuration commands"));
        assert_eq!(cli.prompt(), "R15(config)#");
        cli.input("interface gi0/1");
        assert_eq!(cli.prompt(), "R15(config-if)#");
        cli.input("exit");
        assert_eq!(cli.prompt(), "R15(config)#");
        cli.input("end");
        assert_eq!(cli.prompt(), "R15#");
        assert!(cli.input("exit").close);
    }

    #[test]
    fn description_edit_shows_in_running_and_reaches_startup_on_write() {
        let (states, mut cli) = enabled("R16");
        run(&mut cli, &["conf t", "int GigabitEthernet0/1", " description uplink to R17", "end"]);
        let running = cli.input("sh run").output;
        assert!(running.contains("interface GigabitEthernet0/1\n description uplink to R17\n"), "{running}");
        assert!(running.starts_with("Building configuration...\n\nCurrent configuration : "));
        assert!(running.contains("! Last configuration change at "));
        let startup = cli.input("show startup-config").output;
        assert!(!startup.contains("uplink to R17"));
        assert_eq!(cli.input("write memory").output, "Building configuration...\n[OK]\n");
        assert!(cli.input("show startup-config").output.contains(" description uplink to R17\n"));
        let dev = by_name(&states, "R16");
        assert!(lock(&dev).startup.iface("GigabitEthernet0/1").and_then(|i| i.description.clone()).is_some());
        // Removing it again
        run(&mut cli, &["configure terminal", "interface Gi0/1", "no description", "end"]);
        assert!(!cli.input("show running-config").output.contains("uplink to R17"));
    }

    #[test]
    fn shutdown_changes_status_and_hides_neighbors_on_both_ends() {
        let (states, mut cli) = enabled("R16");
        let brief = cli.input("show ip int brief").output;
        let line = brief.lines().find(|l| l.starts_with("GigabitEthernet0/1 ")).expect("row");
        assert!(line.ends_with("up                    up"), "{line}");
        assert!(cli.input("show cdp neighbors detail").output.contains("Device ID: R17"));
        let mut peer = IosCli::new(by_name(&states, "R17"), true);
        assert!(peer.input("show lldp neighbors detail").output.contains("System Name: R16"));
        run(&mut cli, &["conf t", "interface GigabitEthernet0/1", "shutdown", "end"]);
        let brief = cli.input("show ip interface brief").output;
        let line = brief.lines().find(|l| l.starts_with("GigabitEthernet0/1 ")).expect("row");
        assert!(line.contains("administratively down down"), "{line}");
        assert!(cli
            .input("show interfaces GigabitEthernet0/1")
            .output
            .starts_with("GigabitEthernet0/1 is administratively down, line protocol is down"));
        assert!(!cli.input("show cdp neighbors detail").output.contains("Device ID: R17"));
        assert!(!peer.input("show lldp neighbors detail").output.contains("System Name: R16"));
        let peer_brief = peer.input("show ip interface brief").output;
        let line = peer_brief.lines().find(|l| l.starts_with("GigabitEthernet0/2 ")).expect("row");
        assert!(line.ends_with("YES NVRAM  down                  down"), "{line}");
        run(&mut cli, &["conf t", "interface GigabitEthernet0/1", "no shutdown", "end"]);
        assert!(peer.input("show lldp neighbors detail").output.contains("System Name: R16"));
    }

    #[test]
    fn neighbors_agree_on_both_ends() {
        let (states, mut cli) = enabled("R15");
        let out = cli.input("show cdp neighbors detail").output;
        assert!(out.contains("Device ID: R16\n"));
        assert!(out.contains("Interface: GigabitEthernet0/1,  Port ID (outgoing port): GigabitEthernet0/2"));
        let mut peer = IosCli::new(by_name(&states, "R16"), true);
        let out = peer.input("show cdp neighbors detail").output;
        assert!(out.contains("Device ID: R15\n"));
        assert!(out.contains("Interface: GigabitEthernet0/2,  Port ID (outgoing port): GigabitEthernet0/1"));
        assert!(out.contains("IP address: 127.0.1.1"));
    }

    #[test]
    fn invalid_input_gets_a_caret_under_the_bad_word() {
        let (_s, mut cli) = enabled("R15");
        let out = cli.input("show bogus").output;
        assert_eq!(out, format!("{}^\n% Invalid input detected at '^' marker.\n\n", " ".repeat("R15#".len() + 5)));
        cli.input("conf t");
        let out = cli.input("frobnicate now").output;
        assert!(out.starts_with(&format!("{}^\n", " ".repeat("R15(config)#".len()))), "{out:?}");
        assert!(cli.input("sh run").output.contains("% Invalid input"), "config mode: show needs `do`");
        assert!(cli.input("do sh run").output.contains("Current configuration"));
        assert_eq!(cli.prompt(), "R15(config)#");
    }

    #[test]
    fn global_settings_and_routes_are_editable() {
        let (_s, mut cli) = enabled("R18");
        run(
            &mut cli,
            &[
                "conf t",
                "hostname EDGE-1",
                "ntp server 192.0.2.10",
                "no ntp server 10.0.255.1",
                "snmp-server community s3cret RW",
                "logging host 192.0.2.20",
                "username ops secret 0 pw",
                "ip route 192.0.2.0 255.255.255.0 10.100.0.13",
                "interface Loopback7",
                "ip address 192.0.2.99 255.255.255.255",
                "end",
            ],
        );
        assert_eq!(cli.prompt(), "EDGE-1#");
        let run_cfg = cli.input("show running-config").output;
        for expected in [
            "hostname EDGE-1\n",
            "ntp server 192.0.2.10\n",
            "snmp-server community s3cret RW\n",
            "logging host 192.0.2.20\n",
            "username ops privilege 15 secret 9 ",
            "ip route 192.0.2.0 255.255.255.0 10.100.0.13\n",
            "interface Loopback7\n ip address 192.0.2.99 255.255.255.255\n",
        ] {
            assert!(run_cfg.contains(expected), "missing {expected:?}");
        }
        assert!(!run_cfg.contains("ntp server 10.0.255.1"));
        let routes = cli.input("show ip route").output;
        assert!(
            routes.contains("S        192.0.2.0/24 [1/0] via 10.100.0.13")
                || routes.contains("S        192.0.2.0 [1/0] via 10.100.0.13"),
            "{routes}"
        );
        assert!(routes.contains("Gateway of last resort is 10.0.255.254 to network 0.0.0.0"));
        assert!(routes.contains("is directly connected, GigabitEthernet0/1"));
    }

    #[test]
    fn show_commands_render_their_vendor_headers() {
        let (_s, mut cli) = enabled("R20");
        assert!(cli.input("show version").output.contains("R20 uptime is "));
        assert!(cli.input("sh ip bgp summ").output.contains("BGP router identifier 10.0.0."));
        assert!(cli.input("show inventory").output.starts_with("NAME: \"IOSv\""));
        assert!(cli
            .input("show processes cpu")
            .output
            .starts_with("CPU utilization for five seconds: 7%/0%; one minute: 7%; five minutes: 7%"));
        let inc = cli.input("show running-config | include hostname").output;
        assert_eq!(inc, "hostname R20\n");
        assert!(cli.input("show clock").output.starts_with('*'));
        let bgp = cli.input("show ip bgp summary").output;
        assert!(bgp.lines().any(|l| l.starts_with("10.100.0.") && l.contains("65019")), "{bgp}");
    }

    #[test]
    fn copy_run_start_asks_for_the_destination() {
        let (_s, mut cli) = enabled("R21");
        run(&mut cli, &["conf t", "interface Gi0/3", "description x", "end"]);
        assert!(cli.input("copy running-config startup-config").output.is_empty());
        assert_eq!(cli.prompt(), "Destination filename [startup-config]? ");
        assert!(cli.input("").output.contains("[OK]"));
        assert!(cli.input("show startup-config").output.contains(" description x\n"));
    }
}

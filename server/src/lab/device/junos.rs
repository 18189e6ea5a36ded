//! Juniper Junos CLI: operational mode, and configuration mode with a candidate and `commit`.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use super::{
    apply_pipe, lock, network_of, parse_cidr, resolve, secret_hash, split_pipe, Cli, Config, DeviceState, Match, Reply,
    StaticRoute,
};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Operational,
    Configure,
    ConfirmExit,
}

pub struct JunosCli {
    device: Arc<Mutex<DeviceState>>,
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ScreenWidth,
    ScreenLength,
    CompleteOnSpace,
    Cli,
    Version,
    Uptime,
    Interfaces,
    Terse,
    Lldp,
    Route,
    Bgp,
    Hardware,
    RoutingEngine,
    Configuration,
    Configure,
    Exit,
}

const OPERATIONAL: &[(&[&str], Op)] = &[
    (&["set", "cli", "screen-width"], Op::ScreenWidth),
    (&["set", "cli", "screen-length"], Op::ScreenLength),
    (&["set", "cli", "complete-on-space"], Op::CompleteOnSpace),
    (&["cli"], Op::Cli),
    (&["show", "version"], Op::Version),
    (&["show", "system", "uptime"], Op::Uptime),
    (&["show", "interfaces"], Op::Interfaces),
    (&["show", "interfaces", "terse"], Op::Terse),
    (&["show", "lldp", "neighbors"], Op::Lldp),
    (&["show", "route"], Op::Route),
    (&["show", "bgp", "summary"], Op::Bgp),
    (&["show", "chassis", "hardware"], Op::Hardware),
    (&["show", "chassis", "routing-engine"], Op::RoutingEngine),
    (&["show", "configuration"], Op::Configuration),
    (&["configure"], Op::Configure),
    (&["exit"], Op::Exit),
    (&["quit"], Op::Exit),
];

/// Splits a Junos command line into words, keeping `"quoted text"` as one word.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn quote(s: &str) -> String {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || matches!(c, ';' | '{' | '}' | '#')) {
        format!("\"{s}\"")
    } else {
        s.to_owned()
    }
}

impl JunosCli {
    #[must_use]
    pub fn new(device: Arc<Mutex<DeviceState>>) -> Self {
        Self { device, mode: Mode::Operational }
    }

    fn error_at(&self, line: &str, word: usize, message: &str) -> Reply {
        let offset = {
            let mut count = 0;
            let mut in_word = false;
            let mut at = line.len();
            for (i, c) in line.char_indices() {
                if c.is_whitespace() {
                    in_word = false;
                } else if !in_word {
                    if count == word {
                        at = i;
                        break;
                    }
                    count += 1;
                    in_word = true;
                }
            }
            at
        };
        let prompt_len = self.prompt().rsplit('\n').next().map_or(0, str::len);
        Reply::text(format!("{}^\n{message}\n", " ".repeat(prompt_len + offset)))
    }

    fn operational(&mut self, line: &str) -> Reply {
        let (cmd, pipe) = split_pipe(line);
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.is_empty() {
            return Reply::empty();
        }
        let (op, at) = match resolve(OPERATIONAL, &words) {
            Match::Found(op, at) => (op, at),
            Match::Invalid(0) => return self.error_at(line, 0, "unknown command."),
            Match::Invalid(n) => return self.error_at(line, n, "syntax error, expecting <command>."),
            Match::Ambiguous => return self.error_at(line, words.len().saturating_sub(1), "error: ambiguous command"),
            Match::Incomplete => return self.error_at(line, words.len(), "syntax error, expecting <command>."),
        };
        let args = &words[at..];
        let dev = lock(&self.device);
        let out = match op {
            Op::ScreenWidth => format!("Screen width set to {}\n", args.first().copied().unwrap_or("80")),
            Op::ScreenLength => format!("Screen length set to {}\n", args.first().copied().unwrap_or("0")),
            Op::CompleteOnSpace => "Disabling complete-on-space\n".to_owned(),
            Op::Cli => String::new(),
            Op::Version => show_version(&dev),
            Op::Uptime => show_uptime(&dev),
            Op::Interfaces => {
                if let Some(name) = args.first() {
                    let base = name.split('.').next().unwrap_or(name);
                    if dev.running.iface(base).is_none() {
                        drop(dev);
                        return Reply::text(format!("error: device {name} not found\n"));
                    }
                    show_interfaces(&dev, Some(base))
                } else {
                    show_interfaces(&dev, None)
                }
            }
            Op::Terse => show_terse(&dev),
            Op::Lldp => show_lldp(&dev),
            Op::Route => show_route(&dev),
            Op::Bgp => show_bgp(&dev),
            Op::Hardware => show_hardware(&dev),
            Op::RoutingEngine => show_routing_engine(&dev),
            Op::Configuration => {
                let display_set = pipe.is_some_and(|p| p.replace(' ', "").starts_with("displayset"));
                let text = if display_set {
                    display_set_text(&dev, &dev.running)
                } else {
                    show_configuration(&dev, &dev.running)
                };
                return Reply::text(format!(
                    "{}\n",
                    if display_set { text } else { apply_pipe(&text, pipe) }.trim_end_matches('\n')
                ));
            }
            Op::Configure => {
                drop(dev);
                let mut dev = lock(&self.device);
                if dev.candidate.is_none() {
                    dev.candidate = Some(dev.running.clone());
                }
                let note = if dev.candidate.as_ref() == Some(&dev.running) {
                    ""
                } else {
                    "The configuration has been changed but not committed\n"
                };
                self.mode = Mode::Configure;
                return Reply::text(format!("Entering configuration mode\n{note}"));
            }
            Op::Exit => return Reply::close(),
        };
        let out = apply_pipe(&out, pipe);
        if out.is_empty() {
            Reply::empty()
        } else {
            Reply::text(format!("{}\n\n", out.trim_end_matches('\n')))
        }
    }

    fn configure(&mut self, line: &str) -> Reply {
        let words = tokens(line);
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match w.as_slice() {
            [] => Reply::empty(),
            ["set" | "delete", rest @ ..] => {
                let delete = w[0] == "delete";
                let mut dev = lock(&self.device);
                let mut candidate = dev.candidate.clone().unwrap_or_else(|| dev.running.clone());
                match edit(&mut candidate, rest, delete) {
                    Ok(()) => {
                        dev.candidate = Some(candidate);
                        Reply::empty()
                    }
                    Err(bad) => {
                        drop(dev);
                        if delete && bad == usize::MAX {
                            return Reply::text("warning: statement not found\n");
                        }
                        self.error_at(line, bad.saturating_add(1).min(w.len()), "syntax error.")
                    }
                }
            }
            ["commit", rest @ ..] => {
                let check = rest.first() == Some(&"check");
                let and_quit = rest.contains(&"and-quit");
                let mut dev = lock(&self.device);
                if check {
                    return Reply::text("configuration check succeeds\n");
                }
                if let Some(c) = dev.candidate.clone() {
                    dev.set_running(c);
                    dev.save();
                }
                if and_quit {
                    dev.candidate = None;
                    self.mode = Mode::Operational;
                    return Reply::text("commit complete\nExiting configuration mode\n");
                }
                Reply::text("commit complete\n")
            }
            ["show", rest @ ..] if rest.first() != Some(&"|") || rest.is_empty() => {
                let dev = lock(&self.device);
                let candidate = dev.candidate.clone().unwrap_or_else(|| dev.running.clone());
                if rest.contains(&"compare") {
                    let a = display_set_text(&dev, &dev.running);
                    let b = display_set_text(&dev, &candidate);
                    let mut out = String::new();
                    for l in a.lines().filter(|l| !b.lines().any(|x| x == *l)) {
                        let _ = writeln!(out, "- {l}");
                    }
                    for l in b.lines().filter(|l| !a.lines().any(|x| x == *l)) {
                        let _ = writeln!(out, "+ {l}");
                    }
                    return Reply::text(out);
                }
                Reply::text(show_configuration(&dev, &candidate))
            }
            ["rollback", ..] => {
                let mut dev = lock(&self.device);
                dev.candidate = Some(dev.running.clone());
                Reply::text("load complete\n")
            }
            ["run", ..] => {
                self.mode = Mode::Operational;
                let reply = self.operational(line.trim_start().trim_start_matches("run"));
                self.mode = Mode::Configure;
                reply
            }
            ["top"] | ["up"] => Reply::empty(),
            ["exit" | "quit", rest @ ..] if rest.is_empty() || rest == ["configuration-mode"] => {
                let dev = lock(&self.device);
                let dirty = dev.candidate.as_ref().is_some_and(|c| c != &dev.running);
                drop(dev);
                if dirty {
                    self.mode = Mode::ConfirmExit;
                    Reply::empty()
                } else {
                    lock(&self.device).candidate = None;
                    self.mode = Mode::Operational;
                    Reply::text("Exiting configuration mode\n\n")
                }
            }
            _ => self.error_at(line, 0, "unknown command."),
        }
    }
}

/// Applies one `set`/`delete` statement to a config. `Err(n)`: word `n` of `path` is not understood
/// (`usize::MAX`: a delete of something absent).
fn edit(c: &mut Config, path: &[&str], delete: bool) -> Result<(), usize> {
    let missing = |found: bool| if found { Ok(()) } else { Err(usize::MAX) };
    match path {
        ["system", "host-name", h] if !delete => {
            c.hostname = (*h).to_owned();
            Ok(())
        }
        ["system", "ntp", "server", s] => {
            let had = c.ntp_servers.iter().any(|x| x == s);
            c.ntp_servers.retain(|x| x != s);
            if !delete {
                c.ntp_servers.push((*s).to_owned());
            }
            if delete {
                missing(had)
            } else {
                Ok(())
            }
        }
        ["system", "syslog", "host", h, ..] => {
            h.parse::<Ipv4Addr>().map_err(|_| 3_usize)?;
            c.logging_hosts.retain(|x| x != h);
            if !delete {
                c.logging_hosts.push((*h).to_owned());
            }
            Ok(())
        }
        ["system", "login", "message", m] => {
            c.banner = (!delete).then(|| (*m).to_owned());
            Ok(())
        }
        ["system", "login", "user", name, rest @ ..] => {
            if delete {
                c.users.retain(|(n, _)| n != name);
                return Ok(());
            }
            let secret = match rest {
                ["authentication", "encrypted-password", s] => (*s).to_owned(),
                ["authentication", "plain-text-password-value", s] => secret_hash(s),
                ["class", _] | [] => {
                    c.users.iter().find(|(n, _)| n == name).map_or_else(|| secret_hash(name), |u| u.1.clone())
                }
                _ => return Err(4),
            };
            c.users.retain(|(n, _)| n != name);
            c.users.push(((*name).to_owned(), secret));
            Ok(())
        }
        ["snmp", "community", name, ..] => {
            c.snmp_communities.retain(|(n, _)| n != name);
            if !delete {
                c.snmp_communities.push(((*name).to_owned(), "RO".to_owned()));
            }
            Ok(())
        }
        ["routing-options", "static", "route", p, "next-hop", nh] => {
            let (a, len) = parse_cidr(p).ok_or(3_usize)?;
            let nh: Ipv4Addr = nh.parse().map_err(|_| 5_usize)?;
            let r = StaticRoute { prefix: network_of(a, len), len, next_hop: nh };
            c.routes.retain(|x| x != &r);
            if !delete {
                c.routes.push(r);
            }
            Ok(())
        }
        ["routing-options", "static", "route", p] if delete => {
            let (a, len) = parse_cidr(p).ok_or(3_usize)?;
            c.routes.retain(|r| !(r.prefix == network_of(a, len) && r.len == len));
            Ok(())
        }
        ["interfaces", name, rest @ ..] => {
            let Some(i) = c.iface_mut(name) else { return Err(1) };
            match rest {
                ["description", d] if !delete => i.description = Some((*d).to_owned()),
                ["description", ..] if delete => i.description = None,
                ["disable"] => i.shutdown = !delete,
                ["mtu", m] if !delete => i.mtu = Some(m.parse().map_err(|_| 3_usize)?),
                ["mtu", ..] => i.mtu = None,
                ["unit", "0", "family", "inet", "address", a] => {
                    let parsed = parse_cidr(a).ok_or(6_usize)?;
                    if delete {
                        i.ipv4 = i.ipv4.filter(|x| *x != parsed);
                    } else {
                        i.ipv4 = Some(parsed);
                    }
                }
                ["unit", "0", "family", "inet"] | ["unit", "0"] if delete => i.ipv4 = None,
                [] if delete => {
                    i.description = None;
                    i.shutdown = false;
                    i.mtu = None;
                    i.ipv4 = None;
                }
                _ => return Err(2),
            }
            Ok(())
        }
        _ => Err(0),
    }
}

impl Cli for JunosCli {
    fn prompt(&self) -> String {
        let dev = lock(&self.device);
        match self.mode {
            Mode::Operational => format!("{}@{}> ", dev.username, dev.running.hostname),
            Mode::Configure => format!("\n[edit]\n{}@{}# ", dev.username, dev.running.hostname),
            Mode::ConfirmExit => "Exit with uncommitted changes? [yes,no] (yes) ".to_owned(),
        }
    }

    fn greeting(&self) -> String {
        "--- JUNOS 21.4R3-S3.4 Kernel 64-bit  JNPR-12.1-20221219.0f2b6c8_buil\n".to_owned()
    }

    fn input(&mut self, line: &str) -> Reply {
        match self.mode {
            Mode::Operational => self.operational(line),
            Mode::Configure => self.configure(line),
            Mode::ConfirmExit => {
                let answer = line.trim();
                if answer.is_empty() || answer.eq_ignore_ascii_case("yes") {
                    self.mode = Mode::Operational;
                    Reply::text("Exiting configuration mode\n\n")
                } else {
                    self.mode = Mode::Configure;
                    Reply::empty()
                }
            }
        }
    }
}

#[must_use]
pub fn show_configuration(dev: &DeviceState, c: &Config) -> String {
    let mut s = format!(
        "## Last commit: {} by {}\nversion 21.4R3-S3.4;\nsystem {{\n    host-name {};\n",
        dev.changed_at.format("%Y-%m-%d %H:%M:%S UTC"),
        dev.username,
        c.hostname
    );
    s.push_str("    login {\n");
    if let Some(b) = &c.banner {
        let _ = writeln!(s, "        message {};", quote(b));
    }
    for (i, (name, secret)) in c.users.iter().enumerate() {
        let _ = write!(
            s,
            "        user {name} {{\n            uid {};\n            class super-user;\n            authentication {{\n                encrypted-password \"{secret}\"; ## SECRET-DATA\n            }}\n        }}\n",
            2000 + i
        );
    }
    s.push_str("    }\n    services {\n        ssh;\n        netconf {\n            ssh;\n        }\n    }\n");
    if !c.logging_hosts.is_empty() {
        s.push_str("    syslog {\n");
        for h in &c.logging_hosts {
            let _ = write!(s, "        host {h} {{\n            any any;\n        }}\n");
        }
        s.push_str("    }\n");
    }
    if !c.ntp_servers.is_empty() {
        s.push_str("    ntp {\n");
        for n in &c.ntp_servers {
            let _ = writeln!(s, "        server {n};");
        }
        s.push_str("    }\n");
    }
    s.push_str("}\ninterfaces {\n");
    for i in &c.interfaces {
        let _ = writeln!(s, "    {} {{", i.name);
        if let Some(d) = &i.description {
            let _ = writeln!(s, "        description {};", quote(d));
        }
        if i.shutdown {
            s.push_str("        disable;\n");
        }
        if let Some(m) = i.mtu {
            let _ = writeln!(s, "        mtu {m};");
        }
        if let Some((a, l)) = i.ipv4 {
            let _ = write!(s, "        unit 0 {{\n            family inet {{\n                address {a}/{l};\n            }}\n        }}\n");
        }
        s.push_str("    }\n");
    }
    s.push_str("}\n");
    if !c.snmp_communities.is_empty() {
        s.push_str("snmp {\n");
        for (n, _) in &c.snmp_communities {
            let _ = write!(s, "    community {n} {{\n        authorization read-only;\n    }}\n");
        }
        s.push_str("}\n");
    }
    s.push_str("routing-options {\n");
    if !c.routes.is_empty() {
        s.push_str("    static {\n");
        for r in &c.routes {
            let _ = writeln!(s, "        route {}/{} next-hop {};", r.prefix, r.len, r.next_hop);
        }
        s.push_str("    }\n");
    }
    if let Some(asn) = dev.asn {
        let _ = writeln!(s, "    autonomous-system {asn};");
    }
    s.push_str("}\nprotocols {\n");
    let peers: Vec<_> = dev.neighbors.iter().filter_map(|n| Some((n.peer_ip?, n.peer_asn?))).collect();
    if dev.asn.is_some() && !peers.is_empty() {
        s.push_str("    bgp {\n        group ebgp {\n            type external;\n");
        for (ip, asn) in &peers {
            let _ = write!(s, "            neighbor {ip} {{\n                peer-as {asn};\n            }}\n");
        }
        s.push_str("        }\n    }\n");
    }
    s.push_str("    lldp {\n        interface all;\n    }\n}\n");
    s
}

#[must_use]
pub fn display_set_text(dev: &DeviceState, c: &Config) -> String {
    let mut s = format!("set version 21.4R3-S3.4\nset system host-name {}\n", c.hostname);
    if let Some(b) = &c.banner {
        let _ = writeln!(s, "set system login message {}", quote(b));
    }
    for (i, (name, secret)) in c.users.iter().enumerate() {
        let _ = writeln!(s, "set system login user {name} uid {}", 2000 + i);
        let _ = writeln!(s, "set system login user {name} class super-user");
        let _ = writeln!(s, "set system login user {name} authentication encrypted-password \"{secret}\"");
    }
    s.push_str("set system services ssh\nset system services netconf ssh\n");
    for h in &c.logging_hosts {
        let _ = writeln!(s, "set system syslog host {h} any any");
    }
    for n in &c.ntp_servers {
        let _ = writeln!(s, "set system ntp server {n}");
    }
    for i in &c.interfaces {
        if let Some(d) = &i.description {
            let _ = writeln!(s, "set interfaces {} description {}", i.name, quote(d));
        }
        if i.shutdown {
            let _ = writeln!(s, "set interfaces {} disable", i.name);
        }
        if let Some(m) = i.mtu {
            let _ = writeln!(s, "set interfaces {} mtu {m}", i.name);
        }
        if let Some((a, l)) = i.ipv4 {
            let _ = writeln!(s, "set interfaces {} unit 0 family inet address {a}/{l}", i.name);
        }
    }
    for (n, _) in &c.snmp_communities {
        let _ = writeln!(s, "set snmp community {n} authorization read-only");
    }
    for r in &c.routes {
        let _ = writeln!(s, "set routing-options static route {}/{} next-hop {}", r.prefix, r.len, r.next_hop);
    }
    if let Some(asn) = dev.asn {
        let _ = writeln!(s, "set routing-options autonomous-system {asn}");
        for n in &dev.neighbors {
            if let (Some(ip), Some(pa)) = (n.peer_ip, n.peer_asn) {
                let _ = writeln!(s, "set protocols bgp group ebgp type external");
                let _ = writeln!(s, "set protocols bgp group ebgp neighbor {ip} peer-as {pa}");
            }
        }
    }
    s.push_str("set protocols lldp interface all\n");
    s
}

fn show_version(dev: &DeviceState) -> String {
    format!(
        "Hostname: {}\nModel: vmx\nJunos: 21.4R3-S3.4\nJUNOS OS Kernel 64-bit  [20221219.0f2b6c8_builder_stable_12_214]\nJUNOS OS libs [20221219.0f2b6c8_builder_stable_12_214]\nJUNOS OS runtime [20221219.0f2b6c8_builder_stable_12_214]\nJUNOS Routing Software Suite [21.4R3-S3.4]\nJUNOS Packet Forwarding Engine Support (MX Common) [21.4R3-S3.4]\nJUNOS Online Documentation [21.4R3-S3.4]\nJUNOS Crypto Software Suite [21.4R3-S3.4]\nJUNOS py-base-i386 [21.4R3-S3.4]\n",
        dev.running.hostname
    )
}

fn ago(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (weeks, days, h, m) = (secs / 604_800, secs / 86_400 % 7, secs / 3_600 % 24, secs / 60 % 60);
    format!("{weeks}w{days}d {h:02}:{m:02} ago")
}

fn show_uptime(dev: &DeviceState) -> String {
    let now = chrono::Utc::now();
    let up = dev.uptime();
    format!(
        "Current time: {}\nTime Source:  NTP CLOCK\nSystem booted: {} ({})\nProtocols started: {} ({})\nLast configured: {} ({}) by {}\n{}  up {} days, {}:{:02}, 1 user, load averages: 0.12, 0.08, 0.05\n",
        now.format("%Y-%m-%d %H:%M:%S UTC"),
        dev.booted_at.format("%Y-%m-%d %H:%M:%S UTC"),
        ago(up),
        dev.booted_at.format("%Y-%m-%d %H:%M:%S UTC"),
        ago(up),
        dev.changed_at.format("%Y-%m-%d %H:%M:%S UTC"),
        ago(now - dev.changed_at),
        dev.username,
        now.format("%-I:%M%p"),
        up.num_days(),
        up.num_hours() % 24,
        up.num_minutes() % 60,
    )
}

fn show_interfaces(dev: &DeviceState, only: Option<&str>) -> String {
    let mut s = String::new();
    for (idx, i) in dev.running.interfaces.iter().enumerate() {
        if only.is_some_and(|o| o != i.name) {
            continue;
        }
        let (admin, oper) = dev.port_state(&i.name);
        let m = dev.mac(idx + 1);
        let mac = format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
        let _ = writeln!(
            s,
            "Physical interface: {}, {}, Physical link is {}",
            i.name,
            if admin { "Enabled" } else { "Administratively down" },
            if oper { "Up" } else { "Down" }
        );
        let _ = writeln!(s, "  Interface index: {}, SNMP ifIndex: {}", 130 + idx, 500 + idx);
        if let Some(d) = &i.description {
            let _ = writeln!(s, "  Description: {d}");
        }
        let mtu = i.mtu.unwrap_or(1514);
        if i.is_loopback() {
            s.push_str("  Type: Loopback, MTU: Unlimited\n  Device flags   : Present Running Loopback\n  Interface flags: SNMP-Traps\n  Link flags     : None\n");
        } else {
            let _ = writeln!(
                s,
                "  Link-level type: Ethernet, MTU: {mtu}, MRU: 1522, LAN-PHY mode, Speed: 1000mbps, BPDU Error: None,"
            );
            s.push_str("  Loop Detect PDU Error: None, Ethernet-Switching Error: None, MAC-REWRITE Error: None, Loopback: Disabled,\n  Source filtering: Disabled, Flow control: Enabled, Auto-negotiation: Enabled, Remote fault: Online\n");
            let _ = writeln!(s, "  Device flags   : Present Running{}", if oper { "" } else { " Down" });
            let _ = writeln!(s, "  Interface flags: {}SNMP-Traps Internal: 0x4000", if admin { "" } else { "Down " });
            s.push_str("  Link flags     : None\n  CoS queues     : 8 supported, 8 maximum usable queues\n");
            let _ = writeln!(s, "  Current address: {mac}, Hardware address: {mac}");
            let _ = writeln!(
                s,
                "  Last flapped   : {} ({})",
                dev.booted_at.format("%Y-%m-%d %H:%M:%S UTC"),
                ago(dev.uptime())
            );
            s.push_str("  Input rate     : 0 bps (0 pps)\n  Output rate    : 0 bps (0 pps)\n  Active alarms  : None\n  Active defects : None\n  Interface transmit statistics: Disabled\n");
        }
        if let Some((a, l)) = i.ipv4 {
            let _ = write!(
                s,
                "\n  Logical interface {}.0 (Index {}) (SNMP ifIndex {})\n    Flags: {}SNMP-Traps 0x4000 Encapsulation: ENET2\n    Input packets : {}\n    Output packets: {}\n    Protocol inet, MTU: {}\n      Flags: Sendbcast-pkt-to-re\n      Addresses, Flags: Is-Preferred Is-Primary\n        Destination: {}/{l}, Local: {a}",
                i.name,
                330 + idx,
                540 + idx,
                if oper { "Up " } else { "Down " },
                if oper { 12_439 + dev.index } else { 0 },
                if oper { 2_552 + dev.index } else { 0 },
                mtu.saturating_sub(14),
                network_of(a, l),
            );
            if l < 31 {
                let bcast = Ipv4Addr::from(u32::from(network_of(a, l)) | !u32::from(super::mask_of(l)));
                let _ = write!(s, ", Broadcast: {bcast}");
            }
            s.push('\n');
        }
        s.push('\n');
    }
    s
}

fn show_terse(dev: &DeviceState) -> String {
    let mut s = "Interface               Admin Link Proto    Local                 Remote\n".to_owned();
    for i in &dev.running.interfaces {
        let (admin, oper) = dev.port_state(&i.name);
        let ud = |b: bool| if b { "up" } else { "down" };
        let _ = writeln!(s, "{:<24}{:<6}{}", i.name, ud(admin), ud(oper));
        if let Some((a, l)) = i.ipv4 {
            let _ = writeln!(s, "{:<24}{:<6}{:<5}inet     {}/{l}", format!("{}.0", i.name), ud(admin), ud(oper), a);
        }
    }
    s
}

fn show_lldp(dev: &DeviceState) -> String {
    let mut s =
        "Local Interface    Parent Interface    Chassis Id          Port info          System Name\n".to_owned();
    for n in dev.visible_neighbors() {
        let m = super::mac_of(n.peer_index, 0);
        let chassis = format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
        let _ = writeln!(s, "{:<19}{:<20}{:<20}{:<19}{}", n.local_port, "-", chassis, n.peer_port, n.peer_name);
    }
    s
}

fn show_route(dev: &DeviceState) -> String {
    let mut entries: Vec<(Ipv4Addr, u8, String)> = Vec::new();
    let since = ago(dev.uptime()).trim_end_matches(" ago").to_owned();
    for r in &dev.running.routes {
        let via = dev
            .running
            .interfaces
            .iter()
            .find(|i| i.ipv4.is_some_and(|(a, l)| network_of(a, l) == network_of(r.next_hop, l)))
            .map_or_else(|| "ge-0/0/0.0".to_owned(), |i| format!("{}.0", i.name));
        entries.push((
            r.prefix,
            r.len,
            format!("*[Static/5] {since}\n                    >  to {} via {via}", r.next_hop),
        ));
    }
    for i in &dev.running.interfaces {
        let Some((a, l)) = i.ipv4 else { continue };
        if !dev.port_state(&i.name).1 {
            continue;
        }
        if l < 32 {
            entries.push((
                network_of(a, l),
                l,
                format!("*[Direct/0] {since}\n                    >  via {}.0", i.name),
            ));
            entries.push((a, 32, format!("*[Local/0] {since}\n                       Local via {}.0", i.name)));
        } else {
            entries.push((a, 32, format!("*[Direct/0] {since}\n                    >  via {}.0", i.name)));
        }
    }
    entries.sort_by_key(|(a, l, _)| (u32::from(*a), *l));
    let n = entries.len();
    let mut s = format!("\ninet.0: {n} destinations, {n} routes ({n} active, 0 holddown, 0 hidden)\n+ = Active Route, - = Last Active, * = Both\n\n");
    for (a, l, text) in entries {
        let _ = writeln!(s, "{:<19}{text}", format!("{a}/{l}"));
    }
    s
}

fn show_bgp(dev: &DeviceState) -> String {
    if dev.asn.is_none() {
        return "BGP is not running\n".to_owned();
    }
    let peers: Vec<_> = dev.neighbors.iter().filter(|n| n.peer_ip.is_some() && n.peer_asn.is_some()).collect();
    let down = peers.iter().filter(|n| !dev.port_state(&n.local_port).1).count();
    let up = peers.len() - down;
    let mut s = format!(
        "Threading mode: BGP I/O\nDefault eBGP mode: advertise - accept, receive - accept\nGroups: 1 Peers: {} Down peers: {down}\nTable          Tot Paths  Act Paths Suppressed    History Damp State    Pending\ninet.0               \n{:>24} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
        peers.len(),
        up,
        up,
        0,
        0,
        0,
        0
    );
    s.push_str("Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...\n");
    for n in peers {
        let (Some(ip), Some(asn)) = (n.peer_ip, n.peer_asn) else { continue };
        if dev.port_state(&n.local_port).1 {
            let _ = writeln!(
                s,
                "{:<24}{:>6} {:>10} {:>10} {:>7} {:>7} {:>11} Establ\n  inet.0: 1/1/1/0",
                ip.to_string(),
                asn,
                1234 + n.peer_index,
                1236 + n.peer_index,
                0,
                0,
                "1w5d 5:17:00"
            );
        } else {
            let _ = writeln!(
                s,
                "{:<24}{:>6} {:>10} {:>10} {:>7} {:>7} {:>11} Active",
                ip.to_string(),
                asn,
                0,
                0,
                0,
                1,
                "5:17"
            );
        }
    }
    s
}

fn show_hardware(dev: &DeviceState) -> String {
    let serial = dev.serial();
    format!(
        "Hardware inventory:\nItem             Version  Part number  Serial number     Description\nChassis                                {serial:<18}VMX\nMidplane        \nRouting Engine 0                                         RE-VMX\nCB 0                                                     VMX SCB\nFPC 0                                                    Virtual FPC\n  CPU            Rev. 1.0 RIOT-LITE    BUILTIN          \n  MIC 0                                                  Virtual\n    PIC 0                 BUILTIN      BUILTIN           Virtual\n"
    )
}

fn show_routing_engine(dev: &DeviceState) -> String {
    let (five, one, five_min) = dev.cpu_now();
    let user = five * 6 / 10;
    let kernel = five - user;
    let up = dev.uptime();
    format!(
        "Routing Engine status:\n    Temperature                 41 degrees C / 105 degrees F\n    CPU temperature             41 degrees C / 105 degrees F\n    Total memory              2048 MB Max   635 MB used ( 31 percent)\n      Control plane memory    2048 MB Max   635 MB used ( 31 percent)\n    5 sec CPU utilization:\n      User                    {user:>3} percent\n      Background                0 percent\n      Kernel                  {kernel:>3} percent\n      Interrupt                 0 percent\n      Idle                    {:>3} percent\n    1 min CPU utilization:\n      User                    {:>3} percent\n      Background                0 percent\n      Kernel                  {:>3} percent\n      Interrupt                 0 percent\n      Idle                    {:>3} percent\n    5 min CPU utilization:\n      User                    {:>3} percent\n      Background                0 percent\n      Kernel                  {:>3} percent\n      Interrupt                 0 percent\n      Idle                    {:>3} percent\n    Model                          RE-VMX\n    Start time                     {}\n    Uptime                         {} days, {} hours, {} minutes\n    Last reboot reason             Router rebooted after a normal shutdown.\n    Load averages:                 1 minute   5 minute  15 minute\n                                       0.12       0.08       0.05\n",
        100 - five,
        one * 6 / 10,
        one - one * 6 / 10,
        100 - one,
        five_min * 6 / 10,
        five_min - five_min * 6 / 10,
        100 - five_min,
        dev.booted_at.format("%Y-%m-%d %H:%M:%S UTC"),
        up.num_days(),
        up.num_hours() % 24,
        up.num_minutes() % 60,
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{builtin_states, by_name, run};
    use super::*;

    #[test]
    fn session_preparation_answers_what_netmiko_waits_for() {
        let states = builtin_states();
        let mut cli = JunosCli::new(by_name(&states, "J1"));
        assert_eq!(cli.prompt(), "netops@J1> ");
        assert!(cli.input("set cli screen-width 511").output.contains("Screen width set to 511"));
        assert!(cli.input("set cli complete-on-space off").output.contains("Disabling complete-on-space"));
        assert!(cli.input("set cli screen-length 0").output.contains("Screen length set to 0"));
        assert!(cli.input("cli").output.is_empty());
    }

    #[test]
    fn candidate_is_separate_until_commit() {
        let states = builtin_states();
        let dev = by_name(&states, "J1");
        let mut cli = JunosCli::new(Arc::clone(&dev));
        let out = cli.input("configure").output;
        assert!(out.starts_with("Entering configuration mode"));
        assert!(cli.prompt().starts_with("\n[edit]\nnetops@J1# "));
        assert!(cli.input("set interfaces ge-0/0/0 description \"to R25 Gi0/1\"").output.is_empty());
        {
            let g = lock(&dev);
            assert!(!show_configuration(&g, &g.running).contains("to R25"));
        }
        assert_eq!(cli.input("commit").output, "commit complete\n");
        let running = cli.input("run show configuration").output;
        assert!(running.contains("    ge-0/0/0 {\n        description \"to R25 Gi0/1\";\n"), "{running}");
        let set = cli.input("run show configuration | display set").output;
        assert!(set.contains("set interfaces ge-0/0/0 description \"to R25 Gi0/1\"\n"));
        cli.input("set system host-name J1-new");
        assert_eq!(cli.input("exit configuration-mode").output, "");
        assert_eq!(cli.prompt(), "Exit with uncommitted changes? [yes,no] (yes) ");
        assert!(cli.input("yes").output.contains("Exiting configuration mode"));
        assert_eq!(cli.prompt(), "netops@J1> ");
    }

    #[test]
    fn errors_and_neighbors() {
        let states = builtin_states();
        let mut cli = JunosCli::new(by_name(&states, "J1"));
        let out = cli.input("show bogus").output;
        assert!(out.ends_with("^\nsyntax error, expecting <command>.\n"), "{out}");
        assert_eq!(out.find('^'), Some("netops@J1> show ".len()));
        assert!(cli.input("frobnicate").output.contains("unknown command."));
        let lldp = cli.input("show lldp neighbors").output;
        assert!(lldp.lines().any(|l| l.starts_with("ge-0/0/0") && l.ends_with("R25")), "{lldp}");
        run(&mut cli, &["configure", "set interfaces ge-0/0/0 disable", "commit and-quit"]);
        assert!(!cli.input("show lldp neighbors").output.contains("R25"));
        assert!(cli.input("show interfaces terse").output.contains("ge-0/0/0                down  down"));
        assert!(cli.input("show chassis routing-engine").output.contains("Idle                     93 percent"));
    }
}

//! Juniper Junos `show` outputs (CLI text, not `| display xml`).

use super::text::{after, columns, lines, non_empty, number, percent, regex};
use super::{
    BgpNeighbor, BgpSummary, Interface, InterfaceBrief, InventoryItem, Memory, Neighbor, Package, ProcessCpu,
    ProtocolRoutes, Resources, Route, RouteSummary, RouteTableSummary, SystemUptime, Version,
};

/// `show version`. On a virtual chassis the first member's hostname/model come first.
#[must_use]
pub fn parse_version(text: &str) -> Option<Version> {
    let mut v = Version { vendor: Some("Juniper".into()), ..Version::default() };
    for line in lines(text) {
        let t = line.trim();
        if let Some(x) = after(t, "Hostname:") {
            v.hostname = v.hostname.take().or_else(|| non_empty(x));
        } else if let Some(x) = after(t, "Model:") {
            if let Some(m) = non_empty(x) {
                v.models.push(m);
            }
        } else if let Some(x) = after(t, "Junos:") {
            v.version = v.version.take().or_else(|| non_empty(x));
        } else if let Some(x) = after(t, "Serial Number:").or_else(|| after(t, "Serial number:")) {
            if let Some(s) = non_empty(x) {
                v.serials.push(s);
            }
        } else if let Some(c) = regex!(r"^(.+?)\s*\[([^\]]+)\]$").and_then(|r| r.captures(t)) {
            let name = c[1].to_owned();
            let version = c[2].to_owned();
            // Releases before 15.1 have no `Junos:` line; the software release names the version.
            if v.version.is_none() && (name.contains("Software Release") || name == "JUNOS Base OS boot") {
                v.version = Some(version.clone());
            }
            v.packages.push(Package { name, version });
        }
    }
    v.model = v.models.first().cloned();
    v.serial = v.serials.first().cloned();
    (v.hostname.is_some() || v.version.is_some()).then_some(v)
}

/// Junos uptime text ("154 days, 19:16", "3 mins", "1 day, 2 hrs") to seconds.
fn uptime_seconds(s: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut seen = false;
    for part in s.split(',').map(str::trim) {
        if let Some((h, m)) = part.split_once(':') {
            if let (Ok(h), Ok(m)) = (h.trim().parse::<u64>(), m.trim().parse::<u64>()) {
                total = total.saturating_add(h * 3600 + m * 60);
                seen = true;
            }
            continue;
        }
        let mut words = part.split_whitespace();
        let (Some(n), Some(unit)) = (words.next().and_then(|n| n.parse::<u64>().ok()), words.next()) else { continue };
        let factor = match unit.trim_end_matches('s') {
            "day" => 86_400,
            "hr" | "hour" => 3_600,
            "min" | "minute" => 60,
            "sec" | "second" => 1,
            "week" => 604_800,
            _ => continue,
        };
        total = total.saturating_add(n.saturating_mul(factor));
        seen = true;
    }
    seen.then_some(total)
}

/// `show system uptime`.
#[must_use]
pub fn parse_system_uptime(text: &str) -> Option<SystemUptime> {
    let mut u = SystemUptime::default();
    let mut found = false;
    let stamp = |x: &str| non_empty(x.split(" (").next().unwrap_or(x));
    for line in lines(text) {
        let t = line.trim();
        if let Some(x) = after(t, "Current time:") {
            u.current_time = non_empty(x);
        } else if let Some(x) = after(t, "Time Source:") {
            u.time_source = non_empty(x);
        } else if let Some(x) = after(t, "System booted:") {
            u.booted = stamp(x);
        } else if let Some(x) = after(t, "Protocols started:") {
            u.protocols_started = stamp(x);
        } else if let Some(x) = after(t, "Last configured:") {
            u.last_configured = stamp(x);
            u.last_configured_by = x.rsplit_once(") by ").and_then(|(_, who)| non_empty(who));
        } else if let Some(c) =
            regex!(r"up (.+?),\s+(\d+) users?,\s+load averages?:\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)")
                .and_then(|r| r.captures(t))
        {
            u.uptime = non_empty(&c[1]);
            u.uptime_seconds = uptime_seconds(&c[1]);
            u.users = c[2].parse().ok();
            if let (Ok(a), Ok(b), Ok(d)) = (c[3].parse(), c[4].parse(), c[5].parse()) {
                u.load_averages = Some([a, b, d]);
            }
        } else {
            continue;
        }
        found = true;
    }
    found.then_some(u)
}

/// `show interfaces` (physical and logical interfaces, one row each).
#[must_use]
pub fn parse_interfaces(text: &str) -> Vec<Interface> {
    let mut out: Vec<Interface> = Vec::new();
    for line in lines(text) {
        let t = line.trim();
        if let Some(rest) = after(t, "Physical interface:") {
            let mut parts = rest.split(',').map(str::trim);
            let name = parts.next().unwrap_or_default().to_owned();
            let admin = parts.next().unwrap_or_default();
            let link = parts.next().and_then(|p| p.strip_prefix("Physical link is")).map(str::trim);
            out.push(Interface {
                name,
                admin_up: Some(admin.eq_ignore_ascii_case("Enabled")),
                oper_up: link.map(|l| l.eq_ignore_ascii_case("Up")),
                link_status: link.map(str::to_owned),
                ..Interface::default()
            });
            continue;
        }
        if let Some(rest) = after(t, "Logical interface") {
            out.push(Interface {
                name: rest.split_whitespace().next().unwrap_or_default().to_owned(),
                ..Interface::default()
            });
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        if let Some(x) = after(t, "Description:") {
            cur.description = non_empty(x);
        } else if let Some(x) = after(t, "Flags:") {
            if cur.link_status.is_none() {
                let first = x.split_whitespace().next().unwrap_or_default();
                if matches!(first, "Up" | "Down") {
                    cur.link_status = Some(first.to_owned());
                    cur.oper_up = Some(first == "Up");
                }
                if let Some(enc) = x.split("Encapsulation:").nth(1) {
                    cur.encapsulation = enc.split_whitespace().next().map(str::to_owned);
                }
            }
        } else if let Some(x) = after(t, "Current address:") {
            let (current, hw) = x.split_once(',').unwrap_or((x, ""));
            cur.mac = non_empty(current);
            cur.bia = after(hw, "Hardware address:").and_then(non_empty);
        } else if let Some(c) = regex!(r"^(Input|Output) rate\s*:\s*(\d+) bps").and_then(|r| r.captures(t)) {
            let bps = c[2].parse().ok();
            if &c[1] == "Input" {
                cur.input_rate_bps = bps
            } else {
                cur.output_rate_bps = bps
            }
        } else if let Some(x) = after(t, "Input packets") {
            cur.input_packets = number(x.trim_start_matches(':'));
        } else if let Some(x) = after(t, "Output packets") {
            cur.output_packets = number(x.trim_start_matches(':'));
        } else if let Some(x) = after(t, "Protocol inet,").or_else(|| after(t, "Protocol inet6,")) {
            if cur.mtu.is_none() {
                cur.mtu = after(x, "MTU:").and_then(number).and_then(|n| u32::try_from(n).ok());
            }
        } else if t.starts_with("Destination:") {
            if cur.ip.is_none() {
                let field = |k: &str| t.split(',').find_map(|p| after(p, k)).map(str::to_owned);
                let local = field("Local:");
                let len = field("Destination:").and_then(|d| d.split_once('/').map(|(_, l)| l.to_owned()));
                cur.ip = match (local, len) {
                    (Some(l), Some(n)) => Some(format!("{l}/{n}")),
                    (l, _) => l,
                };
            }
        } else {
            for item in t.split(',').map(str::trim) {
                if let Some(x) = after(item, "Link-level type:") {
                    cur.hardware_type = non_empty(x);
                } else if let Some(x) = after(item, "MTU:") {
                    cur.mtu = number(x).and_then(|n| u32::try_from(n).ok());
                } else if let Some(x) = after(item, "Speed:") {
                    cur.speed = non_empty(x);
                } else if let Some(x) = after(item, "Link-mode:") {
                    cur.duplex = non_empty(x);
                }
            }
        }
    }
    out
}

fn is_family(word: &str) -> bool {
    matches!(
        word,
        "inet"
            | "inet6"
            | "mpls"
            | "iso"
            | "eth-switch"
            | "multiservice"
            | "tnp"
            | "vpls"
            | "bridge"
            | "aenet"
            | "ccc"
            | "vlan"
    )
}

/// `show interfaces terse`.
#[must_use]
pub fn parse_interfaces_terse(text: &str) -> Vec<InterfaceBrief> {
    let mut out: Vec<InterfaceBrief> = Vec::new();
    for line in lines(text) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.is_empty() || tokens[0] == "Interface" {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let Some(row) = out.last_mut() else { continue };
            let (family, local) =
                if is_family(tokens[0]) { (Some(tokens[0]), tokens.get(1)) } else { (None, tokens.first()) };
            if row.ip.is_none() {
                if let Some(local) = local {
                    row.ip = Some((*local).to_owned());
                    row.family = family.map(str::to_owned).or_else(|| row.family.clone());
                }
            } else if row.family.is_none() {
                row.family = family.map(str::to_owned);
            }
            continue;
        }
        let is_state = |s: &str| matches!(s, "up" | "down");
        if tokens.len() < 3 || !is_state(tokens[1]) || !is_state(tokens[2]) {
            continue;
        }
        let family = tokens.get(3).filter(|w| is_family(w)).map(|w| (*w).to_owned());
        let ip_index = if family.is_some() { 4 } else { 3 };
        out.push(InterfaceBrief {
            name: tokens[0].to_owned(),
            ip: tokens.get(ip_index).map(|s| (*s).to_owned()),
            status: tokens[1].to_owned(),
            protocol: tokens[2].to_owned(),
            family,
        });
    }
    out
}

/// `show lldp neighbors`: a fixed-width table read by its header's column positions.
#[must_use]
pub fn parse_lldp_neighbors(text: &str) -> Vec<Neighbor> {
    let mut out = Vec::new();
    let mut cols: Option<[usize; 4]> = None;
    for line in lines(text) {
        let chars: Vec<char> = line.chars().collect();
        if line.starts_with("Local Interface") {
            let find = |name: &str| line.find(name).map(|b| line[..b].chars().count());
            cols = match (find("Parent Interface"), find("Chassis Id"), find("Port info"), find("System Name")) {
                (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
                (None, Some(b), Some(c), Some(d)) => Some([b, b, c, d]),
                _ => None,
            };
            continue;
        }
        let Some([parent, chassis, port, system]) = cols else { continue };
        let local = columns(&chars, 0, Some(parent.min(chassis)));
        if local.is_empty() {
            continue;
        }
        let port_info = columns(&chars, port, Some(system));
        out.push(Neighbor {
            local_interface: local,
            chassis_id: non_empty(&columns(&chars, chassis, Some(port))),
            remote_interface: non_empty(&port_info),
            remote_port_id: non_empty(&port_info),
            remote_device: non_empty(&columns(&chars, system, None)),
            ..Neighbor::default()
        });
    }
    out
}

/// `show route summary`.
#[must_use]
pub fn parse_route_summary(text: &str) -> Option<RouteSummary> {
    let mut s = RouteSummary::default();
    let mut found = false;
    for line in lines(text) {
        let t = line.trim();
        if let Some(x) = after(t, "Autonomous system number:") {
            s.local_as = non_empty(x);
            found = true;
        } else if let Some(x) = after(t, "Router ID:") {
            s.router_id = non_empty(x);
            found = true;
        } else if let Some(c) =
            regex!(r"^(\S+): (\d+) destinations, (\d+) routes \((\d+) active, (\d+) holddown, (\d+) hidden\)")
                .and_then(|r| r.captures(t))
        {
            let n = |i: usize| c[i].parse().unwrap_or(0);
            s.tables.push(RouteTableSummary {
                table: c[1].to_owned(),
                destinations: n(2),
                routes: n(3),
                active: n(4),
                holddown: n(5),
                hidden: n(6),
                protocols: Vec::new(),
            });
            found = true;
        } else if let Some(c) = regex!(r"^(\S+):\s+(\d+) routes,\s+(\d+) active").and_then(|r| r.captures(t)) {
            if let Some(table) = s.tables.last_mut() {
                table.protocols.push(ProtocolRoutes {
                    protocol: c[1].to_owned(),
                    routes: c[2].parse().unwrap_or(0),
                    active: c[3].parse().unwrap_or(0),
                });
            }
        }
    }
    found.then_some(s)
}

/// `show route` (any table). One row per protocol entry, with its selected (`>`) next hop.
#[must_use]
pub fn parse_route(text: &str) -> Vec<Route> {
    let mut out: Vec<Route> = Vec::new();
    let mut table: Option<String> = None;
    let mut prefix: Option<String> = None;
    let mut chose_selected = false;
    for line in lines(text) {
        let t = line.trim();
        if let Some(c) = regex!(r"^(\S+): \d+ destinations").and_then(|r| r.captures(t)) {
            table = Some(c[1].to_owned());
            prefix = None;
            continue;
        }
        let path = regex!(r"^(?:(\S+)\s+)?([*+\-]?)\[([^/\]]+)/(\d+)\]\s*(.*)$").and_then(|r| r.captures(t));
        if let Some(c) = path {
            if let Some(p) = c.get(1) {
                if line.starts_with(char::is_whitespace) {
                    continue;
                }
                prefix = Some(p.as_str().to_owned());
            }
            let Some(prefix) = prefix.clone() else { continue };
            let tail = c[5].to_owned();
            let (age, attrs) = tail.split_once(',').unwrap_or((tail.as_str(), ""));
            let metric = attrs.split(',').find_map(|a| after(a, "metric")).and_then(number);
            out.push(Route {
                vrf: table.clone(),
                protocol: c[3].to_owned(),
                prefix,
                distance: c[4].parse().ok(),
                metric,
                age: non_empty(age),
                selected: matches!(&c[2], "*" | "+"),
                ..Route::default()
            });
            chose_selected = false;
            continue;
        }
        let Some(route) = out.last_mut() else { continue };
        if !line.starts_with(char::is_whitespace) {
            continue;
        }
        let selected = t.starts_with('>');
        let hop = t.trim_start_matches('>').trim();
        let is_hop = hop.starts_with("to ")
            || hop.starts_with("via ")
            || hop.starts_with("Local via")
            || hop == "Discard"
            || hop == "Reject"
            || hop == "Receive";
        if !is_hop
            || (chose_selected && !selected)
            || (route.next_hop.is_some() || route.interface.is_some()) && !selected
        {
            continue;
        }
        route.next_hop = hop.strip_prefix("to ").and_then(|x| x.split_whitespace().next()).map(str::to_owned);
        route.interface = hop.split_once("via ").and_then(|(_, i)| i.split_whitespace().next()).map(str::to_owned);
        if route.next_hop.is_none() && route.interface.is_none() {
            route.interface = Some(hop.to_owned());
        }
        chose_selected = selected;
    }
    out
}

fn is_junos_time(token: &str) -> bool {
    regex!(r"^(?:\d+w)?(?:\d+d)?(?:\d+:)?\d+:\d+$|^(?:\d+w)?\d+d$|^\d+w$").is_some_and(|r| r.is_match(token))
}

/// `show bgp summary`. Junos does not print the local AS or router id here.
#[must_use]
pub fn parse_bgp_summary(text: &str) -> Option<BgpSummary> {
    let mut s = BgpSummary::default();
    let mut found = false;
    for line in lines(text) {
        let t = line.trim();
        if t.starts_with("Groups:") || (t.starts_with("Peer") && t.contains("InPkt")) {
            found = true;
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            // Per-table counts of the peer above: `  inet.0: 23/224/224/0`.
            if let (Some(n), Some((table, counts))) = (s.neighbors.last_mut(), t.split_once(": ")) {
                let c: Vec<&str> = counts.split('/').collect();
                if c.len() >= 2 && n.address_family.is_none() {
                    n.address_family = Some(table.to_owned());
                    n.prefixes_received = c[1].trim().parse().ok();
                }
            }
            continue;
        }
        let tokens: Vec<&str> = t.split_whitespace().collect();
        if tokens.len() < 8 || tokens[0].split('+').next().and_then(|a| a.parse::<std::net::IpAddr>().ok()).is_none() {
            continue;
        }
        let rest = &tokens[6..];
        let time_len = rest.iter().take_while(|w| is_junos_time(w)).count();
        let Some(state) = rest.get(time_len) else { continue };
        let mut n = BgpNeighbor {
            address: tokens[0].to_owned(),
            remote_as: tokens[1].to_owned(),
            messages_received: tokens[2].parse().ok(),
            messages_sent: tokens[3].parse().ok(),
            up_down: rest[..time_len].join(" "),
            state_or_prefixes: (*state).to_owned(),
            ..BgpNeighbor::default()
        };
        let counts: Vec<&str> = state.split('/').collect();
        if counts.len() >= 2 {
            n.established = true;
            n.prefixes_received = counts[1].parse().ok();
        } else {
            n.established = state.starts_with("Establ");
        }
        s.neighbors.push(n);
        found = true;
    }
    found.then_some(s)
}

/// `show chassis hardware`: a fixed-width table read by its header's column positions.
#[must_use]
pub fn parse_chassis_hardware(text: &str) -> Vec<InventoryItem> {
    let mut out = Vec::new();
    let mut cols: Option<[usize; 4]> = None;
    for line in lines(text) {
        if line.starts_with("Item") && line.contains("Part number") {
            let find = |name: &str| line.find(name).map(|b| line[..b].chars().count());
            cols = match (find("Version"), find("Part number"), find("Serial number"), find("Description")) {
                (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
                _ => None,
            };
            continue;
        }
        let Some([ver, part, serial, descr]) = cols else { continue };
        let chars: Vec<char> = line.chars().collect();
        let name = columns(&chars, 0, Some(ver));
        if name.is_empty() {
            continue;
        }
        out.push(InventoryItem {
            name,
            vid: non_empty(&columns(&chars, ver, Some(part))),
            pid: non_empty(&columns(&chars, part, Some(serial))),
            sn: non_empty(&columns(&chars, serial, Some(descr))),
            descr: non_empty(&columns(&chars, descr, None)),
        });
    }
    out
}

/// Sizes like `3977M`, `14G`, `504K` to KiB.
fn size_kib(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.trim() {
        "" | "B" => return Some(n / 1024),
        "K" => 1,
        "M" => 1024,
        "G" => 1024 * 1024,
        "T" => 1024 * 1024 * 1024,
        _ => return None,
    };
    Some(n.saturating_mul(factor))
}

/// `show system processes summary` / `extensive` (top output): CPU from the idle share, memory
/// from the `Mem:` line, processes with their weighted CPU.
#[must_use]
pub fn parse_system_processes(text: &str) -> Option<Resources> {
    let mut res = Resources::default();
    let mut found = false;
    let mut in_table = false;
    for line in lines(text) {
        let t = line.trim();
        if let Some(x) = after(t, "CPU:").or_else(|| after(t, "CPU states:")) {
            let idle = x
                .split(',')
                .find(|p| p.trim().ends_with("idle"))
                .and_then(|p| percent(p.trim().trim_end_matches("idle")));
            if let Some(idle) = idle {
                res.cpu.five_sec = Some(((100.0 - idle) * 10.0).round() / 10.0);
                found = true;
            }
        } else if let Some(x) = after(t, "Mem:") {
            let mut m = Memory::default();
            let (mut total, mut free) = (0u64, None);
            for part in x.split(',') {
                let mut words = part.split_whitespace();
                let (Some(size), Some(label)) = (words.next().and_then(size_kib), words.next()) else { continue };
                // Buf is a subset of Wired on FreeBSD; counting it would exceed physical memory.
                if label != "Buf" {
                    total = total.saturating_add(size);
                }
                if label == "Free" {
                    free = Some(size);
                }
            }
            if total > 0 {
                m.total = Some(total);
                m.free = free;
                m.used = free.map(|f| total.saturating_sub(f));
                m.used_percent = m.used.map(|u| (u as f64 * 1000.0 / total as f64).round() / 10.0);
                res.memory = Some(m);
                found = true;
            }
        } else if t.starts_with("PID") && t.contains("COMMAND") {
            in_table = true;
        } else if in_table {
            let tokens: Vec<&str> = t.split_whitespace().collect();
            let Some(pos) = tokens.iter().position(|w| w.ends_with('%')) else { continue };
            let Ok(pid) = tokens[0].parse::<u32>() else { continue };
            res.processes.push(ProcessCpu {
                pid: Some(pid),
                name: tokens[pos + 1..].join(" "),
                five_sec: percent(tokens[pos]),
                one_min: None,
                five_min: None,
                runtime_ms: None,
                invoked: None,
            });
        }
    }
    found.then_some(res)
}

/// `show chassis routing-engine`: CPU from each window's idle share, memory from DRAM and
/// utilisation. With two routing engines the first slot (normally the master) is read.
#[must_use]
pub fn parse_chassis_routing_engine(text: &str) -> Option<Resources> {
    let mut res = Resources::default();
    let mut found = false;
    let mut window: Option<&'static str> = None;
    let mut slots = 0;
    let mut memory = Memory::default();
    for line in lines(text) {
        let t = line.trim();
        if t.starts_with("Slot ") {
            slots += 1;
            if slots > 1 {
                break;
            }
            continue;
        }
        if t.ends_with("CPU utilization:") {
            window = Some(if t.starts_with("5 sec") || t == "CPU utilization:" {
                "5s"
            } else if t.starts_with("1 min") {
                "1m"
            } else if t.starts_with("5 min") {
                "5m"
            } else {
                "other"
            });
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        match words.as_slice() {
            ["Idle", n, "percent", ..] => {
                let busy = percent(n).map(|idle| 100.0 - idle);
                match window {
                    Some("5s") => res.cpu.five_sec = busy,
                    Some("1m") => res.cpu.one_min = busy,
                    Some("5m") => res.cpu.five_min = busy,
                    _ => {}
                }
                found |= busy.is_some();
            }
            ["DRAM", n, unit, ..] => {
                memory.total = number(n).and_then(|n| size_kib(&format!("{n}{}", unit.chars().next().unwrap_or('M'))));
            }
            ["Memory", "utilization", n, "percent", ..] => {
                memory.used_percent = percent(n);
                found = true;
            }
            _ => {}
        }
    }
    if memory.total.is_some() || memory.used_percent.is_some() {
        if let (Some(total), Some(p)) = (memory.total, memory.used_percent) {
            let used = (total as f64 * p / 100.0).round() as u64;
            memory.used = Some(used);
            memory.free = Some(total.saturating_sub(used));
        }
        res.memory = Some(memory);
    }
    found.then_some(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junos_uptime_words() {
        assert_eq!(uptime_seconds("154 days, 19:16"), Some(154 * 86_400 + 19 * 3600 + 16 * 60));
        assert_eq!(uptime_seconds("3 mins"), Some(180));
        assert_eq!(uptime_seconds("nonsense"), None);
        assert_eq!(size_kib("14G"), Some(14 * 1024 * 1024));
        assert_eq!(size_kib("x"), None);
        assert!(is_junos_time("9w2d") && is_junos_time("5:23:37") && !is_junos_time("Establ"));
    }
}

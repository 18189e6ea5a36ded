//! Cisco IOS / IOS-XE `show` outputs.

use super::text::{self, after, lines, non_empty, number, percent, regex};
use super::{
    BgpNeighbor, BgpSummary, Cpu, Interface, InterfaceBrief, InventoryItem, Neighbor, ProcessCpu, Resources, Route,
    Version,
};

/// `show version`. `None` when neither a hostname nor a software version is found.
#[must_use]
pub fn parse_version(text: &str) -> Option<Version> {
    let mut v = Version { vendor: Some("Cisco".into()), ..Version::default() };
    let mut board_models = Vec::new();
    let mut board_serials = Vec::new();
    for line in lines(text) {
        let trimmed = line.trim();
        if v.version.is_none() && trimmed.starts_with("Cisco IOS Software") {
            if let Some(c) = regex!(r"Version ([^ ,]+)").and_then(|r| r.captures(trimmed)) {
                v.version = Some(c[1].to_owned());
            }
            if let Some(c) = regex!(r"\(([^()]+)\),\s*Version").and_then(|r| r.captures(trimmed)) {
                v.software_image = Some(c[1].to_owned());
            }
        } else if let Some(c) = regex!(r"^(\S+) uptime is (.+)$").and_then(|r| r.captures(trimmed)) {
            v.hostname = Some(c[1].to_owned());
            v.uptime = Some(c[2].trim().to_owned());
            v.uptime_seconds = text::duration_words_seconds(&c[2]);
        } else if let Some(rest) = after(trimmed, "ROM:") {
            v.rommon = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(rest) = after(trimmed, "System image file is") {
            v.image = non_empty(rest.trim_matches('"'));
        } else if let Some(rest) = after(trimmed, "Last reload reason:") {
            v.reload_reason = non_empty(rest);
        } else if let Some(rest) = after(trimmed, "System returned to ROM by") {
            if v.reload_reason.is_none() {
                let reason = rest.split(" at ").next().unwrap_or(rest);
                v.reload_reason = non_empty(reason);
            }
        } else if let Some(rest) = after(trimmed, "System restarted at") {
            v.restarted = non_empty(rest);
        } else if let Some(rest) = after(trimmed, "Configuration register is") {
            v.config_register = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(c) = regex!(r"(?i)^cisco (\S+) .*processor").and_then(|r| r.captures(trimmed)) {
            board_models.push(c[1].to_owned());
        } else if let Some(rest) = after(trimmed, "Processor board ID") {
            if let Some(sn) = rest.split_whitespace().next() {
                board_serials.push(sn.trim_end_matches(',').to_owned());
            }
        } else if let Some((key, value)) = trimmed.split_once(" : ").or_else(|| trimmed.split_once(':')) {
            // The stack table of IOS-XE switches: one block per member.
            let value = value.trim();
            match key.trim() {
                "Model Number" if !value.is_empty() => v.models.push(value.to_owned()),
                "System Serial Number" if !value.is_empty() => v.serials.push(value.to_owned()),
                "Base Ethernet MAC Address" if !value.is_empty() => v.mac_addresses.push(value.to_owned()),
                _ => {}
            }
        }
    }
    // Switch stacks list every member's model and serial; routers only the processor line.
    if v.models.is_empty() {
        v.models = board_models;
    }
    if v.serials.is_empty() {
        v.serials = board_serials;
    }
    v.model = v.models.first().cloned();
    v.serial = v.serials.first().cloned();
    v.base_mac = v.mac_addresses.first().cloned();
    (v.hostname.is_some() || v.version.is_some()).then_some(v)
}

/// `show ip interface brief`.
#[must_use]
pub fn parse_ip_interface_brief(text: &str) -> Vec<InterfaceBrief> {
    let mut rows = Vec::new();
    for line in lines(text) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() < 6 || !matches!(tokens[2], "YES" | "NO") {
            continue;
        }
        let last = tokens.len() - 1;
        rows.push(InterfaceBrief {
            name: tokens[0].to_owned(),
            ip: (tokens[1] != "unassigned").then(|| tokens[1].to_owned()),
            status: tokens[4..last].join(" "),
            protocol: tokens[last].to_owned(),
            family: None,
        });
    }
    rows
}

/// `show interfaces`.
#[must_use]
pub fn parse_interfaces(text: &str) -> Vec<Interface> {
    let mut out: Vec<Interface> = Vec::new();
    for line in lines(text) {
        if !line.starts_with(char::is_whitespace) {
            if let Some(c) = regex!(r"^(\S+) is (.+?), line protocol is (.+?)\s*$").and_then(|r| r.captures(line)) {
                let link = c[2].trim().to_owned();
                let protocol = c[3].trim().to_owned();
                out.push(Interface {
                    name: c[1].to_owned(),
                    admin_up: Some(!link.starts_with("administratively")),
                    oper_up: Some(protocol.starts_with("up")),
                    link_status: Some(link),
                    protocol_status: Some(protocol),
                    ..Interface::default()
                });
            }
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let t = line.trim();
        if let Some(rest) = after(t, "Hardware is") {
            let (hw, addr) = rest.split_once(", address is").unwrap_or((rest, ""));
            cur.hardware_type = non_empty(hw);
            let mut addr = addr.split_whitespace();
            cur.mac = addr.next().map(str::to_owned);
            cur.bia = addr
                .next()
                .filter(|w| *w == "(bia")
                .and_then(|_| addr.next())
                .map(|b| b.trim_end_matches(')').to_owned());
        } else if let Some(rest) = after(t, "Description:") {
            cur.description = non_empty(rest);
        } else if let Some(rest) = after(t, "Internet address is") {
            cur.ip = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(rest) = after(t, "MTU") {
            cur.mtu = number(rest).and_then(|n| u32::try_from(n).ok());
            if let Some(bw) = rest.split(", ").find_map(|p| p.trim().strip_prefix("BW ")) {
                cur.bandwidth_kbit = number(bw);
            }
        } else if let Some(rest) = after(t, "Encapsulation") {
            cur.encapsulation = non_empty(rest.split(',').next().unwrap_or_default());
        } else if t.split(',').next().is_some_and(|f| f.to_ascii_lowercase().contains("duplex")) {
            let mut fields = t.split(',');
            cur.duplex = fields.next().and_then(non_empty);
            cur.speed = fields.next().and_then(non_empty);
        } else if let Some(c) =
            regex!(r"^\S+ (?:minute|second) (input|output) rate (\d+) bits/sec").and_then(|r| r.captures(t))
        {
            let bps = c[2].parse().ok();
            if &c[1] == "input" {
                cur.input_rate_bps = bps
            } else {
                cur.output_rate_bps = bps
            }
        } else if let Some(c) = regex!(r"^(\d+) packets (input|output), (\d+) bytes").and_then(|r| r.captures(t)) {
            let (packets, bytes) = (c[1].parse().ok(), c[3].parse().ok());
            if &c[2] == "input" {
                (cur.input_packets, cur.input_bytes) = (packets, bytes);
            } else {
                (cur.output_packets, cur.output_bytes) = (packets, bytes);
            }
        } else if let Some(c) = regex!(r"^(\d+) runts, (\d+) giants").and_then(|r| r.captures(t)) {
            (cur.runts, cur.giants) = (c[1].parse().ok(), c[2].parse().ok());
        } else if let Some(c) = regex!(r"^(\d+) input errors, (\d+) CRC").and_then(|r| r.captures(t)) {
            (cur.input_errors, cur.crc) = (c[1].parse().ok(), c[2].parse().ok());
        } else if let Some(c) = regex!(r"^(\d+) output errors").and_then(|r| r.captures(t)) {
            cur.output_errors = c[1].parse().ok();
        } else if let Some(c) =
            regex!(r"^Input queue: \d+/\d+/(\d+)/\d+.*Total output drops: (\d+)").and_then(|r| r.captures(t))
        {
            (cur.input_drops, cur.output_drops) = (c[1].parse().ok(), c[2].parse().ok());
        }
    }
    out
}

/// `show processes cpu` (also `sorted`).
#[must_use]
pub fn parse_processes_cpu(text: &str) -> Option<Resources> {
    let mut res = Resources::default();
    let mut found = false;
    for line in lines(text) {
        if let Some(c) =
            regex!(r"CPU utilization for five seconds: (\d+)%(?:/(\d+)%)?; one minute: (\d+)%; five minutes: (\d+)%")
                .and_then(|r| r.captures(line))
        {
            res.cpu = Cpu {
                five_sec: percent(&c[1]),
                five_sec_interrupt: c.get(2).and_then(|m| percent(m.as_str())),
                one_min: percent(&c[3]),
                five_min: percent(&c[4]),
            };
            found = true;
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() >= 9 && tokens[4..7].iter().all(|t| t.ends_with('%')) {
            let Ok(pid) = tokens[0].parse::<u32>() else { continue };
            res.processes.push(ProcessCpu {
                pid: Some(pid),
                name: tokens[8..].join(" "),
                five_sec: percent(tokens[4]),
                one_min: percent(tokens[5]),
                five_min: percent(tokens[6]),
                runtime_ms: tokens[1].parse().ok(),
                invoked: tokens[2].parse().ok(),
            });
        }
    }
    (found || !res.processes.is_empty()).then_some(res)
}

/// `show cdp neighbors detail`.
#[must_use]
pub fn parse_cdp_neighbors_detail(text: &str) -> Vec<Neighbor> {
    let mut out: Vec<Neighbor> = Vec::new();
    let mut entry_address: Option<String> = None;
    let mut in_mgmt = false;
    let mut want_version = false;
    let finish = |out: &mut Vec<Neighbor>, entry: &mut Option<String>| {
        if let Some(n) = out.last_mut() {
            if n.mgmt_address.is_none() {
                n.mgmt_address = entry.take();
            }
        }
        *entry = None;
    };
    for line in lines(text) {
        let t = line.trim();
        if let Some(id) = after(t, "Device ID:") {
            finish(&mut out, &mut entry_address);
            out.push(Neighbor { remote_device: non_empty(id), ..Neighbor::default() });
            in_mgmt = false;
            want_version = false;
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        if want_version && !t.is_empty() {
            cur.description = non_empty(t);
            want_version = false;
        } else if t.starts_with("Version :") || t == "Version:" {
            want_version = true;
        } else if t.starts_with("Management address") {
            in_mgmt = true;
        } else if t.starts_with("Entry address") {
            in_mgmt = false;
        } else if let Some(ip) = after(t, "IP address:") {
            if in_mgmt {
                if cur.mgmt_address.is_none() {
                    cur.mgmt_address = non_empty(ip);
                }
            } else if entry_address.is_none() {
                entry_address = non_empty(ip);
            }
        } else if let Some(rest) = after(t, "Platform:") {
            let (platform, caps) = rest.split_once(",").unwrap_or((rest, ""));
            cur.platform = non_empty(platform);
            if let Some(caps) = after(caps, "Capabilities:") {
                cur.capabilities = caps.split_whitespace().map(str::to_owned).collect();
            }
        } else if let Some(rest) = after(t, "Interface:") {
            let (local, remote) = rest.split_once(",").unwrap_or((rest, ""));
            cur.local_interface = local.trim().to_owned();
            cur.remote_interface = after(remote, "Port ID (outgoing port):").and_then(non_empty);
        }
    }
    finish(&mut out, &mut entry_address);
    out
}

/// `show lldp neighbors detail`.
#[must_use]
pub fn parse_lldp_neighbors_detail(text: &str) -> Vec<Neighbor> {
    let mut out = Vec::new();
    let mut cur: Option<Neighbor> = None;
    let mut port_description: Option<String> = None;
    let mut want_description = false;
    let mut in_mgmt = false;
    let flush = |cur: &mut Option<Neighbor>, pd: &mut Option<String>, out: &mut Vec<Neighbor>| {
        if let Some(mut n) = cur.take() {
            n.remote_interface = pd.take().or_else(|| n.remote_port_id.clone());
            out.push(n);
        }
        *pd = None;
    };
    for line in lines(text) {
        let t = line.trim();
        if t.starts_with("----") {
            flush(&mut cur, &mut port_description, &mut out);
            want_description = false;
            in_mgmt = false;
            continue;
        }
        let starts_entry = t.starts_with("Local Intf:") || t.starts_with("Chassis id:");
        if starts_entry && cur.as_ref().is_some_and(|n| n.chassis_id.is_some()) {
            // Entries not separated by a dashed line.
            flush(&mut cur, &mut port_description, &mut out);
        }
        if cur.is_none() && !starts_entry {
            continue;
        }
        let n = cur.get_or_insert_with(Neighbor::default);
        if want_description {
            if !t.is_empty() {
                n.description = non_empty(t);
                want_description = false;
            }
            continue;
        }
        if let Some(v) = after(t, "Local Intf:") {
            n.local_interface = v.to_owned();
        } else if let Some(v) = after(t, "Chassis id:") {
            n.chassis_id = non_empty(v);
        } else if let Some(v) = after(t, "Port id:") {
            n.remote_port_id = non_empty(v);
        } else if let Some(v) = after(t, "Port Description:") {
            port_description = non_empty(v);
        } else if let Some(v) = after(t, "System Name:") {
            n.remote_device = non_empty(v);
        } else if let Some(v) = after(t, "System Description:") {
            match non_empty(v) {
                Some(d) => n.description = Some(d),
                None => want_description = true,
            }
        } else if let Some(v) = after(t, "Enabled Capabilities:") {
            n.capabilities = v.split(',').filter_map(non_empty).collect();
        } else if t.starts_with("Management Addresses") {
            in_mgmt = !t.contains("not advertised");
        } else if let (true, Some(ip)) = (in_mgmt, after(t, "IP:")) {
            if n.mgmt_address.is_none() {
                n.mgmt_address = non_empty(ip);
            }
        } else if !line.starts_with(char::is_whitespace) && !t.is_empty() {
            in_mgmt = false;
        }
    }
    flush(&mut cur, &mut port_description, &mut out);
    out
}

fn is_ipv4_prefix(token: &str) -> bool {
    let addr = token.split('/').next().unwrap_or_default();
    let parts: Vec<&str> = addr.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
}

fn classful_length(addr: &str) -> u8 {
    match addr.split('.').next().and_then(|o| o.parse::<u8>().ok()).unwrap_or(0) {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}

fn is_age(token: &str) -> bool {
    regex!(r"^(?:\d+[ywdhms])+$|^\d+:\d+:\d+$").is_some_and(|r| r.is_match(token))
}

/// Fills distance, metric, next hop, age and interface of `route` from one path text such as
/// `[110/20] via 194.0.0.2, 1d18h, Fa0/0` or `is directly connected, 3w4d, Vlan5`.
fn fill_path(route: &mut Route, path: &str) {
    let mut rest = path.trim();
    if let Some(inner) = rest.strip_prefix('[') {
        let (metrics, tail) = inner.split_once(']').unwrap_or((inner, ""));
        let (d, m) = metrics.split_once('/').unwrap_or((metrics, ""));
        route.distance = d.trim().parse().ok();
        route.metric = m.trim().parse().ok();
        rest = tail.trim();
    }
    for phrase in ["is directly connected", "is a summary", "is subnetted"] {
        if let Some(tail) = rest.strip_prefix(phrase) {
            rest = tail;
        }
    }
    for (i, item) in rest.split(',').map(str::trim).enumerate() {
        if item.is_empty() {
            continue;
        }
        if let Some(via) = item.strip_prefix("via ") {
            let mut words = via.split_whitespace();
            route.next_hop = words.next().map(str::to_owned);
            route.next_hop_vrf = words.next().map(|v| v.trim_matches(|c| c == '(' || c == ')').to_owned());
        } else if is_age(item) {
            route.age = Some(item.to_owned());
        } else if i > 0 || route.next_hop.is_none() {
            route.interface = Some(item.to_owned());
        }
    }
}

/// `show ip route` (also `show ip route vrf X`). One row per path.
#[must_use]
pub fn parse_ip_route(text: &str) -> Vec<Route> {
    let mut out: Vec<Route> = Vec::new();
    let mut vrf: Option<String> = None;
    let mut subnet_len: Option<u8> = None;
    // The route whose paths may continue on following lines, and whether it has a row yet.
    let mut current: Option<(Route, bool)> = None;
    for line in lines(text) {
        let t = line.trim();
        if let Some(name) = after(t, "Routing Table:") {
            vrf = non_empty(name);
            continue;
        }
        if t.contains(" is subnetted") || t.contains(" is variably subnetted") {
            subnet_len = if t.contains("variably") {
                None
            } else {
                t.split_whitespace().next().and_then(|p| p.split_once('/')).and_then(|(_, l)| l.parse().ok())
            };
            continue;
        }
        if line.starts_with(char::is_whitespace) && t.starts_with('[') {
            if let Some((template, emitted)) = current.as_mut() {
                let mut r = Route {
                    distance: None,
                    metric: None,
                    next_hop: None,
                    next_hop_vrf: None,
                    interface: None,
                    age: None,
                    ..template.clone()
                };
                fill_path(&mut r, t);
                out.push(r);
                *emitted = true;
            }
            continue;
        }
        if line.starts_with(char::is_whitespace) || t.is_empty() {
            continue;
        }
        let tokens: Vec<&str> = t.split_whitespace().collect();
        let Some(k) = tokens.iter().position(|tok| is_ipv4_prefix(tok)) else { continue };
        if k == 0 {
            continue;
        }
        let code = tokens[..k].join(" ").replace('*', " * ");
        let parts: Vec<&str> = code.split_whitespace().filter(|p| *p != "*").collect();
        let code_ok = !parts.is_empty()
            && parts.len() <= 2
            && parts
                .iter()
                .all(|p| p.len() <= 2 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '%'));
        if !code_ok {
            continue;
        }
        if let Some((template, false)) = current.take() {
            out.push(template);
        }
        let prefix_token = tokens[k];
        let prefix = if prefix_token.contains('/') {
            prefix_token.to_owned()
        } else {
            format!("{prefix_token}/{}", subnet_len.unwrap_or_else(|| classful_length(prefix_token)))
        };
        let template = Route {
            vrf: vrf.clone(),
            protocol: parts[0].to_owned(),
            route_type: parts.get(1).map(|s| (*s).to_owned()),
            prefix,
            selected: code.contains('*'),
            ..Route::default()
        };
        // Text after the prefix token, found by position so multiple spaces don't matter.
        let rest = t.find(prefix_token).map(|i| &t[i + prefix_token.len()..]).unwrap_or_default().trim();
        if rest.is_empty() {
            current = Some((template, false));
        } else {
            let mut r = template.clone();
            fill_path(&mut r, rest);
            out.push(r);
            current = Some((template, true));
        }
    }
    if let Some((template, false)) = current {
        out.push(template);
    }
    out
}

/// `show ip bgp summary` / `show bgp ipv4 unicast summary`.
#[must_use]
pub fn parse_bgp_summary(text: &str) -> Option<BgpSummary> {
    let mut s = BgpSummary::default();
    let mut family: Option<String> = None;
    let mut in_table = false;
    for line in lines(text) {
        let t = line.trim();
        if let Some(c) = regex!(r"BGP router identifier (\S+), local AS number (\S+)").and_then(|r| r.captures(t)) {
            s.router_id = Some(c[1].trim_end_matches(',').to_owned());
            s.local_as = Some(c[2].to_owned());
        } else if let Some(f) = after(t, "For address family:") {
            family = non_empty(f);
            in_table = false;
        } else if t.starts_with("Neighbor") && t.contains("State/PfxRcd") {
            in_table = true;
        } else if in_table {
            let tokens: Vec<&str> = t.split_whitespace().collect();
            if tokens.len() < 10 {
                continue;
            }
            let n = BgpNeighbor {
                address: tokens[0].to_owned(),
                remote_as: tokens[2].to_owned(),
                up_down: tokens[8].to_owned(),
                messages_received: tokens[3].parse().ok(),
                messages_sent: tokens[4].parse().ok(),
                address_family: family.clone(),
                ..BgpNeighbor::default()
            };
            s.neighbors.push(n.with_state(&tokens[9..].join(" ")));
        }
    }
    (s.router_id.is_some() || !s.neighbors.is_empty()).then_some(s)
}

/// `show inventory`.
#[must_use]
pub fn parse_inventory(text: &str) -> Vec<InventoryItem> {
    let mut out: Vec<InventoryItem> = Vec::new();
    for line in lines(text) {
        if let Some(c) = regex!(r#"NAME:\s*"([^"]*)"\s*,\s*DESCR:\s*"([^"]*)""#).and_then(|r| r.captures(line)) {
            out.push(InventoryItem {
                name: c[1].trim().to_owned(),
                descr: non_empty(&c[2]),
                ..InventoryItem::default()
            });
        } else if let Some(c) =
            regex!(r"PID:\s*(.*?)\s*,\s*VID:\s*(.*?)\s*,\s*SN:\s*(.*?)\s*$").and_then(|r| r.captures(line))
        {
            if let Some(item) = out.last_mut() {
                item.pid = non_empty(&c[1]);
                item.vid = non_empty(&c[2]);
                item.sn = non_empty(&c[3]);
            }
        }
    }
    out
}

//! Aruba AOS-CX `show` outputs.

use super::text::{self, after, key_value, lines, non_empty, number, percent, regex};
use super::{
    BgpNeighbor, BgpSummary, Cpu, Interface, InterfaceBrief, Memory, Neighbor, ProcessCpu, Resources, Route, Version,
};

/// `show system`: identity, uptime and utilisation. `None` when no known key is present.
#[must_use]
pub fn parse_system(text: &str) -> Option<Version> {
    let mut v = Version::default();
    let mut found = false;
    for line in lines(text) {
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        let field = match key.trim() {
            "Hostname" => &mut v.hostname,
            "Vendor" => &mut v.vendor,
            "Product Name" => &mut v.model,
            "Chassis Serial Nbr" | "Serial Number" => &mut v.serial,
            "Base MAC Address" => &mut v.base_mac,
            "ArubaOS-CX Version" | "AOS-CX Version" => &mut v.version,
            "Up Time" => {
                v.uptime_seconds = text::duration_words_seconds(value);
                &mut v.uptime
            }
            "CPU Util (%)" => {
                v.cpu_percent = percent(value);
                found = true;
                continue;
            }
            "Memory Usage (%)" => {
                v.memory_percent = percent(value);
                found = true;
                continue;
            }
            _ => continue,
        };
        *field = non_empty(value);
        found = true;
    }
    v.models.extend(v.model.clone());
    v.serials.extend(v.serial.clone());
    v.mac_addresses.extend(v.base_mac.clone());
    found.then_some(v)
}

/// `show version`.
#[must_use]
pub fn parse_version(text: &str) -> Option<Version> {
    let mut v = Version { vendor: Some("Aruba".into()), ..Version::default() };
    for line in lines(text) {
        if let Some(x) = key_value(line, "Version", ':') {
            v.version = non_empty(x);
        } else if let Some(x) = key_value(line, "Active Image", ':') {
            v.image = non_empty(x);
        } else if let Some(x) = key_value(line, "Service OS Version", ':') {
            v.rommon = non_empty(x);
        }
    }
    v.version.is_some().then_some(v)
}

/// `show interface` (all or one).
#[must_use]
pub fn parse_interface(text: &str) -> Vec<Interface> {
    let mut out: Vec<Interface> = Vec::new();
    let mut in_stats = false;
    let mut in_rates = false;
    for line in lines(text) {
        let t = line.trim();
        if let Some(c) = regex!(r"^Interface (\S+) is (\S+)").and_then(|r| r.captures(line)) {
            let status = c[2].to_owned();
            out.push(Interface {
                name: c[1].to_owned(),
                oper_up: Some(status.eq_ignore_ascii_case("up")),
                link_status: Some(status),
                ..Interface::default()
            });
            (in_stats, in_rates) = (false, false);
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        if t.starts_with("Statistic") {
            (in_stats, in_rates) = (true, false);
            continue;
        }
        if t.starts_with("Rate ") && t.contains("RX") {
            (in_stats, in_rates) = (false, true);
            continue;
        }
        if in_stats || in_rates {
            let tokens: Vec<&str> = t.split_whitespace().collect();
            if tokens.len() >= 4 {
                let n = tokens.len();
                let (label, rx, tx) = (tokens[..n - 3].join(" "), tokens[n - 3], tokens[n - 2]);
                if in_stats {
                    let (rx, tx) = (rx.parse::<u64>().ok(), tx.parse::<u64>().ok());
                    match label.as_str() {
                        "Packets" => (cur.input_packets, cur.output_packets) = (rx, tx),
                        "Bytes" => (cur.input_bytes, cur.output_bytes) = (rx, tx),
                        "Dropped" => (cur.input_drops, cur.output_drops) = (rx, tx),
                        "Errors" => (cur.input_errors, cur.output_errors) = (rx, tx),
                        "CRC/FCS" => cur.crc = rx,
                        "Runts" => cur.runts = rx,
                        "Giants" => cur.giants = rx,
                        _ => {}
                    }
                } else if label == "Mbits / sec" {
                    let bps = |s: &str| {
                        s.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0).map(|f| (f * 1e6).round() as u64)
                    };
                    (cur.input_rate_bps, cur.output_rate_bps) = (bps(rx), bps(tx));
                }
                continue;
            }
        }
        if let Some(x) = after(t, "Admin state is") {
            cur.admin_up = Some(x.eq_ignore_ascii_case("up"));
        } else if let Some(x) = after(t, "Description:") {
            cur.description = non_empty(x);
        } else if let Some(x) = after(t, "Hardware:") {
            let (hw, mac) = x.split_once(", MAC Address:").unwrap_or((x, ""));
            cur.hardware_type = non_empty(hw);
            cur.mac = non_empty(mac);
        } else if let Some(x) = after(t, "MTU") {
            cur.mtu = number(x).and_then(|n| u32::try_from(n).ok());
        } else if let Some(x) = t.strip_suffix("-duplex") {
            cur.duplex = non_empty(x);
        } else if let Some(x) = after(t, "Speed") {
            cur.speed = non_empty(x);
        } else if let Some(x) = after(t, "IPv4 address").or_else(|| after(t, "IP address")) {
            cur.ip = x.split_whitespace().next().map(str::to_owned);
        }
    }
    out
}

/// `show ip interface brief`.
#[must_use]
pub fn parse_ip_interface_brief(text: &str) -> Vec<InterfaceBrief> {
    let mut out = Vec::new();
    for line in lines(text) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() < 3 {
            continue;
        }
        let Some((link, admin)) = tokens[tokens.len() - 1].split_once('/') else { continue };
        let is_state = |s: &str| matches!(s.to_ascii_lowercase().as_str(), "up" | "down");
        if !is_state(link) || !is_state(admin) {
            continue;
        }
        out.push(InterfaceBrief {
            name: tokens[0].to_owned(),
            ip: (tokens[1] != "No").then(|| tokens[1].to_owned()),
            status: admin.to_owned(),
            protocol: link.to_owned(),
            family: None,
        });
    }
    out
}

/// `show lldp neighbor-info detail`.
#[must_use]
pub fn parse_lldp_neighbor_detail(text: &str) -> Vec<Neighbor> {
    let mut out: Vec<Neighbor> = Vec::new();
    let mut port_desc: Vec<Option<String>> = Vec::new();
    for line in lines(text) {
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if key.trim() == "Port" {
            out.push(Neighbor { local_interface: value.to_owned(), ..Neighbor::default() });
            port_desc.push(None);
            continue;
        }
        let (Some(n), Some(pd)) = (out.last_mut(), port_desc.last_mut()) else { continue };
        match key.trim() {
            "Neighbor Chassis-Name" => n.remote_device = non_empty(value),
            "Neighbor Chassis-Description" => n.description = non_empty(value),
            "Neighbor Chassis-ID" => n.chassis_id = non_empty(value),
            "Neighbor Management-Address" => n.mgmt_address = non_empty(value),
            "Chassis Capabilities Enabled" => n.capabilities = value.split(',').filter_map(non_empty).collect(),
            "Neighbor Port-ID" => n.remote_port_id = non_empty(value),
            "Neighbor Port-Desc" => *pd = non_empty(value),
            _ => {}
        }
    }
    for (n, pd) in out.iter_mut().zip(port_desc) {
        n.remote_interface = pd.or_else(|| n.remote_port_id.clone());
    }
    out
}

/// `show system resource-utilization`. The device gives one CPU figure (recent average), which
/// lands in `five_sec`, and memory as a percentage only.
#[must_use]
pub fn parse_resource_utilization(text: &str) -> Option<Resources> {
    let mut res = Resources::default();
    let mut found = false;
    let mut in_table = false;
    for line in lines(text) {
        let t = line.trim();
        if let Some(c) =
            regex!(r"(?i)^CPU\s*(?:usage|util(?:ization)?)\s*\(%\)\s*:\s*([\d.]+)").and_then(|r| r.captures(t))
        {
            res.cpu = Cpu { five_sec: percent(&c[1]), ..Cpu::default() };
            found = true;
        } else if let Some(c) =
            regex!(r"(?i)^Memory\s*(?:usage|util(?:ization)?)\s*\(%\)\s*:\s*([\d.]+)").and_then(|r| r.captures(t))
        {
            res.memory = Some(Memory { used_percent: percent(&c[1]), ..Memory::default() });
            found = true;
        } else if t.starts_with("Process") && t.contains("CPU") {
            in_table = true;
        } else if in_table && !t.starts_with("---") {
            let tokens: Vec<&str> = t.split_whitespace().collect();
            if tokens.len() >= 3 {
                if let Some(cpu) = percent(tokens[1]) {
                    res.processes.push(ProcessCpu {
                        pid: None,
                        name: tokens[0].to_owned(),
                        five_sec: Some(cpu),
                        one_min: None,
                        five_min: None,
                        runtime_ms: None,
                        invoked: None,
                    });
                }
            }
        }
    }
    found.then_some(res)
}

/// `show ip route` (also `all-vrfs`). One row per `via` line.
#[must_use]
pub fn parse_ip_route(text: &str) -> Vec<Route> {
    if text.lines().any(|l| l.trim_start().starts_with("Prefix") && l.contains("Nexthop")) {
        return parse_ip_route_table(text);
    }
    let mut out = Vec::new();
    let mut current: Option<(String, Option<String>)> = None;
    for line in lines(text) {
        let t = line.trim();
        if let Some(c) = regex!(r"^(\d+\.\d+\.\d+\.\d+/\d+),\s*vrf\s+(\S+)").and_then(|r| r.captures(t)) {
            current = Some((c[1].to_owned(), Some(c[2].to_owned())));
            continue;
        }
        let (Some((prefix, vrf)), Some(via)) = (current.as_ref(), after(t, "via")) else { continue };
        let mut route = Route { prefix: prefix.clone(), vrf: vrf.clone(), ..Route::default() };
        let items: Vec<&str> = via.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        for (i, item) in items.iter().enumerate() {
            if let Some(inner) = item.strip_prefix('[') {
                let (d, m) = inner.trim_end_matches(']').split_once('/').unwrap_or((inner, ""));
                route.distance = d.trim().parse().ok();
                route.metric = m.trim().parse().ok();
            } else if i == 0 && item.parse::<std::net::IpAddr>().is_ok() {
                route.next_hop = Some((*item).to_owned());
            } else if i + 1 == items.len() {
                route.protocol = (*item).to_owned();
            } else {
                route.interface = Some((*item).to_owned());
            }
        }
        out.push(route);
    }
    out
}

/// The tabular `show ip route` of newer AOS-CX releases (10.09 on): one row per path, columns
/// Prefix, Nexthop, Interface, VRF(egress), Origin/Type, Distance/Metric, Age; `-` for none.
fn parse_ip_route_table(text: &str) -> Vec<Route> {
    let dash = |s: &str| if s == "-" { None } else { Some(s.to_owned()) };
    let mut vrf = None;
    let mut out = Vec::new();
    for line in lines(text) {
        let t = line.trim();
        if let Some(v) = key_value(t, "VRF", ':') {
            vrf = non_empty(v);
            continue;
        }
        let tokens: Vec<&str> = t.split_whitespace().collect();
        let Some(prefix) = tokens
            .first()
            .filter(|p| p.contains('/') && p.split('/').next().is_some_and(|a| a.parse::<std::net::IpAddr>().is_ok()))
        else {
            continue;
        };
        if tokens.len() < 6 {
            continue;
        }
        let (distance, metric) = tokens[5]
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split_once('/')
            .map_or((None, None), |(d, m)| (d.parse().ok(), m.parse().ok()));
        out.push(Route {
            vrf: vrf.clone(),
            protocol: tokens[4].to_owned(),
            prefix: (*prefix).to_owned(),
            next_hop: dash(tokens[1]),
            interface: dash(tokens[2]),
            next_hop_vrf: dash(tokens[3]),
            distance,
            metric,
            age: tokens.get(6).and_then(|a| dash(a)),
            ..Route::default()
        });
    }
    out
}

/// `show bgp all summary` (also `all-vrfs`).
#[must_use]
pub fn parse_bgp_summary(text: &str) -> Option<BgpSummary> {
    let mut s = BgpSummary::default();
    let mut family: Option<String> = None;
    let mut in_table = false;
    for line in lines(text) {
        let t = line.trim();
        if let Some(c) = regex!(r"Local AS\s*:\s*(\S+)").and_then(|r| r.captures(t)) {
            s.local_as = Some(c[1].to_owned());
        }
        if let Some(c) = regex!(r"BGP Router Identifier\s*:\s*(\S+)").and_then(|r| r.captures(t)) {
            s.router_id = Some(c[1].to_owned());
        }
        if let Some(f) = key_value(t, "Address-family", ':') {
            family = non_empty(f);
            in_table = false;
        } else if t.starts_with("Neighbor") && t.contains("Remote-AS") {
            in_table = true;
        } else if in_table {
            let tokens: Vec<&str> = t.split_whitespace().collect();
            if tokens.len() < 6 || tokens[0].parse::<std::net::IpAddr>().is_err() {
                continue;
            }
            let n = BgpNeighbor {
                address: tokens[0].to_owned(),
                remote_as: tokens[1].to_owned(),
                messages_received: tokens[2].parse().ok(),
                messages_sent: tokens[3].parse().ok(),
                up_down: tokens[4].to_owned(),
                address_family: family.clone(),
                ..BgpNeighbor::default()
            };
            s.neighbors.push(n.with_state(tokens[5]));
        }
    }
    (s.router_id.is_some() || s.local_as.is_some() || !s.neighbors.is_empty()).then_some(s)
}

#[cfg(test)]
mod route_table_tests {
    use super::*;

    #[test]
    fn the_tabular_route_format_of_newer_releases_parses() {
        let text = "\nDisplaying ipv4 routes selected for forwarding\n\nOrigin Codes: C - connected, S - static, L - local\n\nVRF: default\n\nPrefix              Nexthop          Interface     VRF(egress)       Origin/ Distance/    Age\n                                                                     Type    Metric\n--------------------------------------------------------------------------------------\n0.0.0.0/0           10.0.0.1         -             -                 S       [1/0]        12d:05h:17m\n10.0.0.0/31         -                1/1/1         -                 C       [0/0]        -\n\nTotal Route Count : 2\n";
        let routes = parse_ip_route(text);
        assert_eq!(routes.len(), 2, "{routes:?}");
        assert_eq!(routes[0].prefix, "0.0.0.0/0");
        assert_eq!(routes[0].next_hop.as_deref(), Some("10.0.0.1"));
        assert_eq!(routes[0].protocol, "S");
        assert_eq!((routes[0].distance, routes[0].metric), (Some(1), Some(0)));
        assert_eq!(routes[1].interface.as_deref(), Some("1/1/1"));
        assert_eq!(routes[1].next_hop, None);
        assert_eq!(routes[1].vrf.as_deref(), Some("default"));
    }
}

//! Parser accuracy against the ntc-templates corpus, plus hand-written samples for the commands the
//! corpus lacks.
//!
//! The corpus's `.yml` files were converted once to `.json` beside them (PyYAML, `sort_keys`), so the
//! test needs no YAML reader. Each expected row is compared field by field with our row mapped to
//! ntc names; `cargo test -p domain --test parsers -- --nocapture` prints the accuracy table.
//!
//! Deliberately unmapped ntc fields (we keep the information elsewhere or not at all):
//! - IOS `show version`: `release` (the `fc1` build tag); the split `uptime_years..minutes` are
//!   compared through `uptime_seconds` instead.
//! - IOS `show interfaces`: `delay`, `media_type`, `vlan_id*`, `abort`, `frame`, `overrun`,
//!   `last_input/output*`, `queue_size/max/flushes/strategy`, `input/output_pps`.
//! - IOS `show processes cpu`: `process_cpu_time_for_invocation` (uSecs), `process_tty`.
//! - IOS LLDP: the PoE/MED fields (`power_*`, `serial`, `manufacturer`, `*_revision`), `vlan_id`.
//! - IOS BGP: `bgp_version`, `table_version`, `input_queue`, `output_queue`.
//! - AOS-CX `show system`: `contact`, `location`, `time_zone`.
//! - AOS-CX `show interface`: VLAN/QoS/flow-control/auto-neg settings, per-cast-type counters,
//!   `link_transitions`, `if_type`, `tx_crc_fcs`, `tx_collision`, `*_filtered`.
//! - AOS-CX LLDP: `capabilities_supported` (we keep the enabled ones).
//! - Junos `show version`: the per-package fields (we keep `packages` as a list).
//! - Junos `show interfaces`: `destination` (we keep `address/prefix_length`).
//! - Junos `show lldp neighbors`: `parent_interface`.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use domain::device::Platform;
use domain::parse::{self, ParseError, Parsed};
use serde_json::Value;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/ntc")
}

type Row = BTreeMap<&'static str, Vec<String>>;

fn s(v: &Option<String>) -> Vec<String> {
    vec![v.clone().unwrap_or_default()]
}
fn one(v: impl ToString) -> Vec<String> {
    vec![v.to_string()]
}
fn opt<T: ToString>(v: Option<T>) -> Vec<String> {
    vec![v.map(|x| x.to_string()).unwrap_or_default()]
}
fn pct(v: Option<f64>) -> Vec<String> {
    vec![v.map(|x| format!("{x:.2}")).unwrap_or_default()]
}
fn split_ip(ip: &Option<String>) -> (String, String) {
    let ip = ip.clone().unwrap_or_default();
    let (a, l) = ip.split_once('/').unwrap_or((ip.as_str(), ""));
    (a.to_owned(), l.to_owned())
}
fn list(v: &[String]) -> Vec<String> {
    v.to_vec()
}

/// Our parse of one corpus entry as rows keyed by ntc field names.
fn to_ntc(platform: Platform, command: &str, parsed: &Parsed) -> Vec<Row> {
    let mut rows = Vec::new();
    match (platform, command, parsed) {
        (Platform::CiscoIos, "show version", Parsed::Version(v)) => {
            let image = v.image.clone().unwrap_or_default();
            let image = image.rsplit([':', '/']).next().unwrap_or_default().to_owned();
            rows.push(Row::from([
                ("hostname", s(&v.hostname)),
                ("version", s(&v.version)),
                ("hardware", list(&v.models)),
                ("serial", list(&v.serials)),
                ("mac_address", list(&v.mac_addresses)),
                ("uptime", s(&v.uptime)),
                ("uptime_seconds", opt(v.uptime_seconds)),
                ("running_image", one(image)),
                ("software_image", s(&v.software_image)),
                ("rommon", s(&v.rommon)),
                ("config_register", s(&v.config_register)),
                ("reload_reason", s(&v.reload_reason)),
                ("restarted", s(&v.restarted)),
            ]));
        }
        (Platform::ArubaAoscx, "show system", Parsed::Version(v)) => {
            rows.push(Row::from([
                ("hostname", s(&v.hostname)),
                ("version", s(&v.version)),
                ("product", s(&v.model)),
                ("serial", s(&v.serial)),
                ("base_mac", s(&v.base_mac)),
                ("vendor", s(&v.vendor)),
                ("uptime_seconds", opt(v.uptime_seconds)),
            ]));
        }
        (Platform::JuniperJunos, "show version", Parsed::Version(v)) => {
            rows.push(Row::from([
                ("hostname", s(&v.hostname)),
                ("model", s(&v.model)),
                ("junos_version", s(&v.version)),
                ("serial_number", s(&v.serial)),
            ]));
        }
        (_, _, Parsed::InterfacesBrief(list)) => {
            for r in list {
                rows.push(Row::from([
                    ("interface", one(&r.name)),
                    ("ip_address", s(&r.ip)),
                    ("status", one(&r.status)),
                    ("proto", one(&r.protocol)),
                ]));
            }
        }
        (Platform::CiscoIos, _, Parsed::Interfaces(list)) => {
            for i in list {
                let (ip, len) = split_ip(&i.ip);
                rows.push(Row::from([
                    ("interface", one(&i.name)),
                    ("link_status", s(&i.link_status)),
                    ("protocol_status", s(&i.protocol_status)),
                    ("description", s(&i.description)),
                    ("hardware_type", s(&i.hardware_type)),
                    ("mac_address", s(&i.mac)),
                    ("bia", s(&i.bia)),
                    ("ip_address", one(ip)),
                    ("prefix_length", one(len)),
                    ("mtu", opt(i.mtu)),
                    ("bandwidth", opt(i.bandwidth_kbit.map(|b| format!("{b} Kbit")))),
                    ("encapsulation", s(&i.encapsulation)),
                    ("duplex", s(&i.duplex)),
                    ("speed", s(&i.speed)),
                    ("input_packets", opt(i.input_packets)),
                    ("output_packets", opt(i.output_packets)),
                    ("input_rate", opt(i.input_rate_bps)),
                    ("output_rate", opt(i.output_rate_bps)),
                    ("input_errors", opt(i.input_errors)),
                    ("output_errors", opt(i.output_errors)),
                    ("crc", opt(i.crc)),
                    ("runts", opt(i.runts)),
                    ("giants", opt(i.giants)),
                    ("queue_drops", opt(i.input_drops)),
                    ("queue_output_drops", opt(i.output_drops)),
                ]));
            }
        }
        (Platform::ArubaAoscx, _, Parsed::Interfaces(list)) => {
            for i in list {
                let updown = |b: Option<bool>| opt(b.map(|b| if b { "up" } else { "down" }));
                rows.push(Row::from([
                    ("interface", one(&i.name)),
                    ("link_status", s(&i.link_status)),
                    ("link_admin", updown(i.admin_up)),
                    ("interface_desc", s(&i.description)),
                    ("hw_type", s(&i.hardware_type)),
                    ("mac_address", s(&i.mac)),
                    ("mtu", opt(i.mtu)),
                    ("speed", s(&i.speed)),
                    ("duplex", s(&i.duplex)),
                    ("ip_address", s(&i.ip)),
                    ("rx_total_packets", opt(i.input_packets)),
                    ("tx_total_packets", opt(i.output_packets)),
                    ("rx_total_bytes", opt(i.input_bytes)),
                    ("tx_total_bytes", opt(i.output_bytes)),
                    ("rx_errors", opt(i.input_errors)),
                    ("tx_errors", opt(i.output_errors)),
                    ("rx_dropped", opt(i.input_drops)),
                    ("tx_dropped", opt(i.output_drops)),
                    ("rx_crc_fcs", opt(i.crc)),
                ]));
            }
        }
        (Platform::JuniperJunos, _, Parsed::Interfaces(list)) => {
            for i in list {
                let is_logical = i.name.contains('.');
                let admin = match (is_logical, i.admin_up) {
                    (false, Some(true)) => "Enabled",
                    (false, Some(false)) => "Disabled",
                    _ => "",
                };
                rows.push(Row::from([
                    ("interface", one(&i.name)),
                    ("admin_state", one(admin)),
                    ("link_status", s(&i.link_status)),
                    ("description", s(&i.description)),
                    ("hardware_type", s(&i.hardware_type)),
                    ("mtu", opt(i.mtu)),
                    ("local", one(split_ip(&i.ip).0)),
                ]));
            }
        }
        (_, _, Parsed::Resources(r)) => {
            for p in &r.processes {
                rows.push(Row::from([
                    ("cpu_usage_5_sec", opt(r.cpu.five_sec)),
                    ("cpu_usage_1_min", opt(r.cpu.one_min)),
                    ("cpu_usage_5_min", opt(r.cpu.five_min)),
                    ("cpu_interruption_5_sec", opt(r.cpu.five_sec_interrupt)),
                    ("process_pid", opt(p.pid)),
                    ("process_name", one(&p.name)),
                    ("process_cpu_usage_5_sec", pct(p.five_sec)),
                    ("process_cpu_usage_1_min", pct(p.one_min)),
                    ("process_cpu_usage_5_min", pct(p.five_min)),
                    ("process_runtime", opt(p.runtime_ms)),
                    ("process_invoked", opt(p.invoked)),
                ]));
            }
        }
        (_, _, Parsed::Neighbors(list)) => {
            for n in list {
                rows.push(Row::from([
                    ("local_interface", one(&n.local_interface)),
                    ("neighbor_name", s(&n.remote_device)),
                    ("neighbor_interface", s(&n.remote_interface)),
                    ("neighbor_port_id", s(&n.remote_port_id)),
                    ("chassis_id", s(&n.chassis_id)),
                    ("mgmt_address", s(&n.mgmt_address)),
                    ("platform", s(&n.platform)),
                    ("neighbor_description", s(&n.description)),
                    ("capabilities", n.capabilities.clone()),
                ]));
            }
        }
        (_, _, Parsed::Routes(list)) => {
            for r in list {
                let (network, len) = r.prefix.split_once('/').unwrap_or((r.prefix.as_str(), ""));
                rows.push(Row::from([
                    ("vrf", s(&r.vrf)),
                    ("protocol", one(&r.protocol)),
                    ("type", s(&r.route_type)),
                    ("network", one(network)),
                    ("prefix_length", one(len)),
                    ("nexthop_ip", s(&r.next_hop)),
                    ("nexthop_vrf", s(&r.next_hop_vrf)),
                    ("nexthop_if", s(&r.interface)),
                    ("distance", opt(r.distance)),
                    ("metric", opt(r.metric)),
                    ("uptime", s(&r.age)),
                    ("flag", one(if r.selected { "*" } else { "" })),
                ]));
            }
        }
        (_, _, Parsed::BgpSummary(b)) => {
            for n in &b.neighbors {
                rows.push(Row::from([
                    ("router_id", s(&b.router_id)),
                    ("local_as", s(&b.local_as)),
                    ("bgp_neighbor", one(&n.address)),
                    ("neighbor_as", one(&n.remote_as)),
                    ("state_or_prefixes_received", one(&n.state_or_prefixes)),
                    ("up_down", one(&n.up_down)),
                    ("messages_received", opt(n.messages_received)),
                    ("messages_sent", opt(n.messages_sent)),
                    ("address_family", s(&n.address_family)),
                ]));
            }
        }
        (_, _, Parsed::Inventory(list)) => {
            for i in list {
                rows.push(Row::from([
                    ("name", one(&i.name)),
                    ("descr", s(&i.descr)),
                    ("pid", s(&i.pid)),
                    ("vid", s(&i.vid)),
                    ("sn", s(&i.sn)),
                ]));
            }
        }
        (_, _, Parsed::Uptime(u)) => {
            // "2021-08-31 08:48:11 MSK" -> year, month, day, time, timezone
            let split = |v: &Option<String>| -> [String; 5] {
                let v = v.clone().unwrap_or_default();
                let mut w = v.split_whitespace();
                let date = w.next().unwrap_or_default().to_owned();
                let mut d = date.split('-').map(str::to_owned);
                let (y, m, dd) =
                    (d.next().unwrap_or_default(), d.next().unwrap_or_default(), d.next().unwrap_or_default());
                let time = w.next().unwrap_or_default().to_owned();
                [y, m, dd, time, w.next().unwrap_or_default().to_owned()]
            };
            let [y, m, d, t, z] = split(&u.current_time);
            let [by, bm, bd, bt, bz] = split(&u.booted);
            let [py, pm, pd, pt, pz] = split(&u.protocols_started);
            let [cy, cm, cd, ct, cz] = split(&u.last_configured);
            let load = |i: usize| opt(u.load_averages.map(|l| format!("{:.2}", l[i])));
            rows.push(Row::from([
                ("year", one(y)),
                ("month", one(m)),
                ("day", one(d)),
                ("time", one(t)),
                ("timezone", one(z)),
                ("boot_year", one(by)),
                ("boot_month", one(bm)),
                ("boot_day", one(bd)),
                ("boot_time", one(bt)),
                ("boot_timezone", one(bz)),
                ("protocols_year", one(py)),
                ("protocols_month", one(pm)),
                ("protocols_day", one(pd)),
                ("protocols_time", one(pt)),
                ("protocols_timezone", one(pz)),
                ("last_config_year", one(cy)),
                ("last_config_month", one(cm)),
                ("last_config_day", one(cd)),
                ("last_config_time", one(ct)),
                ("last_config_timezone", one(cz)),
                ("last_config_user", s(&u.last_configured_by)),
                ("time_source", s(&u.time_source)),
                ("users", opt(u.users)),
                ("load_average_1min", load(0)),
                ("load_average_5min", load(1)),
                ("load_average_15min", load(2)),
            ]));
        }
        _ => {}
    }
    rows
}

/// Expected row values as lists of trimmed strings, with the declared normalisations.
fn expected_row(
    platform: Platform,
    command: &str,
    row: &serde_json::Map<String, Value>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = row
        .iter()
        .map(|(k, v)| {
            let vals = match v {
                Value::Array(a) => a.iter().map(|x| x.as_str().unwrap_or_default().trim().to_owned()).collect(),
                other => vec![other.as_str().unwrap_or_default().trim().to_owned()],
            };
            (k.clone(), vals)
        })
        .collect();
    let get = |k: &str| out.get(k).and_then(|v| v.first()).and_then(|v| v.parse::<u64>().ok());
    // Split uptime fields -> seconds, compared with our uptime_seconds.
    if out.contains_key("uptime_minutes") {
        let secs = get("uptime_years").unwrap_or(0) * 365 * 86_400
            + get("uptime_weeks").unwrap_or(0) * 7 * 86_400
            + get("uptime_days").unwrap_or(0) * 86_400
            + get("uptime_hours").unwrap_or(0) * 3_600
            + get("uptime_minutes").unwrap_or(0) * 60;
        out.insert("uptime_seconds".into(), vec![secs.to_string()]);
    }
    // Capability lists are one string in ntc ("Router Switch IGMP", "B,R", "Bridge, WLAN").
    if let Some(c) = out.get_mut("capabilities") {
        let joined = c.join(" ");
        *c = joined.split([',', ' ']).filter(|w| !w.is_empty()).map(str::to_owned).collect();
    }
    // Junos says MTU "Unlimited"; our typed MTU is then absent.
    if platform == Platform::JuniperJunos {
        if let Some(m) = out.get_mut("mtu") {
            if m.first().is_some_and(|v| v == "Unlimited") {
                *m = vec![String::new()];
            }
        }
    }
    // IOS `show ip interface brief` says "unassigned" where we have no address.
    if command == "show ip interface brief" {
        if let Some(ip) = out.get_mut("ip_address") {
            if ip.first().is_some_and(|v| v == "unassigned") {
                *ip = vec![String::new()];
            }
        }
    }
    out
}

#[derive(Default)]
struct Score {
    files: usize,
    matched: usize,
    total: usize,
    misses: BTreeMap<String, usize>,
}

#[test]
fn ntc_corpus_accuracy() {
    let manifest = fs::read_to_string(corpus().join("manifest.jsonl")).expect("manifest");
    let mut scores: BTreeMap<(String, String), Score> = BTreeMap::new();
    let mut unsupported = Vec::new();
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line).expect("manifest line");
        let platform: Platform = entry["platform"].as_str().unwrap().parse().unwrap();
        let command = entry["command"].as_str().unwrap();
        let raw = fs::read_to_string(corpus().join(entry["raw"].as_str().unwrap())).expect("raw");
        let expected_path = corpus().join(entry["expected"].as_str().unwrap()).with_extension("json");
        let expected: Value = serde_json::from_str(&fs::read_to_string(expected_path).expect("json")).expect("json");
        let parsed = match parse::parse(platform, command, &raw) {
            Ok(p) => Some(p),
            Err(ParseError::UnsupportedCommand { .. }) => {
                unsupported.push(format!("{platform} {command}"));
                continue;
            }
            Err(e) => panic!("{platform} {command} ({}) failed: {e}", entry["raw"]),
        };
        let ours = parsed.map(|p| to_ntc(platform, command, &p)).unwrap_or_default();
        let score = scores.entry((platform.to_string(), command.to_owned())).or_default();
        score.files += 1;
        let rows = expected["parsed_sample"].as_array().expect("parsed_sample");
        for (i, row) in rows.iter().enumerate() {
            let exp = expected_row(platform, command, row.as_object().expect("row"));
            let mine = ours.get(i);
            // Compare on the fields we map: those our row (or any row for this command) carries.
            let mapped: Vec<&'static str> = ours.first().map(|r| r.keys().copied().collect()).unwrap_or_default();
            let mapped: Vec<&str> = if mapped.is_empty() { exp.keys().map(String::as_str).collect() } else { mapped };
            for field in mapped {
                let Some(want) = exp.get(field) else { continue };
                score.total += 1;
                let got = mine.and_then(|r| r.get(field));
                let got: Vec<String> = got.map(|g| g.iter().map(|x| x.trim().to_owned()).collect()).unwrap_or_default();
                let equal = mine.is_some() && got == *want
                    || mine.is_some() && (want.len() == 1 && want[0].is_empty() && got.iter().all(String::is_empty));
                if equal {
                    score.matched += 1;
                } else {
                    *score.misses.entry(field.to_owned()).or_default() += 1;
                    if std::env::var_os("PARSER_DEBUG").is_some() {
                        eprintln!("{platform} {command} row {i} {field}: want {want:?} got {got:?}");
                    }
                }
            }
        }
        if ours.len() != rows.len() {
            eprintln!("{platform} {command} ({}): {} rows expected, {} parsed", entry["raw"], rows.len(), ours.len());
        }
    }
    eprintln!("\n{:<15} {:<35} {:>5} {:>8} {:>9}  misses", "platform", "command", "files", "fields", "accuracy");
    let mut failing = Vec::new();
    for ((platform, command), sc) in &scores {
        let acc = if sc.total == 0 { 0.0 } else { sc.matched as f64 / sc.total as f64 };
        eprintln!(
            "{platform:<15} {command:<35} {:>5} {:>8} {:>8.1}%  {:?}",
            sc.files,
            format!("{}/{}", sc.matched, sc.total),
            acc * 100.0,
            sc.misses
        );
        if acc < 0.9 {
            failing.push(format!("{platform} {command}: {:.1}%", acc * 100.0));
        }
    }
    eprintln!("not parsed (outside the brief): {unsupported:?}\n");
    assert!(failing.is_empty(), "below 90%: {failing:?}");
    assert!(scores.len() >= 15, "every supported corpus command is scored: {}", scores.len());
}

// ---- own samples, in the vendors' formats, for commands the corpus lacks -----------------------

fn ok(platform: Platform, command: &str, text: &str) -> Parsed {
    parse::parse(platform, command, text).unwrap_or_else(|e| panic!("{command}: {e}"))
}

#[test]
fn aoscx_samples() {
    let Parsed::Version(v) = ok(
        Platform::ArubaAoscx,
        "show version",
        "-----------------------------------------------------------------------------\nArubaOS-CX\n(c) Copyright 2017-2023 Hewlett Packard Enterprise Development LP\n-----------------------------------------------------------------------------\nVersion      : FL.10.11.1021\nBuild Date   : 2023-01-18 03:21:29 UTC\nBuild ID     : ArubaOS-CX:FL.10.11.1021:5bd8b1a0c5a1:202301180251\nBuild SHA    : 5bd8b1a0c5a1e2e0c1c6ff8c3d1bb3e2d4a9f0c1\nActive Image : primary\n\nService OS Version : FL.01.11.0002\nBIOS Version       : FL.01.0002\n",
    ) else {
        panic!("version")
    };
    assert_eq!((v.version.as_deref(), v.image.as_deref()), (Some("FL.10.11.1021"), Some("primary")));

    let Parsed::InterfacesBrief(rows) = ok(
        Platform::ArubaAoscx,
        "sh ip int br",
        "Interface         IP Address             Interface Status\n                                           link/admin\nloopback0        10.255.0.1/32               up/up\n\nvlan1            No Address                down/up\n\nvlan20           10.20.0.1/24                up/down\n",
    ) else {
        panic!("brief")
    };
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[0].ip.as_deref(), rows[1].ip.as_deref()), (Some("10.255.0.1/32"), None));
    assert_eq!((rows[2].status.as_str(), rows[2].protocol.as_str()), ("down", "up"));

    let Parsed::Resources(r) = ok(
        Platform::ArubaAoscx,
        "show system resource-utilization",
        "System Resources:\nProcesses: 117\nCPU usage(%): 7\nMemory usage(%): 33\nOpen FD's: 3468\n\nProcess                    CPU Usage(%)   Memory Usage(%)   Open FD's\n-------------------------- -------------- ----------------- ----------\naaautilscfgd               0              0                 13\nhpe-routing                3              2                 58\n",
    ) else {
        panic!("resources")
    };
    assert_eq!(r.cpu.five_sec, Some(7.0));
    assert_eq!(r.memory.and_then(|m| m.used_percent), Some(33.0));
    assert_eq!(r.processes.len(), 2);
    assert_eq!((r.processes[1].name.as_str(), r.processes[1].five_sec), ("hpe-routing", Some(3.0)));

    let Parsed::Routes(routes) = ok(
        Platform::ArubaAoscx,
        "show ip route",
        "\nDisplaying ipv4 routes selected for forwarding\n\n'[x/y]' denotes [distance/metric]\n\n0.0.0.0/0, vrf default\n\tvia  10.0.0.254,  [1/0],  static\n10.0.0.0/24, vrf default\n\tvia  vlan10,  [0/0],  connected\n10.9.0.0/16, vrf default\n\tvia  10.0.0.2,  [20/0],  bgp\n\tvia  10.0.0.3,  [20/0],  bgp\n",
    ) else {
        panic!("routes")
    };
    assert_eq!(routes.len(), 4);
    assert_eq!(
        (routes[0].prefix.as_str(), routes[0].next_hop.as_deref(), routes[0].protocol.as_str()),
        ("0.0.0.0/0", Some("10.0.0.254"), "static")
    );
    assert_eq!((routes[1].interface.as_deref(), routes[1].distance), (Some("vlan10"), Some(0)));
    assert_eq!(
        (routes[3].next_hop.as_deref(), routes[3].distance, routes[3].vrf.as_deref()),
        (Some("10.0.0.3"), Some(20), Some("default"))
    );

    let Parsed::BgpSummary(b) = ok(
        Platform::ArubaAoscx,
        "show bgp all summary",
        "VRF : default\nBGP Summary\n-----------\n Local AS               : 65010        BGP Router Identifier  : 10.255.0.1\n Peers                  : 2            Log Neighbor Changes   : No\n Cfg. Hold Time         : 180          Cfg. Keep Alive        : 60\n\nAddress-family : IPv4 Unicast\n-----------------------------\n Neighbor        Remote-AS MsgRcvd MsgSent   Up/Down Time State        AdminStatus\n 10.0.0.2        65020     1532    1541      01h:02m:03s  Established   Up\n 10.0.0.3        65030     0       0         00h:00m:00s  Idle          Up\n",
    ) else {
        panic!("bgp")
    };
    assert_eq!((b.local_as.as_deref(), b.router_id.as_deref()), (Some("65010"), Some("10.255.0.1")));
    assert_eq!(b.neighbors.len(), 2);
    assert!(b.neighbors[0].established && !b.neighbors[1].established);
    assert_eq!(b.neighbors[0].address_family.as_deref(), Some("IPv4 Unicast"));
}

#[test]
fn junos_samples() {
    let Parsed::InterfacesBrief(rows) = ok(
        Platform::JuniperJunos,
        "show interfaces terse",
        "Interface               Admin Link Proto    Local                 Remote\nge-0/0/0                up    up\nge-0/0/0.0              up    up   inet     10.0.0.1/24\n                                   multiservice\nge-0/0/1                up    down\nlo0                     up    up\nlo0.0                   up    up   inet     10.255.255.1        --> 0/0\n                                   inet6    fe80::1/64\n",
    ) else {
        panic!("terse")
    };
    assert_eq!(rows.len(), 5);
    assert_eq!((rows[1].ip.as_deref(), rows[1].family.as_deref()), (Some("10.0.0.1/24"), Some("inet")));
    assert_eq!((rows[2].name.as_str(), rows[2].protocol.as_str()), ("ge-0/0/1", "down"));
    assert_eq!(rows[4].ip.as_deref(), Some("10.255.255.1"));

    let Parsed::RouteSummary(s) = ok(
        Platform::JuniperJunos,
        "show route summary",
        "Autonomous system number: 65000\nRouter ID: 10.255.255.1\n\ninet.0: 12 destinations, 13 routes (12 active, 0 holddown, 0 hidden)\n              Direct:      3 routes,      3 active\n               Local:      3 routes,      3 active\n                 BGP:      7 routes,      6 active\n\ninet6.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\n               Local:      1 routes,      1 active\n",
    ) else {
        panic!("summary")
    };
    assert_eq!((s.local_as.as_deref(), s.tables.len()), (Some("65000"), 2));
    assert_eq!((s.tables[0].routes, s.tables[0].active, s.tables[0].protocols.len()), (13, 12, 3));
    assert_eq!(s.tables[0].protocols[2].protocol, "BGP");

    let Parsed::Routes(routes) = ok(
        Platform::JuniperJunos,
        "show route",
        "\ninet.0: 4 destinations, 5 routes (4 active, 0 holddown, 0 hidden)\n+ = Active Route, - = Last Active, * = Both\n\n0.0.0.0/0          *[Static/5] 2w0d 01:02:03\n                    >  to 10.0.0.254 via ge-0/0/0.0\n10.0.0.0/24        *[Direct/0] 2w0d 01:02:03\n                    >  via ge-0/0/0.0\n10.0.0.1/32        *[Local/0] 2w0d 01:02:03\n                       Local via ge-0/0/0.0\n192.168.1.0/24     *[OSPF/10] 00:10:11, metric 2\n                    >  to 10.0.0.2 via ge-0/0/0.0\n                    [BGP/170] 1d 02:00:00, localpref 100\n                      AS path: 65001 I, validation-state: unverified\n                    >  to 10.0.0.3 via ge-0/0/1.0\n",
    ) else {
        panic!("route")
    };
    assert_eq!(routes.len(), 5);
    assert_eq!(
        (routes[0].protocol.as_str(), routes[0].distance, routes[0].next_hop.as_deref()),
        ("Static", Some(5), Some("10.0.0.254"))
    );
    assert_eq!((routes[1].next_hop.as_deref(), routes[1].interface.as_deref()), (None, Some("ge-0/0/0.0")));
    assert_eq!((routes[3].metric, routes[3].selected, routes[3].vrf.as_deref()), (Some(2), true, Some("inet.0")));
    assert_eq!(
        (routes[4].protocol.as_str(), routes[4].selected, routes[4].next_hop.as_deref()),
        ("BGP", false, Some("10.0.0.3"))
    );
    assert_eq!(routes[4].prefix, "192.168.1.0/24");

    let Parsed::BgpSummary(b) = ok(
        Platform::JuniperJunos,
        "show bgp summary",
        "Threading mode: BGP I/O\nGroups: 2 Peers: 3 Down peers: 1\nTable          Tot Paths  Act Paths Suppressed    History Damp State    Pending\ninet.0\n                      12          6          0          0          0          0\nPeer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...\n10.0.0.2              65001       1234       1240       0       1 2d 3:04:05 Establ\n  inet.0: 6/10/10/0\n10.0.0.3              65002         15         17       0       0     1:02:03 4/5/5/0              0/0/0/0\n10.0.0.4              65003          0          0       0       3       12:00 Active\n",
    ) else {
        panic!("bgp")
    };
    assert_eq!(b.neighbors.len(), 3);
    let n = &b.neighbors;
    assert_eq!((n[0].up_down.as_str(), n[0].established, n[0].prefixes_received), ("2d 3:04:05", true, Some(10)));
    assert_eq!(n[0].address_family.as_deref(), Some("inet.0"));
    assert_eq!((n[1].prefixes_received, n[1].established), (Some(5), true));
    assert_eq!((n[2].state_or_prefixes.as_str(), n[2].established), ("Active", false));

    let Parsed::Inventory(items) = ok(
        Platform::JuniperJunos,
        "show chassis hardware",
        "Hardware inventory:\nItem             Version  Part number  Serial number     Description\nChassis                                JN11F7E3AAFA      MX204\nMidplane         REV 25   750-070866   ACPF1234          MX204\nPEM 0            Rev 03   740-069994   1EDS9876543       DC 0.8kW Power Entry Module\nRouting Engine 0 BUILTIN  BUILTIN      ACPF1234          RE-S-1600x8\nFPC 0            BUILTIN  BUILTIN                        MPC-BUILTIN\n  PIC 0                   BUILTIN      BUILTIN           4XQSFP28 PIC\n    Xcvr 0       REV 01   740-061405   1ACQ12345         QSFP-100GBASE-SR4\nFan Tray 0                                               Fan Tray\n",
    ) else {
        panic!("hardware")
    };
    assert_eq!(items.len(), 8);
    assert_eq!(
        (items[0].name.as_str(), items[0].sn.as_deref(), items[0].descr.as_deref()),
        ("Chassis", Some("JN11F7E3AAFA"), Some("MX204"))
    );
    assert_eq!((items[1].vid.as_deref(), items[1].pid.as_deref()), (Some("REV 25"), Some("750-070866")));
    assert_eq!((items[6].name.as_str(), items[6].sn.as_deref()), ("Xcvr 0", Some("1ACQ12345")));
    assert_eq!((items[7].pid.as_deref(), items[7].descr.as_deref()), (None, Some("Fan Tray")));

    let Parsed::Resources(r) = ok(
        Platform::JuniperJunos,
        "show chassis routing-engine",
        "Routing Engine status:\n  Slot 0:\n    Current state                  Master\n    Election priority              Master (default)\n    Temperature                 39 degrees C / 102 degrees F\n    DRAM                      3584 MB (4096 MB installed)\n    Memory utilization          18 percent\n    5 sec CPU utilization:\n      User                       1 percent\n      Background                 0 percent\n      Kernel                     2 percent\n      Interrupt                  0 percent\n      Idle                      97 percent\n    1 min CPU utilization:\n      User                       2 percent\n      Background                 0 percent\n      Kernel                     3 percent\n      Interrupt                  0 percent\n      Idle                      95 percent\n    5 min CPU utilization:\n      User                       2 percent\n      Background                 0 percent\n      Kernel                     2 percent\n      Interrupt                  0 percent\n      Idle                      96 percent\n    Model                          RE-S-1800x4\n    Uptime                         35 days, 1 hour, 10 minutes, 22 seconds\n  Slot 1:\n    Current state                  Backup\n      Idle                      50 percent\n",
    ) else {
        panic!("re")
    };
    assert_eq!((r.cpu.five_sec, r.cpu.one_min, r.cpu.five_min), (Some(3.0), Some(5.0), Some(4.0)));
    let m = r.memory.expect("memory");
    assert_eq!((m.total, m.used_percent), (Some(3584 * 1024), Some(18.0)));
    assert_eq!(m.used, Some(660_603));

    let Parsed::Resources(p) = ok(
        Platform::JuniperJunos,
        "show system processes summary",
        "last pid: 24931;  load averages:  0.89,  0.94,  0.81  up 41+06:26:24    00:51:55\n545 threads:   9 running, 481 sleeping, 1 zombie, 54 waiting\nCPU: 14.7% user,  0.0% nice,  4.1% system,  0.2% interrupt, 81.0% idle\nMem: 3977M Active, 14G Inact, 1815M Wired, 504M Buf, 74G Free\nSwap: 12G Total, 12G Free\n\n  PID USERNAME    PRI NICE   SIZE    RES STATE    C   TIME    WCPU COMMAND\n19880 root         25    0   801M    74M select   2 132.6H  15.09% cosd\n19876 root         21    0    14G    13G kqread   3 938.4H   2.69% rpd{rpd}\n",
    ) else {
        panic!("processes")
    };
    assert_eq!(p.cpu.five_sec, Some(19.0));
    let m = p.memory.expect("memory");
    assert_eq!(m.free, Some(74 * 1024 * 1024));
    assert_eq!(m.total, Some((3977 + 14 * 1024 + 1815 + 74 * 1024) * 1024));
    assert_eq!((p.processes.len(), p.processes[0].name.as_str(), p.processes[0].five_sec), (2, "cosd", Some(15.09)));
}

#[test]
fn parsed_values_round_trip_through_json() {
    let raw = fs::read_to_string(corpus().join("cisco_ios/show_version/cisco_ios_show_version.raw")).unwrap();
    let parsed = parse::parse(Platform::CiscoIos, "show version", &raw).unwrap();
    let json = serde_json::to_string(&parsed).unwrap();
    assert!(json.starts_with(r#"{"kind":"version""#), "{json}");
    assert_eq!(serde_json::from_str::<Parsed>(&json).unwrap(), parsed);
    let Parsed::Version(v) = parsed else { panic!() };
    assert_eq!(v.uptime_seconds, Some(2 * 365 * 86_400 + 31 * 7 * 86_400 + 6 * 86_400 + 9 * 3600 + 55 * 60));
}

#[test]
fn empty_and_wrong_outputs() {
    assert!(matches!(parse::parse(Platform::CiscoIos, "show version", ""), Err(ParseError::Unrecognised { .. })));
    assert_eq!(parse::parse(Platform::CiscoIos, "show ip int brief", ""), Ok(Parsed::InterfacesBrief(vec![])));
    // Another command's output is not mistaken for this one's.
    let lldp =
        fs::read_to_string(corpus().join("juniper_junos/show_lldp_neighbors/juniper_junos_show_lldp_neighbors.raw"))
            .unwrap();
    assert!(parse::parse(Platform::JuniperJunos, "show bgp summary", &lldp).is_err());
    assert_eq!(parse::parse(Platform::JuniperJunos, "show chassis hardware", &lldp), Ok(Parsed::Inventory(vec![])));
}

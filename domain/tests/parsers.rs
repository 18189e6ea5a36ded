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

//! The lab's own output, read over SSH by the transport, must parse with the same parsers that
//! read real devices: every supported show command of each platform, with fields that match the
//! lab's state (hostnames, neighbors on both ends of a link, CPU from the profile).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use domain::device::Platform;
use domain::parse::{parse, Parsed};
use server::adapters::ssh::{MemoryHostKeys, SshConfig, SshTarget, SshTransport};
use server::lab::{CpuProfile, Lab, Topology};

/// The show commands the lab must render for each platform (issue 4), as engineers type them.
fn commands(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::CiscoIos => &[
            "show version",
            "show ip interface brief",
            "show interfaces",
            "show processes cpu",
            "show cdp neighbors detail",
            "show lldp neighbors detail",
            "show ip route",
            "show ip bgp summary",
            "show inventory",
        ],
        Platform::ArubaAoscx => &[
            "show system",
            "show version",
            "show interface",
            "show ip interface brief",
            "show lldp neighbor-info detail",
            "show system resource-utilization",
            // The lab's switches run no BGP: `show bgp all summary` answers "% BGP is not configured".
            "show ip route",
        ],
        Platform::JuniperJunos => &[
            "show version",
            "show system uptime",
            "show interfaces",
            "show interfaces terse",
            "show lldp neighbors",
            "show route",
            "show route summary",
            "show bgp summary",
            "show chassis hardware",
            "show chassis routing-engine",
        ],
    }
}

async fn outputs(
    lab: &Lab,
    transport: &SshTransport,
    name: &str,
    problems: &mut Vec<String>,
) -> BTreeMap<&'static str, Parsed> {
    let d = lab.devices().into_iter().find(|d| d.name == name).expect("device in builtin lab");
    let target = SshTarget {
        device_id: d.name.clone(),
        host: d.address.to_string(),
        port: d.port,
        platform: d.platform,
        username: d.username.clone(),
        password: d.password.clone(),
        enable_secret: Some(d.enable_secret.clone()),
        jump: None,
    };
    let mut session = transport.open(&target).await.expect("login");
    let mut parsed = BTreeMap::new();
    for &command in commands(d.platform) {
        let text = session.run(command).await.unwrap_or_else(|e| panic!("{name}: {command}: {e}"));
        match parse(d.platform, command, &text) {
            Ok(p) => {
                parsed.insert(command, p);
            }
            Err(e) => problems.push(format!("{name}: `{command}` does not parse: {e}\n{text}")),
        }
    }
    session.close().await;
    parsed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_supported_command_of_the_lab_parses_and_matches_its_state() {
    let lab = Lab::start(Topology::builtin().with_bind(Ipv4Addr::LOCALHOST, 0)).await.expect("lab starts");
    lab.set_cpu("R15", CpuProfile::Steady { percent: 42 }).unwrap();
    let transport = SshTransport::new(SshConfig::default(), Arc::new(MemoryHostKeys::new()));
    let mut seen = 0;
    let mut problems = Vec::new();
    let mut neighbor_pairs = Vec::new();
    for (name, platform) in [("R15", Platform::CiscoIos), ("SW1", Platform::ArubaAoscx), ("J1", Platform::JuniperJunos)]
    {
        let parsed = outputs(&lab, &transport, name, &mut problems).await;
        if parsed.len() != commands(platform).len() {
            problems.push(format!("{name}: {} of {} commands parsed", parsed.len(), commands(platform).len()));
        }
        for (command, p) in &parsed {
            seen += 1;
            let mut check = |ok: bool, what: String| {
                if !ok {
                    problems.push(format!("{name} `{command}`: {what}"));
                }
            };
            match p {
                Parsed::Version(v) => {
                    check(v.hostname.as_deref().is_none_or(|h| h == name), format!("hostname {:?}", v.hostname));
                    check(v.version.is_some() || v.hostname.is_some(), format!("no version: {v:?}"));
                }
                Parsed::InterfacesBrief(rows) => check(!rows.is_empty(), "no interfaces".into()),
                Parsed::Interfaces(rows) => {
                    check(!rows.is_empty(), "no interfaces".into());
                    check(rows.iter().any(|i| i.oper_up == Some(true)), format!("none up: {rows:?}"));
                }
                Parsed::Neighbors(rows) => {
                    check(!rows.is_empty(), "no neighbors although the lab links it".into());
                    for n in rows {
                        neighbor_pairs.push((name.to_owned(), n.local_interface.clone(), n.remote_device.clone()));
                    }
                }
                Parsed::Resources(r) => {
                    check(r.cpu.five_sec.is_some() || r.cpu.one_min.is_some(), format!("no CPU: {r:?}"));
                    if name == "R15" {
                        check(r.cpu.five_sec == Some(42.0), format!("CPU profile 42% shows as {:?}", r.cpu.five_sec));
                    }
                }
                Parsed::Routes(rows) => check(!rows.is_empty(), "no routes (connected ones at least)".into()),
                Parsed::RouteSummary(s) => check(!s.tables.is_empty(), "no route tables".into()),
                Parsed::BgpSummary(s) => check(!s.neighbors.is_empty(), format!("no BGP neighbors: {s:?}")),
                Parsed::Inventory(items) => check(!items.is_empty(), "no inventory items".into()),
                Parsed::Uptime(u) => check(u.uptime_seconds.is_some() || u.uptime.is_some(), "no uptime".into()),
            }
        }
    }
    assert!(problems.is_empty(), "{} problems with the lab's output:\n{}", problems.len(), problems.join("\n---\n"));
    assert!(seen >= 25, "{seen} commands checked");
    // Neighbors seen from a device name a remote that sees it back.
    for (local, _, remote) in &neighbor_pairs {
        let Some(remote) = remote else { continue };
        let remote = remote.split('.').next().unwrap_or(remote);
        if ["R15", "SW1", "J1"].contains(&remote) {
            assert!(
                neighbor_pairs
                    .iter()
                    .any(|(l, _, r)| l == remote && r.as_deref().is_some_and(|r| r.starts_with(local.as_str()))),
                "{local} sees {remote} but not the reverse: {neighbor_pairs:?}"
            );
        }
    }
    lab.shutdown().await;
}

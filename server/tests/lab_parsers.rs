//! The lab's own output, read over SSH by the transport, must parse with the same parsers that
//! read real devices: every supported show command of each platform, with fields that match the
//! lab's state (hostnames, neighbors on both ends of a link, CPU from the profile).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use domain::device::Platform;
use domain::parse::{parse, supported_commands, Parsed};
use server::adapters::ssh::{MemoryHostKeys, SshConfig, SshTarget, SshTransport};
use server::lab::{CpuProfile, Lab, Topology};

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
    for command in supported_commands(d.platform) {
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
        for (command, p) in &parsed {
            seen += 1;
            match p {
                Parsed::Version(v) => {
                    if let Some(h) = &v.hostname {
                        assert_eq!(h, name, "{command}");
                    }
                    assert!(v.version.is_some() || v.hostname.is_some(), "{name} {command}: {v:?}");
                }
                Parsed::InterfacesBrief(rows) => assert!(!rows.is_empty(), "{name} {command}"),
                Parsed::Interfaces(rows) => {
                    assert!(!rows.is_empty(), "{name} {command}");
                    assert!(rows.iter().any(|i| i.oper_up == Some(true)), "{name} {command}: {rows:?}");
                }
                Parsed::Neighbors(rows) => {
                    assert!(!rows.is_empty(), "{name} {command}: lab links give neighbors");
                    for n in rows {
                        neighbor_pairs.push((name.to_owned(), n.local_interface.clone(), n.remote_device.clone()));
                    }
                }
                Parsed::Resources(r) => {
                    assert!(r.cpu.five_sec.is_some() || r.cpu.one_min.is_some(), "{name} {command}: {r:?}");
                    if name == "R15" {
                        assert_eq!(r.cpu.five_sec, Some(42.0), "the CPU profile drives show processes cpu");
                    }
                }
                Parsed::Routes(rows) => assert!(!rows.is_empty(), "{name} {command}: connected routes at least"),
                Parsed::RouteSummary(s) => assert!(!s.tables.is_empty(), "{name} {command}"),
                Parsed::BgpSummary(s) => assert!(s.local_as.is_some(), "{name} {command}: {s:?}"),
                Parsed::Inventory(items) => assert!(!items.is_empty(), "{name} {command}"),
                Parsed::Uptime(u) => assert!(u.uptime_seconds.is_some() || u.uptime.is_some(), "{name} {command}"),
            }
        }
    }
    assert!(problems.is_empty(), "{} lab outputs do not parse:\n{}", problems.len(), problems.join("\n---\n"));
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

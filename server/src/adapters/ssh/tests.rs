//! The transport against the in-process device lab on 127.0.0.1 (ephemeral ports).

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::device::Platform;

use super::*;
use crate::lab::{Fault, Lab, LabDeviceInfo, Topology};

async fn start_lab() -> Lab {
    match Lab::start(Topology::builtin().with_bind(Ipv4Addr::LOCALHOST, 0)).await {
        Ok(lab) => lab,
        Err(e) => panic!("lab did not start: {e}"),
    }
}

fn info(lab: &Lab, name: &str) -> LabDeviceInfo {
    match lab.devices().into_iter().find(|d| d.name == name) {
        Some(d) => d,
        None => panic!("no lab device {name}"),
    }
}

fn target(lab: &Lab, name: &str) -> SshTarget {
    let d = info(lab, name);
    SshTarget {
        device_id: d.name.clone(),
        host: d.address.to_string(),
        port: d.port,
        platform: d.platform,
        username: d.username,
        password: d.password,
        enable_secret: Some(d.enable_secret),
        jump: None,
    }
}

fn fast_config() -> SshConfig {
    SshConfig {
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(1),
        max_sessions: 8,
        retries: 2,
        backoff_base: Duration::from_millis(10),
        breaker_failures: 2,
        breaker_cooldown: Duration::from_secs(60),
    }
}

fn transport() -> (SshTransport, Arc<MemoryHostKeys>) {
    let keys = Arc::new(MemoryHostKeys::new());
    (SshTransport::new(fast_config(), Arc::clone(&keys) as Arc<dyn HostKeyStore>), keys)
}

async fn open(transport: &SshTransport, target: &SshTarget) -> DeviceSession {
    match transport.open(target).await {
        Ok(s) => s,
        Err(e) => panic!("open {}: {e}", target.device_id),
    }
}

#[tokio::test]
async fn show_commands_and_backup_on_each_platform() {
    let lab = start_lab().await;
    let (transport, _) = transport();
    for (name, platform, marker) in [
        ("R15", Platform::CiscoIos, "Cisco IOS Software"),
        ("SW1", Platform::ArubaAoscx, "ArubaOS-CX"),
        ("J1", Platform::JuniperJunos, "JUNOS"),
    ] {
        let mut session = open(&transport, &target(&lab, name)).await;
        assert_eq!(session.platform(), platform);
        // Enable reached on IOS (R15> then R15#); the others log in privileged.
        assert_eq!(session.prompt().mode, Mode::Exec, "{name}");
        let version = session.run("show version").await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(version.contains(marker), "{name}: {version}");
        assert!(!version.starts_with("show version"), "echo kept on {name}: {version}");
        assert!(!version.contains(&format!("{}#", session.prompt().base)), "prompt kept on {name}");
        assert!(!version.contains('\r'));

        let backup = backup(&mut session).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = lab.running_config(name).unwrap_or_default();
        assert_eq!(backup.running.trim_end(), expected.trim_end(), "{name}");
        assert_eq!(backup.startup_is_running, platform == Platform::JuniperJunos);
        if platform != Platform::JuniperJunos {
            assert_eq!(backup.startup.trim_end(), lab.startup_config(name).unwrap_or_default().trim_end());
        }
        session.close().await;
    }
}

#[tokio::test]
async fn configure_and_save_change_the_device() {
    let lab = start_lab().await;
    let (transport, _) = transport();
    let cases: [(&str, Vec<String>, &str); 3] = [
        ("R16", vec!["interface GigabitEthernet0/1".into(), "description nl-ios-change".into()], "nl-ios-change"),
        ("SW2", vec!["interface 1/1/1".into(), "description nl-cx-change".into()], "nl-cx-change"),
        ("J1", vec!["set interfaces ge-0/0/0 description nl-junos-change".into()], "nl-junos-change"),
    ];
    for (name, lines, marker) in cases {
        let mut session = open(&transport, &target(&lab, name)).await;
        assert!(!lab.startup_config(name).unwrap_or_default().contains(marker));
        session.configure(&lines).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(session.prompt().mode, Mode::Exec, "{name} left config mode");
        assert!(lab.running_config(name).unwrap_or_default().contains(marker), "{name}");
        session.save().await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(lab.startup_config(name).unwrap_or_default().contains(marker), "{name} saved");
        // The session stays usable and sees its own change.
        let backup = backup(&mut session).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(backup.running.contains(marker));
        session.close().await;
    }
}

#[tokio::test]
async fn refused_lines_are_rejected_and_config_mode_is_left() {
    let lab = start_lab().await;
    let (transport, _) = transport();
    for (name, bad) in [("R17", "frobnicate the widgets"), ("J1", "set frobnicate widgets")] {
        let mut session = open(&transport, &target(&lab, name)).await;
        let lines = vec![bad.to_owned()];
        match session.configure(&lines).await {
            Err(SshError::Rejected { line, output }) => {
                assert_eq!(line, bad);
                assert!(!output.is_empty());
            }
            other => panic!("{name}: expected Rejected, got {other:?}"),
        }
        assert_eq!(session.prompt().mode, Mode::Exec, "{name}");
        assert!(session.run("show version").await.is_ok(), "{name} still usable");
        session.close().await;
    }
}

/// Counts handshakes that reached the host key check.
struct CountingKeys {
    inner: MemoryHostKeys,
    checks: AtomicUsize,
}

#[async_trait]
impl HostKeyStore for CountingKeys {
    async fn known(&self, device_id: &str) -> Option<String> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.inner.known(device_id).await
    }
    async fn trust_first_use(&self, device_id: &str, fingerprint: &str) {
        self.inner.trust_first_use(device_id, fingerprint).await;
    }
}

#[tokio::test]
async fn wrong_password_is_auth_without_retries() {
    let lab = start_lab().await;
    let keys = Arc::new(CountingKeys { inner: MemoryHostKeys::new(), checks: AtomicUsize::new(0) });
    let transport = SshTransport::new(fast_config(), Arc::clone(&keys) as Arc<dyn HostKeyStore>);
    let mut bad = target(&lab, "R18");
    bad.password = "not-the-password".into();
    for _ in 0..3 {
        assert!(matches!(transport.open(&bad).await, Err(SshError::Auth)));
    }
    assert_eq!(keys.checks.load(Ordering::SeqCst), 3, "one handshake per open, no retries");
    assert_eq!(transport.connect_attempts(), 3);
    // Auth failures go to the operator, not to the breaker.
    assert_eq!(transport.breaker_state("R18"), BreakerState::Closed);

    let mut wrong_secret = target(&lab, "R18");
    wrong_secret.enable_secret = Some("nope".into());
    let result = transport.open(&wrong_secret).await.map(|_| ());
    assert!(matches!(result, Err(SshError::Auth)), "{result:?}");
}

#[tokio::test]
async fn a_hung_device_times_out_without_blocking_others() {
    let lab = start_lab().await;
    let (transport, _) = transport();
    lab.set_fault("R19", Some(Fault::Hang)).unwrap_or_else(|e| panic!("{e}"));
    let hung = target(&lab, "R19");
    let healthy = target(&lab, "R20");
    let started = Instant::now();
    let t = transport.clone();
    let hung_task = tokio::spawn(async move { (t.open(&hung).await.map(|_| ()), started.elapsed()) });
    let t = transport.clone();
    let healthy_task = tokio::spawn(async move {
        let mut s = t.open(&healthy).await?;
        let b = backup(&mut s).await?;
        s.close().await;
        Ok::<_, SshError>((b, started.elapsed()))
    });
    let (hung_result, hung_after) = hung_task.await.unwrap_or_else(|e| panic!("{e}"));
    let (backup, healthy_after) =
        healthy_task.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}"));
    assert!(backup.running.contains("hostname R20"));
    assert!(
        matches!(hung_result, Err(SshError::Timeout { stage: "command", after }) if after == Duration::from_secs(1)),
        "{hung_result:?}"
    );
    assert!(hung_after >= Duration::from_secs(1) && hung_after < Duration::from_secs(3), "{hung_after:?}");
    assert!(healthy_after < hung_after, "healthy device finished first");
}

#[tokio::test]
async fn refused_connections_retry_then_open_the_breaker() {
    let lab = start_lab().await;
    let (transport, _) = transport();
    lab.set_fault("R21", Some(Fault::Refuse)).unwrap_or_else(|e| panic!("{e}"));
    let t = target(&lab, "R21");
    for round in 1..=2u64 {
        assert!(matches!(transport.open(&t).await, Err(SshError::Connect(_))), "round {round}");
        // First attempt plus two retries each time.
        assert_eq!(transport.connect_attempts(), 3 * round);
    }
    assert!(matches!(transport.breaker_state("R21"), BreakerState::Open { .. }));
    let started = Instant::now();
    match transport.open(&t).await {
        Err(SshError::CircuitOpen { retry_after }) => assert!(retry_after <= Duration::from_secs(60)),
        other => panic!("expected CircuitOpen, got {:?}", other.map(|_| ())),
    }
    assert!(started.elapsed() < Duration::from_millis(50), "fails fast");
    assert_eq!(transport.connect_attempts(), 6, "no connection attempted while open");
    // Other devices are not affected.
    let mut other = open(&transport, &target(&lab, "R22")).await;
    assert!(other.run("show version").await.is_ok());
    other.close().await;
}

#[tokio::test]
async fn host_keys_are_trusted_on_first_use_then_pinned() {
    let lab = start_lab().await;
    let (transport, keys) = transport();
    let t = target(&lab, "R23");
    open(&transport, &t).await.close().await;
    let pinned = keys.get("R23").unwrap_or_default();
    assert!(pinned.starts_with("SHA256:") && pinned.len() > 40, "{pinned}");
    // Same key again: accepted.
    open(&transport, &t).await.close().await;
    // A different key on record: refused, naming both.
    keys.insert("R23", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    match transport.open(&t).await {
        Err(SshError::HostKeyMismatch { expected, presented }) => {
            assert_eq!(expected, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            assert_eq!(presented, pinned);
        }
        other => panic!("expected HostKeyMismatch, got {:?}", other.map(|_| ())),
    }
    assert_eq!(transport.breaker_state("R23"), BreakerState::Closed);
}

#[tokio::test]
async fn jump_host_through_the_bastion() {
    let lab = start_lab().await;
    let (transport, keys) = transport();
    let bastion = info(&lab, "bastion");
    let mut t = target(&lab, "R24");
    t.jump = Some(JumpHost {
        host: bastion.address.to_string(),
        port: bastion.port,
        username: bastion.username.clone(),
        password: bastion.password.clone(),
    });
    let mut session = open(&transport, &t).await;
    let out = session.run("show running-config").await.unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("hostname R24"));
    session.close().await;
    assert!(keys.get(&format!("jump:{}:{}", bastion.address, bastion.port)).is_some());
    assert!(keys.get("R24").is_some());

    // A device that is not a jump host refuses to forward.
    let r15 = info(&lab, "R15");
    t.jump = Some(JumpHost {
        host: r15.address.to_string(),
        port: r15.port,
        username: r15.username,
        password: r15.password,
    });
    assert!(matches!(transport.open(&t).await, Err(SshError::Connect(_))));
}

#[tokio::test]
async fn mid_output_drops_and_garbled_output_are_survived() {
    let lab = start_lab().await;
    let (transport, _) = transport();
    let mut session = open(&transport, &target(&lab, "R25")).await;
    lab.set_fault("R25", Some(Fault::Garbled)).unwrap_or_else(|e| panic!("{e}"));
    let garbled = session.run("show running-config").await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!garbled.is_empty());
    lab.set_fault("R25", Some(Fault::DropMidOutput)).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(session.run("show running-config").await, Err(SshError::Disconnected(_))));
    // Once broken, the session says so instead of hanging.
    assert!(matches!(session.run("show version").await, Err(SshError::Disconnected(_))));
}

#[tokio::test]
async fn device_lock_serialises_changes() {
    let (transport, _) = transport();
    let guard = transport.lock_device("R15").await;
    let blocked = tokio::time::timeout(Duration::from_millis(50), transport.lock_device("R15")).await;
    assert!(blocked.is_err(), "second change waits");
    let other = tokio::time::timeout(Duration::from_millis(50), transport.lock_device("R16")).await;
    assert!(other.is_ok(), "other devices are free");
    drop(guard);
    assert!(tokio::time::timeout(Duration::from_millis(50), transport.lock_device("R15")).await.is_ok());
}

#[tokio::test]
async fn sessions_are_bounded_by_max_sessions() {
    let lab = start_lab().await;
    let keys: Arc<dyn HostKeyStore> = Arc::new(MemoryHostKeys::new());
    let transport = SshTransport::new(SshConfig { max_sessions: 1, ..fast_config() }, keys);
    let first = open(&transport, &target(&lab, "R15")).await;
    let waiting = tokio::time::timeout(Duration::from_millis(300), transport.open(&target(&lab, "R16"))).await;
    assert!(waiting.is_err(), "second session waits for a permit");
    first.close().await;
    let second = tokio::time::timeout(Duration::from_secs(3), transport.open(&target(&lab, "R16"))).await;
    assert!(matches!(second, Ok(Ok(_))));
}

#[tokio::test]
async fn a_slow_reply_times_out_and_the_session_is_retired() {
    let lab = start_lab().await;
    let (transport, _) = transport();
    let mut session = open(&transport, &target(&lab, "R15")).await;
    lab.set_fault("R15", Some(Fault::Slow { delay_ms: 1_500 })).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let result = session.run("show version").await;
    assert!(matches!(result, Err(SshError::Timeout { stage: "command", .. })), "{result:?}");
    assert!(started.elapsed() < Duration::from_millis(1_400), "the read gave up at the command timeout");
    // The late reply must not be taken for the next command's: the session refuses further use.
    assert!(matches!(session.run("show clock").await, Err(SshError::Disconnected(_))));

    lab.set_fault("R16", Some(Fault::AuthFailure)).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(transport.open(&target(&lab, "R16")).await, Err(SshError::Auth)));
}

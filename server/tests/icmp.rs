//! The shared ICMP prober against real sockets: loopback over IPv4 and IPv6, a thousand
//! probes in flight on one socket, and a blackholed address inside a private network namespace
//! (so no packet ever leaves this machine).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic loudly

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use server::adapters::icmp::{PingError, ProbeSpec, Prober};

/// The prober, or `None` with a note where this user may not open ICMP sockets.
fn prober() -> Option<Prober> {
    match Prober::new() {
        Ok(p) => Some(p),
        Err(e @ PingError::Socket { .. }) => {
            eprintln!("skipping ICMP test: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn spec(packets: u16) -> ProbeSpec {
    ProbeSpec { packets, size: 56, timeout: Duration::from_secs(2), spacing: Duration::from_millis(20) }
}

#[tokio::test]
async fn loopback_answers_over_ipv4_and_ipv6_with_sane_rtts() {
    let Some(prober) = prober() else { return };
    for addr in ["127.0.0.1", "::1"] {
        let ip: IpAddr = addr.parse().unwrap();
        let started = Instant::now();
        let r = prober.probe(ip, &spec(3)).await;
        assert_eq!(r.error, None, "{addr}");
        assert_eq!(r.sent, 3, "{addr}");
        assert_eq!(r.rtts_us.len(), 3, "{addr}: every request answered");
        assert!(r.rtts_us.iter().all(|&us| us < 200_000), "{addr}: loopback RTTs {:?}", r.rtts_us);
        // Requests are spaced, not waited on one after the other, and no reply was waited out.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(40) && took < Duration::from_secs(1), "{addr}: {took:?}");
    }
    let s = prober.stats();
    assert_eq!((s.sent, s.replies, s.timeouts, s.send_errors), (6, 6, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_probes_are_all_answered_by_their_own_target() {
    let Some(prober) = prober() else { return };
    let tasks: Vec<_> = (0..1_000u32)
        .map(|i| {
            let prober = prober.clone();
            // Several probes per address at once, so (address, sequence) routing is exercised.
            let ip = IpAddr::V4(Ipv4Addr::new(127, 3, 0, (i % 200 + 1) as u8));
            tokio::spawn(async move { (ip, prober.probe(ip, &spec(1)).await) })
        })
        .collect();
    let mut answered = 0;
    for t in tasks {
        let (ip, r) = t.await.unwrap();
        assert_eq!(r.error, None, "{ip}");
        answered += r.rtts_us.len();
    }
    assert_eq!(answered, 1_000);
    assert_eq!(prober.stats().timeouts, 0);
}

const IN_NETNS: &str = "NETLEDGER_ICMP_TEST_IN_NETNS";

/// Loopback is the only address that cannot leak traffic, and it always answers; so the test
/// re-runs itself in a new network namespace where echo requests are ignored.
#[tokio::test]
async fn a_blackholed_address_is_full_loss_within_the_timeout_not_an_error() {
    if std::env::var_os(IN_NETNS).is_some() {
        let Some(prober) = prober() else { return };
        let timeout = Duration::from_millis(300);
        let spec = ProbeSpec { packets: 3, size: 56, timeout, spacing: Duration::from_millis(50) };
        let started = Instant::now();
        let r = prober.probe("127.0.0.1".parse().unwrap(), &spec).await;
        let took = started.elapsed();
        assert_eq!((r.sent, r.rtts_us.len(), r.error), (3, 0, None));
        assert!(took >= timeout && took < timeout + Duration::from_millis(400), "{took:?}");
        assert_eq!(prober.stats().timeouts, 3);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("unshare")
        .args([
            "-n",
            "sh",
            "-c",
            r#"ip link set lo up && echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all && exec "$@""#,
            "sh",
        ])
        .arg(exe)
        .args(["a_blackholed_address_is_full_loss_within_the_timeout_not_an_error", "--exact", "--nocapture"])
        .env(IN_NETNS, "1")
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipping blackhole test: cannot run unshare: {e}");
            return;
        }
    };
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if !out.status.success() && !text.contains("test result") {
        // No permission for a network namespace here (not root, or a restricted container).
        eprintln!("skipping blackhole test: no private network namespace: {text}");
        return;
    }
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

//! ICMP echo (surge-ping): one round trip to a device, resolving names first.
//!
//! A raw socket needs root or `cap_net_raw`; surge-ping falls back to an unprivileged ICMP
//! datagram socket where `net.ipv4.ping_group_range` allows it. Either failure is reported, not
//! hidden: a connectivity test then says why it could not ping.

use std::net::IpAddr;
use std::time::Duration;

use surge_ping::{Client, Config, PingIdentifier, PingSequence, ICMP};

#[derive(Debug, thiserror::Error)]
pub enum PingError {
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("cannot open an ICMP socket: {0}")]
    Socket(std::io::Error),
    #[error("no echo reply within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Other(String),
}

async fn resolve(host: &str) -> Result<IpAddr, PingError> {
    if let Ok(ip) = host.parse() {
        return Ok(ip);
    }
    tokio::net::lookup_host((host, 0))
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .map(|a| a.ip())
        .ok_or_else(|| PingError::Resolve(host.to_owned()))
}

/// Round-trip time of one echo request.
pub async fn ping(host: &str, timeout: Duration) -> Result<Duration, PingError> {
    let ip = resolve(host).await?;
    let config = match ip {
        IpAddr::V4(_) => Config::default(),
        IpAddr::V6(_) => Config::builder().kind(ICMP::V6).build(),
    };
    let client = Client::new(&config).map_err(PingError::Socket)?;
    let mut pinger = client.pinger(ip, PingIdentifier(rand::random())).await;
    pinger.timeout(timeout);
    match pinger.ping(PingSequence(0), &[0u8; 16]).await {
        Ok((_, rtt)) => Ok(rtt),
        Err(surge_ping::SurgeError::Timeout { .. }) => Err(PingError::Timeout(timeout)),
        Err(e) => Err(PingError::Other(e.to_string())),
    }
}

//! ICMP echo over surge-ping: one client socket per address family, shared by every probe.
//!
//! A raw socket needs root or `cap_net_raw`; surge-ping falls back to an unprivileged ICMP
//! datagram socket where `net.ipv4.ping_group_range` allows it. When neither opens, the error
//! names both ways to enable it instead of hiding the cause.
//!
//! surge-ping routes a reply to its waiter by (destination, identifier, sequence); on a
//! datagram socket the kernel owns the identifier, so only (destination, sequence) tells replies
//! apart. Every probe therefore takes the next value of one per-prober 32-bit counter: the low
//! 16 bits are the sequence, the high 16 bits shift the identifier. Two probes in flight share
//! a token only after 2^32 probes (raw) or 2^16 probes to the same address (datagram), both far
//! beyond what a timeout window holds; a collision that still happens is retried on the next
//! value rather than reported.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use surge_ping::{Client, Config, IcmpPacket, PingIdentifier, PingSequence, SurgeError, ICMP};
use tokio::sync::OnceCell;

#[derive(Debug, thiserror::Error)]
pub enum PingError {
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error(
        "cannot open an ICMP{family} socket: {source}. Allow unprivileged ICMP with \
         `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`, or give the binary raw sockets \
         with `setcap cap_net_raw+ep <path to netledger>`"
    )]
    Socket { family: &'static str, source: std::io::Error },
    #[error("no echo reply within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Other(String),
}

/// Resolves a literal address or a DNS name (first address returned).
pub async fn resolve(host: &str) -> Result<IpAddr, PingError> {
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

/// Round-trip time of one echo request (connectivity tests; opens its own socket).
pub async fn ping(host: &str, timeout: Duration) -> Result<Duration, PingError> {
    let ip = resolve(host).await?;
    let client = open(ip_kind(ip))?;
    let mut pinger = client.pinger(ip, PingIdentifier(rand::random())).await;
    pinger.timeout(timeout);
    match pinger.ping(PingSequence(0), &[0u8; 16]).await {
        Ok((_, rtt)) => Ok(rtt),
        Err(SurgeError::Timeout { .. }) => Err(PingError::Timeout(timeout)),
        Err(e) => Err(PingError::Other(e.to_string())),
    }
}

fn ip_kind(ip: IpAddr) -> ICMP {
    match ip {
        IpAddr::V4(_) => ICMP::V4,
        IpAddr::V6(_) => ICMP::V6,
    }
}

fn open(kind: ICMP) -> Result<Client, PingError> {
    let family = if kind == ICMP::V4 { "v4" } else { "v6" };
    let client =
        Client::new(&Config::builder().kind(kind).build()).map_err(|source| PingError::Socket { family, source })?;
    tune(&client, kind);
    Ok(client)
}

/// Receive buffer asked for on the shared sockets. The default (about 200 KiB, some 300
/// packets) overflows when a thousand probes go out at once, and every lost reply is reported
/// as network loss.
const RECV_BUFFER: usize = 8 << 20;

/// Linux `SOL_RAW` / `ICMP_FILTER` (linux/icmp.h): a bit set in the mask drops that ICMP type
/// before it is queued on a raw socket.
const SOL_RAW: nix::libc::c_int = 255;
const ICMP_FILTER: nix::libc::c_int = 1;
/// Everything but echo reply (0), destination unreachable (3), time exceeded (11) and
/// parameter problem (12): a raw socket otherwise also queues every echo request on the host,
/// which on loopback doubles the packets we read.
const ICMP_FILTER_MASK: u32 = !((1 << 0) | (1 << 3) | (1 << 11) | (1 << 12));

/// Enlarges the receive buffer (beyond `net.core.rmem_max` where we may) and, on a raw IPv4
/// socket, filters out ICMP types no probe waits for. Both are best effort: without them probing
/// still works, it only loses replies sooner under bursts.
fn tune(client: &Client, kind: ICMP) {
    use nix::sys::socket::{getsockopt, setsockopt, sockopt};
    use std::os::fd::BorrowedFd;

    let socket = client.get_socket();
    // SAFETY: the descriptor belongs to `client`'s socket, which `client` keeps open for the
    // whole of this function; the borrow does not outlive it.
    #[allow(unsafe_code)]
    let fd = unsafe { BorrowedFd::borrow_raw(socket.get_native_sock()) };
    if setsockopt(&fd, sockopt::RcvBufForce, &RECV_BUFFER).is_err() {
        if let Err(e) = setsockopt(&fd, sockopt::RcvBuf, &RECV_BUFFER) {
            tracing::debug!(error = %e, "cannot enlarge the ICMP receive buffer");
        }
    }
    // Refused on datagram ICMP sockets, which only ever see their own replies anyway.
    if kind == ICMP::V4 {
        let mask = ICMP_FILTER_MASK;
        // SAFETY: passes a pointer to a live u32 and its size, as ICMP_FILTER expects.
        #[allow(unsafe_code)]
        let rc = unsafe {
            nix::libc::setsockopt(
                socket.get_native_sock(),
                SOL_RAW,
                ICMP_FILTER,
                std::ptr::addr_of!(mask).cast(),
                std::mem::size_of::<u32>() as nix::libc::socklen_t,
            )
        };
        if rc != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "cannot set ICMP_FILTER");
        }
    }
    tracing::debug!(bytes = getsockopt(&fd, sockopt::RcvBuf).unwrap_or(0), "ICMP receive buffer");
}

/// How one target is probed in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSpec {
    /// Echo requests per round.
    pub packets: u16,
    /// ICMP payload bytes.
    pub size: u16,
    /// How long each request waits for its reply.
    pub timeout: Duration,
    /// Between consecutive requests of the round (replies are awaited concurrently).
    pub spacing: Duration,
}

impl Default for ProbeSpec {
    fn default() -> Self {
        Self { packets: 1, size: 56, timeout: Duration::from_secs(1), spacing: Duration::from_millis(100) }
    }
}

/// One round against one target: requests sent and the replies' RTTs in send order. `error`
/// explains why requests could not even be sent (no socket, no route); it is still loss.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeResult {
    pub sent: u16,
    pub rtts_us: Vec<u32>,
    pub error: Option<String>,
}

/// Counters since the prober was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProberStats {
    pub sent: u64,
    pub replies: u64,
    pub timeouts: u64,
    pub send_errors: u64,
}

struct Inner {
    v4: Client,
    /// Opened on the first IPv6 probe; a failure is kept so it is reported, not retried per probe.
    v6: OnceCell<Result<Client, String>>,
    ident_base: u16,
    next: AtomicU32,
    sent: AtomicU64,
    replies: AtomicU64,
    timeouts: AtomicU64,
    send_errors: AtomicU64,
}

/// Shared ICMP prober: cheap to clone, all clones use the same sockets.
#[derive(Clone)]
pub struct Prober {
    inner: Arc<Inner>,
}

/// Attempts at a fresh (identifier, sequence) when one is still in flight.
const TOKEN_ATTEMPTS: usize = 4;

impl Prober {
    /// Opens the IPv4 socket now (so a missing permission shows at start-up); IPv6 lazily.
    pub fn new() -> Result<Self, PingError> {
        let v4 = open(ICMP::V4)?;
        Ok(Self {
            inner: Arc::new(Inner {
                v4,
                v6: OnceCell::new(),
                ident_base: rand::random(),
                next: AtomicU32::new(rand::random()),
                sent: AtomicU64::new(0),
                replies: AtomicU64::new(0),
                timeouts: AtomicU64::new(0),
                send_errors: AtomicU64::new(0),
            }),
        })
    }

    #[must_use]
    pub fn stats(&self) -> ProberStats {
        let i = &self.inner;
        ProberStats {
            sent: i.sent.load(Ordering::Relaxed),
            replies: i.replies.load(Ordering::Relaxed),
            timeouts: i.timeouts.load(Ordering::Relaxed),
            send_errors: i.send_errors.load(Ordering::Relaxed),
        }
    }

    async fn client(&self, addr: IpAddr) -> Result<Client, String> {
        match addr {
            IpAddr::V4(_) => Ok(self.inner.v4.clone()),
            IpAddr::V6(_) => {
                self.inner.v6.get_or_init(|| async { open(ICMP::V6).map_err(|e| e.to_string()) }).await.clone()
            }
        }
    }

    /// Sends `spec.packets` echo requests `spec.spacing` apart and waits for their replies
    /// concurrently. Never fails: unanswered, unreachable and unsendable requests are loss.
    pub async fn probe(&self, addr: IpAddr, spec: &ProbeSpec) -> ProbeResult {
        let client = match self.client(addr).await {
            Ok(c) => c,
            Err(e) => return ProbeResult { sent: spec.packets, rtts_us: Vec::new(), error: Some(e) },
        };
        let payload = vec![0u8; usize::from(spec.size)];
        let start = tokio::time::Instant::now();
        let requests = (0..spec.packets).map(|i| {
            let at = start + spec.spacing * u32::from(i);
            let (client, payload) = (&client, &payload);
            async move {
                if i > 0 {
                    tokio::time::sleep_until(at).await;
                }
                self.echo(client, addr, spec.timeout, payload).await
            }
        });
        let outcomes = futures::future::join_all(requests).await;
        let mut result = ProbeResult { sent: spec.packets, ..ProbeResult::default() };
        for outcome in outcomes {
            match outcome {
                Echo::Reply(us) => result.rtts_us.push(us),
                Echo::Lost => {}
                Echo::Failed(e) => {
                    result.error.get_or_insert(e);
                }
            }
        }
        result
    }

    async fn echo(&self, client: &Client, addr: IpAddr, timeout: Duration, payload: &[u8]) -> Echo {
        let inner = &self.inner;
        for _ in 0..TOKEN_ATTEMPTS {
            let n = inner.next.fetch_add(1, Ordering::Relaxed);
            #[allow(clippy::cast_possible_truncation)] // the split of n into two halves is the point
            let (ident, seq) = (inner.ident_base.wrapping_add((n >> 16) as u16), n as u16);
            let mut pinger = client.pinger(addr, PingIdentifier(ident)).await;
            pinger.timeout(timeout);
            match pinger.ping(PingSequence(seq), payload).await {
                Ok((packet, _)) if !is_echo_reply(&packet) => {
                    // Destination unreachable, time exceeded, ...: the request was answered,
                    // but not by the target.
                    inner.sent.fetch_add(1, Ordering::Relaxed);
                    inner.timeouts.fetch_add(1, Ordering::Relaxed);
                    return Echo::Lost;
                }
                Ok((_, rtt)) => {
                    inner.sent.fetch_add(1, Ordering::Relaxed);
                    inner.replies.fetch_add(1, Ordering::Relaxed);
                    return Echo::Reply(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX));
                }
                Err(SurgeError::IdenticalRequests { .. }) => continue,
                Err(SurgeError::Timeout { .. }) => {
                    inner.sent.fetch_add(1, Ordering::Relaxed);
                    inner.timeouts.fetch_add(1, Ordering::Relaxed);
                    return Echo::Lost;
                }
                Err(e) => {
                    inner.send_errors.fetch_add(1, Ordering::Relaxed);
                    return Echo::Failed(e.to_string());
                }
            }
        }
        inner.send_errors.fetch_add(1, Ordering::Relaxed);
        Echo::Failed("no free ICMP sequence number".into())
    }
}

/// ICMP error messages quoting our request reach the waiter too; only an echo reply counts.
fn is_echo_reply(packet: &IcmpPacket) -> bool {
    const ECHO_REPLY_V4: u8 = 0;
    const ECHO_REPLY_V6: u8 = 129;
    match packet {
        IcmpPacket::V4(p) => p.get_icmp_type().0 == ECHO_REPLY_V4,
        IcmpPacket::V6(p) => p.get_icmpv6_type().0 == ECHO_REPLY_V6,
    }
}

enum Echo {
    Reply(u32),
    Lost,
    Failed(String),
}

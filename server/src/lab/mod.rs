//! The device lab: simulated Cisco IOS, Aruba AOS-CX and Juniper Junos devices served over SSH.
//!
//! [`Topology`] says which devices exist and how they are cabled; [`Lab::start`] binds one SSH
//! listener per device and serves CLIs whose state ([`device::DeviceState`]) survives across
//! sessions. The CLIs are pure state machines (see [`device`]) so they are tested without sockets.
//!
//! A topology file (`netledger lab --topology FILE`, or `NETLEDGER_LAB_TOPOLOGY`) is JSON; every
//! field but `name` and `platform` has a default (address 127.0.0.1, port 2222, user `netops`,
//! password `lab-<name>-pw`, enable secret `lab-<name>-en`, the platform's interfaces, cables
//! addressed out of 10.100.0.0/14):
//!
//! ```json
//! {"seed": "my-lab",
//!  "devices": [
//!    {"name": "A", "platform": "cisco_ios", "address": "127.0.9.1", "asn": 65001,
//!     "fault": {"kind": "slow", "delay_ms": 200}, "cpu": {"kind": "spike", "base": 10, "peak": 95}},
//!    {"name": "B", "platform": "juniper_junos", "address": "127.0.9.2", "asn": 65002}],
//!  "links": [{"a": {"device": "A", "interface": "GigabitEthernet0/1"},
//!             "b": {"device": "B", "interface": "ge-0/0/0"}}]}
//! ```
//!
//! Faults: `auth_failure`, `refuse`, `slow {delay_ms}`, `drop_mid_output`, `garbled`, `hang`.
//! A device named `bastion` also serves direct-tcpip channels (jump host).

pub mod device;
pub mod ssh;
pub mod topology;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use domain::device::Platform;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use device::{lock, DeviceState, LabEnv, Neighbor};
use ssh::DeviceRuntime;
pub use topology::{CpuProfile, Fault, InterfaceSpec, LabDeviceSpec, Link, LinkEnd, Topology};

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("cannot read topology file {path}: {source}")]
    TopologyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid topology: {0}")]
    InvalidTopology(String),
    #[error("device {name} cannot listen on {addr}: {source}")]
    Bind {
        name: String,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("no lab device named {0}")]
    UnknownDevice(String),
}

#[derive(clap::Args, Debug, Clone)]
pub struct LabArgs {
    /// Print one JSON object per lab device (name, platform, address, port, username, password) and exit.
    #[arg(long)]
    pub list: bool,
    /// Scale the lab to N devices instead of the built-in topology.
    #[arg(long)]
    pub devices: Option<usize>,
    /// A JSON topology file (devices, links, faults) instead of the built-in topology.
    #[arg(long, env = "NETLEDGER_LAB_TOPOLOGY")]
    pub topology: Option<PathBuf>,
    /// First address and port (device i on address + i); port 0 puts every device on that address
    /// with an ephemeral port. Default: each device's own address, port 2222.
    #[arg(long)]
    pub bind: Option<std::net::SocketAddrV4>,
}

/// How to reach one running lab device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabDeviceInfo {
    pub name: String,
    pub platform: Platform,
    pub address: IpAddr,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub enable_secret: String,
}

/// A running lab. Cheap to clone; [`Lab::shutdown`] stops every listener and session.
#[derive(Clone)]
pub struct Lab {
    inner: Arc<LabInner>,
}

struct LabInner {
    devices: Vec<Arc<DeviceRuntime>>,
    infos: Vec<LabDeviceInfo>,
    index: HashMap<String, usize>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// The cabled neighbors of every device, from the topology's links.
fn neighbors_of(topology: &Topology) -> Vec<Vec<Neighbor>> {
    let index: HashMap<&str, usize> = topology.devices.iter().enumerate().map(|(i, d)| (d.name.as_str(), i)).collect();
    let mut out = vec![Vec::new(); topology.devices.len()];
    for link in &topology.links {
        for (local, remote) in [(&link.a, &link.b), (&link.b, &link.a)] {
            let (Some(&l), Some(&r)) = (index.get(local.device.as_str()), index.get(remote.device.as_str())) else {
                continue;
            };
            let peer = &topology.devices[r];
            let peer_ip = peer
                .interfaces
                .iter()
                .find(|i| i.name == remote.interface)
                .and_then(|i| i.ipv4.as_deref())
                .and_then(device::parse_cidr)
                .map(|(a, _)| a);
            out[l].push(Neighbor {
                local_port: local.interface.clone(),
                peer_index: r,
                peer_name: peer.name.clone(),
                peer_port: remote.interface.clone(),
                peer_platform: peer.platform,
                peer_mgmt: peer.address,
                peer_ip,
                peer_asn: peer.asn,
            });
        }
    }
    out
}

/// Builds the device states of a topology (no sockets): the lab's model, also used by tests.
#[must_use]
pub fn build_states(topology: &Topology) -> Vec<Arc<Mutex<DeviceState>>> {
    let env = Arc::new(LabEnv::default());
    let neighbors = neighbors_of(topology);
    topology
        .devices
        .iter()
        .zip(neighbors)
        .enumerate()
        .map(|(i, (spec, n))| Arc::new(Mutex::new(DeviceState::new(i, spec, n, Arc::clone(&env)))))
        .collect()
}

impl Lab {
    /// Binds every device's listener and starts serving.
    pub async fn start(topology: Topology) -> Result<Self, LabError> {
        raise_open_files_limit(topology.devices.len());
        let states = build_states(&topology);
        let (shutdown, stop) = watch::channel(false);
        let mut devices = Vec::with_capacity(states.len());
        let mut infos = Vec::with_capacity(states.len());
        let mut listeners = Vec::with_capacity(states.len());
        for (spec, state) in topology.devices.iter().zip(states) {
            let addr = SocketAddr::from((spec.address, spec.port));
            let listener = TcpListener::bind(addr).await.map_err(|source| LabError::Bind {
                name: spec.name.clone(),
                addr,
                source,
            })?;
            let port = listener.local_addr().map_or(spec.port, |a| a.port());
            let key = ssh::host_key(&topology.seed, &spec.name);
            devices.push(Arc::new(DeviceRuntime {
                name: spec.name.clone(),
                username: spec.username.clone(),
                password: spec.password.clone(),
                state,
                fault: std::sync::RwLock::new(spec.fault),
                jump_host: spec.name == "bastion",
                config: Arc::new(ssh::server_config(key)),
            }));
            infos.push(LabDeviceInfo {
                name: spec.name.clone(),
                platform: spec.platform,
                address: IpAddr::V4(spec.address),
                port,
                username: spec.username.clone(),
                password: spec.password.clone(),
                enable_secret: spec.enable_secret.clone(),
            });
            listeners.push(listener);
        }
        let tasks = devices
            .iter()
            .zip(listeners)
            .map(|(rt, listener)| tokio::spawn(ssh::serve(listener, Arc::clone(rt), stop.clone())))
            .collect();
        let index = infos.iter().enumerate().map(|(i, d)| (d.name.clone(), i)).collect();
        info!(devices = infos.len(), "lab started");
        Ok(Self { inner: Arc::new(LabInner { devices, infos, index, shutdown, tasks: Mutex::new(tasks) }) })
    }

    #[must_use]
    pub fn devices(&self) -> Vec<LabDeviceInfo> {
        self.inner.infos.clone()
    }

    fn runtime(&self, name: &str) -> Result<&Arc<DeviceRuntime>, LabError> {
        self.inner
            .index
            .get(name)
            .map(|&i| &self.inner.devices[i])
            .ok_or_else(|| LabError::UnknownDevice(name.to_owned()))
    }

    /// Sets or clears a device's fault; takes effect on the next connection or line.
    pub fn set_fault(&self, name: &str, fault: Option<Fault>) -> Result<(), LabError> {
        let rt = self.runtime(name)?;
        *rt.fault.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fault;
        Ok(())
    }

    pub fn set_cpu(&self, name: &str, cpu: CpuProfile) -> Result<(), LabError> {
        let rt = self.runtime(name)?;
        lock(&rt.state).cpu = cpu;
        Ok(())
    }

    /// The running config as the device's own "show running-config" (or "show configuration") prints it.
    #[must_use]
    pub fn running_config(&self, name: &str) -> Option<String> {
        self.runtime(name).ok().map(|rt| device::render_running(&lock(&rt.state)))
    }

    /// The saved config as the device's "show startup-config" prints it (Junos: the committed config).
    #[must_use]
    pub fn startup_config(&self, name: &str) -> Option<String> {
        self.runtime(name).ok().map(|rt| device::render_startup(&lock(&rt.state)))
    }

    /// Stops the listeners and disconnects every session.
    pub async fn shutdown(self) {
        let _ = self.inner.shutdown.send(true);
        let tasks = std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for t in tasks {
            let _ = t.await;
        }
    }
}

/// Each device needs a listener plus one socket per session: a 1,000-device lab under load
/// exceeds the usual soft limit of 1,024 descriptors, so lift the soft limit to the hard one.
fn raise_open_files_limit(devices: usize) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return };
    let wanted = u64::try_from(devices).unwrap_or(u64::MAX).saturating_mul(4).saturating_add(1024);
    if soft >= wanted || soft >= hard {
        return;
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => info!(from = soft, to = hard, "raised the open files limit for the lab"),
        Err(e) => tracing::warn!(soft, hard, error = %e, "cannot raise the open files limit"),
    }
}

fn topology_from_args(args: &LabArgs) -> Result<Topology, LabError> {
    let topology = match (&args.topology, args.devices) {
        (Some(path), _) => Topology::from_file(path),
        (None, Some(n)) if n >= 1 => Ok(Topology::scaled(n)),
        (None, Some(_)) => Err(LabError::InvalidTopology("--devices must be at least 1".to_owned())),
        (None, None) => Ok(Topology::builtin()),
    }?;
    Ok(match args.bind {
        Some(bind) => topology.with_bind(*bind.ip(), bind.port()),
        None => topology,
    })
}

/// `netledger lab`: list the devices, or serve them until Ctrl-C.
pub async fn run_cli(args: LabArgs) -> ExitCode {
    let topology = match topology_from_args(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        let mut out = std::io::stdout().lock();
        for d in &topology.devices {
            let info = LabDeviceInfo {
                name: d.name.clone(),
                platform: d.platform,
                address: IpAddr::V4(d.address),
                port: d.port,
                username: d.username.clone(),
                password: d.password.clone(),
                enable_secret: d.enable_secret.clone(),
            };
            let line = serde_json::to_string(&info).unwrap_or_default();
            if writeln!(out, "{line}").is_err() {
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    let lab = match Lab::start(topology).await {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let first = lab.devices().first().map(|d| format!("{}:{}", d.address, d.port)).unwrap_or_default();
    eprintln!("lab: {} devices up (first at {first}); Ctrl-C to stop", lab.devices().len());
    if args.bind.is_some_and(|b| b.port() == 0) {
        // Ephemeral ports are only known now: list them for outside tools.
        let mut err = std::io::stderr().lock();
        for d in lab.devices() {
            let _ = writeln!(err, "{}", serde_json::to_string(&d).unwrap_or_default());
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    lab.shutdown().await;
    ExitCode::SUCCESS
}

/// The address the `index`-th device of a default lab listens on (see [`topology::default_address_of`]).
#[must_use]
pub fn default_address(index: usize) -> Ipv4Addr {
    topology::default_address_of(index)
}

//! Typed parsers for the `show` commands NetLedger runs on devices.
//!
//! Device output is untrusted text: a truncated session, a pager artefact or a firmware that words a
//! line differently must never crash the caller. Every parser therefore reads line by line, keeps
//! what it recognises and skips the rest, so the answer is either `Ok` with whatever could be read or
//! a [`ParseError`] that says why nothing could. The parsers are pure (no IO) so the browser can
//! reuse them and the lab can check its rendered outputs against them.
//!
//! Field names are ours, not the vendors': one [`Interface`] type serves Cisco IOS, Aruba AOS-CX and
//! Junos, so reports and the UI need not know which platform produced a row.

mod aoscx;
mod ios;
mod junos;
mod text;

use serde::{Deserialize, Serialize};

use crate::device::Platform;

pub use aoscx::{
    parse_bgp_summary as aoscx_bgp_summary, parse_interface as aoscx_interface,
    parse_ip_interface_brief as aoscx_ip_interface_brief, parse_ip_route as aoscx_ip_route,
    parse_lldp_neighbor_detail as aoscx_lldp_neighbor_detail, parse_resource_utilization as aoscx_resource_utilization,
    parse_system as aoscx_system, parse_version as aoscx_version,
};
pub use ios::{
    parse_bgp_summary as ios_bgp_summary, parse_cdp_neighbors_detail as ios_cdp_neighbors_detail,
    parse_interfaces as ios_interfaces, parse_inventory as ios_inventory,
    parse_ip_interface_brief as ios_ip_interface_brief, parse_ip_route as ios_ip_route,
    parse_lldp_neighbors_detail as ios_lldp_neighbors_detail, parse_processes_cpu as ios_processes_cpu,
    parse_version as ios_version,
};
pub use junos::{
    parse_bgp_summary as junos_bgp_summary, parse_chassis_hardware as junos_chassis_hardware,
    parse_chassis_routing_engine as junos_chassis_routing_engine, parse_interfaces as junos_interfaces,
    parse_interfaces_terse as junos_interfaces_terse, parse_lldp_neighbors as junos_lldp_neighbors,
    parse_route as junos_route, parse_route_summary as junos_route_summary,
    parse_system_processes as junos_system_processes, parse_system_uptime as junos_system_uptime,
    parse_version as junos_version,
};

/// Why a command's output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ParseError {
    #[error("no parser for `{command}` on {platform}")]
    UnsupportedCommand { platform: Platform, command: String },
    /// The device refused the command (e.g. `% Invalid input detected`, Junos `syntax error`).
    #[error("the device rejected the command: {0}")]
    DeviceError(String),
    /// Nothing in the text looked like the expected output (empty, garbage or another command's).
    #[error("output of `{command}` not recognised")]
    Unrecognised { command: String },
}

/// The typed result of one command.
// One value per command run, never stored in bulk: boxing `Version` would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Parsed {
    Version(Version),
    Uptime(SystemUptime),
    InterfacesBrief(Vec<InterfaceBrief>),
    Interfaces(Vec<Interface>),
    Resources(Resources),
    Neighbors(Vec<Neighbor>),
    Routes(Vec<Route>),
    RouteSummary(RouteSummary),
    BgpSummary(BgpSummary),
    Inventory(Vec<InventoryItem>),
}

/// Identity of a device: `show version` (IOS, Junos, AOS-CX) and AOS-CX `show system`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub hostname: Option<String>,
    pub vendor: Option<String>,
    pub version: Option<String>,
    /// First (or only) chassis model.
    pub model: Option<String>,
    /// First (or only) chassis serial number.
    pub serial: Option<String>,
    /// Uptime as the device words it ("2 years, 31 weeks, 6 days, 9 hours, 55 minutes").
    pub uptime: Option<String>,
    pub uptime_seconds: Option<u64>,
    /// Boot image path as shown (`bootflash:cat4500e-...bin`).
    pub image: Option<String>,
    /// IOS feature set in parentheses on the first line (`cat4500e-ENTSERVICESK9-M`).
    pub software_image: Option<String>,
    pub rommon: Option<String>,
    pub config_register: Option<String>,
    pub reload_reason: Option<String>,
    pub restarted: Option<String>,
    pub base_mac: Option<String>,
    /// Every model of a stack or virtual chassis, in the device's order.
    pub models: Vec<String>,
    pub serials: Vec<String>,
    pub mac_addresses: Vec<String>,
    /// Junos software packages (`JUNOS Base OS boot [13.3R1.4]`).
    pub packages: Vec<Package>,
    /// AOS-CX `show system` also reports utilisation.
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
}

/// Junos `show system uptime`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemUptime {
    /// "2021-08-31 08:48:11 MSK"
    pub current_time: Option<String>,
    pub time_source: Option<String>,
    pub booted: Option<String>,
    pub protocols_started: Option<String>,
    pub last_configured: Option<String>,
    pub last_configured_by: Option<String>,
    /// "154 days, 19:16"
    pub uptime: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub users: Option<u32>,
    pub load_averages: Option<[f64; 3]>,
}

/// One row of a brief interface table.
///
/// `status` is the administrative side as the device words it (IOS "administratively down",
/// Junos/AOS-CX admin column); `protocol` is the operational link/line protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceBrief {
    pub name: String,
    /// Address with prefix length when the device shows one (`10.0.0.1/24`), else bare address.
    pub ip: Option<String>,
    pub status: String,
    pub protocol: String,
    /// Junos address family (`inet`, `inet6`, `mpls`...).
    pub family: Option<String>,
}

/// Detailed state and counters of one interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    pub name: String,
    pub admin_up: Option<bool>,
    pub oper_up: Option<bool>,
    /// Status words as shown ("administratively down", "up", "Up").
    pub link_status: Option<String>,
    pub protocol_status: Option<String>,
    pub description: Option<String>,
    pub hardware_type: Option<String>,
    pub mac: Option<String>,
    pub bia: Option<String>,
    /// `address/prefix_length`.
    pub ip: Option<String>,
    /// `None` also when the device says "Unlimited".
    pub mtu: Option<u32>,
    pub bandwidth_kbit: Option<u64>,
    pub speed: Option<String>,
    pub duplex: Option<String>,
    pub encapsulation: Option<String>,
    pub input_packets: Option<u64>,
    pub output_packets: Option<u64>,
    pub input_bytes: Option<u64>,
    pub output_bytes: Option<u64>,
    pub input_rate_bps: Option<u64>,
    pub output_rate_bps: Option<u64>,
    pub input_errors: Option<u64>,
    pub output_errors: Option<u64>,
    pub input_drops: Option<u64>,
    pub output_drops: Option<u64>,
    pub crc: Option<u64>,
    pub runts: Option<u64>,
    pub giants: Option<u64>,
}

/// CPU (percent) and memory of the control plane.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    pub cpu: Cpu,
    pub memory: Option<Memory>,
    pub processes: Vec<ProcessCpu>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cpu {
    pub five_sec: Option<f64>,
    pub one_min: Option<f64>,
    pub five_min: Option<f64>,
    /// IOS: share of the five-second figure spent at interrupt level.
    pub five_sec_interrupt: Option<f64>,
}

/// Memory in KiB where the platform shows sizes; AOS-CX only gives a percentage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    pub total: Option<u64>,
    pub used: Option<u64>,
    pub free: Option<u64>,
    pub used_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessCpu {
    /// Absent where the platform lists processes by name only (AOS-CX).
    pub pid: Option<u32>,
    pub name: String,
    pub five_sec: Option<f64>,
    pub one_min: Option<f64>,
    pub five_min: Option<f64>,
    pub runtime_ms: Option<u64>,
    pub invoked: Option<u64>,
}

/// A CDP or LLDP neighbor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Neighbor {
    pub local_interface: String,
    pub remote_device: Option<String>,
    /// The remote port's name: CDP port id, LLDP port description (or port id when absent).
    pub remote_interface: Option<String>,
    /// LLDP port id as sent (often a MAC or an index).
    pub remote_port_id: Option<String>,
    pub chassis_id: Option<String>,
    pub mgmt_address: Option<String>,
    pub platform: Option<String>,
    /// System description / software version line.
    pub description: Option<String>,
    /// Enabled capabilities as the device words them ("Router", "B", "WLAN").
    pub capabilities: Vec<String>,
}

/// One path of one route: a prefix with two next hops gives two rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub vrf: Option<String>,
    /// Protocol as the device names it (IOS code `O`, `B`...; Junos `OSPF`; AOS-CX `bgp`).
    pub protocol: String,
    /// IOS route sub-type (`E2`, `IA`, `L2`...).
    pub route_type: Option<String>,
    /// `network/prefix_length`.
    pub prefix: String,
    pub next_hop: Option<String>,
    pub next_hop_vrf: Option<String>,
    pub interface: Option<String>,
    pub distance: Option<u32>,
    pub metric: Option<u64>,
    /// Age as shown ("1d18h", "00:12:01").
    pub age: Option<String>,
    /// IOS candidate default (`*`) or Junos active route (`*`).
    pub selected: bool,
}

/// Junos `show route summary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteSummary {
    pub local_as: Option<String>,
    pub router_id: Option<String>,
    pub tables: Vec<RouteTableSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableSummary {
    pub table: String,
    pub destinations: u64,
    pub routes: u64,
    pub active: u64,
    pub holddown: u64,
    pub hidden: u64,
    pub protocols: Vec<ProtocolRoutes>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolRoutes {
    pub protocol: String,
    pub routes: u64,
    pub active: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpSummary {
    pub router_id: Option<String>,
    /// As shown, so 4-byte AS in asdot notation (`64000.2017`) survives.
    pub local_as: Option<String>,
    pub neighbors: Vec<BgpNeighbor>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpNeighbor {
    pub address: String,
    pub remote_as: String,
    /// IOS `State/PfxRcd`: a prefix count when established, else the state ("Idle (Admin)").
    pub state_or_prefixes: String,
    pub up_down: String,
    pub established: bool,
    pub prefixes_received: Option<u64>,
    pub messages_received: Option<u64>,
    pub messages_sent: Option<u64>,
    /// Address family or Junos table the row belongs to, when the device says.
    pub address_family: Option<String>,
}

impl BgpNeighbor {
    fn with_state(mut self, state: &str) -> Self {
        let state = state.trim();
        self.state_or_prefixes = state.to_owned();
        if let Ok(n) = state.parse::<u64>() {
            self.established = true;
            self.prefixes_received = Some(n);
        } else {
            self.established = state.eq_ignore_ascii_case("established") || state.starts_with("Establ");
        }
        self
    }
}

/// One field-replaceable unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryItem {
    pub name: String,
    pub descr: Option<String>,
    pub pid: Option<String>,
    pub vid: Option<String>,
    pub sn: Option<String>,
}

/// What a command is, once abbreviations and spacing are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    IosVersion,
    IosIpInterfaceBrief,
    IosInterfaces,
    IosProcessesCpu,
    IosCdpNeighborsDetail,
    IosLldpNeighborsDetail,
    IosIpRoute,
    IosIpBgpSummary,
    IosInventory,
    CxSystem,
    CxVersion,
    CxInterface,
    CxIpInterfaceBrief,
    CxLldpNeighborDetail,
    CxResourceUtilization,
    CxIpRoute,
    CxBgpSummary,
    JunosVersion,
    JunosSystemUptime,
    JunosInterfaces,
    JunosInterfacesTerse,
    JunosLldpNeighbors,
    JunosRouteSummary,
    JunosRoute,
    JunosBgpSummary,
    JunosChassisHardware,
    JunosSystemProcesses,
    JunosChassisRoutingEngine,
}

/// Full command words per platform; the first matching entry wins, so longer forms come first.
const COMMANDS: &[(Platform, &str, Command)] = &[
    (Platform::CiscoIos, "show version", Command::IosVersion),
    (Platform::CiscoIos, "show ip interface brief", Command::IosIpInterfaceBrief),
    (Platform::CiscoIos, "show interfaces", Command::IosInterfaces),
    (Platform::CiscoIos, "show processes cpu sorted", Command::IosProcessesCpu),
    (Platform::CiscoIos, "show processes cpu", Command::IosProcessesCpu),
    (Platform::CiscoIos, "show cdp neighbors detail", Command::IosCdpNeighborsDetail),
    (Platform::CiscoIos, "show lldp neighbors detail", Command::IosLldpNeighborsDetail),
    (Platform::CiscoIos, "show ip route", Command::IosIpRoute),
    (Platform::CiscoIos, "show ip bgp summary", Command::IosIpBgpSummary),
    (Platform::CiscoIos, "show bgp ipv4 unicast summary", Command::IosIpBgpSummary),
    (Platform::CiscoIos, "show inventory", Command::IosInventory),
    (Platform::ArubaAoscx, "show system resource-utilization", Command::CxResourceUtilization),
    (Platform::ArubaAoscx, "show system", Command::CxSystem),
    (Platform::ArubaAoscx, "show version", Command::CxVersion),
    (Platform::ArubaAoscx, "show interface", Command::CxInterface),
    (Platform::ArubaAoscx, "show ip interface brief", Command::CxIpInterfaceBrief),
    (Platform::ArubaAoscx, "show lldp neighbor-info detail", Command::CxLldpNeighborDetail),
    (Platform::ArubaAoscx, "show lldp neighbors-info detail", Command::CxLldpNeighborDetail),
    (Platform::ArubaAoscx, "show ip route", Command::CxIpRoute),
    (Platform::ArubaAoscx, "show ip route all-vrfs", Command::CxIpRoute),
    (Platform::ArubaAoscx, "show bgp all summary", Command::CxBgpSummary),
    (Platform::ArubaAoscx, "show bgp all-vrfs all summary", Command::CxBgpSummary),
    (Platform::ArubaAoscx, "show bgp ipv4 unicast summary", Command::CxBgpSummary),
    (Platform::JuniperJunos, "show version", Command::JunosVersion),
    (Platform::JuniperJunos, "show system uptime", Command::JunosSystemUptime),
    (Platform::JuniperJunos, "show interfaces terse", Command::JunosInterfacesTerse),
    (Platform::JuniperJunos, "show interfaces", Command::JunosInterfaces),
    (Platform::JuniperJunos, "show lldp neighbors", Command::JunosLldpNeighbors),
    (Platform::JuniperJunos, "show route summary", Command::JunosRouteSummary),
    (Platform::JuniperJunos, "show route", Command::JunosRoute),
    (Platform::JuniperJunos, "show bgp summary", Command::JunosBgpSummary),
    (Platform::JuniperJunos, "show chassis hardware", Command::JunosChassisHardware),
    (Platform::JuniperJunos, "show system processes summary", Command::JunosSystemProcesses),
    (Platform::JuniperJunos, "show system processes extensive", Command::JunosSystemProcesses),
    (Platform::JuniperJunos, "show system processes", Command::JunosSystemProcesses),
    (Platform::JuniperJunos, "show chassis routing-engine", Command::JunosChassisRoutingEngine),
];

/// Words of a command line without pipes (`| no-more`), case and extra spaces.
fn command_words(command: &str) -> Vec<String> {
    let before_pipe = command.split('|').next().unwrap_or_default();
    before_pipe.split_whitespace().map(str::to_ascii_lowercase).collect()
}

/// Resolves `command` (possibly abbreviated, e.g. `sh ip int br`) to a known command.
fn resolve(platform: Platform, command: &str) -> Option<Command> {
    let words = command_words(command);
    let candidates = COMMANDS.iter().filter(|(p, _, _)| *p == platform);
    // An exact spelling beats an abbreviation, so `show interface` on AOS-CX never becomes
    // `show interfaces`-like alternatives and `show route` stays itself.
    for (_, full, cmd) in candidates.clone() {
        let full: Vec<&str> = full.split(' ').collect();
        if full.len() == words.len() && full.iter().zip(&words).all(|(f, w)| *f == w) {
            return Some(*cmd);
        }
    }
    candidates
        .filter(|(_, full, _)| {
            let full: Vec<&str> = full.split(' ').collect();
            full.len() == words.len() && full.iter().zip(&words).all(|(f, w)| f.starts_with(w.as_str()))
        })
        .map(|(_, _, cmd)| *cmd)
        .next()
}

/// The commands [`parse`] understands on `platform`, in their full spelling.
#[must_use]
pub fn supported_commands(platform: Platform) -> Vec<&'static str> {
    COMMANDS.iter().filter(|(p, _, _)| *p == platform).map(|(_, c, _)| *c).collect()
}

/// Parses the output `text` of `command` run on a `platform` device.
///
/// The command may be abbreviated (`sh ip int br`) and may carry a pipe (`| no-more`).
pub fn parse(platform: Platform, command: &str, text: &str) -> Result<Parsed, ParseError> {
    let Some(cmd) = resolve(platform, command) else {
        return Err(ParseError::UnsupportedCommand { platform, command: command.trim().to_owned() });
    };
    if let Some(message) = text::device_error(text) {
        return Err(ParseError::DeviceError(message));
    }
    let unrecognised = || ParseError::Unrecognised { command: command.trim().to_owned() };
    Ok(match cmd {
        Command::IosVersion => Parsed::Version(ios::parse_version(text).ok_or_else(unrecognised)?),
        Command::IosIpInterfaceBrief => Parsed::InterfacesBrief(ios::parse_ip_interface_brief(text)),
        Command::IosInterfaces => Parsed::Interfaces(ios::parse_interfaces(text)),
        Command::IosProcessesCpu => Parsed::Resources(ios::parse_processes_cpu(text).ok_or_else(unrecognised)?),
        Command::IosCdpNeighborsDetail => Parsed::Neighbors(ios::parse_cdp_neighbors_detail(text)),
        Command::IosLldpNeighborsDetail => Parsed::Neighbors(ios::parse_lldp_neighbors_detail(text)),
        Command::IosIpRoute => Parsed::Routes(ios::parse_ip_route(text)),
        Command::IosIpBgpSummary => Parsed::BgpSummary(ios::parse_bgp_summary(text).ok_or_else(unrecognised)?),
        Command::IosInventory => Parsed::Inventory(ios::parse_inventory(text)),
        Command::CxSystem => Parsed::Version(aoscx::parse_system(text).ok_or_else(unrecognised)?),
        Command::CxVersion => Parsed::Version(aoscx::parse_version(text).ok_or_else(unrecognised)?),
        Command::CxInterface => Parsed::Interfaces(aoscx::parse_interface(text)),
        Command::CxIpInterfaceBrief => Parsed::InterfacesBrief(aoscx::parse_ip_interface_brief(text)),
        Command::CxLldpNeighborDetail => Parsed::Neighbors(aoscx::parse_lldp_neighbor_detail(text)),
        Command::CxResourceUtilization => {
            Parsed::Resources(aoscx::parse_resource_utilization(text).ok_or_else(unrecognised)?)
        }
        Command::CxIpRoute => Parsed::Routes(aoscx::parse_ip_route(text)),
        Command::CxBgpSummary => Parsed::BgpSummary(aoscx::parse_bgp_summary(text).ok_or_else(unrecognised)?),
        Command::JunosVersion => Parsed::Version(junos::parse_version(text).ok_or_else(unrecognised)?),
        Command::JunosSystemUptime => Parsed::Uptime(junos::parse_system_uptime(text).ok_or_else(unrecognised)?),
        Command::JunosInterfaces => Parsed::Interfaces(junos::parse_interfaces(text)),
        Command::JunosInterfacesTerse => Parsed::InterfacesBrief(junos::parse_interfaces_terse(text)),
        Command::JunosLldpNeighbors => Parsed::Neighbors(junos::parse_lldp_neighbors(text)),
        Command::JunosRouteSummary => Parsed::RouteSummary(junos::parse_route_summary(text).ok_or_else(unrecognised)?),
        Command::JunosRoute => Parsed::Routes(junos::parse_route(text)),
        Command::JunosBgpSummary => Parsed::BgpSummary(junos::parse_bgp_summary(text).ok_or_else(unrecognised)?),
        Command::JunosChassisHardware => Parsed::Inventory(junos::parse_chassis_hardware(text)),
        Command::JunosSystemProcesses => {
            Parsed::Resources(junos::parse_system_processes(text).ok_or_else(unrecognised)?)
        }
        Command::JunosChassisRoutingEngine => {
            Parsed::Resources(junos::parse_chassis_routing_engine(text).ok_or_else(unrecognised)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_spacing_resolve() {
        assert_eq!(resolve(Platform::CiscoIos, "sh ip int br"), Some(Command::IosIpInterfaceBrief));
        assert_eq!(resolve(Platform::CiscoIos, "  SHOW   version "), Some(Command::IosVersion));
        assert_eq!(resolve(Platform::CiscoIos, "show int"), Some(Command::IosInterfaces));
        assert_eq!(resolve(Platform::JuniperJunos, "show route | no-more"), Some(Command::JunosRoute));
        assert_eq!(resolve(Platform::JuniperJunos, "sh int terse"), Some(Command::JunosInterfacesTerse));
        assert_eq!(resolve(Platform::ArubaAoscx, "show system"), Some(Command::CxSystem));
        assert_eq!(resolve(Platform::ArubaAoscx, "show system resource"), Some(Command::CxResourceUtilization));
        assert_eq!(resolve(Platform::CiscoIos, "show chassis hardware"), None);
        assert_eq!(resolve(Platform::CiscoIos, ""), None);
    }

    #[test]
    fn unsupported_command_is_a_clear_error() {
        let err = parse(Platform::CiscoIos, "show clock", "12:00").unwrap_err();
        assert!(matches!(err, ParseError::UnsupportedCommand { .. }), "{err}");
    }

    #[test]
    fn device_rejections_are_reported() {
        let out = "              ^\n% Invalid input detected at '^' marker.\n";
        assert_eq!(
            parse(Platform::CiscoIos, "show ip bgp summary", out),
            Err(ParseError::DeviceError("% Invalid input detected at '^' marker.".into()))
        );
        let junos = "                ^\nsyntax error, expecting <command>.\n";
        assert!(matches!(parse(Platform::JuniperJunos, "show bgp summary", junos), Err(ParseError::DeviceError(_))));
    }

    #[test]
    fn every_command_survives_hostile_input() {
        let mut inputs: Vec<String> = vec![
            String::new(),
            "\u{0}\u{1}\u{ff}\u{fffd}garbage \t\r\n\r\n".into(),
            "é".repeat(300),
            ":".repeat(50),
            "Interface is up, line protocol is\n  MTU bytes, BW Kbit/sec\nPort : \n".into(),
            "----\n|||||\n  [ / ] via , ,\n".into(),
        ];
        // Every prefix of a plausible output, to catch index arithmetic on truncated lines.
        let sample = "GigabitEthernet0/1 is up, line protocol is up (connected)\n  Hardware is iGbE, address is \
                      fa16.3e4f.41cc (bia fa16.3e4f.41cc)\n  Internet address is 10.0.0.1/24\nO E2    192.168.10.168 \n \
                      [110/20] via 7.7.7.170, 12:54:35, Te7/4\nItem Version Part number Serial number Description\n\
                      Chassis   A1111  MX10-T\n";
        for (i, _) in sample.char_indices() {
            inputs.push(sample[..i].to_owned());
        }
        for platform in Platform::ALL {
            for command in supported_commands(platform) {
                for input in &inputs {
                    // Any result is fine; a panic fails the test.
                    let _ = parse(platform, command, input);
                }
            }
        }
    }
}

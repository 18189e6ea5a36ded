//! Pre/post-change checks and health: which commands to run per platform, the state parsed from
//! them, and the comparison that decides whether a change broke something.

use std::collections::BTreeSet;

use domain::device::Platform;
use domain::parse::{parse, Parsed};
use serde::{Deserialize, Serialize};

/// Commands whose parsed output makes a snapshot: interfaces, neighbors, routes, CPU.
#[must_use]
pub fn commands(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::CiscoIos => {
            &["show ip interface brief", "show cdp neighbors detail", "show ip route", "show processes cpu"]
        }
        Platform::ArubaAoscx => &[
            "show ip interface brief",
            "show lldp neighbor-info detail",
            "show ip route",
            "show system resource-utilization",
        ],
        Platform::JuniperJunos => {
            &["show interfaces terse", "show lldp neighbors", "show route", "show chassis routing-engine"]
        }
    }
}

/// What a device looks like at one moment, for comparing before and after a change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Interfaces whose line protocol is up.
    pub interfaces_up: BTreeSet<String>,
    pub interfaces_total: usize,
    /// `local interface -> remote device`.
    pub neighbors: BTreeSet<String>,
    pub routes: usize,
    /// Five-second CPU average, percent.
    pub cpu: Option<f64>,
    /// Commands whose output could not be read (the check is then not judged on them).
    pub unreadable: Vec<String>,
}

impl Snapshot {
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "{}/{} interfaces up, {} neighbors, {} routes, CPU {}",
            self.interfaces_up.len(),
            self.interfaces_total,
            self.neighbors.len(),
            self.routes,
            self.cpu.map_or_else(|| "?".to_owned(), |c| format!("{c:.0}%"))
        )
    }
}

fn is_up(word: &str) -> bool {
    word.trim().eq_ignore_ascii_case("up")
}

#[must_use]
pub fn snapshot(platform: Platform, outputs: &[(&str, String)]) -> Snapshot {
    let mut s = Snapshot::default();
    for (command, text) in outputs {
        match parse(platform, command, text) {
            Ok(Parsed::InterfacesBrief(rows)) => {
                // Junos terse lists logical units too (ge-0/0/0.0); count physical ones once.
                let mut names = BTreeSet::new();
                for r in &rows {
                    let name = r.name.split('.').next().unwrap_or(&r.name).to_owned();
                    names.insert(name.clone());
                    if is_up(&r.protocol) && (r.status.is_empty() || is_up(&r.status)) {
                        s.interfaces_up.insert(name);
                    }
                }
                s.interfaces_total = names.len();
            }
            Ok(Parsed::Interfaces(rows)) => {
                s.interfaces_total = rows.len();
                s.interfaces_up = rows.iter().filter(|i| i.oper_up == Some(true)).map(|i| i.name.clone()).collect();
            }
            Ok(Parsed::Neighbors(rows)) => {
                s.neighbors = rows
                    .iter()
                    .map(|n| format!("{} -> {}", n.local_interface, n.remote_device.as_deref().unwrap_or("?")))
                    .collect();
            }
            Ok(Parsed::Routes(rows)) => s.routes = rows.len(),
            Ok(Parsed::Resources(r)) => s.cpu = r.cpu.five_sec.or(r.cpu.one_min),
            Ok(_) | Err(_) => s.unreadable.push((*command).to_owned()),
        }
    }
    s
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: String,
    pub passed: bool,
    pub detail: String,
}

/// Before/after comparison of a change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub checks: Vec<CheckResult>,
}

impl CheckReport {
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    #[must_use]
    pub fn failures(&self) -> Vec<String> {
        self.checks.iter().filter(|c| !c.passed).map(|c| format!("{}: {}", c.check, c.detail)).collect()
    }
}

/// A change passes when no interface went down, no neighbor was lost, no route disappeared and
/// CPU stays under `cpu_limit`.
#[must_use]
pub fn compare(pre: &Snapshot, post: &Snapshot, cpu_limit: f64) -> CheckReport {
    let mut checks = Vec::new();
    let went_down: Vec<_> = pre.interfaces_up.difference(&post.interfaces_up).cloned().collect();
    checks.push(CheckResult {
        check: "interfaces up".into(),
        passed: went_down.is_empty(),
        detail: if went_down.is_empty() {
            format!("{} up before and after", post.interfaces_up.len())
        } else {
            format!("went down: {}", went_down.join(", "))
        },
    });
    let lost: Vec<_> = pre.neighbors.difference(&post.neighbors).cloned().collect();
    checks.push(CheckResult {
        check: "neighbors".into(),
        passed: lost.is_empty(),
        detail: if lost.is_empty() {
            format!("{} neighbors kept", post.neighbors.len())
        } else {
            format!("lost: {}", lost.join(", "))
        },
    });
    checks.push(CheckResult {
        check: "routes".into(),
        passed: post.routes >= pre.routes,
        detail: format!("{} before, {} after", pre.routes, post.routes),
    });
    let cpu_ok = post.cpu.is_none_or(|c| c < cpu_limit);
    checks.push(CheckResult {
        check: "cpu".into(),
        passed: cpu_ok,
        detail: match post.cpu {
            Some(c) if !cpu_ok => format!("{c:.0}% is at or above the {cpu_limit:.0}% limit"),
            Some(c) => format!("{c:.0}%"),
            None => "not reported".into(),
        },
    });
    CheckReport { checks }
}

/// Commands a health check runs.
#[must_use]
pub fn health_commands(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::CiscoIos => &["show version", "show processes cpu", "show interfaces"],
        Platform::ArubaAoscx => &["show system", "show system resource-utilization", "show interface"],
        Platform::JuniperJunos => &["show system uptime", "show chassis routing-engine", "show interfaces"],
    }
}

/// Health fields parsed from the device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub healthy: bool,
    pub summary: String,
    pub cpu_five_sec: Option<f64>,
    pub cpu_one_min: Option<f64>,
    pub cpu_five_min: Option<f64>,
    pub memory_used_percent: Option<f64>,
    pub uptime: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub interfaces_up: usize,
    pub interfaces_down: usize,
    pub interfaces_admin_down: usize,
    pub input_errors: u64,
    pub output_errors: u64,
    pub crc: u64,
    /// Interfaces with error counters above zero.
    pub interfaces_with_errors: Vec<String>,
    pub unreadable: Vec<String>,
}

#[must_use]
pub fn health(platform: Platform, outputs: &[(&str, String)], cpu_limit: f64) -> Health {
    let mut h = Health::default();
    for (command, text) in outputs {
        match parse(platform, command, text) {
            Ok(Parsed::Version(v)) => {
                h.uptime = v.uptime.clone();
                h.uptime_seconds = v.uptime_seconds;
                if h.cpu_five_sec.is_none() {
                    h.cpu_five_sec = v.cpu_percent;
                }
                if h.memory_used_percent.is_none() {
                    h.memory_used_percent = v.memory_percent;
                }
            }
            Ok(Parsed::Uptime(u)) => {
                h.uptime = u.uptime.clone();
                h.uptime_seconds = u.uptime_seconds;
            }
            Ok(Parsed::Resources(r)) => {
                h.cpu_five_sec = r.cpu.five_sec.or(h.cpu_five_sec);
                h.cpu_one_min = r.cpu.one_min;
                h.cpu_five_min = r.cpu.five_min;
                if let Some(m) = &r.memory {
                    h.memory_used_percent = m.used_percent.or_else(|| match (m.used, m.total) {
                        #[allow(clippy::cast_precision_loss)] // memory sizes are far below 2^52
                        (Some(u), Some(t)) if t > 0 => Some(u as f64 * 100.0 / t as f64),
                        _ => None,
                    });
                }
            }
            Ok(Parsed::Interfaces(rows)) => {
                for i in &rows {
                    match (i.admin_up, i.oper_up) {
                        (Some(false), _) => h.interfaces_admin_down += 1,
                        (_, Some(true)) => h.interfaces_up += 1,
                        _ => h.interfaces_down += 1,
                    }
                    let (ie, oe, crc) = (i.input_errors.unwrap_or(0), i.output_errors.unwrap_or(0), i.crc.unwrap_or(0));
                    h.input_errors += ie;
                    h.output_errors += oe;
                    h.crc += crc;
                    if ie + oe + crc > 0 {
                        h.interfaces_with_errors.push(i.name.clone());
                    }
                }
            }
            Ok(_) | Err(_) => h.unreadable.push((*command).to_owned()),
        }
    }
    let mut problems = Vec::new();
    if let Some(c) = h.cpu_five_sec.filter(|c| *c >= cpu_limit) {
        problems.push(format!("CPU {c:.0}%"));
    }
    if h.interfaces_down > 0 {
        problems.push(format!("{} interface(s) down", h.interfaces_down));
    }
    if !h.interfaces_with_errors.is_empty() {
        problems.push(format!("errors on {}", h.interfaces_with_errors.join(", ")));
    }
    h.healthy = problems.iter().all(|p| !p.starts_with("CPU"));
    let base = format!(
        "CPU {}, memory {}, uptime {}, {} up / {} down / {} admin down",
        h.cpu_five_sec.map_or_else(|| "?".into(), |c| format!("{c:.0}%")),
        h.memory_used_percent.map_or_else(|| "?".into(), |m| format!("{m:.0}%")),
        h.uptime.clone().unwrap_or_else(|| "?".into()),
        h.interfaces_up,
        h.interfaces_down,
        h.interfaces_admin_down
    );
    h.summary = if problems.is_empty() { base } else { format!("{base}; attention: {}", problems.join("; ")) };
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(up: &[&str], neighbors: &[&str], routes: usize, cpu: f64) -> Snapshot {
        Snapshot {
            interfaces_up: up.iter().map(|s| (*s).to_owned()).collect(),
            interfaces_total: up.len(),
            neighbors: neighbors.iter().map(|s| (*s).to_owned()).collect(),
            routes,
            cpu: Some(cpu),
            unreadable: vec![],
        }
    }

    #[test]
    fn a_change_that_keeps_everything_passes() {
        let pre = snap(&["Gi0/0", "Gi0/1"], &["Gi0/0 -> R16"], 5, 20.0);
        let post = snap(&["Gi0/0", "Gi0/1", "Gi0/2"], &["Gi0/0 -> R16"], 6, 25.0);
        let r = compare(&pre, &post, 80.0);
        assert!(r.passed(), "{r:?}");
    }

    #[test]
    fn lost_interface_neighbor_route_or_high_cpu_each_fail() {
        let pre = snap(&["Gi0/0", "Gi0/1"], &["Gi0/0 -> R16"], 5, 20.0);
        let post = snap(&["Gi0/1"], &[], 4, 95.0);
        let r = compare(&pre, &post, 80.0);
        let failures = r.failures();
        assert_eq!(failures.len(), 4, "{failures:?}");
        assert!(failures[0].contains("went down: Gi0/0"));
        assert!(failures[1].contains("lost: Gi0/0 -> R16"));
        assert!(failures[3].contains("95% is at or above the 80% limit"));
    }
}

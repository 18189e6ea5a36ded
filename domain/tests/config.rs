//! Config tools against the napalm corpus and hand-made cases.

use std::fs;
use std::path::PathBuf;

use domain::config::{content_hash, diff, mask_secrets, normalize, remediation, SECRET_MASK};
use domain::device::Platform;
use serde_json::Value;

fn napalm(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/napalm").join(path);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn ios_running_and_startup_normalise_equal() {
    let running = napalm("ios/show_running_config.txt");
    let startup = napalm("ios/show_startup_config.txt");
    assert_ne!(running, startup, "the corpus files really differ");
    let (r, s) = (normalize(Platform::CiscoIos, &running), normalize(Platform::CiscoIos, &startup));
    assert_eq!(r, s);
    assert_eq!(content_hash(&r), content_hash(&s));
    assert!(r.starts_with("version 15.5\n"), "{}", &r[..40]);
    assert!(diff(&r, &s).is_empty());
}

#[test]
fn nxos_running_vs_startup_keeps_only_real_changes() {
    let running = normalize(Platform::CiscoIos, &napalm("nxos_ssh/show_running_config.txt"));
    let startup = normalize(Platform::CiscoIos, &napalm("nxos_ssh/show_startup_config.txt"));
    let d = diff(&startup, &running);
    assert!(!d.is_empty());
    assert!(!d.unified.contains("!Time:") && !d.unified.contains("!Command:"), "{}", d.unified);
    assert!(d.unified.contains("snmp-server community"), "real setting changes remain");
}

/// Lines where our masking deliberately differs from napalm's oracle: (oracle line, our line).
const DELIBERATE: &[(&str, &str)] = &[
    // napalm's filter needs a type digit, so it leaks this password.
    ("enable password cisco", "enable password <removed>"),
    // napalm's replacement repeats the engineID group (`\4\5`).
    (
        "snmp-server user admin auth md5 <removed> priv <removed> localizedkey engineID 128:0:0:9:3:0:12:41:209:213:60 engineID 128:0:0:9:3:0:12:41:209:213:60",
        "snmp-server user admin auth md5 <removed> priv <removed> localizedkey engineID 128:0:0:9:3:0:12:41:209:213:60",
    ),
];

#[test]
fn masking_matches_napalm_sanitized_configs() {
    assert_eq!(SECRET_MASK, "<removed>");
    let mut report = Vec::new();
    for driver in ["ios", "nxos_ssh"] {
        let oracle: Value =
            serde_json::from_str(&napalm(&format!("{driver}/get_config_sanitized.expected.json"))).unwrap();
        for kind in ["running", "startup"] {
            let raw = napalm(&format!("{driver}/show_{kind}_config.txt"));
            // napalm also rewrites the volatile header; compare both sides normalised.
            let ours = normalize(Platform::CiscoIos, &mask_secrets(Platform::CiscoIos, &raw));
            let want = normalize(Platform::CiscoIos, oracle[kind].as_str().unwrap());
            let (ours_lines, want_lines): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), want.lines().collect());
            assert_eq!(ours_lines.len(), want_lines.len(), "{driver} {kind}: line count");
            let mut exact = 0;
            let mut deliberate = 0;
            for (o, w) in ours_lines.iter().zip(&want_lines) {
                if o == w {
                    exact += 1;
                } else if DELIBERATE.contains(&(w.trim_end(), o.trim_end())) {
                    deliberate += 1;
                } else {
                    panic!("{driver} {kind}: ours {o:?} vs napalm {w:?}");
                }
            }
            // No secret from the raw config survives.
            for secret in ["cisco\n", "bogus123", "networktocode", "$5$aH4ttsPk", "0xd1e3bf70"] {
                assert!(!ours.contains(secret) || secret == "cisco\n" && !ours.contains(" cisco\n"), "{secret} leaked");
            }
            report.push(format!(
                "{driver}/{kind}: {exact}/{} lines identical, {deliberate} deliberate",
                want_lines.len()
            ));
        }
    }
    eprintln!("napalm masking: {report:#?}");
}

// ---- remediation -------------------------------------------------------------------------------

/// A tiny IOS-like config-mode simulator: enough to check that remediation commands, applied to
/// `current`, produce a config with no remaining difference to `target`.
#[derive(Debug, Clone)]
struct Node {
    line: String,
    children: Vec<Node>,
}

fn parse_tree(text: &str) -> Vec<Node> {
    let mut roots: Vec<Node> = Vec::new();
    let mut stack: Vec<(usize, Node)> = Vec::new();
    fn close(stack: &mut Vec<(usize, Node)>, roots: &mut Vec<Node>) {
        let Some((_, n)) = stack.pop() else { return };
        match stack.last_mut() {
            Some((_, p)) => p.children.push(n),
            None => roots.push(n),
        }
    }
    for l in text.lines() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('!') || t == "end" || t.starts_with("version ") {
            continue;
        }
        let indent = l.len() - l.trim_start().len();
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            close(&mut stack, &mut roots);
        }
        stack.push((indent, Node { line: t.to_owned(), children: vec![] }));
    }
    while !stack.is_empty() {
        close(&mut stack, &mut roots);
    }
    roots
}

fn render(nodes: &[Node], depth: usize, out: &mut String) {
    for n in nodes {
        out.push_str(&format!("{}{}\n", " ".repeat(depth), n.line));
        render(&n.children, depth + 1, out);
    }
}

fn same_setting(a: &str, b: &str) -> bool {
    let single = ["hostname ", "description ", "snmp-server location ", "mtu "];
    single.iter().any(|p| a.starts_with(p) && b.starts_with(p))
        || (a.starts_with("ip address ")
            && b.starts_with("ip address ")
            && !a.ends_with("secondary")
            && !b.ends_with("secondary"))
}

fn apply(current: &str, commands: &[String]) -> String {
    let mut tree = parse_tree(current);
    let mut context: Vec<String> = Vec::new();
    for cmd in commands {
        let depth = cmd.len() - cmd.trim_start().len();
        let t = cmd.trim();
        if t == "exit" {
            context.pop();
            continue;
        }
        context.truncate(depth);
        let mut level = &mut tree;
        for parent in &context {
            let i = level.iter().position(|n| &n.line == parent).expect("entered parent exists");
            level = &mut level[i].children;
        }
        if let Some(what) = t.strip_prefix("no ") {
            let before = level.len();
            level.retain(|n| {
                !(n.line == what
                    || (what == "description" && n.line.starts_with("description "))
                    || (what == "ip address" && n.line.starts_with("ip address ") && !n.line.ends_with("secondary")))
            });
            if level.len() == before {
                level.push(Node { line: t.to_owned(), children: vec![] });
            }
        } else {
            // A positive command that cancels a `no X` restores the default, which IOS doesn't show.
            let negative = format!("no {t}");
            let before = level.len();
            level.retain(|n| n.line != negative);
            let restored_default = level.len() != before;
            level.retain(|n| !same_setting(&n.line, t));
            if !restored_default && !level.iter().any(|n| n.line == t) {
                level.push(Node { line: t.to_owned(), children: vec![] });
            }
            context.push(t.to_owned());
        }
    }
    let mut out = String::new();
    render(&tree, 0, &mut out);
    out
}

const IOS_CURRENT: &str = "\
!
version 15.5
hostname R1
!
interface GigabitEthernet1
 description uplink to core
 ip address 10.0.0.1 255.255.255.0
 shutdown
!
interface Loopback9
 ip address 9.9.9.9 255.255.255.255
!
router bgp 65000
 neighbor 10.0.0.2 remote-as 65001
 address-family ipv4
  neighbor 10.0.0.2 activate
  network 10.0.0.0 mask 255.255.255.0
 exit-address-family
!
ip route 0.0.0.0 0.0.0.0 10.0.0.254
logging host 10.9.9.9
snmp-server community public RO
username admin privilege 15 secret 9 $9$abc
no ip domain lookup
ntp server 10.1.1.1
end
";

const IOS_TARGET: &str = "\
!
version 15.5
hostname R2
!
interface GigabitEthernet1
 ip address 10.0.0.5 255.255.255.0
!
interface GigabitEthernet2
 description new link
 ip address 10.0.1.1 255.255.255.0
!
router bgp 65000
 neighbor 10.0.0.2 remote-as 65001
 address-family ipv4
  neighbor 10.0.0.2 activate
 exit-address-family
!
ip route 0.0.0.0 0.0.0.0 10.0.0.253
logging host 10.9.9.9
ntp server 10.1.1.1
ntp server 10.1.1.2
end
";

#[test]
fn ios_remediation_exact_commands() {
    let cmds = remediation(Platform::CiscoIos, IOS_CURRENT, IOS_TARGET);
    let want: Vec<String> = [
        "interface GigabitEthernet1",
        " no description",
        " no shutdown",
        " ip address 10.0.0.5 255.255.255.0",
        "exit",
        "no interface Loopback9",
        "router bgp 65000",
        " address-family ipv4",
        "  no network 10.0.0.0 mask 255.255.255.0",
        " exit",
        "exit",
        "no ip route 0.0.0.0 0.0.0.0 10.0.0.254",
        "no snmp-server community public RO",
        "no username admin privilege 15 secret 9 $9$abc",
        "ip domain lookup",
        "hostname R2",
        "interface GigabitEthernet2",
        " description new link",
        " ip address 10.0.1.1 255.255.255.0",
        "exit",
        "ip route 0.0.0.0 0.0.0.0 10.0.0.253",
        "ntp server 10.1.1.2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(cmds, want, "{cmds:#?}");
    assert!(!cmds.iter().any(|c| c.contains("version") || c.trim() == "end" || c.starts_with('!')));
}

#[test]
fn ios_remediation_applied_leaves_nothing_to_do() {
    for (current, target) in [(IOS_CURRENT, IOS_TARGET), (IOS_TARGET, IOS_CURRENT)] {
        let cmds = remediation(Platform::CiscoIos, current, target);
        assert!(!cmds.is_empty());
        let applied = apply(current, &cmds);
        assert_eq!(
            remediation(Platform::CiscoIos, &applied, target),
            Vec::<String>::new(),
            "after {cmds:#?}:\n{applied}"
        );
    }
    // Rolling back a push: the inverse of a change restores the original.
    let pushed = apply(IOS_CURRENT, &remediation(Platform::CiscoIos, IOS_CURRENT, IOS_TARGET));
    let rolled_back = apply(&pushed, &remediation(Platform::CiscoIos, &pushed, IOS_CURRENT));
    assert!(remediation(Platform::CiscoIos, &rolled_back, IOS_CURRENT).is_empty());
    assert!(remediation(Platform::CiscoIos, IOS_CURRENT, IOS_CURRENT).is_empty());
}

#[test]
fn aoscx_remediation() {
    let current = "Current configuration:\n!\n!Version ArubaOS-CX FL.10.11.1021\nhostname sw1\nvlan 10\n    name users\ninterface 1/1/1\n    no shutdown\n    description AP\n    vlan access 10\n";
    let target = "hostname sw1\nvlan 10\n    name users\nvlan 20\n    name voice\ninterface 1/1/1\n    no shutdown\n    vlan access 20\n";
    let cmds = remediation(Platform::ArubaAoscx, current, target);
    assert_eq!(
        cmds,
        ["interface 1/1/1", " no description", " vlan access 20", "exit", "vlan 20", " name voice"]
            .map(str::to_owned)
            .to_vec()
    );
}

#[test]
fn junos_remediation_in_set_form() {
    let current = "set system host-name r1\nset system name-server 1.1.1.1\nset interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24\n";
    let target = "set system host-name r2\nset system name-server 1.1.1.1\nset interfaces ge-0/0/0 unit 0 family inet address 10.0.0.2/24\nset protocols lldp interface all\n";
    let cmds = remediation(Platform::JuniperJunos, current, target);
    assert_eq!(
        cmds,
        [
            "delete system host-name r1",
            "delete interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24",
            "set system host-name r2",
            "set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.2/24",
            "set protocols lldp interface all",
        ]
        .map(str::to_owned)
        .to_vec()
    );
    // Simulate: the set of `set` lines after applying equals the target's.
    let mut lines: Vec<String> = current.lines().map(str::to_owned).collect();
    for c in &cmds {
        if let Some(path) = c.strip_prefix("delete ") {
            lines.retain(|l| l != &format!("set {path}"));
        } else {
            lines.push(c.clone());
        }
    }
    assert!(remediation(Platform::JuniperJunos, &lines.join("\n"), target).is_empty());
}

#[test]
fn remediation_of_garbage_is_total() {
    for platform in Platform::ALL {
        let _ = remediation(platform, "\u{0}\n   \t\n  orphan child\nset\n", "é\n\n    deep\n  shallow\nx");
        assert!(remediation(platform, "", "").is_empty());
    }
}

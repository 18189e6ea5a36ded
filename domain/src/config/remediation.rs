//! Commands that turn one configuration into another.
//!
//! IOS and AOS-CX configs are trees by indentation (`interface X` and its indented children).
//! Lines only in the current config are negated inside their parent; lines only in the target are
//! added after entering their parent; `exit` leaves a sub-mode before the next change elsewhere.
//! Single-valued settings (`hostname`, `description`, `ip address`...) are simply overwritten, so
//! their old value is not negated first. Junos is compared in `set` form: `delete` what went away,
//! `set` what is new.

use crate::device::Platform;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    line: String,
    children: Vec<Node>,
}

/// Lines that are structure or stamps, not configuration, and cannot be negated.
fn is_noise(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || t.starts_with('!')
        || t.starts_with('#')
        || t == "end"
        || t == "exit"
        || t == "exit-address-family"
        || t == "exit-vrf"
        || t.starts_with("version ")
        || t.starts_with("Building configuration")
        || t.starts_with("Current configuration")
        || t == "boot-start-marker"
        || t == "boot-end-marker"
}

fn indent_of(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

/// Builds the indentation tree. Children keep their text trimmed; depth gives the indentation back.
fn tree(text: &str) -> Vec<Node> {
    fn close(stack: &mut Vec<(usize, Node)>, roots: &mut Vec<Node>) {
        if let Some((_, node)) = stack.pop() {
            match stack.last_mut() {
                Some((_, parent)) => parent.children.push(node),
                None => roots.push(node),
            }
        }
    }
    let mut roots: Vec<Node> = Vec::new();
    // The open path: (indent, node) from the outermost parent to the last line read.
    let mut stack: Vec<(usize, Node)> = Vec::new();
    for raw in text.lines() {
        let raw = raw.trim_end_matches('\r').trim_end();
        if is_noise(raw) {
            continue;
        }
        let indent = indent_of(raw);
        while stack.last().is_some_and(|(open, _)| *open >= indent) {
            close(&mut stack, &mut roots);
        }
        stack.push((indent, Node { line: raw.trim().to_owned(), children: Vec::new() }));
    }
    while !stack.is_empty() {
        close(&mut stack, &mut roots);
    }
    roots
}

/// The part of a single-valued setting that identifies it, so a new value overwrites the old.
fn setting_key(line: &str) -> Option<&str> {
    const SINGLE: &[&str] = &[
        "hostname ",
        "description ",
        "ip default-gateway ",
        "ip domain name ",
        "ip domain-name ",
        "snmp-server location ",
        "snmp-server contact ",
        "mtu ",
        "ip mtu ",
        "bandwidth ",
        "speed ",
        "duplex ",
        "switchport access vlan ",
        "switchport mode ",
        "vlan access ",
        "clock timezone ",
        "enable secret ",
        "banner motd ",
        "router-id ",
        "bgp router-id ",
    ];
    if line.starts_with("ip address ") && !line.ends_with(" secondary") {
        return Some("ip address ");
    }
    SINGLE.iter().find(|p| line.starts_with(**p)).copied()
}

/// The command that undoes `line` in its mode.
fn negate(line: &str) -> String {
    if let Some(positive) = line.strip_prefix("no ") {
        return positive.to_owned();
    }
    if line.starts_with("description ") {
        return "no description".to_owned();
    }
    if line.starts_with("ip address ") && !line.ends_with(" secondary") {
        return "no ip address".to_owned();
    }
    format!("no {line}")
}

/// Emits commands, entering parents lazily and leaving sub-modes with `exit`.
struct Emitter {
    out: Vec<String>,
    /// Parent lines currently entered, outermost first.
    context: Vec<String>,
}

impl Emitter {
    fn emit(&mut self, parents: &[&str], command: &str) {
        let common = self.context.iter().zip(parents).take_while(|(a, b)| a == *b).count();
        while self.context.len() > common {
            self.context.pop();
            self.out.push(format!("{}exit", " ".repeat(self.context.len())));
        }
        for (depth, parent) in parents.iter().enumerate().skip(common) {
            self.out.push(format!("{}{parent}", " ".repeat(depth)));
            self.context.push((*parent).to_owned());
        }
        self.out.push(format!("{}{command}", " ".repeat(parents.len())));
    }

    fn add_subtree<'a>(&mut self, parents: &mut Vec<&'a str>, node: &'a Node) {
        self.emit(parents, &node.line);
        if node.children.is_empty() {
            return;
        }
        // Entering `node` is implicit: typing it put the device in its sub-mode.
        self.context.push(node.line.clone());
        parents.push(&node.line);
        for child in &node.children {
            self.add_subtree(parents, child);
        }
        parents.pop();
    }
}

fn diff_level<'a>(em: &mut Emitter, parents: &mut Vec<&'a str>, current: &'a [Node], target: &'a [Node]) {
    let added: Vec<&str> =
        target.iter().filter(|t| !current.iter().any(|c| c.line == t.line)).map(|t| t.line.as_str()).collect();
    let added_keys: Vec<&str> = added.iter().filter_map(|l| setting_key(l)).collect();
    for cur in current {
        match target.iter().find(|t| t.line == cur.line) {
            Some(tgt) => {
                if cur.children != tgt.children {
                    parents.push(&cur.line);
                    diff_level(em, parents, &cur.children, &tgt.children);
                    parents.pop();
                }
            }
            None => {
                // Overwritten by a new value, or undone by a line the target adds anyway
                // (`shutdown` -> `no shutdown`): the addition says it once.
                let negation = negate(&cur.line);
                if setting_key(&cur.line).is_some_and(|k| added_keys.contains(&k)) || added.contains(&negation.as_str())
                {
                    continue;
                }
                em.emit(parents, &negation);
            }
        }
    }
    for tgt in target {
        if !current.iter().any(|c| c.line == tgt.line) {
            em.add_subtree(parents, tgt);
        }
    }
}

fn set_lines(text: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("set ") && !seen.iter().any(|s: &String| s == t) {
            seen.push(t.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    seen
}

/// Configuration-mode commands that turn the running config `current` into `target`.
///
/// IOS/AOS-CX: commands as typed after `configure terminal`, indented by depth (leading spaces
/// are ignored by the devices). Junos: `delete`/`set` lines for `configure` mode, from configs in
/// `show configuration | display set` form; non-`set` lines are ignored.
#[must_use]
pub fn remediation(platform: Platform, current: &str, target: &str) -> Vec<String> {
    match platform {
        Platform::JuniperJunos => {
            let (cur, tgt) = (set_lines(current), set_lines(target));
            let deletes = cur.iter().filter(|l| !tgt.contains(l)).map(|l| format!("delete {}", &l[4..]));
            let sets = tgt.iter().filter(|l| !cur.contains(l)).cloned();
            deletes.chain(sets).collect()
        }
        Platform::CiscoIos | Platform::ArubaAoscx => {
            let (cur, tgt) = (tree(current), tree(target));
            let mut em = Emitter { out: Vec::new(), context: Vec::new() };
            diff_level(&mut em, &mut Vec::new(), &cur, &tgt);
            em.out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_follows_indentation() {
        let t = tree("!\nrouter bgp 1\n address-family ipv4\n  neighbor 1.1.1.1 activate\n exit-address-family\nhostname r\nend\n");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].children[0].children[0].line, "neighbor 1.1.1.1 activate");
        assert_eq!(t[1].line, "hostname r");
    }

    #[test]
    fn negation_rules() {
        assert_eq!(negate("description uplink"), "no description");
        assert_eq!(negate("ip address 10.0.0.1 255.255.255.0"), "no ip address");
        assert_eq!(
            negate("ip address 10.0.0.2 255.255.255.0 secondary"),
            "no ip address 10.0.0.2 255.255.255.0 secondary"
        );
        assert_eq!(negate("no ip domain lookup"), "ip domain lookup");
        assert_eq!(negate("shutdown"), "no shutdown");
    }
}

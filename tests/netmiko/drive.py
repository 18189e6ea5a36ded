#!/usr/bin/env python3
"""Drive lab devices with netmiko: show commands, a config change, save/commit, re-read.

Reads a JSON list of devices on stdin:
  [{"name", "device_type", "host", "port", "username", "password", "secret"}, ...]
Prints one JSON object on stdout: {"results": [{"name", "device_type", "ok", "error", "checks", "seconds"}]}.
"""
import json
import sys
import time

from netmiko import ConnectHandler

MARK = "netmiko-was-here"


def drive(dev):
    kind = dev["device_type"]
    checks = {}
    conn = ConnectHandler(
        device_type=kind,
        host=dev["host"],
        port=dev["port"],
        username=dev["username"],
        password=dev["password"],
        secret=dev.get("secret", ""),
        fast_cli=True,
        conn_timeout=10,
    )
    try:
        checks["prompt"] = conn.find_prompt()
        if kind == "cisco_ios":
            conn.enable()
            checks["enabled_prompt"] = conn.find_prompt()
            checks["version"] = "uptime is" in conn.send_command("show version")
            brief = conn.send_command("show ip interface brief")
            checks["ip_int_brief"] = "GigabitEthernet0/1" in brief
            checks["cdp"] = "Device ID:" in conn.send_command("show cdp neighbors detail")
            checks["invalid"] = "% Invalid input detected" in conn.send_command("show bogus")
            conn.send_config_set(["interface GigabitEthernet0/1", f"description {MARK}"])
            conn.save_config()
            running = conn.send_command("show running-config")
            startup = conn.send_command("show startup-config")
            checks["changed"] = f" description {MARK}" in running
            checks["saved"] = f" description {MARK}" in startup
        elif kind == "aruba_aoscx":
            checks["system"] = "Hostname" in conn.send_command("show system")
            checks["lldp"] = "Neighbor Chassis-Name" in conn.send_command("show lldp neighbor-info detail")
            checks["invalid"] = "Invalid input" in conn.send_command("show bogus")
            conn.send_config_set(["interface 1/1/1", f"description {MARK}"])
            conn.save_config()
            running = conn.send_command("show running-config")
            startup = conn.send_command("show startup-config")
            checks["changed"] = f"description {MARK}" in running
            checks["saved"] = f"description {MARK}" in startup
        elif kind == "juniper_junos":
            checks["version"] = "Junos:" in conn.send_command("show version")
            checks["terse"] = "ge-0/0/0" in conn.send_command("show interfaces terse")
            checks["invalid"] = "syntax error" in conn.send_command("show bogus")
            conn.send_config_set([f"set interfaces ge-0/0/0 description {MARK}"], exit_config_mode=False)
            out = conn.commit()
            checks["commit_complete"] = "commit complete" in out
            conn.exit_config_mode()
            running = conn.send_command("show configuration | display set")
            checks["changed"] = f"set interfaces ge-0/0/0 description {MARK}" in running
            checks["saved"] = checks["changed"]
        else:
            raise ValueError(f"unsupported device_type {kind}")
    finally:
        conn.disconnect()
    return checks


def main():
    devices = json.load(sys.stdin)
    results = []
    for dev in devices:
        started = time.monotonic()
        entry = {"name": dev["name"], "device_type": dev["device_type"], "ok": False, "error": None, "checks": {}}
        try:
            entry["checks"] = drive(dev)
            entry["ok"] = all(v for v in entry["checks"].values())
        except Exception as exc:  # report every failure as data for the Rust test
            entry["error"] = f"{type(exc).__name__}: {exc}"
        entry["seconds"] = round(time.monotonic() - started, 3)
        results.append(entry)
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

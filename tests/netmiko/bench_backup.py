#!/usr/bin/env python3
"""Config backup of lab devices with netmiko: the baseline of `netledger bench ssh`.

Reads one JSON object per line on stdin (name, platform, host, port, username, password, secret;
platform is a netmiko device_type: cisco_ios, aruba_aoscx, juniper_junos), backs every device up
with a thread pool (show running-config + show startup-config; Junos: show configuration, which is
also what boots, as the Rust side does) and prints one JSON object of figures on stdout.

Usage: netledger bench ssh runs it; by hand: python3 bench_backup.py --workers 50 < devices.jsonl
"""

import argparse
import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    # Nearest rank, as the Rust side computes it.
    index = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def backup(device):
    from netmiko import ConnectHandler

    started = time.perf_counter()
    params = {
        "device_type": device["platform"],
        "host": device["host"],
        "port": int(device["port"]),
        "username": device["username"],
        "password": device["password"],
        "fast_cli": True,
    }
    if device.get("secret"):
        params["secret"] = device["secret"]
    try:
        with ConnectHandler(**params) as conn:
            if device["platform"] != "juniper_junos" and not conn.check_enable_mode():
                conn.enable()
            if device["platform"] == "juniper_junos":
                running = conn.send_command("show configuration")
                startup = running
            else:
                running = conn.send_command("show running-config")
                startup = conn.send_command("show startup-config")
        ok = bool(running.strip()) and bool(startup.strip())
        error = None if ok else "empty configuration"
    except Exception as exc:  # noqa: BLE001 - every failure is a figure, not a crash
        ok, error = False, f"{type(exc).__name__}: {exc}"
    return ok, time.perf_counter() - started, device["name"], error


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=50)
    args = parser.parse_args()

    try:
        import netmiko  # noqa: F401
    except ImportError as exc:
        print(json.dumps({"available": False, "error": str(exc)}))
        return 3

    devices = [json.loads(line) for line in sys.stdin if line.strip()]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(backup, devices))
    wall = time.perf_counter() - started

    durations = sorted(d for ok, d, _, _ in results if ok)
    errors = [f"{name}: {error}" for ok, _, name, error in results if not ok]
    figures = {
        "available": True,
        "netmiko_version": netmiko.__version__,
        "devices": len(devices),
        "ok": len(durations),
        "failed": len(errors),
        "workers": args.workers,
        "wall_s": round(wall, 3),
        "devices_per_s": round(len(durations) / wall, 2) if wall > 0 else None,
        "p50_ms": round(percentile(durations, 50) * 1000, 1) if durations else None,
        "p95_ms": round(percentile(durations, 95) * 1000, 1) if durations else None,
        "errors": errors[:5],
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

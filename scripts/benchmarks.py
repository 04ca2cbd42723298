#!/usr/bin/python3
"""Runs the measurements of docs/benchmarks.md and prints them as markdown tables.

Every run starts a fresh chat-server process (so that its CPU and memory are its own, and so that
10,000 connections fit under the per-process file limit) and points chat-bench at it. Usage:

    scripts/run-benchmarks.sh            # builds first, then runs this
    scripts/benchmarks.py BUILD_DIR [--quick]
"""

import json
import os
import re
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
QUICK = "--quick" in sys.argv
SERVER = os.path.join(BUILD, "apps/chat-server/chat-server")
BENCH = os.path.join(BUILD, "apps/chat-bench/chat-bench")
DURATION = "2" if QUICK else "5"


def run(server_flags, bench_flags):
    """One chat-bench run against a new chat-server; returns chat-bench's JSON and its command line."""
    server = subprocess.Popen([SERVER, "--address", "127.0.0.1:0", "--log-level", "warn", *server_flags],
                              stdout=subprocess.PIPE, text=True)
    address = re.match(r"chat-server listening on (\S+)", server.stdout.readline()).group(1)
    command = [BENCH, "--server", address, "--server-pid", str(server.pid), "--quiet", "--json", *bench_flags]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1]), " ".join(["chat-bench", *bench_flags])
    finally:
        server.terminate()
        server.wait()
        server.stdout.close()
        time.sleep(1)  # let the kernel reap the closed connections before the next run


def table(title, header, rows):
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def main():
    # Flood control off and the limits per source address as wide as the server's: a load test
    # comes from one host (every client from 127.0.0.1) and is meant to flood.
    flood = ["--max-rate", "0", "--max-address-rate", "0", "--max-registration-rate", "0", "--max-names-per-address",
             "20000", "--max-streams-per-address", "20000", "--max-streams-per-connection", "20000",
             "--max-connections-per-address", "20000", "--max-reset-rate", "0"]
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")

    rows = []
    for senders in (1, 4, 16, 32):
        r, command = run(flood, ["--subscribers", "100", "--senders", str(senders), "--duration", DURATION])
        rows.append([f"`{command}`", f"{r['accepted_per_s']:.0f}", f"{r['deliveries_per_s']:.0f}", r["p50_us"],
                     r["p99_us"], r["lost"], r["reordered"], f"{r['server_cpu_percent']:.0f}%"])
    table("Throughput: 100 subscribers on their own connections, 64-byte messages, flat out",
          ["command", "accepted/s", "deliveries/s", "p50 µs", "p99 µs", "lost", "reordered", "server CPU"], rows)

    rows = []
    latency_runs = [[subscribers] for subscribers in (1, 10, 50, 100)]
    latency_runs += [[100, "--connections", "10"], [100, "--connections", "1"]]
    for subscribers, *connections in latency_runs:
        r, command = run(flood, ["--subscribers", str(subscribers), *connections, "--senders", "2",
                                 "--rate", "200", "--duration", DURATION])
        rows.append([f"`{command}`", r["p50_us"], r["p90_us"], r["p99_us"], r["p999_us"], r["lost"],
                     f"{r['server_cpu_percent']:.1f}%"])
    table("Latency at 200 messages/s, from send to delivery",
          ["command", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "lost", "server CPU"], rows)

    rows = []
    for subscribers in (1, 10, 100, 1000, 10000):
        r, command = run(flood, ["--subscribers", str(subscribers), "--senders", "16", "--duration", DURATION])
        idle, _ = run(flood, ["--subscribers", str(subscribers), "--senders", "0", "--duration", DURATION])
        rows.append([subscribers, f"`{command}`", f"{r['deliveries_per_s']:.0f}", r["p99_us"], r["lost"],
                     r["reordered"], r["server_rss_kb"], f"{idle['rss_per_subscriber_kb']:.1f}",
                     f"{idle['server_cpu_percent']:.2f}%"])
    table("Scaling: 16 senders flat out; idle figures from a run with no sender",
          ["subscribers", "command", "deliveries/s", "p99 µs", "lost", "reordered", "server RSS kB",
           "RSS kB per subscriber", "server CPU idle"], rows)

    rows = []
    for stalled in (0, 1):
        r, command = run(flood, ["--subscribers", str(100 - stalled), "--stalled", str(stalled), "--senders", "16",
                                 "--size", "4000", "--duration", DURATION])
        per_subscriber = r["deliveries_per_s"] / (100 - stalled)
        rows.append([f"`{command}`", f"{r['deliveries_per_s']:.0f}", f"{per_subscriber:.0f}",
                     f"{r['stalled_evicted']} of {stalled}", r["evicted"], r["lost"], r["server_rss_kb"]])
    table("A subscriber that never reads (4000-byte messages)",
          ["command", "deliveries/s", "per subscriber /s", "stalled evicted", "reading evicted", "lost",
           "server RSS kB"], rows)

    rows = []
    for size in (64, 1000, 4000):
        r, command = run(flood, ["--resume", "--size", str(size)])
        rows.append([f"`{command}`", f"{r['replay_ms_p50']:.2f}", f"{r['replay_ms_p90']:.2f}",
                     f"{r['replay_ms_max']:.2f}", f"{r['kb_per_10000_kept']:.0f}"])
    table("Resume: 1,000 messages replayed to a subscriber that resumes, 20 rounds; 10,000 kept",
          ["command", "replay p50 ms", "p90 ms", "max ms", "server RSS kB per 10,000 kept"], rows)


if __name__ == "__main__":
    main()

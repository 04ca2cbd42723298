#!/usr/bin/python3
"""Runs the measurements of docs/benchmarks.md and prints them as markdown tables.

Every run starts a fresh chat-server process (so that its CPU and memory are its own, and so that
10,000 connections fit under the per-process file limit) and points chat-bench at it. Usage:

    scripts/run-benchmarks.sh            # builds first, then runs this
    scripts/benchmarks.py BUILD_DIR [--quick] [--before-server PATH]

--before-server names another chat-server program (an older build) to compare against in the
"levers" table, with the same chat-bench reading Listen streams.
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
ROUNDS = 1 if QUICK else 2  # of each lever's variants, alternating, so that the machine's drift shows in both
BEFORE_SERVER = sys.argv[sys.argv.index("--before-server") + 1] if "--before-server" in sys.argv else None


def bench(bench_flags, env=None):
    """Runs chat-bench with `bench_flags`; returns its JSON."""
    command = [BENCH, "--quiet", "--json", *bench_flags]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                          env=None if env is None else {**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(server_flags, bench_flags, server=SERVER, env=None):
    """One chat-bench run against a new chat-server; returns chat-bench's JSON and its command line."""
    process = subprocess.Popen([server, "--address", "127.0.0.1:0", "--log-level", "warn", *server_flags],
                               stdout=subprocess.PIPE, text=True)
    address = re.match(r"chat-server listening on (\S+)", process.stdout.readline()).group(1)
    try:
        return (bench(["--server", address, "--server-pid", str(process.pid), *bench_flags], env),
                " ".join(["chat-bench", *bench_flags]))
    finally:
        process.terminate()
        process.wait()
        process.stdout.close()
        time.sleep(1)  # let the kernel reap the closed connections before the next run


def costs(r):
    """The per-delivery cost columns: each side's CPU µs and wake-ups per delivery."""
    return [f"{r['server_cpu_us_per_delivery']:.2f}", f"{r['server_wakeups_per_delivery']:.3f}",
            f"{r['bench_cpu_us_per_delivery']:.2f}", f"{r['bench_wakeups_per_delivery']:.3f}"]


COST_HEADER = ["server µs/delivery", "server wake-ups/delivery", "chat-bench µs/delivery",
               "chat-bench wake-ups/delivery"]


def levers(flood):
    """Each lever of the fan-out work, measured with it and without, at full load and at 200 messages/s."""
    loads = [["--senders", "16", "--duration", DURATION], ["--senders", "2", "--rate", "200", "--duration", DURATION]]
    # (lever, [(variant, server program, chat-bench flags, environment)])
    trials = [
        ("chat-bench's reader threads", [("one queue shared", SERVER, ["--reader-queues", "shared"], None),
                                         ("a queue each", SERVER, ["--reader-queues", "per-thread"], None)]),
        ("chat-bench's gRPC poller", [("epoll1 (gRPC's default)", SERVER, [], None),
                                      ("poll", SERVER, [], {"GRPC_POLL_STRATEGY": "poll"})]),
        ("the stream", [("Listen, a message per write", SERVER, ["--stream", "listen"], None),
                        ("Subscribe, batches", SERVER, ["--stream", "subscribe"], None)]),
    ]
    if BEFORE_SERVER:  # an older server may not serve Subscribe: both read Listen
        trials.append(("the server, read with Listen", [(f"before ({BEFORE_SERVER})", BEFORE_SERVER,
                                                          ["--stream", "listen"], None),
                                                         ("this one", SERVER, ["--stream", "listen"], None)]))
    rows = []
    for lever, variants in trials:
        for load in loads:
            for variant, server, flags, env in [v for _ in range(ROUNDS) for v in variants]:  # alternating
                r, command = run(flood, ["--subscribers", "100", *flags, *load], server=server, env=env)
                if env:
                    command = " ".join(f"{k}={v}" for k, v in env.items()) + " " + command
                rows.append([lever, variant, f"`{command}`", f"{r['deliveries_per_s']:.0f}", r["p50_us"],
                             r["p99_us"], r["lost"], r["reordered"], *costs(r)])
    table("Levers: each with and without, at full load and at 200 messages/s",
          ["lever", "variant", "command", "deliveries/s", "p50 µs", "p99 µs", "lost", "reordered", *COST_HEADER],
          rows)


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
    levers(flood)

    rows = []
    for senders in (1, 16):
        for attempt in range(2):  # alternating, so that a change in the machine shows in both
            default = bench(["--subscribers", "100", "--senders", str(senders), "--duration", DURATION])
            separate, _ = run(flood, ["--subscribers", "100", "--senders", str(senders), "--duration", DURATION])
            rows.append([f"`chat-bench --subscribers 100 --senders {senders} --duration {DURATION}`",
                         f"{default['deliveries_per_s']:.0f}", f"{separate['deliveries_per_s']:.0f}",
                         f"{100 * default['deliveries_per_s'] / separate['deliveries_per_s']:.0f}%"])
    table("The default run against a server started by hand",
          ["command", "default (a chat-server child) deliveries/s", "separate process deliveries/s",
           "default / separate"], rows)

    rows = []
    for senders in (1, 4, 16, 32, 64):
        r, command = run(flood, ["--subscribers", "100", "--senders", str(senders), "--duration", DURATION])
        rows.append([f"`{command}`", f"{r['accepted_per_s']:.0f}", f"{r['deliveries_per_s']:.0f}", r["p50_us"],
                     r["p99_us"], r["lost"], r["reordered"], f"{r['server_cpu_percent']:.0f}%", *costs(r)])
    table("Throughput: 100 subscribers on their own connections, 64-byte messages, flat out",
          ["command", "accepted/s", "deliveries/s", "p50 µs", "p99 µs", "lost", "reordered", "server CPU",
           *COST_HEADER], rows)

    rows = []
    latency_runs = [[subscribers] for subscribers in (1, 10, 50, 100)]
    latency_runs += [[100, "--connections", "10"], [100, "--connections", "1"]]
    for subscribers, *connections in latency_runs:
        r, command = run(flood, ["--subscribers", str(subscribers), *connections, "--senders", "2",
                                 "--rate", "200", "--duration", DURATION])
        rows.append([f"`{command}`", r["p50_us"], r["p90_us"], r["p99_us"], r["p999_us"], r["lost"],
                     f"{r['server_cpu_percent']:.1f}%", *costs(r)])
    table("Latency at 200 messages/s, from send to delivery",
          ["command", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "lost", "server CPU", *COST_HEADER], rows)

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

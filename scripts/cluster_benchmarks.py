#!/usr/bin/python3
"""Measures a room shared by two chat-server nodes through Redis, beside one node without Redis.

For docs/benchmarks.md. Starts Debian's redis-server (append-only file, fsync every second, as
docs/operations.md recommends) on a free port in a temporary directory, two chat-server nodes on
it, and alternates chat-bench runs between the two nodes (subscribers and senders spread over
them: --server A,B) and one chat-server without Redis, with the same flags. Prints each run's
figures and the CPU each process used. Usage:

    scripts/cluster_benchmarks.py BUILD_DIR [--rounds N] [--workload throughput|latency] [--pause-only]
                                  [--before-server PATH]

--workload runs only that workload (and no pause). --before-server also runs two nodes of another
chat-server program (an older build) in each round, after the one node, its turn alternating with
the two nodes of this build's, so that a change to the nodes is measured in the same minutes.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
SERVER = os.path.join(BUILD, "apps/chat-server/chat-server")
BEFORE_SERVER = sys.argv[sys.argv.index("--before-server") + 1] if "--before-server" in sys.argv else None
BENCH = os.path.join(BUILD, "apps/chat-bench/chat-bench")
# A load test from one host: flood control off, the limits per source address as wide as the server's.
LOAD_TEST = ["--max-rate", "0", "--max-address-rate", "0", "--max-registration-rate", "0", "--max-names-per-address",
             "20000", "--max-streams-per-address", "20000", "--max-streams-per-connection", "20000",
             "--max-connections-per-address", "20000", "--max-reset-rate", "0", "--log-level", "warn"]
# Nodes that share a machine share its cores: each of the two nodes runs half as many completion-queue
# threads as the one node does (--threads 0: one per core), so that both setups run one per core.
NODE_THREADS = str(max(1, (os.cpu_count() or 2) // 2))
WORKLOADS = {
    "throughput": ["--subscribers", "100", "--senders", "16", "--duration", "4"],
    "latency": ["--subscribers", "100", "--senders", "1", "--rate", "200", "--duration", "5"],
}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(directory):
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
                                "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not answer")


def start_server(*flags, program=SERVER):
    process = subprocess.Popen([program, "--address", "127.0.0.1:0", *LOAD_TEST, *flags], stdout=subprocess.PIPE,
                               text=True)
    address = re.match(r"chat-server listening on (\S+)", process.stdout.readline()).group(1)
    return process, address


def stop(process):
    process.send_signal(signal.SIGTERM)
    process.wait()


def bench(servers, flags, processes):
    """One chat-bench run; returns its JSON and the CPU seconds each of `processes` used meanwhile."""
    before = {name: cpu_seconds(p.pid) for name, p in processes.items()}
    done = subprocess.run([BENCH, "--quiet", "--json", "--server", ",".join(servers), *flags], capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    used = {name: cpu_seconds(p.pid) - before[name] for name, p in processes.items()}
    return json.loads(done.stdout.strip().splitlines()[-1]), used


def report(label, result, used):
    cpu = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in used.items())
    print(f"{label}: {result['deliveries_per_s']:,.0f} deliveries/s, {result['accepted']:,} accepted, "
          f"{result['refused']} refused, lost {result['lost']}, reordered {result['reordered']}, "
          f"p50 {result['p50_us']:,} µs, p99 {result['p99_us']:,} µs, p99.9 {result['p999_us']:,} µs; "
          f"first copy p50 {result['first_copy_p50_us']:,} µs, p99 {result['first_copy_p99_us']:,} µs; "
          f"last copy p50 {result['last_copy_p50_us']:,} µs, p99 {result['last_copy_p99_us']:,} µs; CPU: {cpu}",
          flush=True)


def main():
    directory = tempfile.mkdtemp(prefix="chat-cluster-bench-")
    redis, url = start_redis(directory)
    try:
        workloads = {} if "--pause-only" in sys.argv else WORKLOADS
        if "--workload" in sys.argv:
            chosen = sys.argv[sys.argv.index("--workload") + 1]
            workloads = {chosen: WORKLOADS[chosen]}
        for workload, flags in workloads.items():
            print(f"## {workload}: chat-bench {' '.join(flags)}", flush=True)
            for round_number in range(1, ROUNDS + 1):
                single, single_address = start_server()
                try:
                    report(f"round {round_number}, one node, no Redis", *bench([single_address], flags,
                                                                                 {"node": single}))
                finally:
                    stop(single)
                time.sleep(1)
                programs = [("two nodes on Redis", SERVER)]
                if BEFORE_SERVER:
                    before = ("two nodes on Redis, before", BEFORE_SERVER)
                    programs = [before, *programs] if round_number % 2 else [*programs, before]
                for label, program in programs:
                    prefix = f"bench{round_number}{workload}{len(label)}"
                    a, a_address = start_server("--redis", url, "--redis-prefix", prefix, "--node-name", "a",
                                                "--threads", NODE_THREADS, program=program)
                    b, b_address = start_server("--redis", url, "--redis-prefix", prefix, "--node-name", "b",
                                                "--threads", NODE_THREADS, program=program)
                    try:
                        report(f"round {round_number}, {label}",
                               *bench([a_address, b_address], flags, {"node a": a, "node b": b, "redis": redis}))
                    finally:
                        stop(a)
                        stop(b)
                    time.sleep(1)

        if "--workload" in sys.argv:
            return
        print("## Redis paused (SIGSTOP) for 3 s during a 10 s run at 200 msg/s, two nodes", flush=True)
        a, a_address = start_server("--redis", url, "--redis-prefix", "pause", "--node-name", "a", "--threads",
                                    NODE_THREADS)
        b, b_address = start_server("--redis", url, "--redis-prefix", "pause", "--node-name", "b", "--threads",
                                    NODE_THREADS)
        try:
            # Without --quiet: a line a second on stderr, so that the pause shows.
            run = subprocess.Popen([BENCH, "--json", "--server", f"{a_address},{b_address}", "--subscribers",
                                    "100", "--senders", "1", "--rate", "200", "--duration", "10"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(4)
            redis.send_signal(signal.SIGSTOP)
            paused_at = time.monotonic()
            time.sleep(3)
            redis.send_signal(signal.SIGCONT)
            print(f"paused for {time.monotonic() - paused_at:.2f} s", flush=True)
            out, err = run.communicate(timeout=600)
            print(err.strip())
            result = json.loads(out.strip().splitlines()[-1])
            report("with the pause", result, {})
        finally:
            stop(a)
            stop(b)
    finally:
        redis.kill()
        redis.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

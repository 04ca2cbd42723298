"""Runs chat-server and other project programs as processes, for the end-to-end tests.

CTest sets the paths: CHAT_SERVER_BIN, and for tests that need a generated Python client,
PROTOC and GRPC_PYTHON_PLUGIN.
"""

import importlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

PATIENCE = 20.0  # seconds to wait for what should happen; a passing test never waits this long


def wait_until(condition, patience=PATIENCE, interval=0.01):
    """Returns True once condition() holds, False if it did not within `patience` seconds."""
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


class ServerProcess:
    """chat-server on a free loopback port, stopped by stop() or at exit of the `with` block."""

    def __init__(self, *flags):
        self.process = subprocess.Popen(
            [os.environ["CHAT_SERVER_BIN"], "--address", "127.0.0.1:0", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        threading.Thread(target=self._collect_stderr, daemon=True).start()
        line = self.process.stdout.readline()
        match = re.match(r"chat-server listening on (\S+)", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"chat-server did not start: {line!r} {self.stderr_lines}")
        self.address = match.group(1)

    def _collect_stderr(self):
        with self.process.stderr:
            for line in self.process.stderr:
                self.stderr_lines.append(line.rstrip("\n"))

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and returns (exit code, seconds until exit)."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=PATIENCE)
        return code, time.monotonic() - started

    def cpu_seconds(self):
        """User plus system CPU time the server has used so far, from /proc."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def load_generated(proto_path):
    """Generates Python message and stub modules from `proto_path`; returns (pb2, pb2_grpc)."""
    out_dir = tempfile.mkdtemp(prefix="chat-e2e-")
    proto_dir, proto_file = os.path.split(os.path.abspath(proto_path))
    subprocess.run([
        os.environ["PROTOC"], f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_out={out_dir}",
        f"--plugin=protoc-gen-grpc={os.environ['GRPC_PYTHON_PLUGIN']}", proto_file,
    ], check=True)
    sys.path.insert(0, out_dir)
    module = os.path.splitext(proto_file)[0]
    return importlib.import_module(f"{module}_pb2"), importlib.import_module(f"{module}_pb2_grpc")

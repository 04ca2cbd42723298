"""Runs chat-server and other project programs as processes, for the end-to-end tests.

CTest sets the paths: CHAT_SERVER_BIN, and for tests that need a generated Python client,
PROTOC and GRPC_PYTHON_PLUGIN.
"""

import atexit
import importlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PATIENCE = 20.0  # seconds to wait for what should happen; a passing test never waits this long
# A name stays taken until keepalive notices a dead connection, 20 + 10 s by default, unless the
# client ends its stream when it leaves: a name freed within this shows that it did.
FREED_AT_ONCE = 5.0
# chat-server flags for a load test from this host: flood control off, and the limits per source
# address as wide as the server's (every client of a test comes from 127.0.0.1, and cancels all its
# streams at once when it ends).
LOAD_TEST = ("--max-rate", "0", "--max-address-rate", "0", "--max-registration-rate", "0", "--max-names-per-address",
             "20000", "--max-streams-per-address", "20000", "--max-streams-per-connection", "20000",
             "--max-connections-per-address", "20000", "--max-reset-rate", "0")


def wait_until(condition, patience=PATIENCE, interval=0.01):
    """Returns True once condition() holds, False if it did not within `patience` seconds."""
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


class ServerProcess:
    """chat-server on a free loopback port, stopped by stop() or at exit of the `with` block.

    `address` picks the address instead, for example to start a server again where one was;
    `file_limit` sets the server's limit on open files (soft and hard).
    """

    def __init__(self, *flags, address="127.0.0.1:0", file_limit=None):
        limit = None if file_limit is None else lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (file_limit, file_limit))
        self.process = subprocess.Popen(
            [os.environ["CHAT_SERVER_BIN"], "--address", address, *flags],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
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

    def rss_kb(self):
        """The server's resident memory now, in kB, from /proc."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class RedisServer:
    """Debian's redis-server on a free loopback port, in a temporary directory, without persistence;
    stopped, and the directory removed, at exit of the `with` block."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="chat-redis-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.directory, "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(self._answers):
            self.process.kill()
            raise RuntimeError(f"redis-server did not answer on port {self.port}")
        self.url = f"redis://127.0.0.1:{self.port}"

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def bench(*args, timeout):
    """Runs chat-bench with `args`, --quiet and --json; returns its JSON result. CTest sets CHAT_BENCH_BIN."""
    done = subprocess.run([os.environ["CHAT_BENCH_BIN"], "--quiet", "--json", *args],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"chat-bench exited {done.returncode}:\n{done.stderr}")
    print("\n" + done.stdout, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_generated(proto_path):
    """Generates Python message and stub modules from `proto_path`; returns (pb2, pb2_grpc)."""
    out_dir = tempfile.mkdtemp(prefix="chat-e2e-")
    atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
    proto_dir, proto_file = os.path.split(os.path.abspath(proto_path))
    subprocess.run([
        os.environ["PROTOC"], f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_out={out_dir}",
        f"--plugin=protoc-gen-grpc={os.environ['GRPC_PYTHON_PLUGIN']}", proto_file,
    ], check=True)
    sys.path.insert(0, out_dir)
    module = os.path.splitext(proto_file)[0]
    return importlib.import_module(f"{module}_pb2"), importlib.import_module(f"{module}_pb2_grpc")


class Process:
    """A program with stdout and stderr on pipes, collected as bytes, so tests can check exactly
    what would reach a terminal.

    `stdin` is passed to Popen (subprocess.PIPE to write to it); `env` adds to (or, with None
    values, removes from) the environment.
    """

    def __init__(self, *command, stdin=None, env=None):
        environment = dict(os.environ)
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        self.process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=environment)
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._readers = [threading.Thread(target=self._collect, args=(pipe, buffer), daemon=True)
                         for pipe, buffer in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(pipe, buffer):
        with pipe:
            for chunk in iter(lambda: pipe.read1(65536), b""):
                buffer.extend(chunk)

    def lines(self, stream="stdout"):
        """The complete lines written so far to `stream`, decoded (undecodable bytes as \\xNN)."""
        data = bytes(self.stdout if stream == "stdout" else self.stderr)
        return data.decode("utf-8", "backslashreplace").split("\n")[:-1]

    def wait_for_line(self, line, stream="stdout", count=1, patience=PATIENCE):
        """True once `line` has been written as a whole line `count` times."""
        return wait_until(lambda: self.lines(stream).count(line) >= count, patience)

    def wait_for(self, pattern, stream="stdout", patience=PATIENCE):
        """The match of `pattern` with a whole line of `stream`, once there is one; None if none came."""
        regex = re.compile(pattern)

        def first_match():
            return next(filter(None, map(regex.fullmatch, self.lines(stream))), None)

        return first_match() if wait_until(lambda: first_match() is not None, patience) else None

    def wait(self, patience=PATIENCE):
        """Waits for the program to exit and for its output to be read; returns its exit code."""
        code = self.process.wait(timeout=patience)
        for reader in self._readers:
            reader.join(timeout=patience)
        return code

    def stop(self, sig=signal.SIGTERM, patience=PATIENCE):
        """Sends `sig`; returns the exit code once the program has exited and its output is read."""
        self.process.send_signal(sig)
        return self.wait(patience)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdin and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except BrokenPipeError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def __str__(self):
        return "\n".join(["stdout:", *self.lines("stdout"), "stderr:", *self.lines("stderr")])


class CliProcess(Process):
    """chat-cli with stdin on a pipe too (so in its scripted mode).

    `server` is passed as --server unless it is None. CTest sets CHAT_CLI_BIN.
    """

    def __init__(self, server, *args, env=None):
        super().__init__(os.environ["CHAT_CLI_BIN"], *(["--server", server] if server else []), *args,
                         stdin=subprocess.PIPE, env=env)

    def write(self, line):
        """Sends `line` (str or bytes) and a newline to chat-cli's stdin."""
        data = line.encode() if isinstance(line, str) else line
        self.process.stdin.write(data + b"\n")
        self.process.stdin.flush()

    def close_input(self):
        self.process.stdin.close()


class TmuxTerminal:
    """A command on a terminal of its own: a tmux session on a private server, `width` x `height`.

    The screen is what tmux shows (capture-pane), so escape sequences that reached the terminal
    have already acted on it. CTest sets CHAT_TMUX.
    """

    def __init__(self, command, width=100, height=30, env=None):
        self._dir = tempfile.mkdtemp(prefix="chat-tmux-")
        self._tmux = [os.environ["CHAT_TMUX"], "-S", os.path.join(self._dir, "socket"), "-f", "/dev/null"]
        settings = [f"{name}={value}" for name, value in (env or {}).items()]
        self._run("new-session", "-d", "-x", str(width), "-y", str(height),
                  *[arg for setting in settings for arg in ("-e", setting)], command)

    def _run(self, *args):
        return subprocess.run([*self._tmux, *args], check=True, capture_output=True, text=True,
                              timeout=PATIENCE).stdout

    def type(self, text):
        """Types `text` literally."""
        self._run("send-keys", "-l", text)

    def press(self, *keys):
        """Presses keys by tmux name: Enter, C-c, C-d, BSpace, Left..."""
        self._run("send-keys", *keys)

    def screen(self, colors=False):
        """The visible lines, trailing spaces removed; with `colors`, with their SGR sequences."""
        return [line.rstrip() for line in self._run("capture-pane", "-p", *(["-e"] if colors else [])).split("\n")]

    def last_line(self):
        """The last non-empty line on the screen."""
        lines = [line for line in self.screen() if line]
        return lines[-1] if lines else ""

    def cursor(self):
        """(column, row) of the cursor."""
        x, y = self._run("display-message", "-p", "#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def title(self):
        return self._run("display-message", "-p", "#{pane_title}").strip()

    def close(self):
        subprocess.run([*self._tmux, "kill-server"], capture_output=True, timeout=PATIENCE)
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_certificates(directory):
    """A CA and a server certificate for localhost and 127.0.0.1, signed by it; returns their paths."""
    paths = {name: os.path.join(directory, name) for name in ("ca.pem", "ca.key", "server.pem", "server.key")}
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", *key, "-days", "2", "-subj", "/CN=libchat test CA",
        "-keyout", paths["ca.key"], "-out", paths["ca.pem"])
    csr = os.path.join(directory, "server.csr")
    run("req", *key, "-subj", "/CN=localhost", "-keyout", paths["server.key"], "-out", csr)
    extensions = os.path.join(directory, "san.ext")
    with open(extensions, "w") as ext:
        ext.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", csr, "-CA", paths["ca.pem"], "-CAkey", paths["ca.key"], "-CAcreateserial",
        "-days", "2", "-extfile", extensions, "-out", paths["server.pem"])
    return paths


class TcpProxy:
    """Relays TCP connections from a free loopback port to `target` (HOST:PORT), both ways, until
    cut() closes every connection it relays: a connection lost on the way, as the server and the
    client each see it. New connections are relayed again afterwards, unless hold() turns them away
    (accepted and closed at once) until release(): an outage that lasts.
    """

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._sockets = []
        self.connections = 0  # accepted so far
        self.holding = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.holding:
                client.close()
                continue
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
                self.connections += 1
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        """Closes every relayed connection at once; returns how many there were."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for end in sockets:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()
        return len(sockets) // 2

    def hold(self):
        """Cuts every relayed connection and turns new ones away until release()."""
        self.holding = True
        return self.cut()

    def release(self):
        self.holding = False

    def close(self):
        self._listener.close()
        self.cut()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

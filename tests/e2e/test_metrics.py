"""chat-server's Prometheus endpoint (--metrics-address): scraped over HTTP while clients register,
send, resume and fall behind, and parsed as the text format, its counters must follow what happened.

The stalled subscriber is a raw HTTP/2 connection (python3-h2) that opens Listen with a flow-control
window of 0 bytes: the server's first write to it never completes, so its queue fills and the room
evicts it, as it would a client that stopped reading.
"""

import os
import queue
import re
import socket
import subprocess
import threading
import unittest
import urllib.request

import grpc
import h2.config
import h2.connection
import h2.exceptions
import h2.settings

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
pb2, pb2_grpc = harness.load_generated(os.path.join(HERE, "..", "..", "proto", "chat.proto"))

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """The samples of a Prometheus text exposition: {(name, ((label, value), ...)): float}."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if not match:
            raise AssertionError(f"not a sample line: {line!r}")
        name, labels, value = match.groups()
        samples[(name, tuple(sorted(LABEL.findall(labels or ""))))] = float(value)
    return samples


class Scraper:
    def __init__(self, url):
        self.url = url

    def scrape(self):
        with urllib.request.urlopen(self.url, timeout=harness.PATIENCE) as response:
            self.content_type = response.headers.get("Content-Type", "")
            return parse_metrics(response.read().decode())

    def value(self, name, **labels):
        return self.scrape().get((name, tuple(sorted(labels.items()))), 0.0)

    def wait_for(self, name, at_least, **labels):
        """Waits until the sample reaches `at_least`; returns its last value."""
        seen = []
        harness.wait_until(lambda: seen.append(self.value(name, **labels)) or seen[-1] >= at_least)
        return seen[-1]


class Client:
    """A grpcio client with its own connection, keeping its session token."""

    def __init__(self, address):
        self.channel = grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
        self.stub = pb2_grpc.ChatStub(self.channel)
        self.token = None
        self.received = queue.Queue()

    def metadata(self):
        return (("chat-session", self.token),) if self.token else ()

    def add_user(self, name):
        response = self.stub.AddUser(pb2.User(username=name), metadata=self.metadata(), timeout=harness.PATIENCE)
        if response.code == pb2.MessageResponse.ADDED:
            self.token = response.session
        return response.code

    def send(self, text):
        return self.stub.SendMessage(pb2.Message(msg=text), metadata=self.metadata(), timeout=harness.PATIENCE).id

    def listen(self, after_id=0):
        stream = self.stub.Listen(pb2.ListenRequest(after_id=after_id), metadata=self.metadata())
        stream.initial_metadata()  # accepted

        def read():
            try:
                for message in stream:
                    self.received.put(message)
            except grpc.RpcError:
                pass
        threading.Thread(target=read, daemon=True).start()
        return stream

    def close(self):
        self.channel.close()


class StalledListener:
    """Listen on a raw HTTP/2 connection that grants the server no flow-control window."""

    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)))
        self.connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.connection.local_settings = h2.settings.Settings(
            client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
        self.connection.initiate_connection()
        stream_id = self.connection.get_next_available_stream_id()
        self.connection.send_headers(stream_id, [
            (":method", "POST"), (":scheme", "http"), (":path", "/chat.Chat/Listen"), (":authority", address),
            ("content-type", "application/grpc"), ("te", "trailers")])
        self.connection.send_data(stream_id, b"\x00\x00\x00\x00\x00", end_stream=True)  # an empty ListenRequest
        self.socket.sendall(self.connection.data_to_send())
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        """Answers SETTINGS and pings (h2 does so by itself), never grants a window."""
        while True:
            try:
                data = self.socket.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            try:
                self.connection.receive_data(data)
                self.socket.sendall(self.connection.data_to_send())
            except (OSError, h2.exceptions.ProtocolError):
                return

    def close(self):
        self.socket.close()


class MetricsTest(unittest.TestCase):
    def test_the_counters_follow_messages_evictions_and_refusals(self):
        with harness.ServerProcess("--metrics-address", "127.0.0.1:0", "--max-queue", "4",
                                   "--history-messages", "3", "--stats-interval", "0") as server:
            line = server.process.stdout.readline()
            match = re.match(r"chat-server metrics on (http://\S+/metrics)$", line.strip())
            self.assertIsNotNone(match, line)
            metrics = Scraper(match.group(1))
            before = metrics.scrape()
            self.assertIn("text/plain", metrics.content_type)
            self.assertEqual(before[("chat_users", ())], 0)
            self.assertEqual(before[("chat_messages_accepted_total", (("kind", "chat"),))], 0)

            alice, bob, mallory = Client(server.address), Client(server.address), Client(server.address)
            self.addCleanup(alice.close)
            self.addCleanup(bob.close)
            self.addCleanup(mallory.close)
            self.assertEqual(alice.add_user("alice"), pb2.MessageResponse.ADDED)
            self.assertEqual(bob.add_user("bob"), pb2.MessageResponse.ADDED)
            self.assertEqual(mallory.add_user("Alice"), pb2.MessageResponse.TAKEN)
            self.assertEqual(mallory.add_user("not a name!"), pb2.MessageResponse.INVALID)
            scraped = metrics.scrape()
            for result, count in (("ADDED", 2), ("TAKEN", 1), ("INVALID", 1)):
                self.assertEqual(scraped[("chat_registrations_total", (("result", result),))], count, result)
            self.assertEqual(scraped[("chat_users", ())], 2)
            self.assertEqual(scraped[("chat_messages_accepted_total", (("kind", "join"),))], 2)

            alice.listen()
            bob_stream = bob.listen()
            first = alice.send("hello")
            alice.send("@bob psst")
            with self.assertRaises(grpc.RpcError) as refused:
                alice.send("")
            self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            # Each delivery is counted when its write comes back: both messages to both streams (the
            # direct message is bob's too), and the joins came before the streams.
            self.assertEqual(metrics.wait_for("chat_deliveries_total", 4), 4)
            # A delivery's latency is recorded just after its count, and a call's time just after its
            # answer is handed to gRPC (so after the client may have it): wait for those too.
            self.assertEqual(metrics.wait_for("chat_fanout_latency_seconds_count", 4), 4)
            self.assertEqual(metrics.wait_for("chat_rpc_duration_seconds_count", 3, rpc="SendMessage"), 3)
            self.assertEqual(metrics.wait_for("chat_rpc_duration_seconds_count", 4, rpc="AddUser"), 4)
            scraped = metrics.scrape()
            self.assertEqual(scraped[("chat_messages_accepted_total", (("kind", "chat"),))], 1)
            self.assertEqual(scraped[("chat_messages_accepted_total", (("kind", "direct"),))], 1)
            self.assertEqual(scraped[("chat_refusals_total", (("code", "INVALID_ARGUMENT"), ("rpc", "SendMessage")))], 1)
            self.assertEqual(scraped[("chat_subscribers", ())], 2)
            self.assertEqual(scraped[("chat_streams", ())], 2)
            self.assertEqual(scraped[("chat_fanout_latency_seconds_count", ())], 4)
            self.assertEqual(scraped[("chat_fanout_latency_seconds_bucket", (("le", "+Inf"),))],
                             scraped[("chat_fanout_latency_seconds_count", ())])
            self.assertEqual(scraped[("chat_rpc_duration_seconds_count", (("rpc", "SendMessage"),))], 3)
            self.assertEqual(scraped[("chat_rpc_duration_seconds_count", (("rpc", "AddUser"),))], 4)
            self.assertEqual(scraped[("chat_history_messages", ())], 3)  # --history-messages 3
            self.assertGreater(scraped[("chat_history_bytes", ())], 0)

            # A stream that takes nothing: its queue of 4 overflows and the room evicts it.
            stalled = StalledListener(server.address)
            self.addCleanup(stalled.close)
            self.assertTrue(harness.wait_until(lambda: metrics.value("chat_subscribers") == 3))
            for i in range(6):
                alice.send(f"flood {i}")
            self.assertEqual(metrics.wait_for("chat_evictions_total", 1), 1)
            self.assertEqual(metrics.value("chat_subscribers"), 2)

            # bob comes back after his first message: the history keeps 3, so his replay is a GAP.
            bob_stream.cancel()
            self.assertTrue(harness.wait_until(lambda: metrics.value("chat_subscribers") == 1))
            bob.listen(after_id=first)
            scraped = metrics.scrape()
            self.assertEqual(scraped[("chat_sessions_resumed_total", ())], 1)
            self.assertEqual(scraped[("chat_replay_gaps_total", ())], 1)

            # Flood control: 20 messages at once per connection, 10 a second after that.
            sent = flooded = 0
            while flooded == 0 and sent < 200:
                try:
                    sent += 1
                    alice.send(f"fast {sent}")
                except grpc.RpcError as error:
                    self.assertEqual(error.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
                    flooded += 1
            self.assertEqual(flooded, 1)
            scraped = metrics.scrape()
            floods = (scraped[("chat_flood_refusals_total", (("limit", "participant"),))] +
                      scraped[("chat_flood_refusals_total", (("limit", "address"),))])
            self.assertEqual(floods, flooded)
            self.assertEqual(scraped[("chat_refusals_total", (("code", "RESOURCE_EXHAUSTED"), ("rpc", "SendMessage")))],
                             flooded)
            self.assertEqual(scraped[("chat_messages_accepted_total", (("kind", "chat"),))], 1 + 6 + sent - flooded)

            code, _ = server.stop()
            self.assertEqual(code, 0)

    def test_a_metrics_address_that_cannot_be_listened_on_stops_the_server_from_starting(self):
        done = subprocess.run([os.environ["CHAT_SERVER_BIN"], "--address", "127.0.0.1:0",
                               "--metrics-address", "192.0.2.1:0"],  # TEST-NET-1: not this host's
                              capture_output=True, text=True, timeout=harness.PATIENCE)
        self.assertEqual(done.returncode, 1)
        self.assertIn("cannot serve metrics on 192.0.2.1:0", done.stderr)


if __name__ == "__main__":
    unittest.main()

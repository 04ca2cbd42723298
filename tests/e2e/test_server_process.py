"""chat-server as a process: start-up, refusals, stopping, and noticing dead clients."""

import os
import signal
import subprocess
import sys
import threading
import time
import unittest

import grpc

import harness

pb2, pb2_grpc = harness.load_generated(os.path.join(os.path.dirname(__file__), "workshop_chat.proto"))


def connect(address):
    channel = grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
    return channel, pb2_grpc.ChatStub(channel)


def open_listeners(address, count):
    """`count` registered users, each on its own connection with its stream accepted."""
    listeners = []
    for i in range(count):
        channel, stub = connect(address)
        response = stub.AddUser(pb2.User(username=f"user{i}"), timeout=harness.PATIENCE)
        assert response.code == pb2.MessageResponse.ADDED, response.msg
        stream = stub.Listen(pb2.ListenRequest())
        stream.initial_metadata()
        listeners.append((channel, stream))
    return listeners


def end_code(stream):
    """Reads `stream` to its end and returns its status code."""
    try:
        for _ in stream:
            pass
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


class ServerProcessTest(unittest.TestCase):
    def test_sigterm_with_10_open_streams_exits_0_within_a_second(self):
        with harness.ServerProcess() as server:
            listeners = open_listeners(server.address, 10)
            code, seconds = server.stop(signal.SIGTERM)
            print(f"\n  SIGTERM with 10 open streams: exit code {code} after {seconds:.3f} s", file=sys.stderr)
            self.assertEqual(code, 0)
            self.assertLess(seconds, 1.0)
            for channel, stream in listeners:
                self.assertEqual(end_code(stream), grpc.StatusCode.UNAVAILABLE)
                channel.close()

    def test_sigint_stops_it_too(self):
        with harness.ServerProcess() as server:
            code, _ = server.stop(signal.SIGINT)
            self.assertEqual(code, 0)

    def test_a_port_in_use_is_one_line_and_exit_code_1(self):
        with harness.ServerProcess() as server:
            second = subprocess.run([os.environ["CHAT_SERVER_BIN"], "--address", server.address],
                                    capture_output=True, text=True, timeout=harness.PATIENCE)
            self.assertEqual(second.returncode, 1)
            self.assertEqual(second.stderr.strip().count("\n"), 0, second.stderr)
            self.assertIn(f"cannot listen on {server.address}", second.stderr)
            server.stop()

    def test_help_documents_every_flag(self):
        shown = subprocess.run([os.environ["CHAT_SERVER_BIN"], "--help"], capture_output=True, text=True)
        self.assertEqual(shown.returncode, 0)
        for flag in ("--address", "--threads", "--log-level", "--max-text-bytes", "--max-request-bytes",
                     "--max-users", "--max-queue", "--registration-grace", "--drain-timeout",
                     "--keepalive-time", "--keepalive-timeout", "--max-address-rate", "--max-address-burst",
                     "--max-registration-rate", "--max-registration-burst", "--max-names-per-address",
                     "--max-streams", "--max-streams-per-address", "--max-streams-per-connection", "--max-lag",
                     "--max-connections", "--max-connections-per-address", "--max-reset-rate", "--max-reset-burst",
                     "--reset-flood-hold"):
            self.assertIn(flag, shown.stdout)

    def test_a_unix_socket_address_is_refused_in_one_line(self):
        refused = subprocess.run([os.environ["CHAT_SERVER_BIN"], "--address", "unix:/tmp/chat.sock"],
                                 capture_output=True, text=True, timeout=harness.PATIENCE)
        self.assertEqual(refused.returncode, 1)
        self.assertEqual(refused.stderr.strip().splitlines()[-1],
                         "chat-server: unix-domain addresses are not supported: every client would be the same "
                         "peer, so anyone could speak as anyone; listen on a TCP address")

    def test_a_bad_flag_is_refused(self):
        refused = subprocess.run([os.environ["CHAT_SERVER_BIN"], "--threads", "-3"], capture_output=True, text=True)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("--threads", refused.stderr)

    def test_a_silently_dead_client_loses_its_name_through_keepalive(self):
        with harness.ServerProcess("--keepalive-time", "0.5", "--keepalive-timeout", "0.5") as server:
            # The client is a process of its own, so that it can be frozen: a stopped process
            # keeps its socket open but answers no ping, like a machine that lost its network.
            client = subprocess.Popen(
                [sys.executable, "-c", FROZEN_CLIENT, server.address],
                env=os.environ, stdout=subprocess.PIPE, text=True)
            try:
                self.assertEqual(client.stdout.readline().strip(), "listening")
                client.send_signal(signal.SIGSTOP)
                channel, stub = connect(server.address)
                taken = lambda: stub.AddUser(pb2.User(username="frozen"), timeout=harness.PATIENCE).code
                self.assertTrue(harness.wait_until(lambda: taken() == pb2.MessageResponse.ADDED, interval=0.2))
                channel.close()
            finally:
                client.kill()
                client.wait()
                client.stdout.close()
            server.stop()

    def test_flood_control_is_on_without_flags_and_set_by_its_flags(self):
        for flags, burst, reason in (
                ((), 20, "sending too fast (at most 10 per second, bursts of 20)"),
                (("--max-rate", "1", "--max-burst", "3"), 3, "sending too fast (at most 1 per second, bursts of 3)")):
            with self.subTest(flags=flags), harness.ServerProcess(*flags) as server:
                channel, stub = connect(server.address)
                self.assertEqual(stub.AddUser(pb2.User(username="flooder"), timeout=harness.PATIENCE).code,
                                 pb2.MessageResponse.ADDED)
                # The bucket starts full, so `burst` sends always pass; 100 back to back outrun any rate here.
                accepted, refusal = 0, None
                while refusal is None and accepted < 100:
                    try:
                        stub.SendMessage(pb2.Message(msg=f"flood {accepted}"), timeout=harness.PATIENCE)
                        accepted += 1
                    except grpc.RpcError as error:
                        refusal = error
                self.assertIsNotNone(refusal, f"{accepted} sends, none refused")
                self.assertEqual((refusal.code(), refusal.details()), (grpc.StatusCode.RESOURCE_EXHAUSTED, reason))
                self.assertGreaterEqual(accepted, burst)
                channel.close()
                server.stop()

    def test_max_users_refuses_the_one_too_many(self):
        with harness.ServerProcess("--max-users", "2") as server:
            connections = [connect(server.address) for _ in range(3)]
            for name, (_, stub) in zip(("one", "two"), connections):
                self.assertEqual(stub.AddUser(pb2.User(username=name), timeout=harness.PATIENCE).code,
                                 pb2.MessageResponse.ADDED)
            with self.assertRaises(grpc.RpcError) as refused:
                connections[2][1].AddUser(pb2.User(username="three"), timeout=harness.PATIENCE)
            self.assertEqual((refused.exception.code(), refused.exception.details()),
                             (grpc.StatusCode.RESOURCE_EXHAUSTED, "the server is full (2 users); try again later"))
            for channel, _ in connections:
                channel.close()
            server.stop()

    def test_100_idle_subscribers_cost_no_cpu(self):
        with harness.ServerProcess(*harness.LOAD_TEST) as server:  # 100 names and streams from one address
            listeners = open_listeners(server.address, 100)
            before = server.cpu_seconds()
            time.sleep(3)  # the measured interval itself, not a wait for anything
            used = server.cpu_seconds() - before
            print(f"\n  100 idle subscribers: {used:.3f} s of server CPU in 3 s", file=sys.stderr)
            # A server that polls would spend far more than 1% of a core here; an idle one spends
            # nothing but the odd keepalive timer.
            self.assertLess(used, 0.03, f"{used:.3f} s of CPU in 3 s idle")
            for channel, _ in listeners:
                channel.close()
            server.stop()


FROZEN_CLIENT = """
import os, sys
sys.path.insert(0, os.environ["CHAT_E2E_DIR"])
import harness
pb2, pb2_grpc = harness.load_generated(os.path.join(os.environ["CHAT_E2E_DIR"], "workshop_chat.proto"))
import grpc
channel = grpc.insecure_channel(sys.argv[1])
stub = pb2_grpc.ChatStub(channel)
assert stub.AddUser(pb2.User(username="frozen")).code == pb2.MessageResponse.ADDED
stream = stub.Listen(pb2.ListenRequest())
stream.initial_metadata()
print("listening", flush=True)
for message in stream:
    pass
"""

if __name__ == "__main__":
    os.environ["CHAT_E2E_DIR"] = os.path.dirname(os.path.abspath(__file__))
    unittest.main()

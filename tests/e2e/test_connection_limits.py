"""chat-server accepts plaintext connections itself: caps per source address and in total, and an
accept loop that goes on after the process ran out of descriptors (gRPC 1.51's own stops for good).

A connection the server keeps gets the server's HTTP/2 preface (its SETTINGS frame) at once; one it
refuses is closed at once. A raw socket tells the two apart without speaking HTTP/2 itself.
"""

import os
import select
import socket
import sys
import time
import unittest

import grpc

import harness

pb2, pb2_grpc = harness.load_generated(os.path.join(os.path.dirname(__file__), "workshop_chat.proto"))


def raw_connection(address):
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=harness.PATIENCE)


def kept(connection, patience=harness.PATIENCE):
    """True once the server sent something on `connection`, False once it closed it."""
    waiting = select.poll()
    waiting.register(connection, select.POLLIN)
    if not waiting.poll(patience * 1000):
        raise AssertionError(f"the server neither answered nor closed the connection within {patience} s")
    try:
        return len(connection.recv(64)) > 0
    except ConnectionResetError:
        return False


def register(address, name, patience):
    """AddUser on a new connection; the answer's code, or the RpcError."""
    with grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
        try:
            return pb2_grpc.ChatStub(channel).AddUser(pb2.User(username=name), timeout=patience).code
        except grpc.RpcError as error:
            return error


class ConnectionLimitsTest(unittest.TestCase):
    def test_one_address_holds_at_most_max_connections_per_address(self):
        with harness.ServerProcess("--max-connections-per-address", "4") as server:
            held = [raw_connection(server.address) for _ in range(4)]
            self.assertEqual([kept(connection) for connection in held], [True] * 4)
            refused = raw_connection(server.address)
            self.assertFalse(kept(refused), "a fifth connection from one address was kept")
            refused.close()
            held.pop().close()  # one goes: its place is free once the server has seen it go
            attempts = []

            def connect_again():
                attempts.append(raw_connection(server.address))
                return kept(attempts[-1])
            self.assertTrue(harness.wait_until(connect_again))
            for connection in held + attempts:
                connection.close()
            server.stop()

    def test_after_a_descriptor_flood_ends_a_new_client_is_served_within_5_seconds(self):
        # With 512 descriptors the server holds 256 connections (it keeps 256 for everything else);
        # the flood asks for twice what the process could open at all.
        with harness.ServerProcess("--max-connections-per-address", "100000", file_limit=512) as server:
            flood = []
            for _ in range(1024):
                try:
                    flood.append(raw_connection(server.address))
                except OSError:  # refused, or the backlog full: the flood goes on all the same
                    pass
            kept_count = sum(kept(connection) for connection in flood)
            print(f"\n  descriptor flood: {len(flood)} connections made, {kept_count} kept by the server",
                  file=sys.stderr)
            self.assertLessEqual(kept_count, 256)
            for connection in flood:
                connection.close()

            started = time.monotonic()
            answer = register(server.address, "after_the_flood", patience=5)
            served_after = time.monotonic() - started
            print(f"  a new client after the flood: {answer} after {served_after:.3f} s", file=sys.stderr)
            self.assertEqual(answer, pb2.MessageResponse.ADDED)
            if not os.environ.get("CHAT_SANITIZE"):
                self.assertLess(served_after, 5.0)
            code, _ = server.stop()
            self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main()

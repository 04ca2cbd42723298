"""chat-server nodes sharing one room through a real redis-server, as processes.

The workshop's own client (test_workshop_client.py) runs unchanged against a node of a two-node
room; a node killed with SIGKILL has its names freed by the nodes still alive, with leave notices.
"""

import signal
import time
import unittest

import harness
import test_workshop_client
from test_workshop_client import WorkshopClient, pb2

# A node renews its lease every second and counts as dead 10 s after the last renewal; the others
# free its names on their next sweep. The bound.
NAMES_FREED_WITHIN = 15.0


class WorkshopClientOnClusterTest(test_workshop_client.WorkshopClientTest):
    """Every workshop test on a room of two nodes: the users the tests join alternate between node b
    and node a (the test's own server, where the other clients go)."""

    def setUp(self):
        self.redis = harness.RedisServer()
        self.other = harness.ServerProcess("--redis", self.redis.url, "--node-name", "b")
        self.server = harness.ServerProcess("--redis", self.redis.url, "--node-name", "a")
        self.clients = []

    def joined(self, name):
        if len(self.clients) % 2 == 1:
            return super().joined(name)
        client = WorkshopClient(self.other.address)
        self.clients.append(client)
        response = client.add_user(name)
        self.assertEqual(response.code, pb2.MessageResponse.ADDED, response.msg)
        client.listen()
        return client

    def tearDown(self):
        super().tearDown()
        code, _ = self.other.stop()
        self.assertEqual(code, 0)
        self.other.__exit__()
        self.redis.__exit__()


class NodeDeathTest(unittest.TestCase):
    def test_a_killed_nodes_names_are_freed_with_leave_notices(self):
        with harness.RedisServer() as redis, \
                harness.ServerProcess("--redis", redis.url, "--node-name", "doomed") as doomed, \
                harness.ServerProcess("--redis", redis.url, "--node-name", "survivor",
                                      # asked for the name five times a second until it is free
                                      "--max-registration-rate", "0") as survivor:
            alice = WorkshopClient(doomed.address)
            bob = WorkshopClient(survivor.address)
            try:
                self.assertEqual(alice.add_user("alice").code, pb2.MessageResponse.ADDED)
                alice.listen()
                self.assertEqual(bob.add_user("bob").code, pb2.MessageResponse.ADDED)
                bob.listen()
                alice.send("hello across nodes")
                self.assertIn(("alice", "hello across nodes"), bob.read_until("hello across nodes"))

                doomed.process.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                doomed.process.wait()
                newcomer = WorkshopClient(survivor.address)
                try:
                    self.assertEqual(newcomer.add_user("alice").code, pb2.MessageResponse.TAKEN)
                    self.assertTrue(harness.wait_until(
                        lambda: newcomer.add_user("alice").code == pb2.MessageResponse.ADDED,
                        patience=NAMES_FREED_WITHIN + 5, interval=0.2))
                    freed_after = time.monotonic() - killed_at
                    print(f"\nalice was freed {freed_after:.1f} s after her node was killed")
                    self.assertLess(freed_after, NAMES_FREED_WITHIN)
                    texts = [text for _, text in bob.read_until("alice left (their server stopped answering)")]
                    self.assertEqual(texts.count("alice left (their server stopped answering)"), 1)
                finally:
                    newcomer.close()
            finally:
                alice.close()
                bob.close()
            code, _ = survivor.stop()
            self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main()

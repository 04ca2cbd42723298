"""chat-server nodes sharing one room through a real redis-server, as processes.

The workshop's own client (test_workshop_client.py) runs unchanged against a node of a two-node
room; a node killed with SIGKILL has its names freed by the nodes still alive, with leave notices,
while a chat-cli given every node resumes on another under its name.
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
        return self.joined_at(self.server.address if len(self.clients) % 2 == 1 else self.other.address, name)

    def tearDown(self):
        super().tearDown()
        code, _ = self.other.stop()
        self.assertEqual(code, 0)
        self.other.__exit__()
        self.redis.__exit__()


class NodeDeathTest(unittest.TestCase):
    def test_a_killed_nodes_names_are_freed_and_its_session_clients_resume_elsewhere(self):
        """carol (a workshop client, no session) and alice (chat-cli, given both nodes) are on the
        doomed node; bob on the survivor. After SIGKILL, alice's chat-cli resumes on the survivor
        under her name and misses nothing; carol's name is freed with one leave notice."""
        with harness.RedisServer() as redis, \
                harness.ServerProcess("--redis", redis.url, "--node-name", "doomed") as doomed, \
                harness.ServerProcess("--redis", redis.url, "--node-name", "survivor",
                                      # asked for the name five times a second until it is free
                                      "--max-registration-rate", "0") as survivor:
            alice = harness.CliProcess(f"ipv4:{doomed.address},{survivor.address}", "--user", "alice")
            carol = WorkshopClient(doomed.address)
            bob = WorkshopClient(survivor.address)
            newcomer = WorkshopClient(survivor.address)
            try:
                self.assertTrue(alice.wait_for_line("* welcome, alice"), alice.lines("stderr"))
                self.assertEqual(carol.add_user("carol").code, pb2.MessageResponse.ADDED)
                carol.listen()
                self.assertEqual(bob.add_user("bob").code, pb2.MessageResponse.ADDED)
                bob.listen()
                bob.send("before the kill")
                self.assertTrue(alice.wait_for_line("bob: before the kill"), alice.lines())

                doomed.process.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                doomed.process.wait()
                bob.send("after the kill")
                self.assertTrue(alice.wait_for_line("bob: after the kill"), alice.lines("stderr"))
                # She is back before that message is stored, or after it and catches up on it:
                # either way she sees it once, without a gap, and never left the room.
                self.assertTrue(alice.wait_for(r"\* back: (no messages missed|caught up on 1 message)"),
                                alice.lines())
                self.assertEqual(alice.lines().count("bob: after the kill"), 1, alice.lines())
                self.assertEqual(alice.lines().count("* alice joined"), 1, alice.lines())
                self.assertFalse([line for line in alice.lines() if "lost" in line or "alice left" in line
                                  or ("missed" in line and line != "* back: no messages missed")],
                                 alice.lines())
                alice.write("@bob still here, on the survivor")
                self.assertIn(("alice", "@bob still here, on the survivor"),
                              bob.read_until("@bob still here, on the survivor"))

                self.assertTrue(harness.wait_until(
                    lambda: newcomer.add_user("carol").code == pb2.MessageResponse.ADDED,
                    patience=NAMES_FREED_WITHIN + 5, interval=0.2))
                freed_after = time.monotonic() - killed_at
                print(f"\ncarol was freed {freed_after:.1f} s after her node was killed")
                self.assertLess(freed_after, NAMES_FREED_WITHIN)
                leave = "carol left (their server stopped answering)"
                self.assertEqual([text for _, text in bob.read_until(leave)].count(leave), 1)
                # alice's session moved with her: her name was not freed with the dead node's.
                self.assertEqual(newcomer.add_user("alice").code, pb2.MessageResponse.TAKEN)
            finally:
                for client in (carol, bob, newcomer):
                    client.close()
                alice.kill()
            code, _ = survivor.stop()
            self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main()

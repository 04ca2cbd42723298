"""chat-cli and its server: where it is found, an unreachable one, and one that goes away and comes back."""

import os
import shutil
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402

# "Within a few seconds": chat-cli waits 3 s for the server, and a process starts in far less.
UNREACHABLE_EXIT = 6.0


def unused_address():
    """An address where nothing listens: one a server had a moment ago."""
    with harness.ServerProcess() as server:
        address = server.address
        server.stop()
    return address


class ConnectionTest(unittest.TestCase):
    def cli(self, server, *args, **kwargs):
        process = harness.CliProcess(server, *args, **kwargs)
        self.addCleanup(process.kill)
        return process

    def test_an_unreachable_server_is_one_line_and_exit_1_within_seconds(self):
        address = unused_address()
        started = time.monotonic()
        cli = self.cli(address, "--user", "alice")
        code = cli.wait()
        seconds = time.monotonic() - started
        print(f"\n  unreachable {address}: exit code {code} after {seconds:.2f} s", file=sys.stderr)
        self.assertEqual(code, 1, cli.lines("stderr"))
        self.assertEqual(cli.lines("stderr"), [f"! cannot reach server at {address}"])
        self.assertEqual(cli.lines(), [])
        self.assertLess(seconds, UNREACHABLE_EXIT)

    def test_CHAT_SERVER_names_the_server_and_server_overrides_it(self):
        with harness.ServerProcess() as server:
            from_environment = self.cli(None, "--user", "alice", env={"CHAT_SERVER": server.address})
            self.assertTrue(from_environment.wait_for_line("* welcome, alice"), from_environment.lines("stderr"))
            from_flag = self.cli(server.address, "--user", "bob", env={"CHAT_SERVER": unused_address()})
            self.assertTrue(from_flag.wait_for_line("* welcome, bob"), from_flag.lines("stderr"))
            server.stop()

    def test_tls_ca_speaks_to_a_tls_server(self):
        directory = tempfile.mkdtemp(prefix="chat-tls-")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        certificates = harness.make_certificates(directory)
        with harness.ServerProcess("--tls-cert", certificates["server.pem"], "--tls-key", certificates["server.key"]) as server:
            alice = self.cli(server.address, "--tls-ca", certificates["ca.pem"], "--user", "alice")
            self.assertTrue(alice.wait_for_line("* welcome, alice"), alice.lines("stderr"))
            alice.write("hello over TLS")
            alice.close_input()
            self.assertEqual(alice.wait(), 0, alice.lines("stderr"))
            self.assertIn("alice: hello over TLS", alice.lines())
            plain = self.cli(server.address, "--user", "bob")
            self.assertEqual(plain.wait(), 1, plain.lines("stderr"))
            self.assertEqual(plain.lines("stderr"), [f"! cannot reach server at {server.address}"])
            server.stop()

    def lose_server(self, sig):
        """alice on a server that then goes away with `sig`; returns (alice, its address) once she
        has said the connection is lost."""
        server = harness.ServerProcess()
        self.addCleanup(server.__exit__)
        alice = self.cli(server.address, "--user", "alice")
        # Her own join, replayed after the welcome, is the last message she saw: her reconnection
        # then asks for what follows it, not for the history as at the start.
        self.assertTrue(alice.wait_for_line("--- live ---"), alice.lines())
        server.stop(sig)
        self.assertTrue(alice.wait_for_line(f"! lost the connection to {server.address}; reconnecting",
                                            stream="stderr"), alice.lines("stderr"))
        return alice, server.address

    def restart_server(self, address):
        server = harness.ServerProcess(address=address)
        self.addCleanup(server.__exit__)

    def test_a_lost_connection_is_said_retried_with_the_same_name_and_said_back(self):
        alice, address = self.lose_server(signal.SIGKILL)
        started = time.monotonic()
        self.restart_server(address)
        self.assertTrue(alice.wait_for_line(f"* reconnected to {address} as alice"), alice.lines("stderr"))
        print(f"\n  back {time.monotonic() - started:.2f} s after the server restarted", file=sys.stderr)

        bob = self.cli(address, "--user", "bob")
        self.assertTrue(bob.wait_for_line("* welcome, bob"))
        bob.write("/who")
        self.assertTrue(bob.wait_for_line("* 2 users: alice, bob"))
        alice.write("still here")
        self.assertTrue(bob.wait_for_line("alice: still here"))
        alice.close_input()
        self.assertEqual(alice.wait(), 0, alice.lines("stderr"))
        self.assertEqual(alice.lines("stderr"), [f"! lost the connection to {address}; reconnecting"])

    def test_a_server_that_shuts_down_is_a_lost_connection_too(self):
        alice, address = self.lose_server(signal.SIGTERM)
        self.restart_server(address)
        self.assertTrue(alice.wait_for_line(f"* reconnected to {address} as alice"), alice.lines("stderr"))

    def test_input_waits_while_reconnecting_and_is_sent_once_back(self):
        alice, address = self.lose_server(signal.SIGKILL)
        alice.write("sent after the outage")
        alice.close_input()
        self.restart_server(address)
        self.assertEqual(alice.wait(), 0, alice.lines("stderr"))
        # The new server has forgotten alice's session: she registers again, and the gap says that
        # what was said before the restart is lost.
        back = alice.lines()[alice.lines().index(f"* reconnected to {address} as alice"):]
        self.assertEqual(len(back), 5, back)
        self.assertRegex(back[1], r"^\* the server restarted since #\d+: ", back)
        self.assertEqual(back[2:], ["* alice joined", "* back: caught up on 1 message; some were lost (see above)",
                                    "alice: sent after the outage"])

if __name__ == "__main__":
    unittest.main()

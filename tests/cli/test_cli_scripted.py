"""chat-cli through pipes, against a real chat-server: names, chat, direct messages, commands, errors.

With stdin not a terminal, chat-cli sends each line of stdin and writes the room to stdout, one
line per message, and its errors to stderr: the form scripts (and these tests) use.
"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402


class ScriptedCliTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.ServerProcess()
        self.addCleanup(self.server.__exit__)

    def cli(self, *args, **kwargs):
        process = harness.CliProcess(self.server.address, *args, **kwargs)
        self.addCleanup(process.kill)
        return process

    def user(self, name, *args):
        """chat-cli registered as `name`, its stream open."""
        process = self.cli("--user", name, *args)
        self.assertTrue(process.wait_for_line(f"* welcome, {name}"), process.lines("stderr"))
        return process

    def test_a_taken_name_is_asked_again_with_the_servers_reason(self):
        self.user("alice")
        newcomer = self.cli()
        self.assertTrue(newcomer.wait_for_line("username: "))
        newcomer.write("Alice")
        self.assertTrue(newcomer.wait_for_line("! alice is taken; choose another name", stream="stderr"))
        self.assertTrue(newcomer.wait_for_line("username: ", count=2))
        newcomer.write("-bad")
        self.assertTrue(newcomer.wait_for_line("! invalid name: a name must start with a letter or a digit",
                                               stream="stderr"))
        newcomer.write("alicia")
        self.assertTrue(newcomer.wait_for_line("* welcome, alicia"))
        self.assertEqual(newcomer.lines().count("username: "), 3)

    def test_a_taken_or_invalid_user_flag_exits_1_when_stdin_is_not_a_terminal(self):
        self.user("alice")
        for name, reason in (("alice", "alice is taken; choose another name"),
                             ("-alice", "invalid name: a name must start with a letter or a digit")):
            refused = self.cli("--user", name)
            self.assertEqual(refused.wait(), 1)
            self.assertEqual(refused.lines("stderr"), [f"! {reason}"])
            self.assertEqual(refused.lines(), [])

    def test_bob_hi_reaches_everyone_as_name_colon_text(self):
        alice, bob, carol = self.user("alice"), self.user("bob"), self.user("carol")
        bob.write("hi")
        for name, process in (("alice", alice), ("bob", bob), ("carol", carol)):
            self.assertTrue(process.wait_for_line("bob: hi"), f"{name} saw {process.lines()}")

    def test_a_direct_message_is_seen_by_its_recipient_and_sender_only(self):
        alice, bob, carol = self.user("alice"), self.user("bob"), self.user("carol")
        alice.write("/msg bob psst")
        alice.write("marker")
        self.assertTrue(bob.wait_for_line("alice -> bob: psst"))
        self.assertTrue(alice.wait_for_line("alice -> bob: psst"))
        self.assertTrue(carol.wait_for_line("alice: marker"))
        # Every stream is in room order: what carol did not get before the marker never comes.
        self.assertFalse([line for line in carol.lines() if "psst" in line])

    def test_who_lists_the_users(self):
        self.user("bob")
        alice = self.user("alice")
        alice.write("/who")
        self.assertTrue(alice.wait_for_line("* 2 users: alice, bob"))

    def test_an_unknown_command_gets_a_hint_and_sends_nothing(self):
        alice, bob = self.user("alice"), self.user("bob")
        alice.write("/frobnicate the room")
        alice.write("marker")
        self.assertTrue(alice.wait_for_line(
            "! unknown command /frobnicate (/help lists the commands; // sends a line starting with /)",
            stream="stderr"))
        self.assertTrue(bob.wait_for_line("alice: marker"))
        self.assertEqual([line for line in bob.lines() if line.startswith("alice")], ["alice: marker"])

    def test_a_double_slash_sends_a_line_starting_with_a_slash(self):
        alice = self.user("alice")
        alice.write("//who is there")
        self.assertTrue(alice.wait_for_line("alice: /who is there"))

    def test_every_server_error_is_one_line_and_the_session_goes_on(self):
        alice = self.user("alice", "--history", "0")
        alice.write("/msg nobody hi")
        alice.write("x" * 5000)
        alice.write("y" * 70000)  # over the server's request cap: gRPC's own refusal
        alice.write("@")
        alice.write("still here")
        alice.close_input()
        self.assertEqual(alice.wait(), 0)
        self.assertEqual(alice.lines("stderr"), [
            "! no such user: nobody",
            "! message too long (max 4096 bytes)",
            "! message too long for the server",
            "! a direct message is @name followed by a space and the text",
        ])
        self.assertEqual(alice.lines(), ["* welcome, alice", "alice: still here"])

    def test_flood_control_is_one_line_in_the_servers_words(self):
        with harness.ServerProcess("--max-rate", "0.01", "--max-burst", "1") as strict:
            alice = harness.CliProcess(strict.address, "--user", "alice", "--history", "0")
            self.addCleanup(alice.kill)
            alice.write("one")
            alice.write("two")
            alice.close_input()
            self.assertEqual(alice.wait(), 0)
            self.assertEqual(alice.lines(), ["* welcome, alice", "alice: one"])
            self.assertEqual(len(alice.lines("stderr")), 1, alice.lines("stderr"))
            self.assertTrue(alice.lines("stderr")[0].startswith("! sending too fast"), alice.lines("stderr"))
            strict.stop()

    def test_the_end_of_input_waits_for_the_echo_exits_0_and_frees_the_name(self):
        bob = self.user("bob")
        alice = self.user("alice", "--history", "0")
        for i in range(5):
            alice.write(f"line {i}")
        alice.close_input()
        self.assertEqual(alice.wait(), 0)
        self.assertEqual(alice.lines(), ["* welcome, alice"] + [f"alice: line {i}" for i in range(5)])
        self.assertEqual(alice.lines("stderr"), [])
        self.assertTrue(bob.wait_for_line("* alice left", patience=harness.FREED_AT_ONCE))
        again = self.cli("--user", "alice")
        self.assertTrue(again.wait_for_line("* welcome, alice"), again.lines("stderr"))

    def test_the_stream_starts_with_the_history_set_apart_and_history_pages_back(self):
        bob = self.user("bob")
        bob.write("one")
        bob.write("two")
        self.assertTrue(bob.wait_for_line("bob: two"))
        alice = self.user("alice", "--history", "3")
        bob.write("live")
        self.assertTrue(alice.wait_for_line("bob: live"), alice.lines())
        alice.write("/history")
        alice.close_input()
        self.assertEqual(alice.wait(), 0)
        self.assertEqual(alice.lines(), [
            "* welcome, alice",
            "--- 3 earlier messages ---", "bob: one", "bob: two", "* alice joined", "--- live ---",
            "bob: live",
            "--- 1 earlier message ---", "* bob joined", "--- nothing further back ---",
        ])

    def test_quit_leaves_at_once_and_frees_the_name(self):
        bob = self.user("bob")
        alice = self.user("alice")
        alice.write("/quit")
        self.assertEqual(alice.wait(), 0)
        self.assertTrue(bob.wait_for_line("* alice left", patience=harness.FREED_AT_ONCE))

    def test_sigterm_leaves_and_frees_the_name(self):
        bob = self.user("bob")
        alice = self.user("alice")
        alice.process.terminate()
        self.assertEqual(alice.wait(), 128 + 15)
        self.assertTrue(bob.wait_for_line("* alice left", patience=harness.FREED_AT_ONCE))

    def test_timestamps_put_the_server_time_in_front(self):
        alice = self.cli("--user", "alice", "--timestamps")
        alice.write("hi")
        self.assertTrue(harness.wait_until(
            lambda: any(re.fullmatch(r"\[\d\d:\d\d:\d\d\] alice: hi", line) for line in alice.lines())),
            alice.lines())


class FlagsTest(unittest.TestCase):
    def test_help_names_every_flag_and_the_environment_variable(self):
        shown = subprocess.run([os.environ["CHAT_CLI_BIN"], "--help"], capture_output=True, text=True,
                               timeout=harness.PATIENCE)
        self.assertEqual(shown.returncode, 0)
        for text in ("--server", "--user", "--history", "--timestamps", "--version", "--help", "CHAT_SERVER",
                     "localhost:50051"):
            self.assertIn(text, shown.stdout)

    def test_version_is_the_project_version(self):
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "CMakeLists.txt")) as cmake:
            version = re.search(r"project\(libchat\s+VERSION\s+(\S+)", cmake.read()).group(1)
        shown = subprocess.run([os.environ["CHAT_CLI_BIN"], "--version"], capture_output=True, text=True,
                               timeout=harness.PATIENCE)
        self.assertEqual(shown.returncode, 0)
        self.assertEqual(shown.stdout.strip(), version)

    def test_an_unknown_flag_is_refused(self):
        refused = subprocess.run([os.environ["CHAT_CLI_BIN"], "--colour"], capture_output=True, text=True,
                                 timeout=harness.PATIENCE)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("--colour", refused.stderr)


if __name__ == "__main__":
    unittest.main()

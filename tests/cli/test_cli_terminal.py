"""chat-cli on a terminal (tmux): typing is never broken by incoming messages, names are asked for,
colors follow NO_COLOR, earlier messages come first and set apart, a cut connection comes back with
what was missed, and every way out leaves cleanly and gives the terminal back.
"""

import os
import shlex
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402


class TerminalTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.ServerProcess()
        self.addCleanup(self.server.__exit__)

    def terminal(self, *args, env=None, piped_input=None, server=None):
        """chat-cli on a terminal of its own. When it exits, its exit code and the terminal's settings
        are left in files (see exit_code and assert_terminal_restored). With `piped_input`, stdin is a
        pipe holding that text instead, and stderr goes to the file `stderr` beside them: stdout alone
        is the terminal. `server` is another address to reach the server at (a proxy)."""
        results = tempfile.mkdtemp(prefix="chat-cli-terminal-")
        self.addCleanup(shutil.rmtree, results, ignore_errors=True)
        command = " ".join(shlex.quote(arg) for arg in
                           (os.environ["CHAT_CLI_BIN"], "--server", server or self.server.address, *args))
        if piped_input is not None:
            command = f"printf %s {shlex.quote(piped_input)} | {command} 2> {results}/stderr"
        # The shell must outlive the Ctrl-C sent to the whole foreground group to record the exit.
        script = f"trap : INT; {command}; echo $? > {results}/exit; stty -a > {results}/stty; sleep 60"
        # The colors test sets NO_COLOR itself; everywhere else it must not come from outside.
        unset = "" if env and "NO_COLOR" in env else "env -u NO_COLOR "
        terminal = harness.TmuxTerminal(f"{unset}sh -c {shlex.quote(script)}", env=env)
        terminal.results = results
        self.addCleanup(terminal.close)
        return terminal

    def piped(self, name):
        process = harness.CliProcess(self.server.address, "--user", name)
        self.addCleanup(process.kill)
        self.assertTrue(process.wait_for_line(f"* welcome, {name}"))
        return process

    def wait_for_screen(self, terminal, condition):
        self.assertTrue(harness.wait_until(lambda: condition(terminal.screen())), "\n".join(terminal.screen()))

    def wait_for_tail(self, terminal, tail):
        """Waits until the last non-empty lines on the screen are `tail`. chat-cli draws its prompt
        again in a write of its own after the lines above it, so a screen read as soon as a line
        appears may not show the prompt yet."""
        self.wait_for_screen(terminal, lambda screen: [line for line in screen if line][-len(tail):] == tail)

    def exit_code(self, terminal):
        path = os.path.join(terminal.results, "exit")
        self.assertTrue(harness.wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0))
        with open(path) as code:
            return int(code.read())

    def assert_terminal_restored(self, terminal):
        path = os.path.join(terminal.results, "stty")
        self.assertTrue(harness.wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0))
        with open(path) as stty:
            settings = stty.read().split()
        for setting in ("icanon", "echo", "isig"):
            self.assertIn(setting, settings)

    def test_a_message_arriving_mid_line_leaves_the_line_intact_and_editable(self):
        bob = self.piped("bob")
        alice = self.terminal("--user", "alice")
        self.wait_for_screen(alice, lambda screen: "alice>" in screen)
        alice.type("half a li")
        self.wait_for_screen(alice, lambda screen: "alice> half a li" in screen)

        bob.write("ping while you type")
        self.wait_for_tail(alice, ["bob: ping while you type", "alice> half a li"])
        self.assertEqual(alice.cursor()[0], len("alice> half a li"))

        alice.press("BSpace", "BSpace")
        alice.type("line, finished")
        alice.press("Enter")
        self.assertTrue(bob.wait_for_line("alice: half a line, finished"), bob.lines())
        # The typed line gave way to the room's echo of it; the prompt is empty again.
        self.wait_for_tail(alice, ["alice: half a line, finished", "alice>"])
        alice.press("Up")  # the history has it
        self.wait_for_screen(alice, lambda screen: "alice> half a line, finished" in screen)

    def test_two_people_register_one_asked_again_after_taken_chat_dm_list_and_quit(self):
        alice = self.terminal()
        self.wait_for_screen(alice, lambda screen: "username:" in screen)
        alice.type("alice")
        alice.press("Enter")
        self.wait_for_screen(alice, lambda screen: "* welcome, alice" in screen)

        bob = self.terminal("--user", "Alice")
        self.wait_for_tail(bob, ["! alice is taken; choose another name", "username:"])
        bob.type("bob")
        bob.press("Enter")
        self.wait_for_screen(bob, lambda screen: "* welcome, bob" in screen and "bob>" in screen)

        alice.type("hi bob")
        alice.press("Enter")
        bob.type("/msg alice psst")
        bob.press("Enter")
        bob.type("/who")
        bob.press("Enter")
        self.wait_for_screen(bob, lambda screen: {"alice: hi bob", "bob -> alice: psst", "* 2 users: alice, bob"}
                             <= set(screen))
        self.wait_for_screen(alice, lambda screen: {"* bob joined", "alice: hi bob", "bob -> alice: psst"}
                             <= set(screen))

        bob.type("/quit")
        bob.press("Enter")
        self.assertEqual(self.exit_code(bob), 0)
        self.wait_for_screen(alice, lambda screen: "* bob left" in screen)

    def test_ctrl_c_ctrl_d_and_quit_leave_cleanly_free_the_name_and_restore_the_terminal(self):
        watcher = self.piped("watcher")
        for number, keys in enumerate((["C-c"], ["C-d"], ["/quit", "Enter"])):
            name = f"leaver{number}"
            with self.subTest(keys=keys):
                leaver = self.terminal("--user", name)
                self.wait_for_screen(leaver, lambda screen: f"{name}>" in screen)
                if keys[0] == "C-c":
                    leaver.type("half typed")  # Ctrl-C leaves even with a line being typed
                if keys[0].startswith("/"):
                    leaver.type(keys[0])
                    keys = keys[1:]
                leaver.press(*keys)
                self.assertEqual(self.exit_code(leaver), 0)
                self.assert_terminal_restored(leaver)
                self.assertTrue(watcher.wait_for_line(f"* {name} left", patience=harness.FREED_AT_ONCE))

    def test_earlier_messages_come_first_set_apart_from_live_ones(self):
        bob = self.piped("bob")
        bob.write("said before alice came")
        self.assertTrue(bob.wait_for_line("bob: said before alice came"))
        alice = self.terminal("--user", "alice", "--history", "5")
        self.wait_for_screen(alice, lambda screen: "--- live ---" in screen)
        bob.write("said live")
        self.wait_for_tail(alice, [
            "* welcome, alice",
            "--- 3 earlier messages ---", "* bob joined", "bob: said before alice came", "* alice joined",
            "--- live ---",
            "bob: said live",
            "alice>",
        ])

    def test_a_cut_connection_comes_back_under_the_same_name_with_each_missed_message_once(self):
        proxy = harness.TcpProxy(self.server.address)
        self.addCleanup(proxy.close)
        bob = self.piped("bob")
        alice = self.terminal("--user", "alice", server=proxy.address)
        self.wait_for_screen(alice, lambda screen: "--- live ---" in screen)
        proxy.hold()
        self.wait_for_screen(alice, lambda screen: f"! lost the connection to {proxy.address}; reconnecting" in screen)
        missed = ["missed one", "missed two", "missed three"]
        for text in missed:
            bob.write(text)
        self.assertTrue(bob.wait_for_line("bob: missed three"))
        proxy.release()

        self.wait_for_tail(alice, [f"* reconnected to {proxy.address} as alice",
                                   *[f"bob: {text}" for text in missed],
                                   "* back: caught up on 3 messages", "alice>"])
        screen = alice.screen()
        for text in missed:
            self.assertEqual(screen.count(f"bob: {text}"), 1)
        alice.type("still alice")
        alice.press("Enter")
        self.assertTrue(bob.wait_for_line("alice: still alice"), bob.lines())
        # The server held the name for alice's session all along.
        self.assertNotIn("* alice left", bob.lines())

    def test_names_are_colored_on_a_terminal_and_not_with_NO_COLOR(self):
        bob = self.piped("bob")
        colored = self.terminal("--user", "alice")
        plain = self.terminal("--user", "carol", env={"NO_COLOR": "1"})
        self.wait_for_screen(colored, lambda screen: "alice>" in screen)
        self.wait_for_screen(plain, lambda screen: "carol>" in screen)
        bob.write("colors?")
        for terminal in (colored, plain):
            self.wait_for_screen(terminal, lambda screen: "bob: colors?" in screen)
        colored_line = next(line for line in colored.screen(colors=True) if "colors?" in line)
        plain_line = next(line for line in plain.screen(colors=True) if "colors?" in line)
        self.assertIn("\x1b[", colored_line.split("bob")[0])
        self.assertNotIn("\x1b[", plain_line)

    def test_errors_redirected_to_a_file_carry_no_colors_while_the_screen_has_them(self):
        terminal = self.terminal("--user", "quinn", piped_input="/frob\n")
        self.assertEqual(self.exit_code(terminal), 0)
        with open(os.path.join(terminal.results, "stderr")) as written:
            self.assertEqual(written.read(), "! unknown command /frob (/help lists the commands; "
                                             "// sends a line starting with /)\n")
        welcome = next(line for line in terminal.screen(colors=True) if "welcome, quinn" in line)
        self.assertIn("\x1b[", welcome)


if __name__ == "__main__":
    unittest.main()

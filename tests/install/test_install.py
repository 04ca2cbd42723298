"""The installed package, used from outside.

This build is installed into a temporary prefix; examples/ is configured there with
find_package(chat) and CMAKE_PREFIX_PATH pointing at the prefix, and built; then embedded_server and
time_bot run, and the installed chat-cli talks to them.

CTest sets CMAKE_COMMAND, CHAT_BUILD_DIR, CHAT_BUILD_CONFIG, CHAT_EXAMPLES_DIR, CHAT_CXX_COMPILER and
CHAT_SANITIZE.
"""

import glob
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402

BUILD_PATIENCE = 240  # seconds for the install, the configure or the build


def run(*command):
    """Runs `command` to its end and returns its stdout; fails with all of its output if it fails."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_PATIENCE)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


class InstalledPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scratch = tempfile.mkdtemp(prefix="chat-install-")
        cls.addClassCleanup(shutil.rmtree, scratch, ignore_errors=True)
        cls.prefix = os.path.join(scratch, "prefix")
        cls.examples = os.path.join(scratch, "examples")
        cmake = os.environ["CMAKE_COMMAND"]
        run(cmake, "--install", os.environ["CHAT_BUILD_DIR"], "--config", os.environ["CHAT_BUILD_CONFIG"],
            "--prefix", cls.prefix)

        sanitize = os.environ.get("CHAT_SANITIZE")
        sanitize_flags = [f"-DCMAKE_CXX_FLAGS=-fsanitize={sanitize} -fno-omit-frame-pointer",
                          f"-DCMAKE_EXE_LINKER_FLAGS=-fsanitize={sanitize}"] if sanitize else []
        run(cmake, "-S", os.environ["CHAT_EXAMPLES_DIR"], "-B", cls.examples, "-G", "Ninja",
            f"-DCMAKE_PREFIX_PATH={cls.prefix}", f"-DCMAKE_CXX_COMPILER={os.environ['CHAT_CXX_COMPILER']}",
            f"-DCMAKE_BUILD_TYPE={os.environ['CHAT_BUILD_CONFIG']}", "-DCMAKE_COMPILE_WARNING_AS_ERROR=ON",
            *sanitize_flags)
        run(cmake, "--build", cls.examples)
        # harness.CliProcess runs the installed chat-cli, not the build tree's.
        os.environ["CHAT_CLI_BIN"] = os.path.join(cls.prefix, "bin", "chat-cli")

    def installed(self, pattern):
        """The installed files matching `pattern` (a glob relative to the prefix), relative paths."""
        return sorted(os.path.relpath(path, self.prefix)
                      for path in glob.glob(os.path.join(self.prefix, pattern), recursive=True))

    def start(self, *command):
        program = harness.Process(*command)
        self.addCleanup(program.kill)
        return program

    def test_the_prefix_holds_the_programs_the_library_its_headers_and_its_package(self):
        self.assertEqual(self.installed("bin/*"), ["bin/chat-bench", "bin/chat-cli", "bin/chat-server"])
        for header in ("chat/client.h", "chat/message.h", "chat/rules.h", "chat/server.h", "chat/status.h"):
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, "include", header)), header)
        self.assertTrue(self.installed("lib*/**/libchat.a") or self.installed("lib*/**/libchat.so"),
                        self.installed("**"))
        package = self.installed("lib*/**/cmake/chat/*.cmake")
        for name in ("chatConfig.cmake", "chatConfigVersion.cmake", "chatTargets.cmake"):
            self.assertIn(name, map(os.path.basename, package))

    def test_nothing_internal_is_installed(self):
        self.assertEqual(self.installed("**/*.pb.h"), [])
        self.assertEqual(self.installed("**/*_core*"), [])
        targets = "".join(pathlib.Path(self.prefix, path).read_text()
                          for path in self.installed("lib*/**/cmake/chat/chatTargets*.cmake"))
        self.assertEqual(re.findall(r"add_library\((\S+)", targets), ["chat::chat"])
        source_dir = os.path.dirname(os.environ["CHAT_EXAMPLES_DIR"])
        for path in (os.environ["CHAT_BUILD_DIR"], source_dir):
            self.assertNotIn(path, targets)

    def test_the_examples_found_the_installed_package(self):
        cache = pathlib.Path(self.examples, "CMakeCache.txt").read_text()
        chat_dir = re.search(r"^chat_DIR:PATH=(.*)$", cache, re.MULTILINE).group(1)
        self.assertTrue(chat_dir.startswith(self.prefix + os.sep), chat_dir)

    def test_time_bot_and_the_embedded_servers_echo_bot_answer_chat_cli(self):
        server = self.start(os.path.join(self.examples, "embedded_server"), "127.0.0.1:0")
        listening = server.wait_for(r"listening on (\S+)")
        self.assertIsNotNone(listening, server)
        address = listening.group(1)
        bot = self.start(os.path.join(self.examples, "time_bot"), address)
        self.assertIsNotNone(bot.wait_for(r"timebot answers !time on .*"), bot)

        alice = harness.CliProcess(address, "--user", "alice")
        self.addCleanup(alice.kill)
        self.assertTrue(alice.wait_for_line("* welcome, alice"), alice.lines("stderr"))
        alice.write("!time")
        answer = r"timebot: the time is \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+"
        self.assertTrue(harness.wait_until(lambda: any(re.fullmatch(answer, line) for line in alice.lines())),
                        alice.lines())
        alice.write("@echo hello")
        self.assertTrue(alice.wait_for_line("echo -> alice: hello"), alice.lines())
        alice.close_input()
        self.assertEqual(alice.wait(), 0, alice.lines("stderr"))
        self.assertEqual(len([line for line in alice.lines() if line.startswith("timebot:")]), 1, alice.lines())

        # The server's observer printed the room, direct messages included.
        for line in (re.escape("alice: !time"), answer, re.escape("alice -> echo: hello"),
                     re.escape("echo -> alice: hello")):
            self.assertIsNotNone(server.wait_for(line), server)

        self.assertEqual(bot.stop(), 0, bot)
        self.assertEqual(server.stop(), 0, server)


if __name__ == "__main__":
    unittest.main()

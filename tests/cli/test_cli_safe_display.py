"""No byte sequence a server or another user sends reaches the terminal raw.

chat-server refuses control characters, so the sender here is a fake server (grpcio, generated
from proto/chat.proto) that streams them anyway: in names, texts, notices, the user list, its
registration answer and its error messages.
"""

import os
import re
import sys
import threading
import unittest
from concurrent import futures

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto", "chat.proto")
pb2, pb2_grpc = harness.load_generated(PROTO)
Kind = pb2.Message

END = "end of the hostile messages"

# (kind, from, text, to), and the line chat-cli must show for each.
HOSTILE = [
    ((Kind.CHAT, "ev\x1b[2Jil", "clear\x1b[2J screen", ""), r"ev\x1b[2Jil: clear\x1b[2J screen"),
    ((Kind.CHAT, "bell", "ring\x07 back\x08\x08 cr\r over\nnext", ""), r"bell: ring\x07 back\x08\x08 cr\x0d over\x0anext"),
    ((Kind.CHAT, "osc", "\x1b]0;pwned\x07 title", ""), r"osc: \x1b]0;pwned\x07 title"),
    ((Kind.CHAT, "c1", "csi\u009b2J and nel\u0085", ""), r"c1: csi\u009b2J and nel\u0085"),
    ((Kind.CHAT, "bidi", "abc\u202efed", ""), r"bidi: abc\u202efed"),
    ((Kind.CHAT, "del", "rub\x7fout\x00nul", ""), r"del: rub\x7fout\x00nul"),
    ((Kind.DIRECT, "dm\x1b", "@bob \x1b[31mred", "bob"), r"dm\x1b -> bob: \x1b[31mred"),
    ((Kind.NOTICE, "", "notice \x1b[5mblink", ""), r"* notice \x1b[5mblink"),
    ((Kind.JOIN, "j\x1bc", "j\x1bc joined", ""), r"* j\x1bc joined"),
    ((Kind.CHAT, "end", END, ""), f"end: {END}"),
]
WELCOME = "welcome\x1b[2J, bob"
USERS = ["ok", "ev\x1b[2Jil"]
REFUSAL = "bad\x1b[2J\x07 request\r\n! fake second line"


class HostileChat(pb2_grpc.ChatServicer):
    """Answers like a chat server, with control characters everywhere it can put them."""

    def AddUser(self, request, context):
        return pb2.MessageResponse(code=pb2.MessageResponse.ADDED, msg=WELCOME)

    def ListUsers(self, request, context):
        return pb2.UserList(users=[pb2.User(username=name) for name in USERS])

    def SendMessage(self, request, context):
        if request.msg == "flood":
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "sending too fast; wait a second")
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, REFUSAL)

    def Listen(self, request, context):
        # Like chat-server: initial metadata once the stream is accepted, then the messages.
        context.send_initial_metadata(())
        for number, ((kind, sender, text, to), _) in enumerate(HOSTILE, start=1):
            yield pb2.Message(id=number, kind=kind, user=pb2.User(username=sender), msg=text,
                              to=pb2.User(username=to))
        ended = threading.Event()
        context.add_callback(ended.set)
        ended.wait()


class FakeServer:
    def __init__(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        pb2_grpc.add_ChatServicer_to_server(HostileChat(), self.server)
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def stop(self):
        self.server.stop(grace=None)


def raw_controls(data):
    """Every character in `data` that a terminal would act on, newline apart: C0, DEL, C1 and
    bidirectional controls; or the complaint if `data` is not UTF-8 (a lone 8-bit CSI, say)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [f"not UTF-8: {error}"]
    bidi = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    return [f"U+{ord(c):04X}" for c in text
            if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or ord(c) in bidi]


class SafeDisplayTest(unittest.TestCase):
    def setUp(self):
        self.server = FakeServer()
        self.addCleanup(self.server.stop)

    def test_through_pipes_every_control_byte_received_is_shown_escaped(self):
        cli = harness.CliProcess(self.server.address, "--user", "bob", env={"NO_COLOR": None})
        self.addCleanup(cli.kill)
        self.assertTrue(cli.wait_for_line(f"end: {END}"), cli.lines("stderr"))
        cli.write("/who")
        cli.write("flood")
        cli.write("anything")
        cli.close_input()
        self.assertEqual(cli.wait(), 0)

        self.assertEqual(cli.lines(), [r"* welcome\x1b[2J, bob"] + [line for _, line in HOSTILE] +
                         [r"* 2 users: ok, ev\x1b[2Jil"])
        self.assertEqual(cli.lines("stderr"), ["! sending too fast; wait a second", r"! bad\x1b[2J\x07 request"])
        self.assertEqual(raw_controls(bytes(cli.stdout)), [])
        self.assertEqual(raw_controls(bytes(cli.stderr)), [])

    def test_on_a_terminal_escape_sequences_appear_escaped_and_do_nothing(self):
        command = f"{os.environ['CHAT_CLI_BIN']} --server {self.server.address} --user bob"
        with harness.TmuxTerminal(command, width=120, height=30) as terminal:
            # The prompt is drawn again after the last line arrives: wait for both.
            self.assertTrue(harness.wait_until(lambda: f"end: {END}" in terminal.screen()
                                               and terminal.last_line() == "bob>"), terminal.screen())
            screen = terminal.screen()
            # Had "\x1b[2J" reached the terminal, the lines before it would be gone.
            self.assertEqual(screen[0], r"* welcome\x1b[2J, bob")
            for _, line in HOSTILE:
                self.assertIn(line, screen)
            self.assertNotEqual(terminal.title(), "pwned")


if __name__ == "__main__":
    unittest.main()

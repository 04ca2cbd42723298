"""Clients that come and go, 10,000 times, some abruptly: nothing is left behind.

The driver (tests/tools/churn.cc) cycles through four ways of coming and going: register, listen,
talk, quit; register, listen, quit with messages still queued; register and never listen (freed
after the grace period); listen without registering. On top of that, client processes are killed
with SIGKILL while their streams are open. No cycle may take over another's name (connections get
the ports of closed ones). Afterwards no user may be left, the server's memory must
be back within a small bound of where it was after a warm-up, and it must exit cleanly; in the
AddressSanitizer build that exit also carries LeakSanitizer's verdict.
"""

import os
import signal
import subprocess
import sys
import unittest

import grpc

import harness

PROTO = os.path.join(os.path.dirname(__file__), "..", "..", "proto", "chat.proto")
pb2, pb2_grpc = harness.load_generated(PROTO)

WARM_UP_CYCLES = 1000
CYCLES = 9950
KILLED = 50
RSS_BOUND_KB = 4096


def churn(address, cycles):
    done = subprocess.run([os.environ["CHAT_CHURN_BIN"], "--server", address, "--cycles", str(cycles)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def kill_listening_clients(address, count):
    for i in range(count):
        victim = subprocess.Popen([os.environ["CHAT_CHURN_BIN"], "--server", address, "--victim", f"victim{i}"],
                                  stdout=subprocess.PIPE, text=True)
        assert victim.stdout.readline().strip() == "ready"
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        victim.stdout.close()


class ChurnTest(unittest.TestCase):
    def test_10000_cycles_leave_no_user_and_no_memory_behind(self):
        # libchat's Client keeps a session, so the name of a client that went without Leave is held
        # for the session hold: short here. The grace period is short too, but must outlast a cycle's
        # AddUser-to-Listen under ThreadSanitizer, where one took more than 1 s: a name freed before
        # its stream opens ends its session, and the Listen that presents the token is then refused.
        # The kept history is 1,000 messages, so that the warm-up's joins and leaves fill it: the
        # memory measured after is what churn leaves, not the history growing to its bound.
        with harness.ServerProcess(*harness.LOAD_TEST, "--registration-grace", "5", "--session-hold", "1",
                                   "--history-messages", "1000") as server:
            churn(server.address, WARM_UP_CYCLES)  # gRPC's and the allocator's lazily built state
            before = server.rss_kb()
            churn(server.address, CYCLES)
            kill_listening_clients(server.address, KILLED)

            channel = grpc.insecure_channel(server.address)
            stub = pb2_grpc.ChatStub(channel)
            users = lambda: list(stub.ListUsers(pb2.ListUsersRequest(), timeout=harness.PATIENCE).users)
            self.assertTrue(harness.wait_until(lambda: users() == [], interval=0.1), users())
            channel.close()

            # No cycle is ever another's: a connection that gets a closed one's port (the kernel
            # reuses them within seconds here) starts as nobody, and its AddUser is a join.
            renames = [line for line in server.stderr_lines if "] rename " in line]
            self.assertEqual(renames, [], "connections took over names of closed ones")

            after = server.rss_kb()
            print(f"\n  {CYCLES + KILLED} cycles ({KILLED} clients killed): server RSS {before} kB -> {after} kB",
                  file=sys.stderr)
            if not os.environ.get("CHAT_SANITIZE"):  # ASan's quarantine holds freed memory on purpose
                self.assertLess(after - before, RSS_BOUND_KB)
            code, _ = server.stop()
            self.assertEqual(code, 0, "\n".join(server.stderr_lines[-20:]))


if __name__ == "__main__":
    unittest.main()

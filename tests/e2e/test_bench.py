"""chat-bench runs, loses nothing, and shows the slow-consumer policy at work.

These tests check what must hold whatever the machine: every accepted message reaches every
subscriber in order, a subscriber that never reads is evicted, and the server's memory stays
bounded while it is flooded. Speeds are measured, not asserted; docs/benchmarks.md has them.
"""

import os
import subprocess
import sys
import unittest

import harness

BENCH_PATIENCE = 300  # seconds for one run of chat-bench


class BenchTest(unittest.TestCase):
    def test_a_short_run_reaches_every_subscriber_in_order(self):
        # Without --server, chat-bench starts the chat-server built beside it and measures that process.
        result = harness.bench("--subscribers", "20", "--senders", "2", "--duration", "2", timeout=BENCH_PATIENCE)
        self.assertEqual(result["server"], "started")
        self.assertTrue(result["server_measured"])
        self.assertGreater(result["accepted"], 0)
        self.assertEqual(result["deliveries"], 20 * result["accepted"])
        self.assertEqual(result["lost"], 0)
        self.assertEqual(result["reordered"], 0)
        self.assertEqual(result["evicted"], 0)
        self.assertEqual(result["stalled_evicted"], 0)
        # Every subscriber got every message, so each message's first copy came no later than the
        # deliveries at any percentile, and its last copy no earlier.
        self.assertGreater(result["first_copy_p50_us"], 0)
        for percentile in ("p50", "p99"):
            self.assertLessEqual(result[f"first_copy_{percentile}_us"], result[f"{percentile}_us"])
            self.assertLessEqual(result[f"{percentile}_us"], result[f"last_copy_{percentile}_us"])

    def test_in_process_the_server_shares_the_process_and_still_loses_nothing(self):
        result = harness.bench("--in-process", "--subscribers", "5", "--senders", "1", "--duration", "1",
                               timeout=BENCH_PATIENCE)
        self.assertEqual(result["server"], "in-process")
        self.assertGreater(result["accepted"], 0)
        self.assertEqual(result["deliveries"], 5 * result["accepted"])
        self.assertEqual(result["lost"], 0)

    def test_resume_replays_exactly_what_was_asked_and_weighs_the_kept_history(self):
        # chat-bench fails unless every replay brings exactly the messages after the id, in order.
        result = harness.bench("--resume", "--resume-kept", "2000", "--resume-replayed", "500", "--resume-rounds", "3",
                               timeout=BENCH_PATIENCE)
        self.assertEqual(result["mode"], "resume")
        self.assertEqual(result["server"], "started")
        self.assertTrue(result["server_measured"])
        self.assertEqual((result["kept"], result["replayed"], result["rounds"]), (2000, 500, 3))
        self.assertGreater(result["replay_ms_min"], 0)
        self.assertLessEqual(result["replay_ms_min"], result["replay_ms_max"])
        self.assertGreaterEqual(result["rss_after_kb"], result["rss_before_kb"])

    def test_a_replay_longer_than_the_kept_history_is_refused_in_one_line(self):
        done = subprocess.run([os.environ["CHAT_BENCH_BIN"], "--resume", "--resume-kept", "10", "--resume-replayed",
                               "20"], capture_output=True, text=True, timeout=BENCH_PATIENCE)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr.strip(), "chat-bench: --resume-replayed (20) must not exceed --resume-kept (10)")

    def test_a_missing_server_program_is_named_in_one_line(self):
        done = subprocess.run([os.environ["CHAT_BENCH_BIN"], "--server-bin", "/nonexistent/chat-server",
                               "--duration", "1"], capture_output=True, text=True, timeout=BENCH_PATIENCE)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr.strip().splitlines()[-1],
                         "chat-bench: UNAVAILABLE: cannot start /nonexistent/chat-server: No such file or directory")

    def test_a_subscriber_that_never_reads_is_evicted_and_the_server_does_not_hoard(self):
        # Two floods against one server: the first warms the allocator and gRPC's buffers up, the
        # second shows whether memory follows what the stalled subscriber was sent. A server that
        # kept the stalled subscriber's messages would grow by at least that much in each run. The
        # kept history holds messages on purpose, but no more than its byte budget, 2 MiB here.
        size = 16000
        with harness.ServerProcess(*harness.LOAD_TEST, "--max-queue", "256", "--history-bytes", str(2 << 20),
                                   "--max-text-bytes", str(size)) as server:
            runs = []
            for _ in range(2):
                before = server.rss_kb()
                result = harness.bench("--server", server.address, "--server-pid", str(server.process.pid),
                                       "--subscribers", "99", "--stalled", "1", "--senders", "16",
                                       "--rate", "250", "--size", str(size), "--duration", "6",
                                       timeout=BENCH_PATIENCE)
                runs.append((result, server.rss_kb() - before))
            server.stop()
        for result, grown in runs:
            self.assertEqual(result["stalled_evicted"], 1)
            self.assertEqual(result["lost"], 0)
            self.assertEqual(result["reordered"], 0)
            flooded_kb = result["accepted"] * size // 1024
            print(f"  the stalled subscriber was sent {flooded_kb} kB; server RSS grew {grown} kB",
                  file=sys.stderr)
        # Under a sanitizer the reading subscribers run several times slower than the server can
        # send, and one may fall --max-queue behind and be evicted too, which is the policy at work;
        # its allocator also holds freed memory on purpose.
        if not os.environ.get("CHAT_SANITIZE"):
            for result, _ in runs:
                self.assertEqual(result["evicted"], 0)
            result, grown = runs[1]
            flooded_kb = result["accepted"] * size // 1024
            self.assertGreater(flooded_kb, 16 * 1024)
            self.assertLess(grown, flooded_kb // 4)


if __name__ == "__main__":
    unittest.main()

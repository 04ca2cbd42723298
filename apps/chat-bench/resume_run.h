// chat-bench --resume: what the kept history costs a server, and how fast a resuming subscriber
// catches up.
#ifndef CHAT_APPS_CHAT_BENCH_RESUME_RUN_H_
#define CHAT_APPS_CHAT_BENCH_RESUME_RUN_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench_run.h"
#include "chat/status.h"

namespace chat::bench {

struct ResumeOptions {
  int kept = 10000;      // messages sent to fill the history before the rounds
  int replayed = 1000;   // messages each round replays
  int rounds = 20;
};

struct ResumeResult {
  BenchOptions options;  // server, TLS and --size
  ResumeOptions resume;
  std::string server_kind;     // BenchServer::kind()
  std::string server_source;   // what the RSS figure measures; empty when it was not measured
  std::uint64_t rss_before_kb = 0;
  std::uint64_t rss_after_kb = 0;  // once `kept` messages were sent
  double kb_per_10000_kept = 0;    // the growth of RSS per 10,000 messages sent
  // Per round: from the Listen call to the last replayed message read, in milliseconds.
  double replay_ms_min = 0, replay_ms_p50 = 0, replay_ms_p90 = 0, replay_ms_max = 0;
};

// Fills the server's history with resume.kept messages of options.size bytes from one sender,
// sampling the server's RSS before and after; then, resume.rounds times, a subscriber with a session
// resumes resume.replayed messages back (Listen with after_id) and times the replay, checking that
// it got exactly those messages, in order. The server must keep at least resume.replayed messages.
Result<ResumeResult> RunResumeBench(const BenchOptions& options, const ResumeOptions& resume);

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_RESUME_RUN_H_

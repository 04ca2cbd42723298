#ifndef CHAT_APPS_CHAT_BENCH_BENCH_RUN_H_
#define CHAT_APPS_CHAT_BENCH_BENCH_RUN_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "chat/status.h"

namespace chat::bench {

struct BenchOptions {
  std::string server;      // HOST:PORT of a running server, or nodes of one room: A,B,...; empty starts one (below)
  pid_t server_pid = 0;    // a server on this host to sample from /proc
  // Without `server`: the chat-server program to start (empty: the one beside chat-bench), or a
  // server in this process instead, sharing its gRPC with the load (less than half as fast).
  std::string server_binary;
  bool in_process = false;
  int server_threads = 0;  // completion-queue threads of the server started; 0: one per core
  std::string tls_root_certificates;  // PEM: connect over TLS, trusting these; empty: plaintext
  int subscribers = 100;
  int connections = 0;     // connections the subscribers share; 0: one each
  int stalled = 0;         // more subscribers, each on its own connection, that never read
  int reader_threads = 2;  // threads that read the subscribers' streams
  bool reader_queue_per_thread = true;  // each reader thread polls a completion queue of its own
  bool batched = true;     // subscribers read Subscribe streams (as chat::Client does); else Listen
  int senders = 1;
  double rate = 0;         // messages per second from all senders together; 0: flat out
  double duration_s = 5;   // how long the senders send
  std::size_t size = 64;   // bytes of text per message
  bool progress = false;   // a line per second on stderr while the senders send
};

struct BenchResult {
  BenchOptions options;
  std::uint64_t accepted = 0;     // messages the server accepted
  std::uint64_t refused = 0;      // sends that failed
  std::string first_refusal;      // why the first one failed
  std::uint64_t deliveries = 0;   // chat messages received, all subscribers together
  std::uint64_t lost = 0;         // accepted messages a subscriber that was not evicted never got
  std::uint64_t reordered = 0;    // deliveries with an id below one already received
  std::uint64_t evicted = 0;      // reading subscribers the server ended for falling behind
  std::uint64_t stalled_evicted = 0;  // stalled subscribers the server ended
  double accepted_per_s = 0;      // over the sending time
  double deliveries_per_s = 0;    // from the first send to the last delivery
  std::uint64_t p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  // Over the messages rather than the deliveries: each message's first copy (the path to the first
  // subscriber) and its last (the path and the fan-out to every subscriber).
  std::uint64_t first_copy_p50_us = 0, first_copy_p99_us = 0, last_copy_p50_us = 0, last_copy_p99_us = 0;
  // Which server was measured: "started" (a chat-server process chat-bench started), "in-process"
  // or "given" (--server).
  std::string server_kind;
  std::string server_source;      // how the server was sampled; empty when it was not
  double server_cpu_percent = 0;  // of one core, while the senders sent
  std::uint64_t server_rss_kb = 0;
  double rss_per_subscriber_kb = 0;
  // Per delivery, from the first send until every subscriber caught up: what each side spent. The
  // server's only where server_source says it was sampled; chat-bench's own always (its threads
  // other than an in-process server's).
  struct Cost {
    double cpu_percent = 0;        // of one core
    double cpu_us = 0;             // CPU time per delivery
    double wakeups = 0;            // voluntary context switches per delivery
    double preemptions = 0;        // involuntary context switches per delivery
  };
  Cost server_cost;
  Cost bench_cost;
};

// Runs one measurement: opens the subscribers, sends for options.duration_s, waits for the
// deliveries to drain, and counts. `options` must be what chat-bench's flags allow (main.cc checks
// them): no negative count or rate, a positive duration, a size of at least kMinStampedSize.
Result<BenchResult> RunBench(const BenchOptions& options);

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_BENCH_RUN_H_

// chat-bench: measures a chat server: messages accepted and delivered per second, delivery
// latency, losses, and the server's CPU and memory. docs/benchmarks.md has the figures.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench_run.h"
#include "chat/logging.h"
#include "chat/process.h"
#include "report.h"
#include "resume_run.h"
#include "stamp.h"

int main(int argc, char** argv) {
  chat::bench::BenchOptions options;
  bool json = false;
  bool quiet = false;

  CLI::App app{"chat-bench: measures a chat server. Without --server it starts a chat-server process of its own."};
  app.add_option("--server", options.server,
                 "HOST:PORT of a running server to measure; HOST:PORT,HOST:PORT,... for the nodes of one room (with "
                 "--redis), among which subscribers and senders are spread in turn");
  app.add_option("--server-pid", options.server_pid, "PID of that server, when local, to sample its CPU and RSS");
  app.add_option("--server-bin", options.server_binary,
                 "Without --server: the chat-server program to start (default: the one beside chat-bench)");
  app.add_flag("--in-process", options.in_process,
               "Without --server: run the server in this process instead, sharing gRPC with the load "
               "(measures less than the server does alone)");
  app.add_option("--server-threads", options.server_threads,
                 "Completion-queue threads of the server chat-bench starts (0: one per core)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--subscribers", options.subscribers, "Listening clients")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--connections", options.connections, "Connections the subscribers share (0: one each)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--stalled", options.stalled, "More subscribers that never read (the server should evict them)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--reader-threads", options.reader_threads, "Threads that read the subscribers' streams")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  std::string polling = "per-thread";
  app.add_option("--reader-queues", polling,
                 "per-thread: each reader thread polls its own completion queue (its subscribers' connections); "
                 "shared: every reader thread polls one queue")
      ->capture_default_str()
      ->check(CLI::IsMember({"per-thread", "shared"}));
  std::string stream = "subscribe";
  app.add_option("--stream", stream,
                 "subscribe: subscribers read batches, as libchat's client does; listen: one message per read, as "
                 "the workshop's clients do")
      ->capture_default_str()
      ->check(CLI::IsMember({"subscribe", "listen"}));
  app.add_option("--senders", options.senders, "Sending clients")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--rate", options.rate, "Messages per second from all senders together; 0 is flat out")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--duration", options.duration_s, "Seconds of sending")->capture_default_str()
      ->check(CLI::PositiveNumber);
  // An int: CLI11 names the bounds' type in --help ("INT in [21 - 1048576]").
  constexpr int kMinSize = static_cast<int>(chat::bench::kMinStampedSize);
  app.add_option("--size", options.size, fmt::format("Bytes of text per message (at least {})", kMinSize))
      ->capture_default_str()
      ->check(CLI::Range(kMinSize, 1 << 20));
  std::string tls_ca;
  app.add_option("--tls-ca", tls_ca, "Connect over TLS, trusting these certificates (PEM file)")
      ->check(CLI::ExistingFile);
  bool resume_mode = false;
  chat::bench::ResumeOptions resume;
  app.add_flag("--resume", resume_mode,
               "Measure the kept history instead: the server's memory per 10,000 kept messages, and the time to "
               "replay messages to a subscriber that resumes");
  app.add_option("--resume-kept", resume.kept, "With --resume: messages sent to fill the history")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--resume-replayed", resume.replayed, "With --resume: messages each resume replays")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--resume-rounds", resume.rounds, "With --resume: resumes timed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "Also print one JSON object, as the last line");
  app.add_flag("--quiet", quiet, "No progress lines");
  CLI11_PARSE(app, argc, argv);
  options.progress = !quiet && options.duration_s > 2;
  options.reader_queue_per_thread = polling == "per-thread";
  options.batched = stream == "subscribe";
  if (!tls_ca.empty()) {
    chat::Result<std::string> roots = chat::ReadFileContents(tls_ca);
    if (!roots.ok()) {
      fmt::print(stderr, "chat-bench: {}\n", roots.status().message());
      return 1;
    }
    options.tls_root_certificates = std::move(roots).value();
  }

  spdlog::set_level(spdlog::level::warn);  // an in-process server would log every subscriber's join
  chat::RouteGrpcLogsToSpdlog();
  chat::DisableMutexDeadlockDetection();

  if (resume_mode) {
    if (resume.replayed > resume.kept) {
      fmt::print(stderr, "chat-bench: --resume-replayed ({}) must not exceed --resume-kept ({})\n", resume.replayed,
                 resume.kept);
      return 1;
    }
    const chat::Result<chat::bench::ResumeResult> resumed = chat::bench::RunResumeBench(options, resume);
    if (!resumed.ok()) {
      fmt::print(stderr, "chat-bench: {}\n", resumed.status().ToString());
      return 1;
    }
    fmt::print("{}", chat::bench::FormatTable(*resumed));
    if (json) fmt::print("{}\n", chat::bench::FormatJson(*resumed));
    std::fflush(stdout);
    return 0;
  }

  const chat::Result<chat::bench::BenchResult> result = chat::bench::RunBench(options);
  if (!result.ok()) {
    fmt::print(stderr, "chat-bench: {}\n", result.status().ToString());
    return 1;
  }
  fmt::print("{}", chat::bench::FormatTable(*result));
  if (json) fmt::print("{}\n", chat::bench::FormatJson(*result));
  std::fflush(stdout);
  return 0;
}

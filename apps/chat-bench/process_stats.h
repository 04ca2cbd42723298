#ifndef CHAT_APPS_CHAT_BENCH_PROCESS_STATS_H_
#define CHAT_APPS_CHAT_BENCH_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace chat::bench {

// What /proc says about a server, at one moment.
struct ServerSample {
  double cpu_seconds = 0;     // user + system time used so far
  std::uint64_t rss_kb = 0;   // resident memory now
};

// A local server process. nullopt when it does not exist (or is not readable).
std::optional<ServerSample> SampleProcess(pid_t pid);

// A server running inside this process: the CPU time of this process's threads whose names start
// with `thread_prefix` ("chat-cq-" names the server's completion-queue threads, which also do its
// network I/O), and the RSS of the whole process (clients included).
ServerSample SampleThisProcess(std::string_view thread_prefix);

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_PROCESS_STATS_H_

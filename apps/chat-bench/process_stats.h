#ifndef CHAT_APPS_CHAT_BENCH_PROCESS_STATS_H_
#define CHAT_APPS_CHAT_BENCH_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace chat::bench {

// What /proc says about a process, or some of its threads, at one moment.
//
// CPU time counts every thread the process ever had. Context switches of another process are summed
// over the threads alive at that moment (a thread that ended between two samples takes its share
// with it; a chat-server's threads live as long as it does); of this process, over all of them.
struct ServerSample {
  double cpu_seconds = 0;        // user + system time used so far
  std::uint64_t rss_kb = 0;      // resident memory now, of the whole process
  // Times a thread gave up its core because it had nothing to do (it waited on a lock, a poll, a
  // condition); each one ends with a wake-up, so this counts the wake-ups.
  std::uint64_t voluntary_switches = 0;
  // Times a thread was taken off its core while it still had work: the cores were all busy.
  std::uint64_t involuntary_switches = 0;
};

// A local process, all its threads. nullopt when it does not exist (or is not readable).
std::optional<ServerSample> SampleProcess(pid_t pid);

// Threads of this process, by name: those whose names start with `thread_prefix` when
// `with_prefix`, all the others otherwise. "chat-cq-" names an in-process server's completion-queue
// threads (which also do its network I/O); the others are then chat-bench's load.
ServerSample SampleThisProcess(std::string_view thread_prefix, bool with_prefix = true);

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_PROCESS_STATS_H_

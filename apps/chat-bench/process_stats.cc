#include "process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace chat::bench {
namespace {

// utime + stime from a /proc/.../stat file, in seconds.
std::optional<double> CpuSecondsFromStat(const std::filesystem::path& stat_file) {
  std::ifstream stat(stat_file);
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t after_name = text.rfind(')');  // the name may hold spaces and parentheses
  if (after_name == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(after_name + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state; 14 and 15 are utime and stime
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The fields of a /proc/.../status file that a sample takes. A task's own status has its own
// context switches; the process's VmRSS is the same in every task's.
struct StatusFields {
  std::uint64_t rss_kb = 0;
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;
};

StatusFields ReadStatus(const std::filesystem::path& status_file) {
  StatusFields fields;
  std::ifstream status(status_file);
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> fields.rss_kb;
    } else if (key == "voluntary_ctxt_switches:") {
      status >> fields.voluntary_switches;
    } else if (key == "nonvoluntary_ctxt_switches:") {
      status >> fields.involuntary_switches;
    }
    status.ignore(1 << 16, '\n');
  }
  return fields;
}

std::string ReadFirstLine(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Adds one task's context switches to `sample`.
void AddSwitches(const std::filesystem::path& task, ServerSample& sample) {
  const StatusFields status = ReadStatus(task / "status");
  sample.voluntary_switches += status.voluntary_switches;
  sample.involuntary_switches += status.involuntary_switches;
}

}  // namespace

std::optional<ServerSample> SampleProcess(pid_t pid) {
  const std::filesystem::path dir = std::filesystem::path("/proc") / std::to_string(pid);
  // The process's own stat counts the CPU time of its ended threads too.
  const std::optional<double> cpu = CpuSecondsFromStat(dir / "stat");
  if (!cpu) return std::nullopt;
  ServerSample sample;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(dir / "task", error)) AddSwitches(task.path(), sample);
  sample.cpu_seconds = *cpu;
  sample.rss_kb = ReadStatus(dir / "status").rss_kb;
  return sample;
}

ServerSample SampleThisProcess(std::string_view thread_prefix, bool with_prefix) {
  ServerSample prefixed;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    if (ReadFirstLine(task.path() / "comm").rfind(thread_prefix, 0) != 0) continue;
    prefixed.cpu_seconds += CpuSecondsFromStat(task.path() / "stat").value_or(0);
    AddSwitches(task.path(), prefixed);
  }
  prefixed.rss_kb = ReadStatus("/proc/self/status").rss_kb;
  if (with_prefix) return prefixed;
  // The others: the whole process, ended threads included (gRPC's callback threads come and go),
  // less the prefixed threads, which live as long as the process runs the server.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  ServerSample others;
  others.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime) - prefixed.cpu_seconds;
  others.voluntary_switches = static_cast<std::uint64_t>(usage.ru_nvcsw) - prefixed.voluntary_switches;
  others.involuntary_switches = static_cast<std::uint64_t>(usage.ru_nivcsw) - prefixed.involuntary_switches;
  others.rss_kb = prefixed.rss_kb;
  return others;
}

}  // namespace chat::bench

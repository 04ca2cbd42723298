#include "process_stats.h"

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

std::uint64_t RssKbFromStatus(const std::filesystem::path& status_file) {
  std::ifstream status(status_file);
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::uint64_t kb = 0;
      status >> kb;
      return kb;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0;
}

std::string ReadFirstLine(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::optional<ServerSample> SampleProcess(pid_t pid) {
  const std::filesystem::path dir = std::filesystem::path("/proc") / std::to_string(pid);
  const std::optional<double> cpu = CpuSecondsFromStat(dir / "stat");
  if (!cpu) return std::nullopt;
  return ServerSample{*cpu, RssKbFromStatus(dir / "status")};
}

ServerSample SampleThisProcess(std::string_view thread_prefix) {
  ServerSample sample;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    if (ReadFirstLine(task.path() / "comm").rfind(thread_prefix, 0) != 0) continue;
    sample.cpu_seconds += CpuSecondsFromStat(task.path() / "stat").value_or(0);
  }
  sample.rss_kb = RssKbFromStatus("/proc/self/status");
  return sample;
}

}  // namespace chat::bench

#include "load_poller.h"

#include <cstdlib>
#include <string_view>

extern char** environ;

namespace chat::bench {
namespace {

constexpr std::string_view kPollerVariable = "GRPC_POLL_STRATEGY";

// Whether ChoosePollerForLoad() set the variable (not the user). Written once, before other threads.
bool poller_chosen_here = false;

}  // namespace

void ChoosePollerForLoad() {
  if (std::getenv(kPollerVariable.data()) != nullptr) return;
  setenv(kPollerVariable.data(), "poll", /*overwrite=*/0);
  poller_chosen_here = true;
}

std::vector<char*> ServerEnvironment() {
  std::vector<char*> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    const bool is_poller = variable.substr(0, kPollerVariable.size()) == kPollerVariable &&
                           variable.size() > kPollerVariable.size() && variable[kPollerVariable.size()] == '=';
    if (is_poller && poller_chosen_here) continue;
    environment.push_back(*entry);
  }
  environment.push_back(nullptr);
  return environment;
}

}  // namespace chat::bench

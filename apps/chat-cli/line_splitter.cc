#include "line_splitter.h"

#include <utility>

namespace chat::cli {

void LineSplitter::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      return;
    }
    partial_.append(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    lines_.push_back(std::exchange(partial_, std::string()));
  }
}

void LineSplitter::Finish() {
  if (!partial_.empty()) lines_.push_back(std::exchange(partial_, std::string()));
}

std::optional<std::string> LineSplitter::TakeLine() {
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

}  // namespace chat::cli

#include "backoff.h"

#include <algorithm>

namespace chat::cli {

Backoff::Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap, std::uint32_t seed)
    : cap_(cap), base_(std::min(first, cap)), random_(seed) {}

std::chrono::milliseconds Backoff::Next() {
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(base_.count()) * jitter(random_)));
  base_ = std::min(base_ * 2, cap_);
  return wait;
}

}  // namespace chat::cli

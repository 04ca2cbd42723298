#include "room/session_token.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstddef>

#include <spdlog/spdlog.h>

namespace chat {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

void FillRandom(std::uint8_t* bytes, std::size_t size) {
  std::size_t filled = 0;
  while (filled < size) {
    const ssize_t got = getrandom(bytes + filled, size - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      spdlog::critical("getrandom failed (errno {}): cannot make session tokens", errno);
      std::abort();
    }
    filled += static_cast<std::size_t>(got);
  }
}

std::string Hex(const std::uint8_t* bytes, std::size_t size) {
  std::string text;
  text.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    text.push_back(kHexDigits[bytes[i] >> 4]);
    text.push_back(kHexDigits[bytes[i] & 0xf]);
  }
  return text;
}

int HexValue(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  return -1;
}

}  // namespace

SessionToken NewSessionToken() {
  std::array<std::uint8_t, 32> random{};
  FillRandom(random.data(), random.size());
  SessionToken token;
  token.key = Hex(random.data(), 16);
  std::copy(random.begin() + 16, random.end(), token.secret.begin());
  token.text = token.key + Hex(token.secret.data(), token.secret.size());
  return token;
}

std::optional<SessionToken> ParseSessionToken(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  SessionToken token;
  token.key = std::string(text.substr(0, 32));
  for (std::size_t i = 0; i < 32; ++i) {
    if (HexValue(text[i]) < 0) return std::nullopt;
  }
  for (std::size_t i = 0; i < 16; ++i) {
    const int high = HexValue(text[32 + 2 * i]);
    const int low = HexValue(text[33 + 2 * i]);
    if (high < 0 || low < 0) return std::nullopt;
    token.secret[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  token.text = std::string(text);
  return token;
}

bool SameSecret(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b) {
  std::uint8_t difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return difference == 0;
}

}  // namespace chat

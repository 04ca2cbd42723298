// Fuzzes the rules for names, texts and direct messages with arbitrary bytes, and checks each
// promise chat/rules.h makes against a second, independent reading of the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chat/rules.h"
#include "fuzz_check.h"

namespace {

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

// Valid UTF-8 without control characters other than tab, read the slow way: byte classes and
// explicit ranges from RFC 3629, table 3-7 of the Unicode standard.
bool IsCleanUtf8(std::string_view text) {
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const auto in = [](unsigned char b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  while (i < text.size()) {
    const unsigned char b = at(i);
    if (b < 0x80) {
      if ((b < 0x20 && b != '\t') || b == 0x7F) return false;
      i += 1;
    } else if (in(b, 0xC2, 0xDF)) {
      if (i + 1 >= text.size() || !in(at(i + 1), 0x80, 0xBF)) return false;
      if (b == 0xC2 && at(i + 1) <= 0x9F) return false;  // C1 controls
      i += 2;
    } else if (in(b, 0xE0, 0xEF)) {
      if (i + 2 >= text.size()) return false;
      const unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
      if (!in(at(i + 1), lo, hi) || !in(at(i + 2), 0x80, 0xBF)) return false;
      i += 3;
    } else if (in(b, 0xF0, 0xF4)) {
      if (i + 3 >= text.size()) return false;
      const unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
      if (!in(at(i + 1), lo, hi) || !in(at(i + 2), 0x80, 0xBF) || !in(at(i + 3), 0x80, 0xBF)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

void CheckNameRules(std::string_view input) {
  bool valid = !input.empty() && input.size() <= chat::kMaxUsernameLength && IsNameCharacter(input.front()) &&
               input.front() != '_' && input.front() != '-' && input.front() != '.';
  for (char c : input) valid = valid && IsNameCharacter(c);
  FUZZ_CHECK(chat::CheckUsername(input).ok() == valid);
  if (!valid) FUZZ_CHECK(chat::CheckUsername(input).code() == chat::StatusCode::kInvalidArgument);

  const std::string folded = chat::FoldUsername(input);
  FUZZ_CHECK(folded.size() == input.size());
  FUZZ_CHECK(chat::FoldUsername(folded) == folded);
  FUZZ_CHECK(chat::SameUsername(input, folded));
}

void CheckTextRules(std::string_view input) {
  const std::string_view trimmed = chat::TrimText(input);
  FUZZ_CHECK(input.find(trimmed) != std::string_view::npos);
  FUZZ_CHECK(trimmed.empty() || (!IsSpaceOrTab(trimmed.front()) && !IsSpaceOrTab(trimmed.back())));

  constexpr std::size_t kLimit = 64;
  const bool accepted = chat::CheckMessageText(input, kLimit).ok();
  FUZZ_CHECK(accepted == (input.size() <= kLimit && !trimmed.empty() && IsCleanUtf8(input)));
}

void CheckMentionRules(std::string_view input) {
  const std::string_view text = chat::TrimText(input);
  FUZZ_CHECK(chat::IsDirectMessage(text) == (!text.empty() && text.front() == '@'));
  if (!chat::IsDirectMessage(text)) return;
  const chat::Result<chat::Mention> mention = chat::ParseMention(text);
  if (!mention.ok()) {
    FUZZ_CHECK(mention.status().code() == chat::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(chat::CheckUsername(mention->recipient).ok());
  FUZZ_CHECK(!mention->body.empty());
  FUZZ_CHECK(chat::TrimText(mention->body) == mention->body);
  FUZZ_CHECK(text.substr(1, mention->recipient.size()) == mention->recipient);
  FUZZ_CHECK(IsSpaceOrTab(text[1 + mention->recipient.size()]));
  FUZZ_CHECK(text.substr(text.size() - mention->body.size()) == mention->body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckNameRules(input);
  CheckTextRules(input);
  CheckMentionRules(input);
  return 0;
}

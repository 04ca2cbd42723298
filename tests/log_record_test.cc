// The shared room's log entries: what a node writes reads back the same, and what is not a record
// of this version is refused rather than misread.
#include <catch2/catch.hpp>

#include "backend/redis/log_record.h"

namespace chat::testing {
namespace {

LogRecord Direct() {
  LogRecord record;
  record.message.kind = MessageKind::kDirect;
  record.message.server_time = std::chrono::system_clock::time_point(std::chrono::microseconds(1764300000123456));
  record.message.from = "alice";
  record.message.to = "Bob";
  record.message.text = "@bob text with \x1f the separator, | and a\nnewline";
  record.audience = Audience{(7ull << 32) + 1, (9ull << 32) + 4};
  return record;
}

TEST_CASE("a record reads back as it was written, its text whatever it holds", "[redis][log]") {
  const LogRecord written = Direct();
  const std::optional<LogRecord> read = DecodeLogRecord(42, EncodeLogRecord(written));
  REQUIRE(read.has_value());
  CHECK(read->message.id == 42);
  CHECK(read->message.kind == MessageKind::kDirect);
  CHECK(read->message.server_time == written.message.server_time);
  CHECK(read->message.from == "alice");
  CHECK(read->message.to == "Bob");
  CHECK(read->message.text == written.message.text);
  CHECK(read->audience.from == written.audience.from);
  CHECK(read->audience.to == written.audience.to);
  CHECK(read->participant == 0);
  CHECK(read->old_name.empty());
}

TEST_CASE("a direct message's template around its recipient makes the same record", "[redis][log]") {
  const LogRecord written = Direct();
  const DirectTemplate parts = EncodeDirectTemplate(written);
  CHECK(parts.head + "Bob" + parts.middle + std::to_string(written.audience.to) + parts.tail ==
        EncodeLogRecord(written));
}

TEST_CASE("a rename carries its participant and the old name", "[redis][log]") {
  LogRecord rename;
  rename.message.kind = MessageKind::kNotice;
  rename.message.from = "carol";
  rename.message.text = "caroline is now known as carol";
  rename.participant = 12;
  rename.old_name = "caroline";
  const std::optional<LogRecord> read = DecodeLogRecord(3, EncodeLogRecord(rename));
  REQUIRE(read.has_value());
  CHECK(read->participant == 12);
  CHECK(read->old_name == "caroline");
}

TEST_CASE("what is not a record of this version is refused", "[redis][log]") {
  const std::string good = EncodeLogRecord(Direct());
  CHECK_FALSE(DecodeLogRecord(1, "").has_value());
  CHECK_FALSE(DecodeLogRecord(1, "hello").has_value());
  CHECK_FALSE(DecodeLogRecord(1, "2" + good.substr(1)).has_value());                 // another version
  CHECK_FALSE(DecodeLogRecord(1, good.substr(0, good.find('\x1f', 2))).has_value());  // cut short
  std::string bad_kind = good;
  bad_kind[2] = '9';  // a kind that does not exist
  CHECK_FALSE(DecodeLogRecord(1, bad_kind).has_value());
}

}  // namespace
}  // namespace chat::testing

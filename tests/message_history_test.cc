#include "room/message_history.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace chat {
namespace {

constexpr std::uint64_t kAlice = 1, kBob = 2, kCarol = 3;

MessagePtr Numbered(std::uint64_t id, std::string text = "hello") {
  auto message = std::make_shared<SequencedMessage>();
  message->id = id;
  message->text = std::move(text);
  return message;
}

std::vector<std::uint64_t> Ids(const std::vector<MessagePtr>& messages) {
  std::vector<std::uint64_t> ids;
  for (const MessagePtr& message : messages) ids.push_back(message->id);
  return ids;
}

// Messages first_id.. first_id+count-1, every third a direct message from alice to bob.
MessageHistory Filled(std::size_t max_messages, std::uint64_t first_id, std::uint64_t count) {
  MessageHistory history(max_messages, 1 << 30, first_id);
  for (std::uint64_t id = first_id; id < first_id + count; ++id) {
    history.Add(Numbered(id), id % 3 == 0 ? Audience{kAlice, kBob} : Audience{});
  }
  return history;
}

TEST_CASE("the history keeps the latest messages up to its count", "[history]") {
  const MessageHistory history = Filled(5, 1, 8);
  CHECK(history.size() == 5);
  CHECK(Ids(history.Last(kAlice, 100)) == std::vector<std::uint64_t>{4, 5, 6, 7, 8});
}

TEST_CASE("the history keeps no more bytes than its budget, whatever is sent", "[history]") {
  const std::string big(4000, 'x');
  const std::size_t budget = 10 * MessageHistory::ByteCost(*Numbered(1, big));
  MessageHistory history(1000, budget, 1);
  for (std::uint64_t id = 1; id <= 500; ++id) history.Add(Numbered(id, big), {});
  CHECK(history.bytes() <= budget);
  CHECK(history.size() == 10);
  CHECK(Ids(history.Last(kAlice, 1)) == std::vector<std::uint64_t>{500});
}

TEST_CASE("a history of 0 messages keeps none", "[history]") {
  const MessageHistory history = Filled(0, 1, 10);
  CHECK(history.size() == 0);
  CHECK(history.bytes() == 0);
  const Catchup catchup = history.After(kAlice, 5);
  CHECK(catchup.gap);
  CHECK(catchup.missed == 5);
}

TEST_CASE("direct messages are replayed only to the two they were between", "[history]") {
  const MessageHistory history = Filled(100, 1, 9);
  CHECK(Ids(history.Last(kAlice, 100)) == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(Ids(history.Last(kBob, 100)) == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(Ids(history.Last(kCarol, 100)) == std::vector<std::uint64_t>{1, 2, 4, 5, 7, 8});
  CHECK(Ids(history.After(kCarol, 4).messages) == std::vector<std::uint64_t>{5, 7, 8});
  CHECK(Ids(history.Before(kCarol, 0, 3).messages) == std::vector<std::uint64_t>{5, 7, 8});
  CHECK(Ids(history.Last(kCarol, 2)) == std::vector<std::uint64_t>{7, 8});
}

TEST_CASE("after an id still kept, the catch-up is everything after it and no gap", "[history]") {
  const MessageHistory history = Filled(100, 1, 10);
  const Catchup catchup = history.After(kAlice, 7);
  CHECK_FALSE(catchup.gap);
  CHECK(Ids(catchup.messages) == std::vector<std::uint64_t>{8, 9, 10});
  CHECK(history.After(kAlice, 10).messages.empty());
}

TEST_CASE("after an id no longer kept, the catch-up says how many were dropped and where they end", "[history]") {
  const MessageHistory history = Filled(4, 1, 10);  // keeps 7..10
  const Catchup catchup = history.After(kCarol, 2);
  CHECK(catchup.gap);
  CHECK_FALSE(catchup.before_run);
  CHECK(catchup.missed == 4);  // 3, 4, 5, 6
  CHECK(catchup.last_missed_id == 6);
  CHECK(Ids(catchup.messages) == std::vector<std::uint64_t>{7, 8, 10});
  // Resuming after the gap's id continues with what was kept, and no gap.
  CHECK_FALSE(history.After(kCarol, 6).gap);
}

TEST_CASE("an id from before this run is a gap: the server restarted", "[history]") {
  const MessageHistory fresh = Filled(100, 1000, 0);
  const Catchup nothing_since = fresh.After(kAlice, 42);
  CHECK(nothing_since.gap);
  CHECK(nothing_since.before_run);
  CHECK(nothing_since.missed == 0);
  CHECK(nothing_since.last_missed_id == 999);
  CHECK(nothing_since.messages.empty());

  const MessageHistory trimmed = Filled(3, 1000, 10);  // keeps 1007..1009
  const Catchup catchup = trimmed.After(kAlice, 42);
  CHECK(catchup.before_run);
  CHECK(catchup.missed == 7);
  CHECK(catchup.last_missed_id == 1006);
  CHECK(Ids(catchup.messages) == std::vector<std::uint64_t>{1007, 1008, 1009});
}

TEST_CASE("pages before an id come oldest first and say when nothing is further back", "[history]") {
  const MessageHistory history = Filled(100, 1, 10);
  MessageHistory::Page page = history.Before(kAlice, 0, 4);
  CHECK(Ids(page.messages) == std::vector<std::uint64_t>{7, 8, 9, 10});
  CHECK_FALSE(page.complete);
  page = history.Before(kAlice, 7, 4);
  CHECK(Ids(page.messages) == std::vector<std::uint64_t>{3, 4, 5, 6});
  CHECK_FALSE(page.complete);
  page = history.Before(kAlice, 3, 4);
  CHECK(Ids(page.messages) == std::vector<std::uint64_t>{1, 2});
  CHECK(page.complete);
  // Exactly the rest: nothing further back.
  CHECK(history.Before(kAlice, 5, 4).complete);

  const MessageHistory trimmed = Filled(4, 1, 10);
  page = trimmed.Before(kAlice, 0, 100);
  CHECK(Ids(page.messages) == std::vector<std::uint64_t>{7, 8, 9, 10});
  CHECK_FALSE(page.complete);  // 1..6 were dropped
}

}  // namespace
}  // namespace chat

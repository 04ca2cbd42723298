#include "support/flood.h"

#include <algorithm>
#include <latch>
#include <thread>

#include <catch2/catch.hpp>

namespace chat::testing {

StalledListener::StalledListener(const TestServer& server, const std::string& name, StreamRpc rpc)
    : chat(server.address()) {
  MessageResponse registered;
  REQUIRE(chat.AddUser(name, &registered).ok());
  INFO(registered.msg() + " / " + registered.session()); REQUIRE(registered.code() == MessageResponse::ADDED);
  reader = std::make_unique<StreamReader>(chat.stub(), &context, rpc);
  reader->WaitForInitialMetadata();
}

std::vector<std::uint64_t> SendTogether(const std::vector<std::unique_ptr<TestUser>>& users, int count) {
  std::latch start(static_cast<std::ptrdiff_t>(users.size()));
  std::vector<std::vector<std::uint64_t>> sent(users.size());
  std::vector<std::thread> senders;
  for (std::size_t i = 0; i < users.size(); ++i) {
    senders.emplace_back([&, i] {
      start.arrive_and_wait();
      for (int n = 0; n < count; ++n) {
        const std::string text = "n" + std::to_string(n);
        Result<std::uint64_t> id = users[i]->client().Send(text);
        while (id.status() == Status(StatusCode::kResourceExhausted, "the server is busy; try again in a moment")) {
          id = users[i]->client().Send(text);
        }
        if (id.ok()) sent[i].push_back(*id);
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  std::vector<std::uint64_t> all;
  for (const auto& ids : sent) all.insert(all.end(), ids.begin(), ids.end());
  std::sort(all.begin(), all.end());
  return all;
}

Flood FloodUntilEvicted(TestUser& sender, const std::string& name, const std::vector<TestUser*>& readers) {
  const std::string filler(3000, 'x');
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  Flood flood;
  flood.seen.resize(readers.size());
  const auto catch_up = [&] {
    for (std::size_t i = 0; i < readers.size(); ++i) {
      const std::vector<std::uint64_t> ids = ChatIds(readers[i]->ReadThrough(flood.sent.back()));
      flood.seen[i].insert(flood.seen[i].end(), ids.begin(), ids.end());
    }
  };
  do {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    flood.sent.push_back(sender.Say(filler + " " + std::to_string(flood.sent.size())));
    if (flood.sent.size() % 16 == 0) catch_up();
  } while (IsRegistered(sender.client(), name));
  catch_up();
  return flood;
}

std::vector<std::uint64_t> ChatIds(const std::vector<ChatMessage>& messages) {
  std::vector<std::uint64_t> ids;
  for (const ChatMessage& message : messages) {
    if (message.kind == MessageKind::kChat) ids.push_back(message.id);
  }
  return ids;
}

}  // namespace chat::testing

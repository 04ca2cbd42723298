#include "support/flood.h"

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

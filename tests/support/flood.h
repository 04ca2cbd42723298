// Filling up a stream that is not read, to drive the slow-consumer policy.
#ifndef CHAT_TESTS_SUPPORT_FLOOD_H_
#define CHAT_TESTS_SUPPORT_FLOOD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include "support/raw_chat.h"
#include "support/stream_reader.h"
#include "support/test_server.h"

namespace chat::testing {

// A user whose client opened its stream (Listen, or Subscribe) and then stopped reading: the client
// of somebody who walked away, or of a machine that cannot keep up.
struct StalledListener {
  StalledListener(const TestServer& server, const std::string& name, StreamRpc rpc = StreamRpc::kListen);

  RawChat chat;
  grpc::ClientContext context;
  std::unique_ptr<StreamReader> reader;
};

// What a flood sent, and what each reader saw of it.
struct Flood {
  std::vector<std::uint64_t> sent;
  std::vector<std::vector<std::uint64_t>> seen;  // the chat ids each reader got, in order
};

// Sends big messages from `sender` until the room evicts `name`. Every 16 messages it waits for
// each of `readers` to catch up, so that however loaded the machine, only a subscriber that does
// not read at all can overflow a queue of more than 16.
Flood FloodUntilEvicted(TestUser& sender, const std::string& name, const std::vector<TestUser*>& readers);

// Has each of `users` send `count` messages ("n0", "n1", ...) from a thread of its own, all
// starting together. A send answered busy (a server slowed down under a sanitizer) is sent again;
// what arrives is what the callers test. Returns the ids of the messages accepted, in order.
std::vector<std::uint64_t> SendTogether(const std::vector<std::unique_ptr<TestUser>>& users, int count);

// The ids of the chat messages among `messages`.
std::vector<std::uint64_t> ChatIds(const std::vector<ChatMessage>& messages);

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_FLOOD_H_

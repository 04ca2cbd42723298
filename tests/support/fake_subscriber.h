// A Room subscriber for tests that drive a Room without gRPC.
#ifndef CHAT_TESTS_SUPPORT_FAKE_SUBSCRIBER_H_
#define CHAT_TESTS_SUPPORT_FAKE_SUBSCRIBER_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "room/room.h"

namespace chat::testing {

// A subscriber that records what it gets. It takes `capacity` messages and then reports itself
// full, as a stream whose client stopped reading does. Thread-safe.
class FakeSubscriber final : public Subscriber {
 public:
  explicit FakeSubscriber(std::size_t capacity = std::numeric_limits<std::size_t>::max()) : capacity_(capacity) {}

  bool Deliver(const MessagePtr& message) override;
  // Fails the test when called twice: the room closes a subscriber at most once.
  void Close(const Status& reason) override;

  std::vector<std::string> texts() const;
  std::vector<std::uint64_t> ids_of(MessageKind kind) const;
  MessagePtr last() const;  // null before the first message
  std::optional<Status> close_reason() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::vector<MessagePtr> received_;    // guarded by mu_
  std::optional<Status> close_reason_;  // guarded by mu_
};

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_FAKE_SUBSCRIBER_H_

#include "support/fake_subscriber.h"

#include <catch2/catch.hpp>

namespace chat::testing {

bool FakeSubscriber::Deliver(const MessagePtr& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (received_.size() >= capacity_) return false;
  received_.push_back(message);
  return true;
}

void FakeSubscriber::Close(const Status& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  REQUIRE_FALSE(close_reason_.has_value());
  close_reason_ = reason;
}

std::vector<std::string> FakeSubscriber::texts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> texts;
  for (const MessagePtr& message : received_) texts.push_back(message->text);
  return texts;
}

std::vector<std::uint64_t> FakeSubscriber::ids_of(MessageKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::uint64_t> ids;
  for (const MessagePtr& message : received_) {
    if (message->kind == kind) ids.push_back(message->id);
  }
  return ids;
}

MessagePtr FakeSubscriber::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_.empty() ? nullptr : received_.back();
}

std::optional<Status> FakeSubscriber::close_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return close_reason_;
}

}  // namespace chat::testing

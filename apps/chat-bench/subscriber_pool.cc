#include "subscriber_pool.h"

#include <algorithm>
#include <thread>

#include "stamp.h"

namespace chat::bench {
namespace {

// Opening thousands of streams one after the other is slow; a few threads open them in parallel.
constexpr int kOpeningThreads = 8;

}  // namespace

Result<std::unique_ptr<SubscriberPool>> SubscriberPool::Open(const std::string& address, int subscribers,
                                                             int connections, int stalled) {
  std::unique_ptr<SubscriberPool> pool(new SubscriberPool());
  const int connection_count = connections > 0 ? std::min(connections, subscribers) : subscribers;
  ClientOptions options;
  options.server_address = address;
  options.rpc_timeout = std::chrono::seconds(60);
  for (int i = 0; i < connection_count; ++i) pool->connections_.push_back(std::make_unique<Client>(options));
  for (int i = 0; i < subscribers; ++i) pool->subscribers_.push_back(std::make_unique<Subscriber>());
  pool->subscriptions_.resize(static_cast<std::size_t>(subscribers));
  pool->stalled_.resize(static_cast<std::size_t>(stalled));

  std::mutex failure_mu;
  Status failure;
  std::atomic<int> next{0};
  const auto open_some = [&] {
    for (int i = next++; i < subscribers + stalled; i = next++) {
      const auto index = static_cast<std::size_t>(i);
      if (i >= subscribers) {
        Result<std::unique_ptr<StalledStream>> stream = StalledStream::Open(address);
        if (stream.ok()) pool->stalled_[index - static_cast<std::size_t>(subscribers)] = std::move(stream).value();
        continue;
      }
      Subscriber& subscriber = *pool->subscribers_[index];
      Client& client = *pool->connections_[index % static_cast<std::size_t>(connection_count)];
      Result<std::unique_ptr<Subscription>> subscription = client.Listen(
          [pool = pool.get(), &subscriber](const ChatMessage& message) { pool->OnMessage(subscriber, message); },
          [&subscriber](const Status& reason) {
            subscriber.evicted = reason.code() == StatusCode::kResourceExhausted;
            subscriber.ended = true;
          });
      if (!subscription.ok()) {
        std::lock_guard<std::mutex> lock(failure_mu);
        failure = subscription.status();
        return;
      }
      pool->subscriptions_[index] = std::move(subscription).value();
    }
  };
  std::vector<std::thread> openers;
  for (int i = 0; i < kOpeningThreads; ++i) openers.emplace_back(open_some);
  for (std::thread& opener : openers) opener.join();
  if (!failure.ok()) return failure;
  return pool;
}

SubscriberPool::~SubscriberPool() {
  subscriptions_.clear();  // stop the reactions before the counters they write go away
  stalled_.clear();
}

void SubscriberPool::OnMessage(Subscriber& subscriber, const ChatMessage& message) {
  if (message.kind != MessageKind::kChat) return;
  const std::int64_t now = NowNanos();
  if (const std::optional<std::int64_t> sent = SentNanos(message.text)) {
    latency_.Record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - *sent)) / 1000);
  }
  if (message.id <= subscriber.last_id.load(std::memory_order_relaxed)) {
    subscriber.reordered.fetch_add(1, std::memory_order_relaxed);
  } else {
    subscriber.last_id.store(message.id, std::memory_order_relaxed);
  }
  subscriber.received.fetch_add(1, std::memory_order_relaxed);
  subscriber.last_delivery_nanos.store(now, std::memory_order_relaxed);
  deliveries_.fetch_add(1, std::memory_order_relaxed);
}

bool SubscriberPool::WaitForAll(std::uint64_t id, std::chrono::milliseconds patience) const {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (const auto& subscriber : subscribers_) {
    while (!subscriber->ended && subscriber->last_id.load(std::memory_order_relaxed) < id) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return true;
}

SubscriberPool::Tally SubscriberPool::Close(std::uint64_t accepted) {
  subscriptions_.clear();  // ends every stream; no reaction runs after this
  Tally tally;
  for (const auto& subscriber : subscribers_) {
    const std::uint64_t received = subscriber->received.load();
    tally.deliveries += received;
    tally.reordered += subscriber->reordered.load();
    tally.last_delivery_nanos = std::max(tally.last_delivery_nanos, subscriber->last_delivery_nanos.load());
    if (subscriber->evicted) {
      ++tally.evicted;
    } else if (received < accepted) {
      tally.lost += accepted - received;
    }
  }
  for (auto& stream : stalled_) {
    if (stream == nullptr) continue;
    if (stream->DrainAndCheckEvicted(std::chrono::seconds(10))) ++tally.evicted;
  }
  stalled_.clear();
  tally.latency = latency_.Merged();
  return tally;
}

}  // namespace chat::bench

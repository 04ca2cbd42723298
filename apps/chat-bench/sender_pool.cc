#include "sender_pool.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "stamp.h"

namespace chat::bench {

Result<std::unique_ptr<SenderPool>> SenderPool::Start(const ClientOptions& connection, int senders, double rate,
                                                      std::size_t size) {
  std::unique_ptr<SenderPool> pool(new SenderPool(senders > 0 ? rate / senders : 0, size));
  for (int i = 0; i < senders; ++i) {
    auto client = std::make_unique<Client>(connection);
    // Unique to this process: a sender never listens, so the server keeps its name for its
    // registration grace period after the run.
    const Result<Registration> registration = client->AddUser(fmt::format("bench-{}-{}", getpid(), i));
    if (!registration.ok()) return registration.status();
    if (registration->code != RegistrationCode::kAdded) {
      return Status(StatusCode::kAlreadyExists, "cannot register a sender: " + registration->message);
    }
    pool->clients_.push_back(std::move(client));
  }
  for (auto& client : pool->clients_) pool->threads_.emplace_back(&SenderPool::Run, pool.get(), std::ref(*client));
  return pool;
}

SenderPool::~SenderPool() { Stop(); }

void SenderPool::Stop() {
  stopping_ = true;
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

Status SenderPool::first_refusal() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_refusal_;
}

void SenderPool::Run(Client& client) {
  using Clock = std::chrono::steady_clock;
  const auto interval = rate_per_sender_ > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(1.0 / rate_per_sender_))
                                             : Clock::duration::zero();
  auto next = Clock::now();
  while (!stopping_) {
    if (interval > Clock::duration::zero()) {
      next += interval;
      std::this_thread::sleep_until(next);
    }
    const Result<std::uint64_t> id = client.Send(StampedText(NowNanos(), size_));
    if (!id.ok()) {
      ++refused_;
      std::lock_guard<std::mutex> lock(mu_);
      if (first_refusal_.ok()) first_refusal_ = id.status();
      continue;
    }
    ++accepted_;
    std::uint64_t seen = last_id_.load();
    while (seen < *id && !last_id_.compare_exchange_weak(seen, *id)) {
    }
  }
}

}  // namespace chat::bench

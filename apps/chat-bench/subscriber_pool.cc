#include "subscriber_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <type_traits>

#include <fmt/format.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>

#include "chat.grpc.pb.h"
#include "client/connection.h"
#include "common/thread_annotations.h"
#include "latency_recorder.h"
#include "server_list.h"
#include "stamp.h"
#include "wire/wire.h"

namespace chat::bench {

// One subscriber: a Listen stream read one message at a time, or a Subscribe stream read one batch
// at a time. Its tags come back on its queue, one at a time (one operation in flight), to whichever
// reader thread polls that queue.
class SubscriberPool::Reader {
 public:
  enum class Step { kStarted, kAccepted, kRead, kFinished };

  // The tag of one step of one reader.
  struct Tag {
    Reader* reader;
    Step step;
  };

  virtual ~Reader() = default;

  // Advances the reader after `step` came back, recording a delivery's latency in `latency` (the
  // polling thread's own); false once it has finished for good. Each step may come back on another
  // reader thread than the last: gRPC orders them, and HandOff/TakeOver tell ThreadSanitizer so.
  bool Advance(Step step, bool ok, LatencyRecorder& latency) {
    TakeOver(this);
    switch (step) {
      case Step::kStarted:
        if (!ok) return Finish();
        HandOff(this);
        ReadInitialMetadata(&accepted_);
        return true;
      case Step::kAccepted:
        pool_->OnAccepted(ok);
        if (!ok) return Finish();
        HandOff(this);
        Read(&read_);
        return true;
      case Step::kRead:
        if (!ok) return Finish();
        OnRead(latency);
        HandOff(this);
        Read(&read_);
        return true;
      case Step::kFinished:
        evicted_ = status_.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
        ended_ = true;
        return false;
    }
    return false;
  }

  void Cancel() { context_.TryCancel(); }

  std::uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  std::uint64_t last_id() const { return last_id_.load(std::memory_order_relaxed); }
  std::uint64_t reordered() const { return reordered_; }
  std::int64_t last_delivery_nanos() const { return last_delivery_nanos_; }
  bool evicted() const { return evicted_; }
  bool ended() const { return ended_.load(); }
  // How the stream ended; valid once the pool's queues are drained.
  const grpc::Status& status() const { return status_; }

 protected:
  explicit Reader(SubscriberPool* pool) : pool_(pool) {}

  // Starts the stream's call; the derived class's constructor calls it once its stream exists.
  void StartCall() {
    HandOff(this);
    StartCall(&started_);
  }

  // The stream's operations, each completing with `tag` on the reader's queue.
  virtual void StartCall(Tag* tag) = 0;
  virtual void ReadInitialMetadata(Tag* tag) = 0;
  virtual void Read(Tag* tag) = 0;
  virtual void Finish(grpc::Status* status, Tag* tag) = 0;
  // Hands every message of what was read, in order, to OnMessage.
  virtual void OnRead(LatencyRecorder& latency) = 0;

  void OnMessage(const Message& message, std::int64_t now, LatencyRecorder& latency) {
    if (message.kind() != Message::CHAT) return;
    if (const std::optional<std::int64_t> sent = SentNanos(message.msg())) {
      latency.Record(message.id(), static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - *sent)) / 1000);
    }
    if (message.id() <= last_id_.load(std::memory_order_relaxed)) {
      ++reordered_;
    } else {
      last_id_.store(message.id(), std::memory_order_relaxed);
    }
    received_.store(received_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    last_delivery_nanos_ = now;
  }

  grpc::ClientContext context_;

 private:
  bool Finish() {
    HandOff(this);
    Finish(&status_, &finished_);
    return true;
  }

  SubscriberPool* const pool_;
  grpc::Status status_;
  Tag started_{this, Step::kStarted};
  Tag accepted_{this, Step::kAccepted};
  Tag read_{this, Step::kRead};
  Tag finished_{this, Step::kFinished};

  // Written by the reader threads, one at a time; read by the owner after the queue is drained,
  // except received_ (for deliveries()), last_id_ and ended_ (for WaitForAll()), read while they run.
  std::uint64_t reordered_ = 0;
  std::int64_t last_delivery_nanos_ = 0;
  bool evicted_ = false;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> last_id_{0};
  std::atomic<bool> ended_{false};
};

namespace {

// A Reader of one RPC: Listen (each read a Message) or Subscribe (each read a MessageBatch).
template <class Incoming>
class StreamReader final : public SubscriberPool::Reader {
 public:
  StreamReader(SubscriberPool* pool, Chat::Stub* stub, grpc::CompletionQueue* queue) : Reader(pool) {
    if constexpr (std::is_same_v<Incoming, MessageBatch>) {
      stream_ = stub->PrepareAsyncSubscribe(&context_, ListenRequest(), queue);
    } else {
      stream_ = stub->PrepareAsyncListen(&context_, ListenRequest(), queue);
    }
    Reader::StartCall();
  }

 private:
  void StartCall(Tag* tag) override { stream_->StartCall(tag); }
  void ReadInitialMetadata(Tag* tag) override { stream_->ReadInitialMetadata(tag); }
  void Read(Tag* tag) override { stream_->Read(&incoming_, tag); }
  void Finish(grpc::Status* status, Tag* tag) override { stream_->Finish(status, tag); }

  void OnRead(LatencyRecorder& latency) override {
    const std::int64_t now = NowNanos();
    if constexpr (std::is_same_v<Incoming, MessageBatch>) {
      for (const Message& message : incoming_.messages()) OnMessage(message, now, latency);
    } else {
      OnMessage(incoming_, now, latency);
    }
  }

  std::unique_ptr<grpc::ClientAsyncReader<Incoming>> stream_;
  Incoming incoming_;
};

std::unique_ptr<SubscriberPool::Reader> NewReader(SubscriberPool* pool, Chat::Stub* stub,
                                                  grpc::CompletionQueue* queue, bool batched) {
  if (batched) return std::make_unique<StreamReader<MessageBatch>>(pool, stub, queue);
  return std::make_unique<StreamReader<Message>>(pool, stub, queue);
}

}  // namespace

// Every reader, their connections, their queues and the threads that poll them.
//
// With one queue shared by every thread, gRPC's poller hands the polling role from thread to
// thread, waking one for each event. With a queue per thread, each thread polls the connections of
// its own readers and nothing is handed over; a connection's readers are always on one queue.
class SubscriberPool::Readers {
 public:
  Readers(SubscriberPool* pool, const std::string& address, const std::string& tls_root_certificates,
          int subscribers, const ReaderPolling& polling)
      : latencies_(static_cast<std::size_t>(polling.threads)) {
    const int connection_count = polling.connections > 0 ? std::min(polling.connections, subscribers) : subscribers;
    const int queue_count = polling.queue_per_thread ? polling.threads : 1;
    for (int i = 0; i < queue_count; ++i) queues_.push_back(std::make_unique<grpc::CompletionQueue>());
    const std::vector<std::string> servers = ServerList(address);
    for (int i = 0; i < connection_count; ++i) {
      stubs_.push_back(Chat::NewStub(NewConnection(ServerFor(servers, i), tls_root_certificates)));
    }
    // Connection c is on server c % servers (ServerFor), so its queue is chosen by c / servers:
    // every queue, and so every reader thread, then reads from every server, as it does from one.
    // By c % queues instead, with two servers and two threads each thread would read one node
    // only, and the copies of the node whose fan-out came later would wait for one thread while
    // the other had nothing to do.
    const int server_count = static_cast<int>(servers.size());
    for (int i = 0; i < subscribers; ++i) {
      const int connection = i % connection_count;
      readers_.push_back(NewReader(pool, stubs_[static_cast<std::size_t>(connection)].get(),
                                   queues_[static_cast<std::size_t>(connection / server_count % queue_count)].get(),
                                   polling.batched));
    }
    for (std::size_t i = 0; i < latencies_.size(); ++i) {
      grpc::CompletionQueue* queue = queues_[i % queues_.size()].get();
      LatencyRecorder* latency = &latencies_[i];
      threads_.emplace_back([this, queue, latency] { Poll(queue, *latency); });
    }
  }

  ~Readers() { Stop(); }

  // Cancels every stream, and waits until each has finished and the queue is drained; then the
  // readers' counts are final. Idempotent.
  void Stop() {
    if (threads_.empty()) return;
    for (auto& reader : readers_) reader->Cancel();
    {
      std::unique_lock<std::mutex> lock(mu_);
      all_finished_.wait(lock, [this] { return finished_ == readers_.size(); });
    }
    for (auto& queue : queues_) queue->Shutdown();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  const std::vector<std::unique_ptr<Reader>>& readers() const { return readers_; }

  // Every delivery's latency, and each message's first and last copy; complete once Stop() has
  // returned.
  LatencyRecorder MergedLatency() const {
    LatencyRecorder merged;
    for (const LatencyRecorder& latency : latencies_) merged.Merge(latency);
    return merged;
  }

 private:
  void Poll(grpc::CompletionQueue* queue, LatencyRecorder& latency) {
    void* tag = nullptr;
    bool ok = false;
    while (queue->Next(&tag, &ok)) {
      const Reader::Tag& step = *static_cast<Reader::Tag*>(tag);
      if (step.reader->Advance(step.step, ok, latency)) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (++finished_ == readers_.size()) all_finished_.notify_all();
    }
  }

  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::unique_ptr<Chat::Stub>> stubs_;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::mutex mu_;
  std::condition_variable all_finished_;
  std::size_t finished_ = 0;  // guarded by mu_
  std::vector<LatencyRecorder> latencies_;  // one per thread
  std::vector<std::thread> threads_;
};

Result<std::unique_ptr<SubscriberPool>> SubscriberPool::Open(const std::string& address,
                                                             const std::string& tls_root_certificates,
                                                             int subscribers, const ReaderPolling& polling,
                                                             int stalled) {
  std::unique_ptr<SubscriberPool> pool(new SubscriberPool());
  {
    std::lock_guard<std::mutex> lock(pool->mu_);
    pool->expected_ = static_cast<std::size_t>(subscribers);
  }
  pool->readers_ =
      std::make_unique<Readers>(pool.get(), address, tls_root_certificates, subscribers, polling);
  const std::vector<std::string> servers = ServerList(address);
  for (int i = 0; i < stalled; ++i) {
    pool->stalled_.push_back(StalledStream::Open(ServerFor(servers, i), tls_root_certificates));
  }
  std::unique_lock<std::mutex> lock(pool->mu_);
  if (!pool->all_accepted_.wait_for(lock, std::chrono::seconds(120),
                                    [&] { return pool->accepted_ + pool->refused_ == pool->expected_; })) {
    return Status(StatusCode::kDeadlineExceeded, "the server did not accept every stream within 120 s");
  }
  if (pool->refused_ > 0) {
    return Status(StatusCode::kUnavailable, fmt::format("{} of {} streams could not be opened", pool->refused_,
                                                        pool->expected_));
  }
  lock.unlock();
  return pool;
}

SubscriberPool::~SubscriberPool() = default;

void SubscriberPool::OnAccepted(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(ok ? accepted_ : refused_);
  if (accepted_ + refused_ == expected_) all_accepted_.notify_all();
}

std::uint64_t SubscriberPool::deliveries() const {
  std::uint64_t total = 0;
  for (const auto& reader : readers_->readers()) total += reader->received();
  return total;
}

void SubscriberPool::WaitForAll(std::uint64_t id, std::chrono::milliseconds patience) const {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (const auto& reader : readers_->readers()) {
    while (!reader->ended() && reader->last_id() < id) {
      if (std::chrono::steady_clock::now() >= deadline) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

SubscriberPool::Tally SubscriberPool::Close(std::uint64_t accepted) {
  Tally tally;
  const auto drained_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto& stream : stalled_) {
    if (stream->DrainAndCheckEvicted(drained_by)) ++tally.stalled_evicted;
  }
  stalled_.clear();
  readers_->Stop();
  for (const auto& reader : readers_->readers()) {
    tally.deliveries += reader->received();
    tally.reordered += reader->reordered();
    tally.last_delivery_nanos = std::max(tally.last_delivery_nanos, reader->last_delivery_nanos());
    const grpc::StatusCode code = reader->status().error_code();
    if (code != grpc::StatusCode::CANCELLED && code != grpc::StatusCode::RESOURCE_EXHAUSTED) {
      if (tally.failed++ == 0) tally.first_failure = FromGrpcStatus(reader->status());
    }
    if (reader->evicted()) {
      ++tally.evicted;
    } else if (reader->received() < accepted) {
      tally.lost += accepted - reader->received();
    }
  }
  const LatencyRecorder latency = readers_->MergedLatency();
  tally.latency = latency.deliveries();
  tally.first_copies = latency.FirstCopies();
  tally.last_copies = latency.LastCopies();
  return tally;
}

}  // namespace chat::bench

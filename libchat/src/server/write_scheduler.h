#ifndef CHAT_SRC_SERVER_WRITE_SCHEDULER_H_
#define CHAT_SRC_SERVER_WRITE_SCHEDULER_H_

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <grpcpp/alarm.h>
#include <grpcpp/server_context.h>

#include "server/operation.h"

namespace chat {

// Something with writes to start on a completion queue's thread: a Listen call.
class WriteTurn {
 public:
  // Runs on the queue's thread, once per Schedule().
  virtual void TakeTurn() = 0;

 protected:
  ~WriteTurn() = default;
};

// Starts the writes of Listen calls on one completion-queue thread.
//
// The room hands each message to every subscriber with its lock held, on the thread of whoever
// sent it. Writing there would make the sender pay for every subscriber's system call, one after
// another, under the lock. Instead a call that has a message and no write in flight asks its
// connection's scheduler for a turn (WriteSchedulers, below); the scheduler wakes its queue's
// thread once (an alarm already due) for every call that asked meanwhile, and that thread starts
// their writes. The queues' threads write in parallel, and when messages come faster than they
// leave, calls gather several before their turn and gRPC sends them together.
//
// Threading: Schedule() from any thread, also with the room's and the call's locks held (lock order
// Room, call, scheduler). mu_ guards the waiting list and the alarm.
class WriteScheduler {
 public:
  explicit WriteScheduler(grpc::ServerCompletionQueue* queue) : queue_(queue) {}

  WriteScheduler(const WriteScheduler&) = delete;
  WriteScheduler& operator=(const WriteScheduler&) = delete;

  // `call` gets a turn soon on the queue's thread. It must stay alive until then (a Listen call
  // counts its turn as an outstanding operation).
  void Schedule(WriteTurn* call);

 private:
  void OnAlarm(bool ok);

  grpc::ServerCompletionQueue* const queue_;
  std::mutex mu_;
  std::vector<WriteTurn*> waiting_;  // guarded by mu_
  bool armed_ = false;               // guarded by mu_: the alarm is set and has not come back
  grpc::Alarm alarm_;
  BoundOperation<WriteScheduler> on_alarm_{this, &WriteScheduler::OnAlarm};
};

// A scheduler per completion queue, and which one a connection's streams write from.
//
// gRPC serialises the work of one connection (its transport's combiner): when two threads start
// writes on streams of one connection at once, one of them waits for the other or hands its work
// to gRPC's executor threads, a wake-up more. So every stream of one connection, whichever queue
// its call arrived on, takes its turns from the same scheduler. A connection's first stream picks
// the scheduler that has the fewest streams then (a hash of the peer would leave the threads
// unevenly loaded, and the busier one's last write later); its later streams follow it while any
// of its streams is open.
//
// Threading: Add() before any call uses the set; Assign() and Release() from any thread after
// that, under no other lock of the server's. mu_ guards the assignments and counts.
class WriteSchedulers {
 public:
  WriteSchedulers() = default;
  WriteSchedulers(const WriteSchedulers&) = delete;
  WriteSchedulers& operator=(const WriteSchedulers&) = delete;

  void Add(grpc::ServerCompletionQueue* queue);

  // The scheduler for a new stream of the connection `peer` (ServerContext::peer()). At least one
  // scheduler must have been added. Every Assign() is matched by one Release() of the same peer
  // when the stream's call ends.
  WriteScheduler* Assign(const std::string& peer);
  void Release(const std::string& peer);

 private:
  struct Assignment {
    std::size_t scheduler = 0;
    std::size_t streams = 0;
  };

  std::vector<std::unique_ptr<WriteScheduler>> schedulers_;
  std::mutex mu_;
  std::unordered_map<std::string, Assignment> connections_;  // guarded by mu_; connections with streams
  std::vector<std::size_t> streams_;                         // guarded by mu_; per scheduler
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_WRITE_SCHEDULER_H_

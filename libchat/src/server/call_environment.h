#ifndef CHAT_SRC_SERVER_CALL_ENVIRONMENT_H_
#define CHAT_SRC_SERVER_CALL_ENVIRONMENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include <grpcpp/server_context.h>

#include "chat.grpc.pb.h"
#include "chat/server.h"
#include "health.grpc.pb.h"
#include "backend/room_backend.h"
#include "server/busy_gate.h"
#include "server/health/health_status.h"
#include "server/metrics/call_metrics.h"
#include "server/write_scheduler.h"

namespace chat {

// Every RPC is served raw (as ByteBuffers): the call objects parse requests and serialize answers
// themselves, so that a request gRPC cannot parse (a string that is not UTF-8, say) is answered
// INVALID_ARGUMENT by the server instead of INTERNAL by gRPC.
using ChatService = Chat::WithRawMethod_SendMessage<Chat::WithRawMethod_Listen<Chat::WithRawMethod_AddUser<
    Chat::WithRawMethod_ListUsers<Chat::WithRawMethod_History<Chat::WithRawMethod_Leave<
        Chat::WithRawMethod_Subscribe<Chat::Service>>>>>>>;

// grpc.health.v1.Health, served raw the same way (health_check_call.h, health_watch_call.h).
using HealthService = grpc::health::v1::Health::WithRawMethod_Check<
    grpc::health::v1::Health::WithRawMethod_Watch<grpc::health::v1::Health::Service>>;

// Counters the call objects keep for Server::stats().
struct CallCounters {
  std::atomic<std::uint64_t> calls{0};       // calls arrived, of every RPC
  // Listen and Subscribe both count here: they are one kind of stream (listen_call.h).
  std::atomic<std::uint64_t> deliveries{0};  // messages written to streams (each message of a batch)
  std::atomic<std::size_t> listen_calls{0};  // Listen and Subscribe calls arrived and not yet freed
  std::atomic<std::int64_t> queued_messages{0};  // in the streams' live queues, all together
};

// What every call object on one completion queue works with. All pointers outlive every call
// object: the server frees them only after its completion queues are drained.
struct CallEnvironment {
  ChatService* service;
  HealthService* health;
  HealthStatus* health_status;
  grpc::ServerCompletionQueue* queue;
  RoomBackend* backend;
  const ServerOptions* options;
  CallCounters* counters;
  WriteSchedulers* schedulers;  // one per queue; a stream writes from its connection's
  BusyGate* busy_gate;
  CallMetrics* metrics;  // of this queue
};

// The service object a RequestX member function is to be called on: the chat service or the
// health service, whichever of them has it among its base classes.
template <class Base, class Return, class... Args>
Base* ServiceFor(const CallEnvironment& env, Return (Base::*)(Args...)) {
  if constexpr (std::is_base_of_v<Base, ChatService>) {
    return env.service;
  } else {
    static_assert(std::is_base_of_v<Base, HealthService>, "a request method of neither service");
    return env.health;
  }
}

}  // namespace chat

#endif  // CHAT_SRC_SERVER_CALL_ENVIRONMENT_H_

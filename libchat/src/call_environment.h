#ifndef CHAT_SRC_CALL_ENVIRONMENT_H_
#define CHAT_SRC_CALL_ENVIRONMENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <grpcpp/server_context.h>

#include "chat.grpc.pb.h"
#include "chat/server.h"
#include "room.h"
#include "write_scheduler.h"

namespace chat {

// Every RPC is served raw (as ByteBuffers): the call objects parse requests and serialize answers
// themselves, so that a request gRPC cannot parse (a string that is not UTF-8, say) is answered
// INVALID_ARGUMENT by the server instead of INTERNAL by gRPC.
using ChatService = Chat::WithRawMethod_SendMessage<
    Chat::WithRawMethod_Listen<Chat::WithRawMethod_AddUser<Chat::WithRawMethod_ListUsers<Chat::Service>>>>;

// Counters the call objects keep for Server::stats().
struct CallCounters {
  std::atomic<std::uint64_t> calls{0};       // calls arrived, of every RPC
  std::atomic<std::uint64_t> deliveries{0};  // messages written to Listen streams
  std::atomic<std::size_t> listen_calls{0};  // Listen calls arrived and not yet freed
};

// What every call object on one completion queue works with. All pointers outlive every call
// object: the server frees them only after its completion queues are drained.
struct CallEnvironment {
  ChatService* service;
  grpc::ServerCompletionQueue* queue;
  Room* room;
  const ServerOptions* options;
  CallCounters* counters;
  WriteScheduler* scheduler;  // of this queue
};

}  // namespace chat

#endif  // CHAT_SRC_CALL_ENVIRONMENT_H_

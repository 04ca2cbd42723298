// The poller of chat-bench's own gRPC.
//
// gRPC picks its poller from GRPC_POLL_STRATEGY when it starts, epoll1 by default. With epoll1,
// the threads that wait on a completion queue take turns at epoll_wait and hand events to each
// other, a wake-up for each; with poll(2) each waiting thread polls for itself. For chat-bench's
// load (a few reader threads over a hundred connections and more) poll was measured to cost a
// third of the wake-ups and less CPU per delivery (docs/benchmarks.md, "Levers"), so chat-bench
// uses it, unless the environment names a poller. The chat-server it starts keeps gRPC's default,
// as its users run it.
#ifndef CHAT_APPS_CHAT_BENCH_LOAD_POLLER_H_
#define CHAT_APPS_CHAT_BENCH_LOAD_POLLER_H_

#include <vector>

namespace chat::bench {

// Sets GRPC_POLL_STRATEGY=poll for this process unless it is set already. Call first in main(),
// before anything starts gRPC, and before any other thread runs.
void ChoosePollerForLoad();

// This process's environment for a chat-server child: without the GRPC_POLL_STRATEGY that
// ChoosePollerForLoad() set, with one the user set. Null-terminated; valid until the environment
// changes.
std::vector<char*> ServerEnvironment();

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_LOAD_POLLER_H_

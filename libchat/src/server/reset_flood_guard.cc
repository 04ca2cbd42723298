#include "server/reset_flood_guard.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpc/grpc.h>
#include <grpc/support/alloc.h>
#include <spdlog/spdlog.h>

#include "channelz_view.pb.h"
#include "room/source_address.h"

namespace chat {
namespace {

// A channelz answer (JSON, in a string that gpr_free frees) as `Answer`, or nothing when there was
// none (an id that no longer exists) or it did not parse.
template <class Answer>
std::optional<Answer> ParseChannelz(char* json) {
  if (json == nullptr) return std::nullopt;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  Answer answer;
  const bool ok = google::protobuf::util::JsonStringToMessage(json, &answer, options).ok();
  gpr_free(json);
  if (!ok) return std::nullopt;
  return answer;
}

// Every server of this process, page by page.
template <class Each>
void ForEachServer(Each each) {
  std::int64_t start = 0;
  while (const std::optional<channelz::ServerPage> page = ParseChannelz<channelz::ServerPage>(
             grpc_channelz_get_servers(start))) {
    for (const channelz::Server& server : page->server()) {
      start = std::max(start, server.ref().server_id() + 1);
      each(server);
    }
    if (page->end() || page->server().empty()) return;
  }
}

// Every connection of server `server_id`, page by page.
template <class Each>
void ForEachSocketOf(std::int64_t server_id, Each each) {
  std::int64_t start = 0;
  while (const std::optional<channelz::SocketRefPage> page = ParseChannelz<channelz::SocketRefPage>(
             grpc_channelz_get_server_sockets(server_id, start, 0))) {
    for (const channelz::SocketRef& socket : page->socket_ref()) {
      start = std::max(start, socket.socket_id() + 1);
      each(socket.socket_id());
    }
    if (page->end() || page->socket_ref().empty()) return;
  }
}

// "chttp2 ipv4:203.0.113.7:50123" (channelz's name of a connection) -> "ipv4:203.0.113.7:50123".
std::string PeerOfSocketName(const std::string& name) {
  const std::size_t space = name.find(' ');
  return space == std::string::npos ? name : name.substr(space + 1);
}

}  // namespace

ResetFloodGuard::ResetFloodGuard(const Options& options, Acceptor* acceptor) : options_(options), acceptor_(acceptor) {
  if (options_.max_reset_rate > 0) thread_ = std::thread([this] { Loop(); });
}

ResetFloodGuard::~ResetFloodGuard() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ResetFloodGuard::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_cv_.wait_for(lock, kTick, [this] { return stopping_; })) {
    lock.unlock();
    Check(std::chrono::steady_clock::now());
    lock.lock();
  }
}

void ResetFloodGuard::Check(Time now) {
  ++tick_;
  std::unordered_map<std::int64_t, std::uint64_t> unanswered;
  std::vector<std::int64_t> to_read;
  ForEachServer([&](const channelz::Server& server) {
    const std::int64_t id = server.ref().server_id();
    const auto now_unanswered =
        static_cast<std::uint64_t>(server.data().calls_started() - server.data().calls_succeeded());
    const auto before = unanswered_.find(id);
    const std::uint64_t previous = before == unanswered_.end() ? 0 : before->second;
    // Fewer than before when long calls (Listen streams) ended answered since.
    const std::uint64_t started = now_unanswered > previous ? now_unanswered - previous : 0;
    if (2 * static_cast<double>(started) > options_.max_reset_burst) to_read.push_back(id);
    unanswered[id] = now_unanswered;
  });
  unanswered_ = std::move(unanswered);
  for (const std::int64_t id : to_read) ChargeConnectionsOf(id, now);
  std::erase_if(connections_, [this](const auto& connection) { return connection.second.tick + 1 < tick_; });
  std::erase_if(buckets_, [now](const auto& bucket) { return bucket.second.FullAt() <= now; });
}

void ResetFloodGuard::ChargeConnectionsOf(std::int64_t server_id, Time now) {
  std::map<std::string, std::uint64_t> resets_by_source;
  bool ours = true;
  ForEachSocketOf(server_id, [&](std::int64_t id) {
    if (!ours) return;
    const std::optional<channelz::SocketAnswer> answer =
        ParseChannelz<channelz::SocketAnswer>(grpc_channelz_get_socket(id));
    if (!answer) return;  // closed meanwhile
    const channelz::Socket& socket = answer->socket();
    if (socket.local().tcpip_address().port() != acceptor_->port()) {
      ours = false;  // another server of this process
      return;
    }
    const auto resets = static_cast<std::uint64_t>(socket.data().streams_failed());
    Connection& connection = connections_[id];
    if (connection.tick + 1 == tick_) {
      resets_by_source[SourceAddress(PeerOfSocketName(socket.ref().name()))] += resets - connection.resets;
    }
    connection = Connection{resets, tick_};
  });
  for (const auto& [source, resets] : resets_by_source) {
    if (resets == 0) continue;
    auto bucket = buckets_.try_emplace(source, options_.max_reset_rate, options_.max_reset_burst, now).first;
    if (bucket->second.TryTake(now, static_cast<double>(resets))) continue;
    const std::size_t shut_down = acceptor_->HoldOff(source, now + options_.hold);
    spdlog::warn("held off {} for {} s: its clients cancelled {} calls in {} ms, more than {} per second allow "
                 "(bursts of {}); {} connections closed",
                 source, std::chrono::duration<double>(options_.hold).count(), resets, kTick.count(),
                 options_.max_reset_rate, options_.max_reset_burst, shut_down);
  }
}

}  // namespace chat

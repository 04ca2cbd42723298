#include "server/reset_flood_guard.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpc/grpc.h>
#include <grpc/support/alloc.h>
#include <spdlog/spdlog.h>

#include "room/source_address.h"

namespace chat {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;

// channelz answers in JSON (the channelz proto's JSON form), in a string that gpr_free frees.
std::optional<Struct> ParseChannelz(char* json) {
  if (json == nullptr) return std::nullopt;
  Struct parsed;
  const bool ok = google::protobuf::util::JsonStringToMessage(json, &parsed).ok();
  gpr_free(json);
  if (!ok) return std::nullopt;
  return parsed;
}

const Struct* Object(const Struct& object, const std::string& key) {
  const auto field = object.fields().find(key);
  return field == object.fields().end() || !field->second.has_struct_value() ? nullptr : &field->second.struct_value();
}

const ListValue* List(const Struct& object, const std::string& key) {
  const auto field = object.fields().find(key);
  return field == object.fields().end() || !field->second.has_list_value() ? nullptr : &field->second.list_value();
}

// A channelz count or id: int64 fields are JSON strings, and a count of 0 is left out.
std::uint64_t Number(const Struct* object, const std::string& key) {
  if (object == nullptr) return 0;
  const auto field = object->fields().find(key);
  if (field == object->fields().end()) return 0;
  if (field->second.has_number_value()) return static_cast<std::uint64_t>(field->second.number_value());
  const std::string& text = field->second.string_value();
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// Pages through one of channelz's lists: `page(start)` answers the entries from id `start` on and
// whether that was the end; `each` sees every entry. `ref` names the entry's reference ("ref" for
// servers, none for socket references) and `id` its id field.
template <class Page, class Each>
void ForEachEntry(Page page, const std::string& list, const std::string& ref, const std::string& id, Each each) {
  std::int64_t start = 0;
  while (true) {
    const std::optional<Struct> answer = ParseChannelz(page(start));
    if (!answer) return;
    const ListValue* entries = List(*answer, list);
    if (entries == nullptr || entries->values().empty()) return;
    for (const auto& entry : entries->values()) {
      const Struct& object = entry.struct_value();
      const std::int64_t entry_id = static_cast<std::int64_t>(Number(ref.empty() ? &object : Object(object, ref), id));
      start = std::max(start, entry_id + 1);
      each(entry_id, object);
    }
    const auto end = answer->fields().find("end");
    if (end != answer->fields().end() && end->second.bool_value()) return;
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
  ForEachEntry([](std::int64_t start) { return grpc_channelz_get_servers(start); }, "server", "ref", "serverId",
               [&](std::int64_t id, const Struct& server) {
                 const Struct* data = Object(server, "data");
                 const std::uint64_t now_unanswered = Number(data, "callsStarted") - Number(data, "callsSucceeded");
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
  ForEachEntry([server_id](std::int64_t start) { return grpc_channelz_get_server_sockets(server_id, start, 0); },
               "socketRef", "", "socketId", [&](std::int64_t id, const Struct&) {
                 if (!ours) return;
                 const std::optional<Struct> answer = ParseChannelz(grpc_channelz_get_socket(id));
                 const Struct* socket = answer ? Object(*answer, "socket") : nullptr;
                 if (socket == nullptr) return;  // closed meanwhile
                 const Struct* local = Object(*socket, "local");
                 if (Number(local != nullptr ? Object(*local, "tcpip_address") : nullptr, "port") !=
                     static_cast<std::uint64_t>(acceptor_->port())) {
                   ours = false;  // another server of this process
                   return;
                 }
                 const std::uint64_t resets = Number(Object(*socket, "data"), "streamsFailed");
                 Connection& connection = connections_[id];
                 if (connection.tick + 1 == tick_) {
                   const Struct* ref = Object(*socket, "ref");
                   const std::string name = ref != nullptr && ref->fields().contains("name")
                                                ? ref->fields().at("name").string_value()
                                                : std::string();
                   resets_by_source[SourceAddress(PeerOfSocketName(name))] += resets - connection.resets;
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

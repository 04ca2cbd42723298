#include "backend/redis/redis_backend.h"

#include <algorithm>
#include <future>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backend/redis/log_record.h"
#include "backend/redis/redis_scripts.h"
#include "chat/rules.h"
#include "room/session_token.h"
#include "room/source_address.h"

namespace chat {
namespace {

using namespace redis_scripts;  // NOLINT: the scripts, by their names

constexpr char kSeparator = '\x1f';

// What a node's streams get in place of ids `first` to `last`, which it could not read: trimmed
// from the log before it read them, or lost with Redis's data.
ChatMessage MissedMessages(std::uint64_t first, std::uint64_t last) {
  ChatMessage gap;
  gap.id = last;
  gap.kind = MessageKind::kGap;
  gap.server_time = std::chrono::system_clock::now();
  gap.text = first == last ? fmt::format("message #{} of the room was missed here: the room's store no longer had it",
                                         first)
                           : fmt::format("messages #{} to #{} of the room were missed here: the room's store no longer "
                                         "had them",
                                         first, last);
  return gap;
}

// The scripts that call forget_source, each with it in front (redis_scripts.h), put together once.
struct SourceCountingScripts {
  std::string claim = WithForgetSource(kClaimScript);
  std::string release = WithForgetSource(kReleaseScript);
  std::string resume = WithForgetSource(kResumeScript);
};
const SourceCountingScripts& SourceCounting() {
  static const SourceCountingScripts scripts;
  return scripts;
}

// A name's value's fields: participant, node, name, claim, session token (redis_scripts.h).
std::vector<std::string_view> Fields(std::string_view value) {
  std::vector<std::string_view> fields;
  for (std::size_t end = value.find(kSeparator);; end = value.find(kSeparator)) {
    fields.push_back(value.substr(0, end));
    if (end == std::string_view::npos) break;
    value.remove_prefix(end + 1);
  }
  return fields;
}

Status Unexpected(const RedisValue& value) {
  return Status(StatusCode::kInternal,
                fmt::format("the room's store answered something unexpected{}{}",
                            value.type == RedisValue::Type::kError ? ": " : "", value.text));
}

// The answer's integer when it is a positive one, else 0. Out of line: GCC 12 takes the optional
// inside a Result for uninitialized when such a test is inlined into a lambda.
[[gnu::noinline]] std::int64_t PositiveInteger(const Result<RedisValue>& answer) {
  if (!answer.ok() || answer->type != RedisValue::Type::kInteger) return 0;
  return std::max<std::int64_t>(answer->integer, 0);
}

// The claim field of a name's value.
std::string_view ClaimSerial(std::string_view value) {
  const std::vector<std::string_view> fields = Fields(value);
  return fields.size() == 5 ? fields[3] : std::string_view();
}

// The key of a session token (session_token.h): its first 32 hex digits.
std::string SessionKey(const std::string& token) { return token.substr(0, 32); }

// Waits for one answer of Redis, for Open(): the connection answers every command, in time or with
// UNAVAILABLE, so this never waits longer than its timeouts.
Result<RedisValue> Await(RedisLog& log, std::string_view script, std::vector<std::string> keys,
                         std::vector<std::string> args) {
  auto answer = std::make_shared<std::promise<Result<RedisValue>>>();
  std::future<Result<RedisValue>> future = answer->get_future();
  log.Run(script, std::move(keys), std::move(args),
          [answer](Result<RedisValue> reply) { answer->set_value(std::move(reply)); });
  return future.get();
}

}  // namespace

RedisBackend::RedisBackend(RedisBackendOptions options)
    : options_(std::move(options)),
      names_key_(options_.prefix + ":names"),
      nodes_key_(options_.prefix + ":nodes"),
      lease_key_(options_.prefix + ":node:" + options_.node_name),
      node_names_key_(options_.prefix + ":node-names:" + options_.node_name),
      sessions_key_(options_.prefix + ":sessions") {
  RedisLogOptions log;
  log.endpoint = options_.endpoint;
  log.prefix = options_.prefix;
  log.max_entries = options_.log_entries;
  log.connection = options_.connection;
  log_ = std::make_unique<RedisLog>(std::move(log));
}

Result<std::unique_ptr<RedisBackend>> RedisBackend::Open(RoomOptions room, RedisBackendOptions options) {
  if (options.node_name.empty() || options.node_name.find(kSeparator) != std::string::npos) {
    return Status(StatusCode::kInvalidArgument, "the node name must not be empty");
  }
  std::unique_ptr<RedisBackend> backend(new RedisBackend(std::move(options)));
  RedisBackend& self = *backend;
  Result<RedisValue> joined =
      Await(*self.log_, WithFreeNode(kJoinScript),
            {self.nodes_key_, self.options_.prefix + ":node-numbers", self.lease_key_, self.names_key_},
            {self.options_.node_name, std::to_string(self.options_.lease.count()), self.options_.prefix});
  if (!joined.ok()) return joined.status();
  if (joined->type == RedisValue::Type::kError && joined->text.rfind("NODE ", 0) == 0) {
    return Status(StatusCode::kAlreadyExists,
                  fmt::format("a node named {} is alive in the room's store; give this one another --node-name, or "
                              "wait {} s for the old one's lease to run out",
                              self.options_.node_name, self.options_.lease.count() / 1000));
  }
  if (joined->type != RedisValue::Type::kArray || joined->elements.size() != 3 ||
      joined->elements[0].type != RedisValue::Type::kInteger) {
    return Unexpected(*joined);
  }
  const auto number = static_cast<std::uint64_t>(joined->elements[0].integer);
  const std::uint64_t last_id = std::stoull(joined->elements[1].text.empty() ? "0" : joined->elements[1].text);
  std::vector<Room::SharedName> names;
  for (const RedisValue& value : joined->elements[2].elements) {
    const std::vector<std::string_view> fields = Fields(value.text);
    if (fields.size() != 5) continue;
    names.push_back(Room::SharedName{std::string(fields[2]), std::stoull(std::string(fields[0]))});
  }

  self.room_max_users_ = room.max_users;
  self.room_max_names_per_address_ = room.max_names_per_address;
  self.room_max_streams_ = room.max_streams;
  self.room_max_streams_per_address_ = room.max_streams_per_address;
  room.participant_base = number << 32;
  room.first_id = last_id + 1;
  room.ledger = &self;
  // The timer runs its task only once the room asked it to, so the room exists by then.
  self.expiry_timer_ = std::make_unique<DeadlineTimer>([&self] { return self.room_->ExpireDeadlines(); });
  room.on_deadline = [&self](SteadyTime deadline) { self.expiry_timer_->RunBy(deadline); };
  self.room_ = std::make_unique<Room>(std::move(room));
  self.room_->AdoptNames(names);
  self.log_->Follow(
      last_id, [&self](std::vector<RedisLogEntry> entries, bool gap) { self.OnEntries(std::move(entries), gap); },
      [&self](const Status& status) { self.OnStoreHealth(status); });
  self.tick_timer_ = std::make_unique<DeadlineTimer>([&self]() -> std::optional<SteadyTime> {
    self.Tick();
    return std::chrono::steady_clock::now() + self.options_.tick;
  });
  self.tick_timer_->RunBy(std::chrono::steady_clock::now() + self.options_.tick);
  spdlog::info("joined the room in Redis at {}:{} as node {} (number {}), after message #{}, with {} names",
               self.options_.endpoint.host, self.options_.endpoint.port, self.options_.node_name, number, last_id,
               names.size());
  return backend;
}

RedisBackend::~RedisBackend() {
  tick_timer_.reset();
  log_->Stop();
  // Its task reads room_, and reaches expiry_timer_ through the room's on_deadline: stopped before
  // the pointer changes.
  if (expiry_timer_ != nullptr) expiry_timer_->Stop();
  expiry_timer_.reset();
}

void RedisBackend::Register(const Caller& caller, std::string_view name, Reply<Registration> reply) {
  Result<Room::RegisterPlan> plan = room_->PlanRegister(caller, name);
  if (!plan.ok()) return reply(plan.status());
  if (plan->answer) return reply(*std::move(plan->answer));
  Room::NameClaim claim = std::move(plan->claim);
  const std::string folded = FoldUsername(claim.name);
  std::uint64_t serial = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    serial = ++last_claim_;
  }
  const std::string value = fmt::format("{1}{0}{2}{0}{3}{0}{4}{0}{5}", kSeparator, claim.participant,
                                        options_.node_name, claim.name, serial, claim.session);
  const std::string session_key = SessionKey(claim.session);
  const std::string source = SourceAddress(caller.peer);
  LogRecord notice;
  notice.participant = claim.participant;
  notice.message.from = claim.name;
  notice.message.server_time = std::chrono::system_clock::now();
  if (claim.old_name.empty()) {
    notice.message.kind = MessageKind::kJoin;
    notice.message.text = fmt::format("{} joined", claim.name);
  } else {
    notice.message.kind = MessageKind::kNotice;
    notice.message.text = fmt::format("{} is now known as {}", claim.old_name, claim.name);
    notice.old_name = claim.old_name;
  }
  std::vector<std::string> args{folded,
                                std::to_string(claim.participant),
                                value,
                                claim.old_name.empty() ? std::string() : FoldUsername(claim.old_name),
                                std::to_string(room_max_users_),
                                EncodeLogRecord(notice),
                                session_key,
                                std::to_string(room_max_names_per_address_),
                                options_.prefix,
                                source};
  std::vector<std::string> keys = {names_key_, node_names_key_, sessions_key_,
                                   options_.prefix + ":address-names:" + source};
  log_->Run(SourceCounting().claim, std::move(keys), std::move(args),
            [this, caller, claim = std::move(claim), folded, value, session_key,
             reply = std::move(reply)](Result<RedisValue> answer) {
              // A refusal forgets the participant PlanRegister made, as the room's own refusals do.
              const auto refuse = [&](Result<Registration> answer_to_caller) {
                room_->AbandonPlan(caller);
                reply(std::move(answer_to_caller));
              };
              if (!answer.ok()) return refuse(ClosedOr(answer.status()));
              if (answer->type != RedisValue::Type::kArray || answer->elements.size() != 2) {
                return refuse(Unexpected(*answer));
              }
              const RedisValue& code = answer->elements[0];
              const RedisValue& detail = answer->elements[1];
              if (code.integer == 0) {
                return refuse(Registration{RegistrationCode::kTaken,
                                           fmt::format("{} is taken; choose another name", detail.text), {}});
              }
              if (code.integer == 2) {
                return refuse(Status(StatusCode::kResourceExhausted,
                                     fmt::format("the room is full ({} users); try again later", room_max_users_)));
              }
              if (code.integer == 3) {
                return refuse(Status(StatusCode::kResourceExhausted,
                                     fmt::format("your address holds {} names, the most it may",
                                                 room_max_names_per_address_)));
              }
              log_->RaiseFloor(static_cast<std::uint64_t>(detail.integer));
              const Claim granted{folded, value, session_key};
              std::optional<Claim> replaced = SwapClaim(claim.participant, granted);
              Result<Registration> bound = room_->BindClaimed(caller, claim);
              if (!bound.ok()) {
                // Granted in Redis, but not taken here (another AddUser of the caller's came first):
                // the claim it replaced is still the caller's, and this one goes back, with the
                // notice it owes.
                const std::optional<Claim> ours = SwapClaim(claim.participant, std::move(replaced));
                if (ours && ours->value != granted.value) SwapClaim(claim.participant, ours);  // a newer one
                ChatMessage leave;
                leave.kind = MessageKind::kLeave;
                leave.from = claim.name;
                leave.text = fmt::format("{} left", claim.name);
                leave.server_time = std::chrono::system_clock::now();
                SendRelease(PendingRelease{folded, value,
                                           EncodeLogRecord(LogRecord{std::move(leave), {}, claim.participant, {}, {}}),
                                           session_key});
                room_->AbandonPlan(caller);
              }
              reply(std::move(bound));
            });
}

std::optional<RedisBackend::Claim> RedisBackend::SwapClaim(std::uint64_t participant, std::optional<Claim> claim) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<Claim> replaced;
  if (const auto found = claims_.find(participant); found != claims_.end()) {
    replaced = std::move(found->second);
    claims_.erase(found);
  }
  if (claim) claims_.emplace(participant, std::move(*claim));
  return replaced;
}

void RedisBackend::Post(const Caller& caller, std::string_view claimed_name, std::string_view text,
                        Reply<std::uint64_t> reply) {
  Result<Room::Outgoing> outgoing = room_->CheckPost(caller, claimed_name, text);
  if (!outgoing.ok()) return reply(outgoing.status());
  LogRecord record{std::move(outgoing->message), outgoing->audience, 0, {}, {}};
  if (record.message.kind != MessageKind::kDirect) {
    log_->Append(EncodeLogRecord(record), [this, reply = std::move(reply)](Result<std::uint64_t> id) {
      reply(id.ok() ? id : ClosedOr(id.status()));
    });
    return;
  }
  DirectTemplate direct = EncodeDirectTemplate(record);
  std::vector<std::string> args{FoldUsername(record.message.to), std::move(direct.head), std::move(direct.middle),
                                std::move(direct.tail)};
  log_->Run(kDirectScript, {names_key_}, std::move(args),
            [this, recipient = record.message.to, reply = std::move(reply)](Result<RedisValue> answer) {
              if (!answer.ok()) return reply(ClosedOr(answer.status()));
              if (answer->type != RedisValue::Type::kArray || answer->elements.empty()) {
                return reply(Unexpected(*answer));
              }
              const std::int64_t id = answer->elements[0].integer;
              if (id <= 0) return reply(Status(StatusCode::kNotFound, fmt::format("no such user: {}", recipient)));
              log_->RaiseFloor(static_cast<std::uint64_t>(id));
              reply(static_cast<std::uint64_t>(id));
            });
}

void RedisBackend::Subscribe(const Caller& caller, Subscriber* subscriber, ListenFrom from, Reply<std::size_t> reply) {
  // A token this node does not know may be of a session another node holds or held.
  const std::optional<SessionToken> token = caller.session ? ParseSessionToken(*caller.session) : std::nullopt;
  if (token && room_->CheckSession(caller).code() == StatusCode::kUnauthenticated) {
    const std::optional<std::uint64_t> request = HoldBack(caller, subscriber, from, reply);
    if (!request) return;
    std::uint64_t serial = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      serial = ++last_claim_;
    }
    log_->Run(SourceCounting().resume, {names_key_, sessions_key_, node_names_key_},
              {token->key, token->text, options_.node_name, std::to_string(serial), options_.prefix,
               SourceAddress(caller.peer)},
              [this, request = *request](Result<RedisValue> answer) { OnResume(request, std::move(answer)); });
    return;
  }
  // Both fields set, or nothing beyond what this node has read: the room answers at once.
  if (from.history > 0 || from.after_id <= room_->last_id()) {
    std::lock_guard<std::mutex> lock(held_mu_);
    reply(room_->Subscribe(caller, subscriber, from));
    return;
  }
  // Beyond what this node has read: held back until it has, if Redis gave that id.
  const std::uint64_t after_id = from.after_id;
  const std::optional<std::uint64_t> request = HoldBack(caller, subscriber, from, reply);
  if (!request) return;
  if (after_id <= log_->floor()) return WaitUntilRead(*request, after_id);  // appended here
  log_->Run(kLastIdScript, {}, {}, [this, request = *request, after_id](Result<RedisValue> answer) {
    OnLastId(request, after_id, std::move(answer));
  });
}

std::optional<std::uint64_t> RedisBackend::HoldBack(const Caller& caller, Subscriber* subscriber, ListenFrom from,
                                                    Reply<std::size_t>& reply) {
  std::lock_guard<std::mutex> lock(held_mu_);
  std::string source = SourceAddress(caller.peer);
  std::size_t& held = held_by_source_[source];
  if (held >= room_max_streams_per_address_ || held_.size() >= room_max_streams_) {
    if (held == 0) held_by_source_.erase(source);
    reply(Status(StatusCode::kResourceExhausted,
                 held_.size() >= room_max_streams_
                     ? fmt::format("the server has {} streams waiting to be subscribed, the most it may; try again later",
                                   room_max_streams_)
                     : fmt::format("your address has {} streams waiting to be subscribed, the most it may",
                                   room_max_streams_per_address_)));
    return std::nullopt;
  }
  ++held;
  const std::uint64_t request = ++last_request_;
  held_.emplace(request, HeldStream{subscriber, caller, from, std::move(reply), std::nullopt, std::move(source)});
  return request;
}

std::unordered_map<std::uint64_t, RedisBackend::HeldStream>::iterator RedisBackend::ForgetHeldLocked(
    std::unordered_map<std::uint64_t, HeldStream>::iterator held) {
  if (const auto source = held_by_source_.find(held->second.source); source != held_by_source_.end()) {
    if (--source->second == 0) held_by_source_.erase(source);
  }
  return held_.erase(held);
}

void RedisBackend::WaitUntilRead(std::uint64_t request, std::uint64_t read_to) {
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    const auto found = held_.find(request);
    if (found == held_.end()) return;
    found->second.read_to = read_to;
  }
  SubscribeHeldReadFarEnough();
}

// On the writer's thread.
void RedisBackend::OnLastId(std::uint64_t request, std::uint64_t after_id, Result<RedisValue> answer) {
  if (!answer.ok()) return EndHeld(request, ClosedOr(answer.status()));
  std::uint64_t last = 0;
  if (answer->type == RedisValue::Type::kString) {
    last = std::strtoull(answer->text.c_str(), nullptr, 10);
  } else if (answer->type != RedisValue::Type::kNil) {
    return EndHeld(request, Unexpected(*answer));
  }
  if (after_id > last) return EndHeld(request, AfterIdBeyondLatest(after_id, last));
  WaitUntilRead(request, after_id);
}

// On the writer's thread. A session Redis moved here is taken over even when its stream ended
// meanwhile, so that it is held and freed here like any other (rather than left in Redis with
// nobody to free it).
void RedisBackend::OnResume(std::uint64_t request, Result<RedisValue> answer) {
  std::optional<Caller> caller;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    const auto found = held_.find(request);
    if (found == held_.end()) return;  // answered by Close()
    caller = found->second.caller;
  }
  if (!answer.ok()) return EndHeld(request, ClosedOr(answer.status()));
  const std::vector<RedisValue>& moved = answer->elements;
  if (answer->type != RedisValue::Type::kArray || moved.empty()) return EndHeld(request, Unexpected(*answer));
  if (moved[0].integer != 1 || moved.size() != 5) {
    // No name holds that session: the room answers UNAUTHENTICATED, as for any unknown token.
    std::lock_guard<std::mutex> lock(held_mu_);
    const auto found = held_.find(request);
    if (found == held_.end()) return;
    if (found->second.subscriber != nullptr) {
      found->second.reply(room_->Subscribe(found->second.caller, found->second.subscriber, found->second.from));
    }
    ForgetHeldLocked(found);
    return;
  }
  const std::uint64_t participant = std::stoull(moved[1].text);
  const std::string& name = moved[2].text;
  const auto moved_at = static_cast<std::uint64_t>(moved[4].integer);
  log_->RaiseFloor(moved_at);
  const Claim claim{FoldUsername(name), moved[3].text, SessionKey(*caller->session)};
  SwapClaim(participant, claim);
  if (Status adopted = room_->AdoptSession(*caller, Room::MovedSession{participant, name}); !adopted.ok()) {
    // Somebody here holds that name (the room's copy of who holds what is behind Redis's): the
    // session cannot come here, so it ends, and its name goes with a notice.
    SwapClaim(participant, std::nullopt);
    ChatMessage leave;
    leave.kind = MessageKind::kLeave;
    leave.from = name;
    leave.text = fmt::format("{} left", name);
    leave.server_time = std::chrono::system_clock::now();
    SendRelease(PendingRelease{claim.folded, claim.value,
                               EncodeLogRecord(LogRecord{std::move(leave), {}, participant, {}, {}}), claim.session_key});
    return EndHeld(request, adopted);
  }
  spdlog::info("moved the session of {} to this node", name);
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    const auto found = held_.find(request);
    if (found == held_.end()) return;
    if (found->second.subscriber == nullptr) {  // its stream ended: the session is held here
      ForgetHeldLocked(found);
      return;
    }
  }
  WaitUntilRead(request, moved_at);
}

void RedisBackend::SubscribeHeldReadFarEnough() {
  std::lock_guard<std::mutex> lock(held_mu_);
  if (held_.empty()) return;
  const std::uint64_t read = room_->last_id();
  for (auto it = held_.begin(); it != held_.end();) {
    HeldStream& stream = it->second;
    if (stream.subscriber == nullptr && stream.read_to) {  // its stream ended, and nothing is asked of Redis
      it = ForgetHeldLocked(it);
      continue;
    }
    if (stream.subscriber == nullptr || !stream.read_to || *stream.read_to > read) {
      ++it;
      continue;
    }
    stream.reply(room_->Subscribe(stream.caller, stream.subscriber, stream.from));
    it = ForgetHeldLocked(it);
  }
}

void RedisBackend::EndHeld(std::uint64_t request, const Status& status) {
  std::lock_guard<std::mutex> lock(held_mu_);
  const auto found = held_.find(request);
  if (found == held_.end()) return;
  if (found->second.subscriber != nullptr) found->second.reply(status);
  ForgetHeldLocked(found);
}

// A stream still held back is answered now and forgotten as a stream; its request stays while
// Redis has yet to answer it (OnResume, OnLastId), which then forget it.
void RedisBackend::Unsubscribe(Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(held_mu_);
  for (auto held = held_.begin(); held != held_.end(); ++held) {
    HeldStream& stream = held->second;
    if (stream.subscriber != subscriber) continue;
    stream.reply(Status(StatusCode::kCancelled, "the stream ended before it was subscribed"));
    stream.subscriber = nullptr;
    if (stream.read_to) ForgetHeldLocked(held);
    return;
  }
  room_->Unsubscribe(subscriber);
}

void RedisBackend::Leave(const Caller& caller, Reply<std::string> reply) {
  Result<std::string> goodbye = room_->Leave(caller);
  if (!goodbye.ok()) return reply(std::move(goodbye));
  // Commands run in order on the writer: this answer comes after the release the room just handed
  // it, so the name is free on every node once the client hears goodbye (or Redis is unreachable,
  // and the release is tried again on the next tick).
  log_->Run("return 1", {}, {}, [goodbye = std::move(goodbye).value(), reply = std::move(reply)](Result<RedisValue>) {
    reply(goodbye);
  });
}

void RedisBackend::History(const Caller& caller, std::uint64_t before_id, std::uint32_t limit,
                           Reply<MessageHistory::Page> reply) {
  reply(room_->History(caller, before_id, limit));
}

void RedisBackend::Usernames(const Caller& caller, Reply<std::vector<std::string>> reply) {
  if (Status session = room_->CheckSession(caller); !session.ok()) return reply(session);
  reply(room_->Usernames());
}

void RedisBackend::ConnectionOpened(const std::string& peer) { room_->ConnectionOpened(peer); }

Status RedisBackend::Observe(Subscriber* observer) { return room_->Observe(observer); }

void RedisBackend::Unobserve(Subscriber* observer) { room_->Unobserve(observer); }

Room::Stats RedisBackend::stats() const {
  Room::Stats stats = room_->stats();
  std::lock_guard<std::mutex> lock(held_mu_);
  for (const auto& [request, waiting] : held_) stats.waiting += waiting.subscriber != nullptr ? 1 : 0;
  return stats;
}

void RedisBackend::WatchStore(std::function<void(bool reachable)> on_change) {
  std::lock_guard<std::mutex> lock(mu_);
  on_store_change_ = std::move(on_change);
  if (!store_reachable_ && on_store_change_) on_store_change_(false);
}

// Called with the room's lock held: only queues the script.
void RedisBackend::Release(std::uint64_t participant, const std::string& folded, ChatMessage leave) {
  std::optional<Claim> claim;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto found = claims_.find(participant);
    if (found != claims_.end() && found->second.folded == folded) {
      claim = std::move(found->second);
      claims_.erase(found);
    }
  }
  if (!claim) {
    spdlog::warn("freeing {}: this node has no claim of it in the room's store", leave.from);
    return;
  }
  SendRelease(PendingRelease{claim->folded, claim->value, EncodeLogRecord(LogRecord{std::move(leave), {}, participant, {}, {}}),
                             claim->session_key});
}

void RedisBackend::SendRelease(PendingRelease release) {
  std::vector<std::string> args{release.folded, release.value, release.notice, release.session_key, options_.prefix};
  log_->Run(SourceCounting().release, {names_key_, node_names_key_, sessions_key_}, std::move(args),
            [this, release = std::move(release)](Result<RedisValue> answer) mutable {
              if (answer.ok()) {
                if (const std::int64_t id = PositiveInteger(answer); id > 0) log_->RaiseFloor(static_cast<std::uint64_t>(id));
                return;
              }
              if (closed_.load(std::memory_order_relaxed)) return;  // the lease goes with Close; the names with it
              std::lock_guard<std::mutex> lock(mu_);
              retries_.push_back(std::move(release));  // sent again on the next tick
            });
}

void RedisBackend::OnEntries(std::vector<RedisLogEntry> entries, bool gap) {
  for (RedisLogEntry& entry : entries) {
    if (gap) {
      if (const std::uint64_t read = room_->last_id(); entry.id > read + 1) {
        room_->Accept(MissedMessages(read + 1, entry.id - 1), Audience{}, 0, {}, false);
      }
    }
    std::optional<LogRecord> record = DecodeLogRecord(entry.id, entry.payload);
    if (!record) {
      spdlog::warn("skipped entry {} of the room's log: not a record this server reads", entry.id);
      continue;
    }
    if (!record->moved_to.empty()) {
      const bool here = record->moved_to == options_.node_name;
      if (!here) SwapClaim(record->participant, std::nullopt);  // freed by whoever has it now
      room_->SessionMoved(entry.id, record->participant, record->message.from, here);
      continue;
    }
    bool frees_ours = false;
    if (record->message.kind == MessageKind::kLeave && !record->old_name.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      const auto claim = claims_.find(record->participant);
      if (claim != claims_.end() && ClaimSerial(claim->second.value) == record->old_name) {
        claims_.erase(claim);
        frees_ours = true;
      }
    }
    room_->Accept(std::move(record->message), record->audience, record->participant, record->old_name, frees_ours);
  }
  SubscribeHeldReadFarEnough();
}

void RedisBackend::OnStoreHealth(const Status& status) {
  if (status.ok()) {
    spdlog::info("the room's store is reachable again; reading the log from where it stopped");
  } else {
    spdlog::warn("{}", status.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  store_reachable_ = status.ok();
  if (on_store_change_) on_store_change_(store_reachable_);
}

void RedisBackend::Tick() {
  log_->Run(kRenewScript, {lease_key_, nodes_key_}, {std::to_string(options_.lease.count()), options_.node_name},
            [](Result<RedisValue>) {});
  log_->Run(WithFreeNode(kReapScript), {names_key_, nodes_key_}, {options_.prefix}, [](Result<RedisValue> answer) {
    if (const std::int64_t freed = PositiveInteger(answer); freed > 0) {
      spdlog::info("freed {} names of nodes that stopped answering", freed);
    }
  });
  std::vector<PendingRelease> retries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    retries.swap(retries_);
  }
  for (PendingRelease& release : retries) SendRelease(std::move(release));
}

Status RedisBackend::ClosedOr(const Status& status) const {
  if (!closed_.load(std::memory_order_relaxed)) return status;
  std::lock_guard<std::mutex> lock(mu_);
  return close_reason_;
}

// The names stay: the lease runs out by itself, and until then this node's clients with a session
// may resume on another node under their names; the other nodes free the rest.
void RedisBackend::Close(const Status& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load(std::memory_order_relaxed)) return;
    close_reason_ = reason;
    closed_.store(true, std::memory_order_relaxed);
  }
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    for (auto& [request, waiting] : held_) {
      if (waiting.subscriber != nullptr) waiting.reply(reason);
    }
    held_.clear();
    held_by_source_.clear();
  }
  room_->Close(reason);
  tick_timer_.reset();
  log_->Stop();
}

}  // namespace chat

// Several servers (nodes) sharing one room through a real redis-server: one order, names unique
// across nodes, direct messages that cross nodes and reach only their two people, and what a node
// does while Redis is stalled or restarts.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "health.grpc.pb.h"
#include "support/raw_chat.h"
#include "support/redis_call.h"
#include "support/redis_process.h"
#include "support/stream_reader.h"
#include "support/registration_race.h"
#include "support/reused_port.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

ServerOptions NodeOptions(const RedisProcess& redis, const std::string& node) {
  ServerOptions options = LoopbackOptions();
  options.redis = redis.url();
  options.node_name = node;
  return options;
}

// Two nodes of one room on `redis`.
struct Cluster {
  explicit Cluster(const RedisProcess& redis) : a(NodeOptions(redis, "a")), b(NodeOptions(redis, "b")) {}
  TestServer a;
  TestServer b;
};

bool Saw(const std::vector<ChatMessage>& messages, const std::string& text) {
  return std::any_of(messages.begin(), messages.end(), [&](const ChatMessage& m) { return m.text == text; });
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(const TestServer& server) {
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  grpc::health::v1::HealthCheckResponse response;
  if (!health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

TEST_CASE("a broadcast crosses nodes, and a direct message reaches only its two people", "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestUser alice(cluster.a, "alice"), bob(cluster.b, "bob"), carol(cluster.b, "carol"), dave(cluster.a, "dave");

  const std::uint64_t hello = alice.Say("hello from a");
  for (TestUser* user : {&alice, &bob, &carol, &dave}) {
    INFO(user->name());
    const std::optional<ChatMessage> message = user->WaitFor(HasId(hello));
    REQUIRE(message.has_value());
    CHECK(message->from == "alice");
    CHECK(message->text == "hello from a");
  }

  // Redis finds the recipient, so a name just taken on another node is reachable at once.
  const std::uint64_t secret = alice.Say("@bob psst");
  const std::uint64_t marker = carol.Say("marker");
  for (TestUser* user : {&alice, &bob}) {
    INFO(user->name());
    const std::vector<ChatMessage> seen = user->ReadThrough(marker);
    const auto direct = std::find_if(seen.begin(), seen.end(), [&](const ChatMessage& m) { return m.id == secret; });
    REQUIRE(direct != seen.end());
    CHECK(direct->kind == MessageKind::kDirect);
    CHECK(direct->to == "bob");
  }
  CHECK_FALSE(Saw(carol.ReadThrough(marker), "@bob psst"));
  CHECK_FALSE(Saw(dave.ReadThrough(marker), "@bob psst"));
  CHECK(bob.client().Send("@nobody hello?").status() == Status(StatusCode::kNotFound, "no such user: nobody"));

  // Only the two of them get it again from history, on either node.
  const Result<HistoryPage> bobs = bob.client().History(0, 50);
  REQUIRE(bobs.ok());
  CHECK(Saw(bobs->messages, "@bob psst"));
  const Result<HistoryPage> daves = dave.client().History(0, 50);
  REQUIRE(daves.ok());
  CHECK_FALSE(Saw(daves->messages, "@bob psst"));
}

TEST_CASE("a name held on one node is TAKEN on the other, in any case, and ListUsers lists both nodes",
          "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestUser alice(cluster.a, "Alice");
  auto other = cluster.b.NewClient();
  const Result<Registration> taken = other->AddUser("aLICE");
  REQUIRE(taken.ok());
  CHECK(taken->code == RegistrationCode::kTaken);
  CHECK(taken->message == "Alice is taken; choose another name");

  TestUser bob(cluster.b, "bob");
  REQUIRE(Eventually([&] {
    const Result<std::vector<std::string>> names = alice.client().ListUsers();
    return names.ok() && *names == std::vector<std::string>{"Alice", "bob"};
  }));

  // Once Alice leaves, the name is free on the other node.
  alice.Leave();
  const Result<Registration> added = other->AddUser("aLICE");
  REQUIRE(added.ok());
  CHECK(added->code == RegistrationCode::kAdded);
  CHECK(bob.WaitFor(IsLeaveOf("Alice")).has_value());
}

TEST_CASE("join, rename and leave notices appear once, in the same order, on every node", "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestUser watcher_a(cluster.a, "watcher_a"), watcher_b(cluster.b, "watcher_b");
  auto carol = cluster.a.NewClient();
  REQUIRE(carol->AddUser("carol").ok());
  const Result<Registration> renamed = carol->AddUser("caroline");
  REQUIRE(renamed.ok());
  CHECK(renamed->message == "you are now caroline");
  REQUIRE(carol->Leave().ok());
  const std::uint64_t marker = watcher_b.Say("marker");
  std::vector<std::vector<std::string>> notices;
  for (TestUser* watcher : {&watcher_a, &watcher_b}) {
    std::vector<std::string> seen;
    for (const ChatMessage& message : watcher->ReadThrough(marker)) {
      if (message.from == "carol" || message.from == "caroline") seen.push_back(message.text);
    }
    notices.push_back(std::move(seen));
  }
  CHECK(notices[0] == std::vector<std::string>{"carol joined", "carol is now known as caroline", "caroline left"});
  CHECK(notices[0] == notices[1]);
}

TEST_CASE("50 registrations of one name at once, spread over three nodes, give exactly one ADDED", "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestServer c(NodeOptions(redis, "c"));
  const RaceOutcome outcome = RaceToRegister({&cluster.a, &cluster.b, &c}, 50, "zed");
  CHECK(outcome.added == 1);
  CHECK(outcome.taken == 49);
  CHECK(outcome.other == 0);
}

TEST_CASE("subscribers on different nodes see the same 1,000 messages in the same order", "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestUser sender_a(cluster.a, "sender_a"), sender_b(cluster.b, "sender_b");
  TestUser watcher_a(cluster.a, "watcher_a"), watcher_b(cluster.b, "watcher_b");
  constexpr int kEach = 500;
  std::atomic<int> failures{0};
  const auto send = [&failures](TestUser& sender) {
    for (int i = 0; i < kEach; ++i) {
      if (!sender.client().Send(fmt::format("{} {}", sender.name(), i)).ok()) ++failures;
    }
  };
  std::thread from_a(send, std::ref(sender_a)), from_b(send, std::ref(sender_b));
  from_a.join();
  from_b.join();
  REQUIRE(failures == 0);
  const std::uint64_t last = sender_a.Say("the end");

  std::vector<std::vector<std::uint64_t>> orders;
  for (TestUser* watcher : {&watcher_a, &watcher_b}) {
    std::vector<std::uint64_t> ids;
    for (const ChatMessage& message : watcher->ReadThrough(last)) {
      if (message.kind == MessageKind::kChat && message.id != last) ids.push_back(message.id);
    }
    orders.push_back(std::move(ids));
  }
  CHECK(orders[0].size() == 2 * kEach);
  CHECK(std::is_sorted(orders[0].begin(), orders[0].end()));
  CHECK(orders[0] == orders[1]);
}

TEST_CASE("while Redis is stalled a node answers UNAVAILABLE, keeps its streams, and says NOT_SERVING; then it "
          "catches up",
          "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestUser alice(cluster.a, "alice"), bob(cluster.b, "bob");
  const std::uint64_t before = alice.Say("before the stall");
  REQUIRE(bob.WaitFor(HasId(before)).has_value());

  redis.Pause();
  const auto paused_at = std::chrono::steady_clock::now();
  const Result<Registration> no_name = cluster.b.NewClient()->AddUser("carol");
  CHECK(no_name.status().code() == StatusCode::kUnavailable);
  CHECK(Eventually([&] { return Health(cluster.a) == grpc::health::v1::HealthCheckResponse::NOT_SERVING; }));
  // Sending all through a stall of 3 s: every attempt is refused, each within the connection's
  // 500 ms timeout (the bound leaves room for a loaded machine).
  int attempts = 0;
  while (std::chrono::steady_clock::now() < paused_at + std::chrono::seconds(3)) {
    const auto asked = std::chrono::steady_clock::now();
    const Result<std::uint64_t> refused = alice.client().Send("during the stall");
    const auto answered_in = std::chrono::steady_clock::now() - asked;
    ++attempts;
    CHECK(refused.status().code() == StatusCode::kUnavailable);
    CHECK(refused.status().message().rfind(std::string(kStoreUnreachable), 0) == 0);
    CHECK(answered_in < std::chrono::seconds(2));
  }
  CHECK(attempts > 0);

  redis.Resume();
  CHECK(Eventually([&] { return Health(cluster.a) == grpc::health::v1::HealthCheckResponse::SERVING; }));
  std::uint64_t after = 0;
  REQUIRE(Eventually([&] {
    const Result<std::uint64_t> sent = alice.client().Send("after the stall");
    if (sent.ok()) after = *sent;
    return sent.ok();
  }));
  CHECK(after > before);
  // The streams stayed open: both read on, with nothing stored missing.
  for (TestUser* user : {&alice, &bob}) {
    INFO(user->name());
    CHECK(Saw(user->ReadThrough(after), "after the stall"));
  }
}

TEST_CASE("after Redis is killed and restarted from its append-only file, no id is given twice", "[redis][cluster]") {
  RedisProcess redis(RedisProcess::Options{true});
  Cluster cluster(redis);
  TestUser alice(cluster.a, "alice"), bob(cluster.b, "bob");
  const std::uint64_t before = alice.Say("before the restart");
  REQUIRE(bob.WaitFor(HasId(before)).has_value());

  redis.Kill();
  const Result<std::uint64_t> refused = bob.client().Send("while Redis is down");
  CHECK(refused.status().code() == StatusCode::kUnavailable);
  redis.Start();

  std::uint64_t after = 0;
  REQUIRE(Eventually([&] {
    const Result<std::uint64_t> sent = bob.client().Send("after the restart");
    if (sent.ok()) after = *sent;
    return sent.ok();
  }));
  CHECK(after > before);
  for (TestUser* user : {&alice, &bob}) {
    INFO(user->name());
    const std::vector<ChatMessage> seen = user->ReadThrough(after);
    CHECK(std::is_sorted(seen.begin(), seen.end(),
                         [](const ChatMessage& x, const ChatMessage& y) { return x.id < y.id; }));
  }
}

TEST_CASE("a client whose node stops resumes on another node under its name, missing nothing", "[redis][cluster]") {
  RedisProcess redis;
  auto a = std::make_unique<TestServer>(NodeOptions(redis, "a"));
  TestServer b(NodeOptions(redis, "b"));
  // One target naming both nodes: gRPC connects to the first that answers, a first.
  ClientOptions options;
  options.server_address = fmt::format("ipv4:{},{}", a->address(), b.address());
  Client alice(options);
  const Result<Registration> registered = alice.AddUser("alice");
  REQUIRE(registered.ok());
  REQUIRE(registered->code == RegistrationCode::kAdded);
  Result<std::unique_ptr<MessageStream>> stream = alice.Listen();
  REQUIRE(stream.ok());
  TestUser bob(b, "bob");
  const std::uint64_t first = bob.Say("before a stops");
  const std::optional<ChatMessage> seen_first = (*stream)->Next(kPatience);
  REQUIRE(seen_first.has_value());
  // Her stream may have begun with her own join or bob's; read on to the first message.
  std::vector<ChatMessage> seen{*seen_first};
  while (seen.back().id != first) {
    const std::optional<ChatMessage> next = (*stream)->Next(kPatience);
    REQUIRE(next.has_value());
    seen.push_back(*next);
  }

  a.reset();  // stops node a: alice's stream ends with UNAVAILABLE, and resumes on b
  const std::uint64_t during = bob.Say("while alice moves");
  const std::uint64_t direct = bob.Say("@alice still there?");
  std::vector<ChatMessage> after;
  while (after.empty() || after.back().id != direct) {
    const std::optional<ChatMessage> next = (*stream)->Next(kPatience);
    REQUIRE(next.has_value());
    after.push_back(*next);
  }
  std::vector<std::uint64_t> ids;
  for (const ChatMessage& message : after) {
    CHECK(message.kind != MessageKind::kGap);
    CHECK_FALSE(message.kind == MessageKind::kLeave);
    ids.push_back(message.id);
  }
  CHECK(std::find(ids.begin(), ids.end(), during) != ids.end());
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(ids.front() > first);
  // Still hers, on b: listed, and sending as alice.
  CHECK(IsRegistered(bob.client(), "alice"));
  const Result<std::uint64_t> reply = alice.Send("@bob yes, on b now");
  REQUIRE(reply.ok());
  CHECK(bob.WaitFor(HasId(*reply)).has_value());
}

TEST_CASE("a session taken up on another node while its first is alive is let go there, and stays one",
          "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  auto alice = cluster.a.NewClient();
  const Result<Registration> registered = alice->AddUser("alice");
  REQUIRE(registered.ok());
  Result<std::unique_ptr<MessageStream>> on_a = alice->Listen();
  REQUIRE(on_a.ok());
  TestUser bob(cluster.a, "bob");

  // The same session, presented on b (as a client that moved there would).
  RawChat moved(cluster.b.address());
  moved.set_session(registered->session);
  const std::unique_ptr<grpc::ClientContext> context = moved.NewContext();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  ListenRequest request;
  StreamReader on_b(moved.stub(), context.get(), StreamRpc::kListen, request);

  // a lets it go: its stream ends, so that a client there would resume where the session now is.
  while ((*on_a)->Next(kPatience).has_value()) {
  }
  REQUIRE((*on_a)->ended());
  CHECK((*on_a)->status() == Status(StatusCode::kUnavailable, "your session moved to another server"));
  // The name stayed the session's, one holder: taken for others on both nodes, listed on a.
  for (const TestServer* node : {&cluster.a, &cluster.b}) {
    const Result<Registration> taken = node->NewClient()->AddUser("alice");
    REQUIRE(taken.ok());
    CHECK(taken->code == RegistrationCode::kTaken);
  }
  CHECK(Eventually([&] { return IsRegistered(bob.client(), "alice"); }));
  // What is for alice now reaches her on b.
  const std::uint64_t direct = bob.Say("@alice found you");
  Message message;
  bool reached = false;
  while (!reached && on_b.Read(&message)) reached = message.id() == direct;
  CHECK(reached);
  context->TryCancel();
}

TEST_CASE("a source address holds at most --max-names-per-address names on all nodes together", "[redis][cluster]") {
  RedisProcess redis;
  ServerOptions a = NodeOptions(redis, "a"), b = NodeOptions(redis, "b");
  a.max_names_per_address = b.max_names_per_address = 2;
  TestServer node_a(a), node_b(b);
  const Status full(StatusCode::kResourceExhausted, "your address holds 2 names, the most it may");
  auto one = node_a.NewClient(), two = node_b.NewClient(), three = node_b.NewClient(), four = node_a.NewClient();
  const auto add = [](Client& client, const std::string& name) {
    const Result<Registration> added = client.AddUser(name);
    return added.ok() ? Status::Ok() : added.status();
  };
  REQUIRE(add(*one, "one").ok());
  REQUIRE(add(*two, "two").ok());
  // Each node holds one name of 127.0.0.1, under its own limit; together they hold two.
  CHECK(add(*three, "three") == full);
  CHECK(add(*four, "four") == full);
  // A new name in place of an old one holds no more.
  CHECK(add(*one, "uno").ok());
  CHECK(add(*four, "four") == full);

  REQUIRE(two->Leave().ok());  // answered once the name is free in Redis
  CHECK(add(*four, "four").ok());
  CHECK(add(*three, "three") == full);
  RedisConnection connection(OptionsFor(redis));
  const Result<RedisValue> held = Call(connection, {"SMEMBERS", "chat:address-names:ipv4:127.0.0.1"});
  REQUIRE(held.ok());
  std::vector<std::string> names;
  for (const RedisValue& name : held->elements) names.push_back(name.text);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"four", "uno"});
}

TEST_CASE("names of one caller's AddUser calls that crossed are all freed when it leaves", "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  for (int round = 0; round < 5; ++round) {
    INFO("round " << round);
    auto racer = cluster.a.NewClient();
    std::thread first([&] { (void)racer->AddUser(fmt::format("first{}", round)); });
    std::thread second([&] { (void)racer->AddUser(fmt::format("second{}", round)); });
    first.join();
    second.join();
    REQUIRE(racer->Leave().ok());
    auto other = cluster.b.NewClient();
    for (const std::string& name : {fmt::format("first{}", round), fmt::format("second{}", round)}) {
      INFO(name);
      CHECK(Eventually([&] {
        const Result<Registration> added = other->AddUser(name);
        return added.ok() && added->code == RegistrationCode::kAdded;
      }));
    }
  }
}

TEST_CASE("a node started again under its name frees the names its last run held", "[redis][cluster]") {
  RedisProcess redis;
  auto first_run = std::make_unique<TestServer>(NodeOptions(redis, "a"));
  TestUser bob(*first_run, "bob");
  first_run.reset();  // a stop keeps bob's name for the lease's 10 s, for a session to resume elsewhere

  // While the lease lasts, a node of the same name is refused; then the new run takes over.
  std::unique_ptr<Server> second_run;
  REQUIRE(Eventually(
      [&] {
        Result<std::unique_ptr<Server>> started = Server::Start(NodeOptions(redis, "a"));
        if (!started.ok()) {
          CHECK(started.status().code() == StatusCode::kAlreadyExists);
          return false;
        }
        second_run = std::move(started).value();
        return true;
      },
      std::chrono::seconds(30)));
  TestServer node(std::move(second_run));
  // Freed with its source address's count, which the new run starts from nothing.
  RedisConnection connection(OptionsFor(redis));
  const Result<RedisValue> counted = Call(connection, {"SCARD", "chat:address-names:ipv4:127.0.0.1"});
  REQUIRE(counted.ok());
  CHECK(counted->integer == 0);
  const Result<Registration> added = node.NewClient()->AddUser("bob");
  REQUIRE(added.ok());
  CHECK(added->code == RegistrationCode::kAdded);
}

TEST_CASE("a Listen after an id given but not yet read here waits for it, and an id never stored is a GAP on every "
          "node",
          "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestUser alice(cluster.a, "alice"), bob(cluster.b, "bob");
  // An id given behind the nodes' backs, with no entry: what every node sees of an entry trimmed
  // before it was read, and, until the next entry, what a node that has not read an id yet sees.
  RedisConnection connection(OptionsFor(redis));
  const Result<RedisValue> given = Call(connection, {"INCR", "chat:next-id"});
  REQUIRE(given.ok());
  REQUIRE(given->type == RedisValue::Type::kInteger);
  const auto hole = static_cast<std::uint64_t>(given->integer);

  // b has not read `hole` (nobody can), yet Redis gave it: the stream waits instead of OUT_OF_RANGE.
  RawChat carol(cluster.b.address());
  const std::unique_ptr<grpc::ClientContext> context = carol.NewContext();
  ListenRequest request;
  request.set_after_id(hole);
  StreamReader after_hole(carol.stub(), context.get(), StreamRpc::kListen, request);
  REQUIRE(Eventually([&] { return cluster.b.server().stats().waiting == 1; }));
  const std::uint64_t next = alice.Say("after the hole");
  Message first;
  REQUIRE(after_hole.Read(&first));
  CHECK(first.id() == next);
  CHECK(first.msg() == "after the hole");

  for (TestUser* user : {&alice, &bob}) {
    INFO(user->name());
    const std::vector<ChatMessage> seen = user->ReadThrough(next);
    REQUIRE(seen.size() >= 2);
    const ChatMessage& gap = seen[seen.size() - 2];
    CHECK(gap.kind == MessageKind::kGap);
    CHECK(gap.id == hole);
    CHECK(gap.text == fmt::format("message #{} of the room was missed here: the room's store no longer had it", hole));
  }

  // An id Redis never gave is still OUT_OF_RANGE, on the node that has read everything too.
  ListenRequest beyond;
  beyond.set_after_id(next + 1000);
  for (const TestServer* node : {&cluster.a, &cluster.b}) {
    const grpc::Status refused = RawChat(node->address()).RefusedListen(beyond);
    CHECK(refused.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  }
  context->TryCancel();
}

TEST_CASE("streams held back until a node has read far enough count against --max-streams-per-address",
          "[redis][cluster]") {
  RedisProcess redis;
  ServerOptions options = NodeOptions(redis, "b");
  options.max_streams_per_address = 2;
  TestServer a(NodeOptions(redis, "a")), b(options);
  TestUser alice(a, "alice");
  RedisConnection connection(OptionsFor(redis));
  const Result<RedisValue> given = Call(connection, {"INCR", "chat:next-id"});
  REQUIRE(given.ok());
  ListenRequest request;
  request.set_after_id(static_cast<std::uint64_t>(given->integer));

  // Streams that wait for an id b cannot read yet; those that end count no more.
  RawChat holder(b.address());
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<StreamReader>> held;
  const auto hold_two = [&] {
    contexts.clear();
    held.clear();
    for (int i = 0; i < 2; ++i) {
      contexts.push_back(holder.NewContext());
      held.push_back(std::make_unique<StreamReader>(holder.stub(), contexts.back().get(), StreamRpc::kListen, request));
    }
    REQUIRE(Eventually([&] { return b.server().stats().waiting == 2; }));
  };
  hold_two();
  for (auto& context : contexts) context->TryCancel();
  REQUIRE(Eventually([&] { return b.server().stats().waiting == 0 && b.server().stats().streams == 0; }));
  hold_two();
  // A third from the same address is refused.
  const grpc::Status refused = RawChat(b.address()).RefusedListen(request);
  CHECK(refused.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(refused.error_message() == "your address has 2 streams waiting to be subscribed, the most it may");

  // Once b has read that far, both are subscribed and get what follows.
  const std::uint64_t next = alice.Say("read on");
  for (auto& stream : held) {
    Message first;
    REQUIRE(stream->Read(&first));
    CHECK(first.id() == next);
  }
  CHECK(b.server().stats().waiting == 0);
  for (auto& context : contexts) context->TryCancel();
}

TEST_CASE("the room's --max-users counts the users of every node", "[redis][cluster]") {
  RedisProcess redis;
  ServerOptions a = NodeOptions(redis, "a"), b = NodeOptions(redis, "b");
  a.max_users = b.max_users = 2;
  TestServer node_a(a), node_b(b);
  TestUser alice(node_a, "alice"), bob(node_b, "bob");
  for (const TestServer* node : {&node_a, &node_b}) {
    const Result<Registration> refused = node->NewClient()->AddUser("carol");
    CHECK(refused.status() == Status(StatusCode::kResourceExhausted, "the room is full (2 users); try again later"));
  }
  alice.Leave();
  const Result<Registration> added = node_b.NewClient()->AddUser("carol");
  REQUIRE(added.ok());
  CHECK(added->code == RegistrationCode::kAdded);
}

TEST_CASE("a connection from the address and port of a closed one is somebody new on a node too",
          "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  auto observer = cluster.b.NewClient();  // the other node lists the names of both
  CheckReusedPortIsSomebodyNew(cluster.a.address(), *observer);
}

TEST_CASE("a token of no session is UNAUTHENTICATED on every node", "[redis][cluster]") {
  RedisProcess redis;
  Cluster cluster(redis);
  TestUser alice(cluster.a, "alice");
  for (const TestServer* node : {&cluster.a, &cluster.b}) {
    RawChat raw(node->address());
    raw.set_session(std::string(64, 'a'));  // well formed, and nobody's
    const grpc::Status refused = raw.RefusedListen(ListenRequest());
    CHECK(refused.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
}

}  // namespace
}  // namespace chat::testing

// RedisLog against a real redis-server: one order for every node, ids never given twice, and a
// follower that reads on after Redis stalled, or its subscription was cut, without skipping
// anything.
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "backend/redis/redis_log.h"
#include "support/redis_call.h"
#include "support/redis_process.h"
#include "support/test_server.h"

namespace chat::testing {
namespace {

RedisLogOptions LogOptionsFor(const RedisProcess& redis, int db = 0) {
  RedisLogOptions options;
  options.endpoint = RedisEndpoint{"127.0.0.1", redis.port(), db};
  options.read_wait = std::chrono::milliseconds(200);
  return options;
}

// What one node's follower has read, and what it was told of Redis's health.
class Follower {
 public:
  void Follow(RedisLog& log, std::uint64_t after_id = 0) {
    log.Follow(
        after_id,
        [this](std::vector<RedisLogEntry> entries, bool gap) {
          std::lock_guard<std::mutex> lock(mu_);
          gaps_ += gap ? 1 : 0;
          for (RedisLogEntry& entry : entries) entries_.push_back(std::move(entry));
        },
        [this](const Status& status) {
          std::lock_guard<std::mutex> lock(mu_);
          health_.push_back(status.code());
        });
  }

  std::vector<RedisLogEntry> entries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }
  std::size_t count() const { return entries().size(); }
  int gaps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return gaps_;
  }
  std::vector<StatusCode> health() const {
    std::lock_guard<std::mutex> lock(mu_);
    return health_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<RedisLogEntry> entries_;
  int gaps_ = 0;
  std::vector<StatusCode> health_;
};

Result<std::uint64_t> Append(RedisLog& log, std::string payload) {
  std::promise<Result<std::uint64_t>> answer;
  auto answered = answer.get_future();
  log.Append(std::move(payload), [&answer](Result<std::uint64_t> id) { answer.set_value(std::move(id)); });
  REQUIRE(answered.wait_for(kPatience) == std::future_status::ready);
  return answered.get();
}

// Appends `payload` until a Redis that is coming back stores it, and returns its id.
std::uint64_t AppendOnceStored(RedisLog& log, const std::string& payload) {
  Result<std::uint64_t> id = Status(StatusCode::kUnavailable, "not yet");
  REQUIRE(Eventually([&] {
    id = Append(log, payload);
    return id.ok();
  }));
  return *id;
}

TEST_CASE("entries appended through two nodes' logs are read by both in one order, with ids one apart",
          "[redis]") {
  RedisProcess redis;
  Follower follower_a;  // before the logs, which call them until they are gone
  Follower follower_b;
  RedisLog node_a(LogOptionsFor(redis));
  RedisLog node_b(LogOptionsFor(redis));
  follower_a.Follow(node_a);
  follower_b.Follow(node_b);

  constexpr int kEach = 300;
  auto append_all = [](RedisLog& log, const std::string& from) {
    for (int i = 0; i < kEach; ++i) REQUIRE(Append(log, from + std::to_string(i)).ok());
  };
  std::thread through_a([&] { append_all(node_a, "a"); });
  std::thread through_b([&] { append_all(node_b, "b"); });
  through_a.join();
  through_b.join();

  REQUIRE(Eventually([&] { return follower_a.count() == 2 * kEach && follower_b.count() == 2 * kEach; }));
  const std::vector<RedisLogEntry> read_a = follower_a.entries();
  const std::vector<RedisLogEntry> read_b = follower_b.entries();
  std::set<std::string> payloads;
  for (std::size_t i = 0; i < read_a.size(); ++i) {
    CHECK(read_a[i].id == read_a[0].id + i);
    CHECK(read_a[i].id == read_b[i].id);
    CHECK(read_a[i].payload == read_b[i].payload);
    payloads.insert(read_a[i].payload);
  }
  CHECK(payloads.size() == 2 * kEach);
  CHECK(follower_a.gaps() == 0);
}

TEST_CASE("after Redis lost what a node had read, the node's next id is above all of it", "[redis]") {
  RedisProcess redis;  // no append-only file: a restart comes back empty
  Follower follower;
  RedisLog log(LogOptionsFor(redis));
  follower.Follow(log);
  for (int i = 0; i < 10; ++i) REQUIRE(Append(log, "before").ok());
  REQUIRE(Eventually([&] { return follower.count() == 10; }));
  const std::uint64_t last_read = follower.entries().back().id;

  redis.Kill();
  redis.Start();
  CHECK(AppendOnceStored(log, "after") > last_read);
  REQUIRE(Eventually([&] { return follower.count() == 11; }));
  CHECK(follower.entries().back().payload == "after");
}

TEST_CASE("after Redis restarted from a snapshot older than what a node had read, the node's next id is above all "
          "it read",
          "[redis]") {
  RedisProcess redis;  // no append-only file: a restart loads the last SAVE
  Follower follower;
  RedisLog log(LogOptionsFor(redis));
  follower.Follow(log);
  for (int i = 0; i < 10; ++i) REQUIRE(Append(log, "in the snapshot").ok());
  {
    RedisConnection admin(OptionsFor(redis));
    REQUIRE(Call(admin, {"SAVE"}).ok());
  }
  for (int i = 0; i < 10; ++i) REQUIRE(Append(log, "after the snapshot").ok());
  REQUIRE(Eventually([&] { return follower.count() == 20; }));
  const std::uint64_t last_read = follower.entries().back().id;

  redis.Kill();
  redis.Start();  // the counter is back at the tenth id
  CHECK(AppendOnceStored(log, "after the restart") > last_read);
  REQUIRE(Eventually([&] { return follower.count() == 21; }));
  CHECK(follower.entries().back().payload == "after the restart");
}

TEST_CASE("after Redis lost everything, a node that had read less than another still gives ids above all the "
          "other read",
          "[redis]") {
  RedisProcess redis;  // no append-only file: a restart comes back empty
  Follower follower;
  RedisLog ahead(LogOptionsFor(redis));
  follower.Follow(ahead);
  for (int i = 0; i < 10; ++i) REQUIRE(Append(ahead, "read by the node ahead").ok());
  REQUIRE(Eventually([&] { return follower.count() == 10; }));
  const std::uint64_t last_read = follower.entries().back().id;

  redis.Kill();
  redis.Start();
  RedisLog behind(LogOptionsFor(redis));  // has read nothing: its floor is 0
  CHECK(AppendOnceStored(behind, "from the node behind") > last_read);
  // And the node ahead reads it: nothing it skips as read.
  REQUIRE(Eventually([&] { return follower.count() == 11; }));
  CHECK(follower.entries().back().payload == "from the node behind");
}

TEST_CASE("while Redis is paused appends fail and the follower says so; afterwards it reads on, skipping nothing",
          "[redis]") {
  RedisProcess redis;
  Follower follower;
  RedisLog log(LogOptionsFor(redis));
  follower.Follow(log);
  for (int i = 0; i < 5; ++i) REQUIRE(Append(log, "before " + std::to_string(i)).ok());

  redis.Pause();
  const Result<std::uint64_t> refused = Append(log, "while paused");
  CHECK(refused.status().code() == StatusCode::kUnavailable);
  REQUIRE(Eventually([&] { return !follower.health().empty(); }));
  CHECK(follower.health().front() == StatusCode::kUnavailable);

  redis.Resume();
  std::vector<std::uint64_t> after;
  REQUIRE(Eventually([&] {
    const Result<std::uint64_t> id = Append(log, "after");
    if (id.ok()) after.push_back(*id);
    return after.size() == 3;
  }));
  // Whatever Redis stored is read once, in order: the refused append may or may not be among it.
  INFO("appended after the pause: " << after.size() << ", the last " << after.back());
  INFO("read: " << follower.count() << (follower.count() > 0 ? ", the last " + std::to_string(follower.entries().back().id) : std::string()));
  REQUIRE(Eventually([&] { return !follower.entries().empty() && follower.entries().back().id == after.back(); }));
  const std::vector<RedisLogEntry> read = follower.entries();
  for (std::size_t i = 0; i < read.size(); ++i) CHECK(read[i].id == read[0].id + i);
  CHECK(follower.health().back() == StatusCode::kOk);
  CHECK(follower.gaps() == 0);
}

TEST_CASE("a follower that starts after entries were trimmed from the log is told of the gap", "[redis]") {
  RedisProcess redis;
  Follower follower;
  RedisLogOptions options = LogOptionsFor(redis);
  options.max_entries = 10;  // trimmed in Redis's own steps (MAXLEN ~), about a hundred at a time
  RedisLog log(options);
  const Result<std::uint64_t> first = Append(log, "x");
  REQUIRE(first.ok());
  for (int i = 1; i < 1000; ++i) REQUIRE(Append(log, "x").ok());

  follower.Follow(log, *first);
  REQUIRE(Eventually([&] { return follower.count() > 0 && follower.entries().back().id == *first + 999; }));
  CHECK(follower.gaps() == 1);
  CHECK(follower.entries().front().id > *first + 1);
}

TEST_CASE("entries stored while a follower could not subscribe are read once it can, before anything new comes",
          "[redis]") {
  RedisProcess redis;
  Follower follower;
  RedisLog log(LogOptionsFor(redis));
  RedisConnection admin(OptionsFor(redis));
  follower.Follow(log);
  for (int i = 0; i < 5; ++i) REQUIRE(Append(log, "subscribed " + std::to_string(i)).ok());
  REQUIRE(Eventually([&] { return follower.count() == 5; }));

  // The follower's subscription is cut, and it cannot subscribe again; appending still works.
  REQUIRE(Call(admin, {"ACL", "SETUSER", "default", "-subscribe"}).ok());
  REQUIRE(Call(admin, {"CLIENT", "KILL", "TYPE", "pubsub"}).ok());
  REQUIRE(Eventually([&] { return !follower.health().empty(); }));
  CHECK(follower.health().back() == StatusCode::kUnavailable);
  for (int i = 0; i < 10; ++i) REQUIRE(Append(log, "unsubscribed " + std::to_string(i)).ok());

  // Once it subscribes again it reads what it missed, with nothing more appended to announce it.
  REQUIRE(Call(admin, {"ACL", "SETUSER", "default", "+subscribe"}).ok());
  REQUIRE(Eventually([&] { return follower.count() == 15; }));
  REQUIRE(Eventually([&] { return follower.health().back() == StatusCode::kOk; }));
  for (int i = 0; i < 5; ++i) REQUIRE(Append(log, "subscribed again " + std::to_string(i)).ok());
  REQUIRE(Eventually([&] { return follower.count() == 20; }));

  const std::vector<RedisLogEntry> read = follower.entries();
  for (std::size_t i = 0; i < read.size(); ++i) CHECK(read[i].id == read[0].id + i);
  CHECK(read[5].payload == "unsubscribed 0");
  CHECK(read[14].payload == "unsubscribed 9");
  CHECK(read[19].payload == "subscribed again 4");
  CHECK(follower.gaps() == 0);
}

TEST_CASE("a follower with nothing to read tells of a paused Redis, and of its return", "[redis]") {
  RedisProcess redis;
  Follower follower;
  RedisLog log(LogOptionsFor(redis));
  follower.Follow(log);
  REQUIRE(Append(log, "one").ok());
  REQUIRE(Eventually([&] { return follower.count() == 1; }));

  redis.Pause();
  REQUIRE(Eventually([&] { return !follower.health().empty(); }));
  CHECK(follower.health().front() == StatusCode::kUnavailable);
  redis.Resume();
  REQUIRE(Eventually([&] { return follower.health().back() == StatusCode::kOk; }));
  REQUIRE(Append(log, "two").ok());
  REQUIRE(Eventually([&] { return follower.count() == 2; }));
  CHECK(follower.gaps() == 0);
}

TEST_CASE("logs with one prefix in two databases of one Redis do not read each other's entries", "[redis]") {
  RedisProcess redis;
  // Both counters at 100, so that both logs give id 101 next.
  for (int db : {1, 2}) {
    RedisConnection admin(OptionsFor(redis, db));
    REQUIRE(Call(admin, {"SET", "chat:next-id", "100"}).ok());
  }
  Follower follower_1;
  Follower follower_2;
  RedisLog log_1(LogOptionsFor(redis, 1));
  RedisLog log_2(LogOptionsFor(redis, 2));
  follower_1.Follow(log_1, 100);
  follower_2.Follow(log_2, 100);
  // Both subscribed: an entry of either is published while the other listens.
  REQUIRE(Append(log_1, "warm-up 1").ok());
  REQUIRE(Append(log_2, "warm-up 2").ok());
  REQUIRE(Eventually([&] { return follower_1.count() == 1 && follower_2.count() == 1; }));

  const Result<std::uint64_t> id_1 = Append(log_1, "in database 1");
  REQUIRE(id_1.ok());
  CHECK(*id_1 == 102);
  REQUIRE(Eventually([&] { return follower_1.count() == 2; }));
  const Result<std::uint64_t> id_2 = Append(log_2, "in database 2");
  REQUIRE(id_2.ok());
  CHECK(*id_2 == 102);
  REQUIRE(Eventually([&] { return follower_2.count() == 2; }));
  CHECK(follower_1.entries().back().payload == "in database 1");
  CHECK(follower_2.entries().back().payload == "in database 2");
  CHECK(follower_1.entries().front().payload == "warm-up 1");
  CHECK(follower_2.entries().front().payload == "warm-up 2");
}

}  // namespace
}  // namespace chat::testing

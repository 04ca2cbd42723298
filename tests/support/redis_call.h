// One command at a time to a test's redis-server (support/redis_process.h), on the library's own
// RedisConnection: for tests that look into Redis or change it behind the nodes' backs.
#ifndef CHAT_TESTS_SUPPORT_REDIS_CALL_H_
#define CHAT_TESTS_SUPPORT_REDIS_CALL_H_

#include <string>
#include <vector>

#include "backend/redis/redis_connection.h"
#include "support/redis_process.h"

namespace chat::testing {

// Options of a connection to `redis`, database `db`.
RedisConnectionOptions OptionsFor(const RedisProcess& redis, int db = 0);

// Sends `argv` and waits for its answer; fails the test if none came within kPatience.
Result<RedisValue> Call(RedisConnection& connection, std::vector<std::string> argv);

}  // namespace chat::testing

#endif  // CHAT_TESTS_SUPPORT_REDIS_CALL_H_

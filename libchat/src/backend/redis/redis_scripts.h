// The Lua scripts of the room kept in Redis (redis_backend.h), each one atomic step in Redis.
#ifndef CHAT_SRC_BACKEND_REDIS_REDIS_SCRIPTS_H_
#define CHAT_SRC_BACKEND_REDIS_REDIS_SCRIPTS_H_

#include <string>
#include <string_view>

namespace chat::redis_scripts {

// The scripts run on the log's writer (RedisLog::Run): KEYS[1] and KEYS[2] are the log's, and
// ARGV[1] and ARGV[2]; append(payload) stores an entry. A name's value is "participant, node, name,
// claim, session token" joined by 0x1F (31).

// Forgetting which source address took the name `folded` (PREFIX:name-sources), and taking it out
// of that source's names (PREFIX:address-names:SOURCE), which the claim script counts against the
// limit of names per source address across all nodes.
inline constexpr std::string_view kForgetSourceFunction = R"lua(
local function forget_source(prefix, folded)
  local sources = prefix .. ':name-sources'
  local source = redis.call('HGET', sources, folded)
  if source then
    redis.call('SREM', prefix .. ':address-names:' .. source, folded)
    redis.call('HDEL', sources, folded)
  end
end
)lua";

// Freeing every name node `node` holds, each with a leave notice "NAME left (`why`)"
// (log_record.h's format; its old-name field names the claim freed, so that a node taken for dead,
// and still alive, knows which of its names went). Keys of other nodes are made here, which is why
// the room needs one Redis rather than a Redis Cluster. Returns how many names it freed.
inline constexpr std::string_view kFreeNodeFunction = R"lua(
local function free_node(names, prefix, node, why)
  local time = redis.call('TIME')
  local micros = string.format('%d%06d', time[1], time[2])
  local freed = 0
  local held = prefix .. ':node-names:' .. node
  for _, folded in ipairs(redis.call('SMEMBERS', held)) do
    local value = redis.call('HGET', names, folded)
    if value then
      local participant, owner, name, claim, token = string.match(value, '^(%d+)\31([^\31]*)\31([^\31]*)\31([^\31]*)\31(%x+)$')
      if owner == node then
        redis.call('HDEL', names, folded)
        forget_source(prefix, folded)
        redis.call('HDEL', prefix .. ':sessions', string.sub(token, 1, 32))
        append(table.concat({'1', '3', micros, name, '', '0', '0', participant, claim,
                             name .. ' left (' .. why .. ')'}, '\31'))
        freed = freed + 1
      end
    end
  end
  redis.call('DEL', held)
  return freed
end
)lua";

// Joining (after kFreeNodeFunction): KEYS nodes, node-numbers, the lease, names; ARGV the node, the
// lease in ms, the key prefix. Returns the node's number, the last id, and every name's value. The
// names a node of the same name still held (it stopped, and its lease ran out before any sweep)
// are freed first. A new room's counter starts from the clock (as append() would, redis_log.cc),
// so that the room's ids run on from the last one here.
inline constexpr std::string_view kJoinScript = R"lua(
if redis.call('EXISTS', KEYS[5]) == 1 then return redis.error_reply('NODE a node of this name is alive') end
free_node(KEYS[6], ARGV[5], ARGV[3], 'their server restarted')
redis.call('SET', KEYS[5], '1', 'PX', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[3])
local number = redis.call('INCR', KEYS[4])
local last = redis.call('GET', KEYS[1])
if not last then
  local time = redis.call('TIME')
  last = string.format('%d', tonumber(time[1]) * 1000000 + tonumber(time[2]))
  redis.call('SET', KEYS[1], last)
end
return {number, last, redis.call('HVALS', KEYS[6])}
)lua";

// Taking a name (after kForgetSourceFunction): KEYS names, this node's names, sessions, the source
// address's names; ARGV the folded name, the participant, the value, the folded old name ('' for a
// first name), the most names, the notice, the session's key, the most names per source address,
// the key prefix, the source address. Returns {1, id}; {0, the holder's name} when another
// participant holds it; {2, ''} when the room is full; {3, ''} when the source address holds as many
// names as it may, on all nodes together.
inline constexpr std::string_view kClaimScript = R"lua(
local current = redis.call('HGET', KEYS[3], ARGV[3])
if current then
  local owner, name = string.match(current, '^(%d+)\31[^\31]*\31([^\31]*)\31')
  if owner ~= ARGV[4] then return {0, name} end
elseif ARGV[6] == '' then
  if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[7]) then return {2, ''} end
  if redis.call('SCARD', KEYS[6]) >= tonumber(ARGV[10]) then return {3, ''} end
end
if ARGV[6] ~= '' and ARGV[6] ~= ARGV[3] then
  local old = redis.call('HGET', KEYS[3], ARGV[6])
  if old and string.match(old, '^(%d+)') == ARGV[4] then
    redis.call('HDEL', KEYS[3], ARGV[6])
    redis.call('SREM', KEYS[4], ARGV[6])
    forget_source(ARGV[11], ARGV[6])
  end
end
forget_source(ARGV[11], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[5])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('HSET', KEYS[5], ARGV[9], ARGV[3])
redis.call('HSET', ARGV[11] .. ':name-sources', ARGV[3], ARGV[12])
redis.call('SADD', KEYS[6], ARGV[3])
return {1, append(ARGV[8])}
)lua";

// Freeing a name (after kForgetSourceFunction): KEYS names, this node's names, sessions; ARGV the
// folded name, the value this node stored, the notice, the session's key, the key prefix. Returns
// the notice's id, or 0 when the name is no longer that claim's.
inline constexpr std::string_view kReleaseScript = R"lua(
if redis.call('HGET', KEYS[3], ARGV[3]) ~= ARGV[4] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[3])
redis.call('SREM', KEYS[4], ARGV[3])
redis.call('HDEL', KEYS[5], ARGV[6])
forget_source(ARGV[7], ARGV[3])
return append(ARGV[5])
)lua";

// Moving a session (and its name) to this node (after kForgetSourceFunction): KEYS names, sessions,
// this node's names; ARGV the session's key, its token, this node, the claim, the key prefix, the
// source address it now comes from, which the name is counted against from now on (as the node
// counts it). Stores a record that the session moved (log_record.h), so that the node that had it
// lets it go. Returns {1, participant, name, the
// new value, the record's id}, or {0} when no name holds that session.
inline constexpr std::string_view kResumeScript = R"lua(
local folded = redis.call('HGET', KEYS[4], ARGV[3])
if not folded then return {0} end
local value = redis.call('HGET', KEYS[3], folded)
if not value then return {0} end
local participant, node, name, claim, token = string.match(value, '^(%d+)\31([^\31]*)\31([^\31]*)\31([^\31]*)\31(%x+)$')
if token ~= ARGV[4] then return {0} end
local moved = table.concat({participant, ARGV[5], name, ARGV[6], token}, '\31')
redis.call('HSET', KEYS[3], folded, moved)
redis.call('SREM', ARGV[7] .. ':node-names:' .. node, folded)
redis.call('SADD', KEYS[5], folded)
forget_source(ARGV[7], folded)
redis.call('HSET', ARGV[7] .. ':name-sources', folded, ARGV[8])
redis.call('SADD', ARGV[7] .. ':address-names:' .. ARGV[8], folded)
local time = redis.call('TIME')
local id = append(table.concat({'1', '9', string.format('%d%06d', time[1], time[2]), name, '', '0', '0',
                                participant, ARGV[5], ''}, '\31'))
return {1, participant, name, moved, id}
)lua";

// Storing a direct message, with its recipient as Redis knows it: KEYS names; ARGV the folded
// recipient, and the record around the recipient's name and participant (log_record.h). Returns
// {id, recipient's name}, or {0} when nobody has that name.
inline constexpr std::string_view kDirectScript = R"lua(
local value = redis.call('HGET', KEYS[3], ARGV[3])
if not value then return {0} end
local participant, name = string.match(value, '^(%d+)\31[^\31]*\31([^\31]*)\31')
return {append(ARGV[4] .. name .. ARGV[5] .. participant .. ARGV[6]), name}
)lua";

// The last id given: KEYS none of its own. Returns the counter (a string), or nil in a new room.
inline constexpr std::string_view kLastIdScript = "return redis.call('GET', KEYS[1])";

// Renewing the lease: KEYS the lease, nodes; ARGV the lease in ms, the node.
inline constexpr std::string_view kRenewScript = R"lua(
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
redis.call('SADD', KEYS[4], ARGV[4])
return 1
)lua";

// Freeing the names of nodes whose lease is gone (after kFreeNodeFunction): KEYS names, nodes;
// ARGV the key prefix. Returns how many names it freed.
inline constexpr std::string_view kReapScript = R"lua(
local freed = 0
for _, node in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if redis.call('EXISTS', ARGV[3] .. ':node:' .. node) == 0 then
    freed = freed + free_node(KEYS[3], ARGV[3], node, 'their server stopped answering')
    redis.call('SREM', KEYS[4], node)
  end
end
return freed
)lua";

// `script` with the functions it calls before it: kForgetSourceFunction (kClaimScript,
// kReleaseScript, kResumeScript), and kFreeNodeFunction after it (kJoinScript, kReapScript).
inline std::string WithForgetSource(std::string_view script) {
  return std::string(kForgetSourceFunction) + std::string(script);
}
inline std::string WithFreeNode(std::string_view script) {
  return std::string(kForgetSourceFunction) + std::string(kFreeNodeFunction) + std::string(script);
}

}  // namespace chat::redis_scripts

#endif  // CHAT_SRC_BACKEND_REDIS_REDIS_SCRIPTS_H_

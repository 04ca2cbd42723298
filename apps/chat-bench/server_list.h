// --server A,B: the nodes of one room, among which chat-bench spreads its subscribers and senders.
#ifndef CHAT_APPS_CHAT_BENCH_SERVER_LIST_H_
#define CHAT_APPS_CHAT_BENCH_SERVER_LIST_H_

#include <cstddef>
#include <string>
#include <vector>

namespace chat::bench {

// "a:1,b:2" gives {"a:1", "b:2"}; an address without a comma gives itself.
inline std::vector<std::string> ServerList(const std::string& servers) {
  std::vector<std::string> list;
  std::size_t begin = 0;
  for (std::size_t comma = servers.find(','); comma != std::string::npos; comma = servers.find(',', begin)) {
    list.push_back(servers.substr(begin, comma - begin));
    begin = comma + 1;
  }
  list.push_back(servers.substr(begin));
  return list;
}

// The server the i-th subscriber or sender uses: the servers in turn.
inline const std::string& ServerFor(const std::vector<std::string>& servers, int i) {
  return servers[static_cast<std::size_t>(i) % servers.size()];
}

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_SERVER_LIST_H_

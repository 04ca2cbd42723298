// The server's Prometheus metrics, served at http://HOST:PORT/metrics in the text format by
// prometheus-cpp's pull exposer. docs/operations.md lists every metric, its labels and its meaning.
//
// Nothing is computed on the way of a message for these: at each scrape, the collector reads the
// room's counts (Room::stats(), under the room's lock, as the stats log line does), the server's
// CallCounters, and every queue's CallMetrics (relaxed atomics), and turns them into metric
// families; prometheus-cpp serializes them.
//
// Threading: the exposer runs scrapes on threads of its own (civetweb's), which read the sources
// above and take no lock but the room's, briefly. Destroying the ServerMetrics stops the endpoint and
// returns once no scrape is running, so its sources need only outlive it.
#ifndef CHAT_SRC_SERVER_METRICS_SERVER_METRICS_H_
#define CHAT_SRC_SERVER_METRICS_SERVER_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "chat/status.h"
#include "backend/room_backend.h"
#include "server/call_environment.h"
#include "server/metrics/call_metrics.h"

namespace prometheus {
class Exposer;
}

namespace chat {

// What the metrics are read from; every pointer must outlive the ServerMetrics that reads it.
struct MetricsSources {
  const RoomBackend* backend;
  const CallCounters* counters;
  std::vector<const CallMetrics*> queues;  // one per completion queue
};

// Every metric family, as a scrape sees them now. Thread-safe.
std::vector<prometheus::MetricFamily> CollectMetrics(const MetricsSources& sources);

class ServerMetrics {
 public:
  // Serves CollectMetrics(sources) at /metrics on `address`, HOST:PORT with HOST an IP address
  // ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:0"); port 0 picks a free port, which port() tells.
  // UNAVAILABLE when the address cannot be listened on.
  static Result<std::unique_ptr<ServerMetrics>> Serve(const std::string& address, MetricsSources sources);

  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  int port() const { return port_; }

 private:
  class Collector;
  ServerMetrics(std::shared_ptr<Collector> collector, std::unique_ptr<prometheus::Exposer> exposer, int port);

  std::shared_ptr<Collector> collector_;  // the exposer holds it weakly
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace chat

#endif  // CHAT_SRC_SERVER_METRICS_SERVER_METRICS_H_

#include "server/metrics/server_metrics.h"

#include <exception>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

namespace chat {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric GaugeOf(double value) {
  ClientMetric metric;
  metric.gauge.value = value;
  return metric;
}

ClientMetric CounterOf(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  return metric;
}

ClientMetric HistogramOf(const LatencyHistogram::Snapshot& snapshot, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < snapshot.counts.size(); ++i) {
    cumulative += snapshot.counts[i];
    ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound = i < kLatencyBuckets.size() ? kLatencyBuckets[i] : std::numeric_limits<double>::infinity();
    metric.histogram.bucket.push_back(bucket);
  }
  metric.histogram.sample_count = cumulative;
  metric.histogram.sample_sum = static_cast<double>(snapshot.sum_nanoseconds) / 1e9;
  return metric;
}

MetricFamily Family(std::string name, std::string help, MetricType type, std::vector<ClientMetric> metrics) {
  return MetricFamily{std::move(name), std::move(help), type, std::move(metrics)};
}

MetricFamily Gauge(std::string name, std::string help, double value) {
  return Family(std::move(name), std::move(help), MetricType::Gauge, {GaugeOf(value)});
}

MetricFamily Counter(std::string name, std::string help, double value) {
  return Family(std::move(name), std::move(help), MetricType::Counter, {CounterOf(value)});
}

// The kinds of message the room sequences. A replay's GAP is made for one stream and not counted;
// a node of a shared room sequences a GAP for ids it could not read from Redis.
constexpr MessageKind kSequencedKinds[] = {MessageKind::kChat,  MessageKind::kDirect, MessageKind::kJoin,
                                           MessageKind::kLeave, MessageKind::kNotice, MessageKind::kGap};
constexpr Rpc kUnaryRpcs[] = {Rpc::kAddUser, Rpc::kSendMessage, Rpc::kListUsers,
                              Rpc::kHistory, Rpc::kLeave,       Rpc::kHealthCheck};

}  // namespace

std::vector<MetricFamily> CollectMetrics(const MetricsSources& sources) {
  const Room::Stats room = sources.backend->stats();
  const CallCounters& counters = *sources.counters;
  std::vector<MetricFamily> families;

  families.push_back(Gauge("chat_users", "Registered names.", static_cast<double>(room.users)));
  families.push_back(Gauge("chat_subscribers", "Listen and Subscribe streams subscribed to the room.",
                           static_cast<double>(room.subscribers)));
  families.push_back(Gauge("chat_streams", "Listen and Subscribe calls being served, ending ones included.",
                           static_cast<double>(counters.listen_calls.load(std::memory_order_relaxed))));
  families.push_back(Gauge("chat_sessions", "Sessions, each holding a name.", static_cast<double>(room.sessions)));
  families.push_back(Gauge("chat_sessions_held", "Names held for a session that has no stream.",
                           static_cast<double>(room.held)));
  families.push_back(Gauge("chat_queued_messages",
                           "Messages waiting in the Listen and Subscribe streams' queues, all together.",
                           static_cast<double>(counters.queued_messages.load(std::memory_order_relaxed))));
  families.push_back(Gauge("chat_history_messages", "Messages in the kept history.",
                           static_cast<double>(room.history_messages)));
  families.push_back(Gauge("chat_history_bytes", "What the kept history counts against --history-bytes.",
                           static_cast<double>(room.history_bytes)));

  std::vector<ClientMetric> by_kind;
  for (MessageKind kind : kSequencedKinds) {
    by_kind.push_back(CounterOf(static_cast<double>(room.sequenced[static_cast<std::size_t>(kind)]),
                                {{"kind", std::string(KindName(kind))}}));
  }
  families.push_back(Family("chat_messages_accepted_total", "Messages and notices the room accepted, by kind.",
                            MetricType::Counter, std::move(by_kind)));
  families.push_back(Counter("chat_deliveries_total",
                             "Messages written to Listen and Subscribe streams (each of a batch), replays included.",
                             static_cast<double>(counters.deliveries.load(std::memory_order_relaxed))));
  families.push_back(Counter("chat_evictions_total", "Streams and observers ended for falling behind.",
                             static_cast<double>(room.evictions)));
  families.push_back(Family("chat_flood_refusals_total",
                            "Messages and names refused by flood control, by the bucket that was empty.",
                            MetricType::Counter,
                            {CounterOf(static_cast<double>(room.participant_floods), {{"limit", "participant"}}),
                             CounterOf(static_cast<double>(room.address_floods), {{"limit", "address"}})}));
  families.push_back(Counter("chat_sessions_resumed_total",
                             "Listen and Subscribe streams accepted with an after_id.",
                             static_cast<double>(room.resumes)));
  families.push_back(Counter("chat_replay_gaps_total", "Resumed streams whose replay began with a GAP.",
                             static_cast<double>(room.gaps)));

  std::uint64_t registrations[3] = {};
  std::vector<ClientMetric> refusals;
  LatencyHistogram::Snapshot fan_out;
  std::vector<LatencyHistogram::Snapshot> handling(kRpcs);
  for (const CallMetrics* queue : sources.queues) {
    registrations[0] += queue->registrations(RegistrationCode::kAdded);
    registrations[1] += queue->registrations(RegistrationCode::kTaken);
    registrations[2] += queue->registrations(RegistrationCode::kInvalid);
    queue->fan_out().AddTo(fan_out);
    for (std::size_t rpc = 0; rpc < kRpcs; ++rpc) queue->handling(static_cast<Rpc>(rpc)).AddTo(handling[rpc]);
  }
  // Refusals are sparse: a series appears with its first refusal.
  for (std::size_t rpc = 0; rpc < kRpcs; ++rpc) {
    for (std::size_t code = 1; code < kStatusCodes; ++code) {
      std::uint64_t count = 0;
      for (const CallMetrics* queue : sources.queues) count += queue->refusals(static_cast<Rpc>(rpc), code);
      if (count == 0) continue;
      std::vector<ClientMetric::Label> labels = {{"code", std::string(StatusCodeName(code))},
                                                 {"rpc", std::string(RpcName(static_cast<Rpc>(rpc)))}};
      refusals.push_back(CounterOf(static_cast<double>(count), std::move(labels)));
    }
  }
  families.push_back(Family("chat_registrations_total", "AddUser answers, by result.", MetricType::Counter,
                            {CounterOf(static_cast<double>(registrations[0]), {{"result", "ADDED"}}),
                             CounterOf(static_cast<double>(registrations[1]), {{"result", "TAKEN"}}),
                             CounterOf(static_cast<double>(registrations[2]), {{"result", "INVALID"}})}));
  families.push_back(Family("chat_refusals_total", "Calls answered with an error, by RPC and status code.",
                            MetricType::Counter, std::move(refusals)));

  families.push_back(Family("chat_fanout_latency_seconds",
                            "From the room accepting a message to its write to a stream completing (the write of "
                            "its batch, on Subscribe), per live message and stream.",
                            MetricType::Histogram, {HistogramOf(fan_out)}));
  std::vector<ClientMetric> durations;
  for (Rpc rpc : kUnaryRpcs) {
    durations.push_back(
        HistogramOf(handling[static_cast<std::size_t>(rpc)], {{"rpc", std::string(RpcName(rpc))}}));
  }
  families.push_back(Family("chat_rpc_duration_seconds",
                            "Unary calls, from their arrival to their answer handed to gRPC, by RPC.",
                            MetricType::Histogram, std::move(durations)));
  return families;
}

class ServerMetrics::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(MetricsSources sources) : sources_(std::move(sources)) {}
  std::vector<MetricFamily> Collect() const override { return CollectMetrics(sources_); }

 private:
  const MetricsSources sources_;
};

Result<std::unique_ptr<ServerMetrics>> ServerMetrics::Serve(const std::string& address, MetricsSources sources) {
  auto collector = std::make_shared<Collector>(std::move(sources));
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // One thread for scrapes: Prometheus scrapes every few seconds at most.
    exposer = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& error) {  // civetweb could not listen
    return Status(StatusCode::kUnavailable, fmt::format("cannot serve metrics on {}: {}", address, error.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) return Status(StatusCode::kUnavailable, fmt::format("cannot serve metrics on {}", address));
  exposer->RegisterCollectable(collector);
  const int port = ports.front();
  return std::unique_ptr<ServerMetrics>(new ServerMetrics(std::move(collector), std::move(exposer), port));
}

ServerMetrics::ServerMetrics(std::shared_ptr<Collector> collector, std::unique_ptr<prometheus::Exposer> exposer,
                             int port)
    : collector_(std::move(collector)), exposer_(std::move(exposer)), port_(port) {}

// The exposer goes first: its destructor stops civetweb, which waits for a scrape in progress.
ServerMetrics::~ServerMetrics() { exposer_.reset(); }

}  // namespace chat

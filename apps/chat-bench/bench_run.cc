#include "bench_run.h"

#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "chat/client.h"
#include "chat/process.h"
#include "bench_server.h"
#include "process_stats.h"
#include "sender_pool.h"
#include "stamp.h"
#include "subscriber_pool.h"

namespace chat::bench {
namespace {

constexpr std::chrono::seconds kDrainPatience(30);

BenchResult::Cost CostBetween(const ServerSample& from, const ServerSample& to, double seconds,
                              std::uint64_t deliveries) {
  BenchResult::Cost cost;
  const double cpu = to.cpu_seconds - from.cpu_seconds;
  cost.cpu_percent = 100 * cpu / seconds;
  if (deliveries == 0) return cost;
  const auto per_delivery = [deliveries](double total) { return total / static_cast<double>(deliveries); };
  cost.cpu_us = per_delivery(cpu * 1e6);
  cost.wakeups = per_delivery(static_cast<double>(to.voluntary_switches - from.voluntary_switches));
  cost.preemptions = per_delivery(static_cast<double>(to.involuntary_switches - from.involuntary_switches));
  return cost;
}

// chat-bench's own threads: all but an in-process server's.
ServerSample SampleLoad() { return SampleThisProcess("chat-cq-", /*with_prefix=*/false); }

}  // namespace

Result<BenchResult> RunBench(const BenchOptions& options) {
  RaiseOpenFileLimit();

  Result<std::unique_ptr<BenchServer>> server = BenchServer::Open(options);
  if (!server.ok()) return server.status();
  const std::string address = (*server)->address();
  const std::optional<ServerSample> before_subscribers = (*server)->Sample();

  const SubscriberPool::ReaderPolling polling{options.connections, options.reader_threads,
                                              options.reader_queue_per_thread, options.batched};
  Result<std::unique_ptr<SubscriberPool>> subscribers =
      SubscriberPool::Open(address, options.tls_root_certificates, options.subscribers, polling, options.stalled);
  if (!subscribers.ok()) return subscribers.status();
  const std::optional<ServerSample> with_subscribers = (*server)->Sample();
  const ServerSample load_before = SampleLoad();

  ClientOptions connection;
  connection.server_address = address;
  connection.tls_root_certificates = options.tls_root_certificates;
  Result<std::unique_ptr<SenderPool>> senders = SenderPool::Start(connection, options.senders, options.rate, options.size);
  if (!senders.ok()) return senders.status();
  const std::int64_t started = NowNanos();
  const auto send_until = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(options.duration_s));
  for (int second = 1; std::chrono::steady_clock::now() < send_until; ++second) {
    std::this_thread::sleep_until(std::min(send_until, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
    if (options.progress) {
      fmt::print(stderr, "chat-bench: {:>4} s  {:>10} accepted  {:>12} delivered  {} refused\n", second,
                 (*senders)->accepted(), (*subscribers)->deliveries(), (*senders)->refused());
    }
  }
  (*senders)->Stop();
  const std::int64_t stopped = NowNanos();
  const std::optional<ServerSample> after_sending = (*server)->Sample();

  (*subscribers)->WaitForAll((*senders)->last_id(), kDrainPatience);
  const std::int64_t drained = NowNanos();
  const std::optional<ServerSample> after_drain = (*server)->Sample();
  const ServerSample load_after = SampleLoad();
  const SubscriberPool::Tally tally = (*subscribers)->Close((*senders)->accepted());

  if (tally.failed > 0) {
    return Status(StatusCode::kUnavailable, fmt::format("{} of {} subscriber streams ended early; the first: {}",
                                                        tally.failed, options.subscribers,
                                                        tally.first_failure.ToString()));
  }

  BenchResult result;
  result.options = options;
  result.server_kind = (*server)->kind();
  result.accepted = (*senders)->accepted();
  result.refused = (*senders)->refused();
  result.first_refusal = (*senders)->first_refusal().ToString();
  result.deliveries = tally.deliveries;
  result.lost = tally.lost;
  result.reordered = tally.reordered;
  result.evicted = tally.evicted;
  result.stalled_evicted = tally.stalled_evicted;
  const double send_seconds = static_cast<double>(stopped - started) / 1e9;
  const double delivery_seconds = static_cast<double>(std::max(tally.last_delivery_nanos, stopped) - started) / 1e9;
  result.accepted_per_s = static_cast<double>(result.accepted) / send_seconds;
  result.deliveries_per_s = static_cast<double>(result.deliveries) / delivery_seconds;
  result.p50_us = tally.latency.Percentile(0.50);
  result.p90_us = tally.latency.Percentile(0.90);
  result.p99_us = tally.latency.Percentile(0.99);
  result.p999_us = tally.latency.Percentile(0.999);
  result.max_us = tally.latency.max();
  result.first_copy_p50_us = tally.first_copies.Percentile(0.50);
  result.first_copy_p99_us = tally.first_copies.Percentile(0.99);
  result.last_copy_p50_us = tally.last_copies.Percentile(0.50);
  result.last_copy_p99_us = tally.last_copies.Percentile(0.99);
  const double run_seconds = static_cast<double>(drained - started) / 1e9;
  result.bench_cost = CostBetween(load_before, load_after, run_seconds, result.deliveries);
  if (before_subscribers && with_subscribers && after_sending && after_drain) {
    result.server_cost = CostBetween(*with_subscribers, *after_drain, run_seconds, result.deliveries);
    result.server_source = (*server)->SampleSource();
    result.server_cpu_percent = 100 * (after_sending->cpu_seconds - with_subscribers->cpu_seconds) / send_seconds;
    result.server_rss_kb = after_sending->rss_kb;
    const int streams = options.subscribers + options.stalled;
    if (streams > 0) {
      result.rss_per_subscriber_kb =
          static_cast<double>(with_subscribers->rss_kb - before_subscribers->rss_kb) / streams;
    }
  }
  subscribers->reset();
  senders->reset();
  return result;
}

}  // namespace chat::bench

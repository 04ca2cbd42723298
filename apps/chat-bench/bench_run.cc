#include "bench_run.h"

#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "chat/client.h"
#include "chat/process.h"
#include "chat/server.h"
#include "process_stats.h"
#include "sender_pool.h"
#include "server_child.h"
#include "stamp.h"
#include "subscriber_pool.h"

namespace chat::bench {
namespace {

constexpr std::chrono::seconds kDrainPatience(30);

// Samples the server the way the options allow: the in-process one, a local process, or not at all.
class ServerSampler {
 public:
  ServerSampler(bool in_process, pid_t pid) : in_process_(in_process), pid_(pid) {}

  std::optional<ServerSample> Sample() const {
    if (in_process_) return SampleThisProcess("chat-cq-");
    if (pid_ > 0) return SampleProcess(pid_);
    return std::nullopt;
  }
  std::string Source() const {
    if (in_process_) return "in-process (CPU of its completion-queue threads; RSS of the whole process)";
    if (pid_ > 0) return fmt::format("process {}", pid_);
    return "";
  }

 private:
  bool in_process_;
  pid_t pid_;
};

}  // namespace

Result<BenchResult> RunBench(const BenchOptions& options) {
  RaiseOpenFileLimit();

  std::unique_ptr<Server> server;      // in this process
  std::unique_ptr<ServerChild> child;  // or in a process of its own
  std::string address = options.server;
  pid_t server_pid = options.server_pid;
  if (address.empty() && !options.in_process) {
    Result<std::string> binary = ServerChild::FindBinary(options.server_binary);
    if (!binary.ok()) return binary.status();
    Result<std::unique_ptr<ServerChild>> started = ServerChild::Start(*binary, options.server_threads);
    if (!started.ok()) return started.status();
    child = std::move(started).value();
    address = child->address();
    server_pid = child->pid();
  } else if (address.empty()) {
    ServerOptions server_options;
    server_options.address = "127.0.0.1:0";
    server_options.threads = options.server_threads;
    // The senders are meant to flood, and every client comes from 127.0.0.1: flood control and
    // the limits per source address are off, the stream caps as wide as the room's.
    server_options.max_rate = 0;
    server_options.max_address_rate = 0;
    server_options.max_registration_rate = 0;
    server_options.max_names_per_address = server_options.max_users;
    server_options.max_streams_per_address = server_options.max_streams;
    server_options.max_streams_per_connection = server_options.max_streams;
    server_options.max_connections_per_address = server_options.max_connections;
    server_options.max_reset_rate = 0;  // the readers cancel every stream at once when the run ends
    Result<std::unique_ptr<Server>> started = Server::Start(server_options);
    if (!started.ok()) return started.status();
    server = std::move(started).value();
    address = fmt::format("127.0.0.1:{}", server->port());
  }
  const ServerSampler sampler(server != nullptr, server_pid);
  const std::optional<ServerSample> before_subscribers = sampler.Sample();

  Result<std::unique_ptr<SubscriberPool>> subscribers = SubscriberPool::Open(
      address, options.tls_root_certificates, options.subscribers, options.connections, options.stalled);
  if (!subscribers.ok()) return subscribers.status();
  const std::optional<ServerSample> with_subscribers = sampler.Sample();

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
  const std::optional<ServerSample> after_sending = sampler.Sample();

  (*subscribers)->WaitForAll((*senders)->last_id(), kDrainPatience);
  const SubscriberPool::Tally tally = (*subscribers)->Close((*senders)->accepted());

  BenchResult result;
  result.options = options;
  result.server_kind = child != nullptr ? "started" : server != nullptr ? "in-process" : "given";
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
  if (before_subscribers && with_subscribers && after_sending) {
    result.server_source = sampler.Source();
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
  if (server != nullptr) server->Shutdown(std::chrono::seconds(1));
  child.reset();
  return result;
}

}  // namespace chat::bench

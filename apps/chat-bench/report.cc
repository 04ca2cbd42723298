#include "report.h"

#include <string_view>

#include <fmt/format.h>

namespace chat::bench {
namespace {

std::string Describe(const BenchOptions& o) {
  const std::string connections =
      o.connections > 0 ? fmt::format("sharing {} connections", o.connections) : "each on its own connection";
  const std::string rate = o.rate > 0 ? fmt::format("{:g} messages/s in all", o.rate) : "flat out";
  return fmt::format("{} subscribers {} reading {}, {} stalled; {} senders {}; {}-byte messages for {:g} s; {} "
                     "reader threads polling {}",
                     o.subscribers, connections, o.batched ? "Subscribe batches" : "Listen messages", o.stalled,
                     o.senders, rate, o.size, o.duration_s, o.reader_threads,
                     o.reader_queue_per_thread ? "a queue each" : "one queue");
}

std::string FormatCost(std::string_view side, const BenchResult::Cost& cost) {
  return fmt::format("  {:<12} CPU {:.1f}% of a core   per delivery: {:.2f} us CPU, {:.3f} wake-ups, {:.3f} preemptions\n",
                     side, cost.cpu_percent, cost.cpu_us, cost.wakeups, cost.preemptions);
}

std::string CostJson(std::string_view side, const BenchResult::Cost& cost) {
  return fmt::format(R"("{0}_cpu_percent_run":{1:.2f},"{0}_cpu_us_per_delivery":{2:.3f},)"
                     R"("{0}_wakeups_per_delivery":{3:.4f},"{0}_preemptions_per_delivery":{4:.4f})",
                     side, cost.cpu_percent, cost.cpu_us, cost.wakeups, cost.preemptions);
}

}  // namespace

std::string FormatTable(const BenchResult& r) {
  std::string table = fmt::format("chat-bench: {}\n", Describe(r.options));
  table += fmt::format("  accepted     {:>12} messages  {:>12.0f} /s\n", r.accepted, r.accepted_per_s);
  table += fmt::format("  deliveries   {:>12}           {:>12.0f} /s\n", r.deliveries, r.deliveries_per_s);
  table += fmt::format("  latency      p50 {} us   p90 {} us   p99 {} us   p99.9 {} us   max {} us\n", r.p50_us,
                       r.p90_us, r.p99_us, r.p999_us, r.max_us);
  table += fmt::format("  per message  first copy p50 {} us   p99 {} us   last copy p50 {} us   p99 {} us\n",
                       r.first_copy_p50_us, r.first_copy_p99_us, r.last_copy_p50_us, r.last_copy_p99_us);
  table += fmt::format("  lost {}   reordered {}   evicted {} (and {} of {} stalled)   refused sends {}\n", r.lost,
                       r.reordered, r.evicted, r.stalled_evicted, r.options.stalled, r.refused);
  if (r.refused > 0) table += fmt::format("  first refusal: {}\n", r.first_refusal);
  if (!r.server_source.empty()) {
    table += fmt::format("  server       CPU {:.1f}% of a core   RSS {} kB   {:.1f} kB per subscriber\n",
                         r.server_cpu_percent, r.server_rss_kb, r.rss_per_subscriber_kb);
    table += fmt::format("               measured: {}\n", r.server_source);
  }
  table += "  from the first send until every subscriber caught up:\n";
  if (!r.server_source.empty()) table += FormatCost("server", r.server_cost);
  table += FormatCost("chat-bench", r.bench_cost);
  return table;
}

std::string FormatJson(const BenchResult& r) {
  const BenchOptions& o = r.options;
  return fmt::format(
      R"({{"subscribers":{},"connections":{},"stalled":{},"senders":{},"rate":{},"duration_s":{},"size":{},)"
      R"("accepted":{},"accepted_per_s":{:.1f},"deliveries":{},"deliveries_per_s":{:.1f},)"
      R"("p50_us":{},"p90_us":{},"p99_us":{},"p999_us":{},"max_us":{},)"
      R"("first_copy_p50_us":{},"first_copy_p99_us":{},"last_copy_p50_us":{},"last_copy_p99_us":{},)"
      R"("lost":{},"reordered":{},"evicted":{},"stalled_evicted":{},"refused":{},)"
      R"("stream":"{}","reader_threads":{},"reader_queues":"{}",)"
      R"("server":"{}","server_measured":{},"server_cpu_percent":{:.2f},"server_rss_kb":{},"rss_per_subscriber_kb":{:.2f},)"
      R"({},{}}})",
      o.subscribers, o.connections > 0 ? o.connections : o.subscribers, o.stalled, o.senders, o.rate, o.duration_s,
      o.size, r.accepted, r.accepted_per_s, r.deliveries, r.deliveries_per_s, r.p50_us, r.p90_us, r.p99_us,
      r.p999_us, r.max_us, r.first_copy_p50_us, r.first_copy_p99_us, r.last_copy_p50_us, r.last_copy_p99_us,
      r.lost, r.reordered, r.evicted, r.stalled_evicted, r.refused, o.batched ? "subscribe" : "listen",
      o.reader_threads,
      o.reader_queue_per_thread ? "per-thread" : "shared", r.server_kind, r.server_source.empty() ? "false" : "true",
      r.server_cpu_percent, r.server_rss_kb, r.rss_per_subscriber_kb, CostJson("server", r.server_cost),
      CostJson("bench", r.bench_cost));
}

std::string FormatTable(const ResumeResult& r) {
  std::string table =
      fmt::format("chat-bench --resume: {} messages of {} bytes kept, {} replayed per resume, {} rounds\n",
                  r.resume.kept, r.options.size, r.resume.replayed, r.resume.rounds);
  table += fmt::format("  replay       min {:.2f} ms   p50 {:.2f} ms   p90 {:.2f} ms   max {:.2f} ms\n",
                       r.replay_ms_min, r.replay_ms_p50, r.replay_ms_p90, r.replay_ms_max);
  if (!r.server_source.empty()) {
    table += fmt::format("  server       RSS {} kB before, {} kB after: {:.0f} kB per 10,000 kept messages\n",
                         r.rss_before_kb, r.rss_after_kb, r.kb_per_10000_kept);
    table += fmt::format("               measured: {}\n", r.server_source);
  }
  return table;
}

std::string FormatJson(const ResumeResult& r) {
  return fmt::format(
      R"({{"mode":"resume","kept":{},"size":{},"replayed":{},"rounds":{},)"
      R"("replay_ms_min":{:.3f},"replay_ms_p50":{:.3f},"replay_ms_p90":{:.3f},"replay_ms_max":{:.3f},)"
      R"("server":"{}","server_measured":{},"rss_before_kb":{},"rss_after_kb":{},"kb_per_10000_kept":{:.1f}}})",
      r.resume.kept, r.options.size, r.resume.replayed, r.resume.rounds, r.replay_ms_min, r.replay_ms_p50,
      r.replay_ms_p90, r.replay_ms_max, r.server_kind, r.server_source.empty() ? "false" : "true", r.rss_before_kb,
      r.rss_after_kb, r.kb_per_10000_kept);
}

}  // namespace chat::bench

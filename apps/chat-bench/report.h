#ifndef CHAT_APPS_CHAT_BENCH_REPORT_H_
#define CHAT_APPS_CHAT_BENCH_REPORT_H_

#include <string>

#include "bench_run.h"
#include "resume_run.h"

namespace chat::bench {

// A table for people.
std::string FormatTable(const BenchResult& result);

// One JSON object on one line, for scripts: every figure of the table, with stable keys.
std::string FormatJson(const BenchResult& result);

// The same two for chat-bench --resume.
std::string FormatTable(const ResumeResult& result);
std::string FormatJson(const ResumeResult& result);

}  // namespace chat::bench

#endif  // CHAT_APPS_CHAT_BENCH_REPORT_H_

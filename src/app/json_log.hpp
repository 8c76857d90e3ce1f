// Structured logs (issue #9): one JSON object per line on stderr,
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"…","request_id":"r-42","service":"…"}
// `request_id` and `service` appear when the logging thread is inside a `ScopedLogContext` (the
// call and feedback handlers open one). Never put patient ids, tokens or bodies in a message.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace vcf_cds::app {

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Fields added to every log line written by this thread while the scope lives.
class ScopedLogContext {
 public:
  ScopedLogContext(std::string request_id, std::string service);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  std::string previous_request_id_;
  std::string previous_service_;
};

// A process-unique request id, "r-<n>" (a counter: cheap, and unique enough within one log).
std::string next_request_id();

// "json", "text", or "auto" (json unless stderr is a terminal). Installs a stderr logger as the
// default. Returns false for an unknown format.
bool configure_logging(std::string_view format);

}  // namespace vcf_cds::app

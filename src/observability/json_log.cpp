#include "vcf_cds/observability.hpp"

#include "common/json_text.hpp"
#include "common/time.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>

namespace vcf_cds::observability {
namespace {

thread_local std::string t_request_id;
thread_local std::string t_service;

void field(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  common::append_json_string(out, name);
  out += ':';
  common::append_json_string(out, value);
}

}  // namespace

void JsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string line = "{\"ts\":\"" + common::rfc3339_utc(msg.time) + "\"";
  const auto level = spdlog::level::to_string_view(msg.level);
  field(line, "level", std::string_view(level.data(), level.size()));
  field(line, "msg", std::string_view(msg.payload.data(), msg.payload.size()));
  if (!t_request_id.empty()) field(line, "request_id", t_request_id);
  if (!t_service.empty()) field(line, "service", t_service);
  line += "}\n";
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonFormatter::clone() const {
  return std::make_unique<JsonFormatter>();
}

ScopedLogContext::ScopedLogContext(std::string request_id, std::string service)
    : previous_request_id_(std::exchange(t_request_id, std::move(request_id))),
      previous_service_(std::exchange(t_service, std::move(service))) {}

ScopedLogContext::~ScopedLogContext() {
  t_request_id = std::move(previous_request_id_);
  t_service = std::move(previous_service_);
}

std::string next_request_id() {
  static std::atomic<std::uint64_t> counter{0};
  return "r-" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

bool configure_logging(std::string_view format) {
  bool json = format == "json";
  if (format == "auto")
    json = ::isatty(STDERR_FILENO) == 0;
  else if (!json && format != "text")
    return false;
  const auto level = spdlog::get_level();
  // Built directly (not through spdlog's registry helpers) so a second call cannot throw.
  std::shared_ptr<spdlog::logger> logger;
  if (json) {
    logger = std::make_shared<spdlog::logger>("vcf-cds",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger = std::make_shared<spdlog::logger>(
        "vcf-cds", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

}  // namespace vcf_cds::observability

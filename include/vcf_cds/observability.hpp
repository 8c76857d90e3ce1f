// File: observability.hpp — what an operator sees of the running service: Prometheus metrics
// (`GET /metrics`), structured JSON logs and request ids.
//
// Metrics: fixed label sets (endpoints, histogram buckets, reload results) are plain atomics so
// the hot path takes no lock; label sets only known at run time (status, service, decision, JWT
// reason) are counted in a mutex-protected map. Gauges another component owns (audit store,
// knowledge version) are read at scrape time through `ScrapeSources`, so nothing is counted twice.
//
// Logs: one JSON object per line on stderr,
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"…","request_id":"r-42","service":"…"}
// `request_id` and `service` appear while the logging thread is inside a `ScopedLogContext`.
// Never put patient ids, tokens or bodies in a message.
#pragma once

#include <spdlog/formatter.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"
#include "vcf_cds/criteria.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::observability {

// ---- metrics ----------------------------------------------------------------------------------

// Label values for `endpoint`: discovery|call|feedback|health|ready|metrics|other.
std::string_view endpoint_label(http::RouteKind kind);
// "usually-appropriate" | "may-be-appropriate" | "usually-not-appropriate" | "no-criteria-apply".
std::string decision_category_label(const criteria::Decision& decision);
// `"` `\` and newline escaped as the exposition format requires for label values.
std::string escape_label_value(std::string_view value);

// What the scrape reads from other components; empty functions are skipped.
struct ScrapeSources {
  std::function<audit::Health()> audit_health;
  std::function<std::string()> knowledge_version;
  std::function<auth::JtiLedgerStats()> replay_ledger;
};

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets{.001, .0025, .005, .01, .025, .05,
                                                   .1,   .25,   .5,   1,   2.5,  5};
  static constexpr std::size_t kEndpoints = 7;

  // One written response. `service_id` is only kept when it names a known service (an
  // arbitrary URL segment must not create label sets without bound).
  void observe_request(http::RouteKind kind, std::string_view service_id, unsigned status,
                       std::chrono::steady_clock::duration duration);
  // A decision's label set is taken while the decision exists and counted later: a call counts
  // its decisions only once their audit commit succeeded.
  static std::string decision_labels(const criteria::Decision& decision);
  void count_decision_labels(const std::string& labels);
  // A consult of a retried call that joined the first attempt's audit record (its decision was
  // counted with the first attempt).
  void count_retry_joined();
  void count_jwt_failure(std::string_view reason);
  void count_fhir_fetch_error();
  // A call refused because its FHIR server had --fhir-origin-concurrency fallback calls running.
  void count_fhir_origin_refusal();
  void count_reload(bool ok);
  void count_connection_refused();
  // Heap trims run after a large call (`vcf-cds serve --trim-after-bytes`).
  void count_memory_trims(std::uint64_t trims);

  // The whole exposition text.
  std::string render(const ScrapeSources& sources) const;

 private:
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};  // non-cumulative
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  using LabelCounts = std::map<std::string, std::uint64_t>;  // rendered label set -> count

  void increment(LabelCounts& counts, std::string labels);

  std::array<Histogram, kEndpoints> durations_;
  std::atomic<std::uint64_t> fhir_fetch_errors_{0};
  std::atomic<std::uint64_t> fhir_origin_refusals_{0};
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
  std::atomic<std::uint64_t> connections_refused_{0};
  std::atomic<std::uint64_t> retries_joined_{0};
  std::atomic<std::uint64_t> memory_trims_{0};
  mutable std::mutex mutex_;  // guards the maps below
  LabelCounts requests_;
  LabelCounts decisions_;
  LabelCounts jwt_failures_;
};

// Counts fetches that fail (transport error) or answer a non-2xx status, then passes through.
class CountingFetcher : public hooks::FhirFetcher {
 public:
  CountingFetcher(std::shared_ptr<hooks::FhirFetcher> inner, std::shared_ptr<Metrics> metrics)
      : inner_(std::move(inner)), metrics_(std::move(metrics)) {}
  Result<hooks::FhirResponse> get(std::string_view url, std::string_view bearer_token) override;
  Result<hooks::FhirResponse> get_within(std::string_view url, std::string_view bearer_token,
                                         const hooks::FetchLimits& limits) override;

 private:
  std::shared_ptr<hooks::FhirFetcher> inner_;
  std::shared_ptr<Metrics> metrics_;
};

// ---- logs ---------------------------------------------------------------------------------------

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

}  // namespace vcf_cds::observability

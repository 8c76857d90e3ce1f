#include "vcf_cds/observability.hpp"

#include <cctype>
#include <cstdio>

namespace vcf_cds::observability {
namespace {

constexpr std::array<std::string_view, Metrics::kEndpoints> kEndpointLabels{
    "discovery", "call", "feedback", "health", "ready", "metrics", "other"};

std::size_t endpoint_index(http::RouteKind kind) {
  const std::string_view label = endpoint_label(kind);
  for (std::size_t i = 0; i < kEndpointLabels.size(); ++i) {
    if (kEndpointLabels[i] == label) return i;
  }
  return kEndpointLabels.size() - 1;
}

// The hook a known service id answers, or nullptr for an unknown id.
const hooks::ServiceDescriptor* find_service(std::string_view id) {
  for (const auto& service : hooks::services()) {
    if (service.id == id) return &service;
  }
  return nullptr;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(number(value)).append("\n");
}

// A metric with one unlabelled sample: its HELP and TYPE lines, then the value.
void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            double value) {
  header(out, name, type, help);
  sample(out, name, "", value);
}

}  // namespace

std::string_view endpoint_label(http::RouteKind kind) {
  switch (kind) {
    case http::RouteKind::discovery:
      return "discovery";
    case http::RouteKind::call:
      return "call";
    case http::RouteKind::feedback:
      return "feedback";
    case http::RouteKind::health:
      return "health";
    case http::RouteKind::ready:
      return "ready";
    case http::RouteKind::metrics:
      return "metrics";
    case http::RouteKind::evidence:
      return "evidence";
    default:
      return "other";  // preflight, not found, method not allowed, unreadable request
  }
}

std::string decision_category_label(const criteria::Decision& decision) {
  if (decision.outcome != criteria::Outcome::rated || decision.headline.row == nullptr) {
    return "no-criteria-apply";
  }
  std::string label(criteria::to_string(decision.headline.row->category));
  for (char& c : label) c = c == ' ' ? '-' : static_cast<char>(std::tolower(c));
  return label;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Metrics::increment(LabelCounts& counts, std::string labels) {
  std::lock_guard lock(mutex_);
  ++counts[std::move(labels)];
}

void Metrics::observe_request(http::RouteKind kind, std::string_view service_id, unsigned status,
                              std::chrono::steady_clock::duration duration) {
  const auto* service = kind == http::RouteKind::call || kind == http::RouteKind::feedback
                            ? find_service(service_id)
                            : nullptr;
  const std::string_view hook = service ? hooks::to_string(service->hook) : "";
  increment(requests_, "endpoint=\"" + std::string(endpoint_label(kind)) + "\",service=\"" +
                           (service ? service->id : std::string()) + "\",hook=\"" +
                           std::string(hook) + "\",status=\"" + std::to_string(status) + "\"");

  Histogram& histogram = durations_[endpoint_index(kind)];
  const double seconds = std::chrono::duration<double>(duration).count();
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  if (bucket < kBuckets.size()) histogram.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  histogram.count.fetch_add(1, std::memory_order_relaxed);
  histogram.sum_ns.fetch_add(
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count()),
      std::memory_order_relaxed);
}

std::string Metrics::decision_labels(const criteria::Decision& decision) {
  const bool rated =
      decision.outcome == criteria::Outcome::rated && decision.headline.variant != nullptr;
  const std::string variant = rated ? std::to_string(decision.headline.variant->number) : "none";
  return "variant=\"" + variant + "\",category=\"" + decision_category_label(decision) + "\"";
}

void Metrics::count_decision_labels(const std::string& labels) {
  increment(decisions_, labels);
}

void Metrics::count_jwt_failure(std::string_view reason) {
  increment(jwt_failures_, "reason=\"" + escape_label_value(reason) + "\"");
}

void Metrics::count_fhir_fetch_error() {
  fhir_fetch_errors_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::count_retry_joined() {
  retries_joined_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::count_fhir_origin_refusal() {
  fhir_origin_refusals_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::count_connection_refused() {
  connections_refused_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::count_memory_trims(std::uint64_t trims) {
  memory_trims_.fetch_add(trims, std::memory_order_relaxed);
}

void Metrics::count_reload(bool ok) {
  (ok ? reloads_ok_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const ScrapeSources& sources) const {
  std::string out;
  const auto counts = [&](std::string_view name, const LabelCounts& map) {
    for (const auto& [labels, value] : map) sample(out, name, labels, static_cast<double>(value));
  };
  {
    std::lock_guard lock(mutex_);
    header(out, "vcf_cds_requests_total", "counter", "HTTP responses written.");
    counts("vcf_cds_requests_total", requests_);
    header(out, "vcf_cds_decisions_total", "counter", "Consult decisions by variant and category.");
    counts("vcf_cds_decisions_total", decisions_);
    header(out, "vcf_cds_jwt_failures_total", "counter", "Refused JWTs by reason.");
    counts("vcf_cds_jwt_failures_total", jwt_failures_);
  }

  const std::string_view hist = "vcf_cds_request_duration_seconds";
  header(out, hist, "histogram", "Time from the first request byte to the response.");
  for (std::size_t e = 0; e < kEndpoints; ++e) {
    const Histogram& h = durations_[e];
    const std::string endpoint = "endpoint=\"" + std::string(kEndpointLabels[e]) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.buckets[b].load(std::memory_order_relaxed);
      sample(out, std::string(hist) + "_bucket", endpoint + ",le=\"" + number(kBuckets[b]) + "\"",
             static_cast<double>(cumulative));
    }
    const auto count = static_cast<double>(h.count.load(std::memory_order_relaxed));
    sample(out, std::string(hist) + "_bucket", endpoint + ",le=\"+Inf\"", count);
    sample(out, std::string(hist) + "_sum", endpoint,
           static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    sample(out, std::string(hist) + "_count", endpoint, count);
  }

  metric(out, "vcf_cds_fhir_fetch_errors_total", "counter",
         "FHIR GETs that failed or answered a non-2xx status.",
         static_cast<double>(fhir_fetch_errors_.load(std::memory_order_relaxed)));
  metric(out, "vcf_cds_fhir_origin_refusals_total", "counter",
         "Calls answered 503 because their FHIR server had --fhir-origin-concurrency fallback "
         "calls running.",
         static_cast<double>(fhir_origin_refusals_.load(std::memory_order_relaxed)));
  metric(out, "vcf_cds_connections_refused_total", "counter",
         "Connections refused because --max-connections were open.",
         static_cast<double>(connections_refused_.load(std::memory_order_relaxed)));
  metric(out, "vcf_cds_consult_retries_joined_total", "counter",
         "Consults of a retried hook call answered with the first attempt's audit record.",
         static_cast<double>(retries_joined_.load(std::memory_order_relaxed)));
  metric(out, "vcf_cds_memory_trims_total", "counter",
         "Heap trims (free memory given back to the OS) after calls over --trim-after-bytes.",
         static_cast<double>(memory_trims_.load(std::memory_order_relaxed)));
  header(out, "vcf_cds_knowledge_reloads_total", "counter", "Knowledge reloads (SIGHUP).");
  sample(out, "vcf_cds_knowledge_reloads_total", "result=\"ok\"",
         static_cast<double>(reloads_ok_.load(std::memory_order_relaxed)));
  sample(out, "vcf_cds_knowledge_reloads_total", "result=\"failed\"",
         static_cast<double>(reloads_failed_.load(std::memory_order_relaxed)));

  if (sources.knowledge_version) {
    header(out, "vcf_cds_knowledge_info", "gauge", "The knowledge version in use.");
    sample(out, "vcf_cds_knowledge_info",
           "version=\"" + escape_label_value(sources.knowledge_version()) + "\"", 1);
  }
  if (sources.replay_ledger) {
    const auth::JtiLedgerStats replay = sources.replay_ledger();
    metric(out, "vcf_cds_jwt_replay_evictions_total", "counter",
           "jti entries forgotten because their token had expired (never a live one).",
           static_cast<double>(replay.evictions));
    header(out, "vcf_cds_jwt_replay_refusals_total", "counter",
           "Valid JWTs answered 503 because the jti ledger was full or unreachable.");
    sample(out, "vcf_cds_jwt_replay_refusals_total", "cause=\"full\"",
           static_cast<double>(replay.full_refusals));
    sample(out, "vcf_cds_jwt_replay_refusals_total", "cause=\"unavailable\"",
           static_cast<double>(replay.errors));
    if (replay.capacity != 0) {
      metric(out, "vcf_cds_jwt_replay_entries", "gauge", "jti entries held in memory.",
             static_cast<double>(replay.entries));
      metric(out, "vcf_cds_jwt_replay_capacity", "gauge", "Most jti entries held in memory.",
             static_cast<double>(replay.capacity));
    }
  }
  if (sources.audit_health) {
    const audit::Health health = sources.audit_health();
    metric(out, "vcf_cds_audit_queue_depth", "gauge", "Audit records waiting for the writer.",
           static_cast<double>(health.queue_depth));
    metric(out, "vcf_cds_audit_last_commit_seconds", "gauge",
           "Duration of the last audit transaction.", health.last_commit_ms / 1000.0);
    metric(out, "vcf_cds_audit_commits_total", "counter", "Audit transactions committed.",
           static_cast<double>(health.commits));
    if (health.backend == "sqlite") {
      header(out, "vcf_cds_audit_wal_checkpoints_total", "counter",
             "SQLite WAL checkpoints, by the checkpoint thread or inside a commit (the thread fell "
             "behind).");
      sample(out, "vcf_cds_audit_wal_checkpoints_total", "by=\"thread\"",
             static_cast<double>(health.wal_checkpoints));
      sample(out, "vcf_cds_audit_wal_checkpoints_total", "by=\"commit\"",
             static_cast<double>(health.wal_checkpoints_in_commit));
    }
    metric(out, "vcf_cds_audit_writable", "gauge", "1 when the audit store accepts records.",
           health.writable ? 1 : 0);
  }
  return out;
}

Result<hooks::FhirResponse> CountingFetcher::get(std::string_view url,
                                                 std::string_view bearer_token) {
  auto response = inner_->get(url, bearer_token);
  if (!response || response->status < 200 || response->status >= 300) {
    metrics_->count_fhir_fetch_error();
  }
  return response;
}

Result<hooks::FhirResponse> CountingFetcher::get_within(std::string_view url,
                                                        std::string_view bearer_token,
                                                        const hooks::FetchLimits& limits) {
  auto response = inner_->get_within(url, bearer_token, limits);
  if (!response || response->status < 200 || response->status >= 300) {
    metrics_->count_fhir_fetch_error();
  }
  return response;
}

}  // namespace vcf_cds::observability

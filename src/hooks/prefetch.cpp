// Prefetch completion (CDS Hooks 2.0 "Prefetch", "FHIR Resource Access"; CONTRACT §6, §7).
//
// For each key the service declared, in discovery order: use what the client sent (a Bundle's
// entries, a single resource; `null` or an empty Bundle is "no data"); a missing key or an
// OperationOutcome is fetched as `{fhirServer}/{template}` with the bearer token, following
// Bundle `next` links. A required key (patient, conditions, procedures) that is neither sent nor
// fetchable is a 412. Fetches are sequential; a worker thread runs this, never an I/O thread.
#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "hooks/json_util.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {
namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '/';
}

void append_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
}

// `{{userPractitionerId}}` etc. are the id part of context.userId when its type matches.
std::string_view user_id_of_type(std::string_view user_id, std::string_view type) {
  if (user_id.size() > type.size() + 1 && user_id.starts_with(type) &&
      user_id[type.size()] == '/') {
    return user_id.substr(type.size() + 1);
  }
  return {};
}

std::string_view token_value(std::string_view token, const HookRequest& request) {
  if (token == "context.patientId") return request.patient_id;
  if (token == "context.userId") return request.user_id;
  if (token == "context.encounterId") return request.encounter_id;
  if (token == "userPractitionerId") return user_id_of_type(request.user_id, "Practitioner");
  if (token == "userPractitionerRoleId")
    return user_id_of_type(request.user_id, "PractitionerRole");
  if (token == "userPatientId") return user_id_of_type(request.user_id, "Patient");
  if (token == "userRelatedPersonId") return user_id_of_type(request.user_id, "RelatedPerson");
  return {};
}

bool is_operation_outcome(const rapidjson::Value& value) {
  return json::resource_type(value) == "OperationOutcome";
}

// Files one resource by its type; the key only names where it came from.
void add_resource(ClinicalData& data, const rapidjson::Value& resource) {
  const std::string_view type = json::resource_type(resource);
  if (type == "Patient") {
    if (data.patient == nullptr) data.patient = &resource;
  } else if (type == "Condition") {
    data.conditions.push_back(&resource);
  } else if (type == "Procedure") {
    data.procedures.push_back(&resource);
  } else if (type == "Observation") {
    data.observations.push_back(&resource);
  }
}

// A Bundle's entry resources, or the value itself.
void add_resources(ClinicalData& data, const rapidjson::Value& value) {
  if (json::resource_type(value) != "Bundle") {
    add_resource(data, value);
    return;
  }
  const rapidjson::Value* entries = json::find(value, "entry");
  if (entries == nullptr || !entries->IsArray()) return;
  for (const rapidjson::Value& entry : entries->GetArray()) {
    const rapidjson::Value* resource = json::find(entry, "resource");
    if (resource != nullptr && resource->IsObject()) add_resource(data, *resource);
  }
}

std::string_view next_link(const rapidjson::Value& bundle) {
  const rapidjson::Value* links = json::find(bundle, "link");
  if (links == nullptr || !links->IsArray()) return {};
  for (const rapidjson::Value& link : links->GetArray()) {
    if (json::string_member(link, "relation") == "next") return json::string_member(link, "url");
  }
  return {};
}

// "https://host:port" of a URL, to keep the bearer token on the client's own FHIR server.
std::string_view origin(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::size_t path = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, path);
}

std::string join_url(std::string_view base, std::string_view relative) {
  while (base.ends_with('/')) base.remove_suffix(1);
  while (relative.starts_with('/')) relative.remove_prefix(1);
  std::string url(base);
  url += '/';
  url += relative;
  return url;
}

Error unobtainable(std::string_view key, std::string reason) {
  return make_error(ErrorCode::precondition_failed, "prefetch." + std::string(key),
                    "prefetch key '" + std::string(key) + "' " + reason);
}

// Refused before any connection: the same answer whatever is (or is not) at that address.
Error not_allowed() {
  return make_error(ErrorCode::precondition_failed, "fhirServer",
                    "data is missing from prefetch and fhirServer is not a FHIR server this "
                    "service may read from");
}

// One call's FHIR fallback budget, shared by all its pages and keys.
class Budget {
 public:
  explicit Budget(const PrefetchOptions& options)
      : options_(options), deadline_(options.now() + options.budget_time) {}

  // What the next GET may use; nullopt when time or bytes have run out.
  std::optional<FetchLimits> remaining() {
    const auto now = options_.now();
    if (now >= deadline_) {
      time_out_ = true;
      return std::nullopt;
    }
    if (bytes_used_ >= options_.budget_bytes) {
      bytes_out_ = true;
      return std::nullopt;
    }
    return FetchLimits{std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now),
                       options_.budget_bytes - bytes_used_};
  }
  // False when `bytes` more exceed the budget.
  bool spend(std::size_t bytes) {
    bytes_used_ += bytes;
    if (bytes_used_ > options_.budget_bytes) bytes_out_ = true;
    return !bytes_out_;
  }
  void bytes_ran_out() { bytes_out_ = true; }
  // After a failed GET: a GET cut short by the call's deadline is the budget's doing.
  void note_failure() {
    if (options_.now() >= deadline_) time_out_ = true;
  }
  bool exhausted() const { return time_out_ || bytes_out_; }

  Error error(std::string_view key) const {
    const std::string what = time_out_
                                 ? "time (" + std::to_string(options_.budget_time.count()) + " ms)"
                                 : "bytes (" + std::to_string(options_.budget_bytes) + ")";
    return unobtainable(key,
                        "was not sent and reading it from the FHIR server ran out of the "
                        "call's FHIR fallback budget: " +
                            what);
  }

 private:
  const PrefetchOptions& options_;
  std::chrono::steady_clock::time_point deadline_;
  std::size_t bytes_used_ = 0;
  bool time_out_ = false;
  bool bytes_out_ = false;
};

// A page that was not read although the data goes on: the decision rests on part of it.
void mark_partial(ClinicalData& data, std::string_view key, PartialReason reason) {
  spdlog::warn("prefetch {}: read in part ({})", key, to_string(reason));
  data.partial.push_back(PartialRead{std::string(key), reason});
}

// GETs `url` and every `next` page (up to the cap), keeping each page on the ParsedCall.
Status fetch_pages(ParsedCall& consult, FhirFetcher& fetcher, Budget& budget, std::string_view key,
                   std::string url, const PrefetchOptions& options) {
  const std::string_view server_origin = origin(consult.request.fhir_server);
  for (int page = 0; page < options.max_pages; ++page) {
    // Every GET, `next` pages included, goes only to an allowed origin: never a connection
    // (or a token) elsewhere.
    if (!options.fhir_servers.allows(url)) return not_allowed();
    const auto limits = budget.remaining();
    if (!limits) return budget.error(key);
    auto response = fetcher.get_within(url, consult.access_token, *limits);
    if (!response) {
      if (response.error().code == ErrorCode::payload_too_large) budget.bytes_ran_out();
      budget.note_failure();
      if (budget.exhausted()) return budget.error(key);
      // The cause stays in the log: the answer is the same for a refused connection, a reset, a
      // timeout or a bad certificate, so calls cannot map what listens where.
      spdlog::warn("prefetch {}: FHIR GET failed: {}", key, response.error().message);
      return unobtainable(key, "was not sent and the FHIR server could not be read");
    }
    if (!budget.spend(response->body.size())) return budget.error(key);
    // A 404 on a read (or on a later page) is "no data" (CONTRACT §7).
    if (response->status == 404) return Ok{};
    if (response->status < 200 || response->status > 299) {
      return unobtainable(key, "was not sent and the FHIR server answered HTTP " +
                                   std::to_string(response->status));
    }
    auto& doc = *consult.fetched.emplace_back(std::make_unique<JsonDocument>());
    doc.text = std::move(response->body);
    if (Status parsed = parse_json(doc, options.limits); !parsed) {
      return unobtainable(key, "was not sent and the FHIR server's answer is not usable JSON: " +
                                   parsed.error().message);
    }
    if (!doc.dom.IsObject() || is_operation_outcome(doc.dom)) {
      return unobtainable(key,
                          "was not sent and the FHIR server answered with an OperationOutcome");
    }
    add_resources(consult.request.data, doc.dom);
    const std::string_view next = next_link(doc.dom);
    if (next.empty()) return Ok{};
    std::string next_url = next.starts_with("http://") || next.starts_with("https://")
                               ? std::string(next)
                               : join_url(consult.request.fhir_server, next);
    if (origin(next_url) != server_origin) {
      mark_partial(consult.request.data, key, PartialReason::other_origin);
      return Ok{};
    }
    url = std::move(next_url);
  }
  mark_partial(consult.request.data, key, PartialReason::page_limit);
  return Ok{};
}

// The value the client sent for `key`; nullptr when the key or the whole prefetch is absent.
const rapidjson::Value* prefetched(const rapidjson::Value* prefetch, std::string_view key) {
  return prefetch != nullptr ? json::find(*prefetch, key) : nullptr;
}

}  // namespace

PrefetchState classify_prefetch(const rapidjson::Value* value) {
  if (value == nullptr) return PrefetchState::missing;
  if (value->IsNull()) return PrefetchState::no_data;
  if (!value->IsObject() || is_operation_outcome(*value)) return PrefetchState::missing;
  if (json::resource_type(*value) != "Bundle") return PrefetchState::provided;
  const rapidjson::Value* entries = json::find(*value, "entry");
  if (entries == nullptr || !entries->IsArray() || entries->Empty()) return PrefetchState::no_data;
  // A Bundle holding only OperationOutcomes reports the client's failure to prefetch.
  for (const rapidjson::Value& entry : entries->GetArray()) {
    const rapidjson::Value* resource = json::find(entry, "resource");
    if (resource != nullptr && !is_operation_outcome(*resource)) return PrefetchState::provided;
  }
  return PrefetchState::missing;
}

Result<std::string> expand_template(std::string_view tmpl, const HookRequest& request) {
  std::string out;
  while (true) {
    const std::size_t open = tmpl.find("{{");
    if (open == std::string_view::npos) break;
    const std::size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string_view token = tmpl.substr(open + 2, close - open - 2);
    while (token.starts_with(' ')) token.remove_prefix(1);
    while (token.ends_with(' ')) token.remove_suffix(1);
    const std::string_view value = token_value(token, request);
    if (value.empty()) {
      return make_error(ErrorCode::bad_request, std::string(token),
                        "prefetch token {{" + std::string(token) + "}} has no value");
    }
    out.append(tmpl.substr(0, open));
    append_encoded(out, value);
    tmpl.remove_prefix(close + 2);
  }
  out.append(tmpl);
  return out;
}

bool prefetch_may_fetch(const ParsedCall& consult, const PrefetchOptions& options) {
  if (consult.request.fhir_server.empty()) return false;  // nothing to fetch from: no wait
  // Not an allowed server: refused without a connection, so no wait either.
  if (!options.fhir_servers.allows(consult.request.fhir_server)) return false;
  for (const auto& [key, tmpl] : consult.service->prefetch) {
    const rapidjson::Value* value = prefetched(consult.prefetch, key);
    switch (classify_prefetch(value)) {
      case PrefetchState::no_data:
        break;
      case PrefetchState::provided:
        if (!next_link(*value).empty()) return true;
        break;
      case PrefetchState::missing:
        return true;
    }
  }
  return false;
}

Status complete_prefetch(ParsedCall& consult, FhirFetcher& fetcher,
                         const PrefetchOptions& options) {
  HookRequest& request = consult.request;
  Budget budget(options);
  for (const auto& [key, tmpl] : consult.service->prefetch) {
    const bool required = is_required_prefetch_key(key);
    const rapidjson::Value* value = prefetched(consult.prefetch, key);
    Status status = Ok{};
    switch (classify_prefetch(value)) {
      case PrefetchState::no_data:
        continue;
      case PrefetchState::provided: {
        add_resources(request.data, *value);
        // 2.0 lets clients page prefetched searches; the rest is on the FHIR server.
        const std::string_view next = next_link(*value);
        if (next.empty()) continue;
        if (request.fhir_server.empty()) {
          status =
              unobtainable(key, "is paged and its next page cannot be fetched without fhirServer");
        } else if (!next.starts_with("http://") && !next.starts_with("https://")) {
          status = fetch_pages(consult, fetcher, budget, key, join_url(request.fhir_server, next),
                               options);
        } else if (origin(next) != origin(request.fhir_server)) {
          mark_partial(request.data, key, PartialReason::other_origin);
        } else {
          status = fetch_pages(consult, fetcher, budget, key, std::string(next), options);
        }
        break;
      }
      case PrefetchState::missing: {
        if (request.fhir_server.empty()) {
          status = unobtainable(key, "was not sent and there is no fhirServer to fetch it from");
          break;
        }
        auto path = expand_template(tmpl, request);
        if (!path) {
          status = unobtainable(
              key, "was not sent and its template cannot be filled: " + path.error().message);
          break;
        }
        status = fetch_pages(consult, fetcher, budget, key, join_url(request.fhir_server, *path),
                             options);
        break;
      }
    }
    if (status) continue;
    if (required) return status;
    // Optional data (observations) only refines the decision; go on without it, and say so.
    spdlog::warn("prefetch {}: {}", key, status.error().message);
    mark_partial(request.data, key,
                 budget.exhausted() ? PartialReason::budget : PartialReason::unavailable);
  }
  return Ok{};
}

}  // namespace vcf_cds::hooks

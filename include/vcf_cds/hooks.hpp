// File: hooks.hpp — the CDS Hooks 2.0 protocol: discovery, request parsing, prefetch, feedback.
//
// Input: the HTTP body of a service call (owned by a `ParsedCall`, parsed once in situ).
// Output: a `HookRequest` whose pointers borrow from the ParsedCall's JSON documents; it must not
// outlive them. This stage knows nothing of clinical facts, criteria or card rendering.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vcf_cds/result.hpp"

namespace vcf_cds::hooks {

enum class Hook { order_select, order_sign };
std::string_view to_string(Hook hook);

// Why a prefetch key's data is incomplete.
enum class PartialReason {
  page_limit,    // the search had more pages than PrefetchOptions::max_pages
  other_origin,  // a Bundle `next` link pointed at another origin: not followed (token stays)
  budget,        // the call's FHIR fallback budget (time or bytes) ran out
  unavailable,   // an optional key could not be fetched at all
};
std::string_view to_string(PartialReason reason);

struct PartialRead {
  std::string key;  // the prefetch key, e.g. "conditions"
  PartialReason reason = PartialReason::page_limit;
};

// FHIR resources the decision reads, borrowed from the request (or from fetched Bundles).
struct ClinicalData {
  const rapidjson::Value* patient = nullptr;  // null: no Patient available (adult assumed)
  std::vector<const rapidjson::Value*> conditions;
  std::vector<const rapidjson::Value*> procedures;
  std::vector<const rapidjson::Value*> observations;
  // Keys whose data was read only in part (paging stopped early, an optional key unreadable):
  // the decision was made on part of the record, and the card and the audit say so.
  std::vector<PartialRead> partial;
};

struct HookRequest {
  std::string service_id;
  Hook hook = Hook::order_select;
  std::string hook_instance;
  std::string fhir_server;  // empty when not sent
  std::string user_id;      // e.g. "Practitioner/123"
  std::string patient_id;
  std::string encounter_id;             // empty when not sent
  std::vector<std::string> selections;  // order-select: "ServiceRequest/<id>" references
  // Every entry resource of context.draftOrders (ServiceRequest, ProcedureRequest, or others).
  std::vector<const rapidjson::Value*> draft_orders;
  ClinicalData data;

  // The orders to rate: `selections` for order-select, every draft order for order-sign.
  std::vector<const rapidjson::Value*> orders_to_rate() const;
};

}  // namespace vcf_cds::hooks

// ---------------------------------------------------------------------------------------------
// ---- services, per-request ownership, parsing, prefetch completion, feedback ----------------
// ---------------------------------------------------------------------------------------------

namespace vcf_cds::hooks {

// One entry of the discovery document. Prefetch keys keep their declared (discovery) order.
struct ServiceDescriptor {
  std::string id;
  Hook hook = Hook::order_select;
  std::string title;
  std::string description;
  std::string usage_requirements;
  std::vector<std::pair<std::string, std::string>> prefetch;  // key -> template
};

// The prefetch keys the decision needs; the first three are required (412 when unobtainable).
inline constexpr std::string_view kPrefetchPatient = "patient";
inline constexpr std::string_view kPrefetchConditions = "conditions";
inline constexpr std::string_view kPrefetchProcedures = "procedures";
inline constexpr std::string_view kPrefetchObservations = "observations";
bool is_required_prefetch_key(std::string_view key);

// The services this server hosts, in discovery order (order-select first, then order-sign).
const std::vector<ServiceDescriptor>& services();
const ServiceDescriptor* find_service(std::string_view id);
// `{"services":[...]}`, byte-for-byte deterministic.
std::string discovery_json();

// Untrusted JSON is bounded before it is walked (CONTRACT §6: never crash or hang on input).
// String lengths need no limit of their own: a string is a slice of its body (parsed in situ),
// which the HTTP body limit or FhirClientOptions::max_response_bytes already bounds.
struct JsonLimits {
  std::size_t max_depth = 64;          // also bounds parse_json's recursion: keep it small
  std::size_t max_elements = 500'000;  // values of any kind, counted over the whole document
  // Call bodies only (parse_request): payload_too_large naming the member. A real order entry
  // session drafts a handful of orders; thousands would only multiply decision and audit work.
  std::size_t max_draft_orders = 100;        // context.draftOrders.entry
  std::size_t max_prefetch_entries = 5'000;  // prefetch.<key>.entry, per key
};

// A JSON text and its DOM, parsed in situ: the DOM's strings point into `text`.
struct JsonDocument {
  std::string text;
  rapidjson::Document dom;
};

// Parses `doc.text` in situ (UTF-8 validated first, limits checked while parsing).
// Errors: bad_request (syntax, encoding, NUL byte, nesting too deep; field ""),
// payload_too_large (element count).
Status parse_json(JsonDocument& doc, const JsonLimits& limits);

// One service call. Owns the request body and every document fetched for it; `request` and
// anything derived from it borrow from here, so a ParsedCall is neither copied nor moved.
struct ParsedCall {
  ParsedCall() = default;
  ParsedCall(const ParsedCall&) = delete;
  ParsedCall& operator=(const ParsedCall&) = delete;

  const ServiceDescriptor* service = nullptr;
  JsonDocument body;
  std::vector<std::unique_ptr<JsonDocument>> fetched;  // FHIR pages fetched for prefetch
  const rapidjson::Value* prefetch = nullptr;          // the body's "prefetch" object, if sent
  std::string access_token;  // fhirAuthorization.access_token: transient, never logged
  HookRequest request;
};

// Validates `consult.body` (already parsed) against `service` and fills `consult.request`.
// Errors: bad_request naming the field ("hook", "hookInstance", "context.userId", ...);
// payload_too_large naming "context.draftOrders" or "prefetch.<key>" over `limits`.
Status parse_request(ParsedCall& consult, const ServiceDescriptor& service,
                     const JsonLimits& limits);

// ---- prefetch -------------------------------------------------------------------------------

// A GET answered by the client's FHIR server (any status); transport failures are errors.
struct FhirResponse {
  unsigned status = 0;
  std::string body;
};

// How the hooks stage reads the client's FHIR server; implemented with Beast in src/http and by
// fakes in tests. Blocking; called from worker threads, so implementations must be thread-safe.
// What is left of a call's FHIR fallback budget when a GET starts.
struct FetchLimits {
  std::chrono::milliseconds time{0};  // the GET may take at most this long
  std::size_t bytes = 0;              // and its body may be at most this large
};

class FhirFetcher {
 public:
  virtual ~FhirFetcher() = default;
  // `bearer_token` empty: unauthenticated GET. Errors: unavailable (connect, TLS, timeout, size).
  virtual Result<FhirResponse> get(std::string_view url, std::string_view bearer_token) = 0;
  // The same GET, held to `limits` as well as to the fetcher's own per-GET limits. A body over
  // `limits.bytes` (when that is the tighter limit) is payload_too_large. The default ignores
  // the limits (test fakes answer at once); prefetch checks time and bytes after each GET too.
  virtual Result<FhirResponse> get_within(std::string_view url, std::string_view bearer_token,
                                          const FetchLimits& limits) {
    (void)limits;
    return get(url, bearer_token);
  }
};

// The FHIR servers (origins) the service may send a request, and so the bearer token, to.
// An entry is `http[s]://host[:port]` (the scheme's default port when absent) or
// `http[s]://host:*` (any port). Host names compare case-insensitively and exactly: no
// wildcards, no resolution. Empty: no server is allowed, so missing prefetch is never fetched.
class FhirServerAllowList {
 public:
  FhirServerAllowList() = default;
  // Errors: bad_request naming the entry that is not an origin.
  static Result<FhirServerAllowList> parse(const std::vector<std::string>& entries);
  // Whether `url` (a fhirServer value, a page or a `next` link) is on an allowed origin.
  bool allows(std::string_view url) const;
  bool empty() const { return origins_.empty(); }

  struct Origin {
    bool tls = false;
    std::string host;  // lower case; IPv6 without brackets
    std::string port;  // digits, or "*" in an entry for any port
  };

 private:
  std::vector<Origin> origins_;
};

// The origin of `url`, or nullopt when it is not a plain http(s) URL (credentials, odd host
// characters, a bad port). `any_port`: accept `:*` (allow-list entries only).
std::optional<FhirServerAllowList::Origin> parse_origin(std::string_view url,
                                                        bool any_port = false);

// "http[s]://host:port" of `url` (the scheme's default port filled in, host lower case), the key
// the fallback's per-server limit counts by; `url` itself when it is not a plain http(s) URL.
std::string origin_key(std::string_view url);

// How many calls may complete prefetch from one FHIR server (origin) at a time. A call over the
// limit is refused at once, never queued: one slow or stalled server must not collect an
// unbounded backlog of calls, and the EHR gets a prompt 503 instead of a timeout. Thread-safe;
// an origin with no call in flight takes no memory.
class FhirOriginLimiter {
 public:
  // `per_origin` calls at most per origin; at least 1.
  explicit FhirOriginLimiter(std::size_t per_origin);

  // One admitted call. Move-only; gives its place back when released or destroyed.
  class Permit {
   public:
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit();
    void release();  // idempotent
    const std::string& origin() const { return origin_; }

   private:
    friend class FhirOriginLimiter;
    struct Counts;
    Permit(std::shared_ptr<Counts> counts, std::string origin);
    std::shared_ptr<Counts> counts_;  // null once released or moved from
    std::string origin_;
  };

  // A permit for a call whose fallback reads from `fhir_server` (any URL on the origin).
  // Errors: unavailable (503) naming "fhirServer" when the origin has `limit()` calls in flight.
  Result<Permit> acquire(std::string_view fhir_server);
  // Calls holding a permit for the origin of `fhir_server`.
  std::size_t in_flight(std::string_view fhir_server) const;
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
  std::shared_ptr<Permit::Counts> counts_;
};

using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

struct PrefetchOptions {
  int max_pages = 20;  // Bundle `next` links followed per key (the first page included)
  JsonLimits limits;
  FhirServerAllowList fhir_servers;  // where fallback GETs may go; empty: nowhere
  // One call's fallback across all pages and keys: total time and total response bytes. A
  // required key that runs out is a 412 naming what ran out; an optional one is read in part.
  std::chrono::milliseconds budget_time{5'000};
  std::size_t budget_bytes = 32 * 1024 * 1024;
  SteadyNow now = [] { return std::chrono::steady_clock::now(); };  // injected in tests
};

// What a prefetch value tells the service (CDS Hooks 2.0 "Prefetch"): `provided` data,
// explicit `no_data` (null, empty Bundle), or `missing` (absent key, OperationOutcome).
enum class PrefetchState { provided, no_data, missing };
// `value` is the member of the prefetch object, or nullptr when the key was not sent.
PrefetchState classify_prefetch(const rapidjson::Value* value);

// The template's tokens replaced by the request's values, percent-encoded outside
// [A-Za-z0-9-._~/]. Supports {{context.userId|patientId|encounterId}} and the 2.0 user tokens.
// Errors: bad_request naming the token when it is unknown or its value is empty.
Result<std::string> expand_template(std::string_view tmpl, const HookRequest& request);

// Fills `consult.request.data` from prefetch, fetching missing keys from fhirServer and
// following `next` links, within the call's budget (PrefetchOptions). Errors:
// precondition_failed naming "fhirServer" when a required key would have to be fetched from a
// server that is not on the allow-list (refused before any connection), or "prefetch.<key>"
// when a required key is neither sent nor fetchable (no fhirServer, transport error, 401/403/5xx,
// bad JSON, the budget ran out). Data read in part is listed in `request.data.partial`.
Status complete_prefetch(ParsedCall& consult, FhirFetcher& fetcher, const PrefetchOptions& options);

// Whether complete_prefetch could GET from the FHIR server for `consult`: a key is missing or a
// prefetched page has a next link, and there is an allowed fhirServer. Never blocks; a caller
// that must not wait runs the decision elsewhere when this is true.
bool prefetch_may_fetch(const ParsedCall& consult, const PrefetchOptions& options);

// ---- service call ---------------------------------------------------------------------------

// The decision behind a call (consult::run_pipeline in production). `ensure_clinical_data`
// completes prefetch on first use and returns its (memoised) status.
using Decide = std::function<Result<std::string>(
    const HookRequest& request, const std::function<Status()>& ensure_clinical_data)>;

struct CallOptions {
  JsonLimits limits;
  PrefetchOptions prefetch;
};

// POST /cds-services/{id} in two steps, so a caller can run the second elsewhere when it may
// block (prefetch_may_fetch). parse_call finds the service (not_found), parses and validates; it
// never blocks.
Result<std::unique_ptr<ParsedCall>> parse_call(std::string_view service_id, std::string&& body,
                                               const CallOptions& options);
// Decides, completing prefetch through `fetcher` on first ask (may block then).
Result<std::string> decide_call(ParsedCall& consult, FhirFetcher& fetcher,
                                const CallOptions& options, const Decide& decide);

// ---- feedback (CDS Hooks 2.0 "Feedback") ----------------------------------------------------

enum class Outcome { accepted, overridden };
std::string_view to_string(Outcome outcome);

struct FeedbackCoding {
  std::string system;
  std::string code;
  std::string display;  // optional; the Sandbox sends none
};

struct OverrideReason {
  std::optional<FeedbackCoding> reason;
  std::string user_comment;  // empty when not sent
};

struct FeedbackItem {
  std::string card;  // card uuid
  Outcome outcome = Outcome::overridden;
  std::vector<std::string> accepted_suggestions;  // suggestion uuids; non-empty when accepted
  std::optional<OverrideReason> override_reason;
  std::string outcome_timestamp;  // RFC 3339, as sent
};

struct Feedback {
  std::string service_id;
  std::vector<FeedbackItem> items;
};

// Errors: bad_request naming the field, e.g. "feedback[0].outcome".
Result<Feedback> parse_feedback(std::string&& body, std::string_view service_id,
                                const JsonLimits& limits);
bool is_rfc3339_timestamp(std::string_view text);

// Where accepted feedback goes (the audit store). Called on a worker thread.
using FeedbackSink = std::function<Status(const Feedback&)>;

// POST /cds-services/{id}/feedback: not_found for an unknown service, else parse, then `sink`.
Status receive_feedback(std::string_view service_id, std::string&& body, const JsonLimits& limits,
                        const FeedbackSink& sink);

}  // namespace vcf_cds::hooks

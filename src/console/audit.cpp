// GET /console/api/audit/…: routes, filters, the consult list and one consult's full record.
#include "console/audit.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>

#include "vcf_cds/criteria.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::console {
namespace {

using console::JsonWriter;
using console::key_int;
using console::key_str;
using Params = std::map<std::string, std::string, std::less<>>;

constexpr std::string_view kAuditPrefix = "/console/api/audit/";
constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

Error invalid(std::string field, std::string message) {
  return make_error(ErrorCode::bad_request, std::move(field), std::move(message));
}

bool is_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  return true;
}

// "YYYY-MM-DD" (midnight UTC) or an RFC 3339 UTC time ending in Z: the stores compare as text.
Result<std::string> bound(const Params& params, std::string_view name) {
  const auto it = params.find(name);
  if (it == params.end() || it->second.empty()) return std::string();
  const std::string& t = it->second;
  if (is_date(t)) return t + "T00:00:00Z";
  if (hooks::is_rfc3339_timestamp(t) && t.back() == 'Z' && t[10] == 'T') return t;
  return invalid(std::string(name),
                 std::string(name) + " must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)");
}

Result<int> integer(const Params& params, std::string_view name, int fallback, int low, int high) {
  const auto it = params.find(name);
  if (it == params.end() || it->second.empty()) return fallback;
  int value = 0;
  const auto& t = it->second;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc{} || end != t.data() + t.size() || value < low || value > high) {
    return invalid(std::string(name), std::string(name) + " must be an integer from " +
                                          std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

Status only_known(const Params& params, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return invalid(name, "unknown query parameter '" + name + "'");
    }
  }
  return Ok{};
}

Result<audit::Query> base_query(const Params& params) {
  audit::Query query;
  auto from = bound(params, "from");
  if (!from) return std::move(from).error();
  auto to = bound(params, "to");
  if (!to) return std::move(to).error();
  query.from = std::move(*from);
  query.to = std::move(*to);
  return query;
}

std::string param(const Params& params, std::string_view name) {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

// One row of the consult list: the consult and what happened to its card.
void write_list_item(JsonWriter& w, const audit_review::AuditedConsult& item) {
  const auto& c = item.consult;
  const audit::FeedbackRecord* latest = item.latest();
  w.StartObject();
  key_str(w, "consultId", c.consult_id);
  key_int(w, "seq", c.seq);
  key_str(w, "time", c.time);
  key_str(w, "user", c.user_id);
  key_str(w, "patient", c.patient_id);
  key_str(w, "order", c.order_ref);
  key_str(w, "procedure", c.procedure_row);
  key_int(w, "variant", c.variant);
  key_str(w, "category", console::category_label(c));
  key_int(w, "rating", c.rating);
  key_str(w, "pamaRating", c.pama_rating);
  key_str(w, "cardUuid", c.card_uuid);
  key_int(w, "feedbackCount", static_cast<long long>(item.feedback.size()));
  key_str(w, "outcome", latest == nullptr ? "" : latest->outcome);
  key_str(w, "overrideReason",
          latest != nullptr && latest->outcome == "overridden"
              ? audit_review::override_reason_key(*latest)
              : std::string());
  key_str(w, "acceptedSuggestion",
          latest != nullptr && latest->outcome == "accepted"
              ? console::accepted_suggestion_label(c, *latest)
              : std::string());
  w.EndObject();
}

ConsoleResponse summary(audit::Store& store, const Params& params) {
  if (auto ok = only_known(params, {"from", "to"}); !ok) return console::error_response(ok.error());
  auto query = base_query(params);
  if (!query) return console::error_response(query.error());
  auto extract = audit_review::load_extract(store, *query);
  if (!extract) return console::error_response(extract.error());
  auto chain = store.verify_chain();
  if (!chain) return console::error_response(chain.error());
  return console::json_ok(console::summary_json(*extract, *chain, *query));
}

ConsoleResponse list(audit::Store& store, const Params& params) {
  if (auto ok = only_known(params, {"from", "to", "variant", "outcome", "category", "user",
                                    "patient", "procedure", "limit", "offset"});
      !ok) {
    return console::error_response(ok.error());
  }
  auto query = base_query(params);
  if (!query) return console::error_response(query.error());
  query->user_id = param(params, "user");
  query->patient_id = param(params, "patient");
  if (params.contains("variant") && !param(params, "variant").empty()) {
    auto variant = integer(params, "variant", 0, 0, 9);
    if (!variant) return console::error_response(variant.error());
    query->variant = *variant;
  }
  if (const std::string outcome = param(params, "outcome"); !outcome.empty()) {
    const auto filter = audit::outcome_filter_from_string(outcome);
    if (!filter) {
      return console::error_response(
          invalid("outcome", "outcome must be any, accepted, overridden or none"));
    }
    query->outcome = *filter;
  }
  const std::string category = param(params, "category");
  if (!category.empty() && !criteria::category_from_string(category) &&
      category != console::kNoCriteria) {
    return console::error_response(invalid("category", "unknown category '" + category + "'"));
  }
  const std::string procedure = param(params, "procedure");
  auto limit = integer(params, "limit", kDefaultLimit, 1, kMaxLimit);
  if (!limit) return console::error_response(limit.error());
  auto offset = integer(params, "offset", 0, 0, 1'000'000'000);
  if (!offset) return console::error_response(offset.error());

  auto extract = audit_review::load_extract(store, *query);
  if (!extract) return console::error_response(extract.error());
  std::vector<const audit_review::AuditedConsult*> selected;
  for (const auto& item : extract->consults) {
    if (!category.empty() && console::category_label(item.consult) != category) continue;
    if (!procedure.empty() && item.consult.procedure_row != procedure) continue;
    selected.push_back(&item);
  }
  std::reverse(selected.begin(), selected.end());  // newest first

  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key_int(w, "total", static_cast<long long>(selected.size()));
  key_int(w, "offset", *offset);
  key_int(w, "limit", *limit);
  w.Key("consults");
  w.StartArray();
  const std::size_t first = std::min(selected.size(), static_cast<std::size_t>(*offset));
  const std::size_t last = std::min(selected.size(), first + static_cast<std::size_t>(*limit));
  for (std::size_t i = first; i < last; ++i) write_list_item(w, *selected[i]);
  w.EndArray();
  w.EndObject();
  return console::json_ok({buffer.GetString(), buffer.GetSize()});
}

}  // namespace

ConsoleResponse console_audit(audit::Store& store, std::string_view path_and_query) {
  const std::size_t question = path_and_query.find('?');
  const std::string_view path = path_and_query.substr(0, question);
  auto params = console::parse_query(
      question == std::string_view::npos ? "" : path_and_query.substr(question + 1));
  if (!params) return console::error_response(params.error());
  if (!path.starts_with(kAuditPrefix)) {
    return console::error_response(ErrorCode::not_found, "", "no such audit API");
  }
  const std::string_view rest = path.substr(kAuditPrefix.size());
  if (rest == "summary") return summary(store, *params);
  if (rest == "consults" || rest == "consults/") return list(store, *params);
  constexpr std::string_view kOne = "consults/";
  if (rest.starts_with(kOne) && rest.size() > kOne.size()) {
    const auto id = console::percent_decode(rest.substr(kOne.size()), false);
    if (!id || id->find('/') != std::string::npos) {
      return console::error_response(invalid("consultId", "bad consult id in the path"));
    }
    return console::consult_record(store, *id);
  }
  return console::error_response(ErrorCode::not_found, "", "no such audit API");
}

}  // namespace vcf_cds::console

// GET /console/api/audit/summary: the dashboard numbers, computed from the same extract and the
// same `summarize` rows as `vcf-cds audit summary --json`, so the two always agree.
#include <algorithm>
#include <map>
#include <vector>

#include "console/audit.hpp"
#include "vcf_cds/criteria.hpp"

namespace vcf_cds::console {
namespace {

struct Tally {
  int consults = 0;
  int usually_not_appropriate = 0;
  int accepted = 0;
  int overridden = 0;
};

void count(Tally& tally, const audit_review::AuditedConsult& item) {
  ++tally.consults;
  if (criteria::category_from_string(item.consult.category) ==
      criteria::Category::usually_not_appropriate)
    ++tally.usually_not_appropriate;
  if (const auto* latest = item.latest()) {
    tally.accepted += latest->outcome == "accepted";
    tally.overridden += latest->outcome == "overridden";
  }
}

double share(int part, int whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / whole;
}

// Rows by consults (descending), then name, so the busiest come first.
void write_table(JsonWriter& w, const char* name_key, const std::map<std::string, Tally>& table) {
  std::vector<std::pair<std::string, Tally>> rows(table.begin(), table.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second.consults > b.second.consults;
  });
  w.StartArray();
  for (const auto& [name, t] : rows) {
    w.StartObject();
    key_str(w, name_key, name);
    key_int(w, "consults", t.consults);
    key_int(w, "usuallyNotAppropriate", t.usually_not_appropriate);
    key_int(w, "accepted", t.accepted);
    key_int(w, "overridden", t.overridden);
    w.EndObject();
  }
  w.EndArray();
}

void write_reasons(JsonWriter& w, const std::map<std::string, int>& reasons) {
  std::vector<std::pair<std::string, int>> sorted(reasons.begin(), reasons.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  w.StartArray();
  for (const auto& [reason, n] : sorted) {
    w.StartObject();
    key_str(w, "reason", reason);
    key_int(w, "count", n);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string summary_json(const audit_review::AuditExtract& extract,
                         const audit::VerifyResult& chain, const audit::Query& query) {
  Tally totals;
  int no_criteria = 0;
  std::map<std::string, Tally> per_day, by_user, by_procedure;
  std::map<std::string, int> by_category;
  std::map<int, int> by_variant;
  Tally una;
  std::map<std::string, int> una_reasons, reasons;
  for (const auto& item : extract.consults) {
    const auto& c = item.consult;
    count(totals, item);
    no_criteria += c.category.empty();
    count(per_day[c.time.substr(0, 10)], item);
    count(by_user[c.user_id], item);
    count(by_procedure[c.procedure_row.empty() ? std::string(kNoCriteria) : c.procedure_row], item);
    ++by_category[std::string(category_label(c))];
    ++by_variant[c.variant];
    const auto* latest = item.latest();
    const bool overridden = latest != nullptr && latest->outcome == "overridden";
    if (overridden) ++reasons[audit_review::override_reason_key(*latest)];
    if (criteria::category_from_string(c.category) == criteria::Category::usually_not_appropriate) {
      count(una, item);
      if (overridden) ++una_reasons[audit_review::override_reason_key(*latest)];
    }
  }
  const int with_feedback = totals.accepted + totals.overridden;

  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("filter");
  w.StartObject();
  key_str(w, "from", query.from);
  key_str(w, "to", query.to);
  w.EndObject();
  w.Key("totals");
  w.StartObject();
  key_int(w, "consults", totals.consults);
  key_int(w, "rated", totals.consults - no_criteria);
  key_int(w, "noCriteriaApply", no_criteria);
  key_int(w, "usuallyNotAppropriate", totals.usually_not_appropriate);
  key_int(w, "accepted", totals.accepted);
  key_int(w, "overridden", totals.overridden);
  key_int(w, "noFeedback", totals.consults - with_feedback);
  key_int(w, "unknownCardFeedback", static_cast<long long>(extract.unknown_card_feedback.size()));
  w.EndObject();

  w.Key("perDay");
  w.StartArray();
  for (const auto& [day, t] : per_day) {  // std::map: chronological
    w.StartObject();
    key_str(w, "day", day);
    key_int(w, "consults", t.consults);
    key_int(w, "usuallyNotAppropriate", t.usually_not_appropriate);
    w.EndObject();
  }
  w.EndArray();

  w.Key("byCategory");
  w.StartArray();
  for (const std::string_view category :
       {criteria::to_string(criteria::Category::usually_appropriate),
        criteria::to_string(criteria::Category::may_be_appropriate),
        criteria::to_string(criteria::Category::usually_not_appropriate), kNoCriteria}) {
    const auto it = by_category.find(std::string(category));
    const int n = it == by_category.end() ? 0 : it->second;
    w.StartObject();
    key_str(w, "category", category);
    key_int(w, "consults", n);
    w.Key("share");
    w.Double(share(n, totals.consults));
    w.EndObject();
  }
  w.EndArray();

  w.Key("byVariant");
  w.StartArray();
  for (int v = 0; v <= 9; ++v) {
    const auto it = by_variant.find(v);
    const int n = it == by_variant.end() ? 0 : it->second;
    if (v == 0 && n == 0) continue;  // variant 0 = no criteria apply, shown only when present
    w.StartObject();
    key_int(w, "variant", v);
    key_int(w, "consults", n);
    w.Key("share");
    w.Double(share(n, totals.consults));
    w.EndObject();
  }
  w.EndArray();

  w.Key("usuallyNotAppropriate");
  w.StartObject();
  key_int(w, "orders", una.consults);
  key_int(w, "accepted", una.accepted);
  key_int(w, "overridden", una.overridden);
  key_int(w, "noFeedback", una.consults - una.accepted - una.overridden);
  w.Key("overrideReasons");
  write_reasons(w, una_reasons);
  w.EndObject();

  w.Key("overrideReasons");
  write_reasons(w, reasons);
  w.Key("byUser");
  write_table(w, "user", by_user);
  w.Key("byProcedure");
  write_table(w, "procedure", by_procedure);
  w.Key("rows");
  audit_review::write_summary_rows(w, audit_review::summarize(extract));
  w.Key("chain");
  write_chain(w, chain);
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace vcf_cds::console

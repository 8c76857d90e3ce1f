#include "vcf_cds/audit_review.hpp"
#include "vcf_cds/criteria.hpp"

#include <iomanip>
#include <sstream>
#include <unordered_map>

namespace vcf_cds::audit_review {

using namespace audit;  // the records and queries this stage reads
namespace {

// RFC 4180: quote when needed, double the quotes inside.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string format_ms(double ms) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(3) << ms;
  return out.str();
}

}  // namespace

bool selects_everything(const Query& q) {
  return q.from.empty() && q.to.empty() && q.patient_id.empty() && q.user_id.empty() &&
         !q.variant && q.outcome == OutcomeFilter::any;
}

Result<AuditExtract> load_extract(Store& store, const Query& query) {
  auto consults = store.find_consults(query);
  if (!consults) return std::move(consults).error();
  // Feedback is not time-filtered: a card's feedback may arrive after the range ends.
  auto feedback = store.find_feedback({});
  if (!feedback) return std::move(feedback).error();

  AuditExtract extract;
  std::unordered_map<std::string, std::size_t> by_card;
  extract.consults.reserve(consults->size());
  for (auto& c : *consults) {
    if (!c.card_uuid.empty()) by_card.emplace(c.card_uuid, extract.consults.size());
    extract.consults.push_back({std::move(c), {}});
  }
  const bool everything = selects_everything(query);
  for (auto& f : *feedback) {
    if (auto it = by_card.find(f.card_uuid); it != by_card.end()) {
      extract.consults[it->second].feedback.push_back(std::move(f));
    } else if (everything && !f.known_card) {
      extract.unknown_card_feedback.push_back(std::move(f));
    }
  }
  return extract;
}

void write_csv(const AuditExtract& extract, std::ostream& out) {
  out << "seq,consult_id,time,service_id,hook,client_iss,client_sub,identifier_mode,user_id,"
         "patient_id,encounter_id,order_ref,procedure_row,variant,category,rating,median,"
         "pama_rating,card_uuid,knowledge_version,service_version,latency_ms,feedback_count,"
         "outcome,override_reason_system,override_reason_code,override_reason_display,"
         "user_comment,outcome_timestamp\r\n";
  for (const auto& item : extract.consults) {
    const auto& c = item.consult;
    const FeedbackRecord* f = item.latest();
    const FeedbackRecord none;
    const FeedbackRecord& fb = f != nullptr ? *f : none;
    const std::string fields[] = {std::to_string(c.seq),
                                  c.consult_id,
                                  c.time,
                                  c.service_id,
                                  c.hook,
                                  c.client.iss,
                                  c.client.sub,
                                  c.identifier_mode,
                                  c.user_id,
                                  c.patient_id,
                                  c.encounter_id,
                                  c.order_ref,
                                  c.procedure_row,
                                  std::to_string(c.variant),
                                  c.category,
                                  std::to_string(c.rating),
                                  std::to_string(c.median),
                                  c.pama_rating,
                                  c.card_uuid,
                                  c.knowledge_version,
                                  c.service_version,
                                  format_ms(c.latency_ms),
                                  std::to_string(item.feedback.size()),
                                  fb.outcome,
                                  fb.override_reason_system,
                                  fb.override_reason_code,
                                  fb.override_reason_display,
                                  fb.user_comment,
                                  fb.outcome_timestamp};
    bool first = true;
    for (const auto& field : fields) {
      if (!first) out << ',';
      out << csv_field(field);
      first = false;
    }
    out << "\r\n";
  }
}

std::string override_reason_key(const FeedbackRecord& feedback) {
  std::string reason = feedback.override_reason_code;
  if (!feedback.override_reason_display.empty()) {
    reason += (reason.empty() ? "" : " ") + feedback.override_reason_display;
  }
  return reason.empty() ? "(no reason)" : reason;
}

std::vector<SummaryRow> summarize(const AuditExtract& extract) {
  std::map<std::pair<int, std::string>, SummaryRow> rows;
  for (const auto& item : extract.consults) {
    const auto& c = item.consult;
    auto& row = rows[{c.variant, c.procedure_row}];
    row.variant = c.variant;
    row.procedure_row = c.procedure_row;
    ++row.rated;
    if (criteria::category_from_string(c.category) == criteria::Category::usually_not_appropriate)
      ++row.usually_not_appropriate;
    const FeedbackRecord* latest = item.latest();
    if (latest == nullptr) continue;
    if (latest->outcome == "accepted") ++row.accepted;
    if (latest->outcome == "overridden") {
      ++row.overridden;
      ++row.override_reasons[override_reason_key(*latest)];
    }
  }
  std::vector<SummaryRow> out;
  for (auto& [key, row] : rows) out.push_back(std::move(row));
  return out;
}

}  // namespace vcf_cds::audit_review

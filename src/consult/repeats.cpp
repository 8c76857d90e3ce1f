#include "consult/repeats.hpp"

#include <spdlog/spdlog.h>

#include "common/time.hpp"

namespace vcf_cds::consult {

std::string EarlierRatings::find(const criteria::Decision& decision) {
  if (decision.outcome != criteria::Outcome::rated || request_.patient_id.empty()) return {};
  if (!selects_) {
    audit::Query query;
    query.from = common::rfc3339_utc(now_ - window_);
    query.patient_id = request_.patient_id;
    auto found = store_.find_consults(query);
    selects_.emplace();
    if (!found) {
      spdlog::warn("repeat check skipped, the audit trail is not readable: {}",
                   found.error().message);
      return {};
    }
    // Newest first: a later select of the same order is the one the clinician saw last.
    for (auto it = found->rbegin(); it != found->rend(); ++it) {
      if (it->hook == "order-select" && it->repeat_of.empty() && !it->card_uuid.empty()) {
        selects_->push_back(std::move(*it));
      }
    }
  }
  const auto& row = *decision.headline.row;
  const std::string_view category = criteria::to_string(row.category);
  for (const audit::ConsultRecord& c : *selects_) {
    if (c.order_ref == decision.procedure.order_ref &&
        c.variant == decision.headline.variant->number && c.procedure_row == row.name &&
        c.category == category && c.rating == row.rating) {
      return c.consult_id;
    }
  }
  return {};
}

}  // namespace vcf_cds::consult

#include "app/repeats.hpp"

#include <spdlog/spdlog.h>

#include "common/time.hpp"

namespace vcf_cds::app {

std::string earlier_rating(audit::Store& store, const hooks::HookRequest& request,
                           const criteria::Decision& decision,
                           std::chrono::system_clock::time_point now, std::chrono::hours window) {
  if (decision.outcome != criteria::Outcome::rated || request.patient_id.empty()) return {};
  audit::Query query;
  query.from = common::rfc3339_utc(now - window);
  query.patient_id = request.patient_id;
  query.variant = decision.headline.variant->number;
  auto found = store.find_consults(query);
  if (!found) {
    spdlog::warn("repeat check skipped, the audit trail is not readable: {}",
                 found.error().message);
    return {};
  }
  const auto& row = *decision.headline.row;
  const std::string_view category = criteria::to_string(row.category);
  // Newest first: a later select of the same order is the one the clinician saw last.
  for (auto it = found->rbegin(); it != found->rend(); ++it) {
    const audit::ConsultRecord& c = *it;
    if (c.hook == "order-select" && c.repeat_of.empty() && !c.card_uuid.empty() &&
        c.order_ref == decision.procedure.order_ref && c.procedure_row == row.name &&
        c.category == category && c.rating == row.rating) {
      return c.consult_id;
    }
  }
  return {};
}

}  // namespace vcf_cds::app

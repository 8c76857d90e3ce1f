// Audit dashboard internals shared by console_audit.cpp (routes, lists, one consult) and
// console_audit_summary.cpp (the dashboard numbers).
#pragma once

#include <string>
#include <string_view>

#include "console/json.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/audit_review.hpp"

namespace vcf_cds::console {

inline constexpr std::string_view kNoCriteria = "No criteria apply";

// "Usually appropriate" … or kNoCriteria for consults rated PAMA-only.
inline std::string_view category_label(const audit::ConsultRecord& c) {
  return c.category.empty() ? kNoCriteria : std::string_view(c.category);
}

// The label of the card's suggestion that the feedback accepted ("" when not found).
std::string accepted_suggestion_label(const audit::ConsultRecord& consult,
                                      const audit::FeedbackRecord& feedback);

// {"ok", "records", "brokenSeq", "brokenKind", "brokenId", "reason"}
void write_chain(JsonWriter& w, const audit::VerifyResult& chain);

// GET …/consults/{consult_id}: the record, its feedback, the chain status (404 when unknown).
ConsoleResponse consult_record(audit::Store& store, const std::string& consult_id);

// The dashboard numbers for one extract (see console_audit_summary.cpp for the shape).
std::string summary_json(const audit_review::AuditExtract& extract,
                         const audit::VerifyResult& chain, const audit::Query& query);

}  // namespace vcf_cds::console

// Turns what a consult decided and said, and the feedback that followed, into audit records.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "vcf_cds/audit.hpp"
#include "vcf_cds/consult.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::consult {

// One record per rated or no-criteria-apply order; latency is measured up to `now`.
std::vector<audit::ConsultRecord> consult_records(const ConsultOutcome& outcome,
                                                  const auth::ClientIdentity& caller,
                                                  std::chrono::system_clock::time_point now);

std::vector<audit::FeedbackRecord> feedback_records(const hooks::Feedback& feedback,
                                                    const auth::ClientIdentity& caller,
                                                    std::chrono::system_clock::time_point now);

}  // namespace vcf_cds::consult

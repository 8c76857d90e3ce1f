// Turns what a consult decided and said, and the feedback that followed, into audit records.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "app/pipeline.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"

namespace vcf_cds::app {

// One record per rated or no-criteria-apply order; latency is measured up to `now`.
std::vector<audit::ConsultRecord> consult_records(const ConsultOutcome& outcome,
                                                  const http::Caller& caller,
                                                  std::chrono::system_clock::time_point now);

std::vector<audit::FeedbackRecord> feedback_records(const hooks::Feedback& feedback,
                                                    const http::Caller& caller,
                                                    std::chrono::system_clock::time_point now);

}  // namespace vcf_cds::app

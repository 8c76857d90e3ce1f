// The request path without a network, shared by the libFuzzer target and the regression test:
// JSON body -> hooks::parse_request -> prefetch from the body only -> consult::run_pipeline (facts,
// decision, cards). Anything this throws, or any sanitizer report, is a bug: in the service
// the same input would become a 500 or a crash (CONTRACT §6).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "vcf_cds/consult.hpp"
#include "vcf_cds/hooks.hpp"

namespace vcf_cds::fuzz {

// Every GET fails as if the FHIR server were down, so only prefetched data is used.
class NoNetwork : public hooks::FhirFetcher {
 public:
  Result<hooks::FhirResponse> get(std::string_view, std::string_view) override {
    return make_error(ErrorCode::unavailable, "", "no network while fuzzing");
  }
};

inline consult::Knowledge load_fuzz_knowledge(const std::filesystem::path& source_dir) {
  return consult::load_knowledge(source_dir / "cards/criteria.json", source_dir / "fhir-profiles",
                                 source_dir / "cards/templates");
}

// Runs `body` as a call to every hosted service (the hook check picks the one that matches).
inline void run_request(const consult::Knowledge& knowledge, std::string_view body) {
  NoNetwork network;
  // The fixtures' FHIR servers are allowed, so fuzzed calls still reach the (failing) fetch.
  static const hooks::PrefetchOptions prefetch_options = [] {
    hooks::PrefetchOptions options;
    options.fhir_servers =
        *hooks::FhirServerAllowList::parse({"http://localhost:*", "https://ehr.example.org"});
    return options;
  }();
  for (const hooks::ServiceDescriptor& service : hooks::services()) {
    hooks::ParsedCall parsed;
    parsed.body.text.assign(body);
    if (!hooks::parse_request(parsed, service, hooks::JsonLimits{})) continue;
    consult::PipelineInput input;
    input.request = &parsed.request;
    input.now = std::chrono::sys_days{std::chrono::year{2026} / 1 / 15};  // reproducible
    // Prefetch from the body is used; missing keys "fail to fetch" and the decision goes on
    // with what it has, which reaches more of facts and criteria than a 412 would.
    input.ensure_clinical_data = [&]() -> Status {
      (void)hooks::complete_prefetch(parsed, network, prefetch_options);
      return Ok{};
    };
    input.new_uuid = [] { return std::string("urn:uuid:00000000-0000-4000-8000-000000000000"); };
    (void)consult::run_pipeline(knowledge, input);
  }
}

}  // namespace vcf_cds::fuzz

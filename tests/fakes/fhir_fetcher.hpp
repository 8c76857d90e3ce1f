// A FHIR server in memory for the prefetch fallback: GETs are answered from a table (URL ->
// response or error), any other URL gets `otherwise`. Every GET is recorded (URL, bearer token,
// and the limits get_within was held to), and may take `latency` on a test clock, so budget
// tests run without waiting.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vcf_cds/hooks.hpp"

namespace vcf_cds::testing::fakes {

class TableFetcher : public hooks::FhirFetcher {
 public:
  struct Call {
    std::string url;
    std::string token;
  };

  TableFetcher() = default;
  // Each GET moves `clock` on by `latency` (the time source the code under test reads).
  explicit TableFetcher(std::chrono::steady_clock::time_point& clock) : clock_(&clock) {}

  std::map<std::string, Result<hooks::FhirResponse>> answers;
  Result<hooks::FhirResponse> otherwise =
      hooks::FhirResponse{404, R"({"resourceType":"OperationOutcome"})"};
  std::chrono::milliseconds latency{0};
  std::vector<Call> calls;
  std::vector<hooks::FetchLimits> limits;  // one per get_within

  Result<hooks::FhirResponse> get(std::string_view url, std::string_view token) override {
    calls.push_back({std::string(url), std::string(token)});
    if (clock_ != nullptr) *clock_ += latency;
    const auto it = answers.find(std::string(url));
    return it == answers.end() ? otherwise : it->second;
  }
  Result<hooks::FhirResponse> get_within(std::string_view url, std::string_view token,
                                         const hooks::FetchLimits& within) override {
    limits.push_back(within);
    return get(url, token);
  }

  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (const Call& call : calls) out.push_back(call.url);
    return out;
  }

 private:
  std::chrono::steady_clock::time_point* clock_ = nullptr;
};

}  // namespace vcf_cds::testing::fakes

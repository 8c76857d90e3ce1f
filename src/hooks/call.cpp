// POST /cds-services/{id}: the protocol around one decision — find the service, parse the body
// once, hand the decision a memoised prefetch completion, and return its response body.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>

#include "vcf_cds/hooks.hpp"

namespace vcf_cds::hooks {

Result<std::unique_ptr<ParsedCall>> parse_call(std::string_view service_id, std::string&& body,
                                               const CallOptions& options) {
  const ServiceDescriptor* service = find_service(service_id);
  if (service == nullptr) {
    return make_error(ErrorCode::not_found, "",
                      "no CDS service with id '" + std::string(service_id) + "'");
  }
  // The ParsedCall owns the body and every fetched page; the HookRequest borrows from both, so it
  // lives on the heap and never moves.
  auto consult = std::make_unique<ParsedCall>();
  consult->body.text = std::move(body);
  if (Status parsed = parse_request(*consult, *service, options.limits); !parsed) {
    return std::move(parsed).error();
  }
  return consult;
}

Result<std::string> decide_call(ParsedCall& consult, FhirFetcher& fetcher,
                                const CallOptions& options, const Decide& decide) {
  // Prefetch is completed only if the decision asks (an order it can rate), and only once.
  std::optional<Status> completed;
  const std::function<Status()> ensure = [&]() -> Status {
    if (!completed) {
      const auto start = std::chrono::steady_clock::now();
      completed.emplace(complete_prefetch(consult, fetcher, options.prefetch));
      spdlog::debug("consult {}: prefetch completed in {} ms ({} pages fetched)",
                    consult.request.hook_instance,
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count(),
                    consult.fetched.size());
    }
    return *completed;
  };
  return decide(consult.request, ensure);
}

}  // namespace vcf_cds::hooks

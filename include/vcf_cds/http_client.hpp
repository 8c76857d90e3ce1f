// File: http_client.hpp — the outbound HTTP client: FHIR server reads (prefetch completion) and
// JWK Set downloads. The inbound server is vcf_cds/http.hpp; the two share no code path.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "vcf_cds/hooks.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::http_client {

struct FhirClientOptions {
  std::chrono::milliseconds timeout{3'000};  // per GET: resolve, connect, TLS, write and read
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  std::string user_agent = "vcf-cds";
};

// Blocking HTTP(S) GET with Beast on a private io_context per call (so Beast's stream timeouts
// apply), TLS verified against the system roots with SNI and host-name verification.
class FhirClient : public hooks::FhirFetcher {
 public:
  explicit FhirClient(FhirClientOptions options);
  ~FhirClient() override;
  Result<hooks::FhirResponse> get(std::string_view url, std::string_view bearer_token) override;
  // The tighter of these options and `limits`; a body over `limits.bytes` (when that is the
  // tighter) is payload_too_large.
  Result<hooks::FhirResponse> get_within(std::string_view url, std::string_view bearer_token,
                                         const hooks::FetchLimits& limits) override;

  // What one GET is held to.
  struct GetLimits {
    std::chrono::milliseconds timeout;
    std::size_t max_bytes;
    bool budget_bytes;  // max_bytes is the caller's budget, not this client's own limit
  };

 private:
  Result<hooks::FhirResponse> fetch(std::string_view url, std::string_view bearer_token,
                                    const GetLimits& limits);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits `http[s]://host[:port][/target]`; exposed for tests.
struct Url {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::string port;  // "80"/"443" when absent
  std::string target = "/";
};
Result<Url> parse_url(std::string_view url);

}  // namespace vcf_cds::http_client

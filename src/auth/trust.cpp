// Reason labels and the --trust-issuer flag (start-up configuration helpers).
#include <array>

#include "vcf_cds/auth.hpp"

namespace vcf_cds::auth {
namespace {

constexpr std::array<std::string_view, 16> labels = {
    "missing_token", "malformed",         "alg_not_allowed",  "unknown_iss",
    "unknown_kid",   "jku_not_allowed",   "jwks_unavailable", "alg_key_mismatch",
    "bad_signature", "missing_claim",     "bad_aud",          "expired",
    "not_yet_valid", "lifetime_too_long", "replayed_jti",     "tenant",
};
static_assert(labels.size() == static_cast<std::size_t>(Reason::tenant) + 1);

Error flag_error(std::string message) {
  return make_error(ErrorCode::bad_request, "--trust-issuer", std::move(message));
}

}  // namespace

std::string_view reason_label(Reason reason) {
  return labels[static_cast<std::size_t>(reason)];
}

Result<TrustedIssuer> parse_trust_issuer(std::string_view flag) {
  // The iss is a URI without '=' in practice; a JWK Set URL may carry '=' in its query.
  const auto eq = flag.find('=');
  if (eq == std::string_view::npos) return flag_error("expected ISS=JWKS_FILE_OR_URL");
  TrustedIssuer issuer;
  issuer.iss = flag.substr(0, eq);
  issuer.jwks_file_or_url = flag.substr(eq + 1);
  if (issuer.iss.empty()) return flag_error("the issuer (before '=') is empty");
  if (issuer.jwks_file_or_url.empty()) return flag_error("the JWK Set (after '=') is empty");
  if (issuer.jwks_file_or_url.starts_with("http://")) {
    return flag_error("a JWK Set URL must use https://");
  }
  return issuer;
}

}  // namespace vcf_cds::auth

// Compact JWS parsing (RFC 7515 §7.1) into the JOSE header and the CDS Hooks claims (digest
// §7.2). Private to src/auth. Parsing proves nothing: the signature is checked by the verifier.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk.hpp"
#include "vcf_cds/auth.hpp"

namespace vcf_cds::auth {

struct JoseHeader {
  Alg alg = Alg::es384;
  std::string kid;  // empty when absent (required: the verifier reports missing_claim)
  std::optional<std::string> jku;
};

struct Claims {
  std::optional<std::string> iss, sub, tenant, jti;
  std::vector<std::string> aud;  // a single-string aud becomes one element
  bool has_aud = false;
  std::optional<std::int64_t> exp, iat, nbf;  // NumericDate, fractions dropped
};

struct ParsedToken {
  std::string_view signing_input;  // "header.payload", a view into the caller's token
  std::string signature;           // decoded
  JoseHeader header;
  Claims claims;
};

// An auth error: code unauthorized, field = reason label. `message` must not quote the token.
Error auth_error(Reason reason, std::string message);

// Splits and decodes `token` (a view the result borrows). Errors: malformed (segments, base64url,
// JSON, duplicate or mistyped members, typ other than JWT, crit), alg_not_allowed.
Result<ParsedToken> parse_compact(std::string_view token);

}  // namespace vcf_cds::auth

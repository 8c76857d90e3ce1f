// JWK / JWK Set (RFC 7517, RFC 7518 §6) -> OpenSSL public keys, and the JWS algorithms we accept.
// Private to src/auth. Keys are built with OpenSSL 3 EVP_PKEY_fromdata (no deprecated EC_KEY/RSA
// APIs) and are immutable afterwards, so one EVP_PKEY is shared read-only by every thread.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vcf_cds/result.hpp"

namespace vcf_cds::auth {

// The JWS "alg" values CDS Hooks services may accept: ES384 and RS384 are the spec's
// recommendation, ES256 and RS256 are common. Never none or HS* (digest §7.2).
enum class Alg { es256, es384, rs256, rs384 };
std::optional<Alg> parse_alg(std::string_view name);
std::string_view alg_name(Alg alg);

enum class KeyKind { ec_p256, ec_p384, rsa };

struct VerifyKey {
  std::string kid;
  KeyKind kind = KeyKind::ec_p384;
  std::string alg;  // the JWK's own "alg" when it has one; pins the key to that algorithm
  std::shared_ptr<EVP_PKEY> pkey;
};

struct KeySet {
  std::vector<VerifyKey> keys;
  // The first key with this kid, or nullptr.
  const VerifyKey* find(std::string_view kid) const;
};

enum class JwksMode {
  strict,   // operator-supplied file: a malformed or weak key is an error
  lenient,  // fetched over the network: malformed or weak keys are skipped
};

// Parses a JWK Set. In both modes keys we cannot use for signatures (kty OKP, crv P-521, "use"
// other than "sig", an "alg" we do not accept) are skipped, and a set with no usable key is an
// error. Errors carry the problem in `message` and the key's position in `field` ("keys[2]").
Result<KeySet> parse_jwks(std::string_view json, JwksMode mode);

// Whether a token signed with `alg` may be checked with `key`: ES256 needs P-256, ES384 P-384,
// RS* an RSA key (>= 2048 bits, enforced at parse), and a JWK "alg" must equal `alg`.
bool alg_fits(Alg alg, const VerifyKey& key);

}  // namespace vcf_cds::auth

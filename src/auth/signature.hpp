// JWS signature check (RFC 7515 §5.2, RFC 7518 §3.3/§3.4). Private to src/auth.
#pragma once

#include <string_view>

#include "auth/jwk.hpp"

namespace vcf_cds::auth {

// True when `signature` (already base64url-decoded) is a valid `alg` signature of
// `signing_input` under `key`. The caller has checked alg_fits(alg, key). ECDSA signatures must
// be the JOSE raw r||s form of exactly twice the coordinate size (96 bytes for ES384); a DER
// signature, as some libraries emit by mistake, is refused. Never throws.
bool verify_signature(Alg alg, const VerifyKey& key, std::string_view signing_input,
                      std::string_view signature);

}  // namespace vcf_cds::auth

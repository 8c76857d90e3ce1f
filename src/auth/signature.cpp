#include "auth/signature.hpp"

#include <openssl/ecdsa.h>

#include <string>

#include "auth/ossl.hpp"

namespace vcf_cds::auth {
namespace {

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// JOSE r||s -> the DER ECDSA-Sig-Value OpenSSL's EVP_DigestVerify expects; "" on failure.
std::string raw_to_der(std::string_view raw) {
  const std::size_t half = raw.size() / 2;
  ossl::EcdsaSig sig(ECDSA_SIG_new());
  ossl::Bignum r(BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr));
  ossl::Bignum s(BN_bin2bn(bytes(raw.substr(half)), static_cast<int>(half), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  // ECDSA_SIG_set0 took ownership of r and s.
  static_cast<void>(r.release());
  static_cast<void>(s.release());
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return {};
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return {};
  return der;
}

}  // namespace

bool verify_signature(Alg alg, const VerifyKey& key, std::string_view signing_input,
                      std::string_view signature) {
  const ossl::ErrorQueueGuard clear_errors;
  const EVP_MD* digest = (alg == Alg::es256 || alg == Alg::rs256) ? EVP_sha256() : EVP_sha384();
  std::string der;
  if (alg == Alg::es256 || alg == Alg::es384) {
    const std::size_t expected = alg == Alg::es256 ? 64 : 96;
    // A DER signature is 6-9 bytes longer than r||s; refusing other sizes refuses DER.
    if (signature.size() != expected) return false;
    der = raw_to_der(signature);
    if (der.empty()) return false;
    signature = der;
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey.get()))) {
    return false;  // RSASSA-PKCS1-v1_5 signatures are exactly the modulus length
  }
  const ossl::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, key.pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(signing_input),
                          signing_input.size()) == 1;
}

}  // namespace vcf_cds::auth

#include "auth/jwk.hpp"

#include <openssl/core_names.h>
#include <rapidjson/document.h>

#include <array>

#include "auth/base64url.hpp"
#include "auth/ossl.hpp"

namespace vcf_cds::auth {
namespace {

constexpr std::size_t max_jwks_bytes = 1024 * 1024;
constexpr std::size_t max_keys = 100;
constexpr int min_rsa_bits = 2048;

constexpr std::array<std::string_view, 4> alg_names = {"ES256", "ES384", "RS256", "RS384"};

Error jwk_error(std::size_t index, std::string message) {
  return make_error(ErrorCode::internal, "keys[" + std::to_string(index) + "]", std::move(message));
}

// A string member, "" when absent; `ok` is false when present with another type.
std::string_view string_member(const rapidjson::Value& object, const char* name, bool& ok) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return {};
  if (!it->value.IsString()) {
    ok = false;
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

std::shared_ptr<EVP_PKEY> from_params(const char* type, OSSL_PARAM_BLD* builder) {
  const ossl::Params params(OSSL_PARAM_BLD_to_param(builder));
  const ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  ossl::Pkey key(raw);
  // fromdata does not promise a full public-key check (point on curve, sane RSA e); ask for it.
  const ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return {key.release(), EVP_PKEY_free};
}

Result<std::shared_ptr<EVP_PKEY>> ec_key(std::string_view crv, std::string_view x_b64,
                                         std::string_view y_b64, std::size_t size) {
  const auto x = decode_base64url(x_b64);
  const auto y = decode_base64url(y_b64);
  // RFC 7518 §6.2.1.2: the coordinates are exactly the field size, leading zeros kept.
  if (!x || !y || x->size() != size || y->size() != size) {
    return make_error(
        ErrorCode::internal, "",
        "x/y are not base64url of " + std::to_string(size) + " bytes for " + std::string(crv));
  }
  const std::string point = '\x04' + *x + *y;  // SEC 1 uncompressed point
  const ossl::ParamBld builder(OSSL_PARAM_BLD_new());
  const char* group = size == 32 ? "prime256v1" : "secp384r1";
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return make_error(ErrorCode::internal, "", "OpenSSL parameter build failed");
  }
  auto key = from_params("EC", builder.get());
  if (!key)
    return make_error(ErrorCode::internal, "", "x/y are not a point on " + std::string(crv));
  return key;
}

Result<std::shared_ptr<EVP_PKEY>> rsa_key(std::string_view n_b64, std::string_view e_b64) {
  const auto n = decode_base64url(n_b64);
  const auto e = decode_base64url(e_b64);
  if (!n || !e || n->empty() || e->empty() || e->size() > 8) {
    return make_error(ErrorCode::internal, "", "n/e are not base64url big-endian integers");
  }
  const auto to_bn = [](const std::string& bytes) {
    return ossl::Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()), nullptr));
  };
  const ossl::Bignum bn_n = to_bn(*n);
  const ossl::Bignum bn_e = to_bn(*e);
  const ossl::ParamBld builder(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return make_error(ErrorCode::internal, "", "OpenSSL parameter build failed");
  }
  auto key = from_params("RSA", builder.get());
  if (!key) return make_error(ErrorCode::internal, "", "n/e are not a valid RSA public key");
  if (EVP_PKEY_get_bits(key.get()) < min_rsa_bits) {
    return make_error(ErrorCode::internal, "",
                      "RSA key has " + std::to_string(EVP_PKEY_get_bits(key.get())) +
                          " bits; at least 2048 are required");
  }
  return key;
}

// A usable key, nullopt for a key we skip by design, or an error for a malformed/weak key.
Result<std::optional<VerifyKey>> parse_jwk(const rapidjson::Value& jwk) {
  using Skip = std::optional<VerifyKey>;
  if (!jwk.IsObject()) return make_error(ErrorCode::internal, "", "not a JSON object");
  bool ok = true;
  const auto kty = string_member(jwk, "kty", ok);
  const auto crv = string_member(jwk, "crv", ok);
  const auto kid = string_member(jwk, "kid", ok);
  const auto alg = string_member(jwk, "alg", ok);
  const auto use = string_member(jwk, "use", ok);
  if (!ok) return make_error(ErrorCode::internal, "", "kty/crv/kid/alg/use must be strings");
  if (!use.empty() && use != "sig") return Skip{};  // encryption keys never verify signatures
  if (!alg.empty() && !parse_alg(alg)) return Skip{};

  VerifyKey key;
  key.kid = kid;
  key.alg = alg;
  Result<std::shared_ptr<EVP_PKEY>> pkey = std::shared_ptr<EVP_PKEY>();
  if (kty == "EC" && (crv == "P-256" || crv == "P-384")) {
    const bool p256 = crv == "P-256";
    key.kind = p256 ? KeyKind::ec_p256 : KeyKind::ec_p384;
    pkey = ec_key(crv, string_member(jwk, "x", ok), string_member(jwk, "y", ok), p256 ? 32 : 48);
  } else if (kty == "RSA") {
    key.kind = KeyKind::rsa;
    pkey = rsa_key(string_member(jwk, "n", ok), string_member(jwk, "e", ok));
  } else if (kty == "EC" || kty == "OKP" || kty == "oct") {
    return Skip{};  // other curves, EdDSA, and symmetric keys are not accepted for CDS clients
  } else {
    return make_error(ErrorCode::internal, "", "kty must be \"EC\" or \"RSA\"");
  }
  if (!pkey) return std::move(pkey).error();
  if (key.kid.empty()) return make_error(ErrorCode::internal, "", "kid is missing");
  if (!key.alg.empty() && !alg_fits(*parse_alg(key.alg), key)) {
    return make_error(ErrorCode::internal, "", "alg " + key.alg + " does not fit the key");
  }
  key.pkey = std::move(pkey).value();
  return std::optional<VerifyKey>(std::move(key));
}

}  // namespace

std::optional<Alg> parse_alg(std::string_view name) {
  for (std::size_t i = 0; i < alg_names.size(); ++i) {
    if (alg_names[i] == name) return static_cast<Alg>(i);
  }
  return std::nullopt;
}

std::string_view alg_name(Alg alg) {
  return alg_names[static_cast<std::size_t>(alg)];
}

const VerifyKey* KeySet::find(std::string_view kid) const {
  for (const auto& key : keys) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

bool alg_fits(Alg alg, const VerifyKey& key) {
  if (!key.alg.empty() && key.alg != alg_name(alg)) return false;
  switch (alg) {
    case Alg::es256:
      return key.kind == KeyKind::ec_p256;
    case Alg::es384:
      return key.kind == KeyKind::ec_p384;
    case Alg::rs256:
    case Alg::rs384:
      return key.kind == KeyKind::rsa;
  }
  return false;
}

Result<KeySet> parse_jwks(std::string_view json, JwksMode mode) {
  const ossl::ErrorQueueGuard clear_errors;
  if (json.size() > max_jwks_bytes) {
    return make_error(ErrorCode::internal, "", "JWK Set larger than 1 MiB");
  }
  // RapidJSON takes a NUL byte for the end of input; JSON text never contains a raw one.
  if (json.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::internal, "", "JWK Set contains a NUL byte");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(json.data(),
                                                                                    json.size());
  if (doc.HasParseError()) {
    return make_error(ErrorCode::internal, "",
                      "invalid JSON at offset " + std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return make_error(ErrorCode::internal, "", "not a JSON object");
  const auto keys = doc.FindMember("keys");
  if (keys == doc.MemberEnd() || !keys->value.IsArray()) {
    return make_error(ErrorCode::internal, "keys", "\"keys\" must be an array");
  }
  if (keys->value.Size() > max_keys) {
    return make_error(ErrorCode::internal, "keys", "more than 100 keys");
  }
  KeySet set;
  for (rapidjson::SizeType i = 0; i < keys->value.Size(); ++i) {
    auto key = parse_jwk(keys->value[i]);
    if (!key) {
      if (mode == JwksMode::lenient) continue;
      return jwk_error(i, std::move(key).error().message);
    }
    if (!key.value()) continue;
    if (set.find(key.value()->kid) != nullptr) {
      if (mode == JwksMode::lenient) continue;  // first one wins
      return jwk_error(i, "duplicate kid \"" + key.value()->kid + "\"");
    }
    set.keys.push_back(std::move(*key.value()));
  }
  if (set.keys.empty()) {
    return make_error(ErrorCode::internal, "keys",
                      "no usable signature key (EC P-256/P-384 or RSA >= 2048 bits)");
  }
  return set;
}

}  // namespace vcf_cds::auth

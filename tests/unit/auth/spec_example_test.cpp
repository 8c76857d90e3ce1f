// The CDS Hooks 2.0 specification's own example ("Trusting CDS Clients" → Example; HL7/cds-hooks
// tag v2.0.1, input/pagecontent/index.md): its public JWK Set and the compact JWT it says that
// key signed. An interoperability vector signed by someone else's code.
#include "vcf_cds/auth.hpp"

#include <doctest/doctest.h>

#include "auth/jwk.hpp"
#include "unit/auth/token_factory.hpp"

namespace vcf_cds::testing::auth {
namespace {

constexpr std::string_view spec_jwks = R"({
  "keys": [
    {
      "kty": "EC",
      "use": "sig",
      "crv": "P-384",
      "kid": "example-kid",
      "x": "46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk",
      "y": "XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI",
      "alg": "ES384"
    }
  ]
})";

constexpr std::string_view spec_jwt =
    "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUta2lkIiwiamt1IjoiaHR0cHM6Ly9maGlyLWVo"
    "ci5leGFtcGxlLmNvbS9qd2tfdXJpIn0.eyJpc3MiOiJodHRwczovL2ZoaXItZWhyLmV4YW1wbGUuY29tLyIsImF1ZCI6"
    "Imh0dHBzOi8vY2RzLmV4YW1wbGUub3JnL2Nkcy1zZXJ2aWNlcy9zb21lLXNlcnZpY2UiLCJleHAiOjE0MjI1Njg4NjAs"
    "ImlhdCI6MTMxMTI4MDk3MCwianRpIjoiZWUyMmIwMjEtZTFiNy00NjExLWJhNWItOGVlYzZhMzNhYzFlIiwidGVuYW50"
    "IjoiMmRkZDZjM2EtOGU5YS00NGM2LWEzMDUtNTIxMTFhZDMwMmEyIn0.d1WfLjGRKlcWB94l9do4cM8REXeYJLL6SGUB"
    "O8VHZhfM8mwKYP70EMxJ67War4TQblEpaQrp11wx5p7oPFm2ETYgCicS84vXWEIYTdjooZdooCSDf2L8-i4awdoUwiEb";

constexpr std::int64_t spec_iat = 1311280970;
constexpr std::int64_t spec_exp = 1422568860;
constexpr std::string_view spec_aud = "https://cds.example.org/cds-services/some-service";

vcf_cds::auth::AuthConfig spec_config(const TempDir& dir) {
  vcf_cds::auth::AuthConfig config;
  config.issuers.push_back(
      {"https://fhir-ehr.example.com/", dir.write("spec-jwks.json", spec_jwks).string(), {}, {}});
  // The example token lives ~3.5 years; allow it so the signature path is what is tested.
  config.max_lifetime = std::chrono::seconds(spec_exp - spec_iat);
  return config;
}

TEST_SUITE("auth") {
  TEST_CASE("spec example: public JWK Set -> one ES384 P-384 key") {
    const auto set = vcf_cds::auth::parse_jwks(spec_jwks, vcf_cds::auth::JwksMode::strict);
    REQUIRE(set.has_value());
    REQUIRE(set->keys.size() == 1);
    CHECK(set->keys[0].kid == "example-kid");
    CHECK(set->keys[0].kind == vcf_cds::auth::KeyKind::ec_p384);
    CHECK(set->keys[0].alg == "ES384");
  }

  TEST_CASE("spec example: JWT at a time inside its validity -> accepted with its claims") {
    const TempDir dir;
    const vcf_cds::auth::Verifier verifier(spec_config(dir), [] { return at(spec_iat + 10); });
    const auto identity = verifier.verify("Bearer " + std::string(spec_jwt), spec_aud);
    REQUIRE(outcome(identity) == "accepted");
    CHECK(identity->iss == "https://fhir-ehr.example.com/");
    CHECK(identity->jti == "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e");
    CHECK(identity->tenant == "2ddd6c3a-8e9a-44c6-a305-52111ad302a2");
    CHECK(identity->kid == "example-kid");
  }

  TEST_CASE("spec example: JWT today, or with the default lifetime cap -> refused") {
    const TempDir dir;
    const vcf_cds::auth::Verifier today(spec_config(dir), [] { return at(now_s); });
    CHECK(outcome(today.verify("Bearer " + std::string(spec_jwt), spec_aud)) == "expired");
    auto capped = spec_config(dir);
    capped.max_lifetime = std::chrono::seconds(3600);
    const vcf_cds::auth::Verifier strict(capped, [] { return at(spec_iat + 10); });
    CHECK(outcome(strict.verify("Bearer " + std::string(spec_jwt), spec_aud)) ==
          "lifetime_too_long");
  }
}

}  // namespace
}  // namespace vcf_cds::testing::auth

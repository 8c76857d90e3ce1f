// Verification throughput, skipped by default (timing is not a correctness check). Run with
//   vcf_cds_tests -ts=auth -tc="bench:*" --no-skip
// Each token after the first is refused as a replay, which happens after every other check, so
// the loop measures parsing, key lookup, signature and claims.
#include "vcf_cds/auth.hpp"

#include <doctest/doctest.h>

#include <chrono>

#include "unit/auth/token_factory.hpp"

namespace vcf_cds::testing::auth {
namespace {

double per_second(const vcf_cds::auth::Verifier& verifier, const std::string& authorization) {
  constexpr int iterations = 3000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) static_cast<void>(verifier.verify(authorization, audience));
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return iterations / elapsed.count();
}

TEST_SUITE("auth") {
  TEST_CASE("bench: ES384 and RS384 verify -> verifications per second" * doctest::skip()) {
    const vcf_cds::auth::Verifier verifier(trusted_config(), FakeClock().fn());
    const auto es384 = bearer(mint(header("ES384", "ec384"), claims()));
    const auto rs384 = bearer(mint(header("RS384", "rsa"), claims(), "RS384", "rsa"));
    const auto es256 = bearer(mint(header("ES256", "ec256"), claims(), "ES256", "ec256"));
    REQUIRE(outcome(verifier.verify(es384, audience)) == "accepted");
    REQUIRE(outcome(verifier.verify(rs384, audience)) == "accepted");
    REQUIRE(outcome(verifier.verify(es256, audience)) == "accepted");
    MESSAGE("ES384: " << per_second(verifier, es384) << " verifications/s");
    MESSAGE("RS384 (2048-bit): " << per_second(verifier, rs384) << " verifications/s");
    MESSAGE("ES256: " << per_second(verifier, es256) << " verifications/s");
  }
}

}  // namespace
}  // namespace vcf_cds::testing::auth

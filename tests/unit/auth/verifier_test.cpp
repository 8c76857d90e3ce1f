// Verifier on well-formed tokens: the happy paths and the claim rules (digest §7.2).
#include "vcf_cds/auth.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "unit/auth/token_factory.hpp"

namespace vcf_cds::testing::auth {
namespace {

using namespace std::chrono_literals;
using vcf_cds::auth::Verifier;

std::string verify(const std::string& token, vcf_cds::auth::AuthConfig config = trusted_config(),
                   std::string_view aud = audience) {
  const Verifier verifier(std::move(config), FakeClock().fn());
  return outcome(verifier.verify(bearer(token), aud));
}

TEST_SUITE("auth") {
  TEST_CASE("verify: valid ES384 token -> identity from its claims") {
    const Verifier verifier(trusted_config(), FakeClock().fn());
    const auto token =
        mint(header("ES384", "ec384"),
             claims().str("sub", "client-1").str("tenant", "t-1").str("jti", "j-es"));
    const auto identity = verifier.verify(bearer(token), audience);
    REQUIRE(outcome(identity) == "accepted");
    CHECK(identity->iss == issuer);
    CHECK(identity->sub == "client-1");
    CHECK(identity->tenant == "t-1");
    CHECK(identity->jti == "j-es");
    CHECK(identity->kid == "ec384");
    CHECK(verifier.stats().replay.entries == 1);
  }

  TEST_CASE("verify: valid RS384, RS256 and ES256 tokens -> accepted") {
    CHECK(verify(mint(header("RS384", "rsa"), claims(), "RS384", "rsa")) == "accepted");
    CHECK(verify(mint(header("RS256", "rsa"), claims(), "RS256", "rsa")) == "accepted");
    CHECK(verify(mint(header("ES256", "ec256"), claims(), "ES256", "ec256")) == "accepted");
  }

  TEST_CASE("verify: header variants (no typ, typ jwt, Bearer casing, spaces) -> accepted") {
    CHECK(verify(mint(header("ES384", "ec384").erase("typ"), claims())) == "accepted");
    CHECK(verify(mint(header("ES384", "ec384").str("typ", "jwt"), claims())) == "accepted");
    const Verifier verifier(trusted_config(), FakeClock().fn());
    const auto token = mint(header("ES384", "ec384"), claims());
    CHECK(outcome(verifier.verify("  bearer   " + token + " ", audience)) == "accepted");
  }

  TEST_CASE("verify: exp passed beyond the skew -> expired; within the skew -> accepted") {
    CHECK(verify(mint(header("ES384", "ec384"),
                      claims().num("iat", now_s - 400).num("exp", now_s - 61))) == "expired");
    CHECK(verify(mint(header("ES384", "ec384"),
                      claims().num("iat", now_s - 400).num("exp", now_s - 60))) == "expired");
    CHECK(verify(mint(header("ES384", "ec384"),
                      claims().num("iat", now_s - 400).num("exp", now_s - 30))) == "accepted");
  }

  TEST_CASE("verify: time passes after minting -> expired") {
    const FakeClock clock;
    const Verifier verifier(trusted_config(), clock.fn());
    const auto token = mint(header("ES384", "ec384"), claims());
    clock.advance(300s + 60s);
    CHECK(outcome(verifier.verify(bearer(token), audience)) == "expired");
  }

  TEST_CASE("verify: iat or nbf in the future beyond the skew -> not_yet_valid") {
    const auto later = claims().num("iat", now_s + 120).num("exp", now_s + 400);
    CHECK(verify(mint(header("ES384", "ec384"), later)) == "not_yet_valid");
    CHECK(verify(mint(header("ES384", "ec384"), claims().num("nbf", now_s + 120))) ==
          "not_yet_valid");
    // Epic sends nbf = iat - 5 min; a clock 30 s fast is within the skew.
    CHECK(verify(mint(header("ES384", "ec384"), claims().num("nbf", now_s - 300))) == "accepted");
    CHECK(verify(mint(header("ES384", "ec384"),
                      claims().num("iat", now_s + 30).num("exp", now_s + 330))) == "accepted");
  }

  TEST_CASE("verify: fractional NumericDate -> accepted") {
    CHECK(verify(mint(header("ES384", "ec384"),
                      claims().raw("iat", "1800000000.25").raw("exp", "1800000300.5"))) ==
          "accepted");
  }

  TEST_CASE("verify: aud for another endpoint -> bad_aud") {
    const std::string base = "https://cds.example.org/cds-services";
    const std::vector<std::string> wrong = {base, base + "/other", std::string(audience) + "/",
                                            std::string(audience) + "/feedback",
                                            "http://cds.example.org/cds-services/vcf-imaging"};
    for (const std::string& aud : wrong) {
      CAPTURE(aud);
      CHECK(verify(mint(header("ES384", "ec384"), claims().str("aud", aud))) == "bad_aud");
    }
    CHECK(verify(mint(header("ES384", "ec384"), claims().raw("aud", "[]"))) == "bad_aud");
  }

  TEST_CASE("verify: aud array containing the endpoint -> accepted") {
    const auto aud = "[\"https://other.example\"," + Json::quote(audience) + "]";
    CHECK(verify(mint(header("ES384", "ec384"), claims().raw("aud", aud))) == "accepted");
  }

  TEST_CASE("verify: discovery and feedback endpoints -> aud must name them") {
    const std::string discovery = "https://cds.example.org/cds-services";
    const std::string feedback = std::string(audience) + "/feedback";
    const auto token = mint(header("ES384", "ec384"), claims().str("aud", discovery));
    CHECK(verify(token, trusted_config(), discovery) == "accepted");
    const auto fb = mint(header("ES384", "ec384"), claims().str("aud", feedback));
    CHECK(verify(fb, trusted_config(), feedback) == "accepted");
    CHECK(verify(fb, trusted_config(), audience) == "bad_aud");
  }

  TEST_CASE("verify: iss not on the allow-list -> unknown_iss") {
    const auto other = claims().str("iss", "https://evil.example.org");
    CHECK(verify(mint(header("ES384", "ec384"), other)) == "unknown_iss");
    // No normalisation: a trailing slash is another issuer.
    const auto slash = claims().str("iss", std::string(issuer) + "/");
    CHECK(verify(mint(header("ES384", "ec384"), slash)) == "unknown_iss");
  }

  TEST_CASE("verify: a required claim or the kid absent -> missing_claim") {
    for (const char* name : {"iss", "aud", "exp", "iat", "jti"}) {
      CAPTURE(name);
      CHECK(verify(mint(header("ES384", "ec384"), claims().erase(name))) == "missing_claim");
    }
    CHECK(verify(mint(header("ES384", "ec384"), claims().str("jti", ""))) == "missing_claim");
    CHECK(verify(mint(header("ES384", "ec384").erase("kid"), claims())) == "missing_claim");
  }

  TEST_CASE("verify: exp - iat longer than max_lifetime (default 15 min) -> lifetime_too_long") {
    const auto long_lived = claims().num("exp", now_s + 901);
    CHECK(verify(mint(header("ES384", "ec384"), long_lived)) == "lifetime_too_long");
    CHECK(verify(mint(header("ES384", "ec384"), claims().num("exp", now_s + 900))) == "accepted");
    // An exp far ahead cannot hide behind a later iat: iat may lead the clock by the skew only.
    CHECK(verify(mint(header("ES384", "ec384"), claims().num("exp", now_s + 7200))) ==
          "lifetime_too_long");
    CHECK(verify(mint(header("ES384", "ec384"),
                      claims().num("iat", now_s + 61).num("exp", now_s + 961))) == "not_yet_valid");
    CHECK(verify(mint(header("ES384", "ec384"),
                      claims().num("iat", now_s + 60).num("exp", now_s + 960))) == "accepted");
    auto strict = trusted_config();
    strict.max_lifetime = 300s;
    CHECK(verify(mint(header("ES384", "ec384"), claims().num("exp", now_s + 301)), strict) ==
          "lifetime_too_long");
  }

  TEST_CASE("verify: same jti twice -> replayed_jti; after expiry it is forgotten") {
    const FakeClock clock;
    const Verifier verifier(trusted_config(), clock.fn());
    const auto token = mint(header("ES384", "ec384"), claims().str("jti", "once"));
    CHECK(outcome(verifier.verify(bearer(token), audience)) == "accepted");
    CHECK(outcome(verifier.verify(bearer(token), audience)) == "replayed_jti");
    // Another token, same jti, same issuer: still a replay.
    const auto again = mint(header("RS384", "rsa"), claims().str("jti", "once"), "RS384", "rsa");
    CHECK(outcome(verifier.verify(bearer(again), audience)) == "replayed_jti");
    // A refused token does not consume its jti.
    const auto bad = mint(header("ES384", "ec384"), claims().str("jti", "j2").str("aud", "x"));
    CHECK(outcome(verifier.verify(bearer(bad), audience)) == "bad_aud");
    const auto good = mint(header("ES384", "ec384"), claims().str("jti", "j2"));
    CHECK(outcome(verifier.verify(bearer(good), audience)) == "accepted");
    clock.advance(400s);
    CHECK(verifier.stats().replay.entries == 2);
    const auto later =
        mint(header("ES384", "ec384"),
             claims().str("jti", "j3").num("iat", now_s + 400).num("exp", now_s + 700));
    CHECK(outcome(verifier.verify(bearer(later), audience)) == "accepted");
    CHECK(verifier.stats().replay.entries == 1);  // the expired ones were purged
  }

  TEST_CASE("verify: threads verifying the same tokens -> each token accepted exactly once") {
    const Verifier verifier(trusted_config(), FakeClock().fn());
    std::vector<std::string> tokens;
    for (int i = 0; i < 20; ++i) {
      tokens.push_back(bearer(mint(header("ES384", "ec384"), claims())));
      tokens.push_back(bearer(mint(header("RS384", "rsa"), claims(), "RS384", "rsa")));
    }
    std::atomic<int> accepted{0};
    std::atomic<int> replayed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (const auto& token : tokens) {
          const auto result = outcome(verifier.verify(token, audience));
          if (result == "accepted") ++accepted;
          if (result == "replayed_jti") ++replayed;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(accepted == 40);
    CHECK(replayed == 120);
  }

  TEST_CASE("verify: issuer pinned to a tenant -> other or missing tenant refused") {
    auto config = trusted_config();
    config.issuers[0].tenant = "org-a";
    CHECK(verify(mint(header("ES384", "ec384"), claims().str("tenant", "org-a")), config) ==
          "accepted");
    CHECK(verify(mint(header("ES384", "ec384"), claims().str("tenant", "org-b")), config) ==
          "tenant");
    CHECK(verify(mint(header("ES384", "ec384"), claims()), config) == "tenant");
  }
}

}  // namespace
}  // namespace vcf_cds::testing::auth

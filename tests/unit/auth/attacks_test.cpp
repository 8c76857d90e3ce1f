// Verifier against forged, confused and malformed tokens. Every refusal must name its reason and
// keep the token out of the message (digest §7.2: never log JWTs).
#include "vcf_cds/auth.hpp"

#include <doctest/doctest.h>

#include "unit/auth/token_factory.hpp"

namespace vcf_cds::testing::auth {
namespace {

using vcf_cds::auth::Verifier;

struct Segments {
  std::string header, payload, signature;
};

Segments split(const std::string& token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

std::string join(const Segments& s) {
  return s.header + '.' + s.payload + '.' + s.signature;
}

// Changes one character in the middle of a base64url segment to another valid one.
std::string flip(std::string segment) {
  char& c = segment[segment.size() / 2];
  c = c == 'A' ? 'B' : 'A';
  return segment;
}

struct Case {
  std::string name, authorization, reason;
};

std::vector<Case> attack_cases() {
  const auto good = mint(header("ES384", "ec384"), claims());
  const auto s = split(good);
  const auto other = split(mint(header("ES384", "ec384"), claims().str("sub", "admin")));
  const auto duplicate = "{\"iss\":\"https://evil.example\"," + claims().dump().substr(1);
  std::vector<Case> cases = {
      {"tampered payload", join({s.header, other.payload, s.signature}), "bad_signature"},
      {"tampered signature", join({s.header, s.payload, flip(s.signature)}), "bad_signature"},
      {"signed by an untrusted key", mint(header("ES384", "ec384"), claims(), "ES384", "ec384b"),
       "bad_signature"},
      {"DER-encoded ECDSA signature",
       mint(header("ES384", "ec384"), claims(), "ES384", "ec384", true), "bad_signature"},
      {"DER-encoded ES256 signature",
       mint(header("ES256", "ec256"), claims(), "ES256", "ec256", true), "bad_signature"},
      {"signature truncated", join({s.header, s.payload, s.signature.substr(0, 64)}),
       "bad_signature"},
      {"signature empty", join({s.header, s.payload, ""}), "bad_signature"},
      {"alg none", mint(header("none", "ec384"), claims(), "none"), "alg_not_allowed"},
      {"alg NONE", mint(header("NONE", "ec384"), claims(), "none"), "alg_not_allowed"},
      {"HS256 keyed with the EC public key PEM",
       mint(header("HS256", "ec384"), claims(), "HS256", "ec384.pub"), "alg_not_allowed"},
      {"HS384 keyed with the RSA public key PEM",
       mint(header("HS384", "rsa"), claims(), "HS384", "rsa.pub"), "alg_not_allowed"},
      {"PS384", mint(header("PS384", "rsa"), claims(), "RS384", "rsa"), "alg_not_allowed"},
      {"RS384 header, EC key", mint(header("RS384", "ec384"), claims(), "RS384", "rsa"),
       "alg_key_mismatch"},
      {"ES256 header, P-384 key", mint(header("ES256", "ec384"), claims(), "ES256", "ec256"),
       "alg_key_mismatch"},
      {"ES384 header, P-256 key", mint(header("ES384", "ec256"), claims(), "ES384", "ec384"),
       "alg_key_mismatch"},
      {"ES384 header, RSA key", mint(header("ES384", "rsa"), claims()), "alg_key_mismatch"},
      {"unknown kid", mint(header("ES384", "nope"), claims(), "ES384", "ec384b"), "unknown_kid"},
      {"two segments", s.header + '.' + s.payload, "malformed"},
      {"four segments", good + ".AAAA", "malformed"},
      {"one segment", s.payload, "malformed"},
      {"padding", join({s.header + "=", s.payload, s.signature}), "malformed"},
      {"standard base64 alphabet", join({s.header, s.payload + "+/", s.signature}), "malformed"},
      {"impossible base64 length", join({s.header + "A", s.payload, s.signature}), "malformed"},
      {"header not JSON", mint_raw("not json", claims().dump(), "ES384", "ec384"), "malformed"},
      {"header a JSON array", mint_raw("[\"ES384\"]", claims().dump(), "ES384", "ec384"),
       "malformed"},
      {"payload not JSON", mint_raw(header("ES384", "ec384").dump(), "{\"iss\":", "ES384", "ec384"),
       "malformed"},
      {"payload invalid UTF-8",
       mint_raw(header("ES384", "ec384").dump(), "{\"sub\":\"\xff\"}", "ES384", "ec384"),
       "malformed"},
      {"NUL and bytes after the header JSON",
       mint_raw(header("ES384", "ec384").dump() + std::string("\0junk", 5), claims().dump(),
                "ES384", "ec384"),
       "malformed"},
      {"duplicate claim", mint_raw(header("ES384", "ec384").dump(), duplicate, "ES384", "ec384"),
       "malformed"},
      {"no alg", mint(header("ES384", "ec384").erase("alg"), claims()), "malformed"},
      {"alg not a string", mint(header("ES384", "ec384").raw("alg", "384"), claims()), "malformed"},
      {"typ JOSE", mint(header("ES384", "ec384").str("typ", "JOSE"), claims()), "malformed"},
      {"crit", mint(header("ES384", "ec384").raw("crit", "[\"exp\"]"), claims()), "malformed"},
      {"kid a number", mint(header("ES384", "ec384").raw("kid", "7"), claims()), "malformed"},
      {"exp a string", mint(header("ES384", "ec384"), claims().str("exp", "1800000300")),
       "malformed"},
      {"exp beyond year 2223", mint(header("ES384", "ec384"), claims().raw("exp", "1e15")),
       "malformed"},
      {"exp huge integer",
       mint(header("ES384", "ec384"), claims().raw("exp", "9223372036854775807")), "malformed"},
      {"iat negative", mint(header("ES384", "ec384"), claims().num("iat", -1)), "malformed"},
      {"exp a boolean", mint(header("ES384", "ec384"), claims().raw("exp", "true")), "malformed"},
      {"aud a number", mint(header("ES384", "ec384"), claims().raw("aud", "5")), "malformed"},
      {"aud array of numbers", mint(header("ES384", "ec384"), claims().raw("aud", "[5]")),
       "malformed"},
      {"iss an object", mint(header("ES384", "ec384"), claims().raw("iss", "{}")), "malformed"},
      {"exp before iat",
       mint(header("ES384", "ec384"), claims().num("exp", now_s - 10).num("iat", now_s)),
       "malformed"},
      {"token too long",
       mint(header("ES384", "ec384"), claims().str("pad", std::string(9000, 'x'))), "malformed"},
  };
  for (Case& c : cases) c.authorization = bearer(c.authorization);
  cases.push_back({"Basic scheme", "Basic " + good, "missing_token"});
  cases.push_back({"no header", "", "missing_token"});
  cases.push_back({"Bearer without token", "Bearer", "missing_token"});
  cases.push_back({"token glued to scheme", "Bearer" + good, "missing_token"});
  cases.push_back({"space inside the token", "Bearer " + s.header + ". " + s.payload, "malformed"});
  return cases;
}

TEST_SUITE("auth") {
  TEST_CASE("verify: forged, confused or malformed token -> its reason, token not in message") {
    const Verifier verifier(trusted_config(), FakeClock().fn());
    for (const Case& c : attack_cases()) {
      CAPTURE(c.name);
      const auto result = verifier.verify(c.authorization, audience);
      CHECK(outcome(result) == c.reason);
      if (result.has_value()) continue;
      const std::string& message = result.error().message;
      CHECK_FALSE(message.empty());
      CHECK(message.find("eyJ") == std::string::npos);  // any base64url JSON object
      std::string token = c.authorization.substr(std::min<std::size_t>(7, c.authorization.size()));
      for (std::size_t start = 0; start + 16 <= token.size(); start += 16) {
        CHECK(message.find(token.substr(start, 16)) == std::string::npos);
      }
    }
    CHECK(verifier.stats().replay.entries == 0);  // nothing refused was remembered
  }

  TEST_CASE("verify: RS256 token for a JWK pinned to RS384 -> alg_key_mismatch") {
    const TempDir dir;
    auto config = trusted_config();
    config.issuers[0].jwks_file_or_url =
        dir.write("pinned.json", Keys::get().jwks({"rsa:rsa:RS384"})).string();
    const Verifier verifier(config, FakeClock().fn());
    const auto rs256 = mint(header("RS256", "rsa"), claims(), "RS256", "rsa");
    CHECK(outcome(verifier.verify(bearer(rs256), audience)) == "alg_key_mismatch");
    const auto rs384 = mint(header("RS384", "rsa"), claims(), "RS384", "rsa");
    CHECK(outcome(verifier.verify(bearer(rs384), audience)) == "accepted");
  }

  TEST_CASE("verify: a refusal names its reason's label in the error field") {
    const Verifier verifier(trusted_config(), FakeClock().fn());
    const auto result = verifier.verify("Bearer a.b", audience);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ErrorCode::unauthorized);
    CHECK(result.error().field == vcf_cds::auth::reason_label(vcf_cds::auth::Reason::malformed));
  }
}

}  // namespace
}  // namespace vcf_cds::testing::auth

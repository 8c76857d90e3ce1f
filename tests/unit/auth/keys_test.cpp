// Where keys come from: JWK Set files (start-up errors), JWK Set URLs with a rate-limited
// refresh, allow-listed jku, the shipped CDS Hooks Sandbox key and the spec's example key.
#include "vcf_cds/auth.hpp"

#include <doctest/doctest.h>

#include <map>

#include "auth/jwk.hpp"
#include "common/json_file.hpp"
#include "unit/auth/token_factory.hpp"

namespace vcf_cds::testing::auth {
namespace {

using namespace std::chrono_literals;
using vcf_cds::auth::AuthConfig;
using vcf_cds::auth::Verifier;

// A fetcher that serves a map of URL -> body and records each call.
struct StubFetcher {
  std::shared_ptr<std::map<std::string, std::string>> bodies =
      std::make_shared<std::map<std::string, std::string>>();
  std::shared_ptr<std::vector<std::string>> calls = std::make_shared<std::vector<std::string>>();

  vcf_cds::auth::JwksFetcher fn() const {
    return [bodies = bodies, calls = calls](const std::string& url) -> Result<std::string> {
      calls->push_back(url);
      const auto it = bodies->find(url);
      if (it == bodies->end()) return make_error(ErrorCode::unavailable, url, "HTTP 503");
      return it->second;
    };
  }
};

constexpr std::string_view jwks_url = "https://ehr.example.org/.well-known/jwks.json";
constexpr std::string_view jku_url = "https://keys.ehr.example.org/jwks.json";

AuthConfig url_config() {
  AuthConfig config;
  config.issuers.push_back({std::string(issuer), std::string(jwks_url), {}, {}});
  return config;
}

std::string error_of_construction(const AuthConfig& config) {
  try {
    const Verifier verifier(config, FakeClock().fn());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no exception";
}

TEST_SUITE("auth") {
  TEST_CASE("keys: jku not allow-listed and kid unknown -> jku_not_allowed, nothing fetched") {
    const StubFetcher fetcher;
    (*fetcher.bodies)[std::string("https://evil.example/jwks.json")] =
        Keys::get().jwks({"ec384b:evil"});
    const Verifier verifier(trusted_config(), FakeClock().fn(), fetcher.fn());
    const auto token = mint(header("ES384", "evil").str("jku", "https://evil.example/jwks.json"),
                            claims(), "ES384", "ec384b");
    CHECK(outcome(verifier.verify(bearer(token), audience)) == "jku_not_allowed");
    CHECK(fetcher.calls->empty());
  }

  TEST_CASE("keys: jku not allow-listed but kid in the configured keys -> accepted") {
    // The CDS Hooks Sandbox always sends its public jku; the out-of-band keys decide.
    const auto token =
        mint(header("ES384", "ec384").str("jku", "https://evil.example/jwks"), claims());
    const Verifier verifier(trusted_config(), FakeClock().fn());
    CHECK(outcome(verifier.verify(bearer(token), audience)) == "accepted");
  }

  TEST_CASE("keys: jku allow-listed -> its JWK Set is fetched once and cached") {
    const StubFetcher fetcher;
    (*fetcher.bodies)[std::string(jku_url)] = Keys::get().jwks({"ec384b:rotated"});
    auto config = trusted_config();
    config.issuers[0].allowed_jku = {std::string(jku_url)};
    const Verifier verifier(config, FakeClock().fn(), fetcher.fn());
    const auto jku_header = header("ES384", "rotated").str("jku", jku_url);
    for (int i = 0; i < 3; ++i) {
      const auto token = mint(jku_header, claims(), "ES384", "ec384b");
      CHECK(outcome(verifier.verify(bearer(token), audience)) == "accepted");
    }
    CHECK(*fetcher.calls == std::vector<std::string>{std::string(jku_url)});
    CHECK(verifier.stats().jwks_fetches == 1);
  }

  TEST_CASE("keys: JWK Set URL, unknown kid -> one refresh, then none for 60 s") {
    const StubFetcher fetcher;
    (*fetcher.bodies)[std::string(jwks_url)] = Keys::get().jwks({"ec384:k1"});
    const FakeClock clock;
    const Verifier verifier(url_config(), clock.fn(), fetcher.fn());
    const auto k1 = [] { return mint(header("ES384", "k1"), claims()); };
    const auto k2 = [] { return mint(header("ES384", "k2"), claims(), "ES384", "ec384b"); };

    CHECK(outcome(verifier.verify(bearer(k1()), audience)) == "accepted");  // first use: fetch
    CHECK(fetcher.calls->size() == 1);
    CHECK(outcome(verifier.verify(bearer(k1()), audience)) == "accepted");  // cached
    CHECK(outcome(verifier.verify(bearer(k2()), audience)) == "unknown_kid");
    CHECK(fetcher.calls->size() == 1);  // fetched 0 s ago: rate limited
    clock.advance(60s);
    CHECK(outcome(verifier.verify(bearer(k2()), audience)) == "unknown_kid");
    CHECK(fetcher.calls->size() == 2);  // one refresh; k2 not published yet
    // The client rotates its key; a flood of unknown kids still costs no fetch within 60 s.
    (*fetcher.bodies)[std::string(jwks_url)] = Keys::get().jwks({"ec384:k1", "ec384b:k2"});
    for (int i = 0; i < 5; ++i) {
      clock.advance(10s);
      CHECK(outcome(verifier.verify(bearer(k2()), audience)) == "unknown_kid");
    }
    CHECK(fetcher.calls->size() == 2);
    clock.advance(11s);  // 61 s after the last refresh
    CHECK(outcome(verifier.verify(bearer(k2()), audience)) == "accepted");
    CHECK(fetcher.calls->size() == 3);
  }

  TEST_CASE("keys: JWK Set URL unreachable -> jwks_unavailable; old keys survive a failure") {
    const StubFetcher fetcher;
    const FakeClock clock;
    const Verifier verifier(url_config(), clock.fn(), fetcher.fn());
    CHECK(outcome(verifier.verify(bearer(mint(header("ES384", "k1"), claims())), audience)) ==
          "jwks_unavailable");
    (*fetcher.bodies)[std::string(jwks_url)] = Keys::get().jwks({"ec384:k1"});
    clock.advance(61s);
    const auto fresh = [] { return claims().num("iat", now_s + 61).num("exp", now_s + 361); };
    CHECK(outcome(verifier.verify(bearer(mint(header("ES384", "k1"), fresh())), audience)) ==
          "accepted");
    (*fetcher.bodies)[std::string(jwks_url)] = "{\"keys\": 42}";
    clock.advance(61s);
    const auto k9 = mint(header("ES384", "k9"), fresh());
    CHECK(outcome(verifier.verify(bearer(k9), audience)) == "jwks_unavailable");
    CHECK(outcome(verifier.verify(bearer(mint(header("ES384", "k1"), fresh())), audience)) ==
          "accepted");
  }

  TEST_CASE("keys: fetched JWK Set with a malformed key -> the good keys still work") {
    const StubFetcher fetcher;
    const std::string good = Keys::get().jwks({"ec384:k1"});
    (*fetcher.bodies)[std::string(jwks_url)] =
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"bad\",\"x\":\"AA\",\"y\":\"AA\"}," +
        good.substr(good.find('[') + 1);
    const Verifier verifier(url_config(), FakeClock().fn(), fetcher.fn());
    CHECK(outcome(verifier.verify(bearer(mint(header("ES384", "k1"), claims())), audience)) ==
          "accepted");
  }

  TEST_CASE("keys: bad JWK Set file -> start-up throws naming the file and the problem") {
    const TempDir dir;
    const std::string ec = Keys::get().jwks({"ec384:k1"});
    std::string off_curve = ec;
    const auto x = off_curve.find("\"x\": \"") + 6;
    off_curve[x] = off_curve[x] == 'A' ? 'B' : 'A';
    const std::vector<std::pair<std::string, std::string>> files = {
        {"{\"keys\": [", "invalid JSON"},
        {"{\"keys\": {}}", "\"keys\" must be an array"},
        {Keys::get().jwks({"rsa1024:small"}), "at least 2048"},
        {Keys::get().jwks({"ec521:big"}), "no usable signature key"},
        {Keys::get().jwks({"ec384:same", "ec256:same"}), "duplicate kid"},
        {Keys::get().jwks({"ec384:k1:ES256"}), "does not fit"},
        {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"k\",\"x\":\"AA\",\"y\":\"AA\"}]}",
         "48 bytes"},
        {off_curve, "not a point on P-384"},
        {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":" + ec.substr(x - 1), "kid"},
    };
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto file = dir.write("bad" + std::to_string(i) + ".json", files[i].first);
      auto config = trusted_config();
      config.issuers[0].jwks_file_or_url = file.string();
      const std::string error = error_of_construction(config);
      CAPTURE(error);
      CHECK(error.find(file.string()) != std::string::npos);
      CHECK(error.find(files[i].second) != std::string::npos);
    }
    auto missing = trusted_config();
    missing.issuers[0].jwks_file_or_url = (dir.path() / "absent.json").string();
    CHECK(error_of_construction(missing).find("absent.json: cannot open") != std::string::npos);
  }

  TEST_CASE("keys: bad issuer configuration -> start-up throws") {
    CHECK(error_of_construction(url_config()).find("fetcher") != std::string::npos);
    auto http = url_config();
    http.issuers[0].jwks_file_or_url = "http://ehr.example.org/jwks";
    CHECK(error_of_construction(http).find("https://") != std::string::npos);
    auto twice = trusted_config();
    twice.issuers.push_back(twice.issuers[0]);
    CHECK(error_of_construction(twice).find("configured twice") != std::string::npos);
  }

  TEST_CASE("keys: unusable keys beside a good one (P-521, use enc) -> skipped, file loads") {
    const TempDir dir;
    std::string enc = Keys::get().jwks({"ec384:enc"});
    enc.replace(enc.find("\"sig\""), 5, "\"enc\"");
    const std::string good = Keys::get().jwks({"ec521:big", "ec384:k1"});
    const std::string with_enc =
        good.substr(0, good.rfind(']')) + "," + enc.substr(enc.find('[') + 1);
    auto config = trusted_config();
    config.issuers[0].jwks_file_or_url = dir.write("mixed.json", with_enc).string();
    const Verifier verifier(config, FakeClock().fn());
    CHECK(outcome(verifier.verify(bearer(mint(header("ES384", "k1"), claims())), audience)) ==
          "accepted");
    CHECK(outcome(verifier.verify(bearer(mint(header("ES384", "enc"), claims())), audience)) ==
          "unknown_kid");
  }

  TEST_CASE("keys: shipped CDS Hooks Sandbox JWK Set -> one ES384 P-384 key, loads as issuer") {
    const auto file = source_path("deploy/sandbox-jwks.json");
    const auto set =
        vcf_cds::auth::parse_jwks(common::read_file(file), vcf_cds::auth::JwksMode::strict);
    REQUIRE(set.has_value());
    REQUIRE(set->keys.size() == 1);
    const auto& key = set->keys[0];
    CHECK(key.kid == "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f");
    CHECK(key.kind == vcf_cds::auth::KeyKind::ec_p384);
    CHECK(vcf_cds::auth::alg_fits(vcf_cds::auth::Alg::es384, key));
    auto trusted =
        vcf_cds::auth::parse_trust_issuer("https://sandbox.cds-hooks.org=" + file.string());
    REQUIRE(trusted.has_value());
    AuthConfig config;
    config.issuers.push_back(trusted.value());
    const Verifier verifier(config, FakeClock().fn());
    const auto token = mint(header("ES384", "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"),
                            claims().str("iss", "https://sandbox.cds-hooks.org"));
    // Our own key cannot pass for the Sandbox's.
    CHECK(outcome(verifier.verify(bearer(token), audience)) == "bad_signature");
  }
}

}  // namespace
}  // namespace vcf_cds::testing::auth

// The auth stage's building blocks: strict base64url, the bounded replay cache, the
// --trust-issuer flag and the reason labels.
#include "vcf_cds/auth.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "auth/base64url.hpp"
#include "auth/replay_cache.hpp"
#include "unit/auth/token_factory.hpp"

namespace vcf_cds::testing::auth {
namespace {

using namespace std::chrono_literals;
using vcf_cds::auth::decode_base64url;
using vcf_cds::auth::ReplayCache;
using Insert = ReplayCache::Insert;

TEST_SUITE("auth") {
  TEST_CASE("base64url: RFC 4648 vectors without padding -> decoded") {
    CHECK(decode_base64url("") == "");
    CHECK(decode_base64url("Zg") == "f");
    CHECK(decode_base64url("Zm8") == "fo");
    CHECK(decode_base64url("Zm9v") == "foo");
    CHECK(decode_base64url("Zm9vYmFy") == "foobar");
    CHECK(decode_base64url("-_8") == "\xfb\xff");
  }

  TEST_CASE("base64url: padding, other alphabets, bad lengths, non-canonical tails -> refused") {
    for (const char* bad : {"Zg==", "Zm8=", "+/8", "Zm9v YmFy", "Zm9v\n", "Z", "Zm9vY", "Zh", "Zm9",
                            "Zm%v", "\xc3\xa9"}) {
      CAPTURE(bad);
      CHECK_FALSE(decode_base64url(bad).has_value());
    }
  }

  TEST_CASE("replay cache: same id before it expires -> refused; after -> accepted again") {
    ReplayCache cache(10);
    const auto t0 = at(now_s);
    CHECK(cache.insert("a", t0 + 100s, t0) == Insert::added);
    CHECK(cache.insert("a", t0 + 100s, t0 + 99s) == Insert::replayed);
    CHECK(cache.insert("a", t0 + 300s, t0 + 100s) == Insert::added);
    CHECK(cache.size() == 1);
    CHECK(cache.stats().evictions == 1);  // the expired "a" made way for the new one
  }

  TEST_CASE("replay cache: more ids than capacity -> new ids refused, live ids never forgotten") {
    ReplayCache cache(4);
    const auto t0 = at(now_s);
    for (int i = 0; i < 4; ++i) {
      CHECK(cache.insert("id" + std::to_string(i), t0 + std::chrono::seconds(1000 + i), t0) ==
            Insert::added);
    }
    for (int i = 4; i < 100; ++i) {
      CHECK(cache.insert("id" + std::to_string(i), t0 + 2000s, t0) == Insert::full);
      CHECK(cache.size() == 4);
    }
    CHECK(cache.stats().full_refusals == 96);
    CHECK(cache.stats().evictions == 0);
    // Every remembered id is still a replay, however many ids were offered since.
    for (int i = 0; i < 4; ++i) {
      CHECK(cache.insert("id" + std::to_string(i), t0 + 2000s, t0 + 999s) == Insert::replayed);
    }
    // Once the first expires, its room goes to a new id; the others stay.
    CHECK(cache.insert("late", t0 + 5000s, t0 + 1000s) == Insert::added);
    CHECK(cache.stats().evictions == 1);
    CHECK(cache.insert("id0", t0 + 5000s, t0 + 1000s) == Insert::full);
    CHECK(cache.insert("id1", t0 + 5000s, t0 + 1000s) == Insert::replayed);
  }

  TEST_CASE("replay cache: random inserts, expiries and refusals -> same answers as a model") {
    // The cache is a heap plus an open-addressing set with backward-shift deletion; a plain
    // map of id -> forget_after with the same rules must give the same answer to every insert.
    // A small id space makes repeats (refused or re-accepted) and long probe runs common.
    for (const std::size_t capacity : {std::size_t{1}, std::size_t{7}, std::size_t{300}}) {
      CAPTURE(capacity);
      ReplayCache cache(capacity);
      std::map<std::string, ReplayCache::time_point> model;
      std::uint64_t model_expired = 0;
      std::uint64_t model_full = 0;
      std::mt19937 random(static_cast<unsigned>(capacity));
      auto now = at(now_s);
      for (int step = 0; step < 20000; ++step) {
        now += std::chrono::seconds(random() % 3);
        const std::string id = "id" + std::to_string(random() % 500);
        const auto forget_after =
            now + std::chrono::seconds(1 + random() % 200) + std::chrono::nanoseconds(step);
        model_expired +=
            std::erase_if(model, [&](const auto& entry) { return entry.second <= now; });
        Insert expected = Insert::replayed;
        if (!model.contains(id)) {
          expected = model.size() >= capacity ? Insert::full : Insert::added;
          if (expected == Insert::added) model.emplace(id, forget_after);
          if (expected == Insert::full) ++model_full;
        }
        CAPTURE(step);
        REQUIRE(cache.insert(id, forget_after, now) == expected);
        REQUIRE(cache.size() == model.size());
      }
      CHECK(cache.stats().evictions == model_expired);
      CHECK(cache.stats().full_refusals == model_full);
    }
  }

  TEST_CASE("replay cache: concurrent inserts of the same ids -> exactly one wins each") {
    ReplayCache cache(100000);
    const auto t0 = at(now_s);
    std::atomic<int> wins{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 2000; ++i) {
          if (cache.insert("id" + std::to_string(i), t0 + 60s, t0) == Insert::added) ++wins;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(wins == 2000);
    CHECK(cache.size() == 2000);
  }

  TEST_CASE("verifier: replay cache capacity -> full cache answers 503, never forgets a jti") {
    auto config = trusted_config();
    config.replay_cache_capacity = 3;
    const FakeClock clock;
    const vcf_cds::auth::Verifier verifier(config, clock.fn());
    std::vector<std::string> tokens;
    for (int i = 0; i < 5; ++i) tokens.push_back(mint(header("ES384", "ec384"), claims()));
    for (int i = 0; i < 3; ++i) {
      CHECK(outcome(verifier.verify(bearer(tokens[i]), audience)) == "accepted");
    }
    for (int i = 3; i < 5; ++i) {
      const auto refused = verifier.verify(bearer(tokens[i]), audience);
      REQUIRE_FALSE(refused.has_value());
      CHECK(refused.error().code == ErrorCode::unavailable);
      CHECK(refused.error().field == "replay_cache_full");
    }
    CHECK(outcome(verifier.verify(bearer(tokens[0]), audience)) == "replayed_jti");
    const auto stats = verifier.stats().replay;
    CHECK(stats.entries == 3);
    CHECK(stats.capacity == 3);
    CHECK(stats.full_refusals == 2);
    CHECK(stats.evictions == 0);
    // claims() tokens expire at now + 300 s; remembered until exp + skew (60 s).
    clock.advance(299s);  // the last second before exp - skew: still a replay, still full
    CHECK(outcome(verifier.verify(bearer(tokens[1]), audience)) == "replayed_jti");
    CHECK(verifier.verify(bearer(tokens[3]), audience).error().field == "replay_cache_full");
    clock.advance(61s);
    const auto fresh =
        mint(header("ES384", "ec384"), claims().num("iat", now_s + 360).num("exp", now_s + 660));
    CHECK(outcome(verifier.verify(bearer(fresh), audience)) == "accepted");
    CHECK(verifier.stats().replay.evictions == 3);
    CHECK(verifier.stats().replay.entries == 1);
  }

  TEST_CASE("trust flag: ISS=FILE and ISS=https URL -> parsed; other forms -> bad_request") {
    const auto file =
        vcf_cds::auth::parse_trust_issuer("https://sandbox.cds-hooks.org=deploy/sandbox-jwks.json");
    REQUIRE(file.has_value());
    CHECK(file->iss == "https://sandbox.cds-hooks.org");
    CHECK(file->jwks_file_or_url == "deploy/sandbox-jwks.json");
    const auto url = vcf_cds::auth::parse_trust_issuer(
        "https://ehr.example.org=https://ehr.example.org/jwks?format=jwk=set");
    REQUIRE(url.has_value());
    CHECK(url->jwks_file_or_url == "https://ehr.example.org/jwks?format=jwk=set");
    for (const char* bad : {"no-equals", "=file.json", "https://ehr.example.org=",
                            "https://ehr.example.org=http://ehr.example.org/jwks"}) {
      CAPTURE(bad);
      const auto parsed = vcf_cds::auth::parse_trust_issuer(bad);
      REQUIRE_FALSE(parsed.has_value());
      CHECK(parsed.error().code == ErrorCode::bad_request);
    }
  }

  TEST_CASE("reason labels: every Reason -> a distinct, non-empty label") {
    std::set<std::string_view> seen;
    for (int i = 0; i <= static_cast<int>(vcf_cds::auth::Reason::tenant); ++i) {
      const auto reason = static_cast<vcf_cds::auth::Reason>(i);
      const auto label = vcf_cds::auth::reason_label(reason);
      CHECK_FALSE(label.empty());
      CHECK(seen.insert(label).second);
    }
  }
}

}  // namespace
}  // namespace vcf_cds::testing::auth

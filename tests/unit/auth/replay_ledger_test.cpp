// The in-memory jti ledger as the verifier uses it: sized from the lifetime bound, never letting
// a live token back in however many other tokens arrive, and answering 503 (unavailable) when
// full. Time comes from the caller (the verifier's injected clock), so no test waits.
#include "vcf_cds/auth.hpp"

#include <doctest/doctest.h>

#include <string>

#include "unit/auth/token_factory.hpp"

namespace vcf_cds::testing::auth {
namespace {

using namespace std::chrono_literals;
using vcf_cds::auth::AuthConfig;
using vcf_cds::auth::make_memory_jti_ledger;

TEST_SUITE("auth") {
  TEST_CASE("replay sizing: default lifetime 15 min + 2 x skew -> 1020 s window, 204,000 entries") {
    const AuthConfig config;
    CHECK(config.max_lifetime == 900s);
    CHECK(vcf_cds::auth::replay_window(config) == 1020s);
    CHECK(vcf_cds::auth::replay_capacity(config) == 204'000);
    AuthConfig explicit_size;
    explicit_size.replay_cache_capacity = 5;
    CHECK(vcf_cds::auth::replay_capacity(explicit_size) == 5);
    AuthConfig sandbox;
    sandbox.max_lifetime = 300s;
    sandbox.skew = 30s;
    CHECK(vcf_cds::auth::replay_capacity(sandbox) == 200 * 360);
  }

  TEST_CASE("memory ledger: a jti followed by 150,000 others -> still refused as a replay") {
    // The old cache forgot its oldest entry after ~100,000 newer ones and let it in again.
    const AuthConfig config;
    const auto ledger = make_memory_jti_ledger(vcf_cds::auth::replay_capacity(config));
    const auto t0 = at(now_s);
    const auto forget_after = t0 + 300s + config.skew;  // a 5 min token, as the Sandbox mints
    REQUIRE(ledger->first_use(issuer, "victim", forget_after, t0).value());
    for (int i = 0; i < 150'000; ++i) {
      const auto now = t0 + std::chrono::milliseconds(i);  // 150 s of 1,000 tokens/s
      REQUIRE(ledger->first_use(issuer, "other-" + std::to_string(i), now + 360s, now).value());
    }
    const auto later = t0 + 150s;
    const auto again = ledger->first_use(issuer, "victim", forget_after, later);
    REQUIRE(again.has_value());
    CHECK_FALSE(again.value());
    // The same jti from another issuer is another token.
    CHECK(ledger->first_use("https://other.example.org", "victim", forget_after, later).value());
    const auto stats = ledger->stats();
    CHECK(stats.entries == 150'002);
    CHECK(stats.evictions == 0);
    CHECK(stats.full_refusals == 0);
  }

  TEST_CASE("memory ledger: full -> new jti refused with unavailable, old ones stay replays") {
    const auto ledger = make_memory_jti_ledger(1000);
    const auto t0 = at(now_s);
    for (int i = 0; i < 1000; ++i) {
      // Entry i is forgotten at t0 + 100 s + i s.
      REQUIRE(ledger->first_use(issuer, "j" + std::to_string(i), t0 + 100s + i * 1s, t0).value());
    }
    for (int i = 0; i < 100'000; ++i) {
      const auto refused = ledger->first_use(issuer, "new" + std::to_string(i), t0 + 200s, t0 + 1s);
      REQUIRE_FALSE(refused.has_value());
      REQUIRE(refused.error().code == ErrorCode::unavailable);
      REQUIRE(refused.error().field == "replay_cache_full");
    }
    for (int i = 0; i < 1000; ++i) {
      const auto replay = ledger->first_use(issuer, "j" + std::to_string(i), t0 + 200s, t0 + 99s);
      REQUIRE(replay.has_value());
      REQUIRE_FALSE(replay.value());
    }
    CHECK(ledger->stats().full_refusals == 100'000);
    CHECK(ledger->stats().evictions == 0);

    // At t0 + 104 s the entries j0..j4 have expired: exactly five new ids fit.
    const auto t1 = t0 + 104s;
    for (int i = 0; i < 5; ++i) {
      CHECK(ledger->first_use(issuer, "late" + std::to_string(i), t1 + 300s, t1).value());
    }
    CHECK_FALSE(ledger->first_use(issuer, "late5", t1 + 300s, t1).has_value());
    CHECK_FALSE(ledger->first_use(issuer, "j5", t1 + 300s, t1).value());  // still live
    CHECK(ledger->first_use(issuer, "j0", t1 + 300s, t1).error().field == "replay_cache_full");
    const auto stats = ledger->stats();
    CHECK(stats.entries == 1000);
    CHECK(stats.capacity == 1000);
    CHECK(stats.evictions == 5);
    CHECK(stats.full_refusals == 100'002);
    CHECK(stats.errors == 0);
  }

  TEST_CASE("verifier: ledger unavailable -> 503 (unavailable), never an unchecked token") {
    // A ledger that cannot answer, like a PostgreSQL ledger whose server is down.
    class DownLedger final : public vcf_cds::auth::JtiLedger {
     public:
      Result<bool> first_use(std::string_view, std::string_view, time_point, time_point) override {
        ++calls;
        return make_error(ErrorCode::unavailable, "replay_ledger", "jti ledger: connect refused");
      }
      vcf_cds::auth::JtiLedgerStats stats() const override { return {0, 0, 0, 0, calls}; }
      std::uint64_t calls = 0;
    };
    auto ledger = std::make_shared<DownLedger>();
    const vcf_cds::auth::Verifier verifier(trusted_config(), FakeClock().fn(), {}, ledger);
    const auto result = verifier.verify(bearer(mint(header("ES384", "ec384"), claims())), audience);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == ErrorCode::unavailable);
    CHECK(result.error().field == "replay_ledger");
    CHECK(verifier.stats().replay.errors == 1);
    // An invalid token is refused (401) before the ledger is asked.
    const auto bad =
        verifier.verify(bearer(mint(header("ES384", "ec384"), claims().str("aud", "x"))), audience);
    CHECK(outcome(bad) == "bad_aud");
    CHECK(ledger->calls == 1);
  }
}

}  // namespace
}  // namespace vcf_cds::testing::auth

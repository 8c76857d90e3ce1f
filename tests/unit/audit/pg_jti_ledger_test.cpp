// The jti replay ledger shared through PostgreSQL: first use, replay, expiry and purge; two
// ledgers on one database (two service instances) racing on the same ids; the server down.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "unit/audit/pg_server.hpp"
#include "unit/auth/token_factory.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"

namespace {

using namespace std::chrono_literals;
using vcf_cds::ErrorCode;
using vcf_cds::audit::open_pg_jti_ledger;
using vcf_cds::audit::PgJtiLedgerOptions;
using vcf_cds::testing::pg_sql;
using vcf_cds::testing::auth::at;
using vcf_cds::testing::auth::now_s;

constexpr std::string_view iss = "https://ehr.example.org";

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("pg jti ledger: first use, replay, expiry -> accepted, refused, accepted again") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    const auto ledger = open_pg_jti_ledger(db->url());
    const auto t0 = at(now_s);
    CHECK(ledger->first_use(iss, "a", t0 + 360s, t0).value());
    CHECK_FALSE(ledger->first_use(iss, "a", t0 + 360s, t0 + 359s).value());
    CHECK(ledger->first_use("https://other.example.org", "a", t0 + 360s, t0).value());
    // At forget_after the old row no longer counts; the id is taken again, for its new token.
    CHECK(ledger->first_use(iss, "a", t0 + 720s, t0 + 360s).value());
    CHECK_FALSE(ledger->first_use(iss, "a", t0 + 720s, t0 + 700s).value());
    // The call at t0 + 360 s also purged (the interval had passed): the other issuer's row,
    // expired at that moment, is gone; "a" holds its new forget_after.
    CHECK(pg_sql(db->url(), "SELECT COUNT(*) FROM auth_jti") == "1");
    CHECK(ledger->stats().evictions == 1);
    // A jti of 2 KB from an issuer of 2 KB: the key is a digest, so it fits the index.
    const std::string long_jti(2048, 'j');
    const std::string long_iss(2048, 'i');
    CHECK(ledger->first_use(long_iss, long_jti, t0 + 360s, t0).value());
    CHECK_FALSE(ledger->first_use(long_iss, long_jti, t0 + 360s, t0).value());
    CHECK(ledger->stats().errors == 0);
  }

  TEST_CASE("pg jti ledger: two instances racing on the same jti -> exactly one accepts each") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    // Two ledgers, as two service instances open them, each with its own connections.
    const auto a = open_pg_jti_ledger(db->url());
    const auto b = open_pg_jti_ledger(db->url());
    const auto t0 = at(now_s);
    constexpr int ids = 200;
    constexpr int threads_per_instance = 2;
    std::vector<std::atomic<int>> accepted(ids);
    std::atomic<int> errors{0};
    std::latch go(2 * threads_per_instance);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2 * threads_per_instance; ++t) {
      threads.emplace_back([&, t] {
        const auto& ledger = t % 2 == 0 ? a : b;
        go.arrive_and_wait();  // all start together, so uses of one id overlap
        for (int i = 0; i < ids; ++i) {
          auto first = ledger->first_use(iss, "race-" + std::to_string(i), t0 + 360s, t0);
          if (!first) {
            ++errors;
          } else if (first.value()) {
            ++accepted[static_cast<std::size_t>(i)];
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(errors == 0);
    int exactly_once = 0;
    for (const auto& count : accepted) exactly_once += count == 1 ? 1 : 0;
    CHECK(exactly_once == ids);
    CHECK(pg_sql(db->url(), "SELECT COUNT(*) FROM auth_jti") == std::to_string(ids));
  }

  TEST_CASE("pg jti ledger: purge interval passed -> expired rows deleted and counted") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    PgJtiLedgerOptions options;
    options.purge_interval = 60s;
    const auto ledger = open_pg_jti_ledger(db->url(), options);
    const auto t0 = at(now_s);
    // The first call purges (nothing yet) and sets the next purge at t0 + 60 s.
    for (int i = 0; i < 10; ++i) {
      REQUIRE(ledger->first_use(iss, "short-" + std::to_string(i), t0 + 30s, t0).value());
    }
    REQUIRE(ledger->first_use(iss, "long", t0 + 600s, t0).value());
    REQUIRE(ledger->first_use(iss, "before", t0 + 600s, t0 + 59s).value());
    CHECK(pg_sql(db->url(), "SELECT COUNT(*) FROM auth_jti") == "12");
    CHECK(ledger->stats().evictions == 0);
    REQUIRE(ledger->first_use(iss, "after", t0 + 600s, t0 + 60s).value());
    CHECK(pg_sql(db->url(), "SELECT COUNT(*) FROM auth_jti") == "3");
    CHECK(ledger->stats().evictions == 10);
    CHECK_FALSE(ledger->first_use(iss, "long", t0 + 600s, t0 + 61s).value());
  }

  TEST_CASE("pg jti ledger: nothing listening -> unavailable (503), counted, never accepted") {
    PgJtiLedgerOptions options;
    options.connect_now = false;
    // Port 1 on the loopback: refused at once, no server there in a test environment.
    const auto ledger =
        open_pg_jti_ledger("postgresql://vcf_cds@127.0.0.1:1/none?connect_timeout=2", options);
    const auto t0 = at(now_s);
    for (int i = 0; i < 3; ++i) {
      const auto answer = ledger->first_use(iss, "j", t0 + 360s, t0);
      REQUIRE_FALSE(answer.has_value());
      CHECK(answer.error().code == ErrorCode::unavailable);
      CHECK(answer.error().field == "replay_ledger");
    }
    CHECK(ledger->stats().errors == 3);
    CHECK_THROWS_AS(open_pg_jti_ledger("postgresql://vcf_cds@127.0.0.1:1/none?connect_timeout=2"),
                    std::runtime_error);
    CHECK_THROWS_AS(open_pg_jti_ledger("/var/lib/vcf-cds"), std::runtime_error);
  }

  TEST_CASE("pg jti ledger: server stopped then restarted -> 503 while down, then checks resume") {
    vcf_cds::testing::PgServerProcess own;  // a server of its own to stop, never the shared one
    if (!vcf_cds::testing::start_own_server(own)) return;
    // The stop is immediate (a crash): only a durable commit is sure to survive it.
    PgJtiLedgerOptions durable;
    durable.synchronous_commit = true;
    const auto ledger = open_pg_jti_ledger(own.url, durable);
    const auto t0 = at(now_s);
    REQUIRE(ledger->first_use(iss, "before", t0 + 360s, t0).value());

    own.stop();
    const auto down = ledger->first_use(iss, "during", t0 + 360s, t0);
    REQUIRE_FALSE(down.has_value());
    CHECK(down.error().code == ErrorCode::unavailable);
    const auto replay_while_down = ledger->first_use(iss, "before", t0 + 360s, t0);
    REQUIRE_FALSE(replay_while_down.has_value());  // refused, not let in unchecked

    own.restart();
    REQUIRE_MESSAGE(own.started, own.why_not);
    CHECK_FALSE(ledger->first_use(iss, "before", t0 + 360s, t0).value());  // remembered
    CHECK(ledger->first_use(iss, "during", t0 + 360s, t0).value());  // never recorded while down
    CHECK(ledger->stats().errors == 2);

    // A restart between two calls: the idle connections are dead, the next check reconnects.
    own.stop();
    own.restart();
    REQUIRE_MESSAGE(own.started, own.why_not);
    CHECK(ledger->first_use(iss, "after", t0 + 360s, t0).value());
    CHECK_FALSE(ledger->first_use(iss, "during", t0 + 360s, t0).value());
    CHECK(ledger->stats().errors == 2);
  }

  TEST_CASE("pg jti ledger: verifier on a shared ledger -> replay to the other instance is 401") {
    namespace tok = vcf_cds::testing::auth;
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    const tok::FakeClock clock;
    const vcf_cds::auth::Verifier first(tok::trusted_config(), clock.fn(), {},
                                        open_pg_jti_ledger(db->url()));
    const vcf_cds::auth::Verifier second(tok::trusted_config(), clock.fn(), {},
                                         open_pg_jti_ledger(db->url()));
    const auto token = tok::bearer(tok::mint(tok::header("ES384", "ec384"), tok::claims()));
    CHECK(tok::outcome(first.verify(token, tok::audience)) == "accepted");
    CHECK(tok::outcome(second.verify(token, tok::audience)) == "replayed_jti");
    CHECK(tok::outcome(first.verify(token, tok::audience)) == "replayed_jti");
  }
}

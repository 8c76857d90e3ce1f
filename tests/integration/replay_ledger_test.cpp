// JWT replay protection over real sockets: a full in-memory jti ledger answers 503 and /metrics
// counts it; two service instances sharing a PostgreSQL ledger refuse a replay sent to the other.
#include <doctest/doctest.h>

#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/audit/pg_server.hpp"
#include "unit/auth/token_factory.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;
namespace tok = vcf_cds::testing::auth;

constexpr const char* kBase = "https://cds.example.org";
const std::string kPath = "/cds-services/vcf-imaging-select";

std::string auth_header() {
  return "Authorization: Bearer " +
         tok::mint(tok::header("ES384", "ec384"),
                   tok::claims().str("aud", std::string(kBase) + kPath)) +
         "\r\n";
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("replay: in-memory jti ledger full -> 503 OperationOutcome, counted in /metrics") {
    auto config = tok::trusted_config();
    config.replay_cache_capacity = 1;
    auto verifier = std::make_shared<vcf_cds::auth::Verifier>(config, tok::FakeClock().fn());
    ServiceUnderTest service(test_server_options(), std::chrono::milliseconds(300),
                             ServiceExtras{verifier, kBase});
    const std::string first = auth_header();
    auto accepted =
        exchange(service.port(), "POST", kPath, hooks_fixture("order-select-pama.json"), first);
    REQUIRE(accepted);
    CHECK(accepted->result_int() == 200);

    auto full = exchange(service.port(), "POST", kPath, hooks_fixture("order-select-pama.json"),
                         auth_header());
    REQUIRE(full);
    CHECK(full->result_int() == 503);
    CHECK(full->body().find("OperationOutcome") != std::string::npos);

    auto replay =
        exchange(service.port(), "POST", kPath, hooks_fixture("order-select-pama.json"), first);
    REQUIRE(replay);
    CHECK(replay->result_int() == 401);

    auto scrape = exchange(service.port(), "GET", "/metrics");
    REQUIRE(scrape);
    const std::string text = scrape->body();
    CHECK(has_line(text, "vcf_cds_jwt_replay_refusals_total{cause=\"full\"} 1"));
    CHECK(has_line(text, "vcf_cds_jwt_replay_refusals_total{cause=\"unavailable\"} 0"));
    CHECK(has_line(text, "vcf_cds_jwt_replay_evictions_total 0"));
    CHECK(has_line(text, "vcf_cds_jwt_replay_entries 1"));
    CHECK(has_line(text, "vcf_cds_jwt_replay_capacity 1"));
    CHECK(has_line(text, "vcf_cds_jwt_failures_total{reason=\"replay_cache_full\"} 1"));
    CHECK(has_line(text, "vcf_cds_jwt_failures_total{reason=\"replayed_jti\"} 1"));
    CHECK(service.consults().size() == 1);  // only the accepted call was audited
  }

  TEST_CASE("replay: two instances on one PostgreSQL ledger -> replay to the other is 401") {
    auto db = pg_test_database();
    if (!db) return;
    const tok::FakeClock clock;
    const auto make = [&] {
      return std::make_shared<vcf_cds::auth::Verifier>(
          tok::trusted_config(), clock.fn(), vcf_cds::auth::JwksFetcher{},
          vcf_cds::audit::open_pg_jti_ledger(db->url()));
    };
    ServiceUnderTest a(test_server_options(), std::chrono::milliseconds(300),
                       ServiceExtras{make(), kBase});
    ServiceUnderTest b(test_server_options(), std::chrono::milliseconds(300),
                       ServiceExtras{make(), kBase});
    const std::string token = auth_header();
    auto on_a = exchange(a.port(), "POST", kPath, hooks_fixture("order-select-pama.json"), token);
    REQUIRE(on_a);
    CHECK(on_a->result_int() == 200);
    auto on_b = exchange(b.port(), "POST", kPath, hooks_fixture("order-select-pama.json"), token);
    REQUIRE(on_b);
    CHECK(on_b->result_int() == 401);
    CHECK(on_b->body().empty());
    auto scrape = exchange(b.port(), "GET", "/metrics");
    REQUIRE(scrape);
    CHECK(has_line(scrape->body(), "vcf_cds_jwt_failures_total{reason=\"replayed_jti\"} 1"));
    CHECK(scrape->body().find("vcf_cds_jwt_replay_entries") == std::string::npos);  // in PG
  }
}

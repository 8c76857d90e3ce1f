#include "vcf_cds/audit.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "unit/audit/audit_samples.hpp"
#include "unit/audit/pg_server.hpp"

namespace {

using namespace vcf_cds::audit;
using vcf_cds::ErrorCode;
using vcf_cds::testing::patient;
using vcf_cds::testing::pg_sql;
using vcf_cds::testing::sample_consult;
using vcf_cds::testing::sample_feedback;

StoreConfig pg_config(const std::string& url) {
  StoreConfig config;
  config.database_url = url;
  return config;
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("pg store: records written -> read back field by field, chain verifies") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto store = open_store(pg_config(db->url()));
    vcf_cds::testing::check_round_trip(*store);
    CHECK(store->health().backend == "postgresql");
    CHECK(pg_sql(db->url(), "SELECT MAX(version) FROM audit_schema_version") == "4");
  }

  TEST_CASE("pg store: 8 threads x 50 consults -> all committed in fewer transactions") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto store = open_store(pg_config(db->url()));
    vcf_cds::testing::check_group_commit(*store);
  }

  TEST_CASE("pg store: long cards and facts -> stored once per content, read back exactly") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto store = open_store(pg_config(db->url()));
    vcf_cds::testing::check_blob_texts(
        *store, [&] { return std::stoi(pg_sql(db->url(), "SELECT COUNT(*) FROM audit_blobs")); });
    const std::string recipe =
        pg_sql(db->url(), "SELECT SUBSTR(card, 2) FROM audit_consults WHERE seq = 2");
    pg_sql(db->url(), "UPDATE audit_blobs SET body = body || ' ' WHERE hash = '" + recipe + "'");
    auto result = store->verify_chain();
    REQUIRE(result);
    CHECK(result->broken_seq == 2);
    CHECK(result->reason == "blob: card recipe " + recipe + " does not match its hash");
  }

  TEST_CASE("pg store: a retried hook call -> joins the first record, others recorded") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto store = open_store(pg_config(db->url()));
    vcf_cds::testing::check_retry_joins(*store);
  }

  TEST_CASE("pg store: a retry on two instances racing the first attempt -> one record") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto a = open_store(pg_config(db->url()));
    auto b = open_store(pg_config(db->url()));
    vcf_cds::testing::check_retry_race(*a, *b);
  }

  TEST_CASE("pg store: feedback for an unknown card -> kept and flagged") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto store = open_store(pg_config(db->url()));
    vcf_cds::testing::check_unknown_card(*store);
  }

  TEST_CASE("pg store: filters -> time, patient, user, consult id, variant and outcome") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto store = open_store(pg_config(db->url()));
    vcf_cds::testing::check_filters(*store);
  }

  TEST_CASE("pg store: two instances on one database -> one chain, nothing lost") {
    // Two stores (two service instances) append at the same time: each one's writer takes the
    // chain-head row lock per batch, so their batches alternate on one chain. Every thread starts
    // at the latch, so both writers have records queued together; no timing is assumed.
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto a = open_store(pg_config(db->url()));
    auto b = open_store(pg_config(db->url()));  // migration already applied: no-op
    constexpr int threads_per_store = 4;
    constexpr int per_thread = 30;
    constexpr int total = 2 * threads_per_store * per_thread;
    std::latch start(2 * threads_per_store);
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 2 * threads_per_store; ++t) {
      Store& store = t % 2 == 0 ? *a : *b;
      writers.emplace_back([&store, &start, &failures, t] {
        start.arrive_and_wait();
        for (int i = 0; i < per_thread; ++i) {
          if (!store.record_consults({sample_consult(t * per_thread + i + 1)})) ++failures;
        }
      });
    }
    for (auto& w : writers) w.join();
    CHECK(failures == 0);
    // Each store committed its own half, and together they hold every record once.
    CHECK(a->health().records == total / 2);
    CHECK(b->health().records == total / 2);
    for (Store* store : {a.get(), b.get()}) {
      auto verified = store->verify_chain();
      REQUIRE(verified);
      CHECK(verified->ok);
      CHECK(verified->records == total);
    }
    auto found = a->find_consults({});
    REQUIRE(found);
    std::set<std::string> ids;
    for (const auto& r : *found) ids.insert(r.consult_id);
    CHECK(found->size() == total);
    CHECK(ids.size() == total);
    for (int n = 1; n <= total; ++n) CHECK(ids.count(sample_consult(n).consult_id) == 1);
    // seq 1..N with no gap or repeat (verify_chain checks the same through the hash links).
    CHECK(pg_sql(db->url(), "SELECT COUNT(DISTINCT seq) = " + std::to_string(total) +
                                " AND MIN(seq) = 1 AND MAX(seq) = " + std::to_string(total) +
                                " FROM audit_consults") == "t");
    CHECK(pg_sql(db->url(), "SELECT seq FROM audit_chain_head") == std::to_string(total));
  }

  TEST_CASE("pg store: a column edited behind the store's back -> verify names the record") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto store = open_store(pg_config(db->url()));
    REQUIRE(store->record_consults({sample_consult(1), sample_consult(2)}));
    REQUIRE(store->record_feedback({sample_feedback("card-1", "accepted")}));
    REQUIRE(store->verify_chain()->ok);
    pg_sql(db->url(),
           "UPDATE audit_consults SET patient_id = 'Patient/someone-else' WHERE seq = 2");
    auto result = store->verify_chain();
    REQUIRE(result);
    CHECK_FALSE(result->ok);
    CHECK(result->broken_seq == 2);
    CHECK(result->broken_id == sample_consult(2).consult_id);
    CHECK(result->reason.find("hash mismatch") != std::string::npos);
  }

  TEST_CASE("pg store: hash_identifiers -> HMAC stored, plain id still finds the record") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    auto config = pg_config(db->url());
    config.hash_identifiers = true;
    config.identifier_secret = "site-secret";
    auto store = open_store(config);
    REQUIRE(store->record_consults({sample_consult(1)}));
    CHECK(pg_sql(db->url(), "SELECT patient_id FROM audit_consults").starts_with("hmac-sha256:"));
    CHECK(pg_sql(db->url(), "SELECT identifier_mode FROM audit_consults") == "hmac-sha256");
    CHECK(store->find_consults(patient(sample_consult(1).patient_id))->size() == 1);
  }

  TEST_CASE("pg store: same records as SQLite -> byte-identical chain hashes") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    vcf_cds::testing::TempDir dir;
    StoreConfig lite;
    lite.data_dir = dir.path();
    auto sqlite = open_store(lite);
    auto pg = open_store(pg_config(db->url()));
    auto odd = sample_consult(7);
    odd.latency_ms = 0.1 + 0.2;  // no short decimal form: both must keep every bit
    odd.facts = "Kümmell \"cleft\" \\ ☢";
    for (Store* store : {sqlite.get(), pg.get()}) {
      REQUIRE(store->record_consults({sample_consult(1), odd}));
      REQUIRE(store->record_feedback({sample_feedback("card-1", "overridden")}));
      REQUIRE(store->verify_chain()->ok);
    }
    CHECK(pg->find_consults({})->at(1).latency_ms == odd.latency_ms);
    // The head hash covers every record: equal heads mean equal chains.
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open((dir.path() / "audit.sqlite3").c_str(), &raw) == SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> lite_db(raw, sqlite3_close);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, "SELECT hash FROM audit_chain_head", -1, &stmt, nullptr) ==
            SQLITE_OK);
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> finalizer(stmt, sqlite3_finalize);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const std::string lite_head = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    CHECK(lite_head.size() == 64);
    CHECK(lite_head == pg_sql(db->url(), "SELECT hash FROM audit_chain_head"));
  }

  TEST_CASE("pg store: server stopped then restarted -> unavailable fast, then writes resume") {
    vcf_cds::testing::PgServerProcess own;  // a server of its own to stop, never the shared one
    if (!vcf_cds::testing::start_own_server(own)) return;
    auto config = pg_config(own.url);
    config.commit_timeout = std::chrono::milliseconds(2000);
    auto store = open_store(config);
    REQUIRE(store->record_consults({sample_consult(1)}));

    own.stop();
    const auto started = std::chrono::steady_clock::now();
    auto status = store->record_consults({sample_consult(2)});
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::unavailable);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
    CHECK_FALSE(store->health().writable);

    // Same data dir, same port: the store reconnects on its next batch.
    own.restart();
    REQUIRE_MESSAGE(own.started, own.why_not);
    CHECK(store->record_consults({sample_consult(3)}));
    CHECK(store->health().writable);
    auto verified = store->verify_chain();
    REQUIRE(verified);
    CHECK(verified->ok);
    CHECK(verified->records == 2);
  }
}

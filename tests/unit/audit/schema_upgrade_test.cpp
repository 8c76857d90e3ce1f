// A trail written by an earlier release opens, upgrades, verifies and exports with this one.
// tests/fixtures/audit/trail-schema-v1.sqlite3 was written by the release before schema 2 (one
// order-select consult and its feedback); it is copied, never opened in place.
#include <doctest/doctest.h>

#include <filesystem>

#include "support/temp_dir.hpp"
#include "unit/audit/audit_samples.hpp"
#include "unit/audit/pg_server.hpp"
#include "vcf_cds/audit.hpp"

namespace {

using namespace vcf_cds::audit;
using vcf_cds::testing::sample_consult;
using vcf_cds::testing::source_path;
using vcf_cds::testing::TempDir;

StoreConfig copy_of_v1_trail(const TempDir& dir) {
  std::filesystem::create_directories(dir.path() / "data");
  std::filesystem::copy_file(source_path("tests/fixtures/audit/trail-schema-v1.sqlite3"),
                             dir.path() / "data" / "audit.sqlite3");
  StoreConfig config;
  config.data_dir = dir.path() / "data";
  return config;
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("upgrade: a schema-1 SQLite trail opens read-only and verifies before any migration") {
    TempDir dir;
    StoreConfig config = copy_of_v1_trail(dir);
    config.read_only = true;  // what `audit verify` does: no migration
    auto store = open_store(config);
    auto verified = store->verify_chain();
    REQUIRE(verified);
    CHECK(verified->ok);
    CHECK(verified->records == 2);
  }

  TEST_CASE("upgrade: a schema-1 SQLite trail migrates, keeps verifying and takes repeats") {
    TempDir dir;
    auto store = open_store(copy_of_v1_trail(dir));
    auto before = store->find_consults({});
    REQUIRE(before);
    REQUIRE(before->size() == 1);
    const ConsultRecord& first = before->front();
    CHECK(first.hook == "order-select");
    CHECK(first.repeat_of.empty());
    CHECK_FALSE(first.card.empty());

    auto repeat = sample_consult(7);
    repeat.hook = "order-sign";
    repeat.repeat_of = first.consult_id;
    repeat.card_uuid.clear();
    repeat.card.clear();
    REQUIRE(store->record_consults({repeat}));

    auto verified = store->verify_chain();
    REQUIRE(verified);
    CHECK(verified->ok);
    CHECK(verified->records == 3);
    auto after = store->find_consults({});
    REQUIRE(after);
    REQUIRE(after->size() == 2);
    CHECK(after->back().repeat_of == first.consult_id);
    CHECK(after->front().card == first.card);  // the old record byte for byte
  }

  TEST_CASE("upgrade: a schema-1 SQLite trail -> a retry of its consult joins the old record") {
    TempDir dir;
    auto store = open_store(copy_of_v1_trail(dir));
    auto before = store->find_consults({});
    REQUIRE(before);
    REQUIRE(before->size() == 1);
    const ConsultRecord& first = before->front();
    REQUIRE_FALSE(first.hook_instance.empty());

    auto joined = vcf_cds::testing::record_call(*store, {vcf_cds::testing::retried(first, "-r")});
    REQUIRE(joined);
    REQUIRE(joined->size() == 1);
    CHECK(joined->front().recorded_consult_id == first.consult_id);
    CHECK(store->find_consults({})->size() == 1);
    vcf_cds::testing::check_verified(*store, 2);  // the consult and its feedback
  }

  TEST_CASE("upgrade: a schema-1 PostgreSQL trail (no repeat_of column) migrates and verifies") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    StoreConfig config;
    config.database_url = db->url();
    {
      auto store = open_store(config);
      REQUIRE(store->record_consults({sample_consult(1), sample_consult(2)}));
    }
    // Back to the layout schema 1 created: what a trail written by the earlier release holds.
    using vcf_cds::testing::pg_sql;
    pg_sql(db->url(), "ALTER TABLE audit_consults DROP COLUMN repeat_of");
    pg_sql(db->url(), "DROP INDEX audit_consults_hook_instance");
    pg_sql(db->url(), "DELETE FROM audit_schema_version WHERE version >= 2");

    auto store = open_store(config);
    CHECK(pg_sql(db->url(), "SELECT MAX(version) FROM audit_schema_version") == "3");
    auto repeat = sample_consult(3);
    repeat.repeat_of = sample_consult(1).consult_id;
    REQUIRE(store->record_consults({repeat}));
    auto verified = store->verify_chain();
    REQUIRE(verified);
    CHECK(verified->ok);
    CHECK(verified->records == 3);
  }
}

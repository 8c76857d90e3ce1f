// A trail written by an earlier release opens, upgrades, verifies and exports with this one.
// tests/fixtures/audit/trail-schema-v1.sqlite3 was written by the release before schema 2 (one
// order-select consult and its feedback). trail-schema-v3.sqlite3 was written through the real
// server by the last release of chain format 1 (two order-select consults with cards, an
// order-sign repeat, accepted and overridden feedback), and trail-schema-v3.export.ndjson is
// that release's `audit export` of it. Fixtures are copied, never opened in place.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "vcf_cds/audit_review.hpp"

#include "audit/pg_db.hpp"
#include "audit/record.hpp"
#include "audit/schema.hpp"
#include "support/temp_dir.hpp"
#include "unit/audit/audit_samples.hpp"
#include "unit/audit/pg_server.hpp"
#include "vcf_cds/audit.hpp"

namespace {

using namespace vcf_cds::audit;
using namespace vcf_cds::audit::detail;
using vcf_cds::testing::sample_consult;
using vcf_cds::testing::source_path;
using vcf_cds::testing::TempDir;

StoreConfig copy_of_trail(const TempDir& dir, const std::string& fixture) {
  std::filesystem::create_directories(dir.path() / "data");
  std::filesystem::copy_file(source_path("tests/fixtures/audit/" + fixture),
                             dir.path() / "data" / "audit.sqlite3");
  StoreConfig config;
  config.data_dir = dir.path() / "data";
  return config;
}

StoreConfig copy_of_v1_trail(const TempDir& dir) {
  return copy_of_trail(dir, "trail-schema-v1.sqlite3");
}

std::string file_text(const std::string& path) {
  std::ifstream in(source_path(path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ndjson_export(Store& store) {
  auto extract = vcf_cds::audit_review::load_extract(store, {});
  REQUIRE(extract);
  std::ostringstream out;
  vcf_cds::audit_review::write_ndjson(*extract, out);
  return out.str();
}

// A retry of the trail's first consult joins it: the trail keeps `consults` consults and
// verifies with `records` records.
void check_first_consult_retry_joins(Store& store, std::size_t consults, std::int64_t records) {
  auto before = store.find_consults({});
  REQUIRE(before);
  REQUIRE(before->size() == consults);
  const ConsultRecord first = before->front();
  REQUIRE_FALSE(first.hook_instance.empty());
  auto joined = vcf_cds::testing::record_call(store, {vcf_cds::testing::retried(first, "-r")});
  REQUIRE(joined);
  REQUIRE(joined->size() == 1);
  CHECK(joined->front().recorded_consult_id == first.consult_id);
  CHECK(store.find_consults({})->size() == consults);
  vcf_cds::testing::check_verified(store, records);
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
    check_first_consult_retry_joins(*store, 1, 2);  // the consult and its feedback
  }

  TEST_CASE("upgrade: a schema-1 PostgreSQL trail (no repeat_of column) migrates and verifies") {
    auto db = vcf_cds::testing::pg_test_database();
    if (!db) return;
    StoreConfig config;
    config.database_url = db->url();
    {
      // Two records chained as the earlier release chained them (format 1: with their texts).
      (void)open_store(config);
      auto conn = pg_connect(db->url(), "schema-upgrade-test");
      REQUIRE(conn);
      std::string prev(genesis_hash);
      for (int n = 1; n <= 2; ++n) {
        ConsultRecord r = sample_consult(n);
        r.seq = n;
        r.identifier_mode = identifier_mode_plain;
        ChainLink link{prev, chain_hash(prev, canonical_json(r))};
        PgBinder bind;
        bind_row(r, link, bind);
        REQUIRE(pg_exec(conn->get(), consult_insert_sql(Dialect::postgresql), bind.values()));
        prev = link.hash;
      }
      REQUIRE(pg_exec(conn->get(), "UPDATE audit_chain_head SET seq = 2, hash = $1", {prev}));
    }
    // Back to the layout schema 1 created: what a trail written by the earlier release holds.
    using vcf_cds::testing::pg_sql;
    pg_sql(db->url(), "ALTER TABLE audit_consults DROP COLUMN repeat_of");
    pg_sql(db->url(), "DROP INDEX audit_consults_hook_instance");
    pg_sql(db->url(), "ALTER TABLE audit_consults DROP COLUMN chain_format");
    pg_sql(db->url(), "DROP TABLE audit_blobs");
    pg_sql(db->url(), "DELETE FROM audit_schema_version WHERE version >= 2");

    auto store = open_store(config);
    CHECK(pg_sql(db->url(), "SELECT MAX(version) FROM audit_schema_version") == "4");
    auto repeat = sample_consult(3);
    repeat.repeat_of = sample_consult(1).consult_id;
    REQUIRE(store->record_consults({repeat}));
    auto verified = store->verify_chain();
    REQUIRE(verified);
    CHECK(verified->ok);
    CHECK(verified->records == 3);
  }

  TEST_CASE("upgrade: a schema-3 trail (chain format 1) verifies and exports the same after") {
    const std::string exported = file_text("tests/fixtures/audit/trail-schema-v3.export.ndjson");
    REQUIRE(exported.size() > 10000);
    TempDir dir;
    StoreConfig config = copy_of_trail(dir, "trail-schema-v3.sqlite3");
    {
      StoreConfig read_only = config;
      read_only.read_only = true;
      auto store = open_store(read_only);
      vcf_cds::testing::check_verified(*store, 5);
      CHECK(ndjson_export(*store) == exported);
    }
    auto store = open_store(config);  // migrates 3 -> 4
    vcf_cds::testing::check_verified(*store, 5);
    CHECK(ndjson_export(*store) == exported);

    // New records are chained in format 2 behind the old ones; the old ones read as before.
    auto before = store->find_consults({});
    REQUIRE(before);
    REQUIRE(before->size() == 3);
    ConsultRecord next = before->front();
    next.consult_id = "urn:uuid:00000000-0000-4000-8000-0000000000aa";
    next.hook_instance = "another-call";
    next.card_uuid = "00000000-0000-4000-8000-0000000000ab";
    REQUIRE(store->record_consults({next}));
    vcf_cds::testing::check_verified(*store, 6);
    auto after = store->find_consults({});
    REQUIRE(after);
    REQUIRE(after->size() == 4);
    CHECK(after->back().chain_format == 2);
    CHECK(after->front().chain_format == 1);
    CHECK(after->back().card == next.card);  // byte for byte through its blobs
    CHECK(after->back().facts == next.facts);
    std::string old_part = ndjson_export(*store);
    CHECK(old_part.find(exported.substr(0, exported.find('\n'))) == 0);
  }

  TEST_CASE("upgrade: a retry of a consult chained in format 1 joins it after the upgrade") {
    TempDir dir;
    auto store = open_store(copy_of_trail(dir, "trail-schema-v3.sqlite3"));
    // Its first consult has a rendered card, stored through blobs when the retry is compared.
    REQUIRE(store->find_consults({})->front().card.size() > 1000);
    check_first_consult_retry_joins(*store, 3, 5);
  }
}

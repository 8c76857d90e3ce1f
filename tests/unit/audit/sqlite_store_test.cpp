#include "vcf_cds/audit.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "audit/stores.hpp"
#include "support/temp_dir.hpp"
#include "unit/audit/audit_samples.hpp"

namespace {

using namespace vcf_cds::audit;
using vcf_cds::ErrorCode;
using vcf_cds::testing::patient;
using vcf_cds::testing::sample_consult;
using vcf_cds::testing::sample_feedback;
using vcf_cds::testing::TempDir;
using vcf_cds::testing::user;

StoreConfig config_for(const TempDir& dir) {
  StoreConfig config;
  config.data_dir = dir.path() / "data";
  return config;
}

// Runs SQL on the audit file behind the store's back, as a tamperer (or an auditor) would.
std::string raw_sql(const TempDir& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "data" / "audit.sqlite3").c_str(), &db) == SQLITE_OK);
  std::string out;
  char* error = nullptr;
  const int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* text, int n, char** values, char**) {
        auto& o = *static_cast<std::string*>(text);
        for (int i = 0; i < n; ++i) o += std::string(values[i] ? values[i] : "") + "|";
        return 0;
      },
      &out, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, message);
  return out;
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("sqlite store: records written -> read back field by field, chain verifies") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    vcf_cds::testing::check_round_trip(*store);
    CHECK(store->health().backend == "sqlite");
    CHECK(store->health().writable);
  }

  TEST_CASE("sqlite store: 8 threads x 50 consults -> all committed in fewer transactions") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    vcf_cds::testing::check_group_commit(*store);
  }

  TEST_CASE("sqlite store: a retried hook call -> joins the first record, others recorded") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    vcf_cds::testing::check_retry_joins(*store);
  }

  TEST_CASE("sqlite store: a retry racing the first attempt -> one record") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    vcf_cds::testing::check_retry_race(*store, *store);
  }

  TEST_CASE("sqlite store: feedback for an unknown card -> kept and flagged") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    vcf_cds::testing::check_unknown_card(*store);
  }

  TEST_CASE("sqlite store: new file -> WAL mode, owner-only, schema versions 1 to 4 recorded") {
    TempDir dir;
    { auto store = open_store(config_for(dir)); }
    CHECK(raw_sql(dir, "PRAGMA journal_mode") == "wal|");
    // Patient data: owner-only, and the WAL inherits the mode.
    using std::filesystem::perms;
    const auto mode = [&](const char* name) {
      return std::filesystem::status(dir.path() / "data" / name).permissions() & perms::all;
    };
    CHECK(mode("audit.sqlite3") == (perms::owner_read | perms::owner_write));
    CHECK(raw_sql(dir, "SELECT version, description FROM audit_schema_version ORDER BY version") ==
          "1|consults, feedback and the chain head|"
          "2|consults: repeat_of, the earlier consult an order-sign repeat joins|"
          "3|consults: index on hook_instance, where a retried call finds its record|"
          "4|blobs: texts stored once per content; consults: chain_format (2 for new records)|");
    // Reopening applies nothing twice and keeps the records.
    {
      auto store = open_store(config_for(dir));
      REQUIRE(store->record_consults({sample_consult(1)}));
      CHECK(mode("audit.sqlite3-wal") == (perms::owner_read | perms::owner_write));
    }
    auto store = open_store(config_for(dir));
    CHECK(store->find_consults({})->size() == 1);
    CHECK(raw_sql(dir, "SELECT COUNT(*) FROM audit_schema_version") == "4|");
  }

  TEST_CASE("sqlite store: WAL past the checkpoint size -> copied by the thread, WAL bounded") {
    TempDir dir;
    auto config = config_for(dir);
    config.wal_checkpoint_pages = 8;  // a consult is a few pages: a checkpoint every few commits
    const auto wal = dir.path() / "data" / "audit.sqlite3-wal";
    {
      auto store = open_store(config);
      const auto database = dir.path() / "data" / "audit.sqlite3";
      const auto empty_database = std::filesystem::file_size(database);
      std::uintmax_t largest_wal = 0;
      for (int i = 1; i <= 300; ++i) {
        REQUIRE(store->record_consults({sample_consult(i)}));
        largest_wal = std::max(largest_wal, std::filesystem::file_size(wal));
      }
      const Health health = store->health();
      CHECK(health.wal_checkpoints > 0);
      CHECK(health.records == 300);
      // Without checkpoints 300 commits leave ~2,300 frames (9.4 MB, measured). The commit itself
      // checkpoints at 16 x 8 pages (~0.5 MB), unless the thread is mid-checkpoint: then the
      // commit's PASSIVE checkpoint is busy and the WAL grows by what commits append until the
      // thread's fsync returns. ~0.6 MB on a quiet disk; up to 1.7 MB (406 frames) measured in
      // 50 runs with another process writing and syncing 300 MB files alongside. 1,000 frames:
      // room for a slow disk, and still well under the WAL without checkpoints.
      MESSAGE("largest WAL ", largest_wal, " bytes; checkpoints ", health.wal_checkpoints,
              " by the thread, ", health.wal_checkpoints_in_commit, " in a commit");
      CHECK(largest_wal < 1000 * (4096 + 24));  // a WAL frame: 24-byte header + page
      // The copies reached the database file while the store is open.
      MESSAGE("database file ", empty_database, " -> ", std::filesystem::file_size(database));
      CHECK(std::filesystem::file_size(database) > empty_database + 50 * 4096);
    }
    // Closing the last connection copies the rest and removes the WAL.
    CHECK_FALSE(std::filesystem::exists(wal));
    auto reopened = open_store(config_for(dir));
    const auto verdict = reopened->verify_chain();
    REQUIRE(verdict);
    CHECK(verdict->ok);
    CHECK(verdict->records == 300);
  }

  TEST_CASE("sqlite store: schema newer than the build -> open throws") {
    TempDir dir;
    { auto store = open_store(config_for(dir)); }
    raw_sql(dir, "INSERT INTO audit_schema_version VALUES (99, 'future', '2030-01-01T00:00:00Z')");
    CHECK_THROWS_WITH_AS(open_store(config_for(dir)), doctest::Contains("newer than this build"),
                         std::runtime_error);
  }

  TEST_CASE("sqlite store: a column edited with the sqlite3 API -> verify names the record") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    REQUIRE(store->record_consults({sample_consult(1), sample_consult(2), sample_consult(3)}));
    REQUIRE(store->record_feedback({sample_feedback("card-2", "overridden")}));
    REQUIRE(store->verify_chain()->ok);

    SUBCASE("consult rating changed") {
      raw_sql(dir, "UPDATE audit_consults SET rating = 1 WHERE seq = 2");
      auto result = store->verify_chain();
      REQUIRE(result);
      CHECK_FALSE(result->ok);
      CHECK(result->broken_seq == 2);
      CHECK(result->broken_kind == "consult");
      CHECK(result->broken_id == sample_consult(2).consult_id);
      CHECK(result->reason.find("hash mismatch") != std::string::npos);
      CHECK(result->records == 1);
    }
    SUBCASE("row re-hashed after the edit -> the next record no longer links") {
      raw_sql(dir, "UPDATE audit_consults SET rating = 1, hash = 'x' WHERE seq = 2");
      auto result = store->verify_chain();
      CHECK(result->broken_seq == 2);
      raw_sql(dir, "UPDATE audit_consults SET prev_hash = 'x' WHERE seq = 3");
      // seq 2 still fails first: its hash is not what its content gives.
      CHECK(store->verify_chain()->broken_seq == 2);
    }
    SUBCASE("feedback outcome changed") {
      raw_sql(dir, "UPDATE audit_feedback SET outcome = 'accepted' WHERE seq = 4");
      auto result = store->verify_chain();
      CHECK(result->broken_seq == 4);
      CHECK(result->broken_kind == "feedback");
      CHECK(result->broken_id == "card-2");
    }
    SUBCASE("known_card flag flipped") {
      raw_sql(dir, "UPDATE audit_feedback SET known_card = 0");
      CHECK(store->verify_chain()->broken_seq == 4);
    }
    SUBCASE("a record deleted -> sequence gap at the next one") {
      raw_sql(dir, "DELETE FROM audit_consults WHERE seq = 2");
      auto result = store->verify_chain();
      CHECK(result->broken_seq == 3);
      CHECK(result->reason.find("sequence gap") != std::string::npos);
    }
    SUBCASE("the last record deleted -> head does not match") {
      raw_sql(dir, "DELETE FROM audit_feedback WHERE seq = 4");
      auto result = store->verify_chain();
      CHECK_FALSE(result->ok);
      CHECK(result->broken_kind == "head");
      CHECK(result->records == 3);
    }
  }

  TEST_CASE("sqlite store: long cards and facts -> stored once per content, read back exactly") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    vcf_cds::testing::check_blob_texts(
        *store, [&] { return std::stoi(raw_sql(dir, "SELECT COUNT(*) FROM audit_blobs")); });
    // The rows hold references, not the texts.
    CHECK(raw_sql(dir, "SELECT MAX(LENGTH(card)), MAX(LENGTH(facts)) FROM audit_consults") ==
          "65|65|");
  }

  TEST_CASE("sqlite store: a blob edited or deleted -> verify names the first consult using it") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    const auto first = vcf_cds::testing::consult_with_card_ids(1);
    REQUIRE(store->record_consults(
        {sample_consult(7), first, vcf_cds::testing::consult_with_card_ids(8)}));
    REQUIRE(store->verify_chain()->ok);
    const std::string recipe =
        raw_sql(dir, "SELECT SUBSTR(card, 2) FROM audit_consults WHERE seq = 2");
    REQUIRE(recipe.size() == 65);  // 64 hex and the '|' raw_sql ends a column with
    const std::string hash = recipe.substr(0, 64);
    SUBCASE("recipe edited") {
      raw_sql(dir, "UPDATE audit_blobs SET body = body || ' ' WHERE hash = '" + hash + "'");
      auto result = store->verify_chain();
      REQUIRE(result);
      CHECK_FALSE(result->ok);
      CHECK(result->broken_seq == 2);
      CHECK(result->broken_id == first.consult_id);
      CHECK(result->reason == "blob: card recipe " + hash + " does not match its hash");
    }
    SUBCASE("recipe deleted -> verify names it, reads fail with a clear error") {
      raw_sql(dir, "DELETE FROM audit_blobs WHERE hash = '" + hash + "'");
      CHECK(store->verify_chain()->reason == "blob: card recipe " + hash + " is missing");
      auto found = store->find_consults({});
      REQUIRE_FALSE(found);
      CHECK(found.error().message.find("audit trail is damaged") != std::string::npos);
    }
    SUBCASE("a row pointed at another blob -> hash mismatch of the row") {
      raw_sql(dir,
              "UPDATE audit_consults SET card = (SELECT card FROM audit_consults WHERE seq = 3) "
              "WHERE seq = 2");
      CHECK(store->verify_chain()->broken_seq == 2);
    }
  }

  TEST_CASE("sqlite store: hash_identifiers -> patient and user stored as HMAC, still queryable") {
    TempDir dir;
    auto config = config_for(dir);
    config.hash_identifiers = true;
    config.identifier_secret = "site-secret";
    auto store = open_store(config);
    REQUIRE(store->record_consults({sample_consult(1)}));

    const auto row =
        raw_sql(dir, "SELECT identifier_mode, patient_id, user_id FROM audit_consults");
    CHECK(row.starts_with("hmac-sha256|hmac-sha256:"));
    CHECK(row.find("Patient/") == std::string::npos);
    CHECK(row.find("Practitioner/") == std::string::npos);

    auto found = store->find_consults(patient(sample_consult(1).patient_id));
    REQUIRE(found);
    REQUIRE(found->size() == 1);
    CHECK((*found)[0].identifier_mode == "hmac-sha256");
    CHECK((*found)[0].patient_id.size() == std::string("hmac-sha256:").size() + 64);
    CHECK(store->find_consults(user(sample_consult(1).user_id))->size() == 1);
    CHECK(store->find_consults(patient("Patient/other"))->empty());
    CHECK(store->verify_chain()->ok);
  }

  TEST_CASE("sqlite store: hash_identifiers without a secret -> open throws") {
    TempDir dir;
    auto config = config_for(dir);
    config.hash_identifiers = true;
    CHECK_THROWS_WITH_AS(open_store(config), doctest::Contains("secret"), std::runtime_error);
  }

  TEST_CASE("sqlite store: filters -> time, patient, user, consult id, variant and outcome") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    vcf_cds::testing::check_filters(*store);
  }

  TEST_CASE("sqlite store: database file replaced by a directory -> unavailable fast, no hang") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    REQUIRE(store->record_consults({sample_consult(1)}));
    const auto file = dir.path() / "data" / "audit.sqlite3";
    std::filesystem::remove(file);
    std::filesystem::create_directory(file);

    // The writer found the file gone (not the commit timeout's "did not start within").
    auto status = store->record_consults({sample_consult(2)});
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::unavailable);
    CHECK(status.error().message.find("removed or replaced") != std::string::npos);
    // Once broken, later calls fail before queuing.
    auto again = store->record_consults({sample_consult(3)});
    CHECK(again.error().code == ErrorCode::unavailable);
    CHECK(again.error().message.find("audit store is broken") != std::string::npos);
    CHECK_FALSE(store->health().writable);
    CHECK_FALSE(store->health().last_error.empty());
  }

  TEST_CASE("sqlite store: data dir is a file -> open throws naming it") {
    TempDir dir;
    auto config = config_for(dir);
    dir.write("data", "not a directory");
    CHECK_THROWS_WITH_AS(open_store(config), doctest::Contains("data"), std::runtime_error);
  }

  TEST_CASE("sqlite store: more records than the queue holds -> unavailable at once") {
    TempDir dir;
    auto config = config_for(dir);
    config.max_queue_records = 2;
    auto store = open_store(config);
    auto status = store->record_consults({sample_consult(1), sample_consult(2), sample_consult(3)});
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::unavailable);
    CHECK(status.error().message.find("queue is full") != std::string::npos);
    CHECK(store->record_consults({sample_consult(1), sample_consult(2)}));
  }

  TEST_CASE("sqlite store: NUL byte or invalid UTF-8 in a field -> bad_request, nothing stored") {
    TempDir dir;
    auto store = open_store(config_for(dir));
    auto nul = sample_consult(1);
    nul.hook_instance = std::string("a\0b", 3);
    auto status = store->record_consults({sample_consult(2), nul});
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::bad_request);
    CHECK(status.error().field == "audit.hook_instance");
    auto bad = sample_feedback("card-1", "accepted");
    bad.user_comment = "\xC3\x28";
    CHECK(store->record_feedback({bad}).error().field == "audit.user_comment");
    auto overlong = sample_consult(3);
    overlong.facts = "\xC0\xAF";
    CHECK_FALSE(store->record_consults({overlong}));
    auto fine = sample_consult(4);
    fine.facts = "Kümmell ☢";
    CHECK(store->record_consults({fine}));
    CHECK(store->find_consults({})->size() == 1);
  }

  TEST_CASE("sqlite store: read_only -> verify and queries work, writes refused") {
    TempDir dir;
    {
      auto store = open_store(config_for(dir));
      REQUIRE(store->record_consults({sample_consult(1)}));
    }
    auto config = config_for(dir);
    config.read_only = true;
    auto store = open_store(config);
    CHECK(store->verify_chain()->ok);
    CHECK(store->find_consults({})->size() == 1);
    CHECK(store->record_consults({sample_consult(2)}).error().code == ErrorCode::unavailable);
    CHECK_FALSE(store->health().writable);
    config.data_dir = dir.path() / "missing";
    CHECK_THROWS_AS(open_store(config), std::runtime_error);
  }
}

#include "audit/sqlite_checkpoint.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"

namespace {

using namespace vcf_cds::audit::detail;
using vcf_cds::testing::TempDir;

// A WAL-mode database with one table, on the connection a committer would own.
SqliteDb wal_database(const std::filesystem::path& file) {
  auto db = sqlite_open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  REQUIRE(db);
  REQUIRE(sqlite_exec(db->get(), "PRAGMA journal_mode=WAL"));
  REQUIRE(sqlite_exec(db->get(), "CREATE TABLE t (x BLOB NOT NULL)"));
  return std::move(db).value();
}

// One commit per row, each a couple of pages.
void commit_rows(sqlite3* db, int rows) {
  for (int i = 0; i < rows; ++i) {
    REQUIRE(sqlite_exec(db, "INSERT INTO t VALUES (randomblob(6000))"));
  }
}

std::uintmax_t wal_size(const std::filesystem::path& file) {
  return std::filesystem::file_size(file.string() + "-wal");
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("checkpointer: WAL past start_pages -> the thread copies it, not the commit") {
    TempDir dir;
    const auto file = dir.path() / "a.sqlite3";
    auto writer = wal_database(file);
    SqliteCheckpointer checkpointer(file, CheckpointOptions{20, 1'000'000});
    checkpointer.attach(writer.get());
    commit_rows(writer.get(), 200);
    CHECK(checkpointer.checkpoints() > 0);
    CHECK(checkpointer.writer_checkpoints() == 0);  // far below writer_pages
  }

  TEST_CASE("checkpointer: thread never asked -> the commit checkpoints at writer_pages") {
    TempDir dir;
    const auto file = dir.path() / "a.sqlite3";
    auto writer = wal_database(file);
    // The thread would start at a size the WAL never reaches: the writer's fallback alone bounds
    // it, as SQLite's automatic checkpoint did (200 rows are ~400 frames without one).
    SqliteCheckpointer checkpointer(file, CheckpointOptions{1'000'000, 32});
    checkpointer.attach(writer.get());
    commit_rows(writer.get(), 200);
    CHECK(checkpointer.checkpoints() == 0);
    CHECK(checkpointer.writer_checkpoints() > 0);
    CHECK(wal_size(file) < 64 * 4200);
  }

  TEST_CASE("checkpointer: attached -> SQLite's own automatic checkpoint is off") {
    TempDir dir;
    const auto file = dir.path() / "a.sqlite3";
    auto writer = wal_database(file);
    SqliteCheckpointer checkpointer(file, CheckpointOptions{1'000'000, 1'000'000});
    checkpointer.attach(writer.get());
    // 600 rows are well past SQLite's default of 1,000 pages: no checkpoint means no restart,
    // so the WAL holds every frame.
    commit_rows(writer.get(), 600);
    CHECK(checkpointer.checkpoints() == 0);
    CHECK(checkpointer.writer_checkpoints() == 0);
    CHECK(wal_size(file) > 1000 * 4096);
  }

  TEST_CASE("checkpointer: database file gone -> it cannot open, and says which") {
    TempDir dir;
    const auto file = dir.path() / "missing" / "a.sqlite3";
    CHECK_THROWS_WITH_AS(SqliteCheckpointer(file, CheckpointOptions{}),
                         doctest::Contains("a.sqlite3"), std::runtime_error);
  }
}

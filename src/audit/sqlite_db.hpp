// RAII and small helpers over the sqlite3 C API, for the audit store only.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "audit/schema.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::audit::detail {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// Error{unavailable, "audit"} with the database's message and what we were doing.
Error sqlite_error(sqlite3* db, std::string_view doing);

Result<SqliteDb> sqlite_open(const std::filesystem::path& file, int flags);
Status sqlite_exec(sqlite3* db, const std::string& sql);
Result<SqliteStmt> sqlite_prepare(sqlite3* db, const std::string& sql);
// Runs a statement expected to finish with SQLITE_DONE, then resets it for reuse.
Status sqlite_done(sqlite3* db, sqlite3_stmt* stmt, std::string_view doing);
// First column of the first row as integer (0 when there is no row).
Result<std::int64_t> sqlite_scalar(sqlite3* db, const std::string& sql);

// Binds a record's columns 1..n in order.
class SqliteBinder final : public RowSink {
 public:
  // Fields::borrow: text_field() binds without a copy (SQLITE_STATIC). Only where the record
  // outlives the statement's run and sqlite_done() clears the bindings right after it.
  enum class Fields { copy, borrow };
  explicit SqliteBinder(sqlite3_stmt* stmt, Fields fields = Fields::copy)
      : stmt_(stmt), fields_(fields) {}
  void text(std::string_view value) override;
  void text_field(std::string_view value) override;
  void integer(std::int64_t value) override;
  void real(double value) override;
  int failed() const { return failed_; }  // first non-OK sqlite3_bind_* result, 0 if none

 private:
  void bind_text(std::string_view value, sqlite3_destructor_type lifetime);

  sqlite3_stmt* stmt_;
  Fields fields_;
  int index_ = 1;
  int failed_ = 0;
};

// The current row of a stepped statement.
class SqliteRow final : public RowSource {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  std::string text(int column) const override;
  std::int64_t integer(int column) const override;
  double real(int column) const override;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace vcf_cds::audit::detail

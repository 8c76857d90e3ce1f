#include "audit/sqlite_db.hpp"

namespace vcf_cds::audit::detail {

Error sqlite_error(sqlite3* db, std::string_view doing) {
  std::string message = "audit database: " + std::string(doing) + ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return make_error(ErrorCode::unavailable, "audit", std::move(message));
}

Result<SqliteDb> sqlite_open(const std::filesystem::path& file, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw);  // owns the handle even when open failed
  if (rc != SQLITE_OK) return sqlite_error(raw, "open " + file.string());
  sqlite3_extended_result_codes(raw, 1);
  // Readers may meet the writer's checkpoint; wait briefly instead of failing at once.
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Status sqlite_exec(sqlite3* db, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqlite_error(db, sql.substr(0, 60));
  }
  return Ok{};
}

Result<SqliteStmt> sqlite_prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return sqlite_error(db, "prepare " + sql.substr(0, 60));
  }
  return SqliteStmt(raw);
}

Status sqlite_done(sqlite3* db, sqlite3_stmt* stmt, std::string_view doing) {
  const int rc = sqlite3_step(stmt);
  Status status = Ok{};
  if (rc != SQLITE_DONE) status = sqlite_error(db, doing);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return status;
}

Result<std::int64_t> sqlite_scalar(sqlite3* db, const std::string& sql) {
  auto stmt = sqlite_prepare(db, sql);
  if (!stmt) return std::move(stmt).error();
  const int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_ROW) return static_cast<std::int64_t>(sqlite3_column_int64(stmt->get(), 0));
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return sqlite_error(db, sql.substr(0, 60));
}

void SqliteBinder::text(std::string_view value) {
  // SQLITE_TRANSIENT copies: the string may die before the statement runs.
  bind_text(value, SQLITE_TRANSIENT);
}

void SqliteBinder::text_field(std::string_view value) {
  // The card and facts are ~10 KB a consult, bound on the audit writer's thread: the serial
  // stage of every commit, where a copy per column is worth saving.
  bind_text(value, fields_ == Fields::borrow ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

void SqliteBinder::bind_text(std::string_view value, sqlite3_destructor_type lifetime) {
  const int rc =
      sqlite3_bind_text64(stmt_, index_++, value.data(), value.size(), lifetime, SQLITE_UTF8);
  if (rc != SQLITE_OK && failed_ == 0) failed_ = rc;
}

void SqliteBinder::integer(std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index_++, value);
  if (rc != SQLITE_OK && failed_ == 0) failed_ = rc;
}

void SqliteBinder::real(double value) {
  const int rc = sqlite3_bind_double(stmt_, index_++, value);
  if (rc != SQLITE_OK && failed_ == 0) failed_ = rc;
}

std::string SqliteRow::text(int column) const {
  const auto* bytes = sqlite3_column_text(stmt_, column);
  if (bytes == nullptr) return {};
  return {reinterpret_cast<const char*>(bytes),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::int64_t SqliteRow::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double SqliteRow::real(int column) const {
  return sqlite3_column_double(stmt_, column);
}

}  // namespace vcf_cds::audit::detail

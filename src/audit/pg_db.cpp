#include "audit/pg_db.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

namespace vcf_cds::audit::detail {
namespace {

std::vector<const char*> pointers(const std::vector<std::string>& params) {
  std::vector<const char*> out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back(p.c_str());
  return out;
}

// Server notices ("relation already exists, skipping") go to the debug log, not stderr.
void log_notice(void*, const char* message) {
  std::string text(message);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  spdlog::debug("audit database: {}", text);
}

Result<PgResult> checked(PGconn* conn, PGresult* raw, std::string_view doing) {
  PgResult result(raw);
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = "audit database: " + std::string(doing) + ": ";
    const char* text = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn);
    message += (text != nullptr && *text != '\0') ? text : PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return make_error(ErrorCode::unavailable, "audit", std::move(message));
  }
  return result;
}

}  // namespace

Error pg_error(PGconn* conn, std::string_view doing) {
  std::string message = "audit database: " + std::string(doing) + ": ";
  message += conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return make_error(ErrorCode::unavailable, "audit", std::move(message));
}

Result<PgConn> pg_connect(const std::string& url, std::string_view application_name) {
  // Keywords before "dbname" are defaults that the expanded URL may override.
  const std::string app(application_name);
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", app.c_str(), url.c_str(), nullptr};
  PgConn conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    return pg_error(conn.get(), "connect");
  }
  PQsetNoticeProcessor(conn.get(), log_notice, nullptr);
  // Shortest exact float8 text whatever the server default: the chain hashes read it back.
  if (Status s = pg_command(conn.get(), "SET extra_float_digits = 3"); !s) {
    return std::move(s).error();
  }
  return conn;
}

Result<PgResult> pg_exec(PGconn* conn, const std::string& sql,
                         const std::vector<std::string>& params) {
  const auto values = pointers(params);
  return checked(conn,
                 PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                              values.data(), nullptr, nullptr, 0),
                 sql.substr(0, 60));
}

Result<PgResult> pg_exec_prepared(PGconn* conn, const std::string& name,
                                  const std::vector<std::string>& params) {
  const auto values = pointers(params);
  return checked(conn,
                 PQexecPrepared(conn, name.c_str(), static_cast<int>(params.size()), values.data(),
                                nullptr, nullptr, 0),
                 name);
}

Status pg_prepare(PGconn* conn, const std::string& name, const std::string& sql) {
  auto result =
      checked(conn, PQprepare(conn, name.c_str(), sql.c_str(), 0, nullptr), "prepare " + name);
  if (!result) return std::move(result).error();
  return Ok{};
}

Status pg_command(PGconn* conn, const std::string& sql) {
  auto result = checked(conn, PQexec(conn, sql.c_str()), sql.substr(0, 60));
  if (!result) return std::move(result).error();
  return Ok{};
}

void PgBinder::real(double value) {
  // Shortest text that reads back as the same double: float8 input then round-trips exactly.
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  values_.emplace_back(buffer, ec == std::errc{} ? end : buffer);
}

std::string PgRow::text(int column) const {
  return {PQgetvalue(result_, row_, column),
          static_cast<std::size_t>(PQgetlength(result_, row_, column))};
}

// from_chars: locale-independent, unlike strtod.
std::int64_t PgRow::integer(int column) const {
  const char* text = PQgetvalue(result_, row_, column);
  std::int64_t value = 0;
  std::from_chars(text, text + PQgetlength(result_, row_, column), value);
  return value;
}

double PgRow::real(int column) const {
  const char* text = PQgetvalue(result_, row_, column);
  double value = 0;
  std::from_chars(text, text + PQgetlength(result_, row_, column), value);
  return value;
}

}  // namespace vcf_cds::audit::detail

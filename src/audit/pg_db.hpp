// RAII and small helpers over libpq, for the audit store only. Every parameter and value travels
// in text format; doubles are written shortest-round-trip so the chain hashes agree with SQLite.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "audit/schema.hpp"
#include "vcf_cds/result.hpp"

namespace vcf_cds::audit::detail {

struct PgFinisher {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgConn = std::unique_ptr<PGconn, PgFinisher>;
using PgResult = std::unique_ptr<PGresult, PgClearer>;

// Connects with a 5 s connect_timeout unless the URL sets its own.
Result<PgConn> pg_connect(const std::string& url, std::string_view application_name);

// Runs `sql` with text parameters; Error{unavailable} unless the command succeeded.
Result<PgResult> pg_exec(PGconn* conn, const std::string& sql,
                         const std::vector<std::string>& params = {});
Result<PgResult> pg_exec_prepared(PGconn* conn, const std::string& name,
                                  const std::vector<std::string>& params);
Status pg_prepare(PGconn* conn, const std::string& name, const std::string& sql);
// Runs several statements without parameters (BEGIN, COMMIT, SET …).
Status pg_command(PGconn* conn, const std::string& sql);

Error pg_error(PGconn* conn, std::string_view doing);

// Collects a record's columns as text parameters.
class PgBinder final : public RowSink {
 public:
  void text(std::string_view value) override { values_.emplace_back(value); }
  void integer(std::int64_t value) override { values_.push_back(std::to_string(value)); }
  void real(double value) override;
  std::vector<std::string>& values() { return values_; }

 private:
  std::vector<std::string> values_;
};

// Row `row` of a result of a SELECT in text format.
class PgRow final : public RowSource {
 public:
  PgRow(const PGresult* result, int row) : result_(result), row_(row) {}
  std::string text(int column) const override;
  std::int64_t integer(int column) const override;
  double real(int column) const override;

 private:
  const PGresult* result_;
  int row_;
};

}  // namespace vcf_cds::audit::detail

// A PostgreSQL server for the audit tests: VCF_CDS_TEST_PG_URL if set, else one started once per
// test run with tools/pg_test_server.sh in a temp dir and stopped at exit. Each test gets a fresh
// database. With CI=true a missing server FAILS the test; locally it is skipped with a message.
#pragma once

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "support/temp_dir.hpp"

namespace vcf_cds::testing {

struct PgServerProcess {
  PgServerProcess() = default;
  PgServerProcess(const PgServerProcess&) = delete;
  PgServerProcess& operator=(const PgServerProcess&) = delete;

  std::string url;
  std::string why_not;  // set when no server is available
  std::unique_ptr<TempDir> dir;
  bool started = false;

  ~PgServerProcess() {
    if (started) stop();
  }

  // Runs the helper script; returns its stdout, or nullopt (and why_not) when it failed.
  static std::optional<std::string> script(const std::string& action, const std::string& where,
                                           std::string& why_not) {
    const std::string command = "bash '" + source_path("tools/pg_test_server.sh").string() + "' " +
                                action + " '" + where + "' 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    if (!pipe) {
      why_not = "cannot run " + command;
      return std::nullopt;
    }
    std::string out;
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
    const int status = ::pclose(pipe.release());
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (status != 0) {
      why_not = "tools/pg_test_server.sh " + action + " failed: " + out;
      return std::nullopt;
    }
    return out;
  }

  void start() {
    dir = std::make_unique<TempDir>();
    if (auto out = script("start", (dir->path() / "pg").string(), why_not)) {
      const auto last_line = out->find_last_of('\n');
      url = last_line == std::string::npos ? *out : out->substr(last_line + 1);
      started = true;
    }
  }
  // Starts the stopped server again in the same directory (same port, same data).
  void restart() {
    if (auto out = script("start", (dir->path() / "pg").string(), why_not)) started = true;
  }
  void stop() {
    std::string ignored;
    script("stop", (dir->path() / "pg").string(), ignored);
    started = false;
  }
};

// The shared server (started on first use).
inline PgServerProcess& pg_server() {
  static PgServerProcess server;
  static const bool ready = [] {
    if (const char* url = std::getenv("VCF_CDS_TEST_PG_URL"); url != nullptr && *url != '\0') {
      server.url = url;
    } else {
      server.start();
    }
    return true;
  }();
  (void)ready;
  return server;
}

// Runs one statement on `url`; returns the first value of the result (or "").
inline std::string pg_sql(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(url.c_str()), PQfinish);
  REQUIRE_MESSAGE(PQstatus(conn.get()) == CONNECTION_OK, PQerrorMessage(conn.get()));
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);  // "skipping" notices
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn.get(), sql.c_str()), PQclear);
  const auto status = PQresultStatus(result.get());
  REQUIRE_MESSAGE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK),
                  PQresultErrorMessage(result.get()));
  if (PQntuples(result.get()) == 0) return {};
  return PQgetvalue(result.get(), 0, 0);
}

// `url` with its database replaced: libpq parses it, we rebuild key=value form.
inline std::string with_database(const std::string& url, const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  REQUIRE_MESSAGE(options != nullptr, (error ? error : "bad url"));
  std::string out;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (std::string(o->keyword) == "dbname" || o->val == nullptr) continue;
    out += std::string(o->keyword) + "='" + o->val + "' ";
  }
  PQconninfoFree(options);
  return out + "dbname='" + dbname + "'";
}

// A fresh database on the test server, dropped at the end of the test.
class PgTestDatabase {
 public:
  PgTestDatabase(std::string server_url, std::string name)
      : server_url_(std::move(server_url)), name_(std::move(name)) {
    pg_sql(server_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    pg_sql(server_url_, "CREATE DATABASE " + name_);
    url_ = with_database(server_url_, name_);
  }
  ~PgTestDatabase() {
    std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(server_url_.c_str()), PQfinish);
    const std::string sql = "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
    PQclear(PQexec(conn.get(), sql.c_str()));
  }
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;
  const std::string& url() const { return url_; }

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
};

// No server: FAIL under CI=true, else a clear skip message (the caller returns).
inline void pg_unavailable(const std::string& why_not) {
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string(ci) == "true") {
    FAIL("CI=true but no PostgreSQL server: " << why_not);
  }
  MESSAGE(
      "PostgreSQL audit test SKIPPED (set VCF_CDS_TEST_PG_URL or install postgresql): " << why_not);
}

// A fresh database, or null (after pg_unavailable) when the test should be skipped.
// Starts a server of the test's own (to stop, never the shared one). False when none could be
// started: with an external server (VCF_CDS_TEST_PG_URL) the required PostgreSQL coverage is
// there and only this case is skipped; without one, pg_unavailable decides.
inline bool start_own_server(PgServerProcess& own) {
  own.start();
  if (own.started) return true;
  if (std::getenv("VCF_CDS_TEST_PG_URL") == nullptr) {
    pg_unavailable(own.why_not);
  } else {
    MESSAGE("server-restart case SKIPPED: cannot start a local server: " << own.why_not);
  }
  return false;
}

inline std::unique_ptr<PgTestDatabase> pg_test_database() {
  auto& server = pg_server();
  if (server.url.empty()) {
    pg_unavailable(server.why_not);
    return nullptr;
  }
  static int counter = 0;
  return std::make_unique<PgTestDatabase>(
      server.url,
      "vcf_cds_audit_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
}

}  // namespace vcf_cds::testing

// The jti replay ledger in PostgreSQL, shared by every instance on the same database. One
// statement decides first use atomically across instances:
//
//   INSERT … ON CONFLICT (id) DO UPDATE … WHERE auth_jti.forget_after <= now RETURNING 1
//
// A row comes back when the id was new, or when its old row had expired (the id may be used
// again once its token could no longer pass the exp check); no row when a live row holds it. Two
// concurrent inserts of one id serialise on the primary key: the second waits for the first to
// commit and then sees the live row. A commit is visible to every other session at once whatever
// synchronous_commit says (what the race needs); off (the default) spares each check a WAL flush,
// at the price of a database crash forgetting the last fraction of a second of ids; on makes an
// accepted id durable before its token is let in. Expired rows are deleted by whichever call
// first finds the purge interval passed (per instance).
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "audit/pg_db.hpp"
#include "audit/schema.hpp"
#include "common/sha256.hpp"
#include "vcf_cds/audit.hpp"
#include "vcf_cds/auth.hpp"

namespace vcf_cds::audit {
namespace {

using detail::PgConn;
using std::chrono::system_clock;
using namespace std::string_literals;

constexpr std::string_view application_name = "vcf-cds-jti";
// pg_advisory_xact_lock key while creating the table: "vcfjti" as ASCII bytes.
constexpr std::int64_t schema_lock_key = 0x7663666a7469;

std::int64_t unix_seconds(system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The database's own words go to the log only: the 503 body is for the EHR.
Error ledger_error(std::string_view detail) {
  spdlog::warn("jti ledger: {}", detail);
  return make_error(ErrorCode::unavailable, "replay_ledger",
                    "the JWT replay check is unavailable (jti ledger database)");
}

class PgJtiLedger final : public auth::JtiLedger {
 public:
  PgJtiLedger(std::string url, PgJtiLedgerOptions options)
      : url_(std::move(url)), options_(options) {
    if (options_.connections == 0) options_.connections = 1;
    if (!options_.connect_now) return;
    auto conn = connect();
    if (!conn) throw std::runtime_error("jti ledger: " + conn.error().message);
    idle_.push_back(std::move(conn).value());
    ++open_;
  }

  Result<bool> first_use(std::string_view iss, std::string_view jti, time_point forget_after,
                         time_point now) override {
    const std::string id = common::sha256_hex({iss, "\n", jti});
    const std::vector<std::string> params{id, std::to_string(unix_seconds(forget_after)),
                                          std::to_string(unix_seconds(now))};
    // Idle connections die with a database restart: after a broken one, the others are closed
    // too and one more try runs on a fresh connection. (Had the lost attempt committed, the
    // retry reads a replay: it fails closed.)
    for (int attempt = 0;; ++attempt) {
      auto conn = acquire();
      if (!conn) return fail(std::move(conn).error());
      auto answer = detail::pg_exec_prepared(conn->get(), "jti_first_use", params);
      if (answer) {
        const bool first = PQntuples(answer->get()) == 1;
        maybe_purge(conn->get(), now);
        release(std::move(conn).value());
        return first;
      }
      const bool broken = PQstatus(conn->get()) != CONNECTION_OK;
      release(nullptr);  // a broken or timed-out session is not reused
      if (broken) close_idle();
      if (!broken || attempt > 0) return fail(std::move(answer).error());
    }
  }

  auth::JtiLedgerStats stats() const override {
    auth::JtiLedgerStats out;
    out.evictions = evictions_.load();
    out.errors = errors_.load();
    return out;
  }

 private:
  // Errors carry the database's words (field "audit"); fail() turns them into the 503.
  Result<PgConn> connect() const {
    auto conn = detail::pg_connect(url_, application_name);
    if (!conn) return std::move(conn).error();
    PGconn* c = conn->get();
    const auto ms = std::to_string(options_.timeout.count());
    const std::string sync = options_.synchronous_commit ? "on" : "off";
    for (const std::string& sql : {"SET synchronous_commit = "s + sync,
                                   "SET statement_timeout = "s + ms, "SET lock_timeout = "s + ms}) {
      if (Status s = detail::pg_command(c, sql); !s) return std::move(s).error();
    }
    if (!schema_ready_.load()) {
      if (Status s = create_table(c); !s) return std::move(s).error();
      schema_ready_ = true;
    }
    const std::string table(detail::jti_table);
    if (Status s = detail::pg_prepare(
            c, "jti_first_use",
            "INSERT INTO " + table + " (id, forget_after) VALUES ($1, $2) ON CONFLICT (id) DO " +
                "UPDATE SET forget_after = EXCLUDED.forget_after WHERE " + table +
                ".forget_after <= $3::BIGINT RETURNING 1");
        !s) {
      return std::move(s).error();
    }
    return conn;
  }

  // Instances starting together must not race on CREATE TABLE IF NOT EXISTS.
  static Status create_table(PGconn* c) {
    if (Status s = detail::pg_command(c, "BEGIN"); !s) return s;
    Status status = detail::pg_command(
        c, "SELECT pg_advisory_xact_lock(" + std::to_string(schema_lock_key) + ")");
    for (const auto& sql : detail::jti_table_ddl()) {
      if (status) status = detail::pg_command(c, sql);
    }
    if (status) status = detail::pg_command(c, "COMMIT");
    if (!status) (void)detail::pg_command(c, "ROLLBACK");
    return status;
  }

  // An idle connection, or a new one while fewer than `connections` are open; waits at most
  // `timeout` for one to come back.
  Result<PgConn> acquire() {
    std::unique_lock lock(mutex_);
    const bool got = returned_.wait_for(
        lock, options_.timeout, [&] { return !idle_.empty() || open_ < options_.connections; });
    if (!got) return ledger_error("no connection free within the timeout");
    if (!idle_.empty()) {
      PgConn conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
    lock.unlock();
    auto conn = connect();
    if (!conn) release(nullptr);
    return conn;
  }

  // Gives `conn` back; null closes the slot (the next caller reconnects).
  void release(PgConn conn) {
    {
      const std::lock_guard lock(mutex_);
      if (conn) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    returned_.notify_one();
  }

  void close_idle() {
    std::vector<PgConn> closing;
    {
      const std::lock_guard lock(mutex_);
      open_ -= idle_.size();
      closing.swap(idle_);
    }
    returned_.notify_all();
  }

  Error fail(const Error& error) {
    ++errors_;
    return error.field == "replay_ledger" ? error : ledger_error(error.message);
  }

  void maybe_purge(PGconn* c, time_point now) {
    const std::int64_t now_s = unix_seconds(now);
    std::int64_t due = next_purge_s_.load();
    if (now_s < due) return;
    if (!next_purge_s_.compare_exchange_strong(due, now_s + options_.purge_interval.count())) {
      return;  // another caller took this round
    }
    auto purged = detail::pg_exec(
        c, "DELETE FROM " + std::string(detail::jti_table) + " WHERE forget_after <= $1::BIGINT",
        {std::to_string(now_s)});
    if (!purged) {
      spdlog::warn("jti ledger: purge failed: {}", purged.error().message);
      return;
    }
    evictions_ += std::strtoull(PQcmdTuples(purged->get()), nullptr, 10);
  }

  const std::string url_;
  PgJtiLedgerOptions options_;
  std::mutex mutex_;  // guards idle_ and open_
  std::condition_variable returned_;
  std::vector<PgConn> idle_;
  std::size_t open_ = 0;  // idle plus in use
  mutable std::atomic<bool> schema_ready_{false};
  std::atomic<std::int64_t> next_purge_s_{0};
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace

std::shared_ptr<auth::JtiLedger> open_pg_jti_ledger(const std::string& database_url,
                                                    const PgJtiLedgerOptions& options) {
  if (!is_postgres_url(database_url)) {
    throw std::runtime_error("jti ledger: not a PostgreSQL connection string");
  }
  return std::make_shared<PgJtiLedger>(database_url, options);
}

}  // namespace vcf_cds::audit

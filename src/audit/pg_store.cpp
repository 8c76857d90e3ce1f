// PostgreSQL audit store (libpq). Same schema, records and chain as SQLite; several service
// instances may share one database: each batch locks the chain-head row (SELECT … FOR UPDATE), so
// appends from different instances serialise and the chain stays one line. Migrations run under
// a transaction-level advisory lock so instances starting together do not race.
#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "audit/chain.hpp"
#include "audit/pg_db.hpp"
#include "audit/schema.hpp"
#include "audit/store_base.hpp"
#include "audit/stores.hpp"

namespace vcf_cds::audit::detail {
namespace {

constexpr Dialect dialect = Dialect::postgresql;
constexpr std::string_view application_name = "vcf-cds-audit";
// pg_advisory_xact_lock key for migrations: "vcfaudit" as 8 ASCII bytes.
constexpr std::int64_t migration_lock_key = 0x7663666175646974;

template <class T>
T or_throw(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().message);
  return std::move(result).value();
}

std::int64_t scalar(const PgResult& result) {
  if (PQntuples(result.get()) == 0 || PQgetisnull(result.get(), 0, 0)) return 0;
  return PgRow(result.get(), 0).integer(0);
}

void migrate(PGconn* conn) {
  or_throw(pg_command(conn, "BEGIN"));
  try {
    or_throw(
        pg_exec(conn, "SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key) + ")"));
    or_throw(pg_command(conn, version_table_ddl(dialect)));
    const auto current = scalar(or_throw(
        pg_exec(conn, "SELECT COALESCE(MAX(version), 0) FROM " + std::string(version_table))));
    if (current > latest_schema_version()) {
      throw std::runtime_error("audit database schema version " + std::to_string(current) +
                               " is newer than this build supports (" +
                               std::to_string(latest_schema_version()) + ")");
    }
    for (const auto& m : migrations(dialect)) {
      if (m.version <= current) continue;
      for (const auto& sql : m.statements) or_throw(pg_command(conn, sql));
      or_throw(pg_exec(conn, "INSERT INTO " + std::string(version_table) + " VALUES ($1, $2, $3)",
                       {std::to_string(m.version), m.description, utc_now()}));
    }
    or_throw(pg_command(conn, "COMMIT"));
  } catch (...) {
    (void)pg_command(conn, "ROLLBACK");
    throw;
  }
}

class PgCommitter final : public Committer {
 public:
  PgCommitter(PgConn conn, std::chrono::milliseconds timeout)
      : conn_(std::move(conn)), timeout_(timeout) {
    or_throw(setup());
  }

  Status commit(std::vector<QueuedRecord>& batch) override {
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      // The server restarted or the network dropped: one reconnect per batch, then give up.
      PQreset(conn_.get());
      if (PQstatus(conn_.get()) != CONNECTION_OK) return pg_error(conn_.get(), "reconnect");
      if (Status s = setup(); !s) return s;
    }
    if (Status s = pg_command(conn_.get(), "BEGIN"); !s) return s;
    std::vector<const Blob*> blobs;
    Status status = append(batch, blobs);
    if (status) status = pg_command(conn_.get(), "COMMIT");
    if (status) known_blobs_.committed(blobs);
    if (!status) (void)pg_command(conn_.get(), "ROLLBACK");
    return status;
  }

 private:
  // Per-session state: lost on reconnect, so it is redone then.
  Status setup() {
    PGconn* c = conn_.get();
    // Durable at COMMIT whatever the server default; never wait on a lock past the caller.
    if (Status s = pg_command(c, "SET synchronous_commit = on"); !s) return s;
    const auto ms = std::to_string(timeout_.count());
    if (Status s = pg_command(c, "SET statement_timeout = " + ms); !s) return s;
    if (Status s = pg_command(c, "SET extra_float_digits = 3"); !s) return s;
    if (Status s = pg_prepare(c, "insert_consult", consult_insert_sql(dialect)); !s) return s;
    if (Status s = pg_prepare(c, "insert_feedback", feedback_insert_sql(dialect)); !s) return s;
    return pg_prepare(c, "known_card", known_card_sql(dialect));
  }

  Status append(std::vector<QueuedRecord>& batch, std::vector<const Blob*>& blobs) {
    PGconn* c = conn_.get();
    // The row lock serialises appenders across instances until this transaction ends.
    auto locked =
        pg_exec(c, "SELECT seq, hash FROM " + std::string(head_table) + " WHERE id = 1 FOR UPDATE");
    if (!locked) return std::move(locked).error();
    if (PQntuples(locked->get()) != 1) {
      return make_error(ErrorCode::unavailable, "audit", "audit chain head row is missing");
    }
    ChainHead head;
    head.seq = PgRow(locked->get(), 0).integer(0);
    head.hash = PgRow(locked->get(), 0).text(1);
    // Under the head-row lock: an instance that appends the same call's record meanwhile commits
    // before this transaction reads, so a retry on two instances still leaves one record.
    std::vector<ConsultRecord> earlier;
    for (const auto& query : retry_candidate_queries(dialect, batch)) {
      auto found = pg_exec(c, query.sql, query.params);
      if (!found) return std::move(found).error();
      for (int i = 0; i < PQntuples(found->get()); ++i) {
        earlier.push_back(read_consult(PgRow(found->get(), i)));
      }
    }
    merge_by_seq(earlier);
    join_retries(batch, std::move(earlier));
    // Under the head lock too: two instances inserting the same new blob in their own order
    // would otherwise wait on each other's uncommitted row while one holds the lock.
    blobs = known_blobs_.unknown(batch);
    if (Status s = insert_blobs(blobs); !s) return s;

    auto prepare = [&](Record& record) -> Status {
      auto* feedback = std::get_if<FeedbackRecord>(&record);
      if (feedback == nullptr) return Ok{};
      feedback->known_card = false;
      if (feedback->card_uuid.empty()) return Ok{};
      auto found = pg_exec_prepared(c, "known_card", {feedback->card_uuid});
      if (!found) return std::move(found).error();
      feedback->known_card = scalar(*found) > 0;
      return Ok{};
    };
    auto insert = [&](const Record& record, const ChainLink& link) -> Status {
      PgBinder bind;
      std::visit([&](const auto& r) { bind_row(r, link, bind); }, record);
      const bool consult = std::holds_alternative<ConsultRecord>(record);
      auto done =
          pg_exec_prepared(c, consult ? "insert_consult" : "insert_feedback", bind.values());
      if (!done) return std::move(done).error();
      return Ok{};
    };
    if (Status s = append_batch(batch, head, prepare, insert); !s) return s;
    auto updated =
        pg_exec(c, "UPDATE " + std::string(head_table) + " SET seq = $1, hash = $2 WHERE id = 1",
                {std::to_string(head.seq), head.hash});
    if (!updated) return std::move(updated).error();
    return Ok{};
  }

  // A few statements of many rows each: the round trips are what the head lock is held for.
  Status insert_blobs(const std::vector<const Blob*>& blobs) {
    constexpr std::size_t per_statement = 500;  // 1,000 parameters
    for (std::size_t at = 0; at < blobs.size(); at += per_statement) {
      const std::size_t count = std::min(per_statement, blobs.size() - at);
      std::vector<std::string> params;
      params.reserve(2 * count);
      for (std::size_t i = at; i < at + count; ++i) {
        params.push_back(blobs[i]->hash);
        params.push_back(blobs[i]->body);
      }
      auto done = pg_exec(conn_.get(), blob_insert_sql(dialect, count), params);
      if (!done) return std::move(done).error();
    }
    return Ok{};
  }

  PgConn conn_;
  std::chrono::milliseconds timeout_;
  KnownBlobs known_blobs_;
};

// Blobs through `conn` (inside the caller's snapshot); a trail before schema 4 has none.
BlobLookup pg_blob_lookup(PGconn* conn, int schema_version) {
  return [conn, schema_version](const std::string& hash) -> Result<std::optional<std::string>> {
    if (schema_version < 4) return std::optional<std::string>{};
    auto found = pg_exec(conn, blob_select_sql(dialect), {hash});
    if (!found) return std::move(found).error();
    if (PQntuples(found->get()) == 0) return std::optional<std::string>{};
    return std::optional<std::string>(PgRow(found->get(), 0).text(0));
  };
}

// Rows of one table through a server-side cursor, so verify never holds the whole trail.
template <class R>
class PgCursor final : public ChainCursor {
 public:
  PgCursor(PGconn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}

  Result<std::optional<ChainRow>> next() override {
    if (!page_ || row_ >= PQntuples(page_.get())) {
      auto page = pg_exec(conn_, "FETCH FORWARD 500 FROM " + name_);
      if (!page) return std::move(page).error();
      page_ = std::move(page).value();
      row_ = 0;
      if (PQntuples(page_.get()) == 0) return std::optional<ChainRow>{};
    }
    ChainRow row{R{}, {}};
    row.record = read_record<R>(PgRow(page_.get(), row_++), &row.link);
    return std::optional<ChainRow>(std::move(row));
  }

 private:
  PGconn* conn_;
  std::string name_;
  PgResult page_;
  int row_ = 0;
};

class PgStore final : public BatchedStore {
 public:
  explicit PgStore(const StoreConfig& config) : BatchedStore(config, "postgresql") {
    auto conn = or_throw(pg_connect(config.database_url, application_name));
    if (config.read_only) {
      const auto exists = or_throw(
          pg_exec(conn.get(), "SELECT to_regclass($1) IS NOT NULL", {std::string(version_table)}));
      if (PgRow(exists.get(), 0).text(0) != "t") {
        throw std::runtime_error("audit: the database holds no audit trail (no " +
                                 std::string(version_table) + " table)");
      }
      const auto version = scalar(or_throw(pg_exec(
          conn.get(), "SELECT COALESCE(MAX(version), 0) FROM " + std::string(version_table))));
      if (version > latest_schema_version()) {
        throw std::runtime_error("audit: unsupported audit schema version " +
                                 std::to_string(version));
      }
      schema_version_ = static_cast<int>(version);
      return;
    }
    migrate(conn.get());
    start_writer(std::make_unique<PgCommitter>(std::move(conn), config.commit_timeout));
  }

  Result<std::vector<ConsultRecord>> find_consults(const Query& query) override {
    return select<ConsultRecord>(consult_query(dialect, query, config_, schema_version_));
  }

  Result<std::vector<FeedbackRecord>> find_feedback(const FeedbackQuery& query) override {
    return select<FeedbackRecord>(feedback_query(dialect, query));
  }

  Result<VerifyResult> verify_chain() override {
    auto conn = pg_connect(config_.database_url, application_name);
    if (!conn) return std::move(conn).error();
    PGconn* c = conn->get();
    // One snapshot for head and both tables; writers keep going meanwhile.
    if (Status s = pg_command(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !s) {
      return std::move(s).error();
    }
    auto head_row =
        pg_exec(c, "SELECT seq, hash FROM " + std::string(head_table) + " WHERE id = 1");
    if (!head_row) return std::move(head_row).error();
    ChainHead head;
    if (PQntuples(head_row->get()) == 1) {
      head.seq = PgRow(head_row->get(), 0).integer(0);
      head.hash = PgRow(head_row->get(), 0).text(1);
    }
    for (const auto& [name, columns, table] :
         {std::tuple{"consult_rows", consult_select_list(schema_version_), consults_table},
          std::tuple{"feedback_rows", feedback_select_list(), feedback_table}}) {
      if (Status s =
              pg_command(c, "DECLARE " + std::string(name) + " NO SCROLL CURSOR FOR SELECT " +
                                columns + " FROM " + std::string(table) + " ORDER BY seq");
          !s) {
        return std::move(s).error();
      }
    }
    PgCursor<ConsultRecord> consults(c, "consult_rows");
    PgCursor<FeedbackRecord> feedback(c, "feedback_rows");
    return detail::verify_chain(consults, feedback, head, pg_blob_lookup(c, schema_version_));
  }

 private:
  template <class R>
  Result<std::vector<R>> select(const SqlQuery& query) const {
    auto conn = pg_connect(config_.database_url, application_name);
    if (!conn) return std::move(conn).error();
    // One snapshot for the rows and the blobs they name.
    if (Status s = pg_command(conn->get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !s) {
      return std::move(s).error();
    }
    auto result = pg_exec(conn->get(), query.sql, query.params);
    if (!result) return std::move(result).error();
    std::vector<R> out;
    const int rows = PQntuples(result->get());
    out.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      PgRow row(result->get(), i);
      out.push_back(read_record<R>(row));
    }
    if constexpr (std::is_same_v<R, ConsultRecord>) {
      BlobReader blobs(pg_blob_lookup(conn->get(), schema_version_));
      for (auto& record : out) {
        if (Status s = expand_texts(record, blobs); !s) return std::move(s).error();
      }
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Store> open_pg_store(const StoreConfig& config) {
  return std::make_unique<PgStore>(config);
}

}  // namespace vcf_cds::audit::detail

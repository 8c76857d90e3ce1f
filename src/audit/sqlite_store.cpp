// SQLite audit store: <data-dir>/audit.sqlite3 in WAL mode with synchronous=FULL, so a commit is
// on disk before record_* returns. One writer connection (owned by the group committer's thread),
// a fresh read-only connection per query.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "audit/chain.hpp"
#include "audit/schema.hpp"
#include "audit/sqlite_checkpoint.hpp"
#include "audit/sqlite_db.hpp"
#include "audit/store_base.hpp"
#include "audit/stores.hpp"

namespace vcf_cds::audit::detail {
namespace {

constexpr Dialect dialect = Dialect::sqlite;

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

std::optional<FileId> file_id(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

// The trail holds patient identifiers and clinical facts: owner-only from the first byte (SQLite
// gives the -wal and -shm files the database file's mode). An empty file is an empty database.
void create_private_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    throw std::runtime_error("audit: cannot create " + file.string() + ": " + std::strerror(errno));
  }
}

template <class T>
T or_throw(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().message);
  return std::move(result).value();
}

// Applies the migrations above the recorded version in one transaction.
void migrate(sqlite3* db) {
  or_throw(sqlite_exec(db, "BEGIN IMMEDIATE"));
  try {
    or_throw(sqlite_exec(db, version_table_ddl(dialect)));
    const auto current = or_throw(
        sqlite_scalar(db, "SELECT COALESCE(MAX(version), 0) FROM " + std::string(version_table)));
    if (current > latest_schema_version()) {
      throw std::runtime_error("audit database schema version " + std::to_string(current) +
                               " is newer than this build supports (" +
                               std::to_string(latest_schema_version()) + ")");
    }
    for (const auto& m : migrations(dialect)) {
      if (m.version <= current) continue;
      for (const auto& sql : m.statements) or_throw(sqlite_exec(db, sql));
      auto insert = or_throw(
          sqlite_prepare(db, "INSERT INTO " + std::string(version_table) + " VALUES (?1, ?2, ?3)"));
      SqliteBinder bind(insert.get());
      bind.integer(m.version);
      bind.text(m.description);
      bind.text(utc_now());
      or_throw(sqlite_done(db, insert.get(), "record schema version"));
    }
    or_throw(sqlite_exec(db, "COMMIT"));
  } catch (...) {
    (void)sqlite_exec(db, "ROLLBACK");
    throw;
  }
}

class SqliteCommitter final : public Committer {
 public:
  SqliteCommitter(SqliteDb db, std::filesystem::path file, FileId id, int checkpoint_pages)
      : db_(std::move(db)),
        file_(std::move(file)),
        id_(id),
        checkpointer_(
            std::make_unique<SqliteCheckpointer>(file_, checkpoint_options(checkpoint_pages))) {
    checkpointer_->attach(db_.get());
    insert_consult_ = or_throw(sqlite_prepare(db_.get(), consult_insert_sql(dialect)));
    insert_feedback_ = or_throw(sqlite_prepare(db_.get(), feedback_insert_sql(dialect)));
    known_card_ = or_throw(sqlite_prepare(db_.get(), known_card_sql(dialect)));
    insert_blob_ = or_throw(sqlite_prepare(db_.get(), blob_insert_sql(dialect, 1)));
    read_head_ = or_throw(sqlite_prepare(
        db_.get(), "SELECT seq, hash FROM " + std::string(head_table) + " WHERE id = 1"));
    write_head_ = or_throw(sqlite_prepare(
        db_.get(), "UPDATE " + std::string(head_table) + " SET seq = ?1, hash = ?2 WHERE id = 1"));
  }

  std::string broken_reason() override {
    // The open connection would keep writing to an unlinked inode that no auditor will read.
    if (file_id(file_) != id_) {
      return file_.string() + " was removed or replaced while the service had it open";
    }
    return {};
  }

  void add_health(Health& health) const override {
    health.wal_checkpoints = checkpointer_->checkpoints();
    health.wal_checkpoints_in_commit = checkpointer_->writer_checkpoints();
  }

  Status commit(std::vector<QueuedRecord>& batch) override {
    // IMMEDIATE takes the write lock up front, so the head we read is the head we extend.
    if (Status s = sqlite_exec(db_.get(), "BEGIN IMMEDIATE"); !s) return s;
    std::vector<const Blob*> blobs;
    Status status = append(batch, blobs);
    if (status) status = sqlite_exec(db_.get(), "COMMIT");
    if (status) known_blobs_.committed(blobs);
    if (!status) (void)sqlite_exec(db_.get(), "ROLLBACK");
    return status;
  }

 private:
  Status append(std::vector<QueuedRecord>& batch, std::vector<const Blob*>& blobs) {
    ChainHead head;
    if (sqlite3_step(read_head_.get()) != SQLITE_ROW) {
      sqlite3_reset(read_head_.get());
      return sqlite_error(db_.get(), "read chain head");
    }
    SqliteRow row(read_head_.get());
    head.seq = row.integer(0);
    head.hash = row.text(1);
    sqlite3_reset(read_head_.get());
    // Under the write lock BEGIN IMMEDIATE took: no other writer can add the record meanwhile.
    if (Status s = join_retries(batch); !s) return s;
    blobs = known_blobs_.unknown(batch);
    for (const Blob* blob : blobs) {
      SqliteBinder bind(insert_blob_.get(), SqliteBinder::Fields::borrow);
      bind.text_field(blob->hash);
      bind.text_field(blob->body);
      if (Status s = sqlite_done(db_.get(), insert_blob_.get(), "insert blob"); !s) return s;
    }

    auto prepare = [&](Record& record) -> Status {
      auto* feedback = std::get_if<FeedbackRecord>(&record);
      if (feedback == nullptr) return Ok{};
      feedback->known_card = false;
      if (feedback->card_uuid.empty()) return Ok{};
      SqliteBinder bind(known_card_.get());
      bind.text(feedback->card_uuid);
      // Sees consults inserted earlier in this same transaction, as it should.
      const int rc = sqlite3_step(known_card_.get());
      if (rc == SQLITE_ROW) feedback->known_card = sqlite3_column_int64(known_card_.get(), 0) > 0;
      sqlite3_reset(known_card_.get());
      if (rc != SQLITE_ROW) return sqlite_error(db_.get(), "look up feedback card");
      return Ok{};
    };
    auto insert = [&](const Record& record, const ChainLink& link) -> Status {
      const bool consult = std::holds_alternative<ConsultRecord>(record);
      sqlite3_stmt* stmt = consult ? insert_consult_.get() : insert_feedback_.get();
      // `record` and `link` outlive the step; sqlite_done clears the bindings after it.
      SqliteBinder bind(stmt, SqliteBinder::Fields::borrow);
      std::visit([&](const auto& r) { bind_row(r, link, bind); }, record);
      if (bind.failed() != 0) {
        sqlite3_clear_bindings(stmt);
        return sqlite_error(db_.get(), "bind audit record");
      }
      return sqlite_done(db_.get(), stmt, consult ? "insert consult" : "insert feedback");
    };
    if (Status s = append_batch(batch, head, prepare, insert); !s) return s;

    SqliteBinder bind(write_head_.get());
    bind.integer(head.seq);
    bind.text(head.hash);
    return sqlite_done(db_.get(), write_head_.get(), "update chain head");
  }

  // Marks the retries of `batch` that join a consult already in the trail or in the batch.
  Status join_retries(std::vector<QueuedRecord>& batch) {
    std::vector<ConsultRecord> earlier;
    for (const auto& query : retry_candidate_queries(dialect, batch)) {
      auto stmt = sqlite_prepare(db_.get(), query.sql);
      if (!stmt) return std::move(stmt).error();
      SqliteBinder bind(stmt->get());
      for (const auto& p : query.params) bind.text(p);
      int rc = SQLITE_ROW;
      while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
        earlier.push_back(read_consult(SqliteRow(stmt->get())));
      }
      if (rc != SQLITE_DONE) return sqlite_error(db_.get(), "look up retried consults");
    }
    merge_by_seq(earlier);
    detail::join_retries(batch, std::move(earlier));
    return Ok{};
  }

  static CheckpointOptions checkpoint_options(int pages) {
    CheckpointOptions options;
    options.start_pages = std::clamp(pages, 1, 1 << 24);  // 16 x that still fits an int
    options.writer_pages = 16 * options.start_pages;
    return options;
  }

  SqliteDb db_;
  std::filesystem::path file_;
  FileId id_;
  // After db_: stopped before the writer connection closes, so that close (the last one) still
  // checkpoints and removes the WAL.
  std::unique_ptr<SqliteCheckpointer> checkpointer_;
  SqliteStmt insert_consult_, insert_feedback_, known_card_, insert_blob_, read_head_, write_head_;
  KnownBlobs known_blobs_;
};

// Rows of one table in seq order, as the verifier consumes them.
template <class R>
class SqliteCursor final : public ChainCursor {
 public:
  SqliteCursor(sqlite3* db, SqliteStmt stmt) : db_(db), stmt_(std::move(stmt)) {}
  Result<std::optional<ChainRow>> next() override {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_DONE) return std::optional<ChainRow>{};
    if (rc != SQLITE_ROW) return sqlite_error(db_, "read audit records");
    ChainRow row{R{}, {}};
    row.record = read_record<R>(SqliteRow(stmt_.get()), &row.link);
    return std::optional<ChainRow>(std::move(row));
  }

 private:
  sqlite3* db_;
  SqliteStmt stmt_;
};

class SqliteStore final : public BatchedStore {
 public:
  explicit SqliteStore(const StoreConfig& config)
      : BatchedStore(config, "sqlite"), file_(sqlite_file(config.data_dir)) {
    if (config.read_only) {
      // An auditor's copy must not change: no WAL switch, no migration, just a version check.
      auto reader = or_throw(reader_db());
      const auto version = or_throw(sqlite_scalar(
          reader.get(), "SELECT COALESCE(MAX(version), 0) FROM " + std::string(version_table)));
      if (version < 1 || version > latest_schema_version()) {
        throw std::runtime_error(file_.string() + ": unsupported audit schema version " +
                                 std::to_string(version));
      }
      schema_version_ = static_cast<int>(version);
      return;
    }
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      throw std::runtime_error("audit: cannot create data directory " + config.data_dir.string() +
                               ": " + ec.message());
    }
    create_private_file(file_);
    auto db = or_throw(sqlite_open(file_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    {
      const auto mode = or_throw(sqlite_prepare(db.get(), "PRAGMA journal_mode=WAL"));
      if (sqlite3_step(mode.get()) != SQLITE_ROW || SqliteRow(mode.get()).text(0) != "wal") {
        throw std::runtime_error("audit: " + file_.string() + " cannot use WAL journal mode");
      }
    }  // finalized here: an unfinished statement would block the migration's COMMIT
    // FULL: the WAL is fsynced at every commit, so "recorded" survives a power cut.
    or_throw(sqlite_exec(db.get(), "PRAGMA synchronous=FULL"));
    migrate(db.get());
    const auto id = file_id(file_);
    if (!id) throw std::runtime_error("audit: " + file_.string() + " is not a regular file");
    start_writer(
        std::make_unique<SqliteCommitter>(std::move(db), file_, *id, config.wal_checkpoint_pages));
  }

  Result<std::vector<ConsultRecord>> find_consults(const Query& query) override {
    return select<ConsultRecord>(consult_query(dialect, query, config_, schema_version_));
  }

  Result<std::vector<FeedbackRecord>> find_feedback(const FeedbackQuery& query) override {
    return select<FeedbackRecord>(feedback_query(dialect, query));
  }

  Result<VerifyResult> verify_chain() override {
    auto db = reader_db();
    if (!db) return std::move(db).error();
    // One read transaction: head and both tables from the same snapshot.
    if (Status s = sqlite_exec(db->get(), "BEGIN"); !s) return std::move(s).error();
    ChainHead head;
    {
      auto stmt = sqlite_prepare(db->get(), "SELECT seq, hash FROM " + std::string(head_table));
      if (!stmt) return std::move(stmt).error();
      if (sqlite3_step(stmt->get()) == SQLITE_ROW) {
        head.seq = SqliteRow(stmt->get()).integer(0);
        head.hash = SqliteRow(stmt->get()).text(1);
      }
    }
    auto consults =
        cursor<ConsultRecord>(db->get(), consult_select_list(schema_version_), consults_table);
    if (!consults) return std::move(consults).error();
    auto feedback = cursor<FeedbackRecord>(db->get(), feedback_select_list(), feedback_table);
    if (!feedback) return std::move(feedback).error();
    auto blobs = blob_lookup(db->get());
    if (!blobs) return std::move(blobs).error();
    return detail::verify_chain(**consults, **feedback, head, std::move(blobs).value());
  }

 private:
  Result<SqliteDb> reader_db() const {
    auto db = sqlite_open(file_, SQLITE_OPEN_READONLY);
    if (db) (void)sqlite_exec(db->get(), "PRAGMA query_only=1");
    return db;
  }

  // Blobs from `db` (while it is open); a trail before schema 4 has none.
  Result<BlobLookup> blob_lookup(sqlite3* db) const {
    if (schema_version_ < 4) {
      return BlobLookup([](const std::string&) -> Result<std::optional<std::string>> {
        return std::optional<std::string>{};
      });
    }
    auto stmt = sqlite_prepare(db, blob_select_sql(dialect));
    if (!stmt) return std::move(stmt).error();
    auto shared = std::make_shared<SqliteStmt>(std::move(stmt).value());
    return BlobLookup([db, shared](const std::string& hash) -> Result<std::optional<std::string>> {
      sqlite3_stmt* select = shared->get();
      SqliteBinder bind(select);
      bind.text(hash);
      const int rc = sqlite3_step(select);
      std::optional<std::string> body;
      if (rc == SQLITE_ROW) body = SqliteRow(select).text(0);
      sqlite3_reset(select);
      sqlite3_clear_bindings(select);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_error(db, "read audit blob");
      return body;
    });
  }

  template <class R>
  static Result<std::unique_ptr<ChainCursor>> cursor(sqlite3* db, const std::string& columns,
                                                     std::string_view table) {
    auto stmt =
        sqlite_prepare(db, "SELECT " + columns + " FROM " + std::string(table) + " ORDER BY seq");
    if (!stmt) return std::move(stmt).error();
    return std::unique_ptr<ChainCursor>(
        std::make_unique<SqliteCursor<R>>(db, std::move(stmt).value()));
  }

  template <class R>
  Result<std::vector<R>> select(const SqlQuery& query) const {
    auto db = reader_db();
    if (!db) return std::move(db).error();
    // One snapshot for the rows and the blobs they name.
    if (Status s = sqlite_exec(db->get(), "BEGIN"); !s) return std::move(s).error();
    auto stmt = sqlite_prepare(db->get(), query.sql);
    if (!stmt) return std::move(stmt).error();
    SqliteBinder bind(stmt->get());
    for (const auto& p : query.params) bind.text(p);
    std::vector<R> out;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
      SqliteRow row(stmt->get());
      out.push_back(read_record<R>(row));
    }
    if (rc != SQLITE_DONE) return sqlite_error(db->get(), "query audit records");
    if constexpr (std::is_same_v<R, ConsultRecord>) {
      auto lookup = blob_lookup(db->get());
      if (!lookup) return std::move(lookup).error();
      BlobReader blobs(std::move(lookup).value());
      for (auto& record : out) {
        if (Status s = expand_texts(record, blobs); !s) return std::move(s).error();
      }
    }
    return out;
  }

  std::filesystem::path file_;
};

}  // namespace

std::filesystem::path sqlite_file(const std::filesystem::path& data_dir) {
  return data_dir / "audit.sqlite3";
}

std::unique_ptr<Store> open_sqlite_store(const StoreConfig& config) {
  return std::make_unique<SqliteStore>(config);
}

}  // namespace vcf_cds::audit::detail

#include "audit/sqlite_checkpoint.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace vcf_cds::audit::detail {

SqliteCheckpointer::SqliteCheckpointer(const std::filesystem::path& file, CheckpointOptions options)
    : options_(options) {
  auto db = sqlite_open(file, SQLITE_OPEN_READWRITE);
  if (!db) throw std::runtime_error(db.error().message);
  db_ = std::move(db).value();
  // FULL: a checkpoint syncs the WAL before copying it and the database file after, as the
  // writer's own checkpoints did; the WAL stays the durable copy until then. A small cache: it
  // copies frames through a one-page buffer and never reads the tables, so SQLite's default
  // 2 MiB page cache would only hold memory.
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA cache_size=-64"}) {
    if (Status s = sqlite_exec(db_.get(), pragma); !s) throw std::runtime_error(s.error().message);
  }
  thread_ = std::thread([this] { run(); });
}

SqliteCheckpointer::~SqliteCheckpointer() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void SqliteCheckpointer::attach(sqlite3* writer) {
  // Replaces the connection's automatic checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(writer, &SqliteCheckpointer::on_commit, this);
}

int SqliteCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto& checkpointer = *static_cast<SqliteCheckpointer*>(self);
  if (pages >= checkpointer.options_.writer_pages) {
    // PASSIVE, as SQLite's automatic checkpoint: returns SQLITE_BUSY at once while the thread is
    // mid-checkpoint, which is fine: the WAL is being copied already.
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      checkpointer.writer_checkpoints_.fetch_add(1, std::memory_order_relaxed);
    }
    return SQLITE_OK;  // a failed checkpoint must not fail the commit that triggered it
  }
  if (pages >= checkpointer.options_.start_pages &&
      !checkpointer.requested_.exchange(true, std::memory_order_acq_rel)) {
    { const std::lock_guard lock(checkpointer.mutex_); }  // the thread is waiting or will look
    checkpointer.wake_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || requested_.load(std::memory_order_acquire); });
    if (stop_) return;
    lock.unlock();
    // Cleared first: a commit during this checkpoint asks for the next one. When there is
    // nothing new to copy, a checkpoint only takes and releases its locks.
    requested_.store(false, std::memory_order_release);
    const int rc =
        sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
      if (!last_failure_.empty()) spdlog::info("audit WAL checkpoints work again");
      last_failure_.clear();
    } else if (rc != SQLITE_BUSY) {
      // The commits are durable in the WAL regardless; a full disk or an I/O error here shows
      // up in the writer's next commit too. Said once, not at every commit.
      std::string failure = sqlite3_errmsg(db_.get());
      if (failure != last_failure_) spdlog::warn("audit WAL checkpoint failed: {}", failure);
      last_failure_ = std::move(failure);
    }
    lock.lock();
  }
}

}  // namespace vcf_cds::audit::detail

// Background WAL checkpoints for the SQLite audit store.
//
// Every commit appends the batch to the WAL and fsyncs it; a checkpoint later copies those pages
// into the database file (reading them back from the WAL, writing them, fsyncing the file).
// SQLite runs that copy on the committing connection by default, i.e. on the group committer's
// thread, which is the serial stage of every audit commit: while it checkpoints, no consult can
// commit. This class runs the checkpoints on a thread and connection of their own instead, and
// leaves the writer only a fallback for when that thread falls far behind (bench/RESULTS.md).
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "audit/sqlite_db.hpp"

namespace vcf_cds::audit::detail {

// Sizes in WAL pages (frames). Past start_pages (SQLite's own autocheckpoint size) a commit wakes
// the thread, which copies whatever the WAL holds that it has not copied yet; under a steady
// stream of commits that is what arrived during its previous checkpoint, so it copies in small
// steady steps. (Waiting for 1,000 new frames each time wrote about as much, but in 4 MB bursts
// whose fsync held up the commits' own: p99.9 18 → 30 ms, bench/RESULTS.md.)
//
// The WAL starts over from its beginning only when a commit begins with every frame copied. With
// few commits that happens after the thread's checkpoint; under a steady stream the thread never
// quite catches up, and the committing connection checkpoints the last few frames itself once
// the WAL reaches writer_pages (64 MiB with the defaults), as SQLite would by default. That also
// bounds the WAL if the thread fails. It is not a hard bound: while the thread is mid-checkpoint
// the commit's PASSIVE checkpoint is busy, and the WAL grows by what commits append until the
// thread's fsync returns (on a slow disk, noticeably: tests/unit/audit/sqlite_store_test.cpp).
struct CheckpointOptions {
  int start_pages = 1000;
  int writer_pages = 16000;
};

class SqliteCheckpointer {
 public:
  // Opens the thread's own connection to `file` (a WAL-mode database); throws
  // std::runtime_error when it cannot.
  SqliteCheckpointer(const std::filesystem::path& file, CheckpointOptions options);
  // Stops and joins the thread and closes its connection.
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Replaces the writer connection's automatic checkpoints with this thread. The hook runs on
  // the writer's thread after each commit; `this` must outlive the writer's commits.
  void attach(sqlite3* writer);

  std::uint64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }
  std::uint64_t writer_checkpoints() const {
    return writer_checkpoints_.load(std::memory_order_relaxed);
  }

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void run();

  CheckpointOptions options_;
  SqliteDb db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;                   // guarded by mutex_
  std::atomic<bool> requested_{false};  // a commit saw the WAL past start_pages
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> writer_checkpoints_{0};
  std::string last_failure_;  // thread only: log a failure once until it changes or clears
  std::thread thread_;        // started at the end of the constructor, joined by the destructor
};

}  // namespace vcf_cds::audit::detail

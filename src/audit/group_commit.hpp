// Group commit: one writer thread owns the database connection and appends, in one transaction,
// every record that concurrent callers queued while the previous transaction was committing.
// A caller learns the outcome once: from the writer after the commit, at once when the queue is
// full or the store broken, or from the watchdog when its records are still queued at the
// timeout: Error{unavailable}, and those records are then never committed. Records already in a
// transaction get that transaction's outcome, however long it takes (the PostgreSQL statement
// timeout and SQLite's busy timeout bound it), so the trail holds exactly the consults whose
// callers were told "recorded": an answer of 503 never leaves a record behind. `submit` blocks
// for that answer; `submit_async` hands it to a callback, so no thread waits on the disk.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/record.hpp"
#include "common/log_limiter.hpp"
#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit::detail {

// The backend half; every call happens on the writer thread.
class Committer {
 public:
  virtual ~Committer() = default;
  // Appends `batch` (queue order) to the chain in one durable transaction, setting seq and
  // store-set fields. An error fails every record of the batch and leaves nothing committed.
  virtual Status commit(std::vector<QueuedRecord>& batch) = 0;
  // Checked before each batch; a non-empty reason marks the store broken until restart
  // (e.g. the database file was replaced: commits would go to a file no auditor will read).
  virtual std::string broken_reason() { return {}; }
  // Backend counters for Store::health(); called from any thread.
  virtual void add_health(Health&) const {}
};

struct Limits {
  std::size_t max_queue_records = 10000;
  std::size_t max_batch_records = 1000;
  std::chrono::milliseconds commit_timeout{5000};
};

// Where the commit timeout reads the time: steady_clock, unless a test injects a clock it moves.
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

class GroupCommitter {
 public:
  GroupCommitter(std::unique_ptr<Committer> committer, Limits limits, std::string backend,
                 SteadyNow now = {});
  ~GroupCommitter();  // commits what is queued, then stops the writer
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  using Done = std::function<void(Status)>;
  // The joins of a call's retries (QueuedRecord::joined), in record order, once committed.
  using Joins = std::vector<JoinedRetry>;
  using CallDone = std::function<void(Result<Joins>)>;

  Status submit(std::vector<QueuedRecord> records);
  // `done` runs exactly once, on the caller's thread (refused at once), the writer thread
  // (committed or failed) or the watchdog thread (timed out while queued: never committed); it
  // must not block.
  void submit_async(std::vector<QueuedRecord> records, Done done);
  // The same, answering with the records that joined an earlier one instead of being appended.
  void submit_call_async(std::vector<QueuedRecord> records, CallDone done);
  void flush();
  Health health() const;

 private:
  // The caller's callback behind a state shared by the writer and the watchdog: queued, then
  // either claimed by the writer for a transaction (only the writer answers it from then on) or
  // answered (by the watchdog while still queued, or by a refusal). One transition wins.
  struct Answer {
    enum : int { queued, claimed, answered };
    explicit Answer(CallDone d) : done(std::move(d)) {}
    // The writer takes the records into a transaction; false: the watchdog answered first.
    bool claim() {
      int expected = queued;
      return state.compare_exchange_strong(expected, claimed);
    }
    // The watchdog: answers only records still queued (they will be dropped, not committed).
    void time_out(Error status) {
      int expected = queued;
      if (state.compare_exchange_strong(expected, answered)) call(std::move(status));
    }
    // Refusal (queued) or the transaction's outcome (claimed).
    void give(Result<Joins> status) {
      if (state.exchange(answered) != answered) call(std::move(status));
    }
    bool open() const { return state.load() != answered; }
    // Only the winner gets here, so only it touches `done`; it lets go of the callback at once
    // (it may hold a tracked executor that keeps a shutdown waiting).
    void call(Result<Joins> status) {
      const CallDone callback = std::move(done);
      done = nullptr;
      callback(std::move(status));
    }
    std::atomic<int> state{queued};
    CallDone done;
  };
  struct Ticket {
    std::vector<QueuedRecord> records;
    std::shared_ptr<Answer> answer;
  };
  struct Deadline {
    std::chrono::steady_clock::time_point at;
    std::shared_ptr<Answer> answer;
  };

  void run();
  void watch();
  void commit_batch(std::vector<Ticket>& tickets);
  void fail_all(std::vector<Ticket>& tickets, const Error& error);

  std::unique_ptr<Committer> committer_;
  const Limits limits_;
  const SteadyNow now_;
  // An outage fails batch after batch alike: one error line per window, with the count.
  common::LogLimiter failure_log_;
  mutable std::mutex mutex_;
  std::condition_variable work_;  // writer: queue non-empty or stopping
  std::condition_variable idle_;  // flush: queue empty and writer idle
  std::deque<Ticket> queue_;
  std::size_t queued_records_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  std::uint64_t calls_ = 0;  // tickets submitted: each one call (QueuedRecord::call)
  std::string broken_;
  Health stats_;
  // Submission order is deadline order (one fixed timeout), so the watchdog only looks at the
  // front. Its own lock: a commit holding the writer never delays a timeout.
  std::mutex deadlines_mutex_;
  std::condition_variable deadlines_changed_;
  std::deque<Deadline> deadlines_;
  bool watchdog_stopping_ = false;
  std::thread writer_;  // last two: start once everything above is initialised
  std::thread watchdog_;
};

}  // namespace vcf_cds::audit::detail

// Group commit: one writer thread owns the database connection and appends, in one transaction,
// every record that concurrent callers queued while the previous transaction was committing.
// Callers block until their records are committed; a full queue, a broken store or a commit that
// outlasts the timeout returns Error{unavailable} instead of waiting (CONTRACT §6: 503, no hang).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/record.hpp"
#include "vcf_cds/audit.hpp"

namespace vcf_cds::audit::detail {

// The backend half; every call happens on the writer thread.
class Committer {
 public:
  virtual ~Committer() = default;
  // Appends `batch` (queue order) to the chain in one durable transaction, setting seq and
  // store-set fields. An error fails every record of the batch and leaves nothing committed.
  virtual Status commit(std::vector<Record>& batch) = 0;
  // Checked before each batch; a non-empty reason marks the store broken until restart
  // (e.g. the database file was replaced: commits would go to a file no auditor will read).
  virtual std::string broken_reason() { return {}; }
};

struct Limits {
  std::size_t max_queue_records = 10000;
  std::size_t max_batch_records = 1000;
  std::chrono::milliseconds commit_timeout{5000};
};

class GroupCommitter {
 public:
  GroupCommitter(std::unique_ptr<Committer> committer, Limits limits, std::string backend);
  ~GroupCommitter();  // commits what is queued, then stops the writer
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  Status submit(std::vector<Record> records);
  void flush();
  Health health() const;

 private:
  struct Ticket {
    std::vector<Record> records;
    std::promise<Status> done;
  };

  void run();
  void commit_batch(std::vector<Ticket>& tickets);
  void fail_all(std::vector<Ticket>& tickets, const Error& error);

  std::unique_ptr<Committer> committer_;
  const Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable work_;  // writer: queue non-empty or stopping
  std::condition_variable idle_;  // flush: queue empty and writer idle
  std::deque<Ticket> queue_;
  std::size_t queued_records_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  std::string broken_;
  Health stats_;
  std::thread writer_;  // last: starts once everything above is initialised
};

}  // namespace vcf_cds::audit::detail

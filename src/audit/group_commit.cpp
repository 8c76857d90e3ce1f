#include "audit/group_commit.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <optional>

namespace vcf_cds::audit::detail {
namespace {

Error unavailable(std::string message) {
  return make_error(ErrorCode::unavailable, "audit", std::move(message));
}

}  // namespace

GroupCommitter::GroupCommitter(std::unique_ptr<Committer> committer, Limits limits,
                               std::string backend, SteadyNow now)
    : committer_(std::move(committer)),
      limits_(limits),
      now_(now ? std::move(now) : SteadyNow([] { return std::chrono::steady_clock::now(); })) {
  stats_.backend = std::move(backend);
  stats_.writable = true;
  writer_ = std::thread([this] { run(); });
  watchdog_ = std::thread([this] { watch(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  writer_.join();  // every queued ticket has been answered by now
  {
    std::lock_guard lock(deadlines_mutex_);
    watchdog_stopping_ = true;
  }
  deadlines_changed_.notify_all();
  watchdog_.join();
}

Status GroupCommitter::submit(std::vector<QueuedRecord> records) {
  std::promise<Status> promise;
  auto answer = promise.get_future();
  submit_async(std::move(records),
               [&promise](Status status) { promise.set_value(std::move(status)); });
  return answer.get();  // the watchdog bounds the wait by commit_timeout
}

void GroupCommitter::submit_async(std::vector<QueuedRecord> records, Done done) {
  submit_call_async(std::move(records), [done = std::move(done)](Result<Joins> answer) {
    if (!answer) return done(std::move(answer).error());
    done(Ok{});
  });
}

void GroupCommitter::submit_call_async(std::vector<QueuedRecord> records, CallDone done) {
  if (records.empty()) {
    done(Joins{});
    return;
  }
  const std::size_t count = records.size();
  auto answer = std::make_shared<Answer>(std::move(done));
  std::optional<Error> refused;
  {
    std::lock_guard lock(mutex_);
    // Fail fast: a caller holding an HTTP response must get its 503 now, not after a timeout.
    if (!broken_.empty()) {
      refused = unavailable("audit store is broken: " + broken_);
    } else if (stopping_) {
      refused = unavailable("audit store is shutting down");
    } else if (queued_records_ + count > limits_.max_queue_records) {
      refused = unavailable("audit queue is full (" + std::to_string(queued_records_) +
                            " records waiting)");
    } else {
      ++calls_;
      for (auto& record : records) record.call = calls_;
      queue_.push_back(Ticket{std::move(records), answer});
      queued_records_ += count;
      stats_.queue_depth = queued_records_;
    }
  }
  if (refused) {
    answer->give(std::move(*refused));
    return;
  }
  work_.notify_one();
  bool first = false;
  {
    std::lock_guard lock(deadlines_mutex_);
    // Commits answer in submission order, so answered entries gather at the front: drop them
    // here and the list stays as short as the number of calls in flight.
    while (!deadlines_.empty() && !deadlines_.front().answer->open()) deadlines_.pop_front();
    first = deadlines_.empty();
    deadlines_.push_back({now_() + limits_.commit_timeout, answer});
  }
  if (first) deadlines_changed_.notify_one();
}

void GroupCommitter::watch() {
  std::unique_lock lock(deadlines_mutex_);
  for (;;) {
    while (!deadlines_.empty() && !deadlines_.front().answer->open()) deadlines_.pop_front();
    if (watchdog_stopping_) return;
    if (deadlines_.empty()) {
      deadlines_changed_.wait(lock);
      continue;
    }
    const auto front = deadlines_.front();
    if (const auto now = now_(); now < front.at) {
      // Re-checked on wake: the front may have been answered meanwhile. A relative wait, so
      // an injected clock's time need not be steady_clock's.
      deadlines_changed_.wait_for(lock, front.at - now);
      continue;
    }
    deadlines_.pop_front();
    lock.unlock();
    front.answer->time_out(unavailable("audit commit did not start within " +
                                       std::to_string(limits_.commit_timeout.count()) + " ms"));
    lock.lock();
  }
}

void GroupCommitter::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

Health GroupCommitter::health() const {
  std::lock_guard lock(mutex_);
  Health health = stats_;
  health.writable = broken_.empty() && stats_.last_error.empty() && !stopping_;
  committer_->add_health(health);
  return health;
}

void GroupCommitter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and everything queued has been handled
    // Take whole tickets up to the batch limit (at least one, however large).
    std::vector<Ticket> tickets;
    std::size_t taken = 0;
    while (!queue_.empty() && (tickets.empty() || taken + queue_.front().records.size() <=
                                                      limits_.max_batch_records)) {
      taken += queue_.front().records.size();
      // A ticket the watchdog answered (503) is dropped: its records must not reach the trail.
      if (queue_.front().answer->claim()) tickets.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_records_ -= taken;
    stats_.queue_depth = queued_records_;
    busy_ = true;
    const std::string broken = broken_;
    lock.unlock();

    // Tickets that all timed out while queued leave nothing to commit.
    if (!tickets.empty() && !broken.empty()) {
      fail_all(tickets, unavailable("audit store is broken: " + broken));
    } else if (!tickets.empty()) {
      commit_batch(tickets);
    }

    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
  idle_.notify_all();
}

void GroupCommitter::commit_batch(std::vector<Ticket>& tickets) {
  if (std::string reason = committer_->broken_reason(); !reason.empty()) {
    if (const auto left_out = failure_log_.admit()) {
      spdlog::error("audit store broken: {}{}", reason, common::LogLimiter::left_out(*left_out));
    }
    {
      std::lock_guard lock(mutex_);
      broken_ = reason;
      stats_.last_error = reason;
    }
    fail_all(tickets, unavailable("audit store is broken: " + reason));
    return;
  }

  std::vector<QueuedRecord> batch;
  for (auto& ticket : tickets) {
    for (auto& record : ticket.records) batch.push_back(std::move(record));
  }
  const auto started = std::chrono::steady_clock::now();
  Status status = Ok{};
  try {
    status = committer_->commit(batch);
  } catch (const std::exception& e) {  // the writer thread must outlive any one batch
    status = unavailable(std::string("audit commit failed: ") + e.what());
  }
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;

  {
    std::lock_guard lock(mutex_);
    stats_.last_commit_ms = took.count();
    if (status) {
      ++stats_.commits;
      for (const auto& record : batch) stats_.records += record.joined ? 0 : 1;
      stats_.last_error.clear();
    } else {
      stats_.last_error = status.error().message;
    }
  }
  if (!status) {
    if (const auto left_out = failure_log_.admit()) {
      spdlog::error("audit commit of {} records failed: {}{}", batch.size(), status.error().message,
                    common::LogLimiter::left_out(*left_out));
    }
    // Whatever the database said, the caller's answer is 503: the consult was not recorded.
    fail_all(tickets, unavailable(status.error().message));
    return;
  }
  // Each ticket's records are a slice of the batch, in ticket order.
  std::size_t at = 0;
  for (auto& ticket : tickets) {
    Joins joins;
    for (std::size_t i = 0; i < ticket.records.size(); ++i, ++at) {
      if (batch[at].joined) joins.push_back(std::move(*batch[at].joined));
    }
    ticket.answer->give(std::move(joins));
  }
}

void GroupCommitter::fail_all(std::vector<Ticket>& tickets, const Error& error) {
  for (auto& ticket : tickets) ticket.answer->give(error);
}

}  // namespace vcf_cds::audit::detail

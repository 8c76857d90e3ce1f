#include "audit/group_commit.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "fakes/manual_clock.hpp"
#include "unit/audit/audit_samples.hpp"

namespace {

using namespace vcf_cds::audit::detail;
using namespace std::chrono_literals;
using vcf_cds::ErrorCode;
using vcf_cds::Status;
using vcf_cds::testing::fakes::ManualSteadyClock;

// A committer whose behaviour the test steers; counts what it was given.
struct FakeState {
  // Each commit first signals `entered`, then waits for `gate` (open unless a test closes it).
  std::promise<void> entered;
  std::atomic<bool> entered_once{false};
  std::shared_future<void> gate = ready();
  static std::shared_future<void> ready() {
    std::promise<void> open;
    open.set_value();
    return open.get_future().share();
  }
  std::atomic<int> batches{0};
  std::atomic<int> records{0};
  std::atomic<bool> fail_next{false};
  std::atomic<bool> broken{false};
};

class FakeCommitter final : public Committer {
 public:
  explicit FakeCommitter(FakeState& state) : state_(state) {}
  Status commit(std::vector<QueuedRecord>& batch) override {
    if (!state_.entered_once.exchange(true)) state_.entered.set_value();
    state_.gate.wait();
    if (state_.fail_next.exchange(false)) {
      return vcf_cds::make_error(ErrorCode::internal, "", "disk full");
    }
    ++state_.batches;
    state_.records += static_cast<int>(batch.size());
    return vcf_cds::Ok{};
  }
  std::string broken_reason() override { return state_.broken ? "file replaced" : ""; }

 private:
  FakeState& state_;
};

// The first commit waits at the gate until `open()`; `held()` returns once it is there.
// Declare it after the committer: leaving the scope (a failed REQUIRE too) opens the gate
// before the committer joins its writer.
struct HeldCommit {
  std::promise<void> gate;
  std::future<void> entered;
  explicit HeldCommit(FakeState& state) : entered(state.entered.get_future()) {
    state.gate = gate.get_future().share();
  }
  void held() { entered.wait(); }
  void open() { gate.set_value(); }
};

std::vector<QueuedRecord> records(int n) {
  std::vector<QueuedRecord> out;
  for (int i = 1; i <= n; ++i) out.push_back(queue_record(vcf_cds::testing::sample_consult(i)));
  return out;
}

// Collects the answers given to submit_async callbacks, from whatever thread gives them.
struct Answers {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Status> given;
  std::vector<std::thread::id> threads;

  GroupCommitter::Done callback() {
    return [this](Status status) {
      std::lock_guard lock(mutex);
      given.push_back(std::move(status));
      threads.push_back(std::this_thread::get_id());
      changed.notify_all();
    };
  }
  void wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return given.size() >= count; });
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return given.size();
  }
};

// A ticket of `size` records is held in its commit while `behind` more of that size queue up;
// then the commits run and every caller is answered.
void queue_behind_held_commit(GroupCommitter& committer, FakeState& state, int size, int behind) {
  Answers answers;
  HeldCommit held(state);
  committer.submit_async(records(size), answers.callback());
  held.held();
  for (int i = 0; i < behind; ++i) committer.submit_async(records(size), answers.callback());
  held.open();
  answers.wait_for(static_cast<std::size_t>(behind) + 1);
  committer.flush();
}

Limits limits(std::chrono::milliseconds timeout = 5000ms) {
  Limits l;
  l.commit_timeout = timeout;
  return l;
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE(
      "group commit: past the timeout -> records in the transaction get its outcome, records "
      "still queued get 503 and never reach the trail") {
    FakeState state;
    const ManualSteadyClock clock;
    Answers answers;
    {
      GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(20ms), "fake",
                               clock.fn());
      HeldCommit held(state);
      committer.submit_async(records(1), answers.callback());  // in a transaction, at the gate
      held.held();
      committer.submit_async(records(2), answers.callback());  // queued behind it
      // The watchdog looks at the clock twice after both deadlines were set: it has decided at
      // least once with the clock short of them, and answered nobody.
      clock.advance(19ms);
      clock.wait_for_reads(clock.reads() + 2);
      CHECK(answers.size() == 0);
      clock.advance(1ms);  // the deadline: only the queued ticket can be answered now
      answers.wait_for(1);
      {
        std::lock_guard lock(answers.mutex);
        REQUIRE_FALSE(answers.given[0]);
        CHECK(answers.given[0].error().code == ErrorCode::unavailable);
        CHECK(answers.given[0].error().message.find("did not start within 20 ms") !=
              std::string::npos);
      }
      held.open();
      answers.wait_for(2);
      committer.flush();
    }  // writer and watchdog joined: no answer can still arrive
    REQUIRE(answers.given.size() == 2);
    CHECK(answers.given[1]);    // the held transaction committed, and said so
    CHECK(state.records == 1);  // the 503'd records were dropped, not committed late
    CHECK(state.batches == 1);
  }

  TEST_CASE("group commit: commit error -> callers get unavailable, next batch commits") {
    FakeState state;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(), "fake");
    state.fail_next = true;
    Status failed = committer.submit(records(2));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == ErrorCode::unavailable);  // whatever code the backend used
    CHECK(failed.error().message == "disk full");
    CHECK_FALSE(committer.health().writable);
    CHECK(committer.submit(records(3)));
    CHECK(committer.health().writable);
    CHECK(committer.health().records == 3);
    CHECK(committer.health().commits == 1);
  }

  TEST_CASE("group commit: store broken -> this and later calls fail fast, on the caller") {
    FakeState state;
    Answers answers;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(), "fake");
    state.broken = true;
    CHECK(committer.submit(records(1)).error().message.find("file replaced") != std::string::npos);
    // Refused before submit_async returns, on this thread: it never reached the writer.
    committer.submit_async(records(1), answers.callback());
    std::lock_guard lock(answers.mutex);
    REQUIRE(answers.given.size() == 1);
    CHECK(answers.threads[0] == std::this_thread::get_id());
    CHECK(answers.given[0].error().code == ErrorCode::unavailable);
    CHECK(state.batches == 0);
    CHECK_FALSE(committer.health().writable);
  }

  TEST_CASE("group commit: callers arriving during a commit -> share the next transaction") {
    FakeState state;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(), "fake");
    queue_behind_held_commit(committer, state, 1, 9);
    CHECK(state.records == 10);
    CHECK(state.batches == 2);  // the first alone, the nine that arrived meanwhile together
  }

  TEST_CASE("group commit: batch limit -> a large queue is split into transactions") {
    FakeState state;
    Limits l = limits();
    l.max_batch_records = 4;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), l, "fake");
    queue_behind_held_commit(committer, state, 3, 5);
    CHECK(state.records == 18);
    CHECK(state.batches == 6);  // whole tickets of 3, at most 4 records each: one per batch
  }

  TEST_CASE("group commit async: committed -> answered once with ok, off the caller's thread") {
    FakeState state;
    Answers answers;
    {
      GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(), "fake");
      HeldCommit held(state);
      for (int i = 0; i < 5; ++i) committer.submit_async(records(1), answers.callback());
      held.held();
      CHECK(answers.size() == 0);  // every submit returned while the disk was held: nobody waited
      held.open();
      answers.wait_for(5);
      committer.flush();
    }  // writer and watchdog joined: a second answer would have arrived by now
    CHECK(answers.given.size() == 5);
    for (std::size_t i = 0; i < answers.given.size(); ++i) {
      CHECK(answers.given[i]);
      CHECK(answers.threads[i] != std::this_thread::get_id());
    }
    CHECK(state.records == 5);
  }

  TEST_CASE("group commit async: broken store or full queue -> answered at once on the caller") {
    FakeState state;
    Limits l = limits();
    l.max_queue_records = 2;
    Answers answers;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), l, "fake");
    HeldCommit held(state);
    committer.submit_async(records(1), answers.callback());  // taken by the writer (held)
    held.held();
    committer.submit_async(records(2), answers.callback());  // fills the queue
    committer.submit_async(records(1), answers.callback());  // refused: queue full
    {
      std::lock_guard lock(answers.mutex);
      REQUIRE(answers.given.size() == 1);
      CHECK(answers.threads[0] == std::this_thread::get_id());
      REQUIRE_FALSE(answers.given[0]);
      CHECK(answers.given[0].error().message.find("queue is full") != std::string::npos);
    }
    held.open();
    answers.wait_for(3);
    committer.flush();
    state.broken = true;
    committer.submit_async(records(1), answers.callback());  // the writer finds it broken
    answers.wait_for(4);
    committer.submit_async(records(1), answers.callback());  // now refused at once
    std::lock_guard lock(answers.mutex);
    REQUIRE(answers.given.size() == 5);
    CHECK(answers.threads[4] == std::this_thread::get_id());
    CHECK(answers.given[4].error().message.find("broken") != std::string::npos);
  }

  TEST_CASE("group commit async: an answered callback is released at once, not at its deadline") {
    // The HTTP layer's callback holds a tracked executor: kept alive until the deadline, it
    // would hold a graceful shutdown open for the whole commit timeout. The clock never moves,
    // so the deadline never comes.
    FakeState state;
    const ManualSteadyClock clock;
    Answers answers;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(5000ms), "fake",
                             clock.fn());
    auto sentinel = std::make_shared<int>(0);
    std::weak_ptr<int> watch = sentinel;
    auto record = answers.callback();
    committer.submit_async(
        records(1), [sentinel = std::move(sentinel), record](Status s) { record(std::move(s)); });
    answers.wait_for(1);
    committer.flush();
    CHECK(watch.expired());
  }
}

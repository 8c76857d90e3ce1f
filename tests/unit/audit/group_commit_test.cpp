#include "audit/group_commit.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "unit/audit/audit_samples.hpp"

namespace {

using namespace vcf_cds::audit::detail;
using namespace std::chrono_literals;
using vcf_cds::ErrorCode;
using vcf_cds::Status;

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
  std::atomic<int> delay_ms{0};
  std::atomic<bool> broken{false};
};

class FakeCommitter final : public Committer {
 public:
  explicit FakeCommitter(FakeState& state) : state_(state) {}
  Status commit(std::vector<QueuedRecord>& batch) override {
    if (!state_.entered_once.exchange(true)) state_.entered.set_value();
    state_.gate.wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(state_.delay_ms.load()));
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
  bool wait_for(std::size_t count, std::chrono::milliseconds limit = 2000ms) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, limit, [&] { return given.size() >= count; });
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return given.size();
  }
};

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
    std::promise<void> open;
    state.gate = open.get_future().share();
    auto entered = state.entered.get_future();
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(20ms), "fake");
    Answers answers;
    committer.submit_async(records(1), answers.callback());  // in a transaction, held at the gate
    entered.wait();
    committer.submit_async(records(2), answers.callback());  // queued behind it
    REQUIRE(answers.wait_for(1, 10'000ms));  // only the queued one can be answered now
    {
      std::lock_guard lock(answers.mutex);
      REQUIRE_FALSE(answers.given[0]);
      CHECK(answers.given[0].error().code == ErrorCode::unavailable);
      CHECK(answers.given[0].error().message.find("did not start within 20 ms") !=
            std::string::npos);
    }
    open.set_value();
    REQUIRE(answers.wait_for(2, 10'000ms));
    committer.flush();
    std::lock_guard lock(answers.mutex);
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

  TEST_CASE("group commit: store broken -> this and later calls fail fast") {
    FakeState state;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(), "fake");
    state.broken = true;
    CHECK(committer.submit(records(1)).error().message.find("file replaced") != std::string::npos);
    const auto started = std::chrono::steady_clock::now();
    CHECK(committer.submit(records(1)).error().code == ErrorCode::unavailable);
    CHECK(std::chrono::steady_clock::now() - started < 50ms);
    CHECK(state.batches == 0);
    CHECK_FALSE(committer.health().writable);
  }

  TEST_CASE("group commit: callers arriving during a commit -> share the next transaction") {
    FakeState state;
    state.delay_ms = 100;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(), "fake");
    std::vector<std::thread> callers;
    for (int i = 0; i < 10; ++i) {
      callers.emplace_back([&] { CHECK(committer.submit(records(1))); });
    }
    for (auto& c : callers) c.join();
    CHECK(state.records == 10);
    CHECK(state.batches <= 3);  // the first alone, the rest while it slept (allow one straggler)
  }

  TEST_CASE("group commit: batch limit -> a large queue is split into transactions") {
    FakeState state;
    state.delay_ms = 50;
    Limits l = limits();
    l.max_batch_records = 4;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), l, "fake");
    std::vector<std::thread> callers;
    for (int i = 0; i < 6; ++i) {
      callers.emplace_back([&] { CHECK(committer.submit(records(3))); });
    }
    for (auto& c : callers) c.join();
    CHECK(state.records == 18);
    CHECK(state.batches >= 5);  // whole tickets of 3, at most 4 records each: one per batch
  }

  TEST_CASE("group commit async: committed -> answered once with ok, off the caller's thread") {
    FakeState state;
    state.delay_ms = 50;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(), "fake");
    Answers answers;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) committer.submit_async(records(1), answers.callback());
    CHECK(std::chrono::steady_clock::now() - started < 40ms);  // nobody waited for the disk
    REQUIRE(answers.wait_for(5));
    committer.flush();
    std::this_thread::sleep_for(20ms);  // a second answer would have arrived by now
    std::lock_guard lock(answers.mutex);
    CHECK(answers.given.size() == 5);
    for (std::size_t i = 0; i < answers.given.size(); ++i) {
      CHECK(answers.given[i]);
      CHECK(answers.threads[i] != std::this_thread::get_id());
    }
    CHECK(state.records == 5);
  }

  TEST_CASE("group commit async: broken store or full queue -> answered at once on the caller") {
    FakeState state;
    state.delay_ms = 200;
    Limits l = limits();
    l.max_queue_records = 2;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), l, "fake");
    Answers answers;
    committer.submit_async(records(1), answers.callback());  // taken by the writer (sleeps)
    std::this_thread::sleep_for(50ms);
    committer.submit_async(records(2), answers.callback());  // fills the queue
    committer.submit_async(records(1), answers.callback());  // refused: queue full
    {
      std::lock_guard lock(answers.mutex);
      REQUIRE(answers.given.size() == 1);
      CHECK(answers.threads[0] == std::this_thread::get_id());
      REQUIRE_FALSE(answers.given[0]);
      CHECK(answers.given[0].error().message.find("queue is full") != std::string::npos);
    }
    REQUIRE(answers.wait_for(3));
    state.broken = true;
    committer.submit_async(records(1), answers.callback());  // the writer finds it broken
    REQUIRE(answers.wait_for(4));
    committer.submit_async(records(1), answers.callback());  // now refused at once
    std::lock_guard lock(answers.mutex);
    REQUIRE(answers.given.size() == 5);
    CHECK(answers.threads[4] == std::this_thread::get_id());
    CHECK(answers.given[4].error().message.find("broken") != std::string::npos);
  }

  TEST_CASE("group commit async: an answered callback is released at once, not at its deadline") {
    // The HTTP layer's callback holds a tracked executor: kept alive until the deadline, it
    // would hold a graceful shutdown open for the whole commit timeout.
    FakeState state;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(5000ms), "fake");
    auto sentinel = std::make_shared<int>(0);
    std::weak_ptr<int> watch = sentinel;
    Answers answers;
    auto record = answers.callback();
    committer.submit_async(
        records(1), [sentinel = std::move(sentinel), record](Status s) { record(std::move(s)); });
    REQUIRE(answers.wait_for(1));
    committer.flush();
    CHECK(watch.expired());
  }
}

#include "audit/group_commit.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "unit/audit/audit_samples.hpp"

namespace {

using namespace vcf_cds::audit::detail;
using namespace std::chrono_literals;
using vcf_cds::ErrorCode;
using vcf_cds::Status;

// A committer whose behaviour the test steers; counts what it was given.
struct FakeState {
  std::atomic<int> batches{0};
  std::atomic<int> records{0};
  std::atomic<bool> fail_next{false};
  std::atomic<int> delay_ms{0};
  std::atomic<bool> broken{false};
};

class FakeCommitter final : public Committer {
 public:
  explicit FakeCommitter(FakeState& state) : state_(state) {}
  Status commit(std::vector<Record>& batch) override {
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

std::vector<Record> records(int n) {
  std::vector<Record> out;
  for (int i = 1; i <= n; ++i) out.emplace_back(vcf_cds::testing::sample_consult(i));
  return out;
}

Limits limits(std::chrono::milliseconds timeout = 5000ms) {
  Limits l;
  l.commit_timeout = timeout;
  return l;
}

}  // namespace

TEST_SUITE("audit") {
  TEST_CASE("group commit: commit slower than the timeout -> unavailable, caller not stuck") {
    FakeState state;
    state.delay_ms = 400;
    GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(50ms), "fake");
    const auto started = std::chrono::steady_clock::now();
    Status status = committer.submit(records(1));
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::unavailable);
    CHECK(std::chrono::steady_clock::now() - started < 300ms);
    committer.flush();
    CHECK(state.records == 1);  // committed late: the trail errs on the side of one too many
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

  TEST_CASE("group commit: destroyed while a timed-out batch is in flight -> it still commits") {
    FakeState state;
    state.delay_ms = 200;
    {
      GroupCommitter committer(std::make_unique<FakeCommitter>(state), limits(10ms), "fake");
      CHECK_FALSE(committer.submit(records(1)));  // timed out; the writer still holds it
      CHECK_FALSE(committer.submit(records(2)));  // queued behind it
    }
    CHECK(state.records == 3);
  }
}

// A clock the test moves by hand, for code that takes its time source as
// std::function<time_point()> (the JWT verifier, the service wiring, the audit group committer).
// Copies share one time. Every read through `fn()` is counted, so a test can wait until a
// background thread has looked at the time (`wait_for_reads`) instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

namespace vcf_cds::testing::fakes {

template <class Clock>
class ManualClock {
 public:
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;

  explicit ManualClock(time_point start = Clock::now()) : state_(std::make_shared<State>(start)) {}

  // What the code under test takes; it reads this clock's time and counts the read.
  std::function<time_point()> fn() const {
    return [state = state_] {
      std::lock_guard lock(state->mutex);
      ++state->reads;
      state->read.notify_all();
      return state->now;
    };
  }
  void advance(duration by) const {
    std::lock_guard lock(state_->mutex);
    state_->now += by;
  }
  time_point now() const {  // the test's own look: not counted
    std::lock_guard lock(state_->mutex);
    return state_->now;
  }
  std::size_t reads() const {
    std::lock_guard lock(state_->mutex);
    return state_->reads;
  }
  // Blocks until `fn()` has been read at least `count` times in all.
  void wait_for_reads(std::size_t count) const {
    std::unique_lock lock(state_->mutex);
    state_->read.wait(lock, [&] { return state_->reads >= count; });
  }

 private:
  struct State {
    explicit State(time_point start) : now(start) {}
    std::mutex mutex;
    std::condition_variable read;
    time_point now;
    std::size_t reads = 0;
  };
  std::shared_ptr<State> state_;
};

using ManualSystemClock = ManualClock<std::chrono::system_clock>;
using ManualSteadyClock = ManualClock<std::chrono::steady_clock>;

}  // namespace vcf_cds::testing::fakes

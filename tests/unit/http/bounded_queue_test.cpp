// The fallback's share of the worker pool: work posted through a BoundedQueue holds at most its
// limit of threads, waits its turn in order, and never keeps other work off the pool.
#include "http/server_state.hpp"

#include <doctest/doctest.h>

#include <boost/asio/post.hpp>

#include <future>
#include <mutex>
#include <vector>

namespace {

using namespace vcf_cds::http::detail;

}  // namespace

TEST_SUITE("http") {
  TEST_CASE("fallback_share: three quarters of the workers, at least one kept for other work") {
    CHECK(fallback_share(0, 64) == 48);
    CHECK(fallback_share(0, 4) == 3);
    CHECK(fallback_share(0, 2) == 1);
    CHECK(fallback_share(0, 1) == 1);   // one worker: nothing to keep back
    CHECK(fallback_share(5, 8) == 5);   // as asked
    CHECK(fallback_share(8, 8) == 7);   // never the whole pool
    CHECK(fallback_share(30, 4) == 3);  // nor more than it
  }

  TEST_CASE("BoundedQueue: limit 2 on 3 threads -> the third waits in order, other work runs") {
    boost::asio::thread_pool pool(3);
    BoundedQueue queue(pool, 2);
    std::mutex mutex;
    std::vector<int> started;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::vector<std::promise<void>> running(4);
    for (int i = 0; i < 4; ++i) {
      queue.post([&, i] {
        {
          std::lock_guard lock(mutex);
          started.push_back(i);
        }
        running[static_cast<std::size_t>(i)].set_value();
        released.wait();
      });
    }
    running[0].get_future().wait();
    running[1].get_future().wait();
    // Two hold their threads; the pool's third thread still takes other work at once.
    std::promise<void> other;
    boost::asio::post(pool, [&] { other.set_value(); });
    other.get_future().wait();
    {
      std::lock_guard lock(mutex);
      CHECK(started == std::vector<int>{0, 1});  // 2 and 3 wait in the queue, not on the pool
    }
    release.set_value();
    running[2].get_future().wait();
    running[3].get_future().wait();
    pool.join();
    CHECK(started == std::vector<int>{0, 1, 2, 3});
  }

  TEST_CASE("BoundedQueue: work that throws -> its place passes on, the queue goes on") {
    boost::asio::thread_pool pool(2);
    BoundedQueue queue(pool, 1);
    std::promise<void> after;
    queue.post([] { throw std::runtime_error("lost"); });
    queue.post([&] { after.set_value(); });
    after.get_future().wait();
    pool.join();
  }
}

#include "common/log_limiter.hpp"

#include <doctest/doctest.h>

namespace {

using vcf_cds::common::LogLimiter;
using namespace std::chrono_literals;

}  // namespace

TEST_SUITE("common") {
  TEST_CASE("LogLimiter: first line logged, the rest of the window counted, then reported") {
    std::chrono::steady_clock::time_point now{};
    LogLimiter limiter(10s, [&] { return now; });
    REQUIRE(limiter.admit() == std::optional<std::uint64_t>(0));
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(limiter.admit().has_value());
    now += 9s;
    CHECK_FALSE(limiter.admit().has_value());  // still inside the window: 1001 left out
    now += 1s;
    CHECK(limiter.admit() == std::optional<std::uint64_t>(1001));
    now += 30s;
    CHECK(limiter.admit() == std::optional<std::uint64_t>(0));  // a quiet window: nothing owed
  }

  TEST_CASE("LogLimiter::left_out: nothing for zero, a count otherwise") {
    CHECK(LogLimiter::left_out(0).empty());
    CHECK(LogLimiter::left_out(7) == " (and 7 more like it since the last such line)");
  }
}

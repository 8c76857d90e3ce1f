#include "common/memory_trim.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using vcf_cds::common::MemoryTrimmer;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// This process's resident set, from /proc/self/statm (pages).
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

}  // namespace

TEST_SUITE("common") {
  TEST_CASE("MemoryTrimmer: a request -> one trim, on the calling thread") {
    int trims = 0;
    const auto caller = std::this_thread::get_id();
    std::thread::id trimmed_on;
    MemoryTrimmer trimmer([&] {
      ++trims;
      trimmed_on = std::this_thread::get_id();
    });
    CHECK(trimmer.request() == 1);
    CHECK(trims == 1);
    CHECK(trimmed_on == caller);
    CHECK(trimmer.request() == 1);
    CHECK(trims == 2);
  }

  TEST_CASE(
      "MemoryTrimmer: requests during a trim return at once; the running trim runs once more") {
    std::latch started(1);
    std::latch release(1);
    std::atomic<int> trims{0};
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    MemoryTrimmer trimmer([&] {
      if (inside.fetch_add(1) > 0) overlapped = true;
      if (trims.fetch_add(1) == 0) {
        started.count_down();
        release.wait();  // the first trim runs until the test lets it finish
      }
      inside.fetch_sub(1);
    });
    std::uint64_t first_ran = 0;
    std::thread first([&] { first_ran = trimmer.request(); });
    started.wait();
    // Two calls finish while the first trim runs: neither trims nor waits; they share one more.
    CHECK(trimmer.request() == 0);
    CHECK(trimmer.request() == 0);
    release.count_down();
    first.join();
    CHECK(first_ran == 2);
    CHECK(trims == 2);
    CHECK_FALSE(overlapped);
    // Nothing left pending: the next request trims once.
    CHECK(trimmer.request() == 1);
    CHECK(trims == 3);
  }

  TEST_CASE("trim_malloc: freed heap pages held behind a live block go back to the OS") {
    // Under AddressSanitizer malloc is the sanitizer's own allocator (it keeps freed memory in
    // quarantine), which glibc's malloc_trim cannot reach: nothing to measure there.
    if (kSanitized) {
      MESSAGE("skipped: AddressSanitizer's allocator is not glibc's");
      return;
    }
#ifndef __GLIBC__
    MESSAGE("skipped: malloc_trim is glibc's");
    return;
#endif
    // 64 MiB in 1 KiB blocks (below the mmap threshold, so on the heap), all touched; then all
    // freed but the last, which keeps the heap's top in place, so free() alone cannot shrink it:
    // the state a burst of heavy calls leaves behind.
    constexpr std::size_t kBlock = 1024;
    constexpr std::size_t kBlocks = 64 * 1024;
    std::vector<std::unique_ptr<char[]>> blocks(kBlocks);
    for (auto& block : blocks) {
      block = std::make_unique<char[]>(kBlock);
      std::fill_n(block.get(), kBlock, 'x');
    }
    for (std::size_t i = 0; i + 1 < kBlocks; ++i) blocks[i].reset();
    const long before = resident_bytes();
    CHECK(vcf_cds::common::trim_malloc());
    const long after = resident_bytes();
    INFO("resident before ", before, " B, after ", after, " B");
    // Most of the 64 MiB goes back (page-aligned parts of the free chunks).
    CHECK(before - after >= 32L * 1024 * 1024);
    blocks.back().reset();
  }
}

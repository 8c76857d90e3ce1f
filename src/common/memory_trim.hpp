// Gives memory that a large call freed back to the operating system. glibc keeps what a thread
// frees in that thread's malloc arena for the next allocation; after a burst of heavy calls the
// process keeps its peak RSS although the heap is mostly free. malloc_trim(0) walks every arena
// and releases the whole free pages inside them (madvise), not only the top of the main heap.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace vcf_cds::common {

// glibc's malloc_trim(0); false where there is none (another C library, or a sanitizer's
// allocator, which glibc's trim cannot reach).
bool trim_malloc();

class MemoryTrimmer {
 public:
  using Trim = std::function<void()>;

  // `trim` empty: trim_malloc (tests inject their own).
  explicit MemoryTrimmer(Trim trim = {});

  // Trims on the calling thread, unless a trim is running: then that one runs once more when it
  // is done (so what this caller freed is returned too) and this call returns at once. Trims
  // never overlap; requests that arrive during one trim share the next. Thread-safe. Returns the
  // trims this call ran (0: it left them to the running one).
  std::uint64_t request();

 private:
  Trim trim_;
  std::atomic<bool> running_{false};
  std::atomic<bool> wanted_{false};
};

}  // namespace vcf_cds::common

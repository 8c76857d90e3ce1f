#include "common/memory_trim.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace vcf_cds::common {

bool trim_malloc() {
#ifdef __GLIBC__
  malloc_trim(0);
  return true;
#else
  return false;
#endif
}

MemoryTrimmer::MemoryTrimmer(Trim trim) : trim_(std::move(trim)) {
  if (!trim_) trim_ = [] { trim_malloc(); };
}

std::uint64_t MemoryTrimmer::request() {
  wanted_.store(true, std::memory_order_release);
  std::uint64_t ran = 0;
  // Whoever sets `running_` trims until nobody wants another; a request that arrives after the
  // last check but before `running_` is cleared is caught by the check after clearing it.
  while (!running_.exchange(true, std::memory_order_acquire)) {
    while (wanted_.exchange(false, std::memory_order_acq_rel)) {
      trim_();
      ++ran;
    }
    running_.store(false, std::memory_order_release);
    if (!wanted_.load(std::memory_order_acquire)) break;
  }
  return ran;
}

}  // namespace vcf_cds::common

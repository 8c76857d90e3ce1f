// Ids for consults, cards and suggestions (CDS Hooks: "uuid"), from OpenSSL's CSPRNG.
#include <openssl/rand.h>

#include <pthread.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>

#include "vcf_cds/cards.hpp"

namespace vcf_cds::cards {
namespace {

// Bumped in a forked child (pthread_atfork): a pool drawn before the fork is dropped there, so
// the child never repeats its parent's ids. Cheaper than getpid() per id, a system call.
std::atomic<unsigned> g_fork_generation{0};

using UuidBytes = std::array<unsigned char, 16>;

UuidBytes random_bytes() {
  // RAND_bytes costs far more per call than per byte (DRBG lookup and locking), and a response
  // takes several ids, so each thread draws 16 ids' worth at once and hands them out in order.
  struct Pool {
    std::array<unsigned char, 16 * 16> bytes{};
    std::size_t used = 16 * 16;  // all used: draw on first call
    unsigned generation = 0;
  };
  static const bool fork_handler_installed = [] {
    return pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); }) == 0;
  }();
  thread_local Pool pool;
  const unsigned generation = g_fork_generation.load(std::memory_order_relaxed);
  if (pool.used == pool.bytes.size() || pool.generation != generation || !fork_handler_installed) {
    if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) {
      // The CSPRNG failing is not something input can cause: stop rather than reuse ids.
      std::abort();
    }
    pool.used = 0;
    pool.generation = generation;
  }
  UuidBytes bytes;
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = pool.bytes[pool.used + i];
  pool.used += bytes.size();
  return bytes;
}

// Sets the version nibble and the RFC 9562 variant, then writes 8-4-4-4-12 lowercase hex.
std::string format(UuidBytes bytes, unsigned version) {
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | (version << 4));
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // keep the dash
    out[at++] = kHex[bytes[i] >> 4];
    out[at++] = kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

std::string random_uuid() {
  return format(random_bytes(), 4);
}

std::string time_ordered_uuid() {
  return time_ordered_uuid(std::chrono::system_clock::now());
}

std::string time_ordered_uuid(std::chrono::system_clock::time_point now) {
  UuidBytes bytes = random_bytes();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  // A clock before 1970 is a broken clock; 0 still gives a valid, unique id.
  const auto stamp = static_cast<std::uint64_t>(ms.count() > 0 ? ms.count() : 0);
  for (std::size_t i = 0; i < 6; ++i) {
    bytes[i] = static_cast<unsigned char>(stamp >> (8 * (5 - i)));  // 48-bit big-endian ms
  }
  return format(bytes, 7);
}

}  // namespace vcf_cds::cards

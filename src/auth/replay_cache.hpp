// Remembers accepted token ids (iss + jti) until their tokens expire, so a captured token cannot
// be replayed (digest §7.2 step 6). Private to src/auth; thread-safe.
//
// Memory is bounded by `capacity`. An entry keeps 16 bytes of SHA-256(id), not the id itself
// (iss + jti is ~70 bytes on the heap): ~120 bytes an entry, ~12 MiB for a full default cache
// (issue #8's RSS target). Two ids sharing 128 bits of digest is not a practical concern. Every
// insert first drops entries whose token has expired; when still full it evicts the entry that
// expires first — for clients with a fixed token lifetime that is the oldest one, and in any case
// the one with the least replay window left.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace vcf_cds::auth {

class ReplayCache {
 public:
  using time_point = std::chrono::system_clock::time_point;

  explicit ReplayCache(std::size_t capacity);

  // Records `id` until `forget_after`. False (and nothing changes) when `id` is already
  // remembered and `now` is before its `forget_after`.
  bool insert(const std::string& id, time_point forget_after, time_point now);

  std::size_t size() const;
  std::uint64_t evictions() const;  // unexpired entries dropped because the cache was full

 private:
  void purge_expired(time_point now);
  void erase_first_expiring();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  using Key = std::array<unsigned char, 16>;
  struct KeyHash {
    std::size_t operator()(const Key& key) const {
      std::size_t h;  // the bytes are a digest already: any 8 of them hash well
      std::memcpy(&h, key.data(), sizeof h);
      return h;
    }
  };
  static Key key_of(const std::string& id);

  std::unordered_map<Key, time_point, KeyHash> by_id_;
  std::set<std::pair<time_point, Key>> by_time_;  // (forget_after, key) ordered by time
  std::uint64_t evictions_ = 0;
};

}  // namespace vcf_cds::auth

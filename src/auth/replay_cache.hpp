// Remembers accepted token ids (iss + jti) until their tokens expire, so a captured token cannot
// be replayed (digest §7.2 step 6). Private to src/auth; thread-safe.
//
// Memory is bounded by `capacity`. Every insert first drops entries whose token has expired;
// when still full it evicts the entry that expires first — for clients with a fixed token
// lifetime that is the oldest one, and in any case the one with the least replay window left.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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
  std::unordered_map<std::string, time_point> by_id_;
  // (forget_after, id) ordered by time; the pointer is the key inside by_id_'s node, which stays
  // put across rehashes.
  std::set<std::pair<time_point, const std::string*>> by_time_;
  std::uint64_t evictions_ = 0;
};

}  // namespace vcf_cds::auth

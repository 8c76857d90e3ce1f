#include "auth/replay_cache.hpp"

#include <algorithm>

#include "common/sha256.hpp"

namespace vcf_cds::auth {

ReplayCache::ReplayCache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

ReplayCache::Key ReplayCache::key_of(const std::string& id) {
  const auto digest = common::sha256(id);
  Key key;
  std::copy_n(digest.begin(), key.size(), key.begin());
  return key;
}

bool ReplayCache::insert(const std::string& id, time_point forget_after, time_point now) {
  const Key key = key_of(id);  // hashed before the lock is taken
  const std::lock_guard lock(mutex_);
  purge_expired(now);
  if (by_id_.contains(key)) return false;  // purge left only unexpired entries
  if (by_id_.size() >= capacity_) {
    erase_first_expiring();
    ++evictions_;
  }
  const auto [it, inserted] = by_id_.emplace(key, forget_after);
  by_time_.emplace(forget_after, key);
  return inserted;
}

std::size_t ReplayCache::size() const {
  const std::lock_guard lock(mutex_);
  return by_id_.size();
}

std::uint64_t ReplayCache::evictions() const {
  const std::lock_guard lock(mutex_);
  return evictions_;
}

void ReplayCache::purge_expired(time_point now) {
  while (!by_time_.empty() && by_time_.begin()->first <= now) erase_first_expiring();
}

void ReplayCache::erase_first_expiring() {
  const auto first = by_time_.begin();
  by_id_.erase(first->second);
  by_time_.erase(first);
}

}  // namespace vcf_cds::auth

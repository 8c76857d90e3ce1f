#include "auth/replay_cache.hpp"

#include <algorithm>

namespace vcf_cds::auth {

ReplayCache::ReplayCache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

bool ReplayCache::insert(const std::string& id, time_point forget_after, time_point now) {
  const std::lock_guard lock(mutex_);
  purge_expired(now);
  if (by_id_.contains(id)) return false;  // purge left only unexpired entries
  if (by_id_.size() >= capacity_) {
    erase_first_expiring();
    ++evictions_;
  }
  const auto [it, inserted] = by_id_.emplace(id, forget_after);
  by_time_.emplace(forget_after, &it->first);
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
  const std::string* id = first->second;
  by_time_.erase(first);
  // Erase through an iterator: `id` points into the node being erased.
  by_id_.erase(by_id_.find(*id));
}

}  // namespace vcf_cds::auth

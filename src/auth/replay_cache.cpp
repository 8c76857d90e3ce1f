#include "auth/replay_cache.hpp"

#include <algorithm>
#include <cstring>

#include "common/sha256.hpp"

namespace vcf_cds::auth {

bool ReplayCache::expires_later(const Entry& a, const Entry& b) {
  return a.forget_after > b.forget_after;
}

bool ReplayCache::is_empty(const Key& key) {
  return std::all_of(key.begin(), key.end(), [](unsigned char b) { return b == 0; });
}

ReplayCache::ReplayCache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

ReplayCache::Key ReplayCache::key_of(const std::string& id) {
  const auto digest = common::sha256(id);
  Key key;
  std::copy_n(digest.begin(), key.size(), key.begin());
  if (is_empty(key)) key[0] = 1;  // all-zero marks an empty slot; 2^-128 odds of mattering
  return key;
}

ReplayCache::Insert ReplayCache::insert(const std::string& id, time_point forget_after,
                                        time_point now) {
  const Key key = key_of(id);  // hashed before the lock is taken
  const std::lock_guard lock(mutex_);
  purge_expired(now);
  if (contains(key)) return Insert::replayed;  // purge left only unexpired entries
  if (by_time_.size() >= capacity_) {
    ++full_refusals_;
    return Insert::full;
  }
  add(key);
  by_time_.push_back({forget_after, key});
  std::push_heap(by_time_.begin(), by_time_.end(), expires_later);
  return Insert::added;
}

Result<bool> ReplayCache::first_use(std::string_view iss, std::string_view jti,
                                    time_point forget_after, time_point now) {
  std::string id;
  id.reserve(iss.size() + 1 + jti.size());
  id.append(iss).append(1, '\n').append(jti);
  switch (insert(id, forget_after, now)) {
    case Insert::added:
      return true;
    case Insert::replayed:
      return false;
    case Insert::full:
      break;
  }
  return make_error(ErrorCode::unavailable, "replay_cache_full",
                    "the jti cache holds " + std::to_string(capacity_) +
                        " unexpired tokens; new tokens are refused until some expire");
}

JtiLedgerStats ReplayCache::stats() const {
  const std::lock_guard lock(mutex_);
  return JtiLedgerStats{by_time_.size(), capacity_, evictions_, full_refusals_, 0};
}

std::size_t ReplayCache::size() const {
  const std::lock_guard lock(mutex_);
  return by_time_.size();
}

void ReplayCache::purge_expired(time_point now) {
  while (!by_time_.empty() && by_time_.front().forget_after <= now) {
    erase_first_expiring();
    ++evictions_;
  }
}

void ReplayCache::erase_first_expiring() {
  std::pop_heap(by_time_.begin(), by_time_.end(), expires_later);
  remove(by_time_.back().key);
  by_time_.pop_back();
}

std::size_t ReplayCache::home(const Key& key) const {
  std::size_t h;  // the bytes are a digest already: any 8 of them hash well
  std::memcpy(&h, key.data(), sizeof h);
  return h & (slots_.size() - 1);
}

bool ReplayCache::contains(const Key& key) const {
  if (slots_.empty()) return false;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(key);; i = (i + 1) & mask) {
    if (slots_[i] == key) return true;
    if (is_empty(slots_[i])) return false;
  }
}

void ReplayCache::add(const Key& key) {
  // Room for one more at most 4/5 full: by_time_ holds every key already in the set.
  if ((by_time_.size() + 1) * 5 > slots_.size() * 4) grow();
  place(key);
}

void ReplayCache::place(const Key& key) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(key);
  while (!is_empty(slots_[i])) i = (i + 1) & mask;
  slots_[i] = key;
}

void ReplayCache::remove(const Key& key) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = home(key);
  while (slots_[hole] != key) {
    if (is_empty(slots_[hole])) return;  // not present (cannot happen: heap and set agree)
    hole = (hole + 1) & mask;
  }
  // Backward shift: each later key of the same run moves into the hole unless its home lies
  // cyclically after the hole (moving it there would put it before its home).
  for (std::size_t next = (hole + 1) & mask; !is_empty(slots_[next]); next = (next + 1) & mask) {
    const std::size_t want = home(slots_[next]);
    const bool home_after_hole =
        hole <= next ? (want > hole && want <= next) : (want > hole || want <= next);
    if (home_after_hole) continue;
    slots_[hole] = slots_[next];
    hole = next;
  }
  slots_[hole] = Key{};
}

void ReplayCache::grow() {
  std::vector<Key> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, Key{});
  for (const Key& key : old) {
    if (!is_empty(key)) place(key);
  }
}

std::shared_ptr<JtiLedger> make_memory_jti_ledger(std::size_t capacity) {
  return std::make_shared<ReplayCache>(capacity);
}

}  // namespace vcf_cds::auth

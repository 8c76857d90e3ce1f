// The in-memory JtiLedger: remembers accepted token ids (iss + jti) until their tokens expire, so
// a captured token cannot be replayed (digest §7.2 step 6). Private to src/auth; thread-safe.
//
// Memory is bounded by `capacity`. An entry keeps 16 bytes of SHA-256(id), not the id itself
// (iss + jti is ~70 bytes on the heap), in two flat arrays: a min-heap of (forget_after, key) and
// an open-addressing set of keys. Measured with 100,000 entries: 54 bytes an entry, 5.4 MB in
// all (the default capacity of 204,000 is ~11 MB when full; memory grows only as entries come);
// node-based std containers took 113 bytes an entry, and the cache is most of the RSS that JWT
// checking adds under load. Two ids sharing 128 bits of digest is not a practical
// concern. Every insert first drops entries whose token has expired; when still full it refuses the
// new id rather than forget a live one: forgetting would let that token in again. The verifier
// bounds token lifetime, so an entry frees its room within replay_window, and replay_capacity sizes
// the cache from that window.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "vcf_cds/auth.hpp"

namespace vcf_cds::auth {

class ReplayCache final : public JtiLedger {
 public:
  explicit ReplayCache(std::size_t capacity);

  enum class Insert { added, replayed, full };
  // Records `id` until `forget_after`: added. Nothing changes when `id` is already remembered
  // and `now` is before its `forget_after` (replayed), or when the cache holds `capacity`
  // unexpired entries (full).
  Insert insert(const std::string& id, time_point forget_after, time_point now);

  // insert(iss + '\n' + jti); full is Error{unavailable, "replay_cache_full"}.
  Result<bool> first_use(std::string_view iss, std::string_view jti, time_point forget_after,
                         time_point now) override;
  JtiLedgerStats stats() const override;
  std::size_t size() const;

 private:
  using Key = std::array<unsigned char, 16>;  // never all zero: that marks an empty slot
  struct Entry {
    time_point forget_after;
    Key key;
  };
  static Key key_of(const std::string& id);
  static bool expires_later(const Entry& a, const Entry& b);  // heap order: earliest on top
  static bool is_empty(const Key& key);

  void purge_expired(time_point now);
  void erase_first_expiring();
  // The key set: linear probing in a power-of-two table at most 4/5 full; deletion shifts the
  // entries behind a hole back, so there are no tombstones and probes stay short.
  std::size_t home(const Key& key) const;
  bool contains(const Key& key) const;
  void add(const Key& key);
  void place(const Key& key);  // into the first free slot of its run; the table has room
  void remove(const Key& key);
  void grow();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<Entry> by_time_;       // min-heap on forget_after
  std::vector<Key> slots_;           // size is a power of two (or 0 before the first insert)
  std::uint64_t evictions_ = 0;      // expired entries dropped
  std::uint64_t full_refusals_ = 0;  // inserts refused because the cache was full
};

}  // namespace vcf_cds::auth

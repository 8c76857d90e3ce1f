// The terminology's lookup tables: string keys (a system byte and a normalised code, or a row
// name and region) filled once at load, then only read. Open addressing with linear probing in a
// power-of-two array kept at most half full, so a lookup is one hash, one mask and usually one
// key compare. std::unordered_map reduces each hash modulo a prime (a 64-bit division) and
// chases a node pointer: it was a sixth of fact extraction for a 70-code chart (issue #8).
#pragma once

#include <algorithm>
#include <bit>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vcf_cds::facts {

template <class V>
class CodeTable {
 public:
  // The value for `key`, inserted value-initialised when absent (load time only).
  V& operator[](std::string key) { return *try_emplace(std::move(key), V{}).first; }

  // Inserts `value` unless `key` is present; returns the stored value and whether it was new.
  std::pair<V*, bool> try_emplace(std::string key, V value) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot& slot = probe(slots_, key);
    if (slot.used) return {&slot.value, false};
    slot = Slot{std::move(key), std::move(value), true};
    ++size_;
    return {&slot.value, true};
  }

  const V* find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    const Slot& slot = probe(slots_, key);
    return slot.used ? &slot.value : nullptr;
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::string key;
    V value{};
    bool used = false;
  };

  // The slot holding `key`, or the empty slot where it would go. Never full: size <= half.
  template <class Slots>
  static auto& probe(Slots& slots, std::string_view key) {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = std::hash<std::string_view>{}(key)&mask;; i = (i + 1) & mask) {
      auto& slot = slots[i];
      if (!slot.used || slot.key == key) return slot;
    }
  }

  void grow() {
    std::vector<Slot> old = std::exchange(
        slots_, std::vector<Slot>(std::max<std::size_t>(16, std::bit_ceil(4 * (size_ + 1)))));
    for (Slot& slot : old) {
      if (slot.used) probe(slots_, slot.key) = std::move(slot);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace vcf_cds::facts

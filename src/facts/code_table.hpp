// The terminology's lookup tables: string keys (a system byte and a normalised code, or a row
// name and region) filled once at load, then only read. A std::unordered_map whose hash and
// equality are transparent, so a lookup by string_view builds no std::string.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vcf_cds::facts {

struct CodeHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept {
    return std::hash<std::string_view>{}(key);
  }
};

template <class V>
using CodeTable = std::unordered_map<std::string, V, CodeHash, std::equal_to<>>;

// The value stored under `key`, or nullptr.
template <class V>
const V* find_value(const CodeTable<V>& table, std::string_view key) {
  const auto it = table.find(key);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace vcf_cds::facts

// The loaded fhir-profiles/ as hash tables. Built once by load_terminology (terminology_load.cpp),
// then immutable and shared; every lookup is a bounded number of hash probes (no scans).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vcf_cds/facts.hpp"

namespace vcf_cds::facts {

// One bit per FactKind, plus one for the advanced-imaging ValueSet.
using KindMask = std::uint32_t;
inline constexpr KindMask kind_bit(FactKind kind) {
  return KindMask{1} << static_cast<int>(kind);
}
inline constexpr KindMask kAdvancedImagingBit = KindMask{1} << kFactKindCount;

// A ConceptMap target: the row a code maps to, with what the row alone does not say.
struct MapTarget {
  std::string row_name;
  Region region = Region::none;
  Contrast contrast = Contrast::none;
  bool advanced_imaging = false;
  std::string depends_on;  // key of a code that must be in another draft order; "" when none
};

// Keys are short (a system byte and a code, ~6-12 bytes): an inline multiply-rotate hash over 8
// bytes at a time (FxHash's step) costs a fraction of std::hash's out-of-line MurmurHash (issue
// #8: a third of a code lookup). libstdc++ reduces it modulo a prime bucket count.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    constexpr std::uint64_t kSeed = 0x517cc1b727220a95ULL;
    std::uint64_t hash = text.size();
    while (text.size() >= 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data(), 8);
      hash = (std::rotl(hash, 5) ^ word) * kSeed;
      text.remove_prefix(8);
    }
    if (!text.empty()) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data(), text.size());
      hash = (std::rotl(hash, 5) ^ word) * kSeed;
    }
    return static_cast<std::size_t>(hash ^ (hash >> 32));
  }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

class Terminology {
 public:
  // Table key of (system, code): one byte naming the system, then the normalised code. Returns
  // false when the system appears in no profile (nothing can match) or the code is too long.
  bool make_key(std::string_view system, std::string_view code, std::string& key) const;
  bool is_icd_key(std::string_view key) const { return !key.empty() && key[0] == icd_id_; }

  KindMask kinds(std::string_view key) const;  // exact codes, then ICD-10-CM prefixes
  Region region(std::string_view key) const;   // exact, then longest ICD-10-CM prefix
  const std::vector<MapTarget>* targets(std::string_view key) const;
  std::optional<Coding> orderable(std::string_view row_name, Region region) const;

  // Loader side (terminology_load.cpp).
  char intern_system(std::string_view system);  // the key byte for a system URI
  void add_kinds(std::string key, KindMask mask, bool prefix);
  void add_region(std::string key, Region region, bool prefix);
  void add_target(std::string key, MapTarget target, const Coding& source);

  std::vector<Coding> override_reasons;
  std::string version;

 private:
  // A handful of URIs: a scan comparing sizes first beats hashing a 40-byte URI per coding.
  std::vector<std::pair<std::string, char>> systems_;
  char system_id(std::string_view system) const;  // 0 when unknown
  char icd_id_ = 0;
  StringMap<KindMask> exact_kinds_;
  StringMap<KindMask> prefix_kinds_;  // ICD-10-CM only
  StringMap<Region> exact_regions_;
  StringMap<Region> prefix_regions_;
  // Bit n set: some prefix key is n bytes long. A code is probed only at those lengths, not at
  // every length (each probe hashes the prefix; issue #8).
  std::uint64_t prefix_kind_lengths_ = 0;
  std::uint64_t prefix_region_lengths_ = 0;
  StringMap<std::vector<MapTarget>> targets_;
  struct Orderable {
    Coding coding;
    int rank = 0;  // CPT 0, LOINC 1, SNOMED CT 2, others 3
  };
  StringMap<Orderable> orderable_;  // row name + '\x1f' + region
};

}  // namespace vcf_cds::facts

// The loaded fhir-profiles/ as hash tables. Built once by load_terminology (terminology_load.cpp),
// then immutable and shared; every code lookup is a bounded number of hash probes. Only the code
// systems, a handful of URIs, are scanned.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "facts/code_table.hpp"
#include "vcf_cds/facts.hpp"

namespace vcf_cds::facts {

// One bit per FactKind, plus one for the advanced-imaging ValueSet.
using KindMask = std::uint32_t;
inline constexpr KindMask kind_bit(FactKind kind) {
  return KindMask{1} << static_cast<int>(kind);
}
inline constexpr KindMask kAdvancedImagingBit = KindMask{1} << kFactKindCount;

// Regions index arrays: whole_body is the last.
inline constexpr std::size_t kRegionCount = static_cast<std::size_t>(Region::whole_body) + 1;

// A ConceptMap target: the row a code maps to, with what the row alone does not say.
struct MapTarget {
  std::string row_name;
  Region region = Region::none;
  Contrast contrast = Contrast::none;
  bool advanced_imaging = false;
  std::string depends_on;  // key of a code that must be in another draft order; "" when none
};

class Terminology {
 public:
  // Table key of (system, code): one byte naming the system, then the normalised code. Every
  // alias of a system (NamingSystem uniqueIds) gives the same byte, so a code sent under an OID
  // matches exactly as under the canonical URI. Returns false when the system appears in no
  // profile (nothing can match) or the code is too long.
  bool make_key(std::string_view system, std::string_view code, std::string& key) const;
  bool is_icd_key(std::string_view key) const { return !key.empty() && key[0] == icd_id_; }
  // True when `system` is ICD-10-CM or one of its aliases.
  bool is_icd_system(std::string_view system) const;

  KindMask kinds(std::string_view key) const;  // exact codes, then ICD-10-CM prefixes
  Region region(std::string_view key) const;   // exact, then longest ICD-10-CM prefix
  const std::vector<MapTarget>* targets(std::string_view key) const;
  std::optional<Coding> orderable(std::string_view row_name, Region region) const;

  // Loader side (terminology_load.cpp).
  char intern_system(std::string_view system);  // the key byte for a system URI or alias
  // Makes `alias` a second name of `canonical` (interned first). Returns the canonical URI the
  // alias already names when that differs (the caller reports the conflict), else "".
  std::string add_alias(std::string_view alias, std::string_view canonical);
  char icd_id() const { return icd_id_; }
  void add_kinds(std::string key, KindMask mask, bool prefix);
  void add_region(std::string key, Region region, bool prefix);
  void add_target(std::string key, MapTarget target, const Coding& source);

  std::vector<Coding> override_reasons;
  std::string version;

 private:
  // A handful of URIs and aliases: a scan comparing sizes first beats hashing a 40-byte URI per
  // coding. Aliases share the byte of their canonical URI; canonicals_[id - 1] names it.
  std::vector<std::pair<std::string, char>> systems_;
  std::vector<std::string> canonicals_;
  char system_id(std::string_view system) const;  // 0 when unknown
  char icd_id_ = 0;
  CodeTable<KindMask> exact_kinds_;
  CodeTable<KindMask> prefix_kinds_;  // ICD-10-CM only
  CodeTable<Region> exact_regions_;
  CodeTable<Region> prefix_regions_;
  // Bit n set: some prefix key is n bytes long. A code is probed only at those lengths, not at
  // every length (each probe hashes the prefix).
  std::uint64_t prefix_kind_lengths_ = 0;
  std::uint64_t prefix_region_lengths_ = 0;
  CodeTable<std::vector<MapTarget>> targets_;
  struct Orderable {
    Coding coding;
    int rank = -1;  // CPT 0, LOINC 1, SNOMED CT 2, others 3; -1: no code for this region
  };
  // By row name, then Region: one probe without building a key (suggestions ask for each row in
  // several regions).
  CodeTable<std::array<Orderable, kRegionCount>> orderable_;
};

}  // namespace vcf_cds::facts

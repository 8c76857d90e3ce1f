// Lookups over the loaded profiles, and the public accessors built on them.
#include "facts/terminology.hpp"

#include "facts/codes.hpp"

namespace vcf_cds::facts {
namespace {

// Lengths 63 and up share the top bit: still probed, only not told apart.
std::uint64_t length_bit(std::size_t length) {
  return std::uint64_t{1} << (length < 63 ? length : 63);
}
bool has_length(std::uint64_t lengths, std::size_t length) {
  return (lengths & length_bit(length)) != 0;
}

int system_rank(std::string_view system) {
  if (system == kCpt) return 0;
  if (system == kLoinc) return 1;
  if (system == kSnomed) return 2;
  return 3;
}

}  // namespace

bool Terminology::make_key(std::string_view system, std::string_view code, std::string& key) const {
  key.clear();
  if (code.empty() || code.size() > kMaxCodeLength) return false;
  const char id = system_id(system);
  if (id == 0) return false;
  key += id;
  append_normalized(key, code, id == icd_id_);
  return key.size() > 1;
}

bool Terminology::is_icd_system(std::string_view system) const {
  const char id = system_id(system);
  return id != 0 && id == icd_id_;
}

char Terminology::system_id(std::string_view system) const {
  for (const auto& [uri, id] : systems_) {
    if (uri.size() == system.size() && uri == system) return id;
  }
  return 0;
}

KindMask Terminology::kinds(std::string_view key) const {
  KindMask mask = 0;
  if (const KindMask* exact = find_value(exact_kinds_, key)) mask |= *exact;
  if (!is_icd_key(key)) return mask;
  // Every prefix can carry kinds (C79 -> malignancy, C79.51 -> bone malignancy): union them.
  // The key is at most kMaxCodeLength + 1 bytes, so this is a bounded number of probes.
  for (std::size_t length = key.size(); length > 1; --length) {
    if (!has_length(prefix_kind_lengths_, length)) continue;
    if (const KindMask* prefix = find_value(prefix_kinds_, key.substr(0, length))) {
      mask |= *prefix;
    }
  }
  return mask;
}

Region Terminology::region(std::string_view key) const {
  if (const Region* exact = find_value(exact_regions_, key)) return *exact;
  if (!is_icd_key(key)) return Region::none;
  for (std::size_t length = key.size(); length > 1; --length) {  // longest prefix wins
    if (!has_length(prefix_region_lengths_, length)) continue;
    if (const Region* prefix = find_value(prefix_regions_, key.substr(0, length))) {
      return *prefix;
    }
  }
  return Region::none;
}

const std::vector<MapTarget>* Terminology::targets(std::string_view key) const {
  return find_value(targets_, key);
}

std::optional<Coding> Terminology::orderable(std::string_view row_name, Region region) const {
  // A regional row needs a spine region: its region-less codes (22510 is cervicothoracic, 22512
  // an add-on) may serve a known level that has no code of its own, never an unknown one. Rows
  // without regions (bone scan, consultations) answer with their whole-body or region-less code
  // whatever region is asked for.
  const auto* by_region = find_value(orderable_, row_name);
  if (by_region == nullptr) return std::nullopt;
  const bool spine =
      region == Region::cervical || region == Region::thoracic || region == Region::lumbar;
  if (!spine) {
    for (Region level : {Region::cervical, Region::thoracic, Region::lumbar}) {
      if ((*by_region)[static_cast<std::size_t>(level)].rank >= 0) return std::nullopt;
    }
  }
  for (Region candidate : {region, Region::whole_body, Region::none}) {
    const Orderable& found = (*by_region)[static_cast<std::size_t>(candidate)];
    if (found.rank >= 0) return found.coding;
  }
  return std::nullopt;
}

char Terminology::intern_system(std::string_view system) {
  if (const char known = system_id(system); known != 0) return known;
  if (canonicals_.size() >= 250) throw ProfileError("fhir-profiles: more than 250 code systems");
  const char id = static_cast<char>(canonicals_.size() + 1);
  systems_.emplace_back(std::string(system), id);
  canonicals_.emplace_back(system);
  // ICD-10-CM semantics (dots ignored, prefixes match descendants) belong to its canonical URI
  // and, through add_alias, to every alias of it.
  if (system == kIcd10Cm) icd_id_ = id;
  return id;
}

std::string Terminology::add_alias(std::string_view alias, std::string_view canonical) {
  const char id = intern_system(canonical);
  if (const char known = system_id(alias); known != 0) {
    const std::string& named = canonicals_[static_cast<unsigned char>(known) - 1];
    return known == id ? std::string() : named;
  }
  systems_.emplace_back(std::string(alias), id);
  return {};
}

void Terminology::add_kinds(std::string key, KindMask mask, bool prefix) {
  if (prefix) prefix_kind_lengths_ |= length_bit(key.size());
  (prefix ? prefix_kinds_ : exact_kinds_)[std::move(key)] |= mask;
}

void Terminology::add_region(std::string key, Region region, bool prefix) {
  if (prefix) prefix_region_lengths_ |= length_bit(key.size());
  (prefix ? prefix_regions_ : exact_regions_).try_emplace(std::move(key), region);
}

void Terminology::add_target(std::string key, MapTarget target, const Coding& source) {
  // Only a code that is orderable on its own can be suggested (not CT + 62284).
  if (target.depends_on.empty()) {
    // Suggested under the canonical URI, whichever alias the ConceptMap group named.
    Coding coding = source;
    if (const char id = system_id(source.system); id != 0) {
      coding.system = canonicals_[static_cast<unsigned char>(id) - 1];
    }
    const int rank = system_rank(coding.system);
    Orderable& stored = orderable_[target.row_name][static_cast<std::size_t>(target.region)];
    if (stored.rank < 0 || rank < stored.rank) stored = Orderable{std::move(coding), rank};
  }
  targets_[std::move(key)].push_back(std::move(target));
}

std::optional<Coding> orderable_code(const Terminology& terminology, std::string_view row_name,
                                     Region region) {
  return terminology.orderable(row_name, region);
}

CodeInfo describe_code(const Terminology& terminology, std::string_view system,
                       std::string_view code) {
  CodeInfo info;
  std::string key;
  if (!terminology.make_key(system, code, key)) return info;
  info.advanced_imaging = (terminology.kinds(key) & kAdvancedImagingBit) != 0;
  if (const auto* targets = terminology.targets(key)) {
    for (const MapTarget& target : *targets) {
      if (!target.depends_on.empty()) continue;
      info.row_name = target.row_name;
      info.region = target.region;
      info.contrast = target.contrast;
      info.advanced_imaging = info.advanced_imaging || target.advanced_imaging;
      break;
    }
  }
  return info;
}

bool codes_fact(const Terminology& terminology, FactKind kind, std::string_view system,
                std::string_view code) {
  std::string key;
  return terminology.make_key(system, code, key) && (terminology.kinds(key) & kind_bit(kind)) != 0;
}

const std::vector<Coding>& override_reasons(const Terminology& terminology) {
  return terminology.override_reasons;
}

const std::string& version(const Terminology& terminology) {
  return terminology.version;
}

}  // namespace vcf_cds::facts

#include "facts/derive.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "facts/codes.hpp"

namespace vcf_cds::facts {
namespace {

bool any_record(const ClinicalFacts& f, FactKind kind) {
  return !f.of(kind).empty();
}

bool any_current(const ClinicalFacts& f, FactKind kind) {
  const auto& evidence = f.of(kind);
  return std::any_of(evidence.begin(), evidence.end(), [](const Evidence& e) { return e.current; });
}

// CONTRACT §7: a fact's date is its newest dated current record; known only from undated
// records, it is new. Dates in the future count as new.
bool is_new(const ClinicalFacts& f, std::initializer_list<FactKind> kinds,
            std::chrono::sys_days today, const Options& options) {
  bool found = false;
  std::optional<std::chrono::sys_days> newest;
  for (FactKind kind : kinds) {
    for (const Evidence& e : f.of(kind)) {
      if (!e.current) continue;
      found = true;
      if (e.date && (!newest || *e.date > *newest)) newest = e.date;
    }
  }
  if (!found) return false;
  return !newest || *newest >= today - options.new_window;
}

// CONTRACT §3: present on a current record of the finding, absent on a current record of its
// absence, unknown with neither. A present record wins, as pain wins over asymptomatic (§7).
Tri three_valued(const ClinicalFacts& f, FactKind present, FactKind absent) {
  if (any_current(f, present)) return Tri::present;
  return any_current(f, absent) ? Tri::absent : Tri::unknown;
}

std::pair<std::string_view, std::string_view> split_key(std::string_view key) {
  const auto at = key.find('@');
  if (at == std::string_view::npos) return {key, {}};
  return {key.substr(0, at), key.substr(at + 1)};
}

}  // namespace

std::string make_distinct_key(std::string_view icd_code, std::string_view site_key) {
  std::string key(icd_code);
  key += '@';
  key += site_key;
  return key;
}

int count_distinct_vcfs(const std::vector<Evidence>& vcfs) {
  std::vector<std::pair<std::string_view, std::string_view>> kept;
  bool unidentified = false;
  for (const Evidence& e : vcfs) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture bindings in a lambda.
    const auto split = split_key(e.distinct_key);
    const std::string_view code = split.first;
    const std::string_view site = split.second;
    if (code.empty() && site.empty()) {
      unidentified = true;  // e.g. a SNOMED-only reason: cannot be told apart from the others
      continue;
    }
    const bool seen = std::any_of(kept.begin(), kept.end(), [&](const auto& other) {
      const bool codes_differ = !code.empty() && !other.first.empty() && code != other.first;
      const bool sites_differ = !site.empty() && !other.second.empty() && site != other.second;
      return !codes_differ && !sites_differ;
    });
    if (!seen) kept.emplace_back(code, site);
  }
  if (kept.empty()) return unidentified ? 1 : 0;
  return static_cast<int>(kept.size());
}

void derive(ClinicalFacts& f, std::chrono::sys_days today, const Options& options) {
  // Current facts need an active/recurrence/relapse/absent clinicalStatus; malignancy,
  // osteoporosis, bone malignancy and prior procedures are history facts and count regardless.
  f.vcf = any_current(f, FactKind::vcf);
  f.vcf_new = f.vcf && is_new(f, {FactKind::vcf}, today, options);
  f.distinct_vcfs = count_distinct_vcfs(f.of(FactKind::vcf));
  f.osteoporotic = f.vcf && any_record(f, FactKind::osteoporotic);
  f.pathological = any_current(f, FactKind::pathological_vcf) ||
                   (f.vcf && any_record(f, FactKind::bone_malignancy));
  f.malignancy = any_record(f, FactKind::malignancy);
  f.worsening_pain = three_valued(f, FactKind::worsening_pain, FactKind::worsening_pain_absent);
  // §7: a pain record and an asymptomatic record together: pain wins; worsening pain is pain.
  const bool pain = any_current(f, FactKind::back_pain) || f.worsening_pain == Tri::present;
  if (pain) {
    f.symptomatic = Tri::present;
  } else if (any_current(f, FactKind::asymptomatic)) {
    f.symptomatic = Tri::absent;
  } else {
    f.symptomatic = Tri::unknown;
  }
  // Without symptoms there is no pain to worsen.
  if (f.symptomatic == Tri::absent) f.worsening_pain = Tri::absent;
  f.new_back_pain =
      pain && is_new(f, {FactKind::back_pain, FactKind::worsening_pain}, today, options);
  f.prior_augmentation = any_record(f, FactKind::prior_augmentation);
  f.prior_spine_surgery = any_record(f, FactKind::prior_spine_surgery);
  f.deformity_or_pulmonary = any_current(f, FactKind::deformity_or_pulmonary);
  f.edema_or_cleft = three_valued(f, FactKind::edema_or_cleft, FactKind::edema_or_cleft_absent);
}

}  // namespace vcf_cds::facts

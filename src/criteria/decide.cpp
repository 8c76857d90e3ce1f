// Which variant applies to an order, and what the answer assumed (CONTRACT §3, §7).
#include <algorithm>
#include <array>
#include <utility>

#include "vcf_cds/criteria.hpp"

namespace vcf_cds::criteria {
namespace {

using facts::ClinicalFacts;
using facts::Tri;

constexpr std::array<int, 9> kPriority = {2, 4, 3, 1, 9, 7, 6, 8, 5};

// The values symptoms can take: the documented one, or both when undocumented.
struct SymptomWorlds {
  std::array<bool, 2> values{};
  std::size_t count = 0;
  const bool* begin() const { return values.data(); }
  const bool* end() const { return values.data() + count; }
};

SymptomWorlds symptom_worlds(const ClinicalFacts& facts) {
  switch (facts.symptomatic) {
    case Tri::present:
      return {{true, false}, 1};
    case Tri::absent:
      return {{false, false}, 1};
    case Tri::unknown:
      break;
  }
  return {{true, false}, 2};
}

// Variants that contain the ordered row and match in some symptom world, in priority order.
std::vector<VariantMatch> candidates_for(const KnowledgeBase& kb, std::string_view row_name,
                                         const ClinicalFacts& facts) {
  std::vector<VariantMatch> out;
  const auto worlds = symptom_worlds(facts);
  for (int number : kPriority) {
    const Variant* variant = kb.variant(number);
    if (variant == nullptr) continue;
    const ProcedureRow* row = variant->find_row(row_name);
    if (row == nullptr) continue;  // §7: only variants whose rows include the order
    const bool matches = std::any_of(worlds.begin(), worlds.end(), [&](bool symptomatic) {
      return variant_matches(number, facts, symptomatic);
    });
    if (matches) out.push_back({variant, row});
  }
  return out;
}

// An absent fact set to present, to see whether it would have changed the answer.
struct Flip {
  const char* fact;
  void (*apply)(ClinicalFacts&);
};

constexpr std::array<Flip, 9> kFlips = {{
    {"malignancy", [](ClinicalFacts& f) { f.malignancy = true; }},
    {"pathological_vcf", [](ClinicalFacts& f) { f.pathological = true; }},
    {"osteoporotic", [](ClinicalFacts& f) { f.osteoporotic = true; }},
    {"prior_augmentation", [](ClinicalFacts& f) { f.prior_augmentation = true; }},
    {"prior_spine_surgery", [](ClinicalFacts& f) { f.prior_spine_surgery = true; }},
    {"edema_or_cleft", [](ClinicalFacts& f) { f.edema_or_cleft = true; }},
    {"worsening_pain",
     [](ClinicalFacts& f) {
       f.worsening_pain = true;
       f.symptomatic = Tri::present;  // worsening pain is pain (§7)
     }},
    {"deformity_or_pulmonary", [](ClinicalFacts& f) { f.deformity_or_pulmonary = true; }},
    {"multiple_vcfs", [](ClinicalFacts& f) { f.distinct_vcfs = std::max(f.distinct_vcfs, 2); }},
}};

bool already_present(std::string_view fact, const ClinicalFacts& f) {
  if (fact == "malignancy") return f.malignancy;
  if (fact == "pathological_vcf") return f.pathological;
  if (fact == "osteoporotic") return f.osteoporotic;
  if (fact == "prior_augmentation") return f.prior_augmentation;
  if (fact == "prior_spine_surgery") return f.prior_spine_surgery;
  if (fact == "edema_or_cleft") return f.edema_or_cleft;
  if (fact == "worsening_pain") return f.worsening_pain;
  if (fact == "deformity_or_pulmonary") return f.deformity_or_pulmonary;
  return f.distinct_vcfs >= 2;  // multiple_vcfs
}

}  // namespace

std::span<const int> variant_priority() {
  return kPriority;
}

bool variant_matches(int number, const ClinicalFacts& f, bool symptomatic) {
  const bool new_vcf = f.vcf && f.vcf_new;
  // Under an assumed symptom, undated pain is what would be documented: it counts as new.
  const bool new_pain = symptomatic && (f.symptomatic == Tri::unknown || f.new_back_pain);
  switch (number) {
    case 1:
      return new_vcf && symptomatic && !f.malignancy;
    case 2:
      return new_vcf && symptomatic && f.malignancy;
    case 3:
      return new_pain && (f.prior_augmentation || f.distinct_vcfs >= 2);
    case 4:
      return f.vcf && !symptomatic && f.malignancy;
    case 5:
      return f.vcf && f.osteoporotic && !symptomatic;
    case 6:
      return f.vcf && f.osteoporotic && symptomatic && f.edema_or_cleft;
    case 7:
      return new_vcf && symptomatic && (f.prior_augmentation || f.prior_spine_surgery);
    case 8:
      return f.vcf && !f.pathological && (f.worsening_pain || f.deformity_or_pulmonary);
    case 9:
      return f.vcf && f.pathological && symptomatic;
    default:
      return false;
  }
}

Decision decide(const KnowledgeBase& kb, facts::OrderedProcedure procedure,
                facts::ClinicalFacts facts) {
  Decision decision;
  decision.procedure = std::move(procedure);
  decision.facts = std::move(facts);
  const auto& f = decision.facts;
  const std::string& row_name = decision.procedure.row_name;

  if (!row_name.empty()) decision.candidates = candidates_for(kb, row_name, f);
  if (decision.candidates.empty()) {
    // §3: no match gets no card; advanced imaging still gets PAMA no-criteria-apply.
    decision.outcome =
        decision.procedure.advanced_imaging ? Outcome::no_criteria_apply : Outcome::not_applicable;
    return decision;
  }

  decision.outcome = Outcome::rated;
  decision.headline = decision.candidates.front();
  const int headline_number = decision.headline.variant->number;
  const int headline_rating = decision.headline.row->rating;

  decision.firm = true;
  for (const auto& candidate : decision.candidates) {
    if (candidate.row->rating != headline_rating) {
      decision.firm = false;
      decision.other_variants.push_back(candidate);
    }
  }

  // The headline relied on an assumption when it matches only one of the symptom worlds.
  if (f.symptomatic == Tri::unknown) {
    const bool when_symptomatic = variant_matches(headline_number, f, true);
    const bool when_asymptomatic = variant_matches(headline_number, f, false);
    if (when_symptomatic != when_asymptomatic) {
      decision.assumptions.push_back({"symptomatic", when_symptomatic});
    }
  }

  // Matching reads only the derived flags. Each flip copies the facts, so the evidence (every
  // source string) is set aside meanwhile instead of being copied nine times (issue #8).
  auto evidence = std::exchange(decision.facts.evidence, {});
  for (const auto& flip : kFlips) {
    if (already_present(flip.fact, f)) continue;
    ClinicalFacts changed = f;
    flip.apply(changed);
    const auto flipped = candidates_for(kb, row_name, changed);
    if (flipped.empty()) continue;
    const VariantMatch& would_be = flipped.front();
    if (would_be.variant->number != headline_number && would_be.row->rating != headline_rating) {
      decision.if_present.push_back({flip.fact, would_be});
    }
  }
  decision.facts.evidence = std::move(evidence);
  return decision;
}

}  // namespace vcf_cds::criteria

// Which variant applies to an order, what the answer assumed and what to ask (CONTRACT §3, §7).
//
// The three-valued facts that no record settles are filled in every consistent way ("worlds",
// at most six); each world has its highest-priority matching variant, or none. Candidates,
// firmness, assumptions and the questions worth asking all come from that small table.
#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "vcf_cds/criteria.hpp"

namespace vcf_cds::criteria {
namespace {

using facts::ClinicalFacts;
using facts::Tri;

constexpr std::array<int, 9> kPriority = {2, 4, 3, 1, 9, 7, 6, 8, 5};
constexpr std::array<OpenFact, kOpenFactCount> kOpenFacts = {
    OpenFact::symptomatic, OpenFact::edema_or_cleft, OpenFact::worsening_pain};

using WorldMask = std::uint8_t;  // bit i: world i of a Table

Tri documented(const ClinicalFacts& f, OpenFact fact) {
  switch (fact) {
    case OpenFact::symptomatic:
      return f.symptomatic;
    case OpenFact::edema_or_cleft:
      return f.edema_or_cleft;
    case OpenFact::worsening_pain:
      break;
  }
  return f.worsening_pain;
}

// The variants whose rows include the order and that match in some world, in priority order,
// each with the worlds it matches in.
struct Table {
  std::array<World, 8> worlds{};
  std::size_t world_count = 0;
  std::array<VariantMatch, 9> rows{};
  std::array<WorldMask, 9> matches{};
  std::size_t count = 0;

  WorldMask all() const { return static_cast<WorldMask>((1U << world_count) - 1U); }

  // Index into rows of the highest-priority variant matching in one of `within`; count if none.
  std::size_t headline_in(WorldMask within) const {
    for (std::size_t k = 0; k < count; ++k) {
      if ((matches[k] & within) != 0) return k;
    }
    return count;
  }

  // The worlds of `within` in which `fact` has `value`.
  WorldMask with(OpenFact fact, bool value, WorldMask within) const {
    WorldMask out = 0;
    for (std::size_t i = 0; i < world_count; ++i) {
      if (worlds[i].value(fact) == value) out |= static_cast<WorldMask>(1U << i);
    }
    return out & within;
  }

  // The category the world's highest-priority variant gives the order; -1 for no variant.
  int outcome(std::size_t world) const {
    const std::size_t k = headline_in(static_cast<WorldMask>(1U << world));
    return k == count ? -1 : static_cast<int>(rows[k].row->category);
  }
};

// The variants whose rows include the ordered procedure (§7), in priority order: looked up once
// per decision, then matched against the original and every flipped set of facts.
struct Rows {
  std::array<VariantMatch, 9> matches{};
  std::size_t count = 0;
};

Rows rows_for(const KnowledgeBase& kb, std::string_view row_name) {
  Rows out;
  for (int number : kPriority) {
    const Variant* variant = kb.variant(number);
    if (variant == nullptr) continue;
    if (const ProcedureRow* row = variant->find_row(row_name))
      out.matches[out.count++] = {variant, row};
  }
  return out;
}

Table table_for(const Rows& rows, const ClinicalFacts& f) {
  Table t;
  for (unsigned bits = 0; bits < 8; ++bits) {
    const World world{(bits & 1U) != 0, (bits & 2U) != 0, (bits & 4U) != 0};
    if (world.worsening_pain && !world.symptomatic) continue;  // worsening pain is pain (§7)
    const bool fits = std::all_of(kOpenFacts.begin(), kOpenFacts.end(), [&](OpenFact fact) {
      const Tri value = documented(f, fact);
      return value == Tri::unknown || world.value(fact) == (value == Tri::present);
    });
    if (fits) t.worlds[t.world_count++] = world;
  }
  for (std::size_t r = 0; r < rows.count; ++r) {
    const VariantMatch& match = rows.matches[r];
    WorldMask mask = 0;
    for (std::size_t i = 0; i < t.world_count; ++i) {
      if (variant_matches(match.variant->number, f, t.worlds[i])) {
        mask |= static_cast<WorldMask>(1U << i);
      }
    }
    if (mask == 0) continue;
    t.rows[t.count] = match;
    t.matches[t.count] = mask;
    ++t.count;
  }
  return t;
}

// §3: every world of `within` has a variant, and their highest-priority variants rate alike.
bool firm_in(const Table& t, WorldMask within) {
  int rating = 0;
  for (std::size_t i = 0; i < t.world_count; ++i) {
    if ((within & (1U << i)) == 0) continue;
    const std::size_t k = t.headline_in(static_cast<WorldMask>(1U << i));
    if (k == t.count) return false;
    if (rating != 0 && t.rows[k].row->rating != rating) return false;
    rating = t.rows[k].row->rating;
  }
  return rating != 0;
}

// What variant `k` needs of the facts still open within `within`: a fact is assumed when the
// variant matches only with one of its values. Implied assumptions are left out (worsening pain
// assumed present says symptoms are; symptoms assumed absent say pain is not worsening).
std::vector<Assumption> assumptions_of(const Table& t, std::size_t k, WorldMask within) {
  std::vector<Assumption> out;
  const WorldMask matched = t.matches[k] & within;
  std::array<int, kOpenFactCount> assumed{};  // 1 present, -1 absent, 0 not assumed
  for (std::size_t n = 0; n < kOpenFactCount; ++n) {
    const WorldMask when_present = t.with(kOpenFacts[n], true, within);
    const WorldMask when_absent = t.with(kOpenFacts[n], false, within);
    if (when_present == 0 || when_absent == 0) continue;  // settled within these worlds
    if ((matched & when_absent) == 0) assumed[n] = 1;
    if ((matched & when_present) == 0) assumed[n] = -1;
  }
  constexpr auto kSymptoms = static_cast<std::size_t>(OpenFact::symptomatic);
  constexpr auto kWorsening = static_cast<std::size_t>(OpenFact::worsening_pain);
  if (assumed[kWorsening] == 1 && assumed[kSymptoms] == 1) assumed[kSymptoms] = 0;
  if (assumed[kSymptoms] == -1 && assumed[kWorsening] == -1) assumed[kWorsening] = 0;
  for (std::size_t n = 0; n < kOpenFactCount; ++n) {
    if (assumed[n] != 0) out.push_back({std::string(to_string(kOpenFacts[n])), assumed[n] == 1});
  }
  return out;
}

// §3 "ask, don't only assume": two worlds that differ only in `fact` give the order different
// categories, or one of them no variant.
bool category_depends_on(const Table& t, OpenFact fact) {
  auto same_elsewhere = [fact](const World& a, const World& b) {
    return std::all_of(kOpenFacts.begin(), kOpenFacts.end(), [&](OpenFact other) {
      return other == fact || a.value(other) == b.value(other);
    });
  };
  for (std::size_t i = 0; i < t.world_count; ++i) {
    for (std::size_t j = i + 1; j < t.world_count; ++j) {
      if (t.worlds[i].value(fact) == t.worlds[j].value(fact)) continue;
      if (!same_elsewhere(t.worlds[i], t.worlds[j])) continue;
      if (t.outcome(i) != t.outcome(j)) return true;
    }
  }
  return false;
}

void add_clarifications(const Table& t, const ClinicalFacts& f, Decision& decision) {
  for (OpenFact fact : kOpenFacts) {
    if (documented(f, fact) != Tri::unknown || !category_depends_on(t, fact)) continue;
    for (bool present : {true, false}) {
      const WorldMask answered = t.with(fact, present, t.all());
      if (answered == 0) continue;
      Clarification question;
      question.fact = std::string(to_string(fact));
      question.present = present;
      const std::size_t k = t.headline_in(answered);
      if (k != t.count) {
        question.result = t.rows[k];
        question.firm = firm_in(t, answered);
        // A firm answer's rating holds whatever the rest turns out to be: nothing to qualify.
        if (!question.firm) question.conditions = assumptions_of(t, k, answered);
      }
      decision.clarifications.push_back(std::move(question));
    }
  }
}

// The variant to name for a decision: its headline, unless the answer is firm and a variant that
// applies in every world rates the order the same (worsening pain documented with edema unknown
// is variant 8 whatever the MRI shows, though variant 6 heads the worlds with edema).
const VariantMatch& named_variant(const Table& t) {
  if (firm_in(t, t.all())) {
    for (std::size_t k = 0; k < t.count; ++k) {
      if (t.matches[k] == t.all() && t.rows[k].row->rating == t.rows[0].row->rating) {
        return t.rows[k];
      }
    }
  }
  return t.rows[0];
}

// An absent fact set to present, to see whether it would have changed the answer. Unknown
// three-valued facts are not flipped: the worlds and the questions cover them.
struct Flip {
  const char* fact;
  bool (*absent)(const ClinicalFacts&);
  void (*apply)(ClinicalFacts&);
};

constexpr std::array<Flip, 9> kFlips = {{
    {"malignancy", [](const ClinicalFacts& f) { return !f.malignancy; },
     [](ClinicalFacts& f) { f.malignancy = true; }},
    {"pathological_vcf", [](const ClinicalFacts& f) { return !f.pathological; },
     [](ClinicalFacts& f) { f.pathological = true; }},
    {"osteoporotic", [](const ClinicalFacts& f) { return !f.osteoporotic; },
     [](ClinicalFacts& f) { f.osteoporotic = true; }},
    {"prior_augmentation", [](const ClinicalFacts& f) { return !f.prior_augmentation; },
     [](ClinicalFacts& f) { f.prior_augmentation = true; }},
    {"prior_spine_surgery", [](const ClinicalFacts& f) { return !f.prior_spine_surgery; },
     [](ClinicalFacts& f) { f.prior_spine_surgery = true; }},
    {"edema_or_cleft", [](const ClinicalFacts& f) { return f.edema_or_cleft == Tri::absent; },
     [](ClinicalFacts& f) { f.edema_or_cleft = Tri::present; }},
    {"worsening_pain", [](const ClinicalFacts& f) { return f.worsening_pain == Tri::absent; },
     [](ClinicalFacts& f) {
       f.worsening_pain = Tri::present;
       f.symptomatic = Tri::present;  // worsening pain is pain (§7)
     }},
    {"deformity_or_pulmonary", [](const ClinicalFacts& f) { return !f.deformity_or_pulmonary; },
     [](ClinicalFacts& f) { f.deformity_or_pulmonary = true; }},
    {"multiple_vcfs", [](const ClinicalFacts& f) { return f.distinct_vcfs < 2; },
     [](ClinicalFacts& f) { f.distinct_vcfs = std::max(f.distinct_vcfs, 2); }},
}};

}  // namespace

std::string_view to_string(OpenFact fact) {
  switch (fact) {
    case OpenFact::symptomatic:
      return "symptomatic";
    case OpenFact::edema_or_cleft:
      return "edema_or_cleft";
    case OpenFact::worsening_pain:
      break;
  }
  return "worsening_pain";
}

bool World::value(OpenFact fact) const {
  switch (fact) {
    case OpenFact::symptomatic:
      return symptomatic;
    case OpenFact::edema_or_cleft:
      return edema_or_cleft;
    case OpenFact::worsening_pain:
      break;
  }
  return worsening_pain;
}

std::span<const int> variant_priority() {
  return kPriority;
}

bool variant_matches(int number, const ClinicalFacts& f, const World& w) {
  const bool new_vcf = f.vcf && f.vcf_new;
  // Pain documented to fill in unknown symptoms would be an undated order reason: new (§7).
  // Assumed worsening of documented pain does not make that pain new.
  const bool new_pain = w.symptomatic && (f.new_back_pain || f.symptomatic == Tri::unknown);
  // §3: "osteoporotic" (variants 5, 6) is an osteoporotic VCF that is not pathological.
  const bool osteoporotic_vcf = f.vcf && f.osteoporotic && !f.pathological;
  switch (number) {
    case 1:
      return new_vcf && w.symptomatic && !f.malignancy;
    case 2:
      return new_vcf && w.symptomatic && f.malignancy;
    case 3:
      return new_pain && (f.prior_augmentation || f.distinct_vcfs >= 2);
    case 4:
      return f.vcf && !w.symptomatic && f.malignancy;
    case 5:
      return osteoporotic_vcf && !w.symptomatic;
    case 6:
      return osteoporotic_vcf && w.symptomatic && w.edema_or_cleft;
    case 7:
      return new_vcf && w.symptomatic && (f.prior_augmentation || f.prior_spine_surgery);
    case 8:
      return f.vcf && !f.pathological && (w.worsening_pain || f.deformity_or_pulmonary);
    case 9:
      return f.vcf && f.pathological && w.symptomatic;
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

  if (row_name.empty()) {
    decision.outcome =
        decision.procedure.advanced_imaging ? Outcome::no_criteria_apply : Outcome::not_applicable;
    return decision;
  }
  const Rows rows = rows_for(kb, row_name);
  const Table table = table_for(rows, f);
  if (table.count == 0) {
    // §3: no match gets no card; advanced imaging still gets PAMA no-criteria-apply.
    decision.outcome =
        decision.procedure.advanced_imaging ? Outcome::no_criteria_apply : Outcome::not_applicable;
    return decision;
  }

  decision.outcome = Outcome::rated;
  decision.candidates.assign(table.rows.begin(),
                             table.rows.begin() + static_cast<std::ptrdiff_t>(table.count));
  decision.headline = decision.candidates.front();
  const int headline_number = decision.headline.variant->number;
  const int headline_rating = decision.headline.row->rating;
  for (const auto& candidate : decision.candidates) {
    if (candidate.row->rating != headline_rating) decision.other_variants.push_back(candidate);
  }
  decision.firm = firm_in(table, table.all());
  decision.assumptions = assumptions_of(table, 0, table.all());
  add_clarifications(table, f, decision);

  // Matching reads only the derived flags. Each flip copies the facts, so the evidence (every
  // source string) is set aside meanwhile instead of being copied nine times.
  auto evidence = std::exchange(decision.facts.evidence, {});
  for (const auto& flip : kFlips) {
    if (!flip.absent(f)) continue;
    ClinicalFacts changed = f;
    flip.apply(changed);
    const Table flipped = table_for(rows, changed);
    if (flipped.count == 0) continue;
    const VariantMatch& would_be = named_variant(flipped);
    if (would_be.variant->number != headline_number && would_be.row->rating != headline_rating) {
      decision.if_present.push_back({flip.fact, would_be});
    }
  }
  decision.facts.evidence = std::move(evidence);
  return decision;
}

}  // namespace vcf_cds::criteria

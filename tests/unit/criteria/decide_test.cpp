#include "vcf_cds/criteria.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace {

using namespace vcf_cds::criteria;
using vcf_cds::facts::ClinicalFacts;
using vcf_cds::facts::OrderedProcedure;
using vcf_cds::facts::Tri;

const KnowledgeBase& kb() {
  static const KnowledgeBase loaded =
      load_knowledge_base(vcf_cds::testing::source_path("cards/criteria.json"));
  return loaded;
}

OrderedProcedure order(std::string row, bool advanced = true) {
  OrderedProcedure p;
  p.order_ref = "ServiceRequest/o1";
  p.row_name = std::move(row);
  p.advanced_imaging = advanced;
  return p;
}

ClinicalFacts new_vcf(Tri symptomatic) {
  ClinicalFacts f;
  f.vcf = true;
  f.vcf_new = true;
  f.distinct_vcfs = 1;
  f.symptomatic = symptomatic;
  f.new_back_pain = symptomatic == Tri::present;
  return f;
}

constexpr const char* kMriWithout = "MRI spine area of interest without IV contrast";
constexpr const char* kMriWith = "MRI spine area of interest with IV contrast";
constexpr const char* kAugmentation = "Percutaneous vertebral augmentation";

}  // namespace

TEST_SUITE("criteria") {
  TEST_CASE("decide: new symptomatic VCF, no malignancy -> variant 1, firm, no assumptions") {
    const auto d = decide(kb(), order(kMriWith), new_vcf(Tri::present));
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 1);
    CHECK(d.headline.row->rating == 3);
    CHECK(d.candidates.size() == 1);
    CHECK(d.firm);
    CHECK(d.assumptions.empty());
    // Malignancy was absent and decided the variant: variant 2 rates MRI with contrast 5.
    REQUIRE(d.if_present.size() >= 1);
    CHECK(d.if_present.front().fact == "malignancy");
    CHECK(d.if_present.front().match.variant->number == 2);
    CHECK(d.if_present.front().match.row->rating == 5);
  }

  TEST_CASE("decide: malignancy with symptoms undocumented -> variant 2 assumed, variant 4 other") {
    auto f = new_vcf(Tri::unknown);
    f.malignancy = true;
    const auto d = decide(kb(), order(kMriWith), f);
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 2);
    REQUIRE(d.candidates.size() == 2);
    CHECK(d.candidates[1].variant->number == 4);
    CHECK_FALSE(d.firm);  // 5 in variant 2, 3 in variant 4
    REQUIRE(d.other_variants.size() == 1);
    CHECK(d.other_variants[0].variant->number == 4);
    CHECK(d.other_variants[0].row->rating == 3);
    REQUIRE(d.assumptions.size() == 1);
    CHECK(d.assumptions[0].fact == "symptomatic");
    CHECK(d.assumptions[0].assumed_present);
  }

  TEST_CASE("decide: same rating in every candidate -> firm") {
    auto f = new_vcf(Tri::unknown);
    f.malignancy = true;
    // CT without contrast: variant 2 rates 7, variant 4 rates 8 -> not firm; MRI without and
    // with contrast: 9 in both -> firm.
    const auto d =
        decide(kb(), order("MRI spine area of interest without and with IV contrast"), f);
    CHECK(d.candidates.size() == 2);
    CHECK(d.firm);
    CHECK(d.other_variants.empty());
  }

  TEST_CASE("decide: asymptomatic VCF with malignancy -> variant 4") {
    auto f = new_vcf(Tri::absent);
    f.malignancy = true;
    const auto d = decide(kb(), order("Image-guided biopsy spine area of interest"), f);
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 4);
    CHECK(d.headline.row->rating == 5);
  }

  TEST_CASE("decide: new pain after augmentation -> variant 3 outranks variant 1") {
    auto f = new_vcf(Tri::present);
    f.prior_augmentation = true;
    const auto d = decide(kb(), order("CT spine area of interest without IV contrast"), f);
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 3);
    CHECK(d.candidates.size() == 2);  // 3 and 1, both rate 8
    CHECK(d.firm);
  }

  TEST_CASE("decide: two distinct VCFs and new pain, no current VCF -> variant 3") {
    ClinicalFacts f;
    f.distinct_vcfs = 2;
    f.symptomatic = Tri::present;
    f.new_back_pain = true;
    const auto d = decide(kb(), order(kMriWithout), f);
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 3);
  }

  TEST_CASE("decide: old pain only with prior augmentation -> no variant 3") {
    auto f = new_vcf(Tri::present);
    f.vcf_new = false;
    f.new_back_pain = false;
    f.prior_augmentation = true;
    const auto d = decide(kb(), order(kMriWithout), f);
    CHECK(d.outcome == Outcome::no_criteria_apply);
  }

  TEST_CASE("decide: treatment variants by priority 9, 7, 6, 8, 5") {
    auto f = new_vcf(Tri::present);
    f.osteoporotic = true;
    f.pathological = true;
    f.prior_augmentation = true;
    f.edema_or_cleft = Tri::present;
    f.worsening_pain = Tri::present;
    CHECK(decide(kb(), order(kAugmentation, false), f).headline.variant->number == 9);
    f.pathological = false;
    CHECK(decide(kb(), order(kAugmentation, false), f).headline.variant->number == 7);
    f.prior_augmentation = false;
    CHECK(decide(kb(), order(kAugmentation, false), f).headline.variant->number == 6);
    f.edema_or_cleft = Tri::absent;
    CHECK(decide(kb(), order(kAugmentation, false), f).headline.variant->number == 8);
    f.worsening_pain = Tri::absent;
    f.symptomatic = Tri::absent;
    const auto d5 = decide(kb(), order(kAugmentation, false), f);
    CHECK(d5.headline.variant->number == 5);
    CHECK(d5.headline.row->category == Category::usually_not_appropriate);
    CHECK(d5.firm);
    CHECK(d5.clarifications.empty());
  }

  TEST_CASE("decide: osteoporotic VCF, nothing else documented -> variant 6 assumed, asks") {
    // Symptoms, edema/cleft and worsening pain are all unknown: variant 6 is the highest-priority
    // candidate (it needs symptoms and edema or cleft); variant 5 (no symptoms) and variant 8
    // (worsening pain) fit other worlds, and one world (pain, no edema, not worsening) has none.
    auto f = new_vcf(Tri::unknown);
    f.osteoporotic = true;
    const auto d = decide(kb(), order("Surgical consultation", false), f);
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 6);
    CHECK(d.headline.row->rating == 5);
    REQUIRE(d.candidates.size() == 3);
    CHECK(d.candidates[1].variant->number == 8);
    CHECK(d.candidates[2].variant->number == 5);
    CHECK_FALSE(d.firm);
    REQUIRE(d.assumptions.size() == 2);
    CHECK(d.assumptions[0].fact == "symptomatic");
    CHECK(d.assumptions[0].assumed_present);
    CHECK(d.assumptions[1].fact == "edema_or_cleft");
    CHECK(d.assumptions[1].assumed_present);
    // Every unknown fact changes the category somewhere: two answers each.
    REQUIRE(d.clarifications.size() == 6);
    CHECK(d.clarifications[1].fact == "symptomatic");
    CHECK_FALSE(d.clarifications[1].present);
    CHECK(d.clarifications[1].result.variant->number == 5);
    CHECK(d.clarifications[1].firm);
  }

  TEST_CASE("decide: edema documented absent -> if it were present, variant 6 would rate it") {
    auto f = new_vcf(Tri::unknown);
    f.osteoporotic = true;
    f.edema_or_cleft = Tri::absent;
    const auto d = decide(kb(), order("Surgical consultation", false), f);
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 8);  // assumes worsening pain
    REQUIRE(d.assumptions.size() == 1);
    CHECK(d.assumptions[0].fact == "worsening_pain");
    // If edema or cleft were documented, symptomatic variant 6 would rate the consult 5, not 7.
    const IfPresent* edema = nullptr;
    for (const auto& alt : d.if_present) {
      if (alt.fact == "edema_or_cleft") edema = &alt;
    }
    REQUIRE(edema != nullptr);
    CHECK(edema->match.variant->number == 6);
    CHECK(edema->match.row->rating == 5);
    // Documented absent: never asked again.
    for (const auto& q : d.clarifications) CHECK(q.fact != "edema_or_cleft");
  }

  TEST_CASE("decide: biopsy order never lands in variant 1 or 3 (CONTRACT §7)") {
    const auto d =
        decide(kb(), order("Image-guided biopsy spine area of interest"), new_vcf(Tri::present));
    CHECK(d.outcome == Outcome::no_criteria_apply);
    CHECK(d.candidates.empty());
  }

  TEST_CASE("decide: no VCF, back pain only -> no card; advanced imaging -> no-criteria-apply") {
    ClinicalFacts f;
    f.symptomatic = Tri::present;
    f.new_back_pain = true;
    CHECK(decide(kb(), order(kMriWithout), f).outcome == Outcome::no_criteria_apply);
    CHECK(decide(kb(), order(kAugmentation, false), f).outcome == Outcome::not_applicable);
    CHECK(decide(kb(), order("", true), f).outcome == Outcome::no_criteria_apply);
    CHECK(decide(kb(), order("", false), f).outcome == Outcome::not_applicable);
  }

  TEST_CASE("decide: pathological VCF without pain -> not variant 9; benign worsening -> 8") {
    auto f = new_vcf(Tri::absent);
    f.pathological = true;
    CHECK(decide(kb(), order("Radiation oncology consultation", false), f).outcome ==
          Outcome::not_applicable);
    auto g = new_vcf(Tri::present);
    g.deformity_or_pulmonary = true;
    const auto d = decide(kb(), order("Surgical consultation", false), g);
    CHECK(d.headline.variant->number == 8);
    CHECK(d.headline.row->rating == 7);
  }

  TEST_CASE("decide: priority list -> imaging 2,4,3,1 then treatment 9,7,6,8,5") {
    const auto p = variant_priority();
    CHECK(std::vector<int>(p.begin(), p.end()) == std::vector<int>{2, 4, 3, 1, 9, 7, 6, 8, 5});
  }
}

namespace {

// Every way of filling in the unknown three-valued facts, as the next call would read them once
// documented: an answered symptom is an undated order reason (new pain), worsening pain is pain,
// and without symptoms there is no worsening pain.
std::vector<ClinicalFacts> resolutions(const ClinicalFacts& f) {
  std::vector<ClinicalFacts> out;
  for (Tri s : {Tri::present, Tri::absent}) {
    if (f.symptomatic != Tri::unknown && f.symptomatic != s) continue;
    for (Tri e : {Tri::present, Tri::absent}) {
      if (f.edema_or_cleft != Tri::unknown && f.edema_or_cleft != e) continue;
      for (Tri w : {Tri::present, Tri::absent}) {
        if (f.worsening_pain != Tri::unknown && f.worsening_pain != w) continue;
        if (w == Tri::present && s == Tri::absent) continue;
        ClinicalFacts g = f;
        g.symptomatic = s;
        g.edema_or_cleft = e;
        g.worsening_pain = w;
        if (f.symptomatic == Tri::unknown && s == Tri::present) g.new_back_pain = true;
        out.push_back(g);
      }
    }
  }
  return out;
}

// -1: no card (no variant); else the headline's category.
int category_of(const Decision& d) {
  return d.outcome == Outcome::rated ? static_cast<int>(d.headline.row->category) : -1;
}

ClinicalFacts answered(ClinicalFacts f, const Clarification& q) {
  const Tri value = q.present ? Tri::present : Tri::absent;
  if (q.fact == "symptomatic") {
    f.symptomatic = value;
    if (q.present) f.new_back_pain = true;
    if (!q.present) f.worsening_pain = Tri::absent;
  } else if (q.fact == "edema_or_cleft") {
    f.edema_or_cleft = value;
  } else {
    f.worsening_pain = value;
    if (q.present && f.symptomatic == Tri::unknown) {
      f.symptomatic = Tri::present;
      f.new_back_pain = true;
    }
  }
  return f;
}

}  // namespace

TEST_SUITE("criteria") {
  TEST_CASE(
      "decide: every combination of facts -> firm, candidates and questions per CONTRACT §3") {
    const char* rows[] = {kMriWithout, kMriWith, kAugmentation, "Surgical consultation",
                          "Radiation oncology consultation"};
    constexpr Tri kTris[] = {Tri::present, Tri::absent, Tri::unknown};
    int decisions = 0;
    int asked = 0;
    for (unsigned bits = 0; bits < (1U << 7); ++bits) {
      ClinicalFacts f;
      f.vcf = true;
      f.vcf_new = (bits & 1U) != 0;
      f.malignancy = (bits & 2U) != 0;
      f.osteoporotic = (bits & 4U) != 0;
      f.pathological = (bits & 8U) != 0;
      f.prior_augmentation = (bits & 16U) != 0;
      f.deformity_or_pulmonary = (bits & 32U) != 0;
      f.distinct_vcfs = (bits & 64U) != 0 ? 2 : 1;
      for (Tri s : kTris) {
        for (Tri e : kTris) {
          for (Tri w : kTris) {
            if (w == Tri::present && s != Tri::present) continue;  // derive never gives these
            if (s == Tri::absent && w != Tri::absent) continue;
            f.symptomatic = s;
            f.edema_or_cleft = e;
            f.worsening_pain = w;
            f.new_back_pain = s == Tri::present && f.vcf_new;
            for (const char* row : rows) {
              CAPTURE(bits);
              CAPTURE(static_cast<int>(s));
              CAPTURE(static_cast<int>(e));
              CAPTURE(static_cast<int>(w));
              CAPTURE(row);
              const auto d = decide(kb(), order(row, false), f);
              ++decisions;
              // §3: "osteoporotic" never covers a pathological fracture.
              for (const auto& c : d.candidates) {
                if (f.pathological) CHECK((c.variant->number != 5 && c.variant->number != 6));
              }
              if (d.outcome != Outcome::rated) {
                CHECK(d.clarifications.empty());
                for (const auto& g : resolutions(f)) {
                  CHECK(decide(kb(), order(row, false), g).outcome != Outcome::rated);
                }
                continue;
              }
              // Each world's answer is a candidate; firm when all have one with one rating;
              // no question when all give the headline's category.
              bool every_world_rated = true;
              bool one_rating = true;
              bool one_category = true;
              for (const auto& g : resolutions(f)) {
                const auto world = decide(kb(), order(row, false), g);
                if (world.outcome != Outcome::rated) {
                  every_world_rated = false;
                  one_category = false;
                  continue;
                }
                CHECK(std::any_of(
                    d.candidates.begin(), d.candidates.end(),
                    [&](const VariantMatch& c) { return c.variant == world.headline.variant; }));
                one_rating = one_rating && world.headline.row->rating == d.headline.row->rating;
                one_category = one_category && category_of(world) == category_of(d);
              }
              CHECK(d.firm == (every_world_rated && one_rating));
              CHECK(d.clarifications.empty() == one_category);
              // Each answer, documented, gives what the question promised and is not asked again.
              for (const auto& q : d.clarifications) {
                ++asked;
                CAPTURE(q.fact);
                CAPTURE(q.present);
                const auto next = decide(kb(), order(row, false), answered(f, q));
                if (q.result.variant == nullptr) {
                  CHECK(next.outcome != Outcome::rated);
                  continue;
                }
                REQUIRE(next.outcome == Outcome::rated);
                CHECK(next.headline.variant == q.result.variant);
                CHECK(next.firm == q.firm);
                CHECK(q.conditions.size() == (q.firm ? 0U : next.assumptions.size()));
                for (const auto& again : next.clarifications) CHECK(again.fact != q.fact);
              }
            }
          }
        }
      }
    }
    CHECK(decisions > 5000);
    CHECK(asked > 1000);
  }

  TEST_CASE("decide: neoplastic VCF with osteoporosis -> variant 9 or nothing, never 5 or 6") {
    struct Row {
      Tri symptomatic;
      const char* procedure;
      int variant;  // 0: no variant
      bool firm;
      std::size_t questions;
    };
    const Row rows[] = {
        {Tri::present, kAugmentation, 9, true, 0},
        {Tri::unknown, kAugmentation, 9, false, 2},  // "no symptoms" leaves no variant
        {Tri::absent, kAugmentation, 0, false, 0},   // not variant 5
        {Tri::unknown, "Medical management only", 9, false, 2},
        {Tri::present, "Surgical consultation", 9, true, 0},
    };
    for (const Row& row : rows) {
      CAPTURE(row.procedure);
      CAPTURE(static_cast<int>(row.symptomatic));
      auto f = new_vcf(row.symptomatic);
      f.osteoporotic = true;
      f.pathological = true;
      const auto d = decide(kb(), order(row.procedure, false), f);
      if (row.variant == 0) {
        CHECK(d.outcome == Outcome::not_applicable);
        CHECK(d.candidates.empty());
        continue;
      }
      REQUIRE(d.outcome == Outcome::rated);
      CHECK(d.headline.variant->number == row.variant);
      REQUIRE(d.candidates.size() == 1);
      CHECK(d.other_variants.empty());
      CHECK(d.firm == row.firm);
      CHECK(d.clarifications.size() == row.questions);
    }
  }

  TEST_CASE("decide: unknown symptoms -> imaging and treatment orders assume and ask") {
    struct Row {
      const char* procedure;
      bool malignancy;
      bool osteoporotic;
      int headline;
      std::vector<int> candidates;
      // "<fact>:<answer>=<variant>" for each question, 0 when the answer leaves no variant.
      std::vector<std::string> questions;
    };
    const Row rows[] = {
        // Imaging, no malignancy: variant 1 assumed; no symptoms -> no variant (4 needs cancer).
        {kMriWithout, false, false, 1, {1}, {"symptomatic:true=1", "symptomatic:false=0"}},
        // Imaging with malignancy: 2 (5/9) or 4 (3/9).
        {kMriWith, true, false, 2, {2, 4}, {"symptomatic:true=2", "symptomatic:false=4"}},
        // Same rating in both: firm, nothing to ask.
        {"MRI spine area of interest without and with IV contrast", true, false, 2, {2, 4}, {}},
        // Treatment, osteoporotic: 6 (needs edema too), 8 (worsening pain) or 5 (no symptoms).
        {kAugmentation,
         false,
         true,
         6,
         {6, 8, 5},
         {"symptomatic:true=6", "symptomatic:false=5", "edema_or_cleft:true=6",
          "edema_or_cleft:false=8", "worsening_pain:true=6", "worsening_pain:false=6"}},
    };
    for (const Row& row : rows) {
      CAPTURE(row.procedure);
      auto f = new_vcf(Tri::unknown);
      f.malignancy = row.malignancy;
      f.osteoporotic = row.osteoporotic;
      const auto d = decide(kb(), order(row.procedure, !row.osteoporotic), f);
      REQUIRE(d.outcome == Outcome::rated);
      CHECK(d.headline.variant->number == row.headline);
      std::vector<int> candidates;
      for (const auto& c : d.candidates) candidates.push_back(c.variant->number);
      CHECK(candidates == row.candidates);
      std::vector<std::string> questions;
      for (const auto& q : d.clarifications) {
        questions.push_back(q.fact + (q.present ? ":true=" : ":false=") +
                            std::to_string(q.result.variant ? q.result.variant->number : 0));
      }
      CHECK(questions == row.questions);
      REQUIRE_FALSE(d.assumptions.empty());
      CHECK(d.assumptions[0].fact == "symptomatic");
      CHECK(d.assumptions[0].assumed_present);
    }
  }

  TEST_CASE("decide: painful osteoporotic VCF, augmentation, edema not coded -> asks, not silent") {
    // Before three-valued edema this order got no card at all.
    auto f = new_vcf(Tri::present);
    f.osteoporotic = true;
    const auto d = decide(kb(), order(kAugmentation, false), f);
    REQUIRE(d.outcome == Outcome::rated);
    CHECK(d.headline.variant->number == 6);
    CHECK_FALSE(d.firm);  // no edema and no worsening pain: no variant
    REQUIRE(d.assumptions.size() == 1);
    CHECK(d.assumptions[0].fact == "edema_or_cleft");
    REQUIRE(d.clarifications.size() == 4);
    CHECK(d.clarifications[0].fact == "edema_or_cleft");
    CHECK(d.clarifications[0].firm);
    CHECK(d.clarifications[1].result.variant->number == 8);
    REQUIRE(d.clarifications[1].conditions.size() == 1);
    CHECK(d.clarifications[1].conditions[0].fact == "worsening_pain");
    // Documented both ways, nothing is left to ask.
    f.edema_or_cleft = Tri::absent;
    f.worsening_pain = Tri::absent;
    CHECK(decide(kb(), order(kAugmentation, false), f).outcome == Outcome::not_applicable);
  }
}

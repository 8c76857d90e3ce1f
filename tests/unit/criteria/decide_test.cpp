#include "vcf_cds/criteria.hpp"

#include <doctest/doctest.h>

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

#include "vcf_cds/facts.hpp"

#include <doctest/doctest.h>

#include <set>

#include "facts/codes.hpp"
#include "unit/facts/facts_support.hpp"

namespace {

using namespace vcf_cds::facts;
using vcf_cds::facts::testing::count;
using vcf_cds::facts::testing::Scenario;

}  // namespace

TEST_SUITE("facts") {
  TEST_CASE("extract: dotted and undotted ICD-10-CM -> same osteoporotic VCF") {
    for (const char* name : {"dotted", "undotted"}) {
      CAPTURE(name);
      const Scenario scenario("codes", name);
      const ClinicalFacts f = scenario.facts();
      CHECK(f.vcf);
      CHECK(f.vcf_new);
      CHECK(f.osteoporotic);
      CHECK_FALSE(f.pathological);
      REQUIRE(count(f, FactKind::vcf) == 1);
      CHECK(f.of(FactKind::vcf)[0].source.reference == "Condition/c1");
      CHECK(f.of(FactKind::vcf)[0].distinct_key == "M8008X@");
    }
  }

  TEST_CASE("extract: icd-10 system URI -> matched as ICD-10-CM, with lumbar site") {
    const ClinicalFacts f = Scenario("codes", "icd10_system").facts();
    CHECK(f.vcf);
    CHECK(f.vcf_region == Region::lumbar);
    CHECK(f.of(FactKind::vcf)[0].source.system == "http://hl7.org/fhir/sid/icd-10");
  }

  TEST_CASE("extract: lowercase code with blanks -> normalised match") {
    const ClinicalFacts f = Scenario("codes", "lowercase_spaced").facts();
    CHECK(f.vcf);
    CHECK(f.vcf_region == Region::thoracic);
  }

  TEST_CASE("extract: VCF coding in 2nd position -> found, source is that coding") {
    const ClinicalFacts f = Scenario("codes", "second_position").facts();
    CHECK(f.vcf);
    REQUIRE(count(f, FactKind::vcf) == 1);
    CHECK(f.of(FactKind::vcf)[0].source.code == "S32.010A");
    CHECK(f.of(FactKind::vcf)[0].source.display ==
          "Wedge compression fracture of first lumbar vertebra");
    CHECK(f.vcf_region == Region::lumbar);
  }

  TEST_CASE("extract: empty and malformed codings -> skipped, valid one still counts") {
    const ClinicalFacts f = Scenario("codes", "empty_codings").facts();
    CHECK(f.vcf);
    REQUIRE(count(f, FactKind::vcf) == 1);
    CHECK(f.of(FactKind::vcf)[0].source.code == "42942008");
  }

  TEST_CASE("extract: SNOMED-only record -> VCF, osteoporotic, symptomatic, malignancy") {
    const ClinicalFacts f = Scenario("codes", "snomed_only").facts();
    CHECK(f.vcf);
    CHECK(f.vcf_new);
    CHECK(f.osteoporotic);
    CHECK(f.symptomatic == Tri::present);
    CHECK(f.new_back_pain);  // undated pain is new
    CHECK(f.malignancy);
    CHECK_FALSE(f.pathological);
    CHECK(f.distinct_vcfs == 1);
    CHECK(f.vcf_region == Region::none);
  }

  TEST_CASE("extract: near misses (M48.4, short, D49, other system, overlong) -> nothing") {
    const ClinicalFacts f = Scenario("codes", "near_misses").facts();
    for (std::size_t k = 0; k < kFactKindCount; ++k) {
      CAPTURE(to_string(static_cast<FactKind>(k)));
      CHECK(f.evidence[k].empty());
    }
    CHECK_FALSE(f.vcf);
    CHECK(f.symptomatic == Tri::unknown);
    CHECK(explain(f) == "no facts recorded");
  }

  TEST_CASE("extract: C79.51 with a VCF -> malignancy and bone malignancy -> pathological") {
    const ClinicalFacts f = Scenario("codes", "prefix_union").facts();
    CHECK(f.malignancy);
    CHECK(count(f, FactKind::bone_malignancy) == 1);
    CHECK(f.pathological);
    CHECK_FALSE(f.osteoporotic);
  }

  TEST_CASE("extract: hostile JSON shapes -> no throw, only well-formed data counts") {
    const Scenario scenario("codes", "hostile");
    ClinicalFacts f;
    CHECK_NOTHROW(f = scenario.facts());
    // c2 (coding as a lone object) and c3 (well-formed code) are VCFs; nothing else parses.
    CHECK(f.vcf);
    CHECK(count(f, FactKind::vcf) == 2);
    CHECK_FALSE(f.prior_augmentation);  // status is not a string: not "completed" or absent
    // valueBoolean "false" is a string, not false: the edema finding stands, undated.
    CHECK(f.edema_or_cleft == Tri::present);
    CHECK_FALSE(f.of(FactKind::edema_or_cleft)[0].date.has_value());
    CHECK_FALSE(f.pediatric);
    CHECK_FALSE(f.age_years.has_value());
    CHECK_NOTHROW((void)scenario.mapped("o1"));
    CHECK_NOTHROW((void)explain(f));
  }

  TEST_CASE("to_string/describe: every kind and region -> distinct words") {
    CHECK(to_string(FactKind::pathological_vcf) == "pathological_vcf");
    CHECK(to_string(FactKind::worsening_pain) == "worsening_pain");
    CHECK(to_string(FactKind::edema_or_cleft_absent) == "edema_or_cleft_absent");
    CHECK(fact_kind_from_string("worsening_pain_absent") == FactKind::worsening_pain_absent);
    CHECK(to_string(Region::whole_body) == "whole_body");
    CHECK(to_string(Region::none) == "none");
    CHECK(to_string(Contrast::without_and_with) == "without_and_with");
    CHECK(describe(Region::lumbar) == "lumbar spine");
    CHECK(describe(Region::none).empty());
    CHECK(describe(FactKind::malignancy) == "malignancy (active or history)");
    std::set<std::string_view> names;
    for (std::size_t k = 0; k < kFactKindCount; ++k) {
      names.insert(to_string(static_cast<FactKind>(k)));
      CHECK_FALSE(describe(static_cast<FactKind>(k)).empty());
    }
    CHECK(names.size() == kFactKindCount);
  }
}

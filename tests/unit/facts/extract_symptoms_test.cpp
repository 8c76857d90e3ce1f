#include "vcf_cds/facts.hpp"

#include <doctest/doctest.h>

#include "unit/facts/facts_support.hpp"

namespace {

using namespace vcf_cds::facts;
using vcf_cds::facts::testing::count;
using vcf_cds::facts::testing::Scenario;

ClinicalFacts facts(const char* name) {
  return Scenario("symptoms", name).facts();
}

}  // namespace

TEST_SUITE("facts") {
  TEST_CASE("extract: pain and asymptomatic records -> symptoms present (pain wins)") {
    const ClinicalFacts f = facts("pain_and_asymptomatic");
    CHECK(f.symptomatic == Tri::present);
    CHECK(count(f, FactKind::asymptomatic) == 1);
    CHECK(f.new_back_pain);
  }

  TEST_CASE("extract: asymptomatic Observation value only -> symptoms absent") {
    const ClinicalFacts f = facts("asymptomatic_only");
    CHECK(f.symptomatic == Tri::absent);
    CHECK_FALSE(f.new_back_pain);
    CHECK(f.of(FactKind::asymptomatic)[0].source.reference == "Observation/ob1");
  }

  TEST_CASE("extract: asymptomatic order reason -> symptoms absent for that order") {
    const ClinicalFacts f = facts("asymptomatic_reason");
    CHECK(f.symptomatic == Tri::absent);
    CHECK(f.osteoporotic);
  }

  TEST_CASE("extract: neither pain nor asymptomatic -> symptoms unknown") {
    const ClinicalFacts f = facts("neither");
    CHECK(f.symptomatic == Tri::unknown);
    CHECK_FALSE(f.new_back_pain);
  }

  TEST_CASE("extract: worsening pain Observation -> worsening, symptomatic, new back pain") {
    const ClinicalFacts f = facts("worsening_pain");
    CHECK(f.worsening_pain == Tri::present);
    CHECK(f.symptomatic == Tri::present);  // over the asymptomatic Condition
    CHECK(f.new_back_pain);                // dated 2026-11-20
    CHECK(f.vcf);
    CHECK_FALSE(f.vcf_new);
  }

  TEST_CASE("extract: old back pain -> symptomatic, not new back pain") {
    const ClinicalFacts f = facts("old_pain");
    CHECK(f.symptomatic == Tri::present);
    CHECK_FALSE(f.new_back_pain);
  }

  TEST_CASE("extract: legacy M54.5 -> back pain") {
    CHECK(facts("legacy_pain_code").symptomatic == Tri::present);
  }

  TEST_CASE("extract: resolved pain -> not current, symptoms unknown") {
    const ClinicalFacts f = facts("resolved_pain");
    CHECK(count(f, FactKind::back_pain) == 1);
    CHECK(f.symptomatic == Tri::unknown);
  }

  TEST_CASE("extract: edema Observation.code with valueBoolean true -> edema or cleft") {
    const ClinicalFacts f = facts("edema_observation");
    CHECK(f.edema_or_cleft == Tri::present);
    CHECK(f.of(FactKind::edema_or_cleft)[0].source.code == "bone-marrow-edema");
  }

  TEST_CASE("extract: cleft as Observation value -> edema or cleft") {
    CHECK(facts("cleft_value").edema_or_cleft == Tri::present);
  }

  TEST_CASE("extract: edema Observation with valueBoolean false -> explicitly absent") {
    const ClinicalFacts f = facts("edema_negated");
    CHECK(f.edema_or_cleft == Tri::absent);
    CHECK(count(f, FactKind::edema_or_cleft) == 0);
    REQUIRE(count(f, FactKind::edema_or_cleft_absent) == 1);
    CHECK(f.of(FactKind::edema_or_cleft_absent)[0].source.reference == "Observation/ob1");
  }

  TEST_CASE("extract: three-valued facts -> present, absent or unknown by the records") {
    struct Row {
      const char* scenario;
      Tri edema;
      Tri worsening;
      Tri symptomatic;
    };
    // absent_reasons: the project codes a clarification adds; present_wins_over_absent: an
    // edema recorded false beside a cleft, and "not worsening" beside "worsening" (present
    // wins, as pain wins over asymptomatic); worsening_negated: the worsening code recorded
    // false says nothing about pain itself; asymptomatic: no pain, so none can worsen;
    // answer_reasons: the codes a "present" answer adds.
    const Row rows[] = {
        {"neither", Tri::unknown, Tri::unknown, Tri::unknown},
        {"absent_reasons", Tri::absent, Tri::absent, Tri::unknown},
        {"present_wins_over_absent", Tri::present, Tri::present, Tri::present},
        {"worsening_negated", Tri::unknown, Tri::absent, Tri::unknown},
        {"asymptomatic_no_worsening_record", Tri::unknown, Tri::absent, Tri::absent},
        {"answer_reasons", Tri::present, Tri::unknown, Tri::present},
        {"edema_observation", Tri::present, Tri::unknown, Tri::unknown},
    };
    for (const Row& row : rows) {
      CAPTURE(row.scenario);
      const ClinicalFacts f = facts(row.scenario);
      CHECK(f.edema_or_cleft == row.edema);
      CHECK(f.worsening_pain == row.worsening);
      CHECK(f.symptomatic == row.symptomatic);
    }
    const ClinicalFacts absent = facts("absent_reasons");
    REQUIRE(count(absent, FactKind::worsening_pain_absent) == 1);
    CHECK(absent.of(FactKind::worsening_pain_absent)[0].source.reference ==
          "ServiceRequest/o1 (reasonCode)");
    CHECK(count(absent, FactKind::back_pain) == 0);  // "not worsening" is no pain record
  }

  TEST_CASE("extract: Kümmell (M48.3) -> edema or cleft") {
    CHECK(facts("kummell").edema_or_cleft == Tri::present);
  }

  TEST_CASE("extract: kyphosis current, respiratory failure resolved -> deformity present") {
    const ClinicalFacts f = facts("deformity");
    CHECK(f.deformity_or_pulmonary);
    CHECK(count(f, FactKind::deformity_or_pulmonary) == 2);
    CHECK(facts("pulmonary").deformity_or_pulmonary);
  }

  TEST_CASE("extract: osteoporosis with or without a VCF -> osteoporotic VCF only with one") {
    CHECK(facts("osteoporosis_plus_vcf").osteoporotic);
    const ClinicalFacts alone = facts("osteoporosis_alone");
    CHECK_FALSE(alone.osteoporotic);
    CHECK(count(alone, FactKind::osteoporotic) == 1);
  }

  TEST_CASE("extract: M84.58 or VCF plus myeloma -> pathological VCF") {
    const ClinicalFacts coded = facts("pathological_code");
    CHECK(coded.pathological);
    CHECK(coded.vcf);
    CHECK_FALSE(coded.malignancy);
    const ClinicalFacts myeloma = facts("myeloma_plus_vcf");
    CHECK(myeloma.pathological);
    CHECK(myeloma.malignancy);
  }
}

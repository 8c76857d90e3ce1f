#include "vcf_cds/facts.hpp"

#include <doctest/doctest.h>

#include "unit/facts/facts_support.hpp"

namespace {

using namespace vcf_cds::facts;
using vcf_cds::facts::testing::count;
using vcf_cds::facts::testing::kToday;
using vcf_cds::facts::testing::profiles;
using vcf_cds::facts::testing::Scenario;

}  // namespace

TEST_SUITE("facts") {
  TEST_CASE("extract: refuted and entered-in-error Conditions -> never count") {
    const ClinicalFacts f = Scenario("status", "refuted_and_error").facts();
    CHECK_FALSE(f.vcf);
    CHECK(count(f, FactKind::vcf) == 0);
    CHECK_FALSE(f.malignancy);
    CHECK(f.symptomatic == Tri::present);  // the confirmed pain record still counts
  }

  TEST_CASE("extract: STU3 status strings -> refuted skipped, resolved is history") {
    const ClinicalFacts f = Scenario("status", "stu3_strings").facts();
    REQUIRE(count(f, FactKind::vcf) == 1);
    CHECK(f.of(FactKind::vcf)[0].source.reference == "Condition/c2");
    CHECK_FALSE(f.of(FactKind::vcf)[0].current);
    CHECK_FALSE(f.vcf);
  }

  TEST_CASE("extract: resolved malignancy -> counts as history of malignancy") {
    const ClinicalFacts f = Scenario("status", "resolved_malignancy").facts();
    CHECK(f.malignancy);
    REQUIRE(count(f, FactKind::malignancy) == 1);
    CHECK_FALSE(f.of(FactKind::malignancy)[0].current);
    CHECK(f.vcf);
    CHECK(explain(f).find("Condition/c1 C50.911, 2015-04-01, history") != std::string::npos);
  }

  TEST_CASE("extract: Z85 personal history code -> malignancy") {
    CHECK(Scenario("status", "history_code_malignancy").facts().malignancy);
  }

  TEST_CASE("extract: resolved VCF alone -> no current VCF, one VCF on record") {
    const ClinicalFacts f = Scenario("status", "resolved_vcf_only").facts();
    CHECK_FALSE(f.vcf);
    CHECK_FALSE(f.vcf_new);
    CHECK(f.distinct_vcfs == 1);
    CHECK(f.vcf_region == Region::none);  // region comes from current VCFs only
  }

  TEST_CASE("extract: resolved VCF plus current VCF -> two distinct VCFs") {
    const ClinicalFacts f = Scenario("status", "resolved_plus_current_vcf").facts();
    CHECK(f.vcf);
    CHECK(f.vcf_new);
    CHECK(f.distinct_vcfs == 2);
    CHECK(f.vcf_region == Region::lumbar);
  }

  TEST_CASE("extract: recurrence and relapse -> current; remission -> history") {
    const ClinicalFacts f = Scenario("status", "recurrence_relapse").facts();
    CHECK(f.vcf);
    CHECK(f.symptomatic == Tri::present);
    CHECK_FALSE(f.deformity_or_pulmonary);
    CHECK(count(f, FactKind::deformity_or_pulmonary) == 1);
  }

  TEST_CASE("extract: Procedures -> only completed ones count") {
    const ClinicalFacts f = Scenario("status", "procedures").facts();
    CHECK(f.prior_augmentation);
    REQUIRE(count(f, FactKind::prior_augmentation) == 1);
    CHECK(f.of(FactKind::prior_augmentation)[0].source.reference == "Procedure/p1");
    CHECK(f.of(FactKind::prior_augmentation)[0].date ==
          std::chrono::sys_days{std::chrono::year{2025} / 1 / 5});
    CHECK_FALSE(f.prior_spine_surgery);
  }

  TEST_CASE("extract: Procedure without status, legacy CPT, Z98.1 -> history facts count") {
    const ClinicalFacts f = Scenario("status", "procedure_no_status").facts();
    CHECK(f.prior_spine_surgery);
    CHECK(count(f, FactKind::prior_spine_surgery) == 2);  // 22630 and inactive Z98.1
    CHECK(f.prior_augmentation);                          // legacy 22524
  }

  TEST_CASE("extract: cancelled or entered-in-error Observations -> ignored") {
    const ClinicalFacts f = Scenario("status", "observation_statuses").facts();
    CHECK(f.edema_or_cleft == Tri::unknown);  // neither present nor absent: no record counts
    CHECK(f.symptomatic == Tri::unknown);
  }

  TEST_CASE("extract: reasons -> only the rated order's own reasons count") {
    const Scenario scenario("reasons", "two_orders");
    const auto& request = scenario.request();
    const ClinicalFacts o1 = extract(profiles(), request, *scenario.order("o1"), kToday);
    CHECK(o1.vcf);
    CHECK(o1.vcf_new);  // undated reason
    CHECK(o1.osteoporotic);
    CHECK(o1.symptomatic == Tri::present);
    CHECK_FALSE(o1.malignancy);  // o2's reason
    CHECK(o1.of(FactKind::vcf)[0].source.reference == "ServiceRequest/o1 (reasonCode)");

    const ClinicalFacts o2 = extract(profiles(), request, *scenario.order("o2"), kToday);
    CHECK(o2.malignancy);
    CHECK_FALSE(o2.vcf);
    CHECK(o2.symptomatic == Tri::unknown);
  }

  TEST_CASE("extract: reasonCode as a single object -> accepted") {
    const ClinicalFacts f = Scenario("reasons", "single_object_reason").facts();
    CHECK(f.vcf);
    CHECK(f.vcf_new);
  }

  TEST_CASE("extract: reasonReference -> resolved against Conditions and contained, per order") {
    const Scenario scenario("reasons", "reason_reference");
    const ClinicalFacts o1 = extract(profiles(), scenario.request(), *scenario.order("o1"), kToday);
    // Condition/c1 from the record, plus twice through o1's references (relative and absolute).
    REQUIRE(count(o1, FactKind::vcf) == 3);
    CHECK(o1.of(FactKind::vcf)[1].source.reference ==
          "ServiceRequest/o1 (reasonReference Condition/c1)");
    CHECK(o1.of(FactKind::vcf)[1].date == o1.of(FactKind::vcf)[0].date);
    CHECK(o1.distinct_vcfs == 1);
    REQUIRE(count(o1, FactKind::back_pain) == 1);  // contained #r1
    CHECK(o1.of(FactKind::back_pain)[0].source.reference ==
          "ServiceRequest/o1 (reasonReference #r1)");
    CHECK_FALSE(o1.malignancy);  // c2 is refuted even when referenced

    const ClinicalFacts o2 = extract(profiles(), scenario.request(), *scenario.order("o2"), kToday);
    CHECK(count(o2, FactKind::vcf) == 1);
    CHECK(o2.symptomatic == Tri::unknown);
  }

  TEST_CASE("extract: reasonReference to an Observation -> its value counts") {
    const ClinicalFacts f = Scenario("reasons", "reason_observation").facts();
    CHECK(f.symptomatic == Tri::absent);
    CHECK(f.of(FactKind::asymptomatic).back().source.reference ==
          "ServiceRequest/o1 (reasonReference Observation/ob1)");
  }
}

#include "vcf_cds/facts.hpp"

#include <doctest/doctest.h>

#include "unit/facts/facts_support.hpp"

namespace {

using namespace vcf_cds::facts;
using namespace std::chrono;
using vcf_cds::facts::testing::count;
using vcf_cds::facts::testing::Scenario;

int distinct(const char* name) {
  return Scenario("vcf_count", name).facts().distinct_vcfs;
}

}  // namespace

TEST_SUITE("facts") {
  TEST_CASE("extract: two VCF codes at different levels -> two distinct VCFs") {
    CHECK(distinct("different_codes") == 2);
  }

  TEST_CASE("extract: same code, different bodySite -> two distinct VCFs, newest region") {
    const ClinicalFacts f = Scenario("vcf_count", "same_code_different_site").facts();
    CHECK(f.distinct_vcfs == 2);
    CHECK(f.of(FactKind::vcf)[0].distinct_key == "M8008X@http://snomed.info/sct|23215003");
    CHECK(f.of(FactKind::vcf)[1].distinct_key == "M8008X@L1");
    CHECK(f.vcf_region == Region::lumbar);  // c2 (L1) is the newer
  }

  TEST_CASE("extract: same code and site, 7th character differs -> one VCF") {
    CHECK(distinct("same_code_same_site") == 1);
    CHECK(distinct("same_code_no_site") == 1);
  }

  TEST_CASE("extract: SNOMED reason beside an ICD-coded VCF -> not a second VCF") {
    const ClinicalFacts f = Scenario("vcf_count", "snomed_and_icd").facts();
    CHECK(count(f, FactKind::vcf) == 2);
    CHECK(f.distinct_vcfs == 1);
  }

  TEST_CASE("extract: VCF older than the window -> VCF, not new") {
    const ClinicalFacts f = Scenario("vcf_count", "old_vcf").facts();
    CHECK(f.vcf);
    CHECK_FALSE(f.vcf_new);
    CHECK(f.of(FactKind::vcf)[0].date == sys_days{year{2025} / 1 / 10});
  }

  TEST_CASE("extract: undated VCF -> new") {
    const ClinicalFacts f = Scenario("vcf_count", "undated_vcf").facts();
    CHECK(f.vcf_new);
    CHECK_FALSE(f.of(FactKind::vcf)[0].date.has_value());
  }

  TEST_CASE("extract: recordedDate only -> dates the VCF; onsetPeriod wins over it") {
    CHECK(Scenario("vcf_count", "recorded_only").facts().vcf_new);
    const ClinicalFacts f = Scenario("vcf_count", "onset_period_beats_recorded").facts();
    CHECK(f.of(FactKind::vcf)[0].date == sys_days{year{2024} / 5 / 1});
    CHECK_FALSE(f.vcf_new);
  }

  TEST_CASE("extract: dated old VCF plus undated reason -> the newest dated record decides") {
    // CONTRACT §7: only a fact known solely from undated records is new.
    CHECK_FALSE(Scenario("vcf_count", "dated_and_undated").facts().vcf_new);
  }

  TEST_CASE("extract: window edge and option -> 90 days inclusive, configurable") {
    CHECK(Scenario("vcf_count", "window_edge").facts().vcf_new);  // 2026-08-27 = today - 90
    const Scenario outside("vcf_count", "outside_default_window");
    CHECK_FALSE(outside.facts().vcf_new);
    Options wide;
    wide.new_window = days{200};
    CHECK(outside.facts(vcf_cds::facts::testing::profiles(), wide).vcf_new);
  }

  TEST_CASE("extract: VCF site -> region for suggestions") {
    CHECK(Scenario("vcf_count", "region_cervical").facts().vcf_region == Region::cervical);
    CHECK(Scenario("vcf_count", "region_thoracolumbar").facts().vcf_region == Region::thoracic);
    CHECK(Scenario("vcf_count", "region_traumatic_thoracic").facts().vcf_region ==
          Region::thoracic);
    CHECK(Scenario("vcf_count", "region_from_site_text").facts().vcf_region == Region::lumbar);
    CHECK(Scenario("vcf_count", "region_none").facts().vcf_region == Region::none);
    CHECK(Scenario("vcf_count", "region_newest").facts().vcf_region == Region::lumbar);
  }

  TEST_CASE("extract: birthDate forms -> pediatric under 18 at evaluation") {
    struct Expect {
      const char* scenario;
      bool pediatric;
      std::optional<int> age;
    };
    for (const Expect& e :
         {Expect{"child_full_date", true, 16}, Expect{"year_only", true, 17},
          Expect{"year_month_adult", false, 18}, Expect{"birthday_tomorrow", true, 17},
          Expect{"birthday_today", false, 18}, Expect{"no_birthdate", false, {}},
          Expect{"bad_birthdate", false, {}}, Expect{"no_patient", false, {}}}) {
      CAPTURE(e.scenario);
      const ClinicalFacts f = Scenario("patient", e.scenario).facts();
      CHECK(f.pediatric == e.pediatric);
      CHECK(f.age_years == e.age);
    }
  }

  TEST_CASE("explain: facts with sources -> one line naming each") {
    const ClinicalFacts f = Scenario("vcf_count", "same_code_different_site").facts();
    const std::string line = explain(f);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find("VCF (Condition/c1 M80.08XA, 2026-09-01 | Condition/c2 M80.08XA, "
                    "2026-11-01)") != std::string::npos);
    CHECK(line.find("osteoporosis or osteoporotic VCF (") != std::string::npos);
  }
}

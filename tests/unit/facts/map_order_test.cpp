#include "vcf_cds/facts.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "unit/facts/facts_support.hpp"

namespace {

using namespace vcf_cds::facts;
using vcf_cds::facts::testing::profiles;
using vcf_cds::facts::testing::Scenario;

constexpr const char* kCpt = "http://www.ama-assn.org/go/cpt";
constexpr const char* kMriWo = "MRI spine area of interest without IV contrast";
constexpr const char* kMriW = "MRI spine area of interest with IV contrast";
constexpr const char* kMriWoW = "MRI spine area of interest without and with IV contrast";
constexpr const char* kCtWo = "CT spine area of interest without IV contrast";
constexpr const char* kCtW = "CT spine area of interest with IV contrast";
constexpr const char* kCtWoW = "CT spine area of interest without and with IV contrast";
constexpr const char* kMyelo = "CT myelography spine area of interest";

// A lone draft ServiceRequest with one CPT coding, mapped.
OrderedProcedure map_cpt(const std::string& code) {
  rapidjson::Document order;
  const std::string text = R"({"resourceType":"ServiceRequest","id":"o1","code":{"coding":[)"
                           R"({"system":"http://www.ama-assn.org/go/cpt","code":")" +
                           code + R"("}]}})";
  order.Parse(text.c_str());
  return map_order(profiles(), order, {&order});
}

struct Expect {
  const char* code;
  const char* row;
  Region region;
  bool advanced;
};

}  // namespace

TEST_SUITE("facts") {
  TEST_CASE("map_order: every CPT code of CONTRACT §4 -> its row and region") {
    const Expect table[] = {
        {"72141", kMriWo, Region::cervical, true},
        {"72146", kMriWo, Region::thoracic, true},
        {"72148", kMriWo, Region::lumbar, true},
        {"72142", kMriW, Region::cervical, true},
        {"72147", kMriW, Region::thoracic, true},
        {"72149", kMriW, Region::lumbar, true},
        {"72156", kMriWoW, Region::cervical, true},
        {"72157", kMriWoW, Region::thoracic, true},
        {"72158", kMriWoW, Region::lumbar, true},
        {"72125", kCtWo, Region::cervical, true},
        {"72128", kCtWo, Region::thoracic, true},
        {"72131", kCtWo, Region::lumbar, true},
        {"72126", kCtW, Region::cervical, true},
        {"72129", kCtW, Region::thoracic, true},
        {"72132", kCtW, Region::lumbar, true},
        {"72127", kCtWoW, Region::cervical, true},
        {"72130", kCtWoW, Region::thoracic, true},
        {"72133", kCtWoW, Region::lumbar, true},
        {"78306", "Bone scan whole body", Region::whole_body, true},
        {"78803", "SPECT or SPECT/CT spine area of interest", Region::none, true},
        {"78830", "SPECT or SPECT/CT spine area of interest", Region::none, true},
        {"78831", "SPECT or SPECT/CT spine area of interest", Region::none, true},
        {"78832", "SPECT or SPECT/CT spine area of interest", Region::none, true},
        {"78815", "FDG-PET/CT skull base to mid-thigh", Region::whole_body, true},
        {"20225", "Image-guided biopsy spine area of interest", Region::none, false},
        {"22510", "Percutaneous vertebral augmentation", Region::none, false},
        {"22511", "Percutaneous vertebral augmentation", Region::lumbar, false},
        {"22512", "Percutaneous vertebral augmentation", Region::none, false},
        {"22513", "Percutaneous vertebral augmentation", Region::thoracic, false},
        {"22514", "Percutaneous vertebral augmentation", Region::lumbar, false},
        {"22515", "Percutaneous vertebral augmentation", Region::none, false},
        {"20982", "Percutaneous ablation spine", Region::none, false},
        {"20983", "Percutaneous ablation spine", Region::none, false},
        {"79101", "Systemic radionuclide therapy", Region::none, false},
    };
    for (const Expect& e : table) {
      CAPTURE(e.code);
      const OrderedProcedure p = map_cpt(e.code);
      CHECK(p.order_ref == "ServiceRequest/o1");
      CHECK(p.row_name == e.row);
      CHECK(p.region == e.region);
      CHECK(p.advanced_imaging == e.advanced);
      REQUIRE(p.codes.size() == 1);
      CHECK(p.codes[0].code == e.code);
    }
  }

  TEST_CASE("map_order: CT with contrast plus 62284 in another order -> CT myelography") {
    const Scenario scenario("orders", "ct_myelography");
    const OrderedProcedure ct = scenario.mapped("o1");
    CHECK(ct.row_name == kMyelo);
    CHECK(ct.region == Region::thoracic);
    CHECK(ct.advanced_imaging);
    CHECK(ct.paired_orders == std::vector<std::string>{"ServiceRequest/o2"});  // the injection
    const OrderedProcedure injection = scenario.mapped("o2");
    CHECK(injection.row_name.empty());
    CHECK_FALSE(injection.advanced_imaging);
    CHECK(injection.paired_orders.empty());
  }

  TEST_CASE("map_order: CT with contrast alone -> CT with IV contrast") {
    const OrderedProcedure p = Scenario("orders", "ct_with_alone").mapped("o1");
    CHECK(p.row_name == kCtW);
    CHECK(p.region == Region::lumbar);
  }

  TEST_CASE("map_order: CT without-and-with plus 62284 -> stays CT without and with") {
    const OrderedProcedure p = Scenario("orders", "ct_without_and_with_plus_62284").mapped("o1");
    CHECK(p.row_name == kCtWoW);
    CHECK(p.region == Region::lumbar);
    CHECK(p.paired_orders.empty());  // 62284 made nothing with it
  }

  TEST_CASE("map_order: whole-body order -> bodySite's spine region kept beside the region") {
    struct Case {
      const char* order;
      Region region;
      Region body_site_region;
    };
    const Case cases[] = {
        // Bone scan for the lumbar spine: the code names the whole body, the site a level.
        {R"({"resourceType":"ServiceRequest","id":"o1","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"78306"}]},"bodySite":[{"text":"Lumbar spine"}]})",
         Region::whole_body, Region::lumbar},
        {R"({"resourceType":"ServiceRequest","id":"o1","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"78815"}]},"bodySite":[{"coding":[{"system":"http://snomed.info/sct","code":"62487009"}]}]})",
         Region::whole_body, Region::thoracic},
        {R"({"resourceType":"ServiceRequest","id":"o1","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"78306"}]}})",
         Region::whole_body, Region::none},
        // A code naming no region takes the bodySite's as its region.
        {R"({"resourceType":"ServiceRequest","id":"o1","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"78803"}]},"bodySite":[{"text":"T8"}]})",
         Region::thoracic, Region::none},
        // The code's level wins over a contradicting site.
        {R"({"resourceType":"ServiceRequest","id":"o1","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"72148"}]},"bodySite":[{"text":"Cervical spine"}]})",
         Region::lumbar, Region::none},
    };
    for (const auto& c : cases) {
      CAPTURE(c.order);
      rapidjson::Document order;
      order.Parse(c.order);
      REQUIRE_FALSE(order.HasParseError());
      const OrderedProcedure p = map_order(profiles(), order, {&order});
      CHECK(p.region == c.region);
      CHECK(p.body_site_region == c.body_site_region);
    }
  }

  TEST_CASE("map_order: LOINC codes -> rows, intrathecal CT is CT myelography") {
    const Scenario scenario("orders", "loinc");
    CHECK(scenario.mapped("o1").row_name == kMyelo);
    CHECK(scenario.mapped("o1").region == Region::lumbar);
    CHECK(scenario.mapped("o5").row_name == kMyelo);
    CHECK(scenario.mapped("o5").region == Region::cervical);
    CHECK(scenario.mapped("o2").row_name == kMriWo);
    CHECK(scenario.mapped("o2").advanced_imaging);
    CHECK(scenario.mapped("o3").row_name == "FDG-PET/CT skull base to mid-thigh");
    CHECK(scenario.mapped("o4").row_name == "Image-guided biopsy spine area of interest");
    CHECK(scenario.mapped("o6").row_name == kCtWoW);
    CHECK(scenario.mapped("o6").region == Region::thoracic);
  }

  TEST_CASE("map_order: non-spine advanced imaging -> no row but advanced imaging") {
    const Scenario scenario("orders", "not_rows");
    for (const char* id : {"o1", "o2", "o7"}) {  // 70450 head CT, 74177 abdomen CT, 78300
      CAPTURE(id);
      const OrderedProcedure p = scenario.mapped(id);
      CHECK(p.row_name.empty());
      CHECK(p.advanced_imaging);
    }
  }

  TEST_CASE("map_order: lab order, codeless order, non-orders -> nothing") {
    const Scenario scenario("orders", "not_rows");
    for (const char* id : {"o3", "m1", "o5", "m2"}) {
      CAPTURE(id);
      const OrderedProcedure p = scenario.mapped(id);
      CHECK(p.row_name.empty());
      CHECK_FALSE(p.advanced_imaging);
      CHECK(p.region == Region::none);
    }
    CHECK(scenario.mapped("o3").codes.size() == 1);  // codes are kept as sent
    CHECK(scenario.mapped("m2").order_ref == "MedicationRequest/m2");
  }

  TEST_CASE("map_order: ProcedureRequest, bodySite, coding position, referrals -> mapped") {
    const Scenario scenario("orders", "variants");
    const OrderedProcedure stu3 = scenario.mapped("pr1");
    CHECK(stu3.order_ref == "ProcedureRequest/pr1");
    CHECK(stu3.row_name == kMriWo);
    CHECK(scenario.mapped("o2").region == Region::thoracic);  // bodySite SNOMED T12
    const OrderedProcedure third = scenario.mapped("o3");
    CHECK(third.row_name == kMriWoW);
    CHECK(third.region == Region::thoracic);
    CHECK(third.codes.size() == 2);  // {} skipped
    CHECK(scenario.mapped("o4").row_name == "Surgical consultation");
    CHECK(scenario.mapped("o5").row_name == "Radiation oncology consultation");
    CHECK(scenario.mapped("o6").region == Region::thoracic);  // code has none; bodySite text T7
    CHECK(scenario.mapped("o7").region == Region::none);
    CHECK(scenario.mapped("o8").region == Region::lumbar);
  }

  TEST_CASE("orderable_code: row and region -> CPT preferred, fallbacks by row kind") {
    const auto code = [](const char* row, Region region) {
      const auto coding = orderable_code(profiles(), row, region);
      return coding ? coding->system + "|" + coding->code : std::string("none");
    };
    CHECK(code(kMriWo, Region::lumbar) == std::string(kCpt) + "|72148");
    CHECK(code(kMriWoW, Region::cervical) == std::string(kCpt) + "|72156");
    CHECK(code(kCtW, Region::thoracic) == std::string(kCpt) + "|72129");
    CHECK(code(kMriWo, Region::none) == "none");  // no region-specific suggestion (§7)
    CHECK(code(kMyelo, Region::lumbar) == "http://loinc.org|24965-6");  // one orderable code
    CHECK(code("Bone scan whole body", Region::thoracic) == std::string(kCpt) + "|78306");
    CHECK(code("Percutaneous vertebral augmentation", Region::thoracic) ==
          std::string(kCpt) + "|22513");
    CHECK(code("Percutaneous vertebral augmentation", Region::lumbar) ==
          std::string(kCpt) + "|22514");
    // No level known: never the region-less 22510 (cervicothoracic) or an add-on code (§7).
    CHECK(code("Percutaneous vertebral augmentation", Region::none) == "none");
    CHECK(code("Percutaneous vertebral augmentation", Region::whole_body) == "none");
    CHECK(code(kMriWo, Region::whole_body) == "none");
    // A known level without a code of its own: the cervicothoracic code covers it.
    CHECK(code("Percutaneous vertebral augmentation", Region::cervical) ==
          std::string(kCpt) + "|22510");
    // Rows without spine-region codes answer whatever the region.
    CHECK(code("Percutaneous ablation spine", Region::none) == std::string(kCpt) + "|20982");
    CHECK(code("Image-guided biopsy spine area of interest", Region::none) ==
          std::string(kCpt) + "|20225");
    CHECK(code("Bone scan whole body", Region::none) == std::string(kCpt) + "|78306");
    CHECK(code("Surgical consultation", Region::lumbar) == "http://snomed.info/sct|183541002");
    CHECK(code("Radiation oncology consultation", Region::none) ==
          "http://snomed.info/sct|306256000");
    CHECK(code("Medical management only", Region::lumbar) == "none");
    const auto mri = orderable_code(profiles(), kMriWo, Region::thoracic);
    REQUIRE(mri.has_value());
    CHECK(mri->display == "MRI thoracic spine without contrast");
  }

  TEST_CASE("describe_code: imaging codes -> region, contrast and advanced imaging") {
    const CodeInfo ct = describe_code(profiles(), kCpt, "72129");
    CHECK(ct.row_name == kCtW);  // the same-draft myelography target is not considered
    CHECK(ct.contrast == Contrast::with);
    CHECK(ct.region == Region::thoracic);
    CHECK(ct.advanced_imaging);
    CHECK(describe_code(profiles(), "http://loinc.org", "24934-2").contrast ==
          Contrast::intrathecal);
    const CodeInfo head = describe_code(profiles(), kCpt, "70450");
    CHECK(head.row_name.empty());
    CHECK(head.advanced_imaging);
    CHECK_FALSE(describe_code(profiles(), kCpt, "62284").advanced_imaging);
    const CodeInfo whole_spine = describe_code(profiles(), "http://loinc.org", "36531-2");
    CHECK(whole_spine.row_name.empty());  // MR whole spine: no region, no row
    CHECK(whole_spine.advanced_imaging);
    CHECK(describe_code(profiles(), "urn:unknown", "72148").row_name.empty());
  }
}

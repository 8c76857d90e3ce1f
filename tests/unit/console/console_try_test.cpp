// "Try it": example codes → facts, the decision through the real pipeline, bad input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/json_file.hpp"
#include "console/fhir.hpp"
#include "unit/console/console_support.hpp"
#include "vcf_cds/facts.hpp"

namespace {

using namespace vcf_cds;
using console_testing::at;
using console_testing::examples;
using console_testing::expression;
using console_testing::parse;
using console_testing::text;
using console_testing::today;
using vcf_cds::testing::knowledge;
using vcf_cds::testing::TempDir;

console::ConsoleResponse try_it(const std::string& body) {
  return console::console_try(knowledge(), examples(), body, today());
}

std::string request(const std::string& facts, const std::string& code,
                    const std::string& system = "http://www.ama-assn.org/go/cpt") {
  return R"({"facts": )" + facts + R"(, "order": {"system": ")" + system + R"(", "code": ")" +
         code + R"("}})";
}

int headline_variant(const std::string& facts, const std::string& code) {
  const auto r = try_it(request(facts, code));
  REQUIRE(r.status == 200);
  const auto doc = parse(r.body);
  const auto& v = at(doc, "/decision/headline/variant");
  REQUIRE(v.IsInt());
  return v.GetInt();
}

}  // namespace

TEST_SUITE("console") {
  TEST_CASE("console: each example code maps to its fact through facts::extract") {
    const auto& terminology = *knowledge().terminology;
    REQUIRE(examples().codes.size() >= 12);
    for (const auto& example : examples().codes) {
      CAPTURE(example.key);
      console::TryRequest built;
      console::build_example_request(
          example, std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}, built);
      const facts::ClinicalFacts found =
          facts::extract(terminology, built.request, *built.order,
                         std::chrono::sys_days{std::chrono::year{2026} / 11 / 25});
      bool fed = false;
      for (std::size_t k = 0; k < facts::kFactKindCount; ++k) {
        if (facts::to_string(static_cast<facts::FactKind>(k)) != example.fact_kind) continue;
        REQUIRE_FALSE(found.evidence[k].empty());
        CHECK(found.evidence[k][0].source.code == example.coding.code);
        CHECK(found.evidence[k][0].source.system == example.coding.system);
        fed = true;
      }
      CHECK(fed);
    }
    CHECK(console::check_example_codes(examples(), terminology).has_value());
  }

  TEST_CASE("console: example codes file errors name file and field") {
    const TempDir dir;
    const std::string good =
        common::read_file(vcf_cds::testing::source_path("deploy/console/example-codes.json"));
    auto replaced = [&](std::string from, std::string to) {
      std::string copy = good;
      const auto at = copy.find(from);
      REQUIRE(at != std::string::npos);
      copy.replace(at, from.size(), to);
      return dir.write("examples.json", copy);
    };
    CHECK_THROWS_WITH_AS(
        console::load_example_codes(replaced(R"("key": "malignancy")", R"("key": "cancer")")),
        doctest::Contains("missing key 'malignancy'"), std::runtime_error);
    CHECK_THROWS_WITH_AS(console::load_example_codes(
                             replaced(R"("factKind": "malignancy")", R"("factKind": "vcf")")),
                         doctest::Contains("examples[malignancy].factKind"), std::runtime_error);
    CHECK_THROWS_WITH_AS(console::load_example_codes(
                             replaced(R"("resourceType": "Procedure")", R"("resourceType": "X")")),
                         doctest::Contains(".resourceType"), std::runtime_error);

    // Loads, but the code is not in the malignancy ValueSet: the check names the example.
    const auto wrong =
        console::load_example_codes(replaced(R"("code": "363346000")", R"("code": "1234")"));
    const auto status = console::check_example_codes(*wrong, *knowledge().terminology);
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().field == "examples[malignancy]");
  }

  TEST_CASE("console_try: new VCF, symptoms unknown, MRI lumbar with contrast -> variant 1 card") {
    const auto r = try_it(request(R"({"vcf": true, "newVcf": true, "symptoms": "unknown",
                                       "malignancy": false})",
                                  "72149"));
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/json");
    const auto doc = parse(r.body);
    const std::string summary = text(doc, "/response/cards/0/summary");
    CHECK(summary.find("Usually not appropriate") != std::string::npos);
    CHECK(text(doc, "/response/cards/0/indicator") == "warning");
    const auto& suggestions = at(doc, "/response/cards/0/suggestions");
    REQUIRE(suggestions.Size() >= 1);
    std::vector<std::string> questions;
    for (const auto& s : suggestions.GetArray()) {
      const std::string label = s["label"].GetString();
      if (std::string(s["actions"][0]["type"].GetString()) == "update") {
        questions.push_back(label);  // a clarification: asks for the unknown symptoms
        continue;
      }
      CHECK(label.find("lumbar") != std::string::npos);  // an alternative
    }
    CHECK(questions ==
          std::vector<std::string>{"Back pain from the fracture → Usually not appropriate (3/9)",
                                   "No symptoms from the fracture → no ACR variant applies"});
    CHECK(text(doc, "/decision/clarifications/1/fact") == "symptomatic");
    CHECK_FALSE(at(doc, "/decision/clarifications/1/present").GetBool());
    CHECK(at(doc, "/decision/clarifications/1/result").IsNull());
    CHECK(at(doc, "/response/systemActions").Size() == 1);
    CHECK(text(doc, "/response/cards/0/extension/vcf-cds/order") == "ServiceRequest/console-order");
    CHECK(at(doc, "/decision/headline/variant").GetInt() == 1);
    CHECK(text(doc, "/decision/outcome") == "rated");
    CHECK(text(doc, "/decision/pamaRating") == "not-appropriate");
    CHECK(text(doc, "/decision/region") == "lumbar");
    CHECK(text(doc, "/decision/assumptions/0/fact") == "symptomatic");
    CHECK(text(doc, "/decision/facts/symptomatic") == "unknown");
    CHECK(text(doc, "/decision/consultId") ==
          text(doc, "/response/cards/0/extension/vcf-cds/consultId"));
    // The FHIR data that was sent: the VCF Condition and the draft order.
    CHECK(text(doc, "/fhir/conditions/0/code/coding/0/code") ==
          examples().find("vcf")->coding.code);
    CHECK(text(doc, "/fhir/draftOrders/0/code/coding/0/code") == "72149");
    CHECK(at(doc, "/fhir/observations").Size() == 0);
  }

  TEST_CASE("console_try: each fact reaches its variant (CONTRACT §3)") {
    CHECK(headline_variant(R"({"vcf": true, "symptoms": "present"})", "72148") == 1);
    CHECK(headline_variant(R"({"vcf": true, "symptoms": "present", "malignancy": true})",
                           "72148") == 2);
    CHECK(headline_variant(R"({"vcf": true, "symptoms": "absent", "malignancy": true})", "72148") ==
          4);
    CHECK(headline_variant(R"({"vcf": true, "newVcf": false, "newPain": true,
                               "symptoms": "present", "priorAugmentation": true})",
                           "72148") == 3);
    CHECK(headline_variant(R"({"vcf": true, "newVcf": false, "newPain": true,
                               "symptoms": "present", "multipleVcfs": true})",
                           "72148") == 3);
    CHECK(headline_variant(R"({"vcf": true, "pathological": true, "symptoms": "present"})",
                           "22514") == 9);
    CHECK(headline_variant(R"({"vcf": true, "symptoms": "present", "priorSpineSurgery": true})",
                           "22514") == 7);
    CHECK(headline_variant(R"({"vcf": true, "osteoporotic": true, "symptoms": "present",
                               "edemaOrCleft": true})",
                           "22514") == 6);
    CHECK(headline_variant(R"({"vcf": true, "worseningPain": true})", "22514") == 8);
    CHECK(headline_variant(R"({"vcf": true, "deformityOrPulmonary": true, "symptoms": "absent"})",
                           "22514") == 8);
    CHECK(headline_variant(R"({"vcf": true, "osteoporotic": true, "symptoms": "absent"})",
                           "22514") == 5);
  }

  TEST_CASE("console_try: pediatric patient -> pediatric RRL on the card") {
    const auto r =
        try_it(request(R"({"vcf": true, "symptoms": "present", "pediatric": true})", "72131"));
    REQUIRE(r.status == 200);
    const auto doc = parse(r.body);
    CHECK(text(doc, "/response/cards/0/extension/vcf-cds/rrl/population") == "pediatric");
    CHECK(at(doc, "/decision/facts/pediatric").GetBool());
  }

  TEST_CASE("console_try: no VCF -> PAMA no-criteria-apply, other orders -> nothing") {
    const auto none = try_it(request("{}", "72148"));
    REQUIRE(none.status == 200);
    const auto doc = parse(none.body);
    CHECK(at(doc, "/response/cards").Size() == 0);
    CHECK(text(doc, "/decision/outcome") == "no-criteria-apply");
    CHECK(text(doc, "/decision/pamaRating") == "no-criteria-apply");

    const auto office = try_it(request(R"({"vcf": true})", "99213"));
    REQUIRE(office.status == 200);
    const auto other = parse(office.body);
    CHECK(at(other, "/response/cards").Size() == 0);
    CHECK(text(other, "/decision/outcome") == "not-applicable");

    const auto loinc =
        try_it(request(R"({"vcf": true, "symptoms": "present"})", "24965-6", "http://loinc.org"));
    REQUIRE(loinc.status == 200);
    CHECK(text(parse(loinc.body), "/decision/procedure") ==
          "CT myelography spine area of interest");
  }

  TEST_CASE("console_try: bad input -> 400 OperationOutcome naming the field") {
    const std::string order =
        R"("order": {"system": "http://www.ama-assn.org/go/cpt", "code": "72149"})";
    const struct {
      std::string body;
      std::string field;
    } cases[] = {
        {"not json", ""},
        {"[]", ""},
        {R"({"facts": {}, )" + order + R"(, "extra": 1})", "extra"},
        {R"({"facts": [], )" + order + "}", "facts"},
        {R"({"facts": {"symptoms": "maybe"}, )" + order + "}", "facts.symptoms"},
        {R"({"facts": {"symptoms": true}, )" + order + "}", "facts.symptoms"},
        {R"({"facts": {"vcf": "yes"}, )" + order + "}", "facts.vcf"},
        {R"({"facts": {"fracture": true}, )" + order + "}", "facts.fracture"},
        {R"({"facts": {"pathological": true}, )" + order + "}", "facts.pathological"},
        {R"({"facts": {"multipleVcfs": true}, )" + order + "}", "facts.multipleVcfs"},
        {R"({"facts": {"vcf": true, "symptoms": "absent", "worseningPain": true}, )" + order + "}",
         "facts.worseningPain"},
        {R"({"facts": {}})", "order"},
        {R"({"facts": {}, "order": "72149"})", "order"},
        {R"({"facts": {}, "order": {"system": "http://www.ama-assn.org/go/cpt"}})", "order.code"},
        {R"({"facts": {}, "order": {"code": "72149"}})", "order.system"},
        {R"({"facts": {}, "order": {"system": "", "code": "72149"}})", "order.system"},
        {R"({"facts": {}, "order": {"system": "s", "code": 72149}})", "order.code"},
        {R"({"facts": {}, "order": {"system": "s", "code": "1", "text": "x"}})", "order.text"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.body);
      const auto r = try_it(c.body);
      CHECK(r.status == 400);
      CHECK(r.content_type == "application/json");
      CHECK(expression(r.body) == c.field);
    }
    CHECK(try_it(std::string(70 * 1024, ' ')).status == 413);
    CHECK(try_it(std::string(100, '[') + std::string(100, ']')).status == 400);
  }
}

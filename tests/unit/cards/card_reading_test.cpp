// A card read in five seconds (CONTRACT §5): over the golden scenarios (every variant, pediatric,
// assumptions, other variants, suggestions), the detail reads in the order a busy clinician
// reads, names facts in words, and shows what would change the answer only where the category
// would change.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cards/card_text.hpp"
#include "common/json_file.hpp"
#include "support/scenario.hpp"

namespace {

using vcf_cds::testing::source_path;
using vcf_cds::testing::str;

// Position of `heading` in `detail`, or npos.
std::size_t at(const std::string& detail, const char* heading) {
  return detail.find(heading);
}

}  // namespace

TEST_SUITE("cards") {
  TEST_CASE("card reading: golden scenarios -> sections in reading order, facts in words") {
    const auto doc =
        vcf_cds::common::parse_json_file(source_path("tests/fixtures/golden/scenarios.json"));
    const auto& text = *vcf_cds::testing::knowledge().card_text;
    int full = 0, short_cards = 0;
    for (const auto& scenario : doc.GetArray()) {
      CAPTURE(str(scenario, "slug"));
      const auto outcome = vcf_cds::testing::run_scenario(scenario);
      rapidjson::Document response;
      response.Parse(outcome.body.c_str());
      REQUIRE_FALSE(response.HasParseError());
      for (const auto& card : response["cards"].GetArray()) {
        const auto& ext = card["extension"]["vcf-cds"];
        const std::string detail = str(card, "detail");
        const std::string situation(text.situation(ext["variant"].GetInt()));
        CAPTURE(detail);
        // The first line: procedure, category and rating, then the situation in words.
        const std::string first = detail.substr(0, detail.find('\n'));
        CHECK(first.find(str(ext, "procedure")) != std::string::npos);
        CHECK(first.find(str(ext, "category")) != std::string::npos);
        CHECK(first.find(situation) != std::string::npos);
        CHECK(str(card, "summary").find(situation) != std::string::npos);
        // Resource references stay in the extension and the audit, not in the prose.
        for (const char* reference :
             {"Condition/", "Procedure/", "Observation/", "ServiceRequest/"}) {
          CHECK(detail.find(reference) == std::string::npos);
        }
        CHECK(detail.find("(pediatric (") == std::string::npos);
        if (detail.find('\n') == std::string::npos) {  // a firm Usually appropriate answer
          CHECK(str(ext, "category") == "Usually appropriate");
          CHECK(detail.find("firm") != std::string::npos);
          ++short_cards;
          continue;
        }
        ++full;
        // Reading order: assumptions and what would change it, alternatives, why (facts), RRL,
        // then the evidence.
        std::vector<std::size_t> order;
        for (const char* heading :
             {"**Assumed:**", "**If that assumption is wrong**", "**Usually appropriate instead**",
              "**Also usually appropriate**", "**Why: ACR variant", "**Relative radiation level",
              "**Evidence:**", "**References**"}) {
          if (const auto pos = at(detail, heading); pos != std::string::npos) order.push_back(pos);
        }
        CHECK(std::is_sorted(order.begin(), order.end()));
        CHECK(at(detail, "**Why: ACR variant") != std::string::npos);
        // "Instead" only where the order is not itself usually appropriate.
        if (str(ext, "category") == "Usually appropriate") {
          CHECK(at(detail, "instead**") == std::string::npos);
        }
        CHECK(at(detail, "**Evidence:**") > at(detail, "**Relative radiation level"));
        // Other variants in the detail only where they change the category.
        const std::string category = str(ext, "category");
        bool category_changes = false;
        for (const auto& other : ext["otherVariants"].GetArray()) {
          category_changes = category_changes || str(other, "category") != category;
        }
        // A firm answer has nothing that would change it; a question the card asks does.
        const bool firm = detail.find("This answer is firm") != std::string::npos;
        const bool asks = detail.find("The suggestions below ask") != std::string::npos;
        CHECK((at(detail, "**If that assumption is wrong**") != std::string::npos) ==
              (category_changes && !firm));
        CHECK((at(detail, "**Assumed:**") != std::string::npos) <=
              ((category_changes || asks) && !firm));
      }
    }
    CHECK(full >= 10);
  }

  TEST_CASE("card reading: facts -> display and date in words") {
    const auto doc =
        vcf_cds::common::parse_json_file(source_path("tests/fixtures/golden/scenarios.json"));
    const rapidjson::Value* variant1 = nullptr;
    for (const auto& scenario : doc.GetArray()) {
      if (str(scenario, "slug") == "variant-1") variant1 = &scenario;
    }
    REQUIRE(variant1 != nullptr);
    rapidjson::Document response;
    response.Parse(vcf_cds::testing::run_scenario(*variant1).body.c_str());
    const std::string detail = str(response["cards"][0], "detail");
    CAPTURE(detail);
    CHECK(detail.find("- back pain: Low back pain, unspecified, since 2026-11-08") !=
          std::string::npos);
    CHECK(detail.find("M54.50") == std::string::npos);  // the display, not the code
  }
}

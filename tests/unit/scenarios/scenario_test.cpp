// Table-driven FHIR scenarios (tests/fixtures/scenarios/*.json) through the whole decision path:
// facts → criteria → cards, checked against expectations written from the seed and CONTRACT.md.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <map>
#include <sstream>

#include "common/json_file.hpp"
#include "support/scenario.hpp"

namespace {

using vcf_cds::testing::Outcome;
using vcf_cds::testing::run_scenario;
using vcf_cds::testing::source_path;
using vcf_cds::testing::str;

const rapidjson::Value* card_for(const rapidjson::Document& response, const std::string& order) {
  for (const auto& card : response["cards"].GetArray()) {
    if (str(card["extension"]["vcf-cds"], "order") == order) return &card;
  }
  return nullptr;
}

std::string pama_for(const rapidjson::Document& response, const std::string& order) {
  auto it = response.FindMember("systemActions");
  if (it == response.MemberEnd()) return "";
  for (const auto& action : it->value.GetArray()) {
    const auto& resource = action["resource"];
    if (str(resource, "resourceType") + "/" + str(resource, "id") != order) continue;
    for (const auto& ext : resource["extension"].GetArray()) {
      if (str(ext, "url") == "http://fhir.org/argonaut/Extension/pama-rating") {
        return str(ext["valueCodeableConcept"]["coding"][0], "code");
      }
    }
  }
  return "";
}

// A clarification's update: the draft order as sent (the scenario's), with exactly one reason
// added at the end and, on an advanced imaging order, its PAMA rating (as the system action
// writes it); nothing else changed.
void check_answered_order(const std::string& order, const rapidjson::Value* sent_order,
                          const rapidjson::Value& resource) {
  CHECK(str(resource, "resourceType") + "/" + str(resource, "id") == order);
  REQUIRE(sent_order != nullptr);
  const auto& sent = *sent_order;
  const bool rated = resource.HasMember("extension");
  if (rated) {
    bool pama = false;
    for (const auto& e : resource["extension"].GetArray()) {
      pama = pama || str(e, "url") == "http://fhir.org/argonaut/Extension/pama-rating";
    }
    CHECK(pama);
  }
  REQUIRE(resource.MemberCount() == sent.MemberCount() + (sent.HasMember("reasonCode") ? 0 : 1) +
                                        (rated && !sent.HasMember("extension") ? 1 : 0));
  for (const auto& m : sent.GetObject()) {
    const std::string name = m.name.GetString();
    if (name == "reasonCode" || (rated && name == "extension")) continue;
    REQUIRE(resource.HasMember(m.name));
    CHECK(resource[m.name] == m.value);
  }
  const auto& reasons = resource["reasonCode"];
  REQUIRE(reasons.IsArray());
  const rapidjson::SizeType before = sent.HasMember("reasonCode") ? sent["reasonCode"].Size() : 0;
  REQUIRE(reasons.Size() == before + 1);
  for (rapidjson::SizeType i = 0; i < before; ++i) CHECK(reasons[i] == sent["reasonCode"][i]);
  CHECK(reasons[before]["coding"].Size() == 1);
}

const rapidjson::Value* order_in(const rapidjson::Value& scenario, const std::string& ref) {
  for (const auto& order : scenario["orders"].GetArray()) {
    if ("ServiceRequest/" + str(order, "id") == ref) return &order;
  }
  return nullptr;
}

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// The PAMA rating a rated order must carry: advanced imaging only (imaging variants 1-4, less the
// biopsy row); a scenario can say so itself with "pama".
std::string expected_pama(const rapidjson::Value& expect) {
  if (expect.HasMember("pama")) return str(expect, "pama");
  const bool imaging = expect["variant"].GetInt() <= 4 &&
                       str(expect, "procedure") != "Image-guided biopsy spine area of interest";
  if (!imaging) return "";
  return str(expect, "category") == "Usually not appropriate" ? "not-appropriate" : "appropriate";
}

// Checks every suggestion's actions: replacements delete the order (and its paired orders)
// before creating the alternative as a draft for the same patient; "actions" lists them exactly.
// Clarifications (update actions) are checked as answered orders and counted in `questions`.
void check_suggestions(const rapidjson::Value& scenario, const rapidjson::Value& card,
                       const rapidjson::Value& expect, const std::string& order,
                       std::size_t& questions) {
  std::vector<std::string> wanted, offered;
  std::string recommended;
  if (expect.HasMember("suggestions")) {
    for (const auto& s : expect["suggestions"].GetArray()) wanted.emplace_back(s.GetString());
  }
  const rapidjson::Value* source = order_in(scenario, order);
  REQUIRE(source != nullptr);
  std::size_t index = 0;
  if (auto it = card.FindMember("suggestions"); it != card.MemberEnd()) {
    CHECK(str(card, "selectionBehavior") == "at-most-one");
    for (const auto& s : it->value.GetArray()) {
      CAPTURE(index);
      std::vector<std::string> actions;
      const rapidjson::Value* created = nullptr;
      for (const auto& action : s["actions"].GetArray()) {
        const std::string type = str(action, "type");
        if (type == "delete") actions.push_back("delete:" + str(action, "resourceId"));
        if (type == "create") {
          created = &action["resource"];
          actions.push_back("create:" + str((*created)["code"]["coding"][0], "code"));
        }
      }
      if (created == nullptr) {  // a clarification: an update adding one reason, never recommended
        ++questions;
        const bool is_recommended = s.HasMember("isRecommended") && s["isRecommended"].GetBool();
        CHECK_FALSE(is_recommended);
        REQUIRE(s["actions"].Size() == 1);
        CHECK(str(s["actions"][0], "type") == "update");
        check_answered_order(order, source, s["actions"][0]["resource"]);
        continue;
      }
      CHECK(actions.back().rfind("create:", 0) == 0);  // deletes first, one create last
      if (expect.HasMember("actions")) {
        std::vector<std::string> listed;
        for (const auto& a : expect["actions"][index].GetArray())
          listed.emplace_back(a.GetString());
        CHECK(actions == listed);
      } else if (expect.HasMember("suggestions")) {
        CHECK(actions.front() == "delete:" + order);  // a replacement, unless listed otherwise
      }
      CHECK(str(*created, "status") == "draft");
      CHECK(str((*created)["subject"], "reference") == "Patient/p1");
      if (expect.HasMember("copies")) {
        for (const auto& name : expect["copies"].GetArray()) {
          CAPTURE(name.GetString());
          REQUIRE(source->HasMember(name.GetString()));
          REQUIRE(created->HasMember(name.GetString()));
          CHECK(compact((*created)[name.GetString()]) == compact((*source)[name.GetString()]));
        }
      }
      if (expect.HasMember("labels") && index < expect["labels"].Size()) {
        const std::string label = str(s, "label");
        CAPTURE(label);
        CHECK(label.find(expect["labels"][index].GetString()) != std::string::npos);
      }
      offered.push_back(actions.back().substr(7));
      if (s.HasMember("isRecommended") && s["isRecommended"].GetBool()) {
        CHECK(recommended.empty());  // at most one
        recommended = offered.back();
      }
      ++index;
    }
  }
  if (expect.HasMember("suggestions")) CHECK(offered == wanted);
  if (expect.HasMember("recommended")) CHECK(recommended == str(expect, "recommended"));
}

void check_expectation(const rapidjson::Value& scenario, const rapidjson::Document& response,
                       const Outcome& outcome, const rapidjson::Value& expect) {
  const std::string order = str(expect, "order");
  const std::string kind = str(expect, "outcome");
  CAPTURE(order);
  const rapidjson::Value* card = card_for(response, order);
  if (kind != "rated") {
    CHECK(card == nullptr);
    CHECK(pama_for(response, order) == (kind == "none" ? "" : "no-criteria-apply"));
    return;
  }
  REQUIRE(card != nullptr);
  const auto& ext = (*card)["extension"]["vcf-cds"];
  CHECK(ext["variant"].GetInt() == expect["variant"].GetInt());
  CHECK(str(ext, "procedure") == str(expect, "procedure"));
  CHECK(str(ext, "category") == str(expect, "category"));
  CHECK(ext["rating"].GetInt() == expect["rating"].GetInt());
  const std::string category = str(expect, "category");
  CHECK(pama_for(response, order) == expected_pama(expect));
  CHECK(str(*card, "indicator") == (category == "Usually not appropriate" ? "warning" : "info"));
  if (expect.HasMember("disagreement")) CHECK(ext["disagreement"].GetBool());
  if (expect.HasMember("population")) {
    CHECK(str(ext["rrl"], "population") == str(expect, "population"));
    CHECK(str(ext["rrl"], "value") == str(expect, "rrl"));
  }
  const auto seen = outcome.by_order.find(order);
  REQUIRE(seen != outcome.by_order.end());
  if (expect.HasMember("assumptions")) {
    std::vector<std::string> wanted;
    for (const auto& a : expect["assumptions"].GetArray()) wanted.emplace_back(a.GetString());
    CHECK(seen->second.assumptions == wanted);
  }
  if (expect.HasMember("otherVariants")) {
    std::vector<int> wanted, listed;
    for (const auto& v : expect["otherVariants"].GetArray()) wanted.push_back(v.GetInt());
    for (const auto& v : ext["otherVariants"].GetArray()) listed.push_back(v["variant"].GetInt());
    CHECK(seen->second.other_variants == wanted);
    CHECK(listed == wanted);
  }
  if (expect.HasMember("candidates")) {
    std::vector<int> wanted;
    for (const auto& v : expect["candidates"].GetArray()) wanted.push_back(v.GetInt());
    CHECK(seen->second.candidates == wanted);
  }
  if (expect.HasMember("firm")) CHECK(seen->second.firm == expect["firm"].GetBool());
  if (expect.HasMember("questions")) {
    std::vector<std::string> wanted;
    for (const auto& q : expect["questions"].GetArray()) wanted.emplace_back(q.GetString());
    CHECK(seen->second.questions == wanted);
  }
  // Alternatives and clarifications share the card's at-most-one choice; only an alternative
  // may be recommended.
  std::size_t questions = 0;
  check_suggestions(scenario, *card, expect, order, questions);
  CHECK(questions == seen->second.questions.size());
  if (expect.HasMember("detailIncludes")) {
    const std::string detail = str(*card, "detail");
    for (const auto& text : expect["detailIncludes"].GetArray()) {
      CAPTURE(text.GetString());
      CHECK(detail.find(text.GetString()) != std::string::npos);
    }
  }
}

void run_file(const char* name) {
  const auto doc = vcf_cds::common::parse_json_file(
      source_path(std::string("tests/fixtures/scenarios/") + name));
  REQUIRE(doc.IsArray());
  for (const auto& scenario : doc.GetArray()) {
    const std::string title = str(scenario, "name");
    CAPTURE(title);
    const Outcome outcome = run_scenario(scenario);
    rapidjson::Document response;
    response.Parse(outcome.body.c_str());
    REQUIRE_FALSE(response.HasParseError());
    REQUIRE(response["cards"].IsArray());
    for (const auto& expect : scenario["expect"].GetArray()) {
      check_expectation(scenario, response, outcome, expect);
    }
    // Nothing beyond what the scenario expects is rated.
    std::size_t rated = 0;
    for (const auto& expect : scenario["expect"].GetArray())
      rated += str(expect, "outcome") == "rated";
    CHECK(response["cards"].Size() == rated);
  }
}

}  // namespace

TEST_SUITE("scenarios") {
  TEST_CASE("scenarios: one per variant, every orderable row -> the seed's rating") {
    run_file("variants.json");
  }
  TEST_CASE("scenarios: edge cases from the contract -> expected variant, row and suggestions") {
    run_file("edge-cases.json");
  }
  TEST_CASE(
      "scenarios: suggestions -> region, copied context, paired deletes, ties, add or replace") {
    run_file("suggestions.json");
  }
  TEST_CASE("scenarios: unknown facts -> headline, assumptions and the questions the card asks") {
    run_file("clarifications.json");
  }
  TEST_CASE("scenarios: real-world coding (OIDs, specific SNOMED CT, pain codes, skin cancer)") {
    run_file("real-records.json");
  }
}

// Clarifications applied as an EHR would: take each update suggestion's resource, put it back as
// the draft order, call again. The answer is then documented: never asked again, and the card
// gives what the suggestion's label promised (firm when it said so, else asking only what is
// still missing).
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/json_file.hpp"
#include "support/scenario.hpp"

namespace {

using vcf_cds::testing::Outcome;
using vcf_cds::testing::run_scenario;
using vcf_cds::testing::source_path;
using vcf_cds::testing::str;

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

const rapidjson::Value* card_for(const rapidjson::Value& response, const std::string& order) {
  for (const auto& card : response["cards"].GetArray()) {
    if (str(card["extension"]["vcf-cds"], "order") == order) return &card;
  }
  return nullptr;
}

// The scenario with the draft order of the same id replaced by `resource`.
rapidjson::Document with_order(const rapidjson::Value& scenario, const rapidjson::Value& resource) {
  rapidjson::Document copy;
  copy.CopyFrom(scenario, copy.GetAllocator());
  for (auto& order : copy["orders"].GetArray()) {
    if (str(order, "id") == str(resource, "id")) order.CopyFrom(resource, copy.GetAllocator());
  }
  return copy;
}

std::string fact_of(const std::string& question) {
  return question.substr(0, question.find(':'));
}

int variant_of(const std::string& question) {
  return std::stoi(question.substr(question.find('=') + 1));
}

// Every clarification of every card in `file`, answered and sent back.
int apply_all(const char* file) {
  const auto doc = vcf_cds::common::parse_json_file(
      source_path(std::string("tests/fixtures/scenarios/") + file));
  int applied = 0;
  for (const auto& scenario : doc.GetArray()) {
    CAPTURE(str(scenario, "name"));
    const Outcome first = run_scenario(scenario);
    const auto response = parse(first.body);
    for (const auto& [order, seen] : first.by_order) {
      const rapidjson::Value* card = card_for(response, order);
      if (card == nullptr || !card->HasMember("suggestions")) continue;
      std::size_t index = 0;  // clarifications are written in the decision's order
      for (const auto& suggestion : (*card)["suggestions"].GetArray()) {
        const auto& action = suggestion["actions"][0];
        if (str(action, "type") != "update") continue;
        REQUIRE(index < seen.questions.size());
        const std::string question = seen.questions[index];
        const bool promised_firm = seen.questions_firm[index];
        ++index;
        const std::string label = str(suggestion, "label");
        CAPTURE(question);
        CAPTURE(label);

        const auto answered = with_order(scenario, action["resource"]);
        const Outcome next = run_scenario(answered);
        const auto next_response = parse(next.body);
        const rapidjson::Value* next_card = card_for(next_response, order);
        ++applied;
        if (variant_of(question) == 0) {
          // The answer leaves no variant: no card, as the label said.
          CHECK(label.find("no ACR variant applies") != std::string::npos);
          CHECK(next_card == nullptr);
          continue;
        }
        REQUIRE(next_card != nullptr);
        const auto& ext = (*next_card)["extension"]["vcf-cds"];
        CHECK(ext["variant"].GetInt() == variant_of(question));
        CHECK(label.find(str(ext, "category") + " (" + std::to_string(ext["rating"].GetInt()) +
                         "/9)") != std::string::npos);
        const auto& again = next.by_order.at(order);
        for (const auto& q : again.questions) {
          CHECK(fact_of(q) != fact_of(question));  // documented: never asked again
          // Only what was already missing is asked.
          CHECK(std::any_of(
              seen.questions.begin(), seen.questions.end(),
              [&](const std::string& before) { return fact_of(before) == fact_of(q); }));
        }
        for (const auto& a : again.assumptions) CHECK(fact_of(a) != fact_of(question));
        if (promised_firm) {
          CHECK(again.firm);
          CHECK(again.questions.empty());
          CHECK(label.find(" if ") == std::string::npos);
        } else {
          CHECK_FALSE(again.firm);
          CHECK(label.find(" if ") != std::string::npos);  // says what it still assumes
        }
      }
      CHECK(index == seen.questions.size());
    }
  }
  return applied;
}

}  // namespace

TEST_SUITE("scenarios") {
  TEST_CASE("clarifications: each answer applied and sent back -> documented, as the label said") {
    // 2 + 4 + 6 + 2 + 2 + 2 questions over the fixture's cards.
    CHECK(apply_all("clarifications.json") == 18);
  }
  TEST_CASE("clarifications: edge cases' questions applied -> documented, as the label said") {
    CHECK(apply_all("edge-cases.json") > 0);
  }
}

// A card that asks (clarification suggestions) through the real service and audit store: the
// questions' uuids are recorded with the consult, feedback taking one is stored like any other,
// and the audit shows which question was answered how.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "console/audit.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

// The Sandbox PAMA request with no Condition: the VCF is the order's reason, symptoms unknown.
std::string symptoms_unknown_request() {
  auto doc = parse(hooks_fixture("order-select-pama.json"));
  auto& entries = doc["prefetch"]["conditions"]["entry"];
  entries.Clear();
  return serialize(doc);
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("audit: feedback taking a clarification -> stored, joined, the answer readable") {
    ServiceUnderTest service;
    auto call = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                         symptoms_unknown_request());
    REQUIRE(call);
    REQUIRE(call->result_int() == 200);
    const auto response = parse(call->body());
    REQUIRE(response["cards"].Size() == 1);
    const auto& card = response["cards"][0];
    const std::string card_uuid = card["uuid"].GetString();

    // Alternatives and questions share the card's one choice; a question is never recommended.
    CHECK(std::string(card["selectionBehavior"].GetString()) == "at-most-one");
    std::string question_uuid, question_label;
    std::size_t questions = 0;
    for (const auto& s : card["suggestions"].GetArray()) {
      if (std::string(s["actions"][0]["type"].GetString()) != "update") continue;
      ++questions;
      CHECK_FALSE(s.HasMember("isRecommended"));
      if (question_uuid.empty()) {
        question_uuid = s["uuid"].GetString();
        question_label = s["label"].GetString();
      }
    }
    CHECK(questions == 2);
    CHECK(question_label == "Back pain from the fracture → Usually not appropriate (3/9)");

    const auto consults = service.consults();
    REQUIRE(consults.size() == 1);
    const auto& consult = consults[0];
    CHECK(consult.suggestion_uuids.size() == card["suggestions"].Size());
    CHECK(std::find(consult.suggestion_uuids.begin(), consult.suggestion_uuids.end(),
                    question_uuid) != consult.suggestion_uuids.end());
    // What was asked, with what each answer would give, is in the consult record.
    const auto asked = parse(consult.assumptions);
    REQUIRE(asked["clarifications"].Size() == 2);
    CHECK(std::string(asked["clarifications"][0]["fact"].GetString()) == "symptomatic");
    CHECK(asked["clarifications"][0]["would"]["variant"].GetInt() == 1);
    CHECK(asked["clarifications"][1]["would"].IsNull());

    const std::string feedback = R"({"feedback":[{"card":")" + card_uuid +
                                 R"(","outcome":"accepted",)" +
                                 R"("acceptedSuggestions":[{"id":")" + question_uuid + R"("}],)" +
                                 R"("outcomeTimestamp":"2026-11-25T10:00:00Z"}]})";
    auto answered =
        exchange(service.port(), "POST", "/cds-services/vcf-imaging-select/feedback", feedback);
    REQUIRE(answered);
    CHECK(answered->result_int() == 200);
    const auto stored = service.feedback();
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].known_card);
    CHECK(stored[0].outcome == "accepted");
    CHECK(stored[0].accepted_suggestions == std::vector<std::string>{question_uuid});
    // The audit console names the answer the clinician gave.
    CHECK(vcf_cds::console::accepted_suggestion_label(consult, stored[0]) == question_label);
  }
}

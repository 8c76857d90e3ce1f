// Clarification suggestions as rendered: labels from card text, the update adds exactly one
// reason to the order as sent, and the card text's reason codes are checked at start-up.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "cards/card_text.hpp"
#include "common/json_file.hpp"
#include "support/scenario.hpp"
#include "support/temp_dir.hpp"
#include "vcf_cds/cards.hpp"

namespace {

using namespace vcf_cds;
using testing::knowledge;
using testing::str;

constexpr const char* kAugmentation = "Percutaneous vertebral augmentation";

struct Rendered {
  rapidjson::Document order;
  rapidjson::Document response;
  cards::ConsultIds ids;
};

// The card for an augmentation order on a painful osteoporotic VCF whose MRI findings and
// course are not documented, the order as given.
Rendered render_order(const char* order_json) {
  const auto& k = knowledge();
  Rendered out;
  out.order.Parse(order_json);
  REQUIRE_FALSE(out.order.HasParseError());
  facts::ClinicalFacts f;
  f.vcf = f.vcf_new = true;
  f.distinct_vcfs = 1;
  f.osteoporotic = true;
  f.symptomatic = facts::Tri::present;
  f.new_back_pain = true;
  facts::OrderedProcedure procedure;
  procedure.order_ref = "ServiceRequest/o1";
  procedure.row_name = kAugmentation;
  std::vector<criteria::Decision> decisions{criteria::decide(*k.criteria, procedure, f)};
  REQUIRE(decisions[0].clarifications.size() == 4);

  hooks::HookRequest request;
  cards::RenderInput in;
  in.knowledge = k.criteria.get();
  in.terminology = k.terminology.get();
  in.text = k.card_text.get();
  in.prepared = k.card_rows.get();
  in.request = &request;
  in.orders = {&out.order};
  in.decisions = &decisions;
  int n = 0;
  in.new_uuid = [&n] { return "uuid-" + std::to_string(n++); };
  auto rendered = cards::render(in);
  REQUIRE(rendered.consults.size() == 1);
  out.ids = rendered.consults[0];
  out.response.Parse(rendered.body.c_str());
  REQUIRE_FALSE(out.response.HasParseError());
  return out;
}

std::string card_text_with(std::string_view from, std::string_view to) {
  std::string text = common::read_file(testing::source_path("cards/templates/card-text.json"));
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_SUITE("cards") {
  TEST_CASE("clarify: each answer -> labelled update adding one reason, never recommended") {
    const auto r = render_order(R"({"resourceType":"ServiceRequest","id":"o1","status":"draft",
        "intent":"order","code":{"coding":[{"system":"http://www.ama-assn.org/go/cpt",
        "code":"22513"}]},"subject":{"reference":"Patient/p1"},"note":[{"text":"T12"}],
        "reasonCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm",
        "code":"M80.08XA"}]}]})");
    const auto& card = r.response["cards"][0];
    CHECK(str(card, "selectionBehavior") == "at-most-one");
    const auto& suggestions = card["suggestions"];
    REQUIRE(suggestions.Size() == 4);  // Usually appropriate: no alternatives, four answers
    struct Expected {
      const char* label;
      const char* code;
    };
    const Expected expected[] = {
        {"MRI shows marrow edema or cleft → Usually appropriate (8/9)", "edema-or-cleft"},
        {"MRI shows no marrow edema or cleft → Usually appropriate (8/9) if the pain is worsening",
         "no-edema-or-cleft"},
        {"Pain worsening over time or despite treatment → Usually appropriate (8/9)",
         "worsening-pain"},
        {"Pain not worsening → Usually appropriate (8/9) if MRI shows marrow edema or cleft",
         "pain-not-worsening"},
    };
    for (rapidjson::SizeType i = 0; i < suggestions.Size(); ++i) {
      const auto& s = suggestions[i];
      CAPTURE(i);
      CHECK(str(s, "label") == expected[i].label);
      CHECK_FALSE(s.HasMember("isRecommended"));
      CHECK(str(s, "uuid") == r.ids.suggestion_uuids[i]);
      REQUIRE(s["actions"].Size() == 1);
      const auto& action = s["actions"][0];
      CHECK(str(action, "type") == "update");
      // The order as sent, one reason more.
      const auto& resource = action["resource"];
      REQUIRE(resource.MemberCount() == r.order.MemberCount());
      for (const auto& m : r.order.GetObject()) {
        if (std::string(m.name.GetString()) != "reasonCode") CHECK(resource[m.name] == m.value);
      }
      const auto& reasons = resource["reasonCode"];
      REQUIRE(reasons.Size() == 2);
      CHECK(reasons[0] == r.order["reasonCode"][0]);
      CHECK(str(reasons[1]["coding"][0], "code") == expected[i].code);
      CHECK(str(reasons[1]["coding"][0], "system") ==
            "https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds");
    }
    CHECK(r.ids.suggestion_uuids.size() == 4);
  }

  TEST_CASE("clarify: order without reasons, or with unreadable ones -> a reasonCode array") {
    for (const char* order :
         {R"({"resourceType":"ServiceRequest","id":"o1","status":"draft"})",
          R"({"resourceType":"ServiceRequest","id":"o1","reasonCode":"M80.08XA"})"}) {
      CAPTURE(order);
      const auto r = render_order(order);
      const auto& resource = r.response["cards"][0]["suggestions"][0]["actions"][0]["resource"];
      REQUIRE(resource["reasonCode"].IsArray());
      REQUIRE(resource["reasonCode"].Size() == 1);
      CHECK(str(resource["reasonCode"][0]["coding"][0], "code") == "edema-or-cleft");
      CHECK(str(resource["reasonCode"][0], "text") == "MRI shows marrow edema or cleft");
    }
  }

  TEST_CASE("clarify: card text -> every answer required, reasons checked against ValueSets") {
    const auto& k = knowledge();
    CHECK_NOTHROW(cards::check_clarifications(*k.card_text, *k.terminology));

    testing::TempDir dir;
    dir.write("detail.md", common::read_file(testing::source_path("cards/templates/detail.md")));

    // A missing answer stops the load, naming the field.
    dir.write("card-text.json",
              card_text_with(R"("worsening_pain:false": {)", R"("worsening_pain:never": {)"));
    CHECK_THROWS_WITH_AS(cards::load_card_text(dir.path()),
                         doctest::Contains("clarifications.worsening_pain:false"),
                         cards::TemplateError);

    // A reason the facts stage would not read as the answer: the next call would ask again.
    dir.write("card-text.json",
              card_text_with(R"("code": "no-edema-or-cleft")", R"("code": "bone-marrow-edema")"));
    const auto wrong = cards::load_card_text(dir.path());
    CHECK_THROWS_WITH_AS(cards::check_clarifications(*wrong, *k.terminology),
                         doctest::Contains("clarifications.edema_or_cleft:false.reason"),
                         cards::TemplateError);

    // A reason without a code is malformed card text.
    dir.write("card-text.json", card_text_with(R"("code": "84387000", )", ""));
    CHECK_THROWS_WITH_AS(cards::load_card_text(dir.path()),
                         doctest::Contains("clarifications.symptomatic:false.reason.code"),
                         cards::TemplateError);
  }
}

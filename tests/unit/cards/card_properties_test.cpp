// Properties of every card the seed can produce: one card per (variant, row), all 71.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <map>

#include "cards/card_text.hpp"
#include "common/json_file.hpp"
#include "support/scenario.hpp"
#include "vcf_cds/cards.hpp"

namespace {

using namespace vcf_cds;
using testing::knowledge;
using testing::str;

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

struct Rendered {
  rapidjson::Document order;
  rapidjson::Document response;
};

// Renders the card for `row` of `variant`, ordered in `region` for an adult or a child.
struct Options {
  bool firm = true;
  bool quiet = false;  // Settings::quiet_when_appropriate
};

Rendered render_row(const criteria::Variant& variant, const criteria::ProcedureRow& row,
                    facts::Region region, bool pediatric, Options options = {}) {
  const auto& k = knowledge();
  Rendered out;
  out.order.Parse(R"({"resourceType":"ServiceRequest","id":"o1","status":"draft","intent":"order",
      "subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"},
      "requester":{"reference":"Practitioner/dr1"},
      "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"42942008"}]}]})");
  criteria::Decision d;
  d.outcome = criteria::Outcome::rated;
  d.headline = {&variant, &row};
  d.candidates = {d.headline};
  d.firm = options.firm;
  d.procedure.order_ref = "ServiceRequest/o1";
  d.procedure.row_name = row.name;
  d.procedure.region = region;
  // Advanced imaging as the order's own code says (the row's orderable code in this region).
  if (const auto code = facts::orderable_code(*k.terminology, row.name, region)) {
    d.procedure.advanced_imaging =
        facts::describe_code(*k.terminology, code->system, code->code).advanced_imaging;
  }
  d.facts.pediatric = pediatric;
  std::vector<criteria::Decision> decisions{d};

  hooks::HookRequest request;
  cards::RenderInput in;
  in.knowledge = k.criteria.get();
  in.terminology = k.terminology.get();
  in.text = k.card_text.get();
  in.request = &request;
  in.orders = {&out.order};
  in.decisions = &decisions;
  in.settings.quiet_when_appropriate = options.quiet;
  int n = 0;
  in.new_uuid = [&n] { return "uuid-" + std::to_string(n++); };
  in.prepared = k.card_rows.get();
  REQUIRE(in.prepared != nullptr);
  const auto rendered = cards::render(in);
  // The row parts prepared at load and the ones built per card (no PreparedRows) are the same
  // bytes: the cache changes only when they are built.
  n = 0;
  in.prepared = nullptr;
  CHECK(cards::render(in).body == rendered.body);
  REQUIRE(rendered.consults.size() == 1);
  const bool silent =
      options.quiet && options.firm && row.category == criteria::Category::usually_appropriate;
  CHECK(rendered.consults[0].card_uuid == (silent ? "" : "uuid-1"));
  CHECK(rendered.consults[0].consult_id == "urn:uuid:uuid-0");
  out.response.Parse(rendered.body.c_str());
  REQUIRE_FALSE(out.response.HasParseError());
  return out;
}

}  // namespace

TEST_SUITE("cards") {
  TEST_CASE("card properties: all 71 rows -> summary, indicator and extension equal the seed") {
    const auto& k = knowledge();
    const auto& kb = *k.criteria;
    int cards_checked = 0;
    for (const auto& variant : kb.variants) {
      for (const auto& row : variant.rows) {
        for (bool pediatric : {false, true}) {
          CAPTURE(variant.number);
          CAPTURE(row.name);
          // Not firm: the full detail (a firm Usually appropriate answer is a short card).
          const auto r =
              render_row(variant, row, facts::Region::lumbar, pediatric, {.firm = false});
          REQUIRE(r.response["cards"].Size() == 1);
          const auto& card = r.response["cards"][0];
          const std::string summary = str(card, "summary");
          CAPTURE(summary);
          CHECK(utf8_length(summary) < 140);
          CHECK(summary.find("…") == std::string::npos);  // fits without being cut
          CHECK(summary.find(row.name) != std::string::npos);
          CHECK(summary.find(std::string(criteria::to_string(row.category)) + " (" +
                             std::to_string(row.rating) + "/9)") != std::string::npos);
          const auto situation = k.card_text->situation(variant.number);
          CHECK_FALSE(situation.empty());
          CHECK(summary.find(situation) != std::string::npos);
          CHECK(str(card, "indicator") ==
                (row.category == criteria::Category::usually_not_appropriate ? "warning" : "info"));
          CHECK(str(card["source"], "label").find("ACR Appropriateness Criteria") == 0);
          // PAMA covers advanced diagnostic imaging only: treatment, referral and biopsy orders
          // get their card and no system action (no pama-rating extensions).
          const bool advanced = variant.phase == criteria::Phase::imaging &&
                                row.name != "Image-guided biopsy spine area of interest";
          CHECK(r.response.HasMember("systemActions") == advanced);
          CHECK(r.response.HasMember("extension") == advanced);

          const auto& ext = card["extension"]["vcf-cds"];
          CHECK(str(ext, "order") == "ServiceRequest/o1");
          CHECK(ext["variant"].GetInt() == variant.number);
          CHECK(str(ext, "procedure") == row.name);
          CHECK(str(ext, "category") == criteria::to_string(row.category));
          CHECK(ext["disagreement"].GetBool() == row.disagreement);
          CHECK(ext["rating"].GetInt() == row.rating);
          CHECK(ext["median"].GetInt() == row.median);
          CHECK(str(ext, "soe") == row.soe);
          CHECK(str(ext["rrl"], "population") == (pediatric ? "pediatric" : "adult"));
          CHECK(str(ext["rrl"], "value") == (pediatric ? row.rrl_pediatric : row.rrl_adult));
          REQUIRE(ext["tabulation"].Size() == 9);
          for (rapidjson::SizeType i = 0; i < 9; ++i) {
            CHECK(ext["tabulation"][i].GetInt() == row.tabulation[i]);
          }
          REQUIRE(ext["references"].Size() == row.references.size());
          for (rapidjson::SizeType i = 0; i < row.references.size(); ++i) {
            CHECK(ext["references"][i]["n"].GetInt() == row.references[i].n);
            CHECK(str(ext["references"][i], "pmid") == row.references[i].pmid);
            CHECK(str(ext["references"][i], "quality") == row.references[i].quality);
          }
          CHECK(ext["otherVariants"].IsArray());
          CHECK(str(ext, "consultId") == "urn:uuid:uuid-0");

          const std::string detail = str(card, "detail");
          for (const auto& ref : row.references) {
            if (ref.pmid.front() == '-') {
              CHECK(detail.find("PMID " + ref.pmid + " (as published)") != std::string::npos);
            } else {
              CHECK(detail.find("https://pubmed.ncbi.nlm.nih.gov/" + ref.pmid + "/") !=
                    std::string::npos);
            }
          }
          CHECK(detail.find(pediatric ? row.rrl_pediatric : row.rrl_adult) != std::string::npos);
          CHECK(detail.find(pediatric
                                ? "Relative radiation level for a child (under 18):"
                                : "Relative radiation level for an adult:") != std::string::npos);
          CHECK(detail.find("This answer is firm") == std::string::npos);
          // The same row answered firmly: the same summary; a Usually appropriate one is a short
          // card of one line with the evidence link, or none where the site asks for quiet.
          const auto firm = render_row(variant, row, facts::Region::lumbar, pediatric);
          const auto& firm_card = firm.response["cards"][0];
          CHECK(str(firm_card, "summary") == summary);
          const std::string firm_detail = str(firm_card, "detail");
          const bool appropriate = row.category == criteria::Category::usually_appropriate;
          CHECK(firm_detail.find("firm") != std::string::npos);
          CHECK((firm_detail.find('\n') == std::string::npos) == appropriate);
          REQUIRE(firm_card["links"].Size() == 1);
          CHECK(str(firm_card["links"][0], "type") == "absolute");
          CHECK(str(firm_card["links"][0], "url") ==
                cards::Settings{}.evidence_base +
                    criteria::evidence_path(variant.number, row.name));
          const auto quiet =
              render_row(variant, row, facts::Region::lumbar, pediatric, {.quiet = true});
          CHECK(quiet.response["cards"].Size() == (appropriate ? 0u : 1u));
          CHECK(quiet.response.HasMember("systemActions") == advanced);  // PAMA still sent
          ++cards_checked;
        }
      }
    }
    CHECK(cards_checked == 142);
  }

  TEST_CASE("card properties: suggestions -> only usually appropriate, orderable, same region") {
    const auto& k = knowledge();
    int suggestions_seen = 0;
    for (const auto& variant : k.criteria->variants) {
      for (const auto& row : variant.rows) {
        for (auto region :
             {facts::Region::cervical, facts::Region::thoracic, facts::Region::lumbar}) {
          CAPTURE(variant.number);
          CAPTURE(row.name);
          CAPTURE(facts::to_string(region));
          const auto r = render_row(variant, row, region, false);
          const auto& card = r.response["cards"][0];
          const auto it = card.FindMember("suggestions");
          if (row.category == criteria::Category::usually_appropriate) {
            CHECK(it == card.MemberEnd());
            continue;
          }
          // Expected: the variant's usually appropriate rows (not this one) orderable here.
          std::vector<std::string> expected;
          for (const auto& other : variant.rows) {
            if (&other == &row || other.category != criteria::Category::usually_appropriate)
              continue;
            if (facts::orderable_code(*k.terminology, other.name, region))
              expected.push_back(other.name);
          }
          if (expected.empty()) {
            CHECK(it == card.MemberEnd());
            continue;
          }
          REQUIRE(it != card.MemberEnd());
          CHECK(str(card, "selectionBehavior") == "at-most-one");
          std::vector<std::string> offered;
          int recommended = 0, best_rating = 0, recommended_rating = 0;
          const auto kind = [&](const criteria::ProcedureRow& r) {
            const std::map<std::string, std::string> kinds{
                {"Surgical consultation", "referral"},
                {"Radiation oncology consultation", "referral"},
                {"Image-guided biopsy spine area of interest", "biopsy"}};
            const auto found = kinds.find(r.name);
            return found != kinds.end() ? found->second
                                        : std::string(criteria::to_string(variant.phase));
          };
          const auto* best_row = static_cast<const criteria::ProcedureRow*>(nullptr);
          for (const auto& s : it->value.GetArray()) {
            const auto& actions = s["actions"];
            const auto& created = actions[actions.Size() - 1]["resource"];
            CHECK(str(actions[actions.Size() - 1], "type") == "create");
            const auto mapped = facts::map_order(*k.terminology, created, {});
            offered.push_back(mapped.row_name);
            const auto* alt = variant.find_row(mapped.row_name);
            REQUIRE(alt != nullptr);
            CHECK(alt->category == criteria::Category::usually_appropriate);
            CHECK(alt->name != "Medical management only");
            // A referral or biopsy stays when a different kind of service is suggested.
            const bool adds =
                kind(row) != kind(*alt) && (kind(row) == "referral" || kind(row) == "biopsy");
            CHECK(actions.Size() == (adds ? 1u : 2u));
            if (!adds) CHECK(str(actions[0], "resourceId") == "ServiceRequest/o1");
            const std::string label = str(s, "label");
            CAPTURE(label);
            CHECK(label.find(alt->name) != std::string::npos);
            if (kind(row) != kind(*alt)) CHECK(label.find(row.name) != std::string::npos);
            if (mapped.region != facts::Region::none &&
                mapped.region != facts::Region::whole_body) {
              CHECK(mapped.region == region);  // 72148 lumbar -> 72158 lumbar, never cervical
            }
            CHECK(str(created["encounter"], "reference") == "Encounter/e1");
            CHECK(str(created["requester"], "reference") == "Practitioner/dr1");
            CHECK(created["reasonCode"].Size() == 1);
            CHECK(str(created, "intent") == "order");
            best_rating = std::max(best_rating, alt->rating);
            if (s.HasMember("isRecommended")) {
              ++recommended;
              recommended_rating = alt->rating;
              best_row = alt;
            }
            CHECK(s.HasMember("uuid"));
            ++suggestions_seen;
          }
          CHECK(offered == expected);
          CHECK(recommended == 1);
          CHECK(recommended_rating == best_rating);
          // Among the best rated, none with less ionising radiation was passed over (O before ☢).
          REQUIRE(best_row != nullptr);
          if (best_row->rrl_adult != "O 0 mSv" && best_row->rrl_adult != "N/A") {
            for (const auto& name : offered) {
              const auto* alt = variant.find_row(name);
              CHECK_FALSE((alt->rating == best_rating && alt->rrl_adult == "O 0 mSv"));
            }
          }
        }
      }
    }
    CHECK(suggestions_seen > 50);
  }

  TEST_CASE("card properties: system action -> the order unchanged plus PAMA extensions") {
    const auto& kb = *knowledge().criteria;
    const auto& variant = *kb.variant(1);
    const auto r =
        render_row(variant, *variant.find_row("MRI spine area of interest with IV contrast"),
                   facts::Region::lumbar, false);
    const auto& actions = r.response["systemActions"];
    REQUIRE(actions.Size() == 1);
    CHECK(actions == r.response["extension"]["systemActions"]);
    const auto& resource = actions[0]["resource"];
    CHECK(str(actions[0], "type") == "update");
    CHECK_FALSE(str(actions[0], "description").empty());
    // Every member of the original order is there, unchanged.
    for (const auto& m : r.order.GetObject()) {
      CAPTURE(m.name.GetString());
      REQUIRE(resource.HasMember(m.name));
      CHECK(resource[m.name] == m.value);
    }
    CHECK(resource.MemberCount() == r.order.MemberCount() + 1);  // + extension
    const auto& ext = resource["extension"];
    REQUIRE(ext.Size() == 4);
    CHECK(str(ext[0], "url") == "http://fhir.org/argonaut/Extension/pama-rating");
    CHECK(str(ext[0]["valueCodeableConcept"]["coding"][0], "code") == "not-appropriate");
    CHECK(str(ext[0]["valueCodeableConcept"]["coding"][1], "system") ==
          "http://terminology.hl7.org/CodeSystem/appropriateness-score");
    CHECK(str(ext[0]["valueCodeableConcept"]["coding"][1], "code") ==
          "probably-inappropriate");  // 3rd
    CHECK(str(ext[1], "valueUri") == "urn:uuid:uuid-0");
    CHECK(str(ext[2], "url") == "http://fhir.org/argonaut/Extension/pama-rating-qcdsm-consulted");
    CHECK(str(ext[3], "valueUri").find("/variant/1") != std::string::npos);
  }

  TEST_CASE("card properties: override reasons -> coded, displayed, in the project CodeSystem") {
    const auto& kb = *knowledge().criteria;
    const auto r = render_row(*kb.variant(5), kb.variant(5)->rows[1], facts::Region::lumbar, false);
    const auto doc =
        common::parse_json_file(testing::source_path("fhir-profiles/CodeSystem-vcf-cds.json"));
    const auto& reasons = r.response["cards"][0]["overrideReasons"];
    REQUIRE(reasons.Size() >= 4);
    for (const auto& reason : reasons.GetArray()) {
      CHECK_FALSE(str(reason, "display").empty());
      CHECK(str(reason, "system") == str(doc, "url"));
      bool defined = false;
      for (const auto& concept_ : doc["concept"].GetArray())
        defined |= str(concept_, "code") == str(reason, "code");
      CHECK_MESSAGE(defined, str(reason, "code"));
    }
  }
}

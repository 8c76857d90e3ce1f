// A patient with many records for one fact: the card and the audit record list the newest few
// sources and count the rest, so the response and the trail do not grow with the record.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "cards/detail.hpp"
#include "common/time.hpp"
#include "integration/long_problem_list.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::testing;

facts::Evidence dated(std::string reference, std::optional<int> day) {
  facts::Evidence e;
  e.source.reference = std::move(reference);
  if (day)
    e.date = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + std::chrono::days(*day);
  return e;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("newest_evidence: few -> all in order; many -> undated and newest, in record order") {
    const std::vector<facts::Evidence> few{dated("a", 3), dated("b", 1)};
    auto shown = cards::newest_evidence(few, 5);
    REQUIRE(shown.size() == 2);
    CHECK(shown[0]->source.reference == "a");

    const std::vector<facts::Evidence> many{dated("old", 1),      dated("newest", 9),
                                            dated("undated", {}), dated("older", 2),
                                            dated("newer", 8),    dated("middle", 5)};
    shown = cards::newest_evidence(many, 3);
    std::vector<std::string> references;
    for (const auto* e : shown) references.push_back(e->source.reference);
    CHECK(references == std::vector<std::string>{"newest", "undated", "newer"});
  }

  TEST_CASE("1,000 back pain Conditions -> card and record list 5 sources and count the rest") {
    auto options = test_server_options();
    options.body_limit = 8 * 1024 * 1024;
    ServiceUnderTest service(options);
    const std::string body = many_pain_records(1000);
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select", body);
    REQUIRE(response);
    REQUIRE(response->result_int() == 200);
    // One card: its size no longer depends on the number of records.
    CHECK(response->body().size() < 32 * 1024);
    rapidjson::Document doc;
    doc.Parse(response->body().c_str());
    REQUIRE(doc["cards"].Size() == 1);
    const std::string detail = doc["cards"][0]["detail"].GetString();
    INFO(detail);
    // The card names facts in words and dates (references stay in the record): c-1000 is the
    // newest (onset 2026-01-01 + 1000 days), c-996 the fifth newest, c-995 not shown.
    const auto onset = [](int i) {
      return vcf_cds::common::iso_date(
          std::chrono::sys_days{std::chrono::year{2026} / std::chrono::January / 1} +
          std::chrono::days{i});
    };
    CHECK(detail.find(onset(1000)) != std::string::npos);
    CHECK(detail.find(onset(996)) != std::string::npos);
    CHECK(detail.find(onset(995)) == std::string::npos);
    CHECK(detail.find("Condition/") == std::string::npos);
    CHECK(detail.find("and 995 older records") != std::string::npos);

    const auto consults = service.consults();
    REQUIRE(consults.size() == 1);
    CHECK(consults[0].facts.size() < 8 * 1024);
    rapidjson::Document facts_doc;
    facts_doc.Parse(consults[0].facts.c_str());
    REQUIRE(facts_doc.IsObject());
    CHECK(facts_doc["evidenceOmitted"]["back_pain"].GetUint64() == 995);
    int pain_sources = 0;
    for (const auto& e : facts_doc["evidence"].GetArray()) {
      if (std::string_view(e["fact"].GetString()) == "back_pain") ++pain_sources;
    }
    CHECK(pain_sources == 5);
  }
}

// An EHR that times out and sends the same CDS Hooks call again (same hookInstance, same draft
// order): the retry is answered as the first attempt was, with the first attempt's consult id,
// card and suggestion uuids, and the audit trail keeps one consult for it.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "integration/clocked_service.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"
#include "vcf_cds/audit_review.hpp"

namespace {

using namespace vcf_cds::testing;

std::string call(unsigned short port, const std::string& service, const std::string& body) {
  auto response = exchange(port, "POST", "/cds-services/" + service, body);
  REQUIRE(response);
  REQUIRE(response->result_int() == 200);
  return response->body();
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string metrics(unsigned short port) {
  auto response = exchange(port, "GET", "/metrics", "");
  REQUIRE(response);
  return response->body();
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("retry: the same hook call twice -> the same answer and ids, one consult record") {
    ClockedService clocked;
    ServiceUnderTest& service = clocked.service;
    const std::string body = hooks_fixture("order-select-pama.json");

    const std::string first = call(service.port(), "vcf-imaging-select", body);
    const std::string retry = call(service.port(), "vcf-imaging-select", body);
    // Rendered afresh with new ids, answered with the recorded ones: byte for byte the same.
    CHECK(retry == first);
    const auto answer = parse(retry);
    REQUIRE(answer["cards"].Size() == 1);
    const std::string card_uuid = answer["cards"][0]["uuid"].GetString();

    const auto consults = service.consults();
    REQUIRE(consults.size() == 1);
    CHECK(consults[0].card_uuid == card_uuid);
    CHECK(first.find(consults[0].consult_id) != std::string::npos);
    auto verified = service.store().verify_chain();
    REQUIRE(verified);
    CHECK(verified->ok);
    CHECK(verified->records == 1);

    // Export and summary count the consult once.
    auto extract = vcf_cds::audit_review::load_extract(service.store(), {});
    REQUIRE(extract);
    CHECK(extract->consults.size() == 1);
    const auto summary = vcf_cds::audit_review::summarize(*extract);
    REQUIRE(summary.size() == 1);
    CHECK(summary[0].rated == 1);
    std::ostringstream ndjson;
    vcf_cds::audit_review::write_ndjson(*extract, ndjson);
    std::size_t lines = 0;
    for (char c : ndjson.str()) lines += c == '\n' ? 1 : 0;
    CHECK(lines == 1);

    // Feedback on the card the retry showed finds the record.
    const std::string feedback = R"({"feedback":[{"card":")" + card_uuid +
                                 R"(","outcome":"overridden","outcomeTimestamp":)"
                                 R"("2026-11-25T10:00:00Z"}]})";
    auto answered =
        exchange(service.port(), "POST", "/cds-services/vcf-imaging-select/feedback", feedback);
    REQUIRE(answered);
    CHECK(answered->result_int() == 200);
    REQUIRE(service.feedback().size() == 1);
    CHECK(service.feedback()[0].known_card);
    CHECK(metrics(service.port()).find("\nvcf_cds_consult_retries_joined_total 1\n") !=
          std::string::npos);
  }

  TEST_CASE("retry: another hookInstance or another order -> recorded on its own") {
    ClockedService clocked;
    ServiceUnderTest& service = clocked.service;
    const std::string body = hooks_fixture("order-select-pama.json");

    const std::string first = call(service.port(), "vcf-imaging-select", body);
    const std::string again = call(service.port(), "vcf-imaging-select",
                                   with_hook(body, "order-select", "another-hook-instance"));
    const std::string first_card = parse(first)["cards"][0]["uuid"].GetString();
    const std::string again_card = parse(again)["cards"][0]["uuid"].GetString();
    CHECK(again_card != first_card);
    // The same hookInstance with the draft order under another id: another order.
    const std::string renamed = edit_json(body, [](rapidjson::Document& doc) {
      for (auto& entry : doc["context"]["draftOrders"]["entry"].GetArray()) {
        entry["resource"]["id"].SetString("another-order");
      }
      doc["context"]["selections"][0].SetString("ServiceRequest/another-order");
    });
    call(service.port(), "vcf-imaging-select", renamed);

    const auto consults = service.consults();
    REQUIRE(consults.size() == 3);
    CHECK(consults[0].hook_instance == consults[2].hook_instance);
    CHECK(consults[0].order_ref != consults[2].order_ref);
    CHECK(metrics(service.port()).find("\nvcf_cds_consult_retries_joined_total 0\n") !=
          std::string::npos);
  }

  TEST_CASE("retry: an order-sign repeat retried -> still no card, one sign record") {
    ClockedService clocked;
    ServiceUnderTest& service = clocked.service;
    const std::string select = hooks_fixture("order-select-pama.json");
    call(service.port(), "vcf-imaging-select", select);

    const std::string sign = with_hook(select, "order-sign", "sign-1");
    const std::string first = call(service.port(), "vcf-order-sign", sign);
    const std::string retry = call(service.port(), "vcf-order-sign", sign);
    CHECK(retry == first);
    CHECK(parse(retry)["cards"].Size() == 0);

    const auto consults = service.consults();
    REQUIRE(consults.size() == 2);
    CHECK(consults[1].hook == "order-sign");
    CHECK(consults[1].repeat_of == consults[0].consult_id);
  }
}

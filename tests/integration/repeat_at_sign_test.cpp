// order-select then order-sign of the same order (CONTRACT §7): inside the repeat window the
// sign call shows no second card but still sends the PAMA rating, and the audit joins the two.
#include <doctest/doctest.h>

#include "integration/clocked_service.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;

rapidjson::Document call(unsigned short port, const std::string& service, const std::string& body) {
  auto response = exchange(port, "POST", "/cds-services/" + service, body);
  REQUIRE(response);
  REQUIRE(response->result_int() == 200);
  rapidjson::Document doc;
  doc.Parse(response->body().c_str());
  REQUIRE(doc.IsObject());
  return doc;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("repeat: order-sign within 24 h of order-select -> no second card, PAMA still sent") {
    ClockedService clocked;
    const auto& clock = clocked.clock;
    ServiceUnderTest& service = clocked.service;
    const std::string select = hooks_fixture("order-select-pama.json");

    const auto selected = call(service.port(), "vcf-imaging-select", select);
    REQUIRE(selected["cards"].Size() == 1);

    clock.advance(std::chrono::hours(23));
    const auto signed_ =
        call(service.port(), "vcf-order-sign", with_hook(select, "order-sign", "sign-1"));
    CHECK(signed_["cards"].Size() == 0);
    REQUIRE(signed_["systemActions"].Size() == 1);
    CHECK(signed_["extension"]["systemActions"].Size() == 1);

    const auto consults = service.consults();
    REQUIRE(consults.size() == 2);
    CHECK(consults[0].hook == "order-select");
    CHECK(consults[1].hook == "order-sign");
    CHECK(consults[1].repeat_of == consults[0].consult_id);
    CHECK(consults[1].card_uuid.empty());
    CHECK(consults[1].card.empty());
    CHECK(consults[1].pama_rating == consults[0].pama_rating);

    // Past the window the sign call rates the order afresh, with its card.
    clock.advance(std::chrono::hours(2));
    const auto later =
        call(service.port(), "vcf-order-sign", with_hook(select, "order-sign", "sign-2"));
    CHECK(later["cards"].Size() == 1);
    const auto all = service.consults();
    REQUIRE(all.size() == 3);
    CHECK(all[2].repeat_of.empty());
    CHECK_FALSE(all[2].card_uuid.empty());
  }

  TEST_CASE("repeat: a different order, patient or rating at order-sign is not a repeat") {
    ClockedService clocked;
    ServiceUnderTest& service = clocked.service;
    const std::string select = hooks_fixture("order-select-pama.json");
    call(service.port(), "vcf-imaging-select", select);

    // Another patient, same order id.
    std::string other_patient = with_hook(select, "order-sign", "sign-p");
    for (std::size_t at; (at = other_patient.find("smart-1288992")) != std::string::npos;) {
      other_patient.replace(at, 13, "smart-9999999");
    }
    CHECK(call(service.port(), "vcf-order-sign", other_patient)["cards"].Size() == 1);

    // The same patient and order, but now rated differently: malignancy history documented.
    rapidjson::Document doc;
    doc.Parse(with_hook(select, "order-sign", "sign-m").c_str());
    auto& alloc = doc.GetAllocator();
    rapidjson::Document cancer;
    cancer.Parse(R"({"resource":{"resourceType":"Condition","id":"ca1",
        "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
        "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C50.911"}]},
        "subject":{"reference":"Patient/smart-1288992"}}})");
    doc["prefetch"]["conditions"]["entry"].PushBack(rapidjson::Value(cancer, alloc), alloc);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    doc.Accept(w);
    const auto rerated = call(service.port(), "vcf-order-sign", buffer.GetString());
    REQUIRE(rerated["cards"].Size() == 1);
    CHECK(rerated["cards"][0]["extension"]["vcf-cds"]["variant"].GetInt() == 2);

    for (const auto& c : service.consults()) CHECK(c.repeat_of.empty());
  }
}

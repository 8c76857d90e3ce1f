// Prefetch fallback end to end: the real server fetches what the client did not prefetch from a
// FHIR server on loopback (bearer token, Bundle paging), and answers 412 when it cannot.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>

#include "fakes/fhir_server.hpp"
#include "integration/fallback_request.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;
using fakes::FhirTestServer;

std::string expression_of(const HttpResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body().c_str());
  if (!doc.IsObject() || !doc.HasMember("issue")) return "<not an OperationOutcome>";
  return doc["issue"][0]["expression"][0].GetString();
}

TEST_SUITE("integration") {
  TEST_CASE("prefetch fallback: nothing prefetched -> fetched with bearer token, pages followed") {
    FhirTestServer fhir;
    ServiceUnderTest service;
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_request(fhir.base(), "tok-123"));
    REQUIRE(response);
    INFO(response->body());
    CHECK(response->result_int() == 200);

    std::vector<std::string> targets;
    for (const auto& seen : fhir.seen()) {
      targets.push_back(seen.target);
      CHECK(seen.authorization == "Bearer tok-123");
    }
    CHECK(targets == std::vector<std::string>{"/fhir/Patient/p1", "/fhir/Condition?patient=p1",
                                              "/fhir/Condition?patient=p1&page=2",
                                              "/fhir/Procedure?patient=p1",
                                              "/fhir/Observation?patient=p1"});
    // Page 2 holds the history of malignancy: it moves the headline to variant 2 (CONTRACT §3).
    rapidjson::Document doc;
    doc.Parse(response->body().c_str());
    REQUIRE(doc.IsObject());
    REQUIRE(doc["cards"].Size() == 1);
    CHECK(doc["cards"][0]["extension"]["vcf-cds"]["variant"].GetInt() == 2);
  }

  TEST_CASE("prefetch fallback: fhirServer without fhirAuthorization -> unauthenticated GET") {
    FhirTestServer fhir;
    ServiceUnderTest service;
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_request(fhir.base()));
    REQUIRE(response);
    CHECK(response->result_int() == 200);
    REQUIRE_FALSE(fhir.seen().empty());
    for (const auto& seen : fhir.seen()) CHECK(seen.authorization.empty());
  }

  TEST_CASE("prefetch fallback: patient prefetched -> only the missing keys fetched") {
    FhirTestServer fhir;
    ServiceUnderTest service;
    const std::string body = edit_json(fallback_request(fhir.base()), [](rapidjson::Document& doc) {
      auto& a = doc.GetAllocator();
      rapidjson::Value prefetch(rapidjson::kObjectType);
      rapidjson::Value patient(rapidjson::kObjectType);
      patient.AddMember("resourceType", "Patient", a).AddMember("id", "p1", a);
      prefetch.AddMember("patient", patient, a);
      prefetch.AddMember("observations", rapidjson::Value(), a);  // null: no data, not fetched
      doc.AddMember("prefetch", prefetch, a);
    });
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select", body);
    REQUIRE(response);
    CHECK(response->result_int() == 200);
    for (const auto& seen : fhir.seen()) {
      CHECK_FALSE(seen.target.starts_with("/fhir/Patient"));
      CHECK_FALSE(seen.target.starts_with("/fhir/Observation"));
    }
    CHECK(fhir.seen().size() == 3);  // two Condition pages and Procedure
  }

  TEST_CASE("prefetch fallback: FHIR server answers 401 -> 412 naming prefetch.patient") {
    FhirTestServer fhir;
    ServiceUnderTest service;
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_request(fhir.base("/locked"), "expired"));
    REQUIRE(response);
    CHECK(response->result_int() == 412);
    CHECK(expression_of(*response) == "prefetch.patient");
    CHECK(response->body().find("401") != std::string::npos);
  }

  TEST_CASE("prefetch fallback: FHIR server never answers -> 412 after the FHIR timeout") {
    FhirTestServer fhir;
    ServiceUnderTest service;  // FHIR timeout 300 ms
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_request(fhir.base("/stalled")));
    REQUIRE(response);
    // The FHIR server never answers (nothing releases it): only the FHIR client's timeout ends
    // the wait.
    CHECK(response->result_int() == 412);
    CHECK(expression_of(*response) == "prefetch.patient");
  }

  TEST_CASE("prefetch fallback: a call waiting on the FHIR server -> other calls still answered") {
    // One compute thread: if the waiting call held it, the other calls would wait for the FHIR
    // timeout (10 s), past the test client's read deadline (5 s). It is handed to the worker
    // pool instead, and the FHIR server answers it only once the others have been answered.
    FhirTestServer fhir;
    auto options = test_server_options();
    options.compute_threads = 1;
    ServiceUnderTest service(options, std::chrono::milliseconds(10'000));
    TestClient waiting(service.port());
    REQUIRE_FALSE(waiting.send(raw_request("POST", "/cds-services/vcf-imaging-select",
                                           fallback_request(fhir.base("/stalled")))));
    fhir.wait_seen();  // the first call is waiting for the FHIR server
    for (int i = 0; i < 3; ++i) {
      // Everything prefetched: decided on the compute thread.
      auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                               hooks_fixture("order-select-pama.json"));
      REQUIRE(response);
      CHECK(response->result_int() == 200);
    }
    fhir.release_stalled();
    auto late = waiting.read();
    REQUIRE(late);
    CHECK(late->result_int() == 412);
    CHECK(expression_of(*late) == "prefetch.patient");
  }

  TEST_CASE("prefetch fallback: nothing listening, or TLS to a plain server -> 412") {
    FhirTestServer fhir;
    ServiceUnderTest service;
    std::string closed_port;
    {
      FhirTestServer gone;
      closed_port = gone.base();
    }
    for (const std::string& base :
         {closed_port, "https://" + fhir.base().substr(std::string("http://").size())}) {
      CAPTURE(base);
      auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                               fallback_request(base));
      REQUIRE(response);
      CHECK(response->result_int() == 412);
      CHECK(expression_of(*response) == "prefetch.patient");
    }
  }
}

}  // namespace

// The prefetch fallback's bounds through the real server and FHIR client: an fhirServer that is
// not allowed gets 412 without a connection (and the same answer whatever is at the address),
// a next link to another origin gives a card that says it was decided on part of the record,
// and the call's byte budget stops a fetch.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "fakes/fhir_server.hpp"
#include "integration/fallback_request.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;
using fakes::FhirTestServer;

// The Sandbox PAMA order for `patient`, nothing prefetched, data on `fhir_server`, with a token.
std::string fallback_body(const std::string& fhir_server, const char* patient = "p1") {
  return fallback_request(fhir_server, "secret-token", patient);
}

rapidjson::Document parsed(const HttpResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body().c_str());
  return doc;
}

// A loopback port that is listening but never accepts: a connection attempt would still
// complete in the kernel and wait in the backlog, where accept() finds it.
struct CountingListener {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  CountingListener() { acceptor.non_blocking(true); }
  unsigned short port() const { return acceptor.local_endpoint().port(); }
  int connections() {
    int count = 0;
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = acceptor.accept(ec);
      if (ec) return count;
      ++count;
    }
  }
};

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("fhirServer not on the allow-list -> 412 before any connection, one answer") {
    ServiceExtras extras;
    extras.fhir_server_allow = {"https://fhir.example.org"};
    ServiceUnderTest service(test_server_options(), std::chrono::milliseconds(300), extras);
    CountingListener listening;
    // A port nothing listens on (bound, then closed).
    unsigned short closed_port = 0;
    {
      CountingListener closed;
      closed_port = closed.port();
    }
    std::vector<std::string> bodies;
    for (const unsigned short port : {listening.port(), closed_port}) {
      const std::string server = "http://127.0.0.1:" + std::to_string(port) + "/fhir";
      auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                               fallback_body(server));
      REQUIRE(response);
      INFO(response->body());
      CHECK(response->result_int() == 412);
      const auto doc = parsed(*response);
      REQUIRE(doc.IsObject());
      CHECK(std::string(doc["issue"][0]["expression"][0].GetString()) == "fhirServer");
      bodies.push_back(response->body());
    }
    CHECK(listening.connections() == 0);  // the token never left
    CHECK(bodies[0] == bodies[1]);        // listening or not: the same answer
  }

  TEST_CASE("fhirServer on the allow-list -> fetched as before") {
    FhirTestServer fhir;
    ServiceUnderTest service;  // allows http://127.0.0.1:*
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_body(fhir.base()));
    REQUIRE(response);
    CHECK(response->result_int() == 200);
    CHECK(fhir.seen().size() == 5);
  }

  TEST_CASE("next link to another origin -> card and audit say the record was read in part") {
    FhirTestServer fhir;
    ServiceUnderTest service;
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_body(fhir.base(), "p-cross"));
    REQUIRE(response);
    INFO(response->body());
    REQUIRE(response->result_int() == 200);
    for (const auto& seen : fhir.seen()) CHECK(seen.target.find("page=2") == std::string::npos);
    const auto doc = parsed(*response);
    REQUIRE(doc["cards"].Size() == 1);
    const std::string detail = doc["cards"][0]["detail"].GetString();
    CHECK(detail.find("Decided on part of the record:** the patient's conditions were read only "
                      "in part") != std::string::npos);
    CHECK(detail.find("on another server") != std::string::npos);

    const auto consults = service.consults();
    REQUIRE(consults.size() == 1);
    rapidjson::Document facts;
    facts.Parse(consults[0].facts.c_str());
    REQUIRE(facts.IsObject());
    REQUIRE(facts.HasMember("readInPart"));
    CHECK(facts["readInPart"].GetBool());
    CHECK(std::string(facts["partialReads"][0]["key"].GetString()) == "conditions");
    CHECK(std::string(facts["partialReads"][0]["reason"].GetString()) ==
          "next-link-to-other-origin");
  }

  TEST_CASE("every page read -> no read-in-part line, no flag in the audit") {
    FhirTestServer fhir;
    ServiceUnderTest service;
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_body(fhir.base()));
    REQUIRE(response);
    REQUIRE(response->result_int() == 200);
    CHECK(response->body().find("Decided on part of the record") == std::string::npos);
    const auto consults = service.consults();
    REQUIRE(consults.size() == 1);
    CHECK(consults[0].facts.find("readInPart") == std::string::npos);
  }

  TEST_CASE("call's time budget shorter than the FHIR timeout -> the GET ends with it, 412") {
    FhirTestServer fhir;
    ServiceExtras extras;
    extras.fhir_budget_time = std::chrono::milliseconds(200);
    // The per-GET timeout alone would wait 10 s and say nothing of the budget.
    ServiceUnderTest service(test_server_options(), std::chrono::milliseconds(10'000), extras);
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_body(fhir.base("/stalled")));
    REQUIRE(response);
    INFO(response->body());
    CHECK(response->result_int() == 412);
    const auto doc = parsed(*response);
    REQUIRE(doc.IsObject());
    CHECK(std::string(doc["issue"][0]["expression"][0].GetString()) == "prefetch.patient");
    CHECK(response->body().find("budget: time (200 ms)") != std::string::npos);
  }

  TEST_CASE("call's byte budget smaller than the FHIR answers -> 412 naming bytes") {
    FhirTestServer fhir;
    ServiceExtras extras;
    extras.fhir_budget_bytes = 40;  // the Patient alone is ~60 bytes
    ServiceUnderTest service(test_server_options(), std::chrono::milliseconds(300), extras);
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             fallback_body(fhir.base()));
    REQUIRE(response);
    INFO(response->body());
    CHECK(response->result_int() == 412);
    const auto doc = parsed(*response);
    REQUIRE(doc.IsObject());
    CHECK(std::string(doc["issue"][0]["expression"][0].GetString()) == "prefetch.patient");
    CHECK(response->body().find("budget: bytes (40)") != std::string::npos);
  }
}

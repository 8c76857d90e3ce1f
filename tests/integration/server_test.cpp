// The real server over real sockets: endpoints, CORS, every error status, keep-alive,
// Expect: 100-continue, body limit, slow clients and graceful shutdown.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <thread>

#include "fakes/fhir_server.hpp"
#include "integration/fallback_request.hpp"
#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;
using fakes::FhirTestServer;
namespace bhttp = boost::beast::http;

rapidjson::Document json_of(const HttpResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body().c_str());
  return doc;
}

// The OperationOutcome's first issue expression, or "" when there is none.
std::string expression_of(const HttpResponse& response) {
  const auto doc = json_of(response);
  if (!doc.IsObject() || std::string_view(doc["resourceType"].GetString()) != "OperationOutcome") {
    return "<not an OperationOutcome>";
  }
  const auto& issue = doc["issue"][0];
  return issue.HasMember("expression") ? issue["expression"][0].GetString() : "";
}

void check_cors(const HttpResponse& response) {
  CHECK(response[bhttp::field::access_control_allow_origin] == "*");
  CHECK(response[bhttp::field::access_control_allow_headers] ==
        "Authorization, Content-Type, Accept");
  CHECK(response[bhttp::field::access_control_allow_methods] == "GET, POST, OPTIONS");
}

// The PAMA fixture with everything prefetched except what the test removes.
std::string sign_body_with_prefetch() {
  return edit_json(hooks_fixture("order-select-pama.json"), [](rapidjson::Document& doc) {
    doc["hook"] = "order-sign";
    doc["context"].RemoveMember("selections");
  });
}

TEST_SUITE("integration") {
  TEST_CASE("server: GET /cds-services -> 200 discovery with both hooks and CORS") {
    ServiceUnderTest service;
    auto response = exchange(service.port(), "GET", "/cds-services");
    REQUIRE(response);
    CHECK(response->result_int() == 200);
    CHECK(response->at(bhttp::field::content_type) == "application/json");
    check_cors(*response);
    const auto doc = json_of(*response);
    REQUIRE(doc.IsObject());
    REQUIRE(doc["services"].Size() == 2);
    CHECK(std::string_view(doc["services"][0]["hook"].GetString()) == "order-select");
    CHECK(std::string_view(doc["services"][1]["hook"].GetString()) == "order-sign");

    auto health = exchange(service.port(), "GET", "/healthz");
    REQUIRE(health);
    CHECK(health->result_int() == 200);
    CHECK(health->body() == "ok");
  }

  TEST_CASE("server: order-select from the Sandbox PAMA screen -> 200 with cards") {
    ServiceUnderTest service;
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                             hooks_fixture("order-select-pama.json"));
    REQUIRE(response);
    INFO(response->body());
    CHECK(response->result_int() == 200);
    check_cors(*response);
    const auto doc = json_of(*response);
    REQUIRE(doc.IsObject());
    REQUIRE(doc["cards"].IsArray());
    CHECK(doc["cards"].Size() == 1);
  }

  TEST_CASE("server: Sandbox's first call with an empty coding -> 200 no cards, no FHIR fetch") {
    // The fixture has no prefetch: its fhirServer, made a reachable one here, would be asked for
    // every key if the service did not first see that nothing can rate the order.
    FhirTestServer fhir;
    ServiceUnderTest service;
    const std::string body =
        edit_json(hooks_fixture("order-select-empty-coding.json"), [&](auto& doc) {
          doc.RemoveMember("prefetch");
          doc["fhirServer"].SetString(fhir.base().c_str(), doc.GetAllocator());
        });
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select", body);
    REQUIRE(response);
    CHECK(response->result_int() == 200);
    CHECK(response->body() == R"({"cards":[]})");
    CHECK(fhir.seen().empty());
  }

  TEST_CASE("server: order-sign with prefetch -> 200 with cards") {
    ServiceUnderTest service;
    auto response =
        exchange(service.port(), "POST", "/cds-services/vcf-order-sign", sign_body_with_prefetch());
    REQUIRE(response);
    INFO(response->body());
    CHECK(response->result_int() == 200);
    const auto doc = json_of(*response);
    REQUIRE(doc.IsObject());
    CHECK(doc["cards"].IsArray());
  }

  TEST_CASE("server: feedback -> 200 empty body and handed to the sink; invalid -> 400") {
    ServiceUnderTest service;
    auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select/feedback",
                             hooks_fixture("feedback-accepted.json"));
    REQUIRE(response);
    CHECK(response->result_int() == 200);
    CHECK(response->body().empty());
    check_cors(*response);
    const auto stored = service.feedback();
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].service_id == "vcf-imaging-select");
    CHECK(stored[0].card_uuid == "4e0a3a1e-3283-4575-ab82-028d55fe2719");
    CHECK_FALSE(stored[0].known_card);  // no consult sent that card: kept and flagged

    auto bad = exchange(
        service.port(), "POST", "/cds-services/vcf-imaging-select/feedback",
        R"({"feedback":[{"card":"x","outcome":"accepted","outcomeTimestamp":"2021-12-11T10:05:31Z"}]})");
    REQUIRE(bad);
    CHECK(bad->result_int() == 400);
    CHECK(expression_of(*bad) == "feedback[0].acceptedSuggestions");
    CHECK(service.feedback().size() == 1);
  }

  TEST_CASE("server: OPTIONS preflight on every endpoint -> 204 with CORS headers") {
    ServiceUnderTest service;
    for (const char* target : {"/cds-services", "/cds-services/vcf-order-sign",
                               "/cds-services/vcf-order-sign/feedback"}) {
      CAPTURE(target);
      auto response = exchange(service.port(), "OPTIONS", target, {},
                               "Origin: https://sandbox.cds-hooks.org\r\n"
                               "Access-Control-Request-Method: POST\r\n"
                               "Access-Control-Request-Headers: authorization, content-type\r\n");
      REQUIRE(response);
      CHECK(response->result_int() == 204);
      check_cors(*response);
      CHECK(response->body().empty());
    }
  }

  TEST_CASE("server: configured CORS origin -> echoed with Vary: Origin") {
    auto options = test_server_options();
    options.cors_origin = "https://sandbox.cds-hooks.org";
    ServiceUnderTest service(options);
    auto response = exchange(service.port(), "GET", "/cds-services");
    REQUIRE(response);
    CHECK(response->at(bhttp::field::access_control_allow_origin) ==
          "https://sandbox.cds-hooks.org");
    CHECK(response->at(bhttp::field::vary) == "Origin");
  }

  TEST_CASE("server: each error status -> OperationOutcome naming the problem, with CORS") {
    ServiceUnderTest service;
    SUBCASE("400 missing context.patientId") {
      auto response =
          exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                   without(hooks_fixture("order-select-pama.json"), "context.patientId"));
      REQUIRE(response);
      CHECK(response->result_int() == 400);
      CHECK(expression_of(*response) == "context.patientId");
      check_cors(*response);
    }
    SUBCASE("400 wrong hook for the service") {
      auto response = exchange(service.port(), "POST", "/cds-services/vcf-order-sign",
                               hooks_fixture("order-select-pama.json"));
      REQUIRE(response);
      CHECK(response->result_int() == 400);
      CHECK(expression_of(*response) == "hook");
    }
    SUBCASE("400 malformed JSON") {
      auto response =
          exchange(service.port(), "POST", "/cds-services/vcf-order-sign", "{\"hook\":");
      REQUIRE(response);
      CHECK(response->result_int() == 400);
      CHECK(expression_of(*response).empty());
    }
    SUBCASE("404 unknown service and unknown path") {
      auto response = exchange(service.port(), "POST", "/cds-services/nope", "{}");
      REQUIRE(response);
      CHECK(response->result_int() == 404);
      CHECK(std::string_view(json_of(*response)["issue"][0]["code"].GetString()) == "not-found");
      check_cors(*response);
      auto path = exchange(service.port(), "GET", "/metadata");
      REQUIRE(path);
      CHECK(path->result_int() == 404);
    }
    SUBCASE("405 GET on a service") {
      auto response = exchange(service.port(), "GET", "/cds-services/vcf-order-sign");
      REQUIRE(response);
      CHECK(response->result_int() == 405);
      CHECK(response->at(bhttp::field::allow) == "POST, OPTIONS");
      check_cors(*response);
    }
    SUBCASE("412 required data neither prefetched nor fetchable") {
      const std::string body = edit_json(hooks_fixture("order-select-pama.json"), [](auto& doc) {
        doc.RemoveMember("fhirServer");
        doc["prefetch"].RemoveMember("conditions");
      });
      auto response = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select", body);
      REQUIRE(response);
      CHECK(response->result_int() == 412);
      CHECK(expression_of(*response) == "prefetch.conditions");
      check_cors(*response);
    }
    SUBCASE("413 body over the limit") {
      TestClient client(service.port());
      const std::string body(100 * 1024, ' ');
      CHECK_FALSE(client.send(raw_request("POST", "/cds-services/vcf-order-sign", body)));
      auto response = client.read();
      REQUIRE(response);
      CHECK(response->result_int() == 413);
      CHECK(std::string_view(json_of(*response)["issue"][0]["code"].GetString()) == "too-long");
      CHECK_FALSE(response->keep_alive());
      CHECK(client.closed_within(std::chrono::milliseconds(2000)));
    }
    SUBCASE("400 malformed HTTP") {
      TestClient client(service.port());
      CHECK_FALSE(client.send("GARBAGE\r\n\r\n"));
      auto response = client.read();
      REQUIRE(response);
      CHECK(response->result_int() == 400);
    }
  }

  TEST_CASE("server: keep-alive -> two requests answered on one connection") {
    ServiceUnderTest service;
    TestClient client(service.port());
    CHECK_FALSE(client.send(raw_request("GET", "/cds-services")));
    auto first = client.read();
    REQUIRE(first);
    CHECK(first->result_int() == 200);
    CHECK(first->keep_alive());
    CHECK_FALSE(client.send(raw_request("POST", "/cds-services/vcf-imaging-select",
                                        hooks_fixture("order-select-empty-coding.json"))));
    auto second = client.read();
    REQUIRE(second);
    CHECK(second->result_int() == 200);
    CHECK(second->body() == R"({"cards":[]})");
    // Idle keep-alive connections are closed after the idle timeout (600 ms here).
    CHECK(client.closed_within(std::chrono::milliseconds(2000)));
  }

  TEST_CASE("server: large bodies in pieces on one connection -> each read whole, in order") {
    // The read buffer makes room for a body up to 64 KB and keeps it for the next request: bodies
    // below and above that room, each sent in pieces with pauses (so reads happen mid-body), then
    // two pipelined requests in one write, must all be read byte for byte.
    auto options = test_server_options();
    options.body_limit = 1024 * 1024;
    ServiceUnderTest service(options);
    const auto padded = [](std::size_t padding) {
      return edit_json(hooks_fixture("order-select-pama.json"), [&](rapidjson::Document& doc) {
        doc.AddMember("padding",
                      rapidjson::Value(std::string(padding, 'x').c_str(), doc.GetAllocator()),
                      doc.GetAllocator());
      });
    };
    const auto one_card = [](const std::optional<HttpResponse>& response) {
      REQUIRE(response);
      CHECK(response->result_int() == 200);
      const auto doc = json_of(*response);
      REQUIRE(doc.IsObject());
      CHECK(doc["cards"].Size() == 1);
    };
    TestClient client(service.port());
    for (const std::size_t padding : {25'000u, 300'000u, 2'000u}) {
      const std::string request =
          raw_request("POST", "/cds-services/vcf-imaging-select", padded(padding));
      const std::size_t third = request.size() / 3;
      for (std::size_t at = 0; at < request.size(); at += third) {
        CHECK_FALSE(client.send(request.substr(at, third)));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      one_card(client.read());
    }
    const std::string empty = hooks_fixture("order-select-empty-coding.json");
    CHECK_FALSE(
        client.send(raw_request("POST", "/cds-services/vcf-imaging-select", padded(40'000)) +
                    raw_request("POST", "/cds-services/vcf-imaging-select", empty)));
    one_card(client.read());
    const auto second = client.read();
    REQUIRE(second);
    CHECK(second->body() == R"({"cards":[]})");
  }

  TEST_CASE("server: Expect: 100-continue -> 100 Continue, then the body, then 200") {
    ServiceUnderTest service;
    const std::string body = hooks_fixture("order-select-empty-coding.json");
    const std::string request =
        raw_request("POST", "/cds-services/vcf-imaging-select", body, "Expect: 100-continue\r\n");
    TestClient client(service.port());
    CHECK_FALSE(client.send(request.substr(0, request.size() - body.size())));
    auto interim = client.read();
    REQUIRE(interim);
    CHECK(interim->result_int() == 100);
    CHECK_FALSE(client.send(body));
    auto response = client.read();
    REQUIRE(response);
    CHECK(response->result_int() == 200);
    CHECK(response->body() == R"({"cards":[]})");
  }

  TEST_CASE("server: Expect: 100-continue with an oversize Content-Length -> 413, no 100") {
    ServiceUnderTest service;
    TestClient client(service.port());
    CHECK_FALSE(
        client.send("POST /cds-services/vcf-order-sign HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\nContent-Length: 10000000\r\n"
                    "Expect: 100-continue\r\n\r\n"));
    auto response = client.read();
    REQUIRE(response);
    CHECK(response->result_int() == 413);
  }

  TEST_CASE("server: slow client stops mid-header -> closed after the header timeout") {
    // The header timeout is the only one short enough to close the connection before the
    // client's deadline: read and idle timeouts are far beyond it.
    auto options = test_server_options();  // header timeout 300 ms
    options.read_timeout = std::chrono::minutes(5);
    options.idle_timeout = std::chrono::minutes(5);
    ServiceUnderTest service(options);
    TestClient client(service.port());
    CHECK_FALSE(client.send("POST /cds-services/vcf-order-sign HTTP/1.1\r\nHost: x\r\n"));
    CHECK(client.closed_within(std::chrono::seconds(30)));
  }

  TEST_CASE("server: shutdown -> in-flight request answered, new connections refused, drained") {
    FhirTestServer fhir;
    // Idle and read timeouts far away, and a FHIR timeout past the client's deadline: only the
    // shutdown closes the idle connection, and only release_stalled() ends the consult.
    auto options = test_server_options();
    options.read_timeout = std::chrono::minutes(5);
    options.idle_timeout = std::chrono::minutes(5);
    auto service = std::make_unique<ServiceUnderTest>(options, std::chrono::seconds(60));
    const unsigned short port = service->port();
    // A consult that waits on a FHIR server that does not answer until the test says so.
    const std::string body = fallback_request(fhir.base("/stalled"));
    TestClient client(port);
    CHECK_FALSE(client.send(raw_request("POST", "/cds-services/vcf-imaging-select", body)));
    fhir.wait_seen();       // the consult is in flight on a worker
    TestClient idle(port);  // an idle keep-alive connection is closed at once
    std::thread stopper([&] { service->stop(); });
    CHECK(idle.closed_within(std::chrono::seconds(30)));  // while the consult is still waiting
    fhir.release_stalled();
    auto response = client.read();
    REQUIRE(response);
    CHECK(response->result_int() == 412);
    CHECK_FALSE(response->keep_alive());
    stopper.join();
    CHECK(service->drained() == 1);
    CHECK_THROWS(TestClient(port));
  }
}

}  // namespace

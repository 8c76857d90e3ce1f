// The service wired as `vcf-cds serve` wires it, with JWT checks on and the embedded audit
// store: who may call, and what the audit trail holds once the response arrives.
#include <doctest/doctest.h>

#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "unit/auth/token_factory.hpp"
#include "unit/hooks/hooks_support.hpp"

namespace {

using namespace vcf_cds::testing;
namespace tok = vcf_cds::testing::auth;
namespace bhttp = boost::beast::http;

constexpr const char* kBase = "https://cds.example.org";

std::shared_ptr<vcf_cds::auth::Verifier> verifier() {
  return std::make_shared<vcf_cds::auth::Verifier>(tok::trusted_config(), tok::FakeClock().fn());
}

std::string token_for(const std::string& path) {
  return tok::mint(tok::header("ES384", "ec384"), tok::claims().str("aud", std::string(kBase) + path));
}

std::string auth_header(const std::string& token) {
  return "Authorization: Bearer " + token + "\r\n";
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("trust: JWT on -> valid tokens answered, missing/wrong-aud/replayed get 401 empty") {
    ServiceUnderTest service(test_server_options(), std::chrono::milliseconds(300),
                             ServiceExtras{verifier(), kBase});
    auto anonymous = exchange(service.port(), "GET", "/cds-services");
    REQUIRE(anonymous);
    CHECK(anonymous->result_int() == 401);
    CHECK(anonymous->body().empty());
    CHECK((*anonymous)[bhttp::field::access_control_allow_origin] == "*");

    auto discovery = exchange(service.port(), "GET", "/cds-services", {},
                              auth_header(token_for("/cds-services")));
    REQUIRE(discovery);
    CHECK(discovery->result_int() == 200);

    const std::string path = "/cds-services/vcf-imaging-select";
    const std::string token = token_for(path);
    auto call = exchange(service.port(), "POST", path, hooks_fixture("order-select-pama.json"),
                         auth_header(token));
    REQUIRE(call);
    CHECK(call->result_int() == 200);

    auto replay = exchange(service.port(), "POST", path, hooks_fixture("order-select-pama.json"),
                           auth_header(token));
    REQUIRE(replay);
    CHECK(replay->result_int() == 401);
    CHECK(replay->body().empty());

    // A token for discovery is not good for the service endpoint (aud is the endpoint URL).
    auto wrong_aud = exchange(service.port(), "POST", path, hooks_fixture("order-select-pama.json"),
                              auth_header(token_for("/cds-services")));
    REQUIRE(wrong_aud);
    CHECK(wrong_aud->result_int() == 401);

    auto feedback = exchange(service.port(), "POST", path + "/feedback",
                             hooks_fixture("feedback-accepted.json"),
                             auth_header(token_for(path + "/feedback")));
    REQUIRE(feedback);
    CHECK(feedback->result_int() == 200);

    // Only the accepted call was audited, with the caller's identity.
    const auto consults = service.consults();
    REQUIRE(consults.size() == 1);
    CHECK(consults[0].client.iss == tok::issuer);
    REQUIRE(service.feedback().size() == 1);
    CHECK(service.feedback()[0].client.iss == tok::issuer);
  }

  TEST_CASE("audit: a rated order -> its consult is in the store when the response arrives") {
    ServiceUnderTest service;
    auto call = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                         hooks_fixture("order-select-pama.json"));
    REQUIRE(call);
    REQUIRE(call->result_int() == 200);
    const auto response = parse(call->body());
    REQUIRE(response["cards"].Size() == 1);
    const auto& card = response["cards"][0];
    const std::string consult_id = card["extension"]["vcf-cds"]["consultId"].GetString();
    const std::string card_uuid = card["uuid"].GetString();

    // No flush: the record must already be durable (committed before the response was sent).
    const auto consults = service.consults();
    REQUIRE(consults.size() == 1);
    const auto& record = consults[0];
    CHECK(record.consult_id == consult_id);
    CHECK(record.card_uuid == card_uuid);
    CHECK(record.hook == "order-select");
    CHECK(record.variant == card["extension"]["vcf-cds"]["variant"].GetInt());
    CHECK(record.rating == card["extension"]["vcf-cds"]["rating"].GetInt());
    CHECK(record.pama_rating == "not-appropriate");
    CHECK(record.suggestion_uuids.size() == card["suggestions"].Size());
    CHECK(record.facts.find("\"evidence\"") != std::string::npos);
    CHECK(record.knowledge_version.rfind("sha256:", 0) == 0);
    CHECK(parse(record.card) == card);

    // Feedback on that card joins the consult.
    const std::string feedback =
        R"({"feedback":[{"card":")" + card_uuid + R"(","outcome":"overridden",)" +
        R"("overrideReason":{"reason":{"code":"clinical-judgement","system":"https://vcf-cds.example.org/fhir/CodeSystem/vcf-cds"},"userComment":"seen by spine surgeon"},)" +
        R"("outcomeTimestamp":"2026-11-25T10:00:00Z"}]})";
    auto answered = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select/feedback",
                             feedback);
    REQUIRE(answered);
    CHECK(answered->result_int() == 200);
    const auto stored = service.feedback();
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].known_card);
    CHECK(stored[0].override_reason_code == "clinical-judgement");
    CHECK(stored[0].user_comment == "seen by spine surgeon");
    const auto chain = service.store().verify_chain();
    REQUIRE(chain.has_value());
    CHECK(chain->ok);
    CHECK(chain->records == 2);
  }

  TEST_CASE("audit: store unavailable -> 503 OperationOutcome, no card; readyz 503") {
    ServiceUnderTest service;
    // Replace the database file under the running store, as a failed disk or operator would.
    std::filesystem::remove(service.data_dir() / "audit.sqlite3");
    std::filesystem::create_directory(service.data_dir() / "audit.sqlite3");
    auto call = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                         hooks_fixture("order-select-pama.json"));
    REQUIRE(call);
    CHECK(call->result_int() == 503);
    const auto outcome = parse(call->body());
    REQUIRE(outcome.IsObject());
    CHECK(std::string_view(outcome["resourceType"].GetString()) == "OperationOutcome");
    CHECK(call->body().find("\"cards\"") == std::string::npos);
    auto ready = exchange(service.port(), "GET", "/readyz");
    REQUIRE(ready);
    CHECK(ready->result_int() == 503);
  }

  TEST_CASE("readyz: knowledge loaded and store writable -> 200 ready") {
    ServiceUnderTest service;
    auto ready = exchange(service.port(), "GET", "/readyz");
    REQUIRE(ready);
    CHECK(ready->result_int() == 200);
    CHECK(ready->body() == "ready");
  }
}

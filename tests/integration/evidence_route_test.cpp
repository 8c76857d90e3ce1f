// The evidence pages over HTTP: no token needed even when the CDS Hooks endpoints require one,
// content negotiation on Accept, and every card's link resolves to the page for its row.
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

}  // namespace

TEST_SUITE("integration") {
  TEST_CASE("evidence: served without a token while calls need one; Accept picks HTML or JSON") {
    ServiceUnderTest service(test_server_options(), std::chrono::milliseconds(300),
                             ServiceExtras{std::make_shared<vcf_cds::auth::Verifier>(
                                               tok::trusted_config(), tok::FakeClock().fn()),
                                           kBase});
    const std::string path =
        "/criteria/acr-vcf/variant/1/row/mri-spine-area-of-interest-without-iv-contrast";
    auto browser = exchange(service.port(), "GET", path, {}, "Accept: text/html\r\n");
    REQUIRE(browser);
    CHECK(browser->result_int() == 200);
    CHECK((*browser)[bhttp::field::content_type] == "text/html; charset=utf-8");
    CHECK((*browser)[bhttp::field::vary] == "Accept");
    CHECK(browser->body().find("MRI spine area of interest without IV contrast") !=
          std::string::npos);

    auto client = exchange(service.port(), "GET", path, {}, "Accept: application/json\r\n");
    REQUIRE(client);
    CHECK(client->result_int() == 200);
    CHECK((*client)[bhttp::field::content_type] == "application/json");

    auto missing = exchange(service.port(), "GET", "/criteria/acr-vcf/variant/1/row/nope");
    REQUIRE(missing);
    CHECK(missing->result_int() == 404);

    auto post = exchange(service.port(), "POST", path, "{}");
    REQUIRE(post);
    CHECK(post->result_int() == 405);

    // The CDS Hooks endpoints still refuse an anonymous caller.
    auto discovery = exchange(service.port(), "GET", "/cds-services");
    REQUIRE(discovery);
    CHECK(discovery->result_int() == 401);
  }

  TEST_CASE("evidence: a card's link and its PAMA auc-applied name the same page, which resolves") {
    ServiceUnderTest service;
    auto call = exchange(service.port(), "POST", "/cds-services/vcf-imaging-select",
                         hooks_fixture("order-select-pama.json"));
    REQUIRE(call);
    REQUIRE(call->result_int() == 200);
    rapidjson::Document response;
    response.Parse(call->body().c_str());
    REQUIRE(response["cards"].Size() >= 1);
    const auto& link = response["cards"][0]["links"][0];
    CHECK(std::string(link["type"].GetString()) == "absolute");
    const std::string url = link["url"].GetString();
    const std::string base = vcf_cds::cards::Settings{}.evidence_base;
    REQUIRE(url.starts_with(base + "/criteria/acr-vcf/variant/"));

    std::string auc_applied;
    for (const auto& action : response["systemActions"].GetArray()) {
      for (const auto& extension : action["resource"]["extension"].GetArray()) {
        if (std::string(extension["url"].GetString()).ends_with("pama-rating-auc-applied")) {
          auc_applied = extension["valueUri"].GetString();
        }
      }
    }
    CHECK(auc_applied == url);

    auto page = exchange(service.port(), "GET", url.substr(base.size()), {},
                         "Accept: application/json\r\n");
    REQUIRE(page);
    CHECK(page->result_int() == 200);
    rapidjson::Document evidence;
    evidence.Parse(page->body().c_str());
    const auto& ext = response["cards"][0]["extension"]["vcf-cds"];
    CHECK(evidence["variant"].GetInt() == ext["variant"].GetInt());
    CHECK(std::string(evidence["procedure"].GetString()) == ext["procedure"].GetString());
    CHECK(evidence["rating"].GetInt() == ext["rating"].GetInt());
  }
}

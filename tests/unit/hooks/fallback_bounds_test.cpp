// The bounds around the prefetch fallback: which FHIR servers it may reach (allow-list), how
// much one call may spend on it (time and bytes, over all pages and keys), and data read in part
// being reported rather than silently decided on.
#include <doctest/doctest.h>

#include <chrono>
#include <map>

#include "fakes/fhir_fetcher.hpp"
#include "hooks_support.hpp"
#include "vcf_cds/hooks.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::hooks;
using namespace std::chrono_literals;
using vcf_cds::testing::edit_json;
using vcf_cds::testing::hooks_fixture;

constexpr const char* kBase = "https://ehr.example.org/fhir/r4";  // order-sign.json's fhirServer

struct Fixture {
  std::chrono::steady_clock::time_point clock{};  // the injected "now"
  // Every GET takes `fetcher.latency` on that clock; unknown URLs are empty search Bundles.
  vcf_cds::testing::fakes::TableFetcher fetcher{clock};
  PrefetchOptions options;
  ParsedCall consult;

  Fixture() {
    fetcher.otherwise = FhirResponse{200, R"({"resourceType":"Bundle","total":0})"};
    options.fhir_servers = *FhirServerAllowList::parse({"https://ehr.example.org"});
    options.now = [this] { return clock; };
  }
  Status run(std::string body = hooks_fixture("order-sign.json")) {
    consult.body.text = std::move(body);
    REQUIRE(parse_request(consult, *find_service("vcf-order-sign"), JsonLimits{}).has_value());
    return complete_prefetch(consult, fetcher, options);
  }
};

std::string conditions_page(std::string_view next) {
  std::string json = R"({"resourceType":"Bundle","type":"searchset")";
  if (!next.empty()) json += R"(,"link":[{"relation":"next","url":")" + std::string(next) + "\"}]";
  return json + R"(,"entry":[{"resource":{"resourceType":"Condition","id":"c"}}]})";
}

}  // namespace

TEST_SUITE("hooks") {
  TEST_CASE("FhirServerAllowList: origins, default ports, any port, case -> allowed exactly") {
    const auto list = FhirServerAllowList::parse({"https://EHR.example.org", "http://127.0.0.1:*",
                                                  "http://[::1]:8080/", "https://a.b:8443"});
    REQUIRE(list.has_value());
    const std::vector<std::pair<std::string, bool>> cases{
        {"https://ehr.example.org/fhir/r4", true},
        {"https://ehr.example.org:443/fhir", true},
        {"https://EHR.EXAMPLE.ORG", true},
        {"HTTPS://ehr.example.org/x", true},
        {"http://ehr.example.org/fhir", false},        // other scheme
        {"https://ehr.example.org:8443/fhir", false},  // other port
        {"https://ehr.example.org.evil.com/fhir", false},
        {"https://evil.com/ehr.example.org", false},
        {"https://ehr.example.org@evil.com/", false},  // user info: never allowed
        {"https://evil.com#@ehr.example.org", false},
        {"https://ehr.example.org%2eevil.com/", false},
        {"https://ehr.example.org\\@evil.com/", false},
        {"http://127.0.0.1:9/fhir", true},
        {"http://127.0.0.1/fhir", true},
        {"http://127.0.0.2:9/fhir", false},
        {"http://localhost:9/fhir", false},  // a name is not its address
        {"http://[::1]:8080/fhir", true},
        {"http://[::1]:08080/fhir", true},
        {"http://[::1]:8081/fhir", false},
        {"https://a.b:8443", true},
        {"https://a.b", false},
        {"http://127.0.0.1:99999/", false},
        {"http://127.0.0.1:/", false},
        {"ftp://127.0.0.1/", false},
        {"", false},
    };
    for (const auto& [url, allowed] : cases) {
      CAPTURE(url);
      CHECK(list->allows(url) == allowed);
    }
    CHECK_FALSE(FhirServerAllowList{}.allows("https://ehr.example.org/fhir"));
  }

  TEST_CASE("FhirServerAllowList: an entry that is not an origin -> error naming it") {
    for (const std::string entry :
         {"ehr.example.org", "https://ehr.example.org/fhir", "https://u@ehr.example.org",
          "https://", "https://ehr.example.org:x", "https://*.example.org"}) {
      CAPTURE(entry);
      const auto list = FhirServerAllowList::parse({"https://ok.example", entry});
      REQUIRE_FALSE(list.has_value());
      CHECK(list.error().field == entry);
    }
  }

  TEST_CASE("complete_prefetch: fhirServer not allowed -> 412 on fhirServer, nothing fetched") {
    Fixture f;
    f.options.fhir_servers = *FhirServerAllowList::parse({"https://other.example.org"});
    const Status status = f.run();
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code == ErrorCode::precondition_failed);
    CHECK(status.error().field == "fhirServer");
    CHECK(f.fetcher.calls.empty());
    CHECK_FALSE(prefetch_may_fetch(f.consult, f.options));  // refused at once: no need to wait
  }

  TEST_CASE("complete_prefetch: a transport failure -> one message, whatever the cause") {
    std::string first_message;
    for (const std::string cause : {"connecting failed: Connection refused",
                                    "TLS handshake failed: certificate verify failed",
                                    "reading the response timed out (limit 3000 ms)"}) {
      Fixture f;
      f.fetcher.answers.emplace(std::string(kBase) + "/Patient/p-4711",
                                make_error(ErrorCode::unavailable, "fhirServer", cause));
      const Status status = f.run();
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().field == "prefetch.patient");
      CHECK(status.error().message.find(cause) == std::string::npos);
      if (first_message.empty()) first_message = status.error().message;
      CHECK(status.error().message == first_message);
    }
  }

  TEST_CASE("complete_prefetch: budget time -> GETs held to what is left; 412 when it runs out") {
    Fixture f;
    f.options.budget_time = 5000ms;
    f.fetcher.latency = 3000ms;  // patient 0-3 s, conditions 3-6 s, procedures: none left
    const Status status = f.run();
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code == ErrorCode::precondition_failed);
    CHECK(status.error().field == "prefetch.procedures");
    CHECK(status.error().message.find("time (5000 ms)") != std::string::npos);
    REQUIRE(f.fetcher.limits.size() == 2);
    CHECK(f.fetcher.limits[0].time == 5000ms);
    CHECK(f.fetcher.limits[1].time == 2000ms);  // the second GET may use only what is left
  }

  TEST_CASE("complete_prefetch: budget time runs out on optional observations -> read in part") {
    Fixture f;
    f.options.budget_time = 5000ms;
    f.fetcher.latency = 1700ms;  // patient, conditions, procedures: 5.1 s; observations: none left
    REQUIRE(f.run().has_value());
    CHECK(f.fetcher.calls.size() == 3);
    REQUIRE(f.consult.request.data.partial.size() == 1);
    CHECK(f.consult.request.data.partial[0].key == "observations");
    CHECK(f.consult.request.data.partial[0].reason == PartialReason::budget);
  }

  TEST_CASE("complete_prefetch: budget bytes, counted over pages and keys -> 412 naming bytes") {
    Fixture f;
    const std::string page2 = std::string(kBase) + "/Condition?patient=p-4711&page=2";
    f.fetcher.answers.emplace(std::string(kBase) + "/Condition?patient=p-4711",
                              FhirResponse{200, conditions_page(page2)});
    f.fetcher.answers.emplace(page2, FhirResponse{200, conditions_page("")});
    // Room for the patient's empty answer and the first page, not the second.
    const std::size_t empty = std::string(R"({"resourceType":"Bundle","total":0})").size();
    f.options.budget_bytes = empty + conditions_page(page2).size() + 10;
    const Status status = f.run();
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().field == "prefetch.conditions");
    CHECK(status.error().message.find("bytes (" + std::to_string(f.options.budget_bytes) + ")") !=
          std::string::npos);
    REQUIRE(f.fetcher.limits.size() == 3);
    CHECK(f.fetcher.limits[0].bytes == f.options.budget_bytes);
    CHECK(f.fetcher.limits[2].bytes == 10);  // page 2 may be only as large as what is left
  }

  TEST_CASE("complete_prefetch: fetcher refuses a body over the bytes left -> budget 412") {
    Fixture f;
    f.fetcher.answers.emplace(
        std::string(kBase) + "/Patient/p-4711",
        make_error(ErrorCode::payload_too_large, "fhirServer", "response larger than 100 bytes"));
    const Status status = f.run();
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().field == "prefetch.patient");
    CHECK(status.error().message.find("bytes (") != std::string::npos);
  }

  TEST_CASE("complete_prefetch: within budget -> no 412, nothing marked partial") {
    Fixture f;
    f.fetcher.latency = 1000ms;  // 4 GETs, 4 s of 5
    REQUIRE(f.run().has_value());
    CHECK(f.fetcher.calls.size() == 4);
    CHECK(f.consult.request.data.partial.empty());
  }

  TEST_CASE("complete_prefetch: paging stopped early -> the key is marked read in part") {
    SUBCASE("next link to another origin") {
      Fixture f;
      f.fetcher.answers.emplace(std::string(kBase) + "/Condition?patient=p-4711",
                                FhirResponse{200, conditions_page("https://elsewhere.example/p2")});
      REQUIRE(f.run().has_value());
      for (const auto& url : f.fetcher.urls()) CHECK(url.starts_with(kBase));
      REQUIRE(f.consult.request.data.partial.size() == 1);
      CHECK(f.consult.request.data.partial[0].key == "conditions");
      CHECK(f.consult.request.data.partial[0].reason == PartialReason::other_origin);
    }
    SUBCASE("page cap") {
      Fixture f;
      f.options.max_pages = 1;
      f.fetcher.answers.emplace(std::string(kBase) + "/Condition?patient=p-4711",
                                FhirResponse{200, conditions_page(std::string(kBase) + "/next")});
      REQUIRE(f.run().has_value());
      REQUIRE(f.consult.request.data.partial.size() == 1);
      CHECK(f.consult.request.data.partial[0].reason == PartialReason::page_limit);
    }
    SUBCASE("prefetched page whose next link is on another origin") {
      Fixture f;
      const std::string body =
          edit_json(hooks_fixture("order-sign.json"), [](rapidjson::Document& doc) {
            rapidjson::Document prefetch(&doc.GetAllocator());
            prefetch.Parse(
                (R"({"patient":null,"procedures":null,"observations":null,"conditions":)" +
                 conditions_page("https://elsewhere.example/p2") + "}")
                    .c_str());
            doc.AddMember("prefetch", rapidjson::Value(prefetch, doc.GetAllocator()),
                          doc.GetAllocator());
          });
      REQUIRE(f.run(body).has_value());
      CHECK(f.fetcher.calls.empty());
      REQUIRE(f.consult.request.data.partial.size() == 1);
      CHECK(f.consult.request.data.partial[0].reason == PartialReason::other_origin);
    }
  }
}

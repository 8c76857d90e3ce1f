#include "vcf_cds/hooks.hpp"

#include <doctest/doctest.h>

#include <map>

#include "fakes/fhir_fetcher.hpp"
#include "hooks_support.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::hooks;
using vcf_cds::testing::edit_json;
using vcf_cds::testing::hooks_fixture;
using vcf_cds::testing::without;

// Answers GETs from a table (404 otherwise); records every URL and token it saw.
using FakeFetcher = vcf_cds::testing::fakes::TableFetcher;

constexpr const char* kBase = "https://ehr.example.org/fhir/r4";

// The fixtures' FHIR server on the allow-list: fallback GETs go nowhere else.
PrefetchOptions ehr_options() {
  PrefetchOptions options;
  options.fhir_servers = *FhirServerAllowList::parse({"https://ehr.example.org"});
  return options;
}

CallOptions ehr_call_options() {
  CallOptions options;
  options.prefetch = ehr_options();
  return options;
}

std::string bundle(std::string_view resource_json, std::string_view next = {}) {
  std::string json = R"({"resourceType":"Bundle","type":"searchset")";
  if (!next.empty()) json += R"(,"link":[{"relation":"next","url":")" + std::string(next) + "\"}]";
  if (!resource_json.empty())
    json += R"(,"entry":[{"resource":)" + std::string(resource_json) + "}]";
  return json + "}";
}

Status complete(ParsedCall& consult, std::string body, FakeFetcher& fetcher,
                const PrefetchOptions& options = ehr_options()) {
  consult.body.text = std::move(body);
  const ServiceDescriptor& service = *find_service("vcf-order-sign");
  REQUIRE(parse_request(consult, service, JsonLimits{}).has_value());
  return complete_prefetch(consult, fetcher, options);
}

const rapidjson::Value* value_of(rapidjson::Document& doc, const char* json) {
  doc.Parse(json);
  return &doc;
}

TEST_SUITE("hooks") {
  TEST_CASE("classify_prefetch: absent, null, OperationOutcome, Bundles, resource -> state") {
    rapidjson::Document doc;
    CHECK(classify_prefetch(nullptr) == PrefetchState::missing);
    CHECK(classify_prefetch(value_of(doc, "null")) == PrefetchState::no_data);
    CHECK(classify_prefetch(value_of(doc, R"({"resourceType":"OperationOutcome"})")) ==
          PrefetchState::missing);
    CHECK(classify_prefetch(value_of(doc, R"({"resourceType":"Bundle","total":0})")) ==
          PrefetchState::no_data);
    CHECK(classify_prefetch(value_of(doc, R"({"resourceType":"Bundle","entry":[]})")) ==
          PrefetchState::no_data);
    CHECK(
        classify_prefetch(value_of(
            doc,
            R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition"}}]})")) ==
        PrefetchState::provided);
    CHECK(
        classify_prefetch(value_of(
            doc,
            R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"OperationOutcome"}}]})")) ==
        PrefetchState::missing);
    CHECK(classify_prefetch(value_of(doc, R"({"resourceType":"Patient","id":"p"})")) ==
          PrefetchState::provided);
  }

  TEST_CASE("expand_template: context and user tokens -> substituted and percent-encoded") {
    HookRequest request;
    request.patient_id = "p 1&x";
    request.user_id = "Practitioner/dr-7";
    request.encounter_id = "e1";
    CHECK(*expand_template("Condition?patient={{context.patientId}}", request) ==
          "Condition?patient=p%201%26x");
    CHECK(*expand_template("{{context.userId}}", request) == "Practitioner/dr-7");
    CHECK(*expand_template("Practitioner/{{userPractitionerId}}?e={{ context.encounterId }}",
                           request) == "Practitioner/dr-7?e=e1");
    CHECK(*expand_template("Patient?_count=1", request) == "Patient?_count=1");
    auto role = expand_template("PractitionerRole?_id={{userPractitionerRoleId}}", request);
    REQUIRE_FALSE(role.has_value());
    CHECK(role.error().field == "userPractitionerRoleId");
    CHECK_FALSE(expand_template("{{context.medication.id}}", request).has_value());
  }

  TEST_CASE("complete_prefetch: everything prefetched -> no fetch, data filed by type") {
    FakeFetcher fetcher;
    ParsedCall consult;
    const std::string body = edit_json(hooks_fixture("order-select-pama.json"),
                                       [](auto& doc) { doc["hook"] = "order-sign"; });
    REQUIRE(complete(consult, body, fetcher).has_value());
    CHECK(fetcher.calls.empty());
    REQUIRE(consult.request.data.patient != nullptr);
    CHECK(std::string_view((*consult.request.data.patient)["id"].GetString()) == "smart-1288992");
    CHECK(consult.request.data.conditions.size() == 1);
    CHECK(consult.request.data.procedures.empty());
    CHECK(consult.request.data.observations.empty());
  }

  TEST_CASE("complete_prefetch: missing keys -> fetched with the bearer token") {
    FakeFetcher fetcher;
    fetcher.answers.emplace(std::string(kBase) + "/Patient/p-4711",
                            FhirResponse{200, R"({"resourceType":"Patient","id":"p-4711"})"});
    fetcher.answers.emplace(std::string(kBase) + "/Condition?patient=p-4711",
                            FhirResponse{200, bundle(R"({"resourceType":"Condition","id":"c1"})")});
    fetcher.answers.emplace(std::string(kBase) + "/Procedure?patient=p-4711",
                            FhirResponse{200, bundle("")});
    fetcher.answers.emplace(
        std::string(kBase) + "/Observation?patient=p-4711",
        FhirResponse{200, bundle(R"({"resourceType":"Observation","id":"o1"})")});
    ParsedCall consult;
    REQUIRE(complete(consult, hooks_fixture("order-sign.json"), fetcher).has_value());
    REQUIRE(fetcher.calls.size() == 4);
    CHECK(fetcher.calls[0].url == std::string(kBase) + "/Patient/p-4711");
    for (const auto& call : fetcher.calls) CHECK(call.token == "opaque-access-token");
    CHECK(consult.request.data.patient != nullptr);
    CHECK(consult.request.data.conditions.size() == 1);
    CHECK(consult.request.data.observations.size() == 1);
    CHECK(consult.fetched.size() == 4);  // the ParsedCall owns every fetched page
  }

  TEST_CASE("complete_prefetch: next links -> followed up to the page cap") {
    FakeFetcher fetcher;
    const std::string first = std::string(kBase) + "/Condition?patient=p-4711";
    const std::string page2 = std::string(kBase) + "/Condition?patient=p-4711&page=2";
    const std::string page3 = std::string(kBase) + "/Condition?patient=p-4711&page=3";
    fetcher.answers.emplace(first,
                            FhirResponse{200, bundle(R"({"resourceType":"Condition"})", page2)});
    fetcher.answers.emplace(page2,
                            FhirResponse{200, bundle(R"({"resourceType":"Condition"})", page3)});
    fetcher.answers.emplace(page3, FhirResponse{200, bundle(R"({"resourceType":"Condition"})")});
    SUBCASE("no cap reached") {
      ParsedCall consult;
      REQUIRE(complete(consult, hooks_fixture("order-sign.json"), fetcher).has_value());
      CHECK(consult.request.data.conditions.size() == 3);
    }
    SUBCASE("cap of two pages") {
      ParsedCall consult;
      PrefetchOptions options = ehr_options();
      options.max_pages = 2;
      REQUIRE(complete(consult, hooks_fixture("order-sign.json"), fetcher, options).has_value());
      CHECK(consult.request.data.conditions.size() == 2);
    }
  }

  TEST_CASE("complete_prefetch: next link to another origin -> not followed (token stays home)") {
    FakeFetcher fetcher;
    fetcher.answers.emplace(
        std::string(kBase) + "/Condition?patient=p-4711",
        FhirResponse{200, bundle(R"({"resourceType":"Condition"})", "https://evil.example/steal")});
    ParsedCall consult;
    REQUIRE(complete(consult, hooks_fixture("order-sign.json"), fetcher).has_value());
    for (const auto& call : fetcher.calls) CHECK(call.url.starts_with(kBase));
    CHECK(consult.request.data.conditions.size() == 1);
  }

  TEST_CASE("complete_prefetch: prefetched page with a next link -> rest fetched from the server") {
    FakeFetcher fetcher;
    const std::string page2 = std::string(kBase) + "/Condition?patient=p-4711&page=2";
    fetcher.answers.emplace(page2, FhirResponse{200, bundle(R"({"resourceType":"Condition"})")});
    const std::string body = edit_json(hooks_fixture("order-sign.json"), [&](rapidjson::Document&
                                                                                 doc) {
      rapidjson::Document prefetch(&doc.GetAllocator());
      prefetch.Parse(
          ("{\"conditions\":" + bundle(R"({"resourceType":"Condition"})", page2) + "}").c_str());
      doc.AddMember("prefetch", rapidjson::Value(prefetch, doc.GetAllocator()), doc.GetAllocator());
    });
    ParsedCall consult;
    REQUIRE(complete(consult, body, fetcher).has_value());
    CHECK(consult.request.data.conditions.size() == 2);
  }

  TEST_CASE("prefetch_may_fetch: true exactly when complete_prefetch would GET something") {
    // Each body: whether a fetch is expected; complete_prefetch's calls must agree.
    const auto without_server = [](std::string body) {
      return edit_json(body, [](auto& doc) {
        doc.RemoveMember("fhirServer");
        doc.RemoveMember("fhirAuthorization");  // only valid beside a fhirServer
      });
    };
    const std::string all_prefetched = edit_json(hooks_fixture("order-select-pama.json"),
                                                 [](auto& doc) { doc["hook"] = "order-sign"; });
    const std::string nothing_prefetched = hooks_fixture("order-sign.json");
    const std::string page2 = std::string(kBase) + "/Condition?patient=p-4711&page=2";
    const std::string paged = edit_json(nothing_prefetched, [&](rapidjson::Document& doc) {
      rapidjson::Document prefetch(&doc.GetAllocator());
      prefetch.Parse(
          ("{\"patient\":null,\"conditions\":" + bundle(R"({"resourceType":"Condition"})", page2) +
           ",\"procedures\":null,\"observations\":null}")
              .c_str());
      doc.AddMember("prefetch", rapidjson::Value(prefetch, doc.GetAllocator()), doc.GetAllocator());
    });
    const std::string all_null = edit_json(nothing_prefetched, [&](rapidjson::Document& doc) {
      rapidjson::Document prefetch(&doc.GetAllocator());
      prefetch.Parse(R"({"patient":null,"conditions":null,"procedures":null,"observations":null})");
      doc.AddMember("prefetch", rapidjson::Value(prefetch, doc.GetAllocator()), doc.GetAllocator());
    });
    const std::vector<std::pair<std::string, bool>> cases{
        {all_prefetched, false},
        {nothing_prefetched, true},
        {paged, true},
        {all_null, false},
        {without_server(nothing_prefetched), false},
        {without_server(paged), false}};
    for (const auto& [body, expected] : cases) {
      CAPTURE(body.substr(0, 80));
      ParsedCall consult;
      consult.body.text = body;
      REQUIRE(parse_request(consult, *find_service("vcf-order-sign"), JsonLimits{}).has_value());
      CHECK(prefetch_may_fetch(consult, ehr_options()) == expected);
      FakeFetcher fetcher;
      (void)complete_prefetch(consult, fetcher, ehr_options());
      CHECK(fetcher.calls.empty() == !expected);
    }
  }

  TEST_CASE("complete_prefetch: 404 on a read, empty search -> no data, not an error") {
    FakeFetcher fetcher;  // every URL answers 404
    ParsedCall consult;
    REQUIRE(complete(consult, hooks_fixture("order-sign.json"), fetcher).has_value());
    CHECK(consult.request.data.patient == nullptr);
    CHECK(fetcher.calls.size() == 4);
  }

  TEST_CASE("complete_prefetch: required key unobtainable -> 412 naming the key") {
    SUBCASE("no fhirServer") {
      FakeFetcher fetcher;
      ParsedCall consult;
      const std::string body =
          without(without(hooks_fixture("order-sign.json"), "fhirAuthorization"), "fhirServer");
      Status status = complete(consult, body, fetcher);
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().code == ErrorCode::precondition_failed);
      CHECK(status.error().field == "prefetch.patient");
      CHECK(fetcher.calls.empty());
    }
    SUBCASE("401 from the FHIR server") {
      FakeFetcher fetcher;
      fetcher.answers.emplace(std::string(kBase) + "/Patient/p-4711", FhirResponse{401, ""});
      ParsedCall consult;
      Status status = complete(consult, hooks_fixture("order-sign.json"), fetcher);
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().code == ErrorCode::precondition_failed);
      CHECK(status.error().field == "prefetch.patient");
      CHECK(status.error().message.find("401") != std::string::npos);
    }
    SUBCASE("transport error on conditions") {
      FakeFetcher fetcher;
      fetcher.answers.emplace(std::string(kBase) + "/Condition?patient=p-4711",
                              make_error(ErrorCode::unavailable, "fhirServer", "timed out"));
      ParsedCall consult;
      Status status = complete(consult, hooks_fixture("order-sign.json"), fetcher);
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().field == "prefetch.conditions");
    }
    SUBCASE("garbage JSON") {
      FakeFetcher fetcher;
      fetcher.answers.emplace(std::string(kBase) + "/Procedure?patient=p-4711",
                              FhirResponse{200, "<html>login</html>"});
      ParsedCall consult;
      Status status = complete(consult, hooks_fixture("order-sign.json"), fetcher);
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().field == "prefetch.procedures");
    }
  }

  TEST_CASE("complete_prefetch: optional observations unobtainable -> still ok") {
    FakeFetcher fetcher;
    fetcher.answers.emplace(std::string(kBase) + "/Observation?patient=p-4711",
                            FhirResponse{500, ""});
    ParsedCall consult;
    CHECK(complete(consult, hooks_fixture("order-sign.json"), fetcher).has_value());
  }

  TEST_CASE("complete_prefetch: prefetched OperationOutcome -> fetched instead") {
    FakeFetcher fetcher;
    fetcher.answers.emplace(std::string(kBase) + "/Patient/p-4711",
                            FhirResponse{200, R"({"resourceType":"Patient","id":"p-4711"})"});
    const std::string body =
        edit_json(hooks_fixture("order-sign.json"), [](rapidjson::Document& doc) {
          rapidjson::Document prefetch(&doc.GetAllocator());
          prefetch.Parse(R"({"patient":{"resourceType":"OperationOutcome","issue":[]},
                         "conditions":null,"procedures":null,"observations":null})");
          doc.AddMember("prefetch", rapidjson::Value(prefetch, doc.GetAllocator()),
                        doc.GetAllocator());
        });
    ParsedCall consult;
    REQUIRE(complete(consult, body, fetcher).has_value());
    REQUIRE(fetcher.calls.size() == 1);
    CHECK(consult.request.data.patient != nullptr);
  }

  TEST_CASE("parse_call: unknown id -> 404; decide_call's ensure runs prefetch once") {
    FakeFetcher fetcher;
    auto unknown = parse_call("nope", "{}", CallOptions{});
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().code == ErrorCode::not_found);

    int calls = 0;
    auto parsed =
        parse_call("vcf-order-sign", hooks_fixture("order-sign.json"), ehr_call_options());
    REQUIRE(parsed.has_value());
    auto result = decide_call(**parsed, fetcher, ehr_call_options(),
                              [&](const HookRequest& request,
                                  const std::function<Status()>& ensure) -> Result<std::string> {
                                CHECK(ensure().has_value());
                                CHECK(ensure().has_value());
                                calls = static_cast<int>(fetcher.calls.size());
                                return std::string(request.hook_instance);
                              });
    REQUIRE(result.has_value());
    CHECK(*result == "3c1f0b8e-7a0d-4f3e-b1a4-9e6c2d5f8a42");
    CHECK(calls == 4);  // four keys fetched once, not twice
  }
}

}  // namespace

#include "vcf_cds/hooks.hpp"

#include <doctest/doctest.h>

#include "hooks_support.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::hooks;
using vcf_cds::testing::edit_json;
using vcf_cds::testing::hooks_fixture;
using vcf_cds::testing::without;

const ServiceDescriptor& select_service() {
  return *find_service("vcf-imaging-select");
}
const ServiceDescriptor& sign_service() {
  return *find_service("vcf-order-sign");
}

// Parses `body` for `service` into `consult`; returns the status.
Status parse(ParsedCall& consult, std::string body, const ServiceDescriptor& service,
             const JsonLimits& limits = {}) {
  consult.body.text = std::move(body);
  return parse_request(consult, service, limits);
}

void check_rejected(std::string body, const ServiceDescriptor& service, ErrorCode code,
                    std::string_view field) {
  ParsedCall consult;
  Status status = parse(consult, std::move(body), service);
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code == code);
  CHECK(status.error().field == field);
  CHECK_FALSE(status.error().message.empty());
}

TEST_SUITE("hooks") {
  TEST_CASE("parse_request: Sandbox PAMA order-select body -> request filled") {
    ParsedCall consult;
    REQUIRE(parse(consult, hooks_fixture("order-select-pama.json"), select_service()).has_value());
    const HookRequest& request = consult.request;
    CHECK(request.service_id == "vcf-imaging-select");
    CHECK(request.hook == Hook::order_select);
    CHECK(request.hook_instance == "8d0bd3a1-4d55-4b2c-a0f4-6f4f3b3c2a11");
    CHECK(request.fhir_server == "http://localhost:8081/fhir");
    CHECK(request.user_id == "Practitioner/COREPRACTITIONER1");
    CHECK(request.patient_id == "smart-1288992");
    CHECK(request.encounter_id.empty());
    CHECK(request.selections == std::vector<std::string>{"ServiceRequest/example-request-id"});
    REQUIRE(request.draft_orders.size() == 1);
    const auto orders = request.orders_to_rate();
    REQUIRE(orders.size() == 1);
    CHECK(std::string_view((*orders[0])["code"]["coding"][0]["code"].GetString()) == "72149");
    CHECK(consult.prefetch != nullptr);
    CHECK(consult.access_token.empty());
    // Prefetch is completed only on demand, not by parsing.
    CHECK(request.data.patient == nullptr);
  }

  TEST_CASE("parse_request: order-sign with fhirAuthorization and extensions -> all drafts rated") {
    ParsedCall consult;
    REQUIRE(parse(consult, hooks_fixture("order-sign.json"), sign_service()).has_value());
    const HookRequest& request = consult.request;
    CHECK(request.hook == Hook::order_sign);
    CHECK(request.encounter_id == "enc-1");
    CHECK(request.user_id == "PractitionerRole/pr-9");
    CHECK(consult.access_token == "opaque-access-token");
    CHECK(request.selections.empty());
    CHECK(request.orders_to_rate().size() == 2);
    CHECK(consult.prefetch == nullptr);
  }

  TEST_CASE("parse_request: Sandbox first call with empty coding -> accepted, order kept") {
    ParsedCall consult;
    REQUIRE(parse(consult, hooks_fixture("order-select-empty-coding.json"), select_service())
                .has_value());
    const auto orders = consult.request.orders_to_rate();
    REQUIRE(orders.size() == 1);
    CHECK((*orders[0])["code"]["coding"][0].ObjectEmpty());
    CHECK((*orders[0])["reasonCode"].Empty());
  }

  TEST_CASE("parse_request: STU3 ProcedureRequest draft -> selected like a ServiceRequest") {
    const std::string body =
        edit_json(hooks_fixture("order-select-pama.json"), [](rapidjson::Document& doc) {
          doc["context"]["draftOrders"]["entry"][0]["resource"]["resourceType"] =
              "ProcedureRequest";
          doc["context"]["selections"][0] = "ProcedureRequest/example-request-id";
        });
    ParsedCall consult;
    REQUIRE(parse(consult, body, select_service()).has_value());
    CHECK(consult.request.orders_to_rate().size() == 1);
  }

  TEST_CASE("orders_to_rate: selections keep their order, unknown ones are skipped") {
    const std::string body =
        edit_json(hooks_fixture("order-sign.json"), [](rapidjson::Document& doc) {
          auto& a = doc.GetAllocator();
          doc["hook"] = "order-select";
          rapidjson::Value selections(rapidjson::kArrayType);
          selections.PushBack("ServiceRequest/sr-kypho", a).PushBack("ServiceRequest/none", a);
          selections.PushBack("ServiceRequest/sr-mri", a).PushBack("ServiceRequest/sr-kypho", a);
          doc["context"].AddMember("selections", selections, a);
        });
    ParsedCall consult;
    REQUIRE(parse(consult, body, select_service()).has_value());
    const auto orders = consult.request.orders_to_rate();
    REQUIRE(orders.size() == 2);
    CHECK(std::string_view((*orders[0])["id"].GetString()) == "sr-kypho");
    CHECK(std::string_view((*orders[1])["id"].GetString()) == "sr-mri");
  }

  TEST_CASE("parse_request: each missing required field -> 400 naming it") {
    const std::string select = hooks_fixture("order-select-pama.json");
    for (const char* field : {"hook", "hookInstance", "context", "context.userId",
                              "context.patientId", "context.draftOrders", "context.selections"}) {
      CAPTURE(field);
      check_rejected(without(select, field), select_service(), ErrorCode::bad_request, field);
    }
  }

  TEST_CASE("parse_request: order-sign without selections -> accepted") {
    ParsedCall consult;
    CHECK(parse(consult, without(hooks_fixture("order-sign.json"), "context.encounterId"),
                sign_service())
              .has_value());
  }

  TEST_CASE("parse_request: hook of the other service -> 400 naming hook") {
    check_rejected(hooks_fixture("order-sign.json"), select_service(), ErrorCode::bad_request,
                   "hook");
    check_rejected(hooks_fixture("order-select-pama.json"), sign_service(), ErrorCode::bad_request,
                   "hook");
  }

  TEST_CASE("parse_request: malformed, non-object, NUL or invalid UTF-8 body -> 400") {
    check_rejected(R"({"hook": "order-select",)", select_service(), ErrorCode::bad_request, "");
    check_rejected("[1,2]", select_service(), ErrorCode::bad_request, "");
    check_rejected(std::string("{\"hook\":\"order-select\"}\0{}", 26), select_service(),
                   ErrorCode::bad_request, "");
    check_rejected("{\"hook\":\"order-\xC3\x28select\"}", select_service(), ErrorCode::bad_request,
                   "");
    check_rejected("", select_service(), ErrorCode::bad_request, "");
  }

  TEST_CASE("parse_request: wrong types -> 400 naming the field") {
    const std::string select = hooks_fixture("order-select-pama.json");
    auto set = [&](auto change) {
      return edit_json(select, [&](rapidjson::Document& doc) { change(doc, doc.GetAllocator()); });
    };
    using Alloc = rapidjson::Document::AllocatorType;
    check_rejected(set([](rapidjson::Document& d, Alloc&) { d["hookInstance"] = 42; }),
                   select_service(), ErrorCode::bad_request, "hookInstance");
    check_rejected(set([](rapidjson::Document& d, Alloc&) { d["context"]["userId"] = ""; }),
                   select_service(), ErrorCode::bad_request, "context.userId");
    check_rejected(set([](rapidjson::Document& d, Alloc&) {
                     d["context"]["draftOrders"]["resourceType"] = "ServiceRequest";
                   }),
                   select_service(), ErrorCode::bad_request, "context.draftOrders");
    check_rejected(
        set([](rapidjson::Document& d, Alloc&) { d["context"]["selections"].SetArray(); }),
        select_service(), ErrorCode::bad_request, "context.selections");
    check_rejected(set([](rapidjson::Document& d, Alloc&) { d["context"]["selections"][0] = 7; }),
                   select_service(), ErrorCode::bad_request, "context.selections");
    check_rejected(set([](rapidjson::Document& d, Alloc&) { d["fhirServer"] = "ftp://x"; }),
                   select_service(), ErrorCode::bad_request, "fhirServer");
    check_rejected(set([](rapidjson::Document& d, Alloc&) { d["prefetch"] = "everything"; }),
                   select_service(), ErrorCode::bad_request, "prefetch");
    check_rejected(set([](rapidjson::Document& d, Alloc&) { d["prefetch"]["patient"] = 1; }),
                   select_service(), ErrorCode::bad_request, "prefetch.patient");
  }

  TEST_CASE("parse_request: fhirAuthorization without fhirServer or token -> 400") {
    const std::string sign = hooks_fixture("order-sign.json");
    check_rejected(without(sign, "fhirServer"), sign_service(), ErrorCode::bad_request,
                   "fhirServer");
    check_rejected(without(sign, "fhirAuthorization.access_token"), sign_service(),
                   ErrorCode::bad_request, "fhirAuthorization.access_token");
  }

  TEST_CASE("parse_json: nesting and element limits -> 400 and 413") {
    JsonDocument deep;
    deep.text = std::string(100, '[') + std::string(100, ']');
    Status status = parse_json(deep, JsonLimits{});
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code == ErrorCode::bad_request);

    JsonDocument wide;
    wide.text = "[1";
    for (int i = 0; i < 200; ++i) wide.text += ",1";
    wide.text += "]";
    status = parse_json(wide, JsonLimits{64, 100});
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code == ErrorCode::payload_too_large);

    JsonDocument fine;
    fine.text = R"({"a":[1,2,{"b":null}]})";
    CHECK(parse_json(fine, JsonLimits{}).has_value());
  }

  TEST_CASE("to_string(Hook): names -> spec spelling") {
    CHECK(to_string(Hook::order_select) == "order-select");
    CHECK(to_string(Hook::order_sign) == "order-sign");
  }

  TEST_CASE("discovery: two services in fixed order with the four prefetch templates") {
    rapidjson::Document doc;
    const std::string json = discovery_json();
    doc.Parse(json.c_str());
    REQUIRE(doc.IsObject());
    const auto& list = doc["services"];
    REQUIRE(list.Size() == 2);
    CHECK(std::string_view(list[0]["hook"].GetString()) == "order-select");
    CHECK(std::string_view(list[0]["id"].GetString()) == "vcf-imaging-select");
    CHECK(std::string_view(list[1]["hook"].GetString()) == "order-sign");
    CHECK(std::string_view(list[1]["id"].GetString()) == "vcf-order-sign");
    CHECK(
        std::string_view(list[0]["title"].GetString()).starts_with("ACR Appropriateness Criteria"));
    const auto& prefetch = list[0]["prefetch"];
    CHECK(std::string_view(prefetch["patient"].GetString()) == "Patient/{{context.patientId}}");
    CHECK(std::string_view(prefetch["conditions"].GetString()) ==
          "Condition?patient={{context.patientId}}");
    CHECK(std::string_view(prefetch["procedures"].GetString()) ==
          "Procedure?patient={{context.patientId}}");
    CHECK(std::string_view(prefetch["observations"].GetString()) ==
          "Observation?patient={{context.patientId}}");
    CHECK(discovery_json() == json);  // deterministic
  }
}

}  // namespace

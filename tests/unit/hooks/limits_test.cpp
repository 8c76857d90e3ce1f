// Hardening limits on call bodies: draft order count, prefetch Bundle size, and
// string lengths bounded by the body itself. Each is 413 naming the member (CONTRACT §6).
#include <doctest/doctest.h>

#include "hooks_support.hpp"
#include "vcf_cds/hooks.hpp"
#include "vcf_cds/http.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::hooks;
using vcf_cds::testing::edit_json;
using vcf_cds::testing::hooks_fixture;

// order-sign with `count` copies of its first draft order.
std::string with_draft_orders(std::size_t count) {
  return edit_json(hooks_fixture("order-sign.json"), [count](rapidjson::Document& doc) {
    auto& entries = doc["context"]["draftOrders"]["entry"];
    rapidjson::Value first(entries[0], doc.GetAllocator());
    entries.Clear();
    for (std::size_t i = 0; i < count; ++i) {
      entries.PushBack(rapidjson::Value(first, doc.GetAllocator()), doc.GetAllocator());
    }
  });
}

// order-sign with a prefetched `conditions` Bundle of `count` Condition entries.
std::string with_prefetched_conditions(std::size_t count) {
  return edit_json(hooks_fixture("order-sign.json"), [count](rapidjson::Document& doc) {
    auto& a = doc.GetAllocator();
    rapidjson::Value entries(rapidjson::kArrayType);
    for (std::size_t i = 0; i < count; ++i) {
      rapidjson::Value resource(rapidjson::kObjectType);
      resource.AddMember("resourceType", "Condition", a);
      rapidjson::Value entry(rapidjson::kObjectType);
      entry.AddMember("resource", resource, a);
      entries.PushBack(entry, a);
    }
    rapidjson::Value bundle(rapidjson::kObjectType);
    bundle.AddMember("resourceType", "Bundle", a);
    bundle.AddMember("entry", entries, a);
    rapidjson::Value prefetch(rapidjson::kObjectType);
    prefetch.AddMember("conditions", bundle, a);
    doc.AddMember("prefetch", prefetch, a);
  });
}

Status parse(std::string body, const JsonLimits& limits = {}) {
  ParsedCall consult;
  consult.body.text = std::move(body);
  return parse_request(consult, *find_service("vcf-order-sign"), limits);
}

void check_too_large(const Status& status, std::string_view field) {
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code == ErrorCode::payload_too_large);
  CHECK(status.error().field == field);
  CHECK(status.error().message.find("limit") != std::string::npos);
  // The client sees 413 and an OperationOutcome whose expression names the member.
  CHECK(http::to_http_status(status.error().code) == 413);
  CHECK(http::to_operation_outcome(status.error()).find(std::string(field)) != std::string::npos);
}

TEST_SUITE("hooks") {
  TEST_CASE("limits: context.draftOrders over the default 100 entries -> 413") {
    CHECK(parse(with_draft_orders(100)).has_value());
    check_too_large(parse(with_draft_orders(101)), "context.draftOrders");
  }

  TEST_CASE("limits: max_draft_orders is configurable") {
    JsonLimits limits;
    limits.max_draft_orders = 2;
    CHECK(parse(with_draft_orders(2), limits).has_value());
    check_too_large(parse(with_draft_orders(3), limits), "context.draftOrders");
  }

  TEST_CASE("limits: a prefetch Bundle over 5,000 entries -> 413 naming prefetch.<key>") {
    CHECK(parse(with_prefetched_conditions(5'000)).has_value());
    check_too_large(parse(with_prefetched_conditions(5'001)), "prefetch.conditions");
    JsonLimits limits;
    limits.max_prefetch_entries = 3;
    check_too_large(parse(with_prefetched_conditions(4), limits), "prefetch.conditions");
  }

  TEST_CASE("limits: strings are bounded by the body only; the body limit answers 413") {
    // A long string inside the body limit is data like any other (parsed in situ, no copy cap).
    const std::string long_id(200'000, 'x');
    CHECK(parse(edit_json(hooks_fixture("order-sign.json"), [&](rapidjson::Document& doc) {
            doc["hookInstance"].SetString(long_id.c_str(), doc.GetAllocator());
          })).has_value());
    // The HTTP layer refuses the body before any string is read: default limit 1 MiB -> 413.
    CHECK(http::ServerOptions{}.body_limit == 1024 * 1024);
    CHECK(http::to_http_status(ErrorCode::payload_too_large) == 413);
  }

  TEST_CASE("limits: depth and value count stop the parse itself, with the same errors") {
    // Far deeper than any stack would survive if the parser recursed without the depth limit.
    JsonDocument deep;
    deep.text = std::string(200'000, '[') + std::string(200'000, ']');
    Status status = parse_json(deep, JsonLimits{});
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code == ErrorCode::bad_request);
    CHECK(status.error().message == "JSON nests deeper than 64 levels");

    JsonDocument at_limit;  // 64 levels are fine, 65 are not
    at_limit.text = std::string(64, '[') + std::string(64, ']');
    CHECK(parse_json(at_limit, JsonLimits{}).has_value());
    at_limit.text = std::string(65, '[') + std::string(65, ']');
    CHECK_FALSE(parse_json(at_limit, JsonLimits{}).has_value());

    JsonDocument wide;  // root object + 3 member values = 4 values; names do not count
    wide.text = R"({"a":1,"b":"x","c":null})";
    CHECK(parse_json(wide, JsonLimits{64, 4}).has_value());
    wide.text = R"({"a":1,"b":"x","c":null})";
    status = parse_json(wide, JsonLimits{64, 3});
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code == ErrorCode::payload_too_large);
    CHECK(status.error().message == "JSON has more than 3 values");

    JsonDocument malformed;
    malformed.text = R"({"a":[1,2})";
    status = parse_json(malformed, JsonLimits{});
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code == ErrorCode::bad_request);
    CHECK(status.error().message.rfind("malformed JSON at offset 9: ", 0) == 0);
  }
}

}  // namespace

// parse_json refuses a member name given twice in one object (as the JWT parser does), naming
// where it was; the same name in different objects, or escaped differently, is fine.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hooks_support.hpp"
#include "vcf_cds/hooks.hpp"

namespace {

using namespace vcf_cds;
using namespace vcf_cds::hooks;

Status parse(std::string text) {
  JsonDocument doc;
  doc.text = std::move(text);
  return parse_json(doc, JsonLimits{});
}

// Object of `count` distinct keys, then `extra` appended as a last member.
std::string wide_object(int count, const std::string& extra) {
  std::string json = "{";
  for (int i = 0; i < count; ++i)
    json += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  return json + extra + "}";
}

}  // namespace

TEST_SUITE("hooks") {
  TEST_CASE("parse_json: duplicate member names -> 400 naming the member and where it is") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"hook":"order-select","hook":"order-sign"})", "hook"},
        {R"({"context":{"patientId":"a","userId":"u","patientId":"b"}})", "context.patientId"},
        {R"({"a":[{"x":1},{"y":{"z":1,"z":2}}]})", "a[].y.z"},
        {R"([{"k":1,"k":1}])", "[].k"},
        // Different escapes of one name are one name once decoded.
        {R"({"id":"a","\u0069d":"b"})", "id"},
        // Many members: the sorted check finds it too.
        {wide_object(200, R"("k17":"again")"), "k17"},
    };
    for (const auto& [body, field] : cases) {
      CAPTURE(body.substr(0, 80));
      const Status status = parse(body);
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().code == ErrorCode::bad_request);
      CHECK(status.error().field == field);
      CHECK(status.error().message.find("twice") != std::string::npos);
    }
  }

  TEST_CASE("parse_json: a very long duplicate name -> named, clipped to 200 bytes") {
    const std::string name = std::string(199, 'k') + "é" + std::string(5000, 'x');
    const Status status = parse("{\"" + name + "\":1,\"" + name + "\":2}");
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().field == std::string(199, 'k') + "…");  // never half a character
    CHECK(status.error().message.size() < 300);
  }

  TEST_CASE("parse_json: same name in sibling or nested objects, many distinct names -> ok") {
    for (const std::string& body :
         {std::string(R"({"id":"a","x":{"id":"b"},"y":[{"id":"c"},{"id":"d"}]})"),
          std::string(R"({"a":{"b":1},"c":{"b":1},"b":{"b":{"b":1}}})"),
          wide_object(300, R"("z":1)"), std::string(R"({"Id":1,"id":2,"ID":3})"),
          std::string("{}")}) {
      CAPTURE(body.substr(0, 80));
      CHECK(parse(body).has_value());
    }
  }

  TEST_CASE("parse_request: a body with a duplicate key -> 400 before any field is read") {
    ParsedCall consult;
    // The Sandbox fixture with a second, different patientId after the first.
    std::string body = testing::hooks_fixture("order-select-pama.json");
    const std::size_t at = body.find("\"patientId\"");
    REQUIRE(at != std::string::npos);
    body.insert(at, "\"patientId\": \"someone-else\", ");
    auto parsed = parse_call("vcf-imaging-select", std::move(body), CallOptions{});
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::bad_request);
    CHECK(parsed.error().field == "context.patientId");
  }
}

// parse_json's in-situ string scan (8 bytes at a time) against RapidJSON's own parse.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "vcf_cds/hooks.hpp"

namespace {

using vcf_cds::hooks::JsonDocument;
using vcf_cds::hooks::JsonLimits;
using vcf_cds::hooks::parse_json;

// JSON string contents (escaped) of many lengths with escapes at many positions, so decoded
// text lags the input by different amounts when the plain runs around them are copied down.
std::vector<std::string> escaped_strings() {
  const std::string escapes[] = {"\\n", "\\\"", "\\\\", "\\u00e9", "\\ud83d\\ude00", "\\/", "é"};
  std::vector<std::string> out;
  for (std::size_t length = 0; length < 40; length += 3) {
    const std::string plain(length, 'p');
    out.push_back(plain);
    for (const auto& escape : escapes) {
      for (std::size_t at = 0; at <= length; at += 5) {
        out.push_back(plain.substr(0, at) + escape + plain.substr(at) + escape + "tail-of-text");
      }
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("hooks") {
  TEST_CASE("parse_json: strings decode as RapidJSON decodes them, escapes anywhere") {
    std::string body = "{\"items\":[";
    const auto strings = escaped_strings();
    for (std::size_t i = 0; i < strings.size(); ++i) {
      if (i > 0) body += ',';
      body += "{\"k" + std::to_string(i) + "\":\"" + strings[i] + "\"}";
    }
    body += "],\"last\":\"x\"}";

    rapidjson::Document reference;
    reference.Parse(body.c_str(), body.size());
    REQUIRE_FALSE(reference.HasParseError());
    JsonDocument doc;
    doc.text = body;
    REQUIRE(parse_json(doc, JsonLimits{}).has_value());
    CHECK(doc.dom == reference);
  }

  TEST_CASE("parse_json: strings cut short or holding control characters -> 400") {
    for (const std::string& bad :
         {std::string(R"({"a":"unterminated string, longer than a word)"),
          std::string(R"({"a":"short)"), std::string("{\"a\":\"tab\there, in a long string\"}"),
          std::string("{\"a\":\"12345678\x01\"}"), std::string(R"({"a":"bad \q escape"})")}) {
      JsonDocument doc;
      doc.text = bad;
      const auto status = parse_json(doc, JsonLimits{});
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().message.rfind("malformed JSON at offset ", 0) == 0);
    }
  }
}

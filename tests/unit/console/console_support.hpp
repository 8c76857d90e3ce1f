// Shared helpers of the console tests: loaded knowledge and example codes, JSON access.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <memory>
#include <string>

#include "support/scenario.hpp"
#include "support/temp_dir.hpp"
#include "vcf_cds/console.hpp"

namespace vcf_cds::console_testing {

inline const console::ExampleCodes& examples() {
  static const std::shared_ptr<const console::ExampleCodes> loaded = console::load_example_codes(
      vcf_cds::testing::source_path("deploy/console/example-codes.json"));
  return *loaded;
}

inline rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

// Value at a JSON pointer ("/decision/headline/variant"); fails the test when absent.
inline const rapidjson::Value& at(const rapidjson::Value& root, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(root);
  INFO("JSON pointer " << pointer);
  REQUIRE(v != nullptr);
  return *v;
}

inline std::string text(const rapidjson::Value& root, const char* pointer) {
  const auto& v = at(root, pointer);
  REQUIRE(v.IsString());
  return v.GetString();
}

// The first expression of an OperationOutcome body.
inline std::string expression(const std::string& body) {
  const auto doc = parse(body);
  CHECK(text(doc, "/resourceType") == "OperationOutcome");
  const auto* e = rapidjson::Pointer("/issue/0/expression/0").Get(doc);
  return e != nullptr && e->IsString() ? e->GetString() : "";
}

// 2026-11-25 noon UTC, the day the scenario fixtures use.
inline std::chrono::system_clock::time_point today() {
  return vcf_cds::testing::parse_day("2026-11-25");
}

}  // namespace vcf_cds::console_testing

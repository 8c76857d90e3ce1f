// Golden files of full responses a reviewer can read: tests/fixtures/golden/<slug>.response.json
// (the CDS Hooks body, pretty-printed) and <slug>.detail.md (the card's Markdown detail).
// Regenerate after an intended change with VCF_CDS_UPDATE_GOLDEN=1 and review the diff.
#include <doctest/doctest.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdlib>
#include <fstream>

#include "common/json_file.hpp"
#include "support/scenario.hpp"

namespace {

using vcf_cds::testing::source_path;
using vcf_cds::testing::str;

std::string pretty(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string detail_of(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  std::string out;
  for (const auto& card : doc["cards"].GetArray()) out += str(card, "detail") + "\n";
  return out;
}

void compare_or_update(const std::filesystem::path& file, const std::string& actual) {
  if (std::getenv("VCF_CDS_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(file, std::ios::binary) << actual;
    return;
  }
  REQUIRE_MESSAGE(std::filesystem::exists(file), "missing golden file " << file.string());
  const std::string expected = vcf_cds::common::read_file(file);
  CHECK_MESSAGE(expected == actual, "golden mismatch: " << file.string()
                                                         << " (VCF_CDS_UPDATE_GOLDEN=1 rewrites)");
}

}  // namespace

TEST_SUITE("scenarios") {
  TEST_CASE("golden: representative responses -> byte for byte as reviewed") {
    const auto folder = source_path("tests/fixtures/golden");
    const auto doc = vcf_cds::common::parse_json_file(folder / "scenarios.json");
    REQUIRE(doc.Size() >= 12);
    for (const auto& scenario : doc.GetArray()) {
      const std::string slug = str(scenario, "slug");
      CAPTURE(slug);
      const auto outcome = vcf_cds::testing::run_scenario(scenario);
      compare_or_update(folder / (slug + ".response.json"), pretty(outcome.body));
      compare_or_update(folder / (slug + ".detail.md"), detail_of(outcome.body));
    }
  }
}

// Every input in tests/fuzz/regressions/ through the real server, answered with the status
// tests/fuzz/regressions.tsv declares for it. The replay in tests/unit/hooks/ proves an input no
// longer crashes; this proves it still gets the answer it should (a 400 that became a 500 or a
// 200 is a regression too).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "integration/service_fixture.hpp"
#include "integration/test_http.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace vcf_cds::testing;

struct Expected {
  std::string service;
  int status = 0;
};

// input file name -> (service, status), from the tab-separated table; `#` lines are comments.
std::map<std::string, Expected> expected_statuses(const std::filesystem::path& table) {
  std::map<std::string, Expected> rows;
  std::ifstream in(table);
  REQUIRE(in);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    std::istringstream fields(line);
    std::string input;
    Expected row;
    std::string status;
    std::getline(fields, input, '\t');
    std::getline(fields, row.service, '\t');
    std::getline(fields, status, '\t');
    INFO("regressions.tsv row: ", line);
    REQUIRE_FALSE(row.service.empty());
    REQUIRE(status.size() == 3);
    row.status = std::stoi(status);
    CHECK(rows.emplace(input, row).second);  // one row per input
  }
  return rows;
}

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST_SUITE("integration") {
  TEST_CASE("fuzz regressions: every saved input -> the HTTP status regressions.tsv declares") {
    const auto expected = expected_statuses(source_path("tests/fuzz/regressions.tsv"));
    std::set<std::string> inputs;
    for (const auto& file :
         std::filesystem::directory_iterator(source_path("tests/fuzz/regressions"))) {
      const std::string name = file.path().filename().string();
      if (file.is_regular_file() && !name.starts_with('.')) inputs.insert(name);
    }
    // A new regression must declare its status; a row must name an input that exists.
    for (const auto& input : inputs) {
      CHECK_MESSAGE(expected.contains(input), input, " has no row in regressions.tsv");
    }
    for (const auto& [input, row] : expected) {
      CHECK_MESSAGE(inputs.contains(input), "regressions.tsv names a missing input: ", input);
    }
    REQUIRE_FALSE(inputs.empty());

    ServiceUnderTest service;
    for (const auto& [input, row] : expected) {
      if (!inputs.contains(input)) continue;
      INFO("regression input: ", input, " -> POST /cds-services/", row.service);
      const auto response = exchange(service.port(), "POST", "/cds-services/" + row.service,
                                     read_bytes(source_path("tests/fuzz/regressions") / input));
      REQUIRE(response);
      INFO("answer: ", response->body());
      CHECK(response->result_int() == row.status);
    }
  }
}

}  // namespace

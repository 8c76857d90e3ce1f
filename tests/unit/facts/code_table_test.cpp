// facts::CodeTable: the open-addressing table behind the terminology's code lookups (issue #8).
#include "facts/code_table.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

using vcf_cds::facts::CodeTable;

TEST_SUITE("facts") {
  TEST_CASE("CodeTable: inserts, finds and misses like std::map, across many growths") {
    CodeTable<int> table;
    std::map<std::string, int> reference;
    std::mt19937 random(8);
    for (int i = 0; i < 5000; ++i) {
      // Short keys sharing a first byte, like "<system byte><code>", some repeated.
      std::string key(1, static_cast<char>(1 + random() % 3));
      key += std::to_string(random() % 4000);
      const int value = static_cast<int>(random() % 1000);
      const auto [stored, inserted] = table.try_emplace(key, value);
      const auto [it, reference_inserted] = reference.try_emplace(key, value);
      REQUIRE(inserted == reference_inserted);
      REQUIRE(*stored == it->second);  // a present key keeps its first value
    }
    CHECK(table.size() == reference.size());
    for (const auto& [key, value] : reference) {
      const int* found = table.find(key);
      REQUIRE(found != nullptr);
      CHECK(*found == value);
    }
    CHECK(table.find("") == nullptr);
    CHECK(table.find(std::string(1, '\x01') + "99999") == nullptr);
    CHECK(table.find("\x04"
                     "1") == nullptr);  // a system byte never used
  }

  TEST_CASE(
      "CodeTable: operator[] value-initialises, then accumulates; empty table finds nothing") {
    CodeTable<unsigned> table;
    CHECK(table.find("x") == nullptr);
    table["\x02M80"] |= 1u;
    table["\x02M80"] |= 4u;
    table["\x02M8"] |= 2u;
    REQUIRE(table.find("\x02M80") != nullptr);
    CHECK(*table.find("\x02M80") == 5u);
    CHECK(*table.find("\x02M8") == 2u);
    CHECK(table.find("\x02M") == nullptr);  // a prefix of a key is not a key
    CHECK(table.size() == 2);
  }
}

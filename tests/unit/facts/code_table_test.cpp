// facts::CodeTable: the terminology's code lookups by string_view.
#include "facts/code_table.hpp"

#include <doctest/doctest.h>

#include <string>

using vcf_cds::facts::CodeTable;
using vcf_cds::facts::find_value;

TEST_SUITE("facts") {
  TEST_CASE("CodeTable: operator[] value-initialises, then accumulates; find_value by view") {
    CodeTable<unsigned> table;
    CHECK(find_value(table, "x") == nullptr);
    table["\x02M80"] |= 1u;
    table["\x02M80"] |= 4u;
    table["\x02M8"] |= 2u;
    const std::string key = "\x02M80 and more";
    REQUIRE(find_value(table, std::string_view(key).substr(0, 4)) != nullptr);
    CHECK(*find_value(table, "\x02M80") == 5u);
    CHECK(*find_value(table, "\x02M8") == 2u);
    CHECK(find_value(table, "\x02M") == nullptr);  // a prefix of a key is not a key
    CHECK(table.size() == 2);
  }
}

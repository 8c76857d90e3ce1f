// CardWriter is RapidJSON's Writer; key_str and write_string take string_views.
#include "cards/json_writer.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_SUITE("cards") {
  TEST_CASE("CardWriter: string_view helpers, commas and colons as Writer places them") {
    rapidjson::StringBuffer buffer;
    vcf_cds::cards::CardWriter w(buffer);
    w.StartObject();
    vcf_cds::cards::key_str(w, "a", "1");
    w.Key("b");
    w.StartArray();
    vcf_cds::cards::write_string(w, "x");
    w.Int(2);
    vcf_cds::cards::write_string(w, std::string_view("y\"z", 3));
    w.EndArray();
    vcf_cds::cards::key_str(w, "c", std::string("3\n", 2));
    w.EndObject();
    CHECK(std::string(buffer.GetString(), buffer.GetSize()) ==
          R"({"a":"1","b":["x",2,"y\"z"],"c":"3\n"})");
  }
}

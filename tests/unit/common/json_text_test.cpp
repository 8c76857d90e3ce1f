#include "common/json_text.hpp"

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>

namespace {

using vcf_cds::common::append_json_string;

std::string rapidjson_string(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

std::string escaped(std::string_view text) {
  std::string out = "prefix:";
  append_json_string(out, text);
  return out.substr(7);
}

}  // namespace

TEST_SUITE("common") {
  TEST_CASE("append_json_string: the bytes rapidjson::Writer writes, for every byte value") {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    CHECK(escaped(all) == rapidjson_string(all));
    CHECK(escaped("") == R"("")");
    CHECK(escaped("a\"b\\c\n\x01/\x7f") == "\"a\\\"b\\\\c\\n\\u0001/\x7f\"");
  }

  TEST_CASE("append_json_string: random mixes of plain runs and specials -> same as RapidJSON") {
    std::mt19937 random(20261125);
    const std::string specials = std::string("\"\\\n\t\r\b\f\x01\x1f", 9) + "\xc3\xa9\xe2\x82\xac";
    for (int round = 0; round < 2000; ++round) {
      std::string text;
      const int length = static_cast<int>(random() % 80);
      for (int i = 0; i < length; ++i) {
        text += random() % 5 == 0 ? specials[random() % specials.size()]
                                  : static_cast<char>('a' + random() % 26);
      }
      text.push_back('\0');  // a NUL inside a string is escaped too
      text += std::string(random() % 20, 'z');
      REQUIRE(escaped(text) == rapidjson_string(text));
    }
  }
}

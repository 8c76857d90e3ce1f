#include "common/json_text.hpp"

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>

namespace {

using vcf_cds::common::append_json_string;
using vcf_cds::common::json_plain_prefix;

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

  TEST_CASE("json_plain_prefix: the first special byte at every offset of the 16/8/1-byte scans") {
    // Bytes that look close to special in a vector compare: 0x20 and 0x7f are plain, as are
    // UTF-8 bytes (>= 0x80, negative as signed char); 0x00-0x1f, '"' and '\\' are special.
    const std::string plain_fill = std::string("a \x7f\x80\xff/!#", 8);
    for (std::size_t length = 0; length <= 40; ++length) {
      std::string text;
      for (std::size_t i = 0; i < length; ++i) text += plain_fill[i % plain_fill.size()];
      CHECK(json_plain_prefix(text) == length);
      for (std::size_t at = 0; at < length; ++at) {
        for (const char special : {'"', '\\', '\0', '\x1f', '\n'}) {
          std::string with = text;
          with[at] = special;
          if (at + 1 < length) with[length - 1] = '"';  // a later special must not win
          REQUIRE(json_plain_prefix(with) == at);
        }
      }
    }
    // Never reads past the view: a special byte just after it is not seen.
    const std::string buffer = std::string(32, 'x') + '"';
    CHECK(json_plain_prefix(std::string_view(buffer).substr(0, 32)) == 32);
    CHECK(json_plain_prefix(std::string_view(buffer).substr(0, 17)) == 17);
  }
}

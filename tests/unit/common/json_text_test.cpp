#include "common/json_text.hpp"

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {

using vcf_cds::common::append_json_string;
using vcf_cds::common::json_plain_prefix;
using vcf_cds::common::write_json_escaped;

std::string rapidjson_string(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

// Room that starts at 1 byte and grows by no more than asked, moving the text each time.
struct TightRoom {
  std::vector<char> bytes = std::vector<char>(1);
  char* end = bytes.data() + bytes.size();
  int grows = 0;
  char* begin() { return bytes.data(); }
  char* grow(char* at, std::size_t need) {
    const auto used = static_cast<std::size_t>(at - bytes.data());
    std::vector<char> moved(used + need, '#');
    std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(used), moved.begin());
    bytes.swap(moved);
    end = bytes.data() + bytes.size();
    ++grows;
    return bytes.data() + used;
  }
};

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

  TEST_CASE("write_json_escaped: every byte at every offset, in room that must grow each time") {
    // Each byte value at each offset of three 16-byte blocks, the 8-byte words and the tail, with
    // a quote later on, written into room that starts at 1 byte and grows by only what is asked
    // (moving the text each time): RapidJSON's bytes, ending where the function says.
    for (int c = 0; c < 256; ++c) {
      for (std::size_t at = 0; at < 53; ++at) {
        std::string text(53, 'a');
        text[at] = static_cast<char>(c);
        text[45] = '"';
        const std::string expected = rapidjson_string(text);
        TightRoom room;
        char* end = write_json_escaped(text, room.begin(), room);
        const std::string written(room.bytes.data(), end);
        if (written != expected.substr(1, expected.size() - 2)) {
          FAIL_CHECK("byte " << c << " at " << at);
        }
        REQUIRE(room.grows > 0);
      }
    }
  }

  TEST_CASE("append_json_string: text dense with specials, as the audit record's card") {
    // A card's JSON stored as a string: a quote every few bytes, escaped newlines, control bytes.
    std::string card;
    for (int i = 0; i < 300; ++i) {
      card +=
          R"card({"summary":"MRI: Usually not appropriate (3/9)","detail":"**Variant 1**\n- a\n",)card";
      card += static_cast<char>(i % 32);
      card += "\xe2\x96\x88\"\\";
    }
    CHECK(escaped(card) == rapidjson_string(card));
    std::string all_special(100, '"');
    CHECK(escaped(all_special) == rapidjson_string(all_special));
    std::string all_control(100, '\x01');
    CHECK(escaped(all_control) == rapidjson_string(all_control));
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

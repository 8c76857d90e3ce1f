#include "common/json_text.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

using vcf_cds::common::append_json_string;

std::string escaped(std::string_view text) {
  std::string out = "prefix:";
  append_json_string(out, text);
  return out.substr(7);
}

}  // namespace

TEST_SUITE("common") {
  TEST_CASE("append_json_string: the escapes every audit chain was hashed with") {
    CHECK(escaped("") == R"("")");
    CHECK(escaped("a\"b\\c\n\x01/\x7f") == "\"a\\\"b\\\\c\\n\\u0001/\x7f\"");
    CHECK(escaped(std::string("\b\f\r\t\x1f\0", 6)) == R"("\b\f\r\t\u001F\u0000")");
    CHECK(escaped("“UTF-8” ☢ █ \xc3\xa9") == "\"“UTF-8” ☢ █ \xc3\xa9\"");
  }

  TEST_CASE("append_json_string: long text (the Writer's SIMD scan) as short pieces (bytewise)") {
    // Strings under 16 bytes are escaped one byte at a time; longer ones are scanned 16 bytes at a
    // time where RAPIDJSON_SSE2 is defined. Each byte value at each offset of several blocks
    // must come out as it does alone.
    const auto inner = [](std::string_view text) {
      const std::string quoted = escaped(text);
      return quoted.substr(1, quoted.size() - 2);
    };
    for (int c = 0; c < 256; ++c) {
      const std::string one(1, static_cast<char>(c));
      for (std::size_t at = 0; at < 45; ++at) {
        std::string text(60, 'a');
        text[at] = static_cast<char>(c);
        text[45] = '"';
        const std::string expected = inner(std::string(at, 'a')) + inner(one) +
                                     inner(text.substr(at + 1, 44 - at)) + "\\\"" +
                                     std::string(14, 'a');
        if (inner(text) != expected) FAIL_CHECK("byte " << c << " at " << at);
      }
    }
  }
}

// The body check that replaced RapidJSON's per-string UTF-8 validation: it must
// reject exactly what RapidJSON rejected, and a bad body must still be a 400 naming the problem.
#include "common/utf8.hpp"

#include <doctest/doctest.h>
#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>

#include <string>

#include "vcf_cds/hooks.hpp"

namespace {

using vcf_cds::common::find_text_problem;

// RapidJSON's strict validator over all of `bytes` (what kParseValidateEncodingFlag applied).
bool rapidjson_accepts(const std::string& bytes) {
  std::string padded = bytes + std::string(4, '\0');  // Validate may read past a lead byte
  rapidjson::StringStream in(padded.c_str());
  rapidjson::StringBuffer sink;
  while (in.Tell() < bytes.size()) {
    if (!rapidjson::UTF8<>::Validate(in, sink)) return false;
  }
  return in.Tell() == bytes.size();
}

std::string_view problem(std::string_view text) {
  const auto found = find_text_problem(text);
  return found ? found->what : std::string_view("none");
}

vcf_cds::Status parse_body(std::string body) {
  vcf_cds::hooks::ParsedCall consult;
  consult.body.text = std::move(body);
  return vcf_cds::hooks::parse_request(consult, *vcf_cds::hooks::find_service("vcf-imaging-select"),
                                       {});
}

TEST_SUITE("hooks") {
  TEST_CASE("utf8: valid text of every sequence length passes") {
    CHECK_FALSE(find_text_problem(""));
    CHECK_FALSE(find_text_problem("plain ASCII, longer than one 8-byte word"));
    CHECK_FALSE(
        find_text_problem("\xC2\xA9 \xE2\x80\x9C\xE2\x98\xA2\xE2\x80\x9D \xF0\x9F\x98\x80"));
    CHECK_FALSE(find_text_problem("\x7F\xDF\xBF\xEF\xBF\xBF\xF4\x8F\xBF\xBF"));  // each maximum
    CHECK_FALSE(find_text_problem("\xED\x9F\xBF\xEE\x80\x80"));  // U+D7FF, U+E000 around surrogates
  }

  TEST_CASE("utf8: each kind of bad input is named, at its offset") {
    CHECK(problem("\xC0\xAF") == "overlong encoding");
    CHECK(problem("\xC1\xBF") == "overlong encoding");
    CHECK(problem("\xE0\x9F\xBF") == "overlong encoding");
    CHECK(problem("\xF0\x8F\xBF\xBF") == "overlong encoding");
    CHECK(problem("\xED\xA0\x80") == "UTF-16 surrogate");
    CHECK(problem("\xED\xBF\xBF") == "UTF-16 surrogate");
    CHECK(problem("\xF4\x90\x80\x80") == "code point above U+10FFFF");
    CHECK(problem("\xF7\xBF\xBF\xBF") == "code point above U+10FFFF");
    CHECK(problem("\xF8\x88\x80\x80\x80") == "byte that never appears in UTF-8");
    CHECK(problem("\xFF") == "byte that never appears in UTF-8");
    CHECK(problem("\x80") == "unexpected continuation byte");
    CHECK(problem("\xE2\x80") == "truncated multi-byte sequence");           // at the end
    CHECK(problem("\xF0\x9F\x98") == "truncated multi-byte sequence");       // at the end
    CHECK(problem("\xE2\x80(abcdefgh") == "truncated multi-byte sequence");  // cut short
    CHECK(problem(std::string_view("ab\0c", 4)) == "NUL byte");

    // Offsets, including past the 8-byte fast path and in the tail after it.
    const std::string prefix(19, 'a');
    const auto bad = find_text_problem(prefix + "\xC3\x28" + "zzzzzzzzzz");
    REQUIRE(bad);
    CHECK(bad->offset == 19);
    CHECK_FALSE(bad->nul);
    const auto nul = find_text_problem(prefix + std::string(1, '\0') + "zz");
    REQUIRE(nul);
    CHECK(nul->offset == 19);
    CHECK(nul->nul);
    // A NUL, a stray continuation byte and a valid é at every position of 64-byte steps and
    // 16-byte blocks (the SSE2 scans), their 8-byte words and the byte-by-byte tail.
    for (std::size_t length : {47u, 48u, 53u, 64u, 139u, 200u}) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'x');
        text[at] = '\0';
        auto found = find_text_problem(text);
        REQUIRE(found);
        CHECK(found->offset == at);
        CHECK(found->nul);
        text[at] = '\x80';
        found = find_text_problem(text);
        REQUIRE(found);
        CHECK(found->offset == at);
        CHECK(found->what == "unexpected continuation byte");
        if (at + 1 < length) {
          text.replace(at, 2, "\xC3\xA9");
          CHECK_FALSE(find_text_problem(text).has_value());
        }
      }
    }
  }

  TEST_CASE("utf8: accepts exactly what RapidJSON's validation accepted") {
    // Every lead byte with continuations from the interesting edges, 1 to 4 bytes long (no NUL:
    // RapidJSON takes NUL as ASCII, the body check rejects it on purpose; tested above).
    const unsigned char tails[] = {0x01, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                   0xA0, 0xBF, 0xC0, 0xC2, 0xF4, 0xFF};
    std::size_t compared = 0;
    for (unsigned lead = 1; lead < 256; ++lead) {
      std::string text(1, static_cast<char>(lead));
      CHECK(find_text_problem(text).has_value() != rapidjson_accepts(text));
      for (unsigned char b1 : tails) {
        for (unsigned char b2 : tails) {
          for (unsigned char b3 : tails) {
            const std::string s{static_cast<char>(lead), static_cast<char>(b1),
                                static_cast<char>(b2), static_cast<char>(b3)};
            for (std::size_t length = 2; length <= 4; ++length) {
              const std::string part = s.substr(0, length);
              const bool ours = !find_text_problem(part).has_value();
              if (ours != rapidjson_accepts(part)) {
                FAIL_CHECK("disagree on " << std::hex << lead << ' ' << unsigned(b1) << ' '
                                          << unsigned(b2) << ' ' << unsigned(b3) << " length "
                                          << length);
              }
              ++compared;
            }
          }
        }
      }
    }
    CHECK(compared > 500'000);
  }

  TEST_CASE("utf8: a body with bad UTF-8 or NUL is 400 naming the problem") {
    const auto check = [](std::string body, std::string_view expected) {
      const auto status = parse_body(std::move(body));
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().code == vcf_cds::ErrorCode::bad_request);
      CHECK(status.error().field.empty());
      CHECK(status.error().message == expected);
    };
    check("{\"hook\":\"order-\xC3\x28select\"}",
          "malformed JSON at offset 15: invalid UTF-8 (truncated multi-byte sequence)");
    check("{\"hook\":\"\xC0\xAF\"}",
          "malformed JSON at offset 9: invalid UTF-8 (overlong encoding)");
    check("{\"hook\":\"\xED\xA0\x80\"}",
          "malformed JSON at offset 9: invalid UTF-8 (UTF-16 surrogate)");
    check("{\"hook\":\"\xF4\x90\x80\x80\"}",
          "malformed JSON at offset 9: invalid UTF-8 (code point above U+10FFFF)");
    check("{\"hook\":\"x\xF0",
          "malformed JSON at offset 10: invalid UTF-8 (truncated multi-byte sequence)");
    check(std::string("{\"hook\":\"order-select\"}\0{}", 26), "body contains a NUL byte");
    // Outside strings too (RapidJSON called that a syntax error; still a 400).
    check("{\xC3\xA9:1}", "malformed JSON at offset 1: Missing a name for object member.");
  }
}

}  // namespace

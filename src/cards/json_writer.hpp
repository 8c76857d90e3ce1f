// The Writer cards are built with: RapidJSON's, with a faster way to write strings.
//
// Writer::String escapes and copies one byte at a time through its stream (~8 instructions a
// byte), and a card is mostly long plain Markdown: writing it was a tenth of a call (issue #8).
// CardWriter::string copies each run of plain bytes with one memcpy. The output is the same as
// Writer::String's (tests/unit/cards/json_writer_test.cpp): \" \\ \b \f \n \r \t, other control
// characters as \u00XX with uppercase hex, everything else (UTF-8 included) as is.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <string_view>

namespace vcf_cds::cards {

class CardWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  using Writer::Writer;

  // A string value or an object key (JSON writes both the same way).
  void string(std::string_view text) {
    Prefix(rapidjson::kStringType);
    os_->Put('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      copy(text.substr(run, i - run));
      escape(c);
      run = i + 1;
    }
    copy(text.substr(run));
    os_->Put('"');
    EndValue(true);
  }

 private:
  void copy(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(os_->Push(bytes.size()), bytes.data(), bytes.size());
  }

  void escape(unsigned char c) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    char short_form = 0;
    switch (c) {
      case '"':
        short_form = '"';
        break;
      case '\\':
        short_form = '\\';
        break;
      case '\b':
        short_form = 'b';
        break;
      case '\f':
        short_form = 'f';
        break;
      case '\n':
        short_form = 'n';
        break;
      case '\r':
        short_form = 'r';
        break;
      case '\t':
        short_form = 't';
        break;
      default:
        break;
    }
    if (short_form != 0) {
      const char escaped[] = {'\\', short_form};
      copy({escaped, sizeof escaped});
    } else {
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      copy({escaped, sizeof escaped});
    }
  }
};

inline void write_string(CardWriter& w, std::string_view text) {
  w.string(text);
}
inline void key_str(CardWriter& w, std::string_view key, std::string_view text) {
  w.string(key);
  w.string(text);
}

}  // namespace vcf_cds::cards

// The Writer cards are built with: RapidJSON's, with a faster way to write strings.
//
// Writer::String escapes and copies one byte at a time through its stream (~8 instructions a
// byte), and a card is mostly long plain Markdown: writing it was a tenth of a call (issue #8).
// CardWriter::string finds runs of plain bytes 16 or 8 at a time and copies each with one memcpy.
// The output is the same as Writer::String's (tests/unit/cards/json_writer_test.cpp): \" \\ \b \f
// \n \r \t, other control characters as \u00XX with uppercase hex, everything else (UTF-8 included)
// as is.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <string_view>

#include "cards/template.hpp"
#include "common/json_text.hpp"

namespace vcf_cds::cards {

class CardWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  using Writer::Writer;

  // The handler calls Value::Accept makes when copying parts of a draft order into a card
  // take the fast path too (these hide Writer's own; its other overloads stay visible).
  using Writer::Key;
  using Writer::String;
  bool String(const char* text, rapidjson::SizeType length, bool = false) {
    string({text, length});
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool = false) {
    string({text, length});
    return true;
  }

  // Appends `members` complete "key":value pairs, already JSON, to the object being written
  // (a pre-rendered part of a card). The Writer's count keeps its comma and colon placement right.
  void raw_members(std::string_view json, std::size_t members) {
    auto* level = level_stack_.template Top<Level>();
    if (level->valueCount > 0) os_->Put(',');
    copy(json);
    level->valueCount += 2 * members;
  }

  // A string value or an object key (JSON writes both the same way).
  void string(std::string_view text) {
    Prefix(rapidjson::kStringType);
    os_->Put('"');
    for (;;) {
      const std::size_t plain = common::json_plain_prefix(text);  // 16 or 8 bytes at a time
      copy(text.substr(0, plain));
      if (plain == text.size()) break;
      escape(static_cast<unsigned char>(text[plain]));
      text.remove_prefix(plain + 1);
    }
    os_->Put('"');
    EndValue(true);
  }

 private:
  void copy(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(os_->Push(bytes.size()), bytes.data(), bytes.size());
  }

  void escape(unsigned char c) {
    char buffer[6];
    copy(common::json_escape(c, buffer));
  }
};

inline void write_string(CardWriter& w, std::string_view text) {
  w.string(text);
}
inline void key_str(CardWriter& w, std::string_view key, std::string_view text) {
  w.string(key);
  w.string(text);
}
// `key` and the rendering of `text`, through this thread's rendered_text_buffer (used up here).
inline void key_rendered(CardWriter& w, std::string_view key, const Template& text,
                         const TemplateData& data) {
  std::string& rendered = rendered_text_buffer();
  text.render_to(data, rendered);
  key_str(w, key, rendered);
}

}  // namespace vcf_cds::cards

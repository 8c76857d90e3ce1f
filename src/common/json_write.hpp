// The Writer every JSON response and record is built with: RapidJSON's, with a faster way to
// write strings, and helpers that take strings as string_view.
//
// Writer::String escapes and copies one byte at a time through its stream (~8 instructions a
// byte), and a card is mostly long plain Markdown: writing it was a tenth of a call.
// JsonWriter::string finds runs of plain bytes 16 or 8 at a time and copies each with one memcpy.
// The output is the same as Writer::String's (tests/unit/cards/json_writer_test.cpp): \" \\ \b \f
// \n \r \t, other control characters as \u00XX with uppercase hex, everything else (UTF-8 included)
// as is.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <string_view>

#include "common/json_text.hpp"

namespace vcf_cds::common {

class JsonWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
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
      const std::size_t plain = json_plain_prefix(text);  // 16 or 8 bytes at a time
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
    copy(json_escape(c, buffer));
  }
};

inline void write_string(JsonWriter& w, std::string_view text) {
  w.string(text);
}
inline void key_str(JsonWriter& w, std::string_view key, std::string_view text) {
  w.string(key);
  w.string(text);
}

}  // namespace vcf_cds::common
